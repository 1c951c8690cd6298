/*
 * Descriptor tables, exception and interrupt dispatch, fatal-fault reports.
 *
 * Per CPU: a GDT window of 16 pages (GDT_WINDOW_START + cpu * 64 KiB)
 * whose first 14 pages will hold the running vCPU's own GDT frames (until
 * then a zeroed page, read-only) and whose 15th page holds the reserved
 * descriptors at Xen's selectors (0xe008 hypervisor code ... 0xe033 guest
 * 64-bit code, TSS at 0xe038); a TSS whose RSP0 is the guest_regs frame
 * and whose IST slots give #DF, NMI and #MC their own stacks; and a small
 * SYSCALL stub, since SYSCALL does not switch stacks.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/current.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include "x86.h"

BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, rbx) != REGS_RBX);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, rax) != REGS_RAX);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, rcx) != REGS_RCX);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, error_code) != REGS_ERROR_CODE);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, entry_vector) != REGS_VECTOR);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, rip) != REGS_RIP);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, cs) != REGS_CS);
BUILD_BUG_ON(__builtin_offsetof(struct cpu_regs, ss) != REGS_SS);
BUILD_BUG_ON(sizeof(struct cpu_regs) != REGS_SIZE);
BUILD_BUG_ON(sizeof(struct cpu_info) != CPUINFO_SIZE);
/* The hardware aligns RSP0 to 16 before pushing: keep the frame aligned. */
BUILD_BUG_ON((CPUINFO_SIZE - REGS_SIZE) % 16 != 0);

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type_attr;
    uint16_t off_mid;
    uint32_t off_hi, zero;
};
BUILD_BUG_ON(sizeof(struct idt_entry) != 16);

struct tss64 {
    uint32_t rsv0;
    uint64_t rsp[3];
    uint64_t rsv1;
    uint64_t ist[7];
    uint64_t rsv2;
    uint16_t rsv3, iomap_base;
} __packed;
BUILD_BUG_ON(sizeof(struct tss64) != 104);

struct percpu {
    struct tss64 tss __aligned(16);
    uint64_t *gdt_page;
    uint8_t syscall_stub[64] __aligned(16);
    uint8_t syscall32_stub[64] __aligned(16);
};

static struct idt_entry idt[256] __aligned(16);
static struct percpu percpu[NR_CPUS];
static void *zero_page;

extern char exc_0[], exc_1[], exc_2[], exc_3[], exc_4[], exc_5[], exc_6[],
    exc_7[], exc_8[], exc_9[], exc_10[], exc_11[], exc_12[], exc_13[],
    exc_14[], exc_15[], exc_16[], exc_17[], exc_18[], exc_19[], exc_20[],
    exc_21[], exc_22[], exc_23[], exc_24[], exc_25[], exc_26[], exc_27[],
    exc_28[], exc_29[], exc_30[], exc_31[];
extern char irq_stubs[], lstar_enter[], cstar_enter[];
extern const unsigned long __ex_table_start[], __ex_table_end[];
extern char __image_start[], __image_end[];

static char *const exc_entry[32] = {
    exc_0, exc_1, exc_2, exc_3, exc_4, exc_5, exc_6, exc_7, exc_8, exc_9,
    exc_10, exc_11, exc_12, exc_13, exc_14, exc_15, exc_16, exc_17, exc_18,
    exc_19, exc_20, exc_21, exc_22, exc_23, exc_24, exc_25, exc_26, exc_27,
    exc_28, exc_29, exc_30, exc_31,
};

static const char *const trap_names[32] = {
    "divide error", "debug", "NMI", "int3", "overflow", "bounds",
    "invalid opcode", "device not available", "double fault",
    "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection fault", "page fault", "reserved",
    "x87 FPU error", "alignment check", "machine check", "SIMD error",
    "virtualisation", "control protection",
};

void *gdt_zero_page(void)
{
    return zero_page;
}

