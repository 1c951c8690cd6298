/*
 * xenia-dom0test: checks run inside a Linux dom0 by the dom0-boot scenario
 * (and offered by `make run`). Static, built on the host. Each subcommand
 * prints one summary line "ok|FAIL <what> ..." and exits 0 on success, 1 on
 * failure, 2 on a usage error.
 *
 *   version            xen_version through privcmd's IOCTL_PRIVCMD_HYPERCALL
 *                      (XENVER_version, XENVER_extraversion), compared with
 *                      /sys/hypervisor/version/{major,minor,extra}
 *   grant-evtchn [N]   two processes: A shares a page with gntalloc (to
 *                      domid 0) and binds an unbound event channel; B maps
 *                      the page with gntdev and binds to A's port; N rounds
 *                      of ping-pong through the page, each round signalled
 *                      by an event channel notify
 *   clocks [N]         CLOCK_MONOTONIC/REALTIME read on CPU0 then CPU1,
 *                      N times: never backwards, estimated skew < 5 ms
 *   now                prints "mono=NS real=S.NS"
 *   stamp LABEL        prints "XENIA-STAMP: LABEL mono=NS real=S.NS" in one
 *                      write right after reading the clocks (the host
 *                      stamps its arrival)
 *   fork SECS          fork/exit/wait churn for SECS seconds, exit codes
 *                      checked, children counted
 *   mmap SECS          one process per CPU: mmap, fault in, fill, checksum,
 *                      munmap, for SECS seconds
 *   pipe SECS          two pipes crossing CPU0 <-> CPU1, writer and reader
 *                      pinned on different CPUs, generated data checked
 *                      byte for byte by the reader, for SECS seconds
 *
 * The ioctl layouts come from the kernel's UAPI headers (linux-libc-dev's
 * /usr/include/xen/), except privcmd's hypercall ioctl, written out below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/types.h>
/* the UAPI headers use these Xen interface types without defining them */
typedef uint16_t domid_t;
typedef uint32_t grant_ref_t;
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

/* <xen/privcmd.h> needs kernel-internal headers: its hypercall ioctl here */
struct privcmd_hypercall
{
    __u64 op;
    __u64 arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

#define HYPERVISOR_xen_version  17
#define XENVER_version          0
#define XENVER_extraversion     1
#define PAGE                    4096

static uint64_t clk_ns(clockid_t c)
{
    struct timespec ts;

    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if ( sched_setaffinity(0, sizeof(set), &set) )
        return -1;
    sched_yield();
    return sched_getcpu() == cpu ? 0 : -1;
}

static int ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : (int)n;
}

static int read_sys(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if ( !f )
        return -1;
    n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = 0;
    while ( n && (buf[n - 1] == '\n' || buf[n - 1] == ' ') )
        buf[--n] = 0;
    return 0;
}

/* ---- version: a hypercall through privcmd ----------------------------- */
static int cmd_version(void)
{
    struct privcmd_hypercall h;
    char extra[16] __attribute__((aligned(16)));
    char smaj[32], smin[32], sextra[64];
    long rc;
    int fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);

    if ( fd < 0 )
    {
        printf("FAIL version: open /dev/xen/privcmd: %s\n", strerror(errno));
        return 1;
    }
    memset(&h, 0, sizeof(h));
    h.op = HYPERVISOR_xen_version;
    h.arg[0] = XENVER_version;
    rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
    if ( rc < 0 )
    {
        printf("FAIL version: IOCTL_PRIVCMD_HYPERCALL(xen_version): %s\n",
               strerror(errno));
        return 1;
    }
    memset(extra, 0, sizeof(extra));
    memset(&h, 0, sizeof(h));
    h.op = HYPERVISOR_xen_version;
    h.arg[0] = XENVER_extraversion;
    h.arg[1] = (uintptr_t)extra;
    if ( ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h) < 0 )
    {
        printf("FAIL version: xen_version(XENVER_extraversion): %s\n",
               strerror(errno));
        return 1;
    }
    extra[sizeof(extra) - 1] = 0;
    close(fd);
    if ( read_sys("/sys/hypervisor/version/major", smaj, sizeof(smaj)) ||
         read_sys("/sys/hypervisor/version/minor", smin, sizeof(smin)) ||
         read_sys("/sys/hypervisor/version/extra", sextra, sizeof(sextra)) )
    {
        printf("FAIL version: hypercall says %ld.%ld%s but /sys/hypervisor/version is unreadable\n",
               rc >> 16, rc & 0xffff, extra);
        return 1;
    }
    if ( atol(smaj) != (rc >> 16) || atol(smin) != (rc & 0xffff) ||
         strcmp(sextra, extra) )
    {
        printf("FAIL version: hypercall %ld.%ld%s, sysfs %s.%s%s\n",
               rc >> 16, rc & 0xffff, extra, smaj, smin, sextra);
        return 1;
    }
    printf("ok version: privcmd xen_version %ld.%ld%s = /sys/hypervisor/version\n",
           rc >> 16, rc & 0xffff, extra);
    return 0;
}

