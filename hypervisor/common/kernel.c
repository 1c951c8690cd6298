/*
 * xen_version: Xenia reports the Xen ABI level it implements (4.17), an
 * extraversion naming Xenia, and the feature bits Xen 4.17 gives a 64-bit
 * PV guest. Structured answers are copied out whole, as Xen does.
 */
#include <xenia/lib.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/sched.h>
#include <public/version.h>
#include <public/features.h>

#define XENIA_MAJOR 4
#define XENIA_MINOR 17
#define VMASST_pae_extended_cr3 3

char saved_cmdline[1024];

static long copy_string_out(vaddr_t arg, const char *s, size_t size)
{
    char buf[1024];

    BUG_ON(size > sizeof(buf));
    memset(buf, 0, size);
    strlcpy(buf, s, size);
    return copy_to_guest(arg, buf, size) ? -EFAULT : 0;
}

/* The linker's GNU build-id note: "GNU\0" then the id bytes. */
static int xenia_build_id(const uint8_t **id, unsigned int *len)
{
    extern const char __note_gnu_build_id_start[], __note_gnu_build_id_end[];
    const uint32_t *n = (const uint32_t *)__note_gnu_build_id_start;

    if ( __note_gnu_build_id_end - __note_gnu_build_id_start < 16 ||
         n[0] != 4 || n[2] != 3 /* NT_GNU_BUILD_ID */ )
        return -ENODATA;
    *id = (const uint8_t *)(n + 4);
    *len = n[1];
    return 0;
}

/*
 * XENVER_build_id, as Xen 4.17: a NULL buffer asks for the size; otherwise
 * the guest's xen_build_id_t header says how much room follows it.
 */
static long build_id_op(const struct domain *d, vaddr_t arg)
{
    xen_build_id_t hdr;
    const uint8_t *id;
    unsigned int len;
    int rc;

    if ( !d->is_privileged )
        return -EPERM;
    if ( arg )
    {
        if ( copy_from_guest(&hdr, arg, sizeof(hdr)) )
            return -EFAULT;
        if ( hdr.len == 0 )
            return -EINVAL;
    }
    rc = xenia_build_id(&id, &len);
    if ( rc )
        return rc;
    if ( !arg )
        return len;
    if ( hdr.len < len )
        return -ENOBUFS;
    if ( copy_to_guest(arg + sizeof(hdr), id, len) )
        return -EFAULT;
    return len;
}

static uint32_t pv_features(const struct domain *d)
{
    uint32_t f = (1u << XENFEAT_mmu_pt_update_preserve_ad) |
                 (1u << XENFEAT_highmem_assist) |
                 (1u << XENFEAT_gnttab_map_avail_bits) |
                 (1u << XENFEAT_memory_op_vnode_supported) |
                 (1u << XENFEAT_direct_mapped);

    if ( d->vm_assist & (1u << VMASST_pae_extended_cr3) )
        f |= 1u << XENFEAT_pae_pgdir_above_4gb;
    if ( d->is_privileged )
        f |= 1u << XENFEAT_dom0;
    return f;
}

long do_xen_version(unsigned long cmd, vaddr_t arg)
{
    struct domain *d = current->domain;

    switch ( cmd )
    {
    case XENVER_version:
        return (XENIA_MAJOR << 16) | XENIA_MINOR;
    case XENVER_extraversion:
        return copy_string_out(arg, "-xenia", sizeof(xen_extraversion_t));
    case XENVER_compile_info:
    {
        xen_compile_info_t ci;

        memset(&ci, 0, sizeof(ci));
        strlcpy(ci.compiler, "gcc " __VERSION__, sizeof(ci.compiler));
        strlcpy(ci.compile_by, "xenia", sizeof(ci.compile_by));
        strlcpy(ci.compile_domain, "xenia", sizeof(ci.compile_domain));
        strlcpy(ci.compile_date, __DATE__ " " __TIME__, sizeof(ci.compile_date));
        return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
    }
    case XENVER_capabilities:
        return copy_string_out(arg, "xen-3.0-x86_64 ",
                               sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return copy_string_out(arg, "xenia " XENIA_CHANGESET,
                               sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters:
    {
        xen_platform_parameters_t pp = { .virt_start = HYPERVISOR_HOLE_START };

        return copy_to_guest(arg, &pp, sizeof(pp)) ? -EFAULT : 0;
    }
    case XENVER_get_features:
    {
        xen_feature_info_t fi;

        if ( copy_from_guest(&fi, arg, sizeof(fi)) )
            return -EFAULT;
        if ( fi.submap_idx != 0 )
            return -EINVAL;
        fi.submap = pv_features(d);
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_pagesize:
        return arg ? -EINVAL : (long)PAGE_SIZE;
    case XENVER_guest_handle:
        return copy_to_guest(arg, d->handle, sizeof(d->handle)) ? -EFAULT : 0;
    case XENVER_commandline:
        if ( !d->is_privileged )
            return copy_string_out(arg, "<denied>", 9);
        return copy_string_out(arg, saved_cmdline, sizeof(saved_cmdline));
    case XENVER_build_id:
        return build_id_op(d, arg);
    default:
        report_unhandled(UNHANDLED_SUBOP, "xen_version", cmd,
                         "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}
