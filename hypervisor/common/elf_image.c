/*
 * PV kernel image parser (see include/xenia/elf_image.h).
 *
 * Layout facts used here (ELF64 and Xen's note numbers) are written out
 * locally; nothing in this file trusts a value from the image before
 * checking it against the file size.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/elf_image.h>

/* ELF64 structures (System V ABI). */
struct elf64_ehdr {
    uint8_t  e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};
struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
struct elf64_shdr {
    uint32_t sh_name, sh_type;
    uint64_t sh_flags, sh_addr, sh_offset, sh_size;
    uint32_t sh_link, sh_info;
    uint64_t sh_addralign, sh_entsize;
};
BUILD_BUG_ON(sizeof(struct elf64_ehdr) != 64);
BUILD_BUG_ON(sizeof(struct elf64_phdr) != 56);
BUILD_BUG_ON(sizeof(struct elf64_shdr) != 64);

#define ET_EXEC     2
#define EM_X86_64   62
#define PT_LOAD     1
#define PT_NOTE     4
#define SHT_NOTE    7

/* Xen ELF note types. */
enum {
    NOTE_ENTRY = 1, NOTE_HYPERCALL_PAGE = 2, NOTE_VIRT_BASE = 3,
    NOTE_PADDR_OFFSET = 4, NOTE_XEN_VERSION = 5, NOTE_GUEST_OS = 6,
    NOTE_GUEST_VERSION = 7, NOTE_LOADER = 8, NOTE_PAE_MODE = 9,
    NOTE_FEATURES = 10, NOTE_BSD_SYMTAB = 11, NOTE_HV_START_LOW = 12,
    NOTE_L1_MFN_VALID = 13, NOTE_SUSPEND_CANCEL = 14, NOTE_INIT_P2M = 15,
    NOTE_MOD_START_PFN = 16, NOTE_SUPPORTED_FEATURES = 17,
    NOTE_PHYS32_ENTRY = 18,
};

/* XENFEAT_* names, indexed by bit number, for FEATURES strings. */
static const char *const feature_names[] = {
    [0] = "writable_page_tables",      [1] = "writable_descriptor_tables",
    [2] = "auto_translated_physmap",   [3] = "supervisor_mode_kernel",
    [4] = "pae_pgdir_above_4gb",       [5] = "mmu_pt_update_preserve_ad",
    [6] = "highmem_assist",            [7] = "gnttab_map_avail_bits",
    [8] = "hvm_callback_vector",       [9] = "hvm_safe_pvclock",
    [10] = "hvm_pirqs",                [11] = "dom0",
    [12] = "grant_map_identity",       [13] = "memory_op_vnode_supported",
    [14] = "ARM_SMCCC_supported",      [15] = "linux_rsdp_unrestricted",
    [16] = "not_direct_mapped",        [17] = "direct_mapped",
};

__printf(3, 4)
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* True when [off, off + len) lies inside a file of size sz. */
static bool in_file(uint64_t off, uint64_t len, size_t sz)
{
    return off <= sz && len <= sz - off;
}

int elf_parse_features(const char *s, uint32_t *supported, uint32_t *required)
{
    while ( *s )
    {
        bool req = false;
        size_t len = 0, i;

        if ( *s == '!' )
        {
            req = true;
            s++;
        }
        while ( s[len] && s[len] != '|' )
            len++;
        for ( i = 0; i < ARRAY_SIZE(feature_names); i++ )
            if ( feature_names[i] && strlen(feature_names[i]) == len &&
                 !strncmp(feature_names[i], s, len) )
                break;
        if ( i == ARRAY_SIZE(feature_names) )
            return -EINVAL;
        *supported |= 1u << i;
        if ( req )
            *required |= 1u << i;
        s += len;
        if ( *s == '|' )
            s++;
    }
    return 0;
}

/*
 * A string note is bounded by its descriptor, as Xen's loader does: Linux
 * emits FEATURES with .ascii, so a string may fill its descriptor with no
 * terminating NUL (the note's 4-byte padding is not part of it).
 */
