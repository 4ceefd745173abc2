/* dataset.c — byte-level text data, batches and the evaluation protocol
 * (see dataset.h). */
#include "dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "fileio.h"

int text_load(TextData *d, const char *path, Status *st)
{
    d->bytes = NULL;
    d->n = 0;
    return file_read_all(path, TEXT_MAX_BYTES, &d->bytes, &d->n, st);
}

void text_free(TextData *d)
{
    if (!d) return;
    free(d->bytes);
    d->bytes = NULL;
    d->n = 0;
}

void text_random_batch(const TextData *d, Rng *rng, int *inputs, int *targets, int B, int T)
{
    size_t span = d->n - (size_t)T; /* starts 0 .. n - T - 1 */
    for (int b = 0; b < B; b++) {
        size_t start = span > UINT32_MAX ? (size_t)((double)rng_uniform(rng) * (double)span)
                                         : rng_below(rng, (uint32_t)span);
        for (int t = 0; t < T; t++) {
            inputs[b * T + t] = d->bytes[start + t];
            targets[b * T + t] = d->bytes[start + t + 1];
        }
    }
}

size_t text_eval_windows(size_t n, int T)
{
    if (T < 1 || n < (size_t)T + 1) return 0;
    return (n - 1) / (size_t)T;
}

void text_eval_batch(const TextData *d, size_t first, int count, int *inputs, int *targets, int T)
{
    for (int b = 0; b < count; b++) {
        size_t start = (first + (size_t)b) * (size_t)T;
        for (int t = 0; t < T; t++) {
            inputs[b * T + t] = d->bytes[start + t];
            targets[b * T + t] = d->bytes[start + t + 1];
        }
    }
}

int gpt_eval_text(Gpt *m, const TextData *d, int B, size_t max_windows, EvalResult *out, Status *st)
{
    int T = m->cfg.n_positions;
    size_t W = text_eval_windows(d->n, T);
    if (W == 0)
        return status_fail(st, LS_ERR_RANGE, "text of %zu bytes has no window of %d bytes", d->n, T + 1);
    size_t use = (max_windows > 0 && max_windows < W) ? max_windows : W;
    if (B < 1) B = 1;
    int rc = gpt_reserve(m, B, T, st);
    if (rc) return rc;
    int *inputs = malloc((size_t)B * T * sizeof(int)), *targets = malloc((size_t)B * T * sizeof(int));
    if (!inputs || !targets) {
        free(inputs);
        free(targets);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    double sum = 0.0;
    for (size_t i = 0; i < use && !rc; i += (size_t)B) {
        int count = (int)(use - i < (size_t)B ? use - i : (size_t)B);
        if (use == W) {
            text_eval_batch(d, i, count, inputs, targets, T);
        } else {
            /* A capped evaluation takes evenly spaced windows. */
            for (int b = 0; b < count; b++)
                text_eval_batch(d, (i + (size_t)b) * W / use, 1, inputs + b * T, targets + b * T, T);
        }
        rc = gpt_forward(m, inputs, targets, count, T, false, st);
        for (size_t j = 0; !rc && j < (size_t)count * T; j++) sum += m->acts.losses[j];
    }
    free(inputs);
    free(targets);
    if (rc) return rc;
    out->windows = use;
    out->tokens = use * (size_t)T;
    out->nats = sum / (double)out->tokens;
    out->bits_per_byte = out->nats / log(2.0);
    if (!isfinite(out->nats)) return gpt_fail_nonfinite(m, "the loss", st);
    return LS_OK;
}

double text_unigram_bits(const TextData *d, int T)
{
    size_t count[256] = {0}, total = 0;
    if (T <= 0) {
        for (size_t i = 0; i < d->n; i++) count[d->bytes[i]]++;
        total = d->n;
    } else {
        size_t W = text_eval_windows(d->n, T);
        for (size_t w = 0; w < W; w++)
            for (int t = 1; t <= T; t++) count[d->bytes[w * (size_t)T + (size_t)t]]++;
        total = W * (size_t)T;
    }
    if (total == 0) return 0.0;
    double h = 0.0;
    for (int i = 0; i < 256; i++)
        if (count[i]) {
            double p = (double)count[i] / (double)total;
            h -= p * log2(p);
        }
    return h;
}
