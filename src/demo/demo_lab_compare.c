/* demo_lab_compare.c — lab methods compared on one table (see
 * demo_lab_compare.h). */
#include "demo_lab_compare.h"

#include <math.h>
#include <string.h>

const LabComparePreset lab_compare_presets[] = {
    {"targets", "full,lora:8,lora:8,targets=all", "LoRA r = 8 on q and v against all six matrices"},
    {"pissa", "full,lora:8,lora:8,pissa", "LoRA r = 8 from B = 0 against PiSSA's SVD start"},
    {"prefix-mlp", "full,prefix:16,prefix:16,mlp", "prefix P = 16 trained directly and through an MLP"},
    {"prompt-prefix", "full,prompt:16,prefix:16", "prompt P = 16 at the input against prefix P = 16 in every layer"},
    {NULL, NULL, NULL},
};

int lab_compare_demo_init(LabCompareDemo *d, int preset, int steps, int batch, const Gpt *base_model, Status *st)
{
    memset(d, 0, sizeof *d);
    int n = 0;
    while (lab_compare_presets[n].name) n++;
    if (preset < 0 || preset >= n) return status_fail(st, LS_ERR_RANGE, "no comparison number %d", preset);
    d->preset = &lab_compare_presets[preset];
    int rc = tune_spec_list_parse(d->specs, LAB_MAX_METHODS, &d->n_specs, d->preset->methods, st);
    if (rc) return rc;
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    s.methods = d->preset->methods;
    if (steps > 0) s.steps = steps;
    if (batch > 0) s.batch = batch;
    s.sample_bytes = -1;
    s.base_model = base_model;
    lab_demo_init(&d->run, &s);
    return LS_OK;
}

void lab_compare_demo_free(LabCompareDemo *d)
{
    if (!d) return;
    lab_demo_free(&d->run);
}

int lab_compare_demo_start(LabCompareDemo *d, Status *st)
{
    status_clear(&d->err);
    int rc = lab_demo_start(&d->run, st);
    if (rc) d->err = d->run.err;
    return rc;
}

bool lab_compare_demo_tick(LabCompareDemo *d, double budget_ms)
{
    if (!lab_demo_running(&d->run)) return false;
    lab_demo_tick(&d->run, budget_ms);
    if (d->run.state == LABD_FAILED) d->err = d->run.err;
    return true;
}

double lab_compare_gain_share(const LabCompareDemo *d, int i)
{
    const LabSnapshot *s = &d->run.snap;
    if (!d->run.have_lab || i < 0 || i >= s->n_methods || !s->base || !s->base->ready) return NAN;
    LabDemoRow full, row;
    lab_demo_row(&d->run, 0, &full);
    lab_demo_row(&d->run, i, &row);
    double base = s->base->eval_loss, gain = base - full.eval_loss;
    if (!full.final || !row.final || !(gain > 0) || row.m->diverged || full.m->diverged) return NAN;
    return (base - row.eval_loss) / gain;
}
