/* test_layout_lessons57.c — lessons 5 to 7 without a terminal: each new
 * view laid out at 80, 100 and 160 columns (and in ASCII) stays inside the
 * width and shows its key figures; every control can be focused; the
 * shipped lessons 5, 6 and 7 draw on every page at 80×24, 100×30 and
 * 160×50, in presentation mode too; and the App's tick runs a small lab to
 * the end while keys still work between ticks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/lesson/lesson.h"
#include "../src/tune/lab_defaults.h"
#include "../src/view/app.h"
#include "../src/view/dview_lab.h"
#include "../src/view/keys.h"
#include "../src/view/page.h"
#include "../src/view/utf8.h"

static void parse(Lesson *l, const char *md)
{
    Status st = {0};
    assert_int_equal(lesson_parse(l, md, strlen(md), "05-test.md", &st), LS_OK);
    assert_int_equal(lesson_check(l, &st), LS_OK);
    if (l->n_diags) fail_msg("%s", l->diags[0].message);
}

static char *canvas_text(const PageView *pv)
{
    size_t cap = 1 << 16, n = 0;
    char *all = malloc(cap);
    all[0] = 0;
    for (int y = 0; y < pv->canvas.h; y++) {
        char *row = grid_row_text(&pv->canvas, y);
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

/* Render page 0 at width w; every row fits (and is ASCII in ASCII mode). */
static char *render(PageView *pv, const Lesson *l, int w, bool ascii)
{
    page_open(pv, l, l->n_pages - 1);
    ViewEnv venv = {ascii, ascii ? CMODE_NONE : CMODE_256};
    PageEnv env = {&venv, false, NULL};
    page_render(pv, w, &env);
    assert_int_equal(pv->canvas.w, w);
    for (int y = 0; y < pv->canvas.h; y++) {
        char *row = grid_row_text(&pv->canvas, y);
        if (utf8_width(row) > w) fail_msg("row %d is %d wide at %d: %s", y, utf8_width(row), w, row);
        if (ascii)
            for (char *p = row; *p; p++)
                if ((unsigned char)*p >= 0x80) fail_msg("non-ASCII in row %d: %s", y, row);
        free(row);
    }
    char *text = canvas_text(pv);
    if (strstr(text, "cannot run")) fail_msg("a demo did not start:\n%s", text);
    return text;
}

static const int widths[] = {80, 100, 160};

static void check_demo(const char *md, const char *const *want, int n_want, int controls)
{
    Lesson l;
    parse(&l, md);
    for (size_t k = 0; k < sizeof widths / sizeof widths[0] + 1; k++) {
        bool ascii = k == sizeof widths / sizeof widths[0];
        int w = ascii ? 80 : widths[k];
        PageView pv;
        char *text = render(&pv, &l, w, ascii);
        for (int i = 0; i < n_want && !ascii; i++)
            if (!strstr(text, want[i])) {
                FILE *f = fopen("/tmp/lorascope-layout57.txt", "w");
                if (f) fputs(text, f), fclose(f);
                fail_msg("width %d: no '%s' (the page is in /tmp/lorascope-layout57.txt)", w, want[i]);
            }
        assert_int_equal(pv.n_focus, controls);
        for (int f = 0; f < pv.n_focus; f++) {
            page_focus_set(&pv, f);
            assert_non_null(page_focus_hint(&pv));
            int row = page_focus_row(&pv);
            assert_true(row >= 0 && row < pv.canvas.h);
        }
        free(text);
        page_close(&pv);
    }
    lesson_free(&l);
}

static void test_shapes_view(void **state)
{
    (void)state;
    const char *want[] = {"W₀ is d × k = 128 × 128", "LoRA trains r(d + k) = 2,048", "12.5 % of W₀'s", "+ 2 ·",
                          "q and v of all 4 layers: 16,384 numbers"};
    check_demo("# T\n\n## P\n\n```demo lora-shapes\n```\n", want, 5, 3);
    const char *fc[] = {"W₀ is d × k = 512 × 128", "= 5,120"};
    check_demo("# T\n\n## P\n\n```demo lora-shapes\nmatrix = mlp.c_fc\n```\n", fc, 2, 3);
}

