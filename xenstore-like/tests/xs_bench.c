/*
 * xs_bench.c: host-side throughput of xenia-stored over its socket.
 *
 * Usage: xs_bench SOCKET MIX CONNS OPS
 * MIX is read, write, directory or transaction (START, READ, WRITE,
 * commit; EAGAIN retried, counted per commit).  Each of CONNS threads
 * works on its own nodes where it writes and performs OPS/CONNS
 * operations.  Prints the operations per second.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xs_client.h"

static const char *sock, *mix;
static unsigned int per_thread;

static void *work(void *arg)
{
    unsigned long id = (unsigned long)arg, bad = 0;
    char path[64];
    struct xsc c;
    unsigned int i;
    uint32_t tx;

    if ( xsc_open(&c, sock) )
        return (void *)1;
    for ( i = 0; i < per_thread; i++ )
    {
        if ( !strcmp(mix, "read") )
        {
            snprintf(path, sizeof(path), "/bench/ro/n%u", i % 64);
            bad += xsc_read(&c, 0, path) != 0;
        }
        else if ( !strcmp(mix, "write") )
        {
            snprintf(path, sizeof(path), "/bench/rw/%lu/n%u", id, i % 16);
            bad += xsc_write(&c, 0, path, "0123456789abcdef0123456789abcdef"
                             "0123456789abcdef0123456789abcdef") != 0;
        }
        else if ( !strcmp(mix, "directory") )
            bad += xsc_call(&c, XS_DIRECTORY, 0, "/bench/dir", 11) != 0;
        else
        {
            snprintf(path, sizeof(path), "/bench/tx/%lu", id);
            do
            {
                if ( xsc_start(&c, &tx) || xsc_read(&c, tx, path) ||
                     xsc_write(&c, tx, path, "v") )
                {
                    bad++;
                    break;
                }
            } while ( xsc_end(&c, tx, 1) == 11 /* EAGAIN */ );
        }
    }
    xsc_close(&c);
    return (void *)bad;
}

int main(int argc, char **argv)
{
    unsigned int conns, ops, i;
    pthread_t *th;
    struct timespec a, b;
    struct xsc c;
    char path[64];
    void *bad;
    unsigned long errors = 0;
    double secs;

    if ( argc != 5 )
    {
        fprintf(stderr, "usage: xs_bench SOCKET MIX CONNS OPS\n");
        return 2;
    }
    sock = argv[1];
    mix = argv[2];
    conns = atoi(argv[3]);
    ops = atoi(argv[4]);
    per_thread = ops / conns;
    if ( xsc_open(&c, sock) )
        return 1;
    for ( i = 0; i < 64; i++ )
    {
        snprintf(path, sizeof(path), "/bench/ro/n%u", i);
        xsc_write(&c, 0, path, "0123456789abcdef0123456789abcdef"
                  "0123456789abcdef0123456789abcdef");
    }
    for ( i = 0; i < 32; i++ )
    {
        snprintf(path, sizeof(path), "/bench/dir/child%u", i);
        xsc_write(&c, 0, path, "x");
    }
    for ( i = 0; i < conns; i++ )
    {
        snprintf(path, sizeof(path), "/bench/tx/%u", i);
        xsc_write(&c, 0, path, "0");
    }
    th = calloc(conns, sizeof(*th));
    clock_gettime(CLOCK_MONOTONIC, &a);
    for ( i = 0; i < conns; i++ )
        pthread_create(&th[i], NULL, work, (void *)(unsigned long)i);
    for ( i = 0; i < conns; i++ )
    {
        pthread_join(th[i], &bad);
        errors += (unsigned long)bad;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    if ( errors )
    {
        fprintf(stderr, "xs_bench: %lu errors\n", errors);
        return 1;
    }
    printf("%.0f\n", per_thread * conns / secs);
    xsc_close(&c);
    free(th);
    return 0;
}
