/*
 * Emulation of what a deprivileged (ring 3) PV kernel executes but the CPU
 * refuses: #GP from privileged instructions, software interrupts, I/O, and
 * #UD from Xen's forced-emulation prefix for CPUID.
 *
 * The instruction is decoded from guest memory at the faulting RIP; the
 * #GP error code is never trusted (QEMU's TCG reports int n as n*16+2).
 * Anything not emulated is reflected to the guest as #GP, as Xen does
 * (HLT included: PV kernels block with SCHEDOP_block).
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/hypercall.h>
#include <xenia/page_bits.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include "../x86.h"

#define MAX_INSN 15
#define PFEC_WRITE (1u << 1)

struct insn {
    uint8_t b[MAX_INSN];
    unsigned int avail, pos;
    bool opsz16, rep, rex_w, rex_r, rex_b;
};

static unsigned int fetch(const struct cpu_regs *regs, struct insn *in)
{
    unsigned int i;

    memset(in, 0, sizeof(*in));
    for ( i = 0; i < MAX_INSN; i++ )
        if ( copy_from_guest(&in->b[i], regs->rip + i, 1) )
            break;
    in->avail = i;
    return i;
}

static int next(struct insn *in)
{
    return in->pos < in->avail ? in->b[in->pos++] : -1;
}

/* Consumes legacy and REX prefixes; returns the first opcode byte. */
static int prefixes(struct insn *in)
{
    for ( ;; )
    {
        int c = next(in);

        switch ( c )
        {
        case 0x66: in->opsz16 = true; continue;
        case 0xf3: case 0xf2: in->rep = true; continue;
        case 0x67: case 0xf0: case 0x2e: case 0x36: case 0x3e: case 0x26:
        case 0x64: case 0x65:
            continue;
        }
        if ( c >= 0x40 && c <= 0x4f )
        {
            in->rex_w = c & 8;
            in->rex_r = c & 4;
            in->rex_b = c & 1;
            c = next(in);
        }
        return c;
    }
}

static uint64_t *gpr(struct cpu_regs *r, unsigned int n)
{
    switch ( n & 15 )
    {
    case 0: return &r->rax;  case 1: return &r->rcx;
    case 2: return &r->rdx;  case 3: return &r->rbx;
    case 4: return &r->rsp;  case 5: return &r->rbp;
    case 6: return &r->rsi;  case 7: return &r->rdi;
    case 8: return &r->r8;   case 9: return &r->r9;
    case 10: return &r->r10; case 11: return &r->r11;
    case 12: return &r->r12; case 13: return &r->r13;
    case 14: return &r->r14; default: return &r->r15;
    }
}

/* ---- CPUID: the view a PV guest gets ---- */

#define XEN_CPUID_BASE  0x40000000u

static void pv_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if ( (leaf & 0xffff0000u) == XEN_CPUID_BASE )
    {
        memset(r, 0, 16);
        switch ( leaf )
        {
        case XEN_CPUID_BASE:
            r[0] = XEN_CPUID_BASE + 5;
            memcpy(&r[1], "XenV", 4);
            memcpy(&r[2], "MMXe", 4);
            memcpy(&r[3], "nVMM", 4);
            break;
        case XEN_CPUID_BASE + 1:
            r[0] = (4u << 16) | 17;             /* ABI level 4.17 */
            break;
        case XEN_CPUID_BASE + 2:
            r[0] = 1;                           /* hypercall pages */
            r[1] = XEN_CPUID_BASE;              /* their MSR */
            break;
        case XEN_CPUID_BASE + 5:
            r[1] = 40;                          /* machine address width */
            break;
        }
        return;
    }
    cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
    switch ( leaf )
    {
    case 1:
        /* ecx: no MONITOR, VMX, SMX, EST, TM2, PDCM, PCID, DCA, x2APIC,
         * TSC deadline, XSAVE/OSXSAVE; set HYPERVISOR. */
        r[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) |
                  (1u << 2) | (1u << 4) | (1u << 14) | (1u << 15) |
                  (1u << 17) | (1u << 18) | (1u << 21) | (1u << 24) |
                  (1u << 26) | (1u << 27));
        r[2] |= 1u << 31;
        /* edx: no VME, PSE, MTRR, PGE, PSE36, PSN, DS, TM, PBE. */
        r[3] &= ~((1u << 1) | (1u << 3) | (1u << 12) | (1u << 13) |
                  (1u << 17) | (1u << 18) | (1u << 21) | (1u << 29) |
                  (1u << 31));
        break;
    case 5:
    case 6:
        memset(r, 0, 16);                       /* no MWAIT, no power mgmt */
        break;
    case 7:
        if ( sub == 0 )
        {
            /* ebx: no FSGSBASE, TSC_ADJUST, SMEP, INVPCID, SMAP. */
            r[1] &= ~((1u << 0) | (1u << 1) | (1u << 7) | (1u << 10) |
                      (1u << 20));
            r[2] &= ~(1u << 2);                 /* UMIP */
            r[2] &= ~(1u << 3);                 /* PKU */
        }
        break;
    case 0xd:
        memset(r, 0, 16);                       /* XSAVE is hidden */
        break;
    case 0x80000001:
        /* ecx: no SVM, ExtApic, SKINIT, LWP, NodeId, TopoExt, IBS. */
        r[2] &= ~((1u << 2) | (1u << 3) | (1u << 10) | (1u << 12) |
                  (1u << 15) | (1u << 19) | (1u << 22));
        r[3] &= ~(1u << 26);                    /* 1 GiB pages */
        break;
    }
}

