/*
 * main.c: xenia-blkback's command line (docs/pv-drivers.md).
 *
 *   xenia-blkback [-f] [-v] [--pidfile F] [--type T] [--stats-dir D]
 *       every device under backend/vbd whose `type` is T ("xenia")
 *   xenia-blkback [-f] [-v] --domid N --devid D --params FILE [--mode r|w]
 *       one device; FILE and the mode override the store's params/mode
 */
#include "blkback.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: xenia-blkback [-f] [-v] [--pidfile FILE] [--type TYPE] [--stats-dir DIR]\n"
"       xenia-blkback [-f] [-v] [--pidfile FILE] --domid N --devid D\n"
"                     --params FILE [--mode r|w]\n"
"Serves Linux's xen-blkfront from dom0 user space.  The first form serves\n"
"every device under backend/vbd whose `type` node is TYPE (default xenia);\n"
"the second serves one device, FILE and the mode overriding the store's\n"
"params and mode.  -f stays in the foreground, -v logs the handshake.\n"
"Statistics go to DIR/DOMID-DEVID/ (default /run/xenia/vbd).\n");
}

/* A decimal number in [0, max], or -1. */
static long number(const char *s, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if ( errno || end == s || *end || v < 0 || v > max )
        return -1;
    return v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { "pidfile", required_argument, NULL, 'p' },
        { "type", required_argument, NULL, 't' },
        { "stats-dir", required_argument, NULL, 's' },
        { "domid", required_argument, NULL, 'd' },
        { "devid", required_argument, NULL, 'D' },
        { "params", required_argument, NULL, 'P' },
        { "mode", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bb_options o = {
        .tree = "backend/vbd", .type = "xenia",
        .stats_dir = "/run/xenia/vbd", .one_domid = -1, .one_readonly = -1,
    };
    const char *pidfile = NULL;
    bool foreground = false, have_devid = false;
    long n;
    int c;

    while ( (c = getopt_long(argc, argv, "fvp:h", opts, NULL)) != -1 )
    {
        switch ( c )
        {
        case 'f': foreground = true; break;
        case 'v': o.verbose = true; break;
        case 'p': pidfile = optarg; break;
        case 't': o.type = optarg; break;
        case 's': o.stats_dir = optarg; break;
        case 'd':
            if ( (n = number(optarg, 32751)) <= 0 )
            {
                fprintf(stderr, "xenia-blkback: --domid %s: not a guest "
                        "domain id (1..32751)\n", optarg);
                return 2;
            }
            o.one_domid = n;
            break;
        case 'D':
            if ( (n = number(optarg, INT_MAX)) < 0 )
            {
                fprintf(stderr, "xenia-blkback: --devid %s: not a device "
                        "number\n", optarg);
                return 2;
            }
            o.one_devid = n;
            have_devid = true;
            break;
        case 'P': o.one_params = optarg; break;
        case 'm':
            if ( strcmp(optarg, "r") && strcmp(optarg, "w") )
            {
                fprintf(stderr, "xenia-blkback: --mode %s: use r or w\n",
                        optarg);
                return 2;
            }
            o.one_readonly = optarg[0] == 'r';
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if ( optind < argc )
    {
        fprintf(stderr, "xenia-blkback: unexpected argument '%s'\n",
                argv[optind]);
        usage(stderr);
        return 2;
    }
    if ( (o.one_domid >= 0) != have_devid ||
         (o.one_domid >= 0) != (o.one_params != NULL) ||
         (o.one_readonly >= 0 && o.one_domid < 0) )
    {
        fprintf(stderr, "xenia-blkback: --domid, --devid and --params go "
                "together (and --mode with them)\n");
        return 2;
    }
    if ( o.one_params && access(o.one_params, R_OK) )
    {
        fprintf(stderr, "xenia-blkback: --params %s: %s\n", o.one_params,
                strerror(errno));
        return 1;
    }

    if ( !foreground && daemon(0, 1) )
    {
        perror("xenia-blkback: daemon");
        return 1;
    }
    if ( pidfile )
    {
        FILE *f = fopen(pidfile, "w");

        if ( !f )
        {
            fprintf(stderr, "xenia-blkback: %s: %s\n", pidfile,
                    strerror(errno));
            return 1;
        }
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    c = bb_run(&o);
    if ( pidfile )
        unlink(pidfile);
    return c;
}
