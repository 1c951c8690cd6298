/*
 * top.c: `xenia top`: options, samples, the column table, batch mode.
 *
 * A sample is one getdomaininfolist sweep plus physinfo, the names from
 * /local/domain/N/name and the device counters of each domain's
 * backends: the kernel's (/sys/devices/xen-backend/vbd-D-N/statistics,
 * the vifD.N lines of /proc/net/dev, whose receive side is the guest's
 * transmit side) and Xenia's own (/run/xenia/{vbd,vif}/D-N/, already in
 * the guest's view).  CPU(%) is the domain's cpu_time delta over the
 * wall-clock delta between two samples; the first sample shows 0.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <public/sched.h>
#include <public/version.h>

#include "xenia_ctrl.h"
#include "xenia_xs.h"
#include "xbuild.h"
#include "top.h"

#define KERNEL_VBD_DIR  "/sys/devices/xen-backend"
#define KERNEL_NET_DEV  "/proc/net/dev"
#define XENIA_VBD_DIR   "/run/xenia/vbd"
#define XENIA_VIF_DIR   "/run/xenia/vif"

/* ------------------------------------------------------------------ */
/* The column table.                                                    */

typedef int top_cmp_fn(const struct top_dom *a, const struct top_dom *b);
typedef void top_fmt_fn(char *buf, size_t len, int w, const struct top_dom *d);

struct top_col
{
    const char *header;        /* as xentop prints it                    */
    const char *key;           /* --sort name                            */
    int width;                 /* 0: the NAME column's own width         */
    int descending;            /* numbers: largest first                 */
    top_cmp_fn *cmp;
    top_fmt_fn *fmt;
};

#define CMP_NUM(a, b) ((a) < (b) ? -1 : (a) > (b))

#define NUM_COL(fn, field)                                              \
static int cmp_##fn(const struct top_dom *a, const struct top_dom *b)   \
{                                                                       \
    return CMP_NUM(a->field, b->field);                                 \
}                                                                       \
static void fmt_##fn(char *buf, size_t len, int w,                      \
                     const struct top_dom *d)                           \
{                                                                       \
    snprintf(buf, len, "%*" PRIu64, w, (uint64_t)(d->field));           \
}

#define PCT_COL(fn, field)                                              \
static int cmp_##fn(const struct top_dom *a, const struct top_dom *b)   \
{                                                                       \
    return CMP_NUM(a->field, b->field);                                 \
}                                                                       \
static void fmt_##fn(char *buf, size_t len, int w,                      \
                     const struct top_dom *d)                           \
{                                                                       \
    snprintf(buf, len, "%*.1f", w, d->field);                           \
}

NUM_COL(id, domid)
NUM_COL(cpu, cpu_ns / 1000000000ULL)
PCT_COL(cpu_pct, cpu_pct)
NUM_COL(mem, mem_kb)
PCT_COL(mem_pct, mem_pct)
NUM_COL(vcpus, vcpus)
NUM_COL(nets, nets)
NUM_COL(nettx, net_tx_bytes / 1024)
NUM_COL(netrx, net_rx_bytes / 1024)
NUM_COL(vbds, vbds)
NUM_COL(vbd_oo, vbd_oo)
NUM_COL(vbd_rd, vbd_rd)
NUM_COL(vbd_wr, vbd_wr)
NUM_COL(vbd_rsect, vbd_rsect)
NUM_COL(vbd_wsect, vbd_wsect)

static int cmp_name(const struct top_dom *a, const struct top_dom *b)
{
    int r = strcasecmp(a->name, b->name);

    return r ? r : strcmp(a->name, b->name);
}

static void fmt_name(char *buf, size_t len, int w, const struct top_dom *d)
{
    snprintf(buf, len, "%*.*s", w, w, d->name);
}

static int cmp_state(const struct top_dom *a, const struct top_dom *b)
{
    return strcmp(a->state, b->state);
}

static void fmt_state(char *buf, size_t len, int w, const struct top_dom *d)
{
    snprintf(buf, len, "%*s", w, d->state);
}

/* "no limit" sorts above every limit. */
static int cmp_maxmem(const struct top_dom *a, const struct top_dom *b)
{
    if ( a->maxmem_unlimited != b->maxmem_unlimited )
        return a->maxmem_unlimited ? 1 : -1;
    return CMP_NUM(a->maxmem_kb, b->maxmem_kb);
}

static void fmt_maxmem(char *buf, size_t len, int w, const struct top_dom *d)
{
    if ( d->maxmem_unlimited )
        snprintf(buf, len, "%*s", w, "no limit");
    else
        snprintf(buf, len, "%*" PRIu64, w, d->maxmem_kb);
}

