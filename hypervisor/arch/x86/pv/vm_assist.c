/*
 * vm_assist (VMASST_* in public/xen.h): the PV assists a guest turns on,
 * within Xen 4.17's mask for 64-bit guests (VMASST_VALID, pv_mm.h).
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/hypercall.h>
#include <xenia/errno.h>
#include <xenia/sched.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include <public/xen.h>
#include <xenia/processor.h>

long do_vm_assist(unsigned long cmd, unsigned long type)
{
    struct domain *d = current->domain;

    if ( type >= 64 || !(VMASST_VALID & (1UL << type)) )
        return -EINVAL;
    switch ( cmd )
    {
    case VMASST_CMD_enable:
        d->vm_assist |= 1UL << type;
        return 0;
    case VMASST_CMD_disable:
        d->vm_assist &= ~(1UL << type);
        return 0;
    default:
        return -ENOSYS;
    }
}

bool pv_architectural_iopl(const struct domain *d)
{
    return d->vm_assist & (1UL << VMASST_TYPE_architectural_iopl);
}

void pv_iret_iopl(struct vcpu *v, uint64_t rflags)
{
    if ( pv_architectural_iopl(v->domain) )
        v->iopl = (rflags & X86_EFLAGS_IOPL) >> 12;
}

uint64_t pv_frame_iopl(const struct vcpu *v)
{
    return pv_architectural_iopl(v->domain) ? (uint64_t)v->iopl << 12 : 0;
}
