/*
 * xs_proto.c: request decoding and the handlers of every message type.
 *
 * xs_process() resolves the caller, checks the table's flags (privileged
 * only; transaction id ignored), finds the transaction named by tx_id and
 * runs the handler on a view of either the live tree or that transaction.
 * A handler returns 0 after replying, or an errno that becomes an ERROR
 * reply; handlers validate everything before changing anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

#define FLAG_PRIV  1u   /* privileged callers only */
#define FLAG_NOTID 2u   /* tx_id is ignored */

/* Header of a node record as Xen sizes it for the entry-size quota. */
#define NODE_HDR_BYTES 20

/* Room for a canonical path: a relative path plus the domain prefix. */
#define PATH_BUF (XENSTORE_PAYLOAD_MAX + 32)

static const struct
{
    int err;
    const char *name;
} error_names[] = {
#define X(e) { e, #e },
    XSD_ERROR_NAMES(X)
#undef X
};

const char *xs_error_name(int err)
{
    size_t i;

    for ( i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++ )
        if ( error_names[i].err == err )
            return error_names[i].name;
    return "EINVAL";
}

/* ---- Payload helpers ------------------------------------------------ */

static unsigned int count_strings(const struct xs_req *r)
{
    unsigned int i, n = 0;

    for ( i = 0; i < r->len; i++ )
        if ( r->data[i] == '\0' )
            n++;
    return n;
}

/* Exactly one string, terminated by the payload's only NUL. */
static const char *onearg(const struct xs_req *r)
{
    if ( !r->len || strlen(r->data) + 1 != r->len )
        return NULL;
    return r->data;
}

/* Splits the first n strings; returns how many were complete. */
static unsigned int get_strings(const struct xs_req *r, const char **vec,
                                unsigned int n)
{
    unsigned int i = 0, off = 0;

    while ( i < n && off < r->len )
    {
        const char *nul = memchr(r->data + off, '\0', r->len - off);

        if ( !nul )
            break;
        vec[i++] = r->data + off;
        off = nul - r->data + 1;
    }
    return i;
}

static int parse_domid(const char *s, unsigned int *out)
{
    char *end;
    unsigned long v;

    if ( !s || *s < '0' || *s > '9' )
        return EINVAL;
    v = strtoul(s, &end, 10);
    if ( *end || v > XS_DOMID_MAX )
        return EINVAL;
    *out = v;
    return 0;
}

int xs_reply(struct xs_req *r, const void *data, uint32_t len)
{
    int rc;

    if ( len > XENSTORE_PAYLOAD_MAX )
        return E2BIG;
    rc = xs_conn_queue(r->conn, r->hdr.type, r->hdr.req_id, r->hdr.tx_id,
                       data, len, true);
    if ( !rc )
        r->replied = true;
    return rc;
}

int xs_reply_ok(struct xs_req *r)
{
    return xs_reply(r, "OK", 3);
}

static int reply_str(struct xs_req *r, const char *s)
{
    return xs_reply(r, s, strlen(s) + 1);
}

/* ---- Paths ------------------------------------------------------------ */

static bool valid_chars(const char *p)
{
    for ( ; *p; p++ )
    {
        char c = *p;

        if ( !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '-' || c == '/' ||
               c == '_' || c == '@') )
            return false;
    }
    return true;
}

/* Length of a leading "/local/domain/<id>/", 0 if none. */
static size_t domain_prefix_len(const char *p)
{
    const char *pre = "/local/domain/";
    size_t n = strlen(pre), i;

    if ( strncmp(p, pre, n) )
        return 0;
    for ( i = 0; i < 5 && p[n + i] >= '0' && p[n + i] <= '9'; i++ )
        ;
    if ( i == 0 || p[n + i] != '/' )
        return 0;
    return n + i + 1;
}

bool xs_path_valid(const struct xs_core *core, const char *p)
{
    size_t len = strlen(p);

    if ( p[0] != '/' )
        return false;
    if ( len > 1 && p[len - 1] == '/' )
        return false;
    if ( strstr(p, "//") )
        return false;
    if ( len > XENSTORE_ABS_PATH_MAX ||
         len > domain_prefix_len(p) + core->quota.path_max )
        return false;
    return valid_chars(p);
}

