/*
 * sysctl: machine-wide queries and controls for the control domain (Xen
 * 4.17 numbering and layouts, include/public/sysctl.h). Checks in Xen's
 * order: interface version (-EACCES), then privilege (-EPERM). Unknown
 * commands: -ENOSYS.
 *
 * Locking: runs under the hypervisor lock.
 */
#include <xenia/lib.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/grant_table.h>
#include <xenia/smp.h>
#include <xenia/console.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/processor.h>
#include <xenia/time.h>
#include <xenia/ctl_bitmap.h>
#include <xenia/cpu_policy.h>
#include <public/xen.h>
#include <public/domctl.h>
#include <public/sysctl.h>


static void physinfo_hw_cap(uint32_t *hw_cap, unsigned int n);

static void physinfo(struct xen_sysctl_physinfo *p)
{
    memset(p, 0, sizeof(*p));
    p->threads_per_core = 1;
    p->cores_per_socket = nr_cpus_online;
    p->nr_cpus = nr_cpus_online;
    p->max_cpu_id = nr_cpus_online - 1;
    p->nr_nodes = 1;
    p->max_node_id = 0;
    p->cpu_khz = cpu_khz;
    p->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_gnttab_v1 |
                      (gnttab_max_version() >= 2 ?
                       XEN_SYSCTL_PHYSCAP_gnttab_v2 : 0);
    p->total_pages = heap_total_pages;
    p->free_pages = falloc_free_pages(&heap);
    p->max_mfn = max_page - 1;
    physinfo_hw_cap(p->hw_cap, sizeof(p->hw_cap) / sizeof(p->hw_cap[0]));
}

static long getdomaininfolist(struct xen_sysctl_getdomaininfolist *l)
{
    struct xen_domctl_getdomaininfo info;
    domid_t id = l->first_domain;
    uint32_t n = 0;
    struct domain *d;

    while ( n < l->max_domains && (d = domain_first_from(id)) )
    {
        domctl_getdomaininfo(d, &info);
        if ( copy_to_guest((vaddr_t)l->buffer.p + n * sizeof(info), &info,
                           sizeof(info)) )
            return -EFAULT;
        n++;
        if ( d->domain_id == 0xffff )
            break;
        id = d->domain_id + 1;
    }
    l->num_domains = n;
    return 0;
}

/* ---- xenctl_bitmap copies (xenia/ctl_bitmap.h) ---- */

int ctl_bitmap_from_mask(const struct xenctl_bitmap *b, uint64_t mask,
                         unsigned int nbits)
{
    unsigned int guest_bytes = (b->nr_bits + 7) / 8;
    unsigned int hv_bytes = (nbits + 7) / 8, i;
    vaddr_t buf = (vaddr_t)b->bitmap.p;

    if ( nbits < 64 )
        mask &= (1ULL << nbits) - 1;
    for ( i = 0; i < guest_bytes; i++ )
    {
        uint8_t byte = i < hv_bytes && i < 8 ? mask >> (8 * i) : 0;

        if ( copy_to_guest(buf + i, &byte, 1) )
            return -EFAULT;
    }
    return 0;
}

int ctl_bitmap_to_mask(const struct xenctl_bitmap *b, uint64_t *mask,
                       unsigned int nbits)
{
    unsigned int guest_bytes = (b->nr_bits + 7) / 8;
    unsigned int hv_bytes = (nbits + 7) / 8, i;
    vaddr_t buf = (vaddr_t)b->bitmap.p;
    uint8_t bytes[8] = { 0 };

    if ( hv_bytes > 8 )
        hv_bytes = 8;
    for ( i = 0; i < guest_bytes && i < hv_bytes; i++ )
        if ( copy_from_guest(&bytes[i], buf + i, 1) )
            return -EFAULT;
    /* The last guest byte holds only nr_bits % 8 valid bits. */
    if ( (b->nr_bits & 7) && guest_bytes <= hv_bytes )
        bytes[guest_bytes - 1] &= (1U << (b->nr_bits & 7)) - 1;
    *mask = 0;
    for ( i = 0; i < 8; i++ )
        *mask |= (uint64_t)bytes[i] << (8 * i);
    if ( nbits < 64 )
        *mask &= (1ULL << nbits) - 1;
    return 0;
}

/*
 * XEN_SYSCTL_cputopoinfo: one socket, one thread per core; CPU n is core
 * n of socket 0, node 0 (as physinfo says).  A NULL handle asks for the
 * count.  num_cpus goes back when it changed.
 */
