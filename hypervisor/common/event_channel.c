/*
 * Event channels (see include/xenia/event.h): the ports and their
 * bindings, and the 2-level ABI's pending and mask bits in shared_info.
 * The FIFO ABI (event_fifo.c) keeps that state in guest pages instead;
 * both sit behind struct evtchn_port_ops, chosen per domain: 2-level until
 * the first EVTCHNOP_init_control, back to it on EVTCHNOP_reset. Every
 * operation validates first and changes state only when it cannot fail
 * any more. Error codes are Xen 4.17's.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/hypercall.h>
#include <xenia/smp.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/event.h>
#include <xenia/guest_access.h>
#include <public/xen.h>
#include <public/event_channel.h>

BUILD_BUG_ON(sizeof(struct evtchn) != 16);
BUILD_BUG_ON(EVTCHN_NR_BUCKETS * sizeof(struct evtchn *) > PAGE_SIZE);
BUILD_BUG_ON(EVTCHN_2L_NR_PORTS % EVTCHN_PER_BUCKET);

/* VIRQs bound per vCPU; the rest are global (vCPU 0 only). */
static bool virq_is_per_vcpu(unsigned int virq)
{
    return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == 13 /* XENPMU */;
}

static inline bool test_and_set(unsigned long nr, volatile void *addr)
{
    bool old;

    __asm__ __volatile__ ( "lock btsq %2, %1; setc %0"
                           : "=q" (old), "+m" (*(volatile long *)addr)
                           : "Ir" (nr) : "memory" );
    return old;
}

static inline bool test_bit(unsigned long nr, const volatile void *addr)
{
    return (((const volatile unsigned long *)addr)[nr / 64] >> (nr % 64)) & 1;
}

static inline void clear_bit(unsigned long nr, volatile void *addr)
{
    __asm__ __volatile__ ( "lock btrq %1, %0"
                           : "+m" (((volatile long *)addr)[nr / 64])
                           : "Ir" (nr % 64) : "memory" );
}

/* ---- the 2-level ABI: bits in shared_info ---- */

static void twolevel_set_pending(struct vcpu *v, unsigned int port)
{
    shared_info_t *s = v->domain->shared_info;

    if ( !s )                           /* dying: shared_info released */
        return;
    if ( test_and_set(port, s->evtchn_pending) )
        return;
    /* SCHEDOP_poll waits for any port, masked or not. */
    if ( v->polling )
        vcpu_unblock(v);
    if ( !test_bit(port, s->evtchn_mask) &&
         !test_and_set(port / 64, &v->vcpu_info->evtchn_pending_sel) )
        evtchn_vcpu_mark_pending(v);
}

static void twolevel_clear_pending(struct domain *d, unsigned int port)
{
    if ( d->shared_info )
        clear_bit(port, d->shared_info->evtchn_pending);
}

static struct vcpu *domain_vcpu(struct domain *d, unsigned int id)
{
    return id < d->max_vcpus ? d->vcpu[id] : NULL;
}

static void twolevel_unmask(struct domain *d, unsigned int port)
{
    shared_info_t *s = d->shared_info;
    struct vcpu *v = domain_vcpu(d, evtchn_from_port(d, port)->notify_vcpu);

    if ( !s )
        return;
    clear_bit(port, s->evtchn_mask);
    if ( v && test_bit(port, s->evtchn_pending) &&
         !test_and_set(port / 64, &v->vcpu_info->evtchn_pending_sel) )
        evtchn_vcpu_mark_pending(v);
}

static bool twolevel_is_pending(const struct domain *d, unsigned int port)
{
    return d->shared_info && test_bit(port, d->shared_info->evtchn_pending);
}

static bool twolevel_is_masked(const struct domain *d, unsigned int port)
{
    return !d->shared_info || test_bit(port, d->shared_info->evtchn_mask);
}

static const struct evtchn_port_ops evtchn_port_ops_2l = {
    .set_pending = twolevel_set_pending,
    .clear_pending = twolevel_clear_pending,
    .unmask = twolevel_unmask,
    .is_pending = twolevel_is_pending,
    .is_masked = twolevel_is_masked,
};

static const struct evtchn_port_ops *port_ops(const struct domain *d)
{
    return d->evtchn_fifo ? &evtchn_port_ops_fifo : &evtchn_port_ops_2l;
}

/* ---- ports ---- */

/* Ports a domain may have under its current ABI. */
static unsigned int max_ports(const struct domain *d)
{
    return d->evtchn_fifo ? EVTCHN_NR_PORTS : EVTCHN_2L_NR_PORTS;
}

