/* layers.h — the transformer's building blocks as forward/backward pairs.
 *
 * Plain C on flat row-major float arrays, in the manner of llm.c: outputs
 * first, then inputs, then sizes. B = batch, T = sequence length, C =
 * channels, OC = output channels, NH = heads, P = prefix length, V = vocab.
 *
 * Gradient conventions (read these before calling a *_backward):
 *   - parameter gradients (dweight, dbias, dwte, ...) are ACCUMULATED (+=),
 *     so a step zeroes them once and may add several micro-batches;
 *   - a parameter gradient pointer may be NULL: the parameter is frozen, and
 *     its gradient (and, for matmul, the weight-gradient sgemm) is skipped;
 *   - activation gradients: layernorm_backward and encoder_backward
 *     ACCUMULATE into dinp (the residual stream sums many contributions);
 *     matmul_backward, attention_backward, gelu_backward OVERWRITE dinp
 *     (there is exactly one path into them in a GPT block). dinp may be NULL
 *     in matmul_backward and layernorm_backward when nothing below needs it.
 *
 * Every matrix product goes through linalg_sgemm (OpenBLAS). Kernels with a
 * fast path (vectorised exp) have a plain reference twin, *_ref, that the
 * tests compare against. */
#ifndef LS_LAYERS_H
#define LS_LAYERS_H

#include <stddef.h>

/* ---------------------------------------------------------------------------
 * Embedding: out[b,t,:] = wte[inp[b,t],:] + wpe[t,:] */

void encoder_forward(float *out,        /* (B,T,C) */
                     const int *inp,    /* (B,T) token ids in [0,V) */
                     const float *wte,  /* (V,C) */
                     const float *wpe,  /* (maxT,C) */
                     int B, int T, int C);
/* dwte/dwpe accumulate; either may be NULL (frozen). */
void encoder_backward(float *dwte,       /* (V,C) or NULL */
                      float *dwpe,       /* (maxT,C) or NULL */
                      const float *dout, /* (B,T,C) */
                      const int *inp,    /* (B,T) */
                      int B, int T, int C);

/* ---------------------------------------------------------------------------
 * LayerNorm over the last axis: y = (x - mean) * rstd * w + b,
 * rstd = 1 / sqrt(var + eps), var the biased variance (as PyTorch). */

void layernorm_forward(float *out,       /* (N,C) */
                       float *mean,      /* (N)   saved for backward */
                       float *rstd,      /* (N)   saved for backward */
                       const float *inp, /* (N,C) */
                       const float *weight, const float *bias, /* (C) */
                       float eps, int N, int C);
/* dinp accumulates (or is NULL); dweight/dbias accumulate or are NULL. */
void layernorm_backward(float *dinp,     /* (N,C) or NULL */
                        float *dweight,  /* (C) or NULL */
                        float *dbias,    /* (C) or NULL */
                        const float *dout, const float *inp, /* (N,C) */
                        const float *weight,                 /* (C) */
                        const float *mean, const float *rstd, /* (N) */
                        int N, int C);
/* Reference twins (scalar, statistics in double). */
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C);
void layernorm_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C);

/* ---------------------------------------------------------------------------
 * Linear layer in GPT-2's Conv1D layout: the weight is stored (in, out), so
 * out = inp @ weight + bias with no transpose in the forward product. */

void matmul_forward(float *out,          /* (N,OC) */
                    const float *inp,    /* (N,IC) */
                    const float *weight, /* (IC,OC) */
                    const float *bias,   /* (OC) or NULL */
                    int N, int IC, int OC);
/* The residual variant used for the two output projections of a block:
 * out = res + inp @ weight + bias in one pass (out may equal res). Its
 * backward is matmul_backward with dout = the residual gradient. */
void matmul_forward_residual(float *out,       /* (N,OC) */
                             const float *res, /* (N,OC) */
                             const float *inp, /* (N,IC) */
                             const float *weight, const float *bias,
                             int N, int IC, int OC);
/* dinp = dout @ weight^T (overwritten, skipped when NULL);
 * dweight += inp^T @ dout and dbias += column sums of dout (skipped when
 * NULL: a frozen weight costs no weight-gradient sgemm). */
