/* demo_lora_sim.h — lesson 5: the two measurements of Hu et al. §7 that say
 * why a low rank can be enough, on screen.
 *
 * A button trains two LoRA runs of the lab (ranks r₁ < r₂ on q and v, the
 * lab's task, schedule and batches); then, from their adapters:
 *
 *   φ(i, j) = ‖U₁ᵢᵀ U₂ⱼ‖²_F / min(i, j)   (§7.2)
 *     U the right singular vectors of A (r, in): do the top i input
 *     directions of the rank-r₁ run lie inside the top j of the rank-r₂
 *     run? 1 = yes; random directions give about max(i, j)/in.
 *
 *   ‖ΔW‖_F / ‖Uᵀ W V‖_F   (§7.3)
 *     with U, V the top-r singular vectors of ΔW = s·B·A: how strongly the
 *     update amplifies directions W itself hardly uses, beside ‖UᵀWV‖ for
 *     W's own top-r directions and for random ones.
 *
 * The figures are tune/analysis.c's (lab_analyze), the same that
 * `lorascope finetune` prints. */
#ifndef LS_DEMO_LORA_SIM_H
#define LS_DEMO_LORA_SIM_H

#include <stdbool.h>

#include "../base/status.h"
#include "../tune/analysis.h"
#include "demo_lab.h"

typedef struct LoraSimDemo {
    LabDemo run;             /* lora:r₁ and lora:r₂ */
    char methods[64];        /* "lora:8,lora:64" (run.set.methods points here) */
    int r_small, r_large;
    LabAnalysis an;          /* once the run is done */
    bool analysed;
    double base_loss, loss_small, loss_large; /* held-out nats per byte (NaN: none) */
    Status err;
} LoraSimDemo;

/* r_small < r_large; steps, batch 0: the lab's; base_model NULL: the base
 * model of data/models/base. The state must not move after this. */
int lora_sim_demo_init(LoraSimDemo *d, int r_small, int r_large, int steps, int batch, const Gpt *base_model,
                       Status *st);
void lora_sim_demo_free(LoraSimDemo *d);
int lora_sim_demo_start(LoraSimDemo *d, Status *st);
/* Work for budget_ms; analyses when the run ends. True when it changed. */
bool lora_sim_demo_tick(LoraSimDemo *d, double budget_ms);
/* φ of module m (0: q, 1: v) in layer l, or NULL before the analysis. */
const SubspaceSim *lora_sim_phi(const LoraSimDemo *d, int layer, int module);
/* The amplification of run `which` (0: rank r₁, 1: r₂) for that matrix. */
const Amplification *lora_sim_amp(const LoraSimDemo *d, int which, int layer, int module);

#endif