static int alloc_bucket(struct domain *d, unsigned int b)
{
    struct evtchn *bucket = alloc_xenheap_pages(0);

    if ( !bucket )
        return -ENOMEM;
    memset(bucket, 0, PAGE_SIZE);
    d->evtchn[b] = bucket;
    return 0;
}

/* The 2-level ABI's buckets exist from the start; the rest on demand. */
int evtchn_init(struct domain *d)
{
    unsigned int b;

    d->evtchn = alloc_xenheap_pages(0);
    if ( !d->evtchn )
        return -ENOMEM;
    memset(d->evtchn, 0, PAGE_SIZE);
    for ( b = 0; b < EVTCHN_2L_NR_PORTS / EVTCHN_PER_BUCKET; b++ )
        if ( alloc_bucket(d, b) )
            return -ENOMEM;     /* evtchn_free_tables undoes it */
    return 0;
}

void evtchn_free_tables(struct domain *d)
{
    unsigned int b;

    if ( !d->evtchn )
        return;
    for ( b = 0; b < EVTCHN_NR_BUCKETS; b++ )
        if ( d->evtchn[b] )
            free_xenheap_pages(d->evtchn[b], 0);
    free_xenheap_pages(d->evtchn, 0);
    d->evtchn = NULL;
}

bool evtchn_port_valid(const struct domain *d, unsigned int port)
{
    return port < max_ports(d) && d->evtchn[port / EVTCHN_PER_BUCKET];
}

struct evtchn *evtchn_from_port(const struct domain *d, unsigned int port)
{
    return &d->evtchn[port / EVTCHN_PER_BUCKET][port % EVTCHN_PER_BUCKET];
}

static bool port_valid(const struct domain *d, unsigned int port)
{
    return evtchn_port_valid(d, port);
}

/*
 * A port taken into use: its binding is filled in by the caller. The
 * queue it was last linked on stays (event_fifo.c relies on it).
 */
static struct evtchn *port_init(struct domain *d, unsigned int port,
                                uint8_t state)
{
    struct evtchn *c = evtchn_from_port(d, port);

    c->state = state;
    c->notify_vcpu = 0;
    c->remote_dom = 0;
    c->remote_port = 0;
    c->virq = 0;
    c->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
    c->pending = false;
    return c;
}

/*
 * A dying domain gets no new port (-EINVAL, as Xen 4.17's get_free_port):
 * domain_kill closed them all and released its shared_info. The lowest
 * free port; past the allocated buckets (FIFO only) a new bucket.  No
 * port above the domain's max_evtchn_port (createdomain's, as Xen's
 * evtchn_allocate_port): -ENOSPC, so a domU xl made with 1023 cannot
 * make the hypervisor allocate 2^17 ports' worth of buckets under FIFO.
 */
static int get_free_port(struct domain *d)
{
    unsigned int p, b;

    if ( d->state == DOMAIN_DYING )
        return -EINVAL;
    for ( p = 1; p < max_ports(d) && p <= d->max_evtchn_port; p++ )
    {
        b = p / EVTCHN_PER_BUCKET;
        if ( !d->evtchn[b] )
            return alloc_bucket(d, b) ? -ENOMEM : (int)p;
        if ( evtchn_from_port(d, p)->state == ECS_FREE )
            return p;
    }
    return -ENOSPC;
}

/*
 * The upcall is delivered on v's next way out of the hypervisor: wake it
 * if it sleeps, and interrupt the CPU it runs on if that is another one
 * (as Xen's vcpu_kick), or the event waits for that CPU's next hypercall,
 * fault or tick (10 ms).
 */
void evtchn_vcpu_mark_pending(struct vcpu *v)
{
    v->vcpu_info->evtchn_upcall_pending = 1;
    vcpu_unblock(v);
    if ( v->is_running && v->processor != smp_processor_id() )
        smp_send_event_check(v->processor);
}

void evtchn_set_pending(struct vcpu *v, unsigned int port)
{
    port_ops(v->domain)->set_pending(v, port);
}

static void raise_port(struct domain *d, unsigned int port)
{
    struct vcpu *v = domain_vcpu(d, evtchn_from_port(d, port)->notify_vcpu);

    if ( v )
        evtchn_set_pending(v, port);
}

void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq)
{
    unsigned int port = v->virq_to_port[virq];

    if ( port )
        evtchn_set_pending(v, port);
}

void send_guest_global_virq(struct domain *d, unsigned int virq)
{
    struct vcpu *v = d->vcpu[0];
    unsigned int port = v ? v->virq_to_port[virq] : 0;

    if ( port )
        raise_port(d, port);
}

