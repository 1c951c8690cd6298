/*
 * Unit tests: hypervisor/common/grant_table.c, grant tables v1 and v2
 * (status frames, sub-page and transitive grants), over the
 * real page-type state machine (page_types.c) and buddy allocator, with
 * the arch hooks mocked: a table of host "PTEs" stands in for the page
 * tables, guest memory is host memory (with a faulting page and the
 * hypervisor hole refused), and the TLB flush records what the frame's
 * references were when it happened. Every refusal is checked to change
 * nothing: frame references, shared entries and PTEs.
 */
#include <stdlib.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/errno.h>
#include <xenia/page_bits.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include <xenia/guest_access.h>
#include <xenia/grant_table.h>
#include <xenia/unhandled.h>
#include <public/grant_table.h>

#define NR          512
#define P           _PAGE_PRESENT
#define RW          _PAGE_RW

struct page_info *frame_table;
unsigned long max_page = NR;
struct frame_allocator heap;

static struct page_info frames[NR];
static uint64_t mem[NR][512] __attribute__((aligned(4096)));
static struct domain dom0 = { .domain_id = 0, .is_privileged = true };
static struct domain dom1 = { .domain_id = 1 };
static struct domain dom2 = { .domain_id = 2 };

/* ---- Mocks: page types' hooks ---- */

void *arch_frame_ptr(unsigned long mfn) { return mem[mfn]; }
void arch_flush_tlb(void) { }
uint64_t arch_hv_l4_entry(unsigned int slot) { return 0; }
uint64_t arch_nx_mask(void) { return _PAGE_NX; }
bool arch_iomem_permitted(unsigned long mfn) { return false; }
void arch_free_domain_frame(unsigned long mfn)
{
    assert_int_equal(falloc_free(&heap, mfn, 0), 0);
}

static struct domain *live[3];

/* The first-use log: the tests only count what was reported. */
static unsigned int nr_unhandled;

void report_unhandled(enum unhandled_kind kind, const char *family,
                      uint64_t id, const char *detail)
{
    nr_unhandled++;
}

struct domain *domain_by_id(domid_t id)
{
    return id < 3 ? live[id] : NULL;
}

/* ---- Mocks: hypervisor memory ---- */

long heap_alloc(unsigned int order)
{
    return falloc_alloc(&heap, order);
}

void *alloc_xenheap_pages(unsigned int order)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);

    if ( p )
        memset(p, 0, PAGE_SIZE << order);
    return p;
}

void free_xenheap_pages(void *va, unsigned int order)
{
    free(va);
}

/* ---- Mocks: guest memory ---- */

#define HOLE_START  0xffff800000000000UL
#define HOLE_END    0xffff880000000000UL
/* Guest memory whose second page faults. */
static uint8_t gmem[2][PAGE_SIZE] __attribute__((aligned(4096)));
#define fault_page  (gmem[1])
#define FAULTY      ((vaddr_t)fault_page)

bool guest_range_ok(vaddr_t va, size_t len)
{
    vaddr_t last = va + len - 1;

    if ( !len )
        return true;
    return last >= va && (last < HOLE_START || va >= HOLE_END);
}

static bool faults(vaddr_t va, size_t len)
{
    return va < FAULTY + PAGE_SIZE && va + len > FAULTY;
}

int copy_from_guest(void *dst, vaddr_t src, size_t len)
{
    if ( !guest_range_ok(src, len) || faults(src, len) )
        return -EFAULT;
    memcpy(dst, (void *)src, len);
    return 0;
}

int copy_to_guest(vaddr_t dst, const void *src, size_t len)
{
    if ( !guest_range_ok(dst, len) || faults(dst, len) )
        return -EFAULT;
    memcpy((void *)dst, src, len);
    return 0;
}

/* ---- Mocks: hypercall preemption (never preempts on the host) ---- */

bool hypercall_preempt_check(void) { return false; }
long hypercall_create_continuation(unsigned long op, unsigned int nargs,
                                   const unsigned long a[6])
{
    fail_msg("unexpected continuation of hypercall %lu", op);
    return op;
}

/* ---- Mocks: TLB flush and host PTEs ---- */

static unsigned int flushes;
static unsigned long watch_mfn;            /* frame whose refs a flush notes */
static uint32_t count_at_flush, types_at_flush;

void flush_tlb_domain(struct domain *d)
{
    flushes++;
    count_at_flush = frames[watch_mfn].count_info;
    types_at_flush = frames[watch_mfn].type_info & PGT_count_mask;
}

#define NPTE        1024
#define VA(i)       (0x10000000UL + (uint64_t)(i) * PAGE_SIZE)
#define NO_L1       0x7000UL                /* an address with no L1 table */

static struct pte {
    bool present;
    domid_t dom;
    uint64_t addr;
    unsigned long mfn;
    unsigned int flags;
} ptes[NPTE];

static struct pte *pte_at(domid_t dom, uint64_t addr)
{
    unsigned int i;

    for ( i = 0; i < NPTE; i++ )
        if ( ptes[i].present && ptes[i].dom == dom && ptes[i].addr == addr )
            return &ptes[i];
    return NULL;
}

int arch_gnttab_create_host_mapping(struct domain *ld, uint64_t addr,
                                    unsigned long frame, unsigned int flags,
                                    uint64_t *pte_maddr)
{
    unsigned int i;

    if ( addr == NO_L1 )
        return GNTST_general_error;
    assert_null(pte_at(ld->domain_id, addr));
    for ( i = 0; ptes[i].present; i++ )
        assert_true(i + 1 < NPTE);
    ptes[i] = (struct pte){ true, ld->domain_id, addr, frame, flags };
    *pte_maddr = addr;
    return GNTST_okay;
}

static bool pte_matches(const struct pte *p, unsigned long frame, unsigned int flags)
{
    return p && p->mfn == frame &&
           (p->flags & GNTMAP_readonly) == (flags & GNTMAP_readonly);
}

/* With new_addr, the PTE there (if any) moves to addr. */
int arch_gnttab_replace_host_mapping(struct domain *ld, uint64_t addr,
                                     unsigned long frame, unsigned int flags,
                                     uint64_t new_addr)
{
    struct pte *p = pte_at(ld->domain_id, addr);
    struct pte *n = new_addr ? pte_at(ld->domain_id, new_addr) : NULL;

    if ( !pte_matches(p, frame, flags) ||
         (new_addr && (flags & GNTMAP_contains_pte)) )
        return GNTST_general_error;
    p->present = false;
    if ( n )
        n->addr = addr;
    return GNTST_okay;
}

bool arch_gnttab_release_host_mapping(struct domain *d, uint64_t pte_maddr,
                                      unsigned long frame, unsigned int flags)
{
    struct pte *p = pte_at(d->domain_id, pte_maddr);

    if ( !pte_matches(p, frame, flags) )
        return false;
    p->present = false;
    return true;
}

