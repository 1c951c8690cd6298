/*
 * ctlops: the control operations Xen 4.17's xl create issues after the
 * builder's, from the initial domain:
 *  - sysctl cpupool_op (INFO, FREEINFO), numainfo, cputopoinfo;
 *  - domctl settscinfo, set/getvcpuaffinity, set/getnodeaffinity on a
 *    bare domain;
 *  - memory_op acquire_resource of its grant table: either the frames
 *    (Xen 4.17) or -EOPNOTSUPP (Xenia), the answer on which libxc falls
 *    back to GNTTABOP_setup_table for the domain plus a foreign mapping
 *    of the frame, which is checked too;
 *  - the grant-table versions libxl reads and asks for: physinfo's
 *    gnttab_v1/gnttab_v2 capabilities, createdomain refusing a maximum
 *    version of 0 or above 2 or unknown grant_opts bits, and the bare
 *    domain's table at version 1 with no status frames;
 *  - physinfo's hw_cap in Xen's featureset order (xl info, libvirt).
 * Every answer is compared with facts from physinfo and sched_id rather
 * than fixed numbers, so the checks hold on both hypervisors.
 */
#include "xtpv.h"
#include "xbops.h"
#include "dom0.h"

#include <public/memory.h>
#include <public/grant_table.h>

#define HV_ADDR 0xffff830000000000UL    /* the hypervisor's: never ours */

static struct xbh_slot slot;
static struct xen_sysctl_physinfo phys;
static uint32_t sched_id;

static unsigned int popcount(const uint8_t *b, unsigned int n)
{
    unsigned int c = 0, i;

    for ( i = 0; i < n * 8; i++ )
        c += (b[i / 8] >> (i % 8)) & 1;
    return c;
}

static long cpupool_info(uint32_t pool, uint8_t *map, uint32_t nr_bits,
                         struct xen_sysctl_cpupool_op *out)
{
    struct xen_sysctl op = { 0 };
    long rc;

    op.u.cpupool_op.op = XEN_SYSCTL_CPUPOOL_OP_INFO;
    op.u.cpupool_op.cpupool_id = pool;
    op.u.cpupool_op.cpumap.bitmap.p = map;
    op.u.cpupool_op.cpumap.nr_bits = nr_bits;
    rc = xbh_sysctl_cmd(XEN_SYSCTL_cpupool_op, &op);
    if ( out )
        *out = op.u.cpupool_op;
    return rc;
}

/* ---- host-wide: cpupool, numainfo, cputopoinfo (17) ---- */

