/* tune_lora.c — LoRA (Hu et al. 2021) and QLoRA (Dettmers et al. 2023) as
 * rows of the method registry. Both train a LoraAdapter (lora.h) on the
 * frozen base; QLoRA's base is stored in NF4 (or int8) blocks of 64 and
 * dequantised layer by layer (qlora.h). The state owns the adapter and the
 * quantised base; saving writes PEFT's LORA files (peft.h) and the merged
 * fp32 model in dir/merged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/checkpoint.h"
#include "lora.h"
#include "peft.h"
#include "qlora.h"
#include "tune.h"
#include "tune_lora.h"

typedef struct LoraState {
    LoraAdapter lora;
    QloraBase qbase; /* qlora: the quantised base */
    bool quantised;
} LoraState;

static LoraState *state_of(const TuneRun *r)
{
    return r->state;
}

void tune_lora_opts_set(TuneSpec *s, const LoraOpts *o)
{
    tune_spec_opts_set(s, o, sizeof *o);
}

LoraOpts tune_lora_opts_default(int rank)
{
    return (LoraOpts){.alpha = 2.0f * (float)rank, .targets = LORA_TARGET_DEFAULT};
}

static void lora_spec_make(TuneSpec *s, int size)
{
    LoraOpts o = tune_lora_opts_default(size);
    tune_lora_opts_set(s, &o);
    snprintf(s->label, sizeof s->label, "%s:%d", tune_method(s->kind)->name, size);
}

static void lora_state_free(void *state)
{
    LoraState *ls = state;
    if (!ls) return;
    lora_free(&ls->lora);
    qlora_free(&ls->qbase);
    free(ls);
}

// ----------------------------------------------------------------------------
// Hooks: ctx is the LoraState

static void hook_linear_forward(void *ctx, int l, GptLinearId id, float *out, const float *inp,
                                int N, int IC, int OC)
{
    lora_forward(&((LoraState *)ctx)->lora, l, id, out, inp, N, IC, OC);
}

static void hook_linear_backward(void *ctx, int l, GptLinearId id, float *dinp, const float *dout,
                                 const float *inp, int N, int IC, int OC)
{
    lora_backward(&((LoraState *)ctx)->lora, l, id, dinp, dout, inp, N, IC, OC);
}

static void hook_block_weights(void *ctx, int l, GptBlockWeights *w)
{
    qlora_block_weights(&((LoraState *)ctx)->qbase, l, w);
}

// ----------------------------------------------------------------------------
// Set-up and training

static int lora_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                      Status *st)
{
    (void)start, (void)n_start;
    LoraOpts o = tune_lora_opts(&r->spec);
    int R = r->spec.size;
    Gpt *m = &r->model;
    LoraState *ls = calloc(1, sizeof *ls);
    if (!ls) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    ls->qbase.deq_layer = -1;
    r->state = ls;
    int rc = tune_freeze_base(m, st);
    if (rc) return rc;
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, &m->cfg, o.targets);
    LoraAdapter *a = &ls->lora;
    rc = lora_init(a, &m->cfg, mods, n, R, lora_scale(o.alpha, R, o.rslora), st);
    if (rc) return rc;
    if (o.pissa)
        rc = lora_init_pissa(a, m, st);
    else
        lora_init_weights(a, seed);
    if (!rc) rc = lora_alloc_grads(a, st);
    if (!rc) rc = lora_reserve(a, r->B * r->T, st);
    if (rc) return rc;
    m->hooks.ctx = ls;
    m->hooks.linear_forward = hook_linear_forward;
    m->hooks.linear_backward = hook_linear_backward;
    m->hooks.adapted_linears = lora_adapted_linears(a);
    r->trainable_params = a->n_params;
    r->total_params = m->num_params + a->n_params;
    return LS_OK;
}

static int qlora_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                       Status *st)
{
    /* PiSSA (if asked) first, so the residual is what gets quantised (QPiSSA). */
    int rc = lora_setup(r, seed, start, n_start, st);
    LoraState *ls = state_of(r);
    if (!rc) rc = qlora_init(&ls->qbase, &r->model, tune_lora_opts(&r->spec).int8, st);
    if (rc) return rc;
    ls->quantised = true;
    r->model.hooks.block_weights = hook_block_weights;
    return LS_OK;
}

