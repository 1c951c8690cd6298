/*
 * gnttab2: grant tables version 2 and GNTTABOP_unmap_and_replace as one
 * domain sees them on Xen 4.17 (xen/common/grant_table.c,
 * xen/arch/x86/pv/grant_table.c).
 *
 * The initial domain grants frames to itself (domid 0), as the grant
 * image does, and:
 *  - switches its table to v2: refused (-EBUSY) while an entry beyond the
 *    reserved ones is mapped; a mapped reserved entry and a reserved
 *    grant survive the switch (in v2 form), every other entry is cleared;
 *    get_version follows; get_status_frames with bad counts, domains and
 *    lists; the status frame mapped and read;
 *  - maps and copies through v2 entries: GTF_reading/GTF_writing appear in
 *    the status frame, never in the entry; read-only, sub-page (no map,
 *    copies bounded to the granted bytes, hostile offsets and lengths) and
 *    transitive grants (copy only; a self-reference, an unknown domain, a
 *    wrong grantee refused, the marks cleared again);
 *  - switches back to v1: -EBUSY while a v2 entry is mapped or a status
 *    frame is mapped by us, -ERANGE while a reserved entry cannot be
 *    written as v1; then the reserved grant is back in v1 form and the
 *    status frames are gone;
 *  - GNTTABOP_unmap_and_replace: the PTE of new_addr moves into the
 *    grant's place, new_addr 0 just unmaps, host_addr 0 undoes nothing;
 *    a bad handle, a host_addr not mapping the grant, a new_addr without
 *    an L1 table, a GNTMAP_contains_pte mapping with a new_addr are
 *    refused and leave the mapping in place; batches; a faulting list.
 * Transitive grants through another domain (and a loop A -> B -> A) need
 * a second domain: the gnttrans image covers them.  No check depends on
 * time.
 */
#include "xtpv.h"
#include <public/grant_table.h>

#define SELF_ID     0               /* the initial domain */
#define NO_DOMAIN   7
#define NR_FRAMES   2
#define V1_PER      (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define V2_PER      (PAGE_SIZE / sizeof(grant_entry_v2_t))
#define UNMAPPED    0x0000100000000000UL
#define HV_RANGE    0xffff800000000000UL
#define PTE_RW      (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_RO      (_PAGE_PRESENT | _PAGE_ACCESSED)
#define IN_USE      (GTF_reading | GTF_writing)

static void *frame[NR_FRAMES];      /* the table, mapped */
static xen_pfn_t frame_mfn[NR_FRAMES];

static long gnttab(unsigned int cmd, void *arg, unsigned int count)
{
    return HC(__HYPERVISOR_grant_table_op, cmd, arg, count, 0, 0);
}

static uint64_t mfn_of(const void *p)
{
    return xt_virt_to_mfn(p);
}

static void check_status(const char *name, long rc, int16_t status,
                         int16_t want)
{
    xt_check(name, rc == 0 && status == want, "rc %ld status %d (want %d)",
             rc, status, want);
}

static grant_entry_v1_t *e1(grant_ref_t ref)
{
    return (grant_entry_v1_t *)frame[ref / V1_PER] + ref % V1_PER;
}

static grant_entry_v2_t *e2(grant_ref_t ref)
{
    return (grant_entry_v2_t *)frame[ref / V2_PER] + ref % V2_PER;
}

