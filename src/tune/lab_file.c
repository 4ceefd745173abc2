/* lab_file.c — a lab's results as JSON and back (see lab_file.h). */
#include "lab_file.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../nn/fileio.h"

enum {
    MAX_MATRICES = 4096,   /* analysis rows of one kind */
    MAX_DIM = 1 << 16,     /* a matrix side */
    MAX_SIM_RANK = 1024,   /* r of a compared adapter */
    MAX_AMPS = 1 << 16,    /* amplification rows */
};

void lab_record_init(LabRecord *r)
{
    memset(r, 0, sizeof *r);
    r->analysis.full_method = r->analysis.small_method = r->analysis.large_method = -1;
}

void lab_record_free(LabRecord *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_methods; i++) {
        free(r->methods[i].train_loss);
        free(r->methods[i].eval_step);
        free(r->methods[i].eval_loss);
    }
    lab_analysis_free(&r->analysis);
    lab_record_init(r);
}

// ----------------------------------------------------------------------------
// From a live lab, and back to a snapshot

/* A copy of n items of size sz (NULL for none; *ok false when out of memory). */
static void *dup_array(const void *src, int n, size_t sz, bool *ok)
{
    if (n <= 0) return NULL;
    void *p = malloc((size_t)n * sz);
    if (!p) {
        *ok = false;
        return NULL;
    }
    memcpy(p, src, (size_t)n * sz);
    return p;
}

