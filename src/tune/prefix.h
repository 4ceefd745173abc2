/* prefix.h — prefix tuning: trainable keys and values in every attention.
 *
 * Li & Liang (2021) freeze the model and prepend P trainable vectors to the
 * keys and the values of every layer's attention. Every query may attend to
 * them (the causal mask applies only among the real tokens), so they act like
 * P virtual tokens of context that the model never has to read:
 *
 *   scores = q [pk; k]^T / sqrt(hs)      (T, P + T)
 *   y      = softmax(scores) [pv; v]     (T, hs)
 *
 * The engine's attention takes the P rows natively (GptHooks.prefix_kv), with
 * their gradients, so training them is plain backprop.
 *
 * Start: the keys and values the base model itself computes for P real bytes
 * of the task's text (Li & Liang found real-word activations train better
 * than random ones), so the prefix starts as an ordinary context.
 *
 * Reparameterisation (optional, `prefix:P,mlp`): Li & Liang found direct
 * optimisation unstable and train P = MLP(P') instead; we use
 *
 *   kv = start + tanh(E W1 + b1) W2 + b2      E (P, C), W1 (C, H), W2 (H, 2LC)
 *
 * with W2, b2 zero at the start (so the prefix starts at `start`, as without
 * the MLP) and the start a constant. After training only kv is kept: the MLP
 * is dropped, and the stored prefix is (L, 2, P, C) numbers whatever H was.
 *
 * Layout: kv (L, 2, P, C): layer l's keys at kv + 2l P C, its values at
 * kv + (2l + 1) P C; head h uses channels [h hs, (h + 1) hs) as the model's
 * own keys do. PEFT stores the same numbers as prompt_embeddings (P, 2LC). */
#ifndef LS_PREFIX_H
#define LS_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../nn/gpt.h"

typedef struct Prefix {
    int L, C, P;
    float *kv;  /* (L, 2, P, C) the prefix the model sees */
    float *dkv; /* (L, 2, P, C) its gradient (NULL until prefix_alloc_grads) */
    /* MLP reparameterisation (mlp true): */
    bool mlp;
    int H;             /* hidden width */
    float *start;      /* (L, 2, P, C) constant start */
    size_t n_mlp;      /* floats in mlp_params */
    float *mlp_params; /* E (P,C), W1 (C,H), b1 (H), W2 (H,2LC), b2 (2LC) */
    float *mlp_grads;  /* same layout */
    float *hidden;     /* (P, H) tanh output saved by prefix_mlp_forward */
} Prefix;

/* Allocate a prefix of P rows (kv zero). hidden > 0 adds the MLP. */
int prefix_init(Prefix *p, const GptConfig *cfg, int P, int hidden, Status *st);
void prefix_free(Prefix *p);
/* Start from the keys and values base computes for tokens[0..P) (read in
 * windows of n_positions when P is longer); with the MLP, E and W1 from
 * seed, W2 and b2 zero. */
int prefix_init_from_tokens(Prefix *p, Gpt *base, const int *tokens, unsigned long long seed,
                            Status *st);
int prefix_alloc_grads(Prefix *p, Status *st);

/* The trainable block for the optimizer: kv (and dkv), or the MLP's. */
float *prefix_params(const Prefix *p, size_t *n);
float *prefix_grads(const Prefix *p);
/* Zero the gradients (dkv and the MLP's). */
void prefix_zero_grad(Prefix *p);

/* MLP only: kv = start + MLP(E) (saves the hidden layer), and after the
 * model's backward has filled dkv, the MLP's gradients from it. */
void prefix_mlp_forward(Prefix *p);
void prefix_mlp_backward(Prefix *p);

/* The GptHooks body: layer l's (P, C) keys and values and their gradients. */
void prefix_kv_of(Prefix *p, int l, const float **k, const float **v, float **dk, float **dv);
/* Point m's prefix hooks at p (ctx = p); leaves the other hooks alone. Call
 * before gpt_reserve. */
void prefix_attach(Prefix *p, Gpt *m);

#endif
