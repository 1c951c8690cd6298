/*
 * Event channels, FIFO ABI (include/public/event_channel.h; Xen 4.17's
 * semantics, docs/event-channels.md).
 *
 * The guest gives each vCPU a control block (a ready bitmap and the head
 * of 16 priority queues) and the domain an event array of up to 128 pages
 * of 32-bit event words. Raising an unmasked port that is not linked yet
 * appends it to its queue: the hypervisor remembers each queue's tail and
 * writes the new port into the tail word's LINK field, or into the
 * queue's head when the queue was empty (the tail word no longer LINKED:
 * the guest consumed it), then sets the queue's ready bit.
 *
 * All of it is guest memory the guest writes concurrently: words change
 * only with atomic operations, and nothing here ever follows a LINK field
 * or a head: the only loops are over the hypervisor's own tables, and the
 * one retry loop (set_link) is bounded. A guest that corrupts its queues
 * loses its own events, nothing else.
 *
 * Pages: each control block and array page is the guest's own RAM,
 * taken with a general and a writable-type reference (so it can never
 * become a page table or descriptor page while we write to it), dropped
 * by evtchn_fifo_destroy (EVTCHNOP_reset, domain_kill, dom0's end).
 *
 * Locking: the hypervisor lock (docs/smp.md), as event_channel.c.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/sched.h>
#include <xenia/event.h>
#include <public/xen.h>
#include <public/event_channel.h>

#define WORDS_PER_PAGE   (PAGE_SIZE / sizeof(event_word_t))
#define MAX_ARRAY_PAGES  (EVTCHN_FIFO_NR_CHANNELS / WORDS_PER_PAGE)
#define SET_LINK_TRIES   4

struct fifo_vcpu {
    bool active;                        /* init_control done */
    unsigned int cb_offset;
    unsigned long cb_mfn;
    uint32_t tail[EVTCHN_FIFO_MAX_QUEUES];  /* 0: queue empty (for us) */
};

struct evtchn_fifo_domain {
    unsigned int nr_pages;              /* event array pages */
    unsigned long array_mfn[MAX_ARRAY_PAGES];
    struct fifo_vcpu vcpu[MAX_VIRT_CPUS];
};

BUILD_BUG_ON(sizeof(struct evtchn_fifo_domain) > PAGE_SIZE);
BUILD_BUG_ON(EVTCHN_NR_PORTS != EVTCHN_FIFO_NR_CHANNELS);
BUILD_BUG_ON(MAX_VIRT_CPUS > 256);      /* evtchn.last_vcpu */

static event_word_t *word_from_port(const struct domain *d,
                                    unsigned int port)
{
    const struct evtchn_fifo_domain *f = d->evtchn_fifo;

    event_word_t *page;

    if ( port >= f->nr_pages * WORDS_PER_PAGE )
        return NULL;
    page = arch_frame_ptr(f->array_mfn[port / WORDS_PER_PAGE]);
    return page + port % WORDS_PER_PAGE;
}

static evtchn_fifo_control_block_t *control_block(const struct fifo_vcpu *fv)
{
    return (void *)((char *)arch_frame_ptr(fv->cb_mfn) + fv->cb_offset);
}

static bool word_test_and_set(event_word_t *w, unsigned int bit)
{
    return __atomic_fetch_or(w, 1U << bit, __ATOMIC_SEQ_CST) & (1U << bit);
}

static void word_clear(event_word_t *w, unsigned int bit)
{
    __atomic_fetch_and(w, ~(1U << bit), __ATOMIC_SEQ_CST);
}

static bool word_test(const event_word_t *w, unsigned int bit)
{
    return (__atomic_load_n(w, __ATOMIC_SEQ_CST) >> bit) & 1;
}

/* One attempt: 1 linked, 0 the tail is no longer LINKED, -EAGAIN raced. */
static int try_set_link(event_word_t *tw, event_word_t *seen, uint32_t port)
{
    event_word_t new;

    if ( !(*seen & (1U << EVTCHN_FIFO_LINKED)) )
        return 0;
    new = (*seen & ~((1U << EVTCHN_FIFO_BUSY) | EVTCHN_FIFO_LINK_MASK)) |
          port;
    return __atomic_compare_exchange_n(tw, seen, new, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST) ? 1 : -EAGAIN;
}

/*
 * Links 'port' after the tail word tw if tw is still LINKED (true), else
 * the queue is empty (false). The guest may meanwhile mask, unmask, clear
 * PENDING or unlink tw; BUSY keeps it from unmasking, so a few tries are
 * enough for a guest that follows the protocol. One that keeps changing
 * the word loses the event (as in Xen): the bound is what matters here.
 */
