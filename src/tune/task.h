/* task.h — what the lab tunes for: text to learn and a way to score it.
 *
 *   domain    from the base model's corpus (State of the Union addresses) to
 *             Moby-Dick: data/text/moby-train.txt, held out moby-valid.txt.
 *             Measured by held-out bits per byte, with a sample.
 *   addition  lines "47+38=85\n" generated here, deterministically: operands
 *             uniform in [0, 10^D) (D digits at most, default 2; the sum has
 *             up to D + 1), from a fixed seed (TASK_ADDITION_SEED). A pair
 *             (a, b) is held out when a hash of it says so (1 in 10), and
 *             held-out pairs never appear in the training text. Training
 *             batches start at the start of a line, so a problem sits at
 *             position 0 as in the test prompt. Measured by exact-match
 *             accuracy of greedy decoding: prompt "47+38=", decode until a
 *             newline (or D + 2 bytes), compare with "85".
 *   text      the user's own file: the last 10 % (from a line start when one
 *             is near) held out, the rest trained on.
 *
 * Each task's held-out data is split in two, so that choosing a learning
 * rate never looks at what the lab reports (experiment.h):
 *   validation  domain: chapters 37-40 of moby-valid.txt (its first 15,211
 *               bytes); addition: a second set of held-out problems (the
 *               held-out list's second half); text: the first half of the
 *               held-out 10 %. Used only to choose learning rates.
 *   test        domain: chapter 41 (the rest, 21,987 bytes); addition: the
 *               first half of the held-out problems, scored for accuracy;
 *               text: the last 5 %. What the lab reports ("held-out").
 *
 * Every task also keeps a fixed piece of the base corpus (sotu-valid.txt) to
 * measure forgetting: held-out loss there after tuning against before. */
#ifndef LS_TASK_H
#define LS_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/rng.h"
#include "../base/status.h"
#include "../nn/dataset.h"
#include "../nn/gpt.h"

typedef enum TaskKind { TASK_DOMAIN, TASK_ADDITION, TASK_TEXT, TASK_NUM_KINDS } TaskKind;

enum {
    TASK_ADDITION_SEED = 20240601,
    TASK_ADDITION_MAX_DIGITS = 6,
    TASK_ADDITION_TRAIN_LINES = 40000, /* lines of training text generated */
    TASK_ADDITION_EVAL_MAX = 1000,     /* held-out problems scored at most */
};

typedef struct TaskConfig {
    TaskKind kind;
    const char *text_path; /* TASK_TEXT: the user's file */
    int digits;            /* TASK_ADDITION: D (0: 2) */
    const char *root;      /* folder holding data/ (NULL: paths_root()) */
} TaskConfig;

typedef struct AdditionProblem {
    int a, b;
} AdditionProblem;

typedef struct Task {
    TaskKind kind;
    const char *name;      /* "domain", "addition", "text" */
    char description[256]; /* one line for the user */
    TextData train;        /* owned */
    TextData valid;        /* owned: held-out test text (what the lab reports) */
    TextData validation;   /* owned: held-out validation slice (choosing rates only) */
    char test_what[160];       /* what each is, for files and tables */
    char validation_what[160];
    TextData forget;       /* owned: base-corpus text for forgetting */
    bool line_batches;     /* batches start at line starts */
    size_t *line_starts;   /* (n_lines) offsets of lines in train */
    size_t n_lines;
    int digits;               /* addition */
    AdditionProblem *heldout; /* addition: held-out test problems, in a fixed order, */
    int n_heldout;            /* then n_validation validation problems after them */
    int n_validation;
    char sample_prompt[64]; /* prompt for samples (domain, text) */
} Task;

int task_init(Task *t, const TaskConfig *cfg, Status *st);
void task_free(Task *t);
/* Parse "domain" / "addition" / "text". */
bool task_kind_parse(TaskKind *kind, const char *name);
const char *task_kind_name(TaskKind kind);

/* A training batch (B,T) from rng (random windows, or windows starting at
 * random line starts for line_batches). */
void task_batch(const Task *t, Rng *rng, int *inputs, int *targets, int B, int T);

/* Addition: is pair (a, b) held out (for digits D)? */
bool addition_is_heldout(int a, int b, int digits);
/* Write "a+b=sum\n" for problems into a malloc'd text. */
int addition_text(TextData *out, const AdditionProblem *p, int n, Status *st);
/* True when decoded (up to a newline or len) is exactly the digits of a + b. */
bool addition_answer_correct(const AdditionProblem *p, const char *decoded, size_t len);

typedef struct TaskAccuracy {
    int correct, total;
    double accuracy; /* correct / total */
} TaskAccuracy;

/* Greedy-decode the first n held-out problems (n <= n_heldout; 0: all, at
 * most TASK_ADDITION_EVAL_MAX) with m as it is (hooks included), batched
 * by prompt length. answers (may be NULL) gets, for the first n_show
 * problems, lines "47+38=85" of what the model wrote, with a mark: "  ok"
 * or "  (want 85)". Leaves m's activations sized for the decode. */
int task_addition_accuracy(const Task *t, Gpt *m, int n, TaskAccuracy *out, char *answers,
                           size_t answers_size, int n_show, Status *st);

/* The same scoring one decode step at a time, so that a caller can stop
 * between steps (the lab, between the interface's input polls): a step is
 * one forward over a group of at most `chunk` prompts of one length, and
 * decodes one byte of each answer. task_addition_accuracy is begin, steps
 * until done, end. m must not run anything else between the steps. */
typedef struct TaskScoring {
    const Task *t;
    Gpt *m;
    int n, chunk, ans_max, W; /* problems, prompts per forward, answer bytes, row width */
    int *tok, *in;            /* (chunk, W) prompts and answers so far; packed (count, len) */
    int *plen, *order;        /* (n) prompt lengths; problems by length (stable) */
    char *decoded;            /* (n, ans_max + 1) */
    int s;                    /* first problem (in order) of the current group */
    int count, len, k;        /* the group (0: none yet), its current length, answer byte */
} TaskScoring;

int task_scoring_begin(TaskScoring *sc, const Task *t, Gpt *m, int n, Status *st);
int task_scoring_step(TaskScoring *sc, Status *st);
bool task_scoring_done(const TaskScoring *sc);
/* Tokens the next step's forward takes (count x len): its work. */
size_t task_scoring_next_tokens(const TaskScoring *sc);
void task_scoring_end(const TaskScoring *sc, TaskAccuracy *out, char *answers, size_t answers_size,
                      int n_show);
void task_scoring_free(TaskScoring *sc);

#endif
