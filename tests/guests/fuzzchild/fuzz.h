/*
 * fuzz.h: what the hypercall fuzz parent (tests/guests/fuzz) and its
 * children (tests/guests/fuzzchild) agree on.
 *
 * The parent builds the fuzzchild image twice per round with libxbuild:
 * once as the witness (mode=witness), a domU that keeps doing ordinary
 * work and checks its own memory, and once as the fuzzer (mode=fuzz),
 * a domU that issues random hypercalls.  Both write their output to
 * their console ring and publish a status page: they print
 * FZ_STATUS_TAG and its virtual address, the parent maps it (it knows
 * their p2m) and watches progress there, so that even a child whose
 * console died can be followed.
 *
 * Fuzzer command line (space separated key=value; numbers decimal or
 * 0x hex; lists of hex MFNs separated by ':'):
 *   mode=fuzz       seed=<64-bit>  calls=<n>  progress=<every n calls>
 *   self=<domid>    witness=<domid>
 *   wmfn=<list>     frames of the witness (targets the fuzzer must never
 *                   be able to touch)
 *   dmfn=<list>     frames of the parent (dom0), likewise
 *   risk=<0..1000>  per mille of picks allowed to hit the fuzzer's own
 *                   live memory and page tables (0: protect itself)
 *   trace=<k>       print every call from call k on (with the first
 *                   words of the buffers it passes), and wait until the
 *                   parent drained the console before issuing it (for
 *                   pinning down a call that kills the hypervisor)
 *   check=1         after every call, look for damage to the fuzzer's
 *                   own protected state and stop at the first (for
 *                   finding holes in the fuzzer's own rules)
 *   stats=0         no table of calls per hypercall at the end
 *   shapes=<mask>   optional shapes, FZ_SHAPE_* below (1 huge counts,
 *                   2 linear page tables, 4 debug registers, 16 a second
 *                   vCPU fuzzing at the same time)
 * Witness: mode=witness [echo=1: round trips with dom0, see FZ_ECHO_*].  It keeps a pattern in the second half of its
 * status page, whose frame the parent hands the fuzzer as a target.
 */
#ifndef XTEST_FUZZ_H
#define XTEST_FUZZ_H

#include <stdint.h>

#define FZ_STATUS_TAG  "fuzzchild: status page "
#define FZ_MAGIC       0x5a55465a48435458UL      /* "XTCHZFUZ" */
#define FZ_IDLE        (~0UL)              /* cur_nr: nothing in flight */

#define FZ_MODE_FUZZ    1
#define FZ_MODE_WITNESS 2

/* One page, written by the child, read (and 'stop' written) by the parent. */
struct fz_status
{
    uint64_t magic;             /* FZ_MAGIC once the rest is valid       */
    uint64_t mode;              /* FZ_MODE_*                             */
    uint64_t seed;              /* fuzzer: the seed it runs with         */
    uint64_t planned;           /* fuzzer: calls it will make            */
    uint64_t done;              /* fuzzer: calls that returned           */
    uint64_t cur_index;         /* fuzzer: index of the call in flight   */
    uint64_t cur_nr;            /* fuzzer: its hypercall, or FZ_IDLE     */
    uint64_t cur_args[5];       /* fuzzer: its arguments                 */
    uint64_t cur_sub[4];        /* fuzzer: first ops of a multicall      */
    uint64_t nr_ok, nr_err;     /* fuzzer: results >= 0 / < 0            */
    uint64_t reg_bad_call;      /* fuzzer: 1 + the first call that came
                                 * back with rbx, rbp or r12-r15 changed */
    uint64_t reg_bad_nr;        /* fuzzer: its hypercall number          */
    uint64_t phase;             /* FZ_PHASE_*                            */
    uint64_t counter;           /* witness: rounds of work done          */
    uint64_t stop;              /* witness: set by the parent to finish  */
    uint64_t bad;               /* witness: first wrong round, 0 if none */
    uint64_t bad_check;         /* witness: FZ_W_* of the first failure  */
    int64_t bad_rc;             /* witness: what that check got          */
    uint64_t echo_port;         /* witness: its port for dom0's echoes   */
    uint64_t echoes;            /* witness: round trips completed        */
    uint64_t partner_calls;     /* fuzzer: calls its vCPU 1 made (SMP)   */
    uint64_t partner_ok;        /* fuzzer: ... that returned >= 0        */
};

/*
 * Witness round trips (the witness_responsive check).  The witness
 * allocates a port for dom0, which binds it and answers every event on
 * it; the witness makes FZ_ECHO_PER_ROUND round trips (send, poll until
 * the answer) in each of its rounds and counts them in 'echoes'.  An
 * epoch is FZ_EPOCH_CALLS of the fuzzer's calls: for each epoch dom0
 * notes 'echoes' when it first sees the fuzzer's counter in it, and the
 * witness must complete FZ_ECHO_EPOCH more round trips before that
 * counter advances FZ_ECHO_SLACK calls past the epoch's start, or, for
 * epochs still open when the fuzzer ends, within dom0's bounded wait
 * after it (counts, not times).
 */
/* The fuzzer's optional shapes (fuzz_shapes= / shapes=; docs/testing.md). */
#define FZ_SHAPE_HUGE   (1U << 0)      /* huge counts, tail lists        */
#define FZ_SHAPE_LINEAR (1U << 1)      /* linear page tables             */
#define FZ_SHAPE_DEBUG  (1U << 2)      /* watched buffers, mov ss        */
#define FZ_SHAPE_ECHO   (1U << 3)      /* witness round trips (dom0)     */
#define FZ_SHAPE_SMP    (1U << 4)      /* vCPU 1 fuzzes too (partner.c)  */

#define FZ_ECHO_PER_ROUND 10
#define FZ_EPOCH_CALLS    1000
#define FZ_ECHO_EPOCH     100
#define FZ_ECHO_SLACK     50000

/* What the child is doing. */
#define FZ_PHASE_SETUP   1
#define FZ_PHASE_RUN     2
#define FZ_PHASE_REPORT  3
#define FZ_PHASE_DONE    4             /* next: its verdict and shutdown */

/* The witness's checks, as named in bad_check. */
#define FZ_W_PATTERN      1
#define FZ_W_XEN_VERSION  2
#define FZ_W_RESERVATION  3
#define FZ_W_MAP          4
#define FZ_W_UNMAP        5
#define FZ_W_EVTCHN       6
#define FZ_W_GRANT        7

/*
 * Checks each child reports: fuzzer "completed", "self_intact",
 * "registers_preserved"; witness "pattern_intact", "hypercalls_ok",
 * "reservation_exact".
 */
#define FZ_CHILD_CHECKS 3

#endif /* XTEST_FUZZ_H */
