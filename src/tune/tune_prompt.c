/* tune_prompt.c — prompt tuning (Lester et al. 2021, "The Power of Scale
 * for Parameter-Efficient Prompt Tuning") as a row of the method registry:
 * P trainable input embeddings (a "soft prompt") prepended to every
 * sequence; the whole model stays frozen. P C parameters in all.
 *
 *   x0 = [ E + wpe[0..P) ;  wte[tokens] + wpe[0..T) ]      (P + T, C)
 *
 * E (P, C) lives in the word-embedding space, as PEFT's prompt_embeddings
 * do, and starts as the word embeddings of P real bytes of the task (as
 * PEFT's TEXT init, and Lester et al. §3.2's initialisation from real
 * vocabulary). The engine takes the rows natively (GptHooks.input_rows):
 * every block runs on P + T rows, the real tokens attend to all P, and its
 * backward gives dE, summed over the batch. Where prefix tuning (Li &
 * Liang 2021) trains keys and values in EVERY layer, the prompt only
 * touches the first layer's input: the layers above see it only through
 * what the frozen model computes from it.
 *
 * Positions (a decision, stated in the export and in lesson 6): the
 * virtual tokens carry positions 0..P-1, as in PEFT, and the real tokens
 * keep 0..T-1, as with lorascope's prefix. GPT-2 in transformers with PEFT
 * numbers the real tokens after the prompt, P..P+T-1, so the same file is
 * a different model there, and with n_positions 64 PEFT could not run the
 * lab's 64-byte windows at all. Keeping 0..T-1 lets prompt tuning train
 * in the lab on the very windows every other method sees; the price is
 * that the exported folder is PEFT's layout but not PEFT's model (its
 * adapter_config.json says so, and tests/test_methods.c measures the gap
 * by an independent forward pass, tests/peft/peft_forward.py). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../nn/safetensors.h"
#include "peft.h"
#include "tune.h"
#include "tune_prompt.h"

typedef struct Prompt {
    int P, C;
    float *emb;       /* (P, C) the soft prompt, in word-embedding space */
    float *demb;      /* (P, C) its gradient (NULL when only evaluated) */
    float *rows;      /* (P, C) emb + wpe[0..P): the first block's input rows */
    const float *wpe; /* the model's position embedding, (>= P, C) */
} Prompt;

static Prompt *prompt_of(const TuneRun *r)
{
    return r->state;
}

static void prompt_free(void *state)
{
    Prompt *p = state;
    if (!p) return;
    free(p->emb);
    free(p->demb);
    free(p->rows);
    free(p);
}

/* The rows the engine prepends: E plus the virtual tokens' positions. */
static void prompt_rows(Prompt *p)
{
    size_t n = (size_t)p->P * p->C;
    for (size_t i = 0; i < n; i++)
        p->rows[i] = p->emb[i] + p->wpe[i];
}

/* GptHooks.input_embd; d(rows) = d(E) since wpe is a constant. */
static void prompt_input(void *ctx, const float **rows, float **drows)
{
    Prompt *p = ctx;
    *rows = p->rows;
    *drows = p->demb;
}

/* A prompt of P rows for model m, hooked in (before gpt_reserve). */
static int prompt_new(Prompt **out, Gpt *m, int P, bool grads, Status *st)
{
    *out = NULL;
    int C = m->cfg.n_embd;
    if (P < 1 || P > m->cfg.n_positions)
        return status_fail(st, LS_ERR_RANGE,
                           "a prompt of %d rows needs 1..%d (the model's positions)", P,
                           m->cfg.n_positions);
    Prompt *p = calloc(1, sizeof *p);
    if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    size_t n = (size_t)P * C;
    p->P = P;
    p->C = C;
    p->wpe = m->params.wpe;
    p->emb = calloc(n, sizeof(float));
    p->rows = calloc(n, sizeof(float));
    if (grads) p->demb = calloc(n, sizeof(float));
    if (!p->emb || !p->rows || (grads && !p->demb)) {
        prompt_free(p);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    m->hooks.ctx = p;
    m->hooks.input_rows = P;
    m->hooks.input_embd = prompt_input;
    *out = p;
    return LS_OK;
}

static void prompt_spec_make(TuneSpec *s, int size)
{
    snprintf(s->label, sizeof s->label, "prompt:%d", size);
}

static int prompt_start_bytes(const TuneSpec *s)
{
    return s->size;
}

static int prompt_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                        Status *st)
{
    (void)seed; /* the start is the task's own bytes: nothing random */
    Gpt *m = &r->model;
    int P = r->spec.size;
    int rc = tune_freeze_base(m, st);
    if (rc) return rc;
    if (!start || n_start < P)
        return status_fail(st, LS_ERR_ARG, "prompt:%d needs %d bytes of text to start from", P, P);
    Prompt *p;
    rc = prompt_new(&p, m, P, true, st);
    if (rc) return rc;
    r->state = p;
    for (int i = 0; i < P; i++)
        memcpy(p->emb + (size_t)i * p->C, m->params.wte + (size_t)start[i] * p->C,
               (size_t)p->C * sizeof(float));
    prompt_rows(p);
    r->trainable_params = (size_t)P * p->C;
    r->total_params = m->num_params + r->trainable_params;
    return LS_OK;
}

