/* tune_prefix.h — the prefix method's options in a spec (TuneSpec.opts),
 * for whoever inspects a prefix run (its MLP reparameterisation); written
 * by tune_prefix.c's option table. */
#ifndef LS_TUNE_PREFIX_H
#define LS_TUNE_PREFIX_H

#include <stdbool.h>

#include "tune.h"

typedef struct PrefixOpts {
    bool mlp;   /* train through the MLP reparameterisation */
    int hidden; /* its hidden width (0: n_embd) */
} PrefixOpts;

_Static_assert(sizeof(PrefixOpts) <= TUNE_OPTS_BYTES, "the prefix's options fit a spec");

/* The options of a prefix spec (all zero for any other method). */
PrefixOpts tune_prefix_opts(const TuneSpec *s);

#endif
