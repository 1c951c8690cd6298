/*
 * xs_wire.h: the xenstore wire protocol and the shared ring page.
 *
 * Every message, in either direction and over either transport (the Unix
 * socket of dom0's tools or a domain's shared ring page), is a 16-byte
 * header, struct xsd_sockmsg, followed by 'len' bytes of payload.  Payloads
 * are sequences of NUL-terminated strings except where a value is binary
 * (the value of WRITE and the reply to READ).  The numbering of message
 * types, the error names and the ring layout are those of Xen, so that
 * unmodified Linux xenbus drivers and Xen's libxenstore talk to us.
 *
 * Payload summary (| is a NUL byte; see docs/xenstore.md for semantics):
 *
 *   READ             <path>|                    -> <value>
 *   WRITE            <path>|<value>             -> OK|
 *   MKDIR            <path>|                    -> OK|
 *   RM               <path>|                    -> OK|
 *   DIRECTORY        <path>|                    -> <name>|*
 *   DIRECTORY_PART   <path>|<offset>|           -> <gen>|<name>|* [|]
 *   GET_PERMS        <path>|                    -> <perm>|+
 *   SET_PERMS        <path>|<perm>|+            -> OK|
 *   WATCH            <path>|<token>|            -> OK|, then WATCH_EVENT
 *   UNWATCH          <path>|<token>|            -> OK|
 *   WATCH_EVENT      (server only)                 <path>|<token>|
 *   TRANSACTION_START |                         -> <txid>|
 *   TRANSACTION_END  T| (commit) or F| (abort)  -> OK|
 *   INTRODUCE        <domid>|<gfn>|<port>|      -> OK|
 *   RELEASE          <domid>|                   -> OK|
 *   GET_DOMAIN_PATH  <domid>|                   -> /local/domain/<domid>|
 *   IS_DOMAIN_INTRODUCED <domid>|               -> T| or F|
 *   RESUME           <domid>|                   -> OK|
 *   SET_TARGET       <domid>|<target domid>|    -> OK|
 *   RESET_WATCHES    |                          -> OK|
 *   CONTROL          <command>|<args>|*         -> command specific
 *   ERROR            (server only)                 <errno name>|
 *
 * A <perm> is one letter (n none, r read, w write, b both) followed by a
 * decimal domain id; the first one names the owner and the access of every
 * domain not listed.
 */
#ifndef XEN_PUBLIC_IO_XS_WIRE_H
#define XEN_PUBLIC_IO_XS_WIRE_H

#include <stdint.h>

/* Message types.  Numbers are Xen's and are never reused. */
enum xsd_sockmsg_type
{
    XS_CONTROL              = 0,   /* was XS_DEBUG */
    XS_DIRECTORY            = 1,
    XS_READ                 = 2,
    XS_GET_PERMS            = 3,
    XS_WATCH                = 4,
    XS_UNWATCH              = 5,
    XS_TRANSACTION_START    = 6,
    XS_TRANSACTION_END      = 7,
    XS_INTRODUCE            = 8,
    XS_RELEASE              = 9,
    XS_GET_DOMAIN_PATH      = 10,
    XS_WRITE                = 11,
    XS_MKDIR                = 12,
    XS_RM                   = 13,
    XS_SET_PERMS            = 14,
    XS_WATCH_EVENT          = 15,
    XS_ERROR                = 16,
    XS_IS_DOMAIN_INTRODUCED = 17,
    XS_RESUME               = 18,
    XS_SET_TARGET           = 19,
    /* 20 was XS_RESTRICT: retired, never reused. */
    XS_RESET_WATCHES        = 21,
    XS_DIRECTORY_PART       = 22,

    XS_TYPE_COUNT,                 /* number of type values defined */

    XS_INVALID              = 0xffff  /* never a valid type */
};
#define XS_DEBUG XS_CONTROL

/* Transaction id 0 means "not in a transaction". */
#define XS_TRANSACTION_NONE 0u

/* Header of every message.  Integers are in the host's byte order. */
struct xsd_sockmsg
{
    uint32_t type;    /* enum xsd_sockmsg_type */
    uint32_t req_id;  /* chosen by the client, echoed in the reply */
    uint32_t tx_id;   /* transaction id, 0 outside transactions */
    uint32_t len;     /* payload bytes that follow the header */
};
typedef struct xsd_sockmsg xsd_sockmsg_t;

