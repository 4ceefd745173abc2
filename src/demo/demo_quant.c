/* demo_quant.c — lesson 4's histogram demo and memory table (see
 * demo_quant.h). */
#include "demo_quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/checkpoint.h"

/* ===========================================================================
 * Configurations */

bool quant_config_same(const QuantConfig *a, const QuantConfig *b)
{
    if (a->kind != b->kind) return false;
    if (a->kind != QUANT_INT) return true;
    return a->bits == b->bits && a->granularity == b->granularity &&
           a->asymmetric == b->asymmetric &&
           (a->granularity != QUANT_PER_BLOCK || a->block == b->block);
}

const char *quant_config_label(const QuantConfig *c, int cols, char *buf, size_t size)
{
    char name[16];
    quant_scheme_name(c, name, sizeof name);
    int used = cols > 0 ? quant_block_used(c, cols) : c->block;
    if (c->kind != QUANT_INT) snprintf(buf, size, "%s", name);
    else if (c->granularity == QUANT_PER_BLOCK)
        snprintf(buf, size, "%s block %d%s%s", name, used, used < c->block ? " (whole row)" : "",
                 c->asymmetric ? " asym" : "");
    else
        snprintf(buf, size, "%s %s%s", name, quant_granularity_name(c->granularity),
                 c->asymmetric ? " asym" : "");
    return buf;
}

/* ===========================================================================
 * quant: the weights */

void quant_demo_free(QuantDemo *d)
{
    if (!d) return;
    free(d->w);
    free(d->deq);
    free(d->deq2);
    free(d->steps);
    quant_tensor_free(&d->qt);
    quant_tensor_free(&d->qt2);
    memset(d, 0, sizeof *d);
}

/* The model's tensor as (out, in), or an error (the caller falls back). */
static int load_model_tensor(QuantDemo *d, Status *st)
{
    Gpt m;
    int rc = gpt_load(&m, d->src.model_dir, st);
    if (rc) return rc;
    ModelTensor t;
    Mat w = {0};
    rc = model_tensor_find(&t, &m, d->src.tensor, st);
    if (!rc) rc = model_tensor_matrix(&w, &t, st);
    if (!rc) {
        d->w = w.data; /* owned, contiguous */
        d->rows = w.rows;
        d->cols = w.cols;
        d->n = (size_t)w.rows * (size_t)w.cols;
        if (t.conv1d)
            snprintf(d->source_desc, sizeof d->source_desc, "%s (%d out × %d in) from %s", t.name, d->rows,
                     d->cols, d->src.model_label ? d->src.model_label : d->src.model_dir);
        else
            snprintf(d->source_desc, sizeof d->source_desc, "%s (%d × %d) from %s", t.name, d->rows, d->cols,
                     d->src.model_label ? d->src.model_label : d->src.model_dir);
    }
    gpt_free(&m);
    return rc;
}

/* (Re)generate the Gaussian weights with `outliers` outliers: the same
 * seed draws the same Gaussians, then places the outliers on top. */
static int apply_outliers(QuantDemo *d, int outliers, Status *st)
{
    if (outliers < 0) outliers = 0;
    if ((size_t)outliers > d->n) outliers = (int)d->n;
    int rc = quant_make_gaussian(d->w, d->n, d->src.std, (size_t)outliers, d->src.seed, st);
    if (rc) return rc;
    d->src.outliers = outliers;
    snprintf(d->source_desc, sizeof d->source_desc,
             "%zu Gaussian weights N(0, %g²) as %d × %d, %d outlier%s (seed %llu)", d->n,
             (double)d->src.std, d->rows, d->cols, outliers, outliers == 1 ? "" : "s",
             (unsigned long long)d->src.seed);
    return LS_OK;
}

static int make_gaussian(QuantDemo *d, Status *st)
{
    if (d->src.n < 1) d->src.n = 65536;
    if (d->src.n > QUANT_MAX_WEIGHTS) d->src.n = QUANT_MAX_WEIGHTS;
    if (d->src.std <= 0) d->src.std = 0.02f;
    d->n = d->src.n;
    quant_gaussian_shape(d->n, &d->rows, &d->cols);
    d->w = malloc(d->n * sizeof *d->w);
    if (!d->w) return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu weights", d->n);
    return apply_outliers(d, d->src.outliers, st);
}

/* ===========================================================================
 * quant: what the configuration does */

/* The k-th smallest of a[0..n) (0-based), moving a's elements around:
 * Hoare's selection, O(n) on average — a slider step cannot afford to sort
 * 65,536 numbers. */
static float select_kth(float *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return a[k];
    }
    return a[k];
}

/* Range of the histogram: the bulk of the weights with room to spare —
 * 1.6 × the 99.5th percentile of |w|, at most the largest |w|. */
