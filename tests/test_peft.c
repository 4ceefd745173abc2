/* test_peft.c — PEFT files: names, shapes and config keys of a saved LoRA
 * adapter (q and v slices stored as one block-diagonal c_attn LoRA), the
 * loader's round trip (the loaded adapter makes exactly the same update),
 * PiSSA saved against the original base, files on disk, and malformed
 * adapters refused with clear messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/base/rng.h"
#include "../src/core/linalg.h"
#include "../src/nn/gpt.h"
#include "../src/nn/safetensors.h"
#include "../src/tune/lora.h"
#include "../src/tune/peft.h"

enum { C = 8, L = 2, R = 2 };

static void tiny_model(Gpt *m, unsigned long long seed)
{
    GptConfig c = gpt_config_make(L, 2, C, 6);
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, seed);
}

static void random_adapter(LoraAdapter *a, const GptConfig *cfg, unsigned targets,
                           unsigned long long seed)
{
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, cfg, targets);
    assert_int_equal(lora_init(a, cfg, mods, n, R, 1.5f, NULL), LS_OK);
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < a->n_params; i++)
        a->params[i] = rng_normal(&r);
}

/* Largest |a - b| over two models' parameters. */
static double max_diff(const Gpt *a, const Gpt *b)
{
    double w = 0;
    for (size_t i = 0; i < a->num_params; i++) {
        double d = fabs((double)a->param_block[i] - b->param_block[i]);
        if (d > w) w = d;
    }
    return w;
}

/* Names, shapes, zero k rows and the config of a q+v adapter. */
static void test_layout(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 1);
    LoraAdapter a;
    random_adapter(&a, &m.cfg, LORA_TARGET_Q | LORA_TARGET_V | LORA_TARGET_FCPROJ, 3);
    char *config;
    unsigned char *bytes;
    size_t size;
    assert_int_equal(
        peft_lora_files(&a, NULL, &m.cfg, false, "data/models/base", &config, &bytes, &size, NULL),
        LS_OK);
    StFile f;
    assert_int_equal(st_parse(&f, bytes, size, NULL), LS_OK);
    assert_int_equal(f.n, 2 * L * 2); /* c_attn and mlp.c_proj, A and B, per layer */
    const StTensor *A = st_find(&f, "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight");
    const StTensor *B = st_find(&f, "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight");
    const StTensor *P = st_find(&f, "base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight");
    assert_non_null(A);
    assert_non_null(B);
    assert_non_null(P);
    /* q and v: rank 2R; mlp.c_proj padded to 2R with zeros. */
    assert_int_equal(A->ndim, 2);
    assert_int_equal(A->shape[0], 2 * R);
    assert_int_equal(A->shape[1], C);
    assert_int_equal(B->shape[0], 3 * C);
    assert_int_equal(B->shape[1], 2 * R);
    assert_int_equal(P->shape[0], 2 * R);
    assert_int_equal(P->shape[1], 4 * C);
    float b[3 * C * 2 * R];
    st_read_f32(&f, B, b);
    for (int row = C; row < 2 * C; row++)
        for (int j = 0; j < 2 * R; j++)
            assert_true(b[row * 2 * R + j] == 0.0f); /* k rows */
    for (int row = 0; row < C; row++)
        for (int j = R; j < 2 * R; j++)
            assert_true(b[row * 2 * R + j] == 0.0f); /* q uses the first R */
    float p[2 * R * 4 * C];
    st_read_f32(&f, P, p);
    for (int i = R * 4 * C; i < 2 * R * 4 * C; i++)
        assert_true(p[i] == 0.0f); /* padding */
    st_free(&f);

    cJSON *o = cJSON_Parse(config);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "peft_type")->valuestring, "LORA");
    assert_string_equal(cJSON_GetObjectItem(o, "task_type")->valuestring, "CAUSAL_LM");
    assert_string_equal(cJSON_GetObjectItem(o, "bias")->valuestring, "none");
    assert_string_equal(cJSON_GetObjectItem(o, "base_model_name_or_path")->valuestring,
                        "data/models/base");
    assert_int_equal(cJSON_GetObjectItem(o, "r")->valueint, 2 * R);
    /* scaling alpha / r' equals the run's 1.5 */
    assert_float_equal(cJSON_GetObjectItem(o, "lora_alpha")->valuedouble, 1.5 * 2 * R, 1e-6);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "fan_in_fan_out")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "use_rslora")));
    cJSON *tm = cJSON_GetObjectItem(o, "target_modules");
    assert_int_equal(cJSON_GetArraySize(tm), 2);
    assert_string_equal(cJSON_GetArrayItem(tm, 0)->valuestring, "c_attn");
    assert_string_equal(cJSON_GetArrayItem(tm, 1)->valuestring, "mlp.c_proj");
    cJSON_Delete(o);
    free(config);
    free(bytes);
    lora_free(&a);
    gpt_free(&m);
}

