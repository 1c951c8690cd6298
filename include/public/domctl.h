/*
 * domctl.h: domctl(op) -- per-domain control operations for the control
 * domain's toolstack (create, build, run, inspect and destroy domains).
 *
 * One hypercall, __HYPERVISOR_domctl (36), with one argument: a pointer
 * to a struct xen_domctl.  The command is in 'cmd', the target domain in
 * 'domain', the command's own arguments in the union 'u'.  Numbers and
 * layouts are those of Xen 4.17 (interface version 0x15) so that Xen's
 * tools work unchanged.
 *
 * Common errors (every command):
 *  -EFAULT  the xen_domctl (or a buffer it points to) cannot be accessed.
 *  -EACCES  interface_version != XEN_DOMCTL_INTERFACE_VERSION.
 *  -ESRCH   'domain' names no existing domain (except createdomain and
 *           getdomaininfo, see there).  Checked before privilege.
 *  -EPERM   the caller is not the control domain.
 *  -EINVAL  a command that pauses the target was aimed at the caller
 *           itself, or an argument is out of range.
 * Unknown commands return -ENOSYS.  The whole xen_domctl is copied back
 * for the commands marked OUT below.
 */
#ifndef XEN_PUBLIC_DOMCTL_H
#define XEN_PUBLIC_DOMCTL_H

#include <stdint.h>
#include "xen.h"
#include "arch-x86/xen.h"

#define XEN_DOMCTL_INTERFACE_VERSION 0x00000015

/*
 * Tool-side helpers.  On x86-64 a 64-bit handle is a plain pointer and
 * 64-bit fields are naturally aligned, so these are the native forms.
 */
#ifndef uint64_aligned_t
#define uint64_aligned_t uint64_t
#endif
#ifndef int64_aligned_t
#define int64_aligned_t int64_t
#endif
#ifndef XEN_GUEST_HANDLE_64
#define XEN_GUEST_HANDLE_64(name) XEN_GUEST_HANDLE(name)
#endif

/* Byte buffers (bitmaps, dirty maps). */
__DEFINE_XEN_GUEST_HANDLE(uint8, uint8_t);

/* A bitmap of CPUs or nodes: nr_bits bits at 'bitmap' (LSB first). */
struct xenctl_bitmap
{
    XEN_GUEST_HANDLE_64(uint8) bitmap;  /* IN/OUT */
    uint32_t nr_bits;                   /* IN     */
};
typedef struct xenctl_bitmap xenctl_bitmap_t;
_Static_assert(sizeof(struct xenctl_bitmap) == 16, "xenctl_bitmap size");

/* Command numbers.  Retired numbers stay reserved. */
#define XEN_DOMCTL_createdomain            1
#define XEN_DOMCTL_destroydomain           2
#define XEN_DOMCTL_pausedomain             3
#define XEN_DOMCTL_unpausedomain           4
#define XEN_DOMCTL_getdomaininfo           5
/* 6 getmemlist: removed.  7, 8 getpageframeinfo{,2}: obsolete. */
#define XEN_DOMCTL_setvcpuaffinity         9
#define XEN_DOMCTL_shadow_op              10
#define XEN_DOMCTL_max_mem                11
#define XEN_DOMCTL_setvcpucontext         12
#define XEN_DOMCTL_getvcpucontext         13
#define XEN_DOMCTL_getvcpuinfo            14
#define XEN_DOMCTL_max_vcpus              15
#define XEN_DOMCTL_scheduler_op           16
#define XEN_DOMCTL_setdomainhandle        17
#define XEN_DOMCTL_setdebugging           18
#define XEN_DOMCTL_irq_permission         19
#define XEN_DOMCTL_iomem_permission       20
#define XEN_DOMCTL_ioport_permission      21
#define XEN_DOMCTL_hypercall_init         22
/* 23: was arch_setup (IA64); Xen uses it internally for soft_reset. */
#define XEN_DOMCTL_settimeoffset          24
#define XEN_DOMCTL_getvcpuaffinity        25
#define XEN_DOMCTL_real_mode_area         26  /* obsolete (PPC) */
#define XEN_DOMCTL_resumedomain           27
#define XEN_DOMCTL_sendtrigger            28
#define XEN_DOMCTL_subscribe              29
/* 30..32 unassigned. */
#define XEN_DOMCTL_gethvmcontext          33
#define XEN_DOMCTL_sethvmcontext          34
#define XEN_DOMCTL_set_address_size       35
#define XEN_DOMCTL_get_address_size       36
#define XEN_DOMCTL_assign_device          37
#define XEN_DOMCTL_bind_pt_irq            38
#define XEN_DOMCTL_memory_mapping         39
#define XEN_DOMCTL_ioport_mapping         40
/* 41 pin_mem_cacheattr: removed. */
#define XEN_DOMCTL_set_ext_vcpucontext    42
#define XEN_DOMCTL_get_ext_vcpucontext    43
#define XEN_DOMCTL_set_opt_feature        44  /* obsolete (IA64) */
#define XEN_DOMCTL_test_assign_device     45
#define XEN_DOMCTL_set_target             46
#define XEN_DOMCTL_deassign_device        47
#define XEN_DOMCTL_unbind_pt_irq          48
/* 49 set_cpuid: obsolete. */
#define XEN_DOMCTL_get_device_group       50
/* 51, 52 {set,get}_machine_address_size, 53: obsolete. */
#define XEN_DOMCTL_debug_op               54
#define XEN_DOMCTL_gethvmcontext_partial  55
#define XEN_DOMCTL_vm_event_op            56
#define XEN_DOMCTL_mem_sharing_op         57
/* 58 disable_migrate: obsolete. */
#define XEN_DOMCTL_gettscinfo             59
#define XEN_DOMCTL_settscinfo             60
#define XEN_DOMCTL_getpageframeinfo3      61
#define XEN_DOMCTL_setvcpuextstate        62
#define XEN_DOMCTL_getvcpuextstate        63
#define XEN_DOMCTL_set_access_required    64
#define XEN_DOMCTL_audit_p2m              65
#define XEN_DOMCTL_set_virq_handler       66
#define XEN_DOMCTL_set_broken_page_p2m    67
#define XEN_DOMCTL_setnodeaffinity        68
#define XEN_DOMCTL_getnodeaffinity        69
/* 70 set_max_evtchn: now a createdomain field. */
#define XEN_DOMCTL_cacheflush             71
#define XEN_DOMCTL_get_vcpu_msrs          72
#define XEN_DOMCTL_set_vcpu_msrs          73
#define XEN_DOMCTL_setvnumainfo           74
#define XEN_DOMCTL_psr_cmt_op             75
/* 76 unassigned. */
#define XEN_DOMCTL_monitor_op             77
#define XEN_DOMCTL_psr_alloc              78
#define XEN_DOMCTL_soft_reset             79
/* 80 set_gnttab_limits: now createdomain fields. */
#define XEN_DOMCTL_vuart_op               81
#define XEN_DOMCTL_get_cpu_policy         82
#define XEN_DOMCTL_set_cpu_policy         83
#define XEN_DOMCTL_vmtrace_op             84
#define XEN_DOMCTL_get_paging_mempool_size 85
#define XEN_DOMCTL_set_paging_mempool_size 86
#define XEN_DOMCTL_gdbsx_guestmemio     1000
#define XEN_DOMCTL_gdbsx_pausevcpu      1001
#define XEN_DOMCTL_gdbsx_unpausevcpu    1002
#define XEN_DOMCTL_gdbsx_domstatus      1003

