/*
 * sysctl.h: sysctl(op) -- host-wide operations for the control domain's
 * toolstack (physical machine facts, the hypervisor console, the domain
 * list, the scheduler).
 *
 * One hypercall, __HYPERVISOR_sysctl (35), with one argument: a pointer
 * to a struct xen_sysctl.  Numbers and layouts are those of Xen 4.17
 * (interface version 0x15).
 *
 * Common errors (every command):
 *  -EFAULT  the xen_sysctl (or a buffer it points to) cannot be accessed.
 *  -EACCES  interface_version != XEN_SYSCTL_INTERFACE_VERSION.
 *  -EPERM   the caller is not the control domain (checked before 'cmd').
 * Unknown commands return -ENOSYS.  On success the whole xen_sysctl is
 * copied back (so OUT fields in the union are visible).
 */
#ifndef XEN_PUBLIC_SYSCTL_H
#define XEN_PUBLIC_SYSCTL_H

#include <stdint.h>
#include "xen.h"
#include "domctl.h"

#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015

/* Command numbers.  Retired numbers stay reserved. */
#define XEN_SYSCTL_readconsole              1
#define XEN_SYSCTL_tbuf_op                  2
#define XEN_SYSCTL_physinfo                 3
#define XEN_SYSCTL_sched_id                 4
#define XEN_SYSCTL_perfc_op                 5
#define XEN_SYSCTL_getdomaininfolist        6
#define XEN_SYSCTL_debug_keys               7
#define XEN_SYSCTL_getcpuinfo               8
#define XEN_SYSCTL_availheap                9
#define XEN_SYSCTL_get_pmstat              10
#define XEN_SYSCTL_cpu_hotplug             11
#define XEN_SYSCTL_pm_op                   12
/* 13 unassigned. */
#define XEN_SYSCTL_page_offline_op         14
#define XEN_SYSCTL_lockprof_op             15
#define XEN_SYSCTL_cputopoinfo             16
#define XEN_SYSCTL_numainfo                17
#define XEN_SYSCTL_cpupool_op              18
#define XEN_SYSCTL_scheduler_op            19
#define XEN_SYSCTL_coverage_op             20
#define XEN_SYSCTL_psr_cmt_op              21
#define XEN_SYSCTL_pcitopoinfo             22
#define XEN_SYSCTL_psr_alloc               23
/* 24 tmem_op: retired. */
#define XEN_SYSCTL_get_cpu_levelling_caps  25
#define XEN_SYSCTL_get_cpu_featureset      26
#define XEN_SYSCTL_livepatch_op            27
/* 28 set_parameter: retired. */
#define XEN_SYSCTL_get_cpu_policy          29

/*
 * XEN_SYSCTL_readconsole: copy bytes of the hypervisor's console ring.
 * Reads from the oldest byte kept, or from 'index' if 'incremental' and
 * 'index' is still inside the ring, up to 'count' bytes.  OUT: 'count'
 * bytes copied, 'index' where the next incremental read starts.  'clear'
 * discards what was read.
 */
struct xen_sysctl_readconsole
{
    uint8_t  clear;                /* IN: non-zero: drop what was read   */
    uint8_t  incremental;          /* IN: non-zero: start at 'index'     */
    uint8_t  pad0, pad1;
    uint32_t index;                /* IN/OUT: ring position              */
    XEN_GUEST_HANDLE_64(char) buffer;  /* IN: destination                */
    uint32_t count;                /* IN: buffer size; OUT: bytes copied */
};
#define RC_OFF(f) __builtin_offsetof(struct xen_sysctl_readconsole, f)
_Static_assert(sizeof(struct xen_sysctl_readconsole) == 24, "readconsole");
_Static_assert(RC_OFF(index) == 4, "readconsole.index");
_Static_assert(RC_OFF(buffer) == 8, "readconsole.buffer");
_Static_assert(RC_OFF(count) == 16, "readconsole.count");
#undef RC_OFF

/*
 * XEN_SYSCTL_physinfo: facts about the machine.  free_pages counts the
 * pages the heap can hand out now; pages of destroyed domains come back
 * to it asynchronously (after scrubbing, counted in scrub_pages).
 */
