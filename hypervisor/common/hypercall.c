/*
 * Top-level hypercall dispatch: one table indexed by hypercall number.
 * A number with no handler returns -ENOSYS and is logged once
 * (XENIA-UNHANDLED, xenia/unhandled.h).
 */
#include <xenia/lib.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/sched.h>
#include <xenia/pv_mm.h>
#include <xenia/pv_traps.h>
#include <xenia/event.h>
#include <xenia/grant_table.h>
#include <xenia/pv_hypercall.h>
#include <public/xen.h>

/* The first n of the six argument registers, in order. */
#define HC_ARGS_0
#define HC_ARGS_1 a[0]
#define HC_ARGS_2 HC_ARGS_1, a[1]
#define HC_ARGS_3 HC_ARGS_2, a[2]
#define HC_ARGS_4 HC_ARGS_3, a[3]
#define HC_ARGS_5 HC_ARGS_4, a[4]
#define HC_ARGS_6 HC_ARGS_5, a[5]

typedef long hypercall_fn_t(const unsigned long a[6]);

/* hc_<name>: calls do_<name> with its nargs registers (hypercall.h). */
#define HYPERCALL_THUNK(name, nargs)                                          \
    static long hc_##name(const unsigned long a[6])                           \
    {                                                                         \
        return do_##name(HC_ARGS_##nargs);                                    \
    }
HYPERCALL_LIST(HYPERCALL_THUNK)

#define HYPERCALL_ENTRY(name, nargs) [__HYPERVISOR_##name] = hc_##name,
static hypercall_fn_t *const hypercall_table[NR_HYPERCALLS] = {
    HYPERCALL_LIST(HYPERCALL_ENTRY)
};

long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2,
                        unsigned long a3, unsigned long a4, unsigned long a5,
                        unsigned long a6)
{
    const unsigned long a[6] = { a1, a2, a3, a4, a5, a6 };

    if ( !current->in_multicall )
        current->hc_work = 0;       /* a fresh entry from the guest */
    if ( nr < NR_HYPERCALLS && hypercall_table[nr] )
        return hypercall_table[nr](a);

    report_unhandled(UNHANDLED_HYPERCALL, NULL, nr,
                     nr >= NR_HYPERCALLS ? "out of range: -ENOSYS"
                                         : "not implemented: -ENOSYS");
    return -ENOSYS;
}

/* ---- Continuations (hypercall.h) ---- */

bool hypercall_preempt_check(void)
{
    struct vcpu *v = current;

    if ( v->hc_work >= HYPERCALL_PREEMPT_WORK )
        return true;
    v->hc_work++;
    return false;
}

long hypercall_create_continuation(unsigned long op, unsigned int nargs,
                                   const unsigned long args[6])
{
    struct vcpu *v = current;

    if ( v->in_multicall )
    {
        /* do_multicall writes these back into the entry and stops there. */
        memcpy(v->mc_args, args, sizeof(v->mc_args));
        v->mc_nargs = nargs;
        v->mc_preempted = true;
    }
    else
        arch_hypercall_continuation(op, nargs, args);
    return op;
}