static struct domain *target_domain(domid_t dom)
{
    struct domain *d = current->domain;

    if ( dom == DOMID_SELF || dom == d->domain_id )
        return d;
    return d->is_privileged ? domain_by_id(dom) : NULL;
}

static long alloc_unbound(evtchn_alloc_unbound_t *a)
{
    struct domain *d = target_domain(a->dom);
    int port;

    if ( !d )
        return a->dom == DOMID_SELF || domain_by_id(a->dom) ? -EPERM : -ESRCH;
    if ( (port = get_free_port(d)) < 0 )
        return port;
    port_init(d, port, ECS_UNBOUND)->remote_dom =
        a->remote_dom == DOMID_SELF ? current->domain->domain_id
                                    : a->remote_dom;
    a->port = port;
    return 0;
}

static long bind_interdomain(evtchn_bind_interdomain_t *b)
{
    struct domain *ld = current->domain, *rd;
    struct evtchn *rc, *lc;
    int lport;

    rd = b->remote_dom == DOMID_SELF ? ld : domain_by_id(b->remote_dom);
    if ( !rd )
        return -ESRCH;
    /* A dying domain has no unbound port left (Xen: the same -EINVAL). */
    if ( rd->state == DOMAIN_DYING )
        return -EINVAL;
    if ( !port_valid(rd, b->remote_port) )
        return -EINVAL;
    rc = evtchn_from_port(rd, b->remote_port);
    if ( rc->state != ECS_UNBOUND || rc->remote_dom != ld->domain_id )
        return -EINVAL;
    if ( (lport = get_free_port(ld)) < 0 )
        return lport;
    lc = port_init(ld, lport, ECS_INTERDOMAIN);
    lc->remote_dom = rd->domain_id;
    lc->remote_port = b->remote_port;
    rc->state = ECS_INTERDOMAIN;
    rc->remote_dom = ld->domain_id;
    rc->remote_port = lport;
    b->local_port = lport;
    /* The remote end may have sent before we bound: make it visible. */
    raise_port(ld, lport);
    return 0;
}

static long bind_virq(evtchn_bind_virq_t *b)
{
    struct domain *d = current->domain;
    struct vcpu *v;
    struct evtchn *c;
    int port;

    if ( b->virq >= ARRAY_SIZE(((struct vcpu *)0)->virq_to_port) )
        return -EINVAL;
    if ( !virq_is_per_vcpu(b->virq) && b->vcpu != 0 )
        return -EINVAL;
    if ( !(v = domain_vcpu(d, b->vcpu)) )
        return -ENOENT;
    if ( v->virq_to_port[b->virq] )
        return -EEXIST;
    if ( (port = get_free_port(d)) < 0 )
        return port;
    c = port_init(d, port, ECS_VIRQ);
    c->notify_vcpu = b->vcpu;
    c->virq = b->virq;
    v->virq_to_port[b->virq] = port;
    b->port = port;
    return 0;
}

static long bind_ipi(evtchn_bind_ipi_t *b)
{
    struct domain *d = current->domain;
    int port;

    if ( !domain_vcpu(d, b->vcpu) )
        return -ENOENT;
    if ( (port = get_free_port(d)) < 0 )
        return port;
    port_init(d, port, ECS_IPI)->notify_vcpu = b->vcpu;
    b->port = port;
    return 0;
}

/* Closes d's port; an interdomain peer's end goes back to unbound. */
static long evtchn_close_port(struct domain *d, unsigned int port)
{
    struct evtchn *c;

    if ( !port_valid(d, port) )
        return -EINVAL;
    c = evtchn_from_port(d, port);
    switch ( c->state )
    {
    case ECS_FREE:
        return -EINVAL;
    case ECS_VIRQ:
    {
        struct vcpu *v = domain_vcpu(d, c->notify_vcpu);

        if ( v && v->virq_to_port[c->virq] == port )
            v->virq_to_port[c->virq] = 0;
        break;
    }
    case ECS_INTERDOMAIN:
    {
        struct domain *rd = domain_by_id(c->remote_dom);

        if ( rd && rd->evtchn )
        {
            struct evtchn *r = evtchn_from_port(rd, c->remote_port);

            r->state = ECS_UNBOUND;
            r->remote_dom = d->domain_id;
            r->remote_port = 0;
        }
        break;
    }
    default:
        break;
    }
    port_ops(d)->clear_pending(d, port);
    port_init(d, port, ECS_FREE);
    return 0;
}

/*
 * A dying domain closes every port: interdomain peers see theirs go back
 * to unbound (EVTCHNSTAT_unbound, remote the dead domain's id), as in Xen.
 * The FIFO ABI's pages are released and the domain is 2-level again.
 */
