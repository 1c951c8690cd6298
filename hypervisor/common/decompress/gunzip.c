/*
 * One-shot gzip decompressor (see include/xenia/decompress.h).
 *
 * Container: RFC 1952 (gzip member header, CRC-32 and ISIZE trailer), one
 * or more members. Payload: RFC 1951 deflate, stored, fixed and dynamic
 * Huffman blocks. The output buffer is the history window.
 *
 * Huffman codes are decoded with two-level tables: a primary table indexed
 * by the next ROOT input bits, whose entries are either a symbol (with its
 * code length) or a link to a sub-table indexed by the bits that follow.
 * Deflate packs Huffman codes most significant bit first into an LSB-first
 * bit stream, so table indices are the bit-reversed codes.
 */
#include <xenia/types.h>
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define MAX_BITS        15      /* longest deflate code */
#define LIT_ROOT        10
#define DIST_ROOT       8
#define CL_ROOT         7       /* code-length codes are at most 7 bits */
/*
 * Table capacities: the primary table plus, at worst, one sub-table of
 * 2^(15 - root) entries for every code longer than the root (286 literal/
 * length codes, 30 distance codes). The builder checks them anyway.
 */
#define LIT_TAB_SIZE    ((1u << LIT_ROOT) + 286 * (1u << (MAX_BITS - LIT_ROOT)))
#define DIST_TAB_SIZE   ((1u << DIST_ROOT) + 30 * (1u << (MAX_BITS - DIST_ROOT)))
#define CL_TAB_SIZE     (1u << CL_ROOT)

/* Table entry: value << 16 | kind << 8 | bits. */
#define ENT(val, kind, bits)  (((uint32_t)(val) << 16) | ((kind) << 8) | (bits))
#define ENT_VAL(e)      ((e) >> 16)
#define ENT_KIND(e)     (((e) >> 8) & 0xff)
#define ENT_BITS(e)     ((e) & 0xff)
#define K_BAD           0       /* no code maps here (incomplete code) */
#define K_SYM           1       /* symbol; bits = code length (past root) */
#define K_LINK          2       /* sub-table at value, bits = index width */

struct inflate {
    const uint8_t *in;
    size_t in_len, pos;         /* next byte not yet in the bit buffer */
    uint64_t buf;               /* low 'cnt' bits are unread input */
    unsigned int cnt;
    uint8_t *out;
    size_t cap, o, start;       /* capacity, write offset, member start */
    char *err;
    size_t errlen;
};

static int fail(struct inflate *s, int rc, const char *msg)
{
    if ( s->err && s->errlen )
        snprintf(s->err, s->errlen, "gzip: %s", msg);
    return rc;
}

static inline uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * Tops the bit buffer up to at least 56 bits (never past 63), or to whatever input is
 * left. With 8 bytes to spare it loads a whole word: the bits above 'cnt'
 * then hold the start of the next byte, which the next load ORs in again
 * at the same place, so they never disagree with the input.
 */
static inline void refill(struct inflate *s)
{
    if ( likely(s->in_len - s->pos >= 8) )
    {
        s->buf |= get_le64(s->in + s->pos) << s->cnt;
        s->pos += (63 - s->cnt) >> 3;
        s->cnt |= 56;
        return;
    }
    while ( s->cnt < 56 && s->pos < s->in_len )
    {
        s->buf |= (uint64_t)s->in[s->pos++] << s->cnt;
        s->cnt += 8;
    }
}

/* Takes n (<= 32) bits that refill() has already made available. */
static inline int take(struct inflate *s, unsigned int n, uint32_t *v)
{
    if ( unlikely(n > s->cnt) )
        return fail(s, -EINVAL, "truncated deflate stream");
    *v = (uint32_t)(s->buf & ((1ull << n) - 1));
    s->buf >>= n;
    s->cnt -= n;
    return 0;
}

static int bits(struct inflate *s, unsigned int n, uint32_t *v)
{
    if ( s->cnt < n )
        refill(s);
    return take(s, n, v);
}

/*
 * Drops the bits up to the next byte boundary and gives the whole bytes
 * still in the bit buffer back to the input, so s->pos is the next byte.
 */
static void align_to_byte(struct inflate *s)
{
    s->cnt &= ~7u;
    s->pos -= s->cnt >> 3;
    s->buf = 0;
    s->cnt = 0;
}

