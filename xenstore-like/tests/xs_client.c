/*
 * xs_client.c: see xs_client.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xs_client.h"

int xsc_open(struct xsc *c, const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    memset(c, 0, sizeof(*c));
    c->next_req = 1;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if ( c->fd < 0 )
        return -1;
    if ( connect(c->fd, (struct sockaddr *)&a, sizeof(a)) )
    {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

void xsc_close(struct xsc *c)
{
    if ( c->fd >= 0 )
        close(c->fd);
    c->fd = -1;
}

static int full(int fd, void *buf, size_t len, int wr)
{
    size_t done = 0;
    ssize_t n;

    while ( done < len )
    {
        n = wr ? write(fd, (char *)buf + done, len - done)
               : read(fd, (char *)buf + done, len - done);
        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
            return -1;
        done += n;
    }
    return 0;
}

int xsc_errno(const char *name)
{
    static const struct { const char *n; int e; } t[] = {
#define X(e) { #e, e },
        XSD_ERROR_NAMES(X)
#undef X
    };
    size_t i;

    for ( i = 0; i < sizeof(t) / sizeof(t[0]); i++ )
        if ( !strcmp(t[i].n, name) )
            return t[i].e;
    return EIO;
}

int xsc_call(struct xsc *c, uint32_t type, uint32_t tx, const void *data,
             uint32_t len)
{
    struct xsd_sockmsg h = { type, c->next_req++, tx, len };
    char msg[sizeof(h) + XENSTORE_PAYLOAD_MAX];

    if ( len > XENSTORE_PAYLOAD_MAX )
        return -1;
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), data, len);
    if ( full(c->fd, msg, sizeof(h) + len, 1) )
        return -1;
    for ( ;; )
    {
        struct xsd_sockmsg r;

        if ( full(c->fd, &r, sizeof(r), 0) || r.len > XENSTORE_PAYLOAD_MAX ||
             full(c->fd, c->buf, r.len, 0) )
            return -1;
        c->buf[r.len] = '\0';
        c->len = r.len;
        c->type = r.type;
        if ( r.type == XS_WATCH_EVENT || r.req_id != h.req_id )
            continue;
        return r.type == XS_ERROR ? xsc_errno(c->buf) : 0;
    }
}

int xsc_read(struct xsc *c, uint32_t tx, const char *path)
{
    return xsc_call(c, XS_READ, tx, path, strlen(path) + 1);
}

int xsc_write(struct xsc *c, uint32_t tx, const char *path, const char *val)
{
    char b[XENSTORE_PAYLOAD_MAX];
    size_t pl = strlen(path) + 1, vl = strlen(val);

    if ( pl + vl > sizeof(b) )
        return EINVAL;
    memcpy(b, path, pl);
    memcpy(b + pl, val, vl);
    return xsc_call(c, XS_WRITE, tx, b, pl + vl);
}

int xsc_start(struct xsc *c, uint32_t *tx)
{
    int rc = xsc_call(c, XS_TRANSACTION_START, 0, "", 1);

    if ( !rc )
        *tx = strtoul(c->buf, NULL, 10);
    return rc;
}

int xsc_end(struct xsc *c, uint32_t tx, int commit)
{
    return xsc_call(c, XS_TRANSACTION_END, tx, commit ? "T" : "F", 2);
}
