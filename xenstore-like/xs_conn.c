/*
 * xs_conn.c: connections, whatever carries them.
 *
 * A connection reads a 16-byte header, then exactly 'len' payload bytes
 * (len above XENSTORE_PAYLOAD_MAX stops the connection: a socket is
 * closed, a ring is marked with XENSTORE_ERROR_PROTO and ignored), then
 * processes the request before reading the next one.  Replies and watch
 * events are queued and written as the transport accepts them.
 *
 * Flow control, so that no client can starve the others or grow the
 * daemon without bound:
 *  - an unprivileged domain stops being read while it has 'outstanding'
 *    unread replies or while its memory (owned nodes, watches, queued
 *    output) is above the hard memory quota; watch events beyond the
 *    hard quota are dropped, as Xen does;
 *  - a socket stops being read while more than sock_out_throttle bytes
 *    wait for it, and is dropped when watch events push it past
 *    sock_out_max;
 *  - each call of xs_conn_input handles a bounded number of requests so
 *    that one busy client cannot monopolise the loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

#define XS_REQUESTS_PER_TURN 64

struct xs_conn *xs_conn_new(struct xs_core *core,
                            const struct xs_transport *tp, void *priv,
                            unsigned int id, bool privileged)
{
    struct xs_conn *c = calloc(1, sizeof(*c));

    if ( !c )
        return NULL;
    c->core = core;
    c->tp = tp;
    c->tp_priv = priv;
    c->fd = -1;
    c->id = id;
    c->privileged = privileged;
    c->target = -1;
    c->next_txid = 1;
    if ( xs_htab_init(&c->pending_ev, 16) )
    {
        free(c);
        return NULL;
    }
    c->next = core->conns;
    if ( core->conns )
        core->conns->prev = c;
    core->conns = c;
    return c;
}

void xs_event_key(char *key, const char *path, const char *token)
{
    size_t plen = strlen(path);

    memcpy(key, path, plen);
    key[plen] = '\1';          /* never in a path */
    strcpy(key + plen + 1, token);
}

/* The event in o is being sent: identical ones queue anew from now. */
static void unindex(struct xs_conn *c, struct xs_outbuf *o)
{
    char key[XENSTORE_PAYLOAD_MAX + 2];
    const char *path = (const char *)o->data + sizeof(struct xsd_sockmsg);

    if ( !o->indexed )
        return;
    xs_event_key(key, path, path + strlen(path) + 1);
    xs_htab_del(&c->pending_ev, key);
    o->indexed = 0;
}

static void free_output(struct xs_conn *c)
{
    struct xs_outbuf *o, *next;

    for ( o = c->out_head; o; o = next )
    {
        next = o->next;
        unindex(c, o);
        free(o);
    }
    c->out_head = c->out_tail = NULL;
    c->out_bytes = 0;
    c->out_replies = 0;
}

static void free_txns(struct xs_conn *c)
{
    struct xs_txn *t, *next;

    for ( t = c->txns; t; t = next )
    {
        next = t->next;
        xs_txn_free(t);
    }
    c->txns = NULL;
    c->ntxns = 0;
}

void xs_conn_reset(struct xs_conn *c)
{
    xs_watch_clear(c);
    free_txns(c);
    free_output(c);
    c->in_used = 0;
    c->in_hdr = false;
}

void xs_conn_free(struct xs_conn *c)
{
    struct xs_core *core = c->core;

    xs_conn_reset(c);
    if ( c->tp && c->tp->close )
        c->tp->close(c);
    if ( c->prev )
        c->prev->next = c->next;
    else
        core->conns = c->next;
    if ( c->next )
        c->next->prev = c->prev;
    xs_htab_fini(&c->pending_ev, NULL);
    free(c);
}

/* Whether to log the n-th protocol error of a connection: the first 8,
 * then every 1024th (a hostile guest must not fill the log). */
static bool log_proto_error(struct xs_conn *c)
{
    unsigned int n = ++c->proto_errors;

    if ( n == 9 )
        xs_log(c->core, XS_LOG_WARN, "domain %u: further protocol errors "
               "logged only every 1024th", c->id);
    return n <= 8 || n % 1024 == 0;
}

