/*
 * peer: an unprivileged PV domU that does event-channel and grant-table
 * work on its parent's command (protocol: peer.h).
 *
 * The parent (tests/guests/interdom, tests/guests/interbench) builds it
 * with libxbuild, talks to it over its console ring and judges what it
 * answers: the peer itself asserts nothing but that it served its
 * parent until "quit".  Booted directly as the initial domain
 * (SUITE=all) it only reports a SKIP.
 */
#include "xtpv.h"
#include "xtcons.h"
#include "smp.h"
#include "peer.h"

#include <public/grant_table.h>

#define PTE_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

static bool is_domu(void)
{
    return xt_start_info && !(xt_start_info->flags & SIF_INITDOMAIN);
}

/* ------------------------------------------------------------------ */
/* Event-channel primitives.                                          */

static bool take_pending(evtchn_port_t port)
{
    unsigned long bit = 1UL << (port % 64);

    return __atomic_fetch_and(&xt_shared_info->evtchn_pending[port / 64],
                              ~bit, __ATOMIC_SEQ_CST) & bit;
}

static void set_mask(evtchn_port_t port, bool masked)
{
    unsigned long bit = 1UL << (port % 64);

    if ( masked )
        __atomic_fetch_or(&xt_shared_info->evtchn_mask[port / 64], bit,
                          __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&xt_shared_info->evtchn_mask[port / 64], ~bit,
                           __ATOMIC_SEQ_CST);
}