/*
 * x86 part of createdomain / getdomaininfo.  A PV domain must ask for no
 * emulated devices (emulation_flags == 0); any XEN_X86_EMU_* bit makes
 * createdomain fail with -EOPNOTSUPP for PV.
 */
#define XEN_X86_EMU_LAPIC     (1U << 0)
#define XEN_X86_EMU_HPET      (1U << 1)
#define XEN_X86_EMU_PM        (1U << 2)
#define XEN_X86_EMU_RTC       (1U << 3)
#define XEN_X86_EMU_IOAPIC    (1U << 4)
#define XEN_X86_EMU_PIC       (1U << 5)
#define XEN_X86_EMU_VGA       (1U << 6)
#define XEN_X86_EMU_IOMMU     (1U << 7)
#define XEN_X86_EMU_PIT       (1U << 8)
#define XEN_X86_EMU_USE_PIRQ  (1U << 9)
#define XEN_X86_EMU_VPCI      (1U << 10)
#define XEN_X86_EMU_ALL       0x7ffU
#define XEN_X86_MSR_RELAXED   (1U << 0)  /* misc_flags */

struct xen_arch_domainconfig
{
    uint32_t emulation_flags;  /* IN: XEN_X86_EMU_*; 0 for PV          */
    uint32_t misc_flags;       /* IN: XEN_X86_MSR_RELAXED              */
};
_Static_assert(sizeof(struct xen_arch_domainconfig) == 8, "arch config");

/*
 * XEN_DOMCTL_createdomain (OUT: domain).
 * 'domain' IN: the id wanted, or 0 / >= DOMID_FIRST_RESERVED to let the
 * hypervisor pick the next free one; OUT: the new domain's id.
 * The domain starts paused (by the controller), with max_vcpus vCPUs not
 * yet initialised, no memory, max_pages 0 and a shared_info page.
 * Errors: -EEXIST (requested id in use), -ENOMEM (no free id or memory),
 * -EINVAL (bad flags, max_vcpus 0 or too large, bad grant version, ...),
 * -EOPNOTSUPP (emulation flags for PV).
 */
#define XEN_DOMCTL_CDF_hvm           (1U << 0)  /* HVM, not PV            */
#define XEN_DOMCTL_CDF_hap           (1U << 1)  /* hardware paging        */
#define XEN_DOMCTL_CDF_s3_integrity  (1U << 2)  /* tboot S3 integrity     */
#define XEN_DOMCTL_CDF_oos_off       (1U << 3)  /* no out-of-sync shadows */
#define XEN_DOMCTL_CDF_xs_domain     (1U << 4)  /* the xenstore domain    */
#define XEN_DOMCTL_CDF_iommu         (1U << 5)  /* may use the IOMMU      */
#define XEN_DOMCTL_CDF_nested_virt   (1U << 6)
#define XEN_DOMCTL_CDF_vpmu          (1U << 7)
#define XEN_DOMCTL_CDF_MAX           XEN_DOMCTL_CDF_vpmu

