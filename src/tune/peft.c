/* peft.c — LoRA adapters and prefixes as PEFT files, and their loader
 * (see peft.h for the layout and how lorascope's adapters map onto it). */
#include "peft.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file_read.h"
#include "../base/json_out.h"
#include "../nn/fileio.h"
#include "../nn/safetensors.h"

// ----------------------------------------------------------------------------
// Names

/* The four linear layers of a block as PEFT names them, with their shapes
 * in units of C. target is the target_modules entry that selects exactly
 * that layer (PEFT matches a suffix after a dot). */
static const struct {
    const char *path;   /* inside transformer.h.N. */
    const char *target; /* in target_modules */
    int in, out;        /* in units of C */
} linear_rows[GPT_NUM_LINEAR] = {
    [GPT_LINEAR_QKV] = {"attn.c_attn", "c_attn", 1, 3},
    [GPT_LINEAR_ATTPROJ] = {"attn.c_proj", "attn.c_proj", 1, 1},
    [GPT_LINEAR_FC] = {"mlp.c_fc", "c_fc", 1, 4},
    [GPT_LINEAR_FCPROJ] = {"mlp.c_proj", "mlp.c_proj", 4, 1},
};

#define PEFT_PREFIX "base_model.model.transformer.h."

const char *peft_linear_path(GptLinearId id)
{
    return linear_rows[id].path;
}

static void tensor_name(char *out, size_t size, int l, GptLinearId id, char ab)
{
    snprintf(out, size, PEFT_PREFIX "%d.%s.lora_%c.weight", l, linear_rows[id].path, ab);
}

// ----------------------------------------------------------------------------
// Saving LoRA

/* One rank-r piece of a linear layer's update: s * sign * B A on columns
 * [col0, col0 + cols). */
typedef struct Piece {
    const float *A, *B; /* (r, in), (cols, r) */
    int col0, cols;
    float sign;
} Piece;

static int pieces_of(const LoraAdapter *a, const float *init, int l, GptLinearId id, Piece *out)
{
    int n = 0;
    for (int m = 0; m < a->n_mod; m++) {
        if (a->mod[m].linear != id) continue;
        out[n++] = (Piece){lora_A(a, l, m), lora_B(a, l, m), a->mod[m].col0, a->mod[m].cols, 1.0f};
        if (init) {
            size_t off = (size_t)(lora_A(a, l, m) - a->params);
            out[n++] = (Piece){init + off, init + off + (size_t)a->rank * a->mod[m].in,
                               a->mod[m].col0, a->mod[m].cols, -1.0f};
        }
    }
    return n;
}

