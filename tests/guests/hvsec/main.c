/*
 * hvsec: hostile checks of issue 12 run from the initial domain, on Xen
 * 4.17 and Xenia alike.
 *
 * dying_* (item 5): a child built with libxbuild, one of its frames
 * kept mapped here, is destroyed: it stays "dying" until we unmap. Event
 * channel operations that would give it a new port (alloc_unbound in it,
 * bind_interdomain to it) must be refused with -EINVAL as Xen 4.17's
 * get_free_port does; a privileged EVTCHNOP_reset of it finds nothing to
 * close (0, as on Xen); a send on whatever we managed to bind must not
 * touch its released shared_info; the domain must still go once the
 * frame is unmapped.
 *
 * iomem_* (item 4): dom0, which may map I/O memory, tries to map RAM that
 * is not its own (the hypervisor's image at 2 MiB, what follows it, free
 * and boot-module frames), found through the M2P and its P2M: every try
 * is refused with -EBUSY, as Xen 4.17 refuses its own and unowned RAM;
 * real I/O memory (VGA) still maps.
 *
 * linear_* (item 2): dom0 links empty pinned L2 tables of its own with
 * read-only L2 entries: one link is fine, but a table that is named may
 * not name another (no cycle, no chain) and one that names may not be
 * named; a 1000-table chain stops at its first link and tears down. Then
 * a domU (hvsecchild) tries the cycle and the chain itself and is
 * destroyed: it must go and give its memory back. Xen 4.17 (pv-linear-pt
 * on, its default) answers -EINVAL to every refused link.
 */
#include "xtpv.h"
#include "../child/child.h"
#include "xbops.h"
#include "dom0.h"

asm ( ".pushsection .rodata.child_elf, \"a\", @progbits\n\t"
      ".balign 4096\n"
      "child_elf_start:\n\t"
      ".incbin \"" CHILD_ELF "\"\n"
      "child_elf_end:\n\t"
      ".popsection" );
extern const uint8_t child_elf_start[], child_elf_end[];

/* The linear-page-table child (tests/guests/hvsecchild). */
asm ( ".pushsection .rodata.hvsecchild_elf, \"a\", @progbits\n\t"
      ".balign 4096\n"
      "hvsecchild_elf_start:\n\t"
      ".incbin \"" HVSECCHILD_ELF "\"\n"
      "hvsecchild_elf_end:\n\t"
      ".popsection" );
extern const uint8_t hvsecchild_elf_start[], hvsecchild_elf_end[];

#define CHILD_MEM_KB    6144
#define CHILD_PAGES     (CHILD_MEM_KB / 4)
#define LCHILD_MEM_KB   16384            /* its 1000 tables, 4 MiB */

enum { SLOT_BUILDER, SLOT_HOLD, NR_SLOTS };
static struct xbh_slot slots[NR_SLOTS];
static evtchn_port_t virq_port;
static int baseline_domains;
static xen_pfn_t p2m_ws[LCHILD_MEM_KB / 4];

static void *op_map(void *o, domid_t dom, xen_pfn_t mfn)
{
    (void)o;
    return xbh_slot_map(&slots[SLOT_BUILDER], dom, mfn, true);
}

static void op_unmap(void *o, void *va)
{
    (void)o;
    (void)va;
    xbh_slot_unmap(&slots[SLOT_BUILDER]);
}

static const struct xb_ops ops = {
    XBH_HYPERCALL_OPS,
    .map_foreign = op_map, .unmap_foreign = op_unmap,
};

static void setup(void)
{
    static bool done;
    struct evtchn_bind_virq bv = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
    unsigned int s;
    long rc;

    if ( done )
        return;
    done = true;
    xt_traps_init();
    for ( s = 0; s < NR_SLOTS; s++ )
        xbh_slot_init(&slots[s]);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    if ( rc )
        xt_error("bind VIRQ_DOM_EXC: %ld", rc);
    virq_port = bv.port;
    xbh_mask(virq_port);
    xbh_take_pending(virq_port);
    baseline_domains = xbh_nr_domains();
}

