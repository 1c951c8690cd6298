/*
 * The page-type and reference-count state machine of PV direct paging:
 * general and type references, validation and devalidation of page
 * tables, single-entry updates and pinning (see include/xenia/pv_mm.h and
 * docs/memory.md). Xen 4.17's rules and error codes.
 *
 * Pure logic over the frame table: the hardware is reached only through
 * the arch_* hooks declared in pv_mm.h, so the host unit tests compile
 * this very file. Validation recurses at most four levels (an L4
 * validates its L3s, ...); devalidation when a table's last type
 * reference goes mirrors it.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/page_bits.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>
#include <public/xen.h>

#define SEG_P       (1u << 15)
#define SEG_S       (1u << 12)
#define SEG_DPL     (3u << 13)
#define SEG_TYPE    (0xfu << 8)

/* ---- Segment descriptors (GDT/LDT pages) ---- */


static bool gate_selector_ok(uint16_t sel)
{
    return (sel >> 3) < HV_FIRST_RESERVED_GDT_ENTRY || sel == FLAT_KERNEL_CS;
}

/* Checks one descriptor and fixes it up in place; false to refuse it. */
bool pv_check_descriptor(uint64_t *desc)
{
    uint32_t a = (uint32_t)*desc, b = *desc >> 32;
    unsigned int dpl;
    uint16_t cs;

    if ( !(b & SEG_P) )
        return true;                    /* not present: always faults */
    dpl = (b >> 13) & 3;
    if ( dpl < 3 )
        dpl = 3;
    b = (b & ~SEG_DPL) | (dpl << 13);
    if ( b & SEG_S )
        goto good;                      /* code and data segments */
    if ( (b & SEG_TYPE) == 0 )
        return true;                    /* upper half of a 16-byte gate */
    if ( (b & SEG_TYPE) != 0xc00 )
        return false;                   /* only call gates survive */
    cs = a >> 16;
    if ( !gate_selector_ok(cs) )
        return false;
    /* DPL 0, so use faults for emulation; the DPL goes into the RPL. */
    dpl = ((uint32_t)(*desc >> 32) >> 13) & 3;
    b &= ~SEG_DPL;
    cs = (cs & ~3) | dpl;
    a = (a & 0xffff) | ((uint32_t)cs << 16);
    if ( b & 0xff )
        return false;
 good:
    *desc = ((uint64_t)b << 32) | a;
    return true;
}

int validate_segdesc_page(struct domain *d, const uint64_t *page)
{
    uint64_t *p = (uint64_t *)page;
    unsigned int i;

    for ( i = 0; i < 512; i++ )
        if ( !pv_check_descriptor(&p[i]) )
            return -EINVAL;
    return 0;
}

#define PTE_FLAG_BITS       (~PADDR_MASK)
#define BASE_ALLOWED        (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
                             _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_AVAIL | \
                             _PAGE_AVAIL_HIGH | _PAGE_NX)
#define BASE_DISALLOW       (PTE_FLAG_BITS & ~BASE_ALLOWED)
#define L1_DISALLOW         ((BASE_DISALLOW | _PAGE_GNTTAB) & ~_PAGE_GLOBAL)


bool pv_domain_io_capable(const struct domain *d)
{
    return d->is_privileged;
}

static uint64_t l1_disallow(const struct domain *d)
{
    uint64_t m = L1_DISALLOW | (_PAGE_NX & ~arch_nx_mask());

    return pv_domain_io_capable(d) ? m & ~PAGE_CACHE_ATTRS : m;
}

static uint64_t ln_disallow(void)
{
    return BASE_DISALLOW | (_PAGE_NX & ~arch_nx_mask());
}

/* RAM the heap manages (vs MMIO, firmware and the hypervisor itself). */
bool pv_mfn_is_ram(unsigned long mfn)
{
    return mfn_valid(mfn) && mfn_to_page(mfn)->state == PGS_inuse;
}

