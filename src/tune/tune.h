/* tune.h — the tuning methods of the fine-tune lab, and one method's run.
 *
 * A method is chosen by a short spec (see tune_spec_parse):
 *
 *   full                   every parameter trained
 *   lora:R                 LoRA of rank R (Hu et al. 2021):
 *                            h = W0 x + s * B A x,  s = alpha / R  (rsLoRA: alpha / sqrt(R))
 *                          A (R, in) kaiming-uniform (a = sqrt 5, as PEFT), B (out, R) zero,
 *                          so the adapted model starts exactly at the base.
 *   prefix:P               prefix tuning (Li & Liang 2021): P trainable key and
 *                          value vectors per layer prepended in every attention
 *   qlora:R                LoRA of rank R on a frozen base stored in NF4 blocks of
 *                          64 (Dettmers et al. 2023), dequantised layer by layer
 *
 * followed by options, comma-separated, e.g.
 *   lora:8,alpha=16,targets=qkv+o+mlp,rslora,pissa,lr=3e-3
 *   prefix:16,mlp,hidden=256
 *   qlora:8,int8
 * Options: alpha=A (default 2R), rslora, pissa, targets=LIST (letters q k v o
 * and the words mlp, fc, fcproj, attn, all joined by '+'; default q+v),
 * mlp and hidden=H (prefix reparameterisation), nf4 / int8 (qlora base),
 * lr=LR (peak learning rate; default per method, see TuneMethod.default_lr),
 * and, for tests and the demonstration of divergence, nan=STEP (the loss of
 * that step becomes NaN, as an exploding run's would).
 *
 * A list of methods is the same specs joined by commas; a token that names a
 * method starts the next one: "full,lora:8,lr=3e-3,prefix:16,mlp".
 *
 * A TuneRun is one method applied to its own copy of the base model: the
 * model (frozen parts without gradient buffers), the method's trainable
 * parameters, their gradients and AdamW state. tune_run_step() trains it one
 * step on a batch the caller gives (the lab gives every run the same one). */
#ifndef LS_TUNE_H
#define LS_TUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../nn/gpt.h"
#include "../nn/optim.h"
#include "lora.h"
#include "prefix.h"
#include "qlora.h"

typedef enum TuneKind { TUNE_FULL, TUNE_LORA, TUNE_PREFIX, TUNE_QLORA, TUNE_NUM_KINDS } TuneKind;

enum { TUNE_LABEL_MAX = 96 };

/* A parsed method spec. */
typedef struct TuneSpec {
    TuneKind kind;
    char label[TUNE_LABEL_MAX]; /* the spec as given, e.g. "lora:8,alpha=16" */
    int rank;                   /* R (lora, qlora) */
    float alpha;                /* lora_alpha; default 2R */
    bool rslora;                /* scale alpha / sqrt(R) */
    bool pissa;                 /* PiSSA start: top-R SVD of W in A, B; W its residual */
    unsigned targets;           /* LORA_TARGET_* bits (default q + v) */
    int prefix_len;             /* P (prefix) */
    bool prefix_mlp;            /* train through the MLP reparameterisation */
    int prefix_hidden;          /* its hidden width (0: n_embd) */
    bool qlora_int8;            /* qlora: int8 blocks of 64 instead of NF4 */
    float lr;                   /* peak learning rate; 0: the method's default */
    int nan_at_step;            /* debug: that step's loss is NaN (0: never) */
} TuneSpec;

/* One row of the method table. */
typedef struct TuneMethod {
    const char *name; /* "lora" */
    TuneKind kind;
    const char *size_name; /* what the number after ':' is ("rank"), NULL: none */
    float default_lr;      /* peak learning rate when the spec gives none */
    const char *summary;   /* one line for help texts */
} TuneMethod;

/* The method table, TUNE_NUM_KINDS rows in TuneKind order. */
extern const TuneMethod tune_methods[TUNE_NUM_KINDS];
const TuneMethod *tune_method_find(const char *name);

/* Parse one spec ("lora:8,alpha=16"). Messages name the bad part. */
int tune_spec_parse(TuneSpec *spec, const char *text, Status *st);
/* Parse a list of specs into out[0..cap); *n gets the count. */
int tune_spec_list_parse(TuneSpec *out, int cap, int *n, const char *text, Status *st);
/* The learning rate a spec trains with (its lr= or the method default). */
float tune_spec_lr(const TuneSpec *spec);
/* A spec with the method's defaults (rank/P as given). */
TuneSpec tune_spec_make(TuneKind kind, int size);

