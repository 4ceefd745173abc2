/* test_numfmt.c — number formats: known bit patterns, overflow, subnormals,
 * ties to even, specials, every pattern round-tripping, the fast fp16/bf16
 * converters against their reference twins, custom formats against the
 * named ones, and summation in a format. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/base/rng.h"
#include "../src/core/numfmt.h"

static const NumFormat *fp32(void)
{
    return numfmt_get(NUMFMT_FP32);
}
static const NumFormat *fp16(void)
{
    return numfmt_get(NUMFMT_FP16);
}
static const NumFormat *bf16(void)
{
    return numfmt_get(NUMFMT_BF16);
}
static const NumFormat *e4m3(void)
{
    return numfmt_get(NUMFMT_E4M3);
}
static const NumFormat *e5m2(void)
{
    return numfmt_get(NUMFMT_E5M2);
}

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t float_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void test_known_values(void **state)
{
    (void)state;
    assert_int_equal(numfmt_encode(fp16(), 0.1f), 0x2E66);
    assert_int_equal(numfmt_encode(bf16(), 0.1f), 0x3DCD);
    assert_int_equal(numfmt_encode(fp32(), 0.1f), 0x3DCCCCCD);
    assert_int_equal(numfmt_encode_double(fp32(), 0.1), 0x3DCCCCCD);
    assert_int_equal(numfmt_encode(fp16(), 1.0f), 0x3C00);
    assert_int_equal(numfmt_encode(fp16(), -2.0f), 0xC000);
    assert_int_equal(numfmt_encode(bf16(), 1.0f), 0x3F80);
    assert_int_equal(numfmt_encode(e4m3(), 1.0f), 0x38);
    assert_int_equal(numfmt_encode(e5m2(), 1.0f), 0x3C);
    assert_int_equal(numfmt_encode(e4m3(), 0.1f), 0x1D); /* 0.1015625 */
    assert_true(numfmt_decode(fp16(), 0x2E66) == 0.0999755859375f);
    assert_true(numfmt_decode(bf16(), 0x3DCD) == 0.10009765625f);
    char buf[64];
    assert_string_equal(numfmt_bits_string(buf, sizeof buf, fp16(), 0x2E66, '|'),
                        "0|01011|1001100110");
    assert_string_equal(numfmt_bits_string(buf, sizeof buf, e4m3(), 0x7E, ' '), "0 1111 110");
    assert_string_equal(numfmt_bits_string(buf, sizeof buf, e5m2(), 0x7B, '\0'), "01111011");
}

static void test_fp16_overflow(void **state)
{
    (void)state;
    assert_int_equal(numfmt_encode(fp16(), 65504.0f), 0x7BFF);
    assert_int_equal(numfmt_encode(fp16(), 65519.0f), 0x7BFF);
    assert_int_equal(numfmt_encode(fp16(), 65519.996f), 0x7BFF);
    assert_int_equal(numfmt_encode(fp16(), 65520.0f), 0x7C00); /* the tie goes to "even" ∞ */
    assert_int_equal(numfmt_encode(fp16(), -65520.0f), 0xFC00);
    assert_int_equal(numfmt_encode(fp16(), 1e6f), 0x7C00);
    assert_int_equal(numfmt_encode(fp16(), INFINITY), 0x7C00);
    assert_int_equal(numfmt_encode(fp16(), -INFINITY), 0xFC00);
    assert_int_equal(numfmt_encode(bf16(), FLT_MAX), 0x7F80); /* rounds up past bf16's max */
    assert_int_equal(numfmt_encode(bf16(), 3.3895314e38f), 0x7F7F);
}