static void fmt_maxmem_pct(char *buf, size_t len, int w,
                           const struct top_dom *d)
{
    if ( d->maxmem_unlimited )
        snprintf(buf, len, "%*s", w, "n/a");
    else
        snprintf(buf, len, "%*.1f", w, d->maxmem_pct);
}

static const struct top_col cols[TOP_NR_COLS] = {
    [TOP_COL_ID]        = { "ID", "id", 5, 0, cmp_id, fmt_id },
    [TOP_COL_NAME]      = { "NAME", "name", 0, 0, cmp_name, fmt_name },
    [TOP_COL_STATE]     = { "STATE", "state", 6, 0, cmp_state, fmt_state },
    [TOP_COL_CPU]       = { "CPU(sec)", "cpu", 10, 1, cmp_cpu, fmt_cpu },
    [TOP_COL_CPU_PCT]   = { "CPU(%)", "cpu%", 6, 1, cmp_cpu_pct,
                            fmt_cpu_pct },
    [TOP_COL_MEM]       = { "MEM(k)", "mem", 10, 1, cmp_mem, fmt_mem },
    [TOP_COL_MEM_PCT]   = { "MEM(%)", "mem%", 6, 1, cmp_mem_pct,
                            fmt_mem_pct },
    [TOP_COL_MAXMEM]    = { "MAXMEM(k)", "maxmem", 10, 1, cmp_maxmem,
                            fmt_maxmem },
    [TOP_COL_MAXMEM_PCT] = { "MAXMEM(%)", "maxmem%", 9, 1, cmp_maxmem,
                             fmt_maxmem_pct },
    [TOP_COL_VCPUS]     = { "VCPUS", "vcpus", 5, 1, cmp_vcpus, fmt_vcpus },
    [TOP_COL_NETS]      = { "NETS", "nets", 4, 1, cmp_nets, fmt_nets },
    [TOP_COL_NETTX]     = { "NETTX(k)", "nettx", 8, 1, cmp_nettx,
                            fmt_nettx },
    [TOP_COL_NETRX]     = { "NETRX(k)", "netrx", 8, 1, cmp_netrx,
                            fmt_netrx },
    [TOP_COL_VBDS]      = { "VBDS", "vbds", 4, 1, cmp_vbds, fmt_vbds },
    [TOP_COL_VBD_OO]    = { "VBD_OO", "vbd_oo", 8, 1, cmp_vbd_oo,
                            fmt_vbd_oo },
    [TOP_COL_VBD_RD]    = { "VBD_RD", "vbd_rd", 8, 1, cmp_vbd_rd,
                            fmt_vbd_rd },
    [TOP_COL_VBD_WR]    = { "VBD_WR", "vbd_wr", 8, 1, cmp_vbd_wr,
                            fmt_vbd_wr },
    [TOP_COL_VBD_RSECT] = { "VBD_RSECT", "vbd_rsect", 10, 1, cmp_vbd_rsect,
                            fmt_vbd_rsect },
    [TOP_COL_VBD_WSECT] = { "VBD_WSECT", "vbd_wsect", 10, 1, cmp_vbd_wsect,
                            fmt_vbd_wsect },
};

const char *top_col_header(enum top_col_id c)
{
    return cols[c].header;
}

const char *top_col_key(enum top_col_id c)
{
    return cols[c].key;
}

const char *top_sort_dir(enum top_col_id c, int reverse)
{
    return (cols[c].descending != reverse) ? "descending" : "ascending";
}

/* A --sort argument: the key or the header, any case; -1 if unknown. */
static int col_lookup(const char *s)
{
    int c;

    for ( c = 0; c < TOP_NR_COLS; c++ )
        if ( !strcasecmp(s, cols[c].key) || !strcasecmp(s, cols[c].header) )
            return c;
    return -1;
}

static int col_width(enum top_col_id c, int namew)
{
    return cols[c].width ? cols[c].width : namew;
}

/* Append "text" to buf at *pos with a separating space. */
static void put_cell(char *buf, size_t len, size_t *pos, const char *text)
{
    int n;

    if ( *pos >= len )
        return;
    n = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? " " : "", text);
    if ( n > 0 )
        *pos += n;
}

void top_format_header(char *buf, size_t len, int namew,
                       enum top_col_id sorted)
{
    char cell[64];
    size_t pos = 0;
    int c;

