/*
 * One-shot bzip2 decompressor (see include/xenia/decompress.h).
 *
 * Stream: "BZh" and a digit 1-9 (block size in units of 100 000 bytes),
 * blocks, then an end marker and the combined CRC; streams may follow one
 * another. The bit stream is read most significant bit first.
 *
 * Block: 48-bit magic 0x314159265359, 32-bit block CRC, 1 bit
 * "randomised" (obsolete, rejected), 24-bit origPtr, the map of bytes used
 * (16 bits of 16-byte groups, then 16 bits per group present), 3 bits
 * number of Huffman tables (2-6), 15 bits number of selectors, the
 * selectors (table indices, move-to-front coded, each in unary), each
 * table's code lengths (5-bit start, then per symbol: 0 = done, 10 = +1,
 * 11 = -1), then the symbols, the table switching every 50 symbols.
 * Symbols: RUNA/RUNB (a run of the front byte, its length written in
 * bijective base 2), move-to-front indices, end of block. The decoded
 * block is the Burrows-Wheeler transform of the data with runs of 4-255
 * equal bytes written as four bytes and a count; origPtr is the row of the
 * original string.
 *
 * End of stream: 48-bit magic 0x177245385090, 32-bit combined CRC (each
 * block CRC folded in as crc = rotl(crc, 1) ^ block_crc), then padding to
 * a byte boundary. CRCs are CRC-32 with polynomial 0x04c11db7, MSB first.
 *
 * Memory: the BWT works on a static table of up to 900 000 32-bit
 * entries (boot is single-threaded).
 */
#include <xenia/types.h>
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define BLOCK_MAGIC     0x314159265359ull
#define EOS_MAGIC       0x177245385090ull
#define MAX_GROUPS      6
#define MIN_GROUPS      2
#define GROUP_SIZE      50
#define MAX_ALPHA       258
#define MAX_CODE_LEN    20
#define MAX_SELECTORS   18002   /* 900 000 / 50 + slack; more are ignored */
#define RUNA            0
#define RUNB            1

struct huff {
    uint16_t perm[MAX_ALPHA];               /* symbols by (length, value) */
    uint32_t first[MAX_CODE_LEN + 1];       /* first code of each length */
    uint16_t count[MAX_CODE_LEN + 1];
    uint16_t offs[MAX_CODE_LEN + 1];        /* index in perm of each length */
    unsigned int minlen, maxlen;
};

struct bz {
    const uint8_t *in;
    size_t in_len, pos;
    uint64_t buf;                   /* the low 'cnt' bits are unread */
    unsigned int cnt;
    uint8_t *out;
    size_t cap, o;
    char *err;
    size_t errlen;
};

/* Static working storage: boot is single-threaded, unit tests too. */
static uint32_t tt[900000];
static uint8_t selectors[MAX_SELECTORS];
static struct huff tables[MAX_GROUPS];
static uint32_t crc_tab[256];
static bool crc_ready;

static int fail(struct bz *s, int rc, const char *msg)
{
    if ( s->err && s->errlen )
        snprintf(s->err, s->errlen, "bzip2: %s", msg);
    return rc;
}

static inline void refill(struct bz *s)
{
    while ( s->cnt <= 56 && s->pos < s->in_len )
    {
        s->buf = (s->buf << 8) | s->in[s->pos++];
        s->cnt += 8;
    }
}

/* The next n (<= 32) bits, zeros past the end of the input. */
static inline uint32_t peek(struct bz *s, unsigned int n)
{
    if ( s->cnt < n )
        refill(s);
    if ( s->cnt >= n )
        return (uint32_t)(s->buf >> (s->cnt - n)) & (uint32_t)((1ull << n) - 1);
    return (uint32_t)(s->buf << (n - s->cnt)) & (uint32_t)((1ull << n) - 1);
}

static inline int skip(struct bz *s, unsigned int n)
{
    if ( n > s->cnt )
        return fail(s, -EINVAL, "truncated stream");
    s->cnt -= n;
    return 0;
}