static int build_child(struct xb_domain *out, bool linear_child)
{
    static char cmdline[64];
    struct xb_config cfg;
    unsigned int i;

    memset(&cfg, 0, sizeof(cfg));
    cfg.kernel = child_elf_start;
    cfg.kernel_size = child_elf_end - child_elf_start;
    cfg.mem_kb = CHILD_MEM_KB;
    if ( linear_child )
    {
        cfg.kernel = hvsecchild_elf_start;
        cfg.kernel_size = hvsecchild_elf_end - hvsecchild_elf_start;
        cfg.mem_kb = LCHILD_MEM_KB;
    }
    cfg.max_vcpus = 1;
    cfg.backend_domid = 0;
    cfg.p2m = p2m_ws;
    cfg.p2m_entries = ARRAY_SIZE(p2m_ws);
    for ( i = 0; i < sizeof(cfg.handle); i++ )
        cfg.handle[i] = 0xc0 + i;
    snprintf(cmdline, sizeof(cmdline), "pages=%u", CHILD_PAGES);
    cfg.cmdline = cmdline;
    return xb_build_pv(&ops, &cfg, out);
}

/* ------------------------------------------------------------------ */
/* Item 5: event channels of a dying domain.                           */

#define NR_EVTCHN_DYING_CHECKS 9

static void evtchn_dying(void)
{
    struct xb_domain out;
    struct xen_domctl_getdomaininfo di = { 0 };
    struct evtchn_alloc_unbound au = { 0 };
    struct evtchn_bind_interdomain bi = { 0 };
    struct evtchn_status st = { 0 };
    struct evtchn_send sd = { 0 };
    evtchn_port_t live_port = 0, new_port = 0;
    domid_t d;
    long rc;
    bool held;

    setup();
    rc = build_child(&out, false);
    d = out.domid;
    if ( rc == 0 )
    {
        /* A port that exists in the child before it dies. */
        au.dom = d;
        au.remote_dom = 0;
        if ( HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0 )
            live_port = au.port;
    }
    held = rc == 0 &&
           xbh_slot_map(&slots[SLOT_HOLD], d, out.console_mfn, false);
    xt_check("dying_build_and_hold_child", rc == 0 && held && live_port,
             "rc %ld (%s) held %d port %u", rc, out.failed_step ?: "-",
             held, live_port);
    if ( rc )
    {
        xt_skip("dying_destroy_leaves_dying", "no child");
        xt_skip("dying_alloc_unbound_refused", "no child");
        xt_skip("dying_reset_harmless", "no child");
        xt_skip("dying_alloc_unbound_remote_dying_ok", "no child");
        xt_skip("dying_bind_interdomain_refused", "no child");
        xt_skip("dying_old_port_closed", "no child");
        xt_skip("dying_send_after_refusals", "no child");
        xt_skip("dying_domain_goes_after_unmap", "no child");
        return;
    }

    rc = xb_destroy(&ops, d);
    {
        long irc = xb_getdomaininfo(&ops, d, &di);

        xt_check("dying_destroy_leaves_dying", rc == 0 && held && irc == 0 &&
                 di.domain == d, "rc %ld info %ld dom %u flags %#x", rc, irc,
                 di.domain, di.flags);
    }

    /* A new port in the dying domain: Xen's get_free_port says -EINVAL. */
    au = (struct evtchn_alloc_unbound){ .dom = d, .remote_dom = 0 };
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    if ( rc == 0 )
        new_port = au.port;
    xt_check("dying_alloc_unbound_refused", rc == -XEN_EINVAL, "rc %ld port %u",
             rc, au.port);

    /*
     * A privileged reset of the dying domain (still paused by us, its
     * builder): Xen 4.17 answers 0, there being no port left to close.
     * Had the alloc_unbound above succeeded, it would close that port and
     * clear its bit in the released shared_info.
     */
    {
        struct evtchn_reset rs = { .dom = d };

        rc = HYPERVISOR_event_channel_op(EVTCHNOP_reset, &rs);
        xt_check("dying_reset_harmless", rc == 0, "rc %ld", rc);
    }

    /* Our own port naming the dying domain as remote is fine (Xen too). */
    au = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = d };
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    xt_check("dying_alloc_unbound_remote_dying_ok", rc == 0, "rc %ld", rc);
    if ( rc == 0 )
        xbh_close(au.port);

    /* Binding to it: to the port it had, or the one just made if any. */
    bi.remote_dom = d;
    bi.remote_port = new_port ? new_port : live_port;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
    xt_check("dying_bind_interdomain_refused", rc == -XEN_EINVAL,
             "rc %ld remote port %u", rc, bi.remote_port);

    st.dom = d;
    st.port = live_port;
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
    xt_check("dying_old_port_closed", rc == 0 && st.status == EVTCHNSTAT_closed,
             "rc %ld status %u", rc, st.status);

    /*
     * Had the bind succeeded, this send would reach the dying domain's
     * released shared_info. Either way the hypervisor must survive it.
     */
    if ( bi.local_port )
    {
        sd.port = bi.local_port;
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &sd);
        xbh_close(bi.local_port);
    }
    else
        rc = 0;
    xt_check("dying_send_after_refusals", rc == 0, "rc %ld bound %u", rc,
             bi.local_port);

    xbh_slot_unmap(&slots[SLOT_HOLD]);
    xt_check("dying_domain_goes_after_unmap",
             xbh_wait_gone(d, baseline_domains, virq_port), "%d domains",
             xbh_nr_domains());
}