    (void)sorted;
    buf[0] = 0;
    for ( c = TOP_COL_NAME; c < TOP_NR_COLS; c++ )
    {
        snprintf(cell, sizeof(cell), "%*s", col_width(c, namew),
                 cols[c].header);
        put_cell(buf, len, &pos, cell);
    }
}

void top_format_row(char *buf, size_t len, int namew,
                    const struct top_dom *d)
{
    char cell[96];
    size_t pos = 0;
    int c;

    buf[0] = 0;
    for ( c = TOP_COL_NAME; c < TOP_NR_COLS; c++ )
    {
        cols[c].fmt(cell, sizeof(cell), col_width(c, namew), d);
        put_cell(buf, len, &pos, cell);
    }
}

int top_name_width(const struct top_opts *o, const struct top_sample *s)
{
    unsigned int i;
    int w = TOP_NAME_WIDTH, n;

    if ( !o->full_name )
        return w;
    for ( i = 0; i < s->nr_view; i++ )
    {
        n = strlen(s->view[i]->name);
        if ( n > w )
            w = n;
    }
    return w;
}

/* ------------------------------------------------------------------ */
/* Filter and sort.                                                     */

static int filter_match(const struct top_opts *o, const struct top_dom *d)
{
    if ( !o->filter )
        return 1;
    if ( !fnmatch(o->filter, d->name, 0) )
        return 1;
    return o->filter_has_re && !regexec(&o->filter_re, d->name, 0, NULL, 0);
}

/* qsort has no context argument: the order is set just before. */
static enum top_col_id sort_col;
static int sort_sign;

static int dom_order(const void *pa, const void *pb)
{
    const struct top_dom *a = *(struct top_dom *const *)pa;
    const struct top_dom *b = *(struct top_dom *const *)pb;
    int r = cols[sort_col].cmp(a, b) * sort_sign;

    return r ? r : CMP_NUM(a->domid, b->domid);
}