bool pv_emulate_ud(struct cpu_regs *regs)
{
    static const uint8_t sig[] = { 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2 };
    uint8_t b[sizeof(sig)];
    uint32_t r[4];

    if ( copy_from_guest(b, regs->rip, sizeof(b)) || memcmp(b, sig, sizeof(b)) )
        return false;
    pv_cpuid(regs->rax, regs->rcx, r);
    regs->rax = r[0];
    regs->rbx = r[1];
    regs->rcx = r[2];
    regs->rdx = r[3];
    regs->rip += sizeof(sig);
    return true;
}

/* ---- MSRs ---- */

#define MSR_TSC                 0x00000010
#define MSR_MISC_ENABLE         0x000001a0
#define MSR_PERF_CAPABILITIES   0x00000345
#define MSR_UCODE_REV           0x0000008b
#define MSR_FEATURE_CONTROL     0x0000003a
#define FEATURE_CONTROL_LOCK    (1UL << 0)
#define MSR_MISC_FEATURES       0x00000140
#define MSR_PLATFORM_INFO       0x000000ce
#define MSR_K8_HWCR             0xc0010015
#define MSR_AMD64_DE_CFG        0xc0011029
#define DE_CFG_LFENCE_SERIALISE (1UL << 1)
#define MSR_MCG_CAP             0x00000179
#define MSR_MCG_STATUS          0x0000017a
#define MSR_MC0_CTL             0x00000400
#define PV_PAT                  0x0000050100070406UL
#define MISC_ENABLE_BTS_UNAVAIL  (1UL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1UL << 12)

/*
 * Virtual machine check, as Xen's vMCE shows a PV guest: CPUID keeps MCE
 * and MCA, MCG_CAP reports two banks and nothing else (no MCG_CTL, no
 * CMCI, no extended registers), no error is ever latched. The banks' CTL
 * registers read all-ones and writes are accepted; STATUS, ADDR and MISC
 * read zero and accept only zero. Registers of banks past the two (up to
 * the architectural 32) read zero and ignore writes, as Xen's do.
 */
#define VMCE_BANKS      2
#define MC_BANKS_MAX    32

static bool vmce_msr(uint32_t msr)
{
    return msr == MSR_MCG_CAP || msr == MSR_MCG_STATUS ||
           (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * MC_BANKS_MAX);
}

static bool vmce_bank_ctl(uint32_t msr)
{
    return msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * VMCE_BANKS &&
           !((msr - MSR_MC0_CTL) & 3);
}

static void vmce_read(uint32_t msr, uint64_t *val)
{
    if ( msr == MSR_MCG_CAP )
        *val = VMCE_BANKS;
    else
        *val = vmce_bank_ctl(msr) ? ~0UL : 0;
}

static bool vmce_write(uint32_t msr, uint64_t val)
{
    if ( msr == MSR_MCG_CAP )
        return false;
    if ( vmce_bank_ctl(msr) || msr >= MSR_MC0_CTL + 4 * VMCE_BANKS )
        return true;
    return val == 0;
}

