/* test_lab_file.c — a lab's results file (src/tune/lab_file.h): a finished
 * tiny lab written, read back and written again gives the same text; the
 * record's snapshot draws what the live lab's did; and every kind of bad
 * input (a missing key, a wrong type, a number out of range or not finite,
 * a curve longer than its steps, too many methods, a label that is not a
 * method) is refused with a message naming the key, without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/tune/tune_lora.h"
#include "../src/tune/analysis.h"
#include "../src/tune/experiment.h"
#include "../src/tune/lab_file.h"

static void tiny_base(Gpt *m)
{
    GptConfig c = gpt_config_make(2, 2, 16, 16);
    assert_int_equal(gpt_init(m, &c, NULL), LS_OK);
    gpt_init_weights(m, 42);
}

/* A finished tiny lab's record (with its analysis) as JSON text. */
static char *tiny_lab_text(LabRecord *rec, LabSnapshot *snap_copy_labels)
{
    Gpt base;
    tiny_base(&base);
    LabConfig c;
    lab_config_defaults(&c);
    c.base_model = &base;
    c.methods = "full,lora:1,lora:2,prefix:2";
    c.steps = 4;
    c.batch = 2;
    c.eval_every = 2;
    c.eval_windows = 2;
    c.final_windows = 4;
    c.sample_bytes = 8;
    Lab *lab = malloc(sizeof *lab);
    Status st;
    assert_int_equal(lab_init(lab, &c, &st), LS_OK);
    while (!lab_done(lab)) assert_int_equal(lab_step(lab, 1000.0, &st), LS_OK);
    LabSnapshot s;
    lab_snapshot(lab, &s);
    assert_int_equal(lab_record_from_snapshot(rec, &s, &st), LS_OK);
    LabAnalysis an;
    assert_int_equal(lab_analyze(&an, lab, &st), LS_OK);
    lab_record_take_analysis(rec, &an);
    rec->seed = 1;
    rec->threads = 1;
    assert_true(rec->has_analysis && rec->analysis.small_method >= 0);
    /* The fields a view draws, from the live snapshot. */
    *snap_copy_labels = s;
    assert_string_equal(rec->methods[1].label, "lora:1");
    assert_true(rec->methods[1].rslora);
    assert_true(fabs(rec->methods[1].scale - TUNE_FIXED_ALPHA) < 1e-5);
    assert_true(isnan(rec->methods[0].alpha));
    lab_free(lab);
    free(lab);
    gpt_free(&base);
    cJSON *j = lab_record_json(rec);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    return text;
}

static void test_round_trip(void **state)
{
    (void)state;
    LabRecord *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    LabSnapshot live;
    char *text = tiny_lab_text(a, &live);
    Status st;
    assert_int_equal(lab_record_parse_text(b, text, strlen(text), &st), LS_OK);
    cJSON *j = lab_record_json(b);
    char *again = cJSON_Print(j);
    cJSON_Delete(j);
    assert_string_equal(text, again);
    /* The snapshot of the loaded record draws what the live lab showed. */
    LabSnapshot s;
    lab_record_snapshot(b, &s);
    assert_int_equal(s.phase, LAB_PHASE_DONE);
    assert_int_equal(s.n_methods, 4);
    assert_int_equal(s.steps, 4);
    assert_int_equal(s.scaling, LAB_SCALING_RSLORA);
    for (int i = 0; i < s.n_methods; i++) {
        assert_string_equal(s.methods[i].label, a->methods[i].label);
        assert_int_equal(s.methods[i].kind, a->methods[i].kind);
        assert_int_equal(s.methods[i].size, a->methods[i].size);
        assert_int_equal(s.methods[i].n_train, 4);
        assert_int_equal(s.methods[i].n_eval, a->methods[i].n_eval);
        assert_true(s.methods[i].n_eval >= 3);
        assert_memory_equal(s.methods[i].train_loss, a->methods[i].train_loss, 4 * sizeof(float));
        assert_true(s.methods[i].result->eval_loss == a->methods[i].result.eval_loss);
        assert_string_equal(s.methods[i].result->sample, a->methods[i].result.sample);
        assert_true(s.methods[i].bytes.total == a->methods[i].bytes.total);
    }
    assert_int_equal(b->analysis.small_method, a->analysis.small_method);
    assert_int_equal(b->analysis.n_sims, a->analysis.n_sims);
    assert_int_equal(b->analysis.n_amps, a->analysis.n_amps);
    assert_int_equal(b->analysis.n_spectra, a->analysis.n_spectra);
    assert_true(b->analysis.sims[0].phi[0] == a->analysis.sims[0].phi[0]);
    free(again);
    free(text);
    lab_record_free(a);
    lab_record_free(b);
    free(a);
    free(b);
}

