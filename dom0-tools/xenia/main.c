/*
 * main.c: `xenia`, the toolstack CLI (docs/toolstack.md).
 *
 * Exit codes: 0 success, 1 failure, 2 usage error, 3 no such domain.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "consoled.h"

#include "cfg.h"
#include "xenia_build.h"
#include "xbuild.h"

#include <public/sched.h>

#define EXIT_USAGE  2
#define EXIT_NODOM  3

struct verb
{
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
    const char *help;
};

static const struct verb *cur_verb;

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "xenia %s: ", cur_verb->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: xenia %s %s\n", cur_verb->name,
            cur_verb->usage);
    return EXIT_USAGE;
}

static int verb_help(void)
{
    printf("usage: xenia %s %s\n\n%s\n", cur_verb->name, cur_verb->usage,
           cur_verb->help);
    return 0;
}

/* --help anywhere after the verb. */
static int wants_help(int argc, char **argv)
{
    int i;

    for ( i = 1; i < argc; i++ )
        if ( !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") )
            return 1;
    return 0;
}

/* The handles every verb that touches the hypervisor needs. */
static struct xn_handle *xh;
static struct xs_conn *xsc;

static int open_hv(int need_store)
{
    xh = xn_open();
    if ( !xh )
    {
        fprintf(stderr, "xenia %s: cannot open /dev/xen/privcmd: %s%s\n",
                cur_verb->name, strerror(errno),
                errno == ENOENT ? " (not running in dom0? load xen-privcmd)"
                                : "");
        return 1;
    }
    if ( need_store )
    {
        xsc = xs_open(XS_OPEN_ANY);
        if ( !xsc )
        {
            fprintf(stderr, "xenia %s: cannot connect to the store "
                    "(/run/xenstored/socket, /dev/xen/xenbus): %s\n",
                    cur_verb->name, strerror(errno));
            return 1;
        }
    }
    return 0;
}

/* DOM (name or number) -> domid; prints the error itself. */
static int lookup(const char *dom, int *domid)
{
    struct xen_domctl op = { 0 };
    char *end;
    long v = strtol(dom, &end, 10);
    long rc;

    if ( *dom && !*end )
    {
        if ( v < 0 || v >= DOMID_FIRST_RESERVED )
            goto nodom;
        rc = xn_domctl_op(xh, XEN_DOMCTL_getdomaininfo, v, &op);
        if ( rc || op.u.getdomaininfo.domain != v )
            goto nodom;
        *domid = v;
        return 0;
    }
    if ( !xsc )
        xsc = xs_open(XS_OPEN_ANY);
    rc = xsc ? xn_domid_by_name(xh, xsc, dom) : -ENOENT;
    if ( rc >= 0 )
    {
        *domid = rc;
        return 0;
    }
 nodom:
    fprintf(stderr, "xenia %s: no domain named '%s'\n", cur_verb->name,
            dom);
    return EXIT_NODOM;
}

static int getinfo(int domid, struct xen_domctl_getdomaininfo *di)
{
    struct xen_domctl op = { 0 };
    long rc = xn_domctl_op(xh, XEN_DOMCTL_getdomaininfo, domid, &op);

    if ( rc )
        return rc;
    if ( op.u.getdomaininfo.domain != domid )
        return -ESRCH;
    *di = op.u.getdomaininfo;
    return 0;
}

/* ------------------------------------------------------------------ */

static int load_config(const char *file, int nopts, char **opts,
                       struct xcfg *c)
{
    char err[512];
    void *buf;
    size_t len;
    char *text;
    int rc, i;

    cfg_init(c);
    rc = xn_read_file(file, &buf, &len);
    if ( rc )
    {
        fprintf(stderr, "xenia create: cannot read %s: %s\n", file,
                strerror(-rc));
        return 1;
    }
    text = realloc(buf, len + 1);
    if ( !text )
    {
        free(buf);
        return 1;
    }
    text[len] = '\0';
    if ( memchr(text, '\0', len) )
    {
        fprintf(stderr, "%s: not a text file (NUL byte)\n", file);
        free(text);
        return 1;
    }
    rc = cfg_parse(c, file, text, err, sizeof(err));
    free(text);
    /* key=value options override the file, each as one more line. */
    for ( i = 0; !rc && i < nopts; i++ )
    {
        char *k = strchr(opts[i], '=');
        unsigned int j;

        if ( k )
            for ( j = 0; j < 16; j++ )
                c->line_of[j] = 0;   /* an override may repeat a key */
        rc = cfg_parse(c, "<command line>", opts[i], err, sizeof(err));
    }
    if ( !rc )
        rc = cfg_finish(c, file, err, sizeof(err));
    if ( rc )
    {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    return 0;
}

/*
 * Attach to a guest's console through xenia-consoled: its output to
 * stdout, stdin to the guest; Ctrl-] (0x1d) detaches, as in xl.  With a
 * terminal on stdin it is put in raw mode; when stdin ends (a pipe) the
 * output is still followed until the domain goes away.
 */
static int console_attach(int domid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct termios old, raw;
    struct pollfd p[2];
    char buf[4096], line[128];
    int fd, tty = isatty(0), in_open = 1, rc = 0;
    ssize_t n, k = 0;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", XN_CONSOLED_SOCKET);
    if ( fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) )
    {
        fprintf(stderr, "xenia console: cannot reach xenia-consoled at %s: "
                "%s (hint: start xenia-consoled, or 'xenia consoled')\n",
                XN_CONSOLED_SOCKET, strerror(errno));
        return 1;
    }
    dprintf(fd, "ATTACH %d\n", domid);
    while ( k < (ssize_t)sizeof(line) - 1 && read(fd, line + k, 1) == 1 &&
            line[k] != '\n' )
        k++;
    line[k] = '\0';
    if ( strcmp(line, "OK") )
    {
        fprintf(stderr, "xenia console: xenia-consoled: %s\n",
                k ? line : "no answer");
        close(fd);
        return 1;
    }
    if ( tty && tcgetattr(0, &old) == 0 )
    {
        raw = old;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
    }
    else
        tty = 0;
    for ( ;; )
    {
        p[0].fd = fd; p[0].events = POLLIN;
        p[1].fd = in_open ? 0 : -1; p[1].events = POLLIN;
        if ( poll(p, 2, -1) < 0 )
        {
            if ( errno == EINTR )
                continue;
            rc = 1;
            break;
        }
        if ( p[0].revents )
        {
            n = read(fd, buf, sizeof(buf));
            if ( n <= 0 )
                break;         /* the domain went away */
            if ( write(1, buf, n) != n )
                break;
        }
        if ( p[1].revents )
        {
            char *esc;

            n = read(0, buf, sizeof(buf));
            if ( n <= 0 )
            {
                in_open = 0;
                continue;
            }
            esc = memchr(buf, 0x1d, n);
            if ( esc )
            {
                if ( esc > buf && write(fd, buf, esc - buf) < 0 )
                    rc = 1;
                break;
            }
            if ( write(fd, buf, n) != n )
                break;
        }
    }
    if ( tty )
        tcsetattr(0, TCSANOW, &old);
    close(fd);
    return rc;
}


/* ------------------------------------------------------------------ */
/*
 * The per-domain monitor, as xl's: `create` forks it; it watches
 * @releaseDomain (and looks every second), and when the domain shuts
 * down applies on_poweroff / on_reboot / on_crash: destroy, restart
 * (rename-restart, coredump-restart: a new domain from the same config
 * and UUID), preserve (leaves it; the monitor ends).  No core dumps are
 * written (coredump-* log that).  It logs to
 * /var/log/xenia/monitor-NAME.log and records its pid in
 * /libxl/N/monitor-pid, which `shutdown -w` looks for.
 */
static void mon_log(const char *fmt, ...)
{
    va_list ap;
    time_t t = time(NULL);
    char ts[32];

    strftime(ts, sizeof(ts), "%H:%M:%S", gmtime(&t));
    printf("%s ", ts);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static const char *mon_action(const struct xn_domain_cfg *dc,
                              unsigned int reason)
{
    switch ( reason )
    {
    case SHUTDOWN_poweroff: return dc->on_poweroff;
    case SHUTDOWN_crash: return dc->on_crash;
    case SHUTDOWN_reboot:
    case SHUTDOWN_watchdog: return dc->on_reboot;
    default: return NULL;      /* suspend, soft_reset: not ours */
    }
}

static void mon_note_pid(unsigned int domid)
{
    char path[64], val[24];

    snprintf(path, sizeof(path), "/libxl/%u/monitor-pid", domid);
    snprintf(val, sizeof(val), "%d", (int)getpid());
    xs_write_str(xsc, 0, path, val);
}

static void mon_loop(struct xn_domain_cfg *dc, unsigned int domid)
{
    static const char *const reasons[] = { "poweroff", "reboot", "suspend",
                                           "crash", "watchdog",
                                           "soft_reset" };
    struct xen_domctl_getdomaininfo di;
    struct xn_build_result res;
    const char *act, *path, *token;
    char *buf;
    unsigned int reason;
    int i;

    xs_watch(xsc, "@releaseDomain", "monitor");
    mon_note_pid(domid);
    mon_log("monitoring domain %u (%s): on_poweroff=%s on_reboot=%s "
            "on_crash=%s", domid, dc->name, dc->on_poweroff, dc->on_reboot,
            dc->on_crash);
    for ( ;; )
    {
        if ( xs_read_watch(xsc, 1000, &buf, &path, &token) == 0 )
            free(buf);
        if ( getinfo(domid, &di) )
        {
            mon_log("domain %u is gone", domid);
            return;
        }
        if ( (di.flags & XEN_DOMINF_dying) ||
             !(di.flags & XEN_DOMINF_shutdown) )
            continue;
        reason = xb_shutdown_reason(&di);
        act = mon_action(dc, reason);
        mon_log("domain %u shut down: %s; action %s", domid,
                reason <= SHUTDOWN_MAX ? reasons[reason] : "?",
                act ? act : "none");
        if ( !act )
            return;
        if ( !strcmp(act, "preserve") || !strcmp(act, "soft-reset") )
        {
            if ( !strcmp(act, "soft-reset") )
                mon_log("soft-reset is not supported: preserved");
            return;
        }
        if ( !strncmp(act, "coredump-", 9) )
            mon_log("no core dump written (not supported)");
        xn_destroy_domain(xh, xsc, domid);
        if ( strcmp(act, "restart") && strcmp(act, "rename-restart") &&
             strcmp(act, "coredump-restart") )
            return;
        for ( i = 0; i < 100 && getinfo(domid, &di) == 0; i++ )
            usleep(100000);
        if ( xn_create_domain(xh, xsc, dc, 0, &res) )
        {
            mon_log("restart failed: %s: %s: %s", res.step, res.call,
                    strerror(res.err));
            return;
        }
        domid = res.domid;
        mon_note_pid(domid);
        mon_log("restarted as domain %u", domid);
    }
}

/* Fork the monitor; the caller goes on at once. */
static void start_monitor(struct xn_domain_cfg *dc, unsigned int domid)
{
    char path[300];
    pid_t pid = fork();
    int fd;

    if ( pid != 0 )
        return;                /* parent (or fork failed: no monitor) */
    setsid();
    mkdir("/var/log/xenia", 0755);
    snprintf(path, sizeof(path), "/var/log/xenia/monitor-%s.log", dc->name);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if ( fd < 0 )
        fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    fd = open("/dev/null", O_RDONLY);
    dup2(fd, 0);
    close(fd);
    /* Our own connections: the parent's stay with the parent. */
    xh = xn_open();
    xsc = xs_open(XS_OPEN_ANY);
    if ( xh && xsc )
    {
        dc->image = NULL;      /* a restart reads the kernel again */
        mon_loop(dc, domid);
    }
    _exit(0);
}

static int cmd_create(int argc, char **argv)
{
    int opt, console = 0, paused = 0, dry = 0, rc;
    struct xcfg c;
    struct xn_domain_cfg dc;
    struct xn_build_result res;
    struct xn_kimage k;
    char cl[1100], err[256];

    optind = 1;
    while ( (opt = getopt(argc, argv, "+cpn")) != -1 )
    {
        switch ( opt )
        {
        case 'c': console = 1; break;
        case 'p': paused = 1; break;
        case 'n': dry = 1; break;
        default: return usage_error("unknown option");
        }
    }
    if ( optind >= argc )
        return usage_error("no config file given");
    if ( load_config(argv[optind], argc - optind - 1, argv + optind + 1, &c) )
        return 1;
    cfg_cmdline(&c, cl, sizeof(cl));

    /* Check the kernel image the way the build will (no hypervisor). */
    rc = xn_kimage_load(c.kernel, &k, err, sizeof(err));
    if ( rc )
    {
        fprintf(stderr, "%s: kernel %s: %s\n", argv[optind], c.kernel, err);
        return 1;
    }
    {
        struct xb_elf_info ei;
        int erc = xb_elf_parse(k.elf, k.size, &ei);

        if ( erc )
        {
            xn_kimage_free(&k);
            fprintf(stderr, "%s: kernel %s: not a 64-bit PV kernel this "
                    "builder can load (ELF/Xen notes rejected, %d)\n",
                    argv[optind], c.kernel, erc);
            return 1;
        }
    }
    if ( c.ramdisk[0] && access(c.ramdisk, R_OK) )
    {
        fprintf(stderr, "%s: ramdisk %s: %s\n", argv[optind], c.ramdisk,
                strerror(errno));
        xn_kimage_free(&k);
        return 1;
    }
    if ( dry )
    {
        xn_kimage_free(&k);
        cfg_print_json(&c, stdout);
        return 0;
    }
    if ( open_hv(1) )
    {
        xn_kimage_free(&k);
        return 1;
    }
    if ( xn_domid_by_name(xh, xsc, c.name) >= 0 )
    {
        fprintf(stderr, "xenia create: a domain named '%s' already exists\n",
                c.name);
        xn_kimage_free(&k);
        return 1;
    }

    memset(&dc, 0, sizeof(dc));
    dc.name = c.name;
    if ( c.uuid[0] )
        uuid_parse(c.uuid, dc.uuid);
    else
        uuid_generate(dc.uuid);
    dc.kernel = c.kernel;
    dc.ramdisk = c.ramdisk;
    dc.cmdline = cl;
    dc.memory_mb = c.memory;
    dc.maxmem_mb = c.maxmem;
    dc.vcpus = c.vcpus;
    dc.maxvcpus = c.maxvcpus;
    dc.on_poweroff = c.on_poweroff;
    dc.on_reboot = c.on_reboot;
    dc.on_crash = c.on_crash;
    dc.image = &k;             /* unpacked once, for the check above */
    rc = xn_create_domain(xh, xsc, &dc, paused, &res);
    xn_kimage_free(&k);
    if ( rc )
    {
        fprintf(stderr, "xenia create: %s failed: %s: %s (errno %d)%s%s\n",
                res.step, res.call, strerror(res.err), res.err,
                res.msg[0] ? "; " : "", res.msg);
        if ( res.err == ENOMEM )
            fprintf(stderr, "hint: 'xenia info' shows the free memory\n");
        fprintf(stderr, "xenia create: nothing was left behind\n");
        return 1;
    }
    printf("Created domain %s (id %u)%s\n", c.name, res.domid,
           paused ? ", paused" : "");
    fflush(stdout);
    start_monitor(&dc, res.domid);
    if ( console )
    {
        fflush(stdout);
        return console_attach(res.domid);
    }
    return 0;
}

static void state_str(const struct xen_domctl_getdomaininfo *di, char *s)
{
    uint32_t f = di->flags;

    strcpy(s, "------");
    if ( f & XEN_DOMINF_running )
        s[0] = 'r';
    if ( f & XEN_DOMINF_blocked )
        s[1] = 'b';
    if ( f & XEN_DOMINF_paused )
        s[2] = 'p';
    if ( (f & XEN_DOMINF_shutdown) && xb_shutdown_reason(di) != SHUTDOWN_crash )
        s[3] = 's';
    if ( (f & XEN_DOMINF_shutdown) && xb_shutdown_reason(di) == SHUTDOWN_crash )
        s[4] = 'c';
    if ( f & XEN_DOMINF_dying )
        s[5] = 'd';
}

static char *dom_name(unsigned int domid)
{
    char path[64], *v = NULL;

    if ( domid == 0 )
        return strdup("Domain-0");
    if ( xsc )
    {
        snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
        v = xs_read(xsc, 0, path, NULL);
    }
    return v ? v : strdup("(null)");
}

static int cmd_list(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info[128];
    int opt, longfmt = 0, i, want = -1, first = 1;
    long n;
    domid_t next = 0;

    optind = 1;
    while ( (opt = getopt(argc, argv, "+l")) != -1 )
    {
        if ( opt != 'l' )
            return usage_error("unknown option");
        longfmt = 1;
    }
    if ( open_hv(0) )
        return 1;
    xsc = xs_open(XS_OPEN_ANY);
    if ( optind < argc )
    {
        int rc = lookup(argv[optind], &want);

        if ( rc )
            return rc;
    }
    if ( longfmt )
        printf("[\n");
    else
        printf("%-32s %5s %7s %5s %6s %9s\n", "Name", "ID", "Mem", "VCPUs",
               "State", "Time(s)");
    for ( ;; )
    {
        n = xn_domain_list(xh, next, info, 128);
        if ( n < 0 )
        {
            fprintf(stderr, "xenia list: XEN_SYSCTL_getdomaininfolist: %s\n",
                    strerror(-n));
            return 1;
        }
        if ( n == 0 )
            break;
        for ( i = 0; i < n; i++ )
        {
            struct xen_domctl_getdomaininfo *d = &info[i];
            char st[8], *name;
            char uuid[37];

            if ( want >= 0 && d->domain != want )
                continue;
            state_str(d, st);
            name = dom_name(d->domain);
            if ( longfmt )
            {
                uuid_unparse_lower(d->handle, uuid);
                printf("%s  {\"domid\": %u, \"name\": \"%s\", \"uuid\": \"%s\", "
                       "\"state\": \"%s\", \"mem_kb\": %llu, "
                       "\"maxmem_kb\": %llu, \"vcpus\": %u, "
                       "\"cpu_time_ns\": %llu, \"shutdown_reason\": %d}",
                       first ? "" : ",\n", d->domain, name, uuid, st,
                       (unsigned long long)d->tot_pages * 4,
                       (unsigned long long)d->max_pages * 4,
                       d->nr_online_vcpus,
                       (unsigned long long)d->cpu_time,
                       (d->flags & XEN_DOMINF_shutdown) ?
                       (int)xb_shutdown_reason(d) : -1);
                first = 0;
            }
            else
                printf("%-32s %5u %7llu %5u %6s %9.1f\n", name, d->domain,
                       (unsigned long long)d->tot_pages / 256,
                       d->nr_online_vcpus, st, d->cpu_time / 1e9);
            free(name);
        }
        next = info[n - 1].domain + 1;
    }
    if ( longfmt )
        printf("%s]\n", first ? "" : "\n");
    return 0;
}

/* pause / unpause / destroy: one domain argument. */
static int one_dom(int argc, char **argv, int need_store, int *domid)
{
    int rc;

    if ( argc != 2 )
        return usage_error(argc < 2 ? "no domain given" : "too many arguments");
    if ( open_hv(need_store) )
        return 1;
    rc = lookup(argv[1], domid);
    if ( rc )
        return rc;
    if ( *domid == 0 )
    {
        fprintf(stderr, "xenia %s: not for Domain-0\n", cur_verb->name);
        return 1;
    }
    return 0;
}

static int simple_domctl(int argc, char **argv, uint32_t cmd,
                         const char *cmdname)
{
    struct xen_domctl op = { 0 };
    int domid = -1, rc = one_dom(argc, argv, 0, &domid);
    long r;

    if ( rc )
        return rc;
    r = xn_domctl_op(xh, cmd, domid, &op);
    if ( r )
    {
        fprintf(stderr, "xenia %s: %s of domain %d: %s%s\n", cur_verb->name,
                cmdname, domid, strerror(-r),
                r == -EINVAL && cmd == XEN_DOMCTL_unpausedomain ?
                " (hint: it is not paused)" : "");
        return 1;
    }
    return 0;
}

static int cmd_pause(int argc, char **argv)
{
    return simple_domctl(argc, argv, XEN_DOMCTL_pausedomain,
                         "XEN_DOMCTL_pausedomain");
}

static int cmd_unpause(int argc, char **argv)
{
    return simple_domctl(argc, argv, XEN_DOMCTL_unpausedomain,
                         "XEN_DOMCTL_unpausedomain");
}

static int cmd_destroy(int argc, char **argv)
{
    int domid = -1, rc = one_dom(argc, argv, 1, &domid);
    long r;

    if ( rc )
        return rc;
    r = xn_destroy_domain(xh, xsc, domid);
    if ( r )
    {
        fprintf(stderr, "xenia destroy: XEN_DOMCTL_destroydomain of "
                "domain %d: %s\n", domid, strerror(-r));
        return 1;
    }
    return 0;
}

static int cmd_shutdown(int argc, char **argv)
{
    int opt, wait = 0, domid = -1, rc, i;
    char path[64];
    struct xen_domctl_getdomaininfo di = { 0 };

    optind = 1;
    while ( (opt = getopt(argc, argv, "+w")) != -1 )
    {
        if ( opt != 'w' )
            return usage_error("unknown option");
        wait = 1;
    }
    rc = one_dom(argc - optind + 1, argv + optind - 1, 1, &domid);
    if ( rc )
        return rc;
    /* A PV guest watches control/shutdown (xl's way). */
    snprintf(path, sizeof(path), "/local/domain/%d/control/shutdown", domid);
    rc = xs_write_str(xsc, 0, path, "poweroff");
    if ( rc )
    {
        fprintf(stderr, "xenia shutdown: write %s: %s\n", path,
                strerror(-rc));
        return 1;
    }
    if ( !wait )
        return 0;
    for ( i = 0; i < 600; i++ )
    {
        if ( getinfo(domid, &di) )
            return 0;          /* gone */
        if ( di.flags & XEN_DOMINF_shutdown )
        {
            char *mon;

            snprintf(path, sizeof(path), "/libxl/%d/monitor-pid", domid);
            mon = xs_read(xsc, 0, path, NULL);
            if ( !mon )
            {
                /* No monitor (it died?): on_poweroff=destroy here. */
                xn_destroy_domain(xh, xsc, domid);
                return 0;
            }
            free(mon);
            /* The monitor applies on_poweroff: wait for its verdict. */
            for ( i = 0; i < 100 && getinfo(domid, &di) == 0; i++ )
                usleep(100000);
            if ( i == 100 )
                printf("domain %d shut down and is kept "
                       "(on_poweroff=preserve?)\n", domid);
            return 0;
        }
        usleep(100000);
    }
    fprintf(stderr, "xenia shutdown: domain %d did not shut down in 60 s "
            "(hint: does the guest run a xenbus driver?)\n", domid);
    return 1;
}

static int cmd_console(int argc, char **argv)
{
    int domid = -1, rc = one_dom(argc, argv, 1, &domid);

    if ( rc )
        return rc;
    return console_attach(domid);
}

static int cmd_consoled(int argc, char **argv)
{
    return xn_consoled_main(argc, argv);
}

static int cmd_domid(int argc, char **argv)
{
    int domid = -1, rc;

    if ( argc != 2 )
        return usage_error("expected one domain name");
    if ( open_hv(1) )
        return 1;
    rc = lookup(argv[1], &domid);
    if ( rc )
        return rc;
    printf("%d\n", domid);
    return 0;
}

static int cmd_domname(int argc, char **argv)
{
    int domid = -1, rc;
    char *n;

    if ( argc != 2 )
        return usage_error("expected one domain id");
    if ( open_hv(1) )
        return 1;
    rc = lookup(argv[1], &domid);
    if ( rc )
        return rc;
    n = dom_name(domid);
    printf("%s\n", n);
    free(n);
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    struct xen_sysctl_physinfo pi;
    long rc;

    (void)argv;
    if ( argc != 1 )
        return usage_error("no arguments expected");
    if ( open_hv(0) )
        return 1;
    rc = xn_physinfo(xh, &pi);
    if ( rc )
    {
        fprintf(stderr, "xenia info: XEN_SYSCTL_physinfo: %s\n",
                strerror(-rc));
        return 1;
    }
    printf("nr_cpus                : %u\n", pi.nr_cpus);
    printf("cpu_mhz                : %u\n", pi.cpu_khz / 1000);
    printf("total_memory           : %llu\n",
           (unsigned long long)pi.total_pages / 256);
    printf("free_memory            : %llu\n",
           (unsigned long long)pi.free_pages / 256);
    printf("free_pages             : %llu\n",
           (unsigned long long)pi.free_pages);
    return 0;
}

static int cmd_init_dom0(int argc, char **argv)
{
    int rc;

    (void)argv;
    if ( argc != 1 )
        return usage_error("no arguments expected");
    if ( open_hv(1) )
        return 1;
    rc = xn_init_dom0(xh, xsc);
    if ( rc )
    {
        fprintf(stderr, "xenia init-dom0: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}

static int cmd_help(int argc, char **argv);

static const struct verb verbs[] = {
    { "create", cmd_create, "[-c] [-p] [-n] CFG [key=value...]",
      "Create a domain from an xl.cfg file; key=value settings override\n"
      "the file.  -p leaves it paused, -n only resolves and checks the\n"
      "config and kernel (no hypervisor needed) and prints it as JSON,\n"
      "-c attaches the console once the domain exists (xenia console)." },
    { "destroy", cmd_destroy, "DOMAIN",
      "Destroy a domain at once and remove its store entries." },
    { "list", cmd_list, "[-l] [DOMAIN]",
      "List domains: name, id, memory (MiB), vCPUs, state, CPU time.\n"
      "-l prints JSON." },
    { "pause", cmd_pause, "DOMAIN", "Pause a domain." },
    { "unpause", cmd_unpause, "DOMAIN", "Unpause a paused domain." },
    { "shutdown", cmd_shutdown, "[-w] DOMAIN",
      "Ask a domain to power off (control/shutdown); -w waits for it." },
    { "console", cmd_console, "DOMAIN",
      "Attach to a domain's console (through xenia-consoled); Ctrl-]\n"
      "detaches." },
    { "consoled", cmd_consoled, "[-f] [-v] [-p PIDFILE] [-l LOGDIR]",
      "Run the console daemon (as xenia-consoled): serves every guest's\n"
      "console ring, logs it to LOGDIR/guest-NAME.log (default\n"
      XN_CONSOLED_LOGDIR "), serves 'xenia console'.  -f stays in the\n"
      "foreground, -v logs what it does to stderr." },
    { "domid", cmd_domid, "NAME", "Print the id of the named domain." },
    { "domname", cmd_domname, "ID", "Print the name of a domain." },
    { "info", cmd_info, "", "Print host information." },
    { "init-dom0", cmd_init_dom0, "",
      "Write dom0's own store entries (what xen-init-dom0 does)." },
    { "help", cmd_help, "[VERB]", "List the verbs, or describe one." },
};

static int cmd_help(int argc, char **argv)
{
    unsigned int i;

    (void)argv;
    if ( argc > 1 )
    {
        for ( i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++ )
            if ( !strcmp(argv[1], verbs[i].name) )
            {
                cur_verb = &verbs[i];
                return verb_help();
            }
        return usage_error("no verb named '%s'", argv[1]);
    }
    printf("usage: xenia VERB [ARGS...]   (xenia VERB --help)\n\nverbs:\n");
    for ( i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++ )
        printf("  %-10s %s\n", verbs[i].name, verbs[i].usage);
    printf("\nexit codes: 0 success, 1 failure, 2 usage error, "
           "3 no such domain\n");
    return 0;
}

int main(int argc, char **argv)
{
    unsigned int i;
    int rc;

    if ( argc < 2 )
    {
        cur_verb = &verbs[sizeof(verbs) / sizeof(verbs[0]) - 1];
        cmd_help(1, argv);
        return EXIT_USAGE;
    }
    if ( !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") )
        argv[1] = "help";
    for ( i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++ )
        if ( !strcmp(argv[1], verbs[i].name) )
            break;
    if ( i == sizeof(verbs) / sizeof(verbs[0]) )
    {
        fprintf(stderr, "xenia: unknown verb '%s' (xenia help lists them)\n",
                argv[1]);
        return EXIT_USAGE;
    }
    cur_verb = &verbs[i];
    if ( wants_help(argc - 1, argv + 1) )
        return verb_help();
    rc = cur_verb->fn(argc - 1, argv + 1);
    if ( xsc )
        xs_close(xsc);
    if ( xh )
        xn_close(xh);
    return rc;
}
