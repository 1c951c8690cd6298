/*
 * Scheduling of vCPUs onto CPUs, and sched_op.
 *
 * Each CPU runs the vCPU in its cpu_info (current) or idles (current ==
 * NULL). Scheduling happens only on the exit path (guest_exit_work): a
 * hypercall that blocks just marks the vCPU, and the exit path switches
 * to another vCPU or idles. So there is no hypervisor context to save:
 * a context switch copies the guest frame and swaps the arch state
 * (arch/x86/domain.c). An idle CPU sits in the same exit path, halted,
 * until an interrupt or an IPI gives it work.
 *
 * A vCPU is runnable when it has a context, is up, is not blocked, and its
 * domain runs and is not paused (vcpu_runnable). Every change to those
 * flags calls vcpu_update_runnable(), which tells the policy (wake/sleep)
 * and kicks the CPU that must reschedule.
 *
 * Locking: everything here runs under the hypervisor lock, which each
 * CPU holds from its entry from a guest until the IRET back (see
 * hv_lock below and docs/smp.md). The timer interrupt only raises a
 * per-CPU flag; the tick work runs on the exit path under the lock.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/processor.h>
#include <xenia/console.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include <xenia/spinlock.h>
#include <xenia/time.h>
#include <public/sched.h>
#include <public/vcpu.h>
#include <public/event_channel.h>

#define MAX_POLL_PORTS      128
#define DEFAULT_SLICE_NS    10000000UL      /* 10 ms */

/* ---- The hypervisor lock ---- */

static spinlock_t hv_big_lock = SPIN_LOCK_UNLOCKED;
static volatile int hv_owner = -1;

void hv_lock(void)
{
    uint16_t me = __atomic_fetch_add(&hv_big_lock.tail, 1, __ATOMIC_ACQUIRE);

    ASSERT(hv_owner != (int)smp_processor_id());
    /* A CPU holding the lock may wait for our part of a TLB flush. */
    while ( __atomic_load_n(&hv_big_lock.head, __ATOMIC_ACQUIRE) != me )
    {
        smp_service_pending_flush();
        cpu_relax();
    }
    hv_owner = smp_processor_id();
}

void hv_unlock(void)
{
    ASSERT(hv_owner == (int)smp_processor_id());
    hv_owner = -1;
    spin_unlock(&hv_big_lock);
}

bool hv_lock_held(void)
{
    return hv_owner == (int)smp_processor_id();
}

/* ---- Per-CPU state ---- */

struct pcpu {
    volatile bool resched;      /* schedule() before returning to a guest */
    volatile bool tick;         /* a timer tick is pending */
    uint64_t slice_end;
};
static struct pcpu pcpu[NR_CPUS];

void raise_sched_softirq(unsigned int cpu)
{
    pcpu[cpu].resched = true;
    if ( cpu != smp_processor_id() )
        smp_send_event_check(cpu);
}

void timer_softirq_raise(void)
{
    pcpu[smp_processor_id()].tick = true;
}

/* ---- Runstate accounting ---- */

static void set_runstate(struct vcpu *v, int state, uint64_t now)
{
    if ( now > v->runstate_entry_time )
        v->runstate_time[v->runstate] += now - v->runstate_entry_time;
    v->runstate = state;
    v->runstate_entry_time = now;
}

uint64_t vcpu_runstate_time(const struct vcpu *v, int state)
{
    uint64_t t = v->runstate_time[state];

    if ( v->runstate == state )
        t += get_s_time() - v->runstate_entry_time;
    return t;
}

static int idle_runstate(const struct vcpu *v)
{
    if ( v->runnable )
        return RUNSTATE_runnable;
    return v->blocked && !v->down && v->domain->state == DOMAIN_RUNNING &&
           !v->domain->pause_count ? RUNSTATE_blocked : RUNSTATE_offline;
}

/* ---- Policy: the credit scheduler (common/sched_credit.c) ---- */

static struct sched_state csched;

static void kick_tickled(void)
{
    uint64_t mask = csched_take_tickles(&csched);
    unsigned int cpu;

    for ( cpu = 0; mask; cpu++, mask >>= 1 )
        if ( mask & 1 )
            raise_sched_softirq(cpu);
}

static void policy_wake(struct vcpu *v)
{
    csched_wake(&csched, &v->sched, get_s_time());
    kick_tickled();
}

static void policy_sleep(struct vcpu *v)
{
    csched_sleep(&csched, &v->sched, get_s_time());
    if ( v->is_running )
        raise_sched_softirq(v->processor);
    kick_tickled();
}

/* This CPU reschedules; returns what runs next (maybe NULL: idle). */
static struct vcpu *policy_pick(uint64_t now, uint64_t *slice)
{
    struct sched_unit *u = csched_pick(&csched, smp_processor_id(), now,
                                       slice);