int lab_record_from_snapshot(LabRecord *r, const LabSnapshot *s, Status *st)
{
    lab_record_init(r);
    snprintf(r->task, sizeof r->task, "%s", s->task_name ? s->task_name : "");
    snprintf(r->task_description, sizeof r->task_description, "%s",
             s->task_description ? s->task_description : "");
    snprintf(r->validation, sizeof r->validation, "%s", s->validation ? s->validation : "");
    snprintf(r->test, sizeof r->test, "%s", s->test ? s->test : "");
    r->steps = s->steps;
    r->batch = s->batch;
    r->seq = s->seq;
    r->stopped = s->stopped;
    r->elapsed_s = s->elapsed_s;
    r->base_params = s->base_params;
    r->scaling = s->scaling;
    if (s->base) r->base = *s->base;
    bool ok = true;
    r->n_methods = s->n_methods;
    for (int i = 0; i < s->n_methods; i++) {
        const LabMethodSnapshot *m = &s->methods[i];
        LabRecordMethod *x = &r->methods[i];
        snprintf(x->label, sizeof x->label, "%s", m->label);
        x->kind = m->kind;
        x->size = m->size;
        x->lr = m->lr;
        x->steps_done = m->step;
        x->trainable_params = m->trainable_params;
        x->total_params = m->total_params;
        x->trainable_share = m->trainable_share;
        x->bytes = m->bytes;
        x->ms_per_step = m->step ? m->ms_per_step : NAN;
        x->validation_loss = NAN;
        x->alpha = m->alpha;
        x->scale = m->scale;
        x->rslora = m->rslora;
        x->diverged = m->diverged;
        x->diverged_step = m->diverged_step;
        x->train_loss = dup_array(m->train_loss, m->n_train, sizeof(float), &ok);
        x->n_train = m->n_train;
        x->eval_step = dup_array(m->eval_step, m->n_eval, sizeof(int), &ok);
        x->eval_loss = dup_array(m->eval_loss, m->n_eval, sizeof(float), &ok);
        x->n_eval = m->n_eval;
        if (m->result) x->result = *m->result;
    }
    if (!ok) {
        lab_record_free(r);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    return LS_OK;
}

void lab_record_take_analysis(LabRecord *r, LabAnalysis *a)
{
    lab_analysis_free(&r->analysis);
    r->analysis = *a;
    r->has_analysis = true;
    memset(a, 0, sizeof *a);
    a->full_method = a->small_method = a->large_method = -1;
}

void lab_record_snapshot(const LabRecord *r, LabSnapshot *s)
{
    memset(s, 0, sizeof *s);
    s->phase = LAB_PHASE_DONE;
    s->stopped = r->stopped;
    s->task_name = r->task;
    s->task_description = r->task_description;
    s->scaling = r->scaling;
    s->validation = r->validation;
    s->test = r->test;
    s->steps = r->steps;
    s->batch = r->batch;
    s->seq = r->seq;
    s->round = r->steps;
    s->elapsed_s = r->elapsed_s;
    s->progress = 1.0;
    s->base_params = r->base_params;
    s->base = &r->base;
    s->n_methods = r->n_methods;
    for (int i = 0; i < r->n_methods; i++) {
        const LabRecordMethod *x = &r->methods[i];
        LabMethodSnapshot *m = &s->methods[i];
        m->label = x->label;
        m->built = true;
        m->kind = x->kind;
        m->method = tune_method(x->kind);
        m->size = x->size;
        m->kind_name = m->method->name;
        m->step = x->steps_done;
        m->steps = r->steps;
        m->lr = x->lr;
        m->alpha = (float)x->alpha;
        m->scale = (float)x->scale;
        m->rslora = x->rslora;
        m->trainable_params = x->trainable_params;
        m->total_params = x->total_params;
        m->trainable_share = x->trainable_share;
        m->bytes = x->bytes;
        m->ms_per_step = isfinite(x->ms_per_step) ? x->ms_per_step : 0;
        m->diverged = x->diverged;
        m->diverged_step = x->diverged_step;
        m->train_loss = x->train_loss;
        m->n_train = x->n_train;
        m->eval_step = x->eval_step;
        m->eval_loss = x->eval_loss;
        m->n_eval = x->n_eval;
        m->result = &x->result;
    }
}

// ----------------------------------------------------------------------------
// Writing

static cJSON *result_json(const LabResult *r)
{
    cJSON *o = cJSON_CreateObject();
    json_add_double(o, "train_loss", r->train_loss);
    json_add_double(o, "eval_loss", r->eval_loss);
    json_add_double(o, "eval_bits_per_byte", r->eval_bpb);
    if (r->has_accuracy) {
        json_add_double(o, "accuracy", r->accuracy);
        cJSON_AddNumberToObject(o, "correct", r->correct);
        cJSON_AddNumberToObject(o, "problems", r->total);
    } else {
        cJSON_AddNullToObject(o, "accuracy");
    }
    json_add_double(o, "forget_loss", r->forget_loss);
    json_add_double(o, "forgetting", r->forgetting);
    cJSON_AddStringToObject(o, "sample", r->sample);
    return o;
}

static const char *method_label(const LabRecord *r, int i)
{
    return i >= 0 && i < r->n_methods ? r->methods[i].label : "?";
}

static cJSON *analysis_json(const LabAnalysis *a, const LabRecord *rec)
{
    cJSON *o = cJSON_CreateObject();
    if (a->full_method >= 0) {
        cJSON *sp = cJSON_AddObjectToObject(o, "full_delta_spectra");
        cJSON_AddStringToObject(sp, "method", method_label(rec, a->full_method));
        cJSON *arr = cJSON_AddArrayToObject(sp, "matrices");
        for (int i = 0; i < a->n_spectra; i++) {
            const DeltaSpectrum *d = &a->spectra[i];
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "name", d->name);
            cJSON_AddNumberToObject(m, "in", d->in);
            cJSON_AddNumberToObject(m, "out", d->out);
            json_add_double(m, "delta_frobenius", d->frobenius);
            json_add_double(m, "base_frobenius", d->base_frobenius);
            cJSON_AddNumberToObject(m, "rank90", d->rank90);
            cJSON_AddNumberToObject(m, "rank99", d->rank99);
            cJSON_AddItemToObject(m, "singular_values", json_float_array(d->sigma, d->k));
            cJSON_AddItemToArray(arr, m);
        }
    }
    if (a->small_method >= 0) {
        cJSON *ss = cJSON_AddObjectToObject(o, "subspace_similarity");
        cJSON_AddStringToObject(ss, "small", method_label(rec, a->small_method));
        cJSON_AddStringToObject(ss, "large", method_label(rec, a->large_method));
        cJSON_AddNumberToObject(ss, "r_small", a->r_small);
        cJSON_AddNumberToObject(ss, "r_large", a->r_large);
        cJSON_AddNumberToObject(ss, "sim_in", a->sim_in);
        cJSON *arr = cJSON_AddArrayToObject(ss, "matrices");
        for (int i = 0; i < a->n_sims; i++) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "name", a->sims[i].name);
            cJSON *rows = cJSON_AddArrayToObject(m, "phi");
            for (int k = 0; k < a->r_small; k++)
                cJSON_AddItemToArray(
                    rows, json_float_array(a->sims[i].phi + (size_t)k * a->r_large, a->r_large));
            cJSON_AddItemToArray(arr, m);
        }
    }
    cJSON *amp = cJSON_AddArrayToObject(o, "amplification");
    for (int i = 0; i < a->n_amps; i++) {
        const AmplificationRow *w = &a->amps[i];
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "method", method_label(rec, w->method));
        cJSON_AddStringToObject(m, "name", w->name);
        cJSON_AddNumberToObject(m, "r", w->amp.r);
        json_add_double(m, "delta_frobenius", w->amp.delta_norm);
        json_add_double(m, "projected", w->amp.proj);
        json_add_double(m, "factor", w->amp.factor);
        json_add_double(m, "projected_top", w->amp.proj_top);
        json_add_double(m, "projected_random", w->amp.proj_random);
        cJSON_AddItemToArray(amp, m);
    }
    return o;
}

