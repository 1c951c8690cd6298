/*
 * partner.c: the second vCPU of the fuzzer (the SMP shape, fuzz_shapes
 * bit 16).
 *
 * While vCPU 0 makes the random calls of gen.c, vCPU 1 runs this loop:
 * calls of its own, from a generator of its own, aimed at the objects
 * the two vCPUs share and the hypervisor must keep consistent when two
 * of them change at once: the type and reference counts of sacrificial
 * frames (mapped writable, mapped read-only, pinned as L1 or L2 tables,
 * and written through as tables), entries of the window's L1, the
 * domain's event channels (bound, sent, moved between vCPUs, closed),
 * grant entries it maps while it rewrites them, multicalls of these,
 * and long mmu_update batches (preemption and continuation while the
 * other vCPU changes the same tables).  vCPU 0's own calls hit the same
 * frames, ports and grants through gen.c's picks.
 *
 * What it must not touch is what it lives on: it names only sacrificial
 * frames (past the initial mapping), window slots FZ_PT_FIRST_SLOT and
 * up (vCPU 0's linear-PT shape uses slot 511 to write tables), ports it
 * allocated itself, and grant refs FZ_PT_FIRST_REF and up.  Its events
 * stay masked; it never touches what it maps.  It stops when vCPU 0
 * leaves the run phase, and retires early if vCPU 0 makes no progress
 * for a long while (so that a vCPU 0 that blocked itself for good is
 * seen asleep by the parent).
 *
 * Rules of a secondary (lib/smp.h): no printf, no xt_check; counters in
 * the status page, which vCPU 0 reports.
 */
#include "fuzzchild.h"

#include <public/memory.h>

#define FZ_PT_FIRST_SLOT 384           /* window slots 384..510 are ours */
#define FZ_PT_SLOTS      127
#define FZ_PT_FIRST_REF  448           /* grant refs 448..511 are ours   */
#define FZ_PT_REFS       64
#define FZ_PT_PORTS      24
#define FZ_PT_MAPS       8
#define FZ_PT_BATCH      1024          /* the longest mmu_update batch   */
#define FZ_PT_RETIRE_NS  5000000000UL  /* vCPU 0 still this long: retire */

#define PT_RO (_PAGE_PRESENT | _PAGE_ACCESSED)
#define PT_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

static uint64_t prng;
static struct mmu_update batch[FZ_PT_BATCH];
static struct multicall_entry mc[6];
static uint8_t scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static evtchn_port_t ports[FZ_PT_PORTS];
static unsigned int nr_ports;
static struct { grant_handle_t handle; uint64_t va; bool used; }
    maps[FZ_PT_MAPS];

static uint64_t prand(void)
{
    prng ^= prng >> 12;
    prng ^= prng << 25;
    prng ^= prng >> 27;
    return prng * 0x2545f4914f6cdd1dUL;
}

static uint64_t prnd(uint64_t n)
{
    return n ? prand() % n : 0;
}

/* A frame past the initial mapping: nothing of ours lives there. */
static uint64_t psac(void)
{
    uint64_t n = fz.nr_pages > fz.map_end_pfn ?
                 fz.nr_pages - fz.map_end_pfn : 0;
    uint64_t mfn = n ? xt_p2m[fz.map_end_pfn + prnd(n)] : 0;

    return mfn && !fz_mfn_protected(mfn) ? mfn : 0;
}

static unsigned long slot_va(unsigned int i)
{
    return fz.win_va + (FZ_PT_FIRST_SLOT + i) * PAGE_SIZE;
}

static uint64_t slot_pte_ma(unsigned int i)
{
    return (fz.win_l1_mfn << 12) + (FZ_PT_FIRST_SLOT + i) * 8;
}

/* A value for a window PTE: empty, a sacrificial frame read-only or
 * writable. */
static uint64_t pte_val(void)
{
    uint64_t mfn = psac();

    if ( !mfn || prnd(4) == 0 )
        return 0;
    return (mfn << 12) | (prnd(2) ? PT_RW : PT_RO);
}

static long p_mmu_update(void)
{
    unsigned int n = 1 + prnd(16), i;
    unsigned int done = 0;

    /* Long batches now and then: preempted while vCPU 0 changes them. */
    if ( (fz.shapes & FZ_SHAPE_HUGE) && prnd(16) == 0 )
        n = 256 + prnd(FZ_PT_BATCH - 256);
    for ( i = 0; i < n; i++ )
    {
        uint64_t mfn = prnd(8) ? 0 : psac();

        if ( mfn )
        {
            /* An entry of a frame that may be an L1 table just now. */
            batch[i].ptr = (mfn << 12) + prnd(512) * 8;
            batch[i].val = pte_val();
        }
        else
        {
            batch[i].ptr = slot_pte_ma(prnd(FZ_PT_SLOTS));
            batch[i].val = pte_val();
        }
    }
    return HYPERVISOR_mmu_update(batch, n, &done, DOMID_SELF);
}

