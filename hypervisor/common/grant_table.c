/*
 * Grant tables, versions 1 and 2: the grant_table_op hypercall
 * (setup_table, query_size, map_grant_ref, unmap_grant_ref,
 * unmap_and_replace, copy, set_version, get_status_frames, get_version)
 * and the per-domain tables behind it. Semantics and error codes are Xen
 * 4.17's; see include/xenia/grant_table.h for the model and
 * docs/grant-tables.md for the details.
 *
 * Four kinds of state, all in struct grant_table:
 *  - shared entries: the v1 or v2 entries, in frames the domain owns and
 *    maps; the guest may change them at any moment;
 *  - status words (v2 only): GTF_reading/GTF_writing of each entry, in
 *    status frames the domain owns and maps, written by the hypervisor
 *    (in v1 those bits live in the entry's flags);
 *  - active entries: the hypervisor's record of an entry in use (pin
 *    counts per kind of use, the grantee, the frame), so that once an
 *    entry is pinned nothing the guest writes to it changes the mapping;
 *  - maptrack: the mappings this domain holds of others' grants, indexed
 *    by the handle map_grant_ref returns.
 *
 * A table is reference counted: one reference for its owner, one for
 * each maptrack entry (in any domain) that names it and one for each copy
 * in progress. The owner's release drops the shared frames and marks the
 * table orphaned; the bookkeeping goes when the last mapping does.
 *
 * Locking:
 *  - gt->lock guards everything in a struct grant_table: its size and
 *    shared frames, its active entries, its maptrack and its reference
 *    count.
 *  - No path holds two grant-table locks at once: map, unmap and copy take
 *    the mapper's and the granter's locks one after the other. A future
 *    path that must hold two takes the lower domain id first (the lower
 *    address for two tables of one id).
 *  - Page-table hooks and TLB flushes run with no grant lock held, except
 *    arch_gnttab_replace_host_mapping and _release_host_mapping, which
 *    write one PTE (no allocation, no flush, no lock) under the mapper's
 *    lock so that a handle cannot be unmapped twice.
 *  - get_page/get_page_type(writable) may be called under a grant lock
 *    (they neither free nor flush); page references are dropped with no
 *    grant lock held, since the last put frees the frame.
 *  - The hypervisor runs with interrupts off; nothing here waits for
 *    anything but these locks.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/hypercall.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include <xenia/spinlock.h>
#include <xenia/guest_access.h>
#include <xenia/grant_table.h>
#include <public/xen.h>
#include <public/grant_table.h>

/* gnttab= (Xen's option): the highest version, transitive copies. */
static unsigned int opt_max_version = GNTTAB_MAX_VERSION;
static bool opt_transitive = true;

/* Whether [s, end) is exactly 'word'. */
static bool word_is(const char *s, const char *end, const char *word)
{
    size_t n = strlen(word);

    return (size_t)(end - s) == n && !strncmp(s, word, n);
}

/* One element of gnttab=: 0 or -EINVAL. */
static int parse_element(const char *s, const char *end)
{
    static const char *const yes[] = { "1", "yes", "on", "true" };
    static const char *const no[] = { "0", "no", "off", "false" };
    const char *num;
    unsigned int i;

    if ( !strncmp(s, "max-ver:", 8) || !strncmp(s, "max_ver:", 8) )
    {
        num = s + 8;
        if ( end - num != 1 || *num < '1' || *num > '0' + GNTTAB_MAX_VERSION )
            return -EINVAL;
        opt_max_version = *num - '0';
        return 0;
    }
    if ( word_is(s, end, "transitive") || word_is(s, end, "no-transitive") )
    {
        opt_transitive = *s == 't';
        return 0;
    }
    if ( strncmp(s, "transitive=", 11) )
        return -EINVAL;
    for ( i = 0; i < ARRAY_SIZE(yes); i++ )
        if ( word_is(s + 11, end, yes[i]) || word_is(s + 11, end, no[i]) )
        {
            opt_transitive = word_is(s + 11, end, yes[i]);
            return 0;
        }
    return -EINVAL;
}

int gnttab_parse_option(const char *s)
{
    int rc = 0;

    for ( ;; )
    {
        const char *end = strchr(s, ',');

        if ( !end )
            end = s + strlen(s);
        if ( parse_element(s, end) )
            rc = -EINVAL;
        if ( !*end )
            return rc;
        s = end + 1;
    }
}

unsigned int gnttab_max_version(void)
{
    return opt_max_version;
}

/* Pin counts: four 8-bit counters in one word, as Xen keeps them. */
#define PIN_HOST_RW     (1u << 0)
#define PIN_HOST_RO     (1u << 8)
#define PIN_DEV_RW      (1u << 16)
#define PIN_DEV_RO      (1u << 24)
#define PIN_WRITERS     (0xffu * (PIN_HOST_RW | PIN_DEV_RW))
/* The counters 'incr' adds to would overflow: their top bit is set. */
#define PIN_FULL(incr)  ((incr) << 7)

/* Whether every counter holds at least what 'decr' takes from it. */
static bool pin_covers(uint32_t pin, uint32_t decr)
{
    unsigned int shift;

    for ( shift = 0; shift < 32; shift += 8 )
        if ( ((pin >> shift) & 0xff) < ((decr >> shift) & 0xff) )
            return false;
    return true;
}

/* The GNTMAP_* bits a mapping records. */
#define GNTMAP_KEPT     (GNTMAP_device_map | GNTMAP_host_map | \
                         GNTMAP_readonly | GNTMAP_application_map | \
                         GNTMAP_contains_pte)
#define GNTMAP_KINDS    (GNTMAP_device_map | GNTMAP_host_map)

/*
 * While pinned, the bytes [start, start + length) of mfn are granted. A
 * sub-page grant, and a transitive one (pinned on the grant it names,
 * trans_gt/trans_ref, which holds the frame references), is copy-only.
 */
struct active_grant_entry {
    uint32_t pin;               /* PIN_* counters; 0 = not in use */
    domid_t domid;              /* the grantee it is pinned for */
    uint16_t start;             /* the granted bytes */
    uint16_t length;
    uint16_t sub_page;          /* sub-page or transitive: no mapping */
    grant_ref_t trans_ref;
    unsigned long mfn;          /* the frame, fixed while pinned */
    struct grant_table *trans_gt;   /* transitive: the table it stands on */
};

struct grant_mapping {
    struct grant_table *rgt;    /* the granter's table (holds a reference) */
    unsigned long mfn;          /* the mapped frame */
    uint64_t pte_maddr;         /* where the host PTE was written */
    grant_ref_t ref;            /* the grant; next free handle when free */
    uint16_t flags;             /* GNTMAP_* still mapped; 0 = not live */
    uint16_t pad;
};

#define V1_PER_FRAME        (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define V2_PER_FRAME        (PAGE_SIZE / sizeof(grant_entry_v2_t))
#define STATUS_PER_FRAME    (PAGE_SIZE / sizeof(grant_status_t))
#define ACTIVE_PER_PAGE     (PAGE_SIZE / sizeof(struct active_grant_entry))
#define MAPTRACK_PER_PAGE   (PAGE_SIZE / sizeof(struct grant_mapping))
/* Active entries cover the larger (v1) count of entries. */
#define ACTIVE_PAGES(nr)    ((nr) * V1_PER_FRAME / ACTIVE_PER_PAGE)
/* Status frames a v2 table of nr shared frames needs. */
#define STATUS_FRAMES(nr)   (((nr) * V2_PER_FRAME + STATUS_PER_FRAME - 1) / \
                             STATUS_PER_FRAME)
#define HANDLE_NONE         (~0u)

struct grant_table {
    spinlock_t lock;
    struct domain *domain;      /* the owner; NULL once it released it */
    domid_t domid;
    unsigned int refs;
    unsigned int version;           /* 1 or 2 */
    unsigned int max_version;       /* what set_version may ask for */
    unsigned int nr_frames;
    unsigned int nr_status;         /* status frames: v2 only */
    unsigned int maptrack_limit;    /* handles that have an entry */
    unsigned int free_head, free_tail;  /* FIFO of free handles */
    unsigned long shared_mfn[GNTTAB_MAX_FRAMES];
    unsigned long status_mfn[STATUS_FRAMES(GNTTAB_MAX_FRAMES)];
    struct active_grant_entry *active[ACTIVE_PAGES(GNTTAB_MAX_FRAMES)];
    struct grant_mapping *maptrack[GNTTAB_MAX_MAPTRACK_FRAMES];
};

