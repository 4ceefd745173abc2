/* test_widgets.c — widget state and drawing without a terminal: slider
 * clamping, steps and log scale, the key table, focus order on a page with
 * demos, plots, bars, images, matrices, tables and the theme table. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/lesson/lesson.h"
#include "../src/view/dview.h"
#include "../src/view/dview_lab_plot.h"
#include "../src/view/keys.h"
#include "../src/view/page.h"
#include "../src/view/slider.h"
#include "../src/view/theme.h"
#include "../src/view/utf8.h"
#include "../src/view/widgets.h"

/* ---------------------------------------------------------------------------
 * Slider */

static void test_slider_clamp_and_steps(void **state)
{
    (void)state;
    Slider s;
    slider_init_linear(&s, "rank", 1, 10, 4, 1, 3, true);
    assert_true(s.value == 4);
    slider_set(&s, 0);
    assert_true(s.value == 1);
    slider_set(&s, 11);
    assert_true(s.value == 10);
    slider_set(&s, 3.6);
    assert_true(s.value == 4);
    slider_set(&s, NAN);
    assert_true(s.value == 1);
    assert_true(slider_step(&s, +1, false));
    assert_true(s.value == 2);
    assert_true(slider_step(&s, +1, true));
    assert_true(s.value == 5);
    slider_set(&s, 9);
    assert_true(slider_step(&s, +1, true));
    assert_true(s.value == 10);
    assert_false(slider_step(&s, +1, false)); /* at the end: no change */
    assert_true(slider_step(&s, -1, true));
    assert_true(s.value == 7);
    /* Positions: ends map to ends, knob columns too. */
    slider_set(&s, 1);
    assert_true(slider_pos(&s) == 0);
    assert_int_equal(slider_knob_col(&s, 50), 0);
    slider_set(&s, 10);
    assert_true(slider_pos(&s) == 1);
    assert_int_equal(slider_knob_col(&s, 50), 49);
    assert_true(slider_value_at_col(&s, 0, 50) == 1);
    assert_true(slider_value_at_col(&s, 49, 50) == 10);
    char buf[32];
    slider_format(&s, buf, (int)sizeof buf);
    assert_string_equal(buf, "10");
    /* A real slider keeps its value unrounded. */
    slider_init_linear(&s, "x", 0, 1, 0.25, 0.1, 0, false);
    assert_true(fabs(s.value - 0.25) < 1e-12);
    slider_step(&s, +1, false);
    assert_true(fabs(s.value - 0.35) < 1e-12);
}

static void test_slider_log(void **state)
{
    (void)state;
    Slider s;
    slider_init_log(&s, "noise", 1e-6, 1, 1e-3, 10, 100, false);
    assert_true(fabs(slider_pos(&s) - 0.5) < 1e-9);  /* 1e-3 is half way in log */
    slider_step(&s, +1, false);
    assert_true(fabs(s.value - 1e-2) < 1e-12);
    slider_step(&s, -1, true);
    assert_true(fabs(s.value - 1e-4) < 1e-15);
    assert_true(fabs(slider_value_at_pos(&s, 0.5) - 1e-3) < 1e-12);
    /* Monotonic mapping column -> value. */
    double prev = 0;
    for (int c = 0; c < 40; c++) {
        double v = slider_value_at_col(&s, c, 40);
        assert_true(v >= prev);
        prev = v;
    }
    /* Integer log slider: a step is at least one. */
    slider_init_log(&s, "rank", 1, 256, 1, 1.000001, 2, true);
    slider_step(&s, +1, false);
    assert_true(s.value == 2);
    slider_step(&s, +1, true);
    assert_true(s.value == 4);
    slider_step(&s, -1, false);
    assert_true(s.value == 3);
    /* A log slider that may be exactly zero. */
    slider_init_log(&s, "noise", 1e-8, 1, 0, 10, 100, false);
    s.zero_floor = true;
    slider_set(&s, 0);
    assert_true(s.value == 0);
    assert_true(slider_pos(&s) == 0);
    slider_step(&s, +1, false);
    assert_true(s.value == 1e-8);
    slider_step(&s, -1, false);
    assert_true(s.value == 0);
    assert_true(slider_value_at_col(&s, 0, 30) == 0);
    char buf[32];
    slider_format(&s, buf, (int)sizeof buf);
    assert_string_equal(buf, "0");
}

