/*
 * ctl.c: the initial domain's side of the peer kernel (see ctl.h).
 */
#include "ctl.h"

#include <public/memory.h>

/* The peer kernel image, page aligned (xb_elf_parse reads it in place). */
asm ( ".pushsection .rodata.peer_elf, \"a\", @progbits\n\t"
      ".balign 4096\n"
      "peer_elf_start:\n\t"
      ".incbin \"" PEER_ELF "\"\n"
      "peer_elf_end:\n\t"
      ".popsection" );
extern const uint8_t peer_elf_start[], peer_elf_end[];

evtchn_port_t ctl_virq_port;
bool ctl_echo = true;

/* ------------------------------------------------------------------ */
/* Foreign mappings: a few PTEs of the scratch window.                 */

#define NR_SLOTS 4
#define SLOT_BUILDER 0
static struct xbh_slot slots[NR_SLOTS];
static bool slot_taken[NR_SLOTS];

static int slot_get(void)
{
    unsigned int s;

    for ( s = SLOT_BUILDER + 1; s < NR_SLOTS; s++ )
        if ( !slot_taken[s] )
        {
            slot_taken[s] = true;
            return s;
        }
    return -1;
}

static void slot_put(unsigned int s)
{
    xbh_slot_unmap(&slots[s]);
    slot_taken[s] = false;
}

/* ------------------------------------------------------------------ */
/* The builder's ops: xbhost/xbops.c, and our foreign mappings.       */

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

const struct xb_ops ctl_ops = {
    XBH_HYPERCALL_OPS,
    .map_foreign = op_map, .unmap_foreign = op_unmap,
};

/* ------------------------------------------------------------------ */
/* Events.                                                             */

long ctl_send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

long ctl_status(domid_t dom, evtchn_port_t port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->dom = dom;
    st->port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

long ctl_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
                                       .remote_dom = remote };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);

    *port = rc ? 0 : au.port;
    if ( !rc )
        xbh_mask(au.port);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Grants.                                                             */

long ctl_gnttab(unsigned int cmd, void *arg, unsigned int count)
{
    return HC(__HYPERVISOR_grant_table_op, cmd, arg, count, 0, 0);
}

int ctl_map(domid_t dom, grant_ref_t ref, uint32_t flags, unsigned long va,
            grant_handle_t *handle)
{
    gnttab_map_grant_ref_t m = {
        .host_addr = va, .flags = flags, .ref = ref, .dom = dom,
        .status = 99, .handle = ~0u,
    };
    long rc = ctl_gnttab(GNTTABOP_map_grant_ref, &m, 1);

    if ( rc )
        return rc;
    if ( m.status == GNTST_okay )
    {
        *handle = m.handle;
        /* A PTE we replaced may linger in our TLB. */
        xt_mmuext1(MMUEXT_INVLPG_LOCAL, va, 0);
    }
    return m.status;
}

int ctl_unmap(grant_handle_t handle, unsigned long va)
{
    gnttab_unmap_grant_ref_t u = { .host_addr = va, .handle = handle,
                                   .status = 99 };
    long rc = ctl_gnttab(GNTTABOP_unmap_grant_ref, &u, 1);

    return rc ? rc : u.status;
}

/* ------------------------------------------------------------------ */
/* The system.                                                         */

uint64_t ctl_free_pages(void)
{
    struct xen_sysctl_physinfo pi;

    return xb_physinfo(&ctl_ops, &pi) ? 0 : pi.free_pages;
}

uint64_t ctl_ns(uint64_t cycles)
{
    return cycles * 1000000UL / xt_tsc_khz();
}

void ctl_init(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
    unsigned int s;
    long rc;

    xt_traps_init();
    for ( s = 0; s < NR_SLOTS; s++ )
    {
        xbh_slot_init(&slots[s]);
    }
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    if ( rc )
        xt_error("bind VIRQ_DOM_EXC: %ld", rc);
    ctl_virq_port = bv.port;
    xbh_mask(ctl_virq_port);
    xbh_take_pending(ctl_virq_port);
}

/* ------------------------------------------------------------------ */
/* Peers.                                                              */

static xen_pfn_t p2m_ws[CTL_PEER_PAGES];

unsigned int ctl_peer_grant_version;