static unsigned int nr_ptes(void)
{
    unsigned int i, n = 0;

    for ( i = 0; i < NPTE; i++ )
        n += ptes[i].present;
    return n;
}

/* ---- Helpers ---- */

static unsigned long new_frame(const struct domain *d)
{
    long m = falloc_alloc(&heap, 0);

    assert_true(m >= 0);
    memset(mem[m], 0, PAGE_SIZE);
    frames[m].owner = d->domain_id;
    frames[m].count_info = 1;
    return m;
}

static uint32_t tcount(unsigned long m)
{
    return frames[m].type_info & PGT_count_mask;
}

static long op(struct domain *d, unsigned int cmd, void *arg,
               unsigned int count)
{
    return gnttab_op(d, cmd, (vaddr_t)arg, count);
}

static int16_t setup(struct domain *caller, domid_t dom, unsigned int nr,
                     xen_pfn_t *list)
{
    gnttab_setup_table_t s = { .dom = dom, .nr_frames = nr, .status = 99 };

    set_xen_guest_handle(s.frame_list, list);
    assert_int_equal(op(caller, GNTTABOP_setup_table, &s, 1), 0);
    return s.status;
}

/* The shared v1 entry ref of d's table (which has the frames it needs). */
static grant_entry_v1_t *entry(struct domain *d, grant_ref_t ref)
{
    xen_pfn_t f[GNTTAB_MAX_FRAMES];
    unsigned int need = ref / 512 + 1;

    assert_int_equal(setup(d, DOMID_SELF, need, f), GNTST_okay);
    return (grant_entry_v1_t *)mem[f[ref / 512]] + ref % 512;
}

static void grant(struct domain *d, grant_ref_t ref, domid_t to,
                  unsigned long mfn, uint16_t flags)
{
    grant_entry_v1_t *e = entry(d, ref);

    e->frame = mfn;
    e->domid = to;
    e->flags = flags;
}

static gnttab_map_grant_ref_t map(struct domain *ld, domid_t dom,
                                  grant_ref_t ref, uint32_t flags,
                                  uint64_t addr)
{
    gnttab_map_grant_ref_t m = {
        .host_addr = addr, .flags = flags, .ref = ref, .dom = dom,
        .status = 99, .handle = ~0u,
    };

    assert_int_equal(op(ld, GNTTABOP_map_grant_ref, &m, 1), 0);
    return m;
}

static int16_t unmap(struct domain *ld, grant_handle_t h, uint64_t addr,
                     uint64_t dev)
{
    gnttab_unmap_grant_ref_t u = {
        .host_addr = addr, .dev_bus_addr = dev, .handle = h, .status = 99,
    };

    assert_int_equal(op(ld, GNTTABOP_unmap_grant_ref, &u, 1), 0);
    return u.status;
}

/* What a refusal must leave alone. */
struct snapshot {
    struct page_info frames[NR];
    struct pte ptes[NPTE];
    uint64_t shared[3][512];
};
static struct snapshot snap;

static void snap_take(void)
{
    unsigned int i;

    memcpy(snap.frames, frames, sizeof(frames));
    memcpy(snap.ptes, ptes, sizeof(ptes));
    for ( i = 0; i < 3; i++ )
        memcpy(snap.shared[i], entry(live[i], 0), PAGE_SIZE);
}

/* A type with no references left is no state: any type may follow. */
static uint32_t live_type(uint32_t t)
{
    return (t & PGT_count_mask) ? t : 0;
}

static void snap_same(void)
{
    unsigned int i;

    for ( i = 0; i < NR; i++ )
    {
        assert_int_equal(snap.frames[i].count_info, frames[i].count_info);
        assert_int_equal(live_type(snap.frames[i].type_info),
                         live_type(frames[i].type_info));
        assert_int_equal(snap.frames[i].owner, frames[i].owner);
        assert_int_equal(snap.frames[i].state, frames[i].state);
    }
    assert_memory_equal(snap.ptes, ptes, sizeof(ptes));
    for ( i = 0; i < 3; i++ )
        assert_memory_equal(snap.shared[i], entry(live[i], 0), PAGE_SIZE);
}

/* A granter revoking as Linux does: never while the entry is in use. */
static bool revoke(grant_entry_v1_t *e)
{
    uint16_t f = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

    do {
        if ( f & (GTF_reading | GTF_writing) )
            return false;
    } while ( !__atomic_compare_exchange_n(&e->flags, &f, 0, false,
                                           __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE) );
    return true;
}

static int setup_test(void **state)
{
    unsigned int i;

    (void)state;
    memset(frames, 0, sizeof(frames));
    memset(ptes, 0, sizeof(ptes));
    frame_table = frames;
    falloc_init(&heap, frames, NR);
    falloc_add_range(&heap, 1, NR - 1);
    live[0] = &dom0;
    live[1] = &dom1;
    live[2] = &dom2;
    for ( i = 0; i < 3; i++ )
    {
        live[i]->grant_table = NULL;
        assert_int_equal(gnttab_domain_init(live[i]), 0);
    }
    flushes = 0;
    watch_mfn = 0;
    return 0;
}

/* Every test ends with all domains released: no frame of theirs stays. */
static int teardown_test(void **state)
{
    unsigned int i;

    (void)state;
    for ( i = 0; i < 3; i++ )
        gnttab_domain_release(live[i]);
    for ( i = 0; i < 3; i++ )
        assert_null(live[i]->grant_table);
    return 0;
}

/* ---- Tests ---- */

