/*
 * Unit tests: hypervisor/common/decompress/gunzip.c against real gzip
 * output made at test time by the host's gzip, and against hostile input
 * (truncation, corruption, short output buffers, hand-made streams).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define DEC     gunzip
#define GUARD   4096

static char errbuf[128];
/* Private fixture directory: concurrent runs must not share files. */
static char dir[] = FIXTURES "/gunzip.XXXXXX";

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
        sh("cd %s && gzip -1 -c %s > %s.1.gz && gzip -6 -c %s > %s.6.gz && "
           "gzip -9 -n -c %s > %s.9.gz", dir, sources[i], sources[i],
           sources[i], sources[i], sources[i], sources[i]);
    sh("cd %s && gzip -1 -c rsmall > rsmall.1.gz", dir);
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
    {
        static const int levels[] = { 1, 6, 9 };

        for ( unsigned int l = 0; l < 3; l++ )
        {
            snprintf(comp, sizeof(comp), "%s.%d.gz", sources[i], levels[l]);
            roundtrip(sources[i], comp);
        }
    }
}

/* Reports speed (informational; this build has ASan and -O1). */
static void test_big_speed(void **state)
{
    size_t olen, clen, got;
    uint8_t *orig = slurp("big", &olen), *c = slurp("big.6.gz", &clen);
    uint8_t *out = malloc(olen);
    struct timespec t0, t1;
    double s;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(DEC(c, clen, out, olen, &got, errbuf, sizeof(errbuf)), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(got, olen);
    assert_memory_equal(out, orig, olen);
    s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "# gunzip: %zu bytes in %.3f s (%.1f MB/s, sanitizer build)\n",
            olen, s, olen / s / 1e6);
    free(out);
    free(orig);
    free(c);
}

static void test_multi_member_and_trailing(void **state)
{
    size_t olen, clen, got, tlen, rlen;
    uint8_t *text, *c, *out, *expect;
    int rc;

    sh("cd %s && cat text.6.gz repeat.1.gz > multi.gz && "
       "cat text.9.gz > trail.gz && printf 'AB\\037\\213' >> trail.gz && "
       "head -c 100 /dev/zero >> trail.gz", dir);
    text = slurp("text", &tlen);
    free(slurp("repeat", &rlen));
    expect = malloc(tlen + rlen);
    memcpy(expect, text, tlen);
    free(text);
    text = slurp("repeat", &rlen);
    memcpy(expect + tlen, text, rlen);
    free(text);
    olen = tlen + rlen;

    c = slurp("multi.gz", &clen);
    rc = decode(c, clen, &out, olen, &got);
    assert_int_equal(rc, 0);
    assert_int_equal(got, olen);
    assert_memory_equal(out, expect, olen);
    free(out);
    free(c);

    c = slurp("trail.gz", &clen);
    rc = decode(c, clen, &out, tlen, &got);
    if ( rc )
        fail_msg("trailing bytes: %s", errbuf);
    assert_int_equal(got, tlen);
    assert_memory_equal(out, expect, tlen);
    free(out);
    free(c);
    free(expect);
}

/* Every strict prefix of a complete stream is an error. */
static void test_truncation(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("small.9.gz", &clen), *out;

    for ( size_t n = 0; n < clen; n++ )
    {
        uint8_t *p = malloc(n ? n : 1);
        int rc;

        memcpy(p, c, n);
        rc = decode(p, n, &out, 20100, &got);
        if ( rc != -EINVAL )
            fail_msg("prefix of %zu/%zu bytes: rc %d", n, clen, rc);
        free(out);
        free(p);
    }
    free(c);
}

/*
 * Single-byte corruption anywhere: an error, or (where the byte does not
 * matter, such as MTIME) the original output; never a crash or overrun.
 */
