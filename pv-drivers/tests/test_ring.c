/*
 * test_ring.c: host unit tests of xenia-blkback's ring and request logic
 * (blkback/ring.c) on rings in ordinary memory.  Prints one
 * "STATUS<TAB>NAME<TAB>DETAIL" line per test; exits 0 even when some fail
 * (the Makefile collects the lines).
 */
#include "ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned int failures;

#define CHECK(name, cond, ...) do {                                    \
        if ( cond )                                                    \
            printf("PASS\tpv-drivers.unit.%s\t\n", name);              \
        else                                                           \
        {                                                              \
            failures++;                                                \
            printf("FAIL\tpv-drivers.unit.%s\t", name);                \
            printf(__VA_ARGS__);                                       \
            printf("\n");                                              \
        }                                                              \
    } while ( 0 )

static _Alignas(4096) unsigned char page[4096 * 16];

static struct blkif_sring *fresh(struct blk_ring *r, unsigned int order)
{
    memset(page, 0, sizeof(page));
    blk_ring_attach(r, page, blk_ring_bytes(order), false);
    return (struct blkif_sring *)page;
}

/* The frontend's side: put a request at req_prod. */
static void produce(struct blkif_sring *s, unsigned int size,
                    const union blkif_request *rq)
{
    memcpy(&s->ring[s->req_prod & (size - 1)].req, rq, sizeof(*rq));
    s->req_prod++;
}

static union blkif_request rw(uint8_t op, uint64_t id, uint64_t sector,
                              unsigned int nseg)
{
    union blkif_request rq;
    unsigned int i;

    memset(&rq, 0, sizeof(rq));
    rq.rw.operation = op;
    rq.rw.id = id;
    rq.rw.sector_number = sector;
    rq.rw.nr_segments = nseg;
    for ( i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++ )
    {
        rq.rw.seg[i].gref = 100 + i;
        rq.rw.seg[i].first_sect = 0;
        rq.rw.seg[i].last_sect = 7;
    }
    return rq;
}

static void test_sizes(void)
{
    CHECK("ring-size-order0", blkif_ring_entries(4096) == 32,
          "%u", blkif_ring_entries(4096));
    CHECK("ring-size-order4", blkif_ring_entries(65536) == 512,
          "%u", blkif_ring_entries(65536));
}

