/* train.c — the training step (see train.h). */
#include "train.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

TrainConfig train_config_defaults(const GptConfig *model, int steps)
{
    AdamWConfig a = adamw_defaults();
    a.lr = 2e-3f;
    int warmup = steps / 10 < 100 ? steps / 10 : 100;
    return (TrainConfig){.batch = 32,
                         .seq = model->n_positions,
                         .steps = steps,
                         .warmup = warmup,
                         .min_lr = a.lr * 0.1f,
                         .adamw = a,
                         .grad_clip = 1.0f,
                         .seed = 1};
}

int trainer_init(Trainer *tr, Gpt *m, const TextData *data, const TrainConfig *cfg, Status *st)
{
    memset(tr, 0, sizeof *tr);
    if (cfg->batch < 1 || cfg->seq < 1 || cfg->seq > m->cfg.n_positions || cfg->steps < 1)
        return status_fail(st, LS_ERR_ARG, "bad training shape: batch %d, sequence %d (n_positions %d), steps %d",
                           cfg->batch, cfg->seq, m->cfg.n_positions, cfg->steps);
    if (data->n < (size_t)cfg->seq + 1)
        return status_fail(st, LS_ERR_RANGE, "training text of %zu bytes is shorter than one window (%d)",
                           data->n, cfg->seq + 1);
    tr->model = m;
    tr->data = data;
    tr->cfg = *cfg;
    rng_seed(&tr->rng, cfg->seed);
    int rc = LS_OK;
    if (!m->grad_block) rc = gpt_alloc_grads(m, st);
    if (!rc) rc = gpt_reserve(m, cfg->batch, cfg->seq, st);
    if (!rc) rc = adamw_init(&tr->opt, &cfg->adamw, m->num_grads, st);
    if (!rc) {
        size_t n = (size_t)cfg->batch * (size_t)cfg->seq;
        tr->inputs = malloc(n * sizeof(int));
        tr->targets = malloc(n * sizeof(int));
        if (!tr->inputs || !tr->targets) rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    if (rc) trainer_free(tr);
    return rc;
}

void trainer_free(Trainer *tr)
{
    if (!tr) return;
    adamw_free(&tr->opt);
    free(tr->inputs);
    free(tr->targets);
    tr->inputs = tr->targets = NULL;
}

int trainer_step(Trainer *tr, TrainStepInfo *info, Status *st)
{
    Gpt *m = tr->model;
    const TrainConfig *c = &tr->cfg;
    double t0 = clock_seconds();
    text_random_batch(tr->data, &tr->rng, tr->inputs, tr->targets, c->batch, c->seq);
    int rc = gpt_forward(m, tr->inputs, tr->targets, c->batch, c->seq, true, st);
    double t1 = clock_seconds();
    gpt_zero_grad(m);
    if (!rc) rc = gpt_backward(m, st);
    if (rc) return rc;
    double t2 = clock_seconds();
    double norm = grad_clip(m->grad_block, m->num_grads, c->grad_clip);
    float lr = lr_schedule(tr->step, c->warmup, c->steps, c->adamw.lr, c->min_lr);
    adamw_begin_step(&tr->opt);
    size_t offset = 0;
    for (int id = 0; id < GPT_NUM_TENSORS; id++) {
        if (!m->grads.t[id]) continue;
        size_t n = gpt_tensor_numel(&m->cfg, (GptTensorId)id);
        GptTensorInfo ti = gpt_tensor_info(&m->cfg, (GptTensorId)id);
        adamw_update(&tr->opt, m->params.t[id], m->grads.t[id], offset, n, lr, ti.decay);
        offset += n;
    }
    tr->step++;
    if (info)
        *info = (TrainStepInfo){.step = tr->step,
                                .loss = m->mean_loss,
                                .lr = lr,
                                .grad_norm = norm,
                                .t_forward = t1 - t0,
                                .t_backward = t2 - t1,
                                .t_update = clock_seconds() - t2};
    return LS_OK;
}
