/* fuzz_matrix_text.c — libFuzzer harness: the CSV / whitespace matrix reader.
 * Any bytes must give a matrix or a clean error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>

#include "../../src/core/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Mat m = {0};
    Status st;
    if (io_read_matrix_mem(&m, (const char *)data, size, "fuzz.csv", &st) == LS_OK) {
        /* Touch every element so a wrong size would be caught by ASan. */
        volatile float sink = 0.0f;
        for (int i = 0; i < m.rows; i++)
            for (int j = 0; j < m.cols; j++) sink += MAT_AT(&m, i, j);
        (void)sink;
    }
    mat_free(&m);
    return 0;
}