static void test_merge_view(void **state)
{
    (void)state;
    const char *want[] = {"[ Train A and B for 40 steps ]", "h.0.attn.c_attn outputs (98,304)",
                          "→ identical, bit for bit", "B = 0, as LoRA starts", "max |difference|"};
    check_demo("# T\n\n## P\n\n```demo lora-merge\n```\n", want, 5, 3);
}

static void test_delta_view(void **state)
{
    (void)state;
    const char *want[] = {"[ Fine-tune the base model fully ]", "Not run yet", "ΔW, r90/r99",
                          "mlp.c_proj"};
    check_demo("# T\n\n## P\n\n```demo lora-delta\n```\n", want, 4, 3);
}

static void test_prefix_views(void **state)
{
    (void)state;
    const char *want[] = {"prefix", "real tokens (keys)", "every row sums to 1", "(exactly 0)",
                          "mean attention on the 8 prefix columns: ", "\"Ishmael.\""};
    check_demo("# T\n\n## P\n\n```demo prefix-attention\n```\n", want, 6, 4);
    const char *wide[] = {"'g'", "Loomings", "pre"};
    check_demo("# T\n\n## P\n\n```demo prefix-attention\nprefix = 32\ntokens = 32\n```\n", wide, 2, 4);
    const char *cost[] = {"L·2·P·d = 16,384", "LoRA r = 8 on q, v", "as many numbers as LoRA of rank 8",
                          "834,304"};
    check_demo("# T\n\n## P\n\n```demo prefix-cost\n```\n", cost, 4, 1);
}

static void test_lab_view(void **state)
{
    (void)state;
    const char *want[] = {"[ Start the lab ]", "7 methods · domain · " LAB_DEFAULT_STEPS_STR " steps of 16 sequences", "[■] lora:16",
                          "[ ] qlora:8", "not started", "trains"};
    check_demo("# T\n\n## P\n\n```demo lab\n```\n", want, 6, 8);
    const char *q[] = {"2 methods", "QLoRA: its frozen base is measured"};
    check_demo("# T\n\n## P\n\n```demo lab\nfull = no\nlora = 8\nprefix = 0\nqlora = 8\n```\n", q, 2, 8);
}

/* The shipped lessons, every page, in the App. */
static void walk_lesson(const char *id, int w, int h, bool present)
{
    LessonList list;
    Status st = {0};
    assert_int_equal(lessons_load_dir(&list, "lessons", &st), LS_OK);
    int idx = -1;
    for (int i = 0; i < list.n; i++)
        if (strcmp(list.lessons[i].id, id) == 0) idx = i;
    assert_true(idx >= 0);
    assert_int_equal(list.lessons[idx].n_diags, 0);
    App a;
    app_init(&a, &list, NULL, NULL, (ViewEnv){false, CMODE_256}, NULL, false);
    app_resize(&a, w, h);
    app_open_lesson(&a, idx, 0);
    if (present) app_key(&a, 'P');
    Grid g;
    grid_init(&g, 1, 1, false);
    int demos = 0;
    /* Under valgrind, the merge demo's forward passes of the real model
     * take minutes; test_demo_lora covers it with a small model. */
    bool slow = getenv("LORASCOPE_UNDER_VALGRIND") != NULL;
    for (int p = 0; p < list.lessons[idx].n_pages; p++) {
        const Page *pg = &list.lessons[idx].pages[p];
        bool heavy = false;
        for (int b = 0; b < pg->n_blocks; b++)
            heavy |= pg->blocks[b].kind == BLOCK_DEMO && pg->blocks[b].info &&
                     strcmp(pg->blocks[b].info, "lora-merge") == 0;
        if (slow && heavy) continue;
        if (p > 0) {
            app_open_lesson(&a, idx, p);
            if (present) {
                a.page.reveal = a.page.n_blocks;
                app_resize(&a, w, h);
            }
        }
        app_draw(&a, &g);
        assert_int_equal(g.w, w);
        assert_int_equal(g.h, h);
        char *text = canvas_text(&a.page);
        assert_null(strstr(text, "no view for demo"));
        if (strstr(text, "cannot run")) fail_msg("%s page %d at %dx%d:\n%s", id, p, w, h, text);
        for (int b = 0; b < a.page.n_blocks; b++) demos += a.page.blocks[b].view != NULL;
        /* Nothing trains until a student asks. */
        assert_false(app_busy(&a));
        app_key(&a, 'G');
        app_draw(&a, &g);
        free(text);
    }
    assert_true(demos >= 2);
    grid_free(&g);
    app_free(&a);
    lessons_free(&list);
}

