/* demo_lora_scale.h — lesson 5: how big is LoRA's first update, and how
 * does it change with the rank r?
 *
 * LoRA computes h = W₀x + s·B·A·x with B = 0 and A random at the start. The
 * scale s is α/r in Hu et al. (2021) and α/√r in rsLoRA (Kalajdzievski
 * 2023). Under Adam the first step moves every entry of B by about the
 * learning rate whatever its gradient's size (m̂/√v̂ = g/|g|), so B gets
 * d·r entries of size ≈ lr and, A's rows being nearly orthogonal,
 *
 *     ‖ΔW‖_F = s·‖B·A‖_F  ≈  s · lr · √(d·r) · ‖a_i‖   ∝  s·√r.
 *
 * At a fixed ratio α/r (the lab's α = 2r) that grows like √r; with α fixed
 * and s = α/r it shrinks like 1/√r; with s = α/√r it stays level.
 *
 * The demo measures this on the real engine rather than the formula: for
 * r = 1, 2, 4 … 64 and three rules for s it trains the lab's LoRA (q and v
 * of every layer, the lab's learning rate and schedule) for `steps` steps on
 * the same real batches of Moby-Dick, and records ‖ΔW‖_F = ‖s·B·A‖_F of one
 * matrix after every step. The work goes in small units (one step) so the
 * interface can poll input between them. */
#ifndef LS_DEMO_LORA_SCALE_H
#define LS_DEMO_LORA_SCALE_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/status.h"
#include "../nn/dataset.h"
#include "../nn/gpt.h"
#include "../tune/tune.h"

enum {
    LSCALE_RANKS = 7,      /* r = 1, 2, 4 … 64 */
    LSCALE_RULES = 3,      /* see LoraScaleRule */
    LSCALE_MAX_STEPS = 20,
};

/* How s depends on r. At r = 1 all three give s = 2: the curves start at
 * one point and only the rule separates them. */
typedef enum LoraScaleRule {
    LSR_RATIO,   /* α = 2r, s = α/r = 2: the lab's default */
    LSR_ALPHA,   /* α = 2 fixed, s = α/r (Hu et al. fix α) */
    LSR_RSLORA,  /* α = 2 fixed, s = α/√r (rsLoRA) */
} LoraScaleRule;

extern const int lora_scale_ranks[LSCALE_RANKS];
extern const char *const lora_scale_rule_names[LSCALE_RULES]; /* short legends */

typedef struct LoraScaleDemo {
    Gpt base;                /* the base model */
    int layer;               /* whose matrix is measured */
    int matrix;              /* 0: q, 1: v (the lab's two LoRA modules) */
    int steps;               /* steps of every run (1..LSCALE_MAX_STEPS) */
    int batch;               /* sequences of n_positions bytes per step */
    int *inputs, *targets;   /* (steps, batch, T) one set of real batches for every run */
    /* ‖ΔW‖_F of the measured matrix after step k + 1 (NaN: not measured yet). */
    double norm[LSCALE_RULES][LSCALE_RANKS][LSCALE_MAX_STEPS];
    float lr;                /* LoRA's default peak learning rate */
    int next;                /* the run being trained: rule · LSCALE_RANKS + rank index */
    TuneRun run;
    bool have_run;
    float *dw;               /* (in, cols) scratch for ΔW */
    Status err;
} LoraScaleDemo;

/* Load the base model and draw the batches from text_path. Nothing trains
 * until lora_scale_demo_tick. */
int lora_scale_demo_init(LoraScaleDemo *d, const char *model_dir, const char *text_path, int layer, int matrix,
                         int steps, int batch, uint64_t seed, Status *st);
/* The same from a model in memory (tests). */
int lora_scale_demo_init_model(LoraScaleDemo *d, const Gpt *base, const TextData *text, int layer, int matrix,
                               int steps, int batch, uint64_t seed, Status *st);
void lora_scale_demo_free(LoraScaleDemo *d);
/* Measure another layer or matrix: starts the runs again. */
int lora_scale_demo_set(LoraScaleDemo *d, int layer, int matrix, Status *st);
/* Train for about budget_ms (at least one step). True when a figure changed. */
bool lora_scale_demo_tick(LoraScaleDemo *d, double budget_ms);
bool lora_scale_demo_done(const LoraScaleDemo *d);
/* 0..1 of the runs' steps done. */
double lora_scale_demo_progress(const LoraScaleDemo *d);
/* The scale s and α of rule at rank r. */
float lora_scale_rule_scale(LoraScaleRule rule, int r, float *alpha);

#endif
