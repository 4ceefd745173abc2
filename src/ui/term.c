/* term.c — curses set-up and restore, colour pairs, emitting a Grid,
 * translating input (see term.h). */
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include "term.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../view/keys.h"
#include "../view/vmem.h"

/* Signal handlers can reach no context struct: these two statics exist
 * for exactly that reason. */
static volatile sig_atomic_t signalled;   /* SIGINT/SIGTERM/SIGHUP number */
static Term *restore_on_exit;             /* the terminal to restore */

/* While curses owns the screen, whatever a library prints (OpenBLAS says
 * why before it calls exit) would land on the page and vanish when the
 * terminal is restored. stdout and stderr wait in these buffers instead and
 * come out after the terminal is back. Static, because memory may be what
 * ran out: stdio buffers are process-wide, like the streams themselves. */
static char held_stdout[8192], held_stderr[8192];

/* ---------------------------------------------------------------------------
 * Open and close */

/* Raw bytes to the terminal, bypassing stdio (for the fatal path). */
static void say_to_terminal(const Term *t, const char *s)
{
    ssize_t n = write(fileno(t->out), s, strlen(s));
    (void)n;
}

/* The xterm sequences that ask for drag reports (button-event tracking). */
static void mouse_tracking(Term *t, bool on)
{
    if (!t->out) return;
    fputs(on ? "\033[?1002h" : "\033[?1002l", t->out);
    fflush(t->out);
}

/* Call after start_color(): COLORS is known only then. */
static ColourMode detect_colour(bool no_color)
{
    if (no_color || !has_colors()) return CMODE_NONE;
    if (COLORS >= 0x1000000) return CMODE_RGB;
    if (COLORS >= 256) return CMODE_256;
    return CMODE_BASIC;
}

static void setup_screen(Term *t, bool no_color, bool mouse)
{
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    t->colour = CMODE_NONE;
    if (!no_color && has_colors()) {
        start_color();
        use_default_colors();
        t->colour = detect_colour(no_color);
        t->ncolors = COLORS;
        t->npairs = COLOR_PAIRS;
    }
    if (mouse) {
        mousemask(BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON4_PRESSED | BUTTON5_PRESSED |
                      REPORT_MOUSE_POSITION,
                  NULL);
        mouseinterval(0);
        t->mouse = true;
        mouse_tracking(t, true);
    }
}

/* COLORTERM=truecolor on a terminal whose terminfo lacks direct colour:
 * use the "-direct" variant of the same terminal when it is installed. */
static const char *direct_variant(char *buf, size_t size)
{
    const char *ct = getenv("COLORTERM"), *term = getenv("TERM");
    if (!ct || !term || (strcmp(ct, "truecolor") != 0 && strcmp(ct, "24bit") != 0)) return NULL;
    if (strstr(term, "direct")) return NULL;
    size_t base = strcspn(term, "-");
    if (base == 0 || base + 8 > size) return NULL;
    snprintf(buf, size, "%.*s-direct", (int)base, term);
    return buf; /* newterm fails quietly when it is not installed */
}

/* From now until release_output, library messages wait (see above). */
static void hold_output(Term *t)
{
    fflush(stdout);
    fflush(stderr);
    setvbuf(stdout, held_stdout, _IOFBF, sizeof held_stdout);
    setvbuf(stderr, held_stderr, _IOFBF, sizeof held_stderr);
    t->holding_output = true;
}

/* Let held messages out (the terminal is back) and buffer as usual again. */
static void release_output(Term *t)
{
    if (!t->holding_output) return;
    t->holding_output = false;
    fflush(stdout);
    fflush(stderr);
    setvbuf(stderr, NULL, _IONBF, 0);
    setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
}

/* Put the terminal back as it was: drag reports off, cursor on, curses
 * ended, held messages out. Frees nothing: this also runs from exit(),
 * when memory may be exhausted and ncurses' delscreen is not safe. */
static void restore_terminal(Term *t)
{
    t->active = false;
    if (t->gfx == GFX_KITTY) say_to_terminal(t, gfx_kitty_clear);
    if (t->mouse) {
        mousemask(0, NULL);
        mouse_tracking(t, false);
    }
    curs_set(1);
    endwin();
    release_output(t);
}