/* Resolves a relative path against the caller's domain path. */
static int canonical(const struct xs_req *r, const char *in, char *out)
{
    char base[40];

    if ( in[0] == '/' || in[0] == '@' )
    {
        if ( strlen(in) >= PATH_BUF )
            return EINVAL;
        strcpy(out, in);
        return 0;
    }
    xs_conn_domain_path(r->conn, base, sizeof(base));
    if ( snprintf(out, PATH_BUF, "%s/%s", base, in) >= PATH_BUF )
        return EINVAL;
    return 0;
}

static void parent_of(const char *path, char *out)
{
    const char *slash = strrchr(path, '/');

    if ( slash == path )
        strcpy(out, "/");
    else
    {
        memmove(out, path, slash - path);
        out[slash - path] = '\0';
    }
}

static const char *leaf_of(const char *path)
{
    return strrchr(path, '/') + 1;
}

/*
 * Finds a node the caller may access with 'perm'.  A missing node is
 * reported as ENOENT only when its nearest existing ancestor would grant
 * 'perm', so that callers learn nothing about paths they cannot see.
 */
static int get_node(struct xs_req *r, const char *path, unsigned int perm,
                    const struct xs_node **out)
{
    char up[PATH_BUF];
    const struct xs_node *n;
    int rc;

    *out = NULL;
    if ( !xs_path_valid(r->core, path) )
        return EINVAL;
    rc = xs_view_get(&r->view, path, &n);
    if ( !rc )
    {
        if ( (xs_perm_for(&r->who, n->perms, n->nperms) & perm) != perm )
            return EACCES;
        *out = n;
        return 0;
    }
    if ( rc != ENOENT )
        return rc;
    strcpy(up, path);
    do
    {
        parent_of(up, up);
        rc = xs_view_get(&r->view, up, &n);
        if ( rc && rc != ENOENT )
            return rc;
    } while ( rc == ENOENT && strcmp(up, "/") );
    if ( !n )
        return EIO;             /* no root: cannot happen */
    return (xs_perm_for(&r->who, n->perms, n->nperms) & perm) ? ENOENT
                                                              : EACCES;
}

static bool unprivileged(const struct xs_req *r)
{
    return !r->who.privileged;
}

static size_t entry_size(const struct xs_node *n)
{
    return NODE_HDR_BYTES + n->nperms * 4 + n->vlen + n->clen;
}

static int check_entry(const struct xs_req *r, const struct xs_node *n)
{
    if ( unprivileged(r) && r->core->quota.entry_size &&
         entry_size(n) >= r->core->quota.entry_size )
        return ENOSPC;
    return 0;
}

static int check_memory(const struct xs_req *r, size_t grow)
{
    const struct xs_quota *q = &r->core->quota;

    if ( unprivileged(r) && q->memory_hard &&
         xs_domain_memory(r->core, r->who.id) + grow > q->memory_hard )
        return ENOMEM;
    return 0;
}

/* ---- Creating nodes ----------------------------------------------------- */

/*
 * Creates path and its missing ancestors, inheriting permissions from the
 * nearest existing ancestor; an unprivileged creator owns the new nodes.
 * All nodes are built and checked before the first is stored.
 */