static void test_e4m3_max_and_no_infinity(void **state)
{
    (void)state;
    const NumFormat *f = e4m3();
    assert_int_equal(numfmt_encode(f, 448.0f), 0x7E);
    assert_int_equal(numfmt_encode(f, 464.0f), 0x7E);   /* tie between 448 and "480": even */
    assert_int_equal(numfmt_encode(f, 464.5f), 0x7F);   /* beyond: NaN (non-saturating) */
    assert_int_equal(numfmt_encode(f, INFINITY), 0x7F); /* no ∞ to go to */
    assert_int_equal(numfmt_encode(f, -INFINITY), 0xFF);
    assert_int_equal(numfmt_encode(f, -448.0f), 0xFE);
    for (uint32_t b = 0; b < 256; b++) {
        assert_false(isinf(numfmt_decode(f, b)));
        NumClass c = numfmt_classify(f, b);
        assert_true(c != NUMFMT_INF);
        assert_int_equal(c == NUMFMT_NAN, (b & 0x7F) == 0x7F); /* only S.1111.111 */
    }
    NumLimits l;
    numfmt_limits(&l, f);
    assert_true(l.max == 448.0f);
    assert_true(l.min_normal == 0x1p-6f);
    assert_true(l.min_subnormal == 0x1p-9f);
    assert_true(l.epsilon == 0.125f);
    assert_int_equal(l.width, 8);

    /* The optional saturating mode clamps instead. */
    NumFormat sat = *f;
    sat.saturate = true;
    assert_int_equal(numfmt_encode(&sat, 1000.0f), 0x7E);
    assert_int_equal(numfmt_encode(&sat, -INFINITY), 0xFE);
    assert_int_equal(numfmt_classify(&sat, numfmt_encode(&sat, NAN)), NUMFMT_NAN);
}

static void test_e5m2_max(void **state)
{
    (void)state;
    const NumFormat *f = e5m2();
    assert_int_equal(numfmt_encode(f, 57344.0f), 0x7B);
    assert_int_equal(numfmt_encode(f, 61439.0f), 0x7B);
    assert_int_equal(numfmt_encode(f, 61440.0f), 0x7C); /* tie: 57344's fraction 11 is odd */
    assert_int_equal(numfmt_encode(f, INFINITY), 0x7C);
    assert_true(isinf(numfmt_decode(f, 0x7C)));
    assert_int_equal(numfmt_classify(f, 0x7D), NUMFMT_NAN);
    NumLimits l;
    numfmt_limits(&l, f);
    assert_true(l.max == 57344.0f);
    assert_true(l.min_normal == 0x1p-14f);
    assert_true(l.min_subnormal == 0x1p-16f);
    assert_true(l.epsilon == 0.25f);
}

static void test_limits(void **state)
{
    (void)state;
    NumLimits l;
    numfmt_limits(&l, fp32());
    assert_true(l.max == FLT_MAX && l.min_normal == FLT_MIN && l.epsilon == FLT_EPSILON);
    assert_true(l.min_subnormal == 0x1p-149f);
    numfmt_limits(&l, fp16());
    assert_true(l.max == 65504.0f && l.min_normal == 0x1p-14f && l.min_subnormal == 0x1p-24f);
    assert_true(l.epsilon == 0x1p-10f);
    assert_int_equal(l.emin, -14);
    assert_int_equal(l.emax, 15);
    numfmt_limits(&l, bf16());
    assert_true(l.max == 0x1.FEp127f && l.min_normal == FLT_MIN && l.min_subnormal == 0x1p-133f);
    assert_true(l.epsilon == 0x1p-7f);
}