long peer_build(struct peer *p, const char *cmdline)
{
    struct xb_config cfg;
    int slot;
    long rc;

    memset(p, 0, sizeof(*p));
    p->dom = DOMID_INVALID;
    memset(&cfg, 0, sizeof(cfg));
    cfg.kernel = peer_elf_start;
    cfg.kernel_size = peer_elf_end - peer_elf_start;
    cfg.cmdline = cmdline;
    cfg.mem_kb = CTL_PEER_KB;
    cfg.max_vcpus = 1;
    cfg.max_grant_version = ctl_peer_grant_version;
    cfg.backend_domid = 0;
    cfg.p2m = p2m_ws;
    cfg.p2m_entries = ARRAY_SIZE(p2m_ws);
    memset(cfg.handle, 0x9e, sizeof(cfg.handle));

    rc = xb_build_pv(&ctl_ops, &cfg, &p->out);
    p->build_rc = rc;
    if ( rc )
    {
        printf("ctl: building the peer failed: %ld (%s %ld)\n", rc,
               p->out.failed_step ?: "-", p->out.failed_rc);
        return rc;
    }
    p->dom = p->out.domid;
    rc = xbh_bind(p->dom, p->out.console_evtchn, &p->cons_port);
    if ( !rc )
        rc = xbh_bind(p->dom, p->out.store_evtchn, &p->store_port);
    slot = slot_get();
    if ( !rc && slot >= 0 )
    {
        p->slot = slot;
        p->ring = xbh_slot_map(&slots[slot], p->dom, p->out.console_mfn, true);
    }
    if ( !rc && !p->ring )
        rc = -XEN_EFAULT;
    if ( rc )
    {
        printf("ctl: connecting to d%u failed: %ld\n", p->dom, rc);
        peer_destroy(p);
        xbh_wait_gone(p->out.domid, -1, ctl_virq_port);
    }
    return rc;
}

long peer_unpause(struct peer *p)
{
    return p->dom == DOMID_INVALID ? -XEN_ESRCH
                                   : xb_unpause(&ctl_ops, p->dom);
}

/* "peer: <verb> <numbers>": remember it as the last answer. */
static void take_answer(struct peer *p, const char *l)
{
    const char *s = l + strlen(PEER_TAG);
    size_t n = 0;

    while ( s[n] && s[n] != ' ' && n < sizeof(p->verb) - 1 )
    {
        p->verb[n] = s[n];
        n++;
    }
    p->verb[n] = '\0';
    s += n;
    for ( p->nval = 0; p->nval < ARRAY_SIZE(p->val); p->nval++ )
    {
        long v = 0, base = 10;
        bool neg = false;

        while ( *s == ' ' )
            s++;
        if ( !*s )
            break;
        if ( *s == '-' )
        {
            neg = true;
            s++;
        }
        if ( s[0] == '0' && s[1] == 'x' )
        {
            base = 16;
            s += 2;
        }
        for ( ; *s && *s != ' '; s++ )
            v = v * base + (*s >= 'a' ? *s - 'a' + 10 : *s - '0');
        p->val[p->nval] = neg ? -v : v;
    }
    p->answered = true;
}

static void peer_line(struct peer *p)
{
    char *l = p->line;

    l[p->len] = '\0';
    p->len = 0;
    p->lines++;
    if ( !strncmp(l, PEER_TAG, strlen(PEER_TAG)) )
        take_answer(p, l);
    else if ( !strncmp(l, "Test result: ", 13) )
    {
        snprintf(p->verdict, sizeof(p->verdict), "%s", l + 13);
        p->verdict_seen = true;
    }
    /* "peer|": never taken for one of our own RESULT lines by run.py. */
    if ( ctl_echo )
        printf("peer| %s\n", l);
}

void peer_pump(struct peer *p)
{
    volatile struct xt_cons_ring *r = p->ring;
    uint32_t cons, prod;

    if ( !r )
        return;
    cons = r->out_cons;
    prod = r->out_prod;
    barrier();
    if ( prod - cons > XT_CONS_OUT_SIZE )     /* nonsense: resynchronise */
        cons = prod - XT_CONS_OUT_SIZE;
    if ( cons == prod )
        return;
    while ( cons != prod )
    {
        char ch = r->out[XT_CONS_OUT_IDX(cons)];

        cons++;
        if ( ch == '\r' )
            continue;
        if ( ch == '\n' || p->len == sizeof(p->line) - 1 )
            peer_line(p);
        if ( ch != '\n' )
            p->line[p->len++] = ch;
    }
    barrier();
    r->out_cons = cons;
    ctl_send(p->cons_port);
}

