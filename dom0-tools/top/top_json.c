/*
 * top_json.c: `xenia top`'s JSON, the one module that uses yajl.
 *
 * top_json_print writes one document per sample on one line (schema
 * "xenia-top/1", docs/man/xenia-top.md); top_json_check parses such
 * lines back with yajl's tree parser and checks every field's type and
 * range, for tests that have no jq (busybox dom0).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "top.h"

#define TOP_JSON_SCHEMA "xenia-top/1"

/* ------------------------------------------------------------------ */
/* Generation.                                                          */

static void gen_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void gen_str(yajl_gen g, const char *k, const char *v)
{
    gen_key(g, k);
    if ( v )
        yajl_gen_string(g, (const unsigned char *)v, strlen(v));
    else
        yajl_gen_null(g);
}

static void gen_int(yajl_gen g, const char *k, uint64_t v)
{
    gen_key(g, k);
    yajl_gen_integer(g, v > (uint64_t)INT64_MAX ? INT64_MAX : (long long)v);
}

/* A fraction with 'prec' decimals: yajl_gen_double would print %.20g. */
static void gen_fixed(yajl_gen g, double v, int prec)
{
    char buf[48];
    int n = snprintf(buf, sizeof(buf), "%.*f", prec, v);

    yajl_gen_number(g, buf, n);
}

static void gen_num(yajl_gen g, const char *k, double v, int prec)
{
    gen_key(g, k);
    gen_fixed(g, v, prec);
}

static void gen_host(yajl_gen g, const struct top_sample *s)
{
    char ver[32];

    gen_key(g, "host");
    yajl_gen_map_open(g);
    gen_int(g, "cpus", s->host.nr_cpus);
    gen_int(g, "cpu_mhz", s->host.cpu_mhz);
    gen_int(g, "total_kb", s->host.total_kb);
    gen_int(g, "free_kb", s->host.free_kb);
    snprintf(ver, sizeof(ver), "%u.%u", s->host.hv_major, s->host.hv_minor);
    gen_str(g, "hypervisor", s->host.hv_major ? ver : NULL);
    gen_int(g, "domains", s->nr_doms);
    yajl_gen_map_close(g);
}

static void gen_dom(yajl_gen g, const struct top_dom *d)
{
    yajl_gen_map_open(g);
    gen_int(g, "domid", d->domid);
    gen_str(g, "name", d->name);
    gen_str(g, "state", d->state);
    gen_int(g, "cpu_ns", d->cpu_ns);
    gen_int(g, "cpu_sec", d->cpu_ns / 1000000000ULL);
    gen_num(g, "cpu_pct", d->cpu_pct, 2);
    gen_int(g, "mem_kb", d->mem_kb);
    gen_num(g, "mem_pct", d->mem_pct, 2);
    gen_key(g, "maxmem_kb");
    if ( d->maxmem_unlimited )
        yajl_gen_null(g);
    else
        yajl_gen_integer(g, d->maxmem_kb);
    gen_key(g, "maxmem_pct");
    if ( d->maxmem_unlimited )
        yajl_gen_null(g);
    else
        gen_fixed(g, d->maxmem_pct, 2);
    gen_int(g, "vcpus", d->vcpus);
    gen_int(g, "nets", d->nets);
    gen_int(g, "net_tx_kb", d->net_tx_bytes / 1024);
    gen_int(g, "net_rx_kb", d->net_rx_bytes / 1024);
    gen_int(g, "vbds", d->vbds);
    gen_int(g, "vbd_oo", d->vbd_oo);
    gen_int(g, "vbd_rd", d->vbd_rd);
    gen_int(g, "vbd_wr", d->vbd_wr);
    gen_int(g, "vbd_rsect", d->vbd_rsect);
    gen_int(g, "vbd_wsect", d->vbd_wsect);
    yajl_gen_map_close(g);
}

