/*
 * devcfg.c: disk and vif specs, as xl.cfg writes them (docs/man/xenia.cfg.md).
 *
 *   disk: "key=value,..." with keys target (last: it may hold commas),
 *         format, vdev, access, devtype, backendtype, backend; or the
 *         positional form "target,format,vdev,access" (and the old
 *         "phy:target,vdev,access", which has no format); "cdrom" alone
 *         is devtype=cdrom.
 *   vif:  "key=value,..." with keys mac, bridge, backend, type,
 *         backendtype.
 */
#include "cfg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *msg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *msg(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return buf;
}

int cfg_vdev_devid(const char *vdev)
{
    size_t n = strlen(vdev);
    int idx;

    if ( strncmp(vdev, "xvd", 3) || n < 4 || n > 5 )
        return -1;
    if ( !islower((unsigned char)vdev[3]) ||
         (n == 5 && !islower((unsigned char)vdev[4])) )
        return -1;
    idx = vdev[3] - 'a';
    if ( n == 5 )
        idx = (idx + 1) * 26 + (vdev[4] - 'a');
    /* xl: the 202 major for the first 16 disks, else the extended form. */
    if ( idx < 16 )
        return (202 << 8) | (idx << 4);
    return (1 << 28) | (idx << 8);
}

const char *cfg_mac_problem(const char *mac)
{
    unsigned int i, first = 0, any = 0;

    if ( strlen(mac) != 17 )
        return "not six hex bytes separated by ':' (xx:xx:xx:xx:xx:xx)";
    for ( i = 0; i < 17; i++ )
    {
        if ( i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]) )
            return "not six hex bytes separated by ':' (xx:xx:xx:xx:xx:xx)";
        if ( i % 3 != 2 && mac[i] != '0' )
            any = 1;
    }
    first = strtoul(mac, NULL, 16);
    if ( first & 1 )
        return "a multicast address (the first byte is odd)";
    if ( !any )
        return "all zero";
    return NULL;
}

static int is_domain0(const char *v)
{
    return !strcmp(v, "0") || !strcmp(v, "Domain-0");
}

/* Copy a value, bounded; 0 or -1 if too long. */
static int put(char *out, size_t len, const char *v, size_t vlen)
{
    if ( vlen >= len )
        return -1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
    return 0;
}

static const char *disk_key(struct xdisk *d, const char *k, size_t klen,
                            const char *v, size_t vlen, int *format_set,
                            char *buf, size_t buflen)
{
    char val[CFG_STR];

    if ( put(val, sizeof(val), v, vlen) )
        return msg(buf, buflen, "value of '%.*s' longer than %zu bytes",
                   (int)klen, k, sizeof(val) - 1);
#define K(s) (klen == strlen(s) && !strncmp(k, s, klen))
    if ( K("target") )
    {
        if ( !*val )
            return "empty target";
        strcpy(d->target, val);
    }
    else if ( K("format") )
    {
        if ( *val && strcmp(val, "raw") )
            return msg(buf, buflen, "format '%s' is not supported (only "
                       "raw)", val);
        *format_set = 1;
    }
    else if ( K("vdev") )
    {
        if ( put(d->vdev, sizeof(d->vdev), val, strlen(val)) ||
             cfg_vdev_devid(val) < 0 )
            return msg(buf, buflen, "vdev '%.20s' is not a disk name "
                       "xvda..xvdz or xvdaa..xvdzz", val);
    }
    else if ( K("access") || K("mode") )
    {
        if ( !strcmp(val, "r") || !strcmp(val, "ro") )
            d->readonly = 1;
        else if ( !strcmp(val, "w") || !strcmp(val, "rw") )
            d->readonly = 0;
        else
            return msg(buf, buflen, "access '%s': must be r, ro, w or rw",
                       val);
    }
    else if ( K("devtype") )
    {
        if ( !strcmp(val, "cdrom") )
            d->cdrom = 1;
        else if ( !strcmp(val, "disk") )
            d->cdrom = 0;
        else
            return msg(buf, buflen, "devtype '%s': must be disk or cdrom",
                       val);
    }
    else if ( K("backendtype") )
    {
        if ( !strcmp(val, "xenia") || !strcmp(val, "qdisk") )
            strcpy(d->backendtype, "xenia");
        else if ( !strcmp(val, "phy") )
            strcpy(d->backendtype, "phy");
        else
            return msg(buf, buflen, "backendtype '%s': must be xenia (the "
                       "user-space xenia-blkback; qdisk is taken as xenia) "
                       "or phy (Linux's blkback)", val);
    }
    else if ( K("backend") )
    {
        if ( !is_domain0(val) )
            return msg(buf, buflen, "backend '%s': only dom0 (0) serves "
                       "disks", val);
    }
    else
        return msg(buf, buflen, "unknown disk key '%.*s' (target, format, "
                   "vdev, access, devtype, backendtype, backend)", (int)klen,
                   k);
#undef K
    return NULL;
}

