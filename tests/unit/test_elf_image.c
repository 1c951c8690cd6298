/* Unit tests: hypervisor/common/elf_image.c, with malformed images. */
#include <stdlib.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/elf_image.h>

#define VIRT_BASE   0xffffffff80000000UL
#define PADDR       0x100000UL
#define IMG_SIZE    16384
#define NOTE_OFF    512
#define DATA_OFF    4096

struct opts {
    bool no_notes, legacy, bad_loader, no_hypercall_page;
    uint64_t entry_off;         /* entry = kernel start + this */
    uint64_t hypercall_off;
    uint64_t virt_base;
    const char *features;
};

static uint8_t img[IMG_SIZE];
static size_t img_len;

static size_t put_note(uint8_t *p, uint32_t type, const void *desc, uint32_t len)
{
    uint32_t hdr[3] = { 4, len, type };

    memcpy(p, hdr, 12);
    memcpy(p + 12, "Xen", 4);
    memcpy(p + 16, desc, len);
    return 16 + ((len + 3) & ~3u);
}

static size_t put_str(uint8_t *p, uint32_t type, const char *s)
{
    return put_note(p, type, s, (uint32_t)strlen(s) + 1);
}

static size_t put_num(uint8_t *p, uint32_t type, uint64_t v)
{
    return put_note(p, type, &v, 8);
}

/* Builds a minimal valid 64-bit PV kernel image (or a variant of it). */
static void build(const struct opts *o)
{
    uint8_t *eh = img;
    uint8_t *ph = img + 64;
    uint64_t vb = o->virt_base ? o->virt_base : VIRT_BASE;
    uint64_t kstart = vb + PADDR;
    size_t nl = 0;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    memset(img, 0, sizeof(img));
    memcpy(eh, "\177ELF\2\1\1", 7);
    u16 = 2; memcpy(eh + 16, &u16, 2);                 /* ET_EXEC */
    u16 = 62; memcpy(eh + 18, &u16, 2);                /* EM_X86_64 */
    u32 = 1; memcpy(eh + 20, &u32, 4);
    u64 = kstart + (o->entry_off ? o->entry_off : 0x10);
    memcpy(eh + 24, &u64, 8);                          /* e_entry */
    u64 = 64; memcpy(eh + 32, &u64, 8);                /* e_phoff */
    u16 = 64; memcpy(eh + 52, &u16, 2);
    u16 = 56; memcpy(eh + 54, &u16, 2);
    u16 = o->no_notes ? 1 : 2; memcpy(eh + 56, &u16, 2);

    /* PT_LOAD: 8 KiB of file, 16 KiB of memory, at PADDR. */
    u32 = 1; memcpy(ph, &u32, 4);
    u64 = DATA_OFF; memcpy(ph + 8, &u64, 8);
    u64 = kstart; memcpy(ph + 16, &u64, 8);
    u64 = PADDR; memcpy(ph + 24, &u64, 8);
    u64 = 8192; memcpy(ph + 32, &u64, 8);
    u64 = 16384; memcpy(ph + 40, &u64, 8);

    if ( !o->no_notes )
    {
        uint8_t *n = img + NOTE_OFF;

        nl += put_str(n + nl, 6, "linux");
        nl += put_str(n + nl, 5, "xen-3.0");
        nl += put_str(n + nl, 8, o->bad_loader ? "elf" : "generic");
        nl += put_num(n + nl, 3, vb);
        nl += put_num(n + nl, 4, 0);
        nl += put_num(n + nl, 1, kstart + (o->entry_off ? o->entry_off : 0x10));
        if ( !o->no_hypercall_page )
            nl += put_num(n + nl, 2, kstart + (o->hypercall_off ?
                                               o->hypercall_off : 0x1000));
        nl += put_str(n + nl, 10, o->features ? o->features
                      : "!writable_page_tables|pae_pgdir_above_4gb");
        u32 = 1u << 11;
        nl += put_note(n + nl, 17, &u32, 4);
        u32 = 4; memcpy(ph + 56, &u32, 4);             /* PT_NOTE */
        u64 = NOTE_OFF; memcpy(ph + 56 + 8, &u64, 8);
        u64 = nl; memcpy(ph + 56 + 32, &u64, 8);
    }
    memset(img + DATA_OFF, 0x90, 8192);
    img_len = DATA_OFF + 8192;
}

