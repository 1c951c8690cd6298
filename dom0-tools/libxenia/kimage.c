/*
 * kimage.c: kernel images for the builder.  A PV ELF is taken as is; a
 * Linux bzImage's payload (setup header fields payload_offset and
 * payload_length, boot protocol 2.08+) is decompressed with Debian's
 * liblzma, zlib or libzstd, chosen by the payload's magic.
 */
#include "xenia_build.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define KI_MAX_OUT (512UL << 20)   /* refuse anything bigger unpacked */

static int ki_err(char *err, size_t len, int e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -e;
}

int xn_read_file(const char *path, void **buf, size_t *len)
{
    struct stat st;
    char *p;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), e;

    if ( fd < 0 )
        return -errno;
    if ( fstat(fd, &st) < 0 )
        goto fail;
    if ( !S_ISREG(st.st_mode) )
    {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        goto fail;
    }
    p = malloc(st.st_size ? st.st_size : 1);
    if ( !p )
        goto fail;
    while ( got < (size_t)st.st_size )
    {
        ssize_t n = read(fd, p + got, st.st_size - got);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
        {
            e = n < 0 ? errno : EIO;
            free(p);
            close(fd);
            return -e;
        }
        got += n;
    }
    close(fd);
    *buf = p;
    *len = got;
    return 0;

 fail:
    e = errno;
    close(fd);
    return -e;
}

static int ki_xz(const uint8_t *in, size_t inlen, struct xn_kimage *k,
                 char *err, size_t errlen)
{
    lzma_stream s = LZMA_STREAM_INIT;
    size_t cap = 64UL << 20;
    uint8_t *out = malloc(cap);
    lzma_ret r;

    if ( !out )
        return -ENOMEM;
    if ( lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK )
    {
        free(out);
        return ki_err(err, errlen, ENOMEM, "lzma_stream_decoder failed");
    }
    s.next_in = in;
    s.avail_in = inlen;
    s.next_out = out;
    s.avail_out = cap;
    for ( ;; )
    {
        r = lzma_code(&s, LZMA_FINISH);
        if ( r == LZMA_STREAM_END )
            break;
        if ( r == LZMA_OK || (r == LZMA_BUF_ERROR && s.avail_out == 0) )
        {
            uint8_t *n;

            if ( s.avail_out )
                continue;
            if ( cap >= KI_MAX_OUT || !(n = realloc(out, cap * 2)) )
            {
                lzma_end(&s);
                free(out);
                return ki_err(err, errlen, EFBIG,
                              "bzImage: xz payload unpacks to more than %lu MiB",
                              KI_MAX_OUT >> 20);
            }
            out = n;
            s.next_out = out + cap;
            s.avail_out = cap;
            cap *= 2;
            continue;
        }
        lzma_end(&s);
        free(out);
        return ki_err(err, errlen, EINVAL,
                      "bzImage: xz payload corrupt (lzma_code %d)", (int)r);
    }
    k->elf = out;
    k->size = s.total_out;
    k->format = "bzImage+xz";
    lzma_end(&s);
    return 0;
}

static int ki_gzip(const uint8_t *in, size_t inlen, struct xn_kimage *k,
                   char *err, size_t errlen)
{
    z_stream s;
    size_t cap = 64UL << 20;
    uint8_t *out = malloc(cap);
    int r;

    if ( !out )
        return -ENOMEM;
    memset(&s, 0, sizeof(s));
    if ( inflateInit2(&s, 16 + MAX_WBITS) != Z_OK )
    {
        free(out);
        return ki_err(err, errlen, ENOMEM, "inflateInit2 failed");
    }
    s.next_in = (Bytef *)in;
    s.avail_in = inlen;
    s.next_out = out;
    s.avail_out = cap;
    for ( ;; )
    {
        r = inflate(&s, Z_NO_FLUSH);
        if ( r == Z_STREAM_END )
            break;
        if ( (r == Z_OK || r == Z_BUF_ERROR) && s.avail_out == 0 )
        {
            uint8_t *n;

            if ( cap >= KI_MAX_OUT || !(n = realloc(out, cap * 2)) )
            {
                inflateEnd(&s);
                free(out);
                return ki_err(err, errlen, EFBIG,
                              "bzImage: gzip payload too big");
            }
            out = n;
            s.next_out = out + cap;
            s.avail_out = cap;
            cap *= 2;
            continue;
        }
        inflateEnd(&s);
        free(out);
        return ki_err(err, errlen, EINVAL,
                      "bzImage: gzip payload corrupt (inflate %d)", r);
    }
    k->elf = out;
    k->size = s.total_out;
    k->format = "bzImage+gzip";
    inflateEnd(&s);
    return 0;
}

