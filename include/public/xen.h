/*
 * xen.h: the core of Xenia's public guest ABI (Xen x86-64 PV compatible).
 *
 * Hypercall numbers, reserved domain ids, the structures the hypervisor
 * shares with every PV guest (start_info, shared_info, vcpu_info) and the
 * argument layouts of the memory-management hypercalls.  Numbers and
 * layouts are those of Xen 4.17 so that unmodified PV kernels run.
 *
 * Calling convention (64-bit PV): 'syscall' from guest kernel mode with the
 * hypercall number in %rax and arguments in %rdi, %rsi, %rdx, %r10, %r8;
 * the result comes back in %rax; %rcx and %r11 are clobbered.  Errors are
 * negated XEN_E* values from errno.h.
 */
#ifndef XEN_PUBLIC_XEN_H
#define XEN_PUBLIC_XEN_H

#include <stdint.h>
#include "xen-compat.h"
#include "arch-x86/xen.h"

/* Hypercall numbers.  Numbers are never reused. */
#define __HYPERVISOR_set_trap_table        0
#define __HYPERVISOR_mmu_update            1
#define __HYPERVISOR_set_gdt               2
#define __HYPERVISOR_stack_switch          3
#define __HYPERVISOR_set_callbacks         4
#define __HYPERVISOR_fpu_taskswitch        5
#define __HYPERVISOR_sched_op_compat       6   /* obsolete form of 29 */
#define __HYPERVISOR_platform_op           7
#define __HYPERVISOR_set_debugreg          8
#define __HYPERVISOR_get_debugreg          9
#define __HYPERVISOR_update_descriptor    10
/* 11 was never assigned. */
#define __HYPERVISOR_memory_op            12
#define __HYPERVISOR_multicall            13
#define __HYPERVISOR_update_va_mapping    14
#define __HYPERVISOR_set_timer_op         15
#define __HYPERVISOR_event_channel_op_compat 16 /* obsolete form of 32 */
#define __HYPERVISOR_xen_version          17
#define __HYPERVISOR_console_io           18
#define __HYPERVISOR_physdev_op_compat    19   /* obsolete form of 33 */
#define __HYPERVISOR_grant_table_op       20
#define __HYPERVISOR_vm_assist            21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret                 23   /* x86 only */
#define __HYPERVISOR_vcpu_op              24
#define __HYPERVISOR_set_segment_base     25   /* x86-64 only */
#define __HYPERVISOR_mmuext_op            26
#define __HYPERVISOR_xsm_op               27
#define __HYPERVISOR_nmi_op               28
#define __HYPERVISOR_sched_op             29
#define __HYPERVISOR_callback_op          30
#define __HYPERVISOR_xenoprof_op          31
#define __HYPERVISOR_event_channel_op     32
#define __HYPERVISOR_physdev_op           33
#define __HYPERVISOR_hvm_op               34
#define __HYPERVISOR_sysctl               35
#define __HYPERVISOR_domctl               36
#define __HYPERVISOR_kexec_op             37
#define __HYPERVISOR_tmem_op              38   /* retired in Xen 4.13 */
#define __HYPERVISOR_argo_op              39
#define __HYPERVISOR_xenpmu_op            40
#define __HYPERVISOR_dm_op                41
#define __HYPERVISOR_hypfs_op             42
/* 43..47 unassigned.  48..55 are architecture-specific. */
#define __HYPERVISOR_arch_0               48
#define __HYPERVISOR_arch_1               49
#define __HYPERVISOR_arch_2               50
#define __HYPERVISOR_arch_3               51
#define __HYPERVISOR_arch_4               52
#define __HYPERVISOR_arch_5               53
#define __HYPERVISOR_arch_6               54
#define __HYPERVISOR_arch_7               55
#define __HYPERVISOR_mca                  __HYPERVISOR_arch_0  /* x86 */

/* Number of 32-byte stubs in a hypercall page. */
#define XEN_HYPERCALL_PAGE_STUBS          128

