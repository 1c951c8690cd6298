/*
 * xbuild.c: libxbuild, the PV domain builder (see xbuild.h, README.md).
 *
 * The start-of-day layout built here is the one the PV ABI promises
 * (public/xen.h, start_info) and Xen 4.17's libxenguest produces for a
 * 64-bit guest.  With PFN p living at virt_base + p * 4 KiB:
 *
 *   [kernel segments] [p2m list] [start_info] [xenstore] [console]
 *   [page tables: L4, L3s, L2s, L1s] [boot stack] [padding]
 *
 * each part page aligned and packed in that order after the kernel; the
 * page tables map everything from virt_base up to a 4 MiB boundary at
 * least 512 KiB past the stack ("the initial mapping"), the page-table
 * pages themselves read-only.  All memory of the domain comes from
 * XENMEM_populate_physmap; the library writes the frames it fills
 * through the caller's foreign mapping, one frame at a time.
 */
#include "xbuild.h"

#include <xenia/elf_image.h>

#include <public/errno.h>
#include <public/elfnote.h>
#include <public/features.h>
#include <public/memory.h>

#define XB_PAGE_SHIFT 12
#define XB_PAGE_SIZE  (1UL << XB_PAGE_SHIFT)
#define XB_4MB        (4UL << 20)
#define XB_PAD_PAGES  ((512UL << 10) >> XB_PAGE_SHIFT)

/* libxl's LIBXL_MAXMEM_CONSTANT: max_mem = target + 1 MiB. */
#define XB_MAXMEM_SLACK_KB   1024
/* libxl's default event channel limit; grant limits: hypervisor's. */
#define XB_MAX_EVTCHN_PORT   1023

#define PTE_P   0x001UL
#define PTE_RW  0x002UL
#define PTE_US  0x004UL
#define PTE_A   0x020UL
#define PTE_D   0x040UL
#define PTE_L1_PROT    (PTE_P | PTE_RW | PTE_A)
#define PTE_UPPER_PROT (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US)

#define X86_DR6_DEFAULT 0xffff0ff0UL
#define X86_DR7_DEFAULT 0x00000400UL
#define X86_EFLAGS_IF   0x00000200UL

/* ------------------------------------------------------------------ */
/* Freestanding helpers.                                               */

static void xb_memset(void *d, int c, size_t n)
{
    unsigned char *p = d;

    while ( n-- )
        *p++ = (unsigned char)c;
}

static void xb_memcpy(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    while ( n-- )
        *dp++ = *sp++;
}

/* ------------------------------------------------------------------ */
/* ELF64 and Xen notes: the hypervisor's own parser.                   */

/*
 * Features a PV domU built here cannot be given if the kernel needs them
 * (the toolstack's policy, on top of what the parser accepts).
 */
#define XB_FEATURES_UNAVAILABLE                                         \
    ((1U << XENFEAT_auto_translated_physmap) |                          \
     (1U << XENFEAT_supervisor_mode_kernel) |                           \
     (1U << XENFEAT_hvm_callback_vector) |                              \
     (1U << XENFEAT_hvm_safe_pvclock) | (1U << XENFEAT_hvm_pirqs) |     \
     (1U << XENFEAT_dom0))

/*
 * Parses and checks the image with hypervisor/common/elf_image.c, the
 * parser the hypervisor builds dom0 with (headers, segments, Xen notes or
 * the legacy __xen_guest string, Xen's load rule), then applies the domU
 * feature policy, and describes the result in info.
 */
static int xb_elf_image(const void *image, size_t size,
                        struct elf_image *img, struct xb_elf_info *info)
{
    const uint8_t *p = image;
    char err[ELF_ERR_LEN];

    xb_memset(info, 0, sizeof(*info));
    if ( !image || size < 4 || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' ||
         p[3] != 'F' )
        return -XEN_ENOEXEC;
    if ( elf_parse(img, image, size, err, sizeof(err)) ||
         elf_xen_check(img, err, sizeof(err)) ||
         elf_xen_features_ok(img, false, err, sizeof(err)) ||
         (img->f_required & XB_FEATURES_UNAVAILABLE) )
        return -XEN_EINVAL;
    info->virt_base = img->virt_base;
    info->paddr_offset = img->paddr_offset;
    info->entry = img->virt_entry;
    info->vstart = img->virt_kstart;
    info->vend = img->virt_kend;
    info->has_hypercall_page = img->virt_hypercall != ELF_UNSET;
    info->hypercall_page = info->has_hypercall_page ? img->virt_hypercall : 0;
    info->features_supported = img->f_supported;
    info->features_required = img->f_required;
    return 0;
}

