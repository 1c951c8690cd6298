/*
 * grant: grant tables v1 as one domain sees them on Xen 4.17
 * (xen/common/grant_table.c, xen/arch/x86/pv/grant_table.c).
 *
 * The initial domain sets up its own table, maps the table frames by MFN
 * and writes entries granting access to itself (domid 0), then maps and
 * copies through them: the statuses of every refusal (bad ref, bad
 * domain, wrong grantee, no permit, read-only grant mapped writable,
 * page-table frame mapped writable, bad handle, double unmap, copy into
 * a read-only grant, ...), the GTF_reading/GTF_writing protocol, the PTE
 * a host mapping gets, and XENMEM_add_to_physmap's refusal for PV. The
 * last mapping is left in place on purpose: the hypervisor must release
 * it when the domain goes (Xenia's teardown audit checks it).
 */
#include "xtpv.h"
#include <public/grant_table.h>
#include <public/memory.h>

#define SELF_ID     0               /* the initial domain */
#define NO_DOMAIN   7
#define NR_FRAMES   4
#define NR_ENTRIES  (NR_FRAMES * PAGE_SIZE / sizeof(grant_entry_v1_t))
#define UNMAPPED    0x0000100000000000UL
#define HV_RANGE    0xffff800000000000UL
#define PTE_RW      (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_GUEST_KERNEL (1UL << 52)   /* Xen's mark of a kernel mapping */

static grant_entry_v1_t *gt[NR_FRAMES];     /* the table, mapped */
static xen_pfn_t gt_mfn[NR_FRAMES];

static long gnttab(unsigned int cmd, void *arg, unsigned int count)
{
    return HC(__HYPERVISOR_grant_table_op, cmd, arg, count, 0, 0);
}

static grant_entry_v1_t *ent(grant_ref_t ref)
{
    return &gt[ref / (PAGE_SIZE / sizeof(grant_entry_v1_t))]
              [ref % (PAGE_SIZE / sizeof(grant_entry_v1_t))];
}

