/* test_demo_precision.c — lesson 3's demos: flipping a bit changes the value
 * exactly as numfmt decodes the new pattern; the number line's spacing is
 * the ulp and its counts are exact; 0.1 + 0.2; fp16 overflow at 65504; the
 * naive fp16 sum stalls where Kahan's does not; the fast eXmY rounding is
 * numfmt's bit for bit; the precision slider's error falls with the
 * mantissa bits; and each demo starts from lesson parameters. */
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
#include "../src/demo/demo.h"
#include "../src/demo/demo_precision.h"

/* ---------------------------------------------------------------------------
 * bits */

static void test_bits_known_patterns(void **state)
{
    (void)state;
    BitsDemo d;
    bits_demo_init(&d, 0.1, NUMFMT_FP16);
    assert_int_equal(d.info[NUMFMT_FP16].bits, 0x2E66);
    assert_int_equal(d.info[NUMFMT_BF16].bits, 0x3DCD);
    assert_int_equal(d.info[NUMFMT_FP32].bits, 0x3DCCCCCD);
    /* Fields of fp16: 1 sign, 5 exponent, 10 mantissa bits, left to right. */
    const NumFormat *h = numfmt_get(NUMFMT_FP16);
    assert_int_equal(bits_field(h, 0), BITS_SIGN);
    assert_int_equal(bits_field(h, 1), BITS_EXPONENT);
    assert_int_equal(bits_field(h, 5), BITS_EXPONENT);
    assert_int_equal(bits_field(h, 6), BITS_MANTISSA);
    assert_int_equal(bits_field(h, 15), BITS_MANTISSA);
    char buf[256];
    bits_demo_explain(&d, NUMFMT_FP16, buf, sizeof buf);
    assert_non_null(strstr(buf, "2^(11 − 15)"));
    assert_non_null(strstr(buf, "1.1001100110"));
    assert_non_null(strstr(buf, "0.0999755859375"));
}

/* Flipping any bit of any format gives the value numfmt decodes for the
 * flipped pattern, and every other row follows that value. */
static void test_bits_flip_every_bit(void **state)
{
    (void)state;
    for (int row = 0; row < NUMFMT_COUNT; row++) {
        const NumFormat *f = numfmt_get(row);
        for (int bit = 0; bit < numfmt_width(f); bit++) {
            BitsDemo d;
            bits_demo_init(&d, 1.5, row);
            uint32_t before = d.info[row].bits;
            bits_demo_flip(&d, row, bit);
            uint32_t want = before ^ (1u << (numfmt_width(f) - 1 - bit));
            assert_int_equal(d.info[row].bits, want);
            float v = numfmt_decode(f, want);
            if (isnan(v)) {
                assert_true(isnan(d.x));
                continue;
            }
            assert_true(d.x == (double)v);
            assert_true(d.info[row].value == v);
            /* fp32 holds every smaller format exactly. */
            assert_true(d.info[NUMFMT_FP32].value == v);
            for (int o = 0; o < NUMFMT_COUNT; o++)
                assert_true(d.info[o].value == numfmt_round_double(numfmt_get(o), (double)v) ||
                            isnan(d.info[o].value));
            /* Flipping back restores the pattern. */
            bits_demo_flip(&d, row, bit);
            assert_int_equal(d.info[row].bits, before);
        }
    }
    /* The sign bit of fp16 1.5 makes -1.5; the top exponent bit of fp16
     * makes 1.5 · 2^16 = 98304 > 65504, which is... an exponent of 31: inf. */
    BitsDemo d;
    bits_demo_init(&d, 1.5, NUMFMT_FP16);
    bits_demo_flip(&d, NUMFMT_FP16, 0);
    assert_true(d.x == -1.5);
    bits_demo_init(&d, 1.0, NUMFMT_FP16);
    assert_false(bits_demo_set_bit(&d, NUMFMT_FP16, 2, 1)); /* already 1 (01111) */
    assert_true(bits_demo_set_bit(&d, NUMFMT_FP16, 1, 1));  /* 11111: inf */
    assert_true(isinf(d.x));
    char buf[256];
    bits_demo_explain(&d, NUMFMT_FP16, buf, sizeof buf);
    assert_non_null(strstr(buf, "+∞"));
}

