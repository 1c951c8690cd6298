/*
 * arch-x86/xen.h: x86 parts of the PV guest ABI shared by all hypercall
 * families: guest handles, frame numbers, trap_info, the vCPU context
 * used by VCPUOP_initialise, and the arch part of shared_info.
 *
 * Xenia supports 64-bit PV guests only, so this header describes the
 * x86-64 layout unconditionally.
 */
#ifndef XEN_PUBLIC_ARCH_X86_XEN_H
#define XEN_PUBLIC_ARCH_X86_XEN_H

#include <stdint.h>
#include "xen-x86_64.h"

/*
 * Guest handles: a guest virtual address typed by what it points to.
 * On x86-64 a handle is a plain 8-byte pointer wrapped in a struct so
 * that it cannot be dereferenced by accident in hypervisor code.
 */
#define ___DEFINE_XEN_GUEST_HANDLE(name, type) \
    typedef struct { type *p; } __guest_handle_ ## name
#define __DEFINE_XEN_GUEST_HANDLE(name, type)  \
    ___DEFINE_XEN_GUEST_HANDLE(name, type);    \
    ___DEFINE_XEN_GUEST_HANDLE(const_ ## name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name)   __DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name)        __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name)          __XEN_GUEST_HANDLE(name)
#define XEN_GUEST_HANDLE_PARAM(name)    XEN_GUEST_HANDLE(name)
#define set_xen_guest_handle_raw(hnd, val)  do { (hnd).p = (val); } while ( 0 )
#define set_xen_guest_handle(hnd, val)      set_xen_guest_handle_raw(hnd, val)

/* A guest (pseudo-physical) or machine frame number. */
typedef uint64_t xen_pfn_t;
#define PRI_xen_pfn  "lx"
#define PRIu_xen_pfn "lu"

/* The natural word of the ABI (C 'unsigned long' on x86-64). */
typedef uint64_t xen_ulong_t;
#define PRI_xen_ulong "lx"

#define XEN_HAVE_PV_GUEST_ENTRY 1
#define XEN_HAVE_PV_UPCALL_MASK 1

/*
 * The hypervisor owns GDT pages 14 and 15: a guest GDT may have at most
 * FIRST_RESERVED_GDT_ENTRY (7168) entries.
 */
#define FIRST_RESERVED_GDT_PAGE  14
#define FIRST_RESERVED_GDT_BYTE  (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

/* vcpu_info slots in shared_info; later vCPUs must register their own. */
#define XEN_LEGACY_MAX_VCPUS 32

/*
 * set_trap_table: one entry of the virtual IDT.
 * flags bits 0-1: the DPL allowed to raise the vector with 'int n';
 * flags bit 2: mask events on entry (interrupt-gate semantics).
 * A list is terminated by an entry whose address is 0.
 */
#define TI_GET_DPL(_ti)       ((_ti)->flags & 3)
#define TI_GET_IF(_ti)        ((_ti)->flags & 4)
#define TI_SET_DPL(_ti, _dpl) ((_ti)->flags |= (_dpl))
#define TI_SET_IF(_ti, _if)   ((_ti)->flags |= ((!!(_if)) << 2))

struct trap_info
{
    uint8_t  vector;   /* IN: exception/interrupt vector            */
    uint8_t  flags;    /* IN: DPL in bits 0-1, mask events in bit 2 */
    uint16_t cs;       /* IN: ignored for 64-bit PV                 */
    uint64_t address;  /* IN: handler RIP; 0 ends the list          */
};
typedef struct trap_info trap_info_t;
DEFINE_XEN_GUEST_HANDLE(trap_info_t);
_Static_assert(sizeof(struct trap_info) == 16, "trap_info size");
_Static_assert(__builtin_offsetof(struct trap_info, address) == 8,
               "trap_info.address");

typedef uint64_t tsc_timestamp_t;

/* vcpu_guest_context.flags */
#define _VGCF_i387_valid               0
#define VGCF_i387_valid                (1 << _VGCF_i387_valid)
#define VGCF_I387_VALID                VGCF_i387_valid
#define _VGCF_in_kernel                2
#define VGCF_in_kernel                 (1 << _VGCF_in_kernel)
#define VGCF_IN_KERNEL                 VGCF_in_kernel
#define _VGCF_failsafe_disables_events 3
#define VGCF_failsafe_disables_events  (1 << _VGCF_failsafe_disables_events)
#define _VGCF_syscall_disables_events  4
#define VGCF_syscall_disables_events   (1 << _VGCF_syscall_disables_events)
#define _VGCF_online                   5
#define VGCF_online                    (1 << _VGCF_online)

/*
 * The complete architectural state of a vCPU (VCPUOP_initialise, and the
 * toolstack's get/set vcpucontext).  5168 bytes on x86-64.
 * NOTES: ctrlreg[3] holds the kernel L4 as xen_pfn_to_cr3(mfn);
 * ctrlreg[1] holds the user L4 the same way (0 = none).
 */
struct vcpu_guest_context
{
    struct { char x[512]; } fpu_ctxt;  /* IN: FXSAVE image (16-aligned)   */
    uint64_t flags;                    /* IN: VGCF_*                      */
    struct cpu_user_regs user_regs;    /* IN: initial registers           */
    struct trap_info trap_ctxt[256];   /* IN: virtual IDT                 */
    uint64_t ldt_base, ldt_ents;       /* IN: LDT linear address, entries */
    uint64_t gdt_frames[16], gdt_ents; /* IN: GDT machine frames, entries */
    uint64_t kernel_ss, kernel_sp;     /* IN: stack for user->kernel      */
    uint64_t ctrlreg[8];               /* IN: CR0-CR7 (see NOTES)         */
    uint64_t debugreg[8];              /* IN: DR0-DR7                     */
    uint64_t event_callback_eip;       /* IN                              */
    uint64_t failsafe_callback_eip;    /* IN                              */
    uint64_t syscall_callback_eip;     /* IN                              */
    uint64_t vm_assist;                /* IN: VMASST_TYPE_* bitmap        */
    uint64_t fs_base;                  /* IN                              */
    uint64_t gs_base_kernel;           /* IN                              */
    uint64_t gs_base_user;             /* IN                              */
};
typedef struct vcpu_guest_context vcpu_guest_context_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_guest_context_t);

