/* linalg.c — wrappers over OpenBLAS (cblas) and LAPACKE (see linalg.h). */
#include "linalg.h"

#include <math.h>

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void linalg_set_threads(int n)
{
    if (n < 1) n = 1;
    openblas_set_num_threads(n);
}

int linalg_get_threads(void) { return openblas_get_num_threads(); }

int linalg_training_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}

const char *linalg_backend(void)
{
    static char name[256];
    if (!name[0])
        snprintf(name, sizeof name, "%s / %s", openblas_get_config(), openblas_get_corename());
    return name;
}

void linalg_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta,
                  float *C, int ldc)
{
    if (M == 0 || N == 0) return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                beta, C, ldc);
}

int linalg_gemm(Mat *c, const Mat *a, bool trans_a, const Mat *b, bool trans_b,
                float alpha, float beta, Status *st)
{
    int M = trans_a ? a->cols : a->rows;
    int K = trans_a ? a->rows : a->cols;
    int Kb = trans_b ? b->cols : b->rows;
    int N = trans_b ? b->rows : b->cols;
    if (K != Kb || c->rows != M || c->cols != N)
        return status_fail(st, LS_ERR_ARG,
                           "matrix product shapes do not agree: (%d x %d)(%d x %d) into %d x %d",
                           M, K, Kb, N, c->rows, c->cols);
    if (K == 0) {
        /* BLAS leaves C alone when K == 0 only if beta == 1; be explicit. */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) MAT_AT(c, i, j) *= beta;
        return LS_OK;
    }
    linalg_sgemm(trans_a, trans_b, M, N, K, alpha, a->data, a->stride, b->data, b->stride,
                 beta, c->data, c->stride);
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * SVD */


/* LAPACKE's own error reporter prints to standard output, which in the
 * lessons is the screen (it scribbles over the page). Every failure it
 * reports also comes back as info and becomes a Status here, so it stays
 * quiet. Defined in the program, it replaces the library's. */
void LAPACKE_xerbla(const char *name, lapack_int info)
{
    (void)name;
    (void)info;
}

/* LAPACKE returns these infos when its own work or transpose buffers
 * cannot be allocated; they are not bad arguments. */
static bool lapacke_out_of_memory(int info)
{
    return info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR;
}

void svd_free(Svd *svd)
{
    if (!svd) return;
    mat_free(&svd->U);
    mat_free(&svd->Vt);
    free(svd->s);
    *svd = (Svd){0};
}

/* LAPACK overwrites its input, so both entry points work on a packed copy. */
static float *packed_copy(const Mat *a)
{
    size_t n = (size_t)a->rows * (size_t)a->cols;
    float *w = malloc(n ? n * sizeof(float) : 1);
    if (!w) return NULL;
    for (int i = 0; i < a->rows; i++)
        memcpy(w + (size_t)i * (size_t)a->cols, &MAT_AT(a, i, 0), (size_t)a->cols * sizeof(float));
    return w;
}

/* Run sgesdd, or sgesvd when sgesdd fails (info > 0) or is skipped;
 * *routine (may be NULL) gets the one that made the result. */
static int run_svd(char job, float *work, int m, int n, float *s, float *u, int ldu,
                   float *vt, int ldvt, bool skip_gesdd, const char **routine, Status *st)
{
    int info = 1;
    if (!skip_gesdd) {
        /* sgesdd destroys its input even when it fails: keep a copy for the
         * fallback. */
        float *backup = malloc((size_t)m * (size_t)n * sizeof(float));
        if (!backup) return status_fail(st, LS_ERR_NOMEM, "out of memory for the SVD");
        memcpy(backup, work, (size_t)m * (size_t)n * sizeof(float));
        info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, job, m, n, work, n, s, u, ldu, vt, ldvt);
        if (info == 0) {
            if (routine) *routine = "sgesdd";
            free(backup);
            return LS_OK;
        }
        memcpy(work, backup, (size_t)m * (size_t)n * sizeof(float));
        free(backup);
        if (lapacke_out_of_memory(info))
            return status_fail(st, LS_ERR_NOMEM, "out of memory for the SVD's workspace");
        if (info < 0)
            return status_fail(st, LS_ERR_ARG, "sgesdd rejected argument %d", -info);
    }
    int k = m < n ? m : n;
    float *superb = malloc((size_t)(k > 1 ? k : 2) * sizeof(float));
    if (!superb) return status_fail(st, LS_ERR_NOMEM, "out of memory for the SVD");
    char jobu = job == 'N' ? 'N' : 'S';
    info = LAPACKE_sgesvd(LAPACK_ROW_MAJOR, jobu, jobu, m, n, work, n, s, u, ldu, vt, ldvt,
                          superb);
    free(superb);
    if (lapacke_out_of_memory(info))
        return status_fail(st, LS_ERR_NOMEM, "out of memory for the SVD's workspace");
    if (info != 0)
        return status_fail(st, LS_ERR_LINALG,
                           "the SVD did not converge (sgesdd and sgesvd both failed, info %d)",
                           info);
    if (routine) *routine = "sgesvd";
    return LS_OK;
}

