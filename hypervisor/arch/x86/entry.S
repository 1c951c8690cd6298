/*
 * Hypervisor entry and exit paths.
 *
 * Every entry builds a struct cpu_regs (include/xenia/asm_defns.h):
 * hardware or stub pushes the ss..rip tail, the stub pushes an 8-byte slot
 * holding error code (low half) and vector (high half), then SAVE_ALL
 * pushes the general registers. Entries from the guest (ring 3) land at
 * the fixed guest_regs frame at the top of the stack; they leave through
 * return_to_guest, which runs the exit work (scheduling, event delivery)
 * and IRETs from that frame. Entries from the hypervisor itself return
 * directly. IST vectors (#DF, NMI, #MC) always return directly.
 */
#include <xenia/config.h>
#include <xenia/asm_defns.h>

.macro SAVE_ALL
        push    %rdi
        push    %rsi
        push    %rdx
        push    %rcx
        push    %rax
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
.endm

.macro RESTORE_ALL
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rax
        pop     %rcx
        pop     %rdx
        pop     %rsi
        pop     %rdi
.endm

        .text

/* Exception stubs: error-code vectors already have the slot pushed. */
.macro EXC_NOERR vec, target=handle_exception
        .globl  exc_\vec
exc_\vec:
        push    $0
        movl    $\vec, 4(%rsp)
        jmp     \target
.endm
.macro EXC_ERR vec, target=handle_exception
        .globl  exc_\vec
exc_\vec:
        movl    $\vec, 4(%rsp)
        jmp     \target
.endm

        EXC_NOERR 0
        /*
         * #DB runs on an IST stack (a watchpoint or single step can hit in
         * the hypervisor's first instructions after SYSCALL, with the
         * guest's %rsp live: XSA-260). From the guest, move the frame to
         * this CPU's guest_regs and continue as any other guest entry;
         * from the hypervisor, handle it on the IST stack and return.
         */
        .globl  exc_1
exc_1:
        push    $0
        movl    $TRAP_debug, 4(%rsp)
        testb   $3, 16(%rsp)                    /* CS of the hardware frame */
        jz      handle_ist_exception
        push    %rax
        push    %rcx
        mov     %rsp, %rax
        or      $(STACK_SIZE - 1), %rax
        sub     $(CPUINFO_SIZE - REGS_ERROR_CODE - 1), %rax
        .irp    off, 0, 8, 16, 24, 32, 40       /* slot, rip .. ss */
        mov     16 + \off(%rsp), %rcx
        mov     %rcx, \off(%rax)
        .endr
        mov     (%rsp), %rcx
        xchg    %rax, %rsp
        mov     8(%rax), %rax
        jmp     handle_exception
        EXC_NOERR 2, handle_ist_exception
        EXC_NOERR 3
        EXC_NOERR 4
        EXC_NOERR 5
        EXC_NOERR 6
        EXC_NOERR 7
        EXC_ERR   8, handle_ist_exception
        EXC_NOERR 9
        EXC_ERR   10
        EXC_ERR   11
        EXC_ERR   12
        EXC_ERR   13
        EXC_ERR   14
        EXC_NOERR 15
        EXC_NOERR 16
        EXC_ERR   17
        EXC_NOERR 18, handle_ist_exception
        EXC_NOERR 19
        EXC_NOERR 20
        EXC_ERR   21
        EXC_NOERR 22
        EXC_NOERR 23
        EXC_NOERR 24
        EXC_NOERR 25
        EXC_NOERR 26
        EXC_NOERR 27
        EXC_NOERR 28
        EXC_ERR   29
        EXC_ERR   30
        EXC_NOERR 31

/* External interrupts and IPIs: one small stub per vector 32..255. */
        .align  16
        .globl  irq_stubs
irq_stubs:
        .set    vec, 32
        .rept   224
        .align  16
        push    $0
        movl    $vec, 4(%rsp)
        jmp     handle_interrupt
        .set    vec, vec + 1
        .endr

handle_exception:
        cld
        SAVE_ALL
        mov     %rsp, %rdi
        call    do_trap
        jmp     ret_from_entry

handle_interrupt:
        cld
        SAVE_ALL
        mov     %rsp, %rdi
        call    do_irq
        jmp     ret_from_entry

ret_from_entry:
        testb   $3, REGS_CS(%rsp)
        jnz     return_to_guest
        RESTORE_ALL
        add     $8, %rsp
        iretq

handle_ist_exception:
        cld
        SAVE_ALL
        mov     %rsp, %rdi
        call    do_trap
        RESTORE_ALL
        add     $8, %rsp
        iretq

/*
 * SYSCALL lands in a per-CPU stub (traps.c writes it) which saved %rax in
 * guest_regs.rax, switched to this CPU's stack and pushed the ss..rip tail
 * of the frame. Complete the frame like the other entries.
 */
        .globl  lstar_enter
lstar_enter:
        push    $0
        movl    $ENTRY_SYSCALL, 4(%rsp)
        jmp     syscall_common

        .globl  cstar_enter
cstar_enter:
        push    $0
        movl    $ENTRY_SYSCALL32, 4(%rsp)

syscall_common:
        cld
        push    %rdi
        push    %rsi
        push    %rdx
        push    %rcx
        sub     $8, %rsp                /* rax: already stored by the stub */
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rdi
        call    do_syscall_entry
        /* fall through */

/*
 * Leave to the guest context in this CPU's guest_regs frame. %rsp points
 * at that frame. guest_exit_work() may switch vCPUs (it rewrites the frame)
 * or idle; it returns with interrupts disabled.
 */
        .globl  return_to_guest
return_to_guest:
        cli
        call    guest_exit_work
        RESTORE_ALL
        add     $8, %rsp
        .globl  guest_iret
guest_iret:
        iretq
        .globl  guest_iret_fault
guest_iret_fault:
        /*
         * IRET to the guest faulted; the fixup resumes here with %rsp at the
         * frame's rip slot and the guest's registers live (the nested
         * exception overwrote the saved copies below): save them again.
         */
        push    $0
        SAVE_ALL
        mov     %rsp, %rdi
        call    handle_guest_iret_fault
        jmp     return_to_guest

        .section __ex_table, "a"
        .quad   guest_iret, guest_iret_fault
        .previous

/* void reset_stack_and_enter_guest(struct cpu_regs *regs) */
        .globl  reset_stack_and_enter_guest
reset_stack_and_enter_guest:
        mov     %rdi, %rsp
        xor     %ebp, %ebp
        jmp     return_to_guest

/*
 * unsigned long raw_copy_guest(void *dst, const void *src, unsigned long n)
 * Returns the number of bytes NOT copied. A fault on either side stops the
 * copy at the faulting byte; the exception-table entry resumes after it.
 */
        .globl  raw_copy_guest
raw_copy_guest:
        mov     %rdx, %rcx
1:      rep movsb
2:      mov     %rcx, %rax
        ret
        .section __ex_table, "a"
        .quad   1b, 2b
        .previous
