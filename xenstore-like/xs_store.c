/*
 * xs_store.c: the node tree, views and transactions.
 *
 * The live tree is a hash table from absolute path to node.  A node holds
 * its value, its permissions (entry 0 is the owner), the names of its
 * children and the store generation at which it last changed; a parent's
 * child list changes with its children, so creating or removing a node
 * also changes its parent.
 *
 * Transactions are optimistic.  A transaction is an overlay: the first
 * time it touches a path (read, write or delete) it records whether the
 * path existed in the live tree and at which generation, and keeps a
 * private copy.  Commit checks that every touched path is still exactly
 * as first seen; if any is not, the commit answers EAGAIN and the live
 * tree is unchanged.  Otherwise all dirty entries are applied in one go,
 * with no failure possible after the check (allocation happens before).
 *
 * Accounting: every live node is charged, by count and size, to the
 * domain that owns it (permission entry 0).  What an open transaction
 * holds (its node copies, its entries, its queued events) is charged to
 * the domain that started it, as memory, and given back when it ends;
 * an unprivileged domain's transaction stops growing at its memory quota
 * (ENOMEM).  Events queued in a transaction are merged per path, so a
 * transaction holds at most two per node it touched.  A commit that would
 * leave the committing domain owning more nodes than its quota fails with
 * ENOSPC, so parallel transactions cannot add up past it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

int xs_store_init(struct xs_store *st)
{
    int rc = xs_htab_init(&st->nodes, 1024);

    if ( rc )
        return rc;
    st->gen = 0;
    st->acct = calloc(XS_DOMID_MAX + 1, sizeof(*st->acct));
    if ( !st->acct )
    {
        xs_htab_fini(&st->nodes, NULL);
        return ENOMEM;
    }
    return 0;
}

static void free_node_cb(void *v)
{
    xs_node_free(v);
}

void xs_store_fini(struct xs_store *st)
{
    xs_htab_fini(&st->nodes, free_node_cb);
    free(st->acct);
    st->acct = NULL;
}

size_t xs_node_size(const struct xs_node *n)
{
    return strlen(n->path) + n->vlen + n->clen +
           n->nperms * sizeof(struct xs_perm);
}

void xs_node_free(struct xs_node *n)
{
    if ( !n )
        return;
    free(n->path);
    free(n->value);
    free(n->perms);
    free(n->children);
    free(n);
}

static void *memdup(const void *p, size_t len)
{
    void *q = malloc(len ? len : 1);

    if ( q && len )
        memcpy(q, p, len);
    return q;
}

struct xs_node *xs_node_new(const char *path, const void *value,
                            uint32_t vlen, const struct xs_perm *perms,
                            uint32_t nperms)
{
    struct xs_node *n = calloc(1, sizeof(*n));

    if ( !n )
        return NULL;
    n->path = strdup(path);
    n->value = memdup(value, vlen);
    n->perms = memdup(perms, nperms * sizeof(*perms));
    if ( !n->path || !n->value || !n->perms )
    {
        xs_node_free(n);
        return NULL;
    }
    n->vlen = vlen;
    n->nperms = nperms;
    return n;
}

struct xs_node *xs_node_dup(const struct xs_node *o)
{
    struct xs_node *n = xs_node_new(o->path, o->value, o->vlen, o->perms,
                                    o->nperms);

    if ( !n )
        return NULL;
    if ( o->clen )
    {
        n->children = memdup(o->children, o->clen);
        if ( !n->children )
        {
            xs_node_free(n);
            return NULL;
        }
    }
    n->clen = o->clen;
    n->gen = o->gen;
    return n;
}

int xs_node_set_value(struct xs_node *n, const void *value, uint32_t vlen)
{
    char *v = memdup(value, vlen);

    if ( !v )
        return ENOMEM;
    free(n->value);
    n->value = v;
    n->vlen = vlen;
    return 0;
}

int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p,
                      uint32_t np)
{
    struct xs_perm *q = memdup(p, np * sizeof(*p));

    if ( !q )
        return ENOMEM;
    free(n->perms);
    n->perms = q;
    n->nperms = np;
    return 0;
}

int xs_node_add_child(struct xs_node *n, const char *name)
{
    size_t len = strlen(name) + 1;
    char *c = realloc(n->children, n->clen + len);

    if ( !c )
        return ENOMEM;
    memcpy(c + n->clen, name, len);
    n->children = c;
    n->clen += len;
    return 0;
}

bool xs_node_del_child(struct xs_node *n, const char *name)
{
    uint32_t off, len;

    for ( off = 0; off < n->clen; off += len )
    {
        len = strlen(n->children + off) + 1;
        if ( !strcmp(n->children + off, name) )
        {
            memmove(n->children + off, n->children + off + len,
                    n->clen - off - len);
            n->clen -= len;
            return true;
        }
    }
    return false;
}

/* ---- Live tree updates with accounting ---------------------------- */

