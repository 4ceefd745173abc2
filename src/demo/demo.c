/* demo.c — the table of runnable demos (see demo.h). */
#include "demo.h"

#include <stdio.h>
#include <string.h>

#include "../base/paths.h"
#include "../core/io.h"
#include "demo_lab.h"
#include "demo_lab_compare.h"
#include "demo_lora.h"
#include "demo_lora_cost.h"
#include "demo_lora_scale.h"
#include "demo_lora_sim.h"
#include "demo_prefix.h"
#include "demo_precision.h"
#include "demo_quant.h"
#include "demo_rank.h"
#include "demo_spectrum.h"
#include "demo_svd.h"

int demo_args_matrix(Mat *out, const DemoArgs *args, Status *st)
{
    if (demo_args_given(args, "matrix")) {
        char path[4096];
        int rc = demo_args_path(args, "matrix", path, sizeof path, st);
        return rc ? rc : io_read_matrix(out, path, st);
    }
    const char *rows = demo_args_text(args, "rows");
    if (!rows) return status_fail(st, LS_ERR_ARG, "the demo needs 'matrix' or 'rows'");
    return demo_rows_parse(out, rows, st);
}

/* ---- svd ---- */

static int svd_init(void *state, const DemoArgs *a, Status *st)
{
    char path[4096];
    int rc = demo_args_path(a, "image", path, sizeof path, st);
    return rc ? rc : svd_demo_init_image(state, path, (int)demo_args_int(a, "rank"), st);
}

static void svd_free_(void *state) { svd_demo_free(state); }

/* ---- spectrum ---- */

static int spectrum_init(void *state, const DemoArgs *a, Status *st)
{
    SpectrumParams p = {
        .size = (int)demo_args_int(a, "size"),
        .rank = (int)demo_args_int(a, "rank"),
        .noise = demo_args_real(a, "noise"),
        .seed = (uint64_t)demo_args_int(a, "seed"),
    };
    return spectrum_demo_init(state, &p, st);
}

static void spectrum_free_(void *state) { spectrum_demo_free(state); }

/* ---- matrix, rowreduce, rank-noise ---- */

static int matrix_init(void *state, const DemoArgs *a, Status *st)
{
    Mat m;
    int rc = demo_args_matrix(&m, a, st);
    if (rc) return rc;
    rc = matrix_demo_init(state, &m, st);
    mat_free(&m);
    return rc;
}

static int rowreduce_init(void *state, const DemoArgs *a, Status *st)
{
    Mat m;
    int rc = demo_args_matrix(&m, a, st);
    if (rc) return rc;
    rc = rowreduce_demo_init(state, &m, (int)demo_args_int(a, "step"), st);
    mat_free(&m);
    return rc;
}

static void rowreduce_free_(void *state) { rowreduce_demo_free(state); }

static int rank_noise_init(void *state, const DemoArgs *a, Status *st)
{
    Mat m;
    int rc = demo_args_matrix(&m, a, st);
    if (rc) return rc;
    rc = rank_noise_demo_init(state, &m, demo_args_real(a, "noise"), demo_args_real(a, "tolerance"),
                              (uint64_t)demo_args_int(a, "seed"), st);
    mat_free(&m);
    return rc;
}

static void nothing(void *state) { (void)state; }

/* ---- lora-cost ---- */

static int lora_cost_init(void *state, const DemoArgs *a, Status *st)
{
    (void)st;
    LoraCostDemo *d = state;
    d->d = demo_args_int(a, "d");
    d->k = demo_args_int(a, "k");
    d->r = demo_args_int(a, "rank");
    return LS_OK;
}

/* ---- lesson 3: bits, number-line, arith, sum, precision ---- */

static int bits_init(void *state, const DemoArgs *a, Status *st)
{
    (void)st;
    const DemoValue *f = demo_args_get(a, "format");
    bits_demo_init(state, demo_args_real(a, "value"), f && f->set ? (int)f->i : NUMFMT_FP16);
    return LS_OK;
}

static int number_line_init(void *state, const DemoArgs *a, Status *st)
{
    (void)st;
    const DemoValue *f = demo_args_get(a, "format");
    NumberLineDemo *d = state;
    memset(d, 0, sizeof *d);
    number_line_demo_set(d, f && f->set ? (int)f->i : NUMFMT_FP16, demo_args_real(a, "x"),
                         demo_args_int(a, "zoom"), 64);
    return LS_OK;
}

