/* quant.c — integer, ggml and NF4 quantization of weight matrices, and what
 * it costs (see quant.h for the formulas).
 *
 * Every scheme is a row of the traits table below: its fixed code width and
 * block, the bytes a block takes, and a quantize/dequantize pair working on
 * a QuantTensor. Groups (the weights that share a scale) are described by
 * an offset and a length into the row-major matrix, so one loop shape
 * serves per-tensor, per-row and per-block alike. The reference twin is in
 * quant_ref.c, the demo data helpers (histogram, Gaussian weights) in
 * quant_data.c. */
#include "quant.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/* ---------------------------------------------------------------------------
 * NF4 levels
 *
 * QLoRA's NormalFloat4: 8 quantiles of N(0, 1) for the positive half and 7
 * for the negative half, normalised to [−1, 1], plus an exact zero (Dettmers
 * et al. 2023, Appendix E, to 7 digits; here the float32 values bitsandbytes
 * ships). A weight w/absmax goes to the nearest level, i.e. to level k when
 * it lies above exactly k of the 15 midpoints between neighbours. */

static const float nf4_table[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

/* Midpoints between neighbouring levels. */
#define MID(a, b) (((a) + (b)) * 0.5f)
static const float nf4_mid[15] = {
    MID(-1.0f, -0.6961928009986877f),
    MID(-0.6961928009986877f, -0.5250730514526367f),
    MID(-0.5250730514526367f, -0.39491748809814453f),
    MID(-0.39491748809814453f, -0.28444138169288635f),
    MID(-0.28444138169288635f, -0.18477343022823334f),
    MID(-0.18477343022823334f, -0.09105003625154495f),
    MID(-0.09105003625154495f, 0.0f),
    MID(0.0f, 0.07958029955625534f),
    MID(0.07958029955625534f, 0.16093020141124725f),
    MID(0.16093020141124725f, 0.24611230194568634f),
    MID(0.24611230194568634f, 0.33791524171829224f),
    MID(0.33791524171829224f, 0.44070982933044434f),
    MID(0.44070982933044434f, 0.5626170039176941f),
    MID(0.5626170039176941f, 0.7229568362236023f),
    MID(0.7229568362236023f, 1.0f),
};
#undef MID

const float *quant_nf4_levels(void)
{
    return nf4_table;
}

/* ---------------------------------------------------------------------------
 * Rounding helpers (all in double: a float scale as small as a subnormal
 * still has a finite reciprocal there) */

/* Round to nearest, ties to even, for |v| < 2^51: adding 1.5·2^52 leaves no
 * fraction bits, so the FPU's own rounding does the work. */
static inline double rne(double v)
{
    const double magic = 6755399441055744.0; /* 1.5 · 2^52 */
    return (v + magic) - magic;
}

/* Round half away from zero (C's roundf, which ggml uses); v + 0.5 is exact
 * in double for the small v seen here. */
static inline int round_away(double v)
{
    return (int)(v + copysign(0.5, v));
}

static inline double recip(float s)
{
    return s != 0.0f ? 1.0 / (double)s : 0.0;
}

/* ---------------------------------------------------------------------------
 * Buffers */

enum {
    BUF_CODES,
    BUF_ZERO,
    BUF_SCALE,
    BUF_Q8,
    BUF_Q4,
    BUF_NIBBLES,
    BUF_ABSMAX_Q,
    BUF_ABSMAX_SCALE
};

void quant_tensor_init(QuantTensor *qt)
{
    *qt = (QuantTensor){0};
}

void quant_tensor_free(QuantTensor *qt)
{
    if (!qt) return;
    free(qt->codes);
    free(qt->zero);
    free(qt->scale);
    free(qt->q8);
    free(qt->q4);
    free(qt->nibbles);
    free(qt->absmax_q);
    free(qt->absmax_scale);
    *qt = (QuantTensor){0};
}

/* p grown to hold at least count elements of size bytes, or NULL (p is then
 * untouched). The old buffer is kept when it is big enough, so the slider
 * path allocates only when the matrix grows. */
static void *grow(void *p, size_t *cap, size_t count, size_t size)
{
    if (count <= *cap && p) return p;
    void *q = realloc(p, (count ? count : 1) * size);
    if (q) *cap = count;
    return q;
}

#define RESERVE(qt, field, slot, count, size, st)                                                  \
    do {                                                                                           \
        void *p_ = grow((qt)->field, &(qt)->cap[slot], (count), (size));                           \
        if (!p_)                                                                                   \
            return status_fail((st), LS_ERR_NOMEM, "out of memory for %zu quantized values",       \
                               (size_t)(count));                                                   \
        (qt)->field = p_;                                                                          \
    } while (0)

/* ---------------------------------------------------------------------------
 * Groups */

/* Offset and length of group g within the row-major matrix. */
static void group_span(const QuantTensor *qt, size_t g, size_t *off, int *len)
{
    if (qt->blocks_per_row == 0) { /* per tensor */
        *off = 0;
        *len = qt->rows * qt->cols;
        return;
    }
    size_t r = g / (size_t)qt->blocks_per_row;
    int b = (int)(g % (size_t)qt->blocks_per_row);
    int j0 = b * qt->block;
    *off = r * (size_t)qt->cols + (size_t)j0;
    *len = qt->cols - j0 < qt->block ? qt->cols - j0 : qt->block;
}

size_t quant_group_of(const QuantTensor *qt, int row, int col)
{
    if (qt->blocks_per_row == 0) return 0;
    return (size_t)row * (size_t)qt->blocks_per_row + (size_t)(col / qt->block);
}

/* ---------------------------------------------------------------------------
 * Integer schemes */

/* Codes run from lo to hi; the code z stands for 0. */
typedef struct IntGrid {
    float scale;
    int zero, lo, hi;
} IntGrid;

static IntGrid int_grid(const float *x, int len, int bits, bool asymmetric)
{
    IntGrid g;
    if (!asymmetric) {
        float amax = 0.0f;
        for (int j = 0; j < len; j++) {
            float a = fabsf(x[j]);
            amax = a > amax ? a : amax;
        }
        int qmax = (1 << (bits - 1)) - 1; /* 127 for 8 bits, 1 for 2 */
        g.zero = 1 << (bits - 1);
        g.lo = g.zero - qmax;
        g.hi = g.zero + qmax;
        g.scale = amax / (float)qmax;
    } else {
        float lo = 0.0f, hi = 0.0f; /* start at 0 so that 0 is a level */
        for (int j = 0; j < len; j++) {
            lo = x[j] < lo ? x[j] : lo;
            hi = x[j] > hi ? x[j] : hi;
        }
        g.lo = 0;
        g.hi = (1 << bits) - 1;
        g.scale = (float)(((double)hi - (double)lo) / g.hi);
        double z = g.scale > 0 ? rne(-(double)lo * recip(g.scale)) : 0.0;
        g.zero = (int)(z < 0 ? 0 : z > g.hi ? g.hi : z);
    }
    return g;
}

/* code = clamp(round(w / s) + z, lo, hi) */
static inline int int_code(float w, double inv, const IntGrid *g)
{
    double v = rne((double)w * inv) + g->zero;
    v = v < g->lo ? g->lo : v;
    v = v > g->hi ? g->hi : v;
    return (int)v;
}

static void int_quantize(QuantTensor *qt, const float *w)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        IntGrid grid = int_grid(w + off, len, qt->cfg.bits, qt->cfg.asymmetric);
        double inv = recip(grid.scale);
        uint8_t *q = qt->codes + off;
        const float *x = w + off;
        for (int j = 0; j < len; j++)
            q[j] = (uint8_t)int_code(x[j], inv, &grid);
        qt->scale[g] = grid.scale;
        qt->zero[g] = (uint8_t)grid.zero;
    }
}

