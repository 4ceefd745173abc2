/* test_lab_results.c — the shipped lab results (data/lab-results/NAME.json,
 * made by `make lab-results`) are real and their verdicts follow from
 * their numbers:
 *  - each file reads back as an experiment and records its command, date
 *    and git commit;
 *  - the summary and the findings stored in the file are what the cells'
 *    numbers give (recomputed here through experiment_json);
 *  - independently of experiment.c, from the cells' raw JSON: each
 *    method's chosen rate (lowest mean validation loss), the mean and sample
 *    std of its held-out loss, and the verdicts of the findings that
 *    compare two methods' held-out losses under the noise rule;
 *  - one shipped cell re-run with its seed gives its figures again, within
 *    EXP_RERUN_TOLERANCE (experiment.h; the lab page's `r` uses the same
 *    functions and tolerance), not under valgrind: it trains the real base
 *    model, about 10 s;
 *  - the re-run comparison itself, on made-up figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/linalg.h"
#include "../src/nn/fileio.h"
#include "../src/tune/experiment.h"
#include "../src/tune/findings.h"

static const char *const files[] = {"domain", "addition"};

static char *path_of(const char *name)
{
    static char p[1024];
    const char *r = getenv("LORASCOPE_ROOT");
    snprintf(p, sizeof p, "%s/data/lab-results/%s.json", r && *r ? r : ".", name);
    return p;
}

static cJSON *read_json(const char *path)
{
    unsigned char *d = NULL;
    size_t n = 0;
    Status st;
    if (file_read_all(path, 256u << 20, &d, &n, &st)) fail_msg("%s", st.msg);
    cJSON *o = cJSON_ParseWithLength((const char *)d, n);
    free(d);
    if (!o) fail_msg("%s: not JSON", path);
    return o;
}

static void test_files_read_and_record_their_making(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        Experiment *e = malloc(sizeof *e);
        Status st;
        if (experiment_load(path_of(files[f]), e, &st)) fail_msg("%s", st.msg);
        assert_non_null(strstr(e->command, "lorascope finetune --task"));
        assert_non_null(strstr(e->command, "--sweep"));
        assert_non_null(strstr(e->command, "--seed 3")); /* one process per seed, merged */
        assert_int_equal(strlen(e->git_commit), 40);
        assert_int_equal(strlen(e->date), 20);
        assert_int_equal(e->cfg.seeds, 3);
        assert_int_equal(e->cfg.n_grid, 3);
        int done = 0;
        for (int i = 0; i < e->n_cells; i++) done += e->cells[i].done;
        assert_true(done >= 3); /* at least one seed swept */
        experiment_free(e);
        free(e);
    }
}

static void test_stored_summary_and_findings_follow_from_cells(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        cJSON *file = read_json(path_of(files[f]));
        Experiment *e = malloc(sizeof *e);
        Status st;
        if (experiment_parse(e, file, &st)) fail_msg("%s", st.msg);
        cJSON *made = experiment_json(e, &st);
        assert_non_null(made);
        /* Read back, so both sides print numbers the same way. */
        char *made_text = cJSON_PrintUnformatted(made);
        cJSON_Delete(made);
        cJSON *again = cJSON_Parse(made_text);
        free(made_text);
        assert_non_null(again);
        static const char *const keys[] = {"summary", "complete"};
        for (int k = 0; k < 2; k++) {
            char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(file, keys[k]));
            char *b = cJSON_PrintUnformatted(cJSON_GetObjectItem(again, keys[k]));
            if (strcmp(a, b) != 0)
                fail_msg("%s: the stored \"%s\" is not what its cells give", files[f], keys[k]);
            free(a), free(b);
        }
        /* Each stored verdict is today's verdict on the same numbers (the
         * value texts may be worded differently since). */
        const cJSON *fs = cJSON_GetObjectItem(file, "findings"), *gs = cJSON_GetObjectItem(again, "findings");
        assert_int_equal(cJSON_GetArraySize(fs), cJSON_GetArraySize(gs));
        for (const cJSON *x = fs->child, *y = gs->child; x && y; x = x->next, y = y->next) {
            assert_string_equal(cJSON_GetObjectItem(x, "id")->valuestring, cJSON_GetObjectItem(y, "id")->valuestring);
            if (strcmp(cJSON_GetObjectItem(x, "verdict")->valuestring, cJSON_GetObjectItem(y, "verdict")->valuestring) != 0)
                fail_msg("%s %s: stored '%s', its numbers give '%s' (%s)", files[f],
                         cJSON_GetObjectItem(x, "id")->valuestring, cJSON_GetObjectItem(x, "verdict")->valuestring,
                         cJSON_GetObjectItem(y, "verdict")->valuestring, cJSON_GetObjectItem(y, "value")->valuestring);
        }
        cJSON_Delete(again);
        experiment_free(e);
        free(e);
        cJSON_Delete(file);
    }
}

