/*
 * domctl: the control domain's operations on domains (Xen 4.17 numbering
 * and layouts, include/public/domctl.h). Only a privileged domain may
 * call it; every call carries XEN_DOMCTL_INTERFACE_VERSION (-EACCES
 * otherwise). The order of checks is Xen's: version, then the target
 * domain (-ESRCH), then privilege (-EPERM). Unknown commands: -ENOSYS.
 *
 * Locking: runs under the hypervisor lock. Operations that wait for a
 * vCPU to leave its CPU (pause, set/getvcpucontext, destroy) hold a
 * domain reference across the wait, so the domain cannot vanish.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/grant_table.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include <xenia/time.h>
#include <xenia/smp.h>
#include <xenia/config.h>
#include <xenia/ctl_bitmap.h>
#include <xenia/cpu_policy.h>
#include <public/sysctl.h>
#include <public/xen.h>
#include <public/domctl.h>
#include <public/vcpu.h>

#define MAX_CONTROLLER_PAUSE 255

static domid_t domid_rover;

/* Xen's rule: a requested id in 1..DOMID_FIRST_RESERVED-1, else the rover. */
static int pick_domid(domid_t want, domid_t *out)
{
    domid_t dom;

    if ( want > 0 && want < DOMID_FIRST_RESERVED )
    {
        if ( domain_by_id(want) )
            return -EEXIST;
        *out = want;
        return 0;
    }
    for ( dom = domid_rover + 1; dom != domid_rover; dom++ )
    {
        if ( dom >= DOMID_FIRST_RESERVED )
            dom = 1;
        if ( !domain_by_id(dom) )
        {
            domid_rover = *out = dom;
            return 0;
        }
    }
    return -ENOMEM;
}

static long createdomain(struct xen_domctl *op, bool *copyback)
{
    const struct xen_domctl_createdomain *c = &op->u.createdomain;
    struct domain *d;
    domid_t id;
    int rc;

    *copyback = true;
    if ( c->flags & ~(XEN_DOMCTL_CDF_MAX * 2 - 1) )
        return -EINVAL;
    if ( c->flags & (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap |
                     XEN_DOMCTL_CDF_nested_virt) )
        return -EINVAL;             /* PV only: no hardware virtualisation */
    if ( c->arch.emulation_flags )
        return -EOPNOTSUPP;         /* no emulated devices for PV */
    if ( !c->max_vcpus || c->max_vcpus > MAX_VIRT_CPUS )
        return -EINVAL;
    /* As Xen 4.17: a maximum grant version from 1 to what we support. */
    if ( c->grant_opts & ~XEN_DOMCTL_GRANT_version_mask ||
         !XEN_DOMCTL_GRANT_version(c->grant_opts) ||
         XEN_DOMCTL_GRANT_version(c->grant_opts) > gnttab_max_version() )
        return -EINVAL;
    if ( (rc = pick_domid(op->domain, &id)) )
        return rc;
    d = domain_create(id, false, c->max_vcpus);
    if ( !d )
        return -ENOMEM;
    memcpy(d->handle, c->handle, sizeof(d->handle));
    gnttab_set_max_version(d, XEN_DOMCTL_GRANT_version(c->grant_opts));
    /* As Xen 4.17: no port above it is ever allocated (xl asks 1023). */
    d->max_evtchn_port = c->max_evtchn_port;
    d->pause_count = 1;             /* the controller unpauses it */
    d->vcpus_visible = false;       /* until XEN_DOMCTL_max_vcpus */
    op->domain = id;
    return 0;
}

