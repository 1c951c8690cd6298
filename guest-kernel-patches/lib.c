/*
 * The few hypervisor library calls the loader code makes, for the host:
 * messages go to stderr, assertions abort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenia/lib.h>

void vprintk(const char *fmt, va_list ap)
{
    vfprintf(stderr, fmt, ap);
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
    fprintf(stderr, "xenia-kcheck: assertion %s failed at %s:%d\n", expr,
            file, line);
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

/* As the hypervisor's: no sign, no leading space, 0x for base 0 or 16. */
unsigned long long simple_strtoull(const char *s, const char **end, int base)
{
    char *e;
    unsigned long long v;

    if ( (*s < '0' || *s > '9') &&
         !(base == 16 && *s && strchr("abcdefABCDEF", *s)) )
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
