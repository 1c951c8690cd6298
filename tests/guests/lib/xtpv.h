/*
 * xtpv.h: the PV CPU and memory side of the in-guest test framework.
 *
 * - x86 helpers (CPUID, MSRs, control registers, TSC) and PTE bits;
 * - ABI constants our include/public does not have yet (memory_op,
 *   physdev_op), defined locally with an xt_/XT_ prefix where a struct is
 *   involved so that a later public header cannot clash;
 * - HYPERVISOR_* wrappers for every hypercall of the CPU/memory issue;
 * - traps: a full trap table whose stubs save a struct xt_regs frame,
 *   "expect a fault here" through an exception table (XT_EXTABLE), the
 *   event/failsafe/syscall callbacks, a guard that turns an unexpected
 *   fault into a test error instead of a dead domain;
 * - memory: p2m/M2P access, page-table walks, a page allocator over the
 *   spare part of the initial mapping, mapping helpers;
 * - events: shared_info, VIRQ_TIMER, one-shot timers, the upcall;
 * - user mode: a user L4, entering user mode through the iret hypercall.
 */
#ifndef XTEST_XTPV_H
#define XTEST_XTPV_H

#include "xtest.h"

#include <public/callback.h>
#include <public/event_channel.h>
#include <public/sched.h>
#include <public/vcpu.h>

/* ------------------------------------------------------------------ */
/* ABI constants missing from include/public (values: Xen's public/).  */

/* memory.h */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_maximum_ram_page     2
#define XENMEM_current_reservation  3
#define XENMEM_maximum_reservation  4
#define XENMEM_populate_physmap     6
#define XENMEM_memory_map           9
#define XENMEM_machine_memory_map   10
#define XENMEM_machphys_mapping     12
#define XENMEM_maximum_gpfn         14

struct xt_memory_reservation
{
    uint64_t extent_start;   /* IN/OUT: handle to xen_pfn_t[]          */
    uint64_t nr_extents;     /* IN                                     */
    uint32_t extent_order;   /* IN                                     */
    uint32_t mem_flags;      /* IN: address bits in bits 0-7           */
    uint16_t domid;          /* IN                                     */
};
_Static_assert(sizeof(struct xt_memory_reservation) == 32, "reservation");

struct xt_machphys_mapping
{
    uint64_t v_start, v_end;  /* OUT: M2P window                       */
    uint64_t max_mfn;         /* OUT: highest MFN the window covers     */
};

struct xt_memory_map
{
    uint32_t nr_entries;      /* IN: buffer size; OUT: entries written  */
    uint32_t _pad;
    uint64_t buffer;          /* IN: handle to e820 entries             */
};