void domctl_getdomaininfo(struct domain *d, struct xen_domctl_getdomaininfo *i)
{
    uint32_t flags = XEN_DOMINF_blocked;
    unsigned int n;

    memset(i, 0, sizeof(*i));
    i->domain = d->domain_id;
    i->max_vcpu_id = d->vcpus_visible ? d->max_vcpus - 1
                                      : XEN_INVALID_MAX_VCPU_ID;
    for ( n = 0; d->vcpus_visible && n < d->max_vcpus; n++ )
    {
        struct vcpu *v = d->vcpu[n];

        i->cpu_time += vcpu_runstate_time(v, RUNSTATE_running);
        if ( v->down )
            continue;
        if ( !v->blocked )
            flags &= ~XEN_DOMINF_blocked;
        if ( v->is_running )
            flags |= XEN_DOMINF_running;
        i->nr_online_vcpus++;
    }
    i->flags = (i->nr_online_vcpus ? flags : 0) |
               (d->state == DOMAIN_DYING ? XEN_DOMINF_dying : 0) |
               (d->state == DOMAIN_SHUTDOWN ? XEN_DOMINF_shutdown : 0) |
               (d->pause_count ? XEN_DOMINF_paused : 0) |
               d->shutdown_code << XEN_DOMINF_shutdownshift;
    i->tot_pages = d->tot_pages;
    i->max_pages = d->max_pages;
    i->shared_info_frame = d->shared_info_mfn;
    i->gpaddr_bits = 52;
    memcpy(i->handle, d->handle, sizeof(i->handle));
}

/* XEN_DOMCTL_hypercall_init: writes the hypercall page into d's frame. */
static long hypercall_init(struct domain *d, uint64_t gmfn)
{
    struct page_info *pg;

    if ( !mfn_valid(gmfn) || !get_page(pg = mfn_to_page(gmfn), d) )
        return -EINVAL;
    if ( get_page_type(pg, PGT_writable_page) )
    {
        put_page(pg);
        return -EINVAL;
    }
    hypercall_page_fill(mfn_to_virt(gmfn));
    put_page_type(pg);
    put_page(pg);
    return 0;
}

static long setvcpucontext(struct domain *d, struct xen_domctl *op)
{
    unsigned int id = op->u.vcpucontext.vcpu;
    struct vcpu_guest_context *c;
    long rc;

    if ( d == current->domain || id >= d->max_vcpus || !d->vcpus_visible )
        return -EINVAL;
    if ( !(vaddr_t)op->u.vcpucontext.ctxt.p )
        return -EOPNOTSUPP;         /* vcpu_reset: not needed by builders */
    if ( !(c = alloc_xenheap_pages(1)) )
        return -ENOMEM;
    if ( copy_from_guest(c, (vaddr_t)op->u.vcpucontext.ctxt.p, sizeof(*c)) )
        rc = -EFAULT;
    else
    {
        domain_pause(d);
        rc = d->state == DOMAIN_DYING ? -EINVAL
             : d->vcpu[id]->initialised ? -EOPNOTSUPP
             : arch_set_info_guest(d->vcpu[id], c);
        domain_unpause(d);
    }
    free_xenheap_pages(c, 1);
    return rc;
}

static long getvcpucontext(struct domain *d, struct xen_domctl *op,
                           bool *copyback)
{
    unsigned int id = op->u.vcpucontext.vcpu;
    struct vcpu_guest_context *c;
    long rc = 0;

    *copyback = true;
    if ( id >= d->max_vcpus || !d->vcpus_visible || d->vcpu[id] == current )
        return -EINVAL;
    if ( !d->vcpu[id]->initialised )
        return -ENODATA;
    if ( !(c = alloc_xenheap_pages(1)) )
        return -ENOMEM;
    domain_pause(d);
    if ( d->state == DOMAIN_DYING )
        rc = -EINVAL;
    else
        arch_get_info_guest(d->vcpu[id], c);
    domain_unpause(d);
    if ( !rc && copy_to_guest((vaddr_t)op->u.vcpucontext.ctxt.p, c, sizeof(*c)) )
        rc = -EFAULT;
    free_xenheap_pages(c, 1);
    return rc;
}

