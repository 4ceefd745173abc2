/* layers_par.h — the layers of layers.h split between a pool's threads.
 *
 * Same arguments and the same results as the serial kernels (up to the
 * order of a few sums), plus the pool (NULL: run serially) and, where the
 * threads accumulate a parameter gradient, a scratch area of
 * par_scratch_floats() floats per share beyond the first. Share i of n is a
 * contiguous range of rows (or of columns, for a weight gradient), so the
 * split is fixed by the thread count and the results are deterministic.
 * The partial sums of shares 1.. are added after share 0's, in order. */
#ifndef LS_LAYERS_PAR_H
#define LS_LAYERS_PAR_H

#include <stdbool.h>
#include <stddef.h>

#include "pool.h"

/* Working space of shares 1..n-1: `per` floats each, share i at
 * f + (i - 1) * per. */
typedef struct ParScratch {
    float *f;
    size_t per;
} ParScratch;

/* Floats one share needs for model width C, sequence T, prefix length P. */
size_t par_scratch_floats(int C, int T, int P);

/* C = alpha op(A) op(B) + beta C (linalg_sgemm), split over the rows or the
 * columns of C, whichever are more. */
void par_sgemm(Pool *p, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc);

void par_layernorm_forward(Pool *p, float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C);
void par_layernorm_backward(Pool *p, ParScratch scratch, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight,
                            const float *mean, const float *rstd, int N, int C);
void par_matmul_forward(Pool *p, float *out, const float *inp, const float *weight, const float *bias,
                        int N, int IC, int OC);
void par_matmul_forward_residual(Pool *p, float *out, const float *res, const float *inp,
                                 const float *weight, const float *bias, int N, int IC, int OC);
void par_matmul_backward(Pool *p, float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int IC, int OC);
/* datt: (T, P+T) floats for the caller, as attention_backward's scratch. */
void par_attention_forward(Pool *p, float *out, float *att, const float *qkv, const float *pk,
                           const float *pv, int B, int T, int C, int NH, int P);
void par_attention_backward(Pool *p, float *datt, ParScratch scratch, float *dqkv, float *dpk,
                            float *dpv, const float *dout, const float *qkv, const float *att,
                            const float *pk, const float *pv, int B, int T, int C, int NH, int P);
void par_gelu_forward(Pool *p, float *out, const float *inp, size_t n);
/* dbias may be NULL (then plain gelu_backward). */
void par_gelu_backward_bias(Pool *p, ParScratch scratch, float *dinp, float *dbias, const float *inp,
                            const float *dout, int N, int C);
void par_crossentropy_forward(Pool *p, float *losses, float *logits, const int *targets,
                              float grad_scale, int N, int V);

#endif
