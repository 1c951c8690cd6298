/*
 * main.c: `xenia`, the toolstack CLI (docs/toolstack.md).
 *
 * Exit codes: 0 success, 1 failure, 2 usage error, 3 no such domain.
 */
#include <ctype.h>
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
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "consoled.h"

#include "cfg.h"
#include "devices.h"
#include "json.h"
#include "xenia_build.h"
#include "xbuild.h"

#include <public/sched.h>
#include <xenia/elf_image.h>

/* `xenia top` lives in dom0-tools/top/ (another component). */
#if __has_include("top.h")
#include "top.h"
#define XENIA_HAVE_TOP 1
#endif

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
    if ( cfg_is_xml(text, len) )
        rc = cfg_parse_xml(c, file, text, len, err, sizeof(err));
    else
        rc = cfg_parse(c, file, text, err, sizeof(err));
    free(text);
    /* key=value options override the file, each as one more line. */
    for ( i = 0; !rc && i < nopts; i++ )
    {
        char *k = strchr(opts[i], '=');
        unsigned int j;

        if ( k )
            for ( j = 0; j < sizeof(c->line_of) / sizeof(c->line_of[0]);
                  j++ )
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

/* `xenia rename` changes the store's name: a restart keeps the new one. */
static void mon_follow_name(struct xn_domain_cfg *dc, unsigned int domid)
{
    static char name[CFG_STR];
    char path[64], *v;

    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    v = xs_read(xsc, 0, path, NULL);
    if ( v && strcmp(v, dc->name) && !cfg_name_problem(v) )
    {
        mon_log("domain %u was renamed %s -> %s", domid, dc->name, v);
        snprintf(name, sizeof(name), "%s", v);
        dc->name = name;
    }
    free(v);
}

/* Unpause a domain made paused. */
static long unpause(unsigned int domid)
{
    struct xen_domctl op = { 0 };

    return xn_domctl_op(xh, XEN_DOMCTL_unpausedomain, domid, &op);
}

/*
 * Create the domain (paused), add its devices, unpause unless paused.
 * 0, or -1 with the message printed by the caller from res / err.
 */
static int create_with_devices(struct xn_domain_cfg *dc,
                               const struct xcfg *c, int paused,
                               struct xn_build_result *res, char *err,
                               size_t errlen)
{
    long r;

    err[0] = '\0';
    if ( xn_create_domain(xh, xsc, dc, 1, res) )
        return -1;
    if ( dev_add_all(xsc, res->domid, c, err, errlen) )
    {
        dev_destroy_domain(xh, xsc, res->domid);
        return -1;
    }
    if ( !paused && (r = unpause(res->domid)) )
    {
        snprintf(err, errlen, "XEN_DOMCTL_unpausedomain: %s", strerror(-r));
        dev_destroy_domain(xh, xsc, res->domid);
        return -1;
    }
    return 0;
}

static void mon_loop(struct xn_domain_cfg *dc, const struct xcfg *c,
                     unsigned int domid)
{
    char derr[512];
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
        mon_follow_name(dc, domid);
        dev_destroy_domain(xh, xsc, domid);
        if ( strcmp(act, "restart") && strcmp(act, "rename-restart") &&
             strcmp(act, "coredump-restart") )
            return;
        for ( i = 0; i < 100 && getinfo(domid, &di) == 0; i++ )
            usleep(100000);
        if ( create_with_devices(dc, c, 0, &res, derr, sizeof(derr)) )
        {
            if ( derr[0] )
                mon_log("restart failed: devices: %s", derr);
            else
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
static void start_monitor(struct xn_domain_cfg *dc, const struct xcfg *c,
                          unsigned int domid)
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
        mon_loop(dc, c, domid);
    }
    _exit(0);
}

static int cmd_create(int argc, char **argv)
{
    int opt, console = 0, paused = 0, dry = 0, rc;
    unsigned int i;
    struct xcfg c;
    struct xn_domain_cfg dc;
    struct xn_build_result res;
    struct xn_kimage k;
    char cl[1100], err[512], derr[512];

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
            struct elf_image img;
            char why[ELF_ERR_LEN] = "";

            /* The same parser again, for its message. */
            if ( !elf_parse(&img, k.elf, k.size, why, sizeof(why)) &&
                 !elf_xen_check(&img, why, sizeof(why)) &&
                 !elf_xen_features_ok(&img, false, why, sizeof(why)) )
                snprintf(why, sizeof(why), "it requires features a PV domU "
                         "cannot have (%#x)", img.f_required);
            fprintf(stderr, "%s: kernel %s: not a 64-bit PV kernel: %s\n",
                    argv[optind], c.kernel, why);
            xn_kimage_free(&k);
            return 1;
        }
    }
    if ( c.ramdisk[0] )
    {
        struct stat st;
        const char *why = NULL;

        if ( stat(c.ramdisk, &st) || access(c.ramdisk, R_OK) )
            why = strerror(errno);
        else if ( !S_ISREG(st.st_mode) )
            why = "not a regular file";
        else if ( st.st_size == 0 )
            why = "empty file";
        if ( why )
        {
            fprintf(stderr, "%s: ramdisk %s: %s\n", argv[optind], c.ramdisk,
                    why);
            xn_kimage_free(&k);
            return 1;
        }
    }
    for ( i = 0; i < c.ndisks; i++ )
    {
        const struct xdisk *d = &c.disks[i];
        struct stat st;
        const char *why = NULL;

        if ( stat(d->target, &st) ||
             access(d->target, d->readonly ? R_OK : R_OK | W_OK) )
            why = strerror(errno);
        else if ( !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) )
            why = "not a regular file or block device";
        if ( why )
        {
            fprintf(stderr, "%s: disk %s: %s: %s\n", argv[optind], d->vdev,
                    d->target, why);
            xn_kimage_free(&k);
            return 1;
        }
    }
    if ( dry )
    {
        xn_kimage_free(&k);
        cfg_print_json(&c, stdout);
        return 0;
    }
    if ( dev_check_backends(&c, err, sizeof(err)) )
    {
        fprintf(stderr, "%s: %s\n", argv[optind], err);
        xn_kimage_free(&k);
        return 1;
    }
    dev_fill_macs(&c);
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
    rc = create_with_devices(&dc, &c, paused, &res, derr, sizeof(derr));
    xn_kimage_free(&k);
    if ( rc && derr[0] )
    {
        fprintf(stderr, "xenia create: %s\n", derr);
        fprintf(stderr, "xenia create: nothing was left behind\n");
        return 1;
    }
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
    start_monitor(&dc, &c, res.domid);
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

