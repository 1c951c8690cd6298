/*
 * xenia_build.h: building a PV domain from dom0 (libxbuild over privcmd),
 * seeding its grant table, introducing it to the store and writing the
 * xl-style store nodes.  See docs/toolstack.md.
 */
#ifndef XENIA_BUILD_H
#define XENIA_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "xenia_ctrl.h"
#include "xenia_xs.h"

/* Kernel images: a PV ELF, or a Linux bzImage (xz, gzip, zstd payload). */
struct xn_kimage
{
    void *elf;                 /* malloc'd ELF image                     */
    size_t size;
    const char *format;        /* "elf", "bzImage+xz", ...               */
};

/* 0 or -errno; err gets a message naming what is wrong. */
int xn_kimage_load(const char *path, struct xn_kimage *k, char *err,
                   size_t errlen);
/* The same from memory (the buffer is not kept). */
int xn_kimage_from_buffer(const void *buf, size_t len, struct xn_kimage *k,
                          char *err, size_t errlen);
void xn_kimage_free(struct xn_kimage *k);
/* Read a whole file (ramdisks); 0 or -errno. */
int xn_read_file(const char *path, void **buf, size_t *len);

struct xn_domain_cfg
{
    const char *name;
    uint8_t uuid[16];
    const char *kernel, *ramdisk, *cmdline;
    uint64_t memory_mb, maxmem_mb;
    unsigned int vcpus, maxvcpus;
    const char *on_poweroff, *on_reboot, *on_crash;
    /* The kernel already unpacked (the CLI checked it), or NULL: the
     * build loads 'kernel' itself.  Not freed by the build. */
    const struct xn_kimage *image;
};

struct xn_build_result
{
    unsigned int domid;
    unsigned int store_port, console_port;   /* of the new domain */
    uint64_t store_mfn, console_mfn;
    /* On failure: the step, the call and the error. */
    char step[64];
    char call[64];
    int err;                   /* errno value */
    char msg[256];
};

/*
 * Create, build, seed, introduce and (unless paused) unpause a domain.
 * On failure nothing is left behind: the half-made domain is destroyed
 * and its store nodes removed.  0 or -errno.
 */
int xn_create_domain(struct xn_handle *h, struct xs_conn *xs,
                     const struct xn_domain_cfg *cfg, int paused,
                     struct xn_build_result *res);

/*
 * Destroy a domain and remove what the toolstack wrote for it
 * (/local/domain/N, /vm/UUID, /libxl/N); 0 or -errno.
 */
int xn_destroy_domain(struct xn_handle *h, struct xs_conn *xs,
                      unsigned int domid);

/* Name -> domid through /local/domain/N/name; -ENOENT if none. */
int xn_domid_by_name(struct xn_handle *h, struct xs_conn *xs,
                     const char *name);

/* dom0's own store entries, as xen-init-dom0 writes them. */
int xn_init_dom0(struct xn_handle *h, struct xs_conn *xs);

#endif /* XENIA_BUILD_H */
