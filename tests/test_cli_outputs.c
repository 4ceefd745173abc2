/* test_cli_outputs.c — where commands write, through the real binary.
 *
 * Every output option is checked before the work starts (finetune --save /
 * --json / --csv, pretrain --out, svd --out): a wrong one is refused at
 * once, with the option named and no training begun. A finetune --save
 * killed (SIGKILL) in the middle of saving over an earlier save leaves the
 * earlier save or the new one, whole and byte for byte, never a mix; the
 * killed run's temporary folder is removed by the next save. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
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

static const char *bin(void)
{
    const char *b = getenv("LORASCOPE_BIN");
    return b && *b ? b : "./lorascope";
}

/* Run lorascope with an argv (NULL-terminated, so "" can be passed);
 * stderr into err (static). */
static int run_argv(char *const argv[], const char **err)
{
    static char buf[8192];
    FILE *e = tmpfile();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(fileno(e), 2);
        execv(bin(), argv);
        _exit(127);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    rewind(e);
    size_t n = fread(buf, 1, sizeof buf - 1, e);
    buf[n] = 0;
    fclose(e);
    *err = buf;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static char scratch[64];

static int setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/lorascope-test-out-XXXXXX");
    if (!mkdtemp(scratch)) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/folder && echo x > %s/file && mkdir -p %s/foreign && "
                              "echo notes > %s/foreign/notes.txt",
             scratch, scratch, scratch, scratch);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    return system(cmd);
}

/* ------------------------------------------------------------------------ */

#define P(name) scratch_path(name)
static const char *scratch_path(const char *name)
{
    static char bufs[64][256];
    static int k;
    char *b = bufs[k++ % 64];
    snprintf(b, 256, "%s/%s", scratch, name);
    return b;
}

static void test_outputs_checked_first(void **state)
{
    (void)state;
    const char *ft = "finetune", *m = "--methods";
    struct {
        const char *argv[12];
        int status;
        const char *msg;
    } cases[] = {
        {{ft, "--save", ""}, 2, "--save needs a folder name"},
        {{ft, "--json", ""}, 2, "--json needs a file name"},
        {{ft, "--csv", ""}, 2, "--csv needs a file name"},
        {{ft, "--save", P("file")}, 2, "is a file, not a folder"},
        {{ft, "--save", P("foreign")}, 2, "notes.txt"},
        {{ft, "--json", P("folder")}, 2, "--json"},
        {{ft, "--csv", "/proc/lorascope-test.csv"}, 1, "--csv"},
        {{ft, "--csv", P("no/such/x.csv")}, 1, "does not exist"},
        {{ft, "--json", P("out.json"), "--csv", P("folder/../out.json")}, 2, "the same file"},
        {{ft, "--json", "-", "--csv", "-"}, 2, "standard output"},
        {{ft, "--save", P("s"), "--json", P("s/out.json")}, 2, "inside the --save folder"},
        {{ft, m, "lora:1,lora:1", "--save", P("s")}, 2, "both be saved in"},
        {{"pretrain", "--out", ""}, 2, "--out needs a folder name"},
        {{"pretrain", "--out", P("file")}, 2, "is a file, not a folder"},
        {{"pretrain", "--out", P("foreign")}, 2, "notes.txt"},
        {{"pretrain", "--out", "/proc/lorascope-test/model"}, 1, "--out"},
        {{"svd", "data/images/boats.pgm", "--rank", "2", "--out", ""}, 2, "--out needs a file"},
        {{"svd", "data/images/boats.pgm", "--rank", "2", "--out", P("folder")}, 2, "folder"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[14] = {(char *)bin()};
        for (int k = 0; k < 12 && cases[i].argv[k]; k++) argv[k + 1] = (char *)cases[i].argv[k];
        const char *err;
        int st = run_argv(argv, &err);
        /* Refused before the work: no training began. */
        bool ok = st == cases[i].status && strstr(err, cases[i].msg) &&
                  !strstr(err, "fine-tuning") && !strstr(err, "pretraining");
        if (!ok) {
            print_error("case %zu (%s %s %s): status %d, stderr '%s'\n", i, argv[1], argv[2],
                        argv[3] ? argv[3] : "", st, err);
            fail();
        }
    }
    /* Nothing was made by the checks. */
    struct stat sb;
    assert_int_equal(stat(P("s"), &sb), -1);
    assert_int_equal(stat(P("out.json"), &sb), -1);
}

/* ------------------------------------------------------------------------ */

#define TINY "--steps 2 --batch 2 --eval-every 0 --final-windows 2 --sample-bytes 0 --no-analysis"

/* Are the trees a and b the same, name for name and byte for byte? */
static bool same_tree(const char *a, const char *b)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' >/dev/null 2>&1", a, b);
    return system(cmd) == 0;
}

