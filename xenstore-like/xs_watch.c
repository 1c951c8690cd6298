/*
 * xs_watch.c: watches and the events they produce.
 *
 * A watch on P (absolute, relative to the caller's domain path, or one of
 * the special names @introduceDomain and @releaseDomain) fires once when
 * it is registered, then for every change at P or below it.  A change
 * inside a transaction is queued in the transaction and fires only if
 * the transaction commits.  An event reaches a connection only if the
 * connection could read the node (before or after the change) or its
 * parent; special events reach privileged connections and domains given
 * read access to the special name with SET_PERMS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

/* Is child equal to parent or below it? */
static bool is_child(const char *child, const char *parent)
{
    size_t len = strlen(parent);

    if ( !strcmp(parent, "/") )
        return child[0] == '/';
    return !strncmp(child, parent, len) &&
           (child[len] == '/' || child[len] == '\0');
}

static const char *event_path(const struct xs_watch *w, const char *path)
{
    const char *p = path + w->rel_prefix;

    if ( w->rel_prefix && *p == '/' )
        p++;
    return p;
}

static void free_watch(struct xs_watch *w)
{
    free(w->path);
    free(w->token);
    free(w);
}

void xs_watch_clear(struct xs_conn *c)
{
    struct xs_watch *w, *next;

    for ( w = c->watches; w; w = next )
    {
        next = w->next;
        free_watch(w);
    }
    c->watches = NULL;
    c->nwatches = 0;
    c->watch_bytes = 0;
}

/*
 * Queues one event, unless an identical one is still waiting to go.  The
 * cost is the same whatever the reader's queue holds: identical events
 * are found through the connection's index, not by scanning its queue,
 * and a domain over its memory quota loses the event (as in Xen) after
 * one look-up, logging once until an event reaches it again.
 */
static void send_event(struct xs_conn *c, const char *path, const char *token)
{
    struct xs_core *core = c->core;
    size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;
    char buf[XENSTORE_PAYLOAD_MAX], key[XENSTORE_PAYLOAD_MAX + 2];
    bool merge = path[0] != '@';

    if ( plen + tlen > XENSTORE_PAYLOAD_MAX )
        return;
    if ( merge )
    {
        core->stats.event_probes++;
        xs_event_key(key, path, token);
        if ( xs_htab_get(&c->pending_ev, key) )
            return;
    }
    if ( c->domain && !c->privileged && core->quota.memory_hard &&
         xs_domain_memory(core, c->id) + plen + tlen > core->quota.memory_hard )
    {
        core->stats.events_dropped++;
        if ( !c->drop_warned )
            xs_log(core, XS_LOG_WARN, "domain %u over memory quota: watch "
                   "events dropped (first %s)", c->id, path);
        c->drop_warned = true;
        return;
    }
    memcpy(buf, path, plen);
    memcpy(buf + plen, token, tlen);
    if ( xs_conn_queue(c, XS_WATCH_EVENT, 0, 0, buf, plen + tlen, false) )
        return;
    core->stats.events++;
    c->drop_warned = false;
    if ( merge && c->out_tail && !c->ignored && !c->dead &&
         !xs_htab_set(&c->pending_ev, key, c->out_tail, NULL) )
        c->out_tail->indexed = 1;
}

int xs_watch_add(struct xs_req *r, const char *path, const char *token)
{
    struct xs_conn *c = r->conn;
    struct xs_watch *w;
    char base[40];
    size_t prefix = 0;
    char *abs;

    if ( path[0] == '@' )
    {
        if ( strlen(path) > XENSTORE_REL_PATH_MAX )
            return EINVAL;
        abs = strdup(path);
    }
    else if ( path[0] == '/' )
        abs = strdup(path);
    else
    {
        xs_conn_domain_path(c, base, sizeof(base));
        prefix = strlen(base);
        abs = malloc(prefix + strlen(path) + 2);
        if ( abs )
            sprintf(abs, "%s/%s", base, path);
    }
    if ( !abs )
        return ENOMEM;
    if ( abs[0] != '@' && !xs_path_valid(r->core, abs) )
        goto inval;
    for ( w = c->watches; w; w = w->next )
    {
        if ( !strcmp(w->path, abs) && !strcmp(w->token, token) )
        {
            free(abs);
            return EEXIST;
        }
    }
    if ( !r->who.privileged && r->core->quota.watches &&
         c->nwatches >= r->core->quota.watches )
    {
        free(abs);
        return E2BIG;
    }
    w = calloc(1, sizeof(*w));
    if ( !w || !(w->token = strdup(token)) )
    {
        free(w);
        free(abs);
        return ENOMEM;
    }
    w->path = abs;
    w->rel_prefix = prefix;
    w->next = c->watches;
    c->watches = w;
    c->nwatches++;
    c->watch_bytes += strlen(abs) + strlen(token);
    xs_reply_ok(r);
    /* Fire once straight away: clients rely on it at set-up. */
    send_event(c, path, token);
    return 0;

 inval:
    free(abs);
    return EINVAL;
}

