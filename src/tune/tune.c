/* tune.c — the method registry, spec parsing and one method's training run
 * (see tune.h).
 *
 * Each method is one TuneMethod row defined in its own file (tune_full.c,
 * tune_lora.c, tune_prefix.c): its name, size, default learning rate,
 * options, how it sets up the model, which parameter spans the optimizer
 * updates, what it does around forward and backward, how it counts its
 * memory, saves and loads its result, and how the lab shows it. This file
 * only lists the rows and runs them; it knows no method's state. */
#include "tune.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peft.h"

// ----------------------------------------------------------------------------
// The registry

/* Each line of tune_methods.def names a row defined in its method's file. */
#define TUNE_METHOD(KIND, name) extern const TuneMethod tune_method_##name;
#include "tune_methods.def"
#undef TUNE_METHOD

/* Default peak learning rates (in each row): the rate the shipped
 * experiment (data/lab-results/domain.json, `make lab-results`) chose on
 * the domain task, to one significant digit — each method swept at 1/3, 1
 * and 3 times a centre over 3 seeds, 110 steps of 16 x 64 bytes, rsLoRA's
 * fixed alpha, chosen on the validation chapters 37-40, never on chapter
 * 41, which the lab reports. A method offered at several sizes takes the
 * choice for the size the lab shows first (LoRA and DoRA rank 8; rank 1
 * and 2 chose 3e-2); the prefix through its MLP has its own (tune_prefix.c).
 * test_lab_results checks every default against the file. Full tuning
 * moves every weight and wants the smallest rate; LoRA's B starts at zero
 * and only a rank-r update moves, so it takes a larger one; the prefix's
 * keys and values, the prompt's embeddings and IA3's scales are numbers of
 * size ~1, which AdamW moves by about the rate a step, so they take the
 * largest (0.1 to 0.3). */
static const TuneMethod *const registry[TUNE_NUM_KINDS] = {
#define TUNE_METHOD(KIND, name) [TUNE_##KIND] = &tune_method_##name,
#include "tune_methods.def"
#undef TUNE_METHOD
};

const TuneMethod *tune_method(TuneKind kind)
{
    return kind >= 0 && kind < TUNE_NUM_KINDS ? registry[kind] : NULL;
}

const TuneMethod *tune_method_find(const char *name)
{
    for (int i = 0; i < TUNE_NUM_KINDS; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

const TuneMethod *tune_method_for_peft_type(const char *peft_type)
{
    for (int i = 0; i < TUNE_NUM_KINDS; i++)
        if (registry[i]->peft_type && !registry[i]->peft_flag &&
            strcmp(registry[i]->peft_type, peft_type) == 0)
            return registry[i];
    return NULL;
}

TuneSpec tune_spec_make(TuneKind kind, int size)
{
    TuneSpec s = {.kind = kind, .size = size};
    registry[kind]->spec_make(&s, size);
    return s;
}

void tune_spec_opts_get(const TuneSpec *s, void *opts, size_t size)
{
    memcpy(opts, s->opts, size < sizeof s->opts ? size : sizeof s->opts);
}

void tune_spec_opts_set(TuneSpec *s, const void *opts, size_t size)
{
    memcpy(s->opts, opts, size < sizeof s->opts ? size : sizeof s->opts);
}

float tune_spec_default_lr(const TuneSpec *spec)
{
    const TuneMethod *m = registry[spec->kind];
    return m->options_lr ? m->options_lr(spec) : m->default_lr;
}

float tune_spec_lr(const TuneSpec *spec)
{
    return spec->lr > 0 ? spec->lr : tune_spec_default_lr(spec);
}

// ----------------------------------------------------------------------------
// Parsing

bool tune_parse_float(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x < lo || x > hi) return false;
    *out = x;
    return true;
}

bool tune_parse_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) return false;
    *out = x;
    return true;
}