static void int_dequantize(float *out, const QuantTensor *qt)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        float s = qt->scale[g];
        int z = qt->zero[g];
        const uint8_t *q = qt->codes + off;
        for (int j = 0; j < len; j++)
            out[off + j] = (float)((int)q[j] - z) * s;
    }
}

/* ---------------------------------------------------------------------------
 * ggml Q8_0 and Q4_0 (blocks along each row; a short last block is padded
 * with zeros) */

static void q8_0_block(BlockQ8_0 *b, const float *x, int len)
{
    float amax = 0.0f;
    for (int j = 0; j < len; j++) {
        float a = fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    float d = amax / 127.0f;
    double id = recip(d); /* ggml rounds with the fp32 d, stores d as fp16 */
    b->d = numfmt_fp16_from_fp32(d);
    double v[QK8_0] = {0};
    for (int j = 0; j < len; j++)
        v[j] = (double)x[j] * id;
    for (int j = 0; j < QK8_0; j++)
        b->qs[j] = (int8_t)round_away(v[j]);
}

/* Q4_0 scales by the signed extreme m with d = m/−8, so m itself lands on
 * code 0 (level −8·d = m) and the 16th level is spent on m's side. */
static void q4_0_block(BlockQ4_0 *b, const float *x, int len)
{
    float amax = 0.0f, m = 0.0f;
    for (int j = 0; j < len; j++)
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            m = x[j];
        }
    float d = m / -8.0f;
    double id = recip(d);
    b->d = numfmt_fp16_from_fp32(d);
    for (int j = 0; j < QK4_0 / 2; j++) {
        double x0 = j < len ? (double)x[j] * id : 0.0;
        double x1 = j + QK4_0 / 2 < len ? (double)x[j + QK4_0 / 2] * id : 0.0;
        int c0 = (int)(x0 + 8.5), c1 = (int)(x1 + 8.5);
        c0 = c0 > 15 ? 15 : c0;
        c1 = c1 > 15 ? 15 : c1;
        b->qs[j] = (uint8_t)(c0 | (c1 << 4));
    }
}

