/*
 * smp.h: secondary VCPUs of the test kernels.
 *
 * The initial domain starts with VCPU 0 running; its other VCPUs exist
 * but are down and uninitialised.  xt_smp_init() prepares the framework
 * on VCPU 0: it counts the VCPUs, gives each a vcpu_info of its own in
 * one page of ours (VCPUOP_register_vcpu_info) and installs an event
 * upcall that handles only the ports bound to the VCPU it runs on.
 *
 * Which VCPU runs is known from the stack: every secondary has its own
 * (and its own kernel_sp stack), VCPU 0 never runs on those.  So
 * xt_smp_id() works in any context, traps and event callbacks included,
 * whatever a test does to the segment bases.  Secondaries also get
 * their struct xt_cpu as kernel GS base through the context.
 *
 * xt_smp_boot(n) gives VCPU n a context (xt_smp_context(): the secondary
 * loop as entry point, our trap table and callbacks, the current page
 * tables, Xen's default GDT), calls VCPUOP_initialise and VCPUOP_up and
 * waits until the VCPU says it is online.  A secondary then idles with
 * its events enabled, running the functions VCPU 0 posts with
 * xt_smp_call(), one at a time.  A fault nobody expected on a secondary
 * ends the posted call (xt_smp_wait() returns false, VCPU 0 prints the
 * fault) instead of killing the domain.
 *
 * Rules for code running on a secondary: no printf and no xt_check (that
 * state is VCPU 0's); leave results in memory for VCPU 0 to report.  The
 * XT_EXTABLE probes share one xt_last_fault: one VCPU at a time.
 */
#ifndef XTEST_SMP_H
#define XTEST_SMP_H

#include "xtpv.h"

#define XT_MAX_CPUS   4
#define XT_STACK_SIZE 16384

/* Per-VCPU data of the framework. */
struct xt_cpu
{
    struct xt_cpu *self;            /* %gs:0 on a secondary               */
    unsigned int id;
    struct vcpu_info *vi;           /* where this VCPU's events arrive    */
    long vi_rc;                     /* register_vcpu_info result (init)   */
    unsigned long stack_top;        /* secondaries: their stack           */
    unsigned long kstack_top;       /* secondaries: kernel_sp             */
    volatile bool online;           /* the VCPU entered the loop          */
    volatile unsigned long gs_self; /* %gs:0 as the secondary first saw it */
    /* Posted calls: fn(arg) runs when call_seq != done_seq. */
    void (*volatile call_fn)(void *);
    void *volatile call_arg;
    volatile unsigned long call_seq, done_seq;
    volatile long fault_vector;     /* -1: the last call did not fault   */
    volatile unsigned long unhandled;   /* events on ports without handler */
    volatile unsigned long fault_rip;
    struct xt_jmpbuf idle_jb;
    struct vcpu_runstate_info runstate;   /* a runstate area, if wanted */
};

extern struct xt_cpu xt_cpus[XT_MAX_CPUS];
/* VCPUs the domain has (probed with VCPUOP_is_up), at most XT_MAX_CPUS. */
extern unsigned int xt_nr_cpus;

/* Set up VCPU 0's side (idempotent).  0 or a negative error. */
long xt_smp_init(void);
bool xt_smp_ready(void);

/* The running VCPU's id and data (VCPU 0 before xt_smp_init()). */
unsigned int xt_smp_id(void);
struct xt_cpu *xt_this_cpu(void);
/* The running VCPU's vcpu_info once xt_smp_init() ran, else NULL. */
struct vcpu_info *xt_smp_vcpu_info(void);

/* VCPUOP_register_vcpu_info of 'cpu' at byte 'offset' of 'mfn'. */
long xt_register_vcpu_info(unsigned int cpu, uint64_t mfn,
                           unsigned int offset);

/*
 * A complete, valid context for VCPUOP_initialise of 'cpu' (1..): entry
 * in the framework's secondary loop on the VCPU's own stack, kernel mode
 * (VGCF_in_kernel, failsafe and syscall callbacks masking events), our
 * trap table (vectors 0-31) and callbacks, ctrlreg[3] = the current L4
 * (ctrlreg[1] = the user L4 if there is one), kernel_ss/kernel_sp, GS
 * base kernel = &xt_cpus[cpu], gdt_ents 0 (Xen's default GDT).
 */
