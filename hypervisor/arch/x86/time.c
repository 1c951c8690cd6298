/*
 * Time: the TSC is calibrated against PIT channel 2, then the local APIC
 * timer is calibrated against the TSC and runs in one-shot mode: each CPU
 * arms it for its next scheduler tick (TIMER_HZ) or, when sooner, the
 * earliest guest timer deadline (timer_deadline()), so a guest's
 * single-shot timer fires when it asked, not on the next tick. The legacy
 * PICs are masked: the LAPIC is the only interrupt source. System time
 * (ns since boot) comes from the TSC.
 */
#include <xenia/lib.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/asm_defns.h>
#include <xenia/time.h>
#include <xenia/event.h>
#include <xenia/sched.h>
#include "x86.h"

#define PIT_HZ          1193182UL
#define CAL_MS          50      /* the PIT's 16-bit count: at most 54 ms */
#define CAL_ROUNDS      5
#define LAPIC_PHYS      0xfee00000UL
#define LAPIC_VIRT      FIXMAP_START

#define APIC_ID         0x020
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_LVT_TIMER  0x320
#define APIC_TMICT      0x380
#define APIC_TMCCT      0x390
#define APIC_TDCR       0x3e0
#define LVT_MASKED      (1u << 16)

uint64_t cpu_khz;
volatile uint64_t jiffies;
static uint64_t boot_tsc;
static uint32_t lapic_ticks_per_period;

#define TICK_NS         (1000000000ULL / TIMER_HZ)
#define MIN_ARM_NS      2000ULL         /* sooner than this: 2 us from now */

/* Per CPU: when its next scheduler tick is due, and what is armed. */
static uint64_t next_tick_ns[NR_CPUS], armed_ns[NR_CPUS];

uint32_t apic_read(unsigned int reg)
{
    return *(volatile uint32_t *)(LAPIC_VIRT + reg);
}

void apic_write(unsigned int reg, uint32_t v)
{
    *(volatile uint32_t *)(LAPIC_VIRT + reg) = v;
}

uint32_t apic_id(void)
{
    return apic_read(APIC_ID) >> 24;
}

/* Counts TSC ticks across CAL_MS milliseconds measured by PIT channel 2. */
static uint64_t calibrate_tsc_once(void)
{
    uint32_t count = PIT_HZ * CAL_MS / 1000;
    uint64_t start, end;
    unsigned long spins = 0;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);   /* gate on, speaker off */
    outb(0x43, 0xb0);                         /* ch2, lobyte/hibyte, mode 0 */
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    start = rdtsc();
    while ( !(inb(0x61) & 0x20) )
        if ( ++spins > 100000000UL )
            panic("PIT channel 2 never counted down: cannot calibrate the TSC");
    end = rdtsc();
    return (end - start) * 1000 / CAL_MS;
}

/*
 * TSC ticks per second: the least of a few rounds. Anything that delays
 * noticing the end of a round (an SMI, or under emulation the host not
 * running this CPU) only adds ticks, and a rate measured too high makes
 * every guest clock run slow.
 */
static uint64_t calibrate_tsc(void)
{
    uint64_t best = ~0ULL, hz;
    unsigned int i;

    for ( i = 0; i < CAL_ROUNDS; i++ )
        if ( (hz = calibrate_tsc_once()) < best )
            best = hz;
    return best;
}

static struct time_scale scale;

/*
 * Chooses (mul, shift) so that ns = (ticks << shift) * mul >> 32: the TSC
 * rate is scaled by powers of two into (1e9, 2e9], then mul = 1e9 * 2^32 /
 * that rate, which fits in 32 bits.
 */
static void compute_scale(uint64_t tsc_hz)
{
    int shift = 0;

    while ( tsc_hz > 2000000000UL )
    {
        tsc_hz >>= 1;
        shift--;
    }
    while ( tsc_hz <= 1000000000UL )
    {
        tsc_hz <<= 1;
        shift++;
    }
    scale.mul = (uint32_t)((1000000000UL << 32) / tsc_hz);
    scale.shift = shift;
}

