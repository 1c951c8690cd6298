/*
 * test_xs.c: host unit tests of xenia-stored's core (cmocka).
 *
 * Each test builds a fresh store and talks to it through in-memory
 * connections (a byte-stream transport) or, for the ring transport and
 * domain lifecycle, through an in-memory xenstore ring page served by a
 * fake Xen backend.  Requests go through the same framing, dispatch and
 * handlers as in the daemon.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xenstored.h"

/* ---- In-memory stream connections -------------------------------------- */

struct mem
{
    char in[16384];
    size_t in_len, in_off;
    char out[262144];
    size_t out_len, out_off;
    unsigned int out_room;        /* bytes the "peer" accepts (throttle) */
};

static int mem_read(struct xs_conn *c, void *buf, unsigned int len, int *err)
{
    struct mem *m = c->tp_priv;
    size_t n = m->in_len - m->in_off;

    if ( n > len )
        n = len;
    memcpy(buf, m->in + m->in_off, n);
    m->in_off += n;
    return n;
}

static int mem_write(struct xs_conn *c, const void *buf, unsigned int len,
                     int *err)
{
    struct mem *m = c->tp_priv;

    if ( len > m->out_room )
        len = m->out_room;
    if ( m->out_len + len > sizeof(m->out) )
        len = sizeof(m->out) - m->out_len;
    memcpy(m->out + m->out_len, buf, len);
    m->out_len += len;
    m->out_room -= len;
    return len;
}

static void mem_close(struct xs_conn *c)
{
    free(c->tp_priv);
}

static const struct xs_transport mem_tp = {
    .name = "mem", .read = mem_read, .write = mem_write, .close = mem_close,
};

static struct xs_core core;

static struct xs_conn *mconn(unsigned int id, bool priv)
{
    struct mem *m = calloc(1, sizeof(*m));

    assert_non_null(m);
    m->out_room = ~0u;
    return xs_conn_new(&core, &mem_tp, m, id, priv);
}

struct msg
{
    uint32_t type, req_id, tx_id, len;
    char data[XENSTORE_PAYLOAD_MAX + 1];
};

static uint32_t req_ids = 100;

/* Feeds raw bytes and lets the daemon process them. */
static void feed(struct xs_conn *c, const void *buf, size_t len)
{
    struct mem *m = c->tp_priv;

    memmove(m->in, m->in + m->in_off, m->in_len - m->in_off);
    m->in_len -= m->in_off;
    m->in_off = 0;
    assert_true(m->in_len + len <= sizeof(m->in));
    memcpy(m->in + m->in_len, buf, len);
    m->in_len += len;
    xs_conn_input(c);
    xs_conn_output(c);
}

static void send_req(struct xs_conn *c, uint32_t type, uint32_t tx,
                     const void *data, uint32_t len)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg h = { type, ++req_ids, tx, len };

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), data, len);
    feed(c, buf, sizeof(h) + len);
}

/* Pops the next message the connection received; false if none. */
static bool pop(struct xs_conn *c, struct msg *out)
{
    struct mem *m = c->tp_priv;
    struct xsd_sockmsg h;

    xs_conn_output(c);
    if ( m->out_len - m->out_off < sizeof(h) )
        return false;
    memcpy(&h, m->out + m->out_off, sizeof(h));
    assert_true(m->out_len - m->out_off >= sizeof(h) + h.len);
    out->type = h.type;
    out->req_id = h.req_id;
    out->tx_id = h.tx_id;
    out->len = h.len;
    memcpy(out->data, m->out + m->out_off + sizeof(h), h.len);
    out->data[h.len] = '\0';
    m->out_off += sizeof(h) + h.len;
    if ( m->out_off == m->out_len )
        m->out_off = m->out_len = 0;      /* all read: room again */
    return true;
}

/* Events seen while waiting for replies. */
static char events[64][256];
static unsigned int nevents;

static void note_event(const struct msg *m)
{
    if ( nevents < 64 )
        snprintf(events[nevents++], 256, "%.120s|%.120s", m->data,
                 m->data + strlen(m->data) + 1);
}

/* Sends and returns 0 or the errno named by the ERROR reply; the reply
 * payload is left in *r. */
static int call_r(struct xs_conn *c, uint32_t type, uint32_t tx,
                  const void *data, uint32_t len, struct msg *r)
{
    uint32_t id;

    send_req(c, type, tx, data, len);
    id = req_ids;
    while ( pop(c, r) )
    {
        if ( r->type == XS_WATCH_EVENT )
        {
            note_event(r);
            continue;
        }
        assert_int_equal(r->req_id, id);
        if ( r->type == XS_ERROR )
        {
#define X(e) if ( !strcmp(r->data, #e) ) return e;
            XSD_ERROR_NAMES(X)
#undef X
            return -1;
        }
        assert_int_equal(r->type, type);
        return 0;
    }
    return -2;                    /* no reply at all */
}

static struct msg last;

static int call(struct xs_conn *c, uint32_t type, uint32_t tx,
                const void *data, uint32_t len)
{
    return call_r(c, type, tx, data, len, &last);
}

static int call1(struct xs_conn *c, uint32_t type, uint32_t tx,
                 const char *arg)
{
    return call(c, type, tx, arg, strlen(arg) + 1);
}

static int call2(struct xs_conn *c, uint32_t type, uint32_t tx,
                 const char *a, const char *b)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;

    memcpy(buf, a, la);
    memcpy(buf + la, b, lb);
    return call(c, type, tx, buf, la + lb);
}

static int wr(struct xs_conn *c, uint32_t tx, const char *path,
              const char *val)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t lp = strlen(path) + 1, lv = strlen(val);

    memcpy(buf, path, lp);
    memcpy(buf + lp, val, lv);
    return call(c, XS_WRITE, tx, buf, lp + lv);
}

static int rd(struct xs_conn *c, uint32_t tx, const char *path)
{
    return call1(c, XS_READ, tx, path);
}

static uint32_t txstart(struct xs_conn *c)
{
    assert_int_equal(call(c, XS_TRANSACTION_START, 0, "", 1), 0);
    return strtoul(last.data, NULL, 10);
}

static void drain_events(struct xs_conn *c)
{
    struct msg m;

    while ( pop(c, &m) )
        if ( m.type == XS_WATCH_EVENT )
            note_event(&m);
}

static bool saw_event(const char *path_token)
{
    unsigned int i;

    for ( i = 0; i < nevents; i++ )
        if ( !strcmp(events[i], path_token) )
            return true;
    return false;
}

/* The store's clock in these tests: moves only when a test moves it. */
static uint64_t fake_ms = 1000;
static uint64_t fake_now(void) { return fake_ms; }

static int setup(void **state)
{
    int rc;

    nevents = 0;
    rc = xs_core_init(&core, NULL);
    core.now_ms = fake_now;
    /* Off unless a test is about it: the other tests' guests write fast. */
    core.quota.wrl_rate = 0;
    return rc;
}

static int teardown(void **state)
{
    xs_core_fini(&core);
    return 0;
}

/* ---- Tree ------------------------------------------------------------ */

static void test_read_write(void **state)
{
    struct xs_conn *c = mconn(0, true);

    assert_int_equal(rd(c, 0, "/a"), ENOENT);
    assert_int_equal(wr(c, 0, "/a/b/c", "hello"), 0);
    assert_string_equal(last.data, "OK");
    assert_int_equal(rd(c, 0, "/a/b/c"), 0);
    assert_int_equal(last.len, 5);
    assert_memory_equal(last.data, "hello", 5);
    /* Parents were created with empty values. */
    assert_int_equal(rd(c, 0, "/a/b"), 0);
    assert_int_equal(last.len, 0);
    /* Binary values survive. */
    assert_int_equal(call(c, XS_WRITE, 0, "/bin\0x\0y", 8), 0);
    assert_int_equal(rd(c, 0, "/bin"), 0);
    assert_int_equal(last.len, 3);
    assert_memory_equal(last.data, "x\0y", 3);
    /* mkdir keeps existing values. */
    assert_int_equal(call1(c, XS_MKDIR, 0, "/a/b/c"), 0);
    assert_int_equal(rd(c, 0, "/a/b/c"), 0);
    assert_memory_equal(last.data, "hello", 5);
    assert_int_equal(call1(c, XS_MKDIR, 0, "/m/n"), 0);
    assert_int_equal(call1(c, XS_DIRECTORY, 0, "/m"), 0);
    assert_int_equal(last.len, 2);
    assert_string_equal(last.data, "n");
    assert_int_equal(call1(c, XS_CONTROL, 0, "check"), 0);
}

