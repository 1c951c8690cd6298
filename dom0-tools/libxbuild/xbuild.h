/*
 * xbuild.h: libxbuild, the PV domain builder.
 *
 * Creates a 64-bit PV domain and lays out its start-of-day state the way
 * Xen 4.17's toolstack (libxl + libxenguest) does, using only hypercalls
 * the caller issues on the library's behalf (struct xb_ops).  The library
 * is freestanding C: no allocation, no global state.  Kernel images are
 * parsed by the hypervisor's own parser (hypervisor/common/elf_image.c,
 * linked alongside), which needs a few C-library functions from the
 * caller (mem*, str*, strlcpy, vsnprintf, simple_strtoull).  It runs in
 * a bare PV test kernel (the ops are raw hypercalls and a spare PTE) and
 * in dom0 user space (the ops go through privcmd).
 *
 * Every function returns 0 (or a count) on success and a negative
 * XEN_E* value (public/errno.h) on failure.  xb_build_pv() destroys the
 * half-made domain before it returns an error.
 *
 * See README.md next to this file for the build sequence.
 */
#ifndef XBUILD_H
#define XBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/xen.h>
#include <public/domctl.h>
#include <public/sysctl.h>
#include <public/event_channel.h>

/*
 * The caller's hypercall and mapping primitives.  Pointers handed to the
 * hypercall ops point to the library's own stack or to the caller's
 * p2m workspace; an implementation that needs hypercall-safe buffers
 * (e.g. libxencall) copies them.  Return values are hypercall results.
 */
struct xb_ops
{
    void *opaque;   /* passed back as the first argument */

    long (*domctl)(void *opaque, struct xen_domctl *op);
    long (*sysctl)(void *opaque, struct xen_sysctl *op);
    long (*memory_op)(void *opaque, unsigned int cmd, void *arg);
    long (*mmu_update)(void *opaque, const struct mmu_update *req,
                       unsigned int count, unsigned int *done,
                       domid_t foreigndom);
    long (*mmuext_op)(void *opaque, const struct mmuext_op *op,
                      unsigned int count, unsigned int *done,
                      domid_t foreigndom);
    long (*event_channel_op)(void *opaque, int cmd, void *arg);

    /*
     * Map machine frame 'mfn' of domain 'dom' writable into the caller's
     * address space; NULL on failure.  At most one frame is mapped at a
     * time: the library unmaps before it maps the next one.
     */
    void *(*map_foreign)(void *opaque, domid_t dom, xen_pfn_t mfn);
    void (*unmap_foreign)(void *opaque, void *va);

    /*
     * Optional (NULL: one frame at a time through map_foreign): map the
     * 'n' frames mfns[0..n-1] of 'dom' writable and contiguous in one
     * call (privcmd's MMAPBATCH_V2 takes a whole array), unmapped with
     * unmap_foreign_range(va, n).  The library maps at most one range
     * (or one frame) at a time, up to XB_MAP_WINDOW frames, and drops it
     * before pinning the page tables.
     */
    void *(*map_foreign_range)(void *opaque, domid_t dom,
                               const xen_pfn_t *mfns, unsigned int n);
    void (*unmap_foreign_range)(void *opaque, void *va, unsigned int n);
};

#define XB_MAP_WINDOW 1024     /* frames per range mapping (4 MiB)     */

/* ------------------------------------------------------------------ */
/* Guest kernel images.                                                */

/* What the ELF headers and Xen notes of a PV kernel say. */
struct xb_elf_info
{
    uint64_t virt_base;        /* VIRT_BASE note, else 0                  */
    uint64_t paddr_offset;     /* PADDR_OFFSET note, else virt_base       */
    uint64_t entry;            /* ENTRY note, else e_entry                */
    uint64_t vstart, vend;     /* loaded range [vstart, vend), virtual    */
    uint64_t hypercall_page;   /* HYPERCALL_PAGE VA, if has_hypercall_page */
    bool has_hypercall_page;
    uint32_t features_supported;   /* XENFEAT_* bits 0..31 (FEATURES and */
    uint32_t features_required;    /* SUPPORTED_FEATURES notes; ! = req) */
};

/*
 * Check and describe a 64-bit PV kernel.  -XEN_EINVAL for anything that
 * is not a well-formed ELF64 x86-64 executable with Xen notes that a PV
 * domU can run (XEN_VERSION "xen-3.0"; LOADER "generic" or GUEST_OS
 * "linux"; every segment and note inside the file; no required feature
 * a PV domU lacks); -XEN_ENOEXEC if it is not ELF at all.
 */