#define XEN_DOMCTL_IOMMU_no_sharept  (1U << 0)
#define XEN_DOMCTL_IOMMU_MAX         XEN_DOMCTL_IOMMU_no_sharept

/* grant_opts: the highest grant-table version allowed, in bits 0-3. */
#define XEN_DOMCTL_GRANT_version_mask 0xf
#define XEN_DOMCTL_GRANT_version(v)   ((v) & XEN_DOMCTL_GRANT_version_mask)

struct xen_domctl_createdomain
{
    uint32_t ssidref;              /* IN: XSM label (0 without XSM)      */
    xen_domain_handle_t handle;    /* IN: UUID                           */
    uint32_t flags;                /* IN: XEN_DOMCTL_CDF_*               */
    uint32_t iommu_opts;           /* IN: XEN_DOMCTL_IOMMU_*             */
    uint32_t max_vcpus;            /* IN: >= 1                           */
    uint32_t max_evtchn_port;      /* IN: highest usable event port      */
    int32_t max_grant_frames;      /* IN: < 0 = hypervisor default       */
    int32_t max_maptrack_frames;   /* IN: < 0 = hypervisor default       */
    uint32_t grant_opts;           /* IN: XEN_DOMCTL_GRANT_version(n)    */
    uint32_t vmtrace_size;         /* IN: bytes per vCPU; 0 for PV       */
    uint32_t cpupool_id;           /* IN: 0 = the default pool           */
    struct xen_arch_domainconfig arch;
};
typedef struct xen_domctl_createdomain xen_domctl_createdomain_t;
#define CD_OFF(f) __builtin_offsetof(struct xen_domctl_createdomain, f)
_Static_assert(sizeof(struct xen_domctl_createdomain) == 64, "createdomain");
_Static_assert(CD_OFF(handle) == 4, "createdomain.handle");
_Static_assert(CD_OFF(flags) == 20, "createdomain.flags");
_Static_assert(CD_OFF(max_vcpus) == 28, "createdomain.max_vcpus");
_Static_assert(CD_OFF(max_evtchn_port) == 32, "createdomain.max_evtchn");
_Static_assert(CD_OFF(max_grant_frames) == 36, "createdomain.grant_frames");
_Static_assert(CD_OFF(grant_opts) == 44, "createdomain.grant_opts");
_Static_assert(CD_OFF(vmtrace_size) == 48, "createdomain.vmtrace_size");
_Static_assert(CD_OFF(cpupool_id) == 52, "createdomain.cpupool_id");
_Static_assert(CD_OFF(arch) == 56, "createdomain.arch");
#undef CD_OFF

/*
 * XEN_DOMCTL_destroydomain: kill the domain: it becomes 'dying', its
 * vCPUs stop, its event channels close, and its memory is released
 * (preemptibly: the hypercall may restart itself).  The domain id stays
 * visible (dying) until the last reference to the domain is dropped.
 * Returns 0 once the teardown the caller can drive is complete.
 */

/*
 * XEN_DOMCTL_pausedomain / XEN_DOMCTL_unpausedomain: the controller's
 * pause count (nests, at most 255: -EOVERFLOW).  A new domain starts
 * with a count of 1; the toolstack's first unpause lets it run.  pause on
 * oneself: -EINVAL; unpause with a count of 0: -EINVAL.
 */

/*
 * XEN_DOMCTL_getdomaininfo (OUT).
 * Reports the domain 'domain' if it exists; if not, the existing domain
 * with the smallest id above it (so 'domain' 0, 1, ... walks the list).
 * OUT 'domain' (and u.getdomaininfo.domain) name the domain reported.
 * Errors: -ESRCH if no domain has an id >= 'domain', -EINVAL if 'domain'
 * is >= DOMID_FIRST_RESERVED and names no domain.
 */
#define XEN_DOMINF_dying      (1U << 0)  /* destroyed, being torn down    */
#define XEN_DOMINF_hvm_guest  (1U << 1)
#define XEN_DOMINF_shutdown   (1U << 2)  /* shut down: see the reason     */
#define XEN_DOMINF_paused     (1U << 3)  /* paused by the controller      */
#define XEN_DOMINF_blocked    (1U << 4)  /* all vCPUs blocked or down     */
#define XEN_DOMINF_running    (1U << 5)  /* some vCPU is on a CPU now     */
#define XEN_DOMINF_debugged   (1U << 6)
#define XEN_DOMINF_xs_domain  (1U << 7)
#define XEN_DOMINF_hap        (1U << 8)
/* The SHUTDOWN_* reason, valid with XEN_DOMINF_shutdown, in bits 16-23. */
#define XEN_DOMINF_shutdownshift 16
#define XEN_DOMINF_shutdownmask  255

#define XEN_INVALID_MAX_VCPU_ID (~0U)  /* max_vcpu_id of a domain without */

