/* test_cli_quant_model.c — `lorascope quant --model DIR --tensor NAME`: the
 * real binary quantizes a tensor of a checkpoint (a small model written
 * here with the engine's own saver), as (out, in) for Conv1D weights; its
 * numbers are the library's; wrong names and combinations are explained. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "../src/core/quant.h"
#include "../src/demo/demo_quant.h"
#include "../src/nn/checkpoint.h"
#include "cli_run.h"

static char model_dir[64];
static Gpt model;

static int setup(void **state)
{
    (void)state;
    snprintf(model_dir, sizeof model_dir, "/tmp/lorascope-cliq-XXXXXX");
    if (!mkdtemp(model_dir)) return -1;
    Status st = {0};
    GptConfig cfg = gpt_config_make(2, 2, 16, 16);
    if (gpt_init(&model, &cfg, &st) != LS_OK) return -1;
    gpt_init_weights(&model, 11);
    return gpt_save(&model, model_dir, &st) == LS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    gpt_free(&model);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", model_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static cJSON *run_json(const char *args)
{
    CliResult r = cli_run(args, NULL);
    if (r.status != 0) print_message("%s: %s%s", args, r.out, r.err);
    assert_int_equal(r.status, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    cli_result_free(&r);
    return j;
}

static void test_table(void **state)
{
    (void)state;
    char args[256];
    snprintf(args, sizeof args, "quant --model %s --tensor transformer.h.1.mlp.c_fc.weight", model_dir);
    CliResult r = cli_run(args, NULL);
    assert_int_equal(r.status, 0);
    /* c_fc is (16, 64) in the file, quantized as 64 x 16. */
    assert_non_null(strstr(r.out, "transformer.h.1.mlp.c_fc.weight of "));
    assert_non_null(strstr(r.out, ": 64 x 16 (out x in; stored in x out as a Conv1D weight)"));
    assert_non_null(strstr(r.out, "fp32: 4096 bytes"));
    assert_non_null(strstr(r.out, "nf4-dq"));
    assert_string_equal(r.err, "");
    cli_result_free(&r);
    r = cli_run("help quant", NULL);
    assert_non_null(strstr(r.out, "--tensor NAME"));
    assert_non_null(strstr(r.out, "--model DIR"));
    cli_result_free(&r);
}

/* The JSON numbers are the library's for the (out, in) matrix. */
static void test_json_matches_library(void **state)
{
    (void)state;
    char args[256];
    snprintf(args, sizeof args,
             "quant --model %s --tensor transformer.h.0.attn.c_attn.weight --scheme int4 "
             "--granularity row --json",
             model_dir);
    cJSON *j = run_json(args);
    cJSON *src = cJSON_GetObjectItem(j, "source");
    assert_string_equal(cJSON_GetObjectItem(src, "kind")->valuestring, "model");
    assert_string_equal(cJSON_GetObjectItem(src, "tensor")->valuestring, "transformer.h.0.attn.c_attn.weight");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(src, "transposed")));
    cJSON *shape = cJSON_GetObjectItem(src, "stored_shape");
    assert_int_equal(cJSON_GetArraySize(shape), 2);
    assert_int_equal(cJSON_GetArrayItem(shape, 0)->valueint, 16);
    assert_int_equal(cJSON_GetArrayItem(shape, 1)->valueint, 48);
    assert_int_equal(cJSON_GetObjectItem(j, "rows")->valueint, 48);
    assert_int_equal(cJSON_GetObjectItem(j, "cols")->valueint, 16);
    cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
    double mse = cJSON_GetObjectItem(res, "mse")->valuedouble;

    ModelTensor t;
    Status st = {0};
    assert_int_equal(model_tensor_find(&t, &model, "transformer.h.0.attn.c_attn.weight", &st), LS_OK);
    Mat w;
    assert_int_equal(model_tensor_matrix(&w, &t, &st), LS_OK);
    QuantConfig c = quant_config_int(4, QUANT_PER_ROW, 64, false);
    QuantTensor qt;
    quant_tensor_init(&qt);
    float *deq = malloc((size_t)w.rows * w.cols * sizeof *deq);
    QuantMetrics m;
    assert_int_equal(quant_roundtrip(deq, &m, &qt, &c, w.data, w.rows, w.cols, &st), LS_OK);
    assert_true(fabs(m.mse - mse) <= 1e-9 * m.mse);
    assert_int_equal((int)cJSON_GetObjectItem(res, "bytes")->valuedouble, (int)m.bytes);
    free(deq);
    quant_tensor_free(&qt);
    mat_free(&w);
    cJSON_Delete(j);

    /* A vector (a LayerNorm weight, all ones) is one row, not transposed. */
    snprintf(args, sizeof args, "quant --model %s --tensor transformer.ln_f.weight --scheme int8 --json", model_dir);
    j = run_json(args);
    assert_int_equal(cJSON_GetObjectItem(j, "rows")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(j, "cols")->valueint, 16);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "source"), "transposed")));
    res = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
    assert_true(cJSON_GetObjectItem(res, "mse")->valuedouble == 0); /* ones are exact */
    cJSON_Delete(j);
}

static void test_unknown_tensor(void **state)
{
    (void)state;
    char args[256];
    snprintf(args, sizeof args, "quant --model %s --tensor transformer.h.0.mlp.c_fc.weigth", model_dir);
    CliResult r = cli_run(args, NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "lorascope: "));
    assert_non_null(strstr(r.err, model_dir));
    assert_non_null(strstr(r.err, "no tensor 'transformer.h.0.mlp.c_fc.weigth'"));
    assert_non_null(strstr(r.err, "did you mean 'transformer.h.0.mlp.c_fc.weight'"));
    assert_non_null(strstr(r.err, "28 tensors"));
    assert_non_null(strstr(r.err, "transformer.wte.weight"));
    assert_non_null(strstr(r.err, "transformer.h.1.mlp.c_proj.weight")); /* the last layer's */
    cli_result_free(&r);
    /* Far from any name: no suggestion, still examples. */
    snprintf(args, sizeof args, "quant --model %s --tensor fc1", model_dir);
    r = cli_run(args, NULL);
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.err, "did you mean"));
    assert_non_null(strstr(r.err, "e.g. transformer.wte.weight"));
    cli_result_free(&r);
    /* A folder without a model: the loader's message, with the file. */
    r = cli_run("quant --model /nonexistent/lorascope-model --tensor transformer.wte.weight", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "/nonexistent/lorascope-model"));
    cli_result_free(&r);
}

static void test_usage(void **state)
{
    (void)state;
    static const struct {
        const char *args, *want;
    } cases[] = {
        {"quant --model /tmp", "--model needs --tensor"},
        {"quant --tensor transformer.wte.weight --gaussian 100", "--tensor cannot be combined"},
        {"quant --tensor transformer.wte.weight --input x.csv", "--tensor cannot be combined"},
        {"quant --tensor transformer.wte.weight --outliers 2", "--tensor cannot be combined"},
        {"quant --tensor", "quant"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CliResult r = cli_run(cases[i].args, NULL);
        if (r.status != 2 || !strstr(r.err, cases[i].want))
            fail_msg("%s: status %d, stderr %s", cases[i].args, r.status, r.err);
        cli_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_json_matches_library),
        cmocka_unit_test(test_unknown_tensor),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests_name("cli quant --model", tests, setup, teardown);
}
