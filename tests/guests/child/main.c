/*
 * child: an unprivileged PV domU built by the domains test (see child.h).
 *
 * It checks what the toolstack's build gave it (start_info, p2m/M2P, the
 * hypercall page, its console event channel) and what an unprivileged
 * domain must not be able to do: domctl, sysctl, console_io (Xen's
 * release build refuses it to a domU), touching another domain's memory
 * or event channels, shutting another domain down, and real I/O ports.
 * Its output goes to its console ring; the parent relays the RESULT
 * lines as its own.  Booted directly as dom0 (SUITE=all), it only
 * reports SKIPs.
 */
#include "xtpv.h"
#include "xtcons.h"
#include "child.h"

#include <public/domctl.h>
#include <public/sysctl.h>
#include <public/memory.h>

/* ------------------------------------------------------------------ */
/* Console ring output (replaces the framework's console_io writer).   */

static struct xt_cons_ring *cons;
static evtchn_port_t cons_port;

static bool is_domu(void)
{
    return xt_start_info && !(xt_start_info->flags & SIF_INITDOMAIN);
}

/* The ring page lies in the initial mapping: VA from the M2P. */
static bool cons_init(void)
{
    uint64_t mfn, pfn;

    if ( cons )
        return true;
    mfn = xt_start_info->console.domU.mfn;
    pfn = xt_m2p[mfn];
    if ( pfn >= xt_start_info->nr_pages )
        return false;
    cons = (struct xt_cons_ring *)(XT_VIRT_BASE + (pfn << 12));
    cons_port = xt_start_info->console.domU.evtchn;
    return true;
}

static void cons_notify(void)
{
    struct evtchn_send s = { .port = cons_port };

    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
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
        unsigned long spins = 0;

        /* Full: let the parent drain it (give up after very long). */
        while ( prod - ACCESS_ONCE(cons->out_cons) >= XT_CONS_OUT_SIZE )
        {
            ACCESS_ONCE(cons->out_prod) = prod;
            cons_notify();
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( ++spins > 1000000 )
                return;
        }
        cons->out[XT_CONS_OUT_IDX(prod)] = buf[i];
        prod++;
    }
    barrier();
    ACCESS_ONCE(cons->out_prod) = prod;
    cons_notify();
}

/* ------------------------------------------------------------------ */
/* Command line.                                                       */

/* Value of "key" (decimal, or hex with 0x) in the command line. */
static uint64_t cmdline_num(const char *key, uint64_t dflt)
{
    const char *cl = (const char *)xt_start_info->cmd_line;
    const char *p = strstr(cl, key);
    unsigned int base = 10;
    uint64_t v = 0;
    bool any = false;

    if ( !p )
        return dflt;
    p += strlen(key);
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
        else
            break;
        v = v * base + d;
        any = true;
    }
    return any ? v : dflt;
}

/* ------------------------------------------------------------------ */
/* Checks.                                                             */

static long domctl(uint32_t cmd, uint32_t version, domid_t dom)
{
    struct xen_domctl op = {
        .cmd = cmd, .interface_version = version, .domain = dom,
    };

    if ( cmd == XEN_DOMCTL_createdomain )
        op.u.createdomain.max_vcpus = 1;
    return HC(__HYPERVISOR_domctl, &op, 0, 0, 0, 0);
}

static long sysctl(uint32_t cmd, uint32_t version)
{
    struct xen_sysctl op = { .cmd = cmd, .interface_version = version };

    return HC(__HYPERVISOR_sysctl, &op, 0, 0, 0, 0);
}

