/*
 * The one guarded path for reading and writing guest memory named by a
 * guest-supplied virtual address.
 *
 * The range is first checked to be canonical, not to wrap, and to lie
 * outside the hypervisor's hole (slots 256-271, including the read-only
 * M2P); then it is copied in the guest's own address space with an
 * exception-table fixup, so an unmapped page, or a write to a read-only
 * mapping (CR0.WP is on), stops the copy instead of faulting the
 * hypervisor. Either way the caller gets -EFAULT.
 */
#ifndef XENIA_GUEST_ACCESS_H
#define XENIA_GUEST_ACCESS_H

#include <xenia/types.h>

bool guest_range_ok(vaddr_t va, size_t len);
int copy_from_guest(void *dst, vaddr_t src, size_t len);
int copy_to_guest(vaddr_t dst, const void *src, size_t len);

unsigned long raw_copy_guest(void *dst, const void *src, unsigned long n);

/* Exception-table lookup: fixup address for a faulting RIP, or 0. */
unsigned long search_exception_table(unsigned long rip);

#endif /* XENIA_GUEST_ACCESS_H */
