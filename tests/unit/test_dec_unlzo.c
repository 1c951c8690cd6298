/*
 * Unit tests: hypervisor/common/decompress/unlzo.c against real lzop
 * output made at test time by the host's lzop (LZO1X-1 and LZO1X-999,
 * Adler-32, CRC-32 and no checksums, stored blocks), and against hostile
 * input (truncation, corruption, short output buffers, hand-made blocks).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define DEC     unlzo
#define GUARD   4096

static char errbuf[128];
/* Private fixture directory: concurrent runs must not share files. */
static char dir[] = FIXTURES "/unlzo.XXXXXX";

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    rc = system(cmd);
    if ( rc != 0 )
        fail_msg("command failed (%d): %s", rc, cmd);
}

/* Reads a fixture into an exactly sized buffer (ASan sees any overread). */
static uint8_t *slurp(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    uint8_t *p;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if ( !f )
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(n ? n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, n, f), (size_t)n);
    fclose(f);
    *len = n;
    return p;
}

static const char *sources[] = {
    "empty", "small", "text", "random", "repeat", "big"
};
static const char *levels[] = { "-1", "-9", "--crc32 -5", "-F -7" };
#define NLEVELS (sizeof(levels) / sizeof(levels[0]))

static int group_setup(void **state)
{
    mkdir(FIXTURES, 0755);
    if ( !mkdtemp(dir) )
        return -1;
    sh("cd %s && : > empty && "
       "for i in $(seq 1 3000); do echo \"line $i of some text, $((i * i))\"; done > text && "
       "head -c 20000 text > small && "
       "head -c 1048576 /dev/urandom > random && "
       "head -c 65536 random > rsmall && "
       "yes 'abcabcabd' | head -c 3000000 > repeat && "
       "(cat /usr/bin/* 2>/dev/null | head -c 16000000) > big && "
       "test $(stat -c %%s big) -ge 4000000", dir);
    for ( unsigned int i = 0; i < sizeof(sources) / sizeof(sources[0]); i++ )
        for ( unsigned int l = 0; l < NLEVELS; l++ )
            sh("cd %s && lzop -q %s -c %s > %s.%u.lzo", dir, levels[l],
               sources[i], sources[i], l);
    sh("cd %s && lzop -q -1 -c rsmall > rsmall.0.lzo && "
       "lzop -q -F -c small > small.nosum.lzo", dir);
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) ? -1 : 0;
}

/* Decodes into a buffer of out_cap bytes followed by a checked guard. */
static int decode(const uint8_t *in, size_t in_len, uint8_t **outp,
                  size_t out_cap, size_t *out_len)
{
    uint8_t *out = malloc(out_cap + GUARD);
    int rc;

    assert_non_null(out);
    memset(out, 0xa5, out_cap + GUARD);
    errbuf[0] = '\0';
    *out_len = (size_t)-1;
    rc = DEC(in, in_len, out, out_cap, out_len, errbuf, sizeof(errbuf));
    for ( size_t i = 0; i < GUARD; i++ )
        if ( out[out_cap + i] != 0xa5 )
            fail_msg("byte %zu past out_cap written", i);
    if ( rc == 0 )
        assert_true(*out_len <= out_cap);
    else
        assert_true(errbuf[0] != '\0');
    *outp = out;
    return rc;
}

static void roundtrip(const char *src, const char *comp)
{
    size_t olen, clen, got;
    uint8_t *orig = slurp(src, &olen), *c = slurp(comp, &clen), *out;
    int rc;

    rc = decode(c, clen, &out, olen + 100, &got);
    if ( rc )
        fail_msg("%s: rc %d: %s", comp, rc, errbuf);
    assert_int_equal(got, olen);
    assert_memory_equal(out, orig, olen);
    free(out);

    /* An exactly sized buffer is enough. */
    rc = decode(c, clen, &out, olen, &got);
    assert_int_equal(rc, 0);
    assert_int_equal(got, olen);
    free(out);
    free(orig);
    free(c);
}

static void test_payloads(void **state)
{
    char comp[64];

    for ( unsigned int i = 0; i < sizeof(sources) / sizeof(sources[0]); i++ )
        for ( unsigned int l = 0; l < NLEVELS; l++ )
        {
            snprintf(comp, sizeof(comp), "%s.%u.lzo", sources[i], l);
            roundtrip(sources[i], comp);
        }
}

