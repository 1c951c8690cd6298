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
#include <xenia/smp.h>
#include <xenia/console.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/processor.h>
#include <xenia/time.h>
#include <xenia/ctl_bitmap.h>
#include <public/xen.h>
#include <public/domctl.h>
#include <public/sysctl.h>


static void physinfo(struct xen_sysctl_physinfo *p)
{
    uint32_t a, b, c, d;

    memset(p, 0, sizeof(*p));
    p->threads_per_core = 1;
    p->cores_per_socket = nr_cpus_online;
    p->nr_cpus = nr_cpus_online;
    p->max_cpu_id = nr_cpus_online - 1;
    p->nr_nodes = 1;
    p->max_node_id = 0;
    p->cpu_khz = cpu_khz;
    p->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_gnttab_v1;
    p->total_pages = heap_total_pages;
    p->free_pages = falloc_free_pages(&heap);
    p->max_mfn = max_page - 1;
    cpuid(1, 0, &a, &b, &c, &d);
    p->hw_cap[0] = d;
    p->hw_cap[4] = c;
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    p->hw_cap[1] = d;
    p->hw_cap[6] = c;
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
    default:
        report_unhandled(UNHANDLED_SUBOP, "sysctl", op.cmd, "not implemented: -ENOSYS");
        return -ENOSYS;
    }
    if ( !rc && copy_to_guest(arg, &op, sizeof(op)) )
        rc = -EFAULT;
    return rc;
}