#define GT_ORDER 2
BUILD_BUG_ON(sizeof(struct grant_table) > (PAGE_SIZE << GT_ORDER));
BUILD_BUG_ON(sizeof(struct active_grant_entry) != 32);
BUILD_BUG_ON(sizeof(struct grant_mapping) != 32);
BUILD_BUG_ON(V1_PER_FRAME % ACTIVE_PER_PAGE);
/* The reserved entries fit in the first frame of either version. */
BUILD_BUG_ON(V2_PER_FRAME < GNTTAB_NR_RESERVED_ENTRIES);

/* ---- Table access ---- */

static unsigned int nr_entries(const struct grant_table *gt)
{
    return gt->nr_frames * (gt->version == 1 ? V1_PER_FRAME : V2_PER_FRAME);
}

static grant_entry_v1_t *entry_v1(struct grant_table *gt, grant_ref_t ref)
{
    grant_entry_v1_t *f = arch_frame_ptr(gt->shared_mfn[ref / V1_PER_FRAME]);

    return &f[ref % V1_PER_FRAME];
}

static grant_entry_v2_t *entry_v2(struct grant_table *gt, grant_ref_t ref)
{
    grant_entry_v2_t *f = arch_frame_ptr(gt->shared_mfn[ref / V2_PER_FRAME]);

    return &f[ref % V2_PER_FRAME];
}

/* Where the hypervisor keeps GTF_reading/GTF_writing of an entry. */
static uint16_t *status_word(struct grant_table *gt, grant_ref_t ref)
{
    grant_status_t *f;

    if ( gt->version == 1 )
        return &entry_v1(gt, ref)->flags;
    f = arch_frame_ptr(gt->status_mfn[ref / STATUS_PER_FRAME]);
    return &f[ref % STATUS_PER_FRAME];
}

static struct active_grant_entry *active_entry(struct grant_table *gt,
                                               grant_ref_t ref)
{
    return &gt->active[ref / ACTIVE_PER_PAGE][ref % ACTIVE_PER_PAGE];
}

static struct grant_mapping *maptrack_entry(struct grant_table *gt,
                                            grant_handle_t h)
{
    return &gt->maptrack[h / MAPTRACK_PER_PAGE][h % MAPTRACK_PER_PAGE];
}

static void table_free(struct grant_table *gt)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(gt->active); i++ )
        if ( gt->active[i] )
            free_xenheap_pages(gt->active[i], 0);
    free_xenheap_pages(gt, GT_ORDER);
}

/* Drops a reference to gt; the last one (owner gone) frees it. */
static void table_put(struct grant_table *gt)
{
    unsigned int left;

    spin_lock(&gt->lock);
    BUG_ON(!gt->refs);
    left = --gt->refs;
    spin_unlock(&gt->lock);
    if ( !left )
        table_free(gt);
}

/*
 * The domain an op names; DOMID_SELF means the caller only where allowed.
 * A dying domain's grants take no new users.
 */
static struct domain *op_domain(struct domain *ld, domid_t id, bool self_ok)
{
    struct domain *d;

    if ( self_ok && id == DOMID_SELF )
        return ld;
    d = domain_by_id(id);
    return d && d->state != DOMAIN_DYING ? d : NULL;
}

/* ---- Frames ---- */

/*
 * Shared with d, plus a type reference that keeps the frame "writable"
 * for good: it can never become a page table. The allocation reference
 * is the grant table's, dropped by gnttab_domain_release only (the frame
 * is not PGC_allocated, so decrease_reservation cannot drop it).
 */
static void share_frame(struct domain *d, unsigned long mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    memset(arch_frame_ptr(mfn), 0, PAGE_SIZE);
    pg->owner = d->domain_id;
    pg->count_info = 1;
    pg->type_info = PGT_writable_page | PGT_validated | 1;
}

static void unshare_frame(unsigned long mfn)
{
    put_page_and_type(mfn_to_page(mfn));
}

static void unshare_frames(const unsigned long *mfns, unsigned int from,
                           unsigned int to)
{
    unsigned int i;

    for ( i = from; i < to; i++ )
        unshare_frame(mfns[i]);
}

/* Fills mfns[from, to) with new frames shared with d; 0 or -ENOMEM. */
static int share_frames(struct domain *d, unsigned long *mfns,
                        unsigned int from, unsigned int to)
{
    unsigned int i;

    for ( i = from; i < to; i++ )
    {
        long mfn = heap_alloc(0);

        if ( mfn < 0 )
        {
            unshare_frames(mfns, from, i);
            return -ENOMEM;
        }
        share_frame(d, mfn);
        mfns[i] = mfn;
    }
    return 0;
}

/*
 * Grows gt to nr frames (more shared frames, for v2 the status frames
 * they need, more active pages). Called with gt->lock held. 0, or
 * -ENOMEM with gt unchanged.
 */
static int grow_table(struct grant_table *gt, struct domain *d,
                      unsigned int nr)
{
    unsigned int old = gt->nr_frames, i;
    unsigned int pages = ACTIVE_PAGES(old);
    unsigned int status = gt->version == 2 ? STATUS_FRAMES(nr) : 0;

    for ( ; pages < ACTIVE_PAGES(nr); pages++ )
        if ( !(gt->active[pages] = alloc_xenheap_pages(0)) )
            goto fail;
    if ( share_frames(d, gt->shared_mfn, old, nr) )
        goto fail;
    if ( status > gt->nr_status &&
         share_frames(d, gt->status_mfn, gt->nr_status, status) )
    {
        unshare_frames(gt->shared_mfn, old, nr);
        goto fail;
    }
    if ( status > gt->nr_status )
        gt->nr_status = status;
    gt->nr_frames = nr;
    return 0;

 fail:
    for ( i = ACTIVE_PAGES(old); i < pages; i++ )
    {
        free_xenheap_pages(gt->active[i], 0);
        gt->active[i] = NULL;
    }
    return -ENOMEM;
}

int gnttab_domain_init(struct domain *d)
{
    struct grant_table *gt = alloc_xenheap_pages(GT_ORDER);

    if ( !gt )
        return -ENOMEM;
    spin_lock_init(&gt->lock);
    gt->domain = d;
    gt->domid = d->domain_id;
    gt->refs = 1;
    gt->version = 1;
    gt->max_version = opt_max_version;
    gt->free_head = gt->free_tail = HANDLE_NONE;
    if ( grow_table(gt, d, GNTTAB_INITIAL_FRAMES) )
    {
        table_free(gt);
        return -ENOMEM;
    }
    d->grant_table = gt;
    return 0;
}

void gnttab_set_max_version(struct domain *d, unsigned int version)
{
    struct grant_table *gt = d->grant_table;

    BUG_ON(version < 1 || version > opt_max_version);
    spin_lock(&gt->lock);
    gt->max_version = version;
    spin_unlock(&gt->lock);
}

/* ---- Pins and the GTF_reading/GTF_writing flags ---- */

/*
 * Version 1: marks the shared entry in use: GTF_reading, plus GTF_writing
 * for a writable use. For an entry not pinned yet, it must grant access
 * (GTF_permit_access; with 'mapping' not GTF_sub_page) to ldomid; a
 * writable use needs an entry without GTF_readonly. The check and the
 * update are one compare-and-exchange of the flags/domid word, since the
 * guest may rewrite the entry at any time; retried a few times, then the
 * entry counts as unstable.
 */
