/*
 * vcpu_op, set_timer_op, per-vCPU virtual timers and pvclock time.
 *
 * Time: system time is nanoseconds since boot, from the TSC through the
 * same (mul, shift) scale the guest gets in its vcpu_time_info, so the
 * guest's clock and the hypervisor's agree exactly. Timers are checked on
 * every hypervisor tick (TIMER_HZ), which bounds their resolution.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/hypercall.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/event.h>
#include <xenia/time.h>
#include <xenia/pv_mm.h>
#include <xenia/pv_traps.h>
#include <public/sched.h>
#include <xenia/guest_access.h>
#include <public/xen.h>
#include <public/vcpu.h>

#define MILLISECS(ms) ((uint64_t)(ms) * 1000000UL)

void update_vcpu_system_time(struct vcpu *v)
{
    vcpu_time_info_t *t = &v->vcpu_info->time;
    struct time_scale sc = system_time_scale();
    uint64_t tsc, now;

    now = get_s_time_and_tsc(&tsc);
    t->version++;
    barrier();
    t->tsc_timestamp = tsc;
    t->system_time = now;
    t->tsc_to_system_mul = sc.mul;
    t->tsc_shift = sc.shift;
    t->flags = 0;
    barrier();
    t->version++;
}

static void fire(struct vcpu *v)
{
    send_guest_vcpu_virq(v, VIRQ_TIMER);
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
    return !a || (b && b < a) ? b : a;
}

uint64_t vcpu_timers_tick(void)
{
    uint64_t now = get_s_time(), next = 0;
    unsigned int id, i;

    for ( id = 0; id < MAX_DOMAINS; id++ )
    {
        struct domain *d = domain_in_slot(id);

        if ( !d || d->state != DOMAIN_RUNNING )
            continue;
        for ( i = 0; i < d->max_vcpus; i++ )
        {
            struct vcpu *v = d->vcpu[i];

            if ( v->singleshot_deadline && now >= v->singleshot_deadline )
            {
                v->singleshot_deadline = 0;
                fire(v);
            }
            if ( v->polling && v->poll_deadline && now >= v->poll_deadline )
                vcpu_unblock(v);
            if ( v->periodic_period && now >= v->periodic_next )
            {
                v->periodic_next = now + v->periodic_period;
                fire(v);
            }
            next = earlier(next, v->singleshot_deadline);
            if ( v->polling )
                next = earlier(next, v->poll_deadline);
            if ( v->periodic_period )
                next = earlier(next, v->periodic_next);
        }
    }
    return next;
}

static void set_singleshot(struct vcpu *v, uint64_t deadline)
{
    v->singleshot_deadline = deadline;
    if ( deadline && deadline <= get_s_time() )
    {
        v->singleshot_deadline = 0;
        fire(v);
    }
    else
        timer_deadline(deadline);
}

long do_set_timer_op(uint64_t timeout)
{
    set_singleshot(current, timeout);
    return 0;
}

static long register_vcpu_info(struct vcpu *v, vaddr_t arg)
{
    vcpu_register_vcpu_info_t info;
    vcpu_info_t *new;

    if ( copy_from_guest(&info, arg, sizeof(info)) )
        return -EFAULT;
    /* Xen's order: placement (-ENXIO), then state (-EINVAL). */
    if ( info.offset > PAGE_SIZE - sizeof(vcpu_info_t) || (info.offset & 7) )
        return -ENXIO;
    if ( info.rsvd || v->vcpu_info_registered )
        return -EINVAL;
    if ( v != current && !v->down )
        return -EINVAL;
    if ( get_page_and_type(info.mfn, v->domain, PGT_writable_page) )
        return -EINVAL;
    new = (vcpu_info_t *)((char *)mfn_to_virt(info.mfn) + info.offset);
    memcpy(new, v->vcpu_info, sizeof(*new));
    /* Make sure nothing pending is lost in the move. */
    new->evtchn_upcall_pending = 1;
    new->evtchn_pending_sel = ~0UL;
    v->vcpu_info = new;
    v->vcpu_info_registered = true;
    update_vcpu_system_time(v);
    return 0;
}

static void get_runstate(const struct vcpu *v, vcpu_runstate_info_t *r)
{
    unsigned int i;

    memset(r, 0, sizeof(*r));
    r->state = v->runstate;
    r->state_entry_time = v->runstate_entry_time;
    for ( i = 0; i < 4; i++ )
        r->time[i] = vcpu_runstate_time(v, i);
}

/* Updates v's registered runstate area; v's page tables must be loaded. */
void vcpu_write_runstate(struct vcpu *v)
{
    vcpu_runstate_info_t r;

    if ( !v->runstate_area )
        return;
    get_runstate(v, &r);
    copy_to_guest(v->runstate_area, &r, sizeof(r));
}

