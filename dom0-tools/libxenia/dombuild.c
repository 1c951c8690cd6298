/*
 * dombuild.c: a PV domain from dom0.  libxbuild does the build proper
 * through an ops table over privcmd; this file adds what the toolstack
 * does around it (libxl's order): the grant-table seed (entries 0 and 1
 * for dom0, as xc_dom_gnttab_seed), the xl-style store nodes, the
 * introduction to the store and the unpause; and the unwinding when any
 * step fails.
 */
#include "xenia_build.h"

#include <errno.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <uuid/uuid.h>

#include "xbuild.h"

/* ------------------------------------------------------------------ */
/* libxbuild's ops over privcmd.                                       */

static long ops_domctl(void *o, struct xen_domctl *op)
{
    return xn_domctl(o, op);
}

static long ops_sysctl(void *o, struct xen_sysctl *op)
{
    return xn_sysctl(o, op);
}

static long ops_memory_op(void *o, unsigned int cmd, void *arg)
{
    return xn_memory_op(o, cmd, arg);
}

static long ops_mmu_update(void *o, const struct mmu_update *req,
                           unsigned int count, unsigned int *done,
                           domid_t fdom)
{
    return xn_mmu_update(o, req, count, done, fdom);
}

static long ops_mmuext_op(void *o, const struct mmuext_op *op,
                          unsigned int count, unsigned int *done,
                          domid_t fdom)
{
    return xn_mmuext_op(o, op, count, done, fdom);
}

static long ops_evtchn_op(void *o, int cmd, void *arg)
{
    return xn_evtchn_op(o, cmd, arg);
}

static void *ops_map_foreign(void *o, domid_t dom, xen_pfn_t mfn)
{
    return xn_map_foreign(o, dom, &mfn, 1, PROT_READ | PROT_WRITE);
}

static void ops_unmap_foreign(void *o, void *va)
{
    (void)o;
    xn_unmap(va, 1);
}

static void *ops_map_foreign_range(void *o, domid_t dom,
                                   const xen_pfn_t *mfns, unsigned int n)
{
    return xn_map_foreign(o, dom, mfns, n, PROT_READ | PROT_WRITE);
}

static void ops_unmap_foreign_range(void *o, void *va, unsigned int n)
{
    (void)o;
    xn_unmap(va, n);
}

static void xn_fill_ops(struct xb_ops *ops, struct xn_handle *h)
{
    memset(ops, 0, sizeof(*ops));
    ops->opaque = h;
    ops->domctl = ops_domctl;
    ops->sysctl = ops_sysctl;
    ops->memory_op = ops_memory_op;
    ops->mmu_update = ops_mmu_update;
    ops->mmuext_op = ops_mmuext_op;
    ops->event_channel_op = ops_evtchn_op;
    ops->map_foreign = ops_map_foreign;
    ops->unmap_foreign = ops_unmap_foreign;
    ops->map_foreign_range = ops_map_foreign_range;
    ops->unmap_foreign_range = ops_unmap_foreign_range;
}

/* ------------------------------------------------------------------ */

static int bfail(struct xn_build_result *r, const char *step,
                 const char *call, int err, const char *fmt, ...)
{
    va_list ap;

    snprintf(r->step, sizeof(r->step), "%s", step);
    snprintf(r->call, sizeof(r->call), "%s", call);
    r->err = err;
    r->msg[0] = '\0';
    if ( fmt )
    {
        va_start(ap, fmt);
        vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
        va_end(ap);
    }
    return -err;
}

/*
 * Grant entries 0 (console) and 1 (xenstore) of the new domain grant
 * its rings to dom0, as xc_dom_gnttab_seed does: the table's first
 * frame comes from GNTTABOP_setup_table issued for the domain and is
 * written through a foreign mapping.
 */
static int xn_gnttab_seed(struct xn_handle *h, unsigned int domid,
                          uint64_t console_mfn, uint64_t store_mfn,
                          struct xn_build_result *r)
{
    xen_pfn_t frame;
    struct grant_entry_v1 *g;
    long rc = xn_gnttab_setup_table(h, domid, 1, &frame);

    if ( rc )
        return bfail(r, "grant-table seed", "GNTTABOP_setup_table", -rc,
                     NULL);
    g = xn_map_foreign(h, domid, &frame, 1, PROT_READ | PROT_WRITE);
    if ( !g )
        return bfail(r, "grant-table seed",
                     "IOCTL_PRIVCMD_MMAPBATCH_V2 (grant frame)", errno,
                     "frame %#lx", (unsigned long)frame);
    g[GNTTAB_RESERVED_CONSOLE].domid = 0;
    g[GNTTAB_RESERVED_CONSOLE].frame = console_mfn;
    g[GNTTAB_RESERVED_XENSTORE].domid = 0;
    g[GNTTAB_RESERVED_XENSTORE].frame = store_mfn;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    g[GNTTAB_RESERVED_CONSOLE].flags = GTF_permit_access;
    g[GNTTAB_RESERVED_XENSTORE].flags = GTF_permit_access;
    xn_unmap(g, 1);
    return 0;
}

