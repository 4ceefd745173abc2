/* test_demo_lab.c — lesson 7's lab demo and view on a tiny random GPT: the
 * settings become the lab's method list; the lab runs one unit per tick
 * call to the end; the table rows and curves fill in from the snapshot; a
 * diverged method is reported at its step while the others finish; stop
 * ends training early and the results cover what ran; and the view, driven
 * by keys and ticks like the interface drives it, draws the curves, both
 * tables and the samples. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/demo/demo_lab.h"
#include "../src/tune/tune_lora.h"
#include "../src/lesson/demo_schema.h"
#include "../src/view/dview_lab.h"
#include "../src/view/keys.h"
#include "../src/view/utf8.h"

/* A tiny GPT: the lab copies it, so one serves every test. */
static Gpt tiny;

static int setup(void **state)
{
    (void)state;
    Status st = {0};
    GptConfig cfg = gpt_config_make(2, 2, 16, 16);
    if (gpt_init(&tiny, &cfg, &st)) return -1;
    gpt_init_weights(&tiny, 5);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gpt_free(&tiny);
    return 0;
}

/* Small and quick: a few steps of 2 sequences, short evaluations. */
static void tiny_settings(LabDemoSettings *s)
{
    lab_demo_settings_defaults(s);
    s->on[TUNE_FULL] = true;
    for (int i = 0; i < s->n_ranks; i++) s->rank_on[i] = s->ranks[i] == 2;
    s->on[TUNE_PREFIX] = true;
    s->size[TUNE_PREFIX] = 4;
    s->steps = 12;
    s->batch = 2;
    s->windows = 4;
    s->sample_bytes = 12;
    s->base_model = &tiny;
}

static void run_to_end(LabDemo *d)
{
    for (int i = 0; i < 100000 && lab_demo_running(d); i++) lab_demo_tick(d, 5.0);
    if (d->state == LABD_FAILED) fail_msg("the lab failed: %s", d->err.msg);
    assert_int_equal(d->state, LABD_DONE);
}

static void test_methods_list(void **state)
{
    (void)state;
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    char buf[512];
    /* The defaults are the default lab. */
    assert_int_equal(lab_demo_methods(&s, buf, sizeof buf), 7);
    assert_string_equal(buf, LAB_DEFAULT_METHODS);
    LabConfig c;
    lab_config_defaults(&c);
    assert_int_equal(s.steps, c.steps);
    assert_int_equal(s.task, TASK_DOMAIN);
    /* QLoRA and another prefix length; a learning-rate multiplier. */
    s.on[TUNE_QLORA] = true;
    s.size[TUNE_PREFIX] = 8;
    s.lr_scale = 2;
    for (int i = 0; i < s.n_ranks; i++) s.rank_on[i] = s.ranks[i] == 4;
    assert_int_equal(lab_demo_methods(&s, buf, sizeof buf), 4);
    /* Each method's default rate (tune.c) times 2. */
    char want[512];
    snprintf(want, sizeof want, "full,lr=%.4g,lora:4,lr=%.4g,prefix:8,lr=%.4g,qlora:8,lr=%.4g",
             2 * tune_method(TUNE_FULL)->default_lr, 2 * tune_method(TUNE_LORA)->default_lr,
             2 * tune_method(TUNE_PREFIX)->default_lr, 2 * tune_method(TUNE_QLORA)->default_lr);
    assert_string_equal(buf, want);
    /* The prefix through its MLP has its own default (tune_prefix.c). */
    s.knob[LAB_KNOB_PREFIX_MLP] = 1;
    lab_demo_methods(&s, buf, sizeof buf);
    TuneSpec mlp;
    assert_int_equal(tune_spec_parse(&mlp, "prefix:8,mlp", NULL), LS_OK);
    snprintf(want, sizeof want, "prefix:8,mlp,lr=%.4g", 2 * tune_spec_default_lr(&mlp));
    assert_non_null(strstr(buf, want));
    assert_true(tune_spec_default_lr(&mlp) < tune_method(TUNE_PREFIX)->default_lr / 10);
    s.knob[LAB_KNOB_PREFIX_MLP] = 0;
    /* Nothing chosen: nothing to run, and starting says so. */
    s.on[TUNE_FULL] = s.on[TUNE_PREFIX] = s.on[TUNE_QLORA] = false;
    s.rank_on[2] = false;
    assert_int_equal(lab_demo_methods(&s, buf, sizeof buf), 0);
    LabDemo d;
    lab_demo_init(&d, &s);
    Status st = {0};
    assert_int_not_equal(lab_demo_start(&d, &st), LS_OK);
    assert_int_equal(d.state, LABD_FAILED);
    assert_non_null(strstr(d.err.msg, "at least one method"));
    lab_demo_free(&d);
    /* Ranks are offered once each, sorted. */
    lab_demo_settings_defaults(&s);
    assert_true(lab_demo_add_rank(&s, 3, true));
    assert_true(lab_demo_add_rank(&s, 3, false));
    assert_false(lab_demo_add_rank(&s, 0, true));
    assert_false(lab_demo_add_rank(&s, 65, true));
    for (int i = 1; i < s.n_ranks; i++) assert_true(s.ranks[i - 1] < s.ranks[i]);
    assert_int_equal(lab_demo_methods(&s, buf, sizeof buf), 8);
    assert_non_null(strstr(buf, "lora:2,lora:3,lora:4"));
}

