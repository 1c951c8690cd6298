/*
 * fuzz: random hypercalls from an unprivileged domU must not hurt
 * anybody else.
 *
 * Each round the initial domain builds, with dom0-tools/libxbuild, the
 * fuzzchild image (embedded below) twice: a witness, which does
 * ordinary work and checks its own memory, and a fuzzer, which makes
 * 'calls' random hypercalls from a seed (see ../fuzzchild/fuzz.h).  It
 * relays both consoles, follows the fuzzer through its status page
 * until it shuts down, then checks what must hold whatever the fuzzer
 * did to itself: every hypercall returned with the callee-saved
 * registers intact, the witness still makes progress and reports its
 * memory and hypercalls intact, dom0 still works (hypercalls, an event
 * channel loopback, a page the fuzzer was told about unchanged), both
 * domains can be destroyed and are gone, and the free memory (physinfo
 * free_pages) is back to what it was before the round.  A fuzzer that
 * crashed is fine: that is its own business.
 *
 * The hypervisor may keep a page the first time something happens (Xen
 * 4.17 does): warm-up rounds without calls come first, and a round
 * whose pages do not all come back is replayed with the same seed; only
 * a loss that happens again fails.
 *
 * Command line (all optional):
 *   fuzz_seed=<hex>   seed of round 0 (default: from the TSC; printed)
 *   fuzz_calls=<n>    calls per round (default 5000)
 *   fuzz_rounds=<n>   rounds (default 1, unlimited with fuzz_secs)
 *   fuzz_secs=<n>     keep starting rounds until n seconds have passed
 *   fuzz_risk=<n>     per mille of calls that may aim at the fuzzer's own
 *                     live memory (default 0)
 *   fuzz_trace=<k>    the fuzzer prints each call from call k on
 *   fuzz_check=1      the fuzzer checks its own protected state after
 *                     every call and stops at the first damage
 *   fuzz_shapes=<m>   optional shapes (default 0): 1 huge counts, 2
 *                     linear page tables, 4 debug registers, 8 the
 *                     witness's round trips with us, judged by
 *                     witness_responsive (skipped without 8), 16 the
 *                     fuzzer's second vCPU fuzzing at the same time
 *                     (fuzzchild/partner.c), judged by partner_fuzzed
 *                     (skipped without 16)
 * Round r runs with seed + r * 0x9e3779b97f4a7c15; to replay it alone,
 * pass that as fuzz_seed with fuzz_rounds=1.
 *
 * Waiting is bounded: SCHEDOP_poll with a short timeout paces the loops;
 * a fuzzer whose progress (calls, phase, console) stops for FZ_STALL_NS
 * of system time is a stall (a guard against hangs, not a timing
 * assertion).
 */
#include "xtpv.h"
#include "xtcons.h"
#include "../fuzzchild/fuzz.h"
#include "xbops.h"
#include "dom0.h"

#include <public/memory.h>
#include <public/version.h>
#include <public/grant_table.h>

/* The fuzzchild image, 4 KiB aligned (xb_elf_parse reads in place). */
asm ( ".pushsection .rodata.fuzzchild_elf, \"a\", @progbits\n\t"
      ".balign 4096\n"
      "fuzzchild_elf_start:\n\t"
      ".incbin \"" FUZZCHILD_ELF "\"\n"
      "fuzzchild_elf_end:\n\t"
      ".popsection" );
extern const uint8_t fuzzchild_elf_start[], fuzzchild_elf_end[];

#define FUZZER_MEM_KB   8192
#define WITNESS_MEM_KB  6144
#define DEFAULT_CALLS   5000
#define POLL_NS         10000000UL       /* 10 ms: pacing only */
#define MAX_POLLS       3000UL          /* bound on every wait */
#define FZ_STALL_NS     (60UL * 1000000000UL)
/* No progress this long with every vCPU blocked: asleep for good. */
#define FZ_SLEEP_NS     (10UL * 1000000000UL)
#define NOTE_NS         (5UL * 1000000000UL)   /* a progress line */
#define FIRST_DOMID     100
#define SEED_STEP       0x9e3779b97f4a7c15UL

#define NR_FUZZ_CHECKS  12

/* ------------------------------------------------------------------ */
/* Foreign mappings: PTEs of our scratch window.                       */

enum { SLOT_BUILDER, SLOT_FZ_RING, SLOT_FZ_STATUS, SLOT_WT_RING,
       SLOT_WT_STATUS, SLOT_CANARY, NR_SLOTS };
static struct xbh_slot slots[NR_SLOTS];

/* ------------------------------------------------------------------ */
/* The builder's ops: xbhost/xbops.c, and our foreign mappings.       */

static void *op_map(void *o, domid_t dom, xen_pfn_t mfn)
{
    (void)o;
    return xbh_slot_map(&slots[SLOT_BUILDER], dom, mfn, true);
}

static void op_unmap(void *o, void *va)
{
    (void)o;
    (void)va;
    xbh_slot_unmap(&slots[SLOT_BUILDER]);
}

static const struct xb_ops ops = {
    XBH_HYPERCALL_OPS,
    .map_foreign = op_map, .unmap_foreign = op_unmap,
};

/* ------------------------------------------------------------------ */
/* Events and waiting.                                                 */

static evtchn_port_t virq_port;

static void pause_a_little(void)
{
    xbh_poll(&virq_port, 1, POLL_NS);
    xbh_take_pending(virq_port);
}

static void close_port(evtchn_port_t port)
{
    if ( port )
        xbh_close(port);
}

/* ------------------------------------------------------------------ */
/* A child: its build, console and status page.                        */

