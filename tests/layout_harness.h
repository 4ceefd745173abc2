/* layout_harness.h — lay lessons and demos out without a terminal, shared by
 * the test_layout* programs: parse a lesson from text, render a page at a
 * width and check it (rows inside the width, ASCII in ASCII mode, no demo
 * that failed to start, no word cut by a column edge), check one demo at
 * 80, 100 and 160 columns, and walk every page of a shipped lesson in the
 * App at a screen size.
 *
 * A cut word is text a widget or the page drew that stopped mid-word at the
 * width it was given or at the clip edge: the Grid counts those (grid.h). */
#ifndef LS_TEST_LAYOUT_HARNESS_H
#define LS_TEST_LAYOUT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../src/lesson/lesson.h"
#include "../src/view/app.h"
#include "../src/view/keys.h"
#include "../src/view/page.h"
#include "../src/view/utf8.h"

static inline void lh_parse(Lesson *l, const char *md)
{
    Status st = {0};
    assert_int_equal(lesson_parse(l, md, strlen(md), "03-test.md", &st), LS_OK);
    assert_int_equal(lesson_check(l, &st), LS_OK);
    if (l->n_diags) fail_msg("%s", l->diags[0].message);
}

/* A grid as one string, rows separated by newlines (malloc'd). */
static inline char *lh_grid_text(const Grid *g)
{
    size_t cap = 1 << 16, n = 0;
    char *all = malloc(cap);
    all[0] = 0;
    for (int y = 0; y < g->h; y++) {
        char *row = grid_row_text(g, y);
        size_t k = strlen(row);
        while (n + k + 2 > cap) all = realloc(all, cap *= 2);
        memcpy(all + n, row, k);
        n += k;
        all[n++] = '\n';
        all[n] = 0;
        free(row);
    }
    return all;
}

static inline char *lh_canvas_text(const PageView *pv) { return lh_grid_text(&pv->canvas); }

/* Fail, leaving the whole text in /tmp/lorascope-layout-PID.txt. */
#define LH_FAIL(text, ...)                                                                         \
    do {                                                                                           \
        char lh_path_[64];                                                                         \
        snprintf(lh_path_, sizeof lh_path_, "/tmp/lorascope-layout-%d.txt", (int)getpid());       \
        FILE *lh_f_ = fopen(lh_path_, "w");                                                        \
        if (lh_f_) fputs(text, lh_f_), fclose(lh_f_);                                              \
        print_error("the page is in %s\n", lh_path_);                                              \
        fail_msg(__VA_ARGS__);                                                                     \
    } while (0)

/* Every row of g fits its width and is ASCII in ASCII mode; no text was cut
 * mid-word. `where` names the page in a failure. */
static inline void lh_check_grid(const Grid *g, bool ascii, const char *where)
{
    char *text = lh_grid_text(g);
    for (int y = 0; y < g->h; y++) {
        char *row = grid_row_text(g, y);
        if (utf8_width(row) > g->w) LH_FAIL(text, "%s: row %d is %d wide at %d: %s", where, y, utf8_width(row), g->w, row);
        if (ascii)
            for (char *p = row; *p; p++)
                if ((unsigned char)*p >= 0x80) LH_FAIL(text, "%s: non-ASCII in row %d: %s", where, y, row);
        free(row);
    }
    if (g->cuts) LH_FAIL(text, "%s at %d columns: %d word(s) cut, the first in \"%s\"", where, g->w, g->cuts, g->first_cut);
    if (g->overlaps)
        LH_FAIL(text, "%s at %d columns: text drawn over another text (%d characters), the first \"%s\"", where, g->w,
                g->overlaps, g->first_overlap);
    free(text);
}

/* Render page `page` at width w and check it; returns the text. */
static inline char *lh_render_page(PageView *pv, const Lesson *l, int page, int w, bool ascii)
{
    page_open(pv, l, page);
    ViewEnv venv = {ascii, ascii ? CMODE_NONE : CMODE_256};
    PageEnv env = {&venv, false, NULL, NULL};
    page_render(pv, w, &env);
    assert_int_equal(pv->canvas.w, w);
    lh_check_grid(&pv->canvas, ascii, "demo page");
    char *text = lh_canvas_text(pv);
    if (strstr(text, "cannot run")) LH_FAIL(text, "a demo did not start");
    return text;
}

static inline char *lh_render(PageView *pv, const Lesson *l, int w, bool ascii)
{
    return lh_render_page(pv, l, 0, w, ascii);
}