/* ------------------------------------------------------------------ */
/* Item 4: dom0 maps the hypervisor's own RAM as I/O memory.           */

#define NR_IOMEM_CHECKS 5

/* Maps mfn (read-only) at the hold slot on behalf of dom; 0 or the error. */
static long try_map(xen_pfn_t mfn, domid_t dom)
{
    struct xbh_slot *s = &slots[SLOT_HOLD];
    struct mmu_update u = {
        .ptr = s->pte | MMU_NORMAL_PT_UPDATE,
        .val = (mfn << 12) | _PAGE_PRESENT | _PAGE_ACCESSED,
    };
    long rc;

    xbh_slot_unmap(s);
    rc = HYPERVISOR_mmu_update(&u, 1, NULL, dom);
    if ( rc == 0 )
    {
        s->mapped = true;
        xbh_slot_unmap(s);
    }
    return rc;
}

/* Is mfn one of ours, by the M2P and our P2M? (Unreadable: assume so.) */
static bool dom0_frame(xen_pfn_t mfn)
{
    uint64_t pfn;

    if ( xt_probe_read((unsigned long)&xt_m2p[mfn], &pfn) >= 0 )
        return true;
    if ( mfn == xt_start_info->shared_info >> 12 )
        return true;
    return pfn < xt_start_info->nr_pages && xt_p2m[pfn] == mfn;
}

/*
 * Tries every step-th frame of [first, last) that is not ours: all must
 * be refused with -EBUSY (Xen: RAM with no owner, or its own). False if
 * one was not, or none was tried.
 */
static bool iomem_refused(const char *check, xen_pfn_t first, xen_pfn_t last,
                          xen_pfn_t step, domid_t dom)
{
    xen_pfn_t mfn, bad = 0;
    unsigned int tried = 0, refused = 0;
    long rc, bad_rc = 0;

    for ( mfn = first; mfn < last; mfn += step )
    {
        if ( dom0_frame(mfn) )
            continue;
        tried++;
        rc = try_map(mfn, dom);
        if ( rc == -XEN_EBUSY )
            refused++;
        else if ( !bad_rc && rc != -XEN_EBUSY )
        {
            bad = mfn;
            bad_rc = rc ?: 1;
        }
    }
    xt_check(check, tried && refused == tried,
             "%u of %u frames in [%#lx, %#lx) refused; first not: %#lx rc %ld",
             refused, tried, (unsigned long)first, (unsigned long)last,
             (unsigned long)bad, bad_rc == 1 ? 0 : bad_rc);
    return tried && refused == tried;
}

