/*
 * Unit tests: hypervisor/common/sched_credit.c, the credit scheduler's core,
 * driven by a simulated machine: N CPUs and a clock that jumps from event
 * to event (slice ends, idle waits, I/O bursts ending, wake-ups, tickles).
 * Every step checks the invariants: no unit on two CPUs, the scheduler's
 * view equals the simulation's, no runnable unit lost, no CPU idle while a
 * unit that may run waits, runtime getters equal the simulation's clock.
 * Shares are measured over seconds of simulated time.
 */
#include <stdlib.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/sched_credit.h>

#define MS          CSCHED_MS
#define SEC         (1000 * MS)
#define MAX_UNITS   16
#define MAX_DOMS    8

enum kind { HOG, IO, MANUAL };

struct sim_unit {
    struct sched_unit su;
    enum kind kind;
    uint64_t burst, interval;   /* IO: CPU time per interval */
    uint64_t left;              /* IO: CPU time left in this burst */
    uint64_t next_wake;         /* IO, asleep: when it wakes */
    bool asleep, removed;
    uint64_t used;              /* the simulation's own accounting */
    uint64_t woke_at, max_latency;
    bool waiting;               /* woken, not picked since */
};

static struct sim {
    struct sched_state s;
    unsigned int nr_cpus;
    uint64_t now;
    struct sim_unit *cur[CSCHED_MAX_CPUS];
    uint64_t run_start[CSCHED_MAX_CPUS];
    uint64_t next[CSCHED_MAX_CPUS];     /* next pick; UINT64_MAX = idle */
    bool honour_tickles;
    unsigned int idle_finite;           /* picks: NULL, finite wait */
    struct sim_unit units[MAX_UNITS];
    unsigned int nr_units;
    struct sched_dom doms[MAX_DOMS];
    unsigned int nr_doms;
    /* Caps are checked over every accounting period (between two runs of
     * the accounting), once a domain's cap has been stable for two. */
    uint64_t seen_period, cap_mark[MAX_DOMS];
    unsigned int cap_stable[MAX_DOMS], cap_checks;
    bool dom_removed[MAX_DOMS];
    void (*hook)(void);                 /* called every hook_period */
    uint64_t hook_period, next_hook;
} sim;

static void sim_init(unsigned int nr_cpus)
{
    unsigned int c;

    memset(&sim, 0, sizeof(sim));
    sim.nr_cpus = nr_cpus;
    sim.honour_tickles = true;
    csched_init(&sim.s, nr_cpus);
    for ( c = 0; c < nr_cpus; c++ )
        sim.next[c] = 0;
}

static struct sched_dom *sim_dom(unsigned int weight, unsigned int cap)
{
    struct sched_dom *d = &sim.doms[sim.nr_doms++];

    csched_dom_init(&sim.s, d, weight, cap);
    sim.cap_stable[d - sim.doms] = 2;
    return d;
}

static struct sim_unit *sim_unit(struct sched_dom *d, enum kind kind)
{
    struct sim_unit *u = &sim.units[sim.nr_units++];

    u->kind = kind;
    csched_unit_init(&sim.s, &u->su, d, u);
    u->asleep = true;
    return u;
}

static void sim_wake(struct sim_unit *u)
{
    u->asleep = false;
    u->woke_at = sim.now;
    u->waiting = true;
    if ( u->kind == IO )
        u->left = u->burst;
    csched_wake(&sim.s, &u->su, sim.now);
}

static struct sim_unit *sim_io(struct sched_dom *d, uint64_t burst,
                               uint64_t interval)
{
    struct sim_unit *u = sim_unit(d, IO);

    u->burst = burst;
    u->interval = interval;
    return u;
}

static int cpu_of(const struct sim_unit *u)
{
    unsigned int c;

    for ( c = 0; c < sim.nr_cpus; c++ )
        if ( sim.cur[c] == u )
            return c;
    return -1;
}

/* Closes the simulation's account of what ran on cpu up to now. */
static void sim_charge(unsigned int cpu)
{
    struct sim_unit *u = sim.cur[cpu];
    uint64_t ran = sim.now - sim.run_start[cpu];

    if ( !u )
        return;
    u->used += ran;
    if ( u->kind == IO )
        u->left -= MIN(ran, u->left);
    sim.run_start[cpu] = sim.now;
}

static void sim_pick(unsigned int cpu)
{
    struct sched_unit *su;
    struct sim_unit *u;
    uint64_t slice = 0;

    sim_charge(cpu);
    su = csched_pick(&sim.s, cpu, sim.now, &slice);
    u = su ? su->owner : NULL;
    assert_true(slice > 0);
    if ( u )
    {
        int other = cpu_of(u);

        /* Never on two CPUs at once, never a sleeping or removed unit. */
        assert_true(other < 0 || other == (int)cpu);
        assert_false(u->asleep);
        assert_false(u->removed);
        assert_int_equal(su->cpu, cpu);
        assert_true(slice <= CSCHED_SLICE_NS);
        if ( u->waiting )
        {
            u->max_latency = MAX(u->max_latency, sim.now - u->woke_at);
            u->waiting = false;
        }
    }
    else if ( slice != UINT64_MAX )
        sim.idle_finite++;
    sim.cur[cpu] = u;
    sim.run_start[cpu] = sim.now;
    sim.next[cpu] = slice == UINT64_MAX ? UINT64_MAX : sim.now + slice;
}

