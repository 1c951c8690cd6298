/*
 * peer.h: what the peer kernel (tests/guests/peer) and the images that
 * build it (tests/guests/interdom, tests/guests/interbench) agree on.
 *
 * The peer is an unprivileged PV domU that serves commands.  Its output
 * goes to its console ring; its input comes from the same page's 'in'
 * ring, one command a line: a verb and up to four numbers (decimal, or
 * hex with 0x).  Every command is answered by one line
 *     "peer: <verb> <n0> <n1> ..."
 * whose numbers the parent reads (rc first where there is one).  At
 * start, before any command, the peer allocates an unbound port for
 * domain 0 and says "peer: ready <rc> <port>".
 *
 * Commands (all ports and refs are the peer's own):
 *   alloc                 alloc_unbound for dom 0      -> rc port
 *   bind D P              bind_interdomain(D, P)       -> rc local_port
 *   status P              EVTCHNOP_status of P         -> rc status dom
 *                                                         port vcpu
 *   rstatus D P           EVTCHNOP_status of D's P     -> rc
 *   close P / send P      EVTCHNOP_close / send        -> rc
 *   pending P             pending bit of P, cleared    -> bit
 *   ping P N MODE         answer N events on P, each   -> 0 (ready), then
 *                         by a send on P; wait with       a second line
 *                         SCHEDOP_block (MODE 0, P        "peer: pingdone
 *                         unmasked, upcall) or            <count>"
 *                         SCHEDOP_poll (MODE 1)
 *   grants                set up the grant table and   -> rc status
 *                         write the entries below         nr_frames
 *   flags R               flags of entry R             -> flags
 *   revoke R              end access as Linux does     -> ok flags
 *                         (refused while in use)
 *   clear R               zero the flags regardless    -> old_flags
 *                         (a hostile granter)
 *   peek R I              word I of R's page           -> value
 *   sum R                 peer_sum() of R's page       -> value
 *   gmap D R              map grant R of domain D      -> rc status
 *                         (GNTMAP_host_map, writable)     handle
 *                         at a fresh VA of its own;
 *                         never unmapped
 *   gpoke H I V           word I of the page mapped    -> 0
 *                         with handle H := V
 *   gpeek H I             word I of that page          -> value
 *   v2grant R F O L       (first v2 command: switch    -> rc
 *                         the table to version 2) v2
 *                         entry R for dom 0 of a fresh
 *                         page filled as the "grants"
 *                         ones, flags F, sub-page
 *                         offset O and length L; peek
 *                         and sum then read it
 *   v2trans R D G         v2 entry R: GTF_transitive   -> rc
 *                         for dom 0 through grant G
 *                         of domain D
 *   v2status R            R's v2 status word           -> value
 *   quit                  leave the loop, report, power off
 */
#ifndef XTEST_PEER_H
#define XTEST_PEER_H

#include <stdint.h>

#define PEER_TAG          "peer: "
#define PEER_NR_CHECKS    1

/* Grant references the "grants" command writes (all for domain 0). */
#define PEER_REF_RW       8    /* read-write                            */
#define PEER_REF_RO       9    /* GTF_readonly                          */
#define PEER_REF_OTHER    10   /* read-write, but for PEER_OTHER_DOMID  */
#define PEER_REF_NOPERMIT 11   /* frame and domid set, type bits 0      */
#define PEER_REF_COPY_DST 12   /* read-write, zeroed: dom0 copies in    */
#define PEER_REF_COPY_SRC 13   /* read-only: dom0 copies out            */
#define PEER_REF_KEEP     14   /* read-write: mapped across a destroy   */
#define PEER_REF_BENCH    16   /* PEER_NR_BENCH read-only pages         */
#define PEER_NR_BENCH     16
#define PEER_REF_UNUSED   100  /* never written                         */
#define PEER_NR_REFS      (PEER_REF_BENCH + PEER_NR_BENCH)

#define PEER_OTHER_DOMID  0x1234

/* Word i of the page behind grant 'ref', as the peer fills it. */
static inline uint64_t peer_pattern(unsigned int ref, unsigned int i)
{
    if ( ref == PEER_REF_COPY_DST )
        return 0;
    return 0x7065657200000000UL ^ ((uint64_t)ref << 24) ^
        (i * 0x9e3779b97f4a7c15UL);
}

/* An order-sensitive digest of a page (512 words). */
static inline uint64_t peer_sum(const volatile uint64_t *w)
{
    uint64_t h = 0xcbf29ce484222325UL;
    unsigned int i;

    for ( i = 0; i < 512; i++ )
        h = (h ^ w[i]) * 0x100000001b3UL;
    return h;
}

#endif /* XTEST_PEER_H */
