/* tune_dora.c — DoRA (Liu et al. 2024, "DoRA: Weight-Decomposed Low-Rank
 * Adaptation") as a row of the method registry: each adapted weight is a
 * magnitude times a direction, and LoRA moves the direction. With W0ᵀ's
 * rows (one per output j) and the LoRA update s B A (lora.h's layout):
 *
 *   Vᵀ = W0ᵀ + s B A          (cols, in)   the updated direction
 *   n_j = ||Vᵀ[j,:]||,  g_j = m_j / n_j      m (cols) trainable, starts at
 *                                            ||W0ᵀ[j,:]|| so g = 1
 *   y = x W0 + b + (g - 1) ⊙ (x W0) + g ⊙ (s x Aᵀ Bᵀ) = b + g ⊙ (x V)
 *
 * (PEFT's forward exactly: its base result without the bias, dora.py.)
 * The hooks add the last two terms after the base product. Gradients are
 * exact, through the norm too: PEFT (and the paper's §4.3) detach n to save
 * memory, which changes training, not the model, so the saved file is the
 * same DoRA model. With dy the output gradient on the module's columns:
 *   dg_j = sum_n dy[n,j] (x V)[n,j];  dm_j = dg_j / n_j;
 *   dn_j = -dg_j m_j / n_j²
 *   dVᵀ = (dy ⊙ g)ᵀ x + (dn / n) ⊙ Vᵀ  ->  dB = s dVᵀ Aᵀ,  dA = s Bᵀ dVᵀ
 *   dx += (dy ⊙ g) Vᵀ - dy W0ᵀ   (the base backward added dy W0ᵀ)
 *
 * Saved as PEFT's LORA with use_dora (tune_lora.c's mapping: q and v as one
 * c_attn adapter of rank 2r) plus lora_magnitude_vector per layer: (3C)
 * for c_attn, whose k third is ||W0ᵀ[k rows]|| (g = 1, as it is here). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../core/linalg.h"
#include "../nn/safetensors.h"
#include "lora.h"
#include "peft.h"
#include "tune.h"
#include "tune_lora.h"


typedef struct Dora {
    LoraAdapter lora;
    const Gpt *model; /* its frozen W0 */
    float *mag, *dmag; /* (L, n_mod, cols) magnitudes and their gradients */
    size_t *mag_off;   /* (n_mod) offset of a module's magnitudes in a layer */
    size_t mag_per_layer;
    float *vt, *dvt; /* (cols, in) scratch, at most 4C x C */
    float *xv, *gy;  /* (N, cols) scratch */
    float *t, *norm, *dn; /* (N, r), (cols), (cols) */
    int N;           /* rows of scratch */
} Dora;

static Dora *dora_of(const TuneRun *r)
{
    return r->state;
}

static void dora_free(void *state)
{
    Dora *d = state;
    if (!d) return;
    lora_free(&d->lora);
    free(d->mag);
    free(d->dmag);
    free(d->mag_off);
    free(d->vt);
    free(d->dvt);
    free(d->xv);
    free(d->gy);
    free(d->t);
    free(d->norm);
    free(d->dn);
    free(d);
}

/* Layer l's W0 of linear id: (IC, OC). */
static const float *base_weight(const Gpt *m, int l, GptLinearId id, int *OC)
{
    GptBlockWeights w = gpt_block_weights((Gpt *)m, l);
    int C = m->cfg.n_embd;
    switch (id) {
    case GPT_LINEAR_QKV: *OC = 3 * C; return w.qkvw;
    case GPT_LINEAR_ATTPROJ: *OC = C; return w.attprojw;
    case GPT_LINEAR_FC: *OC = 4 * C; return w.fcw;
    default: *OC = C; return w.fcprojw;
    }
}

