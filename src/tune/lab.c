/* lab.c — the fine-tune lab: methods trained side by side on one task
 * (see lab.h).
 *
 * The work is a sequence of small units (lab.h lists them), so a caller
 * with a time budget can interleave it with anything else:
 *
 *   BASELINE   build each method's run and warm its memory; warm the base
 *              model's; base model: held-out loss, forgetting-set loss,
 *              accuracy or sample; then every method's held-out loss at
 *              step 0
 *   TRAINING   round k: draw batch k, then each live method takes a step on
 *              it (a forward unit, a backward unit); every eval_every rounds
 *              each live method's held-out loss
 *   FINAL      each method: held-out loss, forgetting-set loss, accuracy /
 *              sample
 *
 * Units never change the arithmetic: evaluations go in the batches of B
 * windows gpt_eval_text uses, scoring in task_addition_accuracy's groups,
 * samples byte by byte as before, and a step's halves are tune_run_step's
 * two parts in order. On the reference machine (2 cores, 1 OpenBLAS
 * thread, the default lab) a unit takes at most ~50 ms: a full-tuning
 * backward; forwards of 16 x 64 tokens ~25 ms, a sampled byte ~1.5 ms.
 *
 * Defaults (the default lab: domain task, LAB_DEFAULT_METHODS): LAB_DEFAULT_STEPS
 * (lab_defaults.h, 110) steps of
 * 16 sequences x 64 bytes, held-out loss on 16 windows every 10 steps, final
 * figures on 128 evenly spaced windows of each file (8 KB of text). Measured
 * on the 2-core machine these notes were written on, 1 OpenBLAS thread,
 * `lorascope finetune`: 48.6 s wall with the other core idle (~70 ms a full
 * step, ~50 ms a LoRA or prefix step). Another job on the other core
 * slows every step by ~15 %. */
#include "lab.h"
#include "tune_lora.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/paths.h"
#include "../nn/checkpoint.h"
#include "../nn/sample.h"

