/* test_checkpoint.c — safetensors and model folders: a bit-identical round
 * trip, and one clear error for every kind of malformed file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/nn/checkpoint.h"
#include "../src/nn/fileio.h"
#include "../src/nn/safetensors.h"

// ----------------------------------------------------------------------------
// Helpers

static void small_model(Gpt *m)
{
    GptConfig c = gpt_config_make(2, 2, 8, 6);
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, 11);
}

/* A safetensors file from a header string and raw data. */
static unsigned char *make_st(const char *header, const void *data, size_t data_len, size_t *size)
{
    size_t h = strlen(header);
    *size = 8 + h + data_len;
    unsigned char *b = malloc(*size);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (data_len) memcpy(b + 8 + h, data, data_len);
    return b;
}

/* Re-serialise a valid file after `edit` changed its JSON header. */
static unsigned char *edit_header(const unsigned char *src, size_t size, void (*edit)(cJSON *root),
                                  size_t *out_size)
{
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = (h << 8) | src[i];
    cJSON *root = cJSON_ParseWithLength((const char *)src + 8, (size_t)h);
    assert_non_null(root);
    edit(root);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    unsigned char *b = make_st(text, src + 8 + h, size - 8 - (size_t)h, out_size);
    free(text);
    return b;
}

static char config_text[4096];

/* Load a model from (config_text, bytes) and expect failure with `needle`
 * in the message. */
static void expect_load_error(const char *cfg, const void *bytes, size_t size, const char *needle)
{
    Gpt m;
    Status st;
    status_clear(&st);
    int rc = gpt_load_memory(&m, cfg, strlen(cfg), bytes, size, &st);
    if (rc == LS_OK || !strstr(st.msg, needle)) {
        print_error("expected an error containing '%s', got rc %d: %s\n", needle, rc, st.msg);
        if (rc == LS_OK) gpt_free(&m);
        fail();
    }
}

static unsigned char *valid_bytes(size_t *size)
{
    Gpt m;
    small_model(&m);
    unsigned char *b;
    assert_int_equal(gpt_serialize(&m, &b, size, NULL), LS_OK);
    char *cfg = gpt_config_json(&m.cfg);
    snprintf(config_text, sizeof config_text, "%s", cfg);
    free(cfg);
    gpt_free(&m);
    return b;
}

// ----------------------------------------------------------------------------
// Round trips

static void test_round_trip_folder(void **state)
{
    (void)state;
    char dir[] = "/tmp/lorascope-ckpt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256];
    snprintf(sub, sizeof sub, "%s/a/model", dir); /* created with its parents */
    Gpt m, back;
    small_model(&m);
    Status st;
    assert_int_equal(gpt_save(&m, sub, &st), LS_OK);
    assert_int_equal(gpt_load(&back, sub, &st), LS_OK);
    assert_memory_equal(&m.cfg, &back.cfg, sizeof m.cfg);
    assert_int_equal(m.num_params, back.num_params);
    assert_memory_equal(m.param_block, back.param_block, m.num_params * sizeof(float));
    /* Saving again gives the same bytes. */
    unsigned char *b1, *b2;
    size_t s1, s2;
    assert_int_equal(gpt_serialize(&m, &b1, &s1, NULL), LS_OK);
    assert_int_equal(gpt_serialize(&back, &b2, &s2, NULL), LS_OK);
    assert_int_equal(s1, s2);
    assert_memory_equal(b1, b2, s1);
    /* The header: 8-byte aligned data, __metadata__ {"format": "pt"}, HF names,
     * Conv1D (in, out) shapes; no lm_head. */
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = (h << 8) | b1[i];
    assert_int_equal(h % 8, 0);
    cJSON *root = cJSON_ParseWithLength((const char *)b1 + 8, (size_t)h);
    assert_non_null(root);
    cJSON *meta = cJSON_GetObjectItem(root, "__metadata__");
    assert_string_equal(cJSON_GetObjectItem(meta, "format")->valuestring, "pt");
    cJSON *qkv = cJSON_GetObjectItem(root, "transformer.h.1.attn.c_attn.weight");
    assert_non_null(qkv);
    cJSON *shape = cJSON_GetObjectItem(qkv, "shape");
    assert_int_equal(cJSON_GetArrayItem(shape, 0)->valueint, 8);
    assert_int_equal(cJSON_GetArrayItem(shape, 1)->valueint, 24);
    assert_non_null(cJSON_GetObjectItem(root, "transformer.h.0.mlp.c_proj.weight"));
    assert_non_null(cJSON_GetObjectItem(root, "transformer.ln_f.bias"));
    assert_null(cJSON_GetObjectItem(root, "lm_head.weight"));
    assert_int_equal(cJSON_GetArraySize(root), 1 + 2 + 12 * 2 + 2);
    cJSON_Delete(root);
    /* config.json holds the GPT2Config keys. */
    char path[300];
    snprintf(path, sizeof path, "%s/config.json", sub);
    unsigned char *text;
    size_t len;
    assert_int_equal(file_read_all(path, 1 << 20, &text, &len, NULL), LS_OK);
    cJSON *cfg = cJSON_Parse((const char *)text);
    assert_string_equal(cJSON_GetObjectItem(cfg, "model_type")->valuestring, "gpt2");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "architectures"), 0)->valuestring,
                        "GPT2LMHeadModel");
    assert_string_equal(cJSON_GetObjectItem(cfg, "activation_function")->valuestring, "gelu_new");
    assert_int_equal(cJSON_GetObjectItem(cfg, "vocab_size")->valueint, 256);
    assert_int_equal(cJSON_GetObjectItem(cfg, "n_positions")->valueint, 6);
    assert_float_equal(cJSON_GetObjectItem(cfg, "layer_norm_epsilon")->valuedouble, 1e-5, 1e-12);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cfg, "n_inner")));
    cJSON_Delete(cfg);
    free(text);
    free(b1);
    free(b2);
    gpt_free(&m);
    gpt_free(&back);
    /* No temporary files left behind. */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 2 && rm -rf %s", sub, dir);
    assert_int_equal(system(cmd), 0);
}

