/*
 * report.c: RESULT lines and the counters behind the final verdict.
 */
#include "xtest.h"

extern const char *xt_cur_test;
extern unsigned int xt_nr_pass, xt_nr_fail, xt_nr_skip, xt_nr_error;
extern unsigned int xt_cur_reported;

static void report(const char *check, const char *status, const char *fmt,
                   va_list ap)
{
    char detail[200];

    detail[0] = '\0';
    if ( fmt )
        vsnprintf(detail, sizeof(detail), fmt, ap);
    xt_cur_reported++;
    printf("RESULT: %s.%s %s%s%s\n", xt_cur_test ?: "?", check, status,
           detail[0] ? " " : "", detail);
}

void xt_check(const char *check, bool ok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(check, ok ? "PASS" : "FAIL", fmt, ap);
    va_end(ap);
    if ( ok )
        xt_nr_pass++;
    else
        xt_nr_fail++;
}

void xt_skip(const char *check, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(check, "SKIP", fmt, ap);
    va_end(ap);
    xt_nr_skip++;
}

void xt_check_rc(const char *check, long rc, long expected)
{
    if ( rc == expected )
        xt_check(check, true, NULL);
    else
        xt_check(check, false, "rc=%ld expected %ld", rc, expected);
}

void xt_error(const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("xtest: ERROR: %s\n", msg);
    xt_nr_error++;
}
