/* demo_quant_loss.c — lesson 4's last demo: the tiny GPT with its linear
 * layers quantized, and what that does to its loss (see demo_quant.h).
 *
 * Every block's four weight matrices (attn.c_attn, attn.c_proj, mlp.c_fc,
 * mlp.c_proj) go through quantize → dequantize with the chosen scheme; the
 * embeddings, LayerNorms and biases stay in fp32, as in QLoRA and in ggml's
 * usual mixes. The model is then evaluated on a fixed, evenly spaced set of
 * windows of the text (the eval protocol of dataset.h, capped), so every
 * configuration is measured on the same bytes and the differences are the
 * quantization's alone. The fp32 weights are kept aside and copied back
 * before each new configuration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../nn/checkpoint.h"
#include "demo_quant.h"

static const GptTensorId linear_ids[] = {GPT_QKVW, GPT_ATTPROJW, GPT_FCW, GPT_FCPROJW};
enum { N_LINEAR = sizeof linear_ids / sizeof linear_ids[0] };

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

void quant_loss_demo_free(QuantLossDemo *d)
{
    if (!d) return;
    gpt_free(&d->model);
    free(d->master);
    text_free(&d->text);
    quant_tensor_free(&d->qt);
    free(d->buf);
    free(d->buf2);
    memset(d, 0, sizeof *d);
}

/* Quantize every linear layer of the model with cfg (from the master copy)
 * and measure the error over all of them together. */
static int quantize_model(QuantLossDemo *d, const QuantConfig *cfg, double *bpw, double *snr,
                          Status *st)
{
    Gpt *m = &d->model;
    memcpy(m->param_block, d->master, m->num_params * sizeof(float));
    double sig = 0, err = 0;
    size_t bytes = 0, n_total = 0;
    for (int l = 0; l < m->cfg.n_layer; l++)
        for (int k = 0; k < N_LINEAR; k++) {
            GptTensorInfo ti = gpt_tensor_info(&m->cfg, linear_ids[k]);
            int in = ti.rows, out = ti.cols;
            size_t n = (size_t)in * (size_t)out;
            float *w = m->params.t[linear_ids[k]] + (size_t)l * n; /* (in, out) */
            /* (in, out) → (out, in), so rows are output channels */
            for (int i = 0; i < in; i++)
                for (int j = 0; j < out; j++) d->buf[(size_t)j * in + i] = w[(size_t)i * out + j];
            QuantMetrics qm;
            int rc = quant_roundtrip(d->buf2, &qm, &d->qt, cfg, d->buf, out, in, st);
            if (rc) return rc;
            for (size_t i = 0; i < n; i++) {
                double e = (double)d->buf[i] - d->buf2[i];
                sig += (double)d->buf[i] * d->buf[i];
                err += e * e;
            }
            for (int i = 0; i < in; i++)
                for (int j = 0; j < out; j++) w[(size_t)i * out + j] = d->buf2[(size_t)j * in + i];
            bytes += qm.bytes;
            n_total += n;
        }
    *bpw = n_total ? 8.0 * (double)bytes / (double)n_total : 0;
    *snr = err > 0 ? 10 * log10(sig / err) : INFINITY;
    return LS_OK;
}

static int evaluate(QuantLossDemo *d, QuantLossEntry *e, Status *st)
{
    EvalResult er;
    int rc = gpt_eval_text(&d->model, &d->text, 32, (size_t)d->windows, &er, st);
    if (rc) return rc;
    e->nats = er.nats;
    e->bits_per_byte = er.bits_per_byte;
    d->tokens = er.tokens;
    return LS_OK;
}

const QuantLossEntry *quant_loss_demo_find(const QuantLossDemo *d, const QuantConfig *cfg)
{
    for (int i = 0; i < d->n_hist; i++)
        if (quant_config_same(&d->hist[i].cfg, cfg)) return &d->hist[i];
    return NULL;
}

static void remember(QuantLossDemo *d, const QuantLossEntry *e)
{
    if (quant_loss_demo_find(d, &e->cfg)) return;
    if (d->n_hist == QLOSS_MAX_ENTRIES) {
        memmove(d->hist, d->hist + 1, (QLOSS_MAX_ENTRIES - 1) * sizeof d->hist[0]);
        d->n_hist--;
    }
    d->hist[d->n_hist++] = *e;
}