/*
 * What still holds a dying domain, as far as dom0 can see: the frames it
 * still owns (tot_pages: a dying domain keeps the frames another domain
 * still maps or has grant-mapped, in practice dom0's backends, the store
 * or a console daemon), whether the store still has it introduced, and
 * whether its /local/domain node is still there.
 */
struct dying_info
{
    unsigned long long frames;
    int introduced;            /* 1, 0, or -1 unknown */
    int store_node;            /* 1, 0, or -1 unknown */
    int consoled;              /* ring mapped by xenia-consoled: 1, 0, -1 */
};

/* Ask xenia-consoled whether it still maps the domain's console ring. */
static int consoled_maps(unsigned int domid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { 1, 0 };
    char ans[8] = "";
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = -1;
    ssize_t n;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", XN_CONSOLED_SOCKET);
    if ( fd < 0 )
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if ( connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
         dprintf(fd, "MAPPED %u\n", domid) > 0 &&
         (n = read(fd, ans, sizeof(ans) - 1)) > 0 )
    {
        ans[n] = '\0';
        rc = !strcmp(ans, "YES\n") ? 1 : !strcmp(ans, "NO\n") ? 0 : -1;
    }
    close(fd);
    return rc;
}

static void dying_probe(const struct xen_domctl_getdomaininfo *d,
                        struct dying_info *di)
{
    char path[64], *v;

    di->frames = d->tot_pages;
    di->introduced = di->store_node = -1;
    di->consoled = consoled_maps(d->domain);
    if ( !xsc )
        return;
    di->introduced = xs_is_introduced(xsc, d->domain);
    if ( di->introduced < 0 )
        di->introduced = -1;
    snprintf(path, sizeof(path), "/local/domain/%u", d->domain);
    v = xs_read(xsc, 0, path, NULL);
    di->store_node = v ? 1 : (errno == ENOENT ? 0 : -1);
    free(v);
}

static void dying_text(const struct dying_info *di, char *out, size_t len)
{
    snprintf(out, len, "dying: %llu frame%s still held%s%s%s%s",
             di->frames, di->frames == 1 ? "" : "s",
             di->frames ? " (mapped or granted to another domain)" : "",
             di->introduced == 1 ? "; the store still has it introduced" :
             di->introduced == 0 ? "; released by the store" : "",
             di->consoled == 1 ? "; xenia-consoled maps its console ring" :
             di->consoled == 0 ? "; not mapped by xenia-consoled" : "",
             di->store_node == 1 ? "; its /local/domain node remains" : "");
}

static int cmd_list(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info[128];
    int opt, longfmt = 0, i, want = -1;
    long n;
    domid_t next = 0;
    yajl_gen g = NULL;

    optind = 1;
    while ( (opt = getopt(argc, argv, "+l")) != -1 )
    {
        if ( opt != 'l' )
            return usage_error("unknown option");
        longfmt = 1;
    }
    if ( optind + 1 < argc )
        return usage_error("too many arguments");
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
    {
        g = xj_new();
        if ( !g )
            return 1;
        yajl_gen_array_open(g);
    }
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
            if ( g )
                yajl_gen_free(g);
            return 1;
        }
        if ( n == 0 )
            break;
        for ( i = 0; i < n; i++ )
        {
            struct xen_domctl_getdomaininfo *d = &info[i];
            struct dying_info dy = { 0, -1, -1, -1 };
            char st[8], *name, note[200] = "";
            char uuid[37];
            int dying = !!(d->flags & XEN_DOMINF_dying);

            if ( want >= 0 && d->domain != want )
                continue;
            state_str(d, st);
            name = dom_name(d->domain);
            if ( dying )
            {
                dying_probe(d, &dy);
                dying_text(&dy, note, sizeof(note));
            }
            if ( longfmt )
            {
                uuid_unparse_lower(d->handle, uuid);
                yajl_gen_map_open(g);
                xj_kint(g, "domid", d->domain);
                xj_kstr(g, "name", name);
                xj_kstr(g, "uuid", uuid);
                xj_kstr(g, "state", st);
                xj_kint(g, "mem_kb", (long long)d->tot_pages * 4);
                xj_kint(g, "maxmem_kb", (long long)d->max_pages * 4);
                xj_kint(g, "vcpus", d->nr_online_vcpus);
                xj_kint(g, "cpu_time_ns", (long long)d->cpu_time);
                xj_kint(g, "shutdown_reason",
                        (d->flags & XEN_DOMINF_shutdown) ?
                        (int)xb_shutdown_reason(d) : -1);
                if ( dying )
                {
                    xj_key(g, "dying");
                    yajl_gen_map_open(g);
                    xj_kint(g, "frames_held", (long long)dy.frames);
                    xj_key(g, "store_introduced");
                    if ( dy.introduced < 0 )
                        xj_null(g);
                    else
                        xj_bool(g, dy.introduced);
                    xj_key(g, "store_node");
                    if ( dy.store_node < 0 )
                        xj_null(g);
                    else
                        xj_bool(g, dy.store_node);
                    xj_key(g, "consoled_mapped");
                    if ( dy.consoled < 0 )
                        xj_null(g);
                    else
                        xj_bool(g, dy.consoled);
                    xj_kstr(g, "summary", note);
                    yajl_gen_map_close(g);
                }
                yajl_gen_map_close(g);
            }
            else
                printf("%-32s %5u %7llu %5u %6s %9.1f%s%s\n", name, d->domain,
                       (unsigned long long)d->tot_pages / 256,
                       d->nr_online_vcpus, st, d->cpu_time / 1e9,
                       note[0] ? "  " : "", note);
            free(name);
        }
        next = info[n - 1].domain + 1;
    }
    if ( g )
    {
        yajl_gen_array_close(g);
        xj_flush(g, stdout);
    }
    return 0;
}