int term_open(Term *t, bool utf8, bool no_color, bool mouse, char *err, int err_size)
{
    memset(t, 0, sizeof *t);
    t->utf8 = utf8;
    t->out = stdout;
    t->in = stdin;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, (size_t)err_size, "the lessons need a terminal (standard input and output are not one)");
        return -1;
    }
    char name[64];
    const char *direct = no_color ? NULL : direct_variant(name, sizeof name);
    SCREEN *s = direct ? newterm(direct, stdout, stdin) : NULL;
    if (!s) s = newterm(NULL, stdout, stdin);
    const char *term = getenv("TERM") ? getenv("TERM") : "";
    if (!s) {
        snprintf(err, (size_t)err_size,
                 "cannot start the terminal: TERM='%s' has no terminfo entry here; "
                 "try TERM=xterm-256color (the headless commands work anywhere: lorascope --help)",
                 term);
        return -1;
    }
    set_term(s);
    /* A terminal that cannot place the cursor (TERM=dumb, a printer) cannot
     * show a full-screen page: say so instead of drawing garbage. */
    const char *cup = tigetstr("cup");
    if (!cup || cup == (const char *)-1) {
        endwin();
        delscreen(s);
        snprintf(err, (size_t)err_size,
                 "TERM='%s' cannot move the cursor, and the lessons need a full-screen "
                 "terminal; try TERM=xterm-256color (the headless commands work anywhere: "
                 "lorascope --help)",
                 term);
        return -1;
    }
    t->screen = s;
    t->active = true;
    setup_screen(t, no_color, mouse);
    hold_output(t);
    return 0;
}

int term_open_offscreen(Term *t, int w, int h, const char *termname, char *err, int err_size)
{
    memset(t, 0, sizeof *t);
    t->utf8 = true;
    t->out = fopen("/dev/null", "w");
    t->in = fopen("/dev/null", "r");
    if (!t->out || !t->in) {
        snprintf(err, (size_t)err_size, "cannot open /dev/null");
        if (t->out) fclose(t->out);
        if (t->in) fclose(t->in);
        return -1;
    }
    t->own_files = true;
    char nl[16], nc[16];
    snprintf(nl, sizeof nl, "%d", h);
    snprintf(nc, sizeof nc, "%d", w);
    setenv("LINES", nl, 1);
    setenv("COLUMNS", nc, 1);
    SCREEN *s = newterm(termname, t->out, t->in);
    if (!s) {
        snprintf(err, (size_t)err_size, "no terminfo entry for %s", termname);
        fclose(t->out);
        fclose(t->in);
        return -1;
    }
    set_term(s);
    t->screen = s;
    t->active = true;
    setup_screen(t, false, false);
    return 0;
}

void term_close(Term *t)
{
    if (!t || !t->active) return;
    restore_terminal(t);
    if (t->screen) delscreen((SCREEN *)t->screen);
    t->screen = NULL;
    free(t->cache);
    t->cache = NULL;
    if (t->own_files) {
        fclose(t->out);
        fclose(t->in);
    }
    if (restore_on_exit == t) restore_on_exit = NULL;
}

void term_size(const Term *t, int *w, int *h)
{
    (void)t;
    *w = COLS;
    *h = LINES;
}

/* ---------------------------------------------------------------------------
 * Colours */

static attr_t to_attr(unsigned ta)
{
    static const struct {
        unsigned ta;
        attr_t a;
    } map[] = {
        {TA_BOLD, A_BOLD}, {TA_UNDERLINE, A_UNDERLINE}, {TA_REVERSE, A_REVERSE},
        {TA_DIM, A_DIM},   {TA_ITALIC, A_ITALIC},
    };
    attr_t a = A_NORMAL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (ta & map[i].ta) a |= map[i].a;
    return a;
}