static void acct(struct xs_store *st, const struct xs_node *n, int sign)
{
    struct xs_acct *a;

    if ( !n )
        return;
    a = &st->acct[n->perms[0].id];
    if ( sign > 0 )
    {
        a->nodes++;
        a->bytes += xs_node_size(n);
    }
    else
    {
        a->nodes--;
        a->bytes -= xs_node_size(n);
    }
}

/* Cannot fail when the path is already present. */
static int live_put(struct xs_store *st, struct xs_node *n)
{
    void *old;
    int rc;

    n->gen = ++st->gen;
    rc = xs_htab_set(&st->nodes, n->path, n, &old);
    if ( rc )
    {
        xs_node_free(n);
        return rc;
    }
    acct(st, old, -1);
    acct(st, n, +1);
    xs_node_free(old);
    return 0;
}

static void live_del(struct xs_store *st, const char *path)
{
    struct xs_node *old = xs_htab_del(&st->nodes, path);

    st->gen++;
    acct(st, old, -1);
    xs_node_free(old);
}

struct forget
{
    struct xs_store *st;
    unsigned int domid, heir;
};

/* In place, without a new generation: no watch fires and no transaction
 * fails for it; the accounting follows the owner and the size. */
static int forget_live(const char *path, void *val, void *arg)
{
    struct xs_node *n = val;
    struct forget *f = arg;
    struct xs_perm *p;
    uint32_t i, np;

    if ( !n )
        return 0;
    for ( i = 0; i < n->nperms && n->perms[i].id != f->domid; i++ )
        ;
    if ( i == n->nperms )
        return 0;
    p = n->perms;
    np = n->nperms;
    acct(f->st, n, -1);
    xs_perms_drop(p, &np, f->domid, f->heir);
    n->nperms = np;
    acct(f->st, n, +1);
    return 0;
}

void xs_store_forget_domain(struct xs_store *st, unsigned int domid,
                            unsigned int heir)
{
    struct forget f = { st, domid, heir };

    xs_htab_foreach(&st->nodes, forget_live, &f);
}

static int forget_tent(const char *path, void *val, void *arg)
{
    struct xs_tent *e = val;
    struct forget *f = arg;

    if ( e->node )
        xs_perms_drop(e->node->perms, &e->node->nperms, f->domid, f->heir);
    return 0;
}

void xs_txn_forget_domain(struct xs_txn *t, unsigned int domid,
                          unsigned int heir)
{
    struct forget f = { NULL, domid, heir };
    struct xs_event *e;

    xs_htab_foreach(&t->ents, forget_tent, &f);
    for ( e = t->events; e; e = e->next )
        if ( e->nperms )
            xs_perms_drop(e->perms, &e->nperms, domid, heir);
}

/* ---- Transactions -------------------------------------------------- */

static void free_tent(void *v)
{
    struct xs_tent *e = v;

    xs_node_free(e->node);
    free(e);
}

/* Live-size of a node as a transaction holds it. */
static size_t held_size(const struct xs_node *n)
{
    return n ? sizeof(*n) + xs_node_size(n) : 0;
}

static void txn_charge(struct xs_txn *t, ssize_t delta)
{
    t->bytes += delta;
    if ( t->st )
        t->st->acct[t->domid].txn_bytes += delta;
}