static int create_node(struct xs_req *r, const char *path,
                       const char *value, uint32_t vlen)
{
    char up[PATH_BUF];
    const struct xs_node *anc = NULL;
    struct xs_node *chain[XENSTORE_PAYLOAD_MAX / 2 + 2];
    struct xs_node *parent;
    unsigned int n = 0, i, owned;
    size_t grow = 0;
    int rc;

    /* Walk up to the nearest existing ancestor. */
    strcpy(up, path);
    for ( ;; )
    {
        parent_of(up, up);
        rc = xs_view_get(&r->view, up, &anc);
        if ( !rc )
            break;
        if ( rc != ENOENT || !strcmp(up, "/") )
            return rc == ENOENT ? EIO : rc;
    }
    parent = xs_node_dup(anc);
    if ( !parent )
        return ENOMEM;
    chain[n++] = parent;

    /* Build the missing nodes top-down below it. */
    for ( i = strlen(up); ; )
    {
        const char *slash;
        char sub[PATH_BUF];
        struct xs_node *node;

        i = (i == 1) ? 1 : i + 1;       /* skip the separating slash */
        slash = strchr(path + i, '/');
        i = slash ? (unsigned int)(slash - path) : strlen(path);
        memcpy(sub, path, i);
        sub[i] = '\0';
        node = xs_node_new(sub, NULL, 0, parent->perms, parent->nperms);
        if ( !node || xs_node_add_child(parent, leaf_of(sub)) )
        {
            xs_node_free(node);
            rc = ENOMEM;
            goto fail;
        }
        if ( unprivileged(r) )
            node->perms[0].id = r->who.id;
        chain[n++] = node;
        parent = node;
        if ( !slash )
            break;
    }
    if ( xs_node_set_value(parent, value, vlen) )
    {
        rc = ENOMEM;
        goto fail;
    }

    /* Quotas: node count, entry sizes, memory. */
    owned = r->core->store.acct[r->who.id].nodes +
            (r->view.txn ? r->view.txn->new_nodes : 0);
    if ( unprivileged(r) && r->core->quota.nodes &&
         owned + (n - 1) > r->core->quota.nodes )
    {
        rc = ENOSPC;
        goto fail;
    }
    for ( i = 0; i < n; i++ )
    {
        rc = check_entry(r, chain[i]);
        if ( rc )
            goto fail;
        grow += xs_node_size(chain[i]);
    }
    rc = check_memory(r, grow - xs_node_size(anc));
    if ( rc )
        goto fail;

    /* Store bottom-up so the tree never references a missing child. */
    for ( i = n; i-- > 0; )
    {
        rc = xs_view_put(&r->view, chain[i]);
        chain[i] = NULL;
        if ( rc )
        {
            while ( i-- > 0 )
                xs_node_free(chain[i]);
            return rc;
        }
    }
    if ( r->view.txn )
        r->view.txn->new_nodes += n - 1;
    return 0;

 fail:
    for ( i = 0; i < n; i++ )
        xs_node_free(chain[i]);
    return rc;
}

/* ---- Handlers ------------------------------------------------------------ */

/* The node named by the request's single path argument, for reading. */
static int read_arg_node(struct xs_req *r, const struct xs_node **n)
{
    const char *arg = onearg(r);
    char path[PATH_BUF];
    int rc;

    if ( !arg )
        return EINVAL;
    if ( (rc = canonical(r, arg, path)) )
        return rc;
    return get_node(r, path, XS_PERM_READ, n);
}

static int do_read(struct xs_req *r)
{
    const struct xs_node *n;
    int rc = read_arg_node(r, &n);

    return rc ? rc : xs_reply(r, n->value, n->vlen);
}

static int set_value(struct xs_req *r, const struct xs_node *old,
                     const char *value, uint32_t vlen)
{
    struct xs_node *n = xs_node_dup(old);
    int rc;

    if ( !n || xs_node_set_value(n, value, vlen) )
    {
        xs_node_free(n);
        return ENOMEM;
    }
    if ( (rc = check_entry(r, n)) ||
         (rc = check_memory(r, vlen > old->vlen ? vlen - old->vlen : 0)) )
    {
        xs_node_free(n);
        return rc;
    }
    return xs_view_put(&r->view, n);
}

static void fire_path(struct xs_req *r, const char *path)
{
    const struct xs_node *n;

    if ( !xs_view_get(&r->view, path, &n) )
        xs_fire(r->core, &r->view, path, false, n->perms, n->nperms);
}

static int do_write(struct xs_req *r)
{
    const char *vec[1];
    char path[PATH_BUF];
    const struct xs_node *n;
    uint32_t off;
    int rc;

    if ( get_strings(r, vec, 1) < 1 )
        return EINVAL;
    off = strlen(vec[0]) + 1;
    if ( (rc = canonical(r, vec[0], path)) )
        return rc;
    rc = get_node(r, path, XS_PERM_WRITE, &n);
    if ( rc == ENOENT )
        rc = create_node(r, path, r->data + off, r->len - off);
    else if ( !rc )
        rc = set_value(r, n, r->data + off, r->len - off);
    if ( rc )
        return rc;
    fire_path(r, path);
    return xs_reply_ok(r);
}

static int do_mkdir(struct xs_req *r)
{
    const char *arg = onearg(r);
    char path[PATH_BUF];
    const struct xs_node *n;
    int rc;

    if ( !arg )
        return EINVAL;
    if ( (rc = canonical(r, arg, path)) )
        return rc;
    rc = get_node(r, path, XS_PERM_WRITE, &n);
    if ( rc == ENOENT )
    {
        if ( (rc = create_node(r, path, NULL, 0)) )
            return rc;
        fire_path(r, path);
    }
    else if ( rc )
        return rc;
    return xs_reply_ok(r);
}

/*
 * Deletes path's subtree bottom-up; the parent is not touched.  No
 * recursion: a path may be ~1500 levels deep, so the subtree is listed
 * breadth-first into a heap array, then removed from the end (children
 * before their parents).
 */
