/* peft.h — tuned results on disk, in Hugging Face PEFT's layout.
 *
 * A LoRA adapter is a folder with
 *   adapter_config.json        peft_type "LORA", r, lora_alpha, target_modules,
 *                              fan_in_fan_out true (GPT-2's Conv1D), use_rslora,
 *                              bias "none", task_type "CAUSAL_LM",
 *                              base_model_name_or_path, ...
 *   adapter_model.safetensors  F32 tensors
 *     base_model.model.transformer.h.N.attn.c_attn.lora_A.weight   (r, in)
 *     base_model.model.transformer.h.N.attn.c_attn.lora_B.weight   (out, r)
 *   (likewise attn.c_proj, mlp.c_fc, mlp.c_proj), so PEFT's
 *   PeftModel.from_pretrained(GPT2LMHeadModel, folder) loads it.
 *
 * How lorascope's adapters map onto that, exactly:
 *   - PEFT adapts whole layers, and GPT-2 fuses q, k and v into c_attn (C ->
 *     3C). lorascope's q and v adapters are separate rank-r LoRAs on the q
 *     and v thirds of c_attn (as the paper's W_q and W_v). Saved, they are
 *     one c_attn LoRA of rank 2r, block-diagonal: lora_A = [A_q; A_v]
 *     (2r, C), and lora_B (3C, 2r) holds B_q in rows [0, C) of its first r
 *     columns, B_v in rows [2C, 3C) of its last r columns, zeros elsewhere
 *     (the k rows are all zero). B A is then exactly the q and v updates.
 *   - PEFT has one r for all modules; a layer with fewer adapted slices is
 *     padded with zero rows of A / columns of B (which change nothing).
 *   - lora_alpha is rescaled so PEFT's scaling (alpha/r, or alpha/sqrt(r)
 *     with use_rslora) equals the run's: alpha' = s r' (or s sqrt(r')).
 *   - PiSSA changes the base (W becomes the residual), so its adapter is
 *     converted as PEFT's own PiSSA-to-LoRA conversion does: the update
 *     against the ORIGINAL base is s (B A - B0 A0), saved as rank 2r with
 *     A' = [A; A0] and B' = [B, -B0]. The file then applies to the base.
 *   Beside the adapter, `merged/` holds the model with the update merged
 *   in (a checkpoint.h folder).
 *
 * A prefix is saved as PEFT's prefix tuning saves it: adapter_config.json
 * (peft_type "PREFIX_TUNING", num_virtual_tokens P, num_layers, token_dim,
 * num_attention_heads, prefix_projection false: the MLP is dropped) and
 * adapter_model.safetensors with prompt_embeddings (P, 2 L C): row p holds
 * layer 0's key, layer 0's value, layer 1's key, ... of virtual token p.
 * One difference to know: lorascope's prefix occupies no positions (the
 * real tokens keep positions 0..T-1, as in Li & Liang), while transformers'
 * GPT-2 numbers tokens after past_key_values from P on.
 *
 * Each method writes its own files through peft_write_adapter (tune_ia3.c:
 * peft_type "IA3"; the methods' files say how they map). Positions: LoRA,
 * IA3 and DoRA move none, so their files are the same model in PEFT;
 * prefix and prompt tuning are not (see their files and lessons).
 *
 * The loader trusts nothing: every config key it relies on is checked (type
 * and range), every tensor name must be one of the names above for a layer
 * the model has, dtype F32, shapes (r, in) and (out, r), A and B in pairs,
 * the same modules in every layer, and nothing else in the file. Messages
 * name the file and the tensor or key at fault. */
#ifndef LS_PEFT_H
#define LS_PEFT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../nn/gpt.h"
#include "../nn/safetensors.h"
#include "lora.h"
#include "prefix.h"

/* Largest adapter files read. */
#define PEFT_MAX_CONFIG_BYTES ((size_t)1 << 20)
#define PEFT_MAX_MODEL_BYTES ((size_t)1 << 30)

/* A LoRA adapter as read from disk. */
typedef struct PeftLora {
    LoraAdapter lora;     /* one module per adapted layer (whole layers) */
    float alpha;          /* lora_alpha as stored */
    bool rslora;          /* use_rslora */
    char base_model[512]; /* base_model_name_or_path ("" when null) */
} PeftLora;

/* Save adapter a (for a model of config cfg) as PEFT LoRA files in dir.
 * use_rslora: how the scale is expressed in the config. init (may be NULL):
 * PiSSA's starting A and B (same layout as a->params), saved converted. */
int peft_save_lora(const LoraAdapter *a, const float *init, const GptConfig *cfg, bool use_rslora,
                   const char *dir, const char *base_name, Status *st);
/* The two files' contents without writing them (for tests): malloc'd JSON
 * text and safetensors bytes. */
int peft_lora_files(const LoraAdapter *a, const float *init, const GptConfig *cfg, bool use_rslora,
                    const char *base_name, char **config_json, unsigned char **model,
                    size_t *model_size, Status *st);

/* Load dir/adapter_config.json + dir/adapter_model.safetensors for a model
 * of config cfg. */
int peft_load_lora(PeftLora *out, const GptConfig *cfg, const char *dir, Status *st);
/* The same from bytes in memory (the fuzzer's entry point). */
int peft_load_lora_memory(PeftLora *out, const GptConfig *cfg, const char *config_json,
                          size_t config_len, const void *model, size_t model_size, Status *st);
void peft_lora_free(PeftLora *p);

/* Save a prefix (as PEFT prefix tuning) into dir. */
int peft_save_prefix(const Prefix *p, const GptConfig *cfg, const char *dir, const char *base_name,
                     Status *st);
/* Load a prefix saved so (prompt_embeddings (P, 2LC)) into p (prefix_init'ed here). */
int peft_load_prefix(Prefix *p, const GptConfig *cfg, const char *dir, Status *st);

/* A linear layer's module path inside transformer.h.N ("attn.c_attn"). */
const char *peft_linear_path(GptLinearId id);

/* The two files of any adapter: adapter_config.json (config_json, text)
 * and adapter_model.safetensors (the tensors), written whole or not at all. */
int peft_write_adapter(const char *dir, const char *config_json, const StWriteTensor *ts, int n,
                       Status *st);
/* Read both files of dir (malloc'd; sizes bounded by PEFT_MAX_*_BYTES). */
int peft_read_adapter(const char *dir, char **config_json, size_t *config_len,
                      unsigned char **model, size_t *model_size, Status *st);

/* Is key true in dir/adapter_config.json ("use_dora")? */
int peft_config_flag(const char *dir, const char *key, bool *value, Status *st);

/* "LORA" / "PREFIX_TUNING" from dir/adapter_config.json into type. */
int peft_adapter_type(const char *dir, char *type, size_t size, Status *st);

#endif