static void test_directory_and_rm(void **state)
{
    struct xs_conn *c = mconn(0, true);

    assert_int_equal(wr(c, 0, "/d/x", "1"), 0);
    assert_int_equal(wr(c, 0, "/d/y/z", "2"), 0);
    assert_int_equal(wr(c, 0, "/d/w", "3"), 0);
    assert_int_equal(call1(c, XS_DIRECTORY, 0, "/d"), 0);
    assert_int_equal(last.len, 6);
    assert_memory_equal(last.data, "x\0y\0w\0", 6);
    assert_int_equal(call1(c, XS_RM, 0, "/d/y"), 0);
    assert_int_equal(rd(c, 0, "/d/y/z"), ENOENT);
    assert_int_equal(call1(c, XS_DIRECTORY, 0, "/d"), 0);
    assert_memory_equal(last.data, "x\0w\0", 4);
    /* Removing a missing node is fine while its parent exists. */
    assert_int_equal(call1(c, XS_RM, 0, "/d/nothere"), 0);
    assert_int_equal(call1(c, XS_RM, 0, "/nothere/either"), ENOENT);
    assert_int_equal(call1(c, XS_RM, 0, "/"), EINVAL);
    assert_int_equal(call1(c, XS_CONTROL, 0, "check"), 0);
}

static void test_directory_part(void **state)
{
    struct xs_conn *c = mconn(0, true);
    char path[64], all[65536];
    size_t alen = 0, off = 0;
    unsigned int i;
    char gen[32] = "";

    for ( i = 0; i < 400; i++ )
    {
        snprintf(path, sizeof(path), "/big/child-with-a-long-name-%03u", i);
        assert_int_equal(call1(c, XS_MKDIR, 0, path), 0);
    }
    /* Too big for one DIRECTORY reply. */
    assert_int_equal(call1(c, XS_DIRECTORY, 0, "/big"), E2BIG);
    for ( ;; )
    {
        char offs[16];
        size_t glen;

        snprintf(offs, sizeof(offs), "%zu", off);
        assert_int_equal(call2(c, XS_DIRECTORY_PART, 0, "/big", offs), 0);
        glen = strlen(last.data) + 1;
        if ( gen[0] )
            assert_string_equal(gen, last.data);
        strcpy(gen, last.data);
        if ( last.len == glen + 1 )   /* empty list: past the end */
            break;
        memcpy(all + alen, last.data + glen, last.len - glen);
        alen += last.len - glen;
        off += last.len - glen;
        if ( last.data[last.len - 1] == '\0' && last.data[last.len - 2] == '\0' )
        {
            alen--;                   /* the terminating extra NUL */
            break;
        }
    }
    assert_int_equal(alen, 400 * 27);
    assert_memory_equal(all, "child-with-a-long-name-000", 27);
    assert_memory_equal(all + 399 * 27, "child-with-a-long-name-399", 27);
}

static void test_invalid_paths(void **state)
{
    struct xs_conn *c = mconn(0, true);
    char longp[3200];

    assert_int_equal(wr(c, 0, "/a//b", "x"), EINVAL);
    assert_int_equal(wr(c, 0, "/a/b/", "x"), EINVAL);
    assert_int_equal(wr(c, 0, "/a/b c", "x"), EINVAL);
    assert_int_equal(wr(c, 0, "/a/b*", "x"), EINVAL);
    assert_int_equal(rd(c, 0, "@introduceDomain"), EINVAL);
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(wr(c, 0, longp, "x"), EINVAL);
    /* Payload without a NUL, or with two strings for a one-arg call. */
    assert_int_equal(call(c, XS_READ, 0, "/a", 2), EINVAL);
    assert_int_equal(call(c, XS_READ, 0, "/a\0/b", 6), EINVAL);
    assert_int_equal(call(c, XS_WRITE, 0, "/nonul", 6), EINVAL);
    assert_int_equal(call(c, XS_TRANSACTION_END, 0, "X", 2), EINVAL);
    assert_int_equal(call(c, 20, 0, "", 1), ENOSYS);     /* retired type */
    assert_int_equal(call(c, 999, 0, "", 1), ENOSYS);
    assert_int_equal(call(c, XS_ERROR, 0, "", 1), ENOSYS);
}

/* ---- Permissions --------------------------------------------------- */

static void test_permissions(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d5 = mconn(5, false);
    struct xs_conn *d6 = mconn(6, false);

    assert_int_equal(wr(d0, 0, "/local/domain/5/data", "v"), 0);
    /* Owned by dom0, closed: unreadable and its existence hidden. */
    assert_int_equal(rd(d5, 0, "/local/domain/5/data"), EACCES);
    assert_int_equal(rd(d5, 0, "/local/domain/5/none"), EACCES);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "/local/domain/5\0n0\0b5",
                          22), 0);
    assert_int_equal(call(d0, XS_SET_PERMS, 0,
                          "/local/domain/5/data\0n0\0r5", 27), 0);
    assert_int_equal(rd(d5, 0, "/local/domain/5/data"), 0);
    assert_int_equal(wr(d5, 0, "/local/domain/5/data", "w"), EACCES);
    assert_int_equal(rd(d6, 0, "/local/domain/5/data"), EACCES);
    assert_int_equal(rd(d5, 0, "/local/domain/5/none"), ENOENT);
    /* A domain owns what it creates, relative paths included. */
    assert_int_equal(wr(d5, 0, "mine", "m"), 0);
    assert_int_equal(call1(d0, XS_GET_PERMS, 0, "/local/domain/5/mine"), 0);
    assert_memory_equal(last.data, "n5\0b5\0", 6);
    assert_int_equal(rd(d5, 0, "/local/domain/5/mine"), 0);
    /* The owner may change access but not give the node away. */
    assert_int_equal(call(d5, XS_SET_PERMS, 0, "mine\0n5\0r6", 11), 0);
    assert_int_equal(rd(d6, 0, "/local/domain/5/mine"), 0);
    assert_int_equal(wr(d6, 0, "/local/domain/5/mine", "x"), EACCES);
    assert_int_equal(call(d5, XS_SET_PERMS, 0, "mine\0n6", 8), EPERM);
    assert_int_equal(call(d6, XS_SET_PERMS, 0,
                          "/local/domain/5/mine\0n6", 24), EACCES);
    assert_int_equal(call(d5, XS_SET_PERMS, 0, "mine\0x5", 8), EINVAL);
    assert_int_equal(call(d5, XS_SET_PERMS, 0, "mine", 5), EINVAL);
    /* Privileged-only operations. */
    assert_int_equal(call1(d5, XS_INTRODUCE, 0, "7"), EACCES);
    assert_int_equal(call1(d5, XS_CONTROL, 0, "check"), EACCES);
    assert_int_equal(call1(d5, XS_GET_DOMAIN_PATH, 0, "5"), 0);
    assert_string_equal(last.data, "/local/domain/5");
    /* Root and /tool are dom0's. */
    assert_int_equal(wr(d5, 0, "/evil", "x"), EACCES);
    assert_int_equal(call1(d5, XS_RM, 0, "/tool"), EACCES);
}

/* ---- Watches ---------------------------------------------------------- */