void matmul_backward(float *dinp,          /* (N,IC) or NULL */
                     float *dweight,       /* (IC,OC) or NULL */
                     float *dbias,         /* (OC) or NULL */
                     const float *dout,    /* (N,OC) */
                     const float *inp,     /* (N,IC) */
                     const float *weight,  /* (IC,OC) */
                     int N, int IC, int OC);

/* ---------------------------------------------------------------------------
 * Causal multi-head self-attention with an optional prefix.
 *
 * qkv holds q, k, v side by side per token (GPT-2's c_attn output); head h
 * uses channels [h*hs, (h+1)*hs) of each, hs = C/NH. For each (b, h):
 *   S = q k^T / sqrt(hs)                 (T, P+T)   scores
 *   A = softmax(S) row-wise over the keys a query may see
 *   y = A [pv; v]                        (T, hs)
 * The P prefix keys/values (prefix tuning, Li & Liang 2021) come first and
 * every query sees all of them; among the T real tokens, query t sees keys
 * 0..t. With P == 0, pk/pv are ignored and may be NULL.
 *
 * att keeps the probabilities for the backward pass; entries a query may not
 * see are exactly 0. scratch is (T, P+T) floats of working space. */

void attention_forward(float *out,       /* (B,T,C) */
                       float *att,       /* (B,NH,T,P+T) */
                       const float *qkv, /* (B,T,3C) */
                       const float *pk,  /* (P,C) prefix keys, or NULL */
                       const float *pv,  /* (P,C) prefix values, or NULL */
                       int B, int T, int C, int NH, int P);
/* dqkv is overwritten; dpk/dpv accumulate (NULL: frozen or no prefix). */
void attention_backward(float *dqkv,       /* (B,T,3C) */
                        float *dpk,        /* (P,C) or NULL */
                        float *dpv,        /* (P,C) or NULL */
                        float *scratch,    /* (T,P+T) */
                        const float *dout, /* (B,T,C) */
                        const float *qkv,  /* (B,T,3C) */
                        const float *att,  /* (B,NH,T,P+T) */
                        const float *pk, const float *pv, /* (P,C) */
                        int B, int T, int C, int NH, int P);

/* Reference twin: the same maths with one dot product at a time and libm's
 * expf; no sgemm, no vector exp. */
void attention_forward_ref(float *out, float *att, const float *qkv, const float *pk,
                           const float *pv, int B, int T, int C, int NH, int P);
void attention_backward_ref(float *dqkv, float *dpk, float *dpv, const float *dout,
                            const float *qkv, const float *att, const float *pk,
                            const float *pv, int B, int T, int C, int NH, int P);

/* ---------------------------------------------------------------------------
 * GELU, tanh approximation (GPT-2's "gelu_new"):
 *   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
 * computed as x * sigmoid(2u), which is the same function. */

void gelu_forward(float *out, const float *inp, size_t n);
/* dinp = dout * gelu'(inp); dinp may alias dout. */
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);
/* gelu_backward on (N, C) rows fused with the bias gradient of the linear
 * layer that produced inp: dbias (C) += column sums of dinp (accumulates). */
void gelu_backward_bias(float *dinp, float *dbias, const float *inp, const float *dout, int N, int C);
void gelu_forward_ref(float *out, const float *inp, size_t n);
void gelu_backward_ref(float *dinp, const float *inp, const float *dout, size_t n);

/* ---------------------------------------------------------------------------
 * Softmax cross-entropy over the vocabulary, fused with its gradient.
 *
 * losses[i] = logsumexp(logits[i,:]) - logits[i, targets[i]]   (nats)
 * If grad_scale != 0, logits[i,:] is overwritten IN PLACE with
 * grad_scale * (softmax(logits[i,:]) - onehot(targets[i])), the gradient of
 * grad_scale * sum(losses); for the mean loss pass 1/N. With grad_scale == 0
 * logits are left untouched. */

void crossentropy_forward(float *losses,   /* (N) */
                          float *logits,   /* (N,V) */
                          const int *targets, /* (N) */
                          float grad_scale, int N, int V);
void crossentropy_forward_ref(float *losses, float *logits, const int *targets,
                              float grad_scale, int N, int V);

/* Softmax of one row with temperature (for sampling): probs = softmax(x / temp). */
void softmax_row(float *probs, const float *x, float temperature, int n);

#endif
