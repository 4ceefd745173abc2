/* test_demo_quant.c — lesson 4's demos: the histogram counts every weight,
 * the levels drawn are the quantizer's, the error falls with the bits, one
 * outlier ruins per-tensor int8 and blocks rescue it, the memory table is
 * params × bits / 8, a model's tensors are found by name (and a wrong name
 * is explained), and the quantized tiny GPT is evaluated on a fixed slice —
 * with a small model made here, since the base model may not exist yet. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../src/demo/demo.h"
#include "../src/demo/demo_quant.h"
#include "../src/nn/checkpoint.h"

static QuantSource gaussian(size_t n, int outliers)
{
    return (QuantSource){.kind = QSRC_GAUSSIAN, .n = n, .std = 0.02f, .outliers = outliers, .seed = 1};
}

/* ---------------------------------------------------------------------------
 * quant */

static void test_histogram_and_levels(void **state)
{
    (void)state;
    QuantDemo d;
    Status st = {0};
    QuantSource src = gaussian(65536, 0);
    QuantConfig c = quant_config_int(4, QUANT_PER_TENSOR, 64, false);
    assert_int_equal(quant_demo_init(&d, &src, &c, &st), LS_OK);
    assert_false(d.from_model);
    assert_int_equal(d.rows * d.cols, 65536);
    assert_non_null(strstr(d.source_desc, "65536 Gaussian weights"));
    /* The counts and the weights beyond the range add up to n, at any width. */
    const int widths[] = {1, 7, 64, 200, QUANT_HIST_MAX_BINS, 10000};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        quant_demo_histogram(&d, widths[k]);
        size_t sum = d.res.beyond;
        for (int b = 0; b < d.res.bins; b++) sum += d.res.counts[b];
        assert_true(sum == 65536);
    }
    assert_int_equal(d.res.bins, QUANT_HIST_MAX_BINS);
    assert_true(d.res.lo == -d.res.hi && d.res.hi > 3 * 0.02f);
    /* Per tensor symmetric int4: 15 levels, step = absmax / 7, and the
     * levels are what every weight was rounded to. */
    assert_int_equal(d.res.n_levels, 15);
    assert_true(fabsf(d.res.typical_step - d.res.absmax / 7) < 1e-6f);
    for (int i = 1; i < d.res.n_levels; i++)
        assert_true(fabsf(d.res.levels[i] - d.res.levels[i - 1] - d.res.typical_step) < 1e-6f);
    for (size_t i = 0; i < d.n; i += 97) {
        bool on_level = false;
        for (int l = 0; l < d.res.n_levels; l++) on_level |= d.deq[i] == d.res.levels[l];
        assert_true(on_level);
    }
    /* The metrics are quant_metrics of the same roundtrip. */
    QuantMetrics m;
    quant_metrics(&m, d.w, d.deq, d.n, d.res.bytes);
    assert_true(m.mse == d.res.m.mse);
    assert_true(d.res.fp32_bytes == 65536 * 4);
    quant_demo_free(&d);
    quant_demo_free(NULL);
}

