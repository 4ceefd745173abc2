/* experiment.c — several seeds, a learning-rate sweep chosen on the
 * validation slice, mean and spread (see experiment.h). */
#include "experiment.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/json_out.h"
#include "../nn/dataset.h"
#include "../nn/fileio.h"
#include "findings.h"

_Static_assert((int)EXP_MAX_SEEDS <= (int)FINDINGS_MAX_RECORDS, "the findings read one analysed record per seed");

void experiment_grid_default(ExperimentConfig *c)
{
    c->n_grid = 3;
    c->grid[0] = 1.0 / 3.0;
    c->grid[1] = 1.0;
    c->grid[2] = 3.0;
    c->grid_factors = true;
}

static int n_grid(const ExperimentConfig *c)
{
    return c->n_grid > 0 ? c->n_grid : 1;
}

static double grid_value(const ExperimentConfig *c, int g)
{
    return c->n_grid > 0 ? c->grid[g] : 1.0;
}

static bool grid_factors(const ExperimentConfig *c)
{
    return c->n_grid > 0 ? c->grid_factors : true;
}

/* Allocate the cells of cfg (task-major, then seed, then grid point). */
static int make_cells(Experiment *e, Status *st)
{
    const ExperimentConfig *c = &e->cfg;
    int G = n_grid(c);
    e->n_cells = c->n_tasks * c->seeds * G;
    e->cells = calloc((size_t)e->n_cells, sizeof *e->cells);
    if (!e->cells) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int i = 0;
    for (int t = 0; t < c->n_tasks; t++)
        for (int s = 0; s < c->seeds; s++)
            for (int g = 0; g < G; g++, i++) {
                e->cells[i].task = t;
                e->cells[i].grid = g;
                e->cells[i].seed = c->lab.seed + (unsigned long long)s;
            }
    return LS_OK;
}

static int check_config(const ExperimentConfig *c, Status *st)
{
    if (c->n_tasks < 1 || c->n_tasks > EXP_MAX_TASKS)
        return status_fail(st, LS_ERR_ARG, "1 to %d tasks, not %d", EXP_MAX_TASKS, c->n_tasks);
    if (c->seeds < 1 || c->seeds > EXP_MAX_SEEDS)
        return status_fail(st, LS_ERR_ARG, "1 to %d seeds, not %d", EXP_MAX_SEEDS, c->seeds);
    if (c->n_grid < 0 || c->n_grid > EXP_MAX_GRID)
        return status_fail(st, LS_ERR_ARG, "at most %d learning rates", EXP_MAX_GRID);
    for (int g = 0; g < c->n_grid; g++)
        if (!(c->grid[g] > 0 && c->grid[g] <= 1e10))
            return status_fail(st, LS_ERR_ARG, "a learning rate must be positive, not %g",
                               c->grid[g]);
    return LS_OK;
}

int experiment_init(Experiment *e, const ExperimentConfig *cfg, Status *st)
{
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    int rc = check_config(cfg, st);
    if (rc) return rc;
    const char *m = cfg->lab.methods ? cfg->lab.methods : LAB_DEFAULT_METHODS;
    if (snprintf(e->methods, sizeof e->methods, "%s", m) >= (int)sizeof e->methods)
        return status_fail(st, LS_ERR_ARG, "method list too long");
    TuneSpec specs[LAB_MAX_METHODS];
    int n;
    if ((rc = tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, e->methods, st))) return rc;
    e->cfg.lab.methods = e->methods;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(e->date, sizeof e->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return make_cells(e, st);
}

void experiment_free(Experiment *e)
{
    if (!e) return;
    for (int i = 0; i < e->n_cells; i++)
        if (e->cells[i].rec) {
            lab_record_free(e->cells[i].rec);
            free(e->cells[i].rec);
        }
    free(e->cells);
    memset(e, 0, sizeof *e);
}

/* A spec's label without its lr= option: the methods list may give each
 * method the centre of its grid ("full,lr=3e-3"), and the grid's rate is
 * what a cell runs and what the summary reports. */
static void label_without_lr(const char *label, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = label; *p;) {
        size_t n = strcspn(p, ",");
        if (strncmp(p, "lr=", 3) != 0 && len + n + 2 < size) {
            if (len) out[len++] = ',';
            memcpy(out + len, p, n);
            out[len += n] = '\0';
        }
        p += n + (p[n] == ',');
    }
}

