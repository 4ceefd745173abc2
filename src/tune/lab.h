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
 * lab_step does units of work until budget_ms has passed: first the base
 * model's figures (held-out loss, accuracy, forgetting baseline), then
 * training rounds (one unit = one method's step, or one held-out evaluation
 * for the curves), then each method's final evaluation. A unit is never
 * split, so a call may overrun its budget by one unit: the longest is a
 * step of full tuning (~70 ms for the default lab's 16 x 64 bytes on one
 * core, ~140 ms at batch 32); evaluations and samples go one forward pass
 * (at most B windows, or 16 sampled bytes) per unit. lab_stop() ends
 * training early; the following lab_step calls still evaluate what ran, so
 * the results cover it.
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
#include "task.h"
#include "tune.h"

enum {
    LAB_MAX_METHODS = 16,
    LAB_SAMPLE_MAX = 1024, /* bytes of a result's sample / answers text */
};

/* The default lab: methods, task and schedule (see lab_config_defaults). */
#define LAB_DEFAULT_METHODS "full,lora:1,lora:2,lora:4,lora:8,lora:16,prefix:16"

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
    TuneKind kind;
    const char *kind_name;   /* "full", "lora", "prefix", "qlora" */
    int step, steps;         /* steps taken, of steps */
    float lr;                /* peak learning rate */
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
    int steps, batch, seq; /* the schedule */
    int round;             /* training rounds completed */
    double elapsed_s;      /* wall time spent inside lab_step */
    double progress;       /* 0..1 of the whole lab's work (rough) */
    size_t base_params;    /* parameters of the base model */
    const LabResult *base; /* the base model before tuning (ready after BASELINE) */
    int n_methods;
    LabMethodSnapshot methods[LAB_MAX_METHODS];
} LabSnapshot;

typedef struct LabMethod {
    TuneRun run;
    float *train_loss; /* (steps) */
    int *eval_step;    /* (cap_eval) */
    float *eval_loss;  /* (cap_eval) */
    int n_eval, cap_eval;
    LabResult result;
} LabMethod;

/* An evaluation or a sample in progress, done one forward pass per unit of
 * work so that no unit takes long (internal). */
typedef struct LabJob {
    int kind; /* 0: none, 1: held-out loss, 2: sample */
    Gpt *model;
    const TextData *text;      /* loss: the text */
    size_t windows, use, next; /* loss: windows in the text, used, done */
    double sum;                /* loss: nats so far */
    double *out;               /* loss: where the mean goes */
    int *ctx, len, made;       /* sample: context (n_positions), its length, bytes made */
    Rng rng;                   /* sample */
    char *text_out;            /* sample: where the text goes (LAB_SAMPLE_MAX) */
    size_t out_len;
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
    LabPhase phase;
    bool stopped;
    int round;                     /* rounds completed */
    int next_method;               /* next method to step in the current round */
    int unit;                      /* progress through the current phase's units */
    LabJob job;                    /* the evaluation in progress */
    int *job_inputs, *job_targets; /* (B, n_positions) its batch */
    float *job_scratch;            /* (V) sampling scratch */
    double elapsed;
    double total_work, done_work;
} Lab;

/* Load the base and the task, build every method's run. */
int lab_init(Lab *lab, const LabConfig *cfg, Status *st);
/* Do work for about budget_ms (at least one unit). LS_OK also when done. */
int lab_step(Lab *lab, double budget_ms, Status *st);
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

#endif
