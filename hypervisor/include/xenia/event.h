/*
 * Event channels (2-level ABI) and per-vCPU virtual timers.
 *
 * Each domain has up to EVTCHN_NR_PORTS ports; a port's pending and mask
 * bits live in the domain's shared_info, its binding (unbound, interdomain,
 * VIRQ, IPI) here. Raising a port sets its pending bit and, if unmasked,
 * its word's bit in the notified vCPU's selector and that vCPU's
 * upcall_pending, which the exit path turns into an upcall.
 */
#ifndef XENIA_EVENT_H
#define XENIA_EVENT_H

#include <xenia/types.h>

#define EVTCHN_NR_PORTS 4096

enum evtchn_state {
    ECS_FREE, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI,
};

struct evtchn {
    uint8_t state;
    uint8_t notify_vcpu;
    uint16_t remote_dom;    /* unbound: who may bind; interdomain: peer */
    uint32_t remote_port;   /* interdomain: the peer's port */
    uint32_t virq;
};

struct domain;
struct vcpu;

int evtchn_init(struct domain *d);
void evtchn_destroy(struct domain *d);
void evtchn_set_pending(struct vcpu *v, unsigned int port);
void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq);
void send_guest_global_virq(struct domain *d, unsigned int virq);

/* Timers: called on every tick; fires the due ones. */
/* Fires the guest timers that are due; returns the earliest still set (0: none). */
uint64_t vcpu_timers_tick(void);
/* Writes v's pvclock record (version protocol). */
void update_vcpu_system_time(struct vcpu *v);
/* Copies v's runstate to its registered area (v's tables loaded). */
void vcpu_write_runstate(struct vcpu *v);

#endif /* XENIA_EVENT_H */