/* Virtual IRQs, bound with EVTCHNOP_bind_virq.  V = per vCPU, G = global. */
#define VIRQ_TIMER       0  /* V: timer expired                         */
#define VIRQ_DEBUG       1  /* V: dump debug state                      */
#define VIRQ_CONSOLE     2  /* G: (dom0) input on the hypervisor console */
#define VIRQ_DOM_EXC     3  /* G: (dom0) a domain changed state          */
#define VIRQ_TBUF        4  /* G: (dom0) trace buffer records available  */
/* 5 is unused. */
#define VIRQ_DEBUGGER    6  /* G: (dom0) a domain paused for debugging   */
#define VIRQ_XENOPROF    7  /* V: profiling sample                       */
#define VIRQ_CON_RING    8  /* G: (dom0) console ring has new bytes      */
#define VIRQ_PCPU_STATE  9  /* G: (dom0) physical CPU state changed      */
#define VIRQ_MEM_EVENT  10  /* G: (dom0) memory event                    */
#define VIRQ_ARGO       11  /* G: Argo message                           */
#define VIRQ_ENOMEM     12  /* G: (dom0) hypervisor heap low             */
#define VIRQ_XENPMU     13  /* V: PMU interrupt                          */
#define NR_VIRQS        24

/*
 * mmu_update(req, count, done, foreigndom): a batch of {ptr, val}.
 * The low 2 bits of 'ptr' select the command:
 *  MMU_NORMAL_PT_UPDATE       - *ptr = val; ptr is the machine address of
 *                               an entry in a page typed L1..L4; checked.
 *  MMU_MACHPHYS_UPDATE        - M2P[ptr >> 12] = val, for the caller's MFN.
 *  MMU_PT_UPDATE_PRESERVE_AD  - like NORMAL, keeping the entry's A/D bits.
 *  MMU_PT_UPDATE_NO_TRANSLATE - like NORMAL, val's frame is not translated.
 */
#define MMU_NORMAL_PT_UPDATE       0
#define MMU_MACHPHYS_UPDATE        1
#define MMU_PT_UPDATE_PRESERVE_AD  2
#define MMU_PT_UPDATE_NO_TRANSLATE 3

/*
 * mmuext_op(ops, count, done, foreigndom) commands.
 *  PIN_Lx_TABLE    - arg1.mfn: validate as an Lx table and pin the type.
 *  UNPIN_TABLE     - arg1.mfn: drop the pin.
 *  NEW_BASEPTR     - arg1.mfn: switch this vCPU's kernel L4.
 *  TLB_FLUSH_LOCAL - flush this vCPU's TLB.
 *  INVLPG_LOCAL    - arg1.linear_addr: flush one page locally.
 *  TLB_FLUSH_MULTI - arg2.vcpumask: flush the TLBs of those vCPUs.
 *  INVLPG_MULTI    - arg1.linear_addr on the vCPUs in arg2.vcpumask.
 *  TLB_FLUSH_ALL   - flush all vCPUs of the domain.
 *  INVLPG_ALL      - arg1.linear_addr on all vCPUs.
 *  FLUSH_CACHE     - write back and invalidate caches (privileged).
 *  SET_LDT         - arg1.linear_addr (page aligned), arg2.nr_ents (<= 8192).
 *  NEW_USER_BASEPTR- arg1.mfn: user-mode L4 (0 = none).
 *  CLEAR_PAGE      - arg1.mfn: zero a writable frame.
 *  COPY_PAGE       - arg2.src_mfn -> arg1.mfn.
 *  FLUSH_CACHE_GLOBAL - flush caches on all physical CPUs (privileged).
 *  MARK_SUPER / UNMARK_SUPER - arg1.mfn: superpage bookkeeping.
 */
#define MMUEXT_PIN_L1_TABLE        0
#define MMUEXT_PIN_L2_TABLE        1
#define MMUEXT_PIN_L3_TABLE        2
#define MMUEXT_PIN_L4_TABLE        3
#define MMUEXT_UNPIN_TABLE         4
#define MMUEXT_NEW_BASEPTR         5
#define MMUEXT_TLB_FLUSH_LOCAL     6
#define MMUEXT_INVLPG_LOCAL        7
#define MMUEXT_TLB_FLUSH_MULTI     8
#define MMUEXT_INVLPG_MULTI        9
#define MMUEXT_TLB_FLUSH_ALL      10
#define MMUEXT_INVLPG_ALL         11
#define MMUEXT_FLUSH_CACHE        12
#define MMUEXT_SET_LDT            13
/* 14 was never assigned. */
#define MMUEXT_NEW_USER_BASEPTR   15
#define MMUEXT_CLEAR_PAGE         16
#define MMUEXT_COPY_PAGE          17
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER         19
#define MMUEXT_UNMARK_SUPER       20

