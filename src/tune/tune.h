/* tune.h — the tuning methods of the fine-tune lab (a registry of
 * TuneMethod rows, one file each), and one method's run.
 *
 * A method is chosen by a short spec (see tune_spec_parse; `lorascope help
 * finetune` prints the registry's list):
 *
 *   full                   every parameter trained                 (tune_full.c)
 *   lora:R                 LoRA of rank R (Hu et al. 2021):        (tune_lora.c)
 *                            h = W0 x + s * B A x,  s = alpha / R  (rsLoRA: alpha / sqrt(R))
 *                          A (R, in) kaiming-uniform (a = sqrt 5, as PEFT), B (out, R) zero,
 *                          so the adapted model starts exactly at the base.
 *   prefix:P               prefix tuning (Li & Liang 2021): P trainable key and
 *                          value vectors per layer prepended in every attention (tune_prefix.c)
 *   qlora:R                LoRA of rank R on a frozen base stored in NF4 blocks of
 *                          64 (Dettmers et al. 2023), dequantised layer by layer (tune_lora.c)
 *   ia3                    (IA)^3 (Liu et al. 2022): vectors rescaling keys, values
 *                          and the MLP's inner activations     (tune_ia3.c)
 *   dora:R                 DoRA (Liu et al. 2024): a magnitude per output times a
 *                          LoRA-updated, normalised direction  (tune_dora.c)
 *   prompt:P               prompt tuning (Lester et al. 2021): P trainable input
 *                          embeddings before the text          (tune_prompt.c)
 *
 * followed by options, comma-separated, e.g.
 *   lora:8,alpha=16,targets=qkv+o+mlp,rslora,pissa,lr=3e-3
 *   prefix:16,mlp,hidden=256
 *   qlora:8,int8
 * Options: each method's own (its row's option table, listed by `lorascope
 * help finetune`: LoRA's alpha=A, rslora, pissa, targets=LIST; the prefix's
 * mlp and hidden=H; qlora's nf4 / int8; LoRA's alpha defaults to 2R, with
 * rslora to TUNE_FIXED_ALPHA at every R), and two every method takes:
 * lr=LR (peak learning rate; default per method, see TuneMethod.default_lr)
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

/* The registry's rows, in order: one TUNE_<KIND> per line of
 * tune_methods.def, the one list of methods. Adding a method: its own file
 * tune_X.c (its row, state, options struct, files, lab presentation), one
 * line in tune_methods.def, its test, and its rows in lessons/FORMAT.md
 * (test_registry checks them). The registry, the lab block's parameter,
 * the lab's toggles, the help texts and the loader then find it. */
typedef enum TuneKind {
#define TUNE_METHOD(KIND, name) TUNE_##KIND,
#include "tune_methods.def"
#undef TUNE_METHOD
    TUNE_NUM_KINDS
} TuneKind;

enum { TUNE_LABEL_MAX = 96 };

/* rsLoRA's alpha, the same at every rank: 2 sqrt(8), so s = alpha/sqrt(R)
 * is exactly 2 at R = 8 (the rank the default learning rates were chosen
 * at with alpha = 2R) and the first update ||s B A|| ~ s lr sqrt(R) does
 * not grow with R (Kalajdzievski 2023). 2.82842712f rounds to sqrtf(8). */
#define TUNE_FIXED_ALPHA (2.0f * 2.82842712f)

/* The room in a spec for a method's own options (see TuneSpec.opts). */
enum { TUNE_OPTS_BYTES = 32 };

/* A parsed method spec. What is common to every method is named here; a
 * method's own options (LoRA's alpha and targets, the prefix's MLP ...)
 * live in `opts`, laid out by the method's own struct (tune_lora.h's
 * LoraOpts, tune_prefix.c's PrefixOpts) and read and written whole with
 * tune_spec_opts_get / _set, so a new method's options touch its own file
 * only. Its spec_make fills them with their defaults. */