/* Save, load from memory, merge: the same weights as merging the original,
 * for plain and rsLoRA scaling and several target sets. */
static void test_round_trip(void **state)
{
    (void)state;
    const unsigned targets[] = {LORA_TARGET_DEFAULT, LORA_TARGET_ALL,
                                LORA_TARGET_K | LORA_TARGET_O};
    for (size_t t = 0; t < 3; t++)
        for (int rs = 0; rs < 2; rs++) {
            Gpt m1, m2;
            tiny_model(&m1, 2);
            tiny_model(&m2, 2);
            LoraAdapter a;
            random_adapter(&a, &m1.cfg, targets[t], 4 + t);
            char *config;
            unsigned char *bytes;
            size_t size;
            assert_int_equal(
                peft_lora_files(&a, NULL, &m1.cfg, rs, NULL, &config, &bytes, &size, NULL), LS_OK);
            PeftLora p;
            Status st;
            assert_int_equal(
                peft_load_lora_memory(&p, &m1.cfg, config, strlen(config), bytes, size, &st),
                LS_OK);
            assert_int_equal(p.rslora, rs);
            assert_float_equal(p.lora.scale, a.scale, 1e-5f);
            lora_add_to(&a, &m1, 1.0f);
            lora_add_to(&p.lora, &m2, 1.0f);
            assert_true(max_diff(&m1, &m2) < 1e-5);
            peft_lora_free(&p);
            free(config);
            free(bytes);
            lora_free(&a);
            gpt_free(&m1);
            gpt_free(&m2);
        }
}

/* PiSSA: the saved adapter applied to the ORIGINAL base gives the tuned
 * model (residual + s B A). */
static void test_pissa_saved_against_base(void **state)
{
    (void)state;
    Gpt orig, tuned, check;
    tiny_model(&orig, 3);
    tiny_model(&tuned, 3);
    tiny_model(&check, 3);
    LoraAdapter a;
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, &tuned.cfg, LORA_TARGET_Q | LORA_TARGET_V);
    assert_int_equal(lora_init(&a, &tuned.cfg, mods, n, R, 2.0f, NULL), LS_OK);
    assert_int_equal(lora_init_pissa(&a, &tuned, NULL), LS_OK);
    /* "Training": move A and B. */
    Rng r;
    rng_seed(&r, 9);
    for (size_t i = 0; i < a.n_params; i++)
        a.params[i] += 0.1f * rng_normal(&r);
    char *config;
    unsigned char *bytes;
    size_t size;
    assert_int_equal(
        peft_lora_files(&a, a.init, &tuned.cfg, false, NULL, &config, &bytes, &size, NULL), LS_OK);
    PeftLora p;
    assert_int_equal(
        peft_load_lora_memory(&p, &tuned.cfg, config, strlen(config), bytes, size, NULL), LS_OK);
    assert_int_equal(p.lora.rank, 4 * R); /* (q, v) x (new, -initial) */
    lora_add_to(&a, &tuned, 1.0f);        /* residual + s B A */
    lora_add_to(&p.lora, &check, 1.0f);   /* original + s (B A - B0 A0) */
    assert_true(max_diff(&tuned, &check) < 1e-4);
    assert_true(max_diff(&orig, &check) > 1e-3);
    peft_lora_free(&p);
    free(config);
    free(bytes);
    lora_free(&a);
    gpt_free(&orig);
    gpt_free(&tuned);
    gpt_free(&check);
}