void evtchn_destroy(struct domain *d)
{
    unsigned int port;

    for ( port = 1; port < EVTCHN_NR_PORTS; port++ )
    {
        if ( !d->evtchn[port / EVTCHN_PER_BUCKET] )
        {
            port |= EVTCHN_PER_BUCKET - 1;      /* skip the whole bucket */
            continue;
        }
        if ( evtchn_from_port(d, port)->state != ECS_FREE )
            evtchn_close_port(d, port);
    }
    evtchn_fifo_destroy(d);
}

/*
 * EVTCHNOP_reset: closes every port of a domain (oneself, or any for a
 * privileged caller), as a kexec'd kernel or the toolstack needs, and
 * goes back to the 2-level ABI (as Xen 4.17).  Closing them is work in
 * proportion to its ports (131071 with FIFO): it is preempted like any
 * batch (a port is a unit of work; an empty bucket is skipped whole),
 * with the port to go on from kept in the domain (as Xen 4.17 keeps it);
 * the continuation re-issues the same EVTCHNOP_reset.  Ports opened
 * meanwhile below that point stay open, as in Xen.
 */
static long evtchn_reset(domid_t dom, vaddr_t arg)
{
    struct domain *d = target_domain(dom);
    unsigned int port, start;

    if ( !d )
        return dom == DOMID_SELF || domain_by_id(dom) ? -EPERM : -ESRCH;
    /* A dying domain's ports were all closed by domain_kill: 0, as Xen. */
    if ( d->state == DOMAIN_DYING )
        return 0;
    start = d->evtchn_reset_next ?: 1;
    for ( port = start; port < EVTCHN_NR_PORTS; port++ )
    {
        if ( port != start && hypercall_preempt_check() )
        {
            const unsigned long args[6] = { EVTCHNOP_reset, arg };

            d->evtchn_reset_next = port;
            return hypercall_create_continuation(
                __HYPERVISOR_event_channel_op, 2, args);
        }
        if ( !d->evtchn[port / EVTCHN_PER_BUCKET] )
        {
            port |= EVTCHN_PER_BUCKET - 1;      /* skip the whole bucket */
            continue;
        }
        if ( evtchn_from_port(d, port)->state != ECS_FREE )
            evtchn_close_port(d, port);
    }
    d->evtchn_reset_next = 0;
    evtchn_fifo_destroy(d);
    return 0;
}

static long evtchn_send(unsigned int port)
{
    struct domain *d = current->domain, *rd;
    struct evtchn *c;

    if ( !port_valid(d, port) )
        return -EINVAL;
    c = evtchn_from_port(d, port);
    switch ( c->state )
    {
    case ECS_INTERDOMAIN:
        rd = domain_by_id(c->remote_dom);
        if ( rd )
            raise_port(rd, c->remote_port);
        return 0;
    case ECS_IPI:
        raise_port(d, port);
        return 0;
    case ECS_UNBOUND:
        return 0;                       /* silently dropped, as Xen */
    default:
        return -EINVAL;
    }
}

static long evtchn_status_op(evtchn_status_t *st)
{
    struct domain *d = target_domain(st->dom);
    struct evtchn *c;

    if ( !d )
        return domain_by_id(st->dom) ? -EPERM : -ESRCH;
    if ( !port_valid(d, st->port) )
        return -EINVAL;
    c = evtchn_from_port(d, st->port);
    memset(&st->u, 0, sizeof(st->u));
    st->vcpu = c->notify_vcpu;
    switch ( c->state )
    {
    case ECS_FREE:
        st->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = c->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = c->remote_dom;
        st->u.interdomain.port = c->remote_port;
        break;
    case ECS_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = c->virq;
        break;
    case ECS_IPI:
        st->status = EVTCHNSTAT_ipi;
        break;
    default:
        st->status = EVTCHNSTAT_pirq;
    }
    return 0;
}

static long evtchn_unmask(unsigned int port)
{
    struct domain *d = current->domain;

    if ( !port_valid(d, port) )
        return -EINVAL;
    port_ops(d)->unmask(d, port);
    return 0;
}

int evtchn_poll_pending(struct domain *d, unsigned int port)
{
    if ( !port_valid(d, port) )
        return -EINVAL;
    return port_ops(d)->is_pending(d, port);
}