static void test_corruption(void **state)
{
    static const char *files[] = { "small.9.gz", "rsmall.1.gz", "text.6.gz" };
    static const uint8_t xors[] = { 0x01, 0x80, 0xff, 0x10 };
    unsigned int errors = 0, oks = 0;

    for ( unsigned int f = 0; f < 3; f++ )
    {
        size_t clen, olen, got;
        char src[32];
        uint8_t *c = slurp(files[f], &clen), *orig, *out;
        size_t step = clen > 3000 ? clen / 3000 : 1;

        snprintf(src, sizeof(src), "%.*s", (int)(strchr(files[f], '.') - files[f]),
                 files[f]);
        orig = slurp(src, &olen);
        for ( size_t off = 0; off < clen; off += step )
        {
            uint8_t *p = malloc(clen);

            memcpy(p, c, clen);
            p[off] ^= xors[off % 4];
            int rc = decode(p, clen, &out, olen + 1000, &got);

            if ( rc == 0 )
            {
                if ( got != olen || memcmp(out, orig, olen) )
                    fail_msg("%s: byte %zu corrupted, wrong output accepted",
                             files[f], off);
                oks++;
            }
            else
            {
                if ( rc != -EINVAL && rc != -ENOSPC )
                    fail_msg("%s: byte %zu: rc %d", files[f], off, rc);
                errors++;
            }
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
    size_t olen, clen, got;
    uint8_t *orig = slurp("repeat", &olen), *c = slurp("repeat.9.gz", &clen);
    uint8_t *out;
    size_t caps[] = { 0, 1, 100, 65536, olen / 2, olen - 1 };

    for ( unsigned int i = 0; i < sizeof(caps) / sizeof(caps[0]); i++ )
    {
        int rc = decode(c, clen, &out, caps[i], &got);

        if ( rc != -ENOSPC )
            fail_msg("out_cap %zu: rc %d (%s)", caps[i], rc, errbuf);
        free(out);
    }
    free(orig);
    free(c);

    /* The random data is mostly stored blocks. */
    c = slurp("random.1.gz", &clen);
    assert_int_equal(decode(c, clen, &out, 1048575, &got), -ENOSPC);
    free(out);
    free(c);
}

static void test_bad_magic(void **state)
{
    size_t clen, got;
    uint8_t *c = slurp("text.6.gz", &clen), *out;

    c[0] = 0x1e;
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "magic"));
    free(out);
    c[0] = 0x1f;
    c[2] = 7;                   /* not deflate */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    free(out);
    c[2] = 8;
    c[3] |= 0x80;               /* reserved flag */
    assert_int_equal(decode(c, clen, &out, 1 << 20, &got), -EINVAL);
    free(out);
    assert_int_equal(decode(c, 0, &out, 1 << 20, &got), -EINVAL);
    free(out);
    free(c);
}