cJSON *lab_record_json(const LabRecord *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "format", "lorascope-lab");
    cJSON_AddNumberToObject(o, "version", LAB_FILE_VERSION);
    cJSON_AddStringToObject(o, "task", r->task);
    cJSON_AddStringToObject(o, "task_description", r->task_description);
    cJSON_AddStringToObject(o, "validation", r->validation);
    cJSON_AddStringToObject(o, "test", r->test);
    cJSON_AddNumberToObject(o, "steps", r->steps);
    cJSON_AddNumberToObject(o, "batch", r->batch);
    cJSON_AddNumberToObject(o, "seq", r->seq);
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    cJSON_AddNumberToObject(o, "threads", (double)r->threads);
    cJSON_AddBoolToObject(o, "stopped", r->stopped);
    json_add_double(o, "elapsed_s", r->elapsed_s);
    cJSON_AddNumberToObject(o, "base_params", (double)r->base_params);
    cJSON_AddStringToObject(o, "lora_scaling", lab_scaling_name(r->scaling));
    cJSON_AddStringToObject(o, "lora_scaling_text", lab_scaling_text(r->scaling));
    cJSON_AddItemToObject(o, "base", result_json(&r->base));
    cJSON *arr = cJSON_AddArrayToObject(o, "methods");
    for (int i = 0; i < r->n_methods; i++) {
        const LabRecordMethod *m = &r->methods[i];
        const LabResult *res = &m->result;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "method", m->label);
        cJSON_AddStringToObject(x, "kind", tune_method(m->kind)->name);
        json_add_float(x, "lr", m->lr);
        cJSON_AddNumberToObject(x, "steps_done", m->steps_done);
        cJSON_AddNumberToObject(x, "trainable_params", (double)m->trainable_params);
        cJSON_AddNumberToObject(x, "total_params", (double)m->total_params);
        json_add_double(x, "trainable_share", m->trainable_share);
        cJSON *b = cJSON_AddObjectToObject(x, "bytes");
        cJSON_AddNumberToObject(b, "frozen", (double)m->bytes.frozen);
        cJSON_AddNumberToObject(b, "trainable", (double)m->bytes.trainable);
        cJSON_AddNumberToObject(b, "gradients", (double)m->bytes.grads);
        cJSON_AddNumberToObject(b, "optimizer", (double)m->bytes.optimizer);
        cJSON_AddNumberToObject(b, "activations", (double)m->bytes.activations);
        cJSON_AddNumberToObject(b, "total", (double)m->bytes.total);
        json_add_double(x, "ms_per_step", m->ms_per_step);
        json_add_double(x, "train_loss", res->train_loss);
        json_add_double(x, "eval_loss", res->eval_loss);
        json_add_double(x, "eval_bits_per_byte", res->eval_bpb);
        if (res->has_accuracy) {
            json_add_double(x, "accuracy", res->accuracy);
            cJSON_AddNumberToObject(x, "correct", res->correct);
            cJSON_AddNumberToObject(x, "problems", res->total);
        } else {
            cJSON_AddNullToObject(x, "accuracy");
        }
        json_add_double(x, "forget_loss", res->forget_loss);
        json_add_double(x, "forgetting", res->forgetting);
        json_add_double(x, "validation_loss", m->validation_loss);
        json_add_double(x, "alpha", m->alpha);
        if (isfinite(m->alpha))
            cJSON_AddBoolToObject(x, "rslora", m->rslora);
        else
            cJSON_AddNullToObject(x, "rslora");
        json_add_double(x, "scale", m->scale);
        cJSON_AddBoolToObject(x, "diverged", m->diverged);
        if (m->diverged)
            cJSON_AddNumberToObject(x, "diverged_step", m->diverged_step);
        else
            cJSON_AddNullToObject(x, "diverged_step");
        cJSON *curves = cJSON_AddObjectToObject(x, "curves");
        cJSON_AddItemToObject(curves, "train_loss", json_float_array(m->train_loss, m->n_train));
        cJSON *es = cJSON_AddArrayToObject(curves, "eval_step");
        for (int k = 0; k < m->n_eval; k++)
            cJSON_AddItemToArray(es, cJSON_CreateNumber(m->eval_step[k]));
        cJSON_AddItemToObject(curves, "eval_loss", json_float_array(m->eval_loss, m->n_eval));
        cJSON_AddStringToObject(x, "sample", res->sample);
        cJSON_AddItemToArray(arr, x);
    }
    if (r->has_analysis) cJSON_AddItemToObject(o, "analysis", analysis_json(&r->analysis, r));
    return o;
}

