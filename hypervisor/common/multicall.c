/*
 * multicall (multicall_entry_t in public/xen.h): a batch of hypercalls
 * run in order through the same dispatch table, each result written back
 * into its entry. As in Xen 4.17:
 *  - a multicall inside a multicall gets -EINVAL (as that entry's result);
 *  - an iret ends the batch: the entries after it are not run, and the
 *    multicall returns the iret's result (the rax of its frame), so the
 *    guest resumes with the context the iret loaded;
 *  - it is preemptible (hypercall.h): between entries, and when an entry
 *    (a long mmu_update, mmuext_op or grant batch) makes a continuation,
 *    the entry's updated arguments are written back into the guest's list
 *    and the multicall continues itself from that entry.
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
    struct vcpu *v = current;
    unsigned long i, args[6] = { 0 };
    long rc = 0;

    if ( v->in_multicall )
        return -EINVAL;     /* no nesting */
    count = (unsigned int)count;
    if ( !guest_range_ok(list, count * sizeof(multicall_entry_t)) )
        return -EFAULT;
    v->in_multicall = true;
    v->mc_preempted = false;
    for ( i = 0; i < count; i++ )
    {
        vaddr_t ent = list + i * sizeof(multicall_entry_t);
        multicall_entry_t mc;

        if ( i && hypercall_preempt_check() )
            goto preempted;
        if ( copy_from_guest(&mc, ent, sizeof(mc)) )
        {
            rc = -EFAULT;
            break;
        }
        mc.result = hypercall_dispatch(mc.op, mc.args[0], mc.args[1],
                                       mc.args[2], mc.args[3], mc.args[4],
                                       mc.args[5]);
        if ( mc.op == __HYPERVISOR_iret )
        {
            /*
             * The context changed (perhaps to user mode): end here and
             * return the iret's result; writing it back is best effort.
             */
            (void)copy_to_guest(ent + __builtin_offsetof(multicall_entry_t, result),
                                &mc.result, sizeof(mc.result));
            rc = mc.result;
            break;
        }
        if ( copy_to_guest(ent + __builtin_offsetof(multicall_entry_t, result),
                           &mc.result, sizeof(mc.result)) )
        {
            rc = -EFAULT;
            break;
        }
        if ( v->mc_preempted )
        {
            /* The entry continues later with its updated arguments. */
            memcpy(mc.args, v->mc_args,
                   (v->mc_nargs < 6 ? v->mc_nargs : 6) * sizeof(mc.args[0]));
            if ( copy_to_guest(ent, &mc, sizeof(mc)) )
            {
                rc = -EFAULT;
                break;
            }
            goto preempted;
        }
    }
    v->in_multicall = false;
    v->mc_preempted = false;
    return rc;

 preempted:
    v->in_multicall = false;
    v->mc_preempted = false;
    args[0] = list + i * sizeof(multicall_entry_t);
    args[1] = count - i;
    return hypercall_create_continuation(__HYPERVISOR_multicall, 2, args);
}