enum {
    DEFAULT_STEPS = LAB_DEFAULT_STEPS,
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
// Scaling

static const char *const scaling_names[LAB_NUM_SCALINGS] = {"rslora", "spec"};
static const char *const scaling_texts[LAB_NUM_SCALINGS] = {
    "rsLoRA at a fixed alpha = 5.66 (s = alpha/sqrt(r): 2 at r = 8; first steps level in r)",
    "each spec's alpha (lora:R: alpha = 2R, s = alpha/r = 2; first steps grow like sqrt(r))",
};

bool lab_scaling_parse(LabScaling *out, const char *name)
{
    for (int i = 0; i < LAB_NUM_SCALINGS; i++)
        if (strcmp(scaling_names[i], name) == 0) {
            *out = (LabScaling)i;
            return true;
        }
    return false;
}

const char *lab_scaling_name(LabScaling s)
{
    return s >= 0 && s < LAB_NUM_SCALINGS ? scaling_names[s] : "?";
}

const char *lab_scaling_text(LabScaling s)
{
    return s >= 0 && s < LAB_NUM_SCALINGS ? scaling_texts[s] : "?";
}

/* A LoRA-family spec that chose neither alpha nor rslora gets the lab's. */
static void apply_scaling(TuneSpec *s, LabScaling scaling)
{
    if (scaling != LAB_SCALING_RSLORA || !tune_spec_is_lora(s)) return;
    LoraOpts o = tune_lora_opts(s);
    if (o.alpha_set || o.rslora) return;
    o.rslora = true;
    o.alpha = TUNE_FIXED_ALPHA;
    tune_lora_opts_set(s, &o);
}

// ----------------------------------------------------------------------------
// Set-up

static double total_work(const Lab *lab);

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
    for (int i = 0; i < n_specs; i++) {
        const TuneMethod *m = tune_method(specs[i].kind);
        int k = m->start_bytes ? m->start_bytes(&specs[i]) : 0;
        if (k > n_start) n_start = k;
    }
    if ((size_t)n_start > lab->task.train.n) n_start = (int)lab->task.train.n;
    lab->start = malloc(((size_t)n_start + 1) * sizeof(int));
    if (!lab->start) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    lab->n_start = n_start;
    for (int i = 0; i < n_start; i++)
        lab->start[i] = lab->task.train.bytes[i];
    /* The runs are built by the first units (each copies the base: ~10 ms
     * of fresh memory), so that starting the lab does not block. */
    lab->n_methods = n_specs;
    for (int i = 0; i < n_specs && !rc; i++) {
        LabMethod *lm = &lab->methods[i];
        lm->spec = specs[i];
        if (c->lr > 0) lm->spec.lr = c->lr;
        apply_scaling(&lm->spec, c->scaling);
        lm->train_loss = malloc((size_t)c->steps * sizeof(float));
        lm->cap_eval = (c->eval_every > 0 ? c->steps / c->eval_every : 0) + 2;
        lm->eval_step = malloc((size_t)lm->cap_eval * sizeof(int));
        lm->eval_loss = malloc((size_t)lm->cap_eval * sizeof(float));
        if (!lm->train_loss || !lm->eval_step || !lm->eval_loss)
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        lm->result.accuracy = NAN;
    }
    if (rc) goto fail;
    lab->base_result.accuracy = NAN;
    lab->phase = LAB_PHASE_BASELINE;
    lab->batch_round = -1;
    lab->total_work = total_work(lab);
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
        if (lm->built) tune_run_free(&lm->run);
        free(lm->train_loss);
        free(lm->eval_step);
        free(lm->eval_loss);
    }
    task_scoring_free(&lab->job.score);
    task_free(&lab->task);
    gpt_free(&lab->base);
    free(lab->inputs);
    free(lab->targets);
    free(lab->start);
    free(lab->job_inputs);
    free(lab->job_targets);
    free(lab->job_scratch);
    memset(lab, 0, sizeof *lab);
}

// ----------------------------------------------------------------------------
// Where the lab is
//
// lab->unit counts through the current phase:
//   BASELINE  2i: build method i, 2i + 1: warm its memory (i < n);
//             2n: warm the base model's; 2n + 1 .. 2n + 3: the base model's
//             figures, parts 0..2; 2n + 4 + i: method i's step-0 curve point
//   TRAINING  within round `round`: 2i: method i's forward half, 2i + 1 its
//             backward half; after an evaluation round, 2n + i: method i's
//             curve point
//   FINAL     3i + part: method i's figures, part 0..2
// Parts of the figures: 0 held-out loss, 1 loss on the base corpus
// (forgetting), 2 accuracy (addition) or a sample. A job (lab->job) carries
// a part or a curve point over several units. settle() moves lab->unit past
// what has nothing to do, so that it always names the next real unit.

static bool any_live(const Lab *lab)
{
    for (int i = 0; i < lab->n_methods; i++)
        if (!lab->methods[i].run.diverged) return true;
    return false;
}

static bool eval_round(const Lab *lab)
{
    int done = lab->round + 1;
    return lab->cfg.eval_every > 0 && (done % lab->cfg.eval_every == 0 || done == lab->cfg.steps);
}

static void to_final(Lab *lab)
{
    lab->phase = LAB_PHASE_FINAL;
    lab->unit = 0;
    /* A curve point in progress is dropped, as a stop mid-round drops the
     * rest of the round. */
    if (lab->job.kind == LAB_UNIT_LOSS) lab->job.kind = LAB_UNIT_NONE;
}

static bool step_pending(const Lab *lab)
{
    for (int i = 0; i < lab->n_methods; i++)
        if (lab->methods[i].run.pending) return true;
    return false;
}