static void host_checks(uint32_t *n_dom)
{
    struct xen_sysctl op = { 0 };
    struct xen_sysctl_cpupool_op c;
    uint8_t map[128];
    struct xen_sysctl_meminfo mi[4];
    uint32_t dist[16];
    struct xen_sysctl_cputopo topo[64];
    unsigned int i, j, bad;
    long rc;

    memset(map, 0xff, sizeof(map));
    rc = cpupool_info(0, map, sizeof(map) * 8, &c);
    *n_dom = c.n_dom;
    xt_check("cpupool_info_pool0", rc == 0 && c.cpupool_id == 0,
             "rc %ld pool %u", rc, c.cpupool_id);
    xt_check("cpupool_info_sched", c.sched_id == sched_id,
             "pool %u sched_id %u", c.sched_id, sched_id);
    xt_check("cpupool_info_cpus",
             popcount(map, sizeof(map)) == phys.nr_cpus &&
             map[0] == (uint8_t)((1U << phys.nr_cpus) - 1),
             "%u bits, byte0 %#x, nr_cpus %u", popcount(map, sizeof(map)),
             map[0], phys.nr_cpus);
    for ( bad = 0, i = 1; i < sizeof(map); i++ )
        bad += map[i] != 0;
    xt_check("cpupool_info_zero_fill", bad == 0, "%u nonzero bytes", bad);
    xt_check("cpupool_info_ndom", rc == 0 && c.n_dom >= 1, "n_dom %u",
             c.n_dom);
    xt_check_rc("cpupool_info_past_last_enoent",
                cpupool_info(1, map, 64, NULL), -XEN_ENOENT);
    xt_check_rc("cpupool_info_bad_buffer_efault",
                cpupool_info(0, (uint8_t *)HV_ADDR, 64, NULL), -XEN_EFAULT);

    memset(map, 0xff, sizeof(map));
    memset(&op, 0, sizeof(op));
    op.u.cpupool_op.op = XEN_SYSCTL_CPUPOOL_OP_FREEINFO;
    op.u.cpupool_op.cpumap.bitmap.p = map;
    op.u.cpupool_op.cpumap.nr_bits = 64;
    rc = xbh_sysctl_cmd(XEN_SYSCTL_cpupool_op, &op);
    xt_check("cpupool_freeinfo_none", rc == 0 && popcount(map, 8) == 0,
             "rc %ld free %u", rc, popcount(map, 8));
    memset(&op, 0, sizeof(op));
    op.u.cpupool_op.op = 99;
    xt_check_rc("cpupool_bad_op_enosys",
                xbh_sysctl_cmd(XEN_SYSCTL_cpupool_op, &op), -XEN_ENOSYS);

    /* numainfo: one node, all memory, distance 10 to itself. */
    memset(&op, 0, sizeof(op));
    rc = xbh_sysctl_cmd(XEN_SYSCTL_numainfo, &op);
    xt_check("numainfo_count_one", rc == 0 && op.u.numainfo.num_nodes == 1,
             "rc %ld nodes %u", rc, op.u.numainfo.num_nodes);
    memset(&op, 0, sizeof(op));
    memset(mi, 0xee, sizeof(mi));
    memset(dist, 0xee, sizeof(dist));
    op.u.numainfo.num_nodes = 4;
    op.u.numainfo.meminfo.p = mi;
    op.u.numainfo.distance.p = dist;
    rc = xbh_sysctl_cmd(XEN_SYSCTL_numainfo, &op);
    xt_check("numainfo_meminfo",
             rc == 0 && op.u.numainfo.num_nodes == 1 &&
             mi[0].memsize >= phys.total_pages << 12 &&
             mi[0].memfree > 0 && mi[0].memfree <= mi[0].memsize &&
             mi[1].memsize == 0xeeeeeeeeeeeeeeeeULL,
             "rc %ld nodes %u size %#lx free %#lx total %#lx", rc,
             op.u.numainfo.num_nodes, (unsigned long)mi[0].memsize,
             (unsigned long)mi[0].memfree,
             (unsigned long)(phys.total_pages << 12));
    xt_check("numainfo_distance_local", rc == 0 && dist[0] == 10 &&
             dist[1] == 0xeeeeeeeeU, "dist %u %#x", dist[0], dist[1]);
    memset(&op, 0, sizeof(op));
    op.u.numainfo.meminfo.p = (void *)HV_ADDR;
    op.u.numainfo.num_nodes = 1;
    xt_check_rc("numainfo_bad_buffer_efault",
                xbh_sysctl_cmd(XEN_SYSCTL_numainfo, &op), -XEN_EFAULT);

    /* cputopoinfo: every CPU present, node 0, distinct (socket, core). */
    memset(&op, 0, sizeof(op));
    rc = xbh_sysctl_cmd(XEN_SYSCTL_cputopoinfo, &op);
    xt_check("cputopoinfo_count", rc == 0 &&
             op.u.cputopoinfo.num_cpus == phys.max_cpu_id + 1,
             "rc %ld cpus %u max_cpu_id %u", rc, op.u.cputopoinfo.num_cpus,
             phys.max_cpu_id);
    memset(&op, 0, sizeof(op));
    memset(topo, 0xee, sizeof(topo));
    op.u.cputopoinfo.num_cpus = 64;
    op.u.cputopoinfo.cputopo.p = topo;
    rc = xbh_sysctl_cmd(XEN_SYSCTL_cputopoinfo, &op);
    bad = rc != 0 || op.u.cputopoinfo.num_cpus != phys.max_cpu_id + 1;
    for ( i = 0; !bad && i < op.u.cputopoinfo.num_cpus; i++ )
    {
        bad += topo[i].node != 0 || topo[i].core == XEN_INVALID_CORE_ID ||
               topo[i].socket == XEN_INVALID_SOCKET_ID;
        for ( j = 0; j < i; j++ )
            bad += topo[i].core == topo[j].core &&
                   topo[i].socket == topo[j].socket;
    }
    xt_check("cputopoinfo_entries", !bad,
             "rc %ld cpus %u cpu0 %u/%u/%u", rc, op.u.cputopoinfo.num_cpus,
             topo[0].socket, topo[0].core, topo[0].node);
    memset(&op, 0, sizeof(op));
    op.u.cputopoinfo.num_cpus = 1;
    op.u.cputopoinfo.cputopo.p = (void *)HV_ADDR;
    xt_check_rc("cputopoinfo_bad_buffer_efault",
                xbh_sysctl_cmd(XEN_SYSCTL_cputopoinfo, &op), -XEN_EFAULT);
}

