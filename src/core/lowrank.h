/* lowrank.h — the best rank-k approximation of a matrix, and what it costs.
 *
 * Eckart–Young: with A = U diag(s) Vᵀ, the rank-k matrix closest to A in the
 * Frobenius norm is A_k = Σ_{i<k} s_i u_i v_iᵀ, and the error it leaves is
 * ‖A − A_k‖_F = sqrt(Σ_{i≥k} s_i²). The SVD is computed once; afterwards each
 * rank is one sgemm of an (m × k) by a (k × n) matrix, fast enough to redraw
 * at every slider step. */
#ifndef LS_LOWRANK_H
#define LS_LOWRANK_H

#include "linalg.h"

typedef struct LowRank {
    Mat a;     /* (m, n) a copy of A, for rebuilding from the top */
    Svd svd;   /* A = U diag(s) Vt */
    Mat us;    /* (m, k) U with column i scaled by s_i, precomputed once */
    double total_energy; /* Σ s_i² = ‖A‖_F² */
} LowRank;

/* Decompose a (copied) and prepare for fast rebuilds. */
int lowrank_init(LowRank *lr, const Mat *a, Status *st);
void lowrank_free(LowRank *lr);

/* out (m × n) = A_k, 0 <= k <= min(m, n). Fast path: one sgemm. */
int lowrank_rebuild(Mat *out, const LowRank *lr, int k, Status *st);
/* The same by three plain loops over U, s, Vt; used by the tests. */
void lowrank_rebuild_ref(Mat *out, const Svd *svd, int k);

/* Fraction of Σ s_i² held by the first k values (1 when all are zero). */
double lowrank_energy(const float *s, int n, int k);
/* sqrt(Σ_{i≥k} s_i²): the Eckart–Young error of the best rank-k matrix. */
double lowrank_tail_norm(const float *s, int n, int k);

/* Numbers stored for a rank-k factorisation of an m × n matrix: k(m + n + 1)
 * (k columns of U, k rows of Vᵀ and k singular values), against m·n. */
long long lowrank_storage(int m, int n, int k);

/* Everything the CLI and the lesson show for one rank. */
typedef struct LowRankStats {
    int k;
    double energy;          /* Σ_{i<k} s_i² / Σ s_i² */
    double relative_error;  /* ‖A − A_k‖_F / ‖A‖_F, from the singular values */
    double tail_norm;       /* sqrt(Σ_{i≥k} s_i²) */
    long long storage;      /* k(m + n + 1) */
    long long full_storage; /* m·n */
    double compression;     /* full_storage / storage (0 when k = 0) */
} LowRankStats;

LowRankStats lowrank_stats(const LowRank *lr, int k);

#endif
