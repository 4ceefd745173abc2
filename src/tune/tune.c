/* tune.c — the method table, spec parsing and one method's training run
 * (see tune.h).
 *
 * Each method is a row of tune_methods (public: name, default LR, help) and
 * a row of `ops` (private: how it sets up the model, which parameter spans
 * the optimizer updates, what it does around forward and backward, how it
 * counts its memory and saves its result). */
#include "tune.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../nn/checkpoint.h"
#include "peft.h"

// ----------------------------------------------------------------------------
// The method table

/* Default peak learning rates, chosen by a sweep on the default lab (domain
 * task, 120 steps of 16 x 64 bytes; held-out nats after tuning):
 *   full    2.5e-4: 1.823   1e-3: 1.763 (more forgetting: +0.15 vs +0.06)
 *   lora:8  2e-3:   1.946   8e-3: 1.909   1.6e-2: 1.900
 *   prefix  3e-3:   2.168   3e-2: 1.998   1e-1:   1.935
 * Full tuning moves every weight and wants the smallest rate; LoRA's B
 * starts at zero and only a rank-r update moves, so it takes ten times
 * more; the prefix's keys and values are activations of size ~1 and move
 * slowly at small rates. */
const TuneMethod tune_methods[TUNE_NUM_KINDS] = {
    [TUNE_FULL] = {"full", TUNE_FULL, NULL, 1e-3f, "every parameter trained"},
    [TUNE_LORA] = {"lora", TUNE_LORA, "rank", 1e-2f, "LoRA: h = W0 x + (alpha/r) B A x, W0 frozen"},
    [TUNE_PREFIX] = {"prefix", TUNE_PREFIX, "prefix length", 5e-2f,
                     "prefix tuning: P trainable keys and values per layer"},
    [TUNE_QLORA] = {"qlora", TUNE_QLORA, "rank", 1e-2f, "LoRA on a frozen base stored in NF4"},
};

const TuneMethod *tune_method_find(const char *name)
{
    for (int i = 0; i < TUNE_NUM_KINDS; i++)
        if (strcmp(tune_methods[i].name, name) == 0) return &tune_methods[i];
    return NULL;
}

TuneSpec tune_spec_make(TuneKind kind, int size)
{
    TuneSpec s = {.kind = kind, .targets = LORA_TARGET_DEFAULT};
    if (kind == TUNE_LORA || kind == TUNE_QLORA) {
        s.rank = size;
        s.alpha = 2.0f * (float)size;
        snprintf(s.label, sizeof s.label, "%s:%d", tune_methods[kind].name, size);
    } else if (kind == TUNE_PREFIX) {
        s.prefix_len = size;
        snprintf(s.label, sizeof s.label, "prefix:%d", size);
    } else {
        snprintf(s.label, sizeof s.label, "%s", tune_methods[kind].name);
    }
    return s;
}

float tune_spec_lr(const TuneSpec *spec)
{
    return spec->lr > 0 ? spec->lr : tune_methods[spec->kind].default_lr;
}

// ----------------------------------------------------------------------------
// Parsing

/* Options as a table: name, whether it takes "=value", which kinds accept it. */
enum {
    K_FULL = 1 << TUNE_FULL,
    K_LORA = 1 << TUNE_LORA,
    K_PREFIX = 1 << TUNE_PREFIX,
    K_QLORA = 1 << TUNE_QLORA
};

typedef int (*OptionFn)(TuneSpec *s, const char *value, Status *st);

static bool parse_float(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x < lo || x > hi) return false;
    *out = x;
    return true;
}

static bool parse_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) return false;
    *out = x;
    return true;
}

