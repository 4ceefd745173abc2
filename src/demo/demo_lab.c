/* demo_lab.c — the fine-tune lab, one unit at a time (see demo_lab.h). */
#include "demo_lab.h"

#include "../lesson/demo_schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double lab_demo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

// ----------------------------------------------------------------------------
// Knobs

/* The scale choices give s = 2 at r = 8, where the default learning
 * rates were chosen, and differ at the other ranks: the lab's own rsLoRA
 * (s = 5.66/√r, Kalajdzievski 2023: the first steps do not grow with r;
 * lab.h), α = 2r (s = 2 at every rank: the first steps grow like √r), or
 * α fixed at 16 (s = 16/r; Hu et al. 2021 §4.1 fix α to the first r they
 * try and do not tune it). */
const LabDemoKnob lab_demo_knobs[LAB_DEMO_KNOBS] = {
    [LAB_KNOB_TARGETS] = {"targets", "LoRA targets", "targets", {NULL, "targets=attn", "targets=all"}, {NULL},
                          "the matrices LoRA adapts: q+v, attention (q k v o) or all linear layers"},
    [LAB_KNOB_SCALE] = {"scale", "LoRA scale", "alpha", {NULL, NULL, "alpha=16"}, {"rslora", "spec", "spec"},
                        "LoRA's scale s: rslora (5.66/√r), 2r (α = 2r, s = 2) or fixed (α = 16, s = 16/r)"},
    [LAB_KNOB_PREFIX_MLP] = {"prefix-mlp", "prefix MLP", "mlp", {NULL, "mlp"}, {NULL},
                             "prefix tuning through its MLP reparameterisation (Li & Liang 2021 §4.3)"},
};

const char *const *lab_demo_knob_words(int k, int *n)
{
    static const char *const yes_no[] = {"no", "yes", NULL};
    const DemoParamSpec *p = demo_param_find(demo_kind_find("lab"), lab_demo_knobs[k].param, NULL);
    const char *const *w = p && p->type == DEMO_PARAM_ENUM ? p->choices : yes_no;
    int c = 0;
    while (w[c] && c < LAB_DEMO_KNOB_MAX) c++;
    if (n) *n = c;
    return w;
}

bool lab_demo_knob_applies(int k, const TuneMethod *m)
{
    for (int i = 0; i < m->n_options; i++)
        if (strcmp(m->options[i].name, lab_demo_knobs[k].option) == 0) return true;
    return false;
}

// ----------------------------------------------------------------------------
// Settings

void lab_demo_settings_defaults(LabDemoSettings *s)
{
    LabConfig c;
    lab_config_defaults(&c);
    memset(s, 0, sizeof *s);
    s->task = TASK_DOMAIN;
    /* Each method on or off as its row says (together LAB_DEFAULT_METHODS,
     * test_registry checks); the one with several sizes offers the powers
     * of two up to the lab's limit and its row's lab_sizes_on. */
    for (int r = 1; r <= LAB_DEMO_MAX_RANK; r *= 2) lab_demo_add_rank(s, r, false);
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        s->size[k] = m->size_default;
        s->on[k] = m->lab_on && !m->several_sizes;
        for (const char *p = m->several_sizes ? m->lab_sizes_on : NULL; p && *p;) {
            char *end;
            long r = strtol(p, &end, 10);
            if (end == p) break;
            lab_demo_add_rank(s, (int)r, true);
            p = end;
        }
    }
    s->steps = c.steps;
    s->lr_scale = 1.0;
    s->seed = c.seed;
}

bool lab_demo_add_rank(LabDemoSettings *s, int r, bool on)
{
    if (r < 1 || r > LAB_DEMO_MAX_RANK) return false;
    for (int i = 0; i < s->n_ranks; i++)
        if (s->ranks[i] == r) {
            s->rank_on[i] = s->rank_on[i] || on;
            return true;
        }
    if (s->n_ranks >= LAB_DEMO_MAX_RANKS) return false;
    int k = s->n_ranks++;
    while (k > 0 && s->ranks[k - 1] > r) {
        s->ranks[k] = s->ranks[k - 1];
        s->rank_on[k] = s->rank_on[k - 1];
        k--;
    }
    s->ranks[k] = r;
    s->rank_on[k] = on;
    return true;
}