static int opt_lr(TuneSpec *s, const char *v, Status *st)
{
    double x;
    /* Up to 1e10, so that `lr=1e9` can show what divergence looks like. */
    if (!tune_parse_float(v, 1e-9, 1e10, &x))
        return status_fail(st, LS_ERR_ARG, "lr needs a number in (0, 1e10], not '%s'", v);
    s->lr = (float)x;
    return LS_OK;
}
static int opt_nan(TuneSpec *s, const char *v, Status *st)
{
    long x;
    if (!tune_parse_int(v, 1, 100000000, &x))
        return status_fail(st, LS_ERR_ARG, "nan needs a step number, not '%s'", v);
    s->nan_at_step = (int)x;
    return LS_OK;
}

/* Options every method takes. */
static const TuneOption common_options[] = {
    {"lr", true, opt_lr},
    {"nan", true, opt_nan},
};
enum { N_COMMON = sizeof common_options / sizeof common_options[0] };

/* The option called name: the method's own, then the common ones; NULL
 * when neither has it. *other: another method takes it. */
static const TuneOption *find_option(const TuneMethod *m, const char *name, bool *other)
{
    for (int i = 0; i < m->n_options; i++)
        if (strcmp(m->options[i].name, name) == 0) return &m->options[i];
    for (int i = 0; i < N_COMMON; i++)
        if (strcmp(common_options[i].name, name) == 0) return &common_options[i];
    *other = false;
    for (int k = 0; k < TUNE_NUM_KINDS; k++)
        for (int i = 0; i < registry[k]->n_options; i++)
            if (strcmp(registry[k]->options[i].name, name) == 0) *other = true;
    return NULL;
}

/* Does token name a method ("lora:8", "full")? */
static const TuneMethod *token_method(const char *tok, size_t len)
{
    for (int i = 0; i < TUNE_NUM_KINDS; i++) {
        size_t n = strlen(registry[i]->name);
        if (len >= n && strncmp(tok, registry[i]->name, n) == 0 && (len == n || tok[n] == ':'))
            return registry[i];
    }
    return NULL;
}

static int apply_option(TuneSpec *s, const char *tok, size_t len, Status *st)
{
    char buf[TUNE_LABEL_MAX];
    if (len >= sizeof buf)
        return status_fail(st, LS_ERR_ARG, "option '%.*s' is too long", (int)len, tok);
    memcpy(buf, tok, len);
    buf[len] = '\0';
    char *eq = strchr(buf, '=');
    const char *value = NULL;
    if (eq) {
        *eq = '\0';
        value = eq + 1;
    }
    const TuneMethod *m = registry[s->kind];
    bool other;
    const TuneOption *o = find_option(m, buf, &other);
    if (!o && other)
        return status_fail(st, LS_ERR_ARG, "option '%s' does not apply to %s", buf, m->name);
    if (!o) return status_fail(st, LS_ERR_ARG, "unknown option '%s' for %s", buf, m->name);
    if (o->takes_value && (!value || !*value))
        return status_fail(st, LS_ERR_ARG, "option '%s' needs a value (%s=...)", buf, buf);
    if (!o->takes_value && value)
        return status_fail(st, LS_ERR_ARG, "option '%s' takes no value", buf);
    return o->apply(s, value ? value : "", st);
}

int tune_spec_parse(TuneSpec *spec, const char *text, Status *st)
{
    size_t total = strlen(text);
    if (total == 0) return status_fail(st, LS_ERR_ARG, "empty method spec");
    if (total >= TUNE_LABEL_MAX)
        return status_fail(st, LS_ERR_ARG, "method spec '%.40s...' is too long", text);
    const char *comma = strchr(text, ',');
    size_t head = comma ? (size_t)(comma - text) : total;
    const TuneMethod *m = token_method(text, head);
    if (!m) {
        char names[256];
        tune_method_names(names, sizeof names);
        return status_fail(st, LS_ERR_ARG, "unknown method '%.*s' (use %s)", (int)head, text,
                           names);
    }
    size_t n = strlen(m->name);
    long size = 0;
    if (m->size_name) {
        if (head == n || text[n] != ':')
            return status_fail(st, LS_ERR_ARG, "%s needs its %s: %s:N", m->name, m->size_name,
                               m->name);
        char num[16];
        size_t k = head - n - 1;
        if (k == 0 || k >= sizeof num)
            return status_fail(st, LS_ERR_ARG, "bad %s in '%.*s'", m->size_name, (int)head, text);
        memcpy(num, text + n + 1, k);
        num[k] = '\0';
        long lo = m->size_min, hi = m->size_max;
        if (!tune_parse_int(num, lo, hi, &size))
            return status_fail(st, LS_ERR_ARG, "%s of %s must be a whole number %ld..%ld, not '%s'",
                               m->size_name, m->name, lo, hi, num);
    } else if (head != n) {
        return status_fail(st, LS_ERR_ARG, "%s takes no size ('%.*s')", m->name, (int)head, text);
    }
    TuneSpec s = tune_spec_make(m->kind, (int)size);
    snprintf(s.label, sizeof s.label, "%s", text);
    const char *p = comma ? comma + 1 : NULL;
    while (p) {
        const char *next = strchr(p, ',');
        size_t len = next ? (size_t)(next - p) : strlen(p);
        if (len == 0) return status_fail(st, LS_ERR_ARG, "empty option in '%s'", text);
        int rc = apply_option(&s, p, len, st);
        if (rc) return rc;
        p = next ? next + 1 : NULL;
    }
    *spec = s;
    return LS_OK;
}