static void test_subnormal_boundaries(void **state)
{
    (void)state;
    const NumFormat *h = fp16();
    assert_int_equal(numfmt_encode(h, 0x1p-24f), 0x0001); /* smallest subnormal */
    assert_int_equal(numfmt_encode(h, 0x1p-25f), 0x0000); /* half of it: tie to even 0 */
    assert_int_equal(numfmt_encode(h, nextafterf(0x1p-25f, 1.0f)), 0x0001);
    assert_int_equal(numfmt_encode(h, 0x1.8p-24f), 0x0002);          /* 1.5 units: tie to even 2 */
    assert_int_equal(numfmt_encode(h, 0x1p-14f), 0x0400);            /* smallest normal */
    assert_int_equal(numfmt_encode(h, 0x1p-14f - 0x1p-24f), 0x03FF); /* largest subnormal */
    assert_int_equal(numfmt_encode(h, 0x1p-14f - 0x1p-25f), 0x0400); /* tie rounds up to even */
    assert_int_equal(numfmt_encode(h, -0x1p-24f), 0x8001);
    assert_int_equal(numfmt_classify(h, 0x03FF), NUMFMT_SUBNORMAL);
    assert_int_equal(numfmt_classify(h, 0x0400), NUMFMT_NORMAL);
    assert_true(numfmt_decode(h, 0x03FF) == 0x1.FF8p-15f);

    assert_int_equal(numfmt_encode(bf16(), 0x1p-133f), 0x0001);
    assert_int_equal(numfmt_encode(bf16(), 0x1p-134f), 0x0000);
    assert_int_equal(numfmt_encode(bf16(), 0x1.8p-133f), 0x0002);
    assert_int_equal(numfmt_encode(fp32(), 0x1p-149f), 0x00000001); /* fp32's own subnormals */
    assert_int_equal(numfmt_encode_double(fp32(), 0x1p-150), 0x00000000);
    assert_int_equal(numfmt_encode_double(fp32(), 0x1.8p-149), 0x00000002);
    assert_int_equal(numfmt_encode(e4m3(), 0x1p-9f), 0x01);
    assert_int_equal(numfmt_encode(e4m3(), 0x1p-10f), 0x00);
    assert_int_equal(numfmt_encode(e4m3(), 0x1p-6f), 0x08);
    assert_int_equal(numfmt_encode(e5m2(), 0x1p-16f), 0x01);
    assert_int_equal(numfmt_encode(e5m2(), 0x1.8p-16f), 0x02);
    /* Far below anything representable: signed zero. */
    assert_int_equal(numfmt_encode(fp16(), -1e-30f), 0x8000);
    assert_int_equal(numfmt_encode_double(fp16(), 4.9e-324), 0x0000);
}

static void test_ties_to_even(void **state)
{
    (void)state;
    const NumFormat *h = fp16();
    assert_int_equal(numfmt_encode(h, 1.0f + 0x1p-11f), 0x3C00);            /* tie, down to even */
    assert_int_equal(numfmt_encode(h, 1.0f + 0x1.8p-10f), 0x3C02);          /* tie, up to even */
    assert_int_equal(numfmt_encode(h, 1.0f + 0x1p-11f + 0x1p-20f), 0x3C01); /* above the tie */
    assert_int_equal(numfmt_encode(h, 2049.0f), 0x6800);                    /* 2048 */
    assert_int_equal(numfmt_encode(h, 2051.0f), 0x6802);                    /* 2052 */
    assert_int_equal(numfmt_encode(bf16(), 257.0f), 0x4380);                /* 256 */
    assert_int_equal(numfmt_encode(bf16(), 259.0f), 0x4382);                /* 260 */
    assert_int_equal(numfmt_encode(e4m3(), 1.0625f), 0x38);                 /* 1 + 1/16: down */
    assert_int_equal(numfmt_encode(e4m3(), 1.1875f), 0x3A);                 /* 1 + 3/16: up */
    /* A double just above a tie must round up: converting through fp32
     * first would land exactly on the tie and round down (double rounding). */
    assert_int_equal(numfmt_encode_double(h, 1.0 + 0x1p-11 + 0x1p-40), 0x3C01);
    assert_int_equal(numfmt_encode(h, (float)(1.0 + 0x1p-11 + 0x1p-40)), 0x3C00);
}

static void test_nan_and_signed_zero(void **state)
{
    (void)state;
    for (int id = 0; id < NUMFMT_COUNT; id++) {
        const NumFormat *f = numfmt_get(id);
        uint32_t sign = 1u << (numfmt_width(f) - 1);
        uint32_t p = numfmt_encode(f, NAN), n = numfmt_encode(f, -NAN);
        assert_int_equal(numfmt_classify(f, p), NUMFMT_NAN);
        assert_int_equal(numfmt_classify(f, n), NUMFMT_NAN);
        assert_int_equal(p & sign, 0);
        assert_int_equal(n & sign, sign);
        assert_true(isnan(numfmt_decode(f, p)));
        assert_true(isnan(numfmt_round(f, bits_to_float(0x7F800001u)))); /* signalling payload */
        assert_int_equal(numfmt_encode(f, -0.0f), sign);
        assert_int_equal(numfmt_encode(f, 0.0f), 0);
        float z = numfmt_decode(f, sign);
        assert_true(z == 0.0f && signbit(z));
    }
}

