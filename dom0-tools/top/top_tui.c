/*
 * top_tui.c: `xenia top`'s ncurses screen.
 *
 * Layout: three summary lines (time and hypervisor; domains by state;
 * memory and CPUs), a status line (delay, sort, filter), the column
 * header in reverse video with the sort column underlined, one row per
 * domain, and the key help on the last line.  A new sample is taken
 * every 'delay' seconds; a key redraws at once from the current sample
 * (re-sorted), so keys never shorten the interval's CPU(%).  Each
 * redraw is erase + draw + one refresh: ncurses sends only the changes.
 * SIGINT/SIGTERM/SIGHUP end the loop and endwin() restores the terminal.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "top.h"

#define HEADER_ROWS 5          /* summary (3), status, column header    */

static volatile sig_atomic_t tui_stop;

static void tui_signal(int sig)
{
    (void)sig;
    tui_stop = 1;
}

struct tui
{
    struct top_ctx *ctx;
    struct top_sample cur;     /* shown                                  */
    int have_cur;
    int show_help;
    char msg[128];             /* one-shot message on the status line   */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A string at (y, 0), clipped to the screen's width. */
static void put_line(int y, const char *s)
{
    if ( y < 0 || y >= LINES )
        return;
    mvaddnstr(y, 0, s, COLS);
}

static void draw_summary(const struct tui *t)
{
    const struct top_sample *s = &t->cur;
    unsigned int i, st[6] = { 0 };
    char line[256], tbuf[16];
    time_t now = (time_t)s->wall;
    struct tm tm;
    int k;

    localtime_r(&now, &tm);
    strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
    if ( s->host.hv_major )
        snprintf(line, sizeof(line), "xenia top - %s   hypervisor %u.%u",
                 tbuf, s->host.hv_major, s->host.hv_minor);
    else
        snprintf(line, sizeof(line), "xenia top - %s", tbuf);
    put_line(0, line);
    for ( i = 0; i < s->nr_doms; i++ )
        for ( k = 0; k < 6; k++ )
            st[k] += s->doms[i].state[k] != '-';
    snprintf(line, sizeof(line), "%u domains: %u running, %u blocked, "
             "%u paused, %u shutdown, %u crashed, %u dying", s->nr_doms,
             st[0], st[1], st[2], st[3], st[4], st[5]);
    put_line(1, line);
    snprintf(line, sizeof(line), "Mem: %lluk total, %lluk used, %lluk free"
             "    CPUs: %u @ %uMHz",
             (unsigned long long)s->host.total_kb,
             (unsigned long long)(s->host.total_kb - s->host.free_kb),
             (unsigned long long)s->host.free_kb, s->host.nr_cpus,
             s->host.cpu_mhz);
    put_line(2, line);
}

static void draw_status(const struct tui *t)
{
    const struct top_opts *o = &t->ctx->opts;
    char line[256];

    snprintf(line, sizeof(line), "Delay: %.1f s   Sort: %s %s   "
             "Filter: %s%s%s", o->delay, top_col_header(o->sort),
             top_sort_dir(o->sort, o->reverse),
             o->filter ? o->filter : "(none)", t->msg[0] ? "   " : "",
             t->msg);
    put_line(3, line);
}

/* The column header; the sort column underlined (its cells are found
 * by formatting the header up to and including it). */
static void draw_header(const struct tui *t, int namew)
{
    const struct top_opts *o = &t->ctx->opts;
    char line[1024];
    const char *h = top_col_header(o->sort);
    char *p;

    top_format_header(line, sizeof(line), namew, o->sort);
    attron(A_REVERSE);
    put_line(4, line);
    attroff(A_REVERSE);
    if ( o->sort == TOP_COL_ID )
        return;
    p = strstr(line, h);
    /* NAME appears once; every other header is unique too. */
    if ( p && p - line < COLS )
        mvchgat(4, p - line, strlen(h), A_REVERSE | A_BOLD | A_UNDERLINE,
                0, NULL);
}

static const char help_line[] =
    "q quit  s/S sort next/prev  r reverse  n names  d delay  +/- delay  "
    "h help";

static void draw_table(const struct tui *t)
{
    const struct top_sample *s = &t->cur;
    int namew = top_name_width(&t->ctx->opts, s);
    char line[1024];
    unsigned int i;
    int y = HEADER_ROWS;

    draw_header(t, namew);
    for ( i = 0; i < s->nr_view && y < LINES - 1; i++, y++ )
    {
        top_format_row(line, sizeof(line), namew, s->view[i]);
        put_line(y, line);
    }
}

static void draw_help(void)
{
    static const char *const text[] = {
        "xenia top: keys",
        "",
        "  q Q      quit",
        "  s        sort by the next column   S  by the previous one",
        "  r        reverse the sort order",
        "  n        full names (not cut at 10 characters)",
        "  d        set the delay (prompt, seconds)",
        "  + -      delay one second longer / shorter",
        "  space    redraw now",
        "  h ?      this help (any key returns)",
        "",
        "Numbers sort largest first, NAME and STATE alphabetically.",
        "See docs/man/xenia-top.md.",
        NULL
    };
    int i;

    for ( i = 0; text[i]; i++ )
        put_line(i, text[i]);
}

static void draw(struct tui *t)
{
    erase();
    if ( t->show_help )
        draw_help();
    else if ( t->have_cur )
    {
        draw_summary(t);
        draw_status(t);
        draw_table(t);
        attron(A_REVERSE);
        put_line(LINES - 1, help_line);
        attroff(A_REVERSE);
    }
    refresh();
}

/* The 'd' prompt on the last line; blocking, with echo. */
static void prompt_delay(struct tui *t)
{
    char buf[32];
    char *end;
    double v;

    move(LINES - 1, 0);
    clrtoeol();
    addstr("Delay in seconds: ");
    echo();
    curs_set(1);
    timeout(-1);
    getnstr(buf, sizeof(buf) - 1);
    noecho();
    curs_set(0);
    v = strtod(buf, &end);
    if ( end == buf || *end || !(v >= TOP_DELAY_MIN) || v > TOP_DELAY_MAX )
        snprintf(t->msg, sizeof(t->msg), "delay not changed: want 0.1..3600");
    else
        t->ctx->opts.delay = v;
}

static void set_delay(struct tui *t, double d)
{
    if ( d < TOP_DELAY_MIN )
        d = TOP_DELAY_MIN;
    if ( d > TOP_DELAY_MAX )
        d = TOP_DELAY_MAX;
    t->ctx->opts.delay = d;
}

static void cycle_sort(struct top_opts *o, int step)
{
    o->sort = (o->sort + TOP_NR_COLS + step) % TOP_NR_COLS;
}

/* A key; 1 to quit. */
static int handle_key(struct tui *t, int ch)
{
    struct top_opts *o = &t->ctx->opts;

    t->msg[0] = 0;
    if ( t->show_help && ch != KEY_RESIZE )
    {
        t->show_help = 0;
        return 0;
    }
    switch ( ch )
    {
    case 'q': case 'Q': return 1;
    case 's': cycle_sort(o, 1); break;
    case 'S': cycle_sort(o, -1); break;
    case 'r': case 'R': o->reverse = !o->reverse; break;
    case 'n': case 'N': o->full_name = !o->full_name; break;
    case 'd': case 'D': prompt_delay(t); break;
    case '+': set_delay(t, o->delay + 1); break;
    case '-': set_delay(t, o->delay - 1); break;
    case 'h': case 'H': case '?': t->show_help = 1; break;
    default: break;
    }
    if ( t->have_cur )
        top_sample_view(o, &t->cur);
    return 0;
}

static int take(struct tui *t)
{
    struct top_sample s;

    if ( top_sample_take(t->ctx, t->have_cur ? &t->cur : NULL, &s) )
        return -1;
    top_sample_dispose(&t->cur);
    t->cur = s;
    t->have_cur = 1;
    return 0;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = tui_signal;    /* no SA_RESTART: getch returns     */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int tui_loop(struct tui *t)
{
    double next = 0, left;
    int ch;

    while ( !tui_stop )
    {
        if ( now_s() >= next )
        {
            if ( take(t) )
                return TOP_EXIT_FAIL;
            next = now_s() + t->ctx->opts.delay;
        }
        draw(t);
        left = next - now_s();
        timeout(left > 0 ? (int)(left * 1000) + 1 : 0);
        ch = getch();
        if ( tui_stop )
            break;
        if ( ch != ERR && handle_key(t, ch) )
            break;
        if ( ch == 'd' || ch == 'D' || ch == '+' || ch == '-' )
            next = now_s() + t->ctx->opts.delay;
    }
    return 0;
}

int top_tui_run(struct top_ctx *ctx)
{
    struct tui t;
    SCREEN *scr;
    int rc;

    if ( !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) )
    {
        fprintf(stderr, "xenia top: the interactive screen needs a "
                "terminal; use -b for batch mode\n");
        return TOP_EXIT_FAIL;
    }
    memset(&t, 0, sizeof(t));
    t.ctx = ctx;
    /* Ours before ncurses starts, so it does not install its own. */
    install_signals();
    scr = newterm(NULL, stdout, stdin);
    if ( !scr )
    {
        fprintf(stderr, "xenia top: cannot start the screen for TERM=%s "
                "(no terminfo entry?); use -b for batch mode\n",
                getenv("TERM") ? getenv("TERM") : "(unset)");
        return TOP_EXIT_FAIL;
    }
    set_term(scr);
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    ctx->defer_errors = 1;
    rc = tui_loop(&t);
    ctx->defer_errors = 0;
    endwin();
    delscreen(scr);
    if ( rc )
        fprintf(stderr, "%s\n", top_sample_error());
    top_sample_dispose(&t.cur);
    return rc;
}
