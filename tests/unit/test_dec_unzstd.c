/*
 * Tests for the one-shot Zstandard decompressor (common/decompress/unzstd.c).
 *
 * Real payloads are made at test time by the host's zstd tool from inputs
 * written here (text-like, random, repetitive, empty), decoded and compared
 * byte for byte with the originals. Hostile cases: every prefix of a small
 * file, single-byte corruptions at every offset, output buffers too small
 * (with a guard region after out_cap), and hand-made frames with a bad
 * magic, reserved bits, a dictionary id or a reserved block type.
 * Inputs are copied to exact-size heap buffers so ASan sees any overread.
 */
#include "harness.h"
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <xenia/decompress.h>

#define GUARD       64
#define GUARD_BYTE  0xa5

static char dir[512];

struct buf
{
    uint8_t *p;
    size_t len;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static struct buf load(const char *name)
{
    char path[1024];
    struct buf b = { NULL, 0 };
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if ( !f )
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.len = (size_t)n;
    b.p = malloc(b.len ? b.len : 1);    /* exact size: ASan sees overreads */
    assert_non_null(b.p);
    if ( b.len )
        assert_int_equal(fread(b.p, 1, b.len, f), b.len);
    fclose(f);
    return b;
}

static void save(const char *name, const void *p, size_t len)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    if ( len )
        assert_int_equal(fwrite(p, 1, len, f), len);
    fclose(f);
}

/* Compress fixture 'src' into 'dst' with the given zstd options. */
static void zstd(const char *opts, const char *src, const char *dst)
{
    int rc = sh("cd '%s' && zstd -q -f %s '%s' -o '%s' 2>/dev/null",
                dir, opts, src, dst);

    if ( rc != 0 )
        fail_msg("zstd %s %s failed (is the zstd tool installed?)", opts, src);
}

/* Output buffer of cap bytes followed by a guard region. */
static uint8_t *out_alloc(size_t cap)
{
    uint8_t *o = malloc(cap + GUARD);

    assert_non_null(o);
    memset(o, GUARD_BYTE, cap + GUARD);
    return o;
}

static void guard_check(const uint8_t *o, size_t cap)
{
    size_t i;

    for ( i = 0; i < GUARD; i++ )
        if ( o[cap + i] != GUARD_BYTE )
            fail_msg("write past out_cap at out_cap + %zu", i);
}

static int decode(const struct buf *in, uint8_t *out, size_t cap,
                  size_t *out_len, char *err, size_t errlen)
{
    return unzstd(in->p, in->len, out, cap, out_len, err, errlen);
}

/* Decode zst (exact-size output buffer) and compare with orig. */
static void expect_same(const struct buf *zst, const struct buf *orig)
{
    uint8_t *o = out_alloc(orig->len);
    size_t out_len = ~(size_t)0;
    char err[128];
    int rc;

    rc = decode(zst, o, orig->len, &out_len, err, sizeof(err));
    if ( rc != 0 )
        fail_msg("unzstd returned %d: %s", rc, err);
    assert_int_equal(out_len, orig->len);
    if ( orig->len && memcmp(o, orig->p, orig->len) != 0 )
        fail_msg("decoded data differs from the original");
    guard_check(o, orig->len);
    free(o);
}

static void roundtrip(const char *src, const char *opts)
{
    char dst[256];
    struct buf orig, zst;

    size_t i, n;

    /* Name the output after the source and the options. */
    n = (size_t)snprintf(dst, sizeof(dst), "%s", src);
    for ( i = 0; opts[i] && n + 5 < sizeof(dst); i++ )
        dst[n++] = (opts[i] >= 'a' && opts[i] <= 'z') ||
                   (opts[i] >= '0' && opts[i] <= '9') ? opts[i] : '_';
    snprintf(dst + n, sizeof(dst) - n, ".zst");
    zstd(opts, src, dst);
    orig = load(src);
    zst = load(dst);
    expect_same(&zst, &orig);
    free(orig.p);
    free(zst.p);
}

