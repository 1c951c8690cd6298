/*
 * gen.c: the fuzz child's random hypercalls and the rules that keep the
 * child alive while it makes them (see fuzzchild.h for the terms).
 *
 * Generation: a weighted table picks the hypercall; its generator fills
 * the five register arguments and builds any structures in the arena.
 * Values come from pools of interesting things: small numbers and
 * boundaries, our own frames (sacrificial, arena, near our live ones),
 * the witness's and dom0's frames, the M2P's frames, random frames;
 * addresses in our window, in the arena, unmapped, user, hypervisor,
 * non-canonical; domain ids and ports that exist or not.  Nothing here
 * depends on a hypercall's result, so a seed replays the same calls.
 *
 * Sanitizing: the structures are read back just before the call and
 * anything that would legitimately wreck the child is rewritten:
 * shutting itself down, blocking forever, iret, taking its only VCPU
 * down, switching to page tables it cannot run on, closing its console
 * or timer port, not-present PTEs that Xen's L1TF defence crashes us
 * for, and targets inside protected memory (writes into a frame,
 * mappings at an address, lists that run past the arena).  A
 * pointer the hypervisor would read a command from must be in the arena
 * (so the rules saw it) or unreadable.  Risky calls keep their targets.
 */
#include "fuzzchild.h"

#include <public/memory.h>
#include <public/grant_table.h>
#include <public/domctl.h>
#include <public/sysctl.h>
#include <public/nmi.h>
#include <public/physdev.h>

struct fz_env fz;

static uint64_t rng;
static bool risky;                   /* the call being generated         */
static unsigned long buf_next;       /* arena offset of the next buffer  */
static bool tail_used;               /* the call has its tail list       */
unsigned long fz_nr_tail;            /* tail lists generated             */

#define ARENA_SIZE   (FZ_ARENA_PAGES * PAGE_SIZE)
#define BUF_LIMIT    (FZ_BUF_PAGES * PAGE_SIZE)
#define WIN_SIZE     (512 * PAGE_SIZE)
#define M2P_START    0xffff800000000000UL
#define M2P_END      0xffff804000000000UL
#define MAX_LIST     64              /* entries in generated lists       */
#define NR_WATCHDOGS 2

typedef void (*gen_fn)(struct fz_call *c, unsigned int depth);

/* ------------------------------------------------------------------ */
/* Random numbers.                                                     */

void fz_seed(uint64_t seed)
{
    rng = seed ? seed : 0x9e3779b97f4a7c15UL;
}

uint64_t fz_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dUL;
}

static uint64_t rnd(uint64_t n)
{
    return n ? fz_rand() % n : 0;
}

static bool pct(unsigned int p)
{
    return rnd(100) < p;
}

#define PICK(a) ((a)[rnd(ARRAY_SIZE(a))])

/* ------------------------------------------------------------------ */
/* Where things are.                                                   */

