/*
 * Top-level hypercall dispatch: one table indexed by hypercall number.
 * A number with no handler returns -ENOSYS and is logged once
 * (XENIA-UNHANDLED, xenia/unhandled.h).
 */
#include <xenia/lib.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/sched.h>
#include <xenia/pv_mm.h>
#include <xenia/pv_traps.h>
#include <xenia/event.h>
#include <xenia/grant_table.h>
#include <public/xen.h>

static hypercall_fn_t *const hypercall_table[NR_HYPERCALLS] = {
    [__HYPERVISOR_set_trap_table]     = do_set_trap_table,
    [__HYPERVISOR_mmu_update]         = do_mmu_update,
    [__HYPERVISOR_set_gdt]            = do_set_gdt,
    [__HYPERVISOR_stack_switch]       = do_stack_switch,
    [__HYPERVISOR_set_callbacks]      = do_set_callbacks,
    [__HYPERVISOR_fpu_taskswitch]     = do_fpu_taskswitch,
    [__HYPERVISOR_set_debugreg]       = do_set_debugreg,
    [__HYPERVISOR_get_debugreg]       = do_get_debugreg,
    [__HYPERVISOR_update_descriptor]  = do_update_descriptor,
    [__HYPERVISOR_memory_op]          = do_memory_op,
    [__HYPERVISOR_multicall]          = do_multicall,
    [__HYPERVISOR_update_va_mapping]  = do_update_va_mapping,
    [__HYPERVISOR_xen_version]        = do_xen_version,
    [__HYPERVISOR_console_io]         = do_console_io,
    [__HYPERVISOR_vm_assist]          = do_vm_assist,
    [__HYPERVISOR_iret]               = do_iret,
    [__HYPERVISOR_set_segment_base]   = do_set_segment_base,
    [__HYPERVISOR_mmuext_op]          = do_mmuext_op,
    [__HYPERVISOR_sched_op]           = do_sched_op,
    [__HYPERVISOR_callback_op]        = do_callback_op,
    [__HYPERVISOR_nmi_op]             = do_nmi_op,
    [__HYPERVISOR_physdev_op]         = do_physdev_op,
    [__HYPERVISOR_set_timer_op]       = do_set_timer_op,
    [__HYPERVISOR_vcpu_op]            = do_vcpu_op,
    [__HYPERVISOR_event_channel_op]   = do_event_channel_op,
    [__HYPERVISOR_grant_table_op]     = do_grant_table_op,
    [__HYPERVISOR_sysctl]             = do_sysctl,
    [__HYPERVISOR_domctl]             = do_domctl,
};

long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2,
                        unsigned long a3, unsigned long a4, unsigned long a5,
                        unsigned long a6)
{
    if ( nr < NR_HYPERCALLS && hypercall_table[nr] )
        return hypercall_table[nr](a1, a2, a3, a4, a5, a6);

    report_unhandled(UNHANDLED_HYPERCALL, NULL, nr,
                     nr >= NR_HYPERCALLS ? "out of range: -ENOSYS"
                                         : "not implemented: -ENOSYS");
    return -ENOSYS;
}