// ----------------------------------------------------------------------------
// Reading

/* Where in the document a message points ("methods[2]"). */
typedef struct Ctx {
    Status *st;
    char where[64];
} Ctx;

static int bad(Ctx *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(Ctx *c, const char *key, const char *fmt, ...)
{
    char msg[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return status_fail(c->st, LS_ERR_PARSE, "%s%s\"%s\": %s", c->where, c->where[0] ? ": " : "",
                       key, msg);
}

static const cJSON *item(Ctx *c, const cJSON *o, const char *key, int *rc)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x) *rc = bad(c, key, "missing");
    return x;
}

/* A number in [lo, hi]; null gives NaN when nullable. */
static int get_num(Ctx *c, const cJSON *o, const char *key, double lo, double hi, bool nullable,
                   double *out)
{
    int rc = LS_OK;
    const cJSON *x = item(c, o, key, &rc);
    if (rc) return rc;
    if (cJSON_IsNull(x) && nullable) {
        *out = NAN;
        return LS_OK;
    }
    if (!cJSON_IsNumber(x))
        return bad(c, key, "must be a number%s", nullable ? " or null" : "");
    double v = x->valuedouble;
    if (!isfinite(v)) return bad(c, key, "not a finite number");
    if (v < lo || v > hi) return bad(c, key, "%g is outside [%g, %g]", v, lo, hi);
    *out = v;
    return LS_OK;
}

/* A number that is absent counts as null (keys added after version 1). */
static int get_num_new(Ctx *c, const cJSON *o, const char *key, double lo, double hi, double *out)
{
    if (!cJSON_GetObjectItemCaseSensitive(o, key)) {
        *out = NAN;
        return LS_OK;
    }
    return get_num(c, o, key, lo, hi, true, out);
}

static int get_int(Ctx *c, const cJSON *o, const char *key, double lo, double hi, long long *out)
{
    double v;
    int rc = get_num(c, o, key, lo, hi, false, &v);
    if (rc) return rc;
    if (v != floor(v)) return bad(c, key, "must be a whole number");
    *out = (long long)v;
    return LS_OK;
}

static int get_bool(Ctx *c, const cJSON *o, const char *key, bool *out)
{
    int rc = LS_OK;
    const cJSON *x = item(c, o, key, &rc);
    if (rc) return rc;
    if (!cJSON_IsBool(x)) return bad(c, key, "must be true or false");
    *out = cJSON_IsTrue(x);
    return LS_OK;
}

/* A string that fits in size (with its terminator). optional: absent is "". */
static int get_str(Ctx *c, const cJSON *o, const char *key, char *out, size_t size, bool optional)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x && optional) {
        out[0] = '\0';
        return LS_OK;
    }
    if (!x) return bad(c, key, "missing");
    if (!cJSON_IsString(x) || !x->valuestring) return bad(c, key, "must be a string");
    size_t n = strlen(x->valuestring);
    if (n >= size) return bad(c, key, "longer than %zu bytes", size - 1);
    memcpy(out, x->valuestring, n + 1);
    return LS_OK;
}

static int get_obj(Ctx *c, const cJSON *o, const char *key, const cJSON **out)
{
    int rc = LS_OK;
    const cJSON *x = item(c, o, key, &rc);
    if (rc) return rc;
    if (!cJSON_IsObject(x)) return bad(c, key, "must be an object");
    *out = x;
    return LS_OK;
}

static int get_arr(Ctx *c, const cJSON *o, const char *key, int max, const cJSON **out, int *n)
{
    int rc = LS_OK;
    const cJSON *x = item(c, o, key, &rc);
    if (rc) return rc;
    if (!cJSON_IsArray(x)) return bad(c, key, "must be an array");
    int k = cJSON_GetArraySize(x);
    if (k > max) return bad(c, key, "%d entries, more than %d", k, max);
    *out = x;
    *n = k;
    return LS_OK;
}

/* An array of at most max floats in [lo, hi] (null: NaN when nullable). */
static int get_floats(Ctx *c, const cJSON *o, const char *key, int max, double lo, double hi,
                      bool nullable, float **out, int *n)
{
    const cJSON *a;
    int k;
    int rc = get_arr(c, o, key, max, &a, &k);
    if (rc) return rc;
    *out = NULL;
    *n = 0;
    if (k == 0) return LS_OK;
    float *v = malloc((size_t)k * sizeof *v);
    if (!v) return status_fail(c->st, LS_ERR_NOMEM, "out of memory");
    int i = 0;
    for (const cJSON *e = a->child; e; e = e->next, i++) {
        if (cJSON_IsNull(e) && nullable) {
            v[i] = NAN;
            continue;
        }
        double x = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        if (!cJSON_IsNumber(e) || !isfinite(x) || x < lo || x > hi) {
            free(v);
            return bad(c, key, "entry %d is not a number in [%g, %g]", i, lo, hi);
        }
        v[i] = (float)x;
    }
    *out = v;
    *n = k;
    return LS_OK;
}