void xs_conn_ignore(struct xs_conn *c, int err)
{
    if ( !err || log_proto_error(c) )
        xs_log(c->core, err ? XS_LOG_WARN : XS_LOG_DEBUG,
               "connection of domain %u stopped (error %d, %u so far)",
               c->id, err, c->proto_errors);
    if ( err )
        c->core->stats.conns_dropped++;
    xs_conn_reset(c);
    c->ignored = true;
    if ( c->domain && c->domain->ring )
        c->domain->ring->error = err;
    if ( !c->domain )
        c->dead = true;        /* sockets and test connections go away */
}

void xs_conn_caller(const struct xs_conn *c, struct xs_caller *who)
{
    who->id = c->id;
    who->privileged = c->privileged;
    who->target = c->target;
}

const char *xs_conn_domain_path(const struct xs_conn *c, char *buf,
                                size_t size)
{
    snprintf(buf, size, "/local/domain/%u", c->id);
    return buf;
}

struct xs_txn *xs_conn_find_txn(struct xs_conn *c, uint32_t id)
{
    struct xs_txn *t;

    for ( t = c->txns; t; t = t->next )
        if ( t->id == id )
            return t;
    return NULL;
}

void xs_conn_drop_txn(struct xs_conn *c, struct xs_txn *t)
{
    struct xs_txn **pp;

    for ( pp = &c->txns; *pp; pp = &(*pp)->next )
    {
        if ( *pp == t )
        {
            *pp = t->next;
            c->ntxns--;
            xs_txn_free(t);
            return;
        }
    }
}

size_t xs_domain_memory(const struct xs_core *core, unsigned int domid)
{
    const struct xs_domain *d;
    size_t mem = core->store.acct[domid].bytes +
                 core->store.acct[domid].txn_bytes;

    for ( d = core->domains; d; d = d->next )
        if ( d->domid == domid && d->conn )
            mem += d->conn->out_bytes + d->conn->watch_bytes;
    return mem;
}

static bool unprivileged_domain(const struct xs_conn *c)
{
    return c->domain && !c->privileged;
}

int xs_conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id,
                  uint32_t tx_id, const void *data, uint32_t len, bool reply)
{
    struct xs_outbuf *o;
    struct xsd_sockmsg hdr = {
        .type = type, .req_id = req_id, .tx_id = tx_id, .len = len,
    };

    if ( c->ignored || c->dead )
        return 0;
    if ( len > XENSTORE_PAYLOAD_MAX )
        return E2BIG;
    o = malloc(sizeof(*o) + sizeof(hdr) + len);
    if ( !o )
        return ENOMEM;
    memcpy(o->data, &hdr, sizeof(hdr));
    if ( len )
        memcpy(o->data + sizeof(hdr), data, len);
    o->len = sizeof(hdr) + len;
    o->off = 0;
    o->reply = reply;
    o->indexed = 0;
    o->next = NULL;
    if ( c->out_tail )
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->out_bytes += o->len;
    if ( reply )
        c->out_replies++;
    xs_trace_msg(c->core, c, "OUT", &hdr, data);
    if ( !c->domain && c->out_bytes > c->core->quota.sock_out_max )
    {
        /* Possibly in the middle of a request: only mark it here, the
         * main loop frees it. */
        xs_log(c->core, XS_LOG_WARN,
               "socket client does not read its output: dropped");
        c->core->stats.conns_dropped++;
        c->dead = true;
    }
    return 0;
}

bool xs_conn_output(struct xs_conn *c)
{
    struct xs_outbuf *o;
    int n, err = XENSTORE_ERROR_COMM;
    bool moved = false;

    while ( (o = c->out_head) && !c->ignored && !c->dead )
    {
        if ( o->off == 0 )
            unindex(c, o);
        n = c->tp->write(c, o->data + o->off, o->len - o->off, &err);
        if ( n < 0 )
        {
            xs_conn_ignore(c, err);
            break;
        }
        if ( n == 0 )
            break;
        moved = true;
        o->off += n;
        if ( o->off < o->len )
            continue;
        c->out_head = o->next;
        if ( !c->out_head )
            c->out_tail = NULL;
        c->out_bytes -= o->len;
        if ( o->reply )
            c->out_replies--;
        free(o);
    }
    return moved;
}

/* ---- Write-rate limit ---- */

static bool wrl_applies(const struct xs_conn *c)
{
    return unprivileged_domain(c) && c->core->quota.wrl_rate;
}

/*
 * The credit at 'now', in thousandths of a write: what was left, plus
 * wrl_rate per second since, up to wrl_burst (a new domain starts with
 * wrl_burst_new, spent but not refilled above wrl_burst).
 */
