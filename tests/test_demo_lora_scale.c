/* test_demo_lora_scale.c — lesson 5's lora-scale and lora-similarity
 * demos. lora-scale: ‖ΔW‖ after LoRA's first Adam steps, against r, for
 * three rules of the scale.
 *
 * On a tiny random model (cheap, also under valgrind): every figure is
 * finite and positive, r = 1 is one run shared by the three rules, and the
 * first step follows Adam's rule ‖ΔW‖ ∝ s·√r — with α = 2r it grows with r,
 * with α fixed and s = α/r it shrinks, with α/√r (rsLoRA) it stays within
 * a band around level. Then the measured figure is checked against ‖s·B·A‖
 * computed from the run's own A and B. On the base model (not under
 * valgrind): the same three directions on a real layer. And the view draws
 * the table and legend once measured. lora-similarity: two short LoRA runs
 * on the base model, then φ in [0, 1] with φ(i, j) of every layer and
 * matrix found by name, the amplification factor = ‖ΔW‖ / ‖UᵀWV‖, and bad
 * ranks refused. lab-compare: the schema's choices are the presets, in
 * order; every preset parses with full tuning first; a short run gives full
 * 100 % of its own gain and every share = (base − m) / (base − full). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/base/rng.h"
#include "../src/demo/demo_lora_scale.h"
#include "../src/demo/demo_lora_sim.h"
#include "../src/demo/demo_lab_compare.h"
#include "../src/lesson/demo_schema.h"
#include "../src/lesson/lesson.h"
#include "../src/view/page.h"

static const char *root(void)
{
    const char *r = getenv("LORASCOPE_ROOT");
    return r && *r ? r : ".";
}

static void run_all(LoraScaleDemo *d)
{
    int guard = 0;
    while (!lora_scale_demo_done(d) && guard++ < 100000) lora_scale_demo_tick(d, 50.0);
    if (d->err.code) fail_msg("%s", d->err.msg);
    assert_true(lora_scale_demo_done(d));
    assert_true(fabs(lora_scale_demo_progress(d) - 1.0) < 1e-12);
}

/* Ratios of step 1 between r = 64 and r = 1 for each rule. */
static void check_directions(const LoraScaleDemo *d)
{
    for (int u = 0; u < LSCALE_RULES; u++)
        for (int i = 0; i < LSCALE_RANKS; i++)
            for (int k = 0; k < d->steps; k++) {
                double n = d->norm[u][i][k];
                if (!(isfinite(n) && n > 0)) fail_msg("rule %d rank %d step %d: %g", u, i, k + 1, n);
            }
    /* r = 1: the three rules are one run. */
    for (int u = 1; u < LSCALE_RULES; u++) assert_true(d->norm[u][0][0] == d->norm[0][0][0]);
    double up = d->norm[LSR_RATIO][LSCALE_RANKS - 1][0] / d->norm[LSR_RATIO][0][0];
    double down = d->norm[LSR_ALPHA][LSCALE_RANKS - 1][0] / d->norm[LSR_ALPHA][0][0];
    double level = d->norm[LSR_RSLORA][LSCALE_RANKS - 1][0] / d->norm[LSR_RSLORA][0][0];
    /* Adam's first step predicts 8, 1/8 and 1 at r = 64 (√64 = 8). */
    if (!(up > 4 && up < 16)) fail_msg("α = 2r: r = 64 / r = 1 = %g, not about 8", up);
    if (!(down > 1.0 / 16 && down < 1.0 / 4)) fail_msg("α fixed, α/r: %g, not about 1/8", down);
    if (!(level > 0.5 && level < 2)) fail_msg("rsLoRA: %g, not about 1", level);
}