static long scheduler_op(struct domain *d, struct xen_domctl_scheduler_op *s,
                         bool *copyback)
{
    unsigned int weight, cap;

    *copyback = true;
    if ( s->sched_id != XEN_SCHEDULER_CREDIT )
        return -EINVAL;
    switch ( s->cmd )
    {
    case XEN_DOMCTL_SCHEDOP_getinfo:
        s->u.credit.weight = d->sched.weight;
        s->u.credit.cap = d->sched.cap;
        return 0;
    case XEN_DOMCTL_SCHEDOP_putinfo:
        /* As Xen's credit: weight 0 and cap 0xffff mean "unchanged". */
        weight = s->u.credit.weight ? s->u.credit.weight : d->sched.weight;
        cap = s->u.credit.cap != 0xffff ? s->u.credit.cap : d->sched.cap;
        if ( cap > 100 * d->max_vcpus )
            return -EINVAL;
        return sched_set_params(d, weight, cap);
    default:
        return -EINVAL;
    }
}

static long pausedomain(struct domain *d)
{
    if ( d == current->domain )
        return -EINVAL;
    if ( d->state == DOMAIN_DYING )
        return -EINVAL;
    if ( d->pause_count >= MAX_CONTROLLER_PAUSE )
        return -EOVERFLOW;
    domain_pause(d);
    return 0;
}

static long unpausedomain(struct domain *d)
{
    if ( d->state == DOMAIN_DYING || !d->pause_count )
        return -EINVAL;
    domain_unpause(d);
    return 0;
}

static long set_max_mem(struct domain *d, const struct xen_domctl_max_mem *m)
{
    uint64_t pages = m->max_memkb >> (PAGE_SHIFT - 10);

    d->max_pages = pages > ~0UL ? ~0UL : pages;
    return 0;
}

/* createdomain set the count; as Xen, this makes the vCPUs exist. */
static long set_max_vcpus(struct domain *d,
                          const struct xen_domctl_max_vcpus *m)
{
    if ( d == current->domain || m->max != d->max_vcpus )
        return -EINVAL;
    d->vcpus_visible = true;
    return 0;
}

static long getvcpuinfo(struct domain *d, struct xen_domctl_getvcpuinfo *i,
                        bool *copyback)
{
    struct vcpu *v;

    if ( i->vcpu >= d->max_vcpus )
        return -EINVAL;
    if ( !d->vcpus_visible )
        return -ESRCH;
    v = d->vcpu[i->vcpu];
    i->online = !v->down;
    i->blocked = v->blocked;
    i->running = v->is_running;
    i->cpu_time = vcpu_runstate_time(v, RUNSTATE_running);
    i->cpu = v->processor;
    *copyback = true;
    return 0;
}

static long setdomainhandle(struct domain *d,
                            const struct xen_domctl_setdomainhandle *h)
{
    memcpy(d->handle, h->handle, sizeof(d->handle));
    return 0;
}

/* 64-bit PV only. */
static long set_address_size(const struct xen_domctl_address_size *a)
{
    return a->size == 64 ? 0 : -EINVAL;
}

static long get_address_size(struct xen_domctl_address_size *a,
                             bool *copyback)
{
    a->size = 64;
    *copyback = true;
    return 0;
}

/*
 * What the toolstack set for a domain and Xenia records without acting
 * on: vCPU affinities (the credit scheduler runs a vCPU on any CPU), the
 * node affinity (one node) and the TSC mode (the TSC is always native).
 * One entry per domain slot, owned by the domain it names; an entry that
 * names another domain (or none) holds the defaults.
 */
struct ctl_record
{
    const struct domain *d;
    domid_t id;
    uint64_t hard[MAX_VIRT_CPUS], soft[MAX_VIRT_CPUS];
    uint64_t nodes;
    struct xen_domctl_tsc_info tsc;
};
static struct ctl_record ctl_records[MAX_DOMAINS];

static struct ctl_record *ctl_record(const struct domain *d)
{
    struct ctl_record *r = NULL;
    unsigned int slot, i;

    for ( slot = 0; slot < MAX_DOMAINS; slot++ )
        if ( domain_in_slot(slot) == d )
            r = &ctl_records[slot];
    if ( !r )
        return NULL;                /* cannot happen: d is live */
    if ( r->d != d || r->id != d->domain_id )
    {
        memset(r, 0, sizeof(*r));
        r->d = d;
        r->id = d->domain_id;
        for ( i = 0; i < MAX_VIRT_CPUS; i++ )
            r->hard[i] = r->soft[i] = ~0ULL;
        r->nodes = ~0ULL;
    }
    return r;
}

