/*
 * test_netring.c: host unit tests of xenia-netback's ring, tx packet
 * validation and checksum logic (netback/ring.c) on rings in ordinary
 * memory.  Prints one "STATUS<TAB>NAME<TAB>DETAIL" line per test; exits
 * 0 even when some fail (the Makefile collects the lines).
 */
#include "../netback/ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned int failures;

#define CHECK(name, cond, ...) do {                                    \
        if ( cond )                                                    \
            printf("PASS\tpv-drivers.netunit.%s\t\n", name);           \
        else                                                           \
        {                                                              \
            failures++;                                                \
            printf("FAIL\tpv-drivers.netunit.%s\t", name);             \
            printf(__VA_ARGS__);                                       \
            printf("\n");                                              \
        }                                                              \
    } while ( 0 )

static _Alignas(4096) unsigned char txpage[4096], rxpage[4096];

static struct netif_tx_sring *tx_fresh(struct nb_ring *r)
{
    memset(txpage, 0, sizeof(txpage));
    nb_ring_attach(r, txpage, sizeof(union netif_tx_sring_entry), false);
    return (struct netif_tx_sring *)txpage;
}

/* The frontend's side: put a tx request at req_prod (not yet published). */
static unsigned int tx_put(struct netif_tx_sring *s, unsigned int at,
                           uint32_t gref, uint16_t off, uint16_t flags,
                           uint16_t id, uint16_t size)
{
    struct netif_tx_request rq = {
        .gref = gref, .offset = off, .flags = flags, .id = id, .size = size,
    };

    memcpy(&s->ring[at & 255].req, &rq, sizeof(rq));
    return at + 1;
}

static unsigned int tx_extra(struct netif_tx_sring *s, unsigned int at,
                             uint8_t type, uint8_t flags)
{
    struct netif_extra_info ex;

    memset(&ex, 0, sizeof(ex));
    ex.type = type;
    ex.flags = flags;
    memcpy(&s->ring[at & 255].extra, &ex, sizeof(ex));
    return at + 1;
}

static void test_sizes(void)
{
    CHECK("ring-sizes", NETIF_TX_RING_SIZE == 256 && NETIF_RX_RING_SIZE == 256,
          "tx %u rx %u", NETIF_TX_RING_SIZE, NETIF_RX_RING_SIZE);
}

static void test_tx_simple(void)
{
    struct nb_ring r;
    struct nb_tx_pkt p;
    struct netif_tx_sring *s = tx_fresh(&r);
    struct netif_tx_response rsp;
    int n;

    n = nb_tx_next(&r, &p);
    CHECK("tx-empty", n == 0, "got %d", n);
    s->req_prod = tx_put(s, 0, 7, 100, NETTXF_csum_blank, 3, 60);
    n = nb_tx_next(&r, &p);
    CHECK("tx-one-slot", n == 1 && p.status == NETIF_RSP_OKAY &&
          p.nslots == 1 && p.nfrags == 1 && p.len == 60 &&
          p.frag[0].gref == 7 && p.frag[0].offset == 100 &&
          p.frag[0].len == 60 && (p.flags & NETTXF_csum_blank),
          "n %d status %d slots %u frags %u len %u", n, p.status, p.nslots,
          p.nfrags, p.len);
    nb_tx_respond_pkt(&r, &p, p.status);
    s->rsp_event = 1;
    CHECK("tx-push-notifies", nb_ring_push(&r), "no event");
    memcpy(&rsp, &s->ring[0].rsp, sizeof(rsp));
    CHECK("tx-response", s->rsp_prod == 1 && rsp.id == 3 &&
          rsp.status == NETIF_RSP_OKAY, "rsp_prod %u id %u status %d",
          s->rsp_prod, rsp.id, rsp.status);
    CHECK("tx-final-check", !nb_ring_final_check(&r) && s->req_event == 2,
          "req_event %u", s->req_event);
}

