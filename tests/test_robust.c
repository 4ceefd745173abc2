/* test_robust.c — issue 13: input that used to hang, numbers that looked
 * fine but were not, and messages that said the wrong thing. Each test here
 * failed before its fix. The library is called directly where it decides;
 * the real binary (cli_run.h) where the user sees the result.
 *
 * Hangs are caught by a watchdog (alarm): a blocking open or a quadratic
 * parse is killed by SIGALRM, and the program ends without cmocka's
 * summary, which tests/run.sh counts as a failure. The limits are far above
 * what the fixed code needs, so load on the machine does not matter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/io.h"
#include "../src/core/linalg.h"
#include "../src/core/quant.h"
#include "../src/demo/demo_image.h"
#include "../src/demo/demo_svd.h"
#include "../src/lesson/lesson.h"
#include "../src/nn/checkpoint.h"
#include "../src/nn/fileio.h"
#include "../src/nn/safetensors.h"
#include "cli_run.h"

#define TINY_TEXT "tests/data/gpt/tiny.txt" /* 3001 bytes */

static char tmp[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/lorascope-robust-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static bool under_valgrind(void)
{
    const char *v = getenv("LORASCOPE_UNDER_VALGRIND");
    return v && *v && strcmp(v, "0") != 0;
}

static CliResult run_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static CliResult run_fmt(const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return cli_run(args, NULL);
}

/* Status `status` and `in_err` in stderr (NULL: anything), else fail with
 * what the program said. */
static void expect(CliResult *r, int status, const char *in_err)
{
    if (r->status != status || (in_err && !strstr(r->err, in_err))) {
        print_error("status %d (wanted %d)\nstderr: %s\nstdout: %s\nwanted in stderr: %s\n",
                    r->status, status, r->err, r->out, in_err ? in_err : "");
        fail();
    }
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

// ----------------------------------------------------------------------------
// Hangs

/* 200,000 entries took 82 s when each name was looked up in all earlier
 * ones; sorted names make it n log n. */
static void test_many_entry_header(void **state)
{
    (void)state;
    int n = under_valgrind() ? 20000 : 200000;
    size_t cap = (size_t)n * 64 + 16;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = 8;
    buf[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len,
                                "%s\"t%06d\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}",
                                i ? "," : "", (n - 1 - i) * 7 % n);
    buf[len++] = '}';
    uint64_t hl = len - 8;
    for (int i = 0; i < 8; i++) buf[i] = (char)(hl >> (8 * i));
    alarm(60);
    StFile f;
    Status st;
    int rc = st_parse(&f, buf, len, &st);
    if (rc) print_error("%s\n", st.msg);
    assert_int_equal(rc, LS_OK);
    assert_int_equal(f.n, n);
    char name[16];
    for (int i = 0; i < n; i += n / 100) {
        snprintf(name, sizeof name, "t%06d", i);
        const StTensor *t = st_find(&f, name);
        assert_non_null(t);
        assert_string_equal(t->name, name);
    }
    assert_null(st_find(&f, "t"));
    assert_null(st_find(&f, "zzz"));
    st_free(&f);
    alarm(0);
    /* More entries than any model has (the header size alone would allow
     * 1.5 million, 25 s and 1.3 GB of JSON nodes): counted and refused
     * before the JSON is parsed. */
    free(buf);
    n = ST_MAX_ENTRIES + 2;
    cap = (size_t)n * 16 + 16;
    buf = malloc(cap);
    assert_non_null(buf);
    len = 8;
    buf[len++] = '{';
    for (int i = 0; i < n; i++) len += (size_t)snprintf(buf + len, cap - len, "%s\"%x\":{}", i ? "," : "", i);
    buf[len++] = '}';
    hl = len - 8;
    for (int i = 0; i < 8; i++) buf[i] = (char)(hl >> (8 * i));
    assert_int_equal(st_parse(&f, buf, len, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, "header lists 262146 entries; at most 262144 are read"));
    /* A repeated name is still an error, wherever the two copies are. */
    len = 8 + (size_t)snprintf(buf + 8, cap - 8,
                               "{\"b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
                               "\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
                               "\"b\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}");
    hl = len - 8;
    for (int i = 0; i < 8; i++) buf[i] = (char)(hl >> (8 * i));
    assert_int_equal(st_parse(&f, buf, len, &st), LS_ERR_PARSE);
    assert_non_null(strstr(st.msg, "'b' appears twice"));
    free(buf);
}

/* A FIFO given where a file belongs: opening it waited for a writer
 * forever. Every reader refuses it at once, saying what it is. */
static void test_fifo_refused(void **state)
{
    (void)state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/pipe.csv", tmp);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(30);
    Status st;
    unsigned char *data;
    size_t n;
    assert_int_equal(file_read_all(fifo, 1 << 20, &data, &n, &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "is a pipe (FIFO), not a regular file"));
    Mat m = {0};
    assert_int_not_equal(io_read_matrix(&m, fifo, &st), LS_OK);
    assert_non_null(strstr(st.msg, "pipe"));
    Lesson l;
    assert_int_not_equal(lesson_load(&l, fifo, &st), LS_OK);
    assert_non_null(strstr(st.msg, "pipe"));
    lesson_free(&l);
    /* The same through the commands a student would type. */
    const char *cmds[] = {"lint %s", "eval --text %s", "svd %s --rank 1", "rank %s",
                          "quant --input %s", ("eval --model %s --text " TINY_TEXT)};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char args[512];
        snprintf(args, sizeof args, cmds[i], fifo);
        CliResult r = cli_run(args, NULL);
        expect(&r, 1, NULL);
        /* lint lists problems on stdout; a FIFO as --model is no folder. */
        assert_true(strstr(r.err, "is a pipe (FIFO)") || strstr(r.out, "is a pipe (FIFO)") ||
                    strstr(r.err, "Not a directory"));
        cli_result_free(&r);
    }
    alarm(0);
}

/* Run lorascope ARGS with its data segment limited to limit_mb (mmap'd
 * files do not count; malloc'd buffers do); stderr into *err. Returns the
 * exit status, or -1 when the program could not start at all under it. */
static int run_limited(const char *args, long limit_mb, char **err)
{
    const char *bin = getenv("LORASCOPE_BIN");
    if (!bin || !*bin) bin = "./lorascope";
    char *copy = strdup(args);
    char *argv[32] = {(char *)bin};
    int argc = 1;
    for (char *tok = strtok(copy, " "); tok && argc < 31; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;
    FILE *e = tmpfile();
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)limit_mb << 20, (rlim_t)limit_mb << 20};
        setrlimit(RLIMIT_DATA, &rl);
        dup2(fileno(e), 2);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execv(bin, argv);
        _exit(127);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    *err = cli_slurp(e);
    fclose(e);
    free(copy);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* A 2 GB file that is not a checkpoint was read whole (2 GB of memory,
 * 11 s) before its header was looked at. Now the file is mapped and the
 * header checked first: with 512 MB of data segment the right message
 * still comes (before, "out of memory"). */
static void test_big_file_header_first(void **state)
{
    (void)state;
    char dir[128], path[192], *err = NULL;
    snprintf(dir, sizeof dir, "%s/big", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    unsigned char *cfg;
    size_t cfg_len;
    Status st;
    assert_int_equal(file_read_all("data/models/base/config.json", 1 << 20, &cfg, &cfg_len, &st), LS_OK);
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_text(path, (const char *)cfg);
    free(cfg);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    write_text(path, "hello wo"); /* a header length far past the end */
    assert_int_equal(truncate(path, (off_t)2 << 30), 0); /* sparse: no disk used */
    /* Sanitizer builds reserve more address space than any such limit. */
    if (run_limited("--version", 512, &err) != 0) {
        free(err);
        skip();
    }
    free(err);
    char args[512];
    snprintf(args, sizeof args, "eval --model %s --text %s", dir, TINY_TEXT);
    int status = run_limited(args, 512, &err);
    if (status != 1 || !strstr(err, "header length")) print_error("status %d: %s\n", status, err);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, "header length"));
    free(err);
    /* Adapters too (their limit is 1 GiB). */
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    write_text(path, "{\"peft_type\": \"LORA\", \"r\": 1, \"lora_alpha\": 2, "
                     "\"target_modules\": [\"c_attn\"]}");
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    write_text(path, "hello wo");
    assert_int_equal(truncate(path, (off_t)1 << 30), 0);
    snprintf(args, sizeof args, "eval --adapter %s --text %s", dir, TINY_TEXT);
    status = run_limited(args, 512, &err);
    if (status != 1 || !strstr(err, "header length")) print_error("status %d: %s\n", status, err);
    assert_int_equal(status, 1);
    assert_non_null(strstr(err, "adapter_model.safetensors: header length"));
    free(err);
}

