/* analysis.h — what the tuned weights say about low rank.
 *
 * Three measurements from the LoRA paper (Hu et al. 2021, §7), on the lab's
 * real runs:
 *
 *  1. The spectrum of full tuning's update. ΔW = W_tuned − W_base of every
 *     matrix (c_attn split into its q, k, v thirds, attn.c_proj, mlp.c_fc,
 *     mlp.c_proj), its singular values σ_1 ≥ σ_2 ≥ …, and the smallest rank
 *     holding 90 % and 99 % of its energy Σσ² — how low-rank a full update
 *     already is.
 *
 *  2. Subspace similarity between two LoRA runs of ranks r1 < r2 (§7.2):
 *       φ(A1, A2, i, j) = ‖U1_iᵀ U2_j‖²_F / min(i, j)  ∈ [0, 1]
 *     where U_i are the first i right singular vectors of A (r, in), i.e.
 *     the input directions the adapter reads. φ near 1 for small i, j means
 *     the top directions learned at rank r1 are also found at rank r2.
 *
 *  3. The amplification factor (§7.3): with U, V the top-r left and right
 *     singular vectors of ΔW,
 *       ‖ΔW‖_F / ‖Uᵀ W V‖_F
 *     — how strongly ΔW amplifies directions that W itself barely uses.
 *     For comparison ‖Uᵀ W V‖_F is also given for W's own top-r singular
 *     directions (large) and for random orthonormal directions.
 *
 * All matrices are taken in the model's (in, out) layout; the norms above
 * do not depend on the orientation. */
#ifndef LS_ANALYSIS_H
#define LS_ANALYSIS_H

#include <stddef.h>

#include "../base/status.h"
#include "lab.h"

/* Smallest k with Σ_{i<k} s_i² >= frac Σ s_i² (s descending). */
int analysis_energy_rank(const float *s, int n, double frac);

/* phi (r1, r2): phi[(i-1) r2 + (j-1)] = φ(A1, A2, i, j) for A1 (r1, in),
 * A2 (r2, in). */
int analysis_subspace_similarity(float *phi, const float *A1, int r1, const float *A2, int r2,
                                 int in, Status *st);

typedef struct Amplification {
    int r;              /* directions used */
    double delta_norm;  /* ‖ΔW‖_F */
    double proj;        /* ‖Uᵀ W V‖_F with U, V from ΔW */
    double factor;      /* delta_norm / proj */
    double proj_top;    /* the same with W's own top-r singular vectors */
    double proj_random; /* the same with random orthonormal directions */
} Amplification;

/* W and dW (in, cols), W with row stride ldw. */
int analysis_amplification(Amplification *out, const float *W, int ldw, const float *dW, int in,
                           int cols, int r, unsigned long long seed, Status *st);

/* One adapted / updated matrix of one layer. */
typedef struct DeltaSpectrum {
    char name[48]; /* "h.0.q", "h.2.mlp.c_fc" */
    int layer;
    int in, out;
    int k;                 /* singular values */
    float *sigma;          /* (k) owned */
    double frobenius;      /* ‖ΔW‖_F */
    double base_frobenius; /* ‖W‖_F */
    int rank90, rank99;
} DeltaSpectrum;

typedef struct SubspaceSim {
    char name[48]; /* "h.0.q" */
    float *phi;    /* (r1, r2) owned */
} SubspaceSim;

typedef struct AmplificationRow {
    int method;    /* index in the lab */
    char name[48]; /* "h.0.q" */
    Amplification amp;
} AmplificationRow;

typedef struct LabAnalysis {
    int full_method;        /* the full-tuning run analysed (-1: none) */
    DeltaSpectrum *spectra; /* (n_spectra) */
    int n_spectra;
    int small_method, large_method; /* the LoRA runs compared (-1: none) */
    int r_small, r_large;
    int sim_in;        /* input width of the compared A's (random: φ ≈ max(i,j)/sim_in) */
    SubspaceSim *sims; /* (n_sims) one per layer and module */
    int n_sims;
    AmplificationRow *amps; /* (n_amps) per LoRA run, layer and module */
    int n_amps;
} LabAnalysis;

/* Analyse the lab's finished runs (diverged ones are skipped; PiSSA runs
 * are left out of 2 and 3, whose base they changed). */
int lab_analyze(LabAnalysis *a, Lab *lab, Status *st);
void lab_analysis_free(LabAnalysis *a);

#endif