static void test_slider_widget(void **state)
{
    (void)state;
    Grid g;
    grid_init(&g, 60, 1, false);
    Slider s;
    slider_init_linear(&s, "rank k", 1, 100, 50, 1, 10, true);
    ViewEnv env = {false, CMODE_256};
    SliderHit hit;
    widget_slider(&g, 0, 0, 60, 0, &s, true, &env, &hit);
    char *row = grid_row_text(&g, 0);
    assert_non_null(strstr(row, "▶ rank k"));
    assert_non_null(strstr(row, "50"));
    assert_non_null(strstr(row, "●"));
    free(row);
    assert_true(hit.w > 10);
    /* A click on the track's last column sets the maximum. */
    MouseEvent ev = {MOUSE_PRESS, 0, hit.x + hit.w - 1};
    int fl = dview_slider_mouse(&s, &hit, &ev, false);
    assert_true(fl & EV_REDRAW);
    assert_true(s.value == 100);
    /* A press off the track is not the slider's. */
    ev.y = 5;
    assert_int_equal(dview_slider_mouse(&s, &hit, &ev, false), 0);
    /* A captured drag may leave the row. */
    ev = (MouseEvent){MOUSE_DRAG, 7, hit.x};
    assert_true(dview_slider_mouse(&s, &hit, &ev, true) & EV_REDRAW);
    assert_true(s.value == 1);
    /* Keys. */
    assert_int_equal(dview_slider_key(&s, ACT_INC), EV_HANDLED | EV_REDRAW);
    assert_int_equal(dview_slider_key(&s, ACT_MAX), EV_HANDLED | EV_REDRAW);
    assert_int_equal(dview_slider_key(&s, ACT_MAX), EV_HANDLED);
    assert_int_equal(dview_slider_key(&s, ACT_SCROLL_DOWN), 0);
    /* ASCII. */
    env.ascii = true;
    grid_clear(&g, ROLE_TEXT);
    widget_slider(&g, 0, 0, 60, 0, &s, false, &env, NULL);
    row = grid_row_text(&g, 0);
    for (char *p = row; *p; p++) assert_true((unsigned char)*p < 0x80);
    assert_non_null(strstr(row, "=O"));
    free(row);
    grid_free(&g);
}

/* ---------------------------------------------------------------------------
 * Keys */

static Action lookup1(int key, KeyCtx a)
{
    return keymap_lookup(key, &a, 1);
}

static void test_keymap(void **state)
{
    (void)state;
    assert_int_equal(lookup1('q', KCTX_PAGE), ACT_QUIT);
    assert_int_equal(lookup1(VK_CTRL_C, KCTX_TOC), ACT_QUIT);
    assert_int_equal(lookup1('?', KCTX_WIDGET), ACT_HELP);
    assert_int_equal(lookup1(VK_RIGHT, KCTX_PAGE), ACT_NEXT_PAGE);
    assert_int_equal(lookup1('n', KCTX_PAGE), ACT_NEXT_PAGE);
    assert_int_equal(lookup1('p', KCTX_PAGE), ACT_PREV_PAGE);
    assert_int_equal(lookup1(VK_LEFT, KCTX_PAGE), ACT_PREV_PAGE);
    assert_int_equal(lookup1(VK_RIGHT, KCTX_WIDGET), ACT_INC);
    assert_int_equal(lookup1('l', KCTX_WIDGET), ACT_INC);
    assert_int_equal(lookup1(']', KCTX_WIDGET), ACT_INC);
    assert_int_equal(lookup1('+', KCTX_WIDGET), ACT_INC);
    assert_int_equal(lookup1('h', KCTX_WIDGET), ACT_DEC);
    assert_int_equal(lookup1('-', KCTX_WIDGET), ACT_DEC);
    assert_int_equal(lookup1(VK_SRIGHT, KCTX_WIDGET), ACT_INC_BIG);
    assert_int_equal(lookup1('L', KCTX_WIDGET), ACT_INC_BIG);
    assert_int_equal(lookup1('9', KCTX_WIDGET), ACT_ANSWER);
    assert_int_equal(lookup1(VK_TAB, KCTX_PAGE), ACT_FOCUS_NEXT);
    assert_int_equal(lookup1(VK_DOWN, KCTX_PAGE), ACT_SCROLL_DOWN);
    assert_int_equal(lookup1('j', KCTX_PAGE), ACT_SCROLL_DOWN);
    assert_int_equal(lookup1(VK_PGDN, KCTX_PAGE), ACT_SCREEN_DOWN);
    assert_int_equal(lookup1(' ', KCTX_PAGE), ACT_SCREEN_DOWN);
    assert_int_equal(lookup1('g', KCTX_PAGE), ACT_TOP);
    assert_int_equal(lookup1('G', KCTX_PAGE), ACT_BOTTOM);
    assert_int_equal(lookup1('/', KCTX_PAGE), ACT_SEARCH);
    /* Clickers: PgDn, PgUp, Right, Left, b and . in presentation mode. */
    assert_int_equal(lookup1(VK_PGDN, KCTX_PRESENT), ACT_REVEAL_NEXT);
    assert_int_equal(lookup1(VK_PGUP, KCTX_PRESENT), ACT_REVEAL_PREV);
    assert_int_equal(lookup1(VK_RIGHT, KCTX_PRESENT), ACT_REVEAL_NEXT);
    assert_int_equal(lookup1(VK_LEFT, KCTX_PRESENT), ACT_REVEAL_PREV);
    assert_int_equal(lookup1('b', KCTX_PRESENT), ACT_BLANK);
    assert_int_equal(lookup1('.', KCTX_PRESENT), ACT_BLANK);
    /* Most specific context first. */
    KeyCtx both[2] = {KCTX_WIDGET, KCTX_PAGE};
    assert_int_equal(keymap_lookup(VK_RIGHT, both, 2), ACT_INC);
    assert_int_equal(keymap_lookup('n', both, 2), ACT_NEXT_PAGE);
    assert_int_equal(lookup1('Z', KCTX_PAGE), ACT_NONE);
}