const char *trap_name(unsigned int vec)
{
    if ( vec < 32 && trap_names[vec] )
        return trap_names[vec];
    if ( vec == ENTRY_SYSCALL || vec == ENTRY_SYSCALL32 )
        return "syscall";
    return "interrupt";
}

static void set_gate(unsigned int vec, void *handler, unsigned int dpl,
                     unsigned int ist)
{
    unsigned long a = (unsigned long)handler;

    idt[vec] = (struct idt_entry){
        .off_lo = a & 0xffff, .sel = HYPERVISOR_CS, .ist = ist,
        .type_attr = 0x8e | (dpl << 5),     /* present, interrupt gate */
        .off_mid = (a >> 16) & 0xffff, .off_hi = a >> 32,
    };
}

void idt_init(void)
{
    unsigned int v;

    for ( v = 0; v < 32; v++ )
        set_gate(v, exc_entry[v], 0, 0);
    /* int3 and into stay usable from the guest, as on hardware. */
    set_gate(TRAP_int3, exc_3, 3, 0);
    set_gate(TRAP_overflow, exc_4, 3, 0);
    set_gate(TRAP_double_fault, exc_8, 0, 1);
    set_gate(TRAP_nmi, exc_2, 0, 2);
    set_gate(TRAP_machine_check, exc_18, 0, 3);
    set_gate(TRAP_debug, exc_1, 0, 4);
    for ( v = 32; v < 256; v++ )
        set_gate(v, irq_stubs + (v - 32) * 16, 0, 0);
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint16_t flags)
{
    return (limit & 0xffffUL) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)flags << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)(base >> 24) << 56);
}

/* Emits the SYSCALL trampoline for one CPU (see the file comment). */
static void write_syscall_stub(uint8_t *p, struct cpu_info *ci,
                               uint16_t guest_cs, void *target)
{
    uint64_t rax_slot = (uint64_t)&ci->guest_regs.rax;
    uint64_t frame_end = (uint64_t)(&ci->guest_regs + 1);
    uint64_t tgt = (uint64_t)target;
    uint32_t ds = GUEST_DS, cs = guest_cs;

#define EMIT(...) do { const uint8_t b_[] = { __VA_ARGS__ };                 \
                       memcpy(p, b_, sizeof(b_)); p += sizeof(b_); } while ( 0 )
#define EMIT64(v) do { uint64_t v_ = (v); memcpy(p, &v_, 8); p += 8; } while ( 0 )
#define EMIT32(v) do { uint32_t v_ = (v); memcpy(p, &v_, 4); p += 4; } while ( 0 )
    EMIT(0x48, 0xa3); EMIT64(rax_slot);     /* movabs %rax, rax_slot */
    EMIT(0x48, 0x89, 0xe0);                 /* mov %rsp, %rax */
    EMIT(0x48, 0xbc); EMIT64(frame_end);    /* movabs $frame_end, %rsp */
    EMIT(0x68); EMIT32(ds);                 /* push $ss */
    EMIT(0x50);                             /* push %rax (guest rsp) */
    EMIT(0x41, 0x53);                       /* push %r11 (rflags) */
    EMIT(0x68); EMIT32(cs);                 /* push $cs */
    EMIT(0x51);                             /* push %rcx (rip) */
    EMIT(0x48, 0xb8); EMIT64(tgt);          /* movabs $target, %rax */
    EMIT(0xff, 0xe0);                       /* jmp *%rax */
#undef EMIT
#undef EMIT64
#undef EMIT32
}

