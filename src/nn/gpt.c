/* gpt.c — parameters, activations, forward and backward of the tiny GPT-2
 * (see gpt.h for the architecture and the memory layout). */
#include "gpt.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../core/linalg.h"
#include "layers.h"
#include "layers_par.h"
#include "subnormal.h"

_Static_assert(sizeof(GptParams) == GPT_NUM_TENSORS * sizeof(float *),
               "GptParams: one named pointer per tensor family, in enum order");

// ----------------------------------------------------------------------------
// Configuration

GptConfig gpt_config_make(int n_layer, int n_head, int n_embd, int n_positions)
{
    return (GptConfig){.vocab_size = 256,
                       .n_positions = n_positions,
                       .n_embd = n_embd,
                       .n_layer = n_layer,
                       .n_head = n_head,
                       .layer_norm_epsilon = 1e-5f};
}

int gpt_config_check(const GptConfig *c, Status *st)
{
    if (c->vocab_size != 256)
        return status_fail(st, LS_ERR_RANGE, "vocab_size is %d; lorascope's models are byte-level (256)",
                           c->vocab_size);
    if (c->n_layer < 1 || c->n_layer > GPT_MAX_LAYERS)
        return status_fail(st, LS_ERR_RANGE, "n_layer is %d; expected 1..%d", c->n_layer, GPT_MAX_LAYERS);
    if (c->n_head < 1 || c->n_head > GPT_MAX_HEADS)
        return status_fail(st, LS_ERR_RANGE, "n_head is %d; expected 1..%d", c->n_head, GPT_MAX_HEADS);
    if (c->n_embd < 1 || c->n_embd > GPT_MAX_EMBD)
        return status_fail(st, LS_ERR_RANGE, "n_embd is %d; expected 1..%d", c->n_embd, GPT_MAX_EMBD);
    if (c->n_embd % c->n_head != 0)
        return status_fail(st, LS_ERR_RANGE, "n_embd (%d) is not a multiple of n_head (%d)", c->n_embd,
                           c->n_head);
    if (c->n_positions < 1 || c->n_positions > GPT_MAX_POSITIONS)
        return status_fail(st, LS_ERR_RANGE, "n_positions is %d; expected 1..%d", c->n_positions,
                           GPT_MAX_POSITIONS);
    if (!(c->layer_norm_epsilon > 0.0f && c->layer_norm_epsilon < 1.0f))
        return status_fail(st, LS_ERR_RANGE, "layer_norm_epsilon is %g; expected in (0, 1)",
                           (double)c->layer_norm_epsilon);
    if (gpt_num_params(c) > (size_t)GPT_MAX_PARAMS)
        return status_fail(st, LS_ERR_RANGE, "model has %zu parameters; the limit is %d",
                           gpt_num_params(c), GPT_MAX_PARAMS);
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Parameter families

GptTensorInfo gpt_tensor_info(const GptConfig *c, GptTensorId id)
{
    int V = c->vocab_size, T = c->n_positions, C = c->n_embd, L = c->n_layer;
    switch (id) {
    case GPT_WTE: return (GptTensorInfo){"transformer.wte.weight", 1, V, C, true};
    case GPT_WPE: return (GptTensorInfo){"transformer.wpe.weight", 1, T, C, true};
    case GPT_LN1W: return (GptTensorInfo){"transformer.h.%d.ln_1.weight", L, C, 0, false};
    case GPT_LN1B: return (GptTensorInfo){"transformer.h.%d.ln_1.bias", L, C, 0, false};
    case GPT_QKVW: return (GptTensorInfo){"transformer.h.%d.attn.c_attn.weight", L, C, 3 * C, true};
    case GPT_QKVB: return (GptTensorInfo){"transformer.h.%d.attn.c_attn.bias", L, 3 * C, 0, false};
    case GPT_ATTPROJW: return (GptTensorInfo){"transformer.h.%d.attn.c_proj.weight", L, C, C, true};
    case GPT_ATTPROJB: return (GptTensorInfo){"transformer.h.%d.attn.c_proj.bias", L, C, 0, false};
    case GPT_LN2W: return (GptTensorInfo){"transformer.h.%d.ln_2.weight", L, C, 0, false};
    case GPT_LN2B: return (GptTensorInfo){"transformer.h.%d.ln_2.bias", L, C, 0, false};
    case GPT_FCW: return (GptTensorInfo){"transformer.h.%d.mlp.c_fc.weight", L, C, 4 * C, true};
    case GPT_FCB: return (GptTensorInfo){"transformer.h.%d.mlp.c_fc.bias", L, 4 * C, 0, false};
    case GPT_FCPROJW: return (GptTensorInfo){"transformer.h.%d.mlp.c_proj.weight", L, 4 * C, C, true};
    case GPT_FCPROJB: return (GptTensorInfo){"transformer.h.%d.mlp.c_proj.bias", L, C, 0, false};
    case GPT_LNFW: return (GptTensorInfo){"transformer.ln_f.weight", 1, C, 0, false};
    case GPT_LNFB: return (GptTensorInfo){"transformer.ln_f.bias", 1, C, 0, false};
    default: return (GptTensorInfo){"?", 0, 0, 0, false};
    }
}

size_t gpt_tensor_numel(const GptConfig *c, GptTensorId id)
{
    GptTensorInfo ti = gpt_tensor_info(c, id);
    return (size_t)ti.layers * (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
}

size_t gpt_num_params(const GptConfig *c)
{
    size_t n = 0;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) n += gpt_tensor_numel(c, (GptTensorId)i);
    return n;
}

/* Floats per layer of a family (the whole family when not per layer). */
static size_t per_layer(const GptConfig *c, GptTensorId id)
{
    GptTensorInfo ti = gpt_tensor_info(c, id);
    return (size_t)ti.rows * (size_t)(ti.cols ? ti.cols : 1);
}

int gpt_init(Gpt *m, const GptConfig *cfg, Status *st)
{
    memset(m, 0, sizeof *m);
    if (gpt_config_check(cfg, st)) return st ? st->code : LS_ERR_RANGE;
    m->cfg = *cfg;
    m->num_params = gpt_num_params(cfg);
    m->num_stored = m->num_params;
    m->param_block = calloc(m->num_params, sizeof(float));
    if (!m->param_block)
        return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu parameters", m->num_params);
    float *p = m->param_block;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        m->params.t[i] = p;
        p += gpt_tensor_numel(cfg, (GptTensorId)i);
        m->trainable[i] = true;
    }
    return LS_OK;
}

