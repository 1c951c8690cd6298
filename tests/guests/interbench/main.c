/*
 * interbench: what two domains cost each other, measured in the initial
 * domain with the TSC (make bench; never a timed assertion).  The other
 * domain is the peer kernel (tests/guests/peer), built with libxbuild.
 * Each figure is printed as "BENCH: <name> <value> <unit>" and has one
 * check that says the measurement ran:
 *   evtchn_roundtrip_interdomain  ns per event-channel round trip (we
 *                                 send, the peer polls and answers, we
 *                                 poll), median of PING_N after a
 *                                 warm-up
 *   grant_copy_4k                 MB/s (10^6 bytes) of GNTTABOP_copy from
 *                                 the peer's read-only grants into our
 *                                 pages, 4 KiB each, 16 per hypercall
 *   domain_create_to_first_line   ms from the start of the build to the
 *                                 peer's first complete console line
 *                                 (build, connect, unpause, its boot)
 *   domain_destroy                ms of XEN_DOMCTL_destroydomain on the
 *                                 running peer
 * The two domain figures are medians of NR_CYCLES cycles.
 */
#include "ctl.h"

#define NR_CYCLES     5
#define PING_WARM     100
#define PING_N        2000
#define COPY_BATCH    PEER_NR_BENCH
#define COPY_WARM     4
#define COPY_ROUNDS   64

static struct peer peer;

/* A figure given in thousandths of its unit, printed with 3 decimals. */
static void bench_line(const char *name, uint64_t milli, const char *unit)
{
    printf("BENCH: %s %lu.%03lu %s\n", name, (unsigned long)(milli / 1000),
           (unsigned long)(milli % 1000), unit);
    xt_check(name, milli > 0, "%lu.%03lu %s", (unsigned long)(milli / 1000),
             (unsigned long)(milli % 1000), unit);
}