static int bits(struct bz *s, unsigned int n, uint32_t *v)
{
    *v = peek(s, n);
    return skip(s, n);
}

static int bits48(struct bz *s, uint64_t *v)
{
    uint32_t hi, lo;
    int rc;

    if ( (rc = bits(s, 24, &hi)) || (rc = bits(s, 24, &lo)) )
        return rc;
    *v = (uint64_t)hi << 24 | lo;
    return 0;
}

/* Drops bits up to a byte boundary; gives whole buffered bytes back. */
static void align_to_byte(struct bz *s)
{
    s->cnt &= ~7u;
    s->pos -= s->cnt >> 3;
    s->buf = 0;
    s->cnt = 0;
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while ( n-- )
        crc = (crc << 8) ^ crc_tab[(crc >> 24) ^ *p++];
    return crc;
}

static void crc_init(void)
{
    unsigned int i, j;

    for ( i = 0; i < 256; i++ )
    {
        uint32_t c = (uint32_t)i << 24;

        for ( j = 0; j < 8; j++ )
            c = (c << 1) ^ (0x04c11db7u & -(c >> 31));
        crc_tab[i] = c;
    }
    crc_ready = true;
}

/* Builds a canonical decoding table; rejects over-subscribed codes. */
static int build(struct bz *s, struct huff *h, const uint8_t *lens,
                 unsigned int n)
{
    unsigned int i, len;
    uint32_t code = 0;
    uint16_t next[MAX_CODE_LEN + 1];

    memset(h->count, 0, sizeof(h->count));
    h->minlen = MAX_CODE_LEN;
    h->maxlen = 0;
    for ( i = 0; i < n; i++ )
    {
        h->count[lens[i]]++;
        if ( lens[i] < h->minlen )
            h->minlen = lens[i];
        if ( lens[i] > h->maxlen )
            h->maxlen = lens[i];
    }
    h->offs[0] = 0;
    for ( len = 1; len <= MAX_CODE_LEN; len++ )
    {
        h->first[len] = code;
        code += h->count[len];
        if ( code > (1u << len) )
            return fail(s, -EINVAL, "over-subscribed Huffman code");
        code <<= 1;
        h->offs[len] = h->offs[len - 1] + h->count[len - 1];
        next[len] = h->offs[len];
    }
    for ( i = 0; i < n; i++ )
        h->perm[next[lens[i]]++] = i;
    return 0;
}

static inline int decode(struct bz *s, const struct huff *h, unsigned int *sym)
{
    uint32_t v = peek(s, h->maxlen);
    unsigned int len;

    for ( len = h->minlen; len <= h->maxlen; len++ )
    {
        uint32_t c = v >> (h->maxlen - len);

        if ( c - h->first[len] < h->count[len] )
        {
            *sym = h->perm[h->offs[len] + c - h->first[len]];
            return skip(s, len);
        }
    }
    if ( s->pos == s->in_len )
        return fail(s, -EINVAL, "truncated stream");
    return fail(s, -EINVAL, "invalid Huffman code");
}

