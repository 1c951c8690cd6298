/*
 * Unit tests: hypervisor/arch/x86/pv/page_types.c, the page-type and
 * reference-count state machine of PV direct paging, including the cases
 * that must fail (and must then change nothing).
 */
#include <stdlib.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/page_bits.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>

#define NR      256
#define P       _PAGE_PRESENT
#define RW      _PAGE_RW
#define U       _PAGE_USER

struct page_info *frame_table;
unsigned long max_page = NR;
struct frame_allocator heap;

static struct page_info frames[NR];
static uint64_t mem[NR][512] __attribute__((aligned(4096)));
static struct domain dom1 = { .domain_id = 1 };
static struct domain dom2 = { .domain_id = 2 };
static struct domain dom0 = { .domain_id = 0, .is_privileged = true };
static unsigned int flushes, freed;
static uint64_t clock_now = 100, flushed_since = ~0UL;

void *arch_frame_ptr(unsigned long mfn) { return mem[mfn]; }
void arch_flush_tlb(void) { flushes++; }
/* The TLB-flush clock: moves by one per stamp; the last flush's stamp. */
uint64_t arch_tlbflush_stamp(void) { return clock_now++; }
void arch_flush_tlb_since(uint64_t stamp) { flushes++; flushed_since = stamp; }
uint64_t arch_hv_l4_entry(unsigned int slot) { return 0xabc000UL | slot; }
uint64_t arch_nx_mask(void) { return _PAGE_NX; }
bool arch_iomem_permitted(unsigned long mfn) { return mfn < (1UL << 28); }
void arch_free_domain_frame(unsigned long mfn)
{
    freed++;
    assert_int_equal(falloc_free(&heap, mfn, 0), 0);
}
struct domain *domain_by_id(domid_t id)
{
    return id == 0 ? &dom0 : id == 1 ? &dom1 : id == 2 ? &dom2 : NULL;
}

/* A fresh frame owned by d, zeroed, with its allocation reference. */
static unsigned long new_frame(const struct domain *d)
{
    long m = falloc_alloc(&heap, 0);

    assert_true(m >= 0);
    memset(mem[m], 0, PAGE_SIZE);
    frames[m].owner = d->domain_id;
    frames[m].count_info = 1;
    return m;
}

static uint64_t e(unsigned long mfn, uint64_t flags)
{
    return (mfn << PAGE_SHIFT) | flags;
}

static uint32_t tcount(unsigned long m)
{
    return frames[m].type_info & PGT_count_mask;
}

static uint32_t ttype(unsigned long m)
{
    return frames[m].type_info & PGT_type_mask;
}

static int setup(void **state)
{
    (void)state;
    frame_table = frames;
    falloc_init(&heap, frames, NR);
    falloc_add_range(&heap, 1, NR - 1);
    flushes = freed = 0;
    return 0;
}

static void test_pin_l1_takes_references(void **state)
{
    unsigned long l1 = new_frame(&dom1), a = new_frame(&dom1),
                  b = new_frame(&dom1);

    (void)state;
    mem[l1][0] = e(a, P | RW);
    mem[l1][1] = e(b, P);
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    assert_int_equal(ttype(l1), PGT_l1_page_table);
    assert_true(frames[l1].type_info & PGT_validated);
    assert_true(frames[l1].type_info & PGT_pinned);
    assert_int_equal(frames[a].count_info, 2);          /* alloc + mapping */
    assert_int_equal(ttype(a), PGT_writable_page);
    assert_int_equal(tcount(a), 1);
    assert_int_equal(frames[b].count_info, 2);
    assert_int_equal(tcount(b), 0);                     /* read-only */
    /* Xen forces User on, and marks entries written without it. */
    assert_true(mem[l1][0] & U);
    assert_true(mem[l1][0] & _PAGE_GUEST_KERNEL);

    assert_int_equal(pv_unpin_table(&dom1, l1), 0);
    assert_int_equal(frames[a].count_info, 1);
    assert_int_equal(tcount(a), 0);
    assert_int_equal(frames[b].count_info, 1);
    assert_int_equal(tcount(l1), 0);
    assert_false(frames[l1].type_info & PGT_validated);
    assert_int_equal(frames[l1].count_info, 1);
}

