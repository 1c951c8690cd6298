/*
 * mm: direct paging with validation, as Xen 4.17 does it (xen/arch/x86/
 * mm.c: get_page_type, mod_lN_entry, do_mmu_update, do_mmuext_op,
 * do_update_va_mapping; xen/common/memory.c).
 *
 * Page types and pinning, every hypercall route to a writable mapping of
 * a page-table page, PSE and hypervisor-slot entries, linear page tables
 * (read-only only), machphys update, preserve-A/D, the TLB flush ops,
 * SET_LDT, NEW_BASEPTR, the M2P, and memory_op (machphys mapping, memory
 * maps, reservations, ballooning).  Each refused update must leave the
 * entry as it was.
 */
#include "xtpv.h"

#define UNMAPPED  0x0000100000000000UL
#define PTE_RW    (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_RO    (_PAGE_PRESENT | _PAGE_ACCESSED)
#define PTE_FLAGS_MASK 0xfffUL

static uint64_t mfn_of(const void *p)
{
    return xt_virt_to_mfn(p);
}

/* A zeroed page, read-only, ready to become a page table. */
static uint64_t *ro_table(void)
{
    uint64_t *t = xt_alloc_page();
    long rc = xt_make_ro(t);

    if ( rc )
        xt_error("make_ro: %ld", rc);
    return t;
}

static void m2p_checks(void)
{
    unsigned long pfn, bad = 0;
    struct xt_machphys_mapping mm;
    long rc;

    for ( pfn = 0; pfn < xt_start_info->nr_pages; pfn += 97 )
        if ( xt_m2p[xt_p2m[pfn]] != pfn )
            bad++;
    xt_check("m2p_matches_p2m", bad == 0, "%lu mismatches", bad);

    rc = HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mm);
    xt_check("machphys_mapping", rc == 0 &&
             mm.v_start == MACH2PHYS_VIRT_START &&
             mm.v_end > mm.v_start && mm.v_end <= MACH2PHYS_VIRT_END,
             "rc %ld start %#lx end %#lx max_mfn %#lx", rc, mm.v_start,
             mm.v_end, mm.max_mfn);
    bad = 0;
    for ( pfn = 0; pfn < xt_start_info->nr_pages; pfn++ )
        if ( xt_p2m[pfn] > mm.max_mfn )
            bad++;
    xt_check("machphys_max_mfn", bad == 0, "%lu frames above", bad);
}

static void memmap_checks(void)
{
    struct xt_e820 map[32];
    struct xt_memory_map mm = { .nr_entries = 32,
                                .buffer = (unsigned long)map };
    uint64_t ram = 0;
    unsigned int i;
    long rc, cur, max;
    domid_t self = DOMID_SELF;

    /*
     * Xen 4.17 keeps no pseudo-physical map for a PV dom0 (nr_e820 == 0):
     * -ENOSYS, and Linux's dom0 uses the machine map instead.
     */
    rc = HYPERVISOR_memory_op(XENMEM_memory_map, &mm);
    xt_check_rc("memory_map_dom0_enosys", rc, -XEN_ENOSYS);
    xt_check_rc("memory_map_arg_fault",
                HYPERVISOR_memory_op(XENMEM_memory_map, (void *)UNMAPPED),
                -XEN_EFAULT);

    mm.nr_entries = 32;
    rc = HYPERVISOR_memory_op(XENMEM_machine_memory_map, &mm);
    for ( i = 0; rc == 0 && i < mm.nr_entries; i++ )
        if ( map[i].type == 1 )
            ram += map[i].size;
    xt_check("machine_memory_map", rc == 0 && mm.nr_entries >= 2 &&
             ram >= xt_start_info->nr_pages * PAGE_SIZE,
             "rc %ld entries %u ram %#lx", rc, mm.nr_entries, ram);
    mm.buffer = UNMAPPED;
    mm.nr_entries = 32;
    xt_check_rc("machine_memory_map_fault",
                HYPERVISOR_memory_op(XENMEM_machine_memory_map, &mm),
                -XEN_EFAULT);

    cur = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    xt_check("current_reservation", cur == (long)xt_start_info->nr_pages,
             "%ld vs nr_pages %lu", cur, xt_start_info->nr_pages);
    max = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    xt_check("maximum_reservation", max >= cur, "%ld", max);
}