/* Fills an entry the way a guest must: flags last. */
static void grant(grant_ref_t ref, domid_t to, uint64_t mfn, uint16_t flags)
{
    grant_entry_v1_t *e = ent(ref);

    e->flags = 0;
    barrier();
    e->frame = (uint32_t)mfn;
    e->domid = to;
    barrier();
    __atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

static uint16_t flags_of(grant_ref_t ref)
{
    return __atomic_load_n(&ent(ref)->flags, __ATOMIC_ACQUIRE);
}

/* Ends access as Linux does: refused while the entry is in use. */
static bool revoke(grant_ref_t ref)
{
    uint16_t f = flags_of(ref);

    do {
        if ( f & (GTF_reading | GTF_writing) )
            return false;
    } while ( !__atomic_compare_exchange_n(&ent(ref)->flags, &f, 0, false,
                                           __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE) );
    return true;
}

static gnttab_map_grant_ref_t map(grant_ref_t ref, domid_t dom,
                                  uint32_t flags, uint64_t addr, long *rc)
{
    gnttab_map_grant_ref_t m = {
        .host_addr = addr, .flags = flags, .ref = ref, .dom = dom,
        .status = 99, .handle = ~0u, .dev_bus_addr = 1,
    };

    *rc = gnttab(GNTTABOP_map_grant_ref, &m, 1);
    return m;
}

static int16_t map_status(grant_ref_t ref, domid_t dom, uint32_t flags,
                          uint64_t addr)
{
    long rc;
    gnttab_map_grant_ref_t m = map(ref, dom, flags, addr, &rc);

    return rc ? (int16_t)rc : m.status;
}

static int16_t unmap(grant_handle_t h, uint64_t addr, uint64_t dev)
{
    gnttab_unmap_grant_ref_t u = {
        .host_addr = addr, .dev_bus_addr = dev, .handle = h, .status = 99,
    };
    long rc = gnttab(GNTTABOP_unmap_grant_ref, &u, 1);

    return rc ? (int16_t)rc : u.status;
}

static void check_status(const char *name, long rc, int16_t status,
                         int16_t want)
{
    xt_check(name, rc == 0 && status == want, "rc %ld status %d (want %d)",
             rc, status, want);
}

static uint64_t mfn_of(const void *p)
{
    return xt_virt_to_mfn(p);
}

static bool faults_on_read(unsigned long va)
{
    uint64_t v;

    return xt_probe_read(va, &v) == X86_EXC_PF;
}

/* ---- Whole-table sub-ops ---- */

static void table_checks(void)
{
    gnttab_query_size_t q = { .dom = DOMID_SELF, .status = 99 };
    gnttab_setup_table_t s = { .dom = DOMID_SELF, .nr_frames = NR_FRAMES,
                               .status = 99 };
    xen_pfn_t big[66];
    long rc;
    unsigned int i;
    bool ok = true;

    rc = gnttab(GNTTABOP_query_size, &q, 1);
    xt_check("query_size", rc == 0 && q.status == GNTST_okay &&
             q.nr_frames == 1 && q.max_nr_frames == 64,
             "rc %ld status %d nr %u max %u", rc, q.status, q.nr_frames,
             q.max_nr_frames);
    q = (gnttab_query_size_t){ .dom = NO_DOMAIN, .status = 99 };
    rc = gnttab(GNTTABOP_query_size, &q, 1);
    check_status("query_size_bad_dom", rc, q.status, GNTST_bad_domain);
    xt_check_rc("query_size_count_2", gnttab(GNTTABOP_query_size, &q, 2),
                -XEN_EINVAL);

    set_xen_guest_handle(s.frame_list, gt_mfn);
    rc = gnttab(GNTTABOP_setup_table, &s, 1);
    for ( i = 0; i < NR_FRAMES; i++ )
        ok = ok && gt_mfn[i] && (!i || gt_mfn[i] != gt_mfn[i - 1]);
    xt_check("setup_table", rc == 0 && s.status == GNTST_okay && ok,
             "rc %ld status %d frames %#lx %#lx", rc, s.status, gt_mfn[0],
             gt_mfn[1]);
    q = (gnttab_query_size_t){ .dom = SELF_ID, .status = 99 };
    rc = gnttab(GNTTABOP_query_size, &q, 1);
    xt_check("query_size_grown", rc == 0 && q.status == GNTST_okay &&
             q.nr_frames == NR_FRAMES, "rc %ld status %d nr %u", rc,
             q.status, q.nr_frames);

    s.nr_frames = 65;
    set_xen_guest_handle(s.frame_list, big);
    s.status = 99;
    rc = gnttab(GNTTABOP_setup_table, &s, 1);
    check_status("setup_table_too_many", rc, s.status, GNTST_general_error);
    s.nr_frames = 1;
    s.dom = NO_DOMAIN;
    s.status = 99;
    rc = gnttab(GNTTABOP_setup_table, &s, 1);
    check_status("setup_table_bad_dom", rc, s.status, GNTST_bad_domain);
    s.dom = DOMID_SELF;
    xt_check_rc("setup_table_count_2", gnttab(GNTTABOP_setup_table, &s, 2),
                -XEN_EINVAL);
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)HV_RANGE);
    xt_check_rc("setup_table_list_hv", gnttab(GNTTABOP_setup_table, &s, 1),
                -XEN_EFAULT);
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)UNMAPPED);
    s.status = 99;
    rc = gnttab(GNTTABOP_setup_table, &s, 1);
    check_status("setup_table_list_unmapped", rc, s.status,
                 GNTST_bad_virt_addr);
    xt_check_rc("setup_table_arg_unmapped",
                gnttab(GNTTABOP_setup_table, (void *)UNMAPPED, 1),
                -XEN_EFAULT);

    /* The frames are ours to map writable, never to make page tables. */
    for ( i = 0; i < NR_FRAMES; i++ )
        gt[i] = xt_map_mfn(gt_mfn[i], PTE_RW);
    ok = true;
    for ( i = 0; i < NR_FRAMES; i++ )
    {
        gt[i][5].frame = 0x12345 + i;
        ok = ok && gt[i][5].frame == 0x12345 + i && gt[i][6].flags == 0;
        gt[i][5].frame = 0;
    }
    xt_check("frames_writable", ok, NULL);
    rc = xt_mmuext1(MMUEXT_PIN_L1_TABLE, gt_mfn[1], 0);
    xt_check("frame_not_pinnable", rc < 0, "rc %ld", rc);
}