/* LAPACK scales internally, so it never overflows on the way; but a
 * singular value can be larger than any float (s1 >= the largest entry, and
 * up to sqrt(m n) times it) and then comes back as infinity. */
static int check_values(const float *s, int k, const Mat *a, Status *st)
{
    for (int i = 0; i < k; i++)
        if (!isfinite(s[i])) {
            float amax = 0.0f;
            for (int r = 0; r < a->rows; r++)
                for (int c = 0; c < a->cols; c++) {
                    float v = fabsf(MAT_AT(a, r, c));
                    amax = v > amax ? v : amax;
                }
            return status_fail(st, LS_ERR_RANGE,
                               "singular value %d of this %d x %d matrix is beyond float's range "
                               "(3.4e38): its entries reach %.3g; scale the matrix down",
                               i + 1, a->rows, a->cols, (double)amax);
        }
    return LS_OK;
}

int svd_compute(Svd *out, const Mat *a, Status *st)
{
    return svd_compute_with(out, a, false, st);
}

int svd_compute_with(Svd *out, const Mat *a, bool skip_gesdd, Status *st)
{
    *out = (Svd){0};
    int m = a->rows, n = a->cols, k = m < n ? m : n;
    if (k == 0) return status_fail(st, LS_ERR_ARG, "cannot decompose an empty matrix");
    out->m = m;
    out->n = n;
    out->k = k;
    int rc;
    if ((rc = mat_init(&out->U, m, k, st)) || (rc = mat_init(&out->Vt, k, n, st))) {
        svd_free(out);
        return rc;
    }
    out->s = malloc((size_t)k * sizeof(float));
    float *work = packed_copy(a);
    if (!out->s || !work) {
        free(work);
        svd_free(out);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for the SVD of a %d x %d matrix", m, n);
    }
    rc = run_svd('S', work, m, n, out->s, out->U.data, k, out->Vt.data, n, skip_gesdd,
                 &out->routine, st);
    free(work);
    if (!rc) rc = check_values(out->s, k, a, st);
    if (rc) svd_free(out);
    return rc;
}

int svd_values(float *s, const Mat *a, Status *st)
{
    int m = a->rows, n = a->cols;
    if (m == 0 || n == 0) return status_fail(st, LS_ERR_ARG, "cannot decompose an empty matrix");
    float *work = packed_copy(a);
    if (!work) return status_fail(st, LS_ERR_NOMEM, "out of memory for the SVD");
    /* No vectors are computed, but LAPACKE still checks the leading
     * dimensions in row-major order, so pass shapes it accepts. */
    float dummy[1];
    int k = m < n ? m : n;
    int rc = run_svd('N', work, m, n, s, dummy, k, dummy, n, false, NULL, st);
    free(work);
    return rc ? rc : check_values(s, k, a, st);
}

/* ---------------------------------------------------------------------------
 * Rank */

float rank_default_tolerance(const float *s, int k, int m, int n)
{
    if (k <= 0) return 0.0f;
    int big = m > n ? m : n;
    /* In double: s1 * max(m,n) alone can pass float's range before eps
     * brings it back down (s1 = 2.8e38, n = 2 gave an infinite tolerance
     * and rank 0). */
    return (float)((double)s[0] * big * FLT_EPSILON);
}

int rank_from_values(const float *s, int k, float tol)
{
    int r = 0;
    for (int i = 0; i < k; i++)
        if (s[i] > tol) r++;
    return r;
}