/*
 * maxmem: dom0_mem=...,max:N is dom0's maximum reservation. Read the
 * hypervisor's command line (xen_version XENVER_commandline), and compare
 * max: with what memory_op XENMEM_maximum_reservation says for DOMID_SELF.
 */
static long max_from_cmdline(const char *cl)
{
    const char *p = strstr(cl, "dom0_mem=");
    char *end;
    long v;

    if ( !p || !(p = strstr(p, "max:")) )
        return -1;
    v = strtol(p + 4, &end, 10);
    switch ( *end )
    {
    case 'G': case 'g': v <<= 30; break;
    case 'M': case 'm': v <<= 20; break;
    case 'K': case 'k': v <<= 10; break;
    default: break;
    }
    return v >> 12;
}

static int cmd_maxmem(void)
{
    struct privcmd_hypercall h;
    static char cl[1024] __attribute__((aligned(64)));
    uint16_t self __attribute__((aligned(8))) = 0x7ff0;     /* DOMID_SELF */
    long rc, want;
    int fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);

    if ( fd < 0 )
    {
        printf("FAIL maxmem: open /dev/xen/privcmd: %s\n", strerror(errno));
        return 1;
    }
    memset(&h, 0, sizeof(h));
    h.op = HYPERVISOR_xen_version;
    h.arg[0] = 9;                               /* XENVER_commandline */
    h.arg[1] = (uintptr_t)cl;
    if ( ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h) < 0 )
    {
        printf("FAIL maxmem: xen_version(XENVER_commandline): %s\n",
               strerror(errno));
        close(fd);
        return 1;
    }
    cl[sizeof(cl) - 1] = 0;
    memset(&h, 0, sizeof(h));
    h.op = 12;                                  /* memory_op */
    h.arg[0] = 4;                               /* XENMEM_maximum_reservation */
    h.arg[1] = (uintptr_t)&self;
    rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h);
    close(fd);
    want = max_from_cmdline(cl);
    if ( want < 0 )
    {
        printf("FAIL maxmem: no dom0_mem=...max: in the command line '%s'\n", cl);
        return 1;
    }
    if ( rc != want )
    {
        printf("FAIL maxmem: maximum reservation %ld pages (%s), max: asks %ld\n",
               rc, rc < 0 ? strerror(errno) : "ok", want);
        return 1;
    }
    printf("ok maxmem: maximum reservation %ld pages (%ld MiB), as max: asks\n",
           rc, rc >> 8);
    return 0;
}

/* ---- grant-evtchn: gntalloc + gntdev + evtchn between two processes ---- */
/* wait for one event on fd (port expected), unmask it; 0 or -1 */
static int ev_wait(int fd, unsigned int port, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint32_t got;

    for ( ;; )
    {
        int r = poll(&p, 1, ms);

        if ( r < 0 && errno == EINTR )
            continue;
        if ( r <= 0 )
            return -1;
        if ( read(fd, &got, sizeof(got)) != sizeof(got) )
            return -1;
        if ( write(fd, &got, sizeof(got)) != sizeof(got) )  /* unmask */
            return -1;
        if ( got == port )
            return 0;
    }
}

