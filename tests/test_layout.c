/* test_layout.c — text layout without a terminal: UTF-8 widths, wrapping at
 * 80, 100 and 160 columns (wide and combining characters included), the
 * ASCII fallback, the cell grid, page layout from a real parsed lesson, and
 * whole screens of the App (contents, too-small message, resize). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/lesson/lesson.h"
#include "../src/view/app.h"
#include "../src/view/grid.h"
#include "../src/view/page.h"
#include "../src/view/utf8.h"
#include "../src/view/wrap.h"

/* ---------------------------------------------------------------------------
 * UTF-8 and widths */

static void test_decode_and_width(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(utf8_decode("é", 2, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4); /* 😀 */
    assert_int_equal(uc_width(cp), 2);
    /* Malformed: a lone continuation byte, an overlong form, a surrogate. */
    assert_int_equal(utf8_decode("\x80", 1, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(utf8_decode("\xC0\xAF", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(utf8_decode("\xED\xA0\x80", 3, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    /* Truncated sequence. */
    assert_int_equal(utf8_decode("\xE2\x82", 2, &cp), 1);

    assert_int_equal(utf8_width("rank"), 4);
    assert_int_equal(utf8_width("σ₁ ≥ σ₂"), 7);
    assert_int_equal(utf8_width("e\xCC\x81"), 1);   /* e + combining acute */
    assert_int_equal(utf8_width("漢字"), 4);
    assert_int_equal(utf8_width("‖A − Aₖ‖"), 8);
    char out[4];
    for (uint32_t c = 1; c < 0x11000; c += 97) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        int n = utf8_encode(c, out);
        assert_int_equal(utf8_decode(out, (size_t)n, &cp), n);
        assert_int_equal(cp, c);
    }
}

static void test_fit(void **state)
{
    (void)state;
    int used;
    const char *s = "ab漢字cd";
    /* 3 columns: "ab" and not half of 漢. */
    assert_int_equal(utf8_fit(s, strlen(s), 3, &used), 2);
    assert_int_equal(used, 2);
    assert_int_equal(utf8_fit(s, strlen(s), 4, &used), 5);
    assert_int_equal(used, 4);
}

static void test_ascii_fallback(void **state)
{
    (void)state;
    char *a = utf8_to_ascii("σ₁ ≤ ‖A‖ᵀ — “ok” … × ∈ ℝ");
    assert_string_equal(a, "sigma_1 <= ||A||^T -- \"ok\" ... x  in  R");
    free(a);
    a = utf8_to_ascii("cafe\xCC\x81 漢");
    assert_string_equal(a, "cafe ??");
    free(a);
    /* Everything the fallback makes is ASCII. */
    for (uint32_t c = 0x80; c < 0x3000; c++) {
        const char *sp = uc_ascii(c);
        assert_non_null(sp);
        for (const char *p = sp; *p; p++) assert_true((unsigned char)*p < 0x80);
    }
    assert_true(utf8_locale_is_utf8("UTF-8"));
    assert_true(utf8_locale_is_utf8("utf8"));
    assert_false(utf8_locale_is_utf8("ANSI_X3.4-1968"));
}

/* ---------------------------------------------------------------------------
 * Wrapping */

static const char *const para_text[] = {
    "The singular value decomposition writes ",
    "any",
    " matrix as a sum of rank-1 layers σ₁·u₁v₁ᵀ + σ₂·u₂v₂ᵀ + …, heaviest first. ",
    "Eckart–Young",
    " says that keeping the top k layers gives the best rank-k matrix: ‖A − A_k‖_F = √(Σ σᵢ²). "
    "漢字も折り返す。Combining marks stay with their letter: cafe\xCC\x81, nai\xCC\x88ve, "
    "and a very long identifier supercalifragilisticexpialidocious_and_then_some_more_to_exceed_"
    "any_reasonable_width_of_a_terminal_line_for_sure_at_eighty_columns_or_more_or_even_more.",
};

static void check_wrap(int width)
{
    WrapSpan spans[5];
    int roles[5] = {0, 1, 0, 2, 0};
    for (int i = 0; i < 5; i++) spans[i] = (WrapSpan){para_text[i], roles[i]};
    Wrap w;
    wrap_spans(&w, spans, 5, width);
    assert_true(w.n_lines >= 2);
    /* Every line fits; none starts or ends with a space; the words are kept. */
    size_t total = 0;
    char joined[4096] = "";
    for (int i = 0; i < w.n_lines; i++) {
        char *line = wrap_line_text(&w, spans, i);
        assert_true(utf8_width(line) <= width);
        assert_int_equal(utf8_width(line), w.lines[i].width);
        if (line[0]) {
            assert_true(line[0] != ' ');
            assert_true(line[strlen(line) - 1] != ' ');
        }
        /* A combining mark never starts a line. */
        uint32_t cp;
        utf8_decode(line, strlen(line), &cp);
        assert_true(!line[0] || uc_width(cp) > 0);
        total += strlen(line);
        strncat(joined, line, sizeof joined - strlen(joined) - 1);
        free(line);
    }
    assert_non_null(strstr(joined, "cafe\xCC\x81"));
    assert_non_null(strstr(joined, "σ₁·u₁v₁ᵀ"));
    /* Only the long identifier is broken inside a word. */
    char all[4096] = "";
    for (int i = 0; i < 5; i++) strcat(all, para_text[i]);
    size_t nonspace_all = 0, nonspace_joined = 0;
    for (char *p = all; *p; p++) nonspace_all += *p != ' ';
    for (char *p = joined; *p; p++) nonspace_joined += *p != ' ';
    assert_int_equal(nonspace_all, nonspace_joined);
    wrap_free(&w);
}

static void test_wrap_80(void **state) { (void)state; check_wrap(80); }
static void test_wrap_100(void **state) { (void)state; check_wrap(100); }
static void test_wrap_160(void **state) { (void)state; check_wrap(160); }

static void test_wrap_edges(void **state)
{
    (void)state;
    Wrap w;
    WrapSpan empty = {"", 0};
    wrap_spans(&w, &empty, 1, 80);
    assert_int_equal(w.n_lines, 1);
    assert_int_equal(w.lines[0].width, 0);
    wrap_free(&w);
    /* A hard break. */
    WrapSpan hb = {"one\ntwo", 0};
    wrap_spans(&w, &hb, 1, 80);
    assert_int_equal(w.n_lines, 2);
    wrap_free(&w);
    /* A wide character on a 1-column line still makes progress. */
    WrapSpan wide = {"漢字", 0};
    wrap_spans(&w, &wide, 1, 1);
    assert_int_equal(w.n_lines, 2);
    wrap_free(&w);
    /* A word across two spans stays together: "**rank**-k". */
    WrapSpan two[2] = {{"aaaa rank", 1}, {"-k bbbb", 0}};
    wrap_spans(&w, two, 2, 9);
    char *l1 = wrap_line_text(&w, two, 1);
    assert_string_equal(l1, "rank-k");
    free(l1);
    wrap_free(&w);
}

/* ---------------------------------------------------------------------------
 * Grid */

/* What the layout tests rely on: text cut short and text over text are
 * counted, rules and blanks are not; grid_put_words never cuts a word. */
static void test_grid_cuts_and_overlaps(void **state)
{
    (void)state;
    Grid g;
    grid_init(&g, 20, 3, false);
    grid_put(&g, 0, 0, "fits", ROLE_TEXT, 4);
    grid_put(&g, 0, 5, "ends in blanks   ", ROLE_TEXT, 14);
    grid_hline(&g, 1, 0, 20, ROLE_FRAME);
    grid_put(&g, 1, 2, " a label on a rule ", ROLE_LABEL, -1);
    assert_int_equal(g.cuts, 0);
    assert_int_equal(g.overlaps, 0);
    grid_put(&g, 2, 0, "held-out chapters, bits per byte", ROLE_TEXT, 20);
    assert_int_equal(g.cuts, 1);
    assert_string_equal(g.first_cut, "held-out chapters, bits per byte");
    grid_put(&g, 0, 2, "B", ROLE_LABEL, 1); /* into "fits" */
    assert_int_equal(g.overlaps, 1);
    grid_clear(&g, ROLE_TEXT);
    assert_int_equal(g.cuts + g.overlaps, 0);
    /* Whole words, then an ellipsis, within the width. */
    int used = grid_put_words(&g, 0, 0, "W + (α/r)·B·A drawn with the real shapes", ROLE_TEXT, 16);
    char *row = grid_row_text(&g, 0);
    assert_string_equal(row, "W + (α/r)·B·A…");
    assert_true(used <= 16);
    free(row);
    assert_int_equal(g.cuts, 0);
    used = grid_put_words(&g, 1, 0, "short", ROLE_TEXT, 16);
    assert_int_equal(used, 5);
    grid_free(&g);
}

static void test_grid_put(void **state)
{
    (void)state;
    Grid g;
    grid_init(&g, 10, 2, false);
    /* A wide character that does not fit is not split. */
    int used = grid_put(&g, 0, 8, "a漢", ROLE_TEXT, -1);
    assert_int_equal(used, 2);
    char *row = grid_row_text(&g, 0);
    assert_string_equal(row, "        a");
    free(row);
    grid_put(&g, 1, 0, "漢x", ROLE_TEXT, -1);
    assert_int_equal(grid_at(&g, 1, 1)->width, 0);
    /* Overwriting half of it blanks the other half. */
    grid_put(&g, 1, 1, "y", ROLE_TEXT, -1);
    row = grid_row_text(&g, 1);
    assert_string_equal(row, " yx");
    free(row);
    /* Combining marks attach to the previous cell. */
    grid_put(&g, 0, 0, "e\xCC\x81!", ROLE_TEXT, -1);
    assert_string_equal(grid_at(&g, 0, 0)->ch, "e\xCC\x81");
    assert_string_equal(grid_at(&g, 0, 1)->ch, "!");
    assert_int_equal(grid_row_find(&g, 0, "!", 0), 1);
    /* Clipping. */
    grid_clip(&g, (Rect){0, 0, 1, 3});
    used = grid_put(&g, 0, 0, "abcdef", ROLE_TEXT, -1);
    assert_int_equal(used, 3);
    assert_int_equal(grid_put(&g, 1, 0, "zz", ROLE_TEXT, -1), 0);
    grid_unclip(&g);
    /* ASCII grids spell what they are given. */
    g.ascii = true;
    grid_put(&g, 1, 0, "σ ≤ ●", ROLE_TEXT, -1);
    row = grid_row_text(&g, 1);
    assert_string_equal(row, "sigma <= o");
    free(row);
    grid_free(&g);
}

/* ---------------------------------------------------------------------------
 * Page layout from a real lesson (parsed by the lesson layer) */

static const char lesson_md[] =
    "# Layout test\n"
    "\n"
    "## First page\n"
    "\n"
    "A paragraph with *emphasis*, **strong** text, `inline code` and a [link](02-svd.md). "
    "It is long enough to wrap at eighty columns, which it must do without losing words.\n"
    "\n"
    "- a list item that is also rather long so that it wraps onto a second line in narrow "
    "terminals, aligned after its bullet\n"
    "- second item\n"
    "  1. nested ordered\n"
    "\n"
    "> A quoted remark about σ₁ ≥ σ₂ and ‖A‖.\n"
    "\n"
    "```c\n"
    "int main(void) { return 0; }\n"
    "```\n"
    "\n"
    "---\n"
    "\n"
    "### A small heading\n"
    "\n"
    "```question\n"
    "ask = What is 2 + 2?\n"
    "choice = 3\n"
    "choice = * 4\n"
    "explain = Two and two make four.\n"
    "```\n"
    "\n"
    "## Second page\n"
    "\n"
    "Text on page two mentions a needle.\n";

static void parse_lesson(Lesson *l)
{
    Status st = {0};
    assert_int_equal(lesson_parse(l, lesson_md, strlen(lesson_md), "01-layout.md", &st), LS_OK);
    assert_int_equal(l->n_pages, 2);
}

static void check_page(int width, bool ascii)
{
    Lesson l;
    parse_lesson(&l);
    PageView pv;
    page_open(&pv, &l, 0);
    ViewEnv venv = {ascii, CMODE_256};
    PageEnv env = {&venv, false, NULL, NULL};
    page_render(&pv, width, &env);
    assert_int_equal(pv.canvas.w, width);
    bool bullet = false, quote = false, code = false, question = false, title = false;
    for (int y = 0; y < pv.canvas.h; y++) {
        char *row = grid_row_text(&pv.canvas, y);
        assert_true(utf8_width(row) <= width);
        if (ascii)
            for (char *p = row; *p; p++) assert_true((unsigned char)*p < 0x80);
        if (strstr(row, ascii ? "* a list item" : "• a list item")) bullet = true;
        if (strstr(row, ascii ? "| A quoted" : "│ A quoted")) quote = true;
        if (strstr(row, "int main(void)")) code = true;
        if (strstr(row, "Question 1")) question = true;
        if (strstr(row, "First page")) title = true;
        free(row);
    }
    assert_true(bullet && quote && code && question && title);
    /* The wrapped list item continues under its text, not under the bullet. */
    for (int y = 0; y + 1 < pv.canvas.h; y++) {
        char *row = grid_row_text(&pv.canvas, y);
        if (strstr(row, "a list item") && width < 100) {
            char *next = grid_row_text(&pv.canvas, y + 1);
            assert_true(strncmp(next, "    ", 4) == 0);
            assert_true(next[4] != ' ');
            free(next);
        }
        free(row);
    }
    /* The question is the page's only focusable item. */
    assert_int_equal(pv.n_focus, 1);
    /* The link was recorded where it was drawn. */
    assert_true(pv.n_links >= 1);
    assert_string_equal(page_link_at(&pv, pv.links[0].y, pv.links[0].x0), "02-svd.md");
    page_close(&pv);
    lesson_free(&l);
}

static void test_page_80(void **state) { (void)state; check_page(80, false); }
static void test_page_100(void **state) { (void)state; check_page(100, false); }
static void test_page_160(void **state) { (void)state; check_page(160, false); }
static void test_page_ascii(void **state) { (void)state; check_page(80, true); }

static void test_question_answer(void **state)
{
    (void)state;
    Lesson l;
    parse_lesson(&l);
    PageView pv;
    page_open(&pv, &l, 0);
    ViewEnv venv = {false, CMODE_256};
    PageEnv env = {&venv, false, NULL, NULL};
    page_render(&pv, 100, &env);
    page_focus_step(&pv, +1);
    assert_int_equal(pv.focus, 0);
    assert_int_equal(page_key(&pv, '1', ACT_ANSWER) & EV_HANDLED, EV_HANDLED);
    assert_true(pv.answer.pending);
    assert_false(pv.answer.right);
    page_key(&pv, '2', ACT_ANSWER);
    assert_true(pv.answer.right);
    page_render(&pv, 100, &env);
    bool right = false;
    for (int y = 0; y < pv.canvas.h; y++) {
        char *row = grid_row_text(&pv.canvas, y);
        if (strstr(row, "Right. Two and two make four.")) right = true;
        free(row);
    }
    assert_true(right);
    /* Tab past the last item clears the focus. */
    page_focus_step(&pv, +1);
    assert_int_equal(pv.focus, -1);
    page_close(&pv);
    lesson_free(&l);
}

/* ---------------------------------------------------------------------------
 * Whole screens */

static void app_with_lesson(App *a, LessonList *list, Lesson *l)
{
    parse_lesson(l);
    list->lessons = l;
    list->n = 1;
    app_init(a, list, NULL, NULL, (ViewEnv){false, CMODE_256}, NULL, false);
}

static bool screen_has(App *a, Grid *g, const char *text)
{
    app_draw(a, g);
    bool found = false;
    for (int y = 0; y < g->h && !found; y++) {
        char *row = grid_row_text(g, y);
        found = strstr(row, text) != NULL;
        free(row);
    }
    return found;
}

static void test_app_screens(void **state)
{
    (void)state;
    App a;
    LessonList list;
    Lesson l;
    app_with_lesson(&a, &list, &l);
    Grid g;
    grid_init(&g, 1, 1, false);
    app_resize(&a, 100, 30);
    assert_true(screen_has(&a, &g, "Lessons"));
    assert_true(screen_has(&a, &g, "Layout test"));
    assert_int_equal(app_key(&a, VK_ENTER) & EV_REDRAW, EV_REDRAW);
    assert_true(screen_has(&a, &g, "First page"));
    assert_true(screen_has(&a, &g, "page 1/2"));
    /* Too small: the message, and only q does anything. */
    app_resize(&a, 79, 24);
    assert_true(screen_has(&a, &g, "needs at least 80×24"));
    assert_true(screen_has(&a, &g, "79×24"));
    assert_int_equal(app_key(&a, 'n'), EV_HANDLED);
    app_resize(&a, 80, 24);
    assert_false(screen_has(&a, &g, "needs at least"));
    /* n / → turn pages when nothing has focus. */
    app_key(&a, VK_RIGHT);
    assert_true(screen_has(&a, &g, "page 2/2"));
    app_key(&a, 'p');
    assert_true(screen_has(&a, &g, "page 1/2"));
    /* Search finds the other page. */
    app_key(&a, '/');
    for (const char *p = "needle"; *p; p++) app_key(&a, *p);
    app_key(&a, VK_ENTER);
    assert_true(screen_has(&a, &g, "page 2/2"));
    assert_true(screen_has(&a, &g, "found on page 2"));
    /* Help lists every binding. */
    app_key(&a, '?');
    assert_true(screen_has(&a, &g, "Every key"));
    /* At 80 columns a long description wraps under its column, whole. */
    bool wrapped = false;
    for (int k = 0; k < 80 && !wrapped; k++) {
        wrapped = screen_has(&a, &g, "lab: re-run one cell of the shipped (or") &&
                  screen_has(&a, &g, "opened) experiment live");
        if (!wrapped) app_key(&a, 'j');
    }
    assert_true(wrapped);
    app_key(&a, 'x');
    assert_false(screen_has(&a, &g, "Every key"));
    /* Themes cycle. */
    const Theme *t0 = app_theme(&a);
    app_key(&a, 'T');
    assert_ptr_not_equal(app_theme(&a), t0);
    /* Presentation mode: no bars, contrast theme, blocks revealed one by one. */
    app_key(&a, 'p');
    app_key(&a, 'P');
    assert_string_equal(app_theme(&a)->name, "contrast");
    assert_false(screen_has(&a, &g, "? keys")); /* no status bar ... */
    assert_true(screen_has(&a, &g, "lesson 1 · page 1/2")); /* ... only where we are */
    assert_false(screen_has(&a, &g, "A paragraph"));
    app_key(&a, VK_PGDN);
    assert_true(screen_has(&a, &g, "A paragraph"));
    assert_false(screen_has(&a, &g, "second item"));
    app_key(&a, 'b');
    assert_false(screen_has(&a, &g, "A paragraph"));
    app_key(&a, 'x'); /* any key unblanks */
    assert_true(screen_has(&a, &g, "A paragraph"));
    app_key(&a, VK_ESC);
    assert_true(screen_has(&a, &g, "page 1/2"));
    assert_int_equal(app_key(&a, 'q'), EV_QUIT);
    grid_free(&g);
    app_free(&a);
    lesson_free(&l);
}

static void test_app_160(void **state)
{
    (void)state;
    App a;
    LessonList list;
    Lesson l;
    app_with_lesson(&a, &list, &l);
    Grid g;
    grid_init(&g, 1, 1, false);
    app_resize(&a, 160, 50);
    app_key(&a, VK_ENTER);
    assert_true(screen_has(&a, &g, "First page"));
    assert_int_equal(g.w, 160);
    assert_int_equal(g.h, 50);
    /* Reading text stays at most 100 columns wide at 160. */
    for (int y = 0; y < g.h; y++) {
        char *row = grid_row_text(&g, y);
        if (strstr(row, "A paragraph")) assert_true(utf8_width(row) <= 104);
        free(row);
    }
    grid_free(&g);
    app_free(&a);
    lesson_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_and_width),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_ascii_fallback),
        cmocka_unit_test(test_wrap_80),
        cmocka_unit_test(test_wrap_100),
        cmocka_unit_test(test_wrap_160),
        cmocka_unit_test(test_wrap_edges),
        cmocka_unit_test(test_grid_put),
        cmocka_unit_test(test_grid_cuts_and_overlaps),
        cmocka_unit_test(test_page_80),
        cmocka_unit_test(test_page_100),
        cmocka_unit_test(test_page_160),
        cmocka_unit_test(test_page_ascii),
        cmocka_unit_test(test_question_answer),
        cmocka_unit_test(test_app_screens),
        cmocka_unit_test(test_app_160),
    };
    return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
