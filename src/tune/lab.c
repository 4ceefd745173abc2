/* lab.c — the fine-tune lab: methods trained side by side on one task
 * (see lab.h).
 *
 * The work is a sequence of units, each short (one method's step, one
 * evaluation), so a caller with a time budget can interleave it with
 * anything else:
 *
 *   BASELINE   base model: held-out loss, forgetting-set loss, accuracy or
 *              sample; then every method's held-out loss at step 0
 *   TRAINING   round k: draw batch k, then each live method takes a step on
 *              it; every eval_every rounds each live method's held-out loss
 *   FINAL      each method: held-out loss, forgetting-set loss, accuracy /
 *              sample
 *
 * Defaults (the default lab: domain task, LAB_DEFAULT_METHODS): 110 steps of
 * 16 sequences x 64 bytes, held-out loss on 16 windows every 10 steps, final
 * figures on 128 evenly spaced windows of each file (8 KB of text). Measured
 * on the 2-core machine these notes were written on, 1 OpenBLAS thread,
 * `lorascope finetune`: 48.6 s wall with the other core idle (~70 ms a full
 * step, ~50 ms a LoRA or prefix step). Another job on the other core
 * slows every step by ~15 %. */
#include "lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/paths.h"
#include "../nn/checkpoint.h"
#include "../nn/sample.h"

