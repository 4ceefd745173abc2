/* test_gpt.c — the whole model: gradients against finite differences (also
 * with the prefix and adapter hooks and with frozen families), overfitting
 * one batch, AdamW against a hand-computed step, the schedule, determinism,
 * the evaluation window protocol, the unigram baseline and sampling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/rng.h"
#include "../src/nn/dataset.h"
#include "../src/nn/gpt.h"
#include "../src/nn/optim.h"
#include "../src/nn/sample.h"
#include "../src/nn/train.h"

// ----------------------------------------------------------------------------
// Helpers

enum { TB = 2, TT = 5 }; /* batch and length of the gradient-check model */

static GptConfig tiny_config(void)
{
    GptConfig c = gpt_config_make(2, 2, 8, 6); /* L2 H2 C8, n_positions 6 */
    return c;
}

static void tiny_model(Gpt *m, unsigned long long seed)
{
    GptConfig c = tiny_config();
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, seed);
    /* Larger weights than GPT-2's 0.02 so every path carries signal, and
     * non-trivial LayerNorm parameters. */
    Rng r;
    rng_seed(&r, seed + 100);
    for (size_t i = 0; i < m->num_params; i++) m->param_block[i] += 0.3f * rng_normal(&r);
}

static void tiny_batch(int *inputs, int *targets)
{
    static const int in[TB * TT] = {3, 200, 17, 17, 255, 0, 9, 42, 128, 7};
    static const int tg[TB * TT] = {200, 17, 17, 255, 1, 9, 42, 128, 7, 64};
    memcpy(inputs, in, sizeof in);
    memcpy(targets, tg, sizeof tg);
}

static double model_loss(Gpt *m, const int *inputs, const int *targets)
{
    assert_int_equal(gpt_forward(m, inputs, targets, TB, TT, false, NULL), LS_OK);
    double s = 0;
    for (int i = 0; i < TB * TT; i++) s += m->acts.losses[i];
    return s / (TB * TT);
}

/* Central differences for `count` evenly spaced entries of x against g. */
static void check_entries(const char *what, Gpt *m, float *x, const float *g, size_t n, int count,
                          const int *inputs, const int *targets)
{
    const float eps = 1e-2f;
    size_t stride = n > (size_t)count ? n / (size_t)count : 1;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + eps;
        double up = model_loss(m, inputs, targets);
        x[i] = keep - eps;
        double down = model_loss(m, inputs, targets);
        x[i] = keep;
        double num = (up - down) / (2.0 * eps);
        double err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
        if (err > 3e-2) {
            print_error("%s[%zu]: analytic %.6g numeric %.6g\n", what, i, (double)g[i], num);
            fail();
        }
    }
}

static void analytic_grads(Gpt *m, const int *inputs, const int *targets)
{
    gpt_zero_grad(m);
    assert_int_equal(gpt_forward(m, inputs, targets, TB, TT, true, NULL), LS_OK);
    assert_int_equal(gpt_backward(m, NULL), LS_OK);
}

// ----------------------------------------------------------------------------
// Gradients

static void test_config_and_counts(void **state)
{
    (void)state;
    GptConfig ref = gpt_config_make(4, 4, 128, 64);
    assert_int_equal(gpt_config_check(&ref, NULL), LS_OK);
    /* The reference model: 834,304 parameters (~0.83 M, 3.3 MB of F32). */
    assert_int_equal(gpt_num_params(&ref), 834304);
    GptConfig bad = ref;
    bad.n_head = 3;
    Status st;
    assert_int_equal(gpt_config_check(&bad, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, "multiple"));
    bad = ref;
    bad.vocab_size = 50257;
    assert_int_equal(gpt_config_check(&bad, &st), LS_ERR_RANGE);
    bad = ref;
    bad.n_layer = 0;
    assert_int_equal(gpt_config_check(&bad, &st), LS_ERR_RANGE);
    bad = ref;
    bad.n_positions = GPT_MAX_POSITIONS + 1;
    assert_int_equal(gpt_config_check(&bad, &st), LS_ERR_RANGE);
}