static int opt_alpha(TuneSpec *s, const char *v, Status *st)
{
    double x;
    if (!parse_float(v, 1e-6, 1e6, &x))
        return status_fail(st, LS_ERR_ARG, "alpha needs a positive number, not '%s'", v);
    s->alpha = (float)x;
    return LS_OK;
}
static int opt_rslora(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    s->rslora = true;
    return LS_OK;
}
static int opt_pissa(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    s->pissa = true;
    return LS_OK;
}
static int opt_targets(TuneSpec *s, const char *v, Status *st)
{
    return lora_targets_parse(&s->targets, v, st);
}
static int opt_mlp(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    s->prefix_mlp = true;
    return LS_OK;
}
static int opt_hidden(TuneSpec *s, const char *v, Status *st)
{
    long x;
    if (!parse_int(v, 1, 65536, &x))
        return status_fail(st, LS_ERR_ARG, "hidden needs a width 1..65536, not '%s'", v);
    s->prefix_hidden = (int)x;
    s->prefix_mlp = true;
    return LS_OK;
}
static int opt_int8(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    s->qlora_int8 = true;
    return LS_OK;
}
static int opt_nf4(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    s->qlora_int8 = false;
    return LS_OK;
}
static int opt_lr(TuneSpec *s, const char *v, Status *st)
{
    double x;
    /* Up to 1e10, so that `lr=1e9` can show what divergence looks like. */
    if (!parse_float(v, 1e-9, 1e10, &x))
        return status_fail(st, LS_ERR_ARG, "lr needs a number in (0, 1e10], not '%s'", v);
    s->lr = (float)x;
    return LS_OK;
}
static int opt_nan(TuneSpec *s, const char *v, Status *st)
{
    long x;
    if (!parse_int(v, 1, 100000000, &x))
        return status_fail(st, LS_ERR_ARG, "nan needs a step number, not '%s'", v);
    s->nan_at_step = (int)x;
    return LS_OK;
}

