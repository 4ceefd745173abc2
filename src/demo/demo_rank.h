/* demo_rank.h — lesson 1: rank, three ways.
 *
 * matrix      an editable small matrix (up to 12 × 12). After every edit:
 *             the rank by row reduction (count the pivots), the singular
 *             values, the numerical rank from them (NumPy's tolerance), and
 *             — when the columns are dependent — the combination that
 *             vanishes, read off the last right singular vector
 *             (A v = 0 means Σ v_j · column_j = 0).
 * rowreduce   the same elimination replayed one row operation at a time.
 * rank-noise  the matrix plus noise · E (E fixed by the seed): in exact
 *             arithmetic any noise makes the matrix full rank, but its
 *             extra singular values are tiny; a tolerance τ decides which
 *             count, and the numerical rank (σ > τ) recovers the true one.
 * All three keep their numbers in plain arrays; no drawing here. */
#ifndef LS_DEMO_RANK_H
#define LS_DEMO_RANK_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/mat.h"
#include "../core/rowreduce.h"

enum { RANK_DEMO_MAX = 12 };

/* ---------------------------------------------------------------------------
 * matrix */

typedef struct MatrixDemo {
    int rows, cols;
    double a[RANK_DEMO_MAX * RANK_DEMO_MAX];        /* (rows, cols) entries */
    /* results */
    int rank;                                       /* pivots of the row reduction */
    double echelon[RANK_DEMO_MAX * RANK_DEMO_MAX];  /* (rows, cols) row echelon form */
    int pivot_cols[RANK_DEMO_MAX];                  /* (rank) */
    float s[RANK_DEMO_MAX];                         /* (n_s) singular values, descending */
    int n_s;
    float tol;                                      /* NumPy's default tolerance */
    int rank_svd;                                   /* σ > tol */
    bool has_null;                                  /* columns are dependent */
    double null_vec[RANK_DEMO_MAX];                 /* (cols) A·v ≈ 0, max |v_j| = 1 */
} MatrixDemo;

/* From a (at most RANK_DEMO_MAX each way). */
int matrix_demo_init(MatrixDemo *d, const Mat *a, Status *st);
/* Change entry (i, j) and recompute. */
int matrix_demo_set(MatrixDemo *d, int i, int j, double v, Status *st);
/* Recompute everything from d->a. */
int matrix_demo_update(MatrixDemo *d, Status *st);
/* "column 3 = 1·column 1 + 1·column 2" from null_vec, or "" when the
 * columns are independent. */
void matrix_demo_dependency(const MatrixDemo *d, char *buf, int size);

/* ---------------------------------------------------------------------------
 * rowreduce */

typedef struct RowReduceDemo {
    int rows, cols;
    double a[RANK_DEMO_MAX * RANK_DEMO_MAX];    /* the matrix as given */
    RowReduction rr;                            /* every step, recorded once */
    int step;                                   /* ops applied: 0..rr.n_ops */
    double cur[RANK_DEMO_MAX * RANK_DEMO_MAX];  /* (rows, cols) after `step` ops */
    char last[96];                              /* the op that produced cur */
    int last_row, last_src;                     /* rows it touched (-1 = none) */
    int pivots_done;                            /* pivot columns finished so far */
} RowReduceDemo;

int rowreduce_demo_init(RowReduceDemo *d, const Mat *a, int step, Status *st);
/* Show the matrix after `step` operations (clamped to 0..n_ops). */
void rowreduce_demo_set_step(RowReduceDemo *d, int step);
void rowreduce_demo_free(RowReduceDemo *d);

/* ---------------------------------------------------------------------------
 * rank-noise */

typedef struct RankNoiseDemo {
    int rows, cols;
    double a[RANK_DEMO_MAX * RANK_DEMO_MAX];   /* the clean matrix */
    double e[RANK_DEMO_MAX * RANK_DEMO_MAX];   /* fixed N(0,1) noise pattern */
    double noise, tol;                         /* the two sliders */
    /* results */
    double noisy[RANK_DEMO_MAX * RANK_DEMO_MAX]; /* a + noise · e */
    float s[RANK_DEMO_MAX];                    /* singular values of noisy */
    int n_s;
    int rank_clean;      /* rank of a (row reduction, default tolerance) */
    int rank_exact;      /* σ > 0 exactly: what exact arithmetic would say */
    int rank_numpy;      /* σ > NumPy's default tolerance */
    float numpy_tol;
    int rank_tol;        /* σ > the slider's tolerance */
} RankNoiseDemo;

int rank_noise_demo_init(RankNoiseDemo *d, const Mat *a, double noise, double tol,
                         uint64_t seed, Status *st);
int rank_noise_demo_update(RankNoiseDemo *d, double noise, double tol, Status *st);

#endif
