/*
 * ring.h: xenia-netback's pure ring and packet logic, unit-tested on the
 * host with rings in ordinary memory (pv-drivers/tests/test_netring.c).
 *
 * The shared pages are hostile: every slot is copied out once before
 * anything looks at it, and the indices the frontend writes are checked
 * before they are used.
 */
#ifndef NETBACK_RING_H
#define NETBACK_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/io/netif.h>

#define NB_PAGE          4096u
#define NB_ETH_HLEN      14u
/* Slots we look at for one tx packet before calling the frontend corrupt. */
#define NB_MAX_CHAIN     64u

/* The backend's private view of one shared ring (tx or rx). */
struct nb_ring {
    struct netif_tx_sring *hdr;     /* the header is the same for both */
    uint8_t *slots;
    unsigned int entry;             /* bytes per slot                  */
    unsigned int size;              /* slots, a power of two           */
    netif_ring_idx_t req_cons;      /* next request to take            */
    netif_ring_idx_t rsp_prod_pvt;  /* next response slot              */
    bool broken;                    /* corrupt producer: stopped       */
};

/*
 * Attach to a one-page ring of 'entry'-byte slots.  'takeover' starts
 * from the frontend's rsp_prod (a backend served the ring before us).
 */
void nb_ring_attach(struct nb_ring *r, void *page, unsigned int entry,
                    bool takeover);

/*
 * Requests waiting, at most the free response slots; -EIO once req_prod
 * ran more than a ring ahead of our responses (the ring is then broken
 * for good).
 */
int nb_ring_pending(struct nb_ring *r);

/* Publish the responses written; true when the frontend needs an event. */
bool nb_ring_push(struct nb_ring *r);

/*
 * Nothing left: ask for an event on the next request (req_event), then
 * look again.  True when a request arrived meanwhile.
 */
bool nb_ring_final_check(struct nb_ring *r);

/* One slot of a tx packet, for its response. */
struct nb_tx_slot {
    uint16_t id;
    bool extra;                     /* answered NETIF_RSP_NULL         */
};

/* One piece of a packet in a guest page. */
struct nb_frag {
    uint32_t gref;
    uint16_t offset;
    uint16_t len;
};

struct nb_tx_pkt {
    unsigned int nslots;            /* slots taken off the ring        */
    struct nb_tx_slot slot[NB_MAX_CHAIN];
    unsigned int nfrags;            /* data slots, in packet order     */
    struct nb_frag frag[NETIF_MAX_TX_SLOTS];
    unsigned int len;               /* the packet's bytes              */
    uint16_t flags;                 /* the first request's NETTXF_*    */
    int16_t status;                 /* NETIF_RSP_OKAY or _ERROR        */
};

/*
 * Take the next whole tx packet off the ring and validate it.  1: *p
 * holds it (p->status says whether to send it; either way every slot
 * must be answered: nb_tx_respond_pkt); 0: no complete packet yet;
 * -EIO: the ring is broken (a chain longer than NB_MAX_CHAIN slots or
 * one that fills the ring without ending, or a corrupt producer).
 */
int nb_tx_next(struct nb_ring *r, struct nb_tx_pkt *p);

/* Answer every slot of *p: data slots with 'status', extras with NULL. */
void nb_tx_respond_pkt(struct nb_ring *r, const struct nb_tx_pkt *p,
                       int16_t status);

/* Copy the next rx request out (caller checked nb_ring_pending > 0). */
void nb_rx_take(struct nb_ring *r, struct netif_rx_request *out);

void nb_rx_respond(struct nb_ring *r, uint16_t id, uint16_t offset,
                   uint16_t flags, int16_t status);

/*
 * Checksums.  nb_csum_find: where an Ethernet frame's TCP or UDP checksum
 * lives (IPv4 without fragmentation, IPv6 without extension headers):
 * 0 and *l4 (offset of the TCP/UDP header) and *field (of the checksum
 * field), or -1.  nb_csum_fill: compute that checksum (pseudo-header
 * included, whatever the field held) and store it.  -1 when the frame
 * is not one nb_csum_find understands.
 */
int nb_csum_find(const uint8_t *f, size_t len, unsigned int *l4,
                 unsigned int *field);
int nb_csum_fill(uint8_t *f, size_t len);

/* Slots an rx frame of 'len' bytes takes (one page each). */
static inline unsigned int nb_rx_slots(size_t len)
{
    return (unsigned int)((len + NB_PAGE - 1) / NB_PAGE);
}

#endif /* NETBACK_RING_H */