/* From the raw cells: method k's chosen grid point and its held-out losses. */
typedef struct Raw {
    char label[TUNE_LABEL_MAX];
    int chosen;
    double mean, std;
    int n;
} Raw;

static void raw_method(const cJSON *file, int k, Raw *out)
{
    const cJSON *cells = cJSON_GetObjectItem(file, "cells");
    double vsum[8] = {0};
    int vn[8] = {0};
    bool bad[8] = {false};
    for (const cJSON *c = cells->child; c; c = c->next) {
        int g = cJSON_GetObjectItem(c, "grid")->valueint;
        const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "lab"), "methods"), k);
        const cJSON *v = cJSON_GetObjectItem(m, "validation_loss");
        if (cJSON_IsNumber(v)) vsum[g] += v->valuedouble, vn[g]++;
        else bad[g] = true;
    }
    out->chosen = -1;
    double best = INFINITY;
    for (int g = 0; g < 8; g++)
        if (vn[g] && !bad[g] && vsum[g] / vn[g] < best) best = vsum[g] / vn[g], out->chosen = g;
    double x[16];
    out->n = 0;
    for (const cJSON *c = cells->child; c; c = c->next) {
        if (cJSON_GetObjectItem(c, "grid")->valueint != out->chosen) continue;
        const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "lab"), "methods"), k);
        x[out->n++] = cJSON_GetObjectItem(m, "eval_loss")->valuedouble;
    }
    double s = 0, q = 0;
    for (int i = 0; i < out->n; i++) s += x[i];
    out->mean = s / out->n;
    for (int i = 0; i < out->n; i++) q += (x[i] - out->mean) * (x[i] - out->mean);
    out->std = out->n > 1 ? sqrt(q / (out->n - 1)) : NAN;
}

static int method_index(const char *methods, const char *label)
{
    TuneSpec specs[LAB_MAX_METHODS];
    int n;
    Status st;
    assert_int_equal(tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, methods, &st), LS_OK);
    /* The list may give a method the centre of its rate grid ("lora:8,lr=1e-2"). */
    for (int i = 0; i < n; i++) {
        char *lr = strstr(specs[i].label, ",lr=");
        size_t len = lr ? (size_t)(lr - specs[i].label) : strlen(specs[i].label);
        if (strlen(label) == len && strncmp(specs[i].label, label, len) == 0) return i;
    }
    fail_msg("no method %s", label);
    return -1;
}

static const char *stored_verdict(const cJSON *file, const char *id)
{
    const cJSON *fs = cJSON_GetObjectItem(file, "findings");
    for (const cJSON *x = fs->child; x; x = x->next)
        if (strcmp(cJSON_GetObjectItem(x, "id")->valuestring, id) == 0)
            return cJSON_GetObjectItem(x, "verdict")->valuestring;
    fail_msg("no finding %s", id);
    return NULL;
}

