/* demo_lab_compare.h — a few lab methods compared on one table, for the
 * questions of lessons 5 and 6 that the default lab does not ask: which
 * matrices to adapt (q + v against all), PiSSA against LoRA, the prefix
 * with and without its MLP.
 *
 * Each comparison is a row of lab_compare_presets: a methods list for the
 * lab (always with full fine-tuning, the yardstick). A button runs it (the
 * lab through the tick hook, same batches for every method); the table
 * gives each method's trained parameters, held-out loss, its share of full
 * fine-tuning's gain, (base − method) / (base − full), and its forgetting. */
#ifndef LS_DEMO_LAB_COMPARE_H
#define LS_DEMO_LAB_COMPARE_H

#include <stdbool.h>

#include "../base/status.h"
#include "demo_lab.h"

typedef struct LabComparePreset {
    const char *name;    /* the lesson's word: "targets" */
    const char *methods; /* the lab's list, full first */
    const char *what;    /* one line for the screen */
} LabComparePreset;

/* NULL-terminated by name; the schema's `compare` choices follow it. */
extern const LabComparePreset lab_compare_presets[];

typedef struct LabCompareDemo {
    const LabComparePreset *preset;
    TuneSpec specs[LAB_MAX_METHODS]; /* the preset's methods, parsed (labels for the table) */
    int n_specs;
    LabDemo run;
    Status err;
} LabCompareDemo;

/* steps, batch 0: the lab's; base_model NULL: data/models/base. */
int lab_compare_demo_init(LabCompareDemo *d, int preset, int steps, int batch, const Gpt *base_model, Status *st);
void lab_compare_demo_free(LabCompareDemo *d);
int lab_compare_demo_start(LabCompareDemo *d, Status *st);
bool lab_compare_demo_tick(LabCompareDemo *d, double budget_ms);
/* (base − method) / (base − full) of row i's held-out loss: NaN until
 * both are known or when full gained nothing. */
double lab_compare_gain_share(const LabCompareDemo *d, int i);

#endif