static void test_bits_step(void **state)
{
    (void)state;
    BitsDemo d;
    bits_demo_init(&d, 1.0, NUMFMT_FP16);
    bits_demo_step(&d, +1);
    assert_true(d.x == 1.0 + 1.0 / 1024);
    bits_demo_step(&d, -1);
    bits_demo_step(&d, -1);
    assert_true(d.x == 1.0 - 1.0 / 2048);
    /* A subnormal explains itself. */
    bits_demo_init(&d, 0, NUMFMT_FP16);
    bits_demo_step(&d, +1);
    assert_true(d.x == ldexp(1.0, -24));
    char buf[256];
    bits_demo_explain(&d, NUMFMT_FP16, buf, sizeof buf);
    assert_non_null(strstr(buf, "subnormal"));
}

/* ---------------------------------------------------------------------------
 * number-line */

static void test_number_line_spacing_is_ulp(void **state)
{
    (void)state;
    NumberLineDemo d;
    for (int id = 0; id < NUMFMT_COUNT; id++) {
        const NumFormat *f = numfmt_get(id);
        const double xs[] = {1.0, 3.0, 0.1, 100.0};
        for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
            number_line_demo_set(&d, id, xs[k], 8, 64);
            const NumberLineResult *r = &d.res;
            uint32_t p = numfmt_encode(f, (float)xs[k]);
            assert_true(r->stored == numfmt_decode(f, p));
            assert_true(r->gap_above == numfmt_ulp(f, p));
            /* The ticks are consecutive representable values: every gap is
             * the ulp of the value below it. */
            assert_true(r->n_ticks >= 2);
            assert_true(r->n_ticks == r->count);
            for (int i = 1; i < r->n_ticks; i++) {
                /* ulp is the gap away from zero: above a positive value,
                 * below a negative one. */
                float v = r->ticks[i - 1] >= 0 ? r->ticks[i - 1] : r->ticks[i];
                assert_true(r->ticks[i] - r->ticks[i - 1] == numfmt_ulp(f, numfmt_encode(f, v)));
            }
            long long sum = 0;
            for (int c = 0; c < r->cols; c++) sum += r->col_count[c];
            assert_true(sum == r->count);
        }
    }
    /* At 1.0 in fp16, the window [1 − 8 ulps, 1 + 8 ulps) holds 16 values
     * below 1 (spacing 2^-11), 1 itself and 7 above (spacing 2^-10). */
    number_line_demo_set(&d, NUMFMT_FP16, 1.0, 8, 64);
    assert_true(d.res.gap_above == ldexpf(1, -10));
    assert_true(d.res.gap_below == ldexpf(1, -11));
    assert_true(d.res.count == 16 + 1 + 7);
    assert_int_equal(d.res.n_edges, 1);
    assert_true(d.res.edges[0].at == 1.0);
    assert_true(d.res.edges[0].gap_above == 2 * d.res.edges[0].gap_below);
    /* Exact counts far beyond what can be listed: fp32 in [1, 2] holds 2^23 + 1. */
    assert_true(numfmt_count_between(numfmt_get(NUMFMT_FP32), 1.0, 2.0) == (1LL << 23) + 1);
    assert_true(numfmt_count_between(numfmt_get(NUMFMT_FP16), -1.0, 1.0) == 2 * (15LL << 10) + 1);
    assert_true(numfmt_count_between(numfmt_get(NUMFMT_FP16), 2.0, 1.0) == 0);
    /* Every positive fp16 value up to max, and nothing beyond. */
    assert_true(numfmt_count_between(numfmt_get(NUMFMT_FP16), 0x1p-30, 1e9) == 0x7BFF);
    number_line_demo_set(&d, NUMFMT_FP32, 1.0, 1 << 20, 100);
    assert_true(d.res.count > NUMLINE_MAX_TICKS);
    assert_int_equal(d.res.n_ticks, 0);
    /* Near the top of fp16 the window passes max. */
    number_line_demo_set(&d, NUMFMT_FP16, 65504, 4, 40);
    assert_true(d.res.beyond_max);
    assert_true(d.res.ticks[d.res.n_ticks - 1] == 65504.0f);
}

