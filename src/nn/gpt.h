/* gpt.h — a tiny GPT-2 (byte-level) with a hand-written backward pass.
 *
 * Architecture (Radford et al. 2019, as Hugging Face's GPT2LMHeadModel):
 *   x0 = wte[tokens] + wpe[positions]
 *   for each of L blocks (pre-LayerNorm):
 *     x += c_proj(attention(c_attn(ln_1(x))))      causal, NH heads
 *     x += mlp.c_proj(gelu(mlp.c_fc(ln_2(x))))      hidden width 4C
 *   logits = ln_f(x) @ wte^T                          head tied to the embedding
 *
 * Memory, in the manner of llm.c: all parameters live in ONE allocation and
 * GptParams is a set of pointers into it, one per tensor family with every
 * layer's copy stacked (qkvw is (L, C, 3C)). Gradients have the same layout in
 * a second allocation that holds only the TRAINABLE families; a frozen
 * family's gradient pointer is NULL and its weight-gradient sgemm is skipped.
 * Activations are a third allocation sized from (B, T) by gpt_reserve().
 *
 * Extension points for parameter-efficient tuning (see GptHooks):
 *   - LoRA: a hook after every linear layer adds the adapter's output and,
 *     in the backward pass, its input gradient (and fills its own grads);
 *   - prefix tuning: P trainable key/value rows per layer prepended in the
 *     attention (attention_forward/backward take them natively);
 *   - prompt tuning: Q rows prepended to every sequence at the first
 *     block's input (every block then runs on Q + T rows, the head on T);
 *   - QLoRA: a hook may swap in dequantised weights per block, forward and
 *     backward, so the base can be stored in NF4;
 *   - frozen weights: gpt_set_trainable() before gpt_alloc_grads().
 * Without hooks the model is plain full fine-tuning / pretraining.
 *
 * Threads: gpt_forward and gpt_backward use as many threads as the caller
 * gave OpenBLAS (linalg_set_threads): the model's own pool splits every
 * kernel by rows, sequences or weight columns (layers_par.h), and OpenBLAS
 * runs single-threaded inside, so the two never add up to more. Hooks run
 * on the calling thread. Inside both passes subnormal floats flush to zero
 * (subnormal.h); the caller's floating-point mode is restored on return. */
#ifndef LS_GPT_H
#define LS_GPT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "layers_par.h"

/* ---------------------------------------------------------------------------
 * Configuration */

typedef struct GptConfig {
    int vocab_size;    /* V: 256 (bytes) */
    int n_positions;   /* maxT: longest sequence, size of wpe */
    int n_embd;        /* C: channels */
    int n_layer;       /* L: transformer blocks */
    int n_head;        /* NH: attention heads (C % NH == 0) */
    float layer_norm_epsilon; /* 1e-5 */
} GptConfig;

/* Limits that keep every size computation far from overflow. */
enum {
    GPT_MAX_LAYERS = 64,
    GPT_MAX_HEADS = 64,
    GPT_MAX_EMBD = 4096,
    GPT_MAX_POSITIONS = 8192,
    GPT_MAX_PARAMS = 1 << 28, /* 1 GiB of float32 */
};

/* A config with the given sizes, vocab 256 and eps 1e-5. */
GptConfig gpt_config_make(int n_layer, int n_head, int n_embd, int n_positions);
/* Checks the sizes; a message names the bad field. */
int gpt_config_check(const GptConfig *cfg, Status *st);

/* ---------------------------------------------------------------------------
 * Parameters: 16 tensor families (names as Hugging Face, layouts (in, out)) */