/* ---- fixtures ---------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int make_fixtures(void **state)
{
    size_t i, n;
    uint8_t *p;
    struct buf text;

    (void)state;
    if ( mkdir(FIXTURES, 0755) != 0 && errno != EEXIST )
    {
        if ( sh("mkdir -p '%s'", FIXTURES) != 0 )
            return -1;
    }
    snprintf(dir, sizeof(dir), "%s/zstd", FIXTURES);
    if ( sh("mkdir -p '%s' && rm -f '%s'/*.zst", dir, dir) != 0 )
        return -1;

    /* Text-like: several MB of /usr/bin executables (fixed order). */
    if ( sh("cd '%s' && ls /usr/bin | LC_ALL=C sort | "
            "(cd /usr/bin && xargs cat 2>/dev/null) | head -c 8388608 > text.bin",
            dir) != 0 )
        return -1;
    text = load("text.bin");
    if ( text.len < (1u << 20) )
    {
        fprintf(stderr, "# /usr/bin gave only %zu bytes\n", text.len);
        return -1;
    }
    save("mid.bin", text.p, 2u << 20);
    save("small.bin", text.p + 100000, 24000);
    save("small12k.bin", text.p + 200000, 12000);
    save("tiny.bin", text.p + 300000, 3000);
    save("odd.bin", text.p + 400000, 3005);      /* XXH64 tail paths */
    save("seven.bin", text.p + 500000, 7);
    free(text.p);

    /* Incompressible. */
    n = 1u << 20;
    p = malloc(n);
    for ( i = 0; i < n; i += 8 )
    {
        uint64_t v = xorshift();

        memcpy(p + i, &v, 8);
    }
    save("rand.bin", p, n);

    /* Highly repetitive: runs with every short period, zeros, long copies. */
    for ( i = 0; i < n; i++ )
    {
        size_t blk = i >> 14, period = 1 + blk % 9;

        if ( blk % 5 == 4 )
            p[i] = 0;
        else
            p[i] = (uint8_t)("abcdefghij"[(i % period)] + blk);
    }
    save("rep.bin", p, n);
    save("rep_small.bin", p + 3 * 16384, 256 * 1024);

    /* Words: long matches with varied literals. */
    for ( i = 0; i < n; )
    {
        static const char *const words[] = {
            "the ", "hypervisor ", "domain ", "grant ", "page ", "event ",
            "channel ", "xen ", "zstd ", "frame ", "\n", "block ", "0x1234 ",
        };
        const char *w = words[xorshift() % 13];
        size_t l = strlen(w);

        if ( i + l > n )
            l = n - i;
        memcpy(p + i, w, l);
        i += l;
    }
    save("words.bin", p, n);
    save("words_small.bin", p, 32768);
    free(p);

    save("empty.bin", "", 0);
    return 0;
}

/* ---- real payloads ----------------------------------------------------- */

static void test_level1(void **s)   { roundtrip("text.bin", "-1"); }
static void test_level3(void **s)   { roundtrip("text.bin", "-3"); }
static void test_level19(void **s)  { roundtrip("mid.bin", "-19"); }
static void test_ultra22(void **s)  { roundtrip("mid.bin", "--ultra -22"); }
static void test_long(void **s)     { roundtrip("text.bin", "--long=27 -5"); }
static void test_small_blocks(void **s)
{
    roundtrip("mid.bin", "-3 -B65536 --target-compressed-block-size=1024");
}
static void test_window_1k(void **s)    { roundtrip("words.bin", "-9 --zstd=wlog=10"); }
static void test_no_check(void **s)     { roundtrip("small.bin", "-3 --no-check"); }
static void test_check(void **s)        { roundtrip("small.bin", "-3 --check"); }
static void test_tiny(void **s)         { roundtrip("tiny.bin", "-19"); }
static void test_odd_lengths(void **s)
{
    roundtrip("odd.bin", "-3 --check");
    roundtrip("seven.bin", "-3 --check");
}
static void test_random(void **s)       { roundtrip("rand.bin", "-3"); }
static void test_random19(void **s)     { roundtrip("rand.bin", "-19"); }
static void test_repetitive(void **s)   { roundtrip("rep.bin", "-1"); }
static void test_repetitive19(void **s) { roundtrip("rep.bin", "-19"); }
static void test_words(void **s)        { roundtrip("words.bin", "-7"); }
static void test_empty_file(void **s)   { roundtrip("empty.bin", "-3"); }

