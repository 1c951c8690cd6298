/*
 * interdom: event channels and grants between two domains, as Xen 4.17
 * has them (xen/common/event_channel.c, xen/common/grant_table.c).
 *
 * The initial domain builds the peer kernel (tests/guests/peer) as an
 * unprivileged domU with libxbuild and drives it over its console ring
 * (ctl.h).  Then:
 *  - event channels allocated by either side and bound by the other;
 *    EVTCHNOP_status of both ends from both sides; N round trips each
 *    way of waiting (the peer in SCHEDOP_block with its upcall, or in
 *    SCHEDOP_poll; we poll); the errors of bind/send/close/status;
 *    closing one end leaves the other unbound for the closer; the peer
 *    destroyed leaves our end unbound;
 *  - grants: the peer grants pages to us; we map them (host mappings in
 *    our own address space), read, write through the writable one, copy
 *    both ways; every refusal (wrong ref, another grantee, no permit,
 *    writable map of a read-only grant, write through a read-only
 *    mapping, double unmap); revoking a grant in use (refused) and a
 *    granter that clears the entry regardless (our mapping stays, the
 *    entry pinned as it was);
 *  - a second peer destroyed while we map its page: the destroy works,
 *    the domain lingers dying while the frame is held, our mapping stays
 *    valid, and unmapping gives every page back.
 *  - a third peer destroyed with grants mapped both ways and ports bound:
 *    it maps a page we grant from our own table (and writes to it), we
 *    map one of its grants, a channel joins us; after the destroy our
 *    entry is no longer in use (the dead domain's mapping was released)
 *    and we can end access, our mapping of its page stays valid until we
 *    unmap it, our ports are unbound, then everything is given back.
 * The unprivileged restrictions of the child kernel (tests/guests/child)
 * are not repeated here.  No check depends on time.
 */
#include "ctl.h"

#define PING_N          200
#define NO_DOMAIN       0x7000
#define RW_PTE          (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | \
                         _PAGE_DIRTY)

#define NR_EVENT_CHECKS    30
#define NR_GRANT_CHECKS    34
#define NR_TEARDOWN_CHECKS 6
#define NR_KEEP_CHECKS     9
#define NR_MUTUAL_CHECKS   18
#define NR_INTERDOM_CHECKS (NR_EVENT_CHECKS + NR_GRANT_CHECKS +          \
                            NR_TEARDOWN_CHECKS + NR_KEEP_CHECKS +         \
                            NR_MUTUAL_CHECKS)

/* Our own grant table: the entry we grant the third peer, its words. */
#define OUR_REF         8
#define OUR_WORD        1                      /* we write, it reads */
#define OUR_VALUE       0x646f6d30776f7264UL
#define PEER_WORD       5                      /* it writes, we read */
#define PEER_MARK       0x7065657277726f74UL

static struct peer peer;
static domid_t pd = DOMID_INVALID;     /* the first peer's id           */
static evtchn_port_t b0;               /* our end of channel B          */
static int baseline_domains;

/* ------------------------------------------------------------------ */
/* Small helpers.                                                      */

/* Ask the peer (a command line, printf style); its k-th number, or a
 * value no check expects if it did not answer. */
static long __attribute__((format(printf, 3, 4)))
ask(const char *verb, unsigned int k, const char *fmt, ...)
{
    char cmd[96];
    va_list ap;

    if ( peer.dom == DOMID_INVALID )
        return -9999;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if ( !peer_cmd(&peer, verb, "%s", cmd) || k >= peer.nval )
        return -9999;
    return peer.val[k];
}

/* The peer's answer to "status P": fills st (status field -1 if none). */
static long peer_status(evtchn_port_t port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->status = ~0u;
    if ( !peer_cmd(&peer, "status", "status %u", port) || peer.nval < 5 )
        return -9999;
    st->status = peer.val[1];
    st->u.interdomain.dom = peer.val[2];
    st->u.interdomain.port = peer.val[3];
    st->vcpu = peer.val[4];
    return peer.val[0];
}

static uint16_t peer_flags(grant_ref_t ref)
{
    return ask("flags", 0, "flags %u", ref);
}

static bool is_interdomain(long rc, const struct evtchn_status *st,
                           domid_t dom, evtchn_port_t port)
{
    return rc == 0 && st->status == EVTCHNSTAT_interdomain &&
        st->u.interdomain.dom == dom && st->u.interdomain.port == port;
}

static bool is_unbound(long rc, const struct evtchn_status *st, domid_t dom)
{
    return rc == 0 && st->status == EVTCHNSTAT_unbound &&
        st->u.unbound.dom == dom;
}

/*
 * n round trips on our port 'mine' (the peer answers on 'theirs' with
 * the given waiting mode); returns how many completed.
 */