static int64_t wrl_credit_now(const struct xs_conn *c, uint64_t now)
{
    const struct xs_quota *q = &c->core->quota;
    int64_t cap = (int64_t)q->wrl_burst * 1000, v;

    if ( !c->wrl_started )
        return (int64_t)q->wrl_burst_new * 1000;
    if ( c->wrl_credit >= cap )
        return c->wrl_credit;
    v = c->wrl_credit +
        (int64_t)((now > c->wrl_stamp ? now - c->wrl_stamp : 0) *
                  q->wrl_rate);
    return v > cap ? cap : v;
}

void xs_conn_wrl_debit(struct xs_conn *c)
{
    uint64_t now;

    if ( !wrl_applies(c) )
        return;
    now = c->core->turn_ms;
    c->wrl_credit = wrl_credit_now(c, now) - 1000;
    c->wrl_stamp = now;
    c->wrl_started = true;
    c->core->stats.wrl_debits++;
    if ( c->wrl_credit < 0 && !c->wrl_logged )
    {
        c->wrl_logged = true;
        xs_log(c->core, XS_LOG_INFO,
               "domain %u writes faster than %u/s: rate-limited", c->id,
               c->core->quota.wrl_rate);
    }
}

unsigned int xs_conn_wrl_wait_ms(const struct xs_conn *c)
{
    int64_t credit;

    if ( !wrl_applies(c) )
        return 0;
    credit = wrl_credit_now(c, c->core->turn_ms);
    if ( credit >= 0 )
        return 0;
    return (unsigned int)((-credit + c->core->quota.wrl_rate - 1) /
                          c->core->quota.wrl_rate);
}

unsigned int xs_core_wrl_wait_ms(struct xs_core *core, unsigned int max)
{
    const struct xs_conn *c;
    unsigned int w, best = max;

    core->turn_ms = core->now_ms();
    for ( c = core->conns; c; c = c->next )
    {
        w = xs_conn_wrl_wait_ms(c);
        if ( w && w < best )
            best = w;
    }
    return best;
}

bool xs_conn_can_read(const struct xs_conn *c)
{
    const struct xs_quota *q = &c->core->quota;

    if ( c->ignored || c->dead )
        return false;
    if ( unprivileged_domain(c) )
    {
        if ( q->wrl_rate && xs_conn_wrl_wait_ms(c) )
            return false;       /* in write debt: not read until paid */
        if ( q->outstanding && c->out_replies >= q->outstanding )
            return false;
        if ( q->memory_hard &&
             xs_domain_memory(c->core, c->id) >= q->memory_hard )
            return false;
        return true;
    }
    if ( !c->domain && c->out_bytes >= q->sock_out_throttle )
        return false;
    return true;
}

/* Reads towards the end of the current header or payload.  Returns
 * true when it is complete, false when more is needed or on error. */
static bool fill(struct xs_conn *c, char *dst, uint32_t want)
{
    int n, err = XENSTORE_ERROR_RINGIDX;

    while ( c->in_used < want )
    {
        n = c->tp->read(c, dst + c->in_used, want - c->in_used, &err);
        if ( n < 0 )
        {
            xs_conn_ignore(c, err);
            return false;
        }
        if ( n == 0 )
            return false;
        c->in_used += n;
    }
    return true;
}

void xs_conn_input(struct xs_conn *c)
{
    unsigned int handled = 0;

    while ( handled < XS_REQUESTS_PER_TURN && xs_conn_can_read(c) )
    {
        if ( !c->in_hdr )
        {
            if ( !fill(c, (char *)&c->hdr, sizeof(c->hdr)) )
                return;
            if ( c->hdr.len > XENSTORE_PAYLOAD_MAX )
            {
                if ( c->proto_errors < 8 )
                    xs_log(c->core, XS_LOG_WARN,
                           "domain %u sent a %u-byte payload", c->id,
                           c->hdr.len);
                xs_conn_ignore(c, XENSTORE_ERROR_PROTO);
                return;
            }
            c->in_hdr = true;
            c->in_used = 0;
        }
        if ( !fill(c, c->in_buf, c->hdr.len) )
            return;
        c->in_buf[c->hdr.len] = '\0';
        c->in_hdr = false;
        c->in_used = 0;
        handled++;
        xs_process(c, &c->hdr, c->in_buf);
    }
}