static void version_checks(void)
{
    gnttab_get_version_t gv = { .dom = DOMID_SELF, .version = 99 };
    gnttab_set_version_t sv = { 1 };
    long rc;

    rc = gnttab(GNTTABOP_get_version, &gv, 1);
    xt_check("get_version", rc == 0 && gv.version == 1, "rc %ld version %u",
             rc, gv.version);
    gv.dom = NO_DOMAIN;
    xt_check_rc("get_version_bad_dom", gnttab(GNTTABOP_get_version, &gv, 1),
                -XEN_ESRCH);
    rc = gnttab(GNTTABOP_set_version, &sv, 1);
    xt_check("set_version_1", rc == 0 && sv.version == 1,
             "rc %ld version %u", rc, sv.version);
    sv.version = 3;
    rc = gnttab(GNTTABOP_set_version, &sv, 1);
    xt_check("set_version_3", rc == -XEN_EINVAL && sv.version == 1,
             "rc %ld version %u", rc, sv.version);
}

static void physmap_checks(void)
{
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 0,
        .gpfn = 0x80000,
    };

    xt_check_rc("add_to_physmap_grant_table",
                HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x), -XEN_EACCES);
    x.space = XENMAPSPACE_shared_info;
    xt_check_rc("add_to_physmap_shared_info",
                HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x), -XEN_EACCES);
    x.space = XENMAPSPACE_gmfn_foreign;
    xt_check_rc("add_to_physmap_foreign",
                HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x), -XEN_ENOSYS);
    x.space = XENMAPSPACE_grant_table;
    x.domid = NO_DOMAIN;
    xt_check_rc("add_to_physmap_bad_dom",
                HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x), -XEN_ESRCH);
}

/* ---- Mapping ---- */