struct kid
{
    const char *tag;                   /* "fz" or "wt" in relayed lines */
    unsigned int ring_slot, status_slot;
    unsigned int mem_kb, vcpus;
    xen_pfn_t *p2m;
    size_t p2m_entries;
    struct xb_domain out;
    domid_t domid;
    bool built, running;
    evtchn_port_t cons_port, store_port;
    struct xt_cons_ring *ring;
    volatile struct fz_status *st;
    char line[256];
    size_t len;
    bool status_seen, verdict_seen;
    unsigned long status_va;
    char verdict[16];
    unsigned int nr_pass, nr_fail;
    char first_fail[160];
};

static xen_pfn_t fz_p2m[FUZZER_MEM_KB / 4];
static xen_pfn_t wt_p2m[WITNESS_MEM_KB / 4];
static struct kid fuzzer = {
    .tag = "fz", .ring_slot = SLOT_FZ_RING, .status_slot = SLOT_FZ_STATUS,
    .mem_kb = FUZZER_MEM_KB, .vcpus = 2,
    .p2m = fz_p2m, .p2m_entries = ARRAY_SIZE(fz_p2m),
};
static struct kid witness = {
    .tag = "wt", .ring_slot = SLOT_WT_RING, .status_slot = SLOT_WT_STATUS,
    .mem_kb = WITNESS_MEM_KB, .vcpus = 1,
    .p2m = wt_p2m, .p2m_entries = ARRAY_SIZE(wt_p2m),
};

static void kid_reset(struct kid *k)
{
    memset(&k->out, 0, sizeof(k->out));
    k->domid = DOMID_INVALID;
    k->built = k->running = false;
    k->cons_port = k->store_port = 0;
    k->ring = NULL;
    k->st = NULL;
    k->len = 0;
    k->status_seen = k->verdict_seen = false;
    k->verdict[0] = '\0';
    k->nr_pass = k->nr_fail = 0;
    k->first_fail[0] = '\0';
}

static unsigned long parse_hex(const char *p)
{
    unsigned long v = 0;

    if ( p[0] == '0' && p[1] == 'x' )
        p += 2;
    for ( ; ; p++ )
    {
        if ( *p >= '0' && *p <= '9' )
            v = v * 16 + (*p - '0');
        else if ( *p >= 'a' && *p <= 'f' )
            v = v * 16 + (*p - 'a' + 10);
        else
            return v;
    }
}

/* Map the status page the child announced (its VA -> PFN -> MFN). */
static void kid_map_status(struct kid *k)
{
    uint64_t pfn = (k->status_va - XT_VIRT_BASE) >> 12;
    volatile struct fz_status *st;

    if ( k->status_va < XT_VIRT_BASE || pfn >= k->out.nr_pages )
        return;
    st = xbh_slot_map(&slots[k->status_slot], k->domid, k->p2m[pfn], true);
    if ( st && st->magic == FZ_MAGIC )
        k->st = st;
}

static void kid_line(struct kid *k)
{
    static const char tag[] = FZ_STATUS_TAG;
    char *l = k->line;

    k->line[k->len] = '\0';
    k->len = 0;
    printf("%s| %s\n", k->tag, l);
    if ( !strncmp(l, "RESULT: ", 8) )
    {
        const char *status = strstr(l + 8, " ");

        if ( status && !strncmp(status + 1, "FAIL", 4) )
        {
            if ( !k->nr_fail++ )
                snprintf(k->first_fail, sizeof(k->first_fail), "%s",
                         l + 8);
        }
        else if ( status && !strncmp(status + 1, "PASS", 4) )
            k->nr_pass++;
    }
    else if ( !strncmp(l, "Test result: ", 13) )
    {
        snprintf(k->verdict, sizeof(k->verdict), "%s", l + 13);
        k->verdict_seen = true;
    }
    else if ( !strncmp(l, tag, sizeof(tag) - 1) )
    {
        k->status_va = parse_hex(l + sizeof(tag) - 1);
        k->status_seen = true;
        kid_map_status(k);
    }
}

