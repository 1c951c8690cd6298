/*
 * child.h: what the child kernel (tests/guests/child) and its parent
 * (tests/guests/domains) agree on.
 *
 * The parent builds the child as an unprivileged PV domU with libxbuild
 * and passes it, on its command line:
 *   pages=<n>       the number of pages it gave the child;
 *   dom0mfn=<hex>   a machine frame the parent owns (a target the child
 *                   must not be able to map);
 *   mode=crash      shut down with SHUTDOWN_crash at once (no checks).
 * The child writes all output to its console ring.  After its checks it
 * prints CHILD_SPIN_TAG and the virtual address of its spin page, then
 * counts in spin page word 0 until the parent sets word 1.
 */
#ifndef XTEST_CHILD_H
#define XTEST_CHILD_H

#define CHILD_NR_CHECKS 36
#define CHILD_SPIN_TAG  "xtest-child: spin page "
#define CHILD_SPIN_COUNTER 0
#define CHILD_SPIN_STOP    1

#endif /* XTEST_CHILD_H */