/* The lesson block's parameters become the settings. */
static void test_settings_from_lesson(void **state)
{
    (void)state;
    const char *md = "# T\n\n## P\n\n```demo lab\ntask = addition\nfull = no\nlora = 3 8\nprefix = 0\nqlora = 4\n"
                     "steps = 30\nlr = 0.5\nbatch = 4\nwindows = 8\nseed = 9\n```\n";
    Lesson l;
    Status st = {0};
    assert_int_equal(lesson_parse(&l, md, strlen(md), "07-t.md", &st), LS_OK);
    assert_int_equal(lesson_check(&l, &st), LS_OK);
    assert_int_equal(l.n_diags, 0);
    DemoArgs a;
    assert_int_equal(demo_args_from_block(&a, &l.pages[l.n_pages - 1].blocks[0], &st), LS_OK);
    LabDemoSettings s;
    assert_int_equal(lab_demo_settings_from_args(&s, &a, &st), LS_OK);
    assert_int_equal(s.task, TASK_ADDITION);
    assert_false(s.on[TUNE_FULL]);
    assert_false(s.on[TUNE_PREFIX]);
    assert_true(s.on[TUNE_QLORA]);
    assert_int_equal(s.size[TUNE_QLORA], 4);
    assert_int_equal(s.steps, 30);
    assert_true(fabs(s.lr_scale - 0.5) < 1e-12);
    assert_int_equal(s.batch, 4);
    assert_int_equal(s.windows, 8);
    assert_int_equal((int)s.seed, 9);
    char buf[256];
    assert_int_equal(lab_demo_methods(&s, buf, sizeof buf), 3);
    char want[256];
    snprintf(want, sizeof want, "lora:3,lr=%.4g,lora:8,lr=%.4g,qlora:4,lr=%.4g", 0.5 * tune_method(TUNE_LORA)->default_lr,
             0.5 * tune_method(TUNE_LORA)->default_lr, 0.5 * tune_method(TUNE_QLORA)->default_lr);
    assert_string_equal(buf, want);
    lesson_free(&l);
    /* A rank the toggles cannot hold is an error with the parameter's name. */
    md = "# T\n\n## P\n\n```demo lab\nlora = 100\n```\n";
    assert_int_equal(lesson_parse(&l, md, strlen(md), "07-t.md", &st), LS_OK);
    assert_int_equal(demo_args_from_block(&a, &l.pages[l.n_pages - 1].blocks[0], &st), LS_OK);
    assert_int_not_equal(lab_demo_settings_from_args(&s, &a, &st), LS_OK);
    assert_non_null(strstr(st.msg, "lora"));
    lesson_free(&l);
}