/* Store writes, with "path" built printf-style. */
struct xsw
{
    struct xs_conn *xs;
    uint32_t tx;
    int err;                   /* first error (errno) */
    char failed[300];
};

static void xsw_write(struct xsw *w, const char *val, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    int rc;

    if ( w->err )
        return;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    rc = xs_write_str(w->xs, w->tx, path, val);
    if ( rc )
    {
        w->err = -rc;
        snprintf(w->failed, sizeof(w->failed), "write %s", path);
    }
}

static void xsw_perms(struct xsw *w, unsigned int owner, int reader,
                      const char *fmt, ...)
{
    char path[256], p0[16], p1[16];
    const char *perms[2] = { p0, p1 };
    va_list ap;
    int rc;

    if ( w->err )
        return;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    snprintf(p0, sizeof(p0), "n%u", owner);
    snprintf(p1, sizeof(p1), "r%d", reader);
    rc = xs_mkdir(w->xs, w->tx, path);
    if ( !rc )
        rc = xs_set_perms(w->xs, w->tx, path, perms, reader >= 0 ? 2 : 1);
    if ( rc )
    {
        w->err = -rc;
        snprintf(w->failed, sizeof(w->failed), "set_perms %s", path);
    }
}

/* The nodes xl writes for a PV guest before it introduces it. */
static int xn_write_nodes(struct xs_conn *xs,
                          const struct xn_domain_cfg *cfg,
                          const struct xn_build_result *b,
                          struct xn_build_result *r)
{
    static const char *const rw_dirs[] = {
        "device", "data", "drivers", "feature", "attr", "error",
        "control/shutdown",
    };
    char uuid[37], num[64];
    unsigned int d = b->domid, i, tries;
    struct timespec now;
    int rc;

    uuid_unparse_lower(cfg->uuid, uuid);
    for ( tries = 0; tries < 10; tries++ )
    {
        struct xsw w = { .xs = xs };

        rc = xs_transaction_start(xs, &w.tx);
        if ( rc )
            return bfail(r, "store nodes", "XS_TRANSACTION_START", -rc,
                         NULL);
        xsw_perms(&w, 0, d, "/local/domain/%u", d);
        xsw_perms(&w, 0, d, "/vm/%s", uuid);
        xsw_write(&w, uuid, "/vm/%s/uuid", uuid);
        xsw_write(&w, cfg->name, "/vm/%s/name", uuid);
        xsw_write(&w, "linux", "/vm/%s/image/ostype", uuid);
        /* As xl: seconds since the epoch, for `uptime`. */
        clock_gettime(CLOCK_REALTIME, &now);
        snprintf(num, sizeof(num), "%lld.%02ld", (long long)now.tv_sec,
                 now.tv_nsec / 10000000);
        xsw_write(&w, num, "/vm/%s/start_time", uuid);
        xsw_write(&w, cfg->name, "/local/domain/%u/name", d);
        snprintf(num, sizeof(num), "%u", d);
        xsw_write(&w, num, "/local/domain/%u/domid", d);
        snprintf(num, sizeof(num), "/vm/%s", uuid);
        xsw_write(&w, num, "/local/domain/%u/vm", d);
        snprintf(num, sizeof(num), "%llu",
                 (unsigned long long)cfg->memory_mb * 1024);
        xsw_write(&w, num, "/local/domain/%u/memory/target", d);
        snprintf(num, sizeof(num), "%llu",
                 (unsigned long long)cfg->maxmem_mb * 1024);
        xsw_write(&w, num, "/local/domain/%u/memory/static-max", d);
        snprintf(num, sizeof(num), "%llu",
                 (unsigned long long)b->console_mfn);
        xsw_write(&w, num, "/local/domain/%u/console/ring-ref", d);
        snprintf(num, sizeof(num), "%u", b->console_port);
        xsw_write(&w, num, "/local/domain/%u/console/port", d);
        xsw_write(&w, "xenconsoled", "/local/domain/%u/console/type", d);
        xsw_write(&w, "pty", "/local/domain/%u/console/output", d);
        xsw_write(&w, "1048576", "/local/domain/%u/console/limit", d);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)b->store_mfn);
        xsw_write(&w, num, "/local/domain/%u/store/ring-ref", d);
        snprintf(num, sizeof(num), "%u", b->store_port);
        xsw_write(&w, num, "/local/domain/%u/store/port", d);
        for ( i = 0; i < cfg->maxvcpus; i++ )
            xsw_write(&w, i < cfg->vcpus ? "online" : "offline",
                      "/local/domain/%u/cpu/%u/availability", d, i);
        xsw_perms(&w, 0, d, "/local/domain/%u/control", d);
        for ( i = 0; i < sizeof(rw_dirs) / sizeof(rw_dirs[0]); i++ )
            xsw_perms(&w, d, -1, "/local/domain/%u/%s", d, rw_dirs[i]);
        xsw_write(&w, "1", "/local/domain/%u/control/platform-feature-"
                  "multiprocessor-suspend", d);
        xsw_write(&w, "pv", "/libxl/%u/type", d);
        if ( w.err )
        {
            xs_transaction_end(xs, w.tx, 0);
            return bfail(r, "store nodes", w.failed, w.err, NULL);
        }
        rc = xs_transaction_end(xs, w.tx, 1);
        if ( rc == -EAGAIN )
            continue;
        if ( rc )
            return bfail(r, "store nodes", "XS_TRANSACTION_END", -rc, NULL);
        return 0;
    }
    return bfail(r, "store nodes", "XS_TRANSACTION_END", EAGAIN,
                 "10 conflicting transactions in a row");
}