static void test_tiny_model(void **state)
{
    (void)state;
    Status st = {0};
    GptConfig cfg = gpt_config_make(2, 2, 64, 16);
    Gpt m;
    assert_int_equal(gpt_init(&m, &cfg, &st), LS_OK);
    gpt_init_weights(&m, 7);
    TextData text = {.n = 4096};
    text.bytes = malloc(text.n);
    Rng rng;
    rng_seed(&rng, 3);
    for (size_t i = 0; i < text.n; i++) text.bytes[i] = (unsigned char)('a' + rng_below(&rng, 26));
    LoraScaleDemo d;
    assert_int_equal(lora_scale_demo_init_model(&d, &m, &text, 1, 1, 2, 2, 5, &st), LS_OK);
    assert_false(lora_scale_demo_done(&d));
    assert_true(isnan(d.norm[0][0][0]));
    run_all(&d);
    check_directions(&d);
    /* The measured figure is ‖s·B·A‖ of the last run: rebuild that run's
     * first step by hand and compare. */
    assert_int_equal(lora_scale_demo_set(&d, 0, 0, &st), LS_OK);
    assert_true(isnan(d.norm[0][3][0]));
    d.next = LSR_RSLORA * LSCALE_RANKS + 3; /* rsLoRA, r = 8 */
    assert_false(lora_scale_demo_tick(&d, 0.0) && d.err.code);
    assert_true(d.have_run);
    assert_true(fabsf(tune_run_adapter(&d.run)->scale - 2.0f / sqrtf(8.0f)) < 1e-6f);
    lora_scale_demo_tick(&d, 0.0); /* one step */
    assert_int_equal(d.run.step, 1);
    const LoraAdapter *a = tune_run_adapter(&d.run);
    const float *A = lora_A(a, 0, 0), *B = lora_B(a, 0, 0);
    int r = a->rank, in = a->mod[0].in, cols = a->mod[0].cols;
    double ss = 0;
    for (int o = 0; o < cols; o++)
        for (int i = 0; i < in; i++) {
            double x = 0;
            for (int k = 0; k < r; k++) x += (double)B[o * r + k] * A[k * in + i];
            ss += (a->scale * x) * (a->scale * x);
        }
    double want = sqrt(ss), got = d.norm[LSR_RSLORA][3][0];
    if (fabs(got - want) > 1e-4 * want) fail_msg("‖ΔW‖ %g, by hand %g", got, want);
    /* Adam's first step: an entry of B moves by lr·g/(|g| + ε), ± the
     * step's learning rate unless its gradient is as small as ε. */
    double lr1 = 0;
    for (int i = 0; i < cols * r; i++) lr1 = fmax(lr1, fabs(B[i]));
    int near = 0;
    for (int i = 0; i < cols * r; i++) near += fabs(B[i]) > 0.99 * lr1;
    if (near < 0.9 * cols * r) fail_msg("only %d of %d entries of B moved by the full rate", near, cols * r);
    lora_scale_demo_free(&d);
    lora_scale_demo_free(&d); /* twice is harmless */
    text_free(&text);
    gpt_free(&m);
}

static void test_bad_args(void **state)
{
    (void)state;
    Status st = {0};
    GptConfig cfg = gpt_config_make(1, 1, 16, 8);
    Gpt m;
    assert_int_equal(gpt_init(&m, &cfg, &st), LS_OK);
    unsigned char bytes[4] = "abc";
    TextData shorttext = {bytes, 4};
    LoraScaleDemo d;
    assert_int_not_equal(lora_scale_demo_init_model(&d, &m, &shorttext, 0, 0, 2, 2, 1, &st), LS_OK);
    assert_int_not_equal(lora_scale_demo_init_model(&d, &m, &shorttext, 0, 0, 0, 2, 1, &st), LS_OK);
    assert_int_not_equal(lora_scale_demo_init(&d, "/nonexistent", "/nonexistent.txt", 0, 0, 2, 2, 1, &st), LS_OK);
    gpt_free(&m);
}

static void test_base_model(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    char dir[1024], text[1024];
    snprintf(dir, sizeof dir, "%s/data/models/base", root());
    snprintf(text, sizeof text, "%s/data/text/moby-train.txt", root());
    Status st = {0};
    LoraScaleDemo d;
    assert_int_equal(lora_scale_demo_init(&d, dir, text, 0, 0, 1, 2, 1, &st), LS_OK);
    run_all(&d);
    check_directions(&d);
    lora_scale_demo_free(&d);
}

/* The view in a page: before and after measuring. */
static void test_view(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    const char *md = "# T\n\n## P\n\n```demo lora-scale\nsteps = 1\nbatch = 1\n```\n";
    Lesson l;
    Status st = {0};
    assert_int_equal(lesson_parse(&l, md, strlen(md), "05-t.md", &st), LS_OK);
    assert_int_equal(lesson_check(&l, &st), LS_OK);
    if (l.n_diags) fail_msg("%s", l.diags[0].message);
    PageView pv;
    page_open(&pv, &l, 0);
    ViewEnv venv = {false, CMODE_256};
    PageEnv env = {&venv, false, NULL, NULL};
    page_render(&pv, 80, &env);
    char *all = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&all, &n);
    for (int y = 0; y < pv.canvas.h; y++) {
        char *row = grid_row_text(&pv.canvas, y);
        fprintf(f, "%s\n", row);
        free(row);
    }
    fclose(f);
    assert_non_null(strstr(all, "[ Measure ‖ΔW‖ ]"));
    assert_non_null(strstr(all, "α=2, α/√r"));
    assert_non_null(strstr(all, "Not run yet"));
    free(all);
    page_close(&pv);
    lesson_free(&l);
}