static void test_model_gradients(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 1);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    int inputs[TB * TT], targets[TB * TT];
    tiny_batch(inputs, targets);
    analytic_grads(&m, inputs, targets);
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        GptTensorInfo ti = gpt_tensor_info(&m.cfg, (GptTensorId)id);
        check_entries(ti.name, &m, m.params.t[id], m.grads.t[id], gpt_tensor_numel(&m.cfg, (GptTensorId)id),
                      12, inputs, targets);
    }
    gpt_free(&m);
}

/* Frozen families get no gradient buffer; the others match full training. */
static void test_frozen_gradients(void **state)
{
    (void)state;
    int inputs[TB * TT], targets[TB * TT];
    tiny_batch(inputs, targets);
    Gpt full, part;
    tiny_model(&full, 2);
    tiny_model(&part, 2);
    assert_int_equal(gpt_alloc_grads(&full, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&full, TB, TT, NULL), LS_OK);
    analytic_grads(&full, inputs, targets);
    /* Freeze everything but the attention projections and ln_f: the
     * embeddings are frozen too, so block 0's input gradient is skipped. */
    for (int id = 0; id < GPT_NUM_TENSORS; id++) gpt_set_trainable(&part, (GptTensorId)id, false);
    gpt_set_trainable(&part, GPT_QKVW, true);
    gpt_set_trainable(&part, GPT_ATTPROJB, true);
    gpt_set_trainable(&part, GPT_LNFW, true);
    assert_int_equal(gpt_alloc_grads(&part, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&part, TB, TT, NULL), LS_OK);
    size_t expect = gpt_tensor_numel(&part.cfg, GPT_QKVW) + gpt_tensor_numel(&part.cfg, GPT_ATTPROJB) +
                    gpt_tensor_numel(&part.cfg, GPT_LNFW);
    assert_int_equal(part.num_grads, expect);
    analytic_grads(&part, inputs, targets);
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        if (!part.trainable[id]) {
            assert_null(part.grads.t[id]);
            continue;
        }
        size_t n = gpt_tensor_numel(&part.cfg, (GptTensorId)id);
        for (size_t i = 0; i < n; i++)
            assert_float_equal(part.grads.t[id][i], full.grads.t[id][i], 1e-6 + 1e-5 * fabsf(full.grads.t[id][i]));
    }
    gpt_free(&full);
    gpt_free(&part);
}

/* A test adapter: rank-1 LoRA-like on every c_attn, out += (inp . a) b^T,
 * plus P = 2 prefix keys/values per layer; both trainable. */
typedef struct TestAdapter {
    int L, C, P;
    float *a, *b, *da, *db;   /* (L, C), (L, 3C) */
    float *pk, *pv, *dpk, *dpv; /* (L, P, C) */
} TestAdapter;

static void adapter_forward(void *ctx, int l, GptLinearId id, float *out, const float *inp, int N, int IC,
                            int OC)
{
    TestAdapter *t = ctx;
    if (id != GPT_LINEAR_QKV) return;
    const float *a = t->a + (size_t)l * IC, *b = t->b + (size_t)l * OC;
    for (int n = 0; n < N; n++) {
        float z = 0;
        for (int i = 0; i < IC; i++) z += inp[n * IC + i] * a[i];
        for (int o = 0; o < OC; o++) out[n * OC + o] += z * b[o];
    }
}

static void adapter_backward(void *ctx, int l, GptLinearId id, float *dinp, const float *dout,
                             const float *inp, int N, int IC, int OC)
{
    TestAdapter *t = ctx;
    if (id != GPT_LINEAR_QKV) return;
    const float *a = t->a + (size_t)l * IC, *b = t->b + (size_t)l * OC;
    float *da = t->da + (size_t)l * IC, *db = t->db + (size_t)l * OC;
    for (int n = 0; n < N; n++) {
        float z = 0, dz = 0;
        for (int i = 0; i < IC; i++) z += inp[n * IC + i] * a[i];
        for (int o = 0; o < OC; o++) {
            dz += dout[n * OC + o] * b[o];
            db[o] += dout[n * OC + o] * z;
        }
        for (int i = 0; i < IC; i++) {
            da[i] += dz * inp[n * IC + i];
            if (dinp) dinp[n * IC + i] += dz * a[i];
        }
    }
}

static void adapter_prefix(void *ctx, int l, const float **k, const float **v, float **dk, float **dv)
{
    TestAdapter *t = ctx;
    size_t off = (size_t)l * t->P * t->C;
    *k = t->pk + off;
    *v = t->pv + off;
    *dk = t->dpk + off;
    *dv = t->dpv + off;
}