static uint64_t median(uint64_t *v, unsigned int n)
{
    unsigned int i, j;

    for ( i = 1; i < n; i++ )
        for ( j = i; j > 0 && v[j - 1] > v[j]; j-- )
        {
            uint64_t t = v[j];

            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

/* Build, unpause and wait for "ready"; false (and nothing left) if not. */
static bool peer_up(void)
{
    long rc = peer_build(&peer, "");

    if ( !rc )
        rc = peer_unpause(&peer);
    if ( !rc && peer_wait_answer(&peer, "ready") )
        return true;
    printf("interbench: peer not up (rc %ld)\n", rc);
    if ( peer.dom != DOMID_INVALID )
        peer_destroy(&peer);
    return false;
}

static void peer_down(void)
{
    domid_t d = peer.dom;

    if ( d == DOMID_INVALID )
        return;
    peer_destroy(&peer);
    xbh_wait_gone(d, -1, ctl_virq_port);
}

/* ---- create -> first line, destroy ---- */

static void lifecycle(void)
{
    uint64_t create[NR_CYCLES], destroy[NR_CYCLES], t0, t1;
    unsigned int n;
    domid_t d;

    for ( n = 0; n < NR_CYCLES; n++ )
    {
        bool ok;

        t0 = rdtsc();
        ok = peer_build(&peer, "") == 0 && peer_unpause(&peer) == 0 &&
            peer_wait_lines(&peer, 1);
        t1 = rdtsc();
        if ( !ok )
            break;
        create[n] = ctl_ns(t1 - t0);
        d = peer.dom;
        peer_disconnect(&peer, false);
        t0 = rdtsc();
        ok = xb_destroy(&ctl_ops, d) == 0;
        t1 = rdtsc();
        peer.dom = DOMID_INVALID;
        if ( !ok )
            break;
        destroy[n] = ctl_ns(t1 - t0);
        xbh_wait_gone(d, -1, ctl_virq_port);
    }
    if ( n < NR_CYCLES )
    {
        peer_down();
        xt_check("domain_create_to_first_line", false, "cycle %u failed", n);
        xt_check("domain_destroy", false, "cycle %u failed", n);
        return;
    }
    /* ns -> thousandths of ms */
    bench_line("domain_create_to_first_line",
               median(create, NR_CYCLES) / 1000, "ms");
    bench_line("domain_destroy", median(destroy, NR_CYCLES) / 1000, "ms");
}

/* ---- event-channel round trips ---- */

static uint64_t rt_ns[PING_N];

/*
 * n round trips on our port, each timed; true if all completed.  The
 * figure is the median: under TCG on a loaded host a vCPU thread that
 * waits for the host scheduler can stall a few round trips for
 * milliseconds, which would dominate a mean.
 */
static bool round_trips(evtchn_port_t mine, evtchn_port_t theirs,
                        unsigned long n)
{
    uint64_t t0;
    unsigned long i, k;

    if ( !peer_cmd(&peer, "ping", "ping %u %lu 1", theirs, n) ||
         peer.val[0] != 0 )
        return false;
    xbh_take_pending(mine);
    for ( i = 0; i < n; i++ )
    {
        t0 = rdtsc();
        ctl_send(mine);
        for ( k = 0; k < CTL_MAX_POLLS && !xbh_take_pending(mine); k++ )
            xbh_poll1(mine, CTL_POLL_NS);
        if ( k == CTL_MAX_POLLS )
            return false;
        rt_ns[i] = ctl_ns((rdtsc() - t0) * 1000);   /* thousandths */
    }
    return peer_wait_answer(&peer, "pingdone") &&
        (unsigned long)peer.val[0] == n;
}

static void evtchn_bench(void)
{
    evtchn_port_t mine = 0, theirs;
    bool ok;

    ok = ctl_alloc_unbound(peer.dom, &mine) == 0 &&
        peer_cmd(&peer, "bind", "bind 0 %u", mine) && peer.val[0] == 0;
    theirs = ok ? peer.val[1] : 0;
    ok = ok && round_trips(mine, theirs, PING_WARM) &&
        round_trips(mine, theirs, PING_N);
    if ( mine )
        xbh_close(mine);
    if ( !ok )
    {
        xt_check("evtchn_roundtrip_interdomain", false, "ping-pong failed");
        return;
    }
    bench_line("evtchn_roundtrip_interdomain", median(rt_ns, PING_N), "ns");
}

/* ---- grant copies ---- */

static gnttab_copy_t copies[COPY_BATCH];

static void copy_bench(void)
{
    uint64_t t0, cycles, bytes, ns;
    unsigned int i, r;
    long rc = -1;

    t0 = rdtsc();
    if ( !peer_cmd(&peer, "grants", "grants") || peer.val[0] != 0 )
    {
        xt_check("grant_copy_4k", false, "no grants");
        return;
    }
    for ( i = 0; i < COPY_BATCH; i++ )
        copies[i] = (gnttab_copy_t){
            .source = { .u.ref = PEER_REF_BENCH + i, .domid = peer.dom },
            .dest = { .u.gmfn = xt_virt_to_mfn(xt_alloc_page()),
                      .domid = DOMID_SELF },
            .len = PAGE_SIZE, .flags = GNTCOPY_source_gref };

    for ( r = 0; r < COPY_WARM + COPY_ROUNDS; r++ )
    {
        if ( r == COPY_WARM )
            t0 = rdtsc();
        rc = ctl_gnttab(GNTTABOP_copy, copies, COPY_BATCH);
        for ( i = 0; !rc && i < COPY_BATCH; i++ )
            if ( copies[i].status != GNTST_okay )
                rc = copies[i].status;
        if ( rc )
            break;
    }
    cycles = rdtsc() - t0;
    if ( rc )
    {
        xt_check("grant_copy_4k", false, "copy failed: %ld", rc);
        return;
    }
    bytes = (uint64_t)COPY_ROUNDS * COPY_BATCH * PAGE_SIZE;
    ns = ctl_ns(cycles);
    /* bytes/ns * 1000 = MB/s; in thousandths */
    bench_line("grant_copy_4k", ns ? bytes * 1000000 / ns : 0, "MB/s");
}

XTEST(interbench, 4)
{
    ctl_init();
    ctl_echo = false;       /* console output would be timed too */
    lifecycle();
    if ( !peer_up() )
    {
        xt_check("evtchn_roundtrip_interdomain", false, "no peer");
        xt_check("grant_copy_4k", false, "no peer");
        return;
    }
    evtchn_bench();
    copy_bench();
    peer_down();
}
