/* quant_data.c — data for the quantization demos: a histogram to draw the
 * weights (with the quantization levels over it), and seeded Gaussian
 * weights with optional outliers (see quant.h).
 *
 * Why outliers: trained LLM layers hold a few weights many standard
 * deviations out. One of them sets the absmax, and so the scale, of its
 * whole group; with one scale per tensor every other weight then gets a
 * coarser grid, which is the case for per-row and per-block scales. */
#include "quant.h"

#include <math.h>
#include <string.h>

#include "../base/rng.h"

size_t quant_histogram(size_t *counts, int bins, float lo, float hi, const float *x, size_t n)
{
    if (bins < 1) return n;
    memset(counts, 0, (size_t)bins * sizeof(size_t));
    size_t skipped = 0;
    double width = ((double)hi - (double)lo) / bins;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (!(v >= lo && v <= hi)) { /* also NaN */
            skipped++;
            continue;
        }
        int b = width > 0 ? (int)(((double)v - lo) / width) : 0;
        counts[b < bins ? b : bins - 1]++;
    }
    return skipped;
}

void quant_range(float *lo, float *hi, const float *x, size_t n)
{
    float a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            a = x[i] < a ? x[i] : a;
            b = x[i] > b ? x[i] : b;
        }
    *lo = a <= b ? a : 0.0f;
    *hi = a <= b ? b : 0.0f;
}

void quant_gaussian_shape(size_t n, int *rows, int *cols)
{
    if (n >= 256 && n % 256 == 0) {
        *rows = (int)(n / 256);
        *cols = 256;
        return;
    }
    size_t r = (size_t)sqrt((double)n);
    while (r > 1 && n % r)
        r--;
    if (r == 0) r = 1;
    *rows = n ? (int)r : 0;
    *cols = n ? (int)(n / r) : 0;
}

int quant_make_gaussian(float *w, size_t n, float std, size_t outliers, uint64_t seed, Status *st)
{
    if (!(std >= 0.0f && std <= 1e30f))
        return status_fail(st, LS_ERR_RANGE, "standard deviation %g is out of range", (double)std);
    if (outliers > n)
        return status_fail(st, LS_ERR_RANGE, "%zu outliers do not fit in %zu weights", outliers, n);
    if (n > UINT32_MAX) return status_fail(st, LS_ERR_RANGE, "too many weights (%zu)", n);
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        w[i] = std * rng_normal(&r);
    /* Outliers are at least 10 std from 0 and a Gaussian draw practically
     * never is, so |w| >= 10 std marks a position already taken. */
    for (size_t k = 0; k < outliers; k++) {
        size_t i;
        do
            i = rng_below(&r, (uint32_t)n);
        while (fabsf(w[i]) >= 10.0f * std && std > 0);
        float mag = (10.0f + 10.0f * rng_uniform(&r)) * std;
        w[i] = (rng_u32(&r) & 1) ? -mag : mag;
    }
    return LS_OK;
}
