/* demo_lab.h — lesson 7: the fine-tune lab as a live demo.
 *
 * The student picks a task (domain shift or addition) and the methods to
 * compare — every method of the registry (tune.h): full tuning, LoRA at any
 * of a few ranks, prefix tuning with P virtual tokens, QLoRA ... — plus the steps and a learning-rate multiplier;
 * then starts the lab (src/tune/lab.h) and watches every method train on
 * the same batches, side by side. Nothing here blocks: lab_demo_tick() does
 * one lab unit at a time (half a method's step, an evaluation chunk, a
 * sampled byte) until the measured time reaches the budget, so the
 * interface polls input between units.
 *
 * Everything shown is read from the lab's snapshot: loss curves (batch loss
 * per step, smoothed over the last LAB_DEMO_SMOOTH steps, and held-out loss
 * every eval_every steps), and per method its trainable parameters, the
 * memory it measured by part, ms per step, the losses, accuracy (addition),
 * forgetting and divergence; samples or answers when it is done. */
#ifndef LS_DEMO_LAB_H
#define LS_DEMO_LAB_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../tune/lab.h"

enum {
    LAB_DEMO_MAX_RANKS = 10, /* LoRA rank toggles */
    LAB_DEMO_SMOOTH = 10,    /* training curve: mean of the last N batch losses */
    LAB_DEMO_MAX_P = 64,     /* prefix length and QLoRA rank limits */
    LAB_DEMO_MAX_RANK = LAB_MAX_SIZE,
    LAB_DEMO_MAX_SIZE = LAB_MAX_SIZE, /* a size slider's limit (prefix P, QLoRA rank) */
    LAB_DEMO_KNOB_MAX = 4,   /* choices of one knob */
};

/* A knob: a choice that adds an option to every chosen method whose
 * registry row takes that option (tune.h's TuneMethod.options), so a new
 * method that takes `targets=` gets the targets knob without a line here.
 * Its choices are the words of the lab block's parameter of the same name
 * (demo_schema.c): for an enum its choices in order, for a bool no, yes. */
typedef struct LabDemoKnob {
    const char *param;  /* the lab block's parameter */
    const char *label;  /* the control's label */
    const char *option; /* the registry option a method must take */
    const char *spec[LAB_DEMO_KNOB_MAX]; /* per choice: what the spec gets (NULL: nothing) */
    /* per choice: the lab's LabConfig.scaling by name ("rslora", "spec";
     * NULL: the knob leaves it) */
    const char *lab_scaling[LAB_DEMO_KNOB_MAX];
    const char *what;   /* one line for the hint */
} LabDemoKnob;

enum { LAB_KNOB_TARGETS, LAB_KNOB_SCALE, LAB_KNOB_PREFIX_MLP, LAB_DEMO_KNOBS };
extern const LabDemoKnob lab_demo_knobs[LAB_DEMO_KNOBS];
/* Knob k's choices as the lab block's parameter spells them (NULL-terminated),
 * and their count. */
const char *const *lab_demo_knob_words(int k, int *n);
/* Does registry method m take knob k's option? */
bool lab_demo_knob_applies(int k, const TuneMethod *m);

/* What the student chose. */
typedef struct LabDemoSettings {
    TaskKind task;                  /* TASK_DOMAIN or TASK_ADDITION */
    int digits;                     /* addition: operand digits (0: 2) */
    /* Methods in registry order (tune.h). One offered at several sizes
     * (LoRA) has a toggle per rank below; any other has one toggle, on[k],
     * at size[k] (prefix P, QLoRA rank; unused without a size). */
    bool on[TUNE_NUM_KINDS];
    int size[TUNE_NUM_KINDS];
    int n_ranks;                    /* rank toggles offered */
    int ranks[LAB_DEMO_MAX_RANKS];  /* ascending */
    bool rank_on[LAB_DEMO_MAX_RANKS];
    int steps;                      /* per method */
    double lr_scale;                /* every method's default peak LR times this */
    int batch;                      /* sequences per step (0: the lab's default) */
    int windows;                    /* final evaluation windows (0: the lab's default) */
    int knob[LAB_DEMO_KNOBS];       /* each knob's choice (0: the registry's default) */
    unsigned long long seed;
    int eval_every;                 /* held-out curve every N steps (0: the lab's; < 0: never) */
    int sample_bytes;               /* bytes of each sample (0: the lab's; < 0: none) */
    const Gpt *base_model;          /* NULL: data/models/base (tests pass a tiny model) */
    const char *methods;            /* not NULL: this list verbatim instead of the toggles
                                     * (tests and benchmarks: "lora:4,nan=5") */
} LabDemoSettings;

