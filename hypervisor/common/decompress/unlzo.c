/*
 * One-shot lzop decompressor (see include/xenia/decompress.h): the lzop
 * file container around LZO1X-compressed blocks, as the kernel build's
 * 'lzop -9' writes.
 *
 * Container (all numbers big-endian):
 *   magic 89 4c 5a 4f 00 0d 0a 1a 0a
 *   u16 version, u16 library version, [u16 version needed, if version
 *   >= 0x0940], u8 method, [u8 level, if version >= 0x0940], u32 flags,
 *   [u32 filter, if F_H_FILTER], u32 mode, u32 mtime, [u32 mtime high, if
 *   version >= 0x0940], u8 name length, name, u32 header checksum (Adler-32,
 *   or CRC-32 with F_H_CRC32, of everything after the magic), [extra
 *   field: u32 length, data, u32 checksum, if F_H_EXTRA_FIELD]
 * then blocks:
 *   u32 uncompressed length (0 ends the stream), u32 compressed length,
 *   [u32 Adler-32 / CRC-32 of the uncompressed data, per F_*_D flags],
 *   [u32 Adler-32 / CRC-32 of the compressed data, per F_*_C flags, only
 *   when the block is compressed], data
 * A block whose two lengths are equal is stored uncompressed.
 *
 * LZO1X block: instructions chosen by the top bits of a byte, with 'state'
 * the number of literals the previous instruction copied (4 meaning a
 * literal run of four or more):
 *   0000LLLL state 0: literal run of 3 + L (L = 0: 18 + extension)
 *   0000DDSS state 1-3: 2-byte match, distance (next << 2) + D + 1
 *   0000DDSS state 4: 3-byte match, distance (next << 2) + D + 2049
 *   0001HLLL 16-31: match of 2 + L (L = 0: 9 + extension), distance
 *            16384 + (H << 14) + (le16 >> 2); 16384 ends the block
 *   001LLLLL 32-63: match of 2 + L (L = 0: 33 + extension), distance
 *            (le16 >> 2) + 1
 *   01LDDDSS 64-127: match of 3 + L, distance (next << 3) + D + 1
 *   1LLDDDSS 128-255: match of 5 + L, distance (next << 3) + D + 1
 * An extension is a run of zero bytes (255 each) ended by a non-zero byte
 * that is added too. After a match, SS literals (the low two bits of the
 * instruction, or of the le16) follow. A first byte above 17 is a literal
 * run of (byte - 17).
 */
#include <xenia/types.h>
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define F_ADLER32_D     0x00000001u
#define F_ADLER32_C     0x00000002u
#define F_H_EXTRA_FIELD 0x00000040u
#define F_CRC32_D       0x00000100u
#define F_CRC32_C       0x00000200u
#define F_MULTIPART     0x00000400u
#define F_H_FILTER      0x00000800u
#define F_H_CRC32       0x00001000u
#define F_KNOWN         0x00003fffu
#define F_OS_MASK       0xff000000u
#define F_CS_MASK       0x00f00000u

#define M_LZO1X_1       1
#define M_LZO1X_1_15    2
#define M_LZO1X_999     3

#define BLOCK_MAX       (64u << 20)     /* lzop's largest block */

static const uint8_t magic[9] = {
    0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a
};

struct lzo {
    const uint8_t *in;
    size_t in_len, pos;
    char *err;
    size_t errlen;
};

