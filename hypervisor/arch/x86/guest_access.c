/* The guarded copy to and from guest virtual addresses (guest_access.h). */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/guest_access.h>

#define LOWER_HALF_END 0x0000800000000000UL

bool guest_range_ok(vaddr_t va, size_t len)
{
    vaddr_t last;

    if ( !len )
        return true;
    last = va + len - 1;
    if ( last < va )
        return false;                       /* wraps */
    if ( va < LOWER_HALF_END )
        return last < LOWER_HALF_END;       /* canonical lower half */
    return va >= HYPERVISOR_HOLE_END;       /* upper half above the hole */
}

int copy_from_guest(void *dst, vaddr_t src, size_t len)
{
    if ( !guest_range_ok(src, len) )
        return -EFAULT;
    return raw_copy_guest(dst, (const void *)src, len) ? -EFAULT : 0;
}

int copy_to_guest(vaddr_t dst, const void *src, size_t len)
{
    if ( !guest_range_ok(dst, len) )
        return -EFAULT;
    return raw_copy_guest((void *)dst, src, len) ? -EFAULT : 0;
}
