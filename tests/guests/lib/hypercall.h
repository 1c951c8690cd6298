/*
 * hypercall.h: hypercalls from the test kernels, by either gate.
 *
 *  XT_HC_PAGE    - call the stub of the hypercall page (the
 *                  HYPERCALL_PAGE note asks the hypervisor to fill it);
 *  XT_HC_SYSCALL - execute 'syscall' directly with the number in %rax,
 *                  as Linux does since it dropped the hypercall page.
 * Arguments go in %rdi, %rsi, %rdx, %r10, %r8; %rcx and %r11 are lost.
 */
#ifndef XTEST_HYPERCALL_H
#define XTEST_HYPERCALL_H

#include <stdint.h>

#include <public/xen.h>

enum xt_hc_mode
{
    XT_HC_PAGE,
    XT_HC_SYSCALL,
};

/* Gate used by the HYPERVISOR_* wrappers (cmdline "hc=syscall"). */
extern enum xt_hc_mode xt_hc_mode;

extern uint8_t hypercall_page[4096];

long xt_hypercall_via_page(unsigned int nr, unsigned long a1,
                           unsigned long a2, unsigned long a3,
                           unsigned long a4, unsigned long a5);
long xt_hypercall_via_syscall(unsigned int nr, unsigned long a1,
                              unsigned long a2, unsigned long a3,
                              unsigned long a4, unsigned long a5);

static inline long xt_hypercall(unsigned int nr, unsigned long a1,
                                unsigned long a2, unsigned long a3,
                                unsigned long a4, unsigned long a5)
{
    if ( xt_hc_mode == XT_HC_SYSCALL )
        return xt_hypercall_via_syscall(nr, a1, a2, a3, a4, a5);
    return xt_hypercall_via_page(nr, a1, a2, a3, a4, a5);
}

static inline long HYPERVISOR_console_io(unsigned int cmd, unsigned int count,
                                         const void *buf)
{
    return xt_hypercall(__HYPERVISOR_console_io, cmd, count,
                        (unsigned long)buf, 0, 0);
}

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
    return xt_hypercall(__HYPERVISOR_xen_version, (unsigned long)(long)cmd,
                        (unsigned long)arg, 0, 0, 0);
}

static inline long HYPERVISOR_sched_op(unsigned int cmd, void *arg)
{
    return xt_hypercall(__HYPERVISOR_sched_op, cmd, (unsigned long)arg,
                        0, 0, 0);
}

static inline long HYPERVISOR_update_va_mapping(unsigned long va,
                                                uint64_t pte,
                                                unsigned long flags)
{
    return xt_hypercall(__HYPERVISOR_update_va_mapping, va, pte, flags, 0, 0);
}

#endif /* XTEST_HYPERCALL_H */
