/*
 * arch-x86/xen-x86_64.h: x86-64 specifics of the PV guest ABI.
 *
 * A 64-bit PV guest kernel and its user space both run in ring 3.  The
 * hypervisor provides flat code/data selectors in its reserved GDT area
 * (entries from FIRST_RESERVED_GDT_ENTRY upward); kernel and user use the
 * same ones.  The top of the lower canonical half of the kernel half,
 * [HYPERVISOR_VIRT_START, HYPERVISOR_VIRT_END) = L4 slots 256..271,
 * belongs to the hypervisor in every guest L4; its first 256 GiB hold the
 * read-only machine-to-phys table (M2P), readable by the guest.
 *
 * Included by arch-x86/xen.h; usable on its own.
 */
#ifndef XEN_PUBLIC_ARCH_X86_XEN_X86_64_H
#define XEN_PUBLIC_ARCH_X86_XEN_X86_64_H

#include <stdint.h>

/* Flat selectors (RPL 3) in the hypervisor's reserved GDT entries. */
#define FLAT_RING3_CS32 0xe023  /* GDT entry 7172: 32-bit code           */
#define FLAT_RING3_CS64 0xe033  /* GDT entry 7174: 64-bit code           */
#define FLAT_RING3_DS32 0xe02b  /* GDT entry 7173: flat data             */
#define FLAT_RING3_DS64 0x0000  /* null selector: data in 64-bit mode    */
#define FLAT_RING3_SS32 0xe02b
#define FLAT_RING3_SS64 0xe02b

#define FLAT_KERNEL_DS64 FLAT_RING3_DS64
#define FLAT_KERNEL_DS32 FLAT_RING3_DS32
#define FLAT_KERNEL_DS   FLAT_KERNEL_DS64
#define FLAT_KERNEL_CS64 FLAT_RING3_CS64
#define FLAT_KERNEL_CS32 FLAT_RING3_CS32
#define FLAT_KERNEL_CS   FLAT_KERNEL_CS64
#define FLAT_KERNEL_SS64 FLAT_RING3_SS64
#define FLAT_KERNEL_SS32 FLAT_RING3_SS32
#define FLAT_KERNEL_SS   FLAT_KERNEL_SS64

#define FLAT_USER_DS64 FLAT_RING3_DS64
#define FLAT_USER_DS32 FLAT_RING3_DS32
#define FLAT_USER_DS   FLAT_USER_DS64
#define FLAT_USER_CS64 FLAT_RING3_CS64
#define FLAT_USER_CS32 FLAT_RING3_CS32
#define FLAT_USER_CS   FLAT_USER_CS64
#define FLAT_USER_SS64 FLAT_RING3_SS64
#define FLAT_USER_SS32 FLAT_RING3_SS32
#define FLAT_USER_SS   FLAT_USER_SS64

/* The hypervisor-owned hole (L4 slots 256..271) and the guest-visible M2P. */
#define __HYPERVISOR_VIRT_START 0xFFFF800000000000
#define __HYPERVISOR_VIRT_END   0xFFFF880000000000
#define __MACH2PHYS_VIRT_START  0xFFFF800000000000
#define __MACH2PHYS_VIRT_END    0xFFFF804000000000

#ifndef HYPERVISOR_VIRT_START
#define HYPERVISOR_VIRT_START   0xFFFF800000000000UL
#define HYPERVISOR_VIRT_END     0xFFFF880000000000UL
#endif
#define MACH2PHYS_VIRT_START    0xFFFF800000000000UL
#define MACH2PHYS_VIRT_END      0xFFFF804000000000UL
#define MACH2PHYS_NR_ENTRIES    ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3)

/*
 * set_segment_base(which, base): 'which' values.  Bases must be canonical.
 *  SEGBASE_FS          - FS base.
 *  SEGBASE_GS_USER     - GS base that becomes active in guest user mode.
 *  SEGBASE_GS_KERNEL   - GS base active in guest kernel mode.
 *  SEGBASE_GS_USER_SEL - load the user %gs selector from base[15:0],
 *                        leaving the kernel GS base intact.
 */
#define SEGBASE_FS          0
#define SEGBASE_GS_USER     1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3