static void map_checks(void)
{
    uint64_t *page = xt_alloc_page(), *other = xt_alloc_page();
    uint64_t pmfn = mfn_of(page);
    unsigned long va = xt_scratch_va(), va2 = xt_scratch_va();
    gnttab_map_grant_ref_t m;
    uint64_t pte;
    long rc;

    page[0] = 0x1122334455667788UL;
    other[0] = 0xabcdefUL;

    /* A grant to ourselves, mapped writable at a fresh address. */
    grant(10, SELF_ID, pmfn, GTF_permit_access);
    m = map(10, SELF_ID, GNTMAP_host_map, va, &rc);
    check_status("map_self", rc, m.status, GNTST_okay);
    xt_check("map_dev_bus_addr", m.dev_bus_addr == pmfn << 12,
             "%#lx", m.dev_bus_addr);
    xt_check("map_flags_in_use", flags_of(10) ==
             (GTF_permit_access | GTF_reading | GTF_writing),
             "flags %#x", flags_of(10));
    xt_check("map_reads", *(volatile uint64_t *)va == page[0], NULL);
    *(volatile uint64_t *)(va + 8) = 0x99;
    xt_check("map_writes", page[1] == 0x99, NULL);
    /* Present, writable, accessed, dirty, a kernel mapping (NX aside). */
    pte = xt_pt_entry(va, 1);
    xt_check("map_pte", (pte & ~_PAGE_NX) ==
             ((pmfn << 12) | PTE_GUEST_KERNEL | 0x67), "pte %#lx", pte);
    xt_check("revoke_in_use", !revoke(10), NULL);

    check_status("unmap_wrong_addr", 0, unmap(m.handle, va2, 0),
                 GNTST_general_error);
    check_status("unmap_no_addr", 0, unmap(m.handle, 0, 0), GNTST_okay);
    xt_check("still_mapped", !faults_on_read(va) &&
             flags_of(10) == (GTF_permit_access | GTF_reading | GTF_writing),
             "flags %#x", flags_of(10));
    check_status("unmap", 0, unmap(m.handle, va, 0), GNTST_okay);
    xt_check("unmap_flags", flags_of(10) == GTF_permit_access,
             "flags %#x", flags_of(10));
    xt_check("unmap_pte_gone", xt_pt_entry(va, 1) == 0 && faults_on_read(va),
             "pte %#lx", xt_pt_entry(va, 1));
    check_status("unmap_twice", 0, unmap(m.handle, va, 0), GNTST_bad_handle);
    check_status("unmap_bad_handle", 0, unmap(0xffffff, va, 0),
                 GNTST_bad_handle);
    xt_check("revoke_after_unmap", revoke(10) && flags_of(10) == 0, NULL);

    /* Read-only grants. */
    grant(11, SELF_ID, pmfn, GTF_permit_access | GTF_readonly);
    check_status("map_ro_grant_rw", 0,
                 map_status(11, SELF_ID, GNTMAP_host_map, va),
                 GNTST_general_error);
    xt_check("map_ro_grant_rw_flags", flags_of(11) ==
             (GTF_permit_access | GTF_readonly) && xt_pt_entry(va, 1) == 0,
             "flags %#x", flags_of(11));
    m = map(11, SELF_ID, GNTMAP_host_map | GNTMAP_readonly, va, &rc);
    check_status("map_ro", rc, m.status, GNTST_okay);
    xt_check("map_ro_flags", flags_of(11) ==
             (GTF_permit_access | GTF_readonly | GTF_reading),
             "flags %#x", flags_of(11));
    xt_check("map_ro_enforced", !faults_on_read(va) &&
             xt_probe_write(va, 1) == X86_EXC_PF && page[0] != 1, NULL);
    pte = xt_pt_entry(va, 1);
    xt_check("map_ro_pte", (pte & ~_PAGE_NX) ==
             ((pmfn << 12) | PTE_GUEST_KERNEL | 0x65), "pte %#lx", pte);
    check_status("unmap_ro", 0, unmap(m.handle, va, 0), GNTST_okay);

    /* Refusals, each leaving the entry as it was. */
    grant(12, 5, pmfn, GTF_permit_access);
    check_status("map_wrong_domid", 0,
                 map_status(12, SELF_ID, GNTMAP_host_map, va),
                 GNTST_general_error);
    grant(13, SELF_ID, pmfn, 0);
    check_status("map_no_permit", 0,
                 map_status(13, SELF_ID, GNTMAP_host_map, va),
                 GNTST_general_error);
    xt_check("refused_entries_unchanged", flags_of(12) == GTF_permit_access &&
             flags_of(13) == 0 && xt_pt_entry(va, 1) == 0, NULL);
    grant(14, SELF_ID, pmfn, GTF_permit_access);
    check_status("map_bad_ref", 0,
                 map_status(NR_ENTRIES, SELF_ID, GNTMAP_host_map, va),
                 GNTST_bad_gntref);
    check_status("map_no_kind", 0, map_status(14, SELF_ID, 0, va),
                 GNTST_bad_gntref);
    check_status("map_bad_dom", 0,
                 map_status(14, NO_DOMAIN, GNTMAP_host_map, va),
                 GNTST_bad_domain);
    check_status("map_domid_self", 0,
                 map_status(14, DOMID_SELF, GNTMAP_host_map, va),
                 GNTST_bad_domain);
    grant(15, SELF_ID, 0xfffffff0, GTF_permit_access);
    check_status("map_bad_frame", 0,
                 map_status(15, SELF_ID, GNTMAP_host_map, va), GNTST_bad_page);
    /* Our own page table: read-only yes, writable no. */
    grant(16, SELF_ID, xt_pte_maddr(va) >> 12, GTF_permit_access);
    check_status("map_table_rw", 0,
                 map_status(16, SELF_ID, GNTMAP_host_map, va),
                 GNTST_general_error);
    xt_check("map_table_rw_flags", flags_of(16) == GTF_permit_access,
             "flags %#x", flags_of(16));
    m = map(16, SELF_ID, GNTMAP_host_map | GNTMAP_readonly, va, &rc);
    check_status("map_table_ro", rc, m.status, GNTST_okay);
    check_status("unmap_table_ro", 0, unmap(m.handle, va, 0), GNTST_okay);
    xt_check("no_flags_left", flags_of(14) == GTF_permit_access &&
             flags_of(16) == GTF_permit_access, NULL);

    /* A user mapping; GNTMAP bits 16-18 land in PTE bits 9-11. */
    m = map(14, SELF_ID, GNTMAP_host_map | GNTMAP_application_map |
            (5u << _GNTMAP_guest_avail0), va, &rc);
    check_status("map_app", rc, m.status, GNTST_okay);
    pte = xt_pt_entry(va, 1);
    xt_check("map_app_pte", (pte & ~_PAGE_NX) ==
             ((pmfn << 12) | (5UL << 9) | _PAGE_GLOBAL | 0x67), "pte %#lx",
             pte);
    check_status("unmap_app", 0, unmap(m.handle, va, 0), GNTST_okay);

    /* Over an existing mapping: the old PTE is replaced. */
    xt_set_pte(va2, (mfn_of(other) << 12) | PTE_RW, UVMF_INVLPG);
    m = map(14, SELF_ID, GNTMAP_host_map, va2, &rc);
    xt_mmuext1(MMUEXT_INVLPG_LOCAL, va2, 0);
    check_status("map_over_pte", rc, m.status, GNTST_okay);
    xt_check("map_over_pte_reads", *(volatile uint64_t *)va2 == page[0],
             NULL);
    check_status("unmap_over_pte", 0, unmap(m.handle, va2, 0), GNTST_okay);
    xt_check("unmap_over_pte_empty", xt_pt_entry(va2, 1) == 0, NULL);

    /* GNTMAP_contains_pte: the L1 entry named by machine address. */
    m = map(14, SELF_ID, GNTMAP_host_map | GNTMAP_contains_pte,
            xt_pte_maddr(va), &rc);
    xt_mmuext1(MMUEXT_INVLPG_LOCAL, va, 0);
    check_status("map_contains_pte", rc, m.status, GNTST_okay);
    xt_check("map_contains_pte_reads", !faults_on_read(va) &&
             *(volatile uint64_t *)va == page[0], NULL);
    check_status("unmap_contains_pte", 0,
                 unmap(m.handle, xt_pte_maddr(va), 0), GNTST_okay);

    /* Device mapping only: no PTE, just the bus address. */
    m = map(14, SELF_ID, GNTMAP_device_map, 0, &rc);
    check_status("map_device", rc, m.status, GNTST_okay);
    xt_check("map_device_addr", m.dev_bus_addr == pmfn << 12 &&
             flags_of(14) == (GTF_permit_access | GTF_reading | GTF_writing),
             "%#lx", m.dev_bus_addr);
    check_status("unmap_device_bad_addr", 0,
                 unmap(m.handle, 0, (pmfn + 1) << 12), GNTST_bad_dev_addr);
    check_status("unmap_device", 0, unmap(m.handle, 0, pmfn << 12),
                 GNTST_okay);
    xt_check("unmap_device_flags", flags_of(14) == GTF_permit_access, NULL);
}