/* The ranks a lesson names ("1 2 8") turn on (and are offered). */
static int ranks_from_args(LabDemoSettings *s, const char *ranks, Status *st)
{
    if (!ranks) return LS_OK;
    Mat m = {0};
    int rc = demo_rows_parse(&m, ranks, st);
    if (rc) return rc;
    for (int i = 0; i < s->n_ranks; i++) s->rank_on[i] = false;
    for (int i = 0; i < m.rows * m.cols; i++) {
        float r = MAT_AT(&m, i / m.cols, i % m.cols);
        if (r == 0) continue; /* lora = 0: no LoRA run */
        if (r != floorf(r) || r < 1 || r > LAB_DEMO_MAX_RANK) {
            mat_free(&m);
            return status_fail(st, LS_ERR_RANGE, "lora: rank %g is not a whole number from 1 to %d", r,
                               LAB_DEMO_MAX_RANK);
        }
        if (!lab_demo_add_rank(s, (int)r, true)) {
            mat_free(&m);
            return status_fail(st, LS_ERR_RANGE, "lora: at most %d different ranks", LAB_DEMO_MAX_RANKS);
        }
    }
    mat_free(&m);
    return LS_OK;
}

int lab_demo_settings_from_args(LabDemoSettings *s, const DemoArgs *a, Status *st)
{
    lab_demo_settings_defaults(s);
    const DemoValue *t = demo_args_get(a, "task");
    s->task = t && t->set && t->i == 1 ? TASK_ADDITION : TASK_DOMAIN;
    s->digits = (int)demo_args_int(a, "digits");
    /* One parameter per method, named as it: rows of ranks for the method
     * with several sizes (the ranks the lesson names are on, the usual ones
     * offered too), a size for one with a size (0: off), else yes/no. */
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *tm = tune_method((TuneKind)k);
        if (tm->several_sizes) {
            int rc = ranks_from_args(s, demo_args_text(a, tm->name), st);
            if (rc) return rc;
        } else if (tm->size_name) {
            int n = (int)demo_args_int(a, tm->name);
            s->on[k] = n > 0;
            if (n > 0) s->size[k] = n;
        } else {
            s->on[k] = demo_args_bool(a, tm->name);
        }
    }
    s->steps = (int)demo_args_int(a, "steps");
    s->lr_scale = demo_args_real(a, "lr");
    s->batch = (int)demo_args_int(a, "batch");
    s->windows = (int)demo_args_int(a, "windows");
    s->seed = (unsigned long long)demo_args_int(a, "seed");
    for (int k = 0; k < LAB_DEMO_KNOBS; k++) {
        const DemoValue *v = demo_args_get(a, lab_demo_knobs[k].param);
        const DemoParamSpec *p = demo_param_find(a->kind, lab_demo_knobs[k].param, NULL);
        if (v && v->set && p) s->knob[k] = p->type == DEMO_PARAM_BOOL ? v->b : (int)v->i;
    }
    return LS_OK;
}

/* The chosen methods in registry order: specs (e.g. "lora:8") into buf and
 * their kinds; returns the count. */
int lab_demo_planned(const LabDemoSettings *s, char buf[][24], TuneKind *kinds, int max)
{
    int n = 0;
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *tm = tune_method((TuneKind)k);
        if (tm->several_sizes) {
            for (int i = 0; i < s->n_ranks && n < max; i++)
                if (s->rank_on[i]) {
                    if (kinds) kinds[n] = (TuneKind)k;
                    snprintf(buf[n++], 24, "%s:%d", tm->name, s->ranks[i]);
                }
        } else if (s->on[k] && n < max) {
            if (kinds) kinds[n] = (TuneKind)k;
            if (tm->size_name) snprintf(buf[n++], 24, "%s:%d", tm->name, s->size[k]);
            else snprintf(buf[n++], 24, "%s", tm->name);
        }
    }
    return n;
}

