/*
 * xs_socket.c: the Unix socket dom0's tools connect to.
 *
 * Clients of the socket act as dom0 (privileged, domain path
 * /local/domain/0), as with Xen's xenstored.  The listening socket is
 * created with mode 0600 in a directory made if missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenstored.h"

static int sock_read(struct xs_conn *c, void *buf, unsigned int len, int *err)
{
    ssize_t n;

    do
        n = read(c->fd, buf, len);
    while ( n < 0 && errno == EINTR );
    if ( n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) )
        return 0;
    if ( n <= 0 )
    {
        /* EOF is a normal goodbye; an error is not. */
        *err = n ? XENSTORE_ERROR_COMM : XENSTORE_ERROR_NONE;
        return -1;
    }
    return n;
}

static int sock_write(struct xs_conn *c, const void *buf, unsigned int len,
                      int *err)
{
    ssize_t n;

    do
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
    while ( n < 0 && errno == EINTR );
    if ( n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) )
        return 0;
    if ( n < 0 )
    {
        *err = XENSTORE_ERROR_COMM;
        return -1;
    }
    return n;
}

static void sock_close(struct xs_conn *c)
{
    if ( c->fd >= 0 )
        close(c->fd);
    c->fd = -1;
}

const struct xs_transport xs_socket_transport = {
    .name = "socket",
    .read = sock_read,
    .write = sock_write,
    .close = sock_close,
};

static void make_parent_dir(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if ( !slash || slash == dir )
        return;
    *slash = '\0';
    mkdir(dir, 0755);          /* errors show up at bind() */
}

int xs_socket_listen(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = -1, saved;

    if ( strlen(path) >= sizeof(addr.sun_path) )
    {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    make_parent_dir(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if ( fd < 0 )
        return -1;
    unlink(path);
    if ( bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
         chmod(path, 0600) || listen(fd, 64) )
        goto fail;
    return fd;

 fail:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

struct xs_conn *xs_socket_accept(struct xs_core *core, int lfd)
{
    struct xs_conn *c;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if ( fd < 0 )
        return NULL;
    c = xs_conn_new(core, &xs_socket_transport, NULL, 0, true);
    if ( !c )
    {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    return c;
}
