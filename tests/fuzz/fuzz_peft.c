/* fuzz_peft.c — libFuzzer harness: the PEFT LoRA adapter loader. A broken
 * adapter_config.json or adapter_model.safetensors must be reported, never
 * crash. Input: 2 bytes (little-endian) n, then n bytes of config JSON, the
 * rest the safetensors file; the model is L2 H2 C8 (as the seeds). */
#include <stddef.h>
#include <stdint.h>

#include "../../src/tune/peft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8;
    if (n > size - 2) n = size - 2;
    GptConfig cfg = gpt_config_make(2, 2, 8, 6);
    PeftLora p;
    Status st;
    if (peft_load_lora_memory(&p, &cfg, (const char *)data + 2, n, data + 2 + n, size - 2 - n,
                              &st) == LS_OK) {
        /* Exercise what a caller does with a loaded adapter. */
        Gpt m;
        if (gpt_init(&m, &cfg, NULL) == LS_OK) {
            lora_add_to(&p.lora, &m, 1.0f);
            gpt_free(&m);
        }
        peft_lora_free(&p);
    }
    return 0;
}
