/* test_quant.c — quantizers: the s/2 error bound for every integer width and
 * granularity, the fast path against its reference twin, ggml's block
 * layouts, the NF4 table, bits per weight, the outlier effect, levels,
 * histograms, demo data, and bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/core/numfmt.h"
#include "../src/core/quant.h"

static float *gaussian(int rows, int cols, size_t outliers, uint64_t seed)
{
    size_t n = (size_t)rows * (size_t)cols;
    float *w = malloc(n * sizeof(float) + 1);
    assert_non_null(w);
    assert_int_equal(quant_make_gaussian(w, n, 0.02f, outliers, seed, NULL), LS_OK);
    return w;
}

static void test_int_error_bound(void **state)
{
    (void)state;
    enum { R = 13, C = 75 }; /* 75: blocks of 7, 32 and 64 leave a short last block */
    float *w = gaussian(R, C, 0, 5);
    w[7] = 0.0f; /* an exact zero and a lone large value, both in range */
    w[100] = 0.25f;
    float out[R * C];
    QuantTensor qt;
    quant_tensor_init(&qt);
    static const int blocks[] = {1, 7, 32, 64, 200};
    for (int bits = 2; bits <= 8; bits++)
        for (int asym = 0; asym <= 1; asym++)
            for (int g = 0; g < QUANT_GRANULARITY_COUNT; g++)
                for (int b = 0; b < (g == QUANT_PER_BLOCK ? 5 : 1); b++) {
                    QuantConfig cfg = quant_config_int(bits, (QuantGranularity)g, blocks[b], asym);
                    assert_int_equal(quant_roundtrip(out, NULL, &qt, &cfg, w, R, C, NULL), LS_OK);
                    for (int i = 0; i < R; i++)
                        for (int j = 0; j < C; j++) {
                            float s = quant_group_step(&qt, quant_group_of(&qt, i, j));
                            double err = fabs((double)w[i * C + j] - (double)out[i * C + j]);
                            if (err > 0.5 * s * (1 + 1e-6) + 1e-12)
                                fail_msg("int%d %s %s block %d: |w - q| = %g > s/2 = %g at (%d,%d)",
                                         bits, asym ? "asym" : "sym",
                                         quant_granularity_name((QuantGranularity)g), blocks[b],
                                         err, 0.5 * s, i, j);
                        }
                    /* 0 is exactly a level in every scheme */
                    assert_true(out[7] == 0.0f);
                }
    quant_tensor_free(&qt);
    free(w);
}

static void check_fast_equals_ref(const QuantConfig *cfg, const float *w, int rows, int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    float *fast = malloc(n * sizeof(float) + 1), *ref = malloc(n * sizeof(float) + 1);
    assert_true(fast && ref);
    QuantTensor qt;
    quant_tensor_init(&qt);
    assert_int_equal(quant_roundtrip(fast, NULL, &qt, cfg, w, rows, cols, NULL), LS_OK);
    assert_int_equal(quant_roundtrip_ref(ref, cfg, w, rows, cols, NULL), LS_OK);
    char name[16];
    for (size_t i = 0; i < n; i++)
        if (memcmp(&fast[i], &ref[i], sizeof(float)) != 0)
            fail_msg("%s %s: element %zu of %dx%d: fast %a, reference %a",
                     quant_scheme_name(cfg, name, sizeof name),
                     quant_granularity_name(cfg->granularity), i, rows, cols, (double)fast[i],
                     (double)ref[i]);
    quant_tensor_free(&qt);
    free(fast);
    free(ref);
}

static void test_fast_matches_reference(void **state)
{
    (void)state;
    /* 64 x 300: rows end in a short block for every block size, and NF4-DQ
     * gets 320 absmax values (more than one second-level block). */
    static const int shapes[][2] = {{64, 300}, {16, 256}, {1, 1}, {3, 5}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        float *w = gaussian(rows, cols, 3 < (size_t)rows * cols / 4 ? 3 : 0, 17 + s);
        for (int k = QUANT_Q8_0; k < QUANT_KIND_COUNT; k++) {
            QuantConfig cfg = quant_config_fixed((QuantKind)k);
            check_fast_equals_ref(&cfg, w, rows, cols);
        }
        for (int bits = 2; bits <= 8; bits += 3)
            for (int g = 0; g < QUANT_GRANULARITY_COUNT; g++)
                for (int asym = 0; asym <= 1; asym++) {
                    QuantConfig cfg = quant_config_int(bits, (QuantGranularity)g, 48, asym);
                    check_fast_equals_ref(&cfg, w, rows, cols);
                }
        free(w);
    }
}