static void test_concatenated_and_trailing(void **state)
{
    size_t tlen, slen, clen, got;
    uint8_t *t = slurp("text", &tlen), *s = slurp("small", &slen), *c, *out;

    sh("cd %s && cat text.1.lzo small.2.lzo > cat.lzo && "
       "cat small.0.lzo > trail.lzo && printf '\\001\\002\\003\\004xyz' >> trail.lzo", dir);
    c = slurp("cat.lzo", &clen);
    assert_int_equal(decode(c, clen, &out, tlen + slen, &got), 0);
    assert_int_equal(got, tlen + slen);
    assert_memory_equal(out, t, tlen);
    assert_memory_equal(out + tlen, s, slen);
    free(out);
    free(c);

    c = slurp("trail.lzo", &clen);
    assert_int_equal(decode(c, clen, &out, slen, &got), 0);
    assert_int_equal(got, slen);
    assert_memory_equal(out, s, slen);
    free(out);
    free(c);
    free(t);
    free(s);
}

/* Every strict prefix of a complete file is an error. */
static void test_truncation(void **state)
{
    static const char *files[] = { "small.0.lzo", "small.1.lzo", "small.nosum.lzo" };

    for ( unsigned int f = 0; f < 3; f++ )
    {
        size_t clen, got;
        uint8_t *c = slurp(files[f], &clen), *out;

        for ( size_t n = 0; n < clen; n++ )
        {
            uint8_t *p = malloc(n ? n : 1);
            int rc;

            memcpy(p, c, n);
            rc = decode(p, n, &out, 20100, &got);
            if ( rc != -EINVAL )
                fail_msg("%s: prefix of %zu/%zu bytes: rc %d", files[f], n,
                         clen, rc);
            free(out);
            free(p);
        }
        free(c);
    }
}

/*
 * Single-byte corruption: an error, or with checksums on, the original
 * output; without checksums, some output; never a crash or an overrun.
 */
static void test_corruption(void **state)
{
    static const char *files[] = {
        "small.1.lzo", "rsmall.0.lzo", "text.2.lzo", "small.nosum.lzo"
    };
    static const uint8_t xors[] = { 0x01, 0x80, 0xff, 0x10 };
    unsigned int errors = 0, oks = 0;

    for ( unsigned int f = 0; f < 4; f++ )
    {
        size_t clen, olen, got;
        char src[32];
        uint8_t *c = slurp(files[f], &clen), *orig, *out;
        size_t step = clen > 3000 ? clen / 3000 : 1;
        bool summed = !strstr(files[f], "nosum");

        snprintf(src, sizeof(src), "%.*s", (int)(strchr(files[f], '.') - files[f]),
                 files[f]);
        orig = slurp(src, &olen);
        for ( size_t off = 0; off < clen; off += step )
        {
            uint8_t *p = malloc(clen);
            int rc;

            memcpy(p, c, clen);
            p[off] ^= xors[off % 4];
            rc = decode(p, clen, &out, olen + 1000, &got);
            if ( rc == 0 )
            {
                if ( summed && (got != olen || memcmp(out, orig, olen)) )
                    fail_msg("%s: byte %zu corrupted, wrong output accepted",
                             files[f], off);
                oks++;
            }
            else if ( rc == -EINVAL || rc == -ENOSPC )
                errors++;
            else
                fail_msg("%s: byte %zu: rc %d", files[f], off, rc);
            free(out);
            free(p);
        }
        free(c);
        free(orig);
    }
    fprintf(stderr, "# corruption: %u errors, %u decoded\n", errors, oks);
    assert_true(errors > oks);
}

static void test_out_too_small(void **state)
{
    static const char *files[] = { "repeat.1.lzo", "random.0.lzo" };

    for ( unsigned int f = 0; f < 2; f++ )
    {
        size_t olen, clen, got;
        char src[32];
        uint8_t *c = slurp(files[f], &clen), *orig, *out;

        snprintf(src, sizeof(src), "%.*s", (int)(strchr(files[f], '.') - files[f]),
                 files[f]);
        orig = slurp(src, &olen);
        size_t caps[] = { 0, 1, 100, 65536, olen / 2, olen - 1 };

        for ( unsigned int i = 0; i < sizeof(caps) / sizeof(caps[0]); i++ )
        {
            int rc = decode(c, clen, &out, caps[i], &got);

            if ( rc != -ENOSPC )
                fail_msg("%s: out_cap %zu: rc %d (%s)", files[f], caps[i], rc,
                         errbuf);
            free(out);
        }
        free(c);
        free(orig);
    }
}

