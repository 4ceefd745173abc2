/* cmd_quant.c — `lorascope quant`: quantize a weight matrix with integer,
 * ggml and NF4 schemes and report what each costs (error and storage).
 *
 * The weights come from a text matrix (--input), a tensor of a model
 * checkpoint (--model DIR --tensor NAME, through the engine's loader), or
 * are generated (--gaussian). A model's Conv1D weights, stored (in, out),
 * are quantized as (out, in) — as nn.Linear holds them — so that "row" is
 * an output channel and blocks run along the inputs, as in ggml. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../core/io.h"
#include "../base/paths.h"
#include "../core/quant.h"
#include "../demo/demo_quant.h"
#include "../nn/checkpoint.h"
#include "cli.h"

static const char HELP[] =
    "Usage: lorascope quant [--input FILE | --model DIR --tensor NAME | --gaussian N [--outliers K]]\n"
    "                       [--scheme S] [--granularity tensor|row|block] [--block N]\n"
    "                       [--asymmetric] [--seed S] [--json]\n"
    "\n"
    "Quantize a weight matrix, dequantize it, and report the cost of each scheme:\n"
    "bits per weight (codes plus scales), bytes, mean squared error, largest\n"
    "absolute error and signal-to-noise ratio 10*log10(sum w^2 / sum (w - q)^2).\n"
    "\n"
    "Weights:\n"
    "  --input FILE    a CSV or whitespace-separated text matrix ('-' for stdin)\n"
    "  --tensor NAME   a weight tensor of a model by its Hugging Face name, e.g.\n"
    "                  transformer.h.0.mlp.c_fc.weight; the four linear weights of a\n"
    "                  block (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj), stored\n"
    "                  (in, out), are quantized as (out, in); vectors as one row\n"
    "  --model DIR     the model folder for --tensor (default data/models/base)\n"
    "  --gaussian N    N weights drawn from N(0, 0.02^2) (the default, N = 65536),\n"
    "                  laid out as rows of 256 when 256 divides N, otherwise as the\n"
    "                  most nearly square rows x cols = N (1000000 is 1000 x 1000)\n"
    "  --outliers K    with --gaussian: K weights (positions from the seed) become\n"
    "                  +-(10..20) standard deviations, as in real LLM layers\n"
    "  --seed S        seed for --gaussian (default 1): same seed, same weights\n"
    "\n"
    "Schemes (--scheme S; without it, a table of all of them):\n"
    "  intN            N = 2..8 bit integers, e.g. int8, int4: symmetric\n"
    "                  (scale = absmax / (2^(N-1) - 1)) or --asymmetric (min/max\n"
    "                  with a zero point); fp32 scales, one byte per zero point\n"
    "  q8_0, q4_0      ggml's blocks of 32 with an fp16 scale (8.5 / 4.5 bits)\n"
    "  nf4             QLoRA NormalFloat4, blocks of 64 with an fp32 absmax (4.5)\n"
    "  nf4-dq          nf4 with double-quantized absmax values (~4.127 bits)\n"
    "\n"
    "  --granularity G for intN: one scale per tensor (default), per row, or per\n"
    "                  block of N consecutive weights in a row (--block N, default 64;\n"
    "                  --block alone implies block)\n"
    "  --asymmetric    for intN: min/max with a zero point instead of +-absmax\n"
    "  --json          one object: \"source\" (with \"kind\" file, model or gaussian),\n"
    "                  \"rows\", \"cols\", \"weights\",\n"
    "                  \"fp32_bytes\" and \"results\", an array with one object per\n"
    "                  scheme (\"scheme\", \"granularity\", \"block\", \"asymmetric\",\n"
    "                  \"bits\", \"bits_per_weight\", \"bytes\", \"mse\", \"max_abs_error\",\n"
    "                  \"snr_db\"); always an array, even with --scheme. A scheme\n"
    "                  whose scale cannot hold these weights (fp16 stops at 65504)\n"
    "                  has \"error\" and nulls instead of figures; when every scheme\n"
    "                  asked for fails, the command fails\n"
    "\n"
    "Examples:\n"
    "  lorascope quant --gaussian 1048576 --outliers 4\n"
    "  lorascope quant --tensor transformer.h.0.mlp.c_fc.weight --scheme nf4\n"
    "  lorascope quant --scheme int4 --granularity block --block 32 --asymmetric\n";

enum { DEFAULT_GAUSSIAN = 65536, DEFAULT_BLOCK = 64, MAX_GAUSSIAN = 1 << 24 };
static const float GAUSSIAN_STD = 0.02f;

/* Where the weights come from. */
typedef enum Source {
    SRC_GAUSSIAN,
    SRC_FILE,
    SRC_MODEL, /* --model DIR --tensor NAME: a tensor of a checkpoint */
} Source;