static void test_load_memory(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = valid_bytes(&size);
    Gpt m;
    assert_int_equal(gpt_load_memory(&m, config_text, strlen(config_text), b, size, NULL), LS_OK);
    assert_int_equal(m.cfg.n_layer, 2);
    gpt_free(&m);
    free(b);
}

static void test_missing_folder(void **state)
{
    (void)state;
    Gpt m;
    Status st;
    assert_int_equal(gpt_load(&m, "/nonexistent/lorascope-model", &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "/nonexistent/lorascope-model/config.json"));
}

// ----------------------------------------------------------------------------
// Malformed safetensors

static void test_truncated_header_length(void **state)
{
    (void)state;
    unsigned char b[5] = {1, 2, 3, 4, 5};
    StFile f;
    Status st;
    assert_int_equal(st_parse(&f, b, 5, &st), LS_ERR_PARSE);
    assert_non_null(strstr(st.msg, "too short"));
    expect_load_error("{\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,\"n_head\":2}", b, 5,
                      "model.safetensors: 5 bytes is too short");
}

static void test_header_past_end(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = make_st("{}", NULL, 0, &size);
    b[0] = 200; /* claims 200 header bytes in a 10-byte file */
    StFile f;
    Status st;
    assert_int_equal(st_parse(&f, b, size, &st), LS_ERR_PARSE);
    assert_non_null(strstr(st.msg, "runs past the end"));
    free(b);
}

static void test_invalid_json(void **state)
{
    (void)state;
    const char *bad[] = {"{\"a\": ", "not json", "[1, 2]", "{\"a\":{\"dtype\":\"F32\"}} x", ""};
    const char *want[] = {"not valid JSON", "not valid JSON", "not a JSON object", "text after", "not valid JSON"};
    for (int i = 0; i < 5; i++) {
        size_t size;
        unsigned char *b = make_st(bad[i], NULL, 0, &size);
        StFile f;
        Status st;
        status_clear(&st);
        assert_int_equal(st_parse(&f, b, size, &st), i == 2 ? LS_ERR_PARSE : LS_ERR_PARSE);
        if (!strstr(st.msg, want[i])) {
            print_error("case %d: %s\n", i, st.msg);
            fail();
        }
        free(b);
    }
}

