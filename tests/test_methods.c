/* test_methods.c — the methods added through the registry alone (ia3 ...):
 * each one's analytic gradients against central differences through its
 * TuneRun, and its saved PEFT files applied to a fresh copy of the base
 * (tune_adapter_apply) giving the trained model's own logits. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/base/rng.h"
#include "../src/core/linalg.h"
#include "../src/nn/checkpoint.h"
#include "../src/nn/fileio.h"
#include "../src/tune/tune.h"

enum { TB = 2, TT = 5 };

static const char *const specs[] = {"ia3", "dora:2,targets=q+v+o+fc+fcproj", "prompt:4"};
static const char *const fixture_names[] = {"ia3", "dora", "prompt"}; /* folders in tests/data/peft */
/* Is the exported file the same model in PEFT? Prompt tuning's is not: its
 * real tokens keep positions 0..T-1 (tune_prompt.c), PEFT's sit at P..P+T-1. */
static const bool peft_same[] = {true, true, false};
enum { N_SPECS = sizeof specs / sizeof specs[0] };

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

static const int in[TB * TT] = {3, 200, 17, 17, 255, 0, 9, 42, 128, 7};
static const int tg[TB * TT] = {200, 17, 17, 255, 1, 9, 42, 128, 7, 64};
static const int start[8] = {65, 66, 67, 68, 69, 70, 71, 72};

static double loss_of(TuneRun *r)
{
    assert_int_equal(tune_run_prepare_eval(r, NULL), LS_OK);
    assert_int_equal(gpt_forward(&r->model, in, tg, TB, TT, false, NULL), LS_OK);
    double s = 0;
    for (int i = 0; i < TB * TT; i++)
        s += r->model.acts.losses[i];
    return s / (TB * TT);
}

/* A run of spec whose parameters are moved off their start (so every
 * gradient carries signal). */
static void make_run(TuneRun *r, Gpt *base, const char *text)
{
    TuneSpec spec;
    assert_int_equal(tune_spec_parse(&spec, text, NULL), LS_OK);
    TuneSchedule sched = tune_schedule_defaults(10);
    Status st;
    if (tune_run_init(r, &spec, base, TB, TT, &sched, 3, start, 8, &st)) fail_msg("%s", st.msg);
    TuneSpan sp[TUNE_MAX_SPANS];
    int ns = r->method->spans(r, sp);
    Rng g;
    rng_seed(&g, 9);
    for (int k = 0; k < ns; k++)
        for (size_t i = 0; i < sp[k].n; i++) sp[k].params[i] += 0.3f * rng_normal(&g);
}

static void test_gradients(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 5);
    for (int s = 0; s < N_SPECS; s++) {
        TuneRun r;
        make_run(&r, &base, specs[s]);
        TuneSpan sp[TUNE_MAX_SPANS];
        int ns = r.method->spans(&r, sp);
        r.method->zero_grad(&r);
        if (r.method->before_forward) r.method->before_forward(&r);
        assert_int_equal(gpt_forward(&r.model, in, tg, TB, TT, true, NULL), LS_OK);
        assert_int_equal(gpt_backward(&r.model, NULL), LS_OK);
        if (r.method->after_backward) r.method->after_backward(&r);
        int checked = 0;
        double biggest = 0;
        for (int k = 0; k < ns; k++) {
            float *g = malloc(sp[k].n * sizeof(float));
            memcpy(g, sp[k].grads, sp[k].n * sizeof(float));
            size_t stride = sp[k].n / 50 + 1;
            for (size_t i = 0; i < sp[k].n; i += stride) {
                const float eps = 1e-2f;
                float keep = sp[k].params[i];
                sp[k].params[i] = keep + eps;
                double up = loss_of(&r);
                sp[k].params[i] = keep - eps;
                double down = loss_of(&r);
                sp[k].params[i] = keep;
                double num = (up - down) / (2.0 * eps);
                double err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
                if (err > 3e-2) fail_msg("%s param %zu: analytic %.6g numeric %.6g", specs[s], i, (double)g[i], num);
                checked++;
                biggest = fmax(biggest, fabs(num));
            }
            free(g);
        }
        assert_true(checked >= 20);
        assert_true(biggest > 1e-2); /* the check saw real gradients */
        tune_run_free(&r);
    }
    gpt_free(&base);
}

