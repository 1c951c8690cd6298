/*
 * event_channel.h: event_channel_op(cmd, arg) — virtual interrupts.
 *
 * Each domain has a table of ports; a port is bound to a source (another
 * domain's port, a VIRQ, a physical IRQ, an IPI) and signals the domain
 * by setting its pending bit in shared_info (2-level ABI).
 */
#ifndef XEN_PUBLIC_EVENT_CHANNEL_H
#define XEN_PUBLIC_EVENT_CHANNEL_H

#include <stdint.h>
#include "xen.h"

/*
 * Sub-ops:
 *  bind_interdomain - connect to a remote domain's unbound port.
 *  bind_virq        - bind a VIRQ_* of one vCPU to a new port.
 *  bind_pirq        - bind a physical IRQ (privileged domains).
 *  close            - close a port.
 *  send             - signal the other end of a port.
 *  status           - describe a port.
 *  alloc_unbound    - allocate a port that 'remote_dom' may connect to.
 *  bind_ipi         - a port for signalling one's own vCPU.
 *  bind_vcpu        - change the vCPU a port notifies.
 *  unmask           - clear the mask bit and redeliver if pending.
 *  reset            - close all ports of a domain.
 *  init_control, expand_array, set_priority - FIFO ABI.
 */
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_bind_pirq        2
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_bind_ipi         7
#define EVTCHNOP_bind_vcpu        8
#define EVTCHNOP_unmask           9
#define EVTCHNOP_reset           10
#define EVTCHNOP_init_control    11
#define EVTCHNOP_expand_array    12
#define EVTCHNOP_set_priority    13

typedef uint32_t evtchn_port_t;
DEFINE_XEN_GUEST_HANDLE(evtchn_port_t);

/* 2-level ABI: 64 words of 64 bits in shared_info. */
#define EVTCHN_2L_NR_CHANNELS (sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64)

struct evtchn_alloc_unbound
{
    domid_t dom;            /* IN: owner (DOMID_SELF) */
    domid_t remote_dom;     /* IN: who may connect    */
    evtchn_port_t port;     /* OUT                    */
};
typedef struct evtchn_alloc_unbound evtchn_alloc_unbound_t;
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "alloc_unbound");

struct evtchn_bind_interdomain
{
    domid_t remote_dom;         /* IN  */
    evtchn_port_t remote_port;  /* IN  */
    evtchn_port_t local_port;   /* OUT */
};
typedef struct evtchn_bind_interdomain evtchn_bind_interdomain_t;
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "bind_interdom");

struct evtchn_bind_virq
{
    uint32_t virq;          /* IN: VIRQ_* */
    uint32_t vcpu;          /* IN         */
    evtchn_port_t port;     /* OUT        */
};
typedef struct evtchn_bind_virq evtchn_bind_virq_t;
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "bind_virq");

#define BIND_PIRQ__WILL_SHARE 1
struct evtchn_bind_pirq
{
    uint32_t pirq;          /* IN              */
    uint32_t flags;         /* IN: BIND_PIRQ__* */
    evtchn_port_t port;     /* OUT             */
};
typedef struct evtchn_bind_pirq evtchn_bind_pirq_t;
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "evtchn_bind_pirq");
_Static_assert(__builtin_offsetof(struct evtchn_bind_pirq, flags) == 4,
               "evtchn_bind_pirq.flags");
_Static_assert(__builtin_offsetof(struct evtchn_bind_pirq, port) == 8,
               "evtchn_bind_pirq.port");

struct evtchn_bind_ipi
{
    uint32_t vcpu;          /* IN  */
    evtchn_port_t port;     /* OUT */
};
typedef struct evtchn_bind_ipi evtchn_bind_ipi_t;
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "evtchn_bind_ipi");
_Static_assert(__builtin_offsetof(struct evtchn_bind_ipi, port) == 4,
               "evtchn_bind_ipi.port");

struct evtchn_close
{
    evtchn_port_t port;     /* IN */
};
typedef struct evtchn_close evtchn_close_t;
_Static_assert(sizeof(struct evtchn_close) == 4, "evtchn_close");

struct evtchn_send
{
    evtchn_port_t port;     /* IN */
};
typedef struct evtchn_send evtchn_send_t;
_Static_assert(sizeof(struct evtchn_send) == 4, "evtchn_send");