#define XEN_SYSCTL_PHYSCAP_hvm                (1U << 0)
#define XEN_SYSCTL_PHYSCAP_pv                 (1U << 1)
#define XEN_SYSCTL_PHYSCAP_directio           (1U << 2)  /* IOMMU       */
#define XEN_SYSCTL_PHYSCAP_hap                (1U << 3)
#define XEN_SYSCTL_PHYSCAP_shadow             (1U << 4)
#define XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share (1U << 5)
#define XEN_SYSCTL_PHYSCAP_vmtrace            (1U << 6)
#define XEN_SYSCTL_PHYSCAP_vpmu               (1U << 7)
#define XEN_SYSCTL_PHYSCAP_gnttab_v1          (1U << 8)
#define XEN_SYSCTL_PHYSCAP_gnttab_v2          (1U << 9)
#define XEN_SYSCTL_PHYSCAP_MAX                XEN_SYSCTL_PHYSCAP_gnttab_v2

struct xen_sysctl_physinfo
{
    uint32_t threads_per_core;     /* OUT */
    uint32_t cores_per_socket;     /* OUT */
    uint32_t nr_cpus;              /* OUT: CPUs online                   */
    uint32_t max_cpu_id;           /* OUT: highest possible CPU id       */
    uint32_t nr_nodes;             /* OUT: NUMA nodes online             */
    uint32_t max_node_id;          /* OUT: highest possible node id      */
    uint32_t cpu_khz;              /* OUT */
    uint32_t capabilities;         /* OUT: XEN_SYSCTL_PHYSCAP_*          */
    uint32_t arch_capabilities;    /* OUT: 0 on x86                      */
    uint32_t pad;
    uint64_aligned_t total_pages;  /* OUT: RAM the heap manages          */
    uint64_aligned_t free_pages;   /* OUT: free in the heap now          */
    uint64_aligned_t scrub_pages;  /* OUT: freed, waiting to be scrubbed */
    uint64_aligned_t outstanding_pages; /* OUT: claimed by domains       */
    uint64_aligned_t max_mfn;      /* OUT: highest possible MFN          */
    uint32_t hw_cap[8];            /* OUT: CPUID feature words           */
};
typedef struct xen_sysctl_physinfo xen_sysctl_physinfo_t;
#define PI_OFF(f) __builtin_offsetof(struct xen_sysctl_physinfo, f)
_Static_assert(sizeof(struct xen_sysctl_physinfo) == 112, "physinfo");
_Static_assert(PI_OFF(nr_cpus) == 8, "physinfo.nr_cpus");
_Static_assert(PI_OFF(cpu_khz) == 24, "physinfo.cpu_khz");
_Static_assert(PI_OFF(capabilities) == 28, "physinfo.capabilities");
_Static_assert(PI_OFF(arch_capabilities) == 32, "physinfo.arch_caps");
_Static_assert(PI_OFF(total_pages) == 40, "physinfo.total_pages");
_Static_assert(PI_OFF(free_pages) == 48, "physinfo.free_pages");
_Static_assert(PI_OFF(scrub_pages) == 56, "physinfo.scrub_pages");
_Static_assert(PI_OFF(outstanding_pages) == 64, "physinfo.outstanding");
_Static_assert(PI_OFF(max_mfn) == 72, "physinfo.max_mfn");
_Static_assert(PI_OFF(hw_cap) == 80, "physinfo.hw_cap");
#undef PI_OFF

/* XEN_SYSCTL_sched_id: the scheduler of the default pool. */
struct xen_sysctl_sched_id
{
    uint32_t sched_id;             /* OUT: XEN_SCHEDULER_* (domctl.h)    */
};
_Static_assert(sizeof(struct xen_sysctl_sched_id) == 4, "sched_id");

/*
 * XEN_SYSCTL_getdomaininfolist: getdomaininfo records of up to
 * 'max_domains' domains with id >= first_domain, in id order, into
 * 'buffer'.  OUT: num_domains written.
 */
struct xen_sysctl_getdomaininfolist
{
    domid_t  first_domain;         /* IN */
    uint32_t max_domains;          /* IN */
    XEN_GUEST_HANDLE_64(xen_domctl_getdomaininfo_t) buffer;  /* IN */
    uint32_t num_domains;          /* OUT */
};
#define GDL_OFF(f) __builtin_offsetof(struct xen_sysctl_getdomaininfolist, f)
_Static_assert(sizeof(struct xen_sysctl_getdomaininfolist) == 24, "dominfol");
_Static_assert(GDL_OFF(max_domains) == 4, "getdomaininfolist.max_domains");
_Static_assert(GDL_OFF(buffer) == 8, "getdomaininfolist.buffer");
_Static_assert(GDL_OFF(num_domains) == 16, "getdomaininfolist.num_domains");
#undef GDL_OFF

