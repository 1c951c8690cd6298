/*
 * One-shot Zstandard decompressor (RFC 8878), written from the RFC.
 *
 * The whole input is decoded into the whole output buffer, which doubles
 * as the history window, so every match may reach back to the start of
 * its frame. Handled: any number of frames, skippable frames, raw / RLE /
 * compressed blocks, raw / RLE / Huffman (1 or 4 streams, new or reused
 * tree) literals, FSE sequences in predefined / RLE / compressed / repeat
 * modes, repeat offsets, and the optional XXH64 content checksum.
 * Dictionaries are refused.
 *
 * The input is hostile: every length is bounded by what is left of the
 * input (or of the current block), every table description is checked,
 * and nothing is written at or after out + out_cap. The bit readers pad a
 * stream's start with virtual zero bits instead of checking on every read;
 * table lookups are masked, so an overrun cannot leave the tables, and is
 * caught when the stream is checked for exact consumption at its end.
 *
 * Working tables live in static storage (boot is single-threaded); stack
 * use stays well under 4 KiB.
 */
#include <xenia/types.h>
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define ZSTD_MAGIC          0xfd2fb528U
#define SKIP_MAGIC          0x184d2a50U     /* low 4 bits are free */
#define SKIP_MAGIC_MASK     0xfffffff0U

#define BLOCK_MAX           (128u * 1024)   /* Block_Maximum_Size cap */

#define BT_RAW              0
#define BT_RLE              1
#define BT_COMPRESSED       2

#define LIT_RAW             0
#define LIT_RLE             1
#define LIT_HUF             2
#define LIT_TREELESS        3

#define MODE_PREDEF         0
#define MODE_RLE            1
#define MODE_FSE            2
#define MODE_REPEAT         3

#define HUF_MAX_BITS        11
#define HUF_MAX_WLOG        6               /* FSE log for Huffman weights */

#define LL_MAX_SYM          35
#define ML_MAX_SYM          52
#define OF_MAX_SYM          31
#define LL_MAX_LOG          9
#define ML_MAX_LOG          9
#define OF_MAX_LOG          8

/* Slack the fast copies may read / write past the bytes they need. */
#define COPY_SLACK          32

/* -------------------------------------------------------------------------
 * Constant tables (facts from RFC 8878 section 3.1.1.3.2).
 */

/* Literals length code -> baseline, extra bits. */
static const uint32_t ll_base[LL_MAX_SYM + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
    8192, 16384, 32768, 65536,
};
static const uint8_t ll_bits[LL_MAX_SYM + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15, 16,
};

/* Match length code -> baseline, extra bits. */
static const uint32_t ml_base[ML_MAX_SYM + 1] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
    4099, 8195, 16387, 32771, 65539,
};
static const uint8_t ml_bits[ML_MAX_SYM + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16,
};

/* Predefined distributions (-1: "less than 1" probability). */
static const int16_t ll_predef[LL_MAX_SYM + 1] = {
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
};
static const int16_t ml_predef[ML_MAX_SYM + 1] = {
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
    -1, -1, -1, -1, -1,
};
static const int16_t of_predef[29] = {
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
};

/* -------------------------------------------------------------------------
 * State. One decode at a time (boot is single-threaded).
 */

/* Generic FSE decoding cell: symbol, bits to read, base of next state. */
struct fse_cell
{
    uint16_t next;
    uint8_t sym;
    uint8_t nbits;
};

/* Sequence decoding cell: the symbol already turned into base + extra. */
struct seq_cell
{
    uint32_t base;
    uint16_t next;
    uint8_t nbits;
    uint8_t addbits;
};

struct zstd_state
{
    /* Huffman literal table: entry = symbol | bits << 8. */
    uint16_t huf[1u << HUF_MAX_BITS];
    unsigned int huf_bits;
    bool huf_ok;

    struct seq_cell ll[1u << LL_MAX_LOG];
    struct seq_cell ml[1u << ML_MAX_LOG];
    struct seq_cell of[1u << OF_MAX_LOG];
    unsigned int ll_log, ml_log, of_log;
    bool ll_ok, ml_ok, of_ok;

    /* Scratch for building tables. */
    uint8_t spread[1u << LL_MAX_LOG];
    struct fse_cell wtab[1u << HUF_MAX_WLOG];

    uint8_t lit[BLOCK_MAX + COPY_SLACK];
};

static struct zstd_state zs;

/* Per-call context (on the stack). */
struct zctx
{
    const uint8_t *in_end;
    uint8_t *out, *oend, *op, *frame_start;
    size_t block_max;
    uint64_t rep[3];
    char *err;
    size_t errlen;
};

static int fail(struct zctx *z, int rc, const char *msg)
{
    if ( z->err && z->errlen )
        snprintf(z->err, z->errlen, "zstd: %s", msg);
    return rc;
}

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t rd24(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
}

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;

    __builtin_memcpy(&v, p, 4);
    return v;                       /* x86 is little-endian */
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;

    __builtin_memcpy(&v, p, 8);
    return v;
}

static inline unsigned int highbit32(uint32_t v)
{
    return 31 - __builtin_clz(v);   /* v != 0 */
}

/* -------------------------------------------------------------------------
 * XXH64 (seed 0 only is needed, but the seed is kept general).
 */
#define XP1 0x9e3779b185ebca87ULL
#define XP2 0xc2b2ae3d27d4eb4fULL
#define XP3 0x165667b19e3779f9ULL
#define XP4 0x85ebca77c2b2ae63ULL
#define XP5 0x27d4eb2f165667c5ULL

