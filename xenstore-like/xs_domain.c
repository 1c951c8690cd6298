/*
 * xs_domain.c: domains, their ring connections and their lifecycle.
 *
 * INTRODUCE maps a domain's store page and binds its store event channel
 * through the Xen backend (struct xs_xen_ops), resets the ring and makes
 * a connection whose transport is the page's two byte queues.  dom0's own
 * kernel is connected the same way through /proc/xen/xsd_kva at start-up.
 *
 * Lifecycle: on VIRQ_DOM_EXC the daemon asks Xen about every introduced
 * domain.  A domain that shut down or crashed fires @releaseDomain once
 * (again after RESUME); a domain that is dying or gone is released: its
 * connection (watches, transactions, queued output) is freed, the page is
 * unmapped, the port unbound, every node it owns is removed and
 * @releaseDomain fires.  RELEASE does the same on dom0's request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

static const struct xs_perm no_perms[1] = { { 0, XS_PERM_NONE } };

struct xs_domain *xs_domain_find(struct xs_core *core, unsigned int domid)
{
    struct xs_domain *d;

    for ( d = core->domains; d; d = d->next )
        if ( d->domid == domid && !d->gone )
            return d;
    return NULL;
}

/* ---- Ring transport ---------------------------------------------------- */

static int ring_read(struct xs_conn *c, void *buf, unsigned int len, int *err)
{
    int n = xs_ring_read(c->domain->ring, buf, len);

    if ( n < 0 )
        *err = XENSTORE_ERROR_RINGIDX;
    return n;
}

static int ring_write(struct xs_conn *c, const void *buf, unsigned int len,
                      int *err)
{
    int n = xs_ring_write(c->domain->ring, buf, len);

    if ( n < 0 )
        *err = XENSTORE_ERROR_RINGIDX;
    return n;
}

static const struct xs_transport ring_transport = {
    .name = "ring",
    .read = ring_read,
    .write = ring_write,
};

static void notify(struct xs_core *core, struct xs_domain *d)
{
    if ( d->bound )
        core->xen->notify(core->xen_priv, d->lport);
}