/* Every pattern of a format decodes and encodes back to itself (NaN to a NaN). */
static void check_all_patterns(const NumFormat *f)
{
    uint32_t count = 1u << numfmt_width(f);
    for (uint32_t b = 0; b < count; b++) {
        float v = numfmt_decode(f, b);
        uint32_t back = numfmt_encode(f, v);
        if (numfmt_classify(f, b) == NUMFMT_NAN) {
            assert_true(isnan(v));
            assert_int_equal(numfmt_classify(f, back), NUMFMT_NAN);
        } else if (back != b) {
            fail_msg("%s: pattern 0x%x decodes to %a, encodes to 0x%x", f->name, b, (double)v,
                     back);
        }
    }
}

static void test_round_trip_every_pattern(void **state)
{
    (void)state;
    check_all_patterns(fp16()); /* 65,536 */
    check_all_patterns(bf16()); /* 65,536 */
    check_all_patterns(e4m3()); /* 256 */
    check_all_patterns(e5m2()); /* 256 */
    /* Every custom format up to 16 bits wide. */
    for (int e = 2; e <= 8; e++)
        for (int m = 0; 1 + e + m <= 16; m++) {
            NumFormat f;
            assert_int_equal(numfmt_custom(&f, e, m, NULL), LS_OK);
            check_all_patterns(&f);
        }
}

static void test_fp32_sample_round_trips(void **state)
{
    (void)state;
    /* fp32 through the generic encoder is the identity (a large sample). */
    Rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < 300000; i++) {
        uint32_t b = rng_u32(&r);
        float v = bits_to_float(b);
        uint32_t back = numfmt_encode(fp32(), v);
        if (isnan(v))
            assert_int_equal(numfmt_classify(fp32(), back), NUMFMT_NAN);
        else
            assert_int_equal(back, b);
    }
}

/* fp32 inputs that stress every path: all 2^16 top halves with low halves
 * at and around the rounding points, plus random bits. */
static float sample_input(Rng *r, uint32_t i)
{
    static const uint32_t lows[] = {0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x1FFF,
                                    0x2000, 0x3000, 0x7FFF, 0x8000, 0x8001, 0xFFFF};
    enum { NL = sizeof lows / sizeof lows[0] };
    uint32_t hi = i / (NL + 4), k = i % (NL + 4);
    uint32_t lo = k < NL ? lows[k] : (rng_u32(r) & 0xFFFF);
    return bits_to_float((hi << 16) | lo);
}

static void test_fast_fp16_matches_reference(void **state)
{
    (void)state;
    enum { N = 65536 * 16 };
    float *x = malloc(N * sizeof(float));
    uint16_t *fast = malloc(N * sizeof(uint16_t)), *ref = malloc(N * sizeof(uint16_t));
    float *back = malloc(N * sizeof(float)), *back_ref = malloc(N * sizeof(float));
    assert_true(x && fast && ref && back && back_ref);
    Rng r;
    rng_seed(&r, 3);
    for (uint32_t i = 0; i < N; i++)
        x[i] = sample_input(&r, i);
    numfmt_fp16_from_fp32_array(fast, x, N);
    numfmt_fp16_from_fp32_array_ref(ref, x, N);
    for (uint32_t i = 0; i < N; i++)
        if (fast[i] != ref[i])
            fail_msg("fp16(%a = 0x%08x): fast 0x%04x, reference 0x%04x", (double)x[i],
                     float_to_bits(x[i]), fast[i], ref[i]);
    /* The scalar and array forms agree, also on an odd-length tail. */
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(numfmt_fp16_from_fp32(x[i * 997]), ref[i * 997]);
    numfmt_fp16_from_fp32_array(fast, x + 1, 37);
    assert_memory_equal(fast, ref + 1, 37 * sizeof(uint16_t));

    /* Back to fp32: every fp16 pattern. */
    uint16_t *all = malloc(65536 * sizeof(uint16_t));
    assert_non_null(all);
    for (uint32_t b = 0; b < 65536; b++)
        all[b] = (uint16_t)b;
    numfmt_fp16_to_fp32_array(back, all, 65536);
    numfmt_fp16_to_fp32_array_ref(back_ref, all, 65536);
    for (uint32_t b = 0; b < 65536; b++) {
        if (isnan(back_ref[b])) {
            assert_true(isnan(back[b]));
            assert_int_equal(signbit(back[b]) != 0, signbit(back_ref[b]) != 0);
        } else {
            assert_int_equal(float_to_bits(back[b]), float_to_bits(back_ref[b]));
        }
        assert_true(numfmt_fp16_to_fp32((uint16_t)b) == back[b] || isnan(back[b]));
    }
    free(all);
    free(x);
    free(fast);
    free(ref);
    free(back);
    free(back_ref);
}

