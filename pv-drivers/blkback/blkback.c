/*
 * blkback.c: xenia-blkback's devices, rings and I/O (docs/pv-drivers.md).
 *
 * One thread, one poll loop: the store connection (watch events), the
 * event channel device (one port per ring) and an io_uring for the disk
 * I/O.  Guest data moves by grant copy through /dev/xen/gntdev into
 * buffers of our own, so the hypervisor checks every grant and we never
 * hold a mapping of guest data pages; only the rings are mapped.
 */
#define _GNU_SOURCE
#include "blkback.h"
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "xenia_ctrl.h"
#include "xenia_xs.h"
#include <xen/gntdev.h>

#define DOM0_HOME        "/local/domain/0"
#define MAX_QUEUES       16
#define MAX_RING_ORDER   4
#define URING_DEPTH      1024
/* Data buffers in flight per device: a frontend cannot make us hoard. */
#define MAX_INFLIGHT_BYTES (64u << 20)
#define PAGE             4096u

/* xenbus states */
enum { XB_UNKNOWN, XB_INITIALISING, XB_INITWAIT, XB_INITIALISED,
       XB_CONNECTED, XB_CLOSING, XB_CLOSED };

struct vbd;

struct bring {
    struct vbd *v;
    unsigned int q;
    void *map;                  /* the shared ring, NULL: not mapped */
    unsigned int npages;
    int gnt_index;              /* gntdev offset of the mapping      */
    int port;                   /* local event channel, -1: none     */
    struct blk_ring ring;
    unsigned int inflight;
    struct ioreq *held;         /* a barrier waiting for the drain   */
    bool halted_logged;
};

struct ioreq {
    struct bring *r;
    uint8_t *buf;
    size_t len, done;
    int stage;                  /* IO_DATA, IO_SYNC                  */
    struct blk_req req;
};

enum { IO_DATA, IO_SYNC };

struct bb_stats {
    uint64_t oo_req, rd_req, wr_req, rd_sect, wr_sect, f_req, ds_req;
};

struct vbd {
    struct vbd *next;
    unsigned int domid, devid;
    char bpath[128];
    char fpath[128];
    char fstate_path[160];
    int fd;
    struct blk_disk disk;
    int state;                  /* what we published (or adopted)    */
    unsigned int nrings;
    struct bring rings[MAX_QUEUES];
    size_t inflight_bytes;      /* data buffers of requests in flight */
    bool seen;
    bool closing;               /* draining: take no new requests    */
    bool io_error_logged;
    struct bb_stats st, st_written;
    char stats_dir[PATH_MAX];
};

static struct {
    const struct bb_options *o;
    struct xs_conn *xs;
    int evtchn_fd;
    int gnt_fd;
    struct io_uring uring;
    unsigned int uring_pending;     /* prepared, not yet submitted */
    struct vbd *vbds;
    unsigned int max_queues;
    char tree[128];                 /* absolute backend tree        */
    bool one_seen;                  /* one-device mode: found it    */
} bb;

