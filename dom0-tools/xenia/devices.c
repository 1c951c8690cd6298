/*
 * devices.c: disks (vbd) and network interfaces (vif) of a guest.
 *
 * The store layout is xl's (docs/pv-drivers.md, docs/toolstack.md):
 * backend /local/domain/0/backend/KIND/DOMID/DEVID (owner dom0, the
 * guest may read), frontend /local/domain/DOMID/device/KIND/DEVID (owner
 * the guest, dom0 may read), and the toolstack's own notes under
 * /libxl/DOMID/device/KIND/DEVID.  Written in three transactions, in the
 * order a running guest needs: the backend without its type, the
 * frontend, then the backend's type (the user-space backends adopt a
 * device when its type names them).
 *
 * Backends: "xenia" devices are served by xenia-blkback / xenia-netback
 * (started here once, pidfile /run/NAME.pid); "phy" disks and "kernel"
 * vifs by Linux's xen-blkback / xen-netback, for which this file does
 * what xl's hotplug scripts do (a loop device for an image file and its
 * physical-device node; the vif joined to its bridge, hotplug-status).
 * The kernel modules must be loaded (modprobe is tried; dom0's /sys/module
 * is what counts).
 */
#include "devices.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BE_ROOT "/local/domain/0/backend"

static int emsg(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int emsg(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Helper programs (losetup, ip, modprobe).                            */

/*
 * Run argv; its stdout (first line, newline stripped) into out if out.
 * stderr goes to ours.  The exit status, or -1 if it could not run.
 */
static int run(char *const argv[], char *out, size_t outlen)
{
    int fds[2], st;
    pid_t pid;
    size_t n = 0;

    if ( pipe(fds) )
        return -1;
    pid = fork();
    if ( pid < 0 )
    {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if ( pid == 0 )
    {
        int nul = open("/dev/null", O_RDONLY);

        dup2(nul, 0);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "xenia: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    for ( ;; )
    {
        char buf[256];
        ssize_t r = read(fds[0], buf, sizeof(buf));

        if ( r < 0 && errno == EINTR )
            continue;
        if ( r <= 0 )
            break;
        if ( out && n + 1 < outlen )
        {
            size_t k = (size_t)r < outlen - 1 - n ? (size_t)r
                                                   : outlen - 1 - n;

            memcpy(out + n, buf, k);
            n += k;
        }
    }
    close(fds[0]);
    if ( out && outlen )
    {
        out[n] = '\0';
        out[strcspn(out, "\n")] = '\0';
    }
    while ( waitpid(pid, &st, 0) < 0 )
        if ( errno != EINTR )
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ------------------------------------------------------------------ */
/* User-space backends.                                                */

/* The program: /usr/local/bin, next to this binary, or ../pv-drivers/. */
static int find_backend(const char *name, char *path, size_t len,
                        char *where, size_t wlen)
{
    char self[512], dir[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    const char *cands[3];
    char c1[700], c2[700], c3[700];
    unsigned int i;

    snprintf(c1, sizeof(c1), "/usr/local/bin/%s", name);
    cands[0] = c1;
    cands[1] = cands[2] = NULL;
    snprintf(where, wlen, "/usr/local/bin");
    if ( n > 0 )
    {
        char *slash;

        self[n] = '\0';
        snprintf(dir, sizeof(dir), "%s", self);
        slash = strrchr(dir, '/');
        if ( slash )
            *slash = '\0';
        snprintf(c2, sizeof(c2), "%s/%s", dir, name);
        cands[1] = c2;
        snprintf(where, wlen, "/usr/local/bin, %s, %s/../pv-drivers", dir,
                 dir);
        snprintf(c3, sizeof(c3), "%s/../pv-drivers/%s", dir, name);
        cands[2] = c3;
    }
    for ( i = 0; i < 3; i++ )
        if ( cands[i] && !access(cands[i], X_OK) )
        {
            snprintf(path, len, "%s", cands[i]);
            return 0;
        }
    return -1;
}

/* A process called name runs (its pidfile, else /proc/PID/comm). */
static int daemon_running(const char *name)
{
    char p[300], comm[64];
    FILE *f;
    DIR *d;
    struct dirent *e;
    int found = 0;

    snprintf(p, sizeof(p), "/run/%s.pid", name);
    f = fopen(p, "r");
    if ( f )
    {
        long pid = 0;

        if ( fscanf(f, "%ld", &pid) == 1 && pid > 0 && !kill(pid, 0) )
            found = 1;
        fclose(f);
        if ( found )
            return 1;
    }
    d = opendir("/proc");
    if ( !d )
        return 0;
    while ( !found && (e = readdir(d)) )
    {
        if ( e->d_name[0] < '1' || e->d_name[0] > '9' )
            continue;
        snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
        f = fopen(p, "r");
        if ( !f )
            continue;
        if ( fgets(comm, sizeof(comm), f) )
        {
            comm[strcspn(comm, "\n")] = '\0';
            found = !strcmp(comm, name);
        }
        fclose(f);
    }
    closedir(d);
    return found;
}

/* Start name (daemon form, serving every device of type xenia). */
static int ensure_daemon(const char *name, char *err, size_t len)
{
    char path[700], where[1200], pidfile[128], logf[128];
    pid_t pid;
    int st;
    long t0;

    if ( daemon_running(name) )
        return 0;
    if ( find_backend(name, path, sizeof(path), where, sizeof(where)) )
        return emsg(err, len, "the backend %s is not installed (looked in "
                    "%s)", name, where);
    snprintf(pidfile, sizeof(pidfile), "/run/%s.pid", name);
    mkdir("/var/log/xenia", 0755);
    snprintf(logf, sizeof(logf), "/var/log/xenia/%s.log", name);
    pid = fork();
    if ( pid < 0 )
        return emsg(err, len, "fork: %s", strerror(errno));
    if ( pid == 0 )
    {
        int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0640);
        int nul = open("/dev/null", O_RDWR);

        setsid();
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(fd >= 0 ? fd : nul, 2);
        execl(path, name, "--pidfile", pidfile, (char *)NULL);
        _exit(127);
    }
    /* It daemonises: the first process exits at once. */
    while ( waitpid(pid, &st, 0) < 0 && errno == EINTR )
        ;
    if ( !WIFEXITED(st) || WEXITSTATUS(st) )
        return emsg(err, len, "%s did not start (exit %d; see %s)", path,
                    WIFEXITED(st) ? WEXITSTATUS(st) : -1, logf);
    for ( t0 = now_ms(); now_ms() - t0 < 5000; usleep(20000) )
        if ( daemon_running(name) )
            return 0;
    return emsg(err, len, "%s started but wrote no %s within 5 s (see %s)",
                path, pidfile, logf);
}

const char *dev_check_backends(const struct xcfg *c, char *buf, size_t len)
{
    char path[700], where[1200];
    unsigned int i;
    int blk = 0, net = 0;

    for ( i = 0; i < c->ndisks; i++ )
        blk |= !strcmp(c->disks[i].backendtype, "xenia");
    for ( i = 0; i < c->nvifs; i++ )
        net |= !strcmp(c->vifs[i].backendtype, "xenia");
    if ( blk && !daemon_running("xenia-blkback") &&
         find_backend("xenia-blkback", path, sizeof(path), where,
                      sizeof(where)) )
    {
        snprintf(buf, len, "disks with backendtype=xenia need the backend "
                 "xenia-blkback, which is not installed (looked in %s)",
                 where);
        return buf;
    }
    if ( net && !daemon_running("xenia-netback") &&
         find_backend("xenia-netback", path, sizeof(path), where,
                      sizeof(where)) )
    {
        snprintf(buf, len, "vifs with backendtype=xenia need the backend "
                 "xenia-netback, which is not installed (looked in %s)",
                 where);
        return buf;
    }
    return NULL;
}

void dev_fill_macs(struct xcfg *c)
{
    unsigned int i;
    unsigned char r[3] = { 0 };
    int fd = open("/dev/urandom", O_RDONLY);

    for ( i = 0; i < c->nvifs; i++ )
    {
        if ( c->vifs[i].mac[0] )
            continue;
        if ( fd < 0 || read(fd, r, 3) != 3 )
        {
            unsigned int x = (unsigned int)now_ms() ^ (getpid() << 8) ^ i;

            r[0] = x >> 16;
            r[1] = x >> 8;
            r[2] = x;
        }
        snprintf(c->vifs[i].mac, sizeof(c->vifs[i].mac),
                 "00:16:3e:%02x:%02x:%02x", r[0] & 0x7f, r[1], r[2]);
    }
    if ( fd >= 0 )
        close(fd);
}

/* ------------------------------------------------------------------ */
/* Store transactions.                                                 */

struct bent
{
    char path[160];
    char val[300];
    int owner, reader;         /* owner >= 0: a directory with perms */
};

struct batch
{
    unsigned int n;
    int overflow;
    struct bent e[24];
};

static void b_put(struct batch *b, int owner, int reader, const char *val,
                  const char *fmt, va_list ap)
{
    struct bent *e;

    if ( b->n == sizeof(b->e) / sizeof(b->e[0]) )
    {
        b->overflow = 1;
        return;
    }
    e = &b->e[b->n++];
    vsnprintf(e->path, sizeof(e->path), fmt, ap);
    snprintf(e->val, sizeof(e->val), "%s", val ? val : "");
    e->owner = owner;
    e->reader = reader;
}

static void b_w(struct batch *b, const char *val, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void b_w(struct batch *b, const char *val, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    b_put(b, -1, -1, val, fmt, ap);
    va_end(ap);
}

static void b_dir(struct batch *b, int owner, int reader, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
static void b_dir(struct batch *b, int owner, int reader, const char *fmt,
                  ...)
{
    va_list ap;

    va_start(ap, fmt);
    b_put(b, owner, reader, NULL, fmt, ap);
    va_end(ap);
}

/* One transaction, retried on conflicts; 0 or -errno (failed path). */
static int b_commit(struct xs_conn *xs, const struct batch *b,
                    const char **failed)
{
    unsigned int tries, i;
    int rc = 0;

    if ( b->overflow )
        return -E2BIG;
    for ( tries = 0; tries < 10; tries++ )
    {
        uint32_t tx;

        rc = xs_transaction_start(xs, &tx);
        if ( rc )
            return rc;
        for ( i = 0; i < b->n && !rc; i++ )
        {
            const struct bent *e = &b->e[i];

            *failed = e->path;
            if ( e->owner >= 0 )
            {
                char p0[16], p1[16];
                const char *perms[2] = { p0, p1 };

                snprintf(p0, sizeof(p0), "n%d", e->owner);
                snprintf(p1, sizeof(p1), "r%d", e->reader);
                rc = xs_mkdir(xs, tx, e->path);
                if ( !rc )
                    rc = xs_set_perms(xs, tx, e->path, perms, 2);
            }
            else
                rc = xs_write_str(xs, tx, e->path, e->val);
        }
        if ( rc )
        {
            xs_transaction_end(xs, tx, 0);
            return rc;
        }
        rc = xs_transaction_end(xs, tx, 1);
        if ( rc != -EAGAIN )
            return rc;
    }
    return rc;
}

static char *rd(struct xs_conn *xs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *rd(struct xs_conn *xs, const char *fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return xs_read(xs, 0, path, NULL);
}

static void rm(struct xs_conn *xs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void rm(struct xs_conn *xs, const char *fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    xs_rm(xs, 0, path);
}

static int exists(struct xs_conn *xs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int exists(struct xs_conn *xs, const char *fmt, ...)
{
    char path[256], *v;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    v = xs_read(xs, 0, path, NULL);
    free(v);
    return v != NULL;
}

/*
 * Wait until the number in path is one of want[0..nwant) (or the node is
 * gone when gone_ok); 1 if so, 0 on timeout.  *last gets the last value.
 */
static int wait_state(struct xs_conn *xs, const char *path,
                      const int *want, unsigned int nwant, int gone_ok,
                      int timeout_ms, int *last)
{
    long end = now_ms() + timeout_ms;
    char tok[64];
    int ok = 0;

    snprintf(tok, sizeof(tok), "xenia-dev-%d", (int)getpid());
    xs_watch(xs, path, tok);
    for ( ;; )
    {
        char *v = xs_read(xs, 0, path, NULL), *buf;
        const char *wp, *wt;
        unsigned int i;
        long left;

        *last = v ? atoi(v) : -1;
        if ( !v && gone_ok )
            ok = 1;
        for ( i = 0; v && i < nwant; i++ )
            ok |= *last == want[i];
        free(v);
        left = end - now_ms();
        if ( ok || left <= 0 )
            break;
        if ( xs_read_watch(xs, left > 200 ? 200 : (int)left, &buf, &wp,
                           &wt) == 0 )
            free(buf);
    }
    xs_unwatch(xs, path, tok);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Kernel backends: what xl's hotplug scripts do.                      */

static int have_module(const char *mod, const char *modprobe_name)
{
    char p[128];
    char *argv[] = { "modprobe", (char *)modprobe_name, NULL };

    snprintf(p, sizeof(p), "/sys/module/%s", mod);
    if ( !access(p, F_OK) )
        return 1;
    run(argv, NULL, 0);
    return !access(p, F_OK);
}

/*
 * An image file on a free loop device (what `losetup -f --show` does,
 * through the loop driver's ioctls: busybox's losetup has no --show).
 * The device's path in dev.
 */
static int loop_attach(const char *file, int ro, char *dev, size_t len,
                       char *err, size_t elen)
{
    struct loop_info64 li;
    int ctl, ffd, lfd = -1, n, tries;

    have_module("loop", "loop");
    ffd = open(file, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if ( ffd < 0 )
        return emsg(err, elen, "%s: %s", file, strerror(errno));
    ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if ( ctl < 0 )
    {
        close(ffd);
        return emsg(err, elen, "/dev/loop-control: %s (is the loop module "
                    "loaded?)", strerror(errno));
    }
    for ( tries = 0; tries < 8; tries++ )
    {
        n = ioctl(ctl, LOOP_CTL_GET_FREE);
        if ( n < 0 )
            break;
        snprintf(dev, len, "/dev/loop%d", n);
        lfd = open(dev, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if ( lfd < 0 )
            break;
        if ( !ioctl(lfd, LOOP_SET_FD, ffd) )
            break;
        close(lfd);
        lfd = -1;
        if ( errno != EBUSY )  /* EBUSY: taken meanwhile, another */
            break;
    }
    close(ctl);
    if ( lfd < 0 )
    {
        int e = errno;

        close(ffd);
        return emsg(err, elen, "no loop device for %s: %s", file,
                    strerror(e));
    }
    memset(&li, 0, sizeof(li));
    {
        size_t fl = strlen(file);

        if ( fl >= sizeof(li.lo_file_name) )
            fl = sizeof(li.lo_file_name) - 1;
        memcpy(li.lo_file_name, file, fl);
    }
    li.lo_flags = ro ? LO_FLAGS_READ_ONLY : 0;
    ioctl(lfd, LOOP_SET_STATUS64, &li);
    close(lfd);
    close(ffd);
    return 0;
}

/* Detach a loop device (deferred by the driver while it is in use). */
static void loop_release(const char *dev)
{
    int fd;

    if ( !dev || strncmp(dev, "/dev/loop", 9) )
        return;
    fd = open(dev, O_RDONLY | O_CLOEXEC);
    if ( fd < 0 )
        return;
    ioctl(fd, LOOP_CLR_FD, 0);
    close(fd);
}

/* The bridge exists (created, up, when it does not). */
static int ensure_bridge(const char *br, char *err, size_t len)
{
    char p[128];
    char *add[] = { "ip", "link", "add", (char *)br, "type", "bridge", NULL };
    char *addbr[] = { "brctl", "addbr", (char *)br, NULL };
    char *up[] = { "ip", "link", "set", (char *)br, "up", NULL };

    snprintf(p, sizeof(p), "/sys/class/net/%s", br);
    if ( access(p, F_OK) )
    {
        have_module("bridge", "bridge");
        if ( (run(add, NULL, 0) && run(addbr, NULL, 0)) || run(up, NULL, 0) )
            return emsg(err, len, "bridge %s does not exist and 'ip link add "
                        "%s type bridge' failed (bridge module?)", br, br);
        return 0;
    }
    snprintf(p, sizeof(p), "/sys/class/net/%s/bridge", br);
    if ( access(p, F_OK) )
        return emsg(err, len, "%s is a network interface but not a bridge",
                    br);
    return 0;
}

/* ------------------------------------------------------------------ */

static void dev_rm_nodes(struct xs_conn *xs, unsigned int domid,
                         const char *kind, unsigned int devid)
{
    rm(xs, BE_ROOT "/%s/%u/%u", kind, domid, devid);
    rm(xs, "/local/domain/%u/device/%s/%u", domid, kind, devid);
    rm(xs, "/libxl/%u/device/%s/%u", domid, kind, devid);
    rm(xs, "/local/domain/0/error/backend/%s/%u/%u", kind, domid, devid);
}

int dev_disk_add(struct xs_conn *xs, unsigned int domid,
                 const struct xdisk *d, char *err, size_t len)
{
    struct batch b;
    char loop[64] = "", params[CFG_STR], phys[32] = "", num[16];
    const char *failed = "?", *dt = d->cdrom ? "cdrom" : "disk";
    int phy = !strcmp(d->backendtype, "phy"), rc;
    struct stat st;

    if ( exists(xs, BE_ROOT "/vbd/%u/%u", domid, d->devid) ||
         exists(xs, "/local/domain/%u/device/vbd/%u", domid, d->devid) )
        return emsg(err, len, "%s (device %u) is already attached to "
                    "domain %u", d->vdev, d->devid, domid);
    if ( stat(d->target, &st) )
        return emsg(err, len, "%s: %s", d->target, strerror(errno));
    snprintf(params, sizeof(params), "%s", d->target);
    if ( phy )
    {
        if ( !have_module("xen_blkback", "xen-blkback") )
            return emsg(err, len, "backendtype=phy needs Linux's xen-blkback "
                        "(modprobe xen-blkback failed)");
        if ( S_ISREG(st.st_mode) )
        {
            if ( loop_attach(d->target, d->readonly, loop, sizeof(loop), err,
                             len) )
                return -1;
            snprintf(params, sizeof(params), "%s", loop);
            if ( stat(loop, &st) )
            {
                loop_release(loop);
                return emsg(err, len, "%s: %s", loop, strerror(errno));
            }
        }
        snprintf(phys, sizeof(phys), "%x:%x", major(st.st_rdev),
                 minor(st.st_rdev));
    }
    else if ( ensure_daemon("xenia-blkback", err, len) )
        return -1;

    snprintf(num, sizeof(num), "%u", domid);
    /* 1: the backend, all but its type. */
    memset(&b, 0, sizeof(b));
    b_dir(&b, 0, domid, BE_ROOT "/vbd/%u/%u", domid, d->devid);
#define BE(k, v) b_w(&b, v, BE_ROOT "/vbd/%u/%u/" k, domid, d->devid)
    {
        char fe[96], id[16];

        snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", domid,
                 d->devid);
        snprintf(id, sizeof(id), "%u", d->devid);
        BE("frontend", fe);
        BE("frontend-id", num);
        BE("params", params);
        BE("mode", d->readonly ? "r" : "w");
        BE("online", "1");
        BE("removable", d->cdrom ? "1" : "0");
        BE("bootable", "1");
        BE("state", "1");
        BE("dev", d->vdev);
        BE("device-type", dt);
        if ( phys[0] )
        {
            BE("physical-device", phys);
            BE("physical-device-path", params);
        }
        rc = b_commit(xs, &b, &failed);
        if ( rc )
            goto fail;

        /* 2: the frontend, and our notes. */
        memset(&b, 0, sizeof(b));
        b_dir(&b, domid, 0, "/local/domain/%u/device/vbd/%u", domid,
              d->devid);
#define FE(k, v) b_w(&b, v, "/local/domain/%u/device/vbd/%u/" k, domid, \
                     d->devid)
        snprintf(fe, sizeof(fe), BE_ROOT "/vbd/%u/%u", domid, d->devid);
        FE("backend", fe);
        FE("backend-id", "0");
        FE("state", "1");
        FE("virtual-device", id);
        FE("device-type", dt);
#undef FE
        b_w(&b, d->vdev, "/libxl/%u/device/vbd/%u/vdev", domid, d->devid);
        b_w(&b, d->target, "/libxl/%u/device/vbd/%u/target", domid,
            d->devid);
        b_w(&b, d->backendtype, "/libxl/%u/device/vbd/%u/backendtype",
            domid, d->devid);
        if ( loop[0] )
            b_w(&b, loop, "/libxl/%u/device/vbd/%u/loop", domid, d->devid);
        rc = b_commit(xs, &b, &failed);
        if ( rc )
            goto fail;
    }

    /* 3: the type, last. */
    memset(&b, 0, sizeof(b));
    BE("type", phy ? "phy" : "xenia");
#undef BE
    rc = b_commit(xs, &b, &failed);
    if ( rc )
        goto fail;
    return 0;

 fail:
    emsg(err, len, "%s: store write %s: %s", d->vdev, failed, strerror(-rc));
    dev_rm_nodes(xs, domid, "vbd", d->devid);
    loop_release(loop);
    return -1;
}

/* Linux's netback made vifD.N: join the bridge, say hotplug-status. */
static int kernel_vif_hotplug(struct xs_conn *xs, unsigned int domid,
                              const struct xvif *v, char *err, size_t len)
{
    char ifn[32], p[96];
    char *master[] = { "ip", "link", "set", "dev", ifn, "master",
                       (char *)v->bridge, NULL };
    char *addif[] = { "brctl", "addif", (char *)v->bridge, ifn, NULL };
    char *up[] = { "ip", "link", "set", "dev", ifn, "up", NULL };
    long t0;

    snprintf(ifn, sizeof(ifn), "vif%u.%u", domid, v->devid);
    snprintf(p, sizeof(p), "/sys/class/net/%s", ifn);
    for ( t0 = now_ms(); access(p, F_OK); usleep(50000) )
        if ( now_ms() - t0 > 10000 )
            return emsg(err, len, "vif %u: Linux's xen-netback made no %s "
                        "within 10 s", v->devid, ifn);
    if ( (run(master, NULL, 0) && run(addif, NULL, 0)) || run(up, NULL, 0) )
        return emsg(err, len, "vif %u: ip link set dev %s master %s up "
                    "failed", v->devid, ifn, v->bridge);
    snprintf(p, sizeof(p), BE_ROOT "/vif/%u/%u/hotplug-status", domid,
             v->devid);
    if ( xs_write_str(xs, 0, p, "connected") )
        return emsg(err, len, "vif %u: write %s failed", v->devid, p);
    return 0;
}

int dev_vif_add(struct xs_conn *xs, unsigned int domid,
                const struct xvif *v, char *err, size_t len)
{
    struct batch b;
    const char *failed = "?";
    int kern = !strcmp(v->backendtype, "kernel"), rc;
    char num[16], id[16], fe[96];

    if ( exists(xs, BE_ROOT "/vif/%u/%u", domid, v->devid) ||
         exists(xs, "/local/domain/%u/device/vif/%u", domid, v->devid) )
        return emsg(err, len, "vif %u is already attached to domain %u",
                    v->devid, domid);
    if ( !v->mac[0] )
        return emsg(err, len, "vif %u: no MAC", v->devid);
    if ( kern && !have_module("xen_netback", "xen-netback") )
        return emsg(err, len, "backendtype=kernel needs Linux's xen-netback "
                    "(modprobe xen-netback failed)");
    if ( ensure_bridge(v->bridge, err, len) )
        return -1;
    if ( !kern && ensure_daemon("xenia-netback", err, len) )
        return -1;

    snprintf(num, sizeof(num), "%u", domid);
    snprintf(id, sizeof(id), "%u", v->devid);
    memset(&b, 0, sizeof(b));
    b_dir(&b, 0, domid, BE_ROOT "/vif/%u/%u", domid, v->devid);
#define BE(k, val) b_w(&b, val, BE_ROOT "/vif/%u/%u/" k, domid, v->devid)
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid,
             v->devid);
    BE("frontend", fe);
    BE("frontend-id", num);
    BE("online", "1");
    BE("state", "1");
    BE("handle", id);
    BE("mac", v->mac);
    BE("bridge", v->bridge);
    if ( kern )
        BE("script", "/etc/xen/scripts/vif-bridge");
    rc = b_commit(xs, &b, &failed);
    if ( rc )
        goto fail;

    memset(&b, 0, sizeof(b));
    b_dir(&b, domid, 0, "/local/domain/%u/device/vif/%u", domid, v->devid);
#define FE(k, val) b_w(&b, val, "/local/domain/%u/device/vif/%u/" k, domid, \
                       v->devid)
    snprintf(fe, sizeof(fe), BE_ROOT "/vif/%u/%u", domid, v->devid);
    FE("backend", fe);
    FE("backend-id", "0");
    FE("state", "1");
    FE("handle", id);
    FE("mac", v->mac);
#undef FE
    b_w(&b, v->mac, "/libxl/%u/device/vif/%u/mac", domid, v->devid);
    b_w(&b, v->bridge, "/libxl/%u/device/vif/%u/bridge", domid, v->devid);
    b_w(&b, v->backendtype, "/libxl/%u/device/vif/%u/backendtype", domid,
        v->devid);
    rc = b_commit(xs, &b, &failed);
    if ( rc )
        goto fail;

    memset(&b, 0, sizeof(b));
    BE("type", kern ? "vif" : "xenia");
#undef BE
    rc = b_commit(xs, &b, &failed);
    if ( rc )
        goto fail;
    if ( kern && kernel_vif_hotplug(xs, domid, v, err, len) )
    {
        dev_rm_nodes(xs, domid, "vif", v->devid);
        return -1;
    }
    return 0;

 fail:
    emsg(err, len, "vif %u: store write %s: %s", v->devid, failed,
         strerror(-rc));
    dev_rm_nodes(xs, domid, "vif", v->devid);
    return -1;
}

/* Remove every device's nodes of domid; the loop devices into loops. */
static unsigned int collect_loops(struct xs_conn *xs, unsigned int domid,
                                  char loops[][64], unsigned int max)
{
    char path[96], **names;
    unsigned int n, i, k = 0;

    snprintf(path, sizeof(path), "/libxl/%u/device/vbd", domid);
    if ( xs_directory(xs, 0, path, &names, &n) )
        return 0;
    for ( i = 0; i < n && k < max; i++ )
    {
        char *v = rd(xs, "%s/%s/loop", path, names[i]);

        if ( v && !strncmp(v, "/dev/loop", 9) && strlen(v) < 64 )
            strcpy(loops[k++], v);
        free(v);
    }
    free(names);
    return k;
}

int dev_add_all(struct xs_conn *xs, unsigned int domid,
                const struct xcfg *c, char *err, size_t len)
{
    unsigned int i, j;

    for ( i = 0; i < c->ndisks; i++ )
        if ( dev_disk_add(xs, domid, &c->disks[i], err, len) )
            goto undo_disks;
    for ( j = 0; j < c->nvifs; j++ )
        if ( dev_vif_add(xs, domid, &c->vifs[j], err, len) )
            goto undo_vifs;
    return 0;

 undo_vifs:
    while ( j-- )
        dev_rm_nodes(xs, domid, "vif", c->vifs[j].devid);
 undo_disks:
    {
        char loops[CFG_MAX_DISKS][64];
        unsigned int n = collect_loops(xs, domid, loops, CFG_MAX_DISKS), k;

        while ( i-- )
            dev_rm_nodes(xs, domid, "vbd", c->disks[i].devid);
        for ( k = 0; k < n; k++ )
            loop_release(loops[k]);
    }
    return -1;
}

/* Kernel backends let go of domid's devices (bounded wait). */
static void wait_kernel_backends(unsigned int domid, int timeout_ms)
{
    long t0 = now_ms();
    char pre1[32], pre2[32];

    snprintf(pre1, sizeof(pre1), "vbd-%u-", domid);
    snprintf(pre2, sizeof(pre2), "vif-%u-", domid);
    for ( ;; )
    {
        DIR *d = opendir("/sys/bus/xen-backend/devices");
        struct dirent *e;
        int busy = 0;

        if ( !d )
            return;
        while ( (e = readdir(d)) )
            busy |= !strncmp(e->d_name, pre1, strlen(pre1)) ||
                    !strncmp(e->d_name, pre2, strlen(pre2));
        closedir(d);
        if ( !busy || now_ms() - t0 > timeout_ms )
            return;
        usleep(50000);
    }
}

int dev_destroy_domain(struct xn_handle *h, struct xs_conn *xs,
                       unsigned int domid)
{
    char loops[CFG_MAX_DISKS][64];
    unsigned int n = 0, k;
    int rc;

    if ( xs )
        n = collect_loops(xs, domid, loops, CFG_MAX_DISKS);
    rc = xn_destroy_domain(h, xs, domid);
    if ( xs && domid != 0 )
    {
        rm(xs, BE_ROOT "/vbd/%u", domid);
        rm(xs, BE_ROOT "/vif/%u", domid);
        rm(xs, "/local/domain/0/error/backend/vbd/%u", domid);
        rm(xs, "/local/domain/0/error/backend/vif/%u", domid);
        wait_kernel_backends(domid, 5000);
    }
    for ( k = 0; k < n; k++ )
        loop_release(loops[k]);
    return rc;
}

int dev_detach(struct xs_conn *xs, unsigned int domid, const char *kind,
               unsigned int devid, int timeout_ms, char *err, size_t len)
{
    static const int closed[] = { 6 };
    char path[128], *loop;
    int last, ok;
    struct batch b;
    const char *failed = "?";

    if ( !exists(xs, BE_ROOT "/%s/%u/%u", kind, domid, devid) )
        return emsg(err, len, "domain %u has no %s device %u", domid, kind,
                    devid);
    memset(&b, 0, sizeof(b));
    b_w(&b, "0", BE_ROOT "/%s/%u/%u/online", kind, domid, devid);
    b_w(&b, "5", BE_ROOT "/%s/%u/%u/state", kind, domid, devid);
    snprintf(path, sizeof(path), BE_ROOT "/%s/%u/%u/state", kind, domid,
             devid);
    {
        char *st = xs_read(xs, 0, path, NULL);
        char fpath[128], *fst;

        snprintf(fpath, sizeof(fpath), "/local/domain/%u/device/%s/%u/state",
                 domid, kind, devid);
        fst = xs_read(xs, 0, fpath, NULL);
        /* Never connected (or already closed): nothing to wait for. */
        ok = (st && atoi(st) == 6) || !fst || atoi(fst) <= 1 ||
             atoi(fst) == 6;
        free(st);
        free(fst);
    }
    if ( !ok )
    {
        int rc = b_commit(xs, &b, &failed);

        if ( rc )
            return emsg(err, len, "write %s: %s", failed, strerror(-rc));
        ok = wait_state(xs, path, closed, 1, 1, timeout_ms, &last);
        if ( !ok && timeout_ms > 0 )
        {
            /* The frontend holds on (a mounted disk): undo what we can. */
            snprintf(path, sizeof(path), BE_ROOT "/%s/%u/%u/online", kind,
                     domid, devid);
            xs_write_str(xs, 0, path, "1");
            return emsg(err, len, "the guest did not release %s device %u "
                        "within %d s (backend state %d; in use, e.g. "
                        "mounted?): not detached", kind, devid,
                        timeout_ms / 1000, last);
        }
    }
    loop = rd(xs, "/libxl/%u/device/%s/%u/loop", domid, kind, devid);
    dev_rm_nodes(xs, domid, kind, devid);
    if ( loop )
    {
        wait_kernel_backends(domid, 2000);
        loop_release(loop);
        free(loop);
    }
    return 0;
}

/* ------------------------------------------------------------------ */

/* A frontend's node (the guest writes those) fit for a terminal. */
static char *clean(char *v)
{
    char *p;

    if ( v && strlen(v) > 40 )
        v[40] = '\0';
    for ( p = v; p && *p; p++ )
        if ( (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f ||
             *p == ' ' )
            *p = '?';
    return v;
}

int dev_list(struct xs_conn *xs, unsigned int domid, const char *kind)
{
    char path[96], **names;
    unsigned int n, i;
    int vbd = !strcmp(kind, "vbd");

    if ( vbd )
        printf("%-6s %-3s %-7s %-5s %-6s %-8s %s\n", "Vdev", "BE", "handle",
               "state", "evt-ch", "ring-ref", "BE-path");
    else
        printf("%-3s %-3s %-17s %-6s %-5s %-6s %-15s %s\n", "Idx", "BE",
               "Mac Addr.", "handle", "state", "evt-ch", "tx-/rx-ring-ref",
               "BE-path");
    snprintf(path, sizeof(path), "/local/domain/%u/device/%s", domid, kind);
    if ( xs_directory(xs, 0, path, &names, &n) )
        return 0;
    for ( i = 0; i < n; i++ )
    {
        char *be = clean(rd(xs, "%s/%s/backend", path, names[i]));
        char *st = clean(rd(xs, "%s/%s/state", path, names[i]));
        char *ev = clean(rd(xs, "%s/%s/event-channel", path, names[i]));
        char *bid = clean(rd(xs, "%s/%s/backend-id", path, names[i]));

        clean(names[i]);
        if ( !ev )
            ev = clean(rd(xs, "%s/%s/queue-0/event-channel", path,
                          names[i]));
        if ( vbd )
        {
            char *rr = clean(rd(xs, "%s/%s/ring-ref", path, names[i]));

            if ( !rr )
                rr = clean(rd(xs, "%s/%s/ring-ref0", path, names[i]));
            printf("%-6s %-3s %-7s %-5s %-6s %-8s %s\n", names[i],
                   bid ? bid : "-1", names[i], st ? st : "-1",
                   ev ? ev : "-1", rr ? rr : "-1", be ? be : "");
            free(rr);
        }
        else
        {
            char *mac = clean(rd(xs, "%s/%s/mac", path, names[i]));
            char *tx = clean(rd(xs, "%s/%s/tx-ring-ref", path, names[i]));
            char *rx = clean(rd(xs, "%s/%s/rx-ring-ref", path, names[i]));
            char rings[40];

            snprintf(rings, sizeof(rings), "%s/%s", tx ? tx : "-1",
                     rx ? rx : "-1");
            printf("%-3s %-3s %-17s %-6s %-5s %-6s %-15s %s\n", names[i],
                   bid ? bid : "-1", mac ? mac : "", names[i],
                   st ? st : "-1", ev ? ev : "-1", rings, be ? be : "");
            free(mac);
            free(tx);
            free(rx);
        }
        free(be);
        free(st);
        free(ev);
        free(bid);
    }
    free(names);
    return 0;
}
