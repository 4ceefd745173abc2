/* sample.c — temperature / top-k sampling (see sample.h). */
#include "sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "checkpoint.h"
#include "layers.h"

int sample_pick(const float *logits, int n, float temperature, int top_k, float rng_u, float *scratch)
{
    if (temperature <= 0.0f || top_k == 1) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
    /* Top-k: the k-th largest logit is the cut; ties at the cut stay in. */
    float cut = -INFINITY;
    if (top_k > 0 && top_k < n) {
        memcpy(scratch, logits, (size_t)n * sizeof(float));
        for (int k = 0; k < top_k; k++) {
            int best = k;
            for (int i = k + 1; i < n; i++)
                if (scratch[i] > scratch[best]) best = i;
            float t = scratch[k];
            scratch[k] = scratch[best];
            scratch[best] = t;
        }
        cut = scratch[top_k - 1];
    }
    for (int i = 0; i < n; i++) scratch[i] = logits[i] >= cut ? logits[i] : -INFINITY;
    softmax_row(scratch, scratch, temperature, n);
    float acc = 0.0f;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (scratch[i] <= 0.0f) continue;
        last = i;
        acc += scratch[i];
        if (rng_u < acc) return i;
    }
    return last; /* rounding left acc just below 1 */
}

int sampler_begin(Sampler *s, Gpt *m, const unsigned char *prompt, size_t prompt_len,
                  const SampleConfig *cfg, int *ctx, float *scratch, Status *st)
{
    int T = m->cfg.n_positions;
    if (cfg->tokens < 0 || !(cfg->temperature >= 0.0f) || cfg->top_k < 0)
        return status_fail(st, LS_ERR_ARG, "bad sampling settings");
    int rc = gpt_reserve(m, 1, T, st);
    if (rc) return rc;
    *s = (Sampler){.model = m, .cfg = *cfg, .ctx = ctx, .scratch = scratch};
    if (prompt_len == 0) {
        ctx[s->len++] = '\n';
    } else {
        size_t from = prompt_len > (size_t)T ? prompt_len - (size_t)T : 0;
        for (size_t i = from; i < prompt_len; i++) ctx[s->len++] = prompt[i];
    }
    rng_seed(&s->rng, cfg->seed);
    return LS_OK;
}

int sampler_next(Sampler *s, unsigned char *byte, Status *st)
{
    Gpt *m = s->model;
    int T = m->cfg.n_positions, V = m->cfg.vocab_size;
    int rc = gpt_forward(m, s->ctx, NULL, 1, s->len, false, st);
    if (rc) return rc;
    const float *logits = m->acts.logits + (size_t)(s->len - 1) * V;
    for (int v = 0; v < V; v++)
        if (!isfinite(logits[v])) return gpt_fail_nonfinite(m, "the logits", st);
    int tok = sample_pick(logits, V, s->cfg.temperature, s->cfg.top_k, rng_uniform(&s->rng), s->scratch);
    *byte = (unsigned char)tok;
    if (s->len == T) {
        memmove(s->ctx, s->ctx + 1, (size_t)(T - 1) * sizeof(int));
        s->len--;
    }
    s->ctx[s->len++] = tok;
    return LS_OK;
}

int gpt_sample(Gpt *m, const unsigned char *prompt, size_t prompt_len, const SampleConfig *cfg,
               unsigned char *out, SampleEmit emit, void *emit_ctx, Status *st)
{
    int *ctx = malloc((size_t)m->cfg.n_positions * sizeof(int));
    float *scratch = malloc((size_t)m->cfg.vocab_size * sizeof(float));
    Sampler s;
    int rc = ctx && scratch ? sampler_begin(&s, m, prompt, prompt_len, cfg, ctx, scratch, st)
                            : status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < cfg->tokens && !rc; i++) {
        rc = sampler_next(&s, &out[i], st);
        if (!rc && emit) emit(emit_ctx, out[i]);
    }
    free(ctx);
    free(scratch);
    return rc;
}
