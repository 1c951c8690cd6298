/*
 * smp.c: secondary VCPUs of the test kernels (see smp.h).
 *
 * Bring-up follows the PV contract of VCPUOP_initialise: the new VCPU
 * starts in guest kernel mode at user_regs.rip with the registers, trap
 * table, callbacks, stacks, page tables and segment bases of the context,
 * events masked by its vcpu_info.  Here it enters secondary_entry() with
 * %rdi = its struct xt_cpu, reports itself online and idles in
 * secondary_loop() with events enabled.
 *
 * Posted calls: VCPU 0 writes call_fn/call_arg, then bumps call_seq; the
 * secondary runs the call and copies call_seq to done_seq.  A fault
 * nobody expected during a call jumps back to the loop through idle_jb
 * with fault_vector set.
 *
 * Events: one vcpu_info per VCPU in vcpu_info_page; port_cpu[] says which
 * VCPU a port notifies.  The upcall walks the selector of the VCPU it
 * runs on and handles only that VCPU's ports, leaving the others pending
 * for their own VCPU (a 2-level selector word is shared by 64 ports).
 */
#include "smp.h"

#define NR_2L_PORTS 4096
#define RELAX_SPINS 2000

_Static_assert(XT_MAX_CPUS <= XEN_LEGACY_MAX_VCPUS, "vcpu_info slots");

struct xt_cpu xt_cpus[XT_MAX_CPUS];
unsigned int xt_nr_cpus = 1;

static bool smp_ready;
static uint8_t port_cpu[NR_2L_PORTS];

static struct vcpu_info vcpu_info_page[PAGE_SIZE / sizeof(struct vcpu_info)]
    __attribute__((aligned(PAGE_SIZE)));
static uint8_t cpu_stacks[XT_MAX_CPUS - 1][XT_STACK_SIZE]
    __attribute__((aligned(PAGE_SIZE)));
static uint8_t cpu_kstacks[XT_MAX_CPUS - 1][PAGE_SIZE]
    __attribute__((aligned(PAGE_SIZE)));

/* ------------------------------------------------------------------ */
/* Identity.                                                           */

static unsigned int id_in(unsigned long sp, unsigned long base,
                          unsigned long size, unsigned int nr)
{
    if ( sp - base >= size * nr )
        return 0;
    return (sp - base) / size + 1;
}

unsigned int xt_smp_id(void)
{
    unsigned long sp;
    unsigned int id;

    asm volatile ( "mov %%rsp, %0" : "=r" (sp) );
    id = id_in(sp, (unsigned long)cpu_stacks, XT_STACK_SIZE,
               XT_MAX_CPUS - 1);
    if ( !id )
        id = id_in(sp, (unsigned long)cpu_kstacks, PAGE_SIZE,
                   XT_MAX_CPUS - 1);
    return id;
}

struct xt_cpu *xt_this_cpu(void)
{
    return &xt_cpus[xt_smp_id()];
}

bool xt_smp_ready(void)
{
    return smp_ready;
}

struct vcpu_info *xt_smp_vcpu_info(void)
{
    return smp_ready ? xt_cpus[xt_smp_id()].vi : NULL;
}

/* ------------------------------------------------------------------ */
/* VCPUOP wrappers.                                                    */

long xt_vcpu_initialise(unsigned int cpu, struct vcpu_guest_context *ctxt)
{
    return HYPERVISOR_vcpu_op(VCPUOP_initialise, cpu, ctxt);
}

long xt_vcpu_up(unsigned int cpu)
{
    return HYPERVISOR_vcpu_op(VCPUOP_up, cpu, NULL);
}

long xt_vcpu_down(unsigned int cpu)
{
    return HYPERVISOR_vcpu_op(VCPUOP_down, cpu, NULL);
}

long xt_vcpu_is_up(unsigned int cpu)
{
    return HYPERVISOR_vcpu_op(VCPUOP_is_up, cpu, NULL);
}

