/*
 * xtcons.h: the PV console ring of a domU, as the test kernels see it.
 *
 * The page at start_info->console.domU.mfn holds two byte rings: 'in'
 * (backend -> guest) and 'out' (guest -> backend), each with free-running
 * 32-bit producer/consumer indexes; a ring index is masked with the ring
 * size.  Whoever produces notifies the event channel
 * start_info->console.domU.evtchn.  Layout: Xen's io/console.h.
 */
#ifndef XTEST_XTCONS_H
#define XTEST_XTCONS_H

#include <stdint.h>

#define XT_CONS_IN_SIZE  1024
#define XT_CONS_OUT_SIZE 2048

struct xt_cons_ring
{
    char in[XT_CONS_IN_SIZE];
    char out[XT_CONS_OUT_SIZE];
    uint32_t in_cons, in_prod;     /* guest consumes, backend produces  */
    uint32_t out_cons, out_prod;   /* backend consumes, guest produces  */
};
_Static_assert(__builtin_offsetof(struct xt_cons_ring, out) == 1024, "out");
_Static_assert(__builtin_offsetof(struct xt_cons_ring, in_cons) == 3072,
               "in_cons");
_Static_assert(__builtin_offsetof(struct xt_cons_ring, out_cons) == 3080,
               "out_cons");
_Static_assert(sizeof(struct xt_cons_ring) == 3088, "xencons_interface");

#define XT_CONS_OUT_IDX(i) ((i) & (XT_CONS_OUT_SIZE - 1))

#endif /* XTEST_XTCONS_H */
