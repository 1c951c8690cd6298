/*
 * xs_client.h: a minimal blocking xenstore client over the Unix socket,
 * for the stress test and the bench (not linked into the daemon).
 */
#ifndef XENIA_XS_CLIENT_H
#define XENIA_XS_CLIENT_H

#include <stdint.h>

#include "../include/public/io/xs_wire.h"

struct xsc
{
    int fd;
    uint32_t next_req;
    char buf[XENSTORE_PAYLOAD_MAX + 1];   /* last reply payload, NUL-ended */
    uint32_t len;
    uint32_t type;
};

int xsc_open(struct xsc *c, const char *path);
void xsc_close(struct xsc *c);
/* Sends one request and waits for its reply (watch events are skipped).
 * Returns 0 on a normal reply, a positive errno for an ERROR reply, -1
 * when the connection broke. */
int xsc_call(struct xsc *c, uint32_t type, uint32_t tx, const void *data,
             uint32_t len);
/* Helpers on NUL-terminated arguments. */
int xsc_read(struct xsc *c, uint32_t tx, const char *path);
int xsc_write(struct xsc *c, uint32_t tx, const char *path, const char *val);
int xsc_start(struct xsc *c, uint32_t *tx);
int xsc_end(struct xsc *c, uint32_t tx, int commit);
int xsc_errno(const char *name);

#endif /* XENIA_XS_CLIENT_H */
