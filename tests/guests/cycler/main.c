/*
 * cycler: the guest of the create/destroy soak (the cycles integration
 * scenario, issue 12's reliability figures).
 *
 * A domU as small and quick as a PV guest gets: it writes one line to
 * its console ring, "CYCLER: up cycle=N mode=M", so dom0 knows it really
 * ran, and then either powers itself off (mode=poweroff: the toolstack's
 * monitor applies on_poweroff) or waits, asleep, until dom0 destroys it
 * (mode=wait, the default).
 *
 * Command line: cycle=N (echoed, so each cycle's line is its own),
 * mode=wait|poweroff.  Output goes to the console ring.
 */
#include "xtpv.h"
#include "xtcons.h"

static struct xt_cons_ring *cons;

static void *ring_page(uint64_t mfn)
{
    uint64_t pfn = xt_m2p[mfn];

    if ( pfn >= xt_start_info->nr_pages )
        return NULL;
    return (void *)(XT_VIRT_BASE + (pfn << 12));
}

/* The framework's printf ends here: the domU's console ring. */
void xt_console_write(const char *buf, size_t len)
{
    struct evtchn_send s = { .port = xt_start_info->console.domU.evtchn };
    uint32_t prod;
    size_t i;

    if ( !cons )
        cons = ring_page(xt_start_info->console.domU.mfn);
    if ( !cons )
        return;
    prod = ACCESS_ONCE(cons->out_prod);
    for ( i = 0; i < len; i++ )
    {
        unsigned long spins = 0;

        /* Full: kick the backend and let it run, a bounded while. */
        while ( prod - ACCESS_ONCE(cons->out_cons) >= XT_CONS_OUT_SIZE )
        {
            ACCESS_ONCE(cons->out_prod) = prod;
            HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( ++spins > 1000000 )
                return;
        }
        cons->out[XT_CONS_OUT_IDX(prod)] = buf[i];
        prod++;
    }
    barrier();
    ACCESS_ONCE(cons->out_prod) = prod;
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* The word after key= in the command line ("" if none), at most n-1. */
static void cmdline_word(const char *key, char *out, size_t n)
{
    const char *p = strstr((const char *)xt_start_info->cmd_line, key);
    size_t i = 0;

    if ( p )
        for ( p += strlen(key); *p && *p != ' ' && i + 1 < n; p++ )
            out[i++] = *p;
    out[i] = '\0';
}

XTEST(cycler, 1)
{
    start_info_t *si = xt_start_info;
    char cycle[24], mode[16];
    evtchn_port_t port;

    if ( si->flags & SIF_INITDOMAIN )
    {
        xt_skip("up", "booted as dom0: the cycles scenario's domU only");
        return;
    }
    cmdline_word("cycle=", cycle, sizeof(cycle));
    cmdline_word("mode=", mode, sizeof(mode));
    printf("CYCLER: up cycle=%s mode=%s pages=%lu\n", cycle,
           mode[0] ? mode : "wait", (unsigned long)si->nr_pages);
    xt_check("up", si->nr_pages > 0 && si->console.domU.evtchn,
             "nr_pages %lu, console port %u", (unsigned long)si->nr_pages,
             si->console.domU.evtchn);
    if ( !strcmp(mode, "poweroff") )
        return;                 /* the framework powers off */

    /* Asleep until destroyed: a poll on the console port, 1 s at a time. */
    xt_events_init();
    port = si->console.domU.evtchn;
    for ( ;; )
    {
        struct sched_poll poll = { .nr_ports = 1,
                                   .timeout = xt_system_time() + 1000000000ULL };

        set_xen_guest_handle(poll.ports, &port);
        HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
    }
}
