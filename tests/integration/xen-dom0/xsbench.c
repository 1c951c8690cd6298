/*
 * xsbench: a xenstore load generator that runs inside dom0.
 *
 * It speaks the xenstore wire protocol itself (16-byte header: type,
 * req_id, tx_id, len; then the payload) over N concurrent connections,
 * either to the store's Unix socket or through dom0's xenbus device (the
 * kernel forwards those over dom0's ring), so that the figures measure the
 * store and its transport, not process creation.
 *
 * Mixes (each connection works on its own nodes where it writes, so that
 * transactions do not conflict with each other):
 *   read         XS_READ of one of 64 existing 64-byte nodes
 *   write        XS_WRITE of a 64-byte value to one of 16 own nodes
 *   directory    XS_DIRECTORY of a node with 32 children
 *   transaction  START, READ, WRITE, END(commit); counted per commit,
 *                EAGAIN retries reported apart
 *
 * Usage: xsbench [-s socket | -x xenbus-device] [-c conns] [-t seconds]
 *                [-m mix]
 * Prints one line: "xsbench: mix=M conns=C secs=S ops=N ops_per_s=R
 * errors=E retries=T". Exit status 1 on any protocol error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Message types (xs_wire.h numbering). */
#define XS_DIRECTORY          1
#define XS_READ               2
#define XS_TRANSACTION_START  6
#define XS_TRANSACTION_END    7
#define XS_WRITE             11
#define XS_MKDIR             12
#define XS_RM                13
#define XS_WATCH_EVENT       15
#define XS_ERROR             16

#define XS_PAYLOAD_MAX     4096
#define MAX_CONNS           256
#define READ_NODES           64
#define WRITE_NODES          16
#define DIR_CHILDREN         32

struct xs_hdr {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};

struct conn {
    int fd;
    int index;
    uint32_t next_req;
    unsigned long ops;
    unsigned long errors;
    unsigned long retries;
    unsigned int seed;
    char reply[XS_PAYLOAD_MAX + 1];
    uint32_t reply_len;
    pthread_t thread;
};

static const char *opt_socket = "/run/xenstored/socket";
static const char *opt_device;
static int opt_conns = 8;
static double opt_secs = 2.0;
static const char *opt_mix = "read";

static volatile int go;
static volatile int stop;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void die(const char *msg)
{
    fprintf(stderr, "xsbench: %s: %s\n", msg, strerror(errno));
    exit(2);
}