/* Files on disk: peft_save_lora then peft_load_lora. */
static void test_disk(void **state)
{
    (void)state;
    Gpt m;
    tiny_model(&m, 5);
    LoraAdapter a;
    random_adapter(&a, &m.cfg, LORA_TARGET_DEFAULT, 6);
    char dir[] = "/tmp/lorascope_peft_XXXXXX";
    assert_non_null(mkdtemp(dir));
    Status st;
    assert_int_equal(peft_save_lora(&a, NULL, &m.cfg, false, dir, "base", &st), LS_OK);
    char type[32];
    assert_int_equal(peft_adapter_type(dir, type, sizeof type, &st), LS_OK);
    assert_string_equal(type, "LORA");
    PeftLora p;
    assert_int_equal(peft_load_lora(&p, &m.cfg, dir, &st), LS_OK);
    assert_string_equal(p.base_model, "base");
    peft_lora_free(&p);
    /* Loading for a model of another shape fails, naming the tensor. */
    GptConfig other = gpt_config_make(L, 2, 16, 6);
    assert_int_not_equal(peft_load_lora(&p, &other, dir, &st), LS_OK);
    assert_non_null(strstr(st.msg, "shape"));
    /* A missing folder is an I/O error naming the file. */
    assert_int_equal(peft_load_lora(&p, &m.cfg, "/nonexistent/adapter", &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "adapter_config.json"));
    char path[256];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    unlink(path);
    rmdir(dir);
    lora_free(&a);
    gpt_free(&m);
}

// ----------------------------------------------------------------------------
// Malformed adapters

/* A safetensors file from a header text and `data` bytes of zeros. */
static unsigned char *make_st(const char *header, size_t data, size_t *size)
{
    size_t h = strlen(header);
    *size = 8 + h + data;
    unsigned char *b = calloc(*size, 1);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    return b;
}

#define GOOD_CONFIG                                                                                \
    "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"c_attn\"],\"fan_in_"   \
    "fan_out\":true,"                                                                              \
    "\"bias\":\"none\"}"

/* The tensors of a good c_attn adapter for L = 2, C = 8, r = 2: A (2, 8)
 * is 64 bytes, B (24, 2) 192 bytes; per layer 256. */
static const char *good_header(void)
{
    return "{\"base_model.model.transformer.h.0.attn.c_attn.lora_A.weight\":{\"dtype\":\"F32\","
           "\"shape\":[2,8],"
           "\"data_offsets\":[0,64]},"
           "\"base_model.model.transformer.h.0.attn.c_attn.lora_B.weight\":{\"dtype\":\"F32\","
           "\"shape\":[24,2],"
           "\"data_offsets\":[64,256]},"
           "\"base_model.model.transformer.h.1.attn.c_attn.lora_A.weight\":{\"dtype\":\"F32\","
           "\"shape\":[2,8],"
           "\"data_offsets\":[256,320]},"
           "\"base_model.model.transformer.h.1.attn.c_attn.lora_B.weight\":{\"dtype\":\"F32\","
           "\"shape\":[24,2],"
           "\"data_offsets\":[320,512]}}";
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return out;
}