struct xs_txn *xs_txn_new(struct xs_store *st, uint32_t id,
                          unsigned int domid)
{
    struct xs_txn *t = calloc(1, sizeof(*t));

    if ( !t )
        return NULL;
    if ( xs_htab_init(&t->ents, 16) )
    {
        free(t);
        return NULL;
    }
    if ( xs_htab_init(&t->evidx, 16) )
    {
        xs_htab_fini(&t->ents, NULL);
        free(t);
        return NULL;
    }
    t->id = id;
    t->st = st;
    t->domid = domid;
    t->events_tail = &t->events;
    txn_charge(t, sizeof(*t));
    return t;
}

static void free_events(struct xs_event *e)
{
    struct xs_event *next;

    for ( ; e; e = next )
    {
        next = e->next;
        free(e->perms);
        free(e);
    }
}

void xs_txn_free(struct xs_txn *t)
{
    if ( !t )
        return;
    txn_charge(t, -(ssize_t)t->bytes);
    xs_htab_fini(&t->ents, free_tent);
    xs_htab_fini(&t->evidx, NULL);
    free_events(t->events);
    free(t);
}

int xs_txn_queue_event(struct xs_txn *t, const char *path, bool exact,
                       const struct xs_perm *p, uint32_t np)
{
    size_t len = strlen(path) + 1;
    struct xs_event *e;
    char *key = malloc(len + 1);
    int rc;

    if ( !key )
        return ENOMEM;
    key[0] = exact ? 'E' : 'T';
    memcpy(key + 1, path, len);
    if ( xs_htab_get(&t->evidx, key) )
    {
        /* Already queued: the commit fires it once.  The permissions
         * kept are the first (before the change); the live node gives
         * those after it. */
        free(key);
        return 0;
    }
    e = malloc(sizeof(*e) + len);
    if ( !e )
    {
        free(key);
        return ENOMEM;
    }
    e->perms = memdup(p, np * sizeof(*p));
    if ( !e->perms || (rc = xs_htab_set(&t->evidx, key, e, NULL)) )
    {
        free(e->perms);
        free(e);
        free(key);
        return ENOMEM;
    }
    free(key);
    memcpy(e->path, path, len);
    e->exact = exact;
    e->nperms = np;
    e->next = NULL;
    *t->events_tail = e;
    t->events_tail = &e->next;
    txn_charge(t, sizeof(*e) + 2 * len + np * sizeof(*p) +
                  sizeof(struct xs_hent));
    return 0;
}

/* The transaction's entry for path, created from the live tree on first
 * touch. */
static int txn_entry(struct xs_view *v, const char *path,
                     struct xs_tent **out)
{
    struct xs_tent *e = xs_htab_get(&v->txn->ents, path);
    const struct xs_node *live;
    size_t add;
    int rc;

    if ( e )
    {
        *out = e;
        return 0;
    }
    if ( v->max_ents && v->txn->ents.count >= v->max_ents )
        return ENOSPC;
    live = xs_htab_get(&v->st->nodes, path);
    add = sizeof(*e) + sizeof(struct xs_hent) + strlen(path) + 1 +
          held_size(live);
    if ( v->max_mem && v->core &&
         xs_domain_memory(v->core, v->txn->domid) + add > v->max_mem )
        return ENOMEM;
    e = calloc(1, sizeof(*e));
    if ( !e )
        return ENOMEM;
    if ( live )
    {
        e->node = xs_node_dup(live);
        if ( !e->node )
        {
            free(e);
            return ENOMEM;
        }
        e->base_present = true;
        e->base_gen = live->gen;
    }
    rc = xs_htab_set(&v->txn->ents, path, e, NULL);
    if ( rc )
    {
        free_tent(e);
        return rc;
    }
    txn_charge(v->txn, add);
    *out = e;
    return 0;
}

int xs_view_get(struct xs_view *v, const char *path,
                const struct xs_node **out)
{
    struct xs_tent *e;
    int rc;

    *out = NULL;
    if ( !v->txn )
    {
        *out = xs_htab_get(&v->st->nodes, path);
        return *out ? 0 : ENOENT;
    }
    rc = txn_entry(v, path, &e);
    if ( rc )
        return rc;
    *out = e->node;
    return e->node ? 0 : ENOENT;
}