int xb_elf_parse(const void *image, size_t size, struct xb_elf_info *info)
{
    struct elf_image img;

    return xb_elf_image(image, size, &img, info);
}

/* ------------------------------------------------------------------ */
/* Hypercall wrappers.                                                 */

static long xb_do_domctl(const struct xb_ops *ops, uint32_t cmd,
                         domid_t domid, struct xen_domctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = domid;
    return ops->domctl(ops->opaque, op);
}

static long xb_do_sysctl(const struct xb_ops *ops, uint32_t cmd,
                         struct xen_sysctl *op)
{
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return ops->sysctl(ops->opaque, op);
}

int xb_destroy(const struct xb_ops *ops, domid_t domid)
{
    struct xen_domctl op = { 0 };

    return xb_do_domctl(ops, XEN_DOMCTL_destroydomain, domid, &op);
}

int xb_pause(const struct xb_ops *ops, domid_t domid)
{
    struct xen_domctl op = { 0 };

    return xb_do_domctl(ops, XEN_DOMCTL_pausedomain, domid, &op);
}

int xb_unpause(const struct xb_ops *ops, domid_t domid)
{
    struct xen_domctl op = { 0 };

    return xb_do_domctl(ops, XEN_DOMCTL_unpausedomain, domid, &op);
}

int xb_getdomaininfo(const struct xb_ops *ops, domid_t domid,
                     struct xen_domctl_getdomaininfo *info)
{
    struct xen_domctl op = { 0 };
    long rc = xb_do_domctl(ops, XEN_DOMCTL_getdomaininfo, domid, &op);

    if ( rc == 0 )
        *info = op.u.getdomaininfo;
    return rc;
}

int xb_getvcpuinfo(const struct xb_ops *ops, domid_t domid, uint32_t vcpu,
                   struct xen_domctl_getvcpuinfo *info)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.getvcpuinfo.vcpu = vcpu;
    rc = xb_do_domctl(ops, XEN_DOMCTL_getvcpuinfo, domid, &op);
    if ( rc == 0 )
        *info = op.u.getvcpuinfo;
    return rc;
}

int xb_physinfo(const struct xb_ops *ops, struct xen_sysctl_physinfo *info)
{
    struct xen_sysctl op = { 0 };
    long rc = xb_do_sysctl(ops, XEN_SYSCTL_physinfo, &op);

    if ( rc == 0 )
        *info = op.u.physinfo;
    return rc;
}

int xb_sched_id(const struct xb_ops *ops, uint32_t *sched_id)
{
    struct xen_sysctl op = { 0 };
    long rc = xb_do_sysctl(ops, XEN_SYSCTL_sched_id, &op);

    if ( rc == 0 )
        *sched_id = op.u.sched_id.sched_id;
    return rc;
}

/* ------------------------------------------------------------------ */
/* The build.                                                          */

/* Page-table geometry of the initial mapping [vs, ve). */
struct xb_pt
{
    uint64_t vs, ve;           /* mapped range, ve exclusive             */
    uint64_t n[4];             /* tables at level 1..3 (n[0] unused)     */
    uint64_t total;            /* L4 + n[1] + n[2] + n[3]                */
};

struct xb_ctx
{
    const struct xb_ops *ops;
    const struct xb_config *cfg;
    struct xb_domain *out;
    struct xb_elf_info elf;
    struct elf_image img;      /* the parsed kernel (its segments)       */
    struct xb_pt pt;
    uint64_t nr_pages, p2m_pfn, p2m_pages;
    uint64_t kend_pfn;         /* first PFN after the kernel             */
    void *mapped;              /* the one live foreign mapping, or NULL  */
    uint64_t win_pfn, win_n;   /* PFNs it covers (win_n > 1: a range)    */
};

/* Bits of VA covered by one table of level 'lvl' (1..4). */
static unsigned int xb_level_shift(unsigned int lvl)
{
    return XB_PAGE_SHIFT + 9 * lvl;
}

static void xb_count_tables(struct xb_pt *pt, uint64_t vs, uint64_t ve)
{
    unsigned int l;

    pt->vs = vs;
    pt->ve = ve;
    pt->total = 1;
    for ( l = 1; l <= 3; l++ )
    {
        unsigned int s = xb_level_shift(l);

        pt->n[l] = ((ve - 1) >> s) - (vs >> s) + 1;
        pt->total += pt->n[l];
    }
}

