/*
 * memory_op (public/memory.h) for PV guests: reservations (increase,
 * decrease, populate), the M2P's location, the machine memory map (dom0),
 * current and maximum reservations; add_to_physmap refused as Xen does
 * for a guest that is not translated.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/hypercall.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include <public/xen.h>
#include <public/memory.h>
#include "../x86.h"

/*
 * The domain a memory_op names: oneself, or (privileged callers only) any
 * live domain. Sets *rc to -ESRCH (no such domain) or -EPERM on failure.
 */
static struct domain *reservation_domain(domid_t id, long *rc)
{
    struct domain *d = current->domain, *t;

    if ( id == DOMID_SELF || id == d->domain_id )
        return d;
    t = domain_by_id(id);
    if ( !t || t->state == DOMAIN_DYING )
    {
        *rc = -ESRCH;
        return NULL;
    }
    if ( !d->is_privileged )
    {
        *rc = -EPERM;
        return NULL;
    }
    return t;
}

/* Allocates one extent for d; returns its first MFN or -1. */
static long alloc_extent(struct domain *d, unsigned int order)
{
    long mfn;
    unsigned long i;

    if ( d->tot_pages + (1UL << order) > d->max_pages )
        return -1;
    mfn = heap_alloc(order);
    if ( mfn < 0 )
        return -1;
    for ( i = 0; i < (1UL << order); i++ )
    {
        memset(mfn_to_virt(mfn + i), 0, PAGE_SIZE);
        domain_assign_frame(d, mfn + i);
    }
    return mfn;
}

static long reservation_op(unsigned int op, vaddr_t arg, unsigned long start)
{
    xen_memory_reservation_t r;
    struct domain *d;
    unsigned long i;
    long rc;

    if ( copy_from_guest(&r, arg, sizeof(r)) )
        return -EFAULT;
    if ( !(d = reservation_domain(r.domid, &rc)) )
        return start;       /* as Xen: the extents done so far */
    if ( r.extent_order > (d->is_privileged ? MAX_ORDER : 9) )
        return start;
    if ( r.extent_start &&
         !guest_range_ok(r.extent_start, r.nr_extents * sizeof(uint64_t)) )
        return start;
    for ( i = start; i < r.nr_extents; i++ )
    {
        vaddr_t slot = r.extent_start + i * sizeof(uint64_t);
        uint64_t v = 0;
        long mfn;
        unsigned long j;

        if ( op == XENMEM_decrease_reservation )
        {
            if ( copy_from_guest(&v, slot, sizeof(v)) )
                break;
            for ( j = 0; j < (1UL << r.extent_order); j++ )
            {
                struct page_info *pg;

                if ( !mfn_valid(v + j) ||
                     (pg = mfn_to_page(v + j))->owner != d->domain_id ||
                     pg->state != PGS_inuse || !(pg->flags & PGC_allocated) )
                    return i;
                /* Drop the allocation reference; freed when unmapped. */
                pg->flags &= ~PGC_allocated;
                put_page(pg);       /* tot_pages drops when it is freed */
            }
            continue;
        }
        if ( op == XENMEM_populate_physmap &&
             copy_from_guest(&v, slot, sizeof(v)) )
            break;
        mfn = alloc_extent(d, r.extent_order);
        if ( mfn < 0 )
            break;
        for ( j = 0; j < (1UL << r.extent_order); j++ )
            machine_to_phys_mapping[mfn + j] =
                op == XENMEM_populate_physmap ? v + j : ~0UL;
        v = mfn;
        if ( r.extent_start && copy_to_guest(slot, &v, sizeof(v)) )
            break;
    }
    return i;
}