static long cputopoinfo(struct xen_sysctl_cputopoinfo *t)
{
    unsigned int n = nr_cpus_online, i;

    if ( t->cputopo.p )
    {
        if ( n > t->num_cpus )
            n = t->num_cpus;
        for ( i = 0; i < n; i++ )
        {
            struct xen_sysctl_cputopo c = { .core = i, .socket = 0,
                                            .node = 0 };

            if ( copy_to_guest((vaddr_t)t->cputopo.p + i * sizeof(c), &c,
                               sizeof(c)) )
                return -EFAULT;
        }
    }
    t->num_cpus = n;
    return 0;
}

/*
 * XEN_SYSCTL_numainfo: one node holding all memory, distance 10 to
 * itself (Xen's answer without an ACPI SLIT).
 */
static long numainfo(struct xen_sysctl_numainfo *ni)
{
    unsigned int n = 1;

    if ( ni->meminfo.p || ni->distance.p )
    {
        if ( n > ni->num_nodes )
            n = ni->num_nodes;
        if ( n && ni->meminfo.p )
        {
            struct xen_sysctl_meminfo m = {
                .memsize = (uint64_t)max_page << PAGE_SHIFT,
                .memfree = (uint64_t)falloc_free_pages(&heap) << PAGE_SHIFT,
            };

            if ( copy_to_guest((vaddr_t)ni->meminfo.p, &m, sizeof(m)) )
                return -EFAULT;
        }
        if ( n && ni->distance.p )
        {
            uint32_t dist = 10;

            if ( copy_to_guest((vaddr_t)ni->distance.p, &dist, sizeof(dist)) )
                return -EFAULT;
        }
    }
    ni->num_nodes = n;
    return 0;
}

/*
 * XEN_SYSCTL_cpupool_op: Xenia has one pool, 0, with every CPU, run by
 * its credit scheduler.  INFO and FREEINFO as Xen; MOVEDOMAIN into pool
 * 0 is a no-op; pools cannot be created, destroyed or resized.
 */
static long cpupool_op(struct xen_sysctl_cpupool_op *c)
{
    unsigned int slot, n = 0;
    struct domain *d;

    switch ( c->op )
    {
    case XEN_SYSCTL_CPUPOOL_OP_INFO:
        if ( c->cpupool_id > 0 )
            return -ENOENT;         /* no pool with an id >= it */
        for ( slot = 0; slot < MAX_DOMAINS; slot++ )
            if ( (d = domain_in_slot(slot)) && d->state != DOMAIN_DYING )
                n++;
        c->cpupool_id = 0;
        c->sched_id = XEN_SCHEDULER_CREDIT;
        c->n_dom = n;
        return ctl_bitmap_from_mask(&c->cpumap, cpu_online_mask,
                                    nr_cpus_online);
    case XEN_SYSCTL_CPUPOOL_OP_FREEINFO:
        return ctl_bitmap_from_mask(&c->cpumap, 0, nr_cpus_online);
    case XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN:
        if ( c->domid == 0 || c->domid >= DOMID_FIRST_RESERVED )
            return -EINVAL;         /* as Xen: dom0 stays in pool 0 */
        if ( !(d = domain_by_id(c->domid)) )
            return -ESRCH;
        return c->cpupool_id == 0 ? 0 : -ENOENT;
    case XEN_SYSCTL_CPUPOOL_OP_CREATE:
    case XEN_SYSCTL_CPUPOOL_OP_DESTROY:
    case XEN_SYSCTL_CPUPOOL_OP_ADDCPU:
    case XEN_SYSCTL_CPUPOOL_OP_RMCPU:
        report_unhandled(UNHANDLED_SUBOP, "cpupool_op", c->op,
                         "one pool only: -EOPNOTSUPP");
        return -EOPNOTSUPP;
    default:
        return -ENOSYS;
    }
}

/* ---- CPU policies (xenia/cpu_policy.h) ---- */

/*
 * The leaves a policy carries: basic 0..0xd and extended up to
 * 0x80000008, capped by the CPU's own limits (libxc's buffer parser
 * accepts those ranges).  Leaf 4 has subleaves 0-4, 0xb 0-1, 0xd 0-62,
 * 7 subleaf 0 only (max subleaf reported 0); the others none; the
 * hypervisor leaves 0x40000000 and 0x40000100 follow the basic ones: the
 * entries and order of libxc's x86_cpuid_copy_to_buffer().
 */
