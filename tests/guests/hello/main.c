/*
 * hello: the smallest test.  Prints a greeting through both hypercall
 * gates and checks that console_io(CONSOLEIO_write) succeeds (>= 0).
 */
#include "xtest.h"

XTEST(hello, 3)
{
    static const char msg_page[] = "Hello from the hypercall page\n";
    static const char msg_sys[] = "Hello from a raw syscall\n";
    long rc;

    rc = xt_hypercall_via_page(__HYPERVISOR_console_io, CONSOLEIO_write,
                               sizeof(msg_page) - 1,
                               (unsigned long)msg_page, 0, 0);
    xt_check("console_write_page", rc >= 0, "rc=%ld", rc);

    rc = xt_hypercall_via_syscall(__HYPERVISOR_console_io, CONSOLEIO_write,
                                  sizeof(msg_sys) - 1,
                                  (unsigned long)msg_sys, 0, 0);
    xt_check("console_write_syscall", rc >= 0, "rc=%ld", rc);

    /* start_info must say we are the initial domain. */
    xt_check("start_info_initdomain",
             (xt_start_info->flags & SIF_INITDOMAIN) &&
             !strncmp(xt_start_info->magic, "xen-3.0-x86_64", 14),
             "flags=%#x magic=\"%.31s\"", xt_start_info->flags,
             xt_start_info->magic);
}
