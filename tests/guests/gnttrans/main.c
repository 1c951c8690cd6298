/*
 * gnttrans: version-2 grants between two domains, transitive ones above
 * all, as Xen 4.17 has them (xen/common/grant_table.c,
 * acquire_grant_for_copy).
 *
 * The initial domain switches its own table to v2 and builds the peer
 * kernel (tests/guests/peer) as a domU, which on command switches its
 * table to v2 and writes full-page, read-only, sub-page and transitive
 * entries for us (peer.h: v2grant, v2trans, v2status).  Then:
 *  - a transitive entry of ours passing on a peer grant: copies out and
 *    in go to the peer's page, the in-use marks come and go in both
 *    status frames; a read-only inner grant refuses a copy in; a sub-page
 *    inner grant bounds the copies through the transitive one;
 *  - the recursion bound: a loop (ours -> the peer's -> ours) and a
 *    two-level chain are refused, leaving no marks;
 *  - the peer's v2 entries mapped directly: the marks in its status
 *    frame, not in its entry; its sub-page entry cannot be mapped;
 *  - the peer destroyed with its v2 table (status frame included) goes;
 *  - a peer built with a maximum grant version of 1 (createdomain's
 *    grant_opts) is refused set_version(2) with -ENOSYS.
 * No check depends on time.
 */
#include "ctl.h"

#define NR_GNTTRANS_CHECKS  31
#define PTE_RW      (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_RO      (_PAGE_PRESENT | _PAGE_ACCESSED)
#define IN_USE      (GTF_reading | GTF_writing)
#define NO_ANSWER   (-9999)

static struct peer peer;
static int baseline_domains;
static grant_entry_v2_t *gt;            /* our table's first frame */
static volatile grant_status_t *status; /* our status frame */

/* The peer's k-th number in answer to a command, or NO_ANSWER. */
static long __attribute__((format(printf, 3, 4)))
ask(const char *verb, unsigned int k, const char *fmt, ...)
{
    char cmd[96];
    va_list ap;

    if ( peer.dom == DOMID_INVALID )
        return NO_ANSWER;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if ( !peer_cmd(&peer, verb, "%s", cmd) || k >= peer.nval )
        return NO_ANSWER;
    return peer.val[k];
}

static long peer_status(grant_ref_t ref)
{
    return ask("v2status", 0, "v2status %u", ref);
}

/* Our entry ref: transitive, for ourselves, through (dom, gref). */
static void transitive(grant_ref_t ref, domid_t dom, grant_ref_t gref)
{
    gt[ref].hdr.flags = 0;
    barrier();
    gt[ref].hdr.domid = 0;
    gt[ref].transitive.trans_domid = dom;
    gt[ref].transitive.pad0 = 0;
    gt[ref].transitive.gref = gref;
    barrier();
    __atomic_store_n(&gt[ref].hdr.flags, (uint16_t)GTF_transitive,
                     __ATOMIC_RELEASE);
}

static int16_t copy1(gnttab_copy_t c)
{
    long rc;

    c.status = 99;
    rc = ctl_gnttab(GNTTABOP_copy, &c, 1);
    return rc ? (int16_t)rc : c.status;
}

/* Copy bytes [off, off + len) of (dom, ref) to the same place of 'to'. */
static int16_t copy_out(domid_t dom, grant_ref_t ref, uint16_t off,
                        uint16_t len, void *to)
{
    return copy1((gnttab_copy_t){
        .source = { .u.ref = ref, .domid = dom, .offset = off },
        .dest = { .u.gmfn = xt_virt_to_mfn(to), .domid = DOMID_SELF,
                  .offset = off },
        .len = len, .flags = GNTCOPY_source_gref });
}

static int16_t copy_in(domid_t dom, grant_ref_t ref, uint16_t off,
                       uint16_t len, const void *from)
{
    return copy1((gnttab_copy_t){
        .source = { .u.gmfn = xt_virt_to_mfn(from), .domid = DOMID_SELF,
                    .offset = off },
        .dest = { .u.ref = ref, .domid = dom, .offset = off },
        .len = len, .flags = GNTCOPY_dest_gref });
}

