/*
 * xsa: hostile checks named after Xen security advisories (issue 12,
 * "advisory sweep"; docs/security.md, "Advisory sweep", has the verdict
 * for every advisory).  One boot of the initial domain; each check is
 * what a PV guest can do to reach the bug class of one advisory, and
 * expects what Xen 4.17 (Debian's build, which carries the fixes) does.
 *
 * Every check fails on the bad outcome: a refused operation must return
 * the error Xen 4.17 returns *and* leave the state it would have changed
 * as it was (the PTE, the M2P entry, the grant entry's flags, the debug
 * register), read back from the guest.  A hypervisor crash ends the boot
 * early, which run.py reports as a failure of the checks not reached.
 */
#include "xtpv.h"
#include "xbops.h"
#include "dom0.h"

#include <public/grant_table.h>
#include <public/version.h>

/* The bounce-frame child (tests/guests/xsachild). */
asm ( ".pushsection .rodata.xsachild_elf, \"a\", @progbits\n\t"
      ".balign 4096\n"
      "xsachild_elf_start:\n\t"
      ".incbin \"" XSACHILD_ELF "\"\n"
      "xsachild_elf_end:\n\t"
      ".popsection" );
extern const uint8_t xsachild_elf_start[], xsachild_elf_end[];

#define UNMAPPED     0x0000100000000000UL   /* L4 slot 32: nothing there   */
#define NONCANON     0x0000800000000000UL   /* first non-canonical address */
#define NONCANON_HI  0x8000000000000000UL
#define HV_PRIVATE   0xffff830000001000UL   /* the hypervisor's own range  */
#define FOREIGN_MFN  0x200UL                /* 2 MiB: the hypervisor image */
#define BAD_MFN      (1UL << 40)            /* far past the end of RAM     */
#define SELF_ID      0                      /* the initial domain          */
#define PTE_RO       (_PAGE_PRESENT | _PAGE_ACCESSED)
#define PTE_RW       (PTE_RO | _PAGE_RW | _PAGE_DIRTY)

static uint64_t mfn_of(const void *p)
{
    return xt_virt_to_mfn(p);
}

/* ------------------------------------------------------------------ */
/* XSA-7, 193: callbacks and segment bases must be canonical.          */

static void canonical_checks(void)
{
    struct trap_info ti[2] = {
        { .vector = 0xf0, .cs = FLAT_KERNEL_CS, .address = NONCANON },
    };
    struct callback_register cb = {
        .type = CALLBACKTYPE_event, .address = NONCANON,
    };
    long rc[4];
    uint64_t base = 0;
    int vec;

    rc[0] = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    cb.type = CALLBACKTYPE_syscall;
    cb.address = NONCANON_HI;
    rc[1] = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    cb.type = CALLBACKTYPE_failsafe;
    rc[2] = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    rc[3] = HYPERVISOR_set_trap_table(ti);
    xt_check("xsa-7-callback-noncanonical",
             rc[0] == -XEN_EINVAL && rc[1] == -XEN_EINVAL &&
             rc[2] == -XEN_EINVAL && rc[3] == -XEN_EINVAL,
             "event %ld syscall %ld failsafe %ld trap %ld",
             rc[0], rc[1], rc[2], rc[3]);

    rc[0] = HYPERVISOR_set_segment_base(SEGBASE_FS, NONCANON);
    rc[1] = HYPERVISOR_set_segment_base(SEGBASE_GS_USER, NONCANON_HI);
    rc[2] = HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, NONCANON);
    vec = xt_probe_rdmsr(MSR_FS_BASE, &base);
    xt_check("xsa-193-segbase-noncanonical",
             rc[0] == -XEN_EINVAL && rc[1] == -XEN_EINVAL &&
             rc[2] == -XEN_EINVAL && (vec >= 0 || base != NONCANON),
             "fs %ld gs_user %ld gs_kernel %ld (fs base now %#lx, vec %d)",
             rc[0], rc[1], rc[2], base, vec);
    vec = xt_probe_wrmsr(MSR_FS_BASE, NONCANON);
    base = 0;
    xt_probe_rdmsr(MSR_FS_BASE, &base);
    xt_check("xsa-193-wrmsr-fsbase-noncanonical",
             vec == X86_EXC_GP && base != NONCANON,
             "wrmsr vector %d, fs base %#lx", vec, base);
}

/* ------------------------------------------------------------------ */
/* XSA-12, 444: debug registers a guest may not load.                  */

