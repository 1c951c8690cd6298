/*
 * Top-level hypercall dispatch: one table indexed by hypercall number.
 * A number with no handler returns -ENOSYS and is logged once.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/sched.h>
#include <public/xen.h>

static hypercall_fn_t *const hypercall_table[NR_HYPERCALLS] = {
    [__HYPERVISOR_xen_version] = do_xen_version,
    [__HYPERVISOR_console_io]  = do_console_io,
    [__HYPERVISOR_sched_op]    = do_sched_op,
};

static uint64_t enosys_logged;

long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2,
                        unsigned long a3, unsigned long a4, unsigned long a5,
                        unsigned long a6)
{
    if ( nr < NR_HYPERCALLS && hypercall_table[nr] )
        return hypercall_table[nr](a1, a2, a3, a4, a5, a6);

    if ( nr >= NR_HYPERCALLS )
        printk_once(XENLOG_WARNING "d%u: hypercall %lu out of range: -ENOSYS\n",
                    current->domain->domain_id, nr);
    else if ( !(enosys_logged & (1UL << nr)) )
    {
        enosys_logged |= 1UL << nr;
        printk(XENLOG_WARNING "d%u: unimplemented hypercall %lu: -ENOSYS\n",
               current->domain->domain_id, nr);
    }
    return -ENOSYS;
}