static void test_fast_bf16_matches_reference(void **state)
{
    (void)state;
    enum { N = 65536 * 16 };
    float *x = malloc(N * sizeof(float));
    uint16_t *fast = malloc(N * sizeof(uint16_t)), *ref = malloc(N * sizeof(uint16_t));
    assert_true(x && fast && ref);
    Rng r;
    rng_seed(&r, 4);
    for (uint32_t i = 0; i < N; i++)
        x[i] = sample_input(&r, i);
    numfmt_bf16_from_fp32_array(fast, x, N);
    numfmt_bf16_from_fp32_array_ref(ref, x, N);
    for (uint32_t i = 0; i < N; i++)
        if (fast[i] != ref[i])
            fail_msg("bf16(0x%08x): fast 0x%04x, reference 0x%04x", float_to_bits(x[i]), fast[i],
                     ref[i]);
    for (uint32_t b = 0; b < 65536; b++) {
        float a = numfmt_bf16_to_fp32((uint16_t)b), e = numfmt_decode(bf16(), b);
        assert_true(a == e || (isnan(a) && isnan(e)));
    }
    free(x);
    free(fast);
    free(ref);
}

static void test_custom_matches_named(void **state)
{
    (void)state;
    NumFormat e5m10, e8m7;
    assert_int_equal(numfmt_parse(&e5m10, "e5m10", NULL), LS_OK);
    assert_int_equal(numfmt_parse(&e8m7, "e8m7", NULL), LS_OK);
    Rng r;
    rng_seed(&r, 11);
    for (uint32_t i = 0; i < 65536 * 8; i++) {
        float x = sample_input(&r, i);
        /* Against the independent fast converters, bit for bit. */
        assert_int_equal(numfmt_encode(&e5m10, x), numfmt_fp16_from_fp32(x));
        assert_int_equal(numfmt_encode(&e8m7, x), numfmt_bf16_from_fp32(x));
        /* And random values of ordinary size. */
        float y = rng_normal(&r) * 100.0f;
        assert_int_equal(numfmt_encode(&e5m10, y), numfmt_encode(fp16(), y));
        assert_int_equal(numfmt_encode(&e8m7, y), numfmt_bf16_from_fp32(y));
    }
    NumLimits a, b;
    numfmt_limits(&a, &e5m10);
    numfmt_limits(&b, fp16());
    assert_memory_equal(&a, &b, sizeof a);
}