typedef struct QuantArgs {
    Source source;
    const char *input; /* SRC_FILE */
    const char *model; /* SRC_MODEL: the folder (NULL: data/models/base) */
    const char *tensor; /* SRC_MODEL: the tensor's name */
    char model_dir[4096]; /* SRC_MODEL: the folder as resolved */
    int stored_rows, stored_cols; /* SRC_MODEL: the shape in the file */
    bool transposed;   /* SRC_MODEL: a Conv1D weight turned into (out, in) */
    long gaussian;     /* SRC_GAUSSIAN: number of weights */
    long outliers;
    long seed;
    const char *scheme; /* NULL: every scheme */
    bool granularity_set, block_set, asymmetric, json;
    QuantGranularity granularity;
    long block;
} QuantArgs;

/* Fill w (owned, rows x cols contiguous) from the chosen source. */
static int load_weights(Mat *w, QuantArgs *a, Status *st)
{
    switch (a->source) {
    case SRC_FILE: {
        Mat m = {0};
        int rc = io_read_matrix(&m, a->input, st);
        if (rc) return rc;
        if (m.stride == m.cols) {
            *w = m;
            return LS_OK;
        }
        rc = mat_clone(w, &m, st); /* make it contiguous */
        mat_free(&m);
        return rc;
    }
    case SRC_MODEL: {
        Gpt m;
        int rc = gpt_load(&m, a->model_dir, st);
        if (rc) return rc;
        ModelTensor t;
        rc = model_tensor_find(&t, &m, a->tensor, st);
        if (rc) status_prefix(st, "%s", a->model_dir);
        if (!rc) rc = model_tensor_matrix(w, &t, st);
        if (!rc) {
            a->stored_rows = t.rows;
            a->stored_cols = t.cols;
            a->transposed = t.conv1d;
        }
        gpt_free(&m);
        return rc;
    }
    case SRC_GAUSSIAN: {
        int rows, cols;
        quant_gaussian_shape((size_t)a->gaussian, &rows, &cols);
        *w = (Mat){0};
        w->data = malloc((size_t)a->gaussian * sizeof(float));
        if (!w->data)
            return status_fail(st, LS_ERR_NOMEM, "out of memory for %ld weights", a->gaussian);
        w->rows = rows;
        w->cols = cols;
        w->stride = cols;
        w->owner = true;
        return quant_make_gaussian(w->data, (size_t)a->gaussian, GAUSSIAN_STD, (size_t)a->outliers,
                                   (uint64_t)a->seed, st);
    }
    }
    return status_fail(st, LS_ERR_ARG, "no weights to quantize");
}

