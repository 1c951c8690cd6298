/*
 * ctrl.c: libxenia's privcmd layer (see xenia_ctrl.h).
 *
 * Every hypercall argument the hypervisor reads or writes is copied
 * into the handle's bounce buffer first: memory from /dev/xen/hypercall
 * is never paged out or migrated, so the hypervisor's copy cannot fault
 * on it.  Results are copied back after the call.
 */
#include "xenia_ctrl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <public/sched.h>

/* The privcmd ABI (include/uapi/xen/privcmd.h in Linux). */
struct xn_privcmd_hypercall
{
    uint64_t op;
    uint64_t arg[5];
};

struct xn_privcmd_mmapbatch_v2
{
    unsigned int num;
    domid_t dom;
    uint64_t addr;
    const xen_pfn_t *arr;
    int *err;
};

#define XN_IOC(nr, size) \
    ((unsigned long)(((size) << 16) | ('P' << 8) | (nr)))
#define XN_IOCTL_PRIVCMD_HYPERCALL \
    XN_IOC(0, sizeof(struct xn_privcmd_hypercall))
#define XN_IOCTL_PRIVCMD_MMAPBATCH_V2 \
    XN_IOC(4, sizeof(struct xn_privcmd_mmapbatch_v2))

struct xn_handle *xn_open(void)
{
    struct xn_handle *h = calloc(1, sizeof(*h));
    int e;

    if ( !h )
        return NULL;
    h->hcall_fd = -1;
    h->privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if ( h->privcmd_fd < 0 )
        goto fail;

