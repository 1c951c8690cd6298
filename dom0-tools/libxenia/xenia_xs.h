/*
 * xenia_xs.h: libxenia's xenstore client.
 *
 * The wire protocol of include/public/io/xs_wire.h over the store's Unix
 * socket (/run/xenstored/socket, or $XENSTORED_PATH) or over
 * /dev/xen/xenbus.  Works with xenia-stored and Xen's C xenstored.
 * Requests are synchronous; watch events that arrive meanwhile are
 * queued for xs_read_watch().  Not thread safe.
 *
 * Functions return 0 (or a count) on success and -errno on failure; the
 * errno is the store's (ENOENT, EACCES, EAGAIN, ...) or the transport's.
 */
#ifndef XENIA_XS_H
#define XENIA_XS_H

#include <stddef.h>
#include <stdint.h>

#include <public/io/xs_wire.h>

struct xs_conn;

#define XS_OPEN_SOCKET  1      /* only the socket                        */
#define XS_OPEN_XENBUS  2      /* only /dev/xen/xenbus                   */
#define XS_OPEN_ANY     3      /* the socket, else xenbus                */

/* NULL with errno set on failure. */
struct xs_conn *xs_open(int how);
void xs_close(struct xs_conn *c);
/* The file descriptor, for poll() on watch events. */
int xs_fileno(const struct xs_conn *c);
/* "socket" or "xenbus". */
const char *xs_transport(const struct xs_conn *c);

/*
 * One request; the reply payload (NUL-terminated, malloc'd) in *reply
 * when reply != NULL.  Returns the reply length or -errno.
 */
long xs_request(struct xs_conn *c, uint32_t type, uint32_t tx,
                const void *payload, size_t len, char **reply);

/* malloc'd value (NUL-terminated) or NULL with errno set. */
char *xs_read(struct xs_conn *c, uint32_t tx, const char *path,
              size_t *len);
int xs_write(struct xs_conn *c, uint32_t tx, const char *path,
             const void *val, size_t len);
int xs_write_str(struct xs_conn *c, uint32_t tx, const char *path,
                 const char *val);
int xs_mkdir(struct xs_conn *c, uint32_t tx, const char *path);
int xs_rm(struct xs_conn *c, uint32_t tx, const char *path);
/*
 * The children of path: *names is a malloc'd array of *count pointers
 * into the same allocation (free(*names) frees all).
 */
int xs_directory(struct xs_conn *c, uint32_t tx, const char *path,
                 char ***names, unsigned int *count);
/* perms: "n0", "r5", ... (owner first), as in xenstore-chmod. */
int xs_set_perms(struct xs_conn *c, uint32_t tx, const char *path,
                 const char *const *perms, unsigned int n);
/* malloc'd perms string list "n0\0r5\0", or NULL with errno set. */
char *xs_get_perms(struct xs_conn *c, uint32_t tx, const char *path,
                   size_t *len);
int xs_transaction_start(struct xs_conn *c, uint32_t *tx);
/* commit = 1 to commit, 0 to abort; -EAGAIN: retry the transaction. */
int xs_transaction_end(struct xs_conn *c, uint32_t tx, int commit);
int xs_watch(struct xs_conn *c, const char *path, const char *token);
int xs_unwatch(struct xs_conn *c, const char *path, const char *token);
/*
 * Next watch event (blocks; timeout_ms < 0 = forever, else -ETIMEDOUT).
 * *path and *token point into one malloc'd buffer returned in *buf.
 */
int xs_read_watch(struct xs_conn *c, int timeout_ms, char **buf,
                  const char **path, const char **token);
int xs_introduce(struct xs_conn *c, unsigned int domid, uint64_t mfn,
                 unsigned int port);
int xs_release(struct xs_conn *c, unsigned int domid);
int xs_is_introduced(struct xs_conn *c, unsigned int domid);

/* Store error name ("ENOENT") to errno, EIO if unknown. */
int xs_errno(const char *name);

#endif /* XENIA_XS_H */
