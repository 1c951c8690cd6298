/*
 * The frame table: one struct page_info per machine frame, describing its
 * owner, its type with a type count, and a general reference count; and the
 * buddy allocator that hands out free frames.
 *
 * Types (bits 31:28 of type_info) follow Xen's model: a frame holds one
 * type at a time (L1-L4 page table, segment-descriptor page, writable) and
 * can change type only when its type count is zero. PGT_validated says the
 * contents were checked for the current type; PGT_pinned that the owner
 * holds a pin reference.
 *
 * The allocator is pure logic over a caller-provided frame table (the host
 * unit tests instantiate their own), with free lists per order linked by
 * frame number.
 */
#ifndef XENIA_MM_H
#define XENIA_MM_H

#include <xenia/types.h>

#define PGT_none            (0u << 28)
#define PGT_l1_page_table   (1u << 28)
#define PGT_l2_page_table   (2u << 28)
#define PGT_l3_page_table   (3u << 28)
#define PGT_l4_page_table   (4u << 28)
#define PGT_seg_desc_page   (5u << 28)
#define PGT_writable_page   (7u << 28)
#define PGT_type_mask       (15u << 28)
#define PGT_validated       (1u << 27)
#define PGT_pinned          (1u << 26)
#define PGT_count_mask      ((1u << 26) - 1)

enum page_state {
    PGS_reserved = 0,   /* not RAM, or RAM the allocator never manages */
    PGS_free,           /* in a free block (head carries the order) */
    PGS_inuse,          /* allocated */
};

#define PAGE_ORDER_NONE     0xff
#define MAX_ORDER           18      /* 1 GiB blocks */
#define FRAME_NONE          0xffffffffu

/* Owner values besides domain ids (Xen's reserved domids). */
#define OWNER_XEN           0x7ff2  /* DOMID_XEN */
#define OWNER_IO            0x7ff1  /* DOMID_IO */
#define OWNER_NONE          0x7ff4  /* DOMID_INVALID */

struct page_info {
    uint32_t count_info;    /* general references */
    uint32_t type_info;     /* PGT_* type, flags and type count */
    uint16_t owner;         /* domid or OWNER_* */
    uint8_t state;          /* enum page_state */
    uint8_t order;          /* order of a free block, at its head frame */
    uint32_t next, prev;    /* links, frame numbers: of a free list, or of
                               the owner's page list while allocated */
    uint8_t flags;          /* PGC_* */
    /*
     * Linear page tables (Xen's linear_pt_count): > 0, this table holds
     * that many entries naming another table of its level; < 0, that many
     * entries of other tables name it. Never both, so no chain is longer
     * than one link and no cycle forms.
     */
    int16_t linear_pt_count;
    /*
     * The TLB-flush clock when the type count last fell to zero: a CPU
     * that has flushed since holds no translation made through or to
     * this frame under its old type (arch_flush_tlb_since).
     */
    uint64_t tlbflush_stamp;
};

/*
 * The owner's allocation reference is held (one of count_info): dropped
 * once, by decrease_reservation or the domain's destruction.
 */
#define PGC_allocated       (1u << 0)
/* Counted in the owner's tot_pages until the frame is freed. */
#define PGC_counted         (1u << 1)

struct frame_allocator {
    struct page_info *frames;
    unsigned long nr_frames;
    uint32_t free_head[MAX_ORDER + 1];
    unsigned long free_pages;
};

/* All frames start PGS_reserved; add_range hands RAM to the allocator. */
void falloc_init(struct frame_allocator *a, struct page_info *frames,
                 unsigned long nr_frames);
/* Returns the number of frames added (reserved frames in range only). */
unsigned long falloc_add_range(struct frame_allocator *a, unsigned long start,
                               unsigned long nr);
/* Returns the first frame of a naturally aligned 2^order block, or -1. */
long falloc_alloc(struct frame_allocator *a, unsigned int order);
/* 0, or -EINVAL if the block is not an allocated, aligned block (no change). */
int falloc_free(struct frame_allocator *a, unsigned long mfn, unsigned int order);
static inline unsigned long falloc_free_pages(const struct frame_allocator *a)
{
    return a->free_pages;
}

/* ---- The hypervisor's frame table and heap (arch/x86/mm.c). ---- */
extern struct page_info *frame_table;
extern unsigned long max_page;          /* frames described by frame_table */
extern struct frame_allocator heap;
extern unsigned long heap_total_pages;     /* RAM the heap was given */

static inline struct page_info *mfn_to_page(unsigned long mfn)
{
    return &frame_table[mfn];
}
static inline unsigned long page_to_mfn(const struct page_info *pg)
{
    return (unsigned long)(pg - frame_table);
}
static inline bool mfn_valid(unsigned long mfn)
{
    return mfn < max_page;
}

/*
 * A domain's page list: every frame counted in its tot_pages, linked
 * through page_info's next/prev (a free-list link is unused while the
 * frame is allocated). Destroying a domain walks its own frames, so it
 * costs in proportion to the domain, not to the host's RAM (Xen's
 * d->page_list). Adding and removing are O(1); the order means nothing.
 */
struct page_list {
    uint32_t head;          /* first frame, or FRAME_NONE */
};

static inline void page_list_init(struct page_list *l)
{
    l->head = FRAME_NONE;
}

static inline void page_list_add(struct page_list *l, struct page_info *pg)
{
    uint32_t mfn = page_to_mfn(pg);

    pg->prev = FRAME_NONE;
    pg->next = l->head;
    if ( l->head != FRAME_NONE )
        mfn_to_page(l->head)->prev = mfn;
    l->head = mfn;
}

static inline void page_list_del(struct page_list *l, struct page_info *pg)
{
    if ( pg->prev != FRAME_NONE )
        mfn_to_page(pg->prev)->next = pg->next;
    else
        l->head = pg->next;
    if ( pg->next != FRAME_NONE )
        mfn_to_page(pg->next)->prev = pg->prev;
    pg->next = pg->prev = FRAME_NONE;
}

/*
 * A block from the heap (first MFN, or -1), after flushing every TLB if
 * frames were freed since the last such flush (arch/x86/mm.c).
 */
long heap_alloc(unsigned int order);

/* Zeroed hypervisor-owned pages; NULL when memory is exhausted. */
void *alloc_xenheap_pages(unsigned int order);
void free_xenheap_pages(void *va, unsigned int order);

#endif /* XENIA_MM_H */
