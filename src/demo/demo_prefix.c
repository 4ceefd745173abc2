/* demo_prefix.c — prefix tuning's attention and cost (see demo_prefix.h). */
#include "demo_prefix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/checkpoint.h"
#include "../nn/dataset.h"

static void printable(char *out, const unsigned char *b, int n)
{
    for (int i = 0; i < n; i++) out[i] = b[i] >= 32 && b[i] < 127 ? (char)b[i] : ' ';
    out[n] = 0;
}

static int attn_setup(PrefixAttnDemo *d, int P, int T, int layer, int head, Status *st)
{
    return prefix_attn_set(d, P, T, layer, head, st);
}

int prefix_attn_init_model(PrefixAttnDemo *d, const Gpt *model, const unsigned char *bytes, size_t n, int P, int T,
                           int layer, int head, Status *st)
{
    memset(d, 0, sizeof *d);
    if (n < PREFIX_ATTN_MAX_P + PREFIX_ATTN_MAX_T)
        return status_fail(st, LS_ERR_RANGE, "the text needs at least %d bytes", PREFIX_ATTN_MAX_P + PREFIX_ATTN_MAX_T);
    int rc = gpt_init(&d->model, &model->cfg, st);
    if (rc) return rc;
    memcpy(d->model.param_block, model->param_block, model->num_params * sizeof(float));
    d->n_text = PREFIX_ATTN_MAX_P + PREFIX_ATTN_MAX_T;
    d->text = malloc(d->n_text);
    if (!d->text) {
        prefix_attn_free(d);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    memcpy(d->text, bytes, d->n_text);
    rc = attn_setup(d, P, T, layer, head, st);
    if (rc) prefix_attn_free(d);
    return rc;
}

int prefix_attn_init(PrefixAttnDemo *d, const char *model_dir, const char *text_path, int at, int P, int T,
                     int layer, int head, Status *st)
{
    Gpt m;
    int rc = gpt_load(&m, model_dir, st);
    if (rc) {
        memset(d, 0, sizeof *d);
        return rc;
    }
    TextData text = {0};
    rc = text_load(&text, text_path, st);
    /* The real tokens start at `at`; the prefix comes from the bytes before. */
    if (!rc && (at < PREFIX_ATTN_MAX_P || (size_t)at + PREFIX_ATTN_MAX_T > text.n))
        rc = status_fail(st, LS_ERR_RANGE, "%s: offset %d needs %d bytes before it and %d after", text_path, at,
                         PREFIX_ATTN_MAX_P, PREFIX_ATTN_MAX_T);
    if (!rc)
        rc = prefix_attn_init_model(d, &m, text.bytes + at - PREFIX_ATTN_MAX_P, text.n - (size_t)at + PREFIX_ATTN_MAX_P,
                                    P, T, layer, head, st);
    else memset(d, 0, sizeof *d);
    if (!rc) d->at = at;
    text_free(&text);
    gpt_free(&m);
    return rc;
}

void prefix_attn_free(PrefixAttnDemo *d)
{
    if (!d) return;
    prefix_free(&d->prefix);
    gpt_free(&d->model);
    free(d->text);
    free(d->att);
    free(d->allowed);
    free(d->query_prefix);
    memset(d, 0, sizeof *d);
}

int prefix_attn_set(PrefixAttnDemo *d, int P, int T, int layer, int head, Status *st)
{
    const GptConfig *cfg = &d->model.cfg;
    int NH = cfg->n_head;
    if (P < 0) P = 0;
    if (P > PREFIX_ATTN_MAX_P) P = PREFIX_ATTN_MAX_P;
    if (T < 1) T = 1;
    if (T > PREFIX_ATTN_MAX_T) T = PREFIX_ATTN_MAX_T;
    if (T > cfg->n_positions) T = cfg->n_positions;
    if (layer < 0) layer = 0;
    if (layer >= cfg->n_layer) layer = cfg->n_layer - 1;
    if (head < 0) head = 0;
    if (head > NH) head = NH;
    /* The prefix: the model's own keys and values for the P bytes just
     * before the T real ones (the prefix sits where that context was). */
    int rc = LS_OK;
    int pstart = PREFIX_ATTN_MAX_P - P;
    d->model.hooks = (GptHooks){0};
    if (!d->have_prefix || d->prefix.P != P) {
        prefix_free(&d->prefix);
        d->have_prefix = false;
        if (P > 0) {
            int tok[PREFIX_ATTN_MAX_P];
            for (int i = 0; i < P; i++) tok[i] = d->text[pstart + i];
            rc = prefix_init(&d->prefix, cfg, P, 0, st);
            if (!rc) rc = prefix_init_from_tokens(&d->prefix, &d->model, tok, 0, st);
            if (rc) {
                prefix_free(&d->prefix);
                return rc;
            }
            d->have_prefix = true;
        }
    }
    if (P > 0) prefix_attach(&d->prefix, &d->model);
    int tokens[PREFIX_ATTN_MAX_T];
    for (int t = 0; t < T; t++) tokens[t] = d->text[PREFIX_ATTN_MAX_P + t];
    rc = gpt_reserve(&d->model, 1, T, st);
    if (!rc) rc = gpt_forward(&d->model, tokens, NULL, 1, T, false, st);
    if (rc) return rc;
    int S = P + T;
    float *att = malloc((size_t)T * S * sizeof(float));
    bool *allowed = malloc((size_t)T * S * sizeof(bool));
    float *qp = malloc((size_t)T * sizeof(float));
    if (!att || !allowed || !qp) {
        free(att);
        free(allowed);
        free(qp);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    /* att of layer l: (B = 1, NH, T, S). */
    const float *a = d->model.acts.att + (size_t)layer * NH * T * S;
    for (int t = 0; t < T; t++)
        for (int j = 0; j < S; j++) {
            double v = 0;
            if (head < NH) v = a[((size_t)head * T + t) * S + j];
            else {
                for (int h = 0; h < NH; h++) v += a[((size_t)h * T + t) * S + j];
                v /= NH;
            }
            att[(size_t)t * S + j] = (float)v;
            allowed[(size_t)t * S + j] = j < P || j - P <= t;
        }
    d->row_sum_err = 0;
    d->masked_max = 0;
    d->att_max = 0;
    d->prefix_share = 0;
    for (int t = 0; t < T; t++) {
        double sum = 0, pre = 0;
        for (int j = 0; j < S; j++) {
            float v = att[(size_t)t * S + j];
            if (allowed[(size_t)t * S + j]) sum += v;
            else d->masked_max = fmax(d->masked_max, fabsf(v));
            if (j < P) pre += v;
            d->att_max = fmaxf(d->att_max, v);
        }
        d->row_sum_err = fmax(d->row_sum_err, fabs(sum - 1.0));
        qp[t] = (float)pre;
        d->prefix_share += pre / T;
    }
    free(d->att);
    free(d->allowed);
    free(d->query_prefix);
    d->att = att;
    d->allowed = allowed;
    d->query_prefix = qp;
    d->P = P;
    d->T = T;
    d->layer = layer;
    d->head = head;
    printable(d->prefix_bytes, d->text + pstart, P);
    printable(d->query_bytes, d->text + PREFIX_ATTN_MAX_P, T);
    return LS_OK;
}

PrefixCost prefix_cost(const GptConfig *cfg, int P)
{
    PrefixCost c = {0};
    long long L = cfg->n_layer, d = cfg->n_embd;
    c.L = cfg->n_layer;
    c.d = cfg->n_embd;
    c.P = P;
    c.prefix = L * 2 * P * d;
    /* E (P, d), W1 (d, H), b1 (H), W2 (H, 2Ld), b2 (2Ld) with H = d. */
    long long H = d;
    c.prefix_mlp = P * d + d * H + H + H * 2 * L * d + 2 * L * d;
    c.model = (long long)gpt_num_params(cfg);
    static const int ranks[] = {1, 2, 4, 8, 16, 64};
    c.n_lora = (int)(sizeof ranks / sizeof ranks[0]);
    for (int i = 0; i < c.n_lora; i++) {
        c.lora_rank[i] = ranks[i];
        c.lora[i] = L * 2 * ranks[i] * (d + d);
    }
    c.full = c.model;
    return c;
}

int prefix_cost_demo_init(PrefixCostDemo *d, const char *model_dir, int P, Status *st)
{
    Gpt m;
    memset(d, 0, sizeof *d);
    int rc = gpt_load(&m, model_dir, st);
    if (rc) return rc;
    d->cfg = m.cfg;
    d->P = P;
    gpt_free(&m);
    return LS_OK;
}