/* Start VA of the region covered by table k of level 'lvl'. */
static uint64_t xb_table_base(const struct xb_pt *pt, unsigned int lvl,
                              uint64_t k)
{
    unsigned int s = xb_level_shift(lvl);

    return ((pt->vs >> s) + k) << s;
}

/* Index of table k of level 'lvl' among the page-table pages. */
static uint64_t xb_table_index(const struct xb_pt *pt, unsigned int lvl,
                               uint64_t k)
{
    uint64_t idx = 1;          /* the L4 is first */
    unsigned int l;

    if ( lvl == 4 )
        return 0;
    for ( l = 3; l > lvl; l-- )
        idx += pt->n[l];
    return idx + k;
}

static int xb_fail(struct xb_ctx *c, const char *step, long rc, int err)
{
    c->out->failed_step = step;
    c->out->failed_rc = rc;
    return err;
}

/*
 * Work out the PFN layout: everything in xb_domain up to map_end_pfn.
 * Pure arithmetic on the image and config; nothing is created yet.
 */
static int xb_layout(struct xb_ctx *c)
{
    struct xb_domain *o = c->out;
    uint64_t vb = c->elf.virt_base, alloc_end, extra, ve;
    unsigned int tries;

    c->kend_pfn = (c->elf.vend - vb + XB_PAGE_SIZE - 1) >> XB_PAGE_SHIFT;
    o->ramdisk_pfn = c->kend_pfn;
    o->nr_ramdisk_pages = (c->cfg->ramdisk_size + XB_PAGE_SIZE - 1) >>
        XB_PAGE_SHIFT;
    if ( !c->cfg->ramdisk )
        o->nr_ramdisk_pages = 0;
    c->p2m_pfn = o->ramdisk_pfn + o->nr_ramdisk_pages;
    c->p2m_pages = (c->nr_pages * sizeof(xen_pfn_t) + XB_PAGE_SIZE - 1) >>
        XB_PAGE_SHIFT;
    o->start_info_pfn = c->p2m_pfn + c->p2m_pages;
    o->store_pfn = o->start_info_pfn + 1;
    o->console_pfn = o->store_pfn + 1;
    alloc_end = o->console_pfn + 1;

    /* Tables + stack + 512 KiB, rounded to 4 MiB: grow until it fits. */
    extra = 1 + XB_PAD_PAGES;
    for ( tries = 0; ; tries++ )
    {
        uint64_t need = (alloc_end + extra) << XB_PAGE_SHIFT;

        if ( tries > 8 || need > (1ULL << 40) )
            return xb_fail(c, "layout", 0, -XEN_EINVAL);
        ve = vb + ((need + XB_4MB - 1) & ~(uint64_t)(XB_4MB - 1));
        if ( ve <= vb )
            return xb_fail(c, "layout", 0, -XEN_EINVAL);  /* wraps */
        xb_count_tables(&c->pt, vb, ve);
        extra = c->pt.total + 1 + XB_PAD_PAGES;
        if ( ((alloc_end + extra) << XB_PAGE_SHIFT) <= ve - vb )
            break;
    }

    o->pt_pfn = alloc_end;
    o->nr_pt_frames = c->pt.total;
    o->stack_pfn = o->pt_pfn + c->pt.total;
    o->map_end_pfn = (ve - vb) >> XB_PAGE_SHIFT;
    if ( o->map_end_pfn > c->nr_pages )
        return xb_fail(c, "layout: memory smaller than initial mapping",
                       (long)o->map_end_pfn, -XEN_ENOMEM);
    return 0;
}

static void xb_unmap(struct xb_ctx *c)
{
    if ( c->mapped && c->win_n > 1 )
        c->ops->unmap_foreign_range(c->ops->opaque, c->mapped,
                                    (unsigned int)c->win_n);
    else if ( c->mapped )
        c->ops->unmap_foreign(c->ops->opaque, c->mapped);
    c->mapped = NULL;
    c->win_n = 0;
}

/*
 * PFN 'pfn' of the new domain, from the live window when it covers it;
 * otherwise the window moves to [pfn, end) (at most XB_MAP_WINDOW frames,
 * one call) when the caller has range ops, or to the one frame.
 */
