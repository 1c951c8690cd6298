/*
 * version.h: xen_version(cmd, arg) sub-operations.
 *
 * All sub-ops return 0 on success except XENVER_version, XENVER_pagesize
 * and XENVER_build_id, which return a value.  A bad 'arg' pointer gives
 * -EFAULT; an unknown cmd gives -ENOSYS.
 */
#ifndef XEN_PUBLIC_VERSION_H
#define XEN_PUBLIC_VERSION_H

#include <stdint.h>
#include "xen.h"

/* arg = NULL.  Returns (major << 16) | minor. */
#define XENVER_version      0

/* arg = xen_extraversion_t (OUT): e.g. ".7", NUL-terminated. */
#define XENVER_extraversion 1
typedef char xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN (sizeof(xen_extraversion_t))

/* arg = xen_compile_info_t (OUT): strings, each NUL-terminated. */
#define XENVER_compile_info 2
struct xen_compile_info
{
    char compiler[64];        /* OUT */
    char compile_by[16];      /* OUT */
    char compile_domain[32];  /* OUT */
    char compile_date[32];    /* OUT */
};
typedef struct xen_compile_info xen_compile_info_t;
_Static_assert(sizeof(struct xen_compile_info) == 144, "compile_info size");

/*
 * arg = xen_capabilities_info_t (OUT): space-separated guest types the
 * hypervisor can run, e.g. "xen-3.0-x86_64 ".
 */
#define XENVER_capabilities 3
typedef char xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN (sizeof(xen_capabilities_info_t))

/* arg = xen_changeset_info_t (OUT): source revision, NUL-terminated. */
#define XENVER_changeset 4
typedef char xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN (sizeof(xen_changeset_info_t))

/* arg = xen_platform_parameters_t (OUT): start of the hypervisor hole. */
#define XENVER_platform_parameters 5
struct xen_platform_parameters
{
    xen_ulong_t virt_start;   /* OUT: HYPERVISOR_VIRT_START for 64-bit PV */
};
typedef struct xen_platform_parameters xen_platform_parameters_t;
_Static_assert(sizeof(struct xen_platform_parameters) == 8, "platform size");

/* arg = xen_feature_info_t (IN/OUT): one 32-bit submap of XENFEAT_* bits. */
#define XENVER_get_features 6
struct xen_feature_info
{
    uint32_t submap_idx;      /* IN: which submap                    */
    uint32_t submap;          /* OUT: its bits (-EINVAL if no such map) */
};
typedef struct xen_feature_info xen_feature_info_t;
_Static_assert(sizeof(struct xen_feature_info) == 8, "feature_info size");

#include "features.h"

/* arg = NULL.  Returns the page size (4096). */
#define XENVER_pagesize 7

/* arg = xen_domain_handle_t (OUT): the domain's UUID as set by tools. */
#define XENVER_guest_handle 8

/* arg = xen_commandline_t (OUT): the hypervisor command line (privileged). */
#define XENVER_commandline 9
typedef char xen_commandline_t[1024];

/*
 * arg = xen_build_id_t (IN: len; OUT: buf).  Returns the number of bytes
 * written.  With arg == NULL returns the size of the build id.  Privileged.
 */
#define XENVER_build_id 10
struct xen_build_id
{
    uint32_t len;                          /* IN: size of buf[]       */
    unsigned char buf[XEN_FLEX_ARRAY_DIM]; /* OUT: the build id bytes */
};
typedef struct xen_build_id xen_build_id_t;
_Static_assert(sizeof(struct xen_build_id) == 4, "build_id header size");

#endif /* XEN_PUBLIC_VERSION_H */
