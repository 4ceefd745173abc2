/* test_layers.c — every backward pass of layers.c against finite
 * differences, and every fast kernel against its reference twin.
 *
 * Gradient checks: the scalar loss is sum(out * w) for fixed random w
 * (accumulated in double), so d loss / d out = w is the upstream gradient
 * fed to the backward. Each input is nudged by +-eps (eps = 1e-2, central
 * differences) and the slope compared with the analytic gradient within a
 * relative tolerance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/rng.h"
#include "../src/nn/layers.h"

// ----------------------------------------------------------------------------
// Helpers

static float *rand_vec(Rng *r, size_t n, float scale)
{
    float *v = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = scale * rng_normal(r);
    return v;
}

static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

static double dot(const float *a, const float *w, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * w[i];
    return s;
}

/* The scalar loss as a function of the current inputs. */
typedef double (*LossFn)(void *ctx);

/* Compare analytic[i] with the central difference of f in x[i], for every
 * i (or `max_checks` evenly spaced indices). */
static void check_grad(const char *what, float *x, const float *analytic, size_t n, LossFn f, void *ctx,
                       int max_checks)
{
    const float eps = 1e-2f;
    size_t stride = (max_checks > 0 && n > (size_t)max_checks) ? n / (size_t)max_checks : 1;
    double worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + eps;
        double up = f(ctx);
        x[i] = keep - eps;
        double down = f(ctx);
        x[i] = keep;
        double num = (up - down) / (2.0 * eps);
        double err = fabs(num - analytic[i]) / (fabs(num) + fabs(analytic[i]) + 1e-2);
        if (err > worst) {
            worst = err;
            worst_i = i;
        }
    }
    if (worst > 2e-2) {
        float keep = x[worst_i];
        x[worst_i] = keep + eps;
        double up = f(ctx);
        x[worst_i] = keep - eps;
        double down = f(ctx);
        x[worst_i] = keep;
        print_error("%s: index %zu analytic %g numeric %g\n", what, worst_i, (double)analytic[worst_i],
                    (up - down) / (2.0 * eps));
    }
    assert_true(worst <= 2e-2);
}

static void assert_close(const float *a, const float *b, size_t n, float rtol, float atol)
{
    for (size_t i = 0; i < n; i++) {
        if (fabsf(a[i] - b[i]) > atol + rtol * fabsf(b[i])) {
            print_error("index %zu: %.9g vs %.9g\n", i, (double)a[i], (double)b[i]);
            fail();
        }
    }
}

// ----------------------------------------------------------------------------
// Embedding

typedef struct {
    int B, T, C, V;
    int *inp;
    float *wte, *wpe, *out, *w;
} EncCtx;

static double enc_loss(void *p)
{
    EncCtx *c = p;
    encoder_forward(c->out, c->inp, c->wte, c->wpe, c->B, c->T, c->C);
    return dot(c->out, c->w, (size_t)c->B * c->T * c->C);
}

static void test_encoder_backward(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 1);
    EncCtx c = {.B = 2, .T = 3, .C = 4, .V = 5};
    int inp[6] = {1, 4, 1, 0, 2, 1}; /* token 1 repeats: its gradient sums */
    c.inp = inp;
    c.wte = rand_vec(&r, 20, 1.0f);
    c.wpe = rand_vec(&r, 12, 1.0f);
    c.out = zeros(24);
    c.w = rand_vec(&r, 24, 1.0f);
    float *dwte = zeros(20), *dwpe = zeros(12);
    encoder_backward(dwte, dwpe, c.w, inp, 2, 3, 4);
    check_grad("dwte", c.wte, dwte, 20, enc_loss, &c, 0);
    check_grad("dwpe", c.wpe, dwpe, 12, enc_loss, &c, 0);
    /* Frozen: NULL gradients are skipped, the other still computed. */
    float *dwpe2 = zeros(12);
    encoder_backward(NULL, dwpe2, c.w, inp, 2, 3, 4);
    assert_memory_equal(dwpe, dwpe2, 12 * sizeof(float));
    free(c.wte), free(c.wpe), free(c.out), free(c.w), free(dwte), free(dwpe), free(dwpe2);
}

