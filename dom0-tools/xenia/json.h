/*
 * json.h: the CLI's JSON output, through yajl's generator (yajl_gen).
 * Two-space indentation, one key per line.
 */
#ifndef XENIA_JSON_H
#define XENIA_JSON_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

yajl_gen xj_new(void);                 /* NULL if out of memory */
void xj_key(yajl_gen g, const char *k);
void xj_str(yajl_gen g, const char *s);    /* NULL: null */
void xj_int(yajl_gen g, long long v);
void xj_bool(yajl_gen g, int v);
void xj_null(yajl_gen g);
void xj_kstr(yajl_gen g, const char *k, const char *s);
void xj_kint(yajl_gen g, const char *k, long long v);
/* Write what was generated (and a newline) to f, then free g; 0 or -1. */
int xj_flush(yajl_gen g, FILE *f);

#endif /* XENIA_JSON_H */
