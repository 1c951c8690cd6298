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