/* Vᵀ (cols, in) = W0ᵀ[cols] + s B A and its row norms. */
static void direction(Dora *d, int l, int mi, const float *W0, int OC)
{
    const LoraAdapter *a = &d->lora;
    const LoraModule *mo = &a->mod[mi];
    int in = mo->in, cols = mo->cols, r = a->rank;
    linalg_sgemm(false, false, cols, in, r, a->scale, lora_B(a, l, mi), r, lora_A(a, l, mi), in,
                 0.0f, d->vt, in);
    for (int i = 0; i < in; i++)
        for (int j = 0; j < cols; j++) d->vt[(size_t)j * in + i] += W0[(size_t)i * OC + mo->col0 + j];
    for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int i = 0; i < in; i++) s += (double)d->vt[(size_t)j * in + i] * d->vt[(size_t)j * in + i];
        d->norm[j] = (float)sqrt(s);
    }
}

static float *mag_of(const Dora *d, float *base, int l, int mi)
{
    return base + (size_t)l * d->mag_per_layer + d->mag_off[mi];
}

static void hook_linear_forward(void *ctx, int l, GptLinearId id, float *out, const float *inp,
                                int N, int IC, int OCo)
{
    (void)IC, (void)OCo;
    Dora *d = ctx;
    const LoraAdapter *a = &d->lora;
    if (N > d->N) return;
    for (int mi = 0; mi < a->n_mod; mi++) {
        const LoraModule *mo = &a->mod[mi];
        if (mo->linear != id) continue;
        int OC;
        const float *W0 = base_weight(d->model, l, id, &OC);
        direction(d, l, mi, W0, OC);
        const float *m = mag_of(d, d->mag, l, mi);
        int in = mo->in, cols = mo->cols;
        /* xV (N, cols), then out += g ⊙ xV - x W0. */
        linalg_sgemm(false, true, N, cols, in, 1.0f, inp, in, d->vt, in, 0.0f, d->xv, cols);
        linalg_sgemm(false, false, N, cols, in, -1.0f, inp, in, W0 + mo->col0, OC, 1.0f,
                     out + mo->col0, OC);
        for (int n = 0; n < N; n++)
            for (int j = 0; j < cols; j++)
                out[(size_t)n * OC + mo->col0 + j] += m[j] / d->norm[j] * d->xv[(size_t)n * cols + j];
    }
}

static void hook_linear_backward(void *ctx, int l, GptLinearId id, float *dinp, const float *dout,
                                 const float *inp, int N, int IC, int OCo)
{
    (void)IC, (void)OCo;
    Dora *d = ctx;
    LoraAdapter *a = &d->lora;
    if (N > d->N || !a->grads) return;
    int r = a->rank;
    for (int mi = 0; mi < a->n_mod; mi++) {
        const LoraModule *mo = &a->mod[mi];
        if (mo->linear != id) continue;
        int OC;
        const float *W0 = base_weight(d->model, l, id, &OC);
        direction(d, l, mi, W0, OC);
        const float *m = mag_of(d, d->mag, l, mi);
        float *dm = mag_of(d, d->dmag, l, mi);
        int in = mo->in, cols = mo->cols;
        linalg_sgemm(false, true, N, cols, in, 1.0f, inp, in, d->vt, in, 0.0f, d->xv, cols);
        /* gy = dy ⊙ g; dg = sum_n dy ⊙ xV. */
        for (int j = 0; j < cols; j++) {
            double dg = 0;
            float g = m[j] / d->norm[j];
            for (int n = 0; n < N; n++) {
                float dy = dout[(size_t)n * OC + mo->col0 + j];
                dg += (double)dy * d->xv[(size_t)n * cols + j];
                d->gy[(size_t)n * cols + j] = dy * g;
            }
            dm[j] += (float)(dg / d->norm[j]);
            /* dn_j / n_j */
            d->dn[j] = (float)(-dg * m[j] / ((double)d->norm[j] * d->norm[j] * d->norm[j]));
        }
        /* dVᵀ = gyᵀ x + (dn/n) ⊙ Vᵀ. */
        linalg_sgemm(true, false, cols, in, N, 1.0f, d->gy, cols, inp, in, 0.0f, d->dvt, in);
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < in; i++) d->dvt[(size_t)j * in + i] += d->dn[j] * d->vt[(size_t)j * in + i];
        /* dB (cols, r) += s dVᵀ Aᵀ;  dA (r, in) += s Bᵀ dVᵀ. */
        linalg_sgemm(false, true, cols, r, in, a->scale, d->dvt, in, lora_A(a, l, mi), in, 1.0f,
                     lora_dB(a, l, mi), r);
        linalg_sgemm(true, false, r, in, cols, a->scale, lora_B(a, l, mi), r, d->dvt, in, 1.0f,
                     lora_dA(a, l, mi), in);
        if (dinp) {
            /* dx += gy Vᵀ - dy W0ᵀ. */
            linalg_sgemm(false, false, N, in, cols, 1.0f, d->gy, cols, d->vt, in, 1.0f, dinp, in);
            linalg_sgemm(false, true, N, in, cols, -1.0f, dout + mo->col0, OC, W0 + mo->col0, OC,
                         1.0f, dinp, in);
        }
    }
}