static inline uint64_t rotl64(uint64_t x, unsigned int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t lane)
{
    acc += lane * XP2;
    acc = rotl64(acc, 31);
    return acc * XP1;
}

static inline uint64_t xxh_merge(uint64_t h, uint64_t v)
{
    h ^= xxh_round(0, v);
    return h * XP1 + XP4;
}

static uint64_t xxh64(const uint8_t *p, size_t len, uint64_t seed)
{
    const uint8_t *end = p + len;
    uint64_t h;

    if ( len >= 32 )
    {
        uint64_t v1 = seed + XP1 + XP2, v2 = seed + XP2;
        uint64_t v3 = seed, v4 = seed - XP1;
        const uint8_t *limit = end - 32;

        do {
            v1 = xxh_round(v1, rd64(p));
            v2 = xxh_round(v2, rd64(p + 8));
            v3 = xxh_round(v3, rd64(p + 16));
            v4 = xxh_round(v4, rd64(p + 24));
            p += 32;
        } while ( p <= limit );

        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = xxh_merge(h, v1);
        h = xxh_merge(h, v2);
        h = xxh_merge(h, v3);
        h = xxh_merge(h, v4);
    }
    else
        h = seed + XP5;

    h += len;

    while ( end - p >= 8 )
    {
        h ^= xxh_round(0, rd64(p));
        h = rotl64(h, 27) * XP1 + XP4;
        p += 8;
    }
    if ( end - p >= 4 )
    {
        h ^= (uint64_t)rd32(p) * XP1;
        h = rotl64(h, 23) * XP2 + XP3;
        p += 4;
    }
    while ( p < end )
    {
        h ^= *p++ * XP5;
        h = rotl64(h, 11) * XP1;
    }

    h ^= h >> 33;
    h *= XP2;
    h ^= h >> 29;
    h *= XP3;
    h ^= h >> 32;
    return h;
}

/* -------------------------------------------------------------------------
 * Backward bit reader. A stream is read from its last byte towards its
 * first; the last byte's highest set bit marks where the data begins.
 * 'acc' holds 'n' unread bits in its low end (upper bits are stale and are
 * masked off on every read). Once the real bytes run out, zero bytes are
 * fed in and counted in 'phantom': a stream was read exactly to its end
 * iff n == phantom, and was overread iff n < phantom.
 * After refill(), n >= 56, so 56 bits may be read before the next refill.
 */
struct bitrd
{
    uint64_t acc;
    const uint8_t *ptr, *start;
    unsigned int n, phantom;
};

static inline void br_refill(struct bitrd *b)
{
    if ( b->n >= 56 )
        return;
    if ( likely(b->ptr - b->start >= 8) )
    {
        unsigned int nbytes = (63 - b->n) >> 3;     /* n < 56: 1..7 */
        uint64_t v = rd64(b->ptr - 8);

        b->ptr -= nbytes;
        b->acc = (b->acc << (nbytes * 8)) | (v >> (64 - nbytes * 8));
        b->n += nbytes * 8;
        return;
    }
    while ( b->n < 56 )
    {
        b->acc <<= 8;
        if ( b->ptr > b->start )
            b->acc |= *--b->ptr;
        else
            b->phantom += 8;
        b->n += 8;
    }
}

/* Read k bits (0 <= k <= 56, k <= n: guaranteed by refill discipline). */
static inline uint64_t br_read(struct bitrd *b, unsigned int k)
{
    b->n -= k;
    return (b->acc >> b->n) & ((1ULL << k) - 1);
}

static inline unsigned int br_peek(const struct bitrd *b, unsigned int k)
{
    return (unsigned int)((b->acc >> (b->n - k)) & ((1u << k) - 1));
}

static inline bool br_done(const struct bitrd *b)
{
    return b->n == b->phantom;
}

static inline bool br_overread(const struct bitrd *b)
{
    return b->n < b->phantom;
}

static int br_init(struct zctx *z, struct bitrd *b, const uint8_t *p,
                   size_t len)
{
    uint8_t last;

    if ( len == 0 )
        return fail(z, -EINVAL, "empty bitstream");
    last = p[len - 1];
    if ( last == 0 )
        return fail(z, -EINVAL, "bitstream has no end marker");
    b->acc = 0;
    b->n = 0;
    b->phantom = 0;
    b->start = p;
    b->ptr = p + len;
    br_refill(b);
    /* Drop the zero padding above the marker bit and the marker itself. */
    b->n -= 8 - highbit32(last);
    return 0;
}

/* -------------------------------------------------------------------------
 * FSE table descriptions (forward bit stream, little-endian).
 */

/* Read k <= 16 bits at bit position *pos of p[0..len). */
static inline bool fwd_read(const uint8_t *p, size_t len, size_t *pos,
                            unsigned int k, uint32_t *v)
{
    size_t byte = *pos >> 3;
    uint32_t w = 0;
    unsigned int i;

    if ( *pos + k > len * 8 )
        return false;
    for ( i = 0; i < 4 && byte + i < len; i++ )
        w |= (uint32_t)p[byte + i] << (8 * i);
    *v = (w >> (*pos & 7)) & ((1u << k) - 1);
    *pos += k;
    return true;
}

/*
 * Parse a normalised distribution from p[0..len). Fills norm[0..max_sym]
 * (unused symbols 0) and returns the bytes consumed (> 0) or an error.
 */
