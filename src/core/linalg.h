/* linalg.h — the one doorway to OpenBLAS and LAPACKE.
 *
 * No other file in lorascope includes cblas.h or lapacke.h (make check-layers
 * enforces it). Everything here works on row-major float data. */
#ifndef LS_LINALG_H
#define LS_LINALG_H

#include <stdbool.h>

#include "mat.h"

/* ---------------------------------------------------------------------------
 * Threads */

/* Set the number of OpenBLAS threads (n >= 1). */
void linalg_set_threads(int n);
int linalg_get_threads(void);
/* The threads training uses unless told: two where there are two cores, else
 * one. The engine splits a step between its own threads (OpenBLAS single-
 * threaded inside); the reference step ran 1.86-1.95x faster on 2 idle cores
 * than on 1, and the tiny model's products are too small to gain much beyond
 * 2. `finetune` and the lessons' lab both use it. */
int linalg_training_threads(void);
/* The BLAS in use and the kernel family it picked for this CPU, e.g.
 * "OpenBLAS 0.3.21 ... / SkylakeX", for benchmark reports. */
const char *linalg_backend(void);

/* ---------------------------------------------------------------------------
 * Products */

/* Raw row-major sgemm: C = alpha * op(A) * op(B) + beta * C, where op(A) is
 * M x K, op(B) is K x N and C is M x N; lda/ldb/ldc are row strides.
 * This is the kernel the neural-network layers call directly. */
void linalg_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta,
                  float *C, int ldc);

/* C = alpha * op(A) * op(B) + beta * C on Mat views. Shapes must agree;
 * returns LS_ERR_ARG with a message otherwise. */
int linalg_gemm(Mat *c, const Mat *a, bool trans_a, const Mat *b, bool trans_b,
                float alpha, float beta, Status *st);

/* ---------------------------------------------------------------------------
 * Singular value decomposition */

/* Thin SVD A = U * diag(s) * Vt with k = min(m, n):
 * U is m x k, s has k entries in decreasing order, Vt is k x n. */
typedef struct Svd {
    int m, n, k;
    Mat U;     /* (m, k) left singular vectors as columns */
    float *s;  /* (k)    singular values, descending */
    Mat Vt;    /* (k, n) right singular vectors as rows */
    const char *routine; /* the LAPACK routine that made it: "sgesdd" or "sgesvd" */
} Svd;

/* Full thin SVD of a (not modified). Uses sgesdd and falls back to sgesvd if
 * divide-and-conquer fails to converge. */
int svd_compute(Svd *out, const Mat *a, Status *st);
/* The same; skip_gesdd: straight to sgesvd, as if sgesdd had failed (the
 * fallback's test). */
int svd_compute_with(Svd *out, const Mat *a, bool skip_gesdd, Status *st);
/* Singular values only into s (length min(m, n)). */
int svd_values(float *s, const Mat *a, Status *st);
void svd_free(Svd *svd);


/* ---------------------------------------------------------------------------
 * Numerical rank */

/* NumPy's matrix_rank default tolerance: s[0] * max(m, n) * FLT_EPSILON. */
float rank_default_tolerance(const float *s, int k, int m, int n);
/* Number of singular values strictly greater than tol. */
int rank_from_values(const float *s, int k, float tol);

#endif