/* ---- per domain: TSC, affinities (15) ---- */

static long tsc(domid_t dom, uint32_t mode, uint32_t khz)
{
    struct xen_domctl op = { 0 };

    op.u.tsc_info.tsc_mode = mode;
    op.u.tsc_info.gtsc_khz = khz;
    return xbh_domctl_cmd(XEN_DOMCTL_settscinfo, dom, &op);
}

static long affinity(uint32_t cmd, domid_t dom, uint32_t vcpu,
                     uint32_t flags, uint8_t *hard, uint32_t bits)
{
    struct xen_domctl op = { 0 };

    op.u.vcpuaffinity.vcpu = vcpu;
    op.u.vcpuaffinity.flags = flags;
    op.u.vcpuaffinity.cpumap_hard.bitmap.p = hard;
    op.u.vcpuaffinity.cpumap_hard.nr_bits = bits;
    return xbh_domctl_cmd(cmd, dom, &op);
}

static long nodes(uint32_t cmd, domid_t dom, uint8_t *map)
{
    struct xen_domctl op = { 0 };

    op.u.nodeaffinity.nodemap.bitmap.p = map;
    op.u.nodeaffinity.nodemap.nr_bits = 64;
    return xbh_domctl_cmd(cmd, dom, &op);
}

static void domain_checks(domid_t dom)
{
    uint8_t map[8];
    long rc;

    xt_check_rc("settscinfo_default", tsc(dom, XEN_CPUID_TSC_MODE_DEFAULT, 0),
                0);
    xt_check_rc("settscinfo_native", tsc(dom, XEN_CPUID_TSC_MODE_NATIVE, 0),
                0);
    xt_check_rc("settscinfo_bad_mode_einval", tsc(dom, 7, 0), -XEN_EINVAL);
    xt_check_rc("settscinfo_self_einval",
                tsc(0, XEN_CPUID_TSC_MODE_DEFAULT, 0), -XEN_EINVAL);

    memset(map, 0, sizeof(map));
    map[0] = 1;
    rc = affinity(XEN_DOMCTL_setvcpuaffinity, dom, 1, XEN_VCPUAFFINITY_HARD,
                  map, 64);
    xt_check("setvcpuaffinity_cpu0", rc == 0 && map[0] == 1 &&
             popcount(map, 8) == 1, "rc %ld map %#x", rc, map[0]);
    memset(map, 0xff, sizeof(map));
    rc = affinity(XEN_DOMCTL_getvcpuaffinity, dom, 1, XEN_VCPUAFFINITY_HARD,
                  map, 64);
    xt_check("getvcpuaffinity_recorded", rc == 0 && map[0] == 1 &&
             popcount(map, 8) == 1, "rc %ld map %#x", rc, map[0]);
    memset(map, 0xff, sizeof(map));
    rc = affinity(XEN_DOMCTL_getvcpuaffinity, dom, 0, XEN_VCPUAFFINITY_HARD,
                  map, 64);
    xt_check("getvcpuaffinity_other_vcpu_all", rc == 0 &&
             (map[0] & ((1U << phys.nr_cpus) - 1)) ==
             (uint8_t)((1U << phys.nr_cpus) - 1), "rc %ld map %#x", rc,
             map[0]);
    memset(map, 0, sizeof(map));
    map[7] = 0x80;                  /* CPU 63 only: not online */
    xt_check_rc("setvcpuaffinity_offline_einval",
                affinity(XEN_DOMCTL_setvcpuaffinity, dom, 0,
                         XEN_VCPUAFFINITY_HARD, map, 64), -XEN_EINVAL);
    map[0] = 1;
    xt_check_rc("setvcpuaffinity_bad_vcpu_einval",
                affinity(XEN_DOMCTL_setvcpuaffinity, dom, 2,
                         XEN_VCPUAFFINITY_HARD, map, 64), -XEN_EINVAL);
    xt_check_rc("setvcpuaffinity_no_flags_einval",
                affinity(XEN_DOMCTL_setvcpuaffinity, dom, 0, 0, map, 64),
                -XEN_EINVAL);
    xt_check_rc("setvcpuaffinity_bad_buffer_efault",
                affinity(XEN_DOMCTL_setvcpuaffinity, dom, 0,
                         XEN_VCPUAFFINITY_HARD, (uint8_t *)HV_ADDR, 64),
                -XEN_EFAULT);

    memset(map, 0, sizeof(map));
    map[0] = 1;
    xt_check_rc("setnodeaffinity_node0",
                nodes(XEN_DOMCTL_setnodeaffinity, dom, map), 0);
    memset(map, 0xff, sizeof(map));
    rc = nodes(XEN_DOMCTL_getnodeaffinity, dom, map);
    xt_check("getnodeaffinity_node0", rc == 0 && (map[0] & 1) &&
             popcount(map, 8) == 1, "rc %ld map %#x", rc, map[0]);
    memset(map, 0, sizeof(map));
    map[0] = 1 << 5;
    xt_check_rc("setnodeaffinity_no_node_einval",
                nodes(XEN_DOMCTL_setnodeaffinity, dom, map), -XEN_EINVAL);
    xt_check_rc("setnodeaffinity_bad_buffer_efault",
                nodes(XEN_DOMCTL_setnodeaffinity, dom, (uint8_t *)HV_ADDR),
                -XEN_EFAULT);
}

