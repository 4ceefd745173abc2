/* tune_ia3.c — (IA)³ (Liu et al. 2022, "Few-Shot Parameter-Efficient
 * Fine-Tuning is Better and Cheaper than In-Context Learning") as a row of
 * the method registry: learned vectors that rescale the keys, the values
 * and the MLP's inner activations; the fewest trainable parameters of all,
 * 6C per layer:
 *
 *   k = l_k ⊙ (x W_k + b_k)      v = l_v ⊙ (x W_v + b_v)      (C each)
 *   mlp(x) = (l_ff ⊙ gelu(x W_fc + b_fc)) W_proj + b_proj         (4C)
 *
 * every vector starting at ones, so the run starts at the base. A rescaling
 * is a rescaled weight: k's columns of c_attn (and their bias) times l_k,
 * v's times l_v, the rows of mlp.c_proj times l_ff. The block_weights hook
 * hands the engine those scaled copies layer by layer, so forward and the
 * input gradients are the engine's own; the linear_backward hook adds the
 * vectors' gradients:
 *   dl_k[j] = sum_n dk[n,j] (x W_k + b_k)[n,j]      (likewise l_v)
 *   dl_ff[i] = sum_n h[n,i] (dy W_projᵀ)[n,i],  h = gelu(...), the input
 * (dk and dy the gradients at c_attn's and c_proj's outputs).
 *
 * Saved as PEFT's IA3 (peft_type "IA3", target_modules c_attn and
 * mlp.c_proj, feedforward_modules mlp.c_proj): c_attn's ia3_l is (3C, 1)
 * and scales all three of q, k, v, so its q third is saved as ones (exactly
 * the same model); mlp.c_proj's is (1, 4C) and scales its input. The same
 * model in PEFT: IA3 moves no positions (see peft.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../core/linalg.h"
#include "../nn/safetensors.h"
#include "peft.h"
#include "tune.h"

typedef struct Ia3 {
    int L, C;
    float *params; /* (L, 6C): per layer l_k (C), l_v (C), l_ff (4C) */
    float *grads;  /* (L, 6C) or NULL */
    float *w;      /* scaled copies of one layer: c_attn (C, 3C), its bias (3C), */
    float *b;      /* mlp.c_proj (4C, C) */
    float *wp;
    float *scratch; /* (N, 4C) the backward's products */
    int scratch_n;
    const Gpt *model; /* whose base weights are scaled */
} Ia3;

static Ia3 *ia3_of(const TuneRun *r)
{
    return r->state;
}

static float *ia3_k(const Ia3 *a, int l)
{
    return a->params + (size_t)l * 6 * a->C;
}

static void ia3_free(void *state)
{
    Ia3 *a = state;
    if (!a) return;
    free(a->params);
    free(a->grads);
    free(a->w);
    free(a->b);
    free(a->wp);
    free(a->scratch);
    free(a);
}

