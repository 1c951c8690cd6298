/*
 * Freestanding C library subset and the logging interface.
 *
 * Logging: printk(XENLOG_<level> "fmt", ...) prefixes messages with a level
 * marker; console.c drops messages below the 'loglvl=' threshold.
 */
#ifndef XENIA_LIB_H
#define XENIA_LIB_H

#include <stdarg.h>
#include <xenia/compiler.h>
#include <xenia/types.h>

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *d, const char *s, size_t n);
unsigned long long simple_strtoull(const char *s, const char **end, int base);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Log levels, lowest number = most severe. Same names as Xen's loglvl=. */
#define XENLOG_ERR      "<0>"
#define XENLOG_WARNING  "<1>"
#define XENLOG_INFO     "<2>"
#define XENLOG_DEBUG    "<3>"
enum log_level { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_NONE = -1 };

void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
void __noreturn panic(const char *fmt, ...) __printf(1, 2);

/* Logs once per call site; for "unimplemented X" reports. */
#define printk_once(fmt, ...) do {              \
        static bool once_;                      \
        if ( !once_ )                           \
        {                                       \
            once_ = true;                       \
            printk(fmt, ##__VA_ARGS__);         \
        }                                       \
    } while ( 0 )

void __noreturn assert_failed(const char *expr, const char *file, int line);
#define BUG_ON(c) do { if ( unlikely(c) ) assert_failed(#c, __FILE__, __LINE__); } while ( 0 )
#define BUG()     assert_failed("BUG", __FILE__, __LINE__)
#ifndef NDEBUG
#define ASSERT(c) BUG_ON(!(c))
#else
#define ASSERT(c) do { } while ( 0 )
#endif

#endif /* XENIA_LIB_H */