/* Decodes one block (after its magic) and appends its data to s->out. */
static int block(struct bz *s, unsigned int level, uint32_t *block_crc)
{
    uint8_t seq[256], mtf[256], lens[MAX_ALPHA];
    uint32_t counts[256];
    uint32_t v, orig_ptr, want_crc, nsel, ngroups;
    unsigned int i, j, ninuse = 0, alpha, nstored, blockmax = level * 100000;
    size_t nblock = 0, run = 0, start;
    unsigned int runbit = 0, group_left = 0, group = 0, sym;
    const struct huff *h = NULL;
    uint32_t tpos, crc;
    int last, rep, rc;

    if ( (rc = bits(s, 32, &want_crc)) || (rc = bits(s, 1, &v)) )
        return rc;
    if ( v )
        return fail(s, -EINVAL, "randomised blocks are not supported");
    if ( (rc = bits(s, 24, &orig_ptr)) )
        return rc;

    /* Byte map. */
    {
        uint32_t groups, used;

        if ( (rc = bits(s, 16, &groups)) )
            return rc;
        for ( i = 0; i < 16; i++ )
        {
            if ( !(groups & (0x8000u >> i)) )
                continue;
            if ( (rc = bits(s, 16, &used)) )
                return rc;
            for ( j = 0; j < 16; j++ )
                if ( used & (0x8000u >> j) )
                    seq[ninuse++] = i * 16 + j;
        }
    }
    if ( ninuse == 0 )
        return fail(s, -EINVAL, "block uses no bytes");
    alpha = ninuse + 2;

    if ( (rc = bits(s, 3, &ngroups)) || (rc = bits(s, 15, &nsel)) )
        return rc;
    if ( ngroups < MIN_GROUPS || ngroups > MAX_GROUPS )
        return fail(s, -EINVAL, "bad number of Huffman tables");
    if ( nsel == 0 )
        return fail(s, -EINVAL, "no selectors");

    /* Selectors: unary, then undo the move-to-front. */
    for ( i = 0; i < ngroups; i++ )
        mtf[i] = i;
    nstored = nsel < MAX_SELECTORS ? nsel : MAX_SELECTORS;
    for ( i = 0; i < nsel; i++ )
    {
        unsigned int k = 0;

        for ( ;; )
        {
            if ( (rc = bits(s, 1, &v)) )
                return rc;
            if ( !v )
                break;
            if ( ++k >= ngroups )
                return fail(s, -EINVAL, "bad selector");
        }
        if ( i < nstored )
        {
            uint8_t t = mtf[k];

            for ( ; k; k-- )
                mtf[k] = mtf[k - 1];
            mtf[0] = t;
            selectors[i] = t;
        }
    }

    /* Code lengths of each table. */
    for ( i = 0; i < ngroups; i++ )
    {
        uint32_t cur;

        if ( (rc = bits(s, 5, &cur)) )
            return rc;
        for ( j = 0; j < alpha; j++ )
        {
            for ( ;; )
            {
                if ( cur < 1 || cur > MAX_CODE_LEN )
                    return fail(s, -EINVAL, "bad code length");
                if ( (rc = bits(s, 1, &v)) )
                    return rc;
                if ( !v )
                    break;
                if ( (rc = bits(s, 1, &v)) )
                    return rc;
                cur += v ? -1 : 1;
            }
            lens[j] = cur;
        }
        if ( (rc = build(s, &tables[i], lens, alpha)) )
            return rc;
    }

    /* Symbols: runs and move-to-front indices, into tt[]. */
    memset(counts, 0, sizeof(counts));
    for ( i = 0; i < 256; i++ )
        mtf[i] = i;
    for ( ;; )
    {
        if ( group_left == 0 )
        {
            if ( group >= nstored )
                return fail(s, -EINVAL, "more symbols than selectors");
            h = &tables[selectors[group++]];
            group_left = GROUP_SIZE;
        }
        group_left--;
        if ( (rc = decode(s, h, &sym)) )
            return rc;

        if ( sym <= RUNB )
        {
            /* Bijective base 2: RUNA adds 1 << k, RUNB adds 2 << k. */
            if ( runbit > 20 )
                return fail(s, -EINVAL, "run longer than the block");
            run += (size_t)(sym + 1) << runbit;
            runbit++;
            if ( run > blockmax - nblock )
                return fail(s, -EINVAL, "run longer than the block");
            continue;
        }
        if ( run )
        {
            uint8_t b = seq[mtf[0]];

            counts[b] += run;
            while ( run-- )
                tt[nblock++] = b;
            run = 0;
        }
        runbit = 0;
        if ( sym == alpha - 1 )
            break;                              /* end of block */
        if ( nblock >= blockmax )
            return fail(s, -EINVAL, "block larger than its declared size");
        {
            unsigned int k = sym - 1;
            uint8_t t = mtf[k];

            if ( k < 16 )
                for ( ; k; k-- )
                    mtf[k] = mtf[k - 1];
            else
                memmove(mtf + 1, mtf, k);
            mtf[0] = t;
            counts[seq[t]]++;
            tt[nblock++] = seq[t];
        }
    }
    if ( orig_ptr >= nblock )
        return fail(s, -EINVAL, "origPtr out of range");

    /* Inverse BWT: link each position to the next in the original. */
    {
        uint32_t sum = 0, c;

        for ( i = 0; i < 256; i++ )
        {
            c = counts[i];
            counts[i] = sum;
            sum += c;
        }
        for ( i = 0; i < nblock; i++ )
            tt[counts[tt[i] & 0xff]++] |= i << 8;
    }

    /* Walk the chain, undoing the initial run-length coding. */
    start = s->o;
    tpos = tt[orig_ptr] >> 8;
    last = -1;
    rep = 0;
    for ( i = 0; i < nblock; i++ )
    {
        uint8_t b;

        tpos = tt[tpos];
        b = tpos & 0xff;
        tpos >>= 8;
        if ( rep == 4 )
        {
            if ( b > s->cap - s->o )
                return fail(s, -ENOSPC, "output larger than the buffer");
            memset(s->out + s->o, last, b);
            s->o += b;
            rep = 0;
            last = -1;
            continue;
        }
        if ( s->o >= s->cap )
            return fail(s, -ENOSPC, "output larger than the buffer");
        s->out[s->o++] = b;
        if ( b == last )
            rep++;
        else
        {
            last = b;
            rep = 1;
        }
    }

    crc = ~crc_update(~0u, s->out + start, s->o - start);
    if ( crc != want_crc )
        return fail(s, -EINVAL, "block CRC mismatch");
    *block_crc = crc;
    return 0;
}

