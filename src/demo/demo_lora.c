/* demo_lora.c — lesson 5's demos on the real base model (see demo_lora.h). */
#include "demo_lora.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"
#include "../nn/checkpoint.h"

const char *const lora_matrix_names[LM_COUNT] = {"q", "k", "v", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"};

/* Where each matrix lives: its family, first column and width (in units of
 * C) inside the stored (in, out) tensor, its input width, and the row
 * stride of that tensor (units of C). */
static const struct {
    GptTensorId family;
    int col0, cols, in, ld;
} where[LM_COUNT] = {
    {GPT_QKVW, 0, 1, 1, 3}, {GPT_QKVW, 1, 1, 1, 3}, {GPT_QKVW, 2, 1, 1, 3},
    {GPT_ATTPROJW, 0, 1, 1, 1}, {GPT_FCW, 0, 4, 1, 4}, {GPT_FCPROJW, 0, 1, 4, 1},
};

void lora_matrix_shape(const GptConfig *cfg, LoraMatrix which, int *d, int *k)
{
    int C = cfg->n_embd;
    *d = where[which].cols * C;
    *k = where[which].in * C;
}

void lora_matrix_copy(const Gpt *m, int layer, LoraMatrix which, float *w)
{
    int C = m->cfg.n_embd, d, k;
    lora_matrix_shape(&m->cfg, which, &d, &k);
    GptTensorId f = where[which].family;
    size_t per = gpt_tensor_numel(&m->cfg, f) / (size_t)m->cfg.n_layer;
    const float *src = m->params.t[f] + (size_t)layer * per + (size_t)where[which].col0 * C;
    int ld = where[which].ld * C;
    /* stored (in, out): src[j ld + i] is W[i][j] with i an output, j an input */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < k; j++) w[(size_t)i * k + j] = src[(size_t)j * ld + i];
}

// ----------------------------------------------------------------------------
// lora-shapes

int lora_shapes_init(LoraShapesDemo *s, const char *model_dir, int layer, LoraMatrix which, int rank,
                     Status *st)
{
    memset(s, 0, sizeof *s);
    int rc = gpt_load(&s->model, model_dir, st);
    if (rc) return rc;
    return lora_shapes_set(s, layer, which, rank, st);
}

void lora_shapes_free(LoraShapesDemo *s)
{
    if (!s) return;
    gpt_free(&s->model);
    free(s->w);
    free(s->a);
    memset(s, 0, sizeof *s);
}

