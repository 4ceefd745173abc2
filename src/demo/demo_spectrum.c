/* demo_spectrum.c — random versus low-rank-plus-noise spectra. */
#include "demo_spectrum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"
#include "../core/lowrank.h"

int spectrum_demo_init(SpectrumDemo *d, const SpectrumParams *p, Status *st)
{
    memset(d, 0, sizeof *d);
    return spectrum_demo_update(d, p, st);
}

static void fill_normal(Mat *m, Rng *rng, float scale)
{
    for (int i = 0; i < m->rows; i++)
        for (int j = 0; j < m->cols; j++) MAT_AT(m, i, j) = scale * rng_normal(rng);
}

int spectrum_demo_update(SpectrumDemo *d, const SpectrumParams *p, Status *st)
{
    SpectrumParams q = *p;
    if (q.size < 2) q.size = 2;
    if (q.size > 512) q.size = 512;
    if (q.rank < 1) q.rank = 1;
    if (q.rank > q.size) q.rank = q.size;
    if (!(q.noise >= 0)) q.noise = 0;
    int n = q.size, r = q.rank, rc;
    Mat g = {0}, x = {0}, y = {0}, l = {0};
    float *rs = NULL, *ls = NULL;
    Rng rng;
    rng_seed(&rng, q.seed);
    if ((rc = mat_init(&g, n, n, st)) || (rc = mat_init(&x, n, r, st)) ||
        (rc = mat_init(&y, r, n, st)) || (rc = mat_init(&l, n, n, st)))
        goto done;
    rs = malloc((size_t)n * sizeof *rs);
    ls = malloc((size_t)n * sizeof *ls);
    if (!rs || !ls) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory for %d x %d spectra", n, n);
        goto done;
    }
    fill_normal(&g, &rng, 1.0f);
    fill_normal(&x, &rng, 1.0f);
    fill_normal(&y, &rng, 1.0f);
    /* L = X·Y / sqrt(r): entries of X·Y have variance r. */
    if ((rc = linalg_gemm(&l, &x, false, &y, false, 1.0f / sqrtf((float)r), 0.0f, st))) goto done;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) MAT_AT(&l, i, j) += (float)q.noise * rng_normal(&rng);
    if ((rc = svd_values(rs, &g, st)) || (rc = svd_values(ls, &l, st))) goto done;

    free(d->res.random_s);
    free(d->res.lowrank_s);
    d->p = q;
    SpectrumResult *res = &d->res;
    res->n = n;
    res->random_s = rs;
    res->lowrank_s = ls;
    rs = ls = NULL;
    res->random_energy_r = lowrank_energy(res->random_s, n, r);
    res->lowrank_energy_r = lowrank_energy(res->lowrank_s, n, r);
    res->random_rank =
        rank_from_values(res->random_s, n, rank_default_tolerance(res->random_s, n, n, n));
    res->lowrank_rank =
        rank_from_values(res->lowrank_s, n, rank_default_tolerance(res->lowrank_s, n, n, n));
    /* The largest singular value of an n × n noise matrix is about
     * 2·noise·sqrt(n): values above that edge are signal. */
    res->lowrank_rank_at_noise =
        q.noise > 0 ? rank_from_values(res->lowrank_s, n, (float)(2.0 * q.noise * sqrt(n)))
                    : res->lowrank_rank;
done:
    free(rs);
    free(ls);
    mat_free(&g);
    mat_free(&x);
    mat_free(&y);
    mat_free(&l);
    return rc;
}

void spectrum_demo_free(SpectrumDemo *d)
{
    if (!d) return;
    free(d->res.random_s);
    free(d->res.lowrank_s);
    memset(d, 0, sizeof *d);
}