/* Consume what the child wrote; notify it if we freed space. */
static void kid_pump(struct kid *k)
{
    volatile struct xt_cons_ring *r = k->ring;
    uint32_t cons, prod;
    struct evtchn_send s = { .port = k->cons_port };

    if ( !r )
        return;
    xbh_take_pending(k->cons_port);
    cons = r->out_cons;
    prod = r->out_prod;
    barrier();
    if ( prod - cons > XT_CONS_OUT_SIZE )     /* nonsense: resynchronise */
        cons = prod - XT_CONS_OUT_SIZE;
    if ( cons == prod )
        return;
    while ( cons != prod )
    {
        char ch = r->out[XT_CONS_OUT_IDX(cons)];

        cons++;
        if ( ch == '\r' )
            continue;
        if ( ch == '\n' || k->len == sizeof(k->line) - 1 )
            kid_line(k);
        if ( ch != '\n' )
            k->line[k->len++] = ch;
    }
    barrier();
    r->out_cons = cons;
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/*
 * The witness's round trips (FZ_ECHO_* in fuzz.h): bind its echo port
 * once it publishes one, answer every event on it.
 */
static evtchn_port_t echo_local;
static uint64_t nr_echoed;

static void echo_pump(void)
{
    struct evtchn_send s;

    if ( !echo_local && witness.st && witness.st->echo_port &&
         xbh_bind(witness.domid, witness.st->echo_port, &echo_local) )
        echo_local = 0;
    if ( echo_local && xbh_take_pending(echo_local) )
    {
        s.port = echo_local;
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        nr_echoed++;
    }
}

static void echo_close(void)
{
    if ( echo_local )
        xbh_close(echo_local);
    echo_local = 0;
}

static void pump_all(void)
{
    kid_pump(&fuzzer);
    kid_pump(&witness);
}

/* One paced step of a wait: sleep until a console or VIRQ_DOM_EXC. */
static void wait_step(void)
{
    evtchn_port_t ports[4];
    unsigned int n = 0;

    echo_pump();
    ports[n++] = virq_port;
    if ( echo_local )
        ports[n++] = echo_local;
    if ( fuzzer.cons_port )
        ports[n++] = fuzzer.cons_port;
    if ( witness.cons_port )
        ports[n++] = witness.cons_port;
    xbh_poll(ports, n, POLL_NS);
    xbh_take_pending(virq_port);
    pump_all();
    echo_pump();
}

/* Pump until *flag (bounded). */
static bool kid_wait(const bool *flag)
{
    unsigned long i;

    for ( i = 0; i < MAX_POLLS && !*flag; i++ )
        wait_step();
    return *flag;
}

/* Shut down?  *reason gets the reason. */
static bool kid_down(struct kid *k, unsigned int *reason)
{
    struct xen_domctl_getdomaininfo di;

    if ( xb_getdomaininfo(&ops, k->domid, &di) || di.domain != k->domid )
    {
        *reason = ~0U;
        return true;                   /* gone altogether */
    }
    *reason = xb_shutdown_reason(&di);
    return di.flags & XEN_DOMINF_shutdown;
}

static uint8_t canary[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* Build, connect and start a child; 0 or the failing step's error. */
static long kid_start(struct kid *k, domid_t domid, const char *cmdline)
{
    struct xb_config cfg;
    long rc;
    unsigned int i;

    kid_reset(k);
    memset(&cfg, 0, sizeof(cfg));
    cfg.kernel = fuzzchild_elf_start;
    cfg.kernel_size = fuzzchild_elf_end - fuzzchild_elf_start;
    cfg.cmdline = cmdline;
    cfg.mem_kb = k->mem_kb;
    cfg.max_vcpus = k->vcpus;
    cfg.backend_domid = 0;
    cfg.domid = domid;
    cfg.p2m = k->p2m;
    cfg.p2m_entries = k->p2m_entries;
    for ( i = 0; i < sizeof(cfg.handle); i++ )
        cfg.handle[i] = 0xf0 + i;
    rc = xb_build_pv(&ops, &cfg, &k->out);
    if ( rc )
    {
        printf("fuzz: building %s d%u failed: %ld (%s %ld)\n", k->tag, domid,
               rc, k->out.failed_step ?: "-", k->out.failed_rc);
        return rc;
    }
    k->domid = k->out.domid;
    k->built = true;
    rc = xbh_bind(k->domid, k->out.console_evtchn, &k->cons_port);
    if ( !rc )
        rc = xbh_bind(k->domid, k->out.store_evtchn, &k->store_port);
    k->ring = rc ? NULL : xbh_slot_map(&slots[k->ring_slot], k->domid,
                                       k->out.console_mfn, true);
    if ( !rc && !k->ring )
        rc = -XEN_EFAULT;
    if ( !rc )
        rc = xb_unpause(&ops, k->domid);
    if ( rc )
    {
        printf("fuzz: starting %s d%u failed: %ld\n", k->tag, k->domid, rc);
        return rc;
    }
    k->running = true;
    if ( !kid_wait(&k->status_seen) || !k->st )
    {
        printf("fuzz: %s d%u published no status page\n", k->tag, k->domid);
        return -XEN_ETIMEDOUT;
    }
    return 0;
}

/* Destroy a child; true if it is gone afterwards. */
static bool kid_destroy(struct kid *k)
{
    long rc = 0;
    bool gone;

    pump_all();
    if ( k == &witness )
        echo_close();
    xbh_slot_unmap(&slots[k->ring_slot]);
    xbh_slot_unmap(&slots[k->status_slot]);
    k->ring = NULL;
    k->st = NULL;
    if ( !k->built )
        return true;
    rc = xb_destroy(&ops, k->domid);
    gone = rc == 0 && xbh_wait_gone(k->domid, -1, virq_port);
    close_port(k->cons_port);
    close_port(k->store_port);
    k->cons_port = k->store_port = 0;
    k->built = false;
    if ( !gone )
        printf("fuzz: destroying %s d%u: rc %ld, %s\n", k->tag, k->domid, rc,
               gone ? "gone" : "still there");
    return gone;
}

/* ------------------------------------------------------------------ */
/* What must hold after a round.                                       */

static uint64_t canary_value(unsigned int i)
{
    return (i + 1) * 0xc2b2ae3d27d4eb4fUL ^ 0xca4a41ca4a41ca4aUL;
}

static bool canary_intact(void)
{
    const uint64_t *c = (const uint64_t *)canary;
    unsigned int i;

    for ( i = 0; i < PAGE_SIZE / 8; i++ )
        if ( c[i] != canary_value(i) )
            return false;
    return true;
}

/* dom0 still works: fills why[] with the first thing that did not. */
static bool dom0_alive(char *why, size_t len)
{
    struct xen_sysctl_physinfo pi;
    struct xen_domctl_getdomaininfo di;
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
                                       .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };
    struct evtchn_send s;
    struct gnttab_query_size qs = { .dom = DOMID_SELF };
    volatile uint64_t *m;
    long rc;
    bool pending;

    rc = HYPERVISOR_xen_version(XENVER_version, NULL);
    if ( rc <= 0 )
        return snprintf(why, len, "xen_version rc %ld", rc), false;
    rc = xb_physinfo(&ops, &pi);
    if ( rc || !pi.free_pages )
        return snprintf(why, len, "physinfo rc %ld", rc), false;
    rc = xb_getdomaininfo(&ops, 0, &di);
    if ( rc || di.domain != 0 || (di.flags & (XEN_DOMINF_dying |
                                              XEN_DOMINF_shutdown)) )
        return snprintf(why, len, "getdomaininfo(0) rc %ld flags %#x", rc,
                        di.flags), false;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    if ( !rc )
    {
        xbh_mask(au.port);
        bi.remote_port = au.port;
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
    }
    if ( !rc )
    {
        xbh_mask(bi.local_port);
        xbh_take_pending(au.port);
        s.port = bi.local_port;
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    }
    pending = rc == 0 && xbh_take_pending(au.port);
    close_port(bi.local_port);
    close_port(au.port);
    if ( !pending )
        return snprintf(why, len, "event channel loopback rc %ld", rc),
               false;
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &qs, 1, 0, 0);
    if ( rc || qs.status )
        return snprintf(why, len, "grant query_size rc %ld status %d", rc,
                        qs.status), false;
    if ( !canary_intact() )
        return snprintf(why, len, "canary page changed"), false;
    m = xbh_slot_map(&slots[SLOT_CANARY], DOMID_SELF, xt_virt_to_mfn(canary),
                     false);
    rc = m ? (long)(m[7] == canary_value(7)) : -1;
    xbh_slot_unmap(&slots[SLOT_CANARY]);
    if ( rc != 1 )
        return snprintf(why, len, "mapping own canary page: %ld", rc), false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Rounds.                                                             */

struct options
{
    uint64_t seed, calls, rounds, secs, risk, trace, check, echo, shapes;
    bool seed_given;
};

/* A round's verdicts: one per check, with the first reason. */
enum
{
    C_BUILD_WITNESS, C_BUILD_FUZZER, C_FUZZER_RAN, C_REGISTERS,
    C_WITNESS_ALIVE, C_WITNESS_INTACT, C_DOM0_ALIVE, C_DESTROYED,
    C_FREE_PAGES, C_NO_DOMAINS_LEFT, C_WITNESS_RESPONSIVE, C_PARTNER,
    NR_C
};
static const char *const check_name[NR_C] = {
    "build_witness", "build_fuzzer", "fuzzer_ran", "hypercall_registers",
    "witness_alive", "witness_intact", "dom0_alive", "children_destroyed",
    "free_pages_restored", "no_domains_left", "witness_responsive",
    "partner_fuzzed",
};
static bool failed[NR_C];
static char why[NR_C][160];
static int baseline_domains;
static uint64_t total_calls, nr_completed, nr_crashed, nr_selffailed;
static uint64_t total_partner;

static void fail(unsigned int c, uint64_t seed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(unsigned int c, uint64_t seed, const char *fmt, ...)
{
    char msg[120];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("fuzz: FAILED %s (seed %#lx): %s\n", check_name[c],
           (unsigned long)seed, msg);
    if ( failed[c] )
        return;
    failed[c] = true;
    snprintf(why[c], sizeof(why[c]), "seed %#lx: %s", (unsigned long)seed,
             msg);
}

static void print_last_call(const struct kid *k)
{
    volatile const struct fz_status *st = k->st;
    struct xen_domctl_getdomaininfo di = { 0 };
    struct xen_domctl_getvcpuinfo vi[2] = { { 0 } };
    unsigned int v;

    xb_getdomaininfo(&ops, k->domid, &di);
    for ( v = 0; v < 2; v++ )
        xb_getvcpuinfo(&ops, k->domid, v, &vi[v]);
    printf("fuzz: fuzzer d%u: flags %#x tot_pages %lu, vcpu0 online %u "
           "blocked %u running %u, vcpu1 online %u blocked %u running %u, "
           "ring %u/%u, phase %lu\n", k->domid, di.flags,
           (unsigned long)di.tot_pages, vi[0].online, vi[0].blocked,
           vi[0].running, vi[1].online, vi[1].blocked, vi[1].running,
           k->ring ? k->ring->out_cons : 0, k->ring ? k->ring->out_prod : 0,
           st ? (unsigned long)st->phase : 0);
    if ( !st )
        return;
    if ( st->magic != FZ_MAGIC )
    {
        const volatile uint64_t *w = (const volatile uint64_t *)st;

        printf("fuzz: the fuzzer's status page was overwritten: %#lx %#lx "
               "%#lx %#lx %#lx %#lx %#lx %#lx\n", (unsigned long)w[0],
               (unsigned long)w[1], (unsigned long)w[2], (unsigned long)w[3],
               (unsigned long)w[4], (unsigned long)w[5], (unsigned long)w[6],
               (unsigned long)w[7]);
        return;
    }
    printf("fuzz: fuzzer d%u: %lu of %lu calls returned; in flight: ",
           k->domid, (unsigned long)st->done, (unsigned long)st->planned);
    if ( st->cur_nr == FZ_IDLE )
        printf("none\n");
    else
        printf("call %lu, hypercall %lu (%#lx %#lx %#lx %#lx %#lx) "
               "multicall ops %ld %ld %ld %ld\n",
               (unsigned long)st->cur_index, (unsigned long)st->cur_nr,
               (unsigned long)st->cur_args[0], (unsigned long)st->cur_args[1],
               (unsigned long)st->cur_args[2], (unsigned long)st->cur_args[3],
               (unsigned long)st->cur_args[4], (long)st->cur_sub[0],
               (long)st->cur_sub[1], (long)st->cur_sub[2],
               (long)st->cur_sub[3]);
}

static char cmdline_buf[MAX_GUEST_CMDLINE];

static void fuzzer_cmdline(const struct options *o, uint64_t seed,
                           uint64_t calls, domid_t self, bool stats)
{
    uint64_t wst = 0, pfn = (witness.status_va - XT_VIRT_BASE) >> 12;

    if ( pfn < witness.out.nr_pages )
        wst = wt_p2m[pfn];
    snprintf(cmdline_buf, sizeof(cmdline_buf),
             "mode=fuzz seed=%#lx calls=%lu progress=%lu self=%u "
             "witness=%u wmfn=%lx:%lx:%lx:%lx dmfn=%lx:%lx:%lx:%lx "
             "risk=%lu trace=%lu check=%lu stats=%u shapes=%lu",
             (unsigned long)seed, (unsigned long)calls,
             (unsigned long)(calls >= 5000 ? calls / 10 : 500),
             self, witness.domid, (unsigned long)wst,
             (unsigned long)witness.out.l4_mfn,
             (unsigned long)witness.out.start_info_mfn,
             (unsigned long)witness.out.console_mfn,
             (unsigned long)xt_virt_to_mfn(canary),
             (unsigned long)xt_virt_to_mfn(xt_cur_l4),
             (unsigned long)xt_virt_to_mfn((void *)(XT_VIRT_BASE + 0x100000)),
             (unsigned long)(xt_start_info->shared_info >> 12),
             (unsigned long)o->risk, (unsigned long)o->trace,
             (unsigned long)o->check, stats, (unsigned long)o->shapes);
}

static bool fuzzer_slept;

/*
 * The epochs of witness_responsive (FZ_ECHO_* in fuzz.h): the witness's
 * round trips when each epoch was first seen, from the oldest one the
 * witness has not yet answered (open_epoch) to the next (next_epoch).
 */
#define NR_EPOCH_SLOTS (FZ_ECHO_SLACK / FZ_EPOCH_CALLS + 2)
static uint64_t epoch_echoes[NR_EPOCH_SLOTS];
static uint64_t next_epoch, open_epoch, last_done;
static bool echo_failed, echo_on;

static void epochs_reset(void)
{
    next_epoch = open_epoch = last_done = 0;
    echo_failed = false;
}

static uint64_t witness_echoes(void)
{
    return witness.st ? witness.st->echoes : 0;
}

/* Close the epochs answered, note those 'done' reached, judge. */
static void epochs_track(uint64_t seed, uint64_t done)
{
    uint64_t e = witness_echoes();

    if ( !echo_on )
        return;
    last_done = done;
    while ( open_epoch < next_epoch &&
            e >= epoch_echoes[open_epoch % NR_EPOCH_SLOTS] + FZ_ECHO_EPOCH )
        open_epoch++;
    while ( next_epoch * FZ_EPOCH_CALLS <= done &&
            next_epoch - open_epoch < NR_EPOCH_SLOTS )
        epoch_echoes[next_epoch++ % NR_EPOCH_SLOTS] = e;
    if ( !echo_failed && open_epoch < next_epoch &&
         done >= open_epoch * FZ_EPOCH_CALLS + FZ_ECHO_SLACK )
    {
        echo_failed = true;
        fail(C_WITNESS_RESPONSIVE, seed, "epoch at call %lu: %lu of %u "
             "round trips by call %lu",
             (unsigned long)(open_epoch * FZ_EPOCH_CALLS),
             (unsigned long)(e - epoch_echoes[open_epoch % NR_EPOCH_SLOTS]),
             FZ_ECHO_EPOCH, (unsigned long)done);
    }
}

/* After the fuzzer: the epochs still open must be answered (bounded). */
static void epochs_finish(uint64_t seed)
{
    unsigned long i;

    for ( i = 0; i < MAX_POLLS && !echo_failed && open_epoch < next_epoch;
          i++ )
    {
        wait_step();
        epochs_track(seed, last_done);
    }
    if ( !echo_failed && open_epoch < next_epoch )
        fail(C_WITNESS_RESPONSIVE, seed, "epoch at call %lu: %lu of %u "
             "round trips, %lu waits after the fuzzer ended",
             (unsigned long)(open_epoch * FZ_EPOCH_CALLS),
             (unsigned long)(witness_echoes() -
                             epoch_echoes[open_epoch % NR_EPOCH_SLOTS]),
             FZ_ECHO_EPOCH, i);
}

/*
 * A stall: ask the hypervisor for its own picture on its console (the
 * debug keys the caller names; we use 'q', domains and vCPUs with their
 * pause state, 'r', the run queues, and 'd', the registers of every CPU).
 * Whatever it answers (Xenia may refuse), we go on.
 */
static void hv_debug_keys(const char *keys)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_debug_keys,
                             .interface_version =
                                 XEN_SYSCTL_INTERFACE_VERSION };
    long rc;

    set_xen_guest_handle(op.u.debug_keys.keys, keys);
    op.u.debug_keys.nr_keys = strlen(keys);
    rc = ops.sysctl(ops.opaque, &op);
    printf("fuzz: debug keys '%s' asked of the hypervisor: %ld\n", keys, rc);
}

