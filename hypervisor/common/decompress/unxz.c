/*
 * One-shot decoders for .xz (LZMA2, optionally behind the x86 BCJ filter)
 * and for legacy .lzma ("LZMA alone") files, written from the .xz file
 * format specification and the LZMA/LZMA2 format descriptions.
 *
 * The output buffer is the whole history window: a match copies from bytes
 * already written to it, so nothing is allocated. The probability tables of
 * the one LZMA decoder live in static storage (boot is single-threaded).
 *
 * Every length read from the input is checked against what is left of the
 * input, every distance against what has been written, and every write
 * against the end of the output buffer.
 */
#include <xenia/types.h>
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

/* ------------------------------------------------------------------ */
/* Error reporting                                                      */

struct dctx
{
    char *err;
    size_t errlen;
};

static int __printf(3, 4) dfail(struct dctx *c, int rc, const char *fmt, ...)
{
    va_list ap;

    if ( c->err && c->errlen )
    {
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t get_le64(const uint8_t *p)
{
    return get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

/* ------------------------------------------------------------------ */
/* CRC-32 (IEEE 802.3, reflected) and CRC-64 (ECMA-182, reflected)      */

#define CRC32_POLY 0xedb88320u
#define CRC64_POLY 0xc96c5795d7870f42ull

/* crc32_tab[k][b]: CRC of byte b followed by k zero bytes (slicing by 4). */
static uint32_t crc32_tab[4][256];
static uint64_t crc64_tab[256];
static bool crc_ready;

static void crc_init(void)
{
    unsigned int i, k;

    if ( crc_ready )
        return;
    for ( i = 0; i < 256; i++ )
    {
        uint32_t c = i;
        uint64_t d = i;

        for ( k = 0; k < 8; k++ )
        {
            c = (c >> 1) ^ (CRC32_POLY & (0u - (c & 1)));
            d = (d >> 1) ^ (CRC64_POLY & (0ull - (d & 1)));
        }
        crc32_tab[0][i] = c;
        crc64_tab[i] = d;
    }
    for ( i = 0; i < 256; i++ )
        for ( k = 1; k < 4; k++ )
            crc32_tab[k][i] = (crc32_tab[k - 1][i] >> 8) ^
                              crc32_tab[0][crc32_tab[k - 1][i] & 0xff];
    crc_ready = true;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while ( n >= 4 )
    {
        crc ^= get_le32(p);
        crc = crc32_tab[3][crc & 0xff] ^ crc32_tab[2][(crc >> 8) & 0xff] ^
              crc32_tab[1][(crc >> 16) & 0xff] ^ crc32_tab[0][crc >> 24];
        p += 4;
        n -= 4;
    }
    while ( n-- )
        crc = (crc >> 8) ^ crc32_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

static uint64_t crc64_update(uint64_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while ( n-- )
        crc = (crc >> 8) ^ crc64_tab[(crc ^ *p++) & 0xff];
    return ~crc;
}

/* ------------------------------------------------------------------ */
/* The LZMA decoder                                                     */

#define LZ_STATES       12
#define LZ_LIT_STATES   7       /* states below this follow a literal */
#define LZ_POS_MAX      16      /* 1 << pb, pb <= 4 */
#define LZ_LIT_SIZE     0x300   /* probabilities per literal coder */
#define LZ_LCLP_MAX     4       /* lc + lp limit (LZMA2's; ours for .lzma) */
#define LZ_DIST_STATES  4
#define LZ_DIST_SLOTS   64
#define LZ_END_POS      14      /* first slot with directly coded bits */
#define LZ_FULL_DIST    128
#define LZ_ALIGN_BITS   4
#define LZ_MATCH_MIN    2

#define PROB_BITS       11
#define PROB_ONE        (1u << PROB_BITS)
#define PROB_SHIFT      5
#define RC_TOP          (1u << 24)

struct lz_len_probs
{
    uint16_t choice;
    uint16_t choice2;
    uint16_t low[LZ_POS_MAX][8];
    uint16_t mid[LZ_POS_MAX][8];
    uint16_t high[256];
};

struct lz_probs
{
    uint16_t is_match[LZ_STATES][LZ_POS_MAX];
    uint16_t is_rep[LZ_STATES];
    uint16_t is_rep0[LZ_STATES];
    uint16_t is_rep1[LZ_STATES];
    uint16_t is_rep2[LZ_STATES];
    uint16_t is_rep0_long[LZ_STATES][LZ_POS_MAX];
    uint16_t dist_slot[LZ_DIST_STATES][LZ_DIST_SLOTS];
    /* Reverse bit trees of slots 4..13, indexed from 1 (see lz_run). */
    uint16_t dist_special[LZ_FULL_DIST - LZ_END_POS + 1];
    uint16_t dist_align[1 << LZ_ALIGN_BITS];
    struct lz_len_probs match_len;
    struct lz_len_probs rep_len;
    uint16_t literal[LZ_LIT_SIZE << LZ_LCLP_MAX];
};

struct lz_dec
{
    struct lz_probs p;
    unsigned int lc, lp, pb;
    uint32_t state;
    uint32_t rep0, rep1, rep2, rep3;
};

/* Range decoder input: [ip, iend). Reading past iend sets 'overrun'. */
struct rc
{
    const uint8_t *ip;
    const uint8_t *iend;
    uint32_t range;
    uint32_t code;
    bool overrun;
};

static struct lz_dec lzd;

/* lz_run results */
#define LZ_DONE     0   /* reached the output limit */
#define LZ_EOPM     1   /* end-of-payload marker seen */
#define LZ_TRUNC    2   /* ran out of input */
#define LZ_LIMIT    3   /* a symbol would write past the output limit */
#define LZ_BADDIST  4   /* a distance reaches before the window */
#define LZ_BADEOPM  5   /* an end marker where none is allowed */

/* Sets lc/lp/pb from the properties byte; false if out of range. */
static bool lz_set_props(struct lz_dec *s, unsigned int props)
{
    if ( props >= 9 * 5 * 5 )
        return false;
    s->lc = props % 9;
    props /= 9;
    s->lp = props % 5;
    s->pb = props / 5;
    return s->lc + s->lp <= LZ_LCLP_MAX;
}

static void lz_reset(struct lz_dec *s)
{
    uint16_t *p = (uint16_t *)&s->p;
    size_t i, n;

    n = (offsetof(struct lz_probs, literal) / sizeof(uint16_t)) +
        ((size_t)LZ_LIT_SIZE << (s->lc + s->lp));
    for ( i = 0; i < n; i++ )
        p[i] = PROB_ONE / 2;
    s->state = 0;
    s->rep0 = s->rep1 = s->rep2 = s->rep3 = 0;
}

/* Starts the range decoder on [p, end); false if short or not 0x00-led. */
static bool rc_init(struct rc *rc, const uint8_t *p, const uint8_t *end)
{
    if ( end - p < 5 || p[0] != 0 )
        return false;
    rc->code = ((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) |
               ((uint32_t)p[3] << 8) | p[4];
    rc->range = 0xffffffffu;
    rc->ip = p + 5;
    rc->iend = end;
    rc->overrun = false;
    return true;
}

/*
 * The bit decoder, on local copies of the range coder (range, code, ip,
 * iend, overrun) so that they stay in registers across the whole loop.
 */
#define RC_NORM()                                                       \
    (unlikely(range < RC_TOP) ?                                         \
     (void)(range <<= 8,                                                \
            code = likely(ip < iend) ? (code << 8) | *ip++              \
                                     : (overrun = true, code << 8))     \
     : (void)0)

/* if ( RC_IS0(p) ) { RC_ACK0(p); ... } else { RC_ACK1(p); ... } */
#define RC_IS0(p)   (RC_NORM(), bound = (range >> PROB_BITS) * *(p), code < bound)
#define RC_ACK0(p)  (range = bound, *(p) += (PROB_ONE - *(p)) >> PROB_SHIFT)
#define RC_ACK1(p)  (range -= bound, code -= bound, *(p) -= *(p) >> PROB_SHIFT)

/* One bit of a bit tree: sym = sym * 2 + bit, using probability p. */
#define RC_TREE_BIT(p, sym)                                             \
    do {                                                                \
        uint16_t *p_ = (p);                                             \
        if ( RC_IS0(p_) )                                               \
        {                                                               \
            RC_ACK0(p_);                                                \
            (sym) <<= 1;                                                \
        }                                                               \
        else                                                            \
        {                                                               \
            RC_ACK1(p_);                                                \
            (sym) = ((sym) << 1) | 1;                                   \
        }                                                               \
    } while ( 0 )

/* One bit of a reverse bit tree: bit 'i' of 'val', tree node m. */
#define RC_REV_BIT(probs, m, val, i)                                    \
    do {                                                                \
        uint16_t *p_ = (probs) + (m);                                   \
        if ( RC_IS0(p_) )                                               \
        {                                                               \
            RC_ACK0(p_);                                                \
            (m) <<= 1;                                                  \
        }                                                               \
        else                                                            \
        {                                                               \
            RC_ACK1(p_);                                                \
            (m) = ((m) << 1) | 1;                                       \
            (val) |= 1u << (i);                                         \
        }                                                               \
    } while ( 0 )

/* Match length (2..273) from one of the two length coders. */
#define LZ_LEN(lp, len)                                                 \
    do {                                                                \
        struct lz_len_probs *l_ = (lp);                                 \
        uint32_t s_ = 1;                                                \
        if ( RC_IS0(&l_->choice) )                                      \
        {                                                               \
            RC_ACK0(&l_->choice);                                       \
            RC_TREE_BIT(l_->low[pos_state] + s_, s_);                   \
            RC_TREE_BIT(l_->low[pos_state] + s_, s_);                   \
            RC_TREE_BIT(l_->low[pos_state] + s_, s_);                   \
            (len) = s_ - 8 + LZ_MATCH_MIN;                              \
        }                                                               \
        else                                                            \
        {                                                               \
            RC_ACK1(&l_->choice);                                       \
            if ( RC_IS0(&l_->choice2) )                                 \
            {                                                           \
                RC_ACK0(&l_->choice2);                                  \
                RC_TREE_BIT(l_->mid[pos_state] + s_, s_);               \
                RC_TREE_BIT(l_->mid[pos_state] + s_, s_);               \
                RC_TREE_BIT(l_->mid[pos_state] + s_, s_);               \
                (len) = s_ - 8 + LZ_MATCH_MIN + 8;                      \
            }                                                           \
            else                                                        \
            {                                                           \
                RC_ACK1(&l_->choice2);                                  \
                do {                                                    \
                    RC_TREE_BIT(l_->high + s_, s_);                     \
                } while ( s_ < 0x100 );                                 \
                (len) = s_ - 0x100 + LZ_MATCH_MIN + 16;                 \
            }                                                           \
        }                                                               \
    } while ( 0 )

/*
 * Decodes LZMA symbols into dict[], which holds *dposp bytes of history
 * (everything since the last dictionary reset), until dict[dlimit] would
 * be written. With eopm set the data may end with an end marker, which is
 * then looked for even at dlimit. Returns one of LZ_*.
 */
static int lz_run(struct lz_dec *s, struct rc *rc, uint8_t *dict,
                  size_t *dposp, size_t dlimit, bool eopm)
{
    struct lz_probs *P = &s->p;
    const uint8_t *ip = rc->ip;
    const uint8_t *iend = rc->iend;
    uint32_t range = rc->range;
    uint32_t code = rc->code;
    bool overrun = rc->overrun;
    uint32_t bound;
    uint32_t state = s->state;
    uint32_t rep0 = s->rep0, rep1 = s->rep1, rep2 = s->rep2, rep3 = s->rep3;
    const uint32_t pb_mask = (1u << s->pb) - 1;
    const uint32_t lp_mask = (1u << s->lp) - 1;
    const unsigned int lc = s->lc;
    size_t dpos = *dposp;
    int ret;

    for ( ;; )
    {
        uint32_t pos_state, len, sym;
        uint16_t *prob;

        if ( unlikely(overrun) )
        {
            ret = LZ_TRUNC;
            break;
        }
        if ( dpos >= dlimit && !eopm )
        {
            ret = LZ_DONE;
            break;
        }

        pos_state = dpos & pb_mask;
        prob = &P->is_match[state][pos_state];
        if ( RC_IS0(prob) )
        {
            uint32_t prev = dpos ? dict[dpos - 1] : 0;

            RC_ACK0(prob);
            prob = P->literal +
                   LZ_LIT_SIZE * ((((uint32_t)dpos & lp_mask) << lc) +
                                  (prev >> (8 - lc)));
            sym = 1;
            if ( state < LZ_LIT_STATES )
            {
                do {
                    RC_TREE_BIT(prob + sym, sym);
                } while ( sym < 0x100 );
            }
            else
            {
                /*
                 * After a match: while the decoded bits agree with the byte
                 * at distance rep0, use the probabilities of that case.
                 * rep0 < dpos holds here: state >= 7 only after a match
                 * that was checked, and resets clear the state.
                 */
                uint32_t mbyte = dict[dpos - rep0 - 1];
                uint32_t offs = 0x100;

                do {
                    uint32_t mbit;
                    uint16_t *p_;

                    mbyte <<= 1;
                    mbit = mbyte & offs;
                    p_ = prob + offs + mbit + sym;
                    if ( RC_IS0(p_) )
                    {
                        RC_ACK0(p_);
                        sym <<= 1;
                        offs &= ~mbit;
                    }
                    else
                    {
                        RC_ACK1(p_);
                        sym = (sym << 1) | 1;
                        offs &= mbit;
                    }
                } while ( sym < 0x100 );
            }
            if ( unlikely(dpos >= dlimit) )
            {
                ret = LZ_LIMIT;
                break;
            }
            dict[dpos++] = (uint8_t)sym;
            state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
            continue;
        }
        RC_ACK1(prob);

        prob = &P->is_rep[state];
        if ( RC_IS0(prob) )
        {
            uint32_t slot, dist;

            /* A match with a new distance. */
            RC_ACK0(prob);
            LZ_LEN(&P->match_len, len);
            state = state < LZ_LIT_STATES ? 7 : 10;

            prob = P->dist_slot[len < LZ_MATCH_MIN + LZ_DIST_STATES - 1 ?
                                len - LZ_MATCH_MIN : LZ_DIST_STATES - 1];
            slot = 1;
            do {
                RC_TREE_BIT(prob + slot, slot);
            } while ( slot < LZ_DIST_SLOTS );
            slot -= LZ_DIST_SLOTS;

            if ( slot < 4 )
                dist = slot;
            else
            {
                uint32_t ndirect = (slot >> 1) - 1;
                uint32_t m = 1, i;

                dist = (2 | (slot & 1)) << ndirect;
                if ( slot < LZ_END_POS )
                {
                    prob = P->dist_special + dist - slot;
                    for ( i = 0; i < ndirect; i++ )
                        RC_REV_BIT(prob, m, dist, i);
                }
                else
                {
                    uint32_t direct = 0;

                    for ( i = ndirect - LZ_ALIGN_BITS; i > 0; i-- )
                    {
                        uint32_t t;

                        RC_NORM();
                        range >>= 1;
                        code -= range;
                        t = 0u - (code >> 31);   /* all ones: bit is 0 */
                        code += range & t;
                        direct = (direct << 1) + (t + 1);
                    }
                    dist += direct << LZ_ALIGN_BITS;
                    for ( i = 0; i < LZ_ALIGN_BITS; i++ )
                        RC_REV_BIT(P->dist_align, m, dist, i);
                }
            }
            if ( unlikely(dist == 0xffffffffu) )
            {
                ret = eopm ? LZ_EOPM : LZ_BADEOPM;
                if ( overrun )
                    ret = LZ_TRUNC;
                break;
            }
            rep3 = rep2;
            rep2 = rep1;
            rep1 = rep0;
            rep0 = dist;
        }
        else
        {
            RC_ACK1(prob);
            if ( unlikely(dpos == 0) )
            {
                ret = LZ_BADDIST;
                break;
            }
            prob = &P->is_rep0[state];
            if ( RC_IS0(prob) )
            {
                RC_ACK0(prob);
                prob = &P->is_rep0_long[state][pos_state];
                if ( RC_IS0(prob) )
                {
                    /* "Short rep": one byte from distance rep0. */
                    RC_ACK0(prob);
                    if ( unlikely(rep0 >= dpos) )
                    {
                        ret = LZ_BADDIST;
                        break;
                    }
                    if ( unlikely(dpos >= dlimit) )
                    {
                        ret = LZ_LIMIT;
                        break;
                    }
                    state = state < LZ_LIT_STATES ? 9 : 11;
                    dict[dpos] = dict[dpos - rep0 - 1];
                    dpos++;
                    continue;
                }
                RC_ACK1(prob);
            }
            else
            {
                uint32_t dist;

                RC_ACK1(prob);
                prob = &P->is_rep1[state];
                if ( RC_IS0(prob) )
                {
                    RC_ACK0(prob);
                    dist = rep1;
                }
                else
                {
                    RC_ACK1(prob);
                    prob = &P->is_rep2[state];
                    if ( RC_IS0(prob) )
                    {
                        RC_ACK0(prob);
                        dist = rep2;
                    }
                    else
                    {
                        RC_ACK1(prob);
                        dist = rep3;
                        rep3 = rep2;
                    }
                    rep2 = rep1;
                }
                rep1 = rep0;
                rep0 = dist;
            }
            LZ_LEN(&P->rep_len, len);
            state = state < LZ_LIT_STATES ? 8 : 11;
        }

        /* Copy len bytes from distance rep0 + 1. */
        if ( unlikely(rep0 >= dpos) )
        {
            ret = LZ_BADDIST;
            break;
        }
        if ( unlikely(len > dlimit - dpos) )
        {
            ret = LZ_LIMIT;
            break;
        }
        {
            uint8_t *d = dict + dpos;
            const uint8_t *src = d - rep0 - 1;

            dpos += len;
            if ( rep0 >= 7 )
            {
                /* Source and destination are 8 or more bytes apart. */
                while ( len >= 8 )
                {
                    uint64_t v;

                    __builtin_memcpy(&v, src, 8);
                    __builtin_memcpy(d, &v, 8);
                    d += 8;
                    src += 8;
                    len -= 8;
                }
            }
            while ( len-- )
                *d++ = *src++;
        }
    }

    rc->ip = ip;
    rc->range = range;
    rc->code = code;
    rc->overrun = overrun;
    s->state = state;
    s->rep0 = rep0;
    s->rep1 = rep1;
    s->rep2 = rep2;
    s->rep3 = rep3;
    *dposp = dpos;
    return ret;
}

/* ------------------------------------------------------------------ */
/* x86 BCJ filter (decoder side)                                        */

/* True if b is what a sign-extended 32-bit displacement's top byte is. */
static inline bool bcj_sign_byte(uint8_t b)
{
    return b == 0x00 || b == 0xff;
}

/*
 * The encoder turned the rel32 operand of each plausible E8 (call) / E9
 * (jmp) into an absolute address; undo it over buf[0..size), whose first
 * byte sits at stream position 'start'. 'hist' holds one bit per byte of
 * the last few positions: bit 0 set when the byte just passed over was an
 * E8/E9 left alone, bit 4 when its would-be operand's top byte was a sign
 * byte; it ages by one position per byte moved past (bits 3 and 7 fall
 * off). The last four bytes are never touched, as in the encoder.
 */
static void bcj_x86_decode(uint8_t *buf, size_t size, uint32_t start)
{
    /* Which hist>>1 patterns (low three positions) permit a conversion. */
    const uint32_t ok_pattern = 0x17;           /* patterns 0, 1, 2, 4 */
    uint32_t hist = 0;
    size_t last = 0;
    bool seen = false;
    size_t i = 0;

    if ( size < 5 )
        return;
    while ( i <= size - 5 )
    {
        uint32_t h, v, pos;
        uint8_t top;

        if ( (buf[i] & 0xfe) != 0xe8 )
        {
            i++;
            continue;
        }

        /* Age the history by the distance from the previous E8/E9. */
        if ( !seen || i - last > 5 )
            hist = 0;
        else
        {
            size_t k;

            for ( k = i - last; k > 0; k-- )
                hist = (hist & 0x77) << 1;
        }
        seen = true;
        last = i;

        top = buf[i + 4];
        h = hist >> 1;
        if ( !bcj_sign_byte(top) || h >= 0x10 || !(ok_pattern & (1u << (h & 7))) )
        {
            hist |= 1;
            if ( bcj_sign_byte(top) )
                hist |= 0x10;
            i++;
            continue;
        }

        /*
         * The encoder added pos to the operand. Where the history was not
         * clear it then looked again at one byte of the result (the one
         * that overlaps the earlier E8/E9's top byte) and, if that looked
         * like a sign byte, inverted the bits up to it and converted once
         * more. Within those bits the inversion is v -> mask - v, so a
         * second round would look at the inverse of the original byte: the
         * earlier E8/E9's top byte, which is not a sign byte (else bit 5
         * of hist would be set and we would not be here). So there is at
         * most one extra round.
         */
        pos = start + (uint32_t)i + 5;
        v = get_le32(buf + i + 1) - pos;
        if ( hist )
        {
            unsigned int shift = h == 1 ? 16 : h == 2 ? 8 : 0;

            if ( bcj_sign_byte((uint8_t)(v >> shift)) )
                v = (v ^ ((1u << (shift + 8)) - 1)) - pos;
        }
        v = (v & 0x00ffffffu) | ((v & 0x01000000u) ? 0xff000000u : 0);
        buf[i + 1] = (uint8_t)v;
        buf[i + 2] = (uint8_t)(v >> 8);
        buf[i + 3] = (uint8_t)(v >> 16);
        buf[i + 4] = (uint8_t)(v >> 24);
        hist = 0;
        i += 5;
    }
}

/* ------------------------------------------------------------------ */
/* .xz container                                                        */

#define XZ_HEADER_SIZE      12
#define XZ_FOOTER_SIZE      12
#define XZ_FILTER_X86       0x04
#define XZ_FILTER_LZMA2     0x21

static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

struct xz
{
    struct dctx c;
    const uint8_t *in;
    size_t in_len;
    size_t ip;              /* offset into in */
    uint8_t *out;
    size_t out_cap;
    size_t op;              /* bytes written to out */
    unsigned int check;     /* check type of the current stream */
    /* What the blocks of this stream were, to compare with the index. */
    uint64_t nblocks;
    uint64_t sum_unpadded;
    uint64_t sum_uncomp;
    uint32_t rec_crc;
};

/* Check field size for each check type (0 = none). */
static const uint8_t xz_check_size[16] = {
    0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64
};

/* Reads a variable-length integer from p[*pos..end); false if bad. */
static bool xz_vli(const uint8_t *p, size_t end, size_t *pos, uint64_t *val)
{
    uint64_t v = 0;
    unsigned int i;

    for ( i = 0; i < 9; i++ )
    {
        uint8_t b;

        if ( *pos >= end )
            return false;
        b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ( !(b & 0x80) )
        {
            /* A zero final byte after the first is a non-minimal form. */
            if ( b == 0 && i > 0 )
                return false;
            *val = v;
            return true;
        }
    }
    return false;
}

static void xz_record(uint32_t *crc, uint64_t unpadded, uint64_t uncomp)
{
    uint8_t rec[16];
    unsigned int i;

    for ( i = 0; i < 8; i++ )
    {
        rec[i] = (uint8_t)(unpadded >> (8 * i));
        rec[8 + i] = (uint8_t)(uncomp >> (8 * i));
    }
    *crc = crc32_update(*crc, rec, sizeof(rec));
}

/*
 * Decodes the LZMA2 data of one block from in[x->ip..in_end) into out at
 * x->op. Leaves x->ip after the end-of-data byte.
 */
static int xz_lzma2(struct xz *x, size_t in_end)
{
    struct lz_dec *s = &lzd;
    const uint8_t *in = x->in;
    uint8_t *dict = x->out + x->op;     /* window since last dict reset */
    size_t dpos = 0;
    size_t room = x->out_cap - x->op;
    bool need_dict_reset = true, need_props = true;

    for ( ;; )
    {
        unsigned int ctrl;
        size_t usize, csize;
        struct rc rc;
        int r;

        if ( x->ip >= in_end )
            return dfail(&x->c, -EINVAL, "xz: truncated input (LZMA2 chunk header)");
        ctrl = in[x->ip++];
        if ( ctrl == 0x00 )
            break;
        if ( ctrl >= 0x03 && ctrl < 0x80 )
            return dfail(&x->c, -EINVAL, "xz: invalid LZMA2 control byte 0x%02x",
                         ctrl);

        if ( ctrl == 0x01 || ctrl >= 0xe0 )
        {
            /* Dictionary reset: history starts over here. */
            dict += dpos;
            room -= dpos;
            dpos = 0;
            need_dict_reset = false;
            need_props = true;
        }
        else if ( need_dict_reset )
            return dfail(&x->c, -EINVAL,
                         "xz: LZMA2 data does not start with a dictionary reset");

        if ( ctrl < 0x80 )
        {
            /* Stored chunk. */
            if ( in_end - x->ip < 2 )
                return dfail(&x->c, -EINVAL, "xz: truncated input (LZMA2 chunk header)");
            usize = (((size_t)in[x->ip] << 8) | in[x->ip + 1]) + 1;
            x->ip += 2;
            if ( usize > room - dpos )
                return dfail(&x->c, -ENOSPC, "xz: output exceeds %zu bytes",
                             x->out_cap);
            if ( usize > in_end - x->ip )
                return dfail(&x->c, -EINVAL, "xz: truncated input (stored LZMA2 chunk)");
            memcpy(dict + dpos, in + x->ip, usize);
            dpos += usize;
            x->ip += usize;
            continue;
        }

        if ( in_end - x->ip < (ctrl >= 0xc0 ? 5u : 4u) )
            return dfail(&x->c, -EINVAL, "xz: truncated input (LZMA2 chunk header)");
        usize = (((size_t)(ctrl & 0x1f) << 16) | ((size_t)in[x->ip] << 8) |
                 in[x->ip + 1]) + 1;
        csize = (((size_t)in[x->ip + 2] << 8) | in[x->ip + 3]) + 1;
        x->ip += 4;
        if ( ctrl >= 0xc0 )
        {
            if ( !lz_set_props(s, in[x->ip]) )
                return dfail(&x->c, -EINVAL, "xz: invalid LZMA2 properties 0x%02x",
                             in[x->ip]);
            x->ip++;
            need_props = false;
        }
        else if ( need_props )
            return dfail(&x->c, -EINVAL, "xz: LZMA2 chunk without properties");
        if ( ctrl >= 0xa0 )
            lz_reset(s);

        if ( usize > room - dpos )
            return dfail(&x->c, -ENOSPC, "xz: output exceeds %zu bytes", x->out_cap);
        if ( csize > in_end - x->ip )
            return dfail(&x->c, -EINVAL, "xz: truncated input (LZMA2 chunk)");
        if ( !rc_init(&rc, in + x->ip, in + x->ip + csize) )
            return dfail(&x->c, -EINVAL, "xz: corrupt LZMA2 chunk (range coder start)");

        r = lz_run(s, &rc, dict, &dpos, dpos + usize, false);
        switch ( r )
        {
        case LZ_DONE:
            break;
        case LZ_TRUNC:
            return dfail(&x->c, -EINVAL, "xz: corrupt LZMA2 chunk (reads past its end)");
        case LZ_BADDIST:
            return dfail(&x->c, -EINVAL, "xz: corrupt LZMA2 chunk (match distance)");
        case LZ_BADEOPM:
            return dfail(&x->c, -EINVAL, "xz: corrupt LZMA2 chunk (end marker)");
        default:
            return dfail(&x->c, -EINVAL, "xz: corrupt LZMA2 chunk (match past chunk end)");
        }
        /*
         * The encoder normalizes before its flush as before any bit: take
         * that last byte too. Then the chunk must be used up exactly, and
         * a flushed range coder ends with code 0.
         */
        if ( rc.range < RC_TOP && rc.ip < rc.iend )
            rc.code = (rc.code << 8) | *rc.ip++;
        if ( rc.ip != rc.iend || rc.code != 0 )
            return dfail(&x->c, -EINVAL, "xz: corrupt LZMA2 chunk (size mismatch)");
        x->ip += csize;
    }
    x->op = (size_t)(dict + dpos - x->out);
    return 0;
}

/* Decodes one block whose header starts at x->ip. */
static int xz_block(struct xz *x)
{
    const uint8_t *in = x->in;
    size_t hstart = x->ip, hsize, hp, hend;
    size_t data_start, ostart = x->op;
    unsigned int flags, nfilters, i, csz;
    uint64_t comp = 0, uncomp = 0, unpadded;
    bool have_comp, have_uncomp, x86 = false;
    uint32_t x86_start = 0;
    int rc;

    hsize = ((size_t)in[hstart] + 1) * 4;
    if ( hsize > x->in_len - hstart )
        return dfail(&x->c, -EINVAL, "xz: truncated input (block header)");
    hend = hstart + hsize - 4;
    if ( crc32_update(0, in + hstart, hsize - 4) != get_le32(in + hend) )
        return dfail(&x->c, -EINVAL, "xz: block header CRC32 mismatch");

    flags = in[hstart + 1];
    if ( flags & 0x3c )
        return dfail(&x->c, -EINVAL, "xz: unsupported block flags 0x%02x", flags);
    nfilters = (flags & 3) + 1;
    have_comp = flags & 0x40;
    have_uncomp = flags & 0x80;
    hp = hstart + 2;
    if ( have_comp && (!xz_vli(in, hend, &hp, &comp) || comp == 0) )
        return dfail(&x->c, -EINVAL, "xz: invalid compressed size in block header");
    if ( have_uncomp && !xz_vli(in, hend, &hp, &uncomp) )
        return dfail(&x->c, -EINVAL, "xz: invalid uncompressed size in block header");

    for ( i = 0; i < nfilters; i++ )
    {
        uint64_t id, psize;

        if ( !xz_vli(in, hend, &hp, &id) || !xz_vli(in, hend, &hp, &psize) ||
             psize > hend - hp )
            return dfail(&x->c, -EINVAL, "xz: invalid filter flags in block header");
        if ( i == nfilters - 1 )
        {
            if ( id != XZ_FILTER_LZMA2 )
                return dfail(&x->c, -EINVAL, "xz: unsupported filter 0x%llx "
                             "(last filter must be LZMA2)", (unsigned long long)id);
            if ( psize != 1 || (in[hp] & 0xc0) || in[hp] > 40 )
                return dfail(&x->c, -EINVAL, "xz: invalid LZMA2 filter properties");
        }
        else if ( id == XZ_FILTER_X86 && !x86 )
        {
            if ( psize == 4 )
                x86_start = get_le32(in + hp);
            else if ( psize != 0 )
                return dfail(&x->c, -EINVAL, "xz: invalid x86 filter properties");
            x86 = true;
        }
        else
            return dfail(&x->c, -EINVAL, "xz: unsupported filter 0x%llx%s",
                         (unsigned long long)id,
                         id == XZ_FILTER_LZMA2 ? " (LZMA2 not last)" :
                         id == XZ_FILTER_X86 ? " (twice)" : "");
        hp += psize;
    }
    for ( ; hp < hend; hp++ )
        if ( in[hp] )
            return dfail(&x->c, -EINVAL, "xz: non-zero block header padding");

    data_start = hstart + hsize;
    if ( have_comp && comp > x->in_len - data_start )
        return dfail(&x->c, -EINVAL, "xz: truncated input (block of %llu bytes)",
                     (unsigned long long)comp);
    if ( have_uncomp && uncomp > x->out_cap - x->op )
        return dfail(&x->c, -ENOSPC, "xz: output exceeds %zu bytes (block of %llu)",
                     x->out_cap, (unsigned long long)uncomp);

    x->ip = data_start;
    rc = xz_lzma2(x, have_comp ? data_start + comp : x->in_len);
    if ( rc )
        return rc;
    if ( have_comp && x->ip - data_start != comp )
        return dfail(&x->c, -EINVAL, "xz: block compressed size mismatch");
    if ( have_uncomp && x->op - ostart != uncomp )
        return dfail(&x->c, -EINVAL, "xz: block uncompressed size mismatch");

    if ( x86 )
        bcj_x86_decode(x->out + ostart, x->op - ostart, x86_start);

    /* Block padding to a multiple of four, then the check. */
    unpadded = x->ip - hstart;
    while ( (x->ip - hstart) & 3 )
    {
        if ( x->ip >= x->in_len )
            return dfail(&x->c, -EINVAL, "xz: truncated input (block padding)");
        if ( in[x->ip++] )
            return dfail(&x->c, -EINVAL, "xz: non-zero block padding");
    }
    csz = xz_check_size[x->check];
    if ( csz > x->in_len - x->ip )
        return dfail(&x->c, -EINVAL, "xz: truncated input (block check)");
    if ( x->check == 1 )
    {
        if ( crc32_update(0, x->out + ostart, x->op - ostart) !=
             get_le32(in + x->ip) )
            return dfail(&x->c, -EINVAL, "xz: CRC32 mismatch");
    }
    else if ( x->check == 4 )
    {
        if ( crc64_update(0, x->out + ostart, x->op - ostart) !=
             get_le64(in + x->ip) )
            return dfail(&x->c, -EINVAL, "xz: CRC64 mismatch");
    }
    x->ip += csz;
    unpadded += csz;

    x->nblocks++;
    x->sum_unpadded += unpadded;
    x->sum_uncomp += x->op - ostart;
    xz_record(&x->rec_crc, unpadded, x->op - ostart);
    return 0;
}

/* Checks the index that starts at x->ip (its 0x00 indicator) against the blocks. */
static int xz_index(struct xz *x, size_t *isize)
{
    const uint8_t *in = x->in;
    size_t start = x->ip, p = start + 1;
    uint64_t n, i, unpadded, uncomp, sum_unp = 0, sum_unc = 0;
    uint32_t rcrc = 0;

    if ( !xz_vli(in, x->in_len, &p, &n) )
        return dfail(&x->c, -EINVAL, "xz: corrupt or truncated index");
    if ( n != x->nblocks )
        return dfail(&x->c, -EINVAL, "xz: index lists %llu blocks, stream has %llu",
                     (unsigned long long)n, (unsigned long long)x->nblocks);
    for ( i = 0; i < n; i++ )
    {
        if ( !xz_vli(in, x->in_len, &p, &unpadded) ||
             !xz_vli(in, x->in_len, &p, &uncomp) )
            return dfail(&x->c, -EINVAL, "xz: corrupt or truncated index");
        sum_unp += unpadded;
        sum_unc += uncomp;
        xz_record(&rcrc, unpadded, uncomp);
    }
    if ( sum_unp != x->sum_unpadded || sum_unc != x->sum_uncomp ||
         rcrc != x->rec_crc )
        return dfail(&x->c, -EINVAL, "xz: index does not match the blocks");
    while ( (p - start) & 3 )
    {
        if ( p >= x->in_len )
            return dfail(&x->c, -EINVAL, "xz: truncated input (index)");
        if ( in[p++] )
            return dfail(&x->c, -EINVAL, "xz: non-zero index padding");
    }
    if ( x->in_len - p < 4 )
        return dfail(&x->c, -EINVAL, "xz: truncated input (index CRC32)");
    if ( crc32_update(0, in + start, p - start) != get_le32(in + p) )
        return dfail(&x->c, -EINVAL, "xz: index CRC32 mismatch");
    p += 4;
    *isize = p - start;
    x->ip = p;
    return 0;
}

/* Decodes one stream starting at x->ip (its magic already matched). */
static int xz_stream(struct xz *x)
{
    const uint8_t *in = x->in;
    const uint8_t *h = in + x->ip;
    const uint8_t *f;
    size_t isize = 0;
    int rc;

    if ( x->in_len - x->ip < XZ_HEADER_SIZE )
        return dfail(&x->c, -EINVAL, "xz: truncated input (stream header)");
    if ( crc32_update(0, h + 6, 2) != get_le32(h + 8) )
        return dfail(&x->c, -EINVAL, "xz: stream header CRC32 mismatch");
    if ( h[6] != 0 || (h[7] & 0xf0) )
        return dfail(&x->c, -EINVAL, "xz: unsupported stream flags 0x%02x%02x",
                     h[6], h[7]);
    x->check = h[7] & 0x0f;
    if ( x->check == 0x0a )
        return dfail(&x->c, -EINVAL, "xz: SHA-256 check is not supported "
                     "(use --check=crc32 or crc64)");
    if ( x->check != 0 && x->check != 1 && x->check != 4 )
        return dfail(&x->c, -EINVAL, "xz: unsupported check type %u", x->check);
    x->ip += XZ_HEADER_SIZE;
    x->nblocks = x->sum_unpadded = x->sum_uncomp = 0;
    x->rec_crc = 0;

    for ( ;; )
    {
        if ( x->ip >= x->in_len )
            return dfail(&x->c, -EINVAL, "xz: truncated input (block or index)");
        if ( in[x->ip] == 0 )
            break;
        rc = xz_block(x);
        if ( rc )
            return rc;
    }
    rc = xz_index(x, &isize);
    if ( rc )
        return rc;

    if ( x->in_len - x->ip < XZ_FOOTER_SIZE )
        return dfail(&x->c, -EINVAL, "xz: truncated input (stream footer)");
    f = in + x->ip;
    if ( f[10] != 'Y' || f[11] != 'Z' )
        return dfail(&x->c, -EINVAL, "xz: bad stream footer magic");
    if ( crc32_update(0, f + 4, 6) != get_le32(f) )
        return dfail(&x->c, -EINVAL, "xz: stream footer CRC32 mismatch");
    if ( ((uint64_t)get_le32(f + 4) + 1) * 4 != isize )
        return dfail(&x->c, -EINVAL, "xz: stream footer backward size mismatch");
    if ( f[8] != h[6] || f[9] != h[7] )
        return dfail(&x->c, -EINVAL, "xz: stream footer flags differ from header");
    x->ip += XZ_FOOTER_SIZE;
    return 0;
}

int unxz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
         size_t *out_len, char *err, size_t errlen)
{
    struct xz x = {
        .c = { err, errlen },
        .in = in, .in_len = in_len, .out = out, .out_cap = out_cap,
    };
    int rc;

    if ( err && errlen )
        err[0] = '\0';
    crc_init();
    if ( in_len < sizeof(xz_magic) || memcmp(in, xz_magic, sizeof(xz_magic)) )
        return dfail(&x.c, -EINVAL, "xz: bad magic (not an .xz stream)");

    for ( ;; )
    {
        rc = xz_stream(&x);
        if ( rc )
            return rc;
        /* Stream padding (zeros, four at a time), maybe another stream. */
        while ( x.in_len - x.ip >= 4 && !get_le32(in + x.ip) )
            x.ip += 4;
        if ( x.in_len - x.ip < sizeof(xz_magic) ||
             memcmp(in + x.ip, xz_magic, sizeof(xz_magic)) )
            break;
    }
    if ( out_len )
        *out_len = x.op;
    return 0;
}

/* ------------------------------------------------------------------ */
/* .lzma ("LZMA alone")                                                 */

#define LZMA_HEADER_SIZE 13

int unlzma(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
           size_t *out_len, char *err, size_t errlen)
{
    struct dctx c = { err, errlen };
    struct lz_dec *s = &lzd;
    struct rc rc;
    uint64_t usize;
    bool known;
    size_t limit, pos = 0;
    int r;

    if ( err && errlen )
        err[0] = '\0';
    if ( in_len < LZMA_HEADER_SIZE )
        return dfail(&c, -EINVAL, "lzma: truncated input (header)");
    if ( in[0] >= 9 * 5 * 5 )
        return dfail(&c, -EINVAL, "lzma: bad properties byte 0x%02x (not .lzma?)",
                     in[0]);
    if ( !lz_set_props(s, in[0]) )
        return dfail(&c, -EINVAL, "lzma: unsupported lc=%u + lp=%u (> %u)",
                     s->lc, s->lp, LZ_LCLP_MAX);
    usize = get_le64(in + 5);
    known = usize != ~0ull;
    if ( known && usize > out_cap )
        return dfail(&c, -ENOSPC, "lzma: output of %llu bytes exceeds %zu",
                     (unsigned long long)usize, out_cap);
    limit = known ? (size_t)usize : out_cap;

    lz_reset(s);
    if ( in_len - LZMA_HEADER_SIZE < 5 )
        return dfail(&c, -EINVAL, "lzma: truncated input");
    if ( !rc_init(&rc, in + LZMA_HEADER_SIZE, in + in_len) )
        return dfail(&c, -EINVAL, "lzma: corrupt data (range coder start)");

    r = lz_run(s, &rc, out, &pos, limit, !known);
    switch ( r )
    {
    case LZ_DONE:
    case LZ_EOPM:
        break;
    case LZ_TRUNC:
        return dfail(&c, -EINVAL, "lzma: truncated input");
    case LZ_BADDIST:
        return dfail(&c, -EINVAL, "lzma: corrupt data (match distance)");
    case LZ_BADEOPM:
        return dfail(&c, -EINVAL, "lzma: corrupt data (unexpected end marker)");
    default:
        if ( known )
            return dfail(&c, -EINVAL, "lzma: corrupt data (match past the end)");
        return dfail(&c, -ENOSPC, "lzma: output exceeds %zu bytes", out_cap);
    }
    if ( out_len )
        *out_len = pos;
    return 0;
}
