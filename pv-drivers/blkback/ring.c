/*
 * ring.c: ring indices and request validation (see ring.h).
 */
#include "ring.h"

#include <errno.h>
#include <string.h>

#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

void blk_ring_attach(struct blk_ring *r, void *page, unsigned long bytes,
                     bool takeover)
{
    r->sring = page;
    r->size = blkif_ring_entries(bytes);
    r->broken = false;
    if ( takeover )
    {
        /*
         * The old backend published every response up to rsp_prod;
         * what lies between rsp_prod and req_prod is unanswered.
         */
        r->rsp_prod_pvt = r->sring->rsp_prod;
        r->req_cons = r->rsp_prod_pvt;
    }
    else
    {
        r->rsp_prod_pvt = 0;
        r->req_cons = 0;
    }
}

int blk_ring_next(struct blk_ring *r, union blkif_request *out)
{
    blkif_ring_idx_t prod;

    if ( r->broken )
        return -EIO;
    prod = r->sring->req_prod;
    rmb();                          /* the requests after the index */
    if ( (blkif_ring_idx_t)(prod - r->rsp_prod_pvt) > r->size )
    {
        r->broken = true;
        return -EIO;
    }
    if ( prod == r->req_cons )
        return 0;
    /* Never take a request whose response slot is still unanswered. */
    if ( (blkif_ring_idx_t)(r->req_cons - r->rsp_prod_pvt) >= r->size )
        return 0;
    memcpy(out, (const void *)&r->sring->ring[r->req_cons & (r->size - 1)].req,
           sizeof(*out));
    r->req_cons++;
    return 1;
}

void blk_ring_respond(struct blk_ring *r, uint64_t id, uint8_t op,
                      int16_t status)
{
    struct blkif_response rsp;

    memset(&rsp, 0, sizeof(rsp));
    rsp.id = id;
    rsp.operation = op;
    rsp.status = status;
    memcpy(&r->sring->ring[r->rsp_prod_pvt & (r->size - 1)].rsp, &rsp,
           sizeof(rsp));
    r->rsp_prod_pvt++;
}

bool blk_ring_push(struct blk_ring *r)
{
    blkif_ring_idx_t old = r->sring->rsp_prod, new = r->rsp_prod_pvt;

    wmb();                          /* responses before the index */
    r->sring->rsp_prod = new;
    mb();                           /* the index before rsp_event */
    return (blkif_ring_idx_t)(new - r->sring->rsp_event) <
           (blkif_ring_idx_t)(new - old);
}

bool blk_ring_final_check(struct blk_ring *r)
{
    if ( r->broken )
        return false;
    if ( r->sring->req_prod != r->req_cons )
        return true;
    r->sring->req_event = r->req_cons + 1;
    mb();
    return r->sring->req_prod != r->req_cons;
}

/* Check and record 'n' segments; they cover consecutive sectors. */
static int parse_segs(const struct blkif_request_segment *s, unsigned int n,
                      const struct blk_disk *d, struct blk_req *out)
{
    unsigned int i;
    uint64_t total = 0;

    for ( i = 0; i < n; i++ )
    {
        uint8_t first = s[i].first_sect, last = s[i].last_sect;

        if ( last >= BLKIF_SECTORS_PER_PAGE || first > last )
            return BLKIF_RSP_ERROR;
        out->seg[i].gref = s[i].gref;
        out->seg[i].offset = first * BLK_SECTOR;
        out->seg[i].len = (last - first + 1) * BLK_SECTOR;
        total += last - first + 1;
    }
    out->nr_segs = n;
    out->nr_sectors = total;
    if ( out->sector > d->sectors || total > d->sectors - out->sector )
        return BLKIF_RSP_ERROR;
    return BLKIF_RSP_OKAY;
}

int blk_parse(const union blkif_request *rq, const struct blk_disk *d,
              struct blk_req *out)
{
    unsigned int n;

    memset(out, 0, sizeof(*out) - sizeof(out->seg));
    out->rsp_op = rq->operation;

    switch ( rq->operation )
    {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
    case BLKIF_OP_WRITE_BARRIER:
    case BLKIF_OP_FLUSH_DISKCACHE:
        out->id = rq->rw.id;
        out->sector = rq->rw.sector_number;
        n = rq->rw.nr_segments;
        if ( n > BLKIF_MAX_SEGMENTS_PER_REQUEST )
            return BLKIF_RSP_ERROR;
        if ( rq->operation == BLKIF_OP_READ )
            out->kind = BLK_READ;
        else
            out->kind = BLK_WRITE;
        if ( rq->operation == BLKIF_OP_WRITE_BARRIER )
            out->barrier = true;
        if ( rq->operation >= BLKIF_OP_WRITE_BARRIER )
        {
            out->sync = true;
            if ( n == 0 )
            {
                /* A flush (or barrier) without data. */
                out->kind = BLK_FLUSH;
                return BLKIF_RSP_OKAY;
            }
        }
        else if ( n == 0 )
            return BLKIF_RSP_ERROR;
        if ( out->kind == BLK_WRITE && d->readonly )
            return BLKIF_RSP_ERROR;
        return parse_segs(rq->rw.seg, n, d, out);

    case BLKIF_OP_DISCARD:
        out->id = rq->discard.id;
        out->kind = BLK_DISCARD;
        out->sector = rq->discard.sector_number;
        out->nr_sectors = rq->discard.nr_sectors;
        if ( !d->discard )
            return BLKIF_RSP_EOPNOTSUPP;
        if ( rq->discard.flag & BLKIF_DISCARD_SECURE )
            return BLKIF_RSP_EOPNOTSUPP;  /* we never advertise it */
        if ( d->readonly )
            return BLKIF_RSP_ERROR;
        if ( out->sector > d->sectors ||
             out->nr_sectors > d->sectors - out->sector )
            return BLKIF_RSP_ERROR;
        return BLKIF_RSP_OKAY;

    case BLKIF_OP_INDIRECT:
        out->id = rq->indirect.id;
        out->sector = rq->indirect.sector_number;
        /* The response names the operation the request carried out. */
        out->rsp_op = rq->indirect.indirect_op;
        if ( !d->max_indirect )
            return BLKIF_RSP_EOPNOTSUPP;
        if ( rq->indirect.indirect_op == BLKIF_OP_READ )
            out->kind = BLK_READ;
        else if ( rq->indirect.indirect_op == BLKIF_OP_WRITE )
            out->kind = BLK_WRITE;
        else
            return BLKIF_RSP_ERROR;
        n = rq->indirect.nr_segments;
        if ( n == 0 || n > d->max_indirect || n > BLK_MAX_SEGS )
            return BLKIF_RSP_ERROR;
        if ( out->kind == BLK_WRITE && d->readonly )
            return BLKIF_RSP_ERROR;
        out->nr_segs = n;
        out->nr_indirect = (n + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) /
                           BLKIF_SEGS_PER_INDIRECT_FRAME;
        memcpy(out->indirect_grefs, rq->indirect.indirect_grefs,
               out->nr_indirect * sizeof(uint32_t));
        return BLKIF_RSP_OKAY;

    default:
        /* Unknown and reserved operations, echoed as they came. */
        out->id = rq->rw.id;
        return BLKIF_RSP_EOPNOTSUPP;
    }
}

int blk_parse_indirect(const struct blkif_request_segment *segs,
                       const struct blk_disk *d, struct blk_req *out)
{
    if ( out->nr_segs == 0 || out->nr_segs > BLK_MAX_SEGS )
        return BLKIF_RSP_ERROR;
    out->nr_indirect = 0;
    return parse_segs(segs, out->nr_segs, d, out);
}
