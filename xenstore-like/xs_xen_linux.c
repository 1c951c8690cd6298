/*
 * xs_xen_linux.c: talking to Xen through a Linux dom0's devices.
 *
 *  /dev/xen/evtchn    bind VIRQ_DOM_EXC and each domain's store port;
 *                     read() gives pending local ports (uint32 each),
 *                     write() of the same unmasks them
 *  /dev/xen/gntdev    map a domain's store page through its grant
 *                     reference GNTTAB_RESERVED_XENSTORE (1)
 *  /dev/xen/privcmd   foreign mapping of the page by gfn when the grant
 *                     is not there; the domctl hypercall for
 *                     getdomaininfo (hypercall memory from privcmd-buf)
 *  /proc/xen/xsd_kva  dom0's own store page, and xsd_port its port
 *
 * The ioctl numbers and argument layouts are Linux's UAPI
 * (include/uapi/xen/{evtchn,gntdev,privcmd}.h); the domctl layout is Xen
 * 4.17's (interface version 0x15).  They are restated here because
 * Debian ships no Xen kernel headers by default.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xenstored.h"

/* ---- Linux UAPI -------------------------------------------------------- */

struct ioctl_evtchn_bind_virq { unsigned int virq; };
struct ioctl_evtchn_bind_interdomain
{
    unsigned int remote_domain, remote_port;
};
struct ioctl_evtchn_unbind { unsigned int port; };
struct ioctl_evtchn_notify { unsigned int port; };

#define IOCTL_EVTCHN_BIND_VIRQ \
    _IOC(_IOC_NONE, 'E', 0, sizeof(struct ioctl_evtchn_bind_virq))
#define IOCTL_EVTCHN_BIND_INTERDOMAIN \
    _IOC(_IOC_NONE, 'E', 1, sizeof(struct ioctl_evtchn_bind_interdomain))
#define IOCTL_EVTCHN_UNBIND \
    _IOC(_IOC_NONE, 'E', 3, sizeof(struct ioctl_evtchn_unbind))
#define IOCTL_EVTCHN_NOTIFY \
    _IOC(_IOC_NONE, 'E', 4, sizeof(struct ioctl_evtchn_notify))

struct ioctl_gntdev_grant_ref { uint32_t domid, ref; };
struct ioctl_gntdev_map_grant_ref
{
    uint32_t count, pad;
    uint64_t index;
    struct ioctl_gntdev_grant_ref refs[1];
};
struct ioctl_gntdev_unmap_grant_ref
{
    uint64_t index;
    uint32_t count, pad;
};
struct ioctl_gntdev_get_offset_for_vaddr
{
    uint64_t vaddr, offset;
    uint32_t count, pad;
};
struct ioctl_gntdev_set_max_grants { uint32_t count; };

#define IOCTL_GNTDEV_MAP_GRANT_REF \
    _IOC(_IOC_NONE, 'G', 0, sizeof(struct ioctl_gntdev_map_grant_ref))
#define IOCTL_GNTDEV_UNMAP_GRANT_REF \
    _IOC(_IOC_NONE, 'G', 1, sizeof(struct ioctl_gntdev_unmap_grant_ref))
#define IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR \
    _IOC(_IOC_NONE, 'G', 2, sizeof(struct ioctl_gntdev_get_offset_for_vaddr))
#define IOCTL_GNTDEV_SET_MAX_GRANTS \
    _IOC(_IOC_NONE, 'G', 3, sizeof(struct ioctl_gntdev_set_max_grants))

struct privcmd_hypercall { uint64_t op, arg[5]; };
struct privcmd_mmapbatch_v2
{
    unsigned int num;
    uint16_t dom;
    uint64_t addr;
    const uint64_t *arr;
    int *err;
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
#define IOCTL_PRIVCMD_MMAPBATCH_V2 \
    _IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_mmapbatch_v2))

/* ---- Xen 4.17 ABI ------------------------------------------------------ */

#define HYPERVISOR_domctl           36
#define VIRQ_DOM_EXC                3
#define GNTTAB_RESERVED_XENSTORE    1
#define XEN_DOMCTL_getdomaininfo    5
#define XEN_DOMCTL_INTERFACE_VERSION 0x15
#define XEN_DOMINF_dying            (1u << 0)
#define XEN_DOMINF_shutdown         (1u << 2)

struct xen_domctl_getdomaininfo
{
    uint16_t domain;
    uint16_t pad1;
    uint32_t flags;
    uint64_t tot_pages, max_pages, outstanding_pages, shr_pages;
    uint64_t paged_pages, shared_info_frame, cpu_time;
    uint32_t nr_online_vcpus, max_vcpu_id, ssidref;
    uint8_t handle[16];
    uint32_t cpupool;
    uint8_t gpaddr_bits;
    uint8_t pad2[7];
    /* struct xen_arch_domainconfig follows; we do not read it */
};

