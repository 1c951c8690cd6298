/*
 * crash: the domain faults fatally and the hypervisor must crash it.
 *
 * No trap table is installed, so a write to an unmapped address has no
 * guest handler: the hypervisor must crash the domain (and, for the
 * initial domain, report it and stop).  The one check,
 * crash.domain_crashed, is judged by the runner from the serial log and
 * the QEMU exit status; this kernel can only announce the fault.
 */
#include "xtest.h"

XTEST(crash, 1)
{
    volatile uint64_t *unmapped = (volatile uint64_t *)0x0000100000000000UL;

    printf("xtest: crash: writing to unmapped address %p\n",
           (void *)unmapped);
    *unmapped = 0xdead;
    printf("xtest: crash: the write returned; the domain was not crashed\n");
    xt_check("domain_crashed", false, "fault did not stop the domain");
}