/* A theme or grid colour as this terminal's colour number. */
static int term_colour(const Term *t, int c)
{
    if (c < 0) return -1;
    if (t->colour == CMODE_RGB) {
        if (GRID_IS_RGB(c)) return c & 0xFFFFFF;
        return c < 8 ? c : (int)theme_palette_rgb(c);
    }
    if (GRID_IS_RGB(c)) {
        /* Direct colour on a palette terminal: the nearest gray will do. */
        int r = (c >> 16) & 255, g = (c >> 8) & 255, b = c & 255;
        c = theme_gray256((float)(r + g + b) / (3 * 255.0f));
    }
    return theme_fit_colour((short)c, t->ncolors);
}

static int make_pair(Term *t, int pair, int fg, int bg)
{
    if (pair >= t->npairs) return 0;
    init_extended_pair(pair, fg, bg);
    return pair;
}

/* Role pairs come first (1..ROLE_COUNT); explicit colours after them. */
static void apply_theme(Term *t, const Theme *theme)
{
    const Theme *th = t->colour == CMODE_NONE ? &theme_mono : theme;
    t->theme = theme;
    for (int r = 0; r < ROLE_COUNT; r++) {
        const RoleStyle *s = &th->roles[r];
        t->role_attr[r] = to_attr(s->attrs);
        t->role_pair[r] = 0;
        if (t->colour == CMODE_NONE) continue;
        int fg = term_colour(t, s->fg), bg = term_colour(t, s->bg);
        /* Bright colours on an 8-colour terminal: the base colour, bold. */
        if (t->colour == CMODE_BASIC && t->ncolors < 16 && s->fg >= 8 && s->fg < 16) t->role_attr[r] |= A_BOLD;
        t->role_pair[r] = make_pair(t, 1 + r, fg, bg);
    }
    free(t->cache);
    t->cache_size = 4096;
    t->cache = calloc((size_t)t->cache_size, sizeof *t->cache);
    t->cache_used = 0;
    t->next_pair = 1 + ROLE_COUNT;
}

static int pair_for(Term *t, int fg, int bg)
{
    if (!t->cache) return 0;
    unsigned h = ((unsigned)fg * 2654435761u) ^ ((unsigned)bg * 40503u);
    for (int probe = 0; probe < t->cache_size; probe++) {
        PairEntry *e = &t->cache[(h + (unsigned)probe) % (unsigned)t->cache_size];
        if (e->pair && e->fg == fg && e->bg == bg) return e->pair;
        if (!e->pair) {
            if (t->next_pair >= t->npairs || t->cache_used * 4 >= t->cache_size * 3) {
                /* Out of pairs: start over (later cells of this frame win). */
                memset(t->cache, 0, (size_t)t->cache_size * sizeof *t->cache);
                t->cache_used = 0;
                t->next_pair = 1 + ROLE_COUNT;
                return pair_for(t, fg, bg);
            }
            e->fg = fg;
            e->bg = bg;
            e->pair = make_pair(t, t->next_pair++, fg, bg);
            t->cache_used++;
            return e->pair;
        }
    }
    return 0;
}

/* Attributes and pair for one cell. */
static void cell_style(Term *t, const Theme *theme, const Cell *c, attr_t *attr, int *pair)
{
    int r = c->role < ROLE_COUNT ? c->role : ROLE_TEXT;
    *attr = (attr_t)t->role_attr[r] | to_attr(c->attrs);
    *pair = t->role_pair[r];
    if (t->colour == CMODE_NONE || (c->fg < 0 && c->bg < 0)) return;
    const RoleStyle *s = &theme->roles[r];
    int fg = term_colour(t, c->fg >= 0 ? c->fg : s->fg);
    int bg = term_colour(t, c->bg >= 0 ? c->bg : s->bg);
    *pair = pair_for(t, fg, bg);
}

/* ---------------------------------------------------------------------------
 * Output */

/* ---------------------------------------------------------------------------
 * Pictures (sixel or kitty, see gfx.h) */

/* All of fd's n bytes, or as many as the terminal takes. */
static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k <= 0) return;
        p += k, n -= (size_t)k;
    }
}

