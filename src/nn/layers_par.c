/* layers_par.c — the layers split between a pool's threads (see layers_par.h). */
#include "layers_par.h"

#include <string.h>

#include "../core/linalg.h"
#include "layers.h"

size_t par_scratch_floats(int C, int T, int P)
{
    size_t att = (size_t)T * (size_t)(P + T) + 2 * (size_t)P * (size_t)C;
    size_t gelu = 4 * (size_t)C;
    return att > gelu ? att : gelu;
}

/* Share i's working space (i >= 1). */
static float *share_area(ParScratch s, int i) { return s.f + (size_t)(i - 1) * s.per; }

/* Adds the partial sums of shares 1.. (at offset `off` of each area, len floats)
 * to acc, in thread order. */
static void add_partials(float *acc, ParScratch s, int n, size_t off, size_t len)
{
    for (int i = 1; i < n; i++) {
        const float *a = share_area(s, i) + off;
        for (size_t k = 0; k < len; k++) acc[k] += a[k];
    }
}

// ----------------------------------------------------------------------------
// Products

typedef struct SgemmJob {
    bool ta, tb, by_rows;
    int M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
} SgemmJob;

static void sgemm_task(void *ctx, int i, int n)
{
    const SgemmJob *j = ctx;
    int lo, hi;
    if (j->by_rows) {
        pool_share(i, n, j->M, 16, &lo, &hi);
        if (hi <= lo) return;
        const float *a = j->ta ? j->A + lo : j->A + (size_t)lo * j->lda;
        linalg_sgemm(j->ta, j->tb, hi - lo, j->N, j->K, j->alpha, a, j->lda, j->B, j->ldb, j->beta,
                     j->C + (size_t)lo * j->ldc, j->ldc);
    } else {
        pool_share(i, n, j->N, 16, &lo, &hi);
        if (hi <= lo) return;
        const float *b = j->tb ? j->B + (size_t)lo * j->ldb : j->B + lo;
        linalg_sgemm(j->ta, j->tb, j->M, hi - lo, j->K, j->alpha, j->A, j->lda, b, j->ldb, j->beta,
                     j->C + lo, j->ldc);
    }
}

void par_sgemm(Pool *p, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    SgemmJob j = {trans_a, trans_b, M >= N, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
    if (!p) {
        linalg_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    pool_run(p, sgemm_task, &j);
}

typedef struct MatmulJob {
    float *out, *dinp, *dweight, *dbias;
    const float *res, *inp, *weight, *bias, *dout;
    int N, IC, OC;
} MatmulJob;

static void matmul_forward_task(void *ctx, int i, int n)
{
    const MatmulJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->N, 16, &lo, &hi);
    if (hi <= lo) return;
    size_t o = (size_t)lo * j->OC, in = (size_t)lo * j->IC;
    if (j->res)
        matmul_forward_residual(j->out + o, j->res + o, j->inp + in, j->weight, j->bias, hi - lo, j->IC, j->OC);
    else
        matmul_forward(j->out + o, j->inp + in, j->weight, j->bias, hi - lo, j->IC, j->OC);
}

void par_matmul_forward(Pool *p, float *out, const float *inp, const float *weight, const float *bias,
                        int N, int IC, int OC)
{
    MatmulJob j = {.out = out, .inp = inp, .weight = weight, .bias = bias, .N = N, .IC = IC, .OC = OC};
    pool_run(p, matmul_forward_task, &j);
}

void par_matmul_forward_residual(Pool *p, float *out, const float *res, const float *inp,
                                 const float *weight, const float *bias, int N, int IC, int OC)
{
    MatmulJob j = {.out = out, .res = res, .inp = inp, .weight = weight, .bias = bias, .N = N, .IC = IC, .OC = OC};
    pool_run(p, matmul_forward_task, &j);
}

/* Thread i: its rows of dinp, then its columns of dweight and dbias. */
static void matmul_backward_task(void *ctx, int i, int n)
{
    const MatmulJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->N, 16, &lo, &hi);
    if (j->dinp && hi > lo)
        matmul_backward(j->dinp + (size_t)lo * j->IC, NULL, NULL, j->dout + (size_t)lo * j->OC, NULL, j->weight,
                        hi - lo, j->IC, j->OC);
    pool_share(i, n, j->OC, 16, &lo, &hi);
    if (hi <= lo) return;
    if (j->dweight)
        linalg_sgemm(true, false, j->IC, hi - lo, j->N, 1.0f, j->inp, j->IC, j->dout + lo, j->OC, 1.0f,
                     j->dweight + lo, j->OC);
    if (j->dbias)
        for (int r = 0; r < j->N; r++) {
            const float *d = j->dout + (size_t)r * j->OC;
            for (int o = lo; o < hi; o++) j->dbias[o] += d[o];
        }
}

