/* demo_spectrum.h — lesson 2: what the singular values of real data look like.
 *
 * Two size × size matrices with entries of standard deviation about 1:
 *   random      G with independent N(0, 1) entries — its singular values
 *               fall off slowly (the quarter-circle law): no small rank
 *               captures it;
 *   low rank    L = X·Y / sqrt(r) + noise·N(0, 1), X (size × r), Y (r × size):
 *               r large singular values, then a floor set by the noise.
 * Weight updates in fine-tuning look like the second, which is why LoRA's
 * small r suffices. Both spectra, their energy in the top r values and the
 * numerical rank (NumPy's tolerance) are returned. */
#ifndef LS_DEMO_SPECTRUM_H
#define LS_DEMO_SPECTRUM_H

#include <stdint.h>

#include "../base/status.h"

typedef struct SpectrumParams {
    int size;      /* 2..512 */
    int rank;      /* 1..size */
    double noise;  /* >= 0 */
    uint64_t seed;
} SpectrumParams;

typedef struct SpectrumResult {
    int n;                   /* values per spectrum (= size) */
    float *random_s;         /* (n) descending */
    float *lowrank_s;        /* (n) descending */
    double random_energy_r;  /* share of Σσ² in the top `rank` values */
    double lowrank_energy_r;
    int random_rank;         /* numerical rank, NumPy tolerance */
    int lowrank_rank;
    int lowrank_rank_at_noise; /* values above the noise edge 2·noise·sqrt(size) */
} SpectrumResult;

typedef struct SpectrumDemo {
    SpectrumParams p;
    SpectrumResult res;
} SpectrumDemo;

int spectrum_demo_init(SpectrumDemo *d, const SpectrumParams *p, Status *st);
/* Recompute for new parameters (size and rank are clamped). */
int spectrum_demo_update(SpectrumDemo *d, const SpectrumParams *p, Status *st);
void spectrum_demo_free(SpectrumDemo *d);

#endif