/* The knobs add their option to exactly the methods whose registry row
 * takes it, and the run is built with it: the lab's labels and the
 * runs' specs say so. */
static void test_knobs(void **state)
{
    (void)state;
    const char *md = "# T\n\n## P\n\n```demo lab\nfull = yes\nlora = 2\nprefix = 4\nqlora = 2\n"
                     "targets = all\nscale = fixed\nprefix-mlp = yes\nseed = 7\n```\n";
    Lesson l;
    Status st = {0};
    assert_int_equal(lesson_parse(&l, md, strlen(md), "07-t.md", &st), LS_OK);
    assert_int_equal(lesson_check(&l, &st), LS_OK);
    assert_int_equal(l.n_diags, 0);
    DemoArgs a;
    assert_int_equal(demo_args_from_block(&a, &l.pages[l.n_pages - 1].blocks[0], &st), LS_OK);
    LabDemoSettings s;
    assert_int_equal(lab_demo_settings_from_args(&s, &a, &st), LS_OK);
    lesson_free(&l);
    assert_int_equal(s.knob[LAB_KNOB_TARGETS], 2);
    assert_int_equal(s.knob[LAB_KNOB_SCALE], 2);
    assert_int_equal(s.knob[LAB_KNOB_PREFIX_MLP], 1);
    assert_int_equal((int)s.seed, 7);
    char buf[512];
    assert_int_equal(lab_demo_methods(&s, buf, sizeof buf), 4);
    assert_string_equal(buf, "full,lora:2,targets=all,alpha=16,prefix:4,mlp,qlora:2,targets=all,alpha=16");
    /* Each knob's words are the block parameter's; fixed α and attention. */
    int n;
    const char *const *w = lab_demo_knob_words(LAB_KNOB_SCALE, &n);
    assert_int_equal(n, 3);
    assert_string_equal(w[2], "fixed");
    w = lab_demo_knob_words(LAB_KNOB_PREFIX_MLP, &n);
    assert_int_equal(n, 2);
    s.knob[LAB_KNOB_TARGETS] = 1;
    s.knob[LAB_KNOB_SCALE] = 1;
    s.knob[LAB_KNOB_PREFIX_MLP] = 0;
    s.on[TUNE_FULL] = s.on[TUNE_PREFIX] = s.on[TUNE_QLORA] = false;
    lab_demo_methods(&s, buf, sizeof buf);
    assert_string_equal(buf, "lora:2,targets=attn");
    /* The run is built with them: its label, its adapter's targets and
     * scale under each choice, and the seed. */
    static const struct {
        int scale;
        double alpha;
        bool rslora;
    } want[] = {{0, TUNE_FIXED_ALPHA, true}, {1, 4.0, false}, {2, 16.0, false}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        tiny_settings(&s);
        s.on[TUNE_FULL] = s.on[TUNE_PREFIX] = false;
        s.knob[LAB_KNOB_TARGETS] = 2;
        s.knob[LAB_KNOB_SCALE] = want[i].scale;
        s.seed = 11;
        LabDemo d;
        lab_demo_init(&d, &s);
        assert_int_equal(lab_demo_start(&d, &st), LS_OK);
        while (lab_demo_running(&d) && !d.snap.methods[0].built) lab_demo_tick(&d, 0.0);
        assert_non_null(strstr(d.snap.methods[0].label, "lora:2,targets=all"));
        const TuneRun *run = lab_method_run(&d.lab, 0);
        assert_int_equal(tune_lora_opts(&run->spec).targets, LORA_TARGET_ALL);
        assert_true(fabs(d.snap.methods[0].alpha - want[i].alpha) < 1e-5);
        assert_int_equal(d.snap.methods[0].rslora, want[i].rslora);
        assert_int_equal((int)d.lab.cfg.seed, 11);
        lab_demo_free(&d);
    }
}