static bool set_link(event_word_t *tw, uint32_t port)
{
    event_word_t seen = __atomic_load_n(tw, __ATOMIC_SEQ_CST);
    unsigned int i;
    int rc;

    if ( (rc = try_set_link(tw, &seen, port)) >= 0 )
        return rc;
    word_test_and_set(tw, EVTCHN_FIFO_BUSY);
    seen = __atomic_load_n(tw, __ATOMIC_SEQ_CST);
    for ( i = 0; i < SET_LINK_TRIES; i++ )
        if ( (rc = try_set_link(tw, &seen, port)) >= 0 )
        {
            if ( !rc )
                word_clear(tw, EVTCHN_FIFO_BUSY);
            return rc;
        }
    word_clear(tw, EVTCHN_FIFO_BUSY);
    return true;
}

/*
 * Appends port to queue (v, its priority). If it was last linked on
 * another queue and is that queue's tail, that queue is empty now as far
 * as we know: forget the tail, or a later event there would link to a
 * port that lives on this queue.
 */
static void link_event(struct vcpu *v, struct evtchn *c, unsigned int port)
{
    struct evtchn_fifo_domain *f = v->domain->evtchn_fifo;
    struct fifo_vcpu *fv = &f->vcpu[v->vcpu_id];
    struct fifo_vcpu *old = &f->vcpu[c->last_vcpu];
    unsigned int q = c->priority;
    evtchn_fifo_control_block_t *cb = control_block(fv);
    bool linked = false;

    if ( old->tail[c->last_priority] == port )
        old->tail[c->last_priority] = 0;
    c->last_vcpu = v->vcpu_id;
    c->last_priority = q;
    if ( fv->tail[q] )
    {
        event_word_t *tw = word_from_port(v->domain, fv->tail[q]);

        linked = tw && set_link(tw, port);
    }
    if ( !linked )
        __atomic_store_n(&cb->head[q], port, __ATOMIC_SEQ_CST);
    fv->tail[q] = port;
    if ( !linked &&
         !(__atomic_fetch_or(&cb->ready, 1U << q, __ATOMIC_SEQ_CST) &
           (1U << q)) )
        evtchn_vcpu_mark_pending(v);
}

static void fifo_set_pending(struct vcpu *v, unsigned int port)
{
    struct domain *d = v->domain;
    struct evtchn *c = evtchn_from_port(d, port);
    event_word_t *w = word_from_port(d, port);
    bool was_pending;

    if ( !w )
    {
        /* No page covers it yet: expand_array raises it then. */
        c->pending = true;
        return;
    }
    was_pending = word_test_and_set(w, EVTCHN_FIFO_PENDING);
    /* No control block: the guest may not unmask before it gave one. */
    if ( d->evtchn_fifo->vcpu[v->vcpu_id].active &&
         !word_test(w, EVTCHN_FIFO_MASKED) &&
         !word_test_and_set(w, EVTCHN_FIFO_LINKED) )
        link_event(v, c, port);
    /* SCHEDOP_poll waits for any port, masked or not. */
    if ( !was_pending && v->polling )
        vcpu_unblock(v);
}

/* PENDING only: the guest unlinks and skips events no longer pending. */
static void fifo_clear_pending(struct domain *d, unsigned int port)
{
    event_word_t *w = word_from_port(d, port);

    if ( w )
        word_clear(w, EVTCHN_FIFO_PENDING);
}

static void fifo_unmask(struct domain *d, unsigned int port)
{
    event_word_t *w = word_from_port(d, port);
    unsigned int id = evtchn_from_port(d, port)->notify_vcpu;

    if ( !w )
        return;
    word_clear(w, EVTCHN_FIFO_MASKED);
    if ( word_test(w, EVTCHN_FIFO_PENDING) && id < d->max_vcpus &&
         d->vcpu[id] )
        fifo_set_pending(d->vcpu[id], port);
}

static bool fifo_is_pending(const struct domain *d, unsigned int port)
{
    const event_word_t *w = word_from_port(d, port);

    return w && word_test(w, EVTCHN_FIFO_PENDING);
}

static bool fifo_is_masked(const struct domain *d, unsigned int port)
{
    const event_word_t *w = word_from_port(d, port);

    return !w || word_test(w, EVTCHN_FIFO_MASKED);
}

/* Future events only: one already linked stays on its queue. */
static int fifo_set_priority(struct domain *d, unsigned int port,
                             unsigned int priority)
{
    if ( priority > EVTCHN_FIFO_PRIORITY_MIN )
        return -EINVAL;
    evtchn_from_port(d, port)->priority = priority;
    return 0;
}

const struct evtchn_port_ops evtchn_port_ops_fifo = {
    .set_pending = fifo_set_pending,
    .clear_pending = fifo_clear_pending,
    .unmask = fifo_unmask,
    .is_pending = fifo_is_pending,
    .is_masked = fifo_is_masked,
    .set_priority = fifo_set_priority,
};

