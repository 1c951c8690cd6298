/*
 * xtest.h: the in-guest test framework seen by a test.
 *
 * A test is a function registered with XTEST(name, nr_checks).  The
 * framework prints "PLAN: <name> <nr_checks>", runs the function, which
 * reports each check exactly once with xt_check()/xt_skip() as
 * "RESULT: <name>.<check> PASS|FAIL|SKIP [detail]".  After all tests of
 * the image the framework prints one "Test result: SUCCESS|SKIP|ERROR|
 * FAILURE" line and powers the domain off.
 */
#ifndef XTEST_H
#define XTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/xen.h>
#include <public/errno.h>

#include "hypercall.h"

struct xtest
{
    const char *name;
    unsigned int nr_checks;
    void (*fn)(void);
};

/* Define and register a test; the body follows the macro. */
#define XTEST(_name, _nr)                                               \
    static void xtest_fn_ ## _name(void);                               \
    static const struct xtest xtest_desc_ ## _name                      \
        __attribute__((used, aligned(8),                                \
                       section(".xtests." #_name))) =                   \
        { #_name, (_nr), xtest_fn_ ## _name };                          \
    static void xtest_fn_ ## _name(void)

/* The start_info page the domain was booted with. */
extern start_info_t *xt_start_info;

/* Report one check of the running test.  'fmt' (may be NULL) is detail. */
void xt_check(const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xt_skip(const char *check, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* PASS if rc == expected, else FAIL with both values as detail. */
void xt_check_rc(const char *check, long rc, long expected);
/* A framework problem (not a failed check): the verdict becomes ERROR. */
void xt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Console output through console_io; lines are written whole. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Freestanding helpers. */
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *hay, const char *needle);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlcpy(char *d, const char *s, size_t n);
unsigned long long simple_strtoull(const char *s, const char **end, int base);

/*
 * Run a test body (lib/traps.c).  Once a test installed the trap table,
 * a fault nobody expected aborts the running test with an ERROR instead
 * of killing the domain.
 */
void xt_call_guarded(void (*fn)(void));

/* Power the domain off (or crash it); never returns. */
void __attribute__((noreturn)) xt_shutdown(unsigned int reason);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE     4096UL

#endif /* XTEST_H */