/* Balloon one page out and back in, as Linux's balloon driver does. */
static void balloon_checks(void)
{
    domid_t self = DOMID_SELF;
    void *page = xt_alloc_page();
    unsigned long pfn = ((unsigned long)page - XT_VIRT_BASE) >> 12;
    uint64_t mfn = xt_p2m[pfn], ext;
    struct xt_memory_reservation r = {
        .extent_start = (unsigned long)&ext, .nr_extents = 1,
        .extent_order = 0, .domid = DOMID_SELF,
    };
    long cur = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    long rc;

    xt_set_pte((unsigned long)page, 0, UVMF_INVLPG);
    ext = mfn;
    rc = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r);
    xt_check("decrease_reservation", rc == 1 &&
             HYPERVISOR_memory_op(XENMEM_current_reservation, &self) ==
             cur - 1, "rc %ld", rc);
    xt_check("decreased_m2p_invalid", xt_m2p[mfn] != pfn, "%#lx",
             xt_m2p[mfn]);
    ext = mfn;
    xt_check_rc("decrease_again_none",
                HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 0);

    ext = pfn;
    rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
    xt_check("populate_physmap", rc == 1 && xt_m2p[ext] == pfn &&
             HYPERVISOR_memory_op(XENMEM_current_reservation, &self) == cur,
             "rc %ld mfn %#lx m2p %#lx", rc, ext, xt_m2p[ext]);
    xt_p2m[pfn] = ext;
    rc = xt_set_pte((unsigned long)page, (ext << 12) | PTE_RW, UVMF_INVLPG);
    xt_check("populated_page_maps", rc == 0, "rc %ld", rc);

    rc = HYPERVISOR_memory_op(XENMEM_increase_reservation, &r);
    xt_check("increase_reservation", rc == 1, "rc %ld", rc);
    if ( rc == 1 )
    {
        xt_check_rc("increase_then_decrease",
                    HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 1);
    }
    else
        xt_check("increase_then_decrease", false, "nothing to give back");

    r.extent_start = UNMAPPED;
    rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
    /* An unusable extent list: Xen returns the extents done, 0. */
    xt_check_rc("populate_bad_list", rc, 0);
    r.extent_start = (unsigned long)&ext;
    r.domid = 0x7ff5;
    /* No such domain: Xen returns the extents done so far, 0. */
    xt_check_rc("reservation_bad_domain",
                HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r), 0);
    xt_check_rc("memory_op_bad_cmd", HYPERVISOR_memory_op(0x3f, &r),
                -XEN_ENOSYS);
}

