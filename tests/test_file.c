/* test_file.c — writing files and folders safely (src/base/file.c,
 * staged_dir.c, out_path.c).
 *
 * The atomic writer replaces a file whole and leaves no temporary on any
 * failure; temporaries of a killed writer are cleaned. A staged save is put
 * in place whole: a writer killed mid-save (a forked child that exits
 * without committing) leaves the old save untouched and its temporary is
 * removed by the next save; a swap killed half-way is undone. Output checks
 * refuse each wrong output with a message naming the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/base/file.h"
#include "../src/base/out_path.h"
#include "../src/base/staged_dir.h"

static int setup(void **state)
{
    char *dir = malloc(64);
    snprintf(dir, 64, "/tmp/lorascope-test-file-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    file_remove_tree(*state, NULL);
    free(*state);
    return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The text of dir/name ("" when missing; static buffer). */
static const char *get(const char *dir, const char *name)
{
    static char buf[256];
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    buf[0] = 0;
    FILE *f = fopen(p, "r");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Entries of dir whose name contains `part`. */
static int count(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

/* A pid that surely no longer runs: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* ------------------------------------------------------------------------ */

static void test_write_atomic(void **state)
{
    const char *dir = *state;
    char path[256];
    Status st;
    snprintf(path, sizeof path, "%s/out.json", dir);
    assert_int_equal(file_write_atomic(path, "one", 3, &st), LS_OK);
    struct stat a, b;
    assert_int_equal(stat(path, &a), 0);
    assert_int_equal(file_write_atomic(path, "two!", 4, &st), LS_OK);
    assert_int_equal(stat(path, &b), 0);
    assert_string_equal(get(dir, "out.json"), "two!");
    assert_true(a.st_ino != b.st_ino); /* renamed over, not rewritten in place */
    assert_int_equal(b.st_mode & 0777, 0644);
    assert_int_equal(count(dir, ""), 1);

    /* The rename fails (the target is a folder): no temporary is left. */
    char sub[256];
    snprintf(sub, sizeof sub, "%s/folder", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    put(sub, "keep", "x");
    assert_int_equal(file_write_atomic(sub, "x", 1, &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, sub));
    assert_int_equal(count(dir, ".tmp"), 0);
    /* No folder to write in. */
    snprintf(path, sizeof path, "%s/no/such/x.json", dir);
    assert_int_equal(file_write_atomic(path, "x", 1, &st), LS_ERR_IO);
    assert_int_equal(count(dir, ".tmp"), 0);
    assert_int_equal(file_write_atomic("", "x", 1, &st), LS_ERR_ARG);
    /* A private file. */
    snprintf(path, sizeof path, "%s/private", dir);
    assert_int_equal(file_write_atomic_mode(path, "x", 1, 0600, &st), LS_OK);
    assert_int_equal(stat(path, &b), 0);
    assert_int_equal(b.st_mode & 0777, 0600);
}

static void test_stale_temporaries(void **state)
{
    const char *dir = *state;
    char name[128], path[256];
    Status st;
    /* One left by a killed writer, one by a writer still running (us). */
    snprintf(name, sizeof name, ".out.json.tmp-%ld-abcdef", (long)dead_pid());
    put(dir, name, "half");
    snprintf(name, sizeof name, ".out.json.tmp-%ld-ghijkl", (long)getppid());
    put(dir, name, "busy");
    snprintf(path, sizeof path, "%s/out.json", dir);
    assert_int_equal(file_write_atomic(path, "whole", 5, &st), LS_OK);
    assert_int_equal(count(dir, ".tmp-"), 1);
    assert_string_equal(get(dir, name), "busy");
}

/* ------------------------------------------------------------------------ */

static void make_save(const char *final, const char *tag, bool commit_it)
{
    StagedDir sd;
    Status st;
    assert_int_equal(staged_dir_begin(&sd, final, &st), LS_OK);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/lora_1", sd.tmp);
    assert_int_equal(file_make_dirs(sub, &st), LS_OK);
    put(sub, "adapter", tag);
    snprintf(sub, sizeof sub, "%s/lora_1/merged", sd.tmp);
    assert_int_equal(file_make_dirs(sub, &st), LS_OK);
    put(sub, "model", tag);
    if (commit_it) {
        assert_int_equal(staged_dir_commit(&sd, NULL, &st), LS_OK);
        assert_false(sd.open);
    }
    /* Without commit: as if killed here (the child exits without cleaning). */
}

static void check_save(const char *final, const char *tag)
{
    char sub[512];
    snprintf(sub, sizeof sub, "%s/lora_1", final);
    assert_string_equal(get(sub, "adapter"), tag);
    snprintf(sub, sizeof sub, "%s/lora_1/merged", final);
    assert_string_equal(get(sub, "model"), tag);
}

static void test_staged_save_whole_or_old(void **state)
{
    const char *dir = *state;
    char final[256];
    Status st;
    snprintf(final, sizeof final, "%s/runs/a", dir); /* parents are made */
    make_save(final, "old", true);
    check_save(final, "old");
    assert_string_not_equal(get(final, STAGED_DIR_MARK), "");

    /* A writer killed half-way through the new save. */
    pid_t pid = fork();
    if (pid == 0) {
        make_save(final, "new", false);
        _exit(0);
    }
    int ws;
    waitpid(pid, &ws, 0);
    assert_int_equal(WEXITSTATUS(ws), 0);
    char parent[256];
    snprintf(parent, sizeof parent, "%s/runs", dir);
    check_save(final, "old"); /* the old save, whole */
    assert_int_equal(count(parent, ".a.partial-"), 1);

    /* The next save cleans the dead one's temporary and replaces the old. */
    make_save(final, "new", true);
    check_save(final, "new");
    assert_int_equal(count(parent, ""), 1);

    /* Given up: nothing changes, nothing is left. */
    StagedDir sd;
    assert_int_equal(staged_dir_begin(&sd, final, &st), LS_OK);
    staged_dir_abort(&sd);
    check_save(final, "new");
    assert_int_equal(count(parent, ""), 1);
}

/* Where no atomic exchange exists, a kill between the two renames leaves
 * the old save at ".NAME.old-PID-..." and no NAME: the next save restores it. */
static void test_staged_restores_old(void **state)
{
    const char *dir = *state;
    char final[256], old[256];
    snprintf(final, sizeof final, "%s/run", dir);
    make_save(final, "old", true);
    snprintf(old, sizeof old, "%s/.run.old-%ld-qwerty", dir, (long)dead_pid());
    assert_int_equal(rename(final, old), 0);
    StagedDir sd;
    Status st;
    assert_int_equal(staged_dir_begin(&sd, final, &st), LS_OK);
    check_save(final, "old");
    staged_dir_abort(&sd);
    assert_int_equal(count(dir, ".run."), 0);
}

static void test_staged_refuses_foreign(void **state)
{
    const char *dir = *state;
    char final[256];
    Status st;
    snprintf(final, sizeof final, "%s/mine", dir);
    assert_int_equal(mkdir(final, 0755), 0);
    assert_int_equal(staged_dir_check(final, NULL, &st), LS_OK); /* empty */
    put(final, "thesis.tex", "years of work");
    assert_int_equal(staged_dir_check(final, NULL, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "thesis.tex"));
    static const char *const known[] = {"config.json", "model.safetensors", NULL};
    char model[256];
    snprintf(model, sizeof model, "%s/model", dir);
    assert_int_equal(mkdir(model, 0755), 0);
    put(model, "config.json", "{}");
    assert_int_equal(staged_dir_check(model, known, &st), LS_OK);
    assert_int_equal(staged_dir_check(model, NULL, &st), LS_ERR_ARG);
    char file[256];
    snprintf(file, sizeof file, "%s/mine/thesis.tex", dir);
    assert_int_equal(staged_dir_check(file, NULL, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "not a folder"));
    char link[256];
    snprintf(link, sizeof link, "%s/linked", dir);
    assert_int_equal(symlink(model, link), 0);
    assert_int_equal(staged_dir_check(link, known, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "symbolic link"));

    /* Files that appear during the work stop the swap; the new save is kept. */
    char late[256];
    snprintf(late, sizeof late, "%s/late", dir);
    StagedDir sd;
    make_save(late, "old", true);
    assert_int_equal(staged_dir_begin(&sd, late, &st), LS_OK);
    assert_int_equal(unlink(strcat(strcpy(model, late), "/" STAGED_DIR_MARK)), 0);
    put(late, "notes.txt", "mine");
    assert_int_equal(staged_dir_commit(&sd, NULL, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, sd.tmp));
    staged_dir_abort(&sd);
    struct stat sb;
    assert_int_equal(stat(sd.tmp, &sb), 0);
    assert_string_equal(get(late, "notes.txt"), "mine");
}

/* ------------------------------------------------------------------------ */

static int check(const OutSpec *o, int n, Status *st)
{
    status_clear(st);
    return out_paths_check(o, n, st);
}

static void test_out_paths(void **state)
{
    const char *dir = *state;
    Status st;
    char file[256], folder[256], save[256], same[256], inside[256], missing[256];
    snprintf(file, sizeof file, "%s/f.json", dir);
    snprintf(folder, sizeof folder, "%s/d", dir);
    snprintf(save, sizeof save, "%s/new/deeper/save", dir);
    snprintf(same, sizeof same, "%s/./d/../f.json", dir);
    snprintf(inside, sizeof inside, "%s/new/deeper/save/x.csv", dir);
    snprintf(missing, sizeof missing, "%s/nope/x.csv", dir);
    put(dir, "f.json", "{}");
    assert_int_equal(mkdir(folder, 0755), 0);

    OutSpec ok[] = {{"--json", file, OUT_FILE, NULL},
                    {"--csv", "-", OUT_FILE, NULL},
                    {"--save", save, OUT_DIR, NULL},
                    {"--other", NULL, OUT_FILE, NULL}};
    assert_int_equal(check(ok, 4, &st), LS_OK);
    /* The check made nothing. */
    assert_int_equal(count(dir, "new"), 0);

    OutSpec empty[] = {{"--save", "", OUT_DIR, NULL}};
    assert_int_equal(check(empty, 1, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "--save needs a folder name"));
    OutSpec json_dir[] = {{"--json", folder, OUT_FILE, NULL}};
    assert_int_equal(check(json_dir, 1, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "--json"));
    assert_non_null(strstr(st.msg, "folder"));
    OutSpec save_file[] = {{"--save", file, OUT_DIR, NULL}};
    assert_int_equal(check(save_file, 1, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "--save"));
    OutSpec special[] = {{"--csv", "/dev/null", OUT_FILE, NULL}};
    assert_int_equal(check(special, 1, &st), LS_ERR_ARG);
    OutSpec no_dir[] = {{"--csv", missing, OUT_FILE, NULL}};
    assert_int_equal(check(no_dir, 1, &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "does not exist"));
    /* A place nobody may create files in, even root. */
    OutSpec proc[] = {{"--csv", "/proc/lorascope.csv", OUT_FILE, NULL}};
    assert_int_equal(check(proc, 1, &st), LS_ERR_IO);
    assert_non_null(strstr(st.msg, "--csv"));
    OutSpec proc_dir[] = {{"--out", "/proc/lorascope/model", OUT_DIR, NULL}};
    assert_int_equal(check(proc_dir, 1, &st), LS_ERR_IO);
    OutSpec twice[] = {{"--json", file, OUT_FILE, NULL}, {"--csv", same, OUT_FILE, NULL}};
    assert_int_equal(check(twice, 2, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "name the same file"));
    OutSpec stdout_twice[] = {{"--json", "-", OUT_FILE, NULL}, {"--csv", "-", OUT_FILE, NULL}};
    assert_int_equal(check(stdout_twice, 2, &st), LS_ERR_ARG);
    OutSpec in_save[] = {{"--csv", inside, OUT_FILE, NULL}, {"--save", save, OUT_DIR, NULL}};
    assert_int_equal(check(in_save, 2, &st), LS_ERR_ARG);
    assert_non_null(strstr(st.msg, "inside"));

    /* Through a symbolic link: the same file. */
    char link[256];
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(symlink(dir, link), 0);
    char via[300];
    snprintf(via, sizeof via, "%s/f.json", link);
    OutSpec linked[] = {{"--json", file, OUT_FILE, NULL}, {"--csv", via, OUT_FILE, NULL}};
    assert_int_equal(check(linked, 2, &st), LS_ERR_ARG);

    /* The folder we stand in, or one above it, cannot be swapped out. */
    static const char *const here[] = {".", "..", "/", "./"};
    for (int i = 0; i < 4; i++) {
        OutSpec cwd_save[] = {{"--save", here[i], OUT_DIR, NULL}};
        assert_int_equal(check(cwd_save, 1, &st), LS_ERR_ARG);
        assert_non_null(strstr(st.msg, "current folder"));
    }
    char r[4096];
    assert_int_equal(out_path_resolve(r, sizeof r, "/a/./b//../c/"), 0);
    assert_string_equal(r, "/a/c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temporaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_save_whole_or_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_restores_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_refuses_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_paths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