/* ---------------------------------------------------------------------------
 * arith */

/* The exact results are computed in long double. Valgrind runs x87 long
 * double arithmetic at double precision, so there the fp64 row cannot tell
 * 0.1 + 0.2 from the double nearest 0.3; the checks that need the extra bits
 * ask first. */
static bool long_double_is_wide(void)
{
    volatile long double x = 1.0L;
    x += 0x1p-60L;
    return x != 1.0L;
}

static void test_arith_point_one_plus_point_two(void **state)
{
    (void)state;
    ArithDemo d;
    Status st = {0};
    assert_int_equal(arith_demo_set(&d, "0.1", ARITH_ADD, "0.2", &st), LS_OK);
    /* fp64: 0.30000000000000004, not the double nearest 0.3. */
    assert_string_equal(d.rows[0].name, "fp64");
    assert_true(d.rows[0].result == 0.1 + 0.2);
    if (long_double_is_wide()) {
        assert_false(d.rows[0].same);
        assert_true(d.rows[0].nearest == 0.3);
    }
    /* fp32 happens to land on the float nearest 0.3. */
    assert_string_equal(d.rows[1 + NUMFMT_FP32].name, "fp32");
    assert_true(d.rows[1 + NUMFMT_FP32].result == (double)(0.1f + 0.2f));
    assert_true(d.rows[1 + NUMFMT_FP32].same);
    for (int i = 0; i < ARITH_ROWS; i++) assert_true(d.rows[i].rel_error < 0.2);
    /* Bad input leaves the old values. */
    assert_int_equal(arith_demo_set(&d, "0.1x", ARITH_ADD, "1", &st), LS_ERR_PARSE);
    assert_string_equal(d.a_text, "0.1");
    /* A view passes the kept texts back when only the operation changes. */
    assert_int_equal(arith_demo_set(&d, d.a_text, ARITH_SUB, d.b_text, &st), LS_OK);
    assert_string_equal(d.a_text, "0.1");
    assert_string_equal(d.b_text, "0.2");
    assert_true(d.rows[0].result == 0.1 - 0.2);
}

static void test_arith_fp16_overflow(void **state)
{
    (void)state;
    ArithDemo d;
    Status st = {0};
    const int h = 1 + NUMFMT_FP16;
    /* 65504 is fp16's largest value; half an ulp (16) more rounds to even:
     * up, past max: inf. 8 more rounds back down to 65504. */
    assert_int_equal(arith_demo_set(&d, "65504", ARITH_ADD, "8", &st), LS_OK);
    assert_true(d.rows[h].result == 65504);
    assert_string_equal(d.rows[h].note, "");
    arith_demo_set(&d, "65504", ARITH_ADD, "16", &st);
    assert_true(isinf(d.rows[h].result));
    assert_string_equal(d.rows[h].note, "overflow: inf");
    /* 300 × 300 = 90000: inf in fp16, fine in bf16 (which has fp32's range). */
    arith_demo_set(&d, "300", ARITH_MUL, "300", &st);
    assert_true(isinf(d.rows[h].result));
    assert_true(isfinite(d.rows[1 + NUMFMT_BF16].result));
    assert_true(fabs(d.rows[1 + NUMFMT_BF16].result - 90000) < 90000.0 / 128);
    /* e4m3 has no infinity: overflow is NaN. */
    assert_true(isnan(d.rows[1 + NUMFMT_E4M3].result));
    assert_string_equal(d.rows[1 + NUMFMT_E4M3].note, "overflow: NaN");
    arith_demo_set(&d, "1000", ARITH_MUL, "1", &st);
    assert_true(isnan(d.rows[1 + NUMFMT_E4M3].result));
    assert_string_equal(d.rows[1 + NUMFMT_E4M3].note, "input overflow");
    /* Underflow: 1e-5 × 1e-5 is below fp16's smallest subnormal. */
    arith_demo_set(&d, "1e-5", ARITH_MUL, "1e-5", &st);
    assert_true(d.rows[h].result == 0);
    assert_string_equal(d.rows[h].note, "underflow: 0");
    assert_true(d.rows[1 + NUMFMT_FP32].result > 0);
    /* The operators. */
    arith_demo_set(&d, "1", ARITH_DIV, "3", &st);
    assert_true(d.rows[0].result == 1.0 / 3.0);
    arith_demo_set(&d, "1", ARITH_SUB, "3", &st);
    assert_true(d.rows[0].result == -2);
    assert_string_equal(arith_op_name(ARITH_MUL), "mul");
    assert_string_equal(arith_op_symbol(ARITH_MUL), "×");
}

