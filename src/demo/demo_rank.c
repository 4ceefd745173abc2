/* demo_rank.c — the three rank demos of lesson 1 (see demo_rank.h). */
#include "demo_rank.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"

#define AT(arr, cols, i, j) ((arr)[(size_t)(i) * (size_t)(cols) + (size_t)(j)])

static int check_size(const Mat *a, Status *st)
{
    if (a->rows < 1 || a->cols < 1 || a->rows > RANK_DEMO_MAX || a->cols > RANK_DEMO_MAX)
        return status_fail(st, LS_ERR_RANGE, "the matrix is %d x %d; the rank demos take 1..%d each way",
                           a->rows, a->cols, RANK_DEMO_MAX);
    return LS_OK;
}

/* Copy doubles (rows, cols) into a float Mat (caller-owned storage). */
static Mat to_mat(float *buf, const double *a, int rows, int cols)
{
    for (int i = 0; i < rows * cols; i++) buf[i] = (float)a[i];
    return mat_wrap(buf, rows, cols);
}

/* ---------------------------------------------------------------------------
 * matrix */

int matrix_demo_init(MatrixDemo *d, const Mat *a, Status *st)
{
    memset(d, 0, sizeof *d);
    int rc = check_size(a, st);
    if (rc) return rc;
    d->rows = a->rows;
    d->cols = a->cols;
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++) AT(d->a, d->cols, i, j) = MAT_AT(a, i, j);
    return matrix_demo_update(d, st);
}

int matrix_demo_set(MatrixDemo *d, int i, int j, double v, Status *st)
{
    if (i < 0 || i >= d->rows || j < 0 || j >= d->cols)
        return status_fail(st, LS_ERR_ARG, "no entry (%d, %d)", i + 1, j + 1);
    if (!isfinite(v)) return status_fail(st, LS_ERR_RANGE, "not a finite number");
    AT(d->a, d->cols, i, j) = v;
    return matrix_demo_update(d, st);
}

int matrix_demo_update(MatrixDemo *d, Status *st)
{
    float buf[RANK_DEMO_MAX * RANK_DEMO_MAX];
    Mat m = to_mat(buf, d->a, d->rows, d->cols);
    RowReduction rr;
    int rc = rowreduce(&rr, &m, -1.0, st);
    if (rc) return rc;
    d->rank = rr.rank;
    memcpy(d->echelon, rr.echelon, (size_t)d->rows * (size_t)d->cols * sizeof(double));
    for (int i = 0; i < rr.rank; i++) d->pivot_cols[i] = rr.pivot_cols[i];
    rowreduce_free(&rr);

    Svd svd;
    if ((rc = svd_compute(&svd, &m, st))) return rc;
    d->n_s = svd.k;
    memcpy(d->s, svd.s, (size_t)svd.k * sizeof(float));
    d->tol = rank_default_tolerance(d->s, d->n_s, d->rows, d->cols);
    d->rank_svd = rank_from_values(d->s, d->n_s, d->tol);
    /* Dependent columns: rank below the column count. With rank < k the
     * last right singular vector spans part of the null space; with more
     * columns than rows (k < cols) the thin SVD holds no null vector, so
     * we fall back to the echelon form's first free column. */
    d->has_null = d->rank_svd < d->cols;
    memset(d->null_vec, 0, sizeof d->null_vec);
    if (d->has_null && d->rank_svd < svd.k) {
        double big = 0;
        for (int j = 0; j < d->cols; j++) {
            d->null_vec[j] = MAT_AT(&svd.Vt, svd.k - 1, j);
            if (fabs(d->null_vec[j]) > fabs(big)) big = d->null_vec[j];
        }
        for (int j = 0; j < d->cols; j++) d->null_vec[j] /= big;
    } else if (d->has_null) {
        /* Free column f: solve the echelon rows for the pivots with x_f = 1. */
        bool pivot[RANK_DEMO_MAX] = {false};
        for (int i = 0; i < d->rank; i++) pivot[d->pivot_cols[i]] = true;
        int f = 0;
        while (f < d->cols && pivot[f]) f++;
        if (f < d->cols) {
            double x[RANK_DEMO_MAX] = {0};
            x[f] = 1;
            for (int i = d->rank - 1; i >= 0; i--) {
                int c = d->pivot_cols[i];
                double acc = 0;
                for (int j = c + 1; j < d->cols; j++) acc += AT(d->echelon, d->cols, i, j) * x[j];
                x[c] = -acc / AT(d->echelon, d->cols, i, c);
            }
            double big = 0;
            for (int j = 0; j < d->cols; j++)
                if (fabs(x[j]) > fabs(big)) big = x[j];
            for (int j = 0; j < d->cols; j++) d->null_vec[j] = x[j] / big;
        } else {
            d->has_null = false;
        }
    }
    svd_free(&svd);
    return LS_OK;
}