static void q8_0_quantize(QuantTensor *qt, const float *w)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        q8_0_block(&qt->q8[g], w + off, len);
    }
}

static void q8_0_dequantize(float *out, const QuantTensor *qt)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        float d = numfmt_fp16_to_fp32(qt->q8[g].d);
        for (int j = 0; j < len; j++)
            out[off + j] = (float)qt->q8[g].qs[j] * d;
    }
}

static void q4_0_quantize(QuantTensor *qt, const float *w)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        q4_0_block(&qt->q4[g], w + off, len);
    }
}

static void q4_0_dequantize(float *out, const QuantTensor *qt)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        const BlockQ4_0 *b = &qt->q4[g];
        float d = numfmt_fp16_to_fp32(b->d);
        float full[QK4_0];
        for (int j = 0; j < QK4_0 / 2; j++) {
            full[j] = (float)((b->qs[j] & 15) - 8) * d;
            full[j + QK4_0 / 2] = (float)((b->qs[j] >> 4) - 8) * d;
        }
        memcpy(out + off, full, (size_t)len * sizeof(float));
    }
}

/* ---------------------------------------------------------------------------
 * NF4 and its double quantization */

static float block_absmax(const float *x, int len)
{
    float amax = 0.0f;
    for (int j = 0; j < len; j++) {
        float a = fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    return amax;
}

static void nf4_quantize(QuantTensor *qt, const float *w)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        const float *x = w + off;
        float amax = block_absmax(x, len);
        double inv = recip(amax);
        float v[QK_NF4] = {0}; /* a short last block is padded with zeros */
        for (int j = 0; j < len; j++)
            v[j] = (float)((double)x[j] * inv);
        /* code = how many midpoints lie below; midpoint by midpoint over the
         * whole block, so each pass is one vector compare */
        int32_t codes[QK_NF4] = {0};
        for (int i = 0; i < 15; i++)
            for (int j = 0; j < QK_NF4; j++)
                codes[j] += v[j] > nf4_mid[i];
        uint8_t *p = qt->nibbles + g * (QK_NF4 / 2);
        for (int j = 0; j < QK_NF4 / 2; j++)
            p[j] = (uint8_t)(codes[2 * j] << 4 | codes[2 * j + 1]);
        qt->scale[g] = amax;
    }
}