const char *cfg_parse_disk(const char *spec, struct xdisk *d, char *buf,
                           size_t buflen)
{
    const char *p = spec, *r;
    unsigned int pos = 0;
    int format_set = 0, old_prefix = 0;

    memset(d, 0, sizeof(*d));
    while ( *p )
    {
        const char *e, *eq;
        size_t len;

        while ( *p == ' ' || *p == '\t' )
            p++;
        /* target= takes the rest of the spec, commas included. */
        if ( !strncmp(p, "target=", 7) )
        {
            len = strlen(p + 7);
            while ( len && (p[7 + len - 1] == ' ' || p[7 + len - 1] == '\t') )
                len--;
            if ( (r = disk_key(d, "target", 6, p + 7, len, &format_set, buf,
                               buflen)) )
                return r;
            break;
        }
        e = strchr(p, ',');
        if ( !e )
            e = p + strlen(p);
        len = e - p;
        while ( len && (p[len - 1] == ' ' || p[len - 1] == '\t') )
            len--;
        eq = memchr(p, '=', len);
        if ( eq )
        {
            if ( (r = disk_key(d, p, eq - p, eq + 1, p + len - eq - 1,
                               &format_set, buf, buflen)) )
                return r;
        }
        else if ( len == 5 && !strncmp(p, "cdrom", 5) )
            d->cdrom = 1;
        else
        {
            /* Positional: target, format, vdev, access; an old-style
             * "phy:"/"file:" target has no format after it. */
            static const char *const names[] = { "target", "format", "vdev",
                                                  "access" };
            const char *v = p;
            size_t vlen = len;

            if ( pos == 0 )
            {
                static const char *const pre[] = { "phy:", "file:",
                                                   "aio:", "tap:aio:" };
                unsigned int i;

                for ( i = 0; i < 4; i++ )
                    if ( vlen > strlen(pre[i]) &&
                         !strncmp(v, pre[i], strlen(pre[i])) )
                    {
                        if ( i == 0 && !d->backendtype[0] )
                            strcpy(d->backendtype, "phy");
                        v += strlen(pre[i]);
                        vlen -= strlen(pre[i]);
                        old_prefix = 1;
                        break;
                    }
            }
            else if ( pos == 1 && old_prefix )
                pos = 2;
            if ( pos >= 4 )
                return msg(buf, buflen, "too many positional values at "
                           "'%.*s' (target, format, vdev, access)",
                           (int)len, p);
            if ( vlen && (r = disk_key(d, names[pos], strlen(names[pos]), v,
                                       vlen, &format_set, buf, buflen)) )
                return r;
            pos++;
        }
        p = *e ? e + 1 : e;
    }
    if ( !d->vdev[0] )
        return "no vdev (e.g. vdev=xvda)";
    if ( !d->target[0] )
        return msg(buf, buflen, "%s: no target (the image file or block "
                   "device)", d->vdev);
    if ( !d->backendtype[0] )
        strcpy(d->backendtype, "xenia");
    d->devid = cfg_vdev_devid(d->vdev);
    return NULL;
}

const char *cfg_parse_vif(const char *spec, struct xvif *vf, char *buf,
                          size_t buflen)
{
    const char *p = spec;

    memset(vf, 0, sizeof(*vf));
    while ( *p )
    {
        const char *e, *eq, *k;
        char val[CFG_STR];
        size_t len, klen;

        while ( *p == ' ' || *p == '\t' )
            p++;
        e = strchr(p, ',');
        if ( !e )
            e = p + strlen(p);
        len = e - p;
        while ( len && (p[len - 1] == ' ' || p[len - 1] == '\t') )
            len--;
        if ( len == 0 )
        {
            p = *e ? e + 1 : e;
            continue;
        }
        eq = memchr(p, '=', len);
        if ( !eq )
            return msg(buf, buflen, "'%.*s' is not key=value", (int)len, p);
        k = p;
        klen = eq - p;
        if ( put(val, sizeof(val), eq + 1, p + len - eq - 1) )
            return msg(buf, buflen, "value of '%.*s' too long", (int)klen, k);
#define K(s) (klen == strlen(s) && !strncmp(k, s, klen))
        if ( K("mac") )
        {
            const char *why = cfg_mac_problem(val);

            if ( why )
                return msg(buf, buflen, "mac '%s': %s", val, why);
            strcpy(vf->mac, val);
        }
        else if ( K("bridge") )
        {
            size_t i, n = strlen(val);

            if ( n == 0 || n > 15 )
                return msg(buf, buflen, "bridge '%s': a Linux interface "
                           "name has 1 to 15 bytes", val);
            for ( i = 0; i < n; i++ )
                if ( !isalnum((unsigned char)val[i]) &&
                     !strchr("-_.", val[i]) )
                    return msg(buf, buflen, "bridge '%s': only letters, "
                               "digits, '-', '_' and '.'", val);
            strcpy(vf->bridge, val);
        }
        else if ( K("backend") )
        {
            if ( !is_domain0(val) )
                return msg(buf, buflen, "backend '%s': only dom0 (0) "
                           "serves vifs", val);
        }
        else if ( K("type") )
        {
            if ( strcmp(val, "vif") )
                return msg(buf, buflen, "type '%s': a PV guest's vif is "
                           "type=vif", val);
        }
        else if ( K("backendtype") )
        {
            if ( strcmp(val, "xenia") && strcmp(val, "kernel") )
                return msg(buf, buflen, "backendtype '%s': must be xenia "
                           "(xenia-netback) or kernel (Linux's netback)",
                           val);
            strcpy(vf->backendtype, val);
        }
        else
            return msg(buf, buflen, "unknown vif key '%.*s' (mac, bridge, "
                       "backend, type, backendtype)", (int)klen, k);
#undef K
        p = *e ? e + 1 : e;
    }
    if ( !vf->bridge[0] )
        strcpy(vf->bridge, "xenbr0");
    if ( !vf->backendtype[0] )
        strcpy(vf->backendtype, "xenia");
    return NULL;
}
