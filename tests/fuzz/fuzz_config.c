/* fuzz_config.c — libFuzzer harness: config.json (GPT2Config) parsing and
 * its sanity checks. */
#include <stddef.h>
#include <stdint.h>

#include "../../src/nn/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GptConfig cfg;
    Status st;
    (void)gpt_config_parse(&cfg, (const char *)data, size, &st);
    return 0;
}