/* The whole lab, one unit per tick, on the tiny model. */
static void test_tiny_lab_runs(void **state)
{
    (void)state;
    LabDemoSettings s;
    tiny_settings(&s);
    LabDemo d;
    lab_demo_init(&d, &s);
    Status st = {0};
    assert_int_equal(lab_demo_start(&d, &st), LS_OK);
    assert_true(lab_demo_running(&d));
    assert_int_equal(d.snap.n_methods, 3);
    /* Live rows before the end: the labels are there from the start, the
     * trainable counts once the first units have built the runs (before
     * any training), the step counter climbs. */
    int last_step = -1, rose = 0;
    LabDemoRow r0;
    lab_demo_row(&d, 1, &r0);
    assert_string_equal(r0.m->label, "lora:2");
    while (lab_demo_running(&d) && d.snap.phase != LAB_PHASE_FINAL) {
        assert_true(lab_demo_tick(&d, 0.0) >= 1); /* at least one unit, even with no budget */
        LabDemoRow r;
        lab_demo_row(&d, 1, &r);
        assert_string_equal(r.m->label, "lora:2");
        if (!d.snap.methods[1].built) {
            assert_int_equal(d.snap.phase, LAB_PHASE_BASELINE);
            continue;
        }
        assert_true(r.m->trainable_params > 0);
        assert_true(r.m->trainable_share > 0 && r.m->trainable_share < 0.5);
        if (r.m->step > last_step) rose++, last_step = r.m->step;
        if (r.m->step > 0 && !r.final) {
            assert_true(isfinite(r.train_loss));
            assert_true(isfinite(r.eval_loss)); /* the step-0 point at least */
        }
    }
    assert_true(rose >= 10);
    run_to_end(&d);
    assert_true(d.worst_unit_ms > 0);
    for (int i = 0; i < 3; i++) {
        LabDemoRow r;
        lab_demo_row(&d, i, &r);
        assert_true(r.final);
        assert_int_equal(r.m->step, 12);
        assert_false(r.m->diverged);
        assert_true(isfinite(r.train_loss) && isfinite(r.eval_loss) && isfinite(r.bpb) && isfinite(r.forgetting));
        assert_true(fabs(r.bpb - r.eval_loss / log(2.0)) < 1e-9);
        assert_true(r.m->bytes.total > 0 && r.m->bytes.activations > 0);
        assert_true(r.ms_per_step > 0);
        assert_true(strlen(r.sample) > 0);
        /* The smoothed curve is the mean of the last batch losses. */
        const LabMethodSnapshot *m = &d.snap.methods[i];
        double sum = 0;
        for (int k = 12 - LAB_DEMO_SMOOTH; k < 12; k++) sum += m->train_loss[k];
        assert_true(fabs(d.smooth[i][11] - sum / LAB_DEMO_SMOOTH) < 1e-5);
        assert_true(fabs(d.smooth[i][0] - m->train_loss[0]) < 1e-6);
    }
    /* Full tuning trains everything, and keeps nothing frozen. */
    LabDemoRow full;
    lab_demo_row(&d, 0, &full);
    assert_string_equal(full.m->label, "full");
    assert_int_equal(full.m->trainable_params, tiny.num_params);
    assert_int_equal(full.m->bytes.frozen, 0);
    lab_demo_free(&d);
}