/* Every online vCPU of the fuzzer is blocked, none is on a CPU. */
static bool fuzzer_sleeps_forever(void)
{
    struct xen_domctl_getvcpuinfo vi;
    unsigned int v, online = 0;

    for ( v = 0; v < 2; v++ )
    {
        if ( xb_getvcpuinfo(&ops, fuzzer.domid, v, &vi) )
            return false;
        if ( !vi.online )
            continue;
        online++;
        if ( !vi.blocked || vi.running )
            return false;
    }
    return online > 0;
}

/* Follow the fuzzer until it is down (or asleep for good); false if it
 * stalled otherwise. */
static bool follow_fuzzer(uint64_t seed, unsigned int *reason)
{
    uint64_t last_done = ~0UL, since = xt_system_time();
    uint64_t next_note = since + NOTE_NS;
    bool told_witness = false, told_canary = false;

    for ( ;; )
    {
        uint64_t done = fuzzer.st ? fuzzer.st->done : 0;
        uint64_t progress = done + (fuzzer.st ? fuzzer.st->phase << 40 : 0) +
                            (fuzzer.ring ? fuzzer.ring->out_cons : 0);

        wait_step();
        epochs_track(seed, done);
        /* When did it happen?  Say while the fuzzer's position is known. */
        if ( !told_witness && witness.st && witness.st->bad )
        {
            struct xen_domctl_getdomaininfo di = { 0 };

            told_witness = true;
            xb_getdomaininfo(&ops, witness.domid, &di);
            printf("fuzz: the witness saw damage in its round %lu (check %lu "
                   "got %ld; tot_pages %lu max_pages %lu), the fuzzer being "
                   "at call %lu\n", (unsigned long)witness.st->bad,
                   (unsigned long)witness.st->bad_check,
                   (long)witness.st->bad_rc, (unsigned long)di.tot_pages,
                   (unsigned long)di.max_pages, (unsigned long)done);
        }
        if ( !told_canary && !canary_intact() )
        {
            told_canary = true;
            printf("fuzz: dom0's canary page changed, the fuzzer being at "
                   "call %lu\n", (unsigned long)done);
        }
        if ( kid_down(&fuzzer, reason) )
        {
            pump_all();
            return true;
        }
        if ( xt_system_time() >= next_note )
        {
            next_note = xt_system_time() + NOTE_NS;
            printf("fuzz: fuzzer at call %lu, witness at round %lu, %lu "
                   "round trips\n", (unsigned long)done, witness.st ?
                   (unsigned long)witness.st->counter : 0,
                   (unsigned long)witness_echoes());
        }
        if ( progress != last_done )
        {
            last_done = progress;
            since = xt_system_time();
        }
        else if ( xt_system_time() - since > FZ_SLEEP_NS &&
                  fuzzer_sleeps_forever() )
        {
            /*
             * It blocked itself (e.g. SCHEDOP_block inside a multicall)
             * with nothing left to wake it: its own business, like a
             * crash. The hypervisor, dom0 and the witness are judged as
             * after any other end of the fuzzer.
             */
            fuzzer_slept = true;
            *reason = SHUTDOWN_poweroff;
            return true;
        }
        else if ( xt_system_time() - since > FZ_STALL_NS )
        {
            fail(C_FUZZER_RAN, seed, "no progress for %lu s at call %lu",
                 FZ_STALL_NS / 1000000000UL, (unsigned long)done);
            print_last_call(&fuzzer);
            hv_debug_keys("qrd");
            return false;
        }
    }
}

