/*
 * fifo: the FIFO event-channel ABI (EVTCHNOP_init_control, expand_array,
 * set_priority) in the initial domain, on VCPUs 0 and 1.
 *
 *  twolevel  before the switch: expand_array -EOPNOTSUPP, set_priority
 *            -ENOSYS (the 2-level ABI has no priorities); a masked IPI
 *            port is left pending to see it carried over.
 *  init      init_control's errors: no such VCPU -ENOENT; offset
 *            misaligned or the block past the page end, a frame that is
 *            not ours, a page table: -EINVAL; the domain stays 2-level.
 *            Then VCPU 0 (offset 0) and VCPU 1 (the last offset that fits,
 *            in the same page) switch it: link_bits 17; a second
 *            init_control on a VCPU -EINVAL.
 *  carry     with no event-array page a raised port is remembered; the
 *            first page brings the 2-level pending port in as PENDING
 *            (still MASKED: the guest masked every word); unmask links it.
 *  deliver   send: PENDING and LINKED, head[7], ready bit 7, the upcall;
 *            our consumer (Linux's protocol) takes it; several ports keep
 *            their order through the LINK fields; a higher priority is
 *            delivered first; a masked port is not linked and
 *            EVTCHNOP_unmask delivers it; set_priority's errors.
 *  kinds     loopback interdomain both ways, VIRQ_TIMER, an IPI to VCPU 1,
 *            an interdomain port moved to VCPU 1 and back (bind_vcpu).
 *  expand    a port past the event array can be bound and raised; the page
 *            that covers it brings the events in (both ends of a loopback
 *            channel: binding raises the new local end, as in Xen).
 *  hostile   nothing consumes while the guest writes cycles, garbage LINK
 *            fields, BUSY bits and queue heads into its own array and
 *            control blocks, and sends, unmasks, re-prioritises and moves
 *            ports: every call returns; after the guest clears its array
 *            events flow again.
 *  limits    expand_array with the same page until it stops: 128 pages,
 *            then -ENOSPC.
 *  reset     EVTCHNOP_reset goes back to 2-level (expand_array
 *            -EOPNOTSUPP, pending bits in shared_info again); FIFO can
 *            then be set up afresh, and stays set up for the poweroff (the
 *            frame audit sees its pages released).
 *
 * Expected values are Xen 4.17's (common/event_channel.c,
 * common/event_fifo.c). The waits are guards against hangs only.
 */
#include "smp.h"

#define WORDS         (PAGE_SIZE / sizeof(event_word_t))
#define W_PENDING     (1U << EVTCHN_FIFO_PENDING)
#define W_MASKED      (1U << EVTCHN_FIFO_MASKED)
#define W_LINKED      (1U << EVTCHN_FIFO_LINKED)
#define W_BUSY        (1U << EVTCHN_FIFO_BUSY)
#define PRIO_DEF      EVTCHN_FIFO_PRIORITY_DEFAULT
#define CB1_OFFSET    (PAGE_SIZE - sizeof(evtchn_fifo_control_block_t))

static uint8_t *ctl_page;
static evtchn_fifo_control_block_t *volatile cb[XT_MAX_CPUS];
static event_word_t *arr, *arr2;      /* event array pages 0 and 1 */
static uint32_t local_head[XT_MAX_CPUS][EVTCHN_FIFO_MAX_QUEUES];
static volatile bool consuming = true;
static xt_trap_hook_t twolevel_hook;
static unsigned int nr;

#define LOG_MAX 64
static volatile unsigned int log_n;
static volatile unsigned int log_port[LOG_MAX], log_cpu[LOG_MAX];
static volatile unsigned long bogus;

static volatile event_word_t *word(unsigned int port)
{
    if ( port < WORDS )
        return &arr[port];
    if ( port < 2 * WORDS && arr2 )
        return &arr2[port - WORDS];
    return NULL;
}