/* Second level (QLoRA's double quantization): c_g = absmax_g − mean, then
 * per block of 256 values a step s = max|c|/127 and codes round(c/s). The
 * 4-bit codes were made with the exact absmax, as bitsandbytes does; only
 * the stored (and so the dequantized) scale changes. */
static void nf4_dq_quantize(QuantTensor *qt, const float *w)
{
    nf4_quantize(qt, w);
    size_t G = qt->n_groups;
    double sum = 0.0;
    for (size_t g = 0; g < G; g++)
        sum += qt->scale[g];
    float mean = G ? (float)(sum / (double)G) : 0.0f;
    qt->absmax_mean = mean;
    for (size_t k = 0; k * QK_NF4_DQ2 < G; k++) {
        size_t g0 = k * QK_NF4_DQ2, g1 = g0 + QK_NF4_DQ2 < G ? g0 + QK_NF4_DQ2 : G;
        float cmax = 0.0f;
        for (size_t g = g0; g < g1; g++) {
            float c = fabsf(qt->scale[g] - mean);
            cmax = c > cmax ? c : cmax;
        }
        float s = cmax / 127.0f;
        double inv = recip(s);
        qt->absmax_scale[k] = s;
        for (size_t g = g0; g < g1; g++) {
            double q = rne((double)(qt->scale[g] - mean) * inv);
            q = q < -127 ? -127 : q > 127 ? 127 : q;
            qt->absmax_q[g] = (int8_t)q;
            qt->scale[g] = (float)qt->absmax_q[g] * s + mean; /* what dequantization will use */
        }
    }
}

static void nf4_dequantize_with(float *out, const QuantTensor *qt, bool dq)
{
    for (size_t g = 0; g < qt->n_groups; g++) {
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        float amax =
            dq ? (float)qt->absmax_q[g] * qt->absmax_scale[g / QK_NF4_DQ2] + qt->absmax_mean
               : qt->scale[g];
        const uint8_t *p = qt->nibbles + g * (QK_NF4 / 2);
        float full[QK_NF4];
        for (int j = 0; j < QK_NF4 / 2; j++) {
            full[2 * j] = nf4_table[p[j] >> 4] * amax;
            full[2 * j + 1] = nf4_table[p[j] & 15] * amax;
        }
        memcpy(out + off, full, (size_t)len * sizeof(float));
    }
}

static void nf4_dequantize(float *out, const QuantTensor *qt)
{
    nf4_dequantize_with(out, qt, false);
}
static void nf4_dq_dequantize(float *out, const QuantTensor *qt)
{
    nf4_dequantize_with(out, qt, true);
}

/* ---------------------------------------------------------------------------
 * Buffers each stored form needs (n weights, G groups) */

static int int_reserve(QuantTensor *qt, size_t n, size_t G, Status *st)
{
    RESERVE(qt, codes, BUF_CODES, n, 1, st);
    RESERVE(qt, zero, BUF_ZERO, G, 1, st);
    RESERVE(qt, scale, BUF_SCALE, G, sizeof(float), st);
    return LS_OK;
}

static int q8_0_reserve(QuantTensor *qt, size_t n, size_t G, Status *st)
{
    (void)n;
    RESERVE(qt, q8, BUF_Q8, G, sizeof(BlockQ8_0), st);
    return LS_OK;
}

static int q4_0_reserve(QuantTensor *qt, size_t n, size_t G, Status *st)
{
    (void)n;
    RESERVE(qt, q4, BUF_Q4, G, sizeof(BlockQ4_0), st);
    return LS_OK;
}

static int nf4_reserve(QuantTensor *qt, size_t n, size_t G, Status *st)
{
    (void)n;
    RESERVE(qt, nibbles, BUF_NIBBLES, G, QK_NF4 / 2, st);
    RESERVE(qt, scale, BUF_SCALE, G, sizeof(float), st);
    return LS_OK;
}