void gpt_free(Gpt *m)
{
    if (!m) return;
    free(m->param_block);
    free(m->grad_block);
    free(m->act_block);
    free(m->acts.tokens);
    pool_delete(m->pool);
    free(m->par_scratch.f);
    memset(m, 0, sizeof *m);
}

void gpt_init_weights(Gpt *m, unsigned long long seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    float std = 0.02f, proj_std = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        GptTensorInfo ti = gpt_tensor_info(&m->cfg, (GptTensorId)i);
        float *t = m->params.t[i];
        size_t n = gpt_tensor_numel(&m->cfg, (GptTensorId)i);
        if (ti.cols) {
            float s = (i == GPT_ATTPROJW || i == GPT_FCPROJW) ? proj_std : std;
            for (size_t j = 0; j < n; j++) t[j] = s * rng_normal(&rng);
        } else {
            float v = (i == GPT_LN1W || i == GPT_LN2W || i == GPT_LNFW) ? 1.0f : 0.0f;
            for (size_t j = 0; j < n; j++) t[j] = v;
        }
    }
}

int gpt_release_params(Gpt *m, const GptTensorId *ids, int n, Status *st)
{
    bool drop[GPT_NUM_TENSORS] = {false};
    for (int i = 0; i < n; i++) {
        GptTensorId id = ids[i];
        if (id != GPT_QKVW && id != GPT_ATTPROJW && id != GPT_FCW && id != GPT_FCPROJW)
            return status_fail(st, LS_ERR_ARG, "only the linear weights of the blocks can be released");
        if (m->grads.t[id])
            return status_fail(st, LS_ERR_ARG, "cannot release a family that has gradients");
        drop[id] = true;
    }
    size_t keep = 0;
    for (int i = 0; i < GPT_NUM_TENSORS; i++)
        if (!drop[i] && m->params.t[i]) keep += gpt_tensor_numel(&m->cfg, (GptTensorId)i);
    float *block = malloc((keep ? keep : 1) * sizeof(float));
    if (!block) return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu parameters", keep);
    float *p = block;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        if (drop[i] || !m->params.t[i]) {
            if (drop[i]) m->trainable[i] = false;
            m->params.t[i] = NULL;
            continue;
        }
        size_t k = gpt_tensor_numel(&m->cfg, (GptTensorId)i);
        memcpy(p, m->params.t[i], k * sizeof(float));
        m->params.t[i] = p;
        p += k;
    }
    free(m->param_block);
    m->param_block = block;
    m->num_stored = keep;
    return LS_OK;
}

