/* fuzz_safetensors.c — libFuzzer harness: the safetensors parser and the
 * checkpoint loader. The bytes are parsed as a safetensors file, then loaded
 * as a model of a tiny fixed configuration (1 layer, 1 head, width 8,
 * context 8), so a mutated seed that stays well-formed reaches the
 * shape, dtype and coverage checks. Any bytes: a model or an error; a
 * model evaluates to a finite loss or an error. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/nn/checkpoint.h"
#include "../../src/nn/dataset.h"
#include "../../src/nn/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CONFIG[] =
    "{\"model_type\": \"gpt2\", \"vocab_size\": 256, \"n_positions\": 8, \"n_embd\": 8,"
    " \"n_layer\": 1, \"n_head\": 1, \"layer_norm_epsilon\": 1e-5,"
    " \"activation_function\": \"gelu_new\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    StFile f;
    Status st;
    if (st_parse(&f, data, size, &st) == LS_OK) {
        for (int i = 0; i < f.n; i++) (void)st_find(&f, f.tensors[i].name);
        st_free(&f);
    }
    Gpt m;
    memset(&m, 0, sizeof m);
    if (gpt_load_memory(&m, CONFIG, sizeof CONFIG - 1, data, size, &st) == LS_OK) {
        /* Finite weights can still overflow float (a LayerNorm weight of
         * 3e38): evaluating gives a finite loss or an error, never a NaN
         * reported as a result. */
        static const char text[] = "the quick brown fox jumps";
        TextData d = {(unsigned char *)text, sizeof text - 1};
        EvalResult er;
        if (gpt_eval_text(&m, &d, 1, 2, &er, &st) == LS_OK && !isfinite(er.nats)) abort();
        gpt_free(&m);
    }
    return 0;
}
