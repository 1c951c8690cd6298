/*
 * main.c: xenia-netback's command line (docs/pv-drivers.md).
 *
 *   xenia-netback [-f] [-v] [--pidfile F] [--type T] [--stats-dir D]
 *       every device under backend/vif whose `type` is T ("xenia")
 *   xenia-netback [-f] [-v] [--pidfile F] --domid N --devid D [--bridge B]
 *       one device; B overrides the store's `bridge`
 */
#include "netback.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: xenia-netback [-f] [-v] [--pidfile FILE] [--type TYPE] [--stats-dir DIR]\n"
"       xenia-netback [-f] [-v] [--pidfile FILE] --domid N --devid D\n"
"                     [--bridge BRIDGE]\n"
"Serves Linux's xen-netfront from dom0 user space, over a TAP device\n"
"(vifN.D) on a bridge.  The first form serves every device under\n"
"backend/vif whose `type` node is TYPE (default xenia); the second serves\n"
"one device, BRIDGE overriding the store's `bridge` (default xenbr0).\n"
"-f stays in the foreground, -v logs the handshake and refused packets.\n"
"Statistics go to DIR/DOMID-DEVID/ (default /run/xenia/vif).\n");
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
        { "bridge", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct nb_options o = {
        .tree = "backend/vif", .type = "xenia",
        .stats_dir = "/run/xenia/vif", .one_domid = -1,
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
                fprintf(stderr, "xenia-netback: --domid %s: not a guest "
                        "domain id (1..32751)\n", optarg);
                return 2;
            }
            o.one_domid = n;
            break;
        case 'D':
            if ( (n = number(optarg, 65535)) < 0 )
            {
                fprintf(stderr, "xenia-netback: --devid %s: not a device "
                        "number (0..65535)\n", optarg);
                return 2;
            }
            o.one_devid = n;
            have_devid = true;
            break;
        case 'b':
            if ( !*optarg || strlen(optarg) >= IFNAMSIZ ||
                 strchr(optarg, '/') )
            {
                fprintf(stderr, "xenia-netback: --bridge '%s': not an "
                        "interface name (1..%d characters, no '/')\n",
                        optarg, IFNAMSIZ - 1);
                return 2;
            }
            o.bridge = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if ( optind < argc )
    {
        fprintf(stderr, "xenia-netback: unexpected argument '%s'\n",
                argv[optind]);
        usage(stderr);
        return 2;
    }
    if ( (o.one_domid >= 0) != have_devid ||
         (o.bridge && o.one_domid < 0) )
    {
        fprintf(stderr, "xenia-netback: --domid and --devid go together "
                "(and --bridge with them)\n");
        return 2;
    }

    if ( !foreground && daemon(0, 1) )
    {
        perror("xenia-netback: daemon");
        return 1;
    }
    if ( pidfile )
    {
        FILE *f = fopen(pidfile, "w");

        if ( !f )
        {
            fprintf(stderr, "xenia-netback: %s: %s\n", pidfile,
                    strerror(errno));
            return 1;
        }
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    c = nb_run(&o);
    if ( pidfile )
        unlink(pidfile);
    return c;
}