static int prompt_spans(const TuneRun *r, TuneSpan *out)
{
    const Prompt *p = prompt_of(r);
    out[0] = (TuneSpan){p->emb, p->demb, (size_t)p->P * p->C, false};
    return 1;
}

static void prompt_zero(TuneRun *r)
{
    const Prompt *p = prompt_of(r);
    memset(p->demb, 0, (size_t)p->P * p->C * sizeof(float));
}

static void prompt_before(TuneRun *r)
{
    prompt_rows(prompt_of(r));
}

/* The rows buffer; the engine's own activations already count P + T rows. */
static size_t prompt_acts(const TuneRun *r)
{
    const Prompt *p = prompt_of(r);
    return (size_t)p->P * p->C * sizeof(float);
}

// ----------------------------------------------------------------------------
// PEFT files: adapter_config.json (PROMPT_TUNING) and prompt_embeddings (P, C)

static int prompt_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    const Prompt *p = prompt_of(r);
    const GptConfig *cfg = &r->model.cfg;
    StWriteTensor t = {
        .name = "prompt_embeddings", .data = p->emb, .ndim = 2, .shape = {p->P, p->C}};
    cJSON *o = cJSON_CreateObject();
    if (!o) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(o, "peft_type", "PROMPT_TUNING");
    cJSON_AddStringToObject(o, "task_type", "CAUSAL_LM");
    if (base_name)
        cJSON_AddStringToObject(o, "base_model_name_or_path", base_name);
    else
        cJSON_AddNullToObject(o, "base_model_name_or_path");
    cJSON_AddNumberToObject(o, "num_virtual_tokens", p->P);
    cJSON_AddNumberToObject(o, "token_dim", p->C);
    cJSON_AddNumberToObject(o, "num_transformer_submodules", 1);
    cJSON_AddNumberToObject(o, "num_attention_heads", cfg->n_head);
    cJSON_AddNumberToObject(o, "num_layers", cfg->n_layer);
    cJSON_AddTrueToObject(o, "inference_mode");
    /* The positions: stated in the file, as the lesson states it. */
    cJSON_AddStringToObject(o, "lorascope_note",
                            "not PEFT-equivalent: the virtual tokens take positions 0..P-1 as in "
                            "PEFT, but lorascope's real tokens keep 0..T-1, while GPT-2 in "
                            "transformers numbers them from P after the prompt");
    char *config = json_print(o);
    cJSON_Delete(o);
    if (!config) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int rc = peft_write_adapter(dir, config, &t, 1, st);
    free(config);
    return rc;
}

/* config's key as a whole number in [lo, hi]; want > 0: must equal it. */
static int config_int(const cJSON *root, const char *key, int lo, int hi, int want, int *out,
                      Status *st)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble || v->valuedouble < lo ||
        v->valuedouble > hi)
        return status_fail(st, LS_ERR_PARSE,
                           "adapter_config.json: \"%s\" must be a whole number %d..%d", key, lo,
                           hi);
    if (want > 0 && (int)v->valuedouble != want)
        return status_fail(st, LS_ERR_RANGE,
                           "adapter_config.json: \"%s\" is %g but the model has %d", key,
                           v->valuedouble, want);
    *out = (int)v->valuedouble;
    return LS_OK;
}