static void iomem(void)
{
    long rc, rc_io;

    /* 1-2 MiB: RAM below the image (Xenia: heap, boot modules). */
    iomem_refused("iomem_1m_2m_refused", 0x100, 0x200, 1, DOMID_SELF);
    /* 2-16 MiB: both hypervisors are linked at 2 MiB; Xenia's boot
     * allocator follows its image. */
    iomem_refused("iomem_image_refused", 0x200, 0x1000, 1, DOMID_SELF);
    /* The same through the I/O-memory owner. */
    iomem_refused("iomem_image_as_io_refused", 0x200, 0x1000, 0x10, DOMID_IO);
    /* The rest of RAM (QEMU -m 512): free frames, returned boot modules. */
    iomem_refused("iomem_other_ram_refused", 0x1000, 0x1f000, 0x20,
                  DOMID_SELF);
    /* Real I/O memory below 1 MiB stays mappable for dom0 (VGA). */
    rc = try_map(0xb8, DOMID_SELF);
    rc_io = try_map(0xb8, DOMID_IO);
    xt_check("iomem_vga_mappable", rc == 0 && rc_io == 0, "rc %ld io %ld",
             rc, rc_io);
}

/* ------------------------------------------------------------------ */
/* Item 2: linear page tables (an L2 entry naming another L2).         */

#define NR_LINEAR_CHECKS 12
#define CHAIN_LEN        1000

/* Empty tables of our own, in the image (so in the initial mapping). */
static uint8_t lin_pages[CHAIN_LEN][4096] __attribute__((aligned(4096)));

static uint64_t lin_mfn(unsigned int i)
{
    return xt_virt_to_mfn(lin_pages[i]);
}

/* Entry 'slot' of table i := table j read-only (or cleared, j < 0). */
static long lin_link(unsigned int i, unsigned int slot, int j, uint64_t extra)
{
    uint64_t val = j < 0 ? 0 : (lin_mfn(j) << 12) | _PAGE_PRESENT |
                               _PAGE_ACCESSED | extra;

    return xt_mmu_update1(((lin_mfn(i) << 12) + slot * 8) |
                          MMU_NORMAL_PT_UPDATE, val);
}

static unsigned int lin_pinned;

static bool lin_pin(unsigned int n)
{
    unsigned int i;

    for ( i = lin_pinned = 0; i < n; i++, lin_pinned++ )
        if ( xt_make_ro(lin_pages[i]) ||
             xt_mmuext1(MMUEXT_PIN_L2_TABLE, lin_mfn(i), 0) )
            return false;
    return true;
}

static bool lin_unpin(unsigned int n)
{
    bool ok = true;
    unsigned int i;

    for ( i = 0; i < n; i++ )
        ok &= xt_mmuext1(MMUEXT_UNPIN_TABLE, lin_mfn(i), 0) == 0;
    for ( i = 0; i < n; i++ )
        ok &= xt_make_rw(lin_pages[i]) == 0;
    return ok;
}

