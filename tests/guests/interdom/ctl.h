/*
 * ctl.h: the initial domain's side of the peer kernel (tests/guests/peer),
 * shared by the interdom test and the interbench bench.
 *
 * - the libxbuild ops as raw hypercalls, foreign mappings through a few
 *   PTEs of the scratch window;
 * - building a peer, connecting to its console ring (output lines in,
 *   commands out, protocol in peer/peer.h), destroying it;
 * - event-channel, grant-table and waiting helpers.
 *
 * Every wait is "poll a bounded number of times": SCHEDOP_poll with a
 * short timeout paces the loop, nothing is asserted on time.
 */
#ifndef XTEST_INTERDOM_CTL_H
#define XTEST_INTERDOM_CTL_H

#include "xtpv.h"
#include "xtcons.h"
#include "xbops.h"
#include "dom0.h"
#include "../peer/peer.h"

#include <public/grant_table.h>

#define CTL_POLL_NS    XBH_POLL_NS   /* 10 ms: pacing only              */
#define CTL_MAX_POLLS  XBH_MAX_POLLS /* bound on any wait (30 s)        */
#define CTL_PEER_KB    4096          /* a small peer: the initial map   */
#define CTL_PEER_PAGES (CTL_PEER_KB / 4)

extern const struct xb_ops ctl_ops;

/* Call once first: trap table, scratch PTEs, VIRQ_DOM_EXC (masked). */
void ctl_init(void);
extern evtchn_port_t ctl_virq_port;
/* Echo the peers' console lines as "peer| ..." (default true). */
extern bool ctl_echo;

/* ---- events (mask, poll, bind, close: xbhost/dom0.h) ---- */
long ctl_send(evtchn_port_t port);
long ctl_status(domid_t dom, evtchn_port_t port, struct evtchn_status *st);
long ctl_alloc_unbound(domid_t remote, evtchn_port_t *port);

/* ---- grants ---- */
long ctl_gnttab(unsigned int cmd, void *arg, unsigned int count);
/* Map (dom, ref) at va; returns the status (or rc); *handle on success. */
int ctl_map(domid_t dom, grant_ref_t ref, uint32_t flags, unsigned long va,
            grant_handle_t *handle);
int ctl_unmap(grant_handle_t handle, unsigned long va);

/* ---- the system (domains gone, settled memory: xbhost/dom0.h) ---- */
uint64_t ctl_free_pages(void);           /* physinfo; 0 on error       */
uint64_t ctl_ns(uint64_t tsc_cycles);    /* TSC cycles to ns            */

/* ---- peers ---- */
struct peer
{
    domid_t dom;                  /* DOMID_INVALID when there is none  */
    struct xb_domain out;
    long build_rc;
    struct xt_cons_ring *ring;    /* mapped at the peer's slot         */
    unsigned int slot;
    evtchn_port_t cons_port, store_port;    /* our ends                */
    char line[256];               /* partial output line               */
    size_t len;
    unsigned long lines;          /* complete lines seen               */
    /* The last "peer: <verb> ..." answer. */
    char verb[16];
    long val[5];
    unsigned int nval;
    bool answered;
    bool verdict_seen;
    char verdict[16];
};

/* The maximum grant version peers are built with (0: the highest). */
extern unsigned int ctl_peer_grant_version;

/*
 * Build a peer (paused), bind its console and store ports, map its ring.
 * 0 or the failing result; on failure nothing is left behind.
 */
long peer_build(struct peer *p, const char *cmdline);
long peer_unpause(struct peer *p);
/* Read what the peer wrote (and tell it there is room again). */
void peer_pump(struct peer *p);
/* Bounded wait until at least 'n' complete lines came. */
bool peer_wait_lines(struct peer *p, unsigned long n);
/* Bounded wait for the answer "peer: <verb> ...". */
bool peer_wait_answer(struct peer *p, const char *verb);
/* Send a command line (printf format) and wait for its answer. */
bool peer_cmd(struct peer *p, const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Send a command line without waiting. */
void peer_send_line(struct peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Bounded wait for the peer to shut down: its reason, or -1. */
int peer_wait_shutdown(struct peer *p);
/* Unmap the ring; close our ports unless keep_ports. */
void peer_disconnect(struct peer *p, bool keep_ports);
/* Destroy the domain (disconnects first); the result of destroydomain. */
long peer_destroy(struct peer *p);

#endif /* XTEST_INTERDOM_CTL_H */