long xt_register_vcpu_info(unsigned int cpu, uint64_t mfn,
                           unsigned int offset)
{
    struct vcpu_register_vcpu_info info = { .mfn = mfn, .offset = offset };

    return HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, cpu, &info);
}

/* ------------------------------------------------------------------ */
/* Waiting.                                                            */

void xt_smp_relax(unsigned long n)
{
    struct sched_poll poll = { .nr_ports = 0 };

    if ( n < RELAX_SPINS )
    {
        asm volatile ( "pause" ::: "memory" );
        return;
    }
    poll.timeout = xt_system_time() + XT_MS(1);
    HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
}

/* ------------------------------------------------------------------ */
/* Events.                                                             */

static bool smp_upcall(struct xt_regs *regs)
{
    unsigned int me = xt_smp_id();
    struct vcpu_info *vi = xt_cpus[me].vi;
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
            pend = ACCESS_ONCE(s->evtchn_pending[w]) &
                   ~ACCESS_ONCE(s->evtchn_mask[w]);
            while ( pend )
            {
                unsigned int b = __builtin_ctzl(pend);
                unsigned int port = w * 64 + b;

                pend &= pend - 1;
                if ( port_cpu[port] != me )
                    continue;
                if ( !(__atomic_fetch_and(&s->evtchn_pending[w],
                                          ~(1UL << b), __ATOMIC_SEQ_CST) &
                       (1UL << b)) )
                    continue;
                if ( xt_port_dispatch(port, regs) )
                    continue;
                xt_cpus[me].unhandled++;
                if ( !me )      /* printf is VCPU 0's */
                    printf("xtest: event on unhandled port %u\n", port);
            }
        }
    }
    return true;
}

void xt_smp_mask(unsigned int port)
{
    __atomic_fetch_or(&xt_shared_info->evtchn_mask[port / 64],
                      1UL << (port % 64), __ATOMIC_SEQ_CST);
}

void xt_smp_unmask(unsigned int port)
{
    struct evtchn_unmask un = { .port = port };

    xt_smp_mask(port);
    HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &un);
}

void xt_smp_set_port(unsigned int port, unsigned int cpu,
                     xt_port_handler_t h)
{
    if ( port >= NR_2L_PORTS || cpu >= XT_MAX_CPUS )
        return;
    xt_smp_mask(port);
    port_cpu[port] = cpu;
    xt_set_port_handler(port, h);
    xt_smp_unmask(port);
}

int xt_smp_bind_virq(unsigned int virq, unsigned int cpu,
                     xt_port_handler_t h)
{
    struct evtchn_bind_virq bv = { .virq = virq, .vcpu = cpu };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);

    if ( rc )
        return rc;
    xt_smp_set_port(bv.port, cpu, h);
    return bv.port;
}

int xt_smp_bind_ipi(unsigned int cpu, xt_port_handler_t h)
{
    struct evtchn_bind_ipi bi = { .vcpu = cpu };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi);

    if ( rc )
        return rc;
    xt_smp_set_port(bi.port, cpu, h);
    return bi.port;
}

long xt_smp_bind_vcpu(unsigned int port, unsigned int cpu)
{
    struct evtchn_bind_vcpu bv = { .port = port, .vcpu = cpu };
    long rc;

    if ( port >= NR_2L_PORTS )
        return HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv);
    xt_smp_mask(port);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv);
    if ( !rc && cpu < XT_MAX_CPUS )
        port_cpu[port] = cpu;
    xt_smp_unmask(port);
    return rc;
}

void xt_smp_unbind(unsigned int port)
{
    xt_unbind(port);
    if ( port < NR_2L_PORTS )
        port_cpu[port] = 0;
}

