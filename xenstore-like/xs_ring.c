/*
 * xs_ring.c: the two byte queues of a xenstore ring page.
 *
 * The page is shared with a domain that may scribble on it at any time:
 * every index is read exactly once per call (through a volatile access),
 * checked (0 <= prod - cons <= XENSTORE_RING_SIZE, in free-running 32-bit
 * arithmetic), and a full barrier orders the index read before the data
 * access and the data access before the index update.  An inconsistent
 * pair of indices is reported as -1 and the caller stops the connection
 * with XENSTORE_ERROR_RINGIDX.
 *
 * The client-side twins are used by the unit tests and the fuzz target
 * to play the domain's part on an in-memory page.
 */
#include <string.h>

#include "xenstored.h"

#define RD(x) (*(const volatile XENSTORE_RING_IDX *)&(x))
#define barrier_full() __atomic_thread_fence(__ATOMIC_SEQ_CST)

static bool indexes_ok(XENSTORE_RING_IDX cons, XENSTORE_RING_IDX prod)
{
    return (XENSTORE_RING_IDX)(prod - cons) <= XENSTORE_RING_SIZE;
}

/* Consume up to len bytes from a queue into buf. */
static int consume(const char *q, volatile XENSTORE_RING_IDX *consp,
                   volatile XENSTORE_RING_IDX *prodp, void *buf,
                   unsigned int len)
{
    XENSTORE_RING_IDX cons = *consp, prod = *prodp;
    unsigned int avail, chunk, done = 0;

    barrier_full();
    if ( !indexes_ok(cons, prod) )
        return -1;
    avail = prod - cons;
    if ( len > avail )
        len = avail;
    while ( done < len )
    {
        chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons + done);
        if ( chunk > len - done )
            chunk = len - done;
        memcpy((char *)buf + done, q + MASK_XENSTORE_IDX(cons + done), chunk);
        done += chunk;
    }
    barrier_full();
    *consp = cons + done;
    return done;
}

/* Produce up to len bytes from buf into a queue. */
static int produce(char *q, volatile XENSTORE_RING_IDX *consp,
                   volatile XENSTORE_RING_IDX *prodp, const void *buf,
                   unsigned int len)
{
    XENSTORE_RING_IDX cons = *consp, prod = *prodp;
    unsigned int space, chunk, done = 0;

    barrier_full();
    if ( !indexes_ok(cons, prod) )
        return -1;
    space = XENSTORE_RING_SIZE - (prod - cons);
    if ( len > space )
        len = space;
    while ( done < len )
    {
        chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod + done);
        if ( chunk > len - done )
            chunk = len - done;
        memcpy(q + MASK_XENSTORE_IDX(prod + done), (const char *)buf + done,
               chunk);
        done += chunk;
    }
    barrier_full();
    *prodp = prod + done;
    return done;
}

int xs_ring_read(struct xenstore_domain_interface *intf, void *buf,
                 unsigned int len)
{
    return consume(intf->req, &intf->req_cons, &intf->req_prod, buf, len);
}

int xs_ring_write(struct xenstore_domain_interface *intf, const void *buf,
                  unsigned int len)
{
    return produce(intf->rsp, &intf->rsp_cons, &intf->rsp_prod, buf, len);
}

bool xs_ring_has_input(const struct xenstore_domain_interface *intf)
{
    return RD(intf->req_cons) != RD(intf->req_prod);
}

bool xs_ring_has_space(const struct xenstore_domain_interface *intf)
{
    return (XENSTORE_RING_IDX)(RD(intf->rsp_prod) - RD(intf->rsp_cons)) !=
           XENSTORE_RING_SIZE;
}

int xs_ring_client_write(struct xenstore_domain_interface *intf,
                         const void *buf, unsigned int len)
{
    return produce(intf->req, &intf->req_cons, &intf->req_prod, buf, len);
}

int xs_ring_client_read(struct xenstore_domain_interface *intf, void *buf,
                        unsigned int len)
{
    return consume(intf->rsp, &intf->rsp_cons, &intf->rsp_prod, buf, len);
}
