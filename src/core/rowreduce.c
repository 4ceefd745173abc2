/* rowreduce.c — recorded Gaussian elimination (see rowreduce.h). */
#include "rowreduce.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rowreduce_free(RowReduction *rr)
{
    if (!rr) return;
    free(rr->echelon);
    free(rr->ops);
    free(rr->pivot_cols);
    *rr = (RowReduction){0};
}

static void apply(double *m, int cols, const RowOp *op)
{
    double *row = m + (size_t)op->row * cols;
    double *src = m + (size_t)op->src * cols;
    switch (op->kind) {
    case RR_SWAP:
        for (int j = 0; j < cols; j++) {
            double t = row[j];
            row[j] = src[j];
            src[j] = t;
        }
        break;
    case RR_SCALE:
        for (int j = 0; j < cols; j++) row[j] *= op->factor;
        break;
    case RR_ELIMINATE:
        for (int j = 0; j < cols; j++) row[j] -= op->factor * src[j];
        break;
    }
}

void rowreduce_replay(double *m, int rows, int cols, const RowOp *ops, int n_ops)
{
    (void)rows;
    for (int i = 0; i < n_ops; i++) apply(m, cols, &ops[i]);
}

int rowreduce(RowReduction *rr, const Mat *a, double tol, Status *st)
{
    *rr = (RowReduction){0};
    int m = a->rows, n = a->cols;
    /* At most one swap and one scale per pivot plus one elimination per row
     * below it: bounded by min(m,n) * (m + 1). */
    int k = m < n ? m : n;
    size_t max_ops = (size_t)k * (size_t)(m + 1) + 1;
    rr->echelon = malloc((size_t)m * (size_t)n * sizeof(double) + 1);
    rr->ops = malloc(max_ops * sizeof(RowOp));
    rr->pivot_cols = malloc((size_t)(k + 1) * sizeof(int));
    if (!rr->echelon || !rr->ops || !rr->pivot_cols) {
        rowreduce_free(rr);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for row reduction");
    }
    rr->rows = m;
    rr->cols = n;
    double amax = 0.0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double v = MAT_AT(a, i, j);
            rr->echelon[(size_t)i * n + j] = v;
            if (fabs(v) > amax) amax = fabs(v);
        }
    if (tol < 0) tol = (double)(m > n ? m : n) * FLT_EPSILON * amax;
    rr->tol = tol;

    double *e = rr->echelon;
    int r = 0;
    for (int c = 0; c < n && r < m; c++) {
        int best = r;
        for (int i = r + 1; i < m; i++)
            if (fabs(e[(size_t)i * n + c]) > fabs(e[(size_t)best * n + c])) best = i;
        double pivot = e[(size_t)best * n + c];
        if (fabs(pivot) <= tol) {
            /* No pivot here: flush the column's tiny leftovers so the
             * echelon form shows exact zeros below row r. */
            for (int i = r; i < m; i++) e[(size_t)i * n + c] = 0.0;
            continue;
        }
        if (best != r) {
            RowOp op = {RR_SWAP, r, best, c, 0.0};
            apply(e, n, &op);
            rr->ops[rr->n_ops++] = op;
        }
        if (pivot != 1.0) {
            RowOp op = {RR_SCALE, r, r, c, 1.0 / pivot};
            apply(e, n, &op);
            rr->ops[rr->n_ops++] = op;
        }
        for (int i = r + 1; i < m; i++) {
            double f = e[(size_t)i * n + c];
            if (f == 0.0) continue;
            RowOp op = {RR_ELIMINATE, i, r, c, f};
            apply(e, n, &op);
            e[(size_t)i * n + c] = 0.0; /* exactly zero, not round-off */
            rr->ops[rr->n_ops++] = op;
        }
        rr->pivot_cols[rr->rank++] = c;
        r++;
    }
    return LS_OK;
}

void rowop_describe(const RowOp *op, char *buf, int size)
{
    switch (op->kind) {
    case RR_SWAP:
        snprintf(buf, (size_t)size, "swap R%d and R%d", op->row + 1, op->src + 1);
        break;
    case RR_SCALE:
        snprintf(buf, (size_t)size, "R%d <- %.6g * R%d", op->row + 1, op->factor, op->row + 1);
        break;
    case RR_ELIMINATE:
        snprintf(buf, (size_t)size, "R%d <- R%d - %.6g * R%d", op->row + 1, op->row + 1,
                 op->factor, op->src + 1);
        break;
    }
}