static int16_t set_in_use_v1(grant_entry_v1_t *e, bool pinned, bool readonly,
                             bool mapping, domid_t ldomid)
{
    uint32_t *word = (uint32_t *)e;     /* flags low, domid high */
    uint16_t mask = GTF_type_mask | (mapping ? GTF_sub_page : 0);
    uint32_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    unsigned int tries;

    BUILD_BUG_ON(__builtin_offsetof(grant_entry_v1_t, domid) != 2);
    for ( tries = 0; ; tries++ )
    {
        uint16_t flags = old & 0xffff;
        uint32_t new;

        if ( !pinned && ((flags & mask) != GTF_permit_access ||
                         (domid_t)(old >> 16) != ldomid) )
            return GNTST_general_error;
        if ( !readonly && (flags & GTF_readonly) )
            return GNTST_general_error;
        new = old | GTF_reading | (readonly ? 0 : GTF_writing);
        if ( __atomic_compare_exchange_n(word, &old, new, false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) )
            return GNTST_okay;
        if ( tries == 4 )
            return GNTST_general_error;
    }
}

/* Whether a v2 header word grants ldomid access of a kind 'mask' keeps. */
static bool v2_grants(uint32_t word, uint16_t mask, domid_t ldomid)
{
    uint16_t type = word & mask;

    return (type == GTF_permit_access || type == GTF_transitive) &&
           (domid_t)(word >> 16) == ldomid;
}

/*
 * Version 2: the entry is the guest's alone, so the marks go to its
 * status word first and the entry is checked again afterwards (the
 * guest revokes by clearing the entry, then reading the status); on a
 * failed re-check the marks come off again. A v2 entry may also be
 * GTF_transitive; Xen's checks and order.
 */
static int16_t set_in_use_v2(grant_entry_header_t *h, uint16_t *status,
                             bool pinned, bool readonly, bool mapping,
                             domid_t ldomid)
{
    uint32_t *word = (uint32_t *)h;
    uint16_t mask = GTF_type_mask | (mapping ? GTF_sub_page : 0);
    uint16_t marks = GTF_reading | (readonly ? 0 : GTF_writing);
    uint32_t w = __atomic_load_n(word, __ATOMIC_ACQUIRE);

    if ( !pinned && !v2_grants(w, mask, ldomid) )
        return GNTST_general_error;
    if ( !readonly && (w & GTF_readonly) )
        return GNTST_general_error;
    __atomic_fetch_or(status, marks, __ATOMIC_SEQ_CST);
    w = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    if ( !pinned && (!v2_grants(w, mask, ldomid) ||
                     (!readonly && (w & GTF_readonly))) )
    {
        __atomic_fetch_and(status, (uint16_t)~(GTF_reading | GTF_writing),
                           __ATOMIC_ACQ_REL);
        return GNTST_general_error;
    }
    if ( pinned && (w & GTF_readonly) )
    {
        __atomic_fetch_and(status, (uint16_t)~GTF_writing, __ATOMIC_ACQ_REL);
        return GNTST_general_error;
    }
    return GNTST_okay;
}

static int16_t set_in_use(struct grant_table *gt, grant_ref_t ref,
                          bool pinned, bool readonly, bool mapping,
                          domid_t ldomid)
{
    if ( gt->version == 1 )
        return set_in_use_v1(entry_v1(gt, ref), pinned, readonly, mapping,
                             ldomid);
    return set_in_use_v2(&entry_v2(gt, ref)->hdr, status_word(gt, ref),
                         pinned, readonly, mapping, ldomid);
}

/*
 * After a pin went: clears GTF_reading if nothing is pinned any more and
 * GTF_writing if no writable pin is left. An orphaned table has no shared
 * frames to update.
 */
static void reduce_in_use(struct grant_table *gt, grant_ref_t ref,
                          const struct active_grant_entry *act, bool readonly)
{
    uint16_t clear = act->pin ? 0 : GTF_reading;

    if ( !readonly && !(act->pin & PIN_WRITERS) )
        clear |= GTF_writing;
    if ( clear && gt->domain )
        __atomic_fetch_and(status_word(gt, ref), (uint16_t)~clear,
                           __ATOMIC_ACQ_REL);
}

/* References a use of the frame holds; what take_refs took. */
struct frame_refs {
    struct page_info *pg;
    unsigned int general, types;
};

static void put_refs(struct frame_refs *r)
{
    while ( r->types )
    {
        put_page_type(r->pg);
        r->types--;
    }
    while ( r->general )
    {
        put_page(r->pg);
        r->general--;
    }
}

/*
 * Takes 'general' general references on a frame of rd (one of which the
 * caller may already hold: 'held') and 'types' writable type references.
 * false, with *r holding what must be put back, if the frame is not rd's
 * or cannot be writable.
 */
static bool take_refs(struct frame_refs *r, struct domain *rd,
                      unsigned int general, unsigned int types, bool held)
{
    r->general = held;
    r->types = 0;
    for ( ; r->general < general; r->general++ )
        if ( !get_page(r->pg, rd) )
            return false;
    for ( ; r->types < types; r->types++ )
        if ( get_page_type(r->pg, PGT_writable_page) )
            return false;
    return true;
}

/*
 * Under rgt->lock: may ldomid pin ref (PIN_* counts incr)? A mapping
 * cannot join a copy-only (sub-page or transitive) pin.
 */
static int16_t pin_allowed(struct grant_table *rgt, grant_ref_t ref,
                           domid_t ldomid, uint32_t incr, bool mapping)
{
    const struct active_grant_entry *act;

    if ( !rgt->domain )
        return GNTST_bad_domain;
    if ( ref >= nr_entries(rgt) )
        return GNTST_bad_gntref;
    act = active_entry(rgt, ref);
    if ( act->pin && (act->domid != ldomid || (act->pin & PIN_FULL(incr)) ||
                      (mapping && act->sub_page)) )
        return GNTST_general_error;
    return GNTST_okay;
}

/* What a pin grants: the frame and the bytes of it. */
struct grant_use {
    unsigned long mfn;
    uint16_t start, length;
    bool sub_page;
};

/*
 * Reads the entry's frame (and for a v2 sub-page grant its bytes) and
 * takes a general reference on it for rd. A PV domain names the frame by
 * MFN; it must own it. Read once: the guest may rewrite the entry under
 * our feet. A re-read must find the frame already pinned. Whatever
 * reference was taken is in r, also on failure.
 */
static int16_t pin_frame(struct grant_table *rgt, grant_ref_t ref,
                         struct domain *rd,
                         const struct active_grant_entry *act, bool first,
                         struct frame_refs *r, struct grant_use *use)
{
    use->start = 0;
    use->length = PAGE_SIZE;
    use->sub_page = false;
    if ( rgt->version == 1 )
        use->mfn = __atomic_load_n(&entry_v1(rgt, ref)->frame,
                                   __ATOMIC_RELAXED);
    else
    {
        grant_entry_v2_t *e = entry_v2(rgt, ref);
        uint32_t sub = __atomic_load_n((uint32_t *)&e->sub_page.page_off,
                                       __ATOMIC_RELAXED);

        use->mfn = __atomic_load_n(&e->full_page.frame, __ATOMIC_RELAXED);
        if ( __atomic_load_n(&e->hdr.flags, __ATOMIC_RELAXED) &
             GTF_sub_page )
        {
            /* Xen keeps the offset in 15 bits: so do we. */
            use->start = sub & 0x7fff;
            use->length = sub >> 16;
            use->sub_page = true;
        }
    }
    if ( !mfn_valid(use->mfn) || !get_page(mfn_to_page(use->mfn), rd) )
        return GNTST_bad_page;
    r->pg = mfn_to_page(use->mfn);
    r->general = 1;
    if ( !first && use->mfn != act->mfn )
        return GNTST_general_error;
    return GNTST_okay;
}

static int16_t pin_transitive(struct grant_table *rgt, struct domain *rd,
                              grant_ref_t ref, domid_t ldomid, uint32_t incr,
                              bool readonly, bool trans_ok,
                              struct grant_use *use);
static void unpin_grant(struct grant_table *rgt, grant_ref_t ref,
                        unsigned long mfn, uint32_t decr, unsigned int general,
                        bool readonly);

static bool is_transitive(struct grant_table *gt, grant_ref_t ref)
{
    return gt->version == 2 &&
           (__atomic_load_n(&entry_v2(gt, ref)->hdr.flags, __ATOMIC_RELAXED) &
            GTF_type_mask) == GTF_transitive;
}

