/*
 * xsfuzz: the xenstore-protocol fuzzer (issue 12).
 *
 * An unprivileged domU, created by the toolstack in a Linux dom0 (the
 * store-fuzz scenario), that speaks to the store over its own ring what a
 * hostile guest would: messages of every type number (unknown ones too),
 * random and path-shaped payloads with stray NULs, headers whose length
 * lies, oversized payloads, half messages, floods it never reads the
 * replies to, transactions it never ends, watches on anything, and now
 * and then a producer index that jumps.  When the store gives up on the
 * ring (error field) the guest asks for a reconnection, as Linux's
 * xenbus does after a suspend, and goes on.
 *
 * Its three checks bracket the fuzzing with a sane request (READ of its
 * own "domid", over a freshly reconnected ring); the scenario checks the
 * rest from dom0: the store stays up and answers dom0 throughout, its
 * memory stays bounded, and the guest's nodes go when it does.
 *
 * Before the fuzz, three hostile probes with checks of their own (see
 * "Hostile probes" below), the same for every store.
 *
 * Command line: seed=N (xorshift64* seed), secs=N (seconds of fuzzing,
 * system time), probes=0 (no probes).  Output goes to the console ring.
 */
#include "xtpv.h"
#include "xtcons.h"

#include <public/io/xs_wire.h>

/* ------------------------------------------------------------------ */
/* Console ring output (the framework's console_io is dom0's).          */

static struct xt_cons_ring *cons;

static void *ring_page(uint64_t mfn)
{
    uint64_t pfn = xt_m2p[mfn];

    if ( pfn >= xt_start_info->nr_pages )
        return NULL;
    return (void *)(XT_VIRT_BASE + (pfn << 12));
}

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

/* ------------------------------------------------------------------ */
/* Command line and randomness.                                        */

