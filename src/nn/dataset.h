/* dataset.h — byte-level text data: every byte of a file is one token.
 *
 * Training batches are random windows of T + 1 bytes (inputs are the first
 * T, targets the last T); evaluation walks fixed windows so that numbers
 * compare across tools:
 *   window w covers bytes [wT, wT + T] (T + 1 bytes); the model predicts
 *   bytes wT+1 .. wT+T from the earlier bytes of the same window; a final
 *   window shorter than T + 1 bytes is dropped. */
#ifndef LS_DATASET_H
#define LS_DATASET_H

#include <stddef.h>

#include "../base/rng.h"
#include "../base/status.h"
#include "gpt.h"

/* Largest text file read. */
#define TEXT_MAX_BYTES ((size_t)1 << 30)

typedef struct TextData {
    unsigned char *bytes; /* owned */
    size_t n;
} TextData;

int text_load(TextData *d, const char *path, Status *st);
void text_free(TextData *d);

/* Fill inputs/targets (B,T) with B windows starting at uniform random
 * offsets in [0, n - T - 1]. Needs n >= T + 1. */
void text_random_batch(const TextData *d, Rng *rng, int *inputs, int *targets, int B, int T);

/* Number of evaluation windows of T + 1 bytes (see the header comment). */
size_t text_eval_windows(size_t n, int T);
/* Fill inputs/targets (count,T) with windows first .. first + count - 1. */
void text_eval_batch(const TextData *d, size_t first, int count, int *inputs, int *targets, int T);

typedef struct EvalResult {
    double nats;           /* mean cross-entropy per predicted byte */
    double bits_per_byte;  /* nats / ln 2 */
    size_t windows;
    size_t tokens;         /* windows * T */
} EvalResult;

/* Evaluate m on the windows of d with T = n_positions, B windows per
 * forward (reserves activations for B x T). max_windows > 0 caps the count,
 * spread evenly over the file. No windows (file too short): LS_ERR_RANGE. */
int gpt_eval_text(Gpt *m, const TextData *d, int B, size_t max_windows, EvalResult *out, Status *st);

/* Cross-entropy in bits per byte of the best unigram (order-0) byte model
 * of the same bytes: the entropy of the byte frequencies of the predicted
 * bytes of the evaluation windows (every byte when T == 0). */
double text_unigram_bits(const TextData *d, int T);

#endif
