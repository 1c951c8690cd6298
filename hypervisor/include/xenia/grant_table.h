/*
 * Grant tables, versions 1 and 2: controlled sharing of frames between
 * domains (include/public/grant_table.h, docs/grant-tables.md).
 *
 * Each domain owns a table of grant entries in frames it shares with the
 * hypervisor (the guest maps them writable by MFN). A granter fills an
 * entry (GTF_permit_access, grantee domid, frame); the grantee maps the
 * frame (GNTTABOP_map_grant_ref) or copies through it (GNTTABOP_copy).
 * While an entry is in use the hypervisor keeps GTF_reading/GTF_writing
 * set in it, so a granter that revokes with a compare-and-exchange on the
 * flags sees that it cannot. A version-2 table (GNTTABOP_set_version)
 * has 16-byte entries, which may also grant part of a frame (sub-page)
 * or pass on another domain's grant (transitive), both for copies only;
 * the hypervisor keeps their in-use flags in separate status frames.
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
/* The highest table version there is (gnttab=max-ver: may lower it). */
#define GNTTAB_MAX_VERSION          2

/*
 * gnttab=<element>[,<element>...], Xen's option, before any domain is
 * created: "max-ver:N" (or "max_ver:N"), N 1 or 2 (default 2), the
 * highest version any domain may use; "transitive", "no-transitive" or
 * "transitive=<bool>" (default on), whether copies may go through
 * transitive grants. 0, or -EINVAL if an element is unknown or bad (the
 * others still apply, as in Xen).
 */
int gnttab_parse_option(const char *s);

/*
 * The highest version a domain may use: physinfo reports it, the
 * hardware domain gets it, createdomain's grant_opts may ask for 1 up
 * to it.
 */
unsigned int gnttab_max_version(void);

/*
 * Gives d its table of GNTTAB_INITIAL_FRAMES frames, owned by d and
 * shareable writable. 0, or -ENOMEM with nothing allocated.
 */
int gnttab_domain_init(struct domain *d);

/*
 * Limits d's table to 'version' (1 to gnttab_max_version(), checked by
 * the caller): GNTTABOP_set_version asking for more fails with -ENOSYS.
 * Call before d runs; a new table allows gnttab_max_version().
 */
void gnttab_set_max_version(struct domain *d, unsigned int version);

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

/* The arch hooks this file relies on: arch_gnttab_* in xenia/arch.h. */

#endif /* XENIA_GRANT_TABLE_H */
