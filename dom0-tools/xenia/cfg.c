/*
 * cfg.c: xl.cfg parser.  A file is a list of `key = value` settings, one
 * per line (or separated by ';'); '#' starts a comment; values are
 * strings in double or single quotes, decimal integers, or [lists] of
 * those (kept as their text).  Errors name FILE:LINE:COL.
 */
#include "cfg.h"
#include "json.h"

#include <ctype.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

enum ckind { K_STR, K_INT, K_ACTION, K_DISK, K_VIF };

struct ckey
{
    const char *name;
    enum ckind kind;
    size_t off, size;          /* field of struct xcfg */
};

#define S(n, f) { n, K_STR, offsetof(struct xcfg, f), \
                  sizeof(((struct xcfg *)0)->f) }
#define I(n, f) { n, K_INT, offsetof(struct xcfg, f), 0 }
#define A(n, f) { n, K_ACTION, offsetof(struct xcfg, f), \
                  sizeof(((struct xcfg *)0)->f) }
static const struct ckey keys[] = {
    S("name", name), S("uuid", uuid), S("kernel", kernel),
    S("ramdisk", ramdisk), S("cmdline", cmdline), S("extra", extra),
    S("root", root), I("memory", memory), I("maxmem", maxmem),
    I("vcpus", vcpus), I("maxvcpus", maxvcpus),
    A("on_poweroff", on_poweroff), A("on_reboot", on_reboot),
    A("on_crash", on_crash), S("type", type),
    { "disk", K_DISK, 0, 0 }, { "vif", K_VIF, 0, 0 },
};
#undef S
#undef I
#undef A

static const char *const actions[] = {
    "destroy", "restart", "preserve", "rename-restart", "coredump-destroy",
    "coredump-restart", "soft-reset",
};

void cfg_init(struct xcfg *c)
{
    memset(c, 0, sizeof(*c));
    c->memory = c->maxmem = c->vcpus = c->maxvcpus = -1;
}

struct pctx
{
    const char *fname, *p, *line_start;
    unsigned int line;
    char *err;
    size_t errlen;
};

