/* experiment.h — the lab as a fair experiment: every method on one or more
 * tasks, over several seeds, each method's learning rate chosen on the
 * task's validation slice (task.h), the figures reported on its test part
 * as mean and spread over seeds.
 *
 * A cell is one lab: one task, one point of the learning-rate grid (every
 * method at its grid value: a factor of its own default rate, or one
 * absolute rate), one seed (its batches and the methods' random starts).
 * After a cell's lab is done, experiment_cell_finish measures each method's
 * loss on the validation slice and keeps the lab's record (lab_file.h) and
 * its analysis. For each task and method the winning grid point is the one
 * with the lowest validation loss, averaged over the seeds; the reported
 * figures are that point's test figures over the same seeds — the test
 * part never chooses anything. Without a grid each method runs at its own
 * rate (the grid is the single factor 1).
 *
 * Spread and noise: spread.h (the sample standard deviation over seeds;
 * a difference smaller than the sum of two standard deviations is
 * "inside the noise").
 *
 * The file (JSON; see experiment_json):
 *   { "format": "lorascope-experiment", "version": 1, "command", "date",
 *     "git_commit", "complete": bool, "tasks": [...], "seeds": [...],
 *     "methods": "...", "lr_grid": { "kind": "factors" | "rates",
 *     "values": [...] }, "evaluation": { "digits", "eval_every",
 *     "eval_windows", "final_windows", "accuracy_problems", "sample_bytes"
 *     } (the lab's settings a re-run needs beyond a cell's record; absent in
 *     older files: the defaults), "spread": "...", "noise_rule": "...",
 *     "cells": [ { "task", "grid", "seed", "lab": a lab file's object } ],
 *     "summary": [ { "task", "methods": [ { "method", "lrs": [...],
 *        "validation_loss": [mean per grid point], "chosen": index,
 *        "lr": chosen rate, "seeds": n, FIGURE: { "mean", "std", "min",
 *        "max" } for eval_loss, accuracy, forgetting, train_loss,
 *        validation_loss, ms_per_step } ] } ],
 *     "findings": [ { "task", "claim", "source", "value", "verdict" } ] }
 * Only "cells" and the settings are read back; the summary and findings
 * are recomputed from them. */
#ifndef LS_EXPERIMENT_H
#define LS_EXPERIMENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "findings.h"
#include "lab.h"
#include "lab_file.h"
#include "spread.h"

enum {
    EXP_MAX_TASKS = 2,
    EXP_MAX_SEEDS = 16,
    EXP_MAX_GRID = 8,
    EXP_METHODS_MAX = 1024,
};

typedef struct ExperimentConfig {
    LabConfig lab; /* methods, steps, sizes, the first seed (task: see tasks) */
    TaskKind tasks[EXP_MAX_TASKS];
    int n_tasks;
    int seeds;                   /* seeds lab.seed, lab.seed + 1, ... */
    double grid[EXP_MAX_GRID];   /* learning-rate grid */
    int n_grid;                  /* 0: each method at its own rate */
    bool grid_factors;           /* grid values multiply each method's rate */
} ExperimentConfig;

typedef struct ExperimentCell {
    int task;                /* index in tasks */
    int grid;                /* index in the grid */
    unsigned long long seed;
    bool done;
    LabRecord *rec;          /* owned when done */
} ExperimentCell;

typedef struct Experiment {
    ExperimentConfig cfg;    /* cfg.lab.methods points at methods */
    char methods[EXP_METHODS_MAX];
    char command[2048], date[40], git_commit[64];
    int n_cells;
    ExperimentCell *cells;   /* task-major, then seed, then grid point */
} Experiment;

/* The default grid: each method's rate times 1/3, 1 and 3. */
void experiment_grid_default(ExperimentConfig *c);

int experiment_init(Experiment *e, const ExperimentConfig *cfg, Status *st);
void experiment_free(Experiment *e);

/* The lab configuration of cell i (methods with their grid rate as lr=). */
int experiment_cell_config(const Experiment *e, int i, LabConfig *out, char *methods,
                           size_t methods_size, Status *st);
/* Keep cell i's finished lab: its record, the analysis (when analyse) and
 * every method's loss on the validation slice. */
