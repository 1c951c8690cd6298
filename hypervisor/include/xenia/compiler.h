/*
 * Compiler helpers shared by every hypervisor source file. Included first on
 * the command line (-include), so that all symbols default to hidden
 * visibility and the position-independent code the compiler emits for the
 * high-half image addresses everything RIP-relative, with no GOT.
 */
#ifndef XENIA_COMPILER_H
#define XENIA_COMPILER_H

#if defined(__XENIA_HYPERVISOR__)
#pragma GCC visibility push(hidden)
#endif

#define __packed        __attribute__((__packed__))
#define __aligned(a)    __attribute__((__aligned__(a)))
#define __section(s)    __attribute__((__section__(s)))
#define __used          __attribute__((__used__))
#define __noreturn      __attribute__((__noreturn__))
#define __printf(a, b)  __attribute__((__format__(__printf__, a, b)))
#define __maybe_unused  __attribute__((__unused__))
#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)
#define barrier()       __asm__ __volatile__ ( "" ::: "memory" )

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define ROUNDUP(x, a)   (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ROUNDDOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX(a, b)       ((a) > (b) ? (a) : (b))

#endif /* XENIA_COMPILER_H */
