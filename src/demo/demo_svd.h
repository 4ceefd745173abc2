/* demo_svd.h — lesson 2: a photograph rebuilt from its top k singular values.
 *
 * The image A (m × n, gray levels in [0, 1]) is decomposed once,
 * A = U diag(σ) Vᵀ. Each rank k is then one sgemm: A_k = U_k diag(σ_k) V_kᵀ.
 * The demo reports what the lesson talks about:
 *   energy captured   Σ_{i<k} σ_i² / Σ σ_i²
 *   relative error    ‖A − A_k‖_F / ‖A‖_F
 *   storage           k(m + n + 1) numbers against m·n, and their ratio
 *   Eckart–Young      ‖A − A_k‖_F measured on the rebuilt pixels equals
 *                     sqrt(Σ_{i≥k} σ_i²) from the spectrum; both are kept so
 *                     the screen can show the two numbers side by side.
 * Params in, a plain result out; no curses, no drawing. */
#ifndef LS_DEMO_SVD_H
#define LS_DEMO_SVD_H

#include "../core/lowrank.h"

typedef struct SvdDemoResult {
    int m, n;             /* image size */
    int k, k_max;         /* current rank, min(m, n) */
    LowRankStats stats;   /* energy, relative error, storage, compression */
    double err_measured;  /* ‖A − A_k‖_F computed from the rebuilt image */
    double err_predicted; /* sqrt(Σ_{i≥k} σ_i²), Eckart–Young */
    double norm_a;        /* ‖A‖_F */
    double max_pixel_err; /* largest |A − A_k| over the pixels */
    const float *s;       /* (k_max) singular values, descending (borrowed) */
} SvdDemoResult;

typedef struct SvdDemo {
    Mat original;   /* (m, n) the image */
    LowRank lr;     /* its SVD, computed once */
    Mat approx;     /* (m, n) A_k */
    Mat error;      /* (m, n) A − A_k */
    SvdDemoResult res;
    char note[160]; /* "" or how a large image was shrunk (demo_image.h) */
} SvdDemo;

/* Load an image (PGM/PNG; a large one shrunk, see demo_image.h) and
 * decompose it; then set rank k (clamped). */
int svd_demo_init_image(SvdDemo *d, const char *path, int k, Status *st);
/* The same from a matrix already in memory (copied). */
int svd_demo_init_mat(SvdDemo *d, const Mat *a, int k, Status *st);
/* Rebuild at rank k (clamped to 1..k_max): one sgemm plus two passes over
 * the pixels for the measured error and the error image. */
int svd_demo_set_rank(SvdDemo *d, int k, Status *st);
void svd_demo_free(SvdDemo *d);

#endif