static void test_keymap_table(void **state)
{
    (void)state;
    /* Every binding has a help line and a name for each key; no key is
     * bound twice in one context. */
    for (int i = 0; keymap[i].action != ACT_NONE; i++) {
        assert_non_null(keymap[i].help);
        assert_true(keymap[i].keys[0] != 0);
        for (int k = 0; k < KEYMAP_MAX_KEYS && keymap[i].keys[k]; k++) {
            char name[32];
            vk_name(keymap[i].keys[k], true, name, (int)sizeof name);
            assert_true(strlen(name) > 0);
            assert_null(strstr(name, "key "));
            for (int j = i; keymap[j].action != ACT_NONE; j++) {
                if (keymap[j].ctx != keymap[i].ctx) continue;
                for (int m = 0; m < KEYMAP_MAX_KEYS && keymap[j].keys[m]; m++)
                    if (j != i || m != k) assert_int_not_equal(keymap[j].keys[m], keymap[i].keys[k]);
            }
        }
    }
    char name[32];
    assert_string_equal(vk_name(VK_PGDN, false, name, (int)sizeof name), "PgDn");
    assert_string_equal(vk_name(VK_RIGHT, false, name, (int)sizeof name), "→");
    assert_string_equal(vk_name(VK_RIGHT, true, name, (int)sizeof name), "Right");
    assert_string_equal(vk_name(' ', false, name, (int)sizeof name), "Space");
}

/* ---------------------------------------------------------------------------
 * Focus order on a page with demos and a question */

static const char focus_md[] =
    "# Focus\n\n## Page\n\n"
    "```demo rank-noise\nrows = 1 2 3; 1 5 6; 3 4 7\n```\n\n"
    "Between.\n\n"
    "```question\nask = Rank?\nchoice = 1\nchoice = * 2\n```\n\n"
    "```demo rowreduce\nrows = 1 2; 3 4\n```\n\n"
    "```demo lora-cost\nd = 64\nk = 32\nrank = 4\n```\n";