static void test_hook_gradients(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 3);
    int L = m.cfg.n_layer, C = m.cfg.n_embd, P = 2;
    Rng r;
    rng_seed(&r, 33);
    TestAdapter t = {.L = L, .C = C, .P = P};
    size_t na = (size_t)L * C, nb = (size_t)L * 3 * C, np = (size_t)L * P * C;
    t.a = calloc(na, sizeof(float)), t.da = calloc(na, sizeof(float));
    t.b = calloc(nb, sizeof(float)), t.db = calloc(nb, sizeof(float));
    t.pk = calloc(np, sizeof(float)), t.dpk = calloc(np, sizeof(float));
    t.pv = calloc(np, sizeof(float)), t.dpv = calloc(np, sizeof(float));
    for (size_t i = 0; i < na; i++) t.a[i] = 0.5f * rng_normal(&r);
    for (size_t i = 0; i < nb; i++) t.b[i] = 0.5f * rng_normal(&r);
    for (size_t i = 0; i < np; i++) t.pk[i] = rng_normal(&r), t.pv[i] = rng_normal(&r);
    m.hooks = (GptHooks){.ctx = &t,
                         .linear_forward = adapter_forward,
                         .linear_backward = adapter_backward,
                         .prefix_len = P,
                         .prefix_kv = adapter_prefix};
    /* The lab's setting: the base frozen except the embedding, whose
     * gradient must flow back through the adapters and the prefix. */
    for (int id = 0; id < GPT_NUM_TENSORS; id++) gpt_set_trainable(&m, (GptTensorId)id, id == GPT_WTE);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    int inputs[TB * TT], targets[TB * TT];
    tiny_batch(inputs, targets);
    analytic_grads(&m, inputs, targets);
    check_entries("lora a", &m, t.a, t.da, na, 8, inputs, targets);
    check_entries("lora b", &m, t.b, t.db, nb, 8, inputs, targets);
    check_entries("prefix k", &m, t.pk, t.dpk, np, 8, inputs, targets);
    check_entries("prefix v", &m, t.pv, t.dpv, np, 8, inputs, targets);
    check_entries("wte", &m, m.params.wte, m.grads.wte, gpt_tensor_numel(&m.cfg, GPT_WTE), 12, inputs, targets);
    gpt_free(&m);
    free(t.a), free(t.da), free(t.b), free(t.db), free(t.pk), free(t.dpk), free(t.pv), free(t.dpv);
}

/* The block_weights hook replaces the weights a block uses (QLoRA's way in):
 * handing back a copy gives the same logits; zeroing c_fc changes them. */
static void swap_weights(void *ctx, int layer, GptBlockWeights *w)
{
    float **copy = ctx;
    if (layer == 0) w->fcw = copy[0];
}

static void test_block_weights_hook(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 4);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    int inputs[TB * TT], targets[TB * TT];
    tiny_batch(inputs, targets);
    double base = model_loss(&m, inputs, targets);
    size_t n = (size_t)m.cfg.n_embd * 4 * m.cfg.n_embd;
    float *copy = malloc(n * sizeof(float));
    memcpy(copy, m.params.fcw, n * sizeof(float));
    m.hooks.ctx = &copy;
    m.hooks.block_weights = swap_weights;
    assert_true(model_loss(&m, inputs, targets) == base);
    memset(copy, 0, n * sizeof(float));
    assert_true(model_loss(&m, inputs, targets) != base);
    free(copy);
    gpt_free(&m);
}

/* Misuse is an error with a message, never a crash. */
/* GptHooks.input_rows: Q rows before every sequence. With the position
 * embedding zeroed, rows that are token embeddings must give the real
 * tokens the logits a plain forward over [those tokens, the sequence]
 * gives them. */
typedef struct InputRows {
    const float *rows;
    float *drows;
} InputRows;

static void input_rows_hook(void *ctx, const float **rows, float **drows)
{
    const InputRows *r = ctx;
    *rows = r->rows;
    *drows = r->drows;
}

