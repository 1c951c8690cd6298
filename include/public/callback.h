/*
 * callback.h: callback_op(cmd, arg) — register guest entry points.
 *
 * CALLBACKOP_register   - arg callback_register_t: set the entry RIP of a
 *                         callback type.  The address must be canonical.
 * CALLBACKOP_unregister - arg callback_unregister_t: only some types
 *                         (e.g. nmi) can be removed; others give -EINVAL.
 */
#ifndef XEN_PUBLIC_CALLBACK_H
#define XEN_PUBLIC_CALLBACK_H

#include <stdint.h>
#include "xen.h"

#define CALLBACKTYPE_event               0  /* event upcall                  */
#define CALLBACKTYPE_failsafe            1  /* bad segment on return         */
#define CALLBACKTYPE_syscall             2  /* 64-bit syscall from user mode */
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi                 4  /* NMI                           */
#define CALLBACKTYPE_sysenter            5  /* sysenter from 32-bit user     */
/* 6 is unused. */
#define CALLBACKTYPE_syscall32           7  /* syscall from 32-bit user      */

/* Mask events on entry (always implied for the event callback). */
#define _CALLBACKF_mask_events 0
#define CALLBACKF_mask_events  (1U << _CALLBACKF_mask_events)

#define CALLBACKOP_register   0
struct callback_register
{
    uint16_t type;            /* IN: CALLBACKTYPE_* */
    uint16_t flags;           /* IN: CALLBACKF_*    */
    xen_callback_t address;   /* IN: entry RIP      */
};
typedef struct callback_register callback_register_t;
_Static_assert(sizeof(struct callback_register) == 16, "callback_register");
_Static_assert(__builtin_offsetof(struct callback_register, address) == 8,
               "callback_register.address");

#define CALLBACKOP_unregister 1
struct callback_unregister
{
    uint16_t type;            /* IN: CALLBACKTYPE_* */
    uint16_t _unused;
};
typedef struct callback_unregister callback_unregister_t;
_Static_assert(sizeof(struct callback_unregister) == 4, "callback_unreg");

#endif /* XEN_PUBLIC_CALLBACK_H */
