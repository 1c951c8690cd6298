/*
 * The x86-64 PV side of a hypercall continuation (xenia/hypercall.h):
 * the guest re-executes its SYSCALL (2 bytes, 0f 05) with rax = op and
 * its first nargs arguments rewritten in rdi, rsi, rdx, r10, r8, r9, as
 * Xen does (the other registers keep their values). The handler then
 * returns op, which do_syscall_entry stores in rax.
 */
#ifndef XENIA_PV_HYPERCALL_H
#define XENIA_PV_HYPERCALL_H

#include <xenia/current.h>

static inline void arch_hypercall_continuation(unsigned long op,
                                               unsigned int nargs,
                                               const unsigned long args[6])
{
    struct cpu_regs *regs = guest_regs();
    uint64_t *const reg[6] = {
        &regs->rdi, &regs->rsi, &regs->rdx, &regs->r10, &regs->r8, &regs->r9,
    };
    unsigned int i;

    regs->rip -= 2;
    regs->rax = op;
    for ( i = 0; i < nargs && i < 6; i++ )
        *reg[i] = args[i];
}

#endif /* XENIA_PV_HYPERCALL_H */