static void pin_checks(void)
{
    uint64_t *l1 = xt_alloc_page();
    uint64_t *data = xt_alloc_page();
    uint64_t m = mfn_of(l1);
    struct mmu_update req;
    long rc;

    xt_check_rc("pin_l1_while_writable",
                xt_mmuext1(MMUEXT_PIN_L1_TABLE, m, 0), -XEN_EINVAL);
    xt_make_ro(l1);
    xt_check_rc("pin_l1", xt_mmuext1(MMUEXT_PIN_L1_TABLE, m, 0), 0);
    xt_check_rc("pin_l1_twice", xt_mmuext1(MMUEXT_PIN_L1_TABLE, m, 0),
                -XEN_EINVAL);
    xt_check_rc("pin_l1_as_l2", xt_mmuext1(MMUEXT_PIN_L2_TABLE, m, 0),
                -XEN_EINVAL);

    /* Route 1: update_va_mapping of the L1 read-write. */
    rc = xt_set_pte((unsigned long)l1, (m << 12) | PTE_RW, UVMF_INVLPG);
    xt_check_rc("uvm_rw_of_pinned_l1", rc, -XEN_EBUSY);
    /* Route 2: mmu_update of a PTE mapping it read-write. */
    req.ptr = xt_pte_maddr((unsigned long)l1);
    req.val = (m << 12) | PTE_RW;
    xt_check_rc("mmu_update_rw_of_pinned_l1",
                HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF),
                -XEN_EBUSY);
    xt_check("l1_still_ro", !(xt_pt_entry((unsigned long)l1, 1) & _PAGE_RW),
             "%#lx", xt_pt_entry((unsigned long)l1, 1));
    /* Route 3: an entry of the L1 mapping the L1 itself read-write. */
    xt_check_rc("l1_entry_rw_to_itself",
                xt_mmu_update1((m << 12) | 8, (m << 12) | PTE_RW),
                -XEN_EBUSY);
    xt_check("l1_entry_unchanged", l1[1] == 0, "%#lx", l1[1]);
    /* Read-only it may map itself. */
    xt_check_rc("l1_entry_ro_to_itself",
                xt_mmu_update1((m << 12) | 8, (m << 12) | PTE_RO), 0);
    /* A normal data page, and the A/D bits kept by PRESERVE_AD. */
    xt_check_rc("l1_entry_data",
                xt_mmu_update1((m << 12) | 16, (mfn_of(data) << 12) |
                               PTE_RW), 0);
    xt_check("l1_entry_user_forced", (l1[2] & _PAGE_USER) &&
             (l1[2] & (1UL << 52)), "%#lx", l1[2]);
    xt_check_rc("preserve_ad", xt_mmu_update1(((m << 12) | 16) |
                MMU_PT_UPDATE_PRESERVE_AD, (mfn_of(data) << 12) |
                _PAGE_PRESENT | _PAGE_RW), 0);
    xt_check("preserve_ad_kept", (l1[2] & (_PAGE_ACCESSED | _PAGE_DIRTY)) ==
             (_PAGE_ACCESSED | _PAGE_DIRTY), "%#lx", l1[2]);
    xt_check_rc("normal_update_clears_ad", xt_mmu_update1((m << 12) | 16,
                (mfn_of(data) << 12) | _PAGE_PRESENT | _PAGE_RW), 0);
    xt_check("normal_update_ad_cleared", !(l1[2] & _PAGE_DIRTY), "%#lx",
             l1[2]);
    /* A frame that is neither ours nor I/O memory we may map. */
    xt_check_rc("l1_entry_bad_mfn", xt_mmu_update1((m << 12) | 24,
                (mfn_of(data) << 12) | PTE_RW | (1UL << 51)), -XEN_EPERM);
    xt_check("l1_bad_entry_unchanged", l1[3] == 0, "%#lx", l1[3]);

    /* Unpinned but still the type count is zero: the page may go RW. */
    xt_check_rc("unpin", xt_mmuext1(MMUEXT_UNPIN_TABLE, m, 0), 0);
    xt_check_rc("unpin_twice", xt_mmuext1(MMUEXT_UNPIN_TABLE, m, 0),
                -XEN_EINVAL);
    xt_check_rc("rw_after_unpin", xt_make_rw(l1), 0);
    memset(l1, 0, PAGE_SIZE);

    /* Pinning a table with a bad entry fails and changes nothing. */
    l1[7] = (mfn_of(l1) << 12) | PTE_RW;        /* RW self-map */
    xt_make_ro(l1);
    xt_check_rc("pin_l1_bad_entry", xt_mmuext1(MMUEXT_PIN_L1_TABLE, m, 0),
                -XEN_EBUSY);
    xt_check_rc("bad_l1_still_unpinned_rw", xt_make_rw(l1), 0);
    l1[7] = 0;
}

