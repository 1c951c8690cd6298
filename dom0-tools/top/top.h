/*
 * top.h: `xenia top`, a xentop-style view of the domains.
 *
 * top.c collects one sample per interval (getdomaininfolist, physinfo,
 * names from the store, VBD and network counters from the kernel's
 * backends and from /run/xenia), filters and sorts it through one table
 * of columns, and prints batch mode; top_json.c is the only user of
 * yajl (the JSON documents and the --check-json validator); top_tui.c
 * is the ncurses screen.  docs/man/xenia-top.md is the user's manual.
 */
#ifndef XENIA_TOP_H
#define XENIA_TOP_H

#include <stdint.h>
#include <stdio.h>
#include <regex.h>

/* `xenia top [OPTIONS]`, argv[0] = "top".  0 ok, 1 failure, 2 usage. */
int xn_top_main(int argc, char **argv);

#define TOP_EXIT_FAIL   1
#define TOP_EXIT_USAGE  2

/* Width of the NAME column unless full names are shown (as xentop). */
#define TOP_NAME_WIDTH  10
/* Delay bounds in seconds (batch and interactive). */
#define TOP_DELAY_MIN   0.1
#define TOP_DELAY_MAX   3600.0

/* One domain in one sample. */
struct top_dom
{
    unsigned int domid;
    char name[64];             /* printable ASCII only                   */
    char state[7];             /* "rbpscd", '-' where a flag is clear    */
    uint64_t cpu_ns;
    double cpu_pct;            /* over the last interval; 0 in the first */
    uint64_t mem_kb;
    double mem_pct;
    uint64_t maxmem_kb;
    int maxmem_unlimited;      /* max_pages is "no limit"                */
    double maxmem_pct;
    unsigned int vcpus;
    unsigned int nets;
    uint64_t net_tx_bytes, net_rx_bytes;   /* the guest's view           */
    unsigned int vbds;
    uint64_t vbd_oo, vbd_rd, vbd_wr, vbd_rsect, vbd_wsect;
};

struct top_host
{
    unsigned int nr_cpus;
    unsigned int cpu_mhz;
    uint64_t total_kb, free_kb;
    unsigned int hv_major, hv_minor;       /* 0.0 when unknown           */
};

struct top_sample
{
    double wall;               /* seconds since the epoch                */
    uint64_t mono_ns;          /* CLOCK_MONOTONIC                        */
    struct top_host host;
    struct top_dom *doms;      /* all domains (unfiltered), domid order  */
    unsigned int nr_doms;
    struct top_dom **view;     /* filtered and sorted                    */
    unsigned int nr_view;
};

/* The columns, in display order; TOP_COL_ID is a sort key only. */
enum top_col_id
{
    TOP_COL_ID,
    TOP_COL_NAME, TOP_COL_STATE, TOP_COL_CPU, TOP_COL_CPU_PCT,
    TOP_COL_MEM, TOP_COL_MEM_PCT, TOP_COL_MAXMEM, TOP_COL_MAXMEM_PCT,
    TOP_COL_VCPUS, TOP_COL_NETS, TOP_COL_NETTX, TOP_COL_NETRX,
    TOP_COL_VBDS, TOP_COL_VBD_OO, TOP_COL_VBD_RD, TOP_COL_VBD_WR,
    TOP_COL_VBD_RSECT, TOP_COL_VBD_WSECT,
    TOP_NR_COLS
};

struct top_opts
{
    int batch;
    long iterations;           /* 0: until quit or killed                */
    double delay;              /* seconds                                */
    enum top_col_id sort;
    int reverse;
    int json;
    int full_name;
    const char *filter;        /* NULL: every domain                     */
    int filter_has_re;
    regex_t filter_re;
};

struct xn_handle;
struct xs_conn;

/* What a sample is taken from. */
struct top_ctx
{
    struct top_opts opts;
    struct xn_handle *xh;
    struct xs_conn *xsc;       /* NULL: names show as "(null)"           */
    const char *fake;          /* XENIA_TOP_FAKE: samples from a file    */
    int defer_errors;          /* the screen is up: keep sampling errors */
};

/* top.c */
int top_sample_take(struct top_ctx *ctx, const struct top_sample *prev,
                    struct top_sample *s);
void top_sample_dispose(struct top_sample *s);
/* The last sampling error ("xenia top: ..."), for the screen to print. */
const char *top_sample_error(void);
/* Filter and sort s->doms into s->view with ctx->opts. */
int top_sample_view(const struct top_opts *o, struct top_sample *s);
const char *top_col_header(enum top_col_id c);
const char *top_col_key(enum top_col_id c);
/* Column header line and one row; the NAME column is 'namew' wide. */
void top_format_header(char *buf, size_t len, int namew,
                       enum top_col_id sorted);
void top_format_row(char *buf, size_t len, int namew,
                    const struct top_dom *d);
int top_name_width(const struct top_opts *o, const struct top_sample *s);
/* Sort order word for the column: "ascending" or "descending". */
const char *top_sort_dir(enum top_col_id c, int reverse);

/* top_json.c */
int top_json_print(FILE *f, const struct top_opts *o,
                   const struct top_sample *s, long iteration);
/* Validate documents on 'in' (one per line); report to out/err. */
int top_json_check(FILE *in, FILE *out, FILE *err);

/* top_tui.c */
int top_tui_run(struct top_ctx *ctx);

#endif /* XENIA_TOP_H */
