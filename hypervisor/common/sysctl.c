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
    default:
        report_unhandled(UNHANDLED_SUBOP, "sysctl", op.cmd, "not implemented: -ENOSYS");
        return -ENOSYS;
    }
    if ( !rc && copy_to_guest(arg, &op, sizeof(op)) )
        rc = -EFAULT;
    return rc;
}
