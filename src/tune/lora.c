/* lora.c — low-rank adapters: forward, backward, merge, PiSSA (see lora.h). */
#include "lora.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"

// ----------------------------------------------------------------------------
// Targets

/* The target table: one row per LORA_TARGET_* bit, in module order. */
typedef struct TargetRow {
    unsigned bit;
    const char *name;
    GptLinearId linear;
    int col0_in_c, cols_in_c, in_in_c; /* in units of C */
} TargetRow;

static const TargetRow target_rows[] = {
    {LORA_TARGET_Q, "q", GPT_LINEAR_QKV, 0, 1, 1},
    {LORA_TARGET_K, "k", GPT_LINEAR_QKV, 1, 1, 1},
    {LORA_TARGET_V, "v", GPT_LINEAR_QKV, 2, 1, 1},
    {LORA_TARGET_O, "o", GPT_LINEAR_ATTPROJ, 0, 1, 1},
    {LORA_TARGET_FC, "fc", GPT_LINEAR_FC, 0, 4, 1},
    {LORA_TARGET_FCPROJ, "fcproj", GPT_LINEAR_FCPROJ, 0, 1, 4},
};
enum { N_TARGET_ROWS = sizeof target_rows / sizeof target_rows[0] };

/* Words accepted in a targets list besides the single letters. */
static const struct {
    const char *word;
    unsigned bits;
} target_words[] = {
    {"q", LORA_TARGET_Q},
    {"k", LORA_TARGET_K},
    {"v", LORA_TARGET_V},
    {"o", LORA_TARGET_O},
    {"fc", LORA_TARGET_FC},
    {"fcproj", LORA_TARGET_FCPROJ},
    {"mlp", LORA_TARGET_MLP},
    {"attn", LORA_TARGET_Q | LORA_TARGET_K | LORA_TARGET_V | LORA_TARGET_O},
    {"all", LORA_TARGET_ALL},
    {"qkv", LORA_TARGET_Q | LORA_TARGET_K | LORA_TARGET_V},
    {"qv", LORA_TARGET_Q | LORA_TARGET_V},
};

int lora_modules_for(LoraModule *out, const GptConfig *cfg, unsigned targets)
{
    int C = cfg->n_embd, n = 0;
    for (int i = 0; i < N_TARGET_ROWS; i++) {
        if (!(targets & target_rows[i].bit)) continue;
        out[n++] = (LoraModule){.linear = target_rows[i].linear,
                                .col0 = target_rows[i].col0_in_c * C,
                                .cols = target_rows[i].cols_in_c * C,
                                .in = target_rows[i].in_in_c * C};
    }
    return n;
}

const char *lora_targets_name(unsigned targets, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_TARGET_ROWS; i++) {
        if (!(targets & target_rows[i].bit)) continue;
        int k = snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? "+" : "",
                         target_rows[i].name);
        if (k > 0) len += (size_t)k;
    }
    return buf;
}

int lora_targets_parse(unsigned *targets, const char *text, Status *st)
{
    unsigned t = 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, '+');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < sizeof target_words / sizeof target_words[0]; i++) {
            if (strlen(target_words[i].word) == len && strncmp(target_words[i].word, p, len) == 0) {
                t |= target_words[i].bits;
                found = true;
                break;
            }
        }
        if (!found)
            return status_fail(
                st, LS_ERR_ARG,
                "unknown LoRA target '%.*s' (use q, k, v, o, fc, fcproj, mlp, attn, qkv, all "
                "joined by '+')",
                (int)len, p);
        p += len;
        if (*p == '+') p++;
    }
    if (!t) return status_fail(st, LS_ERR_ARG, "no LoRA targets given");
    *targets = t;
    return LS_OK;
}

float lora_scale(float alpha, int rank, bool rslora)
{
    return rslora ? alpha / sqrtf((float)rank) : alpha / (float)rank;
}

// ----------------------------------------------------------------------------
// Storage

