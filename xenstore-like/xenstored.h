/*
 * xenstored.h: internal interfaces of xenia-stored.
 *
 * Design.  Everything the daemon knows hangs off one struct xs_core, so
 * that the host unit tests, the fuzz target and the daemon each build as
 * many independent stores as they like.  The layers, bottom up:
 *
 *   xs_htab.c    string-keyed hash table
 *   xs_store.c   the node tree: nodes keyed by absolute path, each holding
 *                its value, permissions, child names and generation; views
 *                that read and write either the live tree or a transaction
 *                overlay; commit with optimistic conflict detection;
 *                per-owner accounting of nodes and bytes
 *   xs_perms.c   permission strings and the access rule
 *   xs_conn.c    connections: message framing, output queues, throttling,
 *                behind a small transport interface (socket, ring, memory)
 *   xs_proto.c   one table of request handlers (name, function, flags)
 *   xs_watch.c   watches and event delivery
 *   xs_domain.c  domains: introduce/release, ring connections, lifecycle
 *   xs_ring.c    the xenstore ring byte queues (pure, host-testable)
 *   xs_xen_linux.c  Linux /dev/xen/{evtchn,gntdev,privcmd} and
 *                /proc/xen/xsd_{kva,port}: the only code that needs Xen
 *   xs_socket.c  the Unix socket listener
 *   xenia-stored.c  options, daemon set-up and the poll loop
 *
 * The daemon is single threaded: a request runs to completion before the
 * next one is read, so no locks are needed anywhere.
 *
 * Errors are positive errno values inside the daemon (as on the wire,
 * where they travel as names); functions return 0 or an errno.
 */
#ifndef XENIA_XENSTORED_H
#define XENIA_XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../include/public/io/xs_wire.h"

#define XS_DOMID_MAX        65535u
#define XS_DOMID_FIRST_RESERVED 0x7ff0u
#define XS_DOMID_SELF       0x7ff0u

/* Access bits computed for a caller; OWNER is internal, never on wire. */
#define XS_PERM_NONE  0u
#define XS_PERM_READ  1u
#define XS_PERM_WRITE 2u
#define XS_PERM_OWNER 4u

/* ------------------------------------------------------------------ */
/* Hash table (xs_htab.c)                                              */

struct xs_hent
{
    struct xs_hent *next;
    uint32_t hash;
    void *val;
    char key[];
};

struct xs_htab
{
    struct xs_hent **b;
    size_t nb;
    size_t count;
};

int xs_htab_init(struct xs_htab *h, size_t nb);
void xs_htab_fini(struct xs_htab *h, void (*free_val)(void *));
void *xs_htab_get(const struct xs_htab *h, const char *key);
/* Insert or replace; *old (if non-NULL) gets the replaced value. */
int xs_htab_set(struct xs_htab *h, const char *key, void *val, void **old);
void *xs_htab_del(struct xs_htab *h, const char *key);
/* Stops early when fn returns non-zero and returns that value. */
int xs_htab_foreach(const struct xs_htab *h,
                    int (*fn)(const char *key, void *val, void *arg),
                    void *arg);

/* ------------------------------------------------------------------ */
/* Permissions (xs_perms.c)                                            */

struct xs_perm
{
    uint16_t id;      /* domain id */
    uint8_t perms;    /* XS_PERM_READ | XS_PERM_WRITE */
};

/* Who is asking: resolved once per request from the connection. */
struct xs_caller
{
    unsigned int id;        /* domain id, 0 for sockets */
    bool privileged;        /* dom0 / socket / priv domid */
    int target;             /* SET_TARGET domain or -1 */
};

unsigned int xs_perm_for(const struct xs_caller *who,
                         const struct xs_perm *p, unsigned int n);
/* Parses n NUL-separated "<letter><domid>" strings; EINVAL on error. */
int xs_perms_parse(const char *s, unsigned int n, struct xs_perm *out);
bool xs_perms_drop(struct xs_perm *p, uint32_t *n, unsigned int domid,
                   unsigned int heir);