static int arith_init(void *state, const DemoArgs *a, Status *st)
{
    const DemoValue *op = demo_args_get(a, "op");
    memset(state, 0, sizeof(ArithDemo));
    return arith_demo_set(state, demo_args_text(a, "a"), op && op->set ? (ArithOp)op->i : ARITH_ADD,
                          demo_args_text(a, "b"), st);
}

static int sum_init(void *state, const DemoArgs *a, Status *st)
{
    return sum_demo_init(state, demo_args_real(a, "start"), demo_args_real(a, "term"),
                         (int)demo_args_int(a, "count"), st);
}

static void sum_free_(void *state) { sum_demo_free(state); }

static int precision_init(void *state, const DemoArgs *a, Status *st)
{
    int e = (int)demo_args_int(a, "exponent"), m = (int)demo_args_int(a, "mantissa");
    const DemoValue *t = demo_args_get(a, "target");
    if (t && t->set && t->i == PREC_MATMUL)
        return precision_demo_init_matmul(state, (int)demo_args_int(a, "size"),
                                          (uint64_t)demo_args_int(a, "seed"), e, m, st);
    char path[4096];
    int rc = demo_args_path(a, "image", path, sizeof path, st);
    return rc ? rc : precision_demo_init_image(state, path, e, m, st);
}

static void precision_free_(void *state) { precision_demo_free(state); }

/* ---- lesson 4: quant, quant-memory, quant-loss ---- */

/* The scheme settings shared by quant and quant-loss. */
static QuantConfig args_quant_config(const DemoArgs *a)
{
    const DemoValue *s = demo_args_get(a, "scheme"), *g = demo_args_get(a, "granularity");
    int scheme = s && s->set ? (int)s->i : 0; /* the schema's order: int, q8_0, q4_0, nf4, nf4-dq */
    if (scheme > 0) return quant_config_fixed((QuantKind)(QUANT_Q8_0 + scheme - 1));
    return quant_config_int((int)demo_args_int(a, "bits"),
                            g && g->set ? (QuantGranularity)g->i : QUANT_PER_TENSOR,
                            (int)demo_args_int(a, "block"), demo_args_bool(a, "asymmetric"));
}

static int quant_init(void *state, const DemoArgs *a, Status *st)
{
    static const char *const hf_names[] = {"attn.c_attn", "attn.c_proj", "mlp.c_fc",
                                           "mlp.c_proj", "wte"};
    char dir[4096];
    if (paths_resolve(dir, sizeof dir, "data/models/base") != 0)
        return status_fail(st, LS_ERR_RANGE, "path too long");
    const DemoValue *src = demo_args_get(a, "source"), *mx = demo_args_get(a, "matrix");
    QuantSource qs = {
        .kind = src && src->set && src->i == 1 ? QSRC_GAUSSIAN : QSRC_MODEL,
        .model_dir = dir,
        .model_label = "data/models/base",
        .n = (size_t)demo_args_int(a, "weights"),
        .std = 0.02f,
        .outliers = (int)demo_args_int(a, "outliers"),
        .seed = (uint64_t)demo_args_int(a, "seed"),
    };
    int which = mx && mx->set ? (int)mx->i : 2;
    if (which == 4)
        snprintf(qs.tensor, sizeof qs.tensor, "transformer.wte.weight");
    else
        snprintf(qs.tensor, sizeof qs.tensor, "transformer.h.%ld.%s.weight",
                 demo_args_int(a, "layer"), hf_names[which]);
    QuantConfig cfg = args_quant_config(a);
    return quant_demo_init(state, &qs, &cfg, st);
}

static void quant_free_(void *state) { quant_demo_free(state); }

static int quant_memory_init(void *state, const DemoArgs *a, Status *st)
{
    (void)st;
    quant_memory_compute(state, demo_args_real(a, "params"), demo_args_real(a, "budget"));
    return LS_OK;
}

static int quant_loss_init(void *state, const DemoArgs *a, Status *st)
{
    char dir[4096], text[4096];
    if (paths_resolve(dir, sizeof dir, "data/models/base") != 0)
        return status_fail(st, LS_ERR_RANGE, "path too long");
    int trc = demo_args_path(a, "text", text, sizeof text, st);
    if (trc) return trc;
    QuantConfig cfg = args_quant_config(a);
    int rc = quant_loss_demo_init(state, dir, text, (int)demo_args_int(a, "windows"), &cfg, st);
    if (rc == LS_ERR_IO)
        status_prefix(st, "the base model is not in data/models/base yet (make it with "
                          "`lorascope pretrain --out data/models/base`)");
    return rc;
}

static void quant_loss_free_(void *state) { quant_loss_demo_free(state); }

/* ---- lesson 5: lora-shapes, lora-merge, lora-delta ---- */

