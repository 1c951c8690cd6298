/*
 * printf.c: a small vsnprintf and a line-buffered printf over
 * console_io(CONSOLEIO_write).
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%, flags '-', '0' and '#', a field
 * width (also '*'), a precision for %s, and the length modifiers
 * l, ll, z.  Output is truncated to the buffer and always terminated.
 */
#include "xtest.h"

struct out
{
    char *buf;
    size_t size;
    size_t len;     /* characters produced, even beyond 'size' */
};

static void put(struct out *o, char c)
{
    if ( o->len + 1 < o->size )
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while ( n-- > 0 )
        put(o, c);
}

/* Emit 'str' of length 'len' right- or left-aligned in 'width'. */
static void field(struct out *o, const char *str, int len, int width,
                  bool left, char padc)
{
    int fill = width > len ? width - len : 0;

    /* Zero padding goes after a sign. */
    if ( !left && padc == '0' && len && *str == '-' )
    {
        put(o, '-');
        str++;
        len--;
    }
    if ( !left )
        pad(o, padc, fill);
    while ( len-- > 0 )
        put(o, *str++);
    if ( left )
        pad(o, ' ', fill);
}

static int number(char *tmp, unsigned long long v, unsigned int base,
                  bool upper, bool neg)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    int n = 0, i = 0;

    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while ( v );
    if ( neg )
        tmp[i++] = '-';
    while ( n )
        tmp[i++] = rev[--n];
    tmp[i] = '\0';
    return i;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    char tmp[32];

    for ( ; *fmt; fmt++ )
    {
        bool left = false, upper = false, alt = false;
        char padc = ' ';
        int width = 0, prec = -1, lng = 0, len;
        unsigned long long uv;
        long long sv;
        const char *s;

        if ( *fmt != '%' )
        {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        for ( ; *fmt == '-' || *fmt == '0' || *fmt == '#'; fmt++ )
        {
            if ( *fmt == '-' )
                left = true;
            else if ( *fmt == '#' )
                alt = true;
            else
                padc = '0';
        }
        if ( *fmt == '*' )
        {
            width = va_arg(ap, int);
            fmt++;
        }
        for ( ; *fmt >= '0' && *fmt <= '9'; fmt++ )
            width = width * 10 + (*fmt - '0');
        if ( *fmt == '.' )
        {
            prec = 0;
            for ( fmt++; *fmt >= '0' && *fmt <= '9'; fmt++ )
                prec = prec * 10 + (*fmt - '0');
        }
        for ( ; *fmt == 'l' || *fmt == 'z'; fmt++ )
            lng++;
        if ( left )
            padc = ' ';

        switch ( *fmt )
        {
        case 'd':
        case 'i':
            sv = lng ? va_arg(ap, long long) : va_arg(ap, int);
            uv = sv < 0 ? -(unsigned long long)sv : (unsigned long long)sv;
            len = number(tmp, uv, 10, false, sv < 0);
            field(&o, tmp, len, width, left, padc);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            uv = lng ? va_arg(ap, unsigned long long)
                     : va_arg(ap, unsigned int);
            upper = *fmt == 'X';
            len = 0;
            if ( alt && (*fmt == 'x' || *fmt == 'X') )
            {
                tmp[len++] = '0';
                tmp[len++] = *fmt;
            }
            len += number(tmp + len, uv,
                          *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
                          upper, false);
            field(&o, tmp, len, width, left, alt ? ' ' : padc);
            break;
        case 'p':
            uv = (unsigned long)va_arg(ap, void *);
            tmp[0] = '0';
            tmp[1] = 'x';
            len = 2 + number(tmp + 2, uv, 16, false, false);
            field(&o, tmp, len, width, left, ' ');
            break;
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            tmp[1] = '\0';
            field(&o, tmp, 1, width, left, ' ');
            break;
        case 's':
            s = va_arg(ap, const char *);
            if ( !s )
                s = "(null)";
            len = prec >= 0 ? (int)strnlen(s, prec) : (int)strlen(s);
            field(&o, s, len, width, left, ' ');
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }

    if ( size )
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/*
 * Where whole lines go: console_io.  An image may define its own (strong)
 * xt_console_write(), as the child kernel does to write its console ring.
 */
void __attribute__((weak)) xt_console_write(const char *buf, size_t len)
{
    HYPERVISOR_console_io(CONSOLEIO_write, len, buf);
}

/* Whole lines go out in one console_io call so they never interleave. */
static char line[256];
static size_t line_len;

static void flush_line(void)
{
    if ( line_len )
        xt_console_write(line, line_len);
    line_len = 0;
}

int printf(const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n, i;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);

    for ( i = 0; tmp[i]; i++ )
    {
        line[line_len++] = tmp[i];
        if ( tmp[i] == '\n' || line_len == sizeof(line) )
            flush_line();
    }
    return n;
}