int experiment_cell_config(const Experiment *e, int i, LabConfig *out, char *methods,
                           size_t methods_size, Status *st)
{
    if (i < 0 || i >= e->n_cells) return status_fail(st, LS_ERR_ARG, "no cell %d", i);
    const ExperimentCell *c = &e->cells[i];
    *out = e->cfg.lab;
    out->task = e->cfg.tasks[c->task];
    out->seed = c->seed;
    out->lr = 0;
    TuneSpec specs[LAB_MAX_METHODS];
    int n, rc = tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, e->methods, st);
    if (rc) return rc;
    size_t len = 0;
    methods[0] = '\0';
    for (int k = 0; k < n; k++) {
        double v = grid_value(&e->cfg, c->grid);
        /* --lr overrides every method's own rate before the grid applies. */
        double own = e->cfg.lab.lr > 0 ? e->cfg.lab.lr : tune_spec_lr(&specs[k]);
        double lr = grid_factors(&e->cfg) ? own * v : v;
        char label[TUNE_LABEL_MAX];
        label_without_lr(specs[k].label, label, sizeof label);
        int w = snprintf(methods + len, methods_size - len, "%s%s,lr=%.4g", k ? "," : "", label, lr);
        if (w < 0 || (size_t)w >= methods_size - len)
            return status_fail(st, LS_ERR_ARG, "method list too long with the rates");
        len += (size_t)w;
    }
    out->methods = methods;
    return LS_OK;
}

int experiment_rerun_config(const Experiment *e, int i, int k, LabConfig *out, char *methods,
                            size_t methods_size, Status *st)
{
    if (i < 0 || i >= e->n_cells || !e->cells[i].done)
        return status_fail(st, LS_ERR_ARG, "cell %d has not run", i);
    const LabRecord *r = e->cells[i].rec;
    if (k < 0 || k >= r->n_methods) return status_fail(st, LS_ERR_ARG, "cell %d has no method %d", i, k);
    char all[EXP_METHODS_MAX + 512];
    int rc = experiment_cell_config(e, i, out, all, sizeof all, st);
    if (rc) return rc;
    if (snprintf(methods, methods_size, "%s", r->methods[k].label) >= (int)methods_size)
        return status_fail(st, LS_ERR_ARG, "method label too long");
    out->methods = methods;
    out->steps = r->steps;
    out->batch = r->batch;
    out->seq = r->seq;
    out->scaling = r->scaling;
    out->sample_bytes = -1; /* the figures only */
    return LS_OK;
}

static ExpRerunFigure rerun_figure(const char *name, double shipped, double live)
{
    ExpRerunFigure f = {name, shipped, isfinite(live) ? live : NAN, false};
    f.within = isfinite(live) && isfinite(shipped) && fabs(live - shipped) < EXP_RERUN_TOLERANCE;
    return f;
}

void experiment_rerun_compare(const LabResult *shipped, const LabResult *live, ExpRerunCheck *out)
{
    memset(out, 0, sizeof *out);
    out->fig[out->n++] = rerun_figure("held-out", shipped->eval_loss, live->eval_loss);
    out->fig[out->n++] = rerun_figure("forgetting", shipped->forgetting, live->forgetting);
    out->fig[out->n++] = rerun_figure("training", shipped->train_loss, live->train_loss);
    if (shipped->has_accuracy || live->has_accuracy)
        out->fig[out->n++] = rerun_figure("accuracy", shipped->has_accuracy ? shipped->accuracy : NAN,
                                          live->has_accuracy ? live->accuracy : NAN);
    out->reproduced = live->ready;
    for (int j = 0; j < out->n; j++) out->reproduced = out->reproduced && out->fig[j].within;
}