/*
 * XEN_DOMCTL_settscinfo, as Xen 4.17's tsc_set_info for PV: the default
 * and native modes keep the native TSC (the frequency must be the host's,
 * or 0); always_emulate needs RDTSC emulation Xenia lacks. The hardware
 * domain accepts anything and keeps the native TSC, as in Xen.
 */
static long settscinfo(struct domain *d, const struct xen_domctl_tsc_info *t)
{
    struct ctl_record *r;

    if ( d == current->domain )
        return -EINVAL;
    if ( d->is_privileged )
        return 0;
    switch ( t->tsc_mode )
    {
    case XEN_CPUID_TSC_MODE_DEFAULT:
    case XEN_CPUID_TSC_MODE_NATIVE:
        if ( t->gtsc_khz && t->gtsc_khz != cpu_khz )
            return -EOPNOTSUPP;     /* would need an emulated TSC */
        break;
    case XEN_CPUID_TSC_MODE_ALWAYS_EMULATE:
        return -EOPNOTSUPP;
    default:
        return -EINVAL;
    }
    if ( !(r = ctl_record(d)) )
        return -ESRCH;
    r->tsc = *t;
    r->tsc.pad = 0;
    r->tsc.gtsc_khz = cpu_khz;
    r->tsc.incarnation = t->incarnation + 1;
    return 0;
}

static long gettscinfo(struct domain *d, struct xen_domctl_tsc_info *t,
                       bool *copyback)
{
    struct ctl_record *r;

    if ( d == current->domain )
        return -EINVAL;
    if ( !(r = ctl_record(d)) )
        return -ESRCH;
    *t = r->tsc;
    t->gtsc_khz = cpu_khz;
    t->elapsed_nsec = 0;
    *copyback = true;
    return 0;
}

/*
 * XEN_DOMCTL_{set,get}vcpuaffinity, as Xen's vcpu_affinity_domctl: the
 * masks are cut to the online CPUs; a hard mask with none of them is
 * -EINVAL; set writes back the effective masks.
 */
static long vcpuaffinity(struct domain *d, uint32_t cmd,
                         struct xen_domctl_vcpuaffinity *a)
{
    uint32_t flags = a->flags;
    uint64_t hard, soft;
    struct ctl_record *r;
    int rc;

    if ( a->vcpu >= d->max_vcpus )
        return -EINVAL;
    if ( !d->vcpus_visible )
        return -ESRCH;
    if ( !(flags & (XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT)) )
        return -EINVAL;
    if ( !(r = ctl_record(d)) )
        return -ESRCH;
    if ( cmd == XEN_DOMCTL_setvcpuaffinity )
    {
        hard = r->hard[a->vcpu];
        soft = r->soft[a->vcpu];
        if ( (flags & XEN_VCPUAFFINITY_HARD) &&
             (rc = ctl_bitmap_to_mask(&a->cpumap_hard, &hard,
                                      nr_cpus_online)) )
            return rc;
        if ( (flags & XEN_VCPUAFFINITY_SOFT) &&
             (rc = ctl_bitmap_to_mask(&a->cpumap_soft, &soft,
                                      nr_cpus_online)) )
            return rc;
        if ( (flags & XEN_VCPUAFFINITY_HARD) && !(hard & cpu_online_mask) )
            return -EINVAL;
        r->hard[a->vcpu] = hard;
        r->soft[a->vcpu] = soft;
        /* The effective masks go back. */
        hard &= cpu_online_mask;
        if ( (flags & XEN_VCPUAFFINITY_HARD) && a->cpumap_hard.bitmap.p &&
             (rc = ctl_bitmap_from_mask(&a->cpumap_hard, hard,
                                        nr_cpus_online)) )
            return rc;
        if ( (flags & XEN_VCPUAFFINITY_SOFT) && a->cpumap_soft.bitmap.p &&
             (rc = ctl_bitmap_from_mask(&a->cpumap_soft, hard & soft,
                                        nr_cpus_online)) )
            return rc;
        return 0;
    }
    if ( (flags & XEN_VCPUAFFINITY_HARD) &&
         (rc = ctl_bitmap_from_mask(&a->cpumap_hard, r->hard[a->vcpu],
                                    nr_cpus_online)) )
        return rc;
    if ( (flags & XEN_VCPUAFFINITY_SOFT) &&
         (rc = ctl_bitmap_from_mask(&a->cpumap_soft, r->soft[a->vcpu],
                                    nr_cpus_online)) )
        return rc;
    return 0;
}

