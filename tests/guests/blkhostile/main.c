/*
 * blkhostile: a hostile block frontend (issue 11).
 *
 * An unprivileged domU created by the pv-block scenario in a Linux dom0
 * with two disks served by xenia-blkback: a read-write one and a
 * read-only one (vbd-attach).  It does what Linux's blkfront does to
 * connect (finds device/vbd/<id> in the store, grants a one-page ring,
 * allocates an event channel, writes ring-ref, event-channel, protocol
 * and state, and waits for the backend's Connected), proves the data
 * path with good reads and a write, then sends malformed requests one at
 * a time, each expecting BLKIF_RSP_ERROR (or EOPNOTSUPP where that is
 * the answer) for its own id: sectors beyond the end, bad sector ranges
 * in a segment, bad segment counts, grants never made or made to another
 * domain or read-only, unknown operations, writes and discards on the
 * read-only disk, bad indirect requests, discards beyond the end.  A good
 * read afterwards shows the backend still serves the ring.
 *
 * Last, it writes a producer index far beyond the read-write disk's ring
 * (the backend halts that ring, docs/pv-drivers.md) and checks that the
 * other disk's ring is still served and that the broken ring got no
 * responses.  dom0 then checks the backend process and the other guest.
 *
 * Command line: other=N, a domain id that is neither us nor the backend
 * (a grant made to it must not serve the backend).  Output goes to the
 * console ring (RESULT: blkhostile.<check> ...).
 */
#include "xtpv.h"
#include "xtcons.h"
#include "smp.h"

#include <public/grant_table.h>
#include <public/io/blkif.h>
#include <public/io/xs_wire.h>

#define PTE_RW      (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define WAIT_NS     30000000000ULL      /* give up on an answer: 30 s  */
#define BOOT_WAIT_NS 120000000000ULL    /* the backend's handshake     */

/* ------------------------------------------------------------------ */
/* Console ring output (the framework's console_io is dom0's).          */

static struct xt_cons_ring *cons;