#define POLICY_BASIC_LAST   0xdU
#define POLICY_EXTD_LAST    0x80000008U
#define POLICY_EXTD_AMD     0x80000021U     /* what libxc can parse */
#define POLICY_MAX_LEAVES   128     /* 14 basic + 66 subleaves + 2 + 9 */
#define POLICY_NR_MSRS      2
#define MSR_PLATFORM_INFO   0xceU
#define MSR_ARCH_CAPS       0x10aU

static unsigned int nr_subleaves(uint32_t leaf)
{
    switch ( leaf )
    {
    case 4:   return 5;
    case 0xb: return 2;
    case 0xd: return 63;        /* libxc serialises all of them */
    case 7:   return 1;
    default:  return 0;
    }
}

bool cpu_policy_leaf_valid(uint32_t leaf, uint32_t sub)
{
    if ( leaf <= POLICY_BASIC_LAST )
    {
        switch ( leaf )
        {
        case 4:   return sub < 5;
        case 7:   return sub < 2;
        case 0xb: return sub < 2;
        case 0xd: return sub < 63;
        default:  return sub == XEN_CPUID_NO_SUBLEAF;
        }
    }
    if ( leaf == 0x40000000U || leaf == 0x40000100U )
        return sub == XEN_CPUID_NO_SUBLEAF;
    if ( leaf >= 0x80000000U && leaf <= POLICY_EXTD_AMD )
        return sub == XEN_CPUID_NO_SUBLEAF;
    return false;
}

/*
 * The PV view.  These masks are those of the #UD-forced CPUID emulation
 * (arch/x86/pv/emulate.c, pv_cpuid), which is what a PV guest of Xenia
 * sees whatever the toolstack sets: keep the two in step.
 */
static void pv_mask(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    switch ( leaf )
    {
    case 1:
        r[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) |
                  (1u << 2) | (1u << 4) | (1u << 14) | (1u << 15) |
                  (1u << 17) | (1u << 18) | (1u << 21) | (1u << 24) |
                  (1u << 26) | (1u << 27));
        r[2] |= 1u << 31;
        r[3] &= ~((1u << 1) | (1u << 3) | (1u << 12) | (1u << 13) |
                  (1u << 17) | (1u << 18) | (1u << 21) | (1u << 29) |
                  (1u << 31));
        break;
    case 5:
    case 6:
    case 0xd:
        memset(r, 0, 16);
        break;
    case 7:
        if ( sub == 0 )
        {
            r[1] &= ~((1u << 0) | (1u << 1) | (1u << 7) | (1u << 10) |
                      (1u << 20));
            r[2] &= ~((1u << 2) | (1u << 3));
        }
        break;
    case 0x80000001:
        r[2] &= ~((1u << 2) | (1u << 3) | (1u << 10) | (1u << 12) |
                  (1u << 15) | (1u << 19) | (1u << 22));
        r[3] &= ~(1u << 26);
        break;
    }
}

void cpu_policy_leaf(unsigned int index, uint32_t leaf, uint32_t sub,
                     uint32_t r[4])
{
    uint32_t basic, extd;

    cpuid(0, 0, &basic, &r[1], &r[2], &r[3]);
    cpuid(0x80000000U, 0, &extd, &r[1], &r[2], &r[3]);
    memset(r, 0, 16);
    if ( leaf > (basic < POLICY_BASIC_LAST ? basic : POLICY_BASIC_LAST) &&
         (leaf < 0x80000000U ||
          leaf > (extd < POLICY_EXTD_LAST ? extd : POLICY_EXTD_LAST)) )
        return;
    cpuid(leaf, sub == XEN_CPUID_NO_SUBLEAF ? 0 : sub,
          &r[0], &r[1], &r[2], &r[3]);
    if ( leaf == 0 && r[0] > POLICY_BASIC_LAST )
        r[0] = POLICY_BASIC_LAST;
    if ( leaf == 0x80000000U && r[0] > POLICY_EXTD_LAST )
        r[0] = POLICY_EXTD_LAST;
    if ( leaf == 7 && sub == 0 )
        r[0] = 0;                   /* max subleaf: 0 */
    if ( index == XEN_SYSCTL_cpu_policy_pv_max ||
         index == XEN_SYSCTL_cpu_policy_pv_default )
        pv_mask(leaf, sub, r);
}

/*
 * The hypervisor leaves libxc's serialiser puts between the basic and the
 * extended ones (0x40000000 and 0x40000100, a = their limits, 0: no leaves
 * beyond): libxc sizes its buffer for the policy it sends back from the
 * count of the one it got, so both must hold the same entries.
 */