static uint64_t cmdline_num(const char *key, uint64_t dflt)
{
    const char *p = strstr((const char *)xt_start_info->cmd_line, key);

    if ( !p )
        return dflt;
    return simple_strtoull(p + strlen(key), NULL, 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(unsigned int n)
{
    return n ? (unsigned int)(rnd() % n) : 0;
}

/* ------------------------------------------------------------------ */
/* The ring.                                                            */

static struct xenstore_domain_interface *xs;
static evtchn_port_t xs_port;

static struct
{
    unsigned long msgs, bytes, replies, errors, reconnects, stuck;
    unsigned long by_error[4];
} st;

static void kick(void)
{
    struct evtchn_send s = { .port = xs_port };

    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* As many of len bytes as fit in the request ring now. */
static unsigned int put(const void *data, unsigned int len)
{
    XENSTORE_RING_IDX cons = ACCESS_ONCE(xs->req_cons);
    XENSTORE_RING_IDX prod = xs->req_prod;
    unsigned int room, n, i;

    if ( prod - cons > XENSTORE_RING_SIZE )
        return 0;                       /* our own jump: wait for error */
    room = XENSTORE_RING_SIZE - (prod - cons);
    n = len < room ? len : room;
    for ( i = 0; i < n; i++ )
        xs->req[MASK_XENSTORE_IDX(prod + i)] = ((const char *)data)[i];
    barrier();
    ACCESS_ONCE(xs->req_prod) = prod + n;
    kick();
    st.bytes += n;
    return n;
}

/*
 * Throws away the whole replies and events waiting (a message cut by the
 * ring's end stays for later, so the reply stream keeps its framing: a
 * store without reconnection is then still understood); how many bytes.
 */
static unsigned int drain(void)
{
    XENSTORE_RING_IDX cons = xs->rsp_cons, prod = ACCESS_ONCE(xs->rsp_prod);
    unsigned int n = 0, i, want;
    struct xsd_sockmsg h;

    barrier();
    while ( prod - cons >= sizeof(h) && prod - cons <= XENSTORE_RING_SIZE )
    {
        for ( i = 0; i < sizeof(h); i++ )
            ((char *)&h)[i] = xs->rsp[MASK_XENSTORE_IDX(cons + i)];
        want = sizeof(h) + (h.len > XENSTORE_PAYLOAD_MAX ? 0 : h.len);
        if ( prod - cons < want )
            break;
        cons += want;
        n += want;
    }
    if ( n )
    {
        ACCESS_ONCE(xs->rsp_cons) = cons;
        kick();
    }
    return n;
}

/* A store that offers reconnection: the fuzz may break the ring. */
static bool can_reconnect(void)
{
    return ACCESS_ONCE(xs->server_features) &
           XENSTORE_SERVER_FEATURE_RECONNECTION;
}

/* A reconnection (the connection field): both rings empty again.  False
 * if the store does not offer it or does not answer. */
static bool reconnect(void)
{
    uint64_t t0 = xt_system_time();

    if ( !(ACCESS_ONCE(xs->server_features) &
           XENSTORE_SERVER_FEATURE_RECONNECTION) )
        return false;
    ACCESS_ONCE(xs->connection) = XENSTORE_RECONNECT;
    barrier();
    kick();
    while ( ACCESS_ONCE(xs->connection) != XENSTORE_CONNECTED )
    {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        if ( xt_system_time() - t0 > 30000000000ULL )
            return false;
    }
    st.reconnects++;
    return true;
}

/* Reads exactly len reply bytes, waiting at most 30 s of system time. */
static bool get(void *dst, unsigned int len)
{
    uint64_t t0 = xt_system_time();
    unsigned int got = 0;

    while ( got < len )
    {
        XENSTORE_RING_IDX cons = xs->rsp_cons;
        XENSTORE_RING_IDX prod = ACCESS_ONCE(xs->rsp_prod);

        if ( prod == cons )
        {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( xt_system_time() - t0 > 30000000000ULL )
                return false;
            continue;
        }
        barrier();
        ((char *)dst)[got++] = xs->rsp[MASK_XENSTORE_IDX(cons)];
        ACCESS_ONCE(xs->rsp_cons) = cons + 1;
    }
    kick();
    return true;
}

/*
 * A sane READ of our own "domid" on a clean ring: the reply's type and
 * text, skipping watch events.  False when the store does not answer.
 */
static bool sane_read(uint32_t *type, char *out, unsigned int max)
{
    static const char path[] = "domid";
    struct xsd_sockmsg h = { XS_READ, 0x5a5e, 0, sizeof(path) };
    char buf[XENSTORE_PAYLOAD_MAX];
    unsigned int i;

    if ( put(&h, sizeof(h)) != sizeof(h) ||
         put(path, sizeof(path)) != sizeof(path) )
        return false;
    for ( i = 0; i < 4096; i++ )
    {
        if ( !get(&h, sizeof(h)) || h.len > XENSTORE_PAYLOAD_MAX ||
             !get(buf, h.len) )
            return false;
        if ( h.type == XS_WATCH_EVENT || h.req_id != 0x5a5e )
            continue;                   /* events, the fuzz's late replies */
        *type = h.type;
        if ( max )
        {
            unsigned int n = h.len < max - 1 ? h.len : max - 1;

            memcpy(out, buf, n);
            out[n] = '\0';
        }
        return true;
    }
    return false;
}

static bool sane_check(const char *check)
{
    char val[32] = "";
    uint32_t type = 0;
    bool ok;

    if ( can_reconnect() )
        ok = reconnect() && sane_read(&type, val, sizeof(val));
    else if ( ACCESS_ONCE(xs->error) )
    {
        xt_skip(check, "the store gave up on the ring (error %u) and "
                "offers no reconnection (features %#x)", xs->error,
                xs->server_features);
        return false;
    }
    else
        ok = sane_read(&type, val, sizeof(val));

    xt_check(check, ok && type == XS_READ && val[0] >= '1' &&
             val[0] <= '9',
             "READ domid: %s, reply type %u '%s' (features %#x, error %u)",
             ok ? "answered" : "no answer", type, val,
             xs->server_features, xs->error);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Hostile probes (issue 12, items 11, 12 and 14), before the fuzz.    */
/*
 * Well-framed requests only, so they mean the same to every store:
 *  deep_rm    a path 400 levels deep (one WRITE), then RM of its top:
 *             answered, and the whole subtree gone;
 *  tx_events  300 writes to one node inside one transaction, watched:
 *             the commit fires one event for the node, not one a write;
 *  tx_quota   six transactions open at once, each creating 250 nodes
 *             under a parent of its own, then all committed: the nodes
 *             that exist afterwards stay within the per-domain node
 *             quota (1000 in xenia-stored and Xen 4.17's xenstored).
 * Writes are held to the store's write-rate limit (200/s): some seconds.
 */
#define PROBE_DEPTH       400
#define PROBE_TX_WRITES   300
#define PROBE_TXS         6
#define PROBE_TX_NODES    250
#define PROBE_NODE_QUOTA  1000

static uint32_t probe_id = 0x7000;
static unsigned long probe_events;          /* watch events, token "p11" */
static char preply[XENSTORE_PAYLOAD_MAX + 1];
static unsigned int preply_len;

static bool put_all(const void *data, unsigned int len)
{
    uint64_t t0 = xt_system_time();
    unsigned int off = 0;

    while ( off < len )
    {
        off += put((const char *)data + off, len - off);
        if ( off < len )
        {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( xt_system_time() - t0 > 30000000000ULL )
                return false;
        }
    }
    return true;
}

/*
 * One request: its reply's type (XS_ERROR with the errno's name in
 * preply), or ~0 when the store does not answer.  Watch events that come
 * meanwhile are counted for token "p11".
 */
static uint32_t preq(uint32_t type, uint32_t tx, const char *a,
                     unsigned int alen, const char *b, unsigned int blen)
{
    struct xsd_sockmsg h = { type, ++probe_id, tx, alen + blen };
    uint32_t want = h.req_id;
    unsigned int i;

    if ( !put_all(&h, sizeof(h)) || !put_all(a, alen) ||
         (blen && !put_all(b, blen)) )
        return ~0U;
    for ( i = 0; i < 100000; i++ )
    {
        if ( !get(&h, sizeof(h)) || h.len > XENSTORE_PAYLOAD_MAX ||
             !get(preply, h.len) )
            return ~0U;
        preply[h.len] = '\0';
        preply_len = h.len;
        if ( h.type == XS_WATCH_EVENT )
        {
            /* "path\0token\0" */
            unsigned int n = strnlen(preply, h.len);

            if ( n + 4 <= h.len && !memcmp(preply + n + 1, "p11", 4) )
                probe_events++;
            continue;
        }
        if ( h.req_id != want )
            continue;
        return h.type;
    }
    return ~0U;
}

/* A request whose payload is one string (with its NUL). */
static uint32_t preq1(uint32_t type, uint32_t tx, const char *str)
{
    return preq(type, tx, str, strlen(str) + 1, NULL, 0);
}

/* WRITE path = value (no NUL after the value, as the protocol says). */
static uint32_t pwrite(uint32_t tx, const char *path, const char *val)
{
    return preq(XS_WRITE, tx, path, strlen(path) + 1, val, strlen(val));
}

static const char *pwhat(uint32_t t)
{
    return t == ~0U ? "no answer" : t == XS_ERROR ? preply : "ok";
}

static void probe_deep_rm(void)
{
    static char path[16 + 2 * PROBE_DEPTH];
    uint32_t w, r, e;
    unsigned int i, n;

    n = snprintf(path, sizeof(path), "data/p14");
    for ( i = 0; i < PROBE_DEPTH; i++ )
        n += snprintf(path + n, sizeof(path) - n, "/a");
    w = pwrite(0, path, "deep");
    r = preq1(XS_RM, 0, "data/p14");
    e = preq1(XS_READ, 0, "data/p14/a");
    xt_check("probe_deep_rm", w == XS_WRITE && r == XS_RM &&
             e == XS_ERROR && !strcmp(preply, "ENOENT"),
             "write at depth %u: %s; rm of its top: %s; the subtree "
             "after: %s", PROBE_DEPTH + 2, pwhat(w), pwhat(r),
             e == XS_ERROR ? preply : "still there");
}

static void probe_tx_events(void)
{
    static const char wpath[] = "data/p11";
    char val[16], tid[16] = "";
    uint32_t w, t, c = ~0U, tx = 0;
    unsigned int i, failed = 0;
    unsigned long events;

    pwrite(0, wpath, "");
    w = preq(XS_WATCH, 0, wpath, sizeof(wpath), "p11", 4);
    /* The event the WATCH itself fires, and anything late: let it come. */
    for ( i = 0; i < 3; i++ )
        preq1(XS_READ, 0, "domid");
    probe_events = 0;
    t = preq(XS_TRANSACTION_START, 0, "", 1, NULL, 0);
    if ( t == XS_TRANSACTION_START )
    {
        snprintf(tid, sizeof(tid), "%s", preply);
        for ( i = 0; tid[i] >= '0' && tid[i] <= '9'; i++ )
            tx = tx * 10 + (tid[i] - '0');
        for ( i = 0; i < PROBE_TX_WRITES; i++ )
        {
            snprintf(val, sizeof(val), "%u", i);
            if ( pwrite(tx, "data/p11/x", val) != XS_WRITE )
                failed++;
        }
        c = preq1(XS_TRANSACTION_END, tx, "T");
    }
    /* Round trips: the events the commit fired arrive before them. */
    for ( i = 0; i < 20; i++ )
    {
        preq1(XS_READ, 0, "domid");
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    events = probe_events;
    preq(XS_UNWATCH, 0, wpath, sizeof(wpath), "p11", 4);
    preq1(XS_RM, 0, wpath);
    xt_check("probe_tx_events", w == XS_WATCH && c == XS_TRANSACTION_END &&
             !failed && events >= 1 && events <= 2,
             "watch: %s; %u writes of one node in transaction %u (%u "
             "refused), commit: %s; %lu watch events after it (want 1)",
             pwhat(w), PROBE_TX_WRITES, tx, failed, pwhat(c), events);
}

/* Children of path (DIRECTORY), or -1. */
static int pchildren(const char *path)
{
    unsigned int i, n = 0;

    if ( preq1(XS_DIRECTORY, 0, path) != XS_DIRECTORY )
        return -1;
    for ( i = 0; i < preply_len; i++ )
        n += preply[i] == '\0';
    return n;
}

static void probe_tx_quota(void)
{
    uint32_t tx[PROBE_TXS] = { 0 }, c;
    char path[48];
    unsigned int i, j, refused = 0, committed = 0, started = 0;
    int n, total = 0, own = 0;

    for ( i = 0; i < PROBE_TXS; i++ )
    {
        snprintf(path, sizeof(path), "data/p12/t%u", i);
        pwrite(0, path, "");
    }
    for ( i = 0; i < PROBE_TXS; i++ )
        if ( preq(XS_TRANSACTION_START, 0, "", 1, NULL, 0) ==
             XS_TRANSACTION_START )
        {
            for ( j = 0; preply[j] >= '0' && preply[j] <= '9'; j++ )
                tx[i] = tx[i] * 10 + (preply[j] - '0');
            started++;
        }
    for ( i = 0; i < PROBE_TXS; i++ )
        for ( j = 0; tx[i] && j < PROBE_TX_NODES; j++ )
        {
            snprintf(path, sizeof(path), "data/p12/t%u/n%u", i, j);
            if ( pwrite(tx[i], path, "q") != XS_WRITE )
                refused++;
        }
    for ( i = 0; i < PROBE_TXS; i++ )
        if ( tx[i] && (c = preq1(XS_TRANSACTION_END, tx[i], "T")) ==
             XS_TRANSACTION_END )
            committed++;
    for ( i = 0; i < PROBE_TXS; i++ )
    {
        snprintf(path, sizeof(path), "data/p12/t%u", i);
        n = pchildren(path);
        total += n > 0 ? n : 0;
    }
    /* Our other nodes count too: the home the toolstack gave us. */
    if ( preq1(XS_READ, 0, "domid") == XS_READ )
    {
        snprintf(path, sizeof(path), "/local/domain/%s", preply);
        n = pchildren(path);
        own = n > 0 ? n : 0;
    }
    preq1(XS_RM, 0, "data/p12");
    xt_check("probe_tx_quota", started == PROBE_TXS &&
             total + PROBE_TXS <= PROBE_NODE_QUOTA,
             "%u transactions at once, %u x %u nodes: %u writes refused, "
             "%u commits went through, %d nodes made (quota %u; %d nodes "
             "at the top of our home besides)", started, PROBE_TXS,
             PROBE_TX_NODES, refused, committed, total, PROBE_NODE_QUOTA,
             own);
}

static void probes(void)
{
    if ( ACCESS_ONCE(xs->error) )
    {
        xt_skip("probe_deep_rm", "the ring is broken before the probes");
        xt_skip("probe_tx_events", "the ring is broken");
        xt_skip("probe_tx_quota", "the ring is broken");
        return;
    }
    probe_deep_rm();
    probe_tx_events();
    probe_tx_quota();
}

/* ------------------------------------------------------------------ */
/* The fuzz.                                                            */

static char payload[XENSTORE_PAYLOAD_MAX + 512];
static bool gave_up;            /* a store without reconnection stalled */

static unsigned int random_path(char *p, unsigned int max)
{
    static const char *const heads[] = {
        "/", "/local/domain/", "/local/domain/0/", "/vm/", "/tool/", "@",
        "@releaseDomain", "@introduceDomain", "", "data/", "device/",
        "control/shutdown", "/local", "//", "/local/domain/1/../0/",
    };
    static const char chars[] = "abz09_-/@./\0\377 ";
    unsigned int n = 0, i, depth = below(24);
    const char *h = heads[below(sizeof(heads) / sizeof(heads[0]))];

    while ( *h && n < max )
        p[n++] = *h++;
    for ( i = 0; i < depth && n + 16 < max; i++ )
    {
        unsigned int k, len = 1 + below(12);

        if ( below(3) == 0 )
            n += snprintf(p + n, max - n, "%u", below(70000));
        else
            for ( k = 0; k < len && n < max; k++ )
                p[n++] = chars[below(sizeof(chars) - 1)];
        if ( n < max )
            p[n++] = '/';
    }
    if ( below(4) && n )
        n--;                            /* mostly no trailing slash */
    if ( n < max )
        p[n++] = '\0';
    return n;
}

/* One message's payload: its true length. */
static unsigned int random_payload(uint32_t type)
{
    unsigned int n = 0, i, args;

    switch ( below(6) )
    {
    case 0:                             /* random bytes */
        n = below(below(8) ? 300 : XENSTORE_PAYLOAD_MAX);
        for ( i = 0; i < n; i++ )
            payload[i] = (char)rnd();
        return n;
    case 1:                             /* nothing */
        return 0;
    case 2:                             /* a very long path */
        n = XENSTORE_PAYLOAD_MAX - below(64);
        memcpy(payload, "/local/domain/", 14);
        for ( i = 14; i < n - 1; i++ )
            payload[i] = below(8) ? 'a' + below(26) : '/';
        payload[n - 1] = '\0';
        return n;
    default:                            /* path-shaped arguments */
        args = 1 + below(type == XS_SET_PERMS ? 8 : 3);
        for ( i = 0; i < args && n < 2000; i++ )
        {
            if ( i && type == XS_SET_PERMS )
                n += snprintf(payload + n, 64, "%c%u",
                              "nrwbx"[below(5)], below(40000)) + 1;
            else if ( i && below(2) )
                n += snprintf(payload + n, 64, "%lu",
                              (unsigned long)(rnd() >> below(64))) + 1;
            else
                n += random_path(payload + n, 1000);
        }
        return n;
    }
}

static void send_message(bool lie, bool oversize)
{
    struct xsd_sockmsg h;
    uint32_t type;
    unsigned int len, i, off;
    uint64_t t0;
    bool whole;

    type = below(8) ? below(XS_TYPE_COUNT + 3) : (uint32_t)rnd();
    len = random_payload(type);
    h.type = type;
    h.req_id = (uint32_t)rnd();
    h.tx_id = below(3) ? 0 : (below(2) ? below(16) : (uint32_t)rnd());
    h.len = len;
    if ( lie )
        h.len = below(2) ? len + 1 + below(64) : (len ? below(len) : 0);
    if ( oversize )
        h.len = XENSTORE_PAYLOAD_MAX + 1 + below(1u << 20);
    /*
     * What does not fit now waits a little, then the rest is dropped (a
     * message cut short) -- unless the store cannot reconnect: then every
     * message goes whole (for up to 30 s), or the framing would be lost
     * for good.
     */
    whole = !can_reconnect();
    t0 = xt_system_time();
    for ( off = 0, i = 0; off < sizeof(h) + len; i++ )
    {
        off += off < sizeof(h)
               ? put((char *)&h + off, sizeof(h) - off)
               : put(payload + off - sizeof(h), sizeof(h) + len - off);
        if ( off == sizeof(h) + len )
            break;
        if ( whole ? xt_system_time() - t0 > 30000000000ULL : i >= 200 )
        {
            st.stuck++;
            if ( whole )
                gave_up = true;
            return;
        }
        if ( whole || below(4) == 0 )
            drain();
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    st.msgs++;
}

static void fuzz(uint64_t secs)
{
    uint64_t end = xt_system_time() + secs * 1000000000ULL;
    unsigned long iter = 0;

    while ( xt_system_time() < end && !gave_up )
    {
        unsigned int what = below(100), e;

        iter++;
        if ( !can_reconnect() && what >= 55 && what < 75 )
            what = 80;                  /* nothing that breaks the ring */
        if ( what < 55 )
            send_message(false, false);
        else if ( what < 70 )
            send_message(true, false);          /* length lies */
        else if ( what < 73 )
            send_message(false, true);          /* oversized */
        else if ( what < 75 )
        {
            /* The producer index jumps (the store must not read past
             * what we wrote, nor trust it). */
            ACCESS_ONCE(xs->req_prod) = xs->req_prod +
                XENSTORE_RING_SIZE + 1 + below(1u << 30);
            kick();
        }
        else if ( what < 85 )
        {
            unsigned int k, n = 1 + below(64);  /* a flood, unread */

            for ( k = 0; k < n; k++ )
                send_message(false, false);
        }
        else
            st.replies += drain();

        e = ACCESS_ONCE(xs->error);
        if ( e )
        {
            st.errors++;
            st.by_error[e < 4 ? e : 0]++;
            if ( !reconnect() )
                break;
        }
        if ( (iter & 255) == 0 )
            printf("xsfuzz: %lu messages, %lu bytes, %lu reply bytes read, "
                   "%lu ring errors, %lu reconnects\n", st.msgs, st.bytes,
                   st.replies, st.errors, st.reconnects);
    }
}

XTEST(xsfuzz, 6)
{
    start_info_t *si = xt_start_info;
    uint64_t secs = cmdline_num("secs=", 30);

    if ( si->flags & SIF_INITDOMAIN )
    {
        xt_skip("store_before", "booted as dom0: a domU of the store-fuzz "
                "scenario only");
        xt_skip("fuzzed", "booted as dom0");
        xt_skip("store_after", "booted as dom0");
        xt_skip("probe_deep_rm", "booted as dom0");
        xt_skip("probe_tx_events", "booted as dom0");
        xt_skip("probe_tx_quota", "booted as dom0");
        return;
    }
    xt_events_init();                   /* shared_info: the clock */
    rng ^= cmdline_num("seed=", 1);
    if ( !rng )
        rng = 1;
    xs = ring_page(si->store_mfn);
    xs_port = si->store_evtchn;
    if ( !xs || !xs_port )
    {
        xt_error("no store ring (mfn %#lx port %u)",
                 (unsigned long)si->store_mfn, si->store_evtchn);
        return;
    }
    printf("xsfuzz: seed %#lx, %lu s\n",
           (unsigned long)cmdline_num("seed=", 1), (unsigned long)secs);
    sane_check("store_before");
    if ( cmdline_num("probes=", 1) )
        probes();
    else
    {
        xt_skip("probe_deep_rm", "probes=0");
        xt_skip("probe_tx_events", "probes=0");
        xt_skip("probe_tx_quota", "probes=0");
    }
    fuzz(secs);
    xt_check("fuzzed", st.msgs > 0,
             "%lu messages (%lu bytes), %lu reply bytes read, ring errors "
             "%lu (comm %lu, ringidx %lu, proto %lu), %lu reconnects, %lu "
             "times the ring stayed full%s", st.msgs, st.bytes, st.replies,
             st.errors, st.by_error[1], st.by_error[2], st.by_error[3],
             st.reconnects, st.stuck,
             gave_up ? " (the store stopped reading for 30 s: ended)" : "");
    sane_check("store_after");
}