static int nf4_dq_reserve(QuantTensor *qt, size_t n, size_t G, Status *st)
{
    RESERVE(qt, absmax_q, BUF_ABSMAX_Q, G, 1, st);
    RESERVE(qt, absmax_scale, BUF_ABSMAX_SCALE, (G + QK_NF4_DQ2 - 1) / QK_NF4_DQ2, sizeof(float),
            st);
    return nf4_reserve(qt, n, G, st);
}

/* ---------------------------------------------------------------------------
 * Steps and levels of one group (levels into tmp[256], in code order) */

static float int_step(const QuantTensor *qt, size_t g)
{
    return qt->scale[g];
}
static float q8_0_step(const QuantTensor *qt, size_t g)
{
    return numfmt_fp16_to_fp32(qt->q8[g].d);
}
static float q4_0_step(const QuantTensor *qt, size_t g)
{
    return fabsf(numfmt_fp16_to_fp32(qt->q4[g].d));
}
static float nf4_step(const QuantTensor *qt, size_t g)
{
    return qt->scale[g];
}

static int int_levels(float *tmp, const QuantTensor *qt, size_t g)
{
    int z = qt->zero[g], qmax = (1 << (qt->cfg.bits - 1)) - 1;
    int lo = qt->cfg.asymmetric ? 0 : z - qmax,
        hi = qt->cfg.asymmetric ? (1 << qt->cfg.bits) - 1 : z + qmax;
    int n = 0;
    for (int c = lo; c <= hi; c++)
        tmp[n++] = (float)(c - z) * qt->scale[g];
    return n;
}

static int q8_0_levels(float *tmp, const QuantTensor *qt, size_t g)
{
    float d = numfmt_fp16_to_fp32(qt->q8[g].d);
    int n = 0;
    for (int q = -127; q <= 127; q++)
        tmp[n++] = (float)q * d;
    return n;
}

static int q4_0_levels(float *tmp, const QuantTensor *qt, size_t g)
{
    float d = numfmt_fp16_to_fp32(qt->q4[g].d);
    for (int c = 0; c < 16; c++)
        tmp[c] = (float)(c - 8) * d;
    return 16;
}

static int nf4_levels(float *tmp, const QuantTensor *qt, size_t g)
{
    for (int k = 0; k < 16; k++)
        tmp[k] = nf4_table[k] * qt->scale[g];
    return 16;
}

/* ---------------------------------------------------------------------------
 * The traits table */

typedef struct KindTraits {
    const char *name;   /* scheme name (the int scheme is named by its bits) */
    int bits, block;    /* fixed code width and block (0: chosen by the config) */
    size_t block_bytes; /* bytes per block of the stored form (0: computed) */
    int (*reserve)(QuantTensor *qt, size_t n, size_t groups, Status *st);
    void (*quantize)(QuantTensor *qt, const float *w);
    void (*dequantize)(float *out, const QuantTensor *qt);
    float (*step)(const QuantTensor *qt, size_t g);
    int (*levels)(float *tmp, const QuantTensor *qt, size_t g);
    const char *scale_format; /* what stores a scale, for the overflow message */
} KindTraits;

