/*
 * xs_fuzz.c: libFuzzer target for the message parser and handlers.
 *
 * The input is a byte stream fed to a fresh store exactly as a client's
 * bytes would arrive: the first byte picks the client (a privileged
 * socket-like stream, an unprivileged domain's stream, or a domain's
 * shared ring page behind a fake Xen backend) and the chunking; the rest
 * is the stream.  After it, the tree's invariants are checked and the
 * store is torn down, so ASan/LSan see every leak and stray access.
 */
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

struct sink
{
    const uint8_t *in;
    size_t len, off, chunk;
};

static int f_read(struct xs_conn *c, void *buf, unsigned int len, int *err)
{
    struct sink *s = c->tp_priv;
    size_t n = s->len - s->off;

    if ( n > len )
        n = len;
    if ( n > s->chunk )
        n = s->chunk;
    memcpy(buf, s->in + s->off, n);
    s->off += n;
    return n;
}

static int f_write(struct xs_conn *c, const void *buf, unsigned int len,
                   int *err)
{
    return len;                 /* the client reads everything */
}

static const struct xs_transport f_tp = { "fuzz", f_read, f_write, NULL };

static uint8_t page[4096] __attribute__((aligned(4096)));

static void *x_map(void *p, unsigned int d, uint64_t g) { return page; }
static void x_unmap(void *p, unsigned int d, void *r) { }
static int x_bind(void *p, unsigned int d, unsigned int r) { return 1; }
static void x_unbind(void *p, unsigned int l) { }
static void x_notify(void *p, unsigned int l) { }
static int x_info(void *p, unsigned int d, struct xs_dominfo *i)
{
    i->domid = d;
    i->dying = i->shutdown = false;
    return 0;
}
static const struct xs_xen_ops x_ops = {
    x_map, x_unmap, NULL, x_bind, x_unbind, x_notify, x_info,
};

static void seed_tree(struct xs_core *core)
{
    struct xs_conn *c = xs_conn_new(core, &f_tp, NULL, 0, true);
    static const char msgs[][32] = { "/local/domain/5/a", "/local/domain/5" };
    struct xsd_sockmsg h = { XS_MKDIR, 1, 0, 0 };
    unsigned int i;

    for ( i = 0; i < 2; i++ )
    {
        h.len = strlen(msgs[i]) + 1;
        xs_process(c, &h, msgs[i]);
    }
    h.type = XS_SET_PERMS;
    h.len = sizeof("/local/domain/5\0n5\0r0");
    xs_process(c, &h, "/local/domain/5\0n5\0r0");
    xs_conn_free(c);
}

static void ring_feed(struct xs_core *core, const uint8_t *d, size_t len,
                      size_t chunk)
{
    struct xenstore_domain_interface *r = (void *)page;
    char sink[XENSTORE_RING_SIZE];
    size_t off = 0;
    int n, rounds = 0;

    while ( off < len && rounds++ < 100000 )
    {
        size_t want = len - off < chunk ? len - off : chunk;

        n = xs_ring_client_write(r, d + off, want);
        if ( n < 0 )
            break;
        off += n;
        xs_domain_service(core);
        xs_ring_client_read(r, sink, sizeof(sink));
        if ( !n && !xs_ring_has_space(r) )
            break;
        if ( !n && xs_domain_find(core, 5)->conn->ignored )
            break;
    }
    xs_domain_service(core);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xs_core core;
    struct xs_conn *c;
    struct sink s;
    unsigned int mode;
    struct xsd_sockmsg h = { XS_CONTROL, 1, 0, 6 };

    if ( size < 1 )
        return 0;
    mode = data[0];
    if ( xs_core_init(&core, NULL) )
        return 0;
    core.log_level = XS_LOG_ERROR;
    seed_tree(&core);
    memset(page, 0, sizeof(page));
    s = (struct sink){ data + 1, size - 1, 0, 1 + (mode >> 2) * 37 };
    if ( (mode & 3) == 2 )
    {
        core.xen = &x_ops;
        if ( !xs_domain_introduce(&core, 5, 0, 1) )
            ring_feed(&core, data + 1, size - 1, s.chunk);
    }
    else
    {
        c = xs_conn_new(&core, &f_tp, &s, (mode & 3) ? 5 : 0, !(mode & 3));
        while ( s.off < s.len && !c->dead && !c->ignored )
        {
            size_t before = s.off;

            xs_conn_input(c);
            xs_conn_output(c);
            if ( s.off == before )
                break;
        }
    }
    xs_core_reap(&core);
    /* The tree must still be consistent. */
    c = xs_conn_new(&core, &f_tp, NULL, 0, true);
    xs_process(c, &h, "check");
    if ( c->out_head )
    {
        struct xsd_sockmsg r;

        memcpy(&r, c->out_head->data, sizeof(r));
        if ( r.type == XS_ERROR )
            abort();              /* the tree lost its consistency */
    }
    xs_core_fini(&core);
    return 0;
}