// ----------------------------------------------------------------------------
// Numbers that look fine but are not

/* The base model with one LayerNorm weight of 3e38: every weight finite,
 * every loss NaN. */
static void make_huge_model(char *dir, size_t size)
{
    snprintf(dir, size, "%s/huge", tmp);
    Gpt m;
    Status st;
    assert_int_equal(gpt_load(&m, "data/models/base", &st), LS_OK);
    m.params.lnfw[0] = 3e38f;
    assert_int_equal(gpt_save(&m, dir, &st), LS_OK); /* finite: saved */
    gpt_free(&m);
}

static void test_huge_weights_are_an_error(void **state)
{
    (void)state;
    char dir[128];
    make_huge_model(dir, sizeof dir);
    /* eval printed "-nan" and exited 0. */
    CliResult r = run_fmt("eval --model %s --text %s", dir, TINY_TEXT);
    expect(&r, 1, "NaN or infinite");
    assert_non_null(strstr(r.err, "transformer.ln_f.weight"));
    assert_null(strstr(r.out, "nan"));
    cli_result_free(&r);
    /* sample printed NUL bytes and exited 0. */
    r = run_fmt("sample --model %s --tokens 5", dir);
    expect(&r, 1, "the logits came out NaN or infinite");
    cli_result_free(&r);
    /* finetune marked every method diverged, never naming the base. */
    r = run_fmt("finetune --model %s --methods lora:1,full --steps 1 --eval-windows 1 "
                "--final-windows 1 --no-analysis --sample-bytes 0",
                dir);
    expect(&r, 1, "the base model's loss (before training)");
    assert_non_null(strstr(r.err, "transformer.ln_f.weight"));
    assert_null(strstr(r.out, "diverged"));
    cli_result_free(&r);
}

