/* findings.h — published findings about LoRA and its relatives, each tested
 * on a lab's numbers: "paper: claim (source) — this run: value — verdict".
 *
 * The findings are a table of rows (findings.c), one per finding: its
 * claim, its source and a function that computes the value text and the
 * verdict from a FindingsInput. Adding a finding is adding a row.
 *
 * A FindingsInput is the figures of every method of one task: from one
 * lab (one seed: no spread, so nothing is called noise) or from an
 * experiment's summary (each method at its chosen rate, mean and sample
 * std over seeds). Verdicts:
 *   holds            the run agrees with the claim, beyond the noise
 *   does not hold    it disagrees, beyond the noise
 *   inside the noise the difference the claim is about is smaller than the
 *                    spread over seeds (spread.h's rule)
 *   not tested       the run lacks a method the finding needs
 * A claim that two things are close (QLoRA vs LoRA, rank saturation) holds
 * when their difference is inside the noise or below the finding's stated
 * tolerance. Where the toy model disagrees, the value text says so and
 * why (scale). */
#ifndef LS_FINDINGS_H
#define LS_FINDINGS_H

#include <cjson/cJSON.h>

#include "lab_file.h"
#include "spread.h"

typedef enum FindingVerdict {
    FINDING_HOLDS,
    FINDING_FAILS,
    FINDING_NOISE,
    FINDING_UNTESTED,
    FINDING_NUM_VERDICTS
} FindingVerdict;

/* "holds", "does not hold", "inside the noise", "not tested". */
const char *finding_verdict_name(FindingVerdict v);
bool finding_verdict_parse(FindingVerdict *out, const char *name);

enum { FINDINGS_MAX_RECORDS = 16 }; /* seeds of an experiment (experiment.h checks) */

typedef struct FindingMethod {
    const char *label;
    TuneSpec spec; /* parsed from the label */
    bool diverged; /* in any seed */
    Spread eval_loss, accuracy, forgetting, ms_per_step;
    size_t trainable_params;
    TuneBytes bytes; /* of the first seed (the same in every seed) */
} FindingMethod;

typedef struct FindingsInput {
    char task[16];
    bool has_accuracy;
    int seeds;
    size_t base_params;
    Spread base_eval_loss;
    int n_methods;
    FindingMethod methods[LAB_MAX_METHODS];
    /* Records whose analysis the φ and amplification findings read, one
     * per seed (their method indices refer to their own methods). */
    const LabRecord *analysed[FINDINGS_MAX_RECORDS];
    int n_analysed;
} FindingsInput;

enum { FINDING_VALUE_MAX = 400, FINDINGS_MAX = 32 };

typedef struct Finding {
    const char *id, *claim, *source;
    char value[FINDING_VALUE_MAX];
    FindingVerdict verdict;
} Finding;

/* From one lab's record (labels point into r). */
void findings_input_from_record(FindingsInput *in, const LabRecord *r);
/* A method's entry, its spec parsed from label (experiment.h fills an
 * input from an experiment's summary with it). */
void findings_method_init(FindingMethod *m, const char *label);

/* Every finding of the table on in; returns the count (<= FINDINGS_MAX). */
int findings_compute(const FindingsInput *in, Finding *out);
/* The table's size. */
int findings_count(void);

/* [{"claim", "source", "value", "verdict"} ...] (task: added when given). */
cJSON *findings_json(const Finding *f, int n, const char *task);

#endif