/* Parse o's text and expect a refusal whose message contains want. */
static void expect_refused(cJSON *o, const char *want)
{
    char *text = cJSON_PrintUnformatted(o);
    LabRecord *r = malloc(sizeof *r);
    Status st;
    status_clear(&st);
    int rc = lab_record_parse_text(r, text, strlen(text), &st);
    if (rc == LS_OK) fail_msg("accepted; wanted a refusal naming %s", want);
    if (!strstr(st.msg, want)) fail_msg("message '%s' does not name %s", st.msg, want);
    assert_int_equal(r->n_methods, 0);
    free(r);
    free(text);
}

static cJSON *method0(cJSON *o)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(o, "methods"), 0);
}

static void test_bad_input(void **state)
{
    (void)state;
    LabRecord *a = malloc(sizeof *a);
    LabSnapshot live;
    char *text = tiny_lab_text(a, &live);
    lab_record_free(a);
    free(a);
    /* Every required top-level key, removed in turn. */
    static const char *const top[] = {"task", "task_description", "steps", "batch", "seq", "seed",
                                      "threads", "stopped", "elapsed_s", "base_params", "base",
                                      "methods"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        cJSON *o = cJSON_Parse(text);
        cJSON_DeleteItemFromObject(o, top[i]);
        char want[64];
        snprintf(want, sizeof want, "\"%s\": missing", top[i]);
        expect_refused(o, want);
        cJSON_Delete(o);
    }
    /* Every required key of a method, removed in turn. */
    static const char *const mk[] = {"method", "kind", "lr", "steps_done", "trainable_params",
                                     "total_params", "trainable_share", "bytes", "ms_per_step",
                                     "train_loss", "eval_loss", "forgetting", "diverged",
                                     "curves", "sample"};
    for (size_t i = 0; i < sizeof mk / sizeof mk[0]; i++) {
        cJSON *o = cJSON_Parse(text);
        cJSON_DeleteItemFromObject(method0(o), mk[i]);
        char want[64];
        snprintf(want, sizeof want, "methods[0]: \"%s\": missing", mk[i]);
        expect_refused(o, want);
        cJSON_Delete(o);
    }
    cJSON *o;
    /* Wrong types. */
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(o, "steps", cJSON_CreateString("4"));
    expect_refused(o, "\"steps\": must be a number");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(o, "methods", cJSON_CreateObject());
    expect_refused(o, "\"methods\": must be an array");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(method0(o), "diverged", cJSON_CreateNumber(0));
    expect_refused(o, "\"diverged\": must be true or false");
    cJSON_Delete(o);
    /* Not finite, out of range, absurd sizes. */
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(method0(o), "eval_loss", cJSON_CreateRaw("1e999"));
    expect_refused(o, "\"eval_loss\": not a finite number");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(o, "steps", cJSON_CreateNumber(1e12));
    expect_refused(o, "\"steps\": 1e+12 is outside");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(method0(o), "lr", cJSON_CreateNumber(-1));
    expect_refused(o, "\"lr\"");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(method0(o), "steps_done", cJSON_CreateNumber(2));
    expect_refused(o, "\"train_loss\": 4 entries, more than 2");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON *ms = cJSON_GetObjectItem(o, "methods");
    while (cJSON_GetArraySize(ms) <= LAB_MAX_METHODS)
        cJSON_AddItemToArray(ms, cJSON_Duplicate(cJSON_GetArrayItem(ms, 0), 1));
    expect_refused(o, "\"methods\": 17 entries, more than 16");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(method0(o), "method", cJSON_CreateString("lora:0"));
    expect_refused(o, "is not a method spec");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(method0(o), "kind", cJSON_CreateString("lora"));
    expect_refused(o, "\"kind\": 'lora' but the method is full");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON *ss = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "analysis"), "subspace_similarity");
    cJSON_ReplaceItemInObject(ss, "r_large", cJSON_CreateNumber(3));
    expect_refused(o, "\"phi\": row 0 is not 3 numbers");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(ss = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "analysis"),
                                                       "subspace_similarity"),
                              "small", cJSON_CreateString("lora:9"));
    expect_refused(o, "\"small\": 'lora:9' is none of the methods");
    cJSON_Delete(o);
    o = cJSON_Parse(text);
    cJSON_ReplaceItemInObject(o, "version", cJSON_CreateNumber(2));
    expect_refused(o, "\"version\": 2 is newer");
    cJSON_Delete(o);
    /* A file from before the new keys reads, with alpha = 2r's scaling. */
    o = cJSON_Parse(text);
    static const char *const newer[] = {"format", "version", "validation", "test", "lora_scaling",
                                        "lora_scaling_text", "findings"};
    for (size_t i = 0; i < sizeof newer / sizeof newer[0]; i++) cJSON_DeleteItemFromObject(o, newer[i]);
    for (cJSON *m = cJSON_GetObjectItem(o, "methods")->child; m; m = m->next) {
        static const char *const mk2[] = {"validation_loss", "alpha", "rslora", "scale"};
        for (int i = 0; i < 4; i++) cJSON_DeleteItemFromObject(m, mk2[i]);
    }
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "analysis"), "subspace_similarity"),
                               "sim_in");
    char *old_text = cJSON_PrintUnformatted(o);
    LabRecord *old = malloc(sizeof *old);
    Status ost;
    if (lab_record_parse_text(old, old_text, strlen(old_text), &ost)) fail_msg("%s", ost.msg);
    assert_int_equal(old->scaling, LAB_SCALING_SPEC);
    assert_true(isnan(old->methods[1].validation_loss) && isnan(old->methods[1].alpha));
    lab_record_free(old);
    free(old);
    free(old_text);
    cJSON_Delete(o);
    /* Not an object; not JSON; cut short anywhere. */
    LabRecord *r = malloc(sizeof *r);
    Status st;
    assert_int_not_equal(lab_record_parse_text(r, "[1,2]", 5, &st), LS_OK);
    assert_int_not_equal(lab_record_parse_text(r, "{", 1, &st), LS_OK);
    assert_int_not_equal(lab_record_parse_text(r, "", 0, &st), LS_OK);
    size_t n = strlen(text);
    for (size_t k = 0; k < n; k += n / 97 + 1)
        assert_int_not_equal(lab_record_parse_text(r, text, k, &st), LS_OK);
    /* A missing file. */
    assert_int_not_equal(lab_file_load("/nonexistent/lab.json", r, &st), LS_OK);
    assert_non_null(strstr(st.msg, "/nonexistent/lab.json"));
    free(r);
    free(text);
}

