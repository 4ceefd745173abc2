/* checkpoint.c — GPT <-> config.json + model.safetensors (see checkpoint.h). */
#include "checkpoint.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file_read.h"
#include "../base/json_out.h"
#include "fileio.h"
#include "safetensors.h"

// ----------------------------------------------------------------------------
// config.json

/* An integer field: required, a whole number in [lo, hi]. */
static int config_int(const cJSON *root, const char *key, int lo, int hi, int *out, Status *st)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return status_fail(st, LS_ERR_PARSE, "missing \"%s\"", key);
    if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble)
        return status_fail(st, LS_ERR_PARSE, "\"%s\" is not an integer", key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return status_fail(st, LS_ERR_RANGE, "\"%s\" is %g; expected %d..%d", key, v->valuedouble, lo, hi);
    *out = (int)v->valuedouble;
    return LS_OK;
}

int gpt_config_parse(GptConfig *cfg, const char *text, size_t len, Status *st)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return status_fail(st, LS_ERR_PARSE, "not valid JSON");
    int rc = LS_OK;
    if (!cJSON_IsObject(root)) rc = status_fail(st, LS_ERR_PARSE, "not a JSON object");
    const cJSON *v;
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "model_type")) &&
        !(cJSON_IsString(v) && strcmp(v->valuestring, "gpt2") == 0))
        rc = status_fail(st, LS_ERR_PARSE, "\"model_type\" must be \"gpt2\"");
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "activation_function")) &&
        !(cJSON_IsString(v) && (strcmp(v->valuestring, "gelu_new") == 0 ||
                                strcmp(v->valuestring, "gelu_pytorch_tanh") == 0)))
        rc = status_fail(st, LS_ERR_PARSE, "\"activation_function\" must be \"gelu_new\" (tanh GELU)");
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "tie_word_embeddings")) && !cJSON_IsTrue(v))
        rc = status_fail(st, LS_ERR_PARSE, "\"tie_word_embeddings\" must be true (the head is tied)");
    GptConfig c = gpt_config_make(1, 1, 1, 1);
    if (!rc) rc = config_int(root, "vocab_size", 1, 1 << 30, &c.vocab_size, st);
    if (!rc) rc = config_int(root, "n_positions", 1, GPT_MAX_POSITIONS, &c.n_positions, st);
    if (!rc) rc = config_int(root, "n_embd", 1, GPT_MAX_EMBD, &c.n_embd, st);
    if (!rc) rc = config_int(root, "n_layer", 1, GPT_MAX_LAYERS, &c.n_layer, st);
    if (!rc) rc = config_int(root, "n_head", 1, GPT_MAX_HEADS, &c.n_head, st);
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "n_inner")) && !cJSON_IsNull(v) &&
        !(cJSON_IsNumber(v) && v->valuedouble == 4.0 * c.n_embd))
        rc = status_fail(st, LS_ERR_PARSE, "\"n_inner\" must be null (4 * n_embd)");
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "layer_norm_epsilon"))) {
        if (!cJSON_IsNumber(v)) rc = status_fail(st, LS_ERR_PARSE, "\"layer_norm_epsilon\" is not a number");
        else c.layer_norm_epsilon = (float)v->valuedouble;
    }
    cJSON_Delete(root);
    if (!rc) rc = gpt_config_check(&c, st);
    if (!rc) *cfg = c;
    return rc;
}