void xt_smp_context(unsigned int cpu, struct vcpu_guest_context *ctxt);

/*
 * Bring 'cpu' up: VCPUOP_initialise with xt_smp_context(), VCPUOP_up,
 * then xt_smp_wait_online().  0, the failing hypercall's error, or
 * -XEN_ETIMEDOUT.  Does nothing for a VCPU already online and up.
 */
long xt_smp_boot(unsigned int cpu);
/* Wait (up to timeout_ns of system time) until 'cpu' says it runs. */
bool xt_smp_wait_online(unsigned int cpu, uint64_t timeout_ns);
bool xt_smp_online(unsigned int cpu);

/* Thin VCPUOP wrappers. */
long xt_vcpu_initialise(unsigned int cpu, struct vcpu_guest_context *ctxt);
long xt_vcpu_up(unsigned int cpu);
long xt_vcpu_down(unsigned int cpu);
long xt_vcpu_is_up(unsigned int cpu);

/*
 * Post fn(arg) to the secondary 'cpu' (false: not online, or busy with
 * a previous call).  xt_smp_wait() waits up to timeout_ns of system time
 * for it to finish: false on timeout or if it faulted.  xt_smp_run() is
 * both.
 */
bool xt_smp_call(unsigned int cpu, void (*fn)(void *), void *arg);
bool xt_smp_wait(unsigned int cpu, uint64_t timeout_ns);
bool xt_smp_run(unsigned int cpu, void (*fn)(void *), void *arg,
                uint64_t timeout_ns);

/*
 * One step of a polite wait loop; 'n' counts the steps of this wait.
 * The first steps are pause instructions, later ones a short
 * SCHEDOP_poll (no ports, 1 ms timeout), which any event also ends.
 */
void xt_smp_relax(unsigned long n);

/* Wait (relaxing) until 'cond' or until timeout_ns of system time pass. */
#define XT_WAIT_UNTIL(cond, timeout_ns)                                 \
    ({                                                                  \
        uint64_t end_ = xt_system_time() + (timeout_ns);                \
        unsigned long n_ = 0;                                           \
        bool ok_;                                                       \
        while ( !(ok_ = (cond)) && xt_system_time() < end_ )            \
            xt_smp_relax(n_++);                                         \
        ok_;                                                            \
    })

#define XT_MS(n)  ((uint64_t)(n) * 1000000ULL)
#define XT_GUARD  XT_MS(5000)   /* default guard against hangs */

/*
 * Event channels and VCPUs.  The framework remembers which VCPU each
 * port notifies: the upcall on a VCPU handles only its own ports, and
 * ports it was not told about belong to VCPU 0 (as Xen binds them).
 * The bind functions return the port or a negative error; the port is
 * unmasked with its handler in place.
 */
int xt_smp_bind_virq(unsigned int virq, unsigned int cpu,
                     xt_port_handler_t h);
int xt_smp_bind_ipi(unsigned int cpu, xt_port_handler_t h);
/* EVTCHNOP_bind_vcpu; on success the port's events go to 'cpu'. */
long xt_smp_bind_vcpu(unsigned int port, unsigned int cpu);
/* Handler and VCPU of a port bound some other way; then unmask it. */
void xt_smp_set_port(unsigned int port, unsigned int cpu,
                     xt_port_handler_t h);
void xt_smp_mask(unsigned int port);
/* EVTCHNOP_unmask with the mask bit set: Xen re-raises a pending event. */
void xt_smp_unmask(unsigned int port);
/* Close the port and forget it. */
void xt_smp_unbind(unsigned int port);
long xt_evtchn_status(unsigned int port, struct evtchn_status *st);
long xt_evtchn_send(unsigned int port);

/* evtchn.c: a port's handler (smp.c's upcall calls it); false: none. */
void xt_set_port_handler(unsigned int port, xt_port_handler_t h);
bool xt_port_dispatch(unsigned int port, struct xt_regs *regs);

/*
 * Called by the trap code for an unexpected event: on a secondary it
 * ends the posted call and never returns; on VCPU 0 it returns.
 */
void xt_smp_secondary_fault(struct xt_regs *regs);

#endif /* XTEST_SMP_H */