static int ki_zstd(const uint8_t *in, size_t inlen, struct xn_kimage *k,
                   char *err, size_t errlen)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer ib = { in, inlen, 0 };
    ZSTD_outBuffer ob;
    size_t cap = 64UL << 20, r;
    uint8_t *out = malloc(cap);

    if ( !out || !ds )
    {
        free(out);
        ZSTD_freeDStream(ds);
        return -ENOMEM;
    }
    ZSTD_initDStream(ds);
    ob.dst = out;
    ob.size = cap;
    ob.pos = 0;
    for ( ;; )
    {
        r = ZSTD_decompressStream(ds, &ob, &ib);
        if ( ZSTD_isError(r) )
        {
            ZSTD_freeDStream(ds);
            free(out);
            return ki_err(err, errlen, EINVAL,
                          "bzImage: zstd payload corrupt (%s)",
                          ZSTD_getErrorName(r));
        }
        if ( r == 0 )
            break;
        if ( ob.pos == ob.size )
        {
            uint8_t *n;

            if ( cap >= KI_MAX_OUT || !(n = realloc(out, cap * 2)) )
            {
                ZSTD_freeDStream(ds);
                free(out);
                return ki_err(err, errlen, EFBIG,
                              "bzImage: zstd payload too big");
            }
            out = n;
            cap *= 2;
            ob.dst = out;
            ob.size = cap;
        }
        else if ( ib.pos == ib.size )
        {
            ZSTD_freeDStream(ds);
            free(out);
            return ki_err(err, errlen, EINVAL,
                          "bzImage: zstd payload truncated");
        }
    }
    ZSTD_freeDStream(ds);
    k->elf = out;
    k->size = ob.pos;
    k->format = "bzImage+zstd";
    return 0;
}

int xn_kimage_from_buffer(const void *buf, size_t len, struct xn_kimage *k,
                          char *err, size_t errlen)
{
    const uint8_t *p = buf, *pl;
    uint32_t setup_sects, poff, plen;
    uint16_t version;

    memset(k, 0, sizeof(*k));
    if ( len >= 4 && !memcmp(p, "\177ELF", 4) )
    {
        k->elf = malloc(len);
        if ( !k->elf )
            return -ENOMEM;
        memcpy(k->elf, buf, len);
        k->size = len;
        k->format = "elf";
        return 0;
    }
    if ( len < 0x250 || memcmp(p + 0x202, "HdrS", 4) )
        return ki_err(err, errlen, ENOEXEC,
                      "not an ELF kernel nor a Linux bzImage");
    memcpy(&version, p + 0x206, 2);
    if ( version < 0x208 )
        return ki_err(err, errlen, ENOEXEC,
                      "bzImage boot protocol %#x is older than 2.08",
                      version);
    setup_sects = p[0x1f1] ? p[0x1f1] : 4;
    memcpy(&poff, p + 0x248, 4);
    memcpy(&plen, p + 0x24c, 4);
    if ( (setup_sects + 1) * 512UL + poff + plen > len || plen < 4 )
        return ki_err(err, errlen, ENOEXEC,
                      "bzImage payload (offset %u, %u bytes) is outside the file",
                      poff, plen);
    pl = p + (setup_sects + 1) * 512UL + poff;
    if ( !memcmp(pl, "\3757zXZ", 6) )
        return ki_xz(pl, plen, k, err, errlen);
    if ( pl[0] == 0x1f && (pl[1] == 0x8b || pl[1] == 0x9e) )
        return ki_gzip(pl, plen, k, err, errlen);
    if ( !memcmp(pl, "\x28\xb5\x2f\xfd", 4) )
        return ki_zstd(pl, plen, k, err, errlen);
    return ki_err(err, errlen, ENOEXEC,
                  "bzImage payload compression not supported "
                  "(magic %02x %02x; xz, gzip and zstd are)", pl[0], pl[1]);
}

int xn_kimage_load(const char *path, struct xn_kimage *k, char *err,
                   size_t errlen)
{
    void *buf;
    size_t len;
    int rc = xn_read_file(path, &buf, &len);

    if ( rc )
        return ki_err(err, errlen, -rc, "cannot read %s: %s", path,
                      strerror(-rc));
    rc = xn_kimage_from_buffer(buf, len, k, err, errlen);
    free(buf);
    return rc;
}

void xn_kimage_free(struct xn_kimage *k)
{
    free(k->elf);
    k->elf = NULL;
}
