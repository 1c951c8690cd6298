/*
 * xenia-stored.c: the daemon: options, start-up and the poll loop.
 *
 * Options are those of Xen's C xenstored where one exists.  Start-up
 * order matters: the daemon forks first (grant mappings are not inherited
 * by children) and the parent exits only when the child reports that it
 * is serving, with the child's status.  Then the socket is listened on,
 * the Xen devices are opened and dom0's own kernel is connected through
 * /proc/xen/xsd_kva, unless -D.  SIGTERM and SIGINT end the loop cleanly;
 * SIGHUP reopens the trace file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "xenstored.h"

#define DEFAULT_SOCKET "/run/xenstored/socket"

struct options
{
    bool fork;
    bool domain_init;
    bool output_pid;
    const char *pid_file;
    const char *trace_file;
    const char *socket;
    unsigned int master_domid;
    struct xs_quota quota;
    enum xs_log_level log_level;
};

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t reopen_trace;

static void usage(FILE *f)
{
    fprintf(f,
"Usage: xenia-stored [options]\n"
"  -N, --no-fork             stay in the foreground\n"
"  -F, --pid-file FILE       write the daemon's pid to FILE\n"
"  -P, --output-pid          print the daemon's pid on stdout\n"
"  -D, --no-domain-init      do not open Xen's devices nor connect dom0\n"
"  -T, --trace-file FILE     trace every message to FILE\n"
"      --socket PATH         socket path (default $XENSTORED_PATH or\n"
"                            " DEFAULT_SOCKET ")\n"
"  -E, --entry-nb N          nodes per domain (1000)\n"
"  -S, --entry-size N        bytes per node (2048)\n"
"  -W, --watch-nb N          watches per domain (128)\n"
"  -t, --transaction N       open transactions per domain (10)\n"
"  -A, --perm-nb N           permission entries per node (5)\n"
"  -M, --path-max N          path length below the domain path (2048)\n"
"  -Q, --quota WHAT=N        outstanding (20), transaction-nodes (1024),\n"
"                            memory (2621440), write-rate (200 writes/s\n"
"                            per unprivileged domain; 0: no limit),\n"
"                            write-burst (10), write-burst-new (50)\n"
"  -q, --quota-soft WHAT=N   memory (2097152): warn above\n"
"  -m, --master-domid ID     domain whose kernel uses xsd_kva (0)\n"
"  -p, --priv-domid ID       a second privileged domain\n"
"  -V, --verbose             same as --log-level debug\n"
"      --log-level LEVEL     error, warning, info or debug (warning)\n"
"  -I, --internal-db, -R, --no-recovery, -w, --timeout are accepted\n"
"      for compatibility; the store is always in memory\n"
"  -H, --help                this text\n");
}

static int parse_num(const char *opt, const char *s, unsigned int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if ( !*s || *end || errno || v < 0 || v > INT_MAX )
    {
        fprintf(stderr, "xenia-stored: invalid value '%s' for %s\n", s, opt);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_level(const char *s, enum xs_log_level *lvl)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    unsigned int i;

    for ( i = 0; i < 4; i++ )
    {
        if ( !strcmp(s, names[i]) )
        {
            *lvl = i;
            return 0;
        }
    }
    fprintf(stderr, "xenia-stored: unknown log level '%s'\n", s);
    return -1;
}

enum { OPT_SOCKET = 256, OPT_LOG_LEVEL };

static const struct option long_opts[] = {
    { "no-domain-init", no_argument,       NULL, 'D' },
    { "entry-nb",       required_argument, NULL, 'E' },
    { "pid-file",       required_argument, NULL, 'F' },
    { "event",          required_argument, NULL, 'e' },
    { "master-domid",   required_argument, NULL, 'm' },
    { "help",           no_argument,       NULL, 'H' },
    { "no-fork",        no_argument,       NULL, 'N' },
    { "priv-domid",     required_argument, NULL, 'p' },
    { "output-pid",     no_argument,       NULL, 'P' },
    { "entry-size",     required_argument, NULL, 'S' },
    { "trace-file",     required_argument, NULL, 'T' },
    { "transaction",    required_argument, NULL, 't' },
    { "perm-nb",        required_argument, NULL, 'A' },
    { "path-max",       required_argument, NULL, 'M' },
    { "quota",          required_argument, NULL, 'Q' },
    { "quota-soft",     required_argument, NULL, 'q' },
    { "timeout",        required_argument, NULL, 'w' },
    { "no-recovery",    no_argument,       NULL, 'R' },
    { "internal-db",    optional_argument, NULL, 'I' },
    { "keep-orphans",   no_argument,       NULL, 'K' },
    { "verbose",        no_argument,       NULL, 'V' },
    { "watch-nb",       required_argument, NULL, 'W' },
    { "live-update",    no_argument,       NULL, 'U' },
    { "socket",         required_argument, NULL, OPT_SOCKET },
    { "log-level",      required_argument, NULL, OPT_LOG_LEVEL },
    { NULL, 0, NULL, 0 }
};

/* Returns 0 to run, 1 to exit successfully, -1 on a usage error. */
static int parse_options(int argc, char **argv, struct options *o,
                         unsigned int *priv_domid)
{
    struct xs_quota *q = &o->quota;
    unsigned int dummy;
    int opt, bad = 0;

    while ( (opt = getopt_long(argc, argv, "DE:F:HI::KNPS:t:A:M:Q:q:T:RVW:"
                               "w:Ue:m:p:", long_opts, NULL)) != -1 )
    {
        switch ( opt )
        {
        case 'D': o->domain_init = false; break;
        case 'N': o->fork = false; break;
        case 'P': o->output_pid = true; break;
        case 'F': o->pid_file = optarg; break;
        case 'T': o->trace_file = optarg; break;
        case 'E': bad |= parse_num("-E", optarg, &q->nodes); break;
        case 'S': bad |= parse_num("-S", optarg, &q->entry_size); break;
        case 'W': bad |= parse_num("-W", optarg, &q->watches); break;
        case 't': bad |= parse_num("-t", optarg, &q->transactions); break;
        case 'A': bad |= parse_num("-A", optarg, &q->perms); break;
        case 'M':
            bad |= parse_num("-M", optarg, &q->path_max);
            if ( q->path_max > XENSTORE_REL_PATH_MAX )
                q->path_max = XENSTORE_REL_PATH_MAX;
            break;
        case 'Q':
        case 'q':
            if ( xs_quota_set(q, optarg, opt == 'q') )
            {
                fprintf(stderr, "xenia-stored: bad quota '%s'\n", optarg);
                bad = -1;
            }
            break;
        case 'm': bad |= parse_num("-m", optarg, &o->master_domid); break;
        case 'p': bad |= parse_num("-p", optarg, priv_domid); break;
        case 'e': bad |= parse_num("-e", optarg, &dummy); break;
        case 'V': o->log_level = XS_LOG_DEBUG; break;
        case OPT_LOG_LEVEL: bad |= parse_level(optarg, &o->log_level); break;
        case OPT_SOCKET: o->socket = optarg; break;
        case 'I': case 'R': case 'w': break;
        case 'K':
            fprintf(stderr, "xenia-stored: --keep-orphans is not supported\n");
            return -1;
        case 'U':
            fprintf(stderr, "xenia-stored: live update is not supported\n");
            return -1;
        case 'H':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if ( optind != argc )
    {
        fprintf(stderr, "xenia-stored: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    return bad ? -1 : 0;
}

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if ( sig == SIGHUP )
        reopen_trace = 1;
    if ( write(sig_pipe[1], &c, 1) < 0 )
    {
        /* pipe full: the loop wakes up anyway */
    }
    errno = saved;
}

static int setup_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    int i;

    if ( pipe(sig_pipe) )
        return -1;
    for ( i = 0; i < 2; i++ )
        fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK),
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Forks; the parent waits for the child's verdict on its start-up. */
static int daemonize(int *ready_fd)
{
    int p[2];
    pid_t pid;
    char st = 1;

    if ( pipe(p) )
        return -1;
    pid = fork();
    if ( pid < 0 )
        return -1;
    if ( pid > 0 )
    {
        close(p[1]);
        if ( read(p[0], &st, 1) != 1 )
            st = 1;
        _exit(st);
    }
    close(p[0]);
    setsid();
    if ( chdir("/") )
    {
        /* harmless: nothing is opened by a relative path later */
    }
    umask(0);
    *ready_fd = p[1];
    return 0;
}

static void finish_daemonize(int ready_fd)
{
    int null = open("/dev/null", O_RDWR);
    char ok = 0;

    if ( null >= 0 )
    {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if ( null > 2 )
            close(null);
    }
    if ( ready_fd >= 0 )
    {
        if ( write(ready_fd, &ok, 1) != 1 )
        {
            /* parent gone: nobody to tell */
        }
        close(ready_fd);
    }
}

static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "w");

    if ( !f )
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

struct loop
{
    struct xs_core *core;
    int lfd, evfd, sigfd;
    unsigned int virq;
    const char *trace_file;
};

static void reopen_trace_file(struct loop *l)
{
    reopen_trace = 0;
    if ( !l->trace_file )
        return;
    if ( l->core->trace )
        fclose(l->core->trace);
    l->core->trace = fopen(l->trace_file, "a");
}

/* Returns false when a termination signal arrived. */
static bool drain_signals(struct loop *l)
{
    char buf[16];
    ssize_t n, i;
    bool stop = false;

    while ( (n = read(l->sigfd, buf, sizeof(buf))) > 0 )
        for ( i = 0; i < n; i++ )
            if ( buf[i] == SIGTERM || buf[i] == SIGINT )
                stop = true;
    if ( reopen_trace )
        reopen_trace_file(l);
    return !stop;
}

static void run(struct loop *l)
{
    struct xs_core *core = l->core;
    struct pollfd *fds = NULL;
    struct xs_conn **who = NULL, *c;
    size_t cap = 0, n, i;

    for ( ;; )
    {
        n = 3;
        for ( c = core->conns; c; c = c->next )
            n += c->fd >= 0;
        if ( n > cap )
        {
            cap = n * 2;
            fds = realloc(fds, cap * sizeof(*fds));
            who = realloc(who, cap * sizeof(*who));
            if ( !fds || !who )
            {
                xs_log(core, XS_LOG_ERROR, "out of memory in the loop");
                break;
            }
        }
        fds[0] = (struct pollfd){ .fd = l->sigfd, .events = POLLIN };
        fds[1] = (struct pollfd){ .fd = l->lfd, .events = POLLIN };
        fds[2] = (struct pollfd){ .fd = l->evfd, .events = POLLIN };
        n = 3;
        for ( c = core->conns; c; c = c->next )
        {
            if ( c->fd < 0 )
                continue;
            fds[n].fd = c->fd;
            fds[n].events = (xs_conn_can_read(c) ? POLLIN : 0) |
                            (c->out_head ? POLLOUT : 0);
            fds[n].revents = 0;
            who[n++] = c;
        }
        /* A domain in write-rate debt is read again once it has paid. */
        if ( poll(fds, n, (int)xs_core_wrl_wait_ms(core, 1000)) < 0 &&
             errno != EINTR )
        {
            xs_log(core, XS_LOG_ERROR, "poll: %s", strerror(errno));
            break;
        }
        if ( (fds[0].revents & POLLIN) && !drain_signals(l) )
            break;
        if ( fds[1].revents & POLLIN )
            while ( xs_socket_accept(core, l->lfd) )
                ;
        if ( l->evfd >= 0 && (fds[2].revents & POLLIN) )
            xs_xen_linux_handle_events(core, l->evfd, l->virq);
        for ( i = 3; i < n; i++ )
        {
            c = who[i];
            if ( (fds[i].revents & (POLLHUP | POLLERR)) &&
                 !xs_conn_can_read(c) )
                c->dead = true;           /* gone, and nothing to read */
            else if ( fds[i].revents & (POLLIN | POLLHUP | POLLERR) )
                xs_conn_input(c);
        }
        /* Replies and events are written at once, rings included. */
        for ( c = core->conns; c; c = c->next )
            if ( c->fd >= 0 && c->out_head )
                xs_conn_output(c);
        if ( core->xen )
            xs_domain_service(core);
        xs_core_reap(core);
    }
    free(fds);
    free(who);
}

int main(int argc, char **argv)
{
    struct options o = { .fork = true, .domain_init = true,
                         .log_level = XS_LOG_WARN };
    struct xs_core core;
    struct loop l = { .core = &core, .lfd = -1, .evfd = -1 };
    unsigned int priv_domid = 0;
    int rc, ready_fd = -1;

    xs_quota_defaults(&o.quota);
    o.socket = getenv("XENSTORED_PATH");
    rc = parse_options(argc, argv, &o, &priv_domid);
    if ( rc )
        return rc > 0 ? 0 : 2;
    if ( !o.socket )
        o.socket = DEFAULT_SOCKET;

    if ( o.fork && daemonize(&ready_fd) )
    {
        perror("xenia-stored: fork");
        return 1;
    }
    if ( xs_core_init(&core, &o.quota) || setup_signals() )
    {
        fprintf(stderr, "xenia-stored: cannot initialise: %s\n",
                strerror(errno ? errno : ENOMEM));
        return 1;
    }
    core.log_level = o.log_level;
    core.priv_domid = priv_domid;
    l.sigfd = sig_pipe[0];
    l.trace_file = o.trace_file;
    if ( o.trace_file && !(core.trace = fopen(o.trace_file, "a")) )
    {
        fprintf(stderr, "xenia-stored: cannot open trace file %s: %s\n",
                o.trace_file, strerror(errno));
        return 1;
    }
    if ( o.pid_file && write_pid_file(o.pid_file) )
    {
        fprintf(stderr, "xenia-stored: cannot write %s: %s\n", o.pid_file,
                strerror(errno));
        return 1;
    }
    l.lfd = xs_socket_listen(o.socket);
    if ( l.lfd < 0 )
    {
        fprintf(stderr, "xenia-stored: cannot listen on %s: %s\n", o.socket,
                strerror(errno));
        return 1;
    }
    if ( o.domain_init )
    {
        rc = xs_xen_linux_open(&core, &l.evfd, &l.virq);
        if ( rc )
        {
            fprintf(stderr, "xenia-stored: cannot open Xen's devices "
                    "(/dev/xen/evtchn, privcmd): %s; use -D without Xen\n",
                    strerror(rc));
            unlink(o.socket);
            return 1;
        }
        rc = xs_domain_introduce_local(&core, o.master_domid);
        if ( rc )
        {
            fprintf(stderr, "xenia-stored: cannot connect dom%u's kernel "
                    "through /proc/xen/xsd_kva: %s\n", o.master_domid,
                    strerror(rc));
            unlink(o.socket);
            return 1;
        }
    }
    if ( o.output_pid )
    {
        printf("%ld\n", (long)getpid());
        fflush(stdout);
    }
    if ( o.fork )
    {
        core.use_syslog = true;
        openlog("xenia-stored", LOG_PID, LOG_DAEMON);
        finish_daemonize(ready_fd);
    }
    xs_log(&core, XS_LOG_INFO, "serving on %s%s", o.socket,
           o.domain_init ? " and dom0's ring" : "");

    run(&l);

    xs_log(&core, XS_LOG_INFO, "shutting down");
    close(l.lfd);
    unlink(o.socket);
    if ( o.pid_file )
        unlink(o.pid_file);
    xs_core_fini(&core);
    if ( o.domain_init )
        xs_xen_linux_close(&core);
    if ( core.trace )
        fclose(core.trace);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    return 0;
}