static void level_checks(void)
{
    uint64_t *l1 = ro_table(), *l2 = ro_table(), *l3 = ro_table();
    uint64_t l2e_ma = xt_pt_entry_maddr(XT_VIRT_BASE, 2);
    uint64_t l4_ma = xt_virt_to_mfn(xt_cur_l4) << 12;
    uint64_t old;
    long rc;

    /* PSE (superpage) entries are refused in L2 and L3. */
    old = xt_pt_entry(XT_VIRT_BASE + (8UL << 21), 2);
    rc = xt_mmu_update1(l2e_ma + 8 * 8, (xt_p2m[0] << 12) | PTE_RW |
                        _PAGE_PSE);
    xt_check_rc("l2_pse_refused", rc, -XEN_EINVAL);
    xt_check("l2_pse_unchanged", xt_pt_entry(XT_VIRT_BASE + (8UL << 21), 2)
             == old, NULL);
    xt_check_rc("pin_l2", xt_mmuext1(MMUEXT_PIN_L2_TABLE, mfn_of(l2), 0), 0);
    rc = xt_mmu_update1(xt_pt_entry_maddr(XT_VIRT_BASE, 3) + 8,
                        (xt_p2m[0] << 12) | PTE_RW | _PAGE_PSE);
    xt_check_rc("l3_pse_refused", rc, -XEN_EINVAL);

    /* L2 -> L1 entry; an L2 entry to an L2 (linear) only read-only. */
    xt_check_rc("l2_entry_to_l1", xt_mmu_update1((mfn_of(l2) << 12),
                (mfn_of(l1) << 12) | PTE_RW), 0);
    xt_check_rc("l2_linear_rw_refused", xt_mmu_update1((mfn_of(l2) << 12) + 8,
                (mfn_of(l2) << 12) | PTE_RW), -XEN_EINVAL);
    xt_check("l2_linear_rw_unchanged", l2[1] == 0, "%#lx", l2[1]);
    /* A data page (writable type) cannot become an L1 through an L2e. */
    {
        uint64_t *data = xt_alloc_page();

        xt_check_rc("l2_entry_to_rw_page", xt_mmu_update1(
                    (mfn_of(l2) << 12) + 16, (mfn_of(data) << 12) | PTE_RW),
                    -XEN_EINVAL);
    }
    /* L1 now in use by the pinned L2: it cannot be mapped writable. */
    xt_check_rc("uvm_rw_of_used_l1", xt_set_pte((unsigned long)l1,
                (mfn_of(l1) << 12) | PTE_RW, UVMF_INVLPG), -XEN_EBUSY);
    xt_check_rc("unpin_l2", xt_mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l2), 0), 0);

    /* L4: the hypervisor's slots are untouchable. */
    old = xt_cur_l4[256];
    xt_check_rc("l4_xen_slot_refused", xt_mmu_update1(l4_ma + 256 * 8,
                (mfn_of(l3) << 12) | PTE_RW), -XEN_EINVAL);
    xt_check("l4_xen_slot_unchanged", xt_cur_l4[256] == old, NULL);
    xt_check_rc("l4_xen_slot_clear_refused", xt_mmu_update1(
                l4_ma + 260 * 8, 0), -XEN_EINVAL);
    /* An L4 self-map (linear page table) read-only is accepted ... */
    xt_check_rc("l4_linear_ro", xt_mmu_update1(l4_ma + 300 * 8, l4_ma |
                PTE_RO), 0);
    xt_check_rc("l4_linear_clear", xt_mmu_update1(l4_ma + 300 * 8, 0), 0);
    /* ... read-write never. */
    xt_check_rc("l4_linear_rw_refused", xt_mmu_update1(l4_ma + 300 * 8,
                l4_ma | PTE_RW), -XEN_EINVAL);
    xt_check("l4_linear_rw_unchanged", xt_cur_l4[300] == 0, "%#lx",
             xt_cur_l4[300]);
    /*
     * mmu_update on a page that has no page-table type is a plain store
     * (Xen takes a writable type for the write): the L3 is not one yet.
     */
    xt_check_rc("l3_untyped_plain_write", xt_mmu_update1(mfn_of(l3) << 12,
                (mfn_of(l2) << 12) | PTE_RW), 0);
    xt_check_rc("pin_l3", xt_mmuext1(MMUEXT_PIN_L3_TABLE, mfn_of(l3), 0), 0);
    xt_check_rc("l3_entry_to_l2_pinned", xt_mmu_update1(mfn_of(l3) << 12,
                (mfn_of(l2) << 12) | PTE_RW), 0);
    xt_check_rc("l4_entry_to_l3", xt_mmu_update1(l4_ma + 301 * 8,
                (mfn_of(l3) << 12) | PTE_RW), 0);
    xt_check("l4_entry_accessed_forced", xt_cur_l4[301] & _PAGE_ACCESSED,
             "%#lx", xt_cur_l4[301]);
    xt_check_rc("l4_entry_clear", xt_mmu_update1(l4_ma + 301 * 8, 0), 0);
    xt_check_rc("unpin_l3", xt_mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l3), 0),
                0);
}