/* Saved, then applied to a fresh copy of the base: the same logits. */
static void test_save_apply(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 6);
    int V = base.cfg.vocab_size;
    for (int s = 0; s < N_SPECS; s++) {
        TuneRun r;
        make_run(&r, &base, specs[s]);
        loss_of(&r);
        float *want = malloc((size_t)TB * TT * V * sizeof(float));
        memcpy(want, r.model.acts.logits, (size_t)TB * TT * V * sizeof(float));
        char dir[] = "/tmp/lorascope_methods_XXXXXX";
        assert_non_null(mkdtemp(dir));
        Status st;
        if (tune_run_save(&r, dir, "tiny", &st)) fail_msg("%s", st.msg);
        Gpt m;
        assert_int_equal(gpt_init(&m, &base.cfg, NULL), LS_OK);
        memcpy(m.param_block, base.param_block, base.num_params * sizeof(float));
        TuneApplied ap;
        if (tune_adapter_apply(&m, dir, &ap, &st)) fail_msg("%s", st.msg);
        assert_ptr_equal(ap.method, r.method);
        assert_int_equal(gpt_reserve(&m, TB, TT, NULL), LS_OK);
        assert_int_equal(gpt_forward(&m, in, tg, TB, TT, false, NULL), LS_OK);
        double worst = 0;
        for (int i = 0; i < TB * TT * V; i++) worst = fmax(worst, fabs(m.acts.logits[i] - want[i]));
        if (worst > 1e-4) fail_msg("%s: applied adapter's logits differ by %g", specs[s], worst);
        tune_applied_free(&ap);
        gpt_free(&m);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        free(want);
        tune_run_free(&r);
    }
    gpt_free(&base);
}

/* Bad files are refused with a message, the model untouched. */
static void test_bad_files(void **state)
{
    (void)state;
    Gpt base;
    tiny_model(&base, 7);
    static const struct {
        const char *file, *from, *to;
    } cuts[] = {
        {"adapter_config.json", "\"IA3\"", "\"IA4\""},
        {"adapter_config.json", "\"mlp.c_proj\"]", "\"mlp.c_fcxx\"]"},
        {"adapter_config.json", "\"use_dora\":\ttrue", "\"use_dora\":\t7"},
        {"adapter_model.safetensors", "ia3_l", "ia3_x"},
        {"adapter_model.safetensors", "lora_magnitude_vector", "lora_magnitude_vectoR"},
        {"adapter_config.json", "\"PROMPT_TUNING\"", "\"PREFIX_TUNING\""},
        {"adapter_config.json", "\"num_virtual_tokens\":\t4", "\"num_virtual_tokens\":\t5"},
        {"adapter_config.json", "\"token_dim\":\t8", "\"token_dim\":\t0"},
        {"adapter_model.safetensors", "prompt_embeddings", "prompt_embeddingz"},
    };
    for (int s = 0; s < N_SPECS; s++) {
        TuneRun r;
        make_run(&r, &base, specs[s]);
        int tried = 0;
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            char dir[] = "/tmp/lorascope_bad_XXXXXX", path[128];
            assert_non_null(mkdtemp(dir));
            assert_int_equal(tune_run_save(&r, dir, "tiny", NULL), LS_OK);
            snprintf(path, sizeof path, "%s/%s", dir, cuts[c].file);
            unsigned char *buf;
            size_t n;
            assert_int_equal(file_read_all(path, 1 << 20, &buf, &n, NULL), LS_OK);
            char *at = memmem(buf, n, cuts[c].from, strlen(cuts[c].from));
            bool applies = at && strlen(cuts[c].from) == strlen(cuts[c].to);
            if (applies) {
                tried++;
                memcpy(at, cuts[c].to, strlen(cuts[c].to));
                FILE *f = fopen(path, "wb");
                fwrite(buf, 1, n, f);
                fclose(f);
                Gpt m;
                assert_int_equal(gpt_init(&m, &base.cfg, NULL), LS_OK);
                memcpy(m.param_block, base.param_block, base.num_params * sizeof(float));
                TuneApplied ap;
                Status st;
                status_clear(&st);
                if (tune_adapter_apply(&m, dir, &ap, &st) == LS_OK)
                    fail_msg("%s: %s with %s accepted", specs[s], cuts[c].file, cuts[c].to);
                assert_true(st.msg[0] != '\0');
                gpt_free(&m);
            }
            free(buf);
            char cmd[128];
            snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
            assert_int_equal(system(cmd), 0);
        }
        assert_true(tried >= 2); /* each method met at least two bad files */
        tune_run_free(&r);
    }
    gpt_free(&base);
}