typedef enum GptTensorId {
    GPT_WTE,       /* transformer.wte.weight          (V, C)        */
    GPT_WPE,       /* transformer.wpe.weight          (maxT, C)     */
    GPT_LN1W,      /* transformer.h.N.ln_1.weight     (L, C)        */
    GPT_LN1B,      /* transformer.h.N.ln_1.bias       (L, C)        */
    GPT_QKVW,      /* h.N.attn.c_attn.weight          (L, C, 3C)    */
    GPT_QKVB,      /* h.N.attn.c_attn.bias            (L, 3C)       */
    GPT_ATTPROJW,  /* h.N.attn.c_proj.weight          (L, C, C)     */
    GPT_ATTPROJB,  /* h.N.attn.c_proj.bias            (L, C)        */
    GPT_LN2W,      /* h.N.ln_2.weight                 (L, C)        */
    GPT_LN2B,      /* h.N.ln_2.bias                   (L, C)        */
    GPT_FCW,       /* h.N.mlp.c_fc.weight             (L, C, 4C)    */
    GPT_FCB,       /* h.N.mlp.c_fc.bias               (L, 4C)       */
    GPT_FCPROJW,   /* h.N.mlp.c_proj.weight           (L, 4C, C)    */
    GPT_FCPROJB,   /* h.N.mlp.c_proj.bias             (L, C)        */
    GPT_LNFW,      /* transformer.ln_f.weight         (C)           */
    GPT_LNFB,      /* transformer.ln_f.bias           (C)           */
    GPT_NUM_TENSORS
} GptTensorId;

/* Pointers into one block; t[id] and the named fields are the same storage. */
typedef union GptParams {
    struct {
        float *wte;      /* (V, C) */
        float *wpe;      /* (maxT, C) */
        float *ln1w;     /* (L, C) */
        float *ln1b;     /* (L, C) */
        float *qkvw;     /* (L, C, 3C) */
        float *qkvb;     /* (L, 3C) */
        float *attprojw; /* (L, C, C) */
        float *attprojb; /* (L, C) */
        float *ln2w;     /* (L, C) */
        float *ln2b;     /* (L, C) */
        float *fcw;      /* (L, C, 4C) */
        float *fcb;      /* (L, 4C) */
        float *fcprojw;  /* (L, 4C, C) */
        float *fcprojb;  /* (L, C) */
        float *lnfw;     /* (C) */
        float *lnfb;     /* (C) */
    };
    float *t[GPT_NUM_TENSORS];
} GptParams;

/* The shape of one family: `layers` stacked copies (1 if not per layer) of
 * a (rows, cols) matrix, or of a vector of `rows` entries when cols == 0. */
typedef struct GptTensorInfo {
    const char *name;    /* Hugging Face name; "%d" stands for the layer */
    int layers, rows, cols;
    bool decay;          /* weight decay applies (matrices, not biases or norms) */
} GptTensorInfo;

GptTensorInfo gpt_tensor_info(const GptConfig *cfg, GptTensorId id);
/* Number of floats of one family (all layers) and of the whole model. */
size_t gpt_tensor_numel(const GptConfig *cfg, GptTensorId id);
size_t gpt_num_params(const GptConfig *cfg);

/* ---------------------------------------------------------------------------
 * Hooks for the tuning methods (all optional; zero-initialised = none) */

/* Which linear layer of a block a hook is called for. */
typedef enum GptLinearId {
    GPT_LINEAR_QKV,     /* attn.c_attn:  (C -> 3C) */
    GPT_LINEAR_ATTPROJ, /* attn.c_proj:  (C -> C)  */
    GPT_LINEAR_FC,      /* mlp.c_fc:     (C -> 4C) */
    GPT_LINEAR_FCPROJ,  /* mlp.c_proj:   (4C -> C) */
    GPT_NUM_LINEAR
} GptLinearId;

/* The weights one block uses, filled from the parameters before each block's
 * forward and backward. A hook may point them elsewhere (QLoRA: a buffer it
 * dequantises the NF4 base into). */
typedef struct GptBlockWeights {
    const float *ln1w, *ln1b;         /* (C) */
    const float *qkvw, *qkvb;         /* (C, 3C), (3C) */
    const float *attprojw, *attprojb; /* (C, C), (C) */
    const float *ln2w, *ln2b;         /* (C) */
    const float *fcw, *fcb;           /* (C, 4C), (4C) */
    const float *fcprojw, *fcprojb;   /* (4C, C), (C) */
} GptBlockWeights;