/* Which pictures where: one number (0 = none) to see whether to resend. */
static unsigned long images_signature(const Grid *g)
{
    unsigned long h = g->n_images ? 2166136261u : 0;
    for (int i = 0; i < g->n_images; i++) {
        const GridImage *im = &g->images[i];
        unsigned long v[5] = {im->hash, (unsigned long)im->at.y, (unsigned long)im->at.x,
                              (unsigned long)im->at.h, (unsigned long)im->at.w};
        for (int k = 0; k < 5; k++) h = (h ^ v[k]) * 16777619u;
    }
    return h;
}

/* The size of a cell in pixels (sixel pictures are sent at that size). */
static void cell_pixels(const Term *t, int *cw, int *ch)
{
    struct winsize ws;
    *cw = 10, *ch = 20; /* a common size, when the terminal does not say */
    if (ioctl(fileno(t->out), TIOCGWINSZ, &ws) == 0 && ws.ws_xpixel > 0 && ws.ws_ypixel > 0 && ws.ws_col > 0 &&
        ws.ws_row > 0) {
        *cw = ws.ws_xpixel / ws.ws_col;
        *ch = ws.ws_ypixel / ws.ws_row;
    }
    if (*cw < 1 || *cw > 64) *cw = 10;
    if (*ch < 1 || *ch > 128) *ch = 20;
}

static void emit_images(Term *t, const Grid *g)
{
    int fd = fileno(t->out);
    write_all(fd, "7", 2); /* curses keeps its idea of the cursor */
    if (t->gfx == GFX_KITTY) write_all(fd, gfx_kitty_clear, strlen(gfx_kitty_clear));
    int cw, ch;
    cell_pixels(t, &cw, &ch);
    for (int i = 0; i < g->n_images; i++) {
        const GridImage *im = &g->images[i];
        if (im->at.y + im->at.h > LINES || im->at.x + im->at.w > COLS) continue;
        char move[32];
        int n = snprintf(move, sizeof move, "[%d;%dH", im->at.y + 1, im->at.x + 1);
        write_all(fd, move, (size_t)n);
        size_t len = 0;
        char *seq = NULL;
        if (t->gfx == GFX_KITTY) {
            seq = gfx_kitty(im->gray, im->w, im->h, im->at.w, im->at.h, (unsigned)i + 1, &len);
        } else {
            int pw = im->at.w * cw, ph = im->at.h * ch;
            unsigned char *px = malloc((size_t)pw * (size_t)ph);
            if (px) {
                gfx_resample(px, pw, ph, im->gray, im->w, im->h);
                seq = gfx_sixel(px, pw, ph, 64, &len);
                free(px);
            }
        }
        if (seq) write_all(fd, seq, len); /* out of memory: the cells stay */
        free(seq);
    }
    write_all(fd, "8", 2);
}

void term_set_graphics(Term *t, GfxMode mode)
{
    t->gfx = mode;
    t->gfx_shown = 0;
}

GfxMode term_detect_graphics(int timeout_ms, int *background)
{
    *background = -1;
    int in = STDIN_FILENO, out = STDOUT_FILENO;
    struct termios old, raw;
    if (!isatty(in) || !isatty(out) || tcgetattr(in, &old) != 0) return GFX_TEXT;
    /* No echo, no line editing, no signals from keys: a Ctrl-C now is one
     * byte read and dropped, never a way out with the modes changed. */
    raw = old;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(in, TCSANOW, &raw) != 0) return GFX_TEXT;
    write_all(out, gfx_query, strlen(gfx_query));
    char buf[512];
    size_t n = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool complete = false;
    while (!complete && n < sizeof buf) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000L);
        if (left <= 0) break;
        struct pollfd p = {in, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t k = read(in, buf + n, sizeof buf - n);
        if (k <= 0) break;
        n += (size_t)k;
        complete = gfx_reply_complete(buf, n);
    }
    /* A late answer must not turn into keys. */
    if (!complete) tcflush(in, TCIFLUSH);
    tcsetattr(in, TCSANOW, &old);
    if (!complete) return GFX_TEXT;
    *background = gfx_parse_background(buf, n);
    return gfx_parse_reply(buf, n);
}