static unsigned int policy_hv_leaves(struct xen_cpuid_leaf *out,
                                     unsigned int n)
{
    out[n++] = (struct xen_cpuid_leaf){ .leaf = 0x40000000U,
                                        .subleaf = XEN_CPUID_NO_SUBLEAF };
    out[n++] = (struct xen_cpuid_leaf){ .leaf = 0x40000100U,
                                        .subleaf = XEN_CPUID_NO_SUBLEAF };
    return n;
}

/* The leaves of a policy, in order; returns how many. */
static unsigned int policy_leaves(unsigned int index,
                                  struct xen_cpuid_leaf *out)
{
    uint32_t r[4], leaf, last, sub, n = 0;

    cpu_policy_leaf(index, 0, XEN_CPUID_NO_SUBLEAF, r);
    for ( last = r[0], leaf = 0; ; leaf++ )
    {
        if ( leaf > last )
        {
            if ( leaf > 0x80000000U )
                break;
            n = policy_hv_leaves(out, n);
            cpu_policy_leaf(index, 0x80000000U, XEN_CPUID_NO_SUBLEAF, r);
            if ( r[0] < 0x80000000U )
                break;
            leaf = 0x80000000U;
            last = r[0];
        }
        for ( sub = 0; sub < (nr_subleaves(leaf) ? nr_subleaves(leaf) : 1);
              sub++ )
        {
            struct xen_cpuid_leaf *l = &out[n++];

            l->leaf = leaf;
            l->subleaf = nr_subleaves(leaf) ? sub : XEN_CPUID_NO_SUBLEAF;
            cpu_policy_leaf(index, leaf, l->subleaf, r);
            l->a = r[0];
            l->b = r[1];
            l->c = r[2];
            l->d = r[3];
        }
    }
    return n;
}

/*
 * XEN_SYSCTL_get_cpu_policy: raw, host, pv_max and pv_default (the last
 * two are the same PV view); there is no HVM (-EOPNOTSUPP, as Xen
 * without HVM support).  MSRs: PLATFORM_INFO and ARCH_CAPABILITIES, 0.
 */
static long get_cpu_policy(struct xen_sysctl_cpu_policy *p)
{
    static struct xen_cpuid_leaf leaves[POLICY_MAX_LEAVES];
    const struct xen_msr_entry msrs[POLICY_NR_MSRS] = {
        { .idx = MSR_PLATFORM_INFO }, { .idx = MSR_ARCH_CAPS },
    };
    unsigned int n;

    if ( p->_rsvd || p->index > XEN_SYSCTL_cpu_policy_hvm_default )
        return -EINVAL;
    if ( p->index == XEN_SYSCTL_cpu_policy_hvm_max ||
         p->index == XEN_SYSCTL_cpu_policy_hvm_default )
        return -EOPNOTSUPP;
    n = policy_leaves(p->index, leaves);
    if ( p->leaves.p )
    {
        if ( p->nr_leaves < n )
            return -ENOBUFS;
        if ( copy_to_guest((vaddr_t)p->leaves.p, leaves,
                           n * sizeof(leaves[0])) )
            return -EFAULT;
        p->nr_leaves = n;
    }
    else
        p->nr_leaves = POLICY_MAX_LEAVES;
    if ( p->msrs.p )
    {
        if ( p->nr_msrs < POLICY_NR_MSRS )
            return -ENOBUFS;
        if ( copy_to_guest((vaddr_t)p->msrs.p, msrs, sizeof(msrs)) )
            return -EFAULT;
    }
    p->nr_msrs = POLICY_NR_MSRS;
    return 0;
}

/*
 * XEN_SYSCTL_get_cpu_featureset: Xen's feature words, from the policy
 * of the matching index.
 */
#define NR_FEATURE_WORDS 12
static const struct { uint32_t leaf, sub; uint8_t reg; } feature_word[] = {
    { 1, XEN_CPUID_NO_SUBLEAF, 3 }, { 1, XEN_CPUID_NO_SUBLEAF, 2 },
    { 0x80000001U, XEN_CPUID_NO_SUBLEAF, 3 },
    { 0x80000001U, XEN_CPUID_NO_SUBLEAF, 2 },
    { 0xd, 1, 0 }, { 7, 0, 1 }, { 7, 0, 2 },
    { 0x80000007U, XEN_CPUID_NO_SUBLEAF, 3 },
    { 0x80000008U, XEN_CPUID_NO_SUBLEAF, 1 }, { 7, 0, 3 },
    { 7, 1, 0 }, { 0x80000021U, XEN_CPUID_NO_SUBLEAF, 0 },
};