static int xs_connect(void)
{
    int fd;

    if ( opt_device )
    {
        fd = open(opt_device, O_RDWR | O_CLOEXEC);
        if ( fd < 0 )
            die(opt_device);
        return fd;
    }

    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    if ( strlen(opt_socket) >= sizeof(sa.sun_path) )
    {
        errno = ENAMETOOLONG;
        die(opt_socket);
    }
    strcpy(sa.sun_path, opt_socket);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if ( fd < 0 )
        die("socket");
    if ( connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 )
        die(opt_socket);
    return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while ( len )
    {
        ssize_t n = write(fd, p, len);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while ( len )
    {
        ssize_t n = read(fd, p, len);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

/*
 * One request/reply round trip. The payload is a list of strings; every
 * string but the last one of an XS_WRITE is sent with its NUL. Returns the
 * reply type (XS_ERROR included) or -1 on a transport or framing error.
 * The xenbus device wants header and payload in one write().
 */
static int xs_request(struct conn *c, uint32_t type, uint32_t tx,
                      const char *a, const char *b)
{
    char msg[sizeof(struct xs_hdr) + XS_PAYLOAD_MAX];
    struct xs_hdr *h = (struct xs_hdr *)msg;
    size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;
    struct xs_hdr r;

    if ( la + lb > XS_PAYLOAD_MAX )
        return -1;
    h->type = type;
    h->req_id = c->next_req++;
    h->tx_id = tx;
    h->len = la + lb;
    memcpy(msg + sizeof(*h), a, la);
    if ( b )
        memcpy(msg + sizeof(*h) + la, b, lb);
    if ( write_all(c->fd, msg, sizeof(*h) + h->len) )
        return -1;

    for ( ;; )
    {
        if ( read_all(c->fd, &r, sizeof(r)) || r.len > XS_PAYLOAD_MAX ||
             read_all(c->fd, c->reply, r.len) )
            return -1;
        c->reply[r.len] = '\0';
        c->reply_len = r.len;
        if ( r.type == XS_WATCH_EVENT )
            continue;               /* not ours: we set no watches */
        if ( r.req_id != h->req_id || (r.type != type && r.type != XS_ERROR) )
        {
            fprintf(stderr, "xsbench: conn %d: reply type %u id %u to "
                    "request type %u id %u\n", c->index, r.type, r.req_id,
                    type, h->req_id);
            return -1;
        }
        return r.type;
    }
}

static void must(struct conn *c, uint32_t type, const char *a, const char *b)
{
    int t = xs_request(c, type, 0, a, b);

    if ( t != (int)type )
    {
        fprintf(stderr, "xsbench: setup request %u %s failed: %s\n", type, a,
                t == XS_ERROR ? c->reply : "transport error");
        exit(2);
    }
}

static const char value64[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";

static void setup(struct conn *c)
{
    char path[128];
    int i;

    xs_request(c, XS_RM, 0, "/bench", NULL);    /* may not exist */
    for ( i = 0; i < READ_NODES; i++ )
    {
        snprintf(path, sizeof(path), "/bench/r/k%d", i);
        must(c, XS_WRITE, path, value64);
    }
    for ( i = 0; i < DIR_CHILDREN; i++ )
    {
        snprintf(path, sizeof(path), "/bench/d/entry-%d", i);
        must(c, XS_WRITE, path, "x");
    }
    for ( i = 0; i < opt_conns; i++ )
    {
        snprintf(path, sizeof(path), "/bench/w/c%d", i);
        must(c, XS_MKDIR, path, NULL);
        snprintf(path, sizeof(path), "/bench/t/c%d/k", i);
        must(c, XS_WRITE, path, "0");
    }
}

static int op_read(struct conn *c)
{
    char path[64];

    snprintf(path, sizeof(path), "/bench/r/k%u",
             (unsigned)rand_r(&c->seed) % READ_NODES);
    return xs_request(c, XS_READ, 0, path, NULL) == XS_READ ? 0 : -1;
}

static int op_write(struct conn *c)
{
    char path[64];

    snprintf(path, sizeof(path), "/bench/w/c%d/k%lu", c->index,
             c->ops % WRITE_NODES);
    return xs_request(c, XS_WRITE, 0, path, value64) == XS_WRITE ? 0 : -1;
}

static int op_directory(struct conn *c)
{
    if ( xs_request(c, XS_DIRECTORY, 0, "/bench/d", NULL) != XS_DIRECTORY )
        return -1;
    return 0;
}

static int op_transaction(struct conn *c)
{
    char path[64], val[32];
    uint32_t tx;
    int t;

    snprintf(path, sizeof(path), "/bench/t/c%d/k", c->index);
    for ( ;; )
    {
        if ( xs_request(c, XS_TRANSACTION_START, 0, "", NULL) !=
             XS_TRANSACTION_START )
            return -1;
        tx = strtoul(c->reply, NULL, 10);
        if ( tx == 0 )
            return -1;
        if ( xs_request(c, XS_READ, tx, path, NULL) != XS_READ )
            return -1;
        snprintf(val, sizeof(val), "%lu", strtoul(c->reply, NULL, 10) + 1);
        if ( xs_request(c, XS_WRITE, tx, path, val) != XS_WRITE )
            return -1;
        t = xs_request(c, XS_TRANSACTION_END, tx, "T", NULL);
        if ( t == XS_TRANSACTION_END )
            return 0;
        if ( t == XS_ERROR && !strcmp(c->reply, "EAGAIN") && !stop )
        {
            c->retries++;
            continue;
        }
        return -1;
    }
}

static int (*op)(struct conn *);

static void *worker(void *arg)
{
    struct conn *c = arg;

    pthread_mutex_lock(&start_lock);
    ready++;
    pthread_cond_broadcast(&start_cond);
    while ( !go )
        pthread_cond_wait(&start_cond, &start_lock);
    pthread_mutex_unlock(&start_lock);

    while ( !stop )
    {
        if ( op(c) )
        {
            c->errors++;
            if ( c->errors > 100 )
                break;
            continue;
        }
        if ( !stop )
            c->ops++;
    }
    return NULL;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: xsbench [-s socket | -x xenbus-device] [-c conns] "
            "[-t seconds] [-m read|write|directory|transaction]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct conn conns[MAX_CONNS];
    struct conn setup_conn = { .index = -1 };
    unsigned long ops = 0, errors = 0, retries = 0;
    struct timespec ts;
    double t0, t1;
    int i, ch;

    while ( (ch = getopt(argc, argv, "s:x:c:t:m:")) != -1 )
    {
        switch ( ch )
        {
        case 's': opt_socket = optarg; break;
        case 'x': opt_device = optarg; break;
        case 'c': opt_conns = atoi(optarg); break;
        case 't': opt_secs = atof(optarg); break;
        case 'm': opt_mix = optarg; break;
        default: usage();
        }
    }
    if ( optind != argc || opt_conns < 1 || opt_conns > MAX_CONNS ||
         opt_secs <= 0 )
        usage();
    if ( !strcmp(opt_mix, "read") )
        op = op_read;
    else if ( !strcmp(opt_mix, "write") )
        op = op_write;
    else if ( !strcmp(opt_mix, "directory") )
        op = op_directory;
    else if ( !strcmp(opt_mix, "transaction") )
        op = op_transaction;
    else
        usage();

    setup_conn.fd = xs_connect();
    setup(&setup_conn);

    for ( i = 0; i < opt_conns; i++ )
    {
        conns[i].fd = xs_connect();
        conns[i].index = i;
        conns[i].next_req = 1;
        conns[i].seed = 12345 + i;
        if ( pthread_create(&conns[i].thread, NULL, worker, &conns[i]) )
            die("pthread_create");
    }
    pthread_mutex_lock(&start_lock);
    while ( ready < opt_conns )
        pthread_cond_wait(&start_cond, &start_lock);
    t0 = now();
    go = 1;
    pthread_cond_broadcast(&start_cond);
    pthread_mutex_unlock(&start_lock);

    ts.tv_sec = (time_t)opt_secs;
    ts.tv_nsec = (long)((opt_secs - ts.tv_sec) * 1e9);
    while ( nanosleep(&ts, &ts) && errno == EINTR )
        ;
    stop = 1;
    t1 = now();
    for ( i = 0; i < opt_conns; i++ )
    {
        pthread_join(conns[i].thread, NULL);
        ops += conns[i].ops;
        errors += conns[i].errors;
        retries += conns[i].retries;
        close(conns[i].fd);
    }
    xs_request(&setup_conn, XS_RM, 0, "/bench", NULL);
    close(setup_conn.fd);

    printf("xsbench: mix=%s conns=%d secs=%.2f ops=%lu ops_per_s=%.1f "
           "errors=%lu retries=%lu\n", opt_mix, opt_conns, t1 - t0, ops,
           ops / (t1 - t0), errors, retries);
    if ( errors )
        fprintf(stderr, "xsbench: last error reply: %s\n",
                conns[0].reply);
    return errors ? 1 : 0;
}