static void debugreg_checks(void)
{
    long dr7 = HYPERVISOR_get_debugreg(7), dr0 = HYPERVISOR_get_debugreg(0);
    long rc[4];

    rc[0] = HYPERVISOR_set_debugreg(7, 1UL << 32);
    rc[1] = HYPERVISOR_set_debugreg(7, 0x400 | (1UL << 13));   /* GD */
    rc[2] = HYPERVISOR_set_debugreg(6, 1UL << 40);
    xt_check("xsa-12-dr7-reserved",
             rc[0] == -XEN_EINVAL && rc[1] == -XEN_EPERM &&
             rc[2] == -XEN_EINVAL && HYPERVISOR_get_debugreg(7) == dr7,
             "dr7 high %ld dr7 GD %ld dr6 high %ld, dr7 %#lx (was %#lx)",
             rc[0], rc[1], rc[2], HYPERVISOR_get_debugreg(7), dr7);
    rc[3] = HYPERVISOR_set_debugreg(0, HV_PRIVATE);
    xt_check("xsa-444-breakpoint-in-hypervisor",
             rc[3] == -XEN_EPERM && HYPERVISOR_get_debugreg(0) == dr0,
             "rc %ld, dr0 %#lx", rc[3], HYPERVISOR_get_debugreg(0));

    /* The edges, as Xen 4.17's __addr_ok: one address, not a range. */
    rc[0] = HYPERVISOR_set_debugreg(1, 0x00007ffffffffffcUL);
    rc[1] = HYPERVISOR_set_debugreg(1, NONCANON);
    rc[2] = HYPERVISOR_set_debugreg(1, 0xffff87fffffffff8UL);
    rc[3] = HYPERVISOR_set_debugreg(1, 0xffff880000000000UL);
    HYPERVISOR_set_debugreg(1, 0);
    xt_check("xsa-444-breakpoint-edges",
             rc[0] == 0 && rc[1] == -XEN_EPERM && rc[2] == -XEN_EPERM &&
             rc[3] == 0,
             "top of user half %ld, non-canonical %ld, end of hypervisor "
             "%ld, guest kernel half %ld", rc[0], rc[1], rc[2], rc[3]);
}

/* ------------------------------------------------------------------ */
/* XSA-148, 167, 182: page-table entries a PV guest may not write.     */

#define PSE_L2_VA  (XT_VIRT_BASE + 510 * (2UL << 20))  /* empty L2 slot */
#define PSE_L3_VA  (XT_VIRT_BASE - (1UL << 30))         /* empty L3 slot */
#define LIN_SLOT   300                                  /* empty L4 slot */

static void superpage_check(const char *name, unsigned long va,
                            unsigned int lvl)
{
    uint64_t ma = xt_pt_entry_maddr(va, lvl), v;
    void *target = xt_alloc_page();
    long rc, ro;
    int vec;

    if ( !ma || xt_pt_entry(va, lvl) )
    {
        xt_skip(name, "no empty level-%u slot at %#lx", lvl, va);
        return;
    }
    /* Read-only, so that it could pass as a lower-level table. */
    ro = xt_make_ro(target);
    rc = xt_mmu_update1(ma | MMU_NORMAL_PT_UPDATE,
                        (mfn_of(target) << 12) | PTE_RW | _PAGE_PSE);
    vec = xt_probe_read(va, &v);
    xt_check(name, ro == 0 && rc == -XEN_EINVAL && xt_pt_entry(va, lvl) == 0 &&
             vec == X86_EXC_PF, "rc %ld, entry %#lx, read vector %d", rc,
             xt_pt_entry(va, lvl), vec);
    if ( xt_pt_entry(va, lvl) )
        xt_mmu_update1(ma | MMU_NORMAL_PT_UPDATE, 0);
    xt_make_rw(target);
}

static void pagetable_checks(void)
{
    uint64_t l4_mfn = mfn_of(xt_cur_l4);
    uint64_t ma = (l4_mfn << 12) + LIN_SLOT * 8;
    uint64_t self = (l4_mfn << 12) | PTE_RO;
    long rc, rc2, rc3;

    /*
     * The target is an empty read-only page of ours: without the PSE
     * refusal it would pass validation as an empty lower-level table,
     * and the CPU would map the 2 MiB / 1 GiB around it (XSA-148).
     */
    superpage_check("xsa-148-l2-superpage", PSE_L2_VA, 2);
    superpage_check("xsa-148-l3-superpage", PSE_L3_VA, 3);

    /*
     * XSA-182: a read-only self-link in the L4 is allowed (a linear page
     * table); making it writable is a flag change a fast path could take
     * without re-validating, and would hand the guest its own L4 to write.
     */
    if ( xt_cur_l4[LIN_SLOT] )
    {
        xt_skip("xsa-182-l4-linear-rw-fastpath", "L4 slot %u in use",
                LIN_SLOT);
        return;
    }
    rc = xt_mmu_update1(ma | MMU_NORMAL_PT_UPDATE, self);
    rc2 = xt_mmu_update1(ma | MMU_NORMAL_PT_UPDATE, self | _PAGE_RW);
    rc3 = xt_mmu_update1(ma | MMU_NORMAL_PT_UPDATE,
                         self | _PAGE_RW | _PAGE_DIRTY | _PAGE_USER);
    xt_check("xsa-182-l4-linear-rw-fastpath",
             rc == 0 && rc2 == -XEN_EINVAL && rc3 == -XEN_EINVAL &&
             xt_cur_l4[LIN_SLOT] != 0 && !(xt_cur_l4[LIN_SLOT] & _PAGE_RW),
             "ro link %ld, +rw %ld, +rw+d+u %ld, entry %#lx", rc, rc2, rc3,
             xt_cur_l4[LIN_SLOT]);
    rc = xt_mmu_update1(ma | MMU_NORMAL_PT_UPDATE, 0);
    if ( rc )
        xt_error("clearing the L4 self-link: %ld", rc);
}