/* Pump until cond(p) holds (bounded). */
static bool pump_until(struct peer *p,
                       bool (*cond)(struct peer *, const void *),
                       const void *arg)
{
    unsigned long i;

    for ( i = 0; i < CTL_MAX_POLLS; i++ )
    {
        xbh_take_pending(p->cons_port);
        peer_pump(p);
        if ( cond(p, arg) )
            return true;
        xbh_poll1(p->cons_port, CTL_POLL_NS);
    }
    return false;
}

static bool enough_lines(struct peer *p, const void *n)
{
    return p->lines >= *(const unsigned long *)n;
}

bool peer_wait_lines(struct peer *p, unsigned long n)
{
    return p->ring && pump_until(p, enough_lines, &n);
}

static bool answered(struct peer *p, const void *verb)
{
    return p->answered && !strcmp(p->verb, verb);
}

bool peer_wait_answer(struct peer *p, const char *verb)
{
    bool ok = p->ring && pump_until(p, answered, verb);

    if ( !ok )
        printf("ctl: no answer '%s' from d%u\n", verb, p->dom);
    p->answered = false;
    return ok;
}

static void put_line(struct peer *p, const char *fmt, va_list ap)
{
    volatile struct xt_cons_ring *r = p->ring;
    char buf[128];
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    uint32_t prod;
    int i;

    if ( !r || n < 0 )
        return;
    buf[n++] = '\n';
    prod = r->in_prod;
    for ( i = 0; i < n; i++ )
    {
        unsigned long k;

        /* The ring is 1 KiB and the peer reads every line: no wait
         * should be needed, but stay bounded if it is. */
        for ( k = 0; prod - r->in_cons >= XT_CONS_IN_SIZE &&
                     k < CTL_MAX_POLLS; k++ )
        {
            r->in_prod = prod;
            ctl_send(p->cons_port);
            xbh_poll1(p->cons_port, CTL_POLL_NS);
            peer_pump(p);
        }
        r->in[prod & (XT_CONS_IN_SIZE - 1)] = buf[i];
        prod++;
    }
    barrier();
    r->in_prod = prod;
    ctl_send(p->cons_port);
}

void peer_send_line(struct peer *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    put_line(p, fmt, ap);
    va_end(ap);
}

bool peer_cmd(struct peer *p, const char *verb, const char *fmt, ...)
{
    va_list ap;

    p->answered = false;
    va_start(ap, fmt);
    put_line(p, fmt, ap);
    va_end(ap);
    return peer_wait_answer(p, verb);
}

int peer_wait_shutdown(struct peer *p)
{
    struct xen_domctl_getdomaininfo di;
    unsigned long i;

    for ( i = 0; p->dom != DOMID_INVALID && i < CTL_MAX_POLLS; i++ )
    {
        peer_pump(p);
        if ( xb_getdomaininfo(&ctl_ops, p->dom, &di) == 0 &&
             di.domain == p->dom && (di.flags & XEN_DOMINF_shutdown) )
            return xb_shutdown_reason(&di);
        xbh_poll1(ctl_virq_port, CTL_POLL_NS);
        xbh_take_pending(ctl_virq_port);
    }
    return -1;
}

void peer_disconnect(struct peer *p, bool keep_ports)
{
    if ( p->ring )
    {
        slot_put(p->slot);
        p->ring = NULL;
    }
    if ( keep_ports )
        return;
    if ( p->cons_port )
        xbh_close(p->cons_port);
    if ( p->store_port )
        xbh_close(p->store_port);
    p->cons_port = p->store_port = 0;
}

long peer_destroy(struct peer *p)
{
    long rc;

    if ( p->dom == DOMID_INVALID )
        return -XEN_ESRCH;
    peer_disconnect(p, false);
    rc = xb_destroy(&ctl_ops, p->dom);
    if ( rc == 0 )
        p->dom = DOMID_INVALID;
    return rc;
}