int tune_spec_list_parse(TuneSpec *out, int cap, int *n, const char *text, Status *st)
{
    *n = 0;
    const char *p = text;
    char buf[TUNE_LABEL_MAX];
    size_t blen = 0;
    bool open = false;
    for (;;) {
        const char *next = strchr(p, ',');
        size_t len = next ? (size_t)(next - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p))
            p++, len--;
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        bool starts = token_method(p, len) != NULL;
        if (starts || !open) {
            if (open) {
                if (*n >= cap) return status_fail(st, LS_ERR_RANGE, "more than %d methods", cap);
                int rc = tune_spec_parse(&out[*n], buf, st);
                if (rc) return rc;
                (*n)++;
            }
            blen = 0;
            open = true;
        }
        if (len == 0)
            return status_fail(st, LS_ERR_ARG, "empty entry in the method list '%s'", text);
        if (blen + len + 2 >= sizeof buf)
            return status_fail(st, LS_ERR_ARG, "method spec too long in '%s'", text);
        if (blen) buf[blen++] = ',';
        memcpy(buf + blen, p, len);
        blen += len;
        buf[blen] = '\0';
        if (!next) break;
        p = next + 1;
    }
    if (open) {
        if (*n >= cap) return status_fail(st, LS_ERR_RANGE, "more than %d methods", cap);
        int rc = tune_spec_parse(&out[*n], buf, st);
        if (rc) return rc;
        (*n)++;
    }
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Schedule

TuneSchedule tune_schedule_defaults(int steps)
{
    int warmup = steps / 10;
    if (warmup > 20) warmup = 20;
    return (TuneSchedule){.steps = steps,
                          .warmup = warmup,
                          .min_lr_frac = 0.1f,
                          .grad_clip = 1.0f,
                          .weight_decay = 0.0f};
}

// ----------------------------------------------------------------------------
// The run

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tune_run_init(TuneRun *r, const TuneSpec *spec, const Gpt *base, int B, int T,
                  const TuneSchedule *sched, unsigned long long seed, const int *start_tokens,
                  int n_start, Status *st)
{
    memset(r, 0, sizeof *r);
    if (spec->kind < 0 || spec->kind >= TUNE_NUM_KINDS)
        return status_fail(st, LS_ERR_ARG, "bad method kind");
    if (base->num_stored != base->num_params || !base->param_block)
        return status_fail(st, LS_ERR_ARG, "the base model must hold all its weights");
    if (B < 1 || T < 1 || T > base->cfg.n_positions || sched->steps < 1)
        return status_fail(st, LS_ERR_ARG, "bad training shape %d x %d (n_positions %d), %d steps",
                           B, T, base->cfg.n_positions, sched->steps);
    r->spec = *spec;
    r->method = registry[spec->kind];
    r->sched = *sched;
    r->lr = tune_spec_lr(spec);
    r->B = B;
    r->T = T;
    int rc = gpt_init(&r->model, &base->cfg, st);
    if (rc) return rc;
    memcpy(r->model.param_block, base->param_block, base->num_params * sizeof(float));
    rc = r->method->setup(r, seed, start_tokens, n_start, st);
    if (!rc) rc = gpt_reserve(&r->model, B, T, st);
    if (!rc) {
        AdamWConfig ac = adamw_defaults();
        ac.lr = r->lr;
        ac.weight_decay = sched->weight_decay;
        TuneSpan sp[TUNE_MAX_SPANS];
        int ns = r->method->spans(r, sp);
        size_t n = 0;
        for (int i = 0; i < ns; i++)
            n += sp[i].n;
        rc = adamw_init(&r->opt, &ac, n, st);
    }
    if (rc) {
        status_prefix(st, "%s", spec->label);
        tune_run_free(r);
    }
    return rc;
}

