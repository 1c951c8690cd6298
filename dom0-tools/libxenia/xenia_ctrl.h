/*
 * xenia_ctrl.h: libxenia, the dom0 control library.
 *
 * Hypercalls through /dev/xen/privcmd (IOCTL_PRIVCMD_HYPERCALL) with
 * arguments bounced through hypercall-safe memory (an mmap of
 * /dev/xen/hypercall, as libxencall does, else locked anonymous memory);
 * foreign mappings with IOCTL_PRIVCMD_MMAPBATCH_V2; event channels
 * through /dev/xen/evtchn; grant mappings through /dev/xen/gntdev.
 *
 * Functions returning int give 0 (or a count) on success and -errno on
 * failure (Xen's error numbers are Linux's on x86).  The handle is not
 * thread safe: one bounce buffer per handle.
 */
#ifndef XENIA_CTRL_H
#define XENIA_CTRL_H

#include <stddef.h>
#include <stdint.h>

#include <public/xen.h>
#include <public/domctl.h>
#include <public/sysctl.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>

#define XN_PAGE_SIZE 4096UL
/* Bytes of hypercall-safe memory per handle. */
#define XN_BOUNCE_SIZE (16 * XN_PAGE_SIZE)

struct xn_handle
{
    int privcmd_fd;
    int hcall_fd;              /* /dev/xen/hypercall, or -1              */
    unsigned char *bounce;     /* XN_BOUNCE_SIZE bytes                   */
    int bounce_locked_anon;    /* 1: mmap(MAP_ANONYMOUS) + mlock         */
};

/* Open privcmd and the bounce buffer.  NULL with errno set on failure. */
struct xn_handle *xn_open(void);
void xn_close(struct xn_handle *h);

/* One raw hypercall; arguments must already be hypercall-safe. */
long xn_hypercall(struct xn_handle *h, unsigned int op, uint64_t a1,
                  uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/*
 * domctl / sysctl with the header filled in by the caller.  Embedded
 * guest handles are bounced for the ops that carry them
 * (setvcpucontext, getvcpucontext; sysctl getdomaininfolist,
 * readconsole).
 */
long xn_domctl(struct xn_handle *h, struct xen_domctl *op);
long xn_sysctl(struct xn_handle *h, struct xen_sysctl *op);

/* Convenience wrappers: fill the header and issue. */
long xn_domctl_op(struct xn_handle *h, uint32_t cmd, domid_t dom,
                  struct xen_domctl *op);
long xn_sysctl_op(struct xn_handle *h, uint32_t cmd, struct xen_sysctl *op);

/* Up to 'max' getdomaininfo records from domain 'first' up; a count. */
long xn_domain_list(struct xn_handle *h, domid_t first,
                    struct xen_domctl_getdomaininfo *info, unsigned int max);
long xn_physinfo(struct xn_handle *h, struct xen_sysctl_physinfo *pi);

long xn_memory_op(struct xn_handle *h, unsigned int cmd, void *arg);
long xn_mmu_update(struct xn_handle *h, const struct mmu_update *req,
                   unsigned int count, unsigned int *done, domid_t fdom);
long xn_mmuext_op(struct xn_handle *h, const struct mmuext_op *op,
                  unsigned int count, unsigned int *done, domid_t fdom);
long xn_evtchn_op(struct xn_handle *h, int cmd, void *arg);
long xn_gnttab_setup_table(struct xn_handle *h, domid_t dom,
                           uint32_t nr_frames, xen_pfn_t *frames);
long xn_remote_shutdown(struct xn_handle *h, domid_t dom,
                        unsigned int reason);

/*
 * Map n machine frames of domain 'dom' (MFNs for a PV domain) into
 * consecutive pages.  NULL with errno set on failure (a frame that could
 * not be mapped fails the whole call).
 */
void *xn_map_foreign(struct xn_handle *h, domid_t dom, const xen_pfn_t *mfn,
                     unsigned int n, int prot);
void xn_unmap(void *va, unsigned int n);

/* ------------------------------------------------------------------ */
/* Event channels: /dev/xen/evtchn.                                     */

int xn_evtchn_open(void);      /* fd, or -errno */
/* Local port bound to (dom, remote_port), or -errno. */
int xn_evtchn_bind_interdomain(int fd, domid_t dom, uint32_t remote_port);
int xn_evtchn_bind_unbound(int fd, domid_t dom);
int xn_evtchn_bind_virq(int fd, unsigned int virq);
int xn_evtchn_notify(int fd, uint32_t port);
int xn_evtchn_unbind(int fd, uint32_t port);
/* Next pending port (blocks unless the fd is non-blocking); re-unmasks. */
int xn_evtchn_pending(int fd);
int xn_evtchn_unmask(int fd, uint32_t port);

/* ------------------------------------------------------------------ */
/* Grant mappings: /dev/xen/gntdev.                                    */

int xn_gntdev_open(void);      /* fd, or -errno */
/* Map grant 'ref' of 'dom'; NULL with errno set on failure. */
void *xn_gntdev_map(int fd, domid_t dom, uint32_t ref, int writable);
void xn_gntdev_unmap(int fd, void *va);

#endif /* XENIA_CTRL_H */