bool get_page(struct page_info *pg, const struct domain *d)
{
    if ( pg->state != PGS_inuse || pg->owner != d->domain_id ||
         !pg->count_info || pg->count_info == UINT32_MAX )
        return false;
    pg->count_info++;
    return true;
}

void put_page(struct page_info *pg)
{
    BUG_ON(!pg->count_info);
    if ( --pg->count_info )
        return;
    /* Last reference: the frame goes back to the heap. */
    ASSERT(!(pg->type_info & PGT_count_mask));
    pg->type_info = 0;
    arch_free_domain_frame(page_to_mfn(pg));
}

/* ---- Entry validation ---- */

static int validate_table(struct page_info *pg, uint32_t type);
static void devalidate_table(struct page_info *pg, uint32_t type);

static uint64_t adjust_guest_entry(uint64_t e, unsigned int level)
{
    if ( !(e & _PAGE_PRESENT) )
        return e;
    switch ( level )
    {
    case 1:
        /* The guest kernel runs in ring 3: every entry must be User. */
        if ( !(e & _PAGE_USER) )
            e |= _PAGE_GUEST_KERNEL | _PAGE_USER;
        if ( !(e & _PAGE_GUEST_KERNEL) )
            e |= _PAGE_GLOBAL | _PAGE_USER;
        return e;
    case 4:
        return e | _PAGE_ACCESSED | _PAGE_USER;
    default:
        return e | _PAGE_USER;
    }
}

/*
 * Takes the references an L1 entry needs. Returns 0, or the Xen 4.17 error:
 * -EINVAL bad flags, -EPERM MMIO without permission, -EBUSY a frame that is
 * not the domain's or cannot be writable.
 */
static int get_page_from_l1e(uint64_t e, struct domain *d)
{
    unsigned long mfn = PTE_MFN(e);
    struct page_info *pg;

    if ( !(e & _PAGE_PRESENT) )
        return 0;
    if ( e & l1_disallow(d) )
        return -EINVAL;
    /*
     * The hypervisor's own RAM: free heap frames, and the frames outside
     * the heap it keeps (image, boot memory; arch/x86/mm.c marks them
     * OWNER_XEN). Nobody's to map, never I/O memory: -EBUSY, as Xen 4.17
     * answers for RAM with no owner or its own.
     */
    if ( mfn_valid(mfn) &&
         (mfn_to_page(mfn)->state == PGS_free ||
          (mfn_to_page(mfn)->state == PGS_reserved &&
           mfn_to_page(mfn)->owner == OWNER_XEN)) )
        return -EBUSY;
    if ( !pv_mfn_is_ram(mfn) || mfn_to_page(mfn)->owner == OWNER_IO )
    {
        /* Not RAM: only an I/O-capable domain maps it, uncounted. */
        if ( !pv_domain_io_capable(d) || pv_mfn_is_ram(mfn) ||
             !arch_iomem_permitted(mfn) )
            return -EPERM;
        return 0;
    }
    pg = mfn_to_page(mfn);
    if ( !get_page(pg, d) )
        return -EBUSY;
    if ( (e & _PAGE_RW) && get_page_type(pg, PGT_writable_page) )
    {
        put_page(pg);
        return -EBUSY;
    }
    return 0;
}

static void put_page_from_l1e(uint64_t e)
{
    unsigned long mfn = PTE_MFN(e);

    if ( !(e & _PAGE_PRESENT) || !pv_mfn_is_ram(mfn) )
        return;
    if ( e & _PAGE_RW )
        put_page_and_type(mfn_to_page(mfn));
    else
        put_page(mfn_to_page(mfn));
}

/* A table that holds linear entries may not be named by one, and back. */
static bool inc_linear_entries(struct page_info *pg)
{
    if ( pg->linear_pt_count < 0 || pg->linear_pt_count == INT16_MAX )
        return false;
    pg->linear_pt_count++;
    return true;
}