static const KindTraits kinds[QUANT_KIND_COUNT] = {
    [QUANT_INT] = {"int", 0, 0, 0, int_reserve, int_quantize, int_dequantize, int_step, int_levels,
                   "fp32 (largest 3.4e38)"},
    [QUANT_Q8_0] = {"q8_0", 8, QK8_0, sizeof(BlockQ8_0), q8_0_reserve, q8_0_quantize,
                    q8_0_dequantize, q8_0_step, q8_0_levels, "fp16 (largest 65504)"},
    [QUANT_Q4_0] = {"q4_0", 4, QK4_0, sizeof(BlockQ4_0), q4_0_reserve, q4_0_quantize,
                    q4_0_dequantize, q4_0_step, q4_0_levels, "fp16 (largest 65504)"},
    [QUANT_NF4] = {"nf4", 4, QK_NF4, QK_NF4 / 2 + sizeof(float), nf4_reserve, nf4_quantize,
                   nf4_dequantize, nf4_step, nf4_levels, "fp32 (largest 3.4e38)"},
    /* absmax as an int8 code; the per-256 steps and the mean are added in
     * quant_storage_bytes */
    [QUANT_NF4_DQ] = {"nf4-dq", 4, QK_NF4, QK_NF4 / 2 + 1, nf4_dq_reserve, nf4_dq_quantize,
                      nf4_dq_dequantize, nf4_step, nf4_levels, "fp32 (largest 3.4e38)"},
};

/* ---------------------------------------------------------------------------
 * Configurations */

QuantConfig quant_config_int(int bits, QuantGranularity g, int block, bool asymmetric)
{
    return (QuantConfig){.kind = QUANT_INT,
                         .bits = bits,
                         .granularity = g,
                         .block = block,
                         .asymmetric = asymmetric};
}

QuantConfig quant_config_fixed(QuantKind kind)
{
    const KindTraits *t = &kinds[kind];
    return (QuantConfig){.kind = kind,
                         .bits = t->bits,
                         .granularity = QUANT_PER_BLOCK,
                         .block = t->block,
                         .asymmetric = false};
}

int quant_config_parse(QuantConfig *cfg, const char *scheme, Status *st)
{
    for (int k = 1; k < QUANT_KIND_COUNT; k++)
        if (strcmp(scheme, kinds[k].name) == 0) {
            *cfg = quant_config_fixed((QuantKind)k);
            return LS_OK;
        }
    int bits, used = 0;
    if (strncmp(scheme, "int", 3) == 0 && scheme[3] >= '0' && scheme[3] <= '9' &&
        sscanf(scheme + 3, "%d%n", &bits, &used) == 1 && scheme[3 + used] == '\0') {
        if (bits < 2 || bits > 8)
            return status_fail(st, LS_ERR_RANGE, "scheme '%s': integer width must be 2..8 bits",
                               scheme);
        *cfg = quant_config_int(bits, QUANT_PER_TENSOR, 64, false);
        return LS_OK;
    }
    return status_fail(st, LS_ERR_ARG,
                       "unknown scheme '%s' (int2..int8, q8_0, q4_0, nf4 or nf4-dq)", scheme);
}

int quant_config_check(const QuantConfig *cfg, Status *st)
{
    if ((unsigned)cfg->kind >= QUANT_KIND_COUNT)
        return status_fail(st, LS_ERR_ARG, "unknown quantization kind %d", (int)cfg->kind);
    if (cfg->kind != QUANT_INT) {
        QuantConfig fixed = quant_config_fixed(cfg->kind);
        if (cfg->bits != fixed.bits || cfg->block != fixed.block ||
            cfg->granularity != QUANT_PER_BLOCK || cfg->asymmetric)
            return status_fail(st, LS_ERR_ARG, "%s has fixed symmetric blocks of %d weights",
                               kinds[cfg->kind].name, fixed.block);
        return LS_OK;
    }
    if (cfg->bits < 2 || cfg->bits > 8)
        return status_fail(st, LS_ERR_RANGE, "integer width must be 2..8 bits, not %d", cfg->bits);
    if ((unsigned)cfg->granularity >= QUANT_GRANULARITY_COUNT)
        return status_fail(st, LS_ERR_ARG, "unknown granularity %d", (int)cfg->granularity);
    if (cfg->granularity == QUANT_PER_BLOCK && (cfg->block < 1 || cfg->block > QUANT_MAX_WEIGHTS))
        return status_fail(st, LS_ERR_RANGE, "block size must be at least 1, not %d", cfg->block);
    return LS_OK;
}