enum {
    DEFAULT_STEPS = 110,
    DEFAULT_BATCH = 16,
    DEFAULT_EVAL_EVERY = 10,
    DEFAULT_EVAL_WINDOWS = 16,
    DEFAULT_FINAL_WINDOWS = 128,
    DEFAULT_SAMPLE_BYTES = 100,
    DEFAULT_ACCURACY_PROBLEMS = 500,
    TRAIN_LOSS_TAIL = 20, /* the final training loss averages the last steps */
    SHOW_ANSWERS = 8,
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lab_config_defaults(LabConfig *c)
{
    *c = (LabConfig){.task = TASK_DOMAIN,
                     .methods = LAB_DEFAULT_METHODS,
                     .steps = DEFAULT_STEPS,
                     .batch = DEFAULT_BATCH,
                     .seed = 1,
                     .eval_every = DEFAULT_EVAL_EVERY,
                     .eval_windows = DEFAULT_EVAL_WINDOWS,
                     .final_windows = DEFAULT_FINAL_WINDOWS,
                     .sample_bytes = DEFAULT_SAMPLE_BYTES,
                     .accuracy_problems = DEFAULT_ACCURACY_PROBLEMS};
}

/* FNV-1a of a label: a method's own seed depends on its spec, not on its
 * position in the list, so it starts the same alone or among others. */
static unsigned long long label_hash(const char *s)
{
    unsigned long long h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

// ----------------------------------------------------------------------------
// Set-up

static void fill_defaults(LabConfig *c)
{
    LabConfig d;
    lab_config_defaults(&d);
    if (!c->methods) c->methods = d.methods;
    if (c->steps <= 0) c->steps = d.steps;
    if (c->batch <= 0) c->batch = d.batch;
    if (c->eval_every == 0) c->eval_every = d.eval_every;
    if (c->eval_windows <= 0) c->eval_windows = d.eval_windows;
    if (c->final_windows <= 0) c->final_windows = d.final_windows;
    if (c->sample_bytes == 0) c->sample_bytes = d.sample_bytes;
    if (c->accuracy_problems <= 0) c->accuracy_problems = d.accuracy_problems;
}

int lab_init(Lab *lab, const LabConfig *cfg, Status *st)
{
    memset(lab, 0, sizeof *lab);
    lab->cfg = *cfg;
    fill_defaults(&lab->cfg);
    LabConfig *c = &lab->cfg;
    int rc = LS_OK;
    if (c->base_dir) {
        if (snprintf(lab->base_dir, sizeof lab->base_dir, "%s", c->base_dir) >=
            (int)sizeof lab->base_dir)
            return status_fail(st, LS_ERR_ARG, "base model path too long");
    } else {
        int n =
            c->root
                ? snprintf(lab->base_dir, sizeof lab->base_dir, "%s/data/models/base", c->root)
                : (paths_resolve(lab->base_dir, sizeof lab->base_dir, "data/models/base") ? -1 : 0);
        if (n < 0 || n >= (int)sizeof lab->base_dir)
            return status_fail(st, LS_ERR_ARG, "base model path too long");
    }
    c->base_dir = NULL; /* lab->base_dir holds it */
    TuneSpec specs[LAB_MAX_METHODS];
    int n_specs = 0;
    rc = tune_spec_list_parse(specs, LAB_MAX_METHODS, &n_specs, c->methods, st);
    if (rc) return rc;
    if (n_specs == 0) return status_fail(st, LS_ERR_ARG, "no methods given");
    c->methods = NULL; /* the caller's string need not outlive lab_init */
    c->text_path = NULL;
    TaskConfig tc = {
        .kind = cfg->task, .text_path = cfg->text_path, .digits = cfg->digits, .root = cfg->root};
    c->root = NULL;
    rc = task_init(&lab->task, &tc, st);
    if (rc) return rc;
    if (cfg->base_model) {
        const Gpt *bm = cfg->base_model;
        if (bm->num_stored != bm->num_params) {
            rc = status_fail(st, LS_ERR_ARG, "the base model must hold all its weights");
            goto fail;
        }
        rc = gpt_init(&lab->base, &bm->cfg, st);
        if (!rc) memcpy(lab->base.param_block, bm->param_block, bm->num_params * sizeof(float));
        snprintf(lab->base_dir, sizeof lab->base_dir, "(in memory)");
    } else {
        rc = gpt_load(&lab->base, lab->base_dir, st);
        if (rc) status_prefix(st, "%s", lab->base_dir);
    }
    c->base_model = NULL;
    if (rc) goto fail;
    lab->B = c->batch;
    lab->T = c->seq > 0 ? c->seq : lab->base.cfg.n_positions;
    if (lab->T > lab->base.cfg.n_positions) {
        rc = status_fail(st, LS_ERR_RANGE, "sequence length %d exceeds the model's n_positions %d",
                         lab->T, lab->base.cfg.n_positions);
        goto fail;
    }
    if (lab->task.train.n < (size_t)lab->T + 2 ||
        text_eval_windows(lab->task.valid.n, lab->base.cfg.n_positions) == 0 ||
        text_eval_windows(lab->task.forget.n, lab->base.cfg.n_positions) == 0) {
        rc = status_fail(st, LS_ERR_RANGE, "the task's texts are too short for windows of %d bytes",
                         lab->base.cfg.n_positions + 1);
        goto fail;
    }
    lab->sched = tune_schedule_defaults(c->steps);
    rng_seed(&lab->batch_rng, c->seed * 0x9E3779B97F4A7C15ull + 12345);
    lab->inputs = malloc((size_t)lab->B * lab->T * sizeof(int));
    lab->targets = malloc((size_t)lab->B * lab->T * sizeof(int));
    size_t job_n = (size_t)lab->B * (size_t)lab->base.cfg.n_positions;
    lab->job_inputs = malloc(job_n * sizeof(int));
    lab->job_targets = malloc(job_n * sizeof(int));
    lab->job_scratch = malloc((size_t)lab->base.cfg.vocab_size * sizeof(float));
    if (!lab->inputs || !lab->targets || !lab->job_inputs || !lab->job_targets ||
        !lab->job_scratch) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* The prefix starts from the first bytes of the training text. */
    int n_start = 0;
    for (int i = 0; i < n_specs; i++)
        if (specs[i].kind == TUNE_PREFIX && specs[i].prefix_len > n_start)
            n_start = specs[i].prefix_len;
    if ((size_t)n_start > lab->task.train.n) n_start = (int)lab->task.train.n;
    int *start = malloc(((size_t)n_start + 1) * sizeof(int));
    if (!start) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_start; i++)
        start[i] = lab->task.train.bytes[i];
    for (int i = 0; i < n_specs && !rc; i++) {
        LabMethod *lm = &lab->methods[i];
        if (c->lr > 0) specs[i].lr = c->lr;
        rc = tune_run_init(&lm->run, &specs[i], &lab->base, lab->B, lab->T, &lab->sched,
                           c->seed ^ label_hash(specs[i].label), start, n_start, st);
        if (rc) break;
        lab->n_methods = i + 1;
        lm->train_loss = malloc((size_t)c->steps * sizeof(float));
        lm->cap_eval = (c->eval_every > 0 ? c->steps / c->eval_every : 0) + 2;
        lm->eval_step = malloc((size_t)lm->cap_eval * sizeof(int));
        lm->eval_loss = malloc((size_t)lm->cap_eval * sizeof(float));
        if (!lm->train_loss || !lm->eval_step || !lm->eval_loss)
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        lm->result.accuracy = NAN;
    }
    free(start);
    if (rc) goto fail;
    lab->base_result.accuracy = NAN;
    lab->phase = LAB_PHASE_BASELINE;
    /* Rough work estimate in units of one method step. */
    lab->total_work =
        4.0 + lab->n_methods *
                  (1.0 + c->steps + (c->eval_every > 0 ? c->steps / c->eval_every : 0) + 6.0);
    return LS_OK;
fail:
    lab_free(lab);
    return rc;
}

void lab_free(Lab *lab)
{
    if (!lab) return;
    for (int i = 0; i < lab->n_methods; i++) {
        LabMethod *lm = &lab->methods[i];
        tune_run_free(&lm->run);
        free(lm->train_loss);
        free(lm->eval_step);
        free(lm->eval_loss);
    }
    task_free(&lab->task);
    gpt_free(&lab->base);
    free(lab->inputs);
    free(lab->targets);
    free(lab->job_inputs);
    free(lab->job_targets);
    free(lab->job_scratch);
    memset(lab, 0, sizeof *lab);
}

// ----------------------------------------------------------------------------
// Units of work

/* Held-out loss of m on d over `windows` evenly spaced windows at once (a
 * short evaluation: the curves' points). */
static int eval_loss(Gpt *m, const TextData *d, int B, int windows, double *nats, Status *st)
{
    EvalResult er;
    int rc = gpt_eval_text(m, d, B, (size_t)windows, &er, st);
    if (!rc) *nats = er.nats;
    return rc;
}

// ----------------------------------------------------------------------------
// Jobs: long evaluations done one forward pass per unit

enum { JOB_NONE, JOB_LOSS, JOB_SAMPLE, SAMPLE_PER_UNIT = 16 };

/* The loss of m on d over `windows` windows, the same windows in the same
 * order as gpt_eval_text (so the figures equal `lorascope eval`'s). */
static int job_start_loss(Lab *lab, Gpt *m, const TextData *d, int windows, double *out, Status *st)
{
    LabJob *j = &lab->job;
    int T = m->cfg.n_positions;
    int rc = gpt_reserve(m, lab->B, T, st);
    if (rc) return rc;
    size_t W = text_eval_windows(d->n, T);
    if (W == 0)
        return status_fail(st, LS_ERR_RANGE, "text of %zu bytes has no window of %d bytes", d->n,
                           T + 1);
    *j = (LabJob){.kind = JOB_LOSS, .model = m, .text = d, .windows = W, .out = out};
    j->use = windows > 0 && (size_t)windows < W ? (size_t)windows : W;
    return LS_OK;
}

static int job_loss_step(Lab *lab, bool *finished, Status *st)
{
    LabJob *j = &lab->job;
    int T = j->model->cfg.n_positions;
    int count = (int)(j->use - j->next < (size_t)lab->B ? j->use - j->next : (size_t)lab->B);
    for (int b = 0; b < count; b++) {
        size_t w = j->use == j->windows ? j->next + (size_t)b
                                        : (j->next + (size_t)b) * j->windows / j->use;
        text_eval_batch(j->text, w, 1, lab->job_inputs + b * T, lab->job_targets + b * T, T);
    }
    int rc = gpt_forward(j->model, lab->job_inputs, lab->job_targets, count, T, false, st);
    if (rc) return rc;
    for (size_t i = 0; i < (size_t)count * T; i++)
        j->sum += j->model->acts.losses[i];
    j->next += (size_t)count;
    if (j->next == j->use) {
        *j->out = j->sum / ((double)j->use * T);
        *finished = true;
    }
    return LS_OK;
}

/* A sample continuation of the task's prompt at temperature 0.8 with a
 * fixed seed (greedy decoding would repeat itself), as gpt_sample makes
 * it, SAMPLE_PER_UNIT bytes per unit. */
static int job_start_sample(Lab *lab, Gpt *m, char *out, Status *st)
{
    LabJob *j = &lab->job;
    int T = m->cfg.n_positions;
    int rc = gpt_reserve(m, 1, T, st);
    if (rc) return rc;
    const char *prompt = lab->task.sample_prompt;
    size_t plen = strlen(prompt);
    *j = (LabJob){.kind = JOB_SAMPLE, .model = m, .ctx = lab->job_inputs, .text_out = out};
    if (plen == 0) {
        j->ctx[j->len++] = '\n';
    } else {
        size_t from = plen > (size_t)T ? plen - (size_t)T : 0;
        for (size_t i = from; i < plen; i++)
            j->ctx[j->len++] = (unsigned char)prompt[i];
    }
    rng_seed(&j->rng, lab->cfg.seed + 7);
    j->out_len = (size_t)snprintf(out, LAB_SAMPLE_MAX, "%s", prompt);
    if (j->out_len >= LAB_SAMPLE_MAX) j->out_len = LAB_SAMPLE_MAX - 1;
    return LS_OK;
}

static int job_sample_step(Lab *lab, bool *finished, Status *st)
{
    LabJob *j = &lab->job;
    Gpt *m = j->model;
    int T = m->cfg.n_positions, V = m->cfg.vocab_size;
    int total = lab->cfg.sample_bytes;
    for (int k = 0; k < SAMPLE_PER_UNIT && j->made < total; k++) {
        int rc = gpt_forward(m, j->ctx, NULL, 1, j->len, false, st);
        if (rc) return rc;
        const float *logits = m->acts.logits + (size_t)(j->len - 1) * V;
        int tok = sample_pick(logits, V, 0.8f, 0, rng_uniform(&j->rng), lab->job_scratch);
        if (j->out_len + 1 < LAB_SAMPLE_MAX)
            j->text_out[j->out_len++] = (tok == '\n' || (tok >= 32 && tok < 127)) ? (char)tok : '?';
        j->text_out[j->out_len] = '\0';
        if (j->len == T) {
            memmove(j->ctx, j->ctx + 1, (size_t)(T - 1) * sizeof(int));
            j->len--;
        }
        j->ctx[j->len++] = tok;
        j->made++;
    }
    if (j->made >= total) *finished = true;
    return LS_OK;
}

/* One unit of part `part` of the figures of model m into r:
 *   0 held-out loss, 1 loss on the base corpus (forgetting), 2 accuracy or
 *   a sample. *finished when the part is done. */
static int figures_unit(Lab *lab, Gpt *m, LabResult *r, int part, bool *finished, Status *st)
{
    LabJob *j = &lab->job;
    int rc = LS_OK;
    *finished = false;
    if (j->kind == JOB_NONE) {
        if (part == 0) {
            rc =
                job_start_loss(lab, m, &lab->task.valid, lab->cfg.final_windows, &r->eval_loss, st);
        } else if (part == 1) {
            rc = job_start_loss(lab, m, &lab->task.forget, lab->cfg.final_windows, &r->forget_loss,
                                st);
        } else if (lab->task.kind == TASK_ADDITION) {
            TaskAccuracy acc;
            rc = task_addition_accuracy(&lab->task, m, lab->cfg.accuracy_problems, &acc, r->sample,
                                        sizeof r->sample, SHOW_ANSWERS, st);
            if (!rc) {
                r->has_accuracy = true;
                r->accuracy = acc.accuracy;
                r->correct = acc.correct;
                r->total = acc.total;
                *finished = true;
            }
            return rc;
        } else {
            r->has_accuracy = false;
            r->accuracy = NAN;
            r->sample[0] = '\0';
            if (lab->cfg.sample_bytes <= 0) {
                *finished = true;
                return LS_OK;
            }
            rc = job_start_sample(lab, m, r->sample, st);
        }
        if (rc) return rc;
    }
    rc =
        j->kind == JOB_LOSS ? job_loss_step(lab, finished, st) : job_sample_step(lab, finished, st);
    if (rc || *finished) j->kind = JOB_NONE;
    if (!rc && *finished) {
        if (part == 0) r->eval_bpb = r->eval_loss / log(2.0);
        if (part == 1) r->forgetting = r->forget_loss - lab->base_result.forget_loss;
    }
    return rc;
}

static void add_eval_point(LabMethod *lm, int step, double nats)
{
    if (lm->n_eval >= lm->cap_eval) return;
    lm->eval_step[lm->n_eval] = step;
    lm->eval_loss[lm->n_eval] = (float)nats;
    lm->n_eval++;
}

/* Curve evaluation of method i (a unit). */
static int curve_eval(Lab *lab, int i, Status *st)
{
    LabMethod *lm = &lab->methods[i];
    TuneRun *r = &lm->run;
    if (r->diverged) return LS_OK;
    double nats;
    int rc = tune_run_prepare_eval(r, st);
    if (!rc) rc = eval_loss(&r->model, &lab->task.valid, lab->B, lab->cfg.eval_windows, &nats, st);
    if (!rc) rc = tune_run_prepare_train(r, st);
    if (!rc) add_eval_point(lm, r->step, nats);
    return rc;
}

/* Baseline units: parts 0..2 of the base model's figures (several units
 * each), then each method's step-0 curve point. */
static int baseline_unit(Lab *lab, Status *st)
{
    LabResult *b = &lab->base_result;
    int u = lab->unit, rc = LS_OK;
    if (u < 3) {
        bool finished;
        rc = figures_unit(lab, &lab->base, b, u, &finished, st);
        if (!rc && finished) {
            lab->unit++;
            lab->done_work += 1.0;
            if (u == 2) {
                b->train_loss = NAN;
                b->forgetting = 0.0;
                b->ready = true;
            }
        }
    } else {
        if (u - 3 < lab->n_methods) rc = curve_eval(lab, u - 3, st);
        lab->unit++;
        lab->done_work += 0.5;
    }
    if (!rc && lab->unit >= 3 + lab->n_methods) {
        lab->phase = lab->stopped ? LAB_PHASE_FINAL : LAB_PHASE_TRAINING;
        lab->unit = 0;
    }
    return rc;
}

static bool any_live(const Lab *lab)
{
    for (int i = 0; i < lab->n_methods; i++)
        if (!lab->methods[i].run.diverged) return true;
    return false;
}

/* Training units: within a round, unit k < n_methods is method k's step;
 * after an evaluation round, units n..2n-1 are the curve evaluations. */
static int training_unit(Lab *lab, Status *st)
{
    int n = lab->n_methods, rc = LS_OK;
    if (lab->round >= lab->cfg.steps || !any_live(lab) || lab->stopped) {
        lab->phase = LAB_PHASE_FINAL;
        lab->unit = 0;
        return LS_OK;
    }
    int u = lab->unit;
    if (u == 0) task_batch(&lab->task, &lab->batch_rng, lab->inputs, lab->targets, lab->B, lab->T);
    if (u < n) {
        LabMethod *lm = &lab->methods[u];
        if (!lm->run.diverged) {
            float loss;
            rc = tune_run_step(&lm->run, lab->inputs, lab->targets, &loss, st);
            if (rc) {
                status_prefix(st, "%s", lm->run.spec.label);
                return rc;
            }
            lm->train_loss[lm->run.step - 1] = loss;
        }
        lab->unit++;
        lab->done_work += 1.0;
    } else {
        rc = curve_eval(lab, u - n, st);
        lab->unit++;
        lab->done_work += 0.5;
    }
    if (lab->unit == n) {
        int done = lab->round + 1;
        bool eval_now =
            lab->cfg.eval_every > 0 && (done % lab->cfg.eval_every == 0 || done == lab->cfg.steps);
        if (!eval_now) {
            lab->round++;
            lab->unit = 0;
        }
    } else if (lab->unit == 2 * n) {
        lab->round++;
        lab->unit = 0;
    }
    return rc;
}

/* Final units: parts 0..2 of each method's figures (several units each). */
static int final_unit(Lab *lab, Status *st)
{
    int i = lab->unit / 3, part = lab->unit % 3, rc = LS_OK;
    if (i >= lab->n_methods) {
        lab->phase = LAB_PHASE_DONE;
        return LS_OK;
    }
    LabMethod *lm = &lab->methods[i];
    TuneRun *r = &lm->run;
    LabResult *res = &lm->result;
    if (part == 0 && lab->job.kind == JOB_NONE) {
        int tail = r->step < TRAIN_LOSS_TAIL ? r->step : TRAIN_LOSS_TAIL;
        int good = r->diverged ? r->diverged_step - 1 : r->step;
        if (good < tail) tail = good;
        double s = 0;
        for (int k = good - tail; k < good; k++)
            s += lm->train_loss[k];
        res->train_loss = tail > 0 ? s / tail : NAN;
    }
    if (r->diverged) {
        /* Its weights after the last good step are not worth measuring. */
        res->eval_loss = res->eval_bpb = res->forget_loss = res->forgetting = NAN;
        res->has_accuracy = lab->task.kind == TASK_ADDITION;
        res->accuracy = NAN;
        snprintf(res->sample, sizeof res->sample, "(diverged at step %d)", r->diverged_step);
        res->ready = part == 2;
        lab->unit++;
        lab->done_work += 2.0;
        return LS_OK;
    }
    if (lab->job.kind == JOB_NONE && (rc = tune_run_prepare_eval(r, st))) return rc;
    bool finished;
    rc = figures_unit(lab, &r->model, res, part, &finished, st);
    if (rc) {
        status_prefix(st, "%s", r->spec.label);
        return rc;
    }
    if (finished) {
        lab->unit++;
        lab->done_work += 2.0;
        if (part == 2) res->ready = true;
    }
    return LS_OK;
}

typedef int (*UnitFn)(Lab *lab, Status *st);
static const UnitFn phase_units[] = {
    [LAB_PHASE_BASELINE] = baseline_unit,
    [LAB_PHASE_TRAINING] = training_unit,
    [LAB_PHASE_FINAL] = final_unit,
};

int lab_step(Lab *lab, double budget_ms, Status *st)
{
    double t0 = now_seconds();
    int rc = LS_OK;
    do {
        rc = phase_units[lab->phase](lab, st);
    } while (!rc && lab->phase != LAB_PHASE_DONE && (now_seconds() - t0) * 1e3 < budget_ms);
    lab->elapsed += now_seconds() - t0;
    return rc;
}

bool lab_done(const Lab *lab)
{
    return lab->phase == LAB_PHASE_DONE;
}

void lab_stop(Lab *lab)
{
    lab->stopped = true;
    if (lab->phase == LAB_PHASE_TRAINING) {
        lab->phase = LAB_PHASE_FINAL;
        lab->unit = 0;
    }
}

// ----------------------------------------------------------------------------
// Snapshot

void lab_snapshot(const Lab *lab, LabSnapshot *s)
{
    memset(s, 0, sizeof *s);
    s->phase = lab->phase;
    s->stopped = lab->stopped;
    s->task_name = lab->task.name;
    s->task_description = lab->task.description;
    s->steps = lab->cfg.steps;
    s->batch = lab->B;
    s->seq = lab->T;
    s->round = lab->round;
    s->elapsed_s = lab->elapsed;
    double p = lab->total_work > 0 ? lab->done_work / lab->total_work : 0;
    s->progress = lab->phase == LAB_PHASE_DONE ? 1.0 : (p > 0.99 ? 0.99 : p);
    s->base_params = lab->base.num_params;
    s->base = &lab->base_result;
    s->n_methods = lab->n_methods;
    for (int i = 0; i < lab->n_methods; i++) {
        const LabMethod *lm = &lab->methods[i];
        const TuneRun *r = &lm->run;
        LabMethodSnapshot *m = &s->methods[i];
        m->label = r->spec.label;
        m->kind = r->spec.kind;
        m->kind_name = r->method->name;
        m->step = r->step;
        m->steps = lab->cfg.steps;
        m->lr = r->lr;
        m->trainable_params = r->trainable_params;
        m->total_params = r->total_params;
        m->trainable_share =
            r->total_params ? (double)r->trainable_params / (double)r->total_params : 0;
        m->bytes = tune_run_bytes(r);
        m->ms_per_step = r->step ? 1e3 * r->seconds / r->step : 0;
        m->diverged = r->diverged;
        m->diverged_step = r->diverged_step;
        m->train_loss = lm->train_loss;
        m->n_train = r->step;
        m->eval_step = lm->eval_step;
        m->eval_loss = lm->eval_loss;
        m->n_eval = lm->n_eval;
        m->result = &lm->result;
    }
}

TuneRun *lab_method_run(Lab *lab, int i)
{
    return i >= 0 && i < lab->n_methods ? &lab->methods[i].run : NULL;
}

const Gpt *lab_base(const Lab *lab)
{
    return &lab->base;
}