void tune_run_free(TuneRun *r)
{
    if (!r) return;
    gpt_free(&r->model);
    if (r->method && r->method->free_state) r->method->free_state(r->state);
    adamw_free(&r->opt);
    memset(r, 0, sizeof *r);
}

int tune_run_forward(TuneRun *r, const int *inputs, const int *targets, float *loss, Status *st)
{
    if (loss) *loss = NAN;
    if (r->diverged) return LS_OK;
    if (r->pending)
        return status_fail(st, LS_ERR_ARG, "%s: the last step's backward is still to come",
                           r->spec.label);
    const TuneMethod *o = r->method;
    Gpt *m = &r->model;
    double t0 = now_seconds();
    if (o->before_forward) o->before_forward(r);
    int rc = gpt_forward(m, inputs, targets, r->B, r->T, true, st);
    if (rc) return rc;
    float l = m->mean_loss;
    if (r->spec.nan_at_step == r->step + 1) l = NAN;
    r->last_loss = l;
    if (loss) *loss = l;
    if (!isfinite(l)) {
        /* Diverged: keep the weights of the last good step, stop here. */
        r->diverged = true;
        r->diverged_step = r->step + 1;
        r->step++;
        m->last_train = false;
    } else {
        r->pending = true;
    }
    r->seconds += now_seconds() - t0;
    return LS_OK;
}

int tune_run_backward(TuneRun *r, Status *st)
{
    if (!r->pending) return LS_OK;
    const TuneMethod *o = r->method;
    Gpt *m = &r->model;
    double t0 = now_seconds();
    o->zero_grad(r);
    int rc = gpt_backward(m, st);
    if (rc) return rc;
    r->pending = false;
    if (o->after_backward) o->after_backward(r);

    TuneSpan sp[TUNE_MAX_SPANS];
    int ns = o->spans(r, sp);
    double sq = 0.0;
    for (int i = 0; i < ns; i++) {
        double g = grad_norm(sp[i].grads, sp[i].n);
        sq += g * g;
    }
    double norm = sqrt(sq);
    if (r->sched.grad_clip > 0 && norm > r->sched.grad_clip) {
        float s = (float)(r->sched.grad_clip / (norm + 1e-6));
        for (int i = 0; i < ns; i++)
            for (size_t j = 0; j < sp[i].n; j++)
                sp[i].grads[j] *= s;
    }
    float lr =
        lr_schedule(r->step, r->sched.warmup, r->sched.steps, r->lr, r->lr * r->sched.min_lr_frac);
    adamw_begin_step(&r->opt);
    size_t off = 0;
    for (int i = 0; i < ns; i++) {
        adamw_update(&r->opt, sp[i].params, sp[i].grads, off, sp[i].n, lr, sp[i].decay);
        off += sp[i].n;
    }
    r->step++;
    r->seconds += now_seconds() - t0;
    return LS_OK;
}

int tune_run_step(TuneRun *r, const int *inputs, const int *targets, float *loss, Status *st)
{
    int rc = tune_run_forward(r, inputs, targets, loss, st);
    return rc ? rc : tune_run_backward(r, st);
}

int tune_run_prepare_eval(TuneRun *r, Status *st)
{
    (void)st;
    /* The method's forward preparation (the prefix: its MLP's output). */
    if (r->method->before_forward) r->method->before_forward(r);
    return LS_OK;
}