// ----------------------------------------------------------------------------
// LayerNorm

typedef struct {
    int N, C;
    float *inp, *weight, *bias, *out, *mean, *rstd, *w;
} LnCtx;

static double ln_loss(void *p)
{
    LnCtx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, 1e-5f, c->N, c->C);
    return dot(c->out, c->w, (size_t)c->N * c->C);
}

static void test_layernorm_backward(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 2);
    LnCtx c = {.N = 5, .C = 7};
    size_t n = 35;
    c.inp = rand_vec(&r, n, 1.0f);
    c.weight = rand_vec(&r, 7, 1.0f);
    c.bias = rand_vec(&r, 7, 1.0f);
    c.out = zeros(n), c.mean = zeros(5), c.rstd = zeros(5);
    c.w = rand_vec(&r, n, 1.0f);
    for (int i = 0; i < 7; i++) c.inp[i] += 3.0f; /* a row with a large mean */
    ln_loss(&c);
    float *dinp = zeros(n), *dw = zeros(7), *db = zeros(7);
    layernorm_backward(dinp, dw, db, c.w, c.inp, c.weight, c.mean, c.rstd, 5, 7);
    check_grad("ln dinp", c.inp, dinp, n, ln_loss, &c, 0);
    check_grad("ln dweight", c.weight, dw, 7, ln_loss, &c, 0);
    check_grad("ln dbias", c.bias, db, 7, ln_loss, &c, 0);
    /* dinp accumulates: a second call adds the same again. */
    float *twice = zeros(n);
    memcpy(twice, dinp, n * sizeof(float));
    layernorm_backward(twice, NULL, NULL, c.w, c.inp, c.weight, c.mean, c.rstd, 5, 7);
    for (size_t i = 0; i < n; i++) assert_float_equal(twice[i], 2.0f * dinp[i], 1e-5);
    /* Forward: zero mean, unit variance before the affine part. */
    float ones[7] = {1, 1, 1, 1, 1, 1, 1}, nil[7] = {0};
    layernorm_forward(c.out, c.mean, c.rstd, c.inp, ones, nil, 1e-5f, 5, 7);
    for (int row = 0; row < 5; row++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < 7; i++) s += c.out[row * 7 + i], s2 += c.out[row * 7 + i] * c.out[row * 7 + i];
        assert_float_equal(s / 7, 0.0, 1e-5);
        assert_float_equal(s2 / 7, 1.0, 1e-3);
    }
    free(c.inp), free(c.weight), free(c.bias), free(c.out), free(c.mean), free(c.rstd), free(c.w);
    free(dinp), free(dw), free(db), free(twice);
}

// ----------------------------------------------------------------------------
// Linear

typedef struct {
    int N, IC, OC;
    float *inp, *weight, *bias, *out, *w;
} MmCtx;

static double mm_loss(void *p)
{
    MmCtx *c = p;
    matmul_forward(c->out, c->inp, c->weight, c->bias, c->N, c->IC, c->OC);
    return dot(c->out, c->w, (size_t)c->N * c->OC);
}

