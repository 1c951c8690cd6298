/*
 * xenia-consoled: serves the guests' PV console rings from dom0.
 *
 * For every live domain with /local/domain/N/console/{ring-ref,port} it
 * maps the ring page (a foreign mapping of the MFN in ring-ref through
 * privcmd), binds the console event channel, drains the guest's output
 * into /var/log/xenia/console/guest-NAME.log and into any attached
 * client, and feeds the clients' input into the ring.  Domains come and
 * go with the store's @introduceDomain/@releaseDomain watches; a dying
 * domain's ring is unmapped at once, so dom0 holds none of its frames.
 *
 * Clients (`xenia console`) connect to XN_CONSOLED_SOCKET and send
 * "ATTACH <domid>\n"; the reply is "OK\n" followed by the last output
 * (up to XC_HIST bytes) and then the live stream, or "ERR <message>\n".
 * "MAPPED <domid>\n" is answered "YES\n" or "NO\n": whether the daemon
 * holds that domain's ring mapped now (`xenia list` on dying domains).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xenia_ctrl.h"
#include "xenia_xs.h"
#include "consoled.h"

/* The console ring page (Xen's public io/console.h layout). */
struct xc_ring
{
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

#define XC_HIST     16384      /* output replayed to a new client        */
#define XC_CLIENTS  8          /* per domain                             */
#define XC_MAXDOMS  64

struct xc_dom
{
    int used;
    unsigned int domid;
    char name[64];
    struct xc_ring *ring;
    uint32_t lport;            /* our end of the event channel           */
    int log_fd;
    int clients[XC_CLIENTS];
    char hist[XC_HIST];
    size_t hist_len;
};

static struct xc_dom doms[XC_MAXDOMS];
static struct xn_handle *h;
static struct xs_conn *xs;
static int evfd = -1, lfd = -1;
static const char *log_dir = XN_CONSOLED_LOGDIR;
static int verbose;
static volatile sig_atomic_t stop;

static void say(const char *fmt, ...)
{
    va_list ap;

    if ( !verbose )
        return;
    va_start(ap, fmt);
    fprintf(stderr, "xenia-consoled: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void write_all(int fd, const char *p, size_t n)
{
    ssize_t w;

    while ( n > 0 )
    {
        w = write(fd, p, n);
        if ( w < 0 && errno == EINTR )
            continue;
        if ( w <= 0 )
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void hist_add(struct xc_dom *d, const char *p, size_t n)
{
    if ( n >= XC_HIST )
    {
        memcpy(d->hist, p + n - XC_HIST, XC_HIST);
        d->hist_len = XC_HIST;
        return;
    }
    if ( d->hist_len + n > XC_HIST )
    {
        size_t drop = d->hist_len + n - XC_HIST;

        memmove(d->hist, d->hist + drop, d->hist_len - drop);
        d->hist_len -= drop;
    }
    memcpy(d->hist + d->hist_len, p, n);
    d->hist_len += n;
}

static void drop_client(struct xc_dom *d, int i)
{
    close(d->clients[i]);
    d->clients[i] = -1;
}

/* Guest output -> log, history, clients; then tell the guest. */
static void drain(struct xc_dom *d)
{
    char buf[sizeof(d->ring->out)];
    uint32_t cons, prod;
    size_t n = 0;
    int i;

    cons = __atomic_load_n(&d->ring->out_cons, __ATOMIC_RELAXED);
    prod = __atomic_load_n(&d->ring->out_prod, __ATOMIC_ACQUIRE);
    if ( prod - cons > sizeof(d->ring->out) )
        cons = prod - sizeof(d->ring->out);     /* a confused guest */
    while ( cons != prod )
        buf[n++] = d->ring->out[cons++ & (sizeof(d->ring->out) - 1)];
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&d->ring->out_cons, cons, __ATOMIC_RELEASE);
    if ( n == 0 )
        return;
    xn_evtchn_notify(evfd, d->lport);
    if ( d->log_fd >= 0 )
        write_all(d->log_fd, buf, n);
    hist_add(d, buf, n);
    for ( i = 0; i < XC_CLIENTS; i++ )
        if ( d->clients[i] >= 0 )
            write_all(d->clients[i], buf, n);
}

/* Client input -> the guest's input ring (what does not fit is dropped). */
static void feed(struct xc_dom *d, const char *p, size_t n)
{
    uint32_t cons, prod;
    size_t k = 0;

    cons = __atomic_load_n(&d->ring->in_cons, __ATOMIC_ACQUIRE);
    prod = d->ring->in_prod;
    while ( k < n && prod - cons < sizeof(d->ring->in) )
        d->ring->in[prod++ & (sizeof(d->ring->in) - 1)] = p[k++];
    __atomic_store_n(&d->ring->in_prod, prod, __ATOMIC_RELEASE);
    xn_evtchn_notify(evfd, d->lport);
}

static void forget(struct xc_dom *d, const char *why)
{
    int i;

    say("domain %u (%s): %s", d->domid, d->name, why);
    if ( d->ring )
    {
        drain(d);
        xn_unmap(d->ring, 1);
    }
    xn_evtchn_unbind(evfd, d->lport);
    if ( d->log_fd >= 0 )
        close(d->log_fd);
    for ( i = 0; i < XC_CLIENTS; i++ )
        if ( d->clients[i] >= 0 )
            drop_client(d, i);
    memset(d, 0, sizeof(*d));
}

static struct xc_dom *find(unsigned int domid)
{
    int i;

    for ( i = 0; i < XC_MAXDOMS; i++ )
        if ( doms[i].used && doms[i].domid == domid )
            return &doms[i];
    return NULL;
}

static char *read_node(unsigned int domid, const char *node)
{
    char path[96];

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, node);
    return xs_read(xs, 0, path, NULL);
}

static void adopt(unsigned int domid)
{
    struct xc_dom *d = NULL;
    char *ref = read_node(domid, "console/ring-ref");
    char *port = read_node(domid, "console/port");
    char *name = read_node(domid, "name");
    char path[512];
    xen_pfn_t mfn;
    int i, rc;

    if ( !ref || !port )
        goto out;              /* not set up yet, or no console */
    for ( i = 0; i < XC_MAXDOMS && !d; i++ )
        if ( !doms[i].used )
            d = &doms[i];
    if ( !d )
        goto out;
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->log_fd = -1;
    for ( i = 0; i < XC_CLIENTS; i++ )
        d->clients[i] = -1;
    snprintf(d->name, sizeof(d->name), "%s",
             name && *name ? name : "unnamed");
    for ( i = 0; d->name[i]; i++ )
        if ( d->name[i] == '/' )
            d->name[i] = '_';
    mfn = strtoull(ref, NULL, 0);
    d->ring = xn_map_foreign(h, domid, &mfn, 1, PROT_READ | PROT_WRITE);
    if ( !d->ring )
    {
        say("domain %u: cannot map ring %#lx: %s", domid,
            (unsigned long)mfn, strerror(errno));
        goto out;
    }
    rc = xn_evtchn_bind_interdomain(evfd, domid, strtoul(port, NULL, 0));
    if ( rc < 0 )
    {
        say("domain %u: cannot bind port %s: %s", domid, port,
            strerror(-rc));
        xn_unmap(d->ring, 1);
        d->ring = NULL;
        goto out;
    }
    d->lport = rc;
    snprintf(path, sizeof(path), "%s/guest-%s.log", log_dir, d->name);
    d->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    d->used = 1;
    say("domain %u (%s): ring %#lx, port %s -> %u, log %s", domid, d->name,
        (unsigned long)mfn, port, d->lport, path);
    drain(d);
out:
    free(ref);
    free(port);
    free(name);
}

/* Adopt new domains, forget dying or vanished ones. */
static void rescan(void)
{
    struct xen_domctl_getdomaininfo info[64];
    char seen[XC_MAXDOMS] = { 0 };
    unsigned int first = 1;
    long n, i;
    int k;

    for ( ;; )
    {
        n = xn_domain_list(h, first, info, 64);
        if ( n <= 0 )
            break;
        for ( i = 0; i < n; i++ )
        {
            struct xc_dom *d = find(info[i].domain);

            if ( info[i].flags & XEN_DOMINF_dying )
                continue;
            if ( !d )
            {
                adopt(info[i].domain);
                d = find(info[i].domain);
            }
            if ( d )
                seen[d - doms] = 1;
        }
        first = info[n - 1].domain + 1;
        if ( n < 64 )
            break;
    }
    for ( k = 0; k < XC_MAXDOMS; k++ )
        if ( doms[k].used && !seen[k] )
            forget(&doms[k], "gone or dying: ring unmapped");
}

static void watch_events(void)
{
    char *buf;
    const char *path, *token;
    int any = 0;

    while ( xs_read_watch(xs, 0, &buf, &path, &token) == 0 )
    {
        free(buf);
        any = 1;
    }
    if ( any )
        rescan();
}

static void new_client(void)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), i;
    char line[64];
    ssize_t n = 0, r;
    unsigned int domid;
    struct xc_dom *d;
    struct timeval tv = { 2, 0 };

    if ( fd < 0 )
        return;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while ( n < (ssize_t)sizeof(line) - 1 )
    {
        r = read(fd, line + n, 1);
        if ( r <= 0 || line[n] == '\n' )
            break;
        n++;
    }
    line[n] = '\0';
    tv.tv_sec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* A query, for `xenia list` on dying domains: is its ring mapped? */
    if ( sscanf(line, "MAPPED %u", &domid) == 1 )
    {
        d = find(domid);
        write_all(fd, d && d->ring ? "YES\n" : "NO\n", d && d->ring ? 4 : 3);
        close(fd);
        return;
    }
    if ( sscanf(line, "ATTACH %u", &domid) != 1 )
    {
        write_all(fd, "ERR expected ATTACH <domid>\n", 28);
        close(fd);
        return;
    }
    rescan();
    d = find(domid);
    if ( !d )
    {
        dprintf(fd, "ERR domain %u has no console served here\n", domid);
        close(fd);
        return;
    }
    for ( i = 0; i < XC_CLIENTS && d->clients[i] >= 0; i++ )
        ;
    if ( i == XC_CLIENTS )
    {
        dprintf(fd, "ERR domain %u has %d clients already\n", domid,
                XC_CLIENTS);
        close(fd);
        return;
    }
    write_all(fd, "OK\n", 3);
    drain(d);
    write_all(fd, d->hist, d->hist_len);
    d->clients[i] = fd;
    say("domain %u: client attached", domid);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int setup(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dir[sizeof(sa.sun_path)];
    char *slash;

    h = xn_open();
    if ( !h )
    {
        fprintf(stderr, "xenia-consoled: /dev/xen/privcmd: %s\n",
                strerror(errno));
        return 1;
    }
    evfd = xn_evtchn_open();
    if ( evfd < 0 )
    {
        fprintf(stderr, "xenia-consoled: /dev/xen/evtchn: %s\n",
                strerror(-evfd));
        return 1;
    }
    xs = xs_open(XS_OPEN_ANY);
    if ( !xs )
    {
        fprintf(stderr, "xenia-consoled: cannot connect to the store: %s\n",
                strerror(errno));
        return 1;
    }
    if ( xs_watch(xs, "@introduceDomain", "intro") ||
         xs_watch(xs, "@releaseDomain", "release") )
    {
        fprintf(stderr, "xenia-consoled: cannot watch the store\n");
        return 1;
    }
    mkdir("/var/log/xenia", 0755);
    mkdir(log_dir, 0755);
    snprintf(dir, sizeof(dir), "%s", XN_CONSOLED_SOCKET);
    slash = strrchr(dir, '/');
    if ( slash )
    {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", XN_CONSOLED_SOCKET);
    unlink(sa.sun_path);
    if ( lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
         listen(lfd, 8) )
    {
        fprintf(stderr, "xenia-consoled: %s: %s\n", XN_CONSOLED_SOCKET,
                strerror(errno));
        return 1;
    }
    return 0;
}

int xn_consoled_main(int argc, char **argv)
{
    struct pollfd pfd[3 + XC_MAXDOMS * XC_CLIENTS];
    struct xc_dom *owner[3 + XC_MAXDOMS * XC_CLIENTS];
    int slot[3 + XC_MAXDOMS * XC_CLIENTS];
    int opt, foreground = 0, np, i, k, port;
    const char *pidfile = NULL;
    char buf[512];
    ssize_t n;

    optind = 1;
    while ( (opt = getopt(argc, argv, "fvp:l:")) != -1 )
    {
        switch ( opt )
        {
        case 'f': foreground = 1; break;
        case 'v': verbose = 1; break;
        case 'p': pidfile = optarg; break;
        case 'l': log_dir = optarg; break;
        default:
            fprintf(stderr, "usage: xenia-consoled [-f] [-v] [-p PIDFILE] "
                    "[-l LOGDIR]\n");
            return 2;
        }
    }
    if ( setup() )
        return 1;
    if ( !foreground && daemon(0, 1) )
        return 1;
    if ( pidfile )
    {
        FILE *f = fopen(pidfile, "w");

        if ( f )
        {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rescan();
    while ( !stop )
    {
        np = 0;
        pfd[np].fd = xs_fileno(xs); pfd[np++].events = POLLIN;
        pfd[np].fd = evfd; pfd[np++].events = POLLIN;
        pfd[np].fd = lfd; pfd[np++].events = POLLIN;
        for ( i = 0; i < XC_MAXDOMS; i++ )
            for ( k = 0; doms[i].used && k < XC_CLIENTS; k++ )
                if ( doms[i].clients[k] >= 0 )
                {
                    owner[np] = &doms[i];
                    slot[np] = k;
                    pfd[np].fd = doms[i].clients[k];
                    pfd[np++].events = POLLIN;
                }
        /* A second's timeout: rings are drained even if a kick is lost. */
        k = poll(pfd, np, 1000);
        if ( k < 0 && errno != EINTR )
            break;
        if ( k == 0 )
            rescan();          /* in case a store misses a watch */
        watch_events();
        if ( pfd[0].revents & (POLLERR | POLLHUP) )
        {
            fprintf(stderr, "xenia-consoled: lost the store\n");
            break;
        }
        if ( pfd[1].revents & POLLIN )
            while ( (port = xn_evtchn_pending(evfd)) >= 0 )
            {
                xn_evtchn_unmask(evfd, port);
                for ( i = 0; i < XC_MAXDOMS; i++ )
                    if ( doms[i].used && doms[i].lport == (uint32_t)port )
                        drain(&doms[i]);
                if ( poll(&pfd[1], 1, 0) <= 0 )
                    break;
            }
        for ( i = 3; i < np; i++ )
        {
            if ( !pfd[i].revents || !owner[i]->used ||
                 owner[i]->clients[slot[i]] != pfd[i].fd )
                continue;
            n = read(pfd[i].fd, buf, sizeof(buf));
            if ( n <= 0 )
                drop_client(owner[i], slot[i]);
            else
                feed(owner[i], buf, (size_t)n);
        }
        if ( pfd[2].revents & POLLIN )
            new_client();
        for ( i = 0; i < XC_MAXDOMS; i++ )
            if ( doms[i].used )
                drain(&doms[i]);
    }
    for ( i = 0; i < XC_MAXDOMS; i++ )
        if ( doms[i].used )
            forget(&doms[i], "daemon stopping");
    unlink(XN_CONSOLED_SOCKET);
    return 0;
}