/* XEN_DOMCTL_{set,get}nodeaffinity: node 0 is the only node. */
static long nodeaffinity(struct domain *d, uint32_t cmd,
                         struct xen_domctl_nodeaffinity *n)
{
    struct ctl_record *r = ctl_record(d);
    uint64_t nodes;
    int rc;

    if ( !r )
        return -ESRCH;
    if ( cmd == XEN_DOMCTL_getnodeaffinity )
        return ctl_bitmap_from_mask(&n->nodemap, r->nodes, 64);
    if ( (rc = ctl_bitmap_to_mask(&n->nodemap, &nodes, 64)) )
        return rc;
    if ( !(nodes & 1) )
        return -EINVAL;             /* no online node in it */
    r->nodes = nodes;
    return 0;
}

/*
 * XEN_DOMCTL_set_cpu_policy, with Xen 4.17's checks: every leaf must be
 * one the format carries (-ERANGE), every MSR PLATFORM_INFO or
 * ARCH_CAPABILITIES with flags 0 (-ERANGE, -EINVAL), and the limits
 * (max basic leaf, leaf 7 max subleaf, max extended leaf) and MSR bits
 * within pv_max (-EINVAL); err_* name the culprit.  An accepted policy
 * changes nothing: a PV guest of Xenia sees the pv_default view (which
 * libxc derived this policy from) through the CPUID emulation.
 */
#define CPU_POLICY_MAX_LEAVES 128
static long set_cpu_policy(struct domain *d, struct xen_domctl_cpu_policy *p,
                           bool *copyback)
{
    uint32_t max[4], i;

    *copyback = true;
    p->err_leaf = p->err_subleaf = p->err_msr = ~0U;
    if ( d == current->domain )
        return -EINVAL;
    if ( p->nr_leaves > CPU_POLICY_MAX_LEAVES || p->nr_msrs > 64 )
        return -E2BIG;
    for ( i = 0; p->leaves.p && i < p->nr_leaves; i++ )
    {
        struct xen_cpuid_leaf l;

        if ( copy_from_guest(&l, (vaddr_t)p->leaves.p + i * sizeof(l),
                             sizeof(l)) )
            return -EFAULT;
        p->err_leaf = l.leaf;
        p->err_subleaf = l.subleaf;
        if ( !cpu_policy_leaf_valid(l.leaf, l.subleaf) )
            return -ERANGE;
        if ( l.leaf == 0 || l.leaf == 0x80000000U ||
             (l.leaf == 7 && l.subleaf == 0) )
        {
            cpu_policy_leaf(XEN_SYSCTL_cpu_policy_pv_max, l.leaf, l.subleaf,
                            max);
            if ( l.a > max[0] )
                return -EINVAL;     /* beyond the limit */
        }
        p->err_leaf = p->err_subleaf = ~0U;
    }
    for ( i = 0; p->msrs.p && i < p->nr_msrs; i++ )
    {
        struct xen_msr_entry m;

        if ( copy_from_guest(&m, (vaddr_t)p->msrs.p + i * sizeof(m),
                             sizeof(m)) )
            return -EFAULT;
        p->err_msr = m.idx;
        if ( m.idx != 0xce && m.idx != 0x10a )
            return -ERANGE;
        if ( m.flags )
            return -EINVAL;
        if ( m.val )
            return -EINVAL;         /* pv_max offers no bit of either */
        p->err_msr = ~0U;
    }
    return 0;
}