static void test_nf4_levels_published(void **state)
{
    (void)state;
    /* The QLoRA paper's table (as in DESIGN.md) ... */
    static const double paper[16] = {
        -1,        -0.6961928, -0.5250731, -0.3949175, -0.2844414, -0.1847734, -0.0910500, 0,
        0.0795803, 0.1609302,  0.2461123,  0.3379152,  0.4407098,  0.5626170,  0.7229568,  1};
    /* ... and bitsandbytes' float32 constants, which are the same floats. */
    static const double bnb[16] = {-1.0,
                                   -0.6961928009986877,
                                   -0.5250730514526367,
                                   -0.39491748809814453,
                                   -0.28444138169288635,
                                   -0.18477343022823334,
                                   -0.09105003625154495,
                                   0.0,
                                   0.07958029955625534,
                                   0.16093020141124725,
                                   0.24611230194568634,
                                   0.33791524171829224,
                                   0.44070982933044434,
                                   0.5626170039176941,
                                   0.7229568362236023,
                                   1.0};
    const float *lv = quant_nf4_levels();
    for (int k = 0; k < 16; k++) {
        assert_true(fabs(lv[k] - paper[k]) < 5e-8);
        assert_true(lv[k] == (float)bnb[k]);
        if (k) assert_true(lv[k] > lv[k - 1]);
    }
    assert_true(lv[7] == 0.0f);
}

static void test_bits_per_weight(void **state)
{
    (void)state;
    int rows = 1024, cols = 256; /* 4096 NF4 blocks = 16 second-level blocks */
    QuantConfig q8 = quant_config_fixed(QUANT_Q8_0), q4 = quant_config_fixed(QUANT_Q4_0);
    QuantConfig nf4 = quant_config_fixed(QUANT_NF4), dq = quant_config_fixed(QUANT_NF4_DQ);
    assert_true(quant_bits_per_weight(&q8, rows, cols) == 8.5);
    assert_true(quant_bits_per_weight(&q4, rows, cols) == 4.5);
    assert_true(quant_bits_per_weight(&nf4, rows, cols) == 4.5);
    double b = quant_bits_per_weight(&dq, rows, cols);
    assert_true(fabs(b - 4.127) < 0.0005);
    /* 4 + 8/64 + 32/(64·256) + one fp32 mean */
    assert_true(fabs(b - (4.0 + 0.125 + 32.0 / 16384 + 32.0 / (rows * cols))) < 1e-12);
    assert_int_equal(quant_storage_bytes(&q8, 1, 32), 34);
    assert_int_equal(quant_storage_bytes(&q4, 1, 32), 18);
    assert_int_equal(quant_storage_bytes(&q8, 1, 33), 68); /* a padded second block */

    QuantConfig i8 = quant_config_int(8, QUANT_PER_TENSOR, 0, false);
    assert_int_equal(quant_storage_bytes(&i8, 4, 4), 16 + 4);
    QuantConfig i4 = quant_config_int(4, QUANT_PER_BLOCK, 32, true);
    assert_true(quant_bits_per_weight(&i4, rows, cols) == 4.0 + 40.0 / 32); /* scale + zero */
    QuantConfig i3 = quant_config_int(3, QUANT_PER_ROW, 0, false);
    assert_int_equal(quant_storage_bytes(&i3, 3, 3), 4 + 3 * 4); /* 27 bits packed in 4 bytes */

    /* The measured tensor reports the same bytes. */
    float *w = gaussian(rows, cols, 0, 1), *out = malloc((size_t)rows * cols * sizeof(float));
    assert_non_null(out);
    QuantTensor qt;
    quant_tensor_init(&qt);
    QuantMetrics m;
    assert_int_equal(quant_roundtrip(out, &m, &qt, &dq, w, rows, cols, NULL), LS_OK);
    assert_int_equal(m.bytes, quant_storage_bytes(&dq, rows, cols));
    assert_true(m.bits_per_weight == b);
    quant_tensor_free(&qt);
    free(w);
    free(out);
}