static int parse_args(QuantArgs *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},
        {"gaussian", required_argument, NULL, 'g'},
        {"outliers", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"scheme", required_argument, NULL, 'S'},
        {"granularity", required_argument, NULL, 'G'},
        {"block", required_argument, NULL, 'b'},
        {"asymmetric", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"model", required_argument, NULL, 'm'},
        {"tensor", required_argument, NULL, 't'},
        {0, 0, 0, 0},
    };
    *a = (QuantArgs){
        .source = SRC_GAUSSIAN, .gaussian = DEFAULT_GAUSSIAN, .seed = 1, .block = DEFAULT_BLOCK};
    bool have_gaussian = false, have_outliers = false;
    int c;
    CliExpect why;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->source = SRC_FILE;
            a->input = optarg;
            break;
        case 'g':
            if (!cli_parse_int(optarg, 1, MAX_GAUSSIAN, &a->gaussian, &why)) return cli_bad_value(&cmd_quant, argv, &why);
            have_gaussian = true;
            break;
        case 'o':
            if (!cli_parse_int(optarg, 0, MAX_GAUSSIAN, &a->outliers, &why)) return cli_bad_value(&cmd_quant, argv, &why);
            have_outliers = true;
            break;
        case 's':
            if (!cli_parse_int(optarg, 0, 0x7FFFFFFFFFFFFFFFL, &a->seed, &why)) return cli_bad_value(&cmd_quant, argv, &why);
            break;
        case 'S': a->scheme = optarg; break;
        case 'G':
            if (!quant_granularity_parse(&a->granularity, optarg))
                return cli_usage(&cmd_quant, "--granularity is tensor, row or block, not '%s'",
                                 optarg);
            a->granularity_set = true;
            break;
        case 'b':
            if (!cli_parse_int(optarg, 1, QUANT_MAX_WEIGHTS, &a->block, &why)) return cli_bad_value(&cmd_quant, argv, &why);
            a->block_set = true;
            break;
        case 'a': a->asymmetric = true; break;
        case 'j': a->json = true; break;
        case 'm': a->model = optarg; break;
        case 't': a->tensor = optarg; break;
        default: return cli_bad_option(&cmd_quant, argv, c);
        }
    }
    if (optind < argc) return cli_usage(&cmd_quant, "unexpected argument '%s'", argv[optind]);
    if (a->model && !a->tensor)
        return cli_usage(&cmd_quant, "--model needs --tensor NAME (e.g. transformer.h.0.mlp.c_fc.weight)");
    if (a->tensor) {
        if (a->source == SRC_FILE || have_gaussian || have_outliers)
            return cli_usage(&cmd_quant, "--tensor cannot be combined with --input, --gaussian or --outliers");
        a->source = SRC_MODEL;
        if (!cli_model_dir(a->model_dir, sizeof a->model_dir, a->model))
            return cli_usage(&cmd_quant, "--model: path too long");
    }
    if (a->source == SRC_FILE && have_gaussian)
        return cli_usage(&cmd_quant, "--input and --gaussian cannot be combined");
    if (a->source == SRC_FILE && have_outliers)
        return cli_usage(&cmd_quant, "--outliers only applies to --gaussian weights");
    if (a->outliers > a->gaussian)
        return cli_usage(&cmd_quant, "--outliers %ld is more than the %ld weights", a->outliers,
                         a->gaussian);
    if (a->block_set && !a->granularity_set) {
        a->granularity = QUANT_PER_BLOCK;
        a->granularity_set = true;
    }
    if (a->block_set && a->granularity != QUANT_PER_BLOCK)
        return cli_usage(&cmd_quant, "--block only applies to --granularity block");
    return 0;
}

/* The configurations to run: one from --scheme, or the comparison table. */
static int build_configs(QuantConfig *cfgs, int *n, const QuantArgs *a)
{
    *n = 0;
    if (a->scheme) {
        QuantConfig c;
        Status st;
        if (quant_config_parse(&c, a->scheme, &st)) return cli_usage(&cmd_quant, "%s", st.msg);
        if (c.kind != QUANT_INT) {
            if (a->granularity_set || a->asymmetric)
                return cli_usage(&cmd_quant,
                                 "%s has fixed symmetric blocks of %d; "
                                 "--granularity, --block and --asymmetric apply to intN",
                                 a->scheme, c.block);
        } else {
            if (a->granularity_set) c.granularity = a->granularity;
            c.block = (int)a->block;
            c.asymmetric = a->asymmetric;
        }
        cfgs[(*n)++] = c;
        return 0;
    }
    static const int widths[] = {8, 4};
    for (int w = 0; w < 2; w++)
        for (int g = 0; g < QUANT_GRANULARITY_COUNT; g++) {
            if (a->granularity_set && g != (int)a->granularity) continue;
            cfgs[(*n)++] =
                quant_config_int(widths[w], (QuantGranularity)g, (int)a->block, a->asymmetric);
        }
    for (int k = QUANT_Q8_0; k < QUANT_KIND_COUNT; k++)
        cfgs[(*n)++] = quant_config_fixed((QuantKind)k);
    return 0;
}

