/*
 * Xenia's virtual memory map (x86-64).
 *
 * The hypervisor lives in the range Xen's PV ABI reserves for it, L4 slots
 * 256-271 (0xffff800000000000-0xffff87ffffffffff); these L4 entries are
 * copied into every guest L4, so the hypervisor is mapped (supervisor-only)
 * in every address space. Guests own everything else.
 *
 *  0xffff800000000000  slot 256  M2P table, read-only and user-accessible
 *  0xffff804000000000            (end of the guest-visible M2P window)
 *  0xffff820000000000  slot 260  per-CPU GDT windows (16 pages each)
 *  0xffff82c000000000  slot 261  fixmap (LAPIC and other MMIO, 4 KiB pages)
 *  0xffff82d040000000  slot 261  hypervisor image: VA = XEN_VIRT_START + PA
 *  0xffff830000000000  slots 262-271  direct map of all RAM
 *
 * Physical: the image is loaded at 2 MiB by the multiboot loader.
 */
#ifndef XENIA_CONFIG_H
#define XENIA_CONFIG_H

#define PAGE_SHIFT          12
#define PAGE_SIZE           (1UL << PAGE_SHIFT)
#define PAGE_MASK           (~(PAGE_SIZE - 1))
#define L2_PAGE_SHIFT       21
#define L2_PAGE_SIZE        (1UL << L2_PAGE_SHIFT)

#define HYPERVISOR_HOLE_START   0xffff800000000000UL
#define HYPERVISOR_HOLE_END     0xffff880000000000UL
#define HV_L4_FIRST_SLOT        256
#define HV_L4_LAST_SLOT         271

#define RO_MPT_VIRT_START       0xffff800000000000UL
#define RO_MPT_VIRT_END         0xffff804000000000UL
#define GDT_WINDOW_START        0xffff820000000000UL
#define GDT_WINDOW_SIZE         (16UL * PAGE_SIZE)
#define FIXMAP_START            0xffff82c000000000UL
#define XEN_VIRT_START          0xffff82d040000000UL
#define XENIA_LOAD_PADDR        0x200000UL
#define DIRECTMAP_VIRT_START    0xffff830000000000UL
#define DIRECTMAP_VIRT_END      0xffff880000000000UL

/* Per-CPU stack block: IST stacks first, primary stack above them. */
#define STACK_ORDER         3
#define STACK_SIZE          (PAGE_SIZE << STACK_ORDER)
#define IST_DF_PAGE         0
#define IST_NMI_PAGE        1
#define IST_MCE_PAGE        2

#define NR_CPUS             8
#define MAX_VIRT_CPUS       32
#define MAX_DOMAINS         64

/* Selectors of the reserved part of the GDT (Xen's numbering). */
#define FIRST_RESERVED_GDT_PAGE  14
#define HV_FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_PAGE * 512)
#define HYPERVISOR_CS       0xe008
#define HYPERVISOR_DS       0xe010
#define GUEST_CS32          0xe023
#define GUEST_DS            0xe02b
#define GUEST_CS64          0xe033
#define TSS_SELECTOR        0xe038
#define LDT_SELECTOR        0xe048

#ifndef __ASSEMBLY__
#define __va(pa)  ((void *)((unsigned long)(pa) + DIRECTMAP_VIRT_START))
#define __pa(va)  ((unsigned long)(va) >= XEN_VIRT_START && \
                   (unsigned long)(va) < DIRECTMAP_VIRT_START ? \
                   (unsigned long)(va) - XEN_VIRT_START : \
                   (unsigned long)(va) - DIRECTMAP_VIRT_START)
#define mfn_to_virt(m)  __va((m) << PAGE_SHIFT)
#define virt_to_mfn(v)  (__pa(v) >> PAGE_SHIFT)
#endif

#endif /* XENIA_CONFIG_H */