void term_emit(Term *t, const Grid *g, const Theme *theme)
{
    if (!t->active) return;
    if (theme != t->theme || !t->cache) apply_theme(t, theme);
    const Theme *th = t->colour == CMODE_NONE ? &theme_mono : theme;
    int h = g->h < LINES ? g->h : LINES, w = g->w < COLS ? g->w : COLS;
    char run[1024];
    for (int y = 0; y < h; y++) {
        int x = 0;
        while (x < w) {
            const Cell *c = grid_cat(g, y, x);
            attr_t attr;
            int pair;
            cell_style(t, th, c, &attr, &pair);
            if (c->width == 0) {
                x++;
                continue;
            }
            int p = pair;
            attr_set(attr, (short)(p < 32768 ? p : 0), &p);
            /* A run of plain ASCII cells in one style goes out at once;
             * anything else cell by cell at its exact column. */
            if ((unsigned char)c->ch[0] < 0x80 && c->ch[1] == 0) {
                int n = 0, x0 = x;
                while (x < w && n < (int)sizeof run - 1) {
                    const Cell *d = grid_cat(g, y, x);
                    if ((unsigned char)d->ch[0] >= 0x80 || d->ch[1] != 0 || d->width != 1) break;
                    attr_t a2;
                    int p2;
                    cell_style(t, th, d, &a2, &p2);
                    if (a2 != attr || p2 != pair) break;
                    run[n++] = d->ch[0] ? d->ch[0] : ' ';
                    x++;
                }
                if (n == 0) { /* an empty cell */
                    run[n++] = ' ';
                    x++;
                }
                run[n] = 0;
                mvaddnstr(y, x0, run, n);
            } else {
                if (c->width == 2 && x + 1 >= w) {
                    mvaddstr(y, x, " ");
                } else {
                    mvaddstr(y, x, t->utf8 ? c->ch : "?");
                }
                x += c->width ? c->width : 1;
            }
        }
    }
    attr_set(A_NORMAL, 0, NULL);
    wnoutrefresh(stdscr);
    unsigned long shown = images_signature(g);
    /* Sixel pixels stay until text covers them: when the pictures change,
     * repaint every cell first so none of the old ones is left behind. */
    if (t->gfx == GFX_SIXEL && shown != t->gfx_shown && t->gfx_shown) clearok(curscr, TRUE);
    doupdate();
    if (t->gfx != GFX_TEXT && shown != t->gfx_shown) emit_images(t, g);
    t->gfx_shown = shown;
}

/* ---------------------------------------------------------------------------
 * Input */

typedef struct KeyMap {
    int curses, vk;
} KeyMap;

static const KeyMap key_table[] = {
    {KEY_UP, VK_UP},          {KEY_DOWN, VK_DOWN},       {KEY_LEFT, VK_LEFT},
    {KEY_RIGHT, VK_RIGHT},    {KEY_SR, VK_SUP},          {KEY_SF, VK_SDOWN},
    {KEY_SLEFT, VK_SLEFT},    {KEY_SRIGHT, VK_SRIGHT},   {KEY_PPAGE, VK_PGUP},
    {KEY_NPAGE, VK_PGDN},     {KEY_HOME, VK_HOME},       {KEY_END, VK_END},
    {KEY_ENTER, VK_ENTER},    {KEY_BTAB, VK_BTAB},       {KEY_BACKSPACE, VK_BACKSPACE},
    {KEY_DC, VK_DELETE},      {KEY_RESIZE, VK_RESIZE},   {KEY_F(1), VK_F1},
    {KEY_F(2), VK_F2},        {KEY_F(3), VK_F3},         {KEY_F(4), VK_F4},
    {KEY_F(5), VK_F5},        {KEY_F(6), VK_F6},         {KEY_F(7), VK_F7},
    {KEY_F(8), VK_F8},        {KEY_F(9), VK_F9},         {KEY_F(10), VK_F10},
    {KEY_A1, VK_HOME},        {KEY_C1, VK_END},          {KEY_A3, VK_PGUP},
    {KEY_C3, VK_PGDN},
};

static const KeyMap char_table[] = {
    {'\n', VK_ENTER}, {'\r', VK_ENTER}, {'\t', VK_TAB}, {27, VK_ESC}, {127, VK_BACKSPACE}, {8, VK_BACKSPACE},
};