/* No content size in the header (compressed from a pipe). */
static void test_no_content_size(void **s)
{
    struct buf orig, zst;

    assert_int_equal(sh("cd '%s' && zstd -q -3 -c < mid.bin > pipe.zst", dir), 0);
    assert_int_equal(sh("cd '%s' && zstd -q --no-content-size -1 -f words.bin "
                        "-o nocs.zst", dir), 0);
    orig = load("mid.bin");
    zst = load("pipe.zst");
    expect_same(&zst, &orig);
    free(orig.p);
    free(zst.p);
    orig = load("words.bin");
    zst = load("nocs.zst");
    expect_same(&zst, &orig);
    free(orig.p);
    free(zst.p);
}

/* Several frames back to back, plus skippable frames, plus Linux's size. */
static void test_multi_frame(void **s)
{
    static const uint8_t skip[] = {
        0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 'j', 'u', 'n', 'k', '!',
    };
    struct buf a, b, c, za, zb, zc, all, orig;
    uint8_t *p;

    zstd("-1", "small.bin", "fa.zst");
    zstd("-19 --no-check", "rep.bin", "fb.zst");
    zstd("-3", "empty.bin", "fc.zst");
    a = load("small.bin");
    b = load("rep.bin");
    c = load("empty.bin");
    za = load("fa.zst");
    zb = load("fb.zst");
    zc = load("fc.zst");

    /* skip | a | b | skip | empty | a | size32 */
    all.len = 2 * sizeof(skip) + 2 * za.len + zb.len + zc.len + 4;
    all.p = p = malloc(all.len);
    memcpy(p, skip, sizeof(skip)); p += sizeof(skip);
    memcpy(p, za.p, za.len); p += za.len;
    memcpy(p, zb.p, zb.len); p += zb.len;
    memcpy(p, skip, sizeof(skip)); p += sizeof(skip);
    memcpy(p, zc.p, zc.len); p += zc.len;
    memcpy(p, za.p, za.len); p += za.len;
    memcpy(p, "\x10\x20\x30\x00", 4);

    orig.len = 2 * a.len + b.len + c.len;
    orig.p = p = malloc(orig.len);
    memcpy(p, a.p, a.len); p += a.len;
    memcpy(p, b.p, b.len); p += b.len;
    memcpy(p, a.p, a.len);
    expect_same(&all, &orig);

    /* Without the trailing size too. */
    all.len -= 4;
    expect_same(&all, &orig);

    free(a.p); free(b.p); free(c.p); free(za.p); free(zb.p); free(zc.p);
    free(all.p); free(orig.p);
}

static void test_skippable_only(void **s)
{
    struct buf in;
    size_t out_len = 99;
    uint8_t o[1];
    int rc;

    in.len = 12;
    in.p = malloc(in.len);
    memcpy(in.p, "\x50\x2a\x4d\x18\x04\x00\x00\x00" "abcd", 12);
    rc = decode(&in, o, sizeof(o), &out_len, NULL, 0);
    assert_int_equal(rc, 0);
    assert_int_equal(out_len, 0);
    /* A skippable frame claiming more bytes than there are. */
    in.p[4] = 5;
    rc = decode(&in, o, sizeof(o), &out_len, NULL, 0);
    assert_int_equal(rc, -EINVAL);
    free(in.p);
}

static void test_empty_input(void **s)
{
    uint8_t o[16];
    size_t out_len;
    char err[128];
    struct buf in = { malloc(1), 0 };

    assert_int_equal(decode(&in, o, sizeof(o), &out_len, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "zstd:"));
    free(in.p);
}

/*
 * Decode the 8 MB text compressed as Linux compresses kernels (zstd -22
 * --ultra) and report the throughput (of this sanitized build).
 */
static void test_large_throughput(void **s)
{
    struct buf orig, zst;
    struct timespec t0, t1;
    uint8_t *o;
    size_t out_len;
    double sec;

    zstd("--ultra -22 -T0", "text.bin", "text22.zst");
    orig = load("text.bin");
    zst = load("text22.zst");
    o = out_alloc(orig.len);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(decode(&zst, o, orig.len, &out_len, NULL, 0), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(out_len, orig.len);
    assert_memory_equal(o, orig.p, orig.len);
    guard_check(o, orig.len);
    sec = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# unzstd: %zu bytes in %.3f s = %.0f MB/s (ASan/UBSan build)\n",
           orig.len, sec, orig.len / sec / 1e6);
    free(o);
    free(orig.p);
    free(zst.p);
}

/* ---- hostile input ----------------------------------------------------- */