static void settle(Lab *lab)
{
    int n = lab->n_methods;
    if (lab->phase == LAB_PHASE_BASELINE && lab->unit >= 3 * n + 4) {
        lab->phase = lab->stopped ? LAB_PHASE_FINAL : LAB_PHASE_TRAINING;
        lab->unit = 0;
    }
    while (lab->phase == LAB_PHASE_TRAINING) {
        if (!step_pending(lab) &&
            (lab->round >= lab->cfg.steps || !any_live(lab) || lab->stopped)) {
            to_final(lab);
            break;
        }
        int u = lab->unit;
        if (u < 2 * n) {
            const TuneRun *r = &lab->methods[u / 2].run;
            if (u % 2 == 0 ? !r->diverged : r->pending) break;
        } else if (u < 3 * n && eval_round(lab)) {
            if (!lab->methods[u - 2 * n].run.diverged) break;
        } else {
            lab->round++;
            lab->unit = 0;
            continue;
        }
        lab->unit++;
    }
    if (lab->phase == LAB_PHASE_FINAL && lab->unit >= 3 * n) lab->phase = LAB_PHASE_DONE;
}

// ----------------------------------------------------------------------------
// The next unit and its cost

static size_t loss_use(const TextData *d, int T, int windows)
{
    size_t W = text_eval_windows(d->n, T);
    return windows > 0 && (size_t)windows < W ? (size_t)windows : W;
}

/* A loss chunk's windows: the job's next, or the first of one to start. */
static double loss_work(const Lab *lab, const TextData *d, int windows)
{
    int T = lab->base.cfg.n_positions;
    size_t left =
        lab->job.kind == LAB_UNIT_LOSS ? lab->job.use - lab->job.next : loss_use(d, T, windows);
    return (double)(left < (size_t)lab->B ? left : (size_t)lab->B) * T;
}

/* Part `part` of a model's figures as a unit description. */
static LabUnit figures_next(const Lab *lab, int method, int part)
{
    LabUnit u = {LAB_UNIT_NOTE, method, 0};
    const LabJob *j = &lab->job;
    if (part == 0) {
        u.kind = LAB_UNIT_LOSS;
        u.work = loss_work(lab, &lab->task.valid, lab->cfg.final_windows);
    } else if (part == 1) {
        u.kind = LAB_UNIT_LOSS;
        u.work = loss_work(lab, &lab->task.forget, lab->cfg.final_windows);
    } else if (lab->task.kind == TASK_ADDITION) {
        u.kind = LAB_UNIT_SCORE;
        u.work = j->kind == LAB_UNIT_SCORE
                     ? (double)task_scoring_next_tokens(&j->score)
                     : (double)lab->B * (2 * lab->task.digits + 2); /* a guess: a first group */
    } else if (lab->cfg.sample_bytes > 0) {
        u.kind = LAB_UNIT_SAMPLE;
        size_t plen = strlen(lab->task.sample_prompt), T = (size_t)lab->base.cfg.n_positions;
        u.work = j->kind == LAB_UNIT_SAMPLE ? j->sampler.len
                 : plen == 0                ? 1.0
                                            : (double)(plen < T ? plen : T);
    }
    return u;
}

static size_t warm_left(const LabJob *j)
{
    size_t left = 0;
    for (int k = j->cur; k < j->n_region; k++)
        left += j->region_n[k] - (k == j->cur ? j->off : 0);
    return left;
}