static void test_matmul_backward(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 3);
    MmCtx c = {.N = 6, .IC = 5, .OC = 4};
    c.inp = rand_vec(&r, 30, 1.0f);
    c.weight = rand_vec(&r, 20, 1.0f);
    c.bias = rand_vec(&r, 4, 1.0f);
    c.out = zeros(24);
    c.w = rand_vec(&r, 24, 1.0f);
    /* Forward against the definition out[n,o] = b[o] + sum_i inp[n,i] W[i,o]. */
    mm_loss(&c);
    for (int n = 0; n < 6; n++)
        for (int o = 0; o < 4; o++) {
            double s = c.bias[o];
            for (int i = 0; i < 5; i++) s += (double)c.inp[n * 5 + i] * c.weight[i * 4 + o];
            assert_float_equal(c.out[n * 4 + o], s, 1e-5);
        }
    float *dinp = rand_vec(&r, 30, 1.0f); /* overwritten, whatever it held */
    float *dw = zeros(20), *db = zeros(4);
    matmul_backward(dinp, dw, db, c.w, c.inp, c.weight, 6, 5, 4);
    check_grad("mm dinp", c.inp, dinp, 30, mm_loss, &c, 0);
    check_grad("mm dweight", c.weight, dw, 20, mm_loss, &c, 0);
    check_grad("mm dbias", c.bias, db, 4, mm_loss, &c, 0);
    /* A frozen weight: no dW, the same dinp. */
    float *dinp2 = zeros(30);
    matmul_backward(dinp2, NULL, NULL, c.w, c.inp, c.weight, 6, 5, 4);
    assert_memory_equal(dinp, dinp2, 30 * sizeof(float));
    /* Residual variant = res + the plain product. */
    mm_loss(&c);
    float *res = rand_vec(&r, 24, 1.0f), *out2 = zeros(24);
    matmul_forward_residual(out2, res, c.inp, c.weight, c.bias, 6, 5, 4);
    for (int i = 0; i < 24; i++) assert_float_equal(out2[i], res[i] + c.out[i], 1e-5);
    memcpy(out2, res, 24 * sizeof(float)); /* in place: out == res */
    matmul_forward_residual(out2, out2, c.inp, c.weight, c.bias, 6, 5, 4);
    for (int i = 0; i < 24; i++) assert_float_equal(out2[i], res[i] + c.out[i], 1e-5);
    free(c.inp), free(c.weight), free(c.bias), free(c.out), free(c.w), free(dinp), free(dw), free(db);
    free(dinp2), free(res), free(out2);
}

// ----------------------------------------------------------------------------
// Attention

typedef struct {
    int B, T, C, NH, P;
    float *qkv, *pk, *pv, *out, *att, *w;
} AttCtx;

static double att_loss(void *p)
{
    AttCtx *c = p;
    attention_forward(c->out, c->att, c->qkv, c->pk, c->pv, c->B, c->T, c->C, c->NH, c->P);
    return dot(c->out, c->w, (size_t)c->B * c->T * c->C);
}