static int lora_spans(const TuneRun *r, TuneSpan *out)
{
    const LoraAdapter *a = &state_of(r)->lora;
    out[0] = (TuneSpan){a->params, a->grads, a->n_params, true};
    return 1;
}

static void lora_zero(TuneRun *r)
{
    lora_zero_grad(&state_of(r)->lora);
}

static size_t lora_acts(const TuneRun *r)
{
    const LoraAdapter *a = &state_of(r)->lora;
    return ((size_t)a->L * a->n_mod * (size_t)a->z_N * a->rank + (size_t)a->z_N * a->rank) *
               sizeof(float) +
           (size_t)a->L * a->n_mod * sizeof(size_t);
}

static size_t qlora_frozen(const TuneRun *r)
{
    return qlora_stored_bytes(&state_of(r)->qbase);
}

static size_t qlora_acts(const TuneRun *r)
{
    const QloraBase *q = &state_of(r)->qbase;
    return lora_acts(r) + 12 * (size_t)q->C * q->C * sizeof(float);
}

static const LoraAdapter *lora_adapter(const TuneRun *r)
{
    return &state_of(r)->lora;
}

// ----------------------------------------------------------------------------
// Files

/* An fp32 model with the run's update merged in. */
static int merged_copy(TuneRun *r, Gpt *out, Status *st)
{
    LoraState *ls = state_of(r);
    int rc = gpt_init(out, &r->model.cfg, st);
    if (rc) return rc;
    for (int id = 0; id < GPT_NUM_TENSORS; id++)
        if (r->model.params.t[id])
            memcpy(out->params.t[id], r->model.params.t[id],
                   gpt_tensor_numel(&out->cfg, (GptTensorId)id) * sizeof(float));
    if (ls->quantised) qlora_dequantize_into(&ls->qbase, out);
    if (!ls->lora.merged) lora_add_to(&ls->lora, out, 1.0f);
    return LS_OK;
}

static int lora_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    LoraState *ls = state_of(r);
    LoraOpts o = tune_lora_opts(&r->spec);
    int rc = peft_save_lora(&ls->lora, o.pissa ? ls->lora.init : NULL, &r->model.cfg, o.rslora,
                            dir, base_name, st);
    Gpt merged;
    if (!rc) rc = merged_copy(r, &merged, st);
    if (!rc) {
        char md[4096];
        if (snprintf(md, sizeof md, "%s/merged", dir) >= (int)sizeof md)
            rc = status_fail(st, LS_ERR_ARG, "path too long");
        else
            rc = gpt_save(&merged, md, st);
        gpt_free(&merged);
    }
    return rc;
}

/* A LoRA adapter is merged into the weights: nothing to hold. */
static int lora_load(Gpt *m, const char *dir, void **held, Status *st)
{
    PeftLora pl;
    *held = NULL;
    int rc = peft_load_lora(&pl, &m->cfg, dir, st);
    if (!rc) lora_add_to(&pl.lora, m, 1.0f);
    peft_lora_free(&pl);
    return rc;
}

// ----------------------------------------------------------------------------
// Options

static int opt_alpha(TuneSpec *s, const char *v, Status *st)
{
    double x;
    if (!tune_parse_float(v, 1e-6, 1e6, &x))
        return status_fail(st, LS_ERR_ARG, "alpha needs a positive number, not '%s'", v);
    LoraOpts o = tune_lora_opts(s);
    o.alpha = (float)x;
    o.alpha_set = true;
    tune_lora_opts_set(s, &o);
    return LS_OK;
}
/* rsLoRA at a fixed alpha unless alpha= is given: with alpha = 2R its
 * scale would be 2 sqrt(R) and the first steps would still grow with R. */
static int opt_rslora(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    LoraOpts o = tune_lora_opts(s);
    o.rslora = true;
    if (!o.alpha_set) o.alpha = TUNE_FIXED_ALPHA;
    tune_lora_opts_set(s, &o);
    return LS_OK;
}
static int opt_pissa(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    LoraOpts o = tune_lora_opts(s);
    o.pissa = true;
    tune_lora_opts_set(s, &o);
    return LS_OK;
}
static int opt_targets(TuneSpec *s, const char *v, Status *st)
{
    LoraOpts o = tune_lora_opts(s);
    int rc = lora_targets_parse(&o.targets, v, st);
    if (!rc) tune_lora_opts_set(s, &o);
    return rc;
}
/* qlora's base: int8 or NF4 (the default). */
static int opt_base(TuneSpec *s, bool int8)
{
    LoraOpts o = tune_lora_opts(s);
    o.int8 = int8;
    tune_lora_opts_set(s, &o);
    return LS_OK;
}
static int opt_int8(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    return opt_base(s, true);
}
static int opt_nf4(TuneSpec *s, const char *v, Status *st)
{
    (void)v, (void)st;
    return opt_base(s, false);
}