int experiment_cell_finish(Experiment *e, int i, Lab *lab, bool analyse, Status *st)
{
    ExperimentCell *c = &e->cells[i];
    LabSnapshot s;
    lab_snapshot(lab, &s);
    LabRecord *rec = malloc(sizeof *rec);
    if (!rec) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int rc = lab_record_from_snapshot(rec, &s, st);
    if (rc) {
        free(rec);
        return rc;
    }
    rec->seed = c->seed;
    /* Each method's loss on the validation slice, as the lab's final
     * held-out loss is measured (the same windows count, batches of B). */
    const Task *t = lab_task(lab);
    for (int k = 0; k < s.n_methods && !rc; k++) {
        TuneRun *r = lab_method_run(lab, k);
        rec->methods[k].validation_loss = NAN;
        if (!r || r->diverged || t->validation.n == 0) continue;
        EvalResult er;
        rc = tune_run_prepare_eval(r, st);
        if (!rc)
            rc = gpt_eval_text(&r->model, &t->validation, s.batch, (size_t)lab->cfg.final_windows,
                               &er, st);
        if (!rc) rec->methods[k].validation_loss = isfinite(er.nats) ? er.nats : NAN;
    }
    if (!rc && analyse) {
        LabAnalysis an;
        rc = lab_analyze(&an, lab, st);
        if (!rc) lab_record_take_analysis(rec, &an);
    }
    if (rc) {
        lab_record_free(rec);
        free(rec);
        return rc;
    }
    c->rec = rec;
    c->done = true;
    return LS_OK;
}

bool experiment_complete(const Experiment *e)
{
    for (int i = 0; i < e->n_cells; i++)
        if (!e->cells[i].done) return false;
    return e->n_cells > 0;
}

// ----------------------------------------------------------------------------
// Mean and spread


// ----------------------------------------------------------------------------
// Summary

int experiment_summarize(const Experiment *e, int t, ExpTaskSummary *out, Status *st)
{
    memset(out, 0, sizeof *out);
    if (t < 0 || t >= e->cfg.n_tasks) return status_fail(st, LS_ERR_ARG, "no task %d", t);
    out->task = e->cfg.tasks[t];
    TuneSpec specs[LAB_MAX_METHODS];
    int n, rc = tune_spec_list_parse(specs, LAB_MAX_METHODS, &n, e->methods, st);
    if (rc) return rc;
    int G = n_grid(&e->cfg), S = e->cfg.seeds;
    out->n_methods = n;
    double base[EXP_MAX_SEEDS];
    int n_base = 0;
    for (int i = 0; i < e->n_cells; i++) {
        const ExperimentCell *c = &e->cells[i];
        if (c->task != t || !c->done || c->grid != 0) continue;
        base[n_base++] = c->rec->base.eval_loss;
        out->has_accuracy = c->rec->base.has_accuracy;
    }
    out->base_eval_loss = spread_of(base, n_base);
    for (int k = 0; k < n; k++) {
        ExpMethodSummary *m = &out->methods[k];
        label_without_lr(specs[k].label, m->label, sizeof m->label);
        m->kind = specs[k].kind;
        m->method_index = k;
        m->chosen = -1;
        double best = INFINITY;
        for (int g = 0; g < G; g++) {
            double v[EXP_MAX_SEEDS];
            int nv = 0;
            bool any_bad = false;
            m->lrs[g] = NAN;
            for (int i = 0; i < e->n_cells; i++) {
                const ExperimentCell *c = &e->cells[i];
                if (c->task != t || c->grid != g || !c->done) continue;
                const LabRecordMethod *x = &c->rec->methods[k];
                m->lrs[g] = x->lr;
                v[nv++] = x->validation_loss;
                any_bad |= !isfinite(x->validation_loss);
            }
            Spread sp = spread_of(v, nv);
            /* A rate that diverged in any seed cannot win. */
            m->valid_mean[g] = any_bad ? NAN : sp.mean;
            if (!any_bad && sp.n > 0 && sp.mean < best) best = sp.mean, m->chosen = g;
        }
        double el[EXP_MAX_SEEDS], ac[EXP_MAX_SEEDS], fg[EXP_MAX_SEEDS], tl[EXP_MAX_SEEDS],
            vl[EXP_MAX_SEEDS], ms[EXP_MAX_SEEDS];
        int nc = 0;
        for (int i = 0; i < e->n_cells && m->chosen >= 0 && nc < S; i++) {
            const ExperimentCell *c = &e->cells[i];
            if (c->task != t || c->grid != m->chosen || !c->done) continue;
            const LabRecordMethod *x = &c->rec->methods[k];
            el[nc] = x->result.eval_loss;
            ac[nc] = x->result.has_accuracy ? x->result.accuracy : NAN;
            fg[nc] = x->result.forgetting;
            tl[nc] = x->result.train_loss;
            vl[nc] = x->validation_loss;
            ms[nc] = x->ms_per_step;
            m->cells[nc++] = i;
        }
        m->n_cells = nc;
        m->eval_loss = spread_of(el, nc);
        m->accuracy = spread_of(ac, nc);
        m->forgetting = spread_of(fg, nc);
        m->train_loss = spread_of(tl, nc);
        m->validation_loss = spread_of(vl, nc);
        m->ms_per_step = spread_of(ms, nc);
    }
    return LS_OK;
}

