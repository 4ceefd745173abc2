/* demo_quant.h — lesson 4: what quantization does to real weights.
 *
 * Three demos, curses-free (parameters in, plain results out):
 *
 *   quant         one weight matrix — a tensor of the base model when
 *                 data/models/base is there, Gaussian weights with optional
 *                 outliers otherwise (the result says which) — quantized with
 *                 the chosen scheme, bits, granularity and block size. The
 *                 result holds the histogram of the weights, the levels of a
 *                 typical scale group (to draw over it), the error (MSE, SNR,
 *                 max), the storage, and the SNR for every width 2..8 at each
 *                 granularity (the "error against bits" plot).
 *   quant-memory  bytes per weight of each format including its scales, and
 *                 what a 7B and a 70B model's weights take in each:
 *                 params × bits_per_weight / 8.
 *   quant-loss    (demo_quant_loss.c) the tiny GPT with every linear layer
 *                 quantized, evaluated on a fixed slice of a text.
 *
 * Conv1D weights of a GPT-2 checkpoint are stored (in, out); the demos turn
 * them into (out, in), as nn.Linear stores them, so that "per row" means per
 * output channel and blocks run along the inputs, as in ggml and
 * bitsandbytes. */
#ifndef LS_DEMO_QUANT_H
#define LS_DEMO_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"
#include "../core/mat.h"
#include "../core/quant.h"
#include "../nn/dataset.h"
#include "../nn/gpt.h"

/* ===========================================================================
 * Weight tensors of a model by name (demo_quant_model.c) */

typedef struct ModelTensor {
    char name[96];       /* "transformer.h.0.mlp.c_fc.weight" */
    GptTensorId id;
    int layer;           /* 0 when the family is not per layer */
    int rows, cols;      /* as stored (cols 0 for a vector) */
    bool conv1d;         /* a Conv1D weight: stored (in, out) */
    const float *data;   /* (rows, cols) inside the model's parameters */
} ModelTensor;

/* Every tensor name of m, in checkpoint order; returns how many (at most
 * cap are written; names may be NULL to count). */
int model_tensor_names(const Gpt *m, char (*names)[96], int cap);
/* Find a tensor by its Hugging Face name. An unknown name fails with a
 * message that suggests the nearest name and lists a few valid ones. */
int model_tensor_find(ModelTensor *t, const Gpt *m, const char *name, Status *st);
/* The tensor as a matrix (caller frees): Conv1D weights transposed to
 * (out, in), other matrices as stored, vectors as one row. */
int model_tensor_matrix(Mat *out, const ModelTensor *t, Status *st);

/* ===========================================================================
 * quant: one matrix, its histogram and its levels */

enum {
    QUANT_HIST_MAX_BINS = 512,
    QUANT_MAX_LEVELS = 256,
    QUANT_BITS_MIN = 2,
    QUANT_BITS_MAX = 8,
    QUANT_CURVE_N = QUANT_BITS_MAX + 1, /* indexed by bits; 0 and 1 unused (NaN) */
};

typedef enum QuantSourceKind { QSRC_MODEL, QSRC_GAUSSIAN } QuantSourceKind;

/* Where the weights come from. */
typedef struct QuantSource {
    QuantSourceKind kind;  /* QSRC_MODEL falls back to QSRC_GAUSSIAN when the
                              model folder has no model */
    const char *model_dir; /* QSRC_MODEL: a folder with config.json and model.safetensors */
    const char *model_label; /* how to name that folder on screen ("data/models/base") */
    char tensor[96];       /* QSRC_MODEL: the tensor's name */
    size_t n;              /* QSRC_GAUSSIAN: how many weights */
    float std;             /* QSRC_GAUSSIAN: their standard deviation */
    int outliers;          /* QSRC_GAUSSIAN: weights replaced by ±(10..20)·std */
    uint64_t seed;
} QuantSource;

typedef struct QuantDemoResult {
    QuantMetrics m;             /* the current configuration */
    double bits_per_weight;     /* including scales */
    size_t bytes, fp32_bytes;
    /* The levels of one scale group to draw over the histogram: the group
     * with the median step ("a typical group"); and the group holding the
     * largest weight, whose step an outlier inflates. */
    float levels[QUANT_MAX_LEVELS];
    int n_levels;
    size_t n_groups;
    float typical_step;
    float outlier_step;         /* step of the group with the largest |w| */
    float absmax;               /* the largest |w| */
    float rms;                  /* sqrt(mean w²) */
    size_t zeroed;              /* non-zero weights that became exactly 0 */
    /* The histogram over [lo, hi] (symmetric around 0, wide enough for the
     * bulk of the weights; the largest outliers may lie beyond). */
    int bins;
    size_t counts[QUANT_HIST_MAX_BINS];
    float lo, hi;
    size_t beyond;              /* weights outside [lo, hi] */
    /* SNR (dB) of the integer scheme against its width 2..8, per
     * granularity (block: at the current block size), at the current
     * symmetric/asymmetric choice; and of the fixed formats. */
    float snr_curve[QUANT_GRANULARITY_COUNT][QUANT_CURVE_N];
    float snr_fixed[QUANT_KIND_COUNT];   /* [QUANT_Q8_0 .. QUANT_NF4_DQ] */
    double bpw_fixed[QUANT_KIND_COUNT];
} QuantDemoResult;