/* The base model's folder, with the hint every model demo gives. */
static int base_dir(char *dir, size_t size, Status *st)
{
    if (paths_resolve(dir, size, "data/models/base") != 0) return status_fail(st, LS_ERR_RANGE, "path too long");
    return LS_OK;
}

static void no_model_hint(int rc, Status *st)
{
    if (rc == LS_ERR_IO)
        status_prefix(st, "the base model is not in data/models/base (make it with "
                          "`lorascope pretrain --out data/models/base`)");
}

static int lora_shapes_init_(void *state, const DemoArgs *a, Status *st)
{
    char dir[4096];
    const DemoValue *m = demo_args_get(a, "matrix");
    int rc = base_dir(dir, sizeof dir, st);
    if (!rc)
        rc = lora_shapes_init(state, dir, (int)demo_args_int(a, "layer"), m && m->set ? (LoraMatrix)m->i : LM_Q,
                              (int)demo_args_int(a, "rank"), st);
    no_model_hint(rc, st);
    return rc;
}

static void lora_shapes_free_(void *state) { lora_shapes_free(state); }

static int lora_merge_init_(void *state, const DemoArgs *a, Status *st)
{
    char dir[4096], text[4096];
    int rc = base_dir(dir, sizeof dir, st);
    if (!rc) rc = demo_args_path(a, "text", text, sizeof text, st);
    if (!rc)
        rc = lora_merge_demo_init(state, dir, text, (int)demo_args_int(a, "rank"), (int)demo_args_int(a, "layer"),
                                  (int)demo_args_int(a, "steps"), st);
    no_model_hint(rc, st);
    return rc;
}

static void lora_merge_free_(void *state) { lora_merge_demo_free(state); }

static int lora_delta_init_(void *state, const DemoArgs *a, Status *st)
{
    (void)st;
    lora_delta_demo_init(state, (int)demo_args_int(a, "steps"), (int)demo_args_int(a, "batch"), NULL);
    return LS_OK;
}

static void lora_delta_free_(void *state) { lora_delta_demo_free(state); }

static int lora_scale_init_(void *state, const DemoArgs *a, Status *st)
{
    char dir[4096], text[4096];
    const char *t = demo_args_text(a, "text");
    const DemoValue *m = demo_args_get(a, "matrix");
    int rc = base_dir(dir, sizeof dir, st);
    if (!rc && (!t || paths_resolve(text, sizeof text, t) != 0)) rc = status_fail(st, LS_ERR_RANGE, "path too long");
    if (!rc)
        rc = lora_scale_demo_init(state, dir, text, (int)demo_args_int(a, "layer"), m && m->set ? (int)m->i : 0,
                                  (int)demo_args_int(a, "steps"), (int)demo_args_int(a, "batch"),
                                  (uint64_t)demo_args_int(a, "seed"), st);
    no_model_hint(rc, st);
    return rc;
}

static void lora_scale_free_(void *state) { lora_scale_demo_free(state); }

static int lora_similarity_init_(void *state, const DemoArgs *a, Status *st)
{
    return lora_sim_demo_init(state, (int)demo_args_int(a, "small"), (int)demo_args_int(a, "large"),
                              (int)demo_args_int(a, "steps"), (int)demo_args_int(a, "batch"), NULL, st);
}

static void lora_similarity_free_(void *state) { lora_sim_demo_free(state); }

static int lab_compare_init_(void *state, const DemoArgs *a, Status *st)
{
    const DemoValue *c = demo_args_get(a, "compare");
    return lab_compare_demo_init(state, c && c->set ? (int)c->i : 0, (int)demo_args_int(a, "steps"),
                                 (int)demo_args_int(a, "batch"), NULL, st);
}

static void lab_compare_free_(void *state) { lab_compare_demo_free(state); }

/* ---- lesson 6: prefix-attention, prefix-cost ---- */

static int prefix_attention_init_(void *state, const DemoArgs *a, Status *st)
{
    char dir[4096], text[4096];
    int rc = base_dir(dir, sizeof dir, st);
    if (!rc) rc = demo_args_path(a, "text", text, sizeof text, st);
    if (!rc)
        rc = prefix_attn_init(state, dir, text, (int)demo_args_int(a, "at"), (int)demo_args_int(a, "prefix"),
                              (int)demo_args_int(a, "tokens"), (int)demo_args_int(a, "layer"),
                              (int)demo_args_int(a, "head"), st);
    no_model_hint(rc, st);
    return rc;
}

static void prefix_attention_free_(void *state) { prefix_attn_free(state); }

