/* test_parity.c — the engine against PyTorch, as llm.c's test_gpt2.c does.
 *
 * tests/data/parity.safetensors holds PyTorch 1.13's numbers for one tiny
 * GPT (L2 H2 C16, T 8, batch 2), written by tests/parity/make_fixture.py
 * from its own op-by-op model (no lorascope code): the weights, a batch, the
 * logits, the loss, every parameter gradient, the parameters after two AdamW
 * steps, and the gradients of LoRA (r 2 on all six linears, base frozen) and
 * of prefix tuning (P 3). The engine runs the same and must agree within
 * float32 tolerances: with 1 thread and with 2 (the engine's pool). No
 * Python at test time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/linalg.h"
#include "../src/nn/fileio.h"
#include "../src/nn/gpt.h"
#include "../src/nn/optim.h"
#include "../src/nn/safetensors.h"
#include "../src/tune/lora.h"
#include "../src/tune/prefix.h"

enum { L = 2, NH = 2, C = 16, T = 8, B = 2, R = 2, P = 3, NMOD = 6, MAXIN = 4 * C, MAXOUT = 4 * C };
#define LORA_SCALE 2.0f

typedef struct Fixture {
    unsigned char *bytes;
    size_t size;
    StFile f;
} Fixture;

static void fixture_open(Fixture *fx)
{
    const char *root = getenv("LORASCOPE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/parity.safetensors", root ? root : ".");
    Status st;
    if (file_read_all(path, 1 << 22, &fx->bytes, &fx->size, &st)) {
        print_error("%s\n", st.msg);
        fail();
    }
    assert_int_equal(st_parse(&fx->f, fx->bytes, fx->size, &st), LS_OK);
}

static void fixture_close(Fixture *fx)
{
    st_free(&fx->f);
    free(fx->bytes);
}

/* A tensor's values (malloc'd), checking its element count. */
static float *get(const Fixture *fx, const char *name, size_t numel)
{
    const StTensor *t = st_find(&fx->f, name);
    if (!t) print_error("the fixture has no tensor %s\n", name);
    assert_non_null(t);
    assert_int_equal(t->dtype, ST_F32);
    assert_int_equal(st_numel(t), numel);
    float *v = malloc(numel * sizeof(float));
    st_read_f32(&fx->f, t, v);
    return v;
}

/* The fixture's name of a family: the Hugging Face name, layers as "*". */
static void family_name(char *buf, size_t size, const char *prefix, const GptConfig *cfg, int id)
{
    const char *n = gpt_tensor_info(cfg, (GptTensorId)id).name, *d = strstr(n, "%d");
    if (d)
        snprintf(buf, size, "%s%.*s*%s", prefix, (int)(d - n), n, d + 2);
    else
        snprintf(buf, size, "%s%s", prefix, n);
}

/* max |a - b| over max |b|: the error relative to the tensor's scale.
 * Measured (PyTorch 1.13, OpenBLAS 0.3.21): logits 6e-7, gradients <= 9e-7,
 * AdamW updates <= 2e-6, LoRA gradients <= 9e-6 (the key adapters of layer 1,
 * whose gradient mostly cancels), prefix 6e-7; tolerances sit 5-10x above. */
static void agree(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double diff = 0.0, scale = 0.0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (d > diff) diff = d, worst = i;
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    }
    double rel = diff / (scale > 0 ? scale : 1.0);
    if (!(rel <= tol)) {
        print_error("%s: max error %.3g of scale %.3g (rel %.3g > %.3g) at %zu: %.9g vs PyTorch %.9g\n", what, diff,
                    scale, rel, tol, worst, (double)got[worst], (double)want[worst]);
        fail();
    }
}

/* The model with the fixture's weights and batch. */
static void load_model(const Fixture *fx, Gpt *m, int *inputs, int *targets)
{
    GptConfig cfg = gpt_config_make(L, NH, C, T);
    assert_int_equal(gpt_init(m, &cfg, NULL), LS_OK);
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        char name[128];
        family_name(name, sizeof name, "p.", &cfg, id);
        size_t n = gpt_tensor_numel(&cfg, (GptTensorId)id);
        float *v = get(fx, name, n);
        memcpy(m->params.t[id], v, n * sizeof(float));
        free(v);
    }
    float *in = get(fx, "inputs", B * T), *tg = get(fx, "targets", B * T);
    for (int i = 0; i < B * T; i++) inputs[i] = (int)in[i], targets[i] = (int)tg[i];
    free(in);
    free(tg);
}