static bool inc_linear_uses(struct page_info *pg)
{
    if ( pg->linear_pt_count > 0 || pg->linear_pt_count == INT16_MIN )
        return false;
    pg->linear_pt_count--;
    return true;
}

/*
 * A "linear" entry points at a table of its own level: allowed read-only
 * (Xen's pv-linear-pt), from a table that is not itself the target of one
 * to a table that holds none (so chains stop at one link, cycles cannot
 * form, and tearing one down recurses once). Pointing at itself takes no
 * reference and is not counted.
 */
static int get_linear(uint64_t e, unsigned long self, uint32_t type,
                      struct domain *d)
{
    unsigned long mfn = PTE_MFN(e);
    struct page_info *pg, *ptpg = mfn_to_page(self);

    if ( e & _PAGE_RW )
        return -EINVAL;
    if ( mfn == self )
        return 0;
    pg = mfn_to_page(mfn);
    if ( !get_page(pg, d) )
        return -EINVAL;
    if ( (pg->type_info & (PGT_type_mask | PGT_validated)) !=
         (type | PGT_validated) ||
         (pg->type_info & PGT_count_mask) == PGT_count_mask )
    {
        put_page(pg);
        return -EINVAL;
    }
    if ( !inc_linear_entries(ptpg) )
    {
        put_page(pg);
        return -EINVAL;
    }
    if ( !inc_linear_uses(pg) )
    {
        ptpg->linear_pt_count--;
        put_page(pg);
        return -EINVAL;
    }
    pg->type_info++;
    return 0;
}

const uint32_t pv_level_type[5] = {
    0, PGT_l1_page_table, PGT_l2_page_table, PGT_l3_page_table,
    PGT_l4_page_table,
};

/* An entry of a level-N (N >= 2) table referring to a level N-1 table. */
static int get_page_from_lne(uint64_t e, unsigned int level,
                             unsigned long self, struct domain *d)
{
    unsigned long mfn = PTE_MFN(e);
    int rc;

    if ( !(e & _PAGE_PRESENT) )
        return 0;
    if ( e & ln_disallow() )
        return -EINVAL;
    if ( !pv_mfn_is_ram(mfn) )
        return -EINVAL;
    rc = get_page_and_type(mfn, d, pv_level_type[level - 1]);
    if ( rc == -EINVAL )
        rc = get_linear(e, self, pv_level_type[level], d) ? -EINVAL : 0;
    return rc;
}

static void put_page_from_lne(uint64_t e, unsigned long self)
{
    unsigned long mfn = PTE_MFN(e);
    struct page_info *pg, *ptpg = mfn_to_page(self);

    if ( !(e & _PAGE_PRESENT) || mfn == self )
        return;
    pg = mfn_to_page(mfn);
    /* A table of the holder's own level: a linear entry going. */
    if ( (pg->type_info & PGT_type_mask) == (ptpg->type_info & PGT_type_mask) )
    {
        ASSERT(ptpg->linear_pt_count > 0 && pg->linear_pt_count < 0);
        ptpg->linear_pt_count--;
        pg->linear_pt_count++;
    }
    put_page_and_type(pg);
}

static bool is_guest_l4_slot(unsigned int i)
{
    return i < HV_L4_FIRST_SLOT || i > HV_L4_LAST_SLOT;
}