int experiment_curve_band(const Experiment *e, const ExpTaskSummary *t, int k, int *step,
                          double *mean, double *std, int cap)
{
    if (k < 0 || k >= t->n_methods || t->methods[k].n_cells == 0) return 0;
    const ExpMethodSummary *m = &t->methods[k];
    const LabRecordMethod *first = &e->cells[m->cells[0]].rec->methods[m->method_index];
    int n = 0;
    for (int j = 0; j < first->n_eval && n < cap; j++) {
        double v[EXP_MAX_SEEDS];
        int nv = 0;
        for (int c = 0; c < m->n_cells; c++) {
            const LabRecordMethod *x = &e->cells[m->cells[c]].rec->methods[m->method_index];
            if (j < x->n_eval && x->eval_step[j] == first->eval_step[j]) v[nv++] = x->eval_loss[j];
        }
        if (nv < m->n_cells) break; /* a seed's curve ends here */
        Spread s = spread_of(v, nv);
        step[n] = first->eval_step[j];
        mean[n] = s.mean;
        std[n] = s.std;
        n++;
    }
    return n;
}

// ----------------------------------------------------------------------------
// The file

static cJSON *spread_json(const Spread *s)
{
    cJSON *o = cJSON_CreateObject();
    json_add_double(o, "mean", s->mean);
    json_add_double(o, "std", s->std);
    json_add_double(o, "min", s->min);
    json_add_double(o, "max", s->max);
    cJSON_AddNumberToObject(o, "n", s->n);
    return o;
}

static const char SPREAD_TEXT[] =
    "std: the sample standard deviation over seeds (n - 1); min and max beside it";
static const char NOISE_TEXT[] =
    "a difference is inside the noise when it is smaller than the sum of the two standard "
    "deviations";

/* The lab settings an experiment file keeps beside its cells (the records
 * keep steps, batch, sequence length and scaling). */
static const struct {
    const char *name;
    size_t offset;
} eval_fields[] = {
    {"digits", offsetof(LabConfig, digits)},
    {"eval_every", offsetof(LabConfig, eval_every)},
    {"eval_windows", offsetof(LabConfig, eval_windows)},
    {"final_windows", offsetof(LabConfig, final_windows)},
    {"accuracy_problems", offsetof(LabConfig, accuracy_problems)},
    {"sample_bytes", offsetof(LabConfig, sample_bytes)},
};
enum { EVAL_FIELDS = sizeof eval_fields / sizeof eval_fields[0] };

static int *eval_field(LabConfig *c, int k)
{
    return (int *)((char *)c + eval_fields[k].offset);
}

static int eval_value(const LabConfig *c, int k)
{
    return *(const int *)((const char *)c + eval_fields[k].offset);
}

