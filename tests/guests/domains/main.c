/*
 * domains: the control interface, driven from the initial domain.
 *
 * domctl/sysctl basics and their errors; bare domains (createdomain,
 * max_vcpus, max_mem, populate_physmap, destroy); the builder library
 * (dom0-tools/libxbuild) on bad input; then a real domU: the child kernel
 * (tests/guests/child, embedded below) is built, inspected, run, paused
 * and unpaused, its console ring read and its RESULT lines relayed as
 * "domains.child.<check>", its shutdown and destruction observed through
 * getdomaininfo and VIRQ_DOM_EXC; a second child shuts down with
 * SHUTDOWN_crash; finally 100 build/destroy cycles must give every page
 * back (physinfo free_pages).
 *
 * Waiting is always "poll a bounded number of times": SCHEDOP_poll with a
 * short timeout only paces the loop, nothing asserts on time.
 */
#include "xtpv.h"
#include "xtcons.h"
#include "../child/child.h"
#include "xbops.h"
#include "dom0.h"

#include <public/memory.h>

/* The child kernel image, 4 KiB aligned (xb_elf_parse reads in place). */
asm ( ".pushsection .rodata.child_elf, \"a\", @progbits\n\t"
      ".balign 4096\n"
      "child_elf_start:\n\t"
      ".incbin \"" CHILD_ELF "\"\n"
      "child_elf_end:\n\t"
      ".popsection" );
extern const uint8_t child_elf_start[], child_elf_end[];

#define CHILD_MEM_KB    6144
#define CHILD_PAGES     (CHILD_MEM_KB / 4)
#define NR_CYCLES       100
#define POLL_NS         10000000UL       /* 10 ms: pacing only */
#define MAX_POLLS       3000UL           /* generous bound on any wait */

/*
 * Xen keeps a domain's shutdown code at ~0 until it shuts down, and
 * getdomaininfo ORs it in above bit 16 unmasked: flags of a live domain
 * carry 0xffff0000.
 */
#define NO_SHUTDOWN_CODE  (0xffffU << XEN_DOMINF_shutdownshift)

#define NR_HOST_CHECKS    10
#define NR_CREATE_CHECKS  16
#define NR_BUILDER_CHECKS 4
#define NR_LIFE_CHECKS    25
#define NR_CRASH_CHECKS   3
#define NR_CYCLE_CHECKS   3
#define NR_DOMAINS_CHECKS (NR_HOST_CHECKS + NR_CREATE_CHECKS +            \
                           NR_BUILDER_CHECKS + NR_LIFE_CHECKS +          \
                           NR_CRASH_CHECKS + NR_CYCLE_CHECKS +           \
                           CHILD_NR_CHECKS)

/* ------------------------------------------------------------------ */
/* Foreign mappings: three PTEs of our scratch window.                 */

enum { SLOT_BUILDER, SLOT_RING, SLOT_SPIN, NR_SLOTS };
static struct xbh_slot slots[NR_SLOTS];

/* ------------------------------------------------------------------ */
/* The builder's ops: xbhost/xbops.c, and our foreign mappings.       */

static long fail_map_countdown = -1;   /* > 0: fail that many maps later */

