/*
 * xbops.c: libxbuild's hypercall ops as raw hypercalls (see xbops.h).
 */
#include "xtpv.h"
#include "xbops.h"

long xbh_domctl(void *o, struct xen_domctl *op)
{
    (void)o;
    return HC(__HYPERVISOR_domctl, op, 0, 0, 0, 0);
}

long xbh_sysctl(void *o, struct xen_sysctl *op)
{
    (void)o;
    return HC(__HYPERVISOR_sysctl, op, 0, 0, 0, 0);
}

long xbh_memory_op(void *o, unsigned int cmd, void *arg)
{
    (void)o;
    return HYPERVISOR_memory_op(cmd, arg);
}

long xbh_mmu_update(void *o, const struct mmu_update *req, unsigned int n,
                    unsigned int *done, domid_t dom)
{
    (void)o;
    return HYPERVISOR_mmu_update(req, n, done, dom);
}

long xbh_mmuext_op(void *o, const struct mmuext_op *op, unsigned int n,
                   unsigned int *done, domid_t dom)
{
    (void)o;
    return HYPERVISOR_mmuext_op(op, n, done, dom);
}

long xbh_event_channel_op(void *o, int cmd, void *arg)
{
    (void)o;
    return HYPERVISOR_event_channel_op(cmd, arg);
}