static int rm_nodes(struct xs_core *core, struct xs_view *v,
                    const char *path)
{
    const struct xs_node *n;
    char **list, **nl, *child;
    size_t cnt = 0, cap = 16, i, plen;
    uint32_t off;
    int rc = 0;

    list = malloc(cap * sizeof(*list));
    if ( !list || !(list[0] = strdup(path)) )
    {
        free(list);
        return ENOMEM;
    }
    cnt = 1;
    for ( i = 0; i < cnt && !rc; i++ )
    {
        rc = xs_view_get(v, list[i], &n);
        if ( rc == ENOENT )
        {
            rc = 0;
            continue;
        }
        plen = strcmp(list[i], "/") ? strlen(list[i]) : 0;
        for ( off = 0; !rc && off < n->clen;
              off += strlen(n->children + off) + 1 )
        {
            if ( cnt == cap )
            {
                nl = realloc(list, 2 * cap * sizeof(*list));
                if ( !nl )
                {
                    rc = ENOMEM;
                    break;
                }
                list = nl;
                cap *= 2;
            }
            child = malloc(plen + strlen(n->children + off) + 2);
            if ( !child )
            {
                rc = ENOMEM;
                break;
            }
            memcpy(child, list[i], plen);
            child[plen] = '/';
            strcpy(child + plen + 1, n->children + off);
            list[cnt++] = child;
        }
    }
    /* Watches on the node and its ancestors fire for the top; watches on
     * descendants fire for their own paths. */
    for ( i = cnt; !rc && i-- > 0; )
    {
        if ( xs_view_get(v, list[i], &n) )
            continue;
        xs_fire(core, v, list[i], i != 0, n->perms, n->nperms);
        rc = xs_view_del(v, list[i]);
    }
    for ( i = 0; i < cnt; i++ )
        free(list[i]);
    free(list);
    return rc;
}

int xs_rm_subtree(struct xs_core *core, struct xs_view *v,
                  struct xs_conn *conn, const char *path)
{
    char up[PATH_BUF];
    const struct xs_node *p;
    struct xs_node *np;
    int rc;

    (void)conn;
    if ( strlen(path) >= PATH_BUF || !strcmp(path, "/") )
        return EINVAL;
    parent_of(path, up);
    rc = xs_view_get(v, up, &p);
    if ( rc )
        return rc;
    np = xs_node_dup(p);
    if ( !np )
        return ENOMEM;
    xs_node_del_child(np, leaf_of(path));
    rc = rm_nodes(core, v, path);
    if ( rc )
    {
        xs_node_free(np);
        return rc;
    }
    return xs_view_put(v, np);
}

static int do_rm(struct xs_req *r)
{
    const char *arg = onearg(r);
    char path[PATH_BUF], up[PATH_BUF];
    const struct xs_node *n;
    int rc;

    if ( !arg )
        return EINVAL;
    if ( (rc = canonical(r, arg, path)) )
        return rc;
    rc = get_node(r, path, XS_PERM_WRITE, &n);
    if ( rc == ENOENT )
    {
        /* Removing a missing node is fine if its parent exists. */
        parent_of(path, up);
        rc = xs_view_get(&r->view, up, &n);
        return rc ? rc : xs_reply_ok(r);
    }
    if ( rc )
        return rc;
    if ( !strcmp(path, "/") )
        return EINVAL;
    rc = xs_rm_subtree(r->core, &r->view, r->conn, path);
    return rc ? rc : xs_reply_ok(r);
}

static int do_directory(struct xs_req *r)
{
    const struct xs_node *n;
    int rc = read_arg_node(r, &n);

    return rc ? rc : xs_reply(r, n->children, n->clen);
}

/* <gen>|<names starting at offset>, with an extra NUL once complete. */
static int do_directory_part(struct xs_req *r)
{
    const char *vec[2];
    char path[PATH_BUF], buf[XENSTORE_PAYLOAD_MAX];
    const struct xs_node *n;
    unsigned long off;
    uint32_t len = 0, genlen, max, l;
    int rc;

    if ( count_strings(r) != 2 || get_strings(r, vec, 2) != 2 )
        return EINVAL;
    if ( (rc = canonical(r, vec[0], path)) ||
         (rc = get_node(r, path, XS_PERM_READ, &n)) )
        return rc;
    off = strtoul(vec[1], NULL, 10);
    genlen = snprintf(buf, sizeof(buf), "%" PRIu64, n->gen) + 1;
    if ( off >= n->clen )
    {
        buf[genlen] = '\0';
        return xs_reply(r, buf, genlen + 1);
    }
    max = XENSTORE_PAYLOAD_MAX - genlen - 1;
    /* Whole names only, at least one. */
    while ( off + len < n->clen )
    {
        l = strlen(n->children + off + len) + 1;
        if ( len + l > max )
            break;
        len += l;
    }
    if ( !len )
        return E2BIG;
    memcpy(buf + genlen, n->children + off, len);
    if ( off + len == n->clen )
        buf[genlen + len++] = '\0';
    return xs_reply(r, buf, genlen + len);
}

