/*
 * entry.S: trap, event, syscall and failsafe entry stubs of the test
 * kernels, the iret-hypercall return path, setjmp/longjmp and the user-
 * mode trampoline.
 *
 * The hypervisor bounces to a guest handler with, from %rsp upwards:
 * rcx, r11, [error code], rip, cs (saved upcall mask in bits 32-39),
 * rflags, rsp, ss.  Each stub pops rcx/r11 back into their registers,
 * pushes a zero error code where the vector has none, pushes its vector
 * and joins xt_entry_common, which completes a struct xt_regs (xtpv.h)
 * and calls xt_trap_dispatch().  The frame, possibly edited by C, is then
 * left through the iret hypercall.
 */
#define XR_RAX    (10 * 8)
#define XR_ERR    (16 * 8)


    .text
    .code64

    .macro ENTRY_STUB vec
    .p2align 4
xt_entry_\vec:
    pop     %rcx
    pop     %r11
    .if ((\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || \
         (\vec == 21) || (\vec == 29) || (\vec == 30))
    .else
    pushq   $0
    .endif
    pushq   $\vec
    jmp     xt_entry_common
    .endm

    .altmacro
    .set vec, 0
    .rept 256
    ENTRY_STUB %vec
    .set vec, vec + 1
    .endr

    .macro ENTRY_REF vec
    .quad   xt_entry_\vec
    .endm

    .section .rodata
    .p2align 3
    .globl xt_entry_table
xt_entry_table:
    .set vec, 0
    .rept 256
    ENTRY_REF %vec
    .set vec, vec + 1
    .endr
    .noaltmacro

    .text
    .globl xt_event_entry
xt_event_entry:
    pop     %rcx
    pop     %r11
    pushq   $0
    pushq   $0x100
    jmp     xt_entry_common

    .globl xt_syscall_entry
xt_syscall_entry:
    pop     %rcx
    pop     %r11
    pushq   $0
    pushq   $0x101
    jmp     xt_entry_common

    /* Failsafe frame: rcx, r11, ds, es, fs, gs, rip, cs, rflags, rsp, ss. */
    .globl xt_failsafe_entry
xt_failsafe_entry:
    pop     %rcx
    pop     %r11
    popq    xt_failsafe_segs + 0(%rip)
    popq    xt_failsafe_segs + 8(%rip)
    popq    xt_failsafe_segs + 16(%rip)
    popq    xt_failsafe_segs + 24(%rip)
    pushq   $0
    pushq   $0x102
    jmp     xt_entry_common

xt_entry_common:
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
    cld
    mov     %rsp, %rdi
    /* Keep the C code's stack 16-byte aligned whatever the frame was. */
    mov     %rsp, %rbx
    and     $~15, %rsp
    call    xt_trap_dispatch
    mov     %rbx, %rdi
    xor     %esi, %esi
    jmp     xt_iret_to

/*
 * void xt_iret_to(struct xt_regs *regs, unsigned long flags)
 * Restore the frame and leave through HYPERVISOR_iret.  The iret context
 * {rax, r11, rcx, flags} is built in the frame's own rax..error_code
 * slots, just below rip.
 */
    .globl xt_iret_to
xt_iret_to:
    mov     %rdi, %rsp
    mov     %rsi, XR_ERR(%rsp)
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
    /* %rsp: rax rcx rdx rsi rdi vector flags rip ... */
    mov     16(%rsp), %rdx
    mov     24(%rsp), %rsi
    mov     32(%rsp), %rdi
    mov     8(%rsp), %rcx
    mov     (%rsp), %rax
    mov     %rax, 24(%rsp)
    mov     %r11, 32(%rsp)
    mov     %rcx, 40(%rsp)
    add     $24, %rsp
    mov     $23, %eax                   /* __HYPERVISOR_iret */
    syscall
    ud2

/* int xt_setjmp(struct xt_jmpbuf *jb) */
    .globl xt_setjmp
xt_setjmp:
    mov     %rbx, 0(%rdi)
    mov     %rbp, 8(%rdi)
    mov     %r12, 16(%rdi)
    mov     %r13, 24(%rdi)
    mov     %r14, 32(%rdi)
    mov     %r15, 40(%rdi)
    lea     8(%rsp), %rax
    mov     %rax, 48(%rdi)
    mov     (%rsp), %rax
    mov     %rax, 56(%rdi)
    xor     %eax, %eax
    ret

/* void xt_longjmp(struct xt_jmpbuf *jb, int val) */
    .globl xt_longjmp
xt_longjmp:
    mov     0(%rdi), %rbx
    mov     8(%rdi), %rbp
    mov     16(%rdi), %r12
    mov     24(%rdi), %r13
    mov     32(%rdi), %r14
    mov     40(%rdi), %r15
    mov     48(%rdi), %rsp
    mov     %esi, %eax
    test    %eax, %eax
    jnz     1f
    inc     %eax
1:  jmp     *56(%rdi)

/*
 * User-mode trampoline: %rdi = argument, %rsi = function.  Calls it and
 * makes the exit system call with its result.  Mapped in the user L4.
 */
    .section .text.xtuser, "ax", @progbits
    .globl xt_user_trampoline
xt_user_trampoline:
    call    *%rsi
    mov     %rax, %rdi
    mov     $60, %eax
    syscall
    ud2

    .bss
    .p2align 3
    .globl xt_failsafe_segs
xt_failsafe_segs:
    .skip   32
