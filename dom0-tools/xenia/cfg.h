/*
 * cfg.h: the xl.cfg subset `xenia create` reads (docs/toolstack.md).
 */
#ifndef XENIA_CFG_H
#define XENIA_CFG_H

#include <stdint.h>
#include <stdio.h>

#define CFG_STR 256
#define CFG_MAX_DISKS 16
#define CFG_MAX_VIFS 8

/* One disk= entry / <disk> element (docs/man/xenia.cfg.md). */
struct xdisk
{
    char target[CFG_STR];      /* image file or block device             */
    char vdev[16];             /* "xvda"                                 */
    unsigned int devid;        /* xl's number for vdev (51712 = xvda)    */
    int readonly;
    int cdrom;                 /* devtype=cdrom                          */
    char backendtype[8];       /* "xenia" (user space) or "phy" (kernel) */
    unsigned int line;         /* where it was given, for messages       */
};

/* One vif= entry / <interface> element. */
struct xvif
{
    char mac[18];              /* "" = generated at create (00:16:3e:..) */
    char bridge[64];           /* "" = xenbr0                            */
    char backendtype[8];       /* "xenia" or "kernel"                    */
    unsigned int devid;        /* its index in the list                  */
};

struct xcfg
{
    char name[CFG_STR];
    char uuid[40];             /* as written, "" = generate             */
    char kernel[CFG_STR], ramdisk[CFG_STR];
    char cmdline[1024], extra[1024], root[CFG_STR];
    long memory, maxmem;       /* MiB; -1 = unset                        */
    long vcpus, maxvcpus;      /* -1 = unset                             */
    char on_poweroff[32], on_reboot[32], on_crash[32];
    char type[16];
    struct xdisk disks[CFG_MAX_DISKS];
    unsigned int ndisks;
    struct xvif vifs[CFG_MAX_VIFS];
    unsigned int nvifs;
    /* Line of each setting, for duplicate detection (0 = unset). */
    unsigned int line_of[24];
};

void cfg_init(struct xcfg *c);
/*
 * Parse text (from file 'fname', for messages).  0, or -1 with the
 * message "FNAME:LINE:COL: ..." in err.
 */
int cfg_parse(struct xcfg *c, const char *fname, const char *text,
              char *err, size_t errlen);
/* Check the whole config and fill defaults; -1 with "FNAME: ..." in err. */
int cfg_finish(struct xcfg *c, const char *fname, char *err, size_t errlen);
/* NULL if 'name' is a valid domain name, else what is wrong with it. */
const char *cfg_name_problem(const char *name);
/*
 * A libvirt domain XML document (<domain type='xen'>, xml.c) into c, the
 * same fields the xl.cfg parser fills.  0, or -1 with "FNAME:LINE: ..."
 * in err.  Warnings (elements not acted on) go to stderr.
 */
int cfg_parse_xml(struct xcfg *c, const char *fname, const char *text,
                  size_t len, char *err, size_t errlen);
/* The text is a libvirt XML document (its first non-blank byte is '<'). */
int cfg_is_xml(const char *text, size_t len);
/*
 * One disk spec (xl's: positional "target,format,vdev,access" or
 * key=value) into d; NULL, or what is wrong (static or in buf).
 */
const char *cfg_parse_disk(const char *spec, struct xdisk *d, char *buf,
                           size_t buflen);
/* One vif spec ("mac=..,bridge=.."); NULL or what is wrong. */
const char *cfg_parse_vif(const char *spec, struct xvif *v, char *buf,
                          size_t buflen);
/* vdev name -> xl's device number; -1 if not a supported name. */
int cfg_vdev_devid(const char *vdev);
/* A MAC "xx:xx:xx:xx:xx:xx" (unicast): NULL, else what is wrong. */
const char *cfg_mac_problem(const char *mac);
/* The guest's command line (cmdline, else root= + extra). */
void cfg_cmdline(const struct xcfg *c, char *out, size_t len);
/* The resolved config as JSON (schema: docs/toolstack.md). */
void cfg_print_json(const struct xcfg *c, FILE *f);

#endif /* XENIA_CFG_H */
