/*
 * Application-processor start-up code.
 *
 * smp.c copies this page to TRAMPOLINE_PADDR (below 1 MiB), fills in the
 * data slots at its end, and sends the AP a STARTUP IPI with vector
 * TRAMPOLINE_PADDR >> 12. The AP starts here in real mode at CS:IP =
 * (TRAMPOLINE_PADDR >> 4):0, goes through 32-bit protected mode into long
 * mode on the hypervisor's own page tables (whose slot 0 still maps the
 * first GiB 1:1), loads the stack the BSP prepared and jumps to
 * start_secondary(cpu) at its high address.
 */
#include <xenia/config.h>

#define TRAMPOLINE_PADDR 0x8000
#define T(x)            ((x) - trampoline_start + TRAMPOLINE_PADDR)

        .section .rodata, "a", @progbits
        .align  16
        .globl  trampoline_start
trampoline_start:
        .code16
        cli
        cld
        xor     %ax, %ax
        mov     %ax, %ds
        lgdtl   T(tramp_gdtr)
        mov     %cr0, %eax
        or      $1, %eax                        /* PE */
        mov     %eax, %cr0
        ljmpl   $0x08, $T(tramp32)

        .code32
tramp32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     T(tramp_cr4), %eax              /* PAE and friends, as BSP */
        mov     %eax, %cr4
        mov     T(tramp_cr3), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx               /* EFER: LME, SCE, NXE */
        mov     T(tramp_efer), %eax
        xor     %edx, %edx
        wrmsr
        mov     T(tramp_cr0), %eax              /* PG, WP, ... as BSP */
        mov     %eax, %cr0
        ljmp    $0x18, $T(tramp64)

        .code64
tramp64:
        mov     T(tramp_stack), %rsp
        mov     T(tramp_cpu), %edi
        mov     T(tramp_entry), %rax
        xor     %ebp, %ebp
        jmp     *%rax

        .align  16
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff              /* 0x08: 32-bit code */
        .quad   0x00cf92000000ffff              /* 0x10: data */
        .quad   0x00af9a000000ffff              /* 0x18: 64-bit code */
tramp_gdtr:
        .word   tramp_gdtr - tramp_gdt - 1
        .long   T(tramp_gdt)

        /* Filled in by smp.c before each STARTUP IPI (offsets in smp.c). */
        .align  8
        .globl  trampoline_data
trampoline_data:
tramp_stack:    .quad 0
tramp_entry:    .quad 0
tramp_cr3:      .long 0
tramp_cr4:      .long 0
tramp_cr0:      .long 0
tramp_efer:     .long 0
tramp_cpu:      .long 0
        .long   0
        .globl  trampoline_end
trampoline_end:
