/*
 * console_io hypercall: CONSOLEIO_write copies the guest's buffer in chunks
 * through the guarded path and prints it; CONSOLEIO_read hands the
 * hardware domain what was typed on the serial line.
 *
 * Input: CPU 0 polls the UART on every tick (100 Hz, enough for typing; a
 * paste longer than the UART's FIFO between two ticks loses bytes) into
 * a ring, and raises VIRQ_CONSOLE at the hardware domain when bytes came.
 * Unlike Xen, every byte goes to dom0: Xenia has no keys of its own on
 * its console (no input switch), so nothing clashes with QEMU's Ctrl-A.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md).
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/console.h>
#include <xenia/sched.h>
#include <xenia/event.h>
#include <public/xen.h>

#define CHUNK 128
#define RX_SIZE 1024                    /* a power of two */

static char rx_ring[RX_SIZE];
static unsigned int rx_prod, rx_cons;   /* free-running */

void console_poll_input(void)
{
    unsigned int got = 0;
    int c;

    while ( (c = serial_getc()) >= 0 )
    {
        if ( rx_prod - rx_cons == RX_SIZE )
            rx_cons++;                  /* full: the oldest byte goes */
        rx_ring[rx_prod++ % RX_SIZE] = (char)c;
        got++;
    }
    if ( got && hardware_domain )
        send_guest_global_virq(hardware_domain, VIRQ_CONSOLE);
}

/* Copies up to count waiting bytes to the guest; returns how many. */
static long console_read(vaddr_t buf, unsigned int count)
{
    char kbuf[CHUNK];
    long done = 0;

    if ( !guest_range_ok(buf, count) )
        return -EFAULT;
    while ( count && rx_cons != rx_prod )
    {
        unsigned int n = 0;

        while ( n < MIN(count, (unsigned int)CHUNK) && rx_cons + n != rx_prod )
        {
            kbuf[n] = rx_ring[(rx_cons + n) % RX_SIZE];
            n++;
        }
        if ( copy_to_guest(buf, kbuf, n) )
            return done ? done : -EFAULT;
        rx_cons += n;
        buf += n;
        count -= n;
        done += n;
    }
    return done;
}

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

long do_console_io(unsigned long cmd, unsigned long count, vaddr_t buf)
{

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
        return console_read(buf, (unsigned int)count);
    default:
        return -ENOSYS;
    }
}