static void start_info_checks(void)
{
    start_info_t *si = xt_start_info;
    uint64_t pages = cmdline_num("pages=", 0), pfn, bad = 0;
    struct evtchn_status st = { .dom = DOMID_SELF,
                                .port = si->console.domU.evtchn };
    long rc;

    xt_check("si_magic", !strcmp(si->magic, "xen-3.0-x86_64"), "%.31s",
             si->magic);
    xt_check("si_unprivileged",
             !(si->flags & (SIF_PRIVILEGED | SIF_INITDOMAIN)),
             "flags %#x", si->flags);
    xt_check("si_nr_pages", si->nr_pages == pages && pages, "%lu vs %lu",
             (unsigned long)si->nr_pages, (unsigned long)pages);
    xt_check("si_rings", si->console.domU.mfn && si->console.domU.evtchn &&
             si->store_mfn && si->store_evtchn &&
             si->console.domU.evtchn != si->store_evtchn,
             "cons %#lx/%u store %#lx/%u",
             (unsigned long)si->console.domU.mfn, si->console.domU.evtchn,
             (unsigned long)si->store_mfn, si->store_evtchn);
    xt_check("hypercall_page_filled", hypercall_page[0] != 0xc3, NULL);

    for ( pfn = 0; pfn < si->nr_pages; pfn++ )
        if ( xt_m2p[xt_p2m[pfn]] != pfn )
            bad++;
    xt_check("p2m_m2p_consistent", bad == 0, "%lu bad", (unsigned long)bad);

    rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
    xt_check("console_evtchn_bound", rc == 0 &&
             st.status == EVTCHNSTAT_interdomain &&
             st.u.interdomain.dom == 0, "rc %ld status %u dom %u", rc,
             st.status, st.u.interdomain.dom);
    xt_check("upcall_masked_at_start",
             xt_shared_info->vcpu_info[0].evtchn_upcall_mask == 1, NULL);
}

static void control_checks(void)
{
    uint64_t dom0mfn = cmdline_num("dom0mfn=", 0);
    unsigned long va = xt_scratch_va();
    struct mmu_update mu = {
        .ptr = xt_pte_maddr(va) | MMU_NORMAL_PT_UPDATE,
        .val = (dom0mfn << 12) | _PAGE_PRESENT | _PAGE_ACCESSED,
    };
    domid_t zero = 0;
    xen_pfn_t frame = 0;
    struct xen_memory_reservation r = {
        .extent_start = (unsigned long)&frame, .nr_extents = 1,
        .extent_order = 0, .domid = 0,
    };
    struct evtchn_alloc_unbound au = { .dom = 0, .remote_dom = DOMID_SELF };
    struct sched_remote_shutdown rs = { .domain_id = 0,
                                        .reason = SHUTDOWN_poweroff };
    long rc;

    xt_check_rc("console_io_eperm",
                HYPERVISOR_console_io(CONSOLEIO_write, 3, "hi\n"),
                -XEN_EPERM);
    xt_check_rc("domctl_bad_version_eacces",
                domctl(XEN_DOMCTL_getdomaininfo, 0x1234, 0), -XEN_EACCES);
    xt_check_rc("domctl_getdomaininfo_eperm",
                domctl(XEN_DOMCTL_getdomaininfo,
                       XEN_DOMCTL_INTERFACE_VERSION, 0), -XEN_EPERM);
    xt_check_rc("domctl_pause_dom0_eperm",
                domctl(XEN_DOMCTL_pausedomain, XEN_DOMCTL_INTERFACE_VERSION,
                       0), -XEN_EPERM);
    xt_check_rc("domctl_createdomain_eperm",
                domctl(XEN_DOMCTL_createdomain, XEN_DOMCTL_INTERFACE_VERSION,
                       0), -XEN_EPERM);
    xt_check_rc("sysctl_bad_version_eacces",
                sysctl(XEN_SYSCTL_physinfo, 0x1234), -XEN_EACCES);
    xt_check_rc("sysctl_physinfo_eperm",
                sysctl(XEN_SYSCTL_physinfo, XEN_SYSCTL_INTERFACE_VERSION),
                -XEN_EPERM);

    rc = HYPERVISOR_mmu_update(&mu, 1, NULL, 0);
    xt_check("mmu_update_foreign_dom0_eperm", rc == -XEN_EPERM && dom0mfn,
             "rc %ld mfn %#lx", rc, (unsigned long)dom0mfn);
    if ( rc == 0 )
        xt_unmap((void *)va);
    /* As our own: the frame is someone else's, Xen says -EBUSY. */
    rc = HYPERVISOR_mmu_update(&mu, 1, NULL, DOMID_SELF);
    xt_check("mmu_update_dom0_frame_ebusy", rc == -XEN_EBUSY, "rc %ld", rc);
    if ( rc == 0 )
        xt_unmap((void *)va);

    /* Reservation ops count extents done: refused means 0, not -EPERM. */
    rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
    xt_check("memop_populate_dom0_none", rc == 0 && frame == 0,
             "rc %ld frame %#lx", rc, (unsigned long)frame);
    xt_check_rc("memop_current_reservation_dom0_eperm",
                HYPERVISOR_memory_op(XENMEM_current_reservation, &zero),
                -XEN_EPERM);
    xt_check_rc("evtchn_alloc_unbound_dom0_eperm",
                HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au),
                -XEN_EPERM);
    xt_check_rc("remote_shutdown_dom0_eperm",
                HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs),
                -XEN_EPERM);
}

