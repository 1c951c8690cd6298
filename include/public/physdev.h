/*
 * physdev_op hypercall (__HYPERVISOR_physdev_op): I/O privilege and, for
 * the hardware domain, interrupt and PCI plumbing.
 */
#ifndef XEN_PUBLIC_PHYSDEV_H
#define XEN_PUBLIC_PHYSDEV_H

#include <stdint.h>

/* arg = physdev_set_iopl_t: the virtual IOPL (0-3) for I/O emulation. */
#define PHYSDEVOP_set_iopl          6
struct physdev_set_iopl
{
    uint32_t iopl;              /* IN */
};
typedef struct physdev_set_iopl physdev_set_iopl_t;
_Static_assert(sizeof(struct physdev_set_iopl) == 4, "set_iopl");

/* arg = physdev_set_iobitmap_t: a per-process I/O permission bitmap. */
#define PHYSDEVOP_set_iobitmap      7
struct physdev_set_iobitmap
{
    uint64_t bitmap;            /* IN: guest address of the bitmap         */
    uint32_t nr_ports;          /* IN                                      */
};
typedef struct physdev_set_iobitmap physdev_set_iobitmap_t;
_Static_assert(sizeof(struct physdev_set_iobitmap) == 16, "set_iobitmap");

#define PHYSDEVOP_irq_status_query  5
#define PHYSDEVOP_eoi               12
#define PHYSDEVOP_map_pirq          13
#define PHYSDEVOP_unmap_pirq        14
#define PHYSDEVOP_setup_gsi         21
#define PHYSDEVOP_pirq_eoi_gmfn_v2  28

#endif /* XEN_PUBLIC_PHYSDEV_H */