static void test_watches(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *w = mconn(0, true);
    struct xs_conn *d5 = mconn(5, false);

    assert_int_equal(call2(w, XS_WATCH, 0, "/w", "tok"), 0);
    drain_events(w);
    assert_true(saw_event("/w|tok"));          /* fires once on set-up */
    nevents = 0;
    assert_int_equal(wr(d0, 0, "/w/a/b", "1"), 0);
    assert_int_equal(wr(d0, 0, "/other", "1"), 0);
    drain_events(w);
    assert_int_equal(nevents, 1);
    assert_true(saw_event("/w/a/b|tok"));
    nevents = 0;
    assert_int_equal(call2(w, XS_WATCH, 0, "/w", "tok"), EEXIST);
    /* rm fires for the node and every removed descendant watched. */
    assert_int_equal(call2(w, XS_WATCH, 0, "/w/a/b", "deep"), 0);
    drain_events(w);
    nevents = 0;
    assert_int_equal(call1(d0, XS_RM, 0, "/w/a"), 0);
    drain_events(w);
    assert_true(saw_event("/w/a|tok"));
    assert_true(saw_event("/w/a/b|deep"));
    nevents = 0;
    assert_int_equal(call2(w, XS_UNWATCH, 0, "/w", "tok"), 0);
    assert_int_equal(call2(w, XS_UNWATCH, 0, "/w", "tok"), ENOENT);
    assert_int_equal(wr(d0, 0, "/w/again", "1"), 0);
    drain_events(w);
    assert_int_equal(nevents, 0);
    /* Relative watches report relative paths. */
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/5"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local", "r0"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5"), 0);
    assert_int_equal(call2(d5, XS_WATCH, 0, "device", "rel"), 0);
    drain_events(d5);
    assert_true(saw_event("device|rel"));
    nevents = 0;
    assert_int_equal(wr(d0, 0, "/local/domain/5/device/vbd", "x"), 0);
    drain_events(d5);
    assert_true(saw_event("device/vbd|rel"));
    /* No events for nodes a domain cannot read. */
    nevents = 0;
    assert_int_equal(call2(d5, XS_WATCH, 0, "/secret", "s"), 0);
    drain_events(d5);
    nevents = 0;
    assert_int_equal(wr(d0, 0, "/secret/x", "1"), 0);
    drain_events(d5);
    assert_int_equal(nevents, 0);
    /* reset_watches drops everything. */
    assert_int_equal(call(d5, XS_RESET_WATCHES, 0, "", 1), 0);
    assert_int_equal(wr(d0, 0, "/local/domain/5/device/vbd", "y"), 0);
    drain_events(d5);
    assert_int_equal(nevents, 0);
}

/* ---- Transactions ----------------------------------------------------- */

static void test_transactions(void **state)
{
    struct xs_conn *c = mconn(0, true);
    struct xs_conn *w = mconn(0, true);
    uint32_t t;

    assert_int_equal(call2(w, XS_WATCH, 0, "/t", "tw"), 0);
    drain_events(w);
    nevents = 0;
    t = txstart(c);
    assert_int_equal(wr(c, t, "/t/a", "1"), 0);
    assert_int_equal(wr(c, t, "/t/b", "2"), 0);
    /* Invisible outside until committed; no events yet. */
    assert_int_equal(rd(c, 0, "/t/a"), ENOENT);
    assert_int_equal(rd(c, t, "/t/a"), 0);
    drain_events(w);
    assert_int_equal(nevents, 0);
    assert_int_equal(call1(c, XS_TRANSACTION_END, t, "T"), 0);
    assert_int_equal(rd(c, 0, "/t/b"), 0);
    assert_memory_equal(last.data, "2", 1);
    drain_events(w);
    assert_true(saw_event("/t/a|tw"));
    assert_true(saw_event("/t/b|tw"));
    /* Abort throws everything away. */
    t = txstart(c);
    assert_int_equal(call1(c, XS_RM, t, "/t/a"), 0);
    assert_int_equal(call1(c, XS_TRANSACTION_END, t, "F"), 0);
    assert_int_equal(rd(c, 0, "/t/a"), 0);
    /* Ended transactions are gone; unknown ids are ENOENT. */
    assert_int_equal(rd(c, t, "/t/a"), ENOENT);
    assert_int_equal(call1(c, XS_TRANSACTION_END, 12345, "T"), ENOENT);
    assert_int_equal(call1(c, XS_TRANSACTION_END, 0, "T"), ENOENT);
    /* Starting inside a transaction is refused. */
    t = txstart(c);
    assert_int_equal(call(c, XS_TRANSACTION_START, t, "", 1), EBUSY);
    assert_int_equal(call1(c, XS_TRANSACTION_END, t, "F"), 0);
}

static void test_transaction_conflict(void **state)
{
    struct xs_conn *a = mconn(0, true);
    struct xs_conn *b = mconn(0, true);
    uint32_t ta, tb;

    assert_int_equal(wr(a, 0, "/c/counter", "0"), 0);
    ta = txstart(a);
    tb = txstart(b);
    assert_int_equal(rd(a, ta, "/c/counter"), 0);
    assert_int_equal(rd(b, tb, "/c/counter"), 0);
    assert_int_equal(wr(a, ta, "/c/counter", "1"), 0);
    assert_int_equal(wr(a, ta, "/c/other", "a"), 0);
    assert_int_equal(wr(b, tb, "/c/counter", "1"), 0);
    assert_int_equal(wr(b, tb, "/c/fromb", "b"), 0);
    assert_int_equal(call1(a, XS_TRANSACTION_END, ta, "T"), 0);
    /* b read a value that changed: EAGAIN and nothing of b applied. */
    assert_int_equal(call1(b, XS_TRANSACTION_END, tb, "T"), EAGAIN);
    assert_int_equal(rd(a, 0, "/c/fromb"), ENOENT);
    assert_int_equal(rd(a, 0, "/c/other"), 0);
    /* A plain write after a transaction's read conflicts as well. */
    tb = txstart(b);
    assert_int_equal(rd(b, tb, "/c/counter"), 0);
    assert_int_equal(wr(a, 0, "/c/counter", "5"), 0);
    assert_int_equal(wr(b, tb, "/c/x", "1"), 0);
    assert_int_equal(call1(b, XS_TRANSACTION_END, tb, "T"), EAGAIN);
    /* Disjoint transactions both commit. */
    assert_int_equal(call1(a, XS_MKDIR, 0, "/c/p1"), 0);
    assert_int_equal(call1(a, XS_MKDIR, 0, "/c/p2"), 0);
    ta = txstart(a);
    tb = txstart(b);
    assert_int_equal(wr(a, ta, "/c/p1", "a"), 0);
    assert_int_equal(wr(b, tb, "/c/p2", "b"), 0);
    assert_int_equal(call1(a, XS_TRANSACTION_END, ta, "T"), 0);
    assert_int_equal(call1(b, XS_TRANSACTION_END, tb, "T"), 0);
    /* A missing node that appears meanwhile is a conflict too. */
    ta = txstart(a);
    assert_int_equal(rd(a, ta, "/c/late"), ENOENT);
    assert_int_equal(wr(b, 0, "/c/late", "x"), 0);
    assert_int_equal(wr(a, ta, "/c/p1", "z"), 0);
    assert_int_equal(call1(a, XS_TRANSACTION_END, ta, "T"), EAGAIN);
    assert_int_equal(call1(a, XS_CONTROL, 0, "check"), 0);
}

/* ---- Quotas ------------------------------------------------------------ */