static int note_string(char *dst, size_t dstlen, const uint8_t *desc,
                       uint64_t descsz)
{
    size_t len = strnlen((const char *)desc, descsz);

    if ( len == 0 || len >= dstlen )
        return -EINVAL;
    memcpy(dst, desc, len);
    dst[len] = '\0';
    return 0;
}

static int note_number(uint64_t *dst, const uint8_t *desc, uint64_t descsz)
{
    uint64_t v = 0;

    if ( descsz != 1 && descsz != 2 && descsz != 4 && descsz != 8 )
        return -EINVAL;
    memcpy(&v, desc, descsz);   /* little endian */
    *dst = v;
    return 0;
}

static int parse_one_note(struct elf_image *img, uint32_t type,
                          const uint8_t *desc, uint64_t descsz)
{
    uint64_t v;

    switch ( type )
    {
    case NOTE_GUEST_OS:
        return note_string(img->guest_os, sizeof(img->guest_os), desc, descsz);
    case NOTE_GUEST_VERSION:
        return note_string(img->guest_version, sizeof(img->guest_version),
                           desc, descsz);
    case NOTE_XEN_VERSION:
        return note_string(img->xen_version, sizeof(img->xen_version),
                           desc, descsz);
    case NOTE_LOADER:
        return note_string(img->loader, sizeof(img->loader), desc, descsz);
    case NOTE_FEATURES:
        if ( note_string(img->features, sizeof(img->features), desc, descsz) )
            return -EINVAL;
        return elf_parse_features(img->features, &img->f_supported,
                                  &img->f_required);
    case NOTE_SUPPORTED_FEATURES:
        if ( descsz < 4 )
            return -EINVAL;
        memcpy(&v, desc, 4);
        img->f_supported |= (uint32_t)v;
        img->have_supported_note = true;
        return 0;
    case NOTE_ENTRY:
        return note_number(&img->entry, desc, descsz);
    case NOTE_HYPERCALL_PAGE:
        return note_number(&img->hypercall_page, desc, descsz);
    case NOTE_VIRT_BASE:
        return note_number(&img->virt_base, desc, descsz);
    case NOTE_PADDR_OFFSET:
        return note_number(&img->paddr_offset, desc, descsz);
    case NOTE_INIT_P2M:
        return note_number(&img->init_p2m, desc, descsz);
    case NOTE_HV_START_LOW:
        return note_number(&img->hv_start_low, desc, descsz);
    case NOTE_MOD_START_PFN:
        if ( note_number(&v, desc, descsz) )
            return -EINVAL;
        img->mod_start_pfn = v != 0;
        return 0;
    case NOTE_SUSPEND_CANCEL:
        if ( note_number(&v, desc, descsz) )
            return -EINVAL;
        img->suspend_cancel = v != 0;
        return 0;
    default:
        return 0;   /* informational or unused here */
    }
}

/* Walks one note area; only notes named "Xen" are interpreted. */
static int parse_notes(struct elf_image *img, uint64_t off, uint64_t size,
                       char *err, size_t errlen)
{
    const uint8_t *p = img->data + off;
    uint64_t pos = 0;

    while ( size - pos >= 12 )
    {
        uint32_t namesz, descsz, type;
        uint64_t name_off, desc_off, next;

        memcpy(&namesz, p + pos, 4);
        memcpy(&descsz, p + pos + 4, 4);
        memcpy(&type, p + pos + 8, 4);
        name_off = pos + 12;
        desc_off = name_off + ROUNDUP((uint64_t)namesz, 4);
        next = desc_off + ROUNDUP((uint64_t)descsz, 4);
        if ( desc_off > size || next > size || desc_off + descsz > size )
            return fail(err, errlen, "note at offset %#lx runs past its area",
                        (unsigned long)(off + pos));
        if ( namesz == 4 && !memcmp(p + name_off, "Xen", 4) )
        {
            img->have_notes = true;
            if ( parse_one_note(img, type, p + desc_off, descsz) )
                return fail(err, errlen, "malformed Xen note type %u", type);
        }
        pos = next;
    }
    return 0;
}

