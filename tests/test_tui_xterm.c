/* test_tui_xterm.c — what a person sees in a real terminal emulator.
 *
 * tmux shows text only, and the pty tests (test_tui_gfx) check the bytes
 * lorascope sends. Neither shows whether a terminal draws them as meant.
 * Here lorascope runs in xterm (in its VT340 mode, which shows sixel
 * pictures) on a virtual X display, and the test reads the window's
 * pixels (xwd):
 *
 *  - lesson 2's photo is on screen as a real picture: the pixels under its
 *    cells, at the window's full resolution, correlate with boats.pgm
 *    above 0.97 (measured: 0.9998 as sixel; the half-block stand-in, two
 *    pixels a cell, reaches 0.955, so it fails here) and are not a few
 *    flat greys;
 *  - on xterm's default white background, the light theme was chosen: the
 *    demo's values are drawn dark (the dark theme draws them white, which
 *    vanishes there).
 *
 * Where the photo and the values are comes from the same page laid out in
 * tmux at the same size (the cells are the same in both; tmux shows the
 * photo's half blocks). Needs Xvfb, xterm, xwd and a monospace font:
 * `make test` installs them (Makefile TEST_PKGS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/wait.h>

#include "tui_harness.h"

enum { COLS = 100, ROWS = 48 };

/* ---------------------------------------------------------------------------
 * Where things are, from the tmux layout */

/* The screen as rows of cells (one code point each; the page's characters
 * are all one column wide). Returns the number of rows. */
static int split_cells(const char *screen, char cells[ROWS][COLS][5])
{
    memset(cells, 0, sizeof(char[ROWS][COLS][5]));
    int y = 0, x = 0;
    for (const unsigned char *p = (const unsigned char *)screen; *p && y < ROWS;) {
        if (*p == '\n') {
            y++, x = 0, p++;
            continue;
        }
        int n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        if (x < COLS) memcpy(cells[y][x], p, (size_t)n);
        x++;
        p += n;
    }
    return y;
}

static bool is_half_block(const char *c)
{
    return strcmp(c, "▀") == 0 || strcmp(c, "▄") == 0 || strcmp(c, "█") == 0;
}

/* The first picture: the top-left run of >= 10 half blocks, and how far it
 * goes down. */
static bool find_photo(char cells[ROWS][COLS][5], int *y0, int *x0, int *h, int *w)
{
    for (int y = 0; y < ROWS; y++)
        for (int x = 0; x + 10 <= COLS; x++) {
            int run = 0;
            while (x + run < COLS && is_half_block(cells[y][x + run]))
                run++;
            if (run < 10) continue;
            int rows = 0;
            while (y + rows < ROWS && is_half_block(cells[y + rows][x]) && is_half_block(cells[y + rows][x + run - 1]))
                rows++;
            *y0 = y, *x0 = x, *h = rows, *w = run;
            return true;
        }
    return false;
}

/* Row and first column of `text` on the screen (cells), or false. */
static bool find_text(char cells[ROWS][COLS][5], const char *text, int *ty, int *tx)
{
    size_t n = strlen(text);
    for (int y = 0; y < ROWS; y++)
        for (int x = 0; x + (int)n <= COLS; x++) {
            size_t k = 0;
            while (k < n && cells[y][x + (int)k][0] == text[k] && cells[y][x + (int)k][1] == 0)
                k++;
            if (k == n) {
                *ty = y, *tx = x;
                return true;
            }
        }
    return false;
}

/* ---------------------------------------------------------------------------
 * The X side */

typedef struct Shot {
    int w, h;            /* the dump, border included */
    int border;          /* the window's border, in pixels on each side */
    int inner_w, inner_h; /* the window inside it */
    unsigned char *gray; /* (h, w) */
} Shot;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An 8-bit value from a pixel under `mask`. */
static unsigned channel(uint32_t px, uint32_t mask)
{
    if (!mask) return 0;
    int shift = 0;
    while (!(mask >> shift & 1))
        shift++;
    uint32_t v = (px & mask) >> shift, max = mask >> shift;
    return (unsigned)(v * 255u / max);
}

/* Read an xwd dump of a TrueColor window (32 bits a pixel) as grey. */
static bool read_xwd(const char *path, Shot *s)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    unsigned char hdr[100];
    bool ok = fread(hdr, 1, sizeof hdr, f) == sizeof hdr;
    uint32_t header_size = ok ? be32(hdr) : 0, version = ok ? be32(hdr + 4) : 0;
    uint32_t w = be32(hdr + 16), h = be32(hdr + 20), byte_order = be32(hdr + 28);
    uint32_t bpp = be32(hdr + 44), bpl = be32(hdr + 48);
    uint32_t rmask = be32(hdr + 56), gmask = be32(hdr + 60), bmask = be32(hdr + 64);
    uint32_t ncolors = be32(hdr + 76);
    s->inner_w = (int)be32(hdr + 80), s->inner_h = (int)be32(hdr + 84), s->border = (int)be32(hdr + 96);
    if (!ok || version != 7 || bpp != 32 || w == 0 || h == 0 || w > 8192 || h > 8192 || bpl < 4 * w ||
        s->border < 0 || s->inner_w <= 0 || s->inner_h <= 0 || s->border * 2 + s->inner_w > (int)w ||
        s->border * 2 + s->inner_h > (int)h ||
        header_size < 100 || fseek(f, (long)header_size + 12L * (long)ncolors, SEEK_SET) != 0) {
        fclose(f);
        return false;
    }
    unsigned char *row = malloc(bpl);
    s->w = (int)w, s->h = (int)h;
    s->gray = malloc((size_t)w * h);
    for (uint32_t y = 0; y < h && ok; y++) {
        ok = fread(row, 1, bpl, f) == bpl;
        for (uint32_t x = 0; x < w && ok; x++) {
            const unsigned char *p = row + 4 * x;
            uint32_t px = byte_order == 0 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                                (uint32_t)p[3] << 24
                                          : be32(p);
            unsigned r = channel(px, rmask), g = channel(px, gmask), b = channel(px, bmask);
            s->gray[(size_t)y * w + x] = (unsigned char)((299 * r + 587 * g + 114 * b) / 1000);
        }
    }
    free(row);
    fclose(f);
    if (!ok) free(s->gray);
    return ok;
}

static bool have(const char *cmd)
{
    return sh("command -v %s >/dev/null 2>&1", cmd) == 0;
}

/* A binary P5 PGM (8-bit). */
static unsigned char *read_pgm(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    int maxv = 0;
    if (fscanf(f, "P5 %d %d %d", w, h, &maxv) != 3 || maxv != 255 || *w <= 0 || *h <= 0 || fgetc(f) == EOF) {
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)*w * (size_t)*h;
    unsigned char *px = malloc(n);
    if (fread(px, 1, n, f) != n) {
        free(px);
        px = NULL;
    }
    fclose(f);
    return px;
}

/* Pearson correlation of the window's pixels in (x, y, w, h) with the
 * picture box-averaged to that size. */
static double correlation(const Shot *s, int x0, int y0, int w, int h, const unsigned char *pic, int pw, int ph)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int sy0 = y * ph / h, sy1 = (y + 1) * ph / h, sx0 = x * pw / w, sx1 = (x + 1) * pw / w;
            if (sy1 <= sy0) sy1 = sy0 + 1;
            if (sx1 <= sx0) sx1 = sx0 + 1;
            double sum = 0;
            int cnt = 0;
            for (int sy = sy0; sy < sy1; sy++)
                for (int sx = sx0; sx < sx1; sx++)
                    sum += pic[sy * pw + sx], cnt++;
            double a = s->gray[(size_t)(y0 + y) * (size_t)s->w + (size_t)(x0 + x)], b = sum / cnt;
            sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b, n++;
        }
    double va = saa - sa * sa / (double)n, vb = sbb - sb * sb / (double)n;
    return va > 0 && vb > 0 ? (sab - sa * sb / (double)n) / sqrt(va * vb) : 0;
}

static int distinct_greys(const Shot *s, int x0, int y0, int w, int h)
{
    bool seen[256] = {false};
    int n = 0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            unsigned char v = s->gray[(size_t)y * (size_t)s->w + (size_t)x];
            if (!seen[v]) seen[v] = true, n++;
        }
    return n;
}

/* Start Xvfb on a free display number; returns its pid once its socket
 * is there (-1: it did not start within 10 s). */
static pid_t start_xvfb(int *display)
{
    char lock[64], sock[64];
    int n = 90 + (int)(getpid() % 100);
    for (int tries = 0; tries < 100; tries++, n = 90 + (n - 89) % 400) {
        snprintf(lock, sizeof lock, "/tmp/.X%d-lock", n);
        snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", n);
        if (access(lock, F_OK) != 0 && access(sock, F_OK) != 0) break;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char name[16];
        snprintf(name, sizeof name, ":%d", n);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1), dup2(null, 2);
        execlp("Xvfb", "Xvfb", name, "-screen", "0", "1280x1024x24", "-nolisten", "tcp", (char *)NULL);
        _exit(127);
    }
    if (pid < 0) return -1;
    for (int waited = 0; waited < 10000; waited += 50) {
        if (access(sock, F_OK) == 0) {
            *display = n;
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) return -1; /* it gave up */
        sleep_ms(50);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
}

/* ---------------------------------------------------------------------------
 * The test */

/* What the test started, so that a failed assertion still ends it all. */
typedef struct Started {
    pid_t xvfb;
    char home[64];
} Started;

static Started started;

static int teardown(void **state)
{
    (void)state;
    sh("pkill -f 'xterm.*lorascope-xterm-test' >/dev/null 2>&1");
    if (started.xvfb > 0) {
        kill(started.xvfb, SIGTERM);
        waitpid(started.xvfb, NULL, 0);
        started.xvfb = 0;
    }
    if (started.home[0]) sh("rm -rf '%s'", started.home);
    return 0;
}