static void test_table_frames(void **state)
{
    gnttab_query_size_t q = { .dom = DOMID_SELF };
    xen_pfn_t f[4];
    unsigned long m;

    (void)state;
    assert_int_equal(op(&dom1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, 64);

    /* Owned by the domain, with a permanent writable type reference. */
    assert_int_equal(setup(&dom1, DOMID_SELF, 1, f), GNTST_okay);
    m = f[0];
    assert_int_equal(frames[m].owner, 1);
    assert_int_equal(frames[m].count_info, 1);
    assert_int_equal(frames[m].type_info & PGT_type_mask, PGT_writable_page);
    assert_int_equal(tcount(m), 1);
    /* So the owner maps it writable, and can never make it a table. */
    assert_int_equal(get_page_and_type(m, &dom1, PGT_writable_page), 0);
    put_page_and_type(&frames[m]);
    assert_int_equal(pv_pin_table(&dom1, m, PGT_l1_page_table), -EINVAL);
    assert_int_equal(get_page_and_type(m, &dom2, PGT_writable_page),
                     -EINVAL);

    /* Grows on request, keeps the frames it had. */
    assert_int_equal(setup(&dom1, 1, 4, f), GNTST_okay);
    assert_int_equal(f[0], m);
    assert_true(f[1] != f[2] && f[2] != f[3] && f[1] != m);
    assert_int_equal(frames[f[3]].owner, 1);
    assert_int_equal(op(&dom1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.nr_frames, 4);
    /* A smaller request does not shrink it. */
    assert_int_equal(setup(&dom1, DOMID_SELF, 2, f), GNTST_okay);
    assert_int_equal(op(&dom1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.nr_frames, 4);
}

static void test_setup_refusals(void **state)
{
    xen_pfn_t f[65];
    gnttab_setup_table_t s = { .dom = DOMID_SELF, .nr_frames = 1 };
    gnttab_query_size_t q = { .dom = 2 };
    unsigned long free_before;

    (void)state;
    free_before = falloc_free_pages(&heap);
    assert_int_equal(setup(&dom1, DOMID_SELF, 65, f), GNTST_general_error);
    assert_int_equal(setup(&dom1, 7, 1, f), GNTST_bad_domain);
    assert_int_equal(setup(&dom1, DOMID_FIRST_RESERVED + 1, 1, f),
                     GNTST_bad_domain);
    assert_int_equal(setup(&dom1, 2, 1, f), GNTST_permission_denied);
    assert_int_equal(falloc_free_pages(&heap), free_before);
    /* The privileged domain may set up another's table. */
    assert_int_equal(setup(&dom0, 2, 3, f), GNTST_okay);
    assert_int_equal(frames[f[2]].owner, 2);

    set_xen_guest_handle(s.frame_list, f);
    assert_int_equal(op(&dom1, GNTTABOP_setup_table, &s, 2), -EINVAL);
    assert_int_equal(op(&dom1, GNTTABOP_setup_table, fault_page, 1),
                     -EFAULT);
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)HOLE_START);
    assert_int_equal(op(&dom1, GNTTABOP_setup_table, &s, 1), -EFAULT);
    /* A list that faults while written: per-op status. */
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)fault_page);
    s.status = 99;
    assert_int_equal(op(&dom1, GNTTABOP_setup_table, &s, 1), 0);
    assert_int_equal(s.status, GNTST_bad_virt_addr);

    assert_int_equal(op(&dom1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_permission_denied);
    q.dom = 9;
    assert_int_equal(op(&dom1, GNTTABOP_query_size, &q, 1), 0);
    assert_int_equal(q.status, GNTST_bad_domain);
    assert_int_equal(op(&dom1, GNTTABOP_query_size, &q, 0), -EINVAL);
}

