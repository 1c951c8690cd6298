/*
 * ring.c: netif ring indices, tx packet validation and checksums (see
 * ring.h).
 */
#include "ring.h"

#include <errno.h>
#include <string.h>

#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

void nb_ring_attach(struct nb_ring *r, void *page, unsigned int entry,
                    bool takeover)
{
    r->hdr = page;
    r->slots = (uint8_t *)page + sizeof(struct netif_tx_sring);
    r->entry = entry;
    r->size = netif_ring_entries(entry);
    r->broken = false;
    r->rsp_prod_pvt = takeover ? r->hdr->rsp_prod : 0;
    r->req_cons = r->rsp_prod_pvt;
}

static void slot_copy(const struct nb_ring *r, netif_ring_idx_t idx,
                      void *out, size_t n)
{
    memcpy(out, r->slots + (size_t)(idx & (r->size - 1)) * r->entry, n);
}

static void *rsp_slot(struct nb_ring *r)
{
    return r->slots + (size_t)(r->rsp_prod_pvt++ & (r->size - 1)) * r->entry;
}

int nb_ring_pending(struct nb_ring *r)
{
    netif_ring_idx_t prod, free_slots;

    if ( r->broken )
        return -EIO;
    prod = r->hdr->req_prod;
    rmb();                          /* the requests after the index */
    if ( (netif_ring_idx_t)(prod - r->rsp_prod_pvt) > r->size )
    {
        r->broken = true;
        return -EIO;
    }
    free_slots = r->size - (netif_ring_idx_t)(r->req_cons - r->rsp_prod_pvt);
    prod -= r->req_cons;
    return (int)(prod < free_slots ? prod : free_slots);
}

bool nb_ring_push(struct nb_ring *r)
{
    netif_ring_idx_t old = r->hdr->rsp_prod, new = r->rsp_prod_pvt;

    if ( old == new )
        return false;
    wmb();                          /* responses before the index */
    r->hdr->rsp_prod = new;
    mb();                           /* the index before rsp_event */
    return (netif_ring_idx_t)(new - r->hdr->rsp_event) <
           (netif_ring_idx_t)(new - old);
}

bool nb_ring_final_check(struct nb_ring *r)
{
    if ( r->broken )
        return false;
    if ( r->hdr->req_prod != r->req_cons )
        return true;
    r->hdr->req_event = r->req_cons + 1;
    mb();                           /* req_event before the last look */
    return r->hdr->req_prod != r->req_cons;
}

int nb_tx_next(struct nb_ring *r, struct nb_tx_pkt *p)
{
    struct netif_tx_request first, rq;
    struct netif_extra_info ex;
    int avail = nb_ring_pending(r);
    unsigned int k = 0, extras = 0, fragsum = 0;
    bool more, bad = false;
    netif_ring_idx_t free_slots;

    if ( avail <= 0 )
        return avail;
    memset(p, 0, offsetof(struct nb_tx_pkt, frag));

    /* Walk the chain first: take nothing until it is complete. */
    slot_copy(r, r->req_cons, &first, sizeof(first));
    p->slot[k++].id = first.id;
    more = first.flags & NETTXF_extra_info;
    while ( more )
    {
        if ( k >= (unsigned int)avail )
            goto incomplete;
        if ( k >= NB_MAX_CHAIN )
            goto broken;
        slot_copy(r, r->req_cons + k, &ex, sizeof(ex));
        p->slot[k].extra = true;
        p->slot[k++].id = 0;
        extras++;
        /* Only multicast filters may come our way: we offer no GSO. */
        if ( ex.type != NETIF_EXTRA_TYPE_MCAST_ADD &&
             ex.type != NETIF_EXTRA_TYPE_MCAST_DEL )
            bad = true;
        if ( extras >= NETIF_EXTRA_TYPE_MAX )
            bad = true;
        more = ex.flags & NETIF_EXTRA_FLAG_MORE;
    }
    p->frag[0].gref = first.gref;
    p->frag[0].offset = first.offset;
    p->nfrags = 1;
    more = first.flags & NETTXF_more_data;
    while ( more )
    {
        if ( k >= (unsigned int)avail )
            goto incomplete;
        if ( k >= NB_MAX_CHAIN )
            goto broken;
        slot_copy(r, r->req_cons + k, &rq, sizeof(rq));
        p->slot[k++].id = rq.id;
        if ( p->nfrags < NETIF_MAX_TX_SLOTS )
        {
            p->frag[p->nfrags].gref = rq.gref;
            p->frag[p->nfrags].offset = rq.offset;
            p->frag[p->nfrags].len = rq.size;
        }
        else
            bad = true;             /* too many slots for one packet */
        p->nfrags++;
        fragsum += rq.size;
        if ( (unsigned int)rq.offset + rq.size > NB_PAGE )
            bad = true;
        more = rq.flags & NETTXF_more_data;
    }

    p->nslots = k;
    p->len = first.size;
    p->flags = first.flags;
    if ( first.size < NB_ETH_HLEN || fragsum > first.size )
        bad = true;
    else
    {
        p->frag[0].len = first.size - fragsum;
        if ( (unsigned int)first.offset + p->frag[0].len > NB_PAGE )
            bad = true;
    }
    if ( p->nfrags > NETIF_MAX_TX_SLOTS )
        p->nfrags = NETIF_MAX_TX_SLOTS;
    p->status = bad ? NETIF_RSP_ERROR : NETIF_RSP_OKAY;
    r->req_cons += k;
    return 1;

 incomplete:
    /*
     * The frontend publishes a packet's slots together; a chain that
     * does not end although every free slot holds a request never will.
     */
    free_slots = r->size - (netif_ring_idx_t)(r->req_cons - r->rsp_prod_pvt);
    if ( (unsigned int)avail < free_slots )
        return 0;
 broken:
    r->broken = true;
    return -EIO;
}