static void *xb_map_range(struct xb_ctx *c, uint64_t pfn, uint64_t end)
{
    uint64_t n = 1;

    if ( c->mapped && pfn >= c->win_pfn && pfn < c->win_pfn + c->win_n )
        return (uint8_t *)c->mapped +
            ((pfn - c->win_pfn) << XB_PAGE_SHIFT);
    xb_unmap(c);
    if ( c->ops->map_foreign_range && c->ops->unmap_foreign_range &&
         end > pfn + 1 )
    {
        n = end - pfn < XB_MAP_WINDOW ? end - pfn : XB_MAP_WINDOW;
        c->mapped = c->ops->map_foreign_range(c->ops->opaque,
                                              c->out->domid,
                                              &c->cfg->p2m[pfn],
                                              (unsigned int)n);
    }
    else
        c->mapped = c->ops->map_foreign(c->ops->opaque, c->out->domid,
                                        c->cfg->p2m[pfn]);
    c->win_pfn = pfn;
    c->win_n = c->mapped ? n : 0;
    return c->mapped;
}

/* Map PFN 'pfn' of the new domain (alone unless a window covers it). */
static void *xb_map_pfn(struct xb_ctx *c, uint64_t pfn)
{
    return xb_map_range(c, pfn, pfn + 1);
}

static int xb_create(struct xb_ctx *c)
{
    const struct xb_config *cfg = c->cfg;
    struct xen_domctl op = { 0 };
    struct xen_domctl_createdomain *cd = &op.u.createdomain;
    struct xen_sysctl_physinfo pi;
    uint32_t gnttab = cfg->max_grant_version;
    long rc;

    if ( gnttab == 0 )
    {
        rc = xb_physinfo(c->ops, &pi);
        if ( rc )
            return xb_fail(c, "physinfo", rc, rc);
        gnttab = (pi.capabilities & XEN_SYSCTL_PHYSCAP_gnttab_v2) ? 2 : 1;
    }

    xb_memcpy(cd->handle, cfg->handle, sizeof(cd->handle));
    cd->flags = 0;                                 /* PV */
    cd->max_vcpus = cfg->max_vcpus ? cfg->max_vcpus : 1;
    cd->max_evtchn_port = XB_MAX_EVTCHN_PORT;
    cd->max_grant_frames = -1;
    cd->max_maptrack_frames = -1;
    cd->grant_opts = XEN_DOMCTL_GRANT_version(gnttab);
    rc = xb_do_domctl(c->ops, XEN_DOMCTL_createdomain, cfg->domid, &op);
    if ( rc )
        return xb_fail(c, "createdomain", rc, rc);
    if ( op.domain == 0 || op.domain >= DOMID_FIRST_RESERVED )
        return xb_fail(c, "createdomain: bad domid", op.domain, -XEN_EINVAL);
    c->out->domid = op.domain;
    return 0;
}

static int xb_setup_domain(struct xb_ctx *c)
{
    struct xen_domctl op = { 0 };
    domid_t d = c->out->domid;
    long rc;

    op.u.max_vcpus.max = c->cfg->max_vcpus ? c->cfg->max_vcpus : 1;
    rc = xb_do_domctl(c->ops, XEN_DOMCTL_max_vcpus, d, &op);
    if ( rc )
        return xb_fail(c, "max_vcpus", rc, rc);

    xb_memset(&op, 0, sizeof(op));
    op.u.address_size.size = 64;
    rc = xb_do_domctl(c->ops, XEN_DOMCTL_set_address_size, d, &op);
    if ( rc )
        return xb_fail(c, "set_address_size", rc, rc);

    xb_memset(&op, 0, sizeof(op));
    op.u.max_mem.max_memkb = c->cfg->mem_kb + XB_MAXMEM_SLACK_KB;
    rc = xb_do_domctl(c->ops, XEN_DOMCTL_max_mem, d, &op);
    if ( rc )
        return xb_fail(c, "max_mem", rc, rc);
    return 0;
}

/*
 * Back every PFN with a frame (populate_physmap writes the MFNs over
 * the PFNs in place for a PV domain) and record the M2P entries.
 */
