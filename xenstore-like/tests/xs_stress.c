/*
 * xs_stress.c: many clients, conflicting transactions, checked results.
 *
 * T threads, each on its own socket connection, perform N increments of
 * one shared counter, each inside a transaction that also records the
 * claimed value under /stress/log/<thread>-<i>; on EAGAIN they retry.
 * Meanwhile every thread also writes its own plain (non-transactional)
 * nodes.  Afterwards:
 *  - the counter equals T*N and the claimed values are exactly 0..T*N-1,
 *    each once (no lost and no duplicated writes);
 *  - EAGAIN happened, and every EAGAIN was justified: the counter had
 *    really moved on since the transaction read it;
 *  - every plain write is there with its value.
 * Prints one "STATUS<TAB>name<TAB>detail" line per check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_client.h"

static const char *sock;
static unsigned int iters = 100;

struct worker
{
    pthread_t th;
    unsigned int id;
    unsigned long commits, eagain, unjustified, errors;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct xsc c;
    char path[96], val[32];
    unsigned int i;
    uint32_t tx;
    unsigned long v, now;
    int rc;

    if ( xsc_open(&c, sock) )
    {
        w->errors++;
        return NULL;
    }
    for ( i = 0; i < iters; i++ )
    {
        for ( ;; )
        {
            if ( xsc_start(&c, &tx) || xsc_read(&c, tx, "/stress/counter") )
            {
                w->errors++;
                goto out;
            }
            v = strtoul(c.buf, NULL, 10);
            snprintf(val, sizeof(val), "%lu", v + 1);
            snprintf(path, sizeof(path), "/stress/log/%u-%u", w->id, i);
            if ( xsc_write(&c, tx, "/stress/counter", val) )
                w->errors++;
            snprintf(val, sizeof(val), "%lu", v);
            if ( xsc_write(&c, tx, path, val) )
                w->errors++;
            rc = xsc_end(&c, tx, 1);
            if ( rc == 0 )
            {
                w->commits++;
                break;
            }
            if ( rc != EAGAIN )
            {
                w->errors++;
                goto out;
            }
            w->eagain++;
            /* Justified only if somebody committed in between. */
            if ( xsc_read(&c, 0, "/stress/counter") )
                w->errors++;
            now = strtoul(c.buf, NULL, 10);
            if ( now == v )
                w->unjustified++;
        }
        snprintf(path, sizeof(path), "/stress/plain/%u/%u", w->id, i);
        snprintf(val, sizeof(val), "p%u-%u", w->id, i);
        if ( xsc_write(&c, 0, path, val) )
            w->errors++;
    }
 out:
    xsc_close(&c);
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned int nthreads = 8, i, j, total, lost = 0, dup = 0, plain_bad = 0;
    unsigned long commits = 0, eagain = 0, unjust = 0, errors = 0, counter;
    struct worker *w;
    unsigned char *seen;
    struct xsc c;
    char path[96], want[32];

    if ( argc < 2 )
    {
        fprintf(stderr, "usage: xs_stress SOCKET [THREADS [ITERS]]\n");
        return 2;
    }
    sock = argv[1];
    if ( argc > 2 )
        nthreads = atoi(argv[2]);
    if ( argc > 3 )
        iters = atoi(argv[3]);
    total = nthreads * iters;
    if ( xsc_open(&c, sock) || xsc_write(&c, 0, "/stress/counter", "0") )
    {
        printf("FAIL\txenstore/stress/setup\tcannot reach %s\n", sock);
        return 1;
    }
    w = calloc(nthreads, sizeof(*w));
    for ( i = 0; i < nthreads; i++ )
    {
        w[i].id = i;
        pthread_create(&w[i].th, NULL, work, &w[i]);
    }
    for ( i = 0; i < nthreads; i++ )
    {
        pthread_join(w[i].th, NULL);
        commits += w[i].commits;
        eagain += w[i].eagain;
        unjust += w[i].unjustified;
        errors += w[i].errors;
    }
    xsc_read(&c, 0, "/stress/counter");
    counter = strtoul(c.buf, NULL, 10);
    seen = calloc(total, 1);
    for ( i = 0; i < nthreads; i++ )
    {
        for ( j = 0; j < iters; j++ )
        {
            unsigned long v;

            snprintf(path, sizeof(path), "/stress/log/%u-%u", i, j);
            if ( xsc_read(&c, 0, path) )
            {
                lost++;
                continue;
            }
            v = strtoul(c.buf, NULL, 10);
            if ( v >= total || seen[v]++ )
                dup++;
            snprintf(path, sizeof(path), "/stress/plain/%u/%u", i, j);
            snprintf(want, sizeof(want), "p%u-%u", i, j);
            if ( xsc_read(&c, 0, path) || strcmp(c.buf, want) )
                plain_bad++;
        }
    }
    printf("%s\txenstore/stress/no-errors\t%lu protocol errors\n",
           errors ? "FAIL" : "PASS", errors);
    printf("%s\txenstore/stress/counter\tcounter %lu, commits %lu, "
           "expected %u\n", (counter == total && commits == total) ? "PASS"
           : "FAIL", counter, commits, total);
    printf("%s\txenstore/stress/no-lost-or-duplicated\t%u lost, %u "
           "duplicated of %u\n", (lost || dup) ? "FAIL" : "PASS", lost, dup,
           total);
    printf("%s\txenstore/stress/eagain-occurred\t%lu EAGAIN\n",
           eagain ? "PASS" : "FAIL", eagain);
    printf("%s\txenstore/stress/eagain-justified\t%lu unjustified\n",
           unjust ? "FAIL" : "PASS", unjust);
    printf("%s\txenstore/stress/plain-writes\t%u bad of %u\n",
           plain_bad ? "FAIL" : "PASS", plain_bad, total);
    xsc_close(&c);
    free(seen);
    free(w);
    return 0;
}