static void test_input_rows(void **state)
{
    (void)state;
    enum { Q = 3, T = 3 };
    static const int virt[Q] = {11, 99, 250};
    static const int in[TB * T] = {3, 200, 17, 0, 9, 42}, tg[TB * T] = {200, 17, 255, 9, 42, 128};
    Gpt a, b;
    tiny_model(&a, 12);
    tiny_model(&b, 12);
    int C = a.cfg.n_embd, V = a.cfg.vocab_size;
    memset(a.params.wpe, 0, gpt_tensor_numel(&a.cfg, GPT_WPE) * sizeof(float));
    memset(b.params.wpe, 0, gpt_tensor_numel(&b.cfg, GPT_WPE) * sizeof(float));
    /* Plain: each sequence preceded by the virtual tokens' bytes. */
    int full_in[TB * (Q + T)], full_tg[TB * (Q + T)];
    for (int s = 0; s < TB; s++)
        for (int t = 0; t < Q + T; t++) {
            full_in[s * (Q + T) + t] = t < Q ? virt[t] : in[s * T + t - Q];
            full_tg[s * (Q + T) + t] = t < Q ? 0 : tg[s * T + t - Q];
        }
    assert_int_equal(gpt_reserve(&a, TB, Q + T, NULL), LS_OK);
    assert_int_equal(gpt_forward(&a, full_in, full_tg, TB, Q + T, false, NULL), LS_OK);
    /* Hooked: the same bytes' embeddings as input rows. */
    float rows[Q * 8], drows[Q * 8] = {0};
    assert_int_equal(C, 8);
    for (int j = 0; j < Q; j++) memcpy(rows + j * C, b.params.wte + (size_t)virt[j] * C, (size_t)C * sizeof(float));
    InputRows ir = {rows, drows};
    b.hooks = (GptHooks){.ctx = &ir, .input_rows = Q, .input_embd = input_rows_hook};
    for (int id = 0; id < GPT_NUM_TENSORS; id++) gpt_set_trainable(&b, (GptTensorId)id, false);
    assert_int_equal(gpt_alloc_grads(&b, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&b, TB, T, NULL), LS_OK);
    assert_int_equal(gpt_forward(&b, in, tg, TB, T, false, NULL), LS_OK);
    double worst = 0, loss = 0;
    for (int s = 0; s < TB; s++)
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++)
                worst = fmax(worst, fabs(b.acts.logits[((size_t)s * T + t) * V + v] -
                                         a.acts.logits[((size_t)s * (Q + T) + Q + t) * V + v]));
            loss += a.acts.losses[s * (Q + T) + Q + t];
        }
    if (worst > 1e-5) fail_msg("input rows: logits differ from the plain forward by %g", worst);
    assert_true(fabs(b.mean_loss - loss / (TB * T)) < 1e-5);
    /* A frozen model still gives the rows their gradient (and only them). */
    assert_int_equal(gpt_forward(&b, in, tg, TB, T, true, NULL), LS_OK);
    assert_int_equal(gpt_backward(&b, NULL), LS_OK);
    double norm = 0;
    for (int i = 0; i < Q * C; i++) {
        assert_true(isfinite(drows[i]));
        norm += drows[i] * drows[i];
    }
    assert_true(norm > 1e-8);
    /* The reserve belongs to the row count it was made for. */
    b.hooks.input_rows = Q + 1;
    Status st;
    assert_int_not_equal(gpt_forward(&b, in, tg, TB, T, false, &st), LS_OK);
    gpt_free(&a);
    gpt_free(&b);
}

static void test_forward_errors(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 6);
    int inputs[TB * TT], targets[TB * TT];
    tiny_batch(inputs, targets);
    Status st;
    assert_int_equal(gpt_forward(&m, inputs, targets, TB, TT, false, &st), LS_ERR_ARG); /* no reserve */
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    assert_int_equal(gpt_forward(&m, inputs, targets, TB + 1, TT, false, &st), LS_ERR_ARG);
    inputs[3] = 256;
    assert_int_equal(gpt_forward(&m, inputs, targets, TB, TT, false, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "out of range"));
    tiny_batch(inputs, targets);
    assert_int_equal(gpt_backward(&m, &st), LS_ERR_ARG); /* no training forward yet */
    assert_int_equal(gpt_forward(&m, inputs, NULL, TB, TT, true, &st), LS_ERR_ARG); /* train needs targets */
    m.hooks.prefix_len = 2; /* changed after gpt_reserve */
    assert_int_equal(gpt_forward(&m, inputs, targets, TB, TT, false, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "prefix"));
    assert_int_equal(gpt_reserve(&m, 1, TT + 2, &st), LS_ERR_ARG); /* longer than n_positions */
    gpt_free(&m);
}

