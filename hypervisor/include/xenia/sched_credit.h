/*
 * The credit scheduler's core: who runs next on a CPU, and for how long.
 *
 * Pure logic with no clock, no locks and no memory of its own: the caller
 * embeds the three objects below in its own structures, takes its global
 * scheduler lock around every call, and passes the current system time
 * `now` (nanoseconds, the same clock on every CPU) into the calls that need
 * it. The algorithm is described atop common/sched_credit.c and in
 * docs/scheduler.md.
 *
 * Model:
 *   struct sched_state  one per machine: CPUs, run queue, accounting period.
 *   struct sched_dom    one per domain: weight and cap.
 *   struct sched_unit   one per vCPU: runnable or not, and the CPU it is on.
 *
 * A unit is "runnable" between csched_wake() and csched_sleep(). A runnable
 * unit is either queued or running on exactly one CPU; the scheduler never
 * hands a unit to a second CPU. A unit put to sleep while it runs stays on
 * its CPU until that CPU next calls csched_pick(), which takes it off.
 *
 * Tickles: some calls find that another CPU should reschedule at once (an
 * idle CPU, or one running a unit of lower standing than a woken one). They
 * add it to a set the caller collects with csched_take_tickles() after any
 * call, and kicks (IPI) each CPU in it; that CPU then calls csched_pick().
 *
 * Fields marked "read-only" may be read by the caller under its lock; all
 * others are private to common/sched_credit.c.
 */
#ifndef XENIA_SCHED_CREDIT_H
#define XENIA_SCHED_CREDIT_H

#include <xenia/types.h>

#define CSCHED_MAX_CPUS         64
#define CSCHED_DEFAULT_WEIGHT   256
#define CSCHED_MAX_WEIGHT       65535
#define CSCHED_MAX_CAP          65535   /* percent of one CPU; 0 = no cap */

#define CSCHED_MS               1000000ULL
#define CSCHED_PERIOD_NS        (30 * CSCHED_MS)    /* accounting period */
#define CSCHED_SLICE_NS         (10 * CSCHED_MS)    /* longest run */
#define CSCHED_CREDIT_MAX       ((int64_t)CSCHED_PERIOD_NS)
/* A capped domain with less budget left than this waits for the refill. */
#define CSCHED_MIN_RUN_NS       (50 * 1000ULL)

/* Intrusive doubly-linked list node (circular, with a head node). */
struct sched_link {
    struct sched_link *prev, *next;
};

struct sched_dom {
    unsigned int weight;        /* read-only: 1 .. CSCHED_MAX_WEIGHT */
    unsigned int cap;           /* read-only: % of one CPU, 0 = none */

    struct sched_link link;     /* in sched_state.doms */
    struct sched_link units;    /* its sched_unit.dom_link */
    uint64_t runtime_ns;        /* charged so far, removed units included */
    uint64_t budget;            /* cap * period / 100, 0 if uncapped */
    int64_t budget_left;        /* this period; negative after an overrun */
    uint64_t budget_rsvd;       /* promised to slices now running */
    uint64_t need, grant;       /* scratch of the period accounting */
    bool settled;
};

struct sched_unit {
    void *owner;                /* read-only: the caller's back pointer */
    struct sched_dom *dom;      /* read-only */
    int cpu;                    /* read-only: CPU it runs on, or -1 */
    bool runnable;              /* read-only: woken and not put to sleep */

    struct sched_link dom_link; /* in sched_dom.units */
    struct sched_link runq_link; /* in sched_state.runq when queued */
    bool queued;                /* runnable, waiting for a CPU */
    bool boost;                 /* woke with credit: runs before others */
    bool yielded;               /* gives way to its equals (one pick) */
    bool woke;                  /* became runnable during this period */
    int64_t credit;             /* ns it may still run at its priority */
    uint64_t seq;               /* order of queueing, for ties */
    uint64_t run_start;         /* when the current run was last charged */
    uint64_t rsvd;              /* budget promised to the current slice */
    uint64_t runtime_ns;        /* charged so far */
    uint64_t need, grant;       /* scratch of the period accounting */
    bool settled;
};

struct sched_state {
    unsigned int nr_cpus;                       /* read-only */
    struct sched_unit *curr[CSCHED_MAX_CPUS];   /* read-only: NULL = idle */
    uint64_t tickled;           /* told to reschedule, has not picked yet */
    uint64_t tickles;           /* the part not yet taken by the caller */
    struct sched_link doms;
    struct sched_link runq;     /* queued units, unordered */
    uint64_t next_period;       /* time of the next accounting */
    uint64_t seq;
};