static void test_bad_header(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("text.0.lzo", &clen), *out;

    c[1] ^= 1;
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "magic"));
    free(out);
    c[1] ^= 1;
    c[9 + 6] = 0x1b;                    /* method NRV2B */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "method"));
    free(out);
    c[9 + 6] = 1;
    c[9 + 13] ^= 1;                     /* mode: caught by the checksum */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "header checksum"));
    free(out);
    assert_int_equal(decode(c, 0, &out, 1 << 20, &got), -EINVAL);
    free(out);
    free(c);

    sh("cd %s && lzop -q --filter=1 -c small > small.filter.lzo", dir);
    c = slurp("small.filter.lzo", &clen);
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "filter"));
    free(out);
    free(c);
}

static uint32_t tadler(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;

    while ( n-- )
    {
        a = (a + *p++) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* An lzop file (no checksums) holding one block of n bytes of LZO1X. */
static size_t wrap(uint8_t *f, uint32_t dlen, const uint8_t *blk, size_t n)
{
    static const uint8_t hdr[] = {
        0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a,
        0x10, 0x40, 0x20, 0xa0, 0x09, 0x40, 0x01, 0x05,
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0xa4,
        0, 0, 0, 0, 0, 0, 0, 0, 0
    };
    size_t l = sizeof(hdr);

    memcpy(f, hdr, l);
    be32(f + l, tadler(hdr + 9, l - 9));
    l += 4;
    be32(f + l, dlen);
    be32(f + l + 4, n);
    memcpy(f + l + 8, blk, n);
    l += 8 + n;
    be32(f + l, 0);
    return l + 4;
}

static void test_handmade(void **state)
{
    uint8_t f[200], *out;
    size_t n, got;

    /* "abcd" (first-byte literal run), then 1LLDDDSS: length 5 + 3,
       distance (0 << 3) + 3 + 1, then the end-of-block instruction. */
    static const uint8_t ok[] = { 17 + 4, 'a', 'b', 'c', 'd',
                                  0x80 | 0x60 | (3 << 2), 0, 0x11, 0, 0 };
    n = wrap(f, 12, ok, sizeof(ok));
    assert_int_equal(decode(f, n, &out, 12, &got), 0);
    assert_int_equal(got, 12);
    assert_memory_equal(out, "abcdabcdabcd", 12);
    free(out);

    /* Same with distance 5: before the block start. */
    static const uint8_t far[] = { 17 + 4, 'a', 'b', 'c', 'd',
                                   0x80 | 0x60 | (4 << 2), 0, 0x11, 0, 0 };
    n = wrap(f, 12, far, sizeof(far));
    assert_int_equal(decode(f, n, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "distance"));
    free(out);

    /* Header says 11 bytes: the match overruns the block. */
    n = wrap(f, 11, ok, sizeof(ok));
    assert_int_equal(decode(f, n, &out, 100, &got), -EINVAL);
    free(out);

    /* Header says 13: the block ends short. */
    n = wrap(f, 13, ok, sizeof(ok));
    assert_int_equal(decode(f, n, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "shorter"));
    free(out);

    /* Bytes after the end-of-block instruction. */
    static const uint8_t extra[] = { 17 + 4, 'a', 'b', 'c', 'd',
                                     0x80 | 0x60 | (3 << 2), 0, 0x11, 0, 0, 0 };
    n = wrap(f, 12, extra, sizeof(extra));
    assert_int_equal(decode(f, n, &out, 100, &got), -EINVAL);
    free(out);

    /* Missing end-of-block instruction. */
    n = wrap(f, 12, ok, sizeof(ok) - 3);
    assert_int_equal(decode(f, n, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "truncated"));
    free(out);

    /* A literal run whose length extension runs off the block. */
    static const uint8_t longlit[] = { 0, 0, 0, 0 };
    n = wrap(f, 2000, longlit, sizeof(longlit));
    assert_int_equal(decode(f, n, &out, 2000, &got), -EINVAL);
    free(out);

    /* Compressed length above the uncompressed one. */
    n = wrap(f, 5, ok, sizeof(ok));
    assert_int_equal(decode(f, n, &out, 100, &got), -EINVAL);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_concatenated_and_trailing),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_out_too_small),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_handmade),
    };

    return cmocka_run_group_tests_name("dec_unlzo", tests, group_setup,
                                       group_teardown);
}