#define XB_BATCH 256
static int xb_populate(struct xb_ctx *c)
{
    xen_pfn_t *p2m = c->cfg->p2m;
    uint64_t i, j;
    long rc;

    for ( i = 0; i < c->nr_pages; i += XB_BATCH )
    {
        uint64_t n = c->nr_pages - i < XB_BATCH ? c->nr_pages - i : XB_BATCH;
        struct xen_memory_reservation r = {
            .extent_start = (uint64_t)(uintptr_t)(p2m + i),
            .nr_extents = n,
            .extent_order = 0,
            .mem_flags = 0,
            .domid = c->out->domid,
        };

        for ( j = 0; j < n; j++ )
            p2m[i + j] = i + j;
        rc = c->ops->memory_op(c->ops->opaque, XENMEM_populate_physmap, &r);
        if ( rc != (long)n )
            return xb_fail(c, "populate_physmap", rc,
                           rc < 0 ? rc : -XEN_ENOMEM);
    }

    for ( i = 0; i < c->nr_pages; i += XB_BATCH )
    {
        struct mmu_update req[XB_BATCH];
        unsigned int n = c->nr_pages - i < XB_BATCH ? c->nr_pages - i
                                                    : XB_BATCH;
        unsigned int done = 0;

        for ( j = 0; j < n; j++ )
        {
            req[j].ptr = (p2m[i + j] << XB_PAGE_SHIFT) | MMU_MACHPHYS_UPDATE;
            req[j].val = i + j;
        }
        rc = c->ops->mmu_update(c->ops->opaque, req, n, &done,
                                c->out->domid);
        if ( rc || done != n )
            return xb_fail(c, "mmu_update(MACHPHYS)", rc,
                           rc ? rc : -XEN_EINVAL);
    }
    return 0;
}

/* Copy the PT_LOAD segments in, zeroing the rest of every page touched. */
static int xb_load_kernel(struct xb_ctx *c)
{
    const uint8_t *img = c->cfg->kernel;
    uint64_t vb = c->elf.virt_base, off = c->img.virt_offset;
    uint64_t pfn, first = (c->elf.vstart - vb) >> XB_PAGE_SHIFT;
    unsigned int i;

    for ( pfn = first; pfn < c->kend_pfn; pfn++ )
    {
        uint64_t pva = vb + (pfn << XB_PAGE_SHIFT);
        uint8_t *page = xb_map_range(c, pfn, c->kend_pfn);

        if ( !page )
            return xb_fail(c, "map kernel page", (long)pfn, -XEN_EFAULT);
        xb_memset(page, 0, XB_PAGE_SIZE);
        for ( i = 0; i < c->img.nr_segments; i++ )
        {
            const struct elf_segment *seg = &c->img.seg[i];
            uint64_t sva, lo, hi;

            if ( seg->filesz == 0 )
                continue;
            sva = seg->paddr + off;
            lo = sva > pva ? sva : pva;
            hi = sva + seg->filesz < pva + XB_PAGE_SIZE ?
                sva + seg->filesz : pva + XB_PAGE_SIZE;
            if ( lo < hi )
                xb_memcpy(page + (lo - pva), img + seg->offset + (lo - sva),
                          hi - lo);
        }
    }
    xb_unmap(c);
    return 0;
}

/* The ramdisk, right after the kernel; the tail of its last page zeroed. */
static int xb_load_ramdisk(struct xb_ctx *c)
{
    const uint8_t *rd = c->cfg->ramdisk;
    uint64_t k, off, n;

    for ( k = 0; k < c->out->nr_ramdisk_pages; k++ )
    {
        uint8_t *page = xb_map_range(
            c, c->out->ramdisk_pfn + k,
            c->out->ramdisk_pfn + c->out->nr_ramdisk_pages);

        if ( !page )
            return xb_fail(c, "map ramdisk page", (long)k, -XEN_EFAULT);
        off = k << XB_PAGE_SHIFT;
        n = c->cfg->ramdisk_size - off < XB_PAGE_SIZE ?
            c->cfg->ramdisk_size - off : XB_PAGE_SIZE;
        xb_memcpy(page, rd + off, n);
        if ( n < XB_PAGE_SIZE )
            xb_memset(page + n, 0, XB_PAGE_SIZE - n);
    }
    xb_unmap(c);
    return 0;
}

/* The guest's p2m list: MFN of every PFN, page by page. */
static int xb_write_p2m(struct xb_ctx *c)
{
    uint64_t k, per = XB_PAGE_SIZE / sizeof(xen_pfn_t);

    for ( k = 0; k < c->p2m_pages; k++ )
    {
        xen_pfn_t *page = xb_map_range(c, c->p2m_pfn + k,
                                         c->p2m_pfn + c->p2m_pages);
        uint64_t first = k * per, n;

        if ( !page )
            return xb_fail(c, "map p2m page", (long)k, -XEN_EFAULT);
        xb_memset(page, 0, XB_PAGE_SIZE);
        n = c->nr_pages - first < per ? c->nr_pages - first : per;
        xb_memcpy(page, c->cfg->p2m + first, n * sizeof(xen_pfn_t));
    }
    xb_unmap(c);
    return 0;
}