/* ------------------------------------------------------------------ */
/* XSA-32, 109, 113: frames that are not the guest's.                  */

static void frame_checks(void)
{
    uint64_t m2p_old = xt_m2p[FOREIGN_MFN];
    long rc, rc2, rc3, rc4;

    rc = xt_mmu_update1((FOREIGN_MFN << 12) | MMU_MACHPHYS_UPDATE, 0x1234);
    rc2 = xt_mmu_update1((BAD_MFN << 12) | MMU_MACHPHYS_UPDATE, 0x1234);
    xt_check("xsa-109-machphys-not-owned",
             rc == -XEN_EINVAL && rc2 == -XEN_EINVAL &&
             xt_m2p[FOREIGN_MFN] == m2p_old,
             "foreign %ld, past RAM %ld, m2p %#lx (was %#lx)", rc, rc2,
             xt_m2p[FOREIGN_MFN], m2p_old);

    rc = xt_mmuext1(MMUEXT_PIN_L1_TABLE, BAD_MFN, 0);
    rc2 = xt_mmuext1(MMUEXT_PIN_L4_TABLE, FOREIGN_MFN, 0);
    rc3 = xt_mmuext1(MMUEXT_NEW_BASEPTR, BAD_MFN, 0);
    rc4 = xt_mmuext1(MMUEXT_NEW_USER_BASEPTR, FOREIGN_MFN, 0);
    xt_check("xsa-32-mmuext-bad-frames",
             rc == -XEN_EINVAL && rc2 == -XEN_EINVAL && rc3 == -XEN_EINVAL &&
             rc4 == -XEN_EINVAL,
             "pin past RAM %ld, pin foreign %ld, baseptr past RAM %ld, "
             "user baseptr foreign %ld", rc, rc2, rc3, rc4);
}

/* XSA-31: a huge extent order allocates nothing. */
static void reservation_checks(void)
{
    xen_pfn_t pfn = 0x7fff0;
    domid_t self = DOMID_SELF;
    long before = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    struct xt_memory_reservation r = {
        .extent_start = (uint64_t)&pfn, .nr_extents = 1, .extent_order = 40,
        .domid = DOMID_SELF,
    };
    long rc = HYPERVISOR_memory_op(XENMEM_increase_reservation, &r), rc2;

    r.extent_order = 0xffffffffu;
    rc2 = HYPERVISOR_memory_op(XENMEM_increase_reservation, &r);
    xt_check("xsa-31-extent-order",
             rc == 0 && rc2 == 0 && pfn == 0x7fff0 &&
             HYPERVISOR_memory_op(XENMEM_current_reservation, &self) == before,
             "order 40 %ld, order ~0 %ld, pfn %#lx, pages %ld (were %ld)",
             rc, rc2, pfn,
             HYPERVISOR_memory_op(XENMEM_current_reservation, &self), before);
}

/*
 * XSA-252: giving back a frame that is a pinned page table must not unpin
 * it behind the guest's back (the pin's type reference would be dropped
 * while the pin bit said otherwise).  Xen 4.17: the extent is released
 * (1) but the pin keeps the frame (and its count in the reservation); a
 * later unpin works and frees it.
 */
static void pinned_release_checks(void)
{
    void *p = xt_alloc_page();
    uint64_t mfn = mfn_of(p), pfn = xt_m2p[mfn];
    domid_t self = DOMID_SELF;
    long before = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    xen_pfn_t gmfn = mfn;                /* PV: a gmfn is the mfn */
    struct xt_memory_reservation r = {
        .extent_start = (uint64_t)&gmfn, .nr_extents = 1,
        .domid = DOMID_SELF,
    };
    long ro, pin, clr, dec, after, unpin, freed;

    ro = xt_make_ro(p);
    pin = xt_mmuext1(MMUEXT_PIN_L1_TABLE, mfn, 0);
    clr = xt_set_pte((unsigned long)p, 0, UVMF_INVLPG);
    dec = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r);
    after = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    unpin = xt_mmuext1(MMUEXT_UNPIN_TABLE, mfn, 0);
    freed = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    xt_p2m[pfn] = ~0UL;
    xt_check("xsa-252-release-pinned-table",
             ro == 0 && pin == 0 && clr == 0 && dec == 1 &&
             after == before && unpin == 0 && freed == before - 1,
             "ro %ld pin %ld unmap %ld, released %ld, pages %ld -> %ld, "
             "unpin %ld, pages %ld", ro, pin, clr, dec, before, after, unpin,
             freed);
}

/* ------------------------------------------------------------------ */
/* XSA-122: xen_version strings carry no stale bytes after their NUL.  */

static bool zero_after_nul(const uint8_t *b, size_t n)
{
    size_t i = 0;

    while ( i < n && b[i] )
        i++;
    for ( ; i < n; i++ )
        if ( b[i] )
            return false;
    return true;
}

