/* demo_schema.c — the table of demo kinds and their parameters (see
 * demo_schema.h), and the one routine that turns a demo block's
 * "key = value" lines into typed values.
 *
 * Lint and the interface both go through demo_args_resolve, so a lesson that
 * lints clean is exactly a lesson whose demos the interface can start. The
 * table is the single place a demo's parameters are described: FORMAT.md
 * copies its help lines, and a test checks that every default in it parses.
 * The lab's method parameters alone are made from the tuning-method
 * registry (tune.h), one per row, so a new method needs no line here. */
#include "demo_schema.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/paths.h"
#include "../base/strdist.h"
#include "../tune/lab_defaults.h"
#include "../tune/tune.h"

/* ---------------------------------------------------------------------------
 * The table
 *
 * Ranges are generous limits that keep a demo responsive and a typo visible
 * (rank = 80000 is surely a slip); a demo clamps to the actual data size at
 * run time (an svd rank above min(m, n) shows the full image). */

/* The table reads best laid out by hand. */
/* clang-format off */
#define INT_P(nm, lo, hi, d, h) \
    { .name = nm, .type = DEMO_PARAM_INT, .min = lo, .max = hi, .def = d, .help = h }
#define REAL_P(nm, lo, hi, d, h) \
    { .name = nm, .type = DEMO_PARAM_REAL, .min = lo, .max = hi, .def = d, .help = h }
#define BOOL_P(nm, d, h) { .name = nm, .type = DEMO_PARAM_BOOL, .def = d, .help = h }

static const char *const matrix_exts[] = {".csv", ".txt", ".tsv", NULL};
static const char *const image_exts[] = {".pgm", ".png", NULL};
static const char *const matrix_or_rows[] = {"matrix", "rows", NULL};
static const char *const matrix_show[] = {"rank", "steps", "singular", NULL};

/* The two ways to give a small matrix, shared by the rank demos. */
#define MATRIX_FILE_P                                                          \
    { .name = "matrix", .type = DEMO_PARAM_PATH, .exts = matrix_exts,          \
      .help = "a matrix file (CSV or spaces, one row per line) beside the "    \
              "lesson or in data/, e.g. data/matrices/rank2.csv" }
#define MATRIX_ROWS_P(d)                                                       \
    { .name = "rows", .type = DEMO_PARAM_ROWS, .def = d,                       \
      .help = "the matrix written inline, rows separated by ';': "             \
              "1 2 3; 1 5 6; 3 4 7" }

static const DemoParamSpec matrix_params[] = {
    MATRIX_FILE_P,
    MATRIX_ROWS_P(NULL),
    { .name = "show", .type = DEMO_PARAM_ENUM, .choices = matrix_show, .def = "rank",
      .help = "what appears beside the grid: rank (live rank and pivots), steps "
              "(row echelon form), singular (singular values as bars)" },
    BOOL_P("editable", "yes", "the student may change entries (arrow keys, type a number)"),
};

static const DemoParamSpec rowreduce_params[] = {
    MATRIX_FILE_P,
    MATRIX_ROWS_P(NULL),
    INT_P("step", 0, 10000, "0",
          "the elimination step shown first (0 = the matrix as given; clamped to the last)"),
};

/* Without matrix or rows: the rank-2 example of lesson 1. A demo given
 * `matrix` uses it instead of the default rows (check demo_args_given). */
static const DemoParamSpec rank_noise_params[] = {
    MATRIX_FILE_P,
    MATRIX_ROWS_P("1 2 3; 1 5 6; 3 4 7"),
    REAL_P("noise", 0, 1, "0",
           "starting noise: standard deviation of the random number added to every entry"),
    REAL_P("tolerance", 0, 10, "1e-4",
           "starting tolerance: singular values at or below it count as zero"),
    INT_P("seed", 0, 2147483647, "1", "seed of the noise (same seed, same noise)"),
};

static const DemoParamSpec svd_params[] = {
    { .name = "image", .type = DEMO_PARAM_PATH, .exts = image_exts, .required = true,
      .help = "a grayscale PGM or PNG photo beside the lesson or in data/, "
              "e.g. data/images/boats.pgm" },
    INT_P("rank", 1, 4096, "8", "starting rank k of the approximation (clamped to min(m, n))"),
    BOOL_P("error", "yes", "also show the error image (original minus rank-k)"),
};

static const DemoParamSpec spectrum_params[] = {
    INT_P("size", 2, 512, "64", "the matrices are size x size"),
    INT_P("rank", 1, 512, "4", "rank of the low-rank part of the second matrix"),
    REAL_P("noise", 0, 10, "0.05",
           "standard deviation of the noise added to the low-rank matrix "
           "(its entries have standard deviation about 1)"),
    INT_P("seed", 0, 2147483647, "1", "seed of both random matrices"),
};

static const DemoParamSpec lora_cost_params[] = {
    INT_P("d", 1, 1000000, "4096", "rows of the weight matrix W (its output size)"),
    INT_P("k", 1, 1000000, "4096", "columns of W (its input size)"),
    INT_P("rank", 1, 1000000, "8", "rank r of the update B·A (B is d x r, A is r x k)"),
};

/* Lesson 3: number formats. */
static const char *const format_names[] = {"fp32", "fp16", "bf16", "e4m3", "e5m2", NULL};
static const char *const arith_ops[] = {"add", "sub", "mul", "div", NULL};
static const char *const precision_targets[] = {"image", "matmul", NULL};