int xb_elf_parse(const void *image, size_t size, struct xb_elf_info *info);

/* ------------------------------------------------------------------ */
/* Building a domain.                                                  */

struct xb_config
{
    const void *kernel;        /* the ELF image and its size             */
    size_t kernel_size;
    const char *cmdline;       /* start_info.cmd_line; NULL = empty      */
    uint64_t mem_kb;           /* guest memory (a multiple of 4)         */
    uint32_t max_vcpus;        /* 0 = 1                                  */
    domid_t backend_domid;     /* console and xenstore backend: normally
                                * the builder's own domain               */
    domid_t domid;             /* wanted id, 0 = let the hypervisor pick */
    xen_domain_handle_t handle;    /* UUID                               */
    uint32_t max_grant_version;    /* 0 = 2 if the host has v2, else 1   */
    /*
     * Workspace for the physical-to-machine map: at least mem_kb / 4
     * entries, owned by the caller.  After a successful build it holds
     * the MFN of every PFN of the domain.
     */
    xen_pfn_t *p2m;
    size_t p2m_entries;
    /*
     * Optional initial ramdisk, copied after the kernel into the initial
     * mapping (start_info.mod_start/mod_len); NULL = none.
     */
    const void *ramdisk;
    size_t ramdisk_size;
};

/* Where things went; filled as far as the build got. */
struct xb_domain
{
    domid_t domid;             /* DOMID_INVALID until created            */
    uint64_t nr_pages;
    uint64_t virt_base;        /* VA of PFN 0                            */
    uint64_t entry;            /* initial RIP                            */
    xen_pfn_t start_info_pfn, store_pfn, console_pfn;
    xen_pfn_t pt_pfn, stack_pfn;   /* first page table (the L4), stack   */
    xen_pfn_t ramdisk_pfn;     /* first ramdisk page (if any)            */
    uint64_t nr_ramdisk_pages;
    uint64_t nr_pt_frames;
    uint64_t map_end_pfn;      /* the initial mapping covers PFNs below  */
    xen_pfn_t start_info_mfn, store_mfn, console_mfn, l4_mfn;
    xen_pfn_t shared_info_mfn;
    evtchn_port_t store_evtchn, console_evtchn;   /* ports of the domain */

    /* On failure: the step that failed and its raw result. */
    const char *failed_step;
    long failed_rc;
};

/*
 * Create and build a PV domain from cfg.  On success the domain exists,
 * is paused (once, by the controller) and is ready to run: the caller
 * connects to its console/xenstore event channels and unpauses it.
 * On failure the domain, if it was created, has been destroyed, and
 * out->failed_step names what failed.
 * Errors: -XEN_EINVAL (cfg or image), -XEN_ENOMEM (memory too small for
 * the initial mapping, workspace too small, or the host out of memory),
 * -XEN_EFAULT (a foreign mapping failed), or whatever the hypervisor
 * returned for the failing step.
 */
int xb_build_pv(const struct xb_ops *ops, const struct xb_config *cfg,
                struct xb_domain *out);

/* ------------------------------------------------------------------ */
/* Thin wrappers (each fills the domctl/sysctl header and issues it).  */

int xb_destroy(const struct xb_ops *ops, domid_t domid);
int xb_pause(const struct xb_ops *ops, domid_t domid);
int xb_unpause(const struct xb_ops *ops, domid_t domid);

/*
 * getdomaininfo of 'domid', or of the next domain above it (Xen's
 * semantics): check info->domain.  -XEN_ESRCH if there is none.
 */
int xb_getdomaininfo(const struct xb_ops *ops, domid_t domid,
                     struct xen_domctl_getdomaininfo *info);
int xb_getvcpuinfo(const struct xb_ops *ops, domid_t domid, uint32_t vcpu,
                   struct xen_domctl_getvcpuinfo *info);
int xb_physinfo(const struct xb_ops *ops, struct xen_sysctl_physinfo *info);
int xb_sched_id(const struct xb_ops *ops, uint32_t *sched_id);

/* Shutdown reason of a getdomaininfo record with XEN_DOMINF_shutdown. */
static inline unsigned int xb_shutdown_reason(
    const struct xen_domctl_getdomaininfo *info)
{
    return (info->flags >> XEN_DOMINF_shutdownshift) &
        XEN_DOMINF_shutdownmask;
}

#endif /* XBUILD_H */