/*
 * The control operations xl create needs, asked by an unprivileged
 * domain with hostile arguments (dom0 as target, pointers into the
 * hypervisor): refused before anything is read or written.
 */
static void control_op_checks(void)
{
    struct xen_sysctl so = { .interface_version = XEN_SYSCTL_INTERFACE_VERSION };
    struct xen_domctl dop = { .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                              .domain = 0 };
    struct xen_mem_acquire_resource ar = {
        .domid = 0, .type = XENMEM_resource_grant_table,
        .id = XENMEM_resource_grant_table_id_shared, .nr_frames = 1,
        .frame_list = 0xffff830000000000UL,
    };
    const unsigned long hv = 0xffff830000000000UL;

    so.cmd = XEN_SYSCTL_cpupool_op;
    so.u.cpupool_op.op = XEN_SYSCTL_CPUPOOL_OP_INFO;
    so.u.cpupool_op.cpumap.bitmap.p = (void *)hv;
    so.u.cpupool_op.cpumap.nr_bits = 1 << 20;
    xt_check_rc("sysctl_cpupool_info_eperm",
                HC(__HYPERVISOR_sysctl, &so, 0, 0, 0, 0), -XEN_EPERM);
    memset(&so.u, 0, sizeof(so.u));
    so.cmd = XEN_SYSCTL_numainfo;
    so.u.numainfo.num_nodes = ~0U;
    so.u.numainfo.meminfo.p = (void *)hv;
    xt_check_rc("sysctl_numainfo_eperm",
                HC(__HYPERVISOR_sysctl, &so, 0, 0, 0, 0), -XEN_EPERM);
    memset(&so.u, 0, sizeof(so.u));
    so.cmd = XEN_SYSCTL_cputopoinfo;
    so.u.cputopoinfo.num_cpus = ~0U;
    so.u.cputopoinfo.cputopo.p = (void *)hv;
    xt_check_rc("sysctl_cputopoinfo_eperm",
                HC(__HYPERVISOR_sysctl, &so, 0, 0, 0, 0), -XEN_EPERM);

    dop.cmd = XEN_DOMCTL_settscinfo;
    dop.u.tsc_info.tsc_mode = XEN_CPUID_TSC_MODE_ALWAYS_EMULATE;
    xt_check_rc("domctl_settscinfo_dom0_eperm",
                HC(__HYPERVISOR_domctl, &dop, 0, 0, 0, 0), -XEN_EPERM);
    memset(&dop.u, 0, sizeof(dop.u));
    dop.cmd = XEN_DOMCTL_setvcpuaffinity;
    dop.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD;
    dop.u.vcpuaffinity.cpumap_hard.bitmap.p = (void *)hv;
    dop.u.vcpuaffinity.cpumap_hard.nr_bits = 1 << 20;
    xt_check_rc("domctl_setvcpuaffinity_dom0_eperm",
                HC(__HYPERVISOR_domctl, &dop, 0, 0, 0, 0), -XEN_EPERM);
    memset(&dop.u, 0, sizeof(dop.u));
    dop.cmd = XEN_DOMCTL_setnodeaffinity;
    dop.u.nodeaffinity.nodemap.bitmap.p = (void *)hv;
    dop.u.nodeaffinity.nodemap.nr_bits = 64;
    xt_check_rc("domctl_setnodeaffinity_dom0_eperm",
                HC(__HYPERVISOR_domctl, &dop, 0, 0, 0, 0), -XEN_EPERM);
    memset(&so.u, 0, sizeof(so.u));
    so.cmd = XEN_SYSCTL_get_cpu_policy;
    so.u.cpu_policy.nr_leaves = ~0U;
    so.u.cpu_policy.leaves.p = (void *)hv;
    xt_check_rc("sysctl_get_cpu_policy_eperm",
                HC(__HYPERVISOR_sysctl, &so, 0, 0, 0, 0), -XEN_EPERM);
    memset(&so.u, 0, sizeof(so.u));
    so.cmd = XEN_SYSCTL_get_cpu_featureset;
    so.u.cpu_featureset.nr_features = ~0U;
    so.u.cpu_featureset.features.p = (void *)hv;
    xt_check_rc("sysctl_get_cpu_featureset_eperm",
                HC(__HYPERVISOR_sysctl, &so, 0, 0, 0, 0), -XEN_EPERM);
    memset(&dop.u, 0, sizeof(dop.u));
    dop.cmd = XEN_DOMCTL_set_cpu_policy;
    dop.u.cpu_policy.nr_leaves = ~0U;
    dop.u.cpu_policy.leaves.p = (void *)hv;
    xt_check_rc("domctl_set_cpu_policy_dom0_eperm",
                HC(__HYPERVISOR_domctl, &dop, 0, 0, 0, 0), -XEN_EPERM);
    xt_check_rc("memop_acquire_resource_dom0_eperm",
                HYPERVISOR_memory_op(XENMEM_acquire_resource, &ar),
                -XEN_EPERM);
}