static const DemoParamSpec bits_params[] = {
    REAL_P("value", -1e38, 1e38, "0.1", "the number shown first (the student can type another)"),
    { .name = "format", .type = DEMO_PARAM_ENUM, .choices = format_names, .def = "fp16",
      .help = "the format whose bits the cursor starts on: fp32, fp16, bf16, e4m3, e5m2" },
};

static const DemoParamSpec number_line_params[] = {
    { .name = "format", .type = DEMO_PARAM_ENUM, .choices = format_names, .def = "fp16",
      .help = "the number format: fp32, fp16, bf16, e4m3, e5m2" },
    REAL_P("x", 0, 1e38, "1", "the point in the middle of the line (clamped to the format's max)"),
    INT_P("zoom", 1, 1048576, "16", "half the width of the window, in ulps of x"),
};

static const DemoParamSpec arith_params[] = {
    REAL_P("a", -1e300, 1e300, "0.1", "the first operand, as a decimal number"),
    { .name = "op", .type = DEMO_PARAM_ENUM, .choices = arith_ops, .def = "add",
      .help = "the operation: add, sub, mul, div" },
    REAL_P("b", -1e300, 1e300, "0.2", "the second operand"),
};

static const DemoParamSpec sum_params[] = {
    REAL_P("start", -1e6, 1e6, "0", "the value the sum starts from (a weight, say)"),
    REAL_P("term", 1e-8, 1000, "0.0001", "the number added again and again"),
    INT_P("count", 1, 20000, "10000", "how many times it is added"),
};

static const DemoParamSpec precision_params[] = {
    { .name = "target", .type = DEMO_PARAM_ENUM, .choices = precision_targets, .def = "image",
      .help = "what is rounded: image (a photo's pixels) or matmul (a matrix product)" },
    { .name = "image", .type = DEMO_PARAM_PATH, .exts = image_exts, .def = "data/images/boats.pgm",
      .help = "the photo for target = image (PGM or PNG beside the lesson or in data/)" },
    INT_P("exponent", 2, 8, "5", "starting exponent bits E of the format eXmY"),
    INT_P("mantissa", 0, 23, "10", "starting mantissa bits M (e5m10 is fp16, e8m7 is bf16)"),
    INT_P("size", 2, 64, "32", "target = matmul: the matrices are size x size"),
    INT_P("seed", 0, 2147483647, "1", "target = matmul: seed of the random matrices"),
};

/* Lesson 4: quantization. */
static const char *const quant_sources[] = {"model", "gaussian", NULL};
static const char *const quant_matrices[] = {"attn.c_attn", "attn.c_proj", "mlp.c_fc",
                                             "mlp.c_proj", "wte", NULL};
static const char *const quant_schemes[] = {"int", "q8_0", "q4_0", "nf4", "nf4-dq", NULL};
static const char *const quant_granularities[] = {"tensor", "row", "block", NULL};
static const char *const text_exts[] = {".txt", NULL};

#define QUANT_SCHEME_PARAMS(bits_def)                                                  \
    { .name = "scheme", .type = DEMO_PARAM_ENUM, .choices = quant_schemes, .def = "int", \
      .help = "int (b-bit integers), q8_0, q4_0 (ggml), nf4, nf4-dq (QLoRA)" },        \
    INT_P("bits", 2, 8, bits_def, "int: bits per code"),                                \
    { .name = "granularity", .type = DEMO_PARAM_ENUM, .choices = quant_granularities,   \
      .def = "tensor",                                                                 \
      .help = "int: one scale per tensor, per row (output channel) or per block" },    \
    INT_P("block", 1, 4096, "64", "int, granularity block: weights per block"),          \
    BOOL_P("asymmetric", "no", "int: min/max with a zero point instead of +-absmax")

static const DemoParamSpec quant_params[] = {
    { .name = "source", .type = DEMO_PARAM_ENUM, .choices = quant_sources, .def = "model",
      .help = "model: a weight matrix of data/models/base (Gaussian weights until the model "
              "is there; the screen says which); gaussian: generated weights" },
    INT_P("layer", 0, 63, "0", "source = model: the transformer block"),
    { .name = "matrix", .type = DEMO_PARAM_ENUM, .choices = quant_matrices, .def = "mlp.c_fc",
      .help = "source = model: which weight matrix of the block (or the embedding wte)" },
    QUANT_SCHEME_PARAMS("8"),
    INT_P("outliers", 0, 64, "0", "Gaussian weights: how many become +-(10..20) standard deviations"),
    INT_P("weights", 256, 1048576, "65536", "Gaussian weights: how many"),
    INT_P("seed", 0, 2147483647, "1", "Gaussian weights: seed (same seed, same weights)"),
};

static const DemoParamSpec quant_memory_params[] = {
    REAL_P("params", 1e6, 1e13, "1e9", "weights of the model in the last column (a slider)"),
    REAL_P("budget", 1, 10000, "24", "memory to fit in, in GB (a slider); cells that fit are marked"),
};

static const DemoParamSpec quant_loss_params[] = {
    { .name = "text", .type = DEMO_PARAM_PATH, .exts = text_exts,
      .def = "data/text/sotu-valid.txt",
      .help = "the text the model is evaluated on" },
    INT_P("windows", 1, 1024, "32",
          "evaluation windows (of n_positions + 1 bytes, evenly spaced through the text)"),
    QUANT_SCHEME_PARAMS("4"),
};

/* Lesson 5: LoRA on the base model. */
static const char *const lora_matrix_choices[] = {"q", "k", "v", "attn.c_proj", "mlp.c_fc",
                                                  "mlp.c_proj", NULL};