static unsigned long pingpong(evtchn_port_t mine, evtchn_port_t theirs,
                              unsigned long n, unsigned int mode,
                              long *peer_done)
{
    unsigned long done, k;

    *peer_done = -1;
    if ( !peer_cmd(&peer, "ping", "ping %u %lu %u", theirs, n, mode) ||
         peer.val[0] != 0 )
        return 0;
    xbh_take_pending(mine);
    for ( done = 0; done < n; done++ )
    {
        if ( ctl_send(mine) )
            break;
        for ( k = 0; k < CTL_MAX_POLLS && !xbh_take_pending(mine); k++ )
            xbh_poll1(mine, CTL_POLL_NS);
        if ( k == CTL_MAX_POLLS )
            break;
    }
    if ( peer_wait_answer(&peer, "pingdone") )
        *peer_done = peer.val[0];
    return done;
}

/* ------------------------------------------------------------------ */
/* Event channels (NR_EVENT_CHECKS).                                   */

static void event_checks(void)
{
    struct evtchn_status st;
    evtchn_port_t a0 = 0, a1 = 0, a1b = 0, b1 = 0, d0 = 0;
    unsigned long n;
    long rc, rc2, pdone;
    bool up;

    rc = peer_build(&peer, "");
    if ( !rc )
        rc = peer_unpause(&peer);
    up = !rc && peer_wait_answer(&peer, "ready") && peer.val[0] == 0;
    a1 = up ? peer.val[1] : 0;
    pd = peer.dom;
    xt_check("peer_ready", up && a1 > 0, "rc %ld domid %u port %u", rc, pd,
             a1);

    /* Channel A: the peer allocated it for us; we bind. */
    rc = ctl_status(pd, a1, &st);
    xt_check("peer_port_unbound_for_us", is_unbound(rc, &st, 0),
             "rc %ld status %u dom %u", rc, st.status, st.u.unbound.dom);
    rc = xbh_bind(pd, a1, &a0);
    xt_check("bind_peer_port", rc == 0 && a0 > 0, "rc %ld port %u", rc, a0);
    xt_check("bind_sets_local_pending", rc == 0 && xbh_take_pending(a0),
             NULL);
    rc = ctl_status(DOMID_SELF, a0, &st);
    xt_check("status_local_interdomain", is_interdomain(rc, &st, pd, a1),
             "rc %ld status %u dom %u port %u", rc, st.status,
             st.u.interdomain.dom, st.u.interdomain.port);
    rc = ctl_status(pd, a1, &st);
    xt_check("status_remote_interdomain", is_interdomain(rc, &st, 0, a0),
             "rc %ld status %u dom %u port %u", rc, st.status,
             st.u.interdomain.dom, st.u.interdomain.port);
    rc = peer_status(a1, &st);
    xt_check("peer_sees_interdomain", is_interdomain(rc, &st, 0, a0),
             "rc %ld status %u dom %u port %u", rc, st.status,
             st.u.interdomain.dom, st.u.interdomain.port);

    /* Channel B: we allocate it for the peer; it binds. */
    rc = ctl_alloc_unbound(pd, &b0);
    if ( !rc )
        rc = ctl_status(DOMID_SELF, b0, &st);
    xt_check("alloc_unbound_for_peer", is_unbound(rc, &st, pd),
             "rc %ld status %u dom %u", rc, st.status, st.u.unbound.dom);
    rc = ask("bind", 0, "bind 0 %u", b0);
    b1 = rc == 0 ? peer.val[1] : 0;
    xt_check("peer_binds_our_port", rc == 0 && b1 > 0, "rc %ld port %u",
             rc, b1);
    rc = ctl_status(DOMID_SELF, b0, &st);
    xt_check("status_after_peer_bind", is_interdomain(rc, &st, pd, b1),
             "rc %ld status %u dom %u port %u", rc, st.status,
             st.u.interdomain.dom, st.u.interdomain.port);
    rc = peer_status(b1, &st);
    xt_check("peer_status_after_bind", is_interdomain(rc, &st, 0, b0),
             "rc %ld status %u dom %u port %u", rc, st.status,
             st.u.interdomain.dom, st.u.interdomain.port);

    /* Binding errors, seen from the peer. */
    xt_check_rc("peer_bind_bound_port_einval",
                ask("bind", 0, "bind 0 %u", b0), -XEN_EINVAL);
    rc = ctl_alloc_unbound(PEER_OTHER_DOMID, &d0);
    rc2 = rc == 0 ? ask("bind", 0, "bind 0 %u", d0) : -9999;
    xt_check("peer_bind_port_for_other_einval", rc == 0 &&
             rc2 == -XEN_EINVAL, "alloc rc %ld bind rc %ld", rc, rc2);
    if ( d0 )
        xbh_close(d0);
    xt_check_rc("peer_bind_no_domain_esrch",
                ask("bind", 0, "bind %u 1", NO_DOMAIN), -XEN_ESRCH);
    /* Xen: status of another domain's port is XSM_TARGET, -EPERM. */
    xt_check_rc("peer_status_of_our_port_eperm",
                ask("rstatus", 0, "rstatus 0 %u", a0), -XEN_EPERM);

    /* Round trips: the peer blocks on A, polls on B; we poll. */
    n = pingpong(a0, a1, PING_N, 0, &pdone);
    xt_check("pingpong_peer_blocks", n == PING_N && pdone == PING_N,
             "%lu round trips, peer %ld", n, pdone);
    n = pingpong(b0, b1, PING_N, 1, &pdone);
    xt_check("pingpong_peer_polls", n == PING_N && pdone == PING_N,
             "%lu round trips, peer %ld", n, pdone);
    rc = ask("pending", 0, "pending %u", a1);
    xt_check("one_event_per_send", !xbh_take_pending(a0) &&
             !xbh_take_pending(b0) && rc == 0, "peer pending %ld", rc);

    /* Closing: the other end goes back to unbound for the closer. */
    xt_check_rc("peer_closes_its_end",
                ask("close", 0, "close %u", a1), 0);
    rc = ctl_status(DOMID_SELF, a0, &st);
    xt_check("our_end_unbound_after_peer_close", is_unbound(rc, &st, pd),
             "rc %ld status %u dom %u", rc, st.status, st.u.unbound.dom);
    xt_check_rc("send_on_unbound_dropped", ctl_send(a0), 0);
    xt_check_rc("peer_send_on_closed_einval",
                ask("send", 0, "send %u", a1), -XEN_EINVAL);
    rc = peer_status(a1, &st);
    xt_check("peer_closed_port_status", rc == 0 &&
             st.status == EVTCHNSTAT_closed, "rc %ld status %u", rc,
             st.status);
    rc = ask("bind", 0, "bind 0 %u", a0);
    a1b = rc == 0 ? peer.val[1] : 0;
    rc2 = ctl_status(DOMID_SELF, a0, &st);
    xt_check("peer_rebinds_unbound_end", rc == 0 && a1b &&
             is_interdomain(rc2, &st, pd, a1b), "rc %ld port %u status %u",
             rc, a1b, st.status);
    xbh_take_pending(a0);
    rc = xbh_close(a0);
    rc2 = ctl_status(DOMID_SELF, a0, &st);
    xt_check("close_our_end", rc == 0 && rc2 == 0 &&
             st.status == EVTCHNSTAT_closed, "rc %ld/%ld status %u", rc, rc2,
             st.status);
    rc = peer_status(a1b, &st);
    xt_check("peer_end_unbound_after_our_close", is_unbound(rc, &st, 0),
             "rc %ld status %u dom %u", rc, st.status, st.u.unbound.dom);
    xt_check_rc("send_on_closed_einval", ctl_send(a0), -XEN_EINVAL);
    xt_check_rc("close_closed_einval", xbh_close(a0), -XEN_EINVAL);
    xt_check_rc("send_port0_einval", ctl_send(0), -XEN_EINVAL);
    xt_check_rc("send_beyond_ports_einval", ctl_send(EVTCHN_2L_NR_CHANNELS),
                -XEN_EINVAL);
    ask("close", 0, "close %u", a1b);
}

