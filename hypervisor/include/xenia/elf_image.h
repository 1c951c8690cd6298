/*
 * Parsing a PV guest kernel image: ELF64 headers, PT_LOAD segments, and the
 * Xen guest description, from "Xen" ELF notes or from the legacy
 * "__xen_guest" section string (Mini-OS). The image is hostile input: every
 * offset and size is checked against the file before use, and a malformed
 * image is refused with a message naming the problem.
 *
 * Load rule (Xen's): segments are placed by physical address,
 *   virt_offset = virt_base - paddr_offset
 *   segment lands at paddr + virt_offset
 * and [virt_kstart, virt_kend) is the kernel's virtual range.
 * Pure logic: also compiled into the host unit tests.
 */
#ifndef XENIA_ELF_IMAGE_H
#define XENIA_ELF_IMAGE_H

#include <xenia/types.h>

#define ELF_MAX_SEGMENTS    16
#define ELF_ERR_LEN         128
#define ELF_UNSET           (~0UL)

struct elf_segment {
    uint64_t offset, paddr, filesz, memsz;
};

struct elf_image {
    const uint8_t *data;
    size_t size;
    unsigned int nr_segments;
    struct elf_segment seg[ELF_MAX_SEGMENTS];
    uint64_t e_entry;

    /* The guest's description, from notes or the legacy string. */
    bool have_notes, have_legacy;
    char guest_os[32], guest_version[32], xen_version[32], loader[32];
    char features[256];
    uint64_t virt_base, paddr_offset, entry, hypercall_page, init_p2m;
    uint64_t hv_start_low;
    bool mod_start_pfn, suspend_cancel;
    bool have_supported_note;           /* a SUPPORTED_FEATURES note */
    uint32_t f_supported, f_required;   /* XENFEAT_* bits 0..31 */

    /* Derived by elf_xen_check(). */
    uint64_t pstart, pend;
    uint64_t virt_offset, virt_kstart, virt_kend, virt_entry;
    uint64_t virt_hypercall;            /* ELF_UNSET if none */
};

/*
 * Parses headers, segments and the Xen description. Returns 0, or a
 * negative errno with a message in err.
 */
int elf_parse(struct elf_image *img, const void *data, size_t size,
              char *err, size_t errlen);

/*
 * Computes the load addresses and checks them the way Xen does (loader
 * "generic", version "xen-3.0", entry and hypercall page inside the kernel,
 * no wrap-around, kernel outside the hypervisor hole). Returns 0 or -errno.
 */
int elf_xen_check(struct elf_image *img, char *err, size_t errlen);

/* Features a PV kernel may require of Xenia (XENFEAT_* bits). */
#define XENIA_PV_FEATURES ((1u << 0) |  /* writable_page_tables */         \
                           (1u << 4) |  /* pae_pgdir_above_4gb */          \
                           (1u << 5) |  /* mmu_pt_update_preserve_ad */    \
                           (1u << 6) |  /* highmem_assist */               \
                           (1u << 7) |  /* gnttab_map_avail_bits */        \
                           (1u << 11) | /* dom0 */                         \
                           (1u << 13) | /* memory_op_vnode_supported */    \
                           (1u << 15) | /* linux_rsdp_unrestricted */      \
                           (1u << 17))  /* direct_mapped */

/*
 * Whether Xenia can run the image's features, as dom0 (which, as in Xen
 * 4.17, it must support when it lists its features at all) or as a domU.
 * Returns 0, or -EINVAL with a message.
 */
int elf_xen_features_ok(const struct elf_image *img, bool as_dom0,
                        char *err, size_t errlen);

/* Parses a FEATURES string ("a|!b|c") into supported/required bitmaps. */
int elf_parse_features(const char *s, uint32_t *supported, uint32_t *required);

/*
 * Copies the segments out: for each, copy(ctx, va, src, filesz) and
 * zero(ctx, va + filesz, memsz - filesz).
 */
typedef void (*elf_copy_fn)(void *ctx, uint64_t va, const void *src, size_t len);
typedef void (*elf_zero_fn)(void *ctx, uint64_t va, size_t len);
void elf_load(const struct elf_image *img, elf_copy_fn copy, elf_zero_fn zero,
              void *ctx);

#endif /* XENIA_ELF_IMAGE_H */
