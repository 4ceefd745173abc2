/* demo_prefix.h — lesson 6's demos: where prefix tuning's virtual tokens
 * sit in attention, and what they cost.
 *
 *  prefix-attention  one real forward pass of the base model over T bytes of
 *                    a text, with P prefix keys and values in every layer
 *                    (the keys and values the model itself computes for the
 *                    P bytes before them, which is how the lab's prefix
 *                    starts). The attention probabilities of one head (or
 *                    the mean over heads) form a T × (P + T) matrix: every
 *                    query sees all P prefix columns, and among the real
 *                    tokens only itself and earlier ones (the causal mask:
 *                    entries above the diagonal are exactly 0). Each row sums
 *                    to 1 over the columns it may see.
 *
 *  prefix-cost       prefix tuning trains L·2·P·d numbers (a key and a value
 *                    of width d per virtual token and layer; PEFT stores
 *                    them as an Embedding(P, L·2·d)), against LoRA's
 *                    L·2·r·(d + d) on q and v, for the base model's L and d. */
#ifndef LS_DEMO_PREFIX_H
#define LS_DEMO_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../nn/gpt.h"
#include "../tune/prefix.h"

enum { PREFIX_ATTN_MAX_P = 32, PREFIX_ATTN_MAX_T = 32 };

typedef struct PrefixAttnDemo {
    Gpt model;
    Prefix prefix;
    bool have_prefix;
    unsigned char *text;      /* (n_text) the text's first bytes we need */
    size_t n_text;
    int at;                   /* byte offset of the real tokens in the text */
    int P, T, layer, head;    /* head == n_head: the mean over heads */
    char prefix_bytes[PREFIX_ATTN_MAX_P + 1]; /* what the prefix was made from */
    char query_bytes[PREFIX_ATTN_MAX_T + 1];  /* the T real tokens */
    float *att;               /* (T, P + T) shown: probabilities, masked entries 0 */
    bool *allowed;            /* (T, P + T) may query t see column j */
    double row_sum_err;       /* max over rows |Σ allowed − 1| */
    double masked_max;        /* max over masked entries (0 exactly) */
    float att_max;            /* largest entry shown */
    float *query_prefix;      /* (T) each query's attention on the prefix */
    double prefix_share;      /* their mean */
} PrefixAttnDemo;

/* Load the model and the text: the real tokens start at byte `at` (at
 * least PREFIX_ATTN_MAX_P), the prefix is made from the bytes before. */
int prefix_attn_init(PrefixAttnDemo *d, const char *model_dir, const char *text_path, int at, int P, int T,
                     int layer, int head, Status *st);
/* The same on a model already in memory (copied): bytes holds
 * PREFIX_ATTN_MAX_P bytes for the prefix, then the real tokens. */
int prefix_attn_init_model(PrefixAttnDemo *d, const Gpt *model, const unsigned char *bytes, size_t n, int P, int T,
                           int layer, int head, Status *st);
void prefix_attn_free(PrefixAttnDemo *d);
/* Recompute for new settings (clamped to the model and the limits). */
int prefix_attn_set(PrefixAttnDemo *d, int P, int T, int layer, int head, Status *st);

typedef struct PrefixCost {
    int L, d, P;
    long long prefix;        /* L·2·P·d */
    long long prefix_mlp;    /* trained through the MLP (hidden width d): E, W1, b1, W2, b2 */
    long long model;         /* parameters of the model */
    int n_lora;
    int lora_rank[8];
    long long lora[8];       /* L·2·r·(d + d): q and v */
    long long full;          /* every parameter */
} PrefixCost;

PrefixCost prefix_cost(const GptConfig *cfg, int P);

/* prefix-cost keeps the base model's configuration and P. */
typedef struct PrefixCostDemo {
    GptConfig cfg;
    int P;
} PrefixCostDemo;

/* Read the configuration of the model in model_dir. */
int prefix_cost_demo_init(PrefixCostDemo *d, const char *model_dir, int P, Status *st);

#endif
