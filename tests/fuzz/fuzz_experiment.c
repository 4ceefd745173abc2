/* fuzz_experiment.c — libFuzzer harness: an experiment file (experiment.h),
 * what the lab's `o` and `r` and `finetune --report` read. A corrupt or
 * hostile file must be refused with a message, never crash; one that is
 * accepted must summarise, write back (findings included) and give each
 * finished cell's re-run configuration. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/tune/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *o = cJSON_ParseWithLength((const char *)data, size);
    Experiment *e = malloc(sizeof *e);
    ExpTaskSummary *t = malloc(sizeof *t);
    Status st;
    if (o && e && t && experiment_parse(e, o, &st) == LS_OK) {
        for (int k = 0; k < e->cfg.n_tasks; k++) (void)experiment_summarize(e, k, t, &st);
        cJSON_Delete(experiment_json(e, &st));
        for (int i = 0; i < e->n_cells; i++) {
            if (!e->cells[i].done) continue;
            LabConfig c;
            char methods[TUNE_LABEL_MAX];
            for (int k = 0; k < e->cells[i].rec->n_methods; k++)
                (void)experiment_rerun_config(e, i, k, &c, methods, sizeof methods, &st);
        }
        experiment_free(e);
    }
    cJSON_Delete(o);
    free(t);
    free(e);
    return 0;
}