static unsigned int reverse(unsigned int code, unsigned int len)
{
    unsigned int r = 0;

    while ( len-- )
    {
        r = (r << 1) | (code & 1);
        code >>= 1;
    }
    return r;
}

/*
 * Builds a decoding table for the canonical code with the given code
 * lengths (0 = symbol unused). Over-subscribed codes are rejected;
 * incomplete ones are accepted and their unused codes decode as errors.
 */
static int build(struct inflate *s, uint32_t *tab, size_t tab_size,
                 unsigned int root, const uint8_t *lens, unsigned int n)
{
    uint16_t count[MAX_BITS + 1], offs[MAX_BITS + 2];
    uint16_t sorted[320];
    unsigned int i, len, maxlen = 0, code, next, sym;
    int left;

    memset(count, 0, sizeof(count));
    for ( i = 0; i < n; i++ )
        count[lens[i]]++;
    left = 1;
    for ( len = 1; len <= MAX_BITS; len++ )
    {
        left = (left << 1) - count[len];
        if ( left < 0 )
            return fail(s, -EINVAL, "over-subscribed Huffman code");
        if ( count[len] )
            maxlen = len;
    }

    offs[1] = 0;
    for ( len = 1; len <= MAX_BITS; len++ )
        offs[len + 1] = offs[len] + count[len];
    for ( i = 0; i < n; i++ )
        if ( lens[i] )
            sorted[offs[lens[i]]++] = i;

    for ( i = 0; i < (1u << root); i++ )
        tab[i] = ENT(0, K_BAD, 0);
    next = 1u << root;

    /* count[] now counts the codes of each length not yet placed. */
    code = 0;
    len = 0;
    for ( i = 0; i < (unsigned int)(offs[MAX_BITS + 1]); i++ )
    {
        unsigned int l, rev, step, k;

        sym = sorted[i];
        l = lens[sym];
        if ( len )
            code = (code + 1) << (l - len);
        len = l;
        rev = reverse(code, l);

        if ( l <= root )
        {
            for ( k = rev; k < (1u << root); k += 1u << l )
                tab[k] = ENT(sym, K_SYM, l);
        }
        else
        {
            unsigned int low = rev & ((1u << root) - 1);
            uint32_t link = tab[low];
            unsigned int sub, sbits;

            if ( ENT_KIND(link) != K_LINK )
            {
                /* Smallest sub-table the codes sharing this prefix fill. */
                unsigned int curr = l - root;
                int room = 1 << curr;

                while ( curr + root < maxlen )
                {
                    room -= count[curr + root];
                    if ( room <= 0 )
                        break;
                    curr++;
                    room <<= 1;
                }
                if ( next + (1u << curr) > tab_size )
                    return fail(s, -EINVAL, "Huffman table too large");
                link = ENT(next, K_LINK, curr);
                tab[low] = link;
                for ( k = 0; k < (1u << curr); k++ )
                    tab[next + k] = ENT(0, K_BAD, 0);
                next += 1u << curr;
            }
            sub = ENT_VAL(link);
            sbits = ENT_BITS(link);
            if ( l - root > sbits )
                return fail(s, -EINVAL, "malformed Huffman code");
            step = 1u << (l - root);
            for ( k = rev >> root; k < (1u << sbits); k += step )
                tab[sub + k] = ENT(sym, K_SYM, l - root);
        }
        count[l]--;
    }
    return 0;
}

/* Decodes one symbol; at least MAX_BITS bits should have been refilled. */
static inline int decode(struct inflate *s, const uint32_t *tab,
                         unsigned int root, unsigned int *sym)
{
    uint32_t e = tab[s->buf & ((1u << root) - 1)];
    unsigned int n;

    if ( ENT_KIND(e) == K_LINK )
    {
        e = tab[ENT_VAL(e) + ((s->buf >> root) & ((1u << ENT_BITS(e)) - 1))];
        n = root + ENT_BITS(e);
    }
    else
        n = ENT_BITS(e);
    if ( unlikely(ENT_KIND(e) != K_SYM) )
    {
        if ( s->pos == s->in_len )
            return fail(s, -EINVAL, "truncated deflate stream");
        return fail(s, -EINVAL, "invalid Huffman code");
    }
    if ( unlikely(n > s->cnt) )
        return fail(s, -EINVAL, "truncated deflate stream");
    s->buf >>= n;
    s->cnt -= n;
    *sym = ENT_VAL(e);
    return 0;
}