int peft_lora_files(const LoraAdapter *a, const float *init, const GptConfig *cfg, bool use_rslora,
                    const char *base_name, char **config_json, unsigned char **model,
                    size_t *model_size, Status *st)
{
    *config_json = NULL;
    *model = NULL;
    *model_size = 0;
    int C = cfg->n_embd, L = cfg->n_layer, r = a->rank;
    /* The saved rank: the most pieces any layer has, times r. */
    int most = 0;
    bool used[GPT_NUM_LINEAR] = {false};
    Piece pieces[2 * LORA_MAX_MODULES];
    for (int id = 0; id < GPT_NUM_LINEAR; id++) {
        int k = pieces_of(a, init, 0, (GptLinearId)id, pieces);
        used[id] = k > 0;
        if (k > most) most = k;
    }
    if (most == 0) return status_fail(st, LS_ERR_ARG, "the adapter adapts nothing");
    int R = most * r;
    int n_used = 0;
    for (int id = 0; id < GPT_NUM_LINEAR; id++)
        n_used += used[id];
    int n_t = 2 * L * n_used;
    StWriteTensor *ts = calloc((size_t)n_t, sizeof *ts);
    char(*names)[128] = calloc((size_t)n_t, sizeof *names);
    float **bufs = calloc((size_t)n_t, sizeof *bufs);
    int rc = (!ts || !names || !bufs) ? status_fail(st, LS_ERR_NOMEM, "out of memory") : LS_OK;
    int k = 0;
    for (int l = 0; l < L && !rc; l++)
        for (int id = 0; id < GPT_NUM_LINEAR && !rc; id++) {
            if (!used[id]) continue;
            int in = linear_rows[id].in * C, out = linear_rows[id].out * C;
            float *A = calloc((size_t)R * in, sizeof(float)),
                  *B = calloc((size_t)out * R, sizeof(float));
            bufs[k] = A;
            bufs[k + 1] = B;
            if (!A || !B) {
                rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                break;
            }
            int np = pieces_of(a, init, l, (GptLinearId)id, pieces);
            for (int p = 0; p < np; p++) {
                memcpy(A + (size_t)p * r * in, pieces[p].A, (size_t)r * in * sizeof(float));
                for (int i = 0; i < pieces[p].cols; i++)
                    for (int j = 0; j < r; j++)
                        B[(size_t)(pieces[p].col0 + i) * R + p * r + j] =
                            pieces[p].sign * pieces[p].B[(size_t)i * r + j];
            }
            tensor_name(names[k], sizeof names[k], l, (GptLinearId)id, 'A');
            ts[k] = (StWriteTensor){.name = names[k], .data = A, .ndim = 2, .shape = {R, in}};
            tensor_name(names[k + 1], sizeof names[k + 1], l, (GptLinearId)id, 'B');
            ts[k + 1] =
                (StWriteTensor){.name = names[k + 1], .data = B, .ndim = 2, .shape = {out, R}};
            k += 2;
        }
    if (!rc) rc = st_serialize(model, model_size, ts, n_t, st);
    if (!rc) {
        /* PEFT's scaling must equal the run's s: alpha' / R (or / sqrt R). */
        double alpha = use_rslora ? (double)a->scale * sqrt((double)R) : (double)a->scale * R;
        cJSON *o = cJSON_CreateObject();
        cJSON *tm = cJSON_CreateArray();
        for (int id = 0; id < GPT_NUM_LINEAR; id++)
            if (used[id]) cJSON_AddItemToArray(tm, cJSON_CreateString(linear_rows[id].target));
        cJSON_AddStringToObject(o, "peft_type", "LORA");
        cJSON_AddStringToObject(o, "task_type", "CAUSAL_LM");
        if (base_name)
            cJSON_AddStringToObject(o, "base_model_name_or_path", base_name);
        else
            cJSON_AddNullToObject(o, "base_model_name_or_path");
        cJSON_AddNumberToObject(o, "r", R);
        json_add_double(o, "lora_alpha", alpha);
        cJSON_AddItemToObject(o, "target_modules", tm);
        cJSON_AddTrueToObject(o, "fan_in_fan_out");
        cJSON_AddBoolToObject(o, "use_rslora", use_rslora);
        cJSON_AddStringToObject(o, "bias", "none");
        cJSON_AddNumberToObject(o, "lora_dropout", 0);
        cJSON_AddTrueToObject(o, "inference_mode");
        cJSON_AddTrueToObject(o, "init_lora_weights");
        cJSON_AddNullToObject(o, "modules_to_save");
        cJSON_AddFalseToObject(o, "use_dora");
        *config_json = json_print(o);
        cJSON_Delete(o);
        if (!*config_json) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    if (bufs)
        for (int i = 0; i < n_t; i++)
            free(bufs[i]);
    free(bufs);
    free(ts);
    free(names);
    if (rc) {
        free(*model);
        free(*config_json);
        *model = NULL;
        *config_json = NULL;
    }
    return rc;
}

/* dir + "/" + name into a malloc'd path. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int read_pair(const char *dir, unsigned char **config, size_t *clen, FileMap *model,
                     Status *st);

static int write_pair(const char *dir, const char *config, const unsigned char *model, size_t size,
                      Status *st)
{
    int rc = file_make_dirs(dir, st);
    char *pc = join(dir, "adapter_config.json"), *pm = join(dir, "adapter_model.safetensors");
    if (!rc && (!pc || !pm)) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    if (!rc) rc = file_write_atomic(pm, model, size, st);
    if (!rc) rc = file_write_atomic(pc, config, strlen(config), st);
    free(pc);
    free(pm);
    return rc;
}

int peft_write_adapter(const char *dir, const char *config_json, const StWriteTensor *ts, int n,
                       Status *st)
{
    unsigned char *model = NULL;
    size_t size = 0;
    int rc = st_serialize(&model, &size, ts, n, st);
    if (!rc) rc = write_pair(dir, config_json, model, size, st);
    free(model);
    return rc;
}

int peft_read_adapter(const char *dir, char **config_json, size_t *config_len,
                      unsigned char **model, size_t *model_size, Status *st)
{
    /* The tensors mapped (checked before any is read), then copied out:
     * the callers own plain buffers. */
    FileMap map;
    *model = NULL;
    *model_size = 0;
    int rc = read_pair(dir, (unsigned char **)config_json, config_len, &map, st);
    if (rc) {
        status_prefix(st, "%s", dir);
        return rc;
    }
    *model = malloc(map.size ? map.size : 1);
    if (!*model) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        free(*config_json);
        *config_json = NULL;
    } else {
        memcpy(*model, map.data, map.size);
        *model_size = map.size;
    }
    file_unmap(&map);
    return rc;
}