/* ---------------------------------------------------------------------------
 * sum */

static void test_sum_stalls_and_kahan(void **state)
{
    (void)state;
    SumDemo d;
    Status st = {0};
    assert_int_equal(sum_demo_init(&d, 0, 1e-4, 10000, &st), LS_OK);
    assert_int_equal(d.count, 10000);
    assert_true(fabs(d.exact_final - 1.0) < 1e-12);
    enum { F32, F16, BF16 };
    /* Naive fp16 and bf16 stall far short of 1; fp32 gets close. */
    assert_true(d.stall[F16] > 0 && d.stall[F16] < 10000);
    assert_true(d.final_naive[F16] < 0.5f);
    assert_true(d.stall[BF16] > 0 && d.stall[BF16] < d.stall[F16]);
    assert_true(d.final_naive[BF16] < d.final_naive[F16]);
    assert_int_equal(d.stall[F32], -1);
    assert_true(fabsf(d.final_naive[F32] - 1.0f) < 1e-3f);
    /* Where it stalls, adding the term rounds back: the term is below half
     * an ulp of the sum. */
    const NumFormat *h = numfmt_get(NUMFMT_FP16);
    float s = d.stall_sum[F16];
    assert_true(numfmt_round(h, s + d.term_stored[F16]) == s);
    assert_true(d.term_stored[F16] < 0.5f * numfmt_ulp(h, numfmt_encode(h, s)) ||
                d.term_stored[F16] == 0.5f * numfmt_ulp(h, numfmt_encode(h, s)));
    /* Kahan does not stall: within a couple of ulps of the exact sum. */
    for (int k = 0; k < SUM_FORMATS; k++) {
        const NumFormat *f = numfmt_get(d.fmt_ids[k]);
        float want = numfmt_round_double(f, d.exact_final);
        float ulp = numfmt_ulp(f, numfmt_encode(f, want));
        /* The term itself was rounded: count it as stored. */
        double stored_total = d.start + (double)d.count * d.term_stored[k];
        assert_true(fabs(d.final_kahan[k] - stored_total) <= 2 * ulp);
    }
    /* The running sums are there for plotting, and end at the finals. */
    assert_true(d.naive[F16][9999] == d.final_naive[F16]);
    assert_true(d.kahan[BF16][9999] == d.final_kahan[BF16]);
    assert_true(fabsf(d.exact[4999] - 0.5f) < 1e-6f);
    /* Master weights: a weight of 1 receiving 10,000 updates of 1e-4 never
     * moves in bf16 (the update is below half an ulp of 1), moves in fp32. */
    assert_int_equal(sum_demo_set(&d, 1.0, 1e-4, 10000, &st), LS_OK);
    assert_true(d.final_naive[BF16] == 1.0f);
    assert_int_equal(d.stall[BF16], 0);
    assert_true(fabsf(d.final_naive[F32] - 2.0f) < 1e-3f);
    /* Kahan in bf16 (its compensation is bf16 too) ends within two ulps
     * of 2 (bf16's ulp there is 2^-6). */
    assert_true(fabsf(d.final_kahan[BF16] - 2.0f) <= 2 * 0x1p-6f);
    /* Clamping. */
    sum_demo_set(&d, 0, 1, 0, &st);
    assert_int_equal(d.count, 1);
    sum_demo_set(&d, 0, 1, 1 << 30, &st);
    assert_int_equal(d.count, SUM_MAX_COUNT);
    sum_demo_free(&d);
    sum_demo_free(NULL);
}

