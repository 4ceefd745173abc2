/* test_lora.c — LoRA and QLoRA: the adapted model starts exactly at the
 * base (B = 0), merging agrees with the unmerged forward, gradients against
 * finite differences, frozen weights stay bit-identical and get no
 * gradient buffers, trainable bytes against full tuning, PiSSA's exact
 * start, QLoRA's dequantisation against quant_roundtrip, and the method
 * spec parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/rng.h"
#include "../src/core/linalg.h"
#include "../src/core/quant.h"
#include "../src/nn/checkpoint.h"
#include "../src/nn/gpt.h"
#include "../src/tune/lora.h"
#include "../src/tune/qlora.h"
#include "../src/tune/tune.h"
#include "../src/tune/tune_lora.h"
#include "../src/tune/tune_prefix.h"

// ----------------------------------------------------------------------------
// Helpers

enum { TB = 2, TT = 5 };

/* A tiny model with large weights, so every path carries signal. */
static void tiny_model(Gpt *m, int C, unsigned long long seed)
{
    GptConfig c = gpt_config_make(2, 2, C, 6);
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, seed);
    Rng r;
    rng_seed(&r, seed + 100);
    for (size_t i = 0; i < m->num_params; i++)
        m->param_block[i] += 0.3f * rng_normal(&r);
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
    for (int i = 0; i < TB * TT; i++)
        s += m->acts.losses[i];
    return s / (TB * TT);
}

static float *logits_copy(const Gpt *m, int n)
{
    float *l = malloc((size_t)n * sizeof(float));
    memcpy(l, m->acts.logits, (size_t)n * sizeof(float));
    return l;
}

static void random_fill(float *x, size_t n, float scale, unsigned long long seed)
{
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * rng_normal(&r);
}

static void make_adapter(LoraAdapter *a, const Gpt *m, unsigned targets, int rank, float scale)
{
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, &m->cfg, targets);
    assert_int_equal(lora_init(a, &m->cfg, mods, n, rank, scale, NULL), LS_OK);
}

// ----------------------------------------------------------------------------
// Tests

/* B = 0: the adapted model's logits equal the base model's exactly. */
static void test_zero_b_is_base(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 8, 1);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    int n = TB * TT * 256;
    float *base = logits_copy(&m, n);
    LoraAdapter a;
    make_adapter(&a, &m, LORA_TARGET_ALL, 2, 2.0f);
    lora_init_weights(&a, 5);
    assert_int_equal(lora_reserve(&a, TB * TT, NULL), LS_OK);
    lora_attach(&a, &m);
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    for (int i = 0; i < n; i++)
        assert_true(m.acts.logits[i] == base[i]);
    /* A is not zero: kaiming-uniform within 1/sqrt(in). */
    float *A = lora_A(&a, 0, 0);
    int nonzero = 0;
    for (int i = 0; i < 2 * 8; i++) {
        nonzero += A[i] != 0.0f;
        assert_true(fabsf(A[i]) <= 1.0f / sqrtf(8.0f));
    }
    assert_true(nonzero > 8);
    free(base);
    lora_free(&a);
    gpt_free(&m);
}

/* Merged and unmerged agree to 1e-5; unmerging restores the weights. */
static void test_merge_unmerge(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 16, 2);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    float *w0 = malloc(m.num_params * sizeof(float));
    memcpy(w0, m.param_block, m.num_params * sizeof(float));
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    LoraAdapter a;
    make_adapter(&a, &m, LORA_TARGET_ALL, 3, 1.5f);
    random_fill(a.params, a.n_params, 0.2f, 9);
    assert_int_equal(lora_reserve(&a, TB * TT, NULL), LS_OK);
    lora_attach(&a, &m);
    int n = TB * TT * 256;
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    float *unmerged = logits_copy(&m, n);
    lora_merge(&a, &m);
    assert_true(a.merged);
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)m.acts.logits[i] - unmerged[i]) / (1.0 + fabs(unmerged[i]));
        if (d > worst) worst = d;
    }
    assert_true(worst < 1e-5);
    /* The update really changed the model. */
    memcpy(m.param_block, w0, m.num_params * sizeof(float));
    a.merged = true; /* hooks off: the plain base */
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    double moved = 0;
    for (int i = 0; i < n; i++)
        moved += fabs((double)m.acts.logits[i] - unmerged[i]);
    assert_true(moved > 1e-2);
    /* Merge then unmerge gives back the weights to rounding. */
    a.merged = false;
    lora_merge(&a, &m);
    lora_unmerge(&a, &m);
    for (size_t i = 0; i < m.num_params; i++)
        assert_float_equal(m.param_block[i], w0[i], 1e-5f);
    free(unmerged);
    free(w0);
    lora_free(&a);
    gpt_free(&m);
}