static int fail(struct lzo *s, int rc, const char *msg)
{
    if ( s->err && s->errlen )
        snprintf(s->err, s->errlen, "lzo: %s", msg);
    return rc;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* Reads an n-byte (1, 2 or 4) big-endian header number. */
static int get(struct lzo *s, unsigned int n, uint32_t *v)
{
    unsigned int i;

    if ( s->in_len - s->pos < n )
        return fail(s, -EINVAL, "truncated header");
    *v = 0;
    for ( i = 0; i < n; i++ )
        *v = (*v << 8) | s->in[s->pos++];
    return 0;
}

static uint32_t adler32(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t a = adler & 0xffff, b = adler >> 16;

    while ( n )
    {
        /* 5552 bytes cannot overflow the sums before the reduction. */
        size_t k = n < 5552 ? n : 5552;

        n -= k;
        while ( k-- )
        {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}

static uint32_t crc_tab[256];
static bool crc_ready;

/* CRC-32 (IEEE 802.3, reflected), as zlib's crc32() which lzop uses. */
static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    if ( !crc_ready )
    {
        unsigned int i, j;

        for ( i = 0; i < 256; i++ )
        {
            uint32_t c = i;

            for ( j = 0; j < 8; j++ )
                c = (c >> 1) ^ (0xedb88320u & -(c & 1));
            crc_tab[i] = c;
        }
        crc_ready = true;
    }
    crc = ~crc;
    while ( n-- )
        crc = (crc >> 8) ^ crc_tab[(crc ^ *p++) & 0xff];
    return ~crc;
}

/* Reads an LZO length extension: zero bytes count 255, then a non-zero. */
static int extension(struct lzo *s, const uint8_t **ipp, const uint8_t *end,
                     size_t *len)
{
    const uint8_t *ip = *ipp;
    size_t n = 0;

    while ( ip < end && *ip == 0 )
    {
        n += 255;
        ip++;
    }
    if ( ip >= end )
        return fail(s, -EINVAL, "truncated block");
    *len += n + *ip++;
    *ipp = ip;
    return 0;
}

/*
 * Decodes the LZO1X block ip[0..n) into exactly dst_len bytes at out (the
 * block's own start: lzop compresses every block on its own).
 */
static int lzo1x(struct lzo *s, const uint8_t *ip, size_t n, uint8_t *out,
                 size_t dst_len)
{
    const uint8_t *end = ip + n;
    size_t o = 0, len, dist, lit;
    unsigned int state = 0, inst;
    int rc;

    if ( n == 0 )
        return fail(s, -EINVAL, "truncated block");
    if ( *ip > 17 )
    {
        lit = *ip++ - 17;
        goto literals;
    }

    for ( ;; )
    {
        if ( ip >= end )
            return fail(s, -EINVAL, "truncated block");
        inst = *ip++;

        if ( inst < 16 )
        {
            if ( state == 0 )
            {
                lit = inst + 3;
                if ( inst == 0 && (rc = extension(s, &ip, end, &lit)) )
                    return rc;
                if ( inst == 0 )
                    lit += 15;
                goto literals;
            }
            if ( ip >= end )
                return fail(s, -EINVAL, "truncated block");
            dist = ((size_t)*ip++ << 2) + (inst >> 2) + 1;
            if ( state == 4 )
            {
                len = 3;
                dist += 2048;
            }
            else
                len = 2;
            lit = inst & 3;
        }
        else if ( inst < 64 )
        {
            unsigned int d;

            if ( inst < 32 )
            {
                len = (inst & 7) + 2;
                if ( (inst & 7) == 0 && (rc = extension(s, &ip, end, &len)) )
                    return rc;
                if ( (inst & 7) == 0 )
                    len += 7;
            }
            else
            {
                len = (inst & 31) + 2;
                if ( (inst & 31) == 0 && (rc = extension(s, &ip, end, &len)) )
                    return rc;
                if ( (inst & 31) == 0 )
                    len += 31;
            }
            if ( end - ip < 2 )
                return fail(s, -EINVAL, "truncated block");
            d = ip[0] | (ip[1] << 8);
            ip += 2;
            lit = d & 3;
            if ( inst < 32 )
            {
                dist = 16384 + ((size_t)(inst & 8) << 11) + (d >> 2);
                if ( dist == 16384 )
                    break;                      /* end of block */
            }
            else
                dist = (d >> 2) + 1;
        }
        else
        {
            if ( ip >= end )
                return fail(s, -EINVAL, "truncated block");
            dist = ((size_t)*ip++ << 3) + ((inst >> 2) & 7) + 1;
            len = inst < 128 ? 3 + ((inst >> 5) & 1) : 5 + ((inst >> 5) & 3);
            lit = inst & 3;
        }

        if ( dist > o )
            return fail(s, -EINVAL, "match distance beyond block start");
        if ( len > dst_len - o )
            return fail(s, -EINVAL, "block decodes to more than its length");
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

    literals:
        if ( lit > (size_t)(end - ip) )
            return fail(s, -EINVAL, "truncated block");
        if ( lit > dst_len - o )
            return fail(s, -EINVAL, "block decodes to more than its length");
        memcpy(out + o, ip, lit);
        o += lit;
        ip += lit;
        state = lit < 4 ? lit : 4;
    }

    if ( ip != end )
        return fail(s, -EINVAL, "data after the end of a block");
    if ( o != dst_len )
        return fail(s, -EINVAL, "block shorter than its length");
    return 0;
}

/* Parses the file header at s->pos; returns the flags. */
static int header(struct lzo *s, uint32_t *flagsp)
{
    size_t start;
    uint32_t version, v, method, flags, sum, want;
    int rc;

    if ( s->in_len - s->pos < sizeof(magic) ||
         memcmp(s->in + s->pos, magic, sizeof(magic)) )
        return fail(s, -EINVAL, "bad magic (not lzop data)");
    s->pos += sizeof(magic);
    start = s->pos;

    if ( (rc = get(s, 2, &version)) || (rc = get(s, 2, &v)) )
        return rc;
    if ( version < 0x0900 )
        return fail(s, -EINVAL, "unsupported lzop version");
    if ( version >= 0x0940 && (rc = get(s, 2, &v)) )
        return rc;
    if ( (rc = get(s, 1, &method)) )
        return rc;
    if ( version >= 0x0940 && (rc = get(s, 1, &v)) )
        return rc;
    if ( (rc = get(s, 4, &flags)) )
        return rc;
    if ( method != M_LZO1X_1 && method != M_LZO1X_1_15 &&
         method != M_LZO1X_999 )
        return fail(s, -EINVAL, "unsupported method (not LZO1X)");
    if ( flags & ~(F_KNOWN | F_OS_MASK | F_CS_MASK) )
        return fail(s, -EINVAL, "reserved header flags set");
    if ( flags & F_H_FILTER )
        return fail(s, -EINVAL, "filters are not supported");
    if ( flags & F_MULTIPART )
        return fail(s, -EINVAL, "multi-part archives are not supported");
    if ( (rc = get(s, 4, &v)) || (rc = get(s, 4, &v)) )
        return rc;                              /* mode, mtime */
    if ( version >= 0x0940 && (rc = get(s, 4, &v)) )
        return rc;                              /* mtime high */
    if ( (rc = get(s, 1, &v)) )
        return rc;
    if ( v > s->in_len - s->pos )
        return fail(s, -EINVAL, "truncated header");
    s->pos += v;                                /* file name */

    if ( flags & F_H_CRC32 )
        sum = crc32(0, s->in + start, s->pos - start);
    else
        sum = adler32(1, s->in + start, s->pos - start);
    if ( (rc = get(s, 4, &want)) )
        return rc;
    if ( sum != want )
        return fail(s, -EINVAL, "header checksum mismatch");

    if ( flags & F_H_EXTRA_FIELD )
    {
        size_t xstart = s->pos;

        if ( (rc = get(s, 4, &v)) )
            return rc;
        if ( v > s->in_len - s->pos )
            return fail(s, -EINVAL, "truncated extra field");
        s->pos += v;
        if ( flags & F_H_CRC32 )
            sum = crc32(0, s->in + xstart, s->pos - xstart);
        else
            sum = adler32(1, s->in + xstart, s->pos - xstart);
        if ( (rc = get(s, 4, &want)) )
            return rc;
        if ( sum != want )
            return fail(s, -EINVAL, "extra field checksum mismatch");
    }
    *flagsp = flags;
    return 0;
}

/* Decodes one lzop file (header and blocks) at s->pos. */
static int file(struct lzo *s, uint8_t *out, size_t cap, size_t *op)
{
    uint32_t flags = 0;
    int rc;

    if ( (rc = header(s, &flags)) )
        return rc;

    for ( ;; )
    {
        uint32_t dlen, clen, d_adler = 0, d_crc = 0, c_adler = 0, c_crc = 0;
        const uint8_t *src;
        uint8_t *dst;

        if ( s->in_len - s->pos < 4 )
            return fail(s, -EINVAL, "truncated block header");
        dlen = get_be32(s->in + s->pos);
        s->pos += 4;
        if ( dlen == 0 )
            return 0;                           /* end of file */
        if ( (rc = get(s, 4, &clen)) )
            return fail(s, rc, "truncated block header");
        if ( dlen > BLOCK_MAX )
            return fail(s, -EINVAL, "block too large");
        if ( clen > dlen )
            return fail(s, -EINVAL, "compressed block larger than its data");
        if ( clen == 0 )
            return fail(s, -EINVAL, "empty compressed block");
        if ( ((flags & F_ADLER32_D) && (rc = get(s, 4, &d_adler))) ||
             ((flags & F_CRC32_D) && (rc = get(s, 4, &d_crc))) )
            return fail(s, rc, "truncated block header");
        if ( clen < dlen &&
             (((flags & F_ADLER32_C) && (rc = get(s, 4, &c_adler))) ||
              ((flags & F_CRC32_C) && (rc = get(s, 4, &c_crc)))) )
            return fail(s, rc, "truncated block header");
        if ( clen > s->in_len - s->pos )
            return fail(s, -EINVAL, "truncated block");
        if ( dlen > cap - *op )
            return fail(s, -ENOSPC, "output larger than the buffer");

        src = s->in + s->pos;
        dst = out + *op;
        s->pos += clen;
        if ( clen < dlen )
        {
            if ( (flags & F_ADLER32_C) && adler32(1, src, clen) != c_adler )
                return fail(s, -EINVAL, "compressed data checksum mismatch");
            if ( (flags & F_CRC32_C) && crc32(0, src, clen) != c_crc )
                return fail(s, -EINVAL, "compressed data checksum mismatch");
            if ( (rc = lzo1x(s, src, clen, dst, dlen)) )
                return rc;
        }
        else
            memcpy(dst, src, dlen);
        if ( (flags & F_ADLER32_D) && adler32(1, dst, dlen) != d_adler )
            return fail(s, -EINVAL, "Adler-32 mismatch");
        if ( (flags & F_CRC32_D) && crc32(0, dst, dlen) != d_crc )
            return fail(s, -EINVAL, "CRC-32 mismatch");
        *op += dlen;
    }
}

int unlzo(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
          size_t *out_len, char *err, size_t errlen)
{
    struct lzo s = {
        .in = in, .in_len = in_len, .err = err, .errlen = errlen,
    };
    size_t o = 0;
    int rc;

    if ( out_len )
        *out_len = 0;
    if ( err && errlen )
        err[0] = '\0';
    /* One file, or several concatenated (each with its own header). */
    do {
        rc = file(&s, out, out_cap, &o);
        if ( rc )
            return rc;
    } while ( in_len - s.pos >= sizeof(magic) &&
              !memcmp(in + s.pos, magic, sizeof(magic)) );
    if ( out_len )
        *out_len = o;
    return 0;
}