static double mse_of(const QuantConfig *cfg, const float *w, int rows, int cols)
{
    float *out = malloc((size_t)rows * cols * sizeof(float));
    assert_non_null(out);
    QuantTensor qt;
    quant_tensor_init(&qt);
    QuantMetrics m;
    assert_int_equal(quant_roundtrip(out, &m, &qt, cfg, w, rows, cols, NULL), LS_OK);
    quant_tensor_free(&qt);
    free(out);
    return m.mse;
}

static void test_outlier_effect(void **state)
{
    (void)state;
    int rows = 256, cols = 256;
    float *clean = gaussian(rows, cols, 0, 9), *dirty = gaussian(rows, cols, 1, 9);
    QuantConfig tensor = quant_config_int(8, QUANT_PER_TENSOR, 0, false);
    QuantConfig block = quant_config_int(8, QUANT_PER_BLOCK, 64, false);
    double t_clean = mse_of(&tensor, clean, rows, cols),
           b_clean = mse_of(&block, clean, rows, cols);
    double t_dirty = mse_of(&tensor, dirty, rows, cols),
           b_dirty = mse_of(&block, dirty, rows, cols);
    /* One outlier of 10-20 std stretches the single per-tensor scale by
     * 2-5x (MSE 4-25x); per block it only affects its own 64 weights. */
    assert_true(t_dirty > 10.0 * b_dirty);
    assert_true(t_dirty > 3.0 * t_clean);
    assert_true(b_dirty < 1.1 * b_clean);
    QuantConfig row = quant_config_int(8, QUANT_PER_ROW, 0, false);
    assert_true(mse_of(&row, dirty, rows, cols) < t_dirty / 5);
    free(clean);
    free(dirty);
}

static void test_ggml_blocks(void **state)
{
    (void)state;
    float x[32], out[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16);
    QuantTensor qt;
    quant_tensor_init(&qt);

    QuantConfig q8 = quant_config_fixed(QUANT_Q8_0);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &q8, x, 1, 32, NULL), LS_OK);
    assert_int_equal(qt.n_groups, 1);
    float d = 16.0f / 127.0f;
    assert_int_equal(qt.q8[0].d, numfmt_fp16_from_fp32(d));
    assert_int_equal(qt.q8[0].qs[0], -127);
    assert_int_equal(qt.q8[0].qs[16], 0);
    assert_int_equal(qt.q8[0].qs[31], 119); /* round(15 · 127/16) = round(119.06) */
    assert_true(out[31] == 119.0f * numfmt_fp16_to_fp32(qt.q8[0].d));

    /* Q4_0: the extreme is −16, so d = −16/−8 = 2 and −16 takes code 0. */
    QuantConfig q4 = quant_config_fixed(QUANT_Q4_0);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &q4, x, 1, 32, NULL), LS_OK);
    assert_true(numfmt_fp16_to_fp32(qt.q4[0].d) == 2.0f);
    assert_int_equal(qt.q4[0].qs[0], 0x80);     /* x[0] = −16 → 0 low, x[16] = 0 → 8 high */
    assert_int_equal(qt.q4[0].qs[15] >> 4, 15); /* x[31] = 15 → ⌊7.5 + 8.5⌋ = 16, capped at 15 */
    assert_true(out[0] == -16.0f && out[31] == 14.0f && out[16] == 0.0f);
    float lv[256];
    assert_int_equal(quant_levels(lv, 256, &qt, 0), 16);
    assert_true(lv[0] == -16.0f && lv[15] == 14.0f);
    /* A positive extreme gives a negative d; the levels still come out ascending. */
    for (int j = 0; j < 32; j++)
        x[j] = -x[j];
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &q4, x, 1, 32, NULL), LS_OK);
    assert_true(numfmt_fp16_to_fp32(qt.q4[0].d) == -2.0f);
    assert_int_equal(quant_levels(lv, 256, &qt, 0), 16);
    assert_true(lv[0] == -14.0f && lv[15] == 16.0f);
    assert_true(quant_group_step(&qt, 0) == 2.0f);

    /* NF4: first weight of a pair in the high nibble. */
    float y[64] = {0};
    y[0] = -1.0f; /* code 0 */
    y[1] = 1.0f;  /* code 15 */
    y[2] = 0.08f; /* code 8 (0.0795803) */
    QuantConfig nf4 = quant_config_fixed(QUANT_NF4);
    float o64[64];
    assert_int_equal(quant_roundtrip(o64, NULL, &qt, &nf4, y, 1, 64, NULL), LS_OK);
    assert_int_equal(qt.nibbles[0], 0x0F);
    assert_int_equal(qt.nibbles[1], 0x87);
    assert_true(o64[2] == quant_nf4_levels()[8] && qt.scale[0] == 1.0f);
    quant_tensor_free(&qt);
}