cJSON *experiment_json(const Experiment *e, Status *st)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) goto nomem;
    cJSON_AddStringToObject(o, "format", "lorascope-experiment");
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "command", e->command);
    cJSON_AddStringToObject(o, "date", e->date);
    cJSON_AddStringToObject(o, "git_commit", e->git_commit);
    cJSON_AddBoolToObject(o, "complete", experiment_complete(e));
    cJSON *tasks = cJSON_AddArrayToObject(o, "tasks");
    for (int t = 0; t < e->cfg.n_tasks; t++)
        cJSON_AddItemToArray(tasks, cJSON_CreateString(task_kind_name(e->cfg.tasks[t])));
    cJSON *seeds = cJSON_AddArrayToObject(o, "seeds");
    for (int s = 0; s < e->cfg.seeds; s++)
        cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)(e->cfg.lab.seed + (unsigned)s)));
    cJSON_AddStringToObject(o, "methods", e->methods);
    cJSON *grid = cJSON_AddObjectToObject(o, "lr_grid");
    cJSON_AddStringToObject(grid, "kind", grid_factors(&e->cfg) ? "factors" : "rates");
    cJSON *gv = cJSON_AddArrayToObject(grid, "values");
    for (int g = 0; g < n_grid(&e->cfg); g++)
        cJSON_AddItemToArray(gv, json_double(grid_value(&e->cfg, g)));
    /* What a re-run of a cell needs besides its record (0: the lab's default). */
    cJSON *ev = cJSON_AddObjectToObject(o, "evaluation");
    for (int k = 0; k < EVAL_FIELDS; k++) cJSON_AddNumberToObject(ev, eval_fields[k].name, eval_value(&e->cfg.lab, k));
    cJSON_AddStringToObject(o, "chosen_on", "the validation slice (mean over seeds)");
    cJSON_AddStringToObject(o, "spread", SPREAD_TEXT);
    cJSON_AddStringToObject(o, "noise_rule", NOISE_TEXT);
    cJSON *cells = cJSON_AddArrayToObject(o, "cells");
    for (int i = 0; i < e->n_cells; i++) {
        const ExperimentCell *c = &e->cells[i];
        if (!c->done) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "task", task_kind_name(e->cfg.tasks[c->task]));
        cJSON_AddNumberToObject(x, "grid", c->grid);
        cJSON_AddNumberToObject(x, "seed", (double)c->seed);
        cJSON_AddItemToObject(x, "lab", lab_record_json(c->rec));
        cJSON_AddItemToArray(cells, x);
    }
    cJSON *sum = cJSON_AddArrayToObject(o, "summary");
    cJSON *fnd = cJSON_AddArrayToObject(o, "findings");
    ExpTaskSummary *ts = malloc(sizeof *ts);
    FindingsInput *fi = malloc(sizeof *fi);
    Finding *f = malloc(FINDINGS_MAX * sizeof *f);
    if (!ts || !fi || !f) {
        free(ts), free(fi), free(f);
        goto nomem;
    }
    int rc = LS_OK;
    for (int t = 0; t < e->cfg.n_tasks && !rc; t++) {
        if ((rc = experiment_summarize(e, t, ts, st))) break;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "task", task_kind_name(ts->task));
        cJSON_AddItemToObject(x, "base_eval_loss", spread_json(&ts->base_eval_loss));
        cJSON *ms = cJSON_AddArrayToObject(x, "methods");
        for (int k = 0; k < ts->n_methods; k++) {
            const ExpMethodSummary *m = &ts->methods[k];
            cJSON *y = cJSON_CreateObject();
            cJSON_AddStringToObject(y, "method", m->label);
            cJSON *l = cJSON_AddArrayToObject(y, "lrs");
            cJSON *v = cJSON_AddArrayToObject(y, "validation_loss_by_rate");
            for (int g = 0; g < n_grid(&e->cfg); g++) {
                cJSON_AddItemToArray(l, json_float(m->lrs[g]));
                cJSON_AddItemToArray(v, json_double(m->valid_mean[g]));
            }
            cJSON_AddNumberToObject(y, "chosen", m->chosen);
            json_add_float(y, "lr", m->chosen >= 0 ? m->lrs[m->chosen] : NAN);
            cJSON_AddNumberToObject(y, "seeds", m->n_cells);
            cJSON_AddItemToObject(y, "eval_loss", spread_json(&m->eval_loss));
            if (ts->has_accuracy) cJSON_AddItemToObject(y, "accuracy", spread_json(&m->accuracy));
            cJSON_AddItemToObject(y, "forgetting", spread_json(&m->forgetting));
            cJSON_AddItemToObject(y, "train_loss", spread_json(&m->train_loss));
            cJSON_AddItemToObject(y, "validation_loss", spread_json(&m->validation_loss));
            cJSON_AddItemToObject(y, "ms_per_step", spread_json(&m->ms_per_step));
            cJSON_AddItemToArray(ms, y);
        }
        cJSON_AddItemToArray(sum, x);
        experiment_findings_input(fi, e, ts);
        int nf = findings_compute(fi, f);
        cJSON *fa = findings_json(f, nf, task_kind_name(ts->task));
        cJSON *it;
        while (fa && (it = cJSON_DetachItemFromArray(fa, 0)))
            cJSON_AddItemToArray(fnd, it);
        cJSON_Delete(fa);
    }
    free(ts), free(fi), free(f);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