static void test_focus_order(void **state)
{
    (void)state;
    Lesson l;
    Status st = {0};
    assert_int_equal(lesson_parse(&l, focus_md, strlen(focus_md), "01-focus.md", &st), LS_OK);
    assert_int_equal(lesson_check(&l, &st), LS_OK);
    PageView pv;
    page_open(&pv, &l, 0);
    ViewEnv venv = {false, CMODE_256};
    PageEnv env = {&venv, false, NULL, NULL};
    page_render(&pv, 100, &env);
    /* rank-noise: 2 sliders; question: 1; rowreduce: 1; lora-cost: 3. */
    assert_int_equal(pv.n_focus, 7);
    int blocks[7], controls[7];
    for (int i = 0; i < 7; i++) {
        page_focus_step(&pv, +1);
        assert_int_equal(pv.focus, i);
        blocks[i] = pv.focus_items[i].block;
        controls[i] = pv.focus_items[i].control;
        /* Page order: rows only go down. */
        if (i) assert_true(page_focus_row(&pv) >= 0);
        page_render(&pv, 100, &env);
    }
    for (int i = 1; i < 7; i++) assert_true(blocks[i] > blocks[i - 1] || (blocks[i] == blocks[i - 1] && controls[i] > controls[i - 1]));
    page_focus_step(&pv, +1);
    assert_int_equal(pv.focus, -1);   /* then none, so arrows turn pages */
    page_focus_step(&pv, -1);
    assert_int_equal(pv.focus, 6);    /* Shift-Tab from none: the last */
    /* The rowreduce stepper moves with the keys. */
    page_focus_set(&pv, 3);
    assert_int_equal(page_key(&pv, VK_RIGHT, ACT_INC), EV_HANDLED | EV_REDRAW);
    page_render(&pv, 100, &env);
    bool step1 = false;
    for (int y = 0; y < pv.canvas.h; y++) {
        char *row = grid_row_text(&pv.canvas, y);
        if (strstr(row, "step 1:")) step1 = true;
        free(row);
    }
    assert_true(step1);
    /* Presentation: only revealed blocks take focus. */
    pv.reveal = 1;
    page_focus_set(&pv, -1);
    page_focus_step(&pv, +1);
    page_focus_step(&pv, +1);
    page_focus_step(&pv, +1);
    assert_int_equal(pv.focus, -1);
    page_close(&pv);
    lesson_free(&l);
}

/* ---------------------------------------------------------------------------
 * Drawing widgets */

static int count_in(const Grid *g, const char *s)
{
    int n = 0;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++)
            if (strcmp(grid_cat(g, y, x)->ch, s) == 0) n++;
    return n;
}

static bool any_braille(const Grid *g, Role r)
{
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            const Cell *c = grid_cat(g, y, x);
            uint32_t cp;
            utf8_decode(c->ch, strlen(c->ch), &cp);
            if (cp > 0x2800 && cp <= 0x28FF && c->role == r) return true;
        }
    return false;
}

/* ---------------------------------------------------------------------------
 * Plot axes: the ticks cover the data */

/* Check one axis against the data range [lo, hi] it must cover. */
static void check_axis(double lo, double hi, bool log_scale, int max_ticks, int label_w)
{
    PlotAxis a;
    plot_axis(&a, lo, hi, log_scale, max_ticks, label_w);
    double dlo = fmin(lo, hi), dhi = fmax(lo, hi);
    print_message("[%g, %g]%s max %d: axis [%g, %g], %d ticks:", lo, hi, log_scale ? " log" : "",
                  max_ticks, a.lo, a.hi, a.n);
    for (int i = 0; i < a.n; i++) print_message(" %s", a.label[i]);
    print_message("\n");
    assert_true(a.n >= 2 && a.n <= max_ticks);
    /* The ends are the first and last ticks, and they cover the data. */
    assert_true(a.at[0] == a.lo && a.at[a.n - 1] == a.hi);
    assert_true(a.lo <= dlo && a.hi >= dhi);
    assert_true(a.hi > a.lo);
    double span = log_scale ? log10(a.hi / a.lo) : a.hi - a.lo;
    double step = span / (a.n - 1);
    for (int i = 0; i < a.n; i++) {
        /* Labels fit, differ from each other, and read back as the tick. */
        assert_true((int)strlen(a.label[i]) <= label_w);
        for (int j = 0; j < i; j++) assert_string_not_equal(a.label[i], a.label[j]);
        double back = strtod(a.label[i], NULL);
        if (log_scale) assert_true(fabs(log10(back) - log10(a.at[i])) < 1e-9);
        else assert_true(fabs(back - a.at[i]) <= 0.26 * step);
        /* Evenly spaced. */
        if (i) {
            double d = log_scale ? log10(a.at[i] / a.at[i - 1]) : a.at[i] - a.at[i - 1];
            assert_true(fabs(d - step) <= 1e-9 * fmax(1, fabs(step)) + 1e-12 * fabs(a.hi));
        }
    }
    if (log_scale) {
        /* Powers of ten, and not more than one stride of slack at either end. */
        assert_true(fabs(log10(a.lo) - nearbyint(log10(a.lo))) < 1e-9);
        assert_true(log10(a.lo) > log10(dlo) - step - 1e-9 && log10(a.hi) < log10(dhi) + 1 + 1e-9);
        return;
    }
    /* A nice step: 1, 2, 2.5 or 5 × 10^k. */
    double m = step / pow(10, floor(log10(step) + 1e-9));
    assert_true(fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 2.5) < 1e-6 || fabs(m - 5) < 1e-6 ||
                fabs(m - 10) < 1e-6);
    /* Not loose: no more than a step of slack past the data at either end. */
    if (dhi > dlo) {
        assert_true(a.lo > dlo - step - 1e-12 && a.hi < dhi + step + 1e-12);
        assert_true(span <= 5 * (dhi - dlo));
    }
}