struct xen_domctl_getdomaininfo
{
    domid_t  domain;               /* OUT: the domain reported           */
    uint16_t pad1;
    uint32_t flags;                /* OUT: XEN_DOMINF_*                  */
    uint64_aligned_t tot_pages;    /* OUT: pages owned now               */
    uint64_aligned_t max_pages;    /* OUT: limit set by max_mem          */
    uint64_aligned_t outstanding_pages; /* OUT: claimed, not allocated  */
    uint64_aligned_t shr_pages;    /* OUT: shared (mem_sharing)          */
    uint64_aligned_t paged_pages;  /* OUT: paged out (mem_paging)        */
    uint64_aligned_t shared_info_frame; /* OUT: MFN of shared_info (PV) */
    uint64_aligned_t cpu_time;     /* OUT: ns run, all vCPUs             */
    uint32_t nr_online_vcpus;      /* OUT: vCPUs not down                */
    uint32_t max_vcpu_id;          /* OUT: highest vCPU id allocated     */
    uint32_t ssidref;              /* OUT */
    xen_domain_handle_t handle;    /* OUT: UUID                          */
    uint32_t cpupool;              /* OUT */
    uint8_t  gpaddr_bits;          /* OUT: guest physical address width  */
    uint8_t  pad2[7];
    struct xen_arch_domainconfig arch_config; /* OUT */
};
typedef struct xen_domctl_getdomaininfo xen_domctl_getdomaininfo_t;
DEFINE_XEN_GUEST_HANDLE(xen_domctl_getdomaininfo_t);
#define GDI_OFF(f) __builtin_offsetof(struct xen_domctl_getdomaininfo, f)
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 112, "dominfo");
_Static_assert(GDI_OFF(flags) == 4, "dominfo.flags");
_Static_assert(GDI_OFF(tot_pages) == 8, "dominfo.tot_pages");
_Static_assert(GDI_OFF(max_pages) == 16, "dominfo.max_pages");
_Static_assert(GDI_OFF(outstanding_pages) == 24, "dominfo.outstanding");
_Static_assert(GDI_OFF(shr_pages) == 32, "dominfo.shr_pages");
_Static_assert(GDI_OFF(paged_pages) == 40, "dominfo.paged_pages");
_Static_assert(GDI_OFF(shared_info_frame) == 48, "dominfo.shared_info");
_Static_assert(GDI_OFF(cpu_time) == 56, "dominfo.cpu_time");
_Static_assert(GDI_OFF(nr_online_vcpus) == 64, "dominfo.nr_online_vcpus");
_Static_assert(GDI_OFF(max_vcpu_id) == 68, "dominfo.max_vcpu_id");
_Static_assert(GDI_OFF(ssidref) == 72, "dominfo.ssidref");
_Static_assert(GDI_OFF(handle) == 76, "dominfo.handle");
_Static_assert(GDI_OFF(cpupool) == 92, "dominfo.cpupool");
_Static_assert(GDI_OFF(gpaddr_bits) == 96, "dominfo.gpaddr_bits");
_Static_assert(GDI_OFF(arch_config) == 104, "dominfo.arch_config");
#undef GDI_OFF

/*
 * XEN_DOMCTL_getpageframeinfo3: for each of 'num' frame numbers in
 * 'array', replace it with the frame's type (XEN_DOMCTL_PFINFO_*) ORed
 * into the top bits.
 */
#define XEN_DOMCTL_PFINFO_LTAB_SHIFT    28
#define XEN_DOMCTL_PFINFO_NOTAB         (0x0U << 28)
#define XEN_DOMCTL_PFINFO_L1TAB         (0x1U << 28)
#define XEN_DOMCTL_PFINFO_L2TAB         (0x2U << 28)
#define XEN_DOMCTL_PFINFO_L3TAB         (0x3U << 28)
#define XEN_DOMCTL_PFINFO_L4TAB         (0x4U << 28)
#define XEN_DOMCTL_PFINFO_LTABTYPE_MASK (0x7U << 28)
#define XEN_DOMCTL_PFINFO_LPINTAB       (0x1U << 31)
#define XEN_DOMCTL_PFINFO_XTAB          (0xfU << 28)  /* invalid       */
#define XEN_DOMCTL_PFINFO_XALLOC        (0xeU << 28)  /* allocate-only */
#define XEN_DOMCTL_PFINFO_BROKEN        (0xdU << 28)
#define XEN_DOMCTL_PFINFO_LTAB_MASK     (0xfU << 28)

struct xen_domctl_getpageframeinfo3
{
    uint64_aligned_t num;                  /* IN */
    XEN_GUEST_HANDLE_64(xen_pfn_t) array;  /* IN/OUT */
};
_Static_assert(sizeof(struct xen_domctl_getpageframeinfo3) == 16, "pfinfo3");

/*
 * XEN_DOMCTL_max_mem: the most memory the domain may own, in KiB
 * (rounded down to pages).  Lowering it below tot_pages is allowed: new
 * allocations then fail until the domain is back under the limit.
 */
struct xen_domctl_max_mem
{
    uint64_aligned_t max_memkb;            /* IN */
};
_Static_assert(sizeof(struct xen_domctl_max_mem) == 8, "max_mem");

/*
 * XEN_DOMCTL_setvcpucontext: load a full register state into vCPU 'vcpu'
 * of a paused or not-yet-started domain and mark it initialised.  For PV:
 * ctrlreg[3] = xen_pfn_to_cr3(MFN of a valid L4), which takes a type
 * reference on it (so pin it first); flags should hold VGCF_in_kernel.
 * A NULL 'ctxt' resets the vCPU instead.
 * XEN_DOMCTL_getvcpucontext (OUT): store vCPU 'vcpu''s state at 'ctxt'.
 * Errors: -EINVAL (vcpu >= max_vcpus, not allocated, the caller's own
 * domain / vCPU, bad state such as selectors or a non-canonical RIP),
 * -ENODATA (get: vCPU never initialised), -EFAULT ('ctxt' unreadable),
 * -EEXIST/-EINVAL (set: L4 cannot be validated).
 */
