/* test_layout_lessons57.c — lessons 5 to 7 without a terminal: each new
 * view laid out at 80, 100 and 160 columns (and in ASCII) stays inside the
 * width and shows its key figures; every control can be focused; the
 * shipped lessons 5, 6 and 7 draw on every page at 80×24, 100×30 and
 * 160×50, in presentation mode and in ASCII too, with no word cut and no
 * text over text (helpers in layout_harness.h); the App's tick runs a small
 * lab to the end while keys still work between ticks, and every frame of
 * that run, of a short lora-merge training and of a short lora-delta run
 * fits at 80 and 100 columns; quant-loss's label says what a long block
 * does. Needs the real base model: kept out of valgrind (tests/valgrind.sh). */
#include "../src/tune/lab_defaults.h"
#include "../src/view/dview_lab.h"
#include "layout_harness.h"

static void test_shapes_view(void **state)
{
    (void)state;
    const char *want[] = {"W₀ is d × k = 128 × 128", "LoRA trains r(d + k) = 2,048", "12.5 % of W₀'s", "+ 2 ·",
                          "q and v of all 4 layers: 16,384 numbers"};
    lh_check_demo("# T\n\n## P\n\n```demo lora-shapes\n```\n", want, 5, 3);
    const char *fc[] = {"W₀ is d × k = 512 × 128", "= 5,120"};
    lh_check_demo("# T\n\n## P\n\n```demo lora-shapes\nmatrix = mlp.c_fc\n```\n", fc, 2, 3);
    /* The largest rank: B and A as large as W₀; nothing overlaps or is cut. */
    const char *big[] = {"W₀ is d × k = 128 × 128", "LoRA trains r(d + k) = 32,768"};
    lh_check_demo("# T\n\n## P\n\n```demo lora-shapes\nrank = 128\n```\n", big, 2, 3);
    /* A narrow W₀ (512 × 128 drawn small): its label must not run into B's. */
    Lesson l;
    lh_parse(&l, "# T\n\n## P\n\n```demo lora-shapes\nmatrix = mlp.c_fc\nrank = 128\n```\n");
    for (int w = 80; w <= 160; w += 20) {
        PageView pv;
        char *text = lh_render(&pv, &l, w, false);
        const char *row = strstr(text, "W₀");
        row = row ? strstr(row + 1, "\n") : NULL; /* the labels' row follows the title row */
        assert_non_null(row);
        const char *b = strstr(row, "B");
        assert_non_null(b);
        /* Blank before B: the W₀ label ended before it. */
        assert_true(b[-1] == ' ');
        free(text);
        page_close(&pv);
    }
    lesson_free(&l);
}

static void test_merge_view(void **state)
{
    (void)state;
    const char *want[] = {"[ Train A and B for 40 steps ]", "h.0.attn.c_attn outputs (98,304)",
                          "→ identical, bit for bit", "B = 0, as LoRA starts", "max |difference|"};
    lh_check_demo("# T\n\n## P\n\n```demo lora-merge\n```\n", want, 5, 3);
}

static void test_delta_view(void **state)
{
    (void)state;
    const char *want[] = {"[ Fine-tune the base model fully ]", "Not run yet", "ΔW, r90/r99",
                          "mlp.c_proj"};
    lh_check_demo("# T\n\n## P\n\n```demo lora-delta\n```\n", want, 4, 3);
}

static void test_prefix_views(void **state)
{
    (void)state;
    const char *want[] = {"prefix", "real tokens (keys)", "every row sums to 1", "(exactly 0)",
                          "mean attention on the 8 prefix columns: ", "\"Ishmael.\""};
    lh_check_demo("# T\n\n## P\n\n```demo prefix-attention\n```\n", want, 6, 4);
    const char *wide[] = {"'g'", "Loomings", "pre"};
    lh_check_demo("# T\n\n## P\n\n```demo prefix-attention\nprefix = 32\ntokens = 32\n```\n", wide, 2, 4);
    const char *cost[] = {"L·2·P·d = 16,384", "LoRA r = 8 on q, v", "as many numbers as LoRA of rank 8",
                          "834,304"};
    lh_check_demo("# T\n\n## P\n\n```demo prefix-cost\n```\n", cost, 4, 1);
}

/* The lab's controls: run, task, methods, a size slider per method offered
 * at one size (the registry's), LoRA targets, LoRA scale, prefix MLP, lr,
 * steps, seed, curves. */
static int lab_controls(void)
{
    int n = 10;
    for (int k = 0; k < TUNE_NUM_KINDS; k++)
        n += tune_method((TuneKind)k)->size_name && !tune_method((TuneKind)k)->several_sizes;
    return n;
}

static void test_lab_view(void **state)
{
    (void)state;
    const char *want[] = {"[ Start the lab ]", "7 methods · domain · " LAB_DEFAULT_STEPS_STR " steps of 16 sequences", "[■] lora:16", "[ ] prompt:16",
                          "[ ] qlora:8", "not started", "trains"};
    lh_check_demo("# T\n\n## P\n\n```demo lab\n```\n", want, 7, lab_controls());
    const char *q[] = {"2 methods", "QLoRA: its frozen base is measured"};
    lh_check_demo("# T\n\n## P\n\n```demo lab\nfull = no\nlora = 8\nprefix = 0\nqlora = 8\n```\n", q, 2, lab_controls());
}


static void test_lesson5_pages(void **state)
{
    (void)state;
    static const char *const slow[] = {"lora-merge", NULL};
    lh_walk_sizes("05-lora", slow, false, 2);
}

