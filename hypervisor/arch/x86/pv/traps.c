/*
 * Guest-originated entries: SYSCALL (the hypercall gate from guest kernel
 * mode), faults raised by guest code, and a failed IRET back to the guest.
 * This rung has no trap table yet, so a fault the guest raises crashes it
 * with a full report; the hypervisor is never affected.
 */
#include <xenia/lib.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/hypercall.h>
#include "../x86.h"

void show_registers(const struct cpu_regs *regs);

void __noreturn vcpu_crash(struct cpu_regs *regs, const char *fmt, ...)
{
    struct vcpu *v = current;
    va_list ap;
    char buf[160];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(XENLOG_ERR "d%uv%u: %s\n", v->domain->domain_id, v->vcpu_id, buf);
    show_registers(regs);
    domain_crash(v->domain, "vcpu#%u: %s", v->vcpu_id, buf);
}

void pv_guest_exception(struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;

    if ( vec == TRAP_nmi || vec == TRAP_machine_check )
    {
        printk(XENLOG_WARNING "%s while a guest ran: ignored\n", trap_name(vec));
        return;
    }
    if ( vec == TRAP_page_fault )
        vcpu_crash(regs, "unhandled page fault at %#lx (error %#x, %s %s) "
                   "with no trap table, rip %#lx", read_cr2(), regs->error_code,
                   regs->error_code & 2 ? "write" : "read",
                   regs->error_code & 1 ? "protection" : "not-present",
                   regs->rip);
    vcpu_crash(regs, "unhandled %s (vector %u, error %#x) with no trap table, "
               "rip %#lx", trap_name(vec), vec, regs->error_code, regs->rip);
}

void do_syscall_entry(struct cpu_regs *regs)
{
    struct vcpu *v = current;

    if ( regs->entry_vector != ENTRY_SYSCALL || !v->kernel_mode )
        vcpu_crash(regs, "system call from guest user mode with no callback");
    regs->rax = hypercall_dispatch(regs->rax, regs->rdi, regs->rsi, regs->rdx,
                                   regs->r10, regs->r8, regs->r9);
}

void handle_guest_iret_fault(struct cpu_regs *regs)
{
    vcpu_crash(regs, "bad return frame (rip %#lx cs %#lx ss %#lx)",
               regs->rip, regs->cs, regs->ss);
}

void guest_exit_work(void)
{
    struct vcpu *v = current;

    /* A domain that stopped itself never resumes. */
    while ( v->domain->state != DOMAIN_RUNNING )
        safe_halt();
}

/*
 * The hypercall page: 128 stubs of 32 bytes. Stub i saves rcx and r11,
 * loads i into eax and executes SYSCALL, then restores them. The iret
 * stub (23) does not return: it pushes rax/r11/rcx for the iret frame.
 */
void hypercall_page_fill(void *page)
{
    uint8_t *p = page;
    unsigned int i;

    memset(page, 0xcc, PAGE_SIZE);                  /* int3 padding */
    for ( i = 0; i < 128; i++, p += 32 )
    {
        p[0] = 0x51;                                /* push %rcx */
        p[1] = 0x41; p[2] = 0x53;                   /* push %r11 */
        p[3] = 0xb8;                                /* mov $i, %eax */
        memcpy(&p[4], &i, 4);
        p[8] = 0x0f; p[9] = 0x05;                   /* syscall */
        p[10] = 0x41; p[11] = 0x5b;                 /* pop %r11 */
        p[12] = 0x59;                               /* pop %rcx */
        p[13] = 0xc3;                               /* ret */
    }
    p = (uint8_t *)page + 23 * 32;
    p[0] = 0x51;                                    /* push %rcx */
    p[1] = 0x41; p[2] = 0x53;                       /* push %r11 */
    p[3] = 0x50;                                    /* push %rax */
    p[4] = 0xb8;                                    /* mov $23, %eax */
    i = 23;
    memcpy(&p[5], &i, 4);
    p[9] = 0x0f; p[10] = 0x05;                      /* syscall */
}
