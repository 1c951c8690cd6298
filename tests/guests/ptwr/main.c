/*
 * ptwr: writable page tables (VMASST_TYPE_writable_pagetables).  A guest
 * kernel store into a read-only, in-use L1 faults; Xen 4.17 decodes it,
 * validates the new entry as mmu_update would and emulates it (xen/arch/
 * x86/pv/ro-page-fault.c).  mov of 1/2/4/8 bytes, xchg, cmpxchg, and the
 * read-modify-writes Linux uses on PTEs (ds/lock-prefixed and/or with an
 * immediate or register, bts/btr/btc, with their flags); a bad
 * value is refused by delivering the #PF to the guest, entry unchanged;
 * only L1s are emulated; without the assist every such store faults.
 */
#include "xtpv.h"

#define PTE_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

static uint64_t *l1, *l2;
static unsigned long win;   /* the 2 MiB window l1 maps */

static int store8(volatile uint64_t *p, uint64_t v)
{
    xt_fault_clear();
    asm volatile ( "1: movq %1, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "=m" (*p) : "r" (v) : "memory" );
    return xt_fault_vec();
}

static int store4(volatile uint32_t *p, uint32_t v)
{
    xt_fault_clear();
    asm volatile ( "1: movl %1, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "=m" (*p) : "r" (v) : "memory" );
    return xt_fault_vec();
}

static int store2(volatile uint16_t *p, uint16_t v)
{
    xt_fault_clear();
    asm volatile ( "1: movw %1, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "=m" (*p) : "r" (v) : "memory" );
    return xt_fault_vec();
}

static int store1(volatile uint8_t *p, uint8_t v)
{
    xt_fault_clear();
    asm volatile ( "1: movb %1, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "=m" (*p) : "q" (v) : "memory" );
    return xt_fault_vec();
}

static int xchg8(volatile uint64_t *p, uint64_t *v)
{
    uint64_t x = *v;

    xt_fault_clear();
    asm volatile ( "1: xchg %1, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+m" (*p), "+r" (x) :: "memory" );
    *v = x;
    return xt_fault_vec();
}

static int cmpxchg8(volatile uint64_t *p, uint64_t *old, uint64_t new)
{
    uint64_t o = *old;

    xt_fault_clear();
    asm volatile ( "1: lock cmpxchg %2, %0; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+m" (*p), "+a" (o) : "r" (new) : "memory" );
    *old = o;
    return xt_fault_vec();
}

/*
 * A read-modify-write on an entry; returns the fault vector (-1: none)
 * and the arithmetic flags the instruction left in *fl.
 */
#define RMW(name, insn, type, cons)                                         \
static int name(volatile type *p, uint64_t src, uint64_t *fl)               \
{                                                                           \
    uint64_t f = 0;                                                         \
                                                                            \
    xt_fault_clear();                                                       \
    asm volatile ( "1: " insn "; 2: pushf; pop %1\n\t" XT_EXTABLE(1b, 2b)   \
                   : "+m" (*p), "+r" (f) : cons ((type)src) : "memory",     \
                     "cc" );                                                \
    *fl = f;                                                                \
    return xt_fault_vec();                                                  \
}
RMW(ds_andb_imm, ".byte 0x3e; andb $0xfd, %0", uint8_t, "i")   /* Linux's wrprotect */
RMW(lock_orb_reg, "lock; orb %b2, %0", uint8_t, "q")
RMW(lock_btr_imm, "lock; btrq $1, %0", uint64_t, "i")
RMW(lock_bts_reg, "lock; btsq %2, %0", uint64_t, "r")
RMW(btc_reg, "btcq %2, %0", uint64_t, "r")
RMW(andq_reg, "andq %2, %0", uint64_t, "r")
RMW(orq_reg, "orq %2, %0", uint64_t, "r")
RMW(addl_imm, "addl $0x40, %0", uint32_t, "i")
#define FLAG_CF (1UL << 0)
#define FLAG_ZF (1UL << 6)
#define FLAG_SF (1UL << 7)
#define FLAG_OF (1UL << 11)

/* Emulated stores change entries, not the TLB: flush as Linux would. */
static void flush(volatile uint64_t *va)
{
    xt_mmuext1(MMUEXT_INVLPG_LOCAL, (unsigned long)va, 0);
}

static uint64_t page_mfn(void *p)
{
    return xt_virt_to_mfn(p);
}

static void setup(void)
{
    unsigned long scratch = xt_scratch_va();

    win = (scratch & ~((2UL << 20) - 1)) + (2UL << 20);
    l1 = xt_alloc_page();
    xt_make_ro(l1);
    if ( xt_mmu_update1(xt_pt_entry_maddr(win, 2),
                        (page_mfn(l1) << 12) | PTE_RW) )
        xt_error("hooking the L1 at %#lx failed", win);
    l2 = (uint64_t *)xt_mfn_to_virt(pte_mfn(xt_pt_entry(win, 3)));
}

XTEST(ptwr, 35)
{
    uint64_t *a, *b;
    volatile uint64_t *e0, *e1;
    volatile uint64_t *va0 = (volatile uint64_t *)0, *va1;
    uint64_t v, old, fl;
    int vec;

    xt_traps_init();
    a = xt_alloc_page();
    b = xt_alloc_page();
    setup();
    e0 = &l1[0];
    e1 = &l1[1];
    va0 = (volatile uint64_t *)win;
    va1 = (volatile uint64_t *)(win + PAGE_SIZE);
    a[0] = 0xaaaa;
    b[0] = 0xbbbb;

    xt_check_rc("vm_assist_bad_type", HYPERVISOR_vm_assist(VMASST_CMD_enable,
                31), -XEN_EINVAL);
    xt_check_rc("vm_assist_bad_cmd", HYPERVISOR_vm_assist(7,
                VMASST_TYPE_writable_pagetables), -XEN_ENOSYS);
    /*
     * Xen 4.17 emulates for the hardware domain even without the assist
     * (traps.c fixup_page_fault: the mmio_ro path of dom0 reaches
     * ptwr_do_page_fault).  A domU would take the #PF.
     */
    HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables);
    vec = store8(e0, (page_mfn(a) << 12) | PTE_RW);
    xt_check("no_assist_dom0_emulated", vec == -1 && pte_mfn(*e0) ==
             page_mfn(a), "vec %d pte %#lx", vec, *e0);
    store8(e0, 0);
    xt_check_rc("vm_assist_enable", HYPERVISOR_vm_assist(VMASST_CMD_enable,
                VMASST_TYPE_writable_pagetables), 0);

    vec = store8(e0, (page_mfn(a) << 12) | PTE_RW);
    xt_check("mov8_emulated", vec == -1 && *va0 == 0xaaaa, "vec %d", vec);
    xt_check("mov8_user_forced", (*e0 & _PAGE_USER) && (*e0 & (1UL << 52)),
             "%#lx", *e0);
    vec = store4((volatile uint32_t *)e0,
                 (uint32_t)((page_mfn(b) << 12) | PTE_RW));
    flush(va0);
    xt_check("mov4_emulated", vec == -1 && *va0 == 0xbbbb, "vec %d", vec);
    vec = store1((volatile uint8_t *)e0, _PAGE_PRESENT | _PAGE_ACCESSED);
    flush(va0);
    xt_check("mov1_emulated_ro", vec == -1 && !(*e0 & _PAGE_RW), "vec %d "
             "pte %#lx", vec, *e0);
    xt_check("mov1_ro_enforced", xt_probe_write((unsigned long)va0, 1) ==
             X86_EXC_PF, NULL);
    vec = store2((volatile uint16_t *)e0, (uint16_t)(((page_mfn(a) << 12) |
                 PTE_RW) & 0xffff));
    flush(va0);
    xt_check("mov2_emulated", vec == -1 && (*e0 & _PAGE_RW) &&
             *va0 == (pte_mfn(*e0) == page_mfn(a) ? 0xaaaa : 0xbbbb),
             "vec %d pte %#lx", vec, *e0);

    v = (page_mfn(a) << 12) | PTE_RW;
    old = *e0;
    vec = xchg8(e1, &v);
    flush(va1);
    xt_check("xchg_emulated", vec == -1 && v == 0 && *va1 == 0xaaaa,
             "vec %d old %#lx", vec, v);
    old = *e1;
    vec = cmpxchg8(e1, &old, (page_mfn(b) << 12) | PTE_RW);
    flush(va1);
    xt_check("cmpxchg_emulated", vec == -1 && *va1 == 0xbbbb, "vec %d",
             vec);
    old = 0x5000;
    vec = cmpxchg8(e1, &old, (page_mfn(a) << 12) | PTE_RW);
    flush(va1);
    xt_check("cmpxchg_mismatch", vec == -1 && *va1 == 0xbbbb &&
             pte_mfn(old) == page_mfn(b), "vec %d old %#lx", vec, old);

    /* Read-modify-writes, as Linux's ptep_set_wrprotect() and friends. */
    store8(e0, (page_mfn(a) << 12) | PTE_RW);
    flush(va0);
    vec = ds_andb_imm((volatile uint8_t *)e0, 0, &fl);
    flush(va0);
    xt_check("rmw_and_imm_wrprotect", vec == -1 && !(*e0 & _PAGE_RW) &&
             pte_mfn(*e0) == page_mfn(a) && !(fl & FLAG_ZF) &&
             xt_probe_write((unsigned long)va0, 1) == X86_EXC_PF,
             "vec %d pte %#lx fl %#lx", vec, *e0, fl);
    vec = lock_orb_reg((volatile uint8_t *)e0, _PAGE_RW, &fl);
    flush(va0);
    xt_check("rmw_lock_or_reg", vec == -1 && (*e0 & _PAGE_RW) &&
             xt_probe_write((unsigned long)va0, 0) == -1 && *va0 == 0,
             "vec %d pte %#lx", vec, *e0);
    *va0 = 0xaaaa;
    vec = lock_btr_imm(e0, 0, &fl);
    flush(va0);
    xt_check("rmw_lock_btr_cf", vec == -1 && !(*e0 & _PAGE_RW) &&
             (fl & FLAG_CF), "vec %d pte %#lx fl %#lx", vec, *e0, fl);
    vec = lock_bts_reg(e0, 1, &fl);
    flush(va0);
    xt_check("rmw_lock_bts_reg", vec == -1 && (*e0 & _PAGE_RW) &&
             !(fl & FLAG_CF), "vec %d pte %#lx fl %#lx", vec, *e0, fl);
    vec = btc_reg(e0, 6, &fl);
    xt_check("rmw_btc_dirty", vec == -1 && !(*e0 & _PAGE_DIRTY) &&
             (fl & FLAG_CF), "vec %d pte %#lx fl %#lx", vec, *e0, fl);
    vec = andq_reg(e0, ~(uint64_t)_PAGE_ACCESSED, &fl);
    xt_check("rmw_and_reg_young", vec == -1 && !(*e0 & _PAGE_ACCESSED) &&
             pte_mfn(*e0) == page_mfn(a) && !(fl & (FLAG_ZF | FLAG_CF |
             FLAG_OF)), "vec %d pte %#lx fl %#lx", vec, *e0, fl);
    old = *e0;
    /* D is clear, so adding 0x40 sets it without a carry. */
    vec = addl_imm((volatile uint32_t *)e0, 0, &fl);
    xt_check("rmw_add_flags", vec == -1 && (uint32_t)*e0 ==
             (uint32_t)(old + 0x40) && (*e0 >> 32) == (old >> 32) &&
             (*e0 & _PAGE_DIRTY) && !(fl & (FLAG_CF | FLAG_ZF | FLAG_OF)) &&
             !(fl & FLAG_SF) == !((uint32_t)(old + 0x40) >> 31),
             "vec %d pte %#lx fl %#lx", vec, *e0, fl);
    store8(e0, (page_mfn(a) << 12) | PTE_RW);
    flush(va0);
    xt_check("rmw_result_maps", *va0 == 0xaaaa, "%#lx", *va0);
    /* An invalid result is refused like a store: #PF, entry unchanged. */
    old = *e0;
    vec = orq_reg(e0, 1UL << 51, &fl);
    xt_check("rmw_bad_result_pf", vec == X86_EXC_PF && *e0 == old,
             "vec %d pte %#lx", vec, *e0);
    v = (page_mfn(l1) << 12);
    vec = orq_reg(&l1[2], v | PTE_RW, &fl);
    xt_check("rmw_bad_self_rw_pf", vec == X86_EXC_PF && l1[2] == 0,
             "vec %d", vec);
    store8(e0, 0);
    flush(va0);
    xt_check("rmw_cleanup", *e0 == 0, NULL);

    /* A bad value: the #PF is the guest's, the entry stays. */
    old = l1[2];
    xt_vcpu_info()->arch.cr2 = 0;
    vec = store8(&l1[2], (page_mfn(l1) << 12) | PTE_RW);
    xt_check("bad_self_rw_pf", vec == X86_EXC_PF &&
             xt_last_fault.error_code == (PFEC_present | PFEC_write) &&
             xt_last_fault.cr2 == (unsigned long)&l1[2],
             "vec %d err %#lx cr2 %#lx", vec, xt_last_fault.error_code,
             xt_last_fault.cr2);
    xt_check("bad_self_rw_unchanged", l1[2] == old, "%#lx", l1[2]);
    vec = store8(&l1[2], (page_mfn(a) << 12) | PTE_RW | (1UL << 51));
    xt_check("bad_mfn_pf", vec == X86_EXC_PF && l1[2] == old, "vec %d",
             vec);
    v = (xt_virt_to_mfn(xt_cur_l4) << 12) | PTE_RW;
    vec = xchg8(&l1[3], &v);
    xt_check("bad_xchg_l4_rw_pf", vec == X86_EXC_PF && l1[3] == 0,
             "vec %d", vec);
    old = 0;
    vec = cmpxchg8(&l1[4], &old, (xt_virt_to_mfn(xt_cur_l4) << 12) | PTE_RW);
    xt_check("bad_cmpxchg_pf", vec == X86_EXC_PF && l1[4] == 0, "vec %d",
             vec);
    /* Only L1s are emulated: the L2 above is read-only and stays so. */
    vec = store8(&l2[511], 0);
    xt_check("l2_store_pf", vec == X86_EXC_PF, "vec %d", vec);
    /* A misaligned store across two entries is not emulated either. */
    vec = store8((volatile uint64_t *)((char *)&l1[5] + 4), 0);
    xt_check("misaligned_store_pf", vec == X86_EXC_PF, "vec %d", vec);
    /* Clearing entries by plain stores works. */
    vec = store8(e0, 0);
    flush(va0);
    xt_check("clear_by_store", vec == -1 && *e0 == 0 &&
             xt_probe_read((unsigned long)va0, &v) == X86_EXC_PF, "vec %d",
             vec);
    store8(e1, 0);
    /* Unhooked and unpinned, the L1 is an ordinary page again. */
    xt_check_rc("unhook_l1", xt_mmu_update1(xt_pt_entry_maddr(win, 2), 0),
                0);
    xt_check_rc("l1_rw_again", xt_make_rw(l1), 0);
    xt_check("plain_store_after", store8(e0, 1) == -1 && l1[0] == 1, NULL);
    HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables);
}