static void test_versions(void **state)
{
    gnttab_set_version_t sv = { 1 };
    gnttab_get_version_t gv = { .dom = DOMID_SELF };

    (void)state;
    assert_int_equal(op(&dom1, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 1);
    /* Limited to v1 (createdomain's grant_opts): v2 is -ENOSYS. */
    gnttab_set_max_version(&dom1, 1);
    sv.version = 2;
    assert_int_equal(op(&dom1, GNTTABOP_set_version, &sv, 1), -ENOSYS);
    assert_int_equal(sv.version, 1);
    gnttab_set_max_version(&dom1, 2);
    sv.version = 3;
    assert_int_equal(op(&dom1, GNTTABOP_set_version, &sv, 1), -EINVAL);
    assert_int_equal(sv.version, 1);
    assert_int_equal(op(&dom1, GNTTABOP_set_version, fault_page, 1),
                     -EFAULT);

    assert_int_equal(op(&dom1, GNTTABOP_get_version, &gv, 1), 0);
    assert_int_equal(gv.version, 1);
    gv.dom = 2;
    assert_int_equal(op(&dom1, GNTTABOP_get_version, &gv, 1), -EPERM);
    assert_int_equal(op(&dom0, GNTTABOP_get_version, &gv, 1), 0);
    gv.dom = 5;
    assert_int_equal(op(&dom0, GNTTABOP_get_version, &gv, 1), -ESRCH);

    /* To v2 and back: status frames come and go. */
    sv.version = 2;
    assert_int_equal(op(&dom1, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 2);
    gv.dom = 1;
    assert_int_equal(op(&dom0, GNTTABOP_get_version, &gv, 1), 0);
    assert_int_equal(gv.version, 2);
    sv.version = 1;
    assert_int_equal(op(&dom1, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 1);
}

/* v2 helpers: dom d is switched to v2; its entry ref. */
static void to_v2(struct domain *d)
{
    gnttab_set_version_t sv = { 2 };

    assert_int_equal(op(d, GNTTABOP_set_version, &sv, 1), 0);
    assert_int_equal(sv.version, 2);
}

static grant_entry_v2_t *entry2(struct domain *d, grant_ref_t ref)
{
    xen_pfn_t f[GNTTAB_MAX_FRAMES];

    assert_int_equal(setup(d, DOMID_SELF, ref / 256 + 1, f), GNTST_okay);
    return (grant_entry_v2_t *)mem[f[ref / 256]] + ref % 256;
}

static uint16_t *status2(struct domain *d, grant_ref_t ref)
{
    uint64_t fl[8];
    gnttab_get_status_frames_t g = { .nr_frames = 1, .dom = DOMID_SELF };

    set_xen_guest_handle(g.frame_list, fl);
    assert_int_equal(op(d, GNTTABOP_get_status_frames, &g, 1), 0);
    assert_int_equal(g.status, GNTST_okay);
    return (uint16_t *)mem[fl[0]] + ref;
}

static void transitive(struct domain *d, grant_ref_t ref, domid_t to,
                       domid_t tdom, grant_ref_t tref)
{
    grant_entry_v2_t *e = entry2(d, ref);

    e->transitive.trans_domid = tdom;
    e->transitive.gref = tref;
    e->hdr.domid = to;
    e->hdr.flags = GTF_transitive;
}

static int16_t copy_from(struct domain *ld, domid_t dom, grant_ref_t ref,
                         uint16_t off, uint16_t len, unsigned long to)
{
    gnttab_copy_t c = {
        .source = { .u.ref = ref, .domid = dom, .offset = off },
        .dest = { .u.gmfn = to, .domid = DOMID_SELF, .offset = off },
        .len = len, .flags = GNTCOPY_source_gref, .status = 99,
    };

    assert_int_equal(op(ld, GNTTABOP_copy, &c, 1), 0);
    return c.status;
}

static void test_v2_transitive(void **state)
{
    unsigned long f = new_frame(&dom2), mine = new_frame(&dom0);
    grant_entry_v2_t *e;
    gnttab_map_grant_ref_t m;

    (void)state;
    to_v2(&dom1);
    to_v2(&dom2);
    memset(mem[f], 0x77, PAGE_SIZE);

    /* dom2 grants f to dom1, which passes it on to dom0: copy works. */
    e = entry2(&dom2, 12);
    e->full_page.frame = f;
    e->hdr.domid = 1;
    e->hdr.flags = GTF_permit_access;
    transitive(&dom1, 13, 0, 2, 12);
    assert_int_equal(copy_from(&dom0, 1, 13, 8, 32, mine), GNTST_okay);
    assert_int_equal(((uint8_t *)mem[mine])[8], 0x77);
    assert_int_equal(((uint8_t *)mem[mine])[7], 0);
    assert_int_equal(*status2(&dom1, 13), 0);
    assert_int_equal(*status2(&dom2, 12), 0);
    assert_int_equal(frames[f].count_info, 1);
    /* Copy only: a map of it fails and leaves nothing behind. */
    m = map(&dom0, 1, 13, GNTMAP_host_map, VA(1));
    assert_int_not_equal(m.status, GNTST_okay);
    assert_int_equal(*status2(&dom1, 13), 0);
    assert_int_equal(frames[f].count_info, 1);

    /* A loop dom1:10 -> dom2:11 -> dom1:10 ends at the second step. */
    transitive(&dom1, 10, 0, 2, 11);
    transitive(&dom2, 11, 1, 1, 10);
    assert_int_equal(copy_from(&dom0, 1, 10, 0, 8, mine),
                     GNTST_general_error);
    assert_int_equal(*status2(&dom1, 10), 0);
    assert_int_equal(*status2(&dom2, 11), 0);
    /* Self-reference and an unknown domain. */
    transitive(&dom1, 14, 0, 1, 13);
    assert_int_equal(copy_from(&dom0, 1, 14, 0, 8, mine),
                     GNTST_general_error);
    transitive(&dom1, 15, 0, 9, 13);
    assert_int_equal(copy_from(&dom0, 1, 15, 0, 8, mine),
                     GNTST_general_error);
    assert_int_equal(*status2(&dom1, 14), 0);
    assert_int_equal(*status2(&dom1, 15), 0);
}

/* gnttab= on the command line: max-ver and transitive. */
static void test_option(void **state)
{
    unsigned long f = new_frame(&dom2), mine = new_frame(&dom0);
    gnttab_set_version_t sv = { 2 };
    grant_entry_v2_t *e;

    (void)state;
    assert_int_equal(gnttab_max_version(), 2);
    assert_int_equal(gnttab_parse_option("max-ver:1"), 0);
    assert_int_equal(gnttab_max_version(), 1);
    /* A table made now is limited to v1. */
    gnttab_domain_release(&dom1);
    assert_int_equal(gnttab_domain_init(&dom1), 0);
    assert_int_equal(op(&dom1, GNTTABOP_set_version, &sv, 1), -ENOSYS);
    assert_int_equal(sv.version, 1);
    /* Bad elements: -EINVAL, the good ones still apply (as Xen). */
    assert_int_equal(gnttab_parse_option("max-ver:3"), -EINVAL);
    assert_int_equal(gnttab_parse_option("max-ver:0"), -EINVAL);
    assert_int_equal(gnttab_parse_option("max-ver:"), -EINVAL);
    assert_int_equal(gnttab_parse_option(""), -EINVAL);
    assert_int_equal(gnttab_parse_option("transitive=maybe"), -EINVAL);
    assert_int_equal(gnttab_max_version(), 1);
    assert_int_equal(gnttab_parse_option("bogus,max_ver:2"), -EINVAL);
    assert_int_equal(gnttab_max_version(), 2);

    /* no-transitive: a copy through a transitive grant is refused. */
    assert_int_equal(gnttab_parse_option("max-ver:2,no-transitive"), 0);
    gnttab_domain_release(&dom1);
    assert_int_equal(gnttab_domain_init(&dom1), 0);
    to_v2(&dom1);
    to_v2(&dom2);
    e = entry2(&dom2, 12);
    e->full_page.frame = f;
    e->hdr.domid = 1;
    e->hdr.flags = GTF_permit_access;
    transitive(&dom1, 13, 0, 2, 12);
    assert_int_equal(copy_from(&dom0, 1, 13, 0, 8, mine),
                     GNTST_general_error);
    assert_int_equal(*status2(&dom1, 13), 0);
    assert_int_equal(gnttab_parse_option("transitive=yes"), 0);
    assert_int_equal(copy_from(&dom0, 1, 13, 0, 8, mine), GNTST_okay);
    assert_int_equal(gnttab_parse_option("max-ver:2,transitive"), 0);
}

static void test_v2_sub_page(void **state)
{
    unsigned long f = new_frame(&dom1), mine = new_frame(&dom0);
    grant_entry_v2_t *e;
    gnttab_map_grant_ref_t m;

    (void)state;
    to_v2(&dom1);
    memset(mem[f], 0x33, PAGE_SIZE);
    e = entry2(&dom1, 20);
    e->sub_page.frame = f;
    e->sub_page.page_off = 100;
    e->sub_page.length = 50;
    e->hdr.domid = 0;
    e->hdr.flags = GTF_permit_access | GTF_sub_page;
    assert_int_equal(copy_from(&dom0, 1, 20, 100, 50, mine), GNTST_okay);
    assert_int_equal(copy_from(&dom0, 1, 20, 99, 8, mine),
                     GNTST_general_error);
    assert_int_equal(copy_from(&dom0, 1, 20, 140, 11, mine),
                     GNTST_general_error);
    assert_int_equal(copy_from(&dom0, 1, 20, 4090, 16, mine),
                     GNTST_bad_copy_arg);
    m = map(&dom0, 1, 20, GNTMAP_host_map, VA(2));
    assert_int_equal(m.status, GNTST_general_error);
    /* In use: v2 marks go to the status word, never to the entry. */
    e = entry2(&dom1, 21);
    e->full_page.frame = f;
    e->hdr.domid = 0;
    e->hdr.flags = GTF_permit_access;
    m = map(&dom0, 1, 21, GNTMAP_host_map, VA(3));
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(*status2(&dom1, 21), GTF_reading | GTF_writing);
    assert_int_equal(e->hdr.flags, GTF_permit_access);
    assert_int_equal(unmap(&dom0, m.handle, VA(3), 0), GNTST_okay);
    assert_int_equal(*status2(&dom1, 21), 0);
    assert_int_equal(frames[f].count_info, 1);
}

static void test_map_unmap_rw(void **state)
{
    unsigned long f = new_frame(&dom1);
    grant_entry_v1_t *e;
    gnttab_map_grant_ref_t m;

    (void)state;
    grant(&dom1, 10, 2, f, GTF_permit_access);
    e = entry(&dom1, 10);
    m = map(&dom2, 1, 10, GNTMAP_host_map, VA(0));
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(m.dev_bus_addr, (uint64_t)f << PAGE_SHIFT);
    assert_int_equal(e->flags, GTF_permit_access | GTF_reading | GTF_writing);
    /* One general and one writable type reference, held by the PTE. */
    assert_int_equal(frames[f].count_info, 2);
    assert_int_equal(tcount(f), 1);
    assert_int_equal(frames[f].type_info & PGT_type_mask, PGT_writable_page);
    assert_non_null(pte_at(2, VA(0)));
    assert_int_equal(pte_at(2, VA(0))->mfn, f);
    /* In use: the frame cannot become a page table of the granter. */
    assert_int_equal(pv_pin_table(&dom1, f, PGT_l1_page_table), -EINVAL);

    watch_mfn = f;
    assert_int_equal(unmap(&dom2, m.handle, VA(0), 0), GNTST_okay);
    /* The flush came while the references were still held. */
    assert_int_equal(flushes, 1);
    assert_int_equal(count_at_flush, 2);
    assert_int_equal(types_at_flush, 1);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(tcount(f), 0);
    assert_int_equal(e->flags, GTF_permit_access);
    assert_null(pte_at(2, VA(0)));
    /* Twice: the handle is gone. */
    snap_take();
    assert_int_equal(unmap(&dom2, m.handle, VA(0), 0), GNTST_bad_handle);
    snap_same();
}

static void test_map_readonly(void **state)
{
    unsigned long f = new_frame(&dom1);
    grant_entry_v1_t *e;
    gnttab_map_grant_ref_t m;

    (void)state;
    grant(&dom1, 3, 2, f, GTF_permit_access | GTF_readonly);
    e = entry(&dom1, 3);
    m = map(&dom2, 1, 3, GNTMAP_host_map | GNTMAP_readonly, VA(1));
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(e->flags, GTF_permit_access | GTF_readonly | GTF_reading);
    assert_int_equal(frames[f].count_info, 2);
    assert_int_equal(tcount(f), 0);
    /* A read-only mapping does not stop the granter using it as a table. */
    assert_int_equal(pv_pin_table(&dom1, f, PGT_l1_page_table), 0);
    assert_int_equal(pv_unpin_table(&dom1, f), 0);
    /* The unmap must name the read-only mapping it made. */
    assert_int_equal(unmap(&dom2, m.handle, VA(1), 0), GNTST_okay);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(e->flags, GTF_permit_access | GTF_readonly);
}

static void test_map_refusals_change_nothing(void **state)
{
    unsigned long f = new_frame(&dom1), theirs = new_frame(&dom2);
    unsigned long table = new_frame(&dom1);

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);                   /* good */
    grant(&dom1, 2, 0, f, GTF_permit_access);                   /* dom0 */
    grant(&dom1, 3, 2, f, 0);                                   /* invalid */
    grant(&dom1, 4, 2, f, GTF_accept_transfer);
    grant(&dom1, 5, 2, f, GTF_permit_access | GTF_readonly);
    grant(&dom1, 6, 2, theirs, GTF_permit_access);              /* not dom1's */
    grant(&dom1, 7, 2, NR + 5, GTF_permit_access);              /* no frame */
    grant(&dom1, 8, 2, f, GTF_permit_access | GTF_sub_page);
    grant(&dom1, 9, 2, table, GTF_permit_access);               /* a table */
    assert_int_equal(pv_pin_table(&dom1, table, PGT_l1_page_table), 0);
    snap_take();

#define REFUSED(dom, ref, flags, addr, code)                               \
    do {                                                                   \
        gnttab_map_grant_ref_t m_ = map(&dom2, dom, ref, flags, addr);     \
        assert_int_equal(m_.status, code);                                 \
        snap_same();                                                       \
    } while ( 0 )

    REFUSED(1, 2, GNTMAP_host_map, VA(0), GNTST_general_error);  /* domid */
    REFUSED(1, 3, GNTMAP_host_map, VA(0), GNTST_general_error);  /* permit */
    REFUSED(1, 4, GNTMAP_host_map, VA(0), GNTST_general_error);
    REFUSED(1, 5, GNTMAP_host_map, VA(0), GNTST_general_error);  /* RO->RW */
    REFUSED(1, 6, GNTMAP_host_map, VA(0), GNTST_bad_page);
    REFUSED(1, 6, GNTMAP_host_map | GNTMAP_readonly, VA(0), GNTST_bad_page);
    REFUSED(1, 7, GNTMAP_host_map, VA(0), GNTST_bad_page);
    REFUSED(1, 8, GNTMAP_host_map, VA(0), GNTST_general_error);  /* sub-page */
    REFUSED(1, 9, GNTMAP_host_map, VA(0), GNTST_general_error);  /* RW table */
    REFUSED(1, 512, GNTMAP_host_map, VA(0), GNTST_bad_gntref);   /* 1 frame */
    REFUSED(1, ~0u, GNTMAP_host_map, VA(0), GNTST_bad_gntref);
    REFUSED(1, 1, 0, VA(0), GNTST_bad_gntref);                   /* no kind */
    REFUSED(1, 1, GNTMAP_readonly, VA(0), GNTST_bad_gntref);
    REFUSED(7, 1, GNTMAP_host_map, VA(0), GNTST_bad_domain);
    REFUSED(DOMID_SELF, 1, GNTMAP_host_map, VA(0), GNTST_bad_domain);
    REFUSED(1, 1, GNTMAP_host_map, NO_L1, GNTST_general_error);  /* no PTE */
    REFUSED(1, 1, GNTMAP_host_map | GNTMAP_readonly, NO_L1,
            GNTST_general_error);
#undef REFUSED

    /* After all that, the good grant still maps. */
    assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map, VA(0)).status,
                     GNTST_okay);
    /* A read-only map of the table frame is fine. */
    assert_int_equal(map(&dom2, 1, 9, GNTMAP_host_map | GNTMAP_readonly,
                         VA(1)).status, GNTST_okay);
    assert_int_equal(pv_unpin_table(&dom1, table), 0);
}

