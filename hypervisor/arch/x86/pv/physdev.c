/*
 * physdev_op (public/physdev.h): a PV guest's I/O privilege, its virtual
 * IOPL and its I/O-port bitmap.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/hypercall.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <public/physdev.h>

long do_physdev_op(unsigned long cmd, vaddr_t arg)
{
    switch ( cmd )
    {
    case PHYSDEVOP_set_iopl:
    {
        physdev_set_iopl_t s;

        if ( copy_from_guest(&s, arg, sizeof(s)) )
            return -EFAULT;
        if ( s.iopl > 3 )
            return -EINVAL;
        current->iopl = s.iopl;
        return 0;
    }
    case PHYSDEVOP_set_iobitmap:
    {
        physdev_set_iobitmap_t b;

        if ( copy_from_guest(&b, arg, sizeof(b)) )
            return -EFAULT;
        if ( !guest_range_ok(b.bitmap, 0x10000 / 8) || b.nr_ports > 0x10000 )
            return -EINVAL;
        current->iobmp = b.bitmap;
        current->iobmp_limit = b.nr_ports;
        return 0;
    }
    default:
        report_unhandled(UNHANDLED_SUBOP, "physdev_op", cmd, "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}
