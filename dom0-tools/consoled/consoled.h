#ifndef XENIA_CONSOLED_H
#define XENIA_CONSOLED_H

/* xenia-consoled: see consoled.c and docs/toolstack.md. */
#define XN_CONSOLED_SOCKET "/run/xenia/consoled.sock"
#define XN_CONSOLED_LOGDIR "/var/log/xenia/console"

/* The daemon (xenia-consoled, or `xenia consoled`); argv[0] is skipped. */
int xn_consoled_main(int argc, char **argv);

#endif /* XENIA_CONSOLED_H */