/* "tensor", "row", "block 64" (+ " asym"): the block rows of `cols` get,
 * with a '*' when that is shorter than --block (the note under the table). */
static const char *granularity_label(char *buf, size_t size, const QuantConfig *c, int cols)
{
    int used = quant_block_used(c, cols);
    if (c->granularity == QUANT_PER_BLOCK)
        snprintf(buf, size, "block %d%s%s", used, used < c->block ? "*" : "", c->asymmetric ? " asym" : "");
    else
        snprintf(buf, size, "%s%s", quant_granularity_name(c->granularity),
                 c->asymmetric ? " asym" : "");
    return buf;
}

static cJSON *result_json(const QuantConfig *c, const QuantMetrics *m, int cols, const Status *why)
{
    char name[16];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scheme", quant_scheme_name(c, name, sizeof name));
    cJSON_AddStringToObject(o, "granularity", quant_granularity_name(c->granularity));
    /* block: the group size used; block_asked: --block, longer than a row
     * when the two differ. */
    if (c->granularity == QUANT_PER_BLOCK) {
        cJSON_AddNumberToObject(o, "block", quant_block_used(c, cols));
        cJSON_AddNumberToObject(o, "block_asked", c->block);
    } else {
        cJSON_AddNullToObject(o, "block");
    }
    cJSON_AddBoolToObject(o, "asymmetric", c->asymmetric);
    cJSON_AddNumberToObject(o, "bits", c->bits);
    if (why->code) { /* this scheme cannot store the weights: no figures */
        cJSON_AddStringToObject(o, "error", why->msg);
        const char *keys[] = {"bits_per_weight", "bytes", "mse", "max_abs_error", "snr_db"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) cJSON_AddNullToObject(o, keys[k]);
        return o;
    }
    json_add_double(o, "bits_per_weight", m->bits_per_weight);
    cJSON_AddNumberToObject(o, "bytes", (double)m->bytes);
    json_add_double(o, "mse", m->mse);
    json_add_double(o, "max_abs_error", m->max_abs_error);
    json_add_double(o, "snr_db", m->snr_db); /* null when the error is exactly 0 */
    return o;
}

static cJSON *source_json(const QuantArgs *a)
{
    cJSON *o = cJSON_CreateObject();
    if (a->source == SRC_MODEL) {
        cJSON_AddStringToObject(o, "kind", "model");
        cJSON_AddStringToObject(o, "model", a->model_dir);
        cJSON_AddStringToObject(o, "tensor", a->tensor);
        cJSON *shape = cJSON_AddArrayToObject(o, "stored_shape");
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(a->stored_rows));
        if (a->stored_cols) cJSON_AddItemToArray(shape, cJSON_CreateNumber(a->stored_cols));
        cJSON_AddBoolToObject(o, "transposed", a->transposed);
    } else if (a->source == SRC_FILE) {
        cJSON_AddStringToObject(o, "kind", "file");
        cJSON_AddStringToObject(o, "path", a->input);
    } else {
        cJSON_AddStringToObject(o, "kind", "gaussian");
        json_add_float(o, "std", GAUSSIAN_STD);
        cJSON_AddNumberToObject(o, "outliers", (double)a->outliers);
        cJSON_AddNumberToObject(o, "seed", (double)a->seed);
    }
    return o;
}