static long fse_read_dist(struct zctx *z, const uint8_t *p, size_t len,
                          int16_t *norm, unsigned int max_sym,
                          unsigned int max_log, unsigned int *log_out)
{
    size_t pos = 0;
    uint32_t v;
    unsigned int log, sym = 0, nbits;
    int remaining, threshold;

    if ( !fwd_read(p, len, &pos, 4, &v) )
        return fail(z, -EINVAL, "truncated FSE table description");
    log = v + 5;
    if ( log > max_log )
        return fail(z, -EINVAL, "FSE accuracy log too large");

    remaining = (1 << log) + 1;
    threshold = 1 << log;
    nbits = log + 1;

    while ( remaining > 1 )
    {
        int max, val, count;
        uint32_t raw;

        if ( sym > max_sym )
            return fail(z, -EINVAL, "too many symbols in FSE table");
        /* Peek nbits, tolerating a short tail (checked on consumption). */
        {
            size_t byte = pos >> 3;
            uint32_t w = 0;
            unsigned int i;

            for ( i = 0; i < 4 && byte + i < len; i++ )
                w |= (uint32_t)p[byte + i] << (8 * i);
            raw = (w >> (pos & 7)) & ((1u << nbits) - 1);
        }
        max = 2 * threshold - 1 - remaining;
        if ( (int)(raw & (threshold - 1)) < max )
        {
            val = raw & (threshold - 1);
            pos += nbits - 1;
        }
        else
        {
            val = raw & (2 * threshold - 1);
            if ( val >= threshold )
                val -= max;
            pos += nbits;
        }
        if ( pos > len * 8 )
            return fail(z, -EINVAL, "truncated FSE table description");

        count = val - 1;
        if ( count > remaining - 1 )
            return fail(z, -EINVAL, "FSE probabilities overflow");
        norm[sym++] = (int16_t)count;
        remaining -= count < 0 ? 1 : count;

        if ( count == 0 )
        {
            uint32_t rep;

            /* 2-bit flags: that many more zeros; a flag of 3 continues. */
            do {
                if ( !fwd_read(p, len, &pos, 2, &rep) )
                    return fail(z, -EINVAL, "truncated FSE table description");
                if ( sym + rep > max_sym + 1 )
                    return fail(z, -EINVAL, "too many symbols in FSE table");
                for ( v = 0; v < rep; v++ )
                    norm[sym++] = 0;
            } while ( rep == 3 );
        }

        while ( remaining < threshold )
        {
            nbits--;
            threshold >>= 1;
        }
    }
    if ( remaining != 1 )
        return fail(z, -EINVAL, "FSE probabilities do not sum up");
    while ( sym <= max_sym )
        norm[sym++] = 0;
    *log_out = log;
    return (long)((pos + 7) >> 3);
}

/*
 * Spread a distribution over a table of 1 << log states: fills symtab[]
 * and next[] (the per-symbol state counters) as RFC 8878 4.1.1 describes.
 */
static int fse_spread(struct zctx *z, const int16_t *norm, unsigned int nsym,
                      unsigned int log, uint8_t *symtab, uint16_t *next)
{
    unsigned int size = 1u << log, high = size - 1, mask = size - 1;
    unsigned int step = (size >> 1) + (size >> 3) + 3, pos = 0, s;
    int i;

    for ( s = 0; s < nsym; s++ )
    {
        if ( norm[s] == -1 )
        {
            symtab[high--] = (uint8_t)s;
            next[s] = 1;
        }
        else
            next[s] = (uint16_t)norm[s];
    }
    for ( s = 0; s < nsym; s++ )
    {
        for ( i = 0; i < norm[s]; i++ )
        {
            symtab[pos] = (uint8_t)s;
            do {
                pos = (pos + step) & mask;
            } while ( pos > high );
        }
    }
    if ( pos != 0 )
        return fail(z, -EINVAL, "bad FSE distribution");
    return 0;
}

/* Bits to read and next-state base for state u of a spread table. */
static inline void fse_cell_of(unsigned int log, uint16_t *next, uint8_t sym,
                               uint8_t *nbits, uint16_t *base)
{
    unsigned int x = next[sym]++;
    unsigned int nb = log - highbit32(x);

    *nbits = (uint8_t)nb;
    *base = (uint16_t)((x << nb) - (1u << log));
}

static int fse_build(struct zctx *z, struct fse_cell *t, const int16_t *norm,
                     unsigned int nsym, unsigned int log)
{
    uint16_t next[16];
    unsigned int u;
    int rc;

    rc = fse_spread(z, norm, nsym, log, zs.spread, next);
    if ( rc )
        return rc;
    for ( u = 0; u < (1u << log); u++ )
    {
        t[u].sym = zs.spread[u];
        fse_cell_of(log, next, t[u].sym, &t[u].nbits, &t[u].next);
    }
    return 0;
}

/* -------------------------------------------------------------------------
 * Huffman literals.
 */