static int parse_result(Ctx *c, const cJSON *o, LabResult *r, bool sample_key)
{
    memset(r, 0, sizeof *r);
    int rc = get_num(c, o, "train_loss", 0, 1e6, true, &r->train_loss);
    if (!rc) rc = get_num(c, o, "eval_loss", 0, 1e6, true, &r->eval_loss);
    if (!rc) rc = get_num(c, o, "eval_bits_per_byte", 0, 1e6, true, &r->eval_bpb);
    if (!rc) rc = get_num(c, o, "accuracy", 0, 1, true, &r->accuracy);
    if (!rc && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "accuracy"))) {
        long long k, n;
        r->has_accuracy = true;
        rc = get_int(c, o, "problems", 0, TASK_ADDITION_EVAL_MAX, &n);
        if (!rc) rc = get_int(c, o, "correct", 0, (double)n, &k);
        if (!rc) r->correct = (int)k, r->total = (int)n;
    }
    if (!rc) rc = get_num(c, o, "forget_loss", 0, 1e6, true, &r->forget_loss);
    if (!rc) rc = get_num(c, o, "forgetting", -1e6, 1e6, true, &r->forgetting);
    if (!rc && sample_key) rc = get_str(c, o, "sample", r->sample, sizeof r->sample, false);
    r->ready = true;
    return rc;
}

static int parse_method(Ctx *c, const cJSON *o, const LabRecord *rec, LabRecordMethod *m)
{
    if (!cJSON_IsObject(o)) return bad(c, "methods", "entries must be objects");
    int rc = get_str(c, o, "method", m->label, sizeof m->label, false);
    if (rc) return rc;
    TuneSpec spec;
    Status pst;
    status_clear(&pst);
    if (tune_spec_parse(&spec, m->label, &pst))
        return bad(c, "method", "'%s' is not a method spec (%s)", m->label, pst.msg);
    char kind[32];
    rc = get_str(c, o, "kind", kind, sizeof kind, false);
    if (rc) return rc;
    if (strcmp(kind, tune_method(spec.kind)->name) != 0)
        return bad(c, "kind", "'%s' but the method is %s", kind, m->label);
    m->kind = spec.kind;
    m->size = spec.size;
    double v;
    long long k;
    if ((rc = get_num(c, o, "lr", 1e-12, 1e10, false, &v))) return rc;
    m->lr = (float)v;
    if ((rc = get_int(c, o, "steps_done", 0, rec->steps, &k))) return rc;
    m->steps_done = (int)k;
    if ((rc = get_int(c, o, "trainable_params", 0, 1e15, &k))) return rc;
    m->trainable_params = (size_t)k;
    if ((rc = get_int(c, o, "total_params", 0, 1e15, &k))) return rc;
    m->total_params = (size_t)k;
    if ((rc = get_num(c, o, "trainable_share", 0, 1, false, &m->trainable_share))) return rc;
    const cJSON *b;
    if ((rc = get_obj(c, o, "bytes", &b))) return rc;
    static const char *const bkeys[] = {"frozen",    "trainable",   "gradients",
                                        "optimizer", "activations", "total"};
    size_t *bv[] = {&m->bytes.frozen,    &m->bytes.trainable,   &m->bytes.grads,
                    &m->bytes.optimizer, &m->bytes.activations, &m->bytes.total};
    for (int i = 0; i < 6; i++) {
        if ((rc = get_int(c, b, bkeys[i], 0, 1e15, &k))) return rc;
        *bv[i] = (size_t)k;
    }
    if ((rc = get_num(c, o, "ms_per_step", 0, 1e9, true, &m->ms_per_step))) return rc;
    if ((rc = parse_result(c, o, &m->result, true))) return rc;
    if ((rc = get_num_new(c, o, "validation_loss", 0, 1e6, &m->validation_loss))) return rc;
    if ((rc = get_num_new(c, o, "alpha", 0, 1e6, &m->alpha))) return rc;
    if ((rc = get_num_new(c, o, "scale", 0, 1e6, &m->scale))) return rc;
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(o, "rslora");
    m->rslora = cJSON_IsTrue(rs);
    if ((rc = get_bool(c, o, "diverged", &m->diverged))) return rc;
    if (m->diverged) {
        if ((rc = get_int(c, o, "diverged_step", 1, rec->steps, &k))) return rc;
        m->diverged_step = (int)k;
    }
    const cJSON *cv;
    if ((rc = get_obj(c, o, "curves", &cv))) return rc;
    if ((rc = get_floats(c, cv, "train_loss", m->steps_done, 0, 1e6, true, &m->train_loss,
                         &m->n_train)))
        return rc;
    int n_steps;
    const cJSON *es;
    if ((rc = get_arr(c, cv, "eval_step", m->steps_done + 2, &es, &n_steps))) return rc;
    if ((rc = get_floats(c, cv, "eval_loss", m->steps_done + 2, 0, 1e6, true, &m->eval_loss,
                         &m->n_eval)))
        return rc;
    if (m->n_eval != n_steps)
        return bad(c, "eval_loss", "%d points but eval_step has %d", m->n_eval, n_steps);
    if (n_steps > 0) {
        m->eval_step = malloc((size_t)n_steps * sizeof(int));
        if (!m->eval_step) return status_fail(c->st, LS_ERR_NOMEM, "out of memory");
        int i = 0, prev = -1;
        for (const cJSON *e = es->child; e; e = e->next, i++) {
            double x = cJSON_IsNumber(e) ? e->valuedouble : NAN;
            if (!isfinite(x) || x != floor(x) || x <= prev || x > m->steps_done)
                return bad(c, "eval_step", "entry %d is not a rising step in [0, %d]", i,
                           m->steps_done);
            m->eval_step[i] = prev = (int)x;
        }
    }
    return LS_OK;
}

