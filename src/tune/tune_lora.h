/* tune_lora.h — LoRA's options in a method spec (TuneSpec.opts), shared by
 * the methods built on a LoRA adapter (tune_lora.c: lora and qlora;
 * tune_dora.c) and read by whoever inspects such a run (analysis.c, the
 * lora-scale demo). Written by the option table tune_lora_options. */
#ifndef LS_TUNE_LORA_H
#define LS_TUNE_LORA_H

#include <stdbool.h>

#include "tune.h"

typedef struct LoraOpts {
    float alpha;      /* lora_alpha; default 2R */
    bool alpha_set;   /* alpha= was given */
    bool rslora;      /* scale alpha / sqrt(R) */
    bool pissa;       /* PiSSA start: top-R SVD of W in A, B; W its residual */
    bool int8;        /* qlora: int8 blocks of 64 instead of NF4 */
    unsigned targets; /* LORA_TARGET_* bits (default q + v) */
} LoraOpts;

_Static_assert(sizeof(LoraOpts) <= TUNE_OPTS_BYTES, "LoRA's options fit a spec");

/* Is s a method on a LoRA adapter (lora, qlora, dora: its options are
 * LoraOpts)? */
bool tune_spec_is_lora(const TuneSpec *s);
/* The options of a lora, qlora or dora spec (all zero for any other), and
 * writing them back. */
LoraOpts tune_lora_opts(const TuneSpec *s);
void tune_lora_opts_set(TuneSpec *s, const LoraOpts *o);
/* Their defaults for rank R (alpha = 2R, targets q + v). */
LoraOpts tune_lora_opts_default(int rank);

/* alpha, rslora, targets, pissa: the first three DoRA shares. */
extern const TuneOption tune_lora_options[];

#endif
