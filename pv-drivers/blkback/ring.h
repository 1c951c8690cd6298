/*
 * ring.h: xenia-blkback's pure request logic, unit-tested on the host
 * with rings in ordinary memory (pv-drivers/tests/test_ring.c).
 *
 * The shared page is hostile: every request is copied out of it once
 * (blk_ring_next) before anything looks at it, and the indices the
 * frontend writes are checked before they are used.
 */
#ifndef BLKBACK_RING_H
#define BLKBACK_RING_H

#include <stdbool.h>
#include <stdint.h>

#include <public/io/blkif.h>

/* The most segments a request may carry (what we advertise). */
#define BLK_MAX_INDIRECT_SEGS   256
#define BLK_MAX_SEGS            BLK_MAX_INDIRECT_SEGS
#define BLK_SECTOR              512u

/* The backend's private view of one shared ring. */
struct blk_ring {
    struct blkif_sring *sring;
    unsigned int size;              /* entries, a power of two        */
    blkif_ring_idx_t req_cons;      /* next request to take           */
    blkif_ring_idx_t rsp_prod_pvt;  /* next response slot             */
    bool broken;                    /* corrupt producer: stopped      */
};

/*
 * Attach to a shared ring of 'bytes' bytes.  A fresh ring starts at
 * index 0; 'takeover' starts from the frontend's rsp_prod instead, so
 * that every request without a published response is served again.
 */
void blk_ring_attach(struct blk_ring *r, void *page, unsigned long bytes,
                     bool takeover);

/*
 * Copy the next request out of the ring.  1: *out holds one; 0: none
 * waiting (or the ring is full of unanswered requests); -EIO: req_prod
 * ran more than a ring ahead of our responses: the ring is marked broken
 * and is never looked at again.
 */
int blk_ring_next(struct blk_ring *r, union blkif_request *out);

/* Write a response into the next slot (not yet visible). */
void blk_ring_respond(struct blk_ring *r, uint64_t id, uint8_t op,
                      int16_t status);

/* Publish the responses written; true when the frontend needs an event. */
bool blk_ring_push(struct blk_ring *r);

/*
 * Nothing left: ask for an event on the next request (req_event), then
 * look again.  True when a request arrived meanwhile.
 */
bool blk_ring_final_check(struct blk_ring *r);

/* What the disk is, for validation. */
struct blk_disk {
    uint64_t sectors;
    bool readonly;
    bool discard;                   /* punch hole works               */
    unsigned int max_indirect;      /* segments; 0 = no indirect      */
};

/* One page of a request's data. */
struct blk_seg {
    uint32_t gref;
    uint16_t offset;                /* in the guest's page            */
    uint16_t len;                   /* bytes                          */
};

/* What a request asks, once validated. */
enum blk_kind {
    BLK_READ,
    BLK_WRITE,                      /* flush afterwards if 'sync'     */
    BLK_FLUSH,                      /* no data: fdatasync only        */
    BLK_DISCARD,
};

struct blk_req {
    uint64_t id;
    uint8_t rsp_op;                 /* the op echoed in the response  */
    enum blk_kind kind;
    bool sync;                      /* fdatasync after the write      */
    bool barrier;                   /* drain in-flight requests first */
    uint64_t sector;
    uint64_t nr_sectors;
    unsigned int nr_segs;
    unsigned int nr_indirect;       /* indirect pages still to read   */
    uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    struct blk_seg seg[BLK_MAX_SEGS];
};

/*
 * Validate a request copied out of the ring and fill *out.  Returns
 * BLKIF_RSP_OKAY, BLKIF_RSP_ERROR or BLKIF_RSP_EOPNOTSUPP; out->id and
 * out->rsp_op are always set, for the response.  An indirect request
 * comes back with nr_indirect > 0: its segment pages must be fetched
 * and handed to blk_parse_indirect.
 */
int blk_parse(const union blkif_request *rq, const struct blk_disk *d,
              struct blk_req *out);

/*
 * The segments of an indirect request, from its pages laid end to end
 * (out->nr_segs descriptors).  Same return values.
 */
int blk_parse_indirect(const struct blkif_request_segment *segs,
                       const struct blk_disk *d, struct blk_req *out);

/* Ring bytes for a ring-page-order. */
static inline unsigned long blk_ring_bytes(unsigned int order)
{
    return 4096UL << order;
}

#endif /* BLKBACK_RING_H */