static void test_plot_axis_ticks(void **state)
{
    (void)state;
    /* The cases of issue 16: σ₁ = 161.6 on a log axis; σᵢ/σ₁ up to 1; the
     * quantization loss 4.2 .. 4.461; the running sums between 1 and 2. */
    check_axis(3e-6, 161.6, true, 4, 7);
    check_axis(1e-7, 1.0, true, 5, 7);
    check_axis(4.2, 4.461, false, 4, 7);
    check_axis(1.0, 2.0, false, 5, 7);
    check_axis(0, 161.6, false, 6, 7);
    /* Degenerate: one value, zero, a single point. */
    check_axis(5, 5, false, 4, 7);
    check_axis(0, 0, false, 4, 7);
    check_axis(-3, -3, false, 3, 7);
    check_axis(7, 7, true, 4, 7);
    check_axis(1e-3, 1e-3, true, 4, 7);
    /* Negative data, data around zero, reversed ends. */
    check_axis(-7.3, -0.2, false, 5, 7);
    check_axis(-1.5, 2.7, false, 4, 7);
    check_axis(2.7, -1.5, false, 4, 7);
    /* Tiny and huge values, and a narrow range far from zero. */
    check_axis(1e-7, 3e-7, false, 4, 7);
    check_axis(0, 3.3e7, false, 5, 7);
    check_axis(-2.5e-5, 1e-5, false, 4, 8);
    check_axis(161.0, 161.6, false, 4, 7);
    check_axis(123456.7, 123459.1, false, 4, 7);
    /* Log axes over many decades and over less than one. */
    check_axis(1e-12, 1e3, true, 4, 7);
    check_axis(0.2, 0.6, true, 4, 7);
    check_axis(20, 3e4, true, 6, 7);
    /* Only two ticks allowed. */
    check_axis(0.37, 0.91, false, 2, 7);
    check_axis(0.5, 48.2, false, 3, 7);   /* the SNR plot: 0, 25, 50 */
    check_axis(0.01, 0.99, false, 5, 7);  /* 0, 0.25, …, 1 */
    check_axis(1e-9, 1e9, true, 2, 7);

    /* The exact ticks for the plain cases. */
    PlotAxis a;
    plot_axis(&a, 1.0, 2.0, false, 5, 7);
    assert_int_equal(a.n, 5);
    assert_string_equal(a.label[0], "1.00");
    assert_string_equal(a.label[1], "1.25");
    assert_string_equal(a.label[4], "2.00");
    plot_axis(&a, 0.5, 48.2, false, 3, 7);
    assert_int_equal(a.n, 3);
    assert_string_equal(a.label[0], "0");
    assert_string_equal(a.label[2], "50");
    plot_axis(&a, 3e-6, 161.6, true, 4, 7);
    assert_string_equal(a.label[a.n - 1], "1000");
    plot_axis(&a, 1e-7, 1.0, true, 8, 7);
    assert_string_equal(a.label[a.n - 1], "1");
    assert_string_equal(a.label[0], "1e-7");
    /* Non-finite ends fall back to [0, 1]. */
    plot_axis(&a, NAN, 3, false, 4, 7);
    assert_true(a.lo == 0 && a.hi == 1);
}

/* Every tick label of a drawn plot, top to bottom (the numbers left of ┤). */
static int tick_values(const Grid *g, double *v, int cap)
{
    int n = 0;
    for (int y = 0; y < g->h && n < cap; y++) {
        char *row = grid_row_text(g, y);
        char *t = strstr(row, "┤");
        if (t) {
            char *p = t;
            while (p > row && p[-1] == ' ') p--;
            while (p > row && p[-1] != ' ') p--;
            v[n++] = strtod(p, NULL);
        }
        free(row);
    }
    return n;
}

/* The top tick label of a drawn plot (NaN: none). */
static double top_tick(const Grid *g)
{
    double v[1];
    return tick_values(g, v, 1) ? v[0] : NAN;
}

/* The drawn plot's top label is at least the largest value (log and linear),
 * and the bottom label at most the smallest. */