/* A method whose loss becomes NaN stops at that step; the others finish. */
static void test_divergence(void **state)
{
    (void)state;
    LabDemoSettings s;
    tiny_settings(&s);
    s.methods = "lora:2,nan=4,lora:4";
    LabDemo d;
    lab_demo_init(&d, &s);
    Status st = {0};
    assert_int_equal(lab_demo_start(&d, &st), LS_OK);
    run_to_end(&d);
    LabDemoRow a, b;
    lab_demo_row(&d, 0, &a);
    lab_demo_row(&d, 1, &b);
    assert_true(a.m->diverged);
    assert_int_equal(a.m->diverged_step, 4);
    assert_false(b.m->diverged);
    assert_int_equal(b.m->step, 12);
    /* Its smoothed curve stops before the bad step. */
    assert_true(isfinite(d.smooth[0][2]));
    assert_true(isnan(d.smooth[0][3]));
    lab_demo_free(&d);
}

/* Stop during training: the lab evaluates what ran. */
static void test_stop(void **state)
{
    (void)state;
    LabDemoSettings s;
    tiny_settings(&s);
    s.steps = 200;
    LabDemo d;
    lab_demo_init(&d, &s);
    Status st = {0};
    assert_int_equal(lab_demo_start(&d, &st), LS_OK);
    while (d.snap.round < 5) lab_demo_tick(&d, 0.0);
    lab_demo_stop(&d);
    run_to_end(&d);
    assert_true(d.snap.stopped);
    for (int i = 0; i < d.snap.n_methods; i++) {
        LabDemoRow r;
        lab_demo_row(&d, i, &r);
        assert_true(r.final);
        assert_true(r.m->step >= 5 && r.m->step < 200);
        assert_true(isfinite(r.eval_loss));
    }
    /* Starting again begins a new run. */
    assert_int_equal(lab_demo_start(&d, &st), LS_OK);
    assert_int_equal(d.snap.round, 0);
    lab_demo_free(&d);
}

/* ---------------------------------------------------------------------------
 * The view */

static char *draw_view(void *v, int w, bool ascii, Grid *g)
{
    ViewEnv env = {ascii, ascii ? CMODE_NONE : CMODE_256};
    int h = dview_lab.height(v, w, &env);
    grid_init(g, w, h, ascii);
    dview_lab.draw(v, g, (Rect){0, 0, h, w}, &env, 0);
    size_t cap = 1 << 16, n = 0;
    char *all = malloc(cap);
    all[0] = 0;
    for (int y = 0; y < g->h; y++) {
        char *row = grid_row_text(g, y);
        if (utf8_width(row) > w) fail_msg("row %d is %d wide at %d: %s", y, utf8_width(row), w, row);
        if (ascii)
            for (char *p = row; *p; p++)
                if ((unsigned char)*p >= 0x80) fail_msg("non-ASCII in row %d: %s", y, row);
        size_t k = strlen(row);
        while (n + k + 2 > cap) all = realloc(all, cap *= 2);
        memcpy(all + n, row, k);
        n += k;
        all[n++] = '\n';
        all[n] = 0;
        free(row);
    }
    grid_free(g);
    return all;
}