static const DemoParamSpec lora_shapes_params[] = {
    INT_P("layer", 0, 63, "0", "the transformer block of data/models/base (clamped to its layers)"),
    { .name = "matrix", .type = DEMO_PARAM_ENUM, .choices = lora_matrix_choices, .def = "q",
      .help = "which weight matrix: q, k, v (thirds of attn.c_attn), attn.c_proj, mlp.c_fc, "
              "mlp.c_proj" },
    INT_P("rank", 1, 128, "8", "starting rank r (clamped to the matrix)"),
};

static const DemoParamSpec lora_merge_params[] = {
    INT_P("rank", 1, 64, "8", "rank r of the adapter on q and v of every layer"),
    INT_P("layer", 0, 63, "0", "the layer whose attn.c_attn outputs are compared"),
    INT_P("steps", 1, 2000, "40", "training steps when the student trains A and B"),
    { .name = "text", .type = DEMO_PARAM_PATH, .exts = text_exts,
      .def = "data/text/moby-valid.txt",
      .help = "the real text read by both models (4 windows of 64 bytes)" },
};

static const DemoParamSpec lora_delta_params[] = {
    INT_P("steps", 1, 2000, LAB_DEFAULT_STEPS_STR, "steps of the full fine-tuning run (the default lab's)"),
    INT_P("batch", 1, 64, "16", "sequences of 64 bytes per step"),
};

/* Lesson 5: the size of the first updates against r (demo_lora_scale.h). */
static const char *const lora_scale_matrices[] = {"q", "v", NULL};

static const DemoParamSpec lora_scale_params[] = {
    INT_P("layer", 0, 63, "0", "the layer whose ΔW is measured (clamped to the model's layers)"),
    { .name = "matrix", .type = DEMO_PARAM_ENUM, .choices = lora_scale_matrices, .def = "q",
      .help = "which of the lab's two adapted matrices is measured: q or v" },
    INT_P("steps", 1, 20, "3", "Adam steps of every run (the first steps of the lab's schedule)"),
    INT_P("batch", 1, 16, "4", "sequences of 64 bytes per step"),
    { .name = "text", .type = DEMO_PARAM_PATH, .exts = text_exts,
      .def = "data/text/moby-train.txt", .help = "the text the batches come from" },
    INT_P("seed", 0, 2147483647, "1", "seed of the batches"),
};

/* Lesson 5: Hu et al. §7 on two LoRA runs (demo_lora_sim.h). */
static const DemoParamSpec lora_similarity_params[] = {
    INT_P("small", 1, 32, "8", "the smaller rank r₁"),
    INT_P("large", 2, 64, "64", "the larger rank r₂ (above small)"),
    INT_P("steps", 1, 2000, LAB_DEFAULT_STEPS_STR, "steps of both runs (the default lab's)"),
    INT_P("batch", 1, 24, "16", "sequences of 64 bytes per step"),
};

/* Lessons 5 and 6: lab methods compared (demo_lab_compare.c's presets,
 * in this order). */
static const char *const lab_compare_choices[] = {"targets", "pissa", "prefix-mlp", "prompt-prefix", NULL};

static const DemoParamSpec lab_compare_params[] = {
    { .name = "compare", .type = DEMO_PARAM_ENUM, .choices = lab_compare_choices, .def = "targets",
      .help = "targets (LoRA r = 8 on q and v against all six matrices), pissa (LoRA against "
              "PiSSA), prefix-mlp (the prefix with and without its MLP) or prompt-prefix (prompt "
              "tuning against prefix tuning, P = 16 each); full tuning always runs" },
    INT_P("steps", 1, 2000, LAB_DEFAULT_STEPS_STR, "steps per method (the default lab's)"),
    INT_P("batch", 1, 24, "16", "sequences of 64 bytes per step"),
};

/* Lesson 6: prefix tuning. */
static const DemoParamSpec prefix_attention_params[] = {
    { .name = "text", .type = DEMO_PARAM_PATH, .exts = text_exts,
      .def = "data/text/moby-train.txt", .help = "the text the model reads" },
    INT_P("at", 32, 100000000, "38",
          "byte offset of the first real token; the prefix is made from the bytes before it"),
    INT_P("prefix", 0, 32, "8", "prefix length P at the start"),
    INT_P("tokens", 1, 32, "16", "real tokens T (queries)"),
    INT_P("layer", 0, 63, "0", "the layer shown"),
    INT_P("head", 0, 64, "0", "the head shown (a number past the last head: the mean over heads)"),
};

static const DemoParamSpec prefix_cost_params[] = {
    INT_P("prefix", 1, 4096, "16", "prefix length P at the start"),
};

/* Lesson 7: the fine-tune lab. */
static const char *const lab_tasks[] = {"domain", "addition", NULL};

static const char *const lab_targets[] = {"q+v", "attention", "all", NULL};
static const char *const lab_scales[] = {"rslora", "2r", "fixed", NULL};
static const char *const lab_shows[] = {"lab", "results", NULL};
/* The lab block's parameters: this head, one per registry method (built
 * from its row by lab_params_build, below), then the tail. */