    h->hcall_fd = open("/dev/xen/hypercall", O_RDWR | O_CLOEXEC);
    if ( h->hcall_fd >= 0 )
    {
        h->bounce = mmap(NULL, XN_BOUNCE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_SHARED, h->hcall_fd, 0);
        if ( h->bounce == MAP_FAILED )
        {
            h->bounce = NULL;
            close(h->hcall_fd);
            h->hcall_fd = -1;
        }
    }
    if ( !h->bounce )
    {
        /* Older kernels: locked anonymous memory, as libxencall does. */
        h->bounce = mmap(NULL, XN_BOUNCE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
        if ( h->bounce == MAP_FAILED )
        {
            h->bounce = NULL;
            goto fail;
        }
        madvise(h->bounce, XN_BOUNCE_SIZE, MADV_DONTFORK);
        h->bounce_locked_anon = 1;
    }
    return h;

 fail:
    e = errno;
    xn_close(h);
    errno = e;
    return NULL;
}

void xn_close(struct xn_handle *h)
{
    if ( !h )
        return;
    if ( h->bounce )
        munmap(h->bounce, XN_BOUNCE_SIZE);
    if ( h->hcall_fd >= 0 )
        close(h->hcall_fd);
    if ( h->privcmd_fd >= 0 )
        close(h->privcmd_fd);
    free(h);
}

long xn_hypercall(struct xn_handle *h, unsigned int op, uint64_t a1,
                  uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct xn_privcmd_hypercall hc = {
        .op = op, .arg = { a1, a2, a3, a4, a5 },
    };
    long rc = ioctl(h->privcmd_fd, XN_IOCTL_PRIVCMD_HYPERCALL, &hc);

    return rc < 0 ? -errno : rc;
}

/* ------------------------------------------------------------------ */
/* Bounced calls.  Layout of the bounce buffer: [0, 4 KiB) the op,     */
/* [4 KiB, end) the data an op points to.                              */

#define XN_DATA_OFF   XN_PAGE_SIZE
#define XN_DATA_MAX   (XN_BOUNCE_SIZE - XN_DATA_OFF)

static void *xn_data(struct xn_handle *h)
{
    return h->bounce + XN_DATA_OFF;
}

/*
 * get/setvcpuaffinity carry two bitmaps: each is bounced into its own
 * half of the data area (at most XN_DATA_MAX / 2 bytes each).
 */
static long xn_domctl_affinity(struct xn_handle *h, struct xen_domctl *op)
{
    struct xen_domctl *b = (struct xen_domctl *)h->bounce;
    struct xen_domctl_vcpuaffinity *a = &op->u.vcpuaffinity;
    uint8_t *hard = a->cpumap_hard.bitmap.p, *soft = a->cpumap_soft.bitmap.p;
    size_t lh = (a->cpumap_hard.nr_bits + 7) / 8;
    size_t ls = (a->cpumap_soft.nr_bits + 7) / 8;
    uint8_t *dh = xn_data(h), *ds = dh + XN_DATA_MAX / 2;
    long rc;

    if ( lh > XN_DATA_MAX / 2 || ls > XN_DATA_MAX / 2 ||
         (lh && !hard) || (ls && !soft) )
        return -EINVAL;
    memcpy(b, op, sizeof(*op));
    if ( lh )
        memcpy(dh, hard, lh);
    if ( ls )
        memcpy(ds, soft, ls);
    set_xen_guest_handle(b->u.vcpuaffinity.cpumap_hard.bitmap, dh);
    set_xen_guest_handle(b->u.vcpuaffinity.cpumap_soft.bitmap, ds);
    rc = xn_hypercall(h, __HYPERVISOR_domctl, (uintptr_t)b, 0, 0, 0, 0);
    memcpy(op, b, sizeof(*op));
    if ( op->cmd == XEN_DOMCTL_getvcpuaffinity )
    {
        if ( lh )
            memcpy(hard, dh, lh);
        if ( ls )
            memcpy(soft, ds, ls);
    }
    set_xen_guest_handle(op->u.vcpuaffinity.cpumap_hard.bitmap, hard);
    set_xen_guest_handle(op->u.vcpuaffinity.cpumap_soft.bitmap, soft);
    return rc;
}

long xn_domctl(struct xn_handle *h, struct xen_domctl *op)
{
    struct xen_domctl *b = (struct xen_domctl *)h->bounce;
    void *user = NULL;
    size_t len = 0;
    long rc;

    if ( op->cmd == XEN_DOMCTL_setvcpucontext ||
         op->cmd == XEN_DOMCTL_getvcpucontext )
    {
        user = op->u.vcpucontext.ctxt.p;
        len = user ? sizeof(struct vcpu_guest_context) : 0;
    }
    memcpy(b, op, sizeof(*op));
    if ( len )
    {
        memcpy(xn_data(h), user, len);
        set_xen_guest_handle(b->u.vcpucontext.ctxt, xn_data(h));
    }
    if ( op->cmd == XEN_DOMCTL_getvcpuaffinity ||
         op->cmd == XEN_DOMCTL_setvcpuaffinity )
        return xn_domctl_affinity(h, op);
    rc = xn_hypercall(h, __HYPERVISOR_domctl, (uintptr_t)b, 0, 0, 0, 0);
    memcpy(op, b, sizeof(*op));
    if ( len )
    {
        if ( op->cmd == XEN_DOMCTL_getvcpucontext )
            memcpy(user, xn_data(h), len);
        set_xen_guest_handle(op->u.vcpucontext.ctxt, user);
    }
    return rc;
}

long xn_sysctl(struct xn_handle *h, struct xen_sysctl *op)
{
    struct xen_sysctl *b = (struct xen_sysctl *)h->bounce;
    void *user = NULL;
    size_t len = 0;
    long rc;

    memcpy(b, op, sizeof(*op));
    if ( op->cmd == XEN_SYSCTL_getdomaininfolist )
    {
        user = op->u.getdomaininfolist.buffer.p;
        len = (size_t)op->u.getdomaininfolist.max_domains *
            sizeof(struct xen_domctl_getdomaininfo);
        if ( len > XN_DATA_MAX )
            return -E2BIG;
        set_xen_guest_handle(b->u.getdomaininfolist.buffer,
                             (struct xen_domctl_getdomaininfo *)xn_data(h));
    }
    else if ( op->cmd == XEN_SYSCTL_readconsole )
    {
        user = (void *)(uintptr_t)op->u.readconsole.buffer.p;
        len = op->u.readconsole.count;
        if ( len > XN_DATA_MAX )
            len = b->u.readconsole.count = XN_DATA_MAX;
        set_xen_guest_handle(b->u.readconsole.buffer, (char *)xn_data(h));
    }
    rc = xn_hypercall(h, __HYPERVISOR_sysctl, (uintptr_t)b, 0, 0, 0, 0);
    memcpy(op, b, sizeof(*op));
    if ( user )
    {
        memcpy(user, xn_data(h), len);
        if ( op->cmd == XEN_SYSCTL_getdomaininfolist )
            set_xen_guest_handle(op->u.getdomaininfolist.buffer, user);
        else
            set_xen_guest_handle(op->u.readconsole.buffer, (char *)user);
    }
    return rc;
}

long xn_domctl_op(struct xn_handle *h, uint32_t cmd, domid_t dom,
                  struct xen_domctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    return xn_domctl(h, op);
}

long xn_sysctl_op(struct xn_handle *h, uint32_t cmd, struct xen_sysctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return xn_sysctl(h, op);
}

long xn_domain_list(struct xn_handle *h, domid_t first,
                    struct xen_domctl_getdomaininfo *info, unsigned int max)
{
    struct xen_sysctl op = { 0 };
    long rc;