void par_matmul_backward(Pool *p, float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int IC, int OC)
{
    if (!p) {
        matmul_backward(dinp, dweight, dbias, dout, inp, weight, N, IC, OC);
        return;
    }
    MatmulJob j = {.dinp = dinp, .dweight = dweight, .dbias = dbias, .dout = dout, .inp = inp,
                   .weight = weight, .N = N, .IC = IC, .OC = OC};
    pool_run(p, matmul_backward_task, &j);
}

// ----------------------------------------------------------------------------
// LayerNorm

typedef struct LnJob {
    float *out, *mean, *rstd, *dinp, *dweight, *dbias;
    ParScratch scratch;
    const float *inp, *weight, *bias, *dout, *cmean, *crstd;
    float eps;
    int N, C;
} LnJob;

static void ln_forward_task(void *ctx, int i, int n)
{
    const LnJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->N, 1, &lo, &hi);
    if (hi <= lo) return;
    size_t o = (size_t)lo * j->C;
    layernorm_forward(j->out + o, j->mean + lo, j->rstd + lo, j->inp + o, j->weight, j->bias, j->eps, hi - lo,
                      j->C);
}

void par_layernorm_forward(Pool *p, float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C)
{
    LnJob j = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .weight = weight, .bias = bias,
               .eps = eps, .N = N, .C = C};
    pool_run(p, ln_forward_task, &j);
}

static void ln_backward_task(void *ctx, int i, int n)
{
    const LnJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->N, 1, &lo, &hi);
    float *dw = j->dweight, *db = j->dbias;
    if (i > 0) {
        float *s = share_area(j->scratch, i);
        memset(s, 0, 2 * (size_t)j->C * sizeof(float));
        dw = dw ? s : NULL;
        db = db ? s + j->C : NULL;
    }
    if (hi <= lo) return;
    size_t o = (size_t)lo * j->C;
    layernorm_backward(j->dinp ? j->dinp + o : NULL, dw, db, j->dout + o, j->inp + o, j->weight, j->cmean + lo,
                       j->crstd + lo, hi - lo, j->C);
}

void par_layernorm_backward(Pool *p, ParScratch scratch, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight,
                            const float *mean, const float *rstd, int N, int C)
{
    if (!p) {
        layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
        return;
    }
    LnJob j = {.dinp = dinp, .dweight = dweight, .dbias = dbias, .scratch = scratch, .dout = dout,
               .inp = inp, .weight = weight, .cmean = mean, .crstd = rstd, .N = N, .C = C};
    pool_run(p, ln_backward_task, &j);
    int n = pool_threads(p);
    if (dweight) add_partials(dweight, scratch, n, 0, (size_t)C);
    if (dbias) add_partials(dbias, scratch, n, (size_t)C, (size_t)C);
}

// ----------------------------------------------------------------------------
// Attention: split over the batch (each sequence is independent)

typedef struct AttJob {
    float *out, *att, *dqkv, *dpk, *dpv, *datt;
    ParScratch scratch;
    const float *qkv, *pk, *pv, *dout, *catt;
    int B, T, C, NH, P;
} AttJob;

static void att_forward_task(void *ctx, int i, int n)
{
    const AttJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->B, 1, &lo, &hi);
    if (hi <= lo) return;
    size_t T = (size_t)j->T, C = (size_t)j->C, S = (size_t)(j->P + j->T);
    attention_forward(j->out + lo * T * C, j->att + (size_t)lo * j->NH * T * S, j->qkv + lo * T * 3 * C, j->pk,
                      j->pv, hi - lo, j->T, j->C, j->NH, j->P);
}

void par_attention_forward(Pool *p, float *out, float *att, const float *qkv, const float *pk,
                           const float *pv, int B, int T, int C, int NH, int P)
{
    AttJob j = {.out = out, .att = att, .qkv = qkv, .pk = pk, .pv = pv, .B = B, .T = T, .C = C, .NH = NH, .P = P};
    pool_run(p, att_forward_task, &j);
}