/* Brings up descriptor tables and SYSCALL on this CPU. */
/* The TSS: the guest frame's stack for ring-3 entries, IST stacks. */
static void init_tss(struct percpu *pc, struct cpu_info *ci,
                     void *stack_block)
{
    memset(&pc->tss, 0, sizeof(pc->tss));
    pc->tss.rsp[0] = (uint64_t)(&ci->guest_regs + 1);
    pc->tss.ist[0] = (uint64_t)stack_block + (IST_DF_PAGE + 1) * PAGE_SIZE;
    pc->tss.ist[1] = (uint64_t)stack_block + (IST_NMI_PAGE + 1) * PAGE_SIZE;
    pc->tss.ist[2] = (uint64_t)stack_block + (IST_MCE_PAGE + 1) * PAGE_SIZE;
    /*
     * #DB shares the #DF page: a #DF is fatal, and the #DB handler touches
     * no guest memory, so neither nests in the other in a way that matters.
     */
    pc->tss.ist[3] = (uint64_t)stack_block + (IST_DF_PAGE + 1) * PAGE_SIZE;
    pc->tss.iomap_base = sizeof(pc->tss);   /* no I/O bitmap: all ports fault */
}

/*
 * The hypervisor's reserved GDT page, mapped after the guest's frames
 * (zero pages until a guest loads its own) in this CPU's GDT window.
 */
static void init_gdt(struct percpu *pc, unsigned long win)
{
    uint64_t *g, tss = (uint64_t)&pc->tss;
    unsigned int i;

    if ( !zero_page )
        zero_page = alloc_xenheap_pages(0);
    pc->gdt_page = alloc_xenheap_pages(0);
    BUG_ON(!zero_page || !pc->gdt_page);
    g = pc->gdt_page;
    g[1] = 0x00af9b000000ffffUL;            /* 0xe008: ring 0, 64-bit code */
    g[2] = 0x00cf93000000ffffUL;            /* 0xe010: ring 0 data */
    g[4] = 0x00cffb000000ffffUL;            /* 0xe023: ring 3, 32-bit code */
    g[5] = 0x00cff3000000ffffUL;            /* 0xe02b: ring 3 data */
    g[6] = 0x00affb000000ffffUL;            /* 0xe033: ring 3, 64-bit code */
    g[7] = seg_desc((uint32_t)tss, sizeof(pc->tss) - 1, 0x89);
    g[8] = tss >> 32;

    for ( i = 0; i < FIRST_RESERVED_GDT_PAGE; i++ )
        map_pages_to_xen(win + i * PAGE_SIZE, virt_to_mfn(zero_page), 1,
                         _PAGE_PRESENT);
    map_pages_to_xen(win + FIRST_RESERVED_GDT_PAGE * PAGE_SIZE,
                     virt_to_mfn(pc->gdt_page), 1, _PAGE_PRESENT | _PAGE_RW);
}

/* Loads the GDT at win, reloads CS and the data segments, IDT and TR. */
static void load_descriptor_tables(unsigned long win)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed gdtr, idtr;

    gdtr.limit = (HV_FIRST_RESERVED_GDT_ENTRY + 512) * 8 - 1;
    gdtr.base = win;
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uint64_t)idt;
    __asm__ __volatile__ (
        "lgdt %0\n\t"
        "pushq %2\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %3, %%eax\n\t"
        "mov %%eax, %%ss\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%eax, %%ds\n\t"
        "mov %%eax, %%es\n\t"
        "mov %%eax, %%fs\n\t"
        "mov %%eax, %%gs\n\t"
        "lidt %1\n\t"
        "mov %4, %%eax\n\t"
        "ltr %%ax"
        :: "m" (gdtr), "m" (idtr), "i" (HYPERVISOR_CS), "i" (HYPERVISOR_DS),
           "i" (TSS_SELECTOR)
        : "rax", "memory" );
}

/* SYSCALL entry stubs and MSRs; SYSENTER faults; segment bases zero. */
static void init_syscall_msrs(struct percpu *pc, struct cpu_info *ci)
{
    write_syscall_stub(pc->syscall_stub, ci, GUEST_CS64, lstar_enter);
    write_syscall_stub(pc->syscall32_stub, ci, GUEST_CS32, cstar_enter);
    wrmsr(MSR_STAR, ((uint64_t)GUEST_CS32 << 48) | ((uint64_t)HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)pc->syscall_stub);
    wrmsr(MSR_CSTAR, (uint64_t)pc->syscall32_stub);
    wrmsr(MSR_SYSCALL_MASK, X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF |
          X86_EFLAGS_NT | X86_EFLAGS_AC | X86_EFLAGS_IOPL);
    wrmsr(MSR_SYSENTER_CS, 0);      /* SYSENTER faults (#GP) */
    wrmsr(MSR_GS_BASE, 0);
    wrmsr(MSR_SHADOW_GS_BASE, 0);
    wrmsr(MSR_FS_BASE, 0);
}