void matrix_demo_dependency(const MatrixDemo *d, char *buf, int size)
{
    buf[0] = 0;
    if (!d->has_null) return;
    /* Σ v_j c_j = 0 with the last nonzero v_t: c_t = Σ_{j≠t} (−v_j / v_t) c_j. */
    int t = -1;
    for (int j = d->cols - 1; j >= 0; j--)
        if (fabs(d->null_vec[j]) > 1e-3) {
            t = j;
            break;
        }
    if (t < 0) return;
    int n = snprintf(buf, (size_t)size, "column %d =", t + 1);
    bool first = true;
    for (int j = 0; j < d->cols && n < size; j++) {
        if (j == t || fabs(d->null_vec[j]) <= 1e-3) continue;
        double c = -d->null_vec[j] / d->null_vec[t];
        char num[32];
        if (fabs(c - floor(c + 0.5)) < 1e-3) snprintf(num, sizeof num, "%.0f", c);
        else snprintf(num, sizeof num, "%.3g", c);
        if (first) n += snprintf(buf + n, (size_t)(size - n), " %s·column %d", num, j + 1);
        else if (c < 0) n += snprintf(buf + n, (size_t)(size - n), " − %s·column %d", num + 1, j + 1);
        else n += snprintf(buf + n, (size_t)(size - n), " + %s·column %d", num, j + 1);
        first = false;
    }
    if (first && n < size) snprintf(buf + n, (size_t)(size - n), " 0 (a zero column)");
}

/* ---------------------------------------------------------------------------
 * rowreduce */

int rowreduce_demo_init(RowReduceDemo *d, const Mat *a, int step, Status *st)
{
    memset(d, 0, sizeof *d);
    int rc = check_size(a, st);
    if (rc) return rc;
    d->rows = a->rows;
    d->cols = a->cols;
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++) AT(d->a, d->cols, i, j) = MAT_AT(a, i, j);
    if ((rc = rowreduce(&d->rr, a, -1.0, st))) return rc;
    rowreduce_demo_set_step(d, step);
    return LS_OK;
}

void rowreduce_demo_set_step(RowReduceDemo *d, int step)
{
    if (step < 0) step = 0;
    if (step > d->rr.n_ops) step = d->rr.n_ops;
    d->step = step;
    size_t n = (size_t)d->rows * (size_t)d->cols;
    memcpy(d->cur, d->a, n * sizeof(double));
    rowreduce_replay(d->cur, d->rows, d->cols, d->rr.ops, step);
    /* Replayed round-off shows as 1e-16; the reduction itself flushes it. */
    for (size_t i = 0; i < n; i++)
        if (fabs(d->cur[i]) <= d->rr.tol) d->cur[i] = 0.0;
    d->last_row = d->last_src = -1;
    if (step == 0) {
        snprintf(d->last, sizeof d->last, "the matrix as given");
    } else {
        const RowOp *op = &d->rr.ops[step - 1];
        rowop_describe(op, d->last, (int)sizeof d->last);
        d->last_row = op->row;
        d->last_src = op->src;
    }
    /* A pivot column is finished once every later op belongs to a later column. */
    int done = 0;
    for (int p = 0; p < d->rr.rank; p++) {
        int col = d->rr.pivot_cols[p];
        bool pending = false;
        for (int i = step; i < d->rr.n_ops; i++)
            if (d->rr.ops[i].col == col) pending = true;
        if (!pending && (step > 0 || d->rr.n_ops == 0)) done++;
    }
    d->pivots_done = done;
}

void rowreduce_demo_free(RowReduceDemo *d)
{
    if (!d) return;
    rowreduce_free(&d->rr);
    memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------------------
 * rank-noise */

int rank_noise_demo_init(RankNoiseDemo *d, const Mat *a, double noise, double tol,
                         uint64_t seed, Status *st)
{
    memset(d, 0, sizeof *d);
    int rc = check_size(a, st);
    if (rc) return rc;
    d->rows = a->rows;
    d->cols = a->cols;
    Rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < a->rows; i++)
        for (int j = 0; j < a->cols; j++) {
            AT(d->a, d->cols, i, j) = MAT_AT(a, i, j);
            AT(d->e, d->cols, i, j) = rng_normal(&rng);
        }
    RowReduction rr;
    if ((rc = rowreduce(&rr, a, -1.0, st))) return rc;
    d->rank_clean = rr.rank;
    rowreduce_free(&rr);
    return rank_noise_demo_update(d, noise, tol, st);
}

int rank_noise_demo_update(RankNoiseDemo *d, double noise, double tol, Status *st)
{
    if (!(noise >= 0)) noise = 0;
    if (!(tol >= 0)) tol = 0;
    d->noise = noise;
    d->tol = tol;
    size_t n = (size_t)d->rows * (size_t)d->cols;
    for (size_t i = 0; i < n; i++) d->noisy[i] = d->a[i] + noise * d->e[i];
    float buf[RANK_DEMO_MAX * RANK_DEMO_MAX];
    Mat m = to_mat(buf, d->noisy, d->rows, d->cols);
    int rc = svd_values(d->s, &m, st);
    if (rc) return rc;
    d->n_s = d->rows < d->cols ? d->rows : d->cols;
    d->rank_exact = rank_from_values(d->s, d->n_s, 0.0f);
    d->numpy_tol = rank_default_tolerance(d->s, d->n_s, d->rows, d->cols);
    d->rank_numpy = rank_from_values(d->s, d->n_s, d->numpy_tol);
    d->rank_tol = rank_from_values(d->s, d->n_s, (float)tol);
    return LS_OK;
}