/* Test-side CRC-32, bit by bit. */
static uint32_t tcrc(const uint8_t *p, size_t n)
{
    uint32_t c = ~0u;

    while ( n-- )
    {
        c ^= *p++;
        for ( int k = 0; k < 8; k++ )
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

/* Header with FEXTRA, FNAME, FCOMMENT and FHCRC around gzip's own body. */
static void test_header_fields(void **state)
{
    size_t clen, olen, got, n = 0;
    uint8_t *c = slurp("text.6.gz", &clen), *orig = slurp("text", &olen);
    uint8_t *g = malloc(clen + 100), *out;
    size_t body = 10;
    uint32_t hc;

    /* gzip wrote FNAME (no -n): skip its header to find the body. */
    assert_true(c[3] & 0x08);
    while ( c[body++] )
        ;
    memcpy(g, "\x1f\x8b\x08\x1e\0\0\0\0\0\3", 10);
    n = 10;
    memcpy(g + n, "\x05\0XY\1\0Z", 7);          /* XLEN 5, one subfield */
    n += 7;
    memcpy(g + n, "name.txt", 9);
    n += 9;
    memcpy(g + n, "a comment", 10);
    n += 10;
    hc = tcrc(g, n);
    g[n++] = hc;
    g[n++] = hc >> 8;
    memcpy(g + n, c + body, clen - body);
    n += clen - body;

    assert_int_equal(decode(g, n, &out, olen, &got), 0);
    assert_int_equal(got, olen);
    assert_memory_equal(out, orig, olen);
    free(out);

    g[12] ^= 1;                 /* inside FEXTRA: header CRC catches it */
    assert_int_equal(decode(g, n, &out, olen, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "header CRC"));
    free(out);
    g[12] ^= 1;

    g[n - 8] ^= 4;              /* stored CRC-32 */
    assert_int_equal(decode(g, n, &out, olen, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "CRC-32 mismatch"));
    free(out);
    g[n - 8] ^= 4;
    g[n - 3] ^= 1;              /* ISIZE */
    assert_int_equal(decode(g, n, &out, olen, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "ISIZE"));
    free(out);

    /* XLEN running past the input. */
    g[10] = 0xff;
    assert_int_equal(decode(g, 40, &out, olen, &got), -EINVAL);
    free(out);
    free(g);
    free(c);
    free(orig);
}

/* LSB-first bit writer for hand-made deflate streams. */
struct bw {
    uint8_t buf[256];
    size_t n;
    unsigned int bit;
};

static void wbits(struct bw *w, uint32_t v, unsigned int n)
{
    while ( n-- )
    {
        if ( w->bit == 0 )
            w->buf[w->n++] = 0;
        w->buf[w->n - 1] |= (v & 1) << w->bit;
        v >>= 1;
        w->bit = (w->bit + 1) & 7;
    }
}

/* Huffman codes go most significant bit first. */
static void wcode(struct bw *w, uint32_t code, unsigned int n)
{
    while ( n-- )
        wbits(w, (code >> n) & 1, 1);
}

/* Fixed-code literal/length symbol. */
static void wfixed(struct bw *w, unsigned int sym)
{
    if ( sym < 144 )
        wcode(w, 0x30 + sym, 8);
    else if ( sym < 256 )
        wcode(w, 0x190 + sym - 144, 9);
    else if ( sym < 280 )
        wcode(w, sym - 256, 7);
    else
        wcode(w, 0xc0 + sym - 280, 8);
}

/* Wraps a deflate stream in a gzip member whose trailer matches 'data'. */
static size_t wrap(uint8_t *g, const struct bw *w, const char *data, size_t len)
{
    memcpy(g, "\x1f\x8b\x08\0\0\0\0\0\0\3", 10);
    memcpy(g + 10, w->buf, w->n);
    put32(g + 10 + w->n, tcrc((const uint8_t *)data, len));
    put32(g + 14 + w->n, len);
    return 18 + w->n;
}

static void test_handmade(void **state)
{
    uint8_t g[300], *out;
    struct bw w;
    size_t n, got;

    /* Fixed block: "ab", then length 4 distance 2 -> "ababab". */
    memset(&w, 0, sizeof(w));
    wbits(&w, 1, 1);
    wbits(&w, 1, 2);
    wfixed(&w, 'a');
    wfixed(&w, 'b');
    wfixed(&w, 258);            /* length 4 */
    wcode(&w, 1, 5);            /* distance 2 */
    wfixed(&w, 256);
    n = wrap(g, &w, "ababab", 6);
    assert_int_equal(decode(g, n, &out, 6, &got), 0);
    assert_int_equal(got, 6);
    assert_memory_equal(out, "ababab", 6);
    free(out);

    /* Distance 3 with only two bytes of output. */
    memset(&w, 0, sizeof(w));
    wbits(&w, 1, 1);
    wbits(&w, 1, 2);
    wfixed(&w, 'a');
    wfixed(&w, 'b');
    wfixed(&w, 258);
    wcode(&w, 2, 5);            /* distance 3 */
    wfixed(&w, 256);
    n = wrap(g, &w, "ababab", 6);
    assert_int_equal(decode(g, n, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "distance beyond output start"));
    free(out);

    /* Fixed distance code 30 is reserved. */
    memset(&w, 0, sizeof(w));
    wbits(&w, 1, 1);
    wbits(&w, 1, 2);
    wfixed(&w, 'a');
    wfixed(&w, 257);
    wcode(&w, 30, 5);
    wfixed(&w, 256);
    n = wrap(g, &w, "aaaa", 4);
    assert_int_equal(decode(g, n, &out, 100, &got), -EINVAL);
    free(out);

    /* Block type 3. */
    memset(&w, 0, sizeof(w));
    wbits(&w, 1, 1);
    wbits(&w, 3, 2);
    wbits(&w, 0, 16);
    n = wrap(g, &w, "", 0);
    assert_int_equal(decode(g, n, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "block type"));
    free(out);

    /* Stored blocks: one non-final "hel", one final "lo"; then bad NLEN. */
    memset(&w, 0, sizeof(w));
    wbits(&w, 0, 3);
    wbits(&w, 0, 5);
    memcpy(w.buf + w.n, "\3\0\xfc\xffhel", 7);
    w.n += 7;
    wbits(&w, 1, 1);
    wbits(&w, 0, 2);
    wbits(&w, 0, 5);
    memcpy(w.buf + w.n, "\2\0\xfd\xfflo", 6);
    w.n += 6;
    n = wrap(g, &w, "hello", 5);
    assert_int_equal(decode(g, n, &out, 5, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    assert_int_equal(decode(g, n, &out, 4, &got), -ENOSPC);
    free(out);
    g[10 + 1 + 2] ^= 1;
    assert_int_equal(decode(g, n, &out, 5, &got), -EINVAL);
    free(out);

    /* Dynamic header: HLIT of 287 and 288 codes is invalid. */
    memset(&w, 0, sizeof(w));
    wbits(&w, 1, 1);
    wbits(&w, 2, 2);
    wbits(&w, 30, 5);
    wbits(&w, 0, 5);
    wbits(&w, 0, 4);
    wbits(&w, 0, 32);
    n = wrap(g, &w, "", 0);
    assert_int_equal(decode(g, n, &out, 100, &got), -EINVAL);
    free(out);

    /* Dynamic: over-subscribed code-length code (all 19 of length 1). */
    memset(&w, 0, sizeof(w));
    wbits(&w, 1, 1);
    wbits(&w, 2, 2);
    wbits(&w, 0, 5);
    wbits(&w, 0, 5);
    wbits(&w, 15, 4);
    for ( int i = 0; i < 19; i++ )
        wbits(&w, 1, 3);
    wbits(&w, 0, 32);
    n = wrap(g, &w, "", 0);
    assert_int_equal(decode(g, n, &out, 100, &got), -EINVAL);
    assert_non_null(strstr(errbuf, "over-subscribed"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_big_speed),
        cmocka_unit_test(test_multi_member_and_trailing),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_out_too_small),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_handmade),
    };

    return cmocka_run_group_tests_name("dec_gunzip", tests, group_setup,
                                       group_teardown);
}