static void test_bad_offsets(void **state)
{
    (void)state;
    float data[4] = {1, 2, 3, 4};
    struct {
        const char *header, *want;
    } cases[] = {
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,32]}}", "outside the data"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,8]}}", "outside the data"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[-4,12]}}", "not non-negative"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", "need 12"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", "unindexed bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "trailing bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "appears twice"},
        {"{\"t\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", "unknown dtype"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4.5],\"data_offsets\":[0,16]}}", "shape[0]"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,16]}}",
         "more than"},
        {"{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", "missing \"shape\""},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0]}}", "data_offsets"},
        {"{\"__metadata__\":{\"format\":1}}", "not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t size;
        unsigned char *b = make_st(cases[i].header, data, sizeof data, &size);
        StFile f;
        Status st;
        status_clear(&st);
        int rc = st_parse(&f, b, size, &st);
        if (rc == LS_OK || !strstr(st.msg, cases[i].want)) {
            print_error("case %zu: rc %d '%s' (wanted '%s')\n", i, rc, st.msg, cases[i].want);
            if (rc == LS_OK) st_free(&f);
            fail();
        }
        free(b);
    }
    /* A good one with metadata and padding spaces parses. */
    size_t size;
    unsigned char *b = make_st("{\"__metadata__\":{\"k\":\"v\"},\"t\":{\"dtype\":\"F32\",\"shape\":[2,2],"
                               "\"data_offsets\":[0,16]}}    ", data, sizeof data, &size);
    StFile f;
    assert_int_equal(st_parse(&f, b, size, NULL), LS_OK);
    assert_int_equal(f.n, 1);
    float out[4];
    st_read_f32(&f, st_find(&f, "t"), out);
    assert_memory_equal(out, data, sizeof data);
    st_free(&f);
    free(b);
}

// ----------------------------------------------------------------------------
// Malformed models

static void to_f16(cJSON *root)
{
    /* Same byte count: a (8,) F32 bias declared as (16,) F16. */
    cJSON *t = cJSON_GetObjectItem(root, "transformer.h.1.ln_2.bias");
    cJSON_ReplaceItemInObject(t, "dtype", cJSON_CreateString("F16"));
    cJSON *shape = cJSON_GetObjectItem(t, "shape");
    cJSON_ReplaceItemInArray(shape, 0, cJSON_CreateNumber(16));
}

static void to_bad_shape(cJSON *root)
{
    /* (8, 24) declared as (24, 8): same bytes, wrong layout. */
    cJSON *shape = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "transformer.h.0.attn.c_attn.weight"), "shape");
    cJSON_ReplaceItemInArray(shape, 0, cJSON_CreateNumber(24));
    cJSON_ReplaceItemInArray(shape, 1, cJSON_CreateNumber(8));
}

static void rename_tensor(cJSON *root, const char *from, const char *to)
{
    cJSON *t = cJSON_DetachItemFromObject(root, from);
    assert_non_null(t);
    cJSON_AddItemToObject(root, to, t);
}

static void to_missing(cJSON *root) { rename_tensor(root, "transformer.wpe.weight", "transformer.wpe.weigth"); }
static void to_legacy(cJSON *root) { rename_tensor(root, "transformer.wpe.weight", "transformer.h.0.attn.masked_bias"); }

static void test_model_errors(void **state)
{
    (void)state;
    size_t size, n2;
    unsigned char *b = valid_bytes(&size);
    unsigned char *x;

    x = edit_header(b, size, to_f16, &n2);
    expect_load_error(config_text, x, n2,
                      "model.safetensors: tensor 'transformer.h.1.ln_2.bias' has dtype F16; lorascope reads F32 only");
    free(x);
    x = edit_header(b, size, to_bad_shape, &n2);
    expect_load_error(config_text, x, n2,
                      "tensor 'transformer.h.0.attn.c_attn.weight' has shape (24, 8); config.json implies (8, 24)");
    free(x);
    x = edit_header(b, size, to_missing, &n2);
    expect_load_error(config_text, x, n2, "tensor 'transformer.wpe.weight' is missing");
    free(x);
    x = edit_header(b, size, to_legacy, &n2); /* legacy buffer names are fine, wpe still missing */
    expect_load_error(config_text, x, n2, "tensor 'transformer.wpe.weight' is missing");
    free(x);
    /* A config whose sizes disagree with the file: every shape is checked. */
    char cfg3[4096];
    snprintf(cfg3, sizeof cfg3, "%s", config_text);
    char *p = strstr(cfg3, "\"n_positions\":");
    assert_non_null(p);
    p[strlen("\"n_positions\":") + 1] = '7';
    expect_load_error(cfg3, b, size, "tensor 'transformer.wpe.weight' has shape (6, 8); config.json implies (7, 8)");
    /* A NaN in the weights. */
    unsigned char *nan = malloc(size);
    memcpy(nan, b, size);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = (h << 8) | nan[i];
    float q = NAN;
    memcpy(nan + 8 + h + 4, &q, 4); /* wte[1] */
    expect_load_error(config_text, nan, size, "tensor 'transformer.wte.weight' holds NaN");
    free(nan);
    free(b);
}

