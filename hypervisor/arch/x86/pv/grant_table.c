/*
 * Grant mappings in a PV domain's own page tables: the arch hooks of
 * common/grant_table.c (contracts in include/xenia/arch.h).
 *
 * A host mapping is one L1 entry that the hypervisor writes itself, as
 * Xen 4.17's create_grant_pv_mapping/replace_grant_pv_mapping do. Like a
 * release build of Xen it carries no _PAGE_GNTTAB mark (Xen sets that bit
 * only in debug builds): nothing here needs to tell it from a PTE the
 * guest wrote, since the references it holds are those any PTE holds.
 * The entry is named by a virtual address (walked in the vCPU's kernel
 * page tables) or, with GNTMAP_contains_pte, by its machine address;
 * either way it must lie in a validated L1 table the domain owns.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/config.h>
#include <xenia/page_bits.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>
#include <xenia/grant_table.h>
#include <public/grant_table.h>

/* The PTE a grant mapping gets, as a 64-bit PV guest's L1 entries look. */
static uint64_t grant_pte(unsigned long mfn, unsigned int flags)
{
    uint64_t pte = ((uint64_t)mfn << PAGE_SHIFT) | _PAGE_PRESENT |
                   _PAGE_ACCESSED | _PAGE_DIRTY | arch_nx_mask();

    if ( flags & GNTMAP_application_map )
        pte |= _PAGE_USER;
    if ( !(flags & GNTMAP_readonly) )
        pte |= _PAGE_RW;
    /* GNTMAP bits 16-18 go to the software-available bits 9-11. */
    pte |= ((uint64_t)(flags >> _GNTMAP_guest_avail0) << 9) & _PAGE_AVAIL;
    /* The guest kernel runs in ring 3 (see adjust_guest_entry). */
    if ( !(pte & _PAGE_USER) )
        pte |= _PAGE_GUEST_KERNEL | _PAGE_USER;
    else
        pte |= _PAGE_GLOBAL;
    return pte;
}

/*
 * The L1 entry at machine address 'maddr' if it lies in a validated L1
 * table in use that d owns; NULL otherwise. *l1mfn gets the table.
 */
static uint64_t *l1e_at(struct domain *d, uint64_t maddr,
                        unsigned long *l1mfn)
{
    unsigned long mfn = maddr >> PAGE_SHIFT;
    const struct page_info *pg;

    if ( (maddr & 7) || !pv_mfn_is_ram(mfn) )
        return NULL;
    pg = mfn_to_page(mfn);
    if ( pg->owner != d->domain_id || !pg->count_info ||
         (pg->type_info & (PGT_type_mask | PGT_validated)) !=
         (PGT_l1_page_table | PGT_validated) ||
         !(pg->type_info & PGT_count_mask) )
        return NULL;
    *l1mfn = mfn;
    return (uint64_t *)mfn_to_virt(mfn) + ((maddr & ~PAGE_MASK) >> 3);
}

/* The L1 entry a grant op names for the calling domain d. */
static uint64_t *grant_l1e(struct domain *d, uint64_t addr,
                           unsigned int flags, unsigned long *l1mfn)
{
    unsigned long mfn;
    uint64_t *pl1e;

    if ( flags & GNTMAP_contains_pte )
        return l1e_at(d, addr, l1mfn);
    pl1e = guest_l1e_ptr(current, addr, &mfn);
    if ( !pl1e )
        return NULL;
    return l1e_at(d, ((uint64_t)mfn << PAGE_SHIFT) |
                     ((unsigned long)pl1e & ~PAGE_MASK), l1mfn);
}

