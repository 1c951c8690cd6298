/*
 * devs.c: libxenia's event channel (/dev/xen/evtchn) and grant mapping
 * (/dev/xen/gntdev) helpers (see xenia_ctrl.h).
 */
#include "xenia_ctrl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/evtchn.h>
#include <xen/gntdev.h>

int xn_evtchn_open(void)
{
    int fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

static int xn_ioctl_rc(int rc)
{
    return rc < 0 ? -errno : rc;
}

int xn_evtchn_bind_interdomain(int fd, domid_t dom, uint32_t remote_port)
{
    struct ioctl_evtchn_bind_interdomain b = {
        .remote_domain = dom, .remote_port = remote_port,
    };

    return xn_ioctl_rc(ioctl(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b));
}

int xn_evtchn_bind_unbound(int fd, domid_t dom)
{
    struct ioctl_evtchn_bind_unbound_port b = { .remote_domain = dom };

    return xn_ioctl_rc(ioctl(fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &b));
}

int xn_evtchn_bind_virq(int fd, unsigned int virq)
{
    struct ioctl_evtchn_bind_virq b = { .virq = virq };

    return xn_ioctl_rc(ioctl(fd, IOCTL_EVTCHN_BIND_VIRQ, &b));
}

int xn_evtchn_notify(int fd, uint32_t port)
{
    struct ioctl_evtchn_notify n = { .port = port };

    return xn_ioctl_rc(ioctl(fd, IOCTL_EVTCHN_NOTIFY, &n));
}

int xn_evtchn_unbind(int fd, uint32_t port)
{
    struct ioctl_evtchn_unbind u = { .port = port };

    return xn_ioctl_rc(ioctl(fd, IOCTL_EVTCHN_UNBIND, &u));
}

int xn_evtchn_pending(int fd)
{
    uint32_t port;
    ssize_t n = read(fd, &port, sizeof(port));

    if ( n < 0 )
        return -errno;
    if ( n != sizeof(port) )
        return -EIO;
    return (int)port;
}

int xn_evtchn_unmask(int fd, uint32_t port)
{
    ssize_t n = write(fd, &port, sizeof(port));

    return n == sizeof(port) ? 0 : n < 0 ? -errno : -EIO;
}

int xn_gntdev_open(void)
{
    int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

void *xn_gntdev_map(int fd, domid_t dom, uint32_t ref, int writable)
{
    struct ioctl_gntdev_map_grant_ref m;
    struct ioctl_gntdev_unmap_grant_ref u;
    void *va;
    int e;

    memset(&m, 0, sizeof(m));
    m.count = 1;
    m.refs[0].domid = dom;
    m.refs[0].ref = ref;
    if ( ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, &m) < 0 )
        return NULL;
    va = mmap(NULL, XN_PAGE_SIZE, PROT_READ | (writable ? PROT_WRITE : 0),
              MAP_SHARED, fd, m.index);
    if ( va == MAP_FAILED )
    {
        e = errno;
        memset(&u, 0, sizeof(u));
        u.index = m.index;
        u.count = 1;
        ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
        errno = e;
        return NULL;
    }
    return va;
}

void xn_gntdev_unmap(int fd, void *va)
{
    struct ioctl_gntdev_get_offset_for_vaddr g = {
        .vaddr = (uintptr_t)va,
    };
    struct ioctl_gntdev_unmap_grant_ref u;

    if ( !va )
        return;
    memset(&u, 0, sizeof(u));
    if ( ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &g) == 0 )
    {
        u.index = g.offset;
        u.count = g.count;
    }
    munmap(va, XN_PAGE_SIZE);
    if ( u.count )
        ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
}