static void version_checks(void)
{
    static uint8_t buf[1100];
    static const struct { int cmd; size_t len; size_t fields; } subs[] = {
        { XENVER_extraversion, sizeof(xen_extraversion_t), 1 },
        { XENVER_compile_info, sizeof(xen_compile_info_t), 4 },
        { XENVER_capabilities, sizeof(xen_capabilities_info_t), 1 },
        { XENVER_changeset, sizeof(xen_changeset_info_t), 1 },
    };
    char bad[64] = "";
    unsigned int i, f;

    for ( i = 0; i < ARRAY_SIZE(subs); i++ )
    {
        long rc;
        size_t flen = subs[i].len / subs[i].fields;

        memset(buf, 0xa5, sizeof(buf));
        rc = HYPERVISOR_xen_version(subs[i].cmd, buf);
        if ( rc )
            snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
                     " %d:rc%ld", subs[i].cmd, rc);
        for ( f = 0; f < subs[i].fields; f++ )
        {
            /* compile_info: compiler[64] by[16] domain[32] date[32] */
            static const size_t ci[] = { 0, 64, 80, 112, 144 };
            const uint8_t *p = subs[i].fields > 1 ? buf + ci[f] : buf;
            size_t n = subs[i].fields > 1 ? ci[f + 1] - ci[f] : flen;

            if ( !zero_after_nul(p, n) )
                snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
                         " %d.%u", subs[i].cmd, f);
        }
        if ( buf[subs[i].len] != 0xa5 )
            snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
                     " %d:overrun", subs[i].cmd);
    }
    xt_check("xsa-122-xen-version-padding", !bad[0], "stale bytes in%s",
             bad);
}

/* ------------------------------------------------------------------ */
/* XSA-202: a PV guest never runs with EFLAGS.IF clear.                */

static uint64_t iret_if_clear(void)
{
    uint64_t fl;

    asm volatile ( "mov %%rsp, %%r8\n\t"
                   "pushq $%c[ss]\n\t"
                   "pushq %%r8\n\t"
                   "pushq $2\n\t"                /* rflags: IF clear */
                   "pushq $%c[cs]\n\t"          /* RPL 0: back to kernel */
                   "lea 1f(%%rip), %%r9\n\t"
                   "pushq %%r9\n\t"
                   "pushq $0\n\t"                /* flags */
                   "pushq %%rcx\n\t"
                   "pushq %%r11\n\t"
                   "pushq %%rax\n\t"
                   "mov $%c[nr], %%eax\n\t"
                   "syscall\n\t"
                   "ud2\n"
                   "1: pushfq\n\t"
                   "popq %0"
                   : "=r" (fl)
                   : [ss] "i" (FLAT_KERNEL_SS), [cs] "i" (FLAT_KERNEL_CS & ~3),
                     [nr] "i" (__HYPERVISOR_iret)
                   : "rax", "rcx", "r8", "r9", "r11", "memory" );
    return fl;
}

static void iret_checks(void)
{
    uint8_t *mask = xt_upcall_mask();
    uint8_t was = *mask;
    uint64_t fl;
    uint8_t after;

    *mask = 0;
    barrier();
    fl = iret_if_clear();
    after = ACCESS_ONCE(*mask);
    xt_check("xsa-202-iret-if-stays-on",
             (fl & X86_EFLAGS_IF) && after == 1,
             "rflags %#lx, upcall mask %u", fl, after);
    if ( !was )
        xt_events_enable();
}

/* ------------------------------------------------------------------ */
/* XSA-259: int $0x80 from a 64-bit PV kernel.                          */

static unsigned int int80_seen;

static bool int80_hook(struct xt_regs *regs)
{
    (void)regs;
    int80_seen++;
    return true;
}

static void int80_checks(void)
{
    struct trap_info ti[2] = {
        { .vector = 0x80, .flags = 3, .cs = FLAT_KERNEL_CS,
          .address = xt_trap_entry(0x80) },
    };
    long rc;
    int vec;

    /* Not in the trap table: #GP with the IDT error code (0x80 << 3 | 2). */
    xt_fault_clear();
    asm volatile ( "1: int $0x80; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    vec = xt_fault_vec();
    xt_check("xsa-259-int80-unregistered-gp",
             vec == X86_EXC_GP && xt_last_fault.error_code == 0x402,
             "vector %d error code %#lx", vec, xt_last_fault.error_code);

    xt_trap_hooks[0x80] = int80_hook;
    rc = HYPERVISOR_set_trap_table(ti);
    xt_fault_clear();
    asm volatile ( "1: int $0x80; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    vec = xt_fault_vec();
    xt_check("xsa-259-int80-registered",
             rc == 0 && int80_seen == 1 && vec < 0,
             "set_trap_table %ld, handler ran %u times, fault %d", rc,
             int80_seen, vec);
}

/* ------------------------------------------------------------------ */
/* XSA-20: timer periods and deadlines at the ends of their range.     */

static void timer_checks(void)
{
    struct vcpu_set_periodic_timer p = { .period_ns = 1UL << 63 };
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = ~0UL };
    long rc[5];

    rc[0] = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
    p.period_ns = ~0UL;
    rc[1] = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
    p.period_ns = 999999;                    /* under 1 ms */
    rc[2] = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
    rc[3] = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
    rc[4] = HYPERVISOR_set_timer_op(~0UL);
    HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    HYPERVISOR_set_timer_op(0);
    xt_check("xsa-20-timer-bounds",
             rc[0] == -XEN_EINVAL && rc[1] == -XEN_EINVAL &&
             rc[2] == -XEN_EINVAL && rc[3] == 0 && rc[4] == 0,
             "period 2^63 %ld, ~0 %ld, 999999 %ld; singleshot ~0 %ld, "
             "set_timer_op ~0 %ld", rc[0], rc[1], rc[2], rc[3], rc[4]);
}

/* ------------------------------------------------------------------ */
/* XSA-327, 333: vCPU info placement, odd MSRs.                         */

static void vcpu_checks(void)
{
    struct vcpu_register_vcpu_info r = { .mfn = xt_p2m[0], .offset = 4 };
    long rc, rc2;
    uint64_t v = 0;
    int vec, vec2;

    rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r);
    r.offset = PAGE_SIZE - 32;
    rc2 = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r);
    xt_check("xsa-327-vcpu-info-misplaced",
             rc == -XEN_ENXIO && rc2 == -XEN_ENXIO,
             "offset 4: %ld, offset 4064: %ld", rc, rc2);

    /* Either a value or #GP for the guest; the hypervisor must survive. */
    vec = xt_probe_rdmsr(MSR_IA32_MISC_ENABLE, &v);
    vec2 = xt_probe_wrmsr(MSR_IA32_MISC_ENABLE, v);
    xt_check("xsa-333-misc-enable-msr",
             (vec < 0 || vec == X86_EXC_GP) &&
             (vec2 < 0 || vec2 == X86_EXC_GP),
             "rdmsr vector %d (%#lx), wrmsr vector %d", vec, v, vec2);
}