/* Every proper prefix of a single-frame file must be rejected. */
static void truncations(const char *src, const char *opts, const char *dst)
{
    struct buf orig, zst, cut;
    uint8_t *o;
    size_t n, out_len;
    char err[128];
    int rc;

    zstd(opts, src, dst);
    orig = load(src);
    zst = load(dst);
    o = out_alloc(orig.len);
    for ( n = 0; n < zst.len; n++ )
    {
        cut.len = n;
        cut.p = malloc(n ? n : 1);
        memcpy(cut.p, zst.p, n);
        rc = decode(&cut, o, orig.len, &out_len, err, sizeof(err));
        if ( rc != -EINVAL )
            fail_msg("prefix of %zu/%zu bytes gave %d, not -EINVAL", n,
                     zst.len, rc);
        if ( strncmp(err, "zstd: ", 6) != 0 )
            fail_msg("prefix of %zu bytes: no message (%s)", n, err);
        guard_check(o, orig.len);
        free(cut.p);
    }
    free(o);
    free(orig.p);
    free(zst.p);
}

static void test_truncated(void **s)
{
    truncations("small.bin", "-19 --check", "trunc1.zst");
}

static void test_truncated_nocheck(void **s)
{
    truncations("tiny.bin", "-3 --no-check", "trunc2.zst");
}

/*
 * Flip each byte of a checksummed file in several ways. Each decode must
 * end in an error, or (the checksum holding) in exactly the original.
 */
static void corruptions(const char *src, const char *opts, const char *dst,
                        size_t stride)
{
    static const uint8_t flips[] = { 0x01, 0x02, 0x10, 0x80, 0xff, 0x5a };
    struct buf orig, zst, bad;
    size_t i, f, out_len, errors = 0, tries = 0;
    uint8_t *o;
    int rc;

    zstd(opts, src, dst);
    orig = load(src);
    zst = load(dst);
    o = out_alloc(orig.len);
    bad.len = zst.len;
    bad.p = malloc(zst.len);
    for ( i = 0; i < zst.len; i += stride )
    {
        for ( f = 0; f < sizeof(flips); f++ )
        {
            memcpy(bad.p, zst.p, zst.len);
            bad.p[i] ^= flips[f];
            rc = decode(&bad, o, orig.len, &out_len, NULL, 0);
            guard_check(o, orig.len);
            tries++;
            if ( rc == 0 )
            {
                if ( out_len != orig.len || memcmp(o, orig.p, orig.len) )
                    fail_msg("corruption at %zu (^%#x) decoded to wrong data",
                             i, flips[f]);
            }
            else
            {
                if ( rc != -EINVAL && rc != -ENOSPC )
                    fail_msg("corruption at %zu gave %d", i, rc);
                errors++;
            }
        }
    }
    /* Nearly every change must be noticed. */
    if ( errors * 10 < tries * 9 )
        fail_msg("only %zu of %zu corruptions detected", errors, tries);
    free(bad.p);
    free(o);
    free(orig.p);
    free(zst.p);
}

static void test_corrupt_small(void **s)
{
    corruptions("small12k.bin", "-19 --check", "corrupt1.zst", 1);
}

static void test_corrupt_words(void **s)
{
    corruptions("words_small.bin", "-3 --check --zstd=wlog=12", "corrupt2.zst",
                3);
}

static void test_corrupt_rep(void **s)
{
    corruptions("rep_small.bin", "-19 --check", "corrupt3.zst", 1);
}

/* out_cap too small: -ENOSPC and nothing past out_cap. */
static void enospc(const char *file)
{
    struct buf zst = load(file);
    size_t caps[6], i, out_len, full;
    char err[128];
    uint8_t *o;
    int rc;

    o = out_alloc(64 << 20);
    rc = decode(&zst, o, 64 << 20, &full, NULL, 0);
    assert_int_equal(rc, 0);
    free(o);

    caps[0] = 0;
    caps[1] = 1;
    caps[2] = full / 2;
    caps[3] = full - 1;
    caps[4] = full > 20000 ? full - 20000 : full / 3;
    caps[5] = full > 129 * 1024 ? 129 * 1024 : full / 4;
    for ( i = 0; i < 6; i++ )
    {
        o = out_alloc(caps[i]);
        rc = decode(&zst, o, caps[i], &out_len, err, sizeof(err));
        if ( rc != -ENOSPC )
            fail_msg("%s with out_cap %zu of %zu gave %d (%s)", file, caps[i],
                     full, rc, err);
        assert_non_null(strstr(err, "zstd:"));
        guard_check(o, caps[i]);
        free(o);
    }
    free(zst.p);
}