static void test_unmap_refusals_change_nothing(void **state)
{
    unsigned long f = new_frame(&dom1);
    gnttab_map_grant_ref_t m;

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);
    m = map(&dom2, 1, 1, GNTMAP_host_map | GNTMAP_device_map, VA(0));
    assert_int_equal(m.status, GNTST_okay);
    snap_take();
    assert_int_equal(unmap(&dom2, 9999, VA(0), 0), GNTST_bad_handle);
    assert_int_equal(unmap(&dom2, m.handle + 1, VA(0), 0), GNTST_bad_handle);
    assert_int_equal(unmap(&dom1, m.handle, VA(0), 0), GNTST_bad_handle);
    assert_int_equal(unmap(&dom2, m.handle, VA(5), 0), GNTST_general_error);
    assert_int_equal(unmap(&dom2, m.handle, VA(0), m.dev_bus_addr + 4096),
                     GNTST_bad_dev_addr);
    /* Neither address: nothing undone, yet not an error (as Xen). */
    assert_int_equal(unmap(&dom2, m.handle, 0, 0), GNTST_okay);
    snap_same();
    assert_int_equal(flushes, 0);
}

static void test_revoke_while_mapped(void **state)
{
    unsigned long f = new_frame(&dom1);
    grant_entry_v1_t *e;
    gnttab_map_grant_ref_t ro, rw, ro2;

    (void)state;
    grant(&dom1, 20, 2, f, GTF_permit_access);
    e = entry(&dom1, 20);
    ro = map(&dom2, 1, 20, GNTMAP_host_map | GNTMAP_readonly, VA(0));
    assert_int_equal(ro.status, GNTST_okay);
    assert_false(revoke(e));
    rw = map(&dom2, 1, 20, GNTMAP_host_map, VA(1));
    assert_int_equal(rw.status, GNTST_okay);
    assert_int_equal(e->flags, GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(frames[f].count_info, 3);
    assert_int_equal(tcount(f), 1);
    assert_false(revoke(e));
    assert_int_equal(unmap(&dom2, rw.handle, VA(1), 0), GNTST_okay);
    assert_int_equal(e->flags, GTF_permit_access | GTF_reading);
    assert_false(revoke(e));

    /*
     * A granter ignoring the protocol changes nothing for the pins: the
     * mapping stays, and so does the pinned frame for its grantee.
     */
    e->flags = 0;
    ro2 = map(&dom2, 1, 20, GNTMAP_host_map | GNTMAP_readonly, VA(2));
    assert_int_equal(ro2.status, GNTST_okay);
    assert_int_equal(frames[f].count_info, 3);
    assert_int_equal(unmap(&dom2, ro.handle, VA(0), 0), GNTST_okay);
    assert_int_equal(unmap(&dom2, ro2.handle, VA(2), 0), GNTST_okay);
    assert_int_equal(e->flags, 0);
    assert_int_equal(frames[f].count_info, 1);
    /* Granted again and unmapped: revocable. */
    e->flags = GTF_permit_access;
    assert_true(revoke(e));
    /* Not pinned any more: the cleared entry is checked again. */
    assert_int_equal(map(&dom2, 1, 20, GNTMAP_host_map, VA(3)).status,
                     GNTST_general_error);
    /* Pinned for dom2, an entry cannot be used by dom0. */
    grant(&dom1, 21, 2, f, GTF_permit_access);
    assert_int_equal(map(&dom2, 1, 21, GNTMAP_host_map, VA(4)).status,
                     GNTST_okay);
    entry(&dom1, 21)->domid = 0;
    assert_int_equal(map(&dom0, 1, 21, GNTMAP_host_map, VA(5)).status,
                     GNTST_general_error);
}

static void test_device_and_host(void **state)
{
    unsigned long f = new_frame(&dom1);
    gnttab_map_grant_ref_t m;
    grant_entry_v1_t *e;

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);
    e = entry(&dom1, 1);
    m = map(&dom2, 1, 1, GNTMAP_device_map, 0);
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(m.dev_bus_addr, (uint64_t)f << PAGE_SHIFT);
    assert_int_equal(frames[f].count_info, 2);
    assert_int_equal(tcount(f), 1);
    assert_int_equal(nr_ptes(), 0);
    assert_int_equal(unmap(&dom2, m.handle, 0, m.dev_bus_addr), GNTST_okay);
    assert_int_equal(flushes, 0);               /* no PTE, no flush */
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(tcount(f), 0);
    assert_int_equal(e->flags, GTF_permit_access);

    /* Both kinds: a reference set each; undone one at a time. */
    m = map(&dom2, 1, 1, GNTMAP_device_map | GNTMAP_host_map, VA(0));
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(frames[f].count_info, 3);
    assert_int_equal(tcount(f), 2);
    assert_int_equal(unmap(&dom2, m.handle, VA(0), 0), GNTST_okay);
    assert_int_equal(frames[f].count_info, 2);
    assert_int_equal(e->flags, GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(unmap(&dom2, m.handle, VA(0), 0), GNTST_okay); /* no-op */
    assert_int_equal(unmap(&dom2, m.handle, 0, m.dev_bus_addr), GNTST_okay);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(tcount(f), 0);
    assert_int_equal(e->flags, GTF_permit_access);
    assert_int_equal(unmap(&dom2, m.handle, 0, m.dev_bus_addr),
                     GNTST_bad_handle);
}

static void test_self_map(void **state)
{
    unsigned long f = new_frame(&dom1);
    gnttab_map_grant_ref_t m;

    (void)state;
    grant(&dom1, 2, 1, f, GTF_permit_access);
    m = map(&dom1, 1, 2, GNTMAP_host_map, VA(0));
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(frames[f].count_info, 2);
    assert_int_equal(unmap(&dom1, m.handle, VA(0), 0), GNTST_okay);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(entry(&dom1, 2)->flags, GTF_permit_access);
}

static void test_pin_overflow(void **state)
{
    unsigned long f = new_frame(&dom1);
    unsigned int i;

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);
    /* 8-bit pin counters: 128 of one kind, then refused (Xen's limit). */
    for ( i = 0; i < 128; i++ )
        assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map | GNTMAP_readonly,
                             VA(i)).status, GNTST_okay);
    snap_take();
    assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map | GNTMAP_readonly,
                         VA(200)).status, GNTST_general_error);
    snap_same();
    /* Another counter still has room; the maptrack grew past a page. */
    assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map, VA(201)).status,
                     GNTST_okay);
    assert_int_equal(frames[f].count_info, 130);
    /* Teardown of the mapper takes everything back. */
    gnttab_domain_release(&dom2);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(tcount(f), 0);
    assert_int_equal(entry(&dom1, 1)->flags, GTF_permit_access);
    assert_int_equal(nr_ptes(), 0);
}