/* ------------------------------------------------------------------ */
/* Grants to ourselves: XSA-227, 316, 500.                             */

static grant_entry_v1_t *gt;

static long gnttab(unsigned int cmd, void *arg, unsigned int count)
{
    return HC(__HYPERVISOR_grant_table_op, cmd, arg, count, 0, 0);
}

static void grant(grant_ref_t ref, uint64_t mfn, uint16_t flags)
{
    gt[ref].flags = 0;
    barrier();
    gt[ref].frame = (uint32_t)mfn;
    gt[ref].domid = SELF_ID;
    barrier();
    __atomic_store_n(&gt[ref].flags, flags, __ATOMIC_RELEASE);
}

static uint16_t flags_of(grant_ref_t ref)
{
    return __atomic_load_n(&gt[ref].flags, __ATOMIC_ACQUIRE);
}

static int16_t map(grant_ref_t ref, uint32_t flags, uint64_t addr,
                   grant_handle_t *h)
{
    gnttab_map_grant_ref_t m = {
        .host_addr = addr, .flags = flags, .ref = ref, .dom = SELF_ID,
        .status = 99, .handle = ~0u,
    };
    long rc = gnttab(GNTTABOP_map_grant_ref, &m, 1);

    *h = m.handle;
    return rc ? (int16_t)rc : m.status;
}

static int16_t unmap(grant_handle_t h, uint64_t addr)
{
    gnttab_unmap_grant_ref_t u = { .host_addr = addr, .handle = h,
                                   .status = 99 };
    long rc = gnttab(GNTTABOP_unmap_grant_ref, &u, 1);

    return rc ? (int16_t)rc : u.status;
}

static int16_t copy_to_ref(grant_ref_t ref, const void *src, unsigned int len)
{
    gnttab_copy_t c = {
        .source = { .u.gmfn = mfn_of(src), .domid = DOMID_SELF },
        .dest = { .u.ref = ref, .domid = SELF_ID },
        .len = len, .flags = GNTCOPY_dest_gref, .status = 99,
    };
    long rc = gnttab(GNTTABOP_copy, &c, 1);

    return rc ? (int16_t)rc : c.status;
}

static bool grant_setup(void)
{
    gnttab_setup_table_t s = { .dom = DOMID_SELF, .nr_frames = 1,
                               .status = 99 };
    xen_pfn_t frame = 0;
    long rc;

    set_xen_guest_handle(s.frame_list, &frame);
    rc = gnttab(GNTTABOP_setup_table, &s, 1);
    if ( rc || s.status != GNTST_okay || !frame )
    {
        xt_error("setup_table: rc %ld status %d", rc, s.status);
        return false;
    }
    gt = xt_map_mfn(frame, PTE_RW);
    return true;
}