/* ---------------------------------------------------------------------------
 * precision: the fast rounding and the slider */

static void test_fast_round_matches_numfmt(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 3);
    for (int e = 2; e <= 8; e++)
        for (int m = 0; m <= 23; m++) {
            NumFormat f;
            assert_int_equal(numfmt_custom(&f, e, m, NULL), LS_OK);
            FastRound fr;
            fast_round_init(&fr, &f);
            for (int i = 0; i < 3000; i++) {
                /* Random bit patterns cover every exponent, sign and tie. */
                uint32_t u = rng_u32(&rng);
                if (i % 3 == 0) u = (u & 0x807FFFFFu) | ((uint32_t)(112 + rng_below(&rng, 40)) << 23);
                float x;
                memcpy(&x, &u, sizeof x);
                float want = numfmt_round(&f, x), got = fast_round(&fr, x);
                if (isnan(want)) {
                    assert_true(isnan(got));
                } else if (memcmp(&want, &got, sizeof want) != 0) {
                    fail_msg("e%dm%d: x = %a: numfmt %a, fast %a", e, m, (double)x, (double)want,
                             (double)got);
                }
                double xd = (double)x * (1.0 + ldexp((double)rng_below(&rng, 1u << 20), -40));
                float wd = numfmt_round_double(&f, xd), gd = fast_round_d(&fr, xd);
                if (isnan(wd)) assert_true(isnan(gd));
                else if (memcmp(&wd, &gd, sizeof wd) != 0)
                    fail_msg("e%dm%d: x = %a: numfmt %a, fast_d %a", e, m, xd, (double)wd, (double)gd);
            }
        }
}

static void make_image(Mat *m)
{
    Status st = {0};
    assert_int_equal(mat_init(m, 40, 48, &st), LS_OK);
    for (int i = 0; i < 40; i++)
        for (int j = 0; j < 48; j++)
            MAT_AT(m, i, j) = (float)((i * 7 + j * 3) % 256) / 255.0f;
}