static void test_error_falls_with_bits(void **state)
{
    (void)state;
    QuantDemo d;
    Status st = {0};
    QuantSource src = gaussian(16384, 0);
    QuantConfig c = quant_config_int(2, QUANT_PER_ROW, 64, false);
    assert_int_equal(quant_demo_init(&d, &src, &c, &st), LS_OK);
    double prev = INFINITY, prev_snr = -INFINITY;
    for (int b = 2; b <= 8; b++) {
        c.bits = b;
        assert_int_equal(quant_demo_set(&d, &c, 0, &st), LS_OK);
        assert_true(d.res.m.mse < prev);
        assert_true(d.res.m.snr_db > prev_snr);
        /* The curve holds the same numbers as the slider. */
        assert_true(fabs(d.res.snr_curve[QUANT_PER_ROW][b] - d.res.m.snr_db) < 1e-3);
        prev = d.res.m.mse;
        prev_snr = d.res.m.snr_db;
    }
    /* Each granularity's curve rises with the bits (about 6 dB a bit). */
    for (int g = 0; g < QUANT_GRANULARITY_COUNT; g++) {
        assert_true(isnan(d.res.snr_curve[g][1]));
        for (int b = 3; b <= 8; b++) assert_true(d.res.snr_curve[g][b] > d.res.snr_curve[g][b - 1] + 3);
    }
    /* Fixed formats: bits per weight as ggml and QLoRA define them. */
    assert_true(fabs(d.res.bpw_fixed[QUANT_Q8_0] - 8.5) < 1e-9);
    assert_true(fabs(d.res.bpw_fixed[QUANT_Q4_0] - 4.5) < 1e-9);
    assert_true(d.res.snr_fixed[QUANT_Q8_0] > d.res.snr_fixed[QUANT_Q4_0]);
    /* A fixed format shown: its own levels (NF4: 16 of them). */
    QuantConfig nf4 = quant_config_fixed(QUANT_NF4);
    assert_int_equal(quant_demo_set(&d, &nf4, 0, &st), LS_OK);
    assert_int_equal(d.res.n_levels, 16);
    assert_true(d.res.bits_per_weight == 4.5);
    /* Back to int: the block curve follows the block size. */
    QuantConfig b32 = quant_config_int(4, QUANT_PER_BLOCK, 32, false);
    quant_demo_set(&d, &b32, 0, &st);
    float s32 = d.res.snr_curve[QUANT_PER_BLOCK][4];
    QuantConfig b256 = quant_config_int(4, QUANT_PER_BLOCK, 256, false);
    quant_demo_set(&d, &b256, 0, &st);
    assert_true(d.res.snr_curve[QUANT_PER_BLOCK][4] < s32);
    /* The typical group is the median step (checked by sorting here). */
    QuantConfig b8 = quant_config_int(4, QUANT_PER_BLOCK, 8, true);
    quant_demo_set(&d, &b8, 0, &st);
    size_t G = d.qt.n_groups;
    assert_int_equal(G, 16384 / 8);
    float *steps = malloc(G * sizeof *steps);
    for (size_t g = 0; g < G; g++) steps[g] = quant_group_step(&d.qt, g);
    for (size_t i = 1; i < G; i++) /* insertion sort: slow and obviously right */
        for (size_t j = i; j > 0 && steps[j - 1] > steps[j]; j--) {
            float t = steps[j];
            steps[j] = steps[j - 1];
            steps[j - 1] = t;
        }
    assert_true(d.res.typical_step == steps[G / 2]);
    free(steps);
    assert_true(fabs(d.res.snr_curve[QUANT_PER_BLOCK][4] - d.res.m.snr_db) < 1e-3);
    quant_demo_free(&d);
}

/* One large weight stretches the per-tensor scale: int8's error jumps by
 * orders of magnitude, most weights share a handful of levels; per block,
 * only the outlier's block pays. */
static void test_outlier_ruins_per_tensor(void **state)
{
    (void)state;
    QuantDemo d;
    Status st = {0};
    QuantSource src = gaussian(65536, 0);
    QuantConfig t8 = quant_config_int(8, QUANT_PER_TENSOR, 64, false);
    assert_int_equal(quant_demo_init(&d, &src, &t8, &st), LS_OK);
    double clean_mse = d.res.m.mse;
    float clean_step = d.res.typical_step;
    assert_int_equal(quant_demo_set(&d, &t8, 1, &st), LS_OK);
    assert_int_equal(d.src.outliers, 1);
    assert_non_null(strstr(d.source_desc, "1 outlier"));
    double ruined = d.res.m.mse;
    assert_true(ruined > 4 * clean_mse);
    assert_true(d.res.typical_step > 2 * clean_step);
    assert_true(d.res.absmax >= 10 * 0.02f);
    /* The outlier lies beyond the histogram's range, and is counted. */
    assert_true(d.res.beyond >= 1);
    QuantConfig b8 = quant_config_int(8, QUANT_PER_BLOCK, 64, false);
    assert_int_equal(quant_demo_set(&d, &b8, 1, &st), LS_OK);
    assert_true(d.res.m.mse < ruined / 4);
    /* Per block: the typical block is fine, the outlier's block is coarse. */
    assert_true(d.res.outlier_step > 5 * d.res.typical_step);
    /* Same for the curves: per tensor is far below per block with an outlier. */
    assert_true(d.res.snr_curve[QUANT_PER_BLOCK][8] > d.res.snr_curve[QUANT_PER_TENSOR][8] + 6);
    /* int4 per tensor with an outlier sends most weights to 0. */
    QuantConfig t4 = quant_config_int(4, QUANT_PER_TENSOR, 64, false);
    quant_demo_set(&d, &t4, 4, &st);
    assert_true(d.res.zeroed > d.n / 2);
    quant_demo_free(&d);
}