/* rslora keeps alpha fixed across ranks unless alpha= is given; at r = 8
 * its scale equals the alpha = 2r rule's 2 exactly. */
static void test_rslora_alpha(void **state)
{
    (void)state;
    TuneSpec s;
    Status st;
    assert_int_equal(tune_spec_parse(&s, "lora:4,rslora", &st), LS_OK);
    assert_true(tune_lora_opts(&s).alpha == TUNE_FIXED_ALPHA && tune_lora_opts(&s).rslora);
    assert_true(lora_scale(tune_lora_opts(&s).alpha, 8, true) == 2.0f);
    assert_int_equal(tune_spec_parse(&s, "lora:16,rslora", &st), LS_OK);
    assert_true(tune_lora_opts(&s).alpha == TUNE_FIXED_ALPHA);
    assert_int_equal(tune_spec_parse(&s, "lora:4,alpha=3,rslora", &st), LS_OK);
    assert_true(tune_lora_opts(&s).alpha == 3.0f);
    assert_int_equal(tune_spec_parse(&s, "lora:4,rslora,alpha=3", &st), LS_OK);
    assert_true(tune_lora_opts(&s).alpha == 3.0f);
    assert_int_equal(tune_spec_parse(&s, "lora:4", &st), LS_OK);
    assert_true(tune_lora_opts(&s).alpha == 8.0f && !tune_lora_opts(&s).rslora && !tune_lora_opts(&s).alpha_set);
    LabScaling sc;
    assert_true(lab_scaling_parse(&sc, "spec") && sc == LAB_SCALING_SPEC);
    assert_false(lab_scaling_parse(&sc, "wide"));
}