static void test_tx_sg(void)
{
    struct nb_ring r;
    struct nb_tx_pkt p;
    struct netif_tx_sring *s = tx_fresh(&r);
    struct netif_tx_response rsp[4];
    unsigned int at = 0, i;
    int n;

    /* 3000 bytes: 1000 in the first slot, then 1500 and 500. */
    at = tx_put(s, at, 10, 3000, NETTXF_more_data | NETTXF_extra_info, 1, 3000);
    at = tx_extra(s, at, NETIF_EXTRA_TYPE_MCAST_ADD, 0);
    at = tx_put(s, at, 11, 0, NETTXF_more_data, 2, 1500);
    /* incomplete chain: nothing taken */
    s->req_prod = at;
    n = nb_tx_next(&r, &p);
    CHECK("tx-chain-incomplete-waits", n == 0 && r.req_cons == 0,
          "n %d req_cons %u", n, r.req_cons);
    at = tx_put(s, at, 12, 0, 0, 3, 500);
    s->req_prod = at;
    n = nb_tx_next(&r, &p);
    CHECK("tx-sg-extra", n == 1 && p.status == NETIF_RSP_OKAY &&
          p.nslots == 4 && p.nfrags == 3 && p.frag[0].len == 1000 &&
          p.frag[1].len == 1500 && p.frag[2].len == 500 &&
          p.slot[1].extra && r.req_cons == 4,
          "n %d status %d slots %u frags %u f0 %u", n, p.status, p.nslots,
          p.nfrags, p.frag[0].len);
    nb_tx_respond_pkt(&r, &p, p.status);
    nb_ring_push(&r);
    for ( i = 0; i < 4; i++ )
        memcpy(&rsp[i], &s->ring[i].rsp, sizeof(rsp[0]));
    CHECK("tx-sg-responses", rsp[0].id == 1 && rsp[0].status == 0 &&
          rsp[1].status == NETIF_RSP_NULL && rsp[2].id == 2 &&
          rsp[3].id == 3 && rsp[3].status == 0,
          "%u/%d %u/%d %u/%d %u/%d", rsp[0].id, rsp[0].status, rsp[1].id,
          rsp[1].status, rsp[2].id, rsp[2].status, rsp[3].id, rsp[3].status);
}

/* One packet made of the given requests: its status. */
static int tx_one(const char *name, unsigned int nreq,
                  const struct netif_tx_request *rq, int want)
{
    struct nb_ring r;
    struct nb_tx_pkt p;
    struct netif_tx_sring *s = tx_fresh(&r);
    unsigned int i;
    int n;

    for ( i = 0; i < nreq; i++ )
        memcpy(&s->ring[i].req, &rq[i], sizeof(rq[0]));
    s->req_prod = nreq;
    n = nb_tx_next(&r, &p);
    CHECK(name, n == 1 && p.status == want && p.nslots == nreq &&
          r.req_cons == nreq, "n %d status %d slots %u", n, p.status,
          p.nslots);
    return p.status;
}

static void test_tx_refusals(void)
{
    struct netif_tx_request rq[24];
    unsigned int i;

    memset(rq, 0, sizeof(rq));
    rq[0].size = 10;
    tx_one("tx-runt-refused", 1, rq, NETIF_RSP_ERROR);
    rq[0].size = 200;
    rq[0].offset = 4000;
    tx_one("tx-first-past-page-refused", 1, rq, NETIF_RSP_ERROR);
    rq[0].offset = 0;
    rq[0].size = 100;
    rq[0].flags = NETTXF_more_data;
    rq[1].size = 200;                   /* fragments exceed the total */
    tx_one("tx-frags-over-total-refused", 2, rq, NETIF_RSP_ERROR);
    rq[0].size = 5000;
    rq[1].offset = 100;
    rq[1].size = 4000;                  /* 100 + 4000 > page */
    tx_one("tx-frag-past-page-refused", 2, rq, NETIF_RSP_ERROR);
    memset(rq, 0, sizeof(rq));
    rq[0].size = 60000;
    for ( i = 0; i < 20; i++ )
    {
        rq[i].flags = NETTXF_more_data;
        if ( i )
            rq[i].size = 100;
    }
    rq[19].flags = 0;
    tx_one("tx-too-many-slots-refused", 20, rq, NETIF_RSP_ERROR);
    memset(rq, 0, sizeof(rq));
    rq[0].size = 1514;
    rq[0].flags = NETTXF_extra_info;
    rq[1].gref = NETIF_EXTRA_TYPE_GSO;  /* type: the extra's first byte */
    tx_one("tx-gso-extra-refused", 2, rq, NETIF_RSP_ERROR);
    rq[1].gref = 9;
    tx_one("tx-bad-extra-type-refused", 2, rq, NETIF_RSP_ERROR);
    memset(rq, 0, sizeof(rq));
    rq[0].size = 1514;
    tx_one("tx-ok-control", 1, rq, NETIF_RSP_OKAY);
}