void gpt_set_trainable(Gpt *m, GptTensorId id, bool trainable)
{
    if (id >= 0 && id < GPT_NUM_TENSORS) m->trainable[id] = trainable;
}

int gpt_alloc_grads(Gpt *m, Status *st)
{
    free(m->grad_block);
    m->grad_block = NULL;
    memset(&m->grads, 0, sizeof m->grads);
    size_t n = 0;
    for (int i = 0; i < GPT_NUM_TENSORS; i++)
        if (m->trainable[i]) n += gpt_tensor_numel(&m->cfg, (GptTensorId)i);
    m->num_grads = n;
    if (n == 0) return LS_OK;
    m->grad_block = calloc(n, sizeof(float));
    if (!m->grad_block) return status_fail(st, LS_ERR_NOMEM, "out of memory for %zu gradients", n);
    float *g = m->grad_block;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        if (!m->trainable[i]) continue;
        m->grads.t[i] = g;
        g += gpt_tensor_numel(&m->cfg, (GptTensorId)i);
    }
    return LS_OK;
}

void gpt_zero_grad(Gpt *m)
{
    if (m->grad_block) memset(m->grad_block, 0, m->num_grads * sizeof(float));
}

// ----------------------------------------------------------------------------
// Activations

int gpt_reserve(Gpt *m, int B, int T, Status *st)
{
    const GptConfig *c = &m->cfg;
    if (B < 1 || T < 1 || T > c->n_positions)
        return status_fail(st, LS_ERR_ARG, "cannot reserve %d x %d tokens (n_positions %d)", B, T,
                           c->n_positions);
    int P = m->hooks.prefix_len, Q = m->hooks.input_rows;
    if (m->act_block && B <= m->act_B && T <= m->act_T && P == m->act_P && Q == m->act_Q)
        return LS_OK;
    if (P < 0 || P > GPT_MAX_POSITIONS)
        return status_fail(st, LS_ERR_ARG, "prefix length %d out of range", P);
    if (Q < 0 || Q > GPT_MAX_POSITIONS)
        return status_fail(st, LS_ERR_ARG, "%d input rows out of range", Q);
    size_t L = (size_t)c->n_layer, C = (size_t)c->n_embd, NH = (size_t)c->n_head;
    /* BT real tokens; the blocks run on BX = B (Q + T) rows. */
    size_t Tx = (size_t)Q + (size_t)T;
    size_t V = (size_t)c->vocab_size, BT = (size_t)B * (size_t)T, BX = (size_t)B * Tx;
    size_t S = (size_t)P + Tx;
    if (BX > ((size_t)1 << 24))
        return status_fail(st, LS_ERR_RANGE, "%zu tokens per forward is too many", BX);
    /* Sizes in the order of GptActs. */
    size_t sizes[] = {
        BX * C,                        /* encoded */
        L * BX * C, L * BX, L * BX,    /* ln1, mean, rstd */
        L * BX * 3 * C,                /* qkv */
        L * (size_t)B * NH * Tx * S,   /* att */
        L * BX * C, L * BX * C,        /* atty, res2 */
        L * BX * C, L * BX, L * BX,    /* ln2, mean, rstd */
        L * BX * 4 * C, L * BX * 4 * C,/* fch, fch_gelu */
        L * BX * C,                    /* res3 */
        BT * C, BT, BT,                /* lnf, mean, rstd */
        BT * V, BT,                    /* logits, losses */
        BX * C, BX * C, BX * 3 * C, BX * 4 * C, /* dres, dbuf, dqkv, dfch */
        Tx * S,                        /* datt */
    };
    float **ptrs[] = {
        &m->acts.encoded, &m->acts.ln1, &m->acts.ln1_mean, &m->acts.ln1_rstd, &m->acts.qkv,
        &m->acts.att, &m->acts.atty, &m->acts.res2, &m->acts.ln2, &m->acts.ln2_mean,
        &m->acts.ln2_rstd, &m->acts.fch, &m->acts.fch_gelu, &m->acts.res3, &m->acts.lnf,
        &m->acts.lnf_mean, &m->acts.lnf_rstd, &m->acts.logits, &m->acts.losses, &m->acts.dres,
        &m->acts.dbuf, &m->acts.dqkv, &m->acts.dfch, &m->acts.datt,
    };
    _Static_assert(sizeof sizes / sizeof sizes[0] == sizeof ptrs / sizeof ptrs[0], "acts table");
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += sizes[i];
    free(m->act_block);
    free(m->acts.tokens);
    memset(&m->acts, 0, sizeof m->acts);
    m->act_B = m->act_T = 0;
    m->num_acts = 0;
    m->act_block = calloc(total, sizeof(float));
    m->acts.tokens = calloc(BT, sizeof(int));
    if (!m->act_block || !m->acts.tokens) {
        free(m->act_block);
        free(m->acts.tokens);
        m->act_block = NULL;
        m->acts.tokens = NULL;
        return status_fail(st, LS_ERR_NOMEM, "out of memory for activations (%zu MB)",
                           total * sizeof(float) >> 20);
    }
    float *p = m->act_block;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        *ptrs[i] = p;
        p += sizes[i];
    }
    m->act_B = B;
    m->act_T = T;
    m->act_P = P;
    m->act_Q = Q;
    m->num_acts = total;
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Forward

