/*
 * json.c: thin helpers over yajl_gen for the CLI's JSON documents.
 */
#include "json.h"

#include <string.h>

yajl_gen xj_new(void)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if ( !g )
        return NULL;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "  ");
    return g;
}

void xj_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void xj_str(yajl_gen g, const char *s)
{
    if ( s )
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}

void xj_int(yajl_gen g, long long v)
{
    yajl_gen_integer(g, v);
}

void xj_bool(yajl_gen g, int v)
{
    yajl_gen_bool(g, v);
}

void xj_null(yajl_gen g)
{
    yajl_gen_null(g);
}

void xj_kstr(yajl_gen g, const char *k, const char *s)
{
    xj_key(g, k);
    xj_str(g, s);
}

void xj_kint(yajl_gen g, const char *k, long long v)
{
    xj_key(g, k);
    xj_int(g, v);
}

int xj_flush(yajl_gen g, FILE *f)
{
    const unsigned char *buf;
    size_t len;
    int rc = -1;

    if ( yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok )
    {
        rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
        /* yajl's beautified output ends without a newline. */
        if ( len && buf[len - 1] != '\n' )
            fputc('\n', f);
    }
    yajl_gen_free(g);
    return rc;
}