char *gpt_config_json(const GptConfig *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(root, "architectures");
    int ok = root && arch && cJSON_AddItemToArray(arch, cJSON_CreateString("GPT2LMHeadModel"));
    ok = ok && cJSON_AddStringToObject(root, "model_type", "gpt2");
    ok = ok && cJSON_AddNumberToObject(root, "vocab_size", c->vocab_size);
    ok = ok && cJSON_AddNumberToObject(root, "n_positions", c->n_positions);
    ok = ok && cJSON_AddNumberToObject(root, "n_embd", c->n_embd);
    ok = ok && cJSON_AddNumberToObject(root, "n_layer", c->n_layer);
    ok = ok && cJSON_AddNumberToObject(root, "n_head", c->n_head);
    ok = ok && cJSON_AddNullToObject(root, "n_inner");
    ok = ok && cJSON_AddStringToObject(root, "activation_function", "gelu_new");
    ok = ok && json_add_float(root, "layer_norm_epsilon", c->layer_norm_epsilon);
    /* No dropout anywhere (GPT2Config's defaults are 0.1). */
    ok = ok && cJSON_AddNumberToObject(root, "resid_pdrop", 0);
    ok = ok && cJSON_AddNumberToObject(root, "embd_pdrop", 0);
    ok = ok && cJSON_AddNumberToObject(root, "attn_pdrop", 0);
    ok = ok && json_add_float(root, "initializer_range", 0.02f);
    ok = ok && cJSON_AddTrueToObject(root, "tie_word_embeddings");
    /* GPT-2's default <|endoftext|> id 50256 does not exist in a byte vocabulary. */
    ok = ok && cJSON_AddNullToObject(root, "bos_token_id");
    ok = ok && cJSON_AddNullToObject(root, "eos_token_id");
    ok = ok && cJSON_AddStringToObject(root, "torch_dtype", "float32");
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return NULL;
    /* Files end with a newline. */
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

// ----------------------------------------------------------------------------
// Tensors

/* The name of layer l's copy of family id (l ignored when not per layer). */
static void tensor_name(char *buf, size_t size, const GptTensorInfo *ti, int l)
{
    if (ti->layers > 1 || strstr(ti->name, "%d"))
        snprintf(buf, size, "transformer.h.%d%s", l, ti->name + strlen("transformer.h.%d"));
    else
        snprintf(buf, size, "%s", ti->name);
}

static void shape_str(char *buf, size_t size, const int64_t *shape, int ndim)
{
    int n = snprintf(buf, size, "(");
    for (int i = 0; i < ndim && n > 0 && (size_t)n < size; i++)
        n += snprintf(buf + n, size - (size_t)n, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (n > 0 && (size_t)n < size) snprintf(buf + n, size - (size_t)n, ndim == 1 ? ",)" : ")");
}

/* Legacy buffers of older transformers versions: transformer.h.N.attn.bias
 * and transformer.h.N.attn.masked_bias. */
static int is_legacy_buffer(const char *name)
{
    int l, n = 0;
    if (sscanf(name, "transformer.h.%d.attn.%n", &l, &n) != 1 || n == 0) return 0;
    return strcmp(name + n, "bias") == 0 || strcmp(name + n, "masked_bias") == 0;
}

static int load_tensors(Gpt *m, const StFile *f, Status *st)
{
    const GptConfig *c = &m->cfg;
    char *used = calloc(f->n ? (size_t)f->n : 1, 1);
    if (!used) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int rc = LS_OK;
    char name[160], got[160], want[160];
    for (int id = 0; id < GPT_NUM_TENSORS && !rc; id++) {
        GptTensorInfo ti = gpt_tensor_info(c, (GptTensorId)id);
        size_t per = (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
        int64_t shape[2] = {ti.rows, ti.cols};
        int ndim = ti.cols ? 2 : 1;
        for (int l = 0; l < ti.layers && !rc; l++) {
            tensor_name(name, sizeof name, &ti, l);
            const StTensor *t = st_find(f, name);
            if (!t) {
                rc = status_fail(st, LS_ERR_PARSE, "tensor '%s' is missing", name);
                break;
            }
            used[t - f->tensors] = 1;
            if (t->dtype != ST_F32) {
                rc = status_fail(st, LS_ERR_PARSE, "tensor '%s' has dtype %s; lorascope reads F32 only",
                                 name, st_dtype_name(t->dtype));
                break;
            }
            if (t->ndim != ndim || t->shape[0] != shape[0] || (ndim == 2 && t->shape[1] != shape[1])) {
                shape_str(got, sizeof got, t->shape, t->ndim);
                shape_str(want, sizeof want, shape, ndim);
                rc = status_fail(st, LS_ERR_PARSE, "tensor '%s' has shape %s; config.json implies %s", name,
                                 got, want);
                break;
            }
            float *dst = m->params.t[id] + (size_t)l * per;
            st_read_f32(f, t, dst);
            for (size_t i = 0; i < per; i++) {
                if (!isfinite(dst[i])) {
                    rc = status_fail(st, LS_ERR_PARSE, "tensor '%s' holds NaN or infinity at index %zu",
                                     name, i);
                    break;
                }
            }
        }
    }
    for (int i = 0; i < f->n && !rc; i++) {
        if (used[i]) continue;
        const StTensor *t = &f->tensors[i];
        if (is_legacy_buffer(t->name)) continue;
        if (strcmp(t->name, "lm_head.weight") == 0) {
            /* Accepted only as the tied copy of wte. */
            size_t n = gpt_tensor_numel(c, GPT_WTE);
            int same = t->dtype == ST_F32 && t->ndim == 2 && t->shape[0] == c->vocab_size &&
                       t->shape[1] == c->n_embd;
            float *tmp = same ? malloc(n * sizeof(float)) : NULL;
            if (tmp) {
                st_read_f32(f, t, tmp);
                same = memcmp(tmp, m->params.wte, n * sizeof(float)) == 0;
                free(tmp);
            } else if (same) {
                rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                break;
            }
            if (!same)
                rc = status_fail(st, LS_ERR_PARSE,
                                 "tensor 'lm_head.weight' differs from transformer.wte.weight; lorascope's "
                                 "models tie the head to the embedding");
            continue;
        }
        rc = status_fail(st, LS_ERR_PARSE, "unexpected tensor '%.120s' (not part of a GPT2LMHeadModel with "
                                           "this config)", t->name);
    }
    free(used);
    return rc;
}

/* Load from memory, naming the files cfg_name and model_name in messages. */
static int load_named(Gpt *m, const char *cfg_name, const char *cfg_text, size_t cfg_len,
                      const char *model_name, const void *bytes, size_t size, Status *st)
{
    memset(m, 0, sizeof *m);
    GptConfig cfg;
    int rc = gpt_config_parse(&cfg, cfg_text, cfg_len, st);
    if (rc) {
        status_prefix(st, "%s", cfg_name);
        return rc;
    }
    StFile f;
    rc = st_parse(&f, bytes, size, st);
    if (rc) {
        status_prefix(st, "%s", model_name);
        return rc;
    }
    rc = gpt_init(m, &cfg, st);
    if (rc) {
        status_prefix(st, "%s", cfg_name);
        st_free(&f);
        return rc;
    }
    rc = load_tensors(m, &f, st);
    st_free(&f);
    if (rc) {
        status_prefix(st, "%s", model_name);
        gpt_free(m);
    }
    return rc;
}

int gpt_load_memory(Gpt *m, const char *config_text, size_t config_len, const void *model_bytes,
                    size_t model_size, Status *st)
{
    return load_named(m, "config.json", config_text, config_len, "model.safetensors", model_bytes,
                      model_size, st);
}

int gpt_load(Gpt *m, const char *dir, Status *st)
{
    memset(m, 0, sizeof *m);
    size_t dlen = strlen(dir);
    char *cfg_path = malloc(dlen + 32), *model_path = malloc(dlen + 32);
    unsigned char *cfg_text = NULL;
    size_t cfg_len = 0;
    /* Mapped, not read: the header is checked before any data is touched,
     * so a large file that is not a checkpoint costs nothing. */
    FileMap model = {0};
    int rc = (!cfg_path || !model_path) ? status_fail(st, LS_ERR_NOMEM, "out of memory") : LS_OK;
    if (!rc) {
        snprintf(cfg_path, dlen + 32, "%s/config.json", dir);
        snprintf(model_path, dlen + 32, "%s/model.safetensors", dir);
        rc = file_read_all(cfg_path, CHECKPOINT_MAX_CONFIG_BYTES, &cfg_text, &cfg_len, st);
    }
    if (!rc) rc = file_map(&model, model_path, CHECKPOINT_MAX_MODEL_BYTES, st);
    if (!rc)
        rc = load_named(m, cfg_path, (const char *)cfg_text, cfg_len, model_path, model.data, model.size,
                        st);
    free(cfg_text);
    file_unmap(&model);
    free(cfg_path);
    free(model_path);
    return rc;
}

int gpt_serialize(const Gpt *m, unsigned char **out, size_t *size, Status *st)
{
    const GptConfig *c = &m->cfg;
    int n = 0;
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        if (!m->params.t[id])
            return status_fail(st, LS_ERR_ARG, "%s is not held in fp32 (released); dequantise before saving",
                               gpt_tensor_info(c, (GptTensorId)id).name);
        n += gpt_tensor_info(c, (GptTensorId)id).layers;
    }
    StWriteTensor *ts = calloc((size_t)n, sizeof *ts);
    char (*names)[160] = calloc((size_t)n, sizeof *names);
    if (!ts || !names) {
        free(ts);
        free(names);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    int k = 0;
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        GptTensorInfo ti = gpt_tensor_info(c, (GptTensorId)id);
        size_t per = (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
        for (int l = 0; l < ti.layers; l++, k++) {
            tensor_name(names[k], sizeof names[k], &ti, l);
            ts[k] = (StWriteTensor){.name = names[k],
                                    .data = m->params.t[id] + (size_t)l * per,
                                    .ndim = ti.cols ? 2 : 1,
                                    .shape = {ti.rows, ti.cols}};
        }
    }
    int rc = st_serialize(out, size, ts, n, st);
    free(ts);
    free(names);
    return rc;
}

// ----------------------------------------------------------------------------
// Numbers that overflow

/* Calls fn for every stored tensor (one per layer) with its name. */
typedef bool (*TensorVisit)(void *ctx, const char *name, const float *w, size_t n);

static void visit_tensors(const Gpt *m, TensorVisit fn, void *ctx)
{
    char name[160];
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        if (!m->params.t[id]) continue; /* released (QLoRA keeps it quantised) */
        GptTensorInfo ti = gpt_tensor_info(&m->cfg, (GptTensorId)id);
        size_t per = (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
        for (int l = 0; l < ti.layers; l++) {
            tensor_name(name, sizeof name, &ti, l);
            if (!fn(ctx, name, m->params.t[id] + (size_t)l * per, per)) return;
        }
    }
}

typedef struct FiniteCheck {
    Status *st;
    int rc;
} FiniteCheck;

static bool check_one(void *ctx, const char *name, const float *w, size_t n)
{
    FiniteCheck *c = ctx;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i])) {
            c->rc = status_fail(c->st, LS_ERR_RANGE, "tensor '%s' holds %s at index %zu", name,
                                isnan(w[i]) ? "NaN" : "infinity", i);
            return false;
        }
    return true;
}