/* The witness still makes progress past *c1 (its counter now). */
static bool witness_progress(uint64_t *c1)
{
    unsigned long i;

    *c1 = witness.st ? witness.st->counter : 0;
    for ( i = 0; witness.st && i < MAX_POLLS; i++ )
    {
        if ( witness.st->counter != *c1 )
            return true;
        wait_step();
    }
    return false;
}

static void judge_fuzzer(uint64_t seed, unsigned int reason)
{
    volatile const struct fz_status *st = fuzzer.st;
    uint64_t done = st ? st->done : 0;

    /* The hypervisor's side of the ABI, whatever the fuzzer did. */
    if ( st && st->reg_bad_call )
        fail(C_REGISTERS, seed, "call %lu (hypercall %lu) came back with "
             "rbx/rbp/r12-r15 changed", (unsigned long)st->reg_bad_call - 1,
             (unsigned long)st->reg_bad_nr);

    total_calls += done;
    if ( st && st->partner_calls )
    {
        total_partner += st->partner_calls;
        printf("fuzz: its vCPU 1 made %lu calls beside (%lu ok)\n",
               (unsigned long)st->partner_calls,
               (unsigned long)st->partner_ok);
    }
    if ( fuzzer_slept )
    {
        fuzzer_slept = false;
        nr_selffailed++;
        printf("fuzz: fuzzer blocked itself at call %lu with nothing to "
               "wake it; allowed\n", (unsigned long)done);
        print_last_call(&fuzzer);
        return;
    }
    if ( fuzzer.verdict_seen && !strcmp(fuzzer.verdict, "SUCCESS") )
    {
        nr_completed++;
        printf("fuzz: fuzzer completed %lu calls\n", (unsigned long)done);
        return;
    }
    if ( !done && st && st->planned )
    {
        fail(C_FUZZER_RAN, seed, "the fuzzer made no call (%s)",
             fuzzer.first_fail[0] ? fuzzer.first_fail : "no result");
        return;
    }
    if ( fuzzer.verdict_seen )
    {
        nr_selffailed++;
        printf("fuzz: fuzzer hurt itself (verdict %s: %s); allowed\n",
               fuzzer.verdict, fuzzer.first_fail[0] ? fuzzer.first_fail :
               "see its log above");
    }
    else
    {
        nr_crashed++;
        printf("fuzz: fuzzer shut down with reason %u without a verdict "
               "(a crash); allowed\n", reason);
    }
    print_last_call(&fuzzer);
}