/* Writes NUL-separated strings into buf; returns length or -1. */
int xs_perms_format(const struct xs_perm *p, unsigned int n,
                    char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Store (xs_store.c)                                                  */

struct xs_node
{
    char *path;
    char *value;
    uint32_t vlen;
    struct xs_perm *perms;
    uint32_t nperms;
    char *children;       /* NUL-terminated leaf names, in creation order */
    uint32_t clen;
    uint64_t gen;         /* store generation of the last change */
};

struct xs_acct
{
    uint32_t nodes;       /* nodes whose owner is this domain */
    uint64_t bytes;       /* their size (xs_node_size) */
    uint64_t txn_bytes;   /* held by its open transactions */
};

struct xs_store
{
    struct xs_htab nodes;     /* path -> struct xs_node */
    uint64_t gen;             /* bumped on every change */
    struct xs_acct *acct;     /* indexed by owner domid, 65536 entries */
};

/* A node a transaction has touched: its private copy and what it saw. */
struct xs_tent
{
    struct xs_node *node;     /* private version, NULL when absent */
    uint64_t base_gen;        /* generation seen in the live tree */
    bool base_present;        /* the node existed when first touched */
    bool dirty;               /* written or deleted in the transaction */
};

struct xs_event
{
    struct xs_event *next;
    bool exact;               /* only watches on exactly this path */
    struct xs_perm *perms;    /* the node's permissions at the change */
    uint32_t nperms;
    char path[];
};

struct xs_txn
{
    struct xs_txn *next;
    uint32_t id;
    struct xs_store *st;          /* charged to st->acct[domid].txn_bytes */
    unsigned int domid;
    size_t bytes;                 /* what it holds, charged */
    struct xs_htab ents;          /* path -> struct xs_tent */
    struct xs_event *events;      /* watch events, fired on commit */
    struct xs_event **events_tail;
    struct xs_htab evidx;         /* one event per path: merges the rest */
    int new_nodes;                /* nodes the caller created in it */
    bool failed;                  /* forced EAGAIN at commit */
};

/* Where a request reads and writes: the live tree or a transaction. */
struct xs_view
{
    struct xs_store *st;
    struct xs_txn *txn;
    unsigned int max_ents;        /* transaction-nodes quota, 0 = none */
    const struct xs_core *core;   /* for max_mem */
    size_t max_mem;               /* memory quota of the txn's domain */
};

int xs_store_init(struct xs_store *st);
void xs_store_fini(struct xs_store *st);
size_t xs_node_size(const struct xs_node *n);
struct xs_node *xs_node_new(const char *path, const void *value,
                            uint32_t vlen, const struct xs_perm *perms,
                            uint32_t nperms);
struct xs_node *xs_node_dup(const struct xs_node *n);
void xs_node_free(struct xs_node *n);
int xs_node_set_value(struct xs_node *n, const void *value, uint32_t vlen);
int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p,
                      uint32_t np);
int xs_node_add_child(struct xs_node *n, const char *name);
bool xs_node_del_child(struct xs_node *n, const char *name);

/* 0 and *out set, ENOENT (with *out NULL), or ENOSPC (too many nodes in
 * the transaction). */
int xs_view_get(struct xs_view *v, const char *path,
                const struct xs_node **out);
/* Takes ownership of n in every case. */
int xs_view_put(struct xs_view *v, struct xs_node *n);
int xs_view_del(struct xs_view *v, const char *path);

struct xs_txn *xs_txn_new(struct xs_store *st, uint32_t id,
                          unsigned int domid);
void xs_txn_free(struct xs_txn *t);
int xs_txn_queue_event(struct xs_txn *t, const char *path, bool exact,
                       const struct xs_perm *p, uint32_t np);
/* A domain was released: strip it from permissions (xs_perms_drop). */
void xs_store_forget_domain(struct xs_store *st, unsigned int domid,
                            unsigned int heir);
void xs_txn_forget_domain(struct xs_txn *t, unsigned int domid,
                          unsigned int heir);
/* Checks and applies; EAGAIN (conflict) or ENOSPC (the committing
 * domain would own more than max_nodes, 0: no limit) leave the live tree
 * untouched. */
int xs_txn_commit(struct xs_store *st, struct xs_txn *t,
                  unsigned int max_nodes);

/* ------------------------------------------------------------------ */
/* Quotas and options                                                  */