typedef struct GptHooks {
    void *ctx; /* passed to every hook */
    /* Called before block `layer` runs forward or backward; may replace any
     * pointer in w (the replacement must stay valid until the next call). */
    void (*block_weights)(void *ctx, int layer, GptBlockWeights *w);
    /* After the base linear layer: out (N, OC) += adapter(inp (N, IC)).
     * For ATTPROJ and FCPROJ, out is the residual stream (the base product
     * is added into it), which is the same thing for an additive adapter. */
    void (*linear_forward)(void *ctx, int layer, GptLinearId id, float *out,
                           const float *inp, int N, int IC, int OC);
    /* After the base backward: dinp (N, IC) += the adapter's input gradient
     * for dout (N, OC); accumulate the adapter's own parameter gradients.
     * dinp is NULL when nothing needs it (block 0's c_attn input when the
     * embeddings are frozen): then only the adapter's own gradients. */
    void (*linear_backward)(void *ctx, int layer, GptLinearId id, float *dinp,
                            const float *dout, const float *inp, int N, int IC, int OC);
    /* Which linears linear_backward reads inp for: bit (1u << GptLinearId).
     * 0 means all of them. A frozen linear whose input nobody reads in the
     * backward does not keep it per layer (see gpt_forward). */
    unsigned adapted_linears;
    /* Prefix tuning: prefix_len = P rows of keys and values per layer, fixed
     * before gpt_reserve(). prefix_kv returns the layer's (P, C) keys and
     * values and where to accumulate their gradients (NULL when frozen). */
    int prefix_len;
    void (*prefix_kv)(void *ctx, int layer, const float **k, const float **v,
                      float **dk, float **dv);
    /* Prompt tuning: input_rows = Q rows of (Q, C) that enter the first
     * block before every sequence's tokens, as they are (the method adds
     * whatever position embedding it wants them to carry); the real tokens
     * keep positions 0..T-1. Every block runs on the Q + T rows (causal: the
     * real tokens see all Q), the final LayerNorm, head and loss on the T
     * real ones only, so logits and losses keep their (B,T) shape.
     * input_embd returns the rows and where to accumulate their gradient,
     * summed over the batch (NULL when frozen). Fixed before gpt_reserve(). */
    int input_rows;
    void (*input_embd)(void *ctx, const float **rows, float **drows);
} GptHooks;

/* ---------------------------------------------------------------------------
 * Activations (sized by gpt_reserve for at most B x T tokens). With
 * hooks.input_rows = Q, the T of every block's slot (encoded .. res3, the
 * backward scratch) counts Q + T rows; lnf .. losses and tokens stay T. */

typedef struct GptActs {
    float *encoded;   /* (B,T,C)    block 0 input */
    float *ln1;       /* (L,B,T,C) */
    float *ln1_mean;  /* (L,B,T) */
    float *ln1_rstd;  /* (L,B,T) */
    float *qkv;       /* (L,B,T,3C) */
    float *att;       /* (L,B,NH,T,P+T) attention probabilities */
    float *atty;      /* (L,B,T,C)   attention output before c_proj */
    float *res2;      /* (L,B,T,C)   x after the attention residual */
    float *ln2;       /* (L,B,T,C) */
    float *ln2_mean;  /* (L,B,T) */
    float *ln2_rstd;  /* (L,B,T) */
    float *fch;       /* (L,B,T,4C)  c_fc output */
    float *fch_gelu;  /* (L,B,T,4C) */
    float *res3;      /* (L,B,T,C)   block output */
    float *lnf;       /* (B,T,C) */
    float *lnf_mean;  /* (B,T) */
    float *lnf_rstd;  /* (B,T) */
    float *logits;    /* (B,T,V)     after a training forward: dloss/dlogits */
    float *losses;    /* (B,T)       nats per position */
    /* backward scratch */
    float *dres;      /* (B,T,C)     gradient of the residual stream */
    float *dbuf;      /* (B,T,C)     gradient of a LayerNorm output / atty */
    float *dqkv;      /* (B,T,3C) */
    float *dfch;      /* (B,T,4C) */
    float *datt;      /* (T,P+T)     attention backward scratch */
    int *tokens;      /* (B,T)       inputs of the last forward (for backward) */
} GptActs;