/*
 * A round without calls, whose checks do not count: the hypervisor's
 * first-use allocations (Xen 4.17 keeps two pages after the first
 * domains come and go) must not look like a leak of round 0.
 */
static void warm_up(const struct options *o)
{
    const char *wt_cmdline = o->echo ? "mode=witness echo=1" :
                                       "mode=witness";
    unsigned int reason;
    unsigned long i;

    if ( !kid_start(&witness, FIRST_DOMID - 2, wt_cmdline) )
    {
        fuzzer_cmdline(o, o->seed, 0, FIRST_DOMID - 1, false);
        if ( !kid_start(&fuzzer, FIRST_DOMID - 1, cmdline_buf) )
            for ( i = 0; i < MAX_POLLS && !kid_down(&fuzzer, &reason); i++ )
                wait_step();
    }
    kid_destroy(&fuzzer);
    if ( witness.st )
    {
        witness.st->stop = 1;
        for ( i = 0; i < MAX_POLLS && !kid_down(&witness, &reason); i++ )
            wait_step();
    }
    kid_destroy(&witness);
    printf("fuzz: warm-up round done\n");
}

/* One round; returns the free pages that did not come back. */
static uint64_t run_round(const struct options *o, unsigned int r,
                          uint64_t seed)
{
    const char *wt_cmdline = o->echo ? "mode=witness echo=1" :
                                       "mode=witness";
    domid_t wid = FIRST_DOMID + (r % 8000) * 2, fid = wid + 1;
    uint64_t before, after = 0, c0, c1 = 0;
    unsigned int reason = 0;
    unsigned long i;
    struct xen_sysctl_physinfo pi = { 0 };
    char msg[120];
    bool fz_down, ok;
    long rc;

    before = xbh_settled_free_pages(virq_port, 20);
    printf("fuzz: round %u: seed %#lx, %lu calls, free pages %lu\n", r,
           (unsigned long)seed, (unsigned long)o->calls,
           (unsigned long)before);

    rc = kid_start(&witness, wid, wt_cmdline);
    if ( rc )
        fail(C_BUILD_WITNESS, seed, "d%u: rc %ld", wid, rc);
    if ( !rc )
    {
        fuzzer_cmdline(o, seed, o->calls, fid, r == 0);
        rc = kid_start(&fuzzer, fid, cmdline_buf);
        if ( rc )
            fail(C_BUILD_FUZZER, seed, "d%u: rc %ld", fid, rc);
    }
    if ( rc )
    {
        fail(C_FUZZER_RAN, seed, "no fuzzer ran");
        fail(C_WITNESS_ALIVE, seed, "no round ran");
        if ( !dom0_alive(msg, sizeof(msg)) )
            fail(C_DOM0_ALIVE, seed, "%s", msg);
    }

    if ( !rc )
    {
        c0 = witness.st->counter;
        epochs_reset();
        fz_down = follow_fuzzer(seed, &reason);
        if ( fz_down )
            judge_fuzzer(seed, reason);
        if ( o->echo )
            epochs_finish(seed);
        if ( !witness_progress(&c1) )
            fail(C_WITNESS_ALIVE, seed, "witness stuck at round %lu (%lu "
                 "when the fuzzer started)", (unsigned long)c1,
                 (unsigned long)c0);
        if ( !dom0_alive(msg, sizeof(msg)) )
            fail(C_DOM0_ALIVE, seed, "%s", msg);
    }

    /* The fuzzer goes first (whatever state it is in), then the witness. */
    ok = kid_destroy(&fuzzer);
    if ( witness.st )
    {
        witness.st->stop = 1;
        if ( kid_wait(&witness.verdict_seen) )
        {
            for ( i = 0; i < MAX_POLLS && !kid_down(&witness, &reason);
                  i++ )
                wait_step();
        }
        if ( !witness.verdict_seen || strcmp(witness.verdict, "SUCCESS") ||
             witness.nr_pass != FZ_CHILD_CHECKS || witness.st->bad ||
             reason != SHUTDOWN_poweroff )
            fail(C_WITNESS_INTACT, seed, "verdict %s, %u passed, bad round "
                 "%lu, reason %u: %s",
                 witness.verdict_seen ? witness.verdict : "none",
                 witness.nr_pass, (unsigned long)witness.st->bad, reason,
                 witness.first_fail[0] ? witness.first_fail : "-");
    }
    else if ( witness.built )
        fail(C_WITNESS_INTACT, seed, "no status page");
    ok = kid_destroy(&witness) && ok;
    if ( !ok )
        fail(C_DESTROYED, seed, "a child could not be destroyed");

    for ( i = 0; i < MAX_POLLS; i++ )
    {
        if ( xb_physinfo(&ops, &pi) == 0 && pi.free_pages >= before )
            break;
        pause_a_little();
    }
    after = pi.free_pages;
    for ( i = 0; i < MAX_POLLS && xbh_nr_domains() != baseline_domains; i++ )
        pause_a_little();
    if ( xbh_nr_domains() != baseline_domains )
        fail(C_NO_DOMAINS_LEFT, seed, "%d domains, %d before", xbh_nr_domains(),
             baseline_domains);
    printf("fuzz: round %u done: witness %lu rounds, %lu round trips "
           "answered in all, free pages %lu\n", r, (unsigned long)c1,
           (unsigned long)nr_echoed, (unsigned long)after);
    return after < before ? before - after : 0;
}

