/*
 * Multiboot v1 entry. QEMU's loader reads the header's address fields
 * (flag bit 16), loads the flat image at XENIA_LOAD_PADDR and jumps to
 * start32 in 32-bit protected mode with paging off, EAX = multiboot magic,
 * EBX = physical address of the multiboot information.
 *
 * We switch to long mode on static boot page tables that map the first
 * 1 GiB three times with 2 MiB pages: identity (for the mode switch), at
 * XEN_VIRT_START (the image's link address) and at DIRECTMAP_VIRT_START
 * (early access to the multiboot data). setup.c builds the rest.
 */
#include <xenia/config.h>
#include <xenia/asm_defns.h>

#define sym_phys(s)     ((s) - XEN_VIRT_START)
#define MB_MAGIC        0x1badb002
#define MB_FLAGS        ((1 << 0) | (1 << 1) | (1 << 16))
#define MB_LOADER_MAGIC 0x2badb002

        .section .text.boot, "ax", @progbits
        .code32
        .align 4
multiboot_header:
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)
        .long   sym_phys(multiboot_header)      /* header_addr */
        .long   sym_phys(__image_start)         /* load_addr */
        .long   sym_phys(__load_end)            /* load_end_addr */
        .long   sym_phys(__bss_end)             /* bss_end_addr */
        .long   sym_phys(start32)               /* entry_addr */

        .globl  start32
start32:
        cld
        cli
        mov     %eax, %edi                      /* magic, kept for C */
        mov     %ebx, %esi                      /* multiboot info */
        lgdt    sym_phys(boot_gdt_descr)

        /* Zero BSS (the loader should, but be sure). */
        mov     $sym_phys(__bss_start), %edx
        mov     $sym_phys(__bss_end), %ecx
1:      cmp     %ecx, %edx
        jae     2f
        movb    $0, (%edx)
        inc     %edx
        jmp     1b
2:
        /* Long mode requires PAE paging. */
        mov     %cr4, %eax
        /* PAE; FXSAVE/SSE and SIMD exceptions for the guests (OSFXSR, OSXMMEXCPT). */
        or      $((1 << 5) | (1 << 9) | (1 << 10)), %eax
        mov     %eax, %cr4
        mov     $sym_phys(boot_l4), %eax
        mov     %eax, %cr3

        /* EFER: long mode, SYSCALL, and NX when the CPU has it. */
        mov     $0x80000001, %eax
        cpuid
        mov     %edx, %ebx                      /* extended features */
        mov     $0xc0000080, %ecx
        rdmsr
        or      $((1 << 8) | (1 << 0)), %eax
        bt      $20, %ebx
        jnc     3f
        or      $(1 << 11), %eax
3:      wrmsr

        mov     %cr0, %eax
        or      $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | 1), %eax
        and     $~((1 << 2) | (1 << 3)), %eax   /* clear EM, TS */
        mov     %eax, %cr0
        ljmp    $0x08, $sym_phys(start64)

        .code64
start64:
        /* Still running at the physical address: move to the high half. */
        movabs  $high64, %rax
        jmp     *%rax

        .text
high64:
        xor     %eax, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     $0x10, %eax
        mov     %eax, %ss
        lea     cpu0_stack(%rip), %rsp
        add     $(STACK_SIZE - CPUINFO_SIZE), %rsp
        xor     %ebp, %ebp
        /* edi = multiboot magic, esi = multiboot info (physical) */
        call    start_xenia
        ud2

        .section .data.boot, "aw", @progbits
        .align 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
boot_gdt_end:
boot_gdt_descr:
        .word   boot_gdt_end - boot_gdt - 1
        .long   sym_phys(boot_gdt)

        .section .data.page_aligned, "aw", @progbits
        .align  4096
        .globl  boot_l4
boot_l4:
        .quad   sym_phys(boot_l3_ident) + 3     /* slot 0: identity */
        .fill   260, 8, 0
        .quad   sym_phys(boot_l3_high) + 3      /* slot 261: image */
        .quad   sym_phys(boot_l3_dmap) + 3      /* slot 262: direct map */
        .fill   249, 8, 0

boot_l3_ident:
        .quad   sym_phys(boot_l2) + 3
        .fill   511, 8, 0

boot_l3_high:
        .fill   321, 8, 0                       /* 0xffff82d040000000 */
        .quad   sym_phys(boot_l2) + 3
        .fill   190, 8, 0

        .globl  boot_l3_dmap
boot_l3_dmap:
        .quad   sym_phys(boot_l2) + 3
        .fill   511, 8, 0

        .globl  boot_l2
boot_l2:
        .set    i, 0
        .rept   512
        .quad   (i << 21) | 0x83                /* present, RW, 2 MiB */
        .set    i, i + 1
        .endr

        .section .bss.stack_aligned, "aw", @nobits
        .align  STACK_SIZE
        .globl  cpu0_stack
cpu0_stack:
        .skip   STACK_SIZE