static int legacy_pair(struct elf_image *img, const char *key, size_t klen,
                       const char *val, size_t vlen)
{
    char buf[256];
    const char *end;
    uint64_t v;

#define KEY(k) (klen == sizeof(k) - 1 && !strncmp(key, k, klen))
    if ( vlen >= sizeof(buf) )
        return -EINVAL;
    memcpy(buf, val, vlen);
    buf[vlen] = '\0';
    if ( KEY("GUEST_OS") )
        return strlcpy(img->guest_os, buf, sizeof(img->guest_os)) <
               sizeof(img->guest_os) ? 0 : -EINVAL;
    if ( KEY("GUEST_VER") )
        return strlcpy(img->guest_version, buf, sizeof(img->guest_version)) <
               sizeof(img->guest_version) ? 0 : -EINVAL;
    if ( KEY("XEN_VER") )
        return strlcpy(img->xen_version, buf, sizeof(img->xen_version)) <
               sizeof(img->xen_version) ? 0 : -EINVAL;
    if ( KEY("LOADER") )
        return strlcpy(img->loader, buf, sizeof(img->loader)) <
               sizeof(img->loader) ? 0 : -EINVAL;
    if ( KEY("FEATURES") )
    {
        strlcpy(img->features, buf, sizeof(img->features));
        return elf_parse_features(buf, &img->f_supported, &img->f_required);
    }
    if ( KEY("PAE") || KEY("BSD_SYMTAB") )
        return 0;
    v = simple_strtoull(buf, &end, 0);
    if ( *end || end == buf )
        return -EINVAL;
    if ( KEY("VIRT_BASE") )
        img->virt_base = v;
    else if ( KEY("ELF_PADDR_OFFSET") )
        img->paddr_offset = v;
    else if ( KEY("VIRT_ENTRY") )
        img->entry = v;
    else if ( KEY("HYPERCALL_PAGE") )
        img->hypercall_page = v;    /* a page number until elf_xen_check() */
    return 0;
#undef KEY
}

/* "KEY=VALUE,KEY=VALUE..." from a __xen_guest section. */
static int parse_legacy(struct elf_image *img, const char *s, size_t len,
                        char *err, size_t errlen)
{
    size_t pos = 0;

    img->have_legacy = true;
    while ( pos < len && s[pos] )
    {
        size_t start = pos, eq = 0;

        while ( pos < len && s[pos] && s[pos] != ',' )
        {
            if ( s[pos] == '=' && !eq )
                eq = pos;
            pos++;
        }
        if ( !eq || legacy_pair(img, s + start, eq - start, s + eq + 1,
                                pos - eq - 1) )
            return fail(err, errlen, "malformed __xen_guest entry");
        if ( pos < len && s[pos] == ',' )
            pos++;
    }
    return 0;
}

static void read_shdr(const struct elf_image *img, uint64_t off,
                      struct elf64_shdr *sh)
{
    memcpy(sh, img->data + off, sizeof(*sh));
}

static int find_legacy_section(struct elf_image *img,
                               const struct elf64_ehdr *eh,
                               char *err, size_t errlen)
{
    struct elf64_shdr sh, strtab;
    unsigned int i;

    if ( !eh->e_shoff || !eh->e_shnum )
        return 0;
    if ( eh->e_shentsize != sizeof(sh) || eh->e_shstrndx >= eh->e_shnum ||
         !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(sh), img->size) )
        return fail(err, errlen, "bad section header table");
    read_shdr(img, eh->e_shoff + eh->e_shstrndx * sizeof(sh), &strtab);
    if ( !in_file(strtab.sh_offset, strtab.sh_size, img->size) )
        return fail(err, errlen, "bad section name table");
    for ( i = 0; i < eh->e_shnum; i++ )
    {
        static const char name[] = "__xen_guest";
        const char *n;

        read_shdr(img, eh->e_shoff + i * sizeof(sh), &sh);
        if ( sh.sh_name >= strtab.sh_size ||
             strtab.sh_size - sh.sh_name < sizeof(name) )
            continue;
        n = (const char *)img->data + strtab.sh_offset + sh.sh_name;
        if ( memcmp(n, name, sizeof(name)) )
            continue;
        if ( !in_file(sh.sh_offset, sh.sh_size, img->size) )
            return fail(err, errlen, "__xen_guest section outside the file");
        return parse_legacy(img, (const char *)img->data + sh.sh_offset,
                            sh.sh_size, err, errlen);
    }
    return 0;
}

