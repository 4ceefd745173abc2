/* demo_lora_sim.c — φ and the amplification factor of two real LoRA runs
 * (see demo_lora_sim.h). */
#include "demo_lora_sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int lora_sim_demo_init(LoraSimDemo *d, int r_small, int r_large, int steps, int batch, const Gpt *base_model,
                       Status *st)
{
    memset(d, 0, sizeof *d);
    d->base_loss = d->loss_small = d->loss_large = NAN;
    if (r_small < 1 || r_large <= r_small)
        return status_fail(st, LS_ERR_RANGE, "the ranks must be 1 <= small < large (got %d and %d)", r_small,
                           r_large);
    d->r_small = r_small, d->r_large = r_large;
    snprintf(d->methods, sizeof d->methods, "lora:%d,lora:%d", r_small, r_large);
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    s.methods = d->methods;
    if (steps > 0) s.steps = steps;
    if (batch > 0) s.batch = batch;
    s.sample_bytes = -1;
    s.base_model = base_model;
    lab_demo_init(&d->run, &s);
    return LS_OK;
}

static void drop_analysis(LoraSimDemo *d)
{
    if (d->analysed) lab_analysis_free(&d->an);
    d->analysed = false;
}

void lora_sim_demo_free(LoraSimDemo *d)
{
    if (!d) return;
    drop_analysis(d);
    lab_demo_free(&d->run);
}

int lora_sim_demo_start(LoraSimDemo *d, Status *st)
{
    drop_analysis(d);
    status_clear(&d->err);
    d->base_loss = d->loss_small = d->loss_large = NAN;
    int rc = lab_demo_start(&d->run, st);
    if (rc) d->err = d->run.err;
    return rc;
}

static int analyse(LoraSimDemo *d, Status *st)
{
    drop_analysis(d);
    int rc = lab_analyze(&d->an, &d->run.lab, st);
    if (rc) return rc;
    d->analysed = true;
    if (d->an.small_method < 0)
        return status_fail(st, LS_ERR_RANGE, "a run diverged: nothing to compare");
    const LabSnapshot *s = &d->run.snap;
    if (s->base && s->base->ready) d->base_loss = s->base->eval_loss;
    for (int i = 0; i < s->n_methods && i < 2; i++)
        if (s->methods[i].result->ready) *(i ? &d->loss_large : &d->loss_small) = s->methods[i].result->eval_loss;
    return LS_OK;
}

bool lora_sim_demo_tick(LoraSimDemo *d, double budget_ms)
{
    if (!lab_demo_running(&d->run)) return false;
    lab_demo_tick(&d->run, budget_ms);
    if (d->run.state == LABD_FAILED) d->err = d->run.err;
    if (d->run.state == LABD_DONE) analyse(d, &d->err);
    return true;
}

const SubspaceSim *lora_sim_phi(const LoraSimDemo *d, int layer, int module)
{
    if (!d->analysed || d->an.small_method < 0) return NULL;
    int n_mod = d->an.n_sims / (d->an.n_sims ? lab_base(&d->run.lab)->cfg.n_layer : 1);
    int i = layer * n_mod + module;
    return n_mod > 0 && module < n_mod && i >= 0 && i < d->an.n_sims ? &d->an.sims[i] : NULL;
}

const Amplification *lora_sim_amp(const LoraSimDemo *d, int which, int layer, int module)
{
    if (!d->analysed) return NULL;
    int method = which ? d->an.large_method : d->an.small_method;
    const SubspaceSim *sim = lora_sim_phi(d, layer, module);
    if (method < 0 || !sim) return NULL;
    for (int i = 0; i < d->an.n_amps; i++)
        if (d->an.amps[i].method == method && strcmp(d->an.amps[i].name, sim->name) == 0) return &d->an.amps[i].amp;
    return NULL;
}