/* ---- the grant table: acquire_resource or its fallback (6) ---- */

/* A createdomain that must fail; a domain it made anyway is destroyed. */
static long create_refused(uint32_t grant_opts)
{
    struct xen_domctl d = { 0 };
    long rc;

    d.u.createdomain.max_vcpus = 1;
    d.u.createdomain.max_evtchn_port = 1023;
    d.u.createdomain.max_grant_frames = 4;
    d.u.createdomain.max_maptrack_frames = 1;
    d.u.createdomain.grant_opts = grant_opts;
    rc = xbh_domctl_cmd(XEN_DOMCTL_createdomain, 0, &d);
    if ( rc == 0 )
    {
        domid_t made = d.domain;

        memset(&d, 0, sizeof(d));
        xbh_domctl_cmd(XEN_DOMCTL_destroydomain, made, &d);
        xbh_wait_gone(made, -1, 0);
    }
    return rc;
}

static void grant_version_checks(domid_t dom)
{
    gnttab_get_version_t gv = { .dom = dom, .version = 99 };
    gnttab_get_status_frames_t sf = { .nr_frames = 1, .dom = dom,
                                      .status = 99 };
    uint64_t list[1];
    long rc;

    xt_check("physinfo_gnttab_v1_v2", (phys.capabilities &
             (XEN_SYSCTL_PHYSCAP_gnttab_v1 | XEN_SYSCTL_PHYSCAP_gnttab_v2)) ==
             (XEN_SYSCTL_PHYSCAP_gnttab_v1 | XEN_SYSCTL_PHYSCAP_gnttab_v2),
             "capabilities %#x", phys.capabilities);
    xt_check_rc("createdomain_grant_version_0_einval", create_refused(0),
                -XEN_EINVAL);
    xt_check_rc("createdomain_grant_version_3_einval",
                create_refused(XEN_DOMCTL_GRANT_version(3)), -XEN_EINVAL);
    xt_check_rc("createdomain_grant_opts_bits_einval",
                create_refused(XEN_DOMCTL_GRANT_version(1) | 0x10),
                -XEN_EINVAL);
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_get_version, &gv, 1, 0, 0);
    xt_check("domain_grant_version_1", rc == 0 && gv.version == 1,
             "rc %ld version %u", rc, gv.version);
    set_xen_guest_handle(sf.frame_list, list);
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_get_status_frames, &sf, 1,
            0, 0);
    xt_check("domain_no_status_frames", rc == 0 &&
             sf.status == GNTST_general_error, "rc %ld status %d", rc,
             sf.status);
}

