/* fuzz_progress.c — libFuzzer harness: the progress file reader. A corrupt
 * progress file must be reported and ignored, never crash the program. */
#include <stddef.h>
#include <stdint.h>

#include "../../src/lesson/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Progress p;
    Status st;
    progress_init(&p);
    if (progress_parse(&p, (const char *)data, size, &st) == LS_OK) {
        /* Exercise the queries the interface makes on loaded progress. */
        (void)progress_page(&p, "01-rank");
        (void)progress_answer(&p, "01-rank", "rank-of-sum");
    }
    progress_free(&p);
    return 0;
}