void percpu_traps_init(unsigned int cpu, void *stack_block)
{
    struct percpu *pc = &percpu[cpu];
    struct cpu_info *ci = (struct cpu_info *)((char *)stack_block + STACK_SIZE) - 1;
    unsigned long win = GDT_WINDOW_START + cpu * GDT_WINDOW_SIZE;

    memset(ci, 0, sizeof(*ci));
    ci->cpu_id = cpu;
    init_tss(pc, ci, stack_block);
    init_gdt(pc, win);
    load_descriptor_tables(win);
    init_syscall_msrs(pc, ci);
}

unsigned long search_exception_table(unsigned long rip)
{
    const unsigned long *e;

    for ( e = __ex_table_start; e < __ex_table_end; e += 2 )
        if ( e[0] == rip )
            return e[1];
    return 0;
}

void show_registers(const struct cpu_regs *r)
{
    printk(XENLOG_ERR "RIP: %04lx:%016lx  RFLAGS: %016lx  %s\n",
           r->cs & 0xffff, r->rip, r->rflags,
           (r->cs & 3) ? "(guest)" : "(hypervisor)");
    printk(XENLOG_ERR "RAX: %016lx RBX: %016lx RCX: %016lx\n",
           r->rax, r->rbx, r->rcx);
    printk(XENLOG_ERR "RDX: %016lx RSI: %016lx RDI: %016lx\n",
           r->rdx, r->rsi, r->rdi);
    printk(XENLOG_ERR "RBP: %016lx RSP: %016lx R8:  %016lx\n",
           r->rbp, r->rsp, r->r8);
    printk(XENLOG_ERR "R9:  %016lx R10: %016lx R11: %016lx\n",
           r->r9, r->r10, r->r11);
    printk(XENLOG_ERR "R12: %016lx R13: %016lx R14: %016lx\n",
           r->r12, r->r13, r->r14);
    printk(XENLOG_ERR "R15: %016lx CR2: %016lx CR3: %016lx SS: %04lx\n",
           r->r15, read_cr2(), read_cr3(), r->ss & 0xffff);
}

static bool on_this_stack(unsigned long a, unsigned long sp)
{
    return (a & ~(STACK_SIZE - 1)) == (sp & ~(STACK_SIZE - 1));
}

/* Walks the frame-pointer chain of hypervisor code. */
void show_stack_trace(unsigned long rip, unsigned long rbp)
{
    unsigned int depth = 0;
    unsigned long sp = (unsigned long)__builtin_frame_address(0);

    printk(XENLOG_ERR "Stack trace (addr2line -e build/hypervisor/xenia-syms):\n");
    printk(XENLOG_ERR "   [<%016lx>]\n", rip);
    while ( rbp && on_this_stack(rbp, sp) && !(rbp & 7) && depth++ < 32 )
    {
        const unsigned long *fp = (const unsigned long *)rbp;
        unsigned long ret = fp[1];

        if ( ret < (unsigned long)__image_start ||
             ret >= (unsigned long)__image_end )
            break;
        printk(XENLOG_ERR "   [<%016lx>]\n", ret);
        if ( fp[0] <= rbp )
            break;
        rbp = fp[0];
    }
}