/* The index of the method labelled s (-1 when none). */
static int find_label(const LabRecord *r, const char *s)
{
    for (int i = 0; i < r->n_methods; i++)
        if (strcmp(r->methods[i].label, s) == 0) return i;
    return -1;
}

static int get_method_ref(Ctx *c, const cJSON *o, const char *key, const LabRecord *r, int *out)
{
    char label[TUNE_LABEL_MAX];
    int rc = get_str(c, o, key, label, sizeof label, false);
    if (rc) return rc;
    *out = find_label(r, label);
    if (*out < 0) return bad(c, key, "'%s' is none of the methods", label);
    return LS_OK;
}

static int parse_spectra(Ctx *c, const cJSON *sp, LabRecord *r)
{
    LabAnalysis *a = &r->analysis;
    int rc = get_method_ref(c, sp, "method", r, &a->full_method);
    const cJSON *arr;
    int n;
    if (!rc) rc = get_arr(c, sp, "matrices", MAX_MATRICES, &arr, &n);
    if (rc) return rc;
    a->spectra = calloc((size_t)n + 1, sizeof *a->spectra);
    if (!a->spectra) return status_fail(c->st, LS_ERR_NOMEM, "out of memory");
    for (const cJSON *e = arr->child; e; e = e->next) {
        DeltaSpectrum *d = &a->spectra[a->n_spectra++];
        long long in, out, r90, r99;
        if (!cJSON_IsObject(e)) return bad(c, "matrices", "entries must be objects");
        rc = get_str(c, e, "name", d->name, sizeof d->name, false);
        if (!rc) rc = get_int(c, e, "in", 1, MAX_DIM, &in);
        if (!rc) rc = get_int(c, e, "out", 1, MAX_DIM, &out);
        if (!rc) rc = get_num(c, e, "delta_frobenius", 0, 1e12, true, &d->frobenius);
        if (!rc) rc = get_num(c, e, "base_frobenius", 0, 1e12, true, &d->base_frobenius);
        if (rc) return rc;
        int kmax = (int)(in < out ? in : out);
        if (!rc) rc = get_floats(c, e, "singular_values", kmax, 0, 1e12, false, &d->sigma, &d->k);
        if (!rc) rc = get_int(c, e, "rank90", 0, d->k, &r90);
        if (!rc) rc = get_int(c, e, "rank99", 0, d->k, &r99);
        if (rc) return rc;
        d->in = (int)in, d->out = (int)out, d->rank90 = (int)r90, d->rank99 = (int)r99;
        d->layer = -1;
        if (sscanf(d->name, "h.%d.", &d->layer) != 1) d->layer = -1;
    }
    return LS_OK;
}

