/*
 * preempt: hostile batch sizes (issue 12, items 3 and 8).
 *
 * Xen 4.17 bounds the work one hypercall does before it looks for pending
 * work (hypercall_preempt_check) and, if there is some, makes a
 * continuation: the guest's rip goes back to the SYSCALL, the arguments
 * are rewritten (mmu_update/mmuext_op: the list advanced, the count of
 * requests left with MMU_UPDATE_PREEMPTED set, *pdone the running total;
 * a multicall: the list from the entry to redo, whose own arguments are
 * rewritten in the guest's list; grant ops: the list advanced and the
 * count reduced), and the exit path delivers pending events first.
 *
 * Each "_preemptible" check arms a one-shot timer 0.3 ms ahead and issues a
 * batch that takes far longer (tens of thousands of requests under TCG).
 * The timer's upcall must land in the middle of the hypercall: at a
 * SYSCALL with the batch partly done (*pdone, or the results written so
 * far, strictly between none and all). A hypervisor that runs the whole
 * batch with interrupts off delivers the tick only after the batch ends.
 * Each check retries a few times (a tick can fall between two batches);
 * nothing is timed. The "_completes" checks say the batch ran once,
 * entirely and in order, with the right totals.
 */
#include "xtpv.h"

#include <public/version.h>
#include <public/grant_table.h>

#define TRIES 32

/* One buffer for every batch: 1 MiB + slack. */
#define BATCH_BYTES (1UL << 20)
static uint8_t batch[BATCH_BYTES] __attribute__((aligned(4096)));

/* What the timer upcall saw. */
static volatile unsigned int ticks;
static volatile unsigned long tick_rip;
static volatile long tick_progress;
/* Set by a test: the progress visible to the upcall, or -1. */
static long (*progress_fn)(void);

static void timer_tick(unsigned int port, struct xt_regs *regs)
{
    (void)port;
    if ( ticks++ == 0 )
    {
        tick_rip = regs->rip;
        tick_progress = progress_fn ? progress_fn() : -1;
    }
}

/* ---- mmu_update / mmuext_op ---- */

static unsigned int pdone;

static long pdone_progress(void)
{
    return *(volatile unsigned int *)&pdone;
}

/*
 * Runs fn() up to TRIES times with a timer 1 ms ahead; returns true if a
 * tick landed mid-hypercall with 0 < progress < total. fn returns false
 * if the batch itself went wrong (reported by the caller's own check).
 */
static bool preempted_run(void (*prep)(void), bool (*fn)(void), long total,
                          char *why, size_t len)
{
    unsigned int t;
    bool ok = false;

    progress_fn = NULL;
    for ( t = 0; t < TRIES && !ok; t++ )
    {
        if ( prep )
            prep();             /* before the timer: only the call counts */
        ticks = 0;
        tick_rip = 0;
        tick_progress = -1;
        xt_events_enable();
        HYPERVISOR_set_timer_op(xt_system_time() + 300000);
        if ( !fn() )
        {
            xt_events_disable();
            snprintf(why, len, "batch failed");
            return false;
        }
        /* Let a late tick arrive before we look. */
        while ( !ticks )
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        xt_events_disable();
        ok = xt_rip_at_syscall(tick_rip) && tick_progress > 0 &&
             tick_progress < total;
        snprintf(why, len, "try %u: tick at rip %#lx (%s), progress %ld of "
                 "%ld", t + 1, tick_rip,
                 tick_rip && xt_rip_at_syscall(tick_rip) ? "syscall" : "other",
                 tick_progress, total);
    }
    return ok;
}

#define NR_MMU (BATCH_BYTES / sizeof(struct mmu_update))       /* 65536 */
#define NR_EXT (BATCH_BYTES / sizeof(struct mmuext_op))        /* 43690 */

static long mmu_rc, ext_rc;

static bool mmu_batch(void)
{
    pdone = 0x5a5a;     /* ignored: the count has no continuation bit */
    progress_fn = pdone_progress;
    mmu_rc = HYPERVISOR_mmu_update((struct mmu_update *)batch, NR_MMU,
                                   &pdone, DOMID_SELF);
    progress_fn = NULL;
    return mmu_rc == 0 && pdone == NR_MMU;
}

static bool ext_batch(void)
{
    pdone = 0x5a5a;
    progress_fn = pdone_progress;
    ext_rc = HYPERVISOR_mmuext_op((struct mmuext_op *)batch, NR_EXT,
                                  &pdone, DOMID_SELF);
    progress_fn = NULL;
    return ext_rc == 0 && pdone == NR_EXT;
}

