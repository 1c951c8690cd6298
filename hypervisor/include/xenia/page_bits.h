/* x86-64 page-table entry bits and index helpers: no instructions. */
#ifndef XENIA_PAGE_BITS_H
#define XENIA_PAGE_BITS_H

#include <xenia/types.h>

/* Page-table entry bits. */
#define _PAGE_PRESENT       (1UL << 0)
#define _PAGE_RW            (1UL << 1)
#define _PAGE_USER          (1UL << 2)
#define _PAGE_PWT           (1UL << 3)
#define _PAGE_PCD           (1UL << 4)
#define _PAGE_ACCESSED      (1UL << 5)
#define _PAGE_DIRTY         (1UL << 6)
#define _PAGE_PSE           (1UL << 7)
#define _PAGE_GLOBAL        (1UL << 8)
#define _PAGE_NX            (1UL << 63)
#define PADDR_MASK          0x000ffffffffff000UL
#define PTE_MFN(e)          (((e) & PADDR_MASK) >> PAGE_SHIFT)

/*
 * Whether va is canonical: bits 63:47 all equal (48-bit virtual
 * addresses). Loading a non-canonical address into RIP, RSP or a segment
 * base faults in the hypervisor, so every such value from a guest is
 * checked with this first.
 */
static inline bool is_canonical_address(uint64_t va)
{
    return (int64_t)(va << 16) >> 16 == (int64_t)va;
}

#define l1_table_offset(va) (((va) >> 12) & 511)
#define l2_table_offset(va) (((va) >> 21) & 511)
#define l3_table_offset(va) (((va) >> 30) & 511)
#define l4_table_offset(va) (((va) >> 39) & 511)

#endif /* XENIA_PAGE_BITS_H */
