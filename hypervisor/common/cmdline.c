/*
 * Command-line option parser (see include/xenia/cmdline.h). No hardware and
 * no global state: the table and the report function come from the caller.
 */
#include <xenia/lib.h>
#include <xenia/cmdline.h>
#include <xenia/errno.h>

#define OPT_MAX 128

static int parse_bool(const char *v)
{
    static const char *const yes[] = { "1", "yes", "on", "true", "enable" };
    static const char *const no[] = { "0", "no", "off", "false", "disable" };
    size_t i;

    for ( i = 0; i < ARRAY_SIZE(yes); i++ )
        if ( !strcmp(v, yes[i]) )
            return 1;
    for ( i = 0; i < ARRAY_SIZE(no); i++ )
        if ( !strcmp(v, no[i]) )
            return 0;
    return -EINVAL;
}

int parse_size(const char *s, const char **end, unsigned long long *out)
{
    const char *p;
    unsigned long long v;
    unsigned int shift = 0;

    if ( *s < '0' || *s > '9' )
        return -EINVAL;
    v = simple_strtoull(s, &p, 0);
    switch ( *p )
    {
    case 'T': case 't': shift = 40; p++; break;
    case 'G': case 'g': shift = 30; p++; break;
    case 'M': case 'm': shift = 20; p++; break;
    case 'K': case 'k': shift = 10; p++; break;
    case 'B': case 'b': p++; break;
    default: break;
    }
    if ( shift && (v >> (64 - shift)) )
        return -ERANGE;
    *out = v << shift;
    if ( end )
        *end = p;
    return 0;
}

int parse_dom0_mem(const char *s, struct dom0_mem_spec *spec)
{
    memset(spec, 0, sizeof(*spec));

    while ( *s )
    {
        unsigned long long v;
        const char *end;
        bool *have = &spec->have_amount;
        unsigned long long *dst = &spec->amount;

        if ( !strncmp(s, "min:", 4) )
        {
            s += 4;
            have = &spec->have_min;
            dst = &spec->min;
        }
        else if ( !strncmp(s, "max:", 4) )
        {
            s += 4;
            have = &spec->have_max;
            dst = &spec->max;
        }
        else if ( *s == '-' )
        {
            s++;
            spec->amount_is_negative = true;
        }
        if ( parse_size(s, &end, &v) || (*end && *end != ',') || *have )
            return -EINVAL;
        *have = true;
        *dst = v;
        s = *end ? end + 1 : end;
    }
    if ( spec->have_min && spec->have_max && spec->min > spec->max )
        return -EINVAL;
    return 0;
}

unsigned long long dom0_mem_resolve(const struct dom0_mem_spec *spec,
                                    unsigned long long avail)
{
    unsigned long long amt;

    if ( !spec->have_amount )
    {
        /* Xen's default: everything but a reserve for the hypervisor. */
        unsigned long long reserve = MIN(avail / 16, 128ULL << 20);

        amt = avail - reserve;
        if ( spec->have_max )
            amt = MIN(amt, spec->max);
    }
    else if ( spec->amount_is_negative )
        amt = spec->amount < avail ? avail - spec->amount : 0;
    else
        amt = spec->amount;

    if ( spec->have_min )
        amt = MAX(amt, spec->min);
    if ( spec->have_max )
        amt = MIN(amt, spec->max);
    return MIN(amt, avail);
}

static int apply(const struct param *p, const char *val, bool negated)
{
    int rc;

    switch ( p->type )
    {
    case PARAM_BOOL:
        rc = val ? parse_bool(val) : 1;
        if ( rc < 0 )
            return rc;
        *(bool *)p->var = negated ? !rc : rc;
        return 0;
    case PARAM_UINT:
    {
        const char *end;

        if ( !val || !*val || negated )
            return -EINVAL;
        *(unsigned long *)p->var = simple_strtoull(val, &end, 0);
        return *end ? -EINVAL : 0;
    }
    case PARAM_SIZE:
    {
        const char *end;
        unsigned long long v;

        if ( !val || negated || parse_size(val, &end, &v) || *end )
            return -EINVAL;
        *(unsigned long long *)p->var = v;
        return 0;
    }
    case PARAM_STRING:
        if ( !val || negated || strlen(val) >= p->len )
            return -EINVAL;
        strlcpy(p->var, val, p->len);
        return 0;
    case PARAM_CUSTOM:
        return negated ? -EINVAL : p->parse(val ? val : "");
    }
    return -EINVAL;
}

static const struct param *lookup(const struct param *params, size_t nr,
                                  const char *name)
{
    size_t i;

    for ( i = 0; i < nr; i++ )
        if ( !strcmp(params[i].name, name) )
            return &params[i];
    return NULL;
}

int cmdline_parse(const char *line, const struct param *params, size_t nr,
                  cmdline_report_fn report)
{
    int problems = 0;

    while ( line && *line )
    {
        char opt[OPT_MAX];
        size_t len = 0;
        char *val;
        const struct param *p;
        bool negated = false;

        while ( *line == ' ' || *line == '\t' )
            line++;
        if ( !*line )
            break;
        while ( line[len] && line[len] != ' ' && line[len] != '\t' )
            len++;
        if ( len >= sizeof(opt) )
        {
            report("option too long", "");
            problems++;
            line += len;
            continue;
        }
        memcpy(opt, line, len);
        opt[len] = '\0';
        line += len;

        val = strchr(opt, '=');
        if ( val )
            *val++ = '\0';
        p = lookup(params, nr, opt);
        if ( !p && !val && !strncmp(opt, "no-", 3) )
        {
            p = lookup(params, nr, opt + 3);
            negated = p && p->type == PARAM_BOOL;
            if ( !negated )
                p = NULL;
        }
        if ( !p )
        {
            report("unknown option", opt);
            problems++;
        }
        else if ( apply(p, val, negated) )
        {
            report("bad value for option", opt);
            problems++;
        }
    }
    return problems;
}