static int do_get_perms(struct xs_req *r)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    const struct xs_node *n;
    int rc, len;

    if ( (rc = read_arg_node(r, &n)) )
        return rc;
    len = xs_perms_format(n->perms, n->nperms, buf, sizeof(buf));
    if ( len < 0 )
        return E2BIG;
    return xs_reply(r, buf, len);
}

static int set_special_perms(struct xs_req *r, const char *name,
                             struct xs_perm *p, unsigned int np)
{
    struct xs_core *core = r->core;
    struct xs_perm **cur;
    uint32_t *ncur;

    if ( !strcmp(name, "@introduceDomain") )
    {
        cur = &core->intro_perms;
        ncur = &core->n_intro_perms;
    }
    else if ( !strcmp(name, "@releaseDomain") )
    {
        cur = &core->release_perms;
        ncur = &core->n_release_perms;
    }
    else
        return EINVAL;
    if ( (xs_perm_for(&r->who, *cur, *ncur) &
          (XS_PERM_WRITE | XS_PERM_OWNER)) != (XS_PERM_WRITE | XS_PERM_OWNER) )
        return EACCES;
    free(*cur);
    *cur = p;
    *ncur = np;
    return xs_reply_ok(r);
}

static int do_set_perms(struct xs_req *r)
{
    unsigned int np = count_strings(r);
    char path[PATH_BUF];
    const struct xs_node *n;
    struct xs_node *copy = NULL;
    struct xs_perm *p, *oldp = NULL;
    int rc;

    if ( np < 2 )
        return EINVAL;
    np--;
    if ( unprivileged(r) && r->core->quota.perms && np > r->core->quota.perms )
        return ENOSPC;
    p = calloc(np, sizeof(*p));
    if ( !p )
        return ENOMEM;
    rc = xs_perms_parse(r->data + strlen(r->data) + 1, np, p);
    if ( rc )
        goto out;
    if ( r->data[0] == '@' )
    {
        rc = set_special_perms(r, r->data, p, np);
        if ( !rc )
            p = NULL;           /* now owned by the core */
        goto out;
    }
    if ( (rc = canonical(r, r->data, path)) ||
         (rc = get_node(r, path, XS_PERM_WRITE | XS_PERM_OWNER, &n)) )
        goto out;
    /* Only privileged callers may give a node away. */
    rc = EPERM;
    if ( unprivileged(r) && p[0].id != n->perms[0].id )
        goto out;
    rc = ENOMEM;
    copy = xs_node_dup(n);
    oldp = malloc(n->nperms * sizeof(*oldp));
    if ( !copy || !oldp || xs_node_set_perms(copy, p, np) )
        goto out;
    memcpy(oldp, n->perms, n->nperms * sizeof(*oldp));
    np = n->nperms;
    if ( (rc = check_entry(r, copy)) )
        goto out;
    rc = xs_view_put(&r->view, copy);
    copy = NULL;
    if ( rc )
        goto out;
    /* Watchers who could read the node before the change hear of it. */
    xs_fire(r->core, &r->view, path, false, oldp, np);
    rc = xs_reply_ok(r);
 out:
    xs_node_free(copy);
    free(oldp);
    free(p);
    return rc;
}

static int do_watch(struct xs_req *r)
{
    const char *vec[2];

    if ( get_strings(r, vec, 2) != 2 )
        return EINVAL;
    return xs_watch_add(r, vec[0], vec[1]);
}

static int do_unwatch(struct xs_req *r)
{
    const char *vec[2];

    if ( get_strings(r, vec, 2) != 2 )
        return EINVAL;
    return xs_watch_del(r, vec[0], vec[1]);
}