nomem:
    cJSON_Delete(o);
    status_fail(st, LS_ERR_NOMEM, "out of memory");
    return NULL;
}

static int bad(Status *st, const char *what)
{
    return status_fail(st, LS_ERR_PARSE, "experiment: %s", what);
}

int experiment_parse(Experiment *e, const cJSON *o, Status *st)
{
    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(o)) return bad(st, "not a JSON object");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "lorascope-experiment") != 0)
        return bad(st, "\"format\" is not \"lorascope-experiment\"");
    ExperimentConfig c;
    memset(&c, 0, sizeof c);
    lab_config_defaults(&c.lab);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(o, "tasks");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(o, "seeds");
    const cJSON *methods = cJSON_GetObjectItemCaseSensitive(o, "methods");
    const cJSON *grid = cJSON_GetObjectItemCaseSensitive(o, "lr_grid");
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(o, "cells");
    if (!cJSON_IsArray(tasks) || cJSON_GetArraySize(tasks) < 1 ||
        cJSON_GetArraySize(tasks) > EXP_MAX_TASKS)
        return bad(st, "\"tasks\" must be an array of 1 or 2 task names");
    for (const cJSON *x = tasks->child; x; x = x->next)
        if (!cJSON_IsString(x) || !task_kind_parse(&c.tasks[c.n_tasks++], x->valuestring))
            return bad(st, "\"tasks\" holds an unknown task");
    if (!cJSON_IsArray(seeds) || cJSON_GetArraySize(seeds) < 1 ||
        cJSON_GetArraySize(seeds) > EXP_MAX_SEEDS)
        return bad(st, "\"seeds\" must be an array of 1 to 16 seeds");
    int k = 0;
    for (const cJSON *x = seeds->child; x; x = x->next, k++) {
        double v = cJSON_IsNumber(x) ? x->valuedouble : -1;
        if (!(v >= 0 && v <= 2147483647.0) || v != floor(v)) return bad(st, "a seed is not a whole number");
        if (k == 0) c.lab.seed = (unsigned long long)v;
        if ((unsigned long long)v != c.lab.seed + (unsigned)k)
            return bad(st, "\"seeds\" must be consecutive");
    }
    c.seeds = k;
    if (!cJSON_IsString(methods)) return bad(st, "\"methods\" must be a string");
    c.lab.methods = methods->valuestring;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(grid, "kind");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(grid, "values");
    if (!cJSON_IsObject(grid) || !cJSON_IsString(kind) || !cJSON_IsArray(values) ||
        cJSON_GetArraySize(values) < 1 || cJSON_GetArraySize(values) > EXP_MAX_GRID)
        return bad(st, "\"lr_grid\" must hold \"kind\" and 1 to 8 \"values\"");
    c.grid_factors = strcmp(kind->valuestring, "factors") == 0;
    if (!c.grid_factors && strcmp(kind->valuestring, "rates") != 0)
        return bad(st, "\"lr_grid\".\"kind\" must be \"factors\" or \"rates\"");
    for (const cJSON *x = values->child; x; x = x->next) {
        double v = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        if (!(v > 0 && v <= 1e10)) return bad(st, "a learning-rate grid value is not positive");
        c.grid[c.n_grid++] = v;
    }
    /* Older files have no "evaluation": the lab's defaults. */
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "evaluation");
    if (ev && !cJSON_IsObject(ev)) return bad(st, "\"evaluation\" must be an object");
    for (int f = 0; f < EVAL_FIELDS && ev; f++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(ev, eval_fields[f].name);
        if (!x) continue;
        double v = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        if (!(v >= -1 && v <= 1e6) || v != floor(v))
            return status_fail(st, LS_ERR_PARSE, "experiment: \"evaluation\".\"%s\" is not a whole number from -1 to 1e6",
                               eval_fields[f].name);
        *eval_field(&c.lab, f) = (int)v;
    }
    int rc = experiment_init(e, &c, st);
    if (rc) {
        status_prefix(st, "experiment");
        return rc;
    }
    static const char *const meta[] = {"command", "date", "git_commit"};
    char *dst[] = {e->command, e->date, e->git_commit};
    size_t sz[] = {sizeof e->command, sizeof e->date, sizeof e->git_commit};
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, meta[i]);
        if (!cJSON_IsString(x) || strlen(x->valuestring) >= sz[i]) {
            experiment_free(e);
            return status_fail(st, LS_ERR_PARSE, "experiment: \"%s\" must be a string", meta[i]);
        }
        memcpy(dst[i], x->valuestring, strlen(x->valuestring) + 1);
    }
    TuneSpec specs[LAB_MAX_METHODS];
    int n_specs = 0;
    (void)tune_spec_list_parse(specs, LAB_MAX_METHODS, &n_specs, e->methods, st);
    if (!cJSON_IsArray(cells)) rc = bad(st, "\"cells\" must be an array");
    int idx = 0;
    for (const cJSON *x = rc ? NULL : cells->child; x && !rc; x = x->next, idx++) {
        const cJSON *task = cJSON_GetObjectItemCaseSensitive(x, "task");
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(x, "grid");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "seed");
        const cJSON *lab = cJSON_GetObjectItemCaseSensitive(x, "lab");
        TaskKind tk;
        if (!cJSON_IsString(task) || !task_kind_parse(&tk, task->valuestring) ||
            !cJSON_IsNumber(g) || !cJSON_IsNumber(s) || !cJSON_IsObject(lab)) {
            rc = status_fail(st, LS_ERR_PARSE, "experiment: cells[%d] needs task, grid, seed, lab",
                             idx);
            break;
        }
        int found = -1;
        for (int i = 0; i < e->n_cells && found < 0; i++) {
            const ExperimentCell *c2 = &e->cells[i];
            if (e->cfg.tasks[c2->task] == tk && (double)c2->grid == g->valuedouble &&
                (double)c2->seed == s->valuedouble)
                found = i;
        }
        if (found < 0 || e->cells[found].done) {
            rc = status_fail(st, LS_ERR_PARSE,
                             "experiment: cells[%d] is %s of the settings' cells", idx,
                             found < 0 ? "none" : "a repeat");
            break;
        }
        LabRecord *r = malloc(sizeof *r);
        if (!r) {
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            break;
        }
        rc = lab_record_parse(r, lab, st);
        if (!rc && r->n_methods != n_specs)
            rc = status_fail(st, LS_ERR_PARSE, "%d methods, but \"methods\" lists %d",
                             r->n_methods, n_specs);
        for (int m = 0; m < n_specs && !rc; m++)
            if (r->methods[m].kind != specs[m].kind)
                rc = status_fail(st, LS_ERR_PARSE, "method %d is %s, not %s", m,
                                 r->methods[m].label, specs[m].label);
        if (!rc && r->task[0] && strcmp(r->task, task_kind_name(tk)) != 0)
            rc = status_fail(st, LS_ERR_PARSE, "its lab is on task %s, not %s", r->task,
                             task_kind_name(tk));
        if (rc) {
            status_prefix(st, "experiment: cells[%d]", idx);
            lab_record_free(r);
            free(r);
            break;
        }
        e->cells[found].rec = r;
        e->cells[found].done = true;
    }
    if (rc) experiment_free(e);
    return rc;
}