static void test_nf4_double_quant(void **state)
{
    (void)state;
    int rows = 512, cols = 256; /* 2048 blocks, 8 second-level blocks */
    float *w = gaussian(rows, cols, 0, 21);
    QuantConfig nf4 = quant_config_fixed(QUANT_NF4), dq = quant_config_fixed(QUANT_NF4_DQ);
    double a = mse_of(&nf4, w, rows, cols), b = mse_of(&dq, w, rows, cols);
    assert_true(b >= a * 0.99 && b < a * 1.02); /* 0.37 bits/weight saved for ~nothing */

    float *out = malloc((size_t)rows * cols * sizeof(float));
    assert_non_null(out);
    QuantTensor t1, t2;
    quant_tensor_init(&t1);
    quant_tensor_init(&t2);
    assert_int_equal(quant_quantize(&t1, &nf4, w, rows, cols, NULL), LS_OK);
    assert_int_equal(quant_quantize(&t2, &dq, w, rows, cols, NULL), LS_OK);
    /* Same 4-bit codes; the rebuilt absmax within half a second-level step. */
    assert_memory_equal(t1.nibbles, t2.nibbles, t1.n_groups * 32);
    double mean = 0;
    for (size_t g = 0; g < t1.n_groups; g++)
        mean += t1.scale[g];
    mean /= (double)t1.n_groups;
    assert_true(fabs(t2.absmax_mean - mean) < 1e-6);
    for (size_t g = 0; g < t1.n_groups; g++) {
        float s2 = t2.absmax_scale[g / 256];
        assert_true(fabsf(t1.scale[g] - t2.scale[g]) <= 0.5f * s2 * 1.0001f + 1e-9f);
    }
    quant_tensor_free(&t1);
    quant_tensor_free(&t2);
    free(out);
    free(w);
}

static void test_levels(void **state)
{
    (void)state;
    float w[8] = {-0.7f, 0.1f, 0.2f, 0.35f, 0.0f, -0.2f, 0.5f, 0.6f}, out[8], lv[256];
    QuantTensor qt;
    quant_tensor_init(&qt);
    QuantConfig i4 = quant_config_int(4, QUANT_PER_TENSOR, 0, false);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &i4, w, 2, 4, NULL), LS_OK);
    int n = quant_levels(lv, 256, &qt, 0);
    assert_int_equal(n, 15); /* −7..7 */
    assert_true(fabsf(lv[0] + 0.7f) < 1e-6f && fabsf(lv[14] - 0.7f) < 1e-6f && lv[7] == 0.0f);
    for (int i = 1; i < n; i++)
        assert_true(lv[i] > lv[i - 1]);
    for (int i = 0; i < 8; i++) { /* every output is one of the levels */
        int found = 0;
        for (int k = 0; k < n; k++)
            found |= out[i] == lv[k];
        assert_true(found);
    }
    assert_int_equal(quant_levels(lv, 4, &qt, 0), 4);   /* capped */
    assert_int_equal(quant_levels(lv, 256, &qt, 1), 0); /* no such group */

    QuantConfig a3 = quant_config_int(3, QUANT_PER_ROW, 0, true);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &a3, w, 2, 4, NULL), LS_OK);
    assert_int_equal(quant_levels(lv, 256, &qt, 1), 8);
    assert_int_equal(quant_group_of(&qt, 1, 3), 1);

    QuantConfig q8 = quant_config_fixed(QUANT_Q8_0);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &q8, w, 1, 8, NULL), LS_OK);
    assert_int_equal(quant_levels(lv, 256, &qt, 0), 255);
    QuantConfig nf4 = quant_config_fixed(QUANT_NF4);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &nf4, w, 1, 8, NULL), LS_OK);
    assert_int_equal(quant_levels(lv, 256, &qt, 0), 16);
    assert_true(lv[0] == -0.7f && lv[15] == 0.7f);
    quant_tensor_free(&qt);
}