static int parse_and_check(struct elf_image *e, char *err)
{
    int rc = elf_parse(e, img, img_len, err, ELF_ERR_LEN);

    return rc ? rc : elf_xen_check(e, err, ELF_ERR_LEN);
}

static void test_valid_image(void **state)
{
    struct elf_image e;
    char err[ELF_ERR_LEN] = "";
    struct opts o = { 0 };

    (void)state;
    build(&o);
    assert_int_equal(parse_and_check(&e, err), 0);
    assert_true(e.have_notes);
    assert_string_equal(e.guest_os, "linux");
    assert_int_equal(e.virt_base, VIRT_BASE);
    assert_int_equal(e.virt_kstart, VIRT_BASE + PADDR);
    assert_int_equal(e.virt_kend, VIRT_BASE + PADDR + 16384);
    assert_int_equal(e.virt_entry, VIRT_BASE + PADDR + 0x10);
    assert_int_equal(e.virt_hypercall, VIRT_BASE + PADDR + 0x1000);
    assert_true(e.f_supported & (1u << 11));            /* dom0 */
    assert_true(e.f_required & (1u << 0));              /* writable PTs */
    assert_false(e.f_required & (1u << 4));
}

struct loaded {
    uint64_t lo, hi;
    size_t copied, zeroed;
};

static void cp(void *ctx, uint64_t va, const void *src, size_t len)
{
    struct loaded *l = ctx;

    (void)src;
    l->lo = va;
    l->copied += len;
}

static void zr(void *ctx, uint64_t va, size_t len)
{
    struct loaded *l = ctx;

    l->hi = va + len;
    l->zeroed += len;
}

static void test_load_by_paddr(void **state)
{
    struct elf_image e;
    char err[ELF_ERR_LEN];
    struct opts o = { 0 };
    struct loaded l = { 0 };

    (void)state;
    build(&o);
    assert_int_equal(parse_and_check(&e, err), 0);
    elf_load(&e, cp, zr, &l);
    assert_int_equal(l.lo, VIRT_BASE + PADDR);
    assert_int_equal(l.copied, 8192);
    assert_int_equal(l.zeroed, 8192);
    assert_int_equal(l.hi, VIRT_BASE + PADDR + 16384);
}

#define EXPECT_PARSE_FAIL(what)                                             \
    do {                                                                    \
        struct elf_image e_;                                                \
        char err_[ELF_ERR_LEN] = "";                                        \
        assert_int_equal(elf_parse(&e_, img, img_len, err_, sizeof(err_)),  \
                         -EINVAL);                                          \
        assert_non_null(strstr(err_, what));                                \
    } while ( 0 )

static void test_truncated(void **state)
{
    struct opts o = { 0 };

    (void)state;
    build(&o);
    img_len = 40;
    EXPECT_PARSE_FAIL("too small");
    build(&o);
    img_len = DATA_OFF + 100;       /* segment runs past the end */
    EXPECT_PARSE_FAIL("past end of file");
    build(&o);
    img_len = 0;
    EXPECT_PARSE_FAIL("too small");
}

static void test_bad_headers(void **state)
{
    struct opts o = { 0 };
    uint64_t u64;
    uint16_t u16;

    (void)state;
    build(&o);
    img[0] = 'X';
    EXPECT_PARSE_FAIL("bad magic");
    build(&o);
    img[4] = 1;                     /* ELFCLASS32 */
    EXPECT_PARSE_FAIL("ELF64");
    build(&o);
    u16 = 3; memcpy(img + 18, &u16, 2);   /* EM_386 */
    EXPECT_PARSE_FAIL("x86-64");
    build(&o);
    u64 = IMG_SIZE * 4; memcpy(img + 32, &u64, 8);   /* phoff past end */
    EXPECT_PARSE_FAIL("program header");
    build(&o);
    u64 = ~0UL - 8; memcpy(img + 32, &u64, 8);       /* overflow */
    EXPECT_PARSE_FAIL("program header");
    build(&o);
    u16 = 0; memcpy(img + 56, &u16, 2);
    EXPECT_PARSE_FAIL("program header");
}