struct xen_domctl
{
    uint32_t cmd;
    uint32_t interface_version;
    uint16_t domain;
    uint16_t pad[3];
    union
    {
        struct xen_domctl_getdomaininfo getdomaininfo;
        uint8_t pad[128];
    } u;
};
_Static_assert(sizeof(struct xen_domctl) == 144, "domctl size");
_Static_assert(__builtin_offsetof(struct xen_domctl_getdomaininfo, cpupool)
               == 92, "getdomaininfo layout");

#define PAGE_SIZE 4096

struct linux_xen
{
    int evtchn, gntdev, privcmd;
    struct xen_domctl *hbuf;      /* hypercall-safe page */
    bool hbuf_mmapped;
    struct grant_map
    {
        void *addr;
        uint64_t index;
        bool grant;               /* else privcmd or xsd_kva mapping */
    } maps[XS_DOMID_FIRST_RESERVED];
};

/* ---- Operations ---------------------------------------------------------- */

static void *map_by_grant(struct linux_xen *x, unsigned int domid,
                          uint64_t *index)
{
    struct ioctl_gntdev_map_grant_ref map = {
        .count = 1,
        .refs[0] = { .domid = domid, .ref = GNTTAB_RESERVED_XENSTORE },
    };
    struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
    void *addr;

    if ( x->gntdev < 0 || ioctl(x->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, &map) )
        return NULL;
    addr = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                x->gntdev, map.index);
    if ( addr == MAP_FAILED )
    {
        unmap.index = map.index;
        ioctl(x->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap);
        return NULL;
    }
    *index = map.index;
    return addr;
}

static void *map_foreign(struct linux_xen *x, unsigned int domid,
                         uint64_t gfn)
{
    uint64_t arr[1] = { gfn };
    int err[1] = { 0 };
    struct privcmd_mmapbatch_v2 b = { .num = 1, .dom = domid, .arr = arr,
                                      .err = err };
    void *addr;

    if ( x->privcmd < 0 )
        return NULL;
    addr = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                x->privcmd, 0);
    if ( addr == MAP_FAILED )
        return NULL;
    b.addr = (uintptr_t)addr;
    if ( ioctl(x->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &b) || err[0] )
    {
        munmap(addr, PAGE_SIZE);
        return NULL;
    }
    return addr;
}

static void *lx_map_ring(void *priv, unsigned int domid, uint64_t gfn)
{
    struct linux_xen *x = priv;
    struct grant_map *m;

    if ( domid >= XS_DOMID_FIRST_RESERVED )
        return NULL;
    m = &x->maps[domid];
    m->addr = map_by_grant(x, domid, &m->index);
    m->grant = m->addr != NULL;
    if ( !m->addr )
        m->addr = map_foreign(x, domid, gfn);
    return m->addr;
}

static void lx_unmap_ring(void *priv, unsigned int domid, void *ring)
{
    struct linux_xen *x = priv;
    struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
    struct grant_map *m = &x->maps[domid];

    munmap(ring, PAGE_SIZE);
    if ( m->addr == ring && m->grant )
    {
        unmap.index = m->index;
        ioctl(x->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap);
    }
    if ( m->addr == ring )
        memset(m, 0, sizeof(*m));
}

static void *lx_map_local_ring(void *priv, unsigned int *port)
{
    char buf[32];
    ssize_t n;
    void *addr;
    int fd;

    (void)priv;
    fd = open("/proc/xen/xsd_port", O_RDONLY | O_CLOEXEC);
    if ( fd < 0 )
        return NULL;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if ( n <= 0 )
        return NULL;
    buf[n] = '\0';
    *port = strtoul(buf, NULL, 0);
    fd = open("/proc/xen/xsd_kva", O_RDWR | O_CLOEXEC);
    if ( fd < 0 )
        return NULL;
    addr = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return addr == MAP_FAILED ? NULL : addr;
}

static int lx_bind(void *priv, unsigned int domid, unsigned int rport)
{
    struct linux_xen *x = priv;
    struct ioctl_evtchn_bind_interdomain b = { domid, rport };
    int rc = ioctl(x->evtchn, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);

    return rc < 0 ? -errno : rc;
}

static void lx_unbind(void *priv, unsigned int lport)
{
    struct linux_xen *x = priv;
    struct ioctl_evtchn_unbind u = { lport };

    ioctl(x->evtchn, IOCTL_EVTCHN_UNBIND, &u);
}

static void lx_notify(void *priv, unsigned int lport)
{
    struct linux_xen *x = priv;
    struct ioctl_evtchn_notify n = { lport };

    ioctl(x->evtchn, IOCTL_EVTCHN_NOTIFY, &n);
}

