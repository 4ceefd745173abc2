/* test_prefix.c — prefix tuning: a prefix of length 0 is the base model,
 * the start is the base model's own keys and values, gradients of the
 * prefix and of its MLP reparameterisation against finite differences, and
 * dropping the MLP after training leaves the model's outputs unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/base/rng.h"
#include "../src/core/linalg.h"
#include "../src/nn/gpt.h"
#include "../src/tune/peft.h"
#include "../src/tune/prefix.h"
#include "../src/tune/tune.h"

enum { TB = 2, TT = 5 };

static void tiny_model(Gpt *m, unsigned long long seed)
{
    GptConfig c = gpt_config_make(2, 2, 8, 6);
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

static double model_loss(Gpt *m, Prefix *p, const int *inputs, const int *targets)
{
    prefix_mlp_forward(p);
    assert_int_equal(gpt_forward(m, inputs, targets, TB, TT, false, NULL), LS_OK);
    double s = 0;
    for (int i = 0; i < TB * TT; i++)
        s += m->acts.losses[i];
    return s / (TB * TT);
}

static void random_fill(float *x, size_t n, float scale, unsigned long long seed)
{
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * rng_normal(&r);
}

/* Central differences on `count` entries of x against g. */
static void check(const char *what, Gpt *m, Prefix *p, float *x, const float *g, size_t n,
                  int count, const int *in, const int *tg)
{
    const float eps = 1e-2f;
    size_t stride = n / (size_t)count + 1;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + eps;
        double up = model_loss(m, p, in, tg);
        x[i] = keep - eps;
        double down = model_loss(m, p, in, tg);
        x[i] = keep;
        double num = (up - down) / (2.0 * eps);
        double err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
        if (err > 3e-2) {
            print_error("%s[%zu]: analytic %.6g numeric %.6g\n", what, i, (double)g[i], num);
            fail();
        }
    }
}

static void analytic(Gpt *m, Prefix *p, const int *in, const int *tg)
{
    prefix_zero_grad(p);
    prefix_mlp_forward(p);
    assert_int_equal(gpt_forward(m, in, tg, TB, TT, true, NULL), LS_OK);
    assert_int_equal(gpt_backward(m, NULL), LS_OK);
    prefix_mlp_backward(p);
}

/* prefix:0 is the base model, logit for logit. */
static void test_prefix_zero_is_base(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 1);
    assert_int_equal(gpt_reserve(&base, TB, TT, NULL), LS_OK);
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    assert_int_equal(gpt_forward(&base, in, NULL, TB, TT, false, NULL), LS_OK);
    TuneSpec s;
    assert_int_equal(tune_spec_parse(&s, "prefix:0", NULL), LS_OK);
    TuneSchedule sched = tune_schedule_defaults(4);
    TuneRun r;
    assert_int_equal(tune_run_init(&r, &s, &base, TB, TT, &sched, 1, NULL, 0, NULL), LS_OK);
    assert_int_equal(r.trainable_params, 0);
    assert_int_equal(gpt_forward(&r.model, in, NULL, TB, TT, false, NULL), LS_OK);
    assert_memory_equal(r.model.acts.logits, base.acts.logits,
                        (size_t)TB * TT * 256 * sizeof(float));
    tune_run_free(&r);
    gpt_free(&base);
}

/* The start: the keys and values the base computes for the given bytes,
 * also when P is longer than n_positions (read in windows). */
static void test_prefix_start(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 2);
    GptConfig c = base.cfg;
    int P = 9, C = c.n_embd; /* n_positions is 6: two windows, 6 + 3 */
    int tokens[9] = {65, 66, 67, 68, 69, 70, 71, 72, 73};
    Prefix p;
    assert_int_equal(prefix_init(&p, &c, P, 0, NULL), LS_OK);
    assert_int_equal(prefix_init_from_tokens(&p, &base, tokens, 1, NULL), LS_OK);
    assert_int_equal(gpt_reserve(&base, 1, 6, NULL), LS_OK);
    assert_int_equal(gpt_forward(&base, tokens, NULL, 1, 6, false, NULL), LS_OK);
    for (int l = 0; l < c.n_layer; l++)
        for (int t = 0; t < 6; t++) {
            const float *qkv = base.acts.qkv + ((size_t)l * 6 + t) * 3 * C;
            const float *k, *v;
            float *dk, *dv;
            prefix_kv_of(&p, l, &k, &v, &dk, &dv);
            assert_memory_equal(k + t * C, qkv + C, C * sizeof(float));
            assert_memory_equal(v + t * C, qkv + 2 * C, C * sizeof(float));
        }
    /* With the MLP the prefix starts at the same place (W2, b2 = 0). */
    Prefix q;
    assert_int_equal(prefix_init(&q, &c, P, 5, NULL), LS_OK);
    assert_int_equal(prefix_init_from_tokens(&q, &base, tokens, 1, NULL), LS_OK);
    assert_memory_equal(q.kv, p.kv, (size_t)c.n_layer * 2 * P * C * sizeof(float));
    prefix_free(&p);
    prefix_free(&q);
    gpt_free(&base);
}