/* ------------------------------------------------------------------ */
/* Set-up and the test.                                                */

static const char *cmd_opt(const char *key)
{
    const char *p = (const char *)xt_start_info->cmd_line;
    size_t klen = strlen(key);

    while ( *p )
    {
        while ( *p == ' ' )
            p++;
        if ( !strncmp(p, key, klen) && p[klen] == '=' )
            return p + klen + 1;
        while ( *p && *p != ' ' )
            p++;
    }
    return NULL;
}

static uint64_t cmd_num(const char *key, uint64_t dflt, bool *given)
{
    const char *p = cmd_opt(key);
    unsigned int base = 10;
    uint64_t v = 0;

    if ( !p || !*p || *p == ' ' )
        return dflt;
    if ( p[0] == '0' && p[1] == 'x' )
    {
        base = 16;
        p += 2;
    }
    for ( ; ; p++ )
    {
        unsigned int d;

        if ( *p >= '0' && *p <= '9' )
            d = *p - '0';
        else if ( base == 16 && *p >= 'a' && *p <= 'f' )
            d = *p - 'a' + 10;
        else if ( base == 16 && *p >= 'A' && *p <= 'F' )
            d = *p - 'A' + 10;
        else
            break;
        v = v * base + d;
    }
    if ( given )
        *given = true;
    return v;
}

