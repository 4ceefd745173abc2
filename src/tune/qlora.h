/* qlora.h — a frozen base held in 4 bits, dequantised block by block.
 *
 * QLoRA (Dettmers et al. 2023) stores the frozen weights of every linear
 * layer in NF4 (blocks of 64 weights, one absmax each: 4.5 bits a weight
 * here, as quant.h counts it) and trains LoRA adapters in 32 bits on top.
 * Each layer's weights are dequantised just before the layer runs — in the
 * forward pass and again in the backward pass — into one buffer the size of
 * a single block's linear weights, so the fp32 copy of the whole base never
 * exists. Embeddings, LayerNorms and biases stay fp32 (the head is tied to
 * the embedding), as in QLoRA.
 *
 * The quantised families (c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj
 * weights) are released from the model (gpt_release_params); the
 * GptHooks.block_weights hook points the block at the dequantised buffer.
 * Option: int8 (symmetric, blocks of 64, fp32 scale) instead of NF4. */
#ifndef LS_QLORA_H
#define LS_QLORA_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../core/quant.h"
#include "../nn/gpt.h"

enum { QLORA_FAMILIES = 4 }; /* c_attn, attn.c_proj, c_fc, mlp.c_proj weights */

typedef struct QloraBase {
    QuantConfig qc;
    int L, C;
    QuantTensor *qt; /* (L, 4) quantised weights, stored (in, out) as the model does */
    float *deq;      /* (12 C^2) one block's weights: qkvw (C,3C), attprojw (C,C),
                        fcw (C,4C), fcprojw (4C,C) */
    int deq_layer;   /* which layer deq holds (-1: none) */
    long dequant_calls;
} QloraBase;

/* The model families QLoRA quantises, in the order of deq. */
extern const GptTensorId qlora_families[QLORA_FAMILIES];

/* Quantise m's linear weights (NF4, or int8 when int8) and release them from
 * m; m must not have its gradients allocated for them (they are frozen). */
int qlora_init(QloraBase *q, Gpt *m, bool int8, Status *st);
void qlora_free(QloraBase *q);
/* The GptHooks body: dequantise layer l (unless deq already holds it) and
 * point w's linear weights at it. */
void qlora_block_weights(QloraBase *q, int l, GptBlockWeights *w);
/* Bytes of the quantised weights as stored. */
size_t qlora_stored_bytes(const QloraBase *q);
/* Write the dequantised weights into the fp32 model out (same config, with
 * its own storage for the families), e.g. to merge an adapter and save. */
void qlora_dequantize_into(const QloraBase *q, Gpt *out);

#endif