/* The guest sees the host's vendor (CPUID leaf 0 passes through). */
static bool cpu_is_amd(void)
{
    static int amd = -1;

    if ( amd < 0 )
    {
        uint32_t a, b, c, d;

        cpuid(0, 0, &a, &b, &c, &d);
        amd = b == 0x68747541 || b == 0x6f677948;   /* "Auth", "Hygo" */
    }
    return amd;
}

static bool read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    if ( vmce_msr(msr) )
    {
        vmce_read(msr, val);
        return true;
    }
    switch ( msr )
    {
    case MSR_UCODE_REV:
        *val = 0;                       /* as Xen: no microcode revision */
        return true;
    case MSR_K8_HWCR:
        *val = 0;
        return cpu_is_amd();
    case MSR_FEATURE_CONTROL:
        *val = FEATURE_CONTROL_LOCK;    /* as Xen: locked, no VMX */
        return !cpu_is_amd();
    case MSR_MISC_FEATURES:
    case MSR_PLATFORM_INFO:
        *val = 0;                       /* no CPUID faulting */
        return !cpu_is_amd();
    case MSR_AMD64_DE_CFG:
        *val = DE_CFG_LFENCE_SERIALISE; /* as Xen: LFENCE is dispatch-serialising */
        return cpu_is_amd();
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_SHADOW_GS_BASE:
        *val = rdmsr(msr);
        return true;
    case MSR_EFER:
        *val = rdmsr(MSR_EFER);
        return true;
    case MSR_TSC:
        *val = rdtsc();
        return true;
    case MSR_APIC_BASE:
        *val = 0xfee00000UL | (1UL << 11) | (v->vcpu_id ? 0 : 1UL << 8);
        return true;
    case MSR_PAT:
        *val = PV_PAT;
        return true;
    case MSR_MISC_ENABLE:
        *val = MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
        return true;
    case MSR_PERF_CAPABILITIES:
        *val = 0;
        return true;
    default:
        return false;
    }
}

static bool write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
    uint64_t cur;

    if ( vmce_msr(msr) )
        return vmce_write(msr, val);
    switch ( msr )
    {
    case MSR_UCODE_REV:
        return !cpu_is_amd() && val == 0;   /* Intel's "write 0, CPUID" */
    case MSR_AMD64_DE_CFG:
        return cpu_is_amd();                /* ignored, as Xen */
    case MSR_MISC_FEATURES:
        return !cpu_is_amd() && val == 0;
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_SHADOW_GS_BASE:
        if ( !is_canonical_address(val) )
            return false;
        wrmsr(msr, val);
        return true;
    case MSR_EFER:
    case MSR_MISC_ENABLE:
    case MSR_PAT:
        /* Accepted only when nothing changes. */
        return read_msr(v, msr, &cur) && cur == val;
    default:
        return false;
    }
}

/* ---- I/O ports ---- */

/*
 * The guest kernel counts as CPL 1 for the virtual IOPL, or as CPL 0 (any
 * IOPL will do) with VMASST_TYPE_architectural_iopl; guest user as CPL 3.
 */
static bool iopl_ok(const struct vcpu *v)
{
    if ( !v->kernel_mode )
        return v->iopl == 3;
    return pv_architectural_iopl(v->domain) || v->iopl >= 1;
}

/*
 * Without enough IOPL, the guest's own I/O bitmap (set_iobitmap, read
 * through the guest-kernel page tables, 1 = denied, unreadable = denied)
 * may still allow the access, as with a TSS bitmap.
 */
static bool io_okay(struct vcpu *v, unsigned int port, unsigned int bytes)
{
    uint8_t b[2] = { 0xff, 0xff };
    uint16_t mask;

    if ( iopl_ok(v) )
        return true;
    if ( port + bytes > v->iobmp_limit )
        return false;
    if ( !v->kernel_mode )
        write_cr3(v->guest_table << PAGE_SHIFT);
    if ( copy_from_guest(&b[0], v->iobmp + (port >> 3), 1) )
        b[0] = 0xff;
    else if ( copy_from_guest(&b[1], v->iobmp + (port >> 3) + 1, 1) )
        b[1] = 0xff;
    if ( !v->kernel_mode )
        write_cr3(v->guest_table_user << PAGE_SHIFT);
    mask = b[0] | (b[1] << 8);
    return !(mask & (((1u << bytes) - 1) << (port & 7)));
}