/*
 * One call per command. *copyback says whether op goes back to the
 * caller (set by the commands that answer in it).
 */
static long domctl_dispatch(struct domain *d, struct xen_domctl *op,
                            bool *copyback)
{
    switch ( op->cmd )
    {
    case XEN_DOMCTL_createdomain:
        return createdomain(op, copyback);
    case XEN_DOMCTL_destroydomain:
        return domain_kill(d);
    case XEN_DOMCTL_pausedomain:
        return pausedomain(d);
    case XEN_DOMCTL_unpausedomain:
        return unpausedomain(d);
    case XEN_DOMCTL_max_mem:
        return set_max_mem(d, &op->u.max_mem);
    case XEN_DOMCTL_max_vcpus:
        return set_max_vcpus(d, &op->u.max_vcpus);
    case XEN_DOMCTL_hypercall_init:
        return hypercall_init(d, op->u.hypercall_init.gmfn);
    case XEN_DOMCTL_setvcpucontext:
        return setvcpucontext(d, op);
    case XEN_DOMCTL_getvcpucontext:
        return getvcpucontext(d, op, copyback);
    case XEN_DOMCTL_getvcpuinfo:
        return getvcpuinfo(d, &op->u.getvcpuinfo, copyback);
    case XEN_DOMCTL_setdomainhandle:
        return setdomainhandle(d, &op->u.setdomainhandle);
    case XEN_DOMCTL_scheduler_op:
        return scheduler_op(d, &op->u.scheduler_op, copyback);
    case XEN_DOMCTL_set_address_size:
        return set_address_size(&op->u.address_size);
    case XEN_DOMCTL_get_address_size:
        return get_address_size(&op->u.address_size, copyback);
    case XEN_DOMCTL_settscinfo:
        return settscinfo(d, &op->u.tsc_info);
    case XEN_DOMCTL_gettscinfo:
        return gettscinfo(d, &op->u.tsc_info, copyback);
    case XEN_DOMCTL_setvcpuaffinity:
    case XEN_DOMCTL_getvcpuaffinity:
        return vcpuaffinity(d, op->cmd, &op->u.vcpuaffinity);
    case XEN_DOMCTL_set_cpu_policy:
        return set_cpu_policy(d, &op->u.cpu_policy, copyback);
    case XEN_DOMCTL_setnodeaffinity:
    case XEN_DOMCTL_getnodeaffinity:
        return nodeaffinity(d, op->cmd, &op->u.nodeaffinity);
    default:
        report_unhandled(UNHANDLED_SUBOP, "domctl", op->cmd,
                         "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}

long do_domctl(vaddr_t arg)
{
    struct xen_domctl op;
    struct domain *d = NULL;
    bool copyback = false;
    long rc;

    if ( copy_from_guest(&op, arg, sizeof(op)) )
        return -EFAULT;
    if ( op.interface_version != XEN_DOMCTL_INTERFACE_VERSION )
        return -EACCES;
    if ( op.cmd == XEN_DOMCTL_getdomaininfo )
    {
        if ( !current->domain->is_privileged )
            return -EPERM;
        d = domain_by_id(op.domain);
        if ( !d && op.domain >= DOMID_FIRST_RESERVED )
            return -EINVAL;
        if ( !d && !(d = domain_first_from(op.domain)) )
            return -ESRCH;
        domctl_getdomaininfo(d, &op.u.getdomaininfo);
        op.domain = d->domain_id;
        return copy_to_guest(arg, &op, sizeof(op)) ? -EFAULT : 0;
    }
    if ( op.cmd != XEN_DOMCTL_createdomain &&
         !(d = domain_by_id(op.domain)) )
        return -ESRCH;
    if ( !current->domain->is_privileged )
        return -EPERM;
    if ( d )
        get_domain(d);
    rc = domctl_dispatch(d, &op, &copyback);
    if ( d )
        put_domain(d);
    if ( copyback && copy_to_guest(arg, &op, sizeof(op)) )
        rc = -EFAULT;
    return rc;
}