struct mmuext_op
{
    uint32_t cmd;                     /* IN: MMUEXT_*                     */
    union
    {
        xen_pfn_t mfn;                /* IN: pin/unpin/baseptr/page ops   */
        uint64_t  linear_addr;        /* IN: INVLPG_*, SET_LDT            */
    } arg1;
    union
    {
        uint32_t  nr_ents;            /* IN: SET_LDT                      */
        const void *vcpumask;         /* IN: *_MULTI: bitmap of vCPUs     */
        xen_pfn_t src_mfn;            /* IN: COPY_PAGE                    */
    } arg2;
};
typedef struct mmuext_op mmuext_op_t;
DEFINE_XEN_GUEST_HANDLE(mmuext_op_t);
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op size");
_Static_assert(__builtin_offsetof(struct mmuext_op, arg1) == 8, "arg1");
_Static_assert(__builtin_offsetof(struct mmuext_op, arg2) == 16, "arg2");

/*
 * update_va_mapping(va, pte, flags) flags.  The low two bits pick the
 * flush; bit 2 selects all vCPUs.  Otherwise (UVMF_MULTI) the bits above
 * bit 1 may carry a pointer to a vCPU bitmap; NULL means local.
 */
#define UVMF_NONE           (0UL << 0)   /* no flush                  */
#define UVMF_TLB_FLUSH      (1UL << 0)   /* flush whole TLB(s)         */
#define UVMF_INVLPG         (2UL << 0)   /* flush this va only         */
#define UVMF_FLUSHTYPE_MASK (3UL << 0)
#define UVMF_MULTI          (0UL << 2)   /* the vCPUs in a bitmap      */
#define UVMF_LOCAL          (0UL << 2)   /* the calling vCPU           */
#define UVMF_ALL            (1UL << 2)   /* every vCPU of the domain   */

/*
 * console_io(cmd, count, buffer): the hypervisor console (dom0's console).
 *  CONSOLEIO_write - print 'count' bytes from 'buffer'; returns >= 0
 *                    (0 on success in Xen) or -EFAULT.
 *  CONSOLEIO_read  - read up to 'count' bytes of pending input into
 *                    'buffer'; returns the number of bytes read.
 */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/*
 * vm_assist(cmd, type): turn optional hypervisor assistance on or off.
 * Valid types for 64-bit PV: 0..5 and 32.
 */
#define VMASST_CMD_enable                0
#define VMASST_CMD_disable               1
#define VMASST_TYPE_4gb_segments         0   /* 32-bit only             */
#define VMASST_TYPE_4gb_segments_notify  1   /* 32-bit only             */
#define VMASST_TYPE_writable_pagetables  2   /* emulate PTE writes      */
#define VMASST_TYPE_pae_extended_cr3     3   /* 32-bit PAE only         */
#define VMASST_TYPE_architectural_iopl   4   /* virtual IOPL as on HW   */
#define VMASST_TYPE_runstate_update_flag 5   /* XEN_RUNSTATE_UPDATE bit */
#define VMASST_TYPE_m2p_strict           32  /* user-mode M2P mapping   */
#define MAX_VMASST_TYPE                  5

/* Reserved domain ids. */
typedef uint16_t domid_t;
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF           0x7FF0U  /* the calling domain               */
#define DOMID_IO             0x7FF1U  /* owner of MMIO/IO frames          */
#define DOMID_XEN            0x7FF2U  /* the hypervisor's own frames      */
#define DOMID_COW            0x7FF3U  /* shared copy-on-write frames      */
#define DOMID_INVALID        0x7FF4U  /* "no domain"                      */
#define DOMID_IDLE           0x7FFFU  /* the idle domain                  */
#define DOMID_MASK           0x7FFFU

/* One request of mmu_update. */
struct mmu_update
{
    uint64_t ptr;   /* IN: machine address of the entry | MMU_* command */
    uint64_t val;   /* IN: new contents                                */
};
typedef struct mmu_update mmu_update_t;
DEFINE_XEN_GUEST_HANDLE(mmu_update_t);
_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update size");

/*
 * multicall(list, count): run each entry's hypercall in order and store
 * its return value in 'result'.
 */
struct multicall_entry
{
    xen_ulong_t op;       /* IN: hypercall number   */
    xen_ulong_t result;   /* OUT: its return value  */
    xen_ulong_t args[6];  /* IN                     */
};
typedef struct multicall_entry multicall_entry_t;
DEFINE_XEN_GUEST_HANDLE(multicall_entry_t);
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry size");

