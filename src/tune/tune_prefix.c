/* tune_prefix.c — prefix tuning (Li & Liang 2021) as a row of the method
 * registry: P trainable keys and values per layer prepended in every
 * attention, optionally trained through an MLP reparameterisation. Owns
 * its Prefix (prefix.h) and its PEFT files (peft.h: PREFIX_TUNING). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peft.h"
#include "prefix.h"
#include "tune.h"
#include "tune_prefix.h"

static Prefix *prefix_of(const TuneRun *r)
{
    return r->state;
}

static void prefix_spec_make(TuneSpec *s, int size)
{
    PrefixOpts o = {0};
    tune_spec_opts_set(s, &o, sizeof o);
    snprintf(s->label, sizeof s->label, "prefix:%d", size);
}

static int prefix_start_bytes(const TuneSpec *s)
{
    return s->size;
}

static void prefix_state_free(void *state)
{
    if (!state) return;
    prefix_free(state);
    free(state);
}

static int prefix_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                        Status *st)
{
    PrefixOpts o = tune_prefix_opts(&r->spec);
    int P = r->spec.size;
    Gpt *m = &r->model;
    int rc = tune_freeze_base(m, st);
    if (rc) return rc;
    Prefix *p = calloc(1, sizeof *p);
    if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    r->state = p;
    int hidden = o.mlp ? (o.hidden > 0 ? o.hidden : m->cfg.n_embd) : 0;
    rc = prefix_init(p, &m->cfg, P, hidden, st);
    if (rc) return rc;
    if (P > 0) {
        if (!start || n_start < P)
            return status_fail(st, LS_ERR_ARG, "prefix:%d needs %d bytes of text to start from",
                               P, P);
        rc = prefix_init_from_tokens(p, m, start, seed, st);
    }
    if (!rc) rc = prefix_alloc_grads(p, st);
    if (rc) return rc;
    prefix_attach(p, m);
    size_t n;
    prefix_params(p, &n);
    r->trainable_params = n;
    /* What the method adds to the model for good: the (L, 2, P, C) prefix. */
    r->total_params = m->num_params + (size_t)p->L * 2 * p->P * p->C;
    if (p->mlp) r->total_params += p->n_mlp;
    return LS_OK;
}

static int prefix_spans(const TuneRun *r, TuneSpan *out)
{
    size_t n;
    float *p = prefix_params(prefix_of(r), &n);
    out[0] = (TuneSpan){p, prefix_grads(prefix_of(r)), n, false};
    return n ? 1 : 0;
}

static void prefix_zero(TuneRun *r)
{
    prefix_zero_grad(prefix_of(r));
}
static void prefix_before(TuneRun *r)
{
    prefix_mlp_forward(prefix_of(r));
}
static void prefix_after(TuneRun *r)
{
    prefix_mlp_backward(prefix_of(r));
}

static size_t prefix_frozen(const TuneRun *r)
{
    const Prefix *p = prefix_of(r);
    size_t kv = (size_t)p->L * 2 * p->P * p->C;
    return p->mlp ? kv * sizeof(float) : 0; /* the constant start */
}

static size_t prefix_acts(const TuneRun *r)
{
    const Prefix *p = prefix_of(r);
    size_t kv = (size_t)p->L * 2 * p->P * p->C;
    /* With the MLP, kv and its gradient are intermediate values; without
     * it kv is the parameter and dkv its gradient (counted there). */
    return p->mlp ? (2 * kv + (size_t)p->P * p->H) * sizeof(float) : 0;
}

static int prefix_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    Prefix *p = prefix_of(r);
    if (p->P > 0) prefix_mlp_forward(p); /* the MLP's current output */
    return peft_save_prefix(p, &r->model.cfg, dir, base_name, st);
}

static int prefix_load(Gpt *m, const char *dir, void **held, Status *st)
{
    Prefix *p = calloc(1, sizeof *p);
    if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int rc = peft_load_prefix(p, &m->cfg, dir, st);
    if (rc) {
        free(p);
        return rc;
    }
    prefix_attach(p, m);
    *held = p;
    return LS_OK;
}

static int opt_mlp(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    PrefixOpts o = tune_prefix_opts(s);
    o.mlp = true;
    tune_spec_opts_set(s, &o, sizeof o);
    return LS_OK;
}

static int opt_hidden(TuneSpec *s, const char *v, Status *st)
{
    long x;
    if (!tune_parse_int(v, 1, 65536, &x))
        return status_fail(st, LS_ERR_ARG, "hidden needs a width 1..65536, not '%s'", v);
    PrefixOpts o = tune_prefix_opts(s);
    o.hidden = (int)x;
    o.mlp = true;
    tune_spec_opts_set(s, &o, sizeof o);
    return LS_OK;
}

static const TuneOption prefix_options[] = {
    {"mlp", false, opt_mlp},
    {"hidden", true, opt_hidden},
};

PrefixOpts tune_prefix_opts(const TuneSpec *s)
{
    PrefixOpts o = {0};
    if (s->kind == TUNE_PREFIX) tune_spec_opts_get(s, &o, sizeof o);
    return o;
}

/* Through its MLP the prefix is the output of a trained network, whose
 * weights a step moves like any layer's, not numbers of size 1 moved
 * directly: it wants a rate about 30 times smaller. Both rates are the
 * shipped sweep's choices on the domain task (data/lab-results, one
 * significant digit; tune.c). */
#define PREFIX_MLP_LR 0.007
#define TEXT_OF(x) #x
#define TEXT(x) TEXT_OF(x)
extern const TuneMethod tune_method_prefix;

static float prefix_options_lr(const TuneSpec *s)
{
    return tune_prefix_opts(s).mlp ? (float)PREFIX_MLP_LR : tune_method_prefix.default_lr;
}

const TuneMethod tune_method_prefix = {
    .name = "prefix",
    .kind = TUNE_PREFIX,
    .size_name = "prefix length",
    .size_symbol = "P",
    .size_min = 0,
    .size_max = 4096,
    .size_default = 16,
    .default_lr = 2e-1f,
    .options_lr = prefix_options_lr,
    .summary = "prefix tuning (Li & Liang 2021): P trainable keys and values per layer,\n"
               "starting from the base model's own keys/values for P bytes of the task",
    .help = "mlp, hidden=H\ttrain through an MLP (width H, default n_embd),\n"
            "\tdropped after training (Li & Liang); default lr " TEXT(PREFIX_MLP_LR) "\n",
    .options = prefix_options,
    .n_options = (int)(sizeof prefix_options / sizeof prefix_options[0]),
    .peft_type = "PREFIX_TUNING",
    .spec_make = prefix_spec_make,
    .start_bytes = prefix_start_bytes,
    .setup = prefix_setup,
    .free_state = prefix_state_free,
    .spans = prefix_spans,
    .zero_grad = prefix_zero,
    .before_forward = prefix_before,
    .after_backward = prefix_after,
    .extra_frozen = prefix_frozen,
    .extra_activations = prefix_acts,
    .save = prefix_save,
    .load = prefix_load,
    .size_label = "prefix P",
    .mark = 'P',
    .colour = TUNE_COLOUR_PINK,
    .lab_on = true,
    .lab_help = "prefix tuning with P virtual tokens",
};