/* A domain other than dom0, by name or id. */
static int one_dom_lookup(const char *dom, int *domid)
{
    int rc = lookup(dom, domid);

    if ( rc )
        return rc;
    if ( *domid == 0 )
    {
        fprintf(stderr, "xenia %s: not for Domain-0\n", cur_verb->name);
        return 1;
    }
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
    r = dev_destroy_domain(xh, xsc, domid);
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
                dev_destroy_domain(xh, xsc, domid);
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
    int json = 0;
    long rc;

    if ( argc == 2 && !strcmp(argv[1], "--json") )
        json = 1;
    else if ( argc != 1 )
        return usage_error("unexpected argument '%s'", argv[1]);
    if ( open_hv(0) )
        return 1;
    rc = xn_physinfo(xh, &pi);
    if ( rc )
    {
        fprintf(stderr, "xenia info: XEN_SYSCTL_physinfo: %s\n",
                strerror(-rc));
        return 1;
    }
    if ( json )
    {
        yajl_gen g = xj_new();

        if ( !g )
            return 1;
        yajl_gen_map_open(g);
        xj_kint(g, "nr_cpus", pi.nr_cpus);
        xj_kint(g, "cpu_mhz", pi.cpu_khz / 1000);
        xj_kint(g, "total_memory_mib", (long long)pi.total_pages / 256);
        xj_kint(g, "free_memory_mib", (long long)pi.free_pages / 256);
        xj_kint(g, "total_pages", (long long)pi.total_pages);
        xj_kint(g, "free_pages", (long long)pi.free_pages);
        xj_kint(g, "scrub_pages", (long long)pi.scrub_pages);
        yajl_gen_map_close(g);
        return xj_flush(g, stdout) ? 1 : 0;
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

/* ------------------------------------------------------------------ */
/* reboot, dmesg, uptime, mem-set, mem-max, vcpu-list, vcpu-set, rename */

/* Read a store node of domain N ("memory/target"); malloc'd or NULL. */
static char *dom_read(int domid, const char *rel)
{
    char path[128];

    snprintf(path, sizeof(path), "/local/domain/%d/%s", domid, rel);
    return xs_read(xsc, 0, path, NULL);
}

static int dom_write(int domid, const char *rel, const char *val)
{
    char path[128];
    int rc;

    snprintf(path, sizeof(path), "/local/domain/%d/%s", domid, rel);
    rc = xs_write_str(xsc, 0, path, val);
    if ( rc )
        fprintf(stderr, "xenia %s: write %s: %s\n", cur_verb->name, path,
                strerror(-rc));
    return rc;
}

static int cmd_reboot(int argc, char **argv)
{
    int opt, wait = 0, domid = -1, rc, i, down = 0, nd;
    struct xen_domctl_getdomaininfo di;
    char *name, path[64], *mon;

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
    name = dom_name(domid);
    /* A PV guest watches control/shutdown (xl's way). */
    if ( dom_write(domid, "control/shutdown", "reboot") )
    {
        free(name);
        return 1;
    }
    if ( !wait )
    {
        free(name);
        return 0;
    }
    /* Until it went down, then until a domain of that name runs. */
    for ( i = 0; i < 1200; i++, usleep(100000) )
    {
        if ( !down )
        {
            if ( getinfo(domid, &di) == 0 &&
                 !(di.flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying)) )
            {
                if ( i == 600 )
                    break;     /* 60 s without a shutdown */
                continue;
            }
            down = 1;
            snprintf(path, sizeof(path), "/libxl/%d/monitor-pid", domid);
            mon = xs_read(xsc, 0, path, NULL);
            if ( !mon && getinfo(domid, &di) == 0 &&
                 !(di.flags & XEN_DOMINF_dying) )
            {
                fprintf(stderr, "xenia reboot: domain %d shut down but has "
                        "no monitor to restart it (not created by xenia "
                        "create?); left as it is\n", domid);
                free(name);
                return 1;
            }
            free(mon);
            i = 0;             /* 120 s more for the new domain */
            continue;
        }
        nd = xn_domid_by_name(xh, xsc, name);
        if ( nd >= 0 && nd != domid && getinfo(nd, &di) == 0 &&
             !(di.flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying |
                           XEN_DOMINF_paused)) )
        {
            printf("Domain %s rebooted: id %d -> %d\n", name, domid, nd);
            free(name);
            return 0;
        }
    }
    fprintf(stderr, "xenia reboot: %s\n", down ?
            "the domain went down but did not come back in 120 s "
            "(on_reboot is not restart? see /var/log/xenia/monitor-NAME.log)" :
            "the domain did not shut down in 60 s (hint: does the guest run "
            "a xenbus driver?)");
    free(name);
    return 1;
}