/* A merge or a save that overflows is refused, naming the tensor. */
static void test_overflowing_merge_refused(void **state)
{
    (void)state;
    char ad[128], path[192];
    snprintf(ad, sizeof ad, "%s/ad", tmp);
    CliResult r = run_fmt("finetune --methods lora:1 --steps 1 --eval-windows 1 --final-windows 1 "
                          "--no-analysis --sample-bytes 0 --save %s",
                          ad);
    expect(&r, 0, NULL);
    cli_result_free(&r);
    /* Alpha 1e6 and every weight 1e20: the product passes float's range. */
    Status st;
    unsigned char *bytes;
    size_t n;
    snprintf(path, sizeof path, "%s/lora_1/adapter_config.json", ad);
    assert_int_equal(file_read_all(path, 1 << 20, &bytes, &n, &st), LS_OK);
    cJSON *cfg = cJSON_ParseWithLength((const char *)bytes, n);
    free(bytes);
    assert_non_null(cfg);
    cJSON_ReplaceItemInObject(cfg, "lora_alpha", cJSON_CreateNumber(1e6));
    char *text = cJSON_Print(cfg);
    cJSON_Delete(cfg);
    write_text(path, text);
    free(text);
    snprintf(path, sizeof path, "%s/lora_1/adapter_model.safetensors", ad);
    char lora[160];
    snprintf(lora, sizeof lora, "%s/lora_1", ad);
    for (int pass = 0; pass < 2; pass++) {
        float value = pass == 0 ? 1e20f : 1e10f;
        assert_int_equal(file_read_all(path, 1 << 24, &bytes, &n, &st), LS_OK);
        StFile f;
        assert_int_equal(st_parse(&f, bytes, n, &st), LS_OK);
        for (int i = 0; i < f.n; i++)
            for (size_t j = 0; j < st_numel(&f.tensors[i]); j++)
                memcpy(bytes + (f.data - bytes) + f.tensors[i].begin + 4 * j, &value, 4);
        st_free(&f);
        assert_int_equal(file_write_atomic(path, bytes, n, &st), LS_OK);
        free(bytes);
        r = run_fmt("eval --adapter %s --text %s", lora, TINY_TEXT);
        if (pass == 0) {
            /* 1e20 * 1e20 * 2e6: infinite weights after the merge. */
            expect(&r, 1, "merging the adapter overflows float");
            assert_non_null(strstr(r.err, "holds infinity"));
        } else {
            /* 1e10: finite merged weights, NaN activations. */
            expect(&r, 1, "NaN or infinite");
            assert_non_null(strstr(r.err, "with the adapter"));
        }
        assert_null(strstr(r.out, "nan"));
        cli_result_free(&r);
    }
    /* A model with an infinite weight is never saved. */
    Gpt m;
    assert_int_equal(gpt_load(&m, "data/models/base", &st), LS_OK);
    m.params.wte[5] = INFINITY;
    char out[192];
    snprintf(out, sizeof out, "%s/never", tmp);
    assert_int_equal(gpt_save(&m, out, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, "not saved"));
    assert_non_null(strstr(st.msg, "transformer.wte.weight"));
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0);
    gpt_free(&m);
}