static void mmu_checks(void)
{
    struct mmu_update *u = (struct mmu_update *)batch;
    struct mmuext_op *x = (struct mmuext_op *)batch;
    unsigned long pfn = 1, mfn = xt_p2m[pfn];
    char why[160];
    unsigned long i;
    bool ok;

    /* Each request re-states an M2P entry of ours: harmless, valid. */
    for ( i = 0; i < NR_MMU; i++ )
    {
        u[i].ptr = (mfn << 12) | MMU_MACHPHYS_UPDATE;
        u[i].val = pfn;
    }
    ok = preempted_run(NULL, mmu_batch, NR_MMU, why, sizeof(why));
    xt_check("mmu_update_huge_completes", mmu_rc == 0 && pdone == NR_MMU &&
             xt_m2p[mfn] == pfn, "rc %ld done %u of %lu", mmu_rc, pdone,
             (unsigned long)NR_MMU);
    xt_check("mmu_update_huge_preemptible", ok, "%s", why);

    /*
     * A continuation rewrites only the hypercall's own argument registers
     * (4 for mmu_update): r9 must survive, as Linux assumes.
     */
    {
        register uint64_t rdi asm("rdi") = (unsigned long)u;
        register uint64_t rsi asm("rsi") = NR_MMU;
        register uint64_t rdx asm("rdx") = (unsigned long)&pdone;
        register uint64_t r10 asm("r10") = DOMID_SELF;
        register uint64_t r9 asm("r9") = 0x9999aaaabbbbccccUL;
        long rax = __HYPERVISOR_mmu_update;

        pdone = 0;
        asm volatile ( "syscall"
                       : "+a" (rax), "+r" (rdi), "+r" (rsi), "+r" (rdx),
                         "+r" (r10), "+r" (r9)
                       : : "rcx", "r8", "r11", "memory" );
        xt_check("mmu_update_continuation_keeps_r9", rax == 0 &&
                 pdone == NR_MMU && r9 == 0x9999aaaabbbbccccUL,
                 "rc %ld done %u r9 %#lx", rax, pdone, (unsigned long)r9);
    }

    /* An error after a continuation: *pdone counts every request done. */
    u[NR_MMU - 3].ptr = (mfn << 12) | 7;      /* bad command */
    pdone = 0;
    mmu_rc = HYPERVISOR_mmu_update(u, NR_MMU, &pdone, DOMID_SELF);
    xt_check("mmu_update_huge_error_done", mmu_rc == -XEN_ENOSYS &&
             pdone == NR_MMU - 3, "rc %ld done %u", mmu_rc, pdone);
    u[NR_MMU - 3].ptr = (mfn << 12) | MMU_MACHPHYS_UPDATE;

    /* A count with the continuation bit resumes from *pdone. */
    pdone = 1000;
    mmu_rc = HYPERVISOR_mmu_update(u, 5 | (1U << 31), &pdone, DOMID_SELF);
    xt_check("mmu_update_preempted_bit_resumes", mmu_rc == 0 &&
             pdone == 1005, "rc %ld done %u", mmu_rc, pdone);

    for ( i = 0; i < NR_EXT; i++ )
        x[i] = XT_MMUEXT(MMUEXT_INVLPG_LOCAL, XT_VIRT_BASE, 0);
    ok = preempted_run(NULL, ext_batch, NR_EXT, why, sizeof(why));
    xt_check("mmuext_op_huge_completes", ext_rc == 0 && pdone == NR_EXT,
             "rc %ld done %u of %lu", ext_rc, pdone, (unsigned long)NR_EXT);
    xt_check("mmuext_op_huge_preemptible", ok, "%s", why);
}

/* ---- multicall ---- */

#define NR_MC (BATCH_BYTES / sizeof(struct multicall_entry))   /* 16384 */
#define MC_SENTINEL 0x5e5e5e5eUL

static long mc_rc;

static long mc_progress(void)
{
    volatile struct multicall_entry *mc = (void *)batch;
    long i;

    for ( i = 0; i < (long)NR_MC; i++ )
        if ( mc[i].result == MC_SENTINEL )
            break;
    return i;
}