static int cmd_dmesg(int argc, char **argv)
{
    struct xen_sysctl op;
    static char buf[32768];
    int opt, clear = 0, first = 1;
    uint32_t index = 0;
    long rc;

    optind = 1;
    while ( (opt = getopt(argc, argv, "+c")) != -1 )
    {
        if ( opt != 'c' )
            return usage_error("unknown option");
        clear = 1;
    }
    if ( optind < argc )
        return usage_error("unexpected argument '%s'", argv[optind]);
    if ( open_hv(0) )
        return 1;
    for ( ;; )
    {
        memset(&op, 0, sizeof(op));
        /* From the oldest byte held, then on from where we got to. */
        op.u.readconsole.incremental = !first;
        op.u.readconsole.index = index;
        op.u.readconsole.clear = clear;
        op.u.readconsole.count = sizeof(buf);
        set_xen_guest_handle(op.u.readconsole.buffer, buf);
        rc = xn_sysctl_op(xh, XEN_SYSCTL_readconsole, &op);
        if ( rc )
        {
            fprintf(stderr, "xenia dmesg: XEN_SYSCTL_readconsole: %s\n",
                    strerror(-rc));
            return 1;
        }
        if ( op.u.readconsole.count == 0 )
            break;
        if ( fwrite(buf, 1, op.u.readconsole.count, stdout) !=
             op.u.readconsole.count )
            return 1;
        index = op.u.readconsole.index;
        first = 0;
    }
    return 0;
}