static int do_transaction_start(struct xs_req *r)
{
    struct xs_conn *c = r->conn;
    struct xs_txn *t;
    char buf[16];
    int rc;

    if ( r->view.txn )
        return EBUSY;
    if ( unprivileged(r) && r->core->quota.transactions &&
         c->ntxns >= r->core->quota.transactions )
        return ENOSPC;
    while ( c->next_txid == 0 || xs_conn_find_txn(c, c->next_txid) )
        c->next_txid++;
    t = xs_txn_new(&r->core->store, c->next_txid++, r->who.id);
    if ( !t )
        return ENOMEM;
    snprintf(buf, sizeof(buf), "%u", t->id);
    rc = reply_str(r, buf);
    if ( rc )
    {
        xs_txn_free(t);
        return rc;
    }
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    return 0;
}

static int do_transaction_end(struct xs_req *r)
{
    const char *arg = onearg(r);
    struct xs_txn *t = r->view.txn;
    int rc = 0;

    if ( !arg || (strcmp(arg, "T") && strcmp(arg, "F")) )
        return EINVAL;
    if ( !t )
        return ENOENT;
    if ( arg[0] == 'T' )
    {
        rc = xs_txn_commit(&r->core->store, t,
                           unprivileged(r) ? r->core->quota.nodes : 0);
        if ( rc == EAGAIN )
            r->core->stats.conflicts++;
        if ( !rc )
        {
            r->core->stats.commits++;
            xs_fire_txn_events(r->core, t);
        }
    }
    r->view.txn = NULL;
    xs_conn_drop_txn(r->conn, t);
    return rc ? rc : xs_reply_ok(r);
}

static int do_introduce(struct xs_req *r)
{
    const char *vec[3];
    unsigned int domid;
    unsigned long port;
    long long gfn;
    char *end;
    int rc;

    if ( get_strings(r, vec, 3) != 3 || parse_domid(vec[0], &domid) ||
         domid == 0 || domid >= XS_DOMID_FIRST_RESERVED )
        return EINVAL;
    gfn = strtoll(vec[1], &end, 10);
    if ( end == vec[1] )
        return EINVAL;
    port = strtoul(vec[2], &end, 10);
    if ( end == vec[2] || *end || port == 0 || port > INT32_MAX )
        return EINVAL;
    rc = xs_domain_introduce(r->core, domid, (uint64_t)gfn, port);
    return rc ? rc : xs_reply_ok(r);
}

static int onearg_domid(const struct xs_req *r, unsigned int *domid)
{
    return parse_domid(onearg(r), domid);
}

static int do_release(struct xs_req *r)
{
    unsigned int domid;
    int rc;

    /* A privileged domain may not pull the ring from under itself. */
    if ( onearg_domid(r, &domid) || domid == 0 || domid == r->conn->id )
        return EINVAL;
    rc = xs_domain_release(r->core, domid);
    return rc ? rc : xs_reply_ok(r);
}

static int do_get_domain_path(struct xs_req *r)
{
    unsigned int domid;
    char buf[40];

    if ( onearg_domid(r, &domid) )
        return EINVAL;
    snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
    return reply_str(r, buf);
}

static int do_is_domain_introduced(struct xs_req *r)
{
    unsigned int domid;
    struct xs_domain *d;

    if ( onearg_domid(r, &domid) )
        return EINVAL;
    d = xs_domain_find(r->core, domid);
    return reply_str(r, (domid == XS_DOMID_SELF || (d && d->conn)) ? "T"
                                                                   : "F");
}

static int do_resume(struct xs_req *r)
{
    unsigned int domid;
    struct xs_domain *d;

    if ( onearg_domid(r, &domid) || domid == 0 )
        return EINVAL;
    d = xs_domain_find(r->core, domid);
    if ( !d || !d->conn )
        return ENOENT;
    d->shutdown = false;
    return xs_reply_ok(r);
}

static int do_set_target(struct xs_req *r)
{
    const char *vec[2];
    unsigned int domid, tdomid;
    struct xs_domain *d, *td;

    if ( get_strings(r, vec, 2) != 2 || parse_domid(vec[0], &domid) ||
         parse_domid(vec[1], &tdomid) )
        return EINVAL;
    d = xs_domain_find(r->core, domid);
    td = xs_domain_find(r->core, tdomid);
    if ( !d || !td )
        return ENOENT;
    if ( !d->conn || !td->conn )
        return EINVAL;
    d->conn->target = tdomid;
    return xs_reply_ok(r);
}

