/*
 * netif.h: the PV network protocol (Xen's netif, x86-64 ABI), as Linux's
 * xen-netfront speaks it.  Layouts written from the protocol's
 * description; sizes pinned below.
 *
 * Shared rings
 * ------------
 * Two one-page rings per queue, each with the 64-byte header of every
 * Xen ring (req_prod, req_event, rsp_prod, rsp_event, padding) followed
 * by entries of max(sizeof request, sizeof response): 12 bytes on the tx
 * ring, 8 on the rx ring; the number of entries is the largest power of
 * two that fits (256 for both).
 *
 * tx (guest -> backend): one packet is a chain of slots.  The first
 * request's `size` is the whole packet's length; NETTXF_more_data on a
 * request says a fragment request follows (its `size` is its own
 * length: the first slot carries the total minus the fragments).
 * NETTXF_extra_info on the first request says extra-info slots follow
 * it (before the fragments), chained by NETIF_EXTRA_FLAG_MORE.  Every
 * slot gets one response: the data slots their `id` and a status, the
 * extra slots NETIF_RSP_NULL.
 *
 * rx (backend -> guest): the frontend posts empty granted pages
 * (netif_rx_request); the backend copies a packet into them and answers
 * with the offset, flags and the length as status (negative: error).
 *
 * xenstore keys
 * -------------
 * Backend (backend/vif/DOMID/DEVID), written by the toolstack:
 *   frontend, frontend-id, online, state, handle, mac, bridge, type
 * Backend, written by the backend:
 *   feature-sg, feature-gso-tcpv4, feature-gso-tcpv6,
 *   feature-ipv6-csum-offload, feature-rx-copy, feature-rx-flip,
 *   feature-multicast-control, feature-split-event-channels,
 *   multi-queue-max-queues, feature-ctrl-ring, hotplug-status, state
 * Frontend (device/vif/DEVID), written by the toolstack: backend,
 *   backend-id, handle, mac, state; by the frontend: tx-ring-ref,
 *   rx-ring-ref, event-channel | event-channel-tx + event-channel-rx,
 *   request-rx-copy, feature-rx-notify, feature-sg, feature-gso-tcpv4,
 *   feature-gso-tcpv6, feature-ipv6-csum-offload,
 *   feature-no-csum-offload, multi-queue-num-queues (+ queue-N/...),
 *   state
 */
#ifndef XEN_PUBLIC_IO_NETIF_H
#define XEN_PUBLIC_IO_NETIF_H

#include <stdint.h>

typedef uint32_t netif_ring_idx_t;

/* netif_tx_request.flags */
#define NETTXF_csum_blank         (1u << 0)  /* checksum to be filled in */
#define NETTXF_data_validated     (1u << 1)  /* checksum known good       */
#define NETTXF_more_data          (1u << 2)  /* a fragment slot follows   */
#define NETTXF_extra_info         (1u << 3)  /* extra-info slots follow   */

/* netif_rx_response.flags */
#define NETRXF_data_validated     (1u << 0)
#define NETRXF_csum_blank         (1u << 1)
#define NETRXF_more_data          (1u << 2)
#define NETRXF_extra_info         (1u << 3)
#define NETRXF_gso_prefix         (1u << 4)

/* Response status (rx: a positive status is the length). */
#define NETIF_RSP_DROPPED         (-2)
#define NETIF_RSP_ERROR           (-1)
#define NETIF_RSP_OKAY            0
#define NETIF_RSP_NULL            1          /* for extra-info slots      */

/* netif_extra_info.type */
#define NETIF_EXTRA_TYPE_NONE       0
#define NETIF_EXTRA_TYPE_GSO        1
#define NETIF_EXTRA_TYPE_MCAST_ADD  2
#define NETIF_EXTRA_TYPE_MCAST_DEL  3
#define NETIF_EXTRA_TYPE_HASH       4
#define NETIF_EXTRA_TYPE_MAX        5

/* netif_extra_info.flags */
#define NETIF_EXTRA_FLAG_MORE     (1u << 0)