typedef struct QuantDemo {
    QuantSource src;
    bool from_model;            /* the weights are the model's tensor */
    char source_desc[200];      /* "transformer.h.0.mlp.c_fc.weight, 512 × 128 (out × in), data/models/base" */
    char note[200];             /* why the fallback, when there was one */
    float *w;                   /* (rows, cols) the weights */
    int rows, cols;
    size_t n;
    QuantConfig cfg;
    QuantTensor qt;
    float *deq;                 /* (rows, cols) dequantized */
    /* scratch for the curves */
    QuantTensor qt2;
    float *deq2;
    float *steps;               /* (n_groups) for the median */
    size_t steps_cap;
    /* the integer settings last chosen (the curves use them even while a
     * fixed format is shown), and what the curves were computed for */
    int int_block;
    bool int_asym;
    int curve_block;
    bool curve_asym, curve_valid;
    QuantDemoResult res;
} QuantDemo;

/* Load or generate the weights and quantize them with cfg. */
int quant_demo_init(QuantDemo *d, const QuantSource *src, const QuantConfig *cfg, Status *st);
/* A new configuration (and, for Gaussian weights, a new number of
 * outliers; ignored otherwise). */
int quant_demo_set(QuantDemo *d, const QuantConfig *cfg, int outliers, Status *st);
/* Recount the histogram into `bins` bins (clamped to 1..QUANT_HIST_MAX_BINS). */
void quant_demo_histogram(QuantDemo *d, int bins);
void quant_demo_free(QuantDemo *d);

/* ===========================================================================
 * quant-memory: bytes per weight and whole models */

enum { QMEM_ROWS = 12 };

typedef struct QuantMemRow {
    char name[24];       /* "int8 per row", "q4_0", "fp16 / bf16" */
    int float_bits;      /* > 0: a float format of that width (no scales) */
    QuantConfig cfg;     /* otherwise: the scheme */
    int code_bits;       /* bits of one code (the rest is overhead) */
    double bpw;          /* bits per weight on a 4096 × 4096 matrix (7B, "your model") */
    double bpw_70b;      /* ... on an 8192 × 8192 matrix (70B) */
    double bytes_7b, bytes_70b, bytes_n; /* params × bpw / 8 */
} QuantMemRow;

typedef struct QuantMemory {
    double params;       /* "your model": number of weights */
    double budget_gb;    /* memory to fit in, GB (10⁹ bytes) */
    QuantMemRow rows[QMEM_ROWS];
    int n;
} QuantMemory;

/* The 7B and 70B columns use 7·10⁹ and 70·10⁹ weights with the bits per
 * weight of a 4096 × 4096 and an 8192 × 8192 matrix (their model widths). */
#define QMEM_7B 7e9
#define QMEM_70B 70e9
enum { QMEM_SIDE_7B = 4096, QMEM_SIDE_70B = 8192 };

void quant_memory_compute(QuantMemory *m, double params, double budget_gb);

/* ===========================================================================
 * quant-loss: the tiny GPT, quantized, evaluated (demo_quant_loss.c) */

enum { QLOSS_MAX_ENTRIES = 64 };

typedef struct QuantLossEntry {
    QuantConfig cfg;
    bool is_fp32;        /* the unquantized baseline */
    double nats;         /* mean nats per byte on the slice */
    double bits_per_byte;
    double bpw;          /* bits per quantized weight, with scales */
    double snr_db;       /* over all quantized weights */
    double ms;           /* time to quantize and evaluate */
} QuantLossEntry;

typedef struct QuantLossDemo {
    char model_dir[1024];
    char text_path[1024];
    Gpt model;
    float *master;           /* (num_params) the fp32 weights, kept aside */
    TextData text;
    int windows;             /* evaluation windows of n_positions + 1 bytes */
    size_t tokens;           /* bytes predicted per evaluation */
    size_t n_quantized;      /* weights in the quantized matrices */
    int n_matrices;          /* 4 per layer: c_attn, attn.c_proj, c_fc, mlp.c_proj */
    QuantTensor qt;
    float *buf, *buf2;       /* scratch: one matrix, (out, in) */
    size_t buf_cap;
    QuantConfig cfg;         /* the current configuration */
    QuantLossEntry base;     /* fp32 */
    QuantLossEntry cur;      /* the current configuration */
    QuantLossEntry hist[QLOSS_MAX_ENTRIES]; /* every configuration evaluated */
    int n_hist;
} QuantLossDemo;

/* Load the model and the text, evaluate fp32 and cfg. */
int quant_loss_demo_init(QuantLossDemo *d, const char *model_dir, const char *text_path,
                         int windows, const QuantConfig *cfg, Status *st);
/* Quantize with cfg and evaluate (or take the result evaluated before). */
int quant_loss_demo_set(QuantLossDemo *d, const QuantConfig *cfg, Status *st);
/* Evaluate every width 2..8 of the current granularity and the four fixed
 * formats; the current configuration is restored afterwards. */
int quant_loss_demo_sweep(QuantLossDemo *d, Status *st);
/* The result for cfg if it was evaluated, else NULL. */
const QuantLossEntry *quant_loss_demo_find(const QuantLossDemo *d, const QuantConfig *cfg);
void quant_loss_demo_free(QuantLossDemo *d);

/* Two configurations that quantize the same way (block size only counts
 * for per-block integer schemes). */
bool quant_config_same(const QuantConfig *a, const QuantConfig *b);
/* "int4 block 64 asym", "int8 row", "q4_0", "nf4": the block that rows of
 * `cols` weights really get ("int4 block 128 (whole row)" when a longer one
 * was asked for); cols = 0: rows of several lengths, the block asked for. */
const char *quant_config_label(const QuantConfig *c, int cols, char *buf, size_t size);

#endif