static void record(unsigned int port, unsigned int cpu)
{
    unsigned int i = __atomic_fetch_add(&log_n, 1, __ATOMIC_SEQ_CST);

    if ( i < LOG_MAX )
    {
        log_port[i] = port;
        log_cpu[i] = cpu;
    }
}

static bool logged(unsigned int port, unsigned int cpu)
{
    unsigned int i;

    for ( i = 0; i < log_n && i < LOG_MAX; i++ )
        if ( log_port[i] == port && log_cpu[i] == cpu )
            return true;
    return false;
}

/* ---- the guest side of the protocol (as Linux's events_fifo.c) ------ */

static uint32_t clear_linked(volatile event_word_t *w)
{
    event_word_t old = *w, new;

    do {
        new = old & ~(W_LINKED | EVTCHN_FIFO_LINK_MASK);
    } while ( !__atomic_compare_exchange_n(w, &old, new, false,
                                           __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST) );
    return old & EVTCHN_FIFO_LINK_MASK;
}

static void consume_one(unsigned int cpu, unsigned int q, uint32_t *ready)
{
    uint32_t head = local_head[cpu][q], port;
    volatile event_word_t *w;

    if ( !head )
        head = ACCESS_ONCE(cb[cpu]->head[q]);
    port = head;
    w = word(port);
    if ( !port || !w )
    {
        bogus++;
        *ready &= ~(1U << q);
        local_head[cpu][q] = 0;
        return;
    }
    head = clear_linked(w);
    if ( !head )
        *ready &= ~(1U << q);
    if ( (*w & W_PENDING) && !(*w & W_MASKED) &&
         (__atomic_fetch_and(w, ~W_PENDING, __ATOMIC_SEQ_CST) & W_PENDING) )
        record(port, cpu);
    local_head[cpu][q] = head;
}

static bool fifo_upcall(struct xt_regs *regs)
{
    unsigned int cpu = xt_smp_id(), budget = 4096;
    struct vcpu_info *vi = xt_cpus[cpu].vi;

    (void)regs;
    while ( ACCESS_ONCE(vi->evtchn_upcall_pending) )
    {
        uint32_t ready;

        vi->evtchn_upcall_pending = 0;
        if ( !cb[cpu] || !consuming )
            continue;
        ready = __atomic_exchange_n(&cb[cpu]->ready, 0, __ATOMIC_SEQ_CST);
        while ( ready && budget-- )
        {
            consume_one(cpu, __builtin_ctz(ready), &ready);
            ready |= __atomic_exchange_n(&cb[cpu]->ready, 0,
                                         __ATOMIC_SEQ_CST);
        }
    }
    return true;
}

/* ---- hypercall wrappers ----------------------------------------------- */

static long init_control(uint64_t gfn, uint32_t offset, uint32_t vcpu,
                         uint8_t *link_bits)
{
    struct evtchn_init_control ic = {
        .control_gfn = gfn, .offset = offset, .vcpu = vcpu,
    };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic);

    if ( link_bits )
        *link_bits = ic.link_bits;
    return rc;
}

static long expand(uint64_t gfn)
{
    struct evtchn_expand_array ea = { .array_gfn = gfn };

    return HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ea);
}

static long set_priority(unsigned int port, unsigned int prio)
{
    struct evtchn_set_priority sp = { .port = port, .priority = prio };

    return HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &sp);
}

static long bind_ipi(unsigned int vcpu)
{
    struct evtchn_bind_ipi bi = { .vcpu = vcpu };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi);

    return rc ? rc : (long)bi.port;
}

static long alloc_unbound_self(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
                                       .remote_dom = DOMID_SELF };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);

    return rc ? rc : (long)au.port;
}

static long bind_loopback(unsigned int remote)
{
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF,
                                          .remote_port = remote };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);

    return rc ? rc : (long)bi.local_port;
}