static void histogram_range(QuantDemo *d)
{
    QuantDemoResult *r = &d->res;
    float *a = malloc(d->n * sizeof *a);
    double sum2 = 0;
    float amax = 0;
    for (size_t i = 0; i < d->n; i++) {
        float v = fabsf(d->w[i]);
        if (a) a[i] = v;
        sum2 += (double)d->w[i] * d->w[i];
        if (v > amax) amax = v;
    }
    r->absmax = amax;
    r->rms = (float)sqrt(sum2 / (double)d->n);
    float p = amax;
    if (a) {
        p = select_kth(a, d->n, (size_t)((double)(d->n - 1) * 0.995));
        free(a);
    }
    float range = 1.6f * p;
    if (range > amax || range <= 0) range = amax > 0 ? amax : 1;
    r->lo = -range;
    r->hi = range;
}

void quant_demo_histogram(QuantDemo *d, int bins)
{
    QuantDemoResult *r = &d->res;
    if (bins < 1) bins = 1;
    if (bins > QUANT_HIST_MAX_BINS) bins = QUANT_HIST_MAX_BINS;
    r->bins = bins;
    r->beyond = quant_histogram(r->counts, bins, r->lo, r->hi, d->w, d->n);
}

/* The levels of the typical group (median step) and the outlier's step. */
static int describe_groups(QuantDemo *d, Status *st)
{
    QuantDemoResult *r = &d->res;
    QuantTensor *qt = &d->qt;
    r->n_groups = qt->n_groups;
    if (qt->n_groups > d->steps_cap) {
        float *p = realloc(d->steps, qt->n_groups * sizeof *p);
        if (!p) return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu groups", qt->n_groups);
        d->steps = p;
        d->steps_cap = qt->n_groups;
    }
    for (size_t g = 0; g < qt->n_groups; g++) d->steps[g] = quant_group_step(qt, g);
    /* The median without disturbing the group order: select in a copy. */
    float *sorted = malloc(qt->n_groups * sizeof *sorted);
    size_t typical = 0;
    if (sorted) {
        memcpy(sorted, d->steps, qt->n_groups * sizeof *sorted);
        float med = select_kth(sorted, qt->n_groups, qt->n_groups / 2);
        for (size_t g = 0; g < qt->n_groups; g++)
            if (d->steps[g] == med) {
                typical = g;
                break;
            }
        free(sorted);
    }
    r->typical_step = d->steps[typical];
    r->n_levels = quant_levels(r->levels, QUANT_MAX_LEVELS, qt, typical);
    /* The group of the largest weight. */
    size_t arg = 0;
    for (size_t i = 1; i < d->n; i++)
        if (fabsf(d->w[i]) > fabsf(d->w[arg])) arg = i;
    r->outlier_step = d->steps[quant_group_of(qt, (int)(arg / (size_t)d->cols), (int)(arg % (size_t)d->cols))];
    return LS_OK;
}

static float snr_of(const QuantMetrics *m)
{
    return isfinite(m->snr_db) ? (float)m->snr_db : NAN;
}

/* SNR for every width at each granularity (all: also tensor and row and
 * the fixed formats; else only the block curve), with the integer settings
 * last chosen. */
static int compute_curves(QuantDemo *d, bool all, Status *st)
{
    QuantDemoResult *r = &d->res;
    QuantMetrics m;
    for (int g = 0; g < QUANT_GRANULARITY_COUNT; g++) {
        if (!all && g != QUANT_PER_BLOCK) continue;
        r->snr_curve[g][0] = r->snr_curve[g][1] = NAN;
        for (int b = QUANT_BITS_MIN; b <= QUANT_BITS_MAX; b++) {
            QuantConfig c = quant_config_int(b, (QuantGranularity)g, d->int_block, d->int_asym);
            int rc = quant_roundtrip(d->deq2, &m, &d->qt2, &c, d->w, d->rows, d->cols, st);
            if (rc) return rc;
            r->snr_curve[g][b] = snr_of(&m);
        }
    }
    if (all)
        for (int k = QUANT_Q8_0; k < QUANT_KIND_COUNT; k++) {
            QuantConfig c = quant_config_fixed((QuantKind)k);
            int rc = quant_roundtrip(d->deq2, &m, &d->qt2, &c, d->w, d->rows, d->cols, st);
            if (rc) return rc;
            r->snr_fixed[k] = snr_of(&m);
            r->bpw_fixed[k] = m.bits_per_weight;
        }
    d->curve_block = d->int_block;
    d->curve_asym = d->int_asym;
    d->curve_valid = true;
    return LS_OK;
}

