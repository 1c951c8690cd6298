/*
 * memory_op hypercall (__HYPERVISOR_memory_op): memory reservations, the
 * machine-to-phys mapping and memory maps. The low 6 bits of the command
 * select the sub-op; the rest are a continuation start extent.
 */
#ifndef XEN_PUBLIC_MEMORY_H
#define XEN_PUBLIC_MEMORY_H

#include <stdint.h>
#include "xen.h"

#define MEMOP_CMD_MASK          0x3f
#define MEMOP_EXTENT_SHIFT      6

/*
 * XENMEM_increase_reservation / decrease_reservation / populate_physmap:
 * arg = xen_memory_reservation_t. Returns the number of extents done.
 *  increase: allocate nr_extents of 2^extent_order frames; their MFNs are
 *            written to extent_start[] when it is not NULL.
 *  decrease: release the frames listed in extent_start[] (MFNs for PV).
 *  populate: extent_start[] holds PFNs on entry; each is backed with a new
 *            extent, the M2P updated, and the MFN written back (PV).
 */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap     6
struct xen_memory_reservation
{
    uint64_t extent_start;      /* IN/OUT: guest array of xen_pfn_t        */
    uint64_t nr_extents;        /* IN                                      */
    uint32_t extent_order;      /* IN                                      */
    uint32_t mem_flags;         /* IN: address bits in the low 8 bits      */
    domid_t  domid;             /* IN: DOMID_SELF or a domain (privileged) */
};
typedef struct xen_memory_reservation xen_memory_reservation_t;
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "reservation");
_Static_assert(__builtin_offsetof(struct xen_memory_reservation, domid) == 24,
               "reservation.domid");

/* arg = domid_t*: returns the domain's pages / maximum pages. */
#define XENMEM_maximum_ram_page     2
#define XENMEM_current_reservation  3
#define XENMEM_maximum_reservation  4

/* arg = xen_machphys_mapping_t (OUT): where the read-only M2P is. */
#define XENMEM_machphys_mapping     12
struct xen_machphys_mapping
{
    uint64_t v_start, v_end;    /* OUT: the M2P's virtual range            */
    uint64_t max_mfn;           /* OUT: highest MFN it describes           */
};
typedef struct xen_machphys_mapping xen_machphys_mapping_t;
_Static_assert(sizeof(struct xen_machphys_mapping) == 24, "machphys_mapping");

/*
 * XENMEM_memory_map (the caller's pseudo-physical map, -ENOSYS when the
 * toolstack set none) and XENMEM_machine_memory_map (the host's E820,
 * privileged): arg = xen_memory_map_t; nr_entries IN is the buffer's
 * capacity, OUT the number written. Entries are 20-byte E820 records.
 */
#define XENMEM_memory_map           9
#define XENMEM_machine_memory_map   10
struct xen_memory_map
{
    uint32_t nr_entries;        /* IN/OUT                                  */
    uint32_t pad;
    uint64_t buffer;            /* IN: guest array of struct e820entry     */
};
typedef struct xen_memory_map xen_memory_map_t;
_Static_assert(sizeof(struct xen_memory_map) == 16, "memory_map");

struct e820entry
{
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((__packed__));
_Static_assert(sizeof(struct e820entry) == 20, "e820entry");

#define XENMEM_exchange             11

/*
 * XENMEM_add_to_physmap: place a frame of the given space (idx within it)
 * at gpfn of a translated guest. A PV guest is not translated: -EACCES.
 */
#define XENMEM_add_to_physmap       7
#define XENMAPSPACE_shared_info     0
#define XENMAPSPACE_grant_table     1
#define XENMAPSPACE_gmfn            2
#define XENMAPSPACE_gmfn_range      3
#define XENMAPSPACE_gmfn_foreign    4
#define XENMAPSPACE_dev_mmio        5
struct xen_add_to_physmap
{
    domid_t  domid;             /* IN                                      */
    uint16_t size;              /* IN: pages, for XENMAPSPACE_gmfn_range   */
    uint32_t space;             /* IN: XENMAPSPACE_*                       */
    uint64_t idx;               /* IN: index into the space                */
    uint64_t gpfn;              /* IN: where it should appear              */
};
typedef struct xen_add_to_physmap xen_add_to_physmap_t;
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "add_to_physmap");

/*
 * XENMEM_acquire_resource: the frames of a domain's resource (grant
 * table, ioreq server, vmtrace buffer), for the caller to map.  A NULL
 * frame_list asks for the resource's size in nr_frames.
 */
#define XENMEM_acquire_resource     28
#define XENMEM_resource_ioreq_server        0
#define XENMEM_resource_grant_table         1
#define XENMEM_resource_vmtrace_buf         2
#define XENMEM_resource_grant_table_id_shared 0
#define XENMEM_resource_grant_table_id_status 1
struct xen_mem_acquire_resource
{
    domid_t  domid;                /* IN: the resource's owner           */
    uint16_t type;                 /* IN: XENMEM_resource_*              */
    uint32_t id;                   /* IN: type-specific                  */
    uint32_t nr_frames;            /* IN/OUT                             */
    uint32_t pad;                  /* must be 0                          */
    uint64_t frame;                /* IN: first frame                    */
    uint64_t frame_list;           /* IN/OUT: xen_pfn_t[nr_frames]       */
};
typedef struct xen_mem_acquire_resource xen_mem_acquire_resource_t;
_Static_assert(sizeof(struct xen_mem_acquire_resource) == 32,
               "acquire_resource");
_Static_assert(__builtin_offsetof(struct xen_mem_acquire_resource, type) == 2,
               "acquire_resource.type");
_Static_assert(__builtin_offsetof(struct xen_mem_acquire_resource, id) == 4,
               "acquire_resource.id");
_Static_assert(__builtin_offsetof(struct xen_mem_acquire_resource, nr_frames)
               == 8, "acquire_resource.nr_frames");
_Static_assert(__builtin_offsetof(struct xen_mem_acquire_resource, pad)
               == 12, "acquire_resource.pad");
_Static_assert(__builtin_offsetof(struct xen_mem_acquire_resource, frame)
               == 16, "acquire_resource.frame");
_Static_assert(__builtin_offsetof(struct xen_mem_acquire_resource, frame_list)
               == 24, "acquire_resource.frame_list");

#endif /* XEN_PUBLIC_MEMORY_H */