int lora_init(LoraAdapter *a, const GptConfig *cfg, const LoraModule *mods, int n_mod, int rank,
              float scale, Status *st)
{
    memset(a, 0, sizeof *a);
    if (rank < 1 || rank > LORA_MAX_RANK)
        return status_fail(st, LS_ERR_RANGE, "LoRA rank %d out of range 1..%d", rank,
                           LORA_MAX_RANK);
    if (n_mod < 1 || n_mod > LORA_MAX_MODULES)
        return status_fail(st, LS_ERR_ARG, "no LoRA modules");
    a->L = cfg->n_layer;
    a->rank = rank;
    a->scale = scale;
    a->n_mod = n_mod;
    memcpy(a->mod, mods, (size_t)n_mod * sizeof *mods);
    a->offset = malloc((size_t)a->L * (size_t)n_mod * sizeof(size_t));
    if (!a->offset) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (int l = 0; l < a->L; l++)
        for (int m = 0; m < n_mod; m++) {
            a->offset[l * n_mod + m] = n;
            n += (size_t)rank * (size_t)(mods[m].in + mods[m].cols);
        }
    a->n_params = n;
    a->params = calloc(n, sizeof(float));
    if (!a->params) {
        lora_free(a);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu LoRA parameters", n);
    }
    return LS_OK;
}

void lora_free(LoraAdapter *a)
{
    if (!a) return;
    free(a->params);
    free(a->grads);
    free(a->offset);
    free(a->z);
    free(a->dz);
    free(a->init);
    memset(a, 0, sizeof *a);
}

float *lora_A(const LoraAdapter *a, int l, int m)
{
    return a->params + a->offset[l * a->n_mod + m];
}
float *lora_B(const LoraAdapter *a, int l, int m)
{
    return lora_A(a, l, m) + (size_t)a->rank * (size_t)a->mod[m].in;
}
float *lora_dA(const LoraAdapter *a, int l, int m)
{
    return a->grads + a->offset[l * a->n_mod + m];
}
float *lora_dB(const LoraAdapter *a, int l, int m)
{
    return lora_dA(a, l, m) + (size_t)a->rank * (size_t)a->mod[m].in;
}

void lora_init_weights(LoraAdapter *a, unsigned long long seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    /* kaiming_uniform_(A, a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound
     * gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in), fan_in = in. */
    for (int l = 0; l < a->L; l++)
        for (int m = 0; m < a->n_mod; m++) {
            float *A = lora_A(a, l, m), *B = lora_B(a, l, m);
            size_t na = (size_t)a->rank * a->mod[m].in, nb = (size_t)a->rank * a->mod[m].cols;
            float bound = 1.0f / sqrtf((float)a->mod[m].in);
            for (size_t i = 0; i < na; i++)
                A[i] = bound * (2.0f * rng_uniform(&rng) - 1.0f);
            memset(B, 0, nb * sizeof(float));
        }
}

int lora_alloc_grads(LoraAdapter *a, Status *st)
{
    free(a->grads);
    a->grads = calloc(a->n_params, sizeof(float));
    if (!a->grads) return status_fail(st, LS_ERR_NOMEM, "out of memory for LoRA gradients");
    return LS_OK;
}

void lora_zero_grad(LoraAdapter *a)
{
    if (a->grads) memset(a->grads, 0, a->n_params * sizeof(float));
}