int peft_save_lora(const LoraAdapter *a, const float *init, const GptConfig *cfg, bool use_rslora,
                   const char *dir, const char *base_name, Status *st)
{
    char *config;
    unsigned char *model;
    size_t size;
    int rc = peft_lora_files(a, init, cfg, use_rslora, base_name, &config, &model, &size, st);
    if (!rc) rc = write_pair(dir, config, model, size, st);
    free(config);
    free(model);
    return rc;
}

// ----------------------------------------------------------------------------
// Saving a prefix

int peft_save_prefix(const Prefix *p, const GptConfig *cfg, const char *dir, const char *base_name,
                     Status *st)
{
    int P = p->P, C = p->C, L = p->L, D = 2 * L * C;
    if (P < 1) return status_fail(st, LS_ERR_ARG, "an empty prefix has nothing to save");
    float *emb = malloc((size_t)P * D * sizeof(float));
    if (!emb) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    for (int j = 0; j < 2 * L; j++)
        for (int i = 0; i < P; i++)
            memcpy(emb + (size_t)i * D + (size_t)j * C, p->kv + ((size_t)j * P + i) * C,
                   (size_t)C * sizeof(float));
    StWriteTensor t = {.name = "prompt_embeddings", .data = emb, .ndim = 2, .shape = {P, D}};
    unsigned char *model = NULL;
    size_t size = 0;
    int rc = st_serialize(&model, &size, &t, 1, st);
    free(emb);
    char *config = NULL;
    if (!rc) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "peft_type", "PREFIX_TUNING");
        cJSON_AddStringToObject(o, "task_type", "CAUSAL_LM");
        if (base_name)
            cJSON_AddStringToObject(o, "base_model_name_or_path", base_name);
        else
            cJSON_AddNullToObject(o, "base_model_name_or_path");
        cJSON_AddNumberToObject(o, "num_virtual_tokens", P);
        cJSON_AddNumberToObject(o, "num_layers", L);
        cJSON_AddNumberToObject(o, "token_dim", C);
        cJSON_AddNumberToObject(o, "num_attention_heads", cfg->n_head);
        cJSON_AddNumberToObject(o, "num_transformer_submodules", 1);
        cJSON_AddFalseToObject(o, "prefix_projection");
        /* The positions: stated in the file, as the lesson states it. */
        cJSON_AddStringToObject(o, "lorascope_note",
                                "not PEFT-equivalent: lorascope's prefix occupies no positions (the "
                                "real tokens keep 0..T-1), while GPT-2 in transformers numbers them "
                                "from P after past_key_values");
        cJSON_AddNumberToObject(o, "encoder_hidden_size", p->mlp ? p->H : C);
        cJSON_AddTrueToObject(o, "inference_mode");
        config = json_print(o);
        cJSON_Delete(o);
        if (!config) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = write_pair(dir, config, model, size, st);
    free(config);
    free(model);
    return rc;
}

// ----------------------------------------------------------------------------
// Loading

void peft_lora_free(PeftLora *p)
{
    if (!p) return;
    lora_free(&p->lora);
    memset(p, 0, sizeof *p);
}