struct xen_domctl_vcpucontext
{
    uint32_t vcpu;                                   /* IN     */
    XEN_GUEST_HANDLE_64(vcpu_guest_context_t) ctxt;  /* IN/OUT */
};
_Static_assert(sizeof(struct xen_domctl_vcpucontext) == 16, "vcpucontext");
_Static_assert(__builtin_offsetof(struct xen_domctl_vcpucontext, ctxt) == 8,
               "vcpucontext.ctxt");

/*
 * XEN_DOMCTL_getvcpuinfo (OUT).
 * Errors: -EINVAL (vcpu >= max_vcpus), -ESRCH (vCPU not allocated).
 */
struct xen_domctl_getvcpuinfo
{
    uint32_t vcpu;                 /* IN                                 */
    uint8_t  online;               /* OUT: not down                      */
    uint8_t  blocked;              /* OUT: waiting for an event          */
    uint8_t  running;              /* OUT: on a physical CPU right now   */
    uint64_aligned_t cpu_time;     /* OUT: ns spent running              */
    uint32_t cpu;                  /* OUT: physical CPU it last ran on   */
};
#define GVI_OFF(f) __builtin_offsetof(struct xen_domctl_getvcpuinfo, f)
_Static_assert(sizeof(struct xen_domctl_getvcpuinfo) == 24, "getvcpuinfo");
_Static_assert(GVI_OFF(online) == 4, "getvcpuinfo.online");
_Static_assert(GVI_OFF(blocked) == 5, "getvcpuinfo.blocked");
_Static_assert(GVI_OFF(running) == 6, "getvcpuinfo.running");
_Static_assert(GVI_OFF(cpu_time) == 8, "getvcpuinfo.cpu_time");
_Static_assert(GVI_OFF(cpu) == 16, "getvcpuinfo.cpu");
#undef GVI_OFF

/* XEN_DOMCTL_{set,get}nodeaffinity: the domain's NUMA node mask. */
struct xen_domctl_nodeaffinity
{
    struct xenctl_bitmap nodemap;  /* IN (set) / OUT (get) */
};
_Static_assert(sizeof(struct xen_domctl_nodeaffinity) == 16, "nodeaffinity");

/* XEN_DOMCTL_{set,get}vcpuaffinity: the physical CPUs a vCPU may use. */
#define XEN_VCPUAFFINITY_HARD  (1U << 0)
#define XEN_VCPUAFFINITY_SOFT  (1U << 1)
#define XEN_VCPUAFFINITY_FORCE (1U << 2)  /* undo SCHEDOP_pin_override */

struct xen_domctl_vcpuaffinity
{
    uint32_t vcpu;                     /* IN */
    uint32_t flags;                    /* IN: XEN_VCPUAFFINITY_*         */
    struct xenctl_bitmap cpumap_hard;  /* IN/OUT */
    struct xenctl_bitmap cpumap_soft;  /* IN/OUT */
};
_Static_assert(sizeof(struct xen_domctl_vcpuaffinity) == 40, "vcpuaffinity");

/*
 * XEN_DOMCTL_{set,get}tscinfo: how the domain's TSC behaves.  Xen 4.17's
 * modes; PV guests get the native TSC in the default mode when the host's
 * TSC is safe and the frequency is the host's.
 */
#define XEN_CPUID_TSC_MODE_DEFAULT          0
#define XEN_CPUID_TSC_MODE_ALWAYS_EMULATE   1
#define XEN_CPUID_TSC_MODE_NATIVE           2
#define XEN_CPUID_TSC_MODE_PVRDTSCP         3   /* retired: -EINVAL */

struct xen_domctl_tsc_info
{
    uint32_t tsc_mode;             /* IN/OUT: XEN_CPUID_TSC_MODE_*       */
    uint32_t gtsc_khz;             /* IN/OUT: 0 = the host's             */
    uint32_t incarnation;          /* IN/OUT                             */
    uint32_t pad;
    uint64_aligned_t elapsed_nsec; /* IN/OUT                             */
};
_Static_assert(sizeof(struct xen_domctl_tsc_info) == 24, "tsc_info");
_Static_assert(__builtin_offsetof(struct xen_domctl_tsc_info, gtsc_khz) == 4,
               "tsc_info.gtsc_khz");
_Static_assert(__builtin_offsetof(struct xen_domctl_tsc_info, incarnation)
               == 8, "tsc_info.incarnation");
_Static_assert(__builtin_offsetof(struct xen_domctl_tsc_info, pad) == 12,
               "tsc_info.pad");
_Static_assert(__builtin_offsetof(struct xen_domctl_tsc_info, elapsed_nsec)
               == 16, "tsc_info.elapsed_nsec");

/*
 * CPU policies in libxc's buffer formats (Xen's arch-x86/xen.h): a list
 * of CPUID leaves (subleaf XEN_CPUID_NO_SUBLEAF for leaves without any)
 * and a list of MSRs.
 */