static int ev_notify(int fd, unsigned int port)
{
    struct ioctl_evtchn_notify n = { .port = port };

    return ioctl(fd, IOCTL_EVTCHN_NOTIFY, &n);
}

/*
 * wait until *word == want, sleeping on the event channel. Events are
 * hints, not messages: Xen sets the local port pending when it binds an
 * interdomain channel, so one event may arrive with nothing new. Extra
 * events are counted; 20 s without the expected value is a failure.
 */
static unsigned long spurious;

static int ev_wait_for(int fd, unsigned int port, volatile uint32_t *word,
                       uint32_t want)
{
    uint64_t end = clk_ns(CLOCK_MONOTONIC) + 20000000000ull;

    for ( ;; )
    {
        if ( ev_wait(fd, port, 20000) )
            return -1;
        __sync_synchronize();
        if ( *word == want )
            return 0;
        spurious++;
        if ( clk_ns(CLOCK_MONOTONIC) > end )
            return -1;
    }
}

/* The page: word 0 = round number written by its owner, word 1 = the
 * round the mapper saw, then a pattern over the rest of the page. */
static uint32_t pat(unsigned int round, unsigned int i)
{
    return (round * 2654435761u) ^ (i * 40503u) ^ 0x5a5a0000u;
}

struct handoff { uint32_t gref, port; };

static int side_b(int rfd, int wfd, int rounds)
{
    struct handoff ho;
    struct ioctl_evtchn_bind_interdomain bi;
    struct {
        struct ioctl_gntdev_map_grant_ref m;
    } map;
    volatile uint32_t *pg;
    int gfd, efd, r, port;
    unsigned int i;
    char ok = 1;

    if ( read(rfd, &ho, sizeof(ho)) != sizeof(ho) )
        return 10;
    gfd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
    efd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
    if ( gfd < 0 || efd < 0 )
        return 11;
    memset(&map, 0, sizeof(map));
    map.m.count = 1;
    map.m.refs[0].domid = 0;
    map.m.refs[0].ref = ho.gref;
    if ( ioctl(gfd, IOCTL_GNTDEV_MAP_GRANT_REF, &map.m) )
        return 12;
    pg = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, gfd,
              map.m.index);
    if ( pg == MAP_FAILED )
        return 13;
    bi.remote_domain = 0;
    bi.remote_port = ho.port;
    port = ioctl(efd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bi);
    if ( port < 0 )
        return 14;
    /* tell A we are bound */
    if ( ev_notify(efd, port) )
        return 15;
    for ( r = 1; r <= rounds; r++ )
    {
        if ( ev_wait_for(efd, port, &pg[0], r) )
            return pg[0] == (uint32_t)r ? 16 : 17;
        for ( i = 2; i < PAGE / 4; i++ )
            if ( pg[i] != pat(r, i) )
                return 18;
        pg[1] = r;                       /* the answer A checks */
        if ( ev_notify(efd, port) )
            return 19;
    }
    munmap((void *)pg, PAGE);
    if ( write(wfd, &ok, 1) != 1 )
        return 20;
    return 0;
}