static void gnttab_checks(domid_t dom)
{
    xen_pfn_t frames[1] = { 0 };
    struct xen_mem_acquire_resource ar = {
        .domid = dom, .type = XENMEM_resource_grant_table,
        .id = XENMEM_resource_grant_table_id_shared, .nr_frames = 1,
        .frame_list = (unsigned long)frames,
    };
    struct gnttab_setup_table st = { .dom = dom, .nr_frames = 1 };
    xen_pfn_t frame = 0;
    volatile uint32_t *g;
    long rc;

    rc = HYPERVISOR_memory_op(XENMEM_acquire_resource, &ar);
    xt_check("acquire_resource_gnttab_or_eopnotsupp",
             (rc == 0 && frames[0]) || rc == -XEN_EOPNOTSUPP,
             "rc %ld frame %#lx", rc, (unsigned long)frames[0]);
    ar.pad = 1;
    xt_check_rc("acquire_resource_pad_einval",
                HYPERVISOR_memory_op(XENMEM_acquire_resource, &ar),
                -XEN_EINVAL);
    ar.pad = 0;
    ar.domid = DOMID_FIRST_RESERVED - 2;
    xt_check_rc("acquire_resource_no_domain_esrch",
                HYPERVISOR_memory_op(XENMEM_acquire_resource, &ar),
                -XEN_ESRCH);

    st.frame_list.p = &frame;
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0);
    frame = *(volatile xen_pfn_t *)&frame;  /* written by the hypervisor */
    xt_check("setup_table_for_domain", rc == 0 && st.status == GNTST_okay &&
             frame != 0, "rc %ld status %d frame %#lx", rc, st.status,
             (unsigned long)frame);
    /* As libxc's fallback: a writable foreign mapping of the frame. */
    {
        struct mmu_update u = {
            .ptr = slot.pte | MMU_NORMAL_PT_UPDATE,
            .val = (frame << 12) | _PAGE_PRESENT | _PAGE_ACCESSED |
                   _PAGE_RW | _PAGE_DIRTY,
        };

        rc = frame ? HYPERVISOR_mmu_update(&u, 1, NULL, dom) : -1;
        slot.mapped = rc == 0;
        g = rc == 0 ? (volatile uint32_t *)slot.va : NULL;
    }
    xt_check("map_domain_gnttab_frame", g != NULL,
             "rc %ld frame %#lx pte %#lx", rc, (unsigned long)frame,
             (unsigned long)slot.pte);
    if ( g )
    {
        /* Entry 1 as libxc seeds it: read-write for dom0, frame 0x1234. */
        g[2] = 0;
        g[3] = 0x1234;
        g[2] = GTF_permit_access;
        xt_check("write_domain_gnttab_entry", g[3] == 0x1234 &&
                 g[2] == GTF_permit_access, "%#x %#x", g[2], g[3]);
        g[2] = 0;
        xbh_slot_unmap(&slot);
    }
    else
        xt_skip("write_domain_gnttab_entry", "no mapping");
}