static long unmask_op(unsigned int port)
{
    struct evtchn_unmask um = { .port = port };

    return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um);
}

static long bind_vcpu(unsigned int port, unsigned int vcpu)
{
    struct evtchn_bind_vcpu bv = { .port = port, .vcpu = vcpu };

    return HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv);
}

static long reset_self(void)
{
    struct evtchn_reset r = { .dom = DOMID_SELF };

    return HYPERVISOR_event_channel_op(EVTCHNOP_reset, &r);
}

static uint64_t mfn_of(const void *va)
{
    return xt_virt_to_mfn(va);
}

static void word_clear_mask(unsigned int port)
{
    __atomic_fetch_and(word(port), ~W_MASKED, __ATOMIC_SEQ_CST);
}

/* Events on for VCPU 0 (the upcall consumes), then off again. */
static void deliver_now(void)
{
    xt_events_enable();
    xt_events_disable();
}

/* ---- sections --------------------------------------------------------- */

static long carried;        /* IPI port pending under 2-level */

static void section_twolevel(void)
{
    struct shared_info *s = xt_shared_info;
    long rc;

    xt_check_rc("expand_before_init", expand(mfn_of(ctl_page)),
                -XEN_EOPNOTSUPP);
    carried = bind_ipi(0);
    xt_check("bind_carried", carried > 0, "port %ld", carried);
    if ( carried <= 0 )
        return;
    xt_check_rc("set_priority_2level", set_priority(carried, 3),
                -XEN_ENOSYS);
    __atomic_fetch_or(&s->evtchn_mask[carried / 64], 1UL << (carried % 64),
                      __ATOMIC_SEQ_CST);
    rc = xt_evtchn_send(carried);
    xt_check("pending_2level", !rc && ((s->evtchn_pending[carried / 64] >>
                                        (carried % 64)) & 1),
             "send %ld", rc);
}

static void section_init(void)
{
    uint64_t ctl = mfn_of(ctl_page);
    uint64_t l4 = mfn_of((void *)xt_start_info->pt_base);
    uint64_t l1 = xt_pt_entry_maddr((unsigned long)ctl_page, 1) >> 12;
    uint8_t bits = 0;
    long rc, rc2;

    rc = init_control(ctl, 0, nr, NULL);
    rc2 = init_control(ctl, 0, ~0U, NULL);
    xt_check("init_bad_vcpu", rc == -XEN_ENOENT && rc2 == -XEN_ENOENT,
             "vcpu %u: %ld, vcpu ~0: %ld", nr, rc, rc2);
    xt_check_rc("init_misaligned", init_control(ctl, 4, 0, NULL),
                -XEN_EINVAL);
    rc = init_control(ctl, CB1_OFFSET + 8, 0, NULL);
    rc2 = init_control(ctl, ~7U, 0, NULL);
    xt_check("init_past_page", rc == -XEN_EINVAL && rc2 == -XEN_EINVAL,
             "offset %lu: %ld, offset %#x: %ld",
             (unsigned long)CB1_OFFSET + 8, rc, ~7U, rc2);
    rc = init_control(1UL << 40, 0, 0, NULL);
    rc2 = init_control(0, 0, 0, NULL);
    xt_check("init_bad_gfn", rc == -XEN_EINVAL && rc2 == -XEN_EINVAL,
             "gfn 2^40: %ld, gfn 0: %ld", rc, rc2);
    rc = init_control(l4, 0, 0, NULL);
    rc2 = init_control(l1, 0, 0, NULL);
    xt_check("init_page_table", rc == -XEN_EINVAL && rc2 == -XEN_EINVAL,
             "L4: %ld, L1: %ld", rc, rc2);
    xt_check_rc("still_2level", expand(mfn_of(arr)), -XEN_EOPNOTSUPP);

    xt_events_disable();
    rc = init_control(ctl, 0, 0, &bits);
    xt_check("init_vcpu0", rc == 0 && bits == EVTCHN_FIFO_LINK_BITS,
             "rc %ld link_bits %u", rc, bits);
    if ( rc )
        return;
    cb[0] = (void *)ctl_page;
    twolevel_hook = xt_event_hook;
    xt_event_hook = fifo_upcall;
    xt_check_rc("init_vcpu0_again", init_control(ctl, 512, 0, NULL),
                -XEN_EINVAL);
    rc = init_control(ctl, CB1_OFFSET, 1, NULL);
    xt_check_rc("init_vcpu1_last_offset", rc, 0);
    if ( !rc )
        cb[1] = (void *)(ctl_page + CB1_OFFSET);
    xt_check_rc("init_vcpu1_again", init_control(ctl, 0, 1, NULL),
                -XEN_EINVAL);
    rc = expand(1UL << 40);
    rc2 = expand(l4);
    xt_check("expand_bad_gfn", rc == -XEN_EINVAL && rc2 == -XEN_EINVAL,
             "gfn 2^40: %ld, L4: %ld", rc, rc2);
}

