/*
 * Unit tests: hypervisor/common/event_fifo.c (the FIFO event-channel ABI)
 * with event_channel.c, over the real page-type state machine and buddy
 * allocator: frame references taken and dropped exactly, refusals that
 * change nothing, queue bookkeeping when a port moves between queues, and
 * a guest thread scribbling over its event words while the hypervisor
 * raises events (every raise returns: no loop follows guest data).
 *
 * Ports are bound by writing their state directly (the binding ops need
 * a running vCPU); raising goes through evtchn_set_pending, as the
 * hypervisor's own callers do.
 */
#include <stdlib.h>
#include <pthread.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/errno.h>
#include <xenia/page_bits.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include <xenia/event.h>
#include <xenia/guest_access.h>
#include <xenia/unhandled.h>
#include <public/event_channel.h>

#define NR          256
#define W_PENDING   (1U << EVTCHN_FIFO_PENDING)
#define W_MASKED    (1U << EVTCHN_FIFO_MASKED)
#define W_LINKED    (1U << EVTCHN_FIFO_LINKED)

struct page_info *frame_table;
unsigned long max_page = NR;
struct frame_allocator heap;

static struct page_info frames[NR];
static uint64_t mem[NR][512] __attribute__((aligned(4096)));

/* ---- Mocks ---- */

void *arch_frame_ptr(unsigned long mfn) { return mem[mfn]; }
void arch_flush_tlb(void) { }
uint64_t arch_hv_l4_entry(unsigned int slot) { return 0; }
uint64_t arch_nx_mask(void) { return _PAGE_NX; }
bool arch_iomem_permitted(unsigned long mfn) { return false; }
void arch_free_domain_frame(unsigned long mfn)
{
    assert_int_equal(falloc_free(&heap, mfn, 0), 0);
}
long heap_alloc(unsigned int order) { return falloc_alloc(&heap, order); }
void flush_tlb_domain(struct domain *d) { }

void *alloc_xenheap_pages(unsigned int order)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);

    if ( p )
        memset(p, 0xa5, PAGE_SIZE << order);    /* as the heap: not zeroed */
    return p;
}

void free_xenheap_pages(void *va, unsigned int order) { free(va); }

void report_unhandled(enum unhandled_kind kind, const char *family,
                      uint64_t id, const char *detail) { }

static unsigned int unblocks, kicks;
void vcpu_unblock(struct vcpu *v) { unblocks++; }
void smp_send_event_check(unsigned int cpu) { kicks++; }

static struct domain dom, other;
struct domain *domain_by_id(domid_t id)
{
    return id == dom.domain_id ? &dom : id == other.domain_id ? &other : NULL;
}

/* EVTCHNOP_reset's preemption is exercised in-guest (xsa image, XSA-344). */
bool hypercall_preempt_check(void) { return false; }
long hypercall_create_continuation(unsigned long op, unsigned int nargs,
                                   const unsigned long args[6])
{
    fail_msg("no continuation expected here");
    return op;
}

int copy_from_guest(void *dst, vaddr_t src, size_t len) { return -EFAULT; }
int copy_to_guest(vaddr_t dst, const void *src, size_t len) { return -EFAULT; }

/* ---- Helpers ---- */

static struct vcpu vcpus[2];
static vcpu_info_t vinfo[2];

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

static long init_control(unsigned long mfn, uint32_t offset, uint32_t vcpu)
{
    struct evtchn_init_control ic = {
        .control_gfn = mfn, .offset = offset, .vcpu = vcpu,
    };

    return evtchn_fifo_init_control(&dom, &ic);
}

static void bind(unsigned int port, unsigned int vcpu)
{
    struct evtchn *c = evtchn_from_port(&dom, port);

    c->state = ECS_IPI;
    c->notify_vcpu = vcpu;
    c->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
}

static evtchn_fifo_control_block_t *cb(unsigned long mfn, unsigned int off)
{
    return (void *)((char *)mem[mfn] + off);
}

static event_word_t *words(unsigned long mfn)
{
    return (event_word_t *)mem[mfn];
}