/* The 2-level ABI has no priorities: -ENOSYS for a valid port (Xen's). */
static long evtchn_set_priority(const evtchn_set_priority_t *sp)
{
    struct domain *d = current->domain;
    const struct evtchn_port_ops *ops = port_ops(d);

    if ( !port_valid(d, sp->port) )
        return -EINVAL;
    if ( !ops->set_priority )
        return -ENOSYS;
    return ops->set_priority(d, sp->port, sp->priority);
}

static long bind_vcpu(evtchn_bind_vcpu_t *b)
{
    struct domain *d = current->domain;
    struct evtchn *c;

    if ( !port_valid(d, b->port) )
        return -EINVAL;
    if ( !domain_vcpu(d, b->vcpu) )
        return -ENOENT;
    c = evtchn_from_port(d, b->port);
    switch ( c->state )
    {
    case ECS_VIRQ:
        if ( virq_is_per_vcpu(c->virq) )
            return -EINVAL;
        /* fall through */
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
    case ECS_PIRQ:
        c->notify_vcpu = b->vcpu;
        return 0;
    default:
        return -EINVAL;
    }
}

long do_event_channel_op(unsigned long cmd, vaddr_t arg)
{
    union {
        evtchn_alloc_unbound_t alloc;
        evtchn_bind_interdomain_t inter;
        evtchn_bind_virq_t virq;
        evtchn_bind_ipi_t ipi;
        evtchn_close_t close;
        evtchn_send_t send;
        evtchn_status_t status;
        evtchn_bind_vcpu_t vcpu;
        evtchn_unmask_t unmask;
        evtchn_reset_t reset;
        evtchn_init_control_t init;
        evtchn_expand_array_t expand;
        evtchn_set_priority_t prio;
    } u;
    static const uint8_t size[] = {
        [EVTCHNOP_bind_interdomain] = sizeof(evtchn_bind_interdomain_t),
        [EVTCHNOP_bind_virq] = sizeof(evtchn_bind_virq_t),
        [EVTCHNOP_close] = sizeof(evtchn_close_t),
        [EVTCHNOP_send] = sizeof(evtchn_send_t),
        [EVTCHNOP_status] = sizeof(evtchn_status_t),
        [EVTCHNOP_alloc_unbound] = sizeof(evtchn_alloc_unbound_t),
        [EVTCHNOP_bind_ipi] = sizeof(evtchn_bind_ipi_t),
        [EVTCHNOP_bind_vcpu] = sizeof(evtchn_bind_vcpu_t),
        [EVTCHNOP_unmask] = sizeof(evtchn_unmask_t),
        [EVTCHNOP_reset] = sizeof(evtchn_reset_t),
        [EVTCHNOP_init_control] = sizeof(evtchn_init_control_t),
        [EVTCHNOP_expand_array] = sizeof(evtchn_expand_array_t),
        [EVTCHNOP_set_priority] = sizeof(evtchn_set_priority_t),
    };
    long rc;

    if ( cmd >= ARRAY_SIZE(size) || !size[cmd] )
    {
        /* bind_pirq: no physical IRQs for guests. */
        report_unhandled(UNHANDLED_SUBOP, "event_channel_op", cmd, "not implemented: -ENOSYS");
        return -ENOSYS;
    }
    if ( copy_from_guest(&u, arg, size[cmd]) )
        return -EFAULT;
    switch ( cmd )
    {
    case EVTCHNOP_alloc_unbound:   rc = alloc_unbound(&u.alloc); break;
    case EVTCHNOP_bind_interdomain: rc = bind_interdomain(&u.inter); break;
    case EVTCHNOP_bind_virq:       rc = bind_virq(&u.virq); break;
    case EVTCHNOP_bind_ipi:        rc = bind_ipi(&u.ipi); break;
    case EVTCHNOP_close:
        return evtchn_close_port(current->domain, u.close.port);
    case EVTCHNOP_send:            return evtchn_send(u.send.port);
    case EVTCHNOP_status:          rc = evtchn_status_op(&u.status); break;
    case EVTCHNOP_bind_vcpu:       return bind_vcpu(&u.vcpu);
    case EVTCHNOP_unmask:          return evtchn_unmask(u.unmask.port);
    case EVTCHNOP_reset:           return evtchn_reset(u.reset.dom, arg);
    case EVTCHNOP_init_control:
        rc = evtchn_fifo_init_control(current->domain, &u.init);
        break;
    case EVTCHNOP_expand_array:
        return evtchn_fifo_expand_array(current->domain, u.expand.array_gfn);
    case EVTCHNOP_set_priority:    return evtchn_set_priority(&u.prio);
    default:                       return -ENOSYS;
    }
    if ( !rc && copy_to_guest(arg, &u, size[cmd]) )
        rc = -EFAULT;
    return rc;
}