static void test_enospc(void **s)
{
    zstd("-3", "mid.bin", "nospc1.zst");
    zstd("-3 --no-content-size", "words.bin", "nospc2.zst");
    zstd("-19 --no-content-size", "rep.bin", "nospc3.zst");
    zstd("-1 --no-content-size", "rand.bin", "nospc4.zst");
    assert_int_equal(sh("cd '%s' && zstd -q -5 -c < small.bin > nospc5.zst",
                        dir), 0);
    enospc("nospc1.zst");
    enospc("nospc2.zst");
    enospc("nospc3.zst");
    enospc("nospc4.zst");
    enospc("nospc5.zst");
}

/* Decode bytes and expect rc; if msg, the error must mention it. */
static void expect_err(const uint8_t *bytes, size_t len, int want,
                       const char *msg)
{
    struct buf in = { malloc(len ? len : 1), len };
    uint8_t *o = out_alloc(4096);
    size_t out_len;
    char err[128] = "";
    int rc;

    memcpy(in.p, bytes, len);
    rc = decode(&in, o, 4096, &out_len, err, sizeof(err));
    if ( rc != want )
        fail_msg("got %d (%s), want %d", rc, err, want);
    if ( msg && !strstr(err, msg) )
        fail_msg("message '%s' does not mention '%s'", err, msg);
    guard_check(o, 4096);
    free(o);
    free(in.p);
}

/* Hand-made frame: single segment, FCS 1 byte, then the given blocks. */
#define HDR(fhd) 0x28, 0xb5, 0x2f, 0xfd, (fhd)

static void test_crafted(void **s)
{
    /* Valid: empty raw last block. */
    static const uint8_t ok[] = { HDR(0x20), 0x00, 0x01, 0x00, 0x00 };
    /* Valid: RLE block of 5 'x', then raw "yz". */
    static const uint8_t rle[] = { HDR(0x20), 7, 0x2a, 0, 0, 'x',
                                   0x11, 0, 0, 'y', 'z' };
    static const uint8_t bad_magic[] = { 0x28, 0xb5, 0x2f, 0xfe, 0x20, 0, 1, 0, 0 };
    static const uint8_t reserved[] = { HDR(0x28), 0x00, 0x01, 0x00, 0x00 };
    static const uint8_t dict1[] = { HDR(0x21), 0x07, 0x00, 0x01, 0x00, 0x00 };
    static const uint8_t dict4[] = { HDR(0x23), 1, 2, 3, 4, 0x00, 0x01, 0, 0 };
    static const uint8_t dict0[] = { HDR(0x21), 0x00, 0x00, 0x01, 0x00, 0x00 };
    static const uint8_t btype3[] = { HDR(0x20), 0x00, 0x07, 0x00, 0x00 };
    static const uint8_t size_bad[] = { HDR(0x20), 0x03, 0x01, 0x00, 0x00 };
    static const uint8_t big_block[] = { HDR(0x20), 0x02, 0x19, 0, 0, 'a', 'b', 'c' };
    /*
     * Compressed block (no content size, 1 KiB window): raw literal "a",
     * one sequence with all three tables in RLE mode (LL 1, OF code 2,
     * ML 3). The 2 offset bits give offset 1 + bits: 1 is fine ("aaaa"),
     * 4 reaches before the start of the output.
     */
    static const uint8_t near[] = {
        HDR(0x00), 0x00, 0x45, 0, 0,
        0x08, 'a', 0x01, 0x54, 0x01, 0x02, 0x00, 0x04,
    };
    static const uint8_t far[] = {
        HDR(0x00), 0x00, 0x45, 0, 0,
        0x08, 'a', 0x01, 0x54, 0x01, 0x02, 0x00, 0x07,
    };
    /* The same with the sequence-modes reserved bits set. */
    static const uint8_t modes_rsvd[] = {
        HDR(0x00), 0x00, 0x45, 0, 0,
        0x08, 'a', 0x01, 0x55, 0x01, 0x02, 0x00, 0x04,
    };
    /* Repeat mode in the first block: there is no previous table. */
    static const uint8_t repeat_first[] = {
        HDR(0x00), 0x00, 0x45, 0, 0,
        0x08, 'a', 0x01, 0xd4, 0x02, 0x00, 0x04, 0x04,
    };
    struct buf in;
    uint8_t o[16];
    size_t out_len;

    expect_err(ok, sizeof(ok), 0, NULL);
    expect_err(dict0, sizeof(dict0), 0, NULL);
    in.len = sizeof(rle);
    in.p = malloc(in.len);
    memcpy(in.p, rle, in.len);
    assert_int_equal(decode(&in, o, sizeof(o), &out_len, NULL, 0), 0);
    assert_int_equal(out_len, 7);
    assert_memory_equal(o, "xxxxxyz", 7);
    assert_int_equal(decode(&in, o, 6, &out_len, NULL, 0), -ENOSPC);
    free(in.p);

    expect_err(bad_magic, sizeof(bad_magic), -EINVAL, "magic");
    expect_err(reserved, sizeof(reserved), -EINVAL, "reserved bit");
    expect_err(dict1, sizeof(dict1), -EINVAL, "dictionary not supported");
    expect_err(dict4, sizeof(dict4), -EINVAL, "dictionary not supported");
    expect_err(btype3, sizeof(btype3), -EINVAL, "reserved block type");
    expect_err(size_bad, sizeof(size_bad), -EINVAL, "content size");
    expect_err(big_block, sizeof(big_block), -EINVAL, "block");
    expect_err(far, sizeof(far), -EINVAL, "offset beyond output start");
    expect_err(modes_rsvd, sizeof(modes_rsvd), -EINVAL, "reserved bits");
    expect_err(repeat_first, sizeof(repeat_first), -EINVAL, "repeated");
    in.len = sizeof(near);
    in.p = malloc(in.len);
    memcpy(in.p, near, in.len);
    assert_int_equal(decode(&in, o, sizeof(o), &out_len, NULL, 0), 0);
    assert_int_equal(out_len, 4);
    assert_memory_equal(o, "aaaa", 4);
    assert_int_equal(decode(&in, o, 3, &out_len, NULL, 0), -ENOSPC);
    free(in.p);
}