/* Index of the path and token strings of a WATCH_EVENT payload. */
enum xs_watch_type
{
    XS_WATCH_PATH  = 0,
    XS_WATCH_TOKEN = 1,
};

/*
 * Errors travel as the name of the errno value ("ENOENT"), never as a
 * number, so that client and server need not share errno numbering.  The
 * list below is the complete set a server may send, in Xen's order; new
 * names are only ever appended.
 */
#define XSD_ERROR_NAMES(X)                                                  \
    X(EINVAL) X(EACCES) X(EEXIST) X(EISDIR) X(ENOENT) X(ENOMEM) X(ENOSPC)   \
    X(EIO) X(ENOTEMPTY) X(ENOSYS) X(EROFS) X(EBUSY) X(EAGAIN) X(EISCONN)    \
    X(E2BIG) X(EPERM)

/* Limits.  Exceeding the payload limit gets a connection dropped. */
#define XENSTORE_PAYLOAD_MAX   4096
#define XENSTORE_ABS_PATH_MAX  3072
#define XENSTORE_REL_PATH_MAX  2048

/*
 * The shared ring page of a domain (docs: "xenstore ring").  Two byte
 * queues with free-running 32-bit producer/consumer indices; the byte at
 * stream offset x lives at x % XENSTORE_RING_SIZE.  The domain produces
 * into req and the server into rsp; every index update is followed by a
 * notification on the domain's store event channel.  A consumer must read
 * both indices once, check 0 <= prod - cons <= XENSTORE_RING_SIZE, and
 * order its data accesses after that read (and before publishing its new
 * index) with a full barrier.
 */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface
{
    char req[XENSTORE_RING_SIZE];          /* domain -> server */
    char rsp[XENSTORE_RING_SIZE];          /* server -> domain */
    XENSTORE_RING_IDX req_cons, req_prod;  /* req_prod written by domain */
    XENSTORE_RING_IDX rsp_cons, rsp_prod;  /* rsp_prod written by server */
    uint32_t server_features;              /* XENSTORE_SERVER_FEATURE_*,
                                              written by the server only */
    uint32_t connection;                   /* XENSTORE_CONNECTED/RECONNECT */
    uint32_t error;                        /* XENSTORE_ERROR_*, server */
};
typedef struct xenstore_domain_interface xenstore_domain_interface_t;

/* Bits of server_features.  Once advertised, never withdrawn. */
#define XENSTORE_SERVER_FEATURE_RECONNECTION 1  /* connection field works */
#define XENSTORE_SERVER_FEATURE_ERROR        2  /* error field works */

/* Values of connection: only the domain sets RECONNECT, only the server
 * sets it back to CONNECTED after emptying both queues. */
#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1

/* Values of error: why the server stopped talking on this ring. */
#define XENSTORE_ERROR_NONE    0
#define XENSTORE_ERROR_COMM    1   /* event channel not working */
#define XENSTORE_ERROR_RINGIDX 2   /* inconsistent producer/consumer */
#define XENSTORE_ERROR_PROTO   3   /* message longer than the maximum */

/* Permission letters of <perm> strings. */
#define XS_PERM_CHAR_NONE  'n'
#define XS_PERM_CHAR_READ  'r'
#define XS_PERM_CHAR_WRITE 'w'
#define XS_PERM_CHAR_BOTH  'b'

/* Arguments of WRITE's ancient create flags, still accepted as values. */
#define XS_WRITE_NONE        "NONE"
#define XS_WRITE_CREATE      "CREATE"
#define XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/* Layout pins: these offsets are ABI shared with every guest kernel. */
_Static_assert(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg size");
_Static_assert(__builtin_offsetof(struct xsd_sockmsg, len) == 12,
               "xsd_sockmsg.len offset");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, rsp)
               == 1024, "ring rsp offset");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, req_cons)
               == 2048, "ring req_cons offset");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, rsp_prod)
               == 2060, "ring rsp_prod offset");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface,
                                  server_features) == 2064,
               "ring server_features offset");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, error)
               == 2072, "ring error offset");
_Static_assert(sizeof(struct xenstore_domain_interface) == 2076,
               "ring page used size");
_Static_assert((XENSTORE_RING_SIZE & (XENSTORE_RING_SIZE - 1)) == 0,
               "ring size must be a power of two");
_Static_assert(XS_DIRECTORY_PART == 22 && XS_RESET_WATCHES == 21,
               "message type numbering");

#endif /* XEN_PUBLIC_IO_XS_WIRE_H */