static void fmt_uptime(double secs, char *out, size_t len)
{
    unsigned long s = secs > 0 ? (unsigned long)secs : 0;
    unsigned long d = s / 86400;

    s %= 86400;
    if ( d )
        snprintf(out, len, "%lu day%s, %lu:%02lu:%02lu", d, d == 1 ? "" : "s",
                 s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

/* Seconds since the domain was created, or -1 if unknown. */
static double dom_uptime(int domid)
{
    struct timespec now;
    char *vm, path[128], *v;
    double start = -1;

    if ( domid == 0 )
    {
        FILE *f = fopen("/proc/uptime", "r");
        double up = -1;

        if ( f )
        {
            if ( fscanf(f, "%lf", &up) != 1 )
                up = -1;
            fclose(f);
        }
        return up;
    }
    vm = dom_read(domid, "vm");
    if ( !vm )
        return -1;
    snprintf(path, sizeof(path), "%s/start_time", vm);
    free(vm);
    v = xs_read(xsc, 0, path, NULL);
    if ( v )
        start = strtod(v, NULL);
    free(v);
    if ( start <= 0 )
        return -1;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec + now.tv_nsec / 1e9 - start;
}

static int cmd_uptime(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info[128];
    char up[64], *name;
    int i, domid, rc;
    long n, k;
    domid_t next = 0;
    double u;

    if ( open_hv(1) )
        return 1;
    for ( i = 1; i < argc; i++ )       /* check them all first */
    {
        rc = lookup(argv[i], &domid);
        if ( rc )
            return rc;
    }
    printf("%-32s %5s %s\n", "Name", "ID", "Uptime");
    if ( argc > 1 )
    {
        for ( i = 1; i < argc; i++ )
        {
            lookup(argv[i], &domid);
            u = dom_uptime(domid);
            name = dom_name(domid);
            if ( u < 0 )
                snprintf(up, sizeof(up), "- (no start_time in the store)");
            else
                fmt_uptime(u, up, sizeof(up));
            printf("%-32s %5d %s\n", name, domid, up);
            free(name);
        }
        return 0;
    }
    for ( ;; )
    {
        n = xn_domain_list(xh, next, info, 128);
        if ( n < 0 )
        {
            fprintf(stderr, "xenia uptime: XEN_SYSCTL_getdomaininfolist: "
                    "%s\n", strerror(-n));
            return 1;
        }
        if ( n == 0 )
            break;
        for ( k = 0; k < n; k++ )
        {
            u = dom_uptime(info[k].domain);
            name = dom_name(info[k].domain);
            if ( u < 0 )
                snprintf(up, sizeof(up), "- (no start_time in the store)");
            else
                fmt_uptime(u, up, sizeof(up));
            printf("%-32s %5u %s\n", name, info[k].domain, up);
            free(name);
        }
        next = info[n - 1].domain + 1;
    }
    return 0;
}

/*
 * SIZE as xl reads it: a number with an optional unit, b, k, m, g or t
 * (case-insensitive), MiB without one.  In KiB; 0 or -1.
 */
static int parse_size_kb(const char *s, unsigned long long *kb)
{
    char *end;
    unsigned long long v;
    unsigned int shift;

    if ( !isdigit((unsigned char)*s) )
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if ( errno )
        return -1;
    switch ( tolower((unsigned char)*end) )
    {
    case 'b':
        *kb = v / 1024;
        return end[1] ? -1 : 0;
    case 'k': shift = 0; break;
    case '\0':
    case 'm': shift = 10; break;
    case 'g': shift = 20; break;
    case 't': shift = 30; break;
    default: return -1;
    }
    if ( *end && end[1] )
        return -1;
    if ( v > (1ULL << 40) >> shift )
        return -1;
    *kb = v << shift;
    return 0;
}

static int set_max_mem(int domid, unsigned long long kb)
{
    struct xen_domctl op = { 0 };
    long rc;

    op.u.max_mem.max_memkb = kb;
    rc = xn_domctl_op(xh, XEN_DOMCTL_max_mem, domid, &op);
    if ( rc )
        fprintf(stderr, "xenia %s: XEN_DOMCTL_max_mem of domain %d to "
                "%llu KiB: %s\n", cur_verb->name, domid, kb, strerror(-rc));
    return rc ? 1 : 0;
}

/* DOM SIZE for mem-set / mem-max (after the options). */
static int dom_size(int argc, char **argv, int *domid,
                    unsigned long long *kb)
{
    int rc;

    if ( argc != 3 )
        return usage_error(argc < 3 ? "expected a domain and a size"
                           : "too many arguments");
    if ( parse_size_kb(argv[2], kb) || *kb < 1024 )
        return usage_error("bad size '%s' (a number with an optional unit "
                           "b, k, m, g, t; MiB without one; at least 1 MiB)",
                           argv[2]);
    if ( open_hv(1) )
        return 1;
    rc = lookup(argv[1], domid);
    if ( rc )
        return rc;
    return 0;
}

static int cmd_mem_set(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo di;
    unsigned long long kb, max_kb = 0, act = 0;
    int opt, wait = 0, domid = -1, rc, i, tries;
    char *v, num[32];

    optind = 1;
    while ( (opt = getopt(argc, argv, "+w")) != -1 )
    {
        if ( opt != 'w' )
            return usage_error("unknown option");
        wait = 1;
    }
    rc = dom_size(argc - optind + 1, argv + optind - 1, &domid, &kb);
    if ( rc )
        return rc;
    v = dom_read(domid, "memory/static-max");
    if ( v )
        max_kb = strtoull(v, NULL, 10);
    free(v);
    if ( getinfo(domid, &di) )
    {
        fprintf(stderr, "xenia mem-set: domain %d vanished\n", domid);
        return EXIT_NODOM;
    }
    if ( !max_kb )
        max_kb = di.max_pages * 4;
    if ( kb > max_kb )
    {
        fprintf(stderr, "xenia mem-set: %llu KiB is above the domain's "
                "maximum (%llu KiB, memory/static-max; raise it with "
                "'xenia mem-max')\n", kb, max_kb);
        return 1;
    }
    /* The hypervisor's limit is never lowered here (xl's habit): the
     * guest gives memory back through its balloon. */
    if ( kb > di.max_pages * 4 && set_max_mem(domid, kb) )
        return 1;
    snprintf(num, sizeof(num), "%llu", kb);
    if ( dom_write(domid, "memory/target", num) )
        return 1;
    /* Does the balloon follow?  A few seconds, or 60 with -w. */
    tries = wait ? 600 : 30;
    for ( i = 0; i < tries; i++ )
    {
        if ( getinfo(domid, &di) )
            break;
        act = di.tot_pages * 4;
        /* within 1 MiB + 1%: the guest counts some pages differently */
        if ( act <= kb + 1024 + kb / 100 && act + 1024 + kb / 100 >= kb )
            break;
        usleep(100000);
    }
    printf("domain %d: target %llu KiB, actual %llu KiB (tot_pages)\n",
           domid, kb, act);
    if ( i == tries )
    {
        printf("the guest's balloon has not followed in %d s (%s by %llu "
               "KiB)%s\n", tries / 10, act > kb ? "above" : "below",
               act > kb ? act - kb : kb - act,
               wait ? "" : "; -w waits up to 60 s");
        return wait ? 1 : 0;
    }
    return 0;
}

static int cmd_mem_max(int argc, char **argv)
{
    unsigned long long kb, target = 0;
    int domid = -1, rc;
    char *v, num[32];

    rc = dom_size(argc, argv, &domid, &kb);
    if ( rc )
        return rc;
    v = dom_read(domid, "memory/target");
    if ( v )
        target = strtoull(v, NULL, 10);
    free(v);
    if ( kb < target )
    {
        fprintf(stderr, "xenia mem-max: %llu KiB is below the domain's "
                "target (%llu KiB, memory/target; lower it with 'xenia "
                "mem-set' first)\n", kb, target);
        return 1;
    }
    if ( set_max_mem(domid, kb) )
        return 1;
    snprintf(num, sizeof(num), "%llu", kb);
    return dom_write(domid, "memory/static-max", num) ? 1 : 0;
}

/* A CPU bitmap as "all" or a list "0-1,3". */
static void cpumap_str(const uint8_t *map, unsigned int nr, char *out,
                       size_t len)
{
    unsigned int i, j, n = 0, all = 1;
    size_t k = 0;

    for ( i = 0; i < nr; i++ )
        if ( !(map[i / 8] & (1U << (i % 8))) )
            all = 0;
    if ( all )
    {
        snprintf(out, len, "all");
        return;
    }
    out[0] = '\0';
    for ( i = 0; i < nr && k + 16 < len; i = j )
    {
        if ( !(map[i / 8] & (1U << (i % 8))) )
        {
            j = i + 1;
            continue;
        }
        for ( j = i + 1; j < nr && (map[j / 8] & (1U << (j % 8))); j++ )
            ;
        k += snprintf(out + k, len - k, "%s%u", n++ ? "," : "", i);
        if ( j - 1 > i )
            k += snprintf(out + k, len - k, "-%u", j - 1);
    }
    if ( !n )
        snprintf(out, len, "none");
}

static void vcpu_list_dom(const struct xen_domctl_getdomaininfo *d,
                          unsigned int nr_cpus)
{
    struct xen_domctl op;
    uint8_t hard[64], soft[64];
    char *name = dom_name(d->domain), ha[128], sa[128], cpu[8];
    unsigned int v;

    if ( nr_cpus > sizeof(hard) * 8 )
        nr_cpus = sizeof(hard) * 8;
    for ( v = 0; v <= d->max_vcpu_id; v++ )
    {
        struct xen_domctl_getvcpuinfo vi;

        memset(&op, 0, sizeof(op));
        op.u.getvcpuinfo.vcpu = v;
        if ( xn_domctl_op(xh, XEN_DOMCTL_getvcpuinfo, d->domain, &op) )
            continue;          /* not allocated */
        vi = op.u.getvcpuinfo;
        memset(&op, 0, sizeof(op));
        memset(hard, 0, sizeof(hard));
        memset(soft, 0, sizeof(soft));
        op.u.vcpuaffinity.vcpu = v;
        op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD |
                                  XEN_VCPUAFFINITY_SOFT;
        set_xen_guest_handle(op.u.vcpuaffinity.cpumap_hard.bitmap, hard);
        set_xen_guest_handle(op.u.vcpuaffinity.cpumap_soft.bitmap, soft);
        op.u.vcpuaffinity.cpumap_hard.nr_bits = nr_cpus;
        op.u.vcpuaffinity.cpumap_soft.nr_bits = nr_cpus;
        if ( xn_domctl_op(xh, XEN_DOMCTL_getvcpuaffinity, d->domain, &op) )
        {
            strcpy(ha, "?");
            strcpy(sa, "?");
        }
        else
        {
            cpumap_str(hard, nr_cpus, ha, sizeof(ha));
            cpumap_str(soft, nr_cpus, sa, sizeof(sa));
        }
        if ( vi.online )
            snprintf(cpu, sizeof(cpu), "%u", vi.cpu);
        else
            strcpy(cpu, "-");
        printf("%-32s %5u %5u %5s   %c%c%c  %9.1f  %s / %s\n", name,
               d->domain, v, cpu, vi.running ? 'r' : '-',
               vi.blocked ? 'b' : '-', vi.online ? '-' : 'p',
               vi.cpu_time / 1e9, ha, sa);
    }
    free(name);
}

static int cmd_vcpu_list(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo info[128];
    struct xen_sysctl_physinfo pi;
    int domid = -1, rc, i;
    long n;
    domid_t next = 0;

    if ( argc > 2 )
        return usage_error("too many arguments");
    if ( open_hv(1) )
        return 1;
    if ( argc == 2 )
    {
        rc = lookup(argv[1], &domid);
        if ( rc )
            return rc;
    }
    rc = xn_physinfo(xh, &pi);
    if ( rc )
    {
        fprintf(stderr, "xenia vcpu-list: XEN_SYSCTL_physinfo: %s\n",
                strerror(-rc));
        return 1;
    }
    printf("%-32s %5s %5s %5s %5s  %9s  %s\n", "Name", "ID", "VCPU", "CPU",
           "State", "Time(s)", "Affinity (Hard / Soft)");
    for ( ;; )
    {
        n = xn_domain_list(xh, next, info, 128);
        if ( n < 0 )
        {
            fprintf(stderr, "xenia vcpu-list: XEN_SYSCTL_getdomaininfolist: "
                    "%s\n", strerror(-n));
            return 1;
        }
        if ( n == 0 )
            break;
        for ( i = 0; i < n; i++ )
            if ( domid < 0 || info[i].domain == domid )
                vcpu_list_dom(&info[i], pi.max_cpu_id + 1);
        next = info[n - 1].domain + 1;
    }
    return 0;
}

static int cmd_vcpu_set(int argc, char **argv)
{
    struct xen_domctl_getdomaininfo di;
    char rel[64], *end;
    unsigned int i, max;
    int domid = -1, rc;
    long nv;

    if ( argc != 3 )
        return usage_error(argc < 3 ? "expected a domain and a count"
                           : "too many arguments");
    nv = strtol(argv[2], &end, 10);
    if ( !isdigit((unsigned char)argv[2][0]) || *end || nv < 1 )
        return usage_error("bad vCPU count '%s' (a number, at least 1)",
                           argv[2]);
    if ( open_hv(1) )
        return 1;
    rc = lookup(argv[1], &domid);
    if ( rc )
        return rc;
    if ( getinfo(domid, &di) )
    {
        fprintf(stderr, "xenia vcpu-set: domain %d vanished\n", domid);
        return EXIT_NODOM;
    }
    max = di.max_vcpu_id + 1;
    if ( nv > (long)max )
    {
        fprintf(stderr, "xenia vcpu-set: %ld vCPUs requested, the domain "
                "has at most %u (maxvcpus)\n", nv, max);
        return 1;
    }
    /* The guest's xenbus driver brings vCPUs up and down on these. */
    for ( i = 0; i < max; i++ )
    {
        snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
        if ( dom_write(domid, rel, i < nv ? "online" : "offline") )
            return 1;
    }
    return 0;
}

static int cmd_rename(int argc, char **argv)
{
    const char *why;
    char *vm, path[160];
    int domid = -1, rc, other;

    if ( argc != 3 )
        return usage_error(argc < 3 ? "expected a domain and a new name"
                           : "too many arguments");
    why = cfg_name_problem(argv[2]);
    if ( why )
    {
        fprintf(stderr, "xenia rename: name '%s': %s\n", argv[2], why);
        return 1;
    }
    rc = one_dom(2, argv, 1, &domid);
    if ( rc )
        return rc;
    other = xn_domid_by_name(xh, xsc, argv[2]);
    if ( other >= 0 )
    {
        if ( other == domid )
            return 0;          /* already so named */
        fprintf(stderr, "xenia rename: a domain named '%s' already exists "
                "(id %d)\n", argv[2], other);
        return 1;
    }
    if ( dom_write(domid, "name", argv[2]) )
        return 1;
    vm = dom_read(domid, "vm");
    if ( vm && !strncmp(vm, "/vm/", 4) && strlen(vm) < 100 )
    {
        snprintf(path, sizeof(path), "%s/name", vm);
        rc = xs_write_str(xsc, 0, path, argv[2]);
        if ( rc )
            fprintf(stderr, "xenia rename: write %s: %s (the domain is "
                    "renamed in /local/domain)\n", path, strerror(-rc));
    }
    free(vm);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Devices of a running guest (xl's block-* and network-* verbs).      */

/* DOMAIN SPEC / DOMAIN ID: argc must be 3 (after options at optind). */
static int dev_dom(int argc, char **argv, int *domid)
{
    if ( argc - optind != 2 )
        return usage_error(argc - optind < 2 ? "missing arguments"
                                             : "too many arguments");
    if ( open_hv(1) )
        return 1;
    return one_dom_lookup(argv[optind], domid);
}

static int cmd_block_attach(int argc, char **argv)
{
    struct xdisk d;
    char buf[512], err[512];
    const char *why;
    struct stat st;
    int domid, rc;

    optind = 1;
    if ( argc != 3 )
        return usage_error(argc < 3 ? "missing arguments"
                                    : "too many arguments (quote the spec)");
    why = cfg_parse_disk(argv[2], &d, buf, sizeof(buf));
    if ( why )
    {
        fprintf(stderr, "xenia block-attach: disk spec '%s': %s\n", argv[2],
                why);
        return 1;
    }
    if ( stat(d.target, &st) ||
         access(d.target, d.readonly ? R_OK : R_OK | W_OK) )
    {
        fprintf(stderr, "xenia block-attach: %s: %s\n", d.target,
                strerror(errno));
        return 1;
    }
    if ( !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) )
    {
        fprintf(stderr, "xenia block-attach: %s: not a regular file or "
                "block device\n", d.target);
        return 1;
    }
    if ( (rc = dev_dom(argc, argv, &domid)) )
        return rc;
    if ( dev_disk_add(xsc, domid, &d, err, sizeof(err)) )
    {
        fprintf(stderr, "xenia block-attach: %s\n", err);
        return 1;
    }
    return 0;
}

/* -f and the device timeout for the detach verbs. */
static int detach_opts(int argc, char **argv, int *force)
{
    int opt;

    optind = 1;
    *force = 0;
    while ( (opt = getopt(argc, argv, "+f")) != -1 )
    {
        if ( opt != 'f' )
            return usage_error("unknown option");
        *force = 1;
    }
    return 0;
}

static int cmd_block_detach(int argc, char **argv)
{
    char err[512], *end;
    int domid, rc, force, devid;

    if ( (rc = detach_opts(argc, argv, &force)) ||
         (rc = dev_dom(argc, argv, &domid)) )
        return rc;
    devid = cfg_vdev_devid(argv[optind + 1]);
    if ( devid < 0 )
    {
        long v = strtol(argv[optind + 1], &end, 10);

        if ( !*argv[optind + 1] || *end || v <= 0 || v > 0x7fffffff )
        {
            fprintf(stderr, "xenia block-detach: '%s' is neither a vdev "
                    "(xvdb) nor a device number (51728)\n",
                    argv[optind + 1]);
            return 1;
        }
        devid = v;
    }
    if ( dev_detach(xsc, domid, "vbd", devid, force ? 0 : 10000, err,
                    sizeof(err)) )
    {
        fprintf(stderr, "xenia block-detach: %s%s\n", err,
                strstr(err, "not detached") ? " (-f removes it anyway)" : "");
        return 1;
    }
    return 0;
}

static int cmd_block_list(int argc, char **argv)
{
    int domid, rc = one_dom(argc, argv, 1, &domid);

    return rc ? rc : dev_list(xsc, domid, "vbd");
}

static int cmd_network_attach(int argc, char **argv)
{
    struct xcfg c;
    char buf[512], err[512], path[96], **names;
    const char *why;
    unsigned int n, i, next = 0;
    int domid, rc;

    optind = 1;
    if ( argc < 2 || argc > 3 )
        return usage_error(argc < 2 ? "no domain given"
                                    : "too many arguments (quote the spec)");
    memset(&c, 0, sizeof(c));
    why = cfg_parse_vif(argc == 3 ? argv[2] : "", &c.vifs[0], buf,
                        sizeof(buf));
    if ( why )
    {
        fprintf(stderr, "xenia network-attach: vif spec '%s': %s\n",
                argv[2], why);
        return 1;
    }
    c.nvifs = 1;
    if ( dev_check_backends(&c, err, sizeof(err)) )
    {
        fprintf(stderr, "xenia network-attach: %s\n", err);
        return 1;
    }
    if ( open_hv(1) )
        return 1;
    if ( (rc = one_dom_lookup(argv[1], &domid)) )
        return rc;
    /* The next free index, as xl: one past the highest in use. */
    snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%d", domid);
    if ( !xs_directory(xsc, 0, path, &names, &n) )
    {
        for ( i = 0; i < n; i++ )
            if ( (unsigned int)atoi(names[i]) >= next )
                next = atoi(names[i]) + 1;
        free(names);
    }
    snprintf(path, sizeof(path), "/local/domain/%d/device/vif", domid);
    if ( !xs_directory(xsc, 0, path, &names, &n) )
    {
        for ( i = 0; i < n; i++ )
            if ( (unsigned int)atoi(names[i]) >= next )
                next = atoi(names[i]) + 1;
        free(names);
    }
    c.vifs[0].devid = next;
    dev_fill_macs(&c);
    if ( dev_vif_add(xsc, domid, &c.vifs[0], err, sizeof(err)) )
    {
        fprintf(stderr, "xenia network-attach: %s\n", err);
        return 1;
    }
    printf("vif %u: mac %s, bridge %s\n", next, c.vifs[0].mac,
           c.vifs[0].bridge);
    return 0;
}

static int cmd_network_detach(int argc, char **argv)
{
    char err[512], path[96], **names, *end;
    const char *arg;
    unsigned int n, i;
    int domid, rc, force, devid = -1;

    if ( (rc = detach_opts(argc, argv, &force)) ||
         (rc = dev_dom(argc, argv, &domid)) )
        return rc;
    arg = argv[optind + 1];
    if ( strchr(arg, ':') )
    {
        if ( cfg_mac_problem(arg) )
        {
            fprintf(stderr, "xenia network-detach: '%s' is not a MAC "
                    "address\n", arg);
            return 1;
        }
        snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%d",
                 domid);
        if ( !xs_directory(xsc, 0, path, &names, &n) )
        {
            for ( i = 0; i < n && devid < 0; i++ )
            {
                char p[160], *mac;

                snprintf(p, sizeof(p), "%s/%s/mac", path, names[i]);
                mac = xs_read(xsc, 0, p, NULL);
                if ( mac && !strcasecmp(mac, arg) )
                    devid = atoi(names[i]);
                free(mac);
            }
            free(names);
        }
        if ( devid < 0 )
        {
            fprintf(stderr, "xenia network-detach: domain %d has no vif "
                    "with mac %s\n", domid, arg);
            return 1;
        }
    }
    else
    {
        long v = strtol(arg, &end, 10);

        if ( !*arg || *end || v < 0 || v > 0xffff )
        {
            fprintf(stderr, "xenia network-detach: '%s' is neither a MAC "
                    "nor a vif index\n", arg);
            return 1;
        }
        devid = v;
    }
    if ( dev_detach(xsc, domid, "vif", devid, force ? 0 : 10000, err,
                    sizeof(err)) )
    {
        fprintf(stderr, "xenia network-detach: %s%s\n", err,
                strstr(err, "not detached") ? " (-f removes it anyway)" : "");
        return 1;
    }
    return 0;
}

static int cmd_network_list(int argc, char **argv)
{
    int domid, rc = one_dom(argc, argv, 1, &domid);

    return rc ? rc : dev_list(xsc, domid, "vif");
}

#ifdef XENIA_HAVE_TOP
static int cmd_top(int argc, char **argv)
{
    return xn_top_main(argc, argv);
}
#endif

static int cmd_help(int argc, char **argv);

static const struct verb verbs[] = {
    { "create", cmd_create, "[-c] [-p] [-n] CFG [key=value...]",
      "Create a domain from an xl.cfg file or a libvirt domain XML (told\n"
      "apart by content); key=value settings override the file.\n"
      "-p leaves it paused, -n only resolves and checks the\n"
      "config and kernel (no hypervisor needed) and prints it as JSON,\n"
      "-c attaches the console once the domain exists (xenia console)." },
    { "destroy", cmd_destroy, "DOMAIN",
      "Destroy a domain at once and remove its store entries." },
    { "list", cmd_list, "[-l] [DOMAIN]",
      "List domains: name, id, memory (MiB), vCPUs, state, CPU time.\n"
      "A dying domain's line says what still holds it.  -l prints JSON." },
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
    { "reboot", cmd_reboot, "[-w] DOMAIN",
      "Ask a domain to reboot (control/shutdown = reboot).  Its monitor\n"
      "applies on_reboot (restart: a new domain, new id, same config and\n"
      "UUID).  -w waits until the new domain runs (120 s)." },
    { "dmesg", cmd_dmesg, "[-c]",
      "Print the hypervisor's console ring (XEN_SYSCTL_readconsole);\n"
      "-c clears what was read." },
    { "uptime", cmd_uptime, "[DOMAIN...]",
      "Name, id and uptime of every domain (or those named), from the\n"
      "start time create writes to /vm/UUID/start_time; dom0: the host's\n"
      "/proc/uptime." },
    { "mem-set", cmd_mem_set, "[-w] DOMAIN SIZE",
      "Set a domain's memory target (memory/target); the guest's balloon\n"
      "driver follows.  SIZE: a number with b, k, m, g or t (MiB without\n"
      "one), at most memory/static-max.  Prints target and actual memory\n"
      "and says when the balloon has not followed within 3 s (-w: 60 s,\n"
      "then exit 1).  The hypervisor's limit is raised if needed, never\n"
      "lowered." },
    { "mem-max", cmd_mem_max, "DOMAIN SIZE",
      "Set a domain's maximum memory (XEN_DOMCTL_max_mem and\n"
      "memory/static-max); not below its target.  SIZE as for mem-set." },
    { "vcpu-list", cmd_vcpu_list, "[DOMAIN]",
      "List vCPUs: domain, vCPU, physical CPU, state (r running,\n"
      "b blocked, p offline), CPU time, hard / soft affinity." },
    { "vcpu-set", cmd_vcpu_set, "DOMAIN N",
      "Set how many vCPUs a domain has online (cpu/I/availability; the\n"
      "guest brings them up or down); N at most its maxvcpus." },
    { "rename", cmd_rename, "DOMAIN NEWNAME",
      "Rename a domain (its store name and /vm/UUID/name; its monitor\n"
      "restarts it under the new name).  The name rules are create's;\n"
      "a name in use is refused." },
    { "block-attach", cmd_block_attach, "DOMAIN DISKSPEC",
      "Hot-plug a disk into a running guest.  DISKSPEC as an xl.cfg disk=\n"
      "entry ('vdev=xvdb,access=r,target=/img'); see docs/man/xenia.cfg.md." },
    { "block-detach", cmd_block_detach, "[-f] DOMAIN VDEV|DEVID",
      "Unplug a disk: the backend goes Closing, the guest has 10 s to\n"
      "close it (a disk in use is refused and left attached); then its\n"
      "store nodes and loop device go.  -f removes it without waiting." },
    { "block-list", cmd_block_list, "DOMAIN",
      "List a guest's disks: vdev, backend domain, handle, frontend state,\n"
      "event channel, ring reference, backend path." },
    { "network-attach", cmd_network_attach, "DOMAIN [VIFSPEC]",
      "Hot-plug a network interface ('mac=..,bridge=..,backendtype=..' as\n"
      "an xl.cfg vif= entry); the next free index; prints it and its MAC." },
    { "network-detach", cmd_network_detach, "[-f] DOMAIN MAC|DEVID",
      "Unplug a network interface, as block-detach." },
    { "network-list", cmd_network_list, "DOMAIN",
      "List a guest's network interfaces: index, backend domain, MAC,\n"
      "handle, frontend state, event channel, ring references, backend." },
#ifdef XENIA_HAVE_TOP
    { "top", cmd_top,
      "[-b] [-i N] [-d SECS] [-s COL] [-r] [-f] [--filter PATTERN] [--json]",
      "Watch the domains as xentop does: NAME, STATE, CPU, memory, vCPUs,\n"
      "network and block devices.  Interactive (keys: q quit, s/S sort\n"
      "column, r reverse, n full names, d delay, h help) or batch (-b):\n"
      "-i N intervals, -d SECS between them, -s COL sort by COL (id,\n"
      "name, state, cpu, cpu%, mem, mem%, maxmem, maxmem%, vcpus, ...),\n"
      "-r reversed, -f full names, --filter a glob or regex on names,\n"
      "--json one JSON document (xenia-top/1) per interval.  See\n"
      "docs/man/xenia-top.md." },
#endif
    { "info", cmd_info, "[--json]",
      "Print host information (--json: as a JSON object)." },
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
