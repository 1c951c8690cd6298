/* System time: nanoseconds since boot, from the TSC (arch/x86/time.c). */
#ifndef XENIA_TIME_H
#define XENIA_TIME_H

#include <xenia/types.h>

/* ns = ((tsc_delta << shift) or >> -shift) * mul >> 32, as pvclock. */
struct time_scale {
    uint32_t mul;
    int8_t shift;
};

struct time_scale system_time_scale(void);
uint64_t get_s_time(void);
/* The TSC rate measured at boot (arch/x86/time.c). */
extern uint64_t cpu_khz;
uint64_t get_s_time_and_tsc(uint64_t *tsc);
/* Wallclock at system time 0, from the RTC at boot. */
/* The wall clock at system time 0 (seconds since 1970, and nanoseconds). */
uint64_t boot_wallclock_sec(void);
uint32_t boot_wallclock_nsec(void);

#endif /* XENIA_TIME_H */