struct xs_quota
{
    unsigned int nodes;           /* -E  nodes owned per domain */
    unsigned int entry_size;      /* -S  bytes per node */
    unsigned int watches;         /* -W  watches per domain */
    unsigned int transactions;    /* -t  open transactions per domain */
    unsigned int perms;           /* -A  permission entries per node */
    unsigned int path_max;        /* -M  path length below domain path */
    unsigned int trans_nodes;     /* -Q transaction-nodes */
    unsigned int outstanding;     /* -Q outstanding: queued replies */
    unsigned int memory_hard;     /* -Q memory */
    unsigned int memory_soft;     /* -q memory: warning only */
    size_t sock_out_throttle;     /* socket: stop reading above this */
    size_t sock_out_max;          /* socket: drop client above this */
    /*
     * Write-rate limit of unprivileged domains (Xen's xenstored has one:
     * 200 writes/s, bursts of 10, new domains 50): each WRITE, MKDIR,
     * RM, SET_PERMS and committing TRANSACTION_END costs one write; a
     * domain in debt is not read until time has paid it back.
     */
    unsigned int wrl_rate;        /* -Q write-rate: per second; 0: off */
    unsigned int wrl_burst;       /* -Q write-burst */
    unsigned int wrl_burst_new;   /* -Q write-burst-new: a new domain's */
};

void xs_quota_defaults(struct xs_quota *q);
/* Parses "what=nb" of -Q (soft false) or -q (soft true). */
int xs_quota_set(struct xs_quota *q, const char *arg, bool soft);

/* ------------------------------------------------------------------ */
/* Connections (xs_conn.c)                                             */

struct xs_conn;
struct xs_core;

struct xs_transport
{
    const char *name;
    /* Bytes moved (0: would block), or -1: connection broken; *err gets
     * an XENSTORE_ERROR_* reason. */
    int (*read)(struct xs_conn *c, void *buf, unsigned int len, int *err);
    int (*write)(struct xs_conn *c, const void *buf, unsigned int len,
                 int *err);
    /* Called once when the connection goes away. */
    void (*close)(struct xs_conn *c);
};

struct xs_outbuf
{
    struct xs_outbuf *next;
    uint32_t len;             /* header + payload */
    uint32_t off;             /* bytes already written */
    uint32_t reply;           /* counts against the outstanding quota */
    uint32_t indexed;         /* a watch event in the conn's pending_ev */
    unsigned char data[];     /* header, then payload; 8-byte aligned */
};

struct xs_watch
{
    struct xs_watch *next;
    char *path;               /* absolute, or @special */
    char *token;
    size_t rel_prefix;        /* chars to strip from events, 0 if absolute */
};

struct xs_domain;

struct xs_conn
{
    struct xs_conn *next, *prev;
    struct xs_core *core;
    const struct xs_transport *tp;
    void *tp_priv;
    int fd;                   /* socket fd or -1 */
    unsigned int id;          /* domain id (0 for sockets) */
    bool privileged;
    int target;               /* SET_TARGET: domid whose rights we get */
    struct xs_domain *domain; /* NULL unless a ring connection */

    /* Input framing. */
    struct xsd_sockmsg hdr;
    uint32_t in_used;
    bool in_hdr;              /* header complete, reading payload */
    char in_buf[XENSTORE_PAYLOAD_MAX + 1];

    /* Output queue. */
    struct xs_outbuf *out_head, *out_tail;
    size_t out_bytes;
    unsigned int out_replies;
    /* Watch events queued and not started: "path\1token" -> outbuf, so
     * that an identical event merges without scanning the queue. */
    struct xs_htab pending_ev;
    bool drop_warned;         /* logged a dropped event since the last sent */

    struct xs_watch *watches;
    unsigned int nwatches;
    size_t watch_bytes;
    struct xs_txn *txns;
    unsigned int ntxns;
    uint32_t next_txid;

    /* Write-rate limit: credit in thousandths of a write, when last
     * refilled (ms, core->now_ms); unprivileged domains only. */
    int64_t wrl_credit;
    uint64_t wrl_stamp;
    bool wrl_started, wrl_logged;
    /* Protocol errors of this connection (reconnections do not clear it):
     * only the first few are logged, so a guest cannot flood the log. */
    unsigned int proto_errors;

    bool ignored;             /* stopped talking after a protocol error */
    bool dead;                /* to be freed by the main loop */
};

struct xs_conn *xs_conn_new(struct xs_core *core,
                            const struct xs_transport *tp, void *priv,
                            unsigned int id, bool privileged);
void xs_conn_free(struct xs_conn *c);
/* Reads and processes requests while the connection may. */
void xs_conn_input(struct xs_conn *c);
/* Writes queued output; returns true when something was written. */
bool xs_conn_output(struct xs_conn *c);
bool xs_conn_can_read(const struct xs_conn *c);
/* Write-rate limit: charges one write (xs_process); the milliseconds
 * until c may be read again (0: now), for the daemon's poll timeout. */