static void test_quotas(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d5 = mconn(5, false);
    char path[64], big[2100];
    unsigned int i;
    uint32_t t;
    int rc = 0;

    core.quota.nodes = 20;
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/5"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5"), 0);
    for ( i = 0; i < 30 && !rc; i++ )
    {
        snprintf(path, sizeof(path), "n%u", i);
        rc = call1(d5, XS_MKDIR, 0, path);
    }
    assert_int_equal(rc, ENOSPC);
    assert_int_equal(core.store.acct[5].nodes, 20);
    /* dom0 is not limited. */
    for ( i = 0; i < 30; i++ )
    {
        snprintf(path, sizeof(path), "/local/domain/0/n%u", i);
        assert_int_equal(call1(d0, XS_MKDIR, 0, path), 0);
    }
    /* Entry size. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(wr(d5, 0, "n0", big), ENOSPC);
    assert_int_equal(wr(d0, 0, "/local/domain/5/n0", big), 0);
    /* Permissions per node. */
    assert_int_equal(call(d5, XS_SET_PERMS, 0,
                          "n1\0n5\0r1\0r2\0r3\0r4\0r6\0r7", 27), ENOSPC);
    /* Watches. */
    core.quota.watches = 3;
    for ( i = 0, rc = 0; i < 5 && !rc; i++ )
    {
        snprintf(path, sizeof(path), "w%u", i);
        rc = call2(d5, XS_WATCH, 0, "n1", path);
    }
    assert_int_equal(rc, E2BIG);
    assert_int_equal(i, 4);
    /* Open transactions. */
    core.quota.transactions = 2;
    assert_int_equal(call(d5, XS_TRANSACTION_START, 0, "", 1), 0);
    assert_int_equal(call(d5, XS_TRANSACTION_START, 0, "", 1), 0);
    assert_int_equal(call(d5, XS_TRANSACTION_START, 0, "", 1), ENOSPC);
    assert_int_equal(call(d0, XS_TRANSACTION_START, 0, "", 1), 0);
    /* Nodes touched per transaction. */
    t = strtoul(last.data, NULL, 10);
    assert_int_equal(call1(d0, XS_TRANSACTION_END, t, "F"), 0);
    core.quota.transactions = 10;
    core.quota.trans_nodes = 5;
    t = txstart(d5);
    for ( i = 0, rc = 0; i < 10 && !rc; i++ )
    {
        snprintf(path, sizeof(path), "n%u", i);
        rc = rd(d5, t, path);
    }
    assert_int_equal(rc, ENOSPC);
    assert_int_equal(call1(d5, XS_TRANSACTION_END, t, "T"), EAGAIN);
    /* quota options parse as Xen's. */
    assert_int_equal(xs_quota_set(&core.quota, "outstanding=7", false), 0);
    assert_int_equal(core.quota.outstanding, 7);
    assert_int_equal(xs_quota_set(&core.quota, "memory=1000", true), 0);
    assert_int_equal(core.quota.memory_soft, 1000);
    assert_int_equal(xs_quota_set(&core.quota, "outstanding=7", true), EINVAL);
    assert_int_equal(xs_quota_set(&core.quota, "bogus=1", false), EINVAL);
    assert_int_equal(xs_quota_set(&core.quota, "memory=-1", false), EINVAL);
}

static void test_memory_quota(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d5 = mconn(5, false);
    char path[64], val[1500];
    unsigned int i;
    int rc = 0;

    core.quota.memory_hard = 20000;
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/5"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5"), 0);
    for ( i = 0; i < 40 && !rc; i++ )
    {
        snprintf(path, sizeof(path), "m%u", i);
        rc = wr(d5, 0, path, val);
    }
    assert_int_equal(rc, ENOMEM);
    assert_true(core.store.acct[5].bytes <= 20000);
}

/* ---- Malformed input ------------------------------------------------------ */

static void test_oversized_message(void **state)
{
    struct xs_conn *c = mconn(0, true);
    struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
    struct msg m;

    feed(c, &h, sizeof(h));
    assert_true(c->dead);
    assert_false(pop(c, &m));
    xs_core_reap(&core);
    assert_null(core.conns);
}

static void test_split_delivery(void **state)
{
    struct xs_conn *c = mconn(0, true);
    char buf[64];
    struct xsd_sockmsg h = { XS_WRITE, 7, 0, 6 };
    unsigned int i;
    struct msg m;

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), "/s\0abc", 6);
    for ( i = 0; i < sizeof(h) + 6; i++ )
        feed(c, buf + i, 1);             /* one byte at a time */
    assert_true(pop(c, &m));
    assert_int_equal(m.type, XS_WRITE);
    assert_int_equal(m.req_id, 7);
    assert_int_equal(rd(c, 0, "/s"), 0);
    assert_memory_equal(last.data, "abc", 3);
}

static void test_socket_backpressure(void **state)
{
    struct xs_conn *c = mconn(0, true);
    struct mem *m = c->tp_priv;
    unsigned int i;

    core.quota.sock_out_throttle = 1000;
    m->out_room = 0;                       /* the client reads nothing */
    assert_int_equal(wr(c, 0, "/bp", "x"), -2);
    for ( i = 0; i < 200; i++ )
        send_req(c, XS_READ, 0, "/bp", 4);
    /* The daemon stopped reading: replies bounded by the throttle. */
    assert_true(c->out_bytes < 1000 + 64);
    assert_true(m->in_off < m->in_len);
}

static void test_control(void **state)
{
    struct xs_conn *c = mconn(0, true);

    assert_int_equal(call1(c, XS_CONTROL, 0, "help"), 0);
    assert_non_null(strstr(last.data, "quota"));
    assert_int_equal(call1(c, XS_CONTROL, 0, "quota"), 0);
    assert_non_null(strstr(last.data, "Nodes per Domain: 1000"));
    assert_int_equal(call1(c, XS_CONTROL, 0, "nosuchcommand"), EINVAL);
    assert_int_equal(call1(c, XS_CONTROL, 0, "memreport"), 0);
}

/* ---- Ring transport and domains (fake Xen) ------------------------------- */

struct fake_xen
{
    struct xenstore_domain_interface *page[32];
    bool exists[32], dying[32], shutdown[32];
    unsigned int notified[32];
    int bound[32];
};

static struct fake_xen fx;

static void *fx_map(void *p, unsigned int domid, uint64_t gfn)
{
    return domid < 32 ? fx.page[domid] : NULL;
}

static void fx_unmap(void *p, unsigned int domid, void *ring) { }

static int fx_bind(void *p, unsigned int domid, unsigned int rport)
{
    if ( domid >= 32 || !fx.exists[domid] )
        return -ESRCH;
    fx.bound[domid] = 1;
    return 100 + domid;
}

static void fx_unbind(void *p, unsigned int lport)
{
    fx.bound[lport - 100] = 0;
}

static void fx_notify(void *p, unsigned int lport)
{
    fx.notified[lport - 100]++;
}

static int fx_dominfo(void *p, unsigned int domid, struct xs_dominfo *info)
{
    if ( domid >= 32 || !fx.exists[domid] )
        return ESRCH;
    info->domid = domid;
    info->dying = fx.dying[domid];
    info->shutdown = fx.shutdown[domid];
    return 0;
}

static const struct xs_xen_ops fx_ops = {
    .map_ring = fx_map, .unmap_ring = fx_unmap, .bind = fx_bind,
    .unbind = fx_unbind, .notify = fx_notify, .dominfo = fx_dominfo,
};

static struct xenstore_domain_interface *new_guest(unsigned int domid)
{
    struct xenstore_domain_interface *r = calloc(1, 4096);

    fx.page[domid] = r;
    fx.exists[domid] = true;
    /* Guests must cope with any starting index: start near the wrap. */
    r->req_cons = r->req_prod = 0xfffffff0u;
    return r;
}

static int ring_setup(void **state)
{
    memset(&fx, 0, sizeof(fx));
    setup(state);
    core.xen = &fx_ops;
    return 0;
}

static int ring_teardown(void **state)
{
    unsigned int i;

    teardown(state);
    for ( i = 0; i < 32; i++ )
        free(fx.page[i]);
    return 0;
}

/* Guest side: writes a whole request, letting the daemon drain the ring
 * as needed; returns false if the daemon stopped consuming. */
static bool guest_send(struct xenstore_domain_interface *r, uint32_t type,
                       uint32_t req, uint32_t tx, const void *data,
                       uint32_t len)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg h = { type, req, tx, len };
    unsigned int off = 0, stuck = 0;
    int n;

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), data, len);
    while ( off < sizeof(h) + len && stuck < 3 )
    {
        n = xs_ring_client_write(r, buf + off, sizeof(h) + len - off);
        assert_true(n >= 0);
        off += n;
        stuck = n ? 0 : stuck + 1;
        xs_domain_service(&core);
    }
    return off == sizeof(h) + len;
}

