/*
 * traps: the virtual IDT and the exception bounce frame of a 64-bit PV
 * guest kernel, software interrupts, HLT, #NM through fpu_taskswitch,
 * debug registers, segment bases, descriptor tables, multicall and the
 * failsafe callback.  Expected values are Xen 4.17's (xen/arch/x86/
 * x86_64/entry.S create_bounce_frame, traps.c, pv/callback.c,
 * pv/misc-hypercalls.c, pv/descriptor-tables.c, common/multicall.c).
 */
#include "xtpv.h"

#include <public/version.h>

#define UNMAPPED 0x0000100000000000UL

static struct xt_regs seen;
static uint8_t seen_mask;

static bool capture(struct xt_regs *regs)
{
    seen = *regs;
    seen_mask = *xt_upcall_mask();
    return false;                   /* the extable entry resumes */
}

/* ud2 at a known address with rcx/r11 preset; returns rsp at the fault. */
static unsigned long __attribute__((noinline)) ud_site(void)
{
    unsigned long sp;

    asm volatile ( "mov $0x1111, %%ecx; mov $0x2222, %%r11d\n\t"
                   "mov %%rsp, %[sp]\n\t"
                   ".globl xt_traps_ud_site\n\t"
                   "xt_traps_ud_site: ud2\n\t"
                   "xt_traps_ud_done:\n\t"
                   XT_EXTABLE(xt_traps_ud_site, xt_traps_ud_done)
                   : [sp] "=&r" (sp) :: "rcx", "r11", "memory" );
    return sp;
}
extern char xt_traps_ud_site[];

static void set_trap(unsigned int vec, unsigned int flags)
{
    struct trap_info ti[2] = {
        { .vector = vec, .flags = flags, .cs = FLAT_KERNEL_CS,
          .address = xt_trap_entry(vec) },
        { 0 },
    };
    long rc = HYPERVISOR_set_trap_table(ti);

    if ( rc )
        xt_error("set_trap_table(%#x): %ld", vec, rc);
}

static void frame_checks(void)
{
    unsigned long sp;
    uint8_t *mask = xt_upcall_mask();

    xt_trap_hooks[X86_EXC_UD] = capture;

    *mask = 1;
    sp = ud_site();
    xt_check("ud_vector", xt_fault_vec() == X86_EXC_UD, "vec %d",
             xt_fault_vec());
    xt_check("ud_rip", seen.rip == (unsigned long)xt_traps_ud_site,
             "rip %#lx", seen.rip);
    xt_check("ud_no_error_code", seen.error_code == 0, NULL);
    xt_check("frame_rcx_r11", seen.rcx == 0x1111 && seen.r11 == 0x2222,
             "rcx %#lx r11 %#lx", seen.rcx, seen.r11);
    xt_check("frame_cs_kernel_rpl0", (seen.cs & 0xffff) == 0xe030,
             "cs %#lx", seen.cs);
    xt_check("frame_ss", (seen.ss & 0xffff) == FLAT_KERNEL_SS, "ss %#lx",
             seen.ss);
    xt_check("frame_rsp", seen.rsp == sp, "rsp %#lx, expected %#lx",
             seen.rsp, sp);
    xt_check("frame_saved_mask_1", ((seen.cs >> 32) & 0xff) == 1 &&
             !(seen.rflags & X86_EFLAGS_IF), "cs %#lx rflags %#lx",
             seen.cs, seen.rflags);

    *mask = 0;
    ud_site();
    xt_check("frame_saved_mask_0", ((seen.cs >> 32) & 0xff) == 0 &&
             (seen.rflags & X86_EFLAGS_IF), "cs %#lx rflags %#lx",
             seen.cs, seen.rflags);
    xt_check("trap_gate_keeps_mask", seen_mask == 0, "mask %u", seen_mask);

    /* Trap-table flag bit 2: events masked on entry, restored by iret. */
    set_trap(X86_EXC_UD, 4);
    ud_site();
    xt_check("interrupt_gate_masks", seen_mask == 1 &&
             ((seen.cs >> 32) & 0xff) == 0, "mask %u", seen_mask);
    xt_check("iret_restores_mask", *mask == 0, "mask %u", *mask);
    set_trap(X86_EXC_UD, 0);
    *mask = 1;
    xt_trap_hooks[X86_EXC_UD] = NULL;
}