void xs_conn_wrl_debit(struct xs_conn *c);
unsigned int xs_conn_wrl_wait_ms(const struct xs_conn *c);
/* The least of xs_conn_wrl_wait_ms over connections in debt, or max. */
unsigned int xs_core_wrl_wait_ms(struct xs_core *core, unsigned int max);
/* Stops serving the connection (rings stay mapped, sockets are closed). */
void xs_conn_ignore(struct xs_conn *c, int err);
/* Discards watches, transactions, queued output and partial input. */
void xs_conn_reset(struct xs_conn *c);
/* Key of a watch event in pending_ev; key holds XENSTORE_PAYLOAD_MAX + 2. */
void xs_event_key(char *key, const char *path, const char *token);
int xs_conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id,
                  uint32_t tx_id, const void *data, uint32_t len,
                  bool reply);
void xs_conn_caller(const struct xs_conn *c, struct xs_caller *who);
const char *xs_conn_domain_path(const struct xs_conn *c, char *buf,
                                size_t size);
struct xs_txn *xs_conn_find_txn(struct xs_conn *c, uint32_t id);
void xs_conn_drop_txn(struct xs_conn *c, struct xs_txn *t);
size_t xs_domain_memory(const struct xs_core *core, unsigned int domid);

/* ------------------------------------------------------------------ */
/* Requests (xs_proto.c)                                               */

struct xs_req
{
    struct xs_core *core;
    struct xs_conn *conn;
    struct xsd_sockmsg hdr;
    const char *data;         /* payload, NUL added after len bytes */
    uint32_t len;
    struct xs_caller who;
    struct xs_view view;
    bool replied;
};

void xs_process(struct xs_conn *c, const struct xsd_sockmsg *hdr,
                const char *data);
const char *xs_type_name(uint32_t type);
const char *xs_error_name(int err);
int xs_reply(struct xs_req *r, const void *data, uint32_t len);
int xs_reply_ok(struct xs_req *r);
bool xs_path_valid(const struct xs_core *core, const char *path);
/* Removes a subtree through a view, firing watches; used by release. */
int xs_rm_subtree(struct xs_core *core, struct xs_view *v,
                  struct xs_conn *conn, const char *path);

/* ------------------------------------------------------------------ */
/* Watches (xs_watch.c)                                                */

int xs_watch_add(struct xs_req *r, const char *path, const char *token);
int xs_watch_del(struct xs_req *r, const char *path, const char *token);
void xs_watch_clear(struct xs_conn *c);
/* A change happened at path: queue events on every matching watch.
 * In a transaction (view->txn) the event is queued until commit. */
void xs_fire(struct xs_core *core, struct xs_view *v, const char *path,
             bool exact, const struct xs_perm *p, uint32_t np);
void xs_fire_txn_events(struct xs_core *core, struct xs_txn *t);

/* ------------------------------------------------------------------ */
/* Domains (xs_domain.c) and their Xen backend                         */

struct xs_dominfo
{
    unsigned int domid;
    bool dying;
    bool shutdown;            /* shut down or crashed */
};

/*
 * What xs_domain.c needs from Xen.  The Linux implementation is in
 * xs_xen_linux.c; the unit tests supply an in-memory one.  All return 0
 * or a positive errno unless said otherwise.
 */
struct xs_xen_ops
{
    /* Maps the store ring page of domid (gfn as given to INTRODUCE). */
    void *(*map_ring)(void *priv, unsigned int domid, uint64_t gfn);
    void (*unmap_ring)(void *priv, unsigned int domid, void *ring);
    /* dom0's own ring (/proc/xen/xsd_kva) and port (xsd_port). */
    void *(*map_local_ring)(void *priv, unsigned int *port);
    /* Binds the remote port; returns the local port or -errno. */
    int (*bind)(void *priv, unsigned int domid, unsigned int rport);
    void (*unbind)(void *priv, unsigned int lport);
    void (*notify)(void *priv, unsigned int lport);
    /* 0 and *info filled, or ESRCH when the domain does not exist. */
    int (*dominfo)(void *priv, unsigned int domid, struct xs_dominfo *info);
};

struct xs_domain
{
    struct xs_domain *next;
    unsigned int domid;
    unsigned int lport;           /* local event channel port */
    bool bound;
    struct xenstore_domain_interface *ring;
    bool local_ring;              /* dom0's xsd_kva page */
    struct xs_conn *conn;
    bool shutdown;                /* @releaseDomain already sent for it */
    bool soft_warned;
    bool gone;                    /* released; freed by xs_core_reap */
};

