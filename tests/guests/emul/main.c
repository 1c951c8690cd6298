/*
 * emul: what Xen 4.17 emulates for a ring-3 PV kernel (xen/arch/x86/pv/
 * emul-priv-op.c, emul-inv-op.c, cpuid.c): CPUID through the forced-
 * emulation prefix with the PV feature mask and the hypervisor leaves,
 * RDMSR/WRMSR of the MSRs Linux touches (#GP for others), control- and
 * debug-register moves, CLTS, and port I/O governed by the virtual IOPL
 * that PHYSDEVOP_set_iopl sets.
 */
#include "xtpv.h"

#define UNMAPPED 0x0000100000000000UL

static void cpuid_checks(void)
{
    struct xt_cpuid r = xt_cpuid(0x40000000, 0), n;
    char sig[13];

    memcpy(sig, &r.b, 4);
    memcpy(sig + 4, &r.c, 4);
    memcpy(sig + 8, &r.d, 4);
    sig[12] = '\0';
    xt_check("hv_signature", !strcmp(sig, "XenVMMXenVMM"), "%s", sig);
    xt_check("hv_max_leaf", r.a == 0x40000005, "%#x", r.a);
    r = xt_cpuid(0x40000001, 0);
    xt_check("hv_version", r.a == ((4U << 16) | 17), "%#x", r.a);
    r = xt_cpuid(0x40000002, 0);
    xt_check("hv_hypercall_pages", r.a == 1 && r.b == 0x40000000,
             "a %#x b %#x", r.a, r.b);

    r = xt_cpuid(0, 0);
    n = xt_cpuid_native(0, 0);
    xt_check("vendor_kept", r.b == n.b && r.c == n.c && r.d == n.d, NULL);
    r = xt_cpuid(1, 0);
    xt_check("leaf1_hypervisor_bit", r.c & (1U << 31), "ecx %#x", r.c);
    xt_check("leaf1_pv_masked_edx", !(r.d & ((1U << 1) | (1U << 3) |
             (1U << 13) | (1U << 17))), "edx %#x (VME PSE PGE PSE36)", r.d);
    xt_check("leaf1_pv_masked_ecx", !(r.c & ((1U << 3) | (1U << 5))),
             "ecx %#x (MONITOR VMX)", r.c);
    xt_check("leaf1_kept_features", (r.d & ((1U << 0) | (1U << 4) |
             (1U << 5) | (1U << 6) | (1U << 8) | (1U << 24))) ==
             ((1U << 0) | (1U << 4) | (1U << 5) | (1U << 6) | (1U << 8) |
              (1U << 24)), "edx %#x (FPU TSC MSR PAE CX8 FXSR)", r.d);
    r = xt_cpuid(0x80000001, 0);
    xt_check("ext_lm_syscall", (r.d & (1U << 29)) && (r.d & (1U << 11)),
             "edx %#x", r.d);
}

static uint64_t gs_probe(void)
{
    uint64_t v;

    asm volatile ( "mov %%gs:0, %0" : "=r" (v) :: "memory" );
    return v;
}

static uint64_t gs_area[2] = { 0x1122334455667788UL };