static void grant_checks(void)
{
    uint8_t *a = xt_alloc_page(), *b = xt_alloc_page(), *dst = xt_alloc_page();
    unsigned long va = xt_scratch_va();
    uint64_t pte_ma = xt_pte_maddr(va);
    grant_handle_t h = ~0u, h2 = ~0u;
    int16_t st, st2, st3;
    uint64_t v;
    long rc;

    memset(a, 0x11, PAGE_SIZE);
    memset(b, 0x22, PAGE_SIZE);
    memset(dst, 0x44, PAGE_SIZE);   /* the copies' source */

    /* XSA-227: a PTE address must be 8-byte aligned. */
    grant(10, mfn_of(a), GTF_permit_access);
    st = map(10, GNTMAP_host_map | GNTMAP_contains_pte, pte_ma + 4, &h);
    st2 = map(10, GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly,
              pte_ma + 1, &h);
    xt_check("xsa-227-grant-pte-misaligned",
             st == GNTST_general_error && st2 == GNTST_general_error &&
             flags_of(10) == GTF_permit_access &&
             xt_probe_read(va, &v) == X86_EXC_PF,
             "status %d/%d, flags %#x", st, st2, flags_of(10));

    /* XSA-316: a failed map leaves the entry neither pinned nor in use. */
    st = map(10, GNTMAP_host_map, UNMAPPED, &h);
    st2 = map(10, GNTMAP_host_map, va, &h2);
    st3 = st2 == GNTST_okay ? unmap(h2, va) : -99;
    xt_check("xsa-316-map-error-unpins",
             st == GNTST_general_error && st2 == GNTST_okay &&
             st3 == GNTST_okay && flags_of(10) == GTF_permit_access,
             "bad map %d, map %d, unmap %d, flags %#x", st, st2, st3,
             flags_of(10));

    /*
     * XSA-224/234 class: the guest clears a grant mapping's PTE itself
     * (Xen 4.17 release builds allow it, dropping the mapping's frame
     * reference); the unmap then finds no matching PTE and fails as a
     * whole, leaving the grant pinned until the domain dies.  Xenia's
     * frame audit at poweroff checks that teardown releases it once.
     */
    grant(12, mfn_of(b), GTF_permit_access);
    st = map(12, GNTMAP_host_map, va, &h);
    rc = HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG);
    st2 = st == GNTST_okay ? unmap(h, va) : -99;
    st3 = st == GNTST_okay ? unmap(h, va) : -99;
    xt_check("xsa-224-implicit-unmap",
             st == GNTST_okay && rc == 0 && st2 == GNTST_general_error &&
             st3 == GNTST_general_error &&
             flags_of(12) == (GTF_permit_access | GTF_reading | GTF_writing),
             "map %d, clear PTE %ld, unmap %d, again %d, flags %#x", st, rc,
             st2, st3, flags_of(12));
    va = xt_scratch_va();

    /*
     * XSA-500: a grant pinned read-only by a mapping, whose granter then
     * changes the frame in the entry.  A writable copy into it takes the
     * frame from the entry again and must find it matches the pinned
     * one: Xen 4.17 (with the fix) refuses the mismatch with
     * GNTST_general_error and writes neither frame.
     */
    grant(11, mfn_of(a), GTF_permit_access);
    st = map(11, GNTMAP_host_map | GNTMAP_readonly, va, &h);
    gt[11].frame = (uint32_t)mfn_of(b);
    barrier();
    st2 = copy_to_ref(11, dst, 64);
    xt_check("xsa-500-copy-pinned-frame-changed-own",
             st == GNTST_okay && st2 == GNTST_general_error &&
             a[0] == 0x11 && b[0] == 0x22 &&
             flags_of(11) == (GTF_permit_access | GTF_reading),
             "map %d, copy %d, a %#x b %#x (0x44 = written), flags %#x",
             st, st2, a[0], b[0], flags_of(11));
    gt[11].frame = (uint32_t)FOREIGN_MFN;
    barrier();
    st2 = copy_to_ref(11, dst, 64);
    xt_check("xsa-500-copy-pinned-frame-changed-foreign",
             st2 != GNTST_okay && a[0] == 0x11 &&
             flags_of(11) == (GTF_permit_access | GTF_reading),
             "copy %d, a %#x, flags %#x", st2, a[0], flags_of(11));
    gt[11].frame = (uint32_t)mfn_of(a);
    barrier();
    st3 = st == GNTST_okay ? unmap(h, va) : GNTST_okay;
    st2 = copy_to_ref(11, dst, 64);
    xt_check("xsa-500-unpinned-after",
             st3 == GNTST_okay && st2 == GNTST_okay && a[0] == 0x44 &&
             flags_of(11) == GTF_permit_access,
             "unmap %d, copy %d, a %#x, flags %#x", st3, st2, a[0],
             flags_of(11));
}

/* ------------------------------------------------------------------ */
/* XSA-215: bounce frames onto a stack in the hypervisor's range.      */

#define CHILD_MEM_KB 6144

static struct xbh_slot slot;
static evtchn_port_t virq_port;
static int baseline_domains;
static xen_pfn_t p2m_ws[CHILD_MEM_KB / 4];

static void *op_map(void *o, domid_t dom, xen_pfn_t mfn)
{
    (void)o;
    return xbh_slot_map(&slot, dom, mfn, true);
}

static void op_unmap(void *o, void *va)
{
    (void)o;
    (void)va;
    xbh_slot_unmap(&slot);
}

static const struct xb_ops ops = {
    XBH_HYPERCALL_OPS,
    .map_foreign = op_map, .unmap_foreign = op_unmap,
};

static bool child_setup(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
    long rc;

    xbh_slot_init(&slot);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    if ( rc )
    {
        xt_error("bind VIRQ_DOM_EXC: %ld", rc);
        return false;
    }
    virq_port = bv.port;
    xbh_mask(virq_port);
    xbh_take_pending(virq_port);
    baseline_domains = xbh_nr_domains();
    return true;
}