// ----------------------------------------------------------------------------
// The method

static void dora_spec_make(TuneSpec *s, int size)
{
    LoraOpts o = tune_lora_opts_default(size);
    tune_lora_opts_set(s, &o);
    snprintf(s->label, sizeof s->label, "dora:%d", size);
}

static int dora_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                      Status *st)
{
    (void)start, (void)n_start;
    LoraOpts o = tune_lora_opts(&r->spec);
    int R = r->spec.size;
    Gpt *m = &r->model;
    int rc = tune_freeze_base(m, st);
    if (rc) return rc;
    Dora *d = calloc(1, sizeof *d);
    if (!d) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    r->state = d;
    d->model = m;
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, &m->cfg, o.targets);
    LoraAdapter *a = &d->lora;
    rc = lora_init(a, &m->cfg, mods, n, R, lora_scale(o.alpha, R, o.rslora), st);
    if (rc) return rc;
    lora_init_weights(a, seed);
    rc = lora_alloc_grads(a, st);
    if (rc) return rc;
    int C = m->cfg.n_embd, L = a->L;
    d->N = r->B * r->T;
    d->mag_off = calloc((size_t)a->n_mod, sizeof *d->mag_off);
    int most_cols = 0;
    for (int mi = 0; mi < a->n_mod && d->mag_off; mi++) {
        d->mag_off[mi] = d->mag_per_layer;
        d->mag_per_layer += (size_t)a->mod[mi].cols;
        if (a->mod[mi].cols > most_cols) most_cols = a->mod[mi].cols;
    }
    d->mag = malloc((size_t)L * d->mag_per_layer * sizeof(float));
    d->dmag = calloc((size_t)L * d->mag_per_layer, sizeof(float));
    d->vt = malloc((size_t)4 * C * C * sizeof(float));
    d->dvt = malloc((size_t)4 * C * C * sizeof(float));
    d->xv = malloc((size_t)d->N * most_cols * sizeof(float));
    d->gy = malloc((size_t)d->N * most_cols * sizeof(float));
    d->t = malloc((size_t)d->N * R * sizeof(float));
    d->norm = malloc((size_t)most_cols * sizeof(float));
    d->dn = malloc((size_t)most_cols * sizeof(float));
    if (!d->mag_off || !d->mag || !d->dmag || !d->vt || !d->dvt || !d->xv || !d->gy || !d->t ||
        !d->norm || !d->dn)
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    /* m = ||W0ᵀ rows||: B = 0, so g = 1 and the run starts at the base. */
    for (int l = 0; l < L; l++)
        for (int mi = 0; mi < a->n_mod; mi++) {
            int OC;
            const float *W0 = base_weight(m, l, a->mod[mi].linear, &OC);
            direction(d, l, mi, W0, OC);
            memcpy(mag_of(d, d->mag, l, mi), d->norm, (size_t)a->mod[mi].cols * sizeof(float));
        }
    m->hooks.ctx = d;
    m->hooks.linear_forward = hook_linear_forward;
    m->hooks.linear_backward = hook_linear_backward;
    m->hooks.adapted_linears = lora_adapted_linears(a);
    r->trainable_params = a->n_params + (size_t)L * d->mag_per_layer;
    r->total_params = m->num_params + r->trainable_params;
    return LS_OK;
}

static int dora_spans(const TuneRun *r, TuneSpan *out)
{
    const Dora *d = dora_of(r);
    out[0] = (TuneSpan){d->lora.params, d->lora.grads, d->lora.n_params, true};
    out[1] = (TuneSpan){d->mag, d->dmag, (size_t)d->lora.L * d->mag_per_layer, false};
    return 2;
}