static inline void lh_rerender(PageView *pv, int w)
{
    ViewEnv venv = {false, CMODE_256};
    PageEnv env = {&venv, false, NULL, NULL};
    page_render(pv, w, &env);
    lh_check_grid(&pv->canvas, false, "after a key");
}

/* A one-page lesson at 80, 100 and 160 columns and in ASCII: the figures
 * that matter are there in full; every control can be focused and scrolled
 * to, inside its block. */
static inline void lh_check_demo(const char *md, const char *const *want, int n_want, int controls)
{
    static const int widths[] = {80, 100, 160};
    Lesson l;
    lh_parse(&l, md);
    for (size_t k = 0; k < sizeof widths / sizeof widths[0] + 1; k++) {
        bool ascii = k == sizeof widths / sizeof widths[0];
        int w = ascii ? 80 : widths[k];
        PageView pv;
        char *text = lh_render(&pv, &l, w, ascii);
        for (int i = 0; i < n_want && !ascii; i++)
            if (!strstr(text, want[i])) LH_FAIL(text, "width %d: no '%s'", w, want[i]);
        assert_int_equal(pv.n_focus, controls);
        for (int f = 0; f < pv.n_focus; f++) {
            page_focus_set(&pv, f);
            assert_non_null(page_focus_hint(&pv));
            if (strstr(page_focus_hint(&pv), "(null)")) fail_msg("control %d's hint: %s", f, page_focus_hint(&pv));
            int row = page_focus_row(&pv);
            assert_true(row >= 0 && row < pv.canvas.h);
        }
        free(text);
        page_close(&pv);
    }
    lesson_free(&l);
}

/* How to walk one shipped lesson. */
typedef struct LhWalk {
    const char *id;                /* "03-precision" */
    int w, h;
    bool present;                  /* presentation mode, every block revealed */
    const char *const *slow_demos; /* NULL-terminated: pages with these are skipped under valgrind */
    bool model_may_be_missing;     /* "cannot run" is fine when it names data/models/base */
    int min_demos;                 /* demos with a view, over all pages */
    bool poke;                     /* move every control to its ends, checking each state */
    bool ascii;                    /* no UTF-8 locale: ASCII only */
} LhWalk;

/* Draw and check one state of the App's page. */
static inline void lh_check_app(App *a, Grid *g, const char *where)
{
    app_draw(a, g);
    lh_check_grid(&a->page.canvas, a->page.canvas.ascii, where);
    lh_check_grid(g, g->ascii, where);
}

/* Every control of the page to its largest value, its smallest, a few steps
 * up and a step down (choices cycle), each state drawn and checked: result
 * rows and labels must fit in every state, not only the lesson's. Buttons
 * (Enter) are not pressed: nothing trains. */
static inline void lh_poke_controls(App *a, Grid *g, const char *where)
{
    /* Big steps up to the top, down to the bottom, then single steps
     * (End and Home scroll the page, so they are not used). */
    static const int moves[] = {VK_SRIGHT, VK_SRIGHT, VK_SRIGHT, VK_SRIGHT, VK_SLEFT, VK_SLEFT, VK_SLEFT,
                                VK_SLEFT,  VK_SLEFT,  VK_SLEFT,  VK_RIGHT, VK_RIGHT, VK_RIGHT};
    for (int f = 0; f < a->page.n_focus; f++) {
        for (size_t m = 0; m < sizeof moves / sizeof moves[0]; m++) {
            page_focus_set(&a->page, f);
            app_key(a, moves[m]);
            if (getenv("LH_DEBUG")) {
                app_draw(a, g);
                char *t = lh_canvas_text(&a->page);
                const char *q = strstr(t, getenv("LH_DEBUG"));
                if (q) fprintf(stderr, "%s %d %zu: %.100s\n", where, f, m, q);
                free(t);
            }
            char w[160];
            snprintf(w, sizeof w, "%s, control %d after move %zu", where, f, m);
            lh_check_app(a, g, w);
        }
    }
}

/* Every page of a shipped lesson in the App: the page and the screen draw
 * at w × h and pass lh_check_grid; nothing trains until asked; with
 * wk->poke every control is moved through its range too; the end of each
 * page (G) draws too. */