    kick_tickled();
    return u ? u->owner : NULL;
}

void sched_add_domain(struct domain *d)
{
    csched_dom_init(&csched, &d->sched, 0, 0);
}

void sched_remove_domain(struct domain *d)
{
    csched_dom_remove(&csched, &d->sched, get_s_time());
    kick_tickled();
}

int sched_set_params(struct domain *d, unsigned int weight, unsigned int cap)
{
    int rc = csched_dom_set(&csched, &d->sched, weight, cap);

    kick_tickled();
    return rc;
}

/* ---- Wake and sleep ---- */

bool vcpu_runnable(const struct vcpu *v)
{
    const struct domain *d = v->domain;

    return v->initialised && !v->down && !v->blocked &&
           d->state == DOMAIN_RUNNING && !d->pause_count;
}

void vcpu_update_runnable(struct vcpu *v)
{
    bool r = vcpu_runnable(v);

    ASSERT(hv_lock_held());
    if ( r == v->runnable )
    {
        /* Still not runnable, maybe for another reason (blocked -> down). */
        if ( !v->is_running && idle_runstate(v) != v->runstate )
            set_runstate(v, idle_runstate(v), get_s_time());
        return;
    }
    v->runnable = r;
    if ( !v->is_running )
        set_runstate(v, idle_runstate(v), get_s_time());
    if ( r )
        policy_wake(v);
    else
        policy_sleep(v);
}

void vcpu_unblock(struct vcpu *v)
{
    if ( !v->blocked )
        return;
    v->blocked = v->polling = false;
    vcpu_update_runnable(v);
}

void vcpu_sleep_sync(struct vcpu *v)
{
    ASSERT(!v->runnable && v != current);
    while ( v->is_running )
    {
        hv_unlock();
        cpu_relax();
        hv_lock();
    }
}

void domain_pause(struct domain *d)
{
    unsigned int i;

    d->pause_count++;
    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] )
            vcpu_update_runnable(d->vcpu[i]);
    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] && d->vcpu[i] != current )
            vcpu_sleep_sync(d->vcpu[i]);
}

void domain_unpause(struct domain *d)
{
    unsigned int i;

    ASSERT(d->pause_count);
    d->pause_count--;
    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] )
            vcpu_update_runnable(d->vcpu[i]);
}

void sched_add_vcpu(struct vcpu *v)
{
    csched_unit_init(&csched, &v->sched, &v->domain->sched, v);
    v->runstate = RUNSTATE_offline;
    v->runstate_entry_time = get_s_time();
    vcpu_update_runnable(v);
}

void sched_remove_vcpu(struct vcpu *v)
{
    ASSERT(!v->is_running);
    csched_unit_remove(&csched, &v->sched, get_s_time());
    v->runnable = false;
    kick_tickled();
}

/* ---- The switch ---- */

static void context_switch(struct vcpu *prev, struct vcpu *next, uint64_t now)
{
    struct cpu_info *ci = get_cpu_info();
    unsigned int cpu = smp_processor_id();

    if ( prev )
    {
        prev->regs = ci->guest_regs;
        arch_save_vcpu(prev);
        __atomic_fetch_and(&prev->domain->dirty_cpumask, ~(1UL << cpu),
                           __ATOMIC_RELEASE);
        set_runstate(prev, idle_runstate(prev), now);
        prev->is_running = false;
    }
    ci->curr_vcpu = next;
    if ( !next )
    {
        arch_load_idle();
        __atomic_fetch_and(&guest_loaded_cpumask, ~(1UL << cpu),
                           __ATOMIC_RELEASE);
        return;
    }
    __atomic_fetch_or(&guest_loaded_cpumask, 1UL << cpu, __ATOMIC_ACQUIRE);
    next->is_running = true;
    next->processor = cpu;
    set_runstate(next, RUNSTATE_running, now);
    __atomic_fetch_or(&next->domain->dirty_cpumask, 1UL << cpu,
                      __ATOMIC_ACQUIRE);
    ci->guest_regs = next->regs;
    arch_load_vcpu(next);
    update_vcpu_system_time(next);
    vcpu_write_runstate(next);
}

static void schedule(void)
{
    struct vcpu *prev = current, *next;
    uint64_t now = get_s_time(), slice;

    pcpu[smp_processor_id()].resched = false;
    next = policy_pick(now, &slice);
    pcpu[smp_processor_id()].slice_end =
        slice > UINT64_MAX - now ? UINT64_MAX : now + slice;
    if ( next != prev )
        context_switch(prev, next, now);
}

