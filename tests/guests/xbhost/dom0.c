/*
 * dom0.c: the control domain's helpers for test kernels (see dom0.h).
 */
#include "dom0.h"

static const struct xb_ops hc_ops = { XBH_HYPERCALL_OPS };

/* ---- foreign mappings ---- */

void xbh_slot_init(struct xbh_slot *s)
{
    s->va = xt_scratch_va();
    s->pte = xt_pte_maddr(s->va);
    s->mapped = false;
}

void xbh_slot_unmap(struct xbh_slot *s)
{
    if ( !s->mapped )
        return;
    xt_mmu_update1(s->pte | MMU_NORMAL_PT_UPDATE, 0);
    xt_mmuext1(MMUEXT_INVLPG_LOCAL, s->va, 0);
    s->mapped = false;
}

void *xbh_slot_map(struct xbh_slot *s, domid_t dom, xen_pfn_t mfn, bool rw)
{
    struct mmu_update u = {
        .ptr = s->pte | MMU_NORMAL_PT_UPDATE,
        .val = (mfn << 12) | _PAGE_PRESENT | _PAGE_ACCESSED |
               (rw ? _PAGE_RW | _PAGE_DIRTY : 0),
    };

    xbh_slot_unmap(s);
    if ( HYPERVISOR_mmu_update(&u, 1, NULL, dom) )
        return NULL;
    s->mapped = true;
    return (void *)s->va;
}

/* ---- events ---- */

void xbh_mask(evtchn_port_t port)
{
    __atomic_fetch_or(&xt_shared_info->evtchn_mask[port / 64],
                      1UL << (port % 64), __ATOMIC_SEQ_CST);
}

bool xbh_take_pending(evtchn_port_t port)
{
    unsigned long bit = 1UL << (port % 64);

    return __atomic_fetch_and(&xt_shared_info->evtchn_pending[port / 64],
                              ~bit, __ATOMIC_SEQ_CST) & bit;
}

void xbh_poll(evtchn_port_t *ports, unsigned int n, uint64_t ns)
{
    struct sched_poll sp = { .nr_ports = n,
                             .timeout = xt_system_time() + ns };

    set_xen_guest_handle(sp.ports, ports);
    HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

long xbh_close(evtchn_port_t port)
{
    struct evtchn_close c = { .port = port };

    return HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
}

long xbh_bind(domid_t dom, evtchn_port_t remote, evtchn_port_t *local)
{
    struct evtchn_bind_interdomain bi = { .remote_dom = dom,
                                          .remote_port = remote };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);

    *local = rc ? 0 : bi.local_port;
    if ( !rc )
        xbh_mask(bi.local_port);
    return rc;
}

/* ---- the domains ---- */

long xbh_sysctl_cmd(uint32_t cmd, struct xen_sysctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return xbh_sysctl(NULL, op);
}

long xbh_domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    return xbh_domctl(NULL, op);
}

int xbh_nr_domains(void)
{
    static struct xen_domctl_getdomaininfo list[64];
    struct xen_sysctl op = { 0 };

    op.u.getdomaininfolist.first_domain = 0;
    op.u.getdomaininfolist.max_domains = ARRAY_SIZE(list);
    set_xen_guest_handle(op.u.getdomaininfolist.buffer, list);
    if ( xbh_sysctl_cmd(XEN_SYSCTL_getdomaininfolist, &op) )
        return -1;
    return op.u.getdomaininfolist.num_domains;
}

bool xbh_domain_gone(domid_t dom)
{
    struct xen_domctl_getdomaininfo di;
    long rc = xb_getdomaininfo(&hc_ops, dom, &di);

    return rc == -XEN_ESRCH || (rc == 0 && di.domain != dom);
}

bool xbh_wait_gone(domid_t dom, int count, evtchn_port_t pace)
{
    unsigned long i;

    for ( i = 0; i < XBH_MAX_POLLS; i++ )
    {
        if ( (dom == DOMID_INVALID || xbh_domain_gone(dom)) &&
             (count < 0 || xbh_nr_domains() == count) )
            return true;
        xbh_poll(&pace, 1, XBH_POLL_NS);
        xbh_take_pending(pace);
    }
    return false;
}

uint64_t xbh_settled_free_pages(evtchn_port_t pace, unsigned int samples)
{
    struct xen_sysctl_physinfo pi;
    uint64_t last = 0;
    unsigned int same = 0;
    unsigned long i;

    for ( i = 0; i < XBH_MAX_POLLS && same < samples; i++ )
    {
        if ( xb_physinfo(&hc_ops, &pi) )
            return 0;
        same = pi.free_pages == last ? same + 1 : 0;
        last = pi.free_pages;
        xbh_poll(&pace, 1, XBH_POLL_NS);
        xbh_take_pending(pace);
    }
    return last;
}