/* Ports the hypervisor keeps for itself or emulates, never passed through. */
static bool port_permitted(const struct domain *d, unsigned int port,
                           unsigned int bytes)
{
    static const uint16_t denied[][2] = {
        { 0x20, 0x21 }, { 0xa0, 0xa1 },     /* PICs */
        { 0x40, 0x43 },                     /* PIT */
        { 0xf4, 0xf7 },                     /* isa-debug-exit */
        { 0x3f8, 0x3ff },                   /* COM1: Xenia's console */
        { 0xcf8, 0xcff },                   /* PCI configuration */
        { 0x4d0, 0x4d1 },                   /* ELCR */
    };
    unsigned int i;

    if ( !pv_domain_io_capable(d) )
        return false;
    for ( i = 0; i < ARRAY_SIZE(denied); i++ )
        if ( port <= denied[i][1] && port + bytes - 1 >= denied[i][0] )
            return false;
    return port + bytes <= 0x10000;
}

static uint32_t io_read(const struct domain *d, unsigned int port,
                        unsigned int bytes)
{
    uint32_t v = ~0u;

    if ( pv_pit_io(d, port, bytes, false, &v) )
        return v;
    if ( !port_permitted(d, port, bytes) )
    {
        report_unhandled(UNHANDLED_PORT, NULL, port, "in: reads all ones");
        return bytes == 4 ? v : v & ((1u << (bytes * 8)) - 1);
    }
    switch ( bytes )
    {
    case 1: return inb(port);
    case 2: __asm__ __volatile__ ( "inw %w1, %w0" : "=a" (v) : "Nd" (port) );
            return v & 0xffff;
    default: __asm__ __volatile__ ( "inl %w1, %0" : "=a" (v) : "Nd" (port) );
            return v;
    }
}

static void io_write(const struct domain *d, unsigned int port,
                     unsigned int bytes, uint32_t v)
{
    if ( pv_pit_io(d, port, bytes, true, &v) )
        return;
    if ( !port_permitted(d, port, bytes) )
    {
        report_unhandled(UNHANDLED_PORT, NULL, port, "out: dropped");
        return;
    }
    switch ( bytes )
    {
    case 1: outb(port, v); break;
    case 2: outw(port, v); break;
    default: __asm__ __volatile__ ( "outl %0, %w1" :: "a" (v), "Nd" (port) );
    }
}

static void set_reg_sized(uint64_t *r, uint32_t v, unsigned int bytes)
{
    if ( bytes == 4 )
        *r = v;                             /* 32-bit writes zero-extend */
    else if ( bytes == 2 )
        *r = (*r & ~0xffffUL) | (v & 0xffff);
    else
        *r = (*r & ~0xffUL) | (v & 0xff);
}

/* What emulate_io() did. */
enum io_result {
    IO_DONE,                /* completed: step over the instruction */
    IO_GP,                  /* refused: #GP(0) */
    IO_STAY,                /* exception raised, or more repetitions to
                               run: rip stays on the instruction */
};

/*
 * String I/O iterations emulated per entry. The rest of a `rep ins/outs`
 * runs when the guest re-executes the instruction with rcx counted down
 * (events are delivered in between), so a guest cannot hold a CPU for
 * its whole rcx.
 */
#define IO_REPS_PER_ENTRY 256

/*
 * One ins/outs element at guest address 'addr'. A non-canonical or
 * hypervisor-private address raises #GP(0) (Xen 4.17 does so even for an
 * SS override); an unmapped one #PF with the address in CR2.
 */
static bool string_io_one(struct cpu_regs *regs, struct domain *d, bool in,
                          unsigned int port, unsigned int bytes,
                          unsigned long addr)
{
    uint32_t val = 0;

    if ( !guest_range_ok(addr, bytes) )
    {
        pv_inject_gp(regs, 0);
        return false;
    }
    if ( in )
    {
        val = io_read(d, port, bytes);
        if ( copy_to_guest(addr, &val, bytes) )
        {
            pv_inject_page_fault(regs, addr, PFEC_WRITE);
            return false;
        }
    }
    else
    {
        if ( copy_from_guest(&val, addr, bytes) )
        {
            pv_inject_page_fault(regs, addr, 0);
            return false;
        }
        io_write(d, port, bytes, val);
    }
    return true;
}