#define XEN_CPUID_NO_SUBLEAF 0xffffffffU
struct xen_cpuid_leaf
{
    uint32_t leaf, subleaf;
    uint32_t a, b, c, d;
};
typedef struct xen_cpuid_leaf xen_cpuid_leaf_t;
_Static_assert(sizeof(struct xen_cpuid_leaf) == 24, "cpuid_leaf");
_Static_assert(__builtin_offsetof(struct xen_cpuid_leaf, subleaf) == 4,
               "cpuid_leaf.subleaf");
_Static_assert(__builtin_offsetof(struct xen_cpuid_leaf, a) == 8,
               "cpuid_leaf.a");
_Static_assert(__builtin_offsetof(struct xen_cpuid_leaf, b) == 12,
               "cpuid_leaf.b");
_Static_assert(__builtin_offsetof(struct xen_cpuid_leaf, c) == 16,
               "cpuid_leaf.c");
_Static_assert(__builtin_offsetof(struct xen_cpuid_leaf, d) == 20,
               "cpuid_leaf.d");
DEFINE_XEN_GUEST_HANDLE(xen_cpuid_leaf_t);

struct xen_msr_entry
{
    uint32_t idx;
    uint32_t flags;                /* must be 0 */
    uint64_t val;
};
typedef struct xen_msr_entry xen_msr_entry_t;
_Static_assert(sizeof(struct xen_msr_entry) == 16, "msr_entry");
_Static_assert(__builtin_offsetof(struct xen_msr_entry, flags) == 4,
               "msr_entry.flags");
_Static_assert(__builtin_offsetof(struct xen_msr_entry, val) == 8,
               "msr_entry.val");
DEFINE_XEN_GUEST_HANDLE(xen_msr_entry_t);

/*
 * XEN_DOMCTL_{get,set}_cpu_policy: the domain's CPUID leaves and MSRs.
 * On a failed set, err_* name the offending leaf/subleaf or MSR (~0 if
 * none).
 */
struct xen_domctl_cpu_policy
{
    uint32_t nr_leaves;            /* IN/OUT */
    uint32_t nr_msrs;              /* IN/OUT */
    XEN_GUEST_HANDLE_64(xen_cpuid_leaf_t) leaves;  /* IN/OUT */
    XEN_GUEST_HANDLE_64(xen_msr_entry_t) msrs;     /* IN/OUT */
    uint32_t err_leaf, err_subleaf, err_msr;       /* OUT */
};
_Static_assert(sizeof(struct xen_domctl_cpu_policy) == 40, "cpu_policy");
_Static_assert(__builtin_offsetof(struct xen_domctl_cpu_policy, nr_msrs) == 4,
               "cpu_policy.nr_msrs");
_Static_assert(__builtin_offsetof(struct xen_domctl_cpu_policy, leaves) == 8,
               "cpu_policy.leaves");
_Static_assert(__builtin_offsetof(struct xen_domctl_cpu_policy, msrs) == 16,
               "cpu_policy.msrs");
_Static_assert(__builtin_offsetof(struct xen_domctl_cpu_policy, err_leaf)
               == 24, "cpu_policy.err_leaf");
_Static_assert(__builtin_offsetof(struct xen_domctl_cpu_policy, err_subleaf)
               == 28, "cpu_policy.err_subleaf");
_Static_assert(__builtin_offsetof(struct xen_domctl_cpu_policy, err_msr)
               == 32, "cpu_policy.err_msr");

/*
 * XEN_DOMCTL_max_vcpus: allocate the vCPUs.  'max' must equal the
 * createdomain max_vcpus (-EINVAL otherwise, or on oneself); vCPUs that
 * already exist are kept.  -ENOMEM if a vCPU cannot be allocated.
 */
struct xen_domctl_max_vcpus
{
    uint32_t max;                  /* IN */
};
_Static_assert(sizeof(struct xen_domctl_max_vcpus) == 4, "max_vcpus");

/*
 * XEN_DOMCTL_scheduler_op (OUT): read or set the domain's parameters in
 * its scheduler.  'sched_id' must be the scheduler of the domain's pool
 * (-EINVAL otherwise).  Credit: weight 1..65535 (default 256), cap in
 * percent of one CPU, 0 = none; a field left 0 in putinfo is unchanged.
 */
/* 4 was SEDF (removed). */
#define XEN_SCHEDULER_CREDIT   5
#define XEN_SCHEDULER_CREDIT2  6
#define XEN_SCHEDULER_ARINC653 7
#define XEN_SCHEDULER_RTDS     8
#define XEN_SCHEDULER_NULL     9

#define XEN_DOMCTL_SCHEDOP_putinfo     0
#define XEN_DOMCTL_SCHEDOP_getinfo     1
#define XEN_DOMCTL_SCHEDOP_putvcpuinfo 2  /* per-vCPU schedulers (RTDS) */
#define XEN_DOMCTL_SCHEDOP_getvcpuinfo 3

struct xen_domctl_sched_credit
{
    uint16_t weight;               /* IN/OUT */
    uint16_t cap;                  /* IN/OUT */
};
_Static_assert(sizeof(struct xen_domctl_sched_credit) == 4, "sched_credit");
_Static_assert(__builtin_offsetof(struct xen_domctl_sched_credit, cap) == 2,
               "sched_credit.cap");