struct xt_e820
{
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

/* physdev.h */
#define PHYSDEVOP_set_iopl     6
#define PHYSDEVOP_set_iobitmap 7

/* nmi.h */
#define XENNMI_register_callback   0
#define XENNMI_unregister_callback 1

/* xen.h: mmuext_op.arg1/arg2 are unions; we fill them as integers. */
#define XT_MMUEXT(c_, a1_, a2_) \
    ((struct mmuext_op){ .cmd = (c_), .arg1.mfn = (a1_), .arg2.src_mfn = (a2_) })

/* ------------------------------------------------------------------ */
/* x86.                                                                */

#define X86_EFLAGS_CF   0x00000001UL
#define X86_EFLAGS_TF   0x00000100UL
#define X86_EFLAGS_IF   0x00000200UL
#define X86_EFLAGS_DF   0x00000400UL
#define X86_EFLAGS_IOPL 0x00003000UL
#define X86_EFLAGS_NT   0x00004000UL
#define X86_EFLAGS_AC   0x00040000UL

#define X86_CR0_TS      (1UL << 3)

#define X86_EXC_DE  0
#define X86_EXC_DB  1
#define X86_EXC_NMI 2
#define X86_EXC_BP  3
#define X86_EXC_OF  4
#define X86_EXC_BR  5
#define X86_EXC_UD  6
#define X86_EXC_NM  7
#define X86_EXC_DF  8
#define X86_EXC_TS  10
#define X86_EXC_NP  11
#define X86_EXC_SS  12
#define X86_EXC_GP  13
#define X86_EXC_PF  14
#define X86_EXC_MF  16
#define X86_EXC_AC  17
#define X86_EXC_MC  18
#define X86_EXC_XM  19

#define PFEC_present (1U << 0)
#define PFEC_write   (1U << 1)
#define PFEC_user    (1U << 2)
#define PFEC_rsvd    (1U << 3)
#define PFEC_insn    (1U << 4)

#define _PAGE_PRESENT  0x001UL
#define _PAGE_RW       0x002UL
#define _PAGE_USER     0x004UL
#define _PAGE_PWT      0x008UL
#define _PAGE_PCD      0x010UL
#define _PAGE_ACCESSED 0x020UL
#define _PAGE_DIRTY    0x040UL
#define _PAGE_PSE      0x080UL
#define _PAGE_PAT      0x080UL
#define _PAGE_GLOBAL   0x100UL
#define _PAGE_NX       (1UL << 63)
#define PTE_MFN_MASK   0x000ffffffffff000UL
#define pte_mfn(p)     (((p) & PTE_MFN_MASK) >> 12)

#define XT_VIRT_BASE   0xffffffff80000000UL
#define L1_IDX(va) (((va) >> 12) & 511)
#define L2_IDX(va) (((va) >> 21) & 511)
#define L3_IDX(va) (((va) >> 30) & 511)
#define L4_IDX(va) (((va) >> 39) & 511)

#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SYSCALL_MASK    0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_SHADOW_GS_BASE  0xc0000102
#define MSR_TSC_AUX         0xc0000103
#define MSR_IA32_TSC        0x00000010
#define MSR_APIC_BASE       0x0000001b
#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_MTRRcap         0x000000fe
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MSR_PAT             0x00000277

struct xt_cpuid
{
    uint32_t a, b, c, d;
};

static inline struct xt_cpuid xt_cpuid_native(uint32_t leaf, uint32_t sub)
{
    struct xt_cpuid r;

    asm volatile ( "cpuid" : "=a" (r.a), "=b" (r.b), "=c" (r.c), "=d" (r.d)
                   : "0" (leaf), "2" (sub) );
    return r;
}

/* CPUID through the forced-emulation prefix: the hypervisor's answer. */
static inline struct xt_cpuid xt_cpuid(uint32_t leaf, uint32_t sub)
{
    struct xt_cpuid r;

    asm volatile ( XEN_CPUID : "=a" (r.a), "=b" (r.b), "=c" (r.c), "=d" (r.d)
                   : "0" (leaf), "2" (sub) );
    return r;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile ( "lfence; rdtsc" : "=a" (lo), "=d" (hi) );
    return ((uint64_t)hi << 32) | lo;
}

static inline void barrier(void)
{
    asm volatile ( "" ::: "memory" );
}

#define ACCESS_ONCE(x) (*(volatile typeof(x) *)&(x))

/* ------------------------------------------------------------------ */
/* Hypercalls.                                                         */

#define HC(nr, a1, a2, a3, a4, a5)                                      \
    xt_hypercall(nr, (unsigned long)(a1), (unsigned long)(a2),           \
                 (unsigned long)(a3), (unsigned long)(a4),               \
                 (unsigned long)(a5))

static inline long HYPERVISOR_set_trap_table(const struct trap_info *t)
{
    return HC(__HYPERVISOR_set_trap_table, t, 0, 0, 0, 0);
}

static inline long HYPERVISOR_mmu_update(const struct mmu_update *req,
                                         unsigned int count,
                                         unsigned int *done, unsigned int dom)
{
    return HC(__HYPERVISOR_mmu_update, req, count, done, dom, 0);
}

static inline long HYPERVISOR_mmuext_op(const struct mmuext_op *op,
                                        unsigned int count,
                                        unsigned int *done, unsigned int dom)
{
    return HC(__HYPERVISOR_mmuext_op, op, count, done, dom, 0);
}

static inline long HYPERVISOR_set_gdt(const unsigned long *frames,
                                      unsigned int entries)
{
    return HC(__HYPERVISOR_set_gdt, frames, entries, 0, 0, 0);
}

static inline long HYPERVISOR_stack_switch(unsigned long ss, unsigned long sp)
{
    return HC(__HYPERVISOR_stack_switch, ss, sp, 0, 0, 0);
}

static inline long HYPERVISOR_set_callbacks(unsigned long event,
                                            unsigned long failsafe,
                                            unsigned long syscall)
{
    return HC(__HYPERVISOR_set_callbacks, event, failsafe, syscall, 0, 0);
}

static inline long HYPERVISOR_fpu_taskswitch(int set)
{
    return HC(__HYPERVISOR_fpu_taskswitch, (long)set, 0, 0, 0, 0);
}

static inline long HYPERVISOR_set_debugreg(int reg, unsigned long value)
{
    return HC(__HYPERVISOR_set_debugreg, (long)reg, value, 0, 0, 0);
}

static inline long HYPERVISOR_get_debugreg(int reg)
{
    return HC(__HYPERVISOR_get_debugreg, (long)reg, 0, 0, 0, 0);
}

static inline long HYPERVISOR_update_descriptor(uint64_t maddr, uint64_t desc)
{
    return HC(__HYPERVISOR_update_descriptor, maddr, desc, 0, 0, 0);
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return HC(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0);
}

static inline long HYPERVISOR_multicall(struct multicall_entry *list,
                                        unsigned int nr)
{
    return HC(__HYPERVISOR_multicall, list, nr, 0, 0, 0);
}

static inline long HYPERVISOR_set_timer_op(uint64_t timeout)
{
    return HC(__HYPERVISOR_set_timer_op, timeout, 0, 0, 0, 0);
}

static inline long HYPERVISOR_vm_assist(unsigned int cmd, unsigned int type)
{
    return HC(__HYPERVISOR_vm_assist, cmd, type, 0, 0, 0);
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return HC(__HYPERVISOR_vcpu_op, (long)cmd, vcpu, arg, 0, 0);
}

static inline long HYPERVISOR_set_segment_base(int which, unsigned long base)
{
    return HC(__HYPERVISOR_set_segment_base, (long)which, base, 0, 0, 0);
}

static inline long HYPERVISOR_nmi_op(unsigned int cmd, void *arg)
{
    return HC(__HYPERVISOR_nmi_op, cmd, arg, 0, 0, 0);
}

static inline long HYPERVISOR_callback_op(int cmd, void *arg)
{
    return HC(__HYPERVISOR_callback_op, (long)cmd, arg, 0, 0, 0);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
    return HC(__HYPERVISOR_event_channel_op, (long)cmd, arg, 0, 0, 0);
}

static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{
    return HC(__HYPERVISOR_physdev_op, (long)cmd, arg, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Traps.                                                              */

/* The frame our entry stubs build; lowest address first. */
struct xt_regs
{
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint64_t vector;      /* stub's vector, or XT_VEC_* for callbacks */
    uint64_t error_code;  /* 0 where the vector has none              */
    uint64_t rip;
    uint64_t cs;          /* bits 32-39: saved upcall mask            */
    uint64_t rflags, rsp, ss;
};
_Static_assert(sizeof(struct xt_regs) == 22 * 8, "xt_regs");

#define XT_VEC_EVENT    0x100   /* event upcall                        */
#define XT_VEC_SYSCALL  0x101   /* syscall from guest user mode        */
#define XT_VEC_FAILSAFE 0x102   /* failsafe callback (frame differs)   */

/* What the last fault caught by an exception-table entry looked like. */
struct xt_fault
{
    bool valid;
    unsigned int vector;
    uint64_t error_code, rip, cr2, cs, rflags, rsp;
};
extern struct xt_fault xt_last_fault;
extern unsigned long xt_nr_traps[256];  /* per vector, every delivery */

/*
 * XT_EXTABLE(fault, fixup): if the instruction at 'fault' raises an
 * exception (or a trap-like event lands at 'fixup'), the handler
 * records it in xt_last_fault and resumes at 'fixup'.
 */
#define XT_EXTABLE(fault, fixup)                        \
    ".pushsection .xt_extable, \"a\"\n\t"               \
    ".balign 8\n\t"                                     \
    ".quad " #fault ", " #fixup "\n\t"                  \
    ".popsection\n\t"

static inline void xt_fault_clear(void)
{
    xt_last_fault.valid = false;
    barrier();
}

/* Vector of the fault recorded since xt_fault_clear(), or -1. */
static inline int xt_fault_vec(void)
{
    barrier();
    return xt_last_fault.valid ? (int)xt_last_fault.vector : -1;
}

/* A per-vector hook: return true if it handled the event. */
typedef bool (*xt_trap_hook_t)(struct xt_regs *regs);
extern xt_trap_hook_t xt_trap_hooks[256];
extern xt_trap_hook_t xt_event_hook, xt_syscall_hook, xt_failsafe_hook;
extern uint64_t xt_failsafe_segs[4];   /* ds, es, fs, gs of the last one */

/* Install the trap table, stack_switch stack and callbacks (idempotent). */
void xt_traps_init(void);
/* Build a full trap table (all vectors), with 'dpl' for 0x20..0xff. */
void xt_trap_table_fill(struct trap_info *ti, unsigned int nr);
unsigned long xt_trap_entry(unsigned int vector);
extern const struct trap_info *xt_default_trap_table;

/* Register the event/failsafe/syscall callbacks with callback_op. */
long xt_register_callback(unsigned int type, unsigned long addr,
                          unsigned int flags);
extern char xt_event_entry[], xt_failsafe_entry[], xt_syscall_entry[];

/* Return to the frame through the iret hypercall; flags = VGCF_*. */
void __attribute__((noreturn)) xt_iret_to(struct xt_regs *regs,
                                          unsigned long flags);

/* Tiny setjmp/longjmp for the guard and for leaving user mode. */
struct xt_jmpbuf
{
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
int xt_setjmp(struct xt_jmpbuf *jb) __attribute__((returns_twice));
void __attribute__((noreturn)) xt_longjmp(struct xt_jmpbuf *jb, int val);


/* The event mask byte of vCPU 0 (in shared_info once mapped). */
uint8_t *xt_upcall_mask(void);
struct vcpu_info *xt_vcpu_info(void);

/* Single-instruction probes: the vector raised, or -1. */
int xt_probe_read(unsigned long va, uint64_t *val);
int xt_probe_write(unsigned long va, uint64_t val);
int xt_probe_rdmsr(uint32_t msr, uint64_t *val);
int xt_probe_wrmsr(uint32_t msr, uint64_t val);

/* ------------------------------------------------------------------ */
/* Memory.                                                             */

extern uint64_t *xt_p2m;                 /* start_info->mfn_list       */
#define xt_m2p ((const uint64_t *)MACH2PHYS_VIRT_START)

void xt_mm_init(void);
uint64_t xt_virt_to_mfn(const void *va);       /* initial mapping only */
void *xt_mfn_to_virt(uint64_t mfn);            /* via M2P; NULL if none */
uint64_t xt_initial_mapping_end(void);

/* A zeroed, page-aligned, writable page from the spare initial mapping. */
void *xt_alloc_page(void);
void xt_free_page(void *p);   /* must be mapped writable again */

/* The current kernel L4 (VA) and the walk to the L1 entry of 'va'. */
extern uint64_t *xt_cur_l4;
/* Machine address of the leaf PTE of 'va' in the current tables, or 0. */
uint64_t xt_pte_maddr(unsigned long va);
/* Value of the level-'lvl' entry (4..1) covering 'va'; 0 if absent. */
uint64_t xt_pt_entry(unsigned long va, unsigned int lvl);
/* Machine address of the level-'lvl' entry covering 'va' (table present). */
uint64_t xt_pt_entry_maddr(unsigned long va, unsigned int lvl);

/* One mmu_update request; returns the hypercall's result. */
long xt_mmu_update1(uint64_t ptr, uint64_t val);
long xt_mmuext1(unsigned int cmd, uint64_t arg1, uint64_t arg2);
/* Change the PTE of 'va' (a page of ours) with update_va_mapping. */
long xt_set_pte(unsigned long va, uint64_t pte, unsigned long flags);
long xt_make_ro(const void *va);
long xt_make_rw(const void *va);

/* Map machine frame 'mfn' at a fresh VA of the scratch window. */
void *xt_map_mfn(uint64_t mfn, uint64_t flags);
void xt_unmap(void *va);
/* A fresh VA of the scratch window whose L1 exists (and is not mapped). */
unsigned long xt_scratch_va(void);

/* ------------------------------------------------------------------ */
/* Events and time.                                                    */

extern struct shared_info *xt_shared_info;
void xt_events_init(void);                 /* maps shared_info          */
uint64_t xt_system_time(void);             /* pvclock, ns               */
uint64_t xt_tsc_khz(void);
typedef void (*xt_port_handler_t)(unsigned int port, struct xt_regs *regs);
int xt_bind_virq(unsigned int virq, xt_port_handler_t h);
/*
 * Preemption checks: a one-shot timer armed just before a long hypercall
 * must tick while it runs, so that its upcall lands on the SYSCALL the
 * continuation rewound to.  xt_first_tick is a VIRQ_TIMER handler noting
 * the first tick (xt_ticks counts them; reset both before arming).
 */
extern volatile unsigned int xt_ticks;
extern volatile unsigned long xt_tick_rip;
void xt_first_tick(unsigned int port, struct xt_regs *regs);
bool xt_rip_at_syscall(unsigned long rip);      /* rip is on 0f 05 */
void xt_unbind(unsigned int port);
void xt_unmask_port(unsigned int port);
void xt_events_enable(void);   /* clear upcall mask, deliver pending     */
void xt_events_disable(void);

/* ------------------------------------------------------------------ */
/* User mode.                                                          */

/* Section attributes for code/data the user L4 maps. */
#define XT_USER_TEXT __attribute__((section(".text.xtuser"), noinline))
#define XT_USER_DATA __attribute__((section(".data.xtuser")))

/* Build and install the user L4 (NEW_USER_BASEPTR); idempotent. */
long xt_user_init(void);
extern uint64_t xt_user_l4_mfn;
/*
 * Run fn(arg) in guest user mode on a user stack; it ends when the user
 * code makes syscall XT_SYS_exit (its argument is returned) or an
 * unhandled fault kills it (returns XT_USER_KILLED | vector).
 */
long xt_run_user(long (*fn)(long), long arg);
/* The same from a prepared frame (xt_user_frame: stack 0 or 1). */
void xt_user_frame(struct xt_regs *r, long (*fn)(long), long arg,
                   unsigned int which);
long xt_run_user_frame(struct xt_regs *frame);
unsigned long xt_user_stack_top(unsigned int which);
#define XT_USER_HEAP 0x0000000040000000UL   /* L4 slot 0: shared L3 */
#define XT_USER_KILLED 0x10000L
#define XT_SYS_exit    60
/* A syscall from user mode: return value in rax. Set by the test. */
typedef long (*xt_sys_handler_t)(struct xt_regs *regs);
extern xt_sys_handler_t xt_sys_handler;
/* Return path of the syscall callback: VGCF_in_syscall or 0. */
extern unsigned long xt_sysret_flags;

static inline long xt_user_syscall(long nr, long a1, long a2)
{
    long ret;

    asm volatile ( "syscall"
                   : "=a" (ret), "+D" (a1), "+S" (a2)
                   : "0" (nr) : "rcx", "r11", "memory" );
    return ret;
}

#endif /* XTEST_XTPV_H */
