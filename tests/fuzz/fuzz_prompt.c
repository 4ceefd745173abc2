/* fuzz_prompt.c — libFuzzer harness: prompt tuning's adapter loader
 * (PEFT's PROMPT_TUNING layout). A broken adapter_config.json or
 * adapter_model.safetensors must be reported, never crash, and a prompt
 * that loads must run through the model. Input: 2 bytes (little-endian) n,
 * then n bytes of config JSON, the rest the safetensors file; the model is
 * L2 H2 C8 with 6 positions (as the seeds). */
#include <stddef.h>
#include <stdint.h>

#include "../../src/tune/tune_prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8;
    if (n > size - 2) n = size - 2;
    GptConfig cfg = gpt_config_make(2, 2, 8, 6);
    Gpt m;
    Status st;
    if (gpt_init(&m, &cfg, &st) != LS_OK) return 0;
    void *held = NULL;
    if (prompt_load_memory(&m, (const char *)data + 2, n, data + 2 + n, size - 2 - n, &held,
                           &st) == LS_OK) {
        /* What eval does with a loaded prompt: a forward pass through it. */
        static const int tokens[3] = {'a', 'b', 'c'}, targets[3] = {'b', 'c', 'd'};
        if (gpt_reserve(&m, 1, 3, &st) == LS_OK) gpt_forward(&m, tokens, targets, 1, 3, false, &st);
        tune_method(TUNE_PROMPT)->free_state(held);
        m.hooks.input_rows = 0, m.hooks.input_embd = NULL, m.hooks.ctx = NULL;
    }
    gpt_free(&m);
    return 0;
}