/* ------------------------------------------------------------------ */
/* Grants (NR_GRANT_CHECKS).                                           */

static bool reads_pattern(unsigned long va, grant_ref_t ref)
{
    const volatile uint64_t *w = (const volatile uint64_t *)va;

    return w[0] == peer_pattern(ref, 0) && w[1] == peer_pattern(ref, 1) &&
        w[511] == peer_pattern(ref, 511);
}

static int copy1(gnttab_copy_t c)
{
    long rc;

    c.status = 99;
    rc = ctl_gnttab(GNTTABOP_copy, &c, 1);
    return rc ? rc : c.status;
}

static void map_checks(grant_ref_t beyond)
{
    unsigned long va_rw = xt_scratch_va(), va_rw2 = xt_scratch_va();
    unsigned long va_ro = xt_scratch_va(), va_x = xt_scratch_va();
    grant_handle_t h_rw = ~0u, h_rw2 = ~0u, h_ro = ~0u, h_x;
    volatile uint64_t *rw = (volatile uint64_t *)va_rw;
    int st, st2;
    uint16_t f;
    long v;

    st = ctl_map(pd, PEER_REF_RW, GNTMAP_host_map, va_rw, &h_rw);
    xt_check("map_rw", st == GNTST_okay, "status %d", st);
    xt_check("map_rw_reads_peer_data", st == GNTST_okay &&
             reads_pattern(va_rw, PEER_REF_RW), NULL);
    f = peer_flags(PEER_REF_RW);
    xt_check("peer_sees_in_use_rw", f ==
             (GTF_permit_access | GTF_reading | GTF_writing), "flags %#x", f);
    if ( st == GNTST_okay )
        rw[3] = 0xfeedf00d12345678UL;
    v = ask("peek", 0, "peek %u %u", PEER_REF_RW, 3);
    xt_check("peer_sees_our_write", st == GNTST_okay &&
             (uint64_t)v == 0xfeedf00d12345678UL, "%#lx", v);

    st = ctl_map(pd, PEER_REF_RO, GNTMAP_host_map | GNTMAP_readonly, va_ro,
                 &h_ro);
    xt_check("map_ro", st == GNTST_okay && reads_pattern(va_ro, PEER_REF_RO),
             "status %d", st);
    xt_check("map_ro_write_faults", st == GNTST_okay &&
             xt_probe_write(va_ro + 8, 1) == X86_EXC_PF &&
             (uint64_t)ask("peek", 0, "peek %u %u", PEER_REF_RO, 1) ==
             peer_pattern(PEER_REF_RO, 1), NULL);
    f = peer_flags(PEER_REF_RO);
    xt_check("peer_sees_in_use_ro", f ==
             (GTF_permit_access | GTF_readonly | GTF_reading), "flags %#x", f);

    /* Refusals. */
    st = ctl_map(pd, PEER_REF_RO, GNTMAP_host_map, va_x, &h_x);
    xt_check("map_ro_grant_writable_refused", st == GNTST_general_error,
             "status %d", st);
    st = ctl_map(pd, PEER_REF_UNUSED, GNTMAP_host_map, va_x, &h_x);
    xt_check("map_unwritten_ref_refused", st == GNTST_general_error,
             "status %d", st);
    st = ctl_map(pd, beyond, GNTMAP_host_map, va_x, &h_x);
    xt_check("map_ref_beyond_table", st == GNTST_bad_gntref, "status %d",
             st);
    st = ctl_map(pd, PEER_REF_OTHER, GNTMAP_host_map, va_x, &h_x);
    xt_check("map_other_grantee_refused", st == GNTST_general_error,
             "status %d", st);
    st = ctl_map(pd, PEER_REF_NOPERMIT, GNTMAP_host_map | GNTMAP_readonly,
                 va_x, &h_x);
    xt_check("map_no_permit_refused", st == GNTST_general_error,
             "status %d", st);
    xt_check("refusals_leave_entries", peer_flags(PEER_REF_OTHER) ==
             GTF_permit_access && peer_flags(PEER_REF_NOPERMIT) ==
             GTF_readonly && xt_pt_entry(va_x, 1) == 0, NULL);

    /* Revoking in use, politely: refused. */
    v = ask("revoke", 0, "revoke %u", PEER_REF_RW);
    xt_check("peer_revoke_in_use_refused", v == 0 &&
             peer.val[1] == (GTF_permit_access | GTF_reading | GTF_writing),
             "ok %ld flags %#lx", v, peer.val[1]);
    v = ask("revoke", 0, "revoke %u", PEER_REF_RO);
    xt_check("peer_revoke_ro_in_use_refused", v == 0, "ok %ld", v);
    st = ctl_unmap(h_ro, va_ro);
    xt_check("unmap_ro", st == GNTST_okay && xt_pt_entry(va_ro, 1) == 0,
             "status %d", st);
    st = ctl_unmap(h_ro, va_ro);
    xt_check("unmap_ro_twice_bad_handle", st == GNTST_bad_handle,
             "status %d", st);
    v = ask("revoke", 0, "revoke %u", PEER_REF_RO);
    xt_check("peer_revoke_after_unmap", v == 1 && peer.val[1] == 0,
             "ok %ld flags %#lx", v, peer.val[1]);
    st = ctl_map(pd, PEER_REF_RO, GNTMAP_host_map | GNTMAP_readonly, va_x,
                 &h_x);
    xt_check("map_revoked_refused", st == GNTST_general_error, "status %d",
             st);

    /*
     * A granter that clears an entry in use: the pin and our mapping stay
     * (v1 has no forced revocation); while pinned writable, a new mapping
     * is checked against the pin, not the entry.
     */
    v = ask("clear", 0, "clear %u", PEER_REF_RW);
    xt_check("peer_clears_in_use_entry", v ==
             (GTF_permit_access | GTF_reading | GTF_writing), "old %#lx", v);
    if ( h_rw != (grant_handle_t)~0u )
        rw[4] = 0x0123456789abcdefUL;
    v = ask("peek", 0, "peek %u %u", PEER_REF_RW, 4);
    xt_check("mapping_survives_clear", h_rw != (grant_handle_t)~0u &&
             rw[0] == peer_pattern(PEER_REF_RW, 0) &&
             (uint64_t)v == 0x0123456789abcdefUL, "%#lx", v);
    st = ctl_map(pd, PEER_REF_RW, GNTMAP_host_map, va_rw2, &h_rw2);
    xt_check("map_again_while_pinned", st == GNTST_okay &&
             reads_pattern(va_rw2, PEER_REF_RW), "status %d", st);
    st = ctl_unmap(h_rw2, va_rw2);
    st2 = ctl_unmap(h_rw, va_rw);
    xt_check("unmap_both", st == GNTST_okay && st2 == GNTST_okay,
             "status %d %d", st, st2);
    f = peer_flags(PEER_REF_RW);
    xt_check("cleared_entry_stays_clear", f == 0, "flags %#x", f);
    st = ctl_map(pd, PEER_REF_RW, GNTMAP_host_map, va_x, &h_x);
    xt_check("map_cleared_entry_refused", st == GNTST_general_error,
             "status %d", st);
    st = ctl_unmap(h_rw, va_rw);
    xt_check("unmap_rw_twice_bad_handle", st == GNTST_bad_handle,
             "status %d", st);
}