int experiment_load(const char *path, Experiment *e, Status *st)
{
    memset(e, 0, sizeof *e);
    unsigned char *data = NULL;
    size_t n = 0;
    int rc = file_read_all(path, 256u << 20, &data, &n, st);
    if (rc) return rc;
    cJSON *o = cJSON_ParseWithLength((const char *)data, n);
    free(data);
    if (!o) return status_fail(st, LS_ERR_PARSE, "%s: not valid JSON", path);
    rc = experiment_parse(e, o, st);
    cJSON_Delete(o);
    if (rc) status_prefix(st, "%s", path);
    return rc;
}

int experiment_merge(Experiment *dst, Experiment *src, Status *st)
{
    const ExperimentConfig *a = &dst->cfg, *b = &src->cfg;
    bool same = a->n_tasks == b->n_tasks && n_grid(a) == n_grid(b) &&
                grid_factors(a) == grid_factors(b) && strcmp(dst->methods, src->methods) == 0;
    for (int t = 0; same && t < a->n_tasks; t++) same = a->tasks[t] == b->tasks[t];
    for (int g = 0; same && g < n_grid(a); g++) same = grid_value(a, g) == grid_value(b, g);
    for (int k = 0; same && k < EVAL_FIELDS; k++)
        same = eval_value(&a->lab, k) == eval_value(&b->lab, k);
    if (!same)
        return status_fail(st, LS_ERR_ARG,
                           "the experiments differ in their tasks, methods, rates or evaluation: not merged");
    if (strcmp(dst->git_commit, src->git_commit) != 0)
        return status_fail(st, LS_ERR_ARG, "the experiments ran at different commits (%s, %s)",
                           dst->git_commit, src->git_commit);
    if (b->lab.seed != a->lab.seed + (unsigned long long)a->seeds)
        return status_fail(st, LS_ERR_ARG, "seeds %llu.. do not follow seeds %llu..%llu",
                           b->lab.seed, a->lab.seed, a->lab.seed + (unsigned)a->seeds - 1);
    if (a->seeds + b->seeds > EXP_MAX_SEEDS)
        return status_fail(st, LS_ERR_RANGE, "more than %d seeds", EXP_MAX_SEEDS);
    Experiment m;
    ExperimentConfig c = *a;
    c.seeds = a->seeds + b->seeds;
    int rc = experiment_init(&m, &c, st);
    if (rc) return rc;
    memcpy(m.command, dst->command, sizeof m.command);
    size_t n = strlen(m.command);
    snprintf(m.command + n, sizeof m.command - n, " ; %s", src->command);
    memcpy(m.date, strcmp(src->date, dst->date) < 0 ? src->date : dst->date, sizeof m.date);
    memcpy(m.git_commit, dst->git_commit, sizeof m.git_commit);
    /* Cells are in the same order in all three: task, seed, grid point. */
    for (int i = 0; i < m.n_cells; i++) {
        ExperimentCell *x = &m.cells[i];
        Experiment *from = x->seed < b->lab.seed ? dst : src;
        for (int j = 0; j < from->n_cells; j++) {
            ExperimentCell *y = &from->cells[j];
            if (y->task == x->task && y->grid == x->grid && y->seed == x->seed && y->done) {
                x->rec = y->rec, x->done = true;
                y->rec = NULL, y->done = false;
            }
        }
    }
    experiment_free(dst);
    experiment_free(src);
    *dst = m;
    dst->cfg.lab.methods = dst->methods;
    return LS_OK;
}