/* ---------------------------------------------------------------------------
 * quant-memory */

static void test_memory_table(void **state)
{
    (void)state;
    QuantMemory m;
    quant_memory_compute(&m, 1e9, 24);
    assert_true(m.n >= 8);
    for (int i = 0; i < m.n; i++) {
        const QuantMemRow *r = &m.rows[i];
        double bpw = r->float_bits ? r->float_bits : quant_bits_per_weight(&r->cfg, 4096, 4096);
        double bpw70 = r->float_bits ? r->float_bits : quant_bits_per_weight(&r->cfg, 8192, 8192);
        assert_true(r->bpw == bpw);
        assert_true(r->bytes_7b == 7e9 * bpw / 8);
        assert_true(r->bytes_70b == 70e9 * bpw70 / 8);
        assert_true(r->bytes_n == 1e9 * bpw / 8);
        assert_true(r->bpw >= r->code_bits);
    }
    /* The known rows: fp16 is 2 bytes a weight, 14 GB for 7B; q4_0 is
     * 4.5 bits; NF4 with double quantization about 4.127. */
    bool seen_fp16 = false, seen_q4 = false, seen_dq = false;
    for (int i = 0; i < m.n; i++) {
        if (strcmp(m.rows[i].name, "fp16 / bf16") == 0) {
            seen_fp16 = true;
            assert_true(m.rows[i].bytes_7b == 14e9);
        }
        if (strcmp(m.rows[i].name, "q4_0") == 0) seen_q4 = m.rows[i].bpw == 4.5;
        if (strcmp(m.rows[i].name, "nf4-dq") == 0) seen_dq = fabs(m.rows[i].bpw - 4.127) < 0.001;
    }
    assert_true(seen_fp16 && seen_q4 && seen_dq);
}

/* ---------------------------------------------------------------------------
 * A small model on disk (the base model may not exist yet) */

static void make_model_dir(char *dir, size_t size, Gpt *m)
{
    snprintf(dir, size, "/tmp/lorascope-qtest-XXXXXX");
    assert_non_null(mkdtemp(dir));
    Status st = {0};
    GptConfig cfg = gpt_config_make(2, 2, 16, 16);
    assert_int_equal(gpt_init(m, &cfg, &st), LS_OK);
    gpt_init_weights(m, 7);
    assert_int_equal(gpt_save(m, dir, &st), LS_OK);
}

