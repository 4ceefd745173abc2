/* demo_lora_scale.c — the size of LoRA's first updates against the rank,
 * for α/r and α/√r, measured on the real engine (see demo_lora_scale.h). */
#include "demo_lora_scale.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/rng.h"
#include "../nn/checkpoint.h"
#include "../tune/lab_defaults.h"
#include "../tune/tune_lora.h"

const int lora_scale_ranks[LSCALE_RANKS] = {1, 2, 4, 8, 16, 32, 64};
const char *const lora_scale_rule_names[LSCALE_RULES] = {"α=2r, α/r", "α=2, α/r", "α=2, α/√r"};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

float lora_scale_rule_scale(LoraScaleRule rule, int r, float *alpha)
{
    float a = rule == LSR_RATIO ? 2.0f * (float)r : 2.0f;
    if (alpha) *alpha = a;
    return lora_scale(a, r, rule == LSR_RSLORA);
}

static void forget_norms(LoraScaleDemo *d)
{
    for (int u = 0; u < LSCALE_RULES; u++)
        for (int i = 0; i < LSCALE_RANKS; i++)
            for (int k = 0; k < LSCALE_MAX_STEPS; k++) d->norm[u][i][k] = NAN;
}

static void drop_run(LoraScaleDemo *d)
{
    if (d->have_run) tune_run_free(&d->run);
    d->have_run = false;
}

