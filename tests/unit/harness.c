/* Stand-ins for hypervisor services used by hypervisor/common/ code. */
#include <stdlib.h>
#include "harness.h"
#include <xenia/lib.h>

char harness_log[4096];

void harness_log_reset(void)
{
    harness_log[0] = '\0';
}

void vprintk(const char *fmt, va_list ap)
{
    size_t n = strlen(harness_log);

    vsnprintf(harness_log + n, sizeof(harness_log) - n, fmt, ap);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void assert_failed(const char *expr, const char *file, int line)
{
    fprintf(stderr, "hypervisor assertion %s failed at %s:%d\n", expr, file, line);
    abort();
}

size_t strlcpy(char *d, const char *s, size_t n)
{
    size_t len = strlen(s);

    if ( n )
    {
        size_t c = len < n - 1 ? len : n - 1;

        memcpy(d, s, c);
        d[c] = '\0';
    }
    return len;
}

unsigned long long simple_strtoull(const char *s, const char **end, int base)
{
    char *e;
    unsigned long long v;

    /* The hypervisor version accepts no sign and no leading space. */
    if ( (*s < '0' || *s > '9') && !(base == 16 && strchr("abcdefABCDEF", *s)) )
    {
        if ( end )
            *end = s;
        return 0;
    }
    v = strtoull(s, &e, base);
    if ( end )
        *end = e;
    return v;
}