static void msr_checks(void)
{
    uint64_t v;
    int vec;

    vec = xt_probe_rdmsr(MSR_EFER, &v);
    xt_check("rdmsr_efer", vec == -1 && (v & (1UL << 10)) &&
             (v & (1UL << 8)) && (v & 1), "vec %d val %#lx", vec, v);
    xt_check("wrmsr_efer_same", xt_probe_wrmsr(MSR_EFER, v) == -1, NULL);
    xt_check("wrmsr_efer_changed_gp",
             xt_probe_wrmsr(MSR_EFER, v & ~1UL) == X86_EXC_GP, NULL);
    vec = xt_probe_rdmsr(MSR_PAT, &v);
    xt_check("rdmsr_pat", vec == -1 && v == 0x0000050100070406UL,
             "vec %d val %#lx", vec, v);
    vec = xt_probe_rdmsr(MSR_APIC_BASE, &v);
    xt_check("rdmsr_apic_base", vec == -1 &&
             (v & ~0xfffUL) == 0xfee00000UL && (v & (1UL << 8)),
             "vec %d val %#lx", vec, v);

    xt_check("wrmsr_gs_base", xt_probe_wrmsr(MSR_GS_BASE,
             (unsigned long)gs_area) == -1, NULL);
    xt_check("wrmsr_gs_base_used", gs_probe() == gs_area[0], NULL);
    vec = xt_probe_rdmsr(MSR_GS_BASE, &v);
    xt_check("rdmsr_gs_base", vec == -1 && v == (unsigned long)gs_area,
             "vec %d val %#lx", vec, v);
    xt_check("wrmsr_fs_base", xt_probe_wrmsr(MSR_FS_BASE, 0x1000) == -1,
             NULL);
    vec = xt_probe_rdmsr(MSR_FS_BASE, &v);
    xt_check("rdmsr_fs_base", vec == -1 && v == 0x1000, "vec %d val %#lx",
             vec, v);
    xt_check("wrmsr_shadow_gs", xt_probe_wrmsr(MSR_SHADOW_GS_BASE,
             0x2000) == -1, NULL);
    vec = xt_probe_rdmsr(MSR_SHADOW_GS_BASE, &v);
    xt_check("rdmsr_shadow_gs", vec == -1 && v == 0x2000, "vec %d val %#lx",
             vec, v);
    xt_check("wrmsr_fs_noncanonical_gp", xt_probe_wrmsr(MSR_FS_BASE,
             0x0000800000000000UL) == X86_EXC_GP, NULL);
    xt_probe_wrmsr(MSR_FS_BASE, 0);
    xt_probe_wrmsr(MSR_SHADOW_GS_BASE, 0);

    vec = xt_probe_rdmsr(0x12345, &v);
    xt_check("rdmsr_unknown_gp", vec == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d", vec);
    xt_check("wrmsr_unknown_gp", xt_probe_wrmsr(0x12345, 0) == X86_EXC_GP,
             NULL);
    vec = xt_probe_wrmsr(MSR_LSTAR, 0xffffffff81000000UL);
    xt_check("wrmsr_lstar_gp", vec == X86_EXC_GP, "vec %d", vec);
    vec = xt_probe_rdmsr(MSR_IA32_TSC, &v);
    xt_check("rdmsr_tsc", vec == -1 && v != 0, "vec %d val %#lx", vec, v);
}

/*
 * MSRs Debian's Linux 6.1 reads as dom0 and dies or misbehaves without:
 * the machine-check architecture (CPUID keeps MCE/MCA, so Linux reads
 * the banks and panics on #GP), the microcode revision, AMD's HWCR and
 * DE_CFG. Values as Xen 4.17 gives them.
 */
static bool host_is_amd(void)
{
    struct xt_cpuid n = xt_cpuid_native(0, 0);

    return n.b == 0x68747541;           /* "AuthenticAMD" */
}

static void linux_msr_checks(void)
{
    struct xt_cpuid r = xt_cpuid(1, 0);
    uint64_t v = ~0UL, banks;
    int vec;

    xt_check("leaf1_mce_mca", (r.d & (1U << 7)) && (r.d & (1U << 14)),
             "edx %#x", r.d);
    vec = xt_probe_rdmsr(0x179, &v);                    /* MCG_CAP */
    banks = v & 0xff;
    xt_check("rdmsr_mcg_cap", vec == -1 && banks >= 1 && banks <= 32,
             "vec %d val %#lx", vec, v);
    vec = xt_probe_rdmsr(0x17a, &v);                    /* MCG_STATUS */
    xt_check("rdmsr_mcg_status", vec == -1 && v == 0, "vec %d val %#lx",
             vec, v);
    vec = xt_probe_rdmsr(0x401, &v);                    /* MC0_STATUS */
    xt_check("rdmsr_mc0_status", vec == -1 && v == 0, "vec %d val %#lx",
             vec, v);
    xt_check("wrmsr_mc0_status_zero", xt_probe_wrmsr(0x401, 0) == -1, NULL);
    vec = xt_probe_rdmsr(0x400, &v);                    /* MC0_CTL */
    xt_check("rdmsr_mc0_ctl", vec == -1, "vec %d val %#lx", vec, v);
    xt_check("wrmsr_mc0_ctl", xt_probe_wrmsr(0x400, ~0UL) == -1, NULL);
    vec = xt_probe_rdmsr(0x400 + 4 * banks + 1, &v);    /* past the banks */
    xt_check("rdmsr_mc_bank_past_zero", vec == -1 && v == 0, "vec %d val %#lx",
             vec, v);
    vec = xt_probe_rdmsr(0x8b, &v);                     /* UCODE_REV */
    xt_check("rdmsr_ucode_rev", vec == -1, "vec %d val %#lx", vec, v);
    if ( host_is_amd() )
    {
        xt_skip("rdmsr_intel_feature_control", "not an Intel CPU");
        xt_skip("rdmsr_intel_misc_features", "not an Intel CPU");
        vec = xt_probe_rdmsr(0xc0010015, &v);           /* HWCR */
        xt_check("rdmsr_amd_hwcr", vec == -1, "vec %d val %#lx", vec, v);
        vec = xt_probe_rdmsr(0xc0011029, &v);           /* DE_CFG */
        xt_check("rdmsr_amd_de_cfg", vec == -1 && (v & 2), "vec %d val %#lx",
                 vec, v);
    }
    else
    {
        xt_check("wrmsr_intel_ucode_rev_zero", xt_probe_wrmsr(0x8b, 0) == -1,
                 NULL);
        vec = xt_probe_rdmsr(0x3a, &v);                 /* FEATURE_CONTROL */
        xt_check("rdmsr_intel_feature_control", vec == -1 && (v & 1) &&
                 !(v & 6), "vec %d val %#lx", vec, v);
        vec = xt_probe_rdmsr(0x140, &v);                /* MISC_FEATURES */
        xt_check("rdmsr_intel_misc_features", vec == -1 && v == 0,
                 "vec %d val %#lx", vec, v);
        vec = xt_probe_rdmsr(0xc0011029, &v);
        xt_check("rdmsr_intel_de_cfg_gp", vec == X86_EXC_GP, "vec %d", vec);
    }
}

static int probe_cr(unsigned int cr, unsigned long *val)
{
    unsigned long v = 0;

    xt_fault_clear();
    switch ( cr )
    {
    case 0:
        asm volatile ( "1: mov %%cr0, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                       : "+r" (v) :: "memory" );
        break;
    case 2:
        asm volatile ( "1: mov %%cr2, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                       : "+r" (v) :: "memory" );
        break;
    case 3:
        asm volatile ( "1: mov %%cr3, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                       : "+r" (v) :: "memory" );
        break;
    case 4:
        asm volatile ( "1: mov %%cr4, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                       : "+r" (v) :: "memory" );
        break;
    }
    *val = v;
    return xt_fault_vec();
}

static int write_cr(unsigned int cr, unsigned long v)
{
    xt_fault_clear();
    switch ( cr )
    {
    case 0:
        asm volatile ( "1: mov %0, %%cr0; 2:\n\t" XT_EXTABLE(1b, 2b)
                       :: "r" (v) : "memory" );
        break;
    case 3:
        asm volatile ( "1: mov %0, %%cr3; 2:\n\t" XT_EXTABLE(1b, 2b)
                       :: "r" (v) : "memory" );
        break;
    case 4:
        asm volatile ( "1: mov %0, %%cr4; 2:\n\t" XT_EXTABLE(1b, 2b)
                       :: "r" (v) : "memory" );
        break;
    }
    return xt_fault_vec();
}

static void cr_checks(void)
{
    unsigned long cr0, cr2, cr3, cr4, v;
    uint64_t dummy;
    int vec;

    vec = probe_cr(0, &cr0);
    xt_check("cr0_read", vec == -1 && (cr0 & 1) && (cr0 & (1UL << 31)) &&
             !(cr0 & X86_CR0_TS), "vec %d cr0 %#lx", vec, cr0);
    HYPERVISOR_fpu_taskswitch(1);
    probe_cr(0, &v);
    xt_check("cr0_ts_follows_fpu_taskswitch", v & X86_CR0_TS, "%#lx", v);
    xt_fault_clear();
    asm volatile ( "1: clts; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    probe_cr(0, &v);
    xt_check("clts", xt_fault_vec() == -1 && !(v & X86_CR0_TS), "%#lx", v);
    xt_check("cr0_write_ts", write_cr(0, cr0 | X86_CR0_TS) == -1, NULL);
    probe_cr(0, &v);
    xt_check("cr0_write_ts_seen", v & X86_CR0_TS, "%#lx", v);
    xt_check("cr0_write_clear_ts", write_cr(0, cr0) == -1, NULL);
    xt_check("cr0_write_other_gp", write_cr(0, cr0 & ~(1UL << 16)) ==
             X86_EXC_GP, NULL);

    xt_probe_read(UNMAPPED + 0x40, &dummy);
    vec = probe_cr(2, &cr2);
    xt_check("cr2_read", vec == -1 && cr2 == UNMAPPED + 0x40, "vec %d %#lx",
             vec, cr2);
    vec = probe_cr(3, &cr3);
    xt_check("cr3_read", vec == -1 &&
             cr3 == xt_virt_to_mfn(xt_cur_l4) << 12, "vec %d %#lx", vec, cr3);
    xt_check("cr3_write_same", write_cr(3, cr3) == -1, NULL);
    vec = probe_cr(4, &cr4);
    xt_check("cr4_read", vec == -1 && (cr4 & (1UL << 5)) &&
             !(cr4 & (1UL << 7)), "vec %d %#lx (PAE set, PGE clear)", vec,
             cr4);
    xt_check("cr4_write_same", write_cr(4, cr4) == -1, NULL);
    vec = write_cr(4, cr4 | (1UL << 7));
    probe_cr(4, &v);
    xt_check("cr4_write_pge_ignored", vec == -1 && !(v & (1UL << 7)),
             "vec %d %#lx",
             vec, v);

    xt_fault_clear();
    asm volatile ( "1: mov %%dr7, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "=r" (v) :: "memory" );
    xt_check("mov_from_dr7", xt_fault_vec() == -1 &&
             (long)v == HYPERVISOR_get_debugreg(7), "vec %d %#lx",
             xt_fault_vec(), v);
    v = (unsigned long)&gs_area;
    xt_fault_clear();
    asm volatile ( "1: mov %0, %%dr0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   :: "r" (v) : "memory" );
    xt_check("mov_to_dr0", xt_fault_vec() == -1 &&
             HYPERVISOR_get_debugreg(0) == (long)v, "vec %d", xt_fault_vec());
    HYPERVISOR_set_debugreg(0, 0);
}

static int set_iopl(unsigned int iopl)
{
    struct { uint32_t iopl; } arg = { iopl };

    return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &arg);
}

static int inb_probe(uint16_t port, uint8_t *val)
{
    uint8_t v = 0;

    xt_fault_clear();
    asm volatile ( "1: inb %%dx, %%al; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+a" (v) : "d" (port) : "memory" );
    *val = v;
    return xt_fault_vec();
}

static int outb_probe(uint16_t port, uint8_t val)
{
    xt_fault_clear();
    asm volatile ( "1: outb %%al, %%dx; 2:\n\t" XT_EXTABLE(1b, 2b)
                   :: "a" (val), "d" (port) : "memory" );
    return xt_fault_vec();
}

static int cli_sti_probe(void)
{
    xt_fault_clear();
    asm volatile ( "1: cli; 2:\n\t" XT_EXTABLE(1b, 2b)
                   "3: sti; 4:\n\t" XT_EXTABLE(3b, 4b) ::: "memory" );
    return xt_fault_vec();
}

/*
 * PIT channel 2 and port 0x61, which Xen emulates for the hardware domain
 * (Linux calibrates the TSC with them): the count falls at ~1.19 MHz, and
 * in mode 0 OUT2 (port 0x61 bit 5) goes high at terminal count.
 */
static uint16_t pit2_read(void)
{
    uint8_t lo = 0, hi = 0;

    inb_probe(0x42, &lo);
    inb_probe(0x42, &hi);
    return lo | (hi << 8);
}

static void pit_checks(void)
{
    uint8_t p61 = 0;
    uint16_t c1, c2;
    uint64_t t0;

    inb_probe(0x61, &p61);
    outb_probe(0x61, (p61 & ~0x02) | 0x01);     /* gate on, speaker off */
    outb_probe(0x43, 0xb0);                     /* ch2, lo/hi, mode 0 */
    outb_probe(0x42, 0xff);
    outb_probe(0x42, 0xff);
    c1 = pit2_read();
    t0 = xt_system_time();
    while ( xt_system_time() - t0 < 2000000 )        /* 2 ms: ~2400 ticks */
        ;
    c2 = pit2_read();
    xt_check("pit2_counts_down", c1 > c2 && c1 - c2 > 1000 && c1 - c2 < 60000,
             "%#x then %#x", c1, c2);
    inb_probe(0x61, &p61);
    xt_check("pit2_out_low_while_counting", !(p61 & 0x20), "0x61 = %#x", p61);
    outb_probe(0x43, 0xb0);
    outb_probe(0x42, 100);                      /* ~84 us */
    outb_probe(0x42, 0);
    t0 = xt_system_time();
    while ( xt_system_time() - t0 < 1000000 )
        ;
    inb_probe(0x61, &p61);
    xt_check("pit2_out_high_at_zero", p61 & 0x20, "0x61 = %#x", p61);
    outb_probe(0x61, p61 & ~0x03);
}

static void io_checks(void)
{
    uint8_t v;
    int vec;

    xt_check_rc("set_iopl_0", set_iopl(0), 0);
    vec = inb_probe(0x80, &v);
    xt_check("in_iopl0_gp", vec == X86_EXC_GP && xt_last_fault.error_code
             == 0, "vec %d", vec);
    xt_check("out_iopl0_gp", outb_probe(0x80, 0) == X86_EXC_GP, NULL);
    xt_check("cli_iopl0_gp", cli_sti_probe() == X86_EXC_GP, NULL);

    xt_check_rc("set_iopl_1", set_iopl(1), 0);
    vec = inb_probe(0x21, &v);
    xt_check("in_pic_denied_ones", vec == -1 && v == 0xff, "vec %d val %#x",
             vec, v);
    vec = inb_probe(0x40, &v);
    xt_check("in_pit_denied_ones", vec == -1 && v == 0xff, "vec %d val %#x",
             vec, v);
    xt_check("out_post_port", outb_probe(0x80, 0x55) == -1, NULL);
    xt_check("out_pic_dropped", outb_probe(0x21, 0x00) == -1, NULL);
    xt_check("cli_sti_iopl1", cli_sti_probe() == -1, NULL);
    pit_checks();
    xt_check_rc("set_iopl_3", set_iopl(3), 0);
    xt_check_rc("set_iopl_4", set_iopl(4), -XEN_EINVAL);
    xt_check_rc("set_iopl_fault", HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl,
                (void *)UNMAPPED), -XEN_EFAULT);
    set_iopl(0);
    vec = inb_probe(0x21, &v);
    xt_check("in_iopl_back_to_0_gp", vec == X86_EXC_GP, "vec %d", vec);
}

/* A per-process I/O bitmap (PHYSDEVOP_set_iobitmap): 1 = denied. */
static uint8_t iobmp[8192];

static int set_iobitmap(const void *bitmap, uint32_t nr_ports)
{
    struct { uint64_t bitmap; uint32_t nr_ports; uint32_t pad; } arg = {
        (unsigned long)bitmap, nr_ports, 0 };

    return HYPERVISOR_physdev_op(7 /* PHYSDEVOP_set_iobitmap */, &arg);
}

static void iobitmap_checks(void)
{
    uint8_t v;
    int vec;

    set_iopl(0);
    memset(iobmp, 0xff, sizeof(iobmp));
    iobmp[0x80 / 8] &= ~(1u << (0x80 % 8));             /* allow port 0x80 */
    xt_check_rc("set_iobitmap", set_iobitmap(iobmp, 0x10000), 0);
    vec = inb_probe(0x80, &v);
    xt_check("iobitmap_allows", vec == -1, "vec %d", vec);
    vec = inb_probe(0x81, &v);
    xt_check("iobitmap_denies", vec == X86_EXC_GP, "vec %d", vec);
    xt_check_rc("set_iobitmap_fault", HYPERVISOR_physdev_op(7,
                (void *)UNMAPPED), -XEN_EFAULT);
    xt_check_rc("set_iobitmap_too_many", set_iobitmap(iobmp, 0x10001),
                -XEN_EINVAL);
    set_iobitmap(iobmp, 0);
    vec = inb_probe(0x80, &v);
    xt_check("iobitmap_limit_0_denies", vec == X86_EXC_GP, "vec %d", vec);
}

XTEST(emul, 78)
{
    xt_traps_init();
    cpuid_checks();         /* 10 */
    msr_checks();           /* 19 */
    linux_msr_checks();     /* 13 */
    cr_checks();            /* 17 */
    io_checks();            /* 17 */
    iobitmap_checks();      /* 6 */
}