/* Parse "base_model.model.transformer.h.N.<path>.lora_X.weight". */
static bool parse_name(const char *name, int L, int *layer, GptLinearId *id, char *ab)
{
    size_t pl = strlen(PEFT_PREFIX);
    if (strncmp(name, PEFT_PREFIX, pl) != 0) return false;
    const char *p = name + pl;
    if (*p < '0' || *p > '9') return false;
    long l = 0;
    while (*p >= '0' && *p <= '9') {
        l = l * 10 + (*p - '0');
        if (l > 100000) return false;
        p++;
    }
    if (*p++ != '.' || l >= L) return false;
    for (int i = 0; i < GPT_NUM_LINEAR; i++) {
        size_t n = strlen(linear_rows[i].path);
        if (strncmp(p, linear_rows[i].path, n) != 0) continue;
        const char *q = p + n;
        if (strcmp(q, ".lora_A.weight") == 0 || strcmp(q, ".lora_B.weight") == 0) {
            *layer = (int)l;
            *id = (GptLinearId)i;
            *ab = q[6];
            return true;
        }
    }
    return false;
}

/* Is linear layer id selected by the target_modules item t? (PEFT: the
 * module's full name equals t or ends with "." + t.) */
static bool target_selects(const char *t, GptLinearId id)
{
    char full[64];
    snprintf(full, sizeof full, "transformer.h.0.%s", linear_rows[id].path);
    size_t n = strlen(full), k = strlen(t);
    if (k == 0 || k > n) return false;
    return strcmp(full + n - k, t) == 0 && (k == n || full[n - k - 1] == '.');
}

static int parse_lora_config(const char *text, size_t len, int *r, float *alpha, bool *rslora,
                             bool targeted[GPT_NUM_LINEAR], char *base, size_t base_size,
                             Status *st)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return status_fail(st, LS_ERR_PARSE, "adapter_config.json: not valid JSON");
    int rc = LS_OK;
    const cJSON *v;
#define FAIL(...) (rc = status_fail(st, LS_ERR_PARSE, "adapter_config.json: " __VA_ARGS__))
    if (!cJSON_IsObject(root)) FAIL("not a JSON object");
    if (!rc) {
        v = cJSON_GetObjectItemCaseSensitive(root, "peft_type");
        if (!cJSON_IsString(v))
            FAIL("missing \"peft_type\"");
        else if (strcmp(v->valuestring, "LORA") != 0)
            FAIL("\"peft_type\" is \"%.40s\"; expected \"LORA\"", v->valuestring);
    }
    if (!rc) {
        v = cJSON_GetObjectItemCaseSensitive(root, "r");
        if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble)
            FAIL("\"r\" must be a whole number");
        else if (v->valuedouble < 1 || v->valuedouble > LORA_MAX_RANK)
            rc = status_fail(st, LS_ERR_RANGE, "adapter_config.json: \"r\" is %g; expected 1..%d",
                             v->valuedouble, LORA_MAX_RANK);
        else
            *r = (int)v->valuedouble;
    }
    if (!rc) {
        v = cJSON_GetObjectItemCaseSensitive(root, "lora_alpha");
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > 1e6)
            FAIL("\"lora_alpha\" must be a positive number");
        else
            *alpha = (float)v->valuedouble;
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "use_rslora")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsBool(v))
            FAIL("\"use_rslora\" must be true or false");
        else
            *rslora = cJSON_IsTrue(v);
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "bias")) && !cJSON_IsNull(v) &&
        !(cJSON_IsString(v) && strcmp(v->valuestring, "none") == 0))
        FAIL("\"bias\" must be \"none\" (bias training is not supported)");
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "use_dora")) && cJSON_IsTrue(v))
        FAIL("\"use_dora\" is true: DoRA adapters are not supported");
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "modules_to_save")) &&
        !cJSON_IsNull(v) && !(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0))
        FAIL("\"modules_to_save\" is not supported");
    const char *patterns[] = {"rank_pattern", "alpha_pattern"};
    for (int i = 0; i < 2 && !rc; i++)
        if ((v = cJSON_GetObjectItemCaseSensitive(root, patterns[i])) && !cJSON_IsNull(v) &&
            !(cJSON_IsObject(v) && cJSON_GetArraySize(v) == 0))
            FAIL("\"%s\" is not supported (one r and alpha for all modules)", patterns[i]);
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "fan_in_fan_out")) && !cJSON_IsNull(v) &&
        !cJSON_IsBool(v))
        FAIL("\"fan_in_fan_out\" must be true or false");
    if (!rc) {
        v = cJSON_GetObjectItemCaseSensitive(root, "target_modules");
        if (cJSON_IsString(v)) {
            for (int id = 0; id < GPT_NUM_LINEAR; id++)
                targeted[id] = target_selects(v->valuestring, (GptLinearId)id);
        } else if (cJSON_IsArray(v)) {
            const cJSON *it;
            cJSON_ArrayForEach(it, v)
            {
                if (!cJSON_IsString(it)) {
                    FAIL("\"target_modules\" must hold strings");
                    break;
                }
                bool any = false;
                for (int id = 0; id < GPT_NUM_LINEAR; id++)
                    if (target_selects(it->valuestring, (GptLinearId)id)) targeted[id] = any = true;
                if (!any) {
                    FAIL("target module \"%.40s\" is not a linear layer of GPT-2 (c_attn, c_proj, "
                         "c_fc, "
                         "attn.c_proj, mlp.c_proj)",
                         it->valuestring);
                    break;
                }
            }
        } else {
            FAIL("\"target_modules\" must be a list of module names");
        }
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "base_model_name_or_path")) &&
        cJSON_IsString(v))
        snprintf(base, base_size, "%s", v->valuestring);
