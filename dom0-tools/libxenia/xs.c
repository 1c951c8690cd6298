/*
 * xs.c: libxenia's xenstore client (see xenia_xs.h).
 */
#include "xenia_xs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define XS_DEFAULT_SOCKET "/run/xenstored/socket"
#define XS_XENBUS_DEV     "/dev/xen/xenbus"

/* A queued watch event. */
struct xs_event
{
    struct xs_event *next;
    size_t len;
    char data[];
};

struct xs_conn
{
    int fd;
    int is_socket;
    uint32_t req_id;
    struct xs_event *events, **events_tail;
};

int xs_errno(const char *name)
{
    static const struct
    {
        const char *name;
        int err;
    } names[] = {
#define XS_ERRNAME(e) { #e, e },
        XSD_ERROR_NAMES(XS_ERRNAME)
#undef XS_ERRNAME
    };
    unsigned int i;

    for ( i = 0; i < sizeof(names) / sizeof(names[0]); i++ )
        if ( !strcmp(name, names[i].name) )
            return names[i].err;
    return EIO;
}

static int xs_open_socket(void)
{
    const char *path = getenv("XENSTORED_PATH");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, e;

    if ( !path || !*path )
        path = XS_DEFAULT_SOCKET;
    if ( strlen(path) >= sizeof(sa.sun_path) )
    {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if ( fd < 0 )
        return -1;
    if ( connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 )
    {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

struct xs_conn *xs_open(int how)
{
    struct xs_conn *c = calloc(1, sizeof(*c));

    if ( !c )
        return NULL;
    c->fd = -1;
    if ( how & XS_OPEN_SOCKET )
    {
        c->fd = xs_open_socket();
        c->is_socket = c->fd >= 0;
    }
    if ( c->fd < 0 && (how & XS_OPEN_XENBUS) )
        c->fd = open(XS_XENBUS_DEV, O_RDWR | O_CLOEXEC);
    if ( c->fd < 0 )
    {
        int e = errno;

        free(c);
        errno = e;
        return NULL;
    }
    c->events_tail = &c->events;
    return c;
}

void xs_close(struct xs_conn *c)
{
    struct xs_event *ev;

    if ( !c )
        return;
    while ( (ev = c->events) != NULL )
    {
        c->events = ev->next;
        free(ev);
    }
    close(c->fd);
    free(c);
}

int xs_fileno(const struct xs_conn *c)
{
    return c->fd;
}

const char *xs_transport(const struct xs_conn *c)
{
    return c->is_socket ? "socket" : "xenbus";
}

static int xs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while ( len )
    {
        ssize_t n = write(fd, p, len);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
            return n < 0 ? -errno : -EIO;
        p += n;
        len -= n;
    }
    return 0;
}

static int xs_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while ( len )
    {
        ssize_t n = read(fd, p, len);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n < 0 )
            return -errno;
        if ( n == 0 )
            return -ECONNRESET;
        p += n;
        len -= n;
    }
    return 0;
}

/* Read one message; *body malloc'd (len + 1 bytes, NUL-terminated). */
static int xs_read_msg(struct xs_conn *c, struct xsd_sockmsg *hdr,
                       char **body)
{
    int rc = xs_read_all(c->fd, hdr, sizeof(*hdr));

    if ( rc )
        return rc;
    if ( hdr->len > XENSTORE_PAYLOAD_MAX )
        return -E2BIG;
    *body = malloc(hdr->len + 1);
    if ( !*body )
        return -ENOMEM;
    rc = xs_read_all(c->fd, *body, hdr->len);
    if ( rc )
    {
        free(*body);
        return rc;
    }
    (*body)[hdr->len] = '\0';
    return 0;
}

static int xs_queue_event(struct xs_conn *c, const char *body, size_t len)
{
    struct xs_event *ev = malloc(sizeof(*ev) + len + 1);

    if ( !ev )
        return -ENOMEM;
    ev->next = NULL;
    ev->len = len;
    memcpy(ev->data, body, len);
    ev->data[len] = '\0';
    *c->events_tail = ev;
    c->events_tail = &ev->next;
    return 0;
}