/* Entries in dir whose name contains part. */
static int count(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

static ino_t inode(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_ino : 0;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void test_kill_mid_save(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    char args[1024];
    snprintf(args, sizeof args, "finetune --methods full,lora:1 " TINY " --seed 1 --save %s",
             P("ref1"));
    CliResult r = cli_run(args, NULL);
    if (r.status) print_error("%s\n", r.err);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    snprintf(args, sizeof args, "finetune --methods full,lora:1 " TINY " --seed 2 --save %s",
             P("ref2"));
    r = cli_run(args, NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    assert_false(same_tree(P("ref1"), P("ref2")));

    const char *d = P("run");
    char cmd[600], watch1[300], watch2[300];
    snprintf(watch1, sizeof watch1, "%s/lora_1/adapter_model.safetensors", d);
    snprintf(watch2, sizeof watch2, "%s/full/model.safetensors", d);
    int mixed = 0, old = 0, fresh = 0;
    /* Kill at several moments once saving has begun: when a temporary
     * folder appears beside the save, or a file in it is replaced. */
    for (int trial = 0; trial < 8; trial++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", d, P("ref1"), d);
        assert_int_equal(system(cmd), 0);
        ino_t i1 = inode(watch1), i2 = inode(watch2);
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 1);
            dup2(null, 2);
            execl(bin(), bin(), "finetune", "--methods", "full,lora:1", "--steps", "2", "--batch",
                  "2", "--eval-every", "0", "--final-windows", "2", "--sample-bytes", "0",
                  "--no-analysis", "--seed", "2", "--save", d, (char *)NULL);
            _exit(127);
        }
        bool begun = false;
        for (int waited = 0; waited < 30000 && !begun; waited++) {
            char mine[64];
            snprintf(mine, sizeof mine, ".run.partial-%d-", (int)pid);
            begun = count(scratch, mine) > 0 || inode(watch1) != i1 || inode(watch2) != i2;
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                pid = 0;
                break;
            }
            if (!begun) sleep_us(200);
        }
        if (pid) {
            static const long delay_ms[] = {0, 5, 10, 20, 40, 80, 160, 320};
            sleep_us(delay_ms[trial] * 1000L);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        if (same_tree(d, P("ref1")))
            old++;
        else if (same_tree(d, P("ref2")))
            fresh++;
        else
            mixed++;
    }
    print_message("kills mid-save: %d left the old save, %d the new one, %d a mix\n", old, fresh,
                  mixed);
    assert_int_equal(mixed, 0);
    /* The next save cleans what the killed runs left. */
    snprintf(args, sizeof args, "finetune --methods full,lora:1 " TINY " --seed 2 --save %s", d);
    r = cli_run(args, NULL);
    assert_int_equal(r.status, 0);
    cli_result_free(&r);
    assert_true(same_tree(d, P("ref2")));
    assert_int_equal(count(scratch, ".run."), 0);
}

/* A run whose every method diverged has nothing to save: an earlier save
 * in the folder is left as it was, not replaced by an empty one. */
static void test_all_diverged_keeps_old_save(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/kept/lora_1 && echo earlier > %s/kept/lora_1/keep && "
                              "touch %s/kept/.lorascope-save",
             scratch, scratch, scratch);
    assert_int_equal(system(cmd), 0);
    char args[1024];
    snprintf(args, sizeof args, "finetune --methods lora:1,nan=1 " TINY " --save %s/kept", scratch);
    CliResult r = cli_run(args, NULL);
    if (!strstr(r.err, "nothing saved")) print_error("%s\n", r.err);
    assert_non_null(strstr(r.err, "nothing saved"));
    cli_result_free(&r);
    snprintf(cmd, sizeof cmd, "grep -q earlier %s/kept/lora_1/keep", scratch);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_checked_first),
        cmocka_unit_test(test_kill_mid_save),
        cmocka_unit_test(test_all_diverged_keeps_old_save),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
