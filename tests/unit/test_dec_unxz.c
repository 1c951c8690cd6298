/*
 * Unit tests: hypervisor/common/decompress/unxz.c (unxz and unlzma).
 *
 * Real .xz and .lzma files are made at test time by the host's xz, in
 * many variants, and decoded output is compared byte for byte with the
 * original. Hostile variants (every truncation and many corruptions of a
 * small file, forged headers) must fail cleanly; each decode gets an
 * input buffer of exactly its length and an output buffer followed by a
 * guard area, so a read or write out of bounds is caught by ASan or the
 * guard check.
 */
#include <stdlib.h>
#include <glob.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

/* A private directory under FIXTURES, so concurrent runs do not collide. */
static char DIR[512];
#define GUARD   64
#define GUARD_BYTE 0xa5

static bool have_xz;

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static int __printf(1, 2) sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;

    if ( !f )
        return NULL;
    do {
        if ( n == cap )
        {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while ( r );
    fclose(f);
    *len = n;
    return buf;
}

static void spill(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Deterministic pseudo-random numbers (xorshift64). */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct dec_result
{
    int rc;
    size_t len;
    uint8_t *out;       /* cap + GUARD bytes, caller frees */
    char err[160];
};

/*
 * Runs a decoder on a private copy of in[0..len) (exactly len bytes, so
 * ASan sees any over-read) into a cap-byte buffer followed by a guard.
 */
static void run(decompress_fn fn, const uint8_t *in, size_t len, size_t cap,
                struct dec_result *r)
{
    uint8_t *copy = malloc(len ? len : 1);
    size_t i;

    assert_non_null(copy);
    memcpy(copy, in, len);
    r->out = malloc(cap + GUARD);
    assert_non_null(r->out);
    memset(r->out, GUARD_BYTE, cap + GUARD);
    r->len = (size_t)-1;
    r->err[0] = '\0';
    r->rc = fn(copy, len, r->out, cap, &r->len, r->err, sizeof(r->err));
    for ( i = cap; i < cap + GUARD; i++ )
        if ( r->out[i] != GUARD_BYTE )
            fail_msg("decoder wrote at out[%zu] with out_cap %zu (rc %d)", i, cap,
                     r->rc);
    free(copy);
    if ( r->rc == 0 )
        assert_true(r->len <= cap);
    else
    {
        assert_true(r->rc == -EINVAL || r->rc == -ENOSPC);
        if ( r->err[0] == '\0' )
            fail_msg("error %d without a message", r->rc);
    }
}

/* Decodes and compares with the original; cap defaults to exact size. */
static void expect_same(decompress_fn fn, const uint8_t *in, size_t len,
                        const uint8_t *orig, size_t olen, size_t cap)
{
    struct dec_result r;

    run(fn, in, len, cap, &r);
    if ( r.rc )
        fail_msg("decode failed: %d %s", r.rc, r.err);
    assert_int_equal(r.len, olen);
    if ( olen && memcmp(r.out, orig, olen) )
        fail_msg("decoded data differs from the original");
    free(r.out);
}

static void expect_error(decompress_fn fn, const uint8_t *in, size_t len,
                         size_t cap, int rc, const char *msg)
{
    struct dec_result r;

    run(fn, in, len, cap, &r);
    if ( r.rc != rc )
        fail_msg("expected %d, got %d (%s)", rc, r.rc, r.err);
    if ( msg && !strstr(r.err, msg) )
        fail_msg("message '%s' lacks '%s'", r.err, msg);
    free(r.out);
}

/* Compresses DIR/<src> with 'xz <opts>' into DIR/<dst>; returns its bytes. */
static uint8_t *compress(const char *src, const char *dst, const char *opts,
                         size_t *len)
{
    char path[1100];
    uint8_t *p;

    if ( sh("xz -c -q -k %s '%s/%s' > '%s/%s'", opts, DIR, src, DIR, dst) )
        fail_msg("xz %s failed", opts);
    snprintf(path, sizeof(path), "%s/%s", DIR, dst);
    p = slurp(path, len);
    assert_non_null(p);
    return p;
}

static uint8_t *input(const char *name, size_t *len)
{
    char path[1100];
    uint8_t *p;

    snprintf(path, sizeof(path), "%s/%s", DIR, name);
    p = slurp(path, len);
    assert_non_null(p);
    return p;
}

/* Compresses 'src' with opts and checks that fn restores it exactly. */
static void roundtrip(decompress_fn fn, const char *src, const char *opts)
{
    size_t olen, clen;
    uint8_t *orig = input(src, &olen);
    uint8_t *c = compress(src, "rt.tmp", opts, &clen);

    expect_same(fn, c, clen, orig, olen, olen);
    /* A roomier buffer must give the same. */
    expect_same(fn, c, clen, orig, olen, olen + 4096);
    free(c);
    free(orig);
}

static uint32_t t_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    unsigned int k;

    while ( n-- )
    {
        c ^= *p++;
        for ( k = 0; k < 8; k++ )
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                             */

static void spill_in(const char *name, const uint8_t *p, size_t len)
{
    char path[1100];

    snprintf(path, sizeof(path), "%s/%s", DIR, name);
    spill(path, p, len);
}

static void write_inputs(void)
{
    static const char *words[] = {
        "hypervisor", "domain", "page", "grant", "event", "channel", "the",
        "of", "vcpu", "frame", "table", "xen", "\n", ", ", "0x1f", "{", "}",
    };
    size_t n = 300000, i = 0;
    uint8_t *b = malloc(n);

    assert_non_null(b);
    /* Text-like data with some binary runs. */
    while ( i < n )
    {
        uint64_t r = rnd();

        if ( (r & 31) == 0 )
        {
            size_t k, run = 16 + (r >> 8) % 200;

            for ( k = 0; k < run && i < n; k++ )
                b[i++] = (uint8_t)(r >> (k & 31));
        }
        else
        {
            const char *w = words[(r >> 8) % ARRAY_SIZE(words)];
            size_t k;

            for ( k = 0; w[k] && i < n; k++ )
                b[i++] = (uint8_t)w[k];
            if ( i < n )
                b[i++] = ' ';
        }
    }
    spill_in("text.bin", b, n);
    spill_in("small.bin", b + 1000, 3000);
    for ( i = 0; i < 200000; i++ )
        b[i] = (uint8_t)rnd();
    spill_in("random.bin", b, 200000);
    /* Dense in E8/E9 opcodes and sign bytes: every BCJ history case. */
    for ( i = 0; i < 200000; i++ )
    {
        static const uint8_t pick[] = { 0xe8, 0xe9, 0x00, 0xff, 0xe8, 0x00 };
        uint64_t r = rnd();

        b[i] = (r & 3) ? pick[(r >> 8) % ARRAY_SIZE(pick)] : (uint8_t)(r >> 16);
    }
    spill_in("bcj.bin", b, 200000);
    spill_in("empty.bin", b, 0);
    free(b);
}

static int group_setup(void **state)
{
    (void)state;
    if ( sh("mkdir -p '%s'", FIXTURES) )
        return -1;
    snprintf(DIR, sizeof(DIR), "%s/xz.XXXXXX", FIXTURES);
    if ( !mkdtemp(DIR) )
        return -1;
    have_xz = sh("xz --version >/dev/null 2>&1") == 0;
    if ( !have_xz )
        return 0;
    write_inputs();
    /* x86 code for the BCJ filter: this test program itself. */
    if ( sh("cp /proc/self/exe '%s/code.bin' 2>/dev/null || cp /bin/sh '%s/code.bin'",
            DIR, DIR) )
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if ( DIR[0] )
        sh("rm -rf '%s'", DIR);
    return 0;
}

#define NEED_XZ() do { if ( !have_xz ) skip(); } while ( 0 )

/* ------------------------------------------------------------------ */
/* .xz round trips                                                      */

static void test_xz_presets(void **state)
{
    NEED_XZ();
    roundtrip(unxz, "text.bin", "-0");
    roundtrip(unxz, "text.bin", "-1");
    roundtrip(unxz, "text.bin", "-6");
    roundtrip(unxz, "text.bin", "-9e");
    roundtrip(unxz, "small.bin", "-6");
    roundtrip(unxz, "code.bin", "-6");
}

static void test_xz_checks(void **state)
{
    NEED_XZ();
    roundtrip(unxz, "text.bin", "--check=none");
    roundtrip(unxz, "text.bin", "--check=crc32");
    roundtrip(unxz, "text.bin", "--check=crc64");
}

static void test_xz_lzma2_options(void **state)
{
    NEED_XZ();
    roundtrip(unxz, "text.bin", "--lzma2=preset=6,lc=0,lp=4,pb=0");
    roundtrip(unxz, "text.bin", "--lzma2=preset=6,lc=4,lp=0,pb=4");
    roundtrip(unxz, "text.bin", "--lzma2=preset=6,lc=1,lp=2,pb=3");
    roundtrip(unxz, "text.bin", "--lzma2=preset=1,mf=hc3,dict=4KiB");
    roundtrip(unxz, "code.bin", "--lzma2=preset=9,nice=273,mode=normal");
}

static void test_xz_bcj_x86(void **state)
{
    NEED_XZ();
    roundtrip(unxz, "code.bin", "--x86 --lzma2");
    roundtrip(unxz, "code.bin", "--x86 --lzma2=preset=0 --check=crc64");
    roundtrip(unxz, "code.bin", "--x86=start=4096 --lzma2");
    roundtrip(unxz, "code.bin", "--x86 --lzma2 --block-size=12345");
    roundtrip(unxz, "small.bin", "--x86 --lzma2");
    roundtrip(unxz, "empty.bin", "--x86 --lzma2");
    roundtrip(unxz, "bcj.bin", "--x86 --lzma2");
    roundtrip(unxz, "bcj.bin", "--x86=start=255 --lzma2 --block-size=7777");
    roundtrip(unxz, "bcj.bin", "--x86=start=4294967040 --lzma2");
}

static void test_xz_multi_block(void **state)
{
    NEED_XZ();
    roundtrip(unxz, "text.bin", "--block-size=16KiB");
    /* Multi-threaded mode writes both sizes into every block header. */
    roundtrip(unxz, "text.bin", "-T2 --block-size=32KiB --check=crc64");
    roundtrip(unxz, "text.bin", "--block-list=1000,50000,0");
    roundtrip(unxz, "random.bin", "--block-size=70000");
}

static void test_xz_multi_stream(void **state)
{
    size_t la, lb, ca, cb, n;
    uint8_t *a, *b, *xa, *xb, *cat, *both;

    NEED_XZ();
    a = input("text.bin", &la);
    b = input("code.bin", &lb);
    xa = compress("text.bin", "a.tmp", "-3", &ca);
    xb = compress("code.bin", "b.tmp", "--x86 --lzma2 --check=crc64", &cb);
    both = malloc(la + lb);
    cat = malloc(ca + 8 + cb + 8);
    assert_non_null(both);
    assert_non_null(cat);
    memcpy(both, a, la);
    memcpy(both + la, b, lb);

    /* Plain concatenation. */
    memcpy(cat, xa, ca);
    memcpy(cat + ca, xb, cb);
    expect_same(unxz, cat, ca + cb, both, la + lb, la + lb);
    /* With stream padding between and after. */
    memcpy(cat, xa, ca);
    memset(cat + ca, 0, 8);
    memcpy(cat + ca + 8, xb, cb);
    memset(cat + ca + 8 + cb, 0, 8);
    n = ca + 8 + cb + 8;
    expect_same(unxz, cat, n, both, la + lb, la + lb);
    /* Not enough room for the second stream. */
    expect_error(unxz, cat, n, la + lb - 1, -ENOSPC, NULL);
    free(a);
    free(b);
    free(xa);
    free(xb);
    free(cat);
    free(both);
}

static void test_xz_empty_and_random(void **state)
{
    size_t clen;
    uint8_t *c;
    struct dec_result r;

    NEED_XZ();
    c = compress("empty.bin", "e.tmp", "", &clen);
    run(unxz, c, clen, 0, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.len, 0);
    free(r.out);
    free(c);
    /* Incompressible data travels in stored LZMA2 chunks. */
    roundtrip(unxz, "random.bin", "-6");
    roundtrip(unxz, "random.bin", "--check=none -0");
}

static void test_xz_trailing_bytes(void **state)
{
    size_t olen, clen;
    uint8_t *orig, *c;

    NEED_XZ();
    orig = input("text.bin", &olen);
    c = compress("text.bin", "t.tmp", "--x86 --lzma2 --check=crc32", &clen);
    c = realloc(c, clen + 100);
    assert_non_null(c);
    /* Linux appends the uncompressed size. */
    put_le32(c + clen, (uint32_t)olen);
    expect_same(unxz, c, clen + 4, orig, olen, olen);
    memset(c + clen, 0x5a, 100);
    expect_same(unxz, c, clen + 100, orig, olen, olen);
    /* Errors go to a NULL message buffer quietly. */
    {
        uint8_t *out = malloc(olen);
        size_t n = 0;

        assert_non_null(out);
        assert_int_equal(unxz(c, clen, out, olen, &n, NULL, 0), 0);
        assert_int_equal(n, olen);
        assert_int_equal(unxz(c, clen - 1, out, olen, &n, NULL, 0), -EINVAL);
        free(out);
    }
    free(orig);
    free(c);
}

/* ------------------------------------------------------------------ */
/* .xz hostile input                                                    */

static void test_xz_bad_magic_and_options(void **state)
{
    size_t clen;
    uint8_t *c;
    static const uint8_t junk[] = "not an xz file at all";

    NEED_XZ();
    expect_error(unxz, junk, sizeof(junk), 100, -EINVAL, "magic");
    expect_error(unxz, junk, 0, 100, -EINVAL, "magic");

    c = compress("small.bin", "f.tmp", "--delta=dist=4 --lzma2", &clen);
    expect_error(unxz, c, clen, 10000, -EINVAL, "unsupported filter 0x3");
    free(c);
    c = compress("small.bin", "f.tmp", "--arm --lzma2", &clen);
    expect_error(unxz, c, clen, 10000, -EINVAL, "unsupported filter 0x7");
    free(c);
    c = compress("small.bin", "f.tmp", "--check=sha256", &clen);
    expect_error(unxz, c, clen, 10000, -EINVAL, "SHA-256");
    free(c);

    /* A reserved check type, with the header CRC made right. */
    c = compress("small.bin", "f.tmp", "--check=crc32", &clen);
    c[7] = 0x02;
    put_le32(c + 8, t_crc32(c + 6, 2));
    expect_error(unxz, c, clen, 10000, -EINVAL, "unsupported check type 2");
    /* The same byte changed without fixing the CRC. */
    c[7] = 0x04;
    expect_error(unxz, c, clen, 10000, -EINVAL, "header CRC32");
    free(c);
}

static void test_xz_check_mismatch(void **state)
{
    size_t clen;
    uint8_t *c;
    size_t fpos;

    NEED_XZ();
    /* One block: the check field sits just before the index. */
    c = compress("small.bin", "m.tmp", "--check=crc32", &clen);
    /* Index for one block: 0x00, count, 2 VLIs, padding, CRC32 = 8..12 bytes. */
    fpos = clen - 12 - 12 - 4;      /* footer, 12-byte index, 4-byte check */
    c[fpos] ^= 1;
    expect_error(unxz, c, clen, 10000, -EINVAL, "CRC32 mismatch");
    free(c);
    c = compress("small.bin", "m.tmp", "--check=crc64", &clen);
    fpos = clen - 12 - 12 - 8;
    c[fpos + 7] ^= 0x80;
    expect_error(unxz, c, clen, 10000, -EINVAL, "CRC64 mismatch");
    free(c);
}

/* Damage that no check covers: an index that lies, a chunk's last byte. */
static void test_xz_index_and_chunk_end(void **state)
{
    size_t olen, clen, isize, ipos, hsize, chunk, csize;
    uint8_t *orig, *c;

    NEED_XZ();
    orig = input("small.bin", &olen);
    assert_int_equal(olen, 3000);
    c = compress("small.bin", "ix.tmp", "--check=none", &clen);
    expect_same(unxz, c, clen, orig, olen, olen);

    /* Index of one block: 00 01 <unpadded> <3000 = b8 17> pad CRC32. */
    isize = ((size_t)(c[clen - 8] | c[clen - 7] << 8) + 1) * 4;
    ipos = clen - 12 - isize;
    assert_int_equal(c[ipos], 0x00);
    assert_int_equal(c[ipos + 1], 0x01);
    assert_true(isize == 12);
    assert_true(c[ipos + 4] == 0xb8 && c[ipos + 5] == 0x17);
    c[ipos + 4] = 0xb7;                 /* claims 2999 bytes */
    put_le32(c + ipos + isize - 4, t_crc32(c + ipos, isize - 4));
    expect_error(unxz, c, clen, olen, -EINVAL, "index does not match");
    c[ipos + 4] = 0xb8;
    put_le32(c + ipos + isize - 4, t_crc32(c + ipos, isize - 4));
    expect_same(unxz, c, clen, orig, olen, olen);

    /* One LZMA chunk with new properties: E0 uu uu cc cc pp data... */
    hsize = ((size_t)c[12] + 1) * 4;
    chunk = 12 + hsize;
    assert_int_equal(c[chunk], 0xe0);
    csize = ((size_t)c[chunk + 3] << 8 | c[chunk + 4]) + 1;
    assert_int_equal(c[chunk + 6 + csize], 0x00);   /* end of LZMA2 data */
    /* The range coder's last byte decides nothing but must be exact. */
    c[chunk + 6 + csize - 1] ^= 0x01;
    expect_error(unxz, c, clen, olen, -EINVAL, "LZMA2 chunk");
    c[chunk + 6 + csize - 1] ^= 0x01;
    /* A chunk that says it is shorter than its data. */
    c[chunk + 4]--;
    expect_error(unxz, c, clen, olen, -EINVAL, NULL);
    free(c);
    free(orig);
}

static void test_xz_truncated_everywhere(void **state)
{
    size_t olen, clen, n;
    uint8_t *orig, *c;
    const char *opts[] = { "--check=crc32", "--x86 --lzma2 --check=crc64 --block-size=1000" };
    unsigned int k;

    NEED_XZ();
    orig = input("small.bin", &olen);
    for ( k = 0; k < ARRAY_SIZE(opts); k++ )
    {
        c = compress("small.bin", "tr.tmp", opts[k], &clen);
        expect_same(unxz, c, clen, orig, olen, olen);
        for ( n = 0; n < clen; n++ )
        {
            struct dec_result r;

            run(unxz, c, n, olen, &r);
            if ( r.rc != -EINVAL )
                fail_msg("prefix of %zu/%zu bytes: rc %d (%s)", n, clen, r.rc, r.err);
            if ( n > 12 && n < clen - 12 && !strstr(r.err, "truncated") &&
                 !strstr(r.err, "corrupt") )
                fail_msg("prefix of %zu bytes: odd message '%s'", n, r.err);
            free(r.out);
        }
        free(c);
    }
    free(orig);
}

static void test_xz_corrupt_everywhere(void **state)
{
    size_t olen, clen, i;
    uint8_t *orig, *c;
    static const uint8_t flips[] = { 0x01, 0x10, 0x80, 0xff };
    unsigned int f, caught = 0, total = 0;

    NEED_XZ();
    orig = input("small.bin", &olen);
    c = compress("small.bin", "co.tmp", "--x86 --lzma2 --check=crc32", &clen);
    for ( i = 0; i < clen; i++ )
        for ( f = 0; f < ARRAY_SIZE(flips); f++ )
        {
            struct dec_result r;

            c[i] ^= flips[f];
            run(unxz, c, clen, olen * 2, &r);
            c[i] ^= flips[f];
            total++;
            if ( r.rc )
                caught++;
            else if ( r.len != olen || memcmp(r.out, orig, olen) )
                fail_msg("byte %zu ^ 0x%02x: wrong output accepted", i, flips[f]);
            free(r.out);
        }
    /* Everything but a flip in ignored bits must be caught. */
    print_message("xz corruption: %u of %u caught\n", caught, total);
    assert_true(caught * 100 >= total * 99);

    /* Random multi-byte damage, and random junk after a valid header. */
    for ( i = 0; i < 3000; i++ )
    {
        struct dec_result r;
        uint8_t *d = malloc(clen);
        unsigned int k, nd = 1 + rnd() % 8;

        assert_non_null(d);
        memcpy(d, c, clen);
        for ( k = 0; k < nd; k++ )
            d[12 + rnd() % (clen - 12)] = (uint8_t)rnd();
        if ( i % 3 == 0 )
            for ( k = 12; k < clen; k++ )
                d[k] = (uint8_t)rnd();
        run(unxz, d, clen, olen + (rnd() % 2) * 10000, &r);
        free(r.out);
        free(d);
    }
    free(orig);
    free(c);
}

/* Rebuilds c's first block header with forged size fields. */
static uint8_t *forge_block_sizes(const uint8_t *c, size_t clen, uint8_t flag,
                                  uint64_t val, size_t *nlen)
{
    size_t hsize = ((size_t)c[12] + 1) * 4;
    size_t body = hsize - 4 - 2;        /* filter flags and padding */
    uint8_t h[1024];
    size_t hp = 0, nh;
    uint8_t *n;

    h[hp++] = 0;
    h[hp++] = (uint8_t)((c[13] & 3) | flag);
    do {
        uint8_t b = val & 0x7f;

        val >>= 7;
        h[hp++] = b | (val ? 0x80 : 0);
    } while ( val );
    memcpy(h + hp, c + 14, body);
    hp += body;
    nh = (hp + 4 + 3) & ~(size_t)3;
    memset(h + hp, 0, nh - hp);
    h[0] = (uint8_t)(nh / 4 - 1);
    put_le32(h + nh - 4, t_crc32(h, nh - 4));
    n = malloc(clen - hsize + nh);
    assert_non_null(n);
    memcpy(n, c, 12);
    memcpy(n + 12, h, nh);
    memcpy(n + 12 + nh, c + 12 + hsize, clen - 12 - hsize);
    *nlen = clen - hsize + nh;
    return n;
}

static void test_xz_huge_sizes(void **state)
{
    size_t olen, clen, nlen;
    uint8_t *orig, *c, *n;

    NEED_XZ();
    orig = input("small.bin", &olen);
    c = compress("small.bin", "h.tmp", "--check=crc32", &clen);
    assert_int_equal(c[13] & 0xc0, 0);  /* single-threaded: no sizes */

    n = forge_block_sizes(c, clen, 0x80, (1ull << 62) + 5, &nlen);
    expect_error(unxz, n, nlen, olen, -ENOSPC, NULL);
    free(n);
    n = forge_block_sizes(c, clen, 0x80, olen + 1, &nlen);
    expect_error(unxz, n, nlen, olen, -ENOSPC, NULL);
    free(n);
    n = forge_block_sizes(c, clen, 0x80, olen + 1, &nlen);
    expect_error(unxz, n, nlen, olen + 100, -EINVAL, "uncompressed size");
    free(n);
    n = forge_block_sizes(c, clen, 0x40, (1ull << 62) + 5, &nlen);
    expect_error(unxz, n, nlen, olen, -EINVAL, "truncated");
    free(n);
    n = forge_block_sizes(c, clen, 0x40, 3, &nlen);
    expect_error(unxz, n, nlen, olen, -EINVAL, NULL);
    free(n);
    free(c);
    free(orig);
}

static void test_xz_out_cap(void **state)
{
    size_t olen, clen, caps[6];
    uint8_t *orig, *c;
    const char *opts[] = { "-6", "-T2 --block-size=20000", "--check=none -0" };
    const char *src[] = { "text.bin", "text.bin", "random.bin" };
    unsigned int k, j;

    NEED_XZ();
    for ( k = 0; k < ARRAY_SIZE(opts); k++ )
    {
        orig = input(src[k], &olen);
        c = compress(src[k], "cap.tmp", opts[k], &clen);
        caps[0] = 0;
        caps[1] = 1;
        caps[2] = olen / 3;
        caps[3] = olen / 2 + 7;
        caps[4] = olen - 1;
        caps[5] = 65536;
        for ( j = 0; j < ARRAY_SIZE(caps); j++ )
            expect_error(unxz, c, clen, caps[j], -ENOSPC, NULL);
        expect_same(unxz, c, clen, orig, olen, olen);
        free(c);
        free(orig);
    }
}

/* ------------------------------------------------------------------ */
/* .lzma                                                                */

static uint8_t *compress_lzma(const char *src, const char *opts, size_t *len)
{
    char o[256];

    snprintf(o, sizeof(o), "--format=lzma %s", opts);
    return compress(src, "l.tmp", o, len);
}

static void lzma_roundtrip(const char *src, const char *opts)
{
    size_t olen, clen;
    uint8_t *orig = input(src, &olen);
    uint8_t *c = compress_lzma(src, opts, &clen);

    expect_same(unlzma, c, clen, orig, olen, olen);
    expect_same(unlzma, c, clen, orig, olen, olen + 1000);
    free(c);
    free(orig);
}

static void test_lzma_roundtrip(void **state)
{
    NEED_XZ();
    lzma_roundtrip("text.bin", "-0");
    lzma_roundtrip("text.bin", "-6");
    lzma_roundtrip("text.bin", "-9e");
    lzma_roundtrip("code.bin", "-6");
    lzma_roundtrip("random.bin", "-6");
    lzma_roundtrip("small.bin", "-6");
    lzma_roundtrip("empty.bin", "-6");
    lzma_roundtrip("text.bin", "--lzma1=preset=6,lc=0,lp=4,pb=0");
    lzma_roundtrip("text.bin", "--lzma1=preset=6,lc=4,lp=0,pb=4");
    lzma_roundtrip("code.bin", "--lzma1=preset=2,lc=2,lp=2,pb=1");
}

static void test_lzma_header(void **state)
{
    size_t olen, clen;
    uint8_t *orig, *c;
    static const uint8_t junk[] = "\xff not lzma data, nope";

    NEED_XZ();
    orig = input("text.bin", &olen);
    c = compress_lzma("text.bin", "-6", &clen);
    /* xz writes an unknown size and an end marker. */
    assert_int_equal(c[5] & c[6] & c[7] & c[8] & c[9] & c[10] & c[11] & c[12], 0xff);

    /* A known size: decoding stops there, ignoring the end marker. */
    memset(c + 5, 0, 8);
    put_le32(c + 5, (uint32_t)olen);
    expect_same(unlzma, c, clen, orig, olen, olen);
    expect_same(unlzma, c, clen, orig, olen, olen + 50);
    expect_error(unlzma, c, clen, olen - 1, -ENOSPC, NULL);
    /* A huge one. */
    c[12] = 0x01;
    expect_error(unlzma, c, clen, olen, -ENOSPC, NULL);
    memset(c + 5, 0xff, 8);

    /* lc + lp over 4 is refused, a properties byte over 224 is not .lzma. */
    c[0] = 2 * 45 + 0 * 9 + 5;
    expect_error(unlzma, c, clen, olen, -EINVAL, "lc=5");
    c[0] = 225;
    expect_error(unlzma, c, clen, olen, -EINVAL, "properties");
    expect_error(unlzma, junk, sizeof(junk), olen, -EINVAL, NULL);
    expect_error(unlzma, junk, 5, olen, -EINVAL, "truncated");
    free(c);
    free(orig);
}

static void test_lzma_out_cap(void **state)
{
    size_t olen, clen;
    uint8_t *orig, *c;
    size_t caps[5];
    unsigned int j;

    NEED_XZ();
    orig = input("text.bin", &olen);
    c = compress_lzma("text.bin", "-6", &clen);
    caps[0] = 0;
    caps[1] = 1;
    caps[2] = olen / 2;
    caps[3] = olen - 1;
    caps[4] = 4096;
    for ( j = 0; j < ARRAY_SIZE(caps); j++ )
        expect_error(unlzma, c, clen, caps[j], -ENOSPC, NULL);
    free(c);
    free(orig);
}

static void test_lzma_truncated_and_corrupt(void **state)
{
    size_t olen, clen, i;
    uint8_t *orig, *c;
    unsigned int f, bad = 0;
    static const uint8_t flips[] = { 0x01, 0x40, 0xff };

    NEED_XZ();
    orig = input("small.bin", &olen);
    c = compress_lzma("small.bin", "-6", &clen);
    for ( i = 0; i < clen; i++ )
    {
        struct dec_result r;

        run(unlzma, c, i, olen, &r);
        /* Only the range coder's last flush bytes may go unread. */
        if ( r.rc == 0 && (i + 4 < clen || r.len != olen || memcmp(r.out, orig, olen)) )
            fail_msg("prefix of %zu/%zu bytes accepted", i, clen);
        if ( r.rc == -ENOSPC )
            fail_msg("prefix of %zu bytes: -ENOSPC", i);
        free(r.out);
    }
    /* No check in .lzma: corruption may decode to garbage, but safely. */
    for ( i = 0; i < clen; i++ )
        for ( f = 0; f < ARRAY_SIZE(flips); f++ )
        {
            struct dec_result r;

            c[i] ^= flips[f];
            run(unlzma, c, clen, olen + (i & 1) * 5000, &r);
            c[i] ^= flips[f];
            if ( r.rc )
                bad++;
            free(r.out);
        }
    print_message("lzma corruption: %u of %zu rejected\n", bad, clen * ARRAY_SIZE(flips));
    assert_true(bad > 0);
    for ( i = 0; i < 2000; i++ )
    {
        struct dec_result r;
        uint8_t *d = malloc(clen);
        size_t k;

        assert_non_null(d);
        memcpy(d, c, clen);
        for ( k = 13 + rnd() % 64; k < clen; k += 1 + rnd() % 200 )
            d[k] = (uint8_t)rnd();
        run(unlzma, d, clen, 1 + rnd() % (2 * olen), &r);
        free(r.out);
        free(d);
    }
    free(c);
    free(orig);
}

/* ------------------------------------------------------------------ */
/* The real Debian kernel's payload                                     */

static void test_kernel_payload(void **state)
{
    const char *cache = getenv("XENIA_CACHE");
    char pat[512], xzpath[1100], outpath[1100];
    glob_t g;
    size_t klen, plen, xlen, start, poff, olen;
    uint8_t *k, *p, *ref;
    struct dec_result r;
    struct timespec t0, t1;
    double secs;

    NEED_XZ();
    if ( cache && *cache )
        snprintf(pat, sizeof(pat), "%s/pkg/linux-image-6.1.0-*-amd64/boot/vmlinuz-*", cache);
    else
        snprintf(pat, sizeof(pat), "%s/.cache/xenia/pkg/linux-image-6.1.0-*-amd64/"
                 "boot/vmlinuz-*", getenv("HOME") ? getenv("HOME") : "/root");
    if ( glob(pat, 0, NULL, &g) || g.gl_pathc == 0 )
    {
        print_message("no kernel matching %s\n", pat);
        skip();
    }
    k = slurp(g.gl_pathv[0], &klen);
    assert_non_null(k);
    assert_true(klen > 0x250);
    start = ((size_t)k[0x1f1] + 1) * 512;
    poff = k[0x248] | k[0x249] << 8 | k[0x24a] << 16 | (size_t)k[0x24b] << 24;
    plen = k[0x24c] | k[0x24d] << 8 | k[0x24e] << 16 | (size_t)k[0x24f] << 24;
    start += poff;
    assert_true(plen >= 16 && start <= klen && plen <= klen - start);
    p = k + start;
    if ( memcmp(p, "\xfd" "7zXZ", 6) )
    {
        print_message("kernel payload is not xz\n");
        skip();
    }
    olen = p[plen - 4] | p[plen - 3] << 8 | p[plen - 2] << 16 | (size_t)p[plen - 1] << 24;

    snprintf(xzpath, sizeof(xzpath), "%s/kernel.xz", DIR);
    snprintf(outpath, sizeof(outpath), "%s/kernel.ref", DIR);
    spill(xzpath, p, plen);
    if ( sh("xz -dc --single-stream '%s' > '%s'", xzpath, outpath) )
        fail_msg("xz -dc of the kernel payload failed");
    ref = slurp(outpath, &xlen);
    assert_non_null(ref);
    assert_int_equal(xlen, olen);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    run(unxz, p, plen, olen, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if ( r.rc )
        fail_msg("kernel payload: %d %s", r.rc, r.err);
    assert_int_equal(r.len, olen);
    assert_memory_equal(r.out, "\177ELF", 4);
    if ( memcmp(r.out, ref, olen) )
        fail_msg("kernel payload differs from xz -dc");
    print_message("kernel: %zu -> %zu bytes in %.2f s (sanitized build)\n",
                  plen, olen, secs);
    free(r.out);
    /* One byte short of room. */
    expect_error(unxz, p, plen, olen - 1, -ENOSPC, NULL);
    free(ref);
    free(k);
    globfree(&g);
    unlink(xzpath);
    unlink(outpath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xz_presets),
        cmocka_unit_test(test_xz_checks),
        cmocka_unit_test(test_xz_lzma2_options),
        cmocka_unit_test(test_xz_bcj_x86),
        cmocka_unit_test(test_xz_multi_block),
        cmocka_unit_test(test_xz_multi_stream),
        cmocka_unit_test(test_xz_empty_and_random),
        cmocka_unit_test(test_xz_trailing_bytes),
        cmocka_unit_test(test_xz_bad_magic_and_options),
        cmocka_unit_test(test_xz_check_mismatch),
        cmocka_unit_test(test_xz_index_and_chunk_end),
        cmocka_unit_test(test_xz_truncated_everywhere),
        cmocka_unit_test(test_xz_corrupt_everywhere),
        cmocka_unit_test(test_xz_huge_sizes),
        cmocka_unit_test(test_xz_out_cap),
        cmocka_unit_test(test_lzma_roundtrip),
        cmocka_unit_test(test_lzma_header),
        cmocka_unit_test(test_lzma_out_cap),
        cmocka_unit_test(test_lzma_truncated_and_corrupt),
        cmocka_unit_test(test_kernel_payload),
    };

    return cmocka_run_group_tests_name("dec_unxz", tests, group_setup,
                                       group_teardown);
}