/* Extra tensors: an error, except a tied lm_head.weight. */
static void test_extra_tensors(void **state)
{
    (void)state;
    Gpt m;
    small_model(&m);
    int n = 0;
    StWriteTensor ts[40];
    char names[40][96];
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        GptTensorInfo ti = gpt_tensor_info(&m.cfg, (GptTensorId)id);
        size_t per = (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
        for (int l = 0; l < ti.layers; l++, n++) {
            if (strstr(ti.name, "%d"))
                snprintf(names[n], sizeof names[n], "transformer.h.%d%s", l, ti.name + strlen("transformer.h.%d"));
            else
                snprintf(names[n], sizeof names[n], "%s", ti.name);
            ts[n] = (StWriteTensor){names[n], m.params.t[id] + l * per, ti.cols ? 2 : 1, {ti.rows, ti.cols}};
        }
    }
    char *cfg = gpt_config_json(&m.cfg);
    unsigned char *b;
    size_t size;
    /* + lm_head.weight equal to wte: accepted. */
    ts[n] = (StWriteTensor){"lm_head.weight", m.params.wte, 2, {256, 8}};
    assert_int_equal(st_serialize(&b, &size, ts, n + 1, NULL), LS_OK);
    Gpt back;
    assert_int_equal(gpt_load_memory(&back, cfg, strlen(cfg), b, size, NULL), LS_OK);
    gpt_free(&back);
    free(b);
    /* + lm_head.weight that differs: refused. */
    ts[n] = (StWriteTensor){"lm_head.weight", m.params.wpe, 2, {6, 8}};
    assert_int_equal(st_serialize(&b, &size, ts, n + 1, NULL), LS_OK);
    expect_load_error(cfg, b, size, "lm_head.weight");
    free(b);
    /* + anything else: refused by name. */
    ts[n] = (StWriteTensor){"transformer.h.2.ln_1.weight", m.params.lnfw, 1, {8}};
    assert_int_equal(st_serialize(&b, &size, ts, n + 1, NULL), LS_OK);
    expect_load_error(cfg, b, size, "unexpected tensor 'transformer.h.2.ln_1.weight'");
    free(b);
    free(cfg);
    gpt_free(&m);
}

static void test_bad_config(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = valid_bytes(&size);
    struct {
        const char *cfg, *want;
    } cases[] = {
        {"{\"vocab_size\":256,", "config.json: not valid JSON"},
        {"[]", "config.json: not a JSON object"},
        {"{\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_head\":2}", "config.json: missing \"n_layer\""},
        {"{\"vocab_size\":256,\"n_positions\":6,\"n_embd\":9,\"n_layer\":2,\"n_head\":2}", "not a multiple"},
        {"{\"vocab_size\":50257,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,\"n_head\":2}", "byte-level"},
        {"{\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2.5,\"n_head\":2}", "not an integer"},
        {"{\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":1000,\"n_head\":2}", "\"n_layer\" is 1000"},
        {"{\"vocab_size\":256,\"n_positions\":-6,\"n_embd\":8,\"n_layer\":2,\"n_head\":2}", "\"n_positions\" is -6"},
        {"{\"model_type\":\"bert\",\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,\"n_head\":2}",
         "model_type"},
        {"{\"activation_function\":\"relu\",\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,"
         "\"n_head\":2}", "gelu_new"},
        {"{\"tie_word_embeddings\":false,\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,"
         "\"n_head\":2}", "tie_word_embeddings"},
        {"{\"layer_norm_epsilon\":-1,\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,"
         "\"n_head\":2}", "layer_norm_epsilon"},
        {"{\"n_inner\":7,\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,\"n_head\":2}", "n_inner"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_load_error(cases[i].cfg, b, size, cases[i].want);
    /* Minimal config with the essentials only: fine. */
    const char *ok = "{\"vocab_size\":256,\"n_positions\":6,\"n_embd\":8,\"n_layer\":2,\"n_head\":2}";
    Gpt m;
    assert_int_equal(gpt_load_memory(&m, ok, strlen(ok), b, size, NULL), LS_OK);
    gpt_free(&m);
    free(b);
}

/* Every truncation of a valid file fails cleanly (no crash, an error). */
static void test_every_truncation(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = valid_bytes(&size);
    for (size_t n = 0; n < size; n += (n < 2000 ? 1 : 97)) {
        unsigned char *copy = malloc(n ? n : 1); /* exact size, so ASan sees any over-read */
        memcpy(copy, b, n);
        Gpt m;
        assert_int_not_equal(gpt_load_memory(&m, config_text, strlen(config_text), copy, n, NULL), LS_OK);
        free(copy);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_folder),
        cmocka_unit_test(test_load_memory),
        cmocka_unit_test(test_missing_folder),
        cmocka_unit_test(test_truncated_header_length),
        cmocka_unit_test(test_header_past_end),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_bad_offsets),
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_extra_tensors),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_every_truncation),
    };
    return cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
}