static void pf_checks(void)
{
    uint64_t v;
    int vec;

    xt_vcpu_info()->arch.cr2 = 0;
    vec = xt_probe_write(UNMAPPED + 0x123, 1);
    xt_check("pf_write_unmapped", vec == X86_EXC_PF &&
             xt_last_fault.error_code == PFEC_write &&
             xt_last_fault.cr2 == UNMAPPED + 0x123,
             "vec %d err %#lx cr2 %#lx", vec, xt_last_fault.error_code,
             xt_last_fault.cr2);
    vec = xt_probe_read(UNMAPPED + 8, &v);
    xt_check("pf_read_unmapped", vec == X86_EXC_PF &&
             xt_last_fault.error_code == 0 &&
             xt_last_fault.cr2 == UNMAPPED + 8,
             "vec %d err %#lx cr2 %#lx", vec, xt_last_fault.error_code,
             xt_last_fault.cr2);
    /* The bootstrap L4 is mapped read-only. */
    vec = xt_probe_write(xt_start_info->pt_base + 16, 0);
    xt_check("pf_write_ro_l4", vec == X86_EXC_PF &&
             xt_last_fault.error_code == (PFEC_present | PFEC_write) &&
             xt_last_fault.cr2 == xt_start_info->pt_base + 16,
             "vec %d err %#lx cr2 %#lx", vec, xt_last_fault.error_code,
             xt_last_fault.cr2);
    vec = xt_probe_write(MACH2PHYS_VIRT_START, 0);
    xt_check("pf_write_m2p", vec == X86_EXC_PF &&
             xt_last_fault.error_code == (PFEC_present | PFEC_write),
             "vec %d err %#lx", vec, xt_last_fault.error_code);
    vec = xt_probe_read(HYPERVISOR_VIRT_START + (3UL << 39), &v);
    xt_check("pf_read_hypervisor", vec == X86_EXC_PF, "vec %d err %#lx",
             vec, xt_last_fault.error_code);
}