void sched_tick(void)
{
    static uint64_t next_console_poll;
    struct pcpu *p = &pcpu[smp_processor_id()];
    uint64_t now;

    p->tick = false;
    /* Every CPU's timer interrupts serve the guests' timers. */
    timer_deadline(vcpu_timers_tick());
    now = get_s_time();
    /* Console input at 100 Hz, not at every guest-deadline interrupt. */
    if ( smp_processor_id() == 0 && now >= next_console_poll )
    {
        next_console_poll = now + 10000000ULL;
        console_poll_input();
    }
    if ( now >= p->slice_end )
        p->resched = true;
}

/*
 * The exit path's scheduling part: called with interrupts off, returns
 * with the lock held and a runnable current vCPU, idling until there is
 * one.
 */
void sched_exit_work(void)
{
    struct pcpu *p = &pcpu[smp_processor_id()];

    if ( !hv_lock_held() )
        hv_lock();
    for ( ;; )
    {
        if ( p->tick )
            sched_tick();
        if ( p->resched || !current || !current->runnable )
            schedule();
        if ( current )
            return;
        hv_unlock();
        safe_halt();
        local_irq_disable();
        hv_lock();
    }
}

/* After smp_boot_cpus: the scheduler covers the CPUs online. */
void sched_init(void)
{
    unsigned int cpu;

    csched_init(&csched, nr_cpus_online);
    for ( cpu = 0; cpu < NR_CPUS; cpu++ )
        pcpu[cpu].resched = true;
}

void __noreturn idle_loop(void)
{
    struct cpu_info *ci = get_cpu_info();

    ci->curr_vcpu = NULL;
    pcpu[smp_processor_id()].resched = true;
    reset_stack_and_enter_guest(&ci->guest_regs);
}

/* ---- sched_op ---- */

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
    int rc;

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
        if ( (rc = evtchn_poll_pending(d, port)) != 0 )
            return rc < 0 ? rc : 0;
    }
    if ( p.timeout && p.timeout <= get_s_time() )
        return 0;
    v->poll_deadline = p.timeout;
    timer_deadline(p.timeout);
    v->polling = true;
    v->blocked = true;
    vcpu_update_runnable(v);
    return 0;
}

static long sched_yield(void)
{
    csched_yield(&csched, &current->sched, get_s_time());
    pcpu[smp_processor_id()].resched = true;
    return 0;
}

/* Blocking implies enabling events; a pending one returns at once. */
static long sched_block(void)
{
    struct vcpu *v = current;

    v->vcpu_info->evtchn_upcall_mask = 0;
    if ( !v->vcpu_info->evtchn_upcall_pending )
    {
        v->blocked = true;
        vcpu_update_runnable(v);
    }
    return 0;
}

/* A guest reporting its own crash: log where, and the top of its stack. */
static void log_guest_crash(void)
{
    unsigned long st[24] = { 0 };
    unsigned int i;

    copy_from_guest(st, guest_regs()->rsp, sizeof(st));
    printk(XENLOG_INFO "d%uv%u reports a crash (rip %#lx)\n",
           current->domain->domain_id, current->vcpu_id, guest_regs()->rip);
    for ( i = 0; i < 24; i += 4 )
        printk(XENLOG_DEBUG "  %016lx %016lx %016lx %016lx\n",
               st[i], st[i + 1], st[i + 2], st[i + 3]);
}

static long sched_shutdown(vaddr_t arg)
{
    struct sched_shutdown s;

    if ( copy_from_guest(&s, arg, sizeof(s)) )
        return -EFAULT;
    if ( s.reason == SHUTDOWN_crash )
        log_guest_crash();
    domain_shutdown(current->domain, s.reason);
    return 0;
}

static long sched_remote_shutdown(vaddr_t arg)
{
    struct sched_remote_shutdown r;
    struct domain *d;

    if ( copy_from_guest(&r, arg, sizeof(r)) )
        return -EFAULT;
    if ( !(d = domain_by_id(r.domain_id)) )
        return -ESRCH;
    if ( !current->domain->is_privileged )
        return -EPERM;
    if ( d == current->domain )
        return -EINVAL;
    domain_shutdown(d, r.reason);
    return 0;
}

long do_sched_op(unsigned long cmd, vaddr_t arg)
{
    cmd = (unsigned int)cmd;            /* an int in Xen's prototype */
    switch ( cmd )
    {
    case SCHEDOP_yield:
        return sched_yield();
    case SCHEDOP_block:
        return sched_block();
    case SCHEDOP_poll:
        return sched_poll(arg);
    case SCHEDOP_shutdown:
        return sched_shutdown(arg);
    case SCHEDOP_remote_shutdown:
        return sched_remote_shutdown(arg);
    default:
        report_unhandled(UNHANDLED_SUBOP, "sched_op", cmd,
                         "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}
