/* demo_quant_model.c — a loaded GPT's tensors by their Hugging Face names
 * (see demo_quant.h): the lookup `lorascope quant --model DIR --tensor NAME`
 * and lesson 4's histogram use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_quant.h"

#include "../base/strdist.h"

/* The name of layer l's copy of a family ("%d" in the pattern is the layer). */
static void family_name(char *buf, size_t size, const GptTensorInfo *ti, int l)
{
    const char *pct = strstr(ti->name, "%d");
    if (!pct) {
        snprintf(buf, size, "%s", ti->name);
        return;
    }
    snprintf(buf, size, "%.*s%d%s", (int)(pct - ti->name), ti->name, l, pct + 2);
}

static bool is_conv1d(GptTensorId id)
{
    return id == GPT_QKVW || id == GPT_ATTPROJW || id == GPT_FCW || id == GPT_FCPROJW;
}

/* Visit every tensor in checkpoint order: families, then layers. */
typedef bool (*TensorVisit)(void *ctx, const char *name, GptTensorId id, int layer);

static void each_tensor(const Gpt *m, TensorVisit visit, void *ctx)
{
    char name[96];
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        GptTensorInfo ti = gpt_tensor_info(&m->cfg, (GptTensorId)id);
        bool per_layer = strstr(ti.name, "%d") != NULL;
        int layers = per_layer ? ti.layers : 1;
        for (int l = 0; l < layers; l++) {
            family_name(name, sizeof name, &ti, l);
            if (!visit(ctx, name, (GptTensorId)id, l)) return;
        }
    }
}

typedef struct NameList {
    char (*names)[96];
    int cap, n;
} NameList;

static bool collect(void *ctx, const char *name, GptTensorId id, int layer)
{
    (void)id, (void)layer;
    NameList *nl = ctx;
    if (nl->names && nl->n < nl->cap) snprintf(nl->names[nl->n], sizeof nl->names[0], "%s", name);
    nl->n++;
    return true;
}

int model_tensor_names(const Gpt *m, char (*names)[96], int cap)
{
    NameList nl = {names, cap, 0};
    each_tensor(m, collect, &nl);
    return nl.n;
}

typedef struct Search {
    const char *want;
    ModelTensor *t;
    bool found;
    char best[96];
    int best_d;
} Search;

static bool search(void *ctx, const char *name, GptTensorId id, int layer)
{
    Search *s = ctx;
    if (strcmp(name, s->want) == 0) {
        s->found = true;
        snprintf(s->t->name, sizeof s->t->name, "%s", name);
        s->t->id = id;
        s->t->layer = layer;
        return false;
    }
    int dd = str_edit_distance(name, s->want, 96);
    if (dd < s->best_d) {
        s->best_d = dd;
        snprintf(s->best, sizeof s->best, "%s", name);
    }
    return true;
}

int model_tensor_find(ModelTensor *t, const Gpt *m, const char *name, Status *st)
{
    memset(t, 0, sizeof *t);
    Search s = {.want = name ? name : "", .t = t, .best_d = 1 << 30};
    each_tensor(m, search, &s);
    if (!s.found) {
        /* A few names to copy: the embedding, layer 0's matrices. */
        char examples[400];
        snprintf(examples, sizeof examples,
                 "transformer.wte.weight, transformer.h.0.attn.c_attn.weight, "
                 "transformer.h.0.attn.c_proj.weight, transformer.h.0.mlp.c_fc.weight, "
                 "transformer.h.%d.mlp.c_proj.weight",
                 m->cfg.n_layer - 1);
        int n = model_tensor_names(m, NULL, 0);
        if (s.best_d <= 4)
            return status_fail(st, LS_ERR_ARG,
                               "no tensor '%s' in the model (did you mean '%s'?); it has %d tensors, "
                               "e.g. %s",
                               s.want, s.best, n, examples);
        return status_fail(st, LS_ERR_ARG, "no tensor '%s' in the model; it has %d tensors, e.g. %s",
                           s.want, n, examples);
    }
    GptTensorInfo ti = gpt_tensor_info(&m->cfg, t->id);
    t->rows = ti.rows;
    t->cols = ti.cols;
    t->conv1d = is_conv1d(t->id);
    size_t per = (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
    t->data = m->params.t[t->id] + (size_t)t->layer * per;
    return LS_OK;
}

int model_tensor_matrix(Mat *out, const ModelTensor *t, Status *st)
{
    int rows = t->cols ? t->rows : 1, cols = t->cols ? t->cols : t->rows;
    int rc;
    if (t->conv1d) {
        /* (in, out) → (out, in) */
        if ((rc = mat_init(out, cols, rows, st))) return rc;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) MAT_AT(out, j, i) = t->data[(size_t)i * cols + j];
        return LS_OK;
    }
    if ((rc = mat_init(out, rows, cols, st))) return rc;
    memcpy(out->data, t->data, (size_t)rows * (size_t)cols * sizeof(float));
    return LS_OK;
}