static LabUnit next_unit(const Lab *lab)
{
    int n = lab->n_methods, u = lab->unit;
    LabUnit none = {LAB_UNIT_NONE, -1, 0};
    switch (lab->phase) {
    case LAB_PHASE_BASELINE:
        if (u < 2 * n && u % 2 == 0) return (LabUnit){LAB_UNIT_BUILD, u / 2, 1};
        if (u <= 2 * n) {
            /* Warming: the rest of the job, or a slice of one to start. */
            size_t left = lab->job.kind == LAB_UNIT_WARM ? warm_left(&lab->job) : LAB_WARM_BYTES;
            return (LabUnit){LAB_UNIT_WARM, u < 2 * n ? u / 2 : -1,
                             (double)(left < LAB_WARM_BYTES ? left : LAB_WARM_BYTES)};
        }
        if (u < 2 * n + 4) return figures_next(lab, -1, u - 2 * n - 1);
        return (LabUnit){LAB_UNIT_LOSS, u - 2 * n - 4,
                         loss_work(lab, &lab->task.valid, lab->cfg.eval_windows)};
    case LAB_PHASE_TRAINING:
        if (u < 2 * n)
            return (LabUnit){u % 2 ? LAB_UNIT_BACKWARD : LAB_UNIT_FORWARD, u / 2,
                             (double)lab->B * lab->T};
        return (LabUnit){LAB_UNIT_LOSS, u - 2 * n,
                         loss_work(lab, &lab->task.valid, lab->cfg.eval_windows)};
    case LAB_PHASE_FINAL:
        if (lab->methods[u / 3].run.diverged) return (LabUnit){LAB_UNIT_NOTE, u / 3, 0};
        return figures_next(lab, u / 3, u % 3);
    default: return none;
    }
}

/* The measured ms per work of this kind for this model, else the largest
 * measured for another model (a first full-tuning backward is costed as
 * the dearest one seen so far), else unknown (INFINITY). */
static double unit_estimate(const Lab *lab, const LabUnit *u)
{
    if (u->kind == LAB_UNIT_NONE || u->kind == LAB_UNIT_NOTE) return 0.0;
    const double *r = lab->rate[u->kind];
    double rate = r[u->method + 1];
    if (rate <= 0)
        for (int i = 0; i <= lab->n_methods; i++)
            if (r[i] > rate) rate = r[i];
    return rate > 0 ? rate * u->work : INFINITY;
}

double lab_next_unit_ms(const Lab *lab)
{
    LabUnit u = next_unit(lab);
    return unit_estimate(lab, &u);
}

/* Learn from a unit's time per work actually done: a slower one is
 * believed at once, a faster one only gradually (a loaded machine's
 * hiccups should not shrink the guess). */
static void learn(Lab *lab, const LabUnit *u, const LabUnitStats *done)
{
    double work = u->kind == LAB_UNIT_WARM    ? (double)done->bytes
                  : u->kind == LAB_UNIT_BUILD ? (double)done->builds
                                              : (double)done->tokens;
    if (work <= 0 || u->kind == LAB_UNIT_NONE || u->kind == LAB_UNIT_NOTE) return;
    double *r = &lab->rate[u->kind][u->method + 1], x = done->ms / work;
    *r = *r <= 0 || x > *r ? x : 0.75 * *r + 0.25 * x;
}

/* Progress weights in training-step equivalents: a forward of B x T
 * tokens is about a third of a step. */
static double work_weight(const Lab *lab, const LabUnit *u)
{
    double fwd = (double)lab->B * lab->T * 3.0;
    switch (u->kind) {
    case LAB_UNIT_BUILD: return 0.15;
    case LAB_UNIT_WARM: return u->work / (8.0 * LAB_WARM_BYTES);
    case LAB_UNIT_FORWARD: return 1.0 / 3.0;
    case LAB_UNIT_BACKWARD: return 2.0 / 3.0;
    case LAB_UNIT_LOSS:
    case LAB_UNIT_SAMPLE:
    case LAB_UNIT_SCORE: return u->work / fwd;
    default: return 0.0;
    }
}

/* The whole lab in the same weights, roughly (snapshot.progress). */
static double total_work(const Lab *lab)
{
    const LabConfig *c = &lab->cfg;
    double n = lab->n_methods, T = lab->base.cfg.n_positions, fwd = (double)lab->B * lab->T * 3.0;
    double figures = 2.0 * c->final_windows * T / fwd;
    if (lab->task.kind == TASK_ADDITION)
        figures += (double)c->accuracy_problems * (lab->task.digits + 2) *
                   (2 * lab->task.digits + 4) / fwd;
    else if (c->sample_bytes > 0)
        figures += (double)c->sample_bytes * T / fwd;
    double curve = c->eval_windows * T / fwd;
    int evals = c->eval_every > 0 ? c->steps / c->eval_every + 1 : 0;
    return n * (0.15 + 1.0) + 1.0 + figures + n * curve + n * c->steps + n * evals * curve +
           n * figures;
}