static void dora_zero(TuneRun *r)
{
    Dora *d = dora_of(r);
    lora_zero_grad(&d->lora);
    memset(d->dmag, 0, (size_t)d->lora.L * d->mag_per_layer * sizeof(float));
}

static size_t dora_acts(const TuneRun *r)
{
    const Dora *d = dora_of(r);
    size_t C = (size_t)d->model->cfg.n_embd, cols = 4 * C;
    return (8 * C * C + 2 * (size_t)d->N * cols + (size_t)d->N * d->lora.rank + cols) *
           sizeof(float);
}

// ----------------------------------------------------------------------------
// PEFT files

/* The magnitude of every output of layer l's linear id (OC): the trained
 * one where a module adapts it, else ||W0ᵀ[j,:]|| (g = 1). */
static void layer_magnitudes(Dora *d, int l, GptLinearId id, float *out, int OC)
{
    const LoraAdapter *a = &d->lora;
    int oc;
    const float *W0 = base_weight(d->model, l, id, &oc);
    int IC = (id == GPT_LINEAR_FCPROJ ? 4 : 1) * d->model->cfg.n_embd;
    for (int j = 0; j < OC; j++) {
        double s = 0;
        for (int i = 0; i < IC; i++) s += (double)W0[(size_t)i * OC + j] * W0[(size_t)i * OC + j];
        out[j] = (float)sqrt(s);
    }
    for (int mi = 0; mi < a->n_mod; mi++)
        if (a->mod[mi].linear == id)
            memcpy(out + a->mod[mi].col0, mag_of(d, d->mag, l, mi), (size_t)a->mod[mi].cols * sizeof(float));
}

static int dora_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    Dora *d = dora_of(r);
    const GptConfig *cfg = &r->model.cfg;
    char *config = NULL;
    unsigned char *model = NULL;
    size_t size = 0;
    int rc = peft_lora_files(&d->lora, NULL, cfg, tune_lora_opts(&r->spec).rslora, base_name, &config, &model, &size, st);
    StFile f = {0};
    bool parsed = false;
    if (!rc) parsed = !(rc = st_parse(&f, model, size, st));
    int L = cfg->n_layer, n_lin = 0;
    bool used[GPT_NUM_LINEAR] = {false};
    for (int mi = 0; mi < d->lora.n_mod; mi++) used[d->lora.mod[mi].linear] = true;
    for (int id = 0; id < GPT_NUM_LINEAR; id++) n_lin += used[id];
    int n = parsed ? f.n + L * n_lin : 0;
    StWriteTensor *ts = calloc((size_t)n + 1, sizeof *ts);
    char(*names)[128] = calloc((size_t)n + 1, sizeof *names);
    float **bufs = calloc((size_t)n + 1, sizeof *bufs);
    if (!rc && (!ts || !names || !bufs)) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int i = 0; !rc && i < f.n; i++, k++) {
        const StTensor *t = &f.tensors[i];
        size_t cnt = 1;
        for (int q = 0; q < t->ndim; q++) cnt *= (size_t)t->shape[q];
        bufs[k] = malloc(cnt * sizeof(float));
        if (!bufs[k]) {
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            break;
        }
        st_read_f32(&f, t, bufs[k]);
        snprintf(names[k], sizeof names[k], "%s", t->name);
        ts[k] = (StWriteTensor){.name = names[k], .data = bufs[k], .ndim = t->ndim};
        for (int q = 0; q < t->ndim; q++) ts[k].shape[q] = t->shape[q];
    }
    int C = cfg->n_embd;
    for (int l = 0; l < L && !rc; l++)
        for (int id = 0; id < GPT_NUM_LINEAR && !rc; id++) {
            if (!used[id]) continue;
            int OC = (id == GPT_LINEAR_QKV ? 3 : id == GPT_LINEAR_FC ? 4 : 1) * C;
            bufs[k] = malloc((size_t)OC * sizeof(float));
            if (!bufs[k]) {
                rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                break;
            }
            layer_magnitudes(d, l, (GptLinearId)id, bufs[k], OC);
            snprintf(names[k], sizeof names[k], "base_model.model.transformer.h.%d.%s.lora_magnitude_vector", l,
                     peft_linear_path((GptLinearId)id));
            ts[k] = (StWriteTensor){.name = names[k], .data = bufs[k], .ndim = 1, .shape = {OC}};
            k++;
        }
    char *config2 = NULL;
    if (!rc) {
        cJSON *o = cJSON_Parse(config);
        if (o) {
            cJSON_ReplaceItemInObjectCaseSensitive(o, "use_dora", cJSON_CreateTrue());
            cJSON_AddStringToObject(o, "lorascope_note",
                                    "trained with the exact gradient through the weight norm (PEFT "
                                    "detaches it); the model is the same. DoRA moves no positions");
            config2 = json_print(o);
            cJSON_Delete(o);
        }
        if (!config2) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = peft_write_adapter(dir, config2, ts, k, st);
    for (int i = 0; bufs && i < n; i++) free(bufs[i]);
    free(bufs);
    free(ts);
    free(names);
    if (parsed) st_free(&f);
    free(model);
    free(config);
    free(config2);
    return rc;
}