static void att_case(int B, int T, int C, int NH, int P, unsigned seed)
{
    Rng r;
    rng_seed(&r, seed);
    AttCtx c = {.B = B, .T = T, .C = C, .NH = NH, .P = P};
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, S = (size_t)P + T;
    size_t natt = (size_t)B * NH * T * S;
    c.qkv = rand_vec(&r, nqkv, 1.0f);
    c.pk = P ? rand_vec(&r, (size_t)P * C, 1.0f) : NULL;
    c.pv = P ? rand_vec(&r, (size_t)P * C, 1.0f) : NULL;
    c.out = zeros(nout);
    c.att = zeros(natt);
    c.w = rand_vec(&r, nout, 1.0f);
    att_loss(&c);
    /* The mask: a query never sees a later token; rows sum to 1. */
    for (int bh = 0; bh < B * NH; bh++)
        for (int t = 0; t < T; t++) {
            const float *a = c.att + ((size_t)bh * T + t) * S;
            double sum = 0;
            for (size_t j = 0; j < S; j++) {
                if (j >= (size_t)P + t + 1) assert_true(a[j] == 0.0f);
                sum += a[j];
            }
            assert_float_equal(sum, 1.0, 1e-5);
        }
    float *dqkv = rand_vec(&r, nqkv, 1.0f); /* overwritten */
    float *dpk = P ? zeros((size_t)P * C) : NULL, *dpv = P ? zeros((size_t)P * C) : NULL;
    float *scratch = zeros((size_t)T * S);
    attention_backward(dqkv, dpk, dpv, scratch, c.w, c.qkv, c.att, c.pk, c.pv, B, T, C, NH, P);
    check_grad("attention dqkv", c.qkv, dqkv, nqkv, att_loss, &c, 0);
    if (P) {
        check_grad("attention dprefix_k", c.pk, dpk, (size_t)P * C, att_loss, &c, 0);
        check_grad("attention dprefix_v", c.pv, dpv, (size_t)P * C, att_loss, &c, 0);
    }
    /* The reference twin agrees, forward and backward. */
    float *out_ref = zeros(nout), *att_ref = zeros(natt), *dqkv_ref = zeros(nqkv);
    float *dpk_ref = P ? zeros((size_t)P * C) : NULL, *dpv_ref = P ? zeros((size_t)P * C) : NULL;
    att_loss(&c);
    attention_forward_ref(out_ref, att_ref, c.qkv, c.pk, c.pv, B, T, C, NH, P);
    assert_close(c.out, out_ref, nout, 1e-4f, 1e-5f);
    assert_close(c.att, att_ref, natt, 1e-4f, 1e-6f);
    attention_backward_ref(dqkv_ref, dpk_ref, dpv_ref, c.w, c.qkv, c.att, c.pk, c.pv, B, T, C, NH, P);
    assert_close(dqkv, dqkv_ref, nqkv, 1e-3f, 1e-5f);
    if (P) {
        assert_close(dpk, dpk_ref, (size_t)P * C, 1e-3f, 1e-5f);
        assert_close(dpv, dpv_ref, (size_t)P * C, 1e-3f, 1e-5f);
    }
    free(c.qkv), free(c.pk), free(c.pv), free(c.out), free(c.att), free(c.w), free(dqkv), free(dpk);
    free(dpv), free(scratch), free(out_ref), free(att_ref), free(dqkv_ref), free(dpk_ref), free(dpv_ref);
}

static void test_attention_backward(void **state)
{
    (void)state;
    att_case(2, 5, 8, 2, 0, 4);   /* plain causal */
    att_case(1, 7, 12, 3, 0, 5);  /* odd T, 3 heads */
}

static void test_attention_prefix(void **state)
{
    (void)state;
    att_case(2, 4, 8, 2, 3, 6);   /* P = 3 prefix keys/values */
    att_case(1, 3, 4, 1, 1, 7);
    att_case(1, 21, 32, 2, 3, 11); /* heads wide enough for whole vectors */
}

/* The reference twin on one shape, forward and backward. */
static void att_matches_ref(int B, int T, int C, int NH, unsigned seed)
{
    Rng r;
    rng_seed(&r, seed);
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, natt = (size_t)B * NH * T * T;
    float *qkv = rand_vec(&r, nqkv, 2.0f), *dout = rand_vec(&r, nout, 1.0f);
    float *out = zeros(nout), *att = zeros(natt), *out_ref = zeros(nout), *att_ref = zeros(natt);
    float *dqkv = zeros(nqkv), *dqkv_ref = zeros(nqkv), *scratch = zeros((size_t)T * T);
    attention_forward(out, att, qkv, NULL, NULL, B, T, C, NH, 0);
    attention_forward_ref(out_ref, att_ref, qkv, NULL, NULL, B, T, C, NH, 0);
    assert_close(out, out_ref, nout, 1e-4f, 1e-5f);
    assert_close(att, att_ref, natt, 1e-4f, 1e-6f);
    attention_backward(dqkv, NULL, NULL, scratch, dout, qkv, att, NULL, NULL, B, T, C, NH, 0);
    attention_backward_ref(dqkv_ref, NULL, NULL, dout, qkv, att, NULL, NULL, B, T, C, NH, 0);
    assert_close(dqkv, dqkv_ref, nqkv, 1e-3f, 1e-4f);
    free(qkv), free(dout), free(out), free(att), free(out_ref), free(att_ref), free(dqkv), free(dqkv_ref);
    free(scratch);
}

/* Realistic shapes: the reference model's T = 64; T and hs that are not
 * multiples of the vector widths (the kernels' scalar tails and the rows
 * left after blocks of four); a head too big for the direct kernels
 * (hs x T > 8192 floats), which goes through sgemm. */