typedef struct TuneSpec {
    TuneKind kind;
    char label[TUNE_LABEL_MAX]; /* the spec as given, e.g. "lora:8,alpha=16" */
    int size;                   /* the number after ':' (rank R, P); 0 without one */
    float lr;                   /* peak learning rate; 0: the method's default */
    int nan_at_step;            /* debug: that step's loss is NaN (0: never) */
    unsigned char opts[TUNE_OPTS_BYTES]; /* the method's options (its struct's bytes) */
} TuneSpec;

/* Copy a method's options struct (size <= TUNE_OPTS_BYTES) out of / into s. */
void tune_spec_opts_get(const TuneSpec *s, void *opts, size_t size);
void tune_spec_opts_set(TuneSpec *s, const void *opts, size_t size);

struct TuneRun;

/* A contiguous run of trainable parameters with its gradients. */
typedef struct TuneSpan {
    float *params, *grads;
    size_t n;
    bool decay; /* AdamW weight decay applies (matrices) */
} TuneSpan;

enum { TUNE_MAX_SPANS = GPT_NUM_TENSORS };

/* An option of a method's spec ("alpha=16", "rslora"). */
typedef struct TuneOption {
    const char *name;
    bool takes_value;
    int (*apply)(TuneSpec *s, const char *value, Status *st);
} TuneOption;

/* How the lab colours a method: a hue of the theme's method palette (the
 * view maps each to a Role; theme.c lists them once for every theme).
 * Hues are named by colour, not by method: a new method picks one no other
 * row uses (test_registry checks), so its colour is its own row's business.
 * TUNE_COLOUR_RANKS: one colour per offered size (LoRA's ranks). */
typedef enum TuneColour {
    TUNE_COLOUR_RED,
    TUNE_COLOUR_PINK,
    TUNE_COLOUR_TEAL,
    TUNE_COLOUR_BROWN,
    TUNE_COLOUR_NAVY,
    TUNE_COLOUR_ORCHID,
    TUNE_COLOUR_OLIVE,
    TUNE_COLOUR_SLATE,
    TUNE_COLOUR_RANKS,
    TUNE_NUM_COLOURS
} TuneColour;

/* One tuning method: a row of the registry (tune.c), defined in its own
 * file (tune_full.c, tune_lora.c, tune_prefix.c), which owns the method's
 * state (TuneRun.state) and its files. Ops marked "may be NULL" are
 * skipped when absent. */
typedef struct TuneMethod {
    const char *name; /* "lora" */
    TuneKind kind;
    const char *size_name;                  /* what the number after ':' is ("rank"), NULL: none */
    const char *size_symbol;                /* its letter in help texts ("R") */
    int size_min, size_max, size_default;   /* its range, and what the lab offers first */
    float default_lr;                       /* peak learning rate when the spec gives none */
    /* The default rate for a spec's options when they want another (the
     * prefix through its MLP); may be NULL: default_lr. */
    float (*options_lr)(const struct TuneSpec *spec);
    const char *summary;                    /* what it is, for help texts (lines end in \n but the last) */
    const char *help;                       /* its options: lines "option\twhat it does\n" ("" when none) */
    const TuneOption *options;              /* its own options (lr= and nan= apply to all) */
    int n_options;
    const char *peft_type;                  /* adapter_config.json's peft_type it reads, or NULL */
    const char *peft_flag;                  /* a config key that must be true too ("use_dora") */

    /* Fill a spec's label and options (opts) for size (rank, P) with their defaults. */
    void (*spec_make)(TuneSpec *s, int size);
    /* Bytes of the task's text the run starts from (the prefix: P); may be NULL. */
    int (*start_bytes)(const TuneSpec *s);
    /* Set up r (r->model is a copy of the base, r->spec parsed): allocate
     * r->state, attach the hooks, set trainable_params and total_params. */
    int (*setup)(struct TuneRun *r, unsigned long long seed, const int *start, int n_start,
                 Status *st);
    void (*free_state)(void *state); /* accepts NULL */
    int (*spans)(const struct TuneRun *r, TuneSpan *out); /* returns the count */
    void (*zero_grad)(struct TuneRun *r);
    void (*before_forward)(struct TuneRun *r); /* may be NULL */
    void (*after_backward)(struct TuneRun *r); /* may be NULL */
    /* Memory by part beyond the model's own (fp32 stored weights, activations). */
    size_t (*extra_frozen)(const struct TuneRun *r);      /* may be NULL */
    size_t (*extra_activations)(const struct TuneRun *r); /* may be NULL */
    bool trains_model_weights; /* its spans are the model's own tensors (full) */
    /* Save the result into dir (PEFT files where PEFT has a layout). */
    int (*save)(struct TuneRun *r, const char *dir, const char *base_name, Status *st);
    /* Apply saved files in dir to model m; *held gets what must outlive the
     * evaluation (freed with free_state). May be NULL (no adapter files). */
    int (*load)(Gpt *m, const char *dir, void **held, Status *st);
    /* Its LoRA adapter when it has one (the analysis reads it); may be NULL. */
    const LoraAdapter *(*adapter)(const struct TuneRun *r);

    /* The lab's presentation. */
    const char *size_label; /* its size slider's label ("prefix P") */
    char mark;          /* the mono mark of its curve; 0: the size's digit or letter */
    TuneColour colour;  /* colour role */
    bool several_sizes; /* the lab offers one toggle per size (LoRA's ranks) */
    /* The lab block's parameter named as the method (demo_schema.c makes it
     * from these): several sizes: the sizes on, as rows; a size: the size
     * on (0: off); else yes/no. */
    bool lab_on;              /* on in the default lab (at size_default); see lab_sizes_on */
    const char *lab_sizes_on; /* several sizes: those on in the default lab ("1 2 4 8 16") */
    const char *lab_help;     /* what the parameter turns on ("prefix tuning with P virtual tokens") */
} TuneMethod;