/* alpha, rslora and targets first: DoRA shares them (tune_dora.c). */
#define LORA_OPTIONS                                                                               \
    {"alpha", true, opt_alpha}, {"rslora", false, opt_rslora}, {"targets", true, opt_targets},    \
        {"pissa", false, opt_pissa}
const TuneOption tune_lora_options[] = {LORA_OPTIONS};
static const TuneOption qlora_options[] = {LORA_OPTIONS, {"int8", false, opt_int8},
                                           {"nf4", false, opt_nf4}};

/* The methods whose option table is LoRA's write LoraOpts. */
bool tune_spec_is_lora(const TuneSpec *s)
{
    const TuneMethod *m = tune_method(s->kind);
    return m && (m->options == tune_lora_options || m->options == qlora_options);
}

LoraOpts tune_lora_opts(const TuneSpec *s)
{
    LoraOpts o = {0};
    if (tune_spec_is_lora(s)) tune_spec_opts_get(s, &o, sizeof o);
    return o;
}

/* Help lines: "option<TAB>what it does". */
#define LORA_HELP                                                                                  \
    "alpha=A\tLoRA alpha (default 2R, so alpha/R = 2)\n"                                          \
    "rslora\tscale alpha/sqrt(R), not alpha/R (alpha 5.66 unless given)\n"                      \
    "targets=T\tq, k, v, o (attn.c_proj), fc, fcproj, mlp, attn, all joined by '+'\n"            \
    "\t(default q+v, as the LoRA paper)\n"                                                         \
    "pissa\tstart from the top-R SVD of W (W becomes its residual)\n"

const TuneMethod tune_method_lora = {
    .name = "lora",
    .kind = TUNE_LORA,
    .size_name = "rank",
    .size_symbol = "R",
    .size_min = 1,
    .size_max = LORA_MAX_RANK,
    .size_default = 8,
    .default_lr = 1e-2f,
    .summary = "LoRA of rank R (Hu et al. 2021): h = W0 x + (alpha/R) B A x, W0 frozen;\n"
               "B = 0 and A kaiming-uniform at the start, so it starts at the base",
    .help = LORA_HELP,
    .options = tune_lora_options,
    .n_options = 4,
    .peft_type = "LORA",
    .spec_make = lora_spec_make,
    .setup = lora_setup,
    .free_state = lora_state_free,
    .spans = lora_spans,
    .zero_grad = lora_zero,
    .extra_activations = lora_acts,
    .save = lora_save,
    .load = lora_load,
    .adapter = lora_adapter,
    .colour = TUNE_COLOUR_RANKS,
    .several_sizes = true,
    .lab_sizes_on = "1 2 4 8 16",
    .lab_help = "LoRA ranks",
};

const TuneMethod tune_method_qlora = {
    .name = "qlora",
    .kind = TUNE_QLORA,
    .size_name = "rank",
    .size_symbol = "R",
    .size_min = 1,
    .size_max = LORA_MAX_RANK,
    .size_default = 8,
    .default_lr = 3e-2f,
    .summary = "LoRA of rank R on a frozen base stored in NF4 blocks of 64\n"
               "(Dettmers et al. 2023), dequantised layer by layer",
    .help = LORA_HELP "int8\tint8 blocks of 64 instead of NF4 (nf4: the default)\n",
    .options = qlora_options,
    .n_options = (int)(sizeof qlora_options / sizeof qlora_options[0]),
    .spec_make = lora_spec_make,
    .setup = qlora_setup,
    .free_state = lora_state_free,
    .spans = lora_spans,
    .zero_grad = lora_zero,
    .extra_frozen = qlora_frozen,
    .extra_activations = qlora_acts,
    .save = lora_save,
    .adapter = lora_adapter,
    .size_label = "QLoRA rank",
    .mark = 'Q',
    .colour = TUNE_COLOUR_TEAL,
    .lab_help = "QLoRA of rank R",
};