static void test_foreign_frame_refused_nothing_changed(void **state)
{
    unsigned long l1 = new_frame(&dom1), mine = new_frame(&dom1),
                  theirs = new_frame(&dom2);

    (void)state;
    mem[l1][0] = e(mine, P | RW);
    mem[l1][7] = e(theirs, P);
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), -EBUSY);
    /* Entry 0 had taken references before entry 7 failed: all undone. */
    assert_int_equal(frames[mine].count_info, 1);
    assert_int_equal(tcount(mine), 0);
    assert_int_equal(frames[theirs].count_info, 1);
    assert_int_equal(tcount(l1), 0);
    assert_int_equal(frames[l1].count_info, 1);
    assert_false(frames[l1].type_info & PGT_pinned);
}

static void test_bad_flags_and_pse(void **state)
{
    unsigned long l1 = new_frame(&dom1), l2 = new_frame(&dom1),
                  d = new_frame(&dom1);

    (void)state;
    mem[l1][0] = e(d, P | _PAGE_PCD);          /* cache attrs: not for domU */
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), -EINVAL);
    mem[l1][0] = e(d, P | _PAGE_GNTTAB);       /* the grant marker */
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), -EINVAL);
    mem[l2][0] = e(l1, P | _PAGE_PSE);         /* superpage */
    assert_int_equal(pv_pin_table(&dom1, l2, PGT_l2_page_table), -EINVAL);
    assert_int_equal(tcount(l1) + tcount(l2), 0);
    /* The privileged (I/O-capable) domain may use cache attributes. */
    {
        unsigned long pl1 = new_frame(&dom0), pd = new_frame(&dom0);

        mem[pl1][0] = e(pd, P | _PAGE_PCD | _PAGE_PWT);
        assert_int_equal(pv_pin_table(&dom0, pl1, PGT_l1_page_table), 0);
    }
}

/*
 * The hypervisor's RAM is nobody's to map, not even as I/O memory by the
 * I/O-capable domain: free heap frames and reserved frames marked
 * OWNER_XEN (its image, boot memory) give -EBUSY as in Xen; reserved
 * frames of no owner and frames past the frame table stay I/O memory.
 */
static void test_hypervisor_ram_is_not_iomem(void **state)
{
    unsigned long l1 = new_frame(&dom0), dl1 = new_frame(&dom1), f;

    (void)state;
    for ( f = 1; f < NR && frames[f].state != PGS_free; f++ )
        ;
    assert_true(f < NR);
    mem[l1][0] = e(f, P);
    assert_int_equal(pv_pin_table(&dom0, l1, PGT_l1_page_table), -EBUSY);
    mem[dl1][0] = e(f, P);
    assert_int_equal(pv_pin_table(&dom1, dl1, PGT_l1_page_table), -EBUSY);

    assert_int_equal(frames[0].state, PGS_reserved);
    mem[l1][0] = e(0, P);                       /* I/O memory */
    mem[l1][1] = e(NR + 5, P);                  /* past the frame table */
    assert_int_equal(pv_pin_table(&dom0, l1, PGT_l1_page_table), 0);
    assert_int_equal(pv_unpin_table(&dom0, l1), 0);

    frames[0].owner = OWNER_XEN;                /* the hypervisor's own */
    assert_int_equal(pv_pin_table(&dom0, l1, PGT_l1_page_table), -EBUSY);
    assert_int_equal(tcount(l1), 0);
    frames[0].owner = OWNER_NONE;
}

/*
 * Linear page tables (an L2 entry naming an L2): read-only, and a table
 * either holds such entries or is named by them, never both (Xen's
 * linear_pt_count): no cycle, no chain past one link.
 */