static void test_view_fills_in(void **state)
{
    (void)state;
    LabDemoSettings s;
    tiny_settings(&s);
    void *v = lab_view_new(&s);
    Grid g;
    /* Before the start: the plan, dashes. */
    char *t = draw_view(v, 100, false, &g);
    assert_non_null(strstr(t, "[ Start the lab ]"));
    assert_non_null(strstr(t, "3 methods · domain · 12 steps of 2 sequences"));
    assert_non_null(strstr(t, "not started"));
    assert_non_null(strstr(t, "prefix:4"));
    free(t);
    assert_false(dview_lab.busy(v));
    /* Enter on the button starts it; the view then wants ticks. */
    assert_true(dview_lab.key(v, 0, VK_ENTER, ACT_OPEN) & EV_REDRAW);
    assert_true(dview_lab.busy(v));
    LabDemo *d = lab_view_demo(v);
    int ticks = 0;
    bool saw_training = false;
    while (dview_lab.busy(v) && ticks < 100000) {
        int fl = dview_lab.tick(v, 2.0);
        assert_true(fl & EV_REDRAW);
        ticks++;
        if (!saw_training && d->snap.phase == LAB_PHASE_TRAINING && d->snap.round >= 3) {
            saw_training = true;
            t = draw_view(v, 100, false, &g);
            assert_non_null(strstr(t, "[ Stop training ]"));
            assert_non_null(strstr(t, "training · step"));
            assert_non_null(strstr(t, "■ full"));
            assert_non_null(strstr(t, "ms/step"));
            /* Settings are locked while it runs. */
            int before = d->set.size[TUNE_PREFIX];
            assert_int_equal(dview_lab.key(v, 3, VK_RIGHT, ACT_INC), EV_HANDLED);
            assert_int_equal(d->set.size[TUNE_PREFIX], before);
            free(t);
        }
    }
    assert_true(saw_training);
    assert_int_equal(d->state, LABD_DONE);
    t = draw_view(v, 100, false, &g);
    assert_non_null(strstr(t, "[ Run again ]"));
    assert_non_null(strstr(t, "100%  done"));
    assert_non_null(strstr(t, "12/12"));
    assert_non_null(strstr(t, "Samples"));
    assert_non_null(strstr(t, "the base model, before tuning"));
    assert_null(strstr(t, "not started"));
    /* Every row of the results table ends "done". */
    int done = 0;
    for (const char *p = t; (p = strstr(p, " done\n")); p++) done++;
    assert_int_equal(done, 3);
    free(t);
    /* At 80 columns and in ASCII, it still fits (draw_view checks). */
    free(draw_view(v, 80, false, &g));
    free(draw_view(v, 80, true, &g));
    free(draw_view(v, 160, false, &g));
    /* Toggles: after the run, the methods can change again. */
    assert_true(dview_lab.key(v, 2, VK_RIGHT, ACT_INC) & EV_REDRAW); /* cursor to lora:1 */
    assert_true(dview_lab.key(v, 2, ' ', ACT_NONE) & EV_REDRAW);    /* turn it on */
    assert_true(d->set.rank_on[0]);
    dview_lab.destroy(v);
}

/* The curves control cycles; the table shows a divergence. */
static void test_view_divergence_and_curves(void **state)
{
    (void)state;
    LabDemoSettings s;
    tiny_settings(&s);
    s.methods = "lora:2,nan=4,lora:4";
    void *v = lab_view_new(&s);
    dview_lab.key(v, 0, VK_ENTER, ACT_OPEN);
    while (dview_lab.busy(v)) dview_lab.tick(v, 50.0);
    Grid g;
    char *t = draw_view(v, 100, false, &g);
    assert_non_null(strstr(t, "diverged at step 4"));
    assert_non_null(strstr(t, "(diverged at step 4)"));
    free(t);
    /* The curves control, found by its hint (the size sliders before it
     * come from the method registry). */
    int curves = -1;
    for (int c = 0; c < dview_lab.n_controls(v); c++)
        if (strstr(dview_lab.hint(v, c), "which curves")) curves = c;
    assert_true(curves >= 0);
    for (int k = 0; k < 3; k++) {
        dview_lab.key(v, curves, VK_RIGHT, ACT_INC);
        t = draw_view(v, 100, k == 2, &g);
        assert_non_null(strstr(t, k == 0 ? "training loss (nats per byte" : k == 1 ? "held-out (marked)" : "held-out loss"));
        free(t);
    }
    dview_lab.destroy(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_list),
        cmocka_unit_test(test_settings_from_lesson),
        cmocka_unit_test(test_knobs),
        cmocka_unit_test(test_tiny_lab_runs),
        cmocka_unit_test(test_divergence),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_view_fills_in),
        cmocka_unit_test(test_view_divergence_and_curves),
    };
    return cmocka_run_group_tests_name("demo_lab", tests, setup, teardown);
}
