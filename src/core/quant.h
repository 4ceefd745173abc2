/* quant.h — quantizing a weight matrix to a few bits, and what it costs.
 *
 * Integer quantization stores each weight as a b-bit code q and a group of
 * weights shares one scale s (and, asymmetric, a zero point z):
 *
 *   symmetric  (absmax)   s = max|w| / (2^(b−1) − 1),  q = round(w / s),      ŵ = q·s
 *   asymmetric (min/max)  s = (max − min) / (2^b − 1), z = round(−min / s),
 *                         q = clamp(round(w / s) + z, 0, 2^b − 1),           ŵ = (q − z)·s
 *
 * (min and max are first widened to include 0, so 0 is exactly a level.)
 * Rounding is to nearest; for in-range data every weight is within s/2 of its
 * level. One outlier inflates s for its whole group, which is why smaller
 * groups — per row (per output channel), per block of B weights — lose less.
 *
 * Block formats from practice (blocks run along rows; a row's last block is
 * padded if the row length is not a multiple of the block, and the padding
 * is counted in the bytes):
 *   Q8_0   (ggml)  32 weights: fp16 d = absmax/127, int8 q = round(w/d)   34 B = 8.5 bits/weight
 *   Q4_0   (ggml)  32 weights: fp16 d = m/−8 where m is the weight of largest
 *                  magnitude, q = min(15, ⌊w/d + 8.5⌋), ŵ = (q − 8)·d      18 B = 4.5 bits/weight
 *   NF4    (QLoRA) 64 weights: fp32 absmax, each w/absmax rounded to the
 *                  nearest of 16 NormalFloat levels (quantiles of N(0,1)
 *                  scaled to [−1, 1], with an exact 0)                   36 B = 4.5 bits/weight
 *   NF4-DQ (QLoRA) NF4 whose absmax values are quantized again: their mean
 *                  is subtracted, then blocks of 256 get an fp32 scale and
 *                  8-bit codes: 4 + 8/64 + 32/(64·256) ≈ 4.127 bits/weight.
 *                  (bitsandbytes uses its dynamic 8-bit map for this second
 *                  level; we use plain symmetric int8 — same storage.)
 *
 * Use from a slider: keep one QuantTensor and one output buffer and call
 * quant_roundtrip() per move; buffers grow only when the matrix does, so
 * after the first call there is no allocation. */
#ifndef LS_QUANT_H
#define LS_QUANT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

typedef enum QuantKind {
    QUANT_INT,    /* b-bit integers, b = 2..8, any granularity */
    QUANT_Q8_0,   /* ggml Q8_0 */
    QUANT_Q4_0,   /* ggml Q4_0 */
    QUANT_NF4,    /* QLoRA NormalFloat4, blocks of 64 */
    QUANT_NF4_DQ, /* NF4 with double-quantized block scales */
    QUANT_KIND_COUNT
} QuantKind;

typedef enum QuantGranularity {
    QUANT_PER_TENSOR, /* one scale for the whole matrix */
    QUANT_PER_ROW,    /* one per row (per output channel) */
    QUANT_PER_BLOCK,  /* one per block of `block` consecutive weights in a row */
    QUANT_GRANULARITY_COUNT
} QuantGranularity;

typedef struct QuantConfig {
    QuantKind kind;
    int bits;                     /* code width: 2..8 for QUANT_INT, fixed otherwise */
    QuantGranularity granularity; /* free for QUANT_INT; PER_BLOCK for the others */
    int block;                    /* weights per block (PER_BLOCK); fixed for the others */
    bool asymmetric;              /* QUANT_INT only: min/max with a zero point */
} QuantConfig;

