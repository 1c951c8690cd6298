/*
 * mm.c: memory helpers of the test kernels.
 *
 * The start-of-day ABI maps pseudo-physical 0.. contiguously at
 * XT_VIRT_BASE up to a 4 MiB boundary: kernel, p2m, start_info, the
 * bootstrap page tables (L4 first), one stack page, then spare pages.
 * The spare pages are our page pool.  PFN <-> VA is therefore a constant
 * offset for every page we use; MFN -> PFN goes through the M2P.
 *
 * The 2 MiB after the initial mapping become the scratch window: one L1
 * of our own, hooked into the bootstrap L2 with mmu_update, whose slots
 * the tests map and unmap freely.
 */
#include "xtpv.h"

uint64_t *xt_p2m;
uint64_t *xt_cur_l4;

static unsigned long pool_next, pool_end;
static void *free_list;
static unsigned long scratch_base;
static unsigned int scratch_next;
static bool mm_ready;

#define PTE_KERN_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KERN_RO (_PAGE_PRESENT | _PAGE_ACCESSED)

uint64_t xt_initial_mapping_end(void)
{
    const unsigned long mb4 = 4UL << 20;
    unsigned long stack_end = xt_start_info->pt_base +
        (xt_start_info->nr_pt_frames + 1) * PAGE_SIZE;
    unsigned long end = (stack_end + mb4 - 1) & ~(mb4 - 1);

    if ( end - stack_end < (512UL << 10) )
        end += mb4;
    return end;
}

uint64_t xt_virt_to_mfn(const void *va)
{
    return xt_p2m[((unsigned long)va - XT_VIRT_BASE) >> 12];
}

void *xt_mfn_to_virt(uint64_t mfn)
{
    uint64_t pfn = xt_m2p[mfn];

    if ( pfn >= xt_start_info->nr_pages ||
         XT_VIRT_BASE + (pfn << 12) >= xt_initial_mapping_end() )
        return NULL;
    return (void *)(XT_VIRT_BASE + (pfn << 12));
}

static uint64_t *table_of(uint64_t entry)
{
    if ( !(entry & _PAGE_PRESENT) || (entry & _PAGE_PSE) )
        return NULL;
    return xt_mfn_to_virt(pte_mfn(entry));
}

/* The table at level 'lvl' (4..1) for 'va', or NULL. */
static uint64_t *table_at(unsigned long va, unsigned int lvl)
{
    uint64_t *t = xt_cur_l4;
    unsigned int l;

    for ( l = 4; l > lvl && t; l-- )
    {
        unsigned int idx = (va >> (12 + 9 * (l - 1))) & 511;

        t = table_of(t[idx]);
    }
    return t;
}

uint64_t xt_pt_entry(unsigned long va, unsigned int lvl)
{
    uint64_t *t = table_at(va, lvl);

    return t ? t[(va >> (12 + 9 * (lvl - 1))) & 511] : 0;
}

uint64_t xt_pt_entry_maddr(unsigned long va, unsigned int lvl)
{
    uint64_t *t = table_at(va, lvl);

    if ( !t )
        return 0;
    return (xt_virt_to_mfn(t) << 12) +
        ((va >> (12 + 9 * (lvl - 1))) & 511) * 8;
}

uint64_t xt_pte_maddr(unsigned long va)
{
    return xt_pt_entry_maddr(va, 1);
}

long xt_mmu_update1(uint64_t ptr, uint64_t val)
{
    struct mmu_update req = { .ptr = ptr, .val = val };

    return HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
}

long xt_mmuext1(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
    struct mmuext_op op = XT_MMUEXT(cmd, arg1, arg2);

    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

long xt_set_pte(unsigned long va, uint64_t pte, unsigned long flags)
{
    return HYPERVISOR_update_va_mapping(va, pte, flags);
}

long xt_make_ro(const void *va)
{
    return xt_set_pte((unsigned long)va,
                      (xt_virt_to_mfn(va) << 12) | PTE_KERN_RO, UVMF_INVLPG);
}

long xt_make_rw(const void *va)
{
    return xt_set_pte((unsigned long)va,
                      (xt_virt_to_mfn(va) << 12) | PTE_KERN_RW, UVMF_INVLPG);
}

void *xt_alloc_page(void)
{
    void *p;

    if ( free_list )
    {
        p = free_list;
        free_list = *(void **)p;
    }
    else
    {
        if ( pool_next >= pool_end )
        {
            xt_error("page pool exhausted");
            xt_shutdown(SHUTDOWN_crash);
        }
        p = (void *)pool_next;
        pool_next += PAGE_SIZE;
    }
    memset(p, 0, PAGE_SIZE);
    return p;
}

void xt_free_page(void *p)
{
    *(void **)p = free_list;
    free_list = p;
}

unsigned long xt_scratch_va(void)
{
    if ( scratch_next >= 512 )
    {
        xt_error("scratch window exhausted");
        xt_shutdown(SHUTDOWN_crash);
    }
    return scratch_base + (unsigned long)scratch_next++ * PAGE_SIZE;
}

void *xt_map_mfn(uint64_t mfn, uint64_t flags)
{
    unsigned long va = xt_scratch_va();
    long rc = xt_set_pte(va, (mfn << 12) | flags, UVMF_INVLPG);

    if ( rc )
    {
        xt_error("map mfn %#lx: %ld", mfn, rc);
        return NULL;
    }
    return (void *)va;
}

void xt_unmap(void *va)
{
    xt_set_pte((unsigned long)va, 0, UVMF_INVLPG);
}

void xt_mm_init(void)
{
    uint64_t *l1;
    uint64_t l2e_ma;
    long rc;

    if ( mm_ready )
        return;
    mm_ready = true;
    xt_p2m = (uint64_t *)xt_start_info->mfn_list;
    xt_cur_l4 = (uint64_t *)xt_start_info->pt_base;
    pool_next = xt_start_info->pt_base +
        (xt_start_info->nr_pt_frames + 1) * PAGE_SIZE;
    pool_end = xt_initial_mapping_end();

    /* The scratch window: a fresh, empty L1 for the next 2 MiB. */
    scratch_base = (pool_end + (2UL << 20) - 1) & ~((2UL << 20) - 1);
    l1 = xt_alloc_page();
    rc = xt_make_ro(l1);
    l2e_ma = xt_pt_entry_maddr(scratch_base, 2);
    if ( !rc && l2e_ma )
        rc = xt_mmu_update1(l2e_ma, (xt_virt_to_mfn(l1) << 12) |
                            PTE_KERN_RW);
    if ( rc || !l2e_ma )
        xt_error("scratch window at %#lx: rc %ld, l2e %#lx",
                 scratch_base, rc, l2e_ma);
}