static const DemoParamSpec lab_head[] = {
    { .name = "task", .type = DEMO_PARAM_ENUM, .choices = lab_tasks, .def = "domain",
      .help = "domain (State of the Union to Moby-Dick, bits per byte) or addition "
              "(sums like 47+38=85, exact-match accuracy)" },
    INT_P("digits", 1, 6, "2", "task = addition: digits of each operand"),
};
static const DemoParamSpec lab_tail[] = {
    INT_P("steps", 1, 2000, LAB_DEFAULT_STEPS_STR, "training steps per method"),
    REAL_P("lr", 0.015625, 64, "1", "every method's default peak learning rate times this"),
    /* At most 24: the lab trains inside the interface in units of half a step,
     * and the backward half of full tuning must stay well under 100 ms. */
    INT_P("batch", 1, 24, "16", "sequences of 64 bytes per step (at most 24 keeps the lab responsive)"),
    INT_P("windows", 1, 1024, "128", "windows of the final held-out and forgetting evaluations"),
    INT_P("seed", 0, 2147483647, "1", "seed of the batches and of the methods' random starts"),
    { .name = "targets", .type = DEMO_PARAM_ENUM, .choices = lab_targets, .def = "q+v",
      .help = "the matrices LoRA (and QLoRA, DoRA) adapt: q+v, attention (q, k, v and o) or all "
              "(every linear layer)" },
    { .name = "scale", .type = DEMO_PARAM_ENUM, .choices = lab_scales, .def = "rslora",
      .help = "LoRA's scale s: rslora (fixed alpha = 5.66, s = alpha/sqrt(r)), 2r (alpha = 2r, "
              "s = 2 at every rank) or fixed (alpha = 16, s = 16/r); all three give s = 2 at r = 8" },
    BOOL_P("prefix-mlp", "no", "prefix tuning trains through an MLP reparameterisation"),
    { .name = "id", .type = DEMO_PARAM_NAME,
      .help = "a name for this lab's results, kept for the session and with the progress "
              "(default: made from the block's parameters)" },
    { .name = "show", .type = DEMO_PARAM_ENUM, .choices = lab_shows, .def = "lab",
      .help = "lab (the controls, curves and tables) or results (only what the lab with the same id "
              "kept: its curves, tables, findings and samples, no controls)" },
    { .name = "compare", .type = DEMO_PARAM_NAME,
      .help = "the id of an earlier lab of the lesson whose kept results are shown beside "
              "this one's (faint curves, their rows and samples)" },
};
/* clang-format on */

enum {
    LAB_N_HEAD = (int)(sizeof lab_head / sizeof lab_head[0]),
    LAB_N_TAIL = (int)(sizeof lab_tail / sizeof lab_tail[0]),
    LAB_N_PARAMS = LAB_N_HEAD + TUNE_NUM_KINDS + LAB_N_TAIL,
    LAB_HELP_MAX = 160, /* a method parameter's help line */
};
_Static_assert(LAB_N_PARAMS <= DEMO_MAX_PARAMS,
               "the lab block has more parameters than DemoArgs holds");

/* The lab kind's parameters and the text of its method parameters. Built
 * once, at the first use of the table (lab_params_once), and read-only
 * after: the table is constant for the program's life, only its method
 * part is read from the registry rather than written here. */
static DemoParamSpec lab_params[LAB_N_PARAMS];
static char lab_method_def[TUNE_NUM_KINDS][16];
static char lab_method_help[TUNE_NUM_KINDS][LAB_HELP_MAX];
static pthread_once_t lab_params_once = PTHREAD_ONCE_INIT;

/* One method's parameter, named as it: several sizes -> the rows of sizes
 * on; a size -> that size (0: off); else yes/no. */
static DemoParamSpec lab_method_param(const TuneMethod *m, char *def, size_t def_size, char *help,
                                      size_t help_size)
{
    DemoParamSpec p = {.name = m->name, .def = def, .help = help};
    if (m->several_sizes) {
        p.type = DEMO_PARAM_ROWS;
        p.def = m->lab_sizes_on;
        snprintf(help, help_size, "%s on at the start, %d to %d (0: none)", m->lab_help,
                 m->size_min, LAB_MAX_SIZE);
    } else if (m->size_name) {
        p.type = DEMO_PARAM_INT;
        p.min = 0;
        p.max = LAB_MAX_SIZE;
        snprintf(def, def_size, "%d", m->lab_on ? m->size_default : 0);
        if (m->lab_on)
            snprintf(help, help_size, "%s at the start (0: off)", m->lab_help);
        else
            snprintf(help, help_size, "%s at the start (0: off, the toggle offers %s = %d)",
                     m->lab_help, m->size_symbol, m->size_default);
    } else {
        p.type = DEMO_PARAM_BOOL;
        p.def = m->lab_on ? "yes" : "no";
        snprintf(help, help_size, "%s is on at the start", m->lab_help);
    }
    return p;
}

static void lab_params_build(void)
{
    int n = 0;
    for (int i = 0; i < LAB_N_HEAD; i++) lab_params[n++] = lab_head[i];
    for (int k = 0; k < TUNE_NUM_KINDS; k++)
        lab_params[n++] =
            lab_method_param(tune_method((TuneKind)k), lab_method_def[k], sizeof lab_method_def[k],
                             lab_method_help[k], sizeof lab_method_help[k]);
    for (int i = 0; i < LAB_N_TAIL; i++) lab_params[n++] = lab_tail[i];
}

/* clang-format off */

static const DemoRule spectrum_rules[] = {{"rank", "size"}};
static const DemoRule lora_cost_rules[] = {{"rank", "d"}, {"rank", "k"}};
static const DemoRule lora_similarity_rules[] = {{"small", "large"}};

