/*
 * multicall (multicall_entry_t in public/xen.h): a batch of hypercalls
 * run in order through the same dispatch table, each result written back
 * into its entry. No nesting; an iret in the batch ends it.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/sched.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <public/xen.h>

long do_multicall(vaddr_t list, unsigned long count)
{
    bool *in_multicall = &current->in_multicall;
    unsigned long i;

    if ( *in_multicall )
        return -EINVAL;     /* no nesting */
    count = (unsigned int)count;
    if ( !guest_range_ok(list, count * sizeof(multicall_entry_t)) )
        return -EFAULT;
    *in_multicall = true;
    for ( i = 0; i < count; i++ )
    {
        vaddr_t ent = list + i * sizeof(multicall_entry_t);
        multicall_entry_t mc;

        if ( copy_from_guest(&mc, ent, sizeof(mc)) )
        {
            *in_multicall = false;
            return -EFAULT;
        }
        mc.result = hypercall_dispatch(mc.op, mc.args[0], mc.args[1],
                                       mc.args[2], mc.args[3], mc.args[4],
                                       mc.args[5]);
        if ( copy_to_guest(ent + __builtin_offsetof(multicall_entry_t, result),
                           &mc.result, sizeof(mc.result)) )
        {
            *in_multicall = false;
            return -EFAULT;
        }
        if ( mc.op == __HYPERVISOR_iret )
            break;          /* the context changed: stop here */
    }
    *in_multicall = false;
    return 0;
}
