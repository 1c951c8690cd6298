/*
 * dom0.h: what a bare PV test kernel acting as the control domain needs
 * besides libxbuild's ops (xbops.h), shared by the domains, fuzz and
 * interdom images (and interbench through interdom/ctl.c):
 *
 * - foreign mappings, each through one PTE of the scratch window (a
 *   "slot"), made with mmu_update on behalf of the mapped domain;
 * - event channels: mask, take-pending, poll, bind, close;
 * - the domains on the host: count, gone, bounded waits, free memory
 *   once it settled.
 *
 * Every wait polls a bounded number of times (XBH_MAX_POLLS); SCHEDOP_poll
 * on a port with a short timeout paces the loop, nothing is asserted on
 * time.
 */
#ifndef XBHOST_DOM0_H
#define XBHOST_DOM0_H

#include "xtpv.h"
#include "xbops.h"

#define XBH_POLL_NS    10000000UL    /* 10 ms: pacing only            */
#define XBH_MAX_POLLS  3000UL        /* bound on any wait (30 s)      */

/* ---- foreign mappings ---- */
struct xbh_slot
{
    unsigned long va;          /* a page of the scratch window          */
    uint64_t pte;              /* machine address of its L1 entry       */
    bool mapped;
};

/* Gives s a scratch page; call once per slot before using it. */
void xbh_slot_init(struct xbh_slot *s);
/* Maps frame mfn of domain dom at s (read-only unless rw); NULL if refused. */
void *xbh_slot_map(struct xbh_slot *s, domid_t dom, xen_pfn_t mfn, bool rw);
/* Clears s's PTE and flushes its VA (nothing if not mapped). */
void xbh_slot_unmap(struct xbh_slot *s);

/* ---- events ---- */
void xbh_mask(evtchn_port_t port);
bool xbh_take_pending(evtchn_port_t port);       /* was pending? clears it */
/* SCHEDOP_poll on n ports, for at most ns. */
void xbh_poll(evtchn_port_t *ports, unsigned int n, uint64_t ns);
static inline void xbh_poll1(evtchn_port_t port, uint64_t ns)
{
    xbh_poll(&port, 1, ns);
}
long xbh_close(evtchn_port_t port);
/* Binds to (dom, remote); *local gets the port (masked), 0 on failure. */
long xbh_bind(domid_t dom, evtchn_port_t remote, evtchn_port_t *local);

/* ---- the domains ---- */
/* sysctl / domctl with cmd, interface version (and domain) filled in. */
long xbh_sysctl_cmd(uint32_t cmd, struct xen_sysctl *op);
long xbh_domctl_cmd(uint32_t cmd, domid_t dom, struct xen_domctl *op);
int xbh_nr_domains(void);                        /* -1 on error */
/* Is dom gone from getdomaininfo (-ESRCH, or the next domain answers)? */
bool xbh_domain_gone(domid_t dom);
/*
 * Bounded wait for dom to go (unless DOMID_INVALID) and, unless
 * count < 0, for count domains to remain; polls pace (VIRQ_DOM_EXC)
 * between looks.
 */
bool xbh_wait_gone(domid_t dom, int count, evtchn_port_t pace);
/* free_pages once unchanged for 'samples' looks, pacing on pace; 0 on error. */
uint64_t xbh_settled_free_pages(evtchn_port_t pace, unsigned int samples);

#endif /* XBHOST_DOM0_H */
