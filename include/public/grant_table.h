/*
 * grant_table.h: grant_table_op(cmd, ops, count) — controlled page sharing.
 *
 * A domain grants another domain access to one of its frames by filling
 * an entry of its grant table; the grantee maps or copies through the
 * grant reference.  A table holds version-1 or version-2 entries
 * (GNTTABOP_set_version); see docs/grant-tables.md.
 *
 * Hypercall: grant_table_op(unsigned int cmd, void *ops, unsigned int
 * count).  Batched sub-ops (map, unmap, copy) take an array of count
 * structures and report a GNTST_* status per element; the hypercall
 * itself returns 0, or -errno when the array cannot be read or written
 * (-EFAULT), count is negative or cmd carries unknown bits (-EINVAL), or
 * the sub-op is unknown (-ENOSYS).
 */
#ifndef XEN_PUBLIC_GRANT_TABLE_H
#define XEN_PUBLIC_GRANT_TABLE_H

#include <stdint.h>
#include "xen.h"

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

/* Version-1 grant entry, written by the granting guest. */
struct grant_entry_v1
{
    uint16_t flags;     /* GTF_*                                 */
    domid_t domid;      /* the domain being granted access       */
    uint32_t frame;     /* the frame (or transfer destination)   */
};
typedef struct grant_entry_v1 grant_entry_v1_t;
_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");

/*
 * Version-2 grant entry (16 bytes), written by the granting guest.  The
 * hypervisor never writes it: GTF_reading/GTF_writing go to the entry's
 * grant_status_t in the separate status frames instead.
 *  full_page: GTF_permit_access, the whole frame.
 *  sub_page: GTF_permit_access|GTF_sub_page, only bytes [page_off,
 *   page_off + length) of the frame, for GNTTABOP_copy only (a map of a
 *   sub-page grant fails).
 *  transitive: GTF_transitive, copy-only access to grant gref of
 *   trans_domid, which must grant it to this domain; one level only.
 */
struct grant_entry_header
{
    uint16_t flags;     /* GTF_*                                 */
    domid_t domid;      /* the domain being granted access       */
};
typedef struct grant_entry_header grant_entry_header_t;

union grant_entry_v2
{
    grant_entry_header_t hdr;
    struct {
        grant_entry_header_t hdr;
        uint32_t pad0;
        uint64_t frame;
    } full_page;
    struct {
        grant_entry_header_t hdr;
        uint16_t page_off;
        uint16_t length;
        uint64_t frame;
    } sub_page;
    struct {
        grant_entry_header_t hdr;
        domid_t trans_domid;
        uint16_t pad0;
        grant_ref_t gref;
    } transitive;
    uint32_t __spacer[4];
};
typedef union grant_entry_v2 grant_entry_v2_t;
_Static_assert(sizeof(union grant_entry_v2) == 16, "grant_entry_v2");
_Static_assert(__builtin_offsetof(union grant_entry_v2, sub_page.page_off)
               == 4, "grant_entry_v2.sub_page");
_Static_assert(__builtin_offsetof(union grant_entry_v2, transitive.gref)
               == 8, "grant_entry_v2.transitive");

/* One per v2 entry, in the status frames: GTF_reading | GTF_writing. */
typedef uint16_t grant_status_t;

#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE    0
#define GNTTAB_RESERVED_XENSTORE   1

/* grant entry flags: type in bits 0-1, then status/attribute bits. */
#define GTF_invalid             (0U << 0)
#define GTF_permit_access       (1U << 0)
#define GTF_accept_transfer     (2U << 0)
#define GTF_transitive          (3U << 0)
#define GTF_type_mask           (3U << 0)
#define _GTF_readonly           2
#define GTF_readonly            (1U << _GTF_readonly)
#define _GTF_reading            3
#define GTF_reading             (1U << _GTF_reading)
#define _GTF_writing            4
#define GTF_writing             (1U << _GTF_writing)
#define _GTF_PWT                5
#define GTF_PWT                 (1U << _GTF_PWT)
#define _GTF_PCD                6
#define GTF_PCD                 (1U << _GTF_PCD)
#define _GTF_PAT                7
#define GTF_PAT                 (1U << _GTF_PAT)
#define _GTF_sub_page           8
#define GTF_sub_page            (1U << _GTF_sub_page)
#define _GTF_transfer_committed 2
#define GTF_transfer_committed  (1U << _GTF_transfer_committed)
#define _GTF_transfer_completed 3
#define GTF_transfer_completed  (1U << _GTF_transfer_completed)

/* Sub-ops. */
#define GNTTABOP_map_grant_ref        0
#define GNTTABOP_unmap_grant_ref      1
#define GNTTABOP_setup_table          2
#define GNTTABOP_dump_table           3
#define GNTTABOP_transfer             4
#define GNTTABOP_copy                 5
#define GNTTABOP_query_size           6
#define GNTTABOP_unmap_and_replace    7
#define GNTTABOP_set_version          8
#define GNTTABOP_get_status_frames    9
#define GNTTABOP_get_version         10
#define GNTTABOP_swap_grant_ref      11
#define GNTTABOP_cache_flush         12

