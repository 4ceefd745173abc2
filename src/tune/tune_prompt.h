/* tune_prompt.h — prompt tuning's loader from bytes in memory, for the
 * fuzz harness (tests/fuzz/fuzz_prompt.c); everything else of the method
 * is its registry row (tune_prompt.c). */
#ifndef LS_TUNE_PROMPT_H
#define LS_TUNE_PROMPT_H

#include <stddef.h>

#include "tune.h"

/* Read a PROMPT_TUNING adapter (adapter_config.json's bytes, then
 * adapter_model.safetensors' bytes) for model m and hook it into m; *held
 * gets what must outlive the evaluation (free it with the row's free_state,
 * after which m's hook must not run). On error m is left as it came. */
int prompt_load_memory(Gpt *m, const char *config, size_t clen, const unsigned char *model,
                       size_t mlen, void **held, Status *st);

#endif