static const uint16_t len_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258
};
static const uint8_t len_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
};
static const uint16_t dist_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577
};
static const uint8_t dist_extra[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
    7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13
};

/* Static storage: boot is single-threaded, unit tests too. */
static uint32_t lit_tab[LIT_TAB_SIZE], dist_tab[DIST_TAB_SIZE];
static uint32_t fixed_lit[1u << LIT_ROOT], fixed_dist[1u << DIST_ROOT];
static bool fixed_ready;

/* Decodes one Huffman-coded block's symbols up to end-of-block. */
static int inflate_codes(struct inflate *s, const uint32_t *lt,
                         const uint32_t *dt)
{
    uint8_t *out = s->out;
    size_t o = s->o, cap = s->cap;
    unsigned int sym;
    uint32_t v;
    int rc;

    for ( ;; )
    {
        size_t len, dist;

        refill(s);
        rc = decode(s, lt, LIT_ROOT, &sym);
        if ( rc )
            goto out;
        if ( sym < 256 )
        {
            if ( unlikely(o >= cap) )
            {
                rc = fail(s, -ENOSPC, "output larger than the buffer");
                goto out;
            }
            out[o++] = sym;
            continue;
        }
        if ( sym == 256 )
            break;
        sym -= 257;
        if ( unlikely(sym >= 29) )
        {
            rc = fail(s, -EINVAL, "invalid length code");
            goto out;
        }
        rc = take(s, len_extra[sym], &v);
        if ( rc )
            goto out;
        len = len_base[sym] + v;

        /* At most 15 + 5 bits used since the refill; 36 are left. */
        rc = decode(s, dt, DIST_ROOT, &sym);
        if ( rc )
            goto out;
        if ( unlikely(sym >= 30) )
        {
            rc = fail(s, -EINVAL, "invalid distance code");
            goto out;
        }
        rc = take(s, dist_extra[sym], &v);
        if ( rc )
            goto out;
        dist = dist_base[sym] + v;

        if ( unlikely(dist > o - s->start) )
        {
            rc = fail(s, -EINVAL, "distance beyond output start");
            goto out;
        }
        if ( unlikely(len > cap - o) )
        {
            rc = fail(s, -ENOSPC, "output larger than the buffer");
            goto out;
        }
        if ( dist >= len )
            memcpy(out + o, out + o - dist, len);
        else if ( dist == 1 )
            memset(out + o, out[o - 1], len);
        else
        {
            uint8_t *d = out + o;
            const uint8_t *src = d - dist;
            size_t i;

            for ( i = 0; i < len; i++ )
                d[i] = src[i];
        }
        o += len;
    }
    rc = 0;
 out:
    s->o = o;
    return rc;
}

static int inflate_stored(struct inflate *s)
{
    size_t len;

    align_to_byte(s);
    if ( s->in_len - s->pos < 4 )
        return fail(s, -EINVAL, "truncated stored block header");
    len = s->in[s->pos] | (s->in[s->pos + 1] << 8);
    if ( (len ^ 0xffff) !=
         (size_t)(s->in[s->pos + 2] | (s->in[s->pos + 3] << 8)) )
        return fail(s, -EINVAL, "stored block length check failed");
    s->pos += 4;
    if ( len > s->in_len - s->pos )
        return fail(s, -EINVAL, "truncated stored block");
    if ( len > s->cap - s->o )
        return fail(s, -ENOSPC, "output larger than the buffer");
    memcpy(s->out + s->o, s->in + s->pos, len);
    s->o += len;
    s->pos += len;
    return 0;
}

static int build_fixed(struct inflate *s)
{
    uint8_t lens[288];
    unsigned int i;
    int rc;

    if ( fixed_ready )
        return 0;
    for ( i = 0; i < 144; i++ )
        lens[i] = 8;
    for ( ; i < 256; i++ )
        lens[i] = 9;
    for ( ; i < 280; i++ )
        lens[i] = 7;
    for ( ; i < 288; i++ )
        lens[i] = 8;
    rc = build(s, fixed_lit, 1u << LIT_ROOT, LIT_ROOT, lens, 288);
    if ( rc )
        return rc;
    for ( i = 0; i < 32; i++ )
        lens[i] = 5;
    rc = build(s, fixed_dist, 1u << DIST_ROOT, DIST_ROOT, lens, 32);
    if ( rc )
        return rc;
    fixed_ready = true;
    return 0;
}

