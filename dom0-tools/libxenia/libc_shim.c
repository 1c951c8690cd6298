/*
 * libc_shim.c: the two functions the hypervisor's ELF parser
 * (hypervisor/common/elf_image.c, linked into libxenia) uses that
 * glibc lacks, with the hypervisor's signatures (xenia/lib.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

size_t strlcpy(char *d, const char *s, size_t n);
unsigned long long simple_strtoull(const char *s, const char **end, int base);

size_t strlcpy(char *d, const char *s, size_t n)
{
    size_t len = strlen(s);

    if ( n )
    {
        size_t k = len < n - 1 ? len : n - 1;

        memcpy(d, s, k);
        d[k] = '\0';
    }
    return len;
}

unsigned long long simple_strtoull(const char *s, const char **end, int base)
{
    char *e;
    unsigned long long v = strtoull(s, &e, base);

    if ( end )
        *end = e;
    return v;
}
