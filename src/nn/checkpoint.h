/* checkpoint.h — a GPT as a Hugging Face model folder.
 *
 * A model is a folder with
 *   config.json         GPT2Config keys (model_type "gpt2", vocab_size 256,
 *                       n_positions, n_embd, n_layer, n_head,
 *                       layer_norm_epsilon, activation_function "gelu_new",
 *                       architectures ["GPT2LMHeadModel"], ...)
 *   model.safetensors   F32 tensors named as GPT2LMHeadModel's state dict,
 *                       Conv1D weights stored (in, out); the LM head is tied
 *                       to transformer.wte.weight and not stored
 * so `GPT2LMHeadModel.from_pretrained(folder)` loads it as is.
 *
 * Loading checks everything and reports the file and tensor at fault:
 * config sanity, every expected tensor present with dtype F32 (the only
 * dtype lorascope reads) and the shape the config implies, finite values.
 * Extra tensors are an ERROR (a renamed or misplaced tensor must not be
 * silently ignored), except three known harmless ones: the causal-mask
 * buffers older transformers versions saved (transformer.h.N.attn.bias and
 * .attn.masked_bias) and lm_head.weight when it equals wte (tied). Saving
 * writes both files atomically (temp file + rename). */
#ifndef LS_CHECKPOINT_H
#define LS_CHECKPOINT_H

#include <stddef.h>

#include "../base/status.h"
#include "gpt.h"

/* Largest model.safetensors / config.json read (bytes). */
#define CHECKPOINT_MAX_MODEL_BYTES ((size_t)1 << 31)
#define CHECKPOINT_MAX_CONFIG_BYTES ((size_t)1 << 20)

/* Parse config.json text into cfg (checked with gpt_config_check). */
int gpt_config_parse(GptConfig *cfg, const char *text, size_t len, Status *st);
/* config.json text for cfg (malloc'd, caller frees), or NULL if out of memory. */
char *gpt_config_json(const GptConfig *cfg);

/* Load the folder dir into m (gpt_init'ed here; free with gpt_free). */
int gpt_load(Gpt *m, const char *dir, Status *st);
/* The same from bytes in memory (for fuzzers and tests); messages name
 * "config.json" and "model.safetensors". */
int gpt_load_memory(Gpt *m, const char *config_text, size_t config_len, const void *model_bytes,
                    size_t model_size, Status *st);
/* Save m into dir (created if missing). */
int gpt_save(const Gpt *m, const char *dir, Status *st);
/* The safetensors bytes of m (malloc'd), as gpt_save writes them. */
int gpt_serialize(const Gpt *m, unsigned char **out, size_t *size, Status *st);

/* Finite weights are not enough: a LayerNorm weight of 3e38 overflows float
 * as soon as it multiplies anything above 1, and the loss becomes NaN. The
 * boundaries (load, merge, save, evaluate, sample, tune) check their
 * numbers with these, never the kernels.
 * gpt_check_finite: every stored weight is finite, else an error naming the
 *   tensor and index (a merge that overflowed, say).
 * gpt_fail_nonfinite: the error for a forward whose `what` ("the loss",
 *   "the logits") came out NaN or infinite, naming the model's largest
 *   weight as the likely cause; returns LS_ERR_RANGE. */
int gpt_check_finite(const Gpt *m, Status *st);
int gpt_fail_nonfinite(const Gpt *m, const char *what, Status *st);

#endif
