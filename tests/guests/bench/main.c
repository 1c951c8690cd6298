/*
 * bench: the PV hot paths, measured in-guest with the TSC (make bench;
 * never a timed assertion). Each figure prints "BENCH: <name> <ns> ns"
 * and one check that says the measurement ran.
 *   null_hypercall    xen_version(0) through a raw syscall
 *   syscall_roundtrip guest user -> guest kernel -> user (syscall + iret)
 *   pf_bounce         #PF on an unmapped page, bounced and recovered
 *   mmu_update_pte    mmu_update of one L1 entry
 */
#include "xtest.h"
#include "xtpv.h"

#define N           2000
#define UNMAPPED    0x00000f0000000000UL

XT_USER_TEXT static long u_syscalls(long n)
{
    long i;

    for ( i = 0; i < n; i++ )
        xt_user_syscall(1, 0, 0);
    return 0;
}

static long sys_nop(struct xt_regs *regs)
{
    (void)regs;
    return 0;
}

static uint64_t to_ns(uint64_t cycles, unsigned long n)
{
    return cycles * 1000000UL / xt_tsc_khz() / n;
}

static void report(const char *name, uint64_t cycles, unsigned long n)
{
    uint64_t ns = to_ns(cycles, n);

    printf("BENCH: %s %lu ns\n", name, (unsigned long)ns);
    xt_check(name, ns > 0, "%lu ns", (unsigned long)ns);
}

XTEST(bench, 4)
{
    uint64_t t0, t1;
    unsigned long i, va, pte;
    void *page;

    xt_traps_init();
    xt_mm_init();
    xt_events_init();

    t0 = rdtsc();
    for ( i = 0; i < N; i++ )
        HYPERVISOR_xen_version(0, NULL);
    t1 = rdtsc();
    report("null_hypercall", t1 - t0, N);

    if ( xt_user_init() )
        xt_skip("syscall_roundtrip", "no user mode");
    else
    {
        xt_sys_handler = sys_nop;
        t0 = rdtsc();
        xt_run_user(u_syscalls, N);
        t1 = rdtsc();
        report("syscall_roundtrip", t1 - t0, N);
    }

    t0 = rdtsc();
    for ( i = 0; i < N; i++ )
    {
        uint64_t v;

        xt_probe_read(UNMAPPED, &v);
    }
    t1 = rdtsc();
    report("pf_bounce", t1 - t0, N);

    page = xt_alloc_page();
    va = (unsigned long)page;
    pte = xt_pte_maddr(va);
    t0 = rdtsc();
    for ( i = 0; i < N; i++ )
        xt_mmu_update1(pte, (xt_virt_to_mfn(page) << 12) | _PAGE_PRESENT |
                       ((i & 1) ? _PAGE_RW : 0));
    t1 = rdtsc();
    xt_mmu_update1(pte, (xt_virt_to_mfn(page) << 12) | _PAGE_PRESENT | _PAGE_RW);
    report("mmu_update_pte", t1 - t0, N);
}