static void remove_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_model_tensor_by_name(void **state)
{
    (void)state;
    char dir[64];
    Gpt m;
    make_model_dir(dir, sizeof dir, &m);
    /* 2 embeddings + 12 families × 2 layers + ln_f (2) */
    int n = model_tensor_names(&m, NULL, 0);
    assert_int_equal(n, 2 + 12 * 2 + 2);
    char names[64][96];
    assert_int_equal(model_tensor_names(&m, names, 64), n);
    assert_string_equal(names[0], "transformer.wte.weight");
    assert_string_equal(names[n - 1], "transformer.ln_f.bias");
    ModelTensor t;
    Status st = {0};
    assert_int_equal(model_tensor_find(&t, &m, "transformer.h.1.mlp.c_fc.weight", &st), LS_OK);
    assert_int_equal(t.id, GPT_FCW);
    assert_int_equal(t.layer, 1);
    assert_int_equal(t.rows, 16);
    assert_int_equal(t.cols, 64);
    assert_true(t.conv1d);
    assert_ptr_equal(t.data, m.params.fcw + 16 * 64);
    /* As a matrix: (out, in). */
    Mat w;
    assert_int_equal(model_tensor_matrix(&w, &t, &st), LS_OK);
    assert_int_equal(w.rows, 64);
    assert_int_equal(w.cols, 16);
    assert_true(MAT_AT(&w, 5, 3) == t.data[3 * 64 + 5]);
    mat_free(&w);
    /* A vector is one row. */
    assert_int_equal(model_tensor_find(&t, &m, "transformer.ln_f.bias", &st), LS_OK);
    assert_int_equal(model_tensor_matrix(&w, &t, &st), LS_OK);
    assert_int_equal(w.rows, 1);
    assert_int_equal(w.cols, 16);
    mat_free(&w);
    /* Wrong names: a suggestion and some valid names. */
    assert_int_equal(model_tensor_find(&t, &m, "transformer.h.0.mlp.c_fc.weigth", &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "did you mean 'transformer.h.0.mlp.c_fc.weight'"));
    assert_int_equal(model_tensor_find(&t, &m, "fc1", &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "transformer.wte.weight"));
    assert_non_null(strstr(st.msg, "28 tensors"));
    assert_int_equal(model_tensor_find(&t, &m, "transformer.h.2.mlp.c_fc.weight", &st), LS_ERR_ARG);

    /* The quant demo on the model's tensor. */
    QuantSource src = {.kind = QSRC_MODEL, .model_dir = dir, .model_label = "the test model", .n = 1000, .seed = 1};
    snprintf(src.tensor, sizeof src.tensor, "transformer.h.0.attn.c_attn.weight");
    QuantConfig c = quant_config_int(8, QUANT_PER_ROW, 64, false);
    QuantDemo d;
    assert_int_equal(quant_demo_init(&d, &src, &c, &st), LS_OK);
    assert_true(d.from_model);
    assert_int_equal(d.rows, 48);
    assert_int_equal(d.cols, 16);
    assert_non_null(strstr(d.source_desc, "transformer.h.0.attn.c_attn.weight (48 out × 16 in) from the test model"));
    assert_string_equal(d.note, "");
    quant_demo_free(&d);
    /* A wrong tensor name is an error, not a silent fallback. */
    snprintf(src.tensor, sizeof src.tensor, "transformer.h.9.attn.c_attn.weight");
    assert_int_equal(quant_demo_init(&d, &src, &c, &st), LS_ERR_ARG);
    /* No model: Gaussian weights, and the note says so. */
    src.model_dir = "/nonexistent/model";
    src.model_label = "data/models/base";
    assert_int_equal(quant_demo_init(&d, &src, &c, &st), LS_OK);
    assert_false(d.from_model);
    assert_non_null(strstr(d.note, "no model in data/models/base yet"));
    assert_int_equal(d.n, 1000);
    quant_demo_free(&d);
    gpt_free(&m);
    remove_dir(dir);
}

/* ---------------------------------------------------------------------------
 * quant-loss */

static void write_text(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const char *words = "the quick brown fox jumps over the lazy dog. ";
    for (size_t i = 0; i < n; i++) fputc(words[i % strlen(words)], f);
    fclose(f);
}