// ----------------------------------------------------------------------------
// Training

static void test_overfit_one_batch(void **state)
{
    (void)state;
    GptConfig c = gpt_config_make(2, 2, 32, 16);
    Gpt m;
    assert_int_equal(gpt_init(&m, &c, NULL), LS_OK);
    gpt_init_weights(&m, 5);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&m, 4, 16, NULL), LS_OK);
    const char *text = "the quick brown fox jumps over the lazy dog; pack my box with five dozen jugs";
    int inputs[64], targets[64];
    for (int i = 0; i < 64; i++) inputs[i] = (unsigned char)text[i], targets[i] = (unsigned char)text[i + 1];
    AdamWConfig ac = adamw_defaults();
    ac.weight_decay = 0.0f;
    AdamW opt;
    assert_int_equal(adamw_init(&opt, &ac, m.num_grads, NULL), LS_OK);
    float first = 0, last = 0;
    for (int step = 0; step < 150; step++) {
        gpt_zero_grad(&m);
        assert_int_equal(gpt_forward(&m, inputs, targets, 4, 16, true, NULL), LS_OK);
        assert_int_equal(gpt_backward(&m, NULL), LS_OK);
        if (step == 0) first = m.mean_loss;
        last = m.mean_loss;
        adamw_begin_step(&opt);
        adamw_update(&opt, m.param_block, m.grad_block, 0, m.num_grads, 1e-2f, 0);
    }
    assert_float_equal(first, logf(256.0f), 0.05);
    if (last > 0.05f) print_error("loss after 150 steps: %g\n", (double)last);
    assert_true(last < 0.05f);
    adamw_free(&opt);
    gpt_free(&m);
}

static void test_adamw_hand_computed(void **state)
{
    (void)state;
    AdamWConfig c = {.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f};
    AdamW o;
    assert_int_equal(adamw_init(&o, &c, 2, NULL), LS_OK);
    float p[2] = {1.0f, -2.0f};
    float g1[2] = {0.5f, -1.0f}, g2[2] = {-0.25f, 3.0f};
    /* Step 1, by hand (as torch.optim.AdamW):
     * m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2, update = lr * g / (|g| + eps)
     * p = p (1 - lr wd) - lr sign(g) */
    adamw_begin_step(&o);
    adamw_update(&o, p, g1, 0, 2, 0.1f, 1);
    assert_float_equal(p[0], 1.0 * (1 - 0.001) - 0.1 * 0.5 / (0.5 + 1e-8), 1e-6);
    assert_float_equal(p[1], -2.0 * (1 - 0.001) + 0.1 * 1.0 / (1.0 + 1e-8), 1e-6);
    /* Step 2 in double. */
    double pe[2] = {p[0], p[1]};
    double m[2], v[2];
    for (int i = 0; i < 2; i++) {
        m[i] = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
        v[i] = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2[i] * g2[i];
        double mh = m[i] / (1 - 0.81), vh = v[i] / (1 - 0.999 * 0.999);
        pe[i] = pe[i] * (1 - 0.1 * 0.01) - 0.1 * mh / (sqrt(vh) + 1e-8);
    }
    adamw_begin_step(&o);
    adamw_update(&o, p, g2, 0, 2, 0.1f, 1);
    assert_float_equal(p[0], pe[0], 1e-6);
    assert_float_equal(p[1], pe[1], 1e-6);
    /* Without decay the weight-decay term is absent. */
    float q = 1.0f, gq = 0.0f;
    AdamW o2;
    assert_int_equal(adamw_init(&o2, &c, 1, NULL), LS_OK);
    adamw_begin_step(&o2);
    adamw_update(&o2, &q, &gq, 0, 1, 0.1f, 0);
    assert_float_equal(q, 1.0f, 0.0);
    adamw_free(&o);
    adamw_free(&o2);
}