static enum io_result emulate_string_io(struct cpu_regs *regs,
                                        struct insn *in, int op,
                                        unsigned int bytes)
{
    struct vcpu *v = current;
    bool is_in = op < 0x6e;
    unsigned int port = regs->rdx & 0xffff, n;
    long step = (regs->rflags & X86_EFLAGS_DF) ? -(long)bytes : (long)bytes;
    uint64_t *ptr = is_in ? &regs->rdi : &regs->rsi;

    if ( !io_okay(v, port, bytes) )
        return IO_GP;
    if ( !in->rep )
    {
        if ( !string_io_one(regs, v->domain, is_in, port, bytes, *ptr) )
            return IO_STAY;
        *ptr += step;
        return IO_DONE;
    }
    for ( n = 0; regs->rcx && n < IO_REPS_PER_ENTRY; n++ )
    {
        if ( !string_io_one(regs, v->domain, is_in, port, bytes, *ptr) )
            return IO_STAY;
        *ptr += step;
        regs->rcx--;
    }
    return regs->rcx ? IO_STAY : IO_DONE;
}

/* in/out/ins/outs. */
static enum io_result emulate_io(struct cpu_regs *regs, struct insn *in,
                                 int op)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    unsigned int bytes = (op & 1) ? (in->opsz16 ? 2 : 4) : 1;
    unsigned int port;
    int imm;

    switch ( op )
    {
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:
        if ( (imm = next(in)) < 0 || !io_okay(v, imm, bytes) )
            return IO_GP;
        port = imm;
        if ( op < 0xe6 )
            set_reg_sized(&regs->rax, io_read(d, port, bytes), bytes);
        else
            io_write(d, port, bytes, regs->rax);
        break;
    case 0xec: case 0xed:
        if ( !io_okay(v, regs->rdx & 0xffff, bytes) )
            return IO_GP;
        set_reg_sized(&regs->rax, io_read(d, regs->rdx & 0xffff, bytes), bytes);
        break;
    case 0xee: case 0xef:
        if ( !io_okay(v, regs->rdx & 0xffff, bytes) )
            return IO_GP;
        io_write(d, regs->rdx & 0xffff, bytes, regs->rax);
        break;
    default:
        return emulate_string_io(regs, in, op, bytes);
    }
    return IO_DONE;
}

/* ---- Control and debug registers ---- */

#define X86_CR4_TSD     (1UL << 2)
#define X86_CR4_DE      (1UL << 3)
#define X86_CR4_MCE     (1UL << 6)

static uint64_t guest_cr0(const struct vcpu *v)
{
    return (read_cr0() & ~X86_CR0_TS) | (v->fpu_ts ? X86_CR0_TS : 0);
}

static uint64_t guest_cr4(const struct vcpu *v)
{
    return (read_cr4() & (X86_CR4_PAE | X86_CR4_MCE | X86_CR4_OSFXSR |
                          X86_CR4_OSXMMEXCPT)) |
           (v->cr4 & (X86_CR4_TSD | X86_CR4_DE));
}

static bool read_cr(struct vcpu *v, unsigned int cr, uint64_t *val)
{
    switch ( cr )
    {
    case 0: *val = guest_cr0(v); return true;
    case 2: *val = v->cr2; return true;
    case 3: *val = v->guest_table << PAGE_SHIFT; return true;
    case 4: *val = guest_cr4(v); return true;
    default: return false;
    }
}

static bool write_cr(struct vcpu *v, unsigned int cr, uint64_t val)
{
    switch ( cr )
    {
    case 0:
        if ( (val ^ guest_cr0(v)) & ~X86_CR0_TS )
            return false;               /* only TS may change */
        do_fpu_taskswitch(!!(val & X86_CR0_TS));
        return true;
    case 2:
        v->cr2 = val;
        v->vcpu_info->arch.cr2 = val;
        return true;
    case 3:
        return !pv_new_guest_table(v, (val & PADDR_MASK) >> PAGE_SHIFT, false);
    case 4:
        v->cr4 = val & (X86_CR4_TSD | X86_CR4_DE);
        return true;
    default:
        return false;
    }
}

/* ---- Dispatch ---- */