int lora_scale_demo_init_model(LoraScaleDemo *d, const Gpt *base, const TextData *text, int layer, int matrix,
                               int steps, int batch, uint64_t seed, Status *st)
{
    memset(d, 0, sizeof *d);
    forget_norms(d);
    int T = base->cfg.n_positions;
    if (steps < 1 || steps > LSCALE_MAX_STEPS || batch < 1)
        return status_fail(st, LS_ERR_RANGE, "steps must be 1..%d and batch at least 1", LSCALE_MAX_STEPS);
    if (text->n < (size_t)T + 2) return status_fail(st, LS_ERR_RANGE, "the text is shorter than one window");
    int rc = gpt_init(&d->base, &base->cfg, st);
    if (rc) return rc;
    memcpy(d->base.param_block, base->param_block, base->num_params * sizeof(float));
    size_t n = (size_t)steps * (size_t)batch * (size_t)T;
    d->inputs = malloc(n * sizeof(int));
    d->targets = malloc(n * sizeof(int));
    int C = base->cfg.n_embd;
    d->dw = malloc((size_t)C * (size_t)C * sizeof(float)); /* q and v are C × C */
    if (!d->inputs || !d->targets || !d->dw) {
        lora_scale_demo_free(d);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    Rng rng;
    rng_seed(&rng, seed);
    for (int k = 0; k < steps; k++) {
        size_t off = (size_t)k * (size_t)batch * (size_t)T;
        text_random_batch(text, &rng, d->inputs + off, d->targets + off, batch, T);
    }
    d->steps = steps, d->batch = batch;
    d->lr = tune_method(TUNE_LORA)->default_lr;
    rc = lora_scale_demo_set(d, layer, matrix, st);
    if (rc) lora_scale_demo_free(d);
    return rc;
}

int lora_scale_demo_init(LoraScaleDemo *d, const char *model_dir, const char *text_path, int layer, int matrix,
                         int steps, int batch, uint64_t seed, Status *st)
{
    Gpt m;
    int rc = gpt_load(&m, model_dir, st);
    if (rc) {
        memset(d, 0, sizeof *d);
        return rc;
    }
    TextData text = {0};
    rc = text_load(&text, text_path, st);
    if (!rc) rc = lora_scale_demo_init_model(d, &m, &text, layer, matrix, steps, batch, seed, st);
    else memset(d, 0, sizeof *d);
    text_free(&text);
    gpt_free(&m);
    return rc;
}

void lora_scale_demo_free(LoraScaleDemo *d)
{
    if (!d) return;
    drop_run(d);
    gpt_free(&d->base);
    free(d->inputs);
    free(d->targets);
    free(d->dw);
    memset(d, 0, sizeof *d);
}

int lora_scale_demo_set(LoraScaleDemo *d, int layer, int matrix, Status *st)
{
    (void)st;
    int L = d->base.cfg.n_layer;
    d->layer = layer < 0 ? 0 : layer >= L ? L - 1 : layer;
    d->matrix = matrix == 1 ? 1 : 0;
    drop_run(d);
    forget_norms(d);
    d->next = 0;
    d->err = (Status){0};
    return LS_OK;
}

bool lora_scale_demo_done(const LoraScaleDemo *d)
{
    return d->next >= LSCALE_RULES * LSCALE_RANKS || d->err.code != 0;
}

double lora_scale_demo_progress(const LoraScaleDemo *d)
{
    double done = (double)d->next * d->steps + (d->have_run ? d->run.step : 0);
    double all = (double)LSCALE_RULES * LSCALE_RANKS * d->steps;
    return done >= all ? 1.0 : done / all;
}

/* ‖s·B·A‖_F of the measured matrix of the current run. */
static double delta_norm(LoraScaleDemo *d)
{
    const LoraAdapter *a = tune_run_adapter(&d->run);
    int in = a->mod[d->matrix].in, cols = a->mod[d->matrix].cols;
    lora_delta(a, d->layer, d->matrix, d->dw);
    double s = 0.0;
    for (size_t i = 0; i < (size_t)in * (size_t)cols; i++) s += (double)d->dw[i] * d->dw[i];
    return sqrt(s);
}

/* One unit: build the next run, or take one step of it. */
static int unit(LoraScaleDemo *d, Status *st)
{
    int rule = d->next / LSCALE_RANKS, ri = d->next % LSCALE_RANKS, r = lora_scale_ranks[ri];
    /* At r = 1 every rule gives s = 2: the same run, measured once. */
    if (rule > 0 && ri == 0) {
        memcpy(d->norm[rule][0], d->norm[0][0], sizeof d->norm[0][0]);
        d->next++;
        return LS_OK;
    }
    int T = d->base.cfg.n_positions;
    if (!d->have_run) {
        TuneSpec spec = tune_spec_make(TUNE_LORA, r);
        LoraOpts o = tune_lora_opts(&spec);
        lora_scale_rule_scale((LoraScaleRule)rule, r, &o.alpha);
        o.rslora = rule == LSR_RSLORA;
        tune_lora_opts_set(&spec, &o);
        /* The lab's schedule, so these are the first steps of a default lab run. */
        TuneSchedule sched = tune_schedule_defaults(LAB_DEFAULT_STEPS);
        /* One seed per rank: the three rules start from the same A. */
        int rc = tune_run_init(&d->run, &spec, &d->base, d->batch, T, &sched, 1000u + (unsigned)r, NULL, 0, st);
        if (rc) return rc;
        d->have_run = true;
        return LS_OK;
    }
    size_t off = (size_t)d->run.step * (size_t)d->batch * (size_t)T;
    float loss;
    int rc = tune_run_step(&d->run, d->inputs + off, d->targets + off, &loss, st);
    if (rc) return rc;
    if (d->run.diverged) return status_fail(st, LS_ERR_RANGE, "the loss of %s stopped being a number", d->run.spec.label);
    double n = delta_norm(d);
    if (!isfinite(n)) return status_fail(st, LS_ERR_RANGE, "‖ΔW‖ is not a number");
    d->norm[rule][ri][d->run.step - 1] = n;
    if (d->run.step >= d->steps) {
        drop_run(d);
        d->next++;
    }
    return LS_OK;
}

bool lora_scale_demo_tick(LoraScaleDemo *d, double budget_ms)
{
    if (lora_scale_demo_done(d)) return false;
    double t0 = now_ms(), worst = 0.0;
    do {
        double t = now_ms();
        if (unit(d, &d->err)) {
            drop_run(d);
            return true;
        }
        double took = now_ms() - t;
        worst = took > worst ? took : worst;
    } while (!lora_scale_demo_done(d) && now_ms() - t0 + worst < budget_ms);
    return true;
}