static void test_ring_flow(void)
{
    struct blk_ring r;
    struct blkif_sring *s = fresh(&r, 0);
    union blkif_request rq = rw(BLKIF_OP_READ, 7, 0, 1), got;
    int rc;

    CHECK("empty-ring", blk_ring_next(&r, &got) == 0, "not empty");
    produce(s, r.size, &rq);
    rc = blk_ring_next(&r, &got);
    CHECK("take-request", rc == 1 && got.rw.id == 7, "rc %d id %llu", rc,
          (unsigned long long)got.rw.id);
    /* The copy is ours: the frontend scribbling afterwards changes nothing. */
    s->ring[0].req.rw.id = 99;
    CHECK("request-copied", got.rw.id == 7, "copy follows the ring");
    s->rsp_event = 1;
    blk_ring_respond(&r, 7, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    CHECK("push-notifies", blk_ring_push(&r) && s->rsp_prod == 1,
          "rsp_prod %u", s->rsp_prod);
    CHECK("response-slot", s->ring[0].rsp.id == 7 &&
          s->ring[0].rsp.status == BLKIF_RSP_OKAY, "wrong response");
    /* rsp_event not advanced by the frontend: no second notification */
    blk_ring_respond(&r, 8, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    CHECK("push-holdoff", !blk_ring_push(&r), "notified past rsp_event");
    CHECK("final-check-sets-req-event",
          !blk_ring_final_check(&r) && s->req_event == r.req_cons + 1,
          "req_event %u", s->req_event);
}

static void test_wrap(void)
{
    struct blk_ring r;
    struct blkif_sring *s = fresh(&r, 0);
    union blkif_request rq, got;
    unsigned int i, ok = 0;

    /* Start near the index wrap of 2^32. */
    s->req_prod = s->rsp_prod = 0xfffffff0u;
    blk_ring_attach(&r, page, 4096, true);
    for ( i = 0; i < 100; i++ )
    {
        rq = rw(BLKIF_OP_WRITE, i, i, 1);
        produce(s, r.size, &rq);
        if ( blk_ring_next(&r, &got) == 1 && got.rw.id == i )
            ok++;
        blk_ring_respond(&r, i, BLKIF_OP_WRITE, 0);
        blk_ring_push(&r);
    }
    CHECK("index-wrap", ok == 100 && s->rsp_prod == 0xfffffff0u + 100,
          "%u of 100", ok);
}

static void test_full_and_overflow(void)
{
    struct blk_ring r;
    struct blkif_sring *s = fresh(&r, 0);
    union blkif_request rq = rw(BLKIF_OP_READ, 1, 0, 1), got;
    unsigned int i, n = 0;

    for ( i = 0; i < r.size; i++ )
        produce(s, r.size, &rq);
    while ( blk_ring_next(&r, &got) == 1 )
        n++;
    CHECK("ring-full-stops", n == r.size, "took %u of %u", n, r.size);
    /* A corrupt producer: a request beyond the ring's size. */
    s->req_prod += 1;
    CHECK("corrupt-req-prod-halts", blk_ring_next(&r, &got) == -EIO &&
          r.broken, "accepted");
    CHECK("halted-stays-halted", blk_ring_next(&r, &got) == -EIO &&
          !blk_ring_final_check(&r), "resumed");
    /* Wildly ahead from the start */
    s = fresh(&r, 0);
    s->req_prod = 0x80000000u;
    CHECK("req-prod-far-ahead", blk_ring_next(&r, &got) == -EIO, "accepted");
}

static void test_takeover(void)
{
    struct blk_ring r;
    struct blkif_sring *s = fresh(&r, 2);
    union blkif_request rq, got;
    unsigned int i;

    /* 10 requests, 6 answered by a backend that then died */
    for ( i = 0; i < 10; i++ )
    {
        rq = rw(BLKIF_OP_READ, i, 0, 1);
        produce(s, 128, &rq);
    }
    s->rsp_prod = 6;
    blk_ring_attach(&r, page, blk_ring_bytes(2), true);
    CHECK("takeover-size", r.size == 128, "%u", r.size);
    CHECK("takeover-resumes-at-rsp-prod",
          blk_ring_next(&r, &got) == 1 && got.rw.id == 6, "id %llu",
          (unsigned long long)got.rw.id);
}

static const struct blk_disk disk = {
    .sectors = 2048, .readonly = false, .discard = true, .max_indirect = 256,
};
static const struct blk_disk rodisk = {
    .sectors = 2048, .readonly = true, .discard = true, .max_indirect = 256,
};

static int parse(const union blkif_request *rq, const struct blk_disk *d,
                 struct blk_req *out)
{
    return blk_parse(rq, d, out);
}

static void test_validation(void)
{
    static struct blk_req out;
    union blkif_request rq;
    int st;

    rq = rw(BLKIF_OP_READ, 1, 0, 11);
    st = parse(&rq, &disk, &out);
    CHECK("read-11-segs", st == 0 && out.nr_sectors == 88 &&
          out.seg[10].gref == 110 && out.seg[3].len == 4096, "st %d", st);
    rq = rw(BLKIF_OP_READ, 1, 0, 0);
    CHECK("read-0-segs", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR, "ok");
    rq = rw(BLKIF_OP_WRITE, 1, 0, 12);
    CHECK("write-12-segs", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR, "ok");
    rq = rw(BLKIF_OP_READ, 1, 0, 1);
    rq.rw.seg[0].first_sect = 5;
    rq.rw.seg[0].last_sect = 4;
    CHECK("first-after-last", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR,
          "ok");
    rq.rw.seg[0].first_sect = 0;
    rq.rw.seg[0].last_sect = 8;
    CHECK("last-sect-8", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR, "ok");
    rq.rw.seg[0].first_sect = 2;
    rq.rw.seg[0].last_sect = 3;
    st = parse(&rq, &disk, &out);
    CHECK("partial-page", st == 0 && out.seg[0].offset == 1024 &&
          out.seg[0].len == 1024 && out.nr_sectors == 2, "st %d", st);
    rq = rw(BLKIF_OP_READ, 1, 2040, 1);
    CHECK("last-page-in-range", parse(&rq, &disk, &out) == 0, "refused");
    rq = rw(BLKIF_OP_READ, 1, 2041, 1);
    CHECK("past-the-end", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR, "ok");
    rq = rw(BLKIF_OP_READ, 1, ~0ULL - 3, 1);
    CHECK("sector-overflow", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR,
          "ok");
    rq = rw(BLKIF_OP_WRITE, 1, 0, 1);
    CHECK("write-read-only", parse(&rq, &rodisk, &out) == BLKIF_RSP_ERROR,
          "ok");
    rq = rw(BLKIF_OP_READ, 1, 0, 1);
    CHECK("read-read-only", parse(&rq, &rodisk, &out) == 0, "refused");
    rq = rw(BLKIF_OP_FLUSH_DISKCACHE, 5, 0, 0);
    st = parse(&rq, &rodisk, &out);
    CHECK("flush-no-data", st == 0 && out.kind == BLK_FLUSH && out.id == 5,
          "st %d kind %d", st, out.kind);
    rq = rw(BLKIF_OP_FLUSH_DISKCACHE, 5, 8, 2);
    st = parse(&rq, &disk, &out);
    CHECK("flush-with-data", st == 0 && out.kind == BLK_WRITE && out.sync &&
          !out.barrier, "st %d", st);
    rq = rw(BLKIF_OP_WRITE_BARRIER, 6, 8, 1);
    st = parse(&rq, &disk, &out);
    CHECK("barrier", st == 0 && out.kind == BLK_WRITE && out.sync &&
          out.barrier && out.rsp_op == BLKIF_OP_WRITE_BARRIER, "st %d", st);
    rq = rw(BLKIF_OP_WRITE_BARRIER, 6, 8, 1);
    CHECK("barrier-read-only", parse(&rq, &rodisk, &out) == BLKIF_RSP_ERROR,
          "ok");
    rq = rw(BLKIF_OP_RESERVED_1, 9, 0, 1);
    st = parse(&rq, &disk, &out);
    CHECK("reserved-op", st == BLKIF_RSP_EOPNOTSUPP && out.id == 9 &&
          out.rsp_op == BLKIF_OP_RESERVED_1, "st %d", st);
    rq = rw(200, 10, 0, 1);
    CHECK("unknown-op", parse(&rq, &disk, &out) == BLKIF_RSP_EOPNOTSUPP,
          "not EOPNOTSUPP");
}

static void test_discard(void)
{
    static struct blk_req out;
    union blkif_request rq;
    struct blk_disk nod = disk;

    memset(&rq, 0, sizeof(rq));
    rq.discard.operation = BLKIF_OP_DISCARD;
    rq.discard.id = 3;
    rq.discard.sector_number = 8;
    rq.discard.nr_sectors = 16;
    CHECK("discard", parse(&rq, &disk, &out) == 0 &&
          out.kind == BLK_DISCARD && out.nr_sectors == 16, "refused");
    rq.discard.nr_sectors = 2041;
    CHECK("discard-past-end", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR,
          "ok");
    rq.discard.nr_sectors = 16;
    rq.discard.flag = BLKIF_DISCARD_SECURE;
    CHECK("discard-secure", parse(&rq, &disk, &out) == BLKIF_RSP_EOPNOTSUPP,
          "not EOPNOTSUPP");
    rq.discard.flag = 0;
    CHECK("discard-read-only", parse(&rq, &rodisk, &out) == BLKIF_RSP_ERROR,
          "ok");
    nod.discard = false;
    CHECK("discard-unsupported", parse(&rq, &nod, &out) ==
          BLKIF_RSP_EOPNOTSUPP, "not EOPNOTSUPP");
}

static void test_indirect(void)
{
    static struct blk_req out;
    static struct blkif_request_segment segs[512];
    union blkif_request rq;
    unsigned int i;
    int st;

    memset(&rq, 0, sizeof(rq));
    rq.indirect.operation = BLKIF_OP_INDIRECT;
    rq.indirect.indirect_op = BLKIF_OP_WRITE;
    rq.indirect.nr_segments = 256;
    rq.indirect.id = 11;
    rq.indirect.sector_number = 0;
    rq.indirect.indirect_grefs[0] = 55;
    st = parse(&rq, &disk, &out);
    CHECK("indirect-header", st == 0 && out.nr_indirect == 1 &&
          out.indirect_grefs[0] == 55 && out.rsp_op == BLKIF_OP_WRITE,
          "st %d nind %u", st, out.nr_indirect);
    for ( i = 0; i < 256; i++ )
    {
        segs[i].gref = 1000 + i;
        segs[i].first_sect = 0;
        segs[i].last_sect = 7;
    }
    st = blk_parse_indirect(segs, &disk, &out);
    CHECK("indirect-256", st == 0 && out.nr_sectors == 2048 &&
          out.seg[255].gref == 1255, "st %d", st);
    segs[100].last_sect = 9;
    st = parse(&rq, &disk, &out);
    CHECK("indirect-bad-seg", blk_parse_indirect(segs, &disk, &out) ==
          BLKIF_RSP_ERROR, "ok");
    segs[100].last_sect = 7;
    rq.indirect.sector_number = 1;
    parse(&rq, &disk, &out);
    CHECK("indirect-past-end", blk_parse_indirect(segs, &disk, &out) ==
          BLKIF_RSP_ERROR, "ok");
    rq.indirect.sector_number = 0;
    rq.indirect.nr_segments = 257;
    CHECK("indirect-257", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR, "ok");
    rq.indirect.nr_segments = 0;
    CHECK("indirect-0", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR, "ok");
    rq.indirect.nr_segments = 8;
    rq.indirect.indirect_op = BLKIF_OP_DISCARD;
    CHECK("indirect-bad-op", parse(&rq, &disk, &out) == BLKIF_RSP_ERROR,
          "ok");
    rq.indirect.indirect_op = BLKIF_OP_WRITE;
    CHECK("indirect-write-read-only", parse(&rq, &rodisk, &out) ==
          BLKIF_RSP_ERROR, "ok");
}

int main(void)
{
    test_sizes();
    test_ring_flow();
    test_wrap();
    test_full_and_overflow();
    test_takeover();
    test_validation();
    test_discard();
    test_indirect();
    fprintf(stderr, "test_ring: %u failed\n", failures);
    return 0;
}
