/*
 * CPUs, CPU masks and cross-CPU TLB flushes.
 *
 * Every CPU QEMU gives us is brought up at boot (arch/x86/smp.c); CPU n
 * has its own stack block, GDT, TSS, IDT load and LAPIC timer. A cpumask
 * is a 64-bit set of CPU numbers (NR_CPUS, config.h, is at most 64).
 */
#ifndef XENIA_SMP_H
#define XENIA_SMP_H

#include <xenia/types.h>


typedef uint64_t cpumask_t;

struct domain;

/* CPUs online (0 .. nr_cpus_online - 1) and their mask. */
extern unsigned int nr_cpus_online;
extern cpumask_t cpu_online_mask;
/* CPUs running on some guest's page tables (the scheduler keeps it). */
extern cpumask_t guest_loaded_cpumask;

/*
 * Flushes the (non-global) TLB entries of every CPU in mask, this one
 * included, and returns when all have done so. Callable with interrupts
 * off; other CPUs take the flush in their IPI handler, never under a lock.
 */
void flush_tlb_mask(cpumask_t mask);

/*
 * The TLB-flush clock (Xen's tlbflush_clock): ticks at every CR3 load;
 * tlbflush_time[cpu] is the tick of that CPU's latest load.  A stamp taken
 * with tlbflush_now() when a frame's last typed reference went tells,
 * later, which CPUs may still hold a translation made before it:
 * tlbflush_filter() drops from a mask the CPUs that flushed since.
 */
uint64_t tlbflush_now(void);
cpumask_t tlbflush_filter(cpumask_t mask, uint64_t stamp);

/*
 * Flushes every TLB that may hold a translation made through one of d's
 * page tables: the CPUs that run or ran d's vCPUs since their last flush
 * (d->dirty_cpumask), and this one.
 */
void flush_tlb_domain(struct domain *d);

/*
 * Does this CPU's part of a TLB shootdown if one is waiting for it: for
 * spin loops, which cannot rely on taking the IPI (under TCG an
 * "sti; pause; cli" window may never see it).
 */
void smp_service_pending_flush(void);

/* Makes a CPU leave guest mode or idle to look at its pending work. */
void smp_send_event_check(unsigned int cpu);

#endif /* XENIA_SMP_H */