static void test_precision_image(void **state)
{
    (void)state;
    Mat img;
    make_image(&img);
    PrecisionDemo d;
    Status st = {0};
    assert_int_equal(precision_demo_init_mat(&d, &img, 5, 10, &st), LS_OK);
    assert_string_equal(d.res.name, "e5m10");
    assert_string_equal(d.res.alias, "fp16");
    assert_int_equal(d.res.width, 16);
    /* Every pixel is its fp16 rounding; the error image is the difference. */
    const NumFormat *h = numfmt_get(NUMFMT_FP16);
    for (int i = 0; i < 40; i += 7)
        for (int j = 0; j < 48; j += 5) {
            assert_true(MAT_AT(&d.rounded, i, j) == numfmt_round(h, MAT_AT(&img, i, j)));
            assert_true(MAT_AT(&d.error, i, j) == MAT_AT(&d.rounded, i, j) - MAT_AT(&img, i, j));
        }
    /* The error falls with the mantissa bits (at least halving every two
     * bits, "monotone-ish"), and the curve agrees with the slider. */
    double prev = INFINITY;
    for (int m = 0; m <= 23; m++) {
        assert_int_equal(precision_demo_set(&d, 5, m, &st), LS_OK);
        double e = d.res.rel_error;
        assert_true(fabs(d.res.curve[m] - e) <= 1e-6 * e + 1e-12);
        assert_true(e <= prev * 1.05 + 1e-12);
        if (m >= 2) assert_true(e <= d.res.curve[m - 2] * 0.55 + 1e-12);
        prev = e;
    }
    /* fp32 itself: no error at all. */
    precision_demo_set(&d, 8, 23, &st);
    assert_true(d.res.rel_error == 0);
    assert_true(isinf(d.res.psnr_db));
    /* Three mantissa bits: few gray levels. */
    precision_demo_set(&d, 5, 3, &st);
    assert_true(d.res.distinct < 60);
    precision_demo_set(&d, 5, 10, &st);
    assert_true(d.res.distinct == 256 || d.res.distinct > 200);
    /* Two exponent bits: the dark pixels underflow to 0 (e2m1's smallest
     * positive value is 0.5). */
    precision_demo_set(&d, 2, 1, &st);
    assert_true(d.res.n_zeroed > 0);
    /* Lesson 3's claim: at M = 10, E = 3 or 2 puts the dark pixels on
     * subnormals, not on 0 (e3m10's smallest subnormal is 2^-12, e2m10's
     * 2^-10, both below the darkest non-zero gray 1/255). Count them the
     * slow way to check the demo's counts. */
    for (int e = 2; e <= 3; e++) {
        precision_demo_set(&d, e, 10, &st);
        NumFormat f;
        NumLimits lim;
        assert_int_equal(numfmt_custom(&f, e, 10, &st), LS_OK);
        numfmt_limits(&lim, &f);
        size_t sub = 0, zero = 0;
        for (int i = 0; i < img.rows; i++)
            for (int j = 0; j < img.cols; j++) {
                float v = MAT_AT(&img, i, j), q = numfmt_round(&f, v);
                if (q == 0 && v != 0) zero++;
                else if (q != 0 && q < lim.min_normal) sub++;
            }
        assert_int_equal(d.res.n_zeroed, zero);
        assert_int_equal(d.res.n_subnormal, sub);
        assert_int_equal(d.res.n_zeroed, 0);
        assert_true(d.res.n_subnormal > 0);
    }
    precision_demo_set(&d, 5, 10, &st); /* fp16: the photo's grays are all normal */
    assert_int_equal(d.res.n_subnormal, 0);
    /* Clamped. */
    precision_demo_set(&d, 99, -4, &st);
    assert_int_equal(d.res.exp_bits, 8);
    assert_int_equal(d.res.man_bits, 0);
    precision_demo_free(&d);
    mat_free(&img);
}

static void test_precision_matmul(void **state)
{
    (void)state;
    PrecisionDemo d;
    Status st = {0};
    assert_int_equal(precision_demo_init_matmul(&d, 24, 5, 5, 10, &st), LS_OK);
    /* fp16 inputs: accumulating in fp32 is more accurate than rounding every
     * partial sum to fp16. */
    assert_true(d.res.rel_error_f32 > 0);
    assert_true(d.res.rel_error_fmt > d.res.rel_error_f32);
    assert_true(d.res.rel_error_fmt < 0.05);
    /* bf16: fewer mantissa bits, larger errors. */
    double fp16_err = d.res.rel_error_fmt;
    precision_demo_set(&d, 8, 7, &st);
    assert_string_equal(d.res.alias, "bf16");
    assert_true(d.res.rel_error_fmt > fp16_err);
    /* The entry in C: recomputed by hand for (0, 0) in e8m7. */
    NumFormat f;
    numfmt_custom(&f, 8, 7, NULL);
    float acc = 0;
    for (int k = 0; k < 24; k++) {
        float a = numfmt_round(&f, d.a[k]), b = numfmt_round(&f, d.b[k * 24]);
        acc = numfmt_round_double(&f, (double)acc + numfmt_round_double(&f, (double)a * b));
    }
    assert_true(d.rounded.data[0] == acc);
    /* Two exponent bits: the sums overflow (max of e2m10 is below 4). */
    precision_demo_set(&d, 2, 10, &st);
    assert_true(d.res.n_overflow > 0);
    assert_true(isinf(d.res.rel_error_fmt));
    assert_true(isnan(d.res.curve[10]));
    /* Same seed, same matrices. */
    PrecisionDemo e;
    assert_int_equal(precision_demo_init_matmul(&e, 24, 5, 8, 7, &st), LS_OK);
    assert_true(e.a[7] == d.a[7]);
    precision_demo_free(&e);
    precision_demo_free(&d);
}

