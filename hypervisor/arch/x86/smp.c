/*
 * CPU bring-up and cross-CPU work (see include/xenia/smp.h).
 * Uniprocessor for now: CPU 0 only.
 */
#include <xenia/lib.h>
#include <xenia/smp.h>
#include <xenia/processor.h>

unsigned int nr_cpus_online = 1;
cpumask_t cpu_online_mask = 1;

void flush_tlb_mask(cpumask_t mask)
{
    if ( mask & 1 )
        flush_tlb_local();
}

void flush_tlb_domain(struct domain *d)
{
    (void)d;
    flush_tlb_local();
}

void smp_send_event_check(unsigned int cpu)
{
    (void)cpu;
}