static void test_clip_and_schedule(void **state)
{
    (void)state;
    float g[2] = {3.0f, 4.0f};
    assert_float_equal(grad_clip(g, 2, 1.0), 5.0, 1e-9);
    assert_float_equal(g[0], 0.6, 1e-5);
    assert_float_equal(g[1], 0.8, 1e-5);
    assert_float_equal(grad_clip(g, 2, 10.0), 1.0, 1e-5); /* under the limit: untouched */
    assert_float_equal(g[0], 0.6, 1e-6);
    /* Warmup 10 to lr 1, cosine to 0.1 at 110. */
    assert_float_equal(lr_schedule(0, 10, 110, 1.0f, 0.1f), 0.1, 1e-6);
    assert_float_equal(lr_schedule(9, 10, 110, 1.0f, 0.1f), 1.0, 1e-6);
    assert_float_equal(lr_schedule(10, 10, 110, 1.0f, 0.1f), 1.0, 1e-6);
    assert_float_equal(lr_schedule(60, 10, 110, 1.0f, 0.1f), 0.55, 1e-6);
    assert_float_equal(lr_schedule(110, 10, 110, 1.0f, 0.1f), 0.1, 1e-6);
    assert_float_equal(lr_schedule(500, 10, 110, 1.0f, 0.1f), 0.1, 1e-6);
}

static void run_training(unsigned long long seed, int steps, float *losses)
{
    GptConfig c = gpt_config_make(2, 2, 16, 8);
    char text[2000];
    for (int i = 0; i < 1999; i++) text[i] = "abcdefgh ij\n"[(i * 7 + i / 13) % 12];
    TextData d = {.bytes = (unsigned char *)text, .n = 1999};
    Gpt m;
    assert_int_equal(gpt_init(&m, &c, NULL), LS_OK);
    gpt_init_weights(&m, seed);
    TrainConfig tc = train_config_defaults(&c, steps);
    tc.batch = 4;
    tc.seed = seed;
    Trainer tr;
    assert_int_equal(trainer_init(&tr, &m, &d, &tc, NULL), LS_OK);
    for (int i = 0; i < steps; i++) {
        TrainStepInfo info;
        assert_int_equal(trainer_step(&tr, &info, NULL), LS_OK);
        assert_int_equal(info.step, i + 1);
        losses[i] = info.loss;
    }
    trainer_free(&tr);
    gpt_free(&m);
}

static void test_determinism(void **state)
{
    (void)state;
    float a[8], b[8], c[8];
    run_training(7, 8, a);
    run_training(7, 8, b);
    run_training(8, 8, c);
    assert_memory_equal(a, b, sizeof a); /* bit-identical */
    assert_memory_not_equal(a, c, sizeof a);
    assert_true(a[7] < a[0]);
}

// ----------------------------------------------------------------------------
// Evaluation protocol, unigram baseline, sampling

static void test_eval_windows(void **state)
{
    (void)state;
    /* Window w covers [wT, wT+T]: floor((n - 1) / T) windows of T+1 bytes. */
    assert_int_equal(text_eval_windows(8, 8), 0);
    assert_int_equal(text_eval_windows(9, 8), 1);
    assert_int_equal(text_eval_windows(16, 8), 1);
    assert_int_equal(text_eval_windows(17, 8), 2);
    assert_int_equal(text_eval_windows(100, 8), 12);
    assert_int_equal(text_eval_windows(0, 8), 0);
    /* A hand-made file: 30 bytes, T = 6 -> windows at 0, 6, 12, 18 (4);
     * the fifth would need bytes 24..30 and byte 30 does not exist. */
    unsigned char bytes[30];
    for (int i = 0; i < 30; i++) bytes[i] = (unsigned char)('a' + i % 26);
    TextData d = {.bytes = bytes, .n = 30};
    assert_int_equal(text_eval_windows(d.n, 6), 4);
    int in[4 * 6], tg[4 * 6];
    text_eval_batch(&d, 0, 4, in, tg, 6);
    assert_int_equal(in[6], bytes[6]);  /* window 1 starts at byte 6 */
    assert_int_equal(tg[5], bytes[6]);  /* window 0 predicts bytes 1..6 */
    assert_int_equal(tg[23], bytes[24]); /* the last predicted byte */
    /* gpt_eval_text counts the same windows and averages over 6 each. */
    GptConfig c = gpt_config_make(1, 1, 4, 6);
    Gpt m;
    assert_int_equal(gpt_init(&m, &c, NULL), LS_OK);
    gpt_init_weights(&m, 1);
    EvalResult er;
    assert_int_equal(gpt_eval_text(&m, &d, 3, 0, &er, NULL), LS_OK); /* batches of 3: 3 + 1 */
    assert_int_equal(er.windows, 4);
    assert_int_equal(er.tokens, 24);
    assert_float_equal(er.bits_per_byte, er.nats / log(2.0), 1e-12);
    /* Near-uniform predictions of an untrained model: ~8 bits per byte. */
    assert_float_equal(er.bits_per_byte, 8.0, 0.1);
    TextData shortd = {.bytes = bytes, .n = 6};
    Status st;
    assert_int_equal(gpt_eval_text(&m, &shortd, 3, 0, &er, &st), LS_ERR_RANGE);
    gpt_free(&m);
}