static void copy_checks(grant_ref_t beyond)
{
    uint64_t *mine = xt_alloc_page(), *back = xt_alloc_page();
    uint64_t src_sum, word = 0x5a5a0000c3c3ffffUL;
    unsigned int i;
    long v;
    int st;

    for ( i = 0; i < 512; i++ )
        mine[i] = 0xd0d0000000000000UL + i * 7;

    st = copy1((gnttab_copy_t){
        .source = { .u.ref = PEER_REF_COPY_SRC, .domid = pd },
        .dest = { .u.gmfn = xt_virt_to_mfn(back), .domid = DOMID_SELF },
        .len = PAGE_SIZE, .flags = GNTCOPY_source_gref });
    src_sum = ask("sum", 0, "sum %u", PEER_REF_COPY_SRC);
    xt_check("copy_from_peer_grant", st == GNTST_okay &&
             back[0] == peer_pattern(PEER_REF_COPY_SRC, 0) &&
             back[511] == peer_pattern(PEER_REF_COPY_SRC, 511) &&
             peer_sum(back) == src_sum, "status %d", st);

    st = copy1((gnttab_copy_t){
        .source = { .u.gmfn = xt_virt_to_mfn(mine), .domid = DOMID_SELF },
        .dest = { .u.ref = PEER_REF_COPY_DST, .domid = pd },
        .len = PAGE_SIZE, .flags = GNTCOPY_dest_gref });
    v = ask("sum", 0, "sum %u", PEER_REF_COPY_DST);
    xt_check("copy_to_peer_grant", st == GNTST_okay &&
             (uint64_t)v == peer_sum(mine), "status %d", st);

    mine[0] = word;
    st = copy1((gnttab_copy_t){
        .source = { .u.gmfn = xt_virt_to_mfn(mine), .domid = DOMID_SELF },
        .dest = { .u.ref = PEER_REF_COPY_DST, .domid = pd, .offset = 7 * 8 },
        .len = 8, .flags = GNTCOPY_dest_gref });
    v = ask("peek", 0, "peek %u %u", PEER_REF_COPY_DST, 7);
    xt_check("copy_at_offset_to_peer", st == GNTST_okay &&
             (uint64_t)v == word, "status %d word %#lx", st, v);

    st = copy1((gnttab_copy_t){
        .source = { .u.gmfn = xt_virt_to_mfn(mine), .domid = DOMID_SELF },
        .dest = { .u.ref = PEER_REF_COPY_SRC, .domid = pd },
        .len = 8, .flags = GNTCOPY_dest_gref });
    v = ask("sum", 0, "sum %u", PEER_REF_COPY_SRC);
    xt_check("copy_into_ro_grant_refused", st == GNTST_general_error &&
             (uint64_t)v == src_sum, "status %d", st);
    st = copy1((gnttab_copy_t){
        .source = { .u.ref = PEER_REF_OTHER, .domid = pd },
        .dest = { .u.gmfn = xt_virt_to_mfn(back), .domid = DOMID_SELF },
        .len = 8, .flags = GNTCOPY_source_gref });
    xt_check("copy_from_other_grantee_refused", st == GNTST_general_error,
             "status %d", st);
    st = copy1((gnttab_copy_t){
        .source = { .u.ref = beyond, .domid = pd },
        .dest = { .u.gmfn = xt_virt_to_mfn(back), .domid = DOMID_SELF },
        .len = 8, .flags = GNTCOPY_source_gref });
    xt_check("copy_ref_beyond_table", st == GNTST_bad_gntref, "status %d",
             st);
    xt_check("copies_leave_no_flags", peer_flags(PEER_REF_COPY_DST) ==
             GTF_permit_access && peer_flags(PEER_REF_COPY_SRC) ==
             (GTF_permit_access | GTF_readonly), NULL);
}