int top_sample_view(const struct top_opts *o, struct top_sample *s)
{
    unsigned int i;

    free(s->view);
    s->nr_view = 0;
    s->view = calloc(s->nr_doms ? s->nr_doms : 1, sizeof(*s->view));
    if ( !s->view )
        return -ENOMEM;
    for ( i = 0; i < s->nr_doms; i++ )
        if ( filter_match(o, &s->doms[i]) )
            s->view[s->nr_view++] = &s->doms[i];
    sort_col = o->sort;
    sort_sign = (cols[o->sort].descending != o->reverse) ? -1 : 1;
    qsort(s->view, s->nr_view, sizeof(*s->view), dom_order);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Device counters.                                                     */

struct top_dev
{
    int is_net;
    unsigned int domid, devid;
    uint64_t v[5];             /* vbd: oo rd wr rsect wsect; net: tx rx  */
};

struct top_devs
{
    struct top_dev *d;
    unsigned int n, cap;
};

/* Add a device unless the same one came from an earlier source. */
static void dev_add(struct top_devs *ds, const struct top_dev *nd)
{
    unsigned int i;
    struct top_dev *p;

    for ( i = 0; i < ds->n; i++ )
        if ( ds->d[i].is_net == nd->is_net && ds->d[i].domid == nd->domid &&
             ds->d[i].devid == nd->devid )
            return;
    if ( ds->n == ds->cap )
    {
        p = realloc(ds->d, (ds->cap ? ds->cap * 2 : 16) * sizeof(*p));
        if ( !p )
            return;
        ds->d = p;
        ds->cap = ds->cap ? ds->cap * 2 : 16;
    }
    ds->d[ds->n++] = *nd;
}

/* One unsigned decimal from a small file; 0 when absent or garbled. */
static uint64_t read_u64(const char *dir, const char *name)
{
    char path[1400], buf[32];
    unsigned long long v;
    FILE *f;
    char *end;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    if ( !f )
        return 0;
    if ( !fgets(buf, sizeof(buf), f) )
        buf[0] = 0;
    fclose(f);
    errno = 0;
    v = strtoull(buf, &end, 10);
    if ( errno || end == buf || (*end && !isspace((unsigned char)*end)) )
        return 0;
    return v;
}

/* "PREFIX D-N" exactly, D a domid and N a device id. */
static int parse_dev_name(const char *s, const char *prefix,
                          unsigned int *domid, unsigned int *devid)
{
    size_t pl = strlen(prefix);
    int n = -1;

    if ( strncmp(s, prefix, pl) )
        return -1;
    if ( sscanf(s + pl, "%u-%u%n", domid, devid, &n) != 2 || n < 0 ||
         s[pl + n] || *domid >= DOMID_FIRST_RESERVED )
        return -1;
    return 0;
}

static const char *const vbd_files[5] = {
    "oo_req", "rd_req", "wr_req", "rd_sect", "wr_sect"
};

/* VBDs under dir whose entries are PREFIX D-N, counters in D-N/SUB. */
static void scan_vbds(struct top_devs *ds, const char *dir,
                      const char *prefix, const char *sub)
{
    char path[1024];
    struct top_dev nd;
    struct dirent *e;
    DIR *dp = opendir(dir);
    int i;

    if ( !dp )
        return;
    while ( (e = readdir(dp)) )
    {
        memset(&nd, 0, sizeof(nd));
        if ( parse_dev_name(e->d_name, prefix, &nd.domid, &nd.devid) )
            continue;
        snprintf(path, sizeof(path), "%s/%s%s", dir, e->d_name, sub);
        for ( i = 0; i < 5; i++ )
            nd.v[i] = read_u64(path, vbd_files[i]);
        dev_add(ds, &nd);
    }
    closedir(dp);
}

/* Xenia's vifs: /run/xenia/vif/D-N/{tx,rx}_bytes in the guest's view. */
static void scan_xenia_vifs(struct top_devs *ds, const char *dir)
{
    char path[1024];
    struct top_dev nd;
    struct dirent *e;
    DIR *dp = opendir(dir);

    if ( !dp )
        return;
    while ( (e = readdir(dp)) )
    {
        memset(&nd, 0, sizeof(nd));
        nd.is_net = 1;
        if ( parse_dev_name(e->d_name, "", &nd.domid, &nd.devid) )
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        nd.v[0] = read_u64(path, "tx_bytes");
        nd.v[1] = read_u64(path, "rx_bytes");
        dev_add(ds, &nd);
    }
    closedir(dp);
}

/*
 * The kernel's vifs: "vifD.N: rx_bytes rx_packets ... tx_bytes ..." in
 * /proc/net/dev.  The backend receives what the guest transmits.
 */
static void scan_kernel_vifs(struct top_devs *ds, const char *netdev)
{
    unsigned long long f[9];
    struct top_dev nd;
    char line[512];
    FILE *fp = fopen(netdev, "r");
    char *p;
    int n;

    if ( !fp )
        return;
    while ( fgets(line, sizeof(line), fp) )
    {
        memset(&nd, 0, sizeof(nd));
        nd.is_net = 1;
        p = line + strspn(line, " ");
        n = -1;
        if ( sscanf(p, "vif%u.%u:%n", &nd.domid, &nd.devid, &n) != 2 ||
             n < 0 || nd.domid >= DOMID_FIRST_RESERVED )
            continue;
        if ( sscanf(p + n, "%llu %llu %llu %llu %llu %llu %llu %llu %llu",
                    &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
                    &f[8]) != 9 )
            continue;
        nd.v[0] = f[0];        /* guest tx = vif rx bytes               */
        nd.v[1] = f[8];        /* guest rx = vif tx bytes               */
        dev_add(ds, &nd);
    }
    fclose(fp);
}

static void devs_apply(const struct top_devs *ds, struct top_sample *s)
{
    const struct top_dev *v;
    struct top_dom *d;
    unsigned int i, j;

    for ( i = 0; i < ds->n; i++ )
    {
        v = &ds->d[i];
        for ( j = 0; j < s->nr_doms && s->doms[j].domid != v->domid; j++ )
            ;
        if ( j == s->nr_doms )
            continue;
        d = &s->doms[j];
        if ( v->is_net )
        {
            d->nets++;
            d->net_tx_bytes += v->v[0];
            d->net_rx_bytes += v->v[1];
        }
        else
        {
            d->vbds++;
            d->vbd_oo += v->v[0];
            d->vbd_rd += v->v[1];
            d->vbd_wr += v->v[2];
            d->vbd_rsect += v->v[3];
            d->vbd_wsect += v->v[4];
        }
    }
}

/* The device files, under 'root' ("" normally; XENIA_TOP_FAKE's FILE.d). */
static void sample_devices(const char *root, struct top_sample *s)
{
    struct top_devs ds = { 0 };
    char p[4][512];

    snprintf(p[0], sizeof(p[0]), "%s" KERNEL_VBD_DIR, root);
    snprintf(p[1], sizeof(p[1]), "%s" XENIA_VBD_DIR, root);
    snprintf(p[2], sizeof(p[2]), "%s" KERNEL_NET_DEV, root);
    snprintf(p[3], sizeof(p[3]), "%s" XENIA_VIF_DIR, root);
    scan_vbds(&ds, p[0], "vbd-", "/statistics");
    scan_vbds(&ds, p[1], "", "");
    scan_kernel_vifs(&ds, p[2]);
    scan_xenia_vifs(&ds, p[3]);
    devs_apply(&ds, s);
    free(ds.d);
}

/* ------------------------------------------------------------------ */
/* Samples.                                                             */

/*
 * A sampling error: printed at once, or kept while the screen is up
 * (ctx->defer_errors) for top_tui_run to print after endwin().
 */
static char sample_err[256];

static void sample_error(const struct top_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sample_error(const struct top_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(sample_err, sizeof(sample_err), "xenia top: ");
    va_start(ap, fmt);
    vsnprintf(sample_err + n, sizeof(sample_err) - n, fmt, ap);
    va_end(ap);
    if ( !ctx->defer_errors )
        fprintf(stderr, "%s\n", sample_err);
}

const char *top_sample_error(void)
{
    return sample_err;
}

static void state_letters(const struct xen_domctl_getdomaininfo *di,
                          char *s)
{
    uint32_t f = di->flags;
    int crashed = (f & XEN_DOMINF_shutdown) &&
                  xb_shutdown_reason(di) == SHUTDOWN_crash;

    strcpy(s, "------");
    if ( f & XEN_DOMINF_running )
        s[0] = 'r';
    if ( f & XEN_DOMINF_blocked )
        s[1] = 'b';
    if ( f & XEN_DOMINF_paused )
        s[2] = 'p';
    if ( (f & XEN_DOMINF_shutdown) && !crashed )
        s[3] = 's';
    if ( crashed )
        s[4] = 'c';
    if ( f & XEN_DOMINF_dying )
        s[5] = 'd';
}

/* The store's name, with anything not printable ASCII made '?'. */
static void dom_name(struct top_ctx *ctx, unsigned int domid, char *out,
                     size_t len)
{
    char path[64], *v = NULL;

    if ( domid == 0 )
    {
        snprintf(out, len, "Domain-0");
        return;
    }
    if ( ctx->xsc )
    {
        snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
        v = xs_read(ctx->xsc, 0, path, NULL);
    }
    snprintf(out, len, "%s", v && *v ? v : "(null)");
    free(v);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int sample_host(struct top_ctx *ctx, struct top_sample *s)
{
    struct xen_sysctl_physinfo pi;
    long rc, v;

    memset(&pi, 0, sizeof(pi));
    rc = xn_physinfo(ctx->xh, &pi);
    if ( rc < 0 )
    {
        sample_error(ctx, "XEN_SYSCTL_physinfo: %s", strerror(-rc));
        return -1;
    }
    s->host.nr_cpus = pi.nr_cpus;
    s->host.cpu_mhz = pi.cpu_khz / 1000;
    s->host.total_kb = pi.total_pages * (XN_PAGE_SIZE / 1024);
    s->host.free_kb = pi.free_pages * (XN_PAGE_SIZE / 1024);
    v = xn_hypercall(ctx->xh, __HYPERVISOR_xen_version, XENVER_version,
                     0, 0, 0, 0);
    if ( v > 0 )
    {
        s->host.hv_major = (unsigned long)v >> 16;
        s->host.hv_minor = v & 0xffff;
    }
    return 0;
}

static void fill_dom(struct top_ctx *ctx, const struct top_sample *prev,
                     const struct xen_domctl_getdomaininfo *di,
                     const char *name, struct top_sample *s,
                     struct top_dom *d)
{
    double total_kb = s->host.total_kb ? (double)s->host.total_kb : 1.0;
    uint64_t dt;
    unsigned int i;
    char *p;

    memset(d, 0, sizeof(*d));
    d->domid = di->domain;
    if ( name )
        snprintf(d->name, sizeof(d->name), "%s", name);
    else
        dom_name(ctx, d->domid, d->name, sizeof(d->name));
    for ( p = d->name; *p; p++ )
        if ( *p < 0x20 || *p > 0x7e )
            *p = '?';
    state_letters(di, d->state);
    d->cpu_ns = di->cpu_time;
    d->mem_kb = di->tot_pages * (XN_PAGE_SIZE / 1024);
    d->mem_pct = d->mem_kb * 100.0 / total_kb;
    /* libxenstat's "no limit": max_pages of ~0u (or wider). */
    d->maxmem_unlimited = di->max_pages >= UINT32_MAX;
    if ( !d->maxmem_unlimited )
    {
        d->maxmem_kb = di->max_pages * (XN_PAGE_SIZE / 1024);
        d->maxmem_pct = d->maxmem_kb * 100.0 / total_kb;
    }
    d->vcpus = di->nr_online_vcpus;
    if ( !prev || s->mono_ns <= prev->mono_ns )
        return;
    dt = s->mono_ns - prev->mono_ns;
    for ( i = 0; i < prev->nr_doms; i++ )
        if ( prev->doms[i].domid == d->domid &&
             prev->doms[i].cpu_ns <= d->cpu_ns )
            d->cpu_pct = (d->cpu_ns - prev->doms[i].cpu_ns) * 100.0 / dt;
}

/* Every domain, domid order; 0 or -1 (message printed). */
static int sample_domains(struct top_ctx *ctx, const struct top_sample *prev,
                          struct top_sample *s)
{
    struct xen_domctl_getdomaininfo info[64];
    struct top_dom *p;
    unsigned int next = 0, i;
    long n;

    for ( ;; )
    {
        n = xn_domain_list(ctx->xh, next, info, 64);
        if ( n < 0 )
        {
            sample_error(ctx, "XEN_SYSCTL_getdomaininfolist: %s",
                         strerror(-n));
            return -1;
        }
        if ( n == 0 || n > 64 )
            break;
        p = realloc(s->doms, (s->nr_doms + n) * sizeof(*p));
        if ( !p )
        {
            sample_error(ctx, "out of memory");
            return -1;
        }
        s->doms = p;
        for ( i = 0; i < n; i++ )
            fill_dom(ctx, prev, &info[i], NULL, s, &s->doms[s->nr_doms++]);
        if ( info[n - 1].domain + 1U >= DOMID_FIRST_RESERVED )
            break;
        next = info[n - 1].domain + 1U;
    }
    return 0;
}

/*
 * XENIA_TOP_FAKE=FILE (host tests, docs/man/xenia-top.md): the sample
 * comes from FILE, read again each interval, instead of the hypervisor:
 *   host CPUS MHZ TOTAL_PAGES FREE_PAGES
 *   dom DOMID NAME STATE TOT_PAGES MAX_PAGES CPU_NS VCPUS
 * STATE as the STATE column ("-b----"); MAX_PAGES "-" is no limit.
 * Device counters come from FILE.d/sys/..., FILE.d/proc/net/dev and
 * FILE.d/run/xenia/... laid out as on a dom0.
 */
static uint32_t fake_flags(const char *st)
{
    static const uint32_t bit[6] = {
        XEN_DOMINF_running, XEN_DOMINF_blocked, XEN_DOMINF_paused,
        XEN_DOMINF_shutdown, XEN_DOMINF_shutdown, XEN_DOMINF_dying
    };
    uint32_t f = 0;
    int i;

    for ( i = 0; i < 6 && st[i]; i++ )
        if ( st[i] != '-' )
            f |= bit[i];
    if ( strlen(st) > 4 && st[4] != '-' )
        f |= SHUTDOWN_crash << XEN_DOMINF_shutdownshift;
    return f;
}

static int fake_line(struct top_ctx *ctx, const struct top_sample *prev,
                     const char *line, struct top_sample *s)
{
    struct xen_domctl_getdomaininfo di;
    unsigned long long tot, cpu, total, freep;
    unsigned int domid, vcpus, cpus, mhz;
    char name[64], st[8], maxs[24];
    struct top_dom *p;

    if ( sscanf(line, "host %u %u %llu %llu", &cpus, &mhz, &total,
                &freep) == 4 )
    {
        s->host.nr_cpus = cpus;
        s->host.cpu_mhz = mhz;
        s->host.total_kb = total * (XN_PAGE_SIZE / 1024);
        s->host.free_kb = freep * (XN_PAGE_SIZE / 1024);
        return 0;
    }
    if ( sscanf(line, "dom %u %63s %7s %llu %23s %llu %u", &domid, name, st,
                &tot, maxs, &cpu, &vcpus) != 7 )
        return line[strspn(line, " \t\n")] && line[0] != '#' ? -1 : 0;
    memset(&di, 0, sizeof(di));
    di.domain = domid;
    di.flags = fake_flags(st);
    di.tot_pages = tot;
    di.max_pages = strcmp(maxs, "-") ? strtoull(maxs, NULL, 10) : ~0ULL;
    di.cpu_time = cpu;
    di.nr_online_vcpus = vcpus;
    p = realloc(s->doms, (s->nr_doms + 1) * sizeof(*p));
    if ( !p )
        return -1;
    s->doms = p;
    fill_dom(ctx, prev, &di, name, s, &s->doms[s->nr_doms++]);
    return 0;
}

static int sample_fake(struct top_ctx *ctx, const struct top_sample *prev,
                       struct top_sample *s)
{
    char line[256];
    FILE *f = fopen(ctx->fake, "r");
    long n = 0;

    if ( !f )
    {
        sample_error(ctx, "XENIA_TOP_FAKE=%s: %s", ctx->fake,
                     strerror(errno));
        return -1;
    }
    /* The host line comes first: MEM(%) needs its total. */
    while ( fgets(line, sizeof(line), f) )
        if ( ++n && fake_line(ctx, prev, line, s) )
        {
            sample_error(ctx, "XENIA_TOP_FAKE=%s:%ld: not a host or dom line",
                         ctx->fake, n);
            fclose(f);
            return -1;
        }
    fclose(f);
    return 0;
}

int top_sample_take(struct top_ctx *ctx, const struct top_sample *prev,
                    struct top_sample *s)
{
    memset(s, 0, sizeof(*s));
    s->wall = time(NULL);
    s->mono_ns = mono_ns();
    if ( ctx->fake ? sample_fake(ctx, prev, s)
                   : sample_host(ctx, s) || sample_domains(ctx, prev, s) )
    {
        top_sample_dispose(s);
        return -1;
    }
    if ( ctx->fake )
    {
        char root[512];

        snprintf(root, sizeof(root), "%s.d", ctx->fake);
        sample_devices(root, s);
    }
    else
        sample_devices("", s);
    if ( top_sample_view(&ctx->opts, s) )
    {
        sample_error(ctx, "out of memory");
        top_sample_dispose(s);
        return -1;
    }
    return 0;
}

void top_sample_dispose(struct top_sample *s)
{
    free(s->doms);
    free(s->view);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Batch mode.                                                          */

static volatile sig_atomic_t batch_stop;

static void batch_signal(int sig)
{
    (void)sig;
    batch_stop = 1;
}

static void print_table(const struct top_opts *o, const struct top_sample *s)
{
    char line[1024];
    int namew = top_name_width(o, s);
    unsigned int i;

    top_format_header(line, sizeof(line), namew, o->sort);
    printf("%s\n", line);
    for ( i = 0; i < s->nr_view; i++ )
    {
        top_format_row(line, sizeof(line), namew, s->view[i]);
        printf("%s\n", line);
    }
}

/* Sleep 'secs' unless a signal stops the run first. */
static void batch_sleep(double secs)
{
    struct timespec ts;

    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - ts.tv_sec) * 1e9);
    while ( !batch_stop && nanosleep(&ts, &ts) && errno == EINTR )
        ;
}

static int run_batch(struct top_ctx *ctx)
{
    struct top_sample prev = { 0 }, cur;
    struct sigaction sa;
    long it;
    int rc = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = batch_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    for ( it = 0; !batch_stop && (!ctx->opts.iterations ||
                                  it < ctx->opts.iterations); it++ )
    {
        if ( it )
            batch_sleep(ctx->opts.delay);
        if ( top_sample_take(ctx, it ? &prev : NULL, &cur) )
        {
            rc = TOP_EXIT_FAIL;
            break;
        }
        if ( ctx->opts.json )
            rc = top_json_print(stdout, &ctx->opts, &cur, it + 1);
        else
            print_table(&ctx->opts, &cur);
        top_sample_dispose(&prev);
        prev = cur;
        if ( fflush(stdout) || ferror(stdout) || rc )
        {
            fprintf(stderr, "xenia top: writing the output failed\n");
            rc = TOP_EXIT_FAIL;
            break;
        }
    }
    top_sample_dispose(&prev);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Options and the entry point.                                         */

static const char top_usage[] =
    "usage: xenia top [-b] [-i N] [-d SECS] [-s COL] [-r] [-f] "
    "[--filter PATTERN] [--json]\n"
    "       xenia top --check-json < DOCUMENTS\n";

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "xenia top: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", top_usage);
    return TOP_EXIT_USAGE;
}

static int parse_delay(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if ( errno || end == s || *end || !(v >= TOP_DELAY_MIN) ||
         v > TOP_DELAY_MAX )
        return -1;
    *out = v;
    return 0;
}

static int parse_iterations(const char *s, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if ( errno || end == s || *end || v < 1 )
        return -1;
    *out = v;
    return 0;
}

enum { OPT_FILTER = 256, OPT_JSON, OPT_CHECK_JSON };

static const struct option long_opts[] = {
    { "batch", no_argument, NULL, 'b' },
    { "iterations", required_argument, NULL, 'i' },
    { "delay", required_argument, NULL, 'd' },
    { "sort", required_argument, NULL, 's' },
    { "reverse", no_argument, NULL, 'r' },
    { "full-name", no_argument, NULL, 'f' },
    { "filter", required_argument, NULL, OPT_FILTER },
    { "json", no_argument, NULL, OPT_JSON },
    { "check-json", no_argument, NULL, OPT_CHECK_JSON },
    { NULL, 0, NULL, 0 }
};

/* 0, or an exit code (message printed); *check_json for --check-json. */
static int parse_opts(int argc, char **argv, struct top_opts *o,
                      int *check_json)
{
    int opt, c;

    optind = 1;
    opterr = 0;
    while ( (opt = getopt_long(argc, argv, ":bi:d:s:rf", long_opts,
                               NULL)) != -1 )
    {
        switch ( opt )
        {
        case 'b': o->batch = 1; break;
        case 'r': o->reverse = 1; break;
        case 'f': o->full_name = 1; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_CHECK_JSON: *check_json = 1; break;
        case OPT_FILTER: o->filter = optarg; break;
        case 'i':
            if ( parse_iterations(optarg, &o->iterations) )
                return usage("-i wants a whole number of iterations >= 1, "
                             "not '%s'", optarg);
            break;
        case 'd':
            if ( parse_delay(optarg, &o->delay) )
                return usage("-d wants seconds between 0.1 and 3600, "
                             "not '%s'", optarg);
            break;
        case 's':
            c = col_lookup(optarg);
            if ( c < 0 )
                return usage("no column '%s' to sort by (id, name, state, "
                             "cpu, cpu%%, mem, mem%%, maxmem, maxmem%%, "
                             "vcpus, nets, nettx, netrx, vbds, vbd_oo, "
                             "vbd_rd, vbd_wr, vbd_rsect, vbd_wsect)", optarg);
            o->sort = c;
            break;
        case ':':
            return usage("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if ( optind < argc )
        return usage("unexpected argument '%s'", argv[optind]);
    if ( o->json && !o->batch )
        return usage("%s works in batch mode only (add -b)", "--json");
    if ( o->iterations && !o->batch )
        return usage("%s works in batch mode only (add -b)", "-i");
    return 0;
}

/* The --filter regex, anchored: the whole name must match, as the glob. */
static int compile_filter(struct top_opts *o)
{
    size_t n;
    char *re;

    if ( !o->filter )
        return 0;
    if ( !*o->filter )
        return usage("%sthe --filter pattern is empty", "");
    n = strlen(o->filter) + 5;
    re = malloc(n);
    if ( !re )
    {
        fprintf(stderr, "xenia top: out of memory\n");
        return TOP_EXIT_FAIL;
    }
    snprintf(re, n, "^(%s)$", o->filter);
    /* Not a valid regex (a glob such as "*web"): the glob alone decides. */
    o->filter_has_re = !regcomp(&o->filter_re, re, REG_EXTENDED | REG_NOSUB);
    free(re);
    return 0;
}

int xn_top_main(int argc, char **argv)
{
    struct top_ctx ctx;
    int check_json = 0, rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.opts.delay = 3.0;
    ctx.opts.sort = TOP_COL_ID;
    rc = parse_opts(argc, argv, &ctx.opts, &check_json);
    if ( rc )
        return rc;
    if ( check_json )
        return top_json_check(stdin, stdout, stderr);
    rc = compile_filter(&ctx.opts);
    if ( rc )
        return rc;
    ctx.fake = getenv("XENIA_TOP_FAKE");
    if ( ctx.fake && *ctx.fake )
        goto run;
    ctx.fake = NULL;
    ctx.xh = xn_open();
    if ( !ctx.xh )
    {
        fprintf(stderr, "xenia top: cannot open /dev/xen/privcmd: %s "
                "(is this a Xen/Xenia dom0?)\n", strerror(errno));
        rc = TOP_EXIT_FAIL;
        goto out;
    }
    ctx.xsc = xs_open(XS_OPEN_ANY);
 run:
    rc = ctx.opts.batch ? run_batch(&ctx) : top_tui_run(&ctx);
 out:
    if ( ctx.xsc )
        xs_close(ctx.xsc);
    if ( ctx.xh )
        xn_close(ctx.xh);
    if ( ctx.opts.filter_has_re )
        regfree(&ctx.opts.filter_re);
    return rc;
}