#define VGC_OFF(f) __builtin_offsetof(struct vcpu_guest_context, f)
_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vgc size");
_Static_assert(VGC_OFF(flags) == 512, "vgc.flags");
_Static_assert(VGC_OFF(user_regs) == 520, "vgc.user_regs");
_Static_assert(VGC_OFF(trap_ctxt) == 720, "vgc.trap_ctxt");
_Static_assert(VGC_OFF(ldt_base) == 4816, "vgc.ldt_base");
_Static_assert(VGC_OFF(ldt_ents) == 4824, "vgc.ldt_ents");
_Static_assert(VGC_OFF(gdt_frames) == 4832, "vgc.gdt_frames");
_Static_assert(VGC_OFF(gdt_ents) == 4960, "vgc.gdt_ents");
_Static_assert(VGC_OFF(kernel_ss) == 4968, "vgc.kernel_ss");
_Static_assert(VGC_OFF(kernel_sp) == 4976, "vgc.kernel_sp");
_Static_assert(VGC_OFF(ctrlreg) == 4984, "vgc.ctrlreg");
_Static_assert(VGC_OFF(debugreg) == 5048, "vgc.debugreg");
_Static_assert(VGC_OFF(event_callback_eip) == 5112, "vgc.event_cb");
_Static_assert(VGC_OFF(failsafe_callback_eip) == 5120, "vgc.failsafe_cb");
_Static_assert(VGC_OFF(syscall_callback_eip) == 5128, "vgc.syscall_cb");
_Static_assert(VGC_OFF(vm_assist) == 5136, "vgc.vm_assist");
_Static_assert(VGC_OFF(fs_base) == 5144, "vgc.fs_base");
_Static_assert(VGC_OFF(gs_base_kernel) == 5152, "vgc.gs_base_kernel");
_Static_assert(VGC_OFF(gs_base_user) == 5160, "vgc.gs_base_user");
#undef VGC_OFF

/*
 * Arch part of shared_info.  All fields except nmi_reason are written by
 * the guest for the benefit of the toolstack (save/restore, dumps).
 */
struct arch_shared_info
{
    uint64_t max_pfn;                     /* IN: valid p2m entries       */
    xen_pfn_t pfn_to_mfn_frame_list_list; /* IN: 3-level p2m root, 0/~0  */
    uint64_t nmi_reason;                  /* OUT: bit0 SERR, bit1 IOCHK  */
    uint64_t p2m_cr3;                     /* IN: cr3 of p2m_vaddr's space */
    uint64_t p2m_vaddr;                   /* IN: linear p2m list         */
    uint64_t p2m_generation;              /* IN: odd while updating      */
};
typedef struct arch_shared_info arch_shared_info_t;
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info");

/* Forced-emulation prefix: 'ud2; .ascii "xen"' before cpuid. */
#define XEN_EMULATE_PREFIX ".byte 0x0f,0x0b,0x78,0x65,0x6e ; "
#define XEN_CPUID          XEN_EMULATE_PREFIX "cpuid"

#endif /* XEN_PUBLIC_ARCH_X86_XEN_H */
