/* lab.h — the fine-tune lab: one base model, one task, N tuning methods
 * trained side by side, with their true costs and results.
 *
 * Every method starts from the same base and sees the same batches in the
 * same order: the lab draws one batch per round from its seeded Rng and
 * every live method takes one step on it (interleaved), so the methods
 * advance together and a method that diverges (NaN or infinite loss) stops
 * without touching the others — each method's numbers are bit-identical to
 * running it alone.
 *
 * Driving it (no threads):
 *
 *   Lab lab;  LabConfig c;  lab_config_defaults(&c);  c.methods = "full,lora:8";
 *   if (lab_init(&lab, &c, &st)) ...;
 *   while (!lab_done(&lab)) {            // e.g. between the UI's input polls
 *       if (lab_step(&lab, 50.0, &st)) ...;
 *       LabSnapshot s;  lab_snapshot(&lab, &s);   // draw s
 *   }
 *   lab_free(&lab);
 *
 * lab_init only loads the base model and the task and checks the method
 * list (~25 ms); the runs are built by the first units, so the snapshot's
 * sizes and bytes of a method are valid once its `built` is set.
 *
 * The work is a sequence of small units, so that a caller can poll input
 * between any two (the interface promises a key is handled within 100 ms).
 * A unit is one of: building one method's run; zeroing at most
 * LAB_WARM_BYTES of fresh memory (the first touch of each run's ~40 MB of
 * activations otherwise costs ~150 ms of page faults inside its first
 * forward); one forward pass over at most B windows (an evaluation chunk) or
 * of one sequence (a sampled byte) or of one group of addition prompts (one
 * answer byte each); the forward half of a method's training step; its
 * backward half (backward, clipping, update). The last is the longest: a
 * full-tuning backward of B x T tokens.
 *
 * lab_step does units until the next would overrun budget_ms, judged by the
 * lab's estimate of it (lab_next_unit_ms: the measured time per token, byte
 * or step of the last units of its kind), and always at least one. How the
 * work is split never changes a number: a lab stepped with any budgets gives
 * bit-identical results. lab_stop() ends training early (a step whose
 * forward half ran is finished first); the following lab_step calls still
 * evaluate what ran, so the results cover it.
 *
 * Snapshots point into the lab's own memory: valid until the next lab_step,
 * lab_stop or lab_free; copy what must live longer. */
#ifndef LS_LAB_H
#define LS_LAB_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/rng.h"
#include "../base/status.h"
#include "../nn/gpt.h"
#include "../nn/sample.h"
#include "lab_defaults.h"
#include "task.h"
#include "tune.h"

enum {
    LAB_MAX_METHODS = 16,
    LAB_SAMPLE_MAX = 1024,    /* bytes of a result's sample / answers text */
    LAB_WARM_BYTES = 4 << 20, /* fresh memory zeroed per unit (~12 ms of page faults) */
};
/* The default lab: methods, task and schedule (see lab_config_defaults). */
#define LAB_DEFAULT_METHODS "full,lora:1,lora:2,lora:4,lora:8,lora:16,prefix:16"

/* How the lab scales every LoRA-family adapter (lora, qlora, dora) whose
 * spec sets neither alpha= nor rslora:
 *   LAB_SCALING_RSLORA  rsLoRA at a fixed alpha = LORA_FIXED_ALPHA (lora.h):
 *                       s = alpha / sqrt(r), so Adam's first update
 *                       ||s B A|| ~ s lr sqrt(r) is the same at every rank
 *                       (Kalajdzievski 2023; lesson 5 measures it) and equals
 *                       the old rule's s = 2 at r = 8, where the default
 *                       learning rates were chosen. The default: rank is
 *                       then compared without also changing the step size.
 *   LAB_SCALING_SPEC    each spec's own (lora:R: alpha = 2R, s = 2 at every
 *                       rank: the first update grows like sqrt(r)). */
typedef enum LabScaling { LAB_SCALING_RSLORA, LAB_SCALING_SPEC, LAB_NUM_SCALINGS } LabScaling;

/* "rslora" / "spec" (for options and files); false when unknown. */
bool lab_scaling_parse(LabScaling *out, const char *name);
const char *lab_scaling_name(LabScaling s);
/* One line for tables: "rsLoRA at a fixed alpha = 5.66 (s = alpha/sqrt(r) ...)". */
const char *lab_scaling_text(LabScaling s);

