/*
 * vcpu.h: vcpu_op(cmd, vcpuid, arg) — per-vCPU control.
 */
#ifndef XEN_PUBLIC_VCPU_H
#define XEN_PUBLIC_VCPU_H

#include <stdint.h>
#include "xen.h"

/*
 * VCPUOP_initialise - arg vcpu_guest_context_t: set the initial state of
 *                     a vCPU that has never run.  -EEXIST if initialised.
 * VCPUOP_up         - arg NULL: make an initialised vCPU runnable.
 * VCPUOP_down       - arg NULL: take a vCPU offline.
 * VCPUOP_is_up      - arg NULL: returns 1 if up, 0 if down.
 * VCPUOP_get_runstate_info - arg vcpu_runstate_info_t (OUT).
 */
#define VCPUOP_initialise        0
#define VCPUOP_up                1
#define VCPUOP_down              2
#define VCPUOP_is_up             3
#define VCPUOP_get_runstate_info 4

struct vcpu_runstate_info
{
    int32_t state;              /* OUT: RUNSTATE_*                        */
    uint64_t state_entry_time;  /* OUT: system time the state was entered */
    uint64_t time[4];           /* OUT: ns spent in each state            */
};
typedef struct vcpu_runstate_info vcpu_runstate_info_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_runstate_info_t);
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "runstate_info");

/* Set in state_entry_time while the copy is updated (VMASST flag). */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3

/*
 * VCPUOP_register_runstate_memory_area - arg below: the hypervisor keeps a
 * vcpu_runstate_info at this guest VA up to date.
 */
#define VCPUOP_register_runstate_memory_area 5
struct vcpu_register_runstate_memory_area
{
    union
    {
        XEN_GUEST_HANDLE(vcpu_runstate_info_t) h;
        struct vcpu_runstate_info *v;
        uint64_t p;
    } addr;                     /* IN: guest VA */
};
typedef struct vcpu_register_runstate_memory_area
    vcpu_register_runstate_memory_area_t;
_Static_assert(sizeof(struct vcpu_register_runstate_memory_area) == 8,
               "register_runstate");

/* VCPUOP_set_periodic_timer - arg period; VCPUOP_stop_periodic_timer - NULL. */
#define VCPUOP_set_periodic_timer  6
#define VCPUOP_stop_periodic_timer 7
struct vcpu_set_periodic_timer
{
    uint64_t period_ns;         /* IN */
};
typedef struct vcpu_set_periodic_timer vcpu_set_periodic_timer_t;
_Static_assert(sizeof(struct vcpu_set_periodic_timer) == 8,
               "vcpu_set_periodic_timer");

/*
 * VCPUOP_set_singleshot_timer - arg below: one VIRQ_TIMER at an absolute
 * system time; with VCPU_SSHOTTMR_future, -ETIME if already past.
 * VCPUOP_stop_singleshot_timer - arg NULL.
 */
#define VCPUOP_set_singleshot_timer  8
#define VCPUOP_stop_singleshot_timer 9
struct vcpu_set_singleshot_timer
{
    uint64_t timeout_abs_ns;    /* IN */
    uint32_t flags;             /* IN: VCPU_SSHOTTMR_* */
};
typedef struct vcpu_set_singleshot_timer vcpu_set_singleshot_timer_t;
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16, "sshot");
#define _VCPU_SSHOTTMR_future 0
#define VCPU_SSHOTTMR_future  (1U << _VCPU_SSHOTTMR_future)

/*
 * VCPUOP_register_vcpu_info - arg below: move this vCPU's vcpu_info to
 * (mfn, offset); the 64 bytes must fit in the page.  Once per vCPU.
 */
#define VCPUOP_register_vcpu_info 10
struct vcpu_register_vcpu_info
{
    uint64_t mfn;               /* IN */
    uint32_t offset;            /* IN */
    uint32_t rsvd;              /* IN: must be 0 */
};
typedef struct vcpu_register_vcpu_info vcpu_register_vcpu_info_t;
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "reg_vcpu_info");

/* VCPUOP_send_nmi - arg NULL: raise a virtual NMI on the vCPU. */
#define VCPUOP_send_nmi 11

/* VCPUOP_get_physid - arg below (privileged). */
#define VCPUOP_get_physid 12
struct vcpu_get_physid
{
    uint64_t phys_id;           /* OUT: APIC id (low 32), ACPI id (high 32) */
};
typedef struct vcpu_get_physid vcpu_get_physid_t;
_Static_assert(sizeof(struct vcpu_get_physid) == 8, "vcpu_get_physid");

/*
 * VCPUOP_register_vcpu_time_memory_area - arg below: keep a copy of the
 * vCPU's vcpu_time_info at this guest VA (NULL to stop).
 */
#define VCPUOP_register_vcpu_time_memory_area 13
struct vcpu_register_time_memory_area
{
    union
    {
        XEN_GUEST_HANDLE(vcpu_time_info_t) h;
        struct vcpu_time_info *v;
        uint64_t p;
    } addr;                     /* IN: guest VA */
};
typedef struct vcpu_register_time_memory_area
    vcpu_register_time_memory_area_t;
_Static_assert(sizeof(struct vcpu_register_time_memory_area) == 8,
               "vcpu_register_time_memory_area");

#endif /* XEN_PUBLIC_VCPU_H */