static long send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* SCHEDOP_poll on one port; no timeout: the parent always answers. */
static void poll_forever(evtchn_port_t port)
{
    evtchn_port_t p = port;
    struct sched_poll sp = { .nr_ports = 1, .timeout = 0 };

    set_xen_guest_handle(sp.ports, &p);
    HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

/* ------------------------------------------------------------------ */
/* The console ring: output (replaces console_io) and command input.  */

static struct xt_cons_ring *cons;
static evtchn_port_t cons_port;

/* The ring page lies in the initial mapping: its VA from the M2P. */
static bool cons_init(void)
{
    uint64_t pfn;

    if ( cons )
        return true;
    pfn = xt_m2p[xt_start_info->console.domU.mfn];
    if ( pfn >= xt_start_info->nr_pages )
        return false;
    cons = (struct xt_cons_ring *)(XT_VIRT_BASE + (pfn << 12));
    cons_port = xt_start_info->console.domU.evtchn;
    return true;
}

void xt_console_write(const char *buf, size_t len)
{
    uint32_t prod;
    size_t i;

    if ( !is_domu() || !cons_init() )
    {
        HYPERVISOR_console_io(CONSOLEIO_write, len, buf);
        return;
    }
    prod = ACCESS_ONCE(cons->out_prod);
    for ( i = 0; i < len; i++ )
    {
        unsigned long tries = 0;

        /* Full: publish what we have and let the parent drain it. */
        while ( prod - ACCESS_ONCE(cons->out_cons) >= XT_CONS_OUT_SIZE )
        {
            ACCESS_ONCE(cons->out_prod) = prod;
            send(cons_port);
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( ++tries > 1000000 )
                return;
        }
        cons->out[XT_CONS_OUT_IDX(prod)] = buf[i];
        prod++;
    }
    barrier();
    ACCESS_ONCE(cons->out_prod) = prod;
    send(cons_port);
}

/* Next command line from the 'in' ring (waits as long as it takes). */
static void read_command(char *line, size_t size)
{
    size_t len = 0;

    for ( ; ; )
    {
        uint32_t c = ACCESS_ONCE(cons->in_cons);
        uint32_t p = ACCESS_ONCE(cons->in_prod);

        /* Clear before reading: a later notification is not lost. */
        take_pending(cons_port);
        barrier();
        while ( c != p )
        {
            char ch = cons->in[c & (XT_CONS_IN_SIZE - 1)];

            c++;
            if ( ch == '\n' )
            {
                line[len] = '\0';
                barrier();
                ACCESS_ONCE(cons->in_cons) = c;
                send(cons_port);
                return;
            }
            if ( len < size - 1 )
                line[len++] = ch;
        }
        barrier();
        ACCESS_ONCE(cons->in_cons) = c;
        if ( c == ACCESS_ONCE(cons->in_prod) )
            poll_forever(cons_port);
    }
}

/* ------------------------------------------------------------------ */
/* Grants.                                                             */

static grant_entry_v1_t *gt;
static uint64_t *ref_page[PEER_NR_REFS];

static long gnttab(unsigned int cmd, void *arg, unsigned int count)
{
    return HC(__HYPERVISOR_grant_table_op, cmd, arg, count, 0, 0);
}

/* Fill an entry the way a guest must: flags last. */
static void grant(grant_ref_t ref, domid_t to, uint64_t mfn, uint16_t flags)
{
    gt[ref].flags = 0;
    barrier();
    gt[ref].frame = (uint32_t)mfn;
    gt[ref].domid = to;
    barrier();
    __atomic_store_n(&gt[ref].flags, flags, __ATOMIC_RELEASE);
}

static void grant_page(grant_ref_t ref, domid_t to, uint16_t flags)
{
    uint64_t *page = xt_alloc_page();
    unsigned int i;

    for ( i = 0; i < 512; i++ )
        page[i] = peer_pattern(ref, i);
    ref_page[ref] = page;
    grant(ref, to, xt_virt_to_mfn(page), flags);
}

static void cmd_grants(void)
{
    gnttab_setup_table_t st = { .dom = DOMID_SELF, .nr_frames = 1 };
    gnttab_query_size_t q = { .dom = DOMID_SELF };
    xen_pfn_t frame = 0;
    unsigned int i;
    long rc;

    if ( gt )
    {
        printf(PEER_TAG "grants 0 0 0\n");
        return;
    }
    set_xen_guest_handle(st.frame_list, &frame);
    rc = gnttab(GNTTABOP_setup_table, &st, 1);
    if ( rc || st.status != GNTST_okay )
    {
        printf(PEER_TAG "grants %ld %d 0\n", rc ?: -1L, st.status);
        return;
    }
    gt = xt_map_mfn(frame, PTE_RW);
    if ( !gt )
    {
        printf(PEER_TAG "grants -1 0 0\n");
        return;
    }
    grant_page(PEER_REF_RW, 0, GTF_permit_access);
    grant_page(PEER_REF_RO, 0, GTF_permit_access | GTF_readonly);
    grant_page(PEER_REF_OTHER, PEER_OTHER_DOMID, GTF_permit_access);
    grant_page(PEER_REF_NOPERMIT, 0, GTF_readonly);
    grant_page(PEER_REF_COPY_DST, 0, GTF_permit_access);
    grant_page(PEER_REF_COPY_SRC, 0, GTF_permit_access | GTF_readonly);
    grant_page(PEER_REF_KEEP, 0, GTF_permit_access);
    for ( i = 0; i < PEER_NR_BENCH; i++ )
        grant_page(PEER_REF_BENCH + i, 0, GTF_permit_access | GTF_readonly);
    rc = gnttab(GNTTABOP_query_size, &q, 1);
    printf(PEER_TAG "grants %ld %d %u\n", rc, q.status, q.nr_frames);
}

/*
 * Version 2 (the gnttrans image): the first v2 command switches the
 * table (set_version 2; the v1 commands above are not used after it),
 * maps its first frame and its status frame.
 */
static grant_entry_v2_t *gt2;
static volatile grant_status_t *gt2_status;

static long v2_init(void)
{
    gnttab_set_version_t sv = { 2 };
    gnttab_setup_table_t st = { .dom = DOMID_SELF, .nr_frames = 1 };
    gnttab_get_status_frames_t gs = { .nr_frames = 1, .dom = DOMID_SELF };
    xen_pfn_t frame = 0;
    uint64_t status = 0;
    long rc;

    if ( gt2 )
        return 0;
    rc = gnttab(GNTTABOP_set_version, &sv, 1);
    if ( rc || sv.version != 2 )
        return rc ?: -1;
    set_xen_guest_handle(st.frame_list, &frame);
    set_xen_guest_handle(gs.frame_list, &status);
    if ( gnttab(GNTTABOP_setup_table, &st, 1) || st.status ||
         gnttab(GNTTABOP_get_status_frames, &gs, 1) || gs.status )
        return -2;
    gt2_status = xt_map_mfn(status, _PAGE_PRESENT | _PAGE_ACCESSED);
    gt2 = xt_map_mfn(frame, PTE_RW);
    return gt2 && gt2_status ? 0 : -3;
}

/* v2grant R F O L: entry R grants dom 0 a fresh page (flags F, bytes O..L). */
static long cmd_v2grant(unsigned long ref, unsigned long flags,
                        unsigned long off, unsigned long len)
{
    uint64_t *page;
    unsigned int i;
    long rc = v2_init();

    if ( rc )
        return rc;
    if ( ref >= PEER_NR_REFS || ref_page[ref] )
        return -4;
    page = xt_alloc_page();
    for ( i = 0; i < 512; i++ )
        page[i] = peer_pattern(ref, i);
    ref_page[ref] = page;
    gt2[ref].hdr.flags = 0;
    barrier();
    gt2[ref].hdr.domid = 0;
    gt2[ref].sub_page.page_off = off;
    gt2[ref].sub_page.length = len;
    gt2[ref].sub_page.frame = xt_virt_to_mfn(page);
    barrier();
    __atomic_store_n(&gt2[ref].hdr.flags, (uint16_t)flags, __ATOMIC_RELEASE);
    return 0;
}

/* v2trans R D G: entry R passes grant G of domain D on to dom 0. */
static long cmd_v2trans(unsigned long ref, unsigned long dom,
                        unsigned long gref)
{
    long rc = v2_init();

    if ( rc )
        return rc;
    if ( ref >= PAGE_SIZE / sizeof(*gt2) )
        return -4;
    gt2[ref].hdr.flags = 0;
    barrier();
    gt2[ref].hdr.domid = 0;
    gt2[ref].transitive.trans_domid = dom;
    gt2[ref].transitive.pad0 = 0;
    gt2[ref].transitive.gref = gref;
    barrier();
    __atomic_store_n(&gt2[ref].hdr.flags, (uint16_t)GTF_transitive,
                     __ATOMIC_RELEASE);
    return 0;
}

static bool ref_ok(unsigned long ref)
{
    return gt && ref < PEER_NR_REFS && ref_page[ref];
}

/* A page a "grants" or "v2grant" entry granted. */
static bool page_ok(unsigned long ref)
{
    return ref < PEER_NR_REFS && ref_page[ref];
}

/* Linux's way to end access: only while nobody reads or writes. */
static bool revoke(grant_ref_t ref)
{
    uint16_t f = __atomic_load_n(&gt[ref].flags, __ATOMIC_ACQUIRE);

    do {
        if ( f & (GTF_reading | GTF_writing) )
            return false;
    } while ( !__atomic_compare_exchange_n(&gt[ref].flags, &f, 0, false,
                                           __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE) );
    return true;
}

/*
 * Grants of other domains that the peer maps into its own address space
 * (host mappings at fresh VAs of the scratch window).  Nothing unmaps
 * them: the parent destroys the peer with the mappings in place.
 */
#define NR_GMAPS 4

static struct
{
    grant_handle_t handle;
    volatile uint64_t *page;
} gmaps[NR_GMAPS];
static unsigned int nr_gmaps;

static void cmd_gmap(domid_t dom, grant_ref_t ref)
{
    unsigned long va;
    gnttab_map_grant_ref_t m = { .flags = GNTMAP_host_map, .ref = ref,
                                 .dom = dom, .status = 99, .handle = ~0u };
    long rc;

    if ( nr_gmaps == NR_GMAPS )
    {
        printf(PEER_TAG "gmap -1 99 0\n");
        return;
    }
    va = xt_scratch_va();
    m.host_addr = va;
    rc = gnttab(GNTTABOP_map_grant_ref, &m, 1);
    if ( !rc && m.status == GNTST_okay )
    {
        xt_mmuext1(MMUEXT_INVLPG_LOCAL, va, 0);
        gmaps[nr_gmaps].handle = m.handle;
        gmaps[nr_gmaps].page = (volatile uint64_t *)va;
        nr_gmaps++;
    }
    printf(PEER_TAG "gmap %ld %d %u\n", rc, m.status, m.handle);
}

/* The page the peer mapped with 'handle', or NULL. */
static volatile uint64_t *gmap_page(unsigned long handle)
{
    unsigned int i;

    for ( i = 0; i < nr_gmaps; i++ )
        if ( gmaps[i].handle == handle )
            return gmaps[i].page;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Ping-pong.                                                          */

static volatile unsigned long ping_hits;

static void ping_handler(unsigned int port, struct xt_regs *regs)
{
    (void)port;
    (void)regs;
    ping_hits++;
}

/*
 * Answer n events on 'port'.  MODE 0: the port is unmasked and we sleep
 * in SCHEDOP_block with events masked while we look (block unmasks them
 * atomically, the upcall counts); MODE 1: the port stays masked and we
 * sleep in SCHEDOP_poll on it.
 */
static unsigned long ping(evtchn_port_t port, unsigned long n, bool block)
{
    unsigned long done = 0, seen = 0;

    take_pending(port);
    if ( block )
    {
        ping_hits = 0;
        xt_events_disable();
        xt_set_port_handler(port, ping_handler);
        set_mask(port, false);
    }
    printf(PEER_TAG "ping 0\n");
    for ( done = 0; done < n; done++ )
    {
        if ( block )
        {
            for ( ; ; )
            {
                xt_events_disable();
                if ( ping_hits != seen )
                    break;
                HYPERVISOR_sched_op(SCHEDOP_block, NULL);
            }
            seen = ping_hits;
        }
        else
        {
            while ( !take_pending(port) )
                poll_forever(port);
        }
        if ( send(port) )
            break;
    }
    if ( block )
    {
        set_mask(port, true);
        xt_set_port_handler(port, NULL);
        xt_events_disable();
    }
    return done;
}

/* ------------------------------------------------------------------ */
/* The command loop.                                                   */

/* Parse "verb n0 n1 ..." in place; returns the number of numbers. */
static unsigned int parse(char *line, char **verb, unsigned long *n,
                          unsigned int max)
{
    char *p = line;
    unsigned int k = 0;

    while ( *p == ' ' )
        p++;
    *verb = p;
    while ( *p && *p != ' ' )
        p++;
    while ( *p == ' ' )
        *p++ = '\0';
    while ( *p && k < max )
    {
        unsigned long v = 0, base = 10;

        if ( p[0] == '0' && p[1] == 'x' )
        {
            base = 16;
            p += 2;
        }
        for ( ; *p && *p != ' '; p++ )
        {
            unsigned int d = *p >= 'a' ? *p - 'a' + 10 : *p - '0';

            v = v * base + d;
        }
        n[k++] = v;
        while ( *p == ' ' )
            p++;
    }
    return k;
}

static void cmd_status(domid_t dom, evtchn_port_t port, const char *verb)
{
    struct evtchn_status st = { .dom = dom, .port = port };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);

    printf(PEER_TAG "%s %ld %u %u %u %u\n", verb, rc, st.status,
           st.u.interdomain.dom, st.u.interdomain.port, st.vcpu);
}

/* One command; false for "quit". */
static bool serve(char *line, unsigned int *bad)
{
    unsigned long n[4] = { 0 };
    char *verb;
    unsigned int k = parse(line, &verb, n, 4);
    long rc;

    if ( !strcmp(verb, "quit") )
        return false;
    if ( !strcmp(verb, "alloc") )
    {
        struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
                                           .remote_dom = 0 };

        rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
        printf(PEER_TAG "alloc %ld %u\n", rc, rc ? 0 : au.port);
    }
    else if ( !strcmp(verb, "bind") && k == 2 )
    {
        struct evtchn_bind_interdomain bi = { .remote_dom = n[0],
                                              .remote_port = n[1] };

        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
        printf(PEER_TAG "bind %ld %u\n", rc, rc ? 0 : bi.local_port);
    }
    else if ( !strcmp(verb, "status") && k == 1 )
        cmd_status(DOMID_SELF, n[0], verb);
    else if ( !strcmp(verb, "rstatus") && k == 2 )
        cmd_status(n[0], n[1], verb);
    else if ( !strcmp(verb, "close") && k == 1 )
    {
        struct evtchn_close cl = { .port = n[0] };

        printf(PEER_TAG "close %ld\n",
               HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl));
    }
    else if ( !strcmp(verb, "send") && k == 1 )
        printf(PEER_TAG "send %ld\n", send(n[0]));
    else if ( !strcmp(verb, "pending") && k == 1 && n[0] < 4096 )
        printf(PEER_TAG "pending %d\n", take_pending(n[0]));
    else if ( !strcmp(verb, "ping") && k == 3 && n[0] < 4096 )
        printf(PEER_TAG "pingdone %lu\n", ping(n[0], n[1], n[2] == 0));
    else if ( !strcmp(verb, "grants") )
        cmd_grants();
    else if ( !strcmp(verb, "flags") && k == 1 && ref_ok(n[0]) )
        printf(PEER_TAG "flags %#x\n",
               __atomic_load_n(&gt[n[0]].flags, __ATOMIC_ACQUIRE));
    else if ( !strcmp(verb, "revoke") && k == 1 && ref_ok(n[0]) )
    {
        bool ok = revoke(n[0]);

        printf(PEER_TAG "revoke %d %#x\n", ok, gt[n[0]].flags);
    }
    else if ( !strcmp(verb, "clear") && k == 1 && ref_ok(n[0]) )
        printf(PEER_TAG "clear %#x\n",
               __atomic_exchange_n(&gt[n[0]].flags, 0, __ATOMIC_ACQ_REL));
    else if ( !strcmp(verb, "peek") && k == 2 && page_ok(n[0]) )
        printf(PEER_TAG "peek %#lx\n",
               ((volatile uint64_t *)ref_page[n[0]])[n[1] & 511]);
    else if ( !strcmp(verb, "sum") && k == 1 && page_ok(n[0]) )
        printf(PEER_TAG "sum %#lx\n", peer_sum(ref_page[n[0]]));
    else if ( !strcmp(verb, "gmap") && k == 2 )
        cmd_gmap(n[0], n[1]);
    else if ( !strcmp(verb, "v2grant") && k == 4 )
        printf(PEER_TAG "v2grant %ld\n", cmd_v2grant(n[0], n[1], n[2], n[3]));
    else if ( !strcmp(verb, "v2trans") && k == 3 )
        printf(PEER_TAG "v2trans %ld\n", cmd_v2trans(n[0], n[1], n[2]));
    else if ( !strcmp(verb, "v2status") && k == 1 && gt2 &&
              n[0] < PAGE_SIZE / sizeof(*gt2) )
        printf(PEER_TAG "v2status %u\n", gt2_status[n[0]]);
    else if ( !strcmp(verb, "gpoke") && k == 3 && gmap_page(n[0]) )
    {
        gmap_page(n[0])[n[1] & 511] = n[2];
        printf(PEER_TAG "gpoke 0\n");
    }
    else if ( !strcmp(verb, "gpeek") && k == 2 && gmap_page(n[0]) )
        printf(PEER_TAG "gpeek %#lx\n", gmap_page(n[0])[n[1] & 511]);
    else
    {
        printf(PEER_TAG "error -1\n");
        (*bad)++;
    }
    return true;
}

XTEST(peer, PEER_NR_CHECKS)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    static char line[128];
    unsigned int served = 0, bad = 0, w;
    long rc;

    if ( !is_domu() || !cons_init() )
    {
        xt_skip("served", "the peer runs as a domU of interdom/interbench");
        return;
    }
    xt_traps_init();
    /* Every port masked: only the ping port is ever unmasked. */
    for ( w = 0; w < ARRAY_SIZE(xt_shared_info->evtchn_mask); w++ )
        xt_shared_info->evtchn_mask[w] = ~0UL;

    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    printf(PEER_TAG "ready %ld %u\n", rc, rc ? 0 : au.port);

    for ( ; ; )
    {
        read_command(line, sizeof(line));
        if ( !serve(line, &bad) )
            break;
        served++;
    }
    xt_check("served", served > 0 && bad == 0, "%u commands, %u bad",
             served, bad);
}