int lora_reserve(LoraAdapter *a, int N, Status *st)
{
    if (N <= a->z_N) return LS_OK;
    free(a->z);
    free(a->dz);
    size_t r = (size_t)a->rank;
    a->z = malloc((size_t)a->L * a->n_mod * (size_t)N * r * sizeof(float));
    a->dz = malloc((size_t)N * r * sizeof(float));
    a->z_N = 0;
    if (!a->z || !a->dz) {
        free(a->z);
        free(a->dz);
        a->z = a->dz = NULL;
        return status_fail(st, LS_ERR_NOMEM, "out of memory for LoRA activations");
    }
    a->z_N = N;
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Forward and backward

static float *z_of(LoraAdapter *a, int l, int m)
{
    return a->z + ((size_t)l * a->n_mod + (size_t)m) * (size_t)a->z_N * (size_t)a->rank;
}

void lora_forward(LoraAdapter *a, int l, GptLinearId id, float *out, const float *inp, int N,
                  int IC, int OC)
{
    if (a->merged) return;
    int r = a->rank;
    for (int m = 0; m < a->n_mod; m++) {
        const LoraModule *mo = &a->mod[m];
        if (mo->linear != id || mo->in != IC) continue;
        const float *A = lora_A(a, l, m), *B = lora_B(a, l, m); /* (r, IC), (cols, r) */
        float *z;                                               /* (N, r) */
        float *tmp = NULL;
        if (N <= a->z_N) {
            z = z_of(a, l, m);
        } else {
            /* Inference on more rows than reserved: nothing to save. */
            tmp = malloc((size_t)N * r * sizeof(float));
            if (!tmp) continue; /* cannot happen in practice; the output lacks the adapter */
            z = tmp;
        }
        /* z (N, r) = inp (N, IC) @ A^T (IC, r) */
        linalg_sgemm(false, true, N, r, IC, 1.0f, inp, IC, A, IC, 0.0f, z, r);
        /* out[:, col0 .. col0+cols) += s * z (N, r) @ B^T (r, cols) */
        linalg_sgemm(false, true, N, mo->cols, r, a->scale, z, r, B, r, 1.0f, out + mo->col0, OC);
        free(tmp);
    }
}

void lora_backward(LoraAdapter *a, int l, GptLinearId id, float *dinp, const float *dout,
                   const float *inp, int N, int IC, int OC)
{
    if (a->merged || !a->grads) return;
    int r = a->rank;
    for (int m = 0; m < a->n_mod; m++) {
        const LoraModule *mo = &a->mod[m];
        if (mo->linear != id || mo->in != IC || N > a->z_N) continue;
        const float *A = lora_A(a, l, m), *B = lora_B(a, l, m);
        float *dA = lora_dA(a, l, m), *dB = lora_dB(a, l, m);
        const float *z = z_of(a, l, m);   /* (N, r) */
        const float *g = dout + mo->col0; /* (N, cols), row stride OC */
        /* dB (cols, r) += s * g^T (cols, N) @ z (N, r) */
        linalg_sgemm(true, false, mo->cols, r, N, a->scale, g, OC, z, r, 1.0f, dB, r);
        /* dz (N, r) = s * g (N, cols) @ B (cols, r) */
        linalg_sgemm(false, false, N, r, mo->cols, a->scale, g, OC, B, r, 0.0f, a->dz, r);
        /* dA (r, IC) += dz^T (r, N) @ inp (N, IC) */
        linalg_sgemm(true, false, r, IC, N, 1.0f, a->dz, r, inp, IC, 1.0f, dA, IC);
        /* dinp (N, IC) += dz (N, r) @ A (r, IC) */
        if (dinp) linalg_sgemm(false, false, N, IC, r, 1.0f, a->dz, r, A, IC, 1.0f, dinp, IC);
    }
}

static void hook_forward(void *ctx, int l, GptLinearId id, float *out, const float *inp, int N,
                         int IC, int OC)
{
    lora_forward(ctx, l, id, out, inp, N, IC, OC);
}

static void hook_backward(void *ctx, int l, GptLinearId id, float *dinp, const float *dout,
                          const float *inp, int N, int IC, int OC)
{
    lora_backward(ctx, l, id, dinp, dout, inp, N, IC, OC);
}

void lora_attach(LoraAdapter *a, Gpt *m)
{
    m->hooks.ctx = a;
    m->hooks.linear_forward = hook_forward;
    m->hooks.linear_backward = hook_backward;
    m->hooks.adapted_linears = lora_adapted_linears(a);
}

unsigned lora_adapted_linears(const LoraAdapter *a)
{
    unsigned mask = 0;
    for (int m = 0; m < a->n_mod; m++) mask |= 1u << a->mod[m].linear;
    return mask;
}

// ----------------------------------------------------------------------------
// Merging

/* The weight a module adapts in layer l: (in, OC) with row stride OC, from
 * its column col0; NULL if the family is not held in fp32. */
static float *module_weight(Gpt *g, int l, const LoraModule *mo, int *ld)
{
    GptBlockWeights w = gpt_block_weights(g, l);
    const float *base = NULL;
    int C = g->cfg.n_embd;
    switch (mo->linear) {
    case GPT_LINEAR_QKV: base = w.qkvw, *ld = 3 * C; break;
    case GPT_LINEAR_ATTPROJ: base = w.attprojw, *ld = C; break;
    case GPT_LINEAR_FC: base = w.fcw, *ld = 4 * C; break;
    case GPT_LINEAR_FCPROJ: base = w.fcprojw, *ld = C; break;
    default: return NULL;
    }
    return base ? (float *)base + mo->col0 : NULL;
}

void lora_add_to(const LoraAdapter *a, Gpt *g, float sign)
{
    for (int l = 0; l < a->L; l++)
        for (int m = 0; m < a->n_mod; m++) {
            int ld;
            float *W = module_weight(g, l, &a->mod[m], &ld);
            if (!W) continue;
            /* W (in, cols) += sign * s * A^T (in, r) @ B^T (r, cols) */
            linalg_sgemm(true, true, a->mod[m].in, a->mod[m].cols, a->rank, sign * a->scale,
                         lora_A(a, l, m), a->mod[m].in, lora_B(a, l, m), a->rank, 1.0f, W, ld);
        }
}

void lora_merge(LoraAdapter *a, Gpt *m)
{
    if (a->merged) return;
    lora_add_to(a, m, 1.0f);
    a->merged = true;
}

void lora_unmerge(LoraAdapter *a, Gpt *m)
{
    if (!a->merged) return;
    lora_add_to(a, m, -1.0f);
    a->merged = false;
}

void lora_delta(const LoraAdapter *a, int l, int m, float *dw)
{
    linalg_sgemm(true, true, a->mod[m].in, a->mod[m].cols, a->rank, a->scale, lora_A(a, l, m),
                 a->mod[m].in, lora_B(a, l, m), a->rank, 0.0f, dw, a->mod[m].cols);
}

// ----------------------------------------------------------------------------
// PiSSA

int lora_init_pissa(LoraAdapter *a, Gpt *g, Status *st)
{
    int r = a->rank;
    for (int l = 0; l < a->L; l++)
        for (int m = 0; m < a->n_mod; m++) {
            const LoraModule *mo = &a->mod[m];
            int ld;
            float *W = module_weight(g, l, mo, &ld);
            if (!W) return status_fail(st, LS_ERR_ARG, "PiSSA needs the base weights in fp32");
            if (r > mo->in || r > mo->cols)
                return status_fail(st, LS_ERR_RANGE, "PiSSA rank %d exceeds the matrix (%d x %d)",
                                   r, mo->cols, mo->in);
            /* PyTorch's view Wt (cols, in) = U S V^T. */
            Mat wt;
            if (mat_init(&wt, mo->cols, mo->in, st)) return st ? st->code : LS_ERR_NOMEM;
            for (int i = 0; i < mo->in; i++)
                for (int j = 0; j < mo->cols; j++)
                    MAT_AT(&wt, j, i) = W[(size_t)i * ld + j];
            Svd svd;
            int rc = svd_compute(&svd, &wt, st);
            mat_free(&wt);
            if (rc) return rc;
            float *A = lora_A(a, l, m), *B = lora_B(a, l, m);
            for (int k = 0; k < r; k++) {
                /* As PEFT: S_r / s, so that s B A = U_r S_r V_r^T. */
                float root = sqrtf(svd.s[k] / a->scale);
                for (int i = 0; i < mo->in; i++)
                    A[(size_t)k * mo->in + i] = root * MAT_AT(&svd.Vt, k, i);
                for (int j = 0; j < mo->cols; j++)
                    B[(size_t)j * r + k] = root * MAT_AT(&svd.U, j, k);
            }
            svd_free(&svd);
            /* W <- W - s A^T B^T: the residual. */
            linalg_sgemm(true, true, mo->in, mo->cols, r, -a->scale, A, mo->in, B, r, 1.0f, W, ld);
        }
    free(a->init);
    a->init = malloc(a->n_params * sizeof(float));
    if (!a->init) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    memcpy(a->init, a->params, a->n_params * sizeof(float));
    return LS_OK;
}