static int cmd_grant_evtchn(int rounds)
{
    struct ioctl_gntalloc_alloc_gref al;
    struct ioctl_evtchn_bind_unbound_port bu;
    struct handoff ho;
    volatile uint32_t *pg;
    int p2c[2], c2p[2], gfd, efd, port, r, st;
    unsigned int i;
    pid_t pid;
    char ok;
    const char *fail = NULL;

    gfd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
    efd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
    if ( gfd < 0 || efd < 0 )
    {
        printf("FAIL grant-evtchn: open gntalloc/evtchn: %s\n", strerror(errno));
        return 1;
    }
    memset(&al, 0, sizeof(al));
    al.domid = 0;
    al.flags = GNTALLOC_FLAG_WRITABLE;
    al.count = 1;
    if ( ioctl(gfd, IOCTL_GNTALLOC_ALLOC_GREF, &al) )
    {
        printf("FAIL grant-evtchn: IOCTL_GNTALLOC_ALLOC_GREF: %s\n", strerror(errno));
        return 1;
    }
    pg = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, al.index);
    if ( pg == MAP_FAILED )
    {
        printf("FAIL grant-evtchn: mmap gntalloc: %s\n", strerror(errno));
        return 1;
    }
    bu.remote_domain = 0;
    port = ioctl(efd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bu);
    if ( port < 0 )
    {
        printf("FAIL grant-evtchn: IOCTL_EVTCHN_BIND_UNBOUND_PORT: %s\n", strerror(errno));
        return 1;
    }
    if ( pipe(p2c) || pipe(c2p) )
        return 1;
    fflush(stdout);
    pid = fork();
    if ( pid < 0 )
        return 1;
    if ( pid == 0 )
    {
        if ( ncpus() > 1 )
            pin(1);
        _exit(side_b(p2c[0], c2p[1], rounds));
    }
    pin(0);
    ho.gref = al.gref_ids[0];
    ho.port = port;
    if ( write(p2c[1], &ho, sizeof(ho)) != sizeof(ho) )
        fail = "handoff write";
    /* B notifies once it is bound and mapped (may come with the pending
     * bit Xen sets on binding; either way the first event means "bound") */
    if ( !fail && ev_wait(efd, port, 30000) )
        fail = "no event from the mapping process (bind/map)";
    for ( r = 1; !fail && r <= rounds; r++ )
    {
        for ( i = 2; i < PAGE / 4; i++ )
            pg[i] = pat(r, i);
        __sync_synchronize();
        pg[0] = r;
        if ( ev_notify(efd, port) )
            fail = "IOCTL_EVTCHN_NOTIFY";
        else if ( ev_wait_for(efd, port, &pg[1], r) )
            fail = pg[1] == (uint32_t)r ? "no answering event" :
                   "mapper's answer missing from the shared page";
    }
    if ( fail )
        kill(pid, SIGKILL);
    if ( waitpid(pid, &st, 0) != pid )
        st = -1;
    if ( !fail && (!WIFEXITED(st) || WEXITSTATUS(st)) )
        fail = "mapping process failed";
    if ( !fail && read(c2p[0], &ok, 1) != 1 )
        fail = "mapping process did not confirm";
    if ( fail )
    {
        printf("FAIL grant-evtchn: %s (round %d of %d, gref %u, port %d, "
               "mapper status %d: %s)\n", fail, r, rounds, ho.gref, port,
               WIFEXITED(st) ? WEXITSTATUS(st) : -1,
               WIFEXITED(st) && WEXITSTATUS(st) >= 10 ?
               (const char *[]){ "handoff read", "open gntdev/evtchn",
                   "IOCTL_GNTDEV_MAP_GRANT_REF", "mmap gntdev",
                   "IOCTL_EVTCHN_BIND_INTERDOMAIN", "first notify",
                   "event timeout", "round number wrong in mapped page",
                   "pattern wrong in mapped page", "notify", "confirm",
                   "?" }[WEXITSTATUS(st) <= 20 ? WEXITSTATUS(st) - 10 : 11]
               : "-");
        return 1;
    }
    printf("ok grant-evtchn: gref %u shared by gntalloc, mapped by gntdev in "
           "another process; %d rounds of pattern + answer, each signalled "
           "over event channel %d <-> bound interdomain (%lu extra events on "
           "this side)\n", ho.gref, rounds, port, spurious);
    return 0;
}

