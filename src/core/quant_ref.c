/* quant_ref.c — the reference twin of quantize + dequantize (see quant.h).
 *
 * Written apart from quant.c on purpose: plain loops over rows and blocks,
 * each group's statistics found again here, the formulas of quant.h applied
 * value by value, no stored form, no packing, no vector-friendly tricks. The
 * tests require the fast path to give the same floats bit for bit, so a slip
 * in grouping, padding, packing or rounding in either shows up. The
 * arithmetic (which products are taken in double, where fp16 rounds the
 * scale) is the same on both sides, since that is the definition. */
#include "quant.h"

#include <math.h>
#include <stdlib.h>

#include "numfmt.h"

/* Integer scheme on one group of len weights (x → y). */
static void int_group_ref(float *y, const float *x, int len, int bits, bool asymmetric)
{
    float scale;
    int zero, lo, hi;
    if (!asymmetric) {
        float amax = 0.0f;
        for (int j = 0; j < len; j++)
            if (fabsf(x[j]) > amax) amax = fabsf(x[j]);
        int qmax = (1 << (bits - 1)) - 1;
        scale = amax / (float)qmax;
        zero = 1 << (bits - 1);
        lo = zero - qmax;
        hi = zero + qmax;
    } else {
        float mn = 0.0f, mx = 0.0f;
        for (int j = 0; j < len; j++) {
            if (x[j] < mn) mn = x[j];
            if (x[j] > mx) mx = x[j];
        }
        lo = 0;
        hi = (1 << bits) - 1;
        scale = (float)(((double)mx - (double)mn) / hi);
        zero = 0;
        if (scale > 0) {
            double z = nearbyint(-(double)mn * (1.0 / (double)scale));
            zero = z < 0 ? 0 : z > hi ? hi : (int)z;
        }
    }
    for (int j = 0; j < len; j++) {
        double q = scale != 0.0f ? nearbyint((double)x[j] * (1.0 / (double)scale)) + zero : zero;
        if (q < lo) q = lo;
        if (q > hi) q = hi;
        y[j] = (float)((int)q - zero) * scale;
    }
}

int quant_roundtrip_ref(float *out, const QuantConfig *cfg, const float *w, int rows, int cols,
                        Status *st)
{
    int rc = quant_config_check(cfg, st);
    if (rc) return rc;
    if (rows < 0 || cols < 0 || (size_t)rows * (size_t)cols > QUANT_MAX_WEIGHTS)
        return status_fail(st, LS_ERR_RANGE, "cannot quantize a %d x %d matrix", rows, cols);
    size_t n = (size_t)rows * (size_t)cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return status_fail(st, LS_ERR_RANGE, "weight (%zu, %zu) is not finite",
                               i / (size_t)cols + 1, i % (size_t)cols + 1);
    if (n == 0) return LS_OK;

    if (cfg->kind == QUANT_INT) {
        if (cfg->granularity == QUANT_PER_TENSOR) {
            int_group_ref(out, w, (int)n, cfg->bits, cfg->asymmetric);
            return LS_OK;
        }
        int B = cfg->granularity == QUANT_PER_BLOCK ? cfg->block : cols;
        for (int r = 0; r < rows; r++)
            for (int j0 = 0; j0 < cols; j0 += B) {
                size_t at = (size_t)r * cols + j0;
                int_group_ref(out + at, w + at, cols - j0 < B ? cols - j0 : B, cfg->bits,
                              cfg->asymmetric);
            }
        return LS_OK;
    }

    const NumFormat *fp16 = numfmt_get(NUMFMT_FP16);
    const float *levels = quant_nf4_levels();
    float mid[15];
    for (int k = 0; k < 15; k++)
        mid[k] = (levels[k] + levels[k + 1]) * 0.5f;
    int B = cfg->block;
    size_t per_row = ((size_t)cols + B - 1) / B, G = (size_t)rows * per_row;
    float *absmax = malloc(G * sizeof(float) + 1);
    if (!absmax) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int r = 0; r < rows; r++)
        for (int j0 = 0; j0 < cols; j0 += B) {
            int len = cols - j0 < B ? cols - j0 : B;
            const float *x = w + (size_t)r * cols + j0;
            float *y = out + (size_t)r * cols + j0;
            float amax = 0.0f, m = 0.0f; /* m: the weight of largest magnitude, signed */
            for (int j = 0; j < len; j++)
                if (fabsf(x[j]) > amax) {
                    amax = fabsf(x[j]);
                    m = x[j];
                }
            absmax[(size_t)r * per_row + (size_t)(j0 / B)] = amax;
            if (cfg->kind == QUANT_Q8_0) {
                float d = amax / 127.0f, d16 = numfmt_round(fp16, d);
                for (int j = 0; j < len; j++) {
                    int q = d != 0.0f ? (int)round((double)x[j] * (1.0 / (double)d)) : 0;
                    y[j] = (float)q * d16;
                }
            } else if (cfg->kind == QUANT_Q4_0) {
                float d = m / -8.0f, d16 = numfmt_round(fp16, d);
                for (int j = 0; j < len; j++) {
                    int c = d != 0.0f ? (int)floor((double)x[j] * (1.0 / (double)d) + 8.5) : 8;
                    if (c > 15) c = 15;
                    y[j] = (float)(c - 8) * d16;
                }
            } else { /* NF4: the nearest level now, times the block's scale below */
                for (int j = 0; j < len; j++) {
                    float v = amax != 0.0f ? (float)((double)x[j] * (1.0 / (double)amax)) : 0.0f;
                    int k = 0;
                    while (k < 15 && v > mid[k])
                        k++;
                    y[j] = levels[k];
                }
            }
        }
    if (cfg->kind == QUANT_NF4_DQ) { /* absmax − mean in int8, blocks of 256 */
        double sum = 0.0;
        for (size_t g = 0; g < G; g++)
            sum += absmax[g];
        float mean = (float)(sum / (double)G);
        for (size_t g0 = 0; g0 < G; g0 += QK_NF4_DQ2) {
            size_t g1 = g0 + QK_NF4_DQ2 < G ? g0 + QK_NF4_DQ2 : G;
            float cmax = 0.0f;
            for (size_t g = g0; g < g1; g++)
                if (fabsf(absmax[g] - mean) > cmax) cmax = fabsf(absmax[g] - mean);
            float s = cmax / 127.0f;
            for (size_t g = g0; g < g1; g++) {
                double q = s != 0.0f ? nearbyint((double)(absmax[g] - mean) * (1.0 / s)) : 0.0;
                q = fmin(127.0, fmax(-127.0, q));
                absmax[g] = (float)q * s + mean;
            }
        }
    }
    if (cfg->kind == QUANT_NF4 || cfg->kind == QUANT_NF4_DQ)
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                out[(size_t)r * cols + j] *= absmax[(size_t)r * per_row + (size_t)(j / B)];
    free(absmax);
    return LS_OK;
}
