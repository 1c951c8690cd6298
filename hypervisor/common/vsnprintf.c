/*
 * A small vsnprintf: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '#' ' ',
 * width and precision (also '*'), length modifiers hh h l ll z.
 * Always NUL-terminates when size > 0; returns the length it would have
 * written, like C99.
 */
#include <xenia/lib.h>

struct out {
    char *buf;
    size_t size, len;
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

struct spec {
    bool left, zero, alt, space, plus;
    int width, prec;
};

static void put_string(struct out *o, const char *s, const struct spec *sp)
{
    int len, i;

    if ( !s )
        s = "(null)";
    len = (int)strnlen(s, sp->prec >= 0 ? (size_t)sp->prec : (size_t)-1);
    if ( !sp->left )
        pad(o, ' ', sp->width - len);
    for ( i = 0; i < len; i++ )
        put(o, s[i]);
    if ( sp->left )
        pad(o, ' ', sp->width - len);
}

static void put_number(struct out *o, unsigned long long v, bool neg,
                       unsigned int base, bool upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0, prefix_len = 0, zeros, total;
    const char *prefix = "";

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while ( v );
    if ( neg )
        prefix = "-";
    else if ( sp->plus )
        prefix = "+";
    else if ( sp->space )
        prefix = " ";
    else if ( sp->alt && base == 16 )
        prefix = upper ? "0X" : "0x";
    else if ( sp->alt && base == 8 && tmp[n - 1] != '0' )
        prefix = "0";
    prefix_len = (int)strlen(prefix);

    zeros = sp->prec > n ? sp->prec - n : 0;
    total = prefix_len + zeros + n;
    if ( sp->zero && !sp->left && sp->prec < 0 && sp->width > total )
    {
        zeros += sp->width - total;
        total = sp->width;
    }
    if ( !sp->left )
        pad(o, ' ', sp->width - total);
    while ( *prefix )
        put(o, *prefix++);
    pad(o, '0', zeros);
    while ( n )
        put(o, tmp[--n]);
    if ( sp->left )
        pad(o, ' ', sp->width - total);
}

/*
 * The flags, width, precision and length modifiers after a '%'; returns
 * fmt on the conversion character.
 */
static const char *parse_spec(const char *fmt, struct spec *sp, int *lng,
                              va_list *ap)
{
    for ( ;; )
    {
        char c = *++fmt;

        if ( c == '-' ) sp->left = true;
        else if ( c == '0' ) sp->zero = true;
        else if ( c == '#' ) sp->alt = true;
        else if ( c == ' ' ) sp->space = true;
        else if ( c == '+' ) sp->plus = true;
        else break;
    }
    if ( *fmt == '*' )
    {
        sp->width = va_arg(*ap, int);
        if ( sp->width < 0 )
        {
            sp->left = true;
            sp->width = -sp->width;
        }
        fmt++;
    }
    while ( *fmt >= '0' && *fmt <= '9' )
        sp->width = sp->width * 10 + (*fmt++ - '0');
    if ( *fmt == '.' )
    {
        sp->prec = 0;
        if ( *++fmt == '*' )
        {
            sp->prec = va_arg(*ap, int);
            fmt++;
        }
        else
            while ( *fmt >= '0' && *fmt <= '9' )
                sp->prec = sp->prec * 10 + (*fmt++ - '0');
    }
    for ( ;; fmt++ )
    {
        if ( *fmt == 'l' ) *lng += 1;
        else if ( *fmt == 'z' ) *lng = 1;
        else if ( *fmt == 'h' ) *lng = *lng > 0 ? *lng : -1;
        else break;
    }
    return fmt;
}

/* One conversion c (not '\0') with its spec. */
static void convert(struct out *o, char c, const struct spec *sp, int lng,
                    va_list *ap)
{
    struct spec alt = *sp;
    unsigned long long v;
    long long s;

    switch ( c )
    {
    case 'c':
        put(o, (char)va_arg(*ap, int));
        break;
    case 's':
        put_string(o, va_arg(*ap, const char *), sp);
        break;
    case 'p':
        alt.alt = true;
        put_number(o, (unsigned long)va_arg(*ap, void *), false, 16, false,
                   &alt);
        break;
    case 'd': case 'i':
        s = lng >= 2 ? va_arg(*ap, long long)
            : lng == 1 ? va_arg(*ap, long) : va_arg(*ap, int);
        put_number(o, s < 0 ? -(unsigned long long)s : (unsigned long long)s,
                   s < 0, 10, false, sp);
        break;
    case 'u': case 'x': case 'X': case 'o':
        v = lng >= 2 ? va_arg(*ap, unsigned long long)
            : lng == 1 ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned int);
        put_number(o, v, false, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X',
                   sp);
        break;
    case '%':
        put(o, '%');
        break;
    default:
        put(o, '%');
        put(o, c);
        break;
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    va_list args;

    va_copy(args, ap);
    for ( ; *fmt; fmt++ )
    {
        struct spec sp = { .prec = -1 };
        int lng = 0;

        if ( *fmt != '%' )
        {
            put(&o, *fmt);
            continue;
        }
        fmt = parse_spec(fmt, &sp, &lng, &args);
        if ( *fmt == '\0' )
            break;                      /* a '%' ends the format */
        convert(&o, *fmt, &sp, lng, &args);
    }
    va_end(args);
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