static void linear(void)
{
    enum { A, B, C };
    long rc, rc2;
    unsigned int i, links = 0;
    bool ok;

    ok = lin_pin(3);
    rc = ok ? lin_link(A, 0, B, 0) : -1;
    xt_check("linear_one_link_ok", ok && rc == 0, "pinned %d rc %ld", ok, rc);
    /* B is a target: it may not hold a linear entry (A would be a cycle). */
    rc = lin_link(B, 0, A, 0);
    rc2 = lin_link(B, 1, C, 0);
    xt_check("linear_cycle_refused", rc == -XEN_EINVAL && rc2 == -XEN_EINVAL,
             "B->A %ld B->C %ld", rc, rc2);
    /* A holds one: it may not be a target. */
    rc = lin_link(C, 0, A, 0);
    xt_check("linear_holder_not_target", rc == -XEN_EINVAL, "C->A %ld", rc);
    /* Another holder of the same target, and a self-link, are fine. */
    rc = lin_link(C, 1, B, 0);
    rc2 = lin_link(A, 1, A, 0);
    xt_check("linear_second_holder_and_self_ok", rc == 0 && rc2 == 0,
             "C->B %ld A->A %ld", rc, rc2);
    rc = lin_link(C, 2, B, _PAGE_RW);
    xt_check("linear_writable_refused", rc == -XEN_EINVAL, "rc %ld", rc);
    /* Undo, and B may hold one now that nobody names it. */
    rc = lin_link(A, 0, -1, 0) | lin_link(A, 1, -1, 0) | lin_link(C, 1, -1, 0);
    rc2 = lin_link(B, 0, A, 0);
    xt_check("linear_counts_drop", rc == 0 && rc2 == 0, "clear %ld B->A %ld",
             rc, rc2);
    /* Clear whatever a wrong answer above left linked. */
    for ( i = 0; i < 9; i++ )
        lin_link(i / 3, i % 3, -1, 0);
    xt_check("linear_unpin", lin_unpin(3), NULL);

    /*
     * A chain: table i+1 names table i. Unpinned from its tail, the last
     * unpin drops the whole chain at once (Xenia recursed once per link
     * and overflowed its stack). Xen stops the chain at its second link.
     */
    ok = lin_pin(CHAIN_LEN);
    if ( !ok )
        printf("hvsec: pinning the chain failed at table %u\n", lin_pinned);
    for ( i = 1; ok && i < CHAIN_LEN; i++ )
    {
        if ( lin_link(i, 0, i - 1, 0) )
            break;
        links++;
    }
    xt_check("linear_chain_refused", ok && links == 1, "pinned %d, %u links",
             ok, links);
    xt_check("linear_chain_teardown", lin_unpin(CHAIN_LEN), "%u links",
             links);
}

/*
 * A domU links its tables into a cycle and a chain (hvsecchild), powers
 * off and is destroyed: it must go and give its memory back.
 */
static void linear_child(void)
{
    struct xb_domain out;
    struct xen_domctl_getdomaininfo di = { 0 };
    uint64_t before, after;
    unsigned long i;
    bool down = false;
    long rc;

    xbh_wait_gone(DOMID_INVALID, baseline_domains, virq_port);
    before = xbh_settled_free_pages(virq_port, 20);
    rc = build_child(&out, true);
    if ( rc == 0 )
        rc = xb_unpause(&ops, out.domid);
    for ( i = 0; rc == 0 && i < XBH_MAX_POLLS && !down; i++ )
    {
        down = xb_getdomaininfo(&ops, out.domid, &di) == 0 &&
               di.domain == out.domid && (di.flags & XEN_DOMINF_shutdown);
        if ( !down )
            xbh_poll1(virq_port, XBH_POLL_NS);
        xbh_take_pending(virq_port);
    }
    /* It powers off when its links were answered as on Xen, else reboots. */
    xt_check("linear_child_links_refused", rc == 0 && down &&
             xb_shutdown_reason(&di) == SHUTDOWN_poweroff,
             "rc %ld (%s) flags %#x", rc, out.failed_step ?: "-", di.flags);
    rc = rc == 0 ? xb_destroy(&ops, out.domid) : rc;
    xt_check("linear_child_destroyed", rc == 0 &&
             xbh_wait_gone(out.domid, baseline_domains, virq_port),
             "rc %ld, %d domains", rc, xbh_nr_domains());
    after = xbh_settled_free_pages(virq_port, 20);
    /* A page or two of slack: Xen keeps some on first uses. */
    xt_check("linear_child_memory_back", before && after + 4 >= before,
             "before %lu after %lu", (unsigned long)before,
             (unsigned long)after);
}

XTEST(hvsec, NR_EVTCHN_DYING_CHECKS + NR_IOMEM_CHECKS + NR_LINEAR_CHECKS)
{
    setup();
    evtchn_dying();
    iomem();
    linear();
    linear_child();
}