static void test_metrics_and_degenerate(void **state)
{
    (void)state;
    float w[2] = {1.0f, -1.0f}, d[2] = {1.0f, -0.5f};
    QuantMetrics m;
    quant_metrics(&m, w, d, 2, 1);
    assert_true(m.mse == 0.125 && m.max_abs_error == 0.5);
    assert_true(fabs(m.snr_db - 10.0 * log10(2.0 / 0.25)) < 1e-12);
    assert_true(m.bits_per_weight == 4.0);

    float zeros[40] = {0}, out[40];
    QuantTensor qt;
    quant_tensor_init(&qt);
    for (int k = 0; k < QUANT_KIND_COUNT; k++) {
        QuantConfig cfg = k == QUANT_INT ? quant_config_int(4, QUANT_PER_BLOCK, 8, true)
                                         : quant_config_fixed((QuantKind)k);
        memset(out, 0xFF, sizeof out);
        assert_int_equal(quant_roundtrip(out, &m, &qt, &cfg, zeros, 4, 10, NULL), LS_OK);
        for (int i = 0; i < 40; i++)
            assert_true(out[i] == 0.0f);
        assert_true(isinf(m.snr_db) && m.mse == 0.0);
    }
    /* An empty matrix is fine and costs nothing. */
    QuantConfig i8 = quant_config_int(8, QUANT_PER_TENSOR, 0, false);
    assert_int_equal(quant_roundtrip(out, &m, &qt, &i8, zeros, 0, 5, NULL), LS_OK);
    assert_int_equal(m.n, 0);
    quant_tensor_free(&qt);
    quant_tensor_free(NULL);
}

static void test_buffers_are_reused(void **state)
{
    (void)state;
    int rows = 64, cols = 128;
    float *w = gaussian(rows, cols, 0, 2), *out = malloc((size_t)rows * cols * sizeof(float));
    assert_non_null(out);
    QuantTensor qt;
    quant_tensor_init(&qt);
    QuantConfig a = quant_config_int(4, QUANT_PER_BLOCK, 16, true);
    QuantConfig b = quant_config_int(6, QUANT_PER_ROW, 0, false);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &a, w, rows, cols, NULL), LS_OK);
    uint8_t *codes = qt.codes;
    float *scale = qt.scale;
    /* Other settings on the same (or a smaller) matrix: no new buffers. */
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &b, w, rows, cols, NULL), LS_OK);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &a, w, rows / 2, cols, NULL), LS_OK);
    assert_ptr_equal(codes, qt.codes);
    assert_ptr_equal(scale, qt.scale);
    quant_tensor_free(&qt);
    free(w);
    free(out);
}

static void test_configs_and_bad_input(void **state)
{
    (void)state;
    QuantConfig cfg;
    Status st;
    char name[16];
    assert_int_equal(quant_config_parse(&cfg, "int8", &st), LS_OK);
    assert_int_equal(cfg.bits, 8);
    assert_int_equal(cfg.granularity, QUANT_PER_TENSOR);
    assert_int_equal(quant_config_parse(&cfg, "int3", &st), LS_OK);
    assert_string_equal(quant_scheme_name(&cfg, name, sizeof name), "int3");
    assert_int_equal(quant_config_parse(&cfg, "nf4-dq", &st), LS_OK);
    assert_int_equal(cfg.kind, QUANT_NF4_DQ);
    assert_int_equal(cfg.block, 64);
    assert_string_equal(quant_scheme_name(&cfg, name, sizeof name), "nf4-dq");
    assert_int_equal(quant_config_parse(&cfg, "int9", &st), LS_ERR_RANGE);
    assert_int_equal(quant_config_parse(&cfg, "int1", &st), LS_ERR_RANGE);
    assert_int_equal(quant_config_parse(&cfg, "int", &st), LS_ERR_ARG);
    assert_int_equal(quant_config_parse(&cfg, "int4x", &st), LS_ERR_ARG);
    assert_int_equal(quant_config_parse(&cfg, "q5_k", &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "q5_k"));

    QuantGranularity g;
    assert_true(quant_granularity_parse(&g, "row") && g == QUANT_PER_ROW);
    assert_false(quant_granularity_parse(&g, "column"));

    cfg = quant_config_int(4, QUANT_PER_BLOCK, 0, false);
    assert_int_equal(quant_config_check(&cfg, &st), LS_ERR_RANGE);
    cfg = quant_config_fixed(QUANT_Q8_0);
    cfg.asymmetric = true;
    assert_int_equal(quant_config_check(&cfg, &st), LS_ERR_ARG);
    cfg = quant_config_fixed(QUANT_NF4);
    cfg.block = 32;
    assert_int_equal(quant_config_check(&cfg, &st), LS_ERR_ARG);

    float w[6] = {1, 2, 3, 4, NAN, 6}, out[6];
    QuantTensor qt;
    quant_tensor_init(&qt);
    cfg = quant_config_int(8, QUANT_PER_ROW, 0, false);
    assert_int_equal(quant_roundtrip(out, NULL, &qt, &cfg, w, 2, 3, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, "(2, 2)"));
    assert_int_equal(quant_roundtrip_ref(out, &cfg, w, 2, 3, &st), LS_ERR_RANGE);
    w[4] = INFINITY;
    assert_int_equal(quant_quantize(&qt, &cfg, w, 2, 3, &st), LS_ERR_RANGE);
    assert_int_equal(quant_quantize(&qt, &cfg, w, -1, 3, &st), LS_ERR_RANGE);
    quant_tensor_free(&qt);
}

