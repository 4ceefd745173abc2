/* test_cli_finetune.c — `lorascope finetune` end to end through the real
 * binary: JSON keys and exit codes, a divergent method, CSV, the analysis,
 * saving (PEFT adapter, merged model, prefix, full checkpoint) and
 * `lorascope eval --adapter` giving the merged model's result, the addition
 * task, Ctrl-C, and `bench lab`. Tiny runs: 2 steps of 2 sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_run.h"

#define TINY                                                                                       \
    "--steps 2 --batch 2 --eval-every 1 --eval-windows 2 --final-windows 4 --sample-bytes 8 "      \
    "--problems 8"

static bool exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat s;
    return stat(p, &s) == 0;
}

static cJSON *parse_out(const CliResult *r)
{
    cJSON *o = cJSON_Parse(r->out);
    if (!o) print_error("not JSON: %.300s\nstderr: %.300s\n", r->out, r->err);
    assert_non_null(o);
    return o;
}

static void test_json_keys(void **state)
{
    (void)state;
    CliResult r =
        cli_run("finetune --methods full,lora:1,prefix:2,qlora:1 " TINY " --json -", NULL);
    if (r.status != 0) print_error("%s\n", r.err);
    assert_int_equal(r.status, 0);
    cJSON *o = parse_out(&r);
    assert_string_equal(cJSON_GetObjectItem(o, "task")->valuestring, "domain");
    cJSON *ms = cJSON_GetObjectItem(o, "methods");
    assert_int_equal(cJSON_GetArraySize(ms), 4);
    const char *keys[] = {"method",      "trainable_params", "total_params", "bytes",
                          "ms_per_step", "train_loss",       "eval_loss",    "accuracy",
                          "forgetting",  "diverged",         "curves"};
    const char *byte_keys[] = {"frozen",    "trainable",   "gradients",
                               "optimizer", "activations", "total"};
    for (int i = 0; i < 4; i++) {
        cJSON *m = cJSON_GetArrayItem(ms, i);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (!cJSON_GetObjectItem(m, keys[k])) print_error("missing key %s\n", keys[k]);
            assert_non_null(cJSON_GetObjectItem(m, keys[k]));
        }
        cJSON *b = cJSON_GetObjectItem(m, "bytes");
        for (size_t k = 0; k < sizeof byte_keys / sizeof byte_keys[0]; k++)
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(b, byte_keys[k])));
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(m, "accuracy")));
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(m, "diverged")));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "eval_loss")));
        cJSON *c = cJSON_GetObjectItem(m, "curves");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "train_loss")), 2);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "eval_loss")),
                         3); /* steps 0, 1, 2 */
    }
    cJSON *full = cJSON_GetArrayItem(ms, 0), *lora = cJSON_GetArrayItem(ms, 1);
    assert_string_equal(cJSON_GetObjectItem(full, "method")->valuestring, "full");
    assert_int_equal(cJSON_GetObjectItem(full, "trainable_params")->valuedouble, 834304);
    assert_int_equal(cJSON_GetObjectItem(lora, "trainable_params")->valuedouble, 2048);
    assert_true(cJSON_GetObjectItem(lora, "total_params")->valuedouble == 834304 + 2048);
    assert_non_null(cJSON_GetObjectItem(o, "analysis"));
    /* The scaling used, and the findings: one object per finding. */
    assert_string_equal(cJSON_GetObjectItem(o, "lora_scaling")->valuestring, "rslora");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(lora, "rslora")));
    assert_true(fabs(cJSON_GetObjectItem(lora, "scale")->valuedouble - 5.656854) < 1e-5);
    cJSON *fs = cJSON_GetObjectItem(o, "findings");
    assert_true(cJSON_GetArraySize(fs) >= 12);
    for (cJSON *f = fs->child; f; f = f->next) {
        const char *fk[] = {"claim", "source", "value", "verdict"};
        for (int k = 0; k < 4; k++) assert_true(cJSON_IsString(cJSON_GetObjectItem(f, fk[k])));
    }
    cJSON_Delete(o);
    cli_result_free(&r);
}

/* --seeds with --sweep-lr: an experiment file, read back by --report, whose
 * rates are chosen on the validation slice; a bad file is refused cleanly. */
