/*
 * xenia-kcheck: reads a Linux bzImage or a PV ELF kernel and says whether
 * Xenia will boot it, and why not. It uses the hypervisor's own loader
 * code (hypervisor/common/bzimage.c, elf_image.c and the decompressors),
 * built for the host, so its verdict is the hypervisor's.
 *
 * Usage: xenia-kcheck [--domu] [--quiet] IMAGE...
 * Exit: 0 every image bootable, 1 some image not, 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenia/bzimage.h>
#include <xenia/elf_image.h>

static const char *const feature_names[] = {
    "writable_page_tables", "writable_descriptor_tables",
    "auto_translated_physmap", "supervisor_mode_kernel",
    "pae_pgdir_above_4gb", "mmu_pt_update_preserve_ad", "highmem_assist",
    "gnttab_map_avail_bits", "hvm_callback_vector", "hvm_safe_pvclock",
    "hvm_pirqs", "dom0", "grant_map_identity", "memory_op_vnode_supported",
    "ARM_SMCCC_supported", "linux_rsdp_unrestricted", "not_direct_mapped",
    "direct_mapped",
};

static void print_features(const char *what, uint32_t bits)
{
    unsigned int i;

    printf("  %-22s", what);
    if ( !bits )
        printf(" (none)");
    for ( i = 0; i < 32; i++ )
        if ( bits & (1u << i) )
            printf(" %s", i < sizeof(feature_names) / sizeof(feature_names[0])
                          ? feature_names[i] : "?");
    printf("\n");
}

static uint8_t *read_image(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if ( !f )
        return NULL;
    if ( fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
         fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n ? n : 1)) &&
         fread(buf, 1, n, f) == (size_t)n )
        *len = n;
    else
    {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void print_notes(const struct elf_image *img)
{
    printf("  %-22s %s\n", "GUEST_OS", img->guest_os);
    printf("  %-22s %s\n", "GUEST_VERSION", img->guest_version);
    printf("  %-22s %s\n", "XEN_VERSION", img->xen_version);
    printf("  %-22s %s\n", "LOADER", img->loader);
    printf("  %-22s %#lx\n", "VIRT_BASE", (unsigned long)img->virt_base);
    printf("  %-22s %#lx\n", "PADDR_OFFSET", (unsigned long)img->paddr_offset);
    printf("  %-22s %#lx\n", "ENTRY", (unsigned long)img->virt_entry);
    if ( img->hypercall_page != ELF_UNSET )
        printf("  %-22s %#lx\n", "HYPERCALL_PAGE",
               (unsigned long)img->virt_hypercall);
    else
        printf("  %-22s none (hypercalls by its own instructions)\n",
               "HYPERCALL_PAGE");
    if ( img->init_p2m != ELF_UNSET )
        printf("  %-22s %#lx\n", "INIT_P2M", (unsigned long)img->init_p2m);
    printf("  %-22s \"%s\"\n", "FEATURES", img->features);
    print_features("supported", img->f_supported);
    print_features("required", img->f_required);
    printf("  %-22s %s\n", "SUPPORTED_FEATURES", img->have_supported_note
           ? "present" : "absent");
    printf("  %-22s %s\n", "MOD_START_PFN", img->mod_start_pfn ? "yes" : "no");
    printf("  %-22s %#lx-%#lx (%lu KiB)\n", "kernel range",
           (unsigned long)img->virt_kstart, (unsigned long)img->virt_kend,
           (unsigned long)((img->virt_kend - img->virt_kstart) >> 10));
}

/* Returns 0 bootable, 1 not, 2 unreadable. */
static int check(const char *path, bool as_dom0, bool quiet)
{
    struct bzimage_info bi;
    static struct elf_image img;
    char err[ELF_ERR_LEN + 64] = "";
    size_t len = 0, elf_len;
    uint8_t *buf = read_image(path, &len), *elf;
    void *unpacked = NULL;
    int rc, verdict = 1;

    if ( !buf )
    {
        fprintf(stderr, "xenia-kcheck: %s: %s\n", path, strerror(errno));
        return 2;
    }
    printf("%s:\n", path);
    elf = buf;
    elf_len = len;
    rc = bzimage_probe(buf, len, &bi, err, sizeof(err));
    if ( rc < 0 )
        goto refused;
    if ( rc == 1 )
    {
        printf("  %-22s bzImage, boot protocol %u.%02u, %s payload of %zu "
               "bytes, unpacks to %zu\n", "format", bi.protocol >> 8,
               bi.protocol & 0xff, compression_name(bi.comp), bi.payload_len,
               bi.unpacked_len);
        unpacked = malloc(bi.unpacked_len ? bi.unpacked_len : 1);
        if ( !unpacked ||
             bzimage_unpack(&bi, unpacked, bi.unpacked_len, &elf_len, err,
                            sizeof(err)) )
            goto refused;
        elf = unpacked;
    }
    else if ( compression_detect(buf, len) != KCOMP_NONE &&
              compression_detect(buf, len) != KCOMP_UNKNOWN )
    {
        snprintf(err, sizeof(err), "a bare %s stream, not a kernel image "
                 "(give the bzImage, or unpack it to its ELF)",
                 compression_name(compression_detect(buf, len)));
        goto refused;
    }
    else
        printf("  %-22s ELF\n", "format");
    if ( elf_parse(&img, elf, elf_len, err, ELF_ERR_LEN) ||
         elf_xen_check(&img, err, ELF_ERR_LEN) )
        goto refused;
    if ( !quiet )
        print_notes(&img);
    if ( elf_xen_features_ok(&img, as_dom0, err, ELF_ERR_LEN) )
        goto refused;
    printf("  verdict: Xenia boots it as %s\n", as_dom0 ? "dom0" : "a domU");
    verdict = 0;
    goto out;

 refused:
    printf("  verdict: Xenia refuses it: %s\n", err);
 out:
    free(unpacked);
    free(buf);
    return verdict;
}

int main(int argc, char **argv)
{
    bool as_dom0 = true, quiet = false;
    int i, worst = 0, n = 0;

    for ( i = 1; i < argc; i++ )
    {
        if ( !strcmp(argv[i], "--domu") )
            as_dom0 = false;
        else if ( !strcmp(argv[i], "--quiet") )
            quiet = true;
        else if ( !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") )
        {
            printf("usage: xenia-kcheck [--domu] [--quiet] IMAGE...\n"
                   "Says whether Xenia boots each kernel image (bzImage or "
                   "PV ELF) as dom0 (default) or as a domU, and why not.\n"
                   "Exit status: 0 all bootable, 1 some not, 2 error.\n");
            return 0;
        }
        else if ( argv[i][0] == '-' )
        {
            fprintf(stderr, "xenia-kcheck: unknown option %s (see --help)\n",
                    argv[i]);
            return 2;
        }
        else
        {
            int v = check(argv[i], as_dom0, quiet);

            worst = v > worst ? v : worst;
            n++;
        }
    }
    if ( !n )
    {
        fprintf(stderr, "usage: xenia-kcheck [--domu] [--quiet] IMAGE...\n");
        return 2;
    }
    return worst;
}