static Ia3 *ia3_new(const Gpt *m, Status *st)
{
    int C = m->cfg.n_embd, L = m->cfg.n_layer;
    Ia3 *a = calloc(1, sizeof *a);
    if (a) {
        a->L = L;
        a->C = C;
        a->model = m;
        a->params = malloc((size_t)L * 6 * C * sizeof(float));
        a->w = malloc((size_t)3 * C * C * sizeof(float));
        a->b = malloc((size_t)3 * C * sizeof(float));
        a->wp = malloc((size_t)4 * C * C * sizeof(float));
    }
    if (!a || !a->params || !a->w || !a->b || !a->wp) {
        ia3_free(a);
        status_fail(st, LS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < (size_t)L * 6 * C; i++)
        a->params[i] = 1.0f;
    return a;
}

// ----------------------------------------------------------------------------
// Hooks: ctx is the Ia3

/* Layer l's c_attn and mlp.c_proj with the vectors applied. */
static void hook_block_weights(void *ctx, int l, GptBlockWeights *w)
{
    Ia3 *a = ctx;
    int C = a->C;
    const float *lk = ia3_k(a, l), *lv = lk + C, *lff = lk + 2 * C;
    for (int i = 0; i < C; i++) {
        const float *src = w->qkvw + (size_t)i * 3 * C;
        float *dst = a->w + (size_t)i * 3 * C;
        memcpy(dst, src, (size_t)C * sizeof(float));
        for (int j = 0; j < C; j++) {
            dst[C + j] = src[C + j] * lk[j];
            dst[2 * C + j] = src[2 * C + j] * lv[j];
        }
    }
    memcpy(a->b, w->qkvb, (size_t)C * sizeof(float));
    for (int j = 0; j < C; j++) {
        a->b[C + j] = w->qkvb[C + j] * lk[j];
        a->b[2 * C + j] = w->qkvb[2 * C + j] * lv[j];
    }
    for (int i = 0; i < 4 * C; i++)
        for (int j = 0; j < C; j++)
            a->wp[(size_t)i * C + j] = w->fcprojw[(size_t)i * C + j] * lff[i];
    w->qkvw = a->w;
    w->qkvb = a->b;
    w->fcprojw = a->wp;
}

static void hook_linear_backward(void *ctx, int l, GptLinearId id, float *dinp, const float *dout,
                                 const float *inp, int N, int IC, int OC)
{
    (void)dinp, (void)IC, (void)OC;
    Ia3 *a = ctx;
    if (!a->grads || N > a->scratch_n) return;
    int C = a->C;
    GptBlockWeights base = gpt_block_weights((Gpt *)a->model, l);
    float *g = a->grads + (size_t)l * 6 * C, *z = a->scratch;
    if (id == GPT_LINEAR_QKV) {
        /* z = x W_kv + b_kv (N, 2C), unscaled; dl = sum_n dout ⊙ z. */
        for (int n = 0; n < N; n++)
            memcpy(z + (size_t)n * 2 * C, base.qkvb + C, (size_t)2 * C * sizeof(float));
        linalg_sgemm(false, false, N, 2 * C, C, 1.0f, inp, C, base.qkvw + C, 3 * C, 1.0f, z,
                     2 * C);
        for (int n = 0; n < N; n++)
            for (int j = 0; j < 2 * C; j++)
                g[j] += dout[(size_t)n * 3 * C + C + j] * z[(size_t)n * 2 * C + j];
    } else if (id == GPT_LINEAR_FCPROJ) {
        /* z = dout W_projᵀ (N, 4C); dl_ff = sum_n h ⊙ z. */
        linalg_sgemm(false, true, N, 4 * C, C, 1.0f, dout, C, base.fcprojw, C, 0.0f, z, 4 * C);
        for (int n = 0; n < N; n++)
            for (int i = 0; i < 4 * C; i++)
                g[2 * C + i] += inp[(size_t)n * 4 * C + i] * z[(size_t)n * 4 * C + i];
    }
}

// ----------------------------------------------------------------------------
// The method

static void ia3_spec_make(TuneSpec *s, int size)
{
    (void)size;
    snprintf(s->label, sizeof s->label, "ia3");
}

static int ia3_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                     Status *st)
{
    (void)seed, (void)start, (void)n_start;
    Gpt *m = &r->model;
    int rc = tune_freeze_base(m, st);
    if (rc) return rc;
    Ia3 *a = ia3_new(m, st);
    if (!a) return LS_ERR_NOMEM;
    r->state = a;
    size_t n = (size_t)a->L * 6 * a->C;
    a->grads = calloc(n, sizeof(float));
    a->scratch_n = r->B * r->T;
    a->scratch = malloc((size_t)a->scratch_n * 4 * a->C * sizeof(float));
    if (!a->grads || !a->scratch) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    m->hooks.ctx = a;
    m->hooks.block_weights = hook_block_weights;
    m->hooks.linear_backward = hook_linear_backward;
    m->hooks.adapted_linears = (1u << GPT_LINEAR_QKV) | (1u << GPT_LINEAR_FCPROJ);
    r->trainable_params = n;
    r->total_params = m->num_params + n;
    return LS_OK;
}

static int ia3_spans(const TuneRun *r, TuneSpan *out)
{
    const Ia3 *a = ia3_of(r);
    out[0] = (TuneSpan){a->params, a->grads, (size_t)a->L * 6 * a->C, false};
    return 1;
}

static void ia3_zero(TuneRun *r)
{
    Ia3 *a = ia3_of(r);
    memset(a->grads, 0, (size_t)a->L * 6 * a->C * sizeof(float));
}

/* The scaled copies of one layer and the backward's products. */
static size_t ia3_acts(const TuneRun *r)
{
    const Ia3 *a = ia3_of(r);
    size_t C = (size_t)a->C;
    return (3 * C * C + 3 * C + 4 * C * C + (size_t)a->scratch_n * 4 * C) * sizeof(float);
}

// ----------------------------------------------------------------------------
// PEFT files