static int setup_test(void **state)
{
    unsigned int i;

    (void)state;
    memset(frames, 0, sizeof(frames));
    frame_table = frames;
    falloc_init(&heap, frames, NR);
    falloc_add_range(&heap, 1, NR - 1);
    dom = (struct domain){ .domain_id = 1, .max_vcpus = 2 };
    other = (struct domain){ .domain_id = 2 };
    for ( i = 0; i < 2; i++ )
    {
        vcpus[i] = (struct vcpu){ .vcpu_id = i, .domain = &dom,
                                  .vcpu_info = &vinfo[i] };
        vinfo[i] = (vcpu_info_t){ 0 };
        dom.vcpu[i] = &vcpus[i];
    }
    assert_int_equal(evtchn_init(&dom), 0);
    unblocks = kicks = 0;
    return 0;
}

static int teardown_test(void **state)
{
    (void)state;
    evtchn_destroy(&dom);
    assert_null(dom.evtchn_fifo);
    evtchn_free_tables(&dom);
    return 0;
}

/* ---- Tests ---- */

/* Every refusal leaves the domain 2-level and the frames untouched. */
static void test_init_refusals(void **state)
{
    unsigned long m = new_frame(&dom), theirs = new_frame(&other);
    unsigned long l1 = new_frame(&dom);
    struct page_info before[NR];

    assert_int_equal(get_page_and_type(l1, &dom, PGT_l1_page_table), 0);
    memcpy(before, frames, sizeof(frames));
    assert_int_equal(init_control(m, 0, 2), -ENOENT);
    assert_int_equal(init_control(m, 0, ~0U), -ENOENT);
    assert_int_equal(init_control(m, 4, 0), -EINVAL);
    assert_int_equal(init_control(m, PAGE_SIZE - 64, 0), -EINVAL);
    assert_int_equal(init_control(m, ~7U, 0), -EINVAL);
    assert_int_equal(init_control(theirs, 0, 0), -EINVAL);
    assert_int_equal(init_control(NR + 5, 0, 0), -EINVAL);
    assert_int_equal(init_control(~0UL, 0, 0), -EINVAL);
    assert_int_equal(init_control(l1, 0, 0), -EINVAL);
    assert_null(dom.evtchn_fifo);
    assert_memory_equal(before, frames, sizeof(frames));
    assert_int_equal(evtchn_fifo_expand_array(&dom, m), -EOPNOTSUPP);
    put_page_and_type(&frames[l1]);
}

/* References: one general and one writable-type per use; all dropped. */
static void test_page_references(void **state)
{
    unsigned long c = new_frame(&dom), a = new_frame(&dom);
    unsigned int i;

    assert_int_equal(init_control(c, 0, 0), 0);
    assert_int_equal(init_control(c, PAGE_SIZE - 72, 1), 0);
    assert_int_equal(init_control(c, 8, 1), -EINVAL);
    assert_int_equal(frames[c].count_info, 3);
    assert_int_equal(tcount(c), 2);
    for ( i = 0; i < 128; i++ )
        assert_int_equal(evtchn_fifo_expand_array(&dom, a), 0);
    assert_int_equal(evtchn_fifo_expand_array(&dom, a), -ENOSPC);
    assert_int_equal(frames[a].count_info, 129);
    assert_int_equal(tcount(a), 128);
    /* A page FIFO holds cannot become a page table. */
    assert_int_not_equal(get_page_and_type(a, &dom, PGT_l1_page_table), 0);
    evtchn_destroy(&dom);
    assert_null(dom.evtchn_fifo);
    assert_int_equal(frames[c].count_info, 1);
    assert_int_equal(tcount(c), 0);
    assert_int_equal(frames[a].count_info, 1);
    assert_int_equal(tcount(a), 0);
}

/*
 * A port linked on queue 7 and consumed, then moved to queue 3: the
 * hypervisor forgets it as queue 7's tail, so the next event on queue 7
 * starts that queue afresh instead of linking behind a port of queue 3.
 */