// ----------------------------------------------------------------------------
// Jobs: evaluations, samples, scoring and warming, one unit at a time

/* The loss of m on d over `windows` windows, the same windows in the same
 * order and batches of B as gpt_eval_text (so the figures equal `lorascope
 * eval`'s). */
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
    j->kind = LAB_UNIT_LOSS;
    j->model = m;
    j->text = d;
    j->windows = W;
    j->use = loss_use(d, T, windows);
    j->next = 0;
    j->sum = 0;
    j->out = out;
    return LS_OK;
}

/* One chunk of at most B windows: one forward. */
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
    lab->cur.forwards++;
    lab->cur.tokens += (size_t)count * T;
    if (rc) return rc;
    for (size_t i = 0; i < (size_t)count * T; i++)
        j->sum += j->model->acts.losses[i];
    j->next += (size_t)count;
    if (j->next == j->use) {
        *j->out = j->sum / ((double)j->use * T);
        *finished = true;
        /* A method may diverge (a result); a base that overflows before any
         * training is an error to name, not a row of diverged methods. */
        if (j->model == &lab->base && !isfinite(*j->out))
            return gpt_fail_nonfinite(&lab->base, "the base model's loss (before training)", st);
    }
    return LS_OK;
}

/* A sample continuation of the task's prompt at temperature 0.8 with a
 * fixed seed (greedy decoding would repeat itself), as gpt_sample makes
 * it, one byte per unit. */
static int job_start_sample(Lab *lab, Gpt *m, char *out, Status *st)
{
    LabJob *j = &lab->job;
    const char *prompt = lab->task.sample_prompt;
    SampleConfig sc = {.tokens = lab->cfg.sample_bytes, .temperature = 0.8f, .seed = lab->cfg.seed + 7};
    int rc = sampler_begin(&j->sampler, m, (const unsigned char *)prompt, strlen(prompt), &sc,
                           lab->job_inputs, lab->job_scratch, st);
    if (rc) return rc;
    j->kind = LAB_UNIT_SAMPLE;
    j->model = m;
    j->text_out = out;
    j->made = 0;
    j->out_len = (size_t)snprintf(out, LAB_SAMPLE_MAX, "%s", prompt);
    if (j->out_len >= LAB_SAMPLE_MAX) j->out_len = LAB_SAMPLE_MAX - 1;
    return LS_OK;
}

static int job_sample_step(Lab *lab, bool *finished, Status *st)
{
    LabJob *j = &lab->job;
    lab->cur.forwards++;
    lab->cur.tokens += (size_t)j->sampler.len;
    unsigned char tok;
    int rc = sampler_next(&j->sampler, &tok, st);
    if (rc) return rc;
    if (j->out_len + 1 < LAB_SAMPLE_MAX)
        j->text_out[j->out_len++] = (tok == '\n' || (tok >= 32 && tok < 127)) ? (char)tok : '?';
    j->text_out[j->out_len] = '\0';
    if (++j->made >= lab->cfg.sample_bytes) *finished = true;
    return LS_OK;
}

static int job_score_step(Lab *lab, LabResult *r, bool *finished, Status *st)
{
    LabJob *j = &lab->job;
    lab->cur.forwards++;
    lab->cur.tokens += task_scoring_next_tokens(&j->score);
    int rc = task_scoring_step(&j->score, st);
    if (rc || !task_scoring_done(&j->score)) return rc;
    TaskAccuracy acc;
    task_scoring_end(&j->score, &acc, r->sample, sizeof r->sample, SHOW_ANSWERS);
    task_scoring_free(&j->score);
    r->has_accuracy = true;
    r->accuracy = acc.accuracy;
    r->correct = acc.correct;
    r->total = acc.total;
    *finished = true;
    return LS_OK;
}