void experiment_findings_input(FindingsInput *in, const Experiment *e, const ExpTaskSummary *s)
{
    memset(in, 0, sizeof *in);
    snprintf(in->task, sizeof in->task, "%s", task_kind_name(s->task));
    in->has_accuracy = s->has_accuracy;
    in->seeds = e->cfg.seeds;
    in->base_eval_loss = s->base_eval_loss;
    in->n_methods = s->n_methods;
    int small = -1;
    for (int i = 0; i < s->n_methods; i++) {
        const ExpMethodSummary *x = &s->methods[i];
        FindingMethod *m = &in->methods[i];
        findings_method_init(m, x->label);
        m->diverged = x->chosen < 0;
        m->eval_loss = x->eval_loss;
        m->accuracy = x->accuracy;
        m->forgetting = x->forgetting;
        m->ms_per_step = x->ms_per_step;
        if (x->n_cells > 0) {
            const LabRecord *r = e->cells[x->cells[0]].rec;
            const LabRecordMethod *y = &r->methods[x->method_index];
            m->trainable_params = y->trainable_params;
            m->bytes = y->bytes;
            in->base_params = r->base_params;
            /* The analysis comes from the cells at the rate chosen for the
             * LoRA run the subspace comparison starts from. */
            if (r->has_analysis && r->analysis.small_method == x->method_index) small = i;
        }
    }
    for (int k = 0; small >= 0 && k < s->methods[small].n_cells; k++)
        in->analysed[in->n_analysed++] = e->cells[s->methods[small].cells[k]].rec;
}