#undef FAIL
    cJSON_Delete(root);
    return rc;
}

int peft_load_lora_memory(PeftLora *out, const GptConfig *cfg, const char *config_json,
                          size_t config_len, const void *model, size_t model_size, Status *st)
{
    memset(out, 0, sizeof *out);
    int r = 0;
    float alpha = 0;
    bool rslora = false, targeted[GPT_NUM_LINEAR] = {false};
    int rc = parse_lora_config(config_json, config_len, &r, &alpha, &rslora, targeted,
                               out->base_model, sizeof out->base_model, st);
    if (rc) return rc;
    StFile f;
    rc = st_parse(&f, model, model_size, st);
    if (rc) {
        status_prefix(st, "adapter_model.safetensors");
        return rc;
    }
    int L = cfg->n_layer, C = cfg->n_embd;
    /* Which (layer, linear, A/B) tensors are present. */
    unsigned char *seen = calloc((size_t)L * GPT_NUM_LINEAR * 2, 1);
    const StTensor **which = calloc((size_t)L * GPT_NUM_LINEAR * 2, sizeof *which);
    if (!seen || !which) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
#define FAILT(...) (rc = status_fail(st, LS_ERR_PARSE, "adapter_model.safetensors: " __VA_ARGS__))
    for (int i = 0; i < f.n && !rc; i++) {
        const StTensor *t = &f.tensors[i];
        int l;
        GptLinearId id;
        char ab;
        if (!parse_name(t->name, L, &l, &id, &ab)) {
            rc = status_fail(
                st, LS_ERR_PARSE,
                "adapter_model.safetensors: unexpected tensor \"%.200s\" (LoRA weights of layers "
                "0..%d only)",
                t->name, L - 1);
            break;
        }
        if (!targeted[id]) {
            FAILT("%s is not in target_modules", t->name);
            break;
        }
        if (t->dtype != ST_F32) {
            FAILT("%s has dtype %s; lorascope reads F32 only", t->name, st_dtype_name(t->dtype));
            break;
        }
        int in = linear_rows[id].in * C, outd = linear_rows[id].out * C;
        int64_t want0 = ab == 'A' ? r : outd, want1 = ab == 'A' ? in : r;
        if (t->ndim != 2 || t->shape[0] != want0 || t->shape[1] != want1) {
            FAILT("%s has the wrong shape; expected (%lld, %lld)", t->name, (long long)want0,
                  (long long)want1);
            break;
        }
        size_t k = ((size_t)l * GPT_NUM_LINEAR + id) * 2 + (ab == 'B');
        if (seen[k]) {
            FAILT("%s appears twice", t->name);
            break;
        }
        seen[k] = 1;
        which[k] = t;
    }
    /* Every targeted layer with both halves in every block. */
    LoraModule mods[GPT_NUM_LINEAR];
    int n_mod = 0;
    for (int id = 0; id < GPT_NUM_LINEAR && !rc; id++) {
        bool any = false;
        for (int l = 0; l < L; l++)
            any |= seen[((size_t)l * GPT_NUM_LINEAR + id) * 2] ||
                   seen[((size_t)l * GPT_NUM_LINEAR + id) * 2 + 1];
        if (!any) continue;
        for (int l = 0; l < L && !rc; l++)
            for (int h = 0; h < 2 && !rc; h++)
                if (!seen[((size_t)l * GPT_NUM_LINEAR + id) * 2 + h]) {
                    char name[128];
                    tensor_name(name, sizeof name, l, (GptLinearId)id, h ? 'B' : 'A');
                    rc = status_fail(st, LS_ERR_PARSE, "adapter_model.safetensors: missing %s",
                                     name);
                }
        mods[n_mod++] = (LoraModule){.linear = (GptLinearId)id,
                                     .col0 = 0,
                                     .cols = linear_rows[id].out * C,
                                     .in = linear_rows[id].in * C};
    }
    if (!rc && n_mod == 0)
        rc = status_fail(st, LS_ERR_PARSE, "adapter_model.safetensors: no LoRA weights");
    if (!rc) rc = lora_init(&out->lora, cfg, mods, n_mod, r, lora_scale(alpha, r, rslora), st);
    for (int l = 0; l < L && !rc; l++)
        for (int m = 0; m < n_mod; m++) {
            size_t k = ((size_t)l * GPT_NUM_LINEAR + mods[m].linear) * 2;
            st_read_f32(&f, which[k], lora_A(&out->lora, l, m));
            st_read_f32(&f, which[k + 1], lora_B(&out->lora, l, m));
        }
    /* Non-finite weights would poison the model silently. */
    for (size_t i = 0; !rc && i < out->lora.n_params; i++)
        if (!isfinite(out->lora.params[i]))
            rc = status_fail(st, LS_ERR_PARSE, "adapter_model.safetensors: non-finite weight");
#undef FAILT
    out->alpha = alpha;
    out->rslora = rslora;
    free(seen);
    free(which);
    st_free(&f);
    if (rc) peft_lora_free(out);
    return rc;
}