static int xb_zero_pfn(struct xb_ctx *c, uint64_t pfn, const char *what)
{
    void *page = xb_map_pfn(c, pfn);

    if ( !page )
        return xb_fail(c, what, (long)pfn, -XEN_EFAULT);
    xb_memset(page, 0, XB_PAGE_SIZE);
    xb_unmap(c);
    return 0;
}

/* An unbound port of the new domain that the backend may bind to. */
static int xb_alloc_port(struct xb_ctx *c, evtchn_port_t *port,
                         const char *what)
{
    struct evtchn_alloc_unbound au = {
        .dom = c->out->domid,
        .remote_dom = c->cfg->backend_domid,
    };
    long rc = c->ops->event_channel_op(c->ops->opaque,
                                       EVTCHNOP_alloc_unbound, &au);

    if ( rc )
        return xb_fail(c, what, rc, rc);
    *port = au.port;
    return 0;
}

static int xb_write_start_info(struct xb_ctx *c)
{
    struct xb_domain *o = c->out;
    uint64_t vb = c->elf.virt_base;
    struct start_info *si = xb_map_pfn(c, o->start_info_pfn);
    static const char magic[] = "xen-3.0-x86_64";
    const char *cl = c->cfg->cmdline;
    size_t i;

    if ( !si )
        return xb_fail(c, "map start_info", (long)o->start_info_pfn,
                       -XEN_EFAULT);
    xb_memset(si, 0, XB_PAGE_SIZE);
    xb_memcpy(si->magic, magic, sizeof(magic));
    si->nr_pages = c->nr_pages;
    si->shared_info = o->shared_info_mfn << XB_PAGE_SHIFT;
    si->flags = 0;
    si->store_mfn = o->store_mfn;
    si->store_evtchn = o->store_evtchn;
    si->console.domU.mfn = o->console_mfn;
    si->console.domU.evtchn = o->console_evtchn;
    si->pt_base = vb + (o->pt_pfn << XB_PAGE_SHIFT);
    si->nr_pt_frames = o->nr_pt_frames;
    si->mfn_list = vb + (c->p2m_pfn << XB_PAGE_SHIFT);
    if ( o->nr_ramdisk_pages )
    {
        si->mod_start = vb + (o->ramdisk_pfn << XB_PAGE_SHIFT);
        si->mod_len = c->cfg->ramdisk_size;
    }
    for ( i = 0; cl && cl[i] && i < MAX_GUEST_CMDLINE - 1; i++ )
        si->cmd_line[i] = cl[i];
    xb_unmap(c);
    return 0;
}

/* PTE for PFN 'pfn' in an L1 of the initial mapping. */
static uint64_t xb_l1e(struct xb_ctx *c, uint64_t pfn)
{
    uint64_t e = (c->cfg->p2m[pfn] << XB_PAGE_SHIFT) | PTE_L1_PROT;

    if ( pfn >= c->out->pt_pfn && pfn < c->out->pt_pfn + c->pt.total )
        e &= ~PTE_RW;          /* page tables are mapped read-only */
    return e;
}

/* Fill the page-table page for table k of level 'lvl'. */
static void xb_fill_table(struct xb_ctx *c, uint64_t *t, unsigned int lvl,
                          uint64_t k)
{
    const struct xb_pt *pt = &c->pt;
    uint64_t vb = c->elf.virt_base;

    if ( lvl == 1 )
    {
        uint64_t base = xb_table_base(pt, 1, k), va;
        uint64_t lo = base > pt->vs ? base : pt->vs;
        uint64_t hi = base + (1UL << 21) < pt->ve ? base + (1UL << 21)
                                                  : pt->ve;

        for ( va = lo; va < hi; va += XB_PAGE_SIZE )
            t[(va >> XB_PAGE_SHIFT) & 511] =
                xb_l1e(c, (va - vb) >> XB_PAGE_SHIFT);
        return;
    }

    /* Upper levels: point at the child tables inside this one's range. */
    {
        unsigned int cs = xb_level_shift(lvl - 1);
        uint64_t lo = lvl == 4 ? 0 : xb_table_base(pt, lvl, k);
        uint64_t span = lvl == 4 ? 0 : 1UL << xb_level_shift(lvl);
        uint64_t j;

        for ( j = 0; j < pt->n[lvl - 1]; j++ )
        {
            uint64_t cbase = xb_table_base(pt, lvl - 1, j);
            uint64_t cpfn = c->out->pt_pfn + xb_table_index(pt, lvl - 1, j);

            if ( lvl != 4 && (cbase < lo || cbase - lo >= span) )
                continue;
            t[(cbase >> cs) & 511] =
                (c->cfg->p2m[cpfn] << XB_PAGE_SHIFT) | PTE_UPPER_PROT;
        }
    }
}

