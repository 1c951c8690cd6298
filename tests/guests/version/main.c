/*
 * version: the structure of every xen_version answer.
 *
 * Checks shapes and ABI constants, not the hypervisor's own numbers, so
 * the same test passes on Xen 4.17 and on Xenia.  Expected errors follow
 * Xen 4.17 (xen/common/kernel.c) for a privileged initial domain.
 */
#include "xtest.h"

#include <public/version.h>

/* Is there a NUL within the first 'size' bytes of 's'? */
static bool terminated(const char *s, size_t size)
{
    return strnlen(s, size) < size;
}

static void check_version(void)
{
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    long vs = xt_hypercall_via_syscall(__HYPERVISOR_xen_version,
                                       XENVER_version, 0, 0, 0, 0);

    xt_check("version_major", v >= 0 && (v >> 16) >= 4,
             "version=%ld.%ld", v >> 16, v & 0xffff);
    xt_check("version_gates_agree", v == vs, "page=%#lx syscall=%#lx", v, vs);
}

static void check_strings(void)
{
    static xen_extraversion_t extra;
    static xen_compile_info_t ci;
    static xen_capabilities_info_t caps;
    static xen_changeset_info_t cs;
    static xen_commandline_t cmd;
    long rc;

    memset(extra, 0xff, sizeof(extra));
    rc = HYPERVISOR_xen_version(XENVER_extraversion, extra);
    xt_check("extraversion", rc == 0 && terminated(extra, sizeof(extra)),
             "rc=%ld", rc);

    memset(&ci, 0xff, sizeof(ci));
    rc = HYPERVISOR_xen_version(XENVER_compile_info, &ci);
    xt_check("compile_info",
             rc == 0 && terminated(ci.compiler, sizeof(ci.compiler)) &&
             terminated(ci.compile_by, sizeof(ci.compile_by)) &&
             terminated(ci.compile_domain, sizeof(ci.compile_domain)) &&
             terminated(ci.compile_date, sizeof(ci.compile_date)),
             "rc=%ld", rc);

    memset(caps, 0xff, sizeof(caps));
    rc = HYPERVISOR_xen_version(XENVER_capabilities, caps);
    xt_check("capabilities",
             rc == 0 && terminated(caps, sizeof(caps)) &&
             strstr(caps, "xen-3.0-x86_64"),
             "rc=%ld caps=\"%.60s\"", rc,
             terminated(caps, sizeof(caps)) ? caps : "(unterminated)");

    memset(cs, 0xff, sizeof(cs));
    rc = HYPERVISOR_xen_version(XENVER_changeset, cs);
    xt_check("changeset", rc == 0 && terminated(cs, sizeof(cs)), "rc=%ld", rc);

    /* Privileged sub-op: the initial domain may read it. */
    memset(cmd, 0xff, sizeof(cmd));
    rc = HYPERVISOR_xen_version(XENVER_commandline, cmd);
    xt_check("commandline", rc == 0 && terminated(cmd, sizeof(cmd)),
             "rc=%ld", rc);
}

static void check_platform(void)
{
    xen_platform_parameters_t pp = { .virt_start = 0 };
    long rc = HYPERVISOR_xen_version(XENVER_platform_parameters, &pp);

    xt_check("platform_parameters",
             rc == 0 && pp.virt_start == HYPERVISOR_VIRT_START,
             "rc=%ld virt_start=%#lx", rc, pp.virt_start);
}

static void check_features(void)
{
    const uint32_t not_pv = (1U << XENFEAT_auto_translated_physmap) |
                            (1U << XENFEAT_writable_page_tables) |
                            (1U << XENFEAT_supervisor_mode_kernel);
    xen_feature_info_t fi = { .submap_idx = 0, .submap = 0xffffffff };
    long rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);

    xt_check("features_pv", rc == 0 && !(fi.submap & not_pv),
             "rc=%ld submap=%#x", rc, fi.submap);
    xt_check("features_dom0", rc == 0 && (fi.submap & (1U << XENFEAT_dom0)),
             "rc=%ld submap=%#x", rc, fi.submap);

    fi.submap_idx = XENFEAT_NR_SUBMAPS;
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    xt_check_rc("features_bad_submap", rc, -XEN_EINVAL);
}

static void check_misc(void)
{
    static xen_domain_handle_t handle;
    long rc;

    rc = HYPERVISOR_xen_version(XENVER_pagesize, NULL);
    xt_check_rc("pagesize", rc, 4096);

    /* The pagesize sub-op takes no argument. */
    rc = HYPERVISOR_xen_version(XENVER_pagesize, &handle);
    xt_check_rc("pagesize_nonnull_arg", rc, -XEN_EINVAL);

    rc = HYPERVISOR_xen_version(XENVER_guest_handle, handle);
    xt_check_rc("guest_handle", rc, 0);

    rc = HYPERVISOR_xen_version(11, NULL);
    xt_check_rc("unknown_subop", rc, -XEN_ENOSYS);

    rc = HYPERVISOR_xen_version(0x7fffffff, NULL);
    xt_check_rc("unknown_subop_large", rc, -XEN_ENOSYS);
}

/*
 * build_id: with a NULL argument Xen returns the id's size, or -ENODATA
 * if the hypervisor was built without one.  Fetching must agree.
 */
static void check_build_id(void)
{
    static union
    {
        xen_build_id_t id;
        uint8_t raw[sizeof(xen_build_id_t) + 256];
    } b;
    long size = HYPERVISOR_xen_version(XENVER_build_id, NULL);
    long rc;

    xt_check("build_id_size",
             (size > 0 && size <= 256) || size == -XEN_ENODATA,
             "rc=%ld", size);

    b.id.len = 256;
    rc = HYPERVISOR_xen_version(XENVER_build_id, &b.id);
    if ( size > 0 )
        xt_check("build_id_fetch", rc == size, "rc=%ld size=%ld", rc, size);
    else
        xt_check("build_id_fetch", rc == size, "rc=%ld, NULL gave %ld",
                 rc, size);
}

XTEST(version, 18)
{
    check_version();
    check_strings();
    check_platform();
    check_features();
    check_misc();
    check_build_id();
}
