/*
 * One line per first use of something a guest asked for that Xenia does
 * not implement, or refuses on purpose:
 *
 *   XENIA-UNHANDLED kind=hypercall|subop|msr|cpuid|port id=ID (detail)
 *
 * ID is the hypercall number (decimal), FAMILY.N for a sub-op (e.g.
 * memory_op.11), or the MSR index, CPUID leaf or I/O port in hex. Each
 * (kind, id) is reported once per boot, whichever domain asks. The
 * dom0-boot scenario checks every id seen against docs/dom0-refusals.md.
 */
#ifndef XENIA_UNHANDLED_H
#define XENIA_UNHANDLED_H

#include <xenia/types.h>

enum unhandled_kind {
    UNHANDLED_HYPERCALL,
    UNHANDLED_SUBOP,
    UNHANDLED_MSR,
    UNHANDLED_CPUID,
    UNHANDLED_PORT,
};

/* family names the sub-op's hypercall; NULL for the other kinds. */
void report_unhandled(enum unhandled_kind kind, const char *family,
                      uint64_t id, const char *detail);

#endif /* XENIA_UNHANDLED_H */