/* ---- clocks across vCPUs ---------------------------------------------- */
static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int cmd_clocks(int n)
{
    int64_t skew[256], off[256], back = 0;
    uint64_t prev = 0;
    int i, k = 0, cpu;

    if ( ncpus() < 2 )
    {
        printf("FAIL clocks: only %d CPU online\n", ncpus());
        return 1;
    }
    if ( n > 256 )
        n = 256;
    for ( i = 0; i < n; i++ )
    {
        uint64_t m[3], rt[2], mo[2];

        /* a on CPU0, b on CPU1, c on CPU0: a <= b <= c */
        for ( cpu = 0; cpu < 3; cpu++ )
        {
            if ( pin(cpu == 1) )
            {
                printf("FAIL clocks: cannot pin to CPU%d\n", cpu == 1);
                return 1;
            }
            if ( cpu < 2 )
            {
                rt[cpu] = clk_ns(CLOCK_REALTIME);
                mo[cpu] = clk_ns(CLOCK_MONOTONIC);
            }
            m[cpu] = clk_ns(CLOCK_MONOTONIC);
            if ( prev > m[cpu] && (int64_t)(prev - m[cpu]) > back )
                back = prev - m[cpu];
            prev = m[cpu];
        }
        skew[k] = ((int64_t)(m[1] - m[0]) - (int64_t)(m[2] - m[1])) / 2;
        off[k] = (int64_t)(rt[1] - mo[1]) - (int64_t)(rt[0] - mo[0]);
        k++;
    }
    qsort(skew, k, sizeof(skew[0]), cmp64);
    qsort(off, k, sizeof(off[0]), cmp64);
    if ( back || llabs(skew[k / 2]) > 5000000 || llabs(off[k / 2]) > 5000000 )
    {
        printf("FAIL clocks: %d rounds CPU0/CPU1/CPU0: monotonic went back "
               "by up to %lld ns; CPU1-CPU0 skew median %lld ns (range %lld..%lld); "
               "realtime-monotonic offset difference median %lld ns\n", k,
               (long long)back, (long long)skew[k / 2], (long long)skew[0],
               (long long)skew[k - 1], (long long)off[k / 2]);
        return 1;
    }
    printf("ok clocks: %d rounds CPU0/CPU1/CPU0: monotonic never went back; "
           "CPU1-CPU0 skew median %lld ns (range %lld..%lld); realtime-monotonic "
           "offset difference median %lld ns\n", k, (long long)skew[k / 2],
           (long long)skew[0], (long long)skew[k - 1], (long long)off[k / 2]);
    return 0;
}

/* ---- stress ------------------------------------------------------------ */
static uint64_t deadline_ns(int secs)
{
    return clk_ns(CLOCK_MONOTONIC) + (uint64_t)secs * 1000000000ull;
}

static int cmd_fork(int secs)
{
    uint64_t end = deadline_ns(secs);
    unsigned long n = 0, bad = 0;
    const int batch = 16;

    do
    {
        pid_t pids[16];
        int i, st;

        for ( i = 0; i < batch; i++ )
        {
            pids[i] = fork();
            if ( pids[i] == 0 )
                _exit((int)((n + i) % 199) + 1);
            if ( pids[i] < 0 )
            {
                printf("FAIL fork: fork: %s after %lu children\n",
                       strerror(errno), n);
                return 1;
            }
        }
        for ( i = 0; i < batch; i++ )
        {
            if ( waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
                 WEXITSTATUS(st) != (int)((n + i) % 199) + 1 )
                bad++;
        }
        n += batch;
    } while ( clk_ns(CLOCK_MONOTONIC) < end );
    if ( bad )
    {
        printf("FAIL fork: %lu of %lu children returned a wrong status\n",
               bad, n);
        return 1;
    }
    printf("ok fork: %lu children forked, exited and reaped with the "
           "right status in %d s\n", n, secs);
    return 0;
}