/*
 * Per-vCPU time base.  'version' is odd while the hypervisor updates the
 * record; read it, the fields, then 'version' again.
 * now = system_time + ((((tsc - tsc_timestamp) << tsc_shift)
 *                        * tsc_to_system_mul) >> 32)   (shift may be < 0)
 */
struct vcpu_time_info
{
    uint32_t version;            /* OUT */
    uint32_t pad0;
    uint64_t tsc_timestamp;      /* OUT: TSC at the last update          */
    uint64_t system_time;        /* OUT: ns since boot at that TSC       */
    uint32_t tsc_to_system_mul;  /* OUT: 32.32 fixed-point ns per tick   */
    int8_t   tsc_shift;          /* OUT                                  */
    uint8_t  flags;              /* OUT: XEN_PVCLOCK_*                   */
    uint8_t  pad1[2];
};
typedef struct vcpu_time_info vcpu_time_info_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_time_info_t);
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info size");
_Static_assert(__builtin_offsetof(struct vcpu_time_info, tsc_shift) == 28,
               "tsc_shift");

#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0)
#define XEN_PVCLOCK_GUEST_STOPPED  (1 << 1)

/*
 * Per-vCPU event and time state.  Either in shared_info (vCPUs below
 * XEN_LEGACY_MAX_VCPUS) or where VCPUOP_register_vcpu_info put it.
 */
struct vcpu_info
{
    uint8_t evtchn_upcall_pending;   /* OUT: set by HV, cleared by guest */
    uint8_t evtchn_upcall_mask;      /* IN: non-zero = no upcalls        */
    xen_ulong_t evtchn_pending_sel;  /* OUT: which pending words changed */
    struct arch_vcpu_info arch;
    vcpu_time_info_t time;
};
typedef struct vcpu_info vcpu_info_t;
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info size");
_Static_assert(__builtin_offsetof(struct vcpu_info, evtchn_pending_sel) == 8,
               "evtchn_pending_sel");
_Static_assert(__builtin_offsetof(struct vcpu_info, arch) == 16, "arch");
_Static_assert(__builtin_offsetof(struct vcpu_info, time) == 32, "time");

/* The page every domain shares with the hypervisor. */
struct shared_info
{
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[sizeof(xen_ulong_t) * 8]; /* OUT; guest clears */
    xen_ulong_t evtchn_mask[sizeof(xen_ulong_t) * 8];    /* IN              */
    uint32_t wc_version;   /* OUT: wallclock; odd while updating            */
    uint32_t wc_sec;       /* OUT: seconds since the epoch at system time 0 */
    uint32_t wc_nsec;      /* OUT                                           */
    uint32_t wc_sec_hi;    /* OUT: upper 32 bits of the seconds             */
    struct arch_shared_info arch;
};
typedef struct shared_info shared_info_t;
#define SHI_OFF(f) __builtin_offsetof(struct shared_info, f)
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info size");
_Static_assert(SHI_OFF(evtchn_pending) == 2048, "evtchn_pending");
_Static_assert(SHI_OFF(evtchn_mask) == 2560, "evtchn_mask");
_Static_assert(SHI_OFF(wc_version) == 3072, "wc_version");
_Static_assert(SHI_OFF(wc_sec_hi) == 3084, "wc_sec_hi");
_Static_assert(SHI_OFF(arch) == 3088, "arch");
_Static_assert(SHI_OFF(arch.nmi_reason) == 3104, "nmi_reason");
#undef SHI_OFF

/*
 * start_info: handed to a PV kernel in %rsi at its entry point.
 * Start-of-day layout: kernel, [initrd], [p2m], start_info, bootstrap page
 * tables, one stack page, padding to a 4 MiB boundary (at least 512 KiB),
 * all mapped contiguously from VIRT_BASE and backed by the first PFNs.
 */
