/*
 * bzImage recognition and unpacking (xenia/bzimage.h). The setup header
 * fields used, at their offsets in the file: setup_sects (0x1f1, byte),
 * the "HdrS" signature (0x202), the protocol version (0x206, le16),
 * payload_offset and payload_length (0x248 and 0x24c, le32, protocol
 * 2.08 and later).
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/decompress.h>
#include <xenia/bzimage.h>

#define HDR_SETUP_SECTS     0x1f1
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_PAYLOAD_OFFSET  0x248
#define HDR_PAYLOAD_LENGTH  0x24c
#define HDR_END             0x250
#define MIN_PROTOCOL        0x0208

/*
 * Decompressors are weak references: one that a build leaves out is NULL,
 * and an image using it is refused with its compression named.
 */
#define WEAK_DECOMPRESSOR(name)                                          \
    int name(const uint8_t *, size_t, uint8_t *, size_t, size_t *,       \
             char *, size_t) __attribute__((weak))
WEAK_DECOMPRESSOR(gunzip);
WEAK_DECOMPRESSOR(bunzip2);
WEAK_DECOMPRESSOR(unlzma);
WEAK_DECOMPRESSOR(unxz);
WEAK_DECOMPRESSOR(unlzo);
WEAK_DECOMPRESSOR(unlz4);
WEAK_DECOMPRESSOR(unzstd);

static const struct {
    const char *name;
    uint8_t magic[6];
    unsigned int magic_len;
    decompress_fn fn;
} formats[] = {
    [KCOMP_NONE]  = { "none (ELF)", { 0x7f, 'E', 'L', 'F' }, 4, NULL },
    [KCOMP_GZIP]  = { "gzip", { 0x1f, 0x8b }, 2, gunzip },
    [KCOMP_BZIP2] = { "bzip2", { 'B', 'Z', 'h' }, 3, bunzip2 },
    [KCOMP_LZMA]  = { "lzma", { 0x5d, 0x00, 0x00 }, 3, unlzma },
    [KCOMP_XZ]    = { "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, unxz },
    [KCOMP_LZO]   = { "lzo", { 0x89, 'L', 'Z', 'O' }, 4, unlzo },
    [KCOMP_LZ4]   = { "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4, unlz4 },
    [KCOMP_ZSTD]  = { "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, unzstd },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __printf(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if ( err && errlen )
    {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

enum kernel_compression compression_detect(const uint8_t *p, size_t len)
{
    unsigned int c;

    for ( c = 0; c < ARRAY_SIZE(formats); c++ )
        if ( len >= formats[c].magic_len &&
             !memcmp(p, formats[c].magic, formats[c].magic_len) )
            return c;
    return KCOMP_UNKNOWN;
}

const char *compression_name(enum kernel_compression c)
{
    return c < ARRAY_SIZE(formats) ? formats[c].name : "unknown";
}

bool compression_supported(enum kernel_compression c)
{
    return c == KCOMP_NONE || (c < ARRAY_SIZE(formats) && formats[c].fn);
}

int bzimage_probe(const void *img, size_t len, struct bzimage_info *bi,
                  char *err, size_t errlen)
{
    const uint8_t *p = img;
    size_t start, plen;

    memset(bi, 0, sizeof(*bi));
    if ( len < HDR_END || memcmp(p + HDR_MAGIC, "HdrS", 4) )
        return 0;
    bi->protocol = p[HDR_VERSION] | (p[HDR_VERSION + 1] << 8);
    if ( bi->protocol < MIN_PROTOCOL )
        return fail(err, errlen, "bzImage boot protocol %u.%02u is older than "
                    "2.08 (no payload offset)", bi->protocol >> 8,
                    bi->protocol & 0xff);
    start = ((size_t)(p[HDR_SETUP_SECTS] ? p[HDR_SETUP_SECTS] : 4) + 1) * 512 +
            le32(p + HDR_PAYLOAD_OFFSET);
    plen = le32(p + HDR_PAYLOAD_LENGTH);
    if ( start > len || plen > len - start )
        return fail(err, errlen, "bzImage payload (%zu bytes at %#zx) runs past "
                    "the end of the %zu-byte image (truncated?)", plen, start,
                    len);
    if ( plen < 8 )
        return fail(err, errlen, "bzImage payload of %zu bytes is too short",
                    plen);
    bi->payload = p + start;
    bi->payload_len = plen;
    bi->comp = compression_detect(bi->payload, plen);
    bi->unpacked_len = le32(bi->payload + plen - 4);
    if ( bi->comp == KCOMP_UNKNOWN )
        return fail(err, errlen, "bzImage payload has an unknown compression "
                    "(magic %02x %02x %02x %02x)", bi->payload[0],
                    bi->payload[1], bi->payload[2], bi->payload[3]);
    if ( bi->comp == KCOMP_NONE )
        bi->unpacked_len = plen;
    if ( bi->unpacked_len > BZIMAGE_MAX_UNPACKED )
        return fail(err, errlen, "bzImage claims to unpack to %zu bytes, more "
                    "than the %lu MiB accepted", bi->unpacked_len,
                    BZIMAGE_MAX_UNPACKED >> 20);
    return 1;
}

int bzimage_unpack(const struct bzimage_info *bi, void *out, size_t out_cap,
                   size_t *out_len, char *err, size_t errlen)
{
    char why[96] = "";
    int rc;

    if ( bi->comp == KCOMP_NONE )
    {
        if ( bi->payload_len > out_cap )
            return -ENOSPC;
        memcpy(out, bi->payload, bi->payload_len);
        *out_len = bi->payload_len;
        return 0;
    }
    if ( !compression_supported(bi->comp) )
        return fail(err, errlen, "%s-compressed kernels are not supported "
                    "(gzip, xz and zstd are)", compression_name(bi->comp));
    if ( out_cap < bi->unpacked_len )
        return fail(err, errlen, "no room to unpack %zu bytes", bi->unpacked_len);
    rc = formats[bi->comp].fn(bi->payload, bi->payload_len, out,
                              bi->unpacked_len, out_len, why, sizeof(why));
    if ( rc )
    {
        fail(err, errlen, "unpacking the %s payload failed: %s",
             compression_name(bi->comp),
             rc == -ENOSPC ? "it is larger than its stated size" : why);
        return rc == -ENOSPC ? -EINVAL : rc;
    }
    if ( *out_len != bi->unpacked_len )
        return fail(err, errlen, "%s payload unpacked to %zu bytes, not the "
                    "%zu its trailer states", compression_name(bi->comp),
                    *out_len, bi->unpacked_len);
    return 0;
}
