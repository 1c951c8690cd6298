/*
 * Linux bzImage kernels: recognising one, finding its compressed payload,
 * naming the payload's compression and unpacking it with the decompressors
 * of xenia/decompress.h. Xen 4.17's loader accepts the same images: boot
 * protocol 2.08 or later, payload at (setup_sects + 1) * 512 +
 * payload_offset, its unpacked size in the payload's last 4 bytes (which
 * every kernel compressor appends), an ELF inside.
 *
 * The image is hostile input: every header field is bounded by the file,
 * and the unpacked size is checked before anything is written.
 * Pure logic: also compiled into the host unit tests and the
 * guest-kernel-patches checker.
 */
#ifndef XENIA_BZIMAGE_H
#define XENIA_BZIMAGE_H

#include <xenia/types.h>

enum kernel_compression {
    KCOMP_NONE,             /* an ELF, as is */
    KCOMP_GZIP,
    KCOMP_BZIP2,
    KCOMP_LZMA,
    KCOMP_XZ,
    KCOMP_LZO,
    KCOMP_LZ4,
    KCOMP_ZSTD,
    KCOMP_UNKNOWN,
};

/* The largest unpacked kernel accepted (Debian's 6.1 unpacks to 63 MiB). */
#define BZIMAGE_MAX_UNPACKED    (512UL << 20)

struct bzimage_info {
    uint16_t protocol;                  /* boot protocol, e.g. 0x020f */
    const uint8_t *payload;
    size_t payload_len;
    enum kernel_compression comp;
    size_t unpacked_len;                /* from the payload's last 4 bytes */
};

/*
 * Returns 1 and fills bi when img is a bzImage, 0 when it is not one (no
 * "HdrS" signature: try it as an ELF), or -EINVAL with a message in err
 * when it claims to be a bzImage but its header is unusable.
 */
int bzimage_probe(const void *img, size_t len, struct bzimage_info *bi,
                  char *err, size_t errlen);

/* The compression a buffer starts with, by its magic bytes. */
enum kernel_compression compression_detect(const uint8_t *p, size_t len);
const char *compression_name(enum kernel_compression c);

/* Whether this build has a decompressor for c. */
bool compression_supported(enum kernel_compression c);

/*
 * Unpacks the payload into out (out_cap bytes; at least bi->unpacked_len
 * is needed). Returns 0 with *out_len, or -EINVAL/-ENOSPC with a message
 * that names the compression and the problem.
 */
int bzimage_unpack(const struct bzimage_info *bi, void *out, size_t out_cap,
                   size_t *out_len, char *err, size_t errlen);

#endif /* XENIA_BZIMAGE_H */