/* spec ("lora:8") with the options the knobs give its method, into out. */
static int with_knobs(const LabDemoSettings *s, const char *spec, TuneKind kind, char *out, size_t size)
{
    int len = snprintf(out, size, "%s", spec);
    for (int k = 0; k < LAB_DEMO_KNOBS && len > 0 && (size_t)len < size; k++) {
        const char *opt = lab_demo_knobs[k].spec[s->knob[k]];
        if (opt && lab_demo_knob_applies(k, tune_method(kind)))
            len += snprintf(out + len, size - (size_t)len, ",%s", opt);
    }
    return len;
}

double lab_demo_default_lr(const LabDemoSettings *s, TuneKind kind, int size)
{
    const TuneMethod *m = tune_method(kind);
    char name[32], spec[128];
    if (m->size_name) snprintf(name, sizeof name, "%s:%d", m->name, size);
    else snprintf(name, sizeof name, "%s", m->name);
    TuneSpec ts;
    with_knobs(s, name, kind, spec, sizeof spec);
    /* The method's default for these options (the prefix's MLP has its own). */
    return tune_spec_parse(&ts, spec, NULL) == LS_OK ? tune_spec_default_lr(&ts) : m->default_lr;
}

int lab_demo_methods(const LabDemoSettings *s, char *out, size_t size)
{
    char specs[LAB_MAX_METHODS * 2][24];
    TuneKind kinds[LAB_MAX_METHODS * 2];
    int n = lab_demo_planned(s, specs, kinds, LAB_MAX_METHODS * 2);
    size_t len = 0;
    if (size == 0) return 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < size; i++) {
        char spec[128];
        with_knobs(s, specs[i], kinds[i], spec, sizeof spec);
        int w = snprintf(out + len, size - len, "%s%s", i ? "," : "", spec);
        if (w > 0) len += (size_t)w;
        TuneSpec ts;
        if (s->lr_scale != 1.0 && len < size && tune_spec_parse(&ts, spec, NULL) == LS_OK) {
            w = snprintf(out + len, size - len, ",lr=%.4g", tune_spec_default_lr(&ts) * s->lr_scale);
            if (w > 0) len += (size_t)w;
        }
    }
    return n;
}

// ----------------------------------------------------------------------------
// Running

void lab_demo_init(LabDemo *d, const LabDemoSettings *s)
{
    memset(d, 0, sizeof *d);
    d->set = *s;
    d->state = LABD_IDLE;
}

static void drop_lab(LabDemo *d)
{
    if (d->have_lab) lab_free(&d->lab);
    d->have_lab = false;
    for (int i = 0; i < LAB_MAX_METHODS; i++) {
        free(d->smooth[i]);
        d->smooth[i] = NULL;
    }
    d->n_smooth = 0;
    memset(&d->snap, 0, sizeof d->snap);
    d->have_snap = d->earlier = false;
}

void lab_demo_free(LabDemo *d)
{
    if (!d) return;
    drop_lab(d);
}

/* The smoothed training curves from the snapshot: point i is the mean of
 * the finite batch losses of steps i-SMOOTH+2 .. i+1 (NaN once diverged). */
