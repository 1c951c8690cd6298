/*
 * Unit tests: hypervisor/common/decompress/bunzip2.c against real bzip2
 * output made at test time by the host's bzip2, and against hostile input
 * (truncation, corruption, short output buffers, edited headers).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define DEC     bunzip2
#define GUARD   4096

static char errbuf[128];
/* Private fixture directory: concurrent runs must not share files. */
static char dir[] = FIXTURES "/bunzip2.XXXXXX";

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
static const char *levels[] = { "-1", "-5", "-9" };
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
       "head -c 4000 text > tiny && "
       "yes 'abcabcabd' | head -c 1500000 > repeat && "
       "(cat /usr/bin/* 2>/dev/null | head -c 6000000) > big && "
       "test $(stat -c %%s big) -ge 4000000", dir);
    for ( unsigned int i = 0; i < sizeof(sources) / sizeof(sources[0]) - 1; i++ )
        for ( unsigned int l = 0; l < NLEVELS; l++ )
            sh("cd %s && bzip2 -q %s -c %s > %s.%u.bz2", dir, levels[l],
               sources[i], sources[i], l);
    sh("cd %s && bzip2 -q -1 -c rsmall > rsmall.0.bz2 && "
       "bzip2 -q -9 -c tiny > tiny.bz2 && "
       "bzip2 -q -9 -c big > big.2.bz2", dir);
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

    /* An exactly sized buffer is enough (checked on the smaller ones:
       bzip2 is slow under the sanitizers). */
    if ( olen > 1000000 )
    {
        free(orig);
        free(c);
        return;
    }
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
            /* The multi-MB input at -9 only: bzip2 is slow here. */
            if ( !strcmp(sources[i], "big") && l != NLEVELS - 1 )
                continue;
            snprintf(comp, sizeof(comp), "%s.%u.bz2", sources[i], l);
            roundtrip(sources[i], comp);
        }
}

static void test_concatenated_and_trailing(void **state)
{
    size_t tlen, slen, clen, got;
    uint8_t *t = slurp("text", &tlen), *s = slurp("small", &slen), *c, *out;

    sh("cd %s && cat text.1.bz2 small.2.bz2 > cat.bz2 && "
       "cat small.0.bz2 > trail.bz2 && printf '\\001\\002\\003\\004BZh9' >> trail.bz2", dir);
    c = slurp("cat.bz2", &clen);
    assert_int_equal(decode(c, clen, &out, tlen + slen, &got), 0);
    assert_int_equal(got, tlen + slen);
    assert_memory_equal(out, t, tlen);
    assert_memory_equal(out + tlen, s, slen);
    free(out);
    free(c);

    c = slurp("trail.bz2", &clen);
    assert_int_equal(decode(c, clen, &out, slen, &got), 0);
    assert_int_equal(got, slen);
    assert_memory_equal(out, s, slen);
    free(out);
    free(c);
    free(t);
    free(s);
}

/* Every strict prefix of a complete stream is an error. */
static void test_truncation(void **state)
{
    static const char *files[] = { "tiny.bz2", "empty.2.bz2" };

    for ( unsigned int f = 0; f < 2; f++ )
    {
        size_t clen, got;
        uint8_t *c = slurp(files[f], &clen), *out;

        for ( size_t n = 0; n < clen; n++ )
        {
            uint8_t *p = malloc(n ? n : 1);
            int rc;

            memcpy(p, c, n);
            rc = decode(p, n, &out, 4100, &got);
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
 * Single-byte corruption: an error or (the CRCs being checked) the
 * original output; never a crash or an overrun.
 */
static void test_corruption(void **state)
{
    static const char *files[] = { "small.1.bz2", "rsmall.0.bz2", "small.2.bz2" };
    static const uint8_t xors[] = { 0x01, 0x80, 0xff, 0x10 };
    unsigned int errors = 0, oks = 0;

    for ( unsigned int f = 0; f < 3; f++ )
    {
        size_t clen, olen, got;
        char src[32];
        uint8_t *c = slurp(files[f], &clen), *orig, *out;
        size_t step = clen > 1000 ? clen / 1000 : 1;

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
                if ( got != olen || memcmp(out, orig, olen) )
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
    fprintf(stderr, "# corruption: %u errors, %u harmless\n", errors, oks);
    assert_true(errors > oks);
}

static void test_out_too_small(void **state)
{
    static const char *files[] = { "repeat.2.bz2", "random.0.bz2" };

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
    uint8_t *c = slurp("text.2.bz2", &clen), *out;

    c[2] = 'H';
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "magic"));
    free(out);
    c[2] = 'h';
    c[3] = '0';
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    free(out);

    c[3] = '9';

    c[4] ^= 1;                          /* block magic */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "block magic"));
    free(out);
    c[4] ^= 1;

    c[14] |= 0x80;                      /* "randomised" */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "randomised"));
    free(out);
    c[14] &= 0x7f;

    c[10] ^= 0x40;                      /* stored block CRC */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "block CRC"));
    free(out);
    c[10] ^= 0x40;

    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), 0);
    free(out);
    assert_int_equal(decode(c, 0, &out, 1 << 20, &got), -EINVAL);
    free(out);
    free(c);
}

/* A 900 kB block is too big for a stream that declares 100 kB blocks. */
static void test_block_size(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("random.2.bz2", &clen), *out;

    assert_int_equal(c[3], '9');
    c[3] = '1';
    assert_int_equal(decode(c, clen, &out, 1 << 21, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "larger than its declared size"));
    free(out);
    free(c);
}

/* The combined CRC of an empty stream is zero: any other is caught. */
static void test_stream_crc(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("empty.0.bz2", &clen), *out;

    assert_int_equal(clen, 14);
    assert_int_equal(decode(c, clen, &out, 0, &got), 0);
    assert_int_equal(got, 0);
    free(out);
    c[13] ^= 1;
    assert_int_equal(decode(c, clen, &out, 0, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "combined stream CRC"));
    free(out);
    free(c);
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
        cmocka_unit_test(test_block_size),
        cmocka_unit_test(test_stream_crc),
    };

    return cmocka_run_group_tests_name("dec_bunzip2", tests, group_setup,
                                       group_teardown);
}