/* Decodes one stream starting at s->pos. */
static int stream(struct bz *s)
{
    const uint8_t *h = s->in + s->pos;
    uint32_t combined = 0, want;
    unsigned int level;
    int rc;

    if ( s->in_len - s->pos < 4 || h[0] != 'B' || h[1] != 'Z' || h[2] != 'h' ||
         h[3] < '1' || h[3] > '9' )
        return fail(s, -EINVAL, "bad magic (not bzip2 data)");
    level = h[3] - '0';
    s->pos += 4;
    s->buf = 0;
    s->cnt = 0;

    for ( ;; )
    {
        uint64_t magic;
        uint32_t crc;

        if ( (rc = bits48(s, &magic)) )
            return rc;
        if ( magic == EOS_MAGIC )
            break;
        if ( magic != BLOCK_MAGIC )
            return fail(s, -EINVAL, "bad block magic");
        if ( (rc = block(s, level, &crc)) )
            return rc;
        combined = ((combined << 1) | (combined >> 31)) ^ crc;
    }
    if ( (rc = bits(s, 32, &want)) )
        return rc;
    if ( want != combined )
        return fail(s, -EINVAL, "combined stream CRC mismatch");
    align_to_byte(s);
    return 0;
}

int bunzip2(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
            size_t *out_len, char *err, size_t errlen)
{
    struct bz s = {
        .in = in, .in_len = in_len, .out = out, .cap = out_cap,
        .err = err, .errlen = errlen,
    };
    int rc;

    if ( out_len )
        *out_len = 0;
    if ( err && errlen )
        err[0] = '\0';
    if ( !crc_ready )
        crc_init();
    /* One stream, or several concatenated (as pbzip2 writes). */
    do {
        rc = stream(&s);
        if ( rc )
            return rc;
    } while ( in_len - s.pos >= 14 && in[s.pos] == 'B' && in[s.pos + 1] == 'Z' &&
              in[s.pos + 2] == 'h' && in[s.pos + 3] >= '1' &&
              in[s.pos + 3] <= '9' );
    if ( out_len )
        *out_len = s.o;
    return 0;
}
