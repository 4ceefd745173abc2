/* test_cli_float_quant.c — the real binary: `lorascope float` and
 * `lorascope quant`, their tables, JSON (parsed with cJSON) and exit codes
 * (0 success, 1 bad input, 2 usage error). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cli_run.h"

/* Run and parse stdout as JSON; the run must succeed. */
static cJSON *run_json(const char *args)
{
    CliResult r = cli_run(args, NULL);
    if (r.status != 0) fail_msg("lorascope %s: exit %d: %s", args, r.status, r.err);
    cJSON *j = cJSON_Parse(r.out);
    if (!j) fail_msg("lorascope %s: not JSON: %s", args, r.out);
    cli_result_free(&r);
    return j;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) fail_msg("key '%s' is not a number", key);
    return v->valuedouble;
}

static const cJSON *find_format(const cJSON *root, const char *name)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "formats"), *f;
    assert_true(cJSON_IsArray(arr));
    cJSON_ArrayForEach(f, arr) if (strcmp(str(f, "format"), name) == 0) return f;
    fail_msg("format %s missing", name);
    return NULL;
}

static void test_float_table(void **state)
{
    (void)state;
    CliResult r = cli_run("float 0.1", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "0|01011|1001100110")); /* fp16 fields */
    assert_non_null(strstr(r.out, "0x2e66"));
    assert_non_null(strstr(r.out, "0x3dcd"));          /* bf16 */
    assert_non_null(strstr(r.out, "0x3dcccccd"));      /* fp32 */
    assert_non_null(strstr(r.out, "0.0999755859375")); /* fp16's stored value */
    assert_non_null(strstr(r.out, "e4m3"));
    assert_non_null(strstr(r.out, "e5m2"));
    assert_non_null(strstr(r.out, "448")); /* the limits table */
    assert_non_null(strstr(r.out, "57344"));
    cli_result_free(&r);

    r = cli_run("float -0.1 --format fp16", NULL); /* a negative VALUE is not an option */
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "1|01011|1001100110"));
    assert_non_null(strstr(r.out, "0xae66"));
    assert_non_null(strstr(r.out, "normal"));
    cli_result_free(&r);

    r = cli_run("help float", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"formats\"")); /* the JSON shape is documented */
    cli_result_free(&r);
}

static void test_float_json(void **state)
{
    (void)state;
    cJSON *j = run_json("float 0.1 --json");
    assert_true(number(j, "value") == 0.1);
    const cJSON *h = find_format(j, "fp16");
    assert_string_equal(str(h, "bits"), "0x2e66");
    assert_true(number(h, "sign") == 0);
    assert_true(number(h, "exponent") == 11);
    assert_true(number(h, "mantissa") == 614);
    assert_true(number(h, "value") == 0.0999755859375);
    assert_true(fabs(number(h, "abs_error") - (0.1 - 0.0999755859375)) < 1e-15);
    assert_true(number(h, "ulp") == ldexp(1, -14));
    assert_true(number(h, "max") == 65504);
    assert_true(number(h, "epsilon") == ldexp(1, -10));
    assert_true(number(h, "min_subnormal") == ldexp(1, -24));
    assert_true(cJSON_GetObjectItemCaseSensitive(h, "rel_error") != NULL);
    assert_true(cJSON_GetObjectItemCaseSensitive(h, "next_up") != NULL);
    assert_true(cJSON_GetObjectItemCaseSensitive(h, "next_down") != NULL);
    assert_true(cJSON_GetObjectItemCaseSensitive(h, "min_normal") != NULL);
    assert_string_equal(str(find_format(j, "bf16"), "bits"), "0x3dcd");
    assert_string_equal(str(find_format(j, "fp32"), "bits"), "0x3dcccccd");
    assert_string_equal(str(find_format(j, "e4m3"), "bits"), "0x1d");
    assert_true(number(find_format(j, "e4m3"), "max") == 448);
    assert_true(number(find_format(j, "e5m2"), "max") == 57344);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "formats")), 5);
    cJSON_Delete(j);

    /* One format: one object. Overflow and specials. */
    j = run_json("float 65520 --format fp16 --json");
    assert_string_equal(str(j, "bits"), "0x7c00");
    assert_string_equal(str(j, "class"), "infinity");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "value")));
    cJSON_Delete(j);
    j = run_json("float 65519 --format fp16 --json");
    assert_string_equal(str(j, "bits"), "0x7bff");
    assert_true(number(j, "value") == 65504);
    cJSON_Delete(j);
    j = run_json("float 1000 --format e4m3 --json");
    assert_string_equal(str(j, "bits"), "0x7f"); /* no infinity: NaN */
    assert_string_equal(str(j, "class"), "NaN");
    cJSON_Delete(j);
    j = run_json("float 1000 --format e4m3 --saturate --json");
    assert_string_equal(str(j, "bits"), "0x7e");
    cJSON_Delete(j);
    j = run_json("float -0 --format bf16 --json");
    assert_string_equal(str(j, "bits"), "0x8000");
    cJSON_Delete(j);
    j = run_json("float -inf --format=e5m2 --json");
    assert_string_equal(str(j, "bits"), "0xfc");
    cJSON_Delete(j);
    j = run_json("float nan --format fp32 --json");
    assert_string_equal(str(j, "class"), "NaN");
    cJSON_Delete(j);
    j = run_json("float 0x1.8p-3 --format e3m4 --json"); /* hex float, custom format */
    assert_string_equal(str(j, "format"), "e3m4");
    assert_true(number(j, "value") == 0.1875);
    assert_true(number(j, "abs_error") == 0);
    cJSON_Delete(j);
    j = run_json("float 0.1 --format e5m10 --json");
    assert_string_equal(str(j, "bits"), "0x2e66");
    cJSON_Delete(j);
}