struct xs_domain *xs_domain_find(struct xs_core *core, unsigned int domid);
int xs_domain_introduce(struct xs_core *core, unsigned int domid,
                        uint64_t gfn, unsigned int port);
int xs_domain_introduce_local(struct xs_core *core, unsigned int domid);
int xs_domain_release(struct xs_core *core, unsigned int domid);
/* VIRQ_DOM_EXC: look at every domain, release the dead ones. */
void xs_domain_check_all(struct xs_core *core);
/* An event arrived on lport (or on any port when lport < 0). */
void xs_domain_event(struct xs_core *core, int lport);
/* Moves bytes on every ring; returns true when anything moved. */
bool xs_domain_service(struct xs_core *core);
void xs_domain_free_all(struct xs_core *core);
/* Frees released domains (outside request processing). */
void xs_domain_reap(struct xs_core *core);
/* Strips domid from every permission, target and special watch. */
void xs_domain_forget(struct xs_core *core, unsigned int domid);
/* Removes every node owned by domid, firing watches. */
void xs_domain_remove_nodes(struct xs_core *core, unsigned int domid);

/* Ring byte queues (xs_ring.c): -1 on inconsistent indices. */
int xs_ring_read(struct xenstore_domain_interface *intf, void *buf,
                 unsigned int len);
int xs_ring_write(struct xenstore_domain_interface *intf, const void *buf,
                  unsigned int len);
bool xs_ring_has_input(const struct xenstore_domain_interface *intf);
bool xs_ring_has_space(const struct xenstore_domain_interface *intf);
/* Client side, for tests and the fuzz target. */
int xs_ring_client_write(struct xenstore_domain_interface *intf,
                         const void *buf, unsigned int len);
int xs_ring_client_read(struct xenstore_domain_interface *intf, void *buf,
                        unsigned int len);

/* ------------------------------------------------------------------ */
/* The core                                                            */

enum xs_log_level
{
    XS_LOG_ERROR,
    XS_LOG_WARN,
    XS_LOG_INFO,
    XS_LOG_DEBUG,
};

struct xs_stats
{
    uint64_t requests;
    uint64_t commits;
    uint64_t conflicts;
    uint64_t events;
    uint64_t events_dropped;
    uint64_t event_probes;    /* queued messages examined to merge events */
    uint64_t conns_dropped;
    uint64_t wrl_debits;      /* writes charged to the write-rate limit */
};

struct xs_core
{
    struct xs_store store;
    struct xs_quota quota;
    struct xs_conn *conns;
    struct xs_domain *domains;
    struct xs_perm *intro_perms, *release_perms;  /* @introduceDomain... */
    uint32_t n_intro_perms, n_release_perms;
    const struct xs_xen_ops *xen;                 /* NULL: no Xen (-D) */
    void *xen_priv;
    unsigned int priv_domid;
    FILE *trace;
    enum xs_log_level log_level;
    bool use_syslog;
    struct xs_stats stats;
    /* Milliseconds of a monotonic clock (tests set their own), and its
     * reading at the start of the current service turn (the write-rate
     * limit's time: one clock read per turn, not one per request). */
    uint64_t (*now_ms)(void);
    uint64_t turn_ms;
};

int xs_core_init(struct xs_core *core, const struct xs_quota *q);
void xs_core_fini(struct xs_core *core);
/* Frees connections marked dead. */
void xs_core_reap(struct xs_core *core);
void xs_log(struct xs_core *core, enum xs_log_level lvl, const char *fmt,
            ...) __attribute__((format(printf, 3, 4)));
void xs_trace_msg(struct xs_core *core, const struct xs_conn *c,
                  const char *dir, const struct xsd_sockmsg *hdr,
                  const char *data);

/* Linux backend (xs_xen_linux.c). */
int xs_xen_linux_open(struct xs_core *core, int *evtchn_fd,
                      unsigned int *virq_port);
void xs_xen_linux_close(struct xs_core *core);
/* Reads pending ports from the evtchn fd and unmasks them; calls back. */
void xs_xen_linux_handle_events(struct xs_core *core, int fd,
                                unsigned int virq_port);

/* Sockets (xs_socket.c). */
int xs_socket_listen(const char *path);
struct xs_conn *xs_socket_accept(struct xs_core *core, int lfd);
extern const struct xs_transport xs_socket_transport;

#endif /* XENIA_XENSTORED_H */