#define EVTCHNSTAT_closed       0
#define EVTCHNSTAT_unbound      1
#define EVTCHNSTAT_interdomain  2
#define EVTCHNSTAT_pirq         3
#define EVTCHNSTAT_virq         4
#define EVTCHNSTAT_ipi          5
struct evtchn_status
{
    domid_t dom;            /* IN  */
    evtchn_port_t port;     /* IN  */
    uint32_t status;        /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;          /* OUT */
    union
    {
        struct
        {
            domid_t dom;
        } unbound;
        struct
        {
            domid_t dom;
            evtchn_port_t port;
        } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;                    /* OUT */
};
typedef struct evtchn_status evtchn_status_t;
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status");

struct evtchn_bind_vcpu
{
    evtchn_port_t port;     /* IN */
    uint32_t vcpu;          /* IN */
};
typedef struct evtchn_bind_vcpu evtchn_bind_vcpu_t;
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "evtchn_bind_vcpu");
_Static_assert(__builtin_offsetof(struct evtchn_bind_vcpu, vcpu) == 4,
               "evtchn_bind_vcpu.vcpu");

struct evtchn_unmask
{
    evtchn_port_t port;     /* IN */
};
typedef struct evtchn_unmask evtchn_unmask_t;
_Static_assert(sizeof(struct evtchn_unmask) == 4, "evtchn_unmask");

struct evtchn_reset
{
    domid_t dom;            /* IN */
};
typedef struct evtchn_reset evtchn_reset_t;
_Static_assert(sizeof(struct evtchn_reset) == 2, "evtchn_reset");

struct evtchn_init_control
{
    uint64_t control_gfn;   /* IN  */
    uint32_t offset;        /* IN  */
    uint32_t vcpu;          /* IN  */
    uint8_t link_bits;      /* OUT */
    uint8_t _pad[7];
};
typedef struct evtchn_init_control evtchn_init_control_t;
_Static_assert(sizeof(struct evtchn_init_control) == 24, "init_control");
_Static_assert(__builtin_offsetof(struct evtchn_init_control, vcpu) == 12,
               "evtchn_init_control.vcpu");
_Static_assert(__builtin_offsetof(struct evtchn_init_control, link_bits) == 16,
               "evtchn_init_control.link_bits");

struct evtchn_expand_array
{
    uint64_t array_gfn;     /* IN */
};
typedef struct evtchn_expand_array evtchn_expand_array_t;
_Static_assert(sizeof(struct evtchn_expand_array) == 8, "evtchn_expand_array");

struct evtchn_set_priority
{
    evtchn_port_t port;     /* IN */
    uint32_t priority;      /* IN */
};
typedef struct evtchn_set_priority evtchn_set_priority_t;
_Static_assert(sizeof(struct evtchn_set_priority) == 8, "evtchn_set_priority");
_Static_assert(__builtin_offsetof(struct evtchn_set_priority, priority) == 4,
               "evtchn_set_priority.priority");

/*
 * FIFO ABI.
 *
 * init_control registers a vCPU's control block (control_gfn, offset:
 * 8-byte aligned, the block inside the page) and, the first time, switches
 * the domain from the 2-level ABI (one way, until EVTCHNOP_reset); ports
 * pending under 2-level stay pending. Returns link_bits. expand_array adds
 * one page of event words (1024 ports) to the event array. set_priority
 * puts a port's future events on queue 'priority' (0 highest .. 15).
 *
 * An event word: PENDING, MASKED, LINKED, BUSY and a 17-bit LINK to the
 * next port of the queue. The hypervisor appends a raised, unmasked,
 * unlinked port to the tail of its queue (setting LINKED, and the LINK of
 * the old tail, or the queue's head in the control block if it was
 * empty) and sets the queue's bit in 'ready'. The guest takes events from
 * the head, clearing LINKED and LINK as it goes.
 */
#define EVTCHN_FIFO_PRIORITY_MAX     0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN     15
#define EVTCHN_FIFO_MAX_QUEUES       (EVTCHN_FIFO_PRIORITY_MIN + 1)

typedef uint32_t event_word_t;

#define EVTCHN_FIFO_PENDING 31
#define EVTCHN_FIFO_MASKED  30
#define EVTCHN_FIFO_LINKED  29
#define EVTCHN_FIFO_BUSY    28

#define EVTCHN_FIFO_LINK_BITS 17
#define EVTCHN_FIFO_LINK_MASK ((1U << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS (1U << EVTCHN_FIFO_LINK_BITS)

struct evtchn_fifo_control_block
{
    uint32_t ready;                             /* bit q: queue q not empty */
    uint32_t _rsvd;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];      /* first port of queue q */
};
typedef struct evtchn_fifo_control_block evtchn_fifo_control_block_t;
_Static_assert(sizeof(struct evtchn_fifo_control_block) == 72,
               "evtchn_fifo_control_block");
_Static_assert(__builtin_offsetof(struct evtchn_fifo_control_block, head) == 8,
               "evtchn_fifo_control_block.head");

#endif /* XEN_PUBLIC_EVENT_CHANNEL_H */