#define PARAMS(a) .params = a, .n_params = (int)(sizeof a / sizeof a[0])
#define RULES(a) .rules = a, .n_rules = (int)(sizeof a / sizeof a[0])

static const DemoKind kinds[] = {
    { .name = "matrix",
      .summary = "an editable matrix with its live rank, echelon form or singular values",
      PARAMS(matrix_params), .one_of = matrix_or_rows, .need_one = true },
    { .name = "rowreduce",
      .summary = "Gaussian elimination one row operation at a time; pivots count the rank",
      PARAMS(rowreduce_params), .one_of = matrix_or_rows, .need_one = true },
    { .name = "rank-noise",
      .summary = "noise and tolerance sliders: exact rank versus numerical rank",
      PARAMS(rank_noise_params), .one_of = matrix_or_rows },
    { .name = "svd",
      .summary = "a photo rebuilt from its top k singular values, with error, spectrum "
                 "and storage",
      PARAMS(svd_params) },
    { .name = "spectrum",
      .summary = "singular values of a random matrix beside a low-rank-plus-noise one",
      PARAMS(spectrum_params), RULES(spectrum_rules) },
    { .name = "lora-cost",
      .summary = "numbers stored by a rank-r update, r(d + k), against d·k",
      PARAMS(lora_cost_params), RULES(lora_cost_rules) },
    { .name = "bits",
      .summary = "a number's bits in every format; flip any bit and see the value change",
      PARAMS(bits_params) },
    { .name = "number-line",
      .summary = "the representable values around a point, with the spacing (ulp) and a zoom",
      PARAMS(number_line_params) },
    { .name = "arith",
      .summary = "a + b, a − b, a × b or a ÷ b rounded in fp64, fp32, fp16, bf16 and fp8",
      PARAMS(arith_params) },
    { .name = "sum",
      .summary = "adding one small number many times in fp32, fp16 and bf16, naive and Kahan",
      PARAMS(sum_params) },
    { .name = "precision",
      .summary = "exponent and mantissa sliders: a custom format on a photo or a matrix product",
      PARAMS(precision_params) },
    { .name = "quant",
      .summary = "a weight matrix's histogram with the quantization levels, error and storage",
      PARAMS(quant_params) },
    { .name = "quant-memory",
      .summary = "bytes per weight of each format, and what 7B and 70B models need",
      PARAMS(quant_memory_params) },
    { .name = "quant-loss",
      .summary = "the tiny GPT with quantized weights: its loss for each format and bit width",
      PARAMS(quant_loss_params) },
    { .name = "lora-shapes",
      .summary = "W + (α/r)·B·A drawn with the real shapes of a matrix of the base model",
      PARAMS(lora_shapes_params) },
    { .name = "lora-merge",
      .summary = "an adapter merged into W and taken out again: how much the outputs differ",
      PARAMS(lora_merge_params) },
    { .name = "lora-delta",
      .summary = "the singular values of a real ΔW from full fine-tuning, and their energy",
      PARAMS(lora_delta_params) },
    { .name = "lora-scale",
      .summary = "‖ΔW‖ after LoRA's first Adam steps against r, for α/r and α/√r (rsLoRA)",
      PARAMS(lora_scale_params) },
    { .name = "lora-similarity",
      .summary = "two LoRA runs compared: subspace similarity φ and the amplification factor",
      PARAMS(lora_similarity_params), RULES(lora_similarity_rules) },
    { .name = "lab-compare",
      .summary = "a few lab methods on one table: held-out loss, share of full tuning's gain, forgetting",
      PARAMS(lab_compare_params) },
    { .name = "prefix-attention",
      .summary = "attention of the base model with P prefix columns, from a real forward pass",
      PARAMS(prefix_attention_params) },
    { .name = "prefix-cost",
      .summary = "what prefix tuning trains, L·2·P·d, against LoRA at several ranks",
      PARAMS(prefix_cost_params) },
    { .name = "lab",
      .summary = "the tiny GPT fine-tuned by several methods side by side: live curves, "
                 "costs and results",
      PARAMS(lab_params) },
};
/* clang-format on */

const DemoKind *demo_kinds(int *n)
{
    pthread_once(&lab_params_once, lab_params_build);
    if (n) *n = (int)(sizeof kinds / sizeof kinds[0]);
    return kinds;
}

const DemoKind *demo_kind_find(const char *name)
{
    if (!name) return NULL;
    pthread_once(&lab_params_once, lab_params_build);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

const DemoParamSpec *demo_param_find(const DemoKind *k, const char *name, int *index)
{
    if (!k || !name) return NULL;
    for (int i = 0; i < k->n_params; i++)
        if (strcmp(k->params[i].name, name) == 0) {
            if (index) *index = i;
            return &k->params[i];
        }
    return NULL;
}

const char *demo_param_type_name(DemoParamType t)
{
    static const char *const names[] = {
        [DEMO_PARAM_INT] = "int",   [DEMO_PARAM_REAL] = "real", [DEMO_PARAM_ENUM] = "enum",
        [DEMO_PARAM_PATH] = "path", [DEMO_PARAM_BOOL] = "bool", [DEMO_PARAM_ROWS] = "rows",
        [DEMO_PARAM_NAME] = "name",
    };
    if ((int)t < 0 || (size_t)t >= sizeof names / sizeof names[0]) return "?";
    return names[t];
}

/* ---------------------------------------------------------------------------
 * Values */

/* Strict integer: optional sign, digits, nothing else. */
static bool parse_long(const char *s, long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p)) return false;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno) return false;
    *out = v;
    return true;
}