static void sim_tickles(void)
{
    uint64_t mask;

    while ( (mask = csched_take_tickles(&sim.s)) )
    {
        unsigned int c;

        assert_true(mask < (1ULL << sim.nr_cpus) || sim.nr_cpus == 64);
        if ( !sim.honour_tickles )
            return;
        for ( c = 0; c < sim.nr_cpus; c++ )
            if ( mask & (1ULL << c) )
                sim_pick(c);
    }
}

static bool capped_out(const struct sched_dom *d)
{
    return d->cap && d->budget_left - (int64_t)d->budget_rsvd <
                     (int64_t)CSCHED_MIN_RUN_NS;
}

static uint64_t sim_used(const struct sim_unit *u)
{
    int c = cpu_of(u);

    return u->used + (c >= 0 ? sim.now - sim.run_start[c] : 0);
}

static int sim_dom_set(struct sched_dom *d, unsigned int weight,
                       unsigned int cap)
{
    sim.cap_stable[d - sim.doms] = 0;
    return csched_dom_set(&sim.s, d, weight, cap);
}

/* After an accounting: no capped domain used more than its budget. */
static void sim_check_caps(void)
{
    unsigned int i;

    if ( sim.s.next_period == sim.seen_period )
        return;
    sim.seen_period = sim.s.next_period;
    for ( i = 0; i < sim.nr_doms; i++ )
    {
        struct sched_dom *d = &sim.doms[i];
        uint64_t used;

        if ( sim.dom_removed[i] )
            continue;
        used = csched_dom_runtime(&sim.s, d, sim.now);
        if ( d->cap && sim.cap_stable[i] >= 2 )
        {
            if ( used - sim.cap_mark[i] > d->budget )
                fail_msg("domain %u used %llu ns of a %llu ns budget", i,
                         (unsigned long long)(used - sim.cap_mark[i]),
                         (unsigned long long)d->budget);
            sim.cap_checks++;
        }
        sim.cap_mark[i] = used;
        sim.cap_stable[i]++;
    }
}

/* Invariants between steps: the two views agree, nothing is lost. */
static void sim_check(void)
{
    unsigned int c, i;

    sim_check_caps();
    for ( c = 0; c < sim.nr_cpus; c++ )
        assert_ptr_equal(sim.s.curr[c], sim.cur[c] ? &sim.cur[c]->su : NULL);
    for ( i = 0; i < sim.nr_units; i++ )
    {
        struct sim_unit *u = &sim.units[i];
        int cpu = cpu_of(u);

        assert_int_equal(csched_unit_runtime(&sim.s, &u->su, sim.now),
                         sim_used(u));
        if ( u->removed )
            continue;
        assert_int_equal(u->su.runnable, !u->asleep);
        assert_int_equal(u->su.cpu, cpu);
        assert_int_equal(u->su.queued, !u->asleep && cpu < 0);
        if ( u->asleep || cpu >= 0 || !sim.honour_tickles )
            continue;
        /* Work conservation: a unit that may run waits only if no CPU
         * idles. */
        for ( c = 0; c < sim.nr_cpus; c++ )
            if ( !sim.cur[c] )
                assert_true(capped_out(u->su.dom));
    }
}

static void sim_step(void)
{
    unsigned int c, i;

    for ( i = 0; i < sim.nr_units; i++ )
    {
        struct sim_unit *u = &sim.units[i];

        if ( u->kind == IO && u->asleep && !u->removed &&
             u->next_wake <= sim.now )
            sim_wake(u);
    }
    sim_tickles();
    for ( c = 0; c < sim.nr_cpus; c++ )
    {
        struct sim_unit *u = sim.cur[c];

        if ( u && u->kind == IO && sim.run_start[c] + u->left <= sim.now )
        {
            /* The burst is done: it blocks until its next period. */
            u->asleep = true;
            u->next_wake = (sim.now / u->interval + 1) * u->interval;
            csched_sleep(&sim.s, &u->su, sim.now);
            sim_pick(c);
        }
    }
    if ( sim.hook && sim.next_hook <= sim.now )
    {
        sim.hook();
        sim.next_hook += sim.hook_period;
    }
    for ( c = 0; c < sim.nr_cpus; c++ )
        if ( sim.next[c] <= sim.now )
            sim_pick(c);
    sim_tickles();
    sim_check();
}

static void sim_run(uint64_t until)
{
    while ( sim.now < until )
    {
        uint64_t t = until;
        unsigned int c, i;

        for ( c = 0; c < sim.nr_cpus; c++ )
        {
            t = MIN(t, sim.next[c]);
            if ( sim.cur[c] && sim.cur[c]->kind == IO )
                t = MIN(t, sim.run_start[c] + sim.cur[c]->left);
        }
        for ( i = 0; i < sim.nr_units; i++ )
            if ( sim.units[i].kind == IO && sim.units[i].asleep &&
                 !sim.units[i].removed )
                t = MIN(t, sim.units[i].next_wake);
        if ( sim.hook )
            t = MIN(t, sim.next_hook);
        assert_true(t >= sim.now);
        sim.now = t;
        sim_step();
    }
}