/* XEN_SYSCTL_debug_keys: act on 'nr_keys' debug-key characters. */
struct xen_sysctl_debug_keys
{
    XEN_GUEST_HANDLE_64(const_char) keys;  /* IN */
    uint32_t nr_keys;                      /* IN */
};
_Static_assert(sizeof(struct xen_sysctl_debug_keys) == 16, "debug_keys");

/* XEN_SYSCTL_getcpuinfo: idle time of each of the first max_cpus CPUs. */
struct xen_sysctl_cpuinfo
{
    uint64_aligned_t idletime;     /* OUT: ns */
};
typedef struct xen_sysctl_cpuinfo xen_sysctl_cpuinfo_t;
_Static_assert(sizeof(struct xen_sysctl_cpuinfo) == 8, "cpuinfo");
DEFINE_XEN_GUEST_HANDLE(xen_sysctl_cpuinfo_t);

struct xen_sysctl_getcpuinfo
{
    uint32_t max_cpus;                          /* IN  */
    XEN_GUEST_HANDLE_64(xen_sysctl_cpuinfo_t) info;  /* IN  */
    uint32_t nr_cpus;                           /* OUT */
};
_Static_assert(sizeof(struct xen_sysctl_getcpuinfo) == 24, "getcpuinfo");

/* XEN_SYSCTL_availheap: free heap bytes within an address-width range. */
struct xen_sysctl_availheap
{
    uint32_t min_bitwidth;         /* IN: 0 = any */
    uint32_t max_bitwidth;         /* IN: 0 = any */
    int32_t  node;                 /* IN: -1 = all nodes */
    uint64_aligned_t avail_bytes;  /* OUT */
};
_Static_assert(sizeof(struct xen_sysctl_availheap) == 24, "availheap");

/* XEN_SYSCTL_cputopoinfo: core/socket/node of each CPU. */
#define XEN_INVALID_CORE_ID   (~0U)
#define XEN_INVALID_SOCKET_ID (~0U)
#define XEN_INVALID_NODE_ID   (~0U)
struct xen_sysctl_cputopo
{
    uint32_t core;
    uint32_t socket;
    uint32_t node;
};
typedef struct xen_sysctl_cputopo xen_sysctl_cputopo_t;
_Static_assert(sizeof(struct xen_sysctl_cputopo) == 12, "cputopo");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cputopo, socket) == 4,
               "cputopo.socket");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cputopo, node) == 8,
               "cputopo.node");
DEFINE_XEN_GUEST_HANDLE(xen_sysctl_cputopo_t);

struct xen_sysctl_cputopoinfo
{
    uint32_t num_cpus;             /* IN: entries; OUT: written / needed */
    XEN_GUEST_HANDLE_64(xen_sysctl_cputopo_t) cputopo;  /* NULL: ask size */
};
_Static_assert(sizeof(struct xen_sysctl_cputopoinfo) == 16, "cputopoinfo");

/*
 * XEN_SYSCTL_numainfo: per-node memory and the node distance matrix.
 * Either handle may be NULL; with both NULL only num_nodes is answered.
 */
#define XEN_INVALID_MEM_SZ     (~0ULL)
#define XEN_INVALID_NODE_DIST  (~0U)
struct xen_sysctl_meminfo
{
    uint64_t memsize;              /* bytes spanned by the node */
    uint64_t memfree;              /* bytes free in it */
};
typedef struct xen_sysctl_meminfo xen_sysctl_meminfo_t;
_Static_assert(sizeof(struct xen_sysctl_meminfo) == 16, "meminfo");
_Static_assert(__builtin_offsetof(struct xen_sysctl_meminfo, memfree) == 8,
               "meminfo.memfree");
DEFINE_XEN_GUEST_HANDLE(xen_sysctl_meminfo_t);

struct xen_sysctl_numainfo
{
    uint32_t num_nodes;            /* IN: entries; OUT: written / needed */
    XEN_GUEST_HANDLE_64(xen_sysctl_meminfo_t) meminfo;  /* [num_nodes]   */
    XEN_GUEST_HANDLE_64(uint) distance;  /* [num_nodes^2]                */
};
_Static_assert(sizeof(struct xen_sysctl_numainfo) == 24, "numainfo");
_Static_assert(__builtin_offsetof(struct xen_sysctl_numainfo, meminfo) == 8,
               "numainfo.meminfo");
