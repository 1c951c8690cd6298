/*
 * xs_perms.c: node permissions and quota settings.
 *
 * A node's permission list names its owner first; the owner's letter is
 * the access of every domain not listed later.  The owner, privileged
 * callers (dom0, sockets, the privileged domain) and a domain to which
 * SET_TARGET gave another domain's rights get read, write and ownership.
 * Otherwise the first later entry for the caller (or its target) decides.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

unsigned int xs_perm_for(const struct xs_caller *who,
                         const struct xs_perm *p, unsigned int n)
{
    unsigned int i;
    const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;

    if ( who->privileged || p[0].id == who->id ||
         (who->target >= 0 && p[0].id == (unsigned int)who->target) )
        return all;
    for ( i = 1; i < n; i++ )
        if ( p[i].id == who->id ||
             (who->target >= 0 && p[i].id == (unsigned int)who->target) )
            return p[i].perms;
    return p[0].perms;
}

static int letter_perms(char c)
{
    switch ( c )
    {
    case XS_PERM_CHAR_NONE:  return XS_PERM_NONE;
    case XS_PERM_CHAR_READ:  return XS_PERM_READ;
    case XS_PERM_CHAR_WRITE: return XS_PERM_WRITE;
    case XS_PERM_CHAR_BOTH:  return XS_PERM_READ | XS_PERM_WRITE;
    default:                 return -1;
    }
}

static int parse_domid(const char *s, unsigned int *out)
{
    char *end;
    unsigned long v;

    if ( *s < '0' || *s > '9' )
        return EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if ( errno || *end || v > XS_DOMID_MAX )
        return EINVAL;
    *out = v;
    return 0;
}

int xs_perms_parse(const char *s, unsigned int n, struct xs_perm *out)
{
    unsigned int i, id;
    int bits;

    for ( i = 0; i < n; i++ )
    {
        bits = letter_perms(s[0]);
        if ( bits < 0 || parse_domid(s + 1, &id) )
            return EINVAL;
        out[i].id = id;
        out[i].perms = bits;
        s += strlen(s) + 1;
    }
    return 0;
}

static char perm_letter(unsigned int bits)
{
    switch ( bits & (XS_PERM_READ | XS_PERM_WRITE) )
    {
    case XS_PERM_READ:                 return XS_PERM_CHAR_READ;
    case XS_PERM_WRITE:                return XS_PERM_CHAR_WRITE;
    case XS_PERM_READ | XS_PERM_WRITE: return XS_PERM_CHAR_BOTH;
    default:                           return XS_PERM_CHAR_NONE;
    }
}

int xs_perms_format(const struct xs_perm *p, unsigned int n,
                    char *buf, size_t size)
{
    size_t off = 0;
    unsigned int i;
    int len;

    for ( i = 0; i < n; i++ )
    {
        len = snprintf(buf + off, size - off, "%c%u", perm_letter(p[i].perms),
                       p[i].id);
        if ( len < 0 || (size_t)len + 1 > size - off )
            return -1;
        off += len + 1;          /* keep the NUL */
    }
    return off;
}

/* Removes the entries naming domid; an owner domid becomes heir.
 * Returns true when something changed. */
bool xs_perms_drop(struct xs_perm *p, uint32_t *n, unsigned int domid,
                   unsigned int heir)
{
    uint32_t i, j;
    bool changed = false;

    if ( p[0].id == domid )
    {
        p[0].id = heir;
        changed = true;
    }
    for ( i = j = 1; i < *n; i++ )
        if ( p[i].id != domid )
            p[j++] = p[i];
    changed |= j != *n;
    *n = j;
    return changed;
}

/* ---- Quotas --------------------------------------------------------- */

void xs_quota_defaults(struct xs_quota *q)
{
    /* Xen 4.17's xenstored defaults. */
    q->nodes = 1000;
    q->entry_size = 2048;
    q->watches = 128;
    q->transactions = 10;
    q->perms = 5;
    q->path_max = XENSTORE_REL_PATH_MAX;
    q->trans_nodes = 1024;
    q->outstanding = 20;
    q->memory_hard = 2 * 1024 * 1024 + 512 * 1024;
    q->memory_soft = 2 * 1024 * 1024;
    /* Ours: dom0's tools on the socket. */
    q->sock_out_throttle = 256 * 1024;
    q->sock_out_max = 16 * 1024 * 1024;
    /* Xen 4.17's write-rate limit (WRL_RATE, WRL_DBURST, x WRL_NEWDOMS). */
    q->wrl_rate = 200;
    q->wrl_burst = 10;
    q->wrl_burst_new = 50;
}

static int parse_uint(const char *s, unsigned int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if ( !*s || *end || errno || v < 0 || v > INT_MAX )
        return EINVAL;
    *out = v;
    return 0;
}

int xs_quota_set(struct xs_quota *q, const char *arg, bool soft)
{
    const char *eq = strchr(arg, '=');
    size_t wlen;
    unsigned int val;

    if ( !eq || parse_uint(eq + 1, &val) )
        return EINVAL;
    wlen = eq - arg;
#define IS(w) (wlen == strlen(w) && !strncmp(arg, (w), wlen))
    if ( IS("memory") )
        *(soft ? &q->memory_soft : &q->memory_hard) = val;
    else if ( soft )
        return EINVAL;
    else if ( IS("outstanding") )
        q->outstanding = val;
    else if ( IS("transaction-nodes") )
        q->trans_nodes = val;
    else if ( IS("write-rate") )
        q->wrl_rate = val;
    else if ( IS("write-burst") && val )
        q->wrl_burst = val;
    else if ( IS("write-burst-new") && val )
        q->wrl_burst_new = val;
    else
        return EINVAL;
#undef IS
    return 0;
}