static void __noreturn fatal_trap(const struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;

    printk(XENLOG_ERR "*** FATAL TRAP %u (%s) in the hypervisor, error code %#x\n",
           vec, trap_name(vec), regs->error_code);
    if ( vec == TRAP_page_fault )
        printk(XENLOG_ERR "*** fault address %016lx (%s, %s)\n", read_cr2(),
               regs->error_code & 2 ? "write" : "read",
               regs->error_code & 1 ? "protection" : "not present");
    show_registers(regs);
    show_stack_trace(regs->rip, regs->rbp);
    panic("fatal trap %u (%s) at %016lx", vec, trap_name(vec), regs->rip);
}

#define DR6_DEFAULT 0xffff0ff0UL

static unsigned long read_dr6(void)
{
    unsigned long v;

    __asm__ __volatile__ ( "mov %%db6, %0" : "=r" (v) );
    return v;
}

/*
 * #DB, as Xen 4.17 handles it. The guest's DR0-3/DR7 stay loaded while the
 * hypervisor runs (they can only name guest addresses, so only data
 * watchpoints on guest memory, and single steps, fire here). A hit in
 * hypervisor context is a trap past the access: ignore it, the guest does
 * not see it. A hit in the guest is merged into the DR6 it reads (status
 * bits are sticky until the guest clears them) and then bounced.
 * Returns true when the exception is dealt with.
 */
static bool do_debug(struct cpu_regs *regs)
{
    unsigned long dr6 = read_dr6();
    static unsigned int logged;
    struct vcpu *v = current;

    write_debugreg(6, DR6_DEFAULT);
    if ( (regs->cs & 3) != 3 )
    {
        /* SYSCALL masks TF, so this never steps the hypervisor; be sure. */
        regs->rflags &= ~X86_EFLAGS_TF;
        if ( logged < 8 )
        {
            logged++;
            printk(XENLOG_WARNING "#DB in hypervisor context at %016lx, "
                   "dr6 %lx: ignored\n", regs->rip, dr6);
        }
        return true;
    }
    v->dr[6] |= dr6 & ~DR6_DEFAULT;
    v->dr[6] &= dr6 | ~DR6_DEFAULT;
    return false;
}

void do_trap(struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;
    unsigned long fixup;

    if ( vec == TRAP_debug && do_debug(regs) )
        return;
    if ( (regs->cs & 3) == 3 )
    {
        pv_guest_exception(regs);
        return;
    }
    if ( vec == TRAP_nmi )
    {
        printk(XENLOG_WARNING "NMI received on CPU%u, ignored\n",
               smp_processor_id());
        return;
    }
    fixup = search_exception_table(regs->rip);
    if ( fixup )
    {
        regs->rip = fixup;
        return;
    }
    fatal_trap(regs);
}

void do_irq(struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;

    if ( vec == LAPIC_TIMER_VECTOR )
        timer_interrupt();
    else if ( vec == EVENT_CHECK_VECTOR || vec == INVALIDATE_TLB_VECTOR )
        smp_ipi_interrupt(vec);
    else if ( vec != SPURIOUS_VECTOR )
        printk_once(XENLOG_WARNING "unexpected interrupt vector %u\n", vec);
}

void __noreturn machine_exit(enum xenia_exit code)
{
    local_irq_disable();
    /* QEMU's isa-debug-exit at 0xf4 exits with status (code << 1) | 1. */
    outb(0xf4, (uint8_t)code);
    for ( ;; )
        __asm__ __volatile__ ( "hlt" );
}

void __noreturn panic(const char *fmt, ...)
{
    va_list ap;
    char buf[256];

    local_irq_disable();
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(XENLOG_ERR "\n****************************************\n");
    printk(XENLOG_ERR "Panic on CPU %u:\n%s\n", smp_processor_id(), buf);
    printk(XENLOG_ERR "****************************************\n");
    machine_exit(XENIA_EXIT_PANIC);
}

void __noreturn assert_failed(const char *expr, const char *file, int line)
{
    printk(XENLOG_ERR "Assertion '%s' failed at %s:%d\n", expr, file, line);
    show_stack_trace((unsigned long)__builtin_return_address(0),
                     (unsigned long)__builtin_frame_address(0));
    panic("assertion failed: %s", expr);
}