static const struct {
    const char *name;
    bool takes_value;
    unsigned kinds;
    OptionFn fn;
} options[] = {
    {"alpha", true, K_LORA | K_QLORA, opt_alpha},
    {"rslora", false, K_LORA | K_QLORA, opt_rslora},
    {"pissa", false, K_LORA | K_QLORA, opt_pissa},
    {"targets", true, K_LORA | K_QLORA, opt_targets},
    {"mlp", false, K_PREFIX, opt_mlp},
    {"hidden", true, K_PREFIX, opt_hidden},
    {"int8", false, K_QLORA, opt_int8},
    {"nf4", false, K_QLORA, opt_nf4},
    {"lr", true, K_FULL | K_LORA | K_PREFIX | K_QLORA, opt_lr},
    {"nan", true, K_FULL | K_LORA | K_PREFIX | K_QLORA, opt_nan},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

/* Does token name a method ("lora:8", "full")? */
static const TuneMethod *token_method(const char *tok, size_t len)
{
    for (int i = 0; i < TUNE_NUM_KINDS; i++) {
        size_t n = strlen(tune_methods[i].name);
        if (len >= n && strncmp(tok, tune_methods[i].name, n) == 0 && (len == n || tok[n] == ':'))
            return &tune_methods[i];
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
    for (int i = 0; i < N_OPTIONS; i++) {
        if (strcmp(options[i].name, buf) != 0) continue;
        if (!(options[i].kinds & (1u << s->kind)))
            return status_fail(st, LS_ERR_ARG, "option '%s' does not apply to %s", buf,
                               tune_methods[s->kind].name);
        if (options[i].takes_value && (!value || !*value))
            return status_fail(st, LS_ERR_ARG, "option '%s' needs a value (%s=...)", buf, buf);
        if (!options[i].takes_value && value)
            return status_fail(st, LS_ERR_ARG, "option '%s' takes no value", buf);
        return options[i].fn(s, value ? value : "", st);
    }
    return status_fail(st, LS_ERR_ARG, "unknown option '%s' for %s", buf,
                       tune_methods[s->kind].name);
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
    if (!m)
        return status_fail(st, LS_ERR_ARG,
                           "unknown method '%.*s' (use full, lora:R, prefix:P, qlora:R)", (int)head,
                           text);
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
        long hi = m->kind == TUNE_PREFIX ? 4096 : LORA_MAX_RANK;
        long lo = m->kind == TUNE_PREFIX ? 0 : 1;
        if (!parse_int(num, lo, hi, &size))
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
// Hooks: ctx is the TuneRun, which forwards to its adapter / prefix / base

static void hook_linear_forward(void *ctx, int l, GptLinearId id, float *out, const float *inp,
                                int N, int IC, int OC)
{
    lora_forward(&((TuneRun *)ctx)->lora, l, id, out, inp, N, IC, OC);
}

static void hook_linear_backward(void *ctx, int l, GptLinearId id, float *dinp, const float *dout,
                                 const float *inp, int N, int IC, int OC)
{
    lora_backward(&((TuneRun *)ctx)->lora, l, id, dinp, dout, inp, N, IC, OC);
}

static void hook_block_weights(void *ctx, int l, GptBlockWeights *w)
{
    qlora_block_weights(&((TuneRun *)ctx)->qbase, l, w);
}

static void hook_prefix_kv(void *ctx, int l, const float **k, const float **v, float **dk,
                           float **dv)
{
    prefix_kv_of(&((TuneRun *)ctx)->prefix, l, k, v, dk, dv);
}

// ----------------------------------------------------------------------------
// Per-method operations

/* A contiguous run of trainable parameters with its gradients. */
typedef struct Span {
    float *params, *grads;
    size_t n;
    bool decay;
} Span;

enum { MAX_SPANS = GPT_NUM_TENSORS };

typedef struct TuneOps {
    int (*setup)(TuneRun *r, unsigned long long seed, const int *start, int n_start, Status *st);
    int (*spans)(const TuneRun *r, Span *out); /* returns the count */
    void (*zero_grad)(TuneRun *r);
    void (*before_forward)(TuneRun *r);
    void (*after_backward)(TuneRun *r);
    size_t (*extra_frozen)(const TuneRun *r);      /* beyond the model's fp32 frozen weights */
    size_t (*extra_activations)(const TuneRun *r); /* beyond the model's activations */
    int (*save)(TuneRun *r, const char *dir, const char *base_name, Status *st);
} TuneOps;

static void freeze_all(Gpt *m)
{
    for (int id = 0; id < GPT_NUM_TENSORS; id++)
        gpt_set_trainable(m, (GptTensorId)id, false);
}

/* --- full ---------------------------------------------------------------- */

static int full_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                      Status *st)
{
    (void)seed, (void)start, (void)n_start;
    r->trainable_params = r->model.num_params;
    r->total_params = r->model.num_params;
    return gpt_alloc_grads(&r->model, st);
}

static int full_spans(const TuneRun *r, Span *out)
{
    int n = 0;
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        if (!r->model.grads.t[id]) continue;
        GptTensorInfo ti = gpt_tensor_info(&r->model.cfg, (GptTensorId)id);
        out[n++] = (Span){r->model.params.t[id], r->model.grads.t[id],
                          gpt_tensor_numel(&r->model.cfg, (GptTensorId)id), ti.decay};
    }
    return n;
}

static void full_zero(TuneRun *r)
{
    gpt_zero_grad(&r->model);
}

static int full_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    (void)base_name;
    return gpt_save(&r->model, dir, st);
}
static void nothing(TuneRun *r)
{
    (void)r;
}
static size_t zero_bytes(const TuneRun *r)
{
    (void)r;
    return 0;
}

/* --- lora / qlora ---------------------------------------------------------- */

static int lora_setup_common(TuneRun *r, unsigned long long seed, Status *st)
{
    const TuneSpec *s = &r->spec;
    Gpt *m = &r->model;
    freeze_all(m);
    int rc = gpt_alloc_grads(m, st);
    if (rc) return rc;
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, &m->cfg, s->targets);
    rc = lora_init(&r->lora, &m->cfg, mods, n, s->rank, lora_scale(s->alpha, s->rank, s->rslora),
                   st);
    if (rc) return rc;
    if (s->pissa)
        rc = lora_init_pissa(&r->lora, m, st);
    else
        lora_init_weights(&r->lora, seed);
    if (!rc) rc = lora_alloc_grads(&r->lora, st);
    if (!rc) rc = lora_reserve(&r->lora, r->B * r->T, st);
    if (rc) return rc;
    m->hooks.ctx = r;
    m->hooks.linear_forward = hook_linear_forward;
    m->hooks.linear_backward = hook_linear_backward;
    m->hooks.adapted_linears = lora_adapted_linears(&r->lora);
    r->trainable_params = r->lora.n_params;
    r->total_params = m->num_params + r->lora.n_params;
    return LS_OK;
}