static void test_similarity(void **state)
{
    (void)state;
    Status st = {0};
    LoraSimDemo d;
    assert_int_not_equal(lora_sim_demo_init(&d, 4, 4, 2, 2, NULL, &st), LS_OK);
    assert_int_not_equal(lora_sim_demo_init(&d, 0, 4, 2, 2, NULL, &st), LS_OK);
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    assert_int_equal(lora_sim_demo_init(&d, 2, 8, 3, 2, NULL, &st), LS_OK);
    assert_null(lora_sim_phi(&d, 0, 0));
    assert_int_equal(lora_sim_demo_start(&d, &st), LS_OK);
    int guard = 0;
    while (lora_sim_demo_tick(&d, 50.0) && guard++ < 100000) {}
    if (d.err.code) fail_msg("%s", d.err.msg);
    assert_true(d.analysed);
    assert_true(isfinite(d.base_loss) && isfinite(d.loss_small) && isfinite(d.loss_large));
    int L = lab_base(&d.run.lab)->cfg.n_layer;
    for (int l = 0; l < L; l++)
        for (int m = 0; m < 2; m++) {
            const SubspaceSim *x = lora_sim_phi(&d, l, m);
            assert_non_null(x);
            char want[48];
            snprintf(want, sizeof want, "h.%d.%s", l, m ? "v" : "q");
            assert_string_equal(x->name, want);
            for (int k = 0; k < 2 * 8; k++) assert_true(x->phi[k] >= -1e-5f && x->phi[k] <= 1 + 1e-5f);
            for (int w = 0; w < 2; w++) {
                const Amplification *a = lora_sim_amp(&d, w, l, m);
                assert_non_null(a);
                assert_int_equal(a->r, w ? 8 : 2);
                assert_true(a->delta_norm > 0 && a->proj > 0);
                assert_true(fabs(a->factor - a->delta_norm / a->proj) < 1e-9 * a->factor);
            }
        }
    assert_null(lora_sim_phi(&d, L, 0));
    lora_sim_demo_free(&d);
}

static void test_compare(void **state)
{
    (void)state;
    const DemoParamSpec *p = demo_param_find(demo_kind_find("lab-compare"), "compare", NULL);
    assert_non_null(p);
    int n = 0;
    for (; lab_compare_presets[n].name; n++) {
        assert_non_null(p->choices[n]);
        assert_string_equal(p->choices[n], lab_compare_presets[n].name);
    }
    assert_null(p->choices[n]);
    Status st = {0};
    LabCompareDemo d;
    for (int i = 0; i < n; i++) {
        assert_int_equal(lab_compare_demo_init(&d, i, 2, 2, NULL, &st), LS_OK);
        assert_true(d.n_specs >= 3);
        assert_int_equal(d.specs[0].kind, TUNE_FULL);
        lab_compare_demo_free(&d);
    }
    assert_int_not_equal(lab_compare_demo_init(&d, n, 2, 2, NULL, &st), LS_OK);
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    assert_int_equal(lab_compare_demo_init(&d, 0, 3, 2, NULL, &st), LS_OK);
    /* Full tuning at a third of its default rate: at the default, three
     * steps of two sequences first make the held-out loss worse (the lab's
     * curves show the same bump), and the shares need a gain. */
    char methods[128];
    snprintf(methods, sizeof methods, "full,lr=%.4g,lora:8,lora:8,targets=all", tune_method(TUNE_FULL)->default_lr / 3);
    d.run.set.methods = methods;
    assert_true(isnan(lab_compare_gain_share(&d, 0)));
    assert_int_equal(lab_compare_demo_start(&d, &st), LS_OK);
    int guard = 0;
    while (lab_compare_demo_tick(&d, 50.0) && guard++ < 100000) {}
    if (d.err.code) fail_msg("%s", d.err.msg);
    assert_int_equal(d.run.state, LABD_DONE);
    double base = d.run.snap.base->eval_loss;
    LabDemoRow full;
    lab_demo_row(&d.run, 0, &full);
    if (!(base - full.eval_loss > 0)) fail_msg("full tuning gained nothing in 3 steps (%.4f -> %.4f)", base, full.eval_loss);
    assert_true(fabs(lab_compare_gain_share(&d, 0) - 1.0) < 1e-12);
    for (int i = 1; i < d.run.snap.n_methods; i++) {
        LabDemoRow m;
        lab_demo_row(&d.run, i, &m);
        double want = (base - m.eval_loss) / (base - full.eval_loss);
        assert_true(fabs(lab_compare_gain_share(&d, i) - want) < 1e-12);
    }
    assert_true(isnan(lab_compare_gain_share(&d, 99)));
    lab_compare_demo_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_model),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_base_model),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_similarity),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
