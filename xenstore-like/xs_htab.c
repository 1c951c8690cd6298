/*
 * xs_htab.c: a string-keyed hash table with chaining.
 *
 * Keys are copied into the entries; values are owned by the caller, who
 * passes a destructor to xs_htab_fini.  The table doubles when the load
 * passes 2 and never shrinks.
 *
 * Guests choose the paths, so the hash must not be predictable: a public
 * function (FNV, as before) lets a guest pick thousands of paths that all
 * land in one bucket and turn every lookup into a list walk.  Keys are
 * hashed with SipHash-2-4 under a 128-bit key drawn from getrandom() once
 * per process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "xenstored.h"

static uint64_t sip_k0, sip_k1;
static bool sip_keyed;

static void sip_key(void)
{
    uint64_t k[2];
    struct timespec ts;
    int fd;

    if ( getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k) )
    {
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if ( fd < 0 || read(fd, k, sizeof(k)) != (ssize_t)sizeof(k) )
        {
            /* Last resort: not secret, but not the same every run. */
            clock_gettime(CLOCK_MONOTONIC, &ts);
            k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ getpid();
            k[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uintptr_t)k;
        }
        if ( fd >= 0 )
            close(fd);
    }
    sip_k0 = k[0];
    sip_k1 = k[1];
    sip_keyed = true;
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                        \
    do {                                                                \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);       \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                          \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                          \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);       \
    } while ( 0 )

static uint32_t hash_str(const char *s)
{
    size_t len = strlen(s), i;
    uint64_t v0, v1, v2, v3, m, b = (uint64_t)len << 56;
    const unsigned char *p = (const unsigned char *)s;

    if ( !sip_keyed )
        sip_key();
    v0 = sip_k0 ^ 0x736f6d6570736575ull;
    v1 = sip_k1 ^ 0x646f72616e646f6dull;
    v2 = sip_k0 ^ 0x6c7967656e657261ull;
    v3 = sip_k1 ^ 0x7465646279746573ull;
    for ( ; len >= 8; len -= 8, p += 8 )
    {
        memcpy(&m, p, 8);           /* little-endian host (x86-64) */
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    for ( i = 0; i < len; i++ )
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    m = v0 ^ v1 ^ v2 ^ v3;
    return (uint32_t)(m ^ (m >> 32));
}

int xs_htab_init(struct xs_htab *h, size_t nb)
{
    size_t n = 16;

    while ( n < nb )
        n <<= 1;
    h->b = calloc(n, sizeof(*h->b));
    if ( !h->b )
        return ENOMEM;
    h->nb = n;
    h->count = 0;
    return 0;
}

void xs_htab_fini(struct xs_htab *h, void (*free_val)(void *))
{
    size_t i;
    struct xs_hent *e, *next;

    if ( !h->b )
        return;
    for ( i = 0; i < h->nb; i++ )
    {
        for ( e = h->b[i]; e; e = next )
        {
            next = e->next;
            if ( free_val )
                free_val(e->val);
            free(e);
        }
    }
    free(h->b);
    h->b = NULL;
    h->nb = h->count = 0;
}

static struct xs_hent **lookup(const struct xs_htab *h, const char *key,
                               uint32_t hash)
{
    struct xs_hent **pp = &h->b[hash & (h->nb - 1)];

    for ( ; *pp; pp = &(*pp)->next )
        if ( (*pp)->hash == hash && !strcmp((*pp)->key, key) )
            break;
    return pp;
}

void *xs_htab_get(const struct xs_htab *h, const char *key)
{
    struct xs_hent *e = *lookup(h, key, hash_str(key));

    return e ? e->val : NULL;
}

static void grow(struct xs_htab *h)
{
    size_t i, nnb = h->nb * 2;
    struct xs_hent **nb = calloc(nnb, sizeof(*nb));
    struct xs_hent *e, *next;

    if ( !nb )
        return;             /* keep working with longer chains */
    for ( i = 0; i < h->nb; i++ )
    {
        for ( e = h->b[i]; e; e = next )
        {
            next = e->next;
            e->next = nb[e->hash & (nnb - 1)];
            nb[e->hash & (nnb - 1)] = e;
        }
    }
    free(h->b);
    h->b = nb;
    h->nb = nnb;
}

int xs_htab_set(struct xs_htab *h, const char *key, void *val, void **old)
{
    uint32_t hash = hash_str(key);
    struct xs_hent **pp = lookup(h, key, hash);
    struct xs_hent *e;
    size_t klen;

    if ( *pp )
    {
        if ( old )
            *old = (*pp)->val;
        (*pp)->val = val;
        return 0;
    }
    if ( old )
        *old = NULL;
    klen = strlen(key);
    e = malloc(sizeof(*e) + klen + 1);
    if ( !e )
        return ENOMEM;
    memcpy(e->key, key, klen + 1);
    e->hash = hash;
    e->val = val;
    e->next = NULL;
    *pp = e;
    if ( ++h->count > h->nb * 2 )
        grow(h);
    return 0;
}

void *xs_htab_del(struct xs_htab *h, const char *key)
{
    struct xs_hent **pp = lookup(h, key, hash_str(key));
    struct xs_hent *e = *pp;
    void *val;

    if ( !e )
        return NULL;
    *pp = e->next;
    val = e->val;
    free(e);
    h->count--;
    return val;
}

int xs_htab_foreach(const struct xs_htab *h,
                    int (*fn)(const char *key, void *val, void *arg),
                    void *arg)
{
    size_t i;
    struct xs_hent *e, *next;
    int rc;

    for ( i = 0; i < h->nb; i++ )
    {
        for ( e = h->b[i]; e; e = next )
        {
            next = e->next;
            rc = fn(e->key, e->val, arg);
            if ( rc )
                return rc;
        }
    }
    return 0;
}