#define MAX_GUEST_CMDLINE 1024
struct start_info
{
    char magic[32];           /* OUT: "xen-<version>-<platform>"           */
    uint64_t nr_pages;        /* OUT: pages allocated to the domain        */
    uint64_t shared_info;     /* OUT: MACHINE address of shared_info       */
    uint32_t flags;           /* OUT: SIF_*                                */
    xen_pfn_t store_mfn;      /* OUT: xenstore ring MFN (domU)             */
    uint32_t store_evtchn;    /* OUT: xenstore event channel (0 in dom0)   */
    union
    {
        struct
        {
            xen_pfn_t mfn;    /* OUT: console ring MFN                     */
            uint32_t evtchn;  /* OUT: console event channel                */
        } domU;
        struct
        {
            uint32_t info_off;  /* OUT: offset of dom0_vga_console_info    */
            uint32_t info_size; /* OUT: its size                           */
        } dom0;
    } console;
    uint64_t pt_base;         /* OUT: VIRTUAL address of the bootstrap L4  */
    uint64_t nr_pt_frames;    /* OUT: bootstrap page-table frames          */
    uint64_t mfn_list;        /* OUT: VIRTUAL address of the p2m array     */
    uint64_t mod_start;       /* OUT: initrd VA, or PFN (SIF_MOD_START_PFN) */
    uint64_t mod_len;         /* OUT: initrd size in bytes                 */
    int8_t cmd_line[MAX_GUEST_CMDLINE]; /* OUT: NUL-terminated            */
    uint64_t first_p2m_pfn;   /* OUT: first PFN of the separate p2m area   */
    uint64_t nr_p2m_frames;   /* OUT: its size in frames                   */
};
typedef struct start_info start_info_t;
#define SI_OFF(f) __builtin_offsetof(struct start_info, f)
_Static_assert(sizeof(struct start_info) == 1168, "start_info size");
_Static_assert(SI_OFF(nr_pages) == 32, "nr_pages");
_Static_assert(SI_OFF(shared_info) == 40, "shared_info");
_Static_assert(SI_OFF(flags) == 48, "flags");
_Static_assert(SI_OFF(store_mfn) == 56, "store_mfn");
_Static_assert(SI_OFF(store_evtchn) == 64, "store_evtchn");
_Static_assert(SI_OFF(console) == 72, "console");
_Static_assert(SI_OFF(console.domU.evtchn) == 80, "console.domU.evtchn");
_Static_assert(SI_OFF(console.dom0.info_size) == 76, "console.dom0.info_size");
_Static_assert(SI_OFF(pt_base) == 88, "pt_base");
_Static_assert(SI_OFF(nr_pt_frames) == 96, "nr_pt_frames");
_Static_assert(SI_OFF(mfn_list) == 104, "mfn_list");
_Static_assert(SI_OFF(mod_start) == 112, "mod_start");
_Static_assert(SI_OFF(mod_len) == 120, "mod_len");
_Static_assert(SI_OFF(cmd_line) == 128, "cmd_line");
_Static_assert(SI_OFF(first_p2m_pfn) == 1152, "first_p2m_pfn");
_Static_assert(SI_OFF(nr_p2m_frames) == 1160, "nr_p2m_frames");
#undef SI_OFF

/* start_info.flags */
#define SIF_PRIVILEGED      (1 << 0)  /* the domain is privileged          */
#define SIF_INITDOMAIN      (1 << 1)  /* the initial control domain        */
#define SIF_MULTIBOOT_MOD   (1 << 2)  /* mod_start is a multiboot module list */
#define SIF_MOD_START_PFN   (1 << 3)  /* mod_start is a PFN, not a VA      */
#define SIF_VIRT_P2M_4TOOLS (1 << 4)  /* tools understand the linear p2m   */
#define SIF_PM_MASK         (0xFF << 8) /* reserved for power management   */

/* dom0 video information, placed after start_info (console.dom0). */
#define XEN_VGATYPE_TEXT_MODE_3 0x03
#define XEN_VGATYPE_VESA_LFB    0x23
#define XEN_VGATYPE_EFI_LFB     0x70

/* XENVER_guest_handle and the toolstack: a domain's UUID. */
typedef uint8_t xen_domain_handle_t[16];

typedef uint8_t  xen_uint8_t;
typedef uint16_t xen_uint16_t;
typedef uint32_t xen_uint32_t;
typedef uint64_t xen_uint64_t;

/* Handles for the basic types used by several families. */
DEFINE_XEN_GUEST_HANDLE(char);
__DEFINE_XEN_GUEST_HANDLE(uchar, unsigned char);
DEFINE_XEN_GUEST_HANDLE(int);
__DEFINE_XEN_GUEST_HANDLE(uint, unsigned int);
DEFINE_XEN_GUEST_HANDLE(void);
DEFINE_XEN_GUEST_HANDLE(uint64_t);
DEFINE_XEN_GUEST_HANDLE(xen_pfn_t);
DEFINE_XEN_GUEST_HANDLE(xen_ulong_t);

/* A flexible trailing array. */
#define XEN_FLEX_ARRAY_DIM

#endif /* XEN_PUBLIC_XEN_H */