int prompt_load_memory(Gpt *m, const char *config, size_t clen, const unsigned char *model,
                       size_t mlen, void **held, Status *st)
{
    *held = NULL;
    int rc = LS_OK, P = 0, C = 0, sub = 1;
    cJSON *root = cJSON_ParseWithLength(config, clen);
    const cJSON *v = root ? cJSON_GetObjectItemCaseSensitive(root, "peft_type") : NULL;
    if (!cJSON_IsString(v) || strcmp(v->valuestring, "PROMPT_TUNING") != 0)
        rc = status_fail(st, LS_ERR_PARSE,
                         "adapter_config.json: \"peft_type\" must be \"PROMPT_TUNING\"");
    if (!rc) rc = config_int(root, "num_virtual_tokens", 1, m->cfg.n_positions, 0, &P, st);
    if (!rc) rc = config_int(root, "token_dim", 1, GPT_MAX_EMBD, m->cfg.n_embd, &C, st);
    /* Decoder-only: one submodule (PEFT's default for CAUSAL_LM). */
    if (!rc && cJSON_GetObjectItemCaseSensitive(root, "num_transformer_submodules"))
        rc = config_int(root, "num_transformer_submodules", 1, 1, 1, &sub, st);
    cJSON_Delete(root);
    StFile f = {0};
    bool parsed = false;
    const StTensor *t = NULL;
    if (!rc) {
        rc = st_parse(&f, model, mlen, st);
        parsed = !rc;
        if (rc) status_prefix(st, "adapter_model.safetensors");
    }
    if (!rc) {
        t = st_find(&f, "prompt_embeddings");
        if (f.n != 1 || !t)
            rc = status_fail(st, LS_ERR_PARSE,
                             "adapter_model.safetensors: expected one tensor, prompt_embeddings");
        else if (t->dtype != ST_F32 || t->ndim != 2 || t->shape[0] != P || t->shape[1] != C)
            rc = status_fail(st, LS_ERR_PARSE,
                             "adapter_model.safetensors: prompt_embeddings must be F32 (%d, %d)", P,
                             C);
    }
    Prompt *p = NULL;
    if (!rc) rc = prompt_new(&p, m, P, false, st);
    if (!rc) {
        st_read_f32(&f, t, p->emb);
        for (size_t i = 0; i < (size_t)P * C && !rc; i++)
            if (!isfinite(p->emb[i]))
                rc = status_fail(st, LS_ERR_PARSE, "adapter_model.safetensors: non-finite value");
    }
    if (!rc) {
        prompt_rows(p);
        *held = p;
    } else if (p) {
        /* Unhook: the model is left as it came. */
        m->hooks.input_rows = 0;
        m->hooks.input_embd = NULL;
        m->hooks.ctx = NULL;
        prompt_free(p);
    }
    if (parsed) st_free(&f);
    return rc;
}

/* Read dir's prompt for model m and hook it in; *held gets the Prompt. */
static int prompt_load(Gpt *m, const char *dir, void **held, Status *st)
{
    *held = NULL;
    char *config = NULL;
    unsigned char *model = NULL;
    size_t clen = 0, mlen = 0;
    int rc = peft_read_adapter(dir, &config, &clen, &model, &mlen, st);
    if (rc) return rc;
    rc = prompt_load_memory(m, config, clen, model, mlen, held, st);
    free(config);
    free(model);
    if (rc) status_prefix(st, "%s", dir);
    return rc;
}

const TuneMethod tune_method_prompt = {
    .name = "prompt",
    .kind = TUNE_PROMPT,
    .size_name = "prompt length",
    .size_symbol = "P",
    .size_min = 1,
    .size_max = GPT_MAX_POSITIONS,
    .size_default = 16,
    /* Input embeddings of size ~1, like the prefix's keys and values. The
     * shipped sweep's choice on the domain task (tune.c): 0.1, at the low
     * edge of its grid 0.1, 0.3, 0.9, whose validation losses at 0.1 and
     * 0.3 agree to three decimals. */
    .default_lr = 1e-1f,
    .summary = "prompt tuning (Lester et al. 2021): P trainable input embeddings before\n"
               "the text, starting from the task's first P bytes; the model stays frozen",
    .help = "",
    .peft_type = "PROMPT_TUNING",
    .spec_make = prompt_spec_make,
    .start_bytes = prompt_start_bytes,
    .setup = prompt_setup,
    .free_state = prompt_free,
    .spans = prompt_spans,
    .zero_grad = prompt_zero,
    .before_forward = prompt_before,
    .extra_activations = prompt_acts,
    .save = prompt_save,
    .load = prompt_load,
    .size_label = "prompt P",
    .mark = 'T',
    .colour = TUNE_COLOUR_ORCHID,
    .lab_help = "prompt tuning with P trainable input embeddings",
};
