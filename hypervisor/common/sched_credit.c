/*
 * The credit scheduler: proportional CPU shares between domains by weight,
 * optional caps, and prompt service for vCPUs that wake from sleep.
 *
 * Credit. A unit's credit is CPU time, in ns, that it may still use at its
 * current standing. Running costs credit one for one: whenever a unit is
 * taken off its CPU (and at every period accounting for units still on a
 * CPU) the time it ran since it was last charged is subtracted.
 *
 * Accounting periods. Every CSCHED_PERIOD_NS the whole machine's capacity
 * for one period (nr_cpus * period) is handed out as credit:
 *  - Only "active" units take part: those runnable at the accounting or at
 *    any moment since the previous one. A unit that slept through a whole
 *    period is inactive; its debt (negative credit) is forgiven, since it
 *    cannot have been taking CPU time from anyone meanwhile.
 *  - A unit can use at most one period of CPU time per period, and credit
 *    never grows past CSCHED_CREDIT_MAX, so each active unit "needs" at
 *    most min(period, CREDIT_MAX - credit). A capped domain needs at most
 *    its cap budget. A domain's need is the sum of its units' needs.
 *  - The capacity is divided between domains in proportion to weight, but a
 *    domain never gets more than it needs; what it cannot use is divided
 *    again between the others, by weight, until nobody is over-served
 *    ("water filling"). Each domain's grant is then split evenly, the same
 *    way, between its active units: a domain's weight is shared by its
 *    runnable units, so a domain with more vCPUs does not get more CPU.
 *  - Credit is kept within [-CREDIT_MAX, CREDIT_MAX]: a sleeper cannot hoard
 *    more than one period of head start, a hog cannot dig an endless hole.
 * Because nothing is handed out that nobody could use, credit does not
 * drift: while the CPUs are busy, credit handed out equals time charged.
 *
 * Priorities. A queued unit has one of three standings, best first:
 *   BOOST  it woke from sleep with credit >= 0 and has not run since;
 *   UNDER  credit >= 0;
 *   OVER   credit < 0.
 * A CPU runs the queued unit of best standing for at most CSCHED_SLICE_NS.
 * Among boosted units the first woken goes first; among UNDER or OVER ones,
 * the one with most credit, i.e. the one owed most (ties: first queued).
 * Ordering by credit inside a standing matters: with plain round robin, a
 * unit that is owed a lot would get no more turns than one owed little,
 * and weights would only show once credits changed sign. A unit that
 * yields goes behind the others of its standing for the next pick only.
 * OVER units still run when nothing better waits: the scheduler is
 * work-conserving, and credit only orders the queue.
 *
 * Boost. Waking with credit gives a unit one run ahead of UNDER and OVER
 * units, and a tickle: an idle CPU, or the CPU running the unit of lowest
 * standing below the woken one, is asked to reschedule at once. The boost
 * ends when the unit leaves its CPU. Boosted time is charged like any other,
 * so a unit that wakes often and runs long soon has no credit and no boost:
 * long-run shares are still those of the weights.
 *
 * Caps. A domain with cap c may use c% of one CPU per period: budget =
 * period * c / 100 ns, refilled at each accounting (an overrun, possible
 * only when the cap was lowered under a running slice, is carried into the
 * next period). A unit of a capped domain runs for at most the budget that
 * is neither used nor promised to its siblings running on other CPUs, so
 * the sum over all CPUs cannot exceed it. A domain with less than
 * CSCHED_MIN_RUN_NS available is capped out: its units stay queued but are
 * passed over, and a CPU with nothing else to run idles until the refill.
 *
 * Cost. The run queue is one unordered list scanned at each pick, and the
 * accounting is quadratic in the number of domains (and of units per
 * domain) in the worst case; fine for the tens of vCPUs Xenia hosts.
 *
 * No locks, no allocation, no clock: see include/xenia/sched_credit.h.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/sched_credit.h>

enum { PRI_OVER, PRI_UNDER, PRI_BOOST };

/* Intrusive lists. */

static void link_init(struct sched_link *l)
{
    l->prev = l->next = l;
}