/* Merge dir's DoRA adapter into m: W'ᵀ[j,:] = m_j Vᵀ[j,:] / ||Vᵀ[j,:]||,
 * Vᵀ = W0ᵀ + s B A, for every adapted layer (the bias stays). */
static int dora_load(Gpt *m, const char *dir, void **held, Status *st)
{
    *held = NULL;
    char *config = NULL, *config2 = NULL;
    unsigned char *model = NULL, *model2 = NULL;
    size_t clen = 0, mlen = 0, size2 = 0;
    int rc = peft_read_adapter(dir, &config, &clen, &model, &mlen, st);
    if (rc) return rc;
    cJSON *o = cJSON_ParseWithLength(config, clen);
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "use_dora") : NULL;
    if (!cJSON_IsTrue(v))
        rc = status_fail(st, LS_ERR_PARSE, "%s/adapter_config.json: \"use_dora\" must be true", dir);
    if (!rc) {
        /* The rest is a LoRA adapter: peft.c's loader checks it. */
        cJSON_ReplaceItemInObjectCaseSensitive(o, "use_dora", cJSON_CreateFalse());
        config2 = json_print(o);
        if (!config2) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    cJSON_Delete(o);
    StFile f = {0};
    bool parsed = false;
    if (!rc) {
        parsed = !(rc = st_parse(&f, model, mlen, st));
        if (rc) status_prefix(st, "%s/adapter_model.safetensors", dir);
    }
    int L = m->cfg.n_layer, C = m->cfg.n_embd, n_mag = 0;
    StWriteTensor *ts = parsed ? calloc((size_t)f.n + 1, sizeof *ts) : NULL;
    float **bufs = parsed ? calloc((size_t)f.n + 1, sizeof *bufs) : NULL;
    if (!rc && (!ts || !bufs)) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int i = 0; !rc && i < f.n; i++) {
        const StTensor *t = &f.tensors[i];
        size_t len = strlen(t->name), suf = strlen("lora_magnitude_vector");
        if (len >= suf && strcmp(t->name + len - suf, "lora_magnitude_vector") == 0) {
            n_mag++;
            continue;
        }
        size_t cnt = 1;
        for (int q = 0; q < t->ndim; q++) cnt *= (size_t)t->shape[q];
        if (t->dtype != ST_F32 || cnt > ((size_t)1 << 28)) {
            rc = status_fail(st, LS_ERR_PARSE, "%s/adapter_model.safetensors: %s is not F32", dir, t->name);
            break;
        }
        bufs[k] = malloc(cnt * sizeof(float) + 1);
        if (!bufs[k]) {
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            break;
        }
        st_read_f32(&f, t, bufs[k]);
        ts[k] = (StWriteTensor){.name = t->name, .data = bufs[k], .ndim = t->ndim};
        for (int q = 0; q < t->ndim; q++) ts[k].shape[q] = t->shape[q];
        k++;
    }
    if (!rc) rc = st_serialize(&model2, &size2, ts, k, st);
    PeftLora pl = {0};
    bool have = false;
    if (!rc) {
        rc = peft_load_lora_memory(&pl, &m->cfg, config2, strlen(config2), model2, size2, st);
        have = !rc;
        if (rc) status_prefix(st, "%s", dir);
    }
    const LoraAdapter *a = &pl.lora;
    if (!rc && n_mag != L * a->n_mod)
        rc = status_fail(st, LS_ERR_PARSE,
                         "%s/adapter_model.safetensors: %d magnitude vectors; expected %d (one per "
                         "adapted layer)",
                         dir, n_mag, L * a->n_mod);
    float *mag = NULL, *vt = NULL;
    if (!rc) {
        mag = malloc((size_t)4 * C * sizeof(float));
        vt = malloc((size_t)4 * C * C * sizeof(float));
        if (!mag || !vt) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    for (int l = 0; l < L && !rc; l++)
        for (int mi = 0; mi < a->n_mod && !rc; mi++) {
            const LoraModule *mo = &a->mod[mi];
            char name[128];
            snprintf(name, sizeof name, "base_model.model.transformer.h.%d.%s.lora_magnitude_vector", l,
                     peft_linear_path(mo->linear));
            const StTensor *t = st_find(&f, name);
            if (!t || t->dtype != ST_F32 || t->ndim != 1 || t->shape[0] != mo->cols) {
                rc = status_fail(st, LS_ERR_PARSE, "%s/adapter_model.safetensors: %s missing or not F32 (%d)",
                                 dir, name, mo->cols);
                break;
            }
            st_read_f32(&f, t, mag);
            int OC;
            float *W = (float *)base_weight(m, l, mo->linear, &OC);
            int in = mo->in, cols = mo->cols;
            linalg_sgemm(false, false, cols, in, a->rank, a->scale, lora_B(a, l, mi), a->rank,
                         lora_A(a, l, mi), in, 0.0f, vt, in);
            for (int j = 0; j < cols && !rc; j++) {
                double s = 0;
                for (int i = 0; i < in; i++) {
                    float x = vt[(size_t)j * in + i] + W[(size_t)i * OC + mo->col0 + j];
                    vt[(size_t)j * in + i] = x;
                    s += (double)x * x;
                }
                if (!isfinite(mag[j]) || !(s > 0))
                    rc = status_fail(st, LS_ERR_PARSE, "%s: %s has a non-finite or zero entry", dir, name);
                double g = mag[j] / sqrt(s);
                for (int i = 0; i < in && !rc; i++)
                    W[(size_t)i * OC + mo->col0 + j] = (float)(g * vt[(size_t)j * in + i]);
            }
        }
    free(mag);
    free(vt);
    if (have) peft_lora_free(&pl);
    for (int i = 0; bufs && i < k; i++) free(bufs[i]);
    free(bufs);
    free(ts);
    if (parsed) st_free(&f);
    free(model2);
    free(config2);
    free(config);
    free(model);
    return rc;
}