static int set_iopl(unsigned int iopl)
{
    struct { uint32_t iopl; } arg = { iopl };

    return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &arg);
}

static int inb_probe(uint16_t port, uint8_t *val)
{
    uint8_t v = 0;

    xt_fault_clear();
    asm volatile ( "1: inb %%dx, %%al; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+a" (v) : "d" (port) : "memory" );
    *val = v;
    return xt_fault_vec();
}

static int outb_probe(uint16_t port, uint8_t val)
{
    xt_fault_clear();
    asm volatile ( "1: outb %%al, %%dx; 2:\n\t" XT_EXTABLE(1b, 2b)
                   :: "a" (val), "d" (port) : "memory" );
    return xt_fault_vec();
}

/*
 * With IOPL 0 port access faults (#GP bounced to us).  With a virtual
 * IOPL of 3 the instruction is emulated, but a domU has no ports: reads
 * give all ones, writes are dropped.
 */
static void io_checks(void)
{
    uint8_t v = 0;
    int vec;

    vec = inb_probe(0x80, &v);
    xt_check("in_iopl0_gp", vec == X86_EXC_GP, "vec %d", vec);
    vec = outb_probe(0x80, 0x12);
    xt_check("out_iopl0_gp", vec == X86_EXC_GP, "vec %d", vec);
    xt_check_rc("set_iopl3", set_iopl(3), 0);
    vec = inb_probe(0x80, &v);
    xt_check("in_iopl3_no_ports_ones", vec == -1 && v == 0xff,
             "vec %d val %#x", vec, v);
    set_iopl(0);
}

/* Count until the parent says stop (it pauses and unpauses us meanwhile). */
static volatile uint64_t spin_page[512] __attribute__((aligned(4096)));

static void spin_phase(void)
{
    unsigned long i;

    printf(CHILD_SPIN_TAG "%#lx\n", (unsigned long)spin_page);
    for ( i = 0; i < 2000000 && !spin_page[CHILD_SPIN_STOP]; i++ )
    {
        spin_page[CHILD_SPIN_COUNTER]++;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    xt_check("spin_stopped_by_parent", spin_page[CHILD_SPIN_STOP] != 0,
             "%lu rounds", i);
}

XTEST(child, CHILD_NR_CHECKS)
{
    unsigned int i;

    if ( !is_domu() )
    {
        for ( i = 0; i < CHILD_NR_CHECKS; i++ )
        {
            char name[16];

            snprintf(name, sizeof(name), "skip%u", i);
            xt_skip(name, "the child runs as a domU of the domains test");
        }
        return;
    }
    if ( strstr((const char *)xt_start_info->cmd_line, "mode=crash") )
        xt_shutdown(SHUTDOWN_crash);

    xt_traps_init();
    start_info_checks();    /* 8 */
    control_checks();       /* 13 */
    control_op_checks();    /* 10 */
    io_checks();            /* 4 */
    spin_phase();           /* 1 */
}