static int parse_sims(Ctx *c, const cJSON *ss, LabRecord *r)
{
    LabAnalysis *a = &r->analysis;
    long long r1, r2, in = 0;
    int rc = get_method_ref(c, ss, "small", r, &a->small_method);
    if (!rc) rc = get_method_ref(c, ss, "large", r, &a->large_method);
    if (!rc) rc = get_int(c, ss, "r_small", 1, MAX_SIM_RANK, &r1);
    if (!rc) rc = get_int(c, ss, "r_large", 1, MAX_SIM_RANK, &r2);
    if (!rc && cJSON_GetObjectItemCaseSensitive(ss, "sim_in"))
        rc = get_int(c, ss, "sim_in", 0, MAX_DIM, &in);
    const cJSON *arr;
    int n;
    if (!rc) rc = get_arr(c, ss, "matrices", MAX_MATRICES, &arr, &n);
    if (rc) return rc;
    a->r_small = (int)r1, a->r_large = (int)r2, a->sim_in = (int)in;
    a->sims = calloc((size_t)n + 1, sizeof *a->sims);
    if (!a->sims) return status_fail(c->st, LS_ERR_NOMEM, "out of memory");
    for (const cJSON *e = arr->child; e; e = e->next) {
        SubspaceSim *s = &a->sims[a->n_sims++];
        if (!cJSON_IsObject(e)) return bad(c, "matrices", "entries must be objects");
        const cJSON *rows;
        int nr;
        rc = get_str(c, e, "name", s->name, sizeof s->name, false);
        if (!rc) rc = get_arr(c, e, "phi", (int)r1, &rows, &nr);
        if (rc) return rc;
        if (nr != r1) return bad(c, "phi", "%d rows, not r_small = %lld", nr, r1);
        s->phi = malloc((size_t)(r1 * r2) * sizeof(float));
        if (!s->phi) return status_fail(c->st, LS_ERR_NOMEM, "out of memory");
        int i = 0;
        for (const cJSON *row = rows->child; row; row = row->next, i++) {
            int j = 0;
            if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != r2)
                return bad(c, "phi", "row %d is not %lld numbers", i, r2);
            for (const cJSON *x = row->child; x; x = x->next, j++) {
                double v = cJSON_IsNumber(x) ? x->valuedouble : NAN;
                /* phi is in [0, 1]; float rounding may pass 1 by a hair */
                if (!isfinite(v) || v < 0 || v > 1.001)
                    return bad(c, "phi", "row %d entry %d is not a number in [0, 1]", i, j);
                s->phi[(size_t)i * r2 + j] = (float)v;
            }
        }
    }
    return LS_OK;
}

static int parse_amps(Ctx *c, const cJSON *arr, LabRecord *r)
{
    LabAnalysis *a = &r->analysis;
    int n = cJSON_GetArraySize(arr);
    if (n > MAX_AMPS) return bad(c, "amplification", "more than %d rows", MAX_AMPS);
    a->amps = calloc((size_t)n + 1, sizeof *a->amps);
    if (!a->amps) return status_fail(c->st, LS_ERR_NOMEM, "out of memory");
    for (const cJSON *e = arr->child; e; e = e->next) {
        AmplificationRow *w = &a->amps[a->n_amps++];
        long long k;
        if (!cJSON_IsObject(e)) return bad(c, "amplification", "entries must be objects");
        int rc = get_method_ref(c, e, "method", r, &w->method);
        if (!rc) rc = get_str(c, e, "name", w->name, sizeof w->name, false);
        if (!rc) rc = get_int(c, e, "r", 0, MAX_DIM, &k);
        if (!rc) rc = get_num(c, e, "delta_frobenius", 0, 1e12, true, &w->amp.delta_norm);
        if (!rc) rc = get_num(c, e, "projected", 0, 1e12, true, &w->amp.proj);
        if (!rc) rc = get_num(c, e, "factor", 0, 1e12, true, &w->amp.factor);
        if (!rc) rc = get_num(c, e, "projected_top", 0, 1e12, true, &w->amp.proj_top);
        if (!rc) rc = get_num(c, e, "projected_random", 0, 1e12, true, &w->amp.proj_random);
        if (rc) return rc;
        w->amp.r = (int)k;
    }
    return LS_OK;
}

static int parse_analysis(Ctx *c, const cJSON *o, LabRecord *r)
{
    snprintf(c->where, sizeof c->where, "analysis");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "full_delta_spectra");
    const cJSON *ss = cJSON_GetObjectItemCaseSensitive(o, "subspace_similarity");
    const cJSON *am = cJSON_GetObjectItemCaseSensitive(o, "amplification");
    int rc = LS_OK;
    if (sp && !cJSON_IsObject(sp)) return bad(c, "full_delta_spectra", "must be an object");
    if (ss && !cJSON_IsObject(ss)) return bad(c, "subspace_similarity", "must be an object");
    if (am && !cJSON_IsArray(am)) return bad(c, "amplification", "must be an array");
    if (sp) rc = parse_spectra(c, sp, r);
    if (!rc && ss) rc = parse_sims(c, ss, r);
    if (!rc && am) rc = parse_amps(c, am, r);
    r->has_analysis = true;
    return rc;
}