_Static_assert(__builtin_offsetof(struct xen_sysctl_numainfo, distance) == 16,
               "numainfo.distance");

/*
 * XEN_SYSCTL_cpupool_op: CPU pools.  INFO answers the first pool whose
 * id is >= cpupool_id (-ENOENT if none); FREEINFO the CPUs in no pool.
 */
#define XEN_SYSCTL_CPUPOOL_OP_CREATE     1
#define XEN_SYSCTL_CPUPOOL_OP_DESTROY    2
#define XEN_SYSCTL_CPUPOOL_OP_INFO       3
#define XEN_SYSCTL_CPUPOOL_OP_ADDCPU     4
#define XEN_SYSCTL_CPUPOOL_OP_RMCPU      5
#define XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN 6
#define XEN_SYSCTL_CPUPOOL_OP_FREEINFO   7
#define XEN_SYSCTL_CPUPOOL_PAR_ANY       0xFFFFFFFFU
struct xen_sysctl_cpupool_op
{
    uint32_t op;                   /* IN: XEN_SYSCTL_CPUPOOL_OP_*        */
    uint32_t cpupool_id;           /* IN: pool (or PAR_ANY); OUT: INFO   */
    uint32_t sched_id;             /* IN: CREATE; OUT: INFO              */
    uint32_t domid;                /* IN: MOVEDOMAIN                     */
    uint32_t cpu;                  /* IN: ADDCPU, RMCPU                  */
    uint32_t n_dom;                /* OUT: INFO                          */
    struct xenctl_bitmap cpumap;   /* OUT: INFO, FREEINFO                */
};
_Static_assert(sizeof(struct xen_sysctl_cpupool_op) == 40, "cpupool_op");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpupool_op, cpupool_id)
               == 4, "cpupool_op.cpupool_id");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpupool_op, sched_id)
               == 8, "cpupool_op.sched_id");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpupool_op, domid)
               == 12, "cpupool_op.domid");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpupool_op, cpu)
               == 16, "cpupool_op.cpu");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpupool_op, n_dom)
               == 20, "cpupool_op.n_dom");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpupool_op, cpumap)
               == 24, "cpupool_op.cpumap");

/*
 * XEN_SYSCTL_get_cpu_featureset: a policy's feature words (CPUID bits in
 * Xen's featureset order).  A NULL handle asks for the number of words.
 */
#define XEN_SYSCTL_cpu_featureset_raw      0
#define XEN_SYSCTL_cpu_featureset_host     1
#define XEN_SYSCTL_cpu_featureset_pv       2
#define XEN_SYSCTL_cpu_featureset_hvm      3
#define XEN_SYSCTL_cpu_featureset_pv_max   4
#define XEN_SYSCTL_cpu_featureset_hvm_max  5
struct xen_sysctl_cpu_featureset
{
    uint32_t index;                /* IN: XEN_SYSCTL_cpu_featureset_*    */
    uint32_t nr_features;          /* IN: words; OUT: written / maximum  */
    XEN_GUEST_HANDLE_64(uint) features;  /* OUT */
};
_Static_assert(sizeof(struct xen_sysctl_cpu_featureset) == 16,
               "cpu_featureset");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_featureset,
                                 nr_features) == 4,
               "cpu_featureset.nr_features");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_featureset,
                                 features) == 8, "cpu_featureset.features");

/*
 * XEN_SYSCTL_get_cpu_policy: a system CPU policy in libxc's buffer
 * formats.  NULL handles ask for the maximum counts.
 */
#define XEN_SYSCTL_cpu_policy_raw          0
#define XEN_SYSCTL_cpu_policy_host         1
#define XEN_SYSCTL_cpu_policy_pv_max       2
#define XEN_SYSCTL_cpu_policy_hvm_max      3
#define XEN_SYSCTL_cpu_policy_pv_default   4
#define XEN_SYSCTL_cpu_policy_hvm_default  5
struct xen_sysctl_cpu_policy
{
    uint32_t index;                /* IN: XEN_SYSCTL_cpu_policy_*        */
    uint32_t nr_leaves;            /* IN: room; OUT: written / maximum   */
    uint32_t nr_msrs;              /* IN: room; OUT: written / maximum   */
    uint32_t _rsvd;                /* must be 0 */
    XEN_GUEST_HANDLE_64(xen_cpuid_leaf_t) leaves;  /* OUT */
    XEN_GUEST_HANDLE_64(xen_msr_entry_t) msrs;     /* OUT */
};
_Static_assert(sizeof(struct xen_sysctl_cpu_policy) == 32, "cpu_policy");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_policy, nr_leaves)
               == 4, "sysctl cpu_policy.nr_leaves");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_policy, nr_msrs)
               == 8, "sysctl cpu_policy.nr_msrs");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_policy, _rsvd)
               == 12, "sysctl cpu_policy._rsvd");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_policy, leaves)
               == 16, "sysctl cpu_policy.leaves");