/* A tiny one-cell experiment written and read back; then broken. */
static void test_experiment_file(void **state)
{
    (void)state;
    Gpt base;
    tiny_base(&base);
    ExperimentConfig ec;
    memset(&ec, 0, sizeof ec);
    lab_config_defaults(&ec.lab);
    ec.lab.base_model = &base;
    ec.lab.methods = "lora:1,prefix:2";
    ec.lab.steps = 2;
    ec.lab.batch = 2;
    ec.lab.eval_every = 1;
    ec.lab.eval_windows = 2;
    ec.lab.final_windows = 4;
    ec.lab.sample_bytes = -1;
    ec.tasks[0] = TASK_DOMAIN;
    ec.n_tasks = 1;
    ec.seeds = 2;
    Experiment *e = malloc(sizeof *e);
    Status st;
    assert_int_equal(experiment_init(e, &ec, &st), LS_OK);
    assert_int_equal(e->n_cells, 2);
    char methods[512];
    for (int i = 0; i < e->n_cells; i++) {
        LabConfig lc;
        assert_int_equal(experiment_cell_config(e, i, &lc, methods, sizeof methods, &st), LS_OK);
        char want[128];
        snprintf(want, sizeof want, "lora:1,lr=%.4g,prefix:2,lr=%.4g", tune_method(TUNE_LORA)->default_lr,
                 tune_method(TUNE_PREFIX)->default_lr);
        assert_string_equal(methods, want);
        Lab *lab = malloc(sizeof *lab);
        assert_int_equal(lab_init(lab, &lc, &st), LS_OK);
        while (!lab_done(lab)) assert_int_equal(lab_step(lab, 1000.0, &st), LS_OK);
        assert_int_equal(experiment_cell_finish(e, i, lab, false, &st), LS_OK);
        assert_true(isfinite(e->cells[i].rec->methods[0].validation_loss));
        lab_free(lab);
        free(lab);
    }
    snprintf(e->command, sizeof e->command, "lorascope finetune --seeds 2");
    /* The band behind a curve: mean and std over the two seeds per point. */
    ExpTaskSummary *ts = malloc(sizeof *ts);
    assert_int_equal(experiment_summarize(e, 0, ts, &st), LS_OK);
    int bs[8];
    double bm[8], bd[8];
    int nb = experiment_curve_band(e, ts, 0, bs, bm, bd, 8);
    assert_int_equal(nb, 3); /* steps 0, 1, 2 */
    double v0 = e->cells[0].rec->methods[0].eval_loss[2], v1 = e->cells[1].rec->methods[0].eval_loss[2];
    assert_int_equal(bs[2], 2);
    assert_true(fabs(bm[2] - (v0 + v1) / 2) < 1e-6 && fabs(bd[2] - fabs(v0 - v1) / sqrt(2)) < 1e-6);
    free(ts);
    cJSON *j = experiment_json(e, &st);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    Experiment *b = malloc(sizeof *b);
    cJSON *o = cJSON_Parse(text);
    assert_int_equal(experiment_parse(b, o, &st), LS_OK);
    assert_int_equal(b->cells[1].seed, 2);
    assert_true(b->cells[1].done && b->cells[1].rec->methods[1].validation_loss ==
                                        e->cells[1].rec->methods[1].validation_loss);
    /* The evaluation settings come back, so a cell re-runs as it ran:
     * prefix:2 of seed 2 alone gives the file's figures. */
    assert_int_equal(b->cfg.lab.eval_windows, 2);
    assert_int_equal(b->cfg.lab.final_windows, 4);
    assert_int_equal(b->cfg.lab.sample_bytes, -1);
    LabConfig rc;
    char one[64];
    assert_int_equal(experiment_rerun_config(b, 1, 1, &rc, one, sizeof one, &st), LS_OK);
    char want_one[64];
    snprintf(want_one, sizeof want_one, "prefix:2,lr=%.4g", tune_method(TUNE_PREFIX)->default_lr);
    assert_string_equal(one, want_one);
    assert_int_equal(rc.seed, 2);
    rc.base_model = &base;
    Lab *again = malloc(sizeof *again);
    assert_int_equal(lab_init(again, &rc, &st), LS_OK);
    while (!lab_done(again)) assert_int_equal(lab_step(again, 1000.0, &st), LS_OK);
    LabSnapshot snap;
    lab_snapshot(again, &snap);
    ExpRerunCheck chk;
    experiment_rerun_compare(&b->cells[1].rec->methods[1].result, snap.methods[0].result, &chk);
    assert_true(chk.reproduced);
    assert_true(fabs(chk.fig[0].live - chk.fig[0].shipped) < 1e-9); /* same machine, same threads */
    lab_free(again);
    free(again);
    assert_int_not_equal(experiment_rerun_config(b, 1, 5, &rc, one, sizeof one, &st), LS_OK);
    assert_int_not_equal(experiment_rerun_config(b, 9, 0, &rc, one, sizeof one, &st), LS_OK);
    experiment_free(b);
    cJSON_Delete(o);
    /* Broken in turn: each must be refused with a message. */
    static const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"format", "\"lorascope-lab\"", "format"},
        {"tasks", "[\"sums\"]", "unknown task"},
        {"seeds", "[1, 3]", "consecutive"},
        {"seeds", "[]", "seeds"},
        {"methods", "\"lora:1\"", "methods"},
        {"lr_grid", "{\"kind\": \"steps\", \"values\": [1]}", "factors"},
        {"lr_grid", "{\"kind\": \"rates\", \"values\": [-1]}", "not positive"},
        {"cells", "[{\"task\": \"domain\", \"grid\": 5, \"seed\": 1, \"lab\": {}}]", "none of"},
        {"cells", "{}", "cells"},
        {"command", "7", "command"},
        {"evaluation", "[]", "evaluation"},
        {"evaluation", "{\"final_windows\": 2.5}", "final_windows"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        o = cJSON_Parse(text);
        cJSON_ReplaceItemInObject(o, cases[k].key, cJSON_Parse(cases[k].value));
        status_clear(&st);
        if (experiment_parse(b, o, &st) == LS_OK) fail_msg("accepted a broken %s", cases[k].key);
        if (!strstr(st.msg, cases[k].want))
            fail_msg("%s: message '%s' lacks '%s'", cases[k].key, st.msg, cases[k].want);
        cJSON_Delete(o);
    }
    /* A repeated cell. */
    o = cJSON_Parse(text);
    cJSON *cells = cJSON_GetObjectItem(o, "cells");
    cJSON_AddItemToArray(cells, cJSON_Duplicate(cJSON_GetArrayItem(cells, 0), 1));
    assert_int_not_equal(experiment_parse(b, o, &st), LS_OK);
    assert_non_null(strstr(st.msg, "repeat"));
    cJSON_Delete(o);
    free(text);
    free(b);
    experiment_free(e);
    free(e);
    gpt_free(&base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_experiment_file),
        cmocka_unit_test(test_rslora_alpha),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