static void batch_checks(void)
{
    uint64_t *page = xt_alloc_page();
    unsigned long va = xt_scratch_va(), va2 = xt_scratch_va();
    gnttab_map_grant_ref_t m[2] = {
        { .host_addr = va, .flags = GNTMAP_host_map, .ref = 20,
          .dom = SELF_ID, .status = 99 },
        { .host_addr = va2, .flags = GNTMAP_host_map, .ref = NR_ENTRIES + 7,
          .dom = SELF_ID, .status = 99 },
    };
    gnttab_query_size_t q = { .dom = DOMID_SELF };
    long rc;

    grant(20, SELF_ID, mfn_of(page), GTF_permit_access);
    rc = gnttab(GNTTABOP_map_grant_ref, m, 2);
    xt_check("batch_map", rc == 0 && m[0].status == GNTST_okay &&
             m[1].status == GNTST_bad_gntref, "rc %ld status %d %d", rc,
             m[0].status, m[1].status);
    check_status("batch_unmap", 0, unmap(m[0].handle, va, 0), GNTST_okay);
    xt_check_rc("batch_map_hv", gnttab(GNTTABOP_map_grant_ref,
                                       (void *)HV_RANGE, 1), -XEN_EFAULT);
    xt_check_rc("batch_unmap_unmapped", gnttab(GNTTABOP_unmap_grant_ref,
                                               (void *)UNMAPPED, 1),
                -XEN_EFAULT);
    xt_check_rc("batch_count_negative",
                gnttab(GNTTABOP_map_grant_ref, m, ~0u), -XEN_EINVAL);
    xt_check_rc("batch_count_zero", gnttab(GNTTABOP_map_grant_ref, NULL, 0),
                0);
    xt_check_rc("cmd_high_bits",
                gnttab(GNTTABOP_query_size | (1u << 12), &q, 1), -XEN_EINVAL);
    xt_check_rc("cmd_unknown", gnttab(13, &q, 1), -XEN_ENOSYS);
}

/* ---- Copy ---- */

static int16_t copy1(gnttab_copy_t c)
{
    long rc;

    c.status = 99;
    rc = gnttab(GNTTABOP_copy, &c, 1);
    return rc ? (int16_t)rc : c.status;
}