static void grant_checks(void)
{
    gnttab_query_size_t q = { .dom = pd, .status = 99 };
    grant_ref_t beyond = 512;
    long rc = ask("grants", 0, "grants");
    long qrc;

    xt_check("peer_grants", rc == 0 && peer.val[1] == GNTST_okay &&
             peer.val[2] >= 1, "rc %ld status %ld frames %ld", rc,
             peer.val[1], peer.val[2]);
    qrc = ctl_gnttab(GNTTABOP_query_size, &q, 1);
    if ( qrc == 0 && q.status == GNTST_okay )
        beyond = q.nr_frames * (PAGE_SIZE / sizeof(grant_entry_v1_t));
    printf("interdom: peer d%u has %u grant frames, first bad ref %u\n", pd,
           q.nr_frames, beyond);
    map_checks(beyond);                 /* 26 */
    copy_checks(beyond);                /* 7 */
}

/* ------------------------------------------------------------------ */
/* The first peer goes (NR_TEARDOWN_CHECKS).                           */

static void teardown_checks(void)
{
    struct evtchn_status st;
    unsigned long i;
    long rc;
    int reason;

    peer_send_line(&peer, "quit");
    for ( i = 0; i < CTL_MAX_POLLS && !peer.verdict_seen; i++ )
    {
        xbh_take_pending(peer.cons_port);
        peer_pump(&peer);
        if ( !peer.verdict_seen )
            xbh_poll1(peer.cons_port, CTL_POLL_NS);
    }
    xt_check("peer_verdict_success", peer.verdict_seen &&
             !strcmp(peer.verdict, "SUCCESS"), "%s",
             peer.verdict_seen ? peer.verdict : "no verdict");
    reason = peer_wait_shutdown(&peer);
    xt_check("peer_powered_off", reason == SHUTDOWN_poweroff, "reason %d",
             reason);

    rc = peer_destroy(&peer);
    xt_check_rc("destroy_peer", rc, 0);
    /* The dead peer's ports close: ours goes back to unbound for it. */
    for ( i = 0; i < CTL_MAX_POLLS; i++ )
    {
        rc = ctl_status(DOMID_SELF, b0, &st);
        if ( rc || st.status != EVTCHNSTAT_interdomain )
            break;
        xbh_poll1(ctl_virq_port, CTL_POLL_NS);
    }
    xt_check("our_end_unbound_after_destroy", pd != DOMID_INVALID &&
             is_unbound(rc, &st, pd), "rc %ld status %u dom %u", rc,
             st.status, st.u.unbound.dom);
    xt_check("send_to_dead_peer_dropped", b0 && ctl_send(b0) == 0 &&
             xbh_close(b0) == 0, NULL);
    xt_check("peer_gone", pd != DOMID_INVALID &&
             xbh_wait_gone(pd, baseline_domains, ctl_virq_port), "%d domains",
             xbh_nr_domains());
}