/*
 * Pins (rgt, ref) for ldomid with the PIN_* increment 'incr' and takes
 * the frame references the use needs (one general reference per kind in
 * 'kinds', a writable type reference each unless readonly) and a table
 * reference. 'mapping' is map_grant_ref, else a copy, which may go
 * through a transitive grant if 'trans_ok'. Xen's order of checks and
 * GNTST codes. On success *use is what the pin grants.
 */
static int16_t pin_grant(struct grant_table *rgt, struct domain *rd,
                         grant_ref_t ref, domid_t ldomid, uint32_t incr,
                         unsigned int kinds, bool readonly, bool mapping,
                         bool trans_ok, struct grant_use *use)
{
    struct active_grant_entry *act;
    struct frame_refs r = { NULL, 0, 0 };
    bool first, need_status, held = false;
    struct grant_use got = { 0, 0, 0, false };
    int16_t rc;

    spin_lock(&rgt->lock);
    if ( (rc = pin_allowed(rgt, ref, ldomid, incr, mapping)) != GNTST_okay )
        goto unlock;
    if ( !mapping && is_transitive(rgt, ref) )
    {
        spin_unlock(&rgt->lock);
        return pin_transitive(rgt, rd, ref, ldomid, incr, readonly, trans_ok,
                              use);
    }
    act = active_entry(rgt, ref);
    first = !act->pin;
    need_status = first || (!readonly && !(act->pin & PIN_WRITERS));
    if ( need_status )
    {
        rc = set_in_use(rgt, ref, !first, readonly, mapping, ldomid);
        if ( rc )
            goto unlock;
    }
    /* A copy that (re)marks the entry also re-reads its frame, as Xen. */
    if ( first || (!mapping && need_status) )
    {
        rc = pin_frame(rgt, ref, rd, act, first, &r, &got);
        if ( rc != GNTST_okay )
            goto fail;
        held = true;
    }
    if ( first )
    {
        act->domid = ldomid;
        act->mfn = got.mfn;
        act->start = got.start;
        act->length = got.length;
        act->sub_page = got.sub_page;
        act->trans_gt = NULL;
    }
    r.pg = mfn_to_page(act->mfn);
    if ( !take_refs(&r, rd, kinds, readonly ? 0 : kinds, held) )
    {
        /* Pinned, yet the frame is not rd's any more: Xen's copy says so. */
        rc = !mapping && !r.general ? GNTST_bad_domain : GNTST_general_error;
        goto fail;
    }
    act->pin += incr;
    rgt->refs++;
    use->mfn = act->mfn;
    use->start = act->start;
    use->length = act->length;
    use->sub_page = act->sub_page;
    rc = GNTST_okay;
 unlock:
    spin_unlock(&rgt->lock);
    return rc;

 fail:
    /* Not pinned after all: drop the marks, then (unlocked) the refs. */
    reduce_in_use(rgt, ref, act, readonly);
    spin_unlock(&rgt->lock);
    put_refs(&r);
    return rc;
}

/*
 * Whether a transitive pin already there stands on the grant just pinned
 * (td's table, tref, giving 'inner'); locked.
 */
static bool trans_matches(const struct active_grant_entry *act,
                          domid_t ldomid, struct grant_table *tgt,
                          grant_ref_t tref, const struct grant_use *inner)
{
    return act->domid == ldomid && act->mfn == inner->mfn &&
           act->start == inner->start && act->length == inner->length &&
           act->trans_gt == tgt && act->trans_ref == tref && act->sub_page;
}

/*
 * A copy through a v2 GTF_transitive entry of rd: marks it in use, then
 * pins the grant it names (trans_gref of trans_domid, which must grant
 * it to rd) for rd, with no further transitivity: a chain is one level
 * deep, so a loop (A -> B -> A) ends at the second step. That inner pin
 * holds the frame references. A self-reference or an unknown domain is
 * GNTST_general_error, as in Xen. rgt->lock is dropped for the inner pin
 * (one grant lock at a time); if the entry's pin changed meanwhile, the
 * copy fails (Xen restarts it).
 */
static int16_t pin_transitive(struct grant_table *rgt, struct domain *rd,
                              grant_ref_t ref, domid_t ldomid, uint32_t incr,
                              bool readonly, bool trans_ok,
                              struct grant_use *use)
{
    struct active_grant_entry *act;
    grant_entry_v2_t *e;
    struct grant_table *tgt;
    struct domain *td;
    struct grant_use inner;
    grant_ref_t tref;
    domid_t tdom;
    uint32_t old_pin;
    int16_t rc;

    spin_lock(&rgt->lock);
    act = active_entry(rgt, ref);
    e = entry_v2(rgt, ref);
    old_pin = act->pin;
    if ( !old_pin || (!readonly && !(old_pin & PIN_WRITERS)) )
    {
        rc = set_in_use(rgt, ref, old_pin, readonly, false, ldomid);
        if ( rc )
            goto unlock;
    }
    rc = GNTST_general_error;
    tdom = __atomic_load_n(&e->transitive.trans_domid, __ATOMIC_RELAXED);
    tref = __atomic_load_n(&e->transitive.gref, __ATOMIC_RELAXED);
    if ( !trans_ok || tdom == rd->domain_id )
        goto clear;
    td = op_domain(rd, tdom, false);
    if ( !td || !(tgt = td->grant_table) )
        goto clear;
    spin_unlock(&rgt->lock);

    rc = pin_grant(tgt, td, tref, rd->domain_id, incr, 1, readonly, false,
                   false, &inner);

    spin_lock(&rgt->lock);
    if ( rc )
        goto clear;
    if ( rgt->version != 2 || !rgt->domain || act->pin != old_pin ||
         (old_pin && !trans_matches(act, ldomid, tgt, tref, &inner)) )
    {
        reduce_in_use(rgt, ref, act, readonly);
        spin_unlock(&rgt->lock);
        unpin_grant(tgt, tref, inner.mfn, incr, 1, readonly);
        return GNTST_general_error;
    }
    if ( !old_pin )
    {
        act->domid = ldomid;
        act->mfn = inner.mfn;
        act->start = inner.start;
        act->length = inner.length;
        act->sub_page = true;       /* whatever the inner grant: copy only */
        act->trans_gt = tgt;
        act->trans_ref = tref;
    }
    act->pin += incr;
    rgt->refs++;
    use->mfn = act->mfn;
    use->start = act->start;
    use->length = act->length;
    use->sub_page = true;
    spin_unlock(&rgt->lock);
    return GNTST_okay;

 clear:
    reduce_in_use(rgt, ref, act, readonly);
 unlock:
    spin_unlock(&rgt->lock);
    return rc;
}

/*
 * Undoes a pin: the PIN_* counts 'decr', the in-use flags, the table
 * reference, then (no lock held) 'general' general references and, for a
 * writable use, as many type references; for a transitive pin, the pin
 * it stands on, which holds them (one level: the recursion ends there).
 */
static void unpin_grant(struct grant_table *rgt, grant_ref_t ref,
                        unsigned long mfn, uint32_t decr, unsigned int general,
                        bool readonly)
{
    struct active_grant_entry *act;
    struct frame_refs r = { mfn_to_page(mfn), general,
                            readonly ? 0 : general };
    struct grant_table *tgt;
    grant_ref_t tref;

    spin_lock(&rgt->lock);
    act = active_entry(rgt, ref);
    BUG_ON(!pin_covers(act->pin, decr));
    tgt = act->trans_gt;
    tref = act->trans_ref;
    act->pin -= decr;
    if ( !act->pin )
        act->trans_gt = NULL;
    reduce_in_use(rgt, ref, act, readonly);
    spin_unlock(&rgt->lock);
    if ( tgt )
        unpin_grant(tgt, tref, mfn, decr, general, readonly);
    else
        put_refs(&r);
    table_put(rgt);
}

/* ---- Maptrack: the mappings a domain holds ---- */

