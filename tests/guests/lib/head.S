/*
 * head.S: entry point, Xen ELF notes and hypercall page of the in-guest
 * test kernels.
 *
 * The image is a 64-bit PV kernel booted as the initial domain.  It maps
 * pseudo-physical 0 at XT_VIRT_BASE (top 2 GiB, -mcmodel=kernel), so that
 * virtual address 0 stays unmapped and NULL really is a bad pointer.
 * On entry %rsi holds the virtual address of start_info.
 */
#include "../../../include/public/elfnote.h"
#include "../../../include/public/features.h"

#define XT_VIRT_BASE 0xffffffff80000000

/* One "Xen" ELF note: name, type, descriptor. */
#define ELFNOTE(type, desc...)          \
    .pushsection .note.Xen, "a", @note; \
    .p2align 2;                         \
    .long 2f - 1f;                      \
    .long 4f - 3f;                      \
    .long type;                         \
1:  .asciz "Xen";                       \
2:  .p2align 2;                         \
3:  desc;                               \
4:  .p2align 2;                         \
    .popsection

ELFNOTE(XEN_ELFNOTE_XEN_VERSION,    .asciz "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER,         .asciz "generic")
ELFNOTE(XEN_ELFNOTE_GUEST_OS,       .asciz "xenia-guest-tests")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION,  .asciz "1")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE,      .quad XT_VIRT_BASE)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET,   .quad 0)
ELFNOTE(XEN_ELFNOTE_ENTRY,          .quad _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page)
ELFNOTE(XEN_ELFNOTE_FEATURES,       .asciz "pae_pgdir_above_4gb")
/* Xen builds a dom0 only from a kernel that declares XENFEAT_dom0. */
ELFNOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long (1 << XENFEAT_dom0))

    .section .text.head, "ax", @progbits
    .code64
    .globl _start
_start:
    /* Own stack; keep the start_info pointer for C. */
    lea     boot_stack_top(%rip), %rsp
    xor     %ebp, %ebp
    mov     %rsi, %rdi
    call    xt_main
    /* xt_main shuts the domain down; if that ever returns, fault. */
1:  ud2
    jmp     1b

    /*
     * The hypervisor fills this page with 128 stubs of 32 bytes; until
     * then every byte is 'ret', so a call through an unfilled page
     * returns without a result rather than running garbage.
     */
    .section .text.hypercall_page, "ax", @progbits
    .p2align 12
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xc3

    .section .bss.stack, "aw", @nobits
    .p2align 12
boot_stack:
    .skip 16384
boot_stack_top:
