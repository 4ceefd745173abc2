/* test_gfx.c — pictures at the terminal's resolution, without a terminal:
 * the sixel encoder (exact bytes for small pictures, and a decoder written
 * here from the VT340 description that must give back every pixel of a
 * random picture), the kitty encoder (exact bytes, chunking, the payload
 * decoding to the picture), reading the start-up answer, choosing a mode,
 * resampling, and pictures travelling through the grid (clip, copy of rows,
 * widget_image, the App dropping them under the help). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/view/gfx.h"
#include "../src/view/grid.h"
#include "../src/view/widgets.h"

/* ---------------------------------------------------------------------------
 * Sixel */

static void test_sixel_exact(void **state)
{
    (void)state;
    const unsigned char px[3] = {0, 255, 0};
    size_t len = 0;
    char *s = gfx_sixel(px, 3, 1, 2, &len);
    assert_non_null(s);
    assert_string_equal(s, "\033P0;1;0q\"1;1;3;1#0;2;0;0;0#1;2;100;100;100#0@?@$#1?@\033\\");
    assert_int_equal(len, strlen(s));
    free(s);
    /* A run of ten equal columns is run-length coded. */
    unsigned char white[60];
    memset(white, 255, sizeof white);
    s = gfx_sixel(white, 10, 6, 2, &len);
    assert_non_null(strstr(s, "#1!10~"));
    assert_null(strstr(s, "-")); /* one band */
    free(s);
    /* Seven rows are two bands. */
    unsigned char seven[7] = {0};
    s = gfx_sixel(seven, 1, 7, 2, &len);
    assert_non_null(strstr(s, "#0~-#0@"));
    free(s);
    /* Silly sizes are refused. */
    assert_null(gfx_sixel(px, 0, 1, 2, &len));
    assert_null(gfx_sixel(px, 3, 1, 1, &len));
    assert_null(gfx_sixel(px, 3, 1, 257, &len));
}

/* Decode a sixel picture made by gfx_sixel into register numbers (w × h);
 * returns the palette's percent gray per register in pal. */
static void sixel_decode(const char *s, int w, int h, int *out, int *pal)
{
    const char *p = strchr(s, 'q');
    assert_non_null(p);
    p++;
    int rw, rh, a, b;
    assert_int_equal(sscanf(p, "\"%d;%d;%d;%d", &a, &b, &rw, &rh), 4);
    assert_int_equal(rw, w);
    assert_int_equal(rh, h);
    while (*p && *p != '#')
        p++;
    for (int i = 0; i < w * h; i++)
        out[i] = -1;
    int x = 0, band = 0, colour = 0;
    while (*p && !(p[0] == '\033' && p[1] == '\\')) {
        if (*p == '#') {
            int n = 0;
            p++;
            while (*p >= '0' && *p <= '9')
                n = n * 10 + (*p++ - '0');
            if (*p == ';') {
                int r, g, bb, kind;
                assert_int_equal(sscanf(p, ";%d;%d;%d;%d", &kind, &r, &g, &bb), 4);
                assert_int_equal(kind, 2);
                pal[n] = r;
                while (*p == ';' || (*p >= '0' && *p <= '9'))
                    p++;
            } else {
                colour = n;
            }
            continue;
        }
        if (*p == '$') {
            x = 0, p++;
            continue;
        }
        if (*p == '-') {
            x = 0, band++, p++;
            continue;
        }
        int reps = 1;
        if (*p == '!') {
            reps = 0;
            p++;
            while (*p >= '0' && *p <= '9')
                reps = reps * 10 + (*p++ - '0');
        }
        assert_true(*p >= '?' && *p <= '~');
        int bits = *p++ - '?';
        for (int k = 0; k < reps; k++, x++)
            for (int r = 0; r < 6; r++)
                if (bits & (1 << r)) {
                    int y = band * 6 + r;
                    assert_true(y < h && x < w);
                    assert_int_equal(out[y * w + x], -1); /* each pixel painted once */
                    out[y * w + x] = colour;
                }
    }
}

static void test_sixel_round_trip(void **state)
{
    (void)state;
    enum { W = 37, H = 23, LEVELS = 64 };
    unsigned char px[W * H];
    unsigned s = 12345;
    for (int i = 0; i < W * H; i++) {
        s = s * 1103515245u + 12345u;
        px[i] = (unsigned char)(i % 5 == 0 ? 255 : (s >> 16) & 255); /* runs and noise */
    }
    for (int i = 0; i < W; i++)
        px[i] = 0; /* a first row of one colour */
    size_t len;
    char *six = gfx_sixel(px, W, H, LEVELS, &len);
    assert_non_null(six);
    int out[W * H], pal[256];
    sixel_decode(six, W, H, out, pal);
    for (int i = 0; i < W * H; i++) {
        int want = (px[i] * (LEVELS - 1) + 127) / 255;
        if (out[i] != want) fail_msg("pixel %d: register %d, want %d", i, out[i], want);
        /* Each register's gray is within half a level of the pixel. */
        int pct = pal[out[i]];
        int diff = pct * 255 / 100 - px[i];
        if (diff < 0) diff = -diff;
        if (diff > 255 / (LEVELS - 1) / 2 + 3)
            fail_msg("pixel %d: gray %d%% for %d", i, pct, px[i]);
    }
    free(six);
}

/* ---------------------------------------------------------------------------
 * Kitty */

static int b64_value(char c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(t, c);
    return p && c ? (int)(p - t) : -1;
}

static void test_kitty_exact(void **state)
{
    (void)state;
    const unsigned char px[2] = {0, 255};
    size_t len;
    char *s = gfx_kitty(px, 2, 1, 3, 4, 7, &len);
    assert_non_null(s);
    assert_string_equal(s, "\033_Ga=T,f=24,s=2,v=1,c=3,r=4,i=7,C=1,q=2,m=0;AAAA////\033\\");
    free(s);
    assert_null(gfx_kitty(px, 2, 1, 0, 4, 7, &len));
}

static void test_kitty_chunks(void **state)
{
    (void)state;
    enum { W = 64, H = 50 };
    unsigned char px[W * H];
    for (int i = 0; i < W * H; i++)
        px[i] = (unsigned char)(i * 7);
    size_t len;
    char *s = gfx_kitty(px, W, H, 20, 10, 3, &len);
    assert_non_null(s);
    /* Chunks: ESC _ G <keys> ; <payload ≤ 4096> ESC \, m=1 on all but the last. */
    unsigned char *rgb = malloc(3 * W * H + 3);
    size_t got = 0;
    int chunks = 0;
    const char *p = s;
    bool last = false;
    while (*p) {
        assert_false(last);
        assert_memory_equal(p, "\033_G", 3);
        const char *semi = strchr(p, ';'), *end = strstr(p, "\033\\");
        assert_non_null(semi);
        assert_non_null(end);
        assert_true(end - semi - 1 <= 4096);
        last = strstr(p, "m=0;") != NULL && strstr(p, "m=0;") < semi;
        if (chunks == 0) assert_non_null(strstr(p, "a=T,f=24,s=64,v=50,c=20,r=10,i=3"));
        for (const char *q = semi + 1; q < end; q += 4) {
            int v[4];
            for (int k = 0; k < 4; k++)
                v[k] = q[k] == '=' ? 0 : b64_value(q[k]);
            for (int k = 0; k < 4; k++)
                assert_true(v[k] >= 0);
            uint32_t x =
                (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
            rgb[got++] = (unsigned char)(x >> 16);
            if (q[2] != '=') rgb[got++] = (unsigned char)(x >> 8);
            if (q[3] != '=') rgb[got++] = (unsigned char)x;
        }
        chunks++;
        p = end + 2;
    }
    assert_true(last);
    assert_int_equal(chunks, (4 * W * H + 4095) / 4096);
    assert_int_equal(got, 3 * W * H);
    for (int i = 0; i < W * H; i++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(rgb[3 * i + c], px[i]);
    free(rgb);
    free(s);
}

/* ---------------------------------------------------------------------------
 * The start-up answer and the mode */

static void test_reply(void **state)
{
    (void)state;
    static const struct {
        const char *reply;
        bool complete;
        GfxMode mode;
    } cases[] = {
        {"\033[?62;4;22c", true, GFX_SIXEL},
        {"\033[?64;1;2;6;9;15;18;21;22c", true, GFX_TEXT}, /* xterm without sixel */
        {"\033[?14;44c", true, GFX_TEXT},                  /* 14 and 44 are not 4 */
        {"\033[?4c", true, GFX_SIXEL},
        {"\033_Gi=31;OK\033\\\033[?62;22c", true, GFX_KITTY},
        {"\033_Gi=31;ENOTSUPPORTED:no\033\\\033[?1;2c", true, GFX_TEXT},
        {"\033[?62;4", false, GFX_TEXT},
        {"", false, GFX_TEXT},
        {"garbage\033[?1;2c", true, GFX_TEXT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].reply);
        if (gfx_reply_complete(cases[i].reply, n) != cases[i].complete)
            fail_msg("case %zu: complete?", i);
        if (gfx_parse_reply(cases[i].reply, n) != cases[i].mode) fail_msg("case %zu: mode", i);
    }
    /* The query asks kitty first and ends with DA1, which every terminal answers. */
    assert_memory_equal(gfx_query, "\033_G", 3);
    assert_string_equal(gfx_query + strlen(gfx_query) - 3, "\033[c");
}

/* The background colour in the same answer (OSC 11), as xterm, VTE and
 * kitty send it, and $COLORFGBG for terminals that are not asked. */
static void test_background(void **state)
{
    (void)state;
    static const struct {
        const char *reply;
        int light;
    } cases[] = {
        {"\033]11;rgb:ffff/ffff/ffff\033\\\033[?63;4c", 1}, /* xterm's default white */
        {"\033]11;rgb:0000/0000/0000\007\033[?62c", 0},      /* BEL-ended, black */
        {"\033]11;rgb:fd/f6/e3\033\\", 1},                 /* solarized light, 2 digits */
        {"\033]11;rgb:2/3/3\033\\", 0},                    /* 1 digit each */
        {"\033]11;rgb:7f7f/7f7f/7f7f\033\\", 0},           /* mid grey: just below half */
        {"\033]11;rgb:8080/8080/8080\033\\", 1},
        {"\033]11;rgb:ffff/ffff\033\\", -1}, /* a component missing */
        {"\033]11;rgb:gg/00/00\033\\", -1},
        {"\033[?62;4c", -1}, /* not said */
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (gfx_parse_background(cases[i].reply, strlen(cases[i].reply)) != cases[i].light)
            fail_msg("case %zu: background", i);
    /* The answer to the background question comes before DA1's. */
    const char *osc = strstr(gfx_query, "\033]11;?");
    assert_non_null(osc);
    assert_true(osc < strstr(gfx_query, "\033[c"));
    assert_int_equal(gfx_background_from_colorfgbg("15;0"), 0);
    assert_int_equal(gfx_background_from_colorfgbg("0;15"), 1);
    assert_int_equal(gfx_background_from_colorfgbg("0;default;7"), 1);
    assert_int_equal(gfx_background_from_colorfgbg("0;"), -1);
    assert_int_equal(gfx_background_from_colorfgbg("15;x"), -1);
    assert_int_equal(gfx_background_from_colorfgbg(""), -1);
    assert_int_equal(gfx_background_from_colorfgbg(NULL), -1);
}

static void test_mode_choice(void **state)
{
    (void)state;
    GfxMode m;
    bool a;
    assert_true(gfx_mode_parse("auto", &m, &a) && a);
    assert_true(gfx_mode_parse("SIXEL", &m, &a) && !a && m == GFX_SIXEL);
    assert_true(gfx_mode_parse("kitty", &m, &a) && m == GFX_KITTY);
    assert_true(gfx_mode_parse("off", &m, &a) && m == GFX_TEXT && !a);
    assert_false(gfx_mode_parse("png", &m, &a));
    assert_false(gfx_mode_parse(NULL, &m, &a));
    assert_string_equal(gfx_mode_name(GFX_SIXEL), "sixel");
    assert_true(gfx_may_query("xterm-256color", NULL, NULL));
    assert_true(gfx_may_query("xterm-kitty", "", NULL));
    assert_false(gfx_may_query("xterm-256color", "/tmp/tmux-0/default,1,0", NULL));
    assert_false(gfx_may_query("xterm-256color", NULL, "1234.pts-0"));
    assert_false(gfx_may_query("tmux-256color", NULL, NULL));
    assert_false(gfx_may_query("screen", NULL, NULL));
    assert_false(gfx_may_query("dumb", NULL, NULL));
    assert_false(gfx_may_query("linux", NULL, NULL));
    assert_false(gfx_may_query(NULL, NULL, NULL));
}

static void test_resample(void **state)
{
    (void)state;
    const unsigned char in[16] = {0,   0,   100, 100, 0,   0,   100, 100,
                                  200, 200, 50,  50,  200, 200, 50,  51};
    unsigned char out[4];
    gfx_resample(out, 2, 2, in, 4, 4);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 100);
    assert_int_equal(out[2], 200);
    assert_int_equal(out[3], 50); /* (50+50+50+51)/4 rounds to 50 */
    unsigned char up[8 * 8];
    gfx_resample(up, 8, 8, in, 4, 4);
    assert_int_equal(up[0], 0);
    assert_int_equal(up[7 * 8 + 7], 51);
}

/* ---------------------------------------------------------------------------
 * Pictures in the grid */

static void test_grid_images(void **state)
{
    (void)state;
    Grid g;
    grid_init(&g, 40, 20, false);
    unsigned char px[4] = {1, 2, 3, 4};
    grid_add_image(&g, (Rect){2, 3, 5, 6}, px, 2, 2);
    grid_add_image(&g, (Rect){18, 0, 5, 6}, px, 2, 2); /* not wholly inside: dropped */
    assert_int_equal(g.n_images, 1);
    unsigned long h1 = g.images[0].hash;
    px[3] = 5;
    grid_add_image(&g, (Rect){10, 3, 5, 6}, px, 2, 2);
    assert_int_equal(g.n_images, 2);
    assert_true(g.images[1].hash != h1);
    /* Rows 1..11 of g shown at row 0 of the screen: the first picture whole,
     * the second (rows 10..14, 2 source rows) cut to its top 2 cell rows,
     * which show its first source row only. */
    Grid screen;
    grid_init(&screen, 40, 12, false);
    grid_copy_rows(&screen, 0, &g, 1, 11);
    assert_int_equal(screen.n_images, 2);
    assert_int_equal(screen.images[0].at.y, 1);
    assert_int_equal(screen.images[0].at.h, 5);
    assert_int_equal(screen.images[0].h, 2);
    assert_int_equal(screen.images[0].gray[0], 1);
    assert_int_equal(screen.images[1].at.y, 9);
    assert_int_equal(screen.images[1].at.h, 2);
    assert_int_equal(screen.images[1].h, 1);
    assert_int_equal(screen.images[1].w, 2);
    assert_int_equal(screen.images[1].gray[1], 2);
    grid_clear(&screen, ROLE_TEXT);
    /* Scrolled so that only the bottom 3 cell rows of the second show:
     * rows 2..4 of 5 are source rows 0.8..2, so rows 0 and 1 (rounded out). */
    grid_copy_rows(&screen, 0, &g, 12, 12);
    assert_int_equal(screen.n_images, 1);
    assert_int_equal(screen.images[0].at.y, 0);
    assert_int_equal(screen.images[0].at.h, 3);
    assert_int_equal(screen.images[0].h, 2);
    grid_clear(&screen, ROLE_TEXT);
    /* Nothing of it in the rows: no picture. */
    grid_copy_rows(&screen, 0, &g, 15, 5);
    assert_int_equal(screen.n_images, 0);
    assert_int_equal(screen.n_images, 0);
    /* widget_image adds its picture only to a grid that shows pixels. */
    float img[6 * 8];
    for (int i = 0; i < 48; i++)
        img[i] = (float)i / 47.0f;
    ViewEnv env = {false, CMODE_256};
    Rect at = widget_image(&screen, (Rect){0, 0, 4, 8}, img, 6, 8, 8, 0, 1, &env);
    assert_int_equal(screen.n_images, 0);
    screen.pixels = true;
    Rect at2 = widget_image(&screen, (Rect){0, 0, 4, 8}, img, 6, 8, 8, 0, 1, &env);
    assert_int_equal(screen.n_images, 1);
    assert_memory_equal(&at, &at2, sizeof at);
    assert_int_equal(screen.images[0].at.w, at.w);
    assert_int_equal(screen.images[0].at.h, at.h);
    assert_int_equal(screen.images[0].w, 8);
    assert_int_equal(screen.images[0].h, 6);
    assert_int_equal(screen.images[0].gray[0], 0);
    assert_int_equal(screen.images[0].gray[47], 255);
    grid_free(&screen);
    grid_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sixel_exact), cmocka_unit_test(test_sixel_round_trip),
        cmocka_unit_test(test_kitty_exact), cmocka_unit_test(test_kitty_chunks),
        cmocka_unit_test(test_reply),       cmocka_unit_test(test_background), cmocka_unit_test(test_mode_choice),
        cmocka_unit_test(test_resample),    cmocka_unit_test(test_grid_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