static void test_queue_move(void **state)
{
    unsigned long c = new_frame(&dom), a = new_frame(&dom);
    evtchn_fifo_control_block_t *b = cb(c, 0);
    event_word_t *w = words(a);

    assert_int_equal(init_control(c, 0, 0), 0);
    assert_int_equal(evtchn_fifo_expand_array(&dom, a), 0);
    bind(5, 0);
    bind(6, 0);
    evtchn_set_pending(&vcpus[0], 5);
    assert_int_equal(w[5], W_PENDING | W_LINKED);
    assert_int_equal(b->head[7], 5);
    assert_int_equal(b->ready, 1U << 7);
    assert_int_equal(vinfo[0].evtchn_upcall_pending, 1);
    /* The guest consumes it. */
    w[5] = 0;
    b->ready = 0;
    evtchn_from_port(&dom, 5)->priority = 3;
    evtchn_set_pending(&vcpus[0], 5);
    assert_int_equal(b->head[3], 5);
    evtchn_set_pending(&vcpus[0], 6);
    assert_int_equal(b->head[7], 6);
    assert_int_equal(w[5], W_PENDING | W_LINKED);      /* LINK still 0 */
    assert_int_equal(b->ready, (1U << 3) | (1U << 7));
    /* Queue 7 grows behind 6; moving 6 to vCPU 1 empties it for us. */
    bind(7, 0);
    evtchn_set_pending(&vcpus[0], 7);
    assert_int_equal(w[6] & EVTCHN_FIFO_LINK_MASK, 7);
    w[6] = w[7] = 0;
    assert_int_equal(init_control(c, 1024, 1), 0);
    evtchn_from_port(&dom, 6)->notify_vcpu = 1;
    evtchn_set_pending(&vcpus[1], 6);
    assert_int_equal(cb(c, 1024)->head[7], 6);
}

/* Masked: pending, not linked; unmask links it. No array page: kept. */
static void test_mask_and_missing_page(void **state)
{
    unsigned long c = new_frame(&dom), a = new_frame(&dom);
    evtchn_fifo_control_block_t *b = cb(c, 0);
    event_word_t *w = words(a);

    assert_int_equal(init_control(c, 0, 0), 0);
    bind(9, 0);
    evtchn_set_pending(&vcpus[0], 9);           /* no page yet */
    assert_true(evtchn_from_port(&dom, 9)->pending);
    assert_int_equal(b->ready, 0);
    w[9] = W_MASKED;
    assert_int_equal(evtchn_fifo_expand_array(&dom, a), 0);
    assert_int_equal(w[9], W_PENDING | W_MASKED);
    assert_false(evtchn_from_port(&dom, 9)->pending);
    assert_int_equal(b->ready, 0);
    evtchn_port_ops_fifo.unmask(&dom, 9);
    assert_int_equal(w[9], W_PENDING | W_LINKED);
    assert_int_equal(b->head[7], 9);
    assert_int_equal(evtchn_poll_pending(&dom, 9), 1);
    assert_int_equal(evtchn_poll_pending(&dom, EVTCHN_NR_PORTS), -EINVAL);
}

/* ---- A guest vCPU writing garbage while the hypervisor raises ---- */

static volatile bool stop;
static event_word_t *scribbled;

static void *scribbler(void *arg)
{
    uint32_t x = 1;

    (void)arg;
    while ( !__atomic_load_n(&stop, __ATOMIC_RELAXED) )
    {
        unsigned int i;

        for ( i = 1; i < 64; i++ )
        {
            x = x * 1103515245 + 12345;
            __atomic_store_n(&scribbled[i], x, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static void test_concurrent_garbage(void **state)
{
    unsigned long c = new_frame(&dom), a = new_frame(&dom);
    pthread_t t;
    unsigned int i;

    assert_int_equal(init_control(c, 0, 0), 0);
    assert_int_equal(evtchn_fifo_expand_array(&dom, a), 0);
    for ( i = 1; i < 64; i++ )
        bind(i, i % 2);
    assert_int_equal(init_control(c, 2048, 1), 0);
    scribbled = words(a);
    stop = false;
    assert_int_equal(pthread_create(&t, NULL, scribbler, NULL), 0);
    for ( i = 0; i < 200000; i++ )
    {
        unsigned int port = 1 + i % 63;

        if ( i % 7 == 0 )
            evtchn_from_port(&dom, port)->priority = i % 16;
        evtchn_set_pending(&vcpus[port % 2], port);
        if ( i % 5 == 0 )
            evtchn_port_ops_fifo.unmask(&dom, port);
    }
    stop = true;
    pthread_join(t, NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_test, teardown_test)
    const struct CMUnitTest tests[] = {
        T(test_init_refusals),
        T(test_page_references),
        T(test_queue_move),
        T(test_mask_and_missing_page),
        T(test_concurrent_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