static void test_verdicts_independently(void **state)
{
    (void)state;
    /* Findings that claim the first method's held-out loss is lower. */
    static const struct {
        const char *id, *a, *b;
    } pairs[] = {
        {"lora_beats_prefix", "lora:8", "prefix:16"},
        {"prefix_mlp", "prefix:16,mlp", "prefix:16"},
        {"dora_beats_lora", "dora:8", "lora:8"},
        {"ia3_beats_lora", "ia3", "lora:8"},
        {"all_linear_layers", "lora:8,targets=all", "lora:8"},
        {"prefix_beats_prompt", "prefix:16", "prompt:16"},
    };
    for (int f = 0; f < 2; f++) {
        cJSON *file = read_json(path_of(files[f]));
        const char *methods = cJSON_GetObjectItem(file, "methods")->valuestring;
        const cJSON *sum = cJSON_GetArrayItem(cJSON_GetObjectItem(file, "summary"), 0);
        for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            Raw a, b;
            int ia = method_index(methods, pairs[p].a), ib = method_index(methods, pairs[p].b);
            raw_method(file, ia, &a);
            raw_method(file, ib, &b);
            /* The summary's chosen rates and means are the raw ones. */
            const cJSON *sa = cJSON_GetArrayItem(cJSON_GetObjectItem(sum, "methods"), ia);
            assert_int_equal(cJSON_GetObjectItem(sa, "chosen")->valueint, a.chosen);
            assert_true(fabs(cJSON_GetObjectItem(cJSON_GetObjectItem(sa, "eval_loss"), "mean")->valuedouble - a.mean) < 1e-9);
            const char *want;
            if (a.n >= 2 && b.n >= 2 && fabs(a.mean - b.mean) < a.std + b.std)
                want = "inside the noise";
            else
                want = a.mean < b.mean ? "holds" : "does not hold";
            const char *got = stored_verdict(file, pairs[p].id);
            if (strcmp(got, want) != 0)
                fail_msg("%s %s: the file says '%s', its numbers (%.4f ± %.4f vs %.4f ± %.4f) give '%s'",
                         files[f], pairs[p].id, got, a.mean, a.std, b.mean, b.std, want);
        }
        cJSON_Delete(file);
    }
}

static void test_rerun_one_cell(void **state)
{
    (void)state;
    if (getenv("LORASCOPE_UNDER_VALGRIND")) skip();
    Experiment *e = malloc(sizeof *e);
    ExpTaskSummary *sum = malloc(sizeof *sum);
    Status st;
    if (experiment_load(path_of("domain"), e, &st)) fail_msg("%s", st.msg);
    assert_int_equal(experiment_summarize(e, 0, sum, &st), LS_OK);
    /* lora:1 at its chosen rate, first seed: what the lab page offers. */
    int k = method_index(e->methods, "lora:1");
    const ExpMethodSummary *sm = &sum->methods[k];
    assert_true(sm->n_cells >= 1);
    int cell = sm->cells[0];
    const LabRecordMethod *m = &e->cells[cell].rec->methods[sm->method_index];
    LabConfig c;
    char methods[TUNE_LABEL_MAX];
    assert_int_equal(experiment_rerun_config(e, cell, sm->method_index, &c, methods, sizeof methods, &st), LS_OK);
    assert_string_equal(c.methods, m->label); /* "lora:1,lr=..." as the cell ran it */
    assert_int_equal(c.seed, e->cells[cell].seed);
    linalg_set_threads(1);
    Lab *lab = malloc(sizeof *lab);
    assert_int_equal(lab_init(lab, &c, &st), LS_OK);
    while (!lab_done(lab)) assert_int_equal(lab_step(lab, 1000.0, &st), LS_OK);
    LabSnapshot s;
    lab_snapshot(lab, &s);
    const LabResult *got = s.methods[0].result;
    ExpRerunCheck chk;
    experiment_rerun_compare(&m->result, got, &chk);
    for (int j = 0; j < chk.n; j++)
        printf("re-run %s seed %llu: %s %.5f (shipped %.5f)\n", m->label, c.seed, chk.fig[j].name, chk.fig[j].live,
               chk.fig[j].shipped);
    assert_int_equal(chk.n, 3); /* domain: no accuracy */
    assert_true(chk.reproduced);
    assert_int_equal(s.methods[0].n_eval, m->n_eval);
    for (int i = 0; i < m->n_eval; i++) {
        assert_int_equal(s.methods[0].eval_step[i], m->eval_step[i]);
        assert_true(fabs(s.methods[0].eval_loss[i] - m->eval_loss[i]) < EXP_RERUN_TOLERANCE);
    }
    lab_free(lab);
    free(lab);
    experiment_free(e);
    free(e);
    free(sum);
}