/* ------------------------------------------------------------------ */
/* Destroyed while we map its page (NR_KEEP_CHECKS).                   */

static void keep_checks(void)
{
    struct xen_domctl_getdomaininfo di = { 0 };
    unsigned long va = xt_scratch_va(), i;
    volatile uint64_t *w = (volatile uint64_t *)va;
    uint64_t baseline, now = 0, held;
    grant_handle_t h = ~0u;
    domid_t d;
    long rc;
    int st = -1;
    bool up;

    baseline = xbh_settled_free_pages(ctl_virq_port, 30);
    rc = peer_build(&peer, "");
    if ( !rc )
        rc = peer_unpause(&peer);
    d = peer.dom;
    up = !rc && peer_wait_answer(&peer, "ready") &&
        ask("grants", 0, "grants") == 0;
    xt_check("keep_peer_ready", up, "rc %ld domid %u", rc, d);
    if ( up )
        st = ctl_map(d, PEER_REF_KEEP, GNTMAP_host_map, va, &h);
    xt_check("keep_map", st == GNTST_okay && reads_pattern(va, PEER_REF_KEEP),
             "status %d", st);

    /* Destroy it running; only the grant mapping refers to it now. */
    rc = up ? peer_destroy(&peer) : -1;
    xt_check_rc("destroy_while_mapped", rc, 0);
    xt_check("mapping_valid_after_destroy", st == GNTST_okay &&
             reads_pattern(va, PEER_REF_KEEP) &&
             xt_probe_write(va + 16, 0x77) == -1 && w[2] == 0x77, NULL);
    rc = xb_getdomaininfo(&ctl_ops, d, &di);
    xt_check("dying_while_mapped", st == GNTST_okay && rc == 0 &&
             di.domain == d && (di.flags & XEN_DOMINF_dying) &&
             di.tot_pages >= 1, "rc %ld domain %u flags %#x tot %lu", rc,
             di.domain, di.flags, (unsigned long)di.tot_pages);
    held = xbh_settled_free_pages(ctl_virq_port, 30);

    st = st == GNTST_okay ? ctl_unmap(h, va) : -1;
    xt_check("unmap_after_destroy", st == GNTST_okay &&
             xt_pt_entry(va, 1) == 0, "status %d", st);
    /* At least what we had before the peer (other frees may add more). */
    for ( i = 0; i < CTL_MAX_POLLS; i++ )
    {
        now = ctl_free_pages();
        if ( now >= baseline )
            break;
        xbh_poll1(ctl_virq_port, CTL_POLL_NS);
        xbh_take_pending(ctl_virq_port);
    }
    xt_check("memory_returns_after_unmap", baseline && now >= baseline,
             "baseline %lu now %lu", (unsigned long)baseline,
             (unsigned long)now);
    xt_check("frame_held_while_mapped", held && held < now,
             "while mapped %lu after unmap %lu", (unsigned long)held,
             (unsigned long)now);
    xt_check("gone_after_unmap", d != DOMID_INVALID &&
             xbh_wait_gone(d, baseline_domains, ctl_virq_port), "%d domains",
             xbh_nr_domains());
}

