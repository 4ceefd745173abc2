/* optim.c — AdamW, clipping, schedule (see optim.h). */
#include "optim.h"

#include <math.h>
#include <stdlib.h>

#include "subnormal.h"
#include "vecmath.h"

AdamWConfig adamw_defaults(void)
{
    return (AdamWConfig){.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f};
}

int adamw_init(AdamW *o, const AdamWConfig *cfg, size_t n, Status *st)
{
    *o = (AdamW){.cfg = *cfg, .n = n};
    /* One allocation for both moments: m is its first half, v the second. */
    o->m = calloc(2 * n + 1, sizeof(float));
    if (!o->m) return status_fail(st, LS_ERR_NOMEM, "out of memory for optimizer state (%zu values)", 2 * n);
    o->v = o->m + n;
    return LS_OK;
}

void adamw_free(AdamW *o)
{
    if (!o) return;
    free(o->m); /* v lives in the same block */
    o->m = o->v = NULL;
}

void adamw_begin_step(AdamW *o) { o->t++; }

#ifdef LS_X86_AVX2
/* The loop of adamw_update eight parameters at a time, with exactly the same
 * operations in the same order (sqrtps is correctly rounded, like sqrtf), so
 * it gives identical results. Returns how many parameters it did. */
LS_AVX2 static size_t adamw_avx2(float *p, const float *g, float *m, float *v, size_t n, float b1,
                                 float b2, float rbc2, float eps, float shrink, float step)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        f32x8 gi = v8_load(g + i);
        f32x8 mi = b1 * v8_load(m + i) + (1.0f - b1) * gi;
        f32x8 vi = b2 * v8_load(v + i) + (1.0f - b2) * gi * gi;
        f32x8 denom = __builtin_ia32_sqrtps256(vi) * rbc2 + eps;
        v8_store(p + i, v8_load(p + i) * shrink - step * mi / denom);
        v8_store(m + i, mi);
        v8_store(v + i, vi);
    }
    return i;
}
#endif

void adamw_update(AdamW *o, float *params, const float *grads, size_t offset, size_t n, float lr,
                  int decay)
{
    const AdamWConfig *c = &o->cfg;
    float b1 = c->beta1, b2 = c->beta2;
    /* Bias corrections in double: b2^t for large t loses digits in float. */
    float bc1 = (float)(1.0 - pow(b1, o->t));
    float bc2 = (float)(1.0 - pow(b2, o->t));
    float step = lr / bc1, rbc2 = 1.0f / sqrtf(bc2);
    float shrink = decay ? 1.0f - lr * c->weight_decay : 1.0f;
    float *m = o->m + offset, *v = o->v + offset;
    /* v decays geometrically where a gradient is (near) zero and would
     * settle among the subnormals: flush them (subnormal.h). */
    SubnormalMode fp = subnormal_flush_begin();
    size_t i = 0;
#ifdef LS_X86_AVX2
    if (cpu_has_avx2()) i = adamw_avx2(params, grads, m, v, n, b1, b2, rbc2, c->eps, shrink, step);
#endif
    for (; i < n; i++) {
        float g = grads[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        float denom = sqrtf(v[i]) * rbc2 + c->eps;
        params[i] = params[i] * shrink - step * m[i] / denom;
    }
    subnormal_flush_end(fp);
}

double grad_norm(const float *grads, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)grads[i] * grads[i];
    return sqrt(s);
}

double grad_clip(float *grads, size_t n, double max_norm)
{
    double norm = grad_norm(grads, n);
    if (max_norm > 0.0 && norm > max_norm) {
        float s = (float)(max_norm / (norm + 1e-6));
        SubnormalMode fp = subnormal_flush_begin();
        for (size_t i = 0; i < n; i++) grads[i] *= s;
        subnormal_flush_end(fp);
    }
    return norm;
}

float lr_schedule(int step, int warmup, int total, float lr, float min_lr)
{
    if (warmup > 0 && step < warmup) return lr * (float)(step + 1) / (float)warmup;
    if (step >= total) return min_lr;
    double span = (double)(total - warmup);
    double progress = span > 0 ? (double)(step - warmup) / span : 1.0;
    double coeff = 0.5 * (1.0 + cos(3.14159265358979323846 * progress));
    return (float)(min_lr + coeff * (lr - min_lr));
}