int lora_shapes_set(LoraShapesDemo *s, int layer, LoraMatrix which, int rank, Status *st)
{
    if (layer < 0) layer = 0;
    if (layer >= s->model.cfg.n_layer) layer = s->model.cfg.n_layer - 1;
    if ((int)which < 0 || which >= LM_COUNT) which = LM_Q;
    int d, k;
    lora_matrix_shape(&s->model.cfg, which, &d, &k);
    int rmax = d < k ? d : k;
    if (rmax > LORA_SHAPES_MAX_RANK) rmax = LORA_SHAPES_MAX_RANK;
    if (rank < 1) rank = 1;
    if (rank > rmax) rank = rmax;
    float *w = malloc((size_t)d * k * sizeof(float)), *a = malloc((size_t)rank * k * sizeof(float));
    if (!w || !a) {
        free(w);
        free(a);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    lora_matrix_copy(&s->model, layer, which, w);
    float mx = 0;
    for (size_t i = 0; i < (size_t)d * k; i++) mx = fmaxf(mx, fabsf(w[i]));
    /* A as PEFT starts it: kaiming-uniform with a = √5, i.e. U(−1/√k, 1/√k). */
    Rng rng;
    rng_seed(&rng, 1234);
    float bound = 1.0f / sqrtf((float)k);
    for (size_t i = 0; i < (size_t)rank * k; i++) a[i] = bound * (2.0f * rng_uniform(&rng) - 1.0f);
    free(s->w);
    free(s->a);
    s->w = w;
    s->a = a;
    s->w_absmax = mx;
    s->layer = layer;
    s->which = which;
    s->rank = rank;
    s->d = d;
    s->k = k;
    return LS_OK;
}

LoraShapesCounts lora_shapes_counts(const LoraShapesDemo *s)
{
    LoraShapesCounts c = {0};
    long long d = s->d, k = s->k, r = s->rank;
    c.frozen = d * k;
    c.b = d * r;
    c.a = r * k;
    c.lora = r * (d + k);
    c.percent = 100.0 * (double)c.lora / (double)c.frozen;
    c.scale = lora_scale(2.0f * (float)r, (int)r, false);
    c.layers = s->model.cfg.n_layer;
    long long C = s->model.cfg.n_embd;
    c.model_lora = (long long)c.layers * 2 * r * (C + C);
    c.model_params = (long long)s->model.num_params;
    return c;
}

// ----------------------------------------------------------------------------
// lora-merge

int lora_merge_measure(LoraMergeResult *out, Gpt *m, LoraAdapter *a, const float *w0, const int *tokens, int B,
                       int T, int layer, Status *st)
{
    memset(out, 0, sizeof *out);
    int L = m->cfg.n_layer, C = m->cfg.n_embd, V = m->cfg.vocab_size;
    if (layer < 0 || layer >= L) return status_fail(st, LS_ERR_RANGE, "layer %d is not in 0..%d", layer, L - 1);
    lora_unmerge(a, m);
    lora_attach(a, m);
    int rc = gpt_reserve(m, B, T, st);
    if (rc) return rc;
    size_t ny = (size_t)B * T * 3 * C, nl = (size_t)B * T * V;
    float *y = malloc(ny * sizeof(float)), *lg = malloc(nl * sizeof(float));
    if (!y || !lg) {
        free(y);
        free(lg);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    /* 1. Unmerged: W₀x + s·B(Ax), the adapter beside the frozen weight. */
    rc = gpt_forward(m, tokens, NULL, B, T, false, st);
    if (!rc) {
        memcpy(y, m->acts.qkv + (size_t)layer * ny, ny * sizeof(float));
        memcpy(lg, m->acts.logits, nl * sizeof(float));
        /* 2. Merged: (W₀ + s·BA)x in one product; the hooks now do nothing. */
        lora_merge(a, m);
        rc = gpt_forward(m, tokens, NULL, B, T, false, st);
    }
    if (!rc) {
        const float *y2 = m->acts.qkv + (size_t)layer * ny, *lg2 = m->acts.logits;
        out->y_identical = memcmp(y, y2, ny * sizeof(float)) == 0;
        for (size_t i = 0; i < ny; i++) {
            out->y_absmax = fmax(out->y_absmax, fabsf(y[i]));
            out->y_diff = fmax(out->y_diff, fabsf(y2[i] - y[i]));
        }
        for (size_t i = 0; i < nl; i++) {
            out->logits_absmax = fmax(out->logits_absmax, fabsf(lg[i]));
            out->logits_diff = fmax(out->logits_diff, fabsf(lg2[i] - lg[i]));
        }
    }
    /* 3. Unmerge: W₀ + s·BA − s·BA, which rounding need not bring back exactly. */
    lora_unmerge(a, m);
    out->w_identical = memcmp(m->param_block, w0, m->num_params * sizeof(float)) == 0;
    for (size_t i = 0; i < m->num_params; i++) out->w_diff = fmax(out->w_diff, fabsf(m->param_block[i] - w0[i]));
    /* Then W₀ itself again: the next measurement (another layer, a fresh
     * adapter) starts from W₀, not from this round trip's rounding. */
    memcpy(m->param_block, w0, m->num_params * sizeof(float));
    /* What the adapter stands for. */
    out->b_zero = true;
    int maxw = 0;
    for (int k = 0; k < a->n_mod; k++)
        if (a->mod[k].in * a->mod[k].cols > maxw) maxw = a->mod[k].in * a->mod[k].cols;
    float *dw = malloc((size_t)maxw * sizeof(float));
    if (!dw && !rc) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int l = 0; l < L && dw; l++)
        for (int k = 0; k < a->n_mod; k++) {
            const float *Bm = lora_B(a, l, k);
            for (size_t i = 0; i < (size_t)a->mod[k].cols * a->rank; i++)
                if (Bm[i] != 0.0f) out->b_zero = false;
            lora_delta(a, l, k, dw);
            for (size_t i = 0; i < (size_t)a->mod[k].in * a->mod[k].cols; i++)
                out->update_absmax = fmax(out->update_absmax, fabsf(dw[i]));
        }
    free(dw);
    out->layer = layer;
    out->tokens = B * T;
    out->outputs = ny;
    free(y);
    free(lg);
    return rc;
}

static int merge_measure(LoraMergeDemo *d, Status *st)
{
    return lora_merge_measure(&d->res, &d->model, &d->ad, d->w0, d->tokens, d->B, d->T, d->layer, st);
}

int lora_merge_demo_init(LoraMergeDemo *d, const char *model_dir, const char *text_path, int rank, int layer,
                         int steps, Status *st)
{
    memset(d, 0, sizeof *d);
    d->loss_before = d->loss_after = NAN;
    int rc = gpt_load(&d->model, model_dir, st);
    if (rc) return rc;
    d->w0 = malloc(d->model.num_params * sizeof(float));
    TextData text = {0};
    if (!d->w0) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    if (!rc) {
        memcpy(d->w0, d->model.param_block, d->model.num_params * sizeof(float));
        rc = text_load(&text, text_path, st);
    }
    if (!rc) {
        /* B windows of real text, evenly spaced through the file. */
        d->B = LORA_MERGE_B;
        d->T = d->model.cfg.n_positions;
        if (text.n < (size_t)d->T * d->B) rc = status_fail(st, LS_ERR_RANGE, "%s is too short", text_path);
    }
    if (!rc) {
        d->tokens = malloc((size_t)d->B * d->T * sizeof(int));
        if (!d->tokens) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        for (int b = 0; !rc && b < d->B; b++) {
            size_t start = (text.n - (size_t)d->T) / (size_t)d->B * (size_t)b;
            for (int t = 0; t < d->T; t++) d->tokens[b * d->T + t] = text.bytes[start + (size_t)t];
        }
        const char *base = strrchr(text_path, '/');
        snprintf(d->text_name, sizeof d->text_name, "%s", base ? base + 1 : text_path);
    }
    text_free(&text);
    d->layer = layer < 0 ? 0 : layer >= d->model.cfg.n_layer ? d->model.cfg.n_layer - 1 : layer;
    d->steps = steps > 0 ? steps : 40;
    if (!rc) rc = lora_merge_demo_reset(d, rank, st);
    if (rc) lora_merge_demo_free(d);
    return rc;
}

void lora_merge_demo_free(LoraMergeDemo *d)
{
    if (!d) return;
    lab_demo_free(&d->train);
    if (d->have_ad) {
        lora_unmerge(&d->ad, &d->model);
        lora_free(&d->ad);
    }
    gpt_free(&d->model);
    free(d->w0);
    free(d->tokens);
    memset(d, 0, sizeof *d);
}

int lora_merge_demo_reset(LoraMergeDemo *d, int rank, Status *st)
{
    if (rank < 1) rank = 1;
    if (rank > LAB_DEMO_MAX_RANK) rank = LAB_DEMO_MAX_RANK;
    if (d->have_ad) {
        lora_unmerge(&d->ad, &d->model);
        lora_free(&d->ad);
        d->have_ad = false;
    }
    d->model.hooks = (GptHooks){0};
    /* A bare lora:R spec: q and v of every layer, α = 2r (the scale does
     * not matter to merging; the lab scales ranks at rsLoRA's by default). */
    LoraModule mods[LORA_MAX_MODULES];
    int n = lora_modules_for(mods, &d->model.cfg, LORA_TARGET_DEFAULT);
    int rc = lora_init(&d->ad, &d->model.cfg, mods, n, rank, lora_scale(2.0f * rank, rank, false), st);
    if (rc) return rc;
    d->have_ad = true;
    lora_init_weights(&d->ad, 1);
    d->rank = rank;
    d->trained_steps = 0;
    d->loss_before = d->loss_after = NAN;
    return merge_measure(d, st);
}

int lora_merge_demo_set_layer(LoraMergeDemo *d, int layer, Status *st)
{
    if (layer < 0 || layer >= d->model.cfg.n_layer) return status_fail(st, LS_ERR_RANGE, "no layer %d", layer);
    d->layer = layer;
    return merge_measure(d, st);
}

int lora_merge_demo_train(LoraMergeDemo *d, Status *st)
{
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    /* LoRA of the one rank only. */
    for (int k = 0; k < TUNE_NUM_KINDS; k++) s.on[k] = false;
    for (int i = 0; i < s.n_ranks; i++) s.rank_on[i] = false;
    lab_demo_add_rank(&s, d->rank, true);
    s.steps = d->steps;
    s.batch = 8;
    s.windows = d->windows;
    s.eval_every = -1;
    s.sample_bytes = -1;
    s.base_model = &d->model;
    /* The lab copies the base: our model must hold W₀ (unmerged). */
    lora_unmerge(&d->ad, &d->model);
    lab_demo_free(&d->train);
    lab_demo_init(&d->train, &s);
    int rc = lab_demo_start(&d->train, st);
    d->training = rc == LS_OK;
    return rc;
}

int lora_merge_demo_adopt(LoraMergeDemo *d, Status *st)
{
    TuneRun *run = d->train.have_lab ? lab_method_run(&d->train.lab, 0) : NULL;
    const LoraAdapter *ad = run ? tune_run_adapter(run) : NULL;
    if (!ad || ad->n_params != d->ad.n_params || ad->rank != d->ad.rank)
        return status_fail(st, LS_ERR_ARG, "the trained adapter does not match");
    memcpy(d->ad.params, ad->params, d->ad.n_params * sizeof(float));
    d->trained_steps = run->step;
    const LabSnapshot *s = &d->train.snap;
    d->loss_before = s->base && s->base->ready ? s->base->eval_loss : NAN;
    d->loss_after = s->n_methods && s->methods[0].result->ready ? s->methods[0].result->eval_loss : NAN;
    lab_demo_free(&d->train);
    return merge_measure(d, st);
}

bool lora_merge_demo_tick(LoraMergeDemo *d, double budget_ms)
{
    if (!d->training) return false;
    lab_demo_tick(&d->train, budget_ms);
    if (d->train.state == LABD_RUNNING) return true;
    d->training = false;
    status_clear(&d->err);
    if (d->train.state == LABD_FAILED) {
        d->err = d->train.err;
        lab_demo_free(&d->train);
        return true;
    }
    lora_merge_demo_adopt(d, &d->err);
    return true;
}

// ----------------------------------------------------------------------------
// lora-delta

void lora_delta_demo_init(LoraDeltaDemo *d, int steps, int batch, const Gpt *base_model)
{
    memset(d, 0, sizeof *d);
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    /* Full tuning only. */
    for (int k = 0; k < TUNE_NUM_KINDS; k++) s.on[k] = k == TUNE_FULL;
    for (int i = 0; i < s.n_ranks; i++) s.rank_on[i] = false;
    if (steps > 0) s.steps = steps;
    if (batch > 0) s.batch = batch;
    s.sample_bytes = -1;
    s.base_model = base_model;
    lab_demo_init(&d->run, &s);
    d->base_loss = d->tuned_loss = NAN;
}

static void delta_drop(LoraDeltaDemo *d)
{
    if (d->analysed) {
        for (int i = 0; i < d->an.n_spectra; i++) free(d->w[i].w_sigma);
        free(d->w);
        lab_analysis_free(&d->an);
    }
    for (int i = 0; i < d->n_shapes; i++) free(d->rand_sigma[i]);
    d->n_shapes = 0;
    d->w = NULL;
    d->analysed = false;
}

void lora_delta_demo_free(LoraDeltaDemo *d)
{
    if (!d) return;
    delta_drop(d);
    lab_demo_free(&d->run);
}

int lora_delta_demo_start(LoraDeltaDemo *d, Status *st)
{
    delta_drop(d);
    status_clear(&d->err);
    d->base_loss = d->tuned_loss = NAN;
    int rc = lab_demo_start(&d->run, st);
    if (rc) d->err = d->run.err;
    return rc;
}

/* Singular values of a rows × cols matrix (row-major, contiguous) into s. */
static int sigma_of(float *s, const float *a, int rows, int cols, Status *st)
{
    Mat m;
    int rc = mat_init(&m, rows, cols, st);
    if (rc) return rc;
    for (int i = 0; i < rows; i++) memcpy(&MAT_AT(&m, i, 0), a + (size_t)i * cols, (size_t)cols * sizeof(float));
    rc = svd_values(s, &m, st);
    mat_free(&m);
    return rc;
}

int lora_delta_demo_analyse(LoraDeltaDemo *d, Status *st)
{
    delta_drop(d);
    int rc = lab_analyze(&d->an, &d->run.lab, st);
    if (rc) return rc;
    d->analysed = true;
    d->w = calloc((size_t)(d->an.n_spectra ? d->an.n_spectra : 1), sizeof *d->w);
    if (!d->w) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    const Gpt *base = lab_base(&d->run.lab);
    for (int i = 0; i < d->an.n_spectra && !rc; i++) {
        const DeltaSpectrum *sp = &d->an.spectra[i];
        /* W₀ of the same matrix (spectra come layer by layer, q k v o fc fcproj). */
        LoraMatrix which = (LoraMatrix)(i % LM_COUNT);
        int dd, kk;
        lora_matrix_shape(&base->cfg, which, &dd, &kk);
        float *w = malloc((size_t)dd * kk * sizeof(float));
        d->w[i].w_sigma = malloc((size_t)sp->k * sizeof(float));
        if (!w || !d->w[i].w_sigma) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        if (!rc) {
            lora_matrix_copy(base, sp->layer, which, w);
            rc = sigma_of(d->w[i].w_sigma, w, dd, kk, st);
        }
        free(w);
        if (rc) break;
        d->w[i].w_rank90 = analysis_energy_rank(d->w[i].w_sigma, sp->k, 0.90);
        d->w[i].w_rank99 = analysis_energy_rank(d->w[i].w_sigma, sp->k, 0.99);
        /* A random matrix of each shape, once. */
        bool seen = false;
        for (int s = 0; s < d->n_shapes; s++) seen |= d->shape_in[s] == sp->in && d->shape_out[s] == sp->out;
        if (!seen && d->n_shapes < 4) {
            int s = d->n_shapes;
            size_t n = (size_t)sp->in * sp->out;
            float *g = malloc(n * sizeof(float));
            d->rand_sigma[s] = malloc((size_t)sp->k * sizeof(float));
            if (!g || !d->rand_sigma[s]) {
                free(g);
                free(d->rand_sigma[s]);
                d->rand_sigma[s] = NULL;
                rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                break;
            }
            Rng rng;
            rng_seed(&rng, 7 + (uint64_t)s);
            for (size_t j = 0; j < n; j++) g[j] = rng_normal(&rng);
            rc = sigma_of(d->rand_sigma[s], g, sp->in, sp->out, st);
            free(g);
            d->shape_in[s] = sp->in;
            d->shape_out[s] = sp->out;
            d->rand_rank90[s] = analysis_energy_rank(d->rand_sigma[s], sp->k, 0.90);
            d->rand_rank99[s] = analysis_energy_rank(d->rand_sigma[s], sp->k, 0.99);
            d->n_shapes++;
        }
    }
    const LabSnapshot *s = &d->run.snap;
    if (s->base && s->base->ready) d->base_loss = s->base->eval_loss;
    if (s->n_methods && s->methods[0].result->ready) d->tuned_loss = s->methods[0].result->eval_loss;
    return rc;
}

int lora_delta_random_of(const LoraDeltaDemo *d, int spectrum)
{
    if (!d->analysed || spectrum < 0 || spectrum >= d->an.n_spectra) return -1;
    const DeltaSpectrum *sp = &d->an.spectra[spectrum];
    for (int s = 0; s < d->n_shapes; s++)
        if (d->shape_in[s] == sp->in && d->shape_out[s] == sp->out) return s;
    return -1;
}

bool lora_delta_demo_tick(LoraDeltaDemo *d, double budget_ms)
{
    if (!lab_demo_running(&d->run)) return false;
    lab_demo_tick(&d->run, budget_ms);
    if (d->run.state == LABD_FAILED) d->err = d->run.err;
    if (d->run.state == LABD_DONE) lora_delta_demo_analyse(d, &d->err);
    return true;
}
