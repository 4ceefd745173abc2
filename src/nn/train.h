/* train.h — one training step of a GPT on byte-level text.
 *
 * A step: sample B random windows, forward, backward, clip the global
 * gradient norm, take the learning rate from the warmup + cosine schedule,
 * AdamW update (weight decay on matrices and embeddings only). Everything
 * random comes from the Trainer's seeded Rng, and the kernels are
 * sequential apart from OpenBLAS, so the same seed and thread count give
 * bit-identical losses. Only the trainable families move (gpt_set_trainable). */
#ifndef LS_TRAIN_H
#define LS_TRAIN_H

#include "../base/rng.h"
#include "../base/status.h"
#include "dataset.h"
#include "gpt.h"
#include "optim.h"

typedef struct TrainConfig {
    int batch;              /* B sequences per step */
    int seq;                /* T tokens per sequence (<= n_positions) */
    int steps;              /* schedule length */
    int warmup;             /* linear warmup steps */
    float min_lr;           /* the cosine decays to this */
    AdamWConfig adamw;      /* .lr is the peak rate */
    float grad_clip;        /* max global gradient norm (0: no clipping) */
    unsigned long long seed;/* batch sampling */
} TrainConfig;

/* Defaults for pretraining: B 32, T n_positions, lr 2e-3 (min 2e-4),
 * betas 0.9/0.95, weight decay 0.1, clip 1.0, warmup 100 (capped at steps/10). */
TrainConfig train_config_defaults(const GptConfig *model, int steps);

typedef struct Trainer {
    Gpt *model;             /* borrowed */
    const TextData *data;   /* borrowed training text */
    TrainConfig cfg;
    AdamW opt;
    Rng rng;
    int *inputs, *targets;  /* (B,T) */
    int step;               /* steps taken */
} Trainer;

typedef struct TrainStepInfo {
    int step;               /* 1-based number of the step just taken */
    float loss;             /* mean loss of its batch (nats) */
    float lr;               /* learning rate used */
    double grad_norm;       /* before clipping */
    /* Wall-clock seconds of the parts of the step (monotonic clock): */
    double t_forward;       /* batch sampling + forward */
    double t_backward;      /* zeroing the gradients + backward */
    double t_update;        /* clipping + AdamW */
} TrainStepInfo;

/* Allocates gradients (if not yet), activations and optimizer state. */
int trainer_init(Trainer *tr, Gpt *m, const TextData *data, const TrainConfig *cfg, Status *st);
int trainer_step(Trainer *tr, TrainStepInfo *info, Status *st);
void trainer_free(Trainer *tr);

#endif