static void smooth_curves(LabDemo *d)
{
    for (int m = 0; m < d->snap.n_methods && m < LAB_MAX_METHODS; m++) {
        const LabMethodSnapshot *ms = &d->snap.methods[m];
        float *out = d->smooth[m];
        if (!out) continue;
        int n = ms->n_train < d->n_smooth ? ms->n_train : d->n_smooth;
        for (int i = 0; i < d->n_smooth; i++) out[i] = NAN;
        double sum = 0;
        int cnt = 0;
        for (int i = 0; i < n; i++) {
            float v = ms->train_loss[i];
            if (ms->diverged && i + 1 >= ms->diverged_step) break;
            if (isfinite(v)) sum += v, cnt++;
            int drop = i - LAB_DEMO_SMOOTH;
            if (drop >= 0 && isfinite(ms->train_loss[drop])) sum -= ms->train_loss[drop], cnt--;
            out[i] = cnt > 0 ? (float)(sum / cnt) : NAN;
        }
    }
}

static void refresh(LabDemo *d)
{
    lab_snapshot(&d->lab, &d->snap);
    smooth_curves(d);
}

/* Room for the smoothed curves of n methods of `steps` steps. */
static int alloc_smooth(LabDemo *d, int n, int steps, Status *st)
{
    d->n_smooth = steps;
    for (int m = 0; m < n && m < LAB_MAX_METHODS; m++) {
        d->smooth[m] = malloc((size_t)(steps > 0 ? steps : 1) * sizeof(float));
        if (!d->smooth[m]) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    return LS_OK;
}

void lab_demo_show(LabDemo *d, const LabSnapshot *kept)
{
    drop_lab(d);
    status_clear(&d->err);
    d->snap = *kept;
    int steps = 0;
    for (int m = 0; m < kept->n_methods; m++)
        if (kept->methods[m].n_train > steps) steps = kept->methods[m].n_train;
    if (alloc_smooth(d, kept->n_methods, steps, &d->err)) {
        drop_lab(d);
        d->state = LABD_FAILED;
        return;
    }
    smooth_curves(d);
    if (!kept->task_name || !task_kind_parse(&d->snap_task, kept->task_name)) d->snap_task = TASK_DOMAIN;
    d->have_snap = d->earlier = true;
    d->state = LABD_DONE;
}

int lab_demo_start(LabDemo *d, Status *st)
{
    char methods[sizeof d->methods];
    int n = lab_demo_methods(&d->set, methods, sizeof methods);
    if (d->set.methods) {
        snprintf(methods, sizeof methods, "%s", d->set.methods);
        n = d->set.methods[0] ? 1 : 0; /* the lab counts and checks them */
    }
    if (n == 0 || n > LAB_MAX_METHODS) {
        drop_lab(d);
        d->state = LABD_FAILED;
        if (n == 0) status_fail(&d->err, LS_ERR_ARG, "choose at least one method");
        else status_fail(&d->err, LS_ERR_ARG, "at most %d methods at once", LAB_MAX_METHODS);
        if (st) *st = d->err;
        return LS_ERR_ARG;
    }
    LabConfig c;
    lab_config_defaults(&c);
    c.task = d->set.task;
    c.digits = d->set.digits;
    for (int k = 0; k < LAB_DEMO_KNOBS; k++) {
        const char *name = lab_demo_knobs[k].lab_scaling[d->set.knob[k]];
        if (name) lab_scaling_parse(&c.scaling, name);
    }
    c.methods = methods;
    c.steps = d->set.steps > 0 ? d->set.steps : c.steps;
    if (d->set.batch > 0) c.batch = d->set.batch;
    if (d->set.windows > 0) c.final_windows = d->set.windows;
    c.seed = d->set.seed;
    if (d->set.eval_every) c.eval_every = d->set.eval_every;
    if (d->set.sample_bytes) c.sample_bytes = d->set.sample_bytes;
    c.base_model = d->set.base_model;
    return lab_demo_start_config(d, &c, st);
}

int lab_demo_start_config(LabDemo *d, const LabConfig *config, Status *st)
{
    drop_lab(d);
    status_clear(&d->err);
    LabConfig c = *config;
    if (snprintf(d->methods, sizeof d->methods, "%s", c.methods ? c.methods : "") >= (int)sizeof d->methods) {
        d->state = LABD_FAILED;
        status_fail(&d->err, LS_ERR_ARG, "the method list is too long");
        if (st) *st = d->err;
        return LS_ERR_ARG;
    }
    c.methods = d->methods;
    if (c.steps <= 0) {
        LabConfig def;
        lab_config_defaults(&def);
        c.steps = def.steps;
    }
    int rc = lab_init(&d->lab, &c, &d->err);
    if (rc) {
        d->state = LABD_FAILED;
        if (st) *st = d->err;
        return rc;
    }
    d->have_lab = d->have_snap = true;
    d->snap_task = c.task;
    if ((rc = alloc_smooth(d, d->lab.n_methods, c.steps, &d->err))) {
        drop_lab(d);
        d->state = LABD_FAILED;
        if (st) *st = d->err;
        return rc;
    }
    d->state = LABD_RUNNING;
    d->units = 0;
    d->last_unit_ms = d->worst_unit_ms = 0;
    refresh(d);
    return LS_OK;
}

int lab_demo_tick(LabDemo *d, double budget_ms)
{
    if (d->state != LABD_RUNNING) return 0;
    double t0 = lab_demo_now_ms();
    int units = 0;
    /* Units until the measured time reaches the budget, guessing at
     * nothing: the lab's units are never split, so a tick lasts at most
     * budget_ms plus one unit, whatever that unit costs today (a sampled
     * byte ~1 ms, a full-tuning backward ~50, slower on a busy machine).
     * A budget of 0 is exactly one unit. */
    do {
        double u0 = lab_demo_now_ms();
        int rc = lab_step(&d->lab, 0.0, &d->err);
        double u = lab_demo_now_ms() - u0;
        d->last_unit_ms = u;
        if (u > d->worst_unit_ms) d->worst_unit_ms = u;
        units++;
        d->units++;
        if (rc) {
            d->state = LABD_FAILED;
            break;
        }
        if (lab_done(&d->lab)) {
            d->state = LABD_DONE;
            break;
        }
    } while (lab_demo_now_ms() - t0 < budget_ms);
    refresh(d);
    return units;
}

void lab_demo_stop(LabDemo *d)
{
    if (d->state == LABD_RUNNING && d->have_lab) lab_stop(&d->lab);
}

bool lab_demo_running(const LabDemo *d)
{
    return d->state == LABD_RUNNING;
}

// ----------------------------------------------------------------------------
// The table

void lab_demo_row(const LabDemo *d, int i, LabDemoRow *row)
{
    memset(row, 0, sizeof *row);
    const LabMethodSnapshot *m = &d->snap.methods[i];
    const LabResult *r = m->result;
    row->m = m;
    row->ms_per_step = m->step ? m->ms_per_step : NAN;
    row->final = r && r->ready;
    row->bpb = row->forgetting = row->accuracy = NAN;
    row->sample = "";
    if (row->final) {
        row->train_loss = r->train_loss;
        row->eval_loss = r->eval_loss;
        row->eval_step = m->step;
        row->bpb = r->eval_bpb;
        row->forgetting = r->forgetting;
        row->has_accuracy = r->has_accuracy;
        row->accuracy = r->accuracy;
        row->correct = r->correct;
        row->total = r->total;
        row->sample = r->sample;
        return;
    }
    /* Live: the mean of the last (up to 20) good batch losses, and the
     * latest held-out point. */
    int good = m->diverged ? m->diverged_step - 1 : m->n_train;
    int tail = good < 20 ? good : 20;
    double s = 0;
    int cnt = 0;
    for (int k = good - tail; k < good; k++)
        if (isfinite(m->train_loss[k])) s += m->train_loss[k], cnt++;
    row->train_loss = cnt ? s / cnt : NAN;
    row->eval_loss = m->n_eval ? m->eval_loss[m->n_eval - 1] : NAN;
    row->eval_step = m->n_eval ? m->eval_step[m->n_eval - 1] : 0;
}