/* Guest side: reads one whole message. */
static bool guest_recv(struct xenstore_domain_interface *r, struct msg *m)
{
    struct xsd_sockmsg h;
    unsigned int got = 0, stuck = 0;
    char buf[sizeof(h) + XENSTORE_PAYLOAD_MAX];
    int n;

    while ( stuck < 3 )
    {
        unsigned int want = got < sizeof(h) ? sizeof(h) - got : 0;

        if ( got >= sizeof(h) )
        {
            memcpy(&h, buf, sizeof(h));
            if ( got == sizeof(h) + h.len )
                break;
            want = sizeof(h) + h.len - got;
        }
        n = xs_ring_client_read(r, buf + got, want);
        assert_true(n >= 0);
        got += n;
        stuck = n ? 0 : stuck + 1;
        xs_domain_service(&core);
    }
    if ( got < sizeof(h) )
        return false;
    memcpy(&h, buf, sizeof(h));
    if ( got != sizeof(h) + h.len )
        return false;
    m->type = h.type;
    m->req_id = h.req_id;
    m->tx_id = h.tx_id;
    m->len = h.len;
    memcpy(m->data, buf + sizeof(h), h.len);
    m->data[h.len] = '\0';
    return true;
}

static void test_ring_introduce_and_talk(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(3);
    struct msg m;
    char val[900];
    unsigned int i;

    assert_int_equal(call2(d0, XS_WATCH, 0, "@introduceDomain", "in"), 0);
    drain_events(d0);
    nevents = 0;
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "3\0" "12345\0" "7", 10), 0);
    drain_events(d0);
    assert_true(saw_event("@introduceDomain|in"));
    assert_int_equal(call1(d0, XS_IS_DOMAIN_INTRODUCED, 0, "3"), 0);
    assert_string_equal(last.data, "T");
    assert_int_equal(call1(d0, XS_IS_DOMAIN_INTRODUCED, 0, "4"), 0);
    assert_string_equal(last.data, "F");
    assert_true(g->server_features & XENSTORE_SERVER_FEATURE_ERROR);
    assert_int_equal(g->req_prod, 0);        /* reset on introduce */
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/3"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local", "r0"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/3", "n3"), 0);

    /* Many requests, larger than the ring, wrapping many times. */
    memset(val, 'g', sizeof(val));
    for ( i = 0; i < 50; i++ )
    {
        char buf[1024];
        int pl = snprintf(buf, sizeof(buf), "k%u", i) + 1;

        memcpy(buf + pl, val, sizeof(val));
        assert_true(guest_send(g, XS_WRITE, i, 0, buf, pl + sizeof(val)));
        assert_true(guest_recv(g, &m));
        assert_int_equal(m.type, XS_WRITE);
        assert_int_equal(m.req_id, i);
    }
    assert_true(guest_send(g, XS_READ, 99, 0, "k49", 4));
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.len, sizeof(val));
    assert_true(fx.notified[3] > 0);
    /* Its nodes are its own. */
    assert_int_equal(call1(d0, XS_GET_PERMS, 0, "/local/domain/3/k7"), 0);
    assert_string_equal(last.data, "n3");
    /* An unprivileged ring may not introduce. */
    assert_true(guest_send(g, XS_INTRODUCE, 5, 0, "4\0" "1\0" "1", 6));
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.type, XS_ERROR);
    assert_string_equal(m.data, "EACCES");
}

/* One write from guest g; whether its reply came (not while in debt). */
static bool guest_write(struct xenstore_domain_interface *g, uint32_t id,
                        const char *path)
{
    char buf[64];
    int pl = snprintf(buf, sizeof(buf), "%s", path) + 1;
    struct msg m;

    memcpy(buf + pl, "v", 1);
    assert_true(guest_send(g, XS_WRITE, id, 0, buf, pl + 1));
    return guest_recv(g, &m) && m.type == XS_WRITE && m.req_id == id;
}

/*
 * XSA-206 class: the write-rate limit (Xen's xenstored: 200 writes/s,
 * bursts of 10, a new domain 50).  A domain in debt is not read at all
 * until the clock has paid it back; others, and dom0's socket, are served
 * meanwhile; the daemon's poll timeout is the time to the first repayment.
 */
static void test_write_rate_limit(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(11), *v = new_guest(12);
    struct xs_domain *d;
    struct msg m;
    unsigned int i, served;
    char path[48];

    core.quota.wrl_rate = 200;
    core.quota.wrl_burst = 10;
    core.quota.wrl_burst_new = 50;
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "11\0" "1\0" "9", 7), 0);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "12\0" "1\0" "9", 7), 0);
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/11"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/11", "n11"), 0);
    assert_int_equal(wr(d0, 0, "/local/domain/12/x", "1"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/12/x", "n12"),
                     0);
    d = xs_domain_find(&core, 11);
    assert_non_null(d);

    /* A new domain: 50 writes at once, one more into debt, then none. */
    for ( served = 0; served < 80; served++ )
    {
        snprintf(path, sizeof(path), "/local/domain/11/k%u", served);
        if ( !guest_write(g, served, path) )
            break;
    }
    assert_int_equal(served, 51);
    assert_true(xs_ring_has_input(g));          /* the 52nd waits */
    assert_int_equal(xs_conn_wrl_wait_ms(d->conn), 5);
    assert_int_equal(xs_core_wrl_wait_ms(&core, 1000), 5);
    /* Meanwhile another guest, and dom0's tools, are served. */
    assert_true(guest_send(v, XS_READ, 1, 0, "/local/domain/12/x", 19));
    assert_true(guest_recv(v, &m));
    assert_int_equal(m.type, XS_READ);
    for ( i = 0; i < 100; i++ )
        assert_int_equal(wr(d0, 0, "/tools/n", "1"), 0);
    /* 4 ms pay back 800 of the 1000: still nothing. */
    fake_ms += 4;
    xs_domain_service(&core);
    assert_false(guest_recv(g, &m));
    assert_int_equal(xs_conn_wrl_wait_ms(d->conn), 1);
    /* 1 ms more: the waiting write is served (and costs one again). */
    fake_ms += 1;
    xs_domain_service(&core);
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.type, XS_WRITE);
    assert_int_equal(m.req_id, 51);
    /* Long idle: credit refills to the burst (10), not to 50. */
    fake_ms += 60000;
    for ( served = 0; served < 40; served++ )
    {
        snprintf(path, sizeof(path), "/local/domain/11/j%u", served);
        if ( !guest_write(g, 100 + served, path) )
            break;
    }
    assert_int_equal(served, 11);
    /* Failing writes cost as much: debt again, however they fail (after
     * the write that waited, served once the clock moves). */
    fake_ms += 60000;
    xs_domain_service(&core);
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.req_id, 111);
    for ( served = 0; served < 40; served++ )
    {
        if ( !guest_send(g, XS_WRITE, 200 + served, 0, "/forbidden\0v", 12) ||
             !guest_recv(g, &m) )
            break;
        assert_int_equal(m.type, XS_ERROR);
    }
    assert_int_equal(served, 10);
    /* -Q write-rate=0 turns it off: the waiting write, then any number. */
    assert_int_equal(xs_quota_set(&core.quota, "write-rate=0", false), 0);
    xs_domain_service(&core);
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.req_id, 210);
    for ( served = 0; served < 80; served++ )
    {
        snprintf(path, sizeof(path), "/local/domain/11/k%u", served);
        if ( !guest_write(g, 300 + served, path) )
            break;
    }
    assert_int_equal(served, 80);
}

static void test_ring_bad_guest(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(4);
    struct xsd_sockmsg h = { XS_READ, 1, 0, 5000 };
    struct msg m;

    assert_int_equal(call(d0, XS_INTRODUCE, 0, "4\0" "1\0" "9", 6), 0);
    /* Oversized payload: connection stopped with the PROTO error. */
    xs_ring_client_write(g, &h, sizeof(h));
    xs_domain_service(&core);
    assert_int_equal(g->error, XENSTORE_ERROR_PROTO);
    assert_false(guest_send(g, XS_READ, 2, 0, "/", 2) && guest_recv(g, &m));
    /* The guest asks to reconnect: a clean ring again. */
    g->connection = XENSTORE_RECONNECT;
    xs_domain_service(&core);
    assert_int_equal(g->connection, XENSTORE_CONNECTED);
    assert_int_equal(g->error, XENSTORE_ERROR_NONE);
    assert_true(guest_send(g, XS_GET_DOMAIN_PATH, 3, 0, "4", 2));
    assert_true(guest_recv(g, &m));
    assert_string_equal(m.data, "/local/domain/4");
    /* Corrupt indices. */
    g->req_prod = g->req_cons + 5000;
    xs_domain_service(&core);
    assert_int_equal(g->error, XENSTORE_ERROR_RINGIDX);
    /* Dom0 is unharmed. */
    assert_int_equal(wr(d0, 0, "/still", "fine"), 0);
}