static void test_experiment_and_report(void **state)
{
    (void)state;
    char path[] = "/tmp/lorascope_exp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "finetune --methods lora:1,prefix:2 " TINY " --no-analysis --seeds 2 "
             "--sweep-lr 1e-3,3e-2 --json %s",
             path);
    CliResult r = cli_run(cmd, NULL);
    if (r.status != 0) print_error("%s\n", r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "findings"));
    assert_non_null(strstr(r.err, "cell 4/4"));
    cli_result_free(&r);
    snprintf(cmd, sizeof cmd, "finetune --report %s --json -", path);
    r = cli_run(cmd, NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = parse_out(&r);
    assert_string_equal(cJSON_GetObjectItem(o, "format")->valuestring, "lorascope-experiment");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "cells")), 4);
    cJSON *m = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "summary"), 0), "methods"), 0);
    /* The chosen rate is the one with the lower mean validation loss. */
    cJSON *v = cJSON_GetObjectItem(m, "validation_loss_by_rate");
    int want = cJSON_GetArrayItem(v, 0)->valuedouble <= cJSON_GetArrayItem(v, 1)->valuedouble ? 0 : 1;
    assert_int_equal(cJSON_GetObjectItem(m, "chosen")->valueint, want);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "eval_loss"), "n")->valueint, 2);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(o, "findings")) >= 12);
    cJSON_Delete(o);
    cli_result_free(&r);
    /* A cut-off file: a clean error naming it. */
    FILE *f = fopen(path, "r+");
    assert_int_equal(ftruncate(fileno(f), 200), 0);
    fclose(f);
    snprintf(cmd, sizeof cmd, "finetune --report %s", path);
    r = cli_run(cmd, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, path));
    cli_result_free(&r);
    unlink(path);
}

static void test_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        int status;
        const char *msg;
    } cases[] = {
        {"finetune --methods lora:8,bogus " TINY, 2, "unknown option 'bogus'"},
        {"finetune --methods adapter:3 " TINY, 2, "unknown method"},
        {"finetune --task nope", 2, "unknown task"},
        {"finetune --task domain --text x.txt", 2, "not both"},
        {"finetune --steps 0", 2, "--steps"},
        {"finetune --wat", 2, "unknown option"},
        {"finetune --text /nonexistent/file.txt " TINY, 1, "/nonexistent/file.txt"},
        {"finetune --model /nonexistent/model " TINY, 1, "/nonexistent/model"},
        {"finetune --seeds 0", 2, "--seeds"},
        {"finetune --seeds 17", 2, "--seeds"},
        {"finetune --sweep --sweep-lr 1e-3", 2, "not both"},
        {"finetune --sweep-lr 1e-3,x", 2, "--sweep-lr"},
        {"finetune --seeds 2 --csv -", 2, "--csv and --save are for one run"},
        {"finetune --task domain,nope", 2, "unknown task"},
        {"finetune --scaling wide", 2, "unknown scaling"},
        {"finetune --report /nonexistent/results.json", 1, "/nonexistent/results.json"},
        {"finetune --report /nonexistent/r.json --seeds 2", 2, "--report FILE only reads"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CliResult r = cli_run(cases[i].args, NULL);
        if (r.status != cases[i].status || !strstr(r.err, cases[i].msg)) {
            print_error("'%s': status %d, stderr '%s'\n", cases[i].args, r.status, r.err);
            fail();
        }
        cli_result_free(&r);
    }
    CliResult h = cli_run("help finetune", NULL);
    assert_int_equal(h.status, 0);
    assert_non_null(strstr(h.out, "lora:R"));
    assert_non_null(strstr(h.out, "targets="));
    cli_result_free(&h);
}

static void test_divergence_and_csv(void **state)
{
    (void)state;
    CliResult r = cli_run("finetune --methods lora:1,lora:2,nan=1 --no-analysis " TINY, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "diverged at step 1"));
    cli_result_free(&r);
    r = cli_run("finetune --methods lora:1,lora:2,nan=2 --no-analysis " TINY " --json -", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = parse_out(&r);
    cJSON *ms = cJSON_GetObjectItem(o, "methods");
    cJSON *ok = cJSON_GetArrayItem(ms, 0), *bad = cJSON_GetArrayItem(ms, 1);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(ok, "diverged")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(bad, "diverged")));
    assert_int_equal(cJSON_GetObjectItem(bad, "diverged_step")->valueint, 2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(bad, "eval_loss")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(ok, "eval_loss")));
    cJSON_Delete(o);
    cli_result_free(&r);
    r = cli_run("finetune --methods lora:1,prefix:2 --no-analysis " TINY " --csv -", NULL);
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "method,kind,lr,", 15) == 0);
    assert_non_null(strstr(r.out, "\n\"lora:1\",lora,"));
    assert_non_null(strstr(r.out, "\n\"prefix:2\",prefix,"));
    int lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    cli_result_free(&r);
}

static void test_analysis(void **state)
{
    (void)state;
    CliResult r = cli_run("finetune --methods full,lora:1,lora:2 " TINY, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "r90"));
    assert_non_null(strstr(r.out, "subspace similarity phi(A_1, A_2"));
    assert_non_null(strstr(r.out, "amplification"));
    cli_result_free(&r);
}