static void test_linear_tables_one_link(void **state)
{
    unsigned long a = new_frame(&dom1), b = new_frame(&dom1),
                  c = new_frame(&dom1);

    (void)state;
    assert_int_equal(pv_pin_table(&dom1, a, PGT_l2_page_table), 0);
    assert_int_equal(pv_pin_table(&dom1, b, PGT_l2_page_table), 0);
    assert_int_equal(pv_pin_table(&dom1, c, PGT_l2_page_table), 0);
    assert_int_equal(pv_mod_entry(&dom1, a, 2, 0, e(b, P | RW), false),
                     -EINVAL);
    assert_int_equal(pv_mod_entry(&dom1, a, 2, 0, e(b, P), false), 0);
    assert_int_equal(frames[a].linear_pt_count, 1);
    assert_int_equal(frames[b].linear_pt_count, -1);
    assert_int_equal(tcount(b), 2);
    /* The cycle, and a chain through b or onto a: refused. */
    assert_int_equal(pv_mod_entry(&dom1, b, 2, 0, e(a, P), false), -EINVAL);
    assert_int_equal(pv_mod_entry(&dom1, b, 2, 0, e(c, P), false), -EINVAL);
    assert_int_equal(pv_mod_entry(&dom1, c, 2, 0, e(a, P), false), -EINVAL);
    assert_int_equal(frames[a].linear_pt_count, 1);
    assert_int_equal(frames[b].linear_pt_count, -1);
    assert_int_equal(frames[c].linear_pt_count, 0);
    assert_int_equal(tcount(a), 1);
    assert_int_equal(tcount(b), 2);
    /* A self-link is not counted; a second holder is fine. */
    assert_int_equal(pv_mod_entry(&dom1, b, 2, 1, e(b, P), false), 0);
    assert_int_equal(pv_mod_entry(&dom1, c, 2, 0, e(b, P), false), 0);
    assert_int_equal(frames[b].linear_pt_count, -2);
    /* Teardown gives every count back. */
    assert_int_equal(pv_unpin_table(&dom1, b), 0);
    assert_int_equal(pv_unpin_table(&dom1, a), 0);
    assert_int_equal(pv_unpin_table(&dom1, c), 0);
    assert_int_equal(frames[a].linear_pt_count, 0);
    assert_int_equal(frames[b].linear_pt_count, 0);
    assert_int_equal(frames[c].linear_pt_count, 0);
    assert_int_equal(tcount(a) + tcount(b) + tcount(c), 0);
    assert_int_equal(frames[b].count_info, 1);
}

static void test_no_writable_mapping_of_a_table(void **state)
{
    unsigned long t = new_frame(&dom1), l1 = new_frame(&dom1);

    (void)state;
    assert_int_equal(pv_pin_table(&dom1, t, PGT_l1_page_table), 0);
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    /* Route 1: a writable entry to the pinned table. */
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 3, e(t, P | RW), false), -EBUSY);
    assert_int_equal(mem[l1][3], 0);
    assert_int_equal(frames[t].count_info, 2);           /* alloc + pin */
    /* Read-only is fine. */
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 3, e(t, P), false), 0);
    assert_int_equal(frames[t].count_info, 3);
    /* ...but upgrading it to writable is not. */
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 3, e(t, P | RW), false), -EBUSY);
    assert_false(mem[l1][3] & RW);
}

static void test_no_table_with_writable_mapping(void **state)
{
    unsigned long x = new_frame(&dom1), l1 = new_frame(&dom1);
    unsigned int before;
    uint64_t stamp;

    (void)state;
    mem[l1][0] = e(x, P | RW);
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    before = flushes;
    /* Route 2: pinning a frame that is mapped writable. */
    assert_int_equal(pv_pin_table(&dom1, x, PGT_l1_page_table), -EINVAL);
    assert_int_equal(ttype(x), PGT_writable_page);
    assert_int_equal(tcount(x), 1);
    /* Once the writable mapping is gone, it may become a table. */
    stamp = clock_now;
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, 0, false), 0);
    assert_int_equal(pv_pin_table(&dom1, x, PGT_l1_page_table), 0);
    assert_true(flushes > before);          /* type change flushed the TLB */
    /* ... for what was cached before the writable count fell to zero */
    assert_true(flushed_since == stamp);
}

/*
 * A table's last reference goes: its stamp is taken then, and the flush
 * when it becomes writable covers translations made before that moment
 * (walks through it as a table).  Changing an upper-level entry does not
 * flush by itself (Xen does not either: the guest flushes for itself).
 */