int arch_gnttab_create_host_mapping(struct domain *ld, uint64_t addr,
                                    unsigned long frame, unsigned int flags,
                                    uint64_t *pte_maddr)
{
    unsigned long l1mfn;
    uint64_t *pl1e = grant_l1e(ld, addr, flags, &l1mfn);
    unsigned int slot;

    if ( !pl1e )
        return GNTST_general_error;
    slot = ((unsigned long)pl1e & ~PAGE_MASK) >> 3;
    /* Release what the entry held, as mmu_update would; cannot fail. */
    if ( pv_mod_l1_entry(ld, l1mfn, slot, 0, false) )
        return GNTST_general_error;
    __atomic_store_n(pl1e, grant_pte(frame, flags), __ATOMIC_RELEASE);
    *pte_maddr = ((uint64_t)l1mfn << PAGE_SHIFT) | (slot << 3);
    return GNTST_okay;
}

/* Whether 'pte' is the mapping of 'frame' that 'flags' describe. */
static bool is_grant_pte(uint64_t pte, unsigned long frame, unsigned int flags)
{
    uint64_t want = _PAGE_PRESENT | ((flags & GNTMAP_readonly) ? 0 : _PAGE_RW);

    return PTE_MFN(pte) == frame && (pte & (_PAGE_PRESENT | _PAGE_RW)) == want;
}

/* Clears *pl1e if it is the mapping of 'frame' that 'flags' describe. */
static int clear_grant_pte(uint64_t *pl1e, unsigned long frame,
                           unsigned int flags)
{
    uint64_t old = __atomic_load_n(pl1e, __ATOMIC_ACQUIRE);

    if ( !is_grant_pte(old, frame, flags) )
        return GNTST_general_error;
    if ( !__atomic_compare_exchange_n(pl1e, &old, 0, false, __ATOMIC_ACQ_REL,
                                      __ATOMIC_ACQUIRE) )
        return GNTST_general_error;
    return GNTST_okay;
}

/*
 * GNTTABOP_unmap_and_replace (Xen's replace_grant_pv_mapping with a
 * new_addr): the L1 entry of new_addr is taken out first, as in Xen, then
 * put where the grant was. Where Xen drops the taken entry when the grant
 * check fails, it goes back here: a failed op changes nothing.
 */
static int replace_with(struct domain *ld, uint64_t addr, unsigned long frame,
                        unsigned int flags, uint64_t new_addr)
{
    unsigned long l1mfn;
    uint64_t *pnew, *pl1e, stolen, old;

    if ( flags & GNTMAP_contains_pte )
        return GNTST_general_error;     /* no replace in this mode */
    pnew = grant_l1e(ld, new_addr, 0, &l1mfn);
    if ( !pnew )
        return GNTST_general_error;
    stolen = __atomic_exchange_n(pnew, 0, __ATOMIC_ACQ_REL);
    pl1e = grant_l1e(ld, addr, flags, &l1mfn);
    old = pl1e ? __atomic_load_n(pl1e, __ATOMIC_ACQUIRE) : 0;
    if ( !pl1e || !is_grant_pte(old, frame, flags) ||
         !__atomic_compare_exchange_n(pl1e, &old, stolen, false,
                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) )
    {
        __atomic_store_n(pnew, stolen, __ATOMIC_RELEASE);
        return GNTST_general_error;
    }
    return GNTST_okay;
}

int arch_gnttab_replace_host_mapping(struct domain *ld, uint64_t addr,
                                     unsigned long frame, unsigned int flags,
                                     uint64_t new_addr)
{
    unsigned long l1mfn;
    uint64_t *pl1e;

    if ( new_addr )
        return replace_with(ld, addr, frame, flags, new_addr);
    pl1e = grant_l1e(ld, addr, flags, &l1mfn);
    return pl1e ? clear_grant_pte(pl1e, frame, flags) : GNTST_general_error;
}

bool arch_gnttab_release_host_mapping(struct domain *d, uint64_t pte_maddr,
                                      unsigned long frame, unsigned int flags)
{
    unsigned long l1mfn;
    uint64_t *pl1e = l1e_at(d, pte_maddr, &l1mfn);

    return pl1e && clear_grant_pte(pl1e, frame, flags) == GNTST_okay;
}