/* ------------------------------------------------------------------ */
/* Destroyed with grants mapped both ways (NR_MUTUAL_CHECKS).          */

static grant_entry_v1_t *our_gt;

/* Set up our own table (one frame) and map it; false on failure. */
static bool our_table(long *rc, int16_t *status)
{
    gnttab_setup_table_t s = { .dom = DOMID_SELF, .nr_frames = 1,
                               .status = 99 };
    xen_pfn_t frame = 0;

    set_xen_guest_handle(s.frame_list, &frame);
    *rc = ctl_gnttab(GNTTABOP_setup_table, &s, 1);
    *status = s.status;
    if ( *rc || s.status != GNTST_okay || !frame )
        return false;
    our_gt = xt_map_mfn(frame, RW_PTE);
    return our_gt != NULL;
}

/* Fill one of our entries, flags last, as a granter must. */
static void our_grant(grant_ref_t ref, domid_t to, uint64_t mfn,
                      uint16_t flags)
{
    our_gt[ref].flags = 0;
    barrier();
    our_gt[ref].frame = (uint32_t)mfn;
    our_gt[ref].domid = to;
    barrier();
    __atomic_store_n(&our_gt[ref].flags, flags, __ATOMIC_RELEASE);
}

static uint16_t our_flags(grant_ref_t ref)
{
    return our_gt ? __atomic_load_n(&our_gt[ref].flags, __ATOMIC_ACQUIRE)
                  : 0xffff;
}

/* End access as Linux does: only while the entry is not in use. */
static bool our_end_access(grant_ref_t ref)
{
    uint16_t f = our_flags(ref);

    do {
        if ( !our_gt || (f & (GTF_reading | GTF_writing)) )
            return false;
    } while ( !__atomic_compare_exchange_n(&our_gt[ref].flags, &f, 0, false,
                                           __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE) );
    return true;
}

/* Bounded wait for our port to stop being interdomain; its status. */
static long wait_unbound(evtchn_port_t port, struct evtchn_status *st)
{
    unsigned long i;
    long rc = -9999;

    for ( i = 0; port && i < CTL_MAX_POLLS; i++ )
    {
        rc = ctl_status(DOMID_SELF, port, st);
        if ( rc || st->status != EVTCHNSTAT_interdomain )
            break;
        xbh_poll1(ctl_virq_port, CTL_POLL_NS);
    }
    return rc;
}