static void mmu_update_misc(void)
{
    uint64_t *data = xt_alloc_page();
    struct mmu_update req[2];
    unsigned int done = 99;
    uint64_t m = mfn_of(data);
    long rc;

    /* A normal PT update aimed at a plain data page. */
    rc = xt_mmu_update1(m << 12, 0x1234);
    xt_check("pt_update_on_data_page", rc == 0 && data[0] == 0x1234,
             "rc %ld data %#lx", rc, data[0]);

    /* Machphys update of our own frame, then back. */
    rc = xt_mmu_update1((m << 12) | MMU_MACHPHYS_UPDATE, 0x1234);
    xt_check("machphys_update", rc == 0 && xt_m2p[m] == 0x1234, "rc %ld",
             rc);
    xt_mmu_update1((m << 12) | MMU_MACHPHYS_UPDATE,
                   ((unsigned long)data - XT_VIRT_BASE) >> 12);
    rc = xt_mmu_update1((0x100UL << 12) | MMU_MACHPHYS_UPDATE, 5);
    xt_check_rc("machphys_update_foreign", rc, -XEN_EINVAL);

    /* Partial completion is reported through 'done'. */
    req[0].ptr = xt_pte_maddr(xt_scratch_va());
    req[0].val = (m << 12) | PTE_RW;
    req[1].ptr = req[0].ptr + 8;
    req[1].val = (xt_virt_to_mfn(xt_cur_l4) << 12) | PTE_RW;
    rc = HYPERVISOR_mmu_update(req, 2, &done, DOMID_SELF);
    xt_check("mmu_update_done_count", rc == -XEN_EBUSY && done == 1,
             "rc %ld done %u", rc, done);
    xt_check_rc("mmu_update_no_translate",
                xt_mmu_update1(req[0].ptr | MMU_PT_UPDATE_NO_TRANSLATE, 0), 0);
    xt_check_rc("mmu_update_bad_foreigndom",
                HYPERVISOR_mmu_update(req, 1, NULL, 0x7ff5), -XEN_ESRCH);
    xt_check_rc("mmu_update_fault",
                HYPERVISOR_mmu_update((void *)UNMAPPED, 1, NULL, DOMID_SELF),
                -XEN_EFAULT);
}

static void tlb_checks(void)
{
    uint64_t *a = xt_alloc_page(), *b = xt_alloc_page();
    unsigned long va = xt_scratch_va(), mask = 1;
    uint64_t ma = xt_pte_maddr(va);
    volatile uint64_t *p = (volatile uint64_t *)va;
    struct mmuext_op op;

    a[0] = 0xaaaa;
    b[0] = 0xbbbb;
    xt_set_pte(va, (mfn_of(a) << 12) | PTE_RW, UVMF_INVLPG);
    xt_check("uvm_map_reads", *p == 0xaaaa, NULL);
    xt_mmu_update1(ma, (mfn_of(b) << 12) | PTE_RW);
    xt_check_rc("invlpg_local", xt_mmuext1(MMUEXT_INVLPG_LOCAL, va, 0), 0);
    xt_check("invlpg_sees_new", *p == 0xbbbb, NULL);
    xt_check_rc("uvm_tlb_flush_local", xt_set_pte(va, (mfn_of(a) << 12) |
                PTE_RW, UVMF_TLB_FLUSH | UVMF_LOCAL), 0);
    xt_check("uvm_flush_sees_new", *p == 0xaaaa, NULL);
    xt_check_rc("uvm_invlpg_all", xt_set_pte(va, (mfn_of(b) << 12) | PTE_RW,
                UVMF_INVLPG | UVMF_ALL), 0);
    xt_check_rc("uvm_multi", xt_set_pte(va, (mfn_of(a) << 12) | PTE_RW,
                UVMF_INVLPG | (unsigned long)&mask), 0);
    xt_check_rc("uvm_multi_fault", xt_set_pte(va, (mfn_of(a) << 12) | PTE_RW,
                UVMF_INVLPG | UNMAPPED), -XEN_EFAULT);
    xt_check_rc("tlb_flush_local", xt_mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0, 0),
                0);
    xt_check_rc("tlb_flush_all", xt_mmuext1(MMUEXT_TLB_FLUSH_ALL, 0, 0), 0);
    xt_check_rc("invlpg_all", xt_mmuext1(MMUEXT_INVLPG_ALL, va, 0), 0);
    op = XT_MMUEXT(MMUEXT_TLB_FLUSH_MULTI, 0, (unsigned long)&mask);
    xt_check_rc("tlb_flush_multi", HYPERVISOR_mmuext_op(&op, 1, NULL,
                DOMID_SELF), 0);
    op = XT_MMUEXT(MMUEXT_INVLPG_MULTI, va, (unsigned long)&mask);
    xt_check_rc("invlpg_multi", HYPERVISOR_mmuext_op(&op, 1, NULL,
                DOMID_SELF), 0);
    op = XT_MMUEXT(MMUEXT_TLB_FLUSH_MULTI, 0, UNMAPPED);
    /* Xen turns the bitmap's copy fault into -EINVAL for mmuext_op. */
    xt_check_rc("tlb_flush_multi_fault", HYPERVISOR_mmuext_op(&op, 1, NULL,
                DOMID_SELF), -XEN_EINVAL);

    /* update_va_mapping where there is no L1, or in the hypervisor hole. */
    xt_check_rc("uvm_no_l1", xt_set_pte(UNMAPPED, (mfn_of(a) << 12) | PTE_RW,
                UVMF_INVLPG), -XEN_EINVAL);
    xt_check_rc("uvm_hypervisor", xt_set_pte(HYPERVISOR_VIRT_START,
                (mfn_of(a) << 12) | PTE_RW, UVMF_INVLPG), -XEN_EINVAL);
    xt_check_rc("uvm_unmap", xt_set_pte(va, 0, UVMF_INVLPG), 0);

    /* SET_LDT. */
    xt_check_rc("set_ldt_empty", xt_mmuext1(MMUEXT_SET_LDT, 0, 0), 0);
    xt_check_rc("set_ldt", xt_mmuext1(MMUEXT_SET_LDT, va, 16), 0);
    xt_check_rc("set_ldt_misaligned", xt_mmuext1(MMUEXT_SET_LDT, va + 8, 16),
                -XEN_EINVAL);
    xt_check_rc("set_ldt_too_big", xt_mmuext1(MMUEXT_SET_LDT, va, 8193),
                -XEN_EINVAL);
    xt_check_rc("set_ldt_hypervisor", xt_mmuext1(MMUEXT_SET_LDT,
                HYPERVISOR_VIRT_START, 16), -XEN_EINVAL);
    xt_mmuext1(MMUEXT_SET_LDT, 0, 0);
    xt_check_rc("mmuext_bad_cmd", xt_mmuext1(99, 0, 0), -XEN_ENOSYS);
    xt_check_rc("mmuext_fault", HYPERVISOR_mmuext_op((void *)UNMAPPED, 1,
                NULL, DOMID_SELF), -XEN_EFAULT);
}

