/* demo_lora.h — lesson 5's live demos on the real base model.
 *
 *  lora-shapes  W₀ + (α/r)·B·A with the real shapes of one of the model's
 *               matrices (the q part of c_attn is d × k = 128 × 128): W₀'s
 *               real weights, B (d × r) zero and A (r × k) random as LoRA
 *               starts them, and what each holds as r moves.
 *
 *  lora-merge   merging and unmerging an adapter on the real model: the
 *               model with the adapter beside W₀ (y = W₀x + (α/r)·B(Ax)) and
 *               with it merged into W (y = (W₀ + (α/r)·BA)x) read the same
 *               real bytes; the largest difference of a layer's outputs and
 *               of the logits (exactly 0 while B = 0, float rounding once
 *               B is trained), and what is left of W − W₀ after unmerging.
 *               The adapter can be trained for a few dozen real steps.
 *
 *  lora-delta   why low rank is enough: a short full fine-tuning run of the
 *               base model (the lab with full tuning only), then the singular
 *               values of every ΔW = W_tuned − W₀ and the rank holding 90 % /
 *               99 % of its energy, beside W₀'s own and a random matrix's of
 *               the same shape.
 *
 * Shapes follow the paper: W is d × k (out × in); the model stores W as
 * (in, out) (GPT-2's Conv1D), so a matrix is transposed for display. */
#ifndef LS_DEMO_LORA_H
#define LS_DEMO_LORA_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../nn/dataset.h"
#include "../nn/gpt.h"
#include "../tune/analysis.h"
#include "../tune/lora.h"
#include "demo_lab.h"

/* The matrices of a block LoRA can adapt, in analysis.h's order. */
typedef enum LoraMatrix { LM_Q, LM_K, LM_V, LM_O, LM_FC, LM_FCPROJ, LM_COUNT } LoraMatrix;

extern const char *const lora_matrix_names[LM_COUNT]; /* "q", ..., "mlp.c_proj" */

/* d (out) and k (in) of matrix `which` for cfg. */
void lora_matrix_shape(const GptConfig *cfg, LoraMatrix which, int *d, int *k);
/* W (d, k) = the model's layer-l matrix transposed to the paper's (out, in). */
void lora_matrix_copy(const Gpt *m, int layer, LoraMatrix which, float *w);

// ----------------------------------------------------------------------------
// lora-shapes

enum { LORA_SHAPES_MAX_RANK = 128 };

typedef struct LoraShapesDemo {
    Gpt model;           /* the base model (its weights) */
    int layer;
    LoraMatrix which;
    int rank;
    int d, k;            /* W is d × k */
    float *w;            /* (d, k) the real W₀ */
    float w_absmax;
    float *a;            /* (rank, k) A as LoRA starts it: U(−1/√k, 1/√k) */
} LoraShapesDemo;

typedef struct LoraShapesCounts {
    long long frozen;    /* d·k */
    long long b, a;      /* d·r, r·k */
    long long lora;      /* r(d + k) */
    double percent;      /* 100 · lora / frozen */
    double scale;        /* α/r with α = 2r, the lab's default: 2 */
    int layers;          /* L */
    long long model_lora;   /* q and v of every layer at this r (the lab's default) */
    long long model_params; /* the whole base model */
} LoraShapesCounts;

int lora_shapes_init(LoraShapesDemo *s, const char *model_dir, int layer, LoraMatrix which, int rank,
                     Status *st);
void lora_shapes_free(LoraShapesDemo *s);
/* Choose the matrix and rank (clamped); redraws W and A. */
int lora_shapes_set(LoraShapesDemo *s, int layer, LoraMatrix which, int rank, Status *st);
LoraShapesCounts lora_shapes_counts(const LoraShapesDemo *s);

// ----------------------------------------------------------------------------
// lora-merge

/* One comparison of the merged and the unmerged model. */
typedef struct LoraMergeResult {
    int layer;               /* the layer whose c_attn output is compared */
    int tokens;              /* real tokens read (B × T) */
    size_t outputs;          /* numbers compared at that layer */
    bool b_zero;             /* every B is exactly 0 */
    double update_absmax;    /* max |(α/r)·BA| over the adapted matrices */
    double y_absmax;         /* max |y| of the layer's output */
    double y_diff;           /* max |y_merged − y_unmerged| */
    bool y_identical;        /* bit for bit the same */
    double logits_absmax;
    double logits_diff;      /* max |logits_merged − logits_unmerged| */
    double w_diff;           /* after unmerging: max |W − W₀| */
    bool w_identical;
} LoraMergeResult;