struct xen_domctl_sched_credit2
{
    uint16_t weight;               /* IN/OUT */
    uint16_t cap;                  /* IN/OUT */
};
_Static_assert(sizeof(struct xen_domctl_sched_credit2) == 4, "sched_credit2");
_Static_assert(__builtin_offsetof(struct xen_domctl_sched_credit2, cap) == 2,
               "sched_credit2.cap");

#define XEN_DOMCTL_SCHEDRT_extra (1U << 0)  /* may run beyond its budget */
struct xen_domctl_sched_rtds
{
    uint32_t period;               /* IN/OUT: us */
    uint32_t budget;               /* IN/OUT: us */
    uint32_t flags;                /* IN/OUT: XEN_DOMCTL_SCHEDRT_*       */
};
_Static_assert(sizeof(struct xen_domctl_sched_rtds) == 12, "sched_rtds");
_Static_assert(__builtin_offsetof(struct xen_domctl_sched_rtds, budget) == 4,
               "sched_rtds.budget");
_Static_assert(__builtin_offsetof(struct xen_domctl_sched_rtds, flags) == 8,
               "sched_rtds.flags");

typedef struct xen_domctl_schedparam_vcpu
{
    union
    {
        struct xen_domctl_sched_credit credit;
        struct xen_domctl_sched_credit2 credit2;
        struct xen_domctl_sched_rtds rtds;
    } u;
    uint32_t vcpuid;
} xen_domctl_schedparam_vcpu_t;
DEFINE_XEN_GUEST_HANDLE(xen_domctl_schedparam_vcpu_t);
_Static_assert(sizeof(xen_domctl_schedparam_vcpu_t) == 16, "schedparam");

struct xen_domctl_scheduler_op
{
    uint32_t sched_id;             /* IN: XEN_SCHEDULER_*                */
    uint32_t cmd;                  /* IN: XEN_DOMCTL_SCHEDOP_*           */
    union
    {
        struct xen_domctl_sched_credit credit;
        struct xen_domctl_sched_credit2 credit2;
        struct xen_domctl_sched_rtds rtds;
        struct
        {
            XEN_GUEST_HANDLE_64(xen_domctl_schedparam_vcpu_t) vcpus;
            uint32_t nr_vcpus;     /* IN: entries; OUT: entries done     */
            uint32_t padding;
        } v;
    } u;                           /* IN/OUT */
};
_Static_assert(sizeof(struct xen_domctl_scheduler_op) == 24, "scheduler_op");
_Static_assert(__builtin_offsetof(struct xen_domctl_scheduler_op, u) == 8,
               "scheduler_op.u");

/* XEN_DOMCTL_setdomainhandle: set the domain's UUID. */
struct xen_domctl_setdomainhandle
{
    xen_domain_handle_t handle;    /* IN */
};
_Static_assert(sizeof(struct xen_domctl_setdomainhandle) == 16, "sethandle");

/* XEN_DOMCTL_setdebugging: mark the domain as debugged (not oneself). */
struct xen_domctl_setdebugging
{
    uint8_t enable;                /* IN */
};
_Static_assert(sizeof(struct xen_domctl_setdebugging) == 1, "setdebugging");

/* XEN_DOMCTL_irq_permission: grant/revoke access to a physical IRQ. */
struct xen_domctl_irq_permission
{
    uint32_t pirq;                 /* IN: the caller's pirq number       */
    uint8_t  allow_access;         /* IN */
    uint8_t  pad[3];
};
_Static_assert(sizeof(struct xen_domctl_irq_permission) == 8, "irq_perm");

/*
 * XEN_DOMCTL_iomem_permission: grant/revoke access to machine frames
 * [first_mfn, first_mfn + nr_mfns).  -EINVAL if the range wraps, -EPERM
 * if the caller has no access to it itself.
 */
struct xen_domctl_iomem_permission
{
    uint64_aligned_t first_mfn;    /* IN */
    uint64_aligned_t nr_mfns;      /* IN: > 0 */
    uint8_t  allow_access;         /* IN */
};
_Static_assert(sizeof(struct xen_domctl_iomem_permission) == 24, "iomem");

/* XEN_DOMCTL_ioport_permission: grant/revoke access to I/O ports. */
struct xen_domctl_ioport_permission
{
    uint32_t first_port;           /* IN */
    uint32_t nr_ports;             /* IN */
    uint8_t  allow_access;         /* IN */
};
_Static_assert(sizeof(struct xen_domctl_ioport_permission) == 12, "ioport");

/*
 * XEN_DOMCTL_hypercall_init: fill the frame 'gmfn' of the domain with
 * its hypercall page (a toolstack-built PV guest whose ELF notes ask for
 * one).  -EINVAL if the frame is not the domain's, -EACCES if it cannot
 * be made writable.
 */
struct xen_domctl_hypercall_init
{
    uint64_aligned_t gmfn;         /* IN */
};
_Static_assert(sizeof(struct xen_domctl_hypercall_init) == 8, "hc_init");

/* XEN_DOMCTL_settimeoffset: seconds added to the domain's wallclock. */
struct xen_domctl_settimeoffset
{
    int64_aligned_t time_offset_seconds;  /* IN */
};
_Static_assert(sizeof(struct xen_domctl_settimeoffset) == 8, "timeoffset");