static void test_lesson6_pages(void **state)
{
    (void)state;
    static const char *const slow[] = {"lora-merge", NULL};
    lh_walk_sizes("06-prefix", slow, false, 2);
}

static void test_lesson7_pages(void **state)
{
    (void)state;
    static const char *const slow[] = {"lora-merge", NULL};
    lh_walk_sizes("07-lab", slow, false, 2);
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
        lh_check_app(&a, &g, "the test lab at 100x30");
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
    char *text = lh_canvas_text(&a.page);
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

/* The test lab run to the end at 80 × 24 on a tiny model: every frame
 * (progress, the running plot and table, the results) fits, with no word
 * cut and no text over text; then every control of the finished lab moved. */
static void test_lab_run_fits_80(void **state)
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
    App a;
    app_init(&a, &list, NULL, NULL, (ViewEnv){false, CMODE_256}, NULL, false);
    app_resize(&a, 80, 24);
    app_open_lesson(&a, 0, 1);
    Grid g;
    grid_init(&g, 1, 1, false);
    app_key(&a, VK_TAB);
    const FocusItem *fi = &a.page.focus_items[a.page.focus];
    LabDemo *lab = lab_view_demo(a.page.blocks[fi->block].view);
    lab->set.base_model = &tiny;
    assert_true(app_key(&a, VK_ENTER) & EV_REDRAW);
    int ticks = 0;
    while (app_busy(&a) && ticks < 100000) {
        app_tick(&a, 20.0);
        char where[64];
        snprintf(where, sizeof where, "the test lab at 80x24, tick %d", ticks);
        lh_check_app(&a, &g, where);
        ticks++;
    }
    assert_false(app_busy(&a));
    lh_poke_controls(&a, &g, "the finished test lab at 80x24");
    grid_free(&g);
    app_free(&a);
    lessons_free(&list);
    gpt_free(&tiny);
}

/* A demo's run driven to the end on a page w columns wide (Enter on its
 * first control, then ticks), each frame checked; returns the last text. */
static char *run_demo_checked(const char *md, int w)
{
    Lesson l;
    lh_parse(&l, md);
    PageView pv;
    free(lh_render(&pv, &l, w, false));
    page_focus_set(&pv, 0);
    assert_true(page_key(&pv, VK_ENTER, ACT_OPEN) & EV_HANDLED);
    const PageBlock *pb = &pv.blocks[pv.focus_items[0].block];
    int ticks = 0;
    while (pb->ops->busy && pb->ops->busy(pb->view) && ticks < 100000) {
        pb->ops->tick(pb->view, 20.0);
        char where[64];
        snprintf(where, sizeof where, "%s at %d columns, tick %d", pb->ops->name, w, ticks++);
        ViewEnv venv = {false, CMODE_256};
        PageEnv env = {&venv, false, NULL, NULL};
        page_render(&pv, w, &env);
        lh_check_grid(&pv.canvas, false, where);
    }
    lh_rerender(&pv, w);
    char *text = lh_canvas_text(&pv);
    page_close(&pv);
    lesson_free(&l);
    return text;
}

/* lora-merge trained (two real steps) at 80 and 100 columns: the running
 * button, then the trained adapter's rows, all fit. */
static void test_merge_run_fits(void **state)
{
    (void)state;
    for (int w = 80; w <= 100; w += 20) {
        char *text = run_demo_checked("# T\n\n## P\n\n```demo lora-merge\nsteps = 2\n```\n", w);
        if (!strstr(text, "trained 2 steps on Moby-Dick: held-out loss")) LH_FAIL(text, "no trained adapter");
        assert_non_null(strstr(text, "nats/byte"));
        free(text);
    }
}

/* lora-delta after a short full fine-tune at 80 and 100 columns: the
 * progress, the σᵢ/σ₁ plot (its top tick 1: every curve is divided by its
 * σ₁) and the table all fit. */
static void test_delta_run_fits(void **state)
{
    (void)state;
    for (int w = 80; w <= 100; w += 20) {
        char *text = run_demo_checked("# T\n\n## P\n\n```demo lora-delta\nsteps = 2\nbatch = 2\n```\n", w);
        if (!strstr(text, "σᵢ / σ₁ (log scale)")) LH_FAIL(text, "no spectrum plot");
        const char *t = strstr(text, "σᵢ / σ₁ (log scale)");
        t = strstr(t, "\n");
        assert_non_null(t);
        /* The first tick under the title is the top: 1. */
        double top = strtod(t + 1, NULL);
        assert_true(top == 1.0);
        free(text);
    }
}

/* quant-loss (lesson 4, here because it needs the real model, as this
 * program does) with a block longer than every row: it says the scale is per
 * row, not "block 4096". */
static void test_quant_loss_labels(void **state)
{
    (void)state;
    const char *want[] = {"int4 row (block ≥ row): ", "bits/byte"};
    lh_check_demo("# T\n\n## P\n\n```demo quant-loss\nbits = 4\ngranularity = block\nblock = 4096\nwindows = 4\n```\n",
                  want, 2, 5);
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
        cmocka_unit_test(test_lab_run_fits_80),
        cmocka_unit_test(test_merge_run_fits),
        cmocka_unit_test(test_delta_run_fits),
        cmocka_unit_test(test_quant_loss_labels),
    };
    return cmocka_run_group_tests_name("layout of lessons 5 to 7", tests, NULL, NULL);
}
