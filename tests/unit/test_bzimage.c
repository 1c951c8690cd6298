/*
 * Unit tests: hypervisor/common/bzimage.c over the real decompressors.
 * Synthetic bzImages around payloads made by the host's own compressors,
 * hostile headers and trailers, and Debian's kernel when the package
 * cache has it.
 */
#include <stdlib.h>
#include <glob.h>
#include <unistd.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/bzimage.h>

#define SETUP_SECTS 3
#define PAYLOAD_AT  ((SETUP_SECTS + 1) * 512)

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if ( !f )
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc(n ? n : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), (size_t)n);
    fclose(f);
    *len = n;
    return buf;
}

/* A payload: the host compressor's output of data, plus the le32 size. */
static uint8_t *compress(const char *cmd, const uint8_t *data, size_t len,
                         size_t *out_len)
{
    char in[] = "/tmp/xenia-bz-XXXXXX", line[256];
    int fd = mkstemp(in);
    uint8_t *buf;
    uint32_t sz = len;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    snprintf(line, sizeof(line), "%s < %s > %s.out", cmd, in, in);
    assert_int_equal(system(line), 0);
    snprintf(line, sizeof(line), "%s.out", in);
    buf = read_file(line, out_len);
    assert_non_null(buf);
    unlink(line);
    unlink(in);
    buf = realloc(buf, *out_len + 4);
    memcpy(buf + *out_len, &sz, 4);
    *out_len += 4;
    return buf;
}

/* A bzImage around a payload: setup sectors, header, payload. */
static uint8_t *make_bzimage(const uint8_t *payload, size_t plen,
                             uint16_t protocol, size_t *len)
{
    uint8_t *img = calloc(1, PAYLOAD_AT + plen);
    uint32_t off = 0, pl = plen;

    img[0x1f1] = SETUP_SECTS;
    memcpy(img + 0x202, "HdrS", 4);
    memcpy(img + 0x206, &protocol, 2);
    memcpy(img + 0x248, &off, 4);
    memcpy(img + 0x24c, &pl, 4);
    memcpy(img + PAYLOAD_AT, payload, plen);
    *len = PAYLOAD_AT + plen;
    return img;
}

static uint8_t elf[70000];

static void fill_elf(void)
{
    size_t i;

    memcpy(elf, "\177ELF\2\1\1", 7);
    for ( i = 16; i < sizeof(elf); i++ )
        elf[i] = (uint8_t)(i * 7 + (i >> 9));
}

static void round_trip(const char *cmd, enum kernel_compression want)
{
    struct bzimage_info bi;
    char err[160] = "";
    size_t plen, len, out_len = 0;
    uint8_t *payload = compress(cmd, elf, sizeof(elf), &plen);
    uint8_t *img = make_bzimage(payload, plen, 0x020f, &len);
    uint8_t *out = malloc(sizeof(elf));

    assert_int_equal(bzimage_probe(img, len, &bi, err, sizeof(err)), 1);
    assert_int_equal(bi.comp, want);
    assert_int_equal(bi.unpacked_len, sizeof(elf));
    assert_true(compression_supported(want));
    assert_int_equal(bzimage_unpack(&bi, out, sizeof(elf), &out_len, err,
                                    sizeof(err)), 0);
    assert_int_equal(out_len, sizeof(elf));
    assert_memory_equal(out, elf, sizeof(elf));
    free(out);
    free(img);
    free(payload);
}

static void test_round_trips(void **state)
{
    (void)state;
    fill_elf();
    round_trip("gzip -9", KCOMP_GZIP);
    round_trip("xz --check=crc32 --x86 --lzma2", KCOMP_XZ);
    round_trip("zstd -q -19", KCOMP_ZSTD);
    round_trip("lz4 -l -q -c", KCOMP_LZ4);
    round_trip("lzop -9 -c", KCOMP_LZO);
    round_trip("bzip2 -9", KCOMP_BZIP2);
    round_trip("xz --format=lzma", KCOMP_LZMA);
}

static void test_not_bzimage(void **state)
{
    struct bzimage_info bi;
    char err[160] = "";

    (void)state;
    fill_elf();
    assert_int_equal(bzimage_probe(elf, sizeof(elf), &bi, err, sizeof(err)), 0);
    assert_int_equal(bzimage_probe(elf, 100, &bi, err, sizeof(err)), 0);
    assert_int_equal(compression_detect(elf, sizeof(elf)), KCOMP_NONE);
}

#define EXPECT_PROBE_FAIL(img, len, text) do {                              \
        char e_[160] = "";                                                  \
        assert_int_equal(bzimage_probe(img, len, &bi, e_, sizeof(e_)),      \
                         -EINVAL);                                          \
        if ( !strstr(e_, text) )                                            \
            fail_msg("message \"%s\" lacks \"%s\"", e_, text);              \
    } while ( 0 )

