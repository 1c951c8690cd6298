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
#include <public/event_channel.h>

#define MAX_POLL_PORTS 128

/*
 * SCHEDOP_poll: return at once if one of the ports is pending or the
 * deadline has passed; otherwise sleep until any event arrives for this
 * vCPU or the deadline (callers re-check, as Linux's spinlocks do).
 */
static long sched_poll(vaddr_t arg)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    sched_poll_t p;
    unsigned int i;

    if ( copy_from_guest(&p, arg, sizeof(p)) )
        return -EFAULT;
    if ( p.nr_ports > MAX_POLL_PORTS )
        return -EINVAL;
    for ( i = 0; i < p.nr_ports; i++ )
    {
        evtchn_port_t port;

        if ( copy_from_guest(&port, (vaddr_t)p.ports.p + i * sizeof(port),
                             sizeof(port)) )
            return -EFAULT;
        if ( port >= EVTCHN_NR_PORTS )
            return -EINVAL;
        if ( (d->shared_info->evtchn_pending[port / 64] >> (port % 64)) & 1 )
            return 0;
    }
    if ( p.timeout && p.timeout <= get_s_time() )
        return 0;
    v->poll_deadline = p.timeout;
    v->polling = true;
    v->blocked = true;
    return 0;
}

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
    case SCHEDOP_poll:
        return sched_poll(arg);
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