/* A compressed block with literals only (zero sequences). */
static void test_no_sequences(void **s)
{
    static const uint8_t hello[] = {
        HDR(0x00), 0x00, 0x3d, 0, 0, 0x28, 'h', 'e', 'l', 'l', 'o', 0x00,
    };
    static const uint8_t junk[] = {
        HDR(0x00), 0x00, 0x45, 0, 0, 0x28, 'h', 'e', 'l', 'l', 'o', 0x00, 0x00,
    };
    struct buf in = { malloc(sizeof(hello)), sizeof(hello) };
    uint8_t o[8];
    size_t out_len;

    memcpy(in.p, hello, sizeof(hello));
    assert_int_equal(decode(&in, o, sizeof(o), &out_len, NULL, 0), 0);
    assert_int_equal(out_len, 5);
    assert_memory_equal(o, "hello", 5);
    assert_int_equal(decode(&in, o, 4, &out_len, NULL, 0), -ENOSPC);
    free(in.p);
    expect_err(junk, sizeof(junk), -EINVAL, "empty sequences section");
}

/*
 * 0x7f00 sequences (the 3-byte count form) after a raw block "abcd": all
 * three tables in RLE mode, literals length 0, match length 3, offset code
 * 0 (repeat offset 1, which with no literals means the second repeat
 * offset): the offsets alternate 4, 1, 4, 1 as the first two swap.
 */
static void test_many_sequences(void **s)
{
    static const uint8_t frame[] = {
        HDR(0x00), 0x00,
        0x20, 0, 0, 'a', 'b', 'c', 'd',             /* raw, 4 bytes */
        0x4d, 0, 0,                                 /* compressed, 9, last */
        0x00,                                       /* no literals */
        0xff, 0x00, 0x00,                           /* 0x7f00 sequences */
        0x54, 0x00, 0x00, 0x00,                     /* RLE LL, OF, ML */
        0x01,                                       /* empty bitstream */
    };
    size_t n = 4 + 0x7f00 * 3, i, j, out_len;
    struct buf in = { malloc(sizeof(frame)), sizeof(frame) };
    uint8_t *want = malloc(n), *o = out_alloc(n);

    memcpy(want, "abcd", 4);
    for ( i = 0, j = 4; i < 0x7f00; i++, j += 3 )
    {
        size_t off = (i & 1) ? 1 : 4;

        want[j] = want[j - off];
        want[j + 1] = want[j + 1 - off];
        want[j + 2] = want[j + 2 - off];
    }
    memcpy(in.p, frame, sizeof(frame));
    assert_int_equal(decode(&in, o, n, &out_len, NULL, 0), 0);
    assert_int_equal(out_len, n);
    assert_memory_equal(o, want, n);
    guard_check(o, n);
    free(o);
    o = out_alloc(n - 1);
    assert_int_equal(decode(&in, o, n - 1, &out_len, NULL, 0), -ENOSPC);
    guard_check(o, n - 1);
    free(o);
    free(want);
    free(in.p);
}