static void test_bad_segments(void **state)
{
    struct opts o = { 0 };
    uint64_t u64;

    (void)state;
    build(&o);
    u64 = 20000; memcpy(img + 64 + 32, &u64, 8);     /* filesz > memsz */
    EXPECT_PARSE_FAIL("file size exceeds");
    build(&o);
    u64 = ~0UL - 100; memcpy(img + 64 + 24, &u64, 8); /* paddr wraps */
    EXPECT_PARSE_FAIL("out of range");
    /* Two overlapping segments: make the note header a second PT_LOAD. */
    build(&o);
    memcpy(img + 64 + 56, img + 64, 56);
    u64 = 0x101000; memcpy(img + 64 + 56 + 24, &u64, 8);
    EXPECT_PARSE_FAIL("overlap");
}

static void test_bad_notes(void **state)
{
    struct opts o = { 0 };
    uint32_t u32;

    (void)state;
    build(&o);
    u32 = 0x7fffffff; memcpy(img + NOTE_OFF + 4, &u32, 4);  /* huge descsz */
    EXPECT_PARSE_FAIL("runs past");
    build(&o);
    u32 = 0xfffffff0; memcpy(img + NOTE_OFF, &u32, 4);      /* huge namesz */
    EXPECT_PARSE_FAIL("runs past");
    build(&o);
    o.features = "writable_page_tables|no_such_feature";
    build(&o);
    EXPECT_PARSE_FAIL("malformed Xen note");
}

/*
 * Linux emits FEATURES with .ascii: no NUL inside the descriptor, only the
 * note's zero padding after it. Xen bounds a string note by its size.
 */
static void test_unterminated_strings(void **state)
{
    static const char feat[] = "!writable_page_tables|pae_pgdir_above_4gb";
    struct elf_image e;
    char err[ELF_ERR_LEN] = "";
    struct opts o = { 0 };
    uint8_t *n;
    uint32_t descsz;

    (void)state;
    build(&o);
    /* GUEST_OS "linux" (descsz 6): its NUL becomes 'x', bounded by the note. */
    img[NOTE_OFF + 16 + 5] = 'x';
    assert_int_equal(parse_and_check(&e, err), 0);
    assert_string_equal(e.guest_os, "linuxx");

    /* Find the FEATURES note and drop its NUL from the descriptor size. */
    build(&o);
    for ( n = img + NOTE_OFF; ; )
    {
        uint32_t type;

        memcpy(&descsz, n + 4, 4);
        memcpy(&type, n + 8, 4);
        if ( type == 10 )
            break;
        n += 16 + ((descsz + 3) & ~3u);
    }
    assert_int_equal(descsz, sizeof(feat));
    descsz = sizeof(feat) - 1;
    memcpy(n + 4, &descsz, 4);
    assert_int_equal(parse_and_check(&e, err), 0);
    assert_string_equal(e.features, feat);
    assert_true(e.f_required & (1u << 0));
    assert_true(e.have_supported_note);

    /* A descriptor that runs past the note area is still refused. */
    build(&o);
    memset(img + NOTE_OFF + 16, 'y', 5);
    descsz = 200;
    memcpy(img + NOTE_OFF + 4, &descsz, 4);
    assert_int_not_equal(elf_parse(&e, img, img_len, err, ELF_ERR_LEN), 0);
}

static void test_no_description(void **state)
{
    struct opts o = { .no_notes = true };

    (void)state;
    build(&o);
    EXPECT_PARSE_FAIL("not a PV kernel");
}

#define EXPECT_CHECK_FAIL(what)                                             \
    do {                                                                    \
        struct elf_image e_;                                                \
        char err_[ELF_ERR_LEN] = "";                                        \
        assert_int_equal(parse_and_check(&e_, err_), -EINVAL);              \
        assert_non_null(strstr(err_, what));                                \
    } while ( 0 )

static void test_xen_checks(void **state)
{
    struct opts o = { 0 };

    (void)state;
    o.bad_loader = true;
    build(&o);
    EXPECT_CHECK_FAIL("LOADER");
    o = (struct opts){ .entry_off = 0x100000 };
    build(&o);
    EXPECT_CHECK_FAIL("entry");
    o = (struct opts){ .hypercall_off = 0x3800 };      /* crosses the end */
    build(&o);
    EXPECT_CHECK_FAIL("hypercall page");
    o = (struct opts){ .hypercall_off = 0x1008 };      /* not aligned */
    build(&o);
    EXPECT_CHECK_FAIL("hypercall page");
    o = (struct opts){ .virt_base = 0xffff800000000000UL };
    build(&o);
    EXPECT_CHECK_FAIL("hypervisor");
}

