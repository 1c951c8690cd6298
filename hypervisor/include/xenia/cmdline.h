/*
 * Hypervisor command-line parsing.
 *
 * The command line is a space-separated list of options: "name",
 * "no-name" (booleans), or "name=value". Each known option is described by
 * one struct param in a table; cmdline_parse() walks the line once, calls
 * the matching handler, and reports unknown options and bad values through
 * the caller's report function without stopping (an unknown option is never
 * fatal). Pure logic: also compiled into the host unit tests.
 */
#ifndef XENIA_CMDLINE_H
#define XENIA_CMDLINE_H

#include <xenia/types.h>

enum param_type {
    PARAM_BOOL,     /* bool *; "x", "no-x", "x=yes|no|on|off|true|false|1|0" */
    PARAM_UINT,     /* unsigned long *; decimal or 0x-prefixed */
    PARAM_SIZE,     /* unsigned long long *; with K/M/G/T suffix */
    PARAM_STRING,   /* char[len] */
    PARAM_CUSTOM,   /* parse(value) returns 0 or a negative errno */
};

struct param {
    const char *name;
    enum param_type type;
    void *var;
    size_t len;
    int (*parse)(const char *value);
};

typedef void (*cmdline_report_fn)(const char *what, const char *option);

/* Returns the number of problems reported (unknown options, bad values). */
int cmdline_parse(const char *line, const struct param *params, size_t nr,
                  cmdline_report_fn report);

/*
 * Parses "<number>[K|M|G|T]" (binary units; no suffix = bytes for
 * size_unit 0). Returns 0 on success with *end after the parsed text.
 */
int parse_size(const char *s, const char **end, unsigned long long *out);

/*
 * dom0_mem=[min:<sz>,][max:<sz>,][<sz>|-<sz>] as in Xen. A leading '-' on
 * the amount means "all memory but this much".
 */
struct dom0_mem_spec {
    unsigned long long amount, min, max;
    bool have_amount, amount_is_negative, have_min, have_max;
};
int parse_dom0_mem(const char *s, struct dom0_mem_spec *spec);

/* Resolves a spec against the memory available; returns bytes for dom0. */
unsigned long long dom0_mem_resolve(const struct dom0_mem_spec *spec,
                                    unsigned long long avail);

#endif /* XENIA_CMDLINE_H */