static void mc_prep(void)
{
    struct multicall_entry *mc = (struct multicall_entry *)batch;
    unsigned long i;

    for ( i = 0; i < NR_MC; i++ )
    {
        mc[i] = (struct multicall_entry){
            .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
        mc[i].result = MC_SENTINEL;
    }
}

static bool mc_batch(void)
{
    struct multicall_entry *mc = (struct multicall_entry *)batch;

    progress_fn = mc_progress;
    mc_rc = HYPERVISOR_multicall(mc, NR_MC);
    progress_fn = NULL;
    return mc_rc == 0 && mc_progress() == (long)NR_MC;
}

/* A multicall of one mmu_update of NR_MMU requests (in the 2nd half). */
static struct multicall_entry mc_one[2];

static bool mc_mmu_batch(void)
{
    mc_one[0] = (struct multicall_entry){
        .op = __HYPERVISOR_mmu_update,
        .args = { (unsigned long)batch, NR_MMU, (unsigned long)&pdone,
                  DOMID_SELF } };
    mc_one[0].result = MC_SENTINEL;
    mc_one[1] = (struct multicall_entry){
        .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
    mc_one[1].result = MC_SENTINEL;
    pdone = 0;
    progress_fn = pdone_progress;
    mc_rc = HYPERVISOR_multicall(mc_one, 2);
    progress_fn = NULL;
    return mc_rc == 0 && mc_one[0].result == 0 && pdone == NR_MMU &&
           mc_one[1].result != MC_SENTINEL;
}

static void multicall_checks(void)
{
    struct multicall_entry inner = {
        .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
    struct multicall_entry outer[2] = {
        { .op = __HYPERVISOR_multicall, .args = { (unsigned long)&inner, 1 } },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version } },
    };
    struct mmu_update *u = (struct mmu_update *)batch;
    unsigned long pfn = 1, mfn = xt_p2m[pfn], i;
    char why[160];
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    bool ok;

    inner.result = MC_SENTINEL;
    outer[0].result = outer[1].result = MC_SENTINEL;
    mc_rc = HYPERVISOR_multicall(outer, 2);
    xt_check("multicall_nested_einval", mc_rc == 0 &&
             (long)outer[0].result == -XEN_EINVAL &&
             inner.result == MC_SENTINEL && (long)outer[1].result == v,
             "rc %ld outer %ld inner %#lx next %ld", mc_rc,
             (long)outer[0].result, (unsigned long)inner.result,
             (long)outer[1].result);

    ok = preempted_run(mc_prep, mc_batch, NR_MC, why, sizeof(why));
    xt_check("multicall_huge_completes", mc_rc == 0 &&
             mc_progress() == (long)NR_MC && (long)((struct multicall_entry *)
             batch)[NR_MC - 1].result == v, "rc %ld results %ld of %lu",
             mc_rc, mc_progress(), (unsigned long)NR_MC);
    xt_check("multicall_huge_preemptible", ok, "%s", why);

    /* A long batch inside a multicall: the entry itself continues. */
    for ( i = 0; i < NR_MMU; i++ )
    {
        u[i].ptr = (mfn << 12) | MMU_MACHPHYS_UPDATE;
        u[i].val = pfn;
    }
    ok = preempted_run(NULL, mc_mmu_batch, NR_MMU, why, sizeof(why));
    xt_check("multicall_of_huge_mmu_update_completes", mc_rc == 0 &&
             mc_one[0].result == 0 && pdone == NR_MMU &&
             (long)mc_one[1].result == v, "rc %ld result %ld done %u next %ld",
             mc_rc, (long)mc_one[0].result, pdone, (long)mc_one[1].result);
    xt_check("multicall_of_huge_mmu_update_preemptible", ok, "%s", why);
}

/* ---- grant_table_op ---- */

#define NR_COPY (BATCH_BYTES / sizeof(gnttab_copy_t))          /* 26214 */
#define COPY_PENDING 99

static long copy_rc;

static long copy_progress(void)
{
    volatile gnttab_copy_t *c = (void *)batch;
    long i;

    for ( i = 0; i < (long)NR_COPY; i++ )
        if ( c[i].status == COPY_PENDING )
            break;
    return i;
}

static uint8_t *copy_src, *copy_dst;

static void copy_prep(void)
{
    gnttab_copy_t *c = (gnttab_copy_t *)batch;
    unsigned long i;

    /* Frame to frame within ourselves: entry i copies 64-byte block i%64. */
    for ( i = 0; i < NR_COPY; i++ )
        c[i] = (gnttab_copy_t){
            .source = { .u.gmfn = xt_virt_to_mfn(copy_src),
                        .domid = DOMID_SELF, .offset = (i % 64) * 64 },
            .dest = { .u.gmfn = xt_virt_to_mfn(copy_dst),
                      .domid = DOMID_SELF, .offset = (i % 64) * 64 },
            .len = 64, .status = COPY_PENDING };
    memset(copy_dst, 0, PAGE_SIZE);
}

static bool copy_batch(void)
{
    progress_fn = copy_progress;
    copy_rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_copy, batch, NR_COPY,
                 0, 0);
    progress_fn = NULL;
    return copy_rc == 0 && copy_progress() == (long)NR_COPY;
}