static int xb_write_page_tables(struct xb_ctx *c)
{
    unsigned int lvl;
    uint64_t k;

    for ( lvl = 4; lvl >= 1; lvl-- )
    {
        uint64_t count = lvl == 4 ? 1 : c->pt.n[lvl];

        for ( k = 0; k < count; k++ )
        {
            uint64_t pfn = c->out->pt_pfn + xb_table_index(&c->pt, lvl, k);
            uint64_t *t = xb_map_range(c, pfn,
                                        c->out->pt_pfn + c->pt.total);

            if ( !t )
                return xb_fail(c, "map page table", (long)pfn, -XEN_EFAULT);
            xb_memset(t, 0, XB_PAGE_SIZE);
            xb_fill_table(c, t, lvl, k);
        }
    }
    /* No mapping of a page table may survive the pin. */
    xb_unmap(c);
    return 0;
}

/* Upcalls masked on every legacy vCPU slot, as the toolstack leaves it. */
static int xb_write_shared_info(struct xb_ctx *c)
{
    struct shared_info *s;
    unsigned int i;

    xb_unmap(c);
    s = c->mapped = c->ops->map_foreign(c->ops->opaque, c->out->domid,
                                        c->out->shared_info_mfn);
    c->win_n = 1;

    if ( !s )
        return xb_fail(c, "map shared_info", (long)c->out->shared_info_mfn,
                       -XEN_EFAULT);
    xb_memset(s, 0, sizeof(*s));
    for ( i = 0; i < XEN_LEGACY_MAX_VCPUS; i++ )
        s->vcpu_info[i].evtchn_upcall_mask = 1;
    xb_unmap(c);
    return 0;
}

static int xb_hypercall_page(struct xb_ctx *c)
{
    struct xen_domctl op = { 0 };
    uint64_t pfn;
    long rc;

    if ( !c->elf.has_hypercall_page )
        return 0;
    pfn = (c->elf.hypercall_page - c->elf.virt_base) >> XB_PAGE_SHIFT;
    op.u.hypercall_init.gmfn = c->cfg->p2m[pfn];
    rc = xb_do_domctl(c->ops, XEN_DOMCTL_hypercall_init, c->out->domid, &op);
    if ( rc )
        return xb_fail(c, "hypercall_init", rc, rc);
    return 0;
}

static int xb_pin_l4(struct xb_ctx *c)
{
    struct mmuext_op op = { .cmd = MMUEXT_PIN_L4_TABLE };
    unsigned int done = 0;
    long rc;

    op.arg1.mfn = c->out->l4_mfn;
    rc = c->ops->mmuext_op(c->ops->opaque, &op, 1, &done, c->out->domid);
    if ( rc || done != 1 )
        return xb_fail(c, "pin L4", rc, rc ? rc : -XEN_EINVAL);
    return 0;
}

/*
 * vCPU 0 enters at the ELF entry with %rsi = start_info, %rsp = stack.
 * The 5 KiB context is static rather than on a small kernel stack: this
 * is the library's only state, and why xb_build_pv() is not reentrant.
 */
static int xb_set_vcpu0(struct xb_ctx *c)
{
    static struct vcpu_guest_context ctx;
    struct xen_domctl op = { 0 };
    struct xb_domain *o = c->out;
    uint64_t vb = c->elf.virt_base;
    long rc;

    xb_memset(&ctx, 0, sizeof(ctx));
    ctx.user_regs.rip = c->elf.entry;
    ctx.user_regs.rsp = vb + ((o->stack_pfn + 1) << XB_PAGE_SHIFT);
    ctx.user_regs.rsi = vb + (o->start_info_pfn << XB_PAGE_SHIFT);
    ctx.user_regs.rflags = X86_EFLAGS_IF;
    ctx.user_regs.cs = FLAT_KERNEL_CS;
    ctx.user_regs.ss = FLAT_KERNEL_SS;
    ctx.user_regs.ds = ctx.user_regs.es = FLAT_KERNEL_DS;
    ctx.user_regs.fs = ctx.user_regs.gs = FLAT_KERNEL_DS;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = ctx.user_regs.rsp;
    ctx.debugreg[6] = X86_DR6_DEFAULT;
    ctx.debugreg[7] = X86_DR7_DEFAULT;
    ctx.flags = VGCF_in_kernel | VGCF_online;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(o->l4_mfn);

    op.u.vcpucontext.vcpu = 0;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, &ctx);
    rc = xb_do_domctl(c->ops, XEN_DOMCTL_setvcpucontext, o->domid, &op);
    if ( rc )
        return xb_fail(c, "setvcpucontext", rc, rc);
    return 0;
}