/* Wakes every unit at time 0 (I/O units start with a burst). */
static void sim_start(void)
{
    unsigned int i;

    for ( i = 0; i < sim.nr_units; i++ )
        sim_wake(&sim.units[i]);
    sim_step();
}

/* Share of the whole machine's time over [0, now]. */
static double share(const struct sim_unit *u)
{
    return (double)sim_used(u) / ((double)sim.now * sim.nr_cpus);
}

static double dshare(const struct sched_dom *d)
{
    return (double)csched_dom_runtime(&sim.s, d, sim.now) /
           ((double)sim.now * sim.nr_cpus);
}

#define assert_near(val, want, tol) do {                                    \
        double v_ = (val), w_ = (want);                                     \
        if ( v_ < w_ - (tol) || v_ > w_ + (tol) )                           \
            fail_msg("%s = %.4f, want %.4f +- %.4f", #val, v_, w_,          \
                     (double)(tol));                                        \
    } while ( 0 )

/* Two domains, weights 1:2, one busy unit each, one CPU: 1/3 and 2/3. */
static void test_weights_one_cpu(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *ua, *ub;

    (void)state;
    sim_init(1);
    a = sim_dom(256, 0);
    b = sim_dom(512, 0);
    ua = sim_unit(a, HOG);
    ub = sim_unit(b, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_near(share(ua), 1.0 / 3, 0.02);
    assert_near(share(ub), 2.0 / 3, 0.02);
    assert_near(dshare(a) + dshare(b), 1.0, 0.0001);
}

/* Weights 1:2, two busy units each, two CPUs. */
static void test_weights_two_cpus(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *a1, *a2, *b1, *b2;

    (void)state;
    sim_init(2);
    a = sim_dom(100, 0);
    b = sim_dom(200, 0);
    a1 = sim_unit(a, HOG);
    a2 = sim_unit(a, HOG);
    b1 = sim_unit(b, HOG);
    b2 = sim_unit(b, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_near(dshare(a), 1.0 / 3, 0.02);
    assert_near(dshare(b), 2.0 / 3, 0.02);
    assert_near(share(a1), share(a2), 0.02);
    assert_near(share(b1), share(b2), 0.02);
}

/* Equal weights, 1 unit against 3: equal shares per domain. */
static void test_equal_weight_unequal_units(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *ua, *ub[3];
    unsigned int i;

    (void)state;
    sim_init(1);
    a = sim_dom(256, 0);
    b = sim_dom(256, 0);
    ua = sim_unit(a, HOG);
    for ( i = 0; i < 3; i++ )
        ub[i] = sim_unit(b, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_near(dshare(a), 0.5, 0.02);
    assert_near(dshare(b), 0.5, 0.02);
    assert_near(share(ua), 0.5, 0.02);
    for ( i = 0; i < 3; i++ )
        assert_near(share(ub[i]), 1.0 / 6, 0.02);
}

/* The same on 3 CPUs, 1 unit against 4: the lone unit can use only one CPU
 * of its 1.5, and the rest goes to the other domain. */
static void test_unusable_share_goes_to_others(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *ua, *ub[4];
    unsigned int i;

    (void)state;
    sim_init(3);
    a = sim_dom(256, 0);
    b = sim_dom(256, 0);
    ua = sim_unit(a, HOG);
    for ( i = 0; i < 4; i++ )
        ub[i] = sim_unit(b, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_near(share(ua), 1.0 / 3, 0.01);
    assert_near(dshare(b), 2.0 / 3, 0.01);
    for ( i = 0; i < 4; i++ )
        assert_near(share(ub[i]), 1.0 / 6, 0.02);
}

/* Cap 25% alone on the machine: it holds, and the CPU idles meanwhile. */
static void test_cap_alone(void **state)
{
    struct sched_dom *d;
    struct sim_unit *u;

    (void)state;
    sim_init(1);
    d = sim_dom(256, 25);
    u = sim_unit(d, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_true(share(u) <= 0.25 + 0.001);
    assert_near(share(u), 0.25, 0.005);
    assert_true(sim.idle_finite > 300);     /* ~one per period */
    assert_null(sim.cur[0]);
    assert_true(sim.next[0] != UINT64_MAX);
}

/* Cap 25% with a heavy weight against an uncapped unit: the cap wins, the
 * other domain takes all the rest. */
static void test_cap_with_competitor(void **state)
{
    struct sched_dom *c, *o;
    struct sim_unit *uc, *uo;

    (void)state;
    sim_init(1);
    c = sim_dom(4096, 25);
    o = sim_dom(256, 0);
    uc = sim_unit(c, HOG);
    uo = sim_unit(o, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_true(share(uc) <= 0.25 + 0.001);
    assert_near(share(uc), 0.25, 0.01);
    assert_near(share(uo), 0.75, 0.01);
}

/* Cap 150% with two busy units on two CPUs. */
static void test_cap_over_100(void **state)
{
    struct sched_dom *d;
    struct sim_unit *u1, *u2;

    (void)state;
    sim_init(2);
    d = sim_dom(256, 150);
    u1 = sim_unit(d, HOG);
    u2 = sim_unit(d, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_true(dshare(d) * 2 <= 1.5 + 0.002);
    assert_near(dshare(d) * 2, 1.5, 0.01);
    assert_near(share(u1), share(u2), 0.02);
}

/* One busy unit, two CPUs: it gets one whole CPU, never two. */
static void test_work_conserving(void **state)
{
    struct sched_dom *d;
    struct sim_unit *u;

    (void)state;
    sim_init(2);
    d = sim_dom(256, 0);
    u = sim_unit(d, HOG);
    sim_start();
    sim_run(10 * SEC);
    assert_int_equal(sim_used(u), 10 * SEC);
}

/*
 * An I/O-like unit (1 ms of CPU every 10 ms) against a CPU hog: picked as
 * soon as it wakes when tickles are honoured, and gets its 10%.
 */
static void test_io_latency_tickled(void **state)
{
    struct sched_dom *h, *i;
    struct sim_unit *hog, *io;

    (void)state;
    sim_init(1);
    h = sim_dom(256, 0);
    i = sim_dom(256, 0);
    hog = sim_unit(h, HOG);
    io = sim_io(i, 1 * MS, 10 * MS);
    sim_start();
    sim_run(100 * MS);
    io->max_latency = 0;        /* at time 0 one of the two had to wait */
    sim_run(10 * SEC);
    assert_int_equal(io->max_latency, 0);
    assert_near(share(io), 0.1, 0.005);
    assert_near(share(hog), 0.9, 0.005);
}

/* Same without tickles: the next slice end still picks it first. */
static void test_io_latency_untickled(void **state)
{
    struct sched_dom *h, *i;
    struct sim_unit *io;

    (void)state;
    sim_init(1);
    sim.honour_tickles = false;
    h = sim_dom(256, 0);
    i = sim_dom(256, 0);
    sim_unit(h, HOG);
    io = sim_io(i, 1 * MS, 10 * MS);
    sim_start();
    sim_run(100 * MS);
    io->max_latency = 0;
    sim_run(10 * SEC);
    assert_true(io->max_latency > 0);       /* it did wait for slice ends */
    assert_true(io->max_latency <= CSCHED_SLICE_NS);
    assert_near(share(io), 0.1, 0.01);
}

/*
 * Two CPUs, each with a busy unit that has credit to spare (UNDER): only
 * the boost lets an I/O unit (1 ms every 7 ms) preempt one at once.
 */
static void test_boost_preempts_under(void **state)
{
    struct sched_dom *a, *b, *c;
    struct sim_unit *h1, *h2, *io;

    (void)state;
    sim_init(2);
    a = sim_dom(256, 0);
    b = sim_dom(256, 0);
    c = sim_dom(256, 0);
    h1 = sim_unit(a, HOG);
    h2 = sim_unit(b, HOG);
    io = sim_io(c, 1 * MS, 7 * MS);
    sim_start();
    sim_run(100 * MS);
    io->max_latency = 0;
    sim_run(10 * SEC);
    assert_true(h1->su.credit >= 0 && h2->su.credit >= 0);
    assert_int_equal(io->max_latency, 0);
    assert_near(share(io), 1.0 / 14, 0.005);
}

/* An I/O domain does not upset the weights of the busy ones. */
static void test_io_and_weighted_hogs(void **state)
{
    struct sched_dom *a, *b, *c;
    struct sim_unit *ua, *ub, *io;

    (void)state;
    sim_init(1);
    a = sim_dom(256, 0);
    b = sim_dom(512, 0);
    c = sim_dom(256, 0);
    ua = sim_unit(a, HOG);
    ub = sim_unit(b, HOG);
    io = sim_io(c, 1 * MS, 10 * MS);
    sim_start();
    sim_run(100 * MS);
    io->max_latency = 0;
    sim_run(10 * SEC);
    assert_near(share(io), 0.1, 0.005);
    assert_near(share(ua), 0.3, 0.02);
    assert_near(share(ub), 0.6, 0.02);
    assert_true(io->max_latency == 0);
}

/* A unit that hogs many times its share in boosted bursts gains nothing. */
static void test_boost_keeps_fairness(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *hog, *burst;

    (void)state;
    sim_init(1);
    a = sim_dom(256, 0);
    b = sim_dom(256, 0);
    hog = sim_unit(a, HOG);
    burst = sim_io(b, 9 * MS, 10 * MS);     /* wants 90% */
    sim_start();
    sim_run(10 * SEC);
    assert_near(share(burst), 0.5, 0.03);
    assert_near(share(hog), 0.5, 0.03);
}

/* csched_dom_set: bad values change nothing; good ones take effect. */
static void test_dom_set(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *ua, *ub;
    uint64_t ta, tb;

    (void)state;
    sim_init(1);
    a = sim_dom(0, 0);
    assert_int_equal(a->weight, CSCHED_DEFAULT_WEIGHT);
    b = sim_dom(256, 10);
    assert_int_equal(csched_dom_set(&sim.s, b, 0, 0), -EINVAL);
    assert_int_equal(csched_dom_set(&sim.s, b, 65536, 0), -EINVAL);
    assert_int_equal(csched_dom_set(&sim.s, b, 256, 65536), -EINVAL);
    assert_int_equal(csched_dom_set(&sim.s, b, ~0U, 20), -EINVAL);
    assert_int_equal(b->weight, 256);
    assert_int_equal(b->cap, 10);
    assert_int_equal(b->budget, 3 * MS);
    assert_int_equal(csched_dom_set(&sim.s, b, 65535, 65535), 0);
    assert_int_equal(csched_dom_set(&sim.s, b, 1, 1), 0);
    assert_int_equal(csched_dom_set(&sim.s, b, 256, 0), 0);

    /* 1:1 for 5 s, then 1:3. */
    ua = sim_unit(a, HOG);
    ub = sim_unit(b, HOG);
    sim_start();
    sim_run(5 * SEC);
    assert_near(share(ua), 0.5, 0.02);
    ta = sim_used(ua);
    tb = sim_used(ub);
    assert_int_equal(sim_dom_set(b, 768, 0), 0);
    sim_run(10 * SEC);
    assert_near((double)(sim_used(ua) - ta) / (5 * SEC), 0.25, 0.02);
    assert_near((double)(sim_used(ub) - tb) / (5 * SEC), 0.75, 0.02);

    /* Then a cap of 20% on b: a gets the rest. */
    ta = sim_used(ua);
    tb = sim_used(ub);
    assert_int_equal(sim_dom_set(b, 768, 20), 0);
    sim_run(15 * SEC);
    assert_true(sim_used(ub) - tb <= SEC + 6 * MS);
    assert_true(sim.cap_checks > 150);
    assert_near((double)(sim_used(ua) - ta) / (5 * SEC), 0.8, 0.01);
}

static void sim_remove_unit(struct sim_unit *u)
{
    int c = cpu_of(u);

    if ( c >= 0 )
        sim_charge(c);
    csched_unit_remove(&sim.s, &u->su, sim.now);
    if ( c >= 0 )
        sim.cur[c] = NULL;      /* the caller stops it ... */
    u->removed = true;
    sim_tickles();              /* ... and picks again on that CPU */
}

/* Units and domains removed mid-run, running or not. */
static void test_remove_mid_run(void **state)
{
    struct sched_dom *a, *b, *c;
    struct sim_unit *x;
    uint64_t x_used, b_used, a_used, c_used;
    unsigned int i;

    (void)state;
    sim_init(2);
    a = sim_dom(256, 0);
    b = sim_dom(256, 0);
    c = sim_dom(256, 0);
    sim_unit(a, HOG);
    sim_unit(a, HOG);
    sim_unit(b, HOG);
    sim_unit(b, HOG);
    sim_unit(c, HOG);
    sim_start();
    sim_run(2 * SEC + 3 * MS);

    /* The unit running on CPU 0 goes; CPU 0 picks another at once. */
    x = sim.cur[0];
    assert_non_null(x);
    sim_remove_unit(x);
    assert_non_null(sim.cur[0]);
    assert_true(sim.cur[0] != x);
    x_used = sim_used(x);
    sim_run(5 * SEC);
    assert_int_equal(sim_used(x), x_used);

    /* Domain b goes with its units, whether they run or not. */
    b_used = csched_dom_runtime(&sim.s, b, sim.now);
    csched_dom_remove(&sim.s, b, sim.now);
    sim.dom_removed[1] = true;
    for ( i = 0; i < sim.nr_units; i++ )
        if ( sim.units[i].su.dom == b && !sim.units[i].removed )
        {
            int cpu = cpu_of(&sim.units[i]);

            if ( cpu >= 0 )
            {
                sim_charge(cpu);
                sim.cur[cpu] = NULL;
            }
            sim.units[i].removed = true;
        }
    sim_tickles();
    sim_check();
    a_used = csched_dom_runtime(&sim.s, a, sim.now);
    c_used = csched_dom_runtime(&sim.s, c, sim.now);
    sim_run(10 * SEC);
    assert_int_equal(csched_dom_runtime(&sim.s, b, sim.now), b_used);
    assert_int_equal(sim_used(x), x_used);
    /* Two CPUs between what is left of a and c: a CPU each if both have a
     * unit left (equal weights), else a gets both. */
    if ( x->su.dom == c )
        assert_int_equal(csched_dom_runtime(&sim.s, a, sim.now) - a_used,
                         10 * SEC);
    else
    {
        assert_near((double)(csched_dom_runtime(&sim.s, a, sim.now) - a_used)
                    / (5 * SEC), 1.0, 0.02);
        assert_near((double)(csched_dom_runtime(&sim.s, c, sim.now) - c_used)
                    / (5 * SEC), 1.0, 0.02);
    }

    /* Then everything: both CPUs idle with nothing to wait for. */
    csched_dom_remove(&sim.s, a, sim.now);
    csched_dom_remove(&sim.s, c, sim.now);
    sim.dom_removed[0] = sim.dom_removed[2] = true;
    for ( i = 0; i < sim.nr_units; i++ )
        sim.units[i].removed = true;
    sim_charge(0);
    sim_charge(1);
    sim.cur[0] = sim.cur[1] = NULL;
    sim_tickles();
    sim_check();
    assert_null(sim.cur[0]);
    assert_null(sim.cur[1]);
    assert_true(sim.next[0] == UINT64_MAX && sim.next[1] == UINT64_MAX);
}

/* Nothing to run: NULL and nothing to wait for. */
static void test_idle(void **state)
{
    struct sched_unit *u;
    struct sched_dom *d;
    struct sim_unit *su;
    uint64_t slice = 0;

    (void)state;
    sim_init(4);
    u = csched_pick(&sim.s, 3, 12345, &slice);
    assert_null(u);
    assert_true(slice == UINT64_MAX);

    /* A domain whose only unit sleeps: the same. */
    d = sim_dom(256, 50);
    su = sim_unit(d, MANUAL);
    u = csched_pick(&sim.s, 0, 5 * SEC, &slice);
    assert_null(u);
    assert_true(slice == UINT64_MAX);
    assert_int_equal(csched_take_tickles(&sim.s), 0);

    /* It wakes: an idle CPU is tickled, and picks it. */
    csched_wake(&sim.s, &su->su, 5 * SEC + 1);
    assert_int_equal(csched_take_tickles(&sim.s), 1);
    assert_int_equal(csched_take_tickles(&sim.s), 0);
    u = csched_pick(&sim.s, 0, 5 * SEC + 2, &slice);
    assert_ptr_equal(u, &su->su);
    assert_ptr_equal(u->owner, su);
    assert_int_equal(slice, CSCHED_SLICE_NS);
}

/*
 * Yield: for one pick, behind units of the same standing, even ones with
 * less credit; never behind units of lower standing.
 */
static void test_yield(void **state)
{
    struct sched_dom *da, *db;
    struct sim_unit *a, *b;
    struct sched_unit *u;
    uint64_t slice;

    (void)state;
    sim_init(1);
    da = sim_dom(768, 0);
    db = sim_dom(256, 0);
    a = sim_unit(da, MANUAL);
    b = sim_unit(db, MANUAL);
    csched_wake(&sim.s, &a->su, 0);
    csched_wake(&sim.s, &b->su, 0);
    /* The first pick hands out 22.5 ms and 7.5 ms; both boosted. */
    u = csched_pick(&sim.s, 0, 0, &slice);
    assert_ptr_equal(u, &a->su);
    assert_int_equal(a->su.credit, 22500 * 1000);
    u = csched_pick(&sim.s, 0, 10 * MS, &slice);
    assert_ptr_equal(u, &b->su);                /* boost first */
    u = csched_pick(&sim.s, 0, 20 * MS, &slice);
    assert_ptr_equal(u, &a->su);                /* a 12.5, b -2.5 */
    csched_yield(&sim.s, &a->su, 25 * MS);
    u = csched_pick(&sim.s, 0, 25 * MS, &slice);
    assert_ptr_equal(u, &a->su);                /* b is OVER */
    u = csched_pick(&sim.s, 0, 30 * MS, &slice);
    assert_ptr_equal(u, &a->su);                /* a 25, b 5: both UNDER */
    assert_int_equal(a->su.credit, 25 * MS);
    assert_int_equal(b->su.credit, 5 * MS);
    csched_yield(&sim.s, &a->su, 32 * MS);
    u = csched_pick(&sim.s, 0, 32 * MS, &slice);
    assert_ptr_equal(u, &b->su);                /* a gives way */
    u = csched_pick(&sim.s, 0, 33 * MS, &slice);
    assert_ptr_equal(u, &a->su);                /* for one pick only */
    /* Alone, a yielding unit runs on. */
    csched_sleep(&sim.s, &b->su, 34 * MS);
    csched_yield(&sim.s, &a->su, 34 * MS);
    u = csched_pick(&sim.s, 0, 34 * MS, &slice);
    assert_ptr_equal(u, &a->su);
}

/* A unit put to sleep on its CPU leaves at the next pick, not before. */
static void test_sleep_while_running(void **state)
{
    struct sched_dom *d;
    struct sim_unit *a, *b;
    struct sched_unit *u;
    uint64_t slice;

    (void)state;
    sim_init(2);
    d = sim_dom(256, 0);
    a = sim_unit(d, MANUAL);
    b = sim_unit(d, MANUAL);
    csched_wake(&sim.s, &a->su, 0);
    u = csched_pick(&sim.s, 0, 0, &slice);
    assert_ptr_equal(u, &a->su);
    csched_sleep(&sim.s, &a->su, 1 * MS);
    assert_int_equal(a->su.cpu, 0);
    /* Woken again before the pick: it just carries on. */
    csched_wake(&sim.s, &a->su, 2 * MS);
    assert_int_equal(csched_take_tickles(&sim.s), 0);
    u = csched_pick(&sim.s, 0, 3 * MS, &slice);
    assert_ptr_equal(u, &a->su);
    csched_sleep(&sim.s, &a->su, 4 * MS);
    csched_sleep(&sim.s, &a->su, 4 * MS);       /* idempotent */
    u = csched_pick(&sim.s, 1, 4 * MS, &slice);  /* not on another CPU */
    assert_null(u);
    u = csched_pick(&sim.s, 0, 5 * MS, &slice);
    assert_null(u);
    assert_int_equal(csched_unit_runtime(&sim.s, &a->su, 9 * MS), 5 * MS);
    csched_wake(&sim.s, &b->su, 6 * MS);
    csched_wake(&sim.s, &b->su, 6 * MS);        /* idempotent */
    assert_int_equal(csched_take_tickles(&sim.s), 1);
    u = csched_pick(&sim.s, 1, 6 * MS, &slice);  /* any CPU may take it */
    assert_ptr_equal(u, &b->su);
}

/*
 * Tickles: an idle CPU first, else a CPU running a unit of lower standing,
 * never a CPU already tickled; none for a unit that cannot run.
 */
static void test_tickle_targets(void **state)
{
    struct sched_dom *d, *e, *f;
    struct sim_unit *h1, *h2, *w1, *w2, *capped;
    struct sched_unit *u;
    uint64_t slice, t, mask;

    (void)state;
    sim_init(2);
    d = sim_dom(256, 0);
    e = sim_dom(256, 0);
    f = sim_dom(256, 1);
    h1 = sim_unit(d, MANUAL);
    h2 = sim_unit(d, MANUAL);
    w1 = sim_unit(e, MANUAL);
    w2 = sim_unit(e, MANUAL);
    capped = sim_unit(f, MANUAL);
    csched_wake(&sim.s, &h1->su, 0);
    assert_int_equal(csched_take_tickles(&sim.s), 1);   /* CPU 0 idle */
    u = csched_pick(&sim.s, 0, 0, &slice);
    assert_ptr_equal(u, &h1->su);
    csched_wake(&sim.s, &h2->su, 0);
    assert_int_equal(csched_take_tickles(&sim.s), 2);   /* CPU 1 idle */
    u = csched_pick(&sim.s, 1, 0, &slice);
    assert_ptr_equal(u, &h2->su);
    for ( t = 10 * MS; t <= 40 * MS; t += 10 * MS )
    {
        assert_ptr_equal(csched_pick(&sim.s, 0, t, &slice), &h1->su);
        assert_ptr_equal(csched_pick(&sim.s, 1, t, &slice), &h2->su);
    }
    assert_false(h1->su.boost || h2->su.boost);
    /* w1 wakes boosted and preempts one of them ... */
    csched_wake(&sim.s, &w1->su, 45 * MS);
    mask = csched_take_tickles(&sim.s);
    assert_true(mask == 1 || mask == 2);
    /* ... w2 too, and not on the CPU already asked. */
    csched_wake(&sim.s, &w2->su, 45 * MS);
    assert_int_equal(csched_take_tickles(&sim.s), 3 & ~mask);
    assert_ptr_equal(csched_pick(&sim.s, 0, 46 * MS, &slice), &w1->su);
    assert_ptr_equal(csched_pick(&sim.s, 1, 46 * MS, &slice), &w2->su);
    /* Boosted units do not preempt each other. */
    csched_sleep(&sim.s, &h1->su, 46 * MS);
    csched_wake(&sim.s, &h1->su, 46 * MS);
    assert_true(h1->su.boost);
    assert_int_equal(csched_take_tickles(&sim.s), 0);
    /* A capped-out domain's unit tickles nobody, even with a CPU idle. */
    csched_sleep(&sim.s, &w1->su, 47 * MS);
    assert_ptr_equal(csched_pick(&sim.s, 0, 47 * MS, &slice), &h1->su);
    csched_sleep(&sim.s, &h1->su, 47 * MS);
    csched_sleep(&sim.s, &h2->su, 47 * MS);     /* queued */
    assert_null(csched_pick(&sim.s, 0, 47 * MS, &slice));
    assert_true(slice == UINT64_MAX);
    f->budget_left = 0;     /* as if it had used its 0.3 ms */
    csched_wake(&sim.s, &capped->su, 48 * MS);
    assert_int_equal(csched_take_tickles(&sim.s), 0);
    assert_null(csched_pick(&sim.s, 0, 48 * MS, &slice));
    assert_int_equal(slice, 60 * MS - 48 * MS);     /* until the refill */
    assert_ptr_equal(csched_pick(&sim.s, 0, 60 * MS, &slice), &capped->su);
    assert_int_equal(slice, 300 * 1000);
}

/*
 * A unit woken while its domain is capped out tickles nobody; when the
 * refill makes it runnable, a busy CPU's pick asks the idle one to help.
 */
static void test_refill_tickles_idle_cpu(void **state)
{
    struct sched_dom *h, *c;
    struct sim_unit *hog, *x;

    (void)state;
    sim_init(2);
    h = sim_dom(256, 0);
    c = sim_dom(256, 50);
    hog = sim_unit(h, HOG);
    sim_start();
    x = sim_unit(c, MANUAL);    /* asleep */
    sim_run(40 * MS);
    assert_int_equal(cpu_of(hog), 0);
    assert_null(sim.cur[1]);
    assert_true(sim.next[1] == UINT64_MAX);
    c->budget_left = 0;         /* as if x had used it on CPU 1 */
    sim_wake(x);
    assert_int_equal(csched_take_tickles(&sim.s), 0);
    sim_run(60 * MS);           /* refill: x and the hog both run */
    assert_non_null(sim.cur[0]);
    assert_non_null(sim.cur[1]);
    assert_int_equal(x->max_latency, 20 * MS);
}

/*
 * Debt: kept across a short sleep (no boost on waking), forgiven after a
 * sleep through a whole period (boosted, runs at once).
 */
static void test_sleeper_debt(void **state)
{
    struct sched_dom *a, *b;
    struct sim_unit *x;

    (void)state;
    sim_init(1);
    a = sim_dom(256, 0);
    b = sim_dom(256, 0);
    sim_unit(b, HOG);
    sim_start();
    x = sim_unit(a, MANUAL);
    sim_run(95 * MS);
    x->su.credit = -20 * MS;    /* as if it had just overrun */
    sim_run(100 * MS);
    sim_wake(x);                /* mid-period: still in debt */
    sim_tickles();
    assert_false(x->su.boost);
    assert_true(sim.cur[0] != x);
    sim_run(110 * MS);
    assert_true(sim.cur[0] != x);
    x->asleep = true;
    csched_sleep(&sim.s, &x->su, sim.now);
    sim_run(185 * MS);          /* asleep through [150, 180) */
    assert_int_equal(x->su.credit, 0);
    sim_wake(x);
    sim_tickles();
    assert_true(x->su.boost);
    assert_ptr_equal(sim.cur[0], x);
}

/*
 * Everything at once on 4 CPUs, with a deterministic pseudo-random hook
 * every 700 us: sleep/wake, yield, weight and cap changes. The invariants
 * are checked at every step; caps must hold over every period.
 */
static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void stress_hook(void)
{
    struct sim_unit *u = &sim.units[rnd() % sim.nr_units];
    struct sched_dom *d = &sim.doms[rnd() % sim.nr_doms];
    int c;

    switch ( rnd() % 8 )
    {
    case 0:
    case 1:
        if ( u->kind != MANUAL || u->removed )
            break;
        if ( u->asleep )
            sim_wake(u);
        else
        {
            c = cpu_of(u);
            u->asleep = true;
            csched_sleep(&sim.s, &u->su, sim.now);
            if ( c >= 0 )
                sim_pick(c);
        }
        break;
    case 2:
        if ( u->removed )
            break;
        c = cpu_of(u);
        csched_yield(&sim.s, &u->su, sim.now);
        if ( c >= 0 )
            sim_pick(c);
        break;
    case 3:
        assert_int_equal(csched_dom_set(&sim.s, d, 1 + rnd() % 1000,
                                        d->cap), 0);
        break;
    case 4:
        if ( rnd() % 4 )
            break;
        assert_int_equal(sim_dom_set(d, d->weight,
                                     rnd() % 2 ? 0 : 1 + rnd() % 300), 0);
        break;
    case 5:
        /* A manual unit leaves, or comes back in some domain. */
        if ( u->kind != MANUAL )
            break;
        if ( !u->removed )
            sim_remove_unit(u);
        else
        {
            csched_unit_init(&sim.s, &u->su, d, u);
            u->removed = false;
            u->asleep = true;
            u->used = 0;
        }
        break;
    default:
        break;
    }
    sim_tickles();
}

static void test_stress(void **state)
{
    struct sched_dom *d[4];
    unsigned int i;

    (void)state;
    sim_init(4);
    for ( i = 0; i < 4; i++ )
        d[i] = sim_dom(128 * (i + 1), i == 3 ? 120 : 0);
    for ( i = 0; i < 10; i++ )
    {
        if ( i % 3 == 0 )
            sim_io(d[i % 4], (i + 1) * MS / 2, 7 * MS);
        else
            sim_unit(d[i % 4], i % 3 == 1 ? HOG : MANUAL);
    }
    sim.hook = stress_hook;
    sim.hook_period = 700 * 1000;
    sim_start();
    sim_run(5 * SEC);
    for ( i = 0; i < 4; i++ )
        assert_true(dshare(d[i]) > 0.01);
    assert_near(dshare(d[0]) + dshare(d[1]) + dshare(d[2]) + dshare(d[3]),
                1.0, 0.15);
    assert_true(sim.cap_checks > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_one_cpu),
        cmocka_unit_test(test_weights_two_cpus),
        cmocka_unit_test(test_equal_weight_unequal_units),
        cmocka_unit_test(test_unusable_share_goes_to_others),
        cmocka_unit_test(test_cap_alone),
        cmocka_unit_test(test_cap_with_competitor),
        cmocka_unit_test(test_cap_over_100),
        cmocka_unit_test(test_work_conserving),
        cmocka_unit_test(test_io_latency_tickled),
        cmocka_unit_test(test_io_latency_untickled),
        cmocka_unit_test(test_boost_preempts_under),
        cmocka_unit_test(test_io_and_weighted_hogs),
        cmocka_unit_test(test_boost_keeps_fairness),
        cmocka_unit_test(test_dom_set),
        cmocka_unit_test(test_remove_mid_run),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_yield),
        cmocka_unit_test(test_sleep_while_running),
        cmocka_unit_test(test_tickle_targets),
        cmocka_unit_test(test_refill_tickles_idle_cpu),
        cmocka_unit_test(test_sleeper_debt),
        cmocka_unit_test(test_stress),
    };

    return cmocka_run_group_tests_name("sched_credit", tests, NULL, NULL);
}