long xt_evtchn_status(unsigned int port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->dom = DOMID_SELF;
    st->port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

long xt_evtchn_send(unsigned int port)
{
    struct evtchn_send s = { .port = port };

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* ------------------------------------------------------------------ */
/* The secondaries.                                                    */

static void __attribute__((noreturn)) secondary_loop(struct xt_cpu *c)
{
    if ( xt_setjmp(&c->idle_jb) )
        /* The posted call faulted: it is over. */
        __atomic_store_n(&c->done_seq, c->call_seq, __ATOMIC_RELEASE);

    xt_events_enable();
    for ( ;; )
    {
        unsigned long seq = __atomic_load_n(&c->call_seq, __ATOMIC_ACQUIRE);
        unsigned long n = 0;

        if ( seq != c->done_seq )
        {
            c->call_fn(c->call_arg);
            xt_events_enable();
            __atomic_store_n(&c->done_seq, seq, __ATOMIC_RELEASE);
            continue;
        }
        while ( __atomic_load_n(&c->call_seq, __ATOMIC_ACQUIRE) ==
                c->done_seq )
            xt_smp_relax(n++);
    }
}

/* VCPUOP_initialise's entry point: %rdi = &xt_cpus[id]. */
static void __attribute__((noreturn, used)) secondary_entry(struct xt_cpu *c)
{
    unsigned long gs = 0;

    /* The context's GS base kernel should be live; a bad one faults. */
    xt_fault_clear();
    asm volatile ( "1: mov %%gs:0, %0; 2:\n\t"
                   XT_EXTABLE(1b, 2b)
                   : "+r" (gs) :: "memory" );
    c->gs_self = gs;
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    secondary_loop(c);
}

void xt_smp_secondary_fault(struct xt_regs *regs)
{
    struct xt_cpu *c = xt_this_cpu();

    if ( !c->id )
        return;
    c->fault_rip = regs->rip;
    c->fault_vector = regs->vector;
    if ( !c->idle_jb.rip )          /* not in its loop yet: park it */
        for ( ;; )
            xt_vcpu_down(c->id);
    xt_longjmp(&c->idle_jb, 1);
}

void xt_smp_context(unsigned int cpu, struct vcpu_guest_context *ctxt)
{
    struct xt_cpu *c = &xt_cpus[cpu % XT_MAX_CPUS];
    struct cpu_user_regs *r = &ctxt->user_regs;

    memset(ctxt, 0, sizeof(*ctxt));
    ctxt->flags = VGCF_in_kernel | VGCF_failsafe_disables_events |
                  VGCF_syscall_disables_events;
    r->rip = (unsigned long)secondary_entry;
    r->rsp = c->stack_top - 8;          /* as after a call */
    r->rdi = (unsigned long)c;
    r->cs = FLAT_KERNEL_CS;
    r->ss = FLAT_KERNEL_SS;
    r->rflags = X86_EFLAGS_IF | 0x2;
    xt_trap_table_fill(ctxt->trap_ctxt, 32);
    ctxt->gdt_ents = 0;
    ctxt->kernel_ss = FLAT_KERNEL_SS;
    ctxt->kernel_sp = c->kstack_top;
    ctxt->ctrlreg[3] = xen_pfn_to_cr3(xt_virt_to_mfn(xt_cur_l4));
    if ( xt_user_l4_mfn )
        ctxt->ctrlreg[1] = xen_pfn_to_cr3(xt_user_l4_mfn);
    ctxt->event_callback_eip = (unsigned long)xt_event_entry;
    ctxt->failsafe_callback_eip = (unsigned long)xt_failsafe_entry;
    ctxt->syscall_callback_eip = (unsigned long)xt_syscall_entry;
    ctxt->gs_base_kernel = (unsigned long)c;
}

bool xt_smp_online(unsigned int cpu)
{
    return cpu < XT_MAX_CPUS &&
        __atomic_load_n(&xt_cpus[cpu].online, __ATOMIC_ACQUIRE);
}

bool xt_smp_wait_online(unsigned int cpu, uint64_t timeout_ns)
{
    return XT_WAIT_UNTIL(xt_smp_online(cpu), timeout_ns);
}

long xt_smp_boot(unsigned int cpu)
{
    static struct vcpu_guest_context ctxt;
    long rc;

    if ( !cpu || cpu >= xt_nr_cpus )
        return -XEN_ENOENT;
    if ( xt_smp_online(cpu) && xt_vcpu_is_up(cpu) == 1 )
        return 0;
    if ( !xt_smp_online(cpu) )
    {
        xt_cpus[cpu].vi->evtchn_upcall_mask = 1;
        xt_smp_context(cpu, &ctxt);
        rc = xt_vcpu_initialise(cpu, &ctxt);
        if ( rc && rc != -XEN_EEXIST )
            return rc;
    }
    rc = xt_vcpu_up(cpu);
    if ( rc )
        return rc;
    return xt_smp_wait_online(cpu, XT_GUARD) ? 0 : -XEN_ETIMEDOUT;
}

/* ------------------------------------------------------------------ */
/* Posted calls.                                                       */

bool xt_smp_call(unsigned int cpu, void (*fn)(void *), void *arg)
{
    struct xt_cpu *c = &xt_cpus[cpu % XT_MAX_CPUS];

    if ( !cpu || cpu >= XT_MAX_CPUS || !xt_smp_online(cpu) ||
         c->call_seq != c->done_seq )
        return false;
    c->call_fn = fn;
    c->call_arg = arg;
    c->fault_vector = -1;
    __atomic_store_n(&c->call_seq, c->call_seq + 1, __ATOMIC_RELEASE);
    return true;
}

bool xt_smp_wait(unsigned int cpu, uint64_t timeout_ns)
{
    struct xt_cpu *c = &xt_cpus[cpu % XT_MAX_CPUS];
    bool done = XT_WAIT_UNTIL(__atomic_load_n(&c->done_seq,
                                              __ATOMIC_ACQUIRE) ==
                              c->call_seq, timeout_ns);

    if ( !done )
    {
        printf("xtest: VCPU %u did not finish its call\n", cpu);
        return false;
    }
    if ( c->fault_vector != -1 )
    {
        printf("xtest: VCPU %u: unexpected vector %#lx at %#lx\n", cpu,
               c->fault_vector, c->fault_rip);
        return false;
    }
    return true;
}

bool xt_smp_run(unsigned int cpu, void (*fn)(void *), void *arg,
                uint64_t timeout_ns)
{
    return xt_smp_call(cpu, fn, arg) && xt_smp_wait(cpu, timeout_ns);
}

/* ------------------------------------------------------------------ */
/* Set-up on VCPU 0.                                                   */

long xt_smp_init(void)
{
    struct vcpu_info *old;
    uint8_t mask;
    unsigned int i;

    if ( smp_ready )
        return 0;
    xt_traps_init();
    if ( !xt_shared_info )
        return -XEN_EFAULT;

    for ( xt_nr_cpus = 1; xt_nr_cpus < XT_MAX_CPUS; xt_nr_cpus++ )
        if ( xt_vcpu_is_up(xt_nr_cpus) < 0 )
            break;
    for ( i = 0; i < XT_MAX_CPUS; i++ )
    {
        struct xt_cpu *c = &xt_cpus[i];

        c->self = c;
        c->id = i;
        c->vi = &xt_shared_info->vcpu_info[i];
        c->fault_vector = -1;
        if ( i )
        {
            c->stack_top = (unsigned long)cpu_stacks[i - 1] + XT_STACK_SIZE;
            c->kstack_top = (unsigned long)cpu_kstacks[i - 1] + PAGE_SIZE;
        }
    }

    /* Events stay masked while vcpu_info moves; Xen copies the mask. */
    old = xt_cpus[0].vi;
    mask = old->evtchn_upcall_mask;
    old->evtchn_upcall_mask = 1;
    barrier();
    smp_ready = true;
    xt_event_hook = smp_upcall;

    for ( i = 0; i < xt_nr_cpus; i++ )
    {
        struct xt_cpu *c = &xt_cpus[i];

        c->vi_rc = xt_register_vcpu_info(i,
                                         xt_virt_to_mfn(vcpu_info_page),
                                         i * sizeof(struct vcpu_info));
        if ( !c->vi_rc )
            c->vi = &vcpu_info_page[i];
    }
    if ( !mask )
        xt_events_enable();
    return 0;
}