/* Runs the child in 'mode' until it shuts down; its reason, or -1. */
static int run_child(const char *mode, long *rc_out)
{
    static char cmdline[64];
    struct xen_domctl_getdomaininfo di = { 0 };
    struct xb_config cfg;
    struct xb_domain out;
    unsigned long i;
    bool down = false;
    long rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.kernel = xsachild_elf_start;
    cfg.kernel_size = xsachild_elf_end - xsachild_elf_start;
    cfg.mem_kb = CHILD_MEM_KB;
    cfg.max_vcpus = 1;
    cfg.backend_domid = 0;
    cfg.p2m = p2m_ws;
    cfg.p2m_entries = ARRAY_SIZE(p2m_ws);
    snprintf(cmdline, sizeof(cmdline), "mode=%s", mode);
    cfg.cmdline = cmdline;
    rc = xb_build_pv(&ops, &cfg, &out);
    if ( rc == 0 )
        rc = xb_unpause(&ops, out.domid);
    for ( i = 0; rc == 0 && i < XBH_MAX_POLLS && !down; i++ )
    {
        down = xb_getdomaininfo(&ops, out.domid, &di) == 0 &&
               di.domain == out.domid && (di.flags & XEN_DOMINF_shutdown);
        if ( !down )
            xbh_poll1(virq_port, XBH_POLL_NS);
        xbh_take_pending(virq_port);
    }
    if ( rc == 0 )
        rc = xb_destroy(&ops, out.domid);
    if ( rc == 0 && !xbh_wait_gone(out.domid, baseline_domains, virq_port) )
        rc = -1;
    *rc_out = rc;
    return down ? (int)xb_shutdown_reason(&di) : -1;
}

/*
 * The child's stack pointer is the hypervisor's direct-map address of
 * physical 0xb9000 (as on Xen, Xenia's direct map starts at
 * 0xffff830000000000): a hypervisor writing a frame there without
 * checking would change the off-screen end of the VGA text buffer, which
 * dom0 maps as I/O memory.  We fill it with a pattern and look.
 */
#define VGA_MFN     0xb8UL
#define VGA_TAIL    0xf00                     /* bytes 0xb8f00-0xb8fff */

static volatile uint8_t *vga;

static bool vga_pattern(bool fill)
{
    unsigned int i;

    for ( i = VGA_TAIL; i < PAGE_SIZE; i++ )
    {
        if ( fill )
            vga[i] = (uint8_t)(i * 7 + 1);
        else if ( vga[i] != (uint8_t)(i * 7 + 1) )
            return false;
    }
    return true;
}

static void vga_map(void)
{
    unsigned long va = xt_scratch_va();
    struct mmu_update u = {
        .ptr = xt_pte_maddr(va) | MMU_NORMAL_PT_UPDATE,
        .val = (VGA_MFN << 12) | PTE_RW | _PAGE_PCD,
    };
    long rc = HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_IO);

    if ( rc )
        xt_error("mapping VGA memory: %ld", rc);
    else
        vga = (volatile uint8_t *)va;
}

static void bounce_checks(void)
{
    static const char *const modes[] = { "kstack", "ustack" };
    static const char *const names[] = {
        "xsa-215-kernel-stack-in-hypervisor",
        "xsa-215-user-to-kernel-stack-in-hypervisor",
    };
    /*
     * XSA-7/8: the hypervisor's own return to a non-canonical user rip
     * (by iret, and as from a syscall, Xen's SYSRET path): the child must
     * get #GP in its own context, as on Xen 4.17 (reboot: see xsachild).
     */
    static const char *const iret_modes[] = { "iretnc", "iretnc_sc" };
    static const char *const iret_names[] = {
        "xsa-8-iret-noncanonical-rip",
        "xsa-8-iret-syscall-noncanonical-rip",
    };
    static const int iret_want[] = { SHUTDOWN_reboot, SHUTDOWN_reboot };
    unsigned int i;
    long rc;
    int why;

    if ( !child_setup() )
        return;
    vga_map();
    if ( !vga )
        return;
    /* Control: without an attack the child powers off. */
    why = run_child("none", &rc);
    xt_check("xsa-215-control-child", rc == 0 && why == SHUTDOWN_poweroff,
             "rc %ld, shutdown reason %d", rc, why);
    for ( i = 0; i < ARRAY_SIZE(iret_modes); i++ )
    {
        why = run_child(iret_modes[i], &rc);
        xt_check(iret_names[i], rc == 0 && why == iret_want[i],
                 "rc %ld, shutdown reason %d (failsafe 0, #GP 1, crash 3, "
                 "other fault 4; want %d)", rc, why, iret_want[i]);
    }
    for ( i = 0; i < ARRAY_SIZE(modes); i++ )
    {
        bool fill = vga_pattern(true), kept;

        why = run_child(modes[i], &rc);
        kept = fill && vga_pattern(false);
        xt_check(names[i], rc == 0 && why == SHUTDOWN_crash && kept,
                 "rc %ld, shutdown reason %d (crash %d; reboot: the attack "
                 "returned), hypervisor memory %s", rc, why, SHUTDOWN_crash,
                 kept ? "untouched" : "WRITTEN");
    }
}