static void freeze_all(Gpt *m)
{
    for (int id = 0; id < GPT_NUM_TENSORS; id++) gpt_set_trainable(m, (GptTensorId)id, false);
}

static void check_loss(const Fixture *fx, const char *name, float loss)
{
    float *want = get(fx, name, 1);
    agree(name, &loss, want, 1, 2e-6);
    free(want);
}

// ----------------------------------------------------------------------------
// Full model: logits, loss, gradients, AdamW

static void full_model(int threads)
{
    linalg_set_threads(threads);
    Fixture fx;
    fixture_open(&fx);
    Gpt m;
    int inputs[B * T], targets[B * T];
    load_model(&fx, &m, inputs, targets);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&m, B, T, NULL), LS_OK);

    assert_int_equal(gpt_forward(&m, inputs, targets, B, T, false, NULL), LS_OK);
    float *logits = get(&fx, "logits", (size_t)B * T * 256);
    agree("logits", m.acts.logits, logits, (size_t)B * T * 256, 1e-5);
    free(logits);

    gpt_zero_grad(&m);
    assert_int_equal(gpt_forward(&m, inputs, targets, B, T, true, NULL), LS_OK);
    check_loss(&fx, "loss", m.mean_loss);
    assert_int_equal(gpt_backward(&m, NULL), LS_OK);
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        char name[128];
        family_name(name, sizeof name, "g.", &m.cfg, id);
        size_t n = gpt_tensor_numel(&m.cfg, (GptTensorId)id);
        float *want = get(&fx, name, n);
        agree(name, m.grads.t[id], want, n, 1e-5);
        free(want);
    }

    /* Two AdamW steps on the batch, weight decay on the matrices only. */
    AdamWConfig ac = {.lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f};
    AdamW opt;
    assert_int_equal(adamw_init(&opt, &ac, m.num_grads, NULL), LS_OK);
    for (int step = 0; step < 2; step++) {
        if (step > 0) {
            gpt_zero_grad(&m);
            assert_int_equal(gpt_forward(&m, inputs, targets, B, T, true, NULL), LS_OK);
            assert_int_equal(gpt_backward(&m, NULL), LS_OK);
        }
        adamw_begin_step(&opt);
        size_t off = 0;
        for (int id = 0; id < GPT_NUM_TENSORS; id++) {
            size_t n = gpt_tensor_numel(&m.cfg, (GptTensorId)id);
            adamw_update(&opt, m.params.t[id], m.grads.t[id], off, n, ac.lr,
                         gpt_tensor_info(&m.cfg, (GptTensorId)id).decay);
            off += n;
        }
    }
    /* Where the gradient is zero in exact arithmetic (c_attn's key bias:
     * softmax ignores a constant added to a row of scores), both sides hold
     * rounding noise, and Adam's g / sqrt(v) turns noise into steps of
     * +-lr either way: those entries only have to stay within the two
     * steps' reach of each other. All others agree to float tolerance. */
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        char name[128], gname[128];
        family_name(name, sizeof name, "u.", &m.cfg, id);
        family_name(gname, sizeof gname, "g.", &m.cfg, id);
        size_t n = gpt_tensor_numel(&m.cfg, (GptTensorId)id);
        float *want = get(&fx, name, n), *g = get(&fx, gname, n);
        double gmax = 0.0;
        for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
        size_t noise = 0;
        for (size_t i = 0; i < n; i++) {
            if (fabs(g[i]) > 1e-6 * gmax) continue;
            noise++;
            assert_true(fabs((double)m.params.t[id][i] - want[i]) <= 4.0 * ac.lr * 1.0001);
            m.params.t[id][i] = want[i]; /* judged above */
        }
        if (id == GPT_QKVB) assert_int_equal(noise, (size_t)L * C); /* exactly the key bias */
        agree(name, m.params.t[id], want, n, 1e-5);
        free(want);
        free(g);
    }
    adamw_free(&opt);
    gpt_free(&m);
    fixture_close(&fx);
}

static void test_full_one_thread(void **state)
{
    (void)state;
    full_model(1);
}

static void test_full_two_threads(void **state)
{
    (void)state;
    full_model(2);
    linalg_set_threads(1);
}

// ----------------------------------------------------------------------------
// LoRA and prefix tuning: the adapters' gradients, the base frozen

