/*
 * string.c: the few string and memory functions the tests need.
 */
#include "xtest.h"

size_t strlen(const char *s)
{
    size_t n = 0;

    while ( s[n] )
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while ( n < max && s[n] )
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while ( *a && *a == *b )
    {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for ( ; n; n--, a++, b++ )
    {
        if ( *a != *b )
            return (unsigned char)*a - (unsigned char)*b;
        if ( !*a )
            break;
    }
    return 0;
}

char *strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for ( ; *hay; hay++ )
        if ( !strncmp(hay, needle, n) )
            return (char *)hay;
    return n ? NULL : (char *)hay;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;

    while ( n-- )
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    while ( n-- )
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;

    for ( ; n; n--, pa++, pb++ )
        if ( *pa != *pb )
            return *pa - *pb;
    return 0;
}

/* Copies at most n - 1 bytes and terminates; returns strlen(s). */
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

static unsigned int digit(char c)
{
    if ( c >= '0' && c <= '9' )
        return c - '0';
    if ( c >= 'a' && c <= 'z' )
        return c - 'a' + 10;
    if ( c >= 'A' && c <= 'Z' )
        return c - 'A' + 10;
    return 36;
}

/*
 * The hypervisor's number parser (common/string.c), which its ELF parser
 * uses for the legacy __xen_guest string: base 0 means decimal, or hex
 * after "0x"; *end gets the first byte not taken.
 */
unsigned long long simple_strtoull(const char *s, const char **end, int base)
{
    unsigned long long v = 0;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

    if ( !base )
        base = hex && digit(s[2]) < 16 ? 16 : 10;
    if ( base == 16 && hex )
        s += 2;
    for ( ; digit(*s) < (unsigned int)base; s++ )
        v = v * base + digit(*s);
    if ( end )
        *end = s;
    return v;
}