/* Adds one page of free handles. Called with lgt->lock held. */
static bool maptrack_grow(struct grant_table *lgt)
{
    unsigned int base = lgt->maptrack_limit, i;
    struct grant_mapping *page;

    if ( base / MAPTRACK_PER_PAGE >= GNTTAB_MAX_MAPTRACK_FRAMES )
        return false;
    page = alloc_xenheap_pages(0);
    if ( !page )
        return false;
    for ( i = 0; i < MAPTRACK_PER_PAGE; i++ )
        page[i].ref = i + 1 < MAPTRACK_PER_PAGE ? base + i + 1 : HANDLE_NONE;
    lgt->maptrack[base / MAPTRACK_PER_PAGE] = page;
    lgt->maptrack_limit = base + MAPTRACK_PER_PAGE;
    lgt->free_head = base;
    lgt->free_tail = base + MAPTRACK_PER_PAGE - 1;
    return true;
}

/* Reserves a handle (not live yet: unmap calls it bad); HANDLE_NONE if none. */
static grant_handle_t maptrack_get(struct grant_table *lgt)
{
    grant_handle_t h = HANDLE_NONE;

    spin_lock(&lgt->lock);
    if ( lgt->free_head != HANDLE_NONE || maptrack_grow(lgt) )
    {
        struct grant_mapping *m;

        h = lgt->free_head;
        m = maptrack_entry(lgt, h);
        lgt->free_head = m->ref;
        if ( lgt->free_head == HANDLE_NONE )
            lgt->free_tail = HANDLE_NONE;
        m->ref = 0;
        m->flags = 0;
        m->rgt = NULL;
    }
    spin_unlock(&lgt->lock);
    return h;
}

/* Frees a handle at the tail, so it is the last to be reused. Locked. */
static void maptrack_free_locked(struct grant_table *lgt, grant_handle_t h)
{
    struct grant_mapping *m = maptrack_entry(lgt, h);

    m->flags = 0;
    m->rgt = NULL;
    m->ref = HANDLE_NONE;
    if ( lgt->free_tail == HANDLE_NONE )
        lgt->free_head = h;
    else
        maptrack_entry(lgt, lgt->free_tail)->ref = h;
    lgt->free_tail = h;
}

static void maptrack_free(struct grant_table *lgt, grant_handle_t h)
{
    spin_lock(&lgt->lock);
    maptrack_free_locked(lgt, h);
    spin_unlock(&lgt->lock);
}

/* ---- GNTTABOP_map_grant_ref ---- */

static uint32_t pin_increment(unsigned int flags)
{
    uint32_t incr = 0;
    bool ro = flags & GNTMAP_readonly;

    if ( flags & GNTMAP_device_map )
        incr += ro ? PIN_DEV_RO : PIN_DEV_RW;
    if ( flags & GNTMAP_host_map )
        incr += ro ? PIN_HOST_RO : PIN_HOST_RW;
    return incr;
}

static unsigned int nr_kinds(unsigned int flags)
{
    return !!(flags & GNTMAP_device_map) + !!(flags & GNTMAP_host_map);
}

static int16_t map_grant_ref(struct domain *ld, gnttab_map_grant_ref_t *op)
{
    struct grant_table *lgt = ld->grant_table, *rgt;
    unsigned int flags = op->flags & GNTMAP_KEPT;
    uint32_t incr = pin_increment(flags);
    bool ro = flags & GNTMAP_readonly;
    struct domain *rd;
    grant_handle_t h;
    struct grant_use use;
    unsigned long mfn;
    uint64_t pte_maddr = 0;
    struct grant_mapping *m;
    int16_t rc;

    if ( !incr )
        return GNTST_bad_gntref;
    rd = op_domain(ld, op->dom, false);
    if ( !rd || !(rgt = rd->grant_table) )
        return GNTST_bad_domain;
    h = maptrack_get(lgt);
    if ( h == HANDLE_NONE )
        return GNTST_no_space;
    rc = pin_grant(rgt, rd, op->ref, ld->domain_id, incr, nr_kinds(flags),
                   ro, true, false, &use);
    if ( rc )
        goto free_handle;
    mfn = use.mfn;
    if ( flags & GNTMAP_host_map )
    {
        /* op->flags: the PTE's software bits come from bits 16 and up. */
        rc = arch_gnttab_create_host_mapping(ld, op->host_addr, mfn,
                                             op->flags, &pte_maddr);
        if ( rc )
        {
            unpin_grant(rgt, op->ref, mfn, incr, nr_kinds(flags), ro);
            goto free_handle;
        }
    }
    spin_lock(&lgt->lock);
    m = maptrack_entry(lgt, h);
    m->rgt = rgt;
    m->mfn = mfn;
    m->pte_maddr = pte_maddr;
    m->ref = op->ref;
    m->flags = flags;
    spin_unlock(&lgt->lock);
    op->handle = h;
    op->dev_bus_addr = (uint64_t)mfn << PAGE_SHIFT;
    return GNTST_okay;

 free_handle:
    maptrack_free(lgt, h);
    return rc;
}

/* ---- GNTTABOP_unmap_grant_ref ---- */

/* What an unmap undid, to be completed once TLBs are flushed. */
struct unmap_done {
    struct grant_table *rgt;
    unsigned long mfn;
    grant_ref_t ref;
    uint16_t done;          /* kinds undone, plus GNTMAP_readonly */
    bool put_table;         /* the handle went, and its table reference */
    bool host_refs;         /* the host PTE's references are ours now */
};

#define UNMAP_BATCH 32

/* An unmap_grant_ref or unmap_and_replace op (new_addr 0 for the first). */
struct unmap_args {
    uint64_t host_addr, dev_bus_addr, new_addr;
    grant_handle_t handle;
};

/*
 * Undoes the kinds the op names (host_addr != 0: the host mapping,
 * putting new_addr's PTE in its place if that is not 0; dev_bus_addr !=
 * 0: the device mapping), under the mapper's lock so that a handle is
 * unmapped once. The references and pins wait in *u for unmap_complete.
 * Xen's checks and GNTST codes.
 */
static int16_t unmap_grant_ref(struct domain *ld, const struct unmap_args *op,
                               struct unmap_done *u)
{
    struct grant_table *lgt = ld->grant_table;
    struct grant_mapping *m;
    unsigned int flags;
    int16_t rc = GNTST_okay;

    u->done = 0;
    u->put_table = false;
    spin_lock(&lgt->lock);
    if ( op->handle >= lgt->maptrack_limit ||
         !(flags = (m = maptrack_entry(lgt, op->handle))->flags) )
    {
        rc = GNTST_bad_handle;
        goto unlock;
    }
    if ( op->dev_bus_addr && (flags & GNTMAP_device_map) &&
         op->dev_bus_addr != (uint64_t)m->mfn << PAGE_SHIFT )
    {
        rc = GNTST_bad_dev_addr;
        goto unlock;
    }
    if ( op->host_addr && (flags & GNTMAP_host_map) )
    {
        rc = arch_gnttab_replace_host_mapping(ld, op->host_addr,
                                              m->mfn, flags, op->new_addr);
        if ( rc )
            goto unlock;
        m->flags &= ~GNTMAP_host_map;
        u->done |= GNTMAP_host_map;
    }
    if ( op->dev_bus_addr && (flags & GNTMAP_device_map) )
    {
        m->flags &= ~GNTMAP_device_map;
        u->done |= GNTMAP_device_map;
    }
    u->done |= u->done ? (flags & GNTMAP_readonly) : 0;
    u->rgt = m->rgt;
    u->mfn = m->mfn;
    u->ref = m->ref;
    u->host_refs = true;
    u->put_table = !(m->flags & GNTMAP_KINDS);
    if ( u->put_table )
        maptrack_free_locked(lgt, op->handle);
 unlock:
    spin_unlock(&lgt->lock);
    return rc;
}

/*
 * The second half, after the TLB flush: pins, in-use flags, references.
 * A completion that frees the handle comes after every other completion
 * of the same handle, so the table stays alive until the last.
 */