/* Analytic LoRA gradients against central differences, every target. */
static void test_lora_gradients(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 8, 3);
    for (int id = 0; id < GPT_NUM_TENSORS; id++)
        gpt_set_trainable(&m, (GptTensorId)id, false);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_null(m.grad_block);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    LoraAdapter a;
    make_adapter(&a, &m, LORA_TARGET_ALL, 2, 1.3f);
    random_fill(a.params, a.n_params, 0.4f, 11);
    assert_int_equal(lora_alloc_grads(&a, NULL), LS_OK);
    assert_int_equal(lora_reserve(&a, TB * TT, NULL), LS_OK);
    lora_attach(&a, &m);
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    lora_zero_grad(&a);
    assert_int_equal(gpt_forward(&m, in, tg, TB, TT, true, NULL), LS_OK);
    assert_int_equal(gpt_backward(&m, NULL), LS_OK);
    float *g = malloc(a.n_params * sizeof(float));
    memcpy(g, a.grads, a.n_params * sizeof(float));
    const float eps = 1e-2f;
    size_t stride = a.n_params / 60 + 1;
    for (size_t i = 0; i < a.n_params; i += stride) {
        float keep = a.params[i];
        a.params[i] = keep + eps;
        double up = model_loss(&m, in, tg);
        a.params[i] = keep - eps;
        double down = model_loss(&m, in, tg);
        a.params[i] = keep;
        double num = (up - down) / (2.0 * eps);
        double err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
        if (err > 3e-2) {
            print_error("lora param %zu: analytic %.6g numeric %.6g\n", i, (double)g[i], num);
            fail();
        }
    }
    free(g);
    lora_free(&a);
    gpt_free(&m);
}

/* A TuneRun of lora on a tiny base: frozen weights bit-identical after
 * training, no gradient buffers for them, the loss goes down. */
static void test_frozen_after_training(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 16, 4);
    const char *specs[] = {"lora:2", "lora:2,targets=all,rslora", "qlora:2", "prefix:3",
                           "prefix:3,mlp"};
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    int start[8] = {10, 20, 30, 40, 50, 60, 70, 80};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        TuneSpec s;
        Status st;
        assert_int_equal(tune_spec_parse(&s, specs[k], &st), LS_OK);
        TuneSchedule sched = tune_schedule_defaults(8);
        TuneRun r;
        assert_int_equal(tune_run_init(&r, &s, &base, TB, TT, &sched, 1, start, 8, &st), LS_OK);
        assert_null(r.model.grad_block);
        assert_int_equal(r.model.num_grads, 0);
        float first = 0, last = 0;
        for (int i = 0; i < 8; i++) {
            assert_int_equal(tune_run_step(&r, in, tg, &last, &st), LS_OK);
            if (i == 0) first = last;
        }
        assert_true(last < first);
        /* Every family the model holds is bit-identical to the base. */
        for (int id = 0; id < GPT_NUM_TENSORS; id++) {
            if (!r.model.params.t[id]) continue; /* qlora: released, held in NF4 */
            size_t n = gpt_tensor_numel(&base.cfg, (GptTensorId)id);
            assert_memory_equal(r.model.params.t[id], base.params.t[id], n * sizeof(float));
        }
        tune_run_free(&r);
    }
    gpt_free(&base);
}

/* Trainable bytes of LoRA r = 8 on the reference config: far below full's. */
static void test_trainable_bytes(void **state)
{
    (void)state;
    GptConfig c = gpt_config_make(4, 4, 128, 64);
    Gpt base;
    assert_int_equal(gpt_init(&base, &c, NULL), LS_OK);
    gpt_init_weights(&base, 1);
    TuneSchedule sched = tune_schedule_defaults(10);
    TuneSpec full = tune_spec_make(TUNE_FULL, 0), lora = tune_spec_make(TUNE_LORA, 8);
    TuneRun rf, rl;
    assert_int_equal(tune_run_init(&rf, &full, &base, 2, 16, &sched, 1, NULL, 0, NULL), LS_OK);
    assert_int_equal(tune_run_init(&rl, &lora, &base, 2, 16, &sched, 1, NULL, 0, NULL), LS_OK);
    TuneBytes bf = tune_run_bytes(&rf), bl = tune_run_bytes(&rl);
    /* 4 layers x (q, v) x 8 x (128 + 128) = 16,384 parameters. */
    assert_int_equal(rl.trainable_params, 16384);
    assert_int_equal(bl.trainable, 16384 * 4);
    assert_int_equal(bf.trainable, 834304 * 4);
    assert_true(bl.trainable * 40 < bf.trainable);
    assert_true(bl.grads + bl.optimizer < (bf.grads + bf.optimizer) / 40);
    assert_int_equal(bf.frozen, 0);
    assert_int_equal(bl.frozen, 834304 * 4);
    assert_int_equal(bl.total, bl.frozen + bl.trainable + bl.grads + bl.optimizer + bl.activations);
    tune_run_free(&rf);
    tune_run_free(&rl);
    gpt_free(&base);
}