static int lora_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                      Status *st)
{
    (void)start, (void)n_start;
    return lora_setup_common(r, seed, st);
}

static int qlora_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                       Status *st)
{
    (void)start, (void)n_start;
    /* PiSSA (if asked) first, so the residual is what gets quantised (QPiSSA). */
    int rc = lora_setup_common(r, seed, st);
    if (!rc) rc = qlora_init(&r->qbase, &r->model, r->spec.qlora_int8, st);
    if (rc) return rc;
    r->model.hooks.block_weights = hook_block_weights;
    return LS_OK;
}

static int lora_spans(const TuneRun *r, Span *out)
{
    out[0] = (Span){r->lora.params, r->lora.grads, r->lora.n_params, true};
    return 1;
}

static void lora_zero(TuneRun *r)
{
    lora_zero_grad(&r->lora);
}

static size_t lora_acts(const TuneRun *r)
{
    const LoraAdapter *a = &r->lora;
    return ((size_t)a->L * a->n_mod * (size_t)a->z_N * a->rank + (size_t)a->z_N * a->rank) *
               sizeof(float) +
           (size_t)a->L * a->n_mod * sizeof(size_t);
}

static size_t qlora_frozen(const TuneRun *r)
{
    return qlora_stored_bytes(&r->qbase);
}

static size_t qlora_acts(const TuneRun *r)
{
    return lora_acts(r) + 12 * (size_t)r->qbase.C * r->qbase.C * sizeof(float);
}

/* --- prefix ------------------------------------------------------------- */

static int prefix_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                        Status *st)
{
    const TuneSpec *s = &r->spec;
    Gpt *m = &r->model;
    freeze_all(m);
    int rc = gpt_alloc_grads(m, st);
    if (rc) return rc;
    int hidden = s->prefix_mlp ? (s->prefix_hidden > 0 ? s->prefix_hidden : m->cfg.n_embd) : 0;
    rc = prefix_init(&r->prefix, &m->cfg, s->prefix_len, hidden, st);
    if (rc) return rc;
    if (s->prefix_len > 0) {
        if (!start || n_start < s->prefix_len)
            return status_fail(st, LS_ERR_ARG, "prefix:%d needs %d bytes of text to start from",
                               s->prefix_len, s->prefix_len);
        rc = prefix_init_from_tokens(&r->prefix, m, start, seed, st);
    }
    if (!rc) rc = prefix_alloc_grads(&r->prefix, st);
    if (rc) return rc;
    m->hooks.ctx = r;
    m->hooks.prefix_len = s->prefix_len;
    m->hooks.prefix_kv = hook_prefix_kv;
    size_t n;
    prefix_params(&r->prefix, &n);
    r->trainable_params = n;
    /* What the method adds to the model for good: the (L, 2, P, C) prefix. */
    r->total_params = m->num_params + (size_t)r->prefix.L * 2 * r->prefix.P * r->prefix.C;
    if (r->prefix.mlp) r->total_params += r->prefix.n_mlp;
    return LS_OK;
}

static int prefix_spans(const TuneRun *r, Span *out)
{
    size_t n;
    float *p = prefix_params(&r->prefix, &n);
    out[0] = (Span){p, prefix_grads(&r->prefix), n, false};
    return n ? 1 : 0;
}

static void prefix_zero(TuneRun *r)
{
    prefix_zero_grad(&r->prefix);
}
static void prefix_before(TuneRun *r)
{
    prefix_mlp_forward(&r->prefix);
}
static void prefix_after(TuneRun *r)
{
    prefix_mlp_backward(&r->prefix);
}

static size_t prefix_frozen(const TuneRun *r)
{
    const Prefix *p = &r->prefix;
    size_t kv = (size_t)p->L * 2 * p->P * p->C;
    return p->mlp ? kv * sizeof(float) : 0; /* the constant start */
}

static size_t prefix_acts(const TuneRun *r)
{
    const Prefix *p = &r->prefix;
    size_t kv = (size_t)p->L * 2 * p->P * p->C;
    /* With the MLP, kv and its gradient are intermediate values; without
     * it kv is the parameter and dkv its gradient (counted there). */
    return p->mlp ? (2 * kv + (size_t)p->P * p->H) * sizeof(float) : 0;
}