static void test_parse_and_custom(void **state)
{
    (void)state;
    NumFormat f;
    Status st;
    assert_int_equal(numfmt_parse(&f, "fp16", &st), LS_OK);
    assert_string_equal(f.name, "fp16");
    assert_int_equal(numfmt_parse(&f, "e3m4", &st), LS_OK);
    assert_int_equal(f.bias, 3);
    assert_int_equal(numfmt_width(&f), 8);
    assert_int_equal(numfmt_parse(&f, "e9m2", &st), LS_ERR_RANGE);
    assert_int_equal(numfmt_parse(&f, "e1m2", &st), LS_ERR_RANGE);
    assert_int_equal(numfmt_parse(&f, "e4m24", &st), LS_ERR_RANGE);
    assert_int_equal(numfmt_parse(&f, "fp64", &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "fp64"));
    assert_int_equal(numfmt_parse(&f, "e4m3x", &st), LS_ERR_ARG);
    assert_int_equal(numfmt_parse(&f, "e-4m3", &st), LS_ERR_ARG);
    assert_int_equal(numfmt_parse(&f, "", &st), LS_ERR_ARG);

    /* e2m0: zero, 1, 2, and NaN at the top; no fraction, no ∞. */
    assert_int_equal(numfmt_custom(&f, 2, 0, NULL), LS_OK);
    assert_int_equal(f.specials, NUMFMT_FN);
    assert_true(numfmt_round(&f, 0.4f) == 0.0f);
    assert_true(numfmt_round(&f, 0.6f) == 1.0f);
    assert_true(numfmt_round(&f, 3.0f) == 2.0f); /* tie, even */
    assert_true(isnan(numfmt_round(&f, 3.5f)));
    assert_true(isnan(numfmt_round(&f, INFINITY)));
    NumLimits l;
    numfmt_limits(&l, &f);
    assert_true(l.max == 2.0f && l.min_subnormal == 1.0f && l.epsilon == 1.0f);

    /* An IEEE-like e4m3 (not the OCP one) has ∞ and a smaller max. */
    NumFormat ieee;
    assert_int_equal(numfmt_custom(&ieee, 4, 3, NULL), LS_OK);
    numfmt_limits(&l, &ieee);
    assert_true(l.max == 240.0f);
    assert_true(isinf(numfmt_round(&ieee, 300.0f)));
}

static void test_neighbours_and_ulp(void **state)
{
    (void)state;
    const NumFormat *h = fp16();
    uint32_t one = 0x3C00;
    assert_true(numfmt_decode(h, numfmt_next_up(h, one)) == 1.0f + 0x1p-10f);
    assert_true(numfmt_decode(h, numfmt_next_down(h, one)) == 1.0f - 0x1p-11f);
    assert_int_equal(numfmt_next_up(h, 0x7BFF), 0x7C00);
    assert_int_equal(numfmt_next_up(h, 0x7C00), 0x7C00);
    assert_int_equal(numfmt_next_up(h, 0xFC00), 0xFBFF); /* −∞ → −max */
    assert_int_equal(numfmt_next_up(h, 0x8000), 0x0001); /* −0 → +min subnormal */
    assert_int_equal(numfmt_next_up(h, 0x0000), 0x0001);
    assert_int_equal(numfmt_next_down(h, 0x0000), 0x8001); /* +0 → −min subnormal */
    assert_int_equal(numfmt_next_up(h, 0x8001), 0x8000);   /* −min subnormal → −0 */
    assert_int_equal(numfmt_next_down(h, 0xFBFF), 0xFC00);
    assert_int_equal(numfmt_classify(h, numfmt_next_up(h, 0x7E00)), NUMFMT_NAN);
    assert_int_equal(numfmt_classify(e4m3(), numfmt_next_up(e4m3(), 0x7E)), NUMFMT_NAN);
    assert_int_equal(numfmt_classify(e4m3(), numfmt_next_down(e4m3(), 0xFE)), NUMFMT_NAN);
    assert_int_equal(numfmt_next_down(e4m3(), 0x7E), 0x7D);

    assert_true(numfmt_ulp(h, one) == 0x1p-10f);
    assert_true(numfmt_ulp(h, 0x0000) == 0x1p-24f);
    assert_true(numfmt_ulp(h, 0x0001) == 0x1p-24f);
    assert_true(numfmt_ulp(h, 0x7BFF) == 32.0f);
    assert_true(isnan(numfmt_ulp(h, 0x7C00)));
    assert_true(numfmt_ulp(e4m3(), 0x7E) == 32.0f);
    assert_true(numfmt_ulp(fp32(), 0x3F800000) == FLT_EPSILON);
}