/*
 * GNTTABOP_map_grant_ref: map the grant (dom, ref) for the caller.
 *  flags must include GNTMAP_host_map and/or GNTMAP_device_map.
 *  host_map: for a PV caller host_addr is the virtual address whose L1
 *   entry is replaced by the mapping, or with GNTMAP_contains_pte the
 *   machine address of that L1 entry.
 *  dev_bus_addr: the machine address of the granted frame.
 *  handle: names the mapping for GNTTABOP_unmap_grant_ref.
 * NOTES: dom is a real domain id (DOMID_SELF is GNTST_bad_domain); the
 *  entry must be GTF_permit_access for the caller's id; a writable map of
 *  a GTF_readonly entry fails (GNTST_general_error).
 */
struct gnttab_map_grant_ref
{
    uint64_t host_addr;       /* IN  */
    uint32_t flags;           /* IN: GNTMAP_* */
    grant_ref_t ref;          /* IN  */
    domid_t dom;              /* IN  */
    int16_t status;           /* OUT: GNTST_* */
    grant_handle_t handle;    /* OUT */
    uint64_t dev_bus_addr;    /* OUT */
};
typedef struct gnttab_map_grant_ref gnttab_map_grant_ref_t;
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "map_grant_ref");
_Static_assert(__builtin_offsetof(struct gnttab_map_grant_ref, status) == 18,
               "map_grant_ref.status");
_Static_assert(__builtin_offsetof(struct gnttab_map_grant_ref, handle) == 20,
               "map_grant_ref.handle");

/*
 * GNTTABOP_unmap_grant_ref: undo (part of) the mapping named by handle.
 *  host_addr != 0 undoes the host mapping: it must name an L1 entry that
 *   still maps the frame with the mapping's read/write permission.
 *  dev_bus_addr != 0 undoes the device mapping (it must match).
 *  Only status is written back.  An unknown or already unmapped handle is
 *  GNTST_bad_handle.
 */
struct gnttab_unmap_grant_ref
{
    uint64_t host_addr;       /* IN  */
    uint64_t dev_bus_addr;    /* IN  */
    grant_handle_t handle;    /* IN  */
    int16_t status;           /* OUT: GNTST_* */
};
typedef struct gnttab_unmap_grant_ref gnttab_unmap_grant_ref_t;
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "unmap_grant_ref");
_Static_assert(__builtin_offsetof(struct gnttab_unmap_grant_ref, status) == 20,
               "unmap_grant_ref.status");

/*
 * GNTTABOP_setup_table: grow dom's table to at least nr_frames frames and
 * return the first nr_frames frame numbers (MFNs for a PV domain).
 *  count must be 1.  dom may be DOMID_SELF; another domain needs a
 *  privileged caller.  nr_frames above the maximum: GNTST_general_error.
 *  Only status is written back besides frame_list.
 */
struct gnttab_setup_table
{
    domid_t dom;                             /* IN  */
    uint32_t nr_frames;                      /* IN  */
    int16_t status;                          /* OUT: GNTST_* */
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list;  /* OUT */
};
typedef struct gnttab_setup_table gnttab_setup_table_t;
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "setup_table");

/*
 * GNTTABOP_query_size: current and maximum number of frames of dom's
 * table.  count must be 1; the whole structure is written back.
 */
struct gnttab_query_size
{
    domid_t dom;              /* IN  */
    uint32_t nr_frames;       /* OUT */
    uint32_t max_nr_frames;   /* OUT */
    int16_t status;           /* OUT */
};
typedef struct gnttab_query_size gnttab_query_size_t;
_Static_assert(sizeof(struct gnttab_query_size) == 16, "query_size");

/*
 * GNTTABOP_copy: copy len bytes between two frames, each named either by a
 * grant reference of domid (GNTCOPY_*_gref set) or by a frame number of
 * the caller itself (domid must then be DOMID_SELF).  The destination
 * needs a writable grant.  Neither range may cross its page
 * (GNTST_bad_copy_arg).  Only status is written back.
 */
#define _GNTCOPY_source_gref    0
#define GNTCOPY_source_gref     (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref      1
#define GNTCOPY_dest_gref       (1 << _GNTCOPY_dest_gref)

struct gnttab_copy_ptr
{
    union {
        grant_ref_t ref;      /* with GNTCOPY_*_gref */
        xen_pfn_t gmfn;       /* without: the caller's own frame */
    } u;
    domid_t domid;
    uint16_t offset;
};
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "gnttab_copy_ptr");

struct gnttab_copy
{
    struct gnttab_copy_ptr source, dest;    /* IN  */
    uint16_t len;                           /* IN  */
    uint16_t flags;                         /* IN: GNTCOPY_* */
    int16_t status;                         /* OUT: GNTST_* */
};
typedef struct gnttab_copy gnttab_copy_t;
_Static_assert(sizeof(struct gnttab_copy) == 40, "gnttab_copy");
_Static_assert(__builtin_offsetof(struct gnttab_copy, status) == 36,
               "gnttab_copy.status");