/* NEW_BASEPTR to a copy of the current L4, and back. */
static void baseptr_checks(void)
{
    uint64_t *l4 = xt_alloc_page();
    uint64_t old = xt_virt_to_mfn(xt_cur_l4);
    uint64_t cr3 = 0;
    long rc;
    int i;

    for ( i = 0; i < 512; i++ )
        if ( i < 256 || i > 271 )
            l4[i] = xt_cur_l4[i];
    xt_check_rc("new_baseptr_writable", xt_mmuext1(MMUEXT_NEW_BASEPTR,
                mfn_of(l4), 0), -XEN_EINVAL);
    xt_make_ro(l4);
    xt_check_rc("new_baseptr_l1_page", xt_mmuext1(MMUEXT_NEW_BASEPTR,
                xt_virt_to_mfn(xt_alloc_page()), 0), -XEN_EINVAL);
    rc = xt_mmuext1(MMUEXT_NEW_BASEPTR, mfn_of(l4), 0);
    xt_check_rc("new_baseptr", rc, 0);
    asm volatile ( "1: mov %%cr3, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+r" (cr3) );
    xt_check("new_baseptr_cr3", cr3 == mfn_of(l4) << 12, "%#lx", cr3);
    xt_check_rc("new_baseptr_back", xt_mmuext1(MMUEXT_NEW_BASEPTR, old, 0),
                0);
    xt_check_rc("new_user_baseptr_none",
                xt_mmuext1(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    xt_check_rc("pin_l4_copy", xt_mmuext1(MMUEXT_PIN_L4_TABLE, mfn_of(l4), 0),
                0);
    xt_check_rc("unpin_l4_copy", xt_mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l4),
                0), 0);
}

XTEST(mm, 105)
{
    xt_traps_init();
    m2p_checks();           /*  3 */
    memmap_checks();        /*  6 */
    balloon_checks();       /* 11 */
    pin_checks();           /* 22 */
    level_checks();         /* 21 */
    mmu_update_misc();      /*  7 */
    tlb_checks();           /* 24 */
    baseptr_checks();       /*  8 */
}