static long machine_memory_map(vaddr_t arg)
{
    xen_memory_map_t map;
    unsigned int i;

    if ( !current->domain->is_privileged )
        return -EPERM;
    if ( copy_from_guest(&map, arg, sizeof(map)) )
        return -EFAULT;
    if ( map.buffer && map.nr_entries < e820_nr )
        return -EINVAL;
    for ( i = 0; map.buffer && i < e820_nr; i++ )
    {
        struct e820entry e = { e820[i].addr, e820[i].size, e820[i].type };

        if ( copy_to_guest(map.buffer + i * sizeof(e), &e, sizeof(e)) )
            return -EFAULT;
    }
    map.nr_entries = e820_nr;
    return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
}

/*
 * A PV guest is not translated, so nothing can be added to its physmap
 * (grant-table frames are mapped by MFN): Xen 4.17's checks, then -EACCES.
 */
static long add_to_physmap(vaddr_t arg, unsigned long start)
{
    xen_add_to_physmap_t xatp;

    if ( start != (uint16_t)start )
        return -EDOM;
    if ( copy_from_guest(&xatp, arg, sizeof(xatp)) )
        return -EFAULT;
    if ( xatp.space == XENMAPSPACE_gmfn_foreign )
        return -ENOSYS;
    if ( xatp.domid != DOMID_SELF && !domain_by_id(xatp.domid) )
        return -ESRCH;
    return -EACCES;
}

/*
 * XENMEM_acquire_resource: not implemented.  After Xen's checks of the
 * argument and of the caller's right to the domain it gives -EOPNOTSUPP,
 * the answer on which libxc falls back to GNTTABOP_setup_table for the
 * domain and a foreign mapping of its grant-table frame (-ENOSYS would be
 * fatal to xl create).
 */
static long acquire_resource(vaddr_t arg)
{
    xen_mem_acquire_resource_t r;
    struct domain *d;

    if ( copy_from_guest(&r, arg, sizeof(r)) )
        return -EFAULT;
    if ( r.pad )
        return -EINVAL;
    /* As Xen's lock of a remote domain: DOMID_SELF is no id here. */
    d = domain_by_id(r.domid);
    if ( !d || d->state == DOMAIN_DYING )
        return -ESRCH;
    if ( d == current->domain || !current->domain->is_privileged )
        return -EPERM;
    report_unhandled(UNHANDLED_SUBOP, "memory_op", XENMEM_acquire_resource,
                     "resources are not mappable: -EOPNOTSUPP");
    return -EOPNOTSUPP;
}

long do_memory_op(unsigned long cmd, vaddr_t arg)
{
    unsigned int op = cmd & MEMOP_CMD_MASK;
    unsigned long start = cmd >> MEMOP_EXTENT_SHIFT;

    switch ( op )
    {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation_op(op, arg, start);
    case XENMEM_maximum_ram_page:
        return max_page;
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    {
        domid_t id;
        struct domain *d;
        long rc;

        if ( copy_from_guest(&id, arg, sizeof(id)) )
            return -EFAULT;
        if ( !(d = reservation_domain(id, &rc)) )
            return rc;
        return op == XENMEM_current_reservation ? d->tot_pages : d->max_pages;
    }
    case XENMEM_machphys_mapping:
    {
        xen_machphys_mapping_t m = {
            .v_start = RO_MPT_VIRT_START, .v_end = RO_MPT_VIRT_END,
            .max_mfn = (RO_MPT_VIRT_END - RO_MPT_VIRT_START) / 8 - 1,
        };

        if ( current->domain->is_privileged )
            m.max_mfn = max_page - 1;
        return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
    }
    case XENMEM_memory_map:
    {
        xen_memory_map_t map;

        if ( copy_from_guest(&map, arg, sizeof(map)) )
            return -EFAULT;
        return -ENOSYS;     /* no pseudo-physical map set, as Xen for PV */
    }
    case XENMEM_machine_memory_map:
        return machine_memory_map(arg);
    case XENMEM_add_to_physmap:
        return add_to_physmap(arg, start);
    case XENMEM_acquire_resource:
        return acquire_resource(arg);
    default:
        report_unhandled(UNHANDLED_SUBOP, "memory_op", op, "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}