void nb_tx_respond_pkt(struct nb_ring *r, const struct nb_tx_pkt *p,
                       int16_t status)
{
    struct netif_tx_response rsp;
    unsigned int i;

    for ( i = 0; i < p->nslots; i++ )
    {
        rsp.id = p->slot[i].id;
        rsp.status = p->slot[i].extra ? NETIF_RSP_NULL : status;
        memcpy(rsp_slot(r), &rsp, sizeof(rsp));
    }
}

void nb_rx_take(struct nb_ring *r, struct netif_rx_request *out)
{
    slot_copy(r, r->req_cons++, out, sizeof(*out));
}

void nb_rx_respond(struct nb_ring *r, uint16_t id, uint16_t offset,
                   uint16_t flags, int16_t status)
{
    struct netif_rx_response rsp = {
        .id = id, .offset = offset, .flags = flags, .status = status,
    };

    memcpy(rsp_slot(r), &rsp, sizeof(rsp));
}

/* ---- checksums ------------------------------------------------------ */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The one's complement sum of 'len' bytes as big-endian 16-bit words. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
    while ( len > 1 )
    {
        s += be16(p);
        p += 2;
        len -= 2;
    }
    if ( len )
        s += (uint32_t)p[0] << 8;
    while ( s >> 16 )
        s = (s & 0xffff) + (s >> 16);
    return s;
}

/* l3: offset of the IP header; sets *proto, *l4. */
static int ip_find(const uint8_t *f, size_t len, unsigned int l3,
                   unsigned int *proto, unsigned int *l4, bool *v6)
{
    unsigned int ihl;

    if ( len < l3 + 1 )
        return -1;
    if ( (f[l3] >> 4) == 4 )
    {
        if ( len < l3 + 20 )
            return -1;
        ihl = (f[l3] & 0xf) * 4u;
        if ( ihl < 20 || len < l3 + ihl )
            return -1;
        if ( be16(f + l3 + 6) & 0x3fff )    /* MF or a fragment offset */
            return -1;
        *proto = f[l3 + 9];
        *l4 = l3 + ihl;
        *v6 = false;
        return 0;
    }
    if ( (f[l3] >> 4) == 6 )
    {
        if ( len < l3 + 40 )
            return -1;
        *proto = f[l3 + 6];
        *l4 = l3 + 40;
        *v6 = true;
        return 0;
    }
    return -1;
}

static int l3_offset(const uint8_t *f, size_t len, unsigned int *l3)
{
    unsigned int type;

    if ( len < NB_ETH_HLEN )
        return -1;
    type = be16(f + 12);
    *l3 = NB_ETH_HLEN;
    if ( type == 0x8100 )                   /* one VLAN tag */
    {
        if ( len < NB_ETH_HLEN + 4 )
            return -1;
        type = be16(f + 16);
        *l3 += 4;
    }
    return type == 0x0800 || type == 0x86dd ? 0 : -1;
}

int nb_csum_find(const uint8_t *f, size_t len, unsigned int *l4,
                 unsigned int *field)
{
    unsigned int l3, proto;
    bool v6;

    if ( l3_offset(f, len, &l3) || ip_find(f, len, l3, &proto, l4, &v6) )
        return -1;
    if ( proto == 6 && len >= *l4 + 20 )
        *field = *l4 + 16;
    else if ( proto == 17 && len >= *l4 + 8 )
        *field = *l4 + 6;
    else
        return -1;
    return 0;
}

int nb_csum_fill(uint8_t *f, size_t len)
{
    unsigned int l3, l4, field, proto;
    uint32_t s;
    uint16_t c;
    size_t l4len;
    bool v6;

    if ( nb_csum_find(f, len, &l4, &field) || l3_offset(f, len, &l3) ||
         ip_find(f, len, l3, &proto, &l4, &v6) )
        return -1;
    /* The L4 length from the IP header: Ethernet may pad the frame. */
    if ( v6 )
        l4len = be16(f + l3 + 4);
    else
    {
        size_t tot = be16(f + l3 + 2);

        if ( tot < l4 - l3 )
            return -1;
        l4len = tot - (l4 - l3);
    }
    if ( l4 + l4len > len || field + 2 > l4 + l4len )
        return -1;
    f[field] = f[field + 1] = 0;
    s = v6 ? sum16(0, f + l3 + 8, 32) : sum16(0, f + l3 + 12, 8);
    s += proto;
    s += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
    s = sum16(s, f + l4, l4len);
    c = (uint16_t)~s;
    if ( c == 0 && proto == 17 )
        c = 0xffff;
    f[field] = c >> 8;
    f[field + 1] = c & 0xff;
    return 0;
}
