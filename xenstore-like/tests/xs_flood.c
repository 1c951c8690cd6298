/*
 * xs_flood.c: what a hostile guest held at its quotas costs another guest.
 *
 * Usage: xs_flood SECONDS [shared]
 *
 * The store core runs in this process with in-memory ring pages and a
 * fake Xen backend (as in test_xs.c), so the guests are real unprivileged
 * ring connections and every quota applies; the daemon's poll loop is
 * xs_domain_service(), which serves every ring once per turn.
 *
 * - victim (dom8): WRITE then READ of its own nodes, one request at a
 *   time, reading each reply; its requests per second are measured.
 * - slow reader (dom7): 128 watches on the victim's directory, then
 *   never reads its ring again.  By default it may not read that
 *   directory (as with the toolstack's n<domid>), so every victim write
 *   costs one permission check for it; with "shared" the victim lets it
 *   read, so every victim write queues (or, at its memory quota, drops)
 *   128 events: the fan-out any 128 watches cost, in Xen too.
 * - writer (dom9): owns 1000 nodes (the quota) and 10 open transactions
 *   (the quota); it reads its replies and keeps its ring full of writes
 *   that fail ENOSPC, plus writes inside its transactions.
 *
 * Prints "alone flooded percent": the victim's op rate alone, beside the
 * flood, and the second as a percentage of the first.  No assertion: the
 * goal (>= 90%) is reported by bench.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xenstored.h"

static struct xs_core core;
static struct xenstore_domain_interface *page[16];

static void *fx_map(void *p, unsigned int domid, uint64_t gfn)
{
    return domid < 16 ? page[domid] : NULL;
}
static void fx_unmap(void *p, unsigned int domid, void *ring) { }
static int fx_bind(void *p, unsigned int domid, unsigned int rport)
{
    return 100 + domid;
}
static void fx_unbind(void *p, unsigned int lport) { }
static void fx_notify(void *p, unsigned int lport) { }
static int fx_dominfo(void *p, unsigned int domid, struct xs_dominfo *info)
{
    info->domid = domid;
    info->dying = info->shutdown = false;
    return 0;
}
static const struct xs_xen_ops fx_ops = {
    .map_ring = fx_map, .unmap_ring = fx_unmap, .bind = fx_bind,
    .unbind = fx_unbind, .notify = fx_notify, .dominfo = fx_dominfo,
};

/* ---- Guest side ------------------------------------------------------ */

struct guest
{
    struct xenstore_domain_interface *r;
    char in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    unsigned int got;
};

/* Writes a whole message if the ring has room for it; false if not. */
static bool put(struct guest *g, uint32_t type, uint32_t tx,
                const void *data, uint32_t len)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg h = { type, 1, tx, len };
    XENSTORE_RING_IDX used = g->r->req_prod - g->r->req_cons;

    if ( XENSTORE_RING_SIZE - used < sizeof(h) + len )
        return false;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), data, len);
    return xs_ring_client_write(g->r, buf, sizeof(h) + len) ==
           (int)(sizeof(h) + len);
}

/* Reads one whole message if there is one; its type, or -1. */
static int take(struct guest *g)
{
    struct xsd_sockmsg h;
    int n;

    for ( ;; )
    {
        unsigned int want = sizeof(h);

        if ( g->got >= sizeof(h) )
        {
            memcpy(&h, g->in, sizeof(h));
            want += h.len;
            if ( g->got == want )
            {
                g->got = 0;
                return h.type;
            }
        }
        n = xs_ring_client_read(g->r, g->in + g->got, want - g->got);
        if ( n <= 0 )
            return -1;
        g->got += n;
    }
}

/* One request and its reply (events on the way are skipped). */
static double now(void);

static int call(struct guest *g, uint32_t type, uint32_t tx,
                const void *data, uint32_t len)
{
    int t, spins = 0;
    double t0 = now();

    while ( !put(g, type, tx, data, len) )
    {
        xs_domain_service(&core);
        while ( take(g) >= 0 )
            ;
    }
    for ( ;; )
    {
        xs_domain_service(&core);
        while ( (t = take(g)) >= 0 )
            if ( t != XS_WATCH_EVENT )
                return t;
        /* A request may wait for the write-rate limit (5 ms a write). */
        if ( ++spins > 1000 && spins % 1000 == 0 && now() - t0 > 2.0 )
            return -1;
    }
}

static int call_str(struct guest *g, uint32_t type, uint32_t tx,
                    const char *a, const char *b)
{
    char buf[256];
    size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;

    memcpy(buf, a, la);
    if ( b )
        memcpy(buf + la, b, lb);
    return call(g, type, tx, buf, la + lb);
}

static struct guest *new_guest(unsigned int domid)
{
    struct guest *g = calloc(1, sizeof(*g));