static void test_copy(void **state)
{
    unsigned long a = new_frame(&dom1), b = new_frame(&dom2);
    unsigned long mine = new_frame(&dom2), table = new_frame(&dom2);
    gnttab_copy_t c;

    (void)state;
    memset(mem[a], 0xaa, PAGE_SIZE);
    memset(mem[mine], 0x55, PAGE_SIZE);
    grant(&dom1, 1, 2, a, GTF_permit_access);
    grant(&dom1, 2, 2, a, GTF_permit_access | GTF_readonly);
    grant(&dom1, 3, 0, a, GTF_permit_access);

    /* Own frame (DOMID_SELF) into dom1's writable grant. */
    c = (gnttab_copy_t){
        .source = { .u.gmfn = mine, .domid = DOMID_SELF, .offset = 8 },
        .dest = { .u.ref = 1, .domid = 1, .offset = 100 },
        .len = 16, .flags = GNTCOPY_dest_gref, .status = 99,
    };
    assert_int_equal(op(&dom2, GNTTABOP_copy, &c, 1), 0);
    assert_int_equal(c.status, GNTST_okay);
    assert_int_equal(((uint8_t *)mem[a])[99], 0xaa);
    assert_int_equal(((uint8_t *)mem[a])[100], 0x55);
    assert_int_equal(((uint8_t *)mem[a])[115], 0x55);
    assert_int_equal(((uint8_t *)mem[a])[116], 0xaa);
    /* Nothing stays pinned or referenced. */
    assert_int_equal(entry(&dom1, 1)->flags, GTF_permit_access);
    assert_int_equal(frames[a].count_info, 1);
    assert_int_equal(tcount(a), 0);
    assert_int_equal(frames[mine].count_info, 1);

    /* From a read-only grant into our own frame. */
    c = (gnttab_copy_t){
        .source = { .u.ref = 2, .domid = 1 },
        .dest = { .u.gmfn = b, .domid = DOMID_SELF },
        .len = 4096, .flags = GNTCOPY_source_gref, .status = 99,
    };
    assert_int_equal(op(&dom2, GNTTABOP_copy, &c, 1), 0);
    assert_int_equal(c.status, GNTST_okay);
    assert_int_equal(memcmp(mem[a], mem[b], PAGE_SIZE), 0);

    snap_take();
#define COPY_REFUSED(code, ...)                                            \
    do {                                                                   \
        c = (gnttab_copy_t){ __VA_ARGS__, .status = 99 };                  \
        assert_int_equal(op(&dom2, GNTTABOP_copy, &c, 1), 0);              \
        assert_int_equal(c.status, code);                                  \
        snap_same();                                                       \
    } while ( 0 )
    /* Into a read-only grant. */
    COPY_REFUSED(GNTST_general_error,
                 .source = { .u.gmfn = mine, .domid = DOMID_SELF },
                 .dest = { .u.ref = 2, .domid = 1 }, .len = 8,
                 .flags = GNTCOPY_dest_gref);
    /* A frame number needs DOMID_SELF, even for one's own id. */
    COPY_REFUSED(GNTST_permission_denied,
                 .source = { .u.gmfn = mine, .domid = 2 },
                 .dest = { .u.ref = 1, .domid = 1 }, .len = 8,
                 .flags = GNTCOPY_dest_gref);
    COPY_REFUSED(GNTST_bad_copy_arg,
                 .source = { .u.gmfn = mine, .domid = DOMID_SELF,
                             .offset = 4000 },
                 .dest = { .u.ref = 1, .domid = 1 }, .len = 100,
                 .flags = GNTCOPY_dest_gref);
    COPY_REFUSED(GNTST_bad_copy_arg,
                 .source = { .u.gmfn = mine, .domid = DOMID_SELF },
                 .dest = { .u.ref = 1, .domid = 1, .offset = 1 },
                 .len = 4096, .flags = GNTCOPY_dest_gref);
    COPY_REFUSED(GNTST_bad_gntref,
                 .source = { .u.ref = 600, .domid = 1 },
                 .dest = { .u.gmfn = b, .domid = DOMID_SELF }, .len = 8,
                 .flags = GNTCOPY_source_gref);
    COPY_REFUSED(GNTST_bad_domain,
                 .source = { .u.ref = 1, .domid = 9 },
                 .dest = { .u.gmfn = b, .domid = DOMID_SELF }, .len = 8,
                 .flags = GNTCOPY_source_gref);
    /* Somebody else's frame, and no frame at all. */
    COPY_REFUSED(GNTST_bad_page,
                 .source = { .u.gmfn = a, .domid = DOMID_SELF },
                 .dest = { .u.ref = 1, .domid = 1 }, .len = 8,
                 .flags = GNTCOPY_dest_gref);
    COPY_REFUSED(GNTST_bad_page,
                 .source = { .u.gmfn = mine, .domid = DOMID_SELF },
                 .dest = { .u.gmfn = NR + 1, .domid = DOMID_SELF },
                 .len = 8);
    /* A grant for somebody else. */
    COPY_REFUSED(GNTST_general_error,
                 .source = { .u.ref = 3, .domid = 1 },
                 .dest = { .u.gmfn = b, .domid = DOMID_SELF }, .len = 8,
                 .flags = GNTCOPY_source_gref);
#undef COPY_REFUSED
    /* A page-table frame cannot be written. */
    assert_int_equal(pv_pin_table(&dom2, table, PGT_l1_page_table), 0);
    snap_take();
    c = (gnttab_copy_t){
        .source = { .u.gmfn = mine, .domid = DOMID_SELF },
        .dest = { .u.gmfn = table, .domid = DOMID_SELF }, .len = 8,
        .status = 99 };
    assert_int_equal(op(&dom2, GNTTABOP_copy, &c, 1), 0);
    assert_int_equal(c.status, GNTST_general_error);
    snap_same();
    assert_int_equal(pv_unpin_table(&dom2, table), 0);
}