static int lx_dominfo(void *priv, unsigned int domid, struct xs_dominfo *info)
{
    struct linux_xen *x = priv;
    struct xen_domctl *d = x->hbuf;
    struct privcmd_hypercall h = { .op = HYPERVISOR_domctl };
    int rc;

    memset(d, 0, sizeof(*d));
    d->cmd = XEN_DOMCTL_getdomaininfo;
    d->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    d->domain = domid;
    h.arg[0] = (uintptr_t)d;
    rc = ioctl(x->privcmd, IOCTL_PRIVCMD_HYPERCALL, &h);
    if ( rc < 0 )
        return errno == ESRCH ? ESRCH : errno;
    /* Xen 4.17 answers with the first domain at or above domid. */
    info->domid = d->u.getdomaininfo.domain;
    if ( info->domid != domid )
        return ESRCH;
    info->dying = d->u.getdomaininfo.flags & XEN_DOMINF_dying;
    info->shutdown = d->u.getdomaininfo.flags & XEN_DOMINF_shutdown;
    return 0;
}

static const struct xs_xen_ops linux_ops = {
    .map_ring = lx_map_ring,
    .unmap_ring = lx_unmap_ring,
    .map_local_ring = lx_map_local_ring,
    .bind = lx_bind,
    .unbind = lx_unbind,
    .notify = lx_notify,
    .dominfo = lx_dominfo,
};

/* ---- Set-up ---------------------------------------------------------- */

static int alloc_hbuf(struct linux_xen *x)
{
    int fd = open("/dev/xen/privcmd-buf", O_RDWR | O_CLOEXEC);
    void *p = MAP_FAILED;

    if ( fd >= 0 )
    {
        p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
    }
    if ( p != MAP_FAILED )
    {
        x->hbuf = p;
        x->hbuf_mmapped = true;
        return 0;
    }
    /* Older kernels: locked anonymous memory works for a PV dom0. */
    p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if ( p == MAP_FAILED )
        return errno;
    x->hbuf = p;
    x->hbuf_mmapped = true;
    return 0;
}

int xs_xen_linux_open(struct xs_core *core, int *evtchn_fd,
                      unsigned int *virq_port)
{
    struct linux_xen *x = calloc(1, sizeof(*x));
    struct ioctl_evtchn_bind_virq v = { VIRQ_DOM_EXC };
    struct ioctl_gntdev_set_max_grants mg = { XS_DOMID_FIRST_RESERVED };
    int rc;

    if ( !x )
        return ENOMEM;
    x->gntdev = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
    x->privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    x->evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if ( x->evtchn < 0 || x->privcmd < 0 )
    {
        rc = errno ? errno : ENODEV;
        goto fail;
    }
    if ( x->gntdev >= 0 )
        ioctl(x->gntdev, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg);  /* old kernels */
    rc = alloc_hbuf(x);
    if ( rc )
        goto fail;
    rc = ioctl(x->evtchn, IOCTL_EVTCHN_BIND_VIRQ, &v);
    if ( rc < 0 )
    {
        rc = errno;
        goto fail;
    }
    *virq_port = rc;
    *evtchn_fd = x->evtchn;
    core->xen = &linux_ops;
    core->xen_priv = x;
    return 0;

 fail:
    if ( x->evtchn >= 0 )
        close(x->evtchn);
    if ( x->privcmd >= 0 )
        close(x->privcmd);
    if ( x->gntdev >= 0 )
        close(x->gntdev);
    free(x);
    return rc;
}

void xs_xen_linux_close(struct xs_core *core)
{
    struct linux_xen *x = core->xen_priv;

    if ( !x )
        return;
    if ( x->hbuf_mmapped )
        munmap(x->hbuf, PAGE_SIZE);
    close(x->evtchn);
    close(x->privcmd);
    if ( x->gntdev >= 0 )
        close(x->gntdev);
    free(x);
    core->xen = NULL;
    core->xen_priv = NULL;
}

void xs_xen_linux_handle_events(struct xs_core *core, int fd,
                                unsigned int virq_port)
{
    uint32_t ports[64];
    ssize_t n;
    size_t i;
    bool virq = false;

    n = read(fd, ports, sizeof(ports));
    if ( n <= 0 )
        return;
    for ( i = 0; i < (size_t)n / sizeof(ports[0]); i++ )
        if ( ports[i] == virq_port )
            virq = true;
    /* Unmask before looking, so that no event is lost in between. */
    if ( write(fd, ports, n - n % sizeof(ports[0])) < 0 )
        xs_log(core, XS_LOG_WARN, "cannot unmask event channels");
    if ( virq )
        xs_domain_check_all(core);
    xs_domain_event(core, -1);
}