/* Eval's nats from its JSON. */
static double eval_nats(const char *args)
{
    CliResult r = cli_run(args, NULL);
    if (r.status != 0) print_error("%s: %s\n", args, r.err);
    assert_int_equal(r.status, 0);
    cJSON *o = parse_out(&r);
    double n = cJSON_GetObjectItem(o, "nats")->valuedouble;
    cJSON_Delete(o);
    cli_result_free(&r);
    return n;
}

static void test_save_and_eval_adapter(void **state)
{
    (void)state;
    char dir[] = "/tmp/lorascope_ft_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char args[2048];
    snprintf(args, sizeof args,
             "finetune --methods full,lora:2,lora:1,targets=all,pissa,prefix:2,mlp,qlora:1 "
             "--no-analysis " TINY " --save %s",
             dir);
    CliResult r = cli_run(args, NULL);
    if (r.status != 0) print_error("%s\n", r.err);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/full", dir);
    assert_true(exists(sub, "config.json") && exists(sub, "model.safetensors"));
    const char *loras[] = {"lora_2", "lora_1_targets_all_pissa", "qlora_1"};
    /* A small text to evaluate on. */
    char text[600];
    snprintf(text, sizeof text, "%s/text.txt", dir);
    FILE *f = fopen(text, "w");
    for (int i = 0; i < 40; i++)
        fprintf(f, "Call me Ishmael. Some years ago, never mind how long precisely. %d\n", i);
    fclose(f);
    for (int i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, loras[i]);
        assert_true(exists(sub, "adapter_config.json") && exists(sub, "adapter_model.safetensors"));
        assert_true(exists(sub, "merged/config.json") && exists(sub, "merged/model.safetensors"));
        if (i == 2) break; /* qlora: the files are enough (its base was NF4) */
        char a1[1400], a2[1400];
        snprintf(a1, sizeof a1, "eval --adapter %s --text %s --json", sub, text);
        snprintf(a2, sizeof a2, "eval --model %s/merged --text %s --json", sub, text);
        double with_adapter = eval_nats(a1), merged = eval_nats(a2);
        assert_true(fabs(with_adapter - merged) < 1e-5);
    }
    snprintf(sub, sizeof sub, "%s/prefix_2_mlp", dir);
    assert_true(exists(sub, "adapter_config.json") && exists(sub, "adapter_model.safetensors"));
    snprintf(args, sizeof args, "eval --adapter %s --text %s --json", sub, text);
    double nats = eval_nats(args);
    assert_true(nats > 0 && nats < 8);
    /* A folder that is not an adapter. */
    snprintf(args, sizeof args, "eval --adapter %s/full --text %s", dir, text);
    r = cli_run(args, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "adapter_config.json"));
    cli_result_free(&r);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

static void test_addition_task(void **state)
{
    (void)state;
    CliResult r =
        cli_run("finetune --task addition --methods lora:1 --no-analysis " TINY " --json -", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = parse_out(&r);
    cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "methods"), 0);
    cJSON *acc = cJSON_GetObjectItem(m, "accuracy");
    assert_true(cJSON_IsNumber(acc));
    assert_true(acc->valuedouble >= 0 && acc->valuedouble <= 1);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "base"), "accuracy")));
    assert_non_null(strstr(cJSON_GetObjectItem(m, "sample")->valuestring, "+"));
    cJSON_Delete(o);
    cli_result_free(&r);
}

/* Ctrl-C: training stops, what ran is evaluated and tabled, exit 130. */
static void test_interrupt(void **state)
{
    (void)state;
    const char *bin = getenv("LORASCOPE_BIN");
    if (!bin || !*bin) bin = "./lorascope";
    FILE *out = tmpfile();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(out), 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl(bin, bin, "finetune", "--methods", "lora:1", "--steps", "100000", "--batch", "2",
              "--eval-every", "0", "--final-windows", "4", "--sample-bytes", "8", "--no-analysis",
              (char *)NULL);
        _exit(127);
    }
    struct timespec ts = {0, 700000000};
    nanosleep(&ts, NULL);
    kill(pid, SIGINT);
    int ws = 0;
    waitpid(pid, &ws, 0);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 130);
    char *text = cli_slurp(out);
    fclose(out);
    assert_non_null(strstr(text, "stopped at step"));
    assert_non_null(strstr(text, "lora:1"));
    free(text);
}

static void test_bench_lab(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    CliResult r = cli_run("bench lab --quick --json", NULL);
    assert_int_equal(r.status, 0);
    cJSON *o = parse_out(&r);
    cJSON *lab = cJSON_GetObjectItem(o, "lab");
    assert_non_null(lab);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(lab, "lora8_over_full")));
    assert_true(
        cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(lab, "ms_per_step"), "full")));
    cJSON_Delete(o);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_keys),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_experiment_and_report),
        cmocka_unit_test(test_divergence_and_csv),
        cmocka_unit_test(test_analysis),
        cmocka_unit_test(test_save_and_eval_adapter),
        cmocka_unit_test(test_addition_task),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_bench_lab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