/* Quantize with cfg and evaluate into e (no cache). */
static int run_config(QuantLossDemo *d, const QuantConfig *cfg, QuantLossEntry *e, Status *st)
{
    double t0 = now_ms();
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    int rc = quantize_model(d, cfg, &e->bpw, &e->snr_db, st);
    if (!rc) rc = evaluate(d, e, st);
    e->ms = now_ms() - t0;
    return rc;
}

int quant_loss_demo_set(QuantLossDemo *d, const QuantConfig *cfg, Status *st)
{
    QuantConfig c = *cfg;
    if (c.kind != QUANT_INT) c = quant_config_fixed(c.kind);
    int rc = quant_config_check(&c, st);
    if (rc) return rc;
    const QuantLossEntry *known = quant_loss_demo_find(d, &c);
    if (known) {
        d->cur = *known;
        d->cfg = c;
        return LS_OK;
    }
    QuantLossEntry e;
    if ((rc = run_config(d, &c, &e, st))) return rc;
    d->cfg = c;
    d->cur = e;
    remember(d, &e);
    return LS_OK;
}

int quant_loss_demo_sweep(QuantLossDemo *d, Status *st)
{
    QuantConfig keep = d->cfg;
    QuantConfig base = keep.kind == QUANT_INT ? keep : quant_config_int(4, QUANT_PER_BLOCK, 64, false);
    int rc = LS_OK;
    for (int b = 2; b <= 8 && !rc; b++) {
        QuantConfig c = base;
        c.bits = b;
        rc = quant_loss_demo_set(d, &c, st);
    }
    for (int k = QUANT_Q8_0; k < QUANT_KIND_COUNT && !rc; k++) {
        QuantConfig c = quant_config_fixed((QuantKind)k);
        rc = quant_loss_demo_set(d, &c, st);
    }
    if (!rc) rc = quant_loss_demo_set(d, &keep, st);
    return rc;
}

int quant_loss_demo_init(QuantLossDemo *d, const char *model_dir, const char *text_path,
                         int windows, const QuantConfig *cfg, Status *st)
{
    memset(d, 0, sizeof *d);
    quant_tensor_init(&d->qt);
    snprintf(d->model_dir, sizeof d->model_dir, "%s", model_dir);
    snprintf(d->text_path, sizeof d->text_path, "%s", text_path);
    d->windows = windows < 1 ? 1 : windows;
    int rc = gpt_load(&d->model, model_dir, st);
    if (rc) {
        memset(&d->model, 0, sizeof d->model);
        return rc;
    }
    Gpt *m = &d->model;
    if ((rc = text_load(&d->text, text_path, st))) goto fail;
    d->master = malloc(m->num_params * sizeof(float));
    size_t biggest = 0;
    for (int k = 0; k < N_LINEAR; k++) {
        GptTensorInfo ti = gpt_tensor_info(&m->cfg, linear_ids[k]);
        size_t n = (size_t)ti.rows * (size_t)ti.cols;
        if (n > biggest) biggest = n;
        d->n_quantized += n * (size_t)m->cfg.n_layer;
    }
    d->n_matrices = N_LINEAR * m->cfg.n_layer;
    d->buf = malloc(biggest * sizeof(float));
    d->buf2 = malloc(biggest * sizeof(float));
    d->buf_cap = biggest;
    if (!d->master || !d->buf || !d->buf2) {
        rc = status_fail(st, LS_ERR_NOMEM, "out of memory for the model's weights");
        goto fail;
    }
    memcpy(d->master, m->param_block, m->num_params * sizeof(float));
    /* The baseline. */
    double t0 = now_ms();
    d->base.is_fp32 = true;
    d->base.bpw = 32;
    d->base.snr_db = INFINITY;
    if ((rc = evaluate(d, &d->base, st))) {
        status_prefix(st, "%s", text_path);
        goto fail;
    }
    d->base.ms = now_ms() - t0;
    if ((rc = quant_loss_demo_set(d, cfg, st))) goto fail;
    return LS_OK;
fail:
    quant_loss_demo_free(d);
    return rc;
}
