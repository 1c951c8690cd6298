/*
 * elfnote.h: ELF note types a PV kernel uses to describe itself to the
 * domain builder.  Notes live in a PT_NOTE segment with name "Xen".
 * "string" notes are NUL-terminated; "numeric" notes are a 32- or 64-bit
 * little-endian value.
 */
#ifndef XEN_PUBLIC_ELFNOTE_H
#define XEN_PUBLIC_ELFNOTE_H

#define XEN_ELFNOTE_INFO               0  /* unused                         */
#define XEN_ELFNOTE_ENTRY              1  /* numeric: virtual entry point    */
#define XEN_ELFNOTE_HYPERCALL_PAGE     2  /* numeric: VA to fill with stubs  */
#define XEN_ELFNOTE_VIRT_BASE          3  /* numeric: VA of pseudo-phys 0    */
#define XEN_ELFNOTE_PADDR_OFFSET       4  /* numeric: subtracted from VIRT_BASE */
#define XEN_ELFNOTE_XEN_VERSION        5  /* string: must be "xen-3.0"      */
#define XEN_ELFNOTE_GUEST_OS           6  /* string: e.g. "linux"           */
#define XEN_ELFNOTE_GUEST_VERSION      7  /* string: informational          */
#define XEN_ELFNOTE_LOADER             8  /* string: must be "generic"      */
#define XEN_ELFNOTE_PAE_MODE           9  /* string: 32-bit PAE only        */
#define XEN_ELFNOTE_FEATURES          10  /* string: "a|!b" (! = required)  */
#define XEN_ELFNOTE_BSD_SYMTAB        11  /* string: "yes" = load symbols   */
#define XEN_ELFNOTE_HV_START_LOW      12  /* numeric: 32-bit guests only    */
#define XEN_ELFNOTE_L1_MFN_VALID      13  /* numeric pair: mask, value      */
#define XEN_ELFNOTE_SUSPEND_CANCEL    14  /* numeric: supports cancel       */
#define XEN_ELFNOTE_INIT_P2M          15  /* numeric: VA for the p2m list   */
#define XEN_ELFNOTE_MOD_START_PFN     16  /* numeric: initrd may be unmapped */
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17 /* numeric: 32-bit XENFEAT_ mask  */
#define XEN_ELFNOTE_PHYS32_ENTRY      18  /* numeric: PVH entry (unused in PV) */
#define XEN_ELFNOTE_PHYS32_RELOC      19  /* PVH relocation; newer than 4.17 */

#define XEN_ELFNOTE_MAX XEN_ELFNOTE_PHYS32_RELOC

/* Crash-dump notes (kexec / core files), not read by the domain builder. */
#define XEN_ELFNOTE_CRASH_INFO                0x1000001
#define XEN_ELFNOTE_CRASH_REGS                0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE             0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER           0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION      0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION   0x2000003

#endif /* XEN_PUBLIC_ELFNOTE_H */
