/*
 * The first-use log of unimplemented and refused requests (see
 * xenia/unhandled.h). A small table remembers what was reported; once it
 * is full, nothing more is printed (a guest probing every port or MSR
 * cannot flood the console), after one line saying so.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md).
 */
#include <xenia/lib.h>
#include <xenia/current.h>
#include <xenia/sched.h>
#include <xenia/unhandled.h>

#define SEEN_MAX 256

static struct {
    enum unhandled_kind kind;
    const char *family;
    uint64_t id;
} seen[SEEN_MAX];
static unsigned int nr_seen;

static const char *const kind_names[] = {
    [UNHANDLED_HYPERCALL] = "hypercall",
    [UNHANDLED_SUBOP] = "subop",
    [UNHANDLED_MSR] = "msr",
    [UNHANDLED_CPUID] = "cpuid",
    [UNHANDLED_PORT] = "port",
};

static bool already_seen(enum unhandled_kind kind, const char *family,
                         uint64_t id)
{
    unsigned int i;

    for ( i = 0; i < nr_seen; i++ )
        if ( seen[i].kind == kind && seen[i].id == id &&
             (seen[i].family == family ||
              (family && seen[i].family && !strcmp(seen[i].family, family))) )
            return true;
    if ( nr_seen == SEEN_MAX )
        return true;
    seen[nr_seen].kind = kind;
    seen[nr_seen].family = family;
    seen[nr_seen].id = id;
    if ( ++nr_seen == SEEN_MAX )
        printk(XENLOG_WARNING "XENIA-UNHANDLED: %u ids reported; no more "
               "will be\n", SEEN_MAX);
    return false;
}

void report_unhandled(enum unhandled_kind kind, const char *family,
                      uint64_t id, const char *detail)
{
    const struct vcpu *v = current;
    char idbuf[48];

    if ( already_seen(kind, family, id) )
        return;
    if ( kind == UNHANDLED_SUBOP )
        snprintf(idbuf, sizeof(idbuf), "%s.%lu", family, (unsigned long)id);
    else if ( kind == UNHANDLED_HYPERCALL )
        snprintf(idbuf, sizeof(idbuf), "%lu", (unsigned long)id);
    else
        snprintf(idbuf, sizeof(idbuf), "%#lx", (unsigned long)id);
    printk(XENLOG_WARNING "XENIA-UNHANDLED kind=%s id=%s (d%u: %s)\n",
           kind_names[kind], idbuf, v ? v->domain->domain_id : 0xffffu,
           detail);
}