static int prefix_cost_init_(void *state, const DemoArgs *a, Status *st)
{
    char dir[4096];
    int rc = base_dir(dir, sizeof dir, st);
    if (!rc) rc = prefix_cost_demo_init(state, dir, (int)demo_args_int(a, "prefix"), st);
    no_model_hint(rc, st);
    return rc;
}

/* ---- lesson 7: the lab ---- */

static int lab_init_(void *state, const DemoArgs *a, Status *st)
{
    LabDemoSettings s;
    int rc = lab_demo_settings_from_args(&s, a, st);
    if (rc) return rc;
    lab_demo_init(state, &s);
    return LS_OK;
}

static void lab_free_(void *state) { lab_demo_free(state); }

static const DemoImpl impl_svd = {"svd", sizeof(SvdDemo), svd_init, svd_free_};
static const DemoImpl impl_spectrum = {"spectrum", sizeof(SpectrumDemo), spectrum_init,
                                       spectrum_free_};
static const DemoImpl impl_matrix = {"matrix", sizeof(MatrixDemo), matrix_init, nothing};
static const DemoImpl impl_rowreduce = {"rowreduce", sizeof(RowReduceDemo), rowreduce_init,
                                        rowreduce_free_};
static const DemoImpl impl_rank_noise = {"rank-noise", sizeof(RankNoiseDemo), rank_noise_init,
                                         nothing};
static const DemoImpl impl_lora_cost = {"lora-cost", sizeof(LoraCostDemo), lora_cost_init,
                                        nothing};

static const DemoImpl impl_bits = {"bits", sizeof(BitsDemo), bits_init, nothing};
static const DemoImpl impl_number_line = {"number-line", sizeof(NumberLineDemo), number_line_init,
                                          nothing};
static const DemoImpl impl_arith = {"arith", sizeof(ArithDemo), arith_init, nothing};
static const DemoImpl impl_sum = {"sum", sizeof(SumDemo), sum_init, sum_free_};
static const DemoImpl impl_precision = {"precision", sizeof(PrecisionDemo), precision_init,
                                        precision_free_};
static const DemoImpl impl_quant = {"quant", sizeof(QuantDemo), quant_init, quant_free_};
static const DemoImpl impl_quant_memory = {"quant-memory", sizeof(QuantMemory), quant_memory_init,
                                           nothing};
static const DemoImpl impl_quant_loss = {"quant-loss", sizeof(QuantLossDemo), quant_loss_init,
                                         quant_loss_free_};

static const DemoImpl impl_lora_shapes = {"lora-shapes", sizeof(LoraShapesDemo), lora_shapes_init_,
                                          lora_shapes_free_};
static const DemoImpl impl_lora_merge = {"lora-merge", sizeof(LoraMergeDemo), lora_merge_init_, lora_merge_free_};
static const DemoImpl impl_lora_delta = {"lora-delta", sizeof(LoraDeltaDemo), lora_delta_init_, lora_delta_free_};
static const DemoImpl impl_lora_similarity = {"lora-similarity", sizeof(LoraSimDemo), lora_similarity_init_,
                                               lora_similarity_free_};
static const DemoImpl impl_lab_compare = {"lab-compare", sizeof(LabCompareDemo), lab_compare_init_,
                                           lab_compare_free_};
static const DemoImpl impl_lora_scale = {"lora-scale", sizeof(LoraScaleDemo), lora_scale_init_, lora_scale_free_};
static const DemoImpl impl_prefix_attention = {"prefix-attention", sizeof(PrefixAttnDemo), prefix_attention_init_,
                                               prefix_attention_free_};
static const DemoImpl impl_prefix_cost = {"prefix-cost", sizeof(PrefixCostDemo), prefix_cost_init_, nothing};
static const DemoImpl impl_lab = {"lab", sizeof(LabDemo), lab_init_, lab_free_};

const DemoImpl *const demo_impls[] = {
    &impl_matrix, &impl_rowreduce, &impl_rank_noise, &impl_svd,
    &impl_spectrum, &impl_lora_cost,
    &impl_bits, &impl_number_line, &impl_arith, &impl_sum, &impl_precision,
    &impl_quant, &impl_quant_memory, &impl_quant_loss,
    &impl_lora_shapes, &impl_lora_merge, &impl_lora_delta, &impl_lora_scale, &impl_lora_similarity, &impl_lab_compare,
    &impl_prefix_attention, &impl_prefix_cost, &impl_lab, NULL,
};

const DemoImpl *demo_impl_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; demo_impls[i]; i++)
        if (strcmp(demo_impls[i]->name, name) == 0) return demo_impls[i];
    return NULL;
}