#define IA3_NAME "base_model.model.transformer.h.%d.%s.ia3_l"

static int ia3_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    const Ia3 *a = ia3_of(r);
    int L = a->L, C = a->C;
    StWriteTensor *ts = calloc((size_t)2 * L, sizeof *ts);
    char(*names)[96] = calloc((size_t)2 * L, sizeof *names);
    float *qkv = malloc((size_t)L * 3 * C * sizeof(float));
    int rc = (!ts || !names || !qkv) ? status_fail(st, LS_ERR_NOMEM, "out of memory") : LS_OK;
    for (int l = 0; l < L && !rc; l++) {
        const float *lk = ia3_k(a, l);
        float *q = qkv + (size_t)l * 3 * C;
        for (int j = 0; j < C; j++) q[j] = 1.0f; /* q is not rescaled */
        memcpy(q + C, lk, (size_t)2 * C * sizeof(float));
        snprintf(names[2 * l], sizeof names[0], IA3_NAME, l, "attn.c_attn");
        ts[2 * l] = (StWriteTensor){.name = names[2 * l], .data = q, .ndim = 2, .shape = {3 * C, 1}};
        snprintf(names[2 * l + 1], sizeof names[0], IA3_NAME, l, "mlp.c_proj");
        ts[2 * l + 1] = (StWriteTensor){
            .name = names[2 * l + 1], .data = lk + 2 * C, .ndim = 2, .shape = {1, 4 * C}};
    }
    char *config = NULL;
    if (!rc) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "peft_type", "IA3");
        cJSON_AddStringToObject(o, "task_type", "CAUSAL_LM");
        if (base_name)
            cJSON_AddStringToObject(o, "base_model_name_or_path", base_name);
        else
            cJSON_AddNullToObject(o, "base_model_name_or_path");
        const char *targets[] = {"c_attn", "mlp.c_proj"};
        cJSON_AddItemToObject(o, "target_modules", cJSON_CreateStringArray(targets, 2));
        cJSON_AddItemToObject(o, "feedforward_modules", cJSON_CreateStringArray(targets + 1, 1));
        cJSON_AddTrueToObject(o, "fan_in_fan_out");
        cJSON_AddTrueToObject(o, "init_ia3_weights");
        cJSON_AddTrueToObject(o, "inference_mode");
        cJSON_AddNullToObject(o, "modules_to_save");
        cJSON_AddStringToObject(o, "lorascope_note",
                                "c_attn's ia3_l scales q too in PEFT; its q third is ones, so the "
                                "model is the one lorascope trained (IA3 moves no positions)");
        config = json_print(o);
        cJSON_Delete(o);
        if (!config) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = peft_write_adapter(dir, config, ts, 2 * L, st);
    free(config);
    free(ts);
    free(names);
    free(qkv);
    return rc;
}

/* Read dir's IA3 vectors for a model of cfg into params (L, 3C + 4C):
 * c_attn's (3C) then mlp.c_proj's (4C) per layer. */