static int do_reset_watches(struct xs_req *r)
{
    struct xs_conn *c = r->conn;

    xs_watch_clear(c);
    r->view.txn = NULL;
    while ( c->txns )
        xs_conn_drop_txn(c, c->txns);
    return xs_reply_ok(r);
}

/* ---- CONTROL ---------------------------------------------------------- */

static int check_node(const char *path, void *val, void *arg)
{
    const struct xs_node *n = val;
    struct xs_store *st = arg;
    char child[PATH_BUF], up[PATH_BUF];
    const struct xs_node *p;
    uint32_t off;

    if ( !n || strcmp(path, n->path) || !n->nperms )
        return EIO;
    for ( off = 0; off < n->clen; off += strlen(n->children + off) + 1 )
    {
        snprintf(child, sizeof(child), "%s/%s",
                 strcmp(path, "/") ? path : "", n->children + off);
        if ( !xs_htab_get(&st->nodes, child) )
            return EIO;
    }
    if ( !strcmp(path, "/") )
        return 0;
    parent_of(path, up);
    p = xs_htab_get(&st->nodes, up);
    if ( !p )
        return EIO;
    for ( off = 0; off < p->clen; off += strlen(p->children + off) + 1 )
        if ( !strcmp(p->children + off, leaf_of(path)) )
            return 0;
    return EIO;
}

static int control_quota(struct xs_req *r, const char *arg)
{
    const struct xs_quota *q = &r->core->quota;
    char buf[1024];
    unsigned int domid;

    if ( !arg )
    {
        snprintf(buf, sizeof(buf),
                 "Nodes per Domain: %u\nEntry size: %u\n"
                 "Watches per Domain: %u\nTransactions per Domain: %u\n"
                 "Permissions per Node: %u\nMax path length: %u\n"
                 "Nodes per Transaction: %u\nOutstanding requests: %u\n"
                 "Memory (hard): %u\nMemory (soft): %u\n",
                 q->nodes, q->entry_size, q->watches, q->transactions,
                 q->perms, q->path_max, q->trans_nodes, q->outstanding,
                 q->memory_hard, q->memory_soft);
        return reply_str(r, buf);
    }
    if ( parse_domid(arg, &domid) )
        return EINVAL;
    snprintf(buf, sizeof(buf), "Domain %u:\nnodes: %u\nmemory: %zu\n",
             domid, r->core->store.acct[domid].nodes,
             xs_domain_memory(r->core, domid));
    return reply_str(r, buf);
}

static int do_control(struct xs_req *r)
{
    const char *vec[2];
    unsigned int n = get_strings(r, vec, 2);
    const struct xs_stats *s = &r->core->stats;
    char buf[512];

    if ( n < 1 )
        return EINVAL;
    if ( !strcmp(vec[0], "help") )
        return reply_str(r, "check\nlog on|off\nmemreport\nprint <s>\n"
                            "quota [<domid>]\nhelp\n");
    if ( !strcmp(vec[0], "check") )
    {
        if ( xs_htab_foreach(&r->core->store.nodes, check_node,
                             &r->core->store) )
            return EIO;
        return reply_str(r, "OK");
    }
    if ( !strcmp(vec[0], "print") && n == 2 )
    {
        xs_log(r->core, XS_LOG_INFO, "control: %s", vec[1]);
        return reply_str(r, "OK");
    }
    if ( !strcmp(vec[0], "log") && n == 2 )
    {
        if ( !strcmp(vec[1], "on") )
            r->core->log_level = XS_LOG_DEBUG;
        else if ( !strcmp(vec[1], "off") )
            r->core->log_level = XS_LOG_WARN;
        else
            return EINVAL;
        return reply_str(r, "OK");
    }
    if ( !strcmp(vec[0], "quota") )
        return control_quota(r, n == 2 ? vec[1] : NULL);
    if ( !strcmp(vec[0], "memreport") )
    {
        snprintf(buf, sizeof(buf),
                 "nodes: %zu\nrequests: %" PRIu64 "\ncommits: %" PRIu64
                 "\nconflicts: %" PRIu64 "\nevents: %" PRIu64
                 "\nevents dropped: %" PRIu64 "\nconnections dropped: %"
                 PRIu64 "\n", r->core->store.nodes.count, s->requests,
                 s->commits, s->conflicts, s->events, s->events_dropped,
                 s->conns_dropped);
        return reply_str(r, buf);
    }
    return EINVAL;
}

/* ---- Dispatch ------------------------------------------------------- */

