/* test_cli_core.c — the real binary: --help, --version, help, exit codes,
 * and the rank / svd subcommands' text and JSON output. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cli_run.h"

static void test_help_and_version(void **state)
{
    (void)state;
    CliResult r = cli_run("--help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "rank"));
    assert_non_null(strstr(r.out, "svd"));
    cli_result_free(&r);

    r = cli_run("--version", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "lorascope 0."));
    cli_result_free(&r);

    r = cli_run("help rank", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: lorascope rank"));
    cli_result_free(&r);

    r = cli_run("svd --help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: lorascope svd"));
    cli_result_free(&r);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"frobnicate", "unknown command"},
        {"help nosuch", "unknown command"},
        {"rank", "needs a FILE"},
        {"rank data/matrices/rank2.csv --tol abc", "--tol"},
        {"rank data/matrices/rank2.csv --bogus", "unknown option"},
        {"svd data/matrices/rank2.csv", "--rank"},
        {"svd data/matrices/rank2.csv --rank 0", "--rank"},
        {"svd data/matrices/rank2.csv --rank x", "--rank"},
        {"bench nosuch", "unknown benchmark"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CliResult r = cli_run(cases[i][0], NULL);
        if (r.status != 2 || !strstr(r.err, cases[i][1]) || strncmp(r.err, "lorascope: ", 11))
            fail_msg("'%s': status %d, stderr '%s'", cases[i][0], r.status, r.err);
        cli_result_free(&r);
    }
}

static void test_bad_input_exits_1(void **state)
{
    (void)state;
    CliResult r = cli_run("rank /nonexistent/m.csv", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "/nonexistent/m.csv"));
    cli_result_free(&r);

    r = cli_run("rank -", "1 2 3\n4 5\n");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, ":2:"));
    cli_result_free(&r);

    r = cli_run("svd data/matrices/rank2.csv --rank 4", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "min(m, n) = 3"));
    cli_result_free(&r);

    r = cli_run("svd data/matrices/rank2.csv --rank 1 --out /tmp/x.pgm", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "not an image"));
    cli_result_free(&r);
}

static void test_rank_text_and_json(void **state)
{
    (void)state;
    CliResult r = cli_run("rank data/matrices/rank2.csv", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "rank:            2"));
    cli_result_free(&r);

    r = cli_run("rank data/matrices/rank2.csv --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "rank")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(o, "rows")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(o, "cols")->valueint, 3);
    cJSON *s = cJSON_GetObjectItem(o, "singular_values");
    assert_int_equal(cJSON_GetArraySize(s), 3);
    double s1 = cJSON_GetArrayItem(s, 0)->valuedouble;
    double tol = cJSON_GetObjectItem(o, "tolerance")->valuedouble;
    assert_true(fabs(tol - s1 * 3 * 1.1920929e-7) < 1e-3 * tol);
    assert_true(cJSON_GetArrayItem(s, 2)->valuedouble < tol);
    cJSON_Delete(o);
    cli_result_free(&r);

    /* A tolerance of 0 counts round-off as rank. */
    r = cli_run("rank - --tol 0 --json", "1 0\n0 1\n");
    assert_int_equal(r.status, 0);
    o = cJSON_Parse(r.out);
    assert_int_equal(cJSON_GetObjectItem(o, "rank")->valueint, 2);
    assert_float_equal(cJSON_GetObjectItem(o, "tolerance")->valuedouble, 0.0, 0.0);
    cJSON_Delete(o);
    cli_result_free(&r);
}

static void test_rank_steps(void **state)
{
    (void)state;
    CliResult r = cli_run("rank data/matrices/rank2.csv --steps", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "swap R1 and R3"));
    assert_non_null(strstr(r.out, "rank by elimination is 2"));
    cli_result_free(&r);

    r = cli_run("rank data/matrices/rank2.csv --steps --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    cJSON *steps = cJSON_GetObjectItem(o, "steps");
    assert_true(cJSON_GetArraySize(steps) >= 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "op")->valuestring, "swap");
    assert_int_equal(cJSON_GetObjectItem(o, "echelon_rank")->valueint, 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "echelon")), 3);
    cJSON_Delete(o);
    cli_result_free(&r);
}