static int validate_table(struct page_info *pg, uint32_t type)
{
    struct domain *d = NULL;
    unsigned long mfn = page_to_mfn(pg);
    uint64_t *t = arch_frame_ptr(mfn);
    unsigned int level = type >> 28, i;
    int rc = 0;

    d = domain_by_id(pg->owner);
    if ( !d )
        return -EINVAL;
    if ( type == PGT_seg_desc_page )
        return validate_segdesc_page(d, arch_frame_ptr(mfn));
    for ( i = 0; i < 512; i++ )
    {
        if ( level == 4 && !is_guest_l4_slot(i) )
            continue;
        rc = level == 1 ? get_page_from_l1e(t[i], d)
                        : get_page_from_lne(t[i], level, mfn, d);
        if ( rc )
            break;
        t[i] = adjust_guest_entry(t[i], level);
    }
    if ( rc )
    {
        while ( i-- > 0 )
        {
            if ( level == 4 && !is_guest_l4_slot(i) )
                continue;
            if ( level == 1 )
                put_page_from_l1e(t[i]);
            else
                put_page_from_lne(t[i], mfn);
        }
        return rc;
    }
    if ( level == 4 )
        for ( i = HV_L4_FIRST_SLOT; i <= HV_L4_LAST_SLOT; i++ )
            t[i] = arch_hv_l4_entry(i);
    return 0;
}

static void devalidate_table(struct page_info *pg, uint32_t type)
{
    unsigned long mfn = page_to_mfn(pg);
    uint64_t *t = arch_frame_ptr(mfn);
    unsigned int level = type >> 28, i;

    if ( type == PGT_seg_desc_page )
        return;
    for ( i = 0; i < 512; i++ )
    {
        if ( level == 4 && !is_guest_l4_slot(i) )
            continue;
        if ( level == 1 )
            put_page_from_l1e(t[i]);
        else
            put_page_from_lne(t[i], mfn);
    }
}

/*
 * The hypervisor's arch/x86/mm.c defines these; host unit tests that link
 * this file and provide only arch_flush_tlb() get a clock that never moves
 * and a flush of everything.
 */
__attribute__((weak)) uint64_t arch_tlbflush_stamp(void)
{
    return 0;
}

__attribute__((weak)) void arch_flush_tlb_since(uint64_t stamp)
{
    (void)stamp;
    arch_flush_tlb();
}

int get_page_type(struct page_info *pg, uint32_t type)
{
    uint32_t x = pg->type_info;
    int rc;

    if ( (x & PGT_count_mask) == PGT_count_mask )
        return -EINVAL;
    if ( x & PGT_count_mask )
    {
        if ( (x & PGT_type_mask) != type )
            return -EINVAL;
        /* In use but never validated means validation is running. */
        if ( !(x & PGT_validated) )
            return -EINVAL;
        pg->type_info++;
        return 0;
    }
    /*
     * Count is zero: the type may change.  No CPU may keep a translation
     * made under the old type: a writable mapping of a frame that becomes
     * a table, or a walk through a table that becomes writable (or another
     * level).  Those made before the count fell to zero are the only ones:
     * flush the CPUs that have not flushed since (Xen's tlbflush_filter).
     */
    if ( (x & PGT_type_mask) != type )
    {
        if ( (x & PGT_type_mask) != PGT_none )
            arch_flush_tlb_since(pg->tlbflush_stamp);
        x = type;
    }
    if ( type == PGT_writable_page || (x & PGT_validated) )
    {
        pg->type_info = (x & ~PGT_count_mask) | PGT_validated | 1;
        return 0;
    }
    /* Hold the reference while validating so recursion sees it in use. */
    pg->type_info = type | 1;
    pg->linear_pt_count = 0;
    rc = validate_table(pg, type);
    if ( rc )
    {
        pg->type_info = type;
        return rc;
    }
    pg->type_info = type | PGT_validated | 1;
    return 0;
}

void put_page_type(struct page_info *pg)
{
    uint32_t x = pg->type_info;
    uint32_t type = x & PGT_type_mask;

    BUG_ON(!(x & PGT_count_mask));
    if ( (x & PGT_count_mask) == 1 && type >= PGT_l1_page_table &&
         type <= PGT_seg_desc_page && (x & PGT_validated) )
    {
        /* Last user of a table: drop what its entries hold. */
        pg->type_info = type;       /* count 0, not validated */
        pg->tlbflush_stamp = arch_tlbflush_stamp();
        devalidate_table(pg, type);
        return;
    }
    if ( (x & PGT_count_mask) == 1 )
        pg->tlbflush_stamp = arch_tlbflush_stamp();
    pg->type_info = x - 1;
}