static int inflate_dynamic(struct inflate *s)
{
    static const uint8_t order[19] = {
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
    };
    uint32_t cl_tab[CL_TAB_SIZE];
    uint8_t lens[286 + 30];
    uint32_t hlit, hdist, hclen, v;
    unsigned int i, n, sym;
    int rc;

    if ( (rc = bits(s, 5, &hlit)) || (rc = bits(s, 5, &hdist)) ||
         (rc = bits(s, 4, &hclen)) )
        return rc;
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if ( hlit > 286 || hdist > 30 )
        return fail(s, -EINVAL, "too many length or distance codes");

    memset(lens, 0, sizeof(lens));
    for ( i = 0; i < hclen; i++ )
    {
        if ( (rc = bits(s, 3, &v)) )
            return rc;
        lens[order[i]] = v;
    }
    rc = build(s, cl_tab, CL_TAB_SIZE, CL_ROOT, lens, 19);
    if ( rc )
        return rc;

    n = hlit + hdist;
    memset(lens, 0, sizeof(lens));
    for ( i = 0; i < n; )
    {
        unsigned int rep;
        uint8_t val;

        refill(s);
        if ( (rc = decode(s, cl_tab, CL_ROOT, &sym)) )
            return rc;
        if ( sym < 16 )
        {
            lens[i++] = sym;
            continue;
        }
        if ( sym == 16 )
        {
            if ( i == 0 )
                return fail(s, -EINVAL, "repeat with no previous length");
            val = lens[i - 1];
            if ( (rc = take(s, 2, &v)) )
                return rc;
            rep = 3 + v;
        }
        else if ( sym == 17 )
        {
            val = 0;
            if ( (rc = take(s, 3, &v)) )
                return rc;
            rep = 3 + v;
        }
        else
        {
            val = 0;
            if ( (rc = take(s, 7, &v)) )
                return rc;
            rep = 11 + v;
        }
        if ( rep > n - i )
            return fail(s, -EINVAL, "code lengths overrun the table");
        while ( rep-- )
            lens[i++] = val;
    }
    if ( lens[256] == 0 )
        return fail(s, -EINVAL, "no end-of-block code");

    rc = build(s, lit_tab, LIT_TAB_SIZE, LIT_ROOT, lens, hlit);
    if ( rc )
        return rc;
    rc = build(s, dist_tab, DIST_TAB_SIZE, DIST_ROOT, lens + hlit, hdist);
    if ( rc )
        return rc;
    return inflate_codes(s, lit_tab, dist_tab);
}

static int inflate(struct inflate *s)
{
    uint32_t final, type;
    int rc;

    do {
        if ( (rc = bits(s, 1, &final)) || (rc = bits(s, 2, &type)) )
            return rc;
        switch ( type )
        {
        case 0:
            rc = inflate_stored(s);
            break;
        case 1:
            rc = build_fixed(s);
            if ( !rc )
                rc = inflate_codes(s, fixed_lit, fixed_dist);
            break;
        case 2:
            rc = inflate_dynamic(s);
            break;
        default:
            rc = fail(s, -EINVAL, "invalid block type");
            break;
        }
        if ( rc )
            return rc;
    } while ( !final );
    align_to_byte(s);
    return 0;
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320), slice-by-8. */
static uint32_t crc_tab[8][256];
static bool crc_ready;