static volatile sig_atomic_t bb_stop;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
    va_list ap;

    fputs("xenia-blkback: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#define dbg(...) do { if ( bb.o->verbose ) logmsg(__VA_ARGS__); } while ( 0 )

/* ---- store helpers ---------------------------------------------------- */

static char *xs_readf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xs_readf(const char *fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return xs_read(bb.xs, 0, path, NULL);
}

/* A non-negative number from the store, or 'def' when missing/garbled. */
static long xs_read_num(const char *path, long def)
{
    char *s = xs_read(bb.xs, 0, path, NULL), *end;
    long v;

    if ( !s )
        return def;
    errno = 0;
    v = strtol(s, &end, 10);
    if ( errno || end == s || *end || v < 0 )
        v = def;
    free(s);
    return v;
}

static void xs_writef(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void xs_writef(const char *path, const char *fmt, ...)
{
    char val[128];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    rc = xs_write_str(bb.xs, 0, path, val);
    if ( rc )
        logmsg("store write %s: %s", path, strerror(-rc));
}

static void set_node(struct vbd *v, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_node(struct vbd *v, const char *node, const char *fmt, ...)
{
    char path[192], val[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", v->bpath, node);
    xs_writef(path, "%s", val);
}

/*
 * Publish our state, in a transaction that first checks the backend
 * directory is still there: a toolstack that removed it must not find a
 * lone `state` node recreated by us.
 */
static void set_state(struct vbd *v, int state)
{
    char path[192], val[8];
    uint32_t tx;
    char *d;
    int rc, tries;

    dbg("%u/%u: state %d -> %d", v->domid, v->devid, v->state, state);
    v->state = state;
    snprintf(path, sizeof(path), "%s/state", v->bpath);
    snprintf(val, sizeof(val), "%d", state);
    for ( tries = 0; tries < 5; tries++ )
    {
        if ( xs_transaction_start(bb.xs, &tx) )
            break;
        d = xs_read(bb.xs, tx, v->bpath, NULL);
        if ( !d )
        {
            xs_transaction_end(bb.xs, tx, 0);
            return;
        }
        free(d);
        rc = xs_write_str(bb.xs, tx, path, val);
        if ( rc )
        {
            xs_transaction_end(bb.xs, tx, 0);
            break;
        }
        rc = xs_transaction_end(bb.xs, tx, 1);
        if ( rc != -EAGAIN )
            return;
    }
    logmsg("%u/%u: could not publish state %d", v->domid, v->devid, state);
}

/*
 * A fatal device error, as xenbus_dev_fatal: the message under dom0's
 * error/<backend path>/error, and the device goes Closing.
 */
static void vbd_fatal(struct vbd *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void vbd_fatal(struct vbd *v, const char *fmt, ...)
{
    char msg[160], path[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    logmsg("%u/%u: %s", v->domid, v->devid, msg);
    snprintf(path, sizeof(path), DOM0_HOME "/error/%s/error",
             v->bpath + strlen(DOM0_HOME "/"));
    xs_writef(path, "%s", msg);
    set_state(v, XB_CLOSING);
}

/* ---- grants ----------------------------------------------------------- */

/* Map 'n' grants of 'dom' as consecutive writable pages. */
static void *map_grants(domid_t dom, const uint32_t *refs, unsigned int n,
                        int *index)
{
    struct ioctl_gntdev_map_grant_ref *m;
    struct ioctl_gntdev_unmap_grant_ref u;
    size_t sz = sizeof(*m) + (n - 1) * sizeof(m->refs[0]);
    void *va = NULL;
    unsigned int i;
    int e;

    m = calloc(1, sz);
    if ( !m )
        return NULL;
    m->count = n;
    for ( i = 0; i < n; i++ )
    {
        m->refs[i].domid = dom;
        m->refs[i].ref = refs[i];
    }
    if ( ioctl(bb.gnt_fd, IOCTL_GNTDEV_MAP_GRANT_REF, m) < 0 )
        goto out;
    va = mmap(NULL, (size_t)n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
              bb.gnt_fd, m->index);
    if ( va == MAP_FAILED )
    {
        e = errno;
        memset(&u, 0, sizeof(u));
        u.index = m->index;
        u.count = n;
        ioctl(bb.gnt_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
        errno = e;
        va = NULL;
        goto out;
    }
    *index = m->index;
 out:
    free(m);
    return va;
}

static void unmap_grants(void *va, unsigned int n, int index)
{
    struct ioctl_gntdev_unmap_grant_ref u;

    munmap(va, (size_t)n * PAGE);
    memset(&u, 0, sizeof(u));
    u.index = index;
    u.count = n;
    if ( ioctl(bb.gnt_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) < 0 )
        logmsg("gntdev unmap: %s", strerror(errno));
}

/*
 * Copy between our buffer and the guest's granted pages, one entry per
 * segment ('to_guest': a read's data).  0, or -1 when any grant failed.
 */
static int grant_copy(domid_t dom, const struct blk_seg *seg, unsigned int n,
                      uint8_t *buf, bool to_guest)
{
    struct gntdev_grant_copy_segment c[64];
    struct ioctl_gntdev_grant_copy op;
    unsigned int i, k, done = 0;
    size_t off = 0;

    while ( done < n )
    {
        k = n - done < 64 ? n - done : 64;
        memset(c, 0, sizeof(c[0]) * k);
        for ( i = 0; i < k; i++ )
        {
            const struct blk_seg *s = &seg[done + i];

            if ( to_guest )
            {
                c[i].source.virt = buf + off;
                c[i].dest.foreign.ref = s->gref;
                c[i].dest.foreign.offset = s->offset;
                c[i].dest.foreign.domid = dom;
                c[i].flags = GNTCOPY_dest_gref;
            }
            else
            {
                c[i].source.foreign.ref = s->gref;
                c[i].source.foreign.offset = s->offset;
                c[i].source.foreign.domid = dom;
                c[i].dest.virt = buf + off;
                c[i].flags = GNTCOPY_source_gref;
            }
            c[i].len = s->len;
            off += s->len;
        }
        op.count = k;
        op.segments = c;
        if ( ioctl(bb.gnt_fd, IOCTL_GNTDEV_GRANT_COPY, &op) < 0 )
            return -1;
        for ( i = 0; i < k; i++ )
            if ( c[i].status != GNTST_okay )
                return -1;
        done += k;
    }
    return 0;
}

/* ---- requests --------------------------------------------------------- */

static void ring_push(struct bring *r)
{
    if ( r->map && blk_ring_push(&r->ring) && r->port >= 0 )
        xn_evtchn_notify(bb.evtchn_fd, r->port);
}

static struct io_uring_sqe *get_sqe(struct vbd *v)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&bb.uring);

    if ( !sqe )
    {
        v->st.oo_req++;
        io_uring_submit(&bb.uring);
        bb.uring_pending = 0;
        sqe = io_uring_get_sqe(&bb.uring);
    }
    if ( sqe )
        bb.uring_pending++;
    return sqe;
}

static void io_done(struct ioreq *io, int status);

/* Queue the next step of 'io' on the io_uring. */
static void io_submit_stage(struct ioreq *io)
{
    struct vbd *v = io->r->v;
    struct io_uring_sqe *sqe = get_sqe(v);
    off_t off = (off_t)io->req.sector * BLK_SECTOR + io->done;

    if ( !sqe )
    {
        io_done(io, BLKIF_RSP_ERROR);
        return;
    }
    if ( io->stage == IO_SYNC )
        io_uring_prep_fsync(sqe, v->fd, IORING_FSYNC_DATASYNC);
    else if ( io->req.kind == BLK_READ )
        io_uring_prep_read(sqe, v->fd, io->buf + io->done,
                           io->len - io->done, off);
    else if ( io->req.kind == BLK_WRITE )
        io_uring_prep_write(sqe, v->fd, io->buf + io->done,
                            io->len - io->done, off);
    else    /* BLK_DISCARD */
        io_uring_prep_fallocate(sqe, v->fd,
                                FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                (off_t)io->req.sector * BLK_SECTOR,
                                (off_t)io->req.nr_sectors * BLK_SECTOR);
    io_uring_sqe_set_data(sqe, io);
}

static void start_io(struct ioreq *io)
{
    struct bring *r = io->r;
    struct vbd *v = r->v;

    r->inflight++;
    io->done = 0;
    if ( io->req.kind == BLK_FLUSH )
    {
        io->stage = IO_SYNC;
        io_submit_stage(io);
        return;
    }
    io->stage = IO_DATA;
    if ( io->req.kind == BLK_READ || io->req.kind == BLK_WRITE )
    {
        io->len = (size_t)io->req.nr_sectors * BLK_SECTOR;
        if ( posix_memalign((void **)&io->buf, PAGE, io->len) )
        {
            io->buf = NULL;
            v->st.oo_req++;
            io_done(io, BLKIF_RSP_ERROR);
            return;
        }
        v->inflight_bytes += io->len;
        if ( io->req.kind == BLK_WRITE &&
             grant_copy(v->domid, io->req.seg, io->req.nr_segs, io->buf,
                        false) )
        {
            dbg("%u/%u: write id %llu: bad grant", v->domid, v->devid,
                (unsigned long long)io->req.id);
            io_done(io, BLKIF_RSP_ERROR);
            return;
        }
    }
    io_submit_stage(io);
}

/* The request is over: answer it (if the ring is still there). */
static void io_done(struct ioreq *io, int status)
{
    struct bring *r = io->r;
    struct vbd *v = r->v;

    if ( status == BLKIF_RSP_OKAY )
    {
        if ( io->req.kind == BLK_READ )
            v->st.rd_sect += io->req.nr_sectors;
        else if ( io->req.kind == BLK_WRITE )
            v->st.wr_sect += io->req.nr_sectors;
    }
    r->inflight--;
    if ( io->buf )
        v->inflight_bytes -= io->len;
    if ( r->map )
        blk_ring_respond(&r->ring, io->req.id, io->req.rsp_op, status);
    free(io->buf);
    free(io);
    if ( r->held && r->inflight == 0 && r->map )
    {
        struct ioreq *b = r->held;

        r->held = NULL;
        start_io(b);
    }
}

static void io_complete(struct ioreq *io, int res)
{
    struct vbd *v = io->r->v;

    if ( res < 0 )
    {
        if ( io->req.kind == BLK_DISCARD && res == -EOPNOTSUPP )
        {
            io_done(io, BLKIF_RSP_EOPNOTSUPP);
            return;
        }
        if ( !v->io_error_logged )
            logmsg("%u/%u: I/O error: %s", v->domid, v->devid,
                   strerror(-res));
        v->io_error_logged = true;
        io_done(io, BLKIF_RSP_ERROR);
        return;
    }
    if ( io->stage == IO_DATA &&
         (io->req.kind == BLK_READ || io->req.kind == BLK_WRITE) )
    {
        if ( res == 0 )
        {
            io_done(io, BLKIF_RSP_ERROR);   /* the file shrank */
            return;
        }
        io->done += res;
        if ( io->done < io->len )
        {
            io_submit_stage(io);
            return;
        }
        if ( io->req.kind == BLK_READ &&
             grant_copy(v->domid, io->req.seg, io->req.nr_segs, io->buf,
                        true) )
        {
            io_done(io, BLKIF_RSP_ERROR);
            return;
        }
        if ( io->req.kind == BLK_WRITE && io->req.sync )
        {
            io->stage = IO_SYNC;
            io_submit_stage(io);
            return;
        }
    }
    io_done(io, BLKIF_RSP_OKAY);
}

/* Take one request off the ring and start it. */
static void start_request(struct bring *r, const union blkif_request *rq)
{
    struct vbd *v = r->v;
    struct ioreq *io = calloc(1, sizeof(*io));
    uint8_t *ind = NULL;
    int st;

    if ( !io )
    {
        /* Without memory we cannot even answer; count it. */
        v->st.oo_req++;
        return;
    }
    io->r = r;
    st = blk_parse(rq, &v->disk, &io->req);
    if ( st == BLKIF_RSP_OKAY && io->req.nr_indirect )
    {
        unsigned int i, n = io->req.nr_indirect;
        struct blk_seg pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];

        for ( i = 0; i < n; i++ )
        {
            pages[i].gref = io->req.indirect_grefs[i];
            pages[i].offset = 0;
            pages[i].len = PAGE;
        }
        ind = malloc((size_t)n * PAGE);
        if ( !ind || grant_copy(v->domid, pages, n, ind, false) )
            st = BLKIF_RSP_ERROR;
        else
            st = blk_parse_indirect((const void *)ind, &v->disk, &io->req);
        free(ind);
    }
    switch ( io->req.kind )
    {
    case BLK_READ:    v->st.rd_req++; break;
    case BLK_WRITE:   v->st.wr_req++; if ( io->req.sync ) v->st.f_req++; break;
    case BLK_FLUSH:   v->st.f_req++; break;
    case BLK_DISCARD: v->st.ds_req++; break;
    }
    if ( st != BLKIF_RSP_OKAY )
    {
        dbg("%u/%u: request op %u id %llu refused (%d)", v->domid, v->devid,
            rq->operation, (unsigned long long)io->req.id, st);
        blk_ring_respond(&r->ring, io->req.id, io->req.rsp_op, st);
        free(io);
        return;
    }
    if ( io->req.barrier && r->inflight )
    {
        r->held = io;           /* drain first */
        return;
    }
    start_io(io);
}

static void process_ring(struct bring *r)
{
    union blkif_request rq;
    int rc;

    if ( !r->map )
        return;
    while ( !r->held && !r->v->closing )
    {
        if ( r->v->inflight_bytes >= MAX_INFLIGHT_BYTES )
        {
            /* Completions call us again. */
            r->v->st.oo_req++;
            break;
        }
        rc = blk_ring_next(&r->ring, &rq);
        if ( rc < 0 )
        {
            if ( !r->halted_logged )
                logmsg("%u/%u: queue %u: frontend's req_prod %u runs more "
                       "than %u ahead of rsp_prod %u: halting this ring",
                       r->v->domid, r->v->devid, r->q,
                       r->ring.sring->req_prod, r->ring.size,
                       r->ring.rsp_prod_pvt);
            r->halted_logged = true;
            break;
        }
        if ( rc == 0 )
        {
            if ( blk_ring_final_check(&r->ring) )
                continue;
            break;
        }
        start_request(r, &rq);
    }
    ring_push(r);
}

static void reap_completions(void)
{
    struct io_uring_cqe *cqe;
    unsigned int i;
    struct vbd *v;

    while ( io_uring_peek_cqe(&bb.uring, &cqe) == 0 )
    {
        struct ioreq *io = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&bb.uring, cqe);
        if ( io )
            io_complete(io, res);
    }
    for ( v = bb.vbds; v; v = v->next )
        for ( i = 0; i < v->nrings; i++ )
            process_ring(&v->rings[i]);
}

static void flush_submissions(void)
{
    if ( bb.uring_pending )
    {
        io_uring_submit(&bb.uring);
        bb.uring_pending = 0;
    }
}

/* ---- connection ------------------------------------------------------- */

static struct bring *ring_by_port(int port)
{
    struct vbd *v;
    unsigned int i;

    for ( v = bb.vbds; v; v = v->next )
        for ( i = 0; i < v->nrings; i++ )
            if ( v->rings[i].port == port && v->rings[i].map )
                return &v->rings[i];
    return NULL;
}

/* Wait until no request of 'v' is in flight (the io_uring owns buffers). */
static void drain_vbd(struct vbd *v)
{
    unsigned int i, n;
    struct io_uring_cqe *cqe;

    for ( ;; )
    {
        for ( i = 0, n = 0; i < v->nrings; i++ )
            n += v->rings[i].inflight;
        if ( !n )
            break;
        flush_submissions();
        if ( io_uring_wait_cqe(&bb.uring, &cqe) < 0 )
            break;
        reap_completions();
    }
}

static void disconnect(struct vbd *v)
{
    unsigned int i;

    /* Requests in flight complete into the ring before it goes. */
    v->closing = true;
    drain_vbd(v);
    v->closing = false;
    for ( i = 0; i < v->nrings; i++ )
    {
        struct bring *r = &v->rings[i];

        if ( r->held )
        {
            free(r->held->buf);
            free(r->held);
            r->held = NULL;
        }
        if ( r->map )
        {
            ring_push(r);
            unmap_grants(r->map, r->npages, r->gnt_index);
            r->map = NULL;
        }
        if ( r->port >= 0 )
            xn_evtchn_unbind(bb.evtchn_fd, r->port);
        r->port = -1;
    }
    if ( v->nrings )
        dbg("%u/%u: disconnected", v->domid, v->devid);
    v->nrings = 0;
}

/*
 * Map the frontend's rings and bind its event channels.  'takeover':
 * the rings were served by a backend before us.  0 or -1 (the reason
 * logged and, unless takeover, put into the error node).
 */
static int connect_rings(struct vbd *v, bool takeover)
{
    char *proto = xs_readf("%s/protocol", v->fpath);
    long nq, order;
    char base[192], path[224];
    uint32_t refs[1u << MAX_RING_ORDER];
    unsigned int q, i, npages;
    long port;

    if ( proto && strcmp(proto, "x86_64-abi") )
    {
        vbd_fatal(v, "unsupported protocol %.40s (only x86_64-abi)", proto);
        free(proto);
        return -1;
    }
    free(proto);
    snprintf(path, sizeof(path), "%s/multi-queue-num-queues", v->fpath);
    nq = xs_read_num(path, 1);
    if ( nq < 1 || nq > (long)bb.max_queues )
    {
        vbd_fatal(v, "multi-queue-num-queues %ld not in 1..%u", nq,
                  bb.max_queues);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/ring-page-order", v->fpath);
    order = xs_read_num(path, 0);
    if ( order > MAX_RING_ORDER )
    {
        vbd_fatal(v, "ring-page-order %ld over %d", order, MAX_RING_ORDER);
        return -1;
    }
    npages = 1u << order;
    for ( q = 0; q < nq; q++ )
    {
        struct bring *r = &v->rings[q];

        memset(r, 0, sizeof(*r));
        r->v = v;
        r->q = q;
        r->port = -1;
        v->nrings = q + 1;
        if ( nq == 1 )
            snprintf(base, sizeof(base), "%s", v->fpath);
        else
            snprintf(base, sizeof(base), "%s/queue-%u", v->fpath, q);
        for ( i = 0; i < npages; i++ )
        {
            long ref;

            if ( order == 0 )
                snprintf(path, sizeof(path), "%s/ring-ref", base);
            else
                snprintf(path, sizeof(path), "%s/ring-ref%u", base, i);
            ref = xs_read_num(path, -1);
            if ( ref < 0 || ref > UINT32_MAX )
            {
                vbd_fatal(v, "reading %s", path);
                goto fail;
            }
            refs[i] = ref;
        }
        snprintf(path, sizeof(path), "%s/event-channel", base);
        port = xs_read_num(path, -1);
        if ( port < 0 || port > INT32_MAX )
        {
            vbd_fatal(v, "reading %s", path);
            goto fail;
        }
        r->map = map_grants(v->domid, refs, npages, &r->gnt_index);
        if ( !r->map )
        {
            vbd_fatal(v, "mapping ring %u (%u pages, ref %u): %s", q,
                      npages, refs[0], strerror(errno));
            goto fail;
        }
        r->npages = npages;
        r->port = xn_evtchn_bind_interdomain(bb.evtchn_fd, v->domid, port);
        if ( r->port < 0 )
        {
            vbd_fatal(v, "binding event channel %ld: %s", port,
                      strerror(-r->port));
            r->port = -1;
            goto fail;
        }
        blk_ring_attach(&r->ring, r->map, (unsigned long)npages * PAGE,
                        takeover);
        dbg("%u/%u: queue %u: %u-page ring (%u entries), port %ld -> %d%s",
            v->domid, v->devid, q, npages, r->ring.size, port, r->port,
            takeover ? ", taken over" : "");
    }
    return 0;
 fail:
    disconnect(v);
    return -1;
}

/* Open the disk named by params/mode (or the command line). */
static int open_disk(struct vbd *v)
{
    char *params = NULL, *mode = NULL;
    const char *file;
    struct stat sb;
    int ro, rc = -1;

    if ( bb.o->one_domid >= 0 )
        file = bb.o->one_params;
    else
    {
        params = xs_readf("%s/params", v->bpath);
        file = params;
    }
    if ( !file || !*file )
    {
        vbd_fatal(v, "no params (the disk to serve)");
        goto out;
    }
    if ( bb.o->one_domid >= 0 && bb.o->one_readonly >= 0 )
        ro = bb.o->one_readonly;
    else
    {
        mode = xs_readf("%s/mode", v->bpath);
        ro = mode && mode[0] == 'r' && mode[1] != 'w';
    }
    v->fd = open(file, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if ( v->fd < 0 )
    {
        vbd_fatal(v, "opening %.100s: %s", file, strerror(errno));
        goto out;
    }
    if ( fstat(v->fd, &sb) )
        goto bad;
    memset(&v->disk, 0, sizeof(v->disk));
    v->disk.readonly = ro;
    v->disk.max_indirect = BLK_MAX_INDIRECT_SEGS;
    if ( S_ISBLK(sb.st_mode) )
    {
        uint64_t bytes;

        if ( ioctl(v->fd, BLKGETSIZE64, &bytes) )
            goto bad;
        v->disk.sectors = bytes / BLK_SECTOR;
    }
    else if ( S_ISREG(sb.st_mode) )
    {
        v->disk.sectors = sb.st_size / BLK_SECTOR;
        /* Punching beyond the end changes nothing: a harmless probe. */
        v->disk.discard = !ro &&
            fallocate(v->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      sb.st_size + PAGE, PAGE) == 0;
    }
    else
    {
        errno = EINVAL;
        goto bad;
    }
    rc = 0;
    dbg("%u/%u: %s, %llu sectors, %s%s", v->domid, v->devid, file,
        (unsigned long long)v->disk.sectors, ro ? "read-only" : "read-write",
        v->disk.discard ? ", discard" : "");
    goto out;
 bad:
    vbd_fatal(v, "%.100s: %s", file, strerror(errno));
    close(v->fd);
    v->fd = -1;
 out:
    free(params);
    free(mode);
    return rc;
}

/* What Linux's blkback advertises at probe time, and the disk's nature. */
static void publish_features(struct vbd *v)
{
    set_node(v, "feature-max-indirect-segments", "%u", BLK_MAX_INDIRECT_SEGS);
    set_node(v, "max-ring-page-order", "%d", MAX_RING_ORDER);
    set_node(v, "multi-queue-max-queues", "%u", bb.max_queues);
    set_node(v, "feature-flush-cache", "1");
    set_node(v, "feature-barrier", "1");
    set_node(v, "feature-persistent", "0");
    if ( v->disk.discard )
    {
        set_node(v, "discard-granularity", "%u", PAGE);
        set_node(v, "discard-alignment", "0");
        set_node(v, "discard-secure", "0");
        set_node(v, "feature-discard", "1");
    }
    else
        set_node(v, "feature-discard", "0");
    set_node(v, "hotplug-status", "connected");
}

static void publish_disk(struct vbd *v)
{
    char *rem = xs_readf("%s/removable", v->bpath);
    unsigned int info = v->disk.readonly ? VDISK_READONLY : 0;

    if ( rem && !strcmp(rem, "1") )
        info |= VDISK_REMOVABLE;
    free(rem);
    set_node(v, "sectors", "%llu", (unsigned long long)v->disk.sectors);
    set_node(v, "sector-size", "%u", BLK_SECTOR);
    set_node(v, "physical-sector-size", "%u", BLK_SECTOR);
    set_node(v, "info", "%u", info);
}

/* ---- statistics --------------------------------------------------------- */

static void write_stats(struct vbd *v, bool force)
{
    static const char *const names[] = {
        "oo_req", "rd_req", "wr_req", "rd_sect", "wr_sect", "f_req", "ds_req",
    };
    const uint64_t *vals = &v->st.oo_req;
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
    unsigned int i;
    FILE *f;

    if ( !force && !memcmp(&v->st, &v->st_written, sizeof(v->st)) )
        return;
    for ( i = 0; i < 7; i++ )
    {
        snprintf(path, sizeof(path), "%s/%s", v->stats_dir, names[i]);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "w");
        if ( !f )
            return;
        fprintf(f, "%llu\n", (unsigned long long)vals[i]);
        if ( fclose(f) == 0 )
            rename(tmp, path);
    }
    v->st_written = v->st;
}

static void stats_open(struct vbd *v)
{
    char *p;

    snprintf(v->stats_dir, sizeof(v->stats_dir), "%s/%u-%u",
             bb.o->stats_dir, v->domid, v->devid);
    for ( p = v->stats_dir + 1; *p; p++ )
        if ( *p == '/' )
        {
            *p = '\0';
            mkdir(v->stats_dir, 0755);
            *p = '/';
        }
    mkdir(v->stats_dir, 0755);
    write_stats(v, true);
}

static void stats_remove(struct vbd *v)
{
    static const char *const names[] = {
        "oo_req", "rd_req", "wr_req", "rd_sect", "wr_sect", "f_req", "ds_req",
    };
    char path[PATH_MAX + 32];
    unsigned int i;

    for ( i = 0; i < 7; i++ )
    {
        snprintf(path, sizeof(path), "%s/%s", v->stats_dir, names[i]);
        unlink(path);
    }
    rmdir(v->stats_dir);
}

/* ---- the device state machine --------------------------------------- */

static void vbd_free(struct vbd *v)
{
    struct vbd **pp;

    disconnect(v);
    if ( v->fd >= 0 )
        close(v->fd);
    xs_unwatch(bb.xs, v->fstate_path, "fe");
    stats_remove(v);
    for ( pp = &bb.vbds; *pp; pp = &(*pp)->next )
        if ( *pp == v )
        {
            *pp = v->next;
            break;
        }
    dbg("%u/%u: forgotten", v->domid, v->devid);
    free(v);
}

static struct vbd *vbd_new(unsigned int domid, unsigned int devid)
{
    struct vbd *v;
    char *fe;
    char want[96];

    v = calloc(1, sizeof(*v));
    if ( !v )
        return NULL;
    v->domid = domid;
    v->devid = devid;
    v->fd = -1;
    snprintf(v->bpath, sizeof(v->bpath), "%s/%u/%u", bb.tree, domid, devid);
    fe = xs_readf("%s/frontend", v->bpath);
    snprintf(want, sizeof(want), "/local/domain/%u/device/vbd/%u", domid,
             devid);
    /*
     * The frontend must be the guest's own vbd node: a toolstack typo
     * (or a store writer with designs) must not point us elsewhere.
     */
    if ( !fe || strcmp(fe, want) )
    {
        free(fe);
        free(v);
        return NULL;
    }
    free(fe);
    snprintf(v->fpath, sizeof(v->fpath), "%s", want);
    snprintf(v->fstate_path, sizeof(v->fstate_path), "%s/state", v->fpath);
    xs_watch(bb.xs, v->fstate_path, "fe");
    stats_open(v);
    v->next = bb.vbds;
    bb.vbds = v;
    dbg("%u/%u: adopted (%s)", domid, devid, v->bpath);
    return v;
}

static void vbd_drive(struct vbd *v)
{
    long fstate, bstate, online;
    char path[192];

    fstate = xs_read_num(v->fstate_path, -1);
    snprintf(path, sizeof(path), "%s/state", v->bpath);
    bstate = xs_read_num(path, -1);
    snprintf(path, sizeof(path), "%s/online", v->bpath);
    online = xs_read_num(path, 1);

    if ( v->state == XB_UNKNOWN )
    {
        /*
         * Restart takeover: the device is Connected in the store, so a
         * backend served it before us.  Reattach without a visible
         * state change.
         */
        if ( bstate == XB_CONNECTED &&
             (fstate == XB_CONNECTED || fstate == XB_INITIALISED) )
        {
            if ( open_disk(v) )
                return;
            if ( connect_rings(v, true) )
                return;
            v->state = XB_CONNECTED;
            logmsg("%u/%u: took over the connected device", v->domid,
                   v->devid);
            process_ring(&v->rings[0]);
            {
                unsigned int i;

                for ( i = 1; i < v->nrings; i++ )
                    process_ring(&v->rings[i]);
            }
            return;
        }
        if ( bstate == XB_CLOSING || bstate == XB_CLOSED )
        {
            v->state = bstate;
            return;
        }
        if ( !online )
            return;
        if ( open_disk(v) )
            return;
        publish_features(v);
        set_state(v, XB_INITWAIT);
    }

    /* The toolstack detaches: online 0 and the backend set Closing. */
    if ( !online && bstate == XB_CLOSING &&
         (v->state == XB_INITWAIT || v->state == XB_CONNECTED) )
    {
        disconnect(v);
        set_state(v, XB_CLOSING);
    }

    switch ( v->state )
    {
    case XB_INITWAIT:
        if ( fstate == XB_INITIALISED || fstate == XB_CONNECTED )
        {
            if ( connect_rings(v, false) )
                return;
            publish_disk(v);
            set_state(v, XB_CONNECTED);
            logmsg("%u/%u: connected (%u queue%s)", v->domid, v->devid,
                   v->nrings, v->nrings == 1 ? "" : "s");
        }
        /*
         * A missing frontend state is left alone here: the toolstack may
         * not have written it yet, and a destroyed guest's device is
         * forgotten when the toolstack removes the backend directory.
         */
        else if ( fstate == XB_CLOSING || fstate == XB_CLOSED )
            set_state(v, fstate == XB_CLOSING ? XB_CLOSING : XB_CLOSED);
        break;
    case XB_CONNECTED:
        if ( fstate == XB_CONNECTED || fstate == XB_INITIALISED )
            break;
        disconnect(v);
        set_state(v, fstate == XB_CLOSING ? XB_CLOSING : XB_CLOSED);
        break;
    case XB_CLOSING:
        disconnect(v);
        if ( fstate < 0 || fstate == XB_CLOSED )
            set_state(v, XB_CLOSED);
        break;
    case XB_CLOSED:
        /* A frontend that starts over gets a fresh handshake. */
        if ( online && fstate == XB_INITIALISING )
        {
            if ( v->fd < 0 && open_disk(v) )
                return;
            publish_features(v);
            set_state(v, XB_INITWAIT);
        }
        break;
    }
}

static bool our_device(const char *bpath)
{
    char *t;
    bool ours;

    if ( bb.o->one_domid >= 0 )
        return true;
    t = xs_readf("%s/type", bpath);
    ours = t && !strcmp(t, bb.o->type);
    free(t);
    return ours;
}

static void scan(void)
{
    char **doms = NULL, **devs = NULL, path[192];
    unsigned int nd = 0, nv = 0, i, j;
    struct vbd *v, *next;

    for ( v = bb.vbds; v; v = v->next )
        v->seen = false;
    if ( xs_directory(bb.xs, 0, bb.tree, &doms, &nd) )
        nd = 0;
    for ( i = 0; i < nd; i++ )
    {
        char *end;
        unsigned long dom = strtoul(doms[i], &end, 10);

        if ( *end || dom >= DOMID_FIRST_RESERVED || dom == 0 )
            continue;
        if ( bb.o->one_domid >= 0 && dom != (unsigned long)bb.o->one_domid )
            continue;
        snprintf(path, sizeof(path), "%s/%lu", bb.tree, dom);
        if ( xs_directory(bb.xs, 0, path, &devs, &nv) )
            continue;
        for ( j = 0; j < nv; j++ )
        {
            unsigned long dev = strtoul(devs[j], &end, 10);

            if ( *end || dev > UINT32_MAX )
                continue;
            if ( bb.o->one_domid >= 0 && dev != bb.o->one_devid )
                continue;
            for ( v = bb.vbds; v; v = v->next )
                if ( v->domid == dom && v->devid == dev )
                    break;
            if ( !v )
            {
                snprintf(path, sizeof(path), "%s/%lu/%lu", bb.tree, dom, dev);
                if ( !our_device(path) )
                    continue;
                v = vbd_new(dom, dev);
                if ( !v )
                    continue;
            }
            v->seen = true;
            bb.one_seen = true;
            vbd_drive(v);
        }
        free(devs);
        devs = NULL;
    }
    free(doms);
    for ( v = bb.vbds; v; v = next )
    {
        next = v->next;
        if ( !v->seen )
            vbd_free(v);
    }
}

/* ---- the loop --------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    bb_stop = 1;
}

static void handle_events(void)
{
    int port;
    struct bring *r;

    while ( (port = xn_evtchn_pending(bb.evtchn_fd)) >= 0 )
    {
        xn_evtchn_unmask(bb.evtchn_fd, port);
        r = ring_by_port(port);
        if ( r )
            process_ring(r);
    }
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int bb_run(const struct bb_options *o)
{
    struct sigaction sa;
    double last_scan = 0, last_stats = 0;
    long ncpu;
    int rc;
    struct vbd *v;

    bb.o = o;
    snprintf(bb.tree, sizeof(bb.tree), DOM0_HOME "/%s", o->tree);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    bb.max_queues = ncpu < 1 ? 1 : ncpu > MAX_QUEUES ? MAX_QUEUES : ncpu;

    bb.xs = xs_open(XS_OPEN_ANY);
    if ( !bb.xs )
    {
        logmsg("cannot reach the store: %s", strerror(errno));
        return 1;
    }
    bb.evtchn_fd = xn_evtchn_open();
    if ( bb.evtchn_fd < 0 )
    {
        logmsg("/dev/xen/evtchn: %s", strerror(-bb.evtchn_fd));
        return 1;
    }
    fcntl(bb.evtchn_fd, F_SETFL, fcntl(bb.evtchn_fd, F_GETFL) | O_NONBLOCK);
    bb.gnt_fd = xn_gntdev_open();
    if ( bb.gnt_fd < 0 )
    {
        logmsg("/dev/xen/gntdev: %s", strerror(-bb.gnt_fd));
        return 1;
    }
    rc = io_uring_queue_init(URING_DEPTH, &bb.uring, 0);
    if ( rc < 0 )
    {
        logmsg("io_uring: %s", strerror(-rc));
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = xs_watch(bb.xs, bb.tree, "be");
    if ( rc )
    {
        logmsg("watching %s: %s", bb.tree, strerror(-rc));
        return 1;
    }
    dbg("serving %s (type %s), %u queues max", bb.tree,
        o->one_domid >= 0 ? "any" : o->type, bb.max_queues);

    while ( !bb_stop )
    {
        struct pollfd p[3] = {
            { .fd = xs_fileno(bb.xs), .events = POLLIN },
            { .fd = bb.evtchn_fd, .events = POLLIN },
            { .fd = bb.uring.ring_fd, .events = POLLIN },
        };
        bool rescan = false;
        char *buf;
        const char *path, *token;
        double t;

        while ( xs_read_watch(bb.xs, 0, &buf, &path, &token) == 0 )
        {
            rescan = true;
            free(buf);
        }
        t = now_s();
        if ( rescan || t - last_scan >= 2.0 )
        {
            scan();
            last_scan = t;
            if ( o->one_domid >= 0 && bb.one_seen && !bb.vbds )
            {
                logmsg("%d/%u: device removed; exiting", o->one_domid,
                       o->one_devid);
                break;
            }
        }
        flush_submissions();
        if ( t - last_stats >= 1.0 )
        {
            for ( v = bb.vbds; v; v = v->next )
                write_stats(v, false);
            last_stats = t;
        }
        if ( poll(p, 3, 1000) < 0 && errno != EINTR )
        {
            logmsg("poll: %s", strerror(errno));
            break;
        }
        if ( p[1].revents & POLLIN )
            handle_events();
        reap_completions();
        flush_submissions();
    }
    /*
     * Leave the store as it is: the devices stay Connected and a new
     * backend takes them over.  The rings are unmapped by exit.
     */
    for ( v = bb.vbds; v; v = v->next )
    {
        drain_vbd(v);
        write_stats(v, false);
    }
    return 0;
}