static void test_attention_matches_ref(void **state)
{
    (void)state;
    att_matches_ref(2, 64, 32, 2, 8);
    att_matches_ref(1, 67, 40, 2, 9);
    att_matches_ref(1, 72, 128, 1, 10);
}

// ----------------------------------------------------------------------------
// GELU

typedef struct {
    size_t n;
    float *inp, *out, *w;
} GeluCtx;

static double gelu_loss(void *p)
{
    GeluCtx *c = p;
    gelu_forward(c->out, c->inp, c->n);
    return dot(c->out, c->w, c->n);
}

static void test_gelu_backward(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 9);
    GeluCtx c = {.n = 41};
    c.inp = rand_vec(&r, c.n, 2.0f);
    c.out = zeros(c.n);
    c.w = rand_vec(&r, c.n, 1.0f);
    float *dinp = zeros(c.n);
    gelu_backward(dinp, c.inp, c.w, c.n);
    check_grad("gelu", c.inp, dinp, c.n, gelu_loss, &c, 0);
    /* In place (dinp aliasing dout) gives the same. */
    float *inplace = zeros(c.n);
    memcpy(inplace, c.w, c.n * sizeof(float));
    gelu_backward(inplace, c.inp, inplace, c.n);
    assert_memory_equal(inplace, dinp, c.n * sizeof(float));
    free(c.inp), free(c.out), free(c.w), free(dinp), free(inplace);
}

/* The vectorised GELU against tanhf, from -30 to 30 and at the tails. */
static void test_gelu_matches_ref(void **state)
{
    (void)state;
    size_t n = 6001 + 4;
    float *x = zeros(n), *y = zeros(n), *y_ref = zeros(n), *ones = zeros(n);
    for (size_t i = 0; i < 6001; i++) x[i] = -30.0f + 0.01f * (float)i;
    x[6001] = -200.0f, x[6002] = 200.0f, x[6003] = 1e-20f, x[6004] = 0.0f;
    for (size_t i = 0; i < n; i++) ones[i] = 1.0f;
    gelu_forward(y, x, n);
    gelu_forward_ref(y_ref, x, n);
    assert_close(y, y_ref, n, 2e-6f, 1e-7f);
    gelu_backward(y, x, ones, n);
    gelu_backward_ref(y_ref, x, ones, n);
    assert_close(y, y_ref, n, 1e-5f, 1e-6f);
    free(x), free(y), free(y_ref), free(ones);
}

/* Every vector width (AVX-512, AVX2, four lanes) gives the same numbers:
 * a long array, taken sixteen or eight at a time where the CPU can, equals
 * the same values one by one (the four-lane path's tail). */
static void test_gelu_widths_agree(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 5);
    size_t n = 1000 + 13;
    float *x = rand_vec(&r, n, 6.0f), *d = rand_vec(&r, n, 1.0f);
    float *wide = zeros(n), *one = zeros(n);
    x[0] = -200.0f, x[1] = 200.0f, x[2] = 0.0f, x[3] = 1e-20f;
    gelu_forward(wide, x, n);
    for (size_t i = 0; i < n; i++) gelu_forward(one + i, x + i, 1);
    assert_memory_equal(wide, one, n * sizeof(float));
    gelu_backward(wide, x, d, n);
    for (size_t i = 0; i < n; i++) gelu_backward(one + i, x + i, d + i, 1);
    assert_memory_equal(wide, one, n * sizeof(float));
    free(x), free(d), free(wide), free(one);
}

/* The fused GELU + bias-gradient pass equals gelu_backward then column sums,
 * bit for bit (same operations, rows summed in the same order). */