static void crc_init(void)
{
    unsigned int i, j;

    for ( i = 0; i < 256; i++ )
    {
        uint32_t c = i;

        for ( j = 0; j < 8; j++ )
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        crc_tab[0][i] = c;
    }
    for ( i = 0; i < 256; i++ )
        for ( j = 1; j < 8; j++ )
            crc_tab[j][i] = (crc_tab[j - 1][i] >> 8) ^
                            crc_tab[0][crc_tab[j - 1][i] & 0xff];
    crc_ready = true;
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    if ( !crc_ready )
        crc_init();
    crc = ~crc;
    while ( n >= 8 )
    {
        uint32_t a = crc ^ get_le32(p), b = get_le32(p + 4);

        crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^
              crc_tab[5][(a >> 16) & 0xff] ^ crc_tab[4][a >> 24] ^
              crc_tab[3][b & 0xff] ^ crc_tab[2][(b >> 8) & 0xff] ^
              crc_tab[1][(b >> 16) & 0xff] ^ crc_tab[0][b >> 24];
        p += 8;
        n -= 8;
    }
    while ( n-- )
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

#define FTEXT       0x01
#define FHCRC       0x02
#define FEXTRA      0x04
#define FNAME       0x08
#define FCOMMENT    0x10
#define FRESERVED   0xe0

/* Skips a zero-terminated header field; fails if it runs off the input. */
static int skip_string(struct inflate *s, const char *what)
{
    while ( s->pos < s->in_len )
        if ( s->in[s->pos++] == 0 )
            return 0;
    return fail(s, -EINVAL, what);
}

/* Decodes one gzip member starting at s->pos. */
static int member(struct inflate *s)
{
    const uint8_t *h = s->in + s->pos;
    size_t hstart = s->pos;
    uint8_t flg;
    uint32_t crc, isize;
    int rc;

    if ( s->in_len - s->pos < 10 )
        return fail(s, -EINVAL, "truncated header");
    if ( h[0] != 0x1f || h[1] != 0x8b )
        return fail(s, -EINVAL, "bad magic (not gzip data)");
    if ( h[2] != 8 )
        return fail(s, -EINVAL, "unsupported compression method");
    flg = h[3];
    if ( flg & FRESERVED )
        return fail(s, -EINVAL, "reserved header flags set");
    s->pos += 10;

    if ( flg & FEXTRA )
    {
        size_t xlen;

        if ( s->in_len - s->pos < 2 )
            return fail(s, -EINVAL, "truncated extra field");
        xlen = s->in[s->pos] | (s->in[s->pos + 1] << 8);
        s->pos += 2;
        if ( xlen > s->in_len - s->pos )
            return fail(s, -EINVAL, "truncated extra field");
        s->pos += xlen;
    }
    if ( (flg & FNAME) && (rc = skip_string(s, "truncated file name")) )
        return rc;
    if ( (flg & FCOMMENT) && (rc = skip_string(s, "truncated comment")) )
        return rc;
    if ( flg & FHCRC )
    {
        uint32_t want;

        if ( s->in_len - s->pos < 2 )
            return fail(s, -EINVAL, "truncated header CRC");
        want = s->in[s->pos] | (s->in[s->pos + 1] << 8);
        if ( (crc32(0, s->in + hstart, s->pos - hstart) & 0xffff) != want )
            return fail(s, -EINVAL, "header CRC mismatch");
        s->pos += 2;
    }

    s->start = s->o;
    s->buf = 0;
    s->cnt = 0;
    rc = inflate(s);
    if ( rc )
        return rc;

    if ( s->in_len - s->pos < 8 )
        return fail(s, -EINVAL, "truncated trailer");
    crc = get_le32(s->in + s->pos);
    isize = get_le32(s->in + s->pos + 4);
    s->pos += 8;
    if ( crc32(0, s->out + s->start, s->o - s->start) != crc )
        return fail(s, -EINVAL, "CRC-32 mismatch");
    if ( (uint32_t)(s->o - s->start) != isize )
        return fail(s, -EINVAL, "length (ISIZE) mismatch");
    return 0;
}

/*
 * Smallest possible member: 10-byte header, an empty fixed block padded to
 * 2 bytes, 8-byte trailer. Anything shorter after a member is trailing
 * data (such as the 4-byte size the kernel build appends).
 */
#define MIN_MEMBER  20

int gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
           size_t *out_len, char *err, size_t errlen)
{
    struct inflate s = {
        .in = in, .in_len = in_len, .out = out, .cap = out_cap,
        .err = err, .errlen = errlen,
    };
    int rc;

    if ( out_len )
        *out_len = 0;
    if ( err && errlen )
        err[0] = '\0';
    do {
        rc = member(&s);
        if ( rc )
            return rc;
    } while ( in_len - s.pos >= MIN_MEMBER && in[s.pos] == 0x1f &&
              in[s.pos + 1] == 0x8b && in[s.pos + 2] == 8 );
    if ( out_len )
        *out_len = s.o;
    return 0;
}