int xs_view_put(struct xs_view *v, struct xs_node *n)
{
    struct xs_tent *e;
    int rc;

    if ( !v->txn )
        return live_put(v->st, n);
    rc = txn_entry(v, n->path, &e);
    if ( rc )
    {
        xs_node_free(n);
        return rc;
    }
    n->gen = v->st->gen;
    txn_charge(v->txn, (ssize_t)held_size(n) - (ssize_t)held_size(e->node));
    xs_node_free(e->node);
    e->node = n;
    e->dirty = true;
    return 0;
}

int xs_view_del(struct xs_view *v, const char *path)
{
    struct xs_tent *e;
    int rc;

    if ( !v->txn )
    {
        live_del(v->st, path);
        return 0;
    }
    rc = txn_entry(v, path, &e);
    if ( rc )
        return rc;
    txn_charge(v->txn, -(ssize_t)held_size(e->node));
    xs_node_free(e->node);
    e->node = NULL;
    e->dirty = true;
    return 0;
}

static int check_ent(const char *path, void *val, void *arg)
{
    const struct xs_tent *e = val;
    const struct xs_node *live = xs_htab_get(arg, path);

    if ( e->base_present != (live != NULL) )
        return EAGAIN;
    if ( live && live->gen != e->base_gen )
        return EAGAIN;
    return 0;
}

/* New paths need a hash entry in the live tree: reserve them before
 * anything changes so that the apply step cannot fail. */
static int reserve_ent(const char *path, void *val, void *arg)
{
    const struct xs_tent *e = val;
    struct xs_store *st = arg;

    if ( !e->dirty || !e->node || xs_htab_get(&st->nodes, path) )
        return 0;
    return xs_htab_set(&st->nodes, path, NULL, NULL);
}

static int unreserve_ent(const char *path, void *val, void *arg)
{
    struct xs_store *st = arg;

    (void)val;
    if ( xs_htab_get(&st->nodes, path) == NULL )
        xs_htab_del(&st->nodes, path);
    return 0;
}

static int apply_ent(const char *path, void *val, void *arg)
{
    struct xs_tent *e = val;
    struct xs_store *st = arg;

    if ( !e->dirty )
        return 0;
    if ( e->node )
    {
        /* The entry exists (reserved), so live_put cannot fail. */
        live_put(st, e->node);
        e->node = NULL;
    }
    else if ( xs_htab_get(&st->nodes, path) )
        live_del(st, path);
    return 0;
}

struct owner_delta
{
    struct xs_store *st;
    unsigned int domid;
    long delta;
};

/* How many more nodes the domain owns once the transaction is applied. */
static int count_owned(const char *path, void *val, void *arg)
{
    const struct xs_tent *e = val;
    struct owner_delta *d = arg;
    const struct xs_node *live;

    if ( !e->dirty )
        return 0;
    live = xs_htab_get(&d->st->nodes, path);
    d->delta += (e->node && e->node->perms[0].id == d->domid) -
                (live && live->perms[0].id == d->domid);
    return 0;
}

int xs_txn_commit(struct xs_store *st, struct xs_txn *t,
                  unsigned int max_nodes)
{
    struct owner_delta d = { st, t->domid, 0 };
    int rc;

    if ( t->failed )
        return EAGAIN;
    rc = xs_htab_foreach(&t->ents, check_ent, &st->nodes);
    if ( rc )
        return rc;
    if ( max_nodes )
    {
        /* Other transactions may have committed since this one checked
         * the quota on creating its nodes: check again against now. */
        xs_htab_foreach(&t->ents, count_owned, &d);
        if ( d.delta > 0 && st->acct[t->domid].nodes + d.delta > max_nodes )
            return ENOSPC;
    }
    rc = xs_htab_foreach(&t->ents, reserve_ent, st);
    if ( rc )
    {
        xs_htab_foreach(&t->ents, unreserve_ent, st);
        return rc;
    }
    xs_htab_foreach(&t->ents, apply_ent, st);
    return 0;
}
