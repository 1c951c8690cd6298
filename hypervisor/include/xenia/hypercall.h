/*
 * Hypercall dispatch: a table indexed by hypercall number, built from one
 * list of typed handlers.
 */
#ifndef XENIA_HYPERCALL_H
#define XENIA_HYPERCALL_H

#include <xenia/types.h>

#define NR_HYPERCALLS 64

/*
 * Every hypercall Xenia implements: HYPERCALL(name, nargs) says that
 * __HYPERVISOR_<name> is handled by do_<name>(), which takes the first
 * nargs argument registers (its prototype below). common/hypercall.c
 * expands this list into the dispatch table: each entry calls do_<name>
 * with exactly nargs register values, converted to the prototype's
 * parameter types, so a handler whose prototype disagrees with its entry
 * does not compile, nor does a number outside the table or given twice
 * (the job Xen's hypercall-defs.c does). Numbers not listed return
 * -ENOSYS, logged once.
 */
#define HYPERCALL_LIST(HYPERCALL)                                             \
    HYPERCALL(set_trap_table,    1)                                           \
    HYPERCALL(mmu_update,        4)                                           \
    HYPERCALL(set_gdt,           2)                                           \
    HYPERCALL(stack_switch,      2)                                           \
    HYPERCALL(set_callbacks,     3)                                           \
    HYPERCALL(fpu_taskswitch,    1)                                           \
    HYPERCALL(set_debugreg,      2)                                           \
    HYPERCALL(get_debugreg,      1)                                           \
    HYPERCALL(update_descriptor, 2)                                           \
    HYPERCALL(memory_op,         2)                                           \
    HYPERCALL(multicall,         2)                                           \
    HYPERCALL(update_va_mapping, 3)                                           \
    HYPERCALL(xen_version,       2)                                           \
    HYPERCALL(console_io,        3)                                           \
    HYPERCALL(vm_assist,         2)                                           \
    HYPERCALL(iret,              0)                                           \
    HYPERCALL(set_segment_base,  2)                                           \
    HYPERCALL(mmuext_op,         4)                                           \
    HYPERCALL(sched_op,          2)                                           \
    HYPERCALL(callback_op,       2)                                           \
    HYPERCALL(nmi_op,            2)                                           \
    HYPERCALL(physdev_op,        2)                                           \
    HYPERCALL(set_timer_op,      1)                                           \
    HYPERCALL(vcpu_op,           3)                                           \
    HYPERCALL(event_channel_op,  2)                                           \
    HYPERCALL(grant_table_op,    3)                                           \
    HYPERCALL(sysctl,            1)                                           \
    HYPERCALL(domctl,            1)

/*
 * The handlers. Guest addresses are vaddr_t; commands and counts keep the
 * whole register (a handler that uses fewer bits says so and checks the
 * rest itself). Each returns 0 or positive, or -errno.
 */
/* arch/x86/pv/traps.c */
long do_set_trap_table(vaddr_t list);
long do_stack_switch(unsigned long ss, unsigned long sp);
long do_set_callbacks(vaddr_t event, vaddr_t failsafe, vaddr_t syscall);
long do_fpu_taskswitch(unsigned long set);
long do_set_debugreg(unsigned long reg, unsigned long value);
long do_get_debugreg(unsigned long reg);
long do_iret(void);
long do_set_segment_base(unsigned long which, unsigned long base);
long do_callback_op(unsigned long cmd, vaddr_t arg);
long do_nmi_op(unsigned long cmd, vaddr_t arg);
/* arch/x86/pv/mm.c */
long do_mmu_update(vaddr_t ureqs, unsigned long count, vaddr_t pdone,
                   unsigned long foreigndom);
long do_mmuext_op(vaddr_t uops, unsigned long count, vaddr_t pdone,
                  unsigned long foreigndom);
long do_update_va_mapping(vaddr_t va, uint64_t val, unsigned long flags);
/* arch/x86/pv/descriptor.c */
long do_set_gdt(vaddr_t ulist, unsigned long entries);
long do_update_descriptor(paddr_t maddr, uint64_t desc);
/* arch/x86/pv/memory.c, physdev.c, vm_assist.c */
long do_memory_op(unsigned long cmd, vaddr_t arg);
long do_physdev_op(unsigned long cmd, vaddr_t arg);
long do_vm_assist(unsigned long cmd, unsigned long type);
/* common/ */
long do_multicall(vaddr_t list, unsigned long count);
long do_xen_version(unsigned long cmd, vaddr_t arg);
long do_console_io(unsigned long cmd, unsigned long count, vaddr_t buf);
long do_sched_op(unsigned long cmd, vaddr_t arg);
long do_set_timer_op(uint64_t timeout);
long do_vcpu_op(unsigned long cmd, unsigned long vcpuid, vaddr_t arg);
long do_event_channel_op(unsigned long cmd, vaddr_t arg);
long do_grant_table_op(unsigned long cmd, vaddr_t uop, unsigned long count);
long do_sysctl(vaddr_t arg);
long do_domctl(vaddr_t arg);

/*
 * Runs hypercall nr with the six argument registers (the syscall entry,
 * and each multicall entry).
 */
long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2,
                        unsigned long a3, unsigned long a4, unsigned long a5,
                        unsigned long a6);

/*
 * Preemption of long hypercalls (Xen's hypercall_preempt_check and
 * hypercall_create_continuation). The hypervisor lock is held with
 * interrupts off for the whole of a hypercall, so a batch must not run
 * unbounded: a batched hypercall calls hypercall_preempt_check() before
 * each element after its first, and when it returns true, ends with
 *     return hypercall_create_continuation(op, nargs, args);
 * having written its progress to the guest as Xen's ABI says (the updated
 * arguments, *pdone). The check counts work since the guest entered the
 * hypervisor and says yes after HYPERCALL_PREEMPT_WORK units, so every
 * entry makes progress and none does more than a bounded amount.
 *
 * A continuation of a top-level hypercall rewinds the guest's rip to the
 * SYSCALL and loads rax and the argument registers, so the guest re-enters
 * the hypercall after the exit path has run (timers, scheduling, events).
 * Inside a multicall it rewrites the entry's arguments instead, and the
 * multicall continues itself from that entry.
 */
#define HYPERCALL_PREEMPT_WORK 64
bool hypercall_preempt_check(void);
/*
 * Returns the value the handler returns (op). Only the first nargs
 * arguments are rewritten (the hypercall's own): guests such as Linux
 * expect the other argument registers to survive.
 */
long hypercall_create_continuation(unsigned long op, unsigned int nargs,
                                   const unsigned long args[6]);
/* The guest side of a continuation: xenia/pv_hypercall.h. */

/* Fills a getdomaininfo record (common/domctl.c; also sysctl's list). */
struct domain;
struct xen_domctl_getdomaininfo;
void domctl_getdomaininfo(struct domain *d, struct xen_domctl_getdomaininfo *i);


#endif /* XENIA_HYPERCALL_H */