/* Zero a model's fresh activations, gradients and AdamW moments, a slice
 * per unit. They were calloc'ed, so their pages do not exist yet; writing
 * zeros makes them (the values stay what they were) where the first
 * forward and backward would otherwise pay for it. The activations are
 * sized first for evaluation batches (B, n_positions), as the first
 * evaluation would. */
static int job_start_warm(Lab *lab, Gpt *m, AdamW *opt, Status *st)
{
    LabJob *j = &lab->job;
    int rc = gpt_reserve(m, lab->B, m->cfg.n_positions, st);
    if (rc) return rc;
    j->kind = LAB_UNIT_WARM;
    j->model = m;
    j->n_region = j->cur = 0;
    j->off = 0;
    j->region[j->n_region] = (unsigned char *)m->act_block;
    j->region_n[j->n_region++] = m->num_acts * sizeof(float);
    if (m->grad_block) {
        j->region[j->n_region] = (unsigned char *)m->grad_block;
        j->region_n[j->n_region++] = m->num_grads * sizeof(float);
    }
    if (opt && opt->m) {
        j->region[j->n_region] = (unsigned char *)opt->m;
        j->region_n[j->n_region++] = 2 * opt->n * sizeof(float);
    }
    return LS_OK;
}

static void job_warm_step(Lab *lab, bool *finished)
{
    LabJob *j = &lab->job;
    size_t budget = LAB_WARM_BYTES;
    while (budget > 0 && j->cur < j->n_region) {
        size_t left = j->region_n[j->cur] - j->off, k = left < budget ? left : budget;
        memset(j->region[j->cur] + j->off, 0, k);
        lab->cur.bytes += k;
        budget -= k;
        j->off += k;
        if (j->off == j->region_n[j->cur]) j->cur++, j->off = 0;
    }
    if (j->cur == j->n_region) *finished = true;
}

/* One unit of part `part` of the figures of model m into r (see the map
 * above). *finished when the part is done. */