static void test_histogram(void **state)
{
    (void)state;
    float x[] = {0.0f, 0.1f, 0.5f, 0.99f, 1.0f, -0.1f, 2.0f, NAN};
    size_t counts[4];
    size_t skipped = quant_histogram(counts, 4, 0.0f, 1.0f, x, 8);
    assert_int_equal(skipped, 3); /* −0.1, 2 and NaN */
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 0);
    assert_int_equal(counts[2], 1);
    assert_int_equal(counts[3], 2); /* 0.99 and the top edge 1.0 */
    float lo, hi;
    quant_range(&lo, &hi, x, 8);
    assert_true(lo == -0.1f && hi == 2.0f);
    quant_range(&lo, &hi, x + 7, 1);
    assert_true(lo == 0.0f && hi == 0.0f);
}

static void test_gaussian_data(void **state)
{
    (void)state;
    int r, c;
    quant_gaussian_shape(1048576, &r, &c);
    assert_true(r == 4096 && c == 256);
    quant_gaussian_shape(1000000, &r, &c);
    assert_true(r == 1000 && c == 1000);
    quant_gaussian_shape(97, &r, &c);
    assert_true(r == 1 && c == 97);
    quant_gaussian_shape(12, &r, &c);
    assert_true(r == 3 && c == 4);

    size_t n = 20000;
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    assert_true(a && b);
    assert_int_equal(quant_make_gaussian(a, n, 0.02f, 25, 77, NULL), LS_OK);
    assert_int_equal(quant_make_gaussian(b, n, 0.02f, 25, 77, NULL), LS_OK);
    assert_memory_equal(a, b, n * sizeof(float)); /* same seed, same numbers */
    size_t big = 0;
    double sum2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabsf(a[i]) >= 0.2f) {
            big++;
            assert_true(fabsf(a[i]) <= 0.4f);
        } else {
            sum2 += (double)a[i] * a[i];
        }
    }
    assert_int_equal(big, 25);
    double sd = sqrt(sum2 / (double)(n - big));
    assert_true(sd > 0.019 && sd < 0.021);
    assert_int_equal(quant_make_gaussian(b, n, 0.02f, 25, 78, NULL), LS_OK);
    assert_true(memcmp(a, b, n * sizeof(float)) != 0);
    assert_int_equal(quant_make_gaussian(b, 10, 0.02f, 11, 1, NULL), LS_ERR_RANGE);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_error_bound),
        cmocka_unit_test(test_fast_matches_reference),
        cmocka_unit_test(test_nf4_levels_published),
        cmocka_unit_test(test_bits_per_weight),
        cmocka_unit_test(test_outlier_effect),
        cmocka_unit_test(test_ggml_blocks),
        cmocka_unit_test(test_nf4_double_quant),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_metrics_and_degenerate),
        cmocka_unit_test(test_buffers_are_reused),
        cmocka_unit_test(test_configs_and_bad_input),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_gaussian_data),
    };
    return cmocka_run_group_tests_name("quant", tests, NULL, NULL);
}