static int xn_set_maxmem(struct xn_handle *h, unsigned int domid,
                         uint64_t kb)
{
    struct xen_domctl op = { 0 };

    op.u.max_mem.max_memkb = kb;
    return xn_domctl_op(h, XEN_DOMCTL_max_mem, domid, &op);
}

int xn_create_domain(struct xn_handle *h, struct xs_conn *xs,
                     const struct xn_domain_cfg *cfg, int paused,
                     struct xn_build_result *res)
{
    struct xn_kimage k;
    struct xb_ops ops;
    struct xb_config xc;
    struct xb_domain out;
    void *rd = NULL;
    size_t rdlen = 0;
    xen_pfn_t *p2m = NULL;
    int rc;
    long lrc;

    memset(res, 0, sizeof(*res));
    res->domid = DOMID_INVALID;
    if ( cfg->image )
    {
        k = *cfg->image;       /* borrowed: not freed below */
        rc = 0;
    }
    else
        rc = xn_kimage_load(cfg->kernel, &k, res->msg, sizeof(res->msg));
    if ( rc )
    {
        char m[256];

        memcpy(m, res->msg, sizeof(m));
        return bfail(res, "kernel image", "load", -rc, "%s: %s",
                     cfg->kernel, m);
    }
    if ( cfg->ramdisk && *cfg->ramdisk &&
         (rc = xn_read_file(cfg->ramdisk, &rd, &rdlen)) )
    {
        if ( !cfg->image )
            xn_kimage_free(&k);
        return bfail(res, "ramdisk", "read", -rc, "%s", cfg->ramdisk);
    }
    p2m = calloc(cfg->memory_mb * 256, sizeof(*p2m));
    if ( !p2m )
    {
        rc = bfail(res, "p2m workspace", "calloc", ENOMEM, NULL);
        goto out;
    }

    memset(&xc, 0, sizeof(xc));
    xc.kernel = k.elf;
    xc.kernel_size = k.size;
    xc.cmdline = cfg->cmdline;
    xc.mem_kb = cfg->memory_mb * 1024;
    xc.max_vcpus = cfg->maxvcpus;
    xc.backend_domid = 0;
    memcpy(xc.handle, cfg->uuid, sizeof(xc.handle));
    xc.p2m = p2m;
    xc.p2m_entries = cfg->memory_mb * 256;
    xc.ramdisk = rd;
    xc.ramdisk_size = rdlen;
    xn_fill_ops(&ops, h);
    rc = xb_build_pv(&ops, &xc, &out);
    if ( rc )
    {
        rc = bfail(res, "build", out.failed_step ? out.failed_step : "?",
                   -rc, "raw result %ld", out.failed_rc);
        goto out;
    }
    res->domid = out.domid;
    res->store_port = out.store_evtchn;
    res->console_port = out.console_evtchn;
    res->store_mfn = out.store_mfn;
    res->console_mfn = out.console_mfn;