int gpt_check_finite(const Gpt *m, Status *st)
{
    FiniteCheck c = {st, LS_OK};
    visit_tensors(m, check_one, &c);
    return c.rc;
}

typedef struct Largest {
    float abs;
    char name[160];
} Largest;

static bool find_largest(void *ctx, const char *name, const float *w, size_t n)
{
    Largest *g = ctx;
    for (size_t i = 0; i < n; i++)
        if (fabsf(w[i]) > g->abs) {
            g->abs = fabsf(w[i]);
            snprintf(g->name, sizeof g->name, "%s", name);
        }
    return true;
}

int gpt_fail_nonfinite(const Gpt *m, const char *what, Status *st)
{
    /* A weight that is itself NaN or infinite (training diverged) is the
     * cause to name first. */
    Status why;
    if (gpt_check_finite(m, &why))
        return status_fail(st, LS_ERR_RANGE, "%s came out NaN or infinite: %s", what, why.msg);
    Largest g = {0};
    visit_tensors(m, find_largest, &g);
    /* Trained GPT-2 weights stay well below 100; far above that, say so. */
    if (g.abs > 1e4f)
        return status_fail(st, LS_ERR_RANGE,
                           "%s came out NaN or infinite: the model's numbers overflow float "
                           "(its largest weight is %.3g, in %s)",
                           what, g.abs, g.name);
    return status_fail(st, LS_ERR_RANGE,
                       "%s came out NaN or infinite: the model's numbers overflow float (its "
                       "weights are at most %.3g, so an adapter or prefix may be the cause)",
                       what, g.abs);
}

int gpt_save(const Gpt *m, const char *dir, Status *st)
{
    /* A model that cannot be evaluated is not worth keeping. */
    int rc = gpt_check_finite(m, st);
    if (rc) {
        status_prefix(st, "%s: not saved", dir);
        return rc;
    }
    rc = file_make_dirs(dir, st);
    if (rc) return rc;
    size_t dlen = strlen(dir);
    char *path = malloc(dlen + 32);
    char *cfg = gpt_config_json(&m->cfg);
    unsigned char *bytes = NULL;
    size_t size = 0;
    if (!path || !cfg) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    if (!rc) rc = gpt_serialize(m, &bytes, &size, st);
    if (!rc) {
        snprintf(path, dlen + 32, "%s/model.safetensors", dir);
        rc = file_write_atomic(path, bytes, size, st);
    }
    if (!rc) {
        snprintf(path, dlen + 32, "%s/config.json", dir);
        rc = file_write_atomic(path, cfg, strlen(cfg), st);
    }
    free(bytes);
    free(cfg);
    free(path);
    return rc;
}