/*
 * Initialises s for CPUs 0 .. nr_cpus - 1 (1 .. CSCHED_MAX_CPUS; out of
 * range is a caller bug, asserted, and clamped). All CPUs start idle. The
 * first csched_pick() starts the first accounting period.
 */
void csched_init(struct sched_state *s, unsigned int nr_cpus);

/*
 * Adds domain d with a weight (0 = CSCHED_DEFAULT_WEIGHT) and a cap (0 =
 * none). Values out of range are a caller bug: asserted, then clamped.
 * Guest- or user-supplied values go through csched_dom_set() instead.
 */
void csched_dom_init(struct sched_state *s, struct sched_dom *d,
                     unsigned int weight, unsigned int cap);

/*
 * Changes d's weight (1 .. CSCHED_MAX_WEIGHT) and cap (0 .. CSCHED_MAX_CAP
 * percent of one CPU; 0 = none). Returns -EINVAL and changes nothing if
 * either is out of range, else 0. A new weight counts from the next
 * accounting period. A new cap applies now: this period's remaining budget
 * becomes the smaller of what was left and the new per-period budget (the
 * whole new budget when d was uncapped); slices already running keep their
 * length and any overrun is charged to the next period.
 */
int csched_dom_set(struct sched_state *s, struct sched_dom *d,
                   unsigned int weight, unsigned int cap);

/*
 * Removes d and, as csched_unit_remove() would, any unit still in it. d's
 * runtime stays readable with csched_dom_runtime(..., now) = its total.
 */
void csched_dom_remove(struct sched_state *s, struct sched_dom *d,
                       uint64_t now);

/*
 * Adds unit u to domain d, not runnable, with no credit yet. owner is
 * stored for the caller and never used.
 */
void csched_unit_init(struct sched_state *s, struct sched_unit *u,
                      struct sched_dom *d, void *owner);

/*
 * Removes u from the scheduler. If it is running, its time is charged up to
 * now, its CPU becomes idle in the scheduler's view and is tickled: the
 * caller must stop running u there and call csched_pick() on that CPU.
 */
void csched_unit_remove(struct sched_state *s, struct sched_unit *u,
                        uint64_t now);

/*
 * Makes u runnable; does nothing if it already is (or was removed). A unit
 * that was asleep and has credit left is boosted: it runs before units that
 * did not just wake. May tickle a CPU (see above).
 */
void csched_wake(struct sched_state *s, struct sched_unit *u, uint64_t now);

/*
 * Makes u not runnable (blocked, paused, offline); idempotent. A queued
 * unit leaves the queue; a running one stays on its CPU until that CPU
 * calls csched_pick(), which the caller should make happen soon.
 */
void csched_sleep(struct sched_state *s, struct sched_unit *u, uint64_t now);

/*
 * u gives way: it loses its boost, and at the next pick (on its CPU if it
 * runs, on any CPU if it is queued) it comes after every other unit of the
 * same standing, whatever their credit. If u is running the caller then
 * calls csched_pick() on its CPU, which may still return u.
 */
void csched_yield(struct sched_state *s, struct sched_unit *u, uint64_t now);

/*
 * Called on `cpu` when the unit it runs blocks, yields, or its slice ends,
 * when it is tickled, and when an idle CPU's wait ends. Charges the unit
 * that ran there (if any) up to now, runs the period accounting if one is
 * due, and returns the unit to run next (possibly the same one) or NULL to
 * idle. *slice_ns gets the time after which the CPU must call again: the
 * end of the slice; when idling, the time until a capped-out domain's budget
 * refills, or UINT64_MAX when nothing is waiting for anything.
 */
struct sched_unit *csched_pick(struct sched_state *s, unsigned int cpu,
                               uint64_t now, uint64_t *slice_ns);

/*
 * Returns the set of CPUs (bit n = CPU n) that should call csched_pick()
 * as soon as possible, and empties it. Call after any other csched_ call.
 */
uint64_t csched_take_tickles(struct sched_state *s);

/* CPU time used so far, in ns, the current run up to now included. */
uint64_t csched_unit_runtime(const struct sched_state *s,
                             const struct sched_unit *u, uint64_t now);
uint64_t csched_dom_runtime(const struct sched_state *s,
                            const struct sched_dom *d, uint64_t now);

#endif /* XENIA_SCHED_CREDIT_H */
