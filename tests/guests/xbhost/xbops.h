/*
 * xbops.h: the hypercall half of dom0-tools/libxbuild's ops table for a
 * bare PV test kernel acting as the control domain (the domains, fuzz and
 * interdom images). Each image adds its own map_foreign/unmap_foreign,
 * which differ (mapping slots, injected failures):
 *
 *     static const struct xb_ops ops = {
 *         XBH_HYPERCALL_OPS,
 *         .map_foreign = my_map, .unmap_foreign = my_unmap,
 *     };
 */
#ifndef XBHOST_XBOPS_H
#define XBHOST_XBOPS_H

#include "xbuild.h"

long xbh_domctl(void *o, struct xen_domctl *op);
long xbh_sysctl(void *o, struct xen_sysctl *op);
long xbh_memory_op(void *o, unsigned int cmd, void *arg);
long xbh_mmu_update(void *o, const struct mmu_update *req, unsigned int n,
                    unsigned int *done, domid_t dom);
long xbh_mmuext_op(void *o, const struct mmuext_op *op, unsigned int n,
                   unsigned int *done, domid_t dom);
long xbh_event_channel_op(void *o, int cmd, void *arg);

#define XBH_HYPERCALL_OPS                                               \
    .domctl = xbh_domctl, .sysctl = xbh_sysctl,                         \
    .memory_op = xbh_memory_op, .mmu_update = xbh_mmu_update,           \
    .mmuext_op = xbh_mmuext_op, .event_channel_op = xbh_event_channel_op

#endif /* XBHOST_XBOPS_H */
