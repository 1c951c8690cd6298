/*
 * Basic types. Frame numbers are plain unsigned longs: in a PV-only
 * hypervisor every frame number it handles is a machine frame (see
 * docs/memory.md, "Frame numbers"); names say the rest (mfn, pfn).
 */
#ifndef XENIA_TYPES_H
#define XENIA_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t paddr_t;   /* machine (host-physical) address */
typedef uint64_t vaddr_t;   /* virtual address, any address space */

typedef uint16_t domid_t;

#endif /* XENIA_TYPES_H */
