/* test_cli_gpt.c — pretrain / eval / sample through the real binary: exit
 * statuses (0 ok, 1 bad input naming the file, 2 usage, 130 interrupted),
 * the JSON of eval, and a tiny end-to-end run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_run.h"

#define TINY_TEXT "tests/data/gpt/tiny.txt" /* 3001 bytes */

static char tmp[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/lorascope-cli-gpt-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static CliResult run_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static CliResult run_fmt(const char *fmt, ...)
{
    char args[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return cli_run(args, NULL);
}

static void expect(CliResult *r, int status, const char *in_err)
{
    if (r->status != status || (in_err && !strstr(r->err, in_err))) {
        print_error("status %d (wanted %d)\nstderr: %s\nstdout: %s\n", r->status, status, r->err, r->out);
        fail();
    }
}

/* A tiny model trained for a few steps, shared by the later tests. */
static void test_pretrain_tiny(void **state)
{
    (void)state;
    CliResult r = run_fmt("pretrain --layers 1 --heads 2 --embd 16 --ctx 16 --steps 12 --batch 4 "
                          "--eval-every 6 --train " TINY_TEXT " --valid " TINY_TEXT " --out %s/m --seed 3",
                          tmp);
    expect(&r, 0, "step");
    assert_non_null(strstr(r.out, "valid loss"));
    assert_non_null(strstr(r.out, "unigram"));
    char path[128];
    snprintf(path, sizeof path, "%s/m/model.safetensors", tmp);
    assert_true(file_exists(path));
    snprintf(path, sizeof path, "%s/m/config.json", tmp);
    assert_true(file_exists(path));
    /* Not a terminal: plain lines, no carriage returns. */
    assert_null(strchr(r.err, '\r'));
    cli_result_free(&r);
}

static void test_eval_json(void **state)
{
    (void)state;
    CliResult r = run_fmt("eval --model %s/m --text " TINY_TEXT " --json", tmp);
    expect(&r, 0, NULL);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    /* 3001 bytes, T = 16: floor(3000 / 16) = 187 windows. */
    assert_int_equal(cJSON_GetObjectItem(o, "windows")->valueint, 187);
    assert_int_equal(cJSON_GetObjectItem(o, "tokens")->valueint, 187 * 16);
    double nats = cJSON_GetObjectItem(o, "nats")->valuedouble;
    double bpb = cJSON_GetObjectItem(o, "bits_per_byte")->valuedouble;
    assert_float_equal(bpb, nats / 0.6931471805599453, 1e-9);
    assert_true(nats > 0.5 && nats < 5.6);
    assert_non_null(cJSON_GetObjectItem(o, "unigram_bits_per_byte"));
    cJSON_Delete(o);
    cli_result_free(&r);
    r = run_fmt("eval --model %s/m --text " TINY_TEXT, tmp);
    expect(&r, 0, NULL);
    assert_non_null(strstr(r.out, "bits/byte"));
    assert_non_null(strstr(r.out, "187 windows"));
    cli_result_free(&r);
}

static void test_sample(void **state)
{
    (void)state;
    CliResult a = run_fmt("sample --model %s/m --prompt The --tokens 30 --seed 5", tmp);
    CliResult b = run_fmt("sample --model %s/m --prompt The --tokens 30 --seed 5", tmp);
    expect(&a, 0, NULL);
    assert_int_equal(strncmp(a.out, "The", 3), 0);
    assert_int_equal(strlen(a.out), 3 + 30 + 1); /* prompt, bytes, newline */
    assert_string_equal(a.out, b.out);
    cli_result_free(&a);
    cli_result_free(&b);
    a = run_fmt("sample --model %s/m --temperature 0 --tokens 10", tmp);
    expect(&a, 0, NULL);
    cli_result_free(&a);
}

static void test_bad_model_dir(void **state)
{
    (void)state;
    CliResult r = cli_run("eval --model /nonexistent/model --text " TINY_TEXT, NULL);
    expect(&r, 1, "lorascope: /nonexistent/model/config.json");
    cli_result_free(&r);
    r = cli_run("sample --model /nonexistent/model", NULL);
    expect(&r, 1, "/nonexistent/model/config.json");
    cli_result_free(&r);
    /* A folder whose model.safetensors is garbage: the message names it. */
    char path[128];
    snprintf(path, sizeof path, "%s/broken", tmp);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/broken/config.json", tmp);
    FILE *f = fopen(path, "w");
    fputs("{\"vocab_size\":256,\"n_positions\":8,\"n_embd\":8,\"n_layer\":1,\"n_head\":1}", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/broken/model.safetensors", tmp);
    f = fopen(path, "w");
    fputs("\x10\0\0\0\0\0\0\0{not json at all", f);
    fclose(f);
    r = run_fmt("eval --model %s/broken --text " TINY_TEXT, tmp);
    expect(&r, 1, "broken/model.safetensors: ");
    cli_result_free(&r);
    /* A missing text file. */
    r = run_fmt("eval --model %s/m --text /nonexistent/text.txt", tmp);
    expect(&r, 1, "/nonexistent/text.txt");
    cli_result_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *cases[] = {
        "eval",                                   /* --text missing */
        "eval --text x --bogus",
        "pretrain --heads 3 --embd 128",          /* not a multiple */
        "pretrain --steps 0",
        "pretrain --lr abc",
        "pretrain --config x.json --layers 2",
        "sample --temperature -1",
        "sample --top-k 300",
        "sample extra",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CliResult r = cli_run(cases[i], NULL);
        if (r.status != 2 || !strstr(r.err, "lorascope: ")) {
            print_error("'%s': status %d, stderr %s\n", cases[i], r.status, r.err);
            fail();
        }
        cli_result_free(&r);
    }
    /* A config file that is not a GPT-2 config: bad input, exit 1. */
    char path[128];
    snprintf(path, sizeof path, "%s/bad.json", tmp);
    FILE *f = fopen(path, "w");
    fputs("{\"n_layer\": 2}", f);
    fclose(f);
    CliResult r = run_fmt("pretrain --config %s --out %s/never", path, tmp);
    expect(&r, 1, "bad.json: missing");
    cli_result_free(&r);
}

/* SIGINT mid-training: the step finishes, the model is saved, exit 130. */
static void test_interrupt(void **state)
{
    (void)state;
    const char *bin = getenv("LORASCOPE_BIN");
    if (!bin || !*bin) bin = "./lorascope";
    char out_dir[128], err_path[128];
    snprintf(out_dir, sizeof out_dir, "%s/interrupted", tmp);
    snprintf(err_path, sizeof err_path, "%s/interrupt.err", tmp);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *e = freopen(err_path, "w", stderr);
        FILE *o = freopen("/dev/null", "w", stdout);
        (void)e, (void)o;
        execl(bin, bin, "pretrain", "--layers", "1", "--heads", "1", "--embd", "8", "--ctx", "8", "--batch",
              "2", "--steps", "100000000", "--eval-every", "0", "--train", TINY_TEXT, "--valid", TINY_TEXT,
              "--out", out_dir, (char *)NULL);
        _exit(127);
    }
    /* Wait until training has started (its first progress line). */
    for (int i = 0; i < 200; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        FILE *e = fopen(err_path, "r");
        char buf[512] = "";
        size_t n = e ? fread(buf, 1, sizeof buf - 1, e) : 0;
        if (e) fclose(e);
        buf[n] = '\0';
        if (strstr(buf, "step")) break;
    }
    kill(pid, SIGINT);
    int ws;
    waitpid(pid, &ws, 0);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 130);
    char path[160];
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    assert_true(file_exists(path));
    FILE *e = fopen(err_path, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, e);
    fclose(e);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "interrupted after step"));
    /* The saved model loads. */
    CliResult r = run_fmt("eval --model %s --text " TINY_TEXT " --json", out_dir);
    expect(&r, 0, NULL);
    cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretrain_tiny),
        cmocka_unit_test(test_eval_json),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_bad_model_dir),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests_name("cli_gpt", tests, setup, teardown);
}