static int mmap_worker(int cpu, int secs, unsigned long *rounds)
{
    uint64_t end = deadline_ns(secs);
    unsigned long r = 0;

    if ( pin(cpu) )
        return 1;
    do
    {
        size_t pages = 64 + (r * 37) % 449, i, j;
        uint64_t sum = 0, want = 0;
        uint64_t *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if ( p == MAP_FAILED )
            return 2;
        for ( i = 0; i < pages; i++ )
            if ( p[i * PAGE / 8] != 0 )     /* fresh pages read as zero */
                return 3;
        for ( i = 0; i < pages; i++ )
            for ( j = 0; j < PAGE / 8; j += 8 )
            {
                uint64_t v = (r << 40) ^ (i << 20) ^ j ^ 0x9e3779b97f4a7c15ull;

                p[i * PAGE / 8 + j] = v;
                want += v;
            }
        /* half of it back, then fault it in again */
        if ( madvise(p, pages / 2 * PAGE, MADV_DONTNEED) )
            return 4;
        for ( i = 0; i < pages / 2; i++ )
            for ( j = 0; j < PAGE / 8; j += 8 )
                p[i * PAGE / 8 + j] =
                    (r << 40) ^ (i << 20) ^ j ^ 0x9e3779b97f4a7c15ull;
        for ( i = 0; i < pages; i++ )
            for ( j = 0; j < PAGE / 8; j += 8 )
                sum += p[i * PAGE / 8 + j];
        if ( munmap(p, pages * PAGE) )
            return 5;
        if ( sum != want )
            return 6;
        r++;
    } while ( clk_ns(CLOCK_MONOTONIC) < end );
    *rounds = r;
    return 0;
}