/*
 * GNTTABOP_unmap_and_replace: undo the host mapping named by handle at
 *  host_addr (a virtual address; as unmap_grant_ref, host_addr 0 undoes
 *  nothing) and put in its place the L1 entry that mapped new_addr,
 *  which is cleared; new_addr 0 leaves host_addr unmapped.  A mapping
 *  made with GNTMAP_contains_pte cannot be replaced (new_addr must be 0).
 *  Batched like unmap_grant_ref; only status is written back.  An
 *  unknown handle is GNTST_bad_handle; a host_addr that does not map the
 *  grant, or a new_addr without an L1 entry, GNTST_general_error.
 */
struct gnttab_unmap_and_replace
{
    uint64_t host_addr;       /* IN  */
    uint64_t new_addr;        /* IN  */
    grant_handle_t handle;    /* IN  */
    int16_t status;           /* OUT: GNTST_* */
};
typedef struct gnttab_unmap_and_replace gnttab_unmap_and_replace_t;
_Static_assert(sizeof(struct gnttab_unmap_and_replace) == 24,
               "unmap_and_replace");
_Static_assert(__builtin_offsetof(struct gnttab_unmap_and_replace, status)
               == 20, "unmap_and_replace.status");

/*
 * GNTTABOP_set_version: ask for table version 1 or 2 (-EINVAL for any
 *  other; -ENOSYS for 2 when the domain was created with a maximum
 *  version of 1).  version is written back with the version in force,
 *  also on failure.  Switching needs every entry from
 *  GNTTAB_NR_RESERVED_ENTRIES on to be unused (-EBUSY); the reserved
 *  entries keep their grants (v2 -> v1: -ERANGE if one cannot be
 *  expressed in v1, a transitive grant or a frame above 2^32), every
 *  other entry is cleared.  Switching to 2 allocates the status frames;
 *  switching back to 1 frees them, -EBUSY while the domain maps one.
 * GNTTABOP_get_version: the version of dom's table (count is ignored;
 *  -ESRCH for an unknown dom, -EPERM for another domain unless the caller
 *  is privileged).
 */
struct gnttab_set_version
{
    uint32_t version;         /* IN/OUT */
};
typedef struct gnttab_set_version gnttab_set_version_t;
_Static_assert(sizeof(struct gnttab_set_version) == 4, "set_version");

struct gnttab_get_version
{
    domid_t dom;              /* IN  */
    uint16_t pad;
    uint32_t version;         /* OUT */
};
typedef struct gnttab_get_version gnttab_get_version_t;
_Static_assert(sizeof(struct gnttab_get_version) == 8, "get_version");

/*
 * GNTTABOP_get_status_frames: the frame numbers (MFNs for a PV domain)
 *  of the first nr_frames status frames of dom's table.  count must be 1
 *  (-EINVAL).  dom may be DOMID_SELF; another domain needs a privileged
 *  caller (GNTST_permission_denied).  nr_frames above the number of
 *  status frames (0 for a version-1 table): GNTST_general_error; a
 *  frame_list starting in the hypervisor's range: -EFAULT; otherwise an
 *  unwritable frame_list: GNTST_bad_virt_addr.  Only status is written
 *  back besides frame_list.
 */
struct gnttab_get_status_frames
{
    uint32_t nr_frames;                      /* IN  */
    domid_t dom;                             /* IN  */
    int16_t status;                          /* OUT: GNTST_* */
    XEN_GUEST_HANDLE(uint64_t) frame_list;   /* OUT */
};
typedef struct gnttab_get_status_frames gnttab_get_status_frames_t;
_Static_assert(sizeof(struct gnttab_get_status_frames) == 16,
               "get_status_frames");

/* GNTMAP_* flags of map_grant_ref. */
#define _GNTMAP_device_map      0
#define GNTMAP_device_map       (1 << _GNTMAP_device_map)
#define _GNTMAP_host_map        1
#define GNTMAP_host_map         (1 << _GNTMAP_host_map)
#define _GNTMAP_readonly        2
#define GNTMAP_readonly         (1 << _GNTMAP_readonly)
#define _GNTMAP_application_map 3
#define GNTMAP_application_map  (1 << _GNTMAP_application_map)
#define _GNTMAP_contains_pte    4
#define GNTMAP_contains_pte     (1 << _GNTMAP_contains_pte)
/* Bits 16 and up go to the PTE's software-available bits (9-11). */
#define _GNTMAP_guest_avail0    16
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-operation status codes. */
#define GNTST_okay               0
#define GNTST_general_error    (-1)
#define GNTST_bad_domain       (-2)
#define GNTST_bad_gntref       (-3)
#define GNTST_bad_handle       (-4)
#define GNTST_bad_virt_addr    (-5)
#define GNTST_bad_dev_addr     (-6)
#define GNTST_no_device_space  (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page         (-9)
#define GNTST_bad_copy_arg    (-10)
#define GNTST_address_too_big (-11)
#define GNTST_eagain          (-12)
#define GNTST_no_space        (-13)

#endif /* XEN_PUBLIC_GRANT_TABLE_H */