static void test_malformed(void **state)
{
    (void)state;
    GptConfig cfg = gpt_config_make(L, 2, C, 6);
    PeftLora p;
    Status st;
    size_t size;
    unsigned char *good = make_st(good_header(), 512, &size);
    assert_int_equal(
        peft_load_lora_memory(&p, &cfg, GOOD_CONFIG, strlen(GOOD_CONFIG), good, size, &st), LS_OK);
    assert_int_equal(p.lora.n_mod, 1);
    assert_int_equal(p.lora.mod[0].cols, 3 * C);
    assert_float_equal(p.lora.scale, 2.0f, 0);
    peft_lora_free(&p);

    static const struct {
        const char *from, *to, *msg;
    } configs[] = {
        {"\"LORA\"", "\"IA3\"", "peft_type"},
        {"\"r\":2", "\"r\":0", "\"r\""},
        {"\"r\":2", "\"r\":2.5", "whole number"},
        {"\"r\":2", "\"q\":2", "\"r\""},
        {"\"lora_alpha\":4", "\"lora_alpha\":-4", "lora_alpha"},
        {"\"lora_alpha\":4", "\"lora_alpha\":\"4\"", "lora_alpha"},
        {"\"bias\":\"none\"", "\"bias\":\"all\"", "bias"},
        {"[\"c_attn\"]", "[\"q_proj\"]", "q_proj"},
        {"[\"c_attn\"]", "42", "target_modules"},
        {"[\"c_attn\"]", "[\"c_fc\"]", "not in target_modules"},
        {"\"fan_in_fan_out\":true", "\"use_dora\":true", "DoRA"},
        {"\"fan_in_fan_out\":true", "\"rank_pattern\":{\"c_attn\":4}", "rank_pattern"},
        {"\"fan_in_fan_out\":true", "\"modules_to_save\":[\"lm_head\"]", "modules_to_save"},
    };
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        char *cfg_text = replace(GOOD_CONFIG, configs[i].from, configs[i].to);
        status_clear(&st);
        int rc = peft_load_lora_memory(&p, &cfg, cfg_text, strlen(cfg_text), good, size, &st);
        if (rc == LS_OK || !strstr(st.msg, configs[i].msg)) {
            print_error("config '%s': rc %d, '%s' (want '%s')\n", cfg_text, rc, st.msg,
                        configs[i].msg);
            fail();
        }
        free(cfg_text);
    }
    assert_int_not_equal(peft_load_lora_memory(&p, &cfg, "[1]", 3, good, size, &st), LS_OK);
    assert_non_null(strstr(st.msg, "not a JSON object"));
    assert_int_not_equal(peft_load_lora_memory(&p, &cfg, "{", 1, good, size, &st), LS_OK);
    assert_non_null(strstr(st.msg, "not valid JSON"));

    static const struct {
        const char *from, *to, *msg;
    } tensors[] = {
        {"\"shape\":[2,8]", "\"shape\":[4,4]", "wrong shape"},
        {"\"shape\":[24,2]", "\"shape\":[2,24]", "wrong shape"},
        {"\"dtype\":\"F32\",\"shape\":[2,8],\"data_offsets\":[0,64]",
         "\"dtype\":\"F16\",\"shape\":[2,16],\"data_offsets\":[0,64]", "F16"},
        {"h.1.attn.c_attn.lora_B", "h.1.attn.c_attn.lora_C", "unexpected tensor"},
        {"h.1.attn.c_attn.lora_B", "h.2.attn.c_attn.lora_B", "unexpected tensor"},
        {"h.1.attn.c_attn.lora_B", "h.0.attn.c_attn.lora_B",
         "missing"}, /* duplicate name: parser or loader */
        {"h.1.attn.c_attn.lora_A", "h.1.attn.c_proj.lora_A", "not in target_modules"},
    };
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        char *h = replace(good_header(), tensors[i].from, tensors[i].to);
        size_t n;
        unsigned char *b = make_st(h, 512, &n);
        status_clear(&st);
        int rc = peft_load_lora_memory(&p, &cfg, GOOD_CONFIG, strlen(GOOD_CONFIG), b, n, &st);
        if (rc == LS_OK || (!strstr(st.msg, tensors[i].msg) && !strstr(st.msg, "twice") &&
                            !strstr(st.msg, "duplicate"))) {
            print_error("header %zu: rc %d, '%s' (want '%s')\n", i, rc, st.msg, tensors[i].msg);
            fail();
        }
        free(b);
        free(h);
    }
    /* Missing half: drop layer 1's B (and its bytes). */
    {
        const char *h = "{\"base_model.model.transformer.h.0.attn.c_attn.lora_A.weight\":{"
                        "\"dtype\":\"F32\",\"shape\":[2,8],"
                        "\"data_offsets\":[0,64]},"
                        "\"base_model.model.transformer.h.0.attn.c_attn.lora_B.weight\":{\"dtype\":"
                        "\"F32\",\"shape\":[24,2],"
                        "\"data_offsets\":[64,256]},"
                        "\"base_model.model.transformer.h.1.attn.c_attn.lora_A.weight\":{\"dtype\":"
                        "\"F32\",\"shape\":[2,8],"
                        "\"data_offsets\":[256,320]}}";
        size_t n;
        unsigned char *b = make_st(h, 320, &n);
        assert_int_not_equal(
            peft_load_lora_memory(&p, &cfg, GOOD_CONFIG, strlen(GOOD_CONFIG), b, n, &st), LS_OK);
        assert_non_null(
            strstr(st.msg, "missing base_model.model.transformer.h.1.attn.c_attn.lora_B.weight"));
        free(b);
    }
    /* A non-finite weight. */
    {
        unsigned char *b = make_st(good_header(), 512, &size);
        float inf = INFINITY;
        memcpy(b + size - 4, &inf, 4);
        assert_int_not_equal(
            peft_load_lora_memory(&p, &cfg, GOOD_CONFIG, strlen(GOOD_CONFIG), b, size, &st), LS_OK);
        assert_non_null(strstr(st.msg, "non-finite"));
        free(b);
    }
    /* Truncated and empty files. */
    unsigned char *b = make_st(good_header(), 512, &size);
    for (size_t cut = 0; cut < size; cut += 37) {
        assert_int_not_equal(
            peft_load_lora_memory(&p, &cfg, GOOD_CONFIG, strlen(GOOD_CONFIG), b, cut, &st), LS_OK);
        assert_non_null(strstr(st.msg, "adapter_model.safetensors"));
    }
    free(b);
    free(good);
}

int main(void)
{
    linalg_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_pissa_saved_against_base),
        cmocka_unit_test(test_disk),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
