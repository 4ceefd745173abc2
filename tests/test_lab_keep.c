/* test_lab_keep.c — finished lab runs kept (src/demo/lab_keep.h): a run
 * kept in memory comes back with its figures; with a folder it is saved as
 * a lab-results file that a new keep (a restart) reads back, marked as from
 * disk; keeping a key again shows the newer run while the older stays
 * valid; a damaged file is set aside beside itself (never fatal, never
 * lost) with a message; an unwritable folder keeps the run for the session
 * and says why it was not saved; keys are stable, safe file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/base/file.h"
#include "../src/demo/lab_keep.h"
#include "../src/tune/lab_file.h"

/* Settings a run is kept with (seed 5, targets all). */
static LabDemoSettings settings5(void)
{
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    s.seed = 5;
    s.knob[LAB_KNOB_TARGETS] = 2;
    return s;
}

/* A finished tiny lab (a few steps on a tiny random GPT). */
typedef struct Tiny {
    Gpt base;
    Lab lab;
    LabSnapshot snap;
} Tiny;

static void tiny_run(Tiny *t, const char *methods, unsigned long long seed)
{
    GptConfig c = gpt_config_make(2, 2, 16, 16);
    assert_int_equal(gpt_init(&t->base, &c, NULL), LS_OK);
    gpt_init_weights(&t->base, 42);
    LabConfig cfg;
    lab_config_defaults(&cfg);
    cfg.base_model = &t->base;
    cfg.methods = methods;
    cfg.steps = 4;
    cfg.batch = 2;
    cfg.eval_every = 2;
    cfg.eval_windows = 2;
    cfg.final_windows = 4;
    cfg.sample_bytes = 8;
    cfg.seed = seed;
    Status st;
    assert_int_equal(lab_init(&t->lab, &cfg, &st), LS_OK);
    while (!lab_done(&t->lab)) assert_int_equal(lab_step(&t->lab, 1000.0, &st), LS_OK);
    lab_snapshot(&t->lab, &t->snap);
}

static void tiny_free(Tiny *t)
{
    lab_free(&t->lab);
    gpt_free(&t->base);
}

/* A fresh folder under /tmp (removed by the caller). */
static void temp_dir(char *out, size_t size)
{
    snprintf(out, size, "/tmp/test_lab_keep-XXXXXX");
    assert_non_null(mkdtemp(out));
}

static void same_figures(const LabSnapshot *a, const LabSnapshot *b)
{
    assert_int_equal(a->n_methods, b->n_methods);
    assert_int_equal(a->steps, b->steps);
    for (int i = 0; i < a->n_methods; i++) {
        assert_string_equal(a->methods[i].label, b->methods[i].label);
        assert_int_equal(a->methods[i].n_eval, b->methods[i].n_eval);
        assert_int_equal(a->methods[i].n_train, b->methods[i].n_train);
        for (int k = 0; k < a->methods[i].n_train; k++)
            assert_true(a->methods[i].train_loss[k] == b->methods[i].train_loss[k]);
        assert_true(a->methods[i].result->eval_loss == b->methods[i].result->eval_loss);
        assert_string_equal(a->methods[i].result->sample, b->methods[i].result->sample);
    }
    assert_true(a->base->eval_loss == b->base->eval_loss);
}

static void test_keys(void **state)
{
    (void)state;
    char a[LAB_KEEP_KEY_MAX], b[LAB_KEEP_KEY_MAX];
    lab_keep_key(a, sizeof a, "lessons/07-lab.md", "first", "lora=8;");
    assert_string_equal(a, "07-lab--first");
    /* Without an id: a hash of the parameters, the same for the same text. */
    lab_keep_key(a, sizeof a, "/x/07-lab.md", NULL, "lora=8;steps=60;");
    lab_keep_key(b, sizeof b, "/y/07-lab.md", NULL, "lora=8;steps=60;");
    assert_string_equal(a, b);
    assert_int_equal(strncmp(a, "07-lab--p", 9), 0);
    assert_int_equal(strlen(a), strlen("07-lab--p") + 16);
    lab_keep_key(b, sizeof b, "/x/07-lab.md", NULL, "lora=8;steps=61;");
    assert_string_not_equal(a, b);
    /* Whatever the lesson's name, the key is a plain file name. */
    lab_keep_key(a, sizeof a, "../we ird/../../x y.md", "id", NULL);
    assert_null(strchr(a, '/'));
    assert_null(strchr(a, ' '));
    assert_string_equal(a, "x_y--id");
}

/* Memory only: kept, found, and a newer run under the same key wins while
 * the older one stays readable. */