static void grant_checks(void)
{
    gnttab_copy_t *c = (gnttab_copy_t *)batch;
    unsigned long i, bad = 0;
    char why[160];
    bool ok;

    copy_src = xt_alloc_page();
    copy_dst = xt_alloc_page();
    for ( i = 0; i < PAGE_SIZE; i++ )
        copy_src[i] = (uint8_t)(i * 7 + 1);
    ok = preempted_run(copy_prep, copy_batch, NR_COPY, why, sizeof(why));
    for ( i = 0; i < NR_COPY; i++ )
        if ( c[i].status != GNTST_okay )
            bad++;
    xt_check("grant_copy_huge_completes", copy_rc == 0 && bad == 0 &&
             !memcmp(copy_src, copy_dst, PAGE_SIZE), "rc %ld, %lu bad "
             "statuses (first %d)", copy_rc, bad, c[0].status);
    xt_check("grant_copy_huge_preemptible", ok, "%s", why);
}

/* ---- item 8: a multicall that contains an iret ends at the iret ---- */

#define IRET_RAX 0x1234abcdUL

static long multicall_iret(struct multicall_entry *mc, unsigned long n)
{
    long ret;

    /*
     * HYPERVISOR_iret reads its frame at the guest's rsp: build one (rax,
     * r11, rcx, flags, rip, cs, rflags, rsp, ss, lowest first; a kernel
     * frame's cs has RPL 0, RPL 3 means user mode) that
     * returns to 1: with our own rsp and rax = IRET_RAX, and issue the
     * multicall with SYSCALL right on top of it.
     */
    asm volatile ( "mov %%rsp, %%r8\n\t"
                   "mov %%ss, %%r9d\n\t"
                   "push %%r9\n\t"                  /* ss */
                   "push %%r8\n\t"                  /* rsp */
                   "push $2\n\t"                    /* rflags: IF clear */
                   "mov %%cs, %%r9d\n\t"
                   "and $~3, %%r9d\n\t"             /* RPL 0: kernel */
                   "push %%r9\n\t"                  /* cs */
                   "lea 1f(%%rip), %%r9\n\t"
                   "push %%r9\n\t"                  /* rip */
                   "push $0\n\t"                    /* flags */
                   "push $0\n\t"                    /* rcx */
                   "push $0\n\t"                    /* r11 */
                   "push %[rax]\n\t"                /* rax */
                   "mov %[nr], %%eax\n\t"
                   "syscall\n"
                   "1:"
                   : "=a" (ret), "+D" (mc), "+S" (n)
                   : [rax] "r" (IRET_RAX), [nr] "i" (__HYPERVISOR_multicall)
                   : "rcx", "r11", "r8", "r9", "rdx", "r10", "memory" );
    return ret;
}

static void iret_checks(void)
{
    struct multicall_entry mc[3] = {
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version } },
        { .op = __HYPERVISOR_iret },
        { .op = __HYPERVISOR_xen_version, .args = { XENVER_version } },
    };
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    long rc;

    mc[0].result = mc[1].result = mc[2].result = MC_SENTINEL;
    rc = multicall_iret(mc, 3);
    xt_check("multicall_iret_returns_frame_rax", rc == (long)IRET_RAX,
             "rax %#lx", rc);
    xt_check("multicall_iret_result", (long)mc[0].result == v &&
             mc[1].result == IRET_RAX, "before %#lx iret %#lx",
             (unsigned long)mc[0].result, (unsigned long)mc[1].result);
    xt_check("multicall_iret_ends_batch", mc[2].result == MC_SENTINEL,
             "entry after the iret: %#lx", (unsigned long)mc[2].result);
    xt_check("multicall_iret_mask", *xt_upcall_mask() == 1, "mask %u",
             *xt_upcall_mask());
}

XTEST(preempt, 18)
{
    int port;

    xt_traps_init();
    xt_events_init();
    xt_mm_init();
    iret_checks();          /* 4 */
    port = xt_bind_virq(VIRQ_TIMER, timer_tick);
    if ( port < 0 )
        xt_error("bind VIRQ_TIMER: %d", port);
    mmu_checks();           /* 7 */
    multicall_checks();     /* 5 */
    grant_checks();         /* 2 */
    xt_unbind(port);
}