static int check_segments(struct elf_image *img, char *err, size_t errlen)
{
    unsigned int i, j;

    if ( !img->nr_segments )
        return fail(err, errlen, "no loadable segment");
    for ( i = 0; i < img->nr_segments; i++ )
    {
        const struct elf_segment *s = &img->seg[i];

        if ( s->filesz > s->memsz )
            return fail(err, errlen, "segment %u: file size exceeds memory size", i);
        if ( !in_file(s->offset, s->filesz, img->size) )
            return fail(err, errlen, "segment %u: extends past end of file "
                        "(truncated image?)", i);
        if ( s->paddr + s->memsz < s->paddr || s->memsz > (1UL << 32) )
            return fail(err, errlen, "segment %u: address range out of range", i);
        for ( j = 0; j < i; j++ )
        {
            const struct elf_segment *t = &img->seg[j];

            if ( s->memsz && t->memsz && s->paddr < t->paddr + t->memsz &&
                 t->paddr < s->paddr + s->memsz )
                return fail(err, errlen, "segments %u and %u overlap", j, i);
        }
    }
    return 0;
}

int elf_parse(struct elf_image *img, const void *data, size_t size,
              char *err, size_t errlen)
{
    struct elf64_ehdr ehdr, *eh = &ehdr;
    unsigned int i;
    int rc;

    memset(img, 0, sizeof(*img));
    img->data = data;
    img->size = size;
    img->virt_base = img->paddr_offset = img->entry = ELF_UNSET;
    img->hypercall_page = img->init_p2m = img->hv_start_low = ELF_UNSET;

    if ( size < sizeof(*eh) )
        return fail(err, errlen, "image too small for an ELF header (%lu bytes)",
                    (unsigned long)size);
    memcpy(eh, data, sizeof(*eh));
    if ( memcmp(eh->e_ident, "\177ELF", 4) )
        return fail(err, errlen, "not an ELF image (bad magic)");
    if ( eh->e_ident[4] != 2 || eh->e_ident[5] != 1 )
        return fail(err, errlen, "not a little-endian ELF64 image");
    if ( eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC )
        return fail(err, errlen, "not an x86-64 executable");
    if ( eh->e_phentsize != sizeof(struct elf64_phdr) || !eh->e_phnum ||
         !in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr),
                  size) )
        return fail(err, errlen, "bad program header table");

    img->e_entry = eh->e_entry;
    for ( i = 0; i < eh->e_phnum; i++ )
    {
        struct elf64_phdr ph;

        /* The table may be misaligned in a hostile image: copy it out. */
        memcpy(&ph, (const uint8_t *)data + eh->e_phoff + i * sizeof(ph),
               sizeof(ph));
        if ( ph.p_type == PT_LOAD && ph.p_memsz )
        {
            if ( img->nr_segments == ELF_MAX_SEGMENTS )
                return fail(err, errlen, "too many loadable segments");
            img->seg[img->nr_segments++] = (struct elf_segment){
                .offset = ph.p_offset, .paddr = ph.p_paddr,
                .filesz = ph.p_filesz, .memsz = ph.p_memsz,
            };
        }
        else if ( ph.p_type == PT_NOTE )
        {
            if ( !in_file(ph.p_offset, ph.p_filesz, size) )
                return fail(err, errlen, "note segment outside the file");
            rc = parse_notes(img, ph.p_offset, ph.p_filesz, err, errlen);
            if ( rc )
                return rc;
        }
    }
    rc = check_segments(img, err, errlen);
    if ( rc )
        return rc;
    if ( !img->have_notes )
    {
        rc = find_legacy_section(img, eh, err, errlen);
        if ( rc )
            return rc;
    }
    if ( !img->have_notes && !img->have_legacy )
        return fail(err, errlen, "no Xen ELF notes and no __xen_guest section: "
                    "not a PV kernel");
    return 0;
}