/* int $n from kernel mode; returns the vector seen (or -1). */
#define SOFTINT(n)                                                      \
    static int __attribute__((noinline)) softint_ ## n(void)          \
    {                                                                   \
        xt_fault_clear();                                               \
        asm volatile ( ".globl xt_softint_" #n "\n\t"                    \
                       "xt_softint_" #n ": int $" #n "\n\t"              \
                       "xt_softint_" #n "_done:\n\t"                    \
                       XT_EXTABLE(xt_softint_ ## n, xt_softint_ ## n ## _done) \
                       ::: "memory" );                                  \
        return xt_fault_vec();                                          \
    }                                                                   \
    extern char xt_softint_ ## n[], xt_softint_ ## n ## _done[]
SOFTINT(0x40);
SOFTINT(0x41);
SOFTINT(0x42);
SOFTINT(3);

/*
 * QEMU's TCG reports the #GP of 'int n' through a DPL-0 gate with error
 * code n*16+2 and Xen 4.17 trusts the error code, so on TCG Xen takes
 * vector 2n.  Give vectors n and 2n the same DPL so that an emulator
 * that decodes the instruction and Xen-on-TCG agree; accept either
 * vector and either error code, and say which one was seen.
 */
static bool softint_ok(int vec, unsigned int n, const char *done,
                       char *why, size_t len)
{
    bool ok = (vec == (int)n || vec == (int)((2 * n) & 0xff)) &&
        xt_last_fault.rip == (unsigned long)done;

    snprintf(why, len, "vec %#x rip %#lx", vec, xt_last_fault.rip);
    return ok;
}

static bool gp_ok(int vec, unsigned int n, const char *site, char *why,
                  size_t len)
{
    uint64_t ec = xt_last_fault.error_code;

    snprintf(why, len, "vec %d err %#lx rip %#lx", vec, ec,
             xt_last_fault.rip);
    return vec == X86_EXC_GP && (ec == n * 8 + 2 || ec == n * 16 + 2) &&
        xt_last_fault.rip == (unsigned long)site;
}

static void soft_checks(void)
{
    char why[96];
    int vec;

    set_trap(0x40, 3);
    set_trap(0x80, 3);
    set_trap(0x41, 0);
    set_trap(0x82, 0);
    set_trap(0x42, 1);
    set_trap(0x84, 1);

    vec = softint_0x40();
    xt_check("int_dpl3_from_kernel", softint_ok(vec, 0x40,
             xt_softint_0x40_done, why, sizeof(why)), "%s", why);
    vec = softint_0x42();
    xt_check("int_dpl1_from_kernel", softint_ok(vec, 0x42,
             xt_softint_0x42_done, why, sizeof(why)), "%s", why);
    vec = softint_0x41();
    xt_check("int_dpl0_from_kernel_gp", gp_ok(vec, 0x41, xt_softint_0x41,
             why, sizeof(why)), "%s", why);

    vec = softint_3();
    xt_check("int_3", vec == X86_EXC_BP &&
             xt_last_fault.rip == (unsigned long)xt_softint_3_done,
             "vec %d rip %#lx", vec, xt_last_fault.rip);

    xt_fault_clear();
    asm volatile ( "1: int3; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    xt_check("int3", xt_fault_vec() == X86_EXC_BP, "vec %d", xt_fault_vec());

    /* INTO does not exist in 64-bit mode. */
    xt_fault_clear();
    asm volatile ( "1: .byte 0xce; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    xt_check("into_ud", xt_fault_vec() == X86_EXC_UD, "vec %d",
             xt_fault_vec());

    /* HLT is not emulated for a PV guest: #GP(0). */
    xt_fault_clear();
    asm volatile ( "1: hlt; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    xt_check("hlt_gp", xt_fault_vec() == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d err %#lx",
             xt_fault_vec(), xt_last_fault.error_code);

    /* A vector with no handler: Xen crashes the domain, so only 0 table. */
    xt_check_rc("set_trap_table_noncanonical",
                HYPERVISOR_set_trap_table((struct trap_info[]){
                    { .vector = 0x50, .address = 0x0000800000000000UL },
                    { 0 } }), -XEN_EINVAL);
    xt_check_rc("set_trap_table_fault",
                HYPERVISOR_set_trap_table((void *)UNMAPPED), -XEN_EFAULT);
}

static void fpu_checks(void)
{
    int vec;

    xt_check_rc("fpu_taskswitch_set", HYPERVISOR_fpu_taskswitch(1), 0);
    xt_fault_clear();
    asm volatile ( "1: fninit; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    vec = xt_fault_vec();
    xt_check("fpu_ts_nm", vec == X86_EXC_NM, "vec %d", vec);
    /* Xen clears the virtual TS when it delivers #NM. */
    xt_fault_clear();
    asm volatile ( "1: fninit; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    xt_check("fpu_ts_cleared_after_nm", xt_fault_vec() == -1, "vec %d",
             xt_fault_vec());
    HYPERVISOR_fpu_taskswitch(1);
    xt_check_rc("fpu_taskswitch_clear", HYPERVISOR_fpu_taskswitch(0), 0);
    xt_fault_clear();
    asm volatile ( "1: fninit; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    xt_check("fpu_no_nm_after_clear", xt_fault_vec() == -1, "vec %d",
             xt_fault_vec());
}

static void debugreg_checks(void)
{
    unsigned long kva = (unsigned long)&seen;

    xt_check_rc("dr0_set", HYPERVISOR_set_debugreg(0, kva), 0);
    xt_check("dr0_get", HYPERVISOR_get_debugreg(0) == (long)kva, "%#lx",
             HYPERVISOR_get_debugreg(0));
    xt_check_rc("dr1_user_addr", HYPERVISOR_set_debugreg(1, 0x400000), 0);
    xt_check_rc("dr2_hypervisor", HYPERVISOR_set_debugreg(2,
                HYPERVISOR_VIRT_START + 0x1000), -XEN_EPERM);
    xt_check_rc("dr3_noncanonical_low", HYPERVISOR_set_debugreg(3,
                0x0000800000000000UL), -XEN_EPERM);
    xt_check_rc("dr6_high_bits", HYPERVISOR_set_debugreg(6, 1UL << 32),
                -XEN_EINVAL);
    xt_check_rc("dr6_set", HYPERVISOR_set_debugreg(6, 0), 0);
    xt_check("dr6_reserved_ones", HYPERVISOR_get_debugreg(6) == 0xffff0ff0,
             "%#lx", HYPERVISOR_get_debugreg(6));
    xt_check_rc("dr7_high_bits", HYPERVISOR_set_debugreg(7, 1UL << 32),
                -XEN_EINVAL);
    xt_check_rc("dr7_general_detect", HYPERVISOR_set_debugreg(7, 1UL << 13),
                -XEN_EPERM);
    /* An I/O breakpoint (R/W = 10b) needs CR4.DE, which a PV guest lacks. */
    xt_check_rc("dr7_io_breakpoint", HYPERVISOR_set_debugreg(7,
                0x2 | (2UL << 16)), -XEN_EPERM);
    xt_check_rc("dr7_clear", HYPERVISOR_set_debugreg(7, 0), 0);
    xt_check("dr7_reserved_one", HYPERVISOR_get_debugreg(7) == 0x400,
             "%#lx", HYPERVISOR_get_debugreg(7));
    xt_check_rc("dr8_set", HYPERVISOR_set_debugreg(8, 0), -XEN_ENODEV);
    xt_check_rc("dr8_get", HYPERVISOR_get_debugreg(8), -XEN_ENODEV);
    HYPERVISOR_set_debugreg(0, 0);
    HYPERVISOR_set_debugreg(1, 0);
}

static uint64_t gs_probe(void)
{
    uint64_t v;

    asm volatile ( "mov %%gs:0, %0" : "=r" (v) :: "memory" );
    return v;
}

static uint64_t fs_probe(void)
{
    uint64_t v;

    asm volatile ( "mov %%fs:8, %0" : "=r" (v) :: "memory" );
    return v;
}

static uint64_t seg_area[4] = { 0x6b65726e656c6773UL, 0x667362617365UL };

static void segbase_checks(void)
{
    xt_check_rc("gs_kernel_set", HYPERVISOR_set_segment_base(
                SEGBASE_GS_KERNEL, (unsigned long)seg_area), 0);
    xt_check("gs_kernel_used", gs_probe() == seg_area[0], NULL);
    xt_check_rc("fs_set", HYPERVISOR_set_segment_base(SEGBASE_FS,
                (unsigned long)seg_area), 0);
    xt_check("fs_used", fs_probe() == seg_area[1], NULL);
    xt_check_rc("gs_user_set", HYPERVISOR_set_segment_base(SEGBASE_GS_USER,
                0x1000), 0);
    xt_check("gs_user_not_active", gs_probe() == seg_area[0], NULL);
    xt_check_rc("fs_noncanonical", HYPERVISOR_set_segment_base(SEGBASE_FS,
                0x0000800000000000UL), -XEN_EINVAL);
    xt_check_rc("gs_kernel_noncanonical", HYPERVISOR_set_segment_base(
                SEGBASE_GS_KERNEL, 0x8000000000000000UL), -XEN_EINVAL);
    xt_check_rc("gs_user_noncanonical", HYPERVISOR_set_segment_base(
                SEGBASE_GS_USER, 0x0000900000000000UL), -XEN_EINVAL);
    xt_check_rc("segbase_bad_which", HYPERVISOR_set_segment_base(4, 0),
                -XEN_EINVAL);
    /* A bad user %gs selector is nulled, not refused (Linux BUG()s). */
    xt_check_rc("gs_user_sel_bad", HYPERVISOR_set_segment_base(
                SEGBASE_GS_USER_SEL, 0x1234), 0);
    xt_check("gs_kernel_kept", gs_probe() == seg_area[0], NULL);
    xt_check_rc("gs_user_sel_null", HYPERVISOR_set_segment_base(
                SEGBASE_GS_USER_SEL, 0), 0);
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0);
}

#define DESC_DATA_DPL3 0x00cff2000000ffffUL   /* flat data, DPL 3      */
#define DESC_CODE_DPL0 0x00af9a000000ffffUL   /* 64-bit code, DPL 0    */
#define DESC_CODE_FIXED 0x00affa000000ffffUL  /* ...as Xen stores it   */
#define DESC_TSS       0x00008900000000ffUL   /* available 64-bit TSS  */
#define DESC_INTGATE   0x00008e0000100000UL   /* interrupt gate        */
#define DESC_CALLGATE 0x0000ec0000000000UL  /* 64-bit call gate, DPL 3 */

static void desc_checks(void)
{
    uint64_t *gdt = xt_alloc_page();
    uint64_t *l1 = xt_alloc_page();
    unsigned long frame = xt_virt_to_mfn(gdt);
    uint64_t gdt_ma = frame << 12;
    uint16_t sel;

    gdt[1] = DESC_DATA_DPL3;
    gdt[2] = DESC_CODE_DPL0;

    /* Still mapped writable: it cannot take the descriptor-page type. */
    xt_check_rc("set_gdt_writable", HYPERVISOR_set_gdt(&frame, 16),
                -XEN_EINVAL);
    xt_make_ro(gdt);
    xt_check_rc("set_gdt_too_many", HYPERVISOR_set_gdt(&frame, 7169),
                -XEN_EINVAL);
    xt_check_rc("set_gdt_fault", HYPERVISOR_set_gdt((void *)UNMAPPED, 16),
                -XEN_EFAULT);
    xt_check_rc("set_gdt", HYPERVISOR_set_gdt(&frame, 16), 0);
    xt_check("set_gdt_dpl_fixed", gdt[2] == DESC_CODE_FIXED, "%#lx",
             gdt[2]);
    {
        long rc = xt_make_rw(gdt);

        xt_check("gdt_mapped_rw_refused", rc == -XEN_EBUSY, "rc %ld", rc);
    }

    asm volatile ( "mov %1, %%fs; mov %%fs, %0" : "=r" (sel) : "r" (0xb) );
    xt_check("gdt_selector_loads", sel == 0xb, "%#x", sel);
    asm volatile ( "mov %0, %%fs" :: "r" (0) );

    xt_check_rc("update_desc_tss", HYPERVISOR_update_descriptor(
                gdt_ma + 3 * 8, DESC_TSS), -XEN_EINVAL);
    xt_check_rc("update_desc_intgate", HYPERVISOR_update_descriptor(
                gdt_ma + 3 * 8, DESC_INTGATE), -XEN_EINVAL);
    xt_check_rc("update_desc_callgate_bad_sel", HYPERVISOR_update_descriptor(
                gdt_ma + 3 * 8, DESC_CALLGATE | (0xe008UL << 16)),
                -XEN_EINVAL);
    xt_check_rc("update_desc_misaligned", HYPERVISOR_update_descriptor(
                gdt_ma + 3 * 8 + 4, DESC_DATA_DPL3), -XEN_EINVAL);
    xt_check("update_desc_nothing_changed", gdt[3] == 0, "%#lx", gdt[3]);
    xt_check_rc("update_desc_ok", HYPERVISOR_update_descriptor(
                gdt_ma + 3 * 8, DESC_CODE_DPL0), 0);
    xt_check("update_desc_dpl_fixed", gdt[3] == DESC_CODE_FIXED, "%#lx",
             gdt[3]);
    xt_check_rc("update_desc_not_present_ok", HYPERVISOR_update_descriptor(
                gdt_ma + 4 * 8, DESC_TSS & ~(1UL << 47)), 0);

    /* A page-table page is not a place for descriptors. */
    xt_make_ro(l1);
    xt_check_rc("pin_l1_for_desc", xt_mmuext1(MMUEXT_PIN_L1_TABLE,
                xt_virt_to_mfn(l1), 0), 0);
    xt_check_rc("update_desc_on_l1", HYPERVISOR_update_descriptor(
                xt_virt_to_mfn(l1) << 12, DESC_DATA_DPL3), -XEN_EINVAL);
    xt_check("update_desc_l1_unchanged", l1[0] == 0, "%#lx", l1[0]);
    xt_mmuext1(MMUEXT_UNPIN_TABLE, xt_virt_to_mfn(l1), 0);
    xt_make_rw(l1);

    /* A page with a bad descriptor cannot become a GDT. */
    {
        uint64_t *bad = xt_alloc_page();
        unsigned long bframe = xt_virt_to_mfn(bad);

        bad[5] = DESC_TSS;
        xt_make_ro(bad);
        xt_check_rc("set_gdt_bad_desc", HYPERVISOR_set_gdt(&bframe, 16),
                    -XEN_EINVAL);
        xt_make_rw(bad);
    }

    /* Drop the GDT; the page becomes writable again. */
    xt_check_rc("set_gdt_empty", HYPERVISOR_set_gdt(&frame, 0), 0);
    xt_check_rc("gdt_page_rw_again", xt_make_rw(gdt), 0);
}

static void multicall_checks(void)
{
    char buf[16];
    struct multicall_entry mc[4] = {
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version, 0 } },
        { .op = 70 },
        { .op = __HYPERVISOR_xen_version,
          .args = { XENVER_extraversion, UNMAPPED } },
        { .op = __HYPERVISOR_xen_version,
          .args = { XENVER_extraversion, (unsigned long)buf } },
    };
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);

    xt_check_rc("multicall", HYPERVISOR_multicall(mc, 4), 0);
    xt_check("multicall_result0", (long)mc[0].result == v, "%#lx",
             mc[0].result);
    xt_check("multicall_bad_op_enosys", (long)mc[1].result == -XEN_ENOSYS,
             "%ld", (long)mc[1].result);
    xt_check("multicall_bad_ptr_efault", (long)mc[2].result == -XEN_EFAULT,
             "%ld", (long)mc[2].result);
    xt_check("multicall_after_bad_runs", (long)mc[3].result == 0,
             "%ld", (long)mc[3].result);
    xt_check_rc("multicall_list_fault",
                HYPERVISOR_multicall((void *)UNMAPPED, 2), -XEN_EFAULT);
    xt_check_rc("multicall_empty", HYPERVISOR_multicall(mc, 0), 0);
}

/*
 * One test per image directory (the runner names checks after it); an
 * unexpected fault aborts it through the guard.
 */
XTEST(traps, 87)
{
    xt_traps_init();
    frame_checks();         /* 10 */
    pf_checks();            /*  5 */
    soft_checks();          /*  9 */
    fpu_checks();           /*  5 */
    debugreg_checks();      /* 15 */
    segbase_checks();       /* 13 */
    desc_checks();          /* 21 */
    multicall_checks();     /*  7 */
}