static void test_table_to_writable_flushes_since_stamp(void **state)
{
    unsigned long l2 = new_frame(&dom1), l1 = new_frame(&dom1),
                  l1b = new_frame(&dom1), w = new_frame(&dom1);
    unsigned int before;
    uint64_t stamp;

    (void)state;
    mem[l2][0] = e(l1, P | RW);
    assert_int_equal(pv_pin_table(&dom1, l2, PGT_l2_page_table), 0);
    assert_int_equal(ttype(l1), PGT_l1_page_table);
    /* Repoint the L2 entry: no flush for the change itself. */
    before = flushes;
    stamp = clock_now;
    assert_int_equal(pv_mod_entry(&dom1, l2, 2, 0, e(l1b, P | RW), false), 0);
    assert_int_equal(flushes, before);
    assert_int_equal(tcount(l1), 0);
    /* The old L1 becomes writable (mapped RW by an L1 of the guest's). */
    mem[w][0] = e(l1, P | RW);
    assert_int_equal(pv_pin_table(&dom1, w, PGT_l1_page_table), 0);
    assert_int_equal(ttype(l1), PGT_writable_page);
    assert_true(flushes > before);
    assert_true(flushed_since == stamp);
}

static void test_four_levels_and_release(void **state)
{
    unsigned long l4 = new_frame(&dom1), l3 = new_frame(&dom1),
                  l2 = new_frame(&dom1), l1 = new_frame(&dom1),
                  d = new_frame(&dom1);
    unsigned int i;
    unsigned long all[] = { l4, l3, l2, l1, d };

    (void)state;
    mem[l4][0] = e(l3, P | RW);
    mem[l4][300] = e(l3, P | RW);       /* guest half too: two references */
    mem[l4][260] = 0x666;               /* hypervisor slot: overwritten */
    mem[l3][0] = e(l2, P | RW);
    mem[l2][0] = e(l1, P | RW);
    mem[l1][0] = e(d, P | RW);
    assert_int_equal(pv_pin_table(&dom1, l4, PGT_l4_page_table), 0);
    assert_int_equal(mem[l4][260], 0xabc000UL | 260);
    assert_int_equal(tcount(l3), 2);
    assert_int_equal(ttype(l2), PGT_l2_page_table);
    assert_int_equal(ttype(l1), PGT_l1_page_table);
    assert_int_equal(tcount(d), 1);
    /* The hypervisor's slots cannot be written. */
    assert_int_equal(pv_mod_entry(&dom1, l4, 4, 256, e(l3, P), false), -EINVAL);

    assert_int_equal(pv_unpin_table(&dom1, l4), 0);
    for ( i = 0; i < 5; i++ )
    {
        assert_int_equal(frames[all[i]].count_info, 1);
        assert_int_equal(tcount(all[i]), 0);
    }
}

static void test_wrong_level_refused(void **state)
{
    unsigned long l3 = new_frame(&dom1), l1 = new_frame(&dom1);

    (void)state;
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    /* An L3 entry must point at an L2, not an L1. */
    mem[l3][0] = e(l1, P | RW);
    assert_int_equal(pv_pin_table(&dom1, l3, PGT_l3_page_table), -EINVAL);
    assert_int_equal(tcount(l1), 1);
}

static void test_linear_entries_read_only(void **state)
{
    unsigned long l2 = new_frame(&dom1), other = new_frame(&dom1);

    (void)state;
    mem[l2][5] = e(l2, P);                      /* self-map, read-only */
    assert_int_equal(pv_pin_table(&dom1, l2, PGT_l2_page_table), 0);
    assert_int_equal(pv_pin_table(&dom1, other, PGT_l2_page_table), 0);
    assert_int_equal(pv_mod_entry(&dom1, l2, 2, 6, e(other, P | RW), false),
                     -EINVAL);
    assert_int_equal(pv_mod_entry(&dom1, l2, 2, 6, e(other, P), false), 0);
    assert_int_equal(tcount(other), 2);         /* pin + linear entry */
    assert_int_equal(pv_mod_entry(&dom1, l2, 2, 6, 0, false), 0);
    assert_int_equal(tcount(other), 1);
}

static void test_pin_rules(void **state)
{
    unsigned long t = new_frame(&dom1), f = new_frame(&dom2);

    (void)state;
    assert_int_equal(pv_pin_table(&dom1, t, PGT_l1_page_table), 0);
    assert_int_equal(pv_pin_table(&dom1, t, PGT_l1_page_table), -EINVAL);
    assert_int_equal(pv_pin_table(&dom1, t, PGT_l2_page_table), -EINVAL);
    assert_int_equal(pv_unpin_table(&dom1, t), 0);
    assert_int_equal(pv_unpin_table(&dom1, t), -EINVAL);   /* not pinned */
    assert_int_equal(pv_pin_table(&dom1, f, PGT_l1_page_table), -EINVAL);
    assert_int_equal(pv_pin_table(&dom1, NR + 5, PGT_l1_page_table), -EINVAL);
    assert_int_equal(frames[t].count_info, 1);
}