static void unmap_complete(const struct unmap_done *u)
{
    bool ro = u->done & GNTMAP_readonly;
    struct active_grant_entry *act;
    struct frame_refs r = { mfn_to_page(u->mfn), 0, 0 };

    if ( !(u->done & GNTMAP_KINDS) )
    {
        if ( u->put_table )
            table_put(u->rgt);
        return;
    }
    spin_lock(&u->rgt->lock);
    act = active_entry(u->rgt, u->ref);
    if ( u->done & GNTMAP_device_map )
    {
        act->pin -= ro ? PIN_DEV_RO : PIN_DEV_RW;
        r.general++;
    }
    if ( u->done & GNTMAP_host_map )
    {
        act->pin -= ro ? PIN_HOST_RO : PIN_HOST_RW;
        r.general += u->host_refs;
    }
    reduce_in_use(u->rgt, u->ref, act, ro);
    spin_unlock(&u->rgt->lock);
    r.types = ro ? 0 : r.general;
    put_refs(&r);
    if ( u->put_table )
        table_put(u->rgt);
}

static bool any_host_undone(const struct unmap_done *u, unsigned int n)
{
    unsigned int i;

    for ( i = 0; i < n; i++ )
        if ( u[i].done & GNTMAP_host_map )
            return true;
    return false;
}

/* Flush first, then drop what the PTEs held: no CPU may still use them. */
static void unmap_finish(struct domain *ld, const struct unmap_done *u,
                         unsigned int n)
{
    unsigned int i;

    if ( any_host_undone(u, n) )
        flush_tlb_domain(ld);
    for ( i = 0; i < n; i++ )
        unmap_complete(&u[i]);
}

/* Reads element i of an unmap_grant_ref or unmap_and_replace batch. */
static bool unmap_args_in(bool replace, vaddr_t p, struct unmap_args *a)
{
    union {
        gnttab_unmap_grant_ref_t unmap;
        gnttab_unmap_and_replace_t replace;
    } op;

    if ( copy_from_guest(&op, p, sizeof(op.unmap)) )
        return false;
    a->host_addr = op.unmap.host_addr;
    a->dev_bus_addr = replace ? 0 : op.unmap.dev_bus_addr;
    a->new_addr = replace ? op.replace.new_addr : 0;
    a->handle = op.unmap.handle;
    return true;
}

/* The two batches share size and status offset. */
BUILD_BUG_ON(sizeof(gnttab_unmap_grant_ref_t) !=
             sizeof(gnttab_unmap_and_replace_t));
BUILD_BUG_ON(__builtin_offsetof(gnttab_unmap_grant_ref_t, status) !=
             __builtin_offsetof(gnttab_unmap_and_replace_t, status));

static long unmap_batch(struct domain *ld, bool replace, vaddr_t uop,
                        unsigned int count)
{
    struct unmap_done u[UNMAP_BATCH];
    struct unmap_args op;
    int16_t status;
    const size_t sz = sizeof(gnttab_unmap_grant_ref_t);
    unsigned int i = 0, n = 0;

    for ( i = 0; i < count; i++ )
    {
        if ( i && hypercall_preempt_check() )
        {
            unmap_finish(ld, u, n);
            return i;               /* preempted: gnttab_op continues */
        }
        if ( n == UNMAP_BATCH )
        {
            unmap_finish(ld, u, n);
            n = 0;
        }
        if ( !unmap_args_in(replace, uop + i * sz, &op) )
            goto fault;
        status = unmap_grant_ref(ld, &op, &u[n]);
        n++;
        if ( copy_to_guest(uop + i * sz +
                           __builtin_offsetof(gnttab_unmap_grant_ref_t,
                                              status),
                           &status, sizeof(status)) )
            goto fault;
    }
    unmap_finish(ld, u, n);
    return 0;

 fault:
    unmap_finish(ld, u, n);
    return -EFAULT;
}

/* ---- GNTTABOP_copy ---- */

/* One end of a copy, claimed. */
struct copy_end {
    struct grant_table *gt;     /* grant used, or NULL for a frame */
    grant_ref_t ref;
    struct frame_refs r;
    unsigned long mfn;
    uint16_t start, length;     /* the bytes it may copy */
};

/* Resolves an end's domain: a frame number needs DOMID_SELF. */
static int16_t copy_domain(struct domain *ld, const struct gnttab_copy_ptr *p,
                           bool gref, struct domain **d)
{
    if ( !gref && p->domid != DOMID_SELF )
        return GNTST_permission_denied;
    *d = op_domain(ld, p->domid, true);
    return *d ? GNTST_okay : GNTST_bad_domain;
}

static int16_t copy_claim(struct domain *ld, struct domain *d,
                          const struct gnttab_copy_ptr *p, bool gref,
                          bool readonly, struct copy_end *c)
{
    int16_t rc;

    c->gt = NULL;
    c->r.general = c->r.types = 0;
    c->start = 0;
    c->length = PAGE_SIZE;
    if ( gref )
    {
        struct grant_use use;

        if ( !d->grant_table )
            return GNTST_bad_domain;
        rc = pin_grant(d->grant_table, d, p->u.ref, ld->domain_id,
                       readonly ? PIN_HOST_RO : PIN_HOST_RW, 1, readonly,
                       false, opt_transitive, &use);
        if ( rc )
            return rc;
        c->gt = d->grant_table;
        c->ref = p->u.ref;
        c->mfn = use.mfn;
        c->start = use.start;
        c->length = use.length;
        c->r.pg = mfn_to_page(c->mfn);
        return GNTST_okay;
    }
    c->mfn = p->u.gmfn;
    if ( !mfn_valid(c->mfn) )
        return GNTST_bad_page;
    c->r.pg = mfn_to_page(c->mfn);
    if ( !take_refs(&c->r, d, 1, readonly ? 0 : 1, false) )
    {
        rc = c->r.general ? GNTST_general_error : GNTST_bad_page;
        put_refs(&c->r);
        return rc;
    }
    return GNTST_okay;
}

static void copy_release(struct copy_end *c, bool readonly)
{
    if ( c->gt )
        unpin_grant(c->gt, c->ref, c->mfn,
                    readonly ? PIN_HOST_RO : PIN_HOST_RW, 1, readonly);
    else
        put_refs(&c->r);
}

/* Whether the bytes a copy touches at one end lie in what it granted. */
static bool copy_in_grant(const struct gnttab_copy_ptr *p, uint16_t len,
                          const struct copy_end *c)
{
    return p->offset >= c->start &&
           (uint32_t)p->offset + len <= (uint32_t)c->start + c->length;
}

static int16_t copy_one(struct domain *ld, const gnttab_copy_t *op)
{
    bool sg = op->flags & GNTCOPY_source_gref;
    bool dg = op->flags & GNTCOPY_dest_gref;
    struct domain *sd, *dd;
    struct copy_end src, dst;
    int16_t rc;

    if ( (rc = copy_domain(ld, &op->source, sg, &sd)) ||
         (rc = copy_domain(ld, &op->dest, dg, &dd)) )
        return rc;
    rc = copy_claim(ld, sd, &op->source, sg, true, &src);
    if ( rc )
        return rc;
    rc = copy_claim(ld, dd, &op->dest, dg, false, &dst);
    if ( rc )
    {
        copy_release(&src, true);
        return rc;
    }
    if ( op->source.offset + op->len > PAGE_SIZE ||
         op->dest.offset + op->len > PAGE_SIZE )
        rc = GNTST_bad_copy_arg;
    else if ( !copy_in_grant(&op->source, op->len, &src) ||
              !copy_in_grant(&op->dest, op->len, &dst) )
        rc = GNTST_general_error;       /* outside a sub-page grant */
    else
        memmove((uint8_t *)arch_frame_ptr(dst.mfn) + op->dest.offset,
                (uint8_t *)arch_frame_ptr(src.mfn) + op->source.offset,
                op->len);
    copy_release(&dst, false);
    copy_release(&src, true);
    return rc;
}

/* ---- Whole-table sub-ops ---- */

/* The table of the domain an op names, if the caller may see it. */
static int16_t target_table(struct domain *ld, domid_t dom,
                            struct grant_table **gt)
{
    struct domain *d = op_domain(ld, dom, true);

    if ( !d || !d->grant_table )
        return GNTST_bad_domain;
    if ( d != ld && !ld->is_privileged )
        return GNTST_permission_denied;
    *gt = d->grant_table;
    return GNTST_okay;
}