/* Gradients of the prefix keys and values, and of the MLP's parameters. */
static void test_prefix_gradients(void **state)
{
    (void)state;
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    for (int mlp = 0; mlp < 2; mlp++) {
        Gpt m;
        tiny_model(&m, 3);
        for (int id = 0; id < GPT_NUM_TENSORS; id++)
            gpt_set_trainable(&m, (GptTensorId)id, false);
        assert_int_equal(gpt_alloc_grads(&m, NULL), LS_OK);
        Prefix p;
        assert_int_equal(prefix_init(&p, &m.cfg, 3, mlp ? 6 : 0, NULL), LS_OK);
        size_t n;
        float *params = prefix_params(&p, &n);
        random_fill(params, n, mlp ? 0.5f : 1.0f, 7);
        if (mlp) random_fill(p.start, (size_t)m.cfg.n_layer * 2 * 3 * 8, 0.5f, 8);
        assert_int_equal(prefix_alloc_grads(&p, NULL), LS_OK);
        prefix_attach(&p, &m);
        assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
        analytic(&m, &p, in, tg);
        float *g = malloc(n * sizeof(float));
        memcpy(g, prefix_grads(&p), n * sizeof(float));
        check(mlp ? "prefix mlp" : "prefix kv", &m, &p, params, g, n, 80, in, tg);
        free(g);
        prefix_free(&p);
        gpt_free(&m);
    }
}

/* Train prefix:4,mlp a few steps, save (the MLP dropped: the prefix alone),
 * load: the model's outputs are the same as with the MLP. */
static void test_drop_mlp(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 4);
    int in[TB * TT], tg[TB * TT];
    tiny_batch(in, tg);
    TuneSpec s;
    assert_int_equal(tune_spec_parse(&s, "prefix:4,mlp,hidden=6", NULL), LS_OK);
    TuneSchedule sched = tune_schedule_defaults(5);
    TuneRun r;
    int start[4] = {1, 2, 3, 4};
    assert_int_equal(tune_run_init(&r, &s, &base, TB, TT, &sched, 1, start, 4, NULL), LS_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(tune_run_step(&r, in, tg, NULL, NULL), LS_OK);
    assert_int_equal(tune_run_prepare_eval(&r, NULL), LS_OK);
    assert_int_equal(gpt_forward(&r.model, in, NULL, TB, TT, false, NULL), LS_OK);
    size_t nl = (size_t)TB * TT * 256;
    float *with_mlp = malloc(nl * sizeof(float));
    memcpy(with_mlp, r.model.acts.logits, nl * sizeof(float));
    char dir[] = "/tmp/lorascope_prefix_XXXXXX";
    assert_non_null(mkdtemp(dir));
    Status st;
    assert_int_equal(tune_run_save(&r, dir, "tiny", &st), LS_OK);
    /* The file says it is not PEFT's model: PEFT's GPT-2 moves the real
     * tokens' positions by P, lorascope's prefix does not. */
    {
        char *cfg;
        size_t clen;
        unsigned char *mb;
        size_t ml;
        assert_int_equal(peft_read_adapter(dir, &cfg, &clen, &mb, &ml, NULL), LS_OK);
        assert_non_null(strstr(cfg, "not PEFT-equivalent"));
        free(cfg);
        free(mb);
    }
    Prefix p;
    assert_int_equal(peft_load_prefix(&p, &base.cfg, dir, &st), LS_OK);
    assert_false(p.mlp);
    assert_int_equal(p.P, 4);
    Gpt m;
    tiny_model(&m, 4);
    prefix_attach(&p, &m);
    assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
    assert_int_equal(gpt_forward(&m, in, NULL, TB, TT, false, NULL), LS_OK);
    assert_memory_equal(m.acts.logits, with_mlp, nl * sizeof(float));
    char path[256];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    unlink(path);
    rmdir(dir);
    free(with_mlp);
    prefix_free(&p);
    gpt_free(&m);
    tune_run_free(&r);
    gpt_free(&base);
}

int main(void)
{
    linalg_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_zero_is_base),
        cmocka_unit_test(test_prefix_start),
        cmocka_unit_test(test_prefix_gradients),
        cmocka_unit_test(test_drop_mlp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