/* Build zs.huf from nw explicit weights (the last one is implied). */
static int huf_build(struct zctx *z, uint8_t *w, unsigned int nw)
{
    unsigned int count[HUF_MAX_BITS + 2] = { 0 };
    unsigned int start[HUF_MAX_BITS + 2];
    uint32_t sum = 0, rest;
    unsigned int i, maxbits;

    for ( i = 0; i < nw; i++ )
    {
        if ( w[i] > HUF_MAX_BITS )
            return fail(z, -EINVAL, "Huffman weight too large");
        if ( w[i] )
            sum += 1u << (w[i] - 1);
    }
    if ( sum == 0 )
        return fail(z, -EINVAL, "Huffman weights all zero");
    maxbits = highbit32(sum) + 1;
    if ( maxbits > HUF_MAX_BITS )
        return fail(z, -EINVAL, "Huffman code too long");
    rest = (1u << maxbits) - sum;
    if ( rest & (rest - 1) )
        return fail(z, -EINVAL, "Huffman weights do not complete a tree");
    w[nw++] = (uint8_t)(highbit32(rest) + 1);

    for ( i = 0; i < nw; i++ )
        count[w[i]]++;
    start[1] = 0;
    for ( i = 1; i <= maxbits; i++ )
        start[i + 1] = start[i] + (count[i] << (i - 1));

    for ( i = 0; i < nw; i++ )
    {
        unsigned int wt = w[i], j, len;
        uint16_t e;

        if ( !wt )
            continue;
        len = 1u << (wt - 1);
        e = (uint16_t)(i | ((maxbits + 1 - wt) << 8));
        for ( j = 0; j < len; j++ )
            zs.huf[start[wt] + j] = e;
        start[wt] += len;
    }
    zs.huf_bits = maxbits;
    zs.huf_ok = true;
    return 0;
}

/* Parse a Huffman tree description; returns the bytes it used. */
static long huf_read_tree(struct zctx *z, const uint8_t *p, size_t len)
{
    uint8_t w[256];
    unsigned int nw = 0, hb;
    long used;
    int rc;

    if ( len < 1 )
        return fail(z, -EINVAL, "truncated Huffman tree");
    hb = p[0];
    if ( hb >= 128 )
    {
        unsigned int i;

        nw = hb - 127;
        used = 1 + (nw + 1) / 2;
        if ( (size_t)used > len )
            return fail(z, -EINVAL, "truncated Huffman tree");
        for ( i = 0; i < nw; i++ )
            w[i] = (i & 1) ? (p[1 + i / 2] & 15) : (p[1 + i / 2] >> 4);
    }
    else
    {
        int16_t norm[16];
        unsigned int log, s1, s2;
        struct bitrd b;
        const struct fse_cell *t = zs.wtab;
        long dl;

        used = 1 + hb;
        if ( hb == 0 || (size_t)used > len )
            return fail(z, -EINVAL, "truncated Huffman tree");
        dl = fse_read_dist(z, p + 1, hb, norm, 15, HUF_MAX_WLOG, &log);
        if ( dl < 0 )
            return dl;
        rc = fse_build(z, zs.wtab, norm, 16, log);
        if ( rc )
            return rc;
        rc = br_init(z, &b, p + 1 + dl, hb - dl);
        if ( rc )
            return rc;
        s1 = br_read(&b, log);
        s2 = br_read(&b, log);
        for ( ;; )
        {
            br_refill(&b);
            if ( nw >= 255 )
                return fail(z, -EINVAL, "too many Huffman weights");
            w[nw++] = t[s1].sym;
            s1 = t[s1].next + br_read(&b, t[s1].nbits);
            if ( br_overread(&b) )
            {
                if ( nw >= 255 )
                    return fail(z, -EINVAL, "too many Huffman weights");
                w[nw++] = t[s2].sym;
                break;
            }
            if ( nw >= 255 )
                return fail(z, -EINVAL, "too many Huffman weights");
            w[nw++] = t[s2].sym;
            s2 = t[s2].next + br_read(&b, t[s2].nbits);
            if ( br_overread(&b) )
            {
                if ( nw >= 255 )
                    return fail(z, -EINVAL, "too many Huffman weights");
                w[nw++] = t[s1].sym;
                break;
            }
        }
    }
    rc = huf_build(z, w, nw);
    if ( rc )
        return rc;
    return used;
}

#define HUF_DEC(b, t, mb, d) do {                           \
        uint16_t e_ = (t)[br_peek(b, mb)];                  \
        *(d)++ = (uint8_t)e_;                               \
        (b)->n -= e_ >> 8;                                  \
    } while ( 0 )

/* Decode Huffman symbols from b into dst until end. */
static inline uint8_t *huf_tail(struct bitrd *b, uint8_t *dst, uint8_t *end)
{
    const uint16_t *t = zs.huf;
    unsigned int mb = zs.huf_bits;

    while ( end - dst >= 4 )
    {
        br_refill(b);
        HUF_DEC(b, t, mb, dst);
        HUF_DEC(b, t, mb, dst);
        HUF_DEC(b, t, mb, dst);
        HUF_DEC(b, t, mb, dst);
    }
    while ( dst < end )
    {
        br_refill(b);
        HUF_DEC(b, t, mb, dst);
    }
    return dst;
}

/* Decode one Huffman stream src[0..len) into exactly cnt bytes at dst. */
static int huf_1stream(struct zctx *z, const uint8_t *src, size_t len,
                       uint8_t *dst, size_t cnt)
{
    struct bitrd b;
    int rc;

    rc = br_init(z, &b, src, len);
    if ( rc )
        return rc;
    huf_tail(&b, dst, dst + cnt);
    if ( !br_done(&b) )
        return fail(z, -EINVAL, "Huffman stream not consumed exactly");
    return 0;
}

/*
 * Decode four Huffman streams (sizes len[0..3] back to back at src) into
 * seg, seg, seg and last bytes at dst. The streams are decoded in
 * lockstep, which lets the CPU overlap their table lookups.
 */
