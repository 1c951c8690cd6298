/*
 * nmi_op hypercall (__HYPERVISOR_nmi_op): where a guest's virtual NMIs go.
 * For 64-bit PV guests the NMI callback is trap-table vector 2.
 */
#ifndef XEN_PUBLIC_NMI_H
#define XEN_PUBLIC_NMI_H

#include <stdint.h>

/* arg = xennmi_callback_t: handler_address must be canonical. */
#define XENNMI_register_callback   0
/* arg ignored. */
#define XENNMI_unregister_callback 1

struct xennmi_callback
{
    uint64_t handler_address;   /* IN */
    uint64_t pad;
};
typedef struct xennmi_callback xennmi_callback_t;
_Static_assert(sizeof(struct xennmi_callback) == 16, "xennmi_callback");

#endif /* XEN_PUBLIC_NMI_H */
