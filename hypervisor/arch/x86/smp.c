/*
 * CPU bring-up and cross-CPU work (see include/xenia/smp.h).
 *
 * The BSP finds the CPUs in ACPI's MADT and starts them one at a time
 * with INIT, STARTUP, STARTUP through the trampoline (boot/trampoline.S).
 * Each AP gets its own stack block, GDT window, TSS and LAPIC timer, then
 * enters the scheduler's idle loop.
 *
 * IPIs: EVENT_CHECK_VECTOR only interrupts (the exit path or idle loop
 * then looks at the CPU's pending work); INVALIDATE_TLB_VECTOR flushes
 * the TLB and acknowledges in flush_pending.
 *
 * Locking: flush_lock serialises TLB shootdowns. A CPU waiting for it, or
 * for the hypervisor lock, services its own pending flush while it spins
 * (smp_service_pending_flush), so a flusher never waits for a CPU that
 * waits for it. Neither IPI handler takes a lock.
 */
#include <xenia/lib.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/asm_defns.h>
#include <xenia/current.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include <xenia/spinlock.h>
#include "x86.h"

#define TRAMPOLINE_PADDR    0x8000

struct trampoline_data {
    uint64_t stack, entry;
    uint32_t cr3, cr4, cr0, efer, cpu, pad;
};

extern const char trampoline_start[], trampoline_data[], trampoline_end[];

unsigned int nr_cpus_online = 1;
cpumask_t cpu_online_mask = 1;
cpumask_t guest_loaded_cpumask;
static uint32_t cpu_apic_id[NR_CPUS];

static DEFINE_SPINLOCK(flush_lock);
static volatile cpumask_t flush_pending;

static cpumask_t this_cpu_mask(void)
{
    return 1UL << smp_processor_id();
}

static void send_ipi(unsigned int cpu, uint32_t icr_low)
{
    unsigned long spins = 0;

    while ( (apic_read(APIC_ICR) & (1u << 12)) && ++spins < 10000000 )
        cpu_relax();                            /* delivery pending */
    apic_write(APIC_ICR2, cpu_apic_id[cpu] << 24);
    apic_write(APIC_ICR, icr_low);
}

void smp_send_event_check(unsigned int cpu)
{
    if ( cpu < nr_cpus_online && cpu != smp_processor_id() )
        send_ipi(cpu, EVENT_CHECK_VECTOR);
}

void smp_service_pending_flush(void)
{
    cpumask_t me = this_cpu_mask();

    if ( flush_pending & me )
    {
        flush_tlb_local();
        __atomic_fetch_and(&flush_pending, ~me, __ATOMIC_RELEASE);
    }
}

void smp_ipi_interrupt(unsigned int vector)
{
    apic_write(APIC_EOI, 0);
    if ( vector == INVALIDATE_TLB_VECTOR )
        smp_service_pending_flush();
}

/* ---- The TLB-flush clock ---- */

static uint64_t tlbflush_clock = 1;
static uint64_t tlbflush_time[NR_CPUS];

void write_cr3(unsigned long v)
{
    uint64_t t = __atomic_add_fetch(&tlbflush_clock, 1, __ATOMIC_SEQ_CST);
    unsigned int cpu = smp_processor_id();

    __asm__ __volatile__ ( "mov %0, %%cr3" :: "r" (v) : "memory" );
    /*
     * Ticked before the load: a stamp read after the tick (t > stamp is
     * then false) keeps this CPU in the filter until its next load.  An
     * interrupt's nested load may be overwritten by this older tick:
     * that only flushes more.
     */
    if ( cpu < NR_CPUS )
        __atomic_store_n(&tlbflush_time[cpu], t, __ATOMIC_RELEASE);
}

uint64_t tlbflush_now(void)
{
    return __atomic_load_n(&tlbflush_clock, __ATOMIC_SEQ_CST);
}

cpumask_t tlbflush_filter(cpumask_t mask, uint64_t stamp)
{
    unsigned int cpu;

    for ( cpu = 0; cpu < NR_CPUS && cpu < 64; cpu++ )
        if ( (mask & (1UL << cpu)) &&
             __atomic_load_n(&tlbflush_time[cpu], __ATOMIC_ACQUIRE) > stamp )
            mask &= ~(1UL << cpu);
    return mask;
}