static void test_info(void **state)
{
    (void)state;
    NumInfo in;
    numfmt_info(&in, fp16(), 0.1);
    assert_int_equal(in.bits, 0x2E66);
    assert_int_equal(in.sign, 0);
    assert_int_equal(in.exponent, 11);
    assert_int_equal(in.exp_unbiased, -4);
    assert_int_equal(in.mantissa, 0x266);
    assert_int_equal(in.cls, NUMFMT_NORMAL);
    assert_true(in.value == 0.0999755859375f);
    assert_true(fabs(in.abs_error - (0.1 - 0.0999755859375)) < 1e-18);
    assert_true(fabs(in.rel_error - (0.1 - 0.0999755859375) / 0.1) < 1e-15);
    assert_true(in.ulp == 0x1p-14f);
    assert_true(in.next_up == 0.0999755859375f + 0x1p-14f);
    assert_true(in.next_down == 0.0999755859375f - 0x1p-14f);

    numfmt_info(&in, fp32(), 0.1); /* fp32 itself has an error */
    assert_true(in.abs_error > 1e-9 && in.abs_error < 2e-9);

    numfmt_info(&in, fp16(), 1e5);
    assert_int_equal(in.cls, NUMFMT_INF);
    assert_true(isinf(in.abs_error));
    numfmt_info(&in, fp16(), INFINITY);
    assert_true(in.abs_error == 0.0 && in.rel_error == 0.0);
    numfmt_info(&in, fp16(), 0.0);
    assert_true(in.abs_error == 0.0 && in.rel_error == 0.0);
    numfmt_info(&in, fp16(), 1e-9);
    assert_int_equal(in.cls, NUMFMT_ZERO);
    assert_true(in.rel_error == 1.0);
    numfmt_info(&in, e4m3(), NAN);
    assert_int_equal(in.cls, NUMFMT_NAN);
    assert_true(isnan(in.abs_error) && isnan(in.ulp) && isnan(in.next_up));
}

static void test_kahan_beats_naive_in_fp16(void **state)
{
    (void)state;
    enum { N = 10000 };
    float *x = malloc(N * sizeof(float)), *partial = malloc(N * sizeof(float));
    assert_true(x && partial);
    for (int i = 0; i < N; i++)
        x[i] = 0.0001f;
    float naive = numfmt_sum_naive(fp16(), x, N, partial);
    float kahan = numfmt_sum_kahan(fp16(), x, N, NULL);
    /* Naive fp16 stalls where half an ulp exceeds the term: at 0.25 the ulp
     * is 2^-12 ≈ 0.000244, so s + 0.0001 rounds back to s. */
    assert_true(naive == 0.25f);
    assert_true(partial[N - 1] == naive);
    assert_true(partial[0] == numfmt_round(fp16(), 0.0001f));
    assert_true(fabsf(kahan - 1.0f) < 0.001f);
    assert_true(fabsf(kahan - 1.0f) < fabsf(naive - 1.0f));
    /* In fp32 both get close; Kahan at least as close. */
    float n32 = numfmt_sum_naive(fp32(), x, N, NULL), k32 = numfmt_sum_kahan(fp32(), x, N, NULL);
    assert_true(fabsf(n32 - 1.0f) < 1e-3f);
    assert_true(fabsf(k32 - 1.0f) <= fabsf(n32 - 1.0f));
    free(x);
    free(partial);
}

static void test_round_array(void **state)
{
    (void)state;
    float in[4] = {0.1f, 448.0f, 1000.0f, -0.0f}, out[4];
    numfmt_round_array(out, e4m3(), in, 4);
    assert_true(out[0] == 0.1015625f && out[1] == 448.0f && isnan(out[2]));
    assert_true(out[3] == 0.0f && signbit(out[3]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_fp16_overflow),
        cmocka_unit_test(test_e4m3_max_and_no_infinity),
        cmocka_unit_test(test_e5m2_max),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_subnormal_boundaries),
        cmocka_unit_test(test_ties_to_even),
        cmocka_unit_test(test_nan_and_signed_zero),
        cmocka_unit_test(test_round_trip_every_pattern),
        cmocka_unit_test(test_fp32_sample_round_trips),
        cmocka_unit_test(test_fast_fp16_matches_reference),
        cmocka_unit_test(test_fast_bf16_matches_reference),
        cmocka_unit_test(test_custom_matches_named),
        cmocka_unit_test(test_parse_and_custom),
        cmocka_unit_test(test_neighbours_and_ulp),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_kahan_beats_naive_in_fp16),
        cmocka_unit_test(test_round_array),
    };
    return cmocka_run_group_tests_name("numfmt", tests, NULL, NULL);
}