void xt_console_write(const char *buf, size_t len)
{
    struct evtchn_send s = { .port = xt_start_info->console.domU.evtchn };
    uint32_t prod;
    size_t i;

    if ( !cons )
        cons = xt_mfn_to_virt(xt_start_info->console.domU.mfn);
    if ( !cons )
        return;
    prod = ACCESS_ONCE(cons->out_prod);
    for ( i = 0; i < len; i++ )
    {
        unsigned long spins = 0;

        while ( prod - ACCESS_ONCE(cons->out_cons) >= XT_CONS_OUT_SIZE )
        {
            ACCESS_ONCE(cons->out_prod) = prod;
            HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( ++spins > 1000000 )
                return;
        }
        cons->out[XT_CONS_OUT_IDX(prod)] = buf[i];
        prod++;
    }
    barrier();
    ACCESS_ONCE(cons->out_prod) = prod;
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* ------------------------------------------------------------------ */
/* Waiting: a timer event or any notification ends a SCHEDOP_block.     */

static void no_op(unsigned int port, struct xt_regs *regs)
{
    (void)port;
    (void)regs;
}

static void notify(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };

    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/*
 * Sleep until an event arrives, at most 'ns'.  Events are masked while
 * the timer is set: SCHEDOP_block unmasks them atomically and returns at
 * once if one is pending, so a timer that fires before the block is not
 * lost (with events enabled the upcall would take it and the block would
 * wait for an event that may never come).
 */
static void nap(uint64_t ns)
{
    xt_events_disable();
    HYPERVISOR_set_timer_op(xt_system_time() + ns);
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

static void listen_on(evtchn_port_t port)
{
    xt_set_port_handler(port, no_op);
    xt_unmask_port(port);
}

/* ------------------------------------------------------------------ */
/* The store: one request at a time over our ring.                      */

static struct xenstore_domain_interface *xs;
static evtchn_port_t xs_port;
static uint32_t xs_req_id = 0x100;

static bool xs_put(const void *data, unsigned int len)
{
    uint64_t t0 = xt_system_time();
    unsigned int done = 0;

    while ( done < len )
    {
        XENSTORE_RING_IDX cons = ACCESS_ONCE(xs->req_cons);
        XENSTORE_RING_IDX prod = xs->req_prod;

        if ( prod - cons >= XENSTORE_RING_SIZE )
        {
            notify(xs_port);
            if ( xt_system_time() - t0 > WAIT_NS )
                return false;
            nap(1000000);
            continue;
        }
        xs->req[MASK_XENSTORE_IDX(prod)] = ((const char *)data)[done++];
        barrier();
        ACCESS_ONCE(xs->req_prod) = prod + 1;
    }
    notify(xs_port);
    return true;
}

static bool xs_get(void *dst, unsigned int len)
{
    uint64_t t0 = xt_system_time();
    unsigned int got = 0;

    while ( got < len )
    {
        XENSTORE_RING_IDX cons = xs->rsp_cons;
        XENSTORE_RING_IDX prod = ACCESS_ONCE(xs->rsp_prod);

        if ( prod == cons )
        {
            if ( xt_system_time() - t0 > WAIT_NS )
                return false;
            nap(1000000);
            continue;
        }
        barrier();
        ((char *)dst)[got++] = xs->rsp[MASK_XENSTORE_IDX(cons)];
        ACCESS_ONCE(xs->rsp_cons) = cons + 1;
    }
    notify(xs_port);
    return true;
}

/*
 * One request of two payload parts; the reply's payload, NUL-terminated,
 * into out.  The reply's type, or -1 when the store did not answer.
 */
static int xs_rpc(uint32_t type, const char *a, unsigned int alen,
                  const char *b, unsigned int blen, char *out,
                  unsigned int max)
{
    static char buf[XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg h = { type, ++xs_req_id, 0, alen + blen };
    unsigned int i, n;

    if ( !xs_put(&h, sizeof(h)) || !xs_put(a, alen) ||
         (blen && !xs_put(b, blen)) )
        return -1;
    for ( i = 0; i < 64; i++ )
    {
        if ( !xs_get(&h, sizeof(h)) || h.len > XENSTORE_PAYLOAD_MAX ||
             !xs_get(buf, h.len) )
            return -1;
        if ( h.type == XS_WATCH_EVENT || h.req_id != xs_req_id )
            continue;
        n = h.len < max - 1 ? h.len : max - 1;
        memcpy(out, buf, n);
        out[n] = '\0';
        return h.type;
    }
    return -1;
}

static bool xs_read(const char *path, char *out, unsigned int max)
{
    return xs_rpc(XS_READ, path, strlen(path) + 1, NULL, 0, out, max) ==
           XS_READ;
}

static uint64_t xs_read_num(const char *path, uint64_t dflt)
{
    char v[32];

    if ( !xs_read(path, v, sizeof(v)) || v[0] < '0' || v[0] > '9' )
        return dflt;
    return simple_strtoull(v, NULL, 10);
}

static bool xs_write(const char *path, const char *val)
{
    char r[16];

    return xs_rpc(XS_WRITE, path, strlen(path) + 1, val, strlen(val), r,
                  sizeof(r)) == XS_WRITE;
}

/* ------------------------------------------------------------------ */
/* Grants: refs 0..7 are the toolstack's; ours start at 8.              */

enum {
    REF_RING      = 8,      /* + disk index                           */
    REF_DATA      = 16,     /* NR_DATA pages                          */
    REF_IND       = 40,     /* an indirect segment page               */
    REF_RO        = 41,     /* a data page granted read-only          */
    REF_FOREIGN   = 42,     /* a data page granted to another domain  */
    REF_NEVER     = 300,    /* never granted                          */
};
#define NR_DATA 16

static grant_entry_v1_t *gt;

static bool gnt_init(void)
{
    xen_pfn_t frame = 0;
    gnttab_setup_table_t s = { .dom = DOMID_SELF, .nr_frames = 1 };
    long rc;

    set_xen_guest_handle(s.frame_list, &frame);
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &s, 1, 0, 0);
    if ( rc || s.status != GNTST_okay || !frame )
    {
        xt_error("grant table setup: rc %ld status %d", rc, s.status);
        return false;
    }
    gt = xt_map_mfn(frame, PTE_RW);
    return gt != NULL;
}

static void grant(unsigned int ref, domid_t dom, const void *page, bool ro)
{
    gt[ref].flags = 0;
    barrier();
    gt[ref].frame = (uint32_t)xt_virt_to_mfn(page);
    gt[ref].domid = dom;
    barrier();
    gt[ref].flags = GTF_permit_access | (ro ? GTF_readonly : 0);
}

/* ------------------------------------------------------------------ */
/* A disk: its ring and what the backend told us.                       */

struct disk {
    char fe[64], be[96];
    unsigned int devid;
    domid_t bdom;
    struct blkif_sring *sring;
    unsigned int size;
    blkif_ring_idx_t req_prod_pvt, rsp_cons;
    evtchn_port_t port;
    uint64_t sectors;
    unsigned int info, max_ind;
    bool discard, connected;
};

static struct disk disks[2];
static struct disk *rw, *ro;
static uint8_t *data[NR_DATA];
static struct blkif_request_segment *ind_page;
static uint64_t next_id = 0x4b000;

static bool wait_state(struct disk *d, unsigned int want)
{
    char path[128];
    uint64_t t0 = xt_system_time(), st;

    snprintf(path, sizeof(path), "%s/state", d->be);
    for ( ;; )
    {
        st = xs_read_num(path, 0);
        if ( st == want )
            return true;
        if ( st > 4 || xt_system_time() - t0 > BOOT_WAIT_NS )
        {
            printf("blkhostile: %s state %lu, waited for %u\n", d->be,
                   (unsigned long)st, want);
            return false;
        }
        nap(20000000);
    }
}

static bool fe_write(struct disk *d, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fe_write(struct disk *d, const char *node, const char *fmt, ...)
{
    char path[128], val[64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", d->fe, node);
    return xs_write(path, val);
}

static bool disk_connect(struct disk *d, unsigned int idx)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF };
    char path[128];
    long rc;

    snprintf(path, sizeof(path), "%s/backend", d->fe);
    if ( !xs_read(path, d->be, sizeof(d->be)) )
        return false;
    snprintf(path, sizeof(path), "%s/backend-id", d->fe);
    d->bdom = (domid_t)xs_read_num(path, 0);
    d->sring = xt_alloc_page();
    d->size = blkif_ring_entries(PAGE_SIZE);
    grant(REF_RING + idx, d->bdom, d->sring, false);
    au.remote_dom = d->bdom;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    if ( rc )
    {
        printf("blkhostile: alloc_unbound: %ld\n", rc);
        return false;
    }
    d->port = au.port;
    listen_on(d->port);
    printf("blkhostile: %s: backend %s (domain %u), ring ref %u, port %u\n",
           d->fe, d->be, d->bdom, REF_RING + idx, d->port);
    if ( !wait_state(d, 2) )
        return false;
    if ( !fe_write(d, "ring-ref", "%u", REF_RING + idx) ||
         !fe_write(d, "event-channel", "%u", d->port) ||
         !fe_write(d, "protocol", "x86_64-abi") ||
         !fe_write(d, "state", "3") )
        return false;
    if ( !wait_state(d, 4) )
        return false;
    snprintf(path, sizeof(path), "%s/sectors", d->be);
    d->sectors = xs_read_num(path, 0);
    snprintf(path, sizeof(path), "%s/info", d->be);
    d->info = xs_read_num(path, 0);
    snprintf(path, sizeof(path), "%s/feature-max-indirect-segments", d->be);
    d->max_ind = xs_read_num(path, 0);
    snprintf(path, sizeof(path), "%s/feature-discard", d->be);
    d->discard = xs_read_num(path, 0) == 1;
    d->connected = fe_write(d, "state", "4");
    printf("blkhostile: %s connected: %lu sectors, info %#x\n", d->fe,
           (unsigned long)d->sectors, d->info);
    return d->connected;
}

/* ------------------------------------------------------------------ */
/* Requests.                                                            */

static void rq_rw(union blkif_request *rq, uint8_t op, uint64_t sector,
                  unsigned int nseg, unsigned int ref, uint8_t first,
                  uint8_t last)
{
    unsigned int i;

    memset(rq, 0, sizeof(*rq));
    rq->rw.operation = op;
    rq->rw.nr_segments = nseg;
    rq->rw.sector_number = sector;
    for ( i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++ )
    {
        rq->rw.seg[i].gref = ref + i;
        rq->rw.seg[i].first_sect = first;
        rq->rw.seg[i].last_sect = last;
    }
}

static void rq_discard(union blkif_request *rq, uint64_t sector,
                       uint64_t nr)
{
    memset(rq, 0, sizeof(*rq));
    rq->discard.operation = BLKIF_OP_DISCARD;
    rq->discard.sector_number = sector;
    rq->discard.nr_sectors = nr;
}

/* An indirect request over ind_page (whose entries the caller fills). */
static void rq_ind(union blkif_request *rq, uint8_t op, uint64_t sector,
                   unsigned int nseg, unsigned int ind_ref)
{
    memset(rq, 0, sizeof(*rq));
    rq->indirect.operation = BLKIF_OP_INDIRECT;
    rq->indirect.indirect_op = op;
    rq->indirect.nr_segments = nseg;
    rq->indirect.sector_number = sector;
    rq->indirect.indirect_grefs[0] = ind_ref;
}

static void ind_fill(unsigned int n)
{
    unsigned int i;

    memset(ind_page, 0, PAGE_SIZE);
    for ( i = 0; i < n && i < NR_DATA; i++ )
    {
        ind_page[i].gref = REF_DATA + i;
        ind_page[i].first_sect = 0;
        ind_page[i].last_sect = 7;
    }
}

/* Put one request on d's ring (its id set here) and tell the backend. */
static uint64_t submit(struct disk *d, union blkif_request *rq)
{
    uint64_t id = next_id++;

    rq->rw.id = id;     /* the same offset in every request kind */
    memcpy(&d->sring->ring[d->req_prod_pvt & (d->size - 1)].req, rq,
           sizeof(*rq));
    d->req_prod_pvt++;
    barrier();
    d->sring->req_prod = d->req_prod_pvt;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    notify(d->port);
    return id;
}

/* The next response on d's ring; false if none came within 30 s. */
static bool response(struct disk *d, struct blkif_response *out)
{
    uint64_t t0 = xt_system_time();

    for ( ;; )
    {
        d->sring->rsp_event = d->rsp_cons + 1;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if ( d->sring->rsp_prod != d->rsp_cons )
            break;
        if ( xt_system_time() - t0 > WAIT_NS )
            return false;
        nap(10000000);
    }
    barrier();
    memcpy(out, &d->sring->ring[d->rsp_cons & (d->size - 1)].rsp,
           sizeof(*out));
    d->rsp_cons++;
    return true;
}

static const char *st_name(int st)
{
    switch ( st )
    {
    case BLKIF_RSP_OKAY:       return "OKAY";
    case BLKIF_RSP_ERROR:      return "ERROR";
    case BLKIF_RSP_EOPNOTSUPP: return "EOPNOTSUPP";
    default:                   return "?";
    }
}

/*
 * Send rq on d and check its answer: its own id, and status 'want' (or
 * 'alt', when that is also a right answer).  True when it passed.
 */
static bool expect(const char *check, struct disk *d,
                   union blkif_request *rq, int want, int alt,
                   const char *what)
{
    struct blkif_response r;
    uint64_t id = submit(d, rq);
    bool got = response(d, &r), ok;

    ok = got && r.id == id && (r.status == want || r.status == alt);
    if ( !got )
        xt_check(check, false, "%s: no response in 30 s (req_prod %u "
                 "rsp_prod %u)", what, d->sring->req_prod,
                 d->sring->rsp_prod);
    else
        xt_check(check, ok, "%s: status %d %s (want %s%s%s), id %s", what,
                 r.status, st_name(r.status), st_name(want),
                 alt != want ? " or " : "", alt != want ? st_name(alt) : "",
                 r.id == id ? "ours" : "WRONG");
    return ok;
}

static bool starts(const uint8_t *p, const char *s)
{
    return !memcmp(p, s, strlen(s));
}

/* What good_write writes to sectors 8-15. */
static void pattern(uint8_t *p)
{
    unsigned int i;

    for ( i = 0; i < PAGE_SIZE; i++ )
        p[i] = (uint8_t)(i * 7 + 3);
}

static bool pattern_ok(const uint8_t *p)
{
    unsigned int i;

    for ( i = 0; i < PAGE_SIZE; i++ )
        if ( p[i] != (uint8_t)(i * 7 + 3) )
            return false;
    return true;
}

static void show(char *out, const uint8_t *p)
{
    unsigned int i;

    for ( i = 0; i < 15; i++ )
        out[i] = p[i] >= 32 && p[i] < 127 ? p[i] : '.';
    out[15] = '\0';
}

/* ------------------------------------------------------------------ */
/* The checks.                                                          */

static void good_io(void)
{
    union blkif_request rq;
    char s[16];
    bool ok;

    memset(data[0], 0xa5, PAGE_SIZE);
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_DATA, 0, 7);
    ok = expect("good_read", rw, &rq, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY,
                "read sectors 0-7");
    show(s, data[0]);
    xt_check("good_read_data", ok && starts(data[0], "BLKHOSTILE-RW"),
             "sector 0: '%s'", s);

    memset(data[1], 0xa5, PAGE_SIZE);
    rq_rw(&rq, BLKIF_OP_READ, rw->sectors - 1, 1, REF_DATA + 1, 0, 0);
    ok = expect("last_sector", rw, &rq, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY,
                "read the last sector alone");
    show(s, data[1]);
    xt_check("last_sector_data", ok && starts(data[1], "BLKHOSTILE-END"),
             "sector %lu: '%s'", (unsigned long)rw->sectors - 1, s);

    pattern(data[2]);
    rq_rw(&rq, BLKIF_OP_WRITE, 8, 1, REF_DATA + 2, 0, 7);
    ok = expect("good_write", rw, &rq, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY,
                "write sectors 8-15");
    memset(data[3], 0, PAGE_SIZE);
    rq_rw(&rq, BLKIF_OP_READ, 8, 1, REF_DATA + 3, 0, 7);
    ok = expect("write_read_back", rw, &rq, BLKIF_RSP_OKAY,
                BLKIF_RSP_OKAY, "read sectors 8-15 back") && ok;
    xt_check("write_data", ok && pattern_ok(data[3]),
             "the 4 KiB written %s", ok && pattern_ok(data[3]) ?
             "read back equal" : "differ or failed");
}

static void bad_ranges(void)
{
    union blkif_request rq;
    uint64_t n = rw->sectors;

    rq_rw(&rq, BLKIF_OP_READ, n, 1, REF_DATA, 0, 7);
    expect("beyond_end", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read at the first sector past the end");
    rq_rw(&rq, BLKIF_OP_READ, n - 4, 1, REF_DATA, 0, 7);
    expect("straddle_end", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read 8 sectors from 4 before the end");
    rq_rw(&rq, BLKIF_OP_WRITE, n - 1, 1, REF_DATA, 0, 7);
    expect("write_beyond_end", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "write 8 sectors from the last one");
    rq_rw(&rq, BLKIF_OP_READ, ~0ULL - 3, 1, REF_DATA, 0, 7);
    expect("sector_wraps", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read at sector 2^64-4 (sector+count wraps)");
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_DATA, 5, 2);
    expect("first_gt_last", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "segment first_sect 5 last_sect 2");
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_DATA, 0, 8);
    expect("last_over_7", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "segment last_sect 8");
    rq_rw(&rq, BLKIF_OP_READ, 0, 0, REF_DATA, 0, 7);
    expect("zero_segs", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read with nr_segments 0");
    rq_rw(&rq, BLKIF_OP_READ, 0, 12, REF_DATA, 0, 7);
    expect("too_many_segs", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read with nr_segments 12");
    rq_rw(&rq, BLKIF_OP_WRITE, 0, 255, REF_DATA, 0, 7);
    expect("segs_255", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "write with nr_segments 255");
}

static void bad_grants(domid_t other)
{
    union blkif_request rq;

    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_NEVER, 0, 7);
    expect("ungranted_read", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read into a ref never granted");
    rq_rw(&rq, BLKIF_OP_WRITE, 16, 1, REF_NEVER, 0, 7);
    expect("ungranted_write", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "write from a ref never granted");
    rq_rw(&rq, BLKIF_OP_READ, 0, 2, REF_DATA + 10, 0, 7);
    rq.rw.seg[1].gref = 4000000;
    expect("ref_out_of_table", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read, 2nd segment's ref 4000000 (past the table)");
    grant(REF_FOREIGN, other, data[5], false);
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_FOREIGN, 0, 7);
    expect("foreign_grant_read", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read into a page granted to another domain");
    rq_rw(&rq, BLKIF_OP_WRITE, 16, 1, REF_FOREIGN, 0, 7);
    expect("foreign_grant_write", rw, &rq, BLKIF_RSP_ERROR,
           BLKIF_RSP_ERROR, "write from a page granted to another domain");
    grant(REF_RO, rw->bdom, data[6], true);
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_RO, 0, 7);
    expect("ro_grant_read", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "read into a page granted read-only");
}

static void bad_ops(void)
{
    union blkif_request rq;

    rq_rw(&rq, 0x42, 0, 1, REF_DATA, 0, 7);
    expect("unknown_op", rw, &rq, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR,
           "operation 0x42");
    rq_rw(&rq, BLKIF_OP_RESERVED_1, 0, 1, REF_DATA, 0, 7);
    expect("reserved_op", rw, &rq, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR,
           "operation 4 (reserved)");
}

static void readonly_disk(void)
{
    union blkif_request rq;
    char s[16];
    bool ok;

    if ( !ro )
    {
        xt_skip("ro_info", "no read-only disk");
        xt_skip("ro_write", "no read-only disk");
        xt_skip("ro_indirect_write", "no read-only disk");
        xt_skip("ro_discard", "no read-only disk");
        xt_skip("ro_read", "no read-only disk");
        xt_skip("ro_data", "no read-only disk");
        return;
    }
    xt_check("ro_info", ro->info & VDISK_READONLY, "%s info %#x",
             ro->be, ro->info);
    rq_rw(&rq, BLKIF_OP_WRITE, 0, 1, REF_DATA + 2, 0, 7);
    expect("ro_write", ro, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "write sectors 0-7 of the read-only disk");
    if ( ro->max_ind )
    {
        ind_fill(2);
        rq_ind(&rq, BLKIF_OP_WRITE, 0, 2, REF_IND);
        expect("ro_indirect_write", ro, &rq, BLKIF_RSP_ERROR,
               BLKIF_RSP_ERROR, "indirect write of 2 pages");
    }
    else
        xt_skip("ro_indirect_write", "no feature-max-indirect-segments");
    rq_discard(&rq, 0, 8);
    expect("ro_discard", ro, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP,
           "discard sectors 0-7 of the read-only disk");
    memset(data[7], 0, PAGE_SIZE);
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_DATA + 7, 0, 7);
    ok = expect("ro_read", ro, &rq, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY,
                "read sectors 0-7 of the read-only disk");
    show(s, data[7]);
    xt_check("ro_data", ok && starts(data[7], "BLKHOSTILE-RO"),
             "sector 0: '%s' (the refused write did not land)", s);
}

static void indirect(void)
{
    static const char *const names[] = {
        "indirect_good", "indirect_data", "indirect_too_many",
        "indirect_zero", "indirect_bad_page", "indirect_bad_seg",
        "indirect_bad_op", "indirect_beyond_end",
    };
    union blkif_request rq;
    unsigned int i;
    bool ok;

    if ( !rw->max_ind )
    {
        for ( i = 0; i < ARRAY_SIZE(names); i++ )
            xt_skip(names[i], "the backend advertises no indirect "
                    "segments");
        return;
    }
    for ( i = 0; i < NR_DATA; i++ )
        memset(data[i], 0x5a, PAGE_SIZE);
    ind_fill(NR_DATA);
    rq_ind(&rq, BLKIF_OP_READ, 0, NR_DATA, REF_IND);
    ok = expect("indirect_good", rw, &rq, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY,
                "indirect read of 16 pages from sector 0");
    xt_check("indirect_data", ok && starts(data[0], "BLKHOSTILE-RW") &&
             pattern_ok(data[1]) && data[15][0] != 0x5a,
             "page 0 '%.13s', page 1 %s good_write's, page 15 byte %#x",
             (const char *)data[0], pattern_ok(data[1]) ? "holds" :
             "does not hold", data[15][0]);
    ind_fill(NR_DATA);
    rq_ind(&rq, BLKIF_OP_READ, 0, rw->max_ind + 1, REF_IND);
    expect("indirect_too_many", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "indirect read of max+1 segments");
    rq_ind(&rq, BLKIF_OP_READ, 0, 0, REF_IND);
    expect("indirect_zero", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "indirect read of 0 segments");
    rq_ind(&rq, BLKIF_OP_READ, 0, 4, REF_NEVER);
    expect("indirect_bad_page", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "indirect page ref never granted");
    ind_fill(4);
    ind_page[1].last_sect = 9;
    rq_ind(&rq, BLKIF_OP_READ, 0, 4, REF_IND);
    expect("indirect_bad_seg", rw, &rq, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR,
           "indirect segment 1 last_sect 9");
    ind_fill(4);
    rq_ind(&rq, BLKIF_OP_FLUSH_DISKCACHE, 0, 4, REF_IND);
    expect("indirect_bad_op", rw, &rq, BLKIF_RSP_ERROR,
           BLKIF_RSP_EOPNOTSUPP, "indirect op FLUSH_DISKCACHE");
    ind_fill(4);
    rq_ind(&rq, BLKIF_OP_READ, rw->sectors - 8, 4, REF_IND);
    expect("indirect_beyond_end", rw, &rq, BLKIF_RSP_ERROR,
           BLKIF_RSP_ERROR, "indirect read of 32 sectors from 8 before "
           "the end");
}

static void discards(void)
{
    union blkif_request rq;
    int want = rw->discard ? BLKIF_RSP_ERROR : BLKIF_RSP_EOPNOTSUPP;

    rq_discard(&rq, rw->sectors - 1, 16);
    expect("discard_beyond_end", rw, &rq, want, want,
           rw->discard ? "discard 16 sectors from the last one" :
           "discard (not advertised) 16 sectors from the last one");
    rq_discard(&rq, 16, ~0ULL - 8);
    expect("discard_wraps", rw, &rq, want, want,
           "discard 2^64-9 sectors from 16");
}

static void after(void)
{
    union blkif_request rq;
    bool ok;

    memset(data[4], 0, PAGE_SIZE);
    rq_rw(&rq, BLKIF_OP_READ, 8, 1, REF_DATA + 4, 0, 7);
    ok = expect("read_after", rw, &rq, BLKIF_RSP_OKAY, BLKIF_RSP_OKAY,
                "read sectors 8-15 after the bad requests");
    xt_check("data_after", ok && pattern_ok(data[4]),
             "sectors 8-15 %s what good_write wrote",
             ok && pattern_ok(data[4]) ? "still hold" : "no longer hold");
}

/*
 * A producer index far beyond the ring: the backend must stop this ring
 * (answering nothing more on it) and go on serving the other one.
 */
static void corrupt_prod(void)
{
    union blkif_request rq;
    blkif_ring_idx_t before = rw->sring->rsp_prod;
    bool ok;

    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_DATA, 0, 7);
    rq.rw.id = next_id++;
    memcpy(&rw->sring->ring[rw->req_prod_pvt & (rw->size - 1)].req, &rq,
           sizeof(rq));
    barrier();
    rw->sring->req_prod = rw->req_prod_pvt + 0x40000000u;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    notify(rw->port);
    printf("blkhostile: corrupt req_prod %#x sent (rsp_prod %u)\n",
           rw->sring->req_prod, before);
    if ( !ro )
    {
        xt_skip("other_ring_served", "no second disk");
        xt_skip("corrupt_ring_silent", "no second disk");
        return;
    }
    memset(data[8], 0, PAGE_SIZE);
    rq_rw(&rq, BLKIF_OP_READ, 0, 1, REF_DATA + 8, 0, 7);
    ok = expect("other_ring_served", ro, &rq, BLKIF_RSP_OKAY,
                BLKIF_RSP_OKAY, "read on the read-only disk's ring after "
                "the corrupt index on the other") &&
         starts(data[8], "BLKHOSTILE-RO");
    (void)ok;
    xt_check("corrupt_ring_silent", rw->sring->rsp_prod == before,
             "rsp_prod %u, %u before the corrupt index",
             rw->sring->rsp_prod, before);
}

XTEST(blkhostile, 45)
{
    start_info_t *si = xt_start_info;
    char list[256], *p;
    unsigned int i, n = 0;
    domid_t other;
    const char *o;

    if ( si->flags & SIF_INITDOMAIN )
    {
        xt_error("booted as dom0: blkhostile is a domU of the pv-block "
                 "scenario only");
        return;
    }
    o = strstr((const char *)si->cmd_line, "other=");
    other = o ? (domid_t)simple_strtoull(o + 6, NULL, 10) : 32001;
    xt_traps_init();                    /* the event callback, too */
    xs = xt_mfn_to_virt(si->store_mfn);
    xs_port = si->store_evtchn;
    if ( !xs || !xs_port || !gnt_init() )
    {
        xt_error("no store ring (mfn %#lx port %u) or grant table",
                 (unsigned long)si->store_mfn, si->store_evtchn);
        return;
    }
    listen_on(xs_port);
    listen_on(si->console.domU.evtchn);
    xt_bind_virq(VIRQ_TIMER, no_op);
    xt_events_enable();
    for ( i = 0; i < NR_DATA; i++ )
        data[i] = xt_alloc_page();
    ind_page = xt_alloc_page();

    /* The disks: device/vbd/<id> for each, in the store's order. */
    memset(list, 0, sizeof(list));
    if ( xs_rpc(XS_DIRECTORY, "device/vbd", 11, NULL, 0, list,
                sizeof(list)) != XS_DIRECTORY )
        list[0] = '\0';
    for ( p = list; *p && n < 2; p += strlen(p) + 1 )
    {
        snprintf(disks[n].fe, sizeof(disks[n].fe), "device/vbd/%s", p);
        disks[n].devid = simple_strtoull(p, NULL, 10);
        n++;
    }
    for ( i = 0; i < n; i++ )
        if ( disk_connect(&disks[i], i) )
        {
            if ( disks[i].info & VDISK_READONLY )
                ro = ro ? ro : &disks[i];
            else
                rw = rw ? rw : &disks[i];
        }
    for ( i = 0; i < NR_DATA; i++ )        /* the backend's domain */
        grant(REF_DATA + i, rw ? rw->bdom : 0, data[i], false);
    grant(REF_IND, rw ? rw->bdom : 0, ind_page, true);
    xt_check("connect", rw && rw->sectors >= 64 && (!ro || ro != rw),
             "%u disks; rw %s sectors %lu indirect %u discard %d; ro %s "
             "info %#x", n, rw ? rw->be : "none",
             rw ? (unsigned long)rw->sectors : 0UL, rw ? rw->max_ind : 0,
             rw ? rw->discard : 0, ro ? ro->be : "none", ro ? ro->info : 0);
    if ( !rw )
    {
        xt_error("no read-write disk connected: nothing to test");
        return;
    }
    printf("blkhostile: requests\n");
    good_io();
    bad_ranges();
    bad_grants(other);
    bad_ops();
    readonly_disk();
    indirect();
    discards();
    after();
    corrupt_prod();
}