const TuneMethod tune_method_dora = {
    .name = "dora",
    .kind = TUNE_DORA,
    .size_name = "rank",
    .size_symbol = "R",
    .size_min = 1,
    .size_max = LORA_MAX_RANK,
    .size_default = 8,
    /* Default lab, 60 steps, held-out nats (forgetting): 3e-3: 2.059
     * (+0.049), 1e-2: 2.030 (+0.079), 3e-2: 2.037 (+0.145); lora:8 at
     * 1e-2: 2.038 (+0.082). */
    .default_lr = 1e-2f,
    .summary = "DoRA of rank R (Liu et al. 2024): a trained magnitude m per output times\n"
               "the direction W0 + (alpha/R) B A, normalised per output",
    .help = "alpha=A, rslora, targets=T\tas LoRA's\n",
    .options = tune_lora_options,
    .n_options = 3,
    .peft_type = "LORA",
    .peft_flag = "use_dora",
    .spec_make = dora_spec_make,
    .setup = dora_setup,
    .free_state = dora_free,
    .spans = dora_spans,
    .zero_grad = dora_zero,
    .extra_activations = dora_acts,
    .save = dora_save,
    .load = dora_load,
    .size_label = "DoRA rank",
    .mark = 'D',
    .colour = TUNE_COLOUR_NAVY,
    .lab_help = "DoRA of rank R",
};