static void test_plot_labels_cover_data(void **state)
{
    (void)state;
    float sv[48], sums[200];
    for (int i = 0; i < 48; i++) sv[i] = 161.6f * powf(0.7f, (float)i);
    for (int i = 0; i < 200; i++) sums[i] = 1.0f + (float)i / 199.0f;
    ViewEnv env = {false, CMODE_256};
    Grid g;
    grid_init(&g, 80, 14, false);
    PlotSeries s = {sv, 48, ROLE_SERIES1, "σ"};
    PlotOpts o = {.title = "spectrum", .log_y = true, .hline_y = NAN};
    widget_plot(&g, (Rect){0, 0, 14, 80}, &s, 1, &o, &env);
    assert_true(top_tick(&g) >= 161.6);
    /* Linear, the sum demo's way: an explicit range from 1 to 2. */
    grid_clear(&g, ROLE_TEXT);
    s = (PlotSeries){sums, 200, ROLE_SERIES1, "sum"};
    o = (PlotOpts){.title = "sums", .y_min = 1.0, .y_max = 2.0, .hline_y = NAN};
    widget_plot(&g, (Rect){0, 0, 14, 80}, &s, 1, &o, &env);
    assert_true(top_tick(&g) >= 2.0);
    double v[16] = {0};
    int ticks = tick_values(&g, v, 16);
    double last = ticks ? v[ticks - 1] : NAN;
    assert_true(ticks >= 3);
    assert_true(last <= 1.0);
    grid_free(&g);
}

/* The lab's loss plot: its ticks cover the curves too (4.461 was shown
 * under a top label of 4.29 before). */
static void test_lab_plot_ticks(void **state)
{
    (void)state;
    float a[40], b[40];
    for (int i = 0; i < 40; i++) {
        a[i] = 4.461f - 0.02f * (float)i;
        b[i] = 4.2f + 0.001f * (float)i;
    }
    CurveSeries s[2] = {{NULL, a, 40, 0, -1, ROLE_SERIES1, 'a', 5, "a", NULL},
                        {NULL, b, 40, 0, -1, ROLE_SERIES2, 'b', 5, "b", NULL}};
    CurveOpts o = {.title = "loss", .x_min = 0, .x_max = 39};
    ViewEnv env = {false, CMODE_256};
    Grid g;
    grid_init(&g, 80, 16, false);
    curve_plot(&g, (Rect){0, 0, 16, 80}, s, 2, &o, &env);
    double v[16] = {0};
    int n = tick_values(&g, v, 16);
    assert_true(n >= 2);
    assert_true(v[0] >= 4.461);
    assert_true(v[n - 1] <= 3.681);
    for (int i = 1; i < n; i++) assert_true(v[i] < v[i - 1]);
    grid_free(&g);
}

/* A band (a spread over seeds) is shaded between its edges, behind the
 * lines, and its edges count for the y range. */
static void test_lab_plot_band(void **state)
{
    (void)state;
    float x[3] = {0, 10, 20}, lo[3] = {3.0f, 2.5f, 2.0f}, hi[3] = {3.4f, 2.9f, 2.6f}, mid[3] = {3.2f, 2.7f, 2.3f};
    CurveSeries s[2] = {
        {.x = x, .y = lo, .y_hi = hi, .n = 3, .colour = -1, .role = ROLE_SERIES2, .name = "spread"},
        {.x = x, .y = mid, .n = 3, .colour = -1, .role = ROLE_SERIES1, .mark = 'm', .name = "run"},
    };
    CurveOpts o = {.title = "loss", .x_min = 0, .x_max = 20};
    ViewEnv env = {false, CMODE_256};
    Grid g;
    grid_init(&g, 80, 16, false);
    curve_plot(&g, (Rect){0, 0, 16, 80}, s, 2, &o, &env);
    int shade = count_in(&g, "░");
    assert_true(shade > 20);
    assert_true(any_braille(&g, ROLE_SERIES1));
    double v[16] = {0};
    int n = tick_values(&g, v, 16);
    assert_true(n >= 2 && v[0] >= 3.4 && v[n - 1] <= 2.0);
    /* Without the band: no shade. */
    grid_free(&g);
    grid_init(&g, 80, 16, false);
    curve_plot(&g, (Rect){0, 0, 16, 80}, s + 1, 1, &o, &env);
    assert_int_equal(count_in(&g, "░"), 0);
    grid_free(&g);
}

