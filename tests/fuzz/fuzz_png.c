/* fuzz_png.c — libFuzzer harness: the PNG reader (libpng from memory). */
#include <stddef.h>
#include <stdint.h>

#include "../../src/core/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Mat m = {0};
    Status st;
    if (io_read_png_mem(&m, data, size, "fuzz.png", &st) == LS_OK) {
        volatile float sink = 0.0f;
        for (int i = 0; i < m.rows; i++)
            for (int j = 0; j < m.cols; j++) sink += MAT_AT(&m, i, j);
        (void)sink;
    }
    mat_free(&m);
    return 0;
}