static void test_memory(void **state)
{
    (void)state;
    LabKeep *k = lab_keep_new(NULL);
    assert_non_null(k);
    LabDemoSettings set5 = settings5();
    char problem[200];
    assert_null(lab_keep_get(k, "07-lab--first", problem, sizeof problem));
    assert_string_equal(problem, "");
    Tiny *t = malloc(sizeof *t);
    tiny_run(t, "lora:1,prefix:2", 1);
    Status st = {0};
    assert_int_equal(lab_keep_put(k, "07-lab--first", &t->snap, &set5, &st), LS_OK);
    const LabKept *got = lab_keep_get(k, "07-lab--first", problem, sizeof problem);
    assert_non_null(got);
    assert_false(got->from_disk);
    assert_int_equal(got->task, TASK_DOMAIN);
    assert_true(got->has_settings);
    assert_int_equal(got->settings.knob[LAB_KNOB_TARGETS], 2);
    same_figures(&t->snap, &got->snap);
    tiny_free(t);
    /* The lab is gone; the kept copy is not. */
    assert_string_equal(got->snap.methods[0].label, "lora:1");
    Tiny *u = malloc(sizeof *u);
    tiny_run(u, "full", 2);
    assert_int_equal(lab_keep_put(k, "07-lab--first", &u->snap, &set5, &st), LS_OK);
    const LabKept *newer = lab_keep_get(k, "07-lab--first", NULL, 0);
    assert_string_equal(newer->snap.methods[0].label, "full");
    assert_string_equal(got->snap.methods[0].label, "lora:1");
    assert_null(lab_keep_get(k, "07-lab--other", NULL, 0));
    tiny_free(u);
    free(t);
    free(u);
    lab_keep_delete(k);
    lab_keep_delete(NULL);
}

/* Saved beside the progress: a new keep on the same folder (a restart)
 * reads the file back. */
static void test_disk_and_restart(void **state)
{
    (void)state;
    char dir[64], keep_dir[128], path[256];
    temp_dir(dir, sizeof dir);
    char progress[128];
    snprintf(progress, sizeof progress, "%s/progress.json", dir);
    Status st = {0};
    assert_int_equal(lab_keep_dir_for(keep_dir, sizeof keep_dir, progress, &st), LS_OK);
    snprintf(path, sizeof path, "%s/lab-results", dir);
    assert_string_equal(keep_dir, path);
    Tiny *t = malloc(sizeof *t);
    tiny_run(t, "lora:1,lora:2", 3);
    LabDemoSettings set5 = settings5();
    LabKeep *k = lab_keep_new(keep_dir);
    assert_int_equal(lab_keep_put(k, "07-lab--first", &t->snap, &set5, &st), LS_OK);
    lab_keep_delete(k);
    snprintf(path, sizeof path, "%s/07-lab--first.json", keep_dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* The file is the lab-results format: lab_file_load reads it. */
    LabRecord *rec = malloc(sizeof *rec);
    lab_record_init(rec);
    assert_int_equal(lab_file_load(path, rec, &st), LS_OK);
    assert_int_equal(rec->n_methods, 2);
    assert_int_equal((int)rec->seed, 5);
    lab_record_free(rec);
    free(rec);
    /* A restart. */
    k = lab_keep_new(keep_dir);
    char problem[200];
    const LabKept *got = lab_keep_get(k, "07-lab--first", problem, sizeof problem);
    assert_non_null(got);
    assert_string_equal(problem, "");
    assert_true(got->from_disk);
    assert_false(got->has_settings);
    same_figures(&t->snap, &got->snap);
    lab_keep_delete(k);
    tiny_free(t);
    free(t);
    file_remove_tree(dir, &st);
}

/* A damaged file: set aside beside itself, said once, the lab starts
 * fresh; a folder that cannot be made keeps the run for the session. */
static void test_bad_file_and_folder(void **state)
{
    (void)state;
    char dir[64], path[256];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/07-lab--first.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"task\": \"domain\", \"steps\": [", f);
    fclose(f);
    LabKeep *k = lab_keep_new(dir);
    char problem[400];
    assert_null(lab_keep_get(k, "07-lab--first", problem, sizeof problem));
    assert_non_null(strstr(problem, "07-lab--first.json"));
    assert_non_null(strstr(problem, "kept as"));
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
    int aside = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        aside += strncmp(e->d_name, "07-lab--first.json.unreadable-", 30) == 0;
    closedir(d);
    assert_int_equal(aside, 1);
    /* Said once: the next ask is quiet. */
    assert_null(lab_keep_get(k, "07-lab--first", problem, sizeof problem));
    assert_string_equal(problem, "");
    lab_keep_delete(k);
    /* The folder is a file: the run is kept for the session, not saved. */
    char blocked[128];
    snprintf(blocked, sizeof blocked, "%s/file", dir);
    f = fopen(blocked, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/sub", blocked);
    k = lab_keep_new(path);
    Tiny *t = malloc(sizeof *t);
    tiny_run(t, "lora:1", 4);
    LabDemoSettings set5 = settings5();
    Status st = {0};
    assert_int_not_equal(lab_keep_put(k, "07-lab--first", &t->snap, &set5, &st), LS_OK);
    assert_true(st.msg[0] != '\0');
    assert_non_null(lab_keep_get(k, "07-lab--first", NULL, 0));
    lab_keep_delete(k);
    tiny_free(t);
    free(t);
    file_remove_tree(dir, &st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_disk_and_restart),
        cmocka_unit_test(test_bad_file_and_folder),
    };
    return cmocka_run_group_tests_name("lab_keep", tests, NULL, NULL);
}