static void *op_map(void *o, domid_t dom, xen_pfn_t mfn)
{
    (void)o;
    if ( fail_map_countdown == 0 )
    {
        fail_map_countdown = -1;
        return NULL;
    }
    if ( fail_map_countdown > 0 )
        fail_map_countdown--;
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
/* Helpers.                                                            */

static evtchn_port_t virq_port;

/* Wait (bounded) for VIRQ_DOM_EXC. */
static bool wait_dom_exc(void)
{
    unsigned long i;

    for ( i = 0; i < MAX_POLLS; i++ )
    {
        if ( xbh_take_pending(virq_port) )
            return true;
        xbh_poll1(virq_port, POLL_NS);
    }
    return false;
}

/*
 * Wait (bounded) until 'd' has shut down; *virq says whether VIRQ_DOM_EXC
 * came with it.  Destroyed domains can raise a late VIRQ_DOM_EXC (when
 * their last reference goes), so a VIRQ alone proves nothing: look at
 * the domain each time one arrives.
 */
static bool wait_shutdown(domid_t d, struct xen_domctl_getdomaininfo *di,
                          bool *virq)
{
    unsigned long i;

    for ( i = 0; i < MAX_POLLS; i++ )
    {
        bool pending = xbh_take_pending(virq_port);

        if ( xb_getdomaininfo(&ops, d, di) == 0 && di->domain == d &&
             (di->flags & XEN_DOMINF_shutdown) )
        {
            *virq = pending || wait_dom_exc();
            return true;
        }
        xbh_poll1(virq_port, POLL_NS);
    }
    *virq = false;
    return false;
}

static long evtchn_status(domid_t dom, evtchn_port_t port,
                          struct evtchn_status *st)
{
    st->dom = dom;
    st->port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

/* ------------------------------------------------------------------ */
/* Host-wide facts and basic errors (NR_HOST_CHECKS).                  */

static int baseline_domains;

static void host_checks(void)
{
    struct xen_sysctl_physinfo pi;
    struct xen_domctl_getdomaininfo di;
    struct xen_domctl op = { 0 };
    struct xen_sysctl sop = { 0 };
    uint32_t sched = 0;
    long rc;

    rc = xb_physinfo(&ops, &pi);
    xt_check("physinfo", rc == 0 && pi.nr_cpus >= 1 && pi.free_pages &&
             pi.total_pages >= pi.free_pages &&
             (pi.capabilities & XEN_SYSCTL_PHYSCAP_pv),
             "rc %ld cpus %u total %lu free %lu caps %#x", rc, pi.nr_cpus,
             (unsigned long)pi.total_pages, (unsigned long)pi.free_pages,
             pi.capabilities);
    xt_check("physinfo_topology", rc == 0 && pi.threads_per_core >= 1 &&
             pi.cores_per_socket >= 1 && pi.max_cpu_id + 1 >= pi.nr_cpus &&
             pi.max_mfn >= pi.total_pages / 2,
             "tpc %u cps %u max_cpu_id %u max_mfn %#lx", pi.threads_per_core,
             pi.cores_per_socket, pi.max_cpu_id, (unsigned long)pi.max_mfn);

    rc = xb_sched_id(&ops, &sched);
    xt_check("sched_id", rc == 0 && sched >= XEN_SCHEDULER_CREDIT &&
             sched <= XEN_SCHEDULER_NULL, "rc %ld id %u", rc, sched);

    rc = xb_getdomaininfo(&ops, 0, &di);
    xt_check("dom0_info", rc == 0 && di.domain == 0 &&
             (di.flags & XEN_DOMINF_running) &&
             !(di.flags & (XEN_DOMINF_paused | XEN_DOMINF_shutdown |
                           XEN_DOMINF_dying | XEN_DOMINF_hvm_guest)) &&
             di.nr_online_vcpus >= 1 && di.tot_pages > 0 &&
             di.max_vcpu_id + 1 >= di.nr_online_vcpus,
             "rc %ld flags %#x vcpus %u tot %lu", rc, di.flags,
             di.nr_online_vcpus, (unsigned long)di.tot_pages);

    op.cmd = XEN_DOMCTL_getdomaininfo;
    op.interface_version = XEN_DOMCTL_INTERFACE_VERSION - 1;
    xt_check_rc("domctl_bad_version_eacces", xbh_domctl(NULL, &op),
                -XEN_EACCES);
    sop.cmd = XEN_SYSCTL_physinfo;
    sop.interface_version = XEN_SYSCTL_INTERFACE_VERSION + 1;
    xt_check_rc("sysctl_bad_version_eacces", xbh_sysctl(NULL, &sop),
                -XEN_EACCES);

    xt_check_rc("getdomaininfo_reserved_einval",
                xb_getdomaininfo(&ops, DOMID_SELF, &di), -XEN_EINVAL);
    xt_check_rc("getdomaininfo_beyond_last_esrch",
                xb_getdomaininfo(&ops, DOMID_FIRST_RESERVED - 1, &di),
                -XEN_ESRCH);
    baseline_domains = xbh_nr_domains();
    xt_check("getdomaininfolist", baseline_domains >= 1, "%d domains",
             baseline_domains);
    xt_check_rc("pause_self_einval", xb_pause(&ops, 0), -XEN_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Bare domains (NR_CREATE_CHECKS).                                    */

static long create(uint32_t flags, uint32_t vcpus, uint32_t emu,
                   domid_t want, domid_t *got)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.createdomain.flags = flags;
    op.u.createdomain.max_vcpus = vcpus;
    op.u.createdomain.max_evtchn_port = 1023;
    op.u.createdomain.max_grant_frames = -1;
    op.u.createdomain.max_maptrack_frames = -1;
    op.u.createdomain.grant_opts = XEN_DOMCTL_GRANT_version(1);
    op.u.createdomain.arch.emulation_flags = emu;
    rc = xbh_domctl_cmd(XEN_DOMCTL_createdomain, want, &op);
    if ( got )
        *got = rc ? DOMID_INVALID : op.domain;
    return rc;
}

static long max_vcpus(domid_t dom, uint32_t n)
{
    struct xen_domctl op = { 0 };

    op.u.max_vcpus.max = n;
    return xbh_domctl_cmd(XEN_DOMCTL_max_vcpus, dom, &op);
}

static long max_mem(domid_t dom, uint64_t kb)
{
    struct xen_domctl op = { 0 };

    op.u.max_mem.max_memkb = kb;
    return xbh_domctl_cmd(XEN_DOMCTL_max_mem, dom, &op);
}

static long populate(domid_t dom, xen_pfn_t *frames, unsigned int n)
{
    struct xen_memory_reservation r = {
        .extent_start = (unsigned long)frames, .nr_extents = n,
        .extent_order = 0, .domid = dom,
    };

    return HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
}

static long getvcpucontext(domid_t dom, uint32_t vcpu,
                           struct vcpu_guest_context *ctx)
{
    struct xen_domctl op = { 0 };

    op.u.vcpucontext.vcpu = vcpu;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, ctx);
    return xbh_domctl_cmd(XEN_DOMCTL_getvcpucontext, dom, &op);
}

static struct vcpu_guest_context vctx;

static void create_checks(void)
{
    struct xen_domctl_getdomaininfo di;
    struct xen_domctl_getvcpuinfo vi;
    xen_pfn_t frames[16], extra = 16;
    domid_t d = DOMID_INVALID;
    unsigned int i, bad = 0;
    long rc;

    xt_check_rc("create_bad_flags_einval",
                create(1U << 20, 1, 0, 0, NULL), -XEN_EINVAL);
    xt_check_rc("create_no_vcpus_einval", create(0, 0, 0, 0, NULL),
                -XEN_EINVAL);
    xt_check_rc("create_pv_emulation_eopnotsupp",
                create(0, 1, XEN_X86_EMU_LAPIC, 0, NULL), -XEN_EOPNOTSUPP);

    rc = create(0, 1, 0, 0, &d);
    xt_check("create_ok", rc == 0 && d > 0 && d < DOMID_FIRST_RESERVED,
             "rc %ld domid %u", rc, d);
    xt_check_rc("create_existing_eexist", create(0, 1, 0, d, NULL),
                -XEN_EEXIST);

    rc = xb_getdomaininfo(&ops, d, &di);
    xt_check("new_domain_info", rc == 0 && di.domain == d &&
             di.flags == (XEN_DOMINF_paused | NO_SHUTDOWN_CODE) &&
             di.tot_pages == 0 &&
             di.nr_online_vcpus == 0 &&
             di.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID,
             "rc %ld flags %#x tot %lu max_vcpu_id %#x", rc, di.flags,
             (unsigned long)di.tot_pages, di.max_vcpu_id);

    xt_check_rc("max_vcpus_mismatch_einval", max_vcpus(d, 2), -XEN_EINVAL);
    rc = max_vcpus(d, 1);
    xb_getdomaininfo(&ops, d, &di);
    xt_check("max_vcpus_ok", rc == 0 && di.max_vcpu_id == 0 &&
             di.nr_online_vcpus == 0, "rc %ld max_vcpu_id %#x online %u",
             rc, di.max_vcpu_id, di.nr_online_vcpus);
    rc = xb_getvcpuinfo(&ops, d, 0, &vi);
    xt_check("vcpu_down_before_context", rc == 0 && !vi.online &&
             !vi.running, "rc %ld online %u running %u", rc, vi.online,
             vi.running);
    xt_check_rc("getvcpuinfo_out_of_range_einval",
                xb_getvcpuinfo(&ops, d, 1, &vi), -XEN_EINVAL);
    xt_check_rc("getvcpucontext_uninit_enodata", getvcpucontext(d, 0, &vctx),
                -XEN_ENODATA);

    max_mem(d, 64);                        /* 16 pages */
    for ( i = 0; i < 16; i++ )
        frames[i] = 100 + i;
    rc = populate(d, frames, 16);
    for ( i = 0; rc == 16 && i < 16; i++ )
        if ( xt_m2p[frames[i]] != 100 + i )
            bad++;
    xt_check("populate_sets_m2p", rc == 16 && bad == 0, "rc %ld bad %u",
             rc, bad);
    xb_getdomaininfo(&ops, d, &di);
    xt_check("tot_pages_after_populate", di.tot_pages == 16 &&
             di.max_pages == 16, "tot %lu max %lu",
             (unsigned long)di.tot_pages, (unsigned long)di.max_pages);
    xt_check_rc("populate_over_max_mem_none", populate(d, &extra, 1), 0);

    xt_check_rc("destroy_bare", xb_destroy(&ops, d), 0);
    xt_check("destroy_bare_gone", xbh_wait_gone(d, baseline_domains, virq_port), NULL);
}

/* ------------------------------------------------------------------ */
/* The builder on bad input (NR_BUILDER_CHECKS).                       */

static xen_pfn_t p2m_ws[CHILD_PAGES];
static uint8_t dom0_page[4096] __attribute__((aligned(4096)));
static char child_cmdline[128];

static void child_config(struct xb_config *cfg, const char *extra)
{
    unsigned int i;

    memset(cfg, 0, sizeof(*cfg));
    cfg->kernel = child_elf_start;
    cfg->kernel_size = child_elf_end - child_elf_start;
    cfg->mem_kb = CHILD_MEM_KB;
    cfg->max_vcpus = 1;
    cfg->backend_domid = 0;
    cfg->p2m = p2m_ws;
    cfg->p2m_entries = ARRAY_SIZE(p2m_ws);
    for ( i = 0; i < sizeof(cfg->handle); i++ )
        cfg->handle[i] = 0xa0 + i;
    snprintf(child_cmdline, sizeof(child_cmdline),
             "pages=%u dom0mfn=%#lx %s", CHILD_PAGES,
             (unsigned long)xt_virt_to_mfn(dom0_page), extra);
    cfg->cmdline = child_cmdline;
}

static void builder_error_checks(void)
{
    static const char junk[64] __attribute__((aligned(8))) = "not an ELF";
    struct xb_config cfg;
    struct xb_domain out;
    int rc;

    child_config(&cfg, "");
    cfg.kernel = junk;
    cfg.kernel_size = sizeof(junk);
    rc = xb_build_pv(&ops, &cfg, &out);
    xt_check("build_not_elf_enoexec", rc == -XEN_ENOEXEC &&
             out.domid == DOMID_INVALID && xbh_nr_domains() == baseline_domains,
             "rc %d", rc);

    child_config(&cfg, "");
    cfg.kernel_size = 100;                 /* headers cut off */
    rc = xb_build_pv(&ops, &cfg, &out);
    xt_check("build_truncated_einval", rc == -XEN_EINVAL &&
             xbh_nr_domains() == baseline_domains, "rc %d", rc);

    child_config(&cfg, "");
    cfg.mem_kb = 2048;                     /* < the 4 MiB initial mapping */
    rc = xb_build_pv(&ops, &cfg, &out);
    xt_check("build_too_small_enomem", rc == -XEN_ENOMEM &&
             xbh_nr_domains() == baseline_domains, "rc %d (%s)", rc,
             out.failed_step ?: "-");

    /* A failure half-way (a foreign map) must leave no domain behind. */
    child_config(&cfg, "");
    fail_map_countdown = 5;
    rc = xb_build_pv(&ops, &cfg, &out);
    fail_map_countdown = -1;
    xt_check("build_failure_cleans_up", rc == -XEN_EFAULT &&
             out.domid == DOMID_INVALID && out.failed_step &&
             xbh_wait_gone(DOMID_INVALID, baseline_domains, virq_port), "rc %d (%s)", rc,
             out.failed_step ?: "-");
}

/* free_pages once it stopped moving (asynchronous frees settle). */
/* Let earlier destructions finish (and their late VIRQs arrive). */
static void quiesce(void)
{
    xbh_settled_free_pages(virq_port, 50);
    xbh_take_pending(virq_port);
}

/* ------------------------------------------------------------------ */
/* The child's console: read lines, relay RESULT lines.                */

struct child_con
{
    struct xt_cons_ring *ring;
    evtchn_port_t port;            /* our end of the console channel */
    char line[256];
    size_t len;
    unsigned int relayed;
    bool spin_seen, verdict_seen;
    unsigned long spin_va;
    char verdict[16];
};

static void relay_result(struct child_con *c, char *rest)
{
    char *name = rest, *status, *detail = "";
    char check[96];

    status = strstr(name, " ");
    if ( !status || strncmp(name, "child.", 6) )
    {
        printf("child| unparsable: RESULT %s\n", rest);
        return;
    }
    *status++ = '\0';
    if ( (detail = strstr(status, " ")) )
        *detail++ = '\0';
    else
        detail = "";
    if ( c->relayed >= CHILD_NR_CHECKS )
    {
        xt_error("child reported more than %u checks", CHILD_NR_CHECKS);
        return;
    }
    c->relayed++;
    snprintf(check, sizeof(check), "%s", name);
    if ( !strcmp(status, "SKIP") )
        xt_skip(check, "%s", detail);
    else
        xt_check(check, !strcmp(status, "PASS"), "%s%s%s",
                 strcmp(status, "PASS") && strcmp(status, "FAIL") ?
                 "bad status " : "",
                 strcmp(status, "PASS") && strcmp(status, "FAIL") ?
                 status : "", detail);
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

static void child_line(struct child_con *c)
{
    static const char tag[] = CHILD_SPIN_TAG;
    char *l = c->line;

    c->line[c->len] = '\0';
    c->len = 0;
    if ( !strncmp(l, "RESULT: ", 8) )
        relay_result(c, l + 8);
    else if ( !strncmp(l, "Test result: ", 13) )
    {
        snprintf(c->verdict, sizeof(c->verdict), "%s", l + 13);
        c->verdict_seen = true;
        printf("child| verdict %s\n", c->verdict);
    }
    else if ( !strncmp(l, tag, sizeof(tag) - 1) )
    {
        c->spin_va = parse_hex(l + sizeof(tag) - 1);
        c->spin_seen = true;
        printf("child| %s\n", l);
    }
    else
        printf("child| %s\n", l);
}

/* Consume what the child produced; notify it if we freed space. */
static void child_pump(struct child_con *c)
{
    volatile struct xt_cons_ring *r = c->ring;
    uint32_t cons = r->out_cons, prod = r->out_prod;
    struct evtchn_send s = { .port = c->port };

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
        if ( ch == '\n' || c->len == sizeof(c->line) - 1 )
            child_line(c);
        if ( ch != '\n' )
            c->line[c->len++] = ch;
    }
    barrier();
    r->out_cons = cons;
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* Pump the console until *flag is set (bounded). */
static bool child_wait(struct child_con *c, const bool *flag)
{
    unsigned long i;

    for ( i = 0; i < MAX_POLLS && !*flag; i++ )
    {
        xbh_take_pending(c->port);
        child_pump(c);
        if ( *flag )
            break;
        xbh_poll1(c->port, POLL_NS);
    }
    return *flag;
}

/* ------------------------------------------------------------------ */
/* A real domU: the child (NR_LIFE_CHECKS + CHILD_NR_CHECKS).          */

static long sched_op(domid_t d, uint32_t sched, uint32_t cmd,
                     struct xen_domctl_sched_credit *cr)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.scheduler_op.sched_id = sched;
    op.u.scheduler_op.cmd = cmd;
    op.u.scheduler_op.u.credit = *cr;
    rc = xbh_domctl_cmd(XEN_DOMCTL_scheduler_op, d, &op);
    *cr = op.u.scheduler_op.u.credit;
    return rc;
}

static void child_pause_checks(domid_t d, struct child_con *con, bool ok)
{
    struct xen_domctl_getdomaininfo di;
    struct xen_domctl_getvcpuinfo vi;
    volatile uint64_t *spin = NULL;
    uint64_t c1 = 0, c2 = 1;
    unsigned long i;
    long rc;

    xt_check("child_reached_spin", ok, NULL);
    if ( ok )
    {
        uint64_t pfn = (con->spin_va - XT_VIRT_BASE) >> 12;

        if ( pfn < CHILD_PAGES )
            spin = xbh_slot_map(&slots[SLOT_SPIN], d, p2m_ws[pfn], true);
    }

    rc = xb_pause(&ops, d);
    xb_getdomaininfo(&ops, d, &di);
    xb_getvcpuinfo(&ops, d, 0, &vi);
    xt_check("pause_child", rc == 0 && (di.flags & XEN_DOMINF_paused) &&
             !(di.flags & XEN_DOMINF_running) && !vi.running,
             "rc %ld flags %#x vcpu running %u", rc, di.flags, vi.running);

    if ( spin )
    {
        c1 = spin[CHILD_SPIN_COUNTER];
        for ( i = 0; i < 200; i++ )
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        c2 = spin[CHILD_SPIN_COUNTER];
    }
    xt_check("paused_counter_still", spin && c1 == c2, "%lu -> %lu",
             (unsigned long)c1, (unsigned long)c2);

    rc = xb_unpause(&ops, d);
    for ( i = 0; spin && i < MAX_POLLS; i++ )
    {
        if ( spin[CHILD_SPIN_COUNTER] != c1 )
            break;
        xbh_poll1(con->port, POLL_NS);
        xbh_take_pending(con->port);
    }
    xt_check("unpause_resumes_counter", rc == 0 && spin &&
             spin[CHILD_SPIN_COUNTER] != c1, "rc %ld", rc);
    xt_check_rc("unpause_unpaused_einval", xb_unpause(&ops, d), -XEN_EINVAL);
    rc = xb_getdomaininfo(&ops, d, &di);
    xt_check("running_not_paused_not_blocked", rc == 0 &&
             !(di.flags & (XEN_DOMINF_paused | XEN_DOMINF_blocked |
                           XEN_DOMINF_shutdown)), "flags %#x", di.flags);
    if ( spin )
        spin[CHILD_SPIN_STOP] = 1;
    xbh_slot_unmap(&slots[SLOT_SPIN]);
}

/* Inspect a freshly built (paused) child. */
static void child_build_checks(const struct xb_config *cfg,
                               const struct xb_domain *out, bool ok)
{
    struct xen_domctl_getdomaininfo di;
    struct xen_domctl_getvcpuinfo vi;
    struct xen_domctl op = { 0 };
    domid_t d = out->domid;
    uint64_t pfn, bad = 0;
    long rc;

    rc = xb_getdomaininfo(&ops, d, &di);
    xt_check("child_info_after_build", ok && rc == 0 && di.domain == d &&
             di.flags == (XEN_DOMINF_paused | NO_SHUTDOWN_CODE) &&
             di.nr_online_vcpus == 1 &&
             di.max_vcpu_id == 0 && di.tot_pages == CHILD_PAGES &&
             di.max_pages == (CHILD_MEM_KB + 1024) / 4 &&
             di.shared_info_frame == out->shared_info_mfn &&
             !memcmp(di.handle, cfg->handle, sizeof(di.handle)),
             "rc %ld flags %#x online %u tot %lu max %lu", rc, di.flags,
             di.nr_online_vcpus, (unsigned long)di.tot_pages,
             (unsigned long)di.max_pages);
    rc = xb_getvcpuinfo(&ops, d, 0, &vi);
    xt_check("child_vcpu0_online_not_running", ok && rc == 0 && vi.online &&
             !vi.running, "rc %ld online %u running %u", rc, vi.online,
             vi.running);
    rc = getvcpucontext(d, 0, &vctx);
    xt_check("getvcpucontext_matches_build", ok && rc == 0 &&
             vctx.user_regs.rip == out->entry &&
             vctx.user_regs.rsi == out->virt_base +
                 (out->start_info_pfn << 12) &&
             xen_cr3_to_pfn(vctx.ctrlreg[3]) == out->l4_mfn,
             "rc %ld rip %#lx cr3 %#lx", rc,
             (unsigned long)vctx.user_regs.rip,
             (unsigned long)vctx.ctrlreg[3]);
    for ( pfn = 0; ok && pfn < CHILD_PAGES; pfn++ )
        if ( xt_m2p[p2m_ws[pfn]] != pfn )
            bad++;
    xt_check("m2p_matches_p2m", ok && bad == 0, "%lu bad", (unsigned long)bad);

    memset(op.u.setdomainhandle.handle, 0x5c, 16);
    rc = xbh_domctl_cmd(XEN_DOMCTL_setdomainhandle, d, &op);
    xb_getdomaininfo(&ops, d, &di);
    xt_check("setdomainhandle", ok && rc == 0 && di.handle[0] == 0x5c &&
             di.handle[15] == 0x5c, "rc %ld", rc);
}

static void child_sched_checks(domid_t d, bool ok)
{
    struct xen_domctl_sched_credit cr = { 0 };
    uint32_t sched = 0, other;
    long rc;

    xb_sched_id(&ops, &sched);
    rc = sched_op(d, sched, XEN_DOMCTL_SCHEDOP_getinfo, &cr);
    xt_check("sched_getinfo_default_weight", ok && rc == 0 &&
             (sched == XEN_SCHEDULER_CREDIT ||
              sched == XEN_SCHEDULER_CREDIT2) && cr.weight == 256,
             "sched %u rc %ld weight %u cap %u", sched, rc, cr.weight,
             cr.cap);
    cr.weight = 512;
    cr.cap = 0;
    rc = sched_op(d, sched, XEN_DOMCTL_SCHEDOP_putinfo, &cr);
    memset(&cr, 0, sizeof(cr));
    if ( rc == 0 )
        rc = sched_op(d, sched, XEN_DOMCTL_SCHEDOP_getinfo, &cr);
    xt_check("sched_putinfo_weight", ok && rc == 0 && cr.weight == 512,
             "rc %ld weight %u", rc, cr.weight);
    other = sched == XEN_SCHEDULER_RTDS ? XEN_SCHEDULER_CREDIT
                                        : XEN_SCHEDULER_RTDS;
    xt_check_rc("sched_wrong_scheduler_einval",
                sched_op(d, other, XEN_DOMCTL_SCHEDOP_getinfo, &cr),
                -XEN_EINVAL);
}

static void child_lifecycle(void)
{
    struct xb_config cfg;
    struct xb_domain out;
    struct xen_domctl_getdomaininfo di;
    struct evtchn_status st;
    static struct child_con con;
    evtchn_port_t store_port = 0;
    domid_t d;
    bool ok, up, down, virq;
    unsigned int k;
    long rc, rc2;

    quiesce();
    child_config(&cfg, "");
    rc = xb_build_pv(&ops, &cfg, &out);
    ok = rc == 0;
    d = out.domid;
    xt_check("build_child", ok, "rc %ld domid %u (%s %ld)", rc, d,
             out.failed_step ?: "-", out.failed_rc);
    printf("domains: child d%u: start_info pfn %#lx, page tables %#lx+%lu, "
           "mapped to pfn %#lx\n", d, (unsigned long)out.start_info_pfn,
           (unsigned long)out.pt_pfn, (unsigned long)out.nr_pt_frames,
           (unsigned long)out.map_end_pfn);

    child_build_checks(&cfg, &out, ok);          /* 5 */
    child_sched_checks(d, ok);                   /* 3 */

    rc = evtchn_status(d, out.console_evtchn, &st);
    xt_check("console_port_unbound_for_dom0", ok && rc == 0 &&
             st.status == EVTCHNSTAT_unbound && st.u.unbound.dom == 0,
             "rc %ld status %u dom %u", rc, st.status, st.u.unbound.dom);
    rc = ok ? xbh_bind(d, out.console_evtchn, &con.port) : -1;
    rc2 = ok ? xbh_bind(d, out.store_evtchn, &store_port) : -1;
    xt_check("bind_console_and_store", rc == 0 && rc2 == 0,
             "rc %ld/%ld", rc, rc2);
    con.ring = ok ? xbh_slot_map(&slots[SLOT_RING], d, out.console_mfn, true)
                  : NULL;
    ok = ok && con.ring && rc == 0;

    rc = ok ? xb_unpause(&ops, d) : -1;
    xb_getdomaininfo(&ops, d, &di);
    xt_check("unpause_child", rc == 0 && !(di.flags & XEN_DOMINF_paused),
             "rc %ld flags %#x", rc, di.flags);

    up = ok && rc == 0 && child_wait(&con, &con.spin_seen);
    child_pause_checks(d, &con, up);             /* 6 */

    up = up && child_wait(&con, &con.verdict_seen);
    for ( k = con.relayed; k < CHILD_NR_CHECKS; k++ )
    {
        char name[32];

        snprintf(name, sizeof(name), "child.missing_%u", k + 1);
        xt_check(name, false, "the child never reported it");
    }
    xt_check("child_verdict_success", up && !strcmp(con.verdict, "SUCCESS"),
             "%s", con.verdict_seen ? con.verdict : "no verdict");

    down = ok && wait_shutdown(d, &di, &virq);
    xt_check("virq_dom_exc_on_shutdown", down && virq, NULL);
    xt_check("child_shutdown_poweroff", down &&
             xb_shutdown_reason(&di) == SHUTDOWN_poweroff &&
             !(di.flags & (XEN_DOMINF_dying | XEN_DOMINF_paused)),
             "flags %#x", di.flags);

    xbh_slot_unmap(&slots[SLOT_RING]);
    xbh_take_pending(virq_port);
    rc = ok ? xb_destroy(&ops, d) : -1;
    xt_check_rc("destroy_child", rc, 0);
    xt_check("virq_dom_exc_on_destroy", ok && wait_dom_exc(), NULL);
    rc = xb_getdomaininfo(&ops, d, &di);
    xt_check("destroyed_dying_or_gone", ok && (rc == -XEN_ESRCH ||
             (rc == 0 && (di.domain != d ||
                          (di.flags & XEN_DOMINF_dying)))),
             "rc %ld domain %u flags %#x", rc, di.domain, di.flags);
    xt_check("destroyed_gone", ok && xbh_wait_gone(d, baseline_domains, virq_port), NULL);
    if ( con.port )
        xbh_close(con.port);
    if ( store_port )
        xbh_close(store_port);
}

/* ------------------------------------------------------------------ */
/* A child that crashes (NR_CRASH_CHECKS).                             */

static void crash_child(void)
{
    struct xb_config cfg;
    struct xb_domain out;
    struct xen_domctl_getdomaininfo di = { 0 };
    bool ok, virq = false;
    unsigned long i;
    long rc;

    quiesce();
    child_config(&cfg, "mode=crash");
    rc = xb_build_pv(&ops, &cfg, &out);
    ok = rc == 0;
    if ( ok )
        rc = xb_unpause(&ops, out.domid);
    xt_check("build_and_run_crash_child", ok && rc == 0, "rc %ld (%s)", rc,
             out.failed_step ?: "-");
    ok = ok && rc == 0 && wait_shutdown(out.domid, &di, &virq);
    /*
     * Xen 4.17 marks the domain shut down before its vCPU has left the
     * CPU it crashed on: under load the first look can still say
     * "running".  It stops running within a few polls.
     */
    for ( i = 0; ok && (di.flags & XEN_DOMINF_running) && i < MAX_POLLS;
          i++ )
    {
        xbh_poll1(virq_port, POLL_NS);
        ok = xb_getdomaininfo(&ops, out.domid, &di) == 0 &&
             di.domain == out.domid;
    }
    xt_check("crash_child_reason", ok && virq &&
             xb_shutdown_reason(&di) == SHUTDOWN_crash &&
             (di.flags & 0xffff) == XEN_DOMINF_shutdown, "flags %#x",
             di.flags);
    rc = ok ? xb_destroy(&ops, out.domid) : -1;
    xt_check("crash_child_destroyed", rc == 0 &&
             xbh_wait_gone(out.domid, baseline_domains, virq_port), "rc %ld", rc);
}

/* ------------------------------------------------------------------ */
/* Build/destroy cycles give every page back (NR_CYCLE_CHECKS).        */

static void cycles(void)
{
    struct xb_config cfg;
    struct xb_domain out;
    struct xen_sysctl_physinfo pi = { 0 };
    uint64_t before, after = 0;
    unsigned int n, done = 0;
    unsigned long i;
    long rc = 0;

    child_config(&cfg, "");
    /* A warm-up cycle: first-use allocations of the hypervisor may stay. */
    if ( xb_build_pv(&ops, &cfg, &out) == 0 )
        xb_destroy(&ops, out.domid);
    xbh_wait_gone(DOMID_INVALID, baseline_domains, virq_port);
    before = xbh_settled_free_pages(virq_port, 50);
    for ( n = 0; n < NR_CYCLES; n++ )
    {
        rc = xb_build_pv(&ops, &cfg, &out);
        if ( rc )
            break;
        rc = xb_destroy(&ops, out.domid);
        if ( rc )
            break;
        done++;
    }
    xt_check("cycles_build_destroy", done == NR_CYCLES,
             "%u done, rc %ld (%s)", done, rc, out.failed_step ?: "-");

    for ( i = 0; i < MAX_POLLS; i++ )
    {
        if ( xb_physinfo(&ops, &pi) == 0 && pi.free_pages >= before )
            break;
        xbh_poll1(virq_port, POLL_NS);
        xbh_take_pending(virq_port);
    }
    after = pi.free_pages;
    /* At least the baseline: Xen may still have been freeing pages then. */
    xt_check("cycles_free_pages_restored", before && after >= before,
             "before %lu after %lu", (unsigned long)before,
             (unsigned long)after);
    xt_check("cycles_no_domains_left",
             xbh_wait_gone(DOMID_INVALID, baseline_domains, virq_port), "%d domains",
             xbh_nr_domains());
}

/* ------------------------------------------------------------------ */

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
}

/* Informational: how long each phase took (never asserted). */
static void phase(void (*fn)(void), const char *name)
{
    uint64_t t0 = xt_system_time();

    fn();
    printf("domains: %s took %lu ms\n", name,
           (unsigned long)((xt_system_time() - t0) / 1000000));
}

XTEST(domains, NR_DOMAINS_CHECKS)
{
    setup();
    phase(host_checks, "host checks");
    phase(create_checks, "bare domains");
    phase(builder_error_checks, "builder errors");
    phase(child_lifecycle, "child lifecycle");
    phase(crash_child, "crash child");
    phase(cycles, "build/destroy cycles");
}