/* Feature word i of a policy, in Xen's featureset order. */
static uint32_t feature_word_of(unsigned int policy, unsigned int i)
{
    uint32_t r[4];

    /* Leaves beyond the policy's (7.1, 0x80000021) read as 0. */
    if ( (feature_word[i].leaf == 7 && feature_word[i].sub == 1) ||
         feature_word[i].leaf > POLICY_EXTD_LAST )
        return 0;
    cpu_policy_leaf(policy, feature_word[i].leaf, feature_word[i].sub, r);
    return r[feature_word[i].reg];
}

/*
 * physinfo's hw_cap: the host featureset's first words, in Xen's order
 * (1.edx, 1.ecx, 0x80000001.edx, 0x80000001.ecx, 0xd.1.eax, 7.0.ebx, ...),
 * as Xen 4.17 fills it; `xl info` prints them and libvirt's libxl driver
 * decodes the host CPU from them.
 */
static void physinfo_hw_cap(uint32_t *hw_cap, unsigned int n)
{
    unsigned int i;

    for ( i = 0; i < n; i++ )
        hw_cap[i] = i < NR_FEATURE_WORDS
                    ? feature_word_of(XEN_SYSCTL_cpu_policy_host, i) : 0;
}

static long get_cpu_featureset(struct xen_sysctl_cpu_featureset *f)
{
    static const unsigned int policy_of[] = {
        XEN_SYSCTL_cpu_policy_raw, XEN_SYSCTL_cpu_policy_host,
        XEN_SYSCTL_cpu_policy_pv_default, ~0U,
        XEN_SYSCTL_cpu_policy_pv_max, ~0U,
    };
    uint32_t words[NR_FEATURE_WORDS];
    unsigned int i, n;

    if ( !f->features.p )
    {
        f->nr_features = NR_FEATURE_WORDS;
        return 0;
    }
    if ( f->index >= sizeof(policy_of) / sizeof(policy_of[0]) )
        return -EINVAL;
    if ( policy_of[f->index] == ~0U )
        return -EOPNOTSUPP;
    for ( i = 0; i < NR_FEATURE_WORDS; i++ )
        words[i] = feature_word_of(policy_of[f->index], i);
    n = f->nr_features < NR_FEATURE_WORDS ? f->nr_features
                                          : NR_FEATURE_WORDS;
    if ( n && copy_to_guest((vaddr_t)f->features.p, words,
                            n * sizeof(words[0])) )
        return -EFAULT;
    f->nr_features = n;
    return 0;
}

long do_sysctl(vaddr_t arg)
{
    struct xen_sysctl op;
    long rc = 0;

    if ( copy_from_guest(&op, arg, sizeof(op)) )
        return -EFAULT;
    if ( op.interface_version != XEN_SYSCTL_INTERFACE_VERSION )
        return -EACCES;
    if ( !current->domain->is_privileged )
        return -EPERM;
    switch ( op.cmd )
    {
    case XEN_SYSCTL_readconsole:
        rc = console_read_ring((vaddr_t)op.u.readconsole.buffer.p,
                               &op.u.readconsole.count,
                               &op.u.readconsole.index,
                               op.u.readconsole.incremental,
                               op.u.readconsole.clear);
        break;
    case XEN_SYSCTL_physinfo:
        physinfo(&op.u.physinfo);
        break;
    case XEN_SYSCTL_sched_id:
        op.u.sched_id.sched_id = XEN_SCHEDULER_CREDIT;
        break;
    case XEN_SYSCTL_getdomaininfolist:
        rc = getdomaininfolist(&op.u.getdomaininfolist);
        break;
    case XEN_SYSCTL_cputopoinfo:
        rc = cputopoinfo(&op.u.cputopoinfo);
        break;
    case XEN_SYSCTL_numainfo:
        rc = numainfo(&op.u.numainfo);
        break;
    case XEN_SYSCTL_cpupool_op:
        rc = cpupool_op(&op.u.cpupool_op);
        break;
    case XEN_SYSCTL_get_cpu_policy:
        rc = get_cpu_policy(&op.u.cpu_policy);
        break;
    case XEN_SYSCTL_get_cpu_featureset:
        rc = get_cpu_featureset(&op.u.cpu_featureset);
        break;
    default:
        report_unhandled(UNHANDLED_SUBOP, "sysctl", op.cmd, "not implemented: -ENOSYS");
        return -ENOSYS;
    }
    if ( !rc && copy_to_guest(arg, &op, sizeof(op)) )
        rc = -EFAULT;
    return rc;
}