/*
 * A page of d's for us to write: its own RAM, taking the writable type
 * (a page table or descriptor page cannot). 0 or -EINVAL, as Xen.
 */
static int get_guest_page(struct domain *d, uint64_t gfn)
{
    if ( !mfn_valid(gfn) || get_page_and_type(gfn, d, PGT_writable_page) )
        return -EINVAL;
    return 0;
}

static void put_guest_page(unsigned long mfn)
{
    put_page_and_type(mfn_to_page(mfn));
}

/*
 * The switch from 2-level: every valid port gets the default priority,
 * and one pending in shared_info stays pending (raised into the event
 * array when a page covers it). The mask bits are not carried: the guest
 * masks its event words itself.
 */
static void setup_ports(struct domain *d)
{
    unsigned int port;

    for ( port = 1; port < EVTCHN_2L_NR_PORTS; port++ )
    {
        struct evtchn *c = evtchn_from_port(d, port);

        c->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
        c->pending = d->shared_info &&
                     ((d->shared_info->evtchn_pending[port / 64] >>
                       (port % 64)) & 1);
    }
}

/*
 * EVTCHNOP_init_control: vCPU 'vcpu''s control block at 'offset' of
 * 'control_gfn'. Errors, in Xen's order: no such vCPU -ENOENT; the block
 * past the page end or offset not 8-aligned -EINVAL; the vCPU has one
 * already -EINVAL; not a writable page of ours -EINVAL. The first one
 * switches the domain to FIFO.
 */
long evtchn_fifo_init_control(struct domain *d,
                              struct evtchn_init_control *ic)
{
    struct evtchn_fifo_domain *f = d->evtchn_fifo;
    struct fifo_vcpu *fv;

    if ( ic->vcpu >= d->max_vcpus || !d->vcpu[ic->vcpu] )
        return -ENOENT;
    if ( ic->offset > PAGE_SIZE - sizeof(evtchn_fifo_control_block_t) ||
         (ic->offset & 7) )
        return -EINVAL;
    if ( f && f->vcpu[ic->vcpu].active )
        return -EINVAL;
    if ( get_guest_page(d, ic->control_gfn) )
        return -EINVAL;
    if ( !f )
    {
        f = alloc_xenheap_pages(0);
        if ( !f )
        {
            put_guest_page(ic->control_gfn);
            return -ENOMEM;
        }
        memset(f, 0, sizeof(*f));
        setup_ports(d);
        d->evtchn_fifo = f;
    }
    fv = &f->vcpu[ic->vcpu];
    fv->cb_mfn = ic->control_gfn;
    fv->cb_offset = ic->offset;
    fv->active = true;
    ic->link_bits = EVTCHN_FIFO_LINK_BITS;
    return 0;
}

/*
 * EVTCHNOP_expand_array: one more page of event words. 2-level
 * -EOPNOTSUPP; 128 pages already -ENOSPC; not a writable page of ours
 * -EINVAL. Ports the page covers that were raised meanwhile are raised
 * now (at most 1024: bounded).
 */
long evtchn_fifo_expand_array(struct domain *d, uint64_t array_gfn)
{
    struct evtchn_fifo_domain *f = d->evtchn_fifo;
    unsigned int port, end;

    if ( !f )
        return -EOPNOTSUPP;
    if ( f->nr_pages >= MAX_ARRAY_PAGES )
        return -ENOSPC;
    if ( get_guest_page(d, array_gfn) )
        return -EINVAL;
    f->array_mfn[f->nr_pages++] = array_gfn;
    port = (f->nr_pages - 1) * WORDS_PER_PAGE;
    for ( end = port + WORDS_PER_PAGE; port < end; port++ )
    {
        struct evtchn *c;
        unsigned int id;

        if ( !evtchn_port_valid(d, port) )
            break;
        c = evtchn_from_port(d, port);
        id = c->notify_vcpu;
        if ( !c->pending )
            continue;
        c->pending = false;
        if ( id < d->max_vcpus && d->vcpu[id] )
            fifo_set_pending(d->vcpu[id], port);
    }
    return 0;
}

void evtchn_fifo_destroy(struct domain *d)
{
    struct evtchn_fifo_domain *f = d->evtchn_fifo;
    unsigned int i;

    if ( !f )
        return;
    for ( i = 0; i < MAX_VIRT_CPUS; i++ )
        if ( f->vcpu[i].active )
            put_guest_page(f->vcpu[i].cb_mfn);
    for ( i = 0; i < f->nr_pages; i++ )
        put_guest_page(f->array_mfn[i]);
    d->evtchn_fifo = NULL;
    free_xenheap_pages(f, 0);
}