/* The config read, the weights mapped (model may be NULL): a large file
 * that is not an adapter is refused by its header without being read. */
static int read_pair(const char *dir, unsigned char **config, size_t *clen, FileMap *model,
                     Status *st)
{
    *config = NULL;
    if (model) *model = (FileMap){0};
    char *pc = join(dir, "adapter_config.json"), *pm = join(dir, "adapter_model.safetensors");
    int rc = (!pc || !pm) ? status_fail(st, LS_ERR_NOMEM, "out of memory") : LS_OK;
    if (!rc) rc = file_read_all(pc, PEFT_MAX_CONFIG_BYTES, config, clen, st);
    if (!rc && model) rc = file_map(model, pm, PEFT_MAX_MODEL_BYTES, st);
    free(pc);
    free(pm);
    if (rc) {
        free(*config);
        *config = NULL;
    }
    return rc;
}

int peft_load_lora(PeftLora *out, const GptConfig *cfg, const char *dir, Status *st)
{
    memset(out, 0, sizeof *out);
    unsigned char *config;
    size_t clen;
    FileMap model;
    int rc = read_pair(dir, &config, &clen, &model, st);
    if (!rc)
        rc = peft_load_lora_memory(out, cfg, (const char *)config, clen, model.data, model.size, st);
    if (rc) status_prefix(st, "%s", dir);
    free(config);
    file_unmap(&model);
    return rc;
}

int peft_config_flag(const char *dir, const char *key, bool *value, Status *st)
{
    unsigned char *config;
    size_t clen;
    *value = false;
    int rc = read_pair(dir, &config, &clen, NULL, st);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)config, clen);
    *value = root && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, key));
    cJSON_Delete(root);
    free(config);
    return LS_OK;
}

int peft_adapter_type(const char *dir, char *type, size_t size, Status *st)
{
    unsigned char *config;
    size_t clen;
    int rc = read_pair(dir, &config, &clen, NULL, st);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)config, clen);
    const cJSON *v = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "peft_type") : NULL;
    if (!cJSON_IsObject(root))
        rc = status_fail(st, LS_ERR_PARSE, "%s/adapter_config.json: %s", dir,
                         root ? "not a JSON object" : "not valid JSON");
    else if (!cJSON_IsString(v))
        rc = status_fail(st, LS_ERR_PARSE,
                         "%s/adapter_config.json: no \"peft_type\" (expected \"LORA\" or "
                         "\"PREFIX_TUNING\")",
                         dir);
    else
        snprintf(type, size, "%s", v->valuestring);
    cJSON_Delete(root);
    free(config);
    return rc;
}