static int run_quant(int argc, char **argv)
{
    QuantArgs a;
    int rc = parse_args(&a, argc, argv);
    if (rc) return rc;
    QuantConfig cfgs[16];
    int n_cfg;
    rc = build_configs(cfgs, &n_cfg, &a);
    if (rc) return rc;

    Status st;
    status_clear(&st);
    Mat w = {0};
    if (load_weights(&w, &a, &st)) {
        mat_free(&w);
        return cli_status(&st);
    }
    size_t n = (size_t)w.rows * (size_t)w.cols;
    float *deq = malloc(n * sizeof(float) + 1);
    QuantMetrics *m = calloc((size_t)n_cfg, sizeof *m);
    QuantTensor qt;
    quant_tensor_init(&qt);
    /* why[i]: the scheme cannot store these weights (a scale beyond its
     * format). In a table of several schemes that is a row of its own; when
     * no scheme (or the one asked for) can, it is the command's error. */
    Status *why = calloc((size_t)n_cfg, sizeof *why);
    if (!deq || !m || !why) rc = cli_error("out of memory for %zu weights", n);
    int failed = 0;
    for (int i = 0; i < n_cfg && !rc; i++) {
        if (!quant_roundtrip(deq, &m[i], &qt, &cfgs[i], w.data, w.rows, w.cols, &why[i])) continue;
        failed++;
        if (why[i].code != LS_ERR_RANGE) rc = cli_status(&why[i]);
    }
    for (int i = 0; i < n_cfg && !rc && failed == n_cfg; i++)
        if (why[i].code) rc = cli_status(&why[i]);

    if (!rc && a.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "source", source_json(&a));
        cJSON_AddNumberToObject(o, "rows", w.rows);
        cJSON_AddNumberToObject(o, "cols", w.cols);
        cJSON_AddNumberToObject(o, "weights", (double)n);
        cJSON_AddNumberToObject(o, "fp32_bytes", (double)(n * sizeof(float)));
        cJSON *arr = cJSON_AddArrayToObject(o, "results");
        for (int i = 0; i < n_cfg; i++)
            cJSON_AddItemToArray(arr, result_json(&cfgs[i], &m[i], w.cols, &why[i]));
        rc = cli_print_json(o);
    } else if (!rc) {
        if (a.source == SRC_MODEL)
            printf("%s of %s: %d x %d%s", a.tensor, a.model_dir, w.rows, w.cols,
                   a.transposed ? " (out x in; stored in x out as a Conv1D weight)" : "");
        else if (a.source == SRC_FILE)
            printf("%s: %d x %d matrix", a.input, w.rows, w.cols);
        else
            printf("%zu Gaussian weights N(0, %g^2) as %d x %d, %ld outlier%s, seed %ld", n,
                   (double)GAUSSIAN_STD, w.rows, w.cols, a.outliers, a.outliers == 1 ? "" : "s",
                   a.seed);
        printf("; fp32: %zu bytes\n\n", n * sizeof(float));
        printf("%-7s %-16s %11s %12s %12s %12s %8s\n", "scheme", "granularity", "bits/weight",
               "bytes", "MSE", "max abs err", "SNR dB");
        for (int i = 0; i < n_cfg; i++) {
            char name[16], gran[32];
            printf("%-7s %-16s ", quant_scheme_name(&cfgs[i], name, sizeof name),
                   granularity_label(gran, sizeof gran, &cfgs[i], w.cols));
            if (why[i].code)
                printf("%11s %12s %12s %12s %8s  (see below)\n", "-", "-", "-", "-", "-");
            else
                printf("%11.4f %12zu %12.4g %12.4g %8.2f\n", m[i].bits_per_weight, m[i].bytes,
                       m[i].mse, m[i].max_abs_error, m[i].snr_db);
        }
        for (int i = 0; i < n_cfg; i++)
            if (cfgs[i].granularity == QUANT_PER_BLOCK && quant_block_used(&cfgs[i], w.cols) < cfgs[i].block) {
                printf("\n* --block %d is longer than a row of %d weights: each row is one block.\n",
                       cfgs[i].block, w.cols);
                break;
            }
        for (int i = 0; i < n_cfg; i++)
            if (why[i].code) printf("\n%s", why[i].msg);
        if (failed) printf("\n");
    }
    quant_tensor_free(&qt);
    free(why);
    free(m);
    free(deq);
    mat_free(&w);
    return rc;
}

const Command cmd_quant = {
    .name = "quant",
    .summary = "quantize weights (int2..8, Q8_0, Q4_0, NF4): error and storage",
    .help = HELP,
    .run = run_quant,
};