static void get_options(struct options *o)
{
    o->seed = cmd_num("fuzz_seed", 0, &o->seed_given);
    if ( !o->seed_given )
        o->seed = rdtsc() * 0x9e3779b97f4a7c15UL ^ xt_system_time();
    o->calls = cmd_num("fuzz_calls", DEFAULT_CALLS, NULL);
    o->secs = cmd_num("fuzz_secs", 0, NULL);
    o->rounds = cmd_num("fuzz_rounds", o->secs ? ~0UL : 1, NULL);
    o->risk = cmd_num("fuzz_risk", 0, NULL);
    o->trace = cmd_num("fuzz_trace", ~0UL, NULL);
    o->check = cmd_num("fuzz_check", 0, NULL);
    o->shapes = cmd_num("fuzz_shapes", 0, NULL);
    o->echo = (o->shapes & FZ_SHAPE_ECHO) != 0;
    echo_on = o->echo;
    if ( o->risk > 1000 )
        o->risk = 1000;
}

static void setup(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
    unsigned int s;
    long rc;

    xt_traps_init();
    for ( s = 0; s < NR_SLOTS; s++ )
        xbh_slot_init(&slots[s]);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    if ( rc )
        xt_error("bind VIRQ_DOM_EXC: %ld", rc);
    virq_port = bv.port;
    xbh_mask(virq_port);
    xbh_take_pending(virq_port);
    for ( s = 0; s < PAGE_SIZE / 8; s++ )
        ((uint64_t *)canary)[s] = canary_value(s);
    baseline_domains = xbh_nr_domains();
}

XTEST(fuzz, NR_FUZZ_CHECKS)
{
    struct options o;
    uint64_t t0, r, seed, lost, again;
    unsigned int c;
    bool any_failed = false;

    setup();
    get_options(&o);
    printf("fuzz: seed %#lx (%s), %lu calls per round, %ld rounds, "
           "%lu s, risk %lu\n", (unsigned long)o.seed,
           o.seed_given ? "given" : "from the TSC", (unsigned long)o.calls,
           o.rounds == ~0UL ? -1L : (long)o.rounds, (unsigned long)o.secs,
           (unsigned long)o.risk);
    for ( c = 0; c < 4; c++ )
    {
        uint64_t f0 = xbh_settled_free_pages(virq_port, 20);

        warm_up(&o);
        if ( xbh_settled_free_pages(virq_port, 20) == f0 )
            break;
        printf("fuzz: warm-up changed free pages %lu -> %lu\n",
               (unsigned long)f0, (unsigned long)xbh_settled_free_pages(virq_port, 20));
    }
    t0 = xt_system_time();
    for ( r = 0; r < o.rounds && !any_failed; r++ )
    {
        if ( r && o.secs &&
             xt_system_time() - t0 >= o.secs * 1000000000UL )
            break;
        seed = o.seed + r * SEED_STEP;
        lost = run_round(&o, r, seed);
        if ( lost && !any_failed )
        {
            /*
             * The hypervisor may keep memory it allocated the first time
             * something happened (Xen 4.17's xmalloc pools and global
             * mapping tables grow that way).  A leak happens again when
             * the same calls are replayed; growth does not.
             */
            printf("fuzz: %lu free pages did not come back; replaying seed "
                   "%#lx to tell a leak from first-use growth\n",
                   (unsigned long)lost, (unsigned long)seed);
            again = run_round(&o, r, seed);
            if ( again )
                fail(C_FREE_PAGES, seed, "%lu pages not freed, %lu again "
                     "when replayed", (unsigned long)lost,
                     (unsigned long)again);
        }
        for ( c = 0; c < NR_C; c++ )
            any_failed = any_failed || failed[c];
    }
    printf("fuzz: %lu rounds, %lu calls (%lu by second vCPUs): %lu "
           "completed, %lu crashed, %lu hurt themselves (seed %#lx)\n",
           (unsigned long)r, (unsigned long)total_calls,
           (unsigned long)total_partner, (unsigned long)nr_completed,
           (unsigned long)nr_crashed, (unsigned long)nr_selffailed,
           (unsigned long)o.seed);
    /* The SMP shape did something: vCPU 1 fuzzed beside vCPU 0. */
    if ( (o.shapes & FZ_SHAPE_SMP) && total_calls && !total_partner )
        fail(C_PARTNER, o.seed, "vCPU 1 made no call in %lu rounds",
             (unsigned long)r);
    for ( c = 0; c < NR_C; c++ )
        if ( c == C_PARTNER && !(o.shapes & FZ_SHAPE_SMP) )
            xt_skip(check_name[c], "no second fuzzing vCPU (fuzz_shapes "
                    "without 16)");
        else if ( c == C_PARTNER && !failed[c] )
            xt_check(check_name[c], true, "%lu calls beside %lu",
                     (unsigned long)total_partner,
                     (unsigned long)total_calls);
        else if ( c == C_WITNESS_RESPONSIVE && !o.echo )
            xt_skip(check_name[c], "no witness round trips (fuzz_shapes "
                    "without 8)");
        else if ( failed[c] )
            xt_check(check_name[c], false, "%s", why[c]);
        else
            xt_check(check_name[c], true, "%lu rounds, %lu calls, seed %#lx",
                     (unsigned long)r, (unsigned long)total_calls,
                     (unsigned long)o.seed);
}