/* quant printed MSE -nan, max error inf and SNR inf dB for a block whose
 * fp16 scale overflowed. */
static void test_quant_scale_overflow(void **state)
{
    (void)state;
    const float w[4] = {1e7f, 2, 3, 4};
    QuantTensor qt;
    quant_tensor_init(&qt);
    QuantConfig c = quant_config_fixed(QUANT_Q8_0);
    Status st;
    assert_int_equal(quant_quantize(&qt, &c, w, 1, 4, &st), LS_ERR_RANGE);
    assert_non_null(strstr(st.msg, "fp16"));
    /* Just inside: 65504 * 127 fits. */
    const float ok[4] = {8.3e6f, 2, 3, 4};
    assert_int_equal(quant_quantize(&qt, &c, ok, 1, 4, &st), LS_OK);
    quant_tensor_free(&qt);

    char path[128];
    snprintf(path, sizeof path, "%s/big.txt", tmp);
    write_text(path, "1e7 2 3 4\n5 6 7 8\n");
    CliResult r = run_fmt("quant --input %s --scheme q8_0", path);
    expect(&r, 1, "q8_0 cannot store these weights");
    cli_result_free(&r);
    /* In the table the scheme gets a row saying why, never a number. */
    r = run_fmt("quant --input %s", path);
    expect(&r, 0, NULL);
    assert_null(strstr(r.out, "nan"));
    assert_null(strstr(r.out, "inf"));
    assert_non_null(strstr(r.out, "q4_0 cannot store these weights"));
    cli_result_free(&r);
    r = run_fmt("quant --input %s --json", path);
    expect(&r, 0, NULL);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    int with_error = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "results"))
    {
        const char *scheme = cJSON_GetObjectItem(it, "scheme")->valuestring;
        bool fp16 = strcmp(scheme, "q8_0") == 0 || strcmp(scheme, "q4_0") == 0;
        assert_int_equal(cJSON_IsString(cJSON_GetObjectItem(it, "error")), fp16);
        assert_int_equal(cJSON_IsNull(cJSON_GetObjectItem(it, "mse")), fp16);
        with_error += fp16;
    }
    assert_int_equal(with_error, 2);
    cJSON_Delete(o);
    cli_result_free(&r);
}

/* svd and rank at the top of float's range: rank 0 from an infinite
 * tolerance, "-nan" energies from an infinite singular value. */
static void test_svd_rank_at_the_edge(void **state)
{
    (void)state;
    const float s[1] = {2.8e38f};
    assert_true(isfinite(rank_default_tolerance(s, 1, 1, 2)));
    char path[128];
    snprintf(path, sizeof path, "%s/edge.txt", tmp);
    write_text(path, "2e38 2e38\n");
    CliResult r = run_fmt("rank %s --json", path);
    expect(&r, 0, NULL);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItem(o, "rank")->valueint, 1);
    cJSON_Delete(o);
    cli_result_free(&r);
    /* s1 = sqrt(2) 3e38 is not a float: say so. */
    write_text(path, "3e38 -3e38\n1 2\n");
    const char *cmds[] = {"rank %s", "svd %s --rank 1", "svd %s --sweep"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char args[256];
        snprintf(args, sizeof args, cmds[i], path);
        r = cli_run(args, NULL);
        expect(&r, 1, "beyond float's range");
        assert_null(strstr(r.out, "nan"));
        cli_result_free(&r);
    }
}

/* float showed "abs error inf" for a value that overflowed the format,
 * which reads like a measurement. */
static void test_float_overflow_named(void **state)
{
    (void)state;
    CliResult r = run_fmt("float --format fp16 65520");
    expect(&r, 0, NULL);
    assert_non_null(strstr(r.out, "abs error      overflow"));
    assert_non_null(strstr(r.out, "65520 is beyond fp16's largest value 65504"));
    cli_result_free(&r);
    r = run_fmt("float 3.5e38");
    expect(&r, 0, NULL);
    assert_non_null(strstr(r.out, "overflow"));
    assert_null(strstr(r.out, "inf        inf"));
    cli_result_free(&r);
}

// ----------------------------------------------------------------------------
// Messages

