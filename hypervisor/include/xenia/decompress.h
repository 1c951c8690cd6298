/*
 * One-shot decompressors for boot images (a bzImage's payload, compressed
 * initial ramdisks). Each decodes a whole input buffer into a whole output
 * buffer: the output buffer doubles as the history window, so no decoder
 * allocates memory. Working tables live in static storage (boot is
 * single-threaded) or on the stack (each decoder stays under 4 KiB of it).
 *
 * The input is hostile: every length read from it is bounded by what is
 * left of the input, and no byte is written at or past out + out_cap.
 *
 * Every decoder has the same shape and contract:
 *   int NAME(const uint8_t *in, size_t in_len,
 *            uint8_t *out, size_t out_cap, size_t *out_len,
 *            char *err, size_t errlen);
 * It returns 0 with *out_len set to the bytes written, or
 *   -EINVAL  the data is corrupt, truncated, or uses something unsupported;
 *   -ENOSPC  the data would decode to more than out_cap bytes;
 * with a one-line message in err naming the problem (err may be NULL).
 * Trailing bytes after the end of the compressed stream are ignored (Linux
 * appends the uncompressed size as 4 little-endian bytes after the stream).
 * Pure logic: also compiled into the host unit tests.
 */
#ifndef XENIA_DECOMPRESS_H
#define XENIA_DECOMPRESS_H

#include <xenia/types.h>

typedef int (*decompress_fn)(const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t out_cap, size_t *out_len,
                             char *err, size_t errlen);

/* gzip (RFC 1952 around RFC 1951 deflate); checks CRC-32 and ISIZE. */
int gunzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
           size_t *out_len, char *err, size_t errlen);

/* .xz: LZMA2 with optional x86 BCJ filter; checks none/CRC32/CRC64. */
int unxz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
         size_t *out_len, char *err, size_t errlen);

/* Legacy .lzma ("LZMA alone"): 13-byte header then LZMA1. */
int unlzma(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
           size_t *out_len, char *err, size_t errlen);

/* Zstandard frames (RFC 8878), one or more, skippable frames skipped. */
int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
           size_t *out_len, char *err, size_t errlen);

/* LZ4 legacy frame format (magic 0x184c2102), as the kernel's lz4 -l. */
int unlz4(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
          size_t *out_len, char *err, size_t errlen);

/* lzop container around LZO1X, as the kernel's lzop -9. */
int unlzo(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
          size_t *out_len, char *err, size_t errlen);

/* bzip2 ("BZh1".."BZh9"), with block and stream CRC checks. */
int bunzip2(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
            size_t *out_len, char *err, size_t errlen);

#endif /* XENIA_DECOMPRESS_H */
