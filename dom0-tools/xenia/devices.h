/*
 * devices.h: a guest's disks and vifs in the store, as xl writes them,
 * and the backends that serve them (docs/toolstack.md, "Devices").
 */
#ifndef XENIA_DEVICES_H
#define XENIA_DEVICES_H

#include <stddef.h>

#include "cfg.h"
#include "xenia_build.h"

/*
 * Check that every device of c can be served (backend programs found);
 * NULL, or what is missing (in buf).  Touches nothing.
 */
const char *dev_check_backends(const struct xcfg *c, char *buf, size_t len);

/* Give every vif without a MAC one (00:16:3e:xx:xx:xx, random). */
void dev_fill_macs(struct xcfg *c);

/*
 * Add one disk / vif to domain domid: the backend started if needed,
 * loop device, the backend's nodes, the frontend's, then the backend's
 * type (a running guest sees it at once).  0, or -1 with a message in
 * err and nothing left behind.
 */
int dev_disk_add(struct xs_conn *xs, unsigned int domid,
                 const struct xdisk *d, char *err, size_t len);
int dev_vif_add(struct xs_conn *xs, unsigned int domid,
                const struct xvif *v, char *err, size_t len);
/* All of c's devices; on failure the ones added are removed again. */
int dev_add_all(struct xs_conn *xs, unsigned int domid,
                const struct xcfg *c, char *err, size_t len);

/*
 * Detach a device of a live guest: online 0, backend state Closing, wait
 * (timeout_ms) for the backend to reach Closed, then remove its nodes and
 * release its loop device.  kind "vbd" or "vif".  0; -1 with a message
 * (the frontend refused to close: nothing removed; or no such device).
 * timeout_ms 0: force, remove the nodes without waiting.
 */
int dev_detach(struct xs_conn *xs, unsigned int domid, const char *kind,
               unsigned int devid, int timeout_ms, char *err, size_t len);

/*
 * Destroy a domain and what it had: its devices' backend nodes, loop
 * devices, then waits (bounded) for kernel backends to let go.
 */
int dev_destroy_domain(struct xn_handle *h, struct xs_conn *xs,
                       unsigned int domid);

/* block-list / network-list. */
int dev_list(struct xs_conn *xs, unsigned int domid, const char *kind);

#endif /* XENIA_DEVICES_H */