typedef struct LabConfig {
    TaskKind task;           /* TASK_DOMAIN (default), TASK_ADDITION, TASK_TEXT */
    const char *text_path;   /* TASK_TEXT: the file */
    int digits;              /* TASK_ADDITION: operand digits (0: default 2) */
    const char *base_dir;    /* base model folder (NULL: data/models/base) */
    const Gpt *base_model;   /* or this model (copied; tests, a UI that has one loaded) */
    const char *root;        /* folder holding data/ (NULL: paths_root()) */
    const char *methods;     /* method specs, comma-separated (NULL: the default lab) */
    int steps;               /* training steps per method (0: default) */
    int batch;               /* sequences per step (0: default) */
    int seq;                 /* tokens per sequence (0: n_positions) */
    float lr;                /* > 0: every method's peak LR (else per method, see tune.h) */
    unsigned long long seed; /* batches and the methods' random starts */
    int eval_every;        /* held-out loss for the curves every N steps (0: default; <0: never) */
    int eval_windows;      /* windows per curve evaluation (0: default) */
    int final_windows;     /* windows of the final held-out and forgetting evals (0: default) */
    int sample_bytes;      /* bytes of each sample (0: default; <0: none) */
    int accuracy_problems; /* addition: held-out problems scored at the end (0: default) */
    LabScaling scaling;    /* LoRA-family scaling (0: LAB_SCALING_RSLORA) */
} LabConfig;

/* Defaults: the domain task, LAB_DEFAULT_METHODS, and the steps, batch and
 * evaluation sizes documented in lab.c (the default lab finishes in about a
 * minute on two cores). */
void lab_config_defaults(LabConfig *c);

typedef enum LabPhase {
    LAB_PHASE_BASELINE, /* measuring the base model */
    LAB_PHASE_TRAINING, /* training rounds */
    LAB_PHASE_FINAL,    /* evaluating each method's result */
    LAB_PHASE_DONE,
} LabPhase;

/* Final figures of one method (or of the base model, before tuning). */
typedef struct LabResult {
    bool ready;        /* computed (the rest is valid) */
    double train_loss; /* mean of the last min(20, steps) batch losses (nats) */
    double eval_loss;  /* held-out loss, nats per byte */
    double eval_bpb;   /* the same in bits per byte */
    bool has_accuracy; /* the task has an accuracy (addition) */
    double accuracy;   /* exact-match fraction (NaN when !has_accuracy) */
    int correct, total;
    double forget_loss;          /* base-corpus held-out loss after tuning (nats) */
    double forgetting;           /* forget_loss minus the base model's (nats; > 0: forgot) */
    char sample[LAB_SAMPLE_MAX]; /* a sample continuation, or answers to problems */
} LabResult;

/* One method as the UI draws it. Curves: train_loss[i] is the batch loss
 * of step i + 1 (NaN from the diverged step on); eval curve points are
 * (eval_step[j], eval_loss[j]), the first at step 0 (the base model). */
typedef struct LabMethodSnapshot {
    const char *label; /* the spec, e.g. "lora:8" */
    bool built;        /* its run exists: the sizes and bytes below are valid */
    TuneKind kind;
    const TuneMethod *method; /* its registry row (name, mark, colour ...) */
    int size;                 /* its rank or P (0: none) */
    const char *kind_name;    /* method->name: "full", "lora", "prefix", "qlora" */
    int step, steps;         /* steps taken, of steps */
    float lr;                /* peak learning rate */
    float alpha, scale;      /* LoRA-family: alpha and s (NaN for the others) */
    bool rslora;             /* s = alpha/sqrt(r) */
    size_t trainable_params; /* what trains (prefix,mlp: incl. the MLP) */
    size_t total_params;     /* base + the method's own parameters */
    double trainable_share;  /* trainable / total */
    TuneBytes bytes;         /* measured memory by part */
    double ms_per_step;      /* mean wall time of its steps */
    bool diverged;
    int diverged_step;       /* 1-based, when diverged */
    const float *train_loss; /* (n_train) */
    int n_train;
    const int *eval_step;   /* (n_eval) */
    const float *eval_loss; /* (n_eval) held-out nats per byte */
    int n_eval;
    const LabResult *result; /* final figures (result->ready when done) */
} LabMethodSnapshot;

typedef struct LabSnapshot {
    LabPhase phase;
    bool stopped;          /* lab_stop was called */
    const char *task_name; /* "domain" */
    const char *task_description;
    LabScaling scaling;    /* LoRA-family scaling */
    const char *validation, *test; /* what the task's held-out parts are */
    int steps, batch, seq; /* the schedule */
    int round;             /* training rounds completed */
    double elapsed_s;      /* wall time spent inside lab_step */
    double progress;       /* 0..1 of the whole lab's work (rough) */
    size_t base_params;    /* parameters of the base model */
    double unit_ms_max;    /* the longest single unit of work so far */
    const LabResult *base; /* the base model before tuning (ready after BASELINE) */
    int n_methods;
    LabMethodSnapshot methods[LAB_MAX_METHODS];
} LabSnapshot;

typedef struct LabMethod {
    TuneSpec spec; /* what to build */
    bool built;    /* run is valid */
    TuneRun run;
    float *train_loss; /* (steps) */
    int *eval_step;    /* (cap_eval) */
    float *eval_loss;  /* (cap_eval) */
    int n_eval, cap_eval;
    LabResult result;
} LabMethod;