void flush_tlb_mask(cpumask_t mask)
{
    cpumask_t others = mask & cpu_online_mask & ~this_cpu_mask();
    unsigned int cpu;

    if ( mask & this_cpu_mask() )
        flush_tlb_local();
    if ( !others )
        return;
    while ( !spin_trylock(&flush_lock) )
        smp_service_pending_flush();
    __atomic_fetch_or(&flush_pending, others, __ATOMIC_ACQ_REL);
    for ( cpu = 0; cpu < nr_cpus_online; cpu++ )
        if ( others & (1UL << cpu) )
            send_ipi(cpu, INVALIDATE_TLB_VECTOR);
    {
        uint64_t t0 = rdtsc();
        bool said = false;

        while ( __atomic_load_n(&flush_pending, __ATOMIC_ACQUIRE) & others )
        {
            if ( !said && rdtsc() - t0 > cpu_khz * 2000 )
            {
                said = true;
                printk(XENLOG_ERR "TLB flush: CPUs %#lx have not answered "
                       "for 2 s\n", flush_pending & others);
            }
            cpu_relax();
        }
    }
    spin_unlock(&flush_lock);
}

void flush_tlb_domain(struct domain *d)
{
    flush_tlb_mask(__atomic_load_n(&d->dirty_cpumask, __ATOMIC_ACQUIRE) |
                   this_cpu_mask());
}

/* ---- Bring-up ---- */

static void delay_us(uint64_t us)
{
    uint64_t t0 = rdtsc();

    while ( rdtsc() - t0 < cpu_khz * us / 1000 )
        cpu_relax();
}

void __noreturn start_secondary(unsigned int cpu);
void __noreturn start_secondary(unsigned int cpu)
{
    unsigned long sp = (unsigned long)__builtin_frame_address(0);

    percpu_traps_init(cpu, (void *)(sp & ~(STACK_SIZE - 1)));
    time_init_secondary();
    __atomic_fetch_or(&cpu_online_mask, 1UL << cpu, __ATOMIC_RELEASE);
    idle_loop();
}

static bool start_cpu(unsigned int cpu, uint32_t apic)
{
    struct trampoline_data *td = __va(TRAMPOLINE_PADDR +
                                      (trampoline_data - trampoline_start));
    void *stack = alloc_xenheap_pages(STACK_ORDER);
    uint64_t t0;

    if ( !stack )
        return false;
    cpu_apic_id[cpu] = apic;
    td->stack = (uint64_t)stack + STACK_SIZE - CPUINFO_SIZE;
    td->entry = (uint64_t)start_secondary;
    td->cr3 = read_cr3();
    td->cr4 = read_cr4();
    td->cr0 = read_cr0();
    td->efer = rdmsr(MSR_EFER);
    td->cpu = cpu;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    send_ipi(cpu, 0x00004500);                  /* INIT, assert */
    delay_us(10000);
    send_ipi(cpu, 0x00004600 | (TRAMPOLINE_PADDR >> 12));  /* STARTUP */
    delay_us(200);
    send_ipi(cpu, 0x00004600 | (TRAMPOLINE_PADDR >> 12));

    /* TCG may take a while to start a CPU: a generous bound. */
    t0 = rdtsc();
    while ( !(__atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE) &
              (1UL << cpu)) )
    {
        if ( rdtsc() - t0 > cpu_khz * 5000 )
        {
            free_xenheap_pages(stack, STACK_ORDER);
            return false;
        }
        smp_service_pending_flush();
        cpu_relax();
    }
    return true;
}

void smp_boot_cpus(void)
{
    uint32_t ids[NR_CPUS * 2];
    unsigned int i, n = acpi_cpu_apic_ids(ids, ARRAY_SIZE(ids));
    uint32_t me = apic_id();

    cpu_apic_id[0] = me;
    if ( !n )
    {
        printk(XENLOG_WARNING "SMP: no ACPI MADT found, running on CPU0 only\n");
        return;
    }
    memcpy(__va(TRAMPOLINE_PADDR), trampoline_start,
           trampoline_end - trampoline_start);
    for ( i = 0; i < n; i++ )
    {
        unsigned int cpu = nr_cpus_online;

        if ( ids[i] == me )
            continue;
        if ( cpu >= NR_CPUS )
        {
            printk(XENLOG_WARNING "SMP: CPU with APIC id %u ignored "
                   "(NR_CPUS %u)\n", ids[i], NR_CPUS);
            continue;
        }
        if ( !start_cpu(cpu, ids[i]) )
        {
            printk(XENLOG_WARNING "SMP: CPU with APIC id %u did not start\n",
                   ids[i]);
            continue;
        }
        nr_cpus_online++;
    }
    printk("SMP: %u CPU%s online\n", nr_cpus_online,
           nr_cpus_online > 1 ? "s" : "");
}