/* Training schedule shared by every run of a lab. */
typedef struct TuneSchedule {
    int steps;          /* total steps (the cosine ends here) */
    int warmup;         /* linear warmup steps */
    float min_lr_frac;  /* the cosine decays to lr * this (0.1) */
    float grad_clip;    /* global norm clip on the method's trainable params (1.0) */
    float weight_decay; /* AdamW decay on matrices (0: none, the default for tuning) */
} TuneSchedule;

TuneSchedule tune_schedule_defaults(int steps);

/* Memory of a run in bytes, measured from its allocations. */
typedef struct TuneBytes {
    size_t frozen;      /* weights that do not train (fp32, or quantised as stored) */
    size_t trainable;   /* the trainable parameters */
    size_t grads;       /* their gradients */
    size_t optimizer;   /* AdamW moments */
    size_t activations; /* activations and working buffers of one step */
    size_t total;
} TuneBytes;

/* One method on its own copy of the base. */
typedef struct TuneRun {
    TuneSpec spec;
    const TuneMethod *method;
    Gpt model;        /* frozen parts have no gradient buffers */
    LoraAdapter lora; /* lora, qlora */
    Prefix prefix;    /* prefix */
    QloraBase qbase;  /* qlora: the quantised base */
    AdamW opt;
    TuneSchedule sched;
    float lr;                /* peak learning rate */
    int B, T;                /* batch shape */
    int step;                /* steps taken */
    size_t trainable_params; /* what the optimizer updates (prefix: incl. the MLP) */
    size_t total_params;     /* base parameters + the method's own */
    bool diverged;
    int diverged_step; /* 1-based step whose loss was not finite */
    bool pending;      /* tune_run_forward done, tune_run_backward to come */
    float last_loss;
    double seconds; /* wall time spent in tune_run_step */
} TuneRun;

/* Build a run of spec on a copy of base for batches of B x T tokens.
 * seed drives the method's own random start (LoRA's A, the prefix MLP);
 * start_tokens[0..n_start) are real bytes of the task's text from which a
 * prefix takes its starting keys and values (n_start >= P; may be NULL for
 * the other methods). The run holds pointers into itself: do not move it. */
int tune_run_init(TuneRun *r, const TuneSpec *spec, const Gpt *base, int B, int T,
                  const TuneSchedule *sched, unsigned long long seed, const int *start_tokens,
                  int n_start, Status *st);
void tune_run_free(TuneRun *r);

/* One training step on inputs/targets (B,T). A non-finite loss marks the run
 * diverged (no update is applied) and returns LS_OK; a diverged run ignores
 * further steps. *loss (may be NULL) gets the batch loss. */
int tune_run_step(TuneRun *r, const int *inputs, const int *targets, float *loss, Status *st);
/* The same step in two halves, for callers that must not block for a whole
 * step (the lab between the interface's input polls): the forward pass and
 * the loss (a non-finite loss ends it there, as above), then the backward
 * pass, clipping and the update. tune_run_step is the two in a row; no
 * other forward of r->model may come between them. */
int tune_run_forward(TuneRun *r, const int *inputs, const int *targets, float *loss, Status *st);
int tune_run_backward(TuneRun *r, Status *st);

/* Make the model ready for inference/evaluation with the method applied
 * (prefix: computes the prefix from its MLP if it has one). Evaluations
 * (gpt_eval_text, gpt_sample) then run on r->model as it is. */
int tune_run_prepare_eval(TuneRun *r, Status *st);
/* Size the activations for training batches again after an evaluation. */
int tune_run_prepare_train(TuneRun *r, Status *st);

/* Memory of the run. */
TuneBytes tune_run_bytes(const TuneRun *r);

/* Save the result into dir: full -> a model folder (checkpoint.h); lora,
 * qlora -> PEFT adapter files plus the merged model in dir/merged;
 * prefix -> PEFT prefix files (prompt embeddings as safetensors).
 * base_name is written as base_model_name_or_path. */
int tune_run_save(TuneRun *r, const char *dir, const char *base_name, Status *st);

#endif
