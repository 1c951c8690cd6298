/*
 * netback.h: xenia-netback, a user-space PV network backend for dom0
 * (docs/pv-drivers.md).
 */
#ifndef NETBACK_H
#define NETBACK_H

#include <stdbool.h>

struct nb_options {
    bool verbose;
    const char *tree;           /* "backend/vif" under dom0's home      */
    const char *type;           /* the backend `type` we serve          */
    const char *stats_dir;      /* /run/xenia/vif                       */
    const char *bridge;         /* one-device mode: overrides `bridge`  */
    int one_domid;              /* -1: every device of our type         */
    unsigned int one_devid;
};

/* Serve until a fatal error (or, in one-device mode, the device goes). */
int nb_run(const struct nb_options *o);

#endif /* NETBACK_H */
