/*
 * Grant tables, version 1: controlled sharing of frames between domains
 * (include/public/grant_table.h, docs/grant-tables.md).
 *
 * Each domain owns a table of grant entries in frames it shares with the
 * hypervisor (the guest maps them writable by MFN). A granter fills an
 * entry (GTF_permit_access, grantee domid, frame); the grantee maps the
 * frame (GNTTABOP_map_grant_ref) or copies through it (GNTTABOP_copy).
 * While an entry is in use the hypervisor keeps GTF_reading/GTF_writing
 * set in it, so a granter that revokes with a compare-and-exchange on the
 * flags sees that it cannot.
 *
 * Every mapping holds references on the granted frame: one general
 * reference per kind (host and/or device mapping) and, for a writable
 * kind, one writable type reference. A host mapping's references belong
 * to its PTE, as for any PTE: unmap_grant_ref takes them back after
 * clearing the PTE and flushing TLBs, and if the PTE goes some other way
 * (the mapper's page tables are torn down) they go with it.
 *
 * The logic lives in common/grant_table.c and reaches the hardware only
 * through the arch hooks below, so the host unit tests compile it.
 */
#ifndef XENIA_GRANT_TABLE_H
#define XENIA_GRANT_TABLE_H

#include <xenia/types.h>

struct domain;
struct grant_table;

/* Frames of a new table, and the most setup_table grows it to (Xen's). */
#define GNTTAB_INITIAL_FRAMES       1
#define GNTTAB_MAX_FRAMES           64
/* Frames of mapping handles a domain may use (128 handles each). */
#define GNTTAB_MAX_MAPTRACK_FRAMES  1024

/*
 * Gives d its table of GNTTAB_INITIAL_FRAMES frames, owned by d and
 * shareable writable. 0, or -ENOMEM with nothing allocated.
 */
int gnttab_domain_init(struct domain *d);

/*
 * Releases all grant state of a domain that will not run again: every
 * mapping it holds of others' grants (PTEs cleared where they are still
 * in place, TLBs flushed, then references, pins and the granters'
 * GTF_reading/GTF_writing dropped), its maptrack, and its own table.
 * Mappings other domains hold of its grants stay valid: their references
 * keep the frames alive, and the table's bookkeeping lives until the last
 * of them is unmapped. The table frames lose their allocation reference
 * and are freed once d's own page tables no longer map them. Afterwards
 * d->grant_table is NULL. Call it before the page-reference audit.
 */
void gnttab_domain_release(struct domain *d);

/*
 * GNTTABOP_* on behalf of domain ld, with guest memory at uop (see
 * include/public/grant_table.h for each sub-op's semantics).
 */
long gnttab_op(struct domain *ld, unsigned int cmd, vaddr_t uop,
               unsigned int count);


/*
 * Arch hooks (arch/x86/pv/grant_table.c; the host unit tests provide
 * their own). They return GNTST_okay or GNTST_general_error and change
 * nothing on failure. 'flags' are the GNTMAP_* flags of the mapping.
 *
 *  arch_gnttab_create_host_mapping(ld, addr, frame, flags, pte_maddr)
 *      Makes the calling domain ld map 'frame' at 'addr': a virtual
 *      address of its current page tables, or with GNTMAP_contains_pte
 *      the machine address of the L1 entry. The entry must lie in a
 *      validated L1 table owned by ld. The PTE is present, read-only with
 *      GNTMAP_readonly, user-accessible with GNTMAP_application_map (else
 *      a guest-kernel mapping). The entry it replaces is released as
 *      mmu_update would release it; the new PTE takes no references (the
 *      caller took them and hands them over). Stores the machine address
 *      of the entry in *pte_maddr. Called with no grant lock held.
 *
 *  arch_gnttab_replace_host_mapping(ld, addr, frame, flags)
 *      Clears the L1 entry named by 'addr' (as above) if it maps 'frame',
 *      present, and writable exactly when the mapping is. Drops no
 *      references and flushes nothing: the caller flushes TLBs, then
 *      takes back the references. It writes one PTE and nothing else, so
 *      it may be called under the mapper's grant lock.
 *
 *  arch_gnttab_release_host_mapping(d, pte_maddr, frame, flags)
 *      Teardown of domain d, which is not running: the same check and
 *      clear, at the entry recorded when the mapping was made. Returns
 *      true if it cleared the entry (the caller now owns its references),
 *      false if the entry no longer maps the frame (the references went,
 *      or will go, with the page table that held it).
 */
int arch_gnttab_create_host_mapping(struct domain *ld, uint64_t addr,
                                    unsigned long frame, unsigned int flags,
                                    uint64_t *pte_maddr);
int arch_gnttab_replace_host_mapping(struct domain *ld, uint64_t addr,
                                     unsigned long frame, unsigned int flags);
bool arch_gnttab_release_host_mapping(struct domain *d, uint64_t pte_maddr,
                                      unsigned long frame, unsigned int flags);

#endif /* XENIA_GRANT_TABLE_H */