/* A share's area (shares 1..): datt (T, P+T), then its partial dpk and dpv (P, C). */
static void att_backward_task(void *ctx, int i, int n)
{
    const AttJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->B, 1, &lo, &hi);
    size_t T = (size_t)j->T, C = (size_t)j->C, S = (size_t)(j->P + j->T), PC = (size_t)j->P * C;
    float *datt = j->datt, *dpk = j->dpk, *dpv = j->dpv;
    if (i > 0) {
        datt = share_area(j->scratch, i);
        if (dpk) memset(dpk = datt + T * S, 0, PC * sizeof(float));
        if (dpv) memset(dpv = datt + T * S + PC, 0, PC * sizeof(float));
    }
    if (hi <= lo) return;
    attention_backward(j->dqkv + lo * T * 3 * C, dpk, dpv, datt, j->dout + lo * T * C, j->qkv + lo * T * 3 * C,
                       j->catt + (size_t)lo * j->NH * T * S, j->pk, j->pv, hi - lo, j->T, j->C, j->NH, j->P);
}

void par_attention_backward(Pool *p, float *datt, ParScratch scratch, float *dqkv, float *dpk,
                            float *dpv, const float *dout, const float *qkv, const float *att,
                            const float *pk, const float *pv, int B, int T, int C, int NH, int P)
{
    AttJob j = {.dqkv = dqkv, .dpk = dpk, .dpv = dpv, .datt = datt, .scratch = scratch, .qkv = qkv, .pk = pk,
                .pv = pv, .dout = dout, .catt = att, .B = B, .T = T, .C = C, .NH = NH, .P = P};
    pool_run(p, att_backward_task, &j);
    int n = pool_threads(p);
    size_t TS = (size_t)T * (size_t)(P + T), PC = (size_t)P * (size_t)C;
    if (dpk) add_partials(dpk, scratch, n, TS, PC);
    if (dpv) add_partials(dpv, scratch, n, TS + PC, PC);
}

// ----------------------------------------------------------------------------
// GELU and the loss: rows (or elements) are independent

typedef struct EltJob {
    float *out, *dinp, *dbias, *losses, *logits;
    ParScratch scratch;
    const float *inp, *dout;
    const int *targets;
    float grad_scale;
    size_t n;
    int N, C;
} EltJob;

static void gelu_forward_task(void *ctx, int i, int n)
{
    const EltJob *j = ctx;
    /* Shares of whole 64-float lines; n fits in int for any model allowed. */
    int lo, hi;
    pool_share(i, n, (int)j->n, 16, &lo, &hi);
    if (hi > lo) gelu_forward(j->out + lo, j->inp + lo, (size_t)(hi - lo));
}

void par_gelu_forward(Pool *p, float *out, const float *inp, size_t n)
{
    if (!p || n > (size_t)1 << 30) {
        gelu_forward(out, inp, n);
        return;
    }
    EltJob j = {.out = out, .inp = inp, .n = n};
    pool_run(p, gelu_forward_task, &j);
}

static void gelu_backward_task(void *ctx, int i, int n)
{
    const EltJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->N, 1, &lo, &hi);
    float *db = j->dbias;
    if (db && i > 0) {
        db = share_area(j->scratch, i);
        memset(db, 0, (size_t)j->C * sizeof(float));
    }
    if (hi <= lo) return;
    size_t o = (size_t)lo * j->C;
    if (db)
        gelu_backward_bias(j->dinp + o, db, j->inp + o, j->dout + o, hi - lo, j->C);
    else
        gelu_backward(j->dinp + o, j->inp + o, j->dout + o, (size_t)(hi - lo) * j->C);
}

void par_gelu_backward_bias(Pool *p, ParScratch scratch, float *dinp, float *dbias, const float *inp,
                            const float *dout, int N, int C)
{
    EltJob j = {.dinp = dinp, .dbias = dbias, .scratch = scratch, .inp = inp, .dout = dout, .N = N, .C = C};
    pool_run(p, gelu_backward_task, &j);
    if (dbias) add_partials(dbias, scratch, pool_threads(p), 0, (size_t)C);
}

static void ce_task(void *ctx, int i, int n)
{
    const EltJob *j = ctx;
    int lo, hi;
    pool_share(i, n, j->N, 1, &lo, &hi);
    if (hi > lo)
        crossentropy_forward(j->losses + lo, j->logits + (size_t)lo * j->C, j->targets + lo, j->grad_scale, hi - lo,
                             j->C);
}

void par_crossentropy_forward(Pool *p, float *losses, float *logits, const int *targets,
                              float grad_scale, int N, int V)
{
    EltJob j = {.losses = losses, .logits = logits, .targets = targets, .grad_scale = grad_scale, .N = N, .C = V};
    pool_run(p, ce_task, &j);
}