static void test_ring_outstanding_quota(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(5);
    struct xs_domain *d;
    unsigned int i;

    core.quota.outstanding = 4;
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "5\0" "1\0" "9", 6), 0);
    d = xs_domain_find(&core, 5);
    assert_non_null(d);
    /* Pipeline many requests without reading replies. */
    for ( i = 0; i < 40; i++ )
    {
        struct xsd_sockmsg h = { XS_GET_DOMAIN_PATH, i, 0, 2 };
        char buf[sizeof(h) + 2];

        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), "5", 2);
        if ( xs_ring_client_write(g, buf, sizeof(buf)) < (int)sizeof(buf) )
            break;
        xs_domain_service(&core);
    }
    /* Replies fill the ring (1024 bytes); beyond that at most 4 queue. */
    assert_true(d->conn->out_replies <= 4);
    assert_true(xs_ring_has_input(g));       /* the rest waits in the ring */
}

static void test_domain_lifecycle(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *w = mconn(0, true);

    new_guest(6);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "6\0" "1\0" "9", 6), 0);
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/6/device"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/6/device",
                           "n6"), 0);
    assert_int_equal(wr(d0, 0, "/local/domain/6/device/x", "1"), 0);
    assert_int_equal(wr(d0, 0, "/local/domain/6/keep", "1"), 0);
    assert_int_equal(call2(w, XS_WATCH, 0, "@releaseDomain", "rel"), 0);
    assert_int_equal(call2(w, XS_WATCH, 0, "/local/domain/6/device", "dev"),
                     0);
    drain_events(w);
    nevents = 0;
    /* Shutdown: one @releaseDomain, domain still introduced. */
    fx.shutdown[6] = true;
    xs_domain_check_all(&core);
    drain_events(w);
    assert_int_equal(nevents, 1);
    assert_true(saw_event("@releaseDomain|rel"));
    xs_domain_check_all(&core);
    drain_events(w);
    assert_int_equal(nevents, 1);
    /* Gone: released, nodes it owns removed, watch fired. */
    nevents = 0;
    fx.exists[6] = false;
    xs_domain_check_all(&core);
    xs_core_reap(&core);
    drain_events(w);
    assert_true(saw_event("@releaseDomain|rel"));
    assert_true(saw_event("/local/domain/6/device|dev"));
    assert_null(xs_domain_find(&core, 6));
    assert_int_equal(rd(d0, 0, "/local/domain/6/device"), ENOENT);
    assert_int_equal(rd(d0, 0, "/local/domain/6/keep"), 0);
    assert_int_equal(core.store.acct[6].nodes, 0);
    assert_int_equal(fx.bound[6], 0);
    assert_int_equal(call1(d0, XS_IS_DOMAIN_INTRODUCED, 0, "6"), 0);
    assert_string_equal(last.data, "F");
    /* RELEASE of an unknown domain. */
    assert_int_equal(call1(d0, XS_RELEASE, 0, "6"), ENOENT);
    assert_int_equal(call1(d0, XS_RELEASE, 0, "0"), EINVAL);
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

static void test_special_watch_perms(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(7);
    struct xs_conn *d8 = mconn(8, false);
    struct msg m;

    new_guest(9);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "7\0" "1\0" "9", 6), 0);
    assert_true(guest_send(g, XS_WATCH, 1, 0, "@introduceDomain\0t", 19));
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.type, XS_WATCH);
    assert_true(guest_recv(g, &m));             /* initial event */
    assert_int_equal(m.type, XS_WATCH_EVENT);
    assert_int_equal(call2(d8, XS_WATCH, 0, "@introduceDomain", "t8"), 0);
    drain_events(d8);
    nevents = 0;
    /* Only dom0 may change the special permissions. */
    assert_int_equal(call2(d8, XS_SET_PERMS, 0, "@introduceDomain", "r8"),
                     EACCES);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "@introduceDomain\0n0\0r7",
                          23), 0);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "9\0" "1\0" "9", 6), 0);
    assert_true(guest_recv(g, &m));
    assert_int_equal(m.type, XS_WATCH_EVENT);
    assert_string_equal(m.data, "@introduceDomain");
    drain_events(d8);
    assert_int_equal(nevents, 0);              /* dom8 not allowed */
}

/* ---- Hostile clients (issue 12, items 11-14) ---------------------------- */

static size_t heap_used(void)
{
    return mallinfo2().uordblks;
}

/* A domain whose home /local/domain/<id> it owns. */
static struct xs_conn *home(struct xs_conn *d0, unsigned int id)
{
    char path[40], perm[8];

    snprintf(path, sizeof(path), "/local/domain/%u", id);
    snprintf(perm, sizeof(perm), "n%u", id);
    assert_int_equal(call1(d0, XS_MKDIR, 0, path), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, path, perm), 0);
    return mconn(id, false);
}

static unsigned int count_event(const char *path_token)
{
    unsigned int i, n = 0;

    for ( i = 0; i < nevents; i++ )
        n += !strcmp(events[i], path_token);
    return n;
}

/* Item 11: 20k writes to one node inside one transaction: the events
 * merge per node, the heap does not grow with the writes, and what the
 * transaction holds is charged to the domain. */
static void test_hostile_txn_event_flood(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *w = mconn(0, true);
    struct xs_conn *d5 = home(d0, 5);
    size_t before, mem0, mem1;
    unsigned int i;
    uint32_t t;

    assert_int_equal(call2(w, XS_WATCH, 0, "/local/domain/5", "tok"), 0);
    drain_events(w);
    nevents = 0;
    mem0 = xs_domain_memory(&core, 5);
    t = txstart(d5);
    assert_int_equal(wr(d5, t, "k", "first"), 0);
    before = heap_used();
    for ( i = 0; i < 20000; i++ )
        assert_int_equal(wr(d5, t, "k", "x"), 0);
    /* Today: one queued event per write, ~2 MB. */
    assert_true(heap_used() < before + 64 * 1024);
    mem1 = xs_domain_memory(&core, 5);
    assert_true(mem1 > mem0);             /* the transaction is charged */
    assert_int_equal(call1(d5, XS_TRANSACTION_END, t, "T"), 0);
    drain_events(w);
    assert_int_equal(count_event("/local/domain/5/k|tok"), 1);
    /* Committed: only the node is charged now. */
    assert_int_equal(xs_domain_memory(&core, 5), core.store.acct[5].bytes);
    /* An aborted transaction gives back everything it was charged. */
    t = txstart(d5);
    for ( i = 0; i < 50; i++ )
        assert_int_equal(wr(d5, t, "k", "y"), 0);
    assert_int_equal(call1(d5, XS_TRANSACTION_END, t, "F"), 0);
    assert_int_equal(xs_domain_memory(&core, 5), core.store.acct[5].bytes);
}

/* Item 12: parallel transactions may not together pass the node quota,
 * and the node copies a transaction holds count against memory. */