GptBlockWeights gpt_block_weights(const Gpt *m, int l)
{
    const GptConfig *c = &m->cfg;
    const GptParams *p = &m->params;
    size_t C = (size_t)c->n_embd;
    /* A released family (gpt_release_params) gives NULL. */
#define AT(ptr, off) ((ptr) ? (ptr) + (off) : NULL)
    return (GptBlockWeights){
        .ln1w = p->ln1w + l * C,
        .ln1b = p->ln1b + l * C,
        .qkvw = AT(p->qkvw, l * C * 3 * C),
        .qkvb = p->qkvb + l * 3 * C,
        .attprojw = AT(p->attprojw, l * C * C),
        .attprojb = p->attprojb + l * C,
        .ln2w = p->ln2w + l * C,
        .ln2b = p->ln2b + l * C,
        .fcw = AT(p->fcw, l * C * 4 * C),
        .fcb = p->fcb + l * 4 * C,
        .fcprojw = AT(p->fcprojw, l * 4 * C * C),
        .fcprojb = p->fcprojb + l * C,
    };
#undef AT
}

static GptBlockWeights block_weights(Gpt *m, int l)
{
    GptBlockWeights w = gpt_block_weights(m, l);
    if (m->hooks.block_weights) m->hooks.block_weights(m->hooks.ctx, l, &w);
    return w;
}

/* Released weights must have been supplied by the block_weights hook. */
static bool block_complete(const GptBlockWeights *w)
{
    return w->qkvw && w->attprojw && w->fcw && w->fcprojw;
}

static void hook_linear(Gpt *m, int l, GptLinearId id, float *out, const float *inp, int N,
                        int IC, int OC)
{
    if (m->hooks.linear_forward) m->hooks.linear_forward(m->hooks.ctx, l, id, out, inp, N, IC, OC);
}

static void prefix_of(Gpt *m, int l, const float **k, const float **v, float **dk, float **dv)
{
    *k = *v = NULL;
    *dk = *dv = NULL;
    if (m->hooks.prefix_len > 0 && m->hooks.prefix_kv) m->hooks.prefix_kv(m->hooks.ctx, l, k, v, dk, dv);
}

/* Whether the backward reads the input of linear `id` of each layer: for
 * its weight gradient (the family is trainable) or for an adapter. */
static bool keeps_input(const Gpt *m, GptLinearId id)
{
    static const GptTensorId weight_of[] = {
        [GPT_LINEAR_QKV] = GPT_QKVW, [GPT_LINEAR_ATTPROJ] = GPT_ATTPROJW,
        [GPT_LINEAR_FC] = GPT_FCW, [GPT_LINEAR_FCPROJ] = GPT_FCPROJW};
    if (m->grads.t[weight_of[id]]) return true;
    if (!m->hooks.linear_backward) return false;
    return m->hooks.adapted_linears == 0 || (m->hooks.adapted_linears & (1u << id));
}

static void input_rows_of(Gpt *m, const float **rows, float **drows)
{
    *rows = NULL;
    *drows = NULL;
    if (m->hooks.input_rows > 0 && m->hooks.input_embd) m->hooks.input_embd(m->hooks.ctx, rows, drows);
}

/* Block 0's input (B, Q + T, C): each sequence's Q input rows, then its
 * tokens' embeddings at positions 0..T-1. */
static void embed_forward(Gpt *m, const int *inputs, int B, int T)
{
    int C = m->cfg.n_embd, Q = m->hooks.input_rows;
    float *out = m->acts.encoded;
    if (Q == 0) {
        encoder_forward(out, inputs, m->params.wte, m->params.wpe, B, T, C);
        return;
    }
    const float *rows;
    float *drows;
    input_rows_of(m, &rows, &drows);
    size_t seq = (size_t)(Q + T) * C;
    for (int b = 0; b < B; b++) {
        memcpy(out + b * seq, rows, (size_t)Q * C * sizeof(float));
        encoder_forward(out + b * seq + (size_t)Q * C, inputs + (size_t)b * T, m->params.wte,
                        m->params.wpe, 1, T, C);
    }
}