static void test_lora(void **state)
{
    (void)state;
    Fixture fx;
    fixture_open(&fx);
    Gpt m;
    int inputs[B * T], targets[B * T];
    load_model(&fx, &m, inputs, targets);
    freeze_all(&m);
    LoraModule mods[LORA_MAX_MODULES];
    int n_mod = lora_modules_for(mods, &m.cfg, LORA_TARGET_ALL);
    assert_int_equal(n_mod, NMOD);
    LoraAdapter a;
    assert_int_equal(lora_init(&a, &m.cfg, mods, n_mod, R, LORA_SCALE, NULL), LS_OK);
    float *A = get(&fx, "lora.A", (size_t)L * NMOD * R * MAXIN), *Bm = get(&fx, "lora.B", (size_t)L * NMOD * MAXOUT * R);
    float *gA = get(&fx, "lora.gA", (size_t)L * NMOD * R * MAXIN), *gB = get(&fx, "lora.gB", (size_t)L * NMOD * MAXOUT * R);
    /* The fixture pads every A to (r, 4C) and every B to (4C, r). */
    for (int l = 0; l < L; l++)
        for (int k = 0; k < NMOD; k++) {
            for (int i = 0; i < R; i++)
                memcpy(lora_A(&a, l, k) + (size_t)i * mods[k].in, A + (((size_t)l * NMOD + k) * R + i) * MAXIN,
                       (size_t)mods[k].in * sizeof(float));
            memcpy(lora_B(&a, l, k), Bm + ((size_t)l * NMOD + k) * MAXOUT * R, (size_t)mods[k].cols * R * sizeof(float));
        }
    assert_int_equal(lora_alloc_grads(&a, NULL), LS_OK);
    assert_int_equal(lora_reserve(&a, B * T, NULL), LS_OK);
    lora_attach(&a, &m);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&m, B, T, NULL), LS_OK);
    lora_zero_grad(&a);
    assert_int_equal(gpt_forward(&m, inputs, targets, B, T, true, NULL), LS_OK);
    check_loss(&fx, "lora.loss", m.mean_loss);
    assert_int_equal(gpt_backward(&m, NULL), LS_OK);
    for (int l = 0; l < L; l++)
        for (int k = 0; k < NMOD; k++) {
            char what[64];
            float want[MAXIN * R];
            for (int i = 0; i < R; i++)
                memcpy(want + (size_t)i * mods[k].in, gA + (((size_t)l * NMOD + k) * R + i) * MAXIN,
                       (size_t)mods[k].in * sizeof(float));
            snprintf(what, sizeof what, "lora dA layer %d module %d", l, k);
            agree(what, lora_dA(&a, l, k), want, (size_t)R * mods[k].in, 5e-5);
            snprintf(what, sizeof what, "lora dB layer %d module %d", l, k);
            agree(what, lora_dB(&a, l, k), gB + ((size_t)l * NMOD + k) * MAXOUT * R, (size_t)mods[k].cols * R,
                  5e-5);
        }
    free(A), free(Bm), free(gA), free(gB);
    lora_free(&a);
    gpt_free(&m);
    fixture_close(&fx);
}

static void test_prefix(void **state)
{
    (void)state;
    Fixture fx;
    fixture_open(&fx);
    Gpt m;
    int inputs[B * T], targets[B * T];
    load_model(&fx, &m, inputs, targets);
    freeze_all(&m);
    Prefix p;
    assert_int_equal(prefix_init(&p, &m.cfg, P, 0, NULL), LS_OK);
    size_t n = (size_t)L * 2 * P * C;
    float *kv = get(&fx, "prefix.kv", n), *g = get(&fx, "prefix.g", n);
    memcpy(p.kv, kv, n * sizeof(float));
    assert_int_equal(prefix_alloc_grads(&p, NULL), LS_OK);
    prefix_attach(&p, &m);
    assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&m, B, T, NULL), LS_OK);
    prefix_zero_grad(&p);
    assert_int_equal(gpt_forward(&m, inputs, targets, B, T, true, NULL), LS_OK);
    check_loss(&fx, "prefix.loss", m.mean_loss);
    assert_int_equal(gpt_backward(&m, NULL), LS_OK);
    agree("prefix dkv", p.dkv, g, n, 1e-5);
    free(kv), free(g);
    prefix_free(&p);
    gpt_free(&m);
    fixture_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_one_thread),
        cmocka_unit_test(test_full_two_threads),
        cmocka_unit_test(test_lora),
        cmocka_unit_test(test_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