int quant_demo_set(QuantDemo *d, const QuantConfig *cfg, int outliers, Status *st)
{
    QuantConfig c = *cfg;
    if (c.kind != QUANT_INT) {
        c = quant_config_fixed(c.kind);
    } else {
        if (c.bits < QUANT_BITS_MIN) c.bits = QUANT_BITS_MIN;
        if (c.bits > QUANT_BITS_MAX) c.bits = QUANT_BITS_MAX;
        if (c.block < 1) c.block = 1;
        if (c.block > 1 << 20) c.block = 1 << 20;
    }
    int rc = quant_config_check(&c, st);
    if (rc) return rc;
    bool new_weights = false;
    if (!d->from_model && outliers != d->src.outliers) {
        if ((rc = apply_outliers(d, outliers, st))) return rc;
        histogram_range(d);
        quant_demo_histogram(d, d->res.bins);
        new_weights = true;
    }
    if (c.kind == QUANT_INT) {
        d->int_block = c.block;
        d->int_asym = c.asymmetric;
    }
    d->cfg = c;
    QuantDemoResult *r = &d->res;
    rc = quant_roundtrip(d->deq, &r->m, &d->qt, &c, d->w, d->rows, d->cols, st);
    if (rc) return rc;
    r->bits_per_weight = r->m.bits_per_weight;
    r->bytes = r->m.bytes;
    r->fp32_bytes = d->n * sizeof(float);
    size_t zeroed = 0;
    for (size_t i = 0; i < d->n; i++) zeroed += d->deq[i] == 0 && d->w[i] != 0;
    r->zeroed = zeroed;
    if ((rc = describe_groups(d, st))) return rc;
    if (new_weights || !d->curve_valid || d->int_asym != d->curve_asym)
        return compute_curves(d, true, st);
    if (d->int_block != d->curve_block) return compute_curves(d, false, st);
    return LS_OK;
}

int quant_demo_init(QuantDemo *d, const QuantSource *src, const QuantConfig *cfg, Status *st)
{
    memset(d, 0, sizeof *d);
    quant_tensor_init(&d->qt);
    quant_tensor_init(&d->qt2);
    d->src = *src;
    int rc = LS_OK;
    if (src->kind == QSRC_MODEL) {
        Status why = {0};
        if (load_model_tensor(d, &why) == LS_OK) {
            d->from_model = true;
        } else {
            /* A missing model is expected until it ships; a wrong tensor
             * name is the lesson's mistake and must be seen; a model that
             * is there but cannot be loaded (out of memory, damaged) must
             * not pass for a missing one. */
            if (why.code == LS_ERR_ARG) return status_fail(st, why.code, "%s", why.msg);
            if (why.code == LS_ERR_IO)
                snprintf(d->note, sizeof d->note, "no model in %s yet: showing Gaussian weights instead",
                         src->model_label ? src->model_label : src->model_dir);
            else
                snprintf(d->note, sizeof d->note, "model not loaded (%s): showing Gaussian weights instead",
                         status_code_name(why.code));
            d->src.kind = QSRC_GAUSSIAN;
        }
    }
    if (!d->from_model && (rc = make_gaussian(d, st))) goto fail;
    d->deq = malloc(d->n * sizeof *d->deq);
    d->deq2 = malloc(d->n * sizeof *d->deq2);
    if (!d->deq || !d->deq2) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory for %zu weights", d->n);
        goto fail;
    }
    histogram_range(d);
    quant_demo_histogram(d, 64);
    d->int_block = 64;
    if ((rc = quant_demo_set(d, cfg, d->src.outliers, st))) goto fail;
    return LS_OK;
fail:
    quant_demo_free(d);
    return rc;
}

/* ===========================================================================
 * quant-memory */

void quant_memory_compute(QuantMemory *m, double params, double budget_gb)
{
    memset(m, 0, sizeof *m);
    m->params = params;
    m->budget_gb = budget_gb;
    struct {
        const char *name;
        int float_bits;
        QuantConfig cfg;
    } rows[] = {
        {"fp32", 32, {0}},
        {"fp16 / bf16", 16, {0}},
        {"fp8", 8, {0}},
        {"int8 per tensor", 0, quant_config_int(8, QUANT_PER_TENSOR, 64, false)},
        {"int8 per row", 0, quant_config_int(8, QUANT_PER_ROW, 64, false)},
        {"q8_0", 0, quant_config_fixed(QUANT_Q8_0)},
        {"int4 block 32", 0, quant_config_int(4, QUANT_PER_BLOCK, 32, false)},
        {"q4_0", 0, quant_config_fixed(QUANT_Q4_0)},
        {"nf4", 0, quant_config_fixed(QUANT_NF4)},
        {"nf4-dq", 0, quant_config_fixed(QUANT_NF4_DQ)},
        {"int2 block 16 asym", 0, quant_config_int(2, QUANT_PER_BLOCK, 16, true)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && m->n < QMEM_ROWS; i++) {
        QuantMemRow *r = &m->rows[m->n++];
        snprintf(r->name, sizeof r->name, "%s", rows[i].name);
        r->float_bits = rows[i].float_bits;
        r->cfg = rows[i].cfg;
        if (r->float_bits) {
            r->code_bits = r->float_bits;
            r->bpw = r->bpw_70b = r->float_bits;
        } else {
            r->code_bits = r->cfg.bits;
            r->bpw = quant_bits_per_weight(&r->cfg, QMEM_SIDE_7B, QMEM_SIDE_7B);
            r->bpw_70b = quant_bits_per_weight(&r->cfg, QMEM_SIDE_70B, QMEM_SIDE_70B);
        }
        r->bytes_7b = QMEM_7B * r->bpw / 8;
        r->bytes_70b = QMEM_70B * r->bpw_70b / 8;
        r->bytes_n = params * r->bpw / 8;
    }
}