bool fz_mfn_protected(uint64_t mfn)
{
    unsigned int lo = 0, hi = fz.nr_prot;

    while ( lo < hi )
    {
        unsigned int mid = (lo + hi) / 2;

        if ( fz.prot[mid] == mfn )
            return true;
        if ( fz.prot[mid] < mfn )
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Is any frame in [mfn, mfn + n) protected? */
static bool range_protected(uint64_t mfn, uint64_t n)
{
    unsigned int lo = 0, hi = fz.nr_prot;

    if ( mfn + n < mfn )
        return true;
    while ( lo < hi )                 /* first protected frame >= mfn */
    {
        unsigned int mid = (lo + hi) / 2;

        if ( fz.prot[mid] < mfn )
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < fz.nr_prot && fz.prot[lo] < mfn + n;
}

static bool overlaps(uint64_t p, uint64_t len, uint64_t start, uint64_t end)
{
    return p < end && p + len > start && p + len >= p;
}

bool fz_in_arena(uint64_t va, uint64_t len)
{
    return va >= fz.arena && len <= ARENA_SIZE &&
           va - fz.arena <= ARENA_SIZE - len;
}

static bool va_protected(uint64_t va, uint64_t len)
{
    if ( fz_in_arena(va, len) )
        return false;
    return overlaps(va, len ?: 1, fz.prot_va_start, fz.prot_va_end);
}

/*
 * Could the hypervisor read something at p that the rules never saw?
 * Our own mappings (protected, window, arena) and the M2P are readable.
 */
static bool readable_unseen(uint64_t p, uint64_t len)
{
    if ( fz_in_arena(p, len) )
        return false;
    len = len ?: 1;
    return overlaps(p, len, fz.prot_va_start, fz.prot_va_end) ||
           overlaps(p, len, fz.win_va, fz.win_va + WIN_SIZE) ||
           overlaps(p, len, fz.arena, fz.arena + ARENA_SIZE) ||
           overlaps(p, len, M2P_START, M2P_END);
}

/* Pointer to a structure the rules must see: in the arena, or unreadable. */
static void *seen(uint64_t *p, uint64_t len)
{
    if ( fz_in_arena(*p, len) )
        return (void *)*p;
    if ( !risky && readable_unseen(*p, len) )
        *p = 0;
    return NULL;
}

/* Entries of 'elem' bytes at p that fit in the arena (p in it). */
static uint64_t arena_fit(uint64_t p, uint64_t elem)
{
    return (fz.arena + ARENA_SIZE - p) / elem;
}

/* ------------------------------------------------------------------ */
/* Value pools.                                                        */

static const uint64_t boundary_vals[] = {
    0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff,
    0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
    0x100000000UL, 0x7fffffffffffffffUL, 0x8000000000000000UL, ~0UL,
    ~0UL - 1, -4096UL, 0x7ff0, 0x7ff4, 0x7fff, 1023, 1024, 4095, 4096,
    0x1ffff, 0x5555555555555555UL, 0x000fffffffffffffUL,
};

static const uint64_t hyp_vas[] = {
    0xffff800000000000UL, 0xffff800000001000UL, 0xffff803ffffff000UL,
    0xffff804000000000UL, 0xffff808000000000UL, 0xffff820000000000UL,
    0xffff82c000000000UL, 0xffff82d040000000UL, 0xffff82d040100000UL,
    0xffff82d080000000UL, 0xffff82d080200000UL, 0xffff830000000000UL,
    0xffff830000100000UL, 0xffff83007fff0000UL, 0xffff87fffffff000UL,
    0xffff880000000000UL,
};

static const uint64_t noncanon_vas[] = {
    0x0000800000000000UL, 0x00007ffffffff000UL, 0x00007ffffffffff8UL,
    0x0000fffffffff000UL, 0x8000000000000000UL, 0x7fff800000000000UL,
    0xdead000000000000UL, 0xffff7ffffffff000UL, 0xfffeffffffff0000UL,
};

static const uint64_t user_vas[] = {
    0x1000, 0x400000, 0x7ffff000, 0x40000000, 0x7fffffffe000UL,
};

static uint64_t small(void)
{
    return rnd(17);
}

static uint64_t sacrificial_mfn(void)
{
    uint64_t n = fz.nr_pages > fz.map_end_pfn ?
                 fz.nr_pages - fz.map_end_pfn : 0;

    if ( !n )
        return fz.arena_mfn[rnd(FZ_ARENA_PAGES)];
    return xt_p2m[fz.map_end_pfn + rnd(n)];
}

static uint64_t protected_mfn(void)
{
    return fz.nr_prot ? fz.prot[rnd(fz.nr_prot)] : 0;
}

static uint64_t unprotect(uint64_t mfn)
{
    return risky || !fz_mfn_protected(mfn) ? mfn : sacrificial_mfn();
}

static uint64_t pick_mfn(void)
{
    uint64_t m;

    switch ( rnd(20) )
    {
    case 0: case 1: case 2: case 3: case 4:
        return sacrificial_mfn();
    case 5: case 6:
        return fz.arena_mfn[rnd(FZ_ARENA_PAGES)];
    case 7: case 8:                    /* near our own */
        m = (pct(50) ? sacrificial_mfn() : protected_mfn()) + rnd(9) - 4;
        break;
    case 9: case 10:
        if ( fz.nr_other )
            return fz.other_mfn[rnd(fz.nr_other)];
        m = rnd(fz.max_mfn + 2);
        break;
    case 11:
        return fz.shinfo_mfn;
    case 12:
        return fz.gnt_mfn ?: fz.shinfo_mfn;
    case 13:
        return fz.nr_m2p ? fz.m2p_mfn[rnd(fz.nr_m2p)] : 0;
    case 14: case 15:
        m = rnd(fz.max_mfn + 2);
        break;
    case 16:
        return PICK(boundary_vals);
    case 17:
        m = small();
        break;
    case 18:
        m = risky ? protected_mfn() : rnd(fz.max_mfn + 2);
        break;
    default:
        m = fz_rand() >> rnd(64);
        break;
    }
    return unprotect(m);
}

static uint64_t pick_ma(void)
{
    return (pick_mfn() << 12) | (pct(70) ? rnd(512) * 8 : rnd(4096));
}

static uint64_t pte_flags(void)
{
    static const uint64_t common[] = {
        _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY,
        _PAGE_PRESENT | _PAGE_ACCESSED,
        _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED,
        _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED,
        _PAGE_PRESENT,
        0,
        _PAGE_PRESENT | _PAGE_RW | _PAGE_PCD | _PAGE_PWT,
        _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE | _PAGE_ACCESSED,
        _PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | _PAGE_ACCESSED,
        _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_NX,
    };
    uint64_t f = pct(70) ? PICK(common) : rnd(4096);

    if ( pct(10) )
        f |= fz_rand() & 0xfff0000000000000UL;
    return f;
}

static uint64_t pick_pte(void)
{
    if ( pct(5) )
        return 0;
    if ( pct(5) )
        return fz_rand();
    return (pick_mfn() << 12) | pte_flags();
}

static uint64_t win_va(void)
{
    return fz.win_va + rnd(512) * PAGE_SIZE + (pct(80) ? 0 : rnd(4096));
}

static uint64_t arena_va(void)
{
    uint64_t off = rnd(ARENA_SIZE);

    return fz.arena + (pct(80) ? off & ~7UL : off);
}

static uint64_t prot_va(void)
{
    return fz.prot_va_start + rnd(fz.prot_va_end - fz.prot_va_start);
}

/* An address nothing of ours is mapped at. */
static uint64_t bad_va(void)
{
    switch ( rnd(9) )
    {
    case 0:
        return rnd(4096);
    case 1:
        return PICK(user_vas) + (pct(50) ? 0 : rnd(4096));
    case 2:
        return PICK(hyp_vas) + (pct(50) ? 0 : rnd(1 << 20));
    case 3:                             /* the direct map, at some frame */
        return 0xffff830000000000UL + (pick_mfn() << 12);
    case 4:
        return PICK(noncanon_vas);
    case 5:                             /* dom0's image, unmapped here */
        return XT_VIRT_BASE + (16UL << 20) + rnd(48UL << 20);
    case 6:
        return XT_VIRT_BASE - PAGE_SIZE * (1 + rnd(4));
    case 7:
        return XT_VIRT_BASE + (256UL << 20);
    default:
        return fz_rand();
    }
}

/* An address to create or change a mapping at. */
static uint64_t target_va(void)
{
    if ( risky && pct(40) )
        return pct(50) ? prot_va() : arena_va();
    if ( pct(60) )
        return win_va() & (pct(85) ? ~0xfffUL : ~0UL);
    return bad_va();
}

/* A pointer the hypervisor writes through (no buffer of ours). */
static uint64_t out_ptr(void)
{
    switch ( rnd(10) )
    {
    case 0: case 1: case 2:
        return arena_va();
    case 3:
        return win_va();
    case 4:
        return pct(50) ? fz.l4_va : fz.win_l1_va;   /* read-only */
    case 5:
        return M2P_START + 8 * rnd(fz.max_mfn + 1);
    case 6:
        if ( risky )
            return prot_va();
        /* fall through */
    default:
        return bad_va();
    }
}

static domid_t pick_domid(void)
{
    static const domid_t odd[] = {
        DOMID_COW, DOMID_INVALID, DOMID_IDLE, 0x7ff5, 0x7ffe, 0x8000,
        0xffff,
    };

    switch ( rnd(16) )
    {
    case 0: case 1: case 2: case 3:
        return DOMID_SELF;
    case 4:
        return fz.self;
    case 5: case 6:
        return 0;
    case 7: case 8:
        return fz.witness;
    case 9:
        return DOMID_IO;
    case 10:
        return DOMID_XEN;
    case 11:
        return PICK(odd);
    case 12:
        return rnd(16);
    case 13:
        return fz.self + 1;
    default:
        return rnd(65536);
    }
}

static uint32_t pick_port(void)
{
    static const uint32_t bounds[] = {
        0, 1023, 1024, 4095, 4096, 0x1ffff, 0x20000, 0x7fffffff,
        0x80000000, 0xffffffff,
    };

    switch ( rnd(10) )
    {
    case 0: case 1: case 2: case 3:
        return rnd(8);
    case 4:
        return fz.cons_port;
    case 5:
        return fz.timer_port;
    case 6:
        return fz.store_port;
    case 7:
        return rnd(1024);
    case 8:
        return PICK(bounds);
    default:
        return fz_rand();
    }
}

/* Any interesting 64-bit value. */
static uint64_t fz_word(void)
{
    switch ( rnd(16) )
    {
    case 0: case 1: case 2:
        return small();
    case 3:
        return PICK(boundary_vals);
    case 4:
        return pick_mfn();
    case 5:
        return pick_ma();
    case 6:
        return pick_pte();
    case 7:
        return target_va();
    case 8:
        return arena_va();
    case 9:
        return pick_domid();
    case 10:
        return pick_port();
    case 11:
        return bad_va();
    case 12:
        return (uint32_t)fz_rand();
    default:
        return fz_rand();
    }
}

/* A count: usually 'n', sometimes a boundary. */
static uint64_t pick_count(uint64_t n)
{
    static const uint64_t odd[] = {
        0, 0x80000000, 0xffffffff, 0x7fffffff, 0x100000000UL, ~0UL,
    };

    if ( pct(85) )
        return n;
    if ( pct(40) )
        return n + 1 + rnd(4);
    return pct(50) ? PICK(odd) : rnd(1 << 20);
}

/* ------------------------------------------------------------------ */
/* Buffers in the arena.                                               */

void fz_arena_fill(void)
{
    uint64_t *w = (uint64_t *)fz.arena;
    unsigned long i;

    for ( i = 0; i < ARENA_SIZE / 8; i++ )
        w[i] = fz_word();
}

static void fill(uint8_t *p, size_t size)
{
    size_t i;

    for ( i = 0; i + 8 <= size; i += 8 )
    {
        uint64_t w = fz_word();

        memcpy(p + i, &w, 8);
    }
    for ( ; i < size; i++ )
        p[i] = fz_rand();
}

/*
 * A buffer of 'size' random bytes, or NULL when the buffer pages are
 * used up.  Usually 8-aligned; sometimes misaligned or across a page.
 */
static void *buf(size_t size)
{
    unsigned long off = (buf_next + 7) & ~7UL;

    if ( pct(8) )
        off += 1 + rnd(7);
    else if ( pct(8) && size > 1 && size < PAGE_SIZE )
        off = ((off + size) & ~(PAGE_SIZE - 1)) + PAGE_SIZE -
              (1 + rnd(size - 1));
    if ( off + size > BUF_LIMIT )
        return NULL;
    buf_next = off + size;
    fill((uint8_t *)fz.arena + off, size);
    return (uint8_t *)fz.arena + off;
}

/*
 * The huge-count shape: a list of n entries of 'elem' bytes ending
 * exactly at the arena's end (over stale data), which the sanitizer lets
 * through with any count, since the walk stops at the guard page after
 * the arena.  One per call (nested lists would overlap); NULL when taken.
 */
static void *tail_list(unsigned int n, size_t elem)
{
    uint8_t *p = (uint8_t *)fz.arena + ARENA_SIZE - n * elem;

    if ( tail_used || n * elem > ARENA_SIZE - BUF_LIMIT )
        return NULL;
    tail_used = true;
    fz_nr_tail++;
    fill(p, n * elem);
    return p;
}

/* A count for a tail list: 2^k, k = 0..63, or a boundary near 2^31, 2^32. */
static uint64_t huge_count(void)
{
    static const uint64_t pool[] = {
        0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
        0x100000000UL, 0x100000001UL, 0x17fffffffUL, 0x180000000UL, ~0UL,
        0x8000000000000000UL,
    };

    if ( pct(40) )
        return 1UL << rnd(64);
    if ( pct(20) )
        return (1UL << rnd(32)) - 1 + rnd(3);
    return PICK(pool);
}

/* A list: usually a buffer, now and then a tail list (huge_count then). */
static void *list_buf(unsigned int n, size_t elem, bool *huge)
{
    void *p = (fz.shapes & FZ_SHAPE_HUGE) && pct(6) ?
              tail_list(n, elem) : NULL;

    *huge = p != NULL;
    return p ? p : buf(n * elem);
}

/* A generated buffer's address, or once in a while a bad one. */
static uint64_t ptr_of(void *b)
{
    return b && pct(95) ? (uint64_t)b : bad_va();
}

/* A buffer the hypervisor writes into, or a pointer from the out pool. */
static uint64_t out_buf(size_t size)
{
    return pct(60) ? ptr_of(buf(size)) : out_ptr();
}

static uint64_t future_ns(void)
{
    uint64_t now = xt_system_time();

    switch ( rnd(6) )
    {
    case 0:
        return 0;
    case 1:
        return now - rnd(1000000);
    case 2:
        return PICK(boundary_vals);
    default:
        return now + rnd(2000000);
    }
}

/* ------------------------------------------------------------------ */
/* Generators, one per hypercall family.                               */

static void g_generic(struct fz_call *c, unsigned int depth)
{
    (void)c;
    (void)depth;
}

static void g_set_trap_table(struct fz_call *c, unsigned int depth)
{
    unsigned int n = 1 + rnd(8), i;
    struct trap_info *t = buf(sizeof(*t) * (n + 1));

    (void)depth;
    if ( !t || pct(10) )
    {
        c->a[0] = pct(50) ? 0 : bad_va();     /* NULL: clear them all */
        return;
    }
    for ( i = 0; i < n; i++ )
    {
        t[i].vector = pct(50) ? rnd(32) : rnd(256);
        t[i].flags = pct(70) ? rnd(8) : fz_rand();
        t[i].cs = pct(70) ? FLAT_KERNEL_CS : fz_rand();
        t[i].address = pct(30) ? xt_trap_entry(t[i].vector) : fz_word();
    }
    if ( pct(80) )
        t[n].address = 0;
    c->a[0] = ptr_of(t);
}

/* The machine address of a page-table entry to change. */
static uint64_t pt_ma(void)
{
    switch ( rnd(20) )
    {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
    case 8: case 9:
        return (fz.win_l1_mfn << 12) + rnd(512) * 8;
    case 10: case 11:                  /* unused L4 slots: user half */
        return (fz.l4_mfn << 12) + rnd(256) * 8;
    case 12:                           /* unused L4 slots: kernel half */
        return (fz.l4_mfn << 12) + (272 + rnd(239)) * 8;
    case 13:                           /* the hypervisor's slots */
        return (fz.l4_mfn << 12) + (256 + rnd(16)) * 8;
    case 14:
        return (fz.win_l1_mfn << 12) + rnd(4096);
    case 15: case 16:
        if ( risky )
            return (protected_mfn() << 12) + rnd(512) * 8;
        /* fall through */
    default:
        return pick_ma();
    }
}

static void gen_mmu_req(struct mmu_update *u)
{
    unsigned int kind = rnd(100);

    if ( kind < 15 )
    {
        u->ptr = (pick_mfn() << 12) | MMU_MACHPHYS_UPDATE;
        u->val = pct(50) ? rnd(fz.nr_pages + 16) : fz_word();
        return;
    }
    u->ptr = (pct(80) ? pt_ma() : pick_ma()) & ~3UL;
    u->ptr |= kind < 85 ? MMU_NORMAL_PT_UPDATE :
              kind < 93 ? MMU_PT_UPDATE_PRESERVE_AD :
                          MMU_PT_UPDATE_NO_TRANSLATE;
    u->val = pick_pte();
}

static uint64_t pick_foreigndom(void)
{
    if ( pct(70) )
        return DOMID_SELF;
    if ( pct(15) )                     /* page-table owner in bits 16+ */
        return ((uint64_t)(pick_domid() + 1) << 16) | pick_domid();
    return pct(80) ? pick_domid() : fz_word();
}

static void g_mmu_update(struct fz_call *c, unsigned int depth)
{
    unsigned int n = pct(80) ? 1 + rnd(4) : 1 + rnd(MAX_LIST / 2), i;
    bool huge;
    struct mmu_update *u = list_buf(n, sizeof(*u), &huge);

    (void)depth;
    for ( i = 0; u && i < n; i++ )
        gen_mmu_req(&u[i]);
    c->a[0] = huge ? (uint64_t)u : ptr_of(u);
    c->a[1] = huge ? huge_count() : pick_count(n);
    c->a[2] = pct(50) ? 0 : out_buf(4);
    c->a[3] = pick_foreigndom();
}

static void gen_mmuext(struct mmuext_op *op)
{
    uint64_t *mask;

    op->cmd = pct(92) ? rnd(21) : fz_rand();
    op->arg1.mfn = fz_word();
    op->arg2.src_mfn = fz_word();
    switch ( op->cmd )
    {
    case MMUEXT_PIN_L1_TABLE: case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE: case MMUEXT_PIN_L4_TABLE:
    case MMUEXT_UNPIN_TABLE: case MMUEXT_CLEAR_PAGE:
    case MMUEXT_MARK_SUPER: case MMUEXT_UNMARK_SUPER:
        op->arg1.mfn = pct(50) ? sacrificial_mfn() : pick_mfn();
        break;
    case MMUEXT_NEW_BASEPTR:
    case MMUEXT_NEW_USER_BASEPTR:
        op->arg1.mfn = pct(40) ? fz.l4_mfn : pct(20) ? 0 : pick_mfn();
        break;
    case MMUEXT_COPY_PAGE:
        op->arg1.mfn = pick_mfn();
        op->arg2.src_mfn = pick_mfn();
        break;
    case MMUEXT_INVLPG_LOCAL: case MMUEXT_INVLPG_ALL:
        op->arg1.linear_addr = pct(60) ? win_va() : fz_word();
        break;
    case MMUEXT_TLB_FLUSH_MULTI: case MMUEXT_INVLPG_MULTI:
        op->arg1.linear_addr = pct(60) ? win_va() : fz_word();
        mask = buf(8);
        op->arg2.vcpumask = (void *)(pct(60) ? ptr_of(mask) : fz_word());
        break;
    case MMUEXT_SET_LDT:
        op->arg1.linear_addr = pct(50) ? (win_va() & ~0xfffUL) :
                               pct(50) ? (arena_va() & ~0xfffUL) :
                               fz_word();
        op->arg2.nr_ents = pct(70) ? rnd(8193) : fz_rand();
        break;
    }
}

static void g_mmuext_op(struct fz_call *c, unsigned int depth)
{
    unsigned int n = pct(80) ? 1 + rnd(3) : 1 + rnd(16), i;
    bool huge;
    struct mmuext_op *op = list_buf(n, sizeof(*op), &huge);

    (void)depth;
    for ( i = 0; op && i < n; i++ )
        gen_mmuext(&op[i]);
    c->a[0] = huge ? (uint64_t)op : ptr_of(op);
    c->a[1] = huge ? huge_count() : pick_count(n);
    c->a[2] = pct(50) ? 0 : out_buf(4);
    c->a[3] = pick_foreigndom();
}

static void g_set_gdt(struct fz_call *c, unsigned int depth)
{
    uint64_t *f = buf(16 * 8);
    unsigned int i;

    (void)depth;
    for ( i = 0; f && i < 16; i++ )
        f[i] = pct(60) ? sacrificial_mfn() : pick_mfn();
    c->a[0] = ptr_of(f);
    c->a[1] = pct(70) ? rnd(8193) : fz_word();
}

static void g_stack_switch(struct fz_call *c, unsigned int depth)
{
    static const uint64_t ss[] = {
        FLAT_KERNEL_SS, FLAT_USER_SS, 0, 0xe019, 0xe021, 3, 0xffff,
    };

    (void)depth;
    c->a[0] = pct(80) ? PICK(ss) : fz_word();
    c->a[1] = pct(50) ? arena_va() : fz_word();
}

static uint64_t callback_addr(void)
{
    static const char *const ours[] = {
        xt_event_entry, xt_failsafe_entry, xt_syscall_entry,
    };

    return pct(30) ? (uint64_t)PICK(ours) : fz_word();
}

static void g_set_callbacks(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = callback_addr();
    c->a[1] = callback_addr();
    c->a[2] = callback_addr();
}

static void g_fpu_taskswitch(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = pct(80) ? rnd(2) : fz_word();
}

static void g_debugreg(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = pct(85) ? rnd(8) : fz_word();
    switch ( c->a[0] )
    {
    case 0: case 1: case 2: case 3:
        c->a[1] = pct(50) ? arena_va() : fz_word();
        break;
    case 7:
        c->a[1] = pct(50) ? rnd(1 << 16) : fz_rand();
        break;
    }
}

static void g_update_descriptor(struct fz_call *c, unsigned int depth)
{
    static const uint64_t descs[] = {
        0, 0x00af9a000000ffffUL, 0x00cf92000000ffffUL, 0x00cffa000000ffffUL,
        0x00cff2000000ffffUL, 0x0000e50000000000UL, 0x0000ec0000000000UL,
        0x00008b0000000067UL,
    };

    (void)depth;
    c->a[0] = pct(60) ? pick_ma() & ~7UL : pick_ma();
    c->a[1] = pct(60) ? PICK(descs) : fz_rand();
}

static void gen_reservation(struct xen_memory_reservation *r,
                            unsigned int op)
{
    unsigned int n = pct(80) ? 1 + rnd(8) : 1 + rnd(MAX_LIST), i;
    uint64_t *list = buf(n * 8);

    for ( i = 0; list && i < n; i++ )
        list[i] = op == XENMEM_decrease_reservation ? pick_mfn() :
                  op == XENMEM_populate_physmap ?
                      rnd(fz.nr_pages + 512) : fz_word();
    r->extent_start = pct(90) ? ptr_of(list) : out_ptr();
    r->nr_extents = pick_count(n);
    r->extent_order = pct(80) ? 0 : pct(50) ? rnd(20) : fz_rand();
    r->mem_flags = pct(70) ? 0 : fz_rand();
    r->domid = pct(70) ? DOMID_SELF : pick_domid();
}

static void g_memory_op(struct fz_call *c, unsigned int depth)
{
    static const unsigned int cmds[] = {
        XENMEM_increase_reservation, XENMEM_decrease_reservation,
        XENMEM_decrease_reservation, XENMEM_populate_physmap,
        XENMEM_populate_physmap, XENMEM_maximum_ram_page,
        XENMEM_current_reservation, XENMEM_maximum_reservation,
        5, XENMEM_add_to_physmap, XENMEM_memory_map,
        XENMEM_machine_memory_map, XENMEM_exchange, XENMEM_exchange,
        XENMEM_machphys_mapping, 13, 14, 15, 23, 25, 26, 28,
    };
    unsigned int op = pct(85) ? PICK(cmds) : rnd(64);
    uint8_t *b = buf(96);
    uint64_t *w = (uint64_t *)b;
    domid_t *dom = (domid_t *)b;

    (void)depth;
    c->a[0] = op;
    if ( pct(5) )
        c->a[0] |= rnd(16) << 6;       /* a continuation's start extent */
    c->a[1] = ptr_of(b);
    if ( !b )
        return;
    switch ( op )
    {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        gen_reservation((void *)b, op);
        break;
    case XENMEM_exchange:
        gen_reservation((void *)b, XENMEM_decrease_reservation);
        gen_reservation((void *)(b + 32), XENMEM_populate_physmap);
        w[8] = pct(80) ? 0 : fz_word();           /* nr_exchanged */
        break;
    case XENMEM_maximum_ram_page:
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case 14:                                       /* maximum_gpfn */
        *dom = pick_domid();
        if ( pct(10) )
            c->a[1] = bad_va();
        break;
    case 5:                                        /* machphys_mfn_list */
    case 25:
        w[0] = pct(70) ? rnd(64) : fz_rand();
        w[1] = out_buf(64 * 8);
        break;
    case XENMEM_memory_map:
    case XENMEM_machine_memory_map:
    case 13:                                       /* set_memory_map */
        w[0] = pct(70) ? rnd(16) : fz_rand();
        w[1] = out_buf(16 * 20);
        break;
    case XENMEM_machphys_mapping:
        c->a[1] = out_buf(24);
        break;
    case XENMEM_add_to_physmap:
        dom[0] = pick_domid();
        dom[1] = rnd(4);
        *(uint32_t *)(b + 4) = pct(80) ? rnd(8) : fz_rand();
        w[1] = pick_mfn();
        w[2] = rnd(fz.nr_pages + 16);
        break;
    case 23:                                       /* add_to_physmap_batch */
        dom[0] = pick_domid();
        dom[1] = rnd(8);
        dom[2] = pct(80) ? rnd(16) : fz_rand();
        w[1] = ptr_of(buf(16 * 8));
        w[2] = ptr_of(buf(16 * 8));
        w[3] = out_buf(16 * 4);
        break;
    case 28:                                       /* acquire_resource */
        dom[0] = pick_domid();
        dom[1] = rnd(4);
        *(uint32_t *)(b + 4) = rnd(3);
        *(uint32_t *)(b + 8) = pct(70) ? rnd(8) : fz_rand();
        w[2] = pct(50) ? rnd(8) : fz_word();
        w[3] = out_buf(8 * 8);
        break;
    }
}

static void g_update_va_mapping(struct fz_call *c, unsigned int depth)
{
    static const uint64_t flags[] = {
        UVMF_NONE, UVMF_INVLPG, UVMF_TLB_FLUSH, UVMF_INVLPG | UVMF_ALL,
        UVMF_TLB_FLUSH | UVMF_ALL,
    };

    (void)depth;
    c->a[0] = target_va();
    c->a[1] = pick_pte();
    c->a[2] = pct(80) ? PICK(flags) : pct(50) ?
              (ptr_of(buf(8)) & ~3UL) | rnd(4) : fz_word();
    if ( c->nr == __HYPERVISOR_update_va_mapping_otherdomain )
        c->a[3] = pct(30) ? DOMID_SELF : pick_domid();
}

static void g_set_timer_op(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = future_ns();
}

static void gen_evtchn(uint32_t cmd, uint8_t *u)
{
    uint32_t *w = (uint32_t *)u;
    domid_t *d = (domid_t *)u;

    switch ( cmd )
    {
    case EVTCHNOP_alloc_unbound:
        d[0] = pct(70) ? DOMID_SELF : pick_domid();
        d[1] = pick_domid();
        break;
    case EVTCHNOP_bind_interdomain:
        d[0] = pick_domid();
        w[1] = pick_port();
        break;
    case EVTCHNOP_bind_virq:
        w[0] = pct(80) ? rnd(NR_VIRQS + 2) : fz_rand();
        w[1] = pct(80) ? rnd(3) : fz_rand();
        break;
    case EVTCHNOP_bind_pirq:
        w[0] = pct(70) ? rnd(64) : fz_rand();
        w[1] = rnd(2);
        break;
    case EVTCHNOP_close: case EVTCHNOP_send: case EVTCHNOP_unmask:
        w[0] = pick_port();
        break;
    case EVTCHNOP_status:
        d[0] = pick_domid();
        w[1] = pick_port();
        break;
    case EVTCHNOP_bind_ipi:
        w[0] = pct(80) ? rnd(3) : fz_rand();
        break;
    case EVTCHNOP_bind_vcpu:
    case EVTCHNOP_set_priority:
        w[0] = pick_port();
        w[1] = pct(80) ? rnd(3) : fz_rand();
        break;
    case EVTCHNOP_reset:
        d[0] = pick_domid();
        break;
    case EVTCHNOP_init_control:
        *(uint64_t *)u = pick_mfn();
        w[2] = pct(60) ? rnd(64) * 64 : fz_rand();
        w[3] = pct(80) ? rnd(3) : fz_rand();
        break;
    case EVTCHNOP_expand_array:
        *(uint64_t *)u = pick_mfn();
        break;
    }
}

static void g_event_channel_op(struct fz_call *c, unsigned int depth)
{
    uint32_t cmd = pct(92) ? rnd(14) : fz_rand();
    uint8_t *u = buf(32);

    (void)depth;
    if ( u )
        gen_evtchn(cmd, u);
    c->a[0] = cmd;
    c->a[1] = pct(90) ? ptr_of(u) : fz_word();
}

/* The obsolete forms: { uint32_t cmd; union at offset 4 or 8 }. */
static void g_event_channel_op_compat(struct fz_call *c, unsigned int depth)
{
    uint8_t *b = buf(32);

    (void)depth;
    if ( b )
    {
        *(uint32_t *)b = pct(90) ? rnd(14) : fz_rand();
        gen_evtchn(*(uint32_t *)b, b + 4);
    }
    c->a[0] = ptr_of(b);
}

static void gen_physdev(uint32_t cmd, uint8_t *u)
{
    uint64_t *w = (uint64_t *)u;

    switch ( cmd )
    {
    case PHYSDEVOP_set_iopl:
        *(uint32_t *)u = pct(80) ? rnd(4) : fz_rand();
        break;
    case PHYSDEVOP_set_iobitmap:
        w[0] = pct(50) ? ptr_of(buf(64)) : fz_word();
        *(uint32_t *)(u + 8) = pct(70) ? rnd(65537) : fz_rand();
        break;
    case 17:                            /* pirq_eoi_gmfn_v1 */
    case PHYSDEVOP_pirq_eoi_gmfn_v2:
        w[0] = pick_mfn();
        break;
    default:
        *(uint32_t *)u = pct(60) ? rnd(64) : fz_rand();
        break;
    }
}

static void g_physdev_op(struct fz_call *c, unsigned int depth)
{
    uint32_t cmd = pct(90) ? rnd(32) : fz_rand();
    uint8_t *u = buf(64);

    (void)depth;
    if ( u )
        gen_physdev(cmd, u);
    c->a[0] = cmd;
    c->a[1] = pct(90) ? ptr_of(u) : fz_word();
}

static void g_physdev_op_compat(struct fz_call *c, unsigned int depth)
{
    uint8_t *b = buf(72);

    (void)depth;
    if ( b )
    {
        *(uint32_t *)b = pct(90) ? rnd(32) : fz_rand();
        gen_physdev(*(uint32_t *)b, b + 8);
    }
    c->a[0] = ptr_of(b);
}

static void g_xen_version(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = pct(90) ? rnd(16) : fz_word();
    c->a[1] = pct(10) ? 0 : out_buf(1024);
}

static void g_console_io(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = pct(80) ? rnd(3) : fz_word();
    c->a[1] = pct(80) ? rnd(64) : fz_word();
    c->a[2] = pct(60) ? ptr_of(buf(64)) : fz_word();
}

/* Grant table entries of our own, so that some maps and copies work. */
static void scribble_grants(void)
{
    static const uint16_t flags[] = {
        GTF_permit_access, GTF_permit_access | GTF_readonly,
        GTF_accept_transfer, GTF_transitive, 0,
    };
    struct grant_entry_v1 *g = fz.gnt_table;
    unsigned int ref;

    if ( !g || !pct(30) )
        return;
    ref = rnd(16);
    g[ref].flags = pct(80) ? PICK(flags) : fz_rand();
    if ( pct(70) )
        g[ref].domid = pct(50) ? fz.self : pct(50) ? 0 : fz.witness;
    else
        g[ref].domid = pick_domid();
    g[ref].frame = pct(80) ? sacrificial_mfn() : pick_mfn();
}

static uint64_t grant_host_addr(uint32_t flags)
{
    return flags & GNTMAP_contains_pte ? pt_ma() : target_va();
}

static void gen_grant(uint32_t cmd, uint8_t *e)
{
    static const uint32_t map_flags[] = {
        GNTMAP_host_map, GNTMAP_host_map | GNTMAP_readonly,
        GNTMAP_device_map, GNTMAP_host_map | GNTMAP_contains_pte,
        GNTMAP_host_map | GNTMAP_application_map,
        GNTMAP_host_map | GNTMAP_device_map,
    };
    uint64_t *w = (uint64_t *)e;
    uint32_t *h = (uint32_t *)e;
    uint16_t *s = (uint16_t *)e;

    switch ( cmd )
    {
    case GNTTABOP_map_grant_ref:
        h[2] = pct(85) ? PICK(map_flags) : fz_rand();
        w[0] = grant_host_addr(h[2]);
        h[3] = pct(70) ? rnd(16) : fz_rand();
        s[8] = pct(40) ? fz.self : pick_domid();
        break;
    case GNTTABOP_unmap_grant_ref:
        w[0] = grant_host_addr(pct(20) ? GNTMAP_contains_pte : 0);
        w[1] = pct(60) ? 0 : pick_ma();
        s[8] = pct(70) ? rnd(8) : fz_rand();
        break;
    case GNTTABOP_setup_table:
        s[0] = pick_domid();
        h[1] = pct(70) ? rnd(5) : fz_rand();
        w[2] = out_buf(8 * 8);
        break;
    case GNTTABOP_dump_table:
    case GNTTABOP_query_size:
    case GNTTABOP_get_version:
        s[0] = pick_domid();
        break;
    case GNTTABOP_transfer:
        w[0] = pct(50) ? sacrificial_mfn() : pick_mfn();
        s[4] = pick_domid();
        h[3] = pct(70) ? rnd(16) : fz_rand();
        break;
    case GNTTABOP_copy:
        s[17] = pct(80) ? rnd(4) : fz_rand();          /* flags */
        w[0] = s[17] & GNTCOPY_source_gref ? rnd(16) : pick_mfn();
        s[4] = pct(50) ? DOMID_SELF : pick_domid();
        s[5] = pct(70) ? rnd(4096) : fz_rand();
        w[2] = s[17] & GNTCOPY_dest_gref ? rnd(16) : pick_mfn();
        s[12] = pct(50) ? DOMID_SELF : pick_domid();
        s[13] = pct(70) ? rnd(4096) : fz_rand();
        s[16] = pct(70) ? rnd(4097) : fz_rand();       /* len */
        break;
    case GNTTABOP_unmap_and_replace:
        w[0] = target_va();
        w[1] = pct(30) ? 0 : target_va();
        s[8] = pct(70) ? rnd(8) : fz_rand();
        break;
    case GNTTABOP_set_version:
        h[0] = pct(80) ? rnd(4) : fz_rand();
        break;
    case GNTTABOP_get_status_frames:
        h[0] = pct(70) ? rnd(5) : fz_rand();
        s[2] = pick_domid();
        w[1] = out_buf(8 * 8);
        break;
    case GNTTABOP_swap_grant_ref:
        h[0] = rnd(16);
        h[1] = rnd(16);
        break;
    case GNTTABOP_cache_flush:
        w[0] = pct(50) ? pick_ma() : rnd(16);
        s[4] = rnd(4096);
        s[5] = rnd(4097);
        h[3] = pct(70) ? rnd(8) : fz_rand();
        break;
    }
}

/* Size of one GNTTABOP_* element (as Xen 4.17 lays them out). */
static unsigned int grant_elem(uint32_t cmd)
{
    static const uint8_t size[] = {
        [GNTTABOP_map_grant_ref] = 32, [GNTTABOP_unmap_grant_ref] = 24,
        [GNTTABOP_setup_table] = 24, [GNTTABOP_dump_table] = 4,
        [GNTTABOP_transfer] = 24, [GNTTABOP_copy] = 40,
        [GNTTABOP_query_size] = 16, [GNTTABOP_unmap_and_replace] = 24,
        [GNTTABOP_set_version] = 4, [GNTTABOP_get_status_frames] = 16,
        [GNTTABOP_get_version] = 8, [GNTTABOP_swap_grant_ref] = 12,
        [GNTTABOP_cache_flush] = 16,
    };

    return cmd < ARRAY_SIZE(size) ? size[cmd] : 8;
}

static void g_grant_table_op(struct fz_call *c, unsigned int depth)
{
    uint32_t cmd = pct(92) ? rnd(13) : fz_rand();
    unsigned int n = pct(80) ? 1 + rnd(3) : 1 + rnd(16), i;
    unsigned int elem = grant_elem(cmd);
    bool huge = false;
    uint8_t *e = (fz.shapes & FZ_SHAPE_HUGE) && pct(6) ?
                 tail_list(n, elem) : NULL;

    (void)depth;
    if ( e )
        huge = true;
    else
        e = buf(n * elem + 8);
    scribble_grants();
    for ( i = 0; e && cmd < 13 && i < n; i++ )
        gen_grant(cmd, e + i * elem);
    c->a[0] = cmd;
    c->a[1] = huge ? (uint64_t)e : ptr_of(e);
    c->a[2] = huge ? huge_count() : pick_count(n);
}

static void g_vm_assist(struct fz_call *c, unsigned int depth)
{
    static const uint64_t types[] = { 0, 1, 2, 3, 4, 5, 6, 31, 32, 33, 63 };

    (void)depth;
    c->a[0] = pct(85) ? rnd(3) : fz_word();
    c->a[1] = pct(85) ? PICK(types) : fz_word();
}

static void g_vcpu_op(struct fz_call *c, unsigned int depth)
{
    static const uint64_t odd_vcpus[] = {
        2, 3, 31, 32, 127, 128, 0xffff, 0xffffffff, 0x100000000UL,
    };
    uint32_t cmd = pct(92) ? rnd(14) : fz_rand();
    uint64_t *w;
    unsigned int i;

    (void)depth;
    c->a[0] = cmd;
    c->a[1] = pct(75) ? rnd(2) : pct(80) ? PICK(odd_vcpus) : fz_word();
    switch ( cmd )
    {
    case VCPUOP_initialise:
        w = buf(sizeof(struct vcpu_guest_context));
        if ( w && pct(50) )
        {
            /* A good context with a few words spoilt. */
            xt_smp_context(1, (struct vcpu_guest_context *)w);
            for ( i = rnd(4); i; i-- )
                w[rnd(sizeof(struct vcpu_guest_context) / 8)] = fz_word();
        }
        c->a[2] = ptr_of(w);
        break;
    case VCPUOP_get_runstate_info:
        c->a[2] = out_buf(48);
        break;
    case VCPUOP_register_runstate_memory_area:
    case 13:                          /* register_vcpu_time_memory_area */
        w = buf(8);
        if ( w )
            w[0] = out_ptr();
        c->a[2] = ptr_of(w);
        break;
    case VCPUOP_set_periodic_timer:
        w = buf(8);
        if ( w )
            w[0] = pct(70) ? PICK(((uint64_t[]){ 0, 1, 1000, 1000000,
                                                 10000000, 1000000000 })) :
                   fz_word();
        c->a[2] = ptr_of(w);
        break;
    case VCPUOP_set_singleshot_timer:
        w = buf(16);
        if ( w )
        {
            w[0] = future_ns();
            w[1] = pct(80) ? rnd(2) : fz_rand();
        }
        c->a[2] = ptr_of(w);
        break;
    case VCPUOP_register_vcpu_info:
        w = buf(16);
        if ( w )
        {
            w[0] = pick_mfn();
            w[1] = pct(70) ? rnd(4096) : fz_rand();
        }
        c->a[2] = ptr_of(w);
        break;
    case VCPUOP_get_physid:
        c->a[2] = out_buf(8);
        break;
    default:
        c->a[2] = pct(70) ? 0 : ptr_of(buf(64));
        break;
    }
}

static void g_set_segment_base(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = pct(85) ? rnd(5) : fz_word();
    c->a[1] = pct(30) ? rnd(0x10000) : fz_word();
}

static void g_nmi_op(struct fz_call *c, unsigned int depth)
{
    uint64_t *w = buf(16);

    (void)depth;
    if ( w )
        w[0] = callback_addr();
    c->a[0] = pct(85) ? rnd(3) : fz_word();
    c->a[1] = pct(20) ? 0 : ptr_of(w);
}

static void g_sched_op(struct fz_call *c, unsigned int depth)
{
    static const uint32_t cmds[] = {
        SCHEDOP_yield, SCHEDOP_yield, SCHEDOP_block, SCHEDOP_shutdown,
        SCHEDOP_poll, SCHEDOP_poll, SCHEDOP_poll, SCHEDOP_remote_shutdown,
        SCHEDOP_remote_shutdown, SCHEDOP_shutdown_code, SCHEDOP_watchdog,
        SCHEDOP_watchdog, SCHEDOP_pin_override, 8, 9,
    };
    uint32_t cmd = pct(92) ? PICK(cmds) : fz_rand();
    uint8_t *b = buf(32);
    uint32_t *h = (uint32_t *)b;
    uint64_t *w = (uint64_t *)b;
    unsigned int n, i;

    (void)depth;
    c->a[0] = cmd;
    c->a[1] = pct(90) ? ptr_of(b) : fz_word();
    if ( !b )
        return;
    switch ( cmd )
    {
    case SCHEDOP_shutdown:
    case SCHEDOP_shutdown_code:
        h[0] = pct(80) ? rnd(8) : fz_rand();
        break;
    case SCHEDOP_poll:
        n = pct(80) ? rnd(4) : PICK(((uint32_t[]){ 0, 128, 129, ~0U }));
        w[0] = ptr_of(buf(4 * (n < 8 ? n : 8)));
        for ( i = 0; fz_in_arena(w[0], 4 * 8) && i < n && i < 8; i++ )
            ((uint32_t *)w[0])[i] = pick_port();
        h[2] = n;
        w[2] = future_ns();
        break;
    case SCHEDOP_remote_shutdown:
        *(domid_t *)b = pick_domid();
        h[1] = pct(80) ? rnd(8) : fz_rand();
        break;
    case SCHEDOP_watchdog:
        h[0] = pct(80) ? rnd(NR_WATCHDOGS + 2) : fz_rand();
        h[1] = pct(70) ? PICK(((uint32_t[]){ 0, 1, 60, 86400 })) :
               fz_rand();
        break;
    case SCHEDOP_pin_override:
        h[0] = rnd(4) - 1;
        break;
    }
}

static void g_sched_op_compat(struct fz_call *c, unsigned int depth)
{
    (void)depth;
    c->a[0] = pct(90) ? rnd(4) : fz_word();
    c->a[1] = pct(80) ? rnd(8) : fz_word();
}

static void g_callback_op(struct fz_call *c, unsigned int depth)
{
    static const uint16_t types[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xffff };
    uint16_t *b = buf(16);

    (void)depth;
    c->a[0] = pct(90) ? rnd(3) : fz_word();
    if ( b )
    {
        b[0] = pct(90) ? PICK(types) : fz_rand();
        b[1] = rnd(4);
        *(uint64_t *)(b + 4) = callback_addr();
    }
    c->a[1] = ptr_of(b);
}

static void g_ctl(struct fz_call *c, unsigned int depth)
{
    bool dom = c->nr == __HYPERVISOR_domctl;
    uint8_t *b = buf(dom ? sizeof(struct xen_domctl) :
                     sizeof(struct xen_sysctl));
    uint32_t *h = (uint32_t *)b;

    (void)depth;
    if ( b )
    {
        h[0] = pct(90) ? rnd(dom ? 90 : 32) : fz_rand();
        h[1] = pct(80) ? (dom ? XEN_DOMCTL_INTERFACE_VERSION :
                                XEN_SYSCTL_INTERFACE_VERSION) : fz_rand();
        if ( dom )
            *(domid_t *)(b + 8) = pick_domid();
    }
    c->a[0] = ptr_of(b);
}

static void gen_call(struct fz_call *c, unsigned int depth);

static void g_multicall(struct fz_call *c, unsigned int depth)
{
    unsigned int n = 1 + rnd(FZ_MAX_SUB), i;
    bool huge;
    struct multicall_entry *m = list_buf(n, sizeof(*m), &huge);

    for ( i = 0; m && i < n; i++ )
    {
        struct fz_call sub = { 0 };

        gen_call(&sub, depth + 1);
        m[i].op = pct(97) ? sub.nr : fz_word();
        m[i].result = fz_word();
        memcpy(m[i].args, sub.a, sizeof(sub.a));
        m[i].args[5] = fz_word();
    }
    c->a[0] = huge ? (uint64_t)m : ptr_of(m);
    c->a[1] = huge ? huge_count() : pick_count(n);
}

/* ------------------------------------------------------------------ */
/* The table.                                                          */

struct fz_op
{
    uint8_t nr;
    uint8_t weight;
    gen_fn gen;
};

static const struct fz_op ops[] = {
    { __HYPERVISOR_set_trap_table, 2, g_set_trap_table },
    { __HYPERVISOR_mmu_update, 12, g_mmu_update },
    { __HYPERVISOR_set_gdt, 3, g_set_gdt },
    { __HYPERVISOR_stack_switch, 2, g_stack_switch },
    { __HYPERVISOR_set_callbacks, 2, g_set_callbacks },
    { __HYPERVISOR_fpu_taskswitch, 1, g_fpu_taskswitch },
    { __HYPERVISOR_sched_op_compat, 1, g_sched_op_compat },
    { __HYPERVISOR_platform_op, 1, g_generic },
    { __HYPERVISOR_set_debugreg, 2, g_debugreg },
    { __HYPERVISOR_get_debugreg, 1, g_debugreg },
    { __HYPERVISOR_update_descriptor, 4, g_update_descriptor },
    { __HYPERVISOR_memory_op, 12, g_memory_op },
    { __HYPERVISOR_multicall, 6, g_multicall },
    { __HYPERVISOR_update_va_mapping, 10, g_update_va_mapping },
    { __HYPERVISOR_set_timer_op, 2, g_set_timer_op },
    { __HYPERVISOR_event_channel_op_compat, 2, g_event_channel_op_compat },
    { __HYPERVISOR_xen_version, 3, g_xen_version },
    { __HYPERVISOR_console_io, 2, g_console_io },
    { __HYPERVISOR_physdev_op_compat, 1, g_physdev_op_compat },
    { __HYPERVISOR_grant_table_op, 12, g_grant_table_op },
    { __HYPERVISOR_vm_assist, 2, g_vm_assist },
    { __HYPERVISOR_update_va_mapping_otherdomain, 3, g_update_va_mapping },
    { __HYPERVISOR_vcpu_op, 8, g_vcpu_op },
    { __HYPERVISOR_set_segment_base, 3, g_set_segment_base },
    { __HYPERVISOR_mmuext_op, 12, g_mmuext_op },
    { __HYPERVISOR_xsm_op, 1, g_generic },
    { __HYPERVISOR_nmi_op, 1, g_nmi_op },
    { __HYPERVISOR_sched_op, 6, g_sched_op },
    { __HYPERVISOR_callback_op, 3, g_callback_op },
    { __HYPERVISOR_xenoprof_op, 1, g_generic },
    { __HYPERVISOR_event_channel_op, 12, g_event_channel_op },
    { __HYPERVISOR_physdev_op, 4, g_physdev_op },
    { __HYPERVISOR_hvm_op, 1, g_generic },
    { __HYPERVISOR_sysctl, 3, g_ctl },
    { __HYPERVISOR_domctl, 4, g_ctl },
    { __HYPERVISOR_kexec_op, 1, g_generic },
    { __HYPERVISOR_tmem_op, 1, g_generic },
    { __HYPERVISOR_argo_op, 1, g_generic },
    { __HYPERVISOR_xenpmu_op, 1, g_generic },
    { __HYPERVISOR_dm_op, 1, g_generic },
    { __HYPERVISOR_hypfs_op, 1, g_generic },
    { __HYPERVISOR_mca, 1, g_generic },
    { 0xff, 4, g_generic },           /* any number 0..63 but iret */
};

static const char *const hc_names[FZ_NR_HC] = {
    "set_trap_table", "mmu_update", "set_gdt", "stack_switch",
    "set_callbacks", "fpu_taskswitch", "sched_op_compat", "platform_op",
    "set_debugreg", "get_debugreg", "update_descriptor", "(11)",
    "memory_op", "multicall", "update_va_mapping", "set_timer_op",
    "event_channel_op_compat", "xen_version", "console_io",
    "physdev_op_compat", "grant_table_op", "vm_assist",
    "update_va_mapping_otherdomain", "iret", "vcpu_op", "set_segment_base",
    "mmuext_op", "xsm_op", "nmi_op", "sched_op", "callback_op",
    "xenoprof_op", "event_channel_op", "physdev_op", "hvm_op", "sysctl",
    "domctl", "kexec_op", "tmem_op", "argo_op", "xenpmu_op", "dm_op",
    "hypfs_op",
};

const char *fz_hc_name(unsigned int nr)
{
    if ( nr < FZ_NR_HC && hc_names[nr] )
        return hc_names[nr];
    return nr == __HYPERVISOR_mca ? "mca" : "unknown";
}

static const struct fz_op *pick_op(unsigned int depth)
{
    static unsigned int total;
    unsigned int i, w;

    if ( !total )
        for ( i = 0; i < ARRAY_SIZE(ops); i++ )
            total += ops[i].weight;
    for ( ;; )
    {
        w = rnd(total);
        for ( i = 0; w >= ops[i].weight; i++ )
            w -= ops[i].weight;
        /* Nested multicalls: only once in a while, and not deeper. */
        if ( ops[i].nr == __HYPERVISOR_multicall && depth &&
             (depth > 1 || !pct(10)) )
            continue;
        return &ops[i];
    }
}

static const struct fz_op *op_of(unsigned int nr)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(ops) - 1; i++ )
        if ( ops[i].nr == nr )
            return &ops[i];
    return &ops[ARRAY_SIZE(ops) - 1];
}

static void gen_call(struct fz_call *c, unsigned int depth)
{
    const struct fz_op *op = pick_op(depth);
    unsigned int i;

    c->nr = op->nr;
    if ( op->nr == 0xff )
    {
        do
            c->nr = rnd(FZ_NR_HC);
        while ( c->nr == __HYPERVISOR_iret ||
                (c->nr == __HYPERVISOR_multicall && depth) );
        op = op_of(c->nr);
    }
    for ( i = 0; i < ARRAY_SIZE(c->a); i++ )
        c->a[i] = fz_word();
    op->gen(c, depth);
}

void fz_generate(struct fz_call *c)
{
    buf_next = 0;
    tail_used = false;
    memset(c, 0, sizeof(*c));
    risky = fz.risk && rnd(1000) < fz.risk;
    c->risky = risky;
    c->syscall_gate = pct(50);
    gen_call(c, 0);
    /* Stale data changes too, a page now and then. */
    if ( pct(5) )
        fill((uint8_t *)fz.arena + BUF_LIMIT +
             rnd(FZ_ARENA_PAGES - FZ_BUF_PAGES) * PAGE_SIZE, PAGE_SIZE);
}

/* ------------------------------------------------------------------ */
/* Sanitizing.                                                         */

/* A sacrificial frame chosen by 'x' (the rules draw no random numbers). */
static uint64_t sacrificial_of(uint64_t x)
{
    uint64_t n = fz.nr_pages > fz.map_end_pfn ?
                 fz.nr_pages - fz.map_end_pfn : 0;

    return n ? xt_p2m[fz.map_end_pfn + x % n] :
               fz.arena_mfn[FZ_BUF_PAGES +
                            x % (FZ_ARENA_PAGES - FZ_BUF_PAGES)];
}

/* A frame the hypervisor would write into: never a protected one. */
static uint64_t safe_frame(uint64_t mfn)
{
    return risky || !fz_mfn_protected(mfn) ? mfn :
           fz.arena_mfn[FZ_BUF_PAGES + mfn % (FZ_ARENA_PAGES - FZ_BUF_PAGES)];
}

/* A frame the hypervisor keeps writing into: not under our buffers. */
static uint64_t lasting_frame(uint64_t mfn)
{
    unsigned int i;

    for ( i = 0; i < FZ_BUF_PAGES; i++ )
        if ( fz.arena_mfn[i] == mfn )
            return fz.arena_mfn[FZ_BUF_PAGES + i];
    return safe_frame(mfn);
}

/* An address to map at: never a protected one nor in the arena. */
static uint64_t safe_target(uint64_t va)
{
    if ( risky || (!va_protected(va, 1) &&
                   !overlaps(va, 1, fz.arena, fz.arena + ARENA_SIZE)) )
        return va;
    return fz.win_va + ((va >> 12) & 511) * PAGE_SIZE;
}

/* An address the hypervisor writes through: not into protected memory. */
static uint64_t safe_out(uint64_t va, uint64_t len)
{
    if ( risky || !va_protected(va, len) )
        return va;
    return fz.arena + BUF_LIMIT + (va & 0xff8);
}

/* An address the hypervisor keeps writing through: not the buffers. */
static uint64_t lasting_out(uint64_t va, uint64_t len)
{
    va = safe_out(va, len);
    if ( !risky && overlaps(va, len, fz.arena, fz.arena + BUF_LIMIT) )
        va += BUF_LIMIT;
    return va;
}

/* An OUT array of n elements: clamp n so it stays in the arena. */
static uint64_t clamp_out(uint64_t *p, uint64_t n, uint64_t elem)
{
    *p = safe_out(*p, elem);
    if ( !risky && fz_in_arena(*p, elem) && n > arena_fit(*p, elem) )
        return arena_fit(*p, elem);
    return n;
}

/* A page-table entry we may change (unless risky). */
static bool pt_entry_ok(uint64_t ptr)
{
    uint64_t mfn = ptr >> 12;
    unsigned int idx = (ptr & 0xfff) / 8;

    if ( mfn == fz.win_l1_mfn )
        return true;
    if ( mfn == fz.l4_mfn )
        return idx < 256 || (idx >= 272 && idx < 511);
    return !fz_mfn_protected(mfn);
}

/*
 * A not-present entry that still holds an address (or PSE) is what Xen
 * 4.17 crashes a PV domU for on CPUs open to L1TF (core2duo, say): keep
 * the flags, drop the address.
 */
static uint64_t l1tf_safe(uint64_t pte)
{
    if ( risky || (pte & _PAGE_PRESENT) )
        return pte;
    return pte & ~(PTE_MFN_MASK | _PAGE_PSE);
}

static void fix_mmu_req(struct mmu_update *u)
{
    uint64_t type = u->ptr & 3;

    if ( risky )
        return;
    if ( type == MMU_MACHPHYS_UPDATE )
    {
        /* Keep our protected frames' M2P entries right. */
        if ( fz_mfn_protected(u->ptr >> 12) )
            u->ptr = (sacrificial_of(u->ptr >> 12) << 12) |
                     MMU_MACHPHYS_UPDATE;
        return;
    }
    if ( !pt_entry_ok(u->ptr) )
        u->ptr = (fz.win_l1_mfn << 12) + (u->ptr & 0xff8) + type;
    u->val = l1tf_safe(u->val);
    /* No second writable mapping of a protected frame. */
    if ( (u->val & _PAGE_PRESENT) &&
         fz_mfn_protected((u->val & PTE_MFN_MASK) >> 12) )
        u->val &= ~_PAGE_RW;
}

static void fix_mmuext(struct mmuext_op *op)
{
    if ( risky )
        return;
    switch ( op->cmd )
    {
    case MMUEXT_NEW_BASEPTR:
        op->arg1.mfn = fz.l4_mfn;
        break;
    case MMUEXT_NEW_USER_BASEPTR:
        /* With VMASST m2p_strict this would hide the M2P from us. */
        if ( op->arg1.mfn == fz.l4_mfn )
            op->arg1.mfn = sacrificial_of(op->arg1.mfn);
        break;
    case MMUEXT_UNPIN_TABLE:
        if ( op->arg1.mfn == fz.l4_mfn )
            op->arg1.mfn = sacrificial_of(op->arg1.mfn);
        break;
    case MMUEXT_CLEAR_PAGE:
    case MMUEXT_COPY_PAGE:
        op->arg1.mfn = safe_frame(op->arg1.mfn);
        break;
    }
}

/*
 * Clamp a list's count so the walk stays in the arena, unless the list's
 * entries end exactly at the arena's end: then the walk goes on into the
 * guard page, whose entries (all ones) every list hypercall refuses and
 * whose results it cannot write back (read-only), so the hypervisor
 * stops there whatever the count, and the count is left as it is (the
 * huge-count shape; upper bits included).  The hypervisor reads it as
 * 32 bits; mmu_update and mmuext_op ignore bit 31 (their continuation
 * flag): a clamped count keeps it.
 */
static uint64_t fit_list(uint64_t p, uint64_t count, uint64_t elem,
                         bool flag31)
{
    uint64_t flag = flag31 ? count & 0x80000000 : 0;
    uint64_t n = count & (flag31 ? 0x7fffffff : 0xffffffff);

    if ( (fz.shapes & FZ_SHAPE_HUGE) && fz_in_arena(p, elem) &&
         (fz.arena + ARENA_SIZE - p) % elem == 0 )
        return count;
    return n > arena_fit(p, elem) ? flag | arena_fit(p, elem) :
                                    flag | n;
}

/* Number of entries of a list the hypervisor walks in the arena. */
static uint64_t list_len(uint64_t count, uint64_t p, uint64_t elem,
                         bool flag31)
{
    uint64_t n = count & (flag31 ? 0x7fffffff : 0xffffffff);

    return n < arena_fit(p, elem) ? n : arena_fit(p, elem);
}

static unsigned int fix_call(uint64_t *nr, uint64_t *a, unsigned int depth);

static unsigned int fix_mmu_update(uint64_t *a)
{
    struct mmu_update *u = seen(&a[0], sizeof(*u));
    uint64_t i, n;

    if ( !u )
        return 0;
    a[1] = fit_list(a[0], a[1], sizeof(*u), true);
    n = list_len(a[1], a[0], sizeof(*u), true);
    for ( i = 0; i < n; i++ )
        fix_mmu_req(&u[i]);
    return 0;
}

static unsigned int fix_mmuext_op(uint64_t *a)
{
    struct mmuext_op *op = seen(&a[0], sizeof(*op));
    uint64_t i, n;
    unsigned int r = 0;

    if ( !op )
        return 0;
    a[1] = fit_list(a[0], a[1], sizeof(*op), true);
    n = list_len(a[1], a[0], sizeof(*op), true);
    for ( i = 0; i < n; i++ )
    {
        if ( op[i].cmd == MMUEXT_SET_LDT )
            r |= FZ_R_LDT;
        fix_mmuext(&op[i]);
    }
    return r;
}

/* A reservation list: IN frames we give up, or an OUT list. */
static void fix_reservation(struct xen_memory_reservation *r, bool giving,
                            uint64_t start)
{
    uint64_t i, n, order, *list;

    r->nr_extents = clamp_out(&r->extent_start, r->nr_extents, 8);
    if ( !giving || risky || !fz_in_arena(r->extent_start, 8) )
        return;
    if ( r->extent_order > 18 )
        r->extent_order = 0;
    /* The list may overlap the structure: read it all first. */
    n = r->nr_extents;
    order = r->extent_order;
    list = (uint64_t *)r->extent_start;
    for ( i = start; i < n; i++ )
        if ( range_protected(list[i], 1UL << order) )
            list[i] = sacrificial_of(list[i]);
}

static unsigned int fix_memory_op(uint64_t *a)
{
    unsigned int op = a[0] & 0x3f;
    uint64_t start = a[0] >> 6;
    uint8_t *b = seen(&a[1], 96);
    uint64_t *w = (uint64_t *)b;
    uint16_t *s = (uint16_t *)b;

    if ( !b )
        return 0;
    switch ( op )
    {
    case XENMEM_increase_reservation:
    case XENMEM_populate_physmap:
        fix_reservation((void *)b, false, start);
        break;
    case XENMEM_decrease_reservation:
        fix_reservation((void *)b, true, start);
        break;
    case XENMEM_exchange:
        fix_reservation((void *)b, true, 0);
        fix_reservation((void *)(b + 32), false, 0);
        break;
    case 5:
    case 25:
        w[0] = clamp_out(&w[1], w[0] & 0xffffffff, 8);
        break;
    case XENMEM_memory_map:
    case XENMEM_machine_memory_map:
    case 13:
        w[0] = (w[0] & ~0xffffffffUL) |
               clamp_out(&w[1], w[0] & 0xffffffff, 20);
        break;
    case 23:
        s[2] = clamp_out(&w[3], s[2], 4);
        break;
    case 28:
        *(uint32_t *)(b + 8) = clamp_out(&w[3], *(uint32_t *)(b + 8), 8);
        break;
    }
    return 0;
}

static unsigned int fix_evtchn(uint32_t cmd, uint8_t *u)
{
    uint32_t *w = (uint32_t *)u;
    domid_t *d = (domid_t *)u;

    switch ( cmd )
    {
    case EVTCHNOP_close:
    case EVTCHNOP_bind_vcpu:
        if ( w[0] == fz.cons_port || w[0] == fz.timer_port )
            w[0] = 0x7fffffff;
        break;
    case EVTCHNOP_reset:
        if ( d[0] == DOMID_SELF || d[0] == fz.self )
            d[0] = 0;
        break;
    case EVTCHNOP_init_control:
    case EVTCHNOP_expand_array:
        *(uint64_t *)u = lasting_frame(*(uint64_t *)u);
        return FZ_R_FIFO;
    }
    return 0;
}

static unsigned int fix_evtchn_op(uint64_t *a)
{
    uint8_t *u = seen(&a[1], 24);

    return u ? fix_evtchn(a[0], u) : 0;
}

static unsigned int fix_evtchn_op_compat(uint64_t *a)
{
    uint8_t *b = seen(&a[0], 32);

    if ( !b )
        return 0;
    /* Whatever offset a hypervisor reads the union at: no risky ones. */
    switch ( *(uint32_t *)b )
    {
    case EVTCHNOP_close: case EVTCHNOP_bind_vcpu: case EVTCHNOP_reset:
    case EVTCHNOP_init_control: case EVTCHNOP_expand_array:
        *(uint32_t *)b = EVTCHNOP_status;
        break;
    }
    return 0;
}

static void fix_physdev(uint32_t cmd, uint8_t *u)
{
    if ( cmd == 17 || cmd == PHYSDEVOP_pirq_eoi_gmfn_v2 )
        *(uint64_t *)u = lasting_frame(*(uint64_t *)u);
}

static unsigned int fix_physdev_op(uint64_t *a)
{
    uint8_t *u = seen(&a[1], 16);

    if ( u )
        fix_physdev(a[0], u);
    return 0;
}

static unsigned int fix_physdev_op_compat(uint64_t *a)
{
    uint8_t *b = seen(&a[0], 24);

    if ( b )
    {
        uint32_t *cmd = (uint32_t *)b;

        if ( *cmd == 17 || *cmd == PHYSDEVOP_pirq_eoi_gmfn_v2 )
            *cmd = PHYSDEVOP_irq_status_query;
    }
    return 0;
}

static unsigned int fix_grant_elem(uint32_t cmd, uint8_t *e)
{
    uint64_t *w = (uint64_t *)e;
    uint32_t *h = (uint32_t *)e;
    uint16_t *s = (uint16_t *)e;

    switch ( cmd )
    {
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
        /* As a PTE address or as a VA: safe under both readings. */
        if ( !risky && !pt_entry_ok(w[0]) )
            w[0] = (fz.win_l1_mfn << 12) + (w[0] & 0xff8);
        w[0] = safe_target(w[0]);
        break;
    case GNTTABOP_unmap_and_replace:
        w[0] = safe_target(w[0]);
        w[1] = safe_target(w[1]);
        break;
    case GNTTABOP_setup_table:
        h[1] = clamp_out(&w[2], h[1], 8);
        break;
    case GNTTABOP_get_status_frames:
        h[0] = clamp_out(&w[1], h[0], 8);
        break;
    case GNTTABOP_transfer:
        w[0] = safe_frame(w[0]);
        break;
    case GNTTABOP_copy:
        if ( !(s[17] & GNTCOPY_dest_gref) )
            w[2] = safe_frame(w[2]);
        break;
    }
    return 0;
}

static unsigned int fix_grant_table_op(uint64_t *a)
{
    uint32_t cmd = a[0];
    unsigned int elem = grant_elem(cmd);
    uint8_t *e = seen(&a[1], elem);
    uint64_t i, n;

    if ( !e )
        return 0;
    a[2] = fit_list(a[1], a[2], elem, false);
    n = list_len(a[2], a[1], elem, false);
    for ( i = 0; i < n; i++ )
        if ( fz_in_arena(a[1] + i * elem, elem) )
            fix_grant_elem(cmd, e + i * elem);
    return 0;
}

static unsigned int fix_vcpu_op(uint64_t *a, unsigned int depth)
{
    uint32_t cmd = a[0], vcpu = a[1];
    uint64_t *w;

    switch ( cmd )
    {
    case VCPUOP_send_nmi:
        /* In a multicall it could meet a trap table being replaced. */
        if ( depth )
            a[0] = VCPUOP_is_up;
        break;
    case VCPUOP_down:
        if ( vcpu == 0 )
            a[1] = 1;
        break;
    case VCPUOP_up:
        if ( !risky )
            a[0] = VCPUOP_is_up;
        break;
    case VCPUOP_register_runstate_memory_area:
    case 13:
        w = seen(&a[2], 8);
        if ( w )
            w[0] = lasting_out(w[0], 64);
        break;
    case VCPUOP_register_vcpu_info:
        w = seen(&a[2], 16);
        if ( w )
            w[0] = lasting_frame(w[0]);
        break;
    }
    return FZ_R_EVENTS;
}

static unsigned int fix_sched(uint64_t *a, unsigned int depth, bool compat)
{
    uint32_t cmd = a[0];
    uint8_t *b;
    uint64_t now;

    if ( cmd == SCHEDOP_shutdown )
    {
        a[0] = SCHEDOP_yield;
        return 0;
    }
    if ( cmd == SCHEDOP_block )
    {
        if ( depth )
            a[0] = SCHEDOP_yield;
        return depth ? 0 : FZ_R_BLOCK | FZ_R_EVENTS;
    }
    if ( compat )
        return 0;
    switch ( cmd )
    {
    case SCHEDOP_poll:
        b = seen(&a[1], 24);
        if ( !b )
            break;
        now = xt_system_time();
        if ( ((uint64_t *)b)[2] == 0 || ((uint64_t *)b)[2] > now + 20000000 )
            ((uint64_t *)b)[2] = now + 1000000;
        break;
    case SCHEDOP_remote_shutdown:
        b = seen(&a[1], 8);
        if ( b && (*(domid_t *)b == DOMID_SELF || *(domid_t *)b == fz.self) )
            *(domid_t *)b = 0;
        break;
    case SCHEDOP_watchdog:
        b = seen(&a[1], 8);
        if ( b && ((uint32_t *)b)[0] == 0 &&
             ((uint32_t *)b)[1] < 1000000 )
            ((uint32_t *)b)[1] = 1000000;
        return FZ_R_WATCHDOG;
    }
    return 0;
}

/*
 * An NMI callback takes effect at once: registering one makes an NMI
 * pending when shared_info's nmi_reason is set (which the fuzzer may have
 * scribbled on).  Only our own NMI entry, then.
 */
static void fix_nmi_callback(uint64_t *a, bool nmi_op)
{
    uint64_t *w;

    if ( risky )
        return;
    if ( nmi_op )
    {
        if ( (uint32_t)a[0] == XENNMI_register_callback &&
             (w = seen(&a[1], 8)) )
            w[0] = xt_trap_entry(X86_EXC_NMI);
        return;
    }
    w = seen(&a[1], 16);
    if ( w && (uint32_t)a[0] == CALLBACKOP_register &&
         (uint16_t)w[0] == CALLBACKTYPE_nmi )
        w[1] = xt_trap_entry(X86_EXC_NMI);
}

static unsigned int fix_multicall(uint64_t *a, unsigned int depth)
{
    struct multicall_entry *m = seen(&a[0], sizeof(*m));
    uint64_t i, n;
    unsigned int r = 0;

    if ( !m )
        return 0;
    a[1] = fit_list(a[0], a[1], sizeof(*m), false);
    n = list_len(a[1], a[0], sizeof(*m), false);
    for ( i = 0; i < n; i++ )
    {
        if ( m[i].op == __HYPERVISOR_multicall && depth >= 1 )
            m[i].op = __HYPERVISOR_xen_version;
        r |= fix_call(&m[i].op, m[i].args, depth + 1);
    }
    return r;
}

/* The restore work every call of a number needs. */
static unsigned int restore_of(unsigned int nr)
{
    switch ( nr )
    {
    case __HYPERVISOR_set_trap_table:
        return FZ_R_TRAPS;
    case __HYPERVISOR_set_callbacks:
    case __HYPERVISOR_callback_op:
    case __HYPERVISOR_nmi_op:
        return FZ_R_CALLBACKS | FZ_R_TRAPS;
    case __HYPERVISOR_set_gdt:
        return FZ_R_GDT;
    case __HYPERVISOR_stack_switch:
        return FZ_R_STACK;
    case __HYPERVISOR_fpu_taskswitch:
        return FZ_R_FPU;
    case __HYPERVISOR_set_debugreg:
        return FZ_R_DEBUG;
    case __HYPERVISOR_set_segment_base:
        return FZ_R_SEGBASE;
    case __HYPERVISOR_event_channel_op:
    case __HYPERVISOR_event_channel_op_compat:
        return FZ_R_EVENTS;
    default:
        return 0;
    }
}

static unsigned int fix_call(uint64_t *nr, uint64_t *a, unsigned int depth)
{
    unsigned int r;

    if ( *nr == __HYPERVISOR_iret )
    {
        *nr = __HYPERVISOR_xen_version;
        a[0] = 0;
        return 0;
    }
    if ( *nr >= FZ_NR_HC )
        return 0;
    r = restore_of(*nr);
    switch ( *nr )
    {
    case __HYPERVISOR_mmu_update:
        return r | fix_mmu_update(a);
    case __HYPERVISOR_mmuext_op:
        return r | fix_mmuext_op(a);
    case __HYPERVISOR_update_va_mapping:
    case __HYPERVISOR_update_va_mapping_otherdomain:
        a[0] = safe_target(a[0]);
        a[1] = l1tf_safe(a[1]);
        if ( !risky && (a[1] & _PAGE_PRESENT) &&
             fz_mfn_protected((a[1] & PTE_MFN_MASK) >> 12) )
            a[1] &= ~_PAGE_RW;
        return r;
    case __HYPERVISOR_update_descriptor:
        if ( !risky )
            a[0] = (safe_frame(a[0] >> 12) << 12) | (a[0] & 0xfff);
        return r;
    case __HYPERVISOR_memory_op:
        return r | fix_memory_op(a);
    case __HYPERVISOR_multicall:
        return r | fix_multicall(a, depth);
    case __HYPERVISOR_grant_table_op:
        return r | fix_grant_table_op(a);
    case __HYPERVISOR_event_channel_op:
        return r | fix_evtchn_op(a);
    case __HYPERVISOR_event_channel_op_compat:
        return r | fix_evtchn_op_compat(a);
    case __HYPERVISOR_physdev_op:
        return r | fix_physdev_op(a);
    case __HYPERVISOR_physdev_op_compat:
        return r | fix_physdev_op_compat(a);
    case __HYPERVISOR_vcpu_op:
        return r | fix_vcpu_op(a, depth);
    case __HYPERVISOR_sched_op:
        return r | fix_sched(a, depth, false);
    case __HYPERVISOR_sched_op_compat:
        return r | fix_sched(a, depth, true);
    case __HYPERVISOR_xen_version:
        a[1] = safe_out(a[1], 1024);
        return r;
    case __HYPERVISOR_nmi_op:
    case __HYPERVISOR_callback_op:
        fix_nmi_callback(a, *nr == __HYPERVISOR_nmi_op);
        return r;
    default:
        return r;
    }
}

unsigned int fz_sanitize(struct fz_call *c)
{
    uint64_t nr = c->nr;
    unsigned int r;

    risky = c->risky;
    r = fix_call(&nr, c->a, 0);
    c->nr = nr;
    return r;
}