/* ---- CPU policies (12) ---- */

static struct xen_cpuid_leaf pol[256];
static struct xen_msr_entry pol_msrs[16];

static long get_policy(uint32_t index, uint32_t nr_leaves, uint32_t *nl,
                       uint32_t *nm, uint32_t rsvd)
{
    struct xen_sysctl op = { 0 };
    long rc;

    op.u.cpu_policy.index = index;
    op.u.cpu_policy.nr_leaves = nr_leaves;
    op.u.cpu_policy.nr_msrs = 16;
    op.u.cpu_policy._rsvd = rsvd;
    op.u.cpu_policy.leaves.p = nr_leaves ? pol : NULL;
    op.u.cpu_policy.msrs.p = nr_leaves ? pol_msrs : NULL;
    rc = xbh_sysctl_cmd(XEN_SYSCTL_get_cpu_policy, &op);
    if ( nl )
        *nl = op.u.cpu_policy.nr_leaves;
    if ( nm )
        *nm = op.u.cpu_policy.nr_msrs;
    return rc;
}

static const struct xen_cpuid_leaf *find_leaf(uint32_t n, uint32_t leaf)
{
    uint32_t i;

    for ( i = 0; i < n; i++ )
        if ( pol[i].leaf == leaf )
            return &pol[i];
    return NULL;
}

static long set_policy(domid_t dom, uint32_t nl, uint32_t nm,
                       struct xen_domctl_cpu_policy *out)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.cpu_policy.nr_leaves = nl;
    op.u.cpu_policy.nr_msrs = nm;
    op.u.cpu_policy.leaves.p = pol;
    op.u.cpu_policy.msrs.p = pol_msrs;
    rc = xbh_domctl_cmd(XEN_DOMCTL_set_cpu_policy, dom, &op);
    *out = op.u.cpu_policy;
    return rc;
}

