/* The per-CPU block at the top of each hypervisor stack; see asm_defns.h. */
#ifndef XENIA_CURRENT_H
#define XENIA_CURRENT_H

#include <xenia/types.h>
#include <xenia/config.h>
#include <xenia/asm_defns.h>

struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint32_t error_code, entry_vector;
    uint64_t rip, cs, rflags, rsp, ss;
};

struct vcpu;

struct cpu_info {
    struct cpu_regs guest_regs;
    unsigned int cpu_id;
    unsigned int pad;
    struct vcpu *curr_vcpu;
};

static inline struct cpu_info *get_cpu_info(void)
{
    unsigned long sp;

    __asm__ ( "mov %%rsp, %0" : "=r" (sp) );
    return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1) - 1;
}

static inline struct cpu_regs *guest_regs(void)
{
    return &get_cpu_info()->guest_regs;
}

#define current (get_cpu_info()->curr_vcpu)
#define smp_processor_id() (get_cpu_info()->cpu_id)

/* Resets the stack to the guest frame and returns to the current vCPU. */
void __noreturn reset_stack_and_enter_guest(struct cpu_regs *regs);

#endif /* XENIA_CURRENT_H */
