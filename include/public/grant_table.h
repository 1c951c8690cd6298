/*
 * grant_table.h: grant_table_op(cmd, ops, count) — controlled page sharing.
 *
 * A domain grants another domain access to one of its frames by filling
 * an entry of its grant table; the grantee maps or copies through the
 * grant reference.  Numbers and the v1 entry layout only, for now.
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

/* GNTTABOP_map_grant_ref: map a foreign grant at host_addr. */
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

/* GNTTABOP_unmap_grant_ref. */
struct gnttab_unmap_grant_ref
{
    uint64_t host_addr;       /* IN  */
    uint64_t dev_bus_addr;    /* IN  */
    grant_handle_t handle;    /* IN  */
    int16_t status;           /* OUT: GNTST_* */
};
typedef struct gnttab_unmap_grant_ref gnttab_unmap_grant_ref_t;
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "unmap_grant_ref");

/* GNTTABOP_setup_table: get the frames of a domain's grant table. */
struct gnttab_setup_table
{
    domid_t dom;                             /* IN  */
    uint32_t nr_frames;                      /* IN  */
    int16_t status;                          /* OUT: GNTST_* */
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list;  /* OUT */
};
typedef struct gnttab_setup_table gnttab_setup_table_t;
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "setup_table");

/* GNTTABOP_query_size. */
struct gnttab_query_size
{
    domid_t dom;              /* IN  */
    uint32_t nr_frames;       /* OUT */
    uint32_t max_nr_frames;   /* OUT */
    int16_t status;           /* OUT */
};
typedef struct gnttab_query_size gnttab_query_size_t;
_Static_assert(sizeof(struct gnttab_query_size) == 16, "query_size");

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