struct time_scale system_time_scale(void)
{
    return scale;
}

static uint64_t scale_delta(uint64_t delta)
{
    if ( scale.shift < 0 )
        delta >>= -scale.shift;
    else
        delta <<= scale.shift;
    return (uint64_t)(((unsigned __int128)delta * scale.mul) >> 32);
}

uint64_t get_s_time_and_tsc(uint64_t *tsc)
{
    uint64_t t = rdtsc();

    if ( tsc )
        *tsc = t;
    return scale_delta(t - boot_tsc);
}

uint64_t get_s_time(void)
{
    return get_s_time_and_tsc(NULL);
}

/* ---- The RTC, read once for the wallclock ---- */

static uint64_t boot_wc_sec;           /* the wall clock at system time 0 */
static uint32_t boot_wc_nsec;

static unsigned int cmos(unsigned int reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned int bcd(unsigned int v, bool binary)
{
    return binary ? v : (v & 15) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (civil calendar). */
static uint64_t days_from_civil(unsigned int y, unsigned int m, unsigned int d)
{
    unsigned int era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint64_t)era * 146097 + doe - 719468;
}

/*
 * Reads the RTC just after a seconds update, as Xen does: wait (at most a
 * little over a second) for an update to start and end, so the seconds
 * read began at that instant, not up to a second earlier. The wall clock
 * at system time 0 is that second less the system time of the read.
 */
static void read_rtc(void)
{
    unsigned int sec, min, hour, day, mon, year;
    unsigned long spins = 0;
    uint64_t now, wc_ns, t0 = rdtsc();
    bool bin;

    while ( !(cmos(0x0a) & 0x80) && rdtsc() - t0 < cpu_khz * 1100 )
        cpu_relax();                    /* until an update starts */
    while ( (cmos(0x0a) & 0x80) && ++spins < 1000000 )
        cpu_relax();                    /* update in progress */
    now = get_s_time();
    bin = cmos(0x0b) & 4;
    sec = bcd(cmos(0x00), bin);
    min = bcd(cmos(0x02), bin);
    hour = bcd(cmos(0x04) & 0x7f, bin);
    day = bcd(cmos(0x07), bin);
    mon = bcd(cmos(0x08), bin);
    year = bcd(cmos(0x09), bin) + 2000;
    if ( mon < 1 || mon > 12 || day < 1 || day > 31 )
        return;
    wc_ns = (days_from_civil(year, mon, day) * 86400 + hour * 3600 +
             min * 60 + sec) * 1000000000ULL - now;
    boot_wc_sec = wc_ns / 1000000000ULL;
    boot_wc_nsec = wc_ns % 1000000000ULL;
}

uint32_t boot_wallclock_nsec(void)
{
    return boot_wc_nsec;
}

uint64_t boot_wallclock_sec(void)
{
    return boot_wc_sec;
}

/* Arms this CPU's one-shot timer for the system time deadline. */
static void lapic_arm(uint64_t deadline)
{
    unsigned int cpu = smp_processor_id();
    uint64_t now = get_s_time(), delta, ticks;

    delta = deadline > now + MIN_ARM_NS ? deadline - now : MIN_ARM_NS;
    ticks = delta > TICK_NS * 100 ? lapic_ticks_per_period * 100ULL
                                  : delta * lapic_ticks_per_period / TICK_NS;
    armed_ns[cpu] = deadline;
    apic_write(APIC_TMICT, ticks ? (uint32_t)MIN(ticks, 0xffffffffULL) : 1);
}

void timer_deadline(uint64_t deadline)
{
    if ( deadline && deadline < armed_ns[smp_processor_id()] )
        lapic_arm(deadline);
}

void timer_interrupt(void)
{
    unsigned int cpu = smp_processor_id();
    uint64_t now = get_s_time();

    apic_write(APIC_EOI, 0);
    if ( now >= next_tick_ns[cpu] )
    {
        if ( cpu == 0 )
            jiffies++;
        next_tick_ns[cpu] += TICK_NS;
        if ( next_tick_ns[cpu] <= now )     /* ticks missed: no burst */
            next_tick_ns[cpu] = now + TICK_NS;
    }
    /* The scheduler's tick work re-arms sooner for guest deadlines. */
    lapic_arm(next_tick_ns[cpu]);
    timer_softirq_raise();
}

static void lapic_start(void)
{
    next_tick_ns[smp_processor_id()] = get_s_time() + TICK_NS;
    apic_write(APIC_LVT_TIMER, LAPIC_TIMER_VECTOR);     /* one-shot */
    lapic_arm(next_tick_ns[smp_processor_id()]);
}

static void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);

    if ( (base & ~0xfffUL) != LAPIC_PHYS )
        printk(XENLOG_WARNING "LAPIC at unusual base %#lx\n", base & ~0xfffUL);
    wrmsr(MSR_APIC_BASE, base | (1UL << 11));   /* global enable */
    map_pages_to_xen(LAPIC_VIRT, (base & PADDR_MASK) >> PAGE_SHIFT, 1,
                     _PAGE_PRESENT | _PAGE_RW | _PAGE_PCD | _PAGE_PWT |
                     MAP_SMALL_PAGES);
    apic_write(APIC_SVR, 0x100 | SPURIOUS_VECTOR);
    apic_write(APIC_TDCR, 0x3);                 /* divide by 16 */
}