static int figures_unit(Lab *lab, Gpt *m, LabResult *r, int part, bool *finished, Status *st)
{
    LabJob *j = &lab->job;
    int rc = LS_OK;
    *finished = false;
    if (j->kind == LAB_UNIT_NONE) {
        if (part == 0) {
            rc =
                job_start_loss(lab, m, &lab->task.valid, lab->cfg.final_windows, &r->eval_loss, st);
        } else if (part == 1) {
            rc = job_start_loss(lab, m, &lab->task.forget, lab->cfg.final_windows, &r->forget_loss,
                                st);
        } else if (lab->task.kind == TASK_ADDITION) {
            rc = task_scoring_begin(&j->score, &lab->task, m, lab->cfg.accuracy_problems, st);
            if (!rc) j->kind = LAB_UNIT_SCORE;
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
    switch (j->kind) {
    case LAB_UNIT_LOSS: rc = job_loss_step(lab, finished, st); break;
    case LAB_UNIT_SAMPLE: rc = job_sample_step(lab, finished, st); break;
    default: rc = job_score_step(lab, r, finished, st); break;
    }
    if (rc || *finished) {
        task_scoring_free(&j->score);
        j->kind = LAB_UNIT_NONE;
    }
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

/* One unit of method i's curve point: held-out loss on eval_windows
 * windows, as gpt_eval_text with batches of B, then back to training
 * shapes. */
static int curve_unit(Lab *lab, int i, bool *finished, Status *st)
{
    LabMethod *lm = &lab->methods[i];
    TuneRun *r = &lm->run;
    LabJob *j = &lab->job;
    int rc = LS_OK;
    *finished = false;
    if (j->kind == LAB_UNIT_NONE) {
        rc = tune_run_prepare_eval(r, st);
        if (!rc)
            rc = job_start_loss(lab, &r->model, &lab->task.valid, lab->cfg.eval_windows, &j->nats,
                                st);
        if (rc) return rc;
    }
    rc = job_loss_step(lab, finished, st);
    if (rc || *finished) j->kind = LAB_UNIT_NONE;
    if (!rc && *finished) {
        rc = tune_run_prepare_train(r, st);
        if (!rc) add_eval_point(lm, r->step, j->nats);
    }
    return rc;
}

// ----------------------------------------------------------------------------
// Units of each phase

static int build_method(Lab *lab, int i, Status *st)
{
    LabMethod *lm = &lab->methods[i];
    lab->cur.builds++;
    int rc =
        tune_run_init(&lm->run, &lm->spec, &lab->base, lab->B, lab->T, &lab->sched,
                      lab->cfg.seed ^ label_hash(lm->spec.label), lab->start, lab->n_start, st);
    if (!rc) lm->built = true;
    return rc;
}

static int baseline_unit(Lab *lab, Status *st)
{
    int n = lab->n_methods, u = lab->unit, rc = LS_OK;
    bool finished = true;
    if (u < 2 * n && u % 2 == 0) {
        rc = build_method(lab, u / 2, st);
    } else if (u <= 2 * n) {
        /* Warm method u/2's memory, or at 2n the base model's. */
        if (lab->job.kind == LAB_UNIT_NONE) {
            TuneRun *r = u < 2 * n ? &lab->methods[u / 2].run : NULL;
            rc = job_start_warm(lab, r ? &r->model : &lab->base, r ? &r->opt : NULL, st);
        }
        finished = false;
        if (!rc) job_warm_step(lab, &finished);
        if (rc || finished) lab->job.kind = LAB_UNIT_NONE;
    } else if (u < 2 * n + 4) {
        int part = u - 2 * n - 1;
        LabResult *b = &lab->base_result;
        rc = figures_unit(lab, &lab->base, b, part, &finished, st);
        if (!rc && finished && part == 2) {
            b->train_loss = NAN;
            b->forgetting = 0.0;
            b->ready = true;
        }
    } else {
        rc = curve_unit(lab, u - 2 * n - 4, &finished, st);
    }
    if (rc) {
        if (u < 2 * n) status_prefix(st, "%s", lab->methods[u / 2].spec.label);
        return rc;
    }
    if (finished) lab->unit++;
    return LS_OK;
}

static int training_unit(Lab *lab, Status *st)
{
    int n = lab->n_methods, u = lab->unit, rc = LS_OK;
    bool finished = true;
    if (u < 2 * n) {
        LabMethod *lm = &lab->methods[u / 2];
        TuneRun *r = &lm->run;
        if (u % 2 == 0) {
            /* One batch per round, drawn when the round's first step needs it. */
            if (lab->batch_round != lab->round) {
                task_batch(&lab->task, &lab->batch_rng, lab->inputs, lab->targets, lab->B, lab->T);
                lab->batch_round = lab->round;
            }
            float loss;
            int index = r->step;
            rc = tune_run_forward(r, lab->inputs, lab->targets, &loss, st);
            lab->cur.forwards++;
            lab->cur.tokens += (size_t)lab->B * lab->T;
            if (!rc) lm->train_loss[index] = loss;
        } else {
            rc = tune_run_backward(r, st);
            lab->cur.backwards++;
            lab->cur.tokens += (size_t)lab->B * lab->T;
        }
        if (rc) status_prefix(st, "%s", r->spec.label);
    } else {
        rc = curve_unit(lab, u - 2 * n, &finished, st);
        if (rc) status_prefix(st, "%s", lab->methods[u - 2 * n].spec.label);
    }
    if (!rc && finished) lab->unit++;
    return rc;
}

static int final_unit(Lab *lab, Status *st)
{
    int i = lab->unit / 3, part = lab->unit % 3, rc = LS_OK;
    LabMethod *lm = &lab->methods[i];
    TuneRun *r = &lm->run;
    LabResult *res = &lm->result;
    if (part == 0 && lab->job.kind == LAB_UNIT_NONE) {
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
        return LS_OK;
    }
    if (lab->job.kind == LAB_UNIT_NONE && (rc = tune_run_prepare_eval(r, st))) return rc;
    bool finished;
    rc = figures_unit(lab, &r->model, res, part, &finished, st);
    if (rc) {
        status_prefix(st, "%s", r->spec.label);
        return rc;
    }
    if (finished) {
        lab->unit++;
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

/* Do the next unit, time it and learn its cost. */
static int run_unit(Lab *lab, Status *st)
{
    LabUnit u = next_unit(lab);
    lab->cur = (LabUnitStats){.kind = u.kind, .method = u.method};
    double t0 = now_seconds();
    int rc = phase_units[lab->phase](lab, st);
    double ms = 1e3 * (now_seconds() - t0);
    lab->cur.ms = ms;
    lab->last = lab->cur;
    if (ms > lab->unit_ms_max) lab->unit_ms_max = ms;
    learn(lab, &u, &lab->cur);
    lab->done_work += work_weight(lab, &u);
    if (!rc) settle(lab);
    return rc;
}

int lab_step(Lab *lab, double budget_ms, Status *st)
{
    double t0 = now_seconds();
    int rc = LS_OK, units = 0;
    while (!rc && lab->phase != LAB_PHASE_DONE) {
        /* At least one unit; then another only if it should fit. */
        if (units > 0 && 1e3 * (now_seconds() - t0) + lab_next_unit_ms(lab) > budget_ms) break;
        rc = run_unit(lab, st);
        units++;
    }
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
    settle(lab);
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
    s->scaling = lab->cfg.scaling;
    s->validation = lab->task.validation_what;
    s->test = lab->task.test_what;
    s->steps = lab->cfg.steps;
    s->batch = lab->B;
    s->seq = lab->T;
    s->round = lab->round;
    s->elapsed_s = lab->elapsed;
    double p = lab->total_work > 0 ? lab->done_work / lab->total_work : 0;
    s->progress = lab->phase == LAB_PHASE_DONE ? 1.0 : (p > 0.99 ? 0.99 : p);
    s->base_params = lab->base.num_params;
    s->unit_ms_max = lab->unit_ms_max;
    s->base = &lab->base_result;
    s->n_methods = lab->n_methods;
    for (int i = 0; i < lab->n_methods; i++) {
        const LabMethod *lm = &lab->methods[i];
        const TuneRun *r = &lm->run;
        LabMethodSnapshot *m = &s->methods[i];
        m->label = lm->spec.label;
        m->built = lm->built;
        m->kind = lm->spec.kind;
        m->method = tune_method(lm->spec.kind);
        m->size = lm->spec.size;
        m->kind_name = m->method->name;
        m->step = r->step;
        m->steps = lab->cfg.steps;
        m->lr = tune_spec_lr(&lm->spec);
        bool lora = tune_spec_is_lora(&lm->spec);
        LoraOpts lo = tune_lora_opts(&lm->spec);
        m->alpha = lora ? lo.alpha : NAN;
        m->rslora = lora && lo.rslora;
        m->scale = lora ? lora_scale(lo.alpha, lm->spec.size, lo.rslora) : NAN;
        m->trainable_params = r->trainable_params;
        m->total_params = r->total_params;
        m->trainable_share =
            r->total_params ? (double)r->trainable_params / (double)r->total_params : 0;
        if (lm->built) m->bytes = tune_run_bytes(r);
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
    return i >= 0 && i < lab->n_methods && lab->methods[i].built ? &lab->methods[i].run : NULL;
}

const Gpt *lab_base(const Lab *lab)
{
    return &lab->base;
}

const Task *lab_task(const Lab *lab)
{
    return &lab->task;
}

LabScaling lab_scaling(const Lab *lab)
{
    return lab->cfg.scaling;
}