/* int n: bounce if the trap table's DPL allows it from this mode. */
static bool soft_interrupt(struct cpu_regs *regs, unsigned int vec,
                           unsigned int len)
{
    struct vcpu *v = current;
    unsigned int dpl = v->trap_flags[vec] & 3;

    if ( !v->trap_addr[vec] || dpl < (v->kernel_mode ? 1u : 3u) )
    {
        pv_inject_gp(regs, (vec << 3) | 2);
        return true;
    }
    regs->rip += len;
    pv_inject_exception(regs, vec, false, 0);
    return true;
}

/* wrmsr / rdmsr of ECX, EDX:EAX; false (#GP) for a refused MSR. */
static bool emulate_msr(struct vcpu *v, struct cpu_regs *regs, bool write)
{
    uint64_t val;

    if ( write )
    {
        if ( write_msr(v, regs->rcx, (regs->rdx << 32) | (uint32_t)regs->rax) )
            return true;
        report_unhandled(UNHANDLED_MSR, NULL, (uint32_t)regs->rcx,
                         "wrmsr: #GP");
        return false;
    }
    if ( !read_msr(v, regs->rcx, &val) )
    {
        report_unhandled(UNHANDLED_MSR, NULL, (uint32_t)regs->rcx,
                         "rdmsr: #GP");
        return false;
    }
    regs->rax = (uint32_t)val;
    regs->rdx = val >> 32;
    return true;
}

/* 0f 20-23: mov from/to a control or debug register (register operand). */
static bool emulate_mov_crdr(struct vcpu *v, struct cpu_regs *regs,
                             struct insn *in, int op)
{
    unsigned int reg, rm;
    int modrm;
    uint64_t val;
    long r;

    if ( (modrm = next(in)) < 0 || (modrm >> 6) != 3 )
        return false;
    reg = ((modrm >> 3) & 7) | (in->rex_r ? 8 : 0);
    rm = (modrm & 7) | (in->rex_b ? 8 : 0);
    switch ( op )
    {
    case 0x20:
        if ( !read_cr(v, reg, &val) )
            return false;
        *gpr(regs, rm) = val;
        return true;
    case 0x22:
        return write_cr(v, reg, *gpr(regs, rm));
    case 0x21:
        if ( (r = pv_get_debugreg(v, reg)) < 0 && r > -4096 )
            return false;
        *gpr(regs, rm) = r;
        return true;
    default:
        return !pv_set_debugreg(v, reg, *gpr(regs, rm));
    }
}

/* The two-byte (0f) instructions a guest kernel may have emulated. */
static bool emulate_0f(struct vcpu *v, struct cpu_regs *regs,
                       struct insn *in)
{
    int op = next(in);

    switch ( op )
    {
    case 0x06:                                      /* clts */
        do_fpu_taskswitch(0);
        return true;
    case 0x08: case 0x09:                           /* invd, wbinvd */
        if ( pv_domain_io_capable(v->domain) )
            __asm__ __volatile__ ( "wbinvd" ::: "memory" );
        return true;
    case 0x30:                                      /* wrmsr */
        return emulate_msr(v, regs, true);
    case 0x32:                                      /* rdmsr */
        return emulate_msr(v, regs, false);
    case 0x20: case 0x21: case 0x22: case 0x23:     /* mov cr/dr */
        return emulate_mov_crdr(v, regs, in, op);
    default:
        return false;
    }
}

static bool is_io_insn(int op)
{
    return (op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef) ||
           (op >= 0x6c && op <= 0x6f);
}

bool pv_emulate_gp(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    struct insn in;
    int op;

    if ( !fetch(regs, &in) )
        return false;
    op = prefixes(&in);
    if ( op == 0xcd )
    {
        int vec = next(&in);

        return vec >= 0 && soft_interrupt(regs, vec, in.pos);
    }
    if ( is_io_insn(op) )
    {
        switch ( emulate_io(regs, &in, op) )
        {
        case IO_GP:
            return false;
        case IO_STAY:
            return true;
        case IO_DONE:
            break;
        }
    }
    else if ( op == 0xfa || op == 0xfb )
    {
        /* cli/sti: permitted no-ops with enough IOPL (not the event mask). */
        if ( !iopl_ok(v) )
            return false;
    }
    else if ( op != 0x0f || !v->kernel_mode || !emulate_0f(v, regs, &in) )
        return false;
    regs->rip += in.pos;
    return true;
}