/*
 * XEN_DOMCTL_set_address_size / XEN_DOMCTL_get_address_size (OUT): the
 * guest word size in bits, 32 or 64.  A new PV domain is 64-bit; set 32
 * to make it a 32-bit PV guest (before it has memory).  -EINVAL for
 * other values.
 */
struct xen_domctl_address_size
{
    uint32_t size;                 /* IN (set) / OUT (get) */
};
_Static_assert(sizeof(struct xen_domctl_address_size) == 4, "address_size");

/* XEN_DOMCTL_sendtrigger: inject an event into vCPU 'vcpu'. */
#define XEN_DOMCTL_SENDTRIGGER_NMI    0
#define XEN_DOMCTL_SENDTRIGGER_RESET  1
#define XEN_DOMCTL_SENDTRIGGER_INIT   2
#define XEN_DOMCTL_SENDTRIGGER_POWER  3
#define XEN_DOMCTL_SENDTRIGGER_SLEEP  4
struct xen_domctl_sendtrigger
{
    uint32_t trigger;              /* IN: XEN_DOMCTL_SENDTRIGGER_*       */
    uint32_t vcpu;                 /* IN */
};
_Static_assert(sizeof(struct xen_domctl_sendtrigger) == 8, "sendtrigger");

/* XEN_DOMCTL_set_target: let 'domain' control 'target' (HVM only). */
struct xen_domctl_set_target
{
    domid_t target;                /* IN */
};
_Static_assert(sizeof(struct xen_domctl_set_target) == 2, "set_target");

/* XEN_DOMCTL_subscribe: the port notified when the domain suspends. */
struct xen_domctl_subscribe
{
    uint32_t port;                 /* IN */
};
_Static_assert(sizeof(struct xen_domctl_subscribe) == 4, "subscribe");

/*
 * XEN_DOMCTL_set_virq_handler: make 'domain' the receiver of the global
 * VIRQ 'virq' (e.g. VIRQ_DOM_EXC for a separate xenstore domain).
 */
struct xen_domctl_set_virq_handler
{
    uint32_t virq;                 /* IN */
};
_Static_assert(sizeof(struct xen_domctl_set_virq_handler) == 4,
               "set_virq_handler");

/* XEN_DOMCTL_{get,set}_paging_mempool_size: HAP/shadow pool, bytes. */
struct xen_domctl_paging_mempool
{
    uint64_aligned_t size;         /* IN (set) / OUT (get) */
};
_Static_assert(sizeof(struct xen_domctl_paging_mempool) == 8, "mempool");

/*
 * The argument of domctl.  The union is padded to 128 bytes: commands
 * whose arguments are not described here still fit and copy correctly.
 */
struct xen_domctl
{
    uint32_t cmd;                  /* IN: XEN_DOMCTL_*                   */
    uint32_t interface_version;    /* IN: XEN_DOMCTL_INTERFACE_VERSION   */
    domid_t  domain;               /* IN; OUT for createdomain and       */
                                   /* getdomaininfo                      */
    uint16_t _pad[3];
    union
    {
        struct xen_domctl_createdomain      createdomain;
        struct xen_domctl_getdomaininfo     getdomaininfo;
        struct xen_domctl_getpageframeinfo3 getpageframeinfo3;
        struct xen_domctl_nodeaffinity      nodeaffinity;
        struct xen_domctl_vcpuaffinity      vcpuaffinity;
        struct xen_domctl_tsc_info          tsc_info;
        struct xen_domctl_cpu_policy        cpu_policy;
        struct xen_domctl_max_mem           max_mem;
        struct xen_domctl_vcpucontext       vcpucontext;
        struct xen_domctl_getvcpuinfo       getvcpuinfo;
        struct xen_domctl_max_vcpus         max_vcpus;
        struct xen_domctl_scheduler_op      scheduler_op;
        struct xen_domctl_setdomainhandle   setdomainhandle;
        struct xen_domctl_setdebugging      setdebugging;
        struct xen_domctl_irq_permission    irq_permission;
        struct xen_domctl_iomem_permission  iomem_permission;
        struct xen_domctl_ioport_permission ioport_permission;
        struct xen_domctl_hypercall_init    hypercall_init;
        struct xen_domctl_settimeoffset     settimeoffset;
        struct xen_domctl_address_size      address_size;
        struct xen_domctl_sendtrigger       sendtrigger;
        struct xen_domctl_set_target        set_target;
        struct xen_domctl_subscribe         subscribe;
        struct xen_domctl_set_virq_handler  set_virq_handler;
        struct xen_domctl_paging_mempool    paging_mempool;
        uint8_t                             pad[128];
    } u;
};
typedef struct xen_domctl xen_domctl_t;
DEFINE_XEN_GUEST_HANDLE(xen_domctl_t);
_Static_assert(sizeof(struct xen_domctl) == 144, "xen_domctl size");
_Static_assert(__builtin_offsetof(struct xen_domctl, interface_version) == 4,
               "xen_domctl.interface_version");
_Static_assert(__builtin_offsetof(struct xen_domctl, domain) == 8,
               "xen_domctl.domain");
_Static_assert(__builtin_offsetof(struct xen_domctl, u) == 16,
               "xen_domctl.u");

#endif /* XEN_PUBLIC_DOMCTL_H */