    if ( cfg->maxmem_mb > cfg->memory_mb &&
         (lrc = xn_set_maxmem(h, out.domid, cfg->maxmem_mb * 1024 + 1024)) )
    {
        rc = bfail(res, "memory limit", "XEN_DOMCTL_max_mem", -lrc, NULL);
        goto fail;
    }
    if ( (rc = xn_gnttab_seed(h, out.domid, out.console_mfn, out.store_mfn,
                              res)) )
        goto fail;
    if ( (rc = xn_write_nodes(xs, cfg, res, res)) )
        goto fail;
    rc = xs_introduce(xs, out.domid, out.store_mfn, out.store_evtchn);
    if ( rc )
    {
        rc = bfail(res, "store introduction", "XS_INTRODUCE", -rc, NULL);
        goto fail;
    }
    if ( !paused && (lrc = xb_unpause(&ops, out.domid)) )
    {
        rc = bfail(res, "unpause", "XEN_DOMCTL_unpausedomain", -lrc, NULL);
        goto fail;
    }
    rc = 0;
    goto out;

 fail:
    xn_destroy_domain(h, xs, out.domid);
    res->domid = DOMID_INVALID;
 out:
    free(p2m);
    free(rd);
    if ( !cfg->image )
        xn_kimage_free(&k);
    return rc;
}

int xn_destroy_domain(struct xn_handle *h, struct xs_conn *xs,
                      unsigned int domid)
{
    struct xen_domctl op;
    char path[64], *vm;
    long rc;
    int tries;

    if ( xs )
    {
        snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
        vm = xs_read(xs, 0, path, NULL);
        if ( vm && !strncmp(vm, "/vm/", 4) )
            xs_rm(xs, 0, vm);
        free(vm);
        snprintf(path, sizeof(path), "/local/domain/%u", domid);
        xs_rm(xs, 0, path);
        snprintf(path, sizeof(path), "/libxl/%u", domid);
        xs_rm(xs, 0, path);
    }
    for ( tries = 0; ; tries++ )
    {
        memset(&op, 0, sizeof(op));
        rc = xn_domctl_op(h, XEN_DOMCTL_destroydomain, domid, &op);
        if ( rc != -EAGAIN || tries > 1000 )
            break;
    }
    /* The store forgets the domain when it sees it die (VIRQ_DOM_EXC). */
    return rc;
}

int xn_domid_by_name(struct xn_handle *h, struct xs_conn *xs,
                     const char *name)
{
    struct xen_domctl_getdomaininfo info[64];
    char path[64], *v;
    long n, i;
    domid_t next = 0;

    if ( !strcmp(name, "Domain-0") )
        return 0;
    for ( ;; )
    {
        n = xn_domain_list(h, next, info, 64);
        if ( n < 0 )
            return n;
        if ( n == 0 )
            return -ENOENT;
        for ( i = 0; i < n; i++ )
        {
            snprintf(path, sizeof(path), "/local/domain/%u/name",
                     info[i].domain);
            v = xs_read(xs, 0, path, NULL);
            if ( v && !strcmp(v, name) )
            {
                free(v);
                return info[i].domain;
            }
            free(v);
        }
        next = info[n - 1].domain + 1;
    }
}

int xn_init_dom0(struct xn_handle *h, struct xs_conn *xs)
{
    struct xen_domctl op = { 0 };
    struct xen_domctl_getdomaininfo *di = &op.u.getdomaininfo;
    static const uint8_t zero[16];
    uint8_t handle[16];
    char uuid[37], num[64];
    struct xsw w = { .xs = xs };
    long rc = xn_domctl_op(h, XEN_DOMCTL_getdomaininfo, 0, &op);

    if ( rc )
        return rc;
    memcpy(handle, di->handle, 16);
    snprintf(num, sizeof(num), "%llu",
             (unsigned long long)di->tot_pages * 4);
    if ( !memcmp(handle, zero, 16) )
    {
        uuid_generate(handle);
        memset(&op, 0, sizeof(op));
        memcpy(op.u.setdomainhandle.handle, handle, 16);
        rc = xn_domctl_op(h, XEN_DOMCTL_setdomainhandle, 0, &op);
        if ( rc )
            return rc;
    }
    uuid_unparse_lower(handle, uuid);
    xsw_write(&w, "Domain-0", "/local/domain/0/name");
    xsw_write(&w, "0", "/local/domain/0/domid");
    xsw_write(&w, num, "/local/domain/0/memory/target");
    xsw_write(&w, uuid, "/vm/%s/uuid", uuid);
    xsw_write(&w, "Domain-0", "/vm/%s/name", uuid);
    snprintf(num, sizeof(num), "/vm/%s", uuid);
    xsw_write(&w, num, "/local/domain/0/vm");
    xsw_write(&w, "Pool-0", "/local/pool/0/name");
    return -w.err;
}