static void test_gelu_backward_bias(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 12);
    int N = 9, C = 13; /* C not a multiple of 4 or 8 */
    size_t n = (size_t)N * C;
    float *x = rand_vec(&r, n, 2.0f), *d = rand_vec(&r, n, 1.0f);
    float *g1 = zeros(n), *g2 = zeros(n), *b1 = rand_vec(&r, (size_t)C, 1.0f), *b2 = zeros((size_t)C);
    memcpy(b2, b1, (size_t)C * sizeof(float));
    gelu_backward_bias(g1, b1, x, d, N, C);
    gelu_backward(g2, x, d, n);
    for (int row = 0; row < N; row++)
        for (int o = 0; o < C; o++) b2[o] += g2[row * C + o];
    assert_memory_equal(g1, g2, n * sizeof(float));
    assert_memory_equal(b1, b2, (size_t)C * sizeof(float));
    free(x), free(d), free(g1), free(g2), free(b1), free(b2);
}

/* Rows taken four at a time give the very numbers of rows taken one by one
 * (N = 7: a block of four, then three single rows; C = 19: a scalar tail). */
static void test_layernorm_rows_agree(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 14);
    int N = 7, C = 19;
    size_t n = (size_t)N * C;
    float *x = rand_vec(&r, n, 3.0f), *w = rand_vec(&r, (size_t)C, 1.0f), *b = rand_vec(&r, (size_t)C, 1.0f);
    for (size_t i = 0; i < n; i++) x[i] += 10.0f;
    float *o1 = zeros(n), *o2 = zeros(n), *m1 = zeros((size_t)N), *m2 = zeros((size_t)N);
    float *s1 = zeros((size_t)N), *s2 = zeros((size_t)N);
    layernorm_forward(o1, m1, s1, x, w, b, 1e-5f, N, C);
    for (int row = 0; row < N; row++)
        layernorm_forward(o2 + (size_t)row * C, m2 + row, s2 + row, x + (size_t)row * C, w, b, 1e-5f, 1, C);
    assert_memory_equal(o1, o2, n * sizeof(float));
    assert_memory_equal(m1, m2, (size_t)N * sizeof(float));
    assert_memory_equal(s1, s2, (size_t)N * sizeof(float));
    free(x), free(w), free(b), free(o1), free(o2), free(m1), free(m2), free(s1), free(s2);
}

/* The vectorised LayerNorm against its scalar double-precision twin. */
static void test_layernorm_matches_ref(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 13);
    int N = 6, C = 19;
    size_t n = (size_t)N * C;
    float *x = rand_vec(&r, n, 3.0f), *w = rand_vec(&r, (size_t)C, 1.0f), *b = rand_vec(&r, (size_t)C, 1.0f);
    float *d = rand_vec(&r, n, 1.0f);
    for (size_t i = 0; i < n; i++) x[i] += 10.0f; /* a large mean */
    float *o1 = zeros(n), *o2 = zeros(n), *m1 = zeros((size_t)N), *m2 = zeros((size_t)N);
    float *s1 = zeros((size_t)N), *s2 = zeros((size_t)N);
    layernorm_forward(o1, m1, s1, x, w, b, 1e-5f, N, C);
    layernorm_forward_ref(o2, m2, s2, x, w, b, 1e-5f, N, C);
    assert_close(o1, o2, n, 1e-4f, 1e-5f);
    assert_close(s1, s2, (size_t)N, 1e-5f, 0.0f);
    float *dx1 = zeros(n), *dx2 = zeros(n), *dw1 = zeros((size_t)C), *dw2 = zeros((size_t)C);
    float *db1 = zeros((size_t)C), *db2 = zeros((size_t)C);
    layernorm_backward(dx1, dw1, db1, d, x, w, m1, s1, N, C);
    layernorm_backward_ref(dx2, dw2, db2, d, x, w, m1, s1, N, C);
    assert_close(dx1, dx2, n, 1e-3f, 1e-5f);
    assert_close(dw1, dw2, (size_t)C, 1e-4f, 1e-5f);
    assert_close(db1, db2, (size_t)C, 1e-5f, 1e-6f);
    free(x), free(w), free(b), free(d), free(o1), free(o2), free(m1), free(m2), free(s1), free(s2);
    free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
}

