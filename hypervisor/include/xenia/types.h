/*
 * Basic types. Machine frames, guest pseudo-physical frames and virtual
 * addresses are distinct wrapper types so the compiler catches a frame
 * number used in the wrong address space (mfn_t vs pfn_t).
 */
#ifndef XENIA_TYPES_H
#define XENIA_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t paddr_t;   /* machine (host-physical) address */
typedef uint64_t vaddr_t;   /* virtual address, any address space */

typedef struct { uint64_t m; } mfn_t;   /* machine frame number */
typedef struct { uint64_t p; } pfn_t;   /* guest pseudo-physical frame */

static inline mfn_t _mfn(uint64_t m) { return (mfn_t){ m }; }
static inline uint64_t mfn_x(mfn_t m) { return m.m; }
static inline pfn_t _pfn(uint64_t p) { return (pfn_t){ p }; }
static inline uint64_t pfn_x(pfn_t p) { return p.p; }

#define INVALID_MFN_RAW (~0UL)
#define INVALID_MFN     _mfn(INVALID_MFN_RAW)
static inline bool mfn_valid_raw(mfn_t m) { return m.m != INVALID_MFN_RAW; }

typedef uint16_t domid_t;

#endif /* XENIA_TYPES_H */