static long setup_table(struct domain *ld, vaddr_t uop, unsigned int count)
{
    gnttab_setup_table_t op;
    unsigned long mfns[GNTTAB_MAX_FRAMES];
    struct grant_table *gt;
    unsigned int i;
    vaddr_t list;

    if ( count != 1 )
        return -EINVAL;
    if ( copy_from_guest(&op, uop, sizeof(op)) )
        return -EFAULT;
    list = (vaddr_t)op.frame_list.p;
    if ( !guest_range_ok(list, (uint64_t)op.nr_frames * sizeof(xen_pfn_t)) )
        return -EFAULT;
    op.status = target_table(ld, op.dom, &gt);
    if ( op.status == GNTST_okay )
    {
        spin_lock(&gt->lock);
        if ( op.nr_frames > GNTTAB_MAX_FRAMES ||
             (op.nr_frames > gt->nr_frames &&
              grow_table(gt, gt->domain, op.nr_frames)) )
            op.status = GNTST_general_error;
        else
            memcpy(mfns, gt->shared_mfn, op.nr_frames * sizeof(mfns[0]));
        spin_unlock(&gt->lock);
    }
    for ( i = 0; op.status == GNTST_okay && i < op.nr_frames; i++ )
    {
        xen_pfn_t f = mfns[i];

        if ( copy_to_guest(list + i * sizeof(f), &f, sizeof(f)) )
            op.status = GNTST_bad_virt_addr;
    }
    if ( copy_to_guest(uop + __builtin_offsetof(gnttab_setup_table_t, status),
                       &op.status, sizeof(op.status)) )
        return -EFAULT;
    return 0;
}

static long query_size(struct domain *ld, vaddr_t uop, unsigned int count)
{
    gnttab_query_size_t op;
    struct grant_table *gt;

    if ( count != 1 )
        return -EINVAL;
    if ( copy_from_guest(&op, uop, sizeof(op)) )
        return -EFAULT;
    op.status = target_table(ld, op.dom, &gt);
    if ( op.status == GNTST_okay )
    {
        spin_lock(&gt->lock);
        op.nr_frames = gt->nr_frames;
        op.max_nr_frames = GNTTAB_MAX_FRAMES;
        spin_unlock(&gt->lock);
    }
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : 0;
}

/* ---- Versions ---- */

/* Whether an entry from the reserved ones on is pinned. Locked. */
static bool entries_in_use(struct grant_table *gt)
{
    unsigned int ref;

    for ( ref = GNTTAB_NR_RESERVED_ENTRIES; ref < nr_entries(gt); ref++ )
        if ( active_entry(gt, ref)->pin )
            return true;
    return false;
}

/* v2 -> v1: -ERANGE if a reserved entry cannot be written as v1. */
static int reserved_fit_v1(struct grant_table *gt)
{
    unsigned int i;

    for ( i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++ )
    {
        const grant_entry_v2_t *e = entry_v2(gt, i);

        switch ( e->hdr.flags & GTF_type_mask )
        {
        case GTF_permit_access:
            if ( !(e->full_page.frame >> 32) )
                break;
            /* fall through */
        case GTF_transitive:
            return -ERANGE;
        }
    }
    return 0;
}

/* v2 -> v1: -EBUSY while the domain maps a status frame. */
static int status_frames_unused(struct grant_table *gt)
{
    unsigned int i;

    for ( i = 0; i < gt->nr_status; i++ )
    {
        const struct page_info *pg = mfn_to_page(gt->status_mfn[i]);

        if ( pg->count_info != 1 || (pg->type_info & PGT_count_mask) != 1 )
            return -EBUSY;
    }
    return 0;
}

/* The reserved entries, as v1 entries with their in-use flags. */
static void save_reserved(struct grant_table *gt, grant_entry_v1_t *keep)
{
    unsigned int i;

    for ( i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++ )
    {
        const grant_entry_v2_t *e;

        if ( gt->version == 1 )
        {
            keep[i] = *entry_v1(gt, i);
            continue;
        }
        e = entry_v2(gt, i);
        memset(&keep[i], 0, sizeof(keep[i]));
        if ( (e->hdr.flags & GTF_type_mask) != GTF_permit_access )
            continue;
        keep[i].flags = e->hdr.flags | *status_word(gt, i);
        keep[i].domid = e->hdr.domid;
        keep[i].frame = e->full_page.frame;
    }
}

/* Writes them back in the format of the version now in force. */
static void restore_reserved(struct grant_table *gt,
                             const grant_entry_v1_t *keep)
{
    const uint16_t marks = GTF_reading | GTF_writing;
    unsigned int i;

    for ( i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++ )
    {
        grant_entry_v2_t *e;

        if ( gt->version == 1 )
        {
            *entry_v1(gt, i) = keep[i];
            continue;
        }
        e = entry_v2(gt, i);
        *status_word(gt, i) = keep[i].flags & marks;
        e->hdr.flags = keep[i].flags & ~marks;
        e->hdr.domid = keep[i].domid;
        e->full_page.frame = keep[i].frame;
    }
}

/*
 * Switches gt to 'version' (Xen's gnttab_set_version): nothing but the
 * reserved entries may be in use, which keep their grants across the
 * switch; every other entry is cleared. Going to 2 adds status frames,
 * going back to 1 hands them to *old (*nr_old of them) for the caller to
 * release unlocked. Locked; on failure gt is unchanged.
 */
static int switch_version(struct domain *d, struct grant_table *gt,
                          unsigned int version, unsigned long *old,
                          unsigned int *nr_old)
{
    grant_entry_v1_t keep[GNTTAB_NR_RESERVED_ENTRIES];
    unsigned int i;
    int rc;

    if ( entries_in_use(gt) )
        return -EBUSY;
    if ( version == 1 &&
         ((rc = reserved_fit_v1(gt)) || (rc = status_frames_unused(gt))) )
        return rc;
    if ( version == 2 &&
         share_frames(d, gt->status_mfn, 0, STATUS_FRAMES(gt->nr_frames)) )
        return -ENOMEM;
    save_reserved(gt, keep);
    if ( version == 2 )
        gt->nr_status = STATUS_FRAMES(gt->nr_frames);
    else
    {
        *nr_old = gt->nr_status;
        memcpy(old, gt->status_mfn, gt->nr_status * sizeof(*old));
        gt->nr_status = 0;
    }
    for ( i = 0; i < gt->nr_frames; i++ )
        memset(arch_frame_ptr(gt->shared_mfn[i]), 0, PAGE_SIZE);
    gt->version = version;
    restore_reserved(gt, keep);
    return 0;
}

/*
 * GNTTABOP_set_version for the caller's own table; the version in force
 * is written back, also on failure.
 */
static long set_version(struct domain *ld, vaddr_t uop)
{
    struct grant_table *gt = ld->grant_table;
    unsigned long old[STATUS_FRAMES(GNTTAB_MAX_FRAMES)];
    unsigned int nr_old = 0;
    gnttab_set_version_t op;
    long rc = 0;

    if ( copy_from_guest(&op, uop, sizeof(op)) )
        return -EFAULT;
    spin_lock(&gt->lock);
    if ( op.version != 1 && op.version != 2 )
        rc = -EINVAL;
    else if ( op.version > gt->max_version )
        rc = -ENOSYS;           /* as Xen, for a domain limited to v1 */
    else if ( op.version != gt->version )
        rc = switch_version(ld, gt, op.version, old, &nr_old);
    op.version = gt->version;
    spin_unlock(&gt->lock);
    unshare_frames(old, 0, nr_old);
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : rc;
}

static long get_version(struct domain *ld, vaddr_t uop)
{
    gnttab_get_version_t op;
    struct grant_table *gt;

    if ( copy_from_guest(&op, uop, sizeof(op)) )
        return -EFAULT;
    switch ( target_table(ld, op.dom, &gt) )
    {
    case GNTST_bad_domain:
        return -ESRCH;
    case GNTST_permission_denied:
        return -EPERM;
    }
    spin_lock(&gt->lock);
    op.version = gt->version;
    spin_unlock(&gt->lock);
    return copy_to_guest(uop + __builtin_offsetof(gnttab_get_version_t,
                                                  version),
                         &op.version, sizeof(op.version)) ? -EFAULT : 0;
}