static void test_legacy_string(void **state)
{
    static const char s[] = "GUEST_OS=Mini-OS,XEN_VER=xen-3.0,VIRT_BASE=0x0,"
                            "ELF_PADDR_OFFSET=0x0,HYPERCALL_PAGE=0x2,"
                            "LOADER=generic";
    uint8_t *sh;
    uint64_t u64;
    uint32_t u32;
    uint16_t u16;
    struct elf_image e;
    char err[ELF_ERR_LEN] = "";
    struct opts o = { .no_notes = true, .virt_base = 0x1 };

    (void)state;
    build(&o);
    /* Re-base the kernel at VA 0 / paddr 0 as Mini-OS does. */
    u64 = 0; memcpy(img + 64 + 16, &u64, 8);
    memcpy(img + 64 + 24, &u64, 8);
    u64 = 0x20; memcpy(img + 24, &u64, 8);
    /* Section headers at 2048: null, __xen_guest, .shstrtab. */
    memcpy(img + 1024, s, sizeof(s));
    memcpy(img + 1536, "\0__xen_guest\0.shstrtab\0", 24);
    sh = img + 2048;
    u32 = 1; memcpy(sh + 64, &u32, 4);                  /* name */
    u64 = 1024; memcpy(sh + 64 + 24, &u64, 8);         /* offset */
    u64 = sizeof(s); memcpy(sh + 64 + 32, &u64, 8);
    u32 = 13; memcpy(sh + 128, &u32, 4);
    u64 = 1536; memcpy(sh + 128 + 24, &u64, 8);
    u64 = 24; memcpy(sh + 128 + 32, &u64, 8);
    u64 = 2048; memcpy(img + 40, &u64, 8);             /* e_shoff */
    u16 = 64; memcpy(img + 58, &u16, 2);
    u16 = 3; memcpy(img + 60, &u16, 2);
    u16 = 2; memcpy(img + 62, &u16, 2);

    assert_int_equal(parse_and_check(&e, err), 0);
    assert_true(e.have_legacy);
    assert_string_equal(e.guest_os, "Mini-OS");
    assert_int_equal(e.virt_hypercall, 0x2000);         /* page 2 */
    assert_int_equal(e.virt_entry, 0x20);

    /* A section table pointing outside the file is refused. */
    u64 = IMG_SIZE * 8; memcpy(img + 40, &u64, 8);
    EXPECT_PARSE_FAIL("section header");
}

static void test_features_parser(void **state)
{
    uint32_t sup = 0, req = 0;

    (void)state;
    assert_int_equal(elf_parse_features("dom0|!writable_page_tables", &sup, &req), 0);
    assert_int_equal(sup, (1u << 11) | 1u);
    assert_int_equal(req, 1u);
    assert_int_equal(elf_parse_features("", &sup, &req), 0);
    assert_int_equal(elf_parse_features("dom", &sup, &req), -EINVAL);
    assert_int_equal(elf_parse_features("dom0||", &sup, &req), -EINVAL);
}

/* Random corruption of a valid image must never crash the parser. */
static void test_random_corruption(void **state)
{
    struct opts o = { 0 };
    unsigned int i, j;

    (void)state;
    srand(4242);
    for ( i = 0; i < 20000; i++ )
    {
        struct elf_image e;
        char err[ELF_ERR_LEN];

        build(&o);
        for ( j = 0; j < 1 + (unsigned)(rand() % 8); j++ )
            img[rand() % (NOTE_OFF + 256)] = (uint8_t)rand();
        img_len = (size_t)(rand() % 3 ? DATA_OFF + 8192 : rand() % IMG_SIZE);
        if ( !parse_and_check(&e, err) )
        {
            struct loaded l = { 0 };

            elf_load(&e, cp, zr, &l);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_image),
        cmocka_unit_test(test_load_by_paddr),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_segments),
        cmocka_unit_test(test_bad_notes),
        cmocka_unit_test(test_unterminated_strings),
        cmocka_unit_test(test_no_description),
        cmocka_unit_test(test_xen_checks),
        cmocka_unit_test(test_legacy_string),
        cmocka_unit_test(test_features_parser),
        cmocka_unit_test(test_random_corruption),
    };

    return cmocka_run_group_tests_name("elf_image", tests, NULL, NULL);
}