static void test_access_bits_take_no_references(void **state)
{
    unsigned long l1 = new_frame(&dom1), d = new_frame(&dom1);

    (void)state;
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, e(d, P | RW), false), 0);
    assert_int_equal(frames[d].count_info, 2);
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0,
                     e(d, P | RW | _PAGE_ACCESSED | _PAGE_DIRTY), false), 0);
    assert_int_equal(frames[d].count_info, 2);
    /* PRESERVE_AD keeps A/D already in the entry. */
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, e(d, P | RW), true), 0);
    assert_true(mem[l1][0] & _PAGE_DIRTY);
}

static void test_last_reference_frees(void **state)
{
    unsigned long l1 = new_frame(&dom1), d = new_frame(&dom1);

    (void)state;
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, e(d, P), false), 0);
    put_page(&frames[d]);               /* the owner gives it back ... */
    assert_int_equal(freed, 0);         /* ... but it is still mapped */
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, 0, false), 0);
    assert_int_equal(freed, 1);
}

static void test_descriptors(void **state)
{
    uint64_t code_dpl0 = 0x00af9a000000ffffUL;
    uint64_t tss = 0x0000890000000067UL;
    uint64_t gate = ((uint64_t)0xec00 << 32) | (0x0010UL << 16);  /* DPL3 */
    uint64_t notp = 0x00af1a000000ffffUL;
    uint64_t bad_gate = ((uint64_t)0xec00 << 32) | (0xe038UL << 16);

    (void)state;
    assert_true(pv_check_descriptor(&code_dpl0));
    assert_int_equal((code_dpl0 >> 45) & 3, 3);         /* DPL raised */
    assert_false(pv_check_descriptor(&tss));
    assert_true(pv_check_descriptor(&notp));
    assert_true(pv_check_descriptor(&gate));
    assert_int_equal((gate >> 45) & 3, 0);              /* gate DPL 0 */
    assert_int_equal((gate >> 16) & 3, 3);              /* DPL in the RPL */
    assert_false(pv_check_descriptor(&bad_gate));       /* hypervisor sel */
}

static void test_segdesc_type_excludes_writable(void **state)
{
    unsigned long g = new_frame(&dom1), l1 = new_frame(&dom1);

    (void)state;
    mem[g][1] = 0x0000890000000067UL;                   /* a TSS: refused */
    assert_int_equal(get_page_and_type(g, &dom1, PGT_seg_desc_page), -EINVAL);
    mem[g][1] = 0x00cf92000000ffffUL;
    assert_int_equal(get_page_and_type(g, &dom1, PGT_seg_desc_page), 0);
    assert_int_equal((mem[g][1] >> 45) & 3, 3);
    assert_int_equal(pv_pin_table(&dom1, l1, PGT_l1_page_table), 0);
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, e(g, P | RW), false), -EBUSY);
    put_page_and_type(&frames[g]);
    assert_int_equal(pv_mod_entry(&dom1, l1, 1, 0, e(g, P | RW), false), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pin_l1_takes_references, setup),
        cmocka_unit_test_setup(test_foreign_frame_refused_nothing_changed, setup),
        cmocka_unit_test_setup(test_bad_flags_and_pse, setup),
        cmocka_unit_test_setup(test_no_writable_mapping_of_a_table, setup),
        cmocka_unit_test_setup(test_no_table_with_writable_mapping, setup),
        cmocka_unit_test_setup(test_table_to_writable_flushes_since_stamp, setup),
        cmocka_unit_test_setup(test_four_levels_and_release, setup),
        cmocka_unit_test_setup(test_wrong_level_refused, setup),
        cmocka_unit_test_setup(test_linear_entries_read_only, setup),
        cmocka_unit_test_setup(test_pin_rules, setup),
        cmocka_unit_test_setup(test_hypervisor_ram_is_not_iomem, setup),
        cmocka_unit_test_setup(test_linear_tables_one_link, setup),
        cmocka_unit_test_setup(test_access_bits_take_no_references, setup),
        cmocka_unit_test_setup(test_last_reference_frees, setup),
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test_setup(test_segdesc_type_excludes_writable, setup),
    };

    return cmocka_run_group_tests_name("page_types", tests, NULL, NULL);
}