static int perr(struct pctx *x, const char *at, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(x->err, x->errlen, "%s:%u:%u: ", x->fname, x->line,
                     (unsigned int)(at - x->line_start) + 1);

    va_start(ap, fmt);
    if ( n >= 0 && (size_t)n < x->errlen )
        vsnprintf(x->err + n, x->errlen - n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_blank(struct pctx *x)
{
    while ( *x->p == ' ' || *x->p == '\t' || *x->p == '\r' )
        x->p++;
    if ( *x->p == '#' )
        while ( *x->p && *x->p != '\n' )
            x->p++;
}

/* A quoted string into out; x->p at the opening quote. */
static int parse_string(struct pctx *x, char *out, size_t len)
{
    const char *start = x->p;
    char q = *x->p++;
    size_t n = 0;

    while ( *x->p != q )
    {
        char ch = *x->p;

        if ( ch == '\0' || ch == '\n' )
            return perr(x, start, "unterminated string (missing %c)", q);
        if ( ch == '\\' && x->p[1] && x->p[1] != '\n' )
        {
            x->p++;
            ch = *x->p == 'n' ? '\n' : *x->p;
        }
        if ( out && n + 1 >= len )
            return perr(x, start, "string longer than %zu bytes", len - 1);
        if ( out )
            out[n++] = ch;
        x->p++;
    }
    x->p++;
    if ( out )
        out[n] = '\0';
    return 0;
}

/* One string of a disk= or vif= list, checked and added to c. */
static int add_device(struct pctx *x, struct xcfg *c, enum ckind kind,
                      const char *at, const char *spec)
{
    char buf[300];
    const char *why;
    unsigned int i;

    if ( kind == K_DISK )
    {
        struct xdisk d;

        why = cfg_parse_disk(spec, &d, buf, sizeof(buf));
        if ( why )
            return perr(x, at, "disk: %s", why);
        for ( i = 0; i < c->ndisks; i++ )
            if ( c->disks[i].devid == d.devid )
                return perr(x, at, "disk: vdev %s is already used by the "
                            "disk on line %u", d.vdev, c->disks[i].line);
        if ( c->ndisks == CFG_MAX_DISKS )
            return perr(x, at, "disk: at most %d disks", CFG_MAX_DISKS);
        d.line = x->line;
        c->disks[c->ndisks++] = d;
        return 0;
    }
    {
        struct xvif v;

        why = cfg_parse_vif(spec, &v, buf, sizeof(buf));
        if ( why )
            return perr(x, at, "vif: %s", why);
        for ( i = 0; v.mac[0] && i < c->nvifs; i++ )
            if ( !strcasecmp(c->vifs[i].mac, v.mac) )
                return perr(x, at, "vif: mac %s is already used by vif %u",
                            v.mac, i);
        if ( c->nvifs == CFG_MAX_VIFS )
            return perr(x, at, "vif: at most %d vifs", CFG_MAX_VIFS);
        v.devid = c->nvifs;
        c->vifs[c->nvifs++] = v;
        return 0;
    }
}

/* disk = [ '...', ... ] or vif = [ ... ]: a list of quoted specs. */
static int device_list(struct pctx *x, struct xcfg *c, enum ckind kind)
{
    const char *start = x->p, *start_line = x->line_start;
    unsigned int line = x->line;
    int want_item = 1;
    char spec[1024];

    if ( kind == K_DISK )
        c->ndisks = 0;         /* a command-line override replaces */
    else
        c->nvifs = 0;
    x->p++;
    for ( ;; )
    {
        skip_blank(x);
        if ( *x->p == '\n' )
        {
            x->line++;
            x->line_start = ++x->p;
            continue;
        }
        if ( *x->p == '\0' )
        {
            x->line = line;
            x->line_start = start_line;
            return perr(x, start, "unterminated list (missing ']')");
        }
        if ( *x->p == ']' )
        {
            x->p++;
            return 0;
        }
        if ( *x->p == ',' && !want_item )
        {
            x->p++;
            want_item = 1;
            continue;
        }
        if ( (*x->p == '"' || *x->p == '\'') && want_item )
        {
            const char *at = x->p;

            if ( parse_string(x, spec, sizeof(spec)) ||
                 add_device(x, c, kind, at, spec) )
                return -1;
            want_item = 0;
            continue;
        }
        return perr(x, x->p, want_item ?
                    "expected a quoted %s spec in the list" :
                    "expected ',' or ']' after a %s spec",
                    kind == K_DISK ? "disk" : "vif");
    }
}

static const struct ckey *find_key(const char *name, size_t n)
{
    unsigned int i;

    for ( i = 0; i < sizeof(keys) / sizeof(keys[0]); i++ )
        if ( strlen(keys[i].name) == n && !strncmp(keys[i].name, name, n) )
            return &keys[i];
    return NULL;
}

static int parse_setting(struct pctx *x, struct xcfg *c)
{
    const char *kstart = x->p, *vstart;
    const struct ckey *k;
    size_t klen;
    unsigned int idx, line = x->line;
    char sval[1024];

    while ( isalnum((unsigned char)*x->p) || *x->p == '_' )
        x->p++;
    klen = x->p - kstart;
    if ( klen == 0 || isdigit((unsigned char)*kstart) )
        return perr(x, kstart, "expected a setting name");
    skip_blank(x);
    if ( *x->p != '=' )
        return perr(x, x->p, "expected '=' after '%.*s'", (int)klen, kstart);
    x->p++;
    skip_blank(x);
    vstart = x->p;
    k = find_key(kstart, klen);
    if ( !k )
        return perr(x, kstart, "unknown setting '%.*s'", (int)klen, kstart);
    idx = k - keys;
    if ( idx < 24 && c->line_of[idx] )
        return perr(x, kstart, "'%s' is already set on line %u", k->name,
                    c->line_of[idx]);

    if ( *x->p == '\0' || *x->p == '\n' || *x->p == ';' )
        return perr(x, x->p, "expected a value after '='");
    if ( *x->p == '[' )
    {
        if ( k->kind != K_DISK && k->kind != K_VIF )
            return perr(x, vstart, "'%s' takes a single value, not a list",
                        k->name);
        if ( device_list(x, c, k->kind) )
            return -1;
    }
    else if ( k->kind == K_DISK || k->kind == K_VIF )
        return perr(x, vstart, "'%s' takes a [list] of quoted specs",
                    k->name);
    else if ( *x->p == '"' || *x->p == '\'' )
    {
        if ( parse_string(x, sval, sizeof(sval)) )
            return -1;
        if ( k->kind == K_INT )
            return perr(x, vstart, "'%s' takes a number, not a string",
                        k->name);
        if ( k->kind == K_STR || k->kind == K_ACTION )
        {
            if ( strlen(sval) >= k->size )
                return perr(x, vstart, "value of '%s' longer than %zu bytes",
                            k->name, k->size - 1);
            if ( k->kind == K_ACTION )
            {
                unsigned int i;

                for ( i = 0; i < sizeof(actions) / sizeof(actions[0]); i++ )
                    if ( !strcmp(sval, actions[i]) )
                        break;
                if ( i == sizeof(actions) / sizeof(actions[0]) )
                    return perr(x, vstart,
                                "'%s' must be one of destroy, restart, "
                                "preserve, rename-restart, coredump-destroy, "
                                "coredump-restart, soft-reset; got '%s'",
                                k->name, sval);
            }
            strcpy((char *)c + k->off, sval);
        }
    }
    else if ( isdigit((unsigned char)*x->p) || *x->p == '-' )
    {
        char *end;
        long v = strtol(x->p, &end, 0);

        if ( end == x->p || isalpha((unsigned char)*end) || *end == '.' )
            return perr(x, vstart, "'%s': bad number '%.*s'", k->name,
                        (int)strcspn(vstart, " \t\r\n;#"), vstart);
        x->p = end;
        if ( k->kind != K_INT )
            return perr(x, vstart, "'%s' takes a quoted string", k->name);
        if ( v <= 0 || v > (1L << 30) )
            return perr(x, vstart, "'%s' must be a positive number, got %ld",
                        k->name, v);
        *(long *)((char *)c + k->off) = v;
    }
    else
        return perr(x, vstart, "expected a value (a \"string\", a number "
                    "or a [list]) after '='");
    if ( idx < 24 )
        c->line_of[idx] = line;

    skip_blank(x);
    if ( *x->p == ';' )
    {
        x->p++;
        skip_blank(x);
    }
    if ( *x->p != '\n' && *x->p != '\0' )
        return perr(x, x->p, "unexpected '%c' after the value of '%s'",
                    *x->p, k->name);
    return 0;
}

int cfg_parse(struct xcfg *c, const char *fname, const char *text,
              char *err, size_t errlen)
{
    struct pctx x = {
        .fname = fname, .p = text, .line_start = text, .line = 1,
        .err = err, .errlen = errlen,
    };

    for ( ;; )
    {
        skip_blank(&x);
        if ( *x.p == '\0' )
            return 0;
        if ( *x.p == '\n' || *x.p == ';' )
        {
            if ( *x.p == '\n' )
            {
                x.line++;
                x.line_start = x.p + 1;
            }
            x.p++;
            continue;
        }
        if ( parse_setting(&x, c) )
            return -1;
    }
}

static int ferr(const char *fname, char *err, size_t len, const char *fmt,
                ...)
{
    va_list ap;
    int n = snprintf(err, len, "%s: ", fname);

    va_start(ap, fmt);
    if ( n >= 0 && (size_t)n < len )
        vsnprintf(err + n, len - n, fmt, ap);
    va_end(ap);
    return -1;
}

const char *cfg_name_problem(const char *name)
{
    const char *s;

    if ( !*name )
        return "empty";
    if ( strlen(name) >= CFG_STR )
        return "longer than 255 bytes";
    for ( s = name; *s; s++ )
        if ( !isalnum((unsigned char)*s) && !strchr("-_.", *s) )
            return "only letters, digits, '-', '_' and '.' are allowed";
    if ( !strcmp(name, "Domain-0") )
        return "'Domain-0' is reserved";
    if ( isdigit((unsigned char)name[0]) && strspn(name, "0123456789") ==
         strlen(name) )
        return "a name may not be all digits (it would read as a domid)";
    return NULL;
}

int cfg_finish(struct xcfg *c, const char *fname, char *err, size_t errlen)
{
    uuid_t u;
    const char *s;

    if ( !c->name[0] )
        return ferr(fname, err, errlen, "no 'name' given");
    s = cfg_name_problem(c->name);
    if ( s )
        return ferr(fname, err, errlen, "name '%s': %s", c->name, s);
    if ( c->type[0] && strcmp(c->type, "pv") )
        return ferr(fname, err, errlen,
                    "type '%s' is not supported (only \"pv\")", c->type);
    if ( !c->kernel[0] )
        return ferr(fname, err, errlen, "no 'kernel' given");
    if ( c->uuid[0] && uuid_parse(c->uuid, u) )
        return ferr(fname, err, errlen, "uuid '%s' is not a UUID", c->uuid);
    if ( c->cmdline[0] && (c->extra[0] || c->root[0]) )
        return ferr(fname, err, errlen,
                    "'cmdline' and 'extra'/'root' are mutually exclusive");
    if ( c->memory < 0 )
        c->memory = 128;       /* xl's default for PV */
    if ( c->maxmem < 0 )
        c->maxmem = c->memory;
    if ( c->maxmem < c->memory )
        return ferr(fname, err, errlen,
                    "maxmem (%ld MiB) is below memory (%ld MiB)", c->maxmem,
                    c->memory);
    if ( c->memory < 16 )
        return ferr(fname, err, errlen,
                    "memory %ld MiB is too small (at least 16)", c->memory);
    if ( c->vcpus < 0 )
        c->vcpus = 1;
    if ( c->maxvcpus < 0 )
        c->maxvcpus = c->vcpus;
    if ( c->vcpus > c->maxvcpus )
        return ferr(fname, err, errlen, "vcpus (%ld) exceeds maxvcpus (%ld)",
                    c->vcpus, c->maxvcpus);
    if ( c->maxvcpus > 32 )
        return ferr(fname, err, errlen,
                    "maxvcpus %ld: at most 32 are supported", c->maxvcpus);
    if ( !c->on_poweroff[0] )
        strcpy(c->on_poweroff, "destroy");
    if ( !c->on_reboot[0] )
        strcpy(c->on_reboot, "restart");
    if ( !c->on_crash[0] )
        strcpy(c->on_crash, "destroy");
    return 0;
}

void cfg_cmdline(const struct xcfg *c, char *out, size_t len)
{
    if ( c->cmdline[0] )
        snprintf(out, len, "%s", c->cmdline);
    else if ( c->root[0] )
        snprintf(out, len, "root=%s%s%s", c->root, c->extra[0] ? " " : "",
                 c->extra);
    else
        snprintf(out, len, "%s", c->extra);
}

void cfg_print_json(const struct xcfg *c, FILE *f)
{
    char cl[1100];
    unsigned int i;
    yajl_gen g = xj_new();

    if ( !g )
        return;
    cfg_cmdline(c, cl, sizeof(cl));
    yajl_gen_map_open(g);
    xj_kstr(g, "schema", "xenia-domain-config/1");
    xj_kstr(g, "name", c->name);
    xj_kstr(g, "uuid", c->uuid[0] ? c->uuid : NULL);
    xj_kstr(g, "type", "pv");
    xj_kstr(g, "kernel", c->kernel);
    xj_kstr(g, "ramdisk", c->ramdisk[0] ? c->ramdisk : NULL);
    xj_kstr(g, "cmdline", cl);
    xj_kint(g, "memory_kb", c->memory * 1024LL);
    xj_kint(g, "maxmem_kb", c->maxmem * 1024LL);
    xj_kint(g, "vcpus", c->vcpus);
    xj_kint(g, "maxvcpus", c->maxvcpus);
    xj_kstr(g, "on_poweroff", c->on_poweroff);
    xj_kstr(g, "on_reboot", c->on_reboot);
    xj_kstr(g, "on_crash", c->on_crash);
    xj_key(g, "disks");
    yajl_gen_array_open(g);
    for ( i = 0; i < c->ndisks; i++ )
    {
        const struct xdisk *d = &c->disks[i];

        yajl_gen_map_open(g);
        xj_kstr(g, "vdev", d->vdev);
        xj_kint(g, "devid", d->devid);
        xj_kstr(g, "target", d->target);
        xj_kstr(g, "format", "raw");
        xj_kstr(g, "access", d->readonly ? "r" : "w");
        xj_kstr(g, "devtype", d->cdrom ? "cdrom" : "disk");
        xj_kstr(g, "backendtype", d->backendtype);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    xj_key(g, "vifs");
    yajl_gen_array_open(g);
    for ( i = 0; i < c->nvifs; i++ )
    {
        const struct xvif *v = &c->vifs[i];

        yajl_gen_map_open(g);
        xj_kint(g, "devid", v->devid);
        xj_kstr(g, "mac", v->mac[0] ? v->mac : NULL);
        xj_kstr(g, "bridge", v->bridge);
        xj_kstr(g, "backendtype", v->backendtype);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    xj_flush(g, f);
}
