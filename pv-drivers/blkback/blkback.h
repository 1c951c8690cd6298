/*
 * blkback.h: xenia-blkback, a user-space PV block backend for dom0
 * (docs/pv-drivers.md).
 */
#ifndef BLKBACK_H
#define BLKBACK_H

#include <stdbool.h>
#include <stdint.h>

struct bb_options {
    bool verbose;
    const char *tree;           /* "backend/vbd" under dom0's home      */
    const char *type;           /* the backend `type` we serve          */
    const char *stats_dir;      /* /run/xenia/vbd                       */
    /* One-device mode (--domid): only this device, params/mode given. */
    int one_domid;              /* -1: every device of our type         */
    unsigned int one_devid;
    const char *one_params;
    int one_readonly;           /* -1: from the store's `mode`          */
};

/* Serve until a fatal error (or, in one-device mode, the device goes). */
int bb_run(const struct bb_options *o);

#endif /* BLKBACK_H */
