/*
 * fuzzchild.h: the parts of the fuzz child (tests/guests/fuzzchild) that
 * main.c (set-up, the run loop, the witness) and gen.c (random calls
 * and what makes them survivable) share.
 *
 * Terms:
 *  protected  - memory the child lives on: every frame of its initial
 *               mapping (code, data, stacks, page tables, p2m, rings)
 *               except the arena, and the framework's scratch window.
 *               A call that names a protected frame or address as a
 *               target is rewritten ("sanitized") unless it is risky.
 *  arena      - FZ_ARENA_PAGES pages of random bytes.  Generated
 *               buffers live in the first FZ_BUF_PAGES pages; the rest
 *               is stale data that random pointers may land in and the
 *               target of things the hypervisor keeps writing
 *               (runstate areas, FIFO control blocks).
 *  window     - 512 pages of address space with an L1 of our own: the
 *               playground for mappings (update_va_mapping, grant maps).
 *  sacrificial- frames past the initial mapping, which nothing uses:
 *               they may be pinned, exchanged, given away, mapped.
 *  risky      - a call (one in 1000/risk) whose picks may hit protected
 *               memory: a crash of the child is then acceptable.
 */
#ifndef XTEST_FUZZCHILD_H
#define XTEST_FUZZCHILD_H

#include "xtpv.h"
#include "smp.h"
#include "fuzz.h"

#include <public/grant_table.h>

#define FZ_ARENA_PAGES 32
#define FZ_BUF_PAGES   8
#define FZ_NR_HC       64              /* hypercall numbers fuzzed: 0..63 */
#define FZ_MAX_OTHER   16
#define FZ_MAX_SUB     8               /* multicall entries generated    */

/* One hypercall: number and the five register arguments. */
struct fz_call
{
    unsigned int nr;
    bool syscall_gate;                 /* raw syscall, else the page     */
    bool risky;
    uint64_t a[5];
};

/* What has to be put back after a call (fz_sanitize's result). */
#define FZ_R_TRAPS     (1U << 0)       /* trap table                     */
#define FZ_R_CALLBACKS (1U << 1)       /* event/failsafe/syscall, NMI    */
#define FZ_R_GDT       (1U << 2)
#define FZ_R_LDT       (1U << 3)
#define FZ_R_SEGBASE   (1U << 4)
#define FZ_R_FPU       (1U << 5)
#define FZ_R_DEBUG     (1U << 6)
#define FZ_R_WATCHDOG  (1U << 7)
#define FZ_R_STACK     (1U << 8)
#define FZ_R_BLOCK     (1U << 9)       /* top-level SCHEDOP_block: arm a
                                        * timer first, mask events after */
#define FZ_R_FIFO      (1U << 10)      /* EVTCHNOP_init_control tried    */
#define FZ_R_EVENTS    (1U << 11)      /* events may have been enabled   */

/* The child's picture of itself, filled by main.c before fuzzing. */
struct fz_env
{
    uint64_t nr_pages;                 /* start_info nr_pages            */
    uint64_t map_end_pfn;              /* initial mapping ends here      */
    unsigned long arena;               /* VA of the arena                */
    uint64_t arena_mfn[FZ_ARENA_PAGES];
    const uint64_t *prot;              /* sorted protected MFNs          */
    unsigned int nr_prot;
    unsigned long prot_va_start, prot_va_end;  /* initial mapping + the
                                                * framework's scratch      */
    uint64_t l4_mfn;                   /* our kernel L4                  */
    unsigned long l4_va;
    unsigned long win_va;              /* the window                     */
    uint64_t win_l1_mfn;
    unsigned long win_l1_va;
    uint64_t shinfo_mfn;
    uint64_t gnt_mfn;                  /* our grant table frame 0 (or 0) */
    struct grant_entry_v1 *gnt_table;  /* ... mapped, or NULL            */
    uint64_t m2p_mfn[4];               /* frames of the M2P table        */
    unsigned int nr_m2p;
    uint64_t max_mfn;                  /* XENMEM_maximum_ram_page        */
    uint64_t other_mfn[FZ_MAX_OTHER];  /* the witness's and dom0's       */
    unsigned int nr_other;
    domid_t self, witness;
    evtchn_port_t cons_port, store_port, timer_port;
    unsigned int risk;                 /* per mille                      */
    unsigned long kstack_top;          /* our stack_switch stack         */
    unsigned int shapes;               /* FZ_SHAPE_* (shapes=)           */
};
extern struct fz_env fz;

/* xorshift64* */
void fz_seed(uint64_t seed);
uint64_t fz_rand(void);

/* Fill the whole arena with random data (start of day). */
void fz_arena_fill(void);
/* Draw the next call: number, gate, arguments, buffers in the arena. */
void fz_generate(struct fz_call *c);
/* Make it survivable (unless risky); returns the FZ_R_* it needs. */
unsigned int fz_sanitize(struct fz_call *c);

/* Lists generated at the arena's end with a huge count (statistics). */
extern unsigned long fz_nr_tail;

/* partner.c: vCPU 1's loop (the SMP shape); arg is the status page. */
void fz_partner(void *arg);

bool fz_mfn_protected(uint64_t mfn);
bool fz_in_arena(uint64_t va, uint64_t len);
const char *fz_hc_name(unsigned int nr);

#endif /* XTEST_FUZZCHILD_H */
