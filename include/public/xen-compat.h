/*
 * xen-compat.h: the guest interface version of Xenia's public ABI.
 *
 * Xenia implements the x86-64 PV interface of Xen 4.17, whose latest
 * interface version is 0x00040e00.  A guest (or a test kernel) may define
 * __XEN_INTERFACE_VERSION__ itself to ask for an older view of the
 * headers; by default it gets the latest one.  Xenia's headers only
 * describe the latest layout, so older values are rejected at compile time.
 */
#ifndef XEN_PUBLIC_XEN_COMPAT_H
#define XEN_PUBLIC_XEN_COMPAT_H

#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00

#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#endif

#if __XEN_INTERFACE_VERSION__ > __XEN_LATEST_INTERFACE_VERSION__
#error "__XEN_INTERFACE_VERSION__ is newer than these headers know"
#endif

#if __XEN_INTERFACE_VERSION__ < 0x00040600
#error "Xenia's public headers describe interface 0x00040600 and later only"
#endif

#endif /* XEN_PUBLIC_XEN_COMPAT_H */