static void grant_v1(grant_ref_t ref, uint64_t mfn, uint16_t flags)
{
    grant_entry_v1_t *e = e1(ref);

    e->flags = 0;
    barrier();
    e->frame = (uint32_t)mfn;
    e->domid = SELF_ID;
    barrier();
    __atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

/* A v2 entry, flags written last as a guest must. */
static void grant_v2(grant_ref_t ref, domid_t to, uint64_t frame_or_ref,
                     uint16_t a, uint16_t b, uint16_t flags)
{
    grant_entry_v2_t *e = e2(ref);

    e->hdr.flags = 0;
    barrier();
    e->hdr.domid = to;
    if ( (flags & GTF_type_mask) == GTF_transitive )
    {
        e->transitive.trans_domid = a;
        e->transitive.pad0 = 0;
        e->transitive.gref = (grant_ref_t)frame_or_ref;
    }
    else
    {
        e->sub_page.page_off = a;
        e->sub_page.length = b;
        e->sub_page.frame = frame_or_ref;
    }
    barrier();
    __atomic_store_n(&e->hdr.flags, flags, __ATOMIC_RELEASE);
}

static gnttab_map_grant_ref_t map(grant_ref_t ref, uint32_t flags,
                                  uint64_t addr, long *rc)
{
    gnttab_map_grant_ref_t m = {
        .host_addr = addr, .flags = flags, .ref = ref, .dom = SELF_ID,
        .status = 99, .handle = ~0u,
    };

    *rc = gnttab(GNTTABOP_map_grant_ref, &m, 1);
    return m;
}

static int16_t map_status(grant_ref_t ref, uint32_t flags, uint64_t addr)
{
    long rc;
    gnttab_map_grant_ref_t m = map(ref, flags, addr, &rc);

    return rc ? (int16_t)rc : m.status;
}

static int16_t unmap(grant_handle_t h, uint64_t addr)
{
    gnttab_unmap_grant_ref_t u = { .host_addr = addr, .handle = h,
                                   .status = 99 };
    long rc = gnttab(GNTTABOP_unmap_grant_ref, &u, 1);

    return rc ? (int16_t)rc : u.status;
}

static int16_t replace(grant_handle_t h, uint64_t addr, uint64_t new_addr)
{
    gnttab_unmap_and_replace_t u = { .host_addr = addr,
                                     .new_addr = new_addr, .handle = h,
                                     .status = 99 };
    long rc = gnttab(GNTTABOP_unmap_and_replace, &u, 1);

    return rc ? (int16_t)rc : u.status;
}

static long set_version(uint32_t v, uint32_t *now)
{
    gnttab_set_version_t sv = { v };
    long rc = gnttab(GNTTABOP_set_version, &sv, 1);

    *now = sv.version;
    return rc;
}

static uint32_t get_version(void)
{
    gnttab_get_version_t gv = { .dom = DOMID_SELF, .version = 99 };

    return gnttab(GNTTABOP_get_version, &gv, 1) ? 99 : gv.version;
}

/* The status, or the hypercall's error. */
static int16_t status_frames(uint32_t nr, domid_t dom, uint64_t *list)
{
    gnttab_get_status_frames_t g = { .nr_frames = nr, .dom = dom,
                                     .status = 99 };
    long rc;

    set_xen_guest_handle(g.frame_list, list);
    rc = gnttab(GNTTABOP_get_status_frames, &g, 1);
    return rc ? (int16_t)rc : g.status;
}

static bool zero_from(unsigned int byte)
{
    unsigned int i, f;

    for ( f = 0; f < NR_FRAMES; f++ )
        for ( i = f ? 0 : byte; i < PAGE_SIZE; i++ )
            if ( ((uint8_t *)frame[f])[i] )
                return false;
    return true;
}

/* ---- Switching to v2 ---- */

static uint64_t *page;              /* granted around */
static grant_status_t *status;      /* the status frame, mapped */
static uint64_t status_mfn;

static void to_v2_checks(void)
{
    gnttab_setup_table_t s = { .dom = DOMID_SELF, .nr_frames = NR_FRAMES };
    unsigned long va = xt_scratch_va(), va2 = xt_scratch_va();
    gnttab_map_grant_ref_t held, busy;
    uint64_t list[4] = { 0 };
    uint32_t now;
    unsigned int i;
    long rc;

    set_xen_guest_handle(s.frame_list, frame_mfn);
    rc = gnttab(GNTTABOP_setup_table, &s, 1);
    check_status("setup_table", rc, s.status, GNTST_okay);
    for ( i = 0; i < NR_FRAMES; i++ )
        frame[i] = xt_map_mfn(frame_mfn[i], PTE_RW);
    page = xt_alloc_page();
    page[0] = 0x0123456789abcdefUL;

    xt_check("get_version_1", get_version() == 1, "%u", get_version());
    check_status("status_frames_v1_none", 0,
                 status_frames(1, DOMID_SELF, list),
                 GNTST_general_error);
    check_status("status_frames_v1_zero", 0,
                 status_frames(0, DOMID_SELF, list), GNTST_okay);

    /* A mapped reserved entry is allowed; a mapped later entry is not. */
    grant_v1(2, 0x12345, GTF_permit_access | GTF_readonly);
    grant_v1(3, mfn_of(page), GTF_permit_access);
    grant_v1(10, mfn_of(page), GTF_permit_access);
    held = map(3, GNTMAP_host_map, va, &rc);
    check_status("map_reserved", rc, held.status, GNTST_okay);
    busy = map(10, GNTMAP_host_map, va2, &rc);
    check_status("map_busy", rc, busy.status, GNTST_okay);
    rc = set_version(2, &now);
    xt_check("set_version_2_busy", rc == -XEN_EBUSY && now == 1 &&
             get_version() == 1 && e1(10)->frame == (uint32_t)mfn_of(page),
             "rc %ld version %u", rc, now);
    check_status("unmap_busy", 0, unmap(busy.handle, va2), GNTST_okay);

    rc = set_version(2, &now);
    xt_check("set_version_2", rc == 0 && now == 2 && get_version() == 2,
             "rc %ld version %u/%u", rc, now, get_version());
    xt_check("reserved_kept_v2", e2(2)->hdr.flags ==
             (GTF_permit_access | GTF_readonly) && e2(2)->hdr.domid == 0 &&
             e2(2)->full_page.frame == 0x12345 &&
             e2(3)->hdr.flags == GTF_permit_access &&
             e2(3)->full_page.frame == mfn_of(page), "flags %#x frame %#lx",
             e2(2)->hdr.flags, e2(2)->full_page.frame);
    xt_check("others_cleared", zero_from(GNTTAB_NR_RESERVED_ENTRIES *
                                         sizeof(grant_entry_v2_t)), NULL);
    rc = set_version(2, &now);
    xt_check("set_version_2_again", rc == 0 && now == 2, "rc %ld", rc);

    /* One status frame covers 2048 v2 entries: both table frames. */
    check_status("status_frames", 0, status_frames(1, DOMID_SELF, list),
                 GNTST_okay);
    status_mfn = list[0];
    xt_check("status_frame_mfn", status_mfn && status_mfn != frame_mfn[0] &&
             status_mfn != frame_mfn[1], "%#lx", status_mfn);
    check_status("status_frames_too_many", 0,
                 status_frames(2, DOMID_SELF, list),
                 GNTST_general_error);
    check_status("status_frames_huge", 0,
                 status_frames(~0u, DOMID_SELF, list),
                 GNTST_general_error);
    check_status("status_frames_bad_dom", 0,
                 status_frames(1, NO_DOMAIN, list), GNTST_bad_domain);
    check_status("status_frames_own_id", 0,
                 status_frames(1, SELF_ID, list), GNTST_okay);
    check_status("status_frames_list_unmapped", 0,
                 status_frames(1, DOMID_SELF, (uint64_t *)UNMAPPED),
                 GNTST_bad_virt_addr);
    xt_check_rc("status_frames_list_hv",
                status_frames(1, DOMID_SELF, (uint64_t *)HV_RANGE),
                -XEN_EFAULT);
    xt_check_rc("status_frames_count_2",
                gnttab(GNTTABOP_get_status_frames, list, 2), -XEN_EINVAL);
    xt_check_rc("status_frames_arg_unmapped",
                gnttab(GNTTABOP_get_status_frames, (void *)UNMAPPED, 1),
                -XEN_EFAULT);

    /* The mapped reserved entry's marks moved to the status frame. */
    if ( !status_mfn )
        return;                     /* no v2: the rest is reported missing */
    status = xt_map_mfn(status_mfn, PTE_RO);
    xt_check("reserved_status", status[3] == IN_USE && status[2] == 0,
             "%#x %#x", status[3], status[2]);
    check_status("unmap_reserved", 0, unmap(held.handle, va), GNTST_okay);
    xt_check("reserved_status_cleared", status[3] == 0 &&
             e2(3)->hdr.flags == GTF_permit_access, "%#x", status[3]);
}

/* ---- v2 entries ---- */

static int16_t copy1(gnttab_copy_t c)
{
    long rc;

    c.status = 99;
    rc = gnttab(GNTTABOP_copy, &c, 1);
    return rc ? (int16_t)rc : c.status;
}

static int16_t copy_out(grant_ref_t ref, uint16_t off, uint16_t len,
                        void *to)
{
    return copy1((gnttab_copy_t){
        .source = { .u.ref = ref, .domid = SELF_ID, .offset = off },
        .dest = { .u.gmfn = mfn_of(to), .domid = DOMID_SELF, .offset = off },
        .len = len, .flags = GNTCOPY_source_gref });
}

static int16_t copy_in(grant_ref_t ref, uint16_t off, uint16_t len,
                       const void *from)
{
    return copy1((gnttab_copy_t){
        .source = { .u.gmfn = mfn_of(from), .domid = DOMID_SELF,
                    .offset = off },
        .dest = { .u.ref = ref, .domid = SELF_ID, .offset = off },
        .len = len, .flags = GNTCOPY_dest_gref });
}

static void v2_map_checks(void)
{
    unsigned long va = xt_scratch_va();
    gnttab_map_grant_ref_t m;
    long rc;

    grant_v2(20, SELF_ID, mfn_of(page), 0, 0, GTF_permit_access);
    m = map(20, GNTMAP_host_map, va, &rc);
    check_status("v2_map", rc, m.status, GNTST_okay);
    xt_check("v2_map_status_word", status[20] == IN_USE &&
             e2(20)->hdr.flags == GTF_permit_access, "status %#x flags %#x",
             status[20], e2(20)->hdr.flags);
    xt_check("v2_map_reads", *(volatile uint64_t *)va == page[0], NULL);
    check_status("v2_unmap", 0, unmap(m.handle, va), GNTST_okay);
    xt_check("v2_unmap_status", status[20] == 0, "%#x", status[20]);

    grant_v2(21, SELF_ID, mfn_of(page), 0, 0,
             GTF_permit_access | GTF_readonly);
    check_status("v2_map_ro_grant_rw", 0,
                 map_status(21, GNTMAP_host_map, va), GNTST_general_error);
    xt_check("v2_map_ro_grant_rw_status", status[21] == 0, "%#x",
             status[21]);
    m = map(21, GNTMAP_host_map | GNTMAP_readonly, va, &rc);
    check_status("v2_map_ro", rc, m.status, GNTST_okay);
    xt_check("v2_map_ro_status", status[21] == GTF_reading, "%#x",
             status[21]);
    check_status("v2_unmap_ro", 0, unmap(m.handle, va), GNTST_okay);

    grant_v2(22, 5, mfn_of(page), 0, 0, GTF_permit_access);
    check_status("v2_map_wrong_domid", 0,
                 map_status(22, GNTMAP_host_map, va), GNTST_general_error);
    grant_v2(23, SELF_ID, mfn_of(page), 0, 64,
             GTF_permit_access | GTF_sub_page);
    check_status("v2_map_sub_page", 0,
                 map_status(23, GNTMAP_host_map, va), GNTST_general_error);
    check_status("v2_map_bad_ref", 0,
                 map_status(NR_FRAMES * V2_PER, GNTMAP_host_map, va),
                 GNTST_bad_gntref);
    grant_v2(24, SELF_ID, 0xfffffffff0UL, 0, 0, GTF_permit_access);
    check_status("v2_map_bad_frame", 0,
                 map_status(24, GNTMAP_host_map, va), GNTST_bad_page);
    xt_check("v2_refusals_no_marks", !status[22] && !status[23] &&
             !status[24] && xt_pt_entry(va, 1) == 0, NULL);
}

static void v2_copy_checks(void)
{
    uint8_t *src = xt_alloc_page(), *dst = xt_alloc_page();
    uint8_t *got = xt_alloc_page();
    unsigned int i;
    bool ok;

    for ( i = 0; i < PAGE_SIZE; i++ )
        src[i] = (uint8_t)i;
    memset(dst, 0x11, PAGE_SIZE);

    /* Full page both ways. */
    grant_v2(30, SELF_ID, mfn_of(dst), 0, 0, GTF_permit_access);
    check_status("v2_copy_in", 0, copy_in(30, 16, 32, src), GNTST_okay);
    xt_check("v2_copy_in_data", dst[15] == 0x11 && dst[16] == 16 &&
             dst[47] == 47 && dst[48] == 0x11 && status[30] == 0 &&
             e2(30)->hdr.flags == GTF_permit_access, "status %#x",
             status[30]);
    check_status("v2_copy_out", 0, copy_out(30, 0, 4096, got), GNTST_okay);
    xt_check("v2_copy_out_data", !memcmp(got, dst, PAGE_SIZE), NULL);

    /* Sub-page: only [100, 150), for copies either way. */
    grant_v2(31, SELF_ID, mfn_of(src), 100, 50,
             GTF_permit_access | GTF_sub_page);
    memset(got, 0, PAGE_SIZE);
    check_status("sub_page_copy", 0, copy_out(31, 100, 50, got), GNTST_okay);
    xt_check("sub_page_copy_data", got[99] == 0 && got[100] == 100 &&
             got[149] == 149 && got[150] == 0, NULL);
    check_status("sub_page_before", 0, copy_out(31, 99, 8, got),
                 GNTST_general_error);
    check_status("sub_page_after", 0, copy_out(31, 140, 11, got),
                 GNTST_general_error);
    check_status("sub_page_cross_page", 0, copy_out(31, 4090, 16, got),
                 GNTST_bad_copy_arg);
    grant_v2(32, SELF_ID, mfn_of(dst), 200, 8,
             GTF_permit_access | GTF_sub_page);
    check_status("sub_page_copy_in", 0, copy_in(32, 200, 8, src),
                 GNTST_okay);
    check_status("sub_page_copy_in_over", 0, copy_in(32, 200, 9, src),
                 GNTST_general_error);
    xt_check("sub_page_copy_in_data", dst[199] == 0x11 && dst[200] == 200 &&
             dst[207] == 207 && dst[208] == 0x11, NULL);

    /* Hostile sub-pages: past the page end, empty, offset 0xffff. */
    grant_v2(33, SELF_ID, mfn_of(src), 4000, 200,
             GTF_permit_access | GTF_sub_page);
    check_status("sub_page_past_end_inside", 0, copy_out(33, 4000, 96, got),
                 GNTST_okay);
    check_status("sub_page_past_end_beyond", 0, copy_out(33, 4000, 97, got),
                 GNTST_bad_copy_arg);
    grant_v2(34, SELF_ID, mfn_of(src), 100, 0,
             GTF_permit_access | GTF_sub_page);
    check_status("sub_page_empty", 0, copy_out(34, 100, 1, got),
                 GNTST_general_error);
    grant_v2(35, SELF_ID, mfn_of(src), 0xffff, 0xffff,
             GTF_permit_access | GTF_sub_page);
    check_status("sub_page_off_ffff", 0, copy_out(35, 0, 8, got),
                 GNTST_general_error);
    check_status("sub_page_off_ffff_end", 0, copy_out(35, 4088, 8, got),
                 GNTST_general_error);
    ok = true;
    for ( i = 30; i <= 35; i++ )
        ok = ok && status[i] == 0;
    xt_check("sub_page_no_marks", ok, NULL);

    /* Transitive: copy only, and never to ourselves or nowhere. */
    grant_v2(36, SELF_ID, 30, SELF_ID, 0, GTF_transitive);
    check_status("transitive_self", 0, copy_out(36, 0, 8, got),
                 GNTST_general_error);
    grant_v2(37, SELF_ID, 30, NO_DOMAIN, 0, GTF_transitive);
    check_status("transitive_no_domain", 0, copy_out(37, 0, 8, got),
                 GNTST_general_error);
    grant_v2(38, 5, 30, NO_DOMAIN, 0, GTF_transitive);
    check_status("transitive_wrong_grantee", 0, copy_out(38, 0, 8, got),
                 GNTST_general_error);
    check_status("transitive_copy_in", 0, copy_in(36, 0, 8, src),
                 GNTST_general_error);
    xt_check("transitive_no_marks", status[36] == 0 && status[37] == 0 &&
             status[38] == 0 && status[30] == 0, "%#x %#x", status[36],
             status[37]);
}

/* ---- Back to v1 ---- */

static void to_v1_checks(void)
{
    unsigned long va = xt_scratch_va();
    gnttab_map_grant_ref_t m;
    uint64_t list[2];
    uint32_t now;
    long rc;

    grant_v2(40, SELF_ID, mfn_of(page), 0, 0, GTF_permit_access);
    m = map(40, GNTMAP_host_map, va, &rc);
    check_status("v2_map_busy", rc, m.status, GNTST_okay);
    rc = set_version(1, &now);
    xt_check("set_version_1_busy", rc == -XEN_EBUSY && now == 2,
             "rc %ld version %u", rc, now);
    check_status("v2_unmap_busy", 0, unmap(m.handle, va), GNTST_okay);

    /* Reserved entries v1 cannot express. */
    grant_v2(4, SELF_ID, 1UL << 32, 0, 0, GTF_permit_access);
    rc = set_version(1, &now);
    xt_check("set_version_1_frame_too_big", rc == -XEN_ERANGE && now == 2,
             "rc %ld version %u", rc, now);
    grant_v2(4, SELF_ID, 3, 1, 0, GTF_transitive);
    rc = set_version(1, &now);
    xt_check("set_version_1_transitive", rc == -XEN_ERANGE && now == 2,
             "rc %ld version %u", rc, now);
    grant_v2(4, 0, 0, 0, 0, 0);

    /* Our own mapping of the status frame keeps it. */
    rc = set_version(1, &now);
    xt_check("set_version_1_status_mapped", rc == -XEN_EBUSY && now == 2 &&
             get_version() == 2, "rc %ld version %u", rc, now);
    xt_unmap(status);

    rc = set_version(1, &now);
    xt_check("set_version_1", rc == 0 && now == 1 && get_version() == 1,
             "rc %ld version %u", rc, now);
    xt_check("reserved_kept_v1", e1(2)->flags ==
             (GTF_permit_access | GTF_readonly) && e1(2)->frame == 0x12345 &&
             e1(3)->frame == (uint32_t)mfn_of(page), "flags %#x frame %#x",
             e1(2)->flags, e1(2)->frame);
    xt_check("v1_others_cleared", zero_from(GNTTAB_NR_RESERVED_ENTRIES *
                                            sizeof(grant_entry_v1_t)), NULL);
    check_status("v1_status_frames_gone", 0,
                 status_frames(1, DOMID_SELF, list),
                 GNTST_general_error);
    rc = set_version(3, &now);
    xt_check("set_version_3", rc == -XEN_EINVAL && now == 1, "rc %ld", rc);
}

/* ---- GNTTABOP_unmap_and_replace ---- */

static void replace_checks(void)
{
    uint64_t *other = xt_alloc_page();
    unsigned long va = xt_scratch_va(), va2 = xt_scratch_va();
    gnttab_map_grant_ref_t m;
    gnttab_unmap_and_replace_t b[2];
    long rc;

    other[0] = 0x6f74686572UL;
    grant_v1(50, mfn_of(page), GTF_permit_access);

    /* The PTE of va2 moves to va; va2 is left empty. */
    m = map(50, GNTMAP_host_map, va, &rc);
    check_status("replace_map", rc, m.status, GNTST_okay);
    xt_set_pte(va2, (mfn_of(other) << 12) | PTE_RW, UVMF_INVLPG);
    check_status("replace", 0, replace(m.handle, va, va2), GNTST_okay);
    xt_mmuext1(MMUEXT_INVLPG_LOCAL, va, 0);
    xt_check("replace_moved", *(volatile uint64_t *)va == other[0] &&
             xt_pt_entry(va2, 1) == 0 && e1(50)->flags == GTF_permit_access,
             "pte %#lx flags %#x", xt_pt_entry(va2, 1), e1(50)->flags);
    check_status("replace_twice", 0, replace(m.handle, va, va2),
                 GNTST_bad_handle);
    xt_set_pte(va, 0, UVMF_INVLPG);

    /* new_addr 0: a plain unmap. */
    m = map(50, GNTMAP_host_map, va, &rc);
    check_status("replace_zero_map", rc, m.status, GNTST_okay);
    check_status("replace_zero", 0, replace(m.handle, va, 0), GNTST_okay);
    xt_check("replace_zero_unmapped", xt_pt_entry(va, 1) == 0 &&
             e1(50)->flags == GTF_permit_access, NULL);

    /* Refusals leave the mapping as it was. */
    m = map(50, GNTMAP_host_map, va, &rc);
    check_status("replace_refusal_map", rc, m.status, GNTST_okay);
    check_status("replace_bad_handle", 0, replace(0xffffff, va, 0),
                 GNTST_bad_handle);
    check_status("replace_wrong_addr", 0, replace(m.handle, va2, 0),
                 GNTST_general_error);
    check_status("replace_new_no_l1", 0, replace(m.handle, va, UNMAPPED),
                 GNTST_general_error);
    check_status("replace_no_host_addr", 0, replace(m.handle, 0, va2),
                 GNTST_okay);
    xt_check("replace_refusals_kept", *(volatile uint64_t *)va == page[0] &&
             e1(50)->flags == (GTF_permit_access | IN_USE), "flags %#x",
             e1(50)->flags);

    /* A batch: one done, one bad handle. */
    b[0] = (gnttab_unmap_and_replace_t){ .host_addr = va,
                                         .handle = m.handle, .status = 99 };
    b[1] = (gnttab_unmap_and_replace_t){ .host_addr = va,
                                         .handle = m.handle, .status = 99 };
    rc = gnttab(GNTTABOP_unmap_and_replace, b, 2);
    xt_check("replace_batch", rc == 0 && b[0].status == GNTST_okay &&
             b[1].status == GNTST_bad_handle, "rc %ld status %d %d", rc,
             b[0].status, b[1].status);
    xt_check_rc("replace_batch_unmapped",
                gnttab(GNTTABOP_unmap_and_replace, (void *)UNMAPPED, 1),
                -XEN_EFAULT);

    /* A mapping by PTE address cannot be replaced, only unmapped. */
    m = map(50, GNTMAP_host_map | GNTMAP_contains_pte, xt_pte_maddr(va),
            &rc);
    check_status("replace_pte_map", rc, m.status, GNTST_okay);
    check_status("replace_pte_new_addr", 0,
                 replace(m.handle, xt_pte_maddr(va), va2),
                 GNTST_general_error);
    check_status("replace_pte_unmap", 0,
                 replace(m.handle, xt_pte_maddr(va), 0), GNTST_okay);
    xt_check("replace_all_released", e1(50)->flags == GTF_permit_access &&
             xt_pt_entry(va, 1) == 0, "flags %#x", e1(50)->flags);
}

XTEST(gnttab2, 93)
{
    xt_traps_init();
    xt_mm_init();
    to_v2_checks();
    if ( !status )
        return;
    v2_map_checks();
    v2_copy_checks();
    to_v1_checks();
    replace_checks();
}
