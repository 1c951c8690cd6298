/*
 * The PV memory model: direct paging with validated page tables.
 *
 * A guest builds its own page tables from its own frames, but a frame may
 * be used as a level-N table only after the hypervisor has checked every
 * entry of it (validation) and while it holds the page-table type; a frame
 * with a page-table or descriptor type can never be mapped writable, since
 * a writable mapping needs the "writable" type and a frame has one type at
 * a time. References: count_info counts every user of a frame (the owner's
 * allocation, each mapping, each table entry, pins, CR3s); the type count
 * counts users that rely on the type (writable mappings, parent tables,
 * pins, CR3s). See docs/memory.md.
 */
#ifndef XENIA_PV_MM_H
#define XENIA_PV_MM_H

#include <xenia/types.h>
#include <xenia/mm.h>

struct domain;
struct vcpu;

/* PTE software bits with meaning to the hypervisor (Xen's). */
#define _PAGE_GUEST_KERNEL  (1UL << 52)     /* guest wrote it without U */
#define _PAGE_GNTTAB        (1UL << 62)     /* installed by grant mapping */
#define _PAGE_AVAIL         (7UL << 9)
#define _PAGE_AVAIL_HIGH    (0x7ffUL << 52)
#define _PAGE_PAT_L1        (1UL << 7)
#define PAGE_CACHE_ATTRS    (_PAGE_PWT | _PAGE_PCD | _PAGE_PAT_L1)

/* General references: 0 or -errno. */
bool get_page(struct page_info *pg, const struct domain *d);
void put_page(struct page_info *pg);
/* Type references: 0, or -errno when the type conflicts or validation fails. */
int get_page_type(struct page_info *pg, uint32_t type);
void put_page_type(struct page_info *pg);
int get_page_and_type(unsigned long mfn, const struct domain *d, uint32_t type);
void put_page_and_type(struct page_info *pg);

/* Guest page-table walk in the vCPU's kernel tables: L1 entry's address. */
uint64_t *guest_l1e_ptr(struct vcpu *v, unsigned long va, unsigned long *l1mfn);
/* Replaces one L1 entry with full validation (ptwr emulation uses it). */
int pv_mod_l1_entry(struct domain *d, unsigned long l1mfn, unsigned int slot,
                    uint64_t nval, bool preserve_ad);
/* CR3 loads: take a reference on the new L4 and drop the old one. */
int pv_new_guest_table(struct vcpu *v, unsigned long mfn, bool user);

bool pv_domain_io_capable(const struct domain *d);
bool pv_mfn_is_ram(unsigned long mfn);
extern const uint32_t pv_level_type[5];     /* level -> PGT_lN_page_table */

/* The state machine (arch/x86/pv/page_types.c). */
int pv_mod_entry(struct domain *d, unsigned long tmfn, unsigned int level,
                 unsigned int slot, uint64_t nval, bool preserve_ad);
int pv_pin_table(struct domain *d, unsigned long mfn, uint32_t type);
int pv_unpin_table(struct domain *d, unsigned long mfn);
bool pv_check_descriptor(uint64_t *desc);
int validate_segdesc_page(struct domain *d, const uint64_t *page);

/*
 * Arch hooks the state machine calls (arch/x86/mm.c; the host unit tests
 * provide their own):
 *  arch_frame_ptr(mfn)       - a hypervisor pointer to the frame's contents.
 *  arch_flush_tlb()          - flush every TLB that may hold a guest
 *                              translation.
 *  arch_tlbflush_stamp()     - the TLB-flush clock now (a frame is stamped
 *                              when its type count falls to zero).
 *  arch_flush_tlb_since(s)   - flush the TLBs that may hold a translation
 *                              made before stamp s: those of the CPUs with
 *                              guest page tables loaded that have not
 *                              flushed since (a frame's type changes).
 *  arch_hv_l4_entry(slot)    - the hypervisor's own L4 entry for slots
 *                              256-271, copied into every validated L4.
 *  arch_nx_mask()            - _PAGE_NX if the CPU supports NX, else 0.
 *  arch_free_domain_frame(m) - a frame's last reference went: invalidate
 *                              its M2P entry, scrub and free it.
 *  arch_iomem_permitted(m)   - whether a non-RAM frame is I/O memory an
 *                              I/O-capable domain may map (inside the
 *                              physical address width, not the hypervisor's
 *                              own MMIO such as the local APIC, and not
 *                              RAM above 1 MiB: the heap's or the
 *                              hypervisor's own, which get_page_from_l1e
 *                              refuses first with -EBUSY).
 */
void *arch_frame_ptr(unsigned long mfn);
void arch_flush_tlb(void);
uint64_t arch_tlbflush_stamp(void);
void arch_flush_tlb_since(uint64_t stamp);
uint64_t arch_hv_l4_entry(unsigned int slot);
uint64_t arch_nx_mask(void);
void arch_free_domain_frame(unsigned long mfn);
bool arch_iomem_permitted(unsigned long mfn);

void pv_release_descriptor_tables(struct vcpu *v);

/* The vm_assist types a 64-bit PV guest may enable. */
#define VMASST_VALID ((1UL << VMASST_TYPE_4gb_segments) |          \
                      (1UL << VMASST_TYPE_4gb_segments_notify) |   \
                      (1UL << VMASST_TYPE_writable_pagetables) |   \
                      (1UL << VMASST_TYPE_pae_extended_cr3) |      \
                      (1UL << VMASST_TYPE_architectural_iopl) |    \
                      (1UL << VMASST_TYPE_runstate_update_flag) |  \
                      (1UL << VMASST_TYPE_m2p_strict))

#endif /* XENIA_PV_MM_H */
