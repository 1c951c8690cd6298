/*
 * xenctl_bitmap (public/domctl.h) to and from a 64-bit mask, as Xen's
 * bitmap copies: min(guest, hypervisor) bytes are copied, a guest buffer
 * longer than the hypervisor's 'nbits' is zero-filled, and bits beyond a
 * guest's nr_bits are ignored.  Both return 0 or -EFAULT. (common/sysctl.c)
 */
#ifndef XENIA_CTL_BITMAP_H
#define XENIA_CTL_BITMAP_H

#include <stdint.h>
#include <public/domctl.h>

int ctl_bitmap_from_mask(const struct xenctl_bitmap *b, uint64_t mask,
                         unsigned int nbits);
int ctl_bitmap_to_mask(const struct xenctl_bitmap *b, uint64_t *mask,
                       unsigned int nbits);

#endif /* XENIA_CTL_BITMAP_H */
