/*
 * blkif.h: the PV block device protocol (Xen's blkif, x86-64 ABI), as
 * Linux's xen-blkfront speaks it.  Layouts written from the protocol's
 * description; sizes pinned below.
 *
 * Shared ring
 * -----------
 * A ring is 2^ring-page-order pages granted by the frontend.  It starts
 * with a 64-byte header (req_prod, req_event, rsp_prod, rsp_event, then
 * padding) followed by entries of max(sizeof request, sizeof response)
 * = 112 bytes; the number of entries is the largest power of two that
 * fits.  The frontend produces requests and advances req_prod; the
 * backend writes responses in the same slots and advances rsp_prod.
 * Notification hold-off: the backend notifies when the new rsp_prod
 * passes rsp_event; it asks to be notified by setting req_event to
 * req_cons + 1 before looking one last time.
 *
 * xenstore keys
 * -------------
 * Backend (backend/vbd/DOMID/DEVID), written by the toolstack:
 *   frontend, frontend-id, params (file or device), mode (r|w), type,
 *   online, removable, dev, state (1, Initialising)
 * Backend, written by the backend:
 *   feature-max-indirect-segments, max-ring-page-order,
 *   multi-queue-max-queues, feature-flush-cache, feature-barrier,
 *   feature-discard (+ discard-granularity, discard-alignment,
 *   discard-secure), feature-persistent, sectors, sector-size, info,
 *   hotplug-status, state (2 InitWait, 4 Connected, 5 Closing, 6 Closed)
 * Frontend (device/vbd/DEVID), written by the frontend:
 *   ring-ref | ring-page-order + ring-ref0..N-1, event-channel,
 *   multi-queue-num-queues + queue-N/{ring-ref*,event-channel},
 *   protocol ("x86_64-abi"), feature-persistent, state
 */
#ifndef XEN_PUBLIC_IO_BLKIF_H
#define XEN_PUBLIC_IO_BLKIF_H

#include <stdint.h>

typedef uint32_t blkif_ring_idx_t;

/* Request operations. */
#define BLKIF_OP_READ             0
#define BLKIF_OP_WRITE            1
#define BLKIF_OP_WRITE_BARRIER    2
#define BLKIF_OP_FLUSH_DISKCACHE  3
#define BLKIF_OP_RESERVED_1       4   /* was a tap operation; never valid */
#define BLKIF_OP_DISCARD          5
#define BLKIF_OP_INDIRECT         6

/* Segments per direct request; 512-byte sectors in a 4 KiB page. */
#define BLKIF_MAX_SEGMENTS_PER_REQUEST          11
#define BLKIF_SECTORS_PER_PAGE                  8
/* Indirect requests: pages of segment descriptors. */
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST    8
#define BLKIF_SEGS_PER_INDIRECT_FRAME           (4096 / 8)

/* BLKIF_OP_DISCARD flag. */
#define BLKIF_DISCARD_SECURE      (1 << 0)

/* Response status. */
#define BLKIF_RSP_EOPNOTSUPP      (-2)
#define BLKIF_RSP_ERROR           (-1)
#define BLKIF_RSP_OKAY            0

/* The backend's "info" bits. */
#define VDISK_CDROM               0x1
#define VDISK_REMOVABLE           0x2
#define VDISK_READONLY            0x4

/* One page of data: a grant and the sectors [first_sect, last_sect]. */
struct blkif_request_segment {
    uint32_t gref;
    uint8_t first_sect;
    uint8_t last_sect;
    uint16_t pad;
};

/* READ, WRITE, WRITE_BARRIER, FLUSH_DISKCACHE. */
struct blkif_request_rw {
    uint8_t operation;
    uint8_t nr_segments;
    uint16_t handle;
    uint32_t pad;
    uint64_t id;                /* echoed in the response */
    uint64_t sector_number;     /* 512-byte units */
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct blkif_request_discard {
    uint8_t operation;
    uint8_t flag;               /* BLKIF_DISCARD_SECURE */
    uint16_t handle;
    uint32_t pad;
    uint64_t id;
    uint64_t sector_number;
    uint64_t nr_sectors;
};

struct blkif_request_indirect {
    uint8_t operation;          /* BLKIF_OP_INDIRECT */
    uint8_t indirect_op;        /* READ or WRITE */
    uint16_t nr_segments;
    uint32_t pad1;
    uint64_t id;
    uint64_t sector_number;
    uint16_t handle;
    uint16_t pad2;
    uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    uint32_t pad3;
};

union blkif_request {
    uint8_t operation;
    struct blkif_request_rw rw;
    struct blkif_request_discard discard;
    struct blkif_request_indirect indirect;
};

struct blkif_response {
    uint64_t id;
    uint8_t operation;
    uint8_t pad;
    int16_t status;
    uint32_t pad2;
};

union blkif_sring_entry {
    union blkif_request req;
    struct blkif_response rsp;
};

struct blkif_sring {
    volatile blkif_ring_idx_t req_prod;
    volatile blkif_ring_idx_t req_event;
    volatile blkif_ring_idx_t rsp_prod;
    volatile blkif_ring_idx_t rsp_event;
    uint8_t pad[48];
    union blkif_sring_entry ring[];
};

_Static_assert(sizeof(struct blkif_request_segment) == 8, "segment");
_Static_assert(sizeof(struct blkif_request_rw) == 112, "rw request");
_Static_assert(sizeof(struct blkif_request_discard) == 32, "discard");
_Static_assert(sizeof(struct blkif_request_indirect) == 64, "indirect");
_Static_assert(__builtin_offsetof(struct blkif_request_indirect,
                                  indirect_grefs) == 28, "indirect grefs");
_Static_assert(sizeof(union blkif_request) == 112, "request");
_Static_assert(sizeof(struct blkif_response) == 16, "response");
_Static_assert(sizeof(struct blkif_sring) == 64, "ring header");

/* Entries in a ring of 'bytes' bytes: the largest power of two that fits. */
static inline unsigned int blkif_ring_entries(unsigned long bytes)
{
    unsigned long n = (bytes - sizeof(struct blkif_sring)) /
                      sizeof(union blkif_sring_entry);
    unsigned int p = 1;

    while ( (unsigned long)p * 2 <= n )
        p *= 2;
    return n ? p : 0;
}

#endif /* XEN_PUBLIC_IO_BLKIF_H */