int xs_watch_del(struct xs_req *r, const char *path, const char *token)
{
    struct xs_conn *c = r->conn;
    struct xs_watch **pp, *w;
    char abs[XENSTORE_PAYLOAD_MAX + 40], base[40];

    if ( path[0] == '/' || path[0] == '@' )
        snprintf(abs, sizeof(abs), "%s", path);
    else
        snprintf(abs, sizeof(abs), "%s/%s",
                 xs_conn_domain_path(c, base, sizeof(base)), path);
    for ( pp = &c->watches; (w = *pp); pp = &w->next )
    {
        if ( !strcmp(w->path, abs) && !strcmp(w->token, token) )
        {
            *pp = w->next;
            c->nwatches--;
            c->watch_bytes -= strlen(w->path) + strlen(w->token);
            free_watch(w);
            return xs_reply_ok(r);
        }
    }
    return ENOENT;
}

static bool can_read_live(struct xs_core *core, const struct xs_caller *who,
                          const char *path)
{
    const struct xs_node *n = xs_htab_get(&core->store.nodes, path);

    return n && (xs_perm_for(who, n->perms, n->nperms) & XS_PERM_READ);
}

/* May this connection hear about a change at path? */
static bool permitted(struct xs_core *core, const struct xs_conn *c,
                      const char *path, const struct xs_perm *p, uint32_t np)
{
    struct xs_caller who;
    char up[XENSTORE_PAYLOAD_MAX + 40];
    const char *slash;

    xs_conn_caller(c, &who);
    if ( who.privileged )
        return true;
    if ( path[0] == '@' )
    {
        if ( !strcmp(path, "@introduceDomain") )
            return xs_perm_for(&who, core->intro_perms,
                               core->n_intro_perms) & XS_PERM_READ;
        return xs_perm_for(&who, core->release_perms,
                           core->n_release_perms) & XS_PERM_READ;
    }
    if ( np && (xs_perm_for(&who, p, np) & XS_PERM_READ) )
        return true;
    if ( can_read_live(core, &who, path) )
        return true;
    slash = strrchr(path, '/');
    if ( !slash || strlen(path) >= sizeof(up) )
        return false;
    if ( slash == path )
        strcpy(up, "/");
    else
    {
        memcpy(up, path, slash - path);
        up[slash - path] = '\0';
    }
    return can_read_live(core, &who, up);
}

void xs_fire(struct xs_core *core, struct xs_view *v, const char *path,
             bool exact, const struct xs_perm *p, uint32_t np)
{
    struct xs_conn *c;
    struct xs_watch *w;
    int allowed;

    if ( v && v->txn )
    {
        if ( xs_txn_queue_event(v->txn, path, exact, p, np) )
            v->txn->failed = true;      /* cannot promise the events */
        return;
    }
    for ( c = core->conns; c; c = c->next )
    {
        if ( c->ignored || c->dead || !c->watches )
            continue;
        allowed = -1;
        for ( w = c->watches; w; w = w->next )
        {
            bool match;

            if ( path[0] == '@' || w->path[0] == '@' || exact )
                match = !strcmp(path, w->path);
            else
                match = is_child(path, w->path);
            if ( !match )
                continue;
            if ( allowed < 0 )
                allowed = permitted(core, c, path, p, np);
            if ( !allowed )
                break;
            send_event(c, event_path(w, path), w->token);
        }
    }
}

void xs_fire_txn_events(struct xs_core *core, struct xs_txn *t)
{
    struct xs_event *e;

    for ( e = t->events; e; e = e->next )
        xs_fire(core, NULL, e->path, e->exact, e->perms, e->nperms);
}