static void test_plot(void **state)
{
    (void)state;
    float a[64], b[64];
    for (int i = 0; i < 64; i++) {
        a[i] = 100.0f * powf(0.8f, (float)i);
        b[i] = 10.0f - 0.1f * (float)i;
    }
    PlotSeries s[2] = {{a, 64, ROLE_SERIES1, "decay"}, {b, 64, ROLE_SERIES2, "flat"}};
    PlotOpts o = {.title = "spectrum", .log_y = true, .cutoff_x = 8, .cutoff_label = "k=8",
                  .hline_y = NAN, .x_label = "i"};
    ViewEnv env = {false, CMODE_256};
    Grid g;
    grid_init(&g, 70, 14, false);
    widget_plot(&g, (Rect){0, 0, 14, 70}, s, 2, &o, &env);
    assert_true(any_braille(&g, ROLE_SERIES1));
    assert_true(any_braille(&g, ROLE_SERIES2));
    assert_true(count_in(&g, "│") > 5);  /* axis and cut-off */
    char *top = grid_row_text(&g, 0);
    assert_non_null(strstr(top, "spectrum"));
    assert_non_null(strstr(top, "decay"));
    assert_non_null(strstr(top, "flat"));
    free(top);
    /* Log ticks are powers of ten, the top one above the largest value. */
    double top_v = top_tick(&g);
    assert_true(top_v >= 100);
    assert_true(fabs(log10(top_v) - nearbyint(log10(top_v))) < 1e-9);
    /* ASCII: markers instead of braille. */
    env.ascii = true;
    g.ascii = true;
    grid_clear(&g, ROLE_TEXT);
    widget_plot(&g, (Rect){0, 0, 14, 70}, s, 2, &o, &env);
    assert_true(count_in(&g, "*") > 10);
    assert_true(count_in(&g, "o") > 10);
    for (int y = 0; y < g.h; y++) {
        char *row = grid_row_text(&g, y);
        for (char *p = row; *p; p++) assert_true((unsigned char)*p < 0x80);
        free(row);
    }
    grid_free(&g);
}

static void test_bars_image_matrix_table(void **state)
{
    (void)state;
    ViewEnv env = {false, CMODE_256};
    Grid g;
    grid_init(&g, 60, 12, false);
    HBar bars[3] = {{"σ₁", 10, ROLE_KEPT, NULL}, {"σ₂", 5, ROLE_KEPT, NULL}, {"σ₃", 1e-7, ROLE_DROPPED, NULL}};
    widget_hbars(&g, (Rect){0, 0, 4, 60}, bars, 3, 0, false, 0, 0, NULL, &env);
    char *r0 = grid_row_text(&g, 0), *r1 = grid_row_text(&g, 1);
    int full0 = 0, full1 = 0;
    for (char *p = strstr(r0, "█"); p && (p = strstr(p, "█")); p += 3) full0++;
    for (char *p = strstr(r1, "█"); p && (p = strstr(p, "█")); p += 3) full1++;
    assert_true(full0 > 0 && abs(full0 - 2 * full1) <= 1);  /* to scale */
    assert_non_null(strstr(r0, "10"));
    free(r0);
    free(r1);

    /* Image: half blocks with explicit grays in 256 colours. */
    float px[16 * 16];
    for (int i = 0; i < 16 * 16; i++) px[i] = (float)(i % 16) / 15.0f;
    grid_clear(&g, ROLE_TEXT);
    Rect used = widget_image(&g, (Rect){0, 0, 8, 16}, px, 16, 16, 16, 0, 1, &env);
    assert_int_equal(used.w, 16);
    assert_int_equal(used.h, 8);
    const Cell *c0 = grid_cat(&g, 0, 0), *c15 = grid_cat(&g, 0, 15);
    assert_string_equal(c0->ch, "▀");
    assert_true(c0->fg >= 16 && c15->fg >= 16 && c0->fg != c15->fg);
    /* Direct colour. */
    env.colour = CMODE_RGB;
    widget_image(&g, (Rect){0, 0, 8, 16}, px, 16, 16, 16, 0, 1, &env);
    assert_true(GRID_IS_RGB(grid_cat(&g, 0, 15)->fg));
    /* ASCII ramp: dark to bright. */
    env = (ViewEnv){true, CMODE_NONE};
    widget_image(&g, (Rect){0, 0, 8, 16}, px, 16, 16, 16, 0, 1, &env);
    assert_string_equal(grid_cat(&g, 0, 0)->ch, " ");
    assert_string_equal(grid_cat(&g, 0, 15)->ch, "@");
    /* No colour but UTF-8: shades. */
    env = (ViewEnv){false, CMODE_NONE};
    widget_image(&g, (Rect){0, 0, 8, 16}, px, 16, 16, 16, 0, 1, &env);
    assert_string_equal(grid_cat(&g, 0, 15)->ch, "█");

    /* Matrix with heat colours and a cursor. */
    env = (ViewEnv){false, CMODE_256};
    grid_clear(&g, ROLE_TEXT);
    double a[6] = {1, -2, 0, 4.5, 0.125, -1e-7};
    MatrixViewOpts mo = {.cell_w = 8, .heat = true, .cur_i = 1, .cur_j = 0, .hl_row1 = -1, .hl_row2 = -1};
    Rect at = widget_matrix(&g, 0, 0, a, 2, 3, &mo, &env);
    assert_int_equal(at.h, 2);
    char *row = grid_row_text(&g, 0);
    assert_non_null(strstr(row, "-2"));
    free(row);
    row = grid_row_text(&g, 1);
    assert_non_null(strstr(row, "4.5"));
    assert_non_null(strstr(row, "0.125"));
    free(row);
    int i, j;
    assert_true(widget_matrix_hit(at, 2, 3, 8, 1, 2 + 8 + 3, &i, &j));
    assert_int_equal(i, 1);
    assert_int_equal(j, 1);
    assert_false(widget_matrix_hit(at, 2, 3, 8, 5, 3, &i, &j));
    /* Table. */
    grid_clear(&g, ROLE_TEXT);
    const char *cells[] = {"r", "numbers", "%", "1", "8,192", "0.05 %", "8", "65,536", "0.39 %"};
    int rows = widget_table(&g, 0, 0, 60, cells, 3, 3, 2, &env);
    assert_int_equal(rows, 4);
    row = grid_row_text(&g, 3);
    assert_non_null(strstr(row, "65,536"));
    assert_int_equal(grid_cat(&g, 3, 0)->role, ROLE_SELECTED);
    free(row);
    grid_free(&g);

    char buf[32];
    fmt_count(16777216, buf, (int)sizeof buf);
    assert_string_equal(buf, "16,777,216");
    fmt_count(-1000, buf, (int)sizeof buf);
    assert_string_equal(buf, "-1,000");
    fmt_num(3, 7, buf, (int)sizeof buf);
    assert_string_equal(buf, "3");
    fmt_num(-0.333333333, 7, buf, (int)sizeof buf);
    assert_true(strlen(buf) <= 7);
    fmt_num(1.5e-7, 7, buf, (int)sizeof buf);
    assert_true(strlen(buf) <= 7);
}

