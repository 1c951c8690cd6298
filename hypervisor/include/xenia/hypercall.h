/*
 * Hypercall dispatch: a table indexed by hypercall number. Every handler
 * takes the six argument registers and returns 0/positive or -errno.
 * Numbers without a handler return -ENOSYS, logged once per number.
 */
#ifndef XENIA_HYPERCALL_H
#define XENIA_HYPERCALL_H

#include <xenia/types.h>

typedef long hypercall_fn_t(unsigned long, unsigned long, unsigned long,
                            unsigned long, unsigned long, unsigned long);

#define NR_HYPERCALLS 64

long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2,
                        unsigned long a3, unsigned long a4, unsigned long a5,
                        unsigned long a6);

long do_console_io(unsigned long cmd, unsigned long count, unsigned long buf,
                   unsigned long, unsigned long, unsigned long);
long do_xen_version(unsigned long cmd, unsigned long arg, unsigned long,
                    unsigned long, unsigned long, unsigned long);
long do_sched_op(unsigned long cmd, unsigned long arg, unsigned long,
                 unsigned long, unsigned long, unsigned long);

long do_domctl(unsigned long arg, unsigned long, unsigned long,
               unsigned long, unsigned long, unsigned long);
long do_sysctl(unsigned long arg, unsigned long, unsigned long,
               unsigned long, unsigned long, unsigned long);

/* Fills a getdomaininfo record (common/domctl.c; also sysctl's list). */
struct domain;
struct xen_domctl_getdomaininfo;
void domctl_getdomaininfo(struct domain *d, struct xen_domctl_getdomaininfo *i);

/* Writes the 128 32-byte hypercall stubs into a guest page. */
void hypercall_page_fill(void *page);

#endif /* XENIA_HYPERCALL_H */