static void test_hostile_headers(void **state)
{
    struct bzimage_info bi;
    size_t plen, len;
    uint8_t *payload, *img;
    uint32_t v;

    (void)state;
    fill_elf();
    payload = compress("gzip", elf, sizeof(elf), &plen);

    img = make_bzimage(payload, plen, 0x0207, &len);
    EXPECT_PROBE_FAIL(img, len, "older than 2.08");
    free(img);

    img = make_bzimage(payload, plen, 0x020f, &len);
    EXPECT_PROBE_FAIL(img, len - 1, "runs past the end");      /* truncated */
    v = 0xfffffff0;                                             /* offset */
    memcpy(img + 0x248, &v, 4);
    EXPECT_PROBE_FAIL(img, len, "runs past the end");
    v = 0;
    memcpy(img + 0x248, &v, 4);
    v = 0xffffffff;                                             /* length */
    memcpy(img + 0x24c, &v, 4);
    EXPECT_PROBE_FAIL(img, len, "runs past the end");
    v = 4;
    memcpy(img + 0x24c, &v, 4);
    EXPECT_PROBE_FAIL(img, len, "too short");
    free(img);

    img = make_bzimage(payload, plen, 0x020f, &len);
    img[PAYLOAD_AT] = 0x42;                                     /* magic */
    EXPECT_PROBE_FAIL(img, len, "unknown compression");
    free(img);

    img = make_bzimage(payload, plen, 0x020f, &len);
    v = 0xf0000000;                                             /* a bomb */
    memcpy(img + len - 4, &v, 4);
    EXPECT_PROBE_FAIL(img, len, "more than the");
    free(img);
    free(payload);
}

/* Trailer and stream disagree: refused, nothing written past the size. */
static void test_wrong_trailer(void **state)
{
    struct bzimage_info bi;
    char err[160] = "";
    size_t plen, len, out_len;
    uint8_t *payload, *img, *out;
    uint32_t v;

    (void)state;
    fill_elf();
    payload = compress("xz --check=crc32", elf, sizeof(elf), &plen);
    out = malloc(2 * sizeof(elf));

    img = make_bzimage(payload, plen, 0x020f, &len);
    v = sizeof(elf) - 100;                          /* claims less */
    memcpy(img + len - 4, &v, 4);
    assert_int_equal(bzimage_probe(img, len, &bi, err, sizeof(err)), 1);
    memset(out, 0xa5, 2 * sizeof(elf));
    assert_int_equal(bzimage_unpack(&bi, out, 2 * sizeof(elf), &out_len, err,
                                    sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "larger than its stated size"));
    assert_int_equal(out[sizeof(elf) - 100], 0xa5);

    v = sizeof(elf) + 100;                          /* claims more */
    memcpy(img + len - 4, &v, 4);
    assert_int_equal(bzimage_probe(img, len, &bi, err, sizeof(err)), 1);
    assert_int_equal(bzimage_unpack(&bi, out, 2 * sizeof(elf), &out_len, err,
                                    sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not the"));

    /* A corrupt stream is refused with the compression named. */
    v = sizeof(elf);
    memcpy(img + len - 4, &v, 4);
    img[PAYLOAD_AT + plen / 2] ^= 0x55;
    assert_int_equal(bzimage_probe(img, len, &bi, err, sizeof(err)), 1);
    assert_int_not_equal(bzimage_unpack(&bi, out, 2 * sizeof(elf), &out_len,
                                        err, sizeof(err)), 0);
    assert_non_null(strstr(err, "xz"));
    free(img);
    free(payload);
    free(out);
}

/* Debian's kernel from the package cache, when there. */
static void test_debian_kernel(void **state)
{
    struct bzimage_info bi;
    char err[160] = "", pattern[512];
    const char *cache = getenv("XENIA_CACHE");
    const char *home = getenv("HOME");
    glob_t g;
    size_t len, out_len = 0;
    uint8_t *img, *out;

    (void)state;
    if ( cache )
        snprintf(pattern, sizeof(pattern), "%s/pkg/linux-image-6*/boot/vmlinuz-*",
                 cache);
    else
        snprintf(pattern, sizeof(pattern),
                 "%s/.cache/xenia/pkg/linux-image-6*/boot/vmlinuz-*",
                 home ? home : "");
    if ( glob(pattern, 0, NULL, &g) || !g.gl_pathc )
    {
        print_message("no Debian kernel in the cache; skipped\n");
        skip();
    }
    img = read_file(g.gl_pathv[0], &len);
    globfree(&g);
    assert_non_null(img);
    assert_int_equal(bzimage_probe(img, len, &bi, err, sizeof(err)), 1);
    assert_true(bi.protocol >= 0x020f);
    out = malloc(bi.unpacked_len);
    assert_int_equal(bzimage_unpack(&bi, out, bi.unpacked_len, &out_len, err,
                                    sizeof(err)), 0);
    assert_int_equal(out_len, bi.unpacked_len);
    assert_memory_equal(out, "\177ELF", 4);
    free(out);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_not_bzimage),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_wrong_trailer),
        cmocka_unit_test(test_debian_kernel),
    };

    return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
