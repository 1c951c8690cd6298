/*
 * badptr: console_io and xen_version with bad guest buffers.
 *
 * Every bad buffer must give -EFAULT and leave the domain running:
 * NULL, an unmapped user address, non-canonical addresses (one the
 * hypervisor's range check catches, one only the access itself catches),
 * the hypervisor's private area, the read-only M2P window (Xen 4.17
 * refuses the whole hypervisor hole, even for reads), a buffer running
 * from the last mapped page of the initial mapping into the unmapped one
 * after it, and (for writes) the guest's own read-only page tables.
 * Expected values are those of Xen 4.17.
 */
#include "xtest.h"

#include <public/version.h>

#define UNMAPPED        0x0000100000000000UL   /* L4 slot 32: nothing there */
#define NONCANON_LOW    0x0000800000000000UL   /* first non-canonical byte  */
#define NONCANON_HIGH   0x8000000000000000UL   /* passes a range check      */
#define HV_PRIVATE      0xffff830000000000UL   /* hypervisor-only           */
#define M2P             MACH2PHYS_VIRT_START   /* read-only to the guest    */

/*
 * The end of the initial mapping.  The start-of-day ABI maps one
 * contiguous region from VIRT_BASE: kernel, start_info, bootstrap page
 * tables, one stack page, then padding up to a 4 MiB boundary with at
 * least 512 KiB of it.  The page below is mapped; the one at it is not.
 */
static unsigned long initial_mapping_end(void)
{
    const unsigned long mb4 = 4UL << 20;
    unsigned long stack_end = xt_start_info->pt_base +
        (xt_start_info->nr_pt_frames + 1) * PAGE_SIZE;
    unsigned long end = (stack_end + mb4 - 1) & ~(mb4 - 1);

    if ( end - stack_end < (512UL << 10) )
        end += mb4;
    return end;
}

static long cons(unsigned long buf, unsigned int count)
{
    return HYPERVISOR_console_io(CONSOLEIO_write, count, (const void *)buf);
}

static long ver(int cmd, unsigned long buf)
{
    return HYPERVISOR_xen_version(cmd, (void *)buf);
}

static void console_cases(unsigned long edge)
{
    xt_check_rc("console_null", cons(0, 16), -XEN_EFAULT);
    /* Nothing to copy: Xen 4.17 succeeds without touching the buffer. */
    xt_check_rc("console_null_count0", cons(0, 0), 0);
    xt_check_rc("console_unmapped", cons(UNMAPPED, 16), -XEN_EFAULT);
    xt_check_rc("console_noncanon_low", cons(NONCANON_LOW, 16), -XEN_EFAULT);
    xt_check_rc("console_noncanon_high", cons(NONCANON_HIGH, 16),
                -XEN_EFAULT);
    xt_check_rc("console_hv_private", cons(HV_PRIVATE, 16), -XEN_EFAULT);
    xt_check_rc("console_m2p", cons(M2P, 16), -XEN_EFAULT);
    /* Fits one 127-byte chunk of Xen's copy loop: nothing is printed. */
    xt_check_rc("console_straddle", cons(edge - 16, 32), -XEN_EFAULT);
    xt_check_rc("console_bad_cmd",
                HYPERVISOR_console_io(2, 1, "x"), -XEN_ENOSYS);
}

static void version_cases(unsigned long edge)
{
    xt_check_rc("extraversion_null", ver(XENVER_extraversion, 0),
                -XEN_EFAULT);
    xt_check_rc("extraversion_unmapped", ver(XENVER_extraversion, UNMAPPED),
                -XEN_EFAULT);
    xt_check_rc("extraversion_noncanon_low",
                ver(XENVER_extraversion, NONCANON_LOW), -XEN_EFAULT);
    xt_check_rc("extraversion_noncanon_high",
                ver(XENVER_extraversion, NONCANON_HIGH), -XEN_EFAULT);
    xt_check_rc("extraversion_hv_private",
                ver(XENVER_extraversion, HV_PRIVATE), -XEN_EFAULT);
    xt_check_rc("extraversion_m2p", ver(XENVER_extraversion, M2P),
                -XEN_EFAULT);
    /* The bootstrap page tables are mapped read-only in the guest. */
    xt_check_rc("extraversion_ro_pagetable",
                ver(XENVER_extraversion, xt_start_info->pt_base +
                    PAGE_SIZE - 8), -XEN_EFAULT);
    xt_check_rc("extraversion_straddle",
                ver(XENVER_extraversion, edge - 8), -XEN_EFAULT);
    xt_check_rc("capabilities_straddle",
                ver(XENVER_capabilities, edge - 512), -XEN_EFAULT);
    xt_check_rc("capabilities_null", ver(XENVER_capabilities, 0),
                -XEN_EFAULT);
    xt_check_rc("capabilities_m2p", ver(XENVER_capabilities, M2P),
                -XEN_EFAULT);
    xt_check_rc("compile_info_unmapped", ver(XENVER_compile_info, UNMAPPED),
                -XEN_EFAULT);
    xt_check_rc("changeset_hv_private", ver(XENVER_changeset, HV_PRIVATE),
                -XEN_EFAULT);
    xt_check_rc("platform_parameters_null",
                ver(XENVER_platform_parameters, 0), -XEN_EFAULT);
    xt_check_rc("get_features_null", ver(XENVER_get_features, 0),
                -XEN_EFAULT);
    xt_check_rc("get_features_unmapped", ver(XENVER_get_features, UNMAPPED),
                -XEN_EFAULT);
    xt_check_rc("get_features_m2p", ver(XENVER_get_features, M2P),
                -XEN_EFAULT);
    xt_check_rc("guest_handle_noncanon",
                ver(XENVER_guest_handle, NONCANON_HIGH), -XEN_EFAULT);
    xt_check_rc("build_id_unmapped", ver(XENVER_build_id, UNMAPPED),
                -XEN_EFAULT);
}

XTEST(badptr, 28)
{
    unsigned long edge = initial_mapping_end();

    printf("xtest: badptr: initial mapping ends at %#lx\n", edge);
    console_cases(edge);
    version_cases(edge);
}