/* Strict decimal real: digits, sign, point and exponent only (so "inf",
 * "nan" and hex floats, which strtod would take, are refused). */
static bool parse_real(const char *s, double *out)
{
    if (!*s) return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p)) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {
        {"yes", true}, {"true", true},   {"on", true},   {"1", true},
        {"no", false}, {"false", false}, {"off", false}, {"0", false},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i].word) == 0) {
            *out = words[i].value;
            return true;
        }
    return false;
}

static bool ends_with_ci(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcasecmp(s + n - m, tail) == 0;
}

/* s shortened for a message: at most ~48 bytes, cut at a UTF-8 character
 * boundary, control bytes shown as '?'. Returns out. */
static const char *clip(char *out, size_t size, const char *s)
{
    size_t n = strlen(s), limit = size > 56 ? 48 : size - 8, k = n < limit ? n : limit;
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    size_t o = 0;
    for (size_t i = 0; i < k; i++)
        out[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (k < n) memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
    return out;
}

/* "a, b, c" from a NULL-terminated word list. */
static void join_words(char *out, size_t size, const char *const *words)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; words && words[i] && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", words[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

int demo_rows_parse(Mat *out, const char *text, Status *st)
{
    *out = (Mat){0};
    double vals[DEMO_ROWS_MAX][DEMO_ROWS_MAX];
    int rows = 0, cols = -1, n = 0;
    const char *p = text;
    for (;;) {
        /* One row: numbers up to ';' or the end. */
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0' || *p == ';') {
            if (n > 0) {
                if (cols >= 0 && n != cols)
                    return status_fail(st, LS_ERR_PARSE, "row %d has %d number%s but row 1 has %d",
                                       rows + 1, n, n == 1 ? "" : "s", cols);
                cols = n;
                rows++;
                n = 0;
            } else if (*p == ';' && rows > 0 && p[1] != '\0') {
                /* ";;" in the middle: an empty row is almost surely a typo.
                 * A single trailing ';' is allowed. */
                const char *q = p + 1;
                while (*q == ' ' || *q == '\t')
                    q++;
                if (*q != '\0')
                    return status_fail(st, LS_ERR_PARSE, "empty row after row %d", rows);
            }
            if (*p == '\0') break;
            p++;
            continue;
        }
        if (rows >= DEMO_ROWS_MAX)
            return status_fail(st, LS_ERR_RANGE, "more than %d rows", DEMO_ROWS_MAX);
        if (n >= DEMO_ROWS_MAX)
            return status_fail(st, LS_ERR_RANGE, "more than %d numbers in row %d", DEMO_ROWS_MAX,
                               rows + 1);
        char word[64];
        size_t w = 0;
        while (*p && !strchr(" \t,;", *p)) {
            if (w + 1 < sizeof word) word[w] = *p;
            w++;
            p++;
        }
        if (w >= sizeof word)
            return status_fail(st, LS_ERR_PARSE, "number too long in row %d", rows + 1);
        word[w] = '\0';
        double v;
        if (!parse_real(word, &v))
            return status_fail(st, LS_ERR_PARSE, "'%s' in row %d is not a number", word, rows + 1);
        vals[rows][n++] = v;
    }
    if (rows == 0) return status_fail(st, LS_ERR_PARSE, "no numbers");
    int rc = mat_init(out, rows, cols, st);
    if (rc) return rc;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            MAT_AT(out, i, j) = (float)vals[i][j];
    return LS_OK;
}

/* One parser per value syntax, indexed by DemoParamType. Each fills v (whose
 * .text is already the written text) or writes a message and fails. */
typedef bool (*ValueParser)(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                            size_t msg_size);

static bool value_int(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                      size_t msg_size)
{
    if (!parse_long(text, &v->i)) {
        char c[64];
        snprintf(msg, msg_size, "'%s' is not a whole number", clip(c, sizeof c, text));
        return false;
    }
    if ((double)v->i < spec->min || (double)v->i > spec->max) {
        snprintf(msg, msg_size, "%ld is out of range %.15g..%.15g", v->i, spec->min, spec->max);
        return false;
    }
    v->r = (double)v->i;
    return true;
}

static bool value_real(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                       size_t msg_size)
{
    if (!parse_real(text, &v->r)) {
        char c[64];
        snprintf(msg, msg_size, "'%s' is not a number", clip(c, sizeof c, text));
        return false;
    }
    if (v->r < spec->min || v->r > spec->max) {
        snprintf(msg, msg_size, "%s is out of range %.15g..%.15g", text, spec->min, spec->max);
        return false;
    }
    return true;
}

static bool value_enum(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                       size_t msg_size)
{
    for (int i = 0; spec->choices && spec->choices[i]; i++)
        if (strcmp(spec->choices[i], text) == 0) {
            v->i = i;
            v->text = spec->choices[i];
            return true;
        }
    char words[256];
    join_words(words, sizeof words, spec->choices);
    char c[64];
    snprintf(msg, msg_size, "'%s' is not one of: %s", clip(c, sizeof c, text), words);
    return false;
}

/* Only the spelling here; whether the file exists depends on the root and is
 * checked by demo_args_resolve. */
static bool value_path(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                       size_t msg_size)
{
    (void)v;
    if (!*text) {
        snprintf(msg, msg_size, "empty file name");
        return false;
    }
    if (!spec->exts) return true;
    for (int i = 0; spec->exts[i]; i++)
        if (ends_with_ci(text, spec->exts[i])) return true;
    char words[256];
    join_words(words, sizeof words, spec->exts);
    char c[64];
    snprintf(msg, msg_size, "'%s' should end in one of: %s", clip(c, sizeof c, text), words);
    return false;
}

