/*
 * netback.c: xenia-netback's devices, rings and packets
 * (docs/pv-drivers.md).
 *
 * One thread, one poll loop: the store connection (watch events), the
 * event channel device and one TAP per connected vif.  Packets move by
 * grant copy through /dev/xen/gntdev between the guest's granted pages
 * and buffers of our own; only the two rings are mapped.
 */
#define _GNU_SOURCE
#include "netback.h"
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>

#include "xenia_ctrl.h"
#include "xenia_xs.h"
#include <xen/gntdev.h>

#define DOM0_HOME        "/local/domain/0"
#define MAX_VIFS         64
#define VNET_HLEN        sizeof(struct virtio_net_hdr)
#define MAX_FRAME        65536u
/* tx packets handled before looking at the other devices. */
#define TX_BATCH         64

/* xenbus states */
enum { XB_UNKNOWN, XB_INITIALISING, XB_INITWAIT, XB_INITIALISED,
       XB_CONNECTED, XB_CLOSING, XB_CLOSED };

struct nb_stats {
    uint64_t tx_bytes, tx_packets, rx_bytes, rx_packets;
};
static const char *const stat_names[] = {
    "tx_bytes", "tx_packets", "rx_bytes", "rx_packets",
};
#define NSTATS 4

struct vif {
    struct vif *next;
    unsigned int domid, devid;
    char bpath[128];
    char fpath[128];
    char fstate_path[160];
    int state;                  /* what we published (or adopted)    */
    bool seen;
    /* the connection */
    void *txmap, *rxmap;        /* NULL: not mapped                   */
    int tx_index, rx_index;     /* gntdev offsets                     */
    int tx_port, rx_port;       /* local ports; equal when not split  */
    struct nb_ring tx, rx;
    int tap;                    /* -1: none                           */
    char ifname[IFNAMSIZ];
    bool sg;                    /* the frontend takes multi-slot rx   */
    bool rx_wait;               /* no rx buffer: TAP not polled       */
    bool halted_logged;
    size_t pend;                /* a frame read, waiting for buffers  */
    uint8_t *rxbuf;
    struct nb_stats st, st_written;
    char stats_dir[PATH_MAX];
};

static struct {
    const struct nb_options *o;
    struct xs_conn *xs;
    int evtchn_fd;
    int gnt_fd;
    int sock;                   /* for interface ioctls               */
    struct vif *vifs;
    char tree[128];
    bool one_seen;
    uint8_t txbuf[VNET_HLEN + MAX_FRAME];
} nb;

static volatile sig_atomic_t nb_stop;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
    va_list ap;

    fputs("xenia-netback: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#define dbg(...) do { if ( nb.o->verbose ) logmsg(__VA_ARGS__); } while ( 0 )

/* ---- store helpers ---------------------------------------------------- */

static char *xs_readf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xs_readf(const char *fmt, ...)
{
    char path[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return xs_read(nb.xs, 0, path, NULL);
}

/* A non-negative number from the store, or 'def' when missing/garbled. */
static long xs_read_num(const char *path, long def)
{
    char *s = xs_read(nb.xs, 0, path, NULL), *end;
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
    rc = xs_write_str(nb.xs, 0, path, val);
    if ( rc )
        logmsg("store write %s: %s", path, strerror(-rc));
}

static void set_node(struct vif *v, const char *node, const char *val)
{
    char path[192];

    snprintf(path, sizeof(path), "%s/%s", v->bpath, node);
    xs_writef(path, "%s", val);
}

/*
 * Publish our state, in a transaction that first checks the backend
 * directory is still there (a removed device must stay removed).
 */
static void set_state(struct vif *v, int state)
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
        if ( xs_transaction_start(nb.xs, &tx) )
            break;
        d = xs_read(nb.xs, tx, v->bpath, NULL);
        if ( !d )
        {
            xs_transaction_end(nb.xs, tx, 0);
            return;
        }
        free(d);
        rc = xs_write_str(nb.xs, tx, path, val);
        if ( rc )
        {
            xs_transaction_end(nb.xs, tx, 0);
            break;
        }
        rc = xs_transaction_end(nb.xs, tx, 1);
        if ( rc != -EAGAIN )
            return;
    }
    logmsg("%u/%u: could not publish state %d", v->domid, v->devid, state);
}