int peft_load_prefix(Prefix *p, const GptConfig *cfg, const char *dir, Status *st)
{
    memset(p, 0, sizeof *p);
    unsigned char *config;
    size_t clen;
    FileMap model;
    int rc = read_pair(dir, &config, &clen, &model, st);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)config, clen);
    int P = 0;
    const cJSON *v;
    if (!root || !cJSON_IsObject(root))
        rc = status_fail(st, LS_ERR_PARSE, "adapter_config.json: not a JSON object");
    if (!rc && !((v = cJSON_GetObjectItemCaseSensitive(root, "peft_type")) && cJSON_IsString(v) &&
                 strcmp(v->valuestring, "PREFIX_TUNING") == 0))
        rc = status_fail(st, LS_ERR_PARSE,
                         "adapter_config.json: \"peft_type\" must be \"PREFIX_TUNING\"");
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "prefix_projection")) && cJSON_IsTrue(v))
        rc = status_fail(st, LS_ERR_PARSE,
                         "adapter_config.json: prefixes saved with their MLP are not supported");
    struct {
        const char *key;
        int want;
        int *out;
    } ints[] = {{"num_virtual_tokens", -1, &P},
                {"num_layers", cfg->n_layer, NULL},
                {"token_dim", cfg->n_embd, NULL}};
    for (int i = 0; i < 3 && !rc; i++) {
        v = cJSON_GetObjectItemCaseSensitive(root, ints[i].key);
        if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble || v->valuedouble < 1 ||
            v->valuedouble > 4096)
            rc = status_fail(st, LS_ERR_PARSE,
                             "adapter_config.json: \"%s\" must be a whole number 1..4096",
                             ints[i].key);
        else if (ints[i].want > 0 && (int)v->valuedouble != ints[i].want)
            rc = status_fail(st, LS_ERR_RANGE,
                             "adapter_config.json: \"%s\" is %g but the model has %d", ints[i].key,
                             v->valuedouble, ints[i].want);
        else if (ints[i].out)
            *ints[i].out = (int)v->valuedouble;
    }
    cJSON_Delete(root);
    StFile f = {0};
    bool parsed = false;
    if (!rc) {
        rc = st_parse(&f, model.data, model.size, st);
        parsed = !rc;
        if (rc) status_prefix(st, "adapter_model.safetensors");
    }
    int L = cfg->n_layer, C = cfg->n_embd, D = 2 * L * C;
    const StTensor *t = NULL;
    if (!rc) {
        t = st_find(&f, "prompt_embeddings");
        if (f.n != 1 || !t)
            rc = status_fail(st, LS_ERR_PARSE,
                             "adapter_model.safetensors: expected one tensor, prompt_embeddings");
        else if (t->dtype != ST_F32 || t->ndim != 2 || t->shape[0] != P || t->shape[1] != D)
            rc = status_fail(st, LS_ERR_PARSE,
                             "adapter_model.safetensors: prompt_embeddings must be F32 (%d, %d)", P,
                             D);
    }
    if (!rc) rc = prefix_init(p, cfg, P, 0, st);
    if (!rc) {
        float *emb = malloc((size_t)P * D * sizeof(float));
        if (!emb) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
        if (!rc) {
            st_read_f32(&f, t, emb);
            for (int j = 0; j < 2 * L; j++)
                for (int i = 0; i < P; i++)
                    memcpy(p->kv + ((size_t)j * P + i) * C, emb + (size_t)i * D + (size_t)j * C,
                           (size_t)C * sizeof(float));
            for (size_t i = 0; i < (size_t)P * D && !rc; i++)
                if (!isfinite(emb[i]))
                    rc = status_fail(st, LS_ERR_PARSE,
                                     "adapter_model.safetensors: non-finite value");
        }
        free(emb);
    }
    if (parsed) st_free(&f);
    free(config);
    file_unmap(&model);
    if (rc) {
        prefix_free(p);
        status_prefix(st, "%s", dir);
    }
    return rc;
}