static int cmd_mmap(int secs)
{
    int cpus = ncpus() > 1 ? 2 : 1, c, st, bad = 0;
    int fds[2][2];
    unsigned long total = 0, r;
    pid_t pid[2];

    for ( c = 0; c < cpus; c++ )
    {
        if ( pipe(fds[c]) )
            return 1;
        pid[c] = fork();
        if ( pid[c] == 0 )
        {
            int rc = mmap_worker(c, secs, &r);

            if ( write(fds[c][1], &r, sizeof(r)) != sizeof(r) )
                rc = 7;
            _exit(rc);
        }
        close(fds[c][1]);
    }
    for ( c = 0; c < cpus; c++ )
    {
        r = 0;
        if ( read(fds[c][0], &r, sizeof(r)) != sizeof(r) )
            r = 0;
        if ( waitpid(pid[c], &st, 0) != pid[c] || !WIFEXITED(st) ||
             WEXITSTATUS(st) )
        {
            printf("FAIL mmap: worker on CPU%d: status %d (1 pin, 2 mmap, "
                   "3 fresh page not zero, 4 madvise, 5 munmap, 6 checksum)\n",
                   c, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            bad = 1;
        }
        total += r;
    }
    if ( bad )
        return 1;
    printf("ok mmap: %lu map/fault/fill/discard/refault/checksum/unmap rounds "
           "on %d CPUs in %d s, every checksum right\n", total, cpus, secs);
    return 0;
}

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* writer: generated stream for secs seconds; reader: checks it */
static int pipe_pair(int wcpu, int rcpu, int secs, unsigned long long *bytes)
{
    int fd[2], cnt[2], st;
    pid_t w;
    uint64_t seed = 0x1234567ull + wcpu, buf[512];
    unsigned long long n = 0, got = 0;
    size_t i;

    if ( pipe(fd) || pipe(cnt) )
        return 1;
    w = fork();
    if ( w == 0 )
    {
        uint64_t end = deadline_ns(secs);

        close(fd[0]);
        close(cnt[0]);
        if ( pin(wcpu) )
            _exit(1);
        do
        {
            for ( i = 0; i < 512; i++ )
                buf[i] = xs(&seed);
            if ( write(fd[1], buf, sizeof(buf)) != sizeof(buf) )
                _exit(2);
            n += sizeof(buf);
        } while ( clk_ns(CLOCK_MONOTONIC) < end );
        close(fd[1]);
        if ( write(cnt[1], &n, sizeof(n)) != sizeof(n) )
            _exit(3);
        _exit(0);
    }
    close(fd[1]);
    close(cnt[1]);
    if ( pin(rcpu) )
        return 4;
    for ( ;; )
    {
        size_t have = 0;
        ssize_t k;

        while ( have < sizeof(buf) )
        {
            k = read(fd[0], (char *)buf + have, sizeof(buf) - have);
            if ( k < 0 && errno == EINTR )
                continue;
            if ( k <= 0 )
                break;
            have += k;
        }
        if ( have == 0 )
            break;
        if ( have != sizeof(buf) )
            return 5;
        for ( i = 0; i < 512; i++ )
            if ( buf[i] != xs(&seed) )
                return 6;
        got += have;
    }
    if ( read(cnt[0], &n, sizeof(n)) != sizeof(n) )
        return 7;
    if ( waitpid(w, &st, 0) != w || !WIFEXITED(st) || WEXITSTATUS(st) )
        return 8;
    if ( n != got || n == 0 )
        return 9;
    *bytes = got;
    return 0;
}

static int cmd_pipe(int secs)
{
    int cpus = ncpus() > 1 ? 2 : 1, c, st, bad = 0;
    pid_t pid[2];
    int fds[2][2];
    unsigned long long total = 0, b;

    for ( c = 0; c < 2; c++ )
    {
        if ( pipe(fds[c]) )
            return 1;
        pid[c] = fork();
        if ( pid[c] == 0 )
        {
            /* pair 0: CPU0 -> CPU1; pair 1: CPU1 -> CPU0 */
            int rc = pipe_pair(c % cpus, (c + 1) % cpus, secs, &b);

            if ( write(fds[c][1], &b, sizeof(b)) != sizeof(b) )
                rc = 10;
            _exit(rc);
        }
        close(fds[c][1]);
    }
    for ( c = 0; c < 2; c++ )
    {
        b = 0;
        if ( read(fds[c][0], &b, sizeof(b)) != sizeof(b) )
            b = 0;
        if ( waitpid(pid[c], &st, 0) != pid[c] || !WIFEXITED(st) ||
             WEXITSTATUS(st) )
        {
            printf("FAIL pipe: pair %d: status %d (4 pin, 5 short read, "
                   "6 data differ, 7-9 count/writer)\n", c,
                   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            bad = 1;
        }
        total += b;
    }
    if ( bad )
        return 1;
    printf("ok pipe: %llu KiB through two pipes CPU0->CPU1 and CPU1->CPU0 "
           "in %d s, every byte checked\n", total / 1024, secs);
    return 0;
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    int n = argc > 2 ? atoi(argv[2]) : 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if ( !strcmp(c, "version") )
        return cmd_version();
    if ( !strcmp(c, "maxmem") )
        return cmd_maxmem();
    if ( !strcmp(c, "grant-evtchn") )
        return cmd_grant_evtchn(n > 0 ? n : 100);
    if ( !strcmp(c, "clocks") )
        return cmd_clocks(n > 0 ? n : 20);
    if ( !strcmp(c, "now") || (!strcmp(c, "stamp") && argc > 2) )
    {
        uint64_t m = clk_ns(CLOCK_MONOTONIC), r = clk_ns(CLOCK_REALTIME);

        if ( c[0] == 's' )
            printf("XENIA-STAMP: %s ", argv[2]);
        printf("mono=%llu real=%llu.%09llu\n", (unsigned long long)m,
               (unsigned long long)(r / 1000000000ull),
               (unsigned long long)(r % 1000000000ull));
        return 0;
    }
    if ( !strcmp(c, "fork") )
        return cmd_fork(n > 0 ? n : 3);
    if ( !strcmp(c, "mmap") )
        return cmd_mmap(n > 0 ? n : 3);
    if ( !strcmp(c, "pipe") )
        return cmd_pipe(n > 0 ? n : 3);
    fprintf(stderr, "usage: xenia-dom0test version|grant-evtchn [N]|clocks [N]|"
            "now|stamp LABEL|fork S|mmap S|pipe S|maxmem\n");
    return 2;
}