int get_page_and_type(unsigned long mfn, const struct domain *d, uint32_t type)
{
    struct page_info *pg;
    int rc;

    if ( !mfn_valid(mfn) )
        return -EINVAL;
    pg = mfn_to_page(mfn);
    if ( !get_page(pg, d) )
        return -EINVAL;
    rc = get_page_type(pg, type);
    if ( rc )
        put_page(pg);
    return rc;
}

void put_page_and_type(struct page_info *pg)
{
    put_page_type(pg);
    put_page(pg);
}

/* ---- Changing one entry ---- */

/* Whether only bits that need no new references changed. */
static bool same_target(uint64_t o, uint64_t n)
{
    const uint64_t fast = _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_AVAIL |
                          _PAGE_AVAIL_HIGH | _PAGE_GLOBAL | _PAGE_NX |
                          _PAGE_USER | _PAGE_GUEST_KERNEL;

    return (o & _PAGE_PRESENT) && ((o ^ n) & ~fast) == 0;
}

int pv_mod_entry(struct domain *d, unsigned long tmfn, unsigned int level,
                     unsigned int slot, uint64_t nval, bool preserve_ad)
{
    uint64_t *pe = (uint64_t *)arch_frame_ptr(tmfn) + slot;
    uint64_t oval = *pe;
    int rc;

    if ( level == 4 && !is_guest_l4_slot(slot) )
        return -EINVAL;
    if ( nval & _PAGE_PRESENT )
    {
        uint64_t bad = level == 1 ? l1_disallow(d) : ln_disallow();

        if ( nval & bad )
            return -EINVAL;
        nval = adjust_guest_entry(nval, level);
        if ( preserve_ad )
            nval |= oval & (_PAGE_ACCESSED | _PAGE_DIRTY);
        if ( same_target(oval, nval) )
        {
            *pe = nval;
            return 0;
        }
        rc = level == 1 ? get_page_from_l1e(nval, d)
                        : get_page_from_lne(nval, level, tmfn, d);
        if ( rc )
            return rc;
    }
    *pe = nval;
    if ( level == 1 )
        put_page_from_l1e(oval);
    else
        put_page_from_lne(oval, tmfn);
    /*
     * No flush here, as in Xen: the guest flushes for its own sake, and a
     * table this entry no longer holds is flushed for before its type can
     * change (get_page_type, with the stamp put_page_type left).
     */
    return 0;
}

int pv_mod_l1_entry(struct domain *d, unsigned long l1mfn, unsigned int slot,
                    uint64_t nval, bool preserve_ad)
{
    return pv_mod_entry(d, l1mfn, 1, slot, nval, preserve_ad);
}

int pv_pin_table(struct domain *d, unsigned long mfn, uint32_t type)
{
    struct page_info *pg;
    int rc;

    if ( !mfn_valid(mfn) )
        return -EINVAL;
    rc = get_page_and_type(mfn, d, type);
    if ( rc )
        return rc;
    pg = mfn_to_page(mfn);
    if ( pg->type_info & PGT_pinned )
    {
        put_page_and_type(pg);
        return -EINVAL;
    }
    pg->type_info |= PGT_pinned;
    return 0;
}

int pv_unpin_table(struct domain *d, unsigned long mfn)
{
    struct page_info *pg;

    if ( !mfn_valid(mfn) || !get_page(pg = mfn_to_page(mfn), d) )
        return -EINVAL;
    if ( !(pg->type_info & PGT_pinned) )
    {
        put_page(pg);
        return -EINVAL;
    }
    pg->type_info &= ~PGT_pinned;
    put_page_and_type(pg);      /* the pin's references */
    put_page(pg);               /* ours */
    return 0;
}