static void test_batches(void **state)
{
    unsigned long f = new_frame(&dom1);
    gnttab_map_grant_ref_t m[40];
    gnttab_unmap_grant_ref_t u[40];
    gnttab_map_grant_ref_t *tail;
    unsigned int i;

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);
    for ( i = 0; i < 40; i++ )
        m[i] = (gnttab_map_grant_ref_t){
            .host_addr = VA(i), .flags = GNTMAP_host_map | GNTMAP_readonly,
            .ref = i == 5 ? 700 : 1, .dom = 1, .status = 99 };
    assert_int_equal(op(&dom2, GNTTABOP_map_grant_ref, m, 40), 0);
    for ( i = 0; i < 40; i++ )
        assert_int_equal(m[i].status, i == 5 ? GNTST_bad_gntref : GNTST_okay);
    assert_int_equal(frames[f].count_info, 40);

    /* 39 unmaps: flushed per batch of 32, each before its references go. */
    for ( i = 0; i < 40; i++ )
        u[i] = (gnttab_unmap_grant_ref_t){
            .host_addr = VA(i), .handle = m[i].handle, .status = 99 };
    u[5].handle = 12345;
    assert_int_equal(op(&dom2, GNTTABOP_unmap_grant_ref, u, 40), 0);
    for ( i = 0; i < 40; i++ )
        assert_int_equal(u[i].status, i == 5 ? GNTST_bad_handle : GNTST_okay);
    assert_int_equal(flushes, 2);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(entry(&dom1, 1)->flags, GTF_permit_access);

    /* A batch reaching into a faulting page: the first op, then -EFAULT. */
    tail = (gnttab_map_grant_ref_t *)(fault_page - sizeof(*tail));
    *tail = (gnttab_map_grant_ref_t){ .host_addr = VA(50),
        .flags = GNTMAP_host_map, .ref = 1, .dom = 1, .status = 99 };
    assert_int_equal(op(&dom2, GNTTABOP_map_grant_ref, tail, 2), -EFAULT);
    assert_int_equal(tail->status, GNTST_okay);
    assert_int_equal(unmap(&dom2, tail->handle, VA(50), 0), GNTST_okay);
    /* An unmap batch faulting after its first op still completes it. */
    m[0] = map(&dom2, 1, 1, GNTMAP_host_map, VA(51));
    watch_mfn = f;
    flushes = 0;
    {
        gnttab_unmap_grant_ref_t *ut =
            (gnttab_unmap_grant_ref_t *)(fault_page - sizeof(*ut));

        *ut = (gnttab_unmap_grant_ref_t){ .host_addr = VA(51),
                                          .handle = m[0].handle };
        assert_int_equal(op(&dom2, GNTTABOP_unmap_grant_ref, ut, 2),
                         -EFAULT);
        assert_int_equal(ut->status, GNTST_okay);
    }
    assert_int_equal(flushes, 1);
    assert_int_equal(count_at_flush, 2);
    assert_int_equal(frames[f].count_info, 1);

    /* Whole-array checks before anything is done. */
    snap_take();
    assert_int_equal(op(&dom2, GNTTABOP_map_grant_ref, (void *)HOLE_START, 1),
                     -EFAULT);
    assert_int_equal(op(&dom2, GNTTABOP_unmap_grant_ref,
                        (void *)(HOLE_START - 8), 1), -EFAULT);
    assert_int_equal(op(&dom2, GNTTABOP_copy, (void *)HOLE_START, 1),
                     -EFAULT);
    assert_int_equal(op(&dom2, GNTTABOP_map_grant_ref, m, 0x80000000u),
                     -EINVAL);
    assert_int_equal(op(&dom2, GNTTABOP_map_grant_ref | (1 << 12), m, 1),
                     -EINVAL);
    assert_int_equal(op(&dom2, GNTTABOP_map_grant_ref, NULL, 0), 0);
    assert_int_equal(op(&dom2, GNTTABOP_transfer, m, 1), -ENOSYS);
    assert_int_equal(op(&dom2, GNTTABOP_dump_table, m, 1), -ENOSYS);
    assert_int_equal(op(&dom2, 13, m, 1), -ENOSYS);
    assert_int_equal(op(&dom2, 0xfff, m, 1), -ENOSYS);
    snap_same();
}