static void test_quant_loss(void **state)
{
    (void)state;
    char dir[64];
    Gpt m;
    make_model_dir(dir, sizeof dir, &m);
    char text[128];
    snprintf(text, sizeof text, "%s/text.txt", dir);
    write_text(text, 2000);
    /* The fp32 loss is the model's own on the same windows. */
    TextData td;
    Status st = {0};
    assert_int_equal(text_load(&td, text, &st), LS_OK);
    EvalResult er;
    assert_int_equal(gpt_eval_text(&m, &td, 32, 8, &er, &st), LS_OK);
    text_free(&td);

    QuantLossDemo d;
    QuantConfig c8 = quant_config_int(8, QUANT_PER_ROW, 64, false);
    assert_int_equal(quant_loss_demo_init(&d, dir, text, 8, &c8, &st), LS_OK);
    assert_int_equal(d.n_matrices, 8);
    assert_int_equal(d.n_quantized, 2 * (size_t)(16 * 48 + 16 * 16 + 16 * 64 + 64 * 16));
    assert_true(fabs(d.base.nats - er.nats) < 1e-9);
    assert_int_equal(d.tokens, 8 * 16);
    /* int8 per row barely moves the loss; int2 per tensor moves it more. */
    double d8 = fabs(d.cur.nats - d.base.nats);
    assert_true(d8 < 0.01);
    assert_true(d.cur.snr_db > 30);
    /* One fp32 scale per output row: 48 + 16 + 64 + 16 rows over 3072
     * weights a layer. */
    assert_true(fabs(d.cur.bpw - (8 + 32.0 * 144 / 3072)) < 1e-9);
    QuantConfig c2 = quant_config_int(2, QUANT_PER_TENSOR, 64, false);
    assert_int_equal(quant_loss_demo_set(&d, &c2, &st), LS_OK);
    assert_true(fabs(d.cur.nats - d.base.nats) > d8);
    assert_true(d.cur.snr_db < 15);
    assert_int_equal(d.n_hist, 2);
    /* Going back reuses the first result, and the weights come back from
     * the fp32 copy each time (same config, same loss). */
    assert_int_equal(quant_loss_demo_set(&d, &c8, &st), LS_OK);
    assert_int_equal(d.n_hist, 2);
    double again = d.cur.nats;
    assert_non_null(quant_loss_demo_find(&d, &c8));
    d.n_hist = 0; /* forget: evaluate afresh */
    assert_int_equal(quant_loss_demo_set(&d, &c8, &st), LS_OK);
    assert_true(d.cur.nats == again);
    /* The sweep: widths 2..8 at the current granularity and the fixed formats. */
    assert_int_equal(quant_loss_demo_sweep(&d, &st), LS_OK);
    assert_true(quant_config_same(&d.cfg, &c8));
    for (int b = 2; b <= 8; b++) {
        QuantConfig c = c8;
        c.bits = b;
        assert_non_null(quant_loss_demo_find(&d, &c));
    }
    for (int k = QUANT_Q8_0; k < QUANT_KIND_COUNT; k++) {
        QuantConfig c = quant_config_fixed((QuantKind)k);
        assert_non_null(quant_loss_demo_find(&d, &c));
    }
    quant_loss_demo_free(&d);
    /* No model: a clear I/O error. */
    assert_int_equal(quant_loss_demo_init(&d, "/nonexistent/model", text, 8, &c8, &st), LS_ERR_IO);
    gpt_free(&m);
    remove_dir(dir);
}

/* ---------------------------------------------------------------------------
 * The table: lesson parameters start each demo. */

static void test_demo_table_lesson4(void **state)
{
    (void)state;
    Status st = {0};
    Param p[] = {{"source", "gaussian", 2}, {"outliers", "2", 3}, {"weights", "4096", 4},
                 {"scheme", "q4_0", 5}};
    Block b = {.kind = BLOCK_DEMO, .line = 1, .info = "quant", .params = p, .n_params = 4, .valid = true};
    DemoArgs args;
    assert_int_equal(demo_args_from_block(&args, &b, &st), LS_OK);
    const DemoImpl *impl = demo_impl_find("quant");
    QuantDemo *d = calloc(1, impl->size);
    assert_int_equal(impl->init(d, &args, &st), LS_OK);
    assert_int_equal(d->n, 4096);
    assert_int_equal(d->src.outliers, 2);
    assert_int_equal(d->cfg.kind, QUANT_Q4_0);
    impl->free(d);
    free(d);

    Param pm[] = {{"params", "7e9", 2}};
    Block bm = {.kind = BLOCK_DEMO, .line = 1, .info = "quant-memory", .params = pm, .n_params = 1, .valid = true};
    assert_int_equal(demo_args_from_block(&args, &bm, &st), LS_OK);
    impl = demo_impl_find("quant-memory");
    QuantMemory *qm = calloc(1, impl->size);
    assert_int_equal(impl->init(qm, &args, &st), LS_OK);
    assert_true(qm->params == 7e9);
    assert_true(qm->budget_gb == 24);
    impl->free(qm);
    free(qm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_and_levels),
        cmocka_unit_test(test_error_falls_with_bits),
        cmocka_unit_test(test_outlier_ruins_per_tensor),
        cmocka_unit_test(test_memory_table),
        cmocka_unit_test(test_model_tensor_by_name),
        cmocka_unit_test(test_quant_loss),
        cmocka_unit_test(test_demo_table_lesson4),
    };
    return cmocka_run_group_tests_name("demo_quant", tests, NULL, NULL);
}
