/*
 * xs_core.c: set-up and tear-down of a store, logging and tracing.
 *
 * A fresh store holds "/", "/tool" and "/tool/xenstored", owned by dom0
 * and closed to everybody else ("n0"), as Xen's xenstored starts; the
 * toolstack (xen-init-dom0, libxl) creates the rest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "xenstored.h"

static const struct xs_perm dom0_only[1] = { { 0, XS_PERM_NONE } };

static int add_initial(struct xs_core *core, const char *path,
                       const char *child)
{
    struct xs_view v = { .st = &core->store };
    struct xs_node *n = xs_node_new(path, NULL, 0, dom0_only, 1);

    if ( !n || (child && xs_node_add_child(n, child)) )
    {
        xs_node_free(n);
        return ENOMEM;
    }
    return xs_view_put(&v, n);
}

static struct xs_perm *default_special(uint32_t *n)
{
    struct xs_perm *p = malloc(sizeof(*p));

    if ( p )
        *p = dom0_only[0];
    *n = 1;
    return p;
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int xs_core_init(struct xs_core *core, const struct xs_quota *q)
{
    int rc;

    memset(core, 0, sizeof(*core));
    core->now_ms = monotonic_ms;
    core->turn_ms = monotonic_ms();
    if ( q )
        core->quota = *q;
    else
        xs_quota_defaults(&core->quota);
    core->log_level = XS_LOG_WARN;
    rc = xs_store_init(&core->store);
    if ( rc )
        return rc;
    core->intro_perms = default_special(&core->n_intro_perms);
    core->release_perms = default_special(&core->n_release_perms);
    if ( !core->intro_perms || !core->release_perms ||
         add_initial(core, "/", "tool") ||
         add_initial(core, "/tool", "xenstored") ||
         add_initial(core, "/tool/xenstored", NULL) )
    {
        xs_core_fini(core);
        return ENOMEM;
    }
    return 0;
}

void xs_core_fini(struct xs_core *core)
{
    xs_domain_free_all(core);
    while ( core->conns )
        xs_conn_free(core->conns);
    xs_store_fini(&core->store);
    free(core->intro_perms);
    free(core->release_perms);
    core->intro_perms = core->release_perms = NULL;
}

void xs_core_reap(struct xs_core *core)
{
    struct xs_conn *c, *next;

    for ( c = core->conns; c; c = next )
    {
        next = c->next;
        if ( c->dead )
            xs_conn_free(c);
    }
    xs_domain_reap(core);
}

void xs_log(struct xs_core *core, enum xs_log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    char msg[512];
    va_list ap;

    if ( lvl > core->log_level && !core->trace )
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if ( core->trace )
        fprintf(core->trace, "LOG %s: %s\n", names[lvl], msg);
    if ( lvl > core->log_level )
        return;
    if ( core->use_syslog )
        syslog(prio[lvl], "%s", msg);
    else
        fprintf(stderr, "xenia-stored: %s: %s\n", names[lvl], msg);
}

/* One line per message: direction, connection, type, ids, payload with
 * NULs shown as spaces (cut at 64 bytes). */
void xs_trace_msg(struct xs_core *core, const struct xs_conn *c,
                  const char *dir, const struct xsd_sockmsg *hdr,
                  const char *data)
{
    char text[65];
    uint32_t i, n;
    struct timespec ts;

    if ( !core->trace )
        return;
    n = hdr->len < 64 ? hdr->len : 64;
    for ( i = 0; i < n; i++ )
        text[i] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : ' ';
    text[n] = '\0';
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(core->trace, "%s %ld.%06ld dom%u/%p %s req=%u tx=%u len=%u (%s)\n",
            dir, (long)ts.tv_sec, ts.tv_nsec / 1000, c->id, (const void *)c,
            xs_type_name(hdr->type), hdr->req_id, hdr->tx_id, hdr->len, text);
    fflush(core->trace);
}