/* PiSSA: the model starts where the base was (residual + s B A = W). */
static void test_pissa_start(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 16, 5);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    int n = TB * TT * 256;
    float *base = logits_copy(&m, n);
    float q0 = m.params.qkvw[0];
    LoraAdapter a;
    make_adapter(&a, &m, LORA_TARGET_Q | LORA_TARGET_V | LORA_TARGET_FC, 4, 2.0f);
    assert_int_equal(lora_init_pissa(&a, &m, NULL), LS_OK);
    assert_true(m.params.qkvw[0] != q0); /* the residual */
    assert_int_equal(lora_reserve(&a, TB * TT, NULL), LS_OK);
    lora_attach(&a, &m);
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    for (int i = 0; i < n; i++)
        assert_float_equal(m.acts.logits[i], base[i], 1e-4f * (1.0f + fabsf(base[i])));
    free(base);
    lora_free(&a);
    gpt_free(&m);
}

/* QLoRA's on-the-fly weights are exactly quant_roundtrip's (NF4 and int8). */
static void test_qlora_dequant(void **state)
{
    (void)state;
    for (int int8 = 0; int8 < 2; int8++) {
        Gpt m, ref;
        tiny_model(&m, 64, 6);
        tiny_model(&ref, 64, 6);
        QloraBase q;
        assert_int_equal(qlora_init(&q, &m, int8, NULL), LS_OK);
        assert_null(m.params.qkvw);
        assert_true(m.num_stored < m.num_params);
        QuantConfig qc =
            int8 ? quant_config_int(8, QUANT_PER_BLOCK, 64, false) : quant_config_fixed(QUANT_NF4);
        int C = 64;
        for (int l = 0; l < 2; l++) {
            GptBlockWeights w = gpt_block_weights(&m, l);
            assert_null(w.fcw);
            qlora_block_weights(&q, l, &w);
            GptBlockWeights wr = gpt_block_weights(&ref, l);
            const float *src[4] = {wr.qkvw, wr.attprojw, wr.fcw, wr.fcprojw};
            const float *got[4] = {w.qkvw, w.attprojw, w.fcw, w.fcprojw};
            int rows[4] = {C, C, C, 4 * C}, cols[4] = {3 * C, C, 4 * C, C};
            for (int k = 0; k < 4; k++) {
                size_t n = (size_t)rows[k] * cols[k];
                float *deq = malloc(n * sizeof(float));
                QuantTensor qt;
                quant_tensor_init(&qt);
                assert_int_equal(
                    quant_roundtrip(deq, NULL, &qt, &qc, src[k], rows[k], cols[k], NULL), LS_OK);
                assert_memory_equal(got[k], deq, n * sizeof(float));
                quant_tensor_free(&qt);
                free(deq);
            }
        }
        /* NF4: 4.5 bits a weight as stored (36 bytes per 64). */
        size_t weights = 2 * 12 * (size_t)C * C;
        if (!int8) assert_int_equal(qlora_stored_bytes(&q), weights / 64 * 36);
        /* The released model cannot be saved, and a forward needs the hook. */
        unsigned char *bytes;
        size_t size;
        Status st;
        assert_int_not_equal(gpt_serialize(&m, &bytes, &size, &st), LS_OK);
        assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
        int in[TB * TT], tg[TB * TT];
        tiny_batch(in, tg);
        assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, &st), LS_ERR_ARG);
        qlora_free(&q);
        gpt_free(&m);
        gpt_free(&ref);
    }
}