static long get_status_frames(struct domain *ld, vaddr_t uop,
                              unsigned int count)
{
    gnttab_get_status_frames_t op;
    uint64_t mfns[STATUS_FRAMES(GNTTAB_MAX_FRAMES)];
    struct grant_table *gt;
    unsigned int i;
    vaddr_t list;

    if ( count != 1 )
        return -EINVAL;
    if ( copy_from_guest(&op, uop, sizeof(op)) )
        return -EFAULT;
    list = (vaddr_t)op.frame_list.p;
    /* As Xen 4.17: a list starting in the hypervisor's range is -EFAULT. */
    if ( !guest_range_ok(list, 1) )
        return -EFAULT;
    op.status = target_table(ld, op.dom, &gt);
    if ( op.status == GNTST_okay )
    {
        spin_lock(&gt->lock);
        if ( op.nr_frames > gt->nr_status )
            op.status = GNTST_general_error;
        for ( i = 0; op.status == GNTST_okay && i < op.nr_frames; i++ )
            mfns[i] = gt->status_mfn[i];
        spin_unlock(&gt->lock);
    }
    for ( i = 0; op.status == GNTST_okay && i < op.nr_frames; i++ )
        if ( copy_to_guest(list + i * sizeof(mfns[0]), &mfns[i],
                           sizeof(mfns[0])) )
            op.status = GNTST_bad_virt_addr;
    if ( copy_to_guest(uop + __builtin_offsetof(gnttab_get_status_frames_t,
                                                status),
                       &op.status, sizeof(op.status)) )
        return -EFAULT;
    return 0;
}

/* ---- Batches and dispatch ---- */

/*
 * map and copy: each op in, its result out; -EFAULT stops the batch.
 * Preemptible (hypercall.h): returns how many were done, if preempted.
 */
static long op_batch(struct domain *ld, unsigned int cmd, vaddr_t uop,
                     unsigned int count)
{
    union {
        gnttab_map_grant_ref_t map;
        gnttab_copy_t copy;
    } op;
    size_t sz = cmd == GNTTABOP_copy ? sizeof(op.copy) : sizeof(op.map);
    unsigned int i;

    for ( i = 0; i < count; i++ )
    {
        vaddr_t p = uop + (vaddr_t)i * sz;

        if ( i && hypercall_preempt_check() )
            return i;               /* preempted: gnttab_op continues */
        if ( copy_from_guest(&op, p, sz) )
            return -EFAULT;
        if ( cmd == GNTTABOP_copy )
        {
            op.copy.status = copy_one(ld, &op.copy);
            if ( copy_to_guest(p + __builtin_offsetof(gnttab_copy_t, status),
                               &op.copy.status, sizeof(op.copy.status)) )
                return -EFAULT;
        }
        else
        {
            op.map.status = map_grant_ref(ld, &op.map);
            if ( copy_to_guest(p, &op.map, sz) )
                return -EFAULT;
        }
    }
    return 0;
}

#define GNTTABOP_CMD_MASK   0xfffu      /* higher bits: continuation args */

long gnttab_op(struct domain *ld, unsigned int cmd, vaddr_t uop,
               unsigned int count)
{
    static const uint8_t batch_size[] = {
        [GNTTABOP_map_grant_ref] = sizeof(gnttab_map_grant_ref_t),
        [GNTTABOP_unmap_grant_ref] = sizeof(gnttab_unmap_grant_ref_t),
        [GNTTABOP_unmap_and_replace] = sizeof(gnttab_unmap_and_replace_t),
        [GNTTABOP_copy] = sizeof(gnttab_copy_t),
    };
    unsigned int sub = cmd & GNTTABOP_CMD_MASK;
    long rc;

    if ( (int)count < 0 )
        return -EINVAL;
    if ( !ld->grant_table )
        return -EINVAL;             /* only a dying domain has none */
    if ( sub != GNTTABOP_cache_flush && sub != cmd )
        return -EINVAL;
    if ( sub < ARRAY_SIZE(batch_size) && batch_size[sub] &&
         !guest_range_ok(uop, (uint64_t)count * batch_size[sub]) )
        return -EFAULT;
    switch ( sub )
    {
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_copy:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_unmap_and_replace:
        if ( sub == GNTTABOP_unmap_grant_ref ||
             sub == GNTTABOP_unmap_and_replace )
            rc = unmap_batch(ld, sub == GNTTABOP_unmap_and_replace, uop,
                             count);
        else
            rc = op_batch(ld, sub, uop, count);
        if ( rc > 0 )
        {
            /*
             * Preempted after rc elements (hypercall.h): as Xen, the
             * guest re-enters with the list advanced and the count cut.
             */
            const unsigned long args[6] = {
                cmd, uop + rc * batch_size[sub], count - rc,
            };

            return hypercall_create_continuation(__HYPERVISOR_grant_table_op,
                                                 3, args);
        }
        return rc;
    case GNTTABOP_setup_table:
        return setup_table(ld, uop, count);
    case GNTTABOP_query_size:
        return query_size(ld, uop, count);
    case GNTTABOP_set_version:
        return set_version(ld, uop);
    case GNTTABOP_get_status_frames:
        return get_status_frames(ld, uop, count);
    case GNTTABOP_get_version:
        return get_version(ld, uop);
    }
    report_unhandled(UNHANDLED_SUBOP, "grant_table_op", sub,
                     "not implemented: -ENOSYS");
    return -ENOSYS;
}

long do_grant_table_op(unsigned long cmd, vaddr_t uop, unsigned long count)
{
    return gnttab_op(current->domain, cmd, uop, count);
}

/* ---- Teardown ---- */

/* Releases every mapping d holds: PTEs, then (after a flush) the rest. */
static void release_mappings(struct domain *d, struct grant_table *gt)
{
    struct unmap_done u[UNMAP_BATCH];
    unsigned int h, n = 0;

    for ( h = 0; h < gt->maptrack_limit; h++ )
    {
        struct grant_mapping *m;

        if ( n == UNMAP_BATCH )
        {
            unmap_finish(d, u, n);
            n = 0;
        }
        spin_lock(&gt->lock);
        m = maptrack_entry(gt, h);
        if ( m->flags )
        {
            u[n].rgt = m->rgt;
            u[n].mfn = m->mfn;
            u[n].ref = m->ref;
            u[n].done = m->flags & (GNTMAP_KINDS | GNTMAP_readonly);
            u[n].put_table = true;
            u[n].host_refs = (m->flags & GNTMAP_host_map) &&
                arch_gnttab_release_host_mapping(d, m->pte_maddr,
                                                 m->mfn, m->flags);
            m->flags = 0;
            m->rgt = NULL;
            n++;
        }
        spin_unlock(&gt->lock);
    }
    unmap_finish(d, u, n);
}

void gnttab_domain_release(struct domain *d)
{
    struct grant_table *gt = d->grant_table;
    unsigned long mfns[GNTTAB_MAX_FRAMES];
    unsigned long status[STATUS_FRAMES(GNTTAB_MAX_FRAMES)];
    unsigned int i, nr, nr_status, pages;

    if ( !gt )
        return;
    release_mappings(d, gt);

    spin_lock(&gt->lock);
    gt->domain = NULL;              /* orphaned: no shared frames now */
    d->grant_table = NULL;
    nr = gt->nr_frames;
    memcpy(mfns, gt->shared_mfn, nr * sizeof(mfns[0]));
    nr_status = gt->nr_status;
    memcpy(status, gt->status_mfn, nr_status * sizeof(status[0]));
    gt->nr_status = 0;
    pages = gt->maptrack_limit / MAPTRACK_PER_PAGE;
    gt->maptrack_limit = 0;
    gt->free_head = gt->free_tail = HANDLE_NONE;
    spin_unlock(&gt->lock);

    for ( i = 0; i < pages; i++ )
    {
        free_xenheap_pages(gt->maptrack[i], 0);
        gt->maptrack[i] = NULL;
    }
    unshare_frames(mfns, 0, nr);
    unshare_frames(status, 0, nr_status);
    table_put(gt);
}
