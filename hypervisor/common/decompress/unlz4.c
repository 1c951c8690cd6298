/*
 * One-shot LZ4 decompressor for the legacy frame format (see
 * include/xenia/decompress.h), which is what the kernel build's 'lz4 -l'
 * writes:
 *
 *   magic 0x184c2102 (little-endian), then blocks of
 *   le32 compressed size, compressed bytes (an LZ4 block),
 *
 * each block decoding to at most 8 MiB. The format has no end marker and
 * no checksum: the stream ends at the end of the input, at a zero size
 * word (padding), at a size word equal to one of the other LZ4 magics, or
 * at a size word that cannot be a block and is followed by nothing else
 * (the 4-byte uncompressed size the kernel build appends). A second
 * legacy magic starts a concatenated stream, which is decoded too.
 *
 * LZ4 block: sequences of a token (literal count in the high nibble, match
 * length - 4 in the low one; 15 means "more bytes follow, each adding up
 * to 255"), the literals, a le16 match offset and the match length
 * extension. The last sequence has literals only.
 */
#include <xenia/types.h>
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>

#define LEGACY_MAGIC    0x184c2102u
#define FRAME_MAGIC     0x184d2204u     /* current frame format */
#define SKIP_MAGIC      0x184d2a50u     /* skippable frames, low nibble any */
#define SKIP_MASK       0xfffffff0u
#define BLOCK_MAX       (8u << 20)
/* Largest compressed form of an 8 MiB block (the LZ4 compress bound). */
#define CBLOCK_MAX      (BLOCK_MAX + BLOCK_MAX / 255 + 16)

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    if ( err && errlen )
        snprintf(err, errlen, "lz4: %s", msg);
    return rc;
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * Decodes one block of n bytes at ip, appending to out at *op (everything
 * before *op is history). Fails with -ENOSPC past cap and -EINVAL on a
 * block that is malformed or decodes to more than BLOCK_MAX.
 */
static int block(const uint8_t *ip, size_t n, uint8_t *out, size_t *op,
                 size_t cap, char *err, size_t errlen)
{
    const uint8_t *end = ip + n;
    size_t o = *op, limit = o + BLOCK_MAX;
    int rc = 0;

    if ( cap < limit )
        limit = cap;

    while ( ip < end )
    {
        unsigned int token = *ip++;
        size_t lit = token >> 4, mlen, off;

        if ( lit == 15 )
        {
            unsigned int b;

            do {
                if ( ip >= end )
                    goto truncated;
                b = *ip++;
                lit += b;
            } while ( b == 255 );
        }
        if ( lit > (size_t)(end - ip) )
            goto truncated;
        if ( lit > limit - o )
            goto too_big;
        memcpy(out + o, ip, lit);
        o += lit;
        ip += lit;
        if ( ip == end )
            break;                      /* the last sequence */

        if ( end - ip < 2 )
            goto truncated;
        off = ip[0] | (ip[1] << 8);
        ip += 2;
        if ( off == 0 )
        {
            rc = fail(err, errlen, -EINVAL, "zero match offset");
            goto out;
        }
        if ( off > o )
        {
            rc = fail(err, errlen, -EINVAL, "match offset beyond output start");
            goto out;
        }
        mlen = token & 15;
        if ( mlen == 15 )
        {
            unsigned int b;

            do {
                if ( ip >= end )
                    goto truncated;
                b = *ip++;
                mlen += b;
            } while ( b == 255 );
        }
        mlen += 4;
        if ( mlen > limit - o )
            goto too_big;
        if ( off >= mlen )
            memcpy(out + o, out + o - off, mlen);
        else if ( off == 1 )
            memset(out + o, out[o - 1], mlen);
        else
        {
            uint8_t *d = out + o;
            const uint8_t *s = d - off;
            size_t i;

            for ( i = 0; i < mlen; i++ )
                d[i] = s[i];
        }
        o += mlen;
    }
    goto out;

 truncated:
    rc = fail(err, errlen, -EINVAL, "truncated block");
    goto out;
 too_big:
    if ( cap - *op < BLOCK_MAX )
        rc = fail(err, errlen, -ENOSPC, "output larger than the buffer");
    else
        rc = fail(err, errlen, -EINVAL, "block decodes to more than 8 MiB");
 out:
    *op = o;
    return rc;
}

int unlz4(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
          size_t *out_len, char *err, size_t errlen)
{
    size_t pos, o = 0;
    int rc;

    if ( out_len )
        *out_len = 0;
    if ( err && errlen )
        err[0] = '\0';
    if ( in_len < 4 || get_le32(in) != LEGACY_MAGIC )
        return fail(err, errlen, -EINVAL,
                    "bad magic (not LZ4 legacy format, as from lz4 -l)");
    pos = 4;

    while ( in_len - pos >= 4 )
    {
        uint32_t w = get_le32(in + pos);
        size_t left = in_len - pos - 4;

        if ( w == LEGACY_MAGIC )
        {
            pos += 4;                   /* a concatenated stream */
            continue;
        }
        if ( w == 0 || w == FRAME_MAGIC || (w & SKIP_MASK) == SKIP_MAGIC )
            break;
        if ( w > left )
        {
            /* Not a block: the size the kernel build appends. */
            if ( w > CBLOCK_MAX || (left == 0 && w == (uint32_t)o) )
                break;
            return fail(err, errlen, -EINVAL, "truncated block");
        }
        if ( w > CBLOCK_MAX )
            return fail(err, errlen, -EINVAL, "block size too large");
        pos += 4;
        rc = block(in + pos, w, out, &o, out_cap, err, errlen);
        if ( rc )
            return rc;
        pos += w;
    }
    if ( out_len )
        *out_len = o;
    return 0;
}