/* GSO types (netif_extra_info.u.gso.type). */
#define NETIF_GSO_TYPE_NONE       0
#define NETIF_GSO_TYPE_TCPV4      1
#define NETIF_GSO_TYPE_TCPV6      2

/* Slots one packet may use (Linux's MAX_SKB_FRAGS + 1, 4 KiB pages). */
#define NETIF_MAX_TX_SLOTS        18

struct netif_tx_request {
    uint32_t gref;              /* the page holding this slot's data   */
    uint16_t offset;            /* of the data in that page            */
    uint16_t flags;             /* NETTXF_*                            */
    uint16_t id;                /* echoed in the response              */
    uint16_t size;              /* first slot: packet length; else own */
};

struct netif_extra_info {
    uint8_t type;               /* NETIF_EXTRA_TYPE_*                  */
    uint8_t flags;              /* NETIF_EXTRA_FLAG_*                  */
    union {
        struct {
            uint16_t size;      /* MSS                                 */
            uint8_t type;       /* NETIF_GSO_TYPE_*                    */
            uint8_t pad;
            uint16_t features;
        } gso;
        struct {
            uint8_t addr[6];
        } mcast;
        uint16_t pad[3];
    } u;
};

struct netif_tx_response {
    uint16_t id;
    int16_t status;             /* NETIF_RSP_*                         */
};

struct netif_rx_request {
    uint16_t id;                /* echoed in the response              */
    uint16_t pad;
    uint32_t gref;              /* an empty page for the backend       */
};

struct netif_rx_response {
    uint16_t id;
    uint16_t offset;            /* of the data in the page             */
    uint16_t flags;             /* NETRXF_*                            */
    int16_t status;             /* > 0: length; < 0: NETIF_RSP_*       */
};

union netif_tx_sring_entry {
    struct netif_tx_request req;
    struct netif_extra_info extra;
    struct netif_tx_response rsp;
};

union netif_rx_sring_entry {
    struct netif_rx_request req;
    struct netif_rx_response rsp;
};

struct netif_tx_sring {
    volatile netif_ring_idx_t req_prod;
    volatile netif_ring_idx_t req_event;
    volatile netif_ring_idx_t rsp_prod;
    volatile netif_ring_idx_t rsp_event;
    uint8_t pad[48];
    union netif_tx_sring_entry ring[];
};

struct netif_rx_sring {
    volatile netif_ring_idx_t req_prod;
    volatile netif_ring_idx_t req_event;
    volatile netif_ring_idx_t rsp_prod;
    volatile netif_ring_idx_t rsp_event;
    uint8_t pad[48];
    union netif_rx_sring_entry ring[];
};

_Static_assert(sizeof(struct netif_tx_request) == 12, "tx request");
_Static_assert(sizeof(struct netif_extra_info) == 8, "extra info");
_Static_assert(sizeof(struct netif_tx_response) == 4, "tx response");
_Static_assert(sizeof(struct netif_rx_request) == 8, "rx request");
_Static_assert(sizeof(struct netif_rx_response) == 8, "rx response");
_Static_assert(sizeof(union netif_tx_sring_entry) == 12, "tx entry");
_Static_assert(sizeof(union netif_rx_sring_entry) == 8, "rx entry");
_Static_assert(sizeof(struct netif_tx_sring) == 64, "tx ring header");
_Static_assert(sizeof(struct netif_rx_sring) == 64, "rx ring header");

/* Entries in a one-page ring of 'entry' byte slots (a power of two). */
static inline unsigned int netif_ring_entries(unsigned int entry)
{
    unsigned int n = (4096 - 64) / entry, p = 1;

    while ( p * 2 <= n )
        p *= 2;
    return p;
}

#define NETIF_TX_RING_SIZE  netif_ring_entries(sizeof(union netif_tx_sring_entry))
#define NETIF_RX_RING_SIZE  netif_ring_entries(sizeof(union netif_rx_sring_entry))

#endif /* XEN_PUBLIC_IO_NETIF_H */