static void test_precision_from_file(void **state)
{
    (void)state;
    const char *root = getenv("LORASCOPE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/images/boats.pgm", root && *root ? root : ".");
    PrecisionDemo d;
    Status st = {0};
    assert_int_equal(precision_demo_init_image(&d, path, 8, 7, &st), LS_OK);
    assert_int_equal(d.original.rows, 256);
    assert_true(d.res.rel_error > 0 && d.res.rel_error < 0.01);
    precision_demo_free(&d);
    assert_int_not_equal(precision_demo_init_image(&d, "/nonexistent.pgm", 8, 7, &st), LS_OK);
}

/* ---------------------------------------------------------------------------
 * The table: every new demo starts from a lesson block. */

static void *start(const char *name, Param *params, int n, Status *st)
{
    Block b = {.kind = BLOCK_DEMO, .line = 1, .info = (char *)name, .params = params,
               .n_params = n, .valid = true};
    DemoArgs args;
    if (demo_args_from_block(&args, &b, st) != LS_OK) fail_msg("%s: %s", name, st->msg);
    const DemoImpl *impl = demo_impl_find(name);
    assert_non_null(impl);
    void *mem = calloc(1, impl->size);
    if (impl->init(mem, &args, st) != LS_OK) fail_msg("%s: %s", name, st->msg);
    return mem;
}

static void stop(const char *name, void *mem)
{
    demo_impl_find(name)->free(mem);
    free(mem);
}

static void test_demo_table_lesson3(void **state)
{
    (void)state;
    Status st = {0};
    Param p1[] = {{"value", "0.1", 2}, {"format", "bf16", 3}};
    BitsDemo *b = start("bits", p1, 2, &st);
    assert_int_equal(b->row, NUMFMT_BF16);
    assert_int_equal(b->info[NUMFMT_BF16].bits, 0x3DCD);
    stop("bits", b);

    Param p2[] = {{"format", "fp16", 2}, {"x", "1", 3}, {"zoom", "8", 4}};
    NumberLineDemo *nl = start("number-line", p2, 3, &st);
    assert_true(nl->res.gap_above == ldexpf(1, -10));
    stop("number-line", nl);

    Param p3[] = {{"a", "0.1", 2}, {"op", "add", 3}, {"b", "0.2", 4}};
    ArithDemo *ar = start("arith", p3, 3, &st);
    assert_true(ar->rows[0].result == 0.1 + 0.2);
    stop("arith", ar);

    Param p4[] = {{"term", "0.0001", 2}, {"count", "10000", 3}};
    SumDemo *s = start("sum", p4, 2, &st);
    assert_int_equal(s->count, 10000);
    stop("sum", s);

    Param p5[] = {{"target", "matmul", 2}, {"size", "16", 3}, {"exponent", "8", 4},
                  {"mantissa", "7", 5}};
    PrecisionDemo *pd = start("precision", p5, 4, &st);
    assert_int_equal(pd->n, 16);
    assert_string_equal(pd->res.alias, "bf16");
    stop("precision", pd);

    Param p6[] = {{"image", "data/images/boats.pgm", 2}};
    pd = start("precision", p6, 1, &st);
    assert_int_equal(pd->target, PREC_IMAGE);
    assert_string_equal(pd->res.alias, "fp16");
    stop("precision", pd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits_known_patterns),
        cmocka_unit_test(test_bits_flip_every_bit),
        cmocka_unit_test(test_bits_step),
        cmocka_unit_test(test_number_line_spacing_is_ulp),
        cmocka_unit_test(test_arith_point_one_plus_point_two),
        cmocka_unit_test(test_arith_fp16_overflow),
        cmocka_unit_test(test_sum_stalls_and_kahan),
        cmocka_unit_test(test_fast_round_matches_numfmt),
        cmocka_unit_test(test_precision_image),
        cmocka_unit_test(test_precision_matmul),
        cmocka_unit_test(test_precision_from_file),
        cmocka_unit_test(test_demo_table_lesson3),
    };
    return cmocka_run_group_tests_name("demo_precision", tests, NULL, NULL);
}