static void test_tx_corrupt(void)
{
    struct nb_ring r;
    struct nb_tx_pkt p;
    struct netif_tx_sring *s = tx_fresh(&r);
    unsigned int i;
    int n;

    s->req_prod = 257;                  /* more than a ring ahead */
    n = nb_tx_next(&r, &p);
    CHECK("tx-producer-ahead-halts", n == -EIO && r.broken, "n %d", n);
    s->req_prod = 1;
    n = nb_tx_next(&r, &p);
    CHECK("tx-halt-is-final", n == -EIO, "n %d", n);

    /* A chain that fills the whole ring and never ends. */
    s = tx_fresh(&r);
    for ( i = 0; i < 256; i++ )
        tx_put(s, i, 1, 0, NETTXF_more_data, i, 100);
    s->req_prod = 256;
    n = nb_tx_next(&r, &p);
    CHECK("tx-endless-chain-halts", n == -EIO, "n %d", n);

    /* A chain longer than NB_MAX_CHAIN that does end, later. */
    s = tx_fresh(&r);
    for ( i = 0; i < NB_MAX_CHAIN + 5; i++ )
        tx_put(s, i, 1, 0, i + 1 < NB_MAX_CHAIN + 5 ? NETTXF_more_data : 0,
               i, 10);
    s->req_prod = NB_MAX_CHAIN + 5;
    n = nb_tx_next(&r, &p);
    CHECK("tx-long-chain-halts", n == -EIO, "n %d", n);
}

static void test_wrap(void)
{
    struct nb_ring r;
    struct nb_tx_pkt p;
    struct netif_tx_sring *s = tx_fresh(&r);
    unsigned int i, ok = 0;
    int n;

    s->req_prod = s->rsp_prod = 0xfffffff0u;
    nb_ring_attach(&r, txpage, sizeof(union netif_tx_sring_entry), true);
    for ( i = 0; i < 32; i++ )
    {
        tx_put(s, 0xfffffff0u + i, 5, 0, 0, i, 64);
        s->req_prod = 0xfffffff0u + i + 1;
        n = nb_tx_next(&r, &p);
        if ( n == 1 && p.slot[0].id == i && p.status == 0 )
            ok++;
        nb_tx_respond_pkt(&r, &p, 0);
        nb_ring_push(&r);
    }
    CHECK("tx-index-wrap-and-takeover", ok == 32 && s->rsp_prod == 16,
          "ok %u rsp_prod %u", ok, s->rsp_prod);
}

static void test_rx(void)
{
    struct nb_ring r;
    struct netif_rx_sring *s;
    struct netif_rx_request rq = { .id = 9, .gref = 44 }, got;
    struct netif_rx_response rsp;
    unsigned int i;
    int n;

    memset(rxpage, 0, sizeof(rxpage));
    s = (struct netif_rx_sring *)rxpage;
    nb_ring_attach(&r, rxpage, sizeof(union netif_rx_sring_entry), false);
    CHECK("rx-none", nb_ring_pending(&r) == 0, "pending %d",
          nb_ring_pending(&r));
    for ( i = 0; i < 256; i++ )
    {
        rq.id = i;
        memcpy(&s->ring[i].req, &rq, sizeof(rq));
    }
    s->req_prod = 256;
    n = nb_ring_pending(&r);
    CHECK("rx-full-ring", n == 256, "pending %d", n);
    nb_rx_take(&r, &got);
    nb_rx_respond(&r, got.id, 0, NETRXF_data_validated, 1514);
    nb_ring_push(&r);
    memcpy(&rsp, &s->ring[0].rsp, sizeof(rsp));
    CHECK("rx-response", got.id == 0 && got.gref == 44 && rsp.id == 0 &&
          rsp.status == 1514 && rsp.flags == NETRXF_data_validated &&
          s->rsp_prod == 1, "id %u status %d", rsp.id, rsp.status);
    s->req_prod = 258;                  /* 257 ahead of rsp_prod 1: bad */
    n = nb_ring_pending(&r);
    CHECK("rx-producer-ahead-halts", n == -EIO, "pending %d", n);
    CHECK("rx-slots", nb_rx_slots(1514) == 1 && nb_rx_slots(4096) == 1 &&
          nb_rx_slots(4097) == 2 && nb_rx_slots(65535) == 16, "slots");
}