static void check_status(const char *name, int16_t got, int16_t want)
{
    xt_check(name, got == want, "status %d (want %d)", got, want);
}

static bool peer_up(void)
{
    long rc = peer_build(&peer, "");

    if ( !rc )
        rc = peer_unpause(&peer);
    return !rc && peer_wait_answer(&peer, "ready") && peer.val[0] == 0;
}

static bool peer_gone(void)
{
    domid_t d = peer.dom;

    return d != DOMID_INVALID && peer_destroy(&peer) == 0 &&
           xbh_wait_gone(d, baseline_domains, ctl_virq_port);
}

/* ---- Our own table in v2 ---- */

static bool own_v2(void)
{
    gnttab_set_version_t sv = { 2 };
    gnttab_setup_table_t st = { .dom = DOMID_SELF, .nr_frames = 1 };
    gnttab_get_status_frames_t gs = { .nr_frames = 1, .dom = DOMID_SELF };
    xen_pfn_t frame = 0;
    uint64_t sframe = 0;

    set_xen_guest_handle(st.frame_list, &frame);
    set_xen_guest_handle(gs.frame_list, &sframe);
    if ( ctl_gnttab(GNTTABOP_set_version, &sv, 1) || sv.version != 2 ||
         ctl_gnttab(GNTTABOP_setup_table, &st, 1) || st.status ||
         ctl_gnttab(GNTTABOP_get_status_frames, &gs, 1) || gs.status )
        return false;
    gt = xt_map_mfn(frame, PTE_RW);
    status = xt_map_mfn(sframe, PTE_RO);
    return gt && status;
}

/* ---- Transitive grants ---- */

static void transitive_checks(void)
{
    uint64_t *page = xt_alloc_page(), *mine = xt_alloc_page();
    domid_t pd = peer.dom;
    unsigned int i;
    bool ok;

    xt_check("peer_v2_grants",
             ask("v2grant", 0, "v2grant 20 %u 0 0", GTF_permit_access) == 0 &&
             ask("v2grant", 0, "v2grant 21 %u 0 0",
                 GTF_permit_access | GTF_readonly) == 0 &&
             ask("v2grant", 0, "v2grant 22 %u 64 32",
                 GTF_permit_access | GTF_sub_page) == 0, NULL);

    /* Ours 10 -> the peer's 20 (full page, writable). */
    transitive(10, pd, 20);
    check_status("transitive_copy_out", copy_out(0, 10, 0, 4096, page),
                 GNTST_okay);
    ok = true;
    for ( i = 0; i < 512; i++ )
        ok = ok && page[i] == peer_pattern(20, i);
    xt_check("transitive_copy_out_data", ok, "word 0 %#lx", page[0]);
    xt_check("transitive_marks_cleared", status[10] == 0 &&
             peer_status(20) == 0 && gt[10].hdr.flags == GTF_transitive,
             "ours %#x theirs %ld", status[10], peer_status(20));
    mine[2] = 0x7472616e73UL;
    check_status("transitive_copy_in", copy_in(0, 10, 16, 8, mine),
                 GNTST_okay);
    xt_check("transitive_copy_in_landed",
             ask("peek", 0, "peek 20 2") == (long)mine[2], "%#lx",
             ask("peek", 0, "peek 20 2"));

    /* Ours 11 -> the peer's read-only 21: out yes, in no. */
    transitive(11, pd, 21);
    check_status("transitive_ro_copy_out", copy_out(0, 11, 0, 64, page),
                 GNTST_okay);
    check_status("transitive_ro_copy_in", copy_in(0, 11, 0, 8, mine),
                 GNTST_general_error);
    xt_check("transitive_ro_no_marks", status[11] == 0 &&
             peer_status(21) == 0, "ours %#x theirs %ld", status[11],
             peer_status(21));

    /* Ours 12 -> the peer's sub-page 22 (bytes 64..95): bounded. */
    transitive(12, pd, 22);
    memset(page, 0, PAGE_SIZE);
    check_status("transitive_sub_page", copy_out(0, 12, 64, 32, page),
                 GNTST_okay);
    xt_check("transitive_sub_page_data", page[7] == 0 &&
             page[8] == peer_pattern(22, 8) &&
             page[11] == peer_pattern(22, 11) && page[12] == 0, NULL);
    check_status("transitive_sub_page_before", copy_out(0, 12, 60, 8, page),
                 GNTST_general_error);
    check_status("transitive_sub_page_after", copy_out(0, 12, 90, 8, page),
                 GNTST_general_error);

    /* The bound: ours 13 -> the peer's 23 -> ours 13 (a loop). */
    xt_check("peer_v2_loop_entry",
             ask("v2trans", 0, "v2trans 23 0 13") == 0, NULL);
    transitive(13, pd, 23);
    check_status("transitive_loop", copy_out(0, 13, 0, 8, page),
                 GNTST_general_error);
    xt_check("transitive_loop_no_marks", status[13] == 0 &&
             peer_status(23) == 0, "ours %#x theirs %ld", status[13],
             peer_status(23));
    /* Two levels: ours 15 -> the peer's 24 -> our full-page 14. */
    gt[14].hdr.flags = 0;
    barrier();
    gt[14].hdr.domid = pd;
    gt[14].full_page.frame = xt_virt_to_mfn(mine);
    barrier();
    __atomic_store_n(&gt[14].hdr.flags, (uint16_t)GTF_permit_access,
                     __ATOMIC_RELEASE);
    xt_check("peer_v2_chain_entry",
             ask("v2trans", 0, "v2trans 24 0 14") == 0, NULL);
    transitive(15, pd, 24);
    check_status("transitive_two_levels", copy_out(0, 15, 0, 8, page),
                 GNTST_general_error);
    xt_check("transitive_two_levels_no_marks", status[14] == 0 &&
             status[15] == 0 && peer_status(24) == 0, "%#x %#x %ld",
             status[14], status[15], peer_status(24));
}