static void section_carry(void)
{
    volatile evtchn_fifo_control_block_t *c = cb[0];
    unsigned int i;
    long rc;

    if ( !c || carried <= 0 )
    {
        xt_skip("no_array_send", "no FIFO");
        xt_skip("carried_over", "no FIFO");
        xt_skip("unmask_links", "no FIFO");
        xt_skip("carried_delivered", "no FIFO");
        return;
    }
    rc = xt_evtchn_send(carried);
    xt_check("no_array_send", rc == 0 && c->ready == 0 &&
             c->head[PRIO_DEF] == 0,
             "send %ld ready %#x head %u", rc, c->ready, c->head[PRIO_DEF]);
    for ( i = 0; i < WORDS; i++ )
        arr[i] = W_MASKED;
    rc = expand(mfn_of(arr));
    xt_check("carried_over", rc == 0 && arr[carried] == (W_PENDING | W_MASKED),
             "expand %ld word %#x", rc, arr[carried]);
    rc = unmask_op(carried);
    xt_check("unmask_links", rc == 0 &&
             arr[carried] == (W_PENDING | W_LINKED) &&
             c->head[PRIO_DEF] == carried &&
             c->ready == (1U << PRIO_DEF) &&
             xt_cpus[0].vi->evtchn_upcall_pending,
             "unmask %ld word %#x head %u ready %#x upcall %u", rc,
             arr[carried], c->head[PRIO_DEF], c->ready,
             xt_cpus[0].vi->evtchn_upcall_pending);
    deliver_now();
    xt_check("carried_delivered", logged(carried, 0) &&
             arr[carried] == 0, "log %u word %#x", log_n, arr[carried]);
}

static long pa, pb, pd;

