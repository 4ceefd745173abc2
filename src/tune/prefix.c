/* prefix.c — prefix tuning and its MLP reparameterisation (see prefix.h). */
#include "prefix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"

/* Floats of the prefix itself: (L, 2, P, C). */
static size_t kv_size(const Prefix *p)
{
    return (size_t)p->L * 2 * (size_t)p->P * (size_t)p->C;
}

/* The MLP's parts inside mlp_params (and mlp_grads): E (P,C), W1 (C,H),
 * b1 (H), W2 (H, 2LC), b2 (2LC). */
typedef struct MlpParts {
    float *E, *W1, *b1, *W2, *b2;
} MlpParts;

static MlpParts mlp_parts(const Prefix *p, float *base)
{
    size_t P = (size_t)p->P, C = (size_t)p->C, H = (size_t)p->H, D = 2 * (size_t)p->L * C;
    MlpParts m;
    m.E = base;
    m.W1 = m.E + P * C;
    m.b1 = m.W1 + C * H;
    m.W2 = m.b1 + H;
    m.b2 = m.W2 + H * D;
    return m;
}

int prefix_init(Prefix *p, const GptConfig *cfg, int P, int hidden, Status *st)
{
    memset(p, 0, sizeof *p);
    if (P < 0 || P > cfg->n_positions * 16)
        return status_fail(st, LS_ERR_RANGE, "prefix length %d out of range 0..%d", P,
                           cfg->n_positions * 16);
    if (hidden < 0 || hidden > 1 << 16)
        return status_fail(st, LS_ERR_RANGE, "MLP width %d out of range", hidden);
    p->L = cfg->n_layer;
    p->C = cfg->n_embd;
    p->P = P;
    p->kv = calloc(kv_size(p) + 1, sizeof(float));
    if (!p->kv) return status_fail(st, LS_ERR_NOMEM, "out of memory for the prefix");
    if (hidden > 0) {
        p->mlp = true;
        p->H = hidden;
        size_t C = (size_t)p->C, H = (size_t)hidden, D = 2 * (size_t)p->L * C;
        p->n_mlp = (size_t)P * C + C * H + H + H * D + D;
        p->start = calloc(kv_size(p) + 1, sizeof(float));
        p->mlp_params = calloc(p->n_mlp, sizeof(float));
        p->hidden = calloc((size_t)P * H + 1, sizeof(float));
        if (!p->start || !p->mlp_params || !p->hidden) {
            prefix_free(p);
            return status_fail(st, LS_ERR_NOMEM, "out of memory for the prefix MLP");
        }
    }
    return LS_OK;
}

void prefix_free(Prefix *p)
{
    if (!p) return;
    free(p->kv);
    free(p->dkv);
    free(p->start);
    free(p->mlp_params);
    free(p->mlp_grads);
    free(p->hidden);
    memset(p, 0, sizeof *p);
}

int prefix_init_from_tokens(Prefix *p, Gpt *base, const int *tokens, unsigned long long seed,
                            Status *st)
{
    int P = p->P, C = p->C, T = base->cfg.n_positions;
    /* The base model's own keys and values for P real bytes, read in
     * windows of at most n_positions bytes. */
    GptHooks keep = base->hooks;
    base->hooks = (GptHooks){0};
    int rc = LS_OK;
    for (int t0 = 0; t0 < P && !rc; t0 += T) {
        int n = P - t0 < T ? P - t0 : T;
        rc = gpt_reserve(base, 1, n, st);
        if (!rc) rc = gpt_forward(base, tokens + t0, NULL, 1, n, false, st);
        for (int l = 0; l < p->L && !rc; l++) {
            const float *qkv = base->acts.qkv + (size_t)l * n * 3 * C; /* (n, 3C) of layer l */
            float *k = p->kv + (size_t)(2 * l) * P * C, *v = k + (size_t)P * C;
            for (int t = 0; t < n; t++) {
                memcpy(k + (size_t)(t0 + t) * C, qkv + (size_t)t * 3 * C + C,
                       (size_t)C * sizeof(float));
                memcpy(v + (size_t)(t0 + t) * C, qkv + (size_t)t * 3 * C + 2 * C,
                       (size_t)C * sizeof(float));
            }
        }
    }
    base->hooks = keep;
    if (rc) return rc;
    if (p->mlp) {
        memcpy(p->start, p->kv, kv_size(p) * sizeof(float));
        MlpParts m = mlp_parts(p, p->mlp_params);
        Rng rng;
        rng_seed(&rng, seed);
        size_t H = (size_t)p->H;
        for (size_t i = 0; i < (size_t)P * C; i++)
            m.E[i] = rng_normal(&rng);
        /* W1 kaiming-uniform like a PyTorch Linear: U(-1/sqrt(C), 1/sqrt(C)). */
        float bound = 1.0f / sqrtf((float)C);
        for (size_t i = 0; i < (size_t)C * H; i++)
            m.W1[i] = bound * (2.0f * rng_uniform(&rng) - 1.0f);
        /* b1, W2, b2 zero: the prefix starts exactly at `start`. */
        prefix_mlp_forward(p);
    }
    return LS_OK;
}