static void copy_checks(void)
{
    uint8_t *src = xt_alloc_page(), *dst = xt_alloc_page();
    uint8_t *back = xt_alloc_page();
    unsigned long va = xt_scratch_va();
    uint64_t table = xt_pte_maddr(va) >> 12;

    memset(src, 0x5a, PAGE_SIZE);
    memset(dst, 0x11, PAGE_SIZE);
    grant(30, SELF_ID, mfn_of(dst), GTF_permit_access);
    grant(31, SELF_ID, mfn_of(dst), GTF_permit_access | GTF_readonly);

    check_status("copy_gmfn_to_gref", 0, copy1((gnttab_copy_t){
        .source = { .u.gmfn = mfn_of(src), .domid = DOMID_SELF, .offset = 4 },
        .dest = { .u.ref = 30, .domid = SELF_ID, .offset = 100 },
        .len = 50, .flags = GNTCOPY_dest_gref }), GNTST_okay);
    xt_check("copy_gmfn_to_gref_data", dst[99] == 0x11 && dst[100] == 0x5a &&
             dst[149] == 0x5a && dst[150] == 0x11, NULL);
    xt_check("copy_flags_released", flags_of(30) == GTF_permit_access,
             "flags %#x", flags_of(30));
    check_status("copy_gref_to_gmfn", 0, copy1((gnttab_copy_t){
        .source = { .u.ref = 31, .domid = SELF_ID },
        .dest = { .u.gmfn = mfn_of(back), .domid = DOMID_SELF },
        .len = 4096, .flags = GNTCOPY_source_gref }), GNTST_okay);
    xt_check("copy_gref_to_gmfn_data", !memcmp(back, dst, PAGE_SIZE) &&
             flags_of(31) == (GTF_permit_access | GTF_readonly), NULL);

    check_status("copy_into_ro_grant", 0, copy1((gnttab_copy_t){
        .source = { .u.gmfn = mfn_of(src), .domid = DOMID_SELF },
        .dest = { .u.ref = 31, .domid = SELF_ID }, .len = 8,
        .flags = GNTCOPY_dest_gref }), GNTST_general_error);
    xt_check("copy_into_ro_grant_untouched", dst[0] == 0x11 &&
             flags_of(31) == (GTF_permit_access | GTF_readonly), NULL);
    check_status("copy_gmfn_own_id", 0, copy1((gnttab_copy_t){
        .source = { .u.gmfn = mfn_of(src), .domid = SELF_ID },
        .dest = { .u.ref = 30, .domid = SELF_ID }, .len = 8,
        .flags = GNTCOPY_dest_gref }), GNTST_permission_denied);
    check_status("copy_cross_page", 0, copy1((gnttab_copy_t){
        .source = { .u.gmfn = mfn_of(src), .domid = DOMID_SELF,
                    .offset = 4090 },
        .dest = { .u.ref = 30, .domid = SELF_ID }, .len = 8,
        .flags = GNTCOPY_dest_gref }), GNTST_bad_copy_arg);
    check_status("copy_bad_ref", 0, copy1((gnttab_copy_t){
        .source = { .u.ref = NR_ENTRIES, .domid = SELF_ID },
        .dest = { .u.gmfn = mfn_of(back), .domid = DOMID_SELF }, .len = 8,
        .flags = GNTCOPY_source_gref }), GNTST_bad_gntref);
    check_status("copy_bad_dom", 0, copy1((gnttab_copy_t){
        .source = { .u.ref = 30, .domid = NO_DOMAIN },
        .dest = { .u.gmfn = mfn_of(back), .domid = DOMID_SELF }, .len = 8,
        .flags = GNTCOPY_source_gref }), GNTST_bad_domain);
    check_status("copy_bad_frame", 0, copy1((gnttab_copy_t){
        .source = { .u.gmfn = 0xfffffff0, .domid = DOMID_SELF },
        .dest = { .u.gmfn = mfn_of(back), .domid = DOMID_SELF }, .len = 8 }),
        GNTST_bad_page);
    check_status("copy_into_table", 0, copy1((gnttab_copy_t){
        .source = { .u.gmfn = mfn_of(src), .domid = DOMID_SELF },
        .dest = { .u.gmfn = table, .domid = DOMID_SELF }, .len = 8 }),
        GNTST_general_error);
    xt_check("copy_refusals_no_flags", flags_of(30) == GTF_permit_access,
             "flags %#x", flags_of(30));
}

/* A mapping left for the hypervisor to clean up when the domain goes. */
static void leave_mapped(void)
{
    uint64_t *page = xt_alloc_page();
    unsigned long va = xt_scratch_va();

    grant(40, SELF_ID, mfn_of(page), GTF_permit_access);
    check_status("left_mapped", 0,
                 map_status(40, SELF_ID, GNTMAP_host_map, va), GNTST_okay);
}

XTEST(grant, 95)
{
    xt_traps_init();
    xt_mm_init();
    table_checks();
    version_checks();
    physmap_checks();
    map_checks();
    batch_checks();
    copy_checks();
    leave_mapped();
}