static int translate(const KeyMap *tab, size_t n, int code, int fallback)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].curses == code) return tab[i].vk;
    return fallback;
}

static int read_mouse(Term *t, MouseEvent *ev)
{
    MEVENT m;
    if (getmouse(&m) != OK) return TERM_NONE;
    ev->y = m.y;
    ev->x = m.x;
    if (m.bstate & BUTTON4_PRESSED) ev->kind = MOUSE_WHEEL_UP;
    else if (m.bstate & BUTTON5_PRESSED) ev->kind = MOUSE_WHEEL_DOWN;
    else if (m.bstate & BUTTON1_PRESSED) {
        ev->kind = t->pressed ? MOUSE_DRAG : MOUSE_PRESS;
        t->pressed = true;
    } else if (m.bstate & BUTTON1_RELEASED) {
        ev->kind = MOUSE_RELEASE;
        t->pressed = false;
    } else if (m.bstate & REPORT_MOUSE_POSITION) {
        if (!t->pressed) return TERM_NONE;
        ev->kind = MOUSE_DRAG;
    } else {
        return TERM_NONE;
    }
    return TERM_MOUSE;
}

int term_read(Term *t, int timeout_ms, int *key, MouseEvent *ev)
{
    timeout(timeout_ms);
    wint_t wc;
    int r = get_wch(&wc);
    if (r == ERR) return TERM_NONE;
    if (r == KEY_CODE_YES) {
        if (wc == KEY_MOUSE) return read_mouse(t, ev);
        int vk = translate(key_table, sizeof key_table / sizeof key_table[0], (int)wc, 0);
        if (!vk) return TERM_NONE;
        *key = vk;
        return TERM_KEY;
    }
    *key = translate(char_table, sizeof char_table / sizeof char_table[0], (int)wc, (int)wc);
    return TERM_KEY;
}

/* ---------------------------------------------------------------------------
 * Signals and exit */

static void on_quit_signal(int sig)
{
    signalled = sig;
}

/* Write s to standard error with write(2): stdio is not safe here. */
static void say(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

/* n in decimal, without printf (which may allocate). */
static void say_size(size_t n)
{
    char buf[24];
    int i = (int)sizeof buf - 1;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n && i > 0);
    say(buf + i);
}

/* A crash: put the terminal back first, then die by the same signal. The
 * view layer running out of memory (vmem aborts) is no crash: say so, and
 * exit with status 1 like any other error the user can act on. Nothing
 * here may allocate — there may be no memory left. */
static void on_fatal_signal(int sig)
{
    bool restored = false;
    if (restore_on_exit && restore_on_exit->active) {
        restore_on_exit->active = false;
        /* The same as term_close: drag reports off before curses ends. */
        if (restore_on_exit->mouse) say_to_terminal(restore_on_exit, "\033[?1002l");
        endwin();
        restored = true;
    }
    size_t wanted = sig == SIGABRT ? vmem_failed_request() : 0;
    if (wanted) {
        say("\nlorascope: out of memory: the interface could not get ");
        say_size(wanted);
        say(" bytes");
        say(restored ? "; the terminal was restored\n" : "\n");
        _exit(1);
    }
    if (restored) say("\nlorascope: fatal error; the terminal was restored\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

/* exit() while the lessons are on screen: only a library does that (OpenBLAS
 * when it cannot allocate). Its reason was held back; it comes out first. */
static void at_exit_restore(void)
{
    Term *t = restore_on_exit;
    if (!t || !t->active) return;
    restore_on_exit = NULL;
    restore_terminal(t);
    say("lorascope: a library ended the program while the lessons were open; "
        "the terminal was restored\n");
}

void term_install_signals(Term *t)
{
    restore_on_exit = t;
    static bool registered;
    if (!registered) {
        atexit(at_exit_restore);
        registered = true;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    static const int quit_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof quit_sigs / sizeof quit_sigs[0]; i++) sigaction(quit_sigs[i], &sa, NULL);
    sa.sa_handler = on_fatal_signal;
    static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++) sigaction(fatal_sigs[i], &sa, NULL);
}

int term_signalled(void)
{
    return signalled;
}
