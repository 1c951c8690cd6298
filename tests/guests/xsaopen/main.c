/*
 * xsaopen: advisory checks Xenia fails today (docs/security.md, "Advisory
 * sweep", open rows).  Not in the default run: SUITE=xsa-open.
 *
 * XSA-45/58/290 class: validating a page table is work proportional to
 * the tables below it, and Xen 4.17 makes it preemptible (alloc_l2_table
 * and friends stop between entries when work is pending, leave the page
 * partially validated and make a continuation of the pin).  Here one L2
 * names 512 L1 tables of 512 read-only entries each: pinning it validates
 * 262144 entries.  A one-shot timer armed 0.3 ms ahead must be delivered
 * while the pin is in progress: its upcall lands on the SYSCALL the
 * continuation rewound to.  A hypervisor that validates the whole tree
 * with interrupts off delivers the tick after the pin, elsewhere.  Each
 * try unpins again; nothing is timed (the same method as the preempt
 * image).
 *
 * (XSA-344, EVTCHNOP_reset preemptible, was here until Xenia made the
 * reset preemptible: it is in the xsa image now.)
 */
#include "xtpv.h"

#define TRIES     16
#define NR_L1     512

static uint8_t l1s[NR_L1][4096] __attribute__((aligned(4096)));
static uint8_t l2[4096] __attribute__((aligned(4096)));
static uint8_t target[4096] __attribute__((aligned(4096)));

static bool build_tree(void)
{
    uint64_t ro = (xt_virt_to_mfn(target) << 12) | _PAGE_PRESENT |
                  _PAGE_ACCESSED;
    uint64_t *e;
    unsigned int i, j;

    for ( i = 0; i < NR_L1; i++ )
    {
        e = (uint64_t *)l1s[i];
        for ( j = 0; j < 512; j++ )
            e[j] = ro;
        ((uint64_t *)l2)[i] = (xt_virt_to_mfn(l1s[i]) << 12) |
                              _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;
        if ( xt_make_ro(l1s[i]) )
            return false;
    }
    return xt_make_ro(l2) == 0;
}

static void l2_pin_preemptible(void)
{
    uint64_t mfn = xt_virt_to_mfn(l2);
    unsigned int t;
    long pin = 0, unpin = 0;
    uint64_t t0, took = 0;
    bool ok = false;

    if ( !build_tree() )
    {
        xt_check("xsa-290-l2-pin-preemptible", false, "building the tree");
        return;
    }
    for ( t = 0; t < TRIES && !ok && !pin && !unpin; t++ )
    {
        xt_events_enable();         /* whatever was pending lands here */
        xt_ticks = 0;
        xt_tick_rip = 0;
        HYPERVISOR_set_timer_op(xt_system_time() + 300000);
        t0 = xt_system_time();
        pin = xt_mmuext1(MMUEXT_PIN_L2_TABLE, mfn, 0);
        took = xt_system_time() - t0;
        while ( !xt_ticks )
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        xt_events_disable();
        ok = xt_rip_at_syscall(xt_tick_rip);
        unpin = pin ? 0 : xt_mmuext1(MMUEXT_UNPIN_TABLE, mfn, 0);
    }
    xt_check("xsa-290-l2-pin-preemptible", ok && !pin && !unpin,
             "try %u: pin %ld unpin %ld, tick at rip %#lx (%s); the last pin "
             "took %lu us (information, not checked)", t, pin, unpin,
             xt_tick_rip, xt_rip_at_syscall(xt_tick_rip) ? "syscall" : "other",
             (unsigned long)(took / 1000));
}

XTEST(xsaopen, 1)
{
    int port;

    xt_traps_init();
    xt_events_init();
    xt_mm_init();
    /* Only our one-shot timer ticks: no periodic timer (Xen starts one). */
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    port = xt_bind_virq(VIRQ_TIMER, xt_first_tick);
    if ( port < 0 )
    {
        xt_error("bind VIRQ_TIMER: %d", port);
        return;
    }
    l2_pin_preemptible();
    xt_unbind(port);
}
