/* optim.h — AdamW, gradient-norm clipping and the learning-rate schedule.
 *
 * AdamW (Loshchilov & Hutter 2019), exactly as torch.optim.AdamW:
 *   m = b1 m + (1 - b1) g              v = b2 v + (1 - b2) g^2
 *   p = p - lr wd p                    (decoupled weight decay, on the old p)
 *   p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * with t the 1-based step number. The optimizer state (m, v) covers one flat
 * gradient block; a caller updates the block in spans, each with its own
 * weight decay (GPT-2 practice: decay matrices and embeddings, not biases or
 * LayerNorm). Any parameter set laid out flat — a whole model, or just the
 * LoRA matrices of the next lesson — uses the same code. */
#ifndef LS_OPTIM_H
#define LS_OPTIM_H

#include <stddef.h>

#include "../base/status.h"

typedef struct AdamWConfig {
    float lr;            /* peak learning rate */
    float beta1, beta2;  /* 0.9, 0.95 */
    float eps;           /* 1e-8 */
    float weight_decay;  /* 0.1 (applied to spans that ask for it) */
} AdamWConfig;

typedef struct AdamW {
    AdamWConfig cfg;
    size_t n;    /* parameters covered */
    float *m;    /* (n) first moment; owns the block that also holds v */
    float *v;    /* (n) second moment, m + n */
    int t;       /* steps taken */
} AdamW;

AdamWConfig adamw_defaults(void);
int adamw_init(AdamW *o, const AdamWConfig *cfg, size_t n, Status *st);
void adamw_free(AdamW *o);
/* Start a step: t += 1 (the bias corrections of all spans of this step use it). */
void adamw_begin_step(AdamW *o);
/* Update params[0..n) from grads[0..n) with moments at offset `offset` of the
 * state; lr is this step's rate, decay is true to apply weight decay. */
void adamw_update(AdamW *o, float *params, const float *grads, size_t offset, size_t n, float lr,
                  int decay);

/* Global L2 norm of a gradient block (accumulated in double). */
double grad_norm(const float *grads, size_t n);
/* If the norm exceeds max_norm > 0, scale grads by max_norm / norm.
 * Returns the norm before clipping. */
double grad_clip(float *grads, size_t n, double max_norm);

/* Linear warmup from lr/warmup to lr over `warmup` steps, then cosine decay
 * to min_lr at `total` steps (step is 0-based; stays at min_lr after). */
float lr_schedule(int step, int warmup, int total, float lr, float min_lr);

#endif