static void test_messages_say_what_was_expected(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/short.txt", tmp);
    char text[1501];
    memset(text, 'a', 1500);
    text[1500] = '\0';
    write_text(path, text);
    /* The count was read after the text was freed: "0 bytes". */
    CliResult r = run_fmt("finetune --text %s --methods lora:1 --steps 1", path);
    expect(&r, 1, "1500 bytes is too short");
    cli_result_free(&r);
    static const struct {
        const char *args, *want;
    } cases[] = {
        {"sample --tokens", "option '--tokens' needs a value"},
        {"finetune --save", "option '--save' needs a value"},
        {"svd data/matrices/rank2.csv --rank", "option '--rank' needs a value"},
        {"sample --tokens abc", "bad value 'abc' for --tokens: expected a whole number 0..1000000"},
        {"sample --tokens=-1", "bad value '-1' for --tokens: expected a whole number 0..1000000"},
        {"svd data/matrices/rank2.csv --rank 0", "for --rank: expected a whole number 1..4096"},
        {"pretrain --lr 5", "bad value '5' for --lr: expected a number from 1e-07 to 1"},
        {"rank data/matrices/rank2.csv --tol x", "for --tol: expected a number from 0 to 1e+30"},
        {"quant --block 0", "for --block: expected a whole number 1.."},
        {"eval --bogus", "unknown option '--bogus'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        r = cli_run(cases[i].args, NULL);
        expect(&r, 2, cases[i].want);
        cli_result_free(&r);
    }
    /* An adapter_config.json that is not JSON was "missing peft_type". */
    char dir[128];
    snprintf(dir, sizeof dir, "%s/badjson", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    write_text(path, "{\"peft_type\": \"LORA\",");
    r = run_fmt("eval --adapter %s --text %s", dir, TINY_TEXT);
    expect(&r, 1, "adapter_config.json: not valid JSON");
    cli_result_free(&r);
}

// ----------------------------------------------------------------------------
// Demo images at a size the interface can afford

static void test_demo_image_shrink(void **state)
{
    (void)state;
    Mat a, s;
    Status st;
    assert_int_equal(mat_init(&a, 3, 5, &st), LS_OK);
    for (int i = 0; i < 15; i++) a.data[i] = (float)i; /* rows 0..4, 5..9, 10..14 */
    assert_int_equal(demo_image_shrink(&s, &a, 2, &st), LS_OK);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.cols, 3);
    assert_float_equal(MAT_AT(&s, 0, 0), (0 + 1 + 5 + 6) / 4.0, 1e-6);
    assert_float_equal(MAT_AT(&s, 0, 2), (4 + 9) / 2.0, 1e-6);   /* partial column */
    assert_float_equal(MAT_AT(&s, 1, 1), (12 + 13) / 2.0, 1e-6); /* partial row */
    assert_float_equal(MAT_AT(&s, 1, 2), 14, 1e-6);
    mat_free(&s);
    mat_free(&a);

    /* An image of 1100 x 30 becomes 367 x 10 (means of 3 x 3), and the svd
     * demo says so; an image within the limit is used as it is. */
    char path[128];
    snprintf(path, sizeof path, "%s/wide.pgm", tmp);
    for (int pass = 0; pass < 2; pass++) {
        int cols = pass == 0 ? 1100 : 500;
        assert_int_equal(mat_init(&a, 30, cols, &st), LS_OK);
        for (int i = 0; i < 30; i++)
            for (int j = 0; j < cols; j++) MAT_AT(&a, i, j) = (float)((i * 7 + j * 3) % 256) / 255.0f;
        assert_int_equal(io_write_image(path, &a, &st), LS_OK);
        mat_free(&a);
        SvdDemo d;
        assert_int_equal(svd_demo_init_image(&d, path, 4, &st), LS_OK);
        if (pass == 0) {
            assert_int_equal(d.res.m, 10);
            assert_int_equal(d.res.n, 367);
            assert_string_equal(d.note, "1100 x 30 image shown at 367 x 10 (means of 3 x 3 pixels)");
        } else {
            assert_int_equal(d.res.m, 30);
            assert_int_equal(d.res.n, 500);
            assert_string_equal(d.note, "");
        }
        svd_demo_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_entry_header),
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_big_file_header_first),
        cmocka_unit_test(test_huge_weights_are_an_error),
        cmocka_unit_test(test_overflowing_merge_refused),
        cmocka_unit_test(test_quant_scale_overflow),
        cmocka_unit_test(test_svd_rank_at_the_edge),
        cmocka_unit_test(test_float_overflow_named),
        cmocka_unit_test(test_messages_say_what_was_expected),
        cmocka_unit_test(test_demo_image_shrink),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