static const TuneOps ops[TUNE_NUM_KINDS] = {
    [TUNE_FULL] = {full_setup, full_spans, full_zero, nothing, nothing, zero_bytes, zero_bytes,
                   full_save},
    [TUNE_LORA] = {lora_setup, lora_spans, lora_zero, nothing, nothing, zero_bytes, lora_acts,
                   peft_save_lora_run},
    [TUNE_PREFIX] = {prefix_setup, prefix_spans, prefix_zero, prefix_before, prefix_after,
                     prefix_frozen, prefix_acts, peft_save_prefix_run},
    [TUNE_QLORA] = {qlora_setup, lora_spans, lora_zero, nothing, nothing, qlora_frozen, qlora_acts,
                    peft_save_lora_run},
};

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
    r->qbase.deq_layer = -1;
    if (spec->kind < 0 || spec->kind >= TUNE_NUM_KINDS)
        return status_fail(st, LS_ERR_ARG, "bad method kind");
    if (base->num_stored != base->num_params || !base->param_block)
        return status_fail(st, LS_ERR_ARG, "the base model must hold all its weights");
    if (B < 1 || T < 1 || T > base->cfg.n_positions || sched->steps < 1)
        return status_fail(st, LS_ERR_ARG, "bad training shape %d x %d (n_positions %d), %d steps",
                           B, T, base->cfg.n_positions, sched->steps);
    r->spec = *spec;
    r->method = &tune_methods[spec->kind];
    r->sched = *sched;
    r->lr = tune_spec_lr(spec);
    r->B = B;
    r->T = T;
    int rc = gpt_init(&r->model, &base->cfg, st);
    if (rc) return rc;
    memcpy(r->model.param_block, base->param_block, base->num_params * sizeof(float));
    rc = ops[spec->kind].setup(r, seed, start_tokens, n_start, st);
    if (!rc) rc = gpt_reserve(&r->model, B, T, st);
    if (!rc) {
        AdamWConfig ac = adamw_defaults();
        ac.lr = r->lr;
        ac.weight_decay = sched->weight_decay;
        Span sp[MAX_SPANS];
        int ns = ops[spec->kind].spans(r, sp);
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
    lora_free(&r->lora);
    prefix_free(&r->prefix);
    qlora_free(&r->qbase);
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
    const TuneOps *o = &ops[r->spec.kind];
    Gpt *m = &r->model;
    double t0 = now_seconds();
    o->before_forward(r);
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
    const TuneOps *o = &ops[r->spec.kind];
    Gpt *m = &r->model;
    double t0 = now_seconds();
    o->zero_grad(r);
    int rc = gpt_backward(m, st);
    if (rc) return rc;
    r->pending = false;
    o->after_backward(r);

    Span sp[MAX_SPANS];
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
    if (r->spec.kind == TUNE_PREFIX) prefix_mlp_forward(&r->prefix);
    return LS_OK;
}

int tune_run_prepare_train(TuneRun *r, Status *st)
{
    return gpt_reserve(&r->model, r->B, r->T, st);
}

TuneBytes tune_run_bytes(const TuneRun *r)
{
    const TuneOps *o = &ops[r->spec.kind];
    const Gpt *m = &r->model;
    TuneBytes b = {0};
    Span sp[MAX_SPANS];
    int ns = o->spans(r, sp);
    size_t trainable_in_model = 0;
    for (int i = 0; i < ns; i++) {
        b.trainable += sp[i].n * sizeof(float);
        b.grads += sp[i].n * sizeof(float);
    }
    if (r->spec.kind == TUNE_FULL) trainable_in_model = m->num_stored;
    b.frozen = (m->num_stored - trainable_in_model) * sizeof(float) + o->extra_frozen(r);
    b.optimizer = 2 * r->opt.n * sizeof(float);
    b.activations = m->num_acts * sizeof(float) + (size_t)m->act_B * m->act_T * sizeof(int) +
                    o->extra_activations(r);
    b.total = b.frozen + b.trainable + b.grads + b.optimizer + b.activations;
    return b;
}

int tune_run_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    int rc = ops[r->spec.kind].save(r, dir, base_name, st);
    if (rc) status_prefix(st, "%s", dir);
    return rc;
}