static void section_deliver(void)
{
    volatile evtchn_fifo_control_block_t *c = cb[0];
    unsigned int n;
    long rc, rc2, rc3;

    pa = bind_ipi(0);
    pb = bind_ipi(0);
    pd = bind_ipi(0);
    if ( !c || pa <= 0 || pb <= 0 || pd <= 0 || (unsigned long)pd >= WORDS )
    {
        xt_error("no FIFO or ports: %ld %ld %ld", pa, pb, pd);
        return;
    }
    word_clear_mask(pa);
    word_clear_mask(pb);
    word_clear_mask(pd);

    rc = xt_evtchn_send(pa);
    xt_check("send_links", rc == 0 && arr[pa] == (W_PENDING | W_LINKED) &&
             c->head[PRIO_DEF] == pa && c->ready == (1U << PRIO_DEF) &&
             xt_cpus[0].vi->evtchn_upcall_pending,
             "send %ld word %#x head %u ready %#x", rc, arr[pa],
             c->head[PRIO_DEF], c->ready);
    n = log_n;
    deliver_now();
    xt_check("delivered", log_n == n + 1 && log_port[n] == pa &&
             arr[pa] == 0 && c->ready == 0,
             "log %u->%u word %#x ready %#x", n, log_n, arr[pa], c->ready);

    xt_evtchn_send(pa);
    xt_evtchn_send(pb);
    xt_evtchn_send(pd);
    xt_check("queue_links", c->head[PRIO_DEF] == pa &&
             (arr[pa] & EVTCHN_FIFO_LINK_MASK) == pb &&
             (arr[pb] & EVTCHN_FIFO_LINK_MASK) == pd &&
             arr[pd] == (W_PENDING | W_LINKED),
             "head %u words %#x %#x %#x", c->head[PRIO_DEF], arr[pa],
             arr[pb], arr[pd]);
    n = log_n;
    deliver_now();
    xt_check("fifo_order", log_n == n + 3 && log_port[n] == pa &&
             log_port[n + 1] == pb && log_port[n + 2] == pd,
             "%u events: %u %u %u", log_n - n, log_port[n],
             log_port[n + 1], log_port[n + 2]);

    rc = set_priority(pb, 2);
    rc2 = set_priority(pd, 12);
    xt_check("set_priority", rc == 0 && rc2 == 0, "%ld %ld", rc, rc2);
    xt_evtchn_send(pd);
    xt_evtchn_send(pb);
    xt_check("ready_bits", c->ready == ((1U << 2) | (1U << 12)) &&
             c->head[2] == pb && c->head[12] == pd,
             "ready %#x head[2] %u head[12] %u", c->ready, c->head[2],
             c->head[12]);
    n = log_n;
    deliver_now();
    xt_check("priority_order", log_n == n + 2 && log_port[n] == pb &&
             log_port[n + 1] == pd, "%u events: %u %u", log_n - n,
             log_port[n], log_port[n + 1]);

    rc = set_priority(pa, EVTCHN_FIFO_MAX_QUEUES);
    rc2 = set_priority(pa, ~0U);
    xt_check("priority_out_of_range", rc == -XEN_EINVAL &&
             rc2 == -XEN_EINVAL, "16: %ld, ~0: %ld", rc, rc2);
    rc = set_priority(EVTCHN_FIFO_NR_CHANNELS, 1);
    rc2 = set_priority(~0U, 1);
    xt_check("priority_bad_port", rc == -XEN_EINVAL && rc2 == -XEN_EINVAL,
             "2^17: %ld, ~0: %ld", rc, rc2);
    rc = set_priority(pb, 0);
    rc2 = set_priority(pd, EVTCHN_FIFO_PRIORITY_MIN);
    rc3 = set_priority(pa, PRIO_DEF);
    xt_check("priority_bounds", !rc && !rc2 && !rc3, "0: %ld, 15: %ld, "
             "7: %ld", rc, rc2, rc3);
    set_priority(pb, PRIO_DEF);
    set_priority(pd, PRIO_DEF);

    __atomic_fetch_or(&arr[pa], W_MASKED, __ATOMIC_SEQ_CST);
    rc = xt_evtchn_send(pa);
    xt_check("masked_not_linked", rc == 0 &&
             arr[pa] == (W_PENDING | W_MASKED) && c->ready == 0,
             "send %ld word %#x ready %#x", rc, arr[pa], c->ready);
    n = log_n;
    deliver_now();
    xt_check("masked_not_delivered", log_n == n, "%u events", log_n - n);
    xt_events_enable();
    rc = unmask_op(pa);
    xt_events_disable();
    xt_check("unmask_redelivers", rc == 0 && log_n == n + 1 &&
             log_port[n] == pa && arr[pa] == 0, "unmask %ld, %u events, "
             "word %#x", rc, log_n - n, arr[pa]);
    rc = unmask_op(pb);
    xt_check("unmask_idle", rc == 0 && arr[pb] == 0 && c->ready == 0,
             "unmask %ld word %#x ready %#x", rc, arr[pb], c->ready);
    xt_check_rc("unmask_bad_port", unmask_op(EVTCHN_FIFO_NR_CHANNELS),
                -XEN_EINVAL);
}

