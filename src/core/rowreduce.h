/* rowreduce.h — Gaussian elimination to row echelon form, step by step.
 *
 * For each column, the row with the largest |entry| at or below the current
 * row becomes the pivot (partial pivoting keeps round-off small); it is
 * swapped up, scaled so the pivot is 1, and subtracted from every row below
 * to zero the column. Columns whose best candidate is within `tol` of zero
 * have no pivot. The number of pivots is the rank. Every step is recorded so
 * the rank lesson can replay the reduction one operation at a time. */
#ifndef LS_ROWREDUCE_H
#define LS_ROWREDUCE_H

#include "mat.h"

typedef enum {
    RR_SWAP,      /* swap rows `row` and `src` */
    RR_SCALE,     /* row `row` *= factor */
    RR_ELIMINATE  /* row `row` -= factor * row `src` */
} RowOpKind;

typedef struct RowOp {
    RowOpKind kind;
    int row, src;
    int col;        /* the pivot column the step belongs to */
    double factor;
} RowOp;

typedef struct RowReduction {
    int rows, cols;
    double *echelon;   /* (rows, cols) the row echelon form, row-major */
    RowOp *ops;
    int n_ops;
    int *pivot_cols;   /* (rank) the column of each pivot */
    int rank;
    double tol;        /* the pivot tolerance used */
} RowReduction;

/* Reduce a. tol < 0 picks the default max(m, n) · FLT_EPSILON · max|a_ij|. */
int rowreduce(RowReduction *rr, const Mat *a, double tol, Status *st);
void rowreduce_free(RowReduction *rr);

/* Apply ops[0..n_ops) to m (rows x cols, row-major doubles), in place. */
void rowreduce_replay(double *m, int rows, int cols, const RowOp *ops, int n_ops);

/* A one-line description, e.g. "R2 <- R2 - 0.333 * R1" (1-based rows). */
void rowop_describe(const RowOp *op, char *buf, int size);

#endif
