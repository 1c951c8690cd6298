/*
 * badptr2: bad argument pointers to the remaining pointer-taking
 * hypercalls of the CPU/memory rung (callback_op, event_channel_op,
 * vcpu_op, sched_op, nmi_op, memory_op, physdev_op): unmapped,
 * non-canonical and hypervisor-range buffers all give -EFAULT and change
 * nothing, as on Xen 4.17.
 */
#include "xtest.h"
#include <public/sched.h>
#include <public/event_channel.h>
#include <public/vcpu.h>
#include <public/callback.h>
#include <public/memory.h>
#include <public/physdev.h>
#include <public/nmi.h>

#define UNMAPPED        0x0000100000000000UL
#define NONCANON        0x0000800000000000UL
#define HV_PRIVATE      0xffff830000000000UL

static const unsigned long bad[] = { UNMAPPED, NONCANON, HV_PRIVATE };
static const char *const bad_name[] = { "unmapped", "noncanon", "hv" };

#define HC(nr, a1, a2, a3) xt_hypercall((nr), (a1), (a2), (a3), 0, 0)

struct call {
    const char *name;
    unsigned int nr;
    unsigned long cmd;          /* first argument */
    bool ptr_third;             /* vcpu_op: (cmd, vcpu, ptr) */
};

static const struct call calls[] = {
    { "callback_register", __HYPERVISOR_callback_op, CALLBACKOP_register, false },
    { "callback_unregister", __HYPERVISOR_callback_op, CALLBACKOP_unregister, false },
    { "evtchn_alloc_unbound", __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, false },
    { "evtchn_bind_virq", __HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, false },
    { "evtchn_bind_ipi", __HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, false },
    { "evtchn_status", __HYPERVISOR_event_channel_op, EVTCHNOP_status, false },
    { "evtchn_send", __HYPERVISOR_event_channel_op, EVTCHNOP_send, false },
    { "evtchn_close", __HYPERVISOR_event_channel_op, EVTCHNOP_close, false },
    { "evtchn_unmask", __HYPERVISOR_event_channel_op, EVTCHNOP_unmask, false },
    { "vcpu_singleshot", __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, true },
    { "vcpu_runstate_area", __HYPERVISOR_vcpu_op,
      VCPUOP_register_runstate_memory_area, true },
    { "vcpu_get_runstate", __HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, true },
    { "sched_shutdown", __HYPERVISOR_sched_op, SCHEDOP_shutdown, false },
    { "sched_poll", __HYPERVISOR_sched_op, SCHEDOP_poll, false },
    { "nmi_register", __HYPERVISOR_nmi_op, XENNMI_register_callback, false },
    { "memory_current", __HYPERVISOR_memory_op, XENMEM_current_reservation, false },
    { "memory_machphys", __HYPERVISOR_memory_op, XENMEM_machphys_mapping, false },
    { "physdev_set_iopl", __HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, false },
};

XTEST(badptr2, 54)
{
    unsigned int i, j;

    for ( i = 0; i < ARRAY_SIZE(calls); i++ )
        for ( j = 0; j < ARRAY_SIZE(bad); j++ )
        {
            char name[64];
            long rc = calls[i].ptr_third
                      ? HC(calls[i].nr, calls[i].cmd, 0, bad[j])
                      : HC(calls[i].nr, calls[i].cmd, bad[j], 0);

            snprintf(name, sizeof(name), "%s_%s", calls[i].name, bad_name[j]);
            xt_check_rc(name, rc, -XEN_EFAULT);
        }
}