static void test_unigram(void **state)
{
    (void)state;
    unsigned char ab[8] = {'a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'};
    TextData d = {.bytes = ab, .n = 8};
    assert_float_equal(text_unigram_bits(&d, 0), 1.0, 1e-12); /* two equally likely bytes */
    unsigned char aaaa[4] = {'a', 'a', 'a', 'a'};
    TextData d2 = {.bytes = aaaa, .n = 4};
    assert_float_equal(text_unigram_bits(&d2, 0), 0.0, 1e-12);
    /* With T: only the predicted bytes 1..T of each window count. "abbb" + "b":
     * T = 4, one window, predicted "bbbb" -> 0 bits. */
    unsigned char abbbb[5] = {'a', 'b', 'b', 'b', 'b'};
    TextData d3 = {.bytes = abbbb, .n = 5};
    assert_float_equal(text_unigram_bits(&d3, 4), 0.0, 1e-12);
}

static void test_sampling(void **state)
{
    (void)state;
    float logits[5] = {0.1f, 2.0f, 2.0f, -1.0f, 0.5f};
    float scratch[5];
    assert_int_equal(sample_pick(logits, 5, 0.0f, 0, 0.99f, scratch), 1); /* greedy, lowest on a tie */
    assert_int_equal(sample_pick(logits, 5, 1.0f, 1, 0.99f, scratch), 1); /* top-1 is greedy */
    /* top-2 keeps the two 2.0 logits: u < 0.5 -> 1, else 2. */
    assert_int_equal(sample_pick(logits, 5, 1.0f, 2, 0.25f, scratch), 1);
    assert_int_equal(sample_pick(logits, 5, 1.0f, 2, 0.75f, scratch), 2);
    /* A model generates the same bytes for the same seed. */
    GptConfig c = gpt_config_make(1, 2, 8, 8);
    Gpt m;
    assert_int_equal(gpt_init(&m, &c, NULL), LS_OK);
    gpt_init_weights(&m, 9);
    SampleConfig sc = {.tokens = 20, .temperature = 1.0f, .top_k = 0, .seed = 4};
    unsigned char a[20], b[20], g1[20], g2[20];
    const unsigned char prompt[] = "hello world"; /* longer than the context: its tail is used */
    assert_int_equal(gpt_sample(&m, prompt, 11, &sc, a, NULL, NULL, NULL), LS_OK);
    assert_int_equal(gpt_sample(&m, prompt, 11, &sc, b, NULL, NULL, NULL), LS_OK);
    assert_memory_equal(a, b, 20);
    sc.temperature = 0.0f;
    sc.seed = 5;
    assert_int_equal(gpt_sample(&m, NULL, 0, &sc, g1, NULL, NULL, NULL), LS_OK);
    sc.seed = 6;
    assert_int_equal(gpt_sample(&m, NULL, 0, &sc, g2, NULL, NULL, NULL), LS_OK);
    assert_memory_equal(g1, g2, 20); /* greedy ignores the seed */
    gpt_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_and_counts),
        cmocka_unit_test(test_model_gradients),
        cmocka_unit_test(test_frozen_gradients),
        cmocka_unit_test(test_hook_gradients),
        cmocka_unit_test(test_block_weights_hook),
        cmocka_unit_test(test_input_rows),
        cmocka_unit_test(test_forward_errors),
        cmocka_unit_test(test_overfit_one_batch),
        cmocka_unit_test(test_adamw_hand_computed),
        cmocka_unit_test(test_clip_and_schedule),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_eval_windows),
        cmocka_unit_test(test_unigram),
        cmocka_unit_test(test_sampling),
    };
    return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