int elf_xen_check(struct elf_image *img, char *err, size_t errlen)
{
    unsigned int i;

    if ( strcmp(img->loader, "generic") )
        return fail(err, errlen, "LOADER is \"%s\", expected \"generic\"",
                    img->loader);
    if ( strcmp(img->xen_version, "xen-3.0") )
        return fail(err, errlen, "XEN_VERSION is \"%s\", expected \"xen-3.0\"",
                    img->xen_version);
    if ( img->paddr_offset != ELF_UNSET && img->virt_base == ELF_UNSET )
        return fail(err, errlen, "PADDR_OFFSET set but VIRT_BASE unset");
    if ( img->virt_base == ELF_UNSET )
        img->virt_base = 0;
    if ( img->paddr_offset == ELF_UNSET )
        img->paddr_offset = img->have_notes ? 0 : img->virt_base;
    if ( img->entry == ELF_UNSET )
        img->entry = img->e_entry;

    img->pstart = ~0UL;
    img->pend = 0;
    for ( i = 0; i < img->nr_segments; i++ )
    {
        img->pstart = MIN(img->pstart, img->seg[i].paddr);
        img->pend = MAX(img->pend, img->seg[i].paddr + img->seg[i].memsz);
    }
    img->virt_offset = img->virt_base - img->paddr_offset;
    img->virt_kstart = img->pstart + img->virt_offset;
    img->virt_kend = img->pend + img->virt_offset;
    img->virt_entry = img->entry;

    if ( img->virt_kend < img->virt_kstart )
        return fail(err, errlen, "kernel range wraps around");
    if ( img->virt_base > img->virt_kstart )
        return fail(err, errlen, "VIRT_BASE %#lx above kernel start %#lx",
                    (unsigned long)img->virt_base,
                    (unsigned long)img->virt_kstart);
    if ( img->virt_entry < img->virt_kstart || img->virt_entry >= img->virt_kend )
        return fail(err, errlen, "entry %#lx outside the kernel [%#lx, %#lx)",
                    (unsigned long)img->virt_entry,
                    (unsigned long)img->virt_kstart,
                    (unsigned long)img->virt_kend);
    if ( img->virt_kstart < HYPERVISOR_HOLE_END &&
         img->virt_kend > HYPERVISOR_HOLE_START )
        return fail(err, errlen, "kernel overlaps the hypervisor's range");
    if ( (img->virt_kstart >> 47) && (img->virt_kstart >> 47) != 0x1ffff )
        return fail(err, errlen, "kernel start is not canonical");
    if ( (img->virt_kend >> 47) && ((img->virt_kend - 1) >> 47) != 0x1ffff )
        return fail(err, errlen, "kernel end is not canonical");

    img->virt_hypercall = ELF_UNSET;
    if ( img->hypercall_page != ELF_UNSET )
    {
        uint64_t va = img->have_notes ? img->hypercall_page
                      : img->virt_base + (img->hypercall_page << PAGE_SHIFT);

        if ( va & ~PAGE_MASK || va < img->virt_kstart ||
             va + PAGE_SIZE > img->virt_kend || va + PAGE_SIZE < va )
            return fail(err, errlen, "hypercall page %#lx not inside the kernel",
                        (unsigned long)va);
        img->virt_hypercall = va;
    }
    return 0;
}

int elf_xen_features_ok(const struct elf_image *img, bool as_dom0,
                        char *err, size_t errlen)
{
    if ( as_dom0 && img->have_supported_note &&
         !(img->f_supported & (1u << 11)) )
        return fail(err, errlen, "it does not support Dom0 operation "
                    "(no XENFEAT_dom0)");
    if ( img->f_required & ~XENIA_PV_FEATURES )
        return fail(err, errlen, "it requires unsupported features %#x",
                    img->f_required & ~XENIA_PV_FEATURES);
    return 0;
}

void elf_load(const struct elf_image *img, elf_copy_fn copy, elf_zero_fn zero,
              void *ctx)
{
    unsigned int i;

    for ( i = 0; i < img->nr_segments; i++ )
    {
        const struct elf_segment *s = &img->seg[i];
        uint64_t va = s->paddr + img->virt_offset;

        copy(ctx, va, img->data + s->offset, s->filesz);
        if ( s->memsz > s->filesz )
            zero(ctx, va + s->filesz, s->memsz - s->filesz);
    }
}
