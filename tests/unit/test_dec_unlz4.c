/*
 * Unit tests: hypervisor/common/decompress/unlz4.c against real legacy-
 * format output made at test time by the host's lz4 -l, and against
 * hostile input (truncation, corruption, short output buffers, hand-made
 * blocks).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define DEC     unlz4
#define GUARD   4096

static char errbuf[128];
/* Private fixture directory: concurrent runs must not share files. */
static char dir[] = FIXTURES "/unlz4.XXXXXX";

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
static const char *levels[] = { "1", "9", "12 --favor-decSpeed" };

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
       "(cat /usr/bin/* 2>/dev/null | head -c 20000000) > big && "
       "test $(stat -c %%s big) -ge 9000000", dir);
    for ( unsigned int i = 0; i < sizeof(sources) / sizeof(sources[0]); i++ )
        for ( unsigned int l = 0; l < 3; l++ )
            sh("cd %s && lz4 -q -l -%s -c %s > %s.%u.lz4", dir, levels[l],
               sources[i], sources[i], l);
    sh("cd %s && lz4 -q -l -1 -c rsmall > rsmall.0.lz4", dir);
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
        for ( unsigned int l = 0; l < 3; l++ )
        {
            snprintf(comp, sizeof(comp), "%s.%u.lz4", sources[i], l);
            roundtrip(sources[i], comp);
        }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

/* The kernel build appends the uncompressed size; padding is zeros. */
static void test_trailing(void **state)
{
    static const char *srcs[] = { "text", "big" };

    for ( unsigned int i = 0; i < 2; i++ )
    {
        size_t olen, clen, got;
        char comp[32];
        uint8_t *orig = slurp(srcs[i], &olen), *c, *p, *out;

        snprintf(comp, sizeof(comp), "%s.2.lz4", srcs[i]);
        c = slurp(comp, &clen);
        p = malloc(clen + 16);
        memcpy(p, c, clen);
        put32(p + clen, olen);
        assert_int_equal(decode(p, clen + 4, &out, olen, &got), 0);
        assert_int_equal(got, olen);
        assert_memory_equal(out, orig, olen);
        free(out);

        memset(p + clen, 0, 16);
        assert_int_equal(decode(p, clen + 16, &out, olen, &got), 0);
        assert_int_equal(got, olen);
        free(out);

        put32(p + clen, 0x184d2204);    /* a frame-format magic ends it */
        assert_int_equal(decode(p, clen + 16, &out, olen, &got), 0);
        assert_int_equal(got, olen);
        free(out);
        free(p);
        free(c);
        free(orig);
    }
}

static void test_concatenated(void **state)
{
    size_t tlen, slen, clen, got;
    uint8_t *t = slurp("text", &tlen), *s = slurp("small", &slen), *c, *out;

    sh("cd %s && cat text.1.lz4 small.2.lz4 > cat.lz4", dir);
    c = slurp("cat.lz4", &clen);
    assert_int_equal(decode(c, clen, &out, tlen + slen, &got), 0);
    assert_int_equal(got, tlen + slen);
    assert_memory_equal(out, t, tlen);
    assert_memory_equal(out + tlen, s, slen);
    free(out);
    free(c);
    free(t);
    free(s);
}

/*
 * Truncation: the legacy format has no end marker, so a cut at a block
 * boundary is a shorter valid stream; a cut inside the (single) block of
 * a small file must be an error.
 */
static void test_truncation(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("small.1.lz4", &clen), *out;

    assert_int_equal(c[4] | c[5] << 8 | c[6] << 16 | (uint32_t)c[7] << 24,
                     clen - 8);
    for ( size_t n = 0; n < clen; n++ )
    {
        uint8_t *p = malloc(n ? n : 1);
        int rc;

        memcpy(p, c, n);
        rc = decode(p, n, &out, 20100, &got);
        if ( n < 4 || n >= 8 )
        {
            if ( rc != -EINVAL )
                fail_msg("prefix of %zu/%zu bytes: rc %d", n, clen, rc);
        }
        else
        {
            assert_int_equal(rc, 0);
            assert_int_equal(got, 0);
        }
        free(out);
        free(p);
    }
    free(c);
}

