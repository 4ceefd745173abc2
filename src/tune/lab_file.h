/* lab_file.h — one lab's results as a JSON file, and back.
 *
 * `lorascope finetune --json` writes it, the lab page saves and opens it,
 * and an experiment (experiment.h) holds one per cell. The format (every
 * loss in nats per byte; NaN, which JSON cannot hold, is null; keys marked
 * "new" were added after the first version and may be absent):
 *
 *   { "format": "lorascope-lab", "version": 1,                       (new)
 *     "task": "domain", "task_description": "...",
 *     "validation": "...", "test": "..."   what each held-out part is (new)
 *     "steps", "batch", "seq", "seed", "threads",
 *     "stopped": bool, "elapsed_s", "base_params",
 *     "lora_scaling": "rslora" | "spec", "lora_scaling_text": "..."   (new)
 *     "base": RESULT,
 *     "methods": [ { "method": "lora:8", "kind": "lora", "lr",
 *                    "steps_done", "trainable_params", "total_params",
 *                    "trainable_share",
 *                    "bytes": { "frozen", "trainable", "gradients",
 *                               "optimizer", "activations", "total" },
 *                    "ms_per_step", RESULT's keys (train_loss, eval_loss,
 *                    eval_bits_per_byte, accuracy, forget_loss, forgetting),
 *                    "validation_loss": the validation slice (null: not
 *                                       measured)                     (new)
 *                    "alpha", "rslora", "scale": its LoRA scaling,
 *                                       null without an adapter       (new)
 *                    "diverged": bool, "diverged_step": N | null,
 *                    "curves": { "train_loss": [...], "eval_step": [...],
 *                                "eval_loss": [...] },
 *                    "sample": "..." } ... ],
 *     "analysis": { "full_delta_spectra": { "method", "matrices": [ { "name",
 *                     "in", "out", "delta_frobenius", "base_frobenius",
 *                     "rank90", "rank99", "singular_values": [...] } ] },
 *                   "subspace_similarity": { "small", "large", "r_small",
 *                     "r_large", "sim_in" (new), "matrices": [ { "name",
 *                     "phi": [[r_large numbers] x r_small] } ] },
 *                   "amplification": [ { "method", "name", "r",
 *                     "delta_frobenius", "projected", "factor",
 *                     "projected_top", "projected_random" } ] }   (optional)
 *     "findings": [ { "claim", "source", "value", "verdict" } ]   (new;
 *                   written by findings.h, recomputed on reading) }
 *
 *   RESULT = { "train_loss", "eval_loss", "eval_bits_per_byte",
 *              "accuracy" (null without one), "correct", "problems" (with
 *              an accuracy), "forget_loss", "forgetting", "sample" }
 *
 * Reading refuses, with a message naming the key, anything that is not
 * this: a wrong type, a missing key, a number out of its range or not
 * finite, a curve longer than its steps, more than LAB_MAX_METHODS methods,
 * a label that is not a method spec. */
#ifndef LS_LAB_FILE_H
#define LS_LAB_FILE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "analysis.h"
#include "lab.h"

enum {
    LAB_FILE_VERSION = 1,
    LAB_FILE_MAX_BYTES = 64 << 20, /* a file larger than this is refused */
    LAB_FILE_MAX_STEPS = 10000000, /* as `finetune --steps` */
};

/* One method's figures, owned. */
typedef struct LabRecordMethod {
    char label[TUNE_LABEL_MAX];
    TuneKind kind;
    int size;
    float lr;
    int steps_done;
    size_t trainable_params, total_params;
    double trainable_share;
    TuneBytes bytes;
    double ms_per_step;     /* NaN when no step ran */
    double validation_loss; /* NaN: not measured */
    double alpha, scale;    /* its LoRA scaling (NaN without an adapter) */
    bool rslora;
    bool diverged;
    int diverged_step;
    float *train_loss; /* (n_train) */
    int n_train;
    int *eval_step;   /* (n_eval) */
    float *eval_loss; /* (n_eval) */
    int n_eval;
    LabResult result;
} LabRecordMethod;

/* A lab's results, owned: what a file holds. */
typedef struct LabRecord {
    char task[16];
    char task_description[256];
    char validation[160], test[160]; /* what each held-out part is ("" when unknown) */
    int steps, batch, seq;
    unsigned long long seed;
    long threads;
    bool stopped;
    double elapsed_s;
    size_t base_params;
    LabScaling scaling;
    LabResult base;
    int n_methods;
    LabRecordMethod methods[LAB_MAX_METHODS];
    bool has_analysis;
    LabAnalysis analysis; /* method indices into methods[] */
} LabRecord;

/* An empty record (safe to free). */
void lab_record_init(LabRecord *r);
void lab_record_free(LabRecord *r);

/* Copy a finished lab's snapshot into r (owned). */
int lab_record_from_snapshot(LabRecord *r, const LabSnapshot *s, Status *st);
/* Move *a into r (a is left empty): the analysis of the same lab. */
void lab_record_take_analysis(LabRecord *r, LabAnalysis *a);
/* Fill s to draw r as a finished lab (pointers into r). */
void lab_record_snapshot(const LabRecord *r, LabSnapshot *s);

/* The JSON of r (NULL when out of memory). */
cJSON *lab_record_json(const LabRecord *r);
/* Rebuild r from JSON o (the format above). On failure r is empty. */
int lab_record_parse(LabRecord *r, const cJSON *o, Status *st);
/* The same from text of len bytes. */
int lab_record_parse_text(LabRecord *r, const char *text, size_t len, Status *st);
/* Read the file at path (at most LAB_FILE_MAX_BYTES). Messages name it. */
int lab_file_load(const char *path, LabRecord *out, Status *st);

#endif