/* ---------------------------------------------------------------------------
 * Themes */

static void test_themes(void **state)
{
    (void)state;
    assert_non_null(theme_find("dark"));
    assert_non_null(theme_find("light"));
    assert_non_null(theme_find("contrast"));
    assert_null(theme_find("purple"));
    assert_ptr_equal(theme_next(theme_find("contrast")), theme_find("dark"));
    for (int t = 0; theme_table[t]; t++)
        for (int r = 0; r < ROLE_COUNT; r++) {
            const RoleStyle *s = &theme_table[t]->roles[r];
            assert_true(s->fg >= -1 && s->fg < 256);
            assert_true(s->bg >= -1 && s->bg < 256);
        }
    /* The contrast theme paints its own black background on every role. */
    for (int r = 0; r < ROLE_COUNT; r++) assert_true(theme_find("contrast")->roles[r].bg >= 0);
    /* Mono has no colours at all. */
    for (int r = 0; r < ROLE_COUNT; r++) assert_true(theme_mono.roles[r].fg == -1 && theme_mono.roles[r].bg == -1);
    assert_true(theme_no_color("1"));
    assert_false(theme_no_color(""));
    assert_false(theme_no_color(NULL));
    assert_int_equal(theme_fit_colour(196, 8), 1);   /* bright red -> red */
    assert_int_equal(theme_fit_colour(3, 8), 3);
    assert_int_equal(theme_gray256(0), 16);
    assert_int_equal(theme_gray256(1), 231);
    assert_int_equal(theme_palette_rgb(231), 0xffffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slider_clamp_and_steps),
        cmocka_unit_test(test_slider_log),
        cmocka_unit_test(test_slider_widget),
        cmocka_unit_test(test_keymap),
        cmocka_unit_test(test_keymap_table),
        cmocka_unit_test(test_focus_order),
        cmocka_unit_test(test_plot),
        cmocka_unit_test(test_plot_axis_ticks),
        cmocka_unit_test(test_plot_labels_cover_data),
        cmocka_unit_test(test_lab_plot_ticks),
        cmocka_unit_test(test_lab_plot_band),
        cmocka_unit_test(test_bars_image_matrix_table),
        cmocka_unit_test(test_themes),
    };
    return cmocka_run_group_tests_name("widgets", tests, NULL, NULL);
}