long xs_request(struct xs_conn *c, uint32_t type, uint32_t tx,
                const void *payload, size_t len, char **reply)
{
    struct xsd_sockmsg hdr = {
        .type = type, .req_id = ++c->req_id, .tx_id = tx, .len = len,
    };
    char *msg, *body;
    int rc;

    if ( len > XENSTORE_PAYLOAD_MAX )
        return -E2BIG;
    /* One write: /dev/xen/xenbus wants the message in one piece. */
    msg = malloc(sizeof(hdr) + len);
    if ( !msg )
        return -ENOMEM;
    memcpy(msg, &hdr, sizeof(hdr));
    if ( len )
        memcpy(msg + sizeof(hdr), payload, len);
    rc = xs_write_all(c->fd, msg, sizeof(hdr) + len);
    free(msg);
    if ( rc )
        return rc;

    for ( ;; )
    {
        struct xsd_sockmsg rh;

        rc = xs_read_msg(c, &rh, &body);
        if ( rc )
            return rc;
        if ( rh.type == XS_WATCH_EVENT )
        {
            rc = xs_queue_event(c, body, rh.len);
            free(body);
            if ( rc )
                return rc;
            continue;
        }
        if ( rh.type == XS_ERROR )
        {
            rc = -xs_errno(body);
            free(body);
            return rc;
        }
        if ( rh.type != type )
        {
            free(body);
            return -EBADMSG;
        }
        if ( reply )
            *reply = body;
        else
            free(body);
        return rh.len;
    }
}

/* path\0 (and value) as one payload. */
static long xs_path_req(struct xs_conn *c, uint32_t type, uint32_t tx,
                        const char *path, const void *extra, size_t elen,
                        int extra_nul, char **reply)
{
    size_t pl = strlen(path) + 1, len = pl + elen + (extra_nul ? 1 : 0);
    char *buf;
    long rc;

    if ( len > XENSTORE_PAYLOAD_MAX )
        return -E2BIG;
    buf = malloc(len);
    if ( !buf )
        return -ENOMEM;
    memcpy(buf, path, pl);
    if ( elen )
        memcpy(buf + pl, extra, elen);
    if ( extra_nul )
        buf[pl + elen] = '\0';
    rc = xs_request(c, type, tx, buf, len, reply);
    free(buf);
    return rc;
}

char *xs_read(struct xs_conn *c, uint32_t tx, const char *path,
              size_t *len)
{
    char *r = NULL;
    long rc = xs_path_req(c, XS_READ, tx, path, NULL, 0, 0, &r);

    if ( rc < 0 )
    {
        errno = -rc;
        return NULL;
    }
    if ( len )
        *len = rc;
    return r;
}

int xs_write(struct xs_conn *c, uint32_t tx, const char *path,
             const void *val, size_t len)
{
    long rc = xs_path_req(c, XS_WRITE, tx, path, val, len, 0, NULL);

    return rc < 0 ? rc : 0;
}

int xs_write_str(struct xs_conn *c, uint32_t tx, const char *path,
                 const char *val)
{
    return xs_write(c, tx, path, val, strlen(val));
}

int xs_mkdir(struct xs_conn *c, uint32_t tx, const char *path)
{
    long rc = xs_path_req(c, XS_MKDIR, tx, path, NULL, 0, 0, NULL);

    return rc < 0 ? rc : 0;
}

int xs_rm(struct xs_conn *c, uint32_t tx, const char *path)
{
    long rc = xs_path_req(c, XS_RM, tx, path, NULL, 0, 0, NULL);

    return rc < 0 ? rc : 0;
}

/* Split a list of NUL-terminated strings into a pointer array. */
static int xs_split(char *buf, size_t len, char ***names,
                    unsigned int *count)
{
    unsigned int n = 0, i = 0;
    size_t k;
    char **v, *s;

    for ( k = 0; k < len; k++ )
        if ( buf[k] == '\0' )
            n++;
    v = malloc(n * sizeof(char *) + len + 1);
    if ( !v )
        return -ENOMEM;
    s = (char *)(v + n);
    memcpy(s, buf, len);
    s[len] = '\0';
    for ( k = 0; k < len && i < n; k += strlen(s + k) + 1 )
        v[i++] = s + k;
    *names = v;
    *count = i;
    return 0;
}

int xs_directory(struct xs_conn *c, uint32_t tx, const char *path,
                 char ***names, unsigned int *count)
{
    char *r = NULL;
    long rc = xs_path_req(c, XS_DIRECTORY, tx, path, NULL, 0, 0, &r);

    if ( rc < 0 )
        return rc;
    rc = xs_split(r, rc, names, count);
    free(r);
    return rc;
}