/* The comparison: each figure within the tolerance or not, a figure that
 * is not finite never within, accuracy only where the task has one. */
static void test_rerun_compare(void **state)
{
    (void)state;
    LabResult shipped = {.ready = true, .eval_loss = 1.70, .forgetting = 0.10, .train_loss = 1.80};
    LabResult live = shipped;
    ExpRerunCheck c;
    experiment_rerun_compare(&shipped, &live, &c);
    assert_int_equal(c.n, 3);
    assert_true(c.reproduced);
    assert_string_equal(c.fig[0].name, "held-out");
    live.eval_loss = 1.70 + 0.9 * EXP_RERUN_TOLERANCE;
    experiment_rerun_compare(&shipped, &live, &c);
    assert_true(c.fig[0].within && c.reproduced);
    live.eval_loss = 1.70 + 1.1 * EXP_RERUN_TOLERANCE;
    experiment_rerun_compare(&shipped, &live, &c);
    assert_false(c.fig[0].within);
    assert_false(c.reproduced);
    live = shipped;
    live.forgetting = NAN;
    experiment_rerun_compare(&shipped, &live, &c);
    assert_false(c.fig[1].within);
    assert_true(isnan(c.fig[1].live));
    assert_false(c.reproduced);
    live = shipped;
    live.ready = false; /* not finished: never reproduced */
    experiment_rerun_compare(&shipped, &live, &c);
    assert_false(c.reproduced);
    /* Addition: accuracy too, as a fraction. */
    shipped.has_accuracy = live.has_accuracy = true;
    shipped.accuracy = 0.50;
    live = shipped;
    live.accuracy = 0.50 - 1.5 * EXP_RERUN_TOLERANCE;
    experiment_rerun_compare(&shipped, &live, &c);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.fig[3].name, "accuracy");
    assert_false(c.fig[3].within);
    assert_true(c.fig[0].within && c.fig[1].within && c.fig[2].within);
    assert_false(c.reproduced);
}

/* x to one significant digit (0.00667 -> 0.007, 0.27 -> 0.3). */
static double one_digit(double x)
{
    double p = pow(10, floor(log10(x)));
    return round(x / p) * p;
}

/* The live lab's default rates are the shipped sweep's choices on the
 * domain task, to one significant digit: each method at the size the lab
 * shows first, the prefix with and without its MLP (tune.c). */
static void test_defaults_are_the_sweep(void **state)
{
    (void)state;
    static const char *const labels[] = {"full", "lora:8", "qlora:8", "prefix:16", "prefix:16,mlp",
                                         "ia3", "dora:8", "prompt:16"};
    cJSON *file = read_json(path_of("domain"));
    const char *methods = cJSON_GetObjectItem(file, "methods")->valuestring;
    const cJSON *sum = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(file, "summary"), 0), "methods");
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        const cJSON *m = cJSON_GetArrayItem(sum, method_index(methods, labels[i]));
        double chosen = cJSON_GetObjectItem(m, "lr")->valuedouble;
        TuneSpec spec;
        Status st;
        assert_int_equal(tune_spec_parse(&spec, labels[i], &st), LS_OK);
        double def = tune_spec_default_lr(&spec);
        if (fabs(def - one_digit(chosen)) > 1e-6 * chosen)
            fail_msg("%s: default rate %g, but the sweep chose %g (%g to one digit)", labels[i], def, chosen,
                     one_digit(chosen));
    }
    cJSON_Delete(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_read_and_record_their_making),
        cmocka_unit_test(test_stored_summary_and_findings_follow_from_cells),
        cmocka_unit_test(test_verdicts_independently),
        cmocka_unit_test(test_rerun_one_cell),
        cmocka_unit_test(test_rerun_compare),
        cmocka_unit_test(test_defaults_are_the_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
