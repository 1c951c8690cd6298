/*
 * xs_htab.c: a string-keyed hash table with chaining (FNV-1a hashes).
 *
 * Keys are copied into the entries; values are owned by the caller, who
 * passes a destructor to xs_htab_fini.  The table doubles when the load
 * passes 2 and never shrinks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    while ( *s )
    {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h;
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