static void reset_ring(struct xenstore_domain_interface *ring)
{
    ring->req_cons = ring->req_prod = 0;
    ring->rsp_cons = ring->rsp_prod = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Empties everything on a domain's request (RECONNECT, re-INTRODUCE). */
static void reconnect(struct xs_core *core, struct xs_domain *d)
{
    xs_conn_reset(d->conn);
    d->conn->ignored = false;
    reset_ring(d->ring);
    d->ring->error = XENSTORE_ERROR_NONE;
    d->ring->connection = XENSTORE_CONNECTED;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    notify(core, d);
}

bool xs_domain_service(struct xs_core *core)
{
    struct xs_domain *d;
    XENSTORE_RING_IDX rc0, rp0;
    bool moved = false, any;

    core->turn_ms = core->now_ms();
    for ( d = core->domains; d; d = d->next )
    {
        if ( d->gone || !d->conn || !d->ring )
            continue;
        if ( *(volatile uint32_t *)&d->ring->connection == XENSTORE_RECONNECT )
        {
            reconnect(core, d);
            moved = true;
            continue;
        }
        if ( d->conn->ignored )
            continue;
        rc0 = d->ring->req_cons;
        rp0 = d->ring->rsp_prod;
        xs_conn_output(d->conn);
        if ( xs_ring_has_input(d->ring) )
            xs_conn_input(d->conn);
        xs_conn_output(d->conn);
        any = rc0 != d->ring->req_cons || rp0 != d->ring->rsp_prod;
        if ( any )
            notify(core, d);
        moved |= any;
    }
    return moved;
}

void xs_domain_event(struct xs_core *core, int lport)
{
    (void)lport;               /* rings are cheap to look at: see them all */
    xs_domain_service(core);
}

/* ---- Introduce and release --------------------------------------------- */

static struct xs_domain *new_domain(struct xs_core *core, unsigned int domid)
{
    struct xs_domain *d = calloc(1, sizeof(*d));

    if ( !d )
        return NULL;
    d->domid = domid;
    d->conn = xs_conn_new(core, &ring_transport, d, domid,
                          domid == 0 || domid == core->priv_domid);
    if ( !d->conn )
    {
        free(d);
        return NULL;
    }
    d->conn->domain = d;
    d->next = core->domains;
    core->domains = d;
    return d;
}

static void destroy(struct xs_core *core, struct xs_domain *d);

static int rebind(struct xs_core *core, struct xs_domain *d,
                  unsigned int port)
{
    int lport;

    if ( d->bound )
        core->xen->unbind(core->xen_priv, d->lport);
    d->bound = false;
    lport = core->xen->bind(core->xen_priv, d->domid, port);
    if ( lport < 0 )
        return -lport;
    d->lport = lport;
    d->bound = true;
    return 0;
}

int xs_domain_introduce(struct xs_core *core, unsigned int domid,
                        uint64_t gfn, unsigned int port)
{
    struct xs_domain *d = xs_domain_find(core, domid);
    struct xenstore_domain_interface *ring;
    int rc;

    if ( !core->xen )
        return ENOSYS;
    if ( d )
    {
        /* Again: rebind the port and start afresh, as Xen does. */
        rc = rebind(core, d, port);
        if ( !rc )
            reconnect(core, d);
        return rc;
    }
    ring = core->xen->map_ring(core->xen_priv, domid, gfn);
    if ( !ring )
        return EINVAL;
    d = new_domain(core, domid);
    if ( !d )
    {
        core->xen->unmap_ring(core->xen_priv, domid, ring);
        return ENOMEM;
    }
    d->ring = ring;
    rc = rebind(core, d, port);
    if ( rc )
    {
        xs_log(core, XS_LOG_WARN, "domain %u: cannot bind port %u (%d)",
               domid, port, rc);
        destroy(core, d);
        return rc;
    }
    ring->server_features |= XENSTORE_SERVER_FEATURE_RECONNECTION |
                             XENSTORE_SERVER_FEATURE_ERROR;
    reconnect(core, d);
    xs_log(core, XS_LOG_INFO, "domain %u introduced (port %u -> %u)", domid,
           port, d->lport);
    xs_fire(core, NULL, "@introduceDomain", true, NULL, 0);
    return 0;
}

int xs_domain_introduce_local(struct xs_core *core, unsigned int domid)
{
    struct xenstore_domain_interface *ring;
    struct xs_domain *d;
    unsigned int port;
    int rc;

    ring = core->xen->map_local_ring(core->xen_priv, &port);
    if ( !ring )
        return ENODEV;
    d = new_domain(core, domid);
    if ( !d )
        return ENOMEM;
    d->ring = ring;
    d->local_ring = true;
    rc = rebind(core, d, port);
    if ( rc )
    {
        destroy(core, d);
        return rc;
    }
    ring->server_features |= XENSTORE_SERVER_FEATURE_RECONNECTION |
                             XENSTORE_SERVER_FEATURE_ERROR;
    xs_log(core, XS_LOG_INFO, "dom%u's kernel connected (port %u -> %u)",
           domid, port, d->lport);
    notify(core, d);
    return 0;
}

/*
 * Disconnects a domain.  Requests of other connections may be running, so
 * the structures are only marked here and freed by xs_domain_reap().
 */
static void destroy(struct xs_core *core, struct xs_domain *d)
{
    if ( d->conn )
    {
        xs_conn_reset(d->conn);
        d->conn->domain = NULL;
        d->conn->dead = true;
        d->conn = NULL;
    }
    if ( d->bound )
        core->xen->unbind(core->xen_priv, d->lport);
    d->bound = false;
    if ( d->ring )
        core->xen->unmap_ring(core->xen_priv, d->local_ring ? 0 : d->domid,
                              d->ring);
    d->ring = NULL;
    d->gone = true;
}

void xs_domain_reap(struct xs_core *core)
{
    struct xs_domain **pp = &core->domains, *d;

    while ( (d = *pp) )
    {
        if ( d->gone )
        {
            *pp = d->next;
            free(d);
        }
        else
            pp = &d->next;
    }
}

/*
 * Nothing may still name a released domain, or the next domain given the
 * same id inherits its rights (the XSA-322 class): permission entries
 * naming it go from every live node, from the copies and events held by
 * open transactions and from the special watch names; a node still owned
 * by it goes to the privileged domain; a SET_TARGET on it is undone.
 * Xen 4.17 ignores such entries by comparing generations; the effect on
 * access is the same.
 */
void xs_domain_forget(struct xs_core *core, unsigned int domid)
{
    struct xs_conn *c;
    struct xs_txn *t;

    xs_store_forget_domain(&core->store, domid, core->priv_domid);
    for ( c = core->conns; c; c = c->next )
    {
        if ( c->target == (int)domid )
            c->target = -1;
        for ( t = c->txns; t; t = t->next )
            xs_txn_forget_domain(t, domid, core->priv_domid);
    }
    xs_perms_drop(core->intro_perms, &core->n_intro_perms, domid,
                  core->priv_domid);
    xs_perms_drop(core->release_perms, &core->n_release_perms, domid,
                  core->priv_domid);
}

int xs_domain_release(struct xs_core *core, unsigned int domid)
{
    struct xs_domain *d = xs_domain_find(core, domid);

    if ( !d || !d->conn )
        return ENOENT;
    destroy(core, d);
    xs_domain_remove_nodes(core, domid);
    xs_domain_forget(core, domid);
    xs_log(core, XS_LOG_INFO, "domain %u released", domid);
    xs_fire(core, NULL, "@releaseDomain", true, no_perms, 1);
    return 0;
}

void xs_domain_check_all(struct xs_core *core)
{
    struct xs_domain *d, *next;
    struct xs_dominfo info;
    bool notify_release = false;
    int rc;

    for ( d = core->domains; d; d = next )
    {
        next = d->next;
        if ( d->local_ring )
            continue;
        rc = core->xen->dominfo(core->xen_priv, d->domid, &info);
        if ( rc && rc != ESRCH )
        {
            xs_log(core, XS_LOG_WARN, "getdomaininfo %u failed (%d)",
                   d->domid, rc);
            continue;
        }
        if ( rc == ESRCH || info.domid != d->domid || info.dying )
        {
            xs_domain_release(core, d->domid);
            continue;
        }
        if ( info.shutdown && !d->shutdown )
        {
            d->shutdown = true;
            notify_release = true;
        }
    }
    if ( notify_release )
        xs_fire(core, NULL, "@releaseDomain", true, no_perms, 1);
}

void xs_domain_free_all(struct xs_core *core)
{
    struct xs_domain *d;

    for ( d = core->domains; d; d = d->next )
        if ( !d->gone )
            destroy(core, d);
    xs_domain_reap(core);
}

/* ---- Nodes of a departed domain ------------------------------------------ */

struct owned
{
    unsigned int domid;
    char **paths;
    size_t n, cap;
};

static int collect_owned(const char *path, void *val, void *arg)
{
    const struct xs_node *node = val;
    struct owned *o = arg;
    char **np;

    if ( !node || node->perms[0].id != o->domid || !strcmp(path, "/") )
        return 0;
    if ( o->n == o->cap )
    {
        o->cap = o->cap ? 2 * o->cap : 16;
        np = realloc(o->paths, o->cap * sizeof(*np));
        if ( !np )
            return ENOMEM;
        o->paths = np;
    }
    o->paths[o->n] = strdup(path);
    if ( !o->paths[o->n] )
        return ENOMEM;
    o->n++;
    return 0;
}

static int by_length(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

    return (la > lb) - (la < lb);
}

void xs_domain_remove_nodes(struct xs_core *core, unsigned int domid)
{
    struct owned o = { .domid = domid };
    struct xs_view v = { .st = &core->store };
    size_t i;

    if ( !core->store.acct[domid].nodes )
        return;
    if ( xs_htab_foreach(&core->store.nodes, collect_owned, &o) )
        xs_log(core, XS_LOG_ERROR, "out of memory removing nodes of %u",
               domid);
    /* Shortest first: a subtree goes with its top-most owned node. */
    if ( o.n )
        qsort(o.paths, o.n, sizeof(*o.paths), by_length);
    for ( i = 0; i < o.n; i++ )
    {
        if ( xs_htab_get(&core->store.nodes, o.paths[i]) )
            xs_rm_subtree(core, &v, NULL, o.paths[i]);
        free(o.paths[i]);
    }
    free(o.paths);
}
