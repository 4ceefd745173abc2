/* fuzz_lab_file.c — libFuzzer harness: a lab's results file (lab_file.h).
 * A corrupt or hostile file must be refused with a message, never crash;
 * one that is accepted must draw (its snapshot) and write back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/tune/lab_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LabRecord *r = malloc(sizeof *r);
    if (!r) return 0;
    Status st;
    if (lab_record_parse_text(r, (const char *)data, size, &st) == LS_OK) {
        LabSnapshot s;
        lab_record_snapshot(r, &s);
        cJSON *j = lab_record_json(r);
        cJSON_Delete(j);
    }
    lab_record_free(r);
    free(r);
    return 0;
}