static void test_hostile_parallel_txns(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d5 = home(d0, 5);
    char path[64], val[1500];
    uint32_t t[10];
    unsigned int i, j, ok = 0;
    int rc;

    core.quota.nodes = 100;
    for ( i = 0; i < 5; i++ )
    {
        snprintf(path, sizeof(path), "t%u", i);
        assert_int_equal(call1(d5, XS_MKDIR, 0, path), 0);
    }
    for ( i = 0; i < 5; i++ )
    {
        t[i] = txstart(d5);
        for ( j = 0; j < 60; j++ )
        {
            snprintf(path, sizeof(path), "t%u/n%u", i, j);
            assert_int_equal(call1(d5, XS_MKDIR, t[i], path), 0);
        }
    }
    for ( i = 0; i < 5; i++ )
    {
        rc = call1(d5, XS_TRANSACTION_END, t[i], "T");
        assert_true(rc == 0 || rc == ENOSPC);
        ok += rc == 0;
    }
    assert_int_equal(ok, 1);
    assert_true(core.store.acct[5].nodes <= 100);

    /* Copies: 10 transactions each reading 40 nodes of 1.5 KB. */
    core.quota.memory_hard = 60000;
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    for ( j = 0; j < 40; j++ )
    {
        snprintf(path, sizeof(path), "/shared/n%u", j);
        assert_int_equal(wr(d0, 0, path, val), 0);
        assert_int_equal(call2(d0, XS_SET_PERMS, 0, path, "r0"), 0);
    }
    for ( i = 0, rc = 0; i < 10 && !rc; i++ )
    {
        t[i] = txstart(d5);
        for ( j = 0; j < 40 && !rc; j++ )
        {
            snprintf(path, sizeof(path), "/shared/n%u", j);
            rc = rd(d5, t[i], path);
        }
    }
    assert_int_equal(rc, ENOMEM);
    assert_true(xs_domain_memory(&core, 5) <= 60000 + 2048);
}

/* Item 13: a guest with 128 watches that never reads its ring must not
 * make other domains' writes expensive. */
static void test_hostile_slow_reader(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(7);
    struct xs_conn *d8 = home(d0, 8);
    char tok[16], path[40];
    unsigned int i;
    uint64_t probes;
    struct msg m;

    core.quota.memory_hard = 200 * 1024;
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "7\0" "1\0" "9", 6), 0);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "/local/domain/8\0n8\0r7", 22),
                     0);
    /* Set-up: the guest reads its replies while it sets its watches. */
    core.quota.outstanding = 0;
    for ( i = 0; i < 128; i++ )
    {
        char buf[64];
        int l = snprintf(buf, sizeof(buf), "/local/domain/8") + 1;

        snprintf(tok, sizeof(tok), "t%u", i);
        l += snprintf(buf + l, sizeof(buf) - l, "%s", tok) + 1;
        assert_true(guest_send(g, XS_WATCH, i, 0, buf, l));
    }
    while ( guest_recv(g, &m) )
        ;
    core.quota.outstanding = 20;
    /* From now on it reads nothing.  Fill the reader's queue up to its memory quota. */
    for ( i = 0; i < 100; i++ )
    {
        snprintf(path, sizeof(path), "a%u", i);
        assert_int_equal(wr(d8, 0, path, "1"), 0);
    }
    assert_true(core.stats.events_dropped > 0);
    assert_true(xs_domain_memory(&core, 7) <= core.quota.memory_hard + 4096);
    /* Now every write by dom8 meets a full queue. */
    probes = core.stats.event_probes;
    for ( i = 0; i < 200; i++ )
    {
        snprintf(path, sizeof(path), "b%u", i);
        assert_int_equal(wr(d8, 0, path, "1"), 0);
    }
    /* Today ~4000 queued messages are scanned per event: 10^8 probes. */
    assert_true(core.stats.event_probes - probes <= 200 * 128 * 2);
}

/* Item 14: removing a deep path must not need stack per level. */
static void test_hostile_deep_rm(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    char path[XENSTORE_ABS_PATH_MAX + 1];
    struct rlimit rl = { 256 * 1024, 256 * 1024 };
    size_t len = 0;
    int st;
    pid_t pid;

    len = snprintf(path, sizeof(path), "/local/domain/1/deep");
    while ( len + 2 < 2060 )
    {
        path[len++] = '/';
        path[len++] = 'a';
    }
    path[len] = '\0';
    assert_int_equal(call1(d0, XS_MKDIR, 0, path), 0);
    assert_true(core.store.nodes.count > 1000);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if ( pid == 0 )
    {
        /* 256 KiB of stack for the removal of 1000 levels. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        setrlimit(RLIMIT_STACK, &rl);
        if ( call1(d0, XS_RM, 0, "/local/domain/1/deep") )
            _exit(1);
        if ( rd(d0, 0, "/local/domain/1/deep/a") != ENOENT )
            _exit(2);
        if ( call1(d0, XS_CONTROL, 0, "check") )
            _exit(3);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* And here, with the normal stack, too. */
    assert_int_equal(call1(d0, XS_RM, 0, "/local/domain/1/deep"), 0);
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

/* Item 14: a domain id released and reused inherits nothing. */
static void test_hostile_released_perms(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g9 = new_guest(9);
    struct xs_conn *d6;
    struct msg m;
    uint32_t t;

    new_guest(6);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "6\0" "1\0" "9", 6), 0);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "9\0" "1\0" "9", 6), 0);
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain"), 0);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "/local\0r0", 10), 0);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "/local/domain\0r0", 17), 0);
    assert_int_equal(wr(d0, 0, "/secret/a", "x"), 0);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "/secret/a\0n0\0b6\0r3", 19),
                     0);
    assert_int_equal(wr(d0, 0, "/secret/b", "y"), 0);
    /* A transaction open across the release grants 6 too. */
    t = txstart(d0);
    assert_int_equal(call(d0, XS_SET_PERMS, t, "/secret/b\0n0\0r6", 16), 0);
    /* dom9 is dom6's device model. */
    assert_int_equal(call2(d0, XS_SET_TARGET, 0, "9", "6"), 0);

    fx.exists[6] = false;
    xs_domain_check_all(&core);
    xs_core_reap(&core);
    assert_int_equal(call1(d0, XS_TRANSACTION_END, t, "T"), 0);

    /* A new domain 6. */
    fx.exists[6] = true;
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "6\0" "1\0" "9", 6), 0);
    d6 = mconn(6, false);
    assert_int_equal(rd(d6, 0, "/secret/a"), EACCES);
    assert_int_equal(rd(d6, 0, "/secret/b"), EACCES);
    assert_int_equal(call1(d0, XS_GET_PERMS, 0, "/secret/a"), 0);
    assert_int_equal(last.len, 6);
    assert_memory_equal(last.data, "n0\0r3\0", 6);
    /* dom9's target went with the old domain 6. */
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/6"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/6", "n6"), 0);
    assert_true(guest_send(g9, XS_READ, 1, 0, "/local/domain/6", 16));
    assert_true(guest_recv(g9, &m));
    assert_int_equal(m.type, XS_ERROR);
    assert_string_equal(m.data, "EACCES");
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

/* Item 14: what releasing a domain does to the nodes it owns, as Xen
 * 4.17's xenstored without -K: each node it owns goes with its whole
 * subtree, other domains' nodes below included (their owners' counts
 * drop); nodes above it stay. */