int top_json_print(FILE *f, const struct top_opts *o,
                   const struct top_sample *s, long iteration)
{
    const unsigned char *buf;
    size_t len;
    unsigned int i;
    yajl_gen g = yajl_gen_alloc(NULL);
    int rc = 0;

    if ( !g )
        return -ENOMEM;
    yajl_gen_map_open(g);
    gen_str(g, "schema", TOP_JSON_SCHEMA);
    gen_int(g, "iteration", iteration);
    gen_int(g, "time", (uint64_t)s->wall);
    gen_num(g, "delay", o->delay, 3);
    gen_key(g, "sort");
    yajl_gen_map_open(g);
    gen_str(g, "column", top_col_key(o->sort));
    gen_str(g, "order", top_sort_dir(o->sort, o->reverse));
    yajl_gen_map_close(g);
    gen_str(g, "filter", o->filter);
    gen_host(g, s);
    gen_key(g, "domains");
    yajl_gen_array_open(g);
    for ( i = 0; i < s->nr_view; i++ )
        gen_dom(g, s->view[i]);
    yajl_gen_array_close(g);
    if ( yajl_gen_map_close(g) != yajl_gen_status_ok ||
         yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok )
        rc = -EINVAL;
    else if ( fwrite(buf, 1, len, f) != len || fputc('\n', f) == EOF )
        rc = -EIO;
    yajl_gen_free(g);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Validation (--check-json).                                           */

struct check
{
    FILE *err;
    long doc;                  /* 1-based document number               */
};

static int bad(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(struct check *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(c->err, "xenia top: --check-json: document %ld: ", c->doc);
    va_start(ap, fmt);
    vfprintf(c->err, fmt, ap);
    va_end(ap);
    fputc('\n', c->err);
    return -1;
}

static yajl_val field(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };

    return yajl_tree_get(obj, path, yajl_t_any);
}

/* An integer field in [0, max]. */
static int want_int(struct check *c, yajl_val obj, const char *where,
                    const char *key, long long max, long long *out)
{
    yajl_val v = field(obj, key);

    if ( !v || !YAJL_IS_INTEGER(v) )
        return bad(c, "%s: \"%s\" is %s, want an integer", where, key,
                   v ? "not an integer" : "missing");
    if ( YAJL_GET_INTEGER(v) < 0 || YAJL_GET_INTEGER(v) > max )
        return bad(c, "%s: \"%s\" = %lld is out of range", where, key,
                   YAJL_GET_INTEGER(v));
    if ( out )
        *out = YAJL_GET_INTEGER(v);
    return 0;
}

/* A number >= 0 (or null when nullable). */
static int want_num(struct check *c, yajl_val obj, const char *where,
                    const char *key, int nullable)
{
    yajl_val v = field(obj, key);

    if ( v && nullable && YAJL_IS_NULL(v) )
        return 0;
    if ( !v || !YAJL_IS_NUMBER(v) )
        return bad(c, "%s: \"%s\" is %s, want a number", where, key,
                   v ? "not a number" : "missing");
    if ( YAJL_GET_DOUBLE(v) < 0 )
        return bad(c, "%s: \"%s\" is negative", where, key);
    return 0;
}

static int want_str(struct check *c, yajl_val obj, const char *where,
                    const char *key, const char **out)
{
    yajl_val v = field(obj, key);

    if ( !v || !YAJL_IS_STRING(v) || !*YAJL_GET_STRING(v) )
        return bad(c, "%s: \"%s\" is %s, want a non-empty string", where,
                   key, v ? "not a non-empty string" : "missing");
    *out = YAJL_GET_STRING(v);
    return 0;
}

static const char *const dom_ints[] = {
    "cpu_ns", "cpu_sec", "mem_kb", "vcpus", "nets", "net_tx_kb",
    "net_rx_kb", "vbds", "vbd_oo", "vbd_rd", "vbd_wr", "vbd_rsect",
    "vbd_wsect", NULL
};

/* State letters: each position its letter or '-'. */
static int state_ok(const char *s)
{
    static const char letters[] = "rbpscd";
    int i;

    if ( strlen(s) != 6 )
        return 0;
    for ( i = 0; i < 6; i++ )
        if ( s[i] != '-' && s[i] != letters[i] )
            return 0;
    return 1;
}

static int check_dom(struct check *c, yajl_val d, unsigned int idx,
                     long long *domid, const char **name)
{
    char where[32];
    const char *st;
    int i;

    snprintf(where, sizeof(where), "domains[%u]", idx);
    if ( !YAJL_IS_OBJECT(d) )
        return bad(c, "%s is not an object", where);
    if ( want_int(c, d, where, "domid", 32767, domid) ||
         want_str(c, d, where, "name", name) ||
         want_str(c, d, where, "state", &st) )
        return -1;
    if ( !state_ok(st) )
        return bad(c, "%s: state \"%s\" is not of the form rbpscd", where,
                   st);
    for ( i = 0; dom_ints[i]; i++ )
        if ( want_int(c, d, where, dom_ints[i], INT64_MAX, NULL) )
            return -1;
    if ( want_num(c, d, where, "cpu_pct", 0) ||
         want_num(c, d, where, "mem_pct", 0) ||
         want_num(c, d, where, "maxmem_kb", 1) ||
         want_num(c, d, where, "maxmem_pct", 1) )
        return -1;
    return 0;
}

static int check_head(struct check *c, yajl_val doc)
{
    yajl_val v = field(doc, "schema");
    yajl_val host = field(doc, "host");

    const char *schema = v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;

    if ( !schema || strcmp(schema, TOP_JSON_SCHEMA) )
        return bad(c, "\"schema\" is not \"" TOP_JSON_SCHEMA "\"");
    if ( want_int(c, doc, "top", "iteration", INT64_MAX, NULL) ||
         want_int(c, doc, "top", "time", INT64_MAX, NULL) ||
         want_num(c, doc, "top", "delay", 0) )
        return -1;
    if ( !host || !YAJL_IS_OBJECT(host) )
        return bad(c, "\"host\" is missing or not an object");
    if ( want_int(c, host, "host", "cpus", 65535, NULL) ||
         want_int(c, host, "host", "total_kb", INT64_MAX, NULL) ||
         want_int(c, host, "host", "free_kb", INT64_MAX, NULL) ||
         want_int(c, host, "host", "domains", 32768, NULL) )
        return -1;
    return 0;
}

/* One document; on success prints "NAME:DOMID ..." for its domains. */
static int check_doc(struct check *c, yajl_val doc, FILE *out)
{
    yajl_val doms = field(doc, "domains");
    static unsigned char seen[32768];
    long long domid;
    const char *name;
    unsigned int i;

    if ( !YAJL_IS_OBJECT(doc) )
        return bad(c, "not a JSON object");
    if ( check_head(c, doc) )
        return -1;
    if ( !doms || !YAJL_IS_ARRAY(doms) )
        return bad(c, "\"domains\" is missing or not an array");
    memset(seen, 0, sizeof(seen));
    for ( i = 0; i < doms->u.array.len; i++ )
    {
        if ( check_dom(c, doms->u.array.values[i], i, &domid, &name) )
            return -1;
        if ( seen[domid]++ )
            return bad(c, "domid %lld appears twice", domid);
    }
    fprintf(out, "document %ld:", c->doc);
    for ( i = 0; i < doms->u.array.len; i++ )
    {
        yajl_val d = doms->u.array.values[i];

        fprintf(out, " %s:%lld", YAJL_GET_STRING(field(d, "name")),
                YAJL_GET_INTEGER(field(d, "domid")));
    }
    fputc('\n', out);
    return 0;
}

int top_json_check(FILE *in, FILE *out, FILE *err)
{
    struct check c = { err, 0 };
    char ebuf[256], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    yajl_val doc;
    int rc = 0;

    while ( rc == 0 && (n = getline(&line, &cap, in)) != -1 )
    {
        if ( strspn(line, " \t\r\n") == (size_t)n )
            continue;
        c.doc++;
        ebuf[0] = 0;
        doc = yajl_tree_parse(line, ebuf, sizeof(ebuf));
        if ( !doc )
        {
            ebuf[strcspn(ebuf, "\n")] = 0;
            bad(&c, "not JSON: %s", ebuf[0] ? ebuf : "parse error");
            rc = TOP_EXIT_FAIL;
            break;
        }
        if ( check_doc(&c, doc, out) )
            rc = TOP_EXIT_FAIL;
        yajl_tree_free(doc);
    }
    free(line);
    if ( rc == 0 && c.doc == 0 )
    {
        fprintf(err, "xenia top: --check-json: no documents on stdin\n");
        rc = TOP_EXIT_FAIL;
    }
    if ( rc == 0 )
        fprintf(out, "ok: %ld documents\n", c.doc);
    return rc;
}
