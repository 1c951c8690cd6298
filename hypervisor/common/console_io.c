/*
 * console_io hypercall: CONSOLEIO_write copies the guest's buffer in chunks
 * through the guarded path and prints it; CONSOLEIO_read has no input
 * source yet and returns 0 bytes.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/console.h>
#include <xenia/sched.h>
#include <public/xen.h>

#define CHUNK 128

static long console_write(vaddr_t buf, unsigned long count)
{
    char kbuf[CHUNK];

    /* Validate the whole range first: a bad buffer prints nothing. */
    if ( !guest_range_ok(buf, count) )
        return -EFAULT;
    while ( count )
    {
        size_t n = MIN(count, (unsigned long)CHUNK);

        if ( copy_from_guest(kbuf, buf, n) )
            return -EFAULT;
        console_guest_write(current->domain->domain_id, kbuf, n);
        buf += n;
        count -= n;
    }
    return 0;
}

long do_console_io(unsigned long cmd, unsigned long count, unsigned long buf,
                   unsigned long a4, unsigned long a5, unsigned long a6)
{
    (void)a4; (void)a5; (void)a6;

    /* As Xen 4.17: a count that does not fit an int is refused. */
    if ( (unsigned int)count > 0x7fffffffU )
        return -E2BIG;
    switch ( cmd )
    {
    case CONSOLEIO_write:
        /* As Xen's release build: only the hardware domain may write. */
        if ( !current->domain->is_privileged )
            return -EPERM;
        return console_write(buf, (unsigned int)count);
    case CONSOLEIO_read:
        if ( !current->domain->is_privileged )
            return -EPERM;
        return 0;
    default:
        return -ENOSYS;
    }
}