struct DemoArgs;
/* Settings from a lesson's lab block (demo_schema.c's `lab` parameters). */
int lab_demo_settings_from_args(LabDemoSettings *s, const struct DemoArgs *a, Status *st);

/* The default lab's settings: LAB_DEFAULT_METHODS on the domain task, the
 * lab's steps, lr × 1; ranks offered 1, 2, 4, 8, 16, 32, 64. */
void lab_demo_settings_defaults(LabDemoSettings *s);
/* Offer rank r as a toggle (kept sorted); false when full or out of range. */
bool lab_demo_add_rank(LabDemoSettings *s, int r, bool on);
/* The methods list for lab.h ("full,lora:1,...,prefix:16,qlora:8", with
 * lr= options when lr_scale is not 1). Returns the number of methods. */
int lab_demo_methods(const LabDemoSettings *s, char *out, size_t size);
/* The default peak rate of method kind at size with the knobs' options
 * (tune_spec_default_lr: the prefix through its MLP has its own). */
double lab_demo_default_lr(const LabDemoSettings *s, TuneKind kind, int size);

typedef enum LabDemoState {
    LABD_IDLE,      /* not started */
    LABD_RUNNING,   /* lab_step calls to come */
    LABD_DONE,      /* finished (or stopped and evaluated), or an earlier run shown */
    LABD_FAILED,    /* lab_init or a step failed: see err */
} LabDemoState;

/* One row of the table: the method's snapshot and what the table derives
 * from it. */
typedef struct LabDemoRow {
    const LabMethodSnapshot *m; /* label, steps, sizes, bytes, divergence ... */
    double ms_per_step;       /* m->ms_per_step, NaN before a step */
    double train_loss;        /* final, else the mean of the last steps so far (NaN: none) */
    double eval_loss;         /* final held-out loss, else the latest curve point (NaN: none) */
    int eval_step;            /* the step of that point (steps when final) */
    bool final;               /* the final figures are in */
    double bpb, forgetting, accuracy; /* final only (NaN otherwise / without accuracy) */
    bool has_accuracy;
    int correct, total;
    const char *sample;       /* final sample or answers ("" before) */
} LabDemoRow;

typedef struct LabDemo {
    LabDemoSettings set;
    LabDemoState state;
    Status err;               /* why it failed */
    Lab lab;                  /* valid from start to free */
    bool have_lab;
    char methods[1024];       /* the list the lab was started with */
    LabSnapshot snap;         /* refreshed after every lab_step, or an earlier run's */
    bool have_snap;           /* snap is valid (a lab ran here, or an earlier run is shown) */
    bool earlier;             /* snap is an earlier run's (lab_demo_show), not this lab's */
    TaskKind snap_task;       /* the task snap is of */
    float *smooth[LAB_MAX_METHODS]; /* (steps) smoothed batch loss, NaN before a step */
    int n_smooth;             /* steps allocated */
    double last_unit_ms;      /* the last unit's time, to predict the next */
    double worst_unit_ms;     /* longest single unit so far */
    int units;                /* lab units done */
} LabDemo;

void lab_demo_init(LabDemo *d, const LabDemoSettings *s);
void lab_demo_free(LabDemo *d);
/* Start a new run with d->set (an earlier one is freed). On failure the
 * state is LABD_FAILED and st (and d->err) say why. */
int lab_demo_start(LabDemo *d, Status *st);
/* The same with a lab configuration given whole (a re-run of an
 * experiment's cell: experiment.h); its methods list is copied. */
int lab_demo_start_config(LabDemo *d, const LabConfig *c, Status *st);
/* Do lab units until budget_ms have passed (at least one unit: a tick
 * lasts at most budget_ms plus one unit). Returns the number of units done
 * (0 when not running). */
int lab_demo_tick(LabDemo *d, double budget_ms);
/* Show an earlier run's results (kept: must outlive d or the next start):
 * the state becomes LABD_DONE with d->earlier set; a start replaces them. */
void lab_demo_show(LabDemo *d, const LabSnapshot *kept);
/* Stop training: the lab then evaluates what ran (more ticks needed). */
void lab_demo_stop(LabDemo *d);
bool lab_demo_running(const LabDemo *d);

/* Row i of the table (i < d->snap.n_methods). */
void lab_demo_row(const LabDemo *d, int i, LabDemoRow *row);
/* The methods the table will have before a run: labels into buf and,
 * when kinds is not NULL, their kinds; returns the count. */
int lab_demo_planned(const LabDemoSettings *s, char buf[][24], TuneKind *kinds, int max);

/* ms since an arbitrary start (monotonic), for budgets. */
double lab_demo_now_ms(void);

#endif