    page[domid] = calloc(1, 4096);
    g->r = page[domid];
    if ( xs_domain_introduce(&core, domid, 1, 9) )
    {
        fprintf(stderr, "xs_flood: introduce %u failed\n", domid);
        exit(1);
    }
    return g;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- The flood ---------------------------------------------------------- */

static struct guest *victim, *slow, *writer;
static uint32_t wtx[10];
static unsigned int wseq;

static void flood_turn(void)
{
    char buf[64];
    int l;

    /* Keep the writer's ring full of requests that hit its quotas (the
     * guest's own work, on its own vCPU: not formatted when the ring has
     * no room, so that the harness does not charge it to the daemon). */
    for ( ;; )
    {
        if ( XENSTORE_RING_SIZE -
             (writer->r->req_prod - writer->r->req_cons) < 64 )
            break;
        unsigned int i = wseq++;

        l = snprintf(buf, sizeof(buf), "over/%u", i) + 1;
        buf[l++] = 'x';
        if ( !put(writer, XS_WRITE, (i & 1) ? wtx[i % 10] : 0, buf, l) )
            break;
    }
    while ( take(writer) >= 0 )
        ;
}

#define VICTIM_WRITE_MS 10

static double victim_rate(double secs, bool flood)
{
    double t0 = now(), t = t0, t_next_write = t0;
    unsigned long ops = 0;
    unsigned int writes = 0;
    char path[32];
    bool wr, wr_next;

    do
    {
        unsigned int i;

        for ( i = 0; i < 64; i++, ops++ )
        {
            if ( flood && !getenv("FLOOD_NO_WRITER") )
                flood_turn();
            wr_next = t_next_write <= t;
            snprintf(path, sizeof(path), "v%u", wr_next ? writes % 64 : 0);
            /* Reads, and a write every VICTIM_WRITE_MS (100 writes/s,
             * within the write-rate budget), each fanning out to the slow
             * reader's watches. */
            wr = wr_next;
            if ( wr )
            {
                t_next_write = t + VICTIM_WRITE_MS / 1000.0;
                writes++;
            }
            if ( wr ? call_str(victim, XS_WRITE, 0, path, "value") != XS_WRITE
                    : call_str(victim, XS_READ, 0, path, NULL) != XS_READ )
            {
                fprintf(stderr, "xs_flood: victim request failed\n");
                exit(1);
            }
        }
        t = now();
    } while ( t - t0 < secs );
    return ops / (t - t0);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0, alone, flooded;
    unsigned int wrl_rate;
    bool shared = argc > 2 && !strcmp(argv[2], "shared");
    char buf[64];
    unsigned int i;

    if ( xs_core_init(&core, NULL) )
        return 1;
    core.xen = &fx_ops;
    core.log_level = XS_LOG_ERROR;
    if ( getenv("FLOOD_NO_WRL") )
        core.quota.wrl_rate = 0;
    victim = new_guest(8);
    slow = new_guest(7);
    writer = new_guest(9);
    /* What the toolstack would have built: /local/domain/<id> owned by
     * each guest, the victim's readable by the slow reader. */
    {
        static const struct { const char *leaf, *perms; unsigned int np; }
        homes[] = { { "7", "n7", 1 }, { "8", "n8\0r7", 2 }, { "9", "n9", 1 } };
        unsigned int np;
        struct xs_view v = { .st = &core.store };
        struct xs_perm p[2] = { { 0, XS_PERM_READ } };
        const struct xs_node *root;
        struct xs_node *n;

        n = xs_node_new("/local", NULL, 0, p, 1);
        xs_node_add_child(n, "domain");
        xs_view_put(&v, n);
        n = xs_node_new("/local/domain", NULL, 0, p, 1);
        for ( i = 0; i < 3; i++ )
            xs_node_add_child(n, homes[i].leaf);
        xs_view_put(&v, n);
        xs_view_get(&v, "/", &root);
        n = xs_node_dup(root);
        xs_node_add_child(n, "local");
        xs_view_put(&v, n);
        for ( i = 0; i < 3; i++ )
        {
            snprintf(buf, sizeof(buf), "/local/domain/%s", homes[i].leaf);
            np = (i == 1 && !shared) ? 1 : homes[i].np;
            xs_perms_parse(homes[i].perms, np, p);
            xs_view_put(&v, xs_node_new(buf, NULL, 0, p, np));
        }
    }

    /* Its first write, before it is measured. */
    call_str(victim, XS_WRITE, 0, "v0", "value");
    alone = victim_rate(secs, false);

    /* Setting the stage is not part of the flood: no write-rate limit
     * while the writer fills its quotas (FLOOD_NO_WRL: none at all). */
    wrl_rate = core.quota.wrl_rate;
    core.quota.wrl_rate = 0;

    /* The slow reader: 128 watches on the victim's home, then silence. */
    for ( i = 0; i < 128; i++ )
    {
        int l = snprintf(buf, sizeof(buf), "/local/domain/8") + 1;

        l += snprintf(buf + l, sizeof(buf) - l, "w%u", i) + 1;
        if ( call(slow, XS_WATCH, 0, buf, l) != XS_WATCH )
            return fprintf(stderr, "xs_flood: watch failed\n"), 1;
    }
    /* The writer: its node quota full, its transactions all open. */
    for ( i = 0; ; i++ )
    {
        int t;

        snprintf(buf, sizeof(buf), "d%u/n%u", i / 100, i % 100);
        t = call_str(writer, XS_MKDIR, 0, buf, NULL);

        if ( t != XS_MKDIR )
        {
            if ( getenv("FLOOD_DEBUG") )
                fprintf(stderr, "mkdir %u -> %d %s\n", i, t,
                        writer->in + sizeof(struct xsd_sockmsg));
            break;
        }
    }
    for ( i = 0; i < 10; i++ )
    {
        call(writer, XS_TRANSACTION_START, 0, "", 1);
        wtx[i] = strtoul(writer->in + sizeof(struct xsd_sockmsg), NULL, 10);
    }

    if ( !getenv("FLOOD_NO_WRL") )
        core.quota.wrl_rate = wrl_rate;
    flooded = victim_rate(secs, true);
    printf("%.0f %.0f %.0f\n", alone, flooded, 100.0 * flooded / alone);
    fprintf(stderr, "xs_flood: writer owns %u nodes; slow reader holds %zu "
            "bytes (quota %u); events dropped %llu\n",
            core.store.acct[9].nodes, xs_domain_memory(&core, 7),
            core.quota.memory_hard,
            (unsigned long long)core.stats.events_dropped);
    xs_core_fini(&core);
    return 0;
}