/* Method specs and lists. */
static void test_spec_parse(void **state)
{
    (void)state;
    TuneSpec s[8];
    int n;
    Status st;
    assert_int_equal(
        tune_spec_list_parse(s, 8, &n,
                             "full,lora:8,alpha=16,targets=qkv+o+mlp,rslora,pissa,prefix:16,mlp,"
                             "hidden=32,qlora:4,int8,lr=3e-3,lora:1",
                             &st),
        LS_OK);
    assert_int_equal(n, 5);
    assert_int_equal(s[0].kind, TUNE_FULL);
    assert_string_equal(s[0].label, "full");
    assert_int_equal(s[1].kind, TUNE_LORA);
    assert_int_equal(s[1].size, 8);
    LoraOpts o = tune_lora_opts(&s[1]);
    assert_float_equal(o.alpha, 16.0f, 0);
    assert_true(o.rslora && o.pissa);
    assert_int_equal(o.targets, LORA_TARGET_ALL);
    assert_string_equal(s[1].label, "lora:8,alpha=16,targets=qkv+o+mlp,rslora,pissa");
    assert_int_equal(s[2].kind, TUNE_PREFIX);
    assert_int_equal(s[2].size, 16);
    PrefixOpts po = tune_prefix_opts(&s[2]);
    assert_true(po.mlp);
    assert_int_equal(po.hidden, 32);
    /* Each method reads only its own options. */
    assert_true(tune_spec_is_lora(&s[1]) && tune_spec_is_lora(&s[3]));
    assert_false(tune_spec_is_lora(&s[0]) || tune_spec_is_lora(&s[2]));
    assert_true(tune_lora_opts(&s[2]).alpha == 0.0f && !tune_prefix_opts(&s[1]).mlp);
    TuneSpec dora = tune_spec_make(TUNE_DORA, 4);
    assert_true(tune_spec_is_lora(&dora));
    assert_float_equal(tune_lora_opts(&dora).alpha, 8.0f, 0);
    /* The prefix's options are its file's own: seen through its run, an
     * MLP of width 32 (E, W1, b1, W2, b2) is what trains. */
    Gpt tiny;
    tiny_model(&tiny, 8, 3);
    static const int start[16] = {65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80};
    TuneSchedule sched = tune_schedule_defaults(4);
    TuneRun pr;
    if (tune_run_init(&pr, &s[2], &tiny, 1, 4, &sched, 1, start, 16, &st)) fail_msg("%s", st.msg);
    size_t C = 8, H = 32, P = 16, D = 2 * 2 * C;
    assert_int_equal(pr.trainable_params, P * C + C * H + H + H * D + D);
    tune_run_free(&pr);
    gpt_free(&tiny);
    assert_int_equal(s[3].kind, TUNE_QLORA);
    assert_true(tune_lora_opts(&s[3]).int8);
    assert_float_equal(s[3].lr, 3e-3f, 1e-9f);
    assert_float_equal(tune_spec_lr(&s[3]), 3e-3f, 1e-9f);
    assert_int_equal(s[4].size, 1);
    o = tune_lora_opts(&s[4]);
    assert_float_equal(o.alpha, 2.0f, 0); /* alpha defaults to 2r */
    assert_int_equal(o.targets, LORA_TARGET_Q | LORA_TARGET_V);
    assert_float_equal(tune_spec_lr(&s[4]), tune_method(TUNE_LORA)->default_lr, 0);
    /* rsLoRA's scale is alpha / sqrt(r). */
    assert_float_equal(lora_scale(16.0f, 4, true), 8.0f, 1e-6f);
    assert_float_equal(lora_scale(16.0f, 4, false), 4.0f, 1e-6f);
    char buf[64];
    assert_string_equal(lora_targets_name(LORA_TARGET_DEFAULT, buf, sizeof buf), "q+v");

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"lora", "needs its rank"},
        {"lora:0", "rank"},
        {"lora:x", "rank"},
        {"lora:8,bogus", "unknown option"},
        {"full,alpha=3", "does not apply"},
        {"prefix:16,rslora", "does not apply"},
        {"lora:8,alpha=-1", "alpha"},
        {"lora:8,targets=z", "unknown LoRA target"},
        {"adapter:3", "unknown method"},
        {"full:3", "takes no size"},
        {"lora:8,lr=0", "lr"},
        {"lora:8,,alpha=2", "empty"},
        {"", "empty"},
        {"lora:8,rslora=1", "takes no value"},
        {"lora:8,alpha", "needs a value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        status_clear(&st);
        int rc = tune_spec_list_parse(s, 8, &n, bad[i].text, &st);
        if (rc == LS_OK || !strstr(st.msg, bad[i].msg)) {
            print_error("'%s': rc %d, message '%s' (want '%s')\n", bad[i].text, rc, st.msg,
                        bad[i].msg);
            fail();
        }
    }
    assert_int_not_equal(tune_spec_list_parse(s, 2, &n, "full,lora:1,lora:2", &st), LS_OK);
}

int main(void)
{
    linalg_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_b_is_base),  cmocka_unit_test(test_merge_unmerge),
        cmocka_unit_test(test_lora_gradients),  cmocka_unit_test(test_frozen_after_training),
        cmocka_unit_test(test_trainable_bytes), cmocka_unit_test(test_pissa_start),
        cmocka_unit_test(test_qlora_dequant),   cmocka_unit_test(test_spec_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
