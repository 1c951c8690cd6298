/*
 * Event channels and per-vCPU virtual timers.
 *
 * A domain's ports live in buckets of EVTCHN_PER_BUCKET (a page each):
 * the first EVTCHN_2L_NR_PORTS ports' buckets exist from the start, the
 * rest are allocated as the FIFO ABI hands out higher ports. A port's
 * binding (unbound, interdomain, VIRQ, IPI) is here; its pending and mask
 * state is the guest's, in shared_info (2-level ABI) or in the event words
 * of its FIFO event array (common/event_fifo.c). Raising a port makes the
 * notified vCPU's upcall_pending set, which the exit path turns into an
 * upcall.
 */
#ifndef XENIA_EVENT_H
#define XENIA_EVENT_H

#include <xenia/types.h>
#include <xenia/config.h>

#define EVTCHN_2L_NR_PORTS   4096           /* 64 words of 64 bits */
#define EVTCHN_NR_PORTS      (1U << 17)     /* the FIFO ABI's LINK field */

enum evtchn_state {
    ECS_FREE, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI,
};

struct evtchn {
    uint8_t state;
    uint8_t notify_vcpu;
    uint16_t remote_dom;    /* unbound: who may bind; interdomain: peer */
    uint32_t remote_port;   /* interdomain: the peer's port */
    uint8_t virq;
    /* FIFO ABI (common/event_fifo.c). */
    uint8_t priority;       /* the queue its next event goes on */
    uint8_t last_vcpu;      /* the queue it was last linked on: vCPU ... */
    uint8_t last_priority;  /* ... and priority; survive a close */
    bool pending;           /* raised while no event-array page covered it */
};

#define EVTCHN_PER_BUCKET   (PAGE_SIZE / sizeof(struct evtchn))
#define EVTCHN_NR_BUCKETS   (EVTCHN_NR_PORTS / EVTCHN_PER_BUCKET)

struct domain;
struct vcpu;

int evtchn_init(struct domain *d);
/* Closes every port and drops the FIFO pages (domain_kill). */
void evtchn_destroy(struct domain *d);
/* Frees the port buckets (the domain struct goes). */
void evtchn_free_tables(struct domain *d);
void evtchn_set_pending(struct vcpu *v, unsigned int port);
void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq);
void send_guest_global_virq(struct domain *d, unsigned int virq);
/* SCHEDOP_poll: -EINVAL for a port that is not valid, else whether pending. */
int evtchn_poll_pending(struct domain *d, unsigned int port);

/*
 * Between event_channel.c (the channels) and the two ABIs: how a port's
 * pending and mask state is kept. Every op runs under the hypervisor lock;
 * the guest changes the same state concurrently, so bits move atomically.
 * 'port' is valid (bucket allocated) in every call.
 */
struct evtchn_port_ops {
    void (*set_pending)(struct vcpu *v, unsigned int port);
    void (*clear_pending)(struct domain *d, unsigned int port);
    /* Clear the mask; a pending port is raised again. */
    void (*unmask)(struct domain *d, unsigned int port);
    bool (*is_pending)(const struct domain *d, unsigned int port);
    bool (*is_masked)(const struct domain *d, unsigned int port);
    /* 0 or -errno; the 2-level ABI has none (NULL: -ENOSYS). */
    int (*set_priority)(struct domain *d, unsigned int port,
                        unsigned int priority);
};

extern const struct evtchn_port_ops evtchn_port_ops_fifo;

/* event_channel.c, for event_fifo.c. */
struct evtchn *evtchn_from_port(const struct domain *d, unsigned int port);
bool evtchn_port_valid(const struct domain *d, unsigned int port);
/* Sets v's upcall_pending and kicks it (Xen's vcpu_mark_events_pending). */
void evtchn_vcpu_mark_pending(struct vcpu *v);

/* event_fifo.c: the three FIFO ops and the teardown; 0 or -errno. */
struct evtchn_init_control;
long evtchn_fifo_init_control(struct domain *d,
                              struct evtchn_init_control *ic);
long evtchn_fifo_expand_array(struct domain *d, uint64_t array_gfn);
/* Drops every page the FIFO ABI holds; the domain is 2-level again. */
void evtchn_fifo_destroy(struct domain *d);

/* Timers: called on every tick; fires the due ones. */
/* Fires the guest timers that are due; returns the earliest still set (0: none). */
uint64_t vcpu_timers_tick(void);
/* Writes v's pvclock record (version protocol). */
void update_vcpu_system_time(struct vcpu *v);
/* Copies v's runstate to its registered area (v's tables loaded). */
void vcpu_write_runstate(struct vcpu *v);

#endif /* XENIA_EVENT_H */
