/*
 * pvbench: the dom0 Linux figures of `make bench`, run as /init's child in
 * the same initramfs on Xenia, on Xen 4.17 and natively. Each figure runs
 * time-bounded batches and prints the median of REPS measurements as
 *
 *   BENCH: <figure> <unit> <value>
 *
 * figures: getppid (ns), fork_exit_wait (us), page_fault (ns per page),
 * mmap_munmap_1m (us: the two calls on 1 MiB of anonymous memory, untouched),
 * pipe_round_trip (us), compute_loop (ns per iter).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define REPS        5
#define BATCH_NS    200000000ULL        /* each measurement runs ~0.2 s */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *name, const char *unit, double *v)
{
    qsort(v, REPS, sizeof(*v), cmp_double);
    printf("BENCH: %s %s %.2f\n", name, unit, v[REPS / 2]);
    fflush(stdout);
}

/* Runs op in growing batches until a batch takes BATCH_NS; ns per op. */
static double per_op(void (*op)(void))
{
    unsigned long n = 1, i;
    uint64_t t0, dt;

    for ( ;; )
    {
        t0 = now_ns();
        for ( i = 0; i < n; i++ )
            op();
        dt = now_ns() - t0;
        if ( dt >= BATCH_NS || n >= (1UL << 30) )
            return (double)dt / n;
        n = dt < BATCH_NS / 16 ? n * 8 : n * 2;
    }
}

static void op_getppid(void)
{
    syscall(SYS_getppid);
}

static void op_fork(void)
{
    pid_t p = fork();

    if ( p == 0 )
        _exit(0);
    if ( p < 0 || waitpid(p, NULL, 0) != p )
    {
        perror("pvbench: fork");
        exit(1);
    }
}

#define MAP_1M (1UL << 20)

static void op_mmap_1m(void)
{
    void *p = mmap(NULL, MAP_1M, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if ( p == MAP_FAILED )
    {
        perror("pvbench: mmap");
        exit(1);
    }
    munmap(p, MAP_1M);
}

/* ns per page for first-touch faults on a fresh anonymous mapping. */
static double page_faults(void)
{
    const size_t pages = 4096;
    uint64_t t0, dt;
    size_t i;
    char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if ( p == MAP_FAILED )
    {
        perror("pvbench: mmap");
        exit(1);
    }
    t0 = now_ns();
    for ( i = 0; i < pages; i++ )
        p[i * 4096] = 1;
    dt = now_ns() - t0;
    munmap(p, pages * 4096);
    return (double)dt / pages;
}

/* us per one-byte round trip between two processes over two pipes. */
static double pipe_round_trips(void)
{
    int ab[2], ba[2];
    unsigned long n = 0;
    uint64_t t0, dt;
    pid_t p;
    char c = 'x';

    if ( pipe(ab) || pipe(ba) )
        exit(1);
    p = fork();
    if ( p == 0 )
    {
        while ( read(ab[0], &c, 1) == 1 && c != 'q' )
            if ( write(ba[1], &c, 1) != 1 )
                break;
        _exit(0);
    }
    t0 = now_ns();
    do
    {
        if ( write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1 )
            exit(1);
        n++;
        dt = now_ns() - t0;
    } while ( dt < BATCH_NS );
    c = 'q';
    if ( write(ab[1], &c, 1) != 1 )
        exit(1);
    waitpid(p, NULL, 0);
    close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
    return dt / 1000.0 / n;
}

/* ns per iteration of a dependent integer loop: user mode only. */
static double compute_loop(void)
{
    const unsigned long iters = 50000000;
    volatile uint64_t sink;
    uint64_t x = 1, t0 = now_ns();
    unsigned long i;

    for ( i = 0; i < iters; i++ )
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
    (void)sink;
    return (double)(now_ns() - t0) / iters;
}

int main(void)
{
    double v[REPS];
    int r;

    for ( r = 0; r < REPS; r++ ) v[r] = per_op(op_getppid);
    report("getppid", "ns", v);
    for ( r = 0; r < REPS; r++ ) v[r] = per_op(op_fork) / 1000.0;
    report("fork_exit_wait", "us", v);
    for ( r = 0; r < REPS; r++ ) v[r] = page_faults();
    report("page_fault", "ns", v);
    for ( r = 0; r < REPS; r++ ) v[r] = per_op(op_mmap_1m) / 1000.0;
    report("mmap_munmap_1m", "us", v);
    for ( r = 0; r < REPS; r++ ) v[r] = pipe_round_trips();
    report("pipe_round_trip", "us", v);
    for ( r = 0; r < REPS; r++ ) v[r] = compute_loop();
    report("compute_loop", "ns", v);
    return 0;
}
