/*
 * xml.c: libvirt domain XML (<domain type='xen'>) through libxml2, into
 * the same struct xcfg the xl.cfg parser fills, so both give the same
 * domain.  The elements read (docs/man/xenia.cfg.md):
 *
 *   name, uuid, memory, currentMemory (unit attribute: KiB default),
 *   vcpu (current attribute), os/type (linux or xen), os/kernel,
 *   os/initrd, os/cmdline, on_poweroff, on_reboot, on_crash,
 *   devices/disk, devices/interface (as xl.cfg's disk and vif),
 *   devices/console (type pty).
 *
 * metadata, title and description are ignored as libvirt does; any other
 * element is reported as a warning on stderr and not acted on.  Errors
 * are "FILE:LINE: message" with the element's line (xmlGetLineNo).  No
 * network access and no entity substitution while parsing.
 */
#include "cfg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

struct xctx
{
    const char *fname;
    char *err;
    size_t errlen;
    unsigned int seen;         /* elements already given (duplicates) */
};

static int xerr(struct xctx *x, xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int xerr(struct xctx *x, xmlNode *n, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(x->err, x->errlen, "%s:%ld: ", x->fname,
                     n ? xmlGetLineNo(n) : 0L);

    va_start(ap, fmt);
    if ( k >= 0 && (size_t)k < x->errlen )
        vsnprintf(x->err + k, x->errlen - k, fmt, ap);
    va_end(ap);
    return -1;
}

static void xwarn(struct xctx *x, xmlNode *n, const char *what)
{
    fprintf(stderr, "%s:%ld: warning: <%s>%s is not supported; ignored\n",
            x->fname, xmlGetLineNo(n), (const char *)n->name, what);
}

static int is(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE &&
           !strcmp((const char *)n->name, name);
}

/* An attribute's value (malloc'd by libxml2, xmlFree) or NULL. */
static char *attr(xmlNode *n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* The element's text, blanks trimmed, into out; an element with child
 * elements or text too long for out is an error. */
static int text_of(struct xctx *x, xmlNode *n, char *out, size_t len)
{
    xmlNode *ch;
    xmlChar *t;
    const char *s, *e;

    for ( ch = n->children; ch; ch = ch->next )
        if ( ch->type == XML_ELEMENT_NODE )
            return xerr(x, ch, "<%s> inside <%s>: expected text only",
                        (const char *)ch->name, (const char *)n->name);
    t = xmlNodeGetContent(n);
    s = t ? (const char *)t : "";
    while ( isspace((unsigned char)*s) )
        s++;
    e = s + strlen(s);
    while ( e > s && isspace((unsigned char)e[-1]) )
        e--;
    if ( (size_t)(e - s) >= len )
    {
        xmlFree(t);
        return xerr(x, n, "<%s> is longer than %zu bytes",
                    (const char *)n->name, len - 1);
    }
    memcpy(out, s, e - s);
    out[e - s] = '\0';
    xmlFree(t);
    return 0;
}

/* Each element at most once (bit = its index in a table of names). */
static int once(struct xctx *x, xmlNode *n, unsigned int bit)
{
    if ( x->seen & (1U << bit) )
        return xerr(x, n, "<%s> is given twice", (const char *)n->name);
    x->seen |= 1U << bit;
    return 0;
}

/* libvirt's memory units, in bytes. */
static const struct { const char *u; unsigned long long scale; } units[] = {
    { "b", 1 }, { "bytes", 1 }, { "KB", 1000ULL }, { "k", 1024ULL },
    { "KiB", 1024ULL }, { "MB", 1000000ULL }, { "M", 1ULL << 20 },
    { "MiB", 1ULL << 20 }, { "GB", 1000000000ULL }, { "G", 1ULL << 30 },
    { "GiB", 1ULL << 30 }, { "TB", 1000000000000ULL }, { "T", 1ULL << 40 },
    { "TiB", 1ULL << 40 },
};

/* <memory unit='...'>N</memory> in MiB (whole MiB, at least 1). */
static int memory_of(struct xctx *x, xmlNode *n, long *mib)
{
    char txt[64], *end, *u = attr(n, "unit");
    unsigned long long v, scale = 1024, bytes;
    unsigned int i = sizeof(units) / sizeof(units[0]);

    if ( u )
    {
        for ( i = 0; i < sizeof(units) / sizeof(units[0]); i++ )
            if ( !strcmp(u, units[i].u) )
                break;
        if ( i == sizeof(units) / sizeof(units[0]) )
        {
            xerr(x, n, "<%s unit='%s'>: unknown unit (b, KB, KiB, MB, MiB, "
                 "GB, GiB, TB, TiB; default KiB)", (const char *)n->name, u);
            xmlFree(u);
            return -1;
        }
        scale = units[i].scale;
        xmlFree(u);
    }
    if ( text_of(x, n, txt, sizeof(txt)) )
        return -1;
    if ( !isdigit((unsigned char)txt[0]) )
        return xerr(x, n, "<%s>: '%s' is not a number", (const char *)n->name,
                    txt);
    v = strtoull(txt, &end, 10);
    if ( *end )
        return xerr(x, n, "<%s>: '%s' is not a number", (const char *)n->name,
                    txt);
    if ( v > (1ULL << 50) / scale )
        return xerr(x, n, "<%s>: %s is too large", (const char *)n->name,
                    txt);
    bytes = v * scale;
    if ( bytes == 0 || bytes % (1ULL << 20) )
        return xerr(x, n, "<%s>: %s %s is not a whole number of MiB "
                    "(xenia sizes guests in MiB)", (const char *)n->name, txt,
                    i < sizeof(units) / sizeof(units[0]) ? units[i].u : "KiB");
    if ( (bytes >> 20) > (1ULL << 30) )
        return xerr(x, n, "<%s>: %s is too large", (const char *)n->name,
                    txt);
    *mib = bytes >> 20;
    return 0;
}

static int count_of(struct xctx *x, xmlNode *n, const char *what,
                    const char *s, long *out)
{
    char *end;
    long v;

    if ( !isdigit((unsigned char)s[0]) )
        return xerr(x, n, "<%s>: %s '%s' is not a number",
                    (const char *)n->name, what, s);
    v = strtol(s, &end, 10);
    if ( *end || v <= 0 || v > 4096 )
        return xerr(x, n, "<%s>: %s '%s' is not a count from 1 to 4096",
                    (const char *)n->name, what, s);
    *out = v;
    return 0;
}

static const char *const actions[] = {
    "destroy", "restart", "preserve", "rename-restart", "coredump-destroy",
    "coredump-restart",
};

static int action_of(struct xctx *x, xmlNode *n, char *out, size_t len)
{
    char v[64];
    unsigned int i;

    if ( text_of(x, n, v, sizeof(v)) )
        return -1;
    for ( i = 0; i < sizeof(actions) / sizeof(actions[0]); i++ )
        if ( !strcmp(v, actions[i]) )
        {
            snprintf(out, len, "%s", actions[i]);
            return 0;
        }
    return xerr(x, n, "<%s> must be one of destroy, restart, preserve, "
                "rename-restart, coredump-destroy, coredump-restart; got '%s'",
                (const char *)n->name, v);
}

static int parse_os(struct xctx *x, struct xcfg *c, xmlNode *os)
{
    xmlNode *n;
    char v[32];

    for ( n = os->children; n; n = n->next )
    {
        if ( n->type != XML_ELEMENT_NODE )
            continue;
        if ( is(n, "type") )
        {
            char *arch = attr(n, "arch");

            if ( once(x, n, 20) || text_of(x, n, v, sizeof(v)) )
            {
                xmlFree(arch);
                return -1;
            }
            if ( strcmp(v, "linux") && strcmp(v, "xen") )
            {
                xmlFree(arch);
                return xerr(x, n, "<os><type>%s</type>: only 'linux' or "
                            "'xen' (a PV guest) is supported", v);
            }
            if ( arch && strcmp(arch, "x86_64") )
            {
                xerr(x, n, "<type arch='%s'>: only x86_64 is supported", arch);
                xmlFree(arch);
                return -1;
            }
            xmlFree(arch);
        }
        else if ( is(n, "kernel") )
        {
            if ( once(x, n, 21) || text_of(x, n, c->kernel, sizeof(c->kernel)) )
                return -1;
        }
        else if ( is(n, "initrd") )
        {
            if ( once(x, n, 22) ||
                 text_of(x, n, c->ramdisk, sizeof(c->ramdisk)) )
                return -1;
        }
        else if ( is(n, "cmdline") )
        {
            if ( once(x, n, 23) ||
                 text_of(x, n, c->cmdline, sizeof(c->cmdline)) )
                return -1;
        }
        else
            xwarn(x, n, " in <os>");
    }
    if ( !(x->seen & (1U << 20)) )
        return xerr(x, os, "<os> has no <type> (linux or xen)");
    if ( !(x->seen & (1U << 21)) )
        return xerr(x, os, "<os> has no <kernel> (xenia boots a PV kernel "
                    "directly)");
    return 0;
}

/* The first child element called name, or NULL. */
static xmlNode *child(xmlNode *n, const char *name)
{
    for ( n = n->children; n; n = n->next )
        if ( is(n, name) )
            return n;
    return NULL;
}

/* attribute 'a' of child element 'el' into out ("" if absent). */
static int child_attr(struct xctx *x, xmlNode *n, const char *el,
                      const char *a, char *out, size_t len)
{
    xmlNode *ch = child(n, el);
    char *v = ch ? attr(ch, a) : NULL;
    int rc = 0;

    out[0] = '\0';
    if ( v && strlen(v) >= len )
        rc = xerr(x, ch, "<%s %s='...'> is longer than %zu bytes", el, a,
                  len - 1);
    else if ( v )
        strcpy(out, v);
    xmlFree(v);
    return rc;
}

/*
 * <disk type='file|block' device='disk|cdrom'>: <source file|dev>,
 * <target dev>, <driver name='xenia|qdisk|qemu|phy' type='raw'>,
 * <readonly/>.  Checked by the xl.cfg spec parser, so both agree.
 */
static int parse_disk(struct xctx *x, struct xcfg *c, xmlNode *n)
{
    char type[16], dev[16], src[CFG_STR], tgt[32], drv[16], fmt[16];
    char spec[CFG_STR + 160], buf[300];
    const char *why;
    char *t = attr(n, "type"), *d = attr(n, "device");
    struct xdisk dk;
    unsigned int i;
    int bad = 0;

    snprintf(type, sizeof(type), "%s", t ? t : "file");
    snprintf(dev, sizeof(dev), "%s", d ? d : "disk");
    xmlFree(t);
    xmlFree(d);
    if ( strcmp(type, "file") && strcmp(type, "block") )
        return xerr(x, n, "<disk type='%s'>: only file or block", type);
    if ( strcmp(dev, "disk") && strcmp(dev, "cdrom") )
        return xerr(x, n, "<disk device='%s'>: only disk or cdrom", dev);
    bad = child_attr(x, n, "source", !strcmp(type, "file") ? "file" : "dev",
                     src, sizeof(src)) ||
          child_attr(x, n, "target", "dev", tgt, sizeof(tgt)) ||
          child_attr(x, n, "driver", "name", drv, sizeof(drv)) ||
          child_attr(x, n, "driver", "type", fmt, sizeof(fmt));
    if ( bad )
        return -1;
    if ( !src[0] )
        return xerr(x, n, "<disk> has no <source %s='...'>",
                    !strcmp(type, "file") ? "file" : "dev");
    if ( !tgt[0] )
        return xerr(x, n, "<disk> has no <target dev='xvdX'>");
    if ( !strcmp(drv, "qemu") )
        strcpy(drv, "xenia");  /* libvirt's usual name for a user-space one */
    snprintf(spec, sizeof(spec), "vdev=%s,access=%s,devtype=%s%s%s%s%s,"
             "target=%s", tgt, child(n, "readonly") ? "r" : "w", dev,
             drv[0] ? ",backendtype=" : "", drv, fmt[0] ? ",format=" : "",
             fmt, src);
    why = cfg_parse_disk(spec, &dk, buf, sizeof(buf));
    if ( why )
        return xerr(x, n, "<disk>: %s", why);
    for ( i = 0; i < c->ndisks; i++ )
        if ( c->disks[i].devid == dk.devid )
            return xerr(x, n, "<disk>: target %s is already used by the "
                        "disk on line %u", dk.vdev, c->disks[i].line);
    if ( c->ndisks == CFG_MAX_DISKS )
        return xerr(x, n, "<disk>: at most %d disks", CFG_MAX_DISKS);
    dk.line = xmlGetLineNo(n);
    c->disks[c->ndisks++] = dk;
    return 0;
}

/*
 * <interface type='bridge'>: <mac address>, <source bridge>,
 * <driver name='xenia|kernel'>.
 */
static int parse_interface(struct xctx *x, struct xcfg *c, xmlNode *n)
{
    char mac[32], br[64], drv[16], spec[200], buf[300];
    char *t = attr(n, "type");
    const char *why;
    struct xvif v;
    unsigned int i;

    if ( t && strcmp(t, "bridge") )
    {
        xerr(x, n, "<interface type='%s'>: only type='bridge'", t);
        xmlFree(t);
        return -1;
    }
    xmlFree(t);
    if ( child_attr(x, n, "mac", "address", mac, sizeof(mac)) ||
         child_attr(x, n, "source", "bridge", br, sizeof(br)) ||
         child_attr(x, n, "driver", "name", drv, sizeof(drv)) )
        return -1;
    snprintf(spec, sizeof(spec), "%s%s%s%s%s%s", mac[0] ? "mac=" : "", mac,
             br[0] ? ",bridge=" : "", br, drv[0] ? ",backendtype=" : "",
             drv);
    why = cfg_parse_vif(spec, &v, buf, sizeof(buf));
    if ( why )
        return xerr(x, n, "<interface>: %s", why);
    for ( i = 0; v.mac[0] && i < c->nvifs; i++ )
        if ( !strcasecmp(c->vifs[i].mac, v.mac) )
            return xerr(x, n, "<interface>: mac %s is already used by "
                        "interface %u", v.mac, i);
    if ( c->nvifs == CFG_MAX_VIFS )
        return xerr(x, n, "<interface>: at most %d", CFG_MAX_VIFS);
    v.devid = c->nvifs;
    c->vifs[c->nvifs++] = v;
    return 0;
}

static int parse_devices(struct xctx *x, struct xcfg *c, xmlNode *devs)
{
    xmlNode *n;

    for ( n = devs->children; n; n = n->next )
    {
        if ( n->type != XML_ELEMENT_NODE )
            continue;
        if ( is(n, "disk") )
        {
            if ( parse_disk(x, c, n) )
                return -1;
            continue;
        }
        if ( is(n, "interface") )
        {
            if ( parse_interface(x, c, n) )
                return -1;
            continue;
        }
        if ( is(n, "console") )
        {
            char *t = attr(n, "type");

            if ( t && strcmp(t, "pty") )
            {
                xerr(x, n, "<console type='%s'>: only type='pty' is "
                     "supported (xenia-consoled)", t);
                xmlFree(t);
                return -1;
            }
            xmlFree(t);
            continue;
        }
        xwarn(x, n, " in <devices>");
    }
    return 0;
}

int cfg_is_xml(const char *text, size_t len)
{
    size_t i = 0;

    if ( len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) )
        i = 3;
    while ( i < len && isspace((unsigned char)text[i]) )
        i++;
    return i < len && text[i] == '<';
}

int cfg_parse_xml(struct xcfg *c, const char *fname, const char *text,
                  size_t len, char *err, size_t errlen)
{
    struct xctx x = { .fname = fname, .err = err, .errlen = errlen };
    xmlDoc *doc;
    xmlNode *root, *n;
    char *type;
    long cur = -1;
    int rc = -1;

    if ( len > 1 << 20 )
        return xerr(&x, NULL, "larger than 1 MiB: not a domain XML");
    doc = xmlReadMemory(text, (int)len, fname, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    if ( !doc )
    {
        const xmlError *e = xmlGetLastError();
        char msg[256];
        size_t k;

        snprintf(msg, sizeof(msg), "%s",
                 e && e->message ? e->message : "unreadable");
        k = strlen(msg);
        while ( k && (msg[k - 1] == '\n' || msg[k - 1] == ' ') )
            msg[--k] = '\0';
        snprintf(err, errlen, "%s:%d: malformed XML: %s", fname,
                 e ? e->line : 0, msg);
        return -1;
    }
    root = xmlDocGetRootElement(doc);
    if ( !root || !is(root, "domain") )
    {
        xerr(&x, root, "the root element is <%s>, not <domain> (a libvirt "
             "domain XML)", root ? (const char *)root->name : "");
        goto out;
    }
    type = attr(root, "type");
    if ( !type || strcmp(type, "xen") )
    {
        if ( type )
            xerr(&x, root, "<domain type='%s'>: only type='xen' is "
                 "supported", type);
        else
            xerr(&x, root, "<domain> has no type attribute (type='xen')");
        xmlFree(type);
        goto out;
    }
    xmlFree(type);

    for ( n = root->children; n; n = n->next )
    {
        if ( n->type != XML_ELEMENT_NODE )
            continue;
        if ( is(n, "name") )
        {
            if ( once(&x, n, 0) || text_of(&x, n, c->name, sizeof(c->name)) )
                goto out;
        }
        else if ( is(n, "uuid") )
        {
            if ( once(&x, n, 1) || text_of(&x, n, c->uuid, sizeof(c->uuid)) )
                goto out;
        }
        else if ( is(n, "memory") )
        {
            if ( once(&x, n, 2) || memory_of(&x, n, &c->maxmem) )
                goto out;
        }
        else if ( is(n, "currentMemory") )
        {
            if ( once(&x, n, 3) || memory_of(&x, n, &c->memory) )
                goto out;
        }
        else if ( is(n, "vcpu") )
        {
            char v[32], *cs = attr(n, "current");
            int bad = once(&x, n, 4) || text_of(&x, n, v, sizeof(v)) ||
                      count_of(&x, n, "count", v, &c->maxvcpus) ||
                      (cs && count_of(&x, n, "current", cs, &cur));

            xmlFree(cs);
            if ( bad )
                goto out;
        }
        else if ( is(n, "os") )
        {
            if ( once(&x, n, 5) || parse_os(&x, c, n) )
                goto out;
        }
        else if ( is(n, "on_poweroff") )
        {
            if ( once(&x, n, 6) ||
                 action_of(&x, n, c->on_poweroff, sizeof(c->on_poweroff)) )
                goto out;
        }
        else if ( is(n, "on_reboot") )
        {
            if ( once(&x, n, 7) ||
                 action_of(&x, n, c->on_reboot, sizeof(c->on_reboot)) )
                goto out;
        }
        else if ( is(n, "on_crash") )
        {
            if ( once(&x, n, 8) ||
                 action_of(&x, n, c->on_crash, sizeof(c->on_crash)) )
                goto out;
        }
        else if ( is(n, "devices") )
        {
            if ( once(&x, n, 9) || parse_devices(&x, c, n) )
                goto out;
        }
        else if ( is(n, "metadata") || is(n, "title") ||
                  is(n, "description") )
            continue;          /* libvirt's free-form elements */
        else
            xwarn(&x, n, "");
    }
    if ( !c->name[0] )
    {
        xerr(&x, root, "<domain> has no <name>");
        goto out;
    }
    if ( !(x.seen & (1U << 5)) )
    {
        xerr(&x, root, "<domain> has no <os> (with <type>linux</type> and "
             "<kernel>)");
        goto out;
    }
    if ( !(x.seen & (1U << 2)) )
    {
        xerr(&x, root, "<domain> has no <memory>");
        goto out;
    }
    /* libvirt: <memory> is the maximum, <currentMemory> the start. */
    if ( c->memory < 0 )
        c->memory = c->maxmem;
    c->vcpus = cur > 0 ? cur : c->maxvcpus;
    rc = 0;
 out:
    xmlFreeDoc(doc);
    return rc;
}