static int xb_check_config(struct xb_ctx *c)
{
    const struct xb_config *cfg = c->cfg;

    if ( !c->ops->domctl || !c->ops->sysctl || !c->ops->memory_op ||
         !c->ops->mmu_update || !c->ops->mmuext_op ||
         !c->ops->event_channel_op || !c->ops->map_foreign ||
         !c->ops->unmap_foreign )
        return xb_fail(c, "ops table incomplete", 0, -XEN_EINVAL);
    if ( !cfg->kernel || (cfg->mem_kb & 3) || cfg->mem_kb == 0 ||
         cfg->max_vcpus > XEN_LEGACY_MAX_VCPUS ||
         cfg->domid >= DOMID_FIRST_RESERVED ||
         cfg->max_grant_version > XEN_DOMCTL_GRANT_version_mask )
        return xb_fail(c, "config", 0, -XEN_EINVAL);
    c->nr_pages = cfg->mem_kb >> 2;
    if ( !cfg->p2m || cfg->p2m_entries < c->nr_pages )
        return xb_fail(c, "p2m workspace too small", (long)c->nr_pages,
                       -XEN_ENOMEM);
    return 0;
}

/* Everything after createdomain; any failure leaves cleanup to the caller. */
static int xb_build_created(struct xb_ctx *c)
{
    struct xb_domain *o = c->out;
    struct xen_domctl_getdomaininfo di;
    int rc;

    if ( (rc = xb_setup_domain(c)) || (rc = xb_populate(c)) )
        return rc;

    rc = xb_getdomaininfo(c->ops, o->domid, &di);
    if ( rc || di.domain != o->domid )
        return xb_fail(c, "getdomaininfo", rc, rc ? rc : -XEN_ESRCH);
    o->shared_info_mfn = di.shared_info_frame;
    o->start_info_mfn = c->cfg->p2m[o->start_info_pfn];
    o->store_mfn = c->cfg->p2m[o->store_pfn];
    o->console_mfn = c->cfg->p2m[o->console_pfn];
    o->l4_mfn = c->cfg->p2m[o->pt_pfn];

    if ( (rc = xb_load_kernel(c)) || (rc = xb_load_ramdisk(c)) ||
         (rc = xb_write_p2m(c)) ||
         (rc = xb_alloc_port(c, &o->store_evtchn, "alloc store evtchn")) ||
         (rc = xb_alloc_port(c, &o->console_evtchn,
                             "alloc console evtchn")) ||
         (rc = xb_write_start_info(c)) ||
         (rc = xb_zero_pfn(c, o->store_pfn, "map xenstore page")) ||
         (rc = xb_zero_pfn(c, o->console_pfn, "map console page")) ||
         (rc = xb_zero_pfn(c, o->stack_pfn, "map boot stack")) ||
         (rc = xb_write_page_tables(c)) || (rc = xb_hypercall_page(c)) ||
         (rc = xb_pin_l4(c)) || (rc = xb_write_shared_info(c)) ||
         (rc = xb_set_vcpu0(c)) )
        return rc;
    return 0;
}

int xb_build_pv(const struct xb_ops *ops, const struct xb_config *cfg,
                struct xb_domain *out)
{
    struct xb_ctx c = { .ops = ops, .cfg = cfg, .out = out };
    int rc;

    xb_memset(out, 0, sizeof(*out));
    out->domid = DOMID_INVALID;
    if ( !ops || !cfg )
        return -XEN_EINVAL;

    if ( (rc = xb_check_config(&c)) )
        return rc;
    rc = xb_elf_image(cfg->kernel, cfg->kernel_size, &c.img, &c.elf);
    if ( rc )
        return xb_fail(&c, "kernel image", rc, rc);
    out->nr_pages = c.nr_pages;
    out->virt_base = c.elf.virt_base;
    out->entry = c.elf.entry;
    if ( (rc = xb_layout(&c)) || (rc = xb_create(&c)) )
        return rc;

    rc = xb_build_created(&c);
    if ( rc )
    {
        xb_unmap(&c);
        xb_destroy(ops, out->domid);
        out->domid = DOMID_INVALID;
    }
    return rc;
}