static void mutual_checks(void)
{
    struct evtchn_status st, st2;
    volatile uint64_t *ours = xt_alloc_page();
    unsigned long va = xt_scratch_va(), i;
    volatile uint64_t *w = (volatile uint64_t *)va;
    uint64_t baseline, now = 0;
    grant_handle_t h = ~0u;             /* our mapping of its page   */
    unsigned long ph = ~0UL;            /* its mapping of ours       */
    evtchn_port_t a0 = 0, a1 = 0, cons = 0, store = 0;
    domid_t d;
    int16_t gst = 99;
    long rc, rc2, rc3, v;
    int st_map = -1;
    uint16_t f;
    bool up, table, mapped, ended;

    /* Before the baseline: a first setup may allocate. */
    table = our_table(&rc, &gst);
    xt_check("mutual_our_table", table, "rc %ld status %d", rc, gst);
    ours[OUR_WORD] = OUR_VALUE;

    baseline = xbh_settled_free_pages(ctl_virq_port, 30);
    rc = peer_build(&peer, "");
    if ( !rc )
        rc = peer_unpause(&peer);
    d = peer.dom;
    up = !rc && peer_wait_answer(&peer, "ready") && peer.val[0] == 0;
    a1 = up ? peer.val[1] : 0;
    up = up && ask("grants", 0, "grants") == 0;
    xt_check("mutual_peer_ready", up && a1 > 0, "rc %ld domid %u port %u",
             rc, d, a1);

    /* It maps our grant and writes through it. */
    if ( up && table )
        our_grant(OUR_REF, d, xt_virt_to_mfn((const void *)ours),
                  GTF_permit_access);
    rc = up && table ? ask("gmap", 0, "gmap 0 %u", OUR_REF) : -9999;
    mapped = rc == 0 && peer.nval == 3 && peer.val[1] == GNTST_okay;
    xt_check("mutual_peer_maps_our_grant", mapped, "rc %ld status %ld",
             rc, peer.nval == 3 ? peer.val[1] : 99);
    ph = mapped ? (unsigned long)peer.val[2] : ~0UL;
    v = mapped ? ask("gpeek", 0, "gpeek %lu %u", ph, OUR_WORD) : -9999;
    xt_check("mutual_peer_reads_our_page", (uint64_t)v == OUR_VALUE,
             "%#lx", v);
    rc = mapped ? ask("gpoke", 0, "gpoke %lu %u %#lx", ph, PEER_WORD,
                      PEER_MARK) : -9999;
    xt_check("mutual_peer_write_seen", rc == 0 &&
             ours[PEER_WORD] == PEER_MARK, "rc %ld word %#lx", rc,
             ours[PEER_WORD]);
    f = our_flags(OUR_REF);
    xt_check("mutual_our_entry_in_use", f ==
             (GTF_permit_access | GTF_reading | GTF_writing), "flags %#x", f);

    /* We map its grant; we bind the port it allocated for us. */
    if ( up )
        st_map = ctl_map(d, PEER_REF_KEEP, GNTMAP_host_map, va, &h);
    xt_check("mutual_we_map_its_grant", st_map == GNTST_okay &&
             reads_pattern(va, PEER_REF_KEEP), "status %d", st_map);
    rc = up ? xbh_bind(d, a1, &a0) : -9999;
    if ( a0 )
        xbh_take_pending(a0);
    rc2 = a0 ? ctl_status(DOMID_SELF, a0, &st) : -9999;
    rc3 = up ? ctl_status(d, a1, &st2) : -9999;
    xt_check("mutual_channel_bound", rc == 0 &&
             is_interdomain(rc2, &st, d, a1) &&
             is_interdomain(rc3, &st2, 0, a0), "rc %ld/%ld/%ld port %u",
             rc, rc2, rc3, a0);

    /*
     * Destroy it running, nothing unmapped or closed: keep our console
     * and store ports bound, only our foreign map of its ring goes.
     */
    cons = peer.cons_port;
    store = peer.store_port;
    peer_disconnect(&peer, true);
    rc = d != DOMID_INVALID ? xb_destroy(&ctl_ops, d) : -9999;
    if ( rc == 0 )
        peer.dom = DOMID_INVALID;
    xt_check_rc("mutual_destroy", rc, 0);

    /* The dead domain's mapping of our page is gone: we end access. */
    f = our_flags(OUR_REF);
    xt_check("mutual_our_entry_released", mapped && f == GTF_permit_access,
             "flags %#x", f);
    xt_check("mutual_our_page_intact", ours[PEER_WORD] == PEER_MARK &&
             ours[OUR_WORD] == OUR_VALUE, "word %#lx", ours[PEER_WORD]);
    ended = mapped && our_end_access(OUR_REF);
    f = our_flags(OUR_REF);
    xt_check("mutual_our_end_access", ended && f == 0, "ended %d flags %#x",
             ended, f);

    /* Our mapping of its page is ours until we unmap it. */
    xt_check("mutual_our_mapping_valid", st_map == GNTST_okay &&
             reads_pattern(va, PEER_REF_KEEP) &&
             xt_probe_write(va + 16, 0x78) == -1 && w[2] == 0x78, NULL);

    /* Every port we had bound to it is unbound (for it) now. */
    rc = wait_unbound(a0, &st);
    rc2 = wait_unbound(cons, &st2);
    xt_check("mutual_ports_unbound", a0 && cons &&
             is_unbound(rc, &st, d) && is_unbound(rc2, &st2, d),
             "rc %ld/%ld status %u/%u", rc, rc2, st.status, st2.status);
    rc = wait_unbound(store, &st);
    rc2 = a0 ? xbh_close(a0) : -9999;
    rc3 = cons ? xbh_close(cons) : -9999;
    xt_check("mutual_close_ports", store && is_unbound(rc, &st, d) &&
             rc2 == 0 && rc3 == 0 && xbh_close(store) == 0,
             "rc %ld close %ld/%ld", rc, rc2, rc3);

    st_map = st_map == GNTST_okay ? ctl_unmap(h, va) : -1;
    xt_check("mutual_unmap", st_map == GNTST_okay &&
             xt_pt_entry(va, 1) == 0, "status %d", st_map);
    for ( i = 0; i < CTL_MAX_POLLS; i++ )
    {
        now = ctl_free_pages();
        if ( now >= baseline )
            break;
        xbh_poll1(ctl_virq_port, CTL_POLL_NS);
        xbh_take_pending(ctl_virq_port);
    }
    xt_check("mutual_memory_returns", baseline && now >= baseline,
             "baseline %lu now %lu", (unsigned long)baseline,
             (unsigned long)now);
    xt_check("mutual_gone", d != DOMID_INVALID &&
             xbh_wait_gone(d, baseline_domains, ctl_virq_port), "%d domains",
             xbh_nr_domains());
}

/* ------------------------------------------------------------------ */

static void phase(void (*fn)(void), const char *name)
{
    uint64_t t0 = xt_system_time();

    fn();
    printf("interdom: %s took %lu ms\n", name,
           (unsigned long)((xt_system_time() - t0) / 1000000));
}

XTEST(interdom, NR_INTERDOM_CHECKS)
{
    ctl_init();
    baseline_domains = xbh_nr_domains();
    phase(event_checks, "event channels");
    phase(grant_checks, "grants");
    phase(teardown_checks, "teardown");
    phase(keep_checks, "destroy while mapped");
    phase(mutual_checks, "destroy with grants both ways");
}