static const struct
{
    const char *name;
    int (*fn)(struct xs_req *r);
    unsigned int flags;
} wire_funcs[XS_TYPE_COUNT] = {
    [XS_CONTROL]           = { "CONTROL",           do_control, FLAG_PRIV },
    [XS_DIRECTORY]         = { "DIRECTORY",         do_directory },
    [XS_READ]              = { "READ",              do_read },
    [XS_GET_PERMS]         = { "GET_PERMS",         do_get_perms },
    [XS_WATCH]             = { "WATCH",             do_watch, FLAG_NOTID },
    [XS_UNWATCH]           = { "UNWATCH",           do_unwatch, FLAG_NOTID },
    [XS_TRANSACTION_START] = { "TRANSACTION_START", do_transaction_start },
    [XS_TRANSACTION_END]   = { "TRANSACTION_END",   do_transaction_end },
    [XS_INTRODUCE]         = { "INTRODUCE",         do_introduce, FLAG_PRIV },
    [XS_RELEASE]           = { "RELEASE",           do_release, FLAG_PRIV },
    [XS_GET_DOMAIN_PATH]   = { "GET_DOMAIN_PATH",   do_get_domain_path },
    [XS_WRITE]             = { "WRITE",             do_write },
    [XS_MKDIR]             = { "MKDIR",             do_mkdir },
    [XS_RM]                = { "RM",                do_rm },
    [XS_SET_PERMS]         = { "SET_PERMS",         do_set_perms },
    [XS_WATCH_EVENT]       = { "WATCH_EVENT",       NULL },
    [XS_ERROR]             = { "ERROR",             NULL },
    [XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED",
                                  do_is_domain_introduced, FLAG_PRIV },
    [XS_RESUME]            = { "RESUME",            do_resume, FLAG_PRIV },
    [XS_SET_TARGET]        = { "SET_TARGET",        do_set_target, FLAG_PRIV },
    [XS_RESET_WATCHES]     = { "RESET_WATCHES",     do_reset_watches },
    [XS_DIRECTORY_PART]    = { "DIRECTORY_PART",    do_directory_part },
};

const char *xs_type_name(uint32_t type)
{
    if ( type < XS_TYPE_COUNT && wire_funcs[type].name )
        return wire_funcs[type].name;
    return "UNKNOWN";
}

static void send_error(struct xs_req *r, int err)
{
    const char *name = xs_error_name(err);

    xs_conn_queue(r->conn, XS_ERROR, r->hdr.req_id, r->hdr.tx_id, name,
                  strlen(name) + 1, true);
}

void xs_process(struct xs_conn *c, const struct xsd_sockmsg *hdr,
                const char *data)
{
    struct xs_req r = {
        .core = c->core, .conn = c, .hdr = *hdr, .data = data,
        .len = hdr->len,
    };
    unsigned int flags;
    int rc;

    c->core->stats.requests++;
    xs_trace_msg(c->core, c, "IN", hdr, data);
    xs_conn_caller(c, &r.who);
    r.view.st = &c->core->store;
    if ( hdr->type >= XS_TYPE_COUNT || !wire_funcs[hdr->type].fn )
    {
        send_error(&r, ENOSYS);
        return;
    }
    flags = wire_funcs[hdr->type].flags;
    if ( (flags & FLAG_PRIV) && !r.who.privileged )
    {
        send_error(&r, EACCES);
        return;
    }
    if ( !(flags & FLAG_NOTID) && hdr->tx_id )
    {
        r.view.txn = xs_conn_find_txn(c, hdr->tx_id);
        if ( !r.view.txn )
        {
            send_error(&r, ENOENT);
            return;
        }
        if ( !r.who.privileged )
        {
            r.view.max_ents = c->core->quota.trans_nodes;
            r.view.core = c->core;
            r.view.max_mem = c->core->quota.memory_hard;
        }
    }
    /* Every write costs, served or refused (a flood of failing writes
     * costs the daemon as much); a transaction costs its commit too. */
    if ( hdr->type == XS_WRITE || hdr->type == XS_MKDIR ||
         hdr->type == XS_RM || hdr->type == XS_SET_PERMS ||
         (hdr->type == XS_TRANSACTION_END && hdr->len && data[0] == 'T') )
        xs_conn_wrl_debit(c);
    rc = wire_funcs[hdr->type].fn(&r);
    if ( rc == ENOSPC && r.view.txn )
        r.view.txn->failed = true;      /* Xen: the commit will fail */
    if ( rc )
        send_error(&r, rc);
}