static long p_update_va(void)
{
    static const unsigned long fl[] = {
        UVMF_INVLPG, UVMF_INVLPG | UVMF_ALL, UVMF_TLB_FLUSH | UVMF_ALL,
        UVMF_TLB_FLUSH, UVMF_NONE,
    };

    return HYPERVISOR_update_va_mapping(slot_va(prnd(FZ_PT_SLOTS)),
                                        pte_val(), fl[prnd(5)]);
}

static long p_mmuext(void)
{
    static const unsigned int pin[] = {
        MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
        MMUEXT_UNPIN_TABLE, MMUEXT_UNPIN_TABLE,
    };
    struct mmuext_op *op = (struct mmuext_op *)scratch;
    unsigned int n = 1 + prnd(6), i, done = 0;

    for ( i = 0; i < n; i++ )
    {
        memset(&op[i], 0, sizeof(op[i]));
        switch ( prnd(4) )
        {
        case 0:
        case 1:
            op[i].cmd = pin[prnd(ARRAY_SIZE(pin))];
            op[i].arg1.mfn = psac();
            break;
        case 2:
            op[i].cmd = MMUEXT_INVLPG_ALL;
            op[i].arg1.linear_addr = slot_va(prnd(FZ_PT_SLOTS));
            break;
        default:
            op[i].cmd = prnd(2) ? MMUEXT_TLB_FLUSH_ALL : MMUEXT_TLB_FLUSH_LOCAL;
            break;
        }
    }
    return HYPERVISOR_mmuext_op(op, n, &done, DOMID_SELF);
}

static void forget_port(unsigned int i)
{
    ports[i] = ports[--nr_ports];
}

static long p_evtchn(void)
{
    domid_t self = fz.self;
    unsigned int i = prnd(nr_ports ?: 1);
    evtchn_port_t p = nr_ports ? ports[i] : 0;
    long rc;

    switch ( prnd(nr_ports < FZ_PT_PORTS ? 8 : 6) )
    {
    case 0:
    {
        struct evtchn_send s = { .port = p };

        return nr_ports ? HYPERVISOR_event_channel_op(EVTCHNOP_send, &s) : 0;
    }
    case 1:
    {
        struct evtchn_close c = { .port = p };

        if ( !nr_ports )
            return 0;
        forget_port(i);
        return HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
    }
    case 2:
    {
        struct evtchn_bind_vcpu b = { .port = p, .vcpu = prnd(2) };

        return nr_ports ? HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &b)
                        : 0;
    }
    case 3:
    {
        struct evtchn_unmask u = { .port = p };

        /* Our vCPU keeps its events masked: nothing is delivered. */
        return nr_ports ? HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u)
                        : 0;
    }
    case 4:
    {
        struct evtchn_status st = { .dom = DOMID_SELF, .port = p };

        return HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
    }
    case 5:
    {
        /* Loop back to an unbound port of ours, if that one is. */
        struct evtchn_bind_interdomain b = { .remote_dom = self,
                                             .remote_port = p };

        if ( !nr_ports || nr_ports >= FZ_PT_PORTS || self == DOMID_SELF )
            return 0;
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);
        if ( rc == 0 )
            ports[nr_ports++] = b.local_port;
        return rc;
    }
    case 6:
    {
        struct evtchn_alloc_unbound au = {
            .dom = DOMID_SELF, .remote_dom = prnd(2) ? self : 0 };

        rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
        if ( rc == 0 )
            ports[nr_ports++] = au.port;
        return rc;
    }
    default:
    {
        struct evtchn_bind_ipi b = { .vcpu = prnd(2) };

        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &b);
        if ( rc == 0 )
            ports[nr_ports++] = b.port;
        return rc;
    }
    }
}

/* Rewrite one of our grant entries: a sacrificial frame, maybe read-only,
 * maybe revoked. */
static void p_grant_entry(unsigned int ref)
{
    struct grant_entry_v1 *e = &fz.gnt_table[ref];
    uint64_t mfn = psac();

    if ( prnd(4) == 0 || !mfn )
    {
        __atomic_store_n(&e->flags, 0, __ATOMIC_SEQ_CST);
        return;
    }
    e->domid = fz.self;
    e->frame = mfn;
    barrier();
    __atomic_store_n(&e->flags, GTF_permit_access |
                     (prnd(2) ? GTF_readonly : 0), __ATOMIC_SEQ_CST);
}

