/* qlora.c — the NF4 (or int8) base of QLoRA, dequantised per block (see qlora.h). */
#include "qlora.h"

#include <stdlib.h>
#include <string.h>

const GptTensorId qlora_families[QLORA_FAMILIES] = {GPT_QKVW, GPT_ATTPROJW, GPT_FCW, GPT_FCPROJW};

/* Shape (in, out) of family k in units of C, and its offset in deq. */
static const struct {
    int rows, cols;
} fam_shape[QLORA_FAMILIES] = {{1, 3}, {1, 1}, {1, 4}, {4, 1}};

static size_t deq_offset(int C, int k)
{
    size_t off = 0;
    for (int i = 0; i < k; i++)
        off += (size_t)fam_shape[i].rows * fam_shape[i].cols * (size_t)C * (size_t)C;
    return off;
}

int qlora_init(QloraBase *q, Gpt *m, bool int8, Status *st)
{
    memset(q, 0, sizeof *q);
    q->deq_layer = -1;
    q->L = m->cfg.n_layer;
    q->C = m->cfg.n_embd;
    q->qc = int8 ? quant_config_int(8, QUANT_PER_BLOCK, 64, false) : quant_config_fixed(QUANT_NF4);
    int rc = quant_config_check(&q->qc, st);
    if (rc) return rc;
    size_t C = (size_t)q->C;
    q->qt = calloc((size_t)q->L * QLORA_FAMILIES, sizeof *q->qt);
    q->deq = malloc(12 * C * C * sizeof(float));
    if (!q->qt || !q->deq) {
        qlora_free(q);
        return status_fail(st, LS_ERR_NOMEM, "out of memory for the quantised base");
    }
    for (int l = 0; l < q->L && !rc; l++) {
        GptBlockWeights w = gpt_block_weights(m, l);
        const float *src[QLORA_FAMILIES] = {w.qkvw, w.attprojw, w.fcw, w.fcprojw};
        for (int k = 0; k < QLORA_FAMILIES && !rc; k++) {
            if (!src[k]) {
                rc = status_fail(st, LS_ERR_ARG, "the base is already released");
                break;
            }
            QuantTensor *t = &q->qt[l * QLORA_FAMILIES + k];
            quant_tensor_init(t);
            rc = quant_quantize(t, &q->qc, src[k], fam_shape[k].rows * q->C,
                                fam_shape[k].cols * q->C, st);
        }
    }
    if (!rc) rc = gpt_release_params(m, qlora_families, QLORA_FAMILIES, st);
    if (rc) qlora_free(q);
    return rc;
}

void qlora_free(QloraBase *q)
{
    if (!q) return;
    if (q->qt)
        for (int i = 0; i < q->L * QLORA_FAMILIES; i++)
            quant_tensor_free(&q->qt[i]);
    free(q->qt);
    free(q->deq);
    memset(q, 0, sizeof *q);
    q->deq_layer = -1;
}

void qlora_block_weights(QloraBase *q, int l, GptBlockWeights *w)
{
    int C = q->C;
    if (q->deq_layer != l) {
        for (int k = 0; k < QLORA_FAMILIES; k++)
            quant_dequantize(q->deq + deq_offset(C, k), &q->qt[l * QLORA_FAMILIES + k]);
        q->deq_layer = l;
        q->dequant_calls++;
    }
    w->qkvw = q->deq + deq_offset(C, 0);
    w->attprojw = q->deq + deq_offset(C, 1);
    w->fcw = q->deq + deq_offset(C, 2);
    w->fcprojw = q->deq + deq_offset(C, 3);
}

size_t qlora_stored_bytes(const QloraBase *q)
{
    size_t b = 0;
    for (int i = 0; i < q->L * QLORA_FAMILIES; i++)
        b += q->qt[i].bytes;
    return b;
}

void qlora_dequantize_into(const QloraBase *q, Gpt *out)
{
    size_t C = (size_t)q->C;
    for (int l = 0; l < q->L; l++)
        for (int k = 0; k < QLORA_FAMILIES; k++) {
            size_t per = (size_t)fam_shape[k].rows * fam_shape[k].cols * C * C;
            quant_dequantize(out->params.t[qlora_families[k]] + (size_t)l * per,
                             &q->qt[l * QLORA_FAMILIES + k]);
        }
}
