/*
 * sched.h: sched_op(cmd, arg) — yield, block, shut down, poll.
 */
#ifndef XEN_PUBLIC_SCHED_H
#define XEN_PUBLIC_SCHED_H

#include <stdint.h>
#include "event_channel.h"

/*
 * SCHEDOP_yield           - arg NULL: give up the CPU, stay runnable.
 * SCHEDOP_block           - arg NULL: clear the upcall mask and sleep until
 *                           an event is pending (returns at once if one is).
 * SCHEDOP_shutdown        - arg sched_shutdown_t: stop the calling domain
 *                           with a SHUTDOWN_* reason.
 * SCHEDOP_poll            - arg sched_poll_t: sleep until one of the ports
 *                           is pending or the timeout (absolute ns) passes.
 * SCHEDOP_remote_shutdown - arg sched_remote_shutdown_t (privileged).
 * SCHEDOP_shutdown_code   - arg sched_shutdown_t: record the reason to use
 *                           if the domain later shuts down/crashes.
 * SCHEDOP_watchdog        - arg sched_watchdog_t: create/kick/stop a watchdog.
 * SCHEDOP_pin_override    - arg sched_pin_override_t (dom0 only).
 */
#define SCHEDOP_yield            0
#define SCHEDOP_block            1
#define SCHEDOP_shutdown         2
#define SCHEDOP_poll             3
#define SCHEDOP_remote_shutdown  4
#define SCHEDOP_shutdown_code    5
#define SCHEDOP_watchdog         6
#define SCHEDOP_pin_override     7

struct sched_shutdown
{
    uint32_t reason;            /* IN: SHUTDOWN_* */
};
typedef struct sched_shutdown sched_shutdown_t;
_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown");

struct sched_poll
{
    XEN_GUEST_HANDLE(evtchn_port_t) ports;  /* IN */
    uint32_t nr_ports;                      /* IN */
    uint64_t timeout;                       /* IN: absolute ns, 0 = none */
};
typedef struct sched_poll sched_poll_t;
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");
_Static_assert(__builtin_offsetof(struct sched_poll, timeout) == 16,
               "sched_poll.timeout");

struct sched_remote_shutdown
{
    domid_t domain_id;          /* IN */
    uint32_t reason;            /* IN: SHUTDOWN_* */
};
typedef struct sched_remote_shutdown sched_remote_shutdown_t;
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "remote_shutdown");

struct sched_watchdog
{
    uint32_t id;                /* IN/OUT: 0 = allocate a new one */
    uint32_t timeout;           /* IN: seconds, 0 = destroy       */
};
typedef struct sched_watchdog sched_watchdog_t;
_Static_assert(sizeof(struct sched_watchdog) == 8, "sched_watchdog");
_Static_assert(__builtin_offsetof(struct sched_watchdog, timeout) == 4,
               "sched_watchdog.timeout");

struct sched_pin_override
{
    int32_t pcpu;               /* IN: physical CPU, < 0 = undo   */
};
typedef struct sched_pin_override sched_pin_override_t;
_Static_assert(sizeof(struct sched_pin_override) == 4, "sched_pin_override");

/* Shutdown reasons. */
#define SHUTDOWN_poweroff   0   /* exited normally: clean up and destroy */
#define SHUTDOWN_reboot     1   /* destroy, then restart                 */
#define SHUTDOWN_suspend    2   /* save state for resume                 */
#define SHUTDOWN_crash      3   /* the domain crashed                    */
#define SHUTDOWN_watchdog   4   /* its watchdog expired                  */
#define SHUTDOWN_soft_reset 5   /* reset, keeping memory                 */
#define SHUTDOWN_MAX        5

#endif /* XEN_PUBLIC_SCHED_H */