static void test_release_owned_subtrees(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d8;

    new_guest(6);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "6\0" "1\0" "9", 6), 0);
    d8 = home(d0, 8);
    assert_int_equal(call1(d0, XS_MKDIR, 0, "/shared"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/shared", "b0"), 0);
    /* dom6 makes a node, grants dom8 write, dom8 writes below it. */
    assert_int_equal(wr(d0, 0, "/shared/six", ""), 0);
    assert_int_equal(call(d0, XS_SET_PERMS, 0, "/shared/six\0n6\0b8", 18),
                     0);
    assert_int_equal(wr(d8, 0, "/shared/six/eight", "8"), 0);
    assert_int_equal(wr(d8, 0, "/shared/mine", "8"), 0);
    assert_int_equal(core.store.acct[8].nodes, 3);
    assert_int_equal(call1(d0, XS_RELEASE, 0, "6"), 0);
    xs_core_reap(&core);
    assert_int_equal(rd(d0, 0, "/shared/six"), ENOENT);
    assert_int_equal(rd(d0, 0, "/shared/six/eight"), ENOENT);
    assert_int_equal(rd(d0, 0, "/shared/mine"), 0);
    assert_int_equal(rd(d0, 0, "/shared"), 0);
    assert_int_equal(core.store.acct[8].nodes, 2);
    assert_int_equal(core.store.acct[6].nodes, 0);
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

/* Item 14: the node hash is keyed: paths chosen to collide under the
 * public FNV-1a function spread over the buckets. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    while ( *s )
    {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h;
}

static void test_hostile_hash_collisions(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    char path[64];
    unsigned int i = 0, found = 0, longest = 0, len;
    uint32_t want = fnv1a("/c/0") & 0x3fff;
    size_t b;
    struct xs_hent *e;

    while ( found < 400 )
    {
        snprintf(path, sizeof(path), "/c/%u", i++);
        if ( (fnv1a(path) & 0x3fff) != want )
            continue;
        assert_int_equal(call1(d0, XS_MKDIR, 0, path), 0);
        found++;
    }
    for ( b = 0; b < core.store.nodes.nb; b++ )
    {
        for ( len = 0, e = core.store.nodes.b[b]; e; e = e->next )
            len++;
        if ( len > longest )
            longest = len;
    }
    assert_true(longest < 32);
}

/* XSA-425 class: RELEASE, then INTRODUCE again (a soft reset). */
static void test_release_reintroduce(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xenstore_domain_interface *g = new_guest(6);
    struct msg m;

    assert_int_equal(call(d0, XS_INTRODUCE, 0, "6\0" "1\0" "9", 6), 0);
    assert_true(guest_send(g, XS_WATCH, 1, 0, "/local\0t", 9));
    assert_true(guest_send(g, XS_TRANSACTION_START, 2, 0, "", 1));
    assert_int_equal(call1(d0, XS_RELEASE, 0, "6"), 0);
    assert_int_equal(call(d0, XS_INTRODUCE, 0, "6\0" "1\0" "9", 6), 0);
    xs_core_reap(&core);
    assert_true(guest_send(g, XS_GET_DOMAIN_PATH, 3, 0, "6", 2));
    assert_true(guest_recv(g, &m));
    assert_string_equal(m.data, "/local/domain/6");
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

/* RESET_WATCHES inside a transaction (CVE-2026-23557 class). */
static void test_reset_watches_in_txn(void **state)
{
    struct xs_conn *d5 = mconn(5, false);
    uint32_t t = txstart(d5);

    assert_int_equal(call2(d5, XS_WATCH, 0, "/x", "t"), 0);
    assert_int_equal(call(d5, XS_RESET_WATCHES, t, "", 1), 0);
    assert_int_equal(call1(d5, XS_TRANSACTION_END, t, "T"), ENOENT);
    assert_int_equal(d5->ntxns, 0);
    assert_int_equal(d5->nwatches, 0);
}

/* ---- Advisory sweep (docs/security.md, "Advisory sweep") -------------- */

/* True if a message queued for c carries more than the maximum payload. */
static bool out_oversized(struct xs_conn *c)
{
    struct mem *m = c->tp_priv;
    size_t off = m->out_off;
    struct xsd_sockmsg h;

    xs_conn_output(c);
    while ( m->out_len - off >= sizeof(h) )
    {
        memcpy(&h, m->out + off, sizeof(h));
        if ( h.len > XENSTORE_PAYLOAD_MAX )
            return true;
        off += sizeof(h) + h.len;
    }
    return false;
}

/*
 * XSA-324: a watch with a token near the payload limit, fired by a long
 * path, would make an event larger than any message may be.  As Xen's
 * fix: the event is dropped, nothing oversized reaches the ring, and the
 * watcher and the store go on.
 */
static void test_xsa324_big_token_event(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *w = mconn(0, true);
    static char tok[4000], path[1100];

    memset(tok, 't', sizeof(tok) - 1);
    memcpy(path, "/w/", 3);
    memset(path + 3, 'p', sizeof(path) - 4);
    assert_int_equal(call2(w, XS_WATCH, 0, "/w", tok), 0);
    drain_events(w);
    assert_int_equal(nevents, 1);                /* the set-up event fits */
    nevents = 0;
    assert_int_equal(wr(d0, 0, path, "1"), 0);
    assert_false(out_oversized(w));
    drain_events(w);
    assert_int_equal(nevents, 0);
    assert_int_equal(wr(d0, 0, "/w/b", "1"), 0);
    assert_false(out_oversized(w));
    drain_events(w);
    assert_int_equal(nevents, 1);                /* 4005 bytes: delivered */
    assert_int_equal(rd(w, 0, "/w/b"), 0);
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

/*
 * XSA-481: "/local/domain/" (and other paths ending in '/') must be
 * refused with EINVAL; Xen's canonicalize() could return NULL with errno
 * 0 for it and trip an assertion.
 */
static void test_xsa481_trailing_slash_paths(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d5 = mconn(5, false);
    static const char *const bad[] = {
        "/local/domain/", "/local/domain/5/", "/local/domain//5",
        "/local/", "device/",
    };
    unsigned int i;

    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/5"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5"), 0);
    for ( i = 0; i < sizeof(bad) / sizeof(bad[0]); i++ )
    {
        assert_int_equal(rd(d5, 0, bad[i]), EINVAL);
        assert_int_equal(wr(d5, 0, bad[i], "x"), EINVAL);
        assert_int_equal(call1(d5, XS_MKDIR, 0, bad[i]), EINVAL);
        assert_int_equal(call1(d5, XS_GET_PERMS, 0, bad[i]), EINVAL);
        assert_int_equal(call2(d5, XS_WATCH, 0, bad[i], "t"), EINVAL);
        assert_int_equal(rd(d0, 0, bad[i]), EINVAL);
    }
    assert_int_equal(wr(d5, 0, "device", "ok"), 0);
    assert_int_equal(rd(d5, 0, "device"), 0);
    assert_string_equal(last.data, "ok");
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

/*
 * XSA-414/415: a write that must create several missing parents and hits
 * the node quota half-way leaves nothing behind, inside a transaction or
 * not: no node, no accounting, no orphan after the commit.
 */
static void test_xsa415_failed_create_undone(void **state)
{
    struct xs_conn *d0 = mconn(0, true);
    struct xs_conn *d5 = mconn(5, false);
    unsigned int before;
    uint32_t t;
    int rc;

    assert_int_equal(call1(d0, XS_MKDIR, 0, "/local/domain/5"), 0);
    assert_int_equal(call2(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5"), 0);
    assert_int_equal(wr(d5, 0, "have", "1"), 0);
    before = core.store.acct[5].nodes;
    core.quota.nodes = before + 3;
    assert_int_equal(wr(d5, 0, "a/b/c/d/e/f", "1"), ENOSPC);
    assert_int_equal(rd(d5, 0, "a"), ENOENT);
    assert_int_equal(core.store.acct[5].nodes, before);

    t = txstart(d5);
    assert_int_equal(wr(d5, t, "x/y/z/q/r/s", "1"), ENOSPC);
    assert_int_equal(wr(d5, t, "have", "2"), 0);
    rc = call1(d5, XS_TRANSACTION_END, t, "T");
    assert_true(rc == 0 || rc == EAGAIN || rc == ENOSPC);
    assert_int_equal(rd(d5, 0, "x"), ENOENT);
    assert_int_equal(rd(d0, 0, "/local/domain/5/x/y"), ENOENT);
    assert_int_equal(core.store.acct[5].nodes, before);
    assert_int_equal(call1(d0, XS_CONTROL, 0, "check"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_and_rm, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_directory_part, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_conflict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quotas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_quota, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_message, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_split_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_backpressure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_introduce_and_talk,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_bad_guest, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_ring_outstanding_quota,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_domain_lifecycle, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_special_watch_perms, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_txn_event_flood, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_parallel_txns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_slow_reader, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_deep_rm, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_released_perms,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_release_owned_subtrees,
                                        ring_setup, ring_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_hash_collisions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_release_reintroduce, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_reset_watches_in_txn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_rate_limit, ring_setup,
                                        ring_teardown),
        cmocka_unit_test_setup_teardown(test_xsa324_big_token_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_xsa481_trailing_slash_paths,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_xsa415_failed_create_undone,
                                        setup, teardown),
    };

    return cmocka_run_group_tests_name("xenstore", tests, NULL, NULL);
}