int lab_record_parse(LabRecord *r, const cJSON *o, Status *st)
{
    lab_record_init(r);
    Ctx c = {.st = st};
    if (!cJSON_IsObject(o)) return status_fail(st, LS_ERR_PARSE, "a lab's results must be a JSON object");
    char fmt[32];
    int rc = get_str(&c, o, "format", fmt, sizeof fmt, true);
    if (!rc && fmt[0] && strcmp(fmt, "lorascope-lab") != 0)
        rc = bad(&c, "format", "'%s', not \"lorascope-lab\"", fmt);
    double ver = 1;
    if (!rc && cJSON_GetObjectItemCaseSensitive(o, "version"))
        rc = get_num(&c, o, "version", 1, 1e9, false, &ver);
    if (!rc && ver > LAB_FILE_VERSION)
        rc = bad(&c, "version", "%g is newer than this lorascope reads (%d)", ver,
                 LAB_FILE_VERSION);
    long long k;
    if (!rc) rc = get_str(&c, o, "task", r->task, sizeof r->task, false);
    if (!rc) {
        TaskKind tk;
        if (!task_kind_parse(&tk, r->task)) rc = bad(&c, "task", "unknown task '%s'", r->task);
    }
    if (!rc)
        rc = get_str(&c, o, "task_description", r->task_description, sizeof r->task_description,
                     false);
    if (!rc) rc = get_str(&c, o, "validation", r->validation, sizeof r->validation, true);
    if (!rc) rc = get_str(&c, o, "test", r->test, sizeof r->test, true);
    if (!rc) rc = get_int(&c, o, "steps", 1, LAB_FILE_MAX_STEPS, &k);
    if (!rc) r->steps = (int)k;
    if (!rc) rc = get_int(&c, o, "batch", 1, 4096, &k);
    if (!rc) r->batch = (int)k;
    if (!rc) rc = get_int(&c, o, "seq", 1, MAX_DIM, &k);
    if (!rc) r->seq = (int)k;
    if (!rc) rc = get_int(&c, o, "seed", 0, 9007199254740992.0, &k);
    if (!rc) r->seed = (unsigned long long)k;
    if (!rc) rc = get_int(&c, o, "threads", 0, 4096, &k);
    if (!rc) r->threads = (long)k;
    if (!rc) rc = get_bool(&c, o, "stopped", &r->stopped);
    if (!rc) rc = get_num(&c, o, "elapsed_s", 0, 1e9, false, &r->elapsed_s);
    if (!rc) rc = get_int(&c, o, "base_params", 0, 1e15, &k);
    if (!rc) r->base_params = (size_t)k;
    char scaling[16];
    if (!rc) rc = get_str(&c, o, "lora_scaling", scaling, sizeof scaling, true);
    /* Files from before the key used each spec's alpha. */
    r->scaling = LAB_SCALING_SPEC;
    if (!rc && scaling[0] && !lab_scaling_parse(&r->scaling, scaling))
        rc = bad(&c, "lora_scaling", "unknown scaling '%s'", scaling);
    const cJSON *base, *methods;
    int n;
    if (!rc) rc = get_obj(&c, o, "base", &base);
    if (!rc) {
        snprintf(c.where, sizeof c.where, "base");
        rc = parse_result(&c, base, &r->base, true);
        c.where[0] = '\0';
    }
    if (!rc) rc = get_arr(&c, o, "methods", LAB_MAX_METHODS, &methods, &n);
    if (!rc && n == 0) rc = bad(&c, "methods", "no methods");
    if (!rc) {
        int i = 0;
        for (const cJSON *e = methods->child; e && !rc; e = e->next, i++) {
            snprintf(c.where, sizeof c.where, "methods[%d]", i);
            r->n_methods = i + 1;
            rc = parse_method(&c, e, r, &r->methods[i]);
        }
        c.where[0] = '\0';
    }
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(o, "analysis");
    if (!rc && an && !cJSON_IsNull(an)) {
        if (!cJSON_IsObject(an))
            rc = bad(&c, "analysis", "must be an object");
        else
            rc = parse_analysis(&c, an, r);
    }
    if (rc) lab_record_free(r);
    return rc;
}

int lab_record_parse_text(LabRecord *r, const char *text, size_t len, Status *st)
{
    lab_record_init(r);
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o) return status_fail(st, LS_ERR_PARSE, "not valid JSON");
    int rc = lab_record_parse(r, o, st);
    cJSON_Delete(o);
    return rc;
}

int lab_file_load(const char *path, LabRecord *out, Status *st)
{
    lab_record_init(out);
    unsigned char *data = NULL;
    size_t n = 0;
    int rc = file_read_all(path, LAB_FILE_MAX_BYTES, &data, &n, st);
    if (rc) return rc;
    rc = lab_record_parse_text(out, (const char *)data, n, st);
    free(data);
    if (rc) status_prefix(st, "%s", path);
    return rc;
}