/* The final LayerNorm of the real tokens' rows of x (B, Q + T, C) into
 * lnf (B, T, C); forward, or backward into dres (B, Q + T, C). */
static void final_ln(Gpt *m, Pool *pool, bool backward, const float *x, int B, int T)
{
    const GptConfig *c = &m->cfg;
    GptActs *a = &m->acts;
    int C = c->n_embd, Q = m->hooks.input_rows;
    /* Without input rows, one call over every row (as it always was). */
    int n = Q ? B : 1, rows = Q ? T : B * T;
    size_t seq = (size_t)(Q + T) * C;
    for (int b = 0; b < n; b++) {
        size_t xo = b * seq + (size_t)Q * C, lo = (size_t)b * rows;
        if (backward)
            par_layernorm_backward(pool, m->par_scratch, a->dres + xo, m->grads.lnfw, m->grads.lnfb,
                                   a->dbuf + lo * C, x + xo, m->params.lnfw, a->lnf_mean + lo,
                                   a->lnf_rstd + lo, rows, C);
        else
            par_layernorm_forward(pool, a->lnf + lo * C, a->lnf_mean + lo, a->lnf_rstd + lo, x + xo,
                                  m->params.lnfw, m->params.lnfb, c->layer_norm_epsilon, rows, C);
    }
}