int xs_set_perms(struct xs_conn *c, uint32_t tx, const char *path,
                 const char *const *perms, unsigned int n)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t len = 0, l;
    unsigned int i;
    long rc;

    for ( i = 0; i < n; i++ )
    {
        l = strlen(perms[i]) + 1;
        if ( len + l > sizeof(buf) )
            return -E2BIG;
        memcpy(buf + len, perms[i], l);
        len += l;
    }
    rc = xs_path_req(c, XS_SET_PERMS, tx, path, buf, len, 0, NULL);
    return rc < 0 ? rc : 0;
}

char *xs_get_perms(struct xs_conn *c, uint32_t tx, const char *path,
                   size_t *len)
{
    char *r = NULL;
    long rc = xs_path_req(c, XS_GET_PERMS, tx, path, NULL, 0, 0, &r);

    if ( rc < 0 )
    {
        errno = -rc;
        return NULL;
    }
    if ( len )
        *len = rc;
    return r;
}

int xs_transaction_start(struct xs_conn *c, uint32_t *tx)
{
    char *r = NULL;
    long rc = xs_request(c, XS_TRANSACTION_START, 0, "", 1, &r);

    if ( rc < 0 )
        return rc;
    *tx = strtoul(r, NULL, 10);
    free(r);
    return *tx ? 0 : -EIO;
}

int xs_transaction_end(struct xs_conn *c, uint32_t tx, int commit)
{
    const char *v = commit ? "T" : "F";
    long rc = xs_request(c, XS_TRANSACTION_END, tx, v, 2, NULL);

    return rc < 0 ? rc : 0;
}

int xs_watch(struct xs_conn *c, const char *path, const char *token)
{
    long rc = xs_path_req(c, XS_WATCH, 0, path, token, strlen(token), 1,
                          NULL);

    return rc < 0 ? rc : 0;
}

int xs_unwatch(struct xs_conn *c, const char *path, const char *token)
{
    long rc = xs_path_req(c, XS_UNWATCH, 0, path, token, strlen(token), 1,
                          NULL);

    return rc < 0 ? rc : 0;
}

int xs_read_watch(struct xs_conn *c, int timeout_ms, char **buf,
                  const char **path, const char **token)
{
    struct xs_event *ev;

    while ( !c->events )
    {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        struct xsd_sockmsg hdr;
        char *body;
        int rc = poll(&p, 1, timeout_ms);

        if ( rc < 0 && errno == EINTR )
            continue;
        if ( rc < 0 )
            return -errno;
        if ( rc == 0 )
            return -ETIMEDOUT;
        rc = xs_read_msg(c, &hdr, &body);
        if ( rc )
            return rc;
        if ( hdr.type == XS_WATCH_EVENT )
            rc = xs_queue_event(c, body, hdr.len);
        free(body);         /* a stray reply is dropped */
        if ( rc )
            return rc;
    }
    ev = c->events;
    c->events = ev->next;
    if ( !c->events )
        c->events_tail = &c->events;
    /* The event struct itself is the buffer the caller frees. */
    memmove(ev, ev->data, ev->len + 1);
    *buf = (char *)ev;
    *path = *buf;
    *token = *buf + strlen(*buf) + 1;
    if ( (size_t)(*token - *buf) > ev->len )
        *token = *buf + strlen(*buf);
    return 0;
}

int xs_introduce(struct xs_conn *c, unsigned int domid, uint64_t mfn,
                 unsigned int port)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%u%c%llu%c%u", domid, '\0',
                     (unsigned long long)mfn, '\0', port);
    long rc = xs_request(c, XS_INTRODUCE, 0, buf, n + 1, NULL);

    return rc < 0 ? rc : 0;
}

int xs_release(struct xs_conn *c, unsigned int domid)
{
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%u", domid);
    long rc = xs_request(c, XS_RELEASE, 0, buf, n + 1, NULL);

    return rc < 0 ? rc : 0;
}

int xs_is_introduced(struct xs_conn *c, unsigned int domid)
{
    char buf[16], *r = NULL;
    int n = snprintf(buf, sizeof(buf), "%u", domid);
    long rc = xs_request(c, XS_IS_DOMAIN_INTRODUCED, 0, buf, n + 1, &r);

    if ( rc < 0 )
        return rc;
    rc = r[0] == 'T';
    free(r);
    return rc;
}
