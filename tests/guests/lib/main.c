/*
 * main.c: the framework's C entry: select the tests named on the command
 * line, run them, print the verdict and power off.
 *
 * Command line (start_info.cmd_line), space-separated words:
 *   tests=a+b+c   run only these tests of the image (default: all);
 *                 ',' also separates, but QEMU's -initrd splits on it;
 *   hc=syscall    make HYPERVISOR_* use raw 'syscall' (default: page).
 */
#include "xtest.h"

#include <public/sched.h>

extern const struct xtest _xtests_start[], _xtests_end[];

start_info_t *xt_start_info;

/* Verdict bookkeeping, shared with report.c. */
const char *xt_cur_test;
unsigned int xt_nr_pass, xt_nr_fail, xt_nr_skip, xt_nr_error;
unsigned int xt_cur_reported;

static char cmdline[MAX_GUEST_CMDLINE];

/* Value of "key=" in the command line, or NULL; *len gets its length. */
static const char *cmdline_opt(const char *key, size_t *len)
{
    size_t klen = strlen(key);
    const char *p = cmdline;

    while ( *p )
    {
        while ( *p == ' ' )
            p++;
        if ( !strncmp(p, key, klen) && p[klen] == '=' )
        {
            const char *v = p + klen + 1, *e = v;

            while ( *e && *e != ' ' )
                e++;
            *len = e - v;
            return v;
        }
        while ( *p && *p != ' ' )
            p++;
    }
    return NULL;
}

/* Is 'name' in the list given by "tests=" (or is there none)? */
static bool selected(const char *name)
{
    size_t len, nlen = strlen(name);
    const char *v = cmdline_opt("tests", &len), *end;

    if ( !v )
        return true;
    for ( end = v + len; v < end; )
    {
        const char *c = v;

        while ( c < end && *c != ',' && *c != '+' )
            c++;
        if ( (size_t)(c - v) == nlen && !strncmp(v, name, nlen) )
            return true;
        v = c + 1;
    }
    return false;
}

static void run_test(const struct xtest *t)
{
    xt_cur_test = t->name;
    xt_cur_reported = 0;
    printf("PLAN: %s %u\n", t->name, t->nr_checks);
    xt_call_guarded(t->fn);
    if ( xt_cur_reported != t->nr_checks )
        xt_error("%s reported %u checks, planned %u", t->name,
                 xt_cur_reported, t->nr_checks);
    xt_cur_test = NULL;
}

static const char *verdict(void)
{
    if ( xt_nr_error )
        return "ERROR";
    if ( xt_nr_fail )
        return "FAILURE";
    if ( !xt_nr_pass )
        return "SKIP";
    return "SUCCESS";
}

void __attribute__((noreturn)) xt_shutdown(unsigned int reason)
{
    struct sched_shutdown sd = { .reason = reason };

    for ( ;; )
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
}

void __attribute__((noreturn)) xt_main(start_info_t *si)
{
    const struct xtest *t;
    unsigned int nr_run = 0;
    size_t len;
    const char *hc;

    xt_start_info = si;
    memcpy(cmdline, si->cmd_line, sizeof(cmdline) - 1);
    hc = cmdline_opt("hc", &len);
    if ( hc && len == 7 && !strncmp(hc, "syscall", 7) )
        xt_hc_mode = XT_HC_SYSCALL;

    printf("xtest: Xenia guest tests starting (cmdline \"%s\")\n", cmdline);

    for ( t = _xtests_start; t < _xtests_end; t++ )
    {
        if ( !selected(t->name) )
            continue;
        run_test(t);
        nr_run++;
    }
    if ( !nr_run )
        xt_error("no test selected");

    printf("xtest: %u passed, %u failed, %u skipped, %u errors\n",
           xt_nr_pass, xt_nr_fail, xt_nr_skip, xt_nr_error);
    printf("Test result: %s\n", verdict());
    xt_shutdown(SHUTDOWN_poweroff);
}