/* vcpu_guest_context.flags: the guest was in a SYSCALL frame (x86-64). */
#define _VGCF_in_syscall 8
#define VGCF_in_syscall  (1 << _VGCF_in_syscall)
#define VGCF_IN_SYSCALL  VGCF_in_syscall

/*
 * HYPERVISOR_iret frame, as pushed on the guest stack before jumping to
 * the iret stub of the hypercall page (or before 'syscall' with rax=23).
 * Lowest address (the guest %rsp at the hypercall) first.
 *  flags: VGCF_in_syscall => return as if from SYSCALL (rcx/r11 clobbered).
 */
struct iret_context
{
    uint64_t rax;     /* IN: restored %rax                        */
    uint64_t r11;     /* IN: restored %r11                        */
    uint64_t rcx;     /* IN: restored %rcx                        */
    uint64_t flags;   /* IN: VGCF_in_syscall or 0                 */
    uint64_t rip;     /* IN                                       */
    uint64_t cs;      /* IN                                       */
    uint64_t rflags;  /* IN: IF selects the new event-mask state  */
    uint64_t rsp;     /* IN                                       */
    uint64_t ss;      /* IN                                       */
};
_Static_assert(sizeof(struct iret_context) == 72, "iret_context size");

/*
 * Saved guest register frame (x86-64 layout), as in vcpu_guest_context.
 * 'error_code' and 'entry_vector' are the hypervisor's private bookkeeping.
 */
struct cpu_user_regs
{
    uint64_t r15;
    uint64_t r14;
    uint64_t r13;
    uint64_t r12;
    uint64_t rbp;
    uint64_t rbx;
    uint64_t r11;
    uint64_t r10;
    uint64_t r9;
    uint64_t r8;
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rsi;
    uint64_t rdi;
    uint32_t error_code;        /* private */
    uint32_t entry_vector;      /* private */
    uint64_t rip;
    uint16_t cs, _pad0[1];
    uint8_t  saved_upcall_mask;
    uint8_t  _pad1[3];
    uint64_t rflags;            /* rflags.IF == !saved_upcall_mask */
    uint64_t rsp;
    uint16_t ss, _pad2[3];
    uint16_t es, _pad3[3];
    uint16_t ds, _pad4[3];
    uint16_t fs, _pad5[3];
    uint16_t gs, _pad6[3];
};
typedef struct cpu_user_regs cpu_user_regs_t;
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs size");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, rax) == 80, "rax");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, rdi) == 112, "rdi");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, error_code) == 120,
               "error_code");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, rip) == 128, "rip");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, cs) == 136, "cs");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, saved_upcall_mask)
               == 140, "saved_upcall_mask");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, rflags) == 144,
               "rflags");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, rsp) == 152, "rsp");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, ss) == 160, "ss");
_Static_assert(__builtin_offsetof(struct cpu_user_regs, gs) == 192, "gs");

/* CR3 <-> frame number for vcpu_guest_context.ctrlreg[1,3]. */
#define xen_pfn_to_cr3(pfn) ((uint64_t)(pfn) << 12)
#define xen_cr3_to_pfn(cr3) ((uint64_t)(cr3) >> 12)

/* Arch part of vcpu_info. */
struct arch_vcpu_info
{
    uint64_t cr2;   /* OUT: faulting address of the last #PF bounced */
    uint64_t pad;   /* keeps sizeof(vcpu_info) == 64 */
};
typedef struct arch_vcpu_info arch_vcpu_info_t;
_Static_assert(sizeof(struct arch_vcpu_info) == 16, "arch_vcpu_info size");

/* A callback address (64-bit PV: just the RIP; CS is always FLAT_KERNEL_CS). */
typedef uint64_t xen_callback_t;

/*
 * set_segment_base(which, base): which base to set.
 *  SEGBASE_FS          - the FS base.
 *  SEGBASE_GS_USER     - the user-mode GS base (active after the next switch
 *                        to guest user mode).
 *  SEGBASE_GS_KERNEL   - the kernel-mode GS base (active now).
 *  SEGBASE_GS_USER_SEL - load the user-mode %gs selector (low 16 bits).
 */
#define SEGBASE_FS          0
#define SEGBASE_GS_USER     1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3

#endif /* XEN_PUBLIC_ARCH_X86_XEN_X86_64_H */