// ----------------------------------------------------------------------------
// Softmax cross-entropy

typedef struct {
    int N, V;
    float *logits, *work, *losses;
    int *targets;
    const float *w;
} CeCtx;

static double ce_loss(void *p)
{
    CeCtx *c = p;
    memcpy(c->work, c->logits, (size_t)c->N * c->V * sizeof(float));
    crossentropy_forward(c->losses, c->work, c->targets, 0.0f, c->N, c->V);
    return dot(c->losses, c->w, (size_t)c->N);
}

static void test_crossentropy_backward(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 10);
    int N = 3, V = 11; /* V not a multiple of 4: the scalar tail too */
    int targets[3] = {0, 5, 10};
    float w[3] = {1.0f / 3, 1.0f / 3, 1.0f / 3}; /* the mean loss */
    CeCtx c = {.N = N, .V = V, .targets = targets, .w = w};
    c.logits = rand_vec(&r, (size_t)N * V, 2.0f);
    c.work = zeros((size_t)N * V);
    c.losses = zeros((size_t)N);
    /* Loss against the definition. */
    ce_loss(&c);
    for (int n = 0; n < N; n++) {
        double s = 0;
        for (int i = 0; i < V; i++) s += exp(c.logits[n * V + i]);
        assert_float_equal(c.losses[n], log(s) - c.logits[n * V + targets[n]], 1e-5);
    }
    /* In-place gradient of the mean loss. */
    float *grad = zeros((size_t)N * V), *losses = zeros((size_t)N);
    memcpy(grad, c.logits, (size_t)N * V * sizeof(float));
    crossentropy_forward(losses, grad, targets, 1.0f / N, N, V);
    assert_memory_equal(losses, c.losses, (size_t)N * sizeof(float));
    check_grad("cross-entropy", c.logits, grad, (size_t)N * V, ce_loss, &c, 0);
    /* The reference twin. */
    float *grad_ref = zeros((size_t)N * V), *losses_ref = zeros((size_t)N);
    memcpy(grad_ref, c.logits, (size_t)N * V * sizeof(float));
    crossentropy_forward_ref(losses_ref, grad_ref, targets, 1.0f / N, N, V);
    assert_close(losses, losses_ref, (size_t)N, 1e-5f, 1e-6f);
    assert_close(grad, grad_ref, (size_t)N * V, 1e-5f, 1e-7f);
    free(c.logits), free(c.work), free(c.losses), free(grad), free(losses), free(grad_ref), free(losses_ref);
}

/* Extreme logits neither overflow nor lose the target's probability. */
static void test_crossentropy_extremes(void **state)
{
    (void)state;
    float logits[8] = {1000.0f, -1000.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int target = 0;
    float loss;
    crossentropy_forward(&loss, logits, &target, 0.0f, 1, 8);
    assert_true(isfinite(loss));
    assert_float_equal(loss, 0.0, 1e-6);
    target = 1;
    crossentropy_forward(&loss, logits, &target, 0.0f, 1, 8);
    assert_float_equal(loss, 2000.0, 1e-2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_backward),
        cmocka_unit_test(test_layernorm_backward),
        cmocka_unit_test(test_matmul_backward),
        cmocka_unit_test(test_attention_backward),
        cmocka_unit_test(test_attention_prefix),
        cmocka_unit_test(test_attention_matches_ref),
        cmocka_unit_test(test_gelu_backward),
        cmocka_unit_test(test_gelu_matches_ref),
        cmocka_unit_test(test_gelu_widths_agree),
        cmocka_unit_test(test_gelu_backward_bias),
        cmocka_unit_test(test_layernorm_matches_ref),
        cmocka_unit_test(test_layernorm_rows_agree),
        cmocka_unit_test(test_crossentropy_backward),
        cmocka_unit_test(test_crossentropy_extremes),
    };
    return cmocka_run_group_tests_name("layers", tests, NULL, NULL);
}