static void policy_checks(domid_t dom)
{
    struct xen_sysctl op = { 0 };
    struct xen_domctl_cpu_policy res;
    uint32_t fs[32], nl = 0, nm = 0, a, b, c, d, hw1d, i, bad;
    const struct xen_cpuid_leaf *l;
    long rc;

    rc = xbh_sysctl_cmd(XEN_SYSCTL_get_cpu_featureset, &op);
    xt_check("featureset_size", rc == 0 && op.u.cpu_featureset.nr_features
             > 2 && op.u.cpu_featureset.nr_features <= 32, "rc %ld nr %u",
             rc, op.u.cpu_featureset.nr_features);
    memset(&op, 0, sizeof(op));
    memset(fs, 0, sizeof(fs));
    op.u.cpu_featureset.index = XEN_SYSCTL_cpu_featureset_pv;
    op.u.cpu_featureset.nr_features = 32;
    op.u.cpu_featureset.features.p = fs;
    rc = xbh_sysctl_cmd(XEN_SYSCTL_get_cpu_featureset, &op);
    asm volatile ( "cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d)
                   : "a" (1), "c" (0) );
    hw1d = d;
    /* PV features (1.edx) are the hardware's, minus some. */
    xt_check("featureset_pv_within_hw", rc == 0 && fs[0] && !(fs[0] & ~d),
             "rc %ld pv %#x hw %#x", rc, fs[0], d);
    memset(&op, 0, sizeof(op));
    op.u.cpu_featureset.index = 99;
    op.u.cpu_featureset.nr_features = 32;
    op.u.cpu_featureset.features.p = fs;
    xt_check_rc("featureset_bad_index_einval",
                xbh_sysctl_cmd(XEN_SYSCTL_get_cpu_featureset, &op),
                -XEN_EINVAL);

    rc = get_policy(XEN_SYSCTL_cpu_policy_host, 0, &nl, &nm, 0);
    xt_check("policy_size", rc == 0 && nl > 0 && nl <= 256 && nm >= 1 &&
             nm <= 16, "rc %ld leaves %u msrs %u", rc, nl, nm);
    rc = get_policy(XEN_SYSCTL_cpu_policy_host, 256, &nl, &nm, 0);
    asm volatile ( "cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d)
                   : "a" (0), "c" (0) );
    l = find_leaf(nl, 0);
    for ( bad = 0, i = 1; rc == 0 && i < nl; i++ )
        bad += pol[i].leaf < pol[i - 1].leaf;
    xt_check("policy_host_vendor_ordered", rc == 0 && l == &pol[0] &&
             l->b == b && l->c == c && l->d == d && !bad,
             "rc %ld leaves %u unordered %u", rc, nl, bad);
    xt_check_rc("policy_rsvd_einval",
                get_policy(XEN_SYSCTL_cpu_policy_host, 256, NULL, NULL, 1),
                -XEN_EINVAL);
    xt_check_rc("policy_bad_index_einval",
                get_policy(99, 256, NULL, NULL, 0), -XEN_EINVAL);
    xt_check_rc("policy_small_buffer_enobufs",
                get_policy(XEN_SYSCTL_cpu_policy_host, 1, NULL, NULL, 0),
                -XEN_ENOBUFS);

    /* xl create's step: the PV default policy, set for the new domain. */
    rc = get_policy(XEN_SYSCTL_cpu_policy_pv_default, 256, &nl, &nm, 0);
    l = find_leaf(nl, 1);
    xt_check("policy_pv_default", rc == 0 && l && l->d && !(l->d & ~hw1d),
             "rc %ld leaves %u msrs %u 1.edx %#x hw %#x", rc, nl, nm,
             l ? l->d : 0, hw1d);
    /*
     * libxc sends back a policy with as many entries as it got, written
     * by its own serialiser; the layout must be the one it writes: the
     * basic leaves (on Intel, leaf 4 with its 5 subleaves), then
     * 0x40000000 and 0x40000100, then the extended leaves.  Without the two hypervisor
     * leaves xl create failed on -cpu core2duo with "Failed to serialise
     * CPUID (ENOBUFS)".
     */
    {
        const struct xen_cpuid_leaf *b0 = find_leaf(nl, 0);
        uint32_t hv = 0, at = nl, c4 = 0, misplaced = 0;

        for ( i = 0; i < nl; i++ )
        {
            if ( pol[i].leaf == 0x40000000U && at == nl )
                at = i;
            hv += pol[i].leaf == 0x40000000U || pol[i].leaf == 0x40000100U;
            c4 += pol[i].leaf == 4;
        }
        for ( i = 0; i < nl; i++ )
            misplaced += i < at ? pol[i].leaf >= 0x40000000U
                       : i > at + 1 ? pol[i].leaf < 0x80000000U : 0;
        xt_check("policy_pv_default_serialised", rc == 0 && hv == 2 &&
                 at + 1 < nl && pol[at + 1].leaf == 0x40000100U &&
                 !misplaced, "leaves %u, hypervisor leaves %u at %u, "
                 "misplaced %u, leaf 4 entries %u, basic max %#x", nl, hv,
                 at, misplaced, c4, b0 ? b0->a : 0);
    }
    rc = rc ? rc : set_policy(dom, nl, nm, &res);
    xt_check("set_cpu_policy_pv_default", rc == 0, "rc %ld err %#x/%#x/%#x",
             rc, res.err_leaf, res.err_subleaf, res.err_msr);
    /* An unknown leaf: -ERANGE, and the leaf named. */
    pol[nl] = pol[0];
    pol[nl].leaf = 0x7fffff00;
    pol[nl].subleaf = XEN_CPUID_NO_SUBLEAF;
    rc = set_policy(dom, nl + 1, nm, &res);
    xt_check("set_cpu_policy_bad_leaf_erange", rc == -XEN_ERANGE &&
             res.err_leaf == 0x7fffff00, "rc %ld err_leaf %#x", rc,
             res.err_leaf);
    /* A basic max leaf above the maximum policy's: -EINVAL. */
    l = find_leaf(nl, 0);
    if ( l )
        ((struct xen_cpuid_leaf *)l)->a = 0x7ffffff0;
    rc = set_policy(dom, nl, nm, &res);
    xt_check("set_cpu_policy_over_max_einval", rc == -XEN_EINVAL,
             "rc %ld err %#x/%#x", rc, res.err_leaf, res.err_subleaf);
}