static void test_granter_dies_first(void **state)
{
    unsigned long f = new_frame(&dom1);
    gnttab_map_grant_ref_t m;

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);
    m = map(&dom2, 1, 1, GNTMAP_host_map, VA(0));
    assert_int_equal(m.status, GNTST_okay);
    dom1.state = DOMAIN_DYING;
    assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map, VA(1)).status,
                     GNTST_bad_domain);
    dom1.state = DOMAIN_RUNNING;
    /* dom1 goes: its table is orphaned, dom2's mapping stays valid. */
    gnttab_domain_release(&dom1);
    live[1] = NULL;
    put_page(&frames[f]);                   /* dom1's allocation reference */
    assert_int_equal(frames[f].state, PGS_inuse);
    assert_int_equal(frames[f].count_info, 1);
    /* No new use of a dying, then dead, domain's grants. */
    assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map, VA(1)).status,
                     GNTST_bad_domain);
    /* The last unmap frees the frame (and the orphaned table). */
    assert_int_equal(unmap(&dom2, m.handle, VA(0), 0), GNTST_okay);
    assert_int_equal(frames[f].state, PGS_free);
    live[1] = &dom1;
}

static void test_mapper_teardown(void **state)
{
    unsigned long f = new_frame(&dom1), g = new_frame(&dom1);
    gnttab_map_grant_ref_t m;
    struct pte *p;

    (void)state;
    grant(&dom1, 1, 2, f, GTF_permit_access);
    grant(&dom1, 2, 2, g, GTF_permit_access);
    assert_int_equal(map(&dom2, 1, 1, GNTMAP_host_map, VA(0)).status,
                     GNTST_okay);
    m = map(&dom2, 1, 2, GNTMAP_host_map | GNTMAP_device_map, VA(1));
    assert_int_equal(m.status, GNTST_okay);
    assert_int_equal(frames[g].count_info, 3);
    /*
     * g's PTE went with its page table before the teardown (which
     * dropped the PTE's references): teardown must not drop them again.
     */
    p = pte_at(2, VA(1));
    p->present = false;
    put_page_and_type(&frames[g]);
    watch_mfn = f;
    gnttab_domain_release(&dom2);
    assert_int_equal(flushes, 1);
    assert_int_equal(count_at_flush, 2);
    assert_int_equal(frames[f].count_info, 1);
    assert_int_equal(tcount(f), 0);
    assert_int_equal(frames[g].count_info, 1);
    assert_int_equal(tcount(g), 0);
    assert_int_equal(entry(&dom1, 1)->flags, GTF_permit_access);
    assert_int_equal(entry(&dom1, 2)->flags, GTF_permit_access);
    assert_int_equal(nr_ptes(), 0);
    /* Released twice is harmless. */
    gnttab_domain_release(&dom2);
}

static void test_release_frees_table_frames(void **state)
{
    xen_pfn_t fr[3];
    unsigned long before;

    (void)state;
    assert_int_equal(setup(&dom1, DOMID_SELF, 3, fr), GNTST_okay);
    /* The owner maps one frame (a PTE reference, writable). */
    assert_int_equal(get_page_and_type(fr[1], &dom1, PGT_writable_page), 0);
    before = falloc_free_pages(&heap);
    gnttab_domain_release(&dom1);
    assert_int_equal(falloc_free_pages(&heap), before + 2);
    assert_int_equal(frames[fr[1]].state, PGS_inuse);
    /* The owner's page tables go: the last frame is freed too. */
    put_page_and_type(&frames[fr[1]]);
    assert_int_equal(frames[fr[1]].state, PGS_free);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_test, teardown_test)
    const struct CMUnitTest tests[] = {
        T(test_table_frames),
        T(test_setup_refusals),
        T(test_versions),
        T(test_v2_transitive),
        T(test_v2_sub_page),
        T(test_option),
        T(test_map_unmap_rw),
        T(test_map_readonly),
        T(test_map_refusals_change_nothing),
        T(test_unmap_refusals_change_nothing),
        T(test_revoke_while_mapped),
        T(test_device_and_host),
        T(test_self_map),
        T(test_pin_overflow),
        T(test_copy),
        T(test_batches),
        T(test_granter_dies_first),
        T(test_mapper_teardown),
        T(test_release_frees_table_frames),
    };
#undef T

    return cmocka_run_group_tests_name("grant_table", tests, NULL, NULL);
}