static int huf_4streams(struct zctx *z, const uint8_t *src, const size_t *len,
                        uint8_t *dst, size_t seg, size_t last)
{
    const uint16_t *t = zs.huf;
    unsigned int mb = zs.huf_bits, i;
    struct bitrd b[4];
    uint8_t *d[4], *e[4];
    int rc;

    for ( i = 0; i < 4; i++ )
    {
        rc = br_init(z, &b[i], src, len[i]);
        if ( rc )
            return rc;
        src += len[i];
        d[i] = dst + i * seg;
        e[i] = d[i] + (i == 3 ? last : seg);
    }
    /* The last stream is the shortest. */
    while ( e[3] - d[3] >= 4 )
    {
        br_refill(&b[0]);
        br_refill(&b[1]);
        br_refill(&b[2]);
        br_refill(&b[3]);
        for ( i = 0; i < 4; i++ )
        {
            HUF_DEC(&b[0], t, mb, d[0]);
            HUF_DEC(&b[1], t, mb, d[1]);
            HUF_DEC(&b[2], t, mb, d[2]);
            HUF_DEC(&b[3], t, mb, d[3]);
        }
    }
    for ( i = 0; i < 4; i++ )
    {
        huf_tail(&b[i], d[i], e[i]);
        if ( !br_done(&b[i]) )
            return fail(z, -EINVAL, "Huffman stream not consumed exactly");
    }
    return 0;
}

/*
 * Decode the literals section at p[0..len). On success, lit and lit_len are
 * the literals, lit_safe is how far past them reading is allowed, and the
 * section's size is returned.
 */
static long decode_literals(struct zctx *z, const uint8_t *p, size_t len,
                            const uint8_t **lit, size_t *lit_len,
                            const uint8_t **lit_safe)
{
    unsigned int type, sf;
    size_t hl, regen, csize;

    if ( len < 1 )
        return fail(z, -EINVAL, "truncated literals section");
    type = p[0] & 3;
    sf = (p[0] >> 2) & 3;

    if ( type == LIT_RAW || type == LIT_RLE )
    {
        switch ( sf )
        {
        case 1:
            hl = 2;
            break;
        case 3:
            hl = 3;
            break;
        default:
            hl = 1;
            break;
        }
        if ( hl > len )
            return fail(z, -EINVAL, "truncated literals header");
        if ( hl == 1 )
            regen = p[0] >> 3;
        else if ( hl == 2 )
            regen = (p[0] >> 4) + ((size_t)p[1] << 4);
        else
            regen = (p[0] >> 4) + ((size_t)p[1] << 4) + ((size_t)p[2] << 12);
        if ( regen > z->block_max )
            return fail(z, -EINVAL, "literals larger than a block");
        if ( type == LIT_RAW )
        {
            if ( regen > len - hl )
                return fail(z, -EINVAL, "truncated raw literals");
            *lit = p + hl;
            *lit_len = regen;
            *lit_safe = z->in_end;
            return hl + regen;
        }
        if ( hl + 1 > len )
            return fail(z, -EINVAL, "truncated RLE literals");
        memset(zs.lit, p[hl], regen);
        *lit = zs.lit;
        *lit_len = regen;
        *lit_safe = zs.lit + sizeof(zs.lit);
        return hl + 1;
    }
    else
    {
        unsigned int bits = sf < 2 ? 10 : sf == 2 ? 14 : 18;
        bool four = sf != 0;
        uint64_t h = 0;
        const uint8_t *q;
        size_t qlen, i;
        int rc;

        hl = sf < 2 ? 3 : sf == 2 ? 4 : 5;
        if ( hl > len )
            return fail(z, -EINVAL, "truncated literals header");
        for ( i = 0; i < hl; i++ )
            h |= (uint64_t)p[i] << (8 * i);
        regen = (h >> 4) & ((1u << bits) - 1);
        csize = (h >> (4 + bits)) & ((1u << bits) - 1);
        if ( regen > z->block_max )
            return fail(z, -EINVAL, "literals larger than a block");
        if ( csize > len - hl )
            return fail(z, -EINVAL, "truncated compressed literals");
        q = p + hl;
        qlen = csize;
        if ( type == LIT_HUF )
        {
            long t = huf_read_tree(z, q, qlen);

            if ( t < 0 )
                return t;
            q += t;
            qlen -= t;
        }
        else if ( !zs.huf_ok )
            return fail(z, -EINVAL, "treeless literals without a previous Huffman table");

        if ( !four )
            rc = huf_1stream(z, q, qlen, zs.lit, regen);
        else
        {
            size_t sz[4], seg = (regen + 3) / 4;

            if ( qlen < 6 )
                return fail(z, -EINVAL, "truncated Huffman jump table");
            sz[0] = rd16(q);
            sz[1] = rd16(q + 2);
            sz[2] = rd16(q + 4);
            q += 6;
            qlen -= 6;
            if ( sz[0] + sz[1] + sz[2] > qlen )
                return fail(z, -EINVAL, "Huffman jump table beyond literals");
            sz[3] = qlen - sz[0] - sz[1] - sz[2];
            if ( 3 * seg > regen )
                return fail(z, -EINVAL, "too few literals for 4 streams");
            rc = huf_4streams(z, q, sz, zs.lit, seg, regen - 3 * seg);
        }
        if ( rc )
            return rc;
        *lit = zs.lit;
        *lit_len = regen;
        *lit_safe = zs.lit + sizeof(zs.lit);
        return hl + csize;
    }
}

/* -------------------------------------------------------------------------
 * Sequences.
 */
enum seq_kind { SEQ_LL, SEQ_OF, SEQ_ML };