static int forward_pass(Gpt *m, Pool *pool, const int *inputs, const int *targets, int B, int T,
                        bool train, Status *st)
{
    const GptConfig *c = &m->cfg;
    int C = c->n_embd, L = c->n_layer, NH = c->n_head, V = c->vocab_size;
    int P = m->hooks.prefix_len, Q = m->hooks.input_rows;
    if (!m->act_block || B < 1 || T < 1 || B > m->act_B || T > m->act_T)
        return status_fail(st, LS_ERR_ARG, "forward of %d x %d tokens exceeds the reserved %d x %d", B, T,
                           m->act_B, m->act_T);
    if (P != m->act_P)
        return status_fail(st, LS_ERR_ARG, "prefix length changed to %d after gpt_reserve (made for %d)", P,
                           m->act_P);
    if (P > 0 && !m->hooks.prefix_kv)
        return status_fail(st, LS_ERR_ARG, "prefix length %d but no prefix_kv hook", P);
    if (Q != m->act_Q)
        return status_fail(st, LS_ERR_ARG, "input rows changed to %d after gpt_reserve (made for %d)", Q,
                           m->act_Q);
    if (Q > 0 && !m->hooks.input_embd)
        return status_fail(st, LS_ERR_ARG, "%d input rows but no input_embd hook", Q);
    if (train && !targets) return status_fail(st, LS_ERR_ARG, "a training forward needs targets");
    /* BT real tokens; the blocks run on BX = B Tx rows (Q input rows first). */
    int Tx = Q + T;
    size_t BT = (size_t)B * T, BX = (size_t)B * Tx, S = (size_t)P + Tx;
    for (size_t i = 0; i < BT; i++) {
        if (inputs[i] < 0 || inputs[i] >= V || (targets && (targets[i] < 0 || targets[i] >= V)))
            return status_fail(st, LS_ERR_ARG, "token id out of range at position %zu", i);
    }
    GptActs *a = &m->acts;
    memcpy(a->tokens, inputs, BT * sizeof(int));
    m->last_B = B;
    m->last_T = T;
    m->last_train = false;

    /* The inputs of c_proj, c_fc and mlp.c_proj are kept per layer only for
     * their weight gradients (or an adapter's); otherwise every layer writes
     * layer 0's slot, which stays in cache (ln1 stays: LayerNorm and
     * attention need their own inputs, not these). */
    bool keep_atty = keeps_input(m, GPT_LINEAR_ATTPROJ);
    bool keep_ln2 = keeps_input(m, GPT_LINEAR_FC);
    bool keep_gelu = keeps_input(m, GPT_LINEAR_FCPROJ);
    embed_forward(m, inputs, B, T);
    const float *x = a->encoded; /* (B,Tx,C) residual stream */
    for (int l = 0; l < L; l++) {
        GptBlockWeights w = block_weights(m, l);
        if (!block_complete(&w))
            return status_fail(st, LS_ERR_ARG, "block %d has released weights and no hook supplies them", l);
        float *ln1 = a->ln1 + l * BX * C;            /* (B,Tx,C) */
        float *ln1_mean = a->ln1_mean + l * BX;      /* (B,Tx) */
        float *ln1_rstd = a->ln1_rstd + l * BX;      /* (B,Tx) */
        float *qkv = a->qkv + l * BX * 3 * C;        /* (B,Tx,3C) */
        float *att = a->att + l * (size_t)B * NH * Tx * S; /* (B,NH,Tx,P+Tx) */
        float *atty = keep_atty ? a->atty + l * BX * C : a->atty; /* (B,Tx,C) */
        float *res2 = a->res2 + l * BX * C;          /* (B,Tx,C) */
        float *ln2 = keep_ln2 ? a->ln2 + l * BX * C : a->ln2; /* (B,Tx,C) */
        float *ln2_mean = a->ln2_mean + l * BX;      /* (B,Tx) */
        float *ln2_rstd = a->ln2_rstd + l * BX;      /* (B,Tx) */
        float *fch = a->fch + l * BX * 4 * C;        /* (B,Tx,4C) */
        float *fch_gelu = keep_gelu ? a->fch_gelu + l * BX * 4 * C : a->fch_gelu; /* (B,Tx,4C) */
        float *res3 = a->res3 + l * BX * C;          /* (B,Tx,C) */
        const float *pk, *pv;
        float *dpk, *dpv;
        prefix_of(m, l, &pk, &pv, &dpk, &dpv);

        par_layernorm_forward(pool, ln1, ln1_mean, ln1_rstd, x, w.ln1w, w.ln1b, c->layer_norm_epsilon, (int)BX, C);
        par_matmul_forward(pool, qkv, ln1, w.qkvw, w.qkvb, (int)BX, C, 3 * C);
        hook_linear(m, l, GPT_LINEAR_QKV, qkv, ln1, (int)BX, C, 3 * C);
        par_attention_forward(pool, atty, att, qkv, pk, pv, B, Tx, C, NH, P);
        par_matmul_forward_residual(pool, res2, x, atty, w.attprojw, w.attprojb, (int)BX, C, C);
        hook_linear(m, l, GPT_LINEAR_ATTPROJ, res2, atty, (int)BX, C, C);
        par_layernorm_forward(pool, ln2, ln2_mean, ln2_rstd, res2, w.ln2w, w.ln2b, c->layer_norm_epsilon, (int)BX, C);
        par_matmul_forward(pool, fch, ln2, w.fcw, w.fcb, (int)BX, C, 4 * C);
        hook_linear(m, l, GPT_LINEAR_FC, fch, ln2, (int)BX, C, 4 * C);
        par_gelu_forward(pool, fch_gelu, fch, BX * 4 * C);
        par_matmul_forward_residual(pool, res3, res2, fch_gelu, w.fcprojw, w.fcprojb, (int)BX, 4 * C, C);
        hook_linear(m, l, GPT_LINEAR_FCPROJ, res3, fch_gelu, (int)BX, 4 * C, C);
        x = res3;
    }
    final_ln(m, pool, false, x, B, T);
    /* Tied head: logits (BT,V) = lnf (BT,C) @ wte^T (C,V). */
    par_sgemm(pool, false, true, (int)BT, V, C, 1.0f, a->lnf, C, m->params.wte, C, 0.0f, a->logits, V);
    if (targets) {
        par_crossentropy_forward(pool, a->losses, a->logits, targets, train ? 1.0f / (float)BT : 0.0f, (int)BT, V);
        double sum = 0.0;
        for (size_t i = 0; i < BT; i++) sum += a->losses[i];
        m->mean_loss = (float)(sum / (double)BT);
        m->last_train = train;
    }
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Backward

/* Gradient of layer l of a family, or NULL when the family is frozen. */
static float *grad_at(Gpt *m, GptTensorId id, int l)
{
    return m->grads.t[id] ? m->grads.t[id] + (size_t)l * per_layer(&m->cfg, id) : NULL;
}

static void hook_linear_backward(Gpt *m, int l, GptLinearId id, float *dinp, const float *dout,
                                 const float *inp, int N, int IC, int OC)
{
    if (m->hooks.linear_backward)
        m->hooks.linear_backward(m->hooks.ctx, l, id, dinp, dout, inp, N, IC, OC);
}

static int backward_pass(Gpt *m, Pool *pool, Status *st)
{
    if (!m->last_train)
        return status_fail(st, LS_ERR_ARG, "backward needs a training forward (with targets) first");
    m->last_train = false; /* the logits now hold gradients only once */
    const GptConfig *c = &m->cfg;
    int B = m->last_B, T = m->last_T, C = c->n_embd, L = c->n_layer, NH = c->n_head;
    int V = c->vocab_size, P = m->hooks.prefix_len, Q = m->hooks.input_rows, Tx = Q + T;
    size_t BT = (size_t)B * T, BX = (size_t)B * Tx, S = (size_t)P + Tx;
    GptActs *a = &m->acts;
    GptParams *g = &m->grads;
    const float *rows;
    float *drows;
    input_rows_of(m, &rows, &drows);
    /* Block 0's input gradient feeds only the embeddings and input rows. */
    bool need_input_grad = g->wte || g->wpe || drows;

    /* Head and final LayerNorm. logits now hold dloss/dlogits (BT,V). */
    const float *xL = L > 0 ? a->res3 + (size_t)(L - 1) * BX * C : a->encoded;
    par_sgemm(pool, false, false, (int)BT, C, V, 1.0f, a->logits, V, m->params.wte, C, 0.0f, a->dbuf, C);
    if (g->wte)
        par_sgemm(pool, true, false, V, C, (int)BT, 1.0f, a->logits, V, a->lnf, C, 1.0f, g->wte, C);
    memset(a->dres, 0, BX * C * sizeof(float));
    final_ln(m, pool, true, xL, B, T);

    /* Blocks, last to first; a->dres is the gradient of the residual stream
     * and accumulates each block's contribution in place. */
    for (int l = L - 1; l >= 0; l--) {
        GptBlockWeights w = block_weights(m, l);
        if (!block_complete(&w))
            return status_fail(st, LS_ERR_ARG, "block %d has released weights and no hook supplies them", l);
        const float *x = l == 0 ? a->encoded : a->res3 + (size_t)(l - 1) * BX * C;
        const float *ln1 = a->ln1 + l * BX * C;
        const float *ln1_mean = a->ln1_mean + l * BX;
        const float *ln1_rstd = a->ln1_rstd + l * BX;
        const float *qkv = a->qkv + l * BX * 3 * C;
        const float *att = a->att + l * (size_t)B * NH * Tx * S;
        const float *atty = a->atty + l * BX * C;
        const float *res2 = a->res2 + l * BX * C;
        const float *ln2 = a->ln2 + l * BX * C;
        const float *ln2_mean = a->ln2_mean + l * BX;
        const float *ln2_rstd = a->ln2_rstd + l * BX;
        const float *fch = a->fch + l * BX * 4 * C;
        const float *fch_gelu = a->fch_gelu + l * BX * 4 * C;
        const float *pk, *pv;
        float *dpk, *dpv;
        prefix_of(m, l, &pk, &pv, &dpk, &dpv);

        /* MLP: x3 = x2 + fcproj(gelu(fc(ln2(x2)))) */
        par_matmul_backward(pool, a->dfch, grad_at(m, GPT_FCPROJW, l), grad_at(m, GPT_FCPROJB, l), a->dres,
                        fch_gelu, w.fcprojw, (int)BX, 4 * C, C);
        hook_linear_backward(m, l, GPT_LINEAR_FCPROJ, a->dfch, a->dres, fch_gelu, (int)BX, 4 * C, C);
        /* GELU backward, with c_fc's bias gradient taken in the same pass. */
        float *dfcb = grad_at(m, GPT_FCB, l);
        par_gelu_backward_bias(pool, m->par_scratch, a->dfch, dfcb, fch, a->dfch, (int)BX, 4 * C);
        par_matmul_backward(pool, a->dbuf, grad_at(m, GPT_FCW, l), NULL, a->dfch, ln2, w.fcw, (int)BX, C, 4 * C);
        hook_linear_backward(m, l, GPT_LINEAR_FC, a->dbuf, a->dfch, ln2, (int)BX, C, 4 * C);
        par_layernorm_backward(pool, m->par_scratch, a->dres, grad_at(m, GPT_LN2W, l), grad_at(m, GPT_LN2B, l), a->dbuf, res2,
                           w.ln2w, ln2_mean, ln2_rstd, (int)BX, C);

        /* Attention: x2 = x + attproj(attention(qkv(ln1(x)))) */
        par_matmul_backward(pool, a->dbuf, grad_at(m, GPT_ATTPROJW, l), grad_at(m, GPT_ATTPROJB, l), a->dres,
                        atty, w.attprojw, (int)BX, C, C);
        hook_linear_backward(m, l, GPT_LINEAR_ATTPROJ, a->dbuf, a->dres, atty, (int)BX, C, C);
        par_attention_backward(pool, a->datt, m->par_scratch, a->dqkv, dpk, dpv, a->dbuf, qkv, att, pk, pv, B, Tx, C, NH, P);
        float *dln1w = grad_at(m, GPT_LN1W, l), *dln1b = grad_at(m, GPT_LN1B, l);
        bool need_dln1 = l > 0 || need_input_grad || dln1w || dln1b;
        par_matmul_backward(pool, need_dln1 ? a->dbuf : NULL, grad_at(m, GPT_QKVW, l), grad_at(m, GPT_QKVB, l),
                        a->dqkv, ln1, w.qkvw, (int)BX, C, 3 * C);
        hook_linear_backward(m, l, GPT_LINEAR_QKV, need_dln1 ? a->dbuf : NULL, a->dqkv, ln1, (int)BX, C,
                             3 * C);
        if (need_dln1)
            par_layernorm_backward(pool, m->par_scratch, l > 0 || need_input_grad ? a->dres : NULL, dln1w, dln1b, a->dbuf, x,
                               w.ln1w, ln1_mean, ln1_rstd, (int)BX, C);
    }
    /* Block 0's input gradient (B, Tx, C): each sequence's first Q rows
     * are the input rows', summed over the batch; the rest the tokens'. */
    size_t seq = (size_t)Tx * C;
    for (int b = 0; drows && b < B; b++)
        for (size_t i = 0; i < (size_t)Q * C; i++) drows[i] += a->dres[b * seq + i];
    if (g->wte || g->wpe) {
        if (Q == 0)
            encoder_backward(g->wte, g->wpe, a->dres, a->tokens, B, T, C);
        else
            for (int b = 0; b < B; b++)
                encoder_backward(g->wte, g->wpe, a->dres + b * seq + (size_t)Q * C,
                                 a->tokens + (size_t)b * T, 1, T, C);
    }
    return LS_OK;
}

// ----------------------------------------------------------------------------
// Entry points
//
// Inside a pass subnormals flush to zero (subnormal.h), and the thread count
// the caller gave OpenBLAS (linalg_set_threads) becomes the engine's: its
// own pool splits the kernels, and OpenBLAS runs single-threaded on each of
// them, so the threads never outnumber the caller's choice and every one of
// them flushes. Both settings are restored on the way out.

typedef struct PassScope {
    SubnormalMode fp;
    int blas_threads;
    Pool *pool; /* NULL: serial */
} PassScope;

/* Below this many tokens (sampling, one short sequence) waking the helpers
 * costs more than they save: the pass runs on the caller alone. */
enum { PAR_MIN_TOKENS = 16 };

/* The pool for n threads with its scratch; NULL (serial) if n < 2 or if it
 * cannot be had (the results are the same, only slower). */
static Pool *pool_for(Gpt *m, int n)
{
    if (n < 2) return NULL;
    size_t per = par_scratch_floats(m->cfg.n_embd, m->act_T + m->act_Q, m->act_P);
    if (m->pool && pool_threads(m->pool) == n && m->par_scratch.per == per) return m->pool;
    pool_delete(m->pool);
    free(m->par_scratch.f);
    m->pool = NULL;
    m->par_scratch = (ParScratch){0};
    float *f = malloc((size_t)(n - 1) * per * sizeof(float));
    if (!f || pool_new(&m->pool, n, NULL)) {
        free(f);
        return NULL;
    }
    m->par_scratch = (ParScratch){f, per};
    return m->pool;
}

static PassScope pass_begin(Gpt *m, long tokens)
{
    PassScope s = {.fp = subnormal_flush_begin(), .blas_threads = linalg_get_threads()};
    s.pool = tokens >= PAR_MIN_TOKENS ? pool_for(m, s.blas_threads) : NULL;
    if (s.blas_threads > 1) linalg_set_threads(1);
    return s;
}

static void pass_end(PassScope s)
{
    if (s.blas_threads > 1) linalg_set_threads(s.blas_threads);
    subnormal_flush_end(s.fp);
}

int gpt_forward(Gpt *m, const int *inputs, const int *targets, int B, int T, bool train,
                Status *st)
{
    PassScope s = pass_begin(m, (long)B * T);
    int rc = forward_pass(m, s.pool, inputs, targets, B, T, train, st);
    pass_end(s);
    return rc;
}

int gpt_backward(Gpt *m, Status *st)
{
    PassScope s = pass_begin(m, (long)m->last_B * m->last_T);
    int rc = backward_pass(m, s.pool, st);
    pass_end(s);
    return rc;
}