int experiment_cell_finish(Experiment *e, int i, Lab *lab, bool analyse, Status *st);
bool experiment_complete(const Experiment *e);


typedef struct ExpMethodSummary {
    char label[TUNE_LABEL_MAX]; /* as given (without the grid's lr=) */
    TuneKind kind;
    float lrs[EXP_MAX_GRID];          /* its rate at each grid point */
    double valid_mean[EXP_MAX_GRID];  /* mean validation loss (NaN: none finite) */
    int chosen;                       /* the winning grid point (-1: none) */
    Spread eval_loss, accuracy, forgetting, train_loss, validation_loss, ms_per_step;
    int cells[EXP_MAX_SEEDS];         /* the chosen cells, one per seed done */
    int n_cells;
    int method_index;                 /* its index in those cells' records */
} ExpMethodSummary;

typedef struct ExpTaskSummary {
    TaskKind task;
    int n_methods;
    ExpMethodSummary methods[LAB_MAX_METHODS];
    Spread base_eval_loss;
    bool has_accuracy;
} ExpTaskSummary;

/* The summary of task index t (over the cells done so far). */
int experiment_summarize(const Experiment *e, int t, ExpTaskSummary *out, Status *st);

/* The band behind method k's held-out curve at its chosen rate (a live
 * lab's one-seed curve can be drawn over it): for each evaluation step the
 * seeds share, the mean and sample std over them. Returns the points
 * written (at most cap). */
int experiment_curve_band(const Experiment *e, const ExpTaskSummary *t, int k, int *step,
                          double *mean, double *std, int cap);

/* The whole file as JSON (summary and findings included). */
cJSON *experiment_json(const Experiment *e, Status *st);
/* Read an experiment file back (cells and settings; incomplete files too). */
int experiment_parse(Experiment *e, const cJSON *o, Status *st);
int experiment_load(const char *path, Experiment *e, Status *st);

/* Join src's finished cells into dst: the same tasks, methods and grid,
 * src's seeds following dst's (an experiment run as one process per seed
 * is the same experiment). dst's command gets src's after " ; "; both must
 * carry the same git commit. src is left empty. */
int experiment_merge(Experiment *dst, Experiment *src, Status *st);

/* Re-running one cell live (the lab page's `r`; make test checks one):
 * method k of cell i trained alone, as the cell ran it — its label with
 * the cell's rate, the cell's task and seed, the record's steps, batch,
 * sequence length and scaling. The lab gives each method the numbers it
 * would have alone (lab.h), so this reproduces the cell's figures for it.
 * methods (methods_size bytes) receives the one-method list. */
int experiment_rerun_config(const Experiment *e, int i, int k, LabConfig *out, char *methods,
                            size_t methods_size, Status *st);

/* How close a re-run must come: the engine may change by float rounding
 * (sums reordered, one thread or two, other SIMD kernels); over 110 AdamW
 * steps such differences grow to about 1e-3 nats, while the spread between
 * seeds is about 1e-2. 0.02 catches a changed method, task or schedule, not
 * rounding. It is in nats for the losses and a fraction (two points) for
 * addition's accuracy. */
#define EXP_RERUN_TOLERANCE 0.02

typedef struct ExpRerunFigure {
    const char *name;     /* "held-out", "forgetting", "training", "accuracy" */
    double shipped, live; /* live NaN: not a finite result */
    bool within;          /* |live - shipped| < EXP_RERUN_TOLERANCE */
} ExpRerunFigure;

typedef struct ExpRerunCheck {
    int n;
    ExpRerunFigure fig[4];
    bool reproduced; /* every figure within the tolerance */
} ExpRerunCheck;

/* Compare a re-run's final figures with the shipped method's: held-out
 * loss, forgetting, training loss, and accuracy when both have one. */
void experiment_rerun_compare(const LabResult *shipped, const LabResult *live, ExpRerunCheck *out);

/* The findings' input from the summary of one task (findings.h; pointers
 * into e and s): each method at its chosen rate, its spread over seeds. */
void experiment_findings_input(FindingsInput *in, const Experiment *e, const ExpTaskSummary *s);

#endif
