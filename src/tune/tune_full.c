/* tune_full.c — full fine-tuning as a row of the method registry: every
 * parameter of the model trains; the result is a whole model folder
 * (checkpoint.h). No state of its own: the model is the method. */
#include <stdio.h>

#include "../nn/checkpoint.h"
#include "tune.h"

static void full_spec_make(TuneSpec *s, int size)
{
    (void)size;
    snprintf(s->label, sizeof s->label, "full");
}

static int full_setup(TuneRun *r, unsigned long long seed, const int *start, int n_start,
                      Status *st)
{
    (void)seed, (void)start, (void)n_start;
    r->trainable_params = r->model.num_params;
    r->total_params = r->model.num_params;
    return gpt_alloc_grads(&r->model, st);
}

static int full_spans(const TuneRun *r, TuneSpan *out)
{
    int n = 0;
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        if (!r->model.grads.t[id]) continue;
        GptTensorInfo ti = gpt_tensor_info(&r->model.cfg, (GptTensorId)id);
        out[n++] = (TuneSpan){r->model.params.t[id], r->model.grads.t[id],
                              gpt_tensor_numel(&r->model.cfg, (GptTensorId)id), ti.decay};
    }
    return n;
}

static void full_zero(TuneRun *r)
{
    gpt_zero_grad(&r->model);
}

static int full_save(TuneRun *r, const char *dir, const char *base_name, Status *st)
{
    (void)base_name;
    return gpt_save(&r->model, dir, st);
}

const TuneMethod tune_method_full = {
    .name = "full",
    .kind = TUNE_FULL,
    /* Full tuning moves every weight and wants the smallest rate (see tune.c). */
    .default_lr = 3e-3f,
    .summary = "every parameter trained",
    .help = "",
    .spec_make = full_spec_make,
    .setup = full_setup,
    .spans = full_spans,
    .zero_grad = full_zero,
    .trains_model_weights = true,
    .save = full_save,
    .mark = 'F',
    .colour = TUNE_COLOUR_RED,
    .lab_on = true,
    .lab_help = "full fine-tuning",
};