static void test_lesson5_pages(void **state)
{
    (void)state;
    walk_lesson("05-lora", 80, 24, false);
    walk_lesson("05-lora", 100, 30, true);
    walk_lesson("05-lora", 160, 50, false);
}

static void test_lesson6_pages(void **state)
{
    (void)state;
    walk_lesson("06-prefix", 80, 24, false);
    walk_lesson("06-prefix", 100, 30, false);
    walk_lesson("06-prefix", 160, 50, true);
}

static void test_lesson7_pages(void **state)
{
    (void)state;
    walk_lesson("07-lab", 80, 24, true);
    walk_lesson("07-lab", 100, 30, false);
    walk_lesson("07-lab", 160, 50, false);
}

/* The App runs the test lab (tests/data/lessons/lab) through app_tick, on a
 * tiny model put in its settings; keys are handled between ticks (a
 * scroll, a focus change) and the page keeps drawing. */
static void test_app_ticks_a_lab(void **state)
{
    (void)state;
    Gpt tiny;
    Status gst = {0};
    GptConfig cfg = gpt_config_make(2, 2, 16, 64);
    assert_int_equal(gpt_init(&tiny, &cfg, &gst), LS_OK);
    gpt_init_weights(&tiny, 8);
    LessonList list;
    Status st = {0};
    assert_int_equal(lessons_load_dir(&list, "tests/data/lessons/lab", &st), LS_OK);
    assert_int_equal(list.n, 1);
    App a;
    app_init(&a, &list, NULL, NULL, (ViewEnv){false, CMODE_256}, NULL, false);
    app_resize(&a, 100, 30);
    app_open_lesson(&a, 0, 1);
    Grid g;
    grid_init(&g, 1, 1, false);
    assert_false(app_busy(&a));
    app_key(&a, VK_TAB);
    /* The lab demo of the page, on the tiny model. */
    const FocusItem *fi = &a.page.focus_items[a.page.focus];
    LabDemo *lab = lab_view_demo(a.page.blocks[fi->block].view);
    lab->set.base_model = &tiny;
    assert_true(app_key(&a, VK_ENTER) & EV_REDRAW);
    assert_true(app_busy(&a));
    int ticks = 0, scrolled = 0;
    while (app_busy(&a) && ticks < 100000) {
        int fl = app_tick(&a, 20.0);
        assert_true(fl & EV_REDRAW);
        app_draw(&a, &g);
        if (ticks == 2) {
            int before = a.scroll;
            assert_true(app_key(&a, 'j') & EV_REDRAW);
            scrolled = a.scroll - before;
            int f = a.page.focus;
            app_key(&a, VK_TAB);
            assert_int_equal(a.page.focus, f + 1);
            app_key(&a, VK_BTAB);
        }
        ticks++;
    }
    assert_int_equal(scrolled, 1);
    assert_false(app_busy(&a));
    assert_int_equal(app_tick(&a, 20.0), 0);
    app_draw(&a, &g);
    char *text = canvas_text(&a.page);
    assert_non_null(strstr(text, "[ Run again ]"));
    assert_non_null(strstr(text, "30/30"));
    free(text);
    /* Leaving the page during a run stops it: nothing stays busy. */
    app_key(&a, VK_ENTER);
    assert_true(app_busy(&a));
    app_tick(&a, 20.0);
    app_open_lesson(&a, 0, 0);
    assert_false(app_busy(&a));
    grid_free(&g);
    app_free(&a);
    lessons_free(&list);
    gpt_free(&tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_view),
        cmocka_unit_test(test_merge_view),
        cmocka_unit_test(test_delta_view),
        cmocka_unit_test(test_prefix_views),
        cmocka_unit_test(test_lab_view),
        cmocka_unit_test(test_lesson5_pages),
        cmocka_unit_test(test_lesson6_pages),
        cmocka_unit_test(test_lesson7_pages),
        cmocka_unit_test(test_app_ticks_a_lab),
    };
    return cmocka_run_group_tests_name("layout of lessons 5 to 7", tests, NULL, NULL);
}