/* VCPUOP_initialise: the guest hands a context to one of its down vCPUs. */
static long vcpu_initialise(struct vcpu *v, vaddr_t arg)
{
    struct vcpu_guest_context *c;
    long rc;

    if ( v->initialised )
        return -EEXIST;
    c = alloc_xenheap_pages(1);
    if ( !c )
        return -ENOMEM;
    BUILD_BUG_ON(sizeof(*c) > 2 * PAGE_SIZE);
    if ( copy_from_guest(c, arg, sizeof(*c)) )
        rc = -EFAULT;
    else
    {
        c->flags &= ~VGCF_online;       /* comes up with VCPUOP_up */
        rc = arch_set_info_guest(v, c);
    }
    free_xenheap_pages(c, 1);
    return rc;
}

/* VCPUOP_down of the last vCPU up is a poweroff, as in Xen. */
static long vcpu_down(struct vcpu *v)
{
    struct domain *d = v->domain;
    unsigned int i;

    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] != v && !d->vcpu[i]->down )
            break;
    if ( i == d->max_vcpus )
    {
        domain_shutdown(d, SHUTDOWN_poweroff);
        return 0;
    }
    v->down = true;
    vcpu_update_runnable(v);
    return 0;
}

static long vcpu_up(struct vcpu *v)
{
    if ( !v->initialised )
        return -EINVAL;
    if ( v->down )
    {
        v->down = false;
        vcpu_update_runnable(v);
    }
    return 0;
}

static long register_runstate_area(struct vcpu *v, vaddr_t arg)
{
    vcpu_register_runstate_memory_area_t a;

    if ( copy_from_guest(&a, arg, sizeof(a)) )
        return -EFAULT;
    v->runstate_area = a.addr.p;
    if ( v == current )
        vcpu_write_runstate(v);
    return 0;
}

static long get_runstate_info(const struct vcpu *v, vaddr_t arg)
{
    vcpu_runstate_info_t r;

    get_runstate(v, &r);
    return copy_to_guest(arg, &r, sizeof(r)) ? -EFAULT : 0;
}

static long set_periodic_timer(struct vcpu *v, vaddr_t arg)
{
    vcpu_set_periodic_timer_t p;

    if ( copy_from_guest(&p, arg, sizeof(p)) )
        return -EFAULT;
    if ( p.period_ns < MILLISECS(1) || p.period_ns > (1UL << 62) )
        return -EINVAL;
    v->periodic_period = p.period_ns;
    v->periodic_next = get_s_time() + p.period_ns;
    timer_deadline(v->periodic_next);
    return 0;
}

static long stop_periodic_timer(struct vcpu *v)
{
    v->periodic_period = 0;
    return 0;
}

static long set_singleshot_timer(struct vcpu *v, vaddr_t arg)
{
    vcpu_set_singleshot_timer_t s;

    if ( v != current )
        return -EINVAL;
    if ( copy_from_guest(&s, arg, sizeof(s)) )
        return -EFAULT;
    /*
     * Xen 4.17 ignores VCPU_SSHOTTMR_future: a deadline in the past
     * fires at once and the call succeeds.
     */
    set_singleshot(v, s.timeout_abs_ns);
    return 0;
}

static long stop_singleshot_timer(struct vcpu *v)
{
    if ( v != current )
        return -EINVAL;
    v->singleshot_deadline = 0;
    return 0;
}

long do_vcpu_op(unsigned long cmd, unsigned long vcpuid, vaddr_t arg)
{
    struct domain *d = current->domain;
    struct vcpu *v;

    if ( vcpuid >= d->max_vcpus || !(v = d->vcpu[vcpuid]) )
        return -ENOENT;
    switch ( cmd )
    {
    case VCPUOP_initialise:
        return vcpu_initialise(v, arg);
    case VCPUOP_up:
        return vcpu_up(v);
    case VCPUOP_down:
        return vcpu_down(v);
    case VCPUOP_is_up:
        return !v->down;
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, arg);
    case VCPUOP_register_runstate_memory_area:
        return register_runstate_area(v, arg);
    case VCPUOP_get_runstate_info:
        return get_runstate_info(v, arg);
    case VCPUOP_set_periodic_timer:
        return set_periodic_timer(v, arg);
    case VCPUOP_stop_periodic_timer:
        return stop_periodic_timer(v);
    case VCPUOP_set_singleshot_timer:
        return set_singleshot_timer(v, arg);
    case VCPUOP_stop_singleshot_timer:
        return stop_singleshot_timer(v);
    default:
        report_unhandled(UNHANDLED_SUBOP, "vcpu_op", cmd,
                         "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}