XTEST(ctlops, 60)
{
    struct xen_sysctl op = { 0 };
    struct xen_domctl d = { 0 };
    struct xen_sysctl_cpupool_op c;
    uint32_t n_dom = 0;
    uint8_t map[8];
    domid_t dom = DOMID_INVALID;
    long rc;

    xt_traps_init();
    xbh_slot_init(&slot);
    if ( xbh_sysctl_cmd(XEN_SYSCTL_physinfo, &op) )
        xt_error("physinfo failed");
    phys = op.u.physinfo;
    memset(&op, 0, sizeof(op));
    if ( xbh_sysctl_cmd(XEN_SYSCTL_sched_id, &op) )
        xt_error("sched_id failed");
    sched_id = op.u.sched_id.sched_id;

    host_checks(&n_dom);                    /* 17 */
    /*
     * hw_cap is Xen's featureset order (libvirt's libxl driver decodes the
     * host CPU from it): word 0 is leaf 1's EDX (FPU, bit 0), word 2 leaf
     * 0x80000001's EDX (LM, bit 29, on any 64-bit host).
     */
    xt_check("physinfo_hw_cap_featureset_order",
             (phys.hw_cap[0] & 1) && (phys.hw_cap[2] & (1u << 29)),
             "hw_cap %08x:%08x:%08x:%08x", phys.hw_cap[0], phys.hw_cap[1],
             phys.hw_cap[2], phys.hw_cap[3]);

    d.u.createdomain.max_vcpus = 2;
    d.u.createdomain.max_evtchn_port = 1023;
    d.u.createdomain.max_grant_frames = 4;
    d.u.createdomain.max_maptrack_frames = 1;
    d.u.createdomain.grant_opts = XEN_DOMCTL_GRANT_version(1);
    rc = xbh_domctl_cmd(XEN_DOMCTL_createdomain, 0, &d);
    if ( !rc )
        dom = d.domain;
    memset(&d, 0, sizeof(d));
    d.u.max_vcpus.max = 2;
    if ( !rc )
        rc = xbh_domctl_cmd(XEN_DOMCTL_max_vcpus, dom, &d);
    xt_check("bare_domain_created", rc == 0, "rc %ld dom %u", rc, dom);
    if ( rc )
        return;
    rc = cpupool_info(0, map, 64, &c);
    xt_check("cpupool_info_counts_new_domain", rc == 0 &&
             c.n_dom == n_dom + 1, "rc %ld n_dom %u before %u", rc, c.n_dom,
             n_dom);

    domain_checks(dom);                     /* 15 */
    gnttab_checks(dom);                     /* 6 */
    grant_version_checks(dom);              /* 6 */
    policy_checks(dom);                     /* 13 */

    memset(&d, 0, sizeof(d));
    rc = xbh_domctl_cmd(XEN_DOMCTL_destroydomain, dom, &d);
    xt_check("bare_domain_destroyed", rc == 0 && xbh_wait_gone(dom, -1, 0),
             "rc %ld", rc);
}