static void test_float_exit_codes(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        int status;
        const char *err;
    } cases[] = {
        {"float abc", 1, "not a number"},
        {"float 0.1x", 1, "not a number"},
        {"float 1e999", 1, "range"},
        {"float", 2, "needs a VALUE"},
        {"float 1 2", 2, "one VALUE"},
        {"float 1 --format fp64", 2, "fp64"},
        {"float 1 --format e9m3", 2, "e9m3"},
        {"float 1 --format", 2, "--format"},
        {"float 1 --frobnicate", 2, "unknown option"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CliResult r = cli_run(cases[i].args, NULL);
        if (r.status != cases[i].status)
            fail_msg("lorascope %s: exit %d, expected %d", cases[i].args, r.status,
                     cases[i].status);
        assert_non_null(strstr(r.err, "lorascope: "));
        if (!strstr(r.err, cases[i].err))
            fail_msg("lorascope %s: stderr lacks '%s': %s", cases[i].args, cases[i].err, r.err);
        assert_string_equal(r.out, "");
        cli_result_free(&r);
    }
}

static void test_quant_table(void **state)
{
    (void)state;
    CliResult r = cli_run("quant --gaussian 4096", NULL);
    assert_int_equal(r.status, 0);
    static const char *const names[] = {"int8",     "int4",   "q8_0",       "q4_0",
                                        "nf4",      "nf4-dq", "tensor",     "row",
                                        "block 64", "SNR dB", "bits/weight"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(r.out, names[i])) fail_msg("'%s' missing from:\n%s", names[i], r.out);
    assert_non_null(strstr(r.out, "16 x 256"));
    cli_result_free(&r);

    r = cli_run("help quant", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--gaussian"));
    assert_non_null(strstr(r.out, "\"results\""));
    cli_result_free(&r);
}

static const cJSON *result_for(const cJSON *root, const char *scheme, const char *gran)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "results"), *o;
    assert_true(cJSON_IsArray(arr));
    cJSON_ArrayForEach(o, arr) if (strcmp(str(o, "scheme"), scheme) == 0 &&
                                   strcmp(str(o, "granularity"), gran) == 0) return o;
    fail_msg("no result for %s %s", scheme, gran);
    return NULL;
}