/* As xenbus_dev_fatal: the message in dom0's error/ tree, state Closing. */
static void vif_fatal(struct vif *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void vif_fatal(struct vif *v, const char *fmt, ...)
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

static void *map_grant(domid_t dom, uint32_t ref, int *index)
{
    struct ioctl_gntdev_map_grant_ref m;
    struct ioctl_gntdev_unmap_grant_ref u;
    void *va;
    int e;

    memset(&m, 0, sizeof(m));
    m.count = 1;
    m.refs[0].domid = dom;
    m.refs[0].ref = ref;
    if ( ioctl(nb.gnt_fd, IOCTL_GNTDEV_MAP_GRANT_REF, &m) < 0 )
        return NULL;
    va = mmap(NULL, NB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, nb.gnt_fd,
              m.index);
    if ( va == MAP_FAILED )
    {
        e = errno;
        memset(&u, 0, sizeof(u));
        u.index = m.index;
        u.count = 1;
        ioctl(nb.gnt_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
        errno = e;
        return NULL;
    }
    *index = m.index;
    return va;
}

static void unmap_grant(void *va, int index)
{
    struct ioctl_gntdev_unmap_grant_ref u;

    munmap(va, NB_PAGE);
    memset(&u, 0, sizeof(u));
    u.index = index;
    u.count = 1;
    if ( ioctl(nb.gnt_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) < 0 )
        logmsg("gntdev unmap: %s", strerror(errno));
}

/*
 * Copy between our buffer and the guest's pieces, laid end to end in
 * 'buf' ('to_guest': rx).  0, or -1 when any grant failed.
 */
static int grant_copy(domid_t dom, const struct nb_frag *fr, unsigned int n,
                      uint8_t *buf, bool to_guest)
{
    struct gntdev_grant_copy_segment c[NB_MAX_CHAIN];
    struct ioctl_gntdev_grant_copy op;
    unsigned int i, k = 0;
    size_t off = 0;

    if ( n > NB_MAX_CHAIN )
        return -1;
    memset(c, 0, sizeof(c[0]) * n);
    for ( i = 0; i < n; i++ )
    {
        if ( !fr[i].len )
            continue;
        if ( to_guest )
        {
            c[k].source.virt = buf + off;
            c[k].dest.foreign.ref = fr[i].gref;
            c[k].dest.foreign.offset = fr[i].offset;
            c[k].dest.foreign.domid = dom;
            c[k].flags = GNTCOPY_dest_gref;
        }
        else
        {
            c[k].source.foreign.ref = fr[i].gref;
            c[k].source.foreign.offset = fr[i].offset;
            c[k].source.foreign.domid = dom;
            c[k].dest.virt = buf + off;
            c[k].flags = GNTCOPY_source_gref;
        }
        c[k].len = fr[i].len;
        off += fr[i].len;
        k++;
    }
    if ( !k )
        return 0;
    op.count = k;
    op.segments = c;
    if ( ioctl(nb.gnt_fd, IOCTL_GNTDEV_GRANT_COPY, &op) < 0 )
        return -1;
    for ( i = 0; i < k; i++ )
        if ( c[i].status != GNTST_okay )
            return -1;
    return 0;
}

/* ---- packets ---------------------------------------------------------- */

static void push_tx(struct vif *v)
{
    if ( v->txmap && nb_ring_push(&v->tx) && v->tx_port >= 0 )
        xn_evtchn_notify(nb.evtchn_fd, v->tx_port);
}

static void push_rx(struct vif *v)
{
    if ( v->rxmap && nb_ring_push(&v->rx) && v->rx_port >= 0 )
        xn_evtchn_notify(nb.evtchn_fd, v->rx_port);
}

static void halted(struct vif *v, const char *ring)
{
    if ( v->halted_logged )
        return;
    v->halted_logged = true;
    logmsg("%u/%u: corrupt %s ring (producer index or slot chain): "
           "stopped", v->domid, v->devid, ring);
}

/* Guest -> dom0: every whole packet on the tx ring into the TAP. */
static void process_tx(struct vif *v)
{
    struct nb_tx_pkt pkt;
    struct virtio_net_hdr *h = (struct virtio_net_hdr *)nb.txbuf;
    uint8_t *frame = nb.txbuf + VNET_HLEN;
    unsigned int done = 0;
    int16_t status;
    int n;

    if ( !v->txmap || v->tap < 0 )
        return;
    for ( ;; )
    {
        n = nb_tx_next(&v->tx, &pkt);
        if ( n < 0 )
        {
            halted(v, "tx");
            break;
        }
        if ( n == 0 )
        {
            push_tx(v);
            if ( !nb_ring_final_check(&v->tx) )
                break;
            continue;
        }
        status = pkt.status;
        if ( status != NETIF_RSP_OKAY )
            dbg("%u/%u: tx packet refused (%u slots, length %u)", v->domid,
                v->devid, pkt.nslots, pkt.len);
        else if ( grant_copy(v->domid, pkt.frag, pkt.nfrags, frame, false) )
        {
            dbg("%u/%u: tx grant copy failed", v->domid, v->devid);
            status = NETIF_RSP_ERROR;
        }
        else
        {
            memset(h, 0, sizeof(*h));
            /* csum_blank: the checksum is ours to fill in. */
            if ( (pkt.flags & NETTXF_csum_blank) &&
                 nb_csum_fill(frame, pkt.len) )
                dbg("%u/%u: tx csum_blank on a frame without TCP/UDP "
                    "over IP: sent as is", v->domid, v->devid);
            else if ( pkt.flags & (NETTXF_csum_blank | NETTXF_data_validated) )
                h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
            if ( write(v->tap, nb.txbuf, VNET_HLEN + pkt.len) < 0 )
                dbg("%u/%u: tap write: %s", v->domid, v->devid,
                    strerror(errno));
            v->st.tx_packets++;
            v->st.tx_bytes += pkt.len;
        }
        nb_tx_respond_pkt(&v->tx, &pkt, status);
        if ( ++done % TX_BATCH == 0 )
            push_tx(v);
    }
}

/*
 * dom0 -> guest: frames from the TAP into the guest's posted buffers,
 * while there are buffers.
 */
static void process_rx(struct vif *v)
{
    struct netif_rx_request rq;
    struct nb_frag fr[NB_MAX_CHAIN];
    uint16_t ids[NB_MAX_CHAIN];
    struct virtio_net_hdr *h = (struct virtio_net_hdr *)v->rxbuf;
    uint8_t *frame = v->rxbuf + VNET_HLEN;
    unsigned int i, slots;
    uint16_t flags;
    size_t len, off;
    ssize_t got;
    int avail, bad;

    if ( !v->rxmap || v->tap < 0 )
        return;
    v->rx_wait = false;
    for ( ;; )
    {
        avail = nb_ring_pending(&v->rx);
        if ( avail < 0 )
        {
            halted(v, "rx");
            v->rx_wait = true;
            break;
        }
        if ( !v->pend )
        {
            if ( avail == 0 )
            {
                push_rx(v);
                if ( nb_ring_final_check(&v->rx) )
                    continue;
                v->rx_wait = true;
                break;
            }
            got = read(v->tap, v->rxbuf, VNET_HLEN + MAX_FRAME);
            if ( got < 0 )
                break;              /* EAGAIN: nothing more */
            if ( got < (ssize_t)(VNET_HLEN + NB_ETH_HLEN) )
                continue;
            v->pend = got;
        }
        len = v->pend - VNET_HLEN;
        slots = nb_rx_slots(len);
        if ( slots > NB_MAX_CHAIN || (slots > 1 && !v->sg) ||
             len > INT16_MAX )
        {
            v->pend = 0;            /* cannot be delivered: dropped */
            continue;
        }
        if ( (unsigned int)avail < slots )
        {
            push_rx(v);
            if ( nb_ring_final_check(&v->rx) )
                continue;
            v->rx_wait = true;
            break;
        }
        flags = 0;
        if ( h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM )
        {
            if ( nb_csum_fill(frame, len) == 0 )
                flags = NETRXF_data_validated;
        }
        else if ( h->flags & VIRTIO_NET_HDR_F_DATA_VALID )
            flags = NETRXF_data_validated;
        for ( i = 0, off = 0; i < slots; i++, off += NB_PAGE )
        {
            nb_rx_take(&v->rx, &rq);
            ids[i] = rq.id;
            fr[i].gref = rq.gref;
            fr[i].offset = 0;
            fr[i].len = len - off > NB_PAGE ? NB_PAGE : len - off;
        }
        bad = grant_copy(v->domid, fr, slots, frame, true);
        if ( bad )
            dbg("%u/%u: rx grant copy failed", v->domid, v->devid);
        for ( i = 0; i < slots; i++ )
            nb_rx_respond(&v->rx, ids[i], 0,
                          (i == 0 ? flags : 0) |
                          (i + 1 < slots ? NETRXF_more_data : 0),
                          bad ? NETIF_RSP_ERROR : (int16_t)fr[i].len);
        if ( !bad )
        {
            v->st.rx_packets++;
            v->st.rx_bytes += len;
        }
        v->pend = 0;
    }
    push_rx(v);
}

/* ---- the TAP ---------------------------------------------------------- */

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
    return ioctl(nb.sock, req, ifr) < 0 ? -errno : 0;
}

/* vifN.D on the bridge, up.  0, or -1 with the reason in the error node. */
static int tap_create(struct vif *v)
{
    struct ifreq ifr;
    char *bridge = NULL;
    const char *br;
    int fd, rc, idx;

    if ( nb.o->bridge )
        br = nb.o->bridge;
    else
    {
        bridge = xs_readf("%s/bridge", v->bpath);
        br = bridge && *bridge ? bridge : "xenbr0";
    }
    if ( strlen(br) >= IFNAMSIZ )
    {
        vif_fatal(v, "bridge name %.40s too long", br);
        goto fail;
    }
    snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", v->domid, v->devid);
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if ( fd < 0 )
    {
        vif_fatal(v, "/dev/net/tun: %s", strerror(errno));
        goto fail;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", v->ifname);
    if ( ioctl(fd, TUNSETIFF, &ifr) < 0 )
    {
        vif_fatal(v, "creating TAP %s: %s", v->ifname, strerror(errno));
        close(fd);
        goto fail;
    }
    v->tap = fd;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", v->ifname);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    if ( (rc = ifreq_ioctl(SIOCSIFHWADDR, &ifr)) )
        logmsg("%s: setting the MAC: %s", v->ifname, strerror(-rc));
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", v->ifname);
    ifr.ifr_mtu = 1500;
    ifreq_ioctl(SIOCSIFMTU, &ifr);
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", v->ifname);
    if ( (rc = ifreq_ioctl(SIOCGIFINDEX, &ifr)) )
    {
        vif_fatal(v, "%s: no interface index: %s", v->ifname, strerror(-rc));
        goto fail_tap;
    }
    idx = ifr.ifr_ifindex;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", br);
    ifr.ifr_ifindex = idx;
    if ( (rc = ifreq_ioctl(SIOCBRADDIF, &ifr)) )
    {
        vif_fatal(v, "adding %s to bridge %s: %s", v->ifname, br,
                  strerror(-rc));
        goto fail_tap;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", v->ifname);
    if ( (rc = ifreq_ioctl(SIOCGIFFLAGS, &ifr)) == 0 )
    {
        ifr.ifr_flags |= IFF_UP;
        rc = ifreq_ioctl(SIOCSIFFLAGS, &ifr);
    }
    if ( rc )
    {
        vif_fatal(v, "bringing %s up: %s", v->ifname, strerror(-rc));
        goto fail_tap;
    }
    dbg("%u/%u: %s on bridge %s", v->domid, v->devid, v->ifname, br);
    free(bridge);
    return 0;
 fail_tap:
    close(v->tap);
    v->tap = -1;
 fail:
    free(bridge);
    return -1;
}

/* ---- connection ------------------------------------------------------- */

static struct vif *vif_by_port(int port)
{
    struct vif *v;

    for ( v = nb.vifs; v; v = v->next )
        if ( v->txmap && (v->tx_port == port || v->rx_port == port) )
            return v;
    return NULL;
}

static void disconnect(struct vif *v)
{
    bool was = v->txmap || v->rxmap || v->tap >= 0;

    if ( v->txmap )
    {
        push_tx(v);
        unmap_grant(v->txmap, v->tx_index);
        v->txmap = NULL;
    }
    if ( v->rxmap )
    {
        push_rx(v);
        unmap_grant(v->rxmap, v->rx_index);
        v->rxmap = NULL;
    }
    if ( v->tx_port >= 0 )
        xn_evtchn_unbind(nb.evtchn_fd, v->tx_port);
    if ( v->rx_port >= 0 && v->rx_port != v->tx_port )
        xn_evtchn_unbind(nb.evtchn_fd, v->rx_port);
    v->tx_port = v->rx_port = -1;
    if ( v->tap >= 0 )
        close(v->tap);              /* the TAP goes, off the bridge */
    v->tap = -1;
    v->pend = 0;
    v->halted_logged = false;
    if ( was )
        dbg("%u/%u: disconnected", v->domid, v->devid);
}

static long fe_num(struct vif *v, const char *node, long def)
{
    char path[224];

    snprintf(path, sizeof(path), "%s/%s", v->fpath, node);
    return xs_read_num(path, def);
}

static int bind_port(struct vif *v, long port)
{
    int p;

    if ( port < 0 || port > INT32_MAX )
        return -1;
    p = xn_evtchn_bind_interdomain(nb.evtchn_fd, v->domid, port);
    if ( p < 0 )
    {
        vif_fatal(v, "binding event channel %ld: %s", port, strerror(-p));
        return -1;
    }
    return p;
}

/*
 * Read the frontend's nodes, map its rings, bind its port(s), make the
 * TAP.  'takeover': a backend served the rings before us.  0 or -1.
 */
static int connect_vif(struct vif *v, bool takeover)
{
    long txref, rxref, port, txport, rxport, nq;

    nq = fe_num(v, "multi-queue-num-queues", 1);
    if ( nq != 1 )
    {
        vif_fatal(v, "multi-queue-num-queues %ld: only 1 queue served", nq);
        return -1;
    }
    if ( fe_num(v, "request-rx-copy", 0) != 1 )
    {
        vif_fatal(v, "the frontend does not request rx-copy "
                  "(page flipping is not supported)");
        return -1;
    }
    if ( fe_num(v, "feature-rx-notify", 0) != 1 )
    {
        vif_fatal(v, "the frontend lacks feature-rx-notify");
        return -1;
    }
    v->sg = fe_num(v, "feature-sg", 0) == 1;
    txref = fe_num(v, "tx-ring-ref", -1);
    rxref = fe_num(v, "rx-ring-ref", -1);
    if ( txref < 0 || txref > UINT32_MAX || rxref < 0 || rxref > UINT32_MAX )
    {
        vif_fatal(v, "reading %s/{tx,rx}-ring-ref", v->fpath);
        return -1;
    }
    port = fe_num(v, "event-channel", -1);
    txport = fe_num(v, "event-channel-tx", -1);
    rxport = fe_num(v, "event-channel-rx", -1);
    if ( port < 0 && (txport < 0 || rxport < 0) )
    {
        vif_fatal(v, "reading %s/event-channel", v->fpath);
        return -1;
    }
    v->txmap = map_grant(v->domid, txref, &v->tx_index);
    if ( !v->txmap )
    {
        vif_fatal(v, "mapping tx ring (ref %ld): %s", txref, strerror(errno));
        goto fail;
    }
    v->rxmap = map_grant(v->domid, rxref, &v->rx_index);
    if ( !v->rxmap )
    {
        vif_fatal(v, "mapping rx ring (ref %ld): %s", rxref, strerror(errno));
        goto fail;
    }
    if ( port >= 0 )
    {
        if ( (v->tx_port = bind_port(v, port)) < 0 )
            goto fail;
        v->rx_port = v->tx_port;
    }
    else
    {
        if ( (v->tx_port = bind_port(v, txport)) < 0 )
            goto fail;
        if ( (v->rx_port = bind_port(v, rxport)) < 0 )
            goto fail;
    }
    if ( tap_create(v) )
        goto fail;
    nb_ring_attach(&v->tx, v->txmap, sizeof(union netif_tx_sring_entry),
                   takeover);
    nb_ring_attach(&v->rx, v->rxmap, sizeof(union netif_rx_sring_entry),
                   takeover);
    dbg("%u/%u: rings tx %ld rx %ld, %s %d/%d, sg %d%s", v->domid, v->devid,
        txref, rxref, port >= 0 ? "port" : "split ports", v->tx_port,
        v->rx_port, v->sg, takeover ? ", taken over" : "");
    return 0;
 fail:
    disconnect(v);
    return -1;
}

/* What Linux's netback advertises, less GSO and the control ring. */
static void publish_features(struct vif *v)
{
    set_node(v, "feature-sg", "1");
    set_node(v, "feature-gso-tcpv4", "0");
    set_node(v, "feature-gso-tcpv6", "0");
    set_node(v, "feature-ipv6-csum-offload", "0");
    set_node(v, "feature-rx-copy", "1");
    set_node(v, "feature-rx-flip", "0");
    set_node(v, "feature-multicast-control", "0");
    set_node(v, "feature-split-event-channels", "1");
    set_node(v, "multi-queue-max-queues", "1");
    set_node(v, "feature-ctrl-ring", "0");
    set_node(v, "hotplug-status", "connected");
}

/* ---- statistics ------------------------------------------------------- */

static void write_stats(struct vif *v, bool force)
{
    const uint64_t *vals = &v->st.tx_bytes;
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
    unsigned int i;
    FILE *f;

    if ( !force && !memcmp(&v->st, &v->st_written, sizeof(v->st)) )
        return;
    for ( i = 0; i < NSTATS; i++ )
    {
        snprintf(path, sizeof(path), "%s/%s", v->stats_dir, stat_names[i]);
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

static void stats_open(struct vif *v)
{
    char *p;

    snprintf(v->stats_dir, sizeof(v->stats_dir), "%s/%u-%u",
             nb.o->stats_dir, v->domid, v->devid);
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

static void stats_remove(struct vif *v)
{
    char path[PATH_MAX + 32];
    unsigned int i;

    for ( i = 0; i < NSTATS; i++ )
    {
        snprintf(path, sizeof(path), "%s/%s", v->stats_dir, stat_names[i]);
        unlink(path);
    }
    rmdir(v->stats_dir);
}

/* ---- the device state machine --------------------------------------- */

static void vif_free(struct vif *v)
{
    struct vif **pp;

    disconnect(v);
    xs_unwatch(nb.xs, v->fstate_path, "fe");
    stats_remove(v);
    for ( pp = &nb.vifs; *pp; pp = &(*pp)->next )
        if ( *pp == v )
        {
            *pp = v->next;
            break;
        }
    dbg("%u/%u: forgotten", v->domid, v->devid);
    free(v->rxbuf);
    free(v);
}

static struct vif *vif_new(unsigned int domid, unsigned int devid)
{
    struct vif *v;
    char *fe;
    char want[96];
    unsigned int n = 0;

    for ( v = nb.vifs; v; v = v->next )
        n++;
    if ( n >= MAX_VIFS )
        return NULL;
    v = calloc(1, sizeof(*v));
    if ( !v )
        return NULL;
    v->rxbuf = malloc(VNET_HLEN + MAX_FRAME);
    if ( !v->rxbuf )
    {
        free(v);
        return NULL;
    }
    v->domid = domid;
    v->devid = devid;
    v->tap = v->tx_port = v->rx_port = -1;
    snprintf(v->bpath, sizeof(v->bpath), "%s/%u/%u", nb.tree, domid, devid);
    fe = xs_readf("%s/frontend", v->bpath);
    snprintf(want, sizeof(want), "/local/domain/%u/device/vif/%u", domid,
             devid);
    /* The frontend must be the guest's own vif node, nothing else. */
    if ( !fe || strcmp(fe, want) )
    {
        free(fe);
        free(v->rxbuf);
        free(v);
        return NULL;
    }
    free(fe);
    snprintf(v->fpath, sizeof(v->fpath), "%s", want);
    snprintf(v->fstate_path, sizeof(v->fstate_path), "%s/state", v->fpath);
    xs_watch(nb.xs, v->fstate_path, "fe");
    stats_open(v);
    v->next = nb.vifs;
    nb.vifs = v;
    dbg("%u/%u: adopted (%s)", domid, devid, v->bpath);
    return v;
}

static void vif_drive(struct vif *v)
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
        /* Restart takeover: Connected in the store, served before us. */
        if ( bstate == XB_CONNECTED && fstate == XB_CONNECTED )
        {
            if ( connect_vif(v, true) )
                return;
            v->state = XB_CONNECTED;
            logmsg("%u/%u: took over the connected device", v->domid,
                   v->devid);
            process_tx(v);
            process_rx(v);
            return;
        }
        if ( bstate == XB_CLOSING || bstate == XB_CLOSED )
        {
            v->state = bstate;
            return;
        }
        if ( !online )
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
            if ( connect_vif(v, false) )
                return;
            set_state(v, XB_CONNECTED);
            logmsg("%u/%u: connected, %s", v->domid, v->devid, v->ifname);
            process_tx(v);
            process_rx(v);
        }
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

    if ( nb.o->one_domid >= 0 )
        return true;
    t = xs_readf("%s/type", bpath);
    ours = t && !strcmp(t, nb.o->type);
    free(t);
    return ours;
}

static void scan(void)
{
    char **doms = NULL, **devs = NULL, path[192];
    unsigned int nd = 0, nv = 0, i, j;
    struct vif *v, *next;

    for ( v = nb.vifs; v; v = v->next )
        v->seen = false;
    if ( xs_directory(nb.xs, 0, nb.tree, &doms, &nd) )
        nd = 0;
    for ( i = 0; i < nd; i++ )
    {
        char *end;
        unsigned long dom = strtoul(doms[i], &end, 10);

        if ( *end || dom >= DOMID_FIRST_RESERVED || dom == 0 )
            continue;
        if ( nb.o->one_domid >= 0 && dom != (unsigned long)nb.o->one_domid )
            continue;
        snprintf(path, sizeof(path), "%s/%lu", nb.tree, dom);
        if ( xs_directory(nb.xs, 0, path, &devs, &nv) )
            continue;
        for ( j = 0; j < nv; j++ )
        {
            unsigned long dev = strtoul(devs[j], &end, 10);

            if ( *end || dev > 0xffff )
                continue;
            if ( nb.o->one_domid >= 0 && dev != nb.o->one_devid )
                continue;
            for ( v = nb.vifs; v; v = v->next )
                if ( v->domid == dom && v->devid == dev )
                    break;
            if ( !v )
            {
                snprintf(path, sizeof(path), "%s/%lu/%lu", nb.tree, dom, dev);
                if ( !our_device(path) )
                    continue;
                v = vif_new(dom, dev);
                if ( !v )
                    continue;
            }
            v->seen = true;
            nb.one_seen = true;
            vif_drive(v);
        }
        free(devs);
        devs = NULL;
    }
    free(doms);
    for ( v = nb.vifs; v; v = next )
    {
        next = v->next;
        if ( !v->seen )
            vif_free(v);
    }
}

/* ---- the loop --------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    nb_stop = 1;
}

static void handle_events(void)
{
    int port;
    struct vif *v;

    while ( (port = xn_evtchn_pending(nb.evtchn_fd)) >= 0 )
    {
        xn_evtchn_unmask(nb.evtchn_fd, port);
        v = vif_by_port(port);
        if ( !v )
            continue;
        if ( port == v->tx_port )
            process_tx(v);
        if ( port == v->rx_port )
            process_rx(v);
    }
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int nb_run(const struct nb_options *o)
{
    struct pollfd p[2 + MAX_VIFS];
    struct vif *pv[2 + MAX_VIFS];
    struct sigaction sa;
    double last_scan = 0, last_stats = 0;
    struct vif *v;
    unsigned int np, i;
    int rc;

    nb.o = o;
    snprintf(nb.tree, sizeof(nb.tree), DOM0_HOME "/%s", o->tree);
    nb.xs = xs_open(XS_OPEN_ANY);
    if ( !nb.xs )
    {
        logmsg("cannot reach the store: %s", strerror(errno));
        return 1;
    }
    nb.evtchn_fd = xn_evtchn_open();
    if ( nb.evtchn_fd < 0 )
    {
        logmsg("/dev/xen/evtchn: %s", strerror(-nb.evtchn_fd));
        return 1;
    }
    fcntl(nb.evtchn_fd, F_SETFL, fcntl(nb.evtchn_fd, F_GETFL) | O_NONBLOCK);
    nb.gnt_fd = xn_gntdev_open();
    if ( nb.gnt_fd < 0 )
    {
        logmsg("/dev/xen/gntdev: %s", strerror(-nb.gnt_fd));
        return 1;
    }
    nb.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if ( nb.sock < 0 )
    {
        logmsg("socket: %s", strerror(errno));
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = xs_watch(nb.xs, nb.tree, "be");
    if ( rc )
    {
        logmsg("watching %s: %s", nb.tree, strerror(-rc));
        return 1;
    }
    dbg("serving %s (type %s)", nb.tree,
        o->one_domid >= 0 ? "any" : o->type);

    while ( !nb_stop )
    {
        bool rescan = false;
        char *buf;
        const char *path, *token;
        double t;

        while ( xs_read_watch(nb.xs, 0, &buf, &path, &token) == 0 )
        {
            rescan = true;
            free(buf);
        }
        t = now_s();
        if ( rescan || t - last_scan >= 2.0 )
        {
            scan();
            last_scan = t;
            if ( o->one_domid >= 0 && nb.one_seen && !nb.vifs )
            {
                logmsg("%d/%u: device removed; exiting", o->one_domid,
                       o->one_devid);
                break;
            }
        }
        if ( t - last_stats >= 1.0 )
        {
            for ( v = nb.vifs; v; v = v->next )
                write_stats(v, false);
            last_stats = t;
        }
        p[0].fd = xs_fileno(nb.xs);
        p[0].events = POLLIN;
        p[1].fd = nb.evtchn_fd;
        p[1].events = POLLIN;
        np = 2;
        for ( v = nb.vifs; v && np < 2 + MAX_VIFS; v = v->next )
            if ( v->tap >= 0 && v->rxmap && !v->rx_wait )
            {
                p[np].fd = v->tap;
                p[np].events = POLLIN;
                pv[np++] = v;
            }
        if ( poll(p, np, 1000) < 0 && errno != EINTR )
        {
            logmsg("poll: %s", strerror(errno));
            break;
        }
        if ( p[1].revents & POLLIN )
            handle_events();
        for ( i = 2; i < np; i++ )
            if ( p[i].revents & POLLIN )
            {
                /* handle_events may have freed nothing: vifs go in scan. */
                process_rx(pv[i]);
            }
    }
    /* Leave the store as it is: a new backend takes the devices over. */
    for ( v = nb.vifs; v; v = v->next )
    {
        push_tx(v);
        push_rx(v);
        write_stats(v, false);
    }
    return 0;
}
