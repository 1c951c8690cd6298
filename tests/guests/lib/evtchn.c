/*
 * evtchn.c: shared_info, pvclock time and 2-level event channels of the
 * test kernels.
 *
 * shared_info is mapped by machine address over the first page of the
 * pool.  The event callback (entry.S) arrives with events masked; the
 * upcall clears evtchn_upcall_pending, takes the selector with xchg, and
 * for every pending, unmasked port clears its pending bit and calls the
 * port's handler, looping while new events arrive.  Returning through
 * iret restores the upcall mask from the frame's IF.
 */
#include "xtpv.h"
#include "smp.h"

struct shared_info *xt_shared_info;

#define NR_PORTS 1024
static xt_port_handler_t handlers[NR_PORTS];
static struct vcpu_info boot_vcpu_info = { .evtchn_upcall_mask = 1 };

struct vcpu_info *xt_vcpu_info(void)
{
    struct vcpu_info *vi = xt_smp_vcpu_info();   /* per VCPU once SMP */

    if ( vi )
        return vi;
    return xt_shared_info ? &xt_shared_info->vcpu_info[0] : &boot_vcpu_info;
}

/* For smp.c's upcall: the handler of a port, and setting it. */
void xt_set_port_handler(unsigned int port, xt_port_handler_t h)
{
    if ( port < NR_PORTS )
        handlers[port] = h;
}

bool xt_port_dispatch(unsigned int port, struct xt_regs *regs)
{
    if ( port >= NR_PORTS || !handlers[port] )
        return false;
    handlers[port](port, regs);
    return true;
}

static bool upcall(struct xt_regs *regs)
{
    struct vcpu_info *vi = xt_vcpu_info();
    struct shared_info *s = xt_shared_info;

    while ( ACCESS_ONCE(vi->evtchn_upcall_pending) )
    {
        unsigned long sel;

        vi->evtchn_upcall_pending = 0;
        sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0,
                                  __ATOMIC_SEQ_CST);
        while ( sel )
        {
            unsigned int w = __builtin_ctzl(sel);
            unsigned long pend;

            sel &= sel - 1;
            pend = s->evtchn_pending[w] & ~s->evtchn_mask[w];
            while ( pend )
            {
                unsigned int b = __builtin_ctzl(pend);
                unsigned int port = w * 64 + b;

                pend &= pend - 1;
                __atomic_fetch_and(&s->evtchn_pending[w], ~(1UL << b),
                                   __ATOMIC_SEQ_CST);
                if ( port < NR_PORTS && handlers[port] )
                    handlers[port](port, regs);
                else
                    printf("xtest: event on unhandled port %u\n", port);
            }
        }
    }
    return true;
}

void xt_events_init(void)
{
    void *va;
    long rc;

    if ( xt_shared_info )
        return;
    xt_mm_init();
    va = xt_alloc_page();
    rc = xt_set_pte((unsigned long)va,
                    xt_start_info->shared_info | _PAGE_PRESENT | _PAGE_RW |
                    _PAGE_ACCESSED | _PAGE_DIRTY, UVMF_INVLPG);
    if ( rc )
    {
        xt_error("mapping shared_info: %ld", rc);
        return;
    }
    xt_shared_info = va;
    xt_event_hook = upcall;
}

uint64_t xt_system_time(void)
{
    volatile struct vcpu_time_info *t = &xt_vcpu_info()->time;
    uint32_t version, mul;
    uint64_t stamp, sys, delta;
    int8_t shift;

    /*
     * The TSC is read inside the version loop: a VCPU moved to another
     * CPU between the two gets a new version (and the other CPU's TSC).
     */
    do {
        version = t->version;
        barrier();
        stamp = t->tsc_timestamp;
        sys = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        delta = rdtsc() - stamp;
        barrier();
    } while ( (version & 1) || version != t->version );

    if ( shift < 0 )
        delta >>= -shift;
    else
        delta <<= shift;
    return sys + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t xt_tsc_khz(void)
{
    volatile struct vcpu_time_info *t = &xt_vcpu_info()->time;
    uint64_t khz = (1000000ULL << 32) / t->tsc_to_system_mul;

    if ( t->tsc_shift < 0 )
        khz <<= -t->tsc_shift;
    else
        khz >>= t->tsc_shift;
    return khz;
}

void xt_unmask_port(unsigned int port)
{
    struct evtchn_unmask un = { .port = port };

    __atomic_fetch_and(&xt_shared_info->evtchn_mask[port / 64],
                       ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
    if ( xt_shared_info->evtchn_pending[port / 64] & (1UL << (port % 64)) )
        HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &un);
}

int xt_bind_virq(unsigned int virq, xt_port_handler_t h)
{
    struct evtchn_bind_virq bv = { .virq = virq, .vcpu = 0 };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);

    if ( rc )
        return rc;
    if ( bv.port >= NR_PORTS )
        return -XEN_ENOSPC;
    handlers[bv.port] = h;
    xt_unmask_port(bv.port);
    return bv.port;
}

void xt_unbind(unsigned int port)
{
    struct evtchn_close cl = { .port = port };

    HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl);
    if ( port < NR_PORTS )
        handlers[port] = NULL;
}

void xt_events_enable(void)
{
    struct vcpu_info *vi = xt_vcpu_info();

    barrier();
    vi->evtchn_upcall_mask = 0;
    barrier();
    if ( ACCESS_ONCE(vi->evtchn_upcall_pending) )
        HYPERVISOR_xen_version(0, NULL);   /* any hypercall delivers */
}

void xt_events_disable(void)
{
    xt_vcpu_info()->evtchn_upcall_mask = 1;
    barrier();
}

/* ---- Preemption checks (xtpv.h) ---- */

volatile unsigned int xt_ticks;
volatile unsigned long xt_tick_rip;

void xt_first_tick(unsigned int port, struct xt_regs *regs)
{
    (void)port;
    if ( xt_ticks++ == 0 )
        xt_tick_rip = regs->rip;
}

bool xt_rip_at_syscall(unsigned long rip)
{
    const uint8_t *p = (const uint8_t *)rip;

    return rip && p[0] == 0x0f && p[1] == 0x05;
}