/* ---- The peer's v2 entries mapped directly ---- */

static void map_checks(void)
{
    unsigned long va = xt_scratch_va();
    grant_handle_t h = ~0u;
    int rc;

    rc = ctl_map(peer.dom, 20, GNTMAP_host_map, va, &h);
    check_status("map_peer_v2", rc, GNTST_okay);
    xt_check("map_peer_v2_reads", rc == GNTST_okay &&
             *(volatile uint64_t *)va == peer_pattern(20, 0), NULL);
    xt_check("map_peer_v2_status", peer_status(20) == IN_USE, "%ld",
             peer_status(20));
    check_status("unmap_peer_v2", rc ? -99 : ctl_unmap(h, va), GNTST_okay);
    xt_check("unmap_peer_v2_status", peer_status(20) == 0, "%ld",
             peer_status(20));
    check_status("map_peer_sub_page",
                 ctl_map(peer.dom, 22, GNTMAP_host_map, va, &h),
                 GNTST_general_error);
}

XTEST(gnttrans, NR_GNTTRANS_CHECKS)
{
    ctl_init();
    baseline_domains = xbh_nr_domains();
    xt_check("own_table_v2", own_v2(), NULL);
    if ( !gt || !status )
        return;                     /* the rest is reported missing */
    xt_check("peer_ready", peer_up(), "dom %u", peer.dom);
    transitive_checks();
    map_checks();
    xt_check("peer_v2_destroyed", peer_gone(), "%d domains",
             xbh_nr_domains());

    /* A peer limited to v1: set_version(2) is refused. */
    ctl_peer_grant_version = 1;
    xt_check("v1_peer_ready", peer_up(), "dom %u", peer.dom);
    xt_check_rc("v1_peer_set_version_2_enosys",
                ask("v2grant", 0, "v2grant 20 %u 0 0", GTF_permit_access),
                -XEN_ENOSYS);
    xt_check("v1_peer_destroyed", peer_gone(), "%d domains",
             xbh_nr_domains());
}