static long la, lb;

static void section_kinds(void)
{
    long t, i1, rc;
    unsigned int n;
    bool ok;

    la = alloc_unbound_self();
    lb = la > 0 ? bind_loopback(la) : la;
    if ( !cb[0] || la <= 0 || lb <= 0 || (unsigned long)lb >= WORDS )
    {
        xt_error("no FIFO or loopback ports: %ld %ld", la, lb);
        return;
    }
    word_clear_mask(la);
    word_clear_mask(lb);
    n = log_n;
    xt_evtchn_send(lb);
    deliver_now();
    xt_check("interdomain", log_n == n + 1 && log_port[n] == la,
             "%u events, first %u", log_n - n, log_port[n]);
    n = log_n;
    xt_evtchn_send(la);
    deliver_now();
    xt_check("interdomain_back", log_n == n + 1 && log_port[n] == lb,
             "%u events, first %u", log_n - n, log_port[n]);

    {
        struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };

        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
        t = rc ? rc : (long)bv.port;
    }
    if ( t > 0 && (unsigned long)t < WORDS )
    {
        word_clear_mask(t);
        xt_events_enable();
        rc = HYPERVISOR_set_timer_op(xt_system_time() + XT_MS(1));
        ok = XT_WAIT_UNTIL(logged(t, 0), XT_GUARD);
        xt_events_disable();
        xt_check("virq_timer", rc == 0 && ok, "set_timer %ld, port %ld %s",
                 rc, t, ok ? "delivered" : "never came");
        xt_unbind(t);       /* no timer events in the counts below */
    }
    else
        xt_check("virq_timer", false, "bind_virq %ld", t);

    if ( !cb[1] || !xt_smp_online(1) )
    {
        xt_skip("ipi_vcpu1", "VCPU 1 not up with FIFO");
        xt_skip("moved_to_vcpu1", "VCPU 1 not up with FIFO");
        xt_skip("moved_back", "VCPU 1 not up with FIFO");
        return;
    }
    i1 = bind_ipi(1);
    if ( i1 > 0 && (unsigned long)i1 < WORDS )
        word_clear_mask(i1);
    rc = i1 > 0 ? xt_evtchn_send(i1) : i1;
    ok = !rc && XT_WAIT_UNTIL(logged(i1, 1), XT_GUARD);
    xt_check("ipi_vcpu1", ok, "port %ld send %ld", i1, rc);

    rc = bind_vcpu(la, 1);
    n = log_n;
    if ( !rc )
        rc = xt_evtchn_send(lb);
    ok = !rc && XT_WAIT_UNTIL(logged(la, 1), XT_GUARD);
    xt_check("moved_to_vcpu1", ok, "bind_vcpu/send %ld", rc);
    rc = bind_vcpu(la, 0);
    n = log_n;
    if ( !rc )
        rc = xt_evtchn_send(lb);
    deliver_now();
    xt_check("moved_back", !rc && log_n == n + 1 && log_port[n] == la &&
             log_cpu[n] == 0, "rc %ld, %u events, cpu %u", rc, log_n - n,
             log_cpu[n]);
}