/* ggml's blocks, byte for byte (d is an fp16 bit pattern). */
enum { QK8_0 = 32, QK4_0 = 32, QK_NF4 = 64, QK_NF4_DQ2 = 256 };
typedef struct BlockQ8_0 {
    uint16_t d;       /* fp16 scale */
    int8_t qs[QK8_0]; /* codes −127..127 */
} BlockQ8_0;
typedef struct BlockQ4_0 {
    uint16_t d;            /* fp16 scale */
    uint8_t qs[QK4_0 / 2]; /* weight j in the low nibble of qs[j], weight j+16 in the high one */
} BlockQ4_0;
static_assert(sizeof(BlockQ8_0) == 2 + QK8_0, "Q8_0 block must be 34 bytes");
static_assert(sizeof(BlockQ4_0) == 2 + QK4_0 / 2, "Q4_0 block must be 18 bytes");

/* ---------------------------------------------------------------------------
 * Configurations */

/* A configuration by scheme name: "int8", "int4", "intN" (N = 2..8; per
 * tensor, symmetric, block 64 until changed), "q8_0", "q4_0", "nf4",
 * "nf4-dq". */
int quant_config_parse(QuantConfig *cfg, const char *scheme, Status *st);
/* The integer scheme with the given settings (not checked: see below). */
QuantConfig quant_config_int(int bits, QuantGranularity g, int block, bool asymmetric);
/* The fixed configuration of a block kind (QUANT_Q8_0 … QUANT_NF4_DQ). */
QuantConfig quant_config_fixed(QuantKind kind);
/* LS_ERR_ARG / LS_ERR_RANGE with a message when cfg is not usable. */
int quant_config_check(const QuantConfig *cfg, Status *st);

/* "int4" (from bits), "q8_0", "nf4-dq" — the scheme's name. */
const char *quant_scheme_name(const QuantConfig *cfg, char *buf, size_t size);
/* "tensor", "row", "block". */
const char *quant_granularity_name(QuantGranularity g);
/* Parse "tensor" / "row" / "block"; false when unknown. */
bool quant_granularity_parse(QuantGranularity *g, const char *name);

/* Bytes the quantized matrix takes: packed codes (b bits each) plus scales
 * (fp32 for the int schemes) plus zero points (one byte each), or the
 * block structs; and the same per weight in bits. */
size_t quant_storage_bytes(const QuantConfig *cfg, int rows, int cols);
double quant_bits_per_weight(const QuantConfig *cfg, int rows, int cols);

/* ---------------------------------------------------------------------------
 * The quantized matrix */

#define QUANT_MAX_WEIGHTS (1 << 28) /* 268 M weights, 1 GiB of floats */

typedef struct QuantTensor {
    QuantConfig cfg;    /* the scheme the contents follow */
    int rows, cols;     /* shape of the source matrix */
    int block;          /* weights per scale group within a row (per tensor: all) */
    int blocks_per_row; /* groups per row (1 per row; 0 per tensor) */
    size_t n_groups;    /* scale groups in total */
    size_t bytes;       /* quant_storage_bytes() of this tensor */

    /* Stored form; which arrays are used depends on cfg.kind. */
    uint8_t *codes;      /* int: (rows·cols) one code per byte (unpacked for speed;
                            `bytes` counts them packed at b bits) */
    uint8_t *zero;       /* int: (n_groups) the code that stands for 0 */
    float *scale;        /* int: (n_groups) step between levels;
                            nf4: (n_groups) absmax (nf4-dq: as rebuilt from the 2nd level) */
    BlockQ8_0 *q8;       /* q8_0: (n_groups) */
    BlockQ4_0 *q4;       /* q4_0: (n_groups) */
    uint8_t *nibbles;    /* nf4: (n_groups, 32) two codes a byte, the first in the high nibble */
    int8_t *absmax_q;    /* nf4-dq: (n_groups) int8 code of absmax − mean */
    float *absmax_scale; /* nf4-dq: (ceil(n_groups / 256)) step per second-level block */
    float absmax_mean;   /* nf4-dq: the mean absmax subtracted before quantizing */

    size_t cap[8]; /* allocated lengths of the arrays above (internal) */
} QuantTensor;

/* An empty tensor (no allocation). */
void quant_tensor_init(QuantTensor *qt);
/* Release the buffers (NULL is fine) and leave an empty tensor. */
void quant_tensor_free(QuantTensor *qt);