/* Set up one of the three sequence tables; returns the bytes used. */
static long seq_table(struct zctx *z, enum seq_kind kind, unsigned int mode,
                      const uint8_t *p, size_t len)
{
    static const char *const names[] = { "literals length", "offset",
                                         "match length" };
    static const unsigned int max_sym[] = { LL_MAX_SYM, OF_MAX_SYM,
                                            ML_MAX_SYM };
    static const unsigned int max_log[] = { LL_MAX_LOG, OF_MAX_LOG,
                                            ML_MAX_LOG };
    struct seq_cell *t = kind == SEQ_LL ? zs.ll : kind == SEQ_OF ? zs.of : zs.ml;
    unsigned int *logp = kind == SEQ_LL ? &zs.ll_log :
                         kind == SEQ_OF ? &zs.of_log : &zs.ml_log;
    bool *ok = kind == SEQ_LL ? &zs.ll_ok : kind == SEQ_OF ? &zs.of_ok : &zs.ml_ok;
    int16_t normbuf[ML_MAX_SYM + 1];
    const int16_t *norm;
    uint16_t next[ML_MAX_SYM + 1];
    unsigned int log, nsym, u;
    long used = 0;
    char msg[80];
    int rc;

    switch ( mode )
    {
    case MODE_PREDEF:
        norm = kind == SEQ_LL ? ll_predef : kind == SEQ_OF ? of_predef : ml_predef;
        nsym = kind == SEQ_LL ? ARRAY_SIZE(ll_predef) :
               kind == SEQ_OF ? ARRAY_SIZE(of_predef) : ARRAY_SIZE(ml_predef);
        log = kind == SEQ_OF ? 5 : 6;
        break;

    case MODE_RLE:
        if ( len < 1 )
            return fail(z, -EINVAL, "truncated RLE sequence table");
        if ( p[0] > max_sym[kind] )
        {
            snprintf(msg, sizeof(msg), "%s RLE symbol out of range",
                     names[kind]);
            return fail(z, -EINVAL, msg);
        }
        u = p[0];
        t[0].nbits = 0;
        t[0].next = 0;
        t[0].base = kind == SEQ_LL ? ll_base[u] : kind == SEQ_ML ? ml_base[u] :
                    1u << u;
        t[0].addbits = kind == SEQ_LL ? ll_bits[u] : kind == SEQ_ML ? ml_bits[u] :
                       (uint8_t)u;
        *logp = 0;
        *ok = true;
        return 1;

    case MODE_FSE:
        used = fse_read_dist(z, p, len, normbuf, max_sym[kind], max_log[kind],
                             &log);
        if ( used < 0 )
            return used;
        norm = normbuf;
        nsym = max_sym[kind] + 1;
        break;

    default: /* MODE_REPEAT */
        if ( !*ok )
        {
            snprintf(msg, sizeof(msg), "repeated %s table without a previous one",
                     names[kind]);
            return fail(z, -EINVAL, msg);
        }
        return 0;
    }

    rc = fse_spread(z, norm, nsym, log, zs.spread, next);
    if ( rc )
        return rc;
    for ( u = 0; u < (1u << log); u++ )
    {
        unsigned int s = zs.spread[u];

        fse_cell_of(log, next, (uint8_t)s, &t[u].nbits, &t[u].next);
        if ( kind == SEQ_LL )
        {
            t[u].base = ll_base[s];
            t[u].addbits = ll_bits[s];
        }
        else if ( kind == SEQ_ML )
        {
            t[u].base = ml_base[s];
            t[u].addbits = ml_bits[s];
        }
        else
        {
            t[u].base = 1u << s;
            t[u].addbits = (uint8_t)s;
        }
    }
    *logp = log;
    *ok = true;
    return used;
}

static inline void copy8(uint8_t *d, const uint8_t *s)
{
    __builtin_memcpy(d, s, 8);
}

static inline void copy16(uint8_t *d, const uint8_t *s)
{
    __builtin_memcpy(d, s, 16);
}

