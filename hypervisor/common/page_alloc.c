/*
 * Buddy allocator over the frame table (see include/xenia/mm.h).
 *
 * A free block of 2^k frames is a naturally aligned run whose head frame is
 * PGS_free with order k and sits on free list k; its other frames are
 * PGS_free with order PAGE_ORDER_NONE. Freeing merges a block with its buddy
 * while the buddy is a free block of the same order.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/mm.h>

static void list_add(struct frame_allocator *a, unsigned long mfn,
                     unsigned int order)
{
    struct page_info *pg = &a->frames[mfn];

    pg->order = order;
    pg->prev = FRAME_NONE;
    pg->next = a->free_head[order];
    if ( pg->next != FRAME_NONE )
        a->frames[pg->next].prev = mfn;
    a->free_head[order] = mfn;
}

static void list_del(struct frame_allocator *a, unsigned long mfn,
                     unsigned int order)
{
    struct page_info *pg = &a->frames[mfn];

    if ( pg->prev != FRAME_NONE )
        a->frames[pg->prev].next = pg->next;
    else
        a->free_head[order] = pg->next;
    if ( pg->next != FRAME_NONE )
        a->frames[pg->next].prev = pg->prev;
    pg->order = PAGE_ORDER_NONE;
}

static void set_state(struct frame_allocator *a, unsigned long mfn,
                      unsigned int order, enum page_state st)
{
    unsigned long i;

    for ( i = 0; i < (1UL << order); i++ )
    {
        struct page_info *pg = &a->frames[mfn + i];

        pg->state = st;
        pg->order = PAGE_ORDER_NONE;
        pg->count_info = 0;
        pg->type_info = 0;
        pg->owner = st == PGS_inuse ? OWNER_XEN : OWNER_NONE;
    }
}

void falloc_init(struct frame_allocator *a, struct page_info *frames,
                 unsigned long nr_frames)
{
    unsigned long i;
    unsigned int k;

    a->frames = frames;
    a->nr_frames = nr_frames;
    a->free_pages = 0;
    for ( k = 0; k <= MAX_ORDER; k++ )
        a->free_head[k] = FRAME_NONE;
    for ( i = 0; i < nr_frames; i++ )
        frames[i] = (struct page_info){
            .state = PGS_reserved, .order = PAGE_ORDER_NONE,
            .owner = OWNER_NONE, .next = FRAME_NONE, .prev = FRAME_NONE,
        };
}

/* Puts an allocated block back, merging with free buddies. */
static void free_block(struct frame_allocator *a, unsigned long mfn,
                       unsigned int order)
{
    set_state(a, mfn, order, PGS_free);
    a->free_pages += 1UL << order;
    while ( order < MAX_ORDER )
    {
        unsigned long buddy = mfn ^ (1UL << order);

        if ( buddy + (1UL << order) > a->nr_frames ||
             a->frames[buddy].state != PGS_free ||
             a->frames[buddy].order != order )
            break;
        list_del(a, buddy, order);
        mfn &= ~(1UL << order);
        order++;
    }
    list_add(a, mfn, order);
}

unsigned long falloc_add_range(struct frame_allocator *a, unsigned long start,
                               unsigned long nr)
{
    unsigned long end, added = 0;

    if ( start >= a->nr_frames )
        return 0;
    end = nr > a->nr_frames - start ? a->nr_frames : start + nr;
    while ( start < end )
    {
        unsigned int order = 0;

        if ( a->frames[start].state != PGS_reserved )
        {
            start++;
            continue;
        }
        /* Largest aligned block of still-reserved frames starting here. */
        while ( order < MAX_ORDER && !(start & ((2UL << order) - 1)) &&
                start + (2UL << order) <= end )
        {
            unsigned long i;
            bool ok = true;

            for ( i = 1UL << order; i < (2UL << order); i++ )
                if ( a->frames[start + i].state != PGS_reserved )
                {
                    ok = false;
                    break;
                }
            if ( !ok )
                break;
            order++;
        }
        free_block(a, start, order);
        added += 1UL << order;
        start += 1UL << order;
    }
    return added;
}

long falloc_alloc(struct frame_allocator *a, unsigned int order)
{
    unsigned int k;
    unsigned long mfn;

    if ( order > MAX_ORDER )
        return -1;
    for ( k = order; k <= MAX_ORDER; k++ )
        if ( a->free_head[k] != FRAME_NONE )
            break;
    if ( k > MAX_ORDER )
        return -1;

    mfn = a->free_head[k];
    list_del(a, mfn, k);
    while ( k > order )
    {
        k--;
        list_add(a, mfn + (1UL << k), k);
    }
    set_state(a, mfn, order, PGS_inuse);
    a->free_pages -= 1UL << order;
    return (long)mfn;
}

int falloc_free(struct frame_allocator *a, unsigned long mfn,
                unsigned int order)
{
    unsigned long i;

    if ( order > MAX_ORDER || mfn >= a->nr_frames ||
         (mfn & ((1UL << order) - 1)) ||
         (1UL << order) > a->nr_frames - mfn )
        return -EINVAL;
    for ( i = 0; i < (1UL << order); i++ )
        if ( a->frames[mfn + i].state != PGS_inuse )
            return -EINVAL;
    free_block(a, mfn, order);
    return 0;
}