/* Quantize w (rows, cols), row-major and contiguous, into qt. Grows qt's
 * buffers only when needed. Non-finite weights are refused (LS_ERR_RANGE),
 * as are more than QUANT_MAX_WEIGHTS weights and weights whose scale the
 * scheme cannot store (q8_0 and q4_0 keep it in fp16, at most 65504; qt's
 * contents are then meaningless but it can be reused or freed). */
int quant_quantize(QuantTensor *qt, const QuantConfig *cfg, const float *w, int rows, int cols,
                   Status *st);
/* out (rows, cols) = the values qt stands for. */
void quant_dequantize(float *out, const QuantTensor *qt);

/* Reference twin of quantize + dequantize: plain loops over rows and blocks
 * straight from the formulas above, no packing, no stored form; the tests
 * hold the fast path to it bit for bit. Slow, and allocates its own scratch. */
int quant_roundtrip_ref(float *out, const QuantConfig *cfg, const float *w, int rows, int cols,
                        Status *st);

/* The group a weight belongs to, and that group's step: the gap between
 * adjacent levels for the int, q8_0 and q4_0 schemes (so the rounding error
 * of an in-range weight is at most step/2); absmax for nf4. */
size_t quant_group_of(const QuantTensor *qt, int row, int col);
/* Weights per scale group within a row as quantization uses them on rows of
 * `cols` weights: a block longer than the row is the row (per tensor: 0). */
int quant_block_used(const QuantConfig *cfg, int cols);
float quant_group_step(const QuantTensor *qt, size_t group);

/* The levels (grid) group `group` can represent, ascending, into levels
 * (cap >= 256 always suffices); returns how many. For drawing over a
 * histogram of the weights. */
int quant_levels(float *levels, int cap, const QuantTensor *qt, size_t group);

/* QLoRA's 16 NF4 levels, ascending, from −1 through 0 to 1. */
const float *quant_nf4_levels(void);

/* ---------------------------------------------------------------------------
 * What it cost */

typedef struct QuantMetrics {
    size_t n;               /* weights compared */
    double mse;             /* mean (w − ŵ)² */
    double max_abs_error;   /* max |w − ŵ| */
    double snr_db;          /* 10·log10(Σw² / Σ(w − ŵ)²); +∞ when exact */
    size_t bytes;           /* storage of the quantized form */
    double bits_per_weight; /* 8·bytes / n */
} QuantMetrics;

/* Compare w with its reconstruction (sums in double). */
void quant_metrics(QuantMetrics *m, const float *w, const float *deq, size_t n, size_t bytes);

/* The slider call: quantize w into qt, dequantize into deq (rows·cols floats,
 * caller-owned) and measure. m may be NULL. */
int quant_roundtrip(float *deq, QuantMetrics *m, QuantTensor *qt, const QuantConfig *cfg,
                    const float *w, int rows, int cols, Status *st);

/* ---------------------------------------------------------------------------
 * Data for the demos */

/* counts[b] (bins) = how many x fall in [lo + b·h, lo + (b+1)·h) with
 * h = (hi − lo)/bins; x = hi goes in the last bin. Values outside [lo, hi]
 * and NaNs are not counted; returns how many were left out. */
size_t quant_histogram(size_t *counts, int bins, float lo, float hi, const float *x, size_t n);
/* Smallest and largest finite x (0, 0 when there are none). */
void quant_range(float *lo, float *hi, const float *x, size_t n);

/* The shape lorascope gives n generated weights: rows of 256 when 256
 * divides n, otherwise the most nearly square rows × cols = n (rows <= cols;
 * a prime n gives one row). */
void quant_gaussian_shape(size_t n, int *rows, int *cols);
/* w (n) ~ N(0, std²) from the seed; then `outliers` distinct positions,
 * also from the seed, are replaced by ±(10 + 10u)·std, u ~ U[0, 1). */
int quant_make_gaussian(float *w, size_t n, float std, size_t outliers, uint64_t seed, Status *st);

#endif