static void link_add_tail(struct sched_link *head, struct sched_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void link_del(struct sched_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    link_init(l);
}

/* Iteration: the element at a list position, or NULL at the head. */
static struct sched_dom *dom_at(struct sched_state *s, struct sched_link *l)
{
    return l == &s->doms ? NULL : container_of(l, struct sched_dom, link);
}

static struct sched_unit *unit_at(struct sched_dom *d, struct sched_link *l)
{
    return l == &d->units ? NULL
                          : container_of(l, struct sched_unit, dom_link);
}

static struct sched_unit *queued_at(struct sched_state *s,
                                    struct sched_link *l)
{
    return l == &s->runq ? NULL
                         : container_of(l, struct sched_unit, runq_link);
}

#define for_each_dom(d, s) \
    for ( (d) = dom_at(s, (s)->doms.next); (d); \
          (d) = dom_at(s, (d)->link.next) )
#define for_each_unit(u, d) \
    for ( (u) = unit_at(d, (d)->units.next); (u); \
          (u) = unit_at(d, (u)->dom_link.next) )
#define for_each_queued(u, s) \
    for ( (u) = queued_at(s, (s)->runq.next); (u); \
          (u) = queued_at(s, (u)->runq_link.next) )

static uint64_t elapsed(uint64_t now, uint64_t then)
{
    return now > then ? now - then : 0;
}

static uint64_t cpu_bit(unsigned int cpu)
{
    return 1ULL << cpu;
}

/* Standing of a queued unit, or of a running one as of `now`. */
static int unit_pri(const struct sched_unit *u, uint64_t now)
{
    int64_t credit = u->credit;

    if ( u->boost )
        return PRI_BOOST;
    if ( u->cpu >= 0 )
        credit -= (int64_t)elapsed(now, u->run_start);
    return credit >= 0 ? PRI_UNDER : PRI_OVER;
}

static int64_t budget_avail(const struct sched_dom *d)
{
    return d->budget_left - (int64_t)d->budget_rsvd;
}

static bool dom_capped_out(const struct sched_dom *d)
{
    return d->cap && budget_avail(d) < (int64_t)CSCHED_MIN_RUN_NS;
}

static void enqueue(struct sched_state *s, struct sched_unit *u)
{
    ASSERT(!u->queued && u->cpu < 0 && u->runnable);
    u->seq = ++s->seq;
    link_add_tail(&s->runq, &u->runq_link);
    u->queued = true;
}

static void dequeue(struct sched_unit *u)
{
    ASSERT(u->queued);
    link_del(&u->runq_link);
    u->queued = false;
}

static void tickle_cpu(struct sched_state *s, unsigned int cpu)
{
    s->tickled |= cpu_bit(cpu);
    s->tickles |= cpu_bit(cpu);
}

/* Charges a running unit for the time since it was last charged. */
static void charge(struct sched_unit *u, uint64_t now)
{
    struct sched_dom *d = u->dom;
    uint64_t ran = elapsed(now, u->run_start);
    uint64_t from_rsvd = MIN(ran, u->rsvd);

    u->run_start += ran;
    u->credit -= (int64_t)ran;
    u->runtime_ns += ran;
    d->runtime_ns += ran;
    if ( d->cap )
        d->budget_left -= (int64_t)ran;
    u->rsvd -= from_rsvd;
    d->budget_rsvd -= from_rsvd;
}

/* Takes the running unit off cpu: charged, promise returned, no boost. */
static struct sched_unit *take_off_cpu(struct sched_state *s,
                                       unsigned int cpu, uint64_t now)
{
    struct sched_unit *u = s->curr[cpu];

    if ( !u )
        return NULL;
    charge(u, now);
    u->dom->budget_rsvd -= u->rsvd;
    u->rsvd = 0;
    u->boost = false;
    u->cpu = -1;
    s->curr[cpu] = NULL;
    return u;
}

/*
 * Asks idle CPUs (not already asked) to pick, one per queued unit that
 * could run now: keeps the machine work-conserving after a requeue, a
 * budget release or a cap change.
 */
static void tickle_idle(struct sched_state *s)
{
    struct sched_unit *u;
    unsigned int waiting = 0, cpu;

    for_each_queued ( u, s )
        if ( !dom_capped_out(u->dom) )
            waiting++;
    for ( cpu = 0; cpu < s->nr_cpus && waiting; cpu++ )
        if ( !s->curr[cpu] && !(s->tickled & cpu_bit(cpu)) )
        {
            tickle_cpu(s, cpu);
            waiting--;
        }
}

/* After u was queued by a wake: find it a CPU, idle or running worse. */
static void tickle_for(struct sched_state *s, struct sched_unit *u,
                       uint64_t now)
{
    int pri = unit_pri(u, now), worst = pri, target = -1;
    unsigned int cpu;

    if ( dom_capped_out(u->dom) )
        return;
    for ( cpu = 0; cpu < s->nr_cpus; cpu++ )
    {
        if ( s->tickled & cpu_bit(cpu) )
            continue;
        if ( !s->curr[cpu] )
        {
            target = cpu;
            break;
        }
        if ( unit_pri(s->curr[cpu], now) < worst )
        {
            worst = unit_pri(s->curr[cpu], now);
            target = cpu;
        }
    }
    if ( target >= 0 )
        tickle_cpu(s, target);
}

/*
 * Water filling between domains: pool is shared by weight among domains
 * not yet settled; a domain whose need is below its share is given its
 * need and settled, and the rest is shared again. A share computed before
 * others settle is a lower bound of the final one, so settling against it
 * is never wrong.
 */
static void fill_doms(struct sched_state *s, uint64_t pool)
{
    struct sched_dom *d;

    for ( ;; )
    {
        uint64_t wsum = 0, given = 0;

        for_each_dom ( d, s )
            if ( !d->settled )
                wsum += d->weight;
        if ( !wsum )
            return;
        for_each_dom ( d, s )
            if ( !d->settled && d->need <= pool * d->weight / wsum )
            {
                d->grant = d->need;
                d->settled = true;
                given += d->need;
            }
        if ( !given )
        {
            for_each_dom ( d, s )
                if ( !d->settled )
                    d->grant = pool * d->weight / wsum;
            return;
        }
        pool -= given;
    }
}

/* The same between a domain's units, with equal weights. */
static void fill_units(struct sched_dom *d)
{
    uint64_t pool = d->grant;
    struct sched_unit *u;

    for ( ;; )
    {
        uint64_t n = 0, given = 0;

        for_each_unit ( u, d )
            if ( !u->settled )
                n++;
        if ( !n )
            return;
        for_each_unit ( u, d )
            if ( !u->settled && u->need <= pool / n )
            {
                u->grant = u->need;
                u->settled = true;
                given += u->need;
            }
        if ( !given )
        {
            for_each_unit ( u, d )
                if ( !u->settled )
                    u->grant = pool / n;
            return;
        }
        pool -= given;
    }
}

/* A domain's part of the accounting before the division: budget, needs. */
static void dom_prepare(struct sched_dom *d)
{
    struct sched_unit *u;

    if ( d->cap )
        d->budget_left = MIN(d->budget_left + (int64_t)d->budget,
                             (int64_t)d->budget);
    d->need = 0;
    for_each_unit ( u, d )
    {
        bool active = u->runnable || u->woke;

        u->woke = false;
        u->grant = 0;
        u->need = 0;
        if ( active )
            u->need = MIN(CSCHED_PERIOD_NS,
                          (uint64_t)(CSCHED_CREDIT_MAX - u->credit));
        else if ( u->credit < 0 )
            u->credit = 0;
        u->settled = !u->need;
        d->need += u->need;
    }
    if ( d->cap )
        d->need = MIN(d->need, d->budget);
    d->grant = 0;
    d->settled = !d->need;
}

/* Period accounting: charge the running, refill budgets, hand out credit. */
static void account(struct sched_state *s, uint64_t now)
{
    struct sched_dom *d;
    struct sched_unit *u;
    unsigned int cpu;

    for ( cpu = 0; cpu < s->nr_cpus; cpu++ )
        if ( s->curr[cpu] )
            charge(s->curr[cpu], now);
    for_each_dom ( d, s )
        dom_prepare(d);
    fill_doms(s, (uint64_t)s->nr_cpus * CSCHED_PERIOD_NS);
    for_each_dom ( d, s )
    {
        fill_units(d);
        for_each_unit ( u, d )
        {
            u->credit += (int64_t)u->grant;
            u->credit = MIN(u->credit, CSCHED_CREDIT_MAX);
            u->credit = MAX(u->credit, -CSCHED_CREDIT_MAX);
        }
    }
    s->next_period += CSCHED_PERIOD_NS;
    if ( s->next_period <= now )
        s->next_period = now + CSCHED_PERIOD_NS;
}

void csched_init(struct sched_state *s, unsigned int nr_cpus)
{
    ASSERT(nr_cpus >= 1 && nr_cpus <= CSCHED_MAX_CPUS);
    memset(s, 0, sizeof(*s));
    s->nr_cpus = MIN(MAX(nr_cpus, 1U), (unsigned int)CSCHED_MAX_CPUS);
    link_init(&s->doms);
    link_init(&s->runq);
}

static bool params_ok(unsigned int weight, unsigned int cap)
{
    return weight >= 1 && weight <= CSCHED_MAX_WEIGHT &&
           cap <= CSCHED_MAX_CAP;
}

static uint64_t cap_budget(unsigned int cap)
{
    return CSCHED_PERIOD_NS * cap / 100;
}

void csched_dom_init(struct sched_state *s, struct sched_dom *d,
                     unsigned int weight, unsigned int cap)
{
    if ( !weight )
        weight = CSCHED_DEFAULT_WEIGHT;
    ASSERT(params_ok(weight, cap));
    memset(d, 0, sizeof(*d));
    d->weight = MIN(weight, (unsigned int)CSCHED_MAX_WEIGHT);
    d->cap = MIN(cap, (unsigned int)CSCHED_MAX_CAP);
    d->budget = cap_budget(d->cap);
    d->budget_left = (int64_t)d->budget;
    link_init(&d->units);
    link_add_tail(&s->doms, &d->link);
}

int csched_dom_set(struct sched_state *s, struct sched_dom *d,
                   unsigned int weight, unsigned int cap)
{
    struct sched_unit *u;
    uint64_t budget = cap_budget(cap);

    if ( !params_ok(weight, cap) )
        return -EINVAL;
    d->weight = weight;
    if ( !cap )
    {
        for_each_unit ( u, d )
            u->rsvd = 0;
        d->budget_rsvd = 0;
        d->budget_left = 0;
    }
    else if ( !d->cap )
        d->budget_left = (int64_t)budget;
    else
        d->budget_left = MIN(d->budget_left, (int64_t)budget);
    d->cap = cap;
    d->budget = budget;
    tickle_idle(s);
    return 0;
}

void csched_dom_remove(struct sched_state *s, struct sched_dom *d,
                       uint64_t now)
{
    while ( d->units.next != &d->units )
        csched_unit_remove(s, container_of(d->units.next, struct sched_unit,
                                           dom_link), now);
    link_del(&d->link);
}

void csched_unit_init(struct sched_state *s, struct sched_unit *u,
                      struct sched_dom *d, void *owner)
{
    memset(u, 0, sizeof(*u));
    u->owner = owner;
    u->dom = d;
    u->cpu = -1;
    link_init(&u->runq_link);
    link_add_tail(&d->units, &u->dom_link);
}

void csched_unit_remove(struct sched_state *s, struct sched_unit *u,
                        uint64_t now)
{
    int cpu = u->cpu;

    if ( cpu >= 0 )
    {
        take_off_cpu(s, cpu, now);
        tickle_cpu(s, cpu);
    }
    if ( u->queued )
        dequeue(u);
    u->runnable = false;
    u->boost = u->yielded = false;
    link_del(&u->dom_link);
}

void csched_wake(struct sched_state *s, struct sched_unit *u, uint64_t now)
{
    ASSERT(u->dom_link.next != &u->dom_link);   /* not removed */
    if ( u->runnable || u->dom_link.next == &u->dom_link )
        return;
    u->runnable = true;
    u->woke = true;
    if ( u->cpu >= 0 )
        return;     /* put to sleep but not yet taken off: carries on */
    u->boost = u->credit >= 0;
    enqueue(s, u);
    tickle_for(s, u, now);
}

void csched_sleep(struct sched_state *s, struct sched_unit *u, uint64_t now)
{
    if ( !u->runnable )
        return;
    u->runnable = false;
    if ( u->queued )
        dequeue(u);
    u->boost = false;
}

void csched_yield(struct sched_state *s, struct sched_unit *u, uint64_t now)
{
    u->boost = false;
    if ( u->runnable )
        u->yielded = true;
}

/*
 * Whether queued unit a should run before queued unit b: better standing;
 * within BOOST, first woken; otherwise not yielding, then more credit (the
 * unit owed most), then first queued.
 */
static bool runs_before(const struct sched_unit *a, const struct sched_unit *b,
                        uint64_t now)
{
    int pa = unit_pri(a, now), pb = unit_pri(b, now);

    if ( pa != pb )
        return pa > pb;
    if ( pa != PRI_BOOST )
    {
        if ( a->yielded != b->yielded )
            return b->yielded;
        if ( a->credit != b->credit )
            return a->credit > b->credit;
    }
    return a->seq < b->seq;
}

/*
 * The queued unit that runs next, passing over capped-out domains. A yield
 * counts for this one decision only.
 */
static struct sched_unit *runq_best(struct sched_state *s, uint64_t now,
                                    bool *capped_wait)
{
    struct sched_unit *u, *best = NULL;

    *capped_wait = false;
    for_each_queued ( u, s )
    {
        if ( dom_capped_out(u->dom) )
            *capped_wait = true;
        else if ( !best || runs_before(u, best, now) )
            best = u;
    }
    for_each_queued ( u, s )
        u->yielded = false;
    return best;
}

struct sched_unit *csched_pick(struct sched_state *s, unsigned int cpu,
                               uint64_t now, uint64_t *slice_ns)
{
    struct sched_unit *prev, *next;
    struct sched_dom *d;
    uint64_t len = CSCHED_SLICE_NS;
    bool capped_wait;

    ASSERT(cpu < s->nr_cpus);
    *slice_ns = UINT64_MAX;
    if ( cpu >= s->nr_cpus )
        return NULL;
    s->tickled &= ~cpu_bit(cpu);
    s->tickles &= ~cpu_bit(cpu);

    prev = take_off_cpu(s, cpu, now);
    if ( prev && prev->runnable )
        enqueue(s, prev);
    if ( now >= s->next_period )
        account(s, now);

    next = runq_best(s, now, &capped_wait);
    if ( !next )
    {
        if ( capped_wait )
            *slice_ns = s->next_period - now;
        return NULL;
    }
    dequeue(next);
    d = next->dom;
    if ( d->cap )
    {
        len = MIN(len, (uint64_t)budget_avail(d));
        next->rsvd = len;
        d->budget_rsvd += len;
    }
    next->cpu = cpu;
    next->run_start = now;
    s->curr[cpu] = next;
    *slice_ns = len;
    tickle_idle(s);
    return next;
}

uint64_t csched_take_tickles(struct sched_state *s)
{
    uint64_t mask = s->tickles;

    s->tickles = 0;
    return mask;
}

uint64_t csched_unit_runtime(const struct sched_state *s,
                             const struct sched_unit *u, uint64_t now)
{
    return u->runtime_ns + (u->cpu >= 0 ? elapsed(now, u->run_start) : 0);
}

uint64_t csched_dom_runtime(const struct sched_state *s,
                            const struct sched_dom *d, uint64_t now)
{
    const struct sched_link *l;
    uint64_t t = d->runtime_ns;

    for ( l = d->units.next; l != &d->units; l = l->next )
    {
        const struct sched_unit *u =
            container_of(l, const struct sched_unit, dom_link);

        if ( u->cpu >= 0 )
            t += elapsed(now, u->run_start);
    }
    return t;
}