static bool value_bool(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                       size_t msg_size)
{
    (void)spec;
    if (parse_bool(text, &v->b)) return true;
    char c[64];
    snprintf(msg, msg_size, "'%s' is not yes or no", clip(c, sizeof c, text));
    return false;
}

static bool value_rows(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                       size_t msg_size)
{
    (void)spec;
    (void)v;
    Mat m;
    Status st;
    if (demo_rows_parse(&m, text, &st)) {
        snprintf(msg, msg_size, "%s", st.msg);
        return false;
    }
    mat_free(&m);
    return true;
}

/* Letters, digits and '-': a name that is also a safe file name. */
static bool value_name(const DemoParamSpec *spec, const char *text, DemoValue *v, char *msg,
                       size_t msg_size)
{
    (void)spec, (void)v;
    size_t n = strlen(text);
    bool ok = n > 0 && n <= DEMO_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++) ok = isalnum((unsigned char)text[i]) || text[i] == '-';
    if (ok) return true;
    char c[64];
    snprintf(msg, msg_size, "'%s' is not a name (letters, digits and '-', at most %d)", clip(c, sizeof c, text),
             DEMO_NAME_MAX);
    return false;
}

static const ValueParser value_parsers[] = {
    [DEMO_PARAM_INT] = value_int,   [DEMO_PARAM_REAL] = value_real, [DEMO_PARAM_ENUM] = value_enum,
    [DEMO_PARAM_PATH] = value_path, [DEMO_PARAM_BOOL] = value_bool, [DEMO_PARAM_ROWS] = value_rows,
    [DEMO_PARAM_NAME] = value_name,
};

bool demo_value_parse(const DemoParamSpec *spec, const char *text, DemoValue *out, char *msg,
                      size_t msg_size)
{
    if ((size_t)spec->type >= sizeof value_parsers / sizeof value_parsers[0]) {
        snprintf(msg, msg_size, "parameter '%s' has an unknown type", spec->name);
        return false;
    }
    DemoValue v = {.set = true, .text = text};
    if (!value_parsers[spec->type](spec, text, &v, msg, msg_size)) return false;
    *out = v;
    return true;
}

/* ---------------------------------------------------------------------------
 * Resolving a block */

typedef struct Reporter {
    DemoProblemFn fn;
    void *ctx;
    int count;
    const char *demo;
} Reporter;

static void problem(Reporter *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(Reporter *r, int line, const char *fmt, ...)
{
    char body[600], msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (r->demo)
        snprintf(msg, sizeof msg, "demo %s: %s", r->demo, body);
    else
        snprintf(msg, sizeof msg, "%s", body);
    r->count++;
    if (r->fn) r->fn(r->ctx, line, msg);
}

static void unknown_kind(Reporter *r, const Block *b)
{
    int n;
    const DemoKind *all = demo_kinds(&n);
    const char *best = NULL;
    int best_d = 3; /* suggest only close names */
    char known[256] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int d = str_edit_distance(b->info, all[i].name, 32);
        if (d < best_d) best_d = d, best = all[i].name;
        int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", all[i].name);
        if (w > 0 && (size_t)w < sizeof known - used) used += (size_t)w;
    }
    char c[64];
    if (best)
        problem(r, b->line, "unknown demo '%s' (did you mean '%s'?)", clip(c, sizeof c, b->info),
                best);
    else
        problem(r, b->line, "unknown demo '%s' (known demos: %s)", clip(c, sizeof c, b->info),
                known);
}

static void unknown_param(Reporter *r, const DemoKind *k, const Param *p)
{
    const char *best = NULL;
    int best_d = 3;
    char names[256] = "";
    size_t used = 0;
    for (int i = 0; i < k->n_params; i++) {
        int d = str_edit_distance(p->key, k->params[i].name, 32);
        if (d < best_d) best_d = d, best = k->params[i].name;
        int w =
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", k->params[i].name);
        if (w > 0 && (size_t)w < sizeof names - used) used += (size_t)w;
    }
    if (best)
        problem(r, p->line, "unknown parameter '%s' (did you mean '%s'?)", p->key, best);
    else
        problem(r, p->line, "unknown parameter '%s' (parameters: %s)", p->key, names);
}

/* Does a path value name a readable regular file a lesson may read? If
 * not, st says why. */
static bool data_file_ok(const char *lesson_file, const char *rel, Status *st)
{
    char resolved[4096];
    if (paths_lesson_data(resolved, sizeof resolved, lesson_file, rel, st)) return false;
    struct stat sb;
    if (stat(resolved, &sb) != 0 || !S_ISREG(sb.st_mode) || access(resolved, R_OK) != 0) {
        status_fail(st, LS_ERR_IO, "'%s' is not a readable file (%s)", rel, resolved);
        return false;
    }
    return true;
}

