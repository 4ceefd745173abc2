/* lora.h — low-rank adapters on the linear layers of the tiny GPT.
 *
 * LoRA (Hu et al. 2021) freezes a weight W0 and learns a rank-r update:
 *
 *   h = W0 x + s * B (A x),     A (r, in), B (out, r), s = alpha / r
 *                               (rsLoRA, Kalajdzievski 2023: s = alpha / sqrt(r))
 *
 * B starts at zero, so the adapted model starts exactly at the base; A starts
 * kaiming-uniform with a = sqrt(5) as PEFT does, i.e. U(-1/sqrt(in), 1/sqrt(in)).
 * Training touches only A and B: r (in + out) numbers per adapted matrix
 * instead of in * out.
 *
 * The model stores weights (in, out) (GPT-2's Conv1D), so in row-major terms
 *   out (N, OC) += s * (inp (N, IN) @ A^T (IN, r)) @ B^T (r, out)
 * and merging adds s * A^T B^T (in, out) to W; unmerging subtracts it.
 *
 * A module is one adapted matrix: a linear layer of a block (GptLinearId) and
 * a range of its output columns. The paper adapts W_q and W_v; in GPT-2 they
 * are the first and last thirds of the fused c_attn (C -> 3C), so the q and
 * v modules are c_attn's columns [0, C) and [2C, 3C), each with its own A and
 * B of rank r. A PEFT adapter loaded from disk adapts whole layers.
 *
 * PiSSA (Meng et al. 2024) starts from the principal part of W instead:
 * with W^T = U S V^T (PyTorch's (out, in) view), A = sqrt(S_r / s) V_r^T,
 * B = U_r sqrt(S_r / s), and W is replaced by its residual W - s (B A)^T, so
 * the model again starts exactly where the base was (up to rounding).
 *
 * Storage: one flat block of parameters, for each layer and module A then B,
 * and a gradient block of the same layout, so AdamW is one loop. */
#ifndef LS_LORA_H
#define LS_LORA_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../nn/gpt.h"

/* Which matrices a LoRA run adapts (bits). */
enum {
    LORA_TARGET_Q = 1u << 0,      /* c_attn columns [0, C)    */
    LORA_TARGET_K = 1u << 1,      /* c_attn columns [C, 2C)   */
    LORA_TARGET_V = 1u << 2,      /* c_attn columns [2C, 3C)  */
    LORA_TARGET_O = 1u << 3,      /* attn.c_proj (C -> C)     */
    LORA_TARGET_FC = 1u << 4,     /* mlp.c_fc (C -> 4C)       */
    LORA_TARGET_FCPROJ = 1u << 5, /* mlp.c_proj (4C -> C)     */
    LORA_TARGET_MLP = LORA_TARGET_FC | LORA_TARGET_FCPROJ,
    LORA_TARGET_ALL = (1u << 6) - 1,
    LORA_TARGET_DEFAULT = LORA_TARGET_Q | LORA_TARGET_V,
};

enum { LORA_MAX_MODULES = 8, LORA_MAX_RANK = 1024 };

/* One adapted matrix of every block. */
typedef struct LoraModule {
    GptLinearId linear; /* which linear layer */
    int col0, cols;     /* its output columns [col0, col0 + cols) */
    int in;             /* its input width */
} LoraModule;

typedef struct LoraAdapter {
    int L;       /* layers */
    int rank;    /* r */
    float scale; /* s = alpha / r (or alpha / sqrt r) */
    int n_mod;
    LoraModule mod[LORA_MAX_MODULES];
    size_t n_params;
    float *params;  /* owned: per layer, per module: A (r, in), B (cols, r) */
    float *grads;   /* owned, same layout; NULL until lora_alloc_grads */
    size_t *offset; /* (L * n_mod) offset of each A in params (B follows) */
    float *z;       /* (L, n_mod, N, r) A x saved for backward */
    float *dz;      /* (N, r) backward scratch */
    int z_N;        /* rows reserved in z */
    bool merged;    /* merged into the model: the hooks do nothing */
    float *init;    /* PiSSA: copy of the starting params (to save as plain LoRA) */
} LoraAdapter;

/* The modules for a set of LORA_TARGET_* bits, in a fixed order (q k v o
 * fc fcproj); returns the count. */
int lora_modules_for(LoraModule *out, const GptConfig *cfg, unsigned targets);
/* "q+v", "q+k+v+o+mlp" ... for a set of bits. */
const char *lora_targets_name(unsigned targets, char *buf, size_t size);
/* Parse "q+v", "qv", "qkv+o+mlp", "all", "attn" (q+k+v+o), "mlp", "fc",
 * "fcproj". */
int lora_targets_parse(unsigned *targets, const char *text, Status *st);
/* s for alpha and r. */
float lora_scale(float alpha, int rank, bool rslora);

/* Allocate an adapter with zero A and B (no gradients yet). */
int lora_init(LoraAdapter *a, const GptConfig *cfg, const LoraModule *mods, int n_mod, int rank,
              float scale, Status *st);
void lora_free(LoraAdapter *a);
/* PEFT's start: A kaiming-uniform(a = sqrt 5), B = 0. */
void lora_init_weights(LoraAdapter *a, unsigned long long seed);
/* PiSSA's start from model m's weights (which become the residuals). */
int lora_init_pissa(LoraAdapter *a, Gpt *m, Status *st);
int lora_alloc_grads(LoraAdapter *a, Status *st);
void lora_zero_grad(LoraAdapter *a);
/* Room to save A x for N rows per module (a training forward of N tokens). */
int lora_reserve(LoraAdapter *a, int N, Status *st);

/* A (r, in) and B (cols, r) of module m in layer l (and their gradients). */
float *lora_A(const LoraAdapter *a, int l, int m);
float *lora_B(const LoraAdapter *a, int l, int m);
float *lora_dA(const LoraAdapter *a, int l, int m);
float *lora_dB(const LoraAdapter *a, int l, int m);

/* The GptHooks bodies: out (N, OC) += the adapters of linear `id`, and in the
 * backward their gradients and dinp (N, IC) += the input gradient. A forward
 * of more than the reserved rows is computed without saving (inference). */
void lora_forward(LoraAdapter *a, int l, GptLinearId id, float *out, const float *inp, int N,
                  int IC, int OC);
void lora_backward(LoraAdapter *a, int l, GptLinearId id, float *dinp, const float *dout,
                   const float *inp, int N, int IC, int OC);
/* Point m's linear hooks at a (ctx = a); leaves the other hooks alone. */
void lora_attach(LoraAdapter *a, Gpt *m);
/* The linears the adapter adapts, as GptHooks.adapted_linears bits. */
unsigned lora_adapted_linears(const LoraAdapter *a);

/* W += s A^T B^T for every module (merge), or -= (unmerge). The model must
 * hold its weights in fp32 (not a released, quantised base). */
void lora_merge(LoraAdapter *a, Gpt *m);
void lora_unmerge(LoraAdapter *a, Gpt *m);
/* W += sign * s A^T B^T into any model of the same config (e.g. a copy to
 * save), without marking the adapter merged. */
void lora_add_to(const LoraAdapter *a, Gpt *m, float sign);
/* dw (in, cols) = s A^T B^T of module m in layer l: the update it stands for. */
void lora_delta(const LoraAdapter *a, int l, int m, float *dw);

#endif