/* A frame that needs a (raw content) dictionary: matches reach before it. */
static void test_offset_before_start(void **s)
{
    struct buf zst;
    uint8_t *o;
    size_t out_len;
    char err[128];
    int rc;

    assert_int_equal(sh("cd '%s' && cp small.bin dict.raw && "
                        "zstd -q -f -3 -D dict.raw small.bin -o dictref.zst", dir), 0);
    zst = load("dictref.zst");
    o = out_alloc(24000);
    rc = decode(&zst, o, 24000, &out_len, err, sizeof(err));
    assert_int_equal(rc, -EINVAL);
    if ( !strstr(err, "offset beyond output start") )
        fail_msg("message '%s'", err);
    guard_check(o, 24000);
    free(o);
    free(zst.p);
}

static void test_checksum_mismatch(void **s)
{
    struct buf zst;
    uint8_t *o;
    size_t out_len;
    char err[128];

    zstd("-3 --check", "small.bin", "cks.zst");
    zst = load("cks.zst");
    zst.p[zst.len - 2] ^= 0x40;
    o = out_alloc(24000);
    assert_int_equal(decode(&zst, o, 24000, &out_len, err, sizeof(err)),
                     -EINVAL);
    if ( !strstr(err, "checksum mismatch") )
        fail_msg("message '%s'", err);
    free(o);
    free(zst.p);
}

/* Junk after a frame that is not a frame is ignored; a bad frame is not. */
static void test_trailing(void **s)
{
    struct buf zst, orig, in;

    zstd("-3", "tiny.bin", "trail.zst");
    zst = load("trail.zst");
    orig = load("tiny.bin");
    in.len = zst.len + 7;
    in.p = malloc(in.len);
    memcpy(in.p, zst.p, zst.len);
    memcpy(in.p + zst.len, "garbage", 7);
    expect_same(&in, &orig);
    in.len = zst.len + 3;
    memcpy(in.p + zst.len, "\x28\xb5\x2f", 3);
    expect_same(&in, &orig);
    /* A second frame's magic followed by junk is a broken frame. */
    in.len = zst.len + 7;
    memcpy(in.p + zst.len, "\x28\xb5\x2f\xfd\x08\x00\x00", 7);
    {
        uint8_t *o = out_alloc(orig.len);
        size_t out_len;

        assert_int_equal(decode(&in, o, orig.len, &out_len, NULL, 0), -EINVAL);
        free(o);
    }
    free(in.p);
    free(zst.p);
    free(orig.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level1),
        cmocka_unit_test(test_level3),
        cmocka_unit_test(test_level19),
        cmocka_unit_test(test_ultra22),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_small_blocks),
        cmocka_unit_test(test_window_1k),
        cmocka_unit_test(test_no_check),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_tiny),
        cmocka_unit_test(test_odd_lengths),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_random19),
        cmocka_unit_test(test_repetitive),
        cmocka_unit_test(test_repetitive19),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_no_content_size),
        cmocka_unit_test(test_multi_frame),
        cmocka_unit_test(test_skippable_only),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_large_throughput),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_truncated_nocheck),
        cmocka_unit_test(test_corrupt_small),
        cmocka_unit_test(test_corrupt_words),
        cmocka_unit_test(test_corrupt_rep),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_no_sequences),
        cmocka_unit_test(test_many_sequences),
        cmocka_unit_test(test_offset_before_start),
        cmocka_unit_test(test_checksum_mismatch),
        cmocka_unit_test(test_trailing),
    };

    return cmocka_run_group_tests_name("unzstd", tests, make_fixtures, NULL);
}
