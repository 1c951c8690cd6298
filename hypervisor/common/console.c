/*
 * printk with log levels, panic, and guest console output.
 *
 * A message may start with XENLOG_<level> ("<0>".."<3>"); messages above
 * the "loglvl=" threshold are dropped. Every hypervisor line is prefixed
 * "(XEN) " as Xen does, so logs read the same on both hypervisors; the
 * initial domain's console_io output is written raw, other domains' with
 * "(d<N>) ". All output also goes to a ring buffer (for readconsole).
 */
#include <xenia/lib.h>
#include <xenia/console.h>
#include <xenia/errno.h>
#include <xenia/guest_access.h>

#define CONRING_SIZE 16384

static int log_threshold = LOG_INFO;
static bool console_enabled = true;
static char conring[CONRING_SIZE];
static unsigned long conring_prod;
static bool at_line_start = true;

int console_parse_loglvl(const char *v)
{
    static const struct { const char *name; int level; } levels[] = {
        { "none", LOG_NONE }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
        { "info", LOG_INFO }, { "debug", LOG_DEBUG }, { "all", LOG_DEBUG },
    };
    char word[16];
    size_t i, n = strnlen(v, sizeof(word));

    /* Xen accepts "<level>[/<rate-limited level>]"; we take the first. */
    for ( i = 0; i < n && v[i] != '/'; i++ )
        word[i] = v[i];
    if ( i == sizeof(word) )
        return -EINVAL;
    word[i] = '\0';
    for ( i = 0; i < ARRAY_SIZE(levels); i++ )
        if ( !strcmp(word, levels[i].name) )
        {
            log_threshold = levels[i].level;
            return 0;
        }
    return -EINVAL;
}

int console_parse_console(const char *v)
{
    if ( !strcmp(v, "com1") || !strncmp(v, "com1,", 5) )
        console_enabled = true;
    else if ( !strcmp(v, "none") )
        console_enabled = false;
    else
        return -EINVAL;
    return 0;
}

static void emit(const char *s, size_t n)
{
    size_t i;

    for ( i = 0; i < n; i++ )
        conring[conring_prod++ % CONRING_SIZE] = s[i];
    if ( console_enabled )
        serial_write(s, n);
}

static void emit_prefixed(const char *s, const char *prefix)
{
    while ( *s )
    {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);

        if ( at_line_start )
            emit(prefix, strlen(prefix));
        emit(s, n);
        at_line_start = nl != NULL;
        s += n;
    }
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int level = LOG_INFO;

    if ( fmt[0] == '<' && fmt[1] >= '0' && fmt[1] <= '3' && fmt[2] == '>' )
    {
        level = fmt[1] - '0';
        fmt += 3;
    }
    if ( level > log_threshold )
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    emit_prefixed(buf, "(XEN) ");
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void console_guest_write(unsigned int domid, const char *s, size_t n)
{
    char prefix[12];

    if ( domid == 0 )
    {
        emit(s, n);
        at_line_start = n && s[n - 1] == '\n';
        return;
    }
    snprintf(prefix, sizeof(prefix), "(d%u) ", domid);
    while ( n )
    {
        size_t i = 0;

        while ( i < n && s[i] != '\n' )
            i++;
        if ( i < n )
            i++;
        if ( at_line_start )
            emit(prefix, strlen(prefix));
        emit(s, i);
        at_line_start = s[i - 1] == '\n';
        s += i;
        n -= i;
    }
}

/*
 * XEN_SYSCTL_readconsole: copies up to *count bytes of the ring from *index
 * (incremental) or from the oldest byte still held, advancing *index.
 * Returns 0 or -EFAULT; 'clear' forgets what was read.
 */
static unsigned long conring_cons;

int console_read_ring(vaddr_t buf, uint32_t *count, uint32_t *index,
                      bool incremental, bool clear)
{
    unsigned long start = incremental ? *index : conring_cons, n = 0;

    if ( conring_prod - start > CONRING_SIZE || start > conring_prod )
        start = conring_prod > CONRING_SIZE ? conring_prod - CONRING_SIZE : 0;
    while ( n < *count && start + n < conring_prod )
    {
        char c = conring[(start + n) % CONRING_SIZE];

        if ( copy_to_guest(buf + n, &c, 1) )
            return -EFAULT;
        n++;
    }
    *count = n;
    *index = start + n;
    if ( clear )
        conring_cons = start + n;
    return 0;
}