/* A frame's checksum verifies when the sum over pseudo header + L4 is 0xffff. */
static uint32_t fold(uint32_t s)
{
    while ( s >> 16 )
        s = (s & 0xffff) + (s >> 16);
    return s;
}

static uint32_t sum(const uint8_t *p, size_t n, uint32_t s)
{
    size_t i;

    for ( i = 0; i + 1 < n; i += 2 )
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if ( n & 1 )
        s += (uint32_t)p[n - 1] << 8;
    return fold(s);
}

static size_t mk_ipv4(uint8_t *f, uint8_t proto, size_t payload)
{
    size_t l4len = (proto == 6 ? 20 : 8) + payload, i;

    memset(f, 0, 14 + 20 + l4len + 8);
    f[12] = 0x08;                       /* IPv4 */
    f[14] = 0x45;
    f[16] = (20 + l4len) >> 8;
    f[17] = (20 + l4len) & 0xff;
    f[22] = 64;
    f[23] = proto;
    f[26] = 10; f[29] = 2;              /* 10.0.0.2 -> 10.0.0.1 */
    f[30] = 10; f[33] = 1;
    f[34] = 0x30; f[35] = 0x39;         /* ports */
    f[36] = 0x00; f[37] = 0x50;
    if ( proto == 6 )
        f[46] = 0x50;                   /* data offset 5 */
    else
    {
        f[38] = l4len >> 8;
        f[39] = l4len & 0xff;
    }
    for ( i = 0; i < payload; i++ )
        f[14 + 20 + (proto == 6 ? 20 : 8) + i] = (uint8_t)(i * 7 + 3);
    /* garbage in the field, as a frontend may leave */
    f[34 + (proto == 6 ? 16 : 6)] = 0x12;
    return 14 + 20 + l4len;
}

static bool v4_ok(const uint8_t *f, size_t len)
{
    size_t l4len = len - 34;
    uint32_t s = sum(f + 26, 8, 0);

    s += f[23];
    s += l4len;
    return sum(f + 34, l4len, s) == 0xffff;
}

static void test_csum(void)
{
    static uint8_t f[2048];
    unsigned int l4, field;
    size_t len;
    int rc;

    len = mk_ipv4(f, 6, 1001);
    rc = nb_csum_find(f, len, &l4, &field);
    CHECK("csum-find-tcp", rc == 0 && l4 == 34 && field == 50,
          "rc %d l4 %u field %u", rc, l4, field);
    rc = nb_csum_fill(f, len);
    CHECK("csum-tcp-odd-length", rc == 0 && v4_ok(f, len), "rc %d", rc);
    len = mk_ipv4(f, 17, 300);
    rc = nb_csum_fill(f, len + 6);      /* Ethernet padding after it */
    CHECK("csum-udp-padded", rc == 0 && v4_ok(f, len), "rc %d", rc);
    len = mk_ipv4(f, 1, 20);            /* ICMP: not ours to fill */
    CHECK("csum-icmp-refused", nb_csum_fill(f, len) == -1, "filled");
    len = mk_ipv4(f, 6, 100);
    f[20] = 0x20;                       /* more fragments */
    CHECK("csum-fragment-refused", nb_csum_fill(f, len) == -1, "filled");
    len = mk_ipv4(f, 6, 100);
    f[17] += 40;                        /* IP length past the frame */
    CHECK("csum-bad-length-refused", nb_csum_fill(f, len) == -1, "filled");
    len = mk_ipv4(f, 6, 100);
    f[14] = 0x44;                       /* IHL 4 */
    CHECK("csum-bad-ihl-refused", nb_csum_fill(f, len) == -1, "filled");
    CHECK("csum-short-refused", nb_csum_fill(f, 20) == -1, "filled");
}

int main(void)
{
    test_sizes();
    test_tx_simple();
    test_tx_sg();
    test_tx_refusals();
    test_tx_corrupt();
    test_wrap();
    test_rx();
    test_csum();
    return 0;
}