static void test_photo_and_theme_in_xterm(void **state)
{
    (void)state;
    REQUIRE_TMUX();
    if (!have("Xvfb") || !have("xterm") || !have("xwd"))
        fail_msg("Xvfb, xterm and xwd are needed (Debian: xvfb xterm x11-apps; `make test` installs them)");

    /* The layout, in tmux at the same size. */
    Tui t;
    start(&t, "--lesson 2 --page 3 --graphics text", COLS, ROWS);
    char *screen = wait_for(&t, "energy captured", 10000);
    assert_non_null(screen);
    free(screen);
    screen = wait_for(&t, "original", 10000);
    assert_non_null(screen);
    static char cells[ROWS][COLS][5];
    split_cells(screen, cells);
    free(screen);
    stop(&t);
    int py = 0, px = 0, ph = 0, pw = 0, vy = 0, vx = 0;
    assert_true(find_photo(cells, &py, &px, &ph, &pw));
    assert_true(find_text(cells, "energy captured", &vy, &vx));
    vx += (int)strlen("energy captured") + 1; /* the value after its label */

    int display = 0;
    started.xvfb = start_xvfb(&display);
    assert_true(started.xvfb > 0);
    snprintf(started.home, sizeof started.home, "/tmp/lorascope-xterm-XXXXXX");
    char *home = mkdtemp(started.home);
    assert_non_null(home);
    char xwd_path[512];
    snprintf(xwd_path, sizeof xwd_path, "%s/shot.xwd", home);
    /* No window manager: the window sits at 0,0 without decorations, and
     * -b 0 makes its cells start at pixel 0. */
    sh("cd '%s' && DISPLAY=:%d HOME='%s' XDG_STATE_HOME='%s' xterm -ti vt340 -xrm 'XTerm*numColorRegisters: 256' "
       "-b 0 -geometry %dx%d+0+0 -fa 'DejaVu Sans Mono' -fs 10 -T lorascope-xterm-test "
       "-e env TERM=xterm-256color '%s' --lesson 2 --page 3 >/dev/null 2>&1 &",
       t.root, display, home, home, COLS, ROWS, t.bin);

    int w, h;
    unsigned char *boats = NULL;
    char pgm[1100];
    snprintf(pgm, sizeof pgm, "%s/data/images/boats.pgm", t.root);
    boats = read_pgm(pgm, &w, &h);
    assert_non_null(boats);

    /* Poll the window until the photo shows (the demo starts after the
     * page is drawn), for up to 20 s. */
    Shot shot = {0};
    double corr = 0;
    int greys = 0, cw = 0, ch = 0, b = 0;
    for (int waited = 0; waited < 20000; waited += 250) {
        sleep_ms(250);
        if (sh("DISPLAY=:%d xwd -name lorascope-xterm-test -silent >'%s' 2>>'%s/xwd.err'", display, xwd_path, home) != 0) {
            if (waited + 250 >= 20000) sh("cat '%s/xwd.err' >&2", home);
            continue;
        }
        free(shot.gray);
        shot.gray = NULL;
        if (!read_xwd(xwd_path, &shot)) continue;
        cw = shot.inner_w / COLS, ch = shot.inner_h / ROWS, b = shot.border;
        if (cw < 4 || ch < 8) continue;
        corr = correlation(&shot, b + px * cw, b + py * ch, pw * cw, ph * ch, boats, w, h);
        greys = distinct_greys(&shot, b + px * cw, b + py * ch, pw * cw, ph * ch);
        if (corr > 0.97 && greys >= 48) break;
    }
    print_message("xterm window %d×%d px, cells %d×%d px; photo at cells (%d,%d) %d×%d: correlation %.4f, %d greys\n",
                  shot.w, shot.h, cw, ch, px, py, pw, ph, corr, greys);
    assert_non_null(shot.gray);
    assert_true(corr > 0.97);
    assert_true(greys >= 48);

    /* The value after "energy captured": dark ink on the white window. */
    int darkest = 255;
    for (int y = b + vy * ch; y < b + (vy + 1) * ch; y++)
        for (int x = b + vx * cw; x < b + (vx + 6) * cw && x < shot.w; x++) {
            int v = shot.gray[(size_t)y * (size_t)shot.w + (size_t)x];
            if (v < darkest) darkest = v;
        }
    /* The page's left margin beside the photo is bare background. */
    int paper = shot.gray[(size_t)(b + py * ch + ch / 2) * (size_t)shot.w + (size_t)(b + cw / 2)];
    print_message("background grey %d, darkest pixel of the value %d\n", paper, darkest);
    assert_true(paper > 200);
    assert_true(darkest < 100);

    free(shot.gray);
    free(boats);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_photo_and_theme_in_xterm, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