static void test_quant_json(void **state)
{
    (void)state;
    cJSON *j = run_json("quant --gaussian 16384 --json");
    assert_true(number(j, "rows") == 64 && number(j, "cols") == 256);
    assert_true(number(j, "weights") == 16384);
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(j, "source"), "kind"), "gaussian");
    assert_true(number(result_for(j, "q8_0", "block"), "bits_per_weight") == 8.5);
    assert_true(number(result_for(j, "q4_0", "block"), "bits_per_weight") == 4.5);
    assert_true(number(result_for(j, "nf4", "block"), "bits_per_weight") == 4.5);
    double dq = number(result_for(j, "nf4-dq", "block"), "bits_per_weight");
    assert_true(dq > 4.12 && dq < 4.14);
    const cJSON *i8 = result_for(j, "int8", "tensor");
    assert_true(number(i8, "snr_db") > 35);
    assert_true(number(i8, "mse") > 0);
    assert_true(number(i8, "bytes") == 16384 + 4);
    cJSON_Delete(j);

    /* The outlier effect, end to end. */
    j = run_json("quant --gaussian 65536 --outliers 1 --seed 3 --scheme int8 --json");
    double tensor = number(result_for(j, "int8", "tensor"), "mse");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "results")), 1);
    cJSON_Delete(j);
    j = run_json("quant --gaussian 65536 --outliers 1 --seed 3 --scheme int8 --block 64 --json");
    const cJSON *b = result_for(j, "int8", "block");
    assert_true(number(b, "block") == 64);
    assert_true(tensor > 10 * number(b, "mse"));
    cJSON_Delete(j);
    /* A block longer than a row (256 here) is the row: say what was used,
     * and that it is not what was asked for (issue 16). */
    j = run_json("quant --gaussian 65536 --seed 3 --scheme int4 --granularity block --block 4096 --json");
    b = result_for(j, "int4", "block");
    assert_true(number(b, "block") == 256);
    assert_true(number(b, "block_asked") == 4096);
    cJSON_Delete(j);
    CliResult rb = cli_run("quant --gaussian 65536 --seed 3 --scheme int4 --granularity block --block 4096", NULL);
    assert_int_equal(rb.status, 0);
    assert_non_null(strstr(rb.out, "block 256*"));
    assert_non_null(strstr(rb.out, "--block 4096 is longer than a row of 256 weights"));
    assert_null(strstr(rb.out, "int4    block 4096"));
    cli_result_free(&rb);

    /* Same seed, same numbers. */
    CliResult r1 = cli_run("quant --gaussian 1000 --seed 9 --json", NULL);
    CliResult r2 = cli_run("quant --gaussian 1000 --seed 9 --json", NULL);
    assert_int_equal(r1.status, 0);
    assert_string_equal(r1.out, r2.out);
    cli_result_free(&r1);
    cli_result_free(&r2);

    j = run_json("quant --gaussian 4096 --scheme int3 --granularity row --asymmetric --json");
    const cJSON *a = result_for(j, "int3", "row");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "asymmetric")));
    assert_true(number(a, "bits") == 3);
    cJSON_Delete(j);
}

static void test_quant_input_file(void **state)
{
    (void)state;
    char path[] = "/tmp/lorascope_quant_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "1, -2, 3, 0.5\n-1, 4, 0, 2\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "quant --input %s --scheme int8 --granularity row --json", path);
    cJSON *j = run_json(args);
    assert_true(number(j, "rows") == 2 && number(j, "cols") == 4);
    assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(j, "source"), "kind"), "file");
    const cJSON *o = result_for(j, "int8", "row");
    assert_true(number(o, "max_abs_error") <= 0.5 * 4.0 / 127 + 1e-6);
    cJSON_Delete(j);

    snprintf(args, sizeof args, "quant --input %s --gaussian 5", path);
    CliResult r = cli_run(args, NULL);
    assert_int_equal(r.status, 2);
    cli_result_free(&r);
    remove(path);

    r = cli_run("quant --input /nonexistent/lorascope.csv", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "lorascope: "));
    cli_result_free(&r);
}

static void test_quant_usage_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"quant --block 0", "--block"},
        {"quant --block abc", "--block"},
        {"quant --scheme fp7", "unknown scheme"},
        {"quant --scheme int9", "2..8"},
        {"quant --scheme q8_0 --asymmetric", "fixed"},
        {"quant --scheme nf4 --block 32", "fixed"},
        {"quant --granularity diagonal", "--granularity"},
        {"quant --granularity row --block 8", "--block"},
        {"quant --gaussian 0", "--gaussian"},
        {"quant --gaussian 10 --outliers 11", "--outliers"},
        {"quant --seed -1", "--seed"},
        {"quant stray", "unexpected"},
        {"quant --bogus", "unknown option"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CliResult r = cli_run(cases[i][0], NULL);
        if (r.status != 2) fail_msg("lorascope %s: exit %d, expected 2", cases[i][0], r.status);
        if (!strstr(r.err, cases[i][1]))
            fail_msg("lorascope %s: stderr lacks '%s': %s", cases[i][0], cases[i][1], r.err);
        assert_non_null(strstr(r.err, "lorascope help quant"));
        cli_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_table),        cmocka_unit_test(test_float_json),
        cmocka_unit_test(test_float_exit_codes),   cmocka_unit_test(test_quant_table),
        cmocka_unit_test(test_quant_json),         cmocka_unit_test(test_quant_input_file),
        cmocka_unit_test(test_quant_usage_errors),
    };
    return cmocka_run_group_tests_name("cli_float_quant", tests, NULL, NULL);
}