const char *quant_scheme_name(const QuantConfig *cfg, char *buf, size_t size)
{
    if (cfg->kind == QUANT_INT)
        snprintf(buf, size, "int%d", cfg->bits);
    else
        snprintf(buf, size, "%s",
                 (unsigned)cfg->kind < QUANT_KIND_COUNT ? kinds[cfg->kind].name : "?");
    return buf;
}

static const char *const granularity_names[QUANT_GRANULARITY_COUNT] = {
    [QUANT_PER_TENSOR] = "tensor", [QUANT_PER_ROW] = "row", [QUANT_PER_BLOCK] = "block"};

const char *quant_granularity_name(QuantGranularity g)
{
    return (unsigned)g < QUANT_GRANULARITY_COUNT ? granularity_names[g] : "?";
}

bool quant_granularity_parse(QuantGranularity *g, const char *name)
{
    for (int i = 0; i < QUANT_GRANULARITY_COUNT; i++)
        if (strcmp(name, granularity_names[i]) == 0) {
            *g = (QuantGranularity)i;
            return true;
        }
    return false;
}

/* Group layout of a configuration on a rows × cols matrix. */
static void layout(const QuantConfig *cfg, int rows, int cols, int *block, int *per_row,
                   size_t *groups)
{
    if (cfg->kind == QUANT_INT && cfg->granularity == QUANT_PER_TENSOR) {
        size_t n = (size_t)rows * (size_t)cols;
        *block = n < QUANT_MAX_WEIGHTS ? (int)n : QUANT_MAX_WEIGHTS;
        *per_row = 0;
        *groups = n > 0 ? 1 : 0;
        return;
    }
    int b = cfg->kind == QUANT_INT && cfg->granularity == QUANT_PER_ROW ? cols : cfg->block;
    if (b < 1) b = 1;
    *block = b;
    *per_row = cols > 0 ? (cols + b - 1) / b : 0;
    *groups = (size_t)rows * (size_t)*per_row;
}

int quant_block_used(const QuantConfig *cfg, int cols)
{
    if (cfg->kind == QUANT_INT && cfg->granularity == QUANT_PER_TENSOR) return 0;
    int block, per_row;
    size_t groups;
    layout(cfg, 1, cols, &block, &per_row, &groups);
    return block > cols && cols > 0 ? cols : block;
}

size_t quant_storage_bytes(const QuantConfig *cfg, int rows, int cols)
{
    int block, per_row;
    size_t groups;
    layout(cfg, rows, cols, &block, &per_row, &groups);
    size_t n = (size_t)rows * (size_t)cols;
    if (cfg->kind == QUANT_INT)
        return (n * (size_t)cfg->bits + 7) / 8 + groups * sizeof(float) +
               (cfg->asymmetric ? groups : 0);
    size_t bytes = groups * kinds[cfg->kind].block_bytes;
    if (cfg->kind == QUANT_NF4_DQ) /* fp32 step per 256 absmax values, one fp32 mean */
        bytes += (groups + QK_NF4_DQ2 - 1) / QK_NF4_DQ2 * sizeof(float) + sizeof(float);
    return bytes;
}

double quant_bits_per_weight(const QuantConfig *cfg, int rows, int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    return n ? 8.0 * (double)quant_storage_bytes(cfg, rows, cols) / (double)n : 0.0;
}

/* ---------------------------------------------------------------------------
 * Quantize, dequantize, measure */

static int check_input(const QuantConfig *cfg, const float *w, int rows, int cols, Status *st)
{
    int rc = quant_config_check(cfg, st);
    if (rc) return rc;
    if (rows < 0 || cols < 0 || (size_t)rows * (size_t)cols > QUANT_MAX_WEIGHTS)
        return status_fail(st, LS_ERR_RANGE, "cannot quantize a %d x %d matrix", rows, cols);
    size_t n = (size_t)rows * (size_t)cols;
    /* One branch-free pass; the loop that finds the culprit runs only on failure. */
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= !(fabsf(w[i]) <= FLT_MAX);
    if (bad)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(w[i]))
                return status_fail(st, LS_ERR_RANGE,
                                   "weight (%zu, %zu) is %g; only finite weights can be quantized",
                                   i / (size_t)cols + 1, i % (size_t)cols + 1, (double)w[i]);
    return LS_OK;
}