static void section_expand(void)
{
    volatile evtchn_fifo_control_block_t *c = cb[0];
    long u = 0, v, rc;
    unsigned int n, i;

    while ( c && (u = alloc_unbound_self()) > 0 && (unsigned long)u < WORDS )
        ;
    v = u > 0 ? bind_loopback(u) : u;
    if ( !c || u <= 0 || v <= 0 )
    {
        xt_check("beyond_array_bind", false, "port %ld, bind %ld", u, v);
        xt_skip("expand_reraises", "no port past the array");
        return;
    }
    rc = xt_evtchn_send(v);
    xt_check("beyond_array_bind", rc == 0 && c->ready == 0,
             "port %ld, send %ld, ready %#x", u, rc, c->ready);
    for ( i = 0; i < WORDS; i++ )
        arr2[i] = 0;
    rc = expand(mfn_of(arr2));
    n = log_n;
    /* Both ends were raised: v when it was bound (as any new local end of
     * an interdomain channel), u by the send; in port order. */
    xt_check("expand_reraises", rc == 0 && v == u + 1 &&
             arr2[u - WORDS] == (W_PENDING | W_LINKED | v) &&
             arr2[v - WORDS] == (W_PENDING | W_LINKED) &&
             c->head[PRIO_DEF] == u, "expand %ld words %#x %#x head %u", rc,
             arr2[u - WORDS], arr2[v - WORDS], c->head[PRIO_DEF]);
    deliver_now();
    xt_check("beyond_array_delivered", log_n == n + 2 && log_port[n] == u &&
             log_port[n + 1] == v, "%u events", log_n - n);
}

static uint32_t lcg = 12345;

static uint32_t rnd(void)
{
    lcg = lcg * 1103515245 + 12345;
    return lcg >> 1;
}

static void scribble(void)
{
    unsigned int i;

    for ( i = 0; i < 48; i++ )
    {
        uint32_t r = rnd();

        arr[i] = (r & 0xf0000000U) | (rnd() & EVTCHN_FIFO_LINK_MASK);
    }
    for ( i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++ )
    {
        cb[0]->head[i] = rnd() & EVTCHN_FIFO_LINK_MASK;
        if ( cb[1] )
            cb[1]->head[i] = rnd();
    }
}

static void section_hostile(void)
{
    volatile evtchn_fifo_control_block_t *c = cb[0];
    long x, y, z, r, rc;
    unsigned int i, n, bad = 0, cpu;
    uint64_t now;
    bool ok;

    if ( !c || pa <= 0 || la <= 0 )
    {
        xt_error("hostile: no FIFO");
        return;
    }
    consuming = false;
    x = pa;
    y = pb;
    z = pd;
    xt_evtchn_send(x);
    xt_evtchn_send(y);
    /* y -> x -> y: a cycle; the head names y. */
    arr[y] = W_PENDING | W_LINKED | x;
    c->head[PRIO_DEF] = y;
    rc = xt_evtchn_send(z);
    xt_check("cycle_send_returns", rc == 0, "send %ld word(y) %#x", rc,
             arr[y]);
    arr[z] = W_LINKED | W_BUSY | EVTCHN_FIFO_LINK_MASK;
    rc = xt_evtchn_send(x);
    xt_check("busy_tail_send_returns", rc == 0, "send %ld", rc);

    now = xt_system_time();
    for ( i = 0; i < 400; i++ )
    {
        unsigned int port = (unsigned int[]){ x, y, z, la, lb }[rnd() % 5];

        if ( i % 16 == 0 )
            scribble();
        switch ( rnd() % 5 )
        {
        case 0:
            rc = xt_evtchn_send(port == la ? lb : port == lb ? la : port);
            break;
        case 1:
            rc = unmask_op(port);
            break;
        case 2:
            rc = set_priority(port, rnd() % EVTCHN_FIFO_MAX_QUEUES);
            break;
        case 3:
            cpu = cb[1] ? rnd() % 2 : 0;
            rc = bind_vcpu(la, cpu);
            break;
        default:
            arr[port] = rnd();
            rc = xt_evtchn_send(lb);
            break;
        }
        bad += rc != 0;
    }
    xt_check("garbage_calls_return", bad == 0, "%u of 400 calls failed "
             "(%lu ms)", bad, (unsigned long)((xt_system_time() - now) /
                                               1000000));

    /* The guest repairs its own state: everything idle and unlinked. */
    bind_vcpu(la, 0);
    for ( i = 0; i < WORDS; i++ )
        arr[i] = 0;
    for ( cpu = 0; cpu < XT_MAX_CPUS; cpu++ )
        if ( cb[cpu] )
        {
            for ( i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++ )
            {
                cb[cpu]->head[i] = 0;
                local_head[cpu][i] = 0;
            }
            cb[cpu]->ready = 0;
        }
    set_priority(x, PRIO_DEF);
    consuming = true;

    r = bind_ipi(0);
    n = log_n;
    rc = r > 0 ? xt_evtchn_send(r) : r;
    deliver_now();
    ok = rc == 0 && logged(r, 0);
    rc = xt_evtchn_send(lb);
    deliver_now();
    xt_check("recovers", ok && rc == 0 && logged(la, 0),
             "port %ld, %u events", r, log_n - n);
}