_Static_assert(__builtin_offsetof(struct xen_sysctl_cpu_policy, msrs)
               == 24, "sysctl cpu_policy.msrs");

/* XEN_SYSCTL_scheduler_op: a CPU pool's scheduler-wide parameters. */
#define XEN_SYSCTL_SCHEDOP_putinfo 0
#define XEN_SYSCTL_SCHEDOP_getinfo 1

struct xen_sysctl_credit_schedule
{
    uint32_t tslice_ms;            /* IN/OUT: 1..1000 */
    uint32_t ratelimit_us;         /* IN/OUT */
    uint32_t vcpu_migr_delay_us;   /* IN/OUT: <= 100000 */
};
_Static_assert(sizeof(struct xen_sysctl_credit_schedule) == 12,
               "credit_schedule");
_Static_assert(__builtin_offsetof(struct xen_sysctl_credit_schedule,
                                 ratelimit_us) == 4,
               "credit_schedule.ratelimit_us");
_Static_assert(__builtin_offsetof(struct xen_sysctl_credit_schedule,
                                 vcpu_migr_delay_us) == 8,
               "credit_schedule.vcpu_migr_delay_us");

struct xen_sysctl_credit2_schedule
{
    uint32_t ratelimit_us;         /* IN/OUT */
};
_Static_assert(sizeof(struct xen_sysctl_credit2_schedule) == 4,
               "credit2_schedule");

struct xen_sysctl_scheduler_op
{
    uint32_t cpupool_id;           /* IN */
    uint32_t sched_id;             /* IN: XEN_SCHEDULER_* */
    uint32_t cmd;                  /* IN: XEN_SYSCTL_SCHEDOP_* */
    union
    {
        struct
        {
            XEN_GUEST_HANDLE_64(void) schedule;
        } sched_arinc653;
        struct xen_sysctl_credit_schedule sched_credit;
        struct xen_sysctl_credit2_schedule sched_credit2;
    } u;                           /* IN/OUT */
};
_Static_assert(sizeof(struct xen_sysctl_scheduler_op) == 32, "sysctl sched");

/*
 * The argument of sysctl.  The union is padded to 128 bytes: commands
 * whose arguments are not described here still fit and copy correctly.
 */
struct xen_sysctl
{
    uint32_t cmd;                  /* IN: XEN_SYSCTL_*                   */
    uint32_t interface_version;    /* IN: XEN_SYSCTL_INTERFACE_VERSION   */
    union
    {
        struct xen_sysctl_readconsole       readconsole;
        struct xen_sysctl_physinfo          physinfo;
        struct xen_sysctl_sched_id          sched_id;
        struct xen_sysctl_getdomaininfolist getdomaininfolist;
        struct xen_sysctl_debug_keys        debug_keys;
        struct xen_sysctl_getcpuinfo        getcpuinfo;
        struct xen_sysctl_availheap         availheap;
        struct xen_sysctl_cputopoinfo       cputopoinfo;
        struct xen_sysctl_numainfo          numainfo;
        struct xen_sysctl_cpupool_op        cpupool_op;
        struct xen_sysctl_cpu_featureset    cpu_featureset;
        struct xen_sysctl_cpu_policy        cpu_policy;
        struct xen_sysctl_scheduler_op      scheduler_op;
        uint8_t                             pad[128];
    } u;
};
typedef struct xen_sysctl xen_sysctl_t;
DEFINE_XEN_GUEST_HANDLE(xen_sysctl_t);
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl size");
_Static_assert(__builtin_offsetof(struct xen_sysctl, interface_version) == 4,
               "xen_sysctl.interface_version");
_Static_assert(__builtin_offsetof(struct xen_sysctl, u) == 8, "xen_sysctl.u");

#endif /* XEN_PUBLIC_SYSCTL_H */