    op.u.getdomaininfolist.first_domain = first;
    op.u.getdomaininfolist.max_domains = max;
    set_xen_guest_handle(op.u.getdomaininfolist.buffer, info);
    rc = xn_sysctl_op(h, XEN_SYSCTL_getdomaininfolist, &op);
    return rc ? rc : (long)op.u.getdomaininfolist.num_domains;
}

long xn_physinfo(struct xn_handle *h, struct xen_sysctl_physinfo *pi)
{
    struct xen_sysctl op = { 0 };
    long rc = xn_sysctl_op(h, XEN_SYSCTL_physinfo, &op);

    if ( rc == 0 )
        *pi = op.u.physinfo;
    return rc;
}

long xn_memory_op(struct xn_handle *h, unsigned int cmd, void *arg)
{
    struct xen_memory_reservation *r, *b;
    xen_pfn_t *user;
    size_t len;
    long rc;

    switch ( cmd )
    {
    case XENMEM_populate_physmap:
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
        r = arg;
        b = (struct xen_memory_reservation *)h->bounce;
        user = (xen_pfn_t *)(uintptr_t)r->extent_start;
        len = r->nr_extents * sizeof(xen_pfn_t);
        if ( len > XN_DATA_MAX )
            return -E2BIG;
        *b = *r;
        if ( user )
        {
            memcpy(xn_data(h), user, len);
            b->extent_start = (uint64_t)(uintptr_t)xn_data(h);
        }
        rc = xn_hypercall(h, __HYPERVISOR_memory_op, cmd, (uintptr_t)b,
                          0, 0, 0);
        if ( user )
            memcpy(user, xn_data(h), len);
        return rc;
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
        memcpy(h->bounce, arg, sizeof(domid_t));
        return xn_hypercall(h, __HYPERVISOR_memory_op, cmd,
                            (uintptr_t)h->bounce, 0, 0, 0);
    }
    return -EOPNOTSUPP;
}

long xn_mmu_update(struct xn_handle *h, const struct mmu_update *req,
                   unsigned int count, unsigned int *done, domid_t fdom)
{
    size_t len = (size_t)count * sizeof(*req);
    unsigned int *bd = (unsigned int *)h->bounce;
    long rc;

    if ( len > XN_DATA_MAX )
        return -E2BIG;
    memcpy(xn_data(h), req, len);
    *bd = 0;
    rc = xn_hypercall(h, __HYPERVISOR_mmu_update, (uintptr_t)xn_data(h),
                      count, (uintptr_t)bd, fdom, 0);
    if ( done )
        *done = *bd;
    return rc;
}

long xn_mmuext_op(struct xn_handle *h, const struct mmuext_op *op,
                  unsigned int count, unsigned int *done, domid_t fdom)
{
    size_t len = (size_t)count * sizeof(*op);
    unsigned int *bd = (unsigned int *)h->bounce;
    long rc;

    if ( len > XN_DATA_MAX )
        return -E2BIG;
    memcpy(xn_data(h), op, len);
    *bd = 0;
    rc = xn_hypercall(h, __HYPERVISOR_mmuext_op, (uintptr_t)xn_data(h),
                      count, (uintptr_t)bd, fdom, 0);
    if ( done )
        *done = *bd;
    return rc;
}

static size_t xn_evtchn_arg_size(int cmd)
{
    switch ( cmd )
    {
    case EVTCHNOP_alloc_unbound:
        return sizeof(struct evtchn_alloc_unbound);
    case EVTCHNOP_bind_interdomain:
        return sizeof(struct evtchn_bind_interdomain);
    case EVTCHNOP_close:
        return sizeof(struct evtchn_close);
    case EVTCHNOP_send:
        return sizeof(struct evtchn_send);
    case EVTCHNOP_status:
        return sizeof(struct evtchn_status);
    }
    return 0;
}

long xn_evtchn_op(struct xn_handle *h, int cmd, void *arg)
{
    size_t len = xn_evtchn_arg_size(cmd);
    long rc;

    if ( !len )
        return -EOPNOTSUPP;
    memcpy(h->bounce, arg, len);
    rc = xn_hypercall(h, __HYPERVISOR_event_channel_op, cmd,
                      (uintptr_t)h->bounce, 0, 0, 0);
    memcpy(arg, h->bounce, len);
    return rc;
}

long xn_gnttab_setup_table(struct xn_handle *h, domid_t dom,
                           uint32_t nr_frames, xen_pfn_t *frames)
{
    struct gnttab_setup_table *b = (struct gnttab_setup_table *)h->bounce;
    long rc;

    if ( nr_frames * sizeof(xen_pfn_t) > XN_DATA_MAX )
        return -E2BIG;
    memset(b, 0, sizeof(*b));
    b->dom = dom;
    b->nr_frames = nr_frames;
    set_xen_guest_handle(b->frame_list, (xen_pfn_t *)xn_data(h));
    rc = xn_hypercall(h, __HYPERVISOR_grant_table_op, GNTTABOP_setup_table,
                      (uintptr_t)b, 1, 0, 0);
    if ( rc )
        return rc;
    if ( b->status != GNTST_okay )
        return -EIO;
    memcpy(frames, xn_data(h), nr_frames * sizeof(xen_pfn_t));
    return 0;
}

long xn_remote_shutdown(struct xn_handle *h, domid_t dom,
                        unsigned int reason)
{
    struct sched_remote_shutdown *b =
        (struct sched_remote_shutdown *)h->bounce;

    b->domain_id = dom;
    b->reason = reason;
    return xn_hypercall(h, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown,
                        (uintptr_t)b, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Foreign mappings.                                                   */

void *xn_map_foreign(struct xn_handle *h, domid_t dom, const xen_pfn_t *mfn,
                     unsigned int n, int prot)
{
    struct xn_privcmd_mmapbatch_v2 mb;
    int *err, e;
    void *va;
    unsigned int i;

    if ( n == 0 )
    {
        errno = EINVAL;
        return NULL;
    }
    err = calloc(n, sizeof(*err));
    if ( !err )
        return NULL;
    va = mmap(NULL, (size_t)n * XN_PAGE_SIZE, prot, MAP_SHARED,
              h->privcmd_fd, 0);
    if ( va == MAP_FAILED )
    {
        e = errno;
        free(err);
        errno = e;
        return NULL;
    }
    mb.num = n;
    mb.dom = dom;
    mb.addr = (uintptr_t)va;
    mb.arr = mfn;
    mb.err = err;
    if ( ioctl(h->privcmd_fd, XN_IOCTL_PRIVCMD_MMAPBATCH_V2, &mb) < 0 )
    {
        e = errno;
        /* ENOENT: per-frame errors are in err[] (paged frames). */
        for ( i = 0; e == ENOENT && i < n; i++ )
            if ( err[i] )
                e = -err[i];
        munmap(va, (size_t)n * XN_PAGE_SIZE);
        free(err);
        errno = e;
        return NULL;
    }
    free(err);
    return va;
}

void xn_unmap(void *va, unsigned int n)
{
    if ( va )
        munmap(va, (size_t)n * XN_PAGE_SIZE);
}