static void section_limits(void)
{
    unsigned int pages = 2, i;
    long rc = 0;

    if ( !cb[0] )
    {
        xt_skip("expand_to_max", "no FIFO");
        return;
    }
    for ( i = 0; i < 200; i++ )
    {
        rc = expand(mfn_of(arr));
        if ( rc )
            break;
        pages++;
    }
    xt_check("expand_to_max", rc == -XEN_ENOSPC && pages == 128,
             "%u pages, then %ld", pages, rc);
}

static void section_reset(void)
{
    struct shared_info *s = xt_shared_info;
    long rc, p;
    uint8_t bits = 0;

    rc = reset_self();
    xt_check_rc("reset", rc, 0);
    cb[0] = cb[1] = NULL;
    if ( twolevel_hook )
        xt_event_hook = twolevel_hook;
    xt_check_rc("reset_2level_expand", expand(mfn_of(arr)),
                -XEN_EOPNOTSUPP);
    p = bind_ipi(0);
    rc = p > 0 ? set_priority(p, 3) : p;
    xt_check_rc("reset_2level_priority", rc, -XEN_ENOSYS);
    if ( p > 0 )
    {
        __atomic_fetch_or(&s->evtchn_mask[p / 64], 1UL << (p % 64),
                          __ATOMIC_SEQ_CST);
        rc = xt_evtchn_send(p);
        xt_check("reset_2level_pending", rc == 0 &&
                 ((s->evtchn_pending[p / 64] >> (p % 64)) & 1) &&
                 arr[p] == 0, "send %ld word %#x", rc, arr[p]);
    }
    else
        xt_check("reset_2level_pending", false, "bind_ipi %ld", p);

    memset(ctl_page, 0, PAGE_SIZE);
    rc = init_control(mfn_of(ctl_page), 0, 0, &bits);
    if ( !rc )
    {
        cb[0] = (void *)ctl_page;
        xt_event_hook = fifo_upcall;
    }
    xt_check("reinit", rc == 0 && bits == EVTCHN_FIFO_LINK_BITS,
             "rc %ld link_bits %u", rc, bits);
    rc = expand(mfn_of(arr));
    xt_check("reinit_expand_carries", rc == 0 && p > 0 &&
             arr[p] == (W_PENDING | W_LINKED) && cb[0] &&
             cb[0]->head[PRIO_DEF] == p, "expand %ld word %#x", rc, arr[p]);
}

XTEST(fifo, 56)
{
    long rc;

    rc = xt_smp_init();
    nr = xt_nr_cpus;
    xt_check("smp", rc == 0 && nr == 2, "init %ld, %u VCPUs", rc, nr);
    rc = xt_smp_boot(1);
    xt_check_rc("vcpu1_up", rc, 0);
    ctl_page = xt_alloc_page();
    arr = xt_alloc_page();
    arr2 = xt_alloc_page();
    memset(ctl_page, 0, PAGE_SIZE);

    section_twolevel();
    section_init();
    section_carry();
    section_deliver();
    section_kinds();
    section_expand();
    section_hostile();
    section_limits();
    section_reset();
}