/*
 * An application processor's LAPIC: same base and fixmap as the BSP's
 * (each CPU sees its own at that address), the BSP's calibration.
 */
void time_init_secondary(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1UL << 11));
    apic_write(APIC_SVR, 0x100 | SPURIOUS_VECTOR);
    apic_write(APIC_TDCR, 0x3);
    lapic_start();
}

void time_init(void)
{
    uint64_t t0, elapsed, ticks0;
    uint32_t c0, c1;

    /* Mask both 8259s: nothing but the LAPIC interrupts us. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    cpu_khz = calibrate_tsc() / 1000;
    if ( !cpu_khz )
        panic("TSC calibration gave 0 kHz");
    boot_tsc = rdtsc();
    compute_scale(cpu_khz * 1000);
    read_rtc();
    printk("TSC: %lu.%03lu MHz, pvclock scale mul %#x shift %d\n",
           cpu_khz / 1000, cpu_khz % 1000, scale.mul, scale.shift);

    lapic_init();
    /* Calibrate the LAPIC timer against the TSC over 10 ms. */
    apic_write(APIC_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
    apic_write(APIC_TMICT, 0xffffffffu);
    c0 = apic_read(APIC_TMCCT);
    t0 = rdtsc();
    while ( rdtsc() - t0 < cpu_khz * 10 )
        cpu_relax();
    c1 = apic_read(APIC_TMCCT);
    lapic_ticks_per_period = (uint32_t)((uint64_t)(c0 - c1) * 100 / TIMER_HZ);
    if ( !lapic_ticks_per_period )
        panic("LAPIC timer does not count");
    lapic_start();

    /* Check the tick: wait for a few with interrupts on, against the TSC. */
    ticks0 = jiffies;
    t0 = rdtsc();
    while ( jiffies - ticks0 < 5 )
    {
        if ( rdtsc() - t0 > cpu_khz * 2000 )
            panic("periodic timer interrupt never arrived");
        safe_halt();
        local_irq_disable();
    }
    elapsed = (rdtsc() - t0) / cpu_khz;
    printk("Timer: LAPIC one-shot, ticks at %u Hz (%u ticks/period), "
           "5 ticks took %lu ms\n", TIMER_HZ, lapic_ticks_per_period, elapsed);
}