int quant_quantize(QuantTensor *qt, const QuantConfig *cfg, const float *w, int rows, int cols,
                   Status *st)
{
    int rc = check_input(cfg, w, rows, cols, st);
    if (rc) return rc;
    size_t n = (size_t)rows * (size_t)cols, G;
    int block, per_row;
    layout(cfg, rows, cols, &block, &per_row, &G);
    rc = kinds[cfg->kind].reserve(qt, n, G, st);
    if (rc) return rc;
    qt->cfg = *cfg;
    qt->rows = rows;
    qt->cols = cols;
    qt->block = block;
    qt->blocks_per_row = per_row;
    qt->n_groups = G;
    qt->bytes = quant_storage_bytes(cfg, rows, cols);
    kinds[cfg->kind].quantize(qt, w);
    /* A finite weight can still need a scale its format cannot hold (fp16
     * stops at 65504, so q8_0 at weights of about 8.3e6): refuse, rather
     * than report an infinite error as a measurement. */
    for (size_t g = 0; g < G; g++) {
        if (isfinite(kinds[cfg->kind].step(qt, g))) continue;
        size_t off;
        int len;
        group_span(qt, g, &off, &len);
        char name[16];
        return status_fail(st, LS_ERR_RANGE,
                           "%s cannot store these weights: the group of %d from (%zu, %zu), "
                           "largest magnitude %.3g, needs a scale beyond %s",
                           quant_scheme_name(cfg, name, sizeof name), len, off / (size_t)cols + 1,
                           off % (size_t)cols + 1, (double)block_absmax(w + off, len),
                           kinds[cfg->kind].scale_format);
    }
    return LS_OK;
}

void quant_dequantize(float *out, const QuantTensor *qt)
{
    if (qt->n_groups) kinds[qt->cfg.kind].dequantize(out, qt);
}

void quant_metrics(QuantMetrics *m, const float *w, const float *deq, size_t n, size_t bytes)
{
    double sig = 0.0, err = 0.0, emax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)w[i] - (double)deq[i];
        sig += (double)w[i] * (double)w[i];
        err += e * e;
        emax = fabs(e) > emax ? fabs(e) : emax;
    }
    m->n = n;
    m->mse = n ? err / (double)n : 0.0;
    m->max_abs_error = emax;
    m->snr_db = err > 0 ? 10.0 * log10(sig / err) : INFINITY;
    m->bytes = bytes;
    m->bits_per_weight = n ? 8.0 * (double)bytes / (double)n : 0.0;
}

int quant_roundtrip(float *deq, QuantMetrics *m, QuantTensor *qt, const QuantConfig *cfg,
                    const float *w, int rows, int cols, Status *st)
{
    int rc = quant_quantize(qt, cfg, w, rows, cols, st);
    if (rc) return rc;
    quant_dequantize(deq, qt);
    if (m) quant_metrics(m, w, deq, (size_t)rows * (size_t)cols, qt->bytes);
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * Group steps and levels */

float quant_group_step(const QuantTensor *qt, size_t g)
{
    return g < qt->n_groups ? kinds[qt->cfg.kind].step(qt, g) : NAN;
}

int quant_levels(float *levels, int cap, const QuantTensor *qt, size_t g)
{
    if (g >= qt->n_groups || cap < 1) return 0;
    float tmp[256];
    int n = kinds[qt->cfg.kind].levels(tmp, qt, g);
    if (n > 1 && tmp[0] > tmp[n - 1]) /* a negative scale lists them backwards */
        for (int i = 0; i < n / 2; i++) {
            float t = tmp[i];
            tmp[i] = tmp[n - 1 - i];
            tmp[n - 1 - i] = t;
        }
    if (n > cap) n = cap;
    memcpy(levels, tmp, (size_t)n * sizeof(float));
    return n;
}