static int ia3_read(float *params, const GptConfig *cfg, const char *dir, Status *st)
{
    char *config = NULL;
    unsigned char *model = NULL;
    size_t clen = 0, mlen = 0;
    int rc = peft_read_adapter(dir, &config, &clen, &model, &mlen, st);
    if (rc) return rc;
    int L = cfg->n_layer, C = cfg->n_embd;
    cJSON *root = cJSON_ParseWithLength(config, clen);
    const cJSON *v = root ? cJSON_GetObjectItemCaseSensitive(root, "peft_type") : NULL;
    if (!cJSON_IsString(v) || strcmp(v->valuestring, "IA3") != 0)
        rc = status_fail(st, LS_ERR_PARSE, "%s/adapter_config.json: \"peft_type\" must be \"IA3\"",
                         dir);
    /* Only the layout this file writes: c_attn (output) and mlp.c_proj (input). */
    const char *keys[] = {"target_modules", "feedforward_modules"};
    const int want[] = {2, 1};
    for (int i = 0; i < 2 && !rc; i++) {
        v = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
        bool ok = cJSON_IsArray(v) && cJSON_GetArraySize(v) == want[i];
        for (int k = 0; ok && k < want[i]; k++) {
            const cJSON *it = cJSON_GetArrayItem(v, k);
            ok = cJSON_IsString(it) &&
                 (strcmp(it->valuestring, "mlp.c_proj") == 0 ||
                  (i == 0 && strcmp(it->valuestring, "c_attn") == 0));
        }
        if (!ok)
            rc = status_fail(st, LS_ERR_PARSE,
                             "%s/adapter_config.json: \"%s\" must be %s (the layout lorascope "
                             "reads)",
                             dir, keys[i],
                             i == 0 ? "[\"c_attn\", \"mlp.c_proj\"]" : "[\"mlp.c_proj\"]");
    }
    cJSON_Delete(root);
    StFile f = {0};
    bool parsed = false;
    if (!rc) {
        rc = st_parse(&f, model, mlen, st);
        parsed = !rc;
        if (rc) status_prefix(st, "%s/adapter_model.safetensors", dir);
    }
    if (!rc && f.n != 2 * L)
        rc = status_fail(st, LS_ERR_PARSE,
                         "%s/adapter_model.safetensors: %d tensors; expected %d (2 per layer)", dir,
                         f.n, 2 * L);
    for (int l = 0; l < L && !rc; l++)
        for (int k = 0; k < 2 && !rc; k++) {
            char name[96];
            snprintf(name, sizeof name, IA3_NAME, l, k ? "mlp.c_proj" : "attn.c_attn");
            const StTensor *t = st_find(&f, name);
            int64_t r0 = k ? 1 : 3 * C, r1 = k ? 4 * C : 1;
            if (!t || t->dtype != ST_F32 || t->ndim != 2 || t->shape[0] != r0 || t->shape[1] != r1)
                rc = status_fail(st, LS_ERR_PARSE,
                                 "%s/adapter_model.safetensors: %s missing or not F32 (%lld, %lld)",
                                 dir, name, (long long)r0, (long long)r1);
            else
                st_read_f32(&f, t, params + (size_t)l * 7 * C + (k ? 3 * C : 0));
        }
    for (size_t i = 0; !rc && i < (size_t)L * 7 * C; i++)
        if (!isfinite(params[i]))
            rc = status_fail(st, LS_ERR_PARSE, "%s/adapter_model.safetensors: non-finite value",
                             dir);
    if (parsed) st_free(&f);
    free(config);
    free(model);
    return rc;
}

/* IA3 merges exactly: c_attn's columns and bias, c_proj's rows, rescaled. */
static int ia3_load(Gpt *m, const char *dir, void **held, Status *st)
{
    *held = NULL;
    int L = m->cfg.n_layer, C = m->cfg.n_embd;
    if (!m->params.qkvw || !m->params.fcprojw)
        return status_fail(st, LS_ERR_ARG, "the model must hold its weights in fp32");
    float *p = malloc((size_t)L * 7 * C * sizeof(float));
    if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int rc = ia3_read(p, &m->cfg, dir, st);
    for (int l = 0; l < L && !rc; l++) {
        const float *s = p + (size_t)l * 7 * C, *ff = s + 3 * C;
        float *w = m->params.qkvw + (size_t)l * C * 3 * C, *b = m->params.qkvb + (size_t)l * 3 * C;
        for (int i = 0; i < C; i++)
            for (int j = 0; j < 3 * C; j++) w[(size_t)i * 3 * C + j] *= s[j];
        for (int j = 0; j < 3 * C; j++) b[j] *= s[j];
        float *wp = m->params.fcprojw + (size_t)l * 4 * C * C;
        for (int i = 0; i < 4 * C; i++)
            for (int j = 0; j < C; j++) wp[(size_t)i * C + j] *= ff[i];
    }
    free(p);
    return rc;
}

const TuneMethod tune_method_ia3 = {
    .name = "ia3",
    .kind = TUNE_IA3,
    /* Vectors near 1 that multiply activations. Default lab, 60 steps,
     * held-out nats (forgetting): 1e-2: 2.124 (+0.011), 3e-2: 2.079
     * (+0.055), 1e-1: 2.057 (+0.134); lora:8 at its default 2.038. */
    .default_lr = 3e-1f,
    .summary = "(IA)^3 (Liu et al. 2022): learned vectors rescale the keys, the values\n"
               "and the MLP's inner activations; 6C parameters per layer, the fewest",
    .help = "",
    .peft_type = "IA3",
    .spec_make = ia3_spec_make,
    .setup = ia3_setup,
    .free_state = ia3_free,
    .spans = ia3_spans,
    .zero_grad = ia3_zero,
    .extra_activations = ia3_acts,
    .save = ia3_save,
    .load = ia3_load,
    .mark = 'I',
    .colour = TUNE_COLOUR_BROWN,
    .lab_help = "(IA)^3",
};