/* The registry: TUNE_NUM_KINDS rows in TuneKind order. */
const TuneMethod *tune_method(TuneKind kind);
const TuneMethod *tune_method_find(const char *name);
/* The method whose files carry this peft_type ("LORA"), or NULL. */
const TuneMethod *tune_method_for_peft_type(const char *peft_type);

/* "full, lora:R, prefix:P, qlora:R": the registry's methods for messages. */
void tune_method_names(char *out, size_t size);
/* Number parsers for option handlers: the whole of v within [lo, hi]. */
bool tune_parse_float(const char *v, double lo, double hi, double *out);
bool tune_parse_int(const char *v, long lo, long hi, long *out);

/* Parse one spec ("lora:8,alpha=16"). Messages name the bad part. */
int tune_spec_parse(TuneSpec *spec, const char *text, Status *st);
/* Parse a list of specs into out[0..cap); *n gets the count. */
int tune_spec_list_parse(TuneSpec *out, int cap, int *n, const char *text, Status *st);
/* The learning rate a spec trains with (its lr= or the method default). */
float tune_spec_lr(const TuneSpec *spec);
/* The method's default for the spec's options (lr= aside). */
float tune_spec_default_lr(const TuneSpec *spec);
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
    Gpt model;   /* frozen parts have no gradient buffers */
    void *state; /* the method's own (owned by its file: tune_lora.c ...) */
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

/* The run's LoRA adapter (lora, qlora), or NULL. */
const LoraAdapter *tune_run_adapter(const TuneRun *r);
/* For a method's setup: freeze every base tensor, then allocate the
 * gradients (and kept inputs) the engine still needs. */
int tune_freeze_base(Gpt *m, Status *st);

/* An adapter read from disk and applied to a model (tune_adapter_apply). */
typedef struct TuneApplied {
    const TuneMethod *method;
    void *held; /* what the model's hooks point into */
} TuneApplied;
/* Read the adapter folder dir (its adapter_config.json names the method)
 * and apply it to m: LoRA merged into the weights, a prefix attached. */
int tune_adapter_apply(Gpt *m, const char *dir, TuneApplied *out, Status *st);
void tune_applied_free(TuneApplied *a);

/* Save the result into dir: full -> a model folder (checkpoint.h); lora,
 * qlora -> PEFT adapter files plus the merged model in dir/merged;
 * prefix -> PEFT prefix files (prompt embeddings as safetensors).
 * base_name is written as base_model_name_or_path. */
int tune_run_save(TuneRun *r, const char *dir, const char *base_name, Status *st);

#endif