/*
 * XSA-344 class: EVTCHNOP_reset closes every port of a domain, work in
 * proportion to its ports, so Xen 4.17 checks for pending work as it
 * goes and makes a continuation.  dom0 resets the domU it filled with
 * ports (below), with a one-shot timer armed just ahead: the tick must
 * be delivered while the reset is in progress, its upcall landing on the
 * SYSCALL the continuation rewound to.  A reset that closes them all in
 * one go delivers it after the call, elsewhere.  Each try fills the
 * ports again; nothing is timed.
 */
#define RESET_TRIES   16
#define RESET_TICK_NS 100000

/* Ports allocated in dom, up to 'max' more: how many. */
static unsigned int fill_ports(domid_t dom, unsigned int max)
{
    struct evtchn_alloc_unbound au;
    unsigned int n;

    for ( n = 0; n < max; n++ )
    {
        au = (struct evtchn_alloc_unbound){ .dom = dom, .remote_dom = 0 };
        if ( HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) )
            break;
    }
    return n;
}

static void evtchn_reset_check(domid_t dom, unsigned int n)
{
    struct evtchn_reset r = { .dom = dom };
    unsigned int t;
    long reset = 0;
    uint64_t t0, took = 0;
    int port;
    bool ok = false;

    xt_events_init();
    /* Only our one-shot timer ticks: no periodic timer (Xen starts one). */
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    port = xt_bind_virq(VIRQ_TIMER, xt_first_tick);
    if ( port < 0 )
    {
        xt_check("xsa-344-evtchn-reset-preemptible", false,
                 "bind VIRQ_TIMER: %d", port);
        return;
    }
    for ( t = 0; t < RESET_TRIES && !ok && !reset; t++ )
    {
        if ( t )
            n = fill_ports(dom, 4096);
        xt_events_enable();
        xt_ticks = 0;
        xt_tick_rip = 0;
        HYPERVISOR_set_timer_op(xt_system_time() + RESET_TICK_NS);
        t0 = xt_system_time();
        reset = HYPERVISOR_event_channel_op(EVTCHNOP_reset, &r);
        took = xt_system_time() - t0;
        while ( !xt_ticks )
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        xt_events_disable();
        ok = xt_rip_at_syscall(xt_tick_rip);
    }
    xt_check("xsa-344-evtchn-reset-preemptible", ok && !reset && n >= 512,
             "try %u: %u ports, reset %ld, tick at rip %#lx (%s); the last "
             "reset took %lu us (information)", t, n, reset, xt_tick_rip,
             xt_rip_at_syscall(xt_tick_rip) ? "syscall" : "other",
             (unsigned long)(took / 1000));
    xt_unbind(port);
}

/*
 * A domU created with max_evtchn_port 1023 (libxbuild's, as xl's default)
 * gets no port above 1023, whichever event ABI it may choose later: on
 * FIFO events, without the limit, it could make the hypervisor allocate
 * the buckets of 131071 ports.  dom0 allocates ports in it (left paused).
 */
static void evtchn_limit_checks(void)
{
    struct evtchn_alloc_unbound au;
    struct xb_config cfg;
    struct xb_domain out;
    unsigned int n, top = 0;
    long rc, last = 0;

    memset(&cfg, 0, sizeof(cfg));
    cfg.kernel = xsachild_elf_start;
    cfg.kernel_size = xsachild_elf_end - xsachild_elf_start;
    cfg.mem_kb = CHILD_MEM_KB;
    cfg.max_vcpus = 1;
    cfg.backend_domid = 0;
    cfg.p2m = p2m_ws;
    cfg.p2m_entries = ARRAY_SIZE(p2m_ws);
    cfg.cmdline = "mode=none";
    rc = xb_build_pv(&ops, &cfg, &out);
    if ( rc )
    {
        xt_check("evtchn-max-port-honoured", false,
                 "building the domU: %ld (%s)", rc, out.failed_step ?: "-");
        return;
    }
    for ( n = 0; n < 4096; n++ )
    {
        au = (struct evtchn_alloc_unbound){ .dom = out.domid,
                                            .remote_dom = 0 };
        last = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
        if ( last )
            break;
        top = au.port;
    }
    xt_check("evtchn-max-port-honoured", top == 1023 && last == -XEN_ENOSPC,
             "highest port %u in a domU created with max_evtchn_port 1023, "
             "then %ld (want -ENOSPC)", top, last);
    evtchn_reset_check(out.domid, n);
    rc = xb_destroy(&ops, out.domid);
    if ( rc == 0 && !xbh_wait_gone(out.domid, baseline_domains, virq_port) )
        xt_error("the domU did not go away");
}

XTEST(xsa, 33)
{
    xt_traps_init();
    xt_mm_init();
    canonical_checks();
    debugreg_checks();
    pagetable_checks();
    frame_checks();
    reservation_checks();
    pinned_release_checks();
    version_checks();
    iret_checks();
    int80_checks();
    timer_checks();
    vcpu_checks();
    if ( grant_setup() )
        grant_checks();
    bounce_checks();
    if ( vga )
        evtchn_limit_checks();
}