static long p_grant(void)
{
    unsigned int ref = FZ_PT_FIRST_REF + prnd(FZ_PT_REFS);
    unsigned int m = prnd(FZ_PT_MAPS);
    long rc;

    if ( !fz.gnt_table || fz.self == DOMID_SELF )
        return 0;
    switch ( prnd(4) )
    {
    case 0:
        p_grant_entry(ref);
        return 0;
    case 1:
    {
        struct gnttab_map_grant_ref mg = {
            .host_addr = slot_va(FZ_PT_SLOTS - 1 - m),
            .flags = GNTMAP_host_map | (prnd(2) ? GNTMAP_readonly : 0),
            .ref = ref, .dom = fz.self };

        if ( maps[m].used )
            return 0;
        rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, &mg, 1,
                0, 0);
        if ( rc == 0 && mg.status == GNTST_okay )
        {
            maps[m].used = true;
            maps[m].handle = mg.handle;
            maps[m].va = mg.host_addr;
        }
        return rc ?: mg.status;
    }
    case 2:
    {
        struct gnttab_unmap_grant_ref ug = { .host_addr = maps[m].va,
                                             .handle = maps[m].handle };

        if ( !maps[m].used )
            return 0;
        rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, &ug,
                1, 0, 0);
        /* Whatever it says: the handle may have gone with vCPU 0's calls. */
        maps[m].used = false;
        return rc ?: ug.status;
    }
    default:
    {
        struct gnttab_copy c = {
            .source = { .u.ref = ref, .domid = fz.self,
                        .offset = prnd(4096) & ~7 },
            .dest = { .u.gmfn = xt_virt_to_mfn(scratch + 0),
                      .domid = DOMID_SELF, .offset = 2048 },
            .len = 8 + prnd(2040), .flags = GNTCOPY_source_gref };

        if ( c.source.offset + c.len > PAGE_SIZE )
            c.len = PAGE_SIZE - c.source.offset;
        rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_copy, &c, 1, 0, 0);
        return rc ?: c.status;
    }
    }
}

/* A multicall of window updates and event sends, now and then. */
static long p_multicall(void)
{
    unsigned int n = 2 + prnd(ARRAY_SIZE(mc) - 1), i;
    static struct evtchn_send s;

    s.port = nr_ports ? ports[prnd(nr_ports)] : 0;
    for ( i = 0; i < n; i++ )
    {
        memset(&mc[i], 0, sizeof(mc[i]));
        if ( prnd(3) )
        {
            mc[i].op = __HYPERVISOR_update_va_mapping;
            mc[i].args[0] = slot_va(prnd(FZ_PT_SLOTS));
            mc[i].args[1] = pte_val();
            mc[i].args[2] = prnd(2) ? UVMF_INVLPG : UVMF_TLB_FLUSH | UVMF_ALL;
        }
        else
        {
            mc[i].op = __HYPERVISOR_event_channel_op;
            mc[i].args[0] = EVTCHNOP_send;
            mc[i].args[1] = (unsigned long)&s;
        }
    }
    return HYPERVISOR_multicall(mc, n);
}

static long p_vcpu(void)
{
    struct vcpu_runstate_info *ri = (struct vcpu_runstate_info *)scratch;

    if ( prnd(2) )
        return HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    /* The other vCPU's state while it runs. */
    return HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, ri);
}

/* Put back what we hold: our mappings and ports. */
static void p_cleanup(void)
{
    unsigned int m;

    for ( m = 0; m < FZ_PT_MAPS; m++ )
        if ( maps[m].used )
        {
            struct gnttab_unmap_grant_ref ug = { .host_addr = maps[m].va,
                                                 .handle = maps[m].handle };

            HC(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, &ug, 1,
               0, 0);
            maps[m].used = false;
        }
    while ( nr_ports )
    {
        struct evtchn_close c = { .port = ports[0] };

        HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
        forget_port(0);
    }
}

void fz_partner(void *arg)
{
    volatile struct fz_status *st = arg;
    uint64_t last_done = st->done, since = xt_system_time();
    struct vcpu_info *vi = xt_smp_vcpu_info();
    bool retire = false;

    if ( vi )
        vi->evtchn_upcall_mask = 1;
    if ( !prng )
        prng = (st->seed ^ 0x7061727477e5UL) | 1;
    while ( st->phase == FZ_PHASE_RUN && !retire )
    {
        long rc;

        switch ( prnd(16) )
        {
        case 0: case 1: case 2:
            rc = p_mmu_update();
            break;
        case 3: case 4: case 5:
            rc = p_update_va();
            break;
        case 6: case 7:
            rc = p_mmuext();
            break;
        case 8: case 9: case 10:
            rc = p_evtchn();
            break;
        case 11: case 12: case 13:
            rc = p_grant();
            break;
        case 14:
            rc = p_multicall();
            break;
        default:
            rc = p_vcpu();
            break;
        }
        st->partner_calls++;
        if ( rc >= 0 )
            st->partner_ok++;
        if ( st->done != last_done )
        {
            last_done = st->done;
            since = xt_system_time();
        }
        else
            retire = xt_system_time() - since > FZ_PT_RETIRE_NS;
    }
    p_cleanup();
    /*
     * vCPU 0 stopped moving (it may have blocked itself for good): go
     * down, so that the parent sees every vCPU of ours asleep.  vCPU 0
     * brings us up again if it goes on (then we return to the idle
     * loop and it posts us anew).
     */
    if ( retire )
        xt_vcpu_down(1);
}