/* ---------------------------------------------------------------------------
 * The model */

typedef struct Gpt {
    GptConfig cfg;
    float *param_block;              /* owns all parameters */
    size_t num_params;
    size_t num_stored;               /* floats in param_block (num_params unless released) */
    GptParams params;
    bool trainable[GPT_NUM_TENSORS]; /* default: all true */
    float *grad_block;               /* owns the trainable families' gradients */
    size_t num_grads;
    GptParams grads;                 /* NULL for frozen families */
    GptHooks hooks;
    float *act_block;                /* owns the activations */
    size_t num_acts;                 /* floats in act_block (0 before gpt_reserve) */
    GptActs acts;
    int act_B, act_T, act_P, act_Q;  /* capacity of acts (P: prefix length, Q: input rows) */
    int last_B, last_T;              /* shape of the last forward */
    bool last_train;                 /* last forward left gradients in logits */
    float mean_loss;                 /* of the last forward with targets */
    Pool *pool;                      /* owns the passes' worker threads (NULL: none yet) */
    ParScratch par_scratch;          /* owns the helpers' working space */
} Gpt;

/* Allocate the parameters (uninitialised: call gpt_init_weights or load). */
int gpt_init(Gpt *m, const GptConfig *cfg, Status *st);
void gpt_free(Gpt *m);
/* GPT-2 initialisation: N(0, 0.02) for matrices and embeddings, with the
 * residual projections (attn.c_proj, mlp.c_proj) scaled by 1/sqrt(2L);
 * biases 0, LayerNorm weights 1. */
void gpt_init_weights(Gpt *m, unsigned long long seed);

/* Drop the fp32 storage of per-block linear weight families (GPT_QKVW,
 * GPT_ATTPROJW, GPT_FCW, GPT_FCPROJW only) whose values are held elsewhere,
 * e.g. quantised, and supplied per block by the block_weights hook (QLoRA).
 * The kept families move to a smaller block; released ones become NULL in
 * params (gpt_block_weights gives NULL for them) and frozen. num_params
 * still counts the whole model; num_stored counts what param_block holds.
 * Such a model cannot be saved, and forward fails unless the hook fills
 * the weights. Call before gpt_alloc_grads. */
int gpt_release_params(Gpt *m, const GptTensorId *ids, int n, Status *st);

/* Choose which families get gradients; call before gpt_alloc_grads. */
void gpt_set_trainable(Gpt *m, GptTensorId id, bool trainable);
/* Allocate (zeroed) gradients for the trainable families. */
int gpt_alloc_grads(Gpt *m, Status *st);
void gpt_zero_grad(Gpt *m);
/* Size the activations for up to B sequences of up to T tokens. */
int gpt_reserve(Gpt *m, int B, int T, Status *st);

/* Forward pass over inputs (B,T) (T <= n_positions, within the reserve).
 * Logits land in m->acts.logits (B,T,V). With targets (B,T): per-position
 * losses in m->acts.losses and their mean in m->mean_loss; with train also
 * the gradient of the mean loss replaces the logits, ready for backward. */
int gpt_forward(Gpt *m, const int *inputs, const int *targets, int B, int T, bool train,
                Status *st);
/* Backward pass of the last training forward: ACCUMULATES into m->grads
 * (call gpt_zero_grad first for a fresh step). */
int gpt_backward(Gpt *m, Status *st);

/* The per-block weights of layer l as stored in the parameters. */
GptBlockWeights gpt_block_weights(const Gpt *m, int l);

#endif