int prefix_alloc_grads(Prefix *p, Status *st)
{
    free(p->dkv);
    free(p->mlp_grads);
    p->mlp_grads = NULL;
    p->dkv = calloc(kv_size(p) + 1, sizeof(float));
    if (p->mlp) p->mlp_grads = calloc(p->n_mlp, sizeof(float));
    if (!p->dkv || (p->mlp && !p->mlp_grads)) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

float *prefix_params(const Prefix *p, size_t *n)
{
    *n = p->mlp ? p->n_mlp : kv_size(p);
    return p->mlp ? p->mlp_params : p->kv;
}

float *prefix_grads(const Prefix *p)
{
    return p->mlp ? p->mlp_grads : p->dkv;
}

void prefix_zero_grad(Prefix *p)
{
    if (p->dkv) memset(p->dkv, 0, kv_size(p) * sizeof(float));
    if (p->mlp_grads) memset(p->mlp_grads, 0, p->n_mlp * sizeof(float));
}

/* kv (L,2,P,C) seen as (P, 2LC) rows is PEFT's layout; ours keeps each
 * layer's keys contiguous, so the MLP's output row p, block j (j = 2l for
 * keys, 2l + 1 for values) lands at kv + j P C + p C. */
void prefix_mlp_forward(Prefix *p)
{
    if (!p->mlp || p->P == 0) return;
    int P = p->P, C = p->C, H = p->H, D = 2 * p->L * C;
    MlpParts m = mlp_parts(p, p->mlp_params);
    /* hidden (P, H) = tanh(E (P, C) @ W1 (C, H) + b1) */
    for (int i = 0; i < P; i++)
        memcpy(p->hidden + (size_t)i * H, m.b1, (size_t)H * sizeof(float));
    linalg_sgemm(false, false, P, H, C, 1.0f, m.E, C, m.W1, H, 1.0f, p->hidden, H);
    for (size_t i = 0; i < (size_t)P * H; i++)
        p->hidden[i] = tanhf(p->hidden[i]);
    /* out (P, D) = hidden @ W2 (H, D) + b2, scattered into kv with start added. */
    float *out = malloc((size_t)P * D * sizeof(float));
    if (!out) return;
    for (int i = 0; i < P; i++)
        memcpy(out + (size_t)i * D, m.b2, (size_t)D * sizeof(float));
    linalg_sgemm(false, false, P, D, H, 1.0f, p->hidden, H, m.W2, D, 1.0f, out, D);
    for (int j = 0; j < 2 * p->L; j++)
        for (int i = 0; i < P; i++) {
            float *dst = p->kv + ((size_t)j * P + i) * C;
            const float *s = p->start + ((size_t)j * P + i) * C,
                        *o = out + (size_t)i * D + (size_t)j * C;
            for (int c = 0; c < C; c++)
                dst[c] = s[c] + o[c];
        }
    free(out);
}

void prefix_mlp_backward(Prefix *p)
{
    if (!p->mlp || p->P == 0 || !p->mlp_grads) return;
    int P = p->P, C = p->C, H = p->H, D = 2 * p->L * C;
    MlpParts m = mlp_parts(p, p->mlp_params), g = mlp_parts(p, p->mlp_grads);
    float *dout = malloc((size_t)P * D * sizeof(float)),
          *dh = malloc((size_t)P * H * sizeof(float));
    if (!dout || !dh) {
        free(dout);
        free(dh);
        return;
    }
    /* Gather dkv into the (P, D) layout of the MLP's output. */
    for (int j = 0; j < 2 * p->L; j++)
        for (int i = 0; i < P; i++)
            memcpy(dout + (size_t)i * D + (size_t)j * C, p->dkv + ((size_t)j * P + i) * C,
                   (size_t)C * sizeof(float));
    /* b2 += column sums; W2 (H, D) += hidden^T @ dout; dh = dout @ W2^T */
    for (int i = 0; i < P; i++)
        for (int d = 0; d < D; d++)
            g.b2[d] += dout[(size_t)i * D + d];
    linalg_sgemm(true, false, H, D, P, 1.0f, p->hidden, H, dout, D, 1.0f, g.W2, D);
    linalg_sgemm(false, true, P, H, D, 1.0f, dout, D, m.W2, D, 0.0f, dh, H);
    /* Through tanh: dpre = dh * (1 - h^2). */
    for (size_t i = 0; i < (size_t)P * H; i++)
        dh[i] *= 1.0f - p->hidden[i] * p->hidden[i];
    for (int i = 0; i < P; i++)
        for (int k = 0; k < H; k++)
            g.b1[k] += dh[(size_t)i * H + k];
    /* W1 (C, H) += E^T @ dpre; E (P, C) += dpre @ W1^T */
    linalg_sgemm(true, false, C, H, P, 1.0f, m.E, C, dh, H, 1.0f, g.W1, H);
    linalg_sgemm(false, true, P, C, H, 1.0f, dh, H, m.W1, H, 1.0f, g.E, C);
    free(dout);
    free(dh);
}

void prefix_kv_of(Prefix *p, int l, const float **k, const float **v, float **dk, float **dv)
{
    size_t PC = (size_t)p->P * p->C;
    *k = p->kv + (size_t)(2 * l) * PC;
    *v = *k + PC;
    *dk = p->dkv ? p->dkv + (size_t)(2 * l) * PC : NULL;
    *dv = p->dkv ? *dk + PC : NULL;
}

static void hook_prefix(void *ctx, int l, const float **k, const float **v, float **dk, float **dv)
{
    prefix_kv_of(ctx, l, k, v, dk, dv);
}

void prefix_attach(Prefix *p, Gpt *m)
{
    m->hooks.ctx = p;
    m->hooks.prefix_len = p->P;
    m->hooks.prefix_kv = hook_prefix;
}