static inline void lh_walk_lesson(const LhWalk *wk)
{
    LessonList list;
    Status st = {0};
    assert_int_equal(lessons_load_dir(&list, "lessons", &st), LS_OK);
    int idx = -1;
    for (int i = 0; i < list.n; i++)
        if (strcmp(list.lessons[i].id, wk->id) == 0) idx = i;
    assert_true(idx >= 0);
    assert_int_equal(list.lessons[idx].n_diags, 0);
    App a;
    app_init(&a, &list, NULL, NULL, (ViewEnv){wk->ascii, wk->ascii ? CMODE_NONE : CMODE_256}, NULL, false);
    app_resize(&a, wk->w, wk->h);
    app_open_lesson(&a, idx, 0);
    if (wk->present) app_key(&a, 'P');
    Grid g;
    grid_init(&g, 1, 1, wk->ascii);
    int demos = 0;
    bool slow = getenv("LORASCOPE_UNDER_VALGRIND") != NULL;
    for (int p = 0; p < list.lessons[idx].n_pages; p++) {
        const Page *pg = &list.lessons[idx].pages[p];
        bool skip = false;
        for (int b = 0; b < pg->n_blocks && slow && wk->slow_demos; b++)
            for (const char *const *s = wk->slow_demos; *s; s++)
                skip |= pg->blocks[b].kind == BLOCK_DEMO && pg->blocks[b].info && strcmp(pg->blocks[b].info, *s) == 0;
        if (skip) continue;
        if (p > 0) {
            app_open_lesson(&a, idx, p);
            if (wk->present) {
                a.page.reveal = a.page.n_blocks;
                app_resize(&a, wk->w, wk->h);
            }
        }
        app_draw(&a, &g);
        assert_int_equal(g.w, wk->w);
        assert_int_equal(g.h, wk->h);
        char where[96];
        snprintf(where, sizeof where, "%s page %d at %dx%d%s%s", wk->id, p + 1, wk->w, wk->h,
                 wk->present ? " (presenting)" : "", wk->ascii ? " (ASCII)" : "");
        char *text = lh_canvas_text(&a.page);
        /* LORASCOPE_LAYOUT_DUMP=DIR keeps every page's text, to read them. */
        const char *dump = getenv("LORASCOPE_LAYOUT_DUMP");
        if (dump) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s-p%d-%dx%d%s.txt", dump, wk->id, p + 1, wk->w, wk->h,
                     wk->present ? "-present" : "");
            FILE *f = fopen(path, "w");
            if (f) fputs(text, f), fclose(f);
        }
        lh_check_grid(&a.page.canvas, wk->ascii, where);
        lh_check_grid(&g, wk->ascii, where); /* the screen: title and status bars too */
        if (strstr(text, "no view for demo")) LH_FAIL(text, "%s: no view for a demo", where);
        if (strstr(text, "cannot run") && !(wk->model_may_be_missing && strstr(text, "data/models/base")))
            LH_FAIL(text, "%s: a demo did not start", where);
        for (int b = 0; b < a.page.n_blocks; b++) demos += a.page.blocks[b].view != NULL;
        /* Nothing trains until a student asks. */
        assert_false(app_busy(&a));
        /* Under valgrind the demos' recomputations on every move take
         * minutes; the plain and sanitizer runs move the controls. */
        if (wk->poke && !slow) lh_poke_controls(&a, &g, where);
        app_key(&a, 'G');
        app_draw(&a, &g);
        free(text);
    }
    assert_true(demos >= wk->min_demos);
    grid_free(&g);
    app_free(&a);
    lessons_free(&list);
}

/* The sizes every lesson is walked at: the two that matter most (80 × 24,
 * a projector; 100 × 30), then presenting at 100 × 30, a large one, and
 * 80 × 24 in ASCII. */
static inline void lh_walk_sizes(const char *id, const char *const *slow_demos, bool model_may_be_missing,
                                 int min_demos)
{
    LhWalk wk = {id, 80, 24, false, slow_demos, model_may_be_missing, min_demos, true, false};
    lh_walk_lesson(&wk);
    wk.w = 100, wk.h = 30;
    lh_walk_lesson(&wk);
    /* Under valgrind the two sizes above are enough (each walk redoes
     * every demo's work). */
    if (getenv("LORASCOPE_UNDER_VALGRIND")) return;
    wk.present = true, wk.poke = false;
    lh_walk_lesson(&wk);
    wk.w = 160, wk.h = 50, wk.present = false;
    lh_walk_lesson(&wk);
    /* Without a UTF-8 locale: the ASCII spellings are longer. */
    wk.w = 80, wk.h = 24, wk.ascii = true, wk.poke = true;
    lh_walk_lesson(&wk);
}

#endif