/* Measure on m with adapter a (attached or not; left unmerged and attached):
 * forward the tokens (B, T) unmerged, merge, forward again, unmerge, and
 * compare with w0 (a copy of m's parameter block before merging); then m
 * holds w0 exactly again, so no measurement inherits an earlier rounding. */
int lora_merge_measure(LoraMergeResult *out, Gpt *m, LoraAdapter *a, const float *w0, const int *tokens, int B,
                       int T, int layer, Status *st);

enum { LORA_MERGE_B = 4 }; /* windows of real text compared */

typedef struct LoraMergeDemo {
    Gpt model;               /* the base model with the adapter attached */
    float *w0;               /* its parameters as loaded */
    LoraAdapter ad;
    bool have_ad;
    int rank;
    int layer;
    int steps;               /* training steps when asked */
    int windows;             /* held-out windows of that run's evaluations (0: the lab's) */
    int *tokens;             /* (B, T) real bytes of the held-out text */
    int B, T;
    char text_name[64];
    LoraMergeResult res;
    LabDemo train;           /* a LoRA run to give B real values */
    bool training;
    int trained_steps;       /* 0: B as initialised (zero) */
    double loss_before, loss_after; /* held-out loss of that run (NaN: none) */
    Status err;
} LoraMergeDemo;

int lora_merge_demo_init(LoraMergeDemo *d, const char *model_dir, const char *text_path, int rank, int layer,
                         int steps, Status *st);
void lora_merge_demo_free(LoraMergeDemo *d);
/* A new adapter of this rank (A random, B = 0), then measure. */
int lora_merge_demo_reset(LoraMergeDemo *d, int rank, Status *st);
/* Measure at another layer. */
int lora_merge_demo_set_layer(LoraMergeDemo *d, int layer, Status *st);
/* Train the adapter (a lab run of lora:rank); tick until it is done. */
int lora_merge_demo_train(LoraMergeDemo *d, Status *st);
/* Returns true when something changed (progress or the new adapter). */
bool lora_merge_demo_tick(LoraMergeDemo *d, double budget_ms);
/* Use the run's trained A and B (called by the tick when the run ends). */
int lora_merge_demo_adopt(LoraMergeDemo *d, Status *st);

// ----------------------------------------------------------------------------
// lora-delta

typedef struct LoraDeltaSpectrum {
    float *w_sigma;          /* (k) singular values of W₀ itself */
    int w_rank90, w_rank99;
} LoraDeltaSpectrum;

typedef struct LoraDeltaDemo {
    LabDemo run;             /* full tuning only */
    LabAnalysis an;          /* ΔW spectra once the run is done */
    bool analysed;
    LoraDeltaSpectrum *w;    /* (an.n_spectra) */
    /* A random Gaussian matrix of each shape: the spectrum of no structure. */
    int n_shapes;
    int shape_in[4], shape_out[4];
    float *rand_sigma[4];
    int rand_rank90[4], rand_rank99[4];
    double base_loss, tuned_loss; /* held-out, nats per byte */
    Status err;
} LoraDeltaDemo;

/* steps: of the full-tuning run (the default lab's when 0). base_model may
 * be NULL (data/models/base). */
void lora_delta_demo_init(LoraDeltaDemo *d, int steps, int batch, const Gpt *base_model);
void lora_delta_demo_free(LoraDeltaDemo *d);
int lora_delta_demo_start(LoraDeltaDemo *d, Status *st);
/* Work for budget_ms; analyses when the run ends. True when it changed. */
bool lora_delta_demo_tick(LoraDeltaDemo *d, double budget_ms);
/* The random matrix's figures for a spectrum's shape (index into an). */
int lora_delta_random_of(const LoraDeltaDemo *d, int spectrum);
/* Analyse a finished run now (the tick does this). */
int lora_delta_demo_analyse(LoraDeltaDemo *d, Status *st);

#endif