int tune_run_prepare_train(TuneRun *r, Status *st)
{
    return gpt_reserve(&r->model, r->B, r->T, st);
}

TuneBytes tune_run_bytes(const TuneRun *r)
{
    const TuneMethod *o = r->method;
    const Gpt *m = &r->model;
    TuneBytes b = {0};
    TuneSpan sp[TUNE_MAX_SPANS];
    int ns = o->spans(r, sp);
    size_t trainable_in_model = 0;
    for (int i = 0; i < ns; i++) {
        b.trainable += sp[i].n * sizeof(float);
        b.grads += sp[i].n * sizeof(float);
    }
    if (o->trains_model_weights) trainable_in_model = m->num_stored;
    b.frozen = (m->num_stored - trainable_in_model) * sizeof(float) +
               (o->extra_frozen ? o->extra_frozen(r) : 0);
    b.optimizer = 2 * r->opt.n * sizeof(float);
    b.activations = m->num_acts * sizeof(float) + (size_t)m->act_B * m->act_T * sizeof(int) +
                    (o->extra_activations ? o->extra_activations(r) : 0);
    b.total = b.frozen + b.trainable + b.grads + b.optimizer + b.activations;
    return b;
}

int tune_run_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    int rc = r->method->save(r, dir, base_name, st);
    if (rc) status_prefix(st, "%s", dir);
    return rc;
}

int tune_freeze_base(Gpt *m, Status *st)
{
    for (int id = 0; id < GPT_NUM_TENSORS; id++) gpt_set_trainable(m, (GptTensorId)id, false);
    return gpt_alloc_grads(m, st);
}

const LoraAdapter *tune_run_adapter(const TuneRun *r)
{
    return r->method && r->method->adapter && r->state ? r->method->adapter(r) : NULL;
}

void tune_method_names(char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < TUNE_NUM_KINDS && len < size; i++) {
        const TuneMethod *m = registry[i];
        int w = snprintf(out + len, size - len, "%s%s%s%s", i ? ", " : "", m->name,
                         m->size_name ? ":" : "", m->size_name ? m->size_symbol : "");
        if (w > 0) len += (size_t)w;
    }
}

// ----------------------------------------------------------------------------
// Adapters from disk

int tune_adapter_apply(Gpt *m, const char *dir, TuneApplied *out, Status *st)
{
    memset(out, 0, sizeof *out);
    char type[64];
    int rc = peft_adapter_type(dir, type, sizeof type, st);
    if (rc) return rc;
    /* A row whose flag the config sets (DoRA: LORA with use_dora) before
     * the plain row of that type. */
    const TuneMethod *meth = NULL;
    for (int i = 0; i < TUNE_NUM_KINDS && !meth; i++) {
        const TuneMethod *c = registry[i];
        bool on = false;
        if (!c->peft_type || !c->peft_flag || strcmp(c->peft_type, type) != 0) continue;
        rc = peft_config_flag(dir, c->peft_flag, &on, st);
        if (rc) return rc;
        if (on) meth = c;
    }
    if (!meth) meth = tune_method_for_peft_type(type);
    if (!meth || !meth->load) {
        char names[256] = "";
        size_t len = 0;
        for (int i = 0; i < TUNE_NUM_KINDS && len < sizeof names; i++) {
            bool seen = false; /* DoRA's files are LORA's type too */
            for (int j = 0; j < i && registry[i]->peft_type; j++)
                seen = seen || (registry[j]->peft_type && registry[j]->load &&
                                strcmp(registry[j]->peft_type, registry[i]->peft_type) == 0);
            if (registry[i]->peft_type && registry[i]->load && !seen) {
                int w = snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
                                 registry[i]->peft_type);
                if (w > 0) len += (size_t)w;
            }
        }
        return status_fail(st, LS_ERR_PARSE, "%s: peft_type \"%s\" is not supported (%s)", dir,
                           type, names);
    }
    rc = meth->load(m, dir, &out->held, st);
    if (!rc) out->method = meth;
    return rc;
}

void tune_applied_free(TuneApplied *a)
{
    if (!a) return;
    if (a->method && a->method->free_state) a->method->free_state(a->held);
    memset(a, 0, sizeof *a);
}