// ----------------------------------------------------------------------------
// The same adapters through PEFT's semantics (tests/peft/peft_forward.py)
//
// tests/data/peft/ holds a small model (fixture_model) and the adapters
// lorascope exported for it (each method of specs[], parameters moved off
// their start as make_run does), written by this program with
// LORASCOPE_WRITE_PEFT_FIXTURE=1; and what the independent torch forward
// pass made of them (NAME.expected.json). Here lorascope applies the
// committed files itself and must get the same loss and logits; for a file
// that is not PEFT's model (peft_same false: prompt tuning) it must match
// the script's forward with lorascope's positions, and PEFT's own reading
// must differ (the "not PEFT-equivalent" of its config is real).

#define FIXTURE_DIR "tests/data/peft"
#define FIXTURE_TEXT "Call me Ishmael. Some"

static void fixture_model(Gpt *m)
{
    GptConfig c = gpt_config_make(2, 2, 16, 24);
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, 21);
    Rng r;
    rng_seed(&r, 121);
    for (size_t i = 0; i < m->num_params; i++)
        m->param_block[i] += 0.1f * rng_normal(&r);
}

static void write_fixture(void)
{
    Gpt base;
    fixture_model(&base);
    Status st;
    if (gpt_save(&base, FIXTURE_DIR "/model", &st)) fail_msg("%s", st.msg);
    for (int s = 0; s < N_SPECS; s++) {
        TuneRun r;
        make_run(&r, &base, specs[s]);
        char dir[256];
        snprintf(dir, sizeof dir, FIXTURE_DIR "/%s", fixture_names[s]);
        if (tune_run_save(&r, dir, "tests/data/peft/model", &st)) fail_msg("%s", st.msg);
        tune_run_free(&r);
    }
    gpt_free(&base);
}

static void test_peft_semantics(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_WRITE_PEFT_FIXTURE")) write_fixture();
    const char *text = FIXTURE_TEXT;
    int T = (int)strlen(text) - 1;
    int *tin = malloc((size_t)T * sizeof(int)), *ttg = malloc((size_t)T * sizeof(int));
    for (int i = 0; i < T; i++) tin[i] = (unsigned char)text[i], ttg[i] = (unsigned char)text[i + 1];
    for (int s = 0; s < N_SPECS; s++) {
        Status st;
        Gpt m;
        if (gpt_load(&m, FIXTURE_DIR "/model", &st)) fail_msg("%s", st.msg);
        char dir[256], path[300];
        snprintf(dir, sizeof dir, FIXTURE_DIR "/%s", fixture_names[s]);
        TuneApplied ap;
        if (tune_adapter_apply(&m, dir, &ap, &st)) fail_msg("%s", st.msg);
        assert_int_equal(gpt_reserve(&m, 1, T, NULL), LS_OK);
        assert_int_equal(gpt_forward(&m, tin, ttg, 1, T, false, NULL), LS_OK);
        double loss = 0;
        for (int i = 0; i < T; i++) loss += m.acts.losses[i];
        loss /= T;
        snprintf(path, sizeof path, FIXTURE_DIR "/%s.expected.json", fixture_names[s]);
        unsigned char *buf;
        size_t n;
        if (file_read_all(path, 1 << 20, &buf, &n, &st)) fail_msg("%s", st.msg);
        cJSON *o = cJSON_ParseWithLength((const char *)buf, n);
        assert_non_null(o);
        assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring, text);
        const cJSON *ours = o;
        if (!peft_same[s]) {
            ours = cJSON_GetObjectItem(o, "real_positions_from_0");
            assert_non_null(ours);
            double peft = cJSON_GetObjectItem(o, "loss")->valuedouble;
            if (fabs(loss - peft) < 1e-2)
                fail_msg("%s: PEFT's semantics give %.7f, lorascope %.7f: the same model after all?",
                         specs[s], peft, loss);
        }
        double want = cJSON_GetObjectItem(ours, "loss")->valuedouble;
        if (fabs(loss - want) > 1e-4 * fabs(want))
            fail_msg("%s: lorascope's loss %.7f, the independent forward's %.7f", specs[s], loss, want);
        const cJSON *lg = cJSON_GetObjectItem(ours, "last_logits");
        int V = m.cfg.vocab_size;
        for (int i = 0; i < cJSON_GetArraySize(lg); i++) {
            double a = m.acts.logits[(size_t)(T - 1) * V + i], b = cJSON_GetArrayItem(lg, i)->valuedouble;
            if (fabs(a - b) > 1e-4 + 1e-4 * fabs(b)) fail_msg("%s: logit %d is %g, PEFT's %g", specs[s], i, a, b);
        }
        cJSON_Delete(o);
        free(buf);
        tune_applied_free(&ap);
        gpt_free(&m);
    }
    free(tin);
    free(ttg);
}

int main(void)
{
    linalg_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_save_apply),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_peft_semantics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