int demo_args_resolve(DemoArgs *out, const Block *b, DemoProblemFn report, void *ctx)
{
    *out = (DemoArgs){0};
    Reporter r = {.fn = report, .ctx = ctx};
    if (!b || b->kind != BLOCK_DEMO) {
        problem(&r, b ? b->line : 0, "not a demo block");
        return r.count;
    }
    if (!b->info || !*b->info) {
        problem(&r, b->line, "demo block without a name: write ```demo NAME");
        return r.count;
    }
    const DemoKind *k = demo_kind_find(b->info);
    if (!k) {
        unknown_kind(&r, b);
        return r.count;
    }
    out->kind = k;
    out->lesson_file = b->file;
    r.demo = k->name;
    char msg[400];

    /* Defaults first; they come from the table, which a test keeps valid. */
    for (int i = 0; i < k->n_params && i < DEMO_MAX_PARAMS; i++) {
        const DemoParamSpec *s = &k->params[i];
        if (s->def && demo_value_parse(s, s->def, &out->v[i], msg, sizeof msg))
            out->v[i].line = b->line;
    }

    /* Then what the lesson wrote. `written` counts a line even when its value
     * is bad, so one typo gives one message, not also "missing ...". */
    bool written[DEMO_MAX_PARAMS] = {false};
    int written_line[DEMO_MAX_PARAMS] = {0};
    for (int p = 0; p < b->n_params; p++) {
        const Param *pa = &b->params[p];
        int idx;
        const DemoParamSpec *s = demo_param_find(k, pa->key, &idx);
        if (!s || idx >= DEMO_MAX_PARAMS) {
            unknown_param(&r, k, pa);
            continue;
        }
        if (written[idx]) {
            problem(&r, pa->line, "parameter '%s' given twice (first on line %d)", pa->key,
                    written_line[idx]);
            continue;
        }
        written[idx] = true;
        written_line[idx] = pa->line;
        DemoValue nv;
        if (!demo_value_parse(s, pa->value, &nv, msg, sizeof msg)) {
            problem(&r, pa->line, "%s: %s", pa->key, msg);
            continue;
        }
        Status why;
        if (s->type == DEMO_PARAM_PATH && !data_file_ok(b->file, pa->value, &why)) {
            problem(&r, pa->line, "%s: data file %s", pa->key, why.msg);
            continue;
        }
        nv.given = true;
        nv.line = pa->line;
        out->v[idx] = nv;
    }

    /* Required parameters, checked after all lines so the line is the block's. */
    for (int i = 0; i < k->n_params && i < DEMO_MAX_PARAMS; i++)
        if (k->params[i].required && !written[i])
            problem(&r, b->line, "missing required parameter '%s': %s", k->params[i].name,
                    k->params[i].help);

    if (k->one_of) {
        int count = 0, second_line = 0;
        char names[128];
        join_words(names, sizeof names, k->one_of);
        for (int i = 0; k->one_of[i]; i++) {
            int idx;
            if (demo_param_find(k, k->one_of[i], &idx) && idx < DEMO_MAX_PARAMS && written[idx]) {
                if (++count == 2) second_line = written_line[idx];
            }
        }
        if (count > 1)
            problem(&r, second_line, "give only one of: %s", names);
        else if (count == 0 && k->need_one)
            problem(&r, b->line, "needs one of: %s", names);
    }

    for (int i = 0; i < k->n_rules; i++) {
        const DemoValue *s = demo_args_get(out, k->rules[i].small);
        const DemoValue *l = demo_args_get(out, k->rules[i].large);
        if (s && l && s->set && l->set && s->r > l->r)
            problem(&r, s->given ? s->line : l->line, "%s (%.15g) must not exceed %s (%.15g)",
                    k->rules[i].small, s->r, k->rules[i].large, l->r);
    }
    return r.count;
}

typedef struct FirstProblem {
    Status *st;
    bool seen;
} FirstProblem;

static void keep_first(void *ctx, int line, const char *message)
{
    FirstProblem *f = ctx;
    if (f->seen) return;
    f->seen = true;
    status_fail(f->st, LS_ERR_PARSE, "line %d: %s", line, message);
}

int demo_args_from_block(DemoArgs *out, const Block *b, Status *st)
{
    FirstProblem f = {.st = st};
    status_clear(st);
    return demo_args_resolve(out, b, keep_first, &f) ? LS_ERR_PARSE : LS_OK;
}

const DemoValue *demo_args_get(const DemoArgs *a, const char *name)
{
    int idx;
    if (!a || !a->kind || !demo_param_find(a->kind, name, &idx) || idx >= DEMO_MAX_PARAMS)
        return NULL;
    return &a->v[idx];
}

long demo_args_int(const DemoArgs *a, const char *name)
{
    const DemoValue *v = demo_args_get(a, name);
    return v && v->set ? v->i : 0;
}

double demo_args_real(const DemoArgs *a, const char *name)
{
    const DemoValue *v = demo_args_get(a, name);
    return v && v->set ? v->r : 0.0;
}

bool demo_args_bool(const DemoArgs *a, const char *name)
{
    const DemoValue *v = demo_args_get(a, name);
    return v && v->set && v->b;
}

const char *demo_args_text(const DemoArgs *a, const char *name)
{
    const DemoValue *v = demo_args_get(a, name);
    return v && v->set ? v->text : NULL;
}

bool demo_args_given(const DemoArgs *a, const char *name)
{
    const DemoValue *v = demo_args_get(a, name);
    return v && v->given && v->set;
}

int demo_args_path(const DemoArgs *a, const char *name, char *out, size_t size, Status *st)
{
    const DemoValue *v = demo_args_get(a, name);
    if (!v || !v->set || !v->text) return status_fail(st, LS_ERR_ARG, "no '%s' given", name);
    /* The same rule lint applied: a refused path never reaches a reader. */
    return paths_lesson_data(out, size, v->given ? a->lesson_file : NULL, v->text, st);
}