/* Decode and execute the sequences section p[0..len) of a block. */
static int decode_sequences(struct zctx *z, const uint8_t *p, size_t len,
                            const uint8_t *lp, size_t lit_len,
                            const uint8_t *lit_safe)
{
    static const uint8_t spread_off[8] = { 0, 8, 8, 9, 8, 10, 12, 14 };
    const uint8_t *lend = lp + lit_len;
    uint8_t *op = z->op, *const oend = z->oend;
    uint8_t *const fstart = z->frame_start;
    uint64_t r0 = z->rep[0], r1 = z->rep[1], r2 = z->rep[2];
    unsigned int nseq, hl, modes, lls, mls, ofs;
    struct bitrd b;
    size_t q, rest;
    long used;
    int rc;

    if ( len < 1 )
        return fail(z, -EINVAL, "truncated sequences section");
    if ( p[0] < 128 )
    {
        nseq = p[0];
        hl = 1;
    }
    else if ( p[0] < 255 )
    {
        if ( len < 2 )
            return fail(z, -EINVAL, "truncated sequences header");
        nseq = ((p[0] - 128) << 8) + p[1];
        hl = 2;
    }
    else
    {
        if ( len < 3 )
            return fail(z, -EINVAL, "truncated sequences header");
        nseq = rd16(p + 1) + 0x7f00;
        hl = 3;
    }

    if ( nseq == 0 )
    {
        if ( hl != len )
            return fail(z, -EINVAL, "junk after an empty sequences section");
        goto last_literals;
    }

    if ( hl + 1 > len )
        return fail(z, -EINVAL, "truncated sequences header");
    modes = p[hl];
    if ( modes & 3 )
        return fail(z, -EINVAL, "reserved bits set in sequence modes");
    q = hl + 1;
    used = seq_table(z, SEQ_LL, modes >> 6, p + q, len - q);
    if ( used < 0 )
        return used;
    q += used;
    used = seq_table(z, SEQ_OF, (modes >> 4) & 3, p + q, len - q);
    if ( used < 0 )
        return used;
    q += used;
    used = seq_table(z, SEQ_ML, (modes >> 2) & 3, p + q, len - q);
    if ( used < 0 )
        return used;
    q += used;

    rc = br_init(z, &b, p + q, len - q);
    if ( rc )
        return rc;
    lls = br_read(&b, zs.ll_log);
    ofs = br_read(&b, zs.of_log);
    mls = br_read(&b, zs.ml_log);

    for ( ; nseq; nseq-- )
    {
        const struct seq_cell *lc = &zs.ll[lls], *mc = &zs.ml[mls];
        const struct seq_cell *oc = &zs.of[ofs];
        uint64_t off;
        size_t ll, ml;
        const uint8_t *s;
        uint8_t *d, *e;

        br_refill(&b);
        off = oc->base + br_read(&b, oc->addbits);
        ml = mc->base + br_read(&b, mc->addbits);
        br_refill(&b);
        ll = lc->base + br_read(&b, lc->addbits);

        if ( likely(off > 3) )
        {
            off -= 3;
            r2 = r1;
            r1 = r0;
            r0 = off;
        }
        else
        {
            unsigned int idx = (unsigned int)off - 1 + (ll == 0);

            if ( idx == 0 )
                off = r0;
            else
            {
                off = idx == 1 ? r1 : idx == 2 ? r2 : r0 - 1;
                if ( idx != 1 )
                    r2 = r1;
                r1 = r0;
                r0 = off;
                if ( unlikely(off == 0) )
                    return fail(z, -EINVAL, "zero repeat offset");
            }
        }

        if ( nseq > 1 )
        {
            lls = lc->next + br_read(&b, lc->nbits);
            mls = mc->next + br_read(&b, mc->nbits);
            ofs = oc->next + br_read(&b, oc->nbits);
        }

        if ( unlikely(ll > (size_t)(lend - lp)) )
            return fail(z, -EINVAL, "literals length beyond literals");
        if ( unlikely(ll + ml > (size_t)(oend - op)) )
            return fail(z, -ENOSPC, "output buffer too small");
        if ( unlikely(off > (size_t)(op - fstart) + ll) )
            return fail(z, -EINVAL, "offset beyond output start");

        if ( likely((size_t)(oend - op) >= ll + ml + COPY_SLACK &&
                    (size_t)(lit_safe - lp) >= ll + COPY_SLACK) )
        {
            /* Fast path: chunked copies may overshoot into the slack. */
            copy16(op, lp);
            if ( unlikely(ll > 16) )
            {
                d = op + 16;
                s = lp + 16;
                e = op + ll;
                do {
                    copy16(d, s);
                    d += 16;
                    s += 16;
                } while ( d < e );
            }
            op += ll;
            lp += ll;

            d = op;
            e = op + ml;
            s = op - off;
            if ( likely(off >= 16) )
            {
                do {
                    copy16(d, s);
                    d += 16;
                    s += 16;
                } while ( d < e );
            }
            else if ( off >= 8 )
            {
                do {
                    copy8(d, s);
                    d += 8;
                    s += 8;
                } while ( d < e );
            }
            else
            {
                /* Lay down one period, then copy from a multiple of it. */
                d[0] = s[0];
                d[1] = s[1];
                d[2] = s[2];
                d[3] = s[3];
                d[4] = s[4];
                d[5] = s[5];
                d[6] = s[6];
                d[7] = s[7];
                d += 8;
                s = d - spread_off[off];
                while ( d < e )
                {
                    copy8(d, s);
                    d += 8;
                    s += 8;
                }
            }
            op = e;
        }
        else
        {
            size_t i;

            memcpy(op, lp, ll);
            op += ll;
            lp += ll;
            s = op - off;
            for ( i = 0; i < ml; i++ )
                op[i] = s[i];
            op += ml;
        }
    }

    if ( !br_done(&b) )
        return fail(z, -EINVAL, "sequence bitstream not consumed exactly");

 last_literals:
    rest = lend - lp;
    if ( rest > (size_t)(oend - op) )
        return fail(z, -ENOSPC, "output buffer too small");
    memcpy(op, lp, rest);
    z->op = op + rest;
    z->rep[0] = r0;
    z->rep[1] = r1;
    z->rep[2] = r2;
    return 0;
}

/* -------------------------------------------------------------------------
 * Frames.
 */