/* No checksum: corruption gives an error or some output, never harm. */
static void test_corruption(void **state)
{
    static const char *files[] = { "small.2.lz4", "rsmall.0.lz4", "text.0.lz4" };
    static const uint8_t xors[] = { 0x01, 0x80, 0xff, 0x10 };
    unsigned int errors = 0, oks = 0;

    for ( unsigned int f = 0; f < 3; f++ )
    {
        size_t clen, got;
        uint8_t *c = slurp(files[f], &clen), *out;
        size_t step = clen > 3000 ? clen / 3000 : 1;

        for ( size_t off = 0; off < clen; off += step )
        {
            for ( unsigned int x = 0; x < 2; x++ )
            {
                uint8_t *p = malloc(clen);
                int rc;

                memcpy(p, c, clen);
                p[off] ^= xors[(off + x) % 4];
                rc = decode(p, clen, &out, 200000, &got);
                if ( rc == 0 )
                    oks++;
                else if ( rc == -EINVAL || rc == -ENOSPC )
                    errors++;
                else
                    fail_msg("%s: byte %zu: rc %d", files[f], off, rc);
                free(out);
                free(p);
            }
        }
        free(c);
    }
    fprintf(stderr, "# corruption: %u errors, %u decoded\n", errors, oks);
    assert_true(errors > 0);
}

static void test_out_too_small(void **state)
{
    size_t olen, clen, got;
    uint8_t *c = slurp("big.1.lz4", &clen), *orig = slurp("big", &olen);
    uint8_t *out;
    size_t caps[] = { 0, 1, 100, 65536, olen / 2, olen - 1 };

    for ( unsigned int i = 0; i < sizeof(caps) / sizeof(caps[0]); i++ )
    {
        int rc = decode(c, clen, &out, caps[i], &got);

        if ( rc != -ENOSPC )
            fail_msg("out_cap %zu: rc %d (%s)", caps[i], rc, errbuf);
        free(out);
    }
    free(c);
    free(orig);
}

static void test_bad_magic(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("text.1.lz4", &clen), *out;

    c[0] ^= 1;
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "magic"));
    free(out);
    assert_int_equal(decode(c, 0, &out, 1 << 20, &got), -EINVAL);
    free(out);
    free(c);

    /* The current frame format is not the legacy one. */
    sh("cd %s && lz4 -q -c small > small.frame.lz4", dir);
    c = slurp("small.frame.lz4", &clen);
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    free(out);
    free(c);
}

static void test_handmade(void **state)
{
    static uint8_t b[40000];
    size_t n, got;
    uint8_t *out;

    /* "abc" then offset 3 length 6: "abcabcabc", then literal "!". */
    memcpy(b, "\x02\x21\x4c\x18\0\0\0\0\x32" "abc\x03\x00\x10!", 16);
    put32(b + 4, 8);
    assert_int_equal(decode(b, 16, &out, 10, &got), 0);
    assert_int_equal(got, 10);
    assert_memory_equal(out, "abcabcabc!", 10);
    free(out);

    b[12] = 4;                          /* offset 4 > 3 bytes of output */
    assert_int_equal(decode(b, 16, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "offset"));
    free(out);
    b[12] = 0;                          /* offset 0 */
    assert_int_equal(decode(b, 16, &out, 100, &got), -EINVAL);
    free(out);

    /* Literal count running past the block. */
    memcpy(b + 8, "\xf0\xff\x10" "abc", 6);
    put32(b + 4, 6);
    assert_int_equal(decode(b, 14, &out, 100000, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "truncated"));
    free(out);

    /* One block decoding to more than 8 MiB (a long run of 'a'). */
    n = 8;
    b[n++] = 0x1f;
    b[n++] = 'a';
    b[n++] = 1;
    b[n++] = 0;
    for ( int i = 0; i < 32900; i++ )
        b[n++] = 255;
    b[n++] = 0;
    put32(b + 4, n - 8);
    assert_int_equal(decode(b, n, &out, 9 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "8 MiB"));
    free(out);
    assert_int_equal(decode(b, n, &out, 1 << 20, &got), -ENOSPC);
    free(out);
    /* Just under: 1 + 4 + 15 + 255 * 32800 + 0. */
    n = 12 + 32800;
    b[n++] = 0;
    put32(b + 4, n - 8);
    assert_int_equal(decode(b, n, &out, 9 << 20, &got), 0);
    assert_int_equal(got, 1 + 19 + 255 * 32800);
    assert_int_equal(out[got - 1], 'a');
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_out_too_small),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_handmade),
    };

    return cmocka_run_group_tests_name("dec_unlz4", tests, group_setup,
                                       group_teardown);
}