static void test_svd_json_and_out(void **state)
{
    (void)state;
    char dir[] = "/tmp/lorascope-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512], out[300];
    snprintf(out, sizeof out, "%s/r8.png", dir);
    snprintf(cmd, sizeof cmd, "svd data/images/boats.pgm --rank 8 --json --out %s", out);
    CliResult r = cli_run(cmd, NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    int rows = cJSON_GetObjectItem(o, "rows")->valueint, cols = cJSON_GetObjectItem(o, "cols")->valueint;
    assert_int_equal(cJSON_GetObjectItem(o, "rank")->valueint, 8);
    assert_int_equal((long)cJSON_GetObjectItem(o, "storage")->valuedouble, 8L * (rows + cols + 1));
    assert_int_equal((long)cJSON_GetObjectItem(o, "full_storage")->valuedouble, (long)rows * cols);
    double e = cJSON_GetObjectItem(o, "energy")->valuedouble;
    double rel = cJSON_GetObjectItem(o, "relative_error")->valuedouble;
    double rel_svd = cJSON_GetObjectItem(o, "relative_error_svd")->valuedouble;
    assert_true(e > 0.5 && e < 1.0);
    /* Eckart–Young: energy + rel² = 1, and the measured error matches. */
    assert_true(fabs(e + rel_svd * rel_svd - 1.0) < 1e-4);
    assert_true(fabs(rel - rel_svd) < 1e-4 * (1 + rel_svd));
    cJSON_Delete(o);
    cli_result_free(&r);
    struct stat sb;
    assert_int_equal(stat(out, &sb), 0);
    assert_true(sb.st_size > 100);

    /* The written image reads back as an image of the same size. */
    snprintf(cmd, sizeof cmd, "rank %s --json", out);
    r = cli_run(cmd, NULL);
    assert_int_equal(r.status, 0);
    o = cJSON_Parse(r.out);
    assert_int_equal(cJSON_GetObjectItem(o, "rows")->valueint, rows);
    /* A rank-8 picture, quantised to 8 bits, is numerically above rank 8
     * only through rounding: its 9th singular value is far below its 8th. */
    cJSON *s = cJSON_GetObjectItem(o, "singular_values");
    assert_true(cJSON_GetArrayItem(s, 8)->valuedouble < 0.05 * cJSON_GetArrayItem(s, 7)->valuedouble);
    cJSON_Delete(o);
    cli_result_free(&r);
    unlink(out);
    rmdir(dir);
}

static void test_svd_sweep(void **state)
{
    (void)state;
    CliResult r = cli_run("svd data/matrices/rank2.csv --sweep --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    cJSON *sw = cJSON_GetObjectItem(o, "sweep");
    assert_int_equal(cJSON_GetArraySize(sw), 3);
    /* Rank 2 already holds everything: the matrix has rank 2. */
    double e2 = cJSON_GetObjectItem(cJSON_GetArrayItem(sw, 1), "energy")->valuedouble;
    assert_true(e2 > 1.0 - 1e-6);
    double e1 = cJSON_GetObjectItem(cJSON_GetArrayItem(sw, 0), "energy")->valuedouble;
    assert_true(e1 < e2);
    cJSON_Delete(o);
    cli_result_free(&r);

    r = cli_run("svd data/matrices/rank2.csv --sweep", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "sqrt(dropped)"));
    cli_result_free(&r);
}

/* The bench runs and reports its figures; speed targets are judged by
 * `make bench`, not here. */
static void test_bench_svd_reports(void **state)
{
    (void)state;
    CliResult r = cli_run("bench svd --quick --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "threads")->valueint, 1);
    cJSON *svd = cJSON_GetObjectItem(o, "svd");
    assert_non_null(svd);
    assert_true(cJSON_GetObjectItem(svd, "svd_ms")->valuedouble > 0);
    double worst = cJSON_GetObjectItem(svd, "rebuild_worst_ms")->valuedouble;
    double median = cJSON_GetObjectItem(svd, "rebuild_median_ms")->valuedouble;
    assert_true(worst > 0 && median > 0 && median <= worst);
    assert_true(cJSON_GetObjectItem(svd, "ranks_timed")->valueint > 10);
    cJSON_Delete(o);
    cli_result_free(&r);
}

/* The subnormal case (issue 14) runs on 2 threads and leaves no subnormal
 * value in the step's activations and gradients; its timing ratio is
 * judged by `make bench`. */
static void test_bench_subnormal_reports(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    CliResult r = cli_run("bench subnormal --quick --json --threads 2", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    cJSON *b = cJSON_GetObjectItem(o, "subnormal");
    assert_non_null(b);
    assert_true(cJSON_GetObjectItem(b, "ms_per_step")->valuedouble > 0);
    assert_true(cJSON_GetObjectItem(b, "ratio")->valuedouble > 0);
    /* The case is a real one: IEEE arithmetic would make many subnormals. */
    assert_true(cJSON_GetObjectItem(b, "ieee_subnormal_gelu_grads")->valuedouble > 1000);
#if defined(__x86_64__) || defined(__aarch64__)
    assert_int_equal(cJSON_GetObjectItem(b, "subnormals_left")->valueint, 0);
#endif
    cJSON_Delete(o);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_bad_input_exits_1),
        cmocka_unit_test(test_rank_text_and_json),
        cmocka_unit_test(test_rank_steps),
        cmocka_unit_test(test_svd_json_and_out),
        cmocka_unit_test(test_svd_sweep),
        cmocka_unit_test(test_bench_svd_reports),
        cmocka_unit_test(test_bench_subnormal_reports),
    };
    return cmocka_run_group_tests_name("cli_core", tests, NULL, NULL);
}