/* Kinds of units (internal; see the header comment). */
typedef enum LabUnitKind {
    LAB_UNIT_NONE,     /* nothing left */
    LAB_UNIT_NOTE,     /* bookkeeping only (a diverged method's results) */
    LAB_UNIT_BUILD,    /* build one method's run */
    LAB_UNIT_WARM,     /* zero <= LAB_WARM_BYTES of a model's fresh memory */
    LAB_UNIT_LOSS,     /* a held-out loss chunk: one forward of <= B windows */
    LAB_UNIT_SAMPLE,   /* one sampled byte: one forward of one sequence */
    LAB_UNIT_SCORE,    /* one answer byte of a group of addition prompts */
    LAB_UNIT_FORWARD,  /* a training step's forward half */
    LAB_UNIT_BACKWARD, /* its backward half and the update */
    LAB_UNIT_KINDS,
} LabUnitKind;

/* A unit: its kind, whose (-1: the base model) and its size in the unit
 * the kind's cost grows with (tokens through a forward, bytes zeroed,
 * else 1). */
typedef struct LabUnit {
    LabUnitKind kind;
    int method;
    double work;
} LabUnit;

/* What the last unit did, counted where the lab calls the engine (tests
 * check every unit against the bounds in the header comment). */
typedef struct LabUnitStats {
    LabUnitKind kind;
    int method;
    int forwards, backwards, builds; /* engine passes / runs built */
    size_t tokens;                   /* tokens through those passes */
    size_t bytes;                    /* memory zeroed */
    double ms;
} LabUnitStats;

/* A job that spans several units: a held-out loss, a sample, addition
 * scoring, warming a model's memory (internal). */
typedef struct LabJob {
    int kind; /* LAB_UNIT_NONE when idle, else LAB_UNIT_LOSS, _SAMPLE, _SCORE, _WARM */
    Gpt *model;
    const TextData *text;      /* loss: the text */
    size_t windows, use, next; /* loss: windows in the text, used, done */
    double sum;                /* loss: nats so far */
    double *out;               /* loss: where the mean goes */
    double nats;               /* loss: the mean of a curve point */
    Sampler sampler;           /* sample: the generation, */
    int made;                  /* and the bytes it has made */
    char *text_out;            /* sample: where the text goes (LAB_SAMPLE_MAX) */
    size_t out_len;
    TaskScoring score;        /* score */
    unsigned char *region[3]; /* warm: blocks to zero, their sizes, where we are */
    size_t region_n[3], off;
    int n_region, cur;
} LabJob;

/* The lab (fields are internal: read it through lab_snapshot). It holds
 * pointers into itself: keep it where lab_init put it (do not copy it). */
typedef struct Lab {
    LabConfig cfg;
    char base_dir[4096];
    Task task;
    Gpt base; /* the base model (kept for the baseline) */
    int n_methods;
    LabMethod methods[LAB_MAX_METHODS];
    LabResult base_result;
    TuneSchedule sched;
    int B, T;
    Rng batch_rng;
    int *inputs, *targets; /* (B,T) the batch of the current round */
    int batch_round;       /* the round inputs hold (-1: none yet) */
    int *start, n_start;   /* bytes a prefix starts from */
    LabPhase phase;
    bool stopped;
    int round;                                        /* rounds completed */
    int unit;                                         /* where the current phase is (see lab.c) */
    LabJob job;                                       /* the job in progress */
    int *job_inputs, *job_targets;                    /* (B, n_positions) its batch */
    float *job_scratch;                               /* (V) sampling scratch */
    double rate[LAB_UNIT_KINDS][LAB_MAX_METHODS + 1]; /* ms per work (0: unmeasured) */
    LabUnitStats cur, last;                           /* the unit in progress, the last one done */
    double unit_ms_max;
    double elapsed;
    double total_work, done_work;
} Lab;

/* Load the base and the task, build every method's run. */
int lab_init(Lab *lab, const LabConfig *cfg, Status *st);
/* Do units while the next fits in budget_ms (at least one). LS_OK also
 * when done. */
int lab_step(Lab *lab, double budget_ms, Status *st);
/* The estimated time of the next unit in ms (INFINITY while its kind is
 * unmeasured; 0 when done): what a caller that runs units one by one
 * (lab_step with budget 0) uses to decide whether another fits. */
double lab_next_unit_ms(const Lab *lab);
bool lab_done(const Lab *lab);
/* Fill snap (pointers into the lab; see the header comment). */
void lab_snapshot(const Lab *lab, LabSnapshot *snap);
/* Stop training; later lab_step calls evaluate what ran. */
void lab_stop(Lab *lab);
void lab_free(Lab *lab);

/* A method's run (for saving and analysis once done), or NULL. */
TuneRun *lab_method_run(Lab *lab, int i);
/* The base model (frozen, as loaded). */
const Gpt *lab_base(const Lab *lab);
/* The task (its texts: the validation slice for choosing rates). */
const Task *lab_task(const Lab *lab);
/* The scaling the lab's LoRA-family runs use. */
LabScaling lab_scaling(const Lab *lab);

#endif