static int decode_frame(struct zctx *z, const uint8_t *p, const uint8_t **endp)
{
    static const unsigned int did_size[4] = { 0, 1, 2, 4 };
    const uint8_t *const in_end = z->in_end;
    unsigned int fhd, fcs_flag, fcs_size, hdr;
    bool single, has_fcs, checksum;
    uint64_t window = 0, fcs = 0, did = 0;
    unsigned int i;
    int rc;

    p += 4;                                 /* magic */
    if ( in_end - p < 1 )
        return fail(z, -EINVAL, "truncated frame header");
    fhd = p[0];
    fcs_flag = fhd >> 6;
    single = fhd & 0x20;
    checksum = fhd & 0x04;
    if ( fhd & 0x08 )
        return fail(z, -EINVAL, "reserved bit set in frame header");
    fcs_size = fcs_flag ? 1u << fcs_flag : single;
    has_fcs = fcs_size != 0;
    hdr = 1 + !single + did_size[fhd & 3] + fcs_size;
    if ( (size_t)(in_end - p) < hdr )
        return fail(z, -EINVAL, "truncated frame header");
    p++;

    if ( !single )
    {
        unsigned int exp = p[0] >> 3, mant = p[0] & 7;
        uint64_t base = 1ULL << (10 + exp);

        window = base + (base >> 3) * mant;
        p++;
    }
    for ( i = 0; i < did_size[fhd & 3]; i++ )
        did |= (uint64_t)p[i] << (8 * i);
    p += did_size[fhd & 3];
    if ( did )
        return fail(z, -EINVAL, "dictionary not supported");
    for ( i = 0; i < fcs_size; i++ )
        fcs |= (uint64_t)p[i] << (8 * i);
    if ( fcs_size == 2 )
        fcs += 256;
    p += fcs_size;
    if ( single )
        window = fcs;

    if ( has_fcs && fcs > (uint64_t)(z->oend - z->op) )
        return fail(z, -ENOSPC, "output buffer too small for frame content");

    z->block_max = window < BLOCK_MAX ? (size_t)window : BLOCK_MAX;
    z->frame_start = z->op;
    z->rep[0] = 1;
    z->rep[1] = 4;
    z->rep[2] = 8;
    zs.huf_ok = zs.ll_ok = zs.ml_ok = zs.of_ok = false;

    for ( ;; )
    {
        uint32_t bh;
        unsigned int type;
        size_t bsize;

        if ( in_end - p < 3 )
            return fail(z, -EINVAL, "truncated block header");
        bh = rd24(p);
        p += 3;
        type = (bh >> 1) & 3;
        bsize = bh >> 3;
        if ( bsize > z->block_max )
            return fail(z, -EINVAL, "block larger than the maximum block size");

        switch ( type )
        {
        case BT_RAW:
            if ( bsize > (size_t)(in_end - p) )
                return fail(z, -EINVAL, "truncated raw block");
            if ( bsize > (size_t)(z->oend - z->op) )
                return fail(z, -ENOSPC, "output buffer too small");
            memcpy(z->op, p, bsize);
            z->op += bsize;
            p += bsize;
            break;

        case BT_RLE:
            if ( in_end - p < 1 )
                return fail(z, -EINVAL, "truncated RLE block");
            if ( bsize > (size_t)(z->oend - z->op) )
                return fail(z, -ENOSPC, "output buffer too small");
            memset(z->op, p[0], bsize);
            z->op += bsize;
            p += 1;
            break;

        case BT_COMPRESSED:
        {
            const uint8_t *lit = NULL, *lit_safe = NULL;
            size_t lit_len = 0;
            long used;

            if ( bsize > (size_t)(in_end - p) )
                return fail(z, -EINVAL, "truncated compressed block");
            used = decode_literals(z, p, bsize, &lit, &lit_len, &lit_safe);
            if ( used < 0 )
                return used;
            rc = decode_sequences(z, p + used, bsize - used, lit, lit_len,
                                  lit_safe);
            if ( rc )
                return rc;
            p += bsize;
            break;
        }

        default:
            return fail(z, -EINVAL, "reserved block type");
        }

        if ( bh & 1 )
            break;
    }

    if ( has_fcs && (uint64_t)(z->op - z->frame_start) != fcs )
        return fail(z, -EINVAL, "frame content size mismatch");

    if ( checksum )
    {
        uint32_t want, got;

        if ( in_end - p < 4 )
            return fail(z, -EINVAL, "truncated content checksum");
        want = rd32(p);
        got = (uint32_t)xxh64(z->frame_start, z->op - z->frame_start, 0);
        if ( want != got )
            return fail(z, -EINVAL, "checksum mismatch");
        p += 4;
    }
    *endp = p;
    return 0;
}

int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
           size_t *out_len, char *err, size_t errlen)
{
    struct zctx z = {
        .in_end = in + in_len,
        .out = out, .oend = out + out_cap, .op = out,
        .err = err, .errlen = errlen,
    };
    const uint8_t *p = in;
    unsigned int frames = 0;

    if ( err && errlen )
        err[0] = '\0';
    *out_len = 0;

    for ( ;; )
    {
        size_t rem = z.in_end - p;
        uint32_t magic;
        int rc;

        if ( rem < 4 )
        {
            if ( frames == 0 )
                return fail(&z, -EINVAL, "input too short for a frame");
            break;
        }
        magic = rd32(p);
        if ( magic == ZSTD_MAGIC )
        {
            rc = decode_frame(&z, p, &p);
            if ( rc )
                return rc;
        }
        else if ( (magic & SKIP_MAGIC_MASK) == SKIP_MAGIC )
        {
            uint32_t size;

            if ( rem < 8 )
                return fail(&z, -EINVAL, "truncated skippable frame");
            size = rd32(p + 4);
            if ( size > rem - 8 )
                return fail(&z, -EINVAL, "truncated skippable frame");
            p += 8 + (size_t)size;
        }
        else
        {
            if ( frames == 0 )
                return fail(&z, -EINVAL, "bad magic (not a zstd frame)");
            break;  /* trailing bytes, e.g. Linux's appended size */
        }
        frames++;
    }

    *out_len = z.op - out;
    return 0;
}
