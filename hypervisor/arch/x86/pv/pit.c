/*
 * PIT channel 2 and port 0x61 for the hardware domain, as Xen's
 * pv_pit_handler gives them to a PV dom0: Linux calibrates the TSC with
 * channel 2 (quick_pit_calibrate) and beeps with it. The real PIT is
 * Xenia's, so channel 2 is emulated: a 16-bit down-counter at 1.193182 MHz
 * on the hypervisor's clock, modes 0 (OUT goes high at terminal count)
 * and 2/3 (periodic), latch and lo/hi access, gated by port 0x61 bit 0,
 * OUT readable at port 0x61 bit 5. Channels 0 and 1 stay refused.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md).
 */
#include <xenia/lib.h>
#include <xenia/sched.h>
#include <xenia/time.h>
#include "../x86.h"

#define PIT_HZ          1193182ULL
#define PORT_CH2        0x42
#define PORT_MODE       0x43
#define PORT_SPEAKER    0x61

enum { RW_LATCH, RW_LO, RW_HI, RW_LOHI };

static struct {
    uint8_t rw, mode, speaker;          /* access, mode, port 0x61 bits 0-1 */
    bool write_hi, read_hi;             /* lo/hi: next byte is the high one */
    uint16_t reload;
    uint8_t reload_lo;
    bool latched;
    uint16_t latch;
    bool gate_counting;                 /* counting since start_ns */
    uint64_t start_ns;
} ch2 = { .rw = RW_LOHI };

static uint64_t ticks_since_start(void)
{
    uint64_t ns = get_s_time() - ch2.start_ns;

    return ns / 1000000000ULL * PIT_HZ + ns % 1000000000ULL * PIT_HZ / 1000000000ULL;
}

static uint16_t count_now(void)
{
    uint64_t period = ch2.reload ? ch2.reload : 0x10000;
    uint64_t t;

    if ( !ch2.gate_counting )
        return ch2.reload;
    t = ticks_since_start();
    if ( ch2.mode == 0 )                /* wraps through 0xffff after 0 */
        return (uint16_t)(ch2.reload - t);
    return (uint16_t)(period - t % period);
}

static bool out_high(void)
{
    uint64_t period = ch2.reload ? ch2.reload : 0x10000;

    if ( !ch2.gate_counting )
        return ch2.mode != 0;
    if ( ch2.mode == 0 )
        return ticks_since_start() >= period;
    return ticks_since_start() % period < period / 2 || ch2.mode == 2;
}

static void start_counting(void)
{
    ch2.gate_counting = ch2.speaker & 1;
    ch2.start_ns = get_s_time();
}

static void write_mode(uint8_t v)
{
    if ( (v >> 6) != 2 )
        return;                         /* channels 0 and 1, read-back */
    if ( ((v >> 4) & 3) == RW_LATCH )
    {
        if ( !ch2.latched )
        {
            ch2.latch = count_now();
            ch2.latched = true;
            ch2.read_hi = false;
        }
        return;
    }
    ch2.rw = (v >> 4) & 3;
    ch2.mode = (v >> 1) & 7;
    if ( ch2.mode > 5 )
        ch2.mode &= 3;
    ch2.write_hi = ch2.read_hi = ch2.latched = false;
    ch2.gate_counting = false;
}

static void write_count(uint8_t v)
{
    switch ( ch2.rw )
    {
    case RW_LO:
        ch2.reload = v;
        break;
    case RW_HI:
        ch2.reload = (uint16_t)v << 8;
        break;
    default:
        if ( !ch2.write_hi )
        {
            ch2.reload_lo = v;
            ch2.write_hi = true;
            return;
        }
        ch2.reload = ch2.reload_lo | ((uint16_t)v << 8);
        ch2.write_hi = false;
        break;
    }
    start_counting();
}

static uint8_t read_count(void)
{
    uint16_t c = ch2.latched ? ch2.latch : count_now();
    bool hi;

    switch ( ch2.rw )
    {
    case RW_LO: hi = false; break;
    case RW_HI: hi = true; break;
    default:
        hi = ch2.read_hi;
        ch2.read_hi = !ch2.read_hi;
        break;
    }
    if ( ch2.latched && (ch2.rw != RW_LOHI || !ch2.read_hi) )
        ch2.latched = false;            /* fully read */
    return hi ? c >> 8 : c & 0xff;
}

bool pv_pit_io(const struct domain *d, unsigned int port, unsigned int bytes,
               bool write, uint32_t *val)
{
    if ( d != hardware_domain || bytes != 1 ||
         (port != PORT_CH2 && port != PORT_MODE && port != PORT_SPEAKER) )
        return false;
    if ( port == PORT_SPEAKER )
    {
        if ( !write )
        {
            /* Bit 4 is the DRAM refresh toggle: about every 15 us. */
            *val = ch2.speaker | (out_high() ? 0x20 : 0) |
                   (((get_s_time() >> 14) & 1) << 4);
            return true;
        }
        if ( (*val & 1) && !(ch2.speaker & 1) )
        {
            ch2.speaker = *val & 3;
            start_counting();           /* a rising gate restarts it */
        }
        else
        {
            if ( !(*val & 1) && ch2.gate_counting )
            {
                ch2.reload = count_now();   /* the count holds */
                ch2.gate_counting = false;
            }
            ch2.speaker = *val & 3;
        }
        return true;
    }
    if ( port == PORT_MODE )
    {
        if ( write )
            write_mode(*val);
        else
            *val = 0xff;
        return true;
    }
    if ( write )
        write_count(*val);
    else
        *val = read_count();
    return true;
}
