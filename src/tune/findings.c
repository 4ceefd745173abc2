/* findings.c — the table of findings and the functions that test them
 * (see findings.h). Losses are the test part's held-out nats per byte. */
#include "findings.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../base/json_out.h"
#include "tune_lora.h"
#include "tune_prefix.h"

static const char *const verdict_names[FINDING_NUM_VERDICTS] = {
    "holds", "does not hold", "inside the noise", "not tested"};

const char *finding_verdict_name(FindingVerdict v)
{
    return v >= 0 && v < FINDING_NUM_VERDICTS ? verdict_names[v] : "?";
}

bool finding_verdict_parse(FindingVerdict *out, const char *name)
{
    for (int i = 0; i < FINDING_NUM_VERDICTS; i++)
        if (strcmp(verdict_names[i], name) == 0) {
            *out = (FindingVerdict)i;
            return true;
        }
    return false;
}

// ----------------------------------------------------------------------------
// Inputs

static Spread one(double v)
{
    return spread_of(&v, 1);
}

void findings_method_init(FindingMethod *m, const char *label)
{
    memset(m, 0, sizeof *m);
    m->label = label;
    Status st;
    if (tune_spec_parse(&m->spec, label, &st)) m->spec.kind = TUNE_NUM_KINDS;
}

void findings_input_from_record(FindingsInput *in, const LabRecord *r)
{
    memset(in, 0, sizeof *in);
    snprintf(in->task, sizeof in->task, "%s", r->task);
    in->has_accuracy = r->base.has_accuracy;
    in->seeds = 1;
    in->base_params = r->base_params;
    in->base_eval_loss = one(r->base.eval_loss);
    in->n_methods = r->n_methods;
    for (int i = 0; i < r->n_methods; i++) {
        const LabRecordMethod *x = &r->methods[i];
        FindingMethod *m = &in->methods[i];
        findings_method_init(m, x->label);
        m->diverged = x->diverged;
        m->eval_loss = one(x->result.eval_loss);
        m->accuracy = one(x->result.has_accuracy ? x->result.accuracy : NAN);
        m->forgetting = one(x->result.forgetting);
        m->ms_per_step = one(x->ms_per_step);
        m->trainable_params = x->trainable_params;
        m->bytes = x->bytes;
    }
    if (r->has_analysis) in->analysed[in->n_analysed++] = r;
}

// ----------------------------------------------------------------------------
// Helpers

/* The method matching kind, rank (0: any), targets (0: any) and the
 * prefix MLP flag (-1: any); -1 when none. */
static int find(const FindingsInput *in, TuneKind kind, int size, unsigned targets, int mlp)
{
    for (int i = 0; i < in->n_methods; i++) {
        const TuneSpec *s = &in->methods[i].spec;
        if (s->kind != kind || tune_lora_opts(s).pissa || in->methods[i].diverged) continue;
        if (size && s->size != size) continue;
        if (targets && tune_lora_opts(s).targets != targets) continue;
        if (mlp >= 0 && tune_prefix_opts(s).mlp != (mlp != 0)) continue;
        return i;
    }
    return -1;
}

/* The plain q+v LoRA runs of smallest and largest rank. */
static void rank_range(const FindingsInput *in, int *lo, int *hi)
{
    *lo = *hi = -1;
    for (int i = 0; i < in->n_methods; i++) {
        const TuneSpec *s = &in->methods[i].spec;
        if (s->kind != TUNE_LORA || tune_lora_opts(s).pissa || tune_lora_opts(s).targets != LORA_TARGET_DEFAULT ||
            in->methods[i].diverged)
            continue;
        if (*lo < 0 || s->size < in->methods[*lo].spec.size) *lo = i;
        if (*hi < 0 || s->size > in->methods[*hi].spec.size) *hi = i;
    }
}

/* "1.9123 ± 0.0041" (one seed: "1.9123"), with d decimals. */
static const char *figd(char *buf, size_t n, const Spread *s, int d)
{
    if (s->n >= 2 && isfinite(s->std))
        snprintf(buf, n, "%.*f ± %.*f", d, s->mean, d, s->std);
    else
        snprintf(buf, n, "%.*f", d, s->mean);
    return buf;
}

static const char *fig(char *buf, size_t n, const Spread *s)
{
    return figd(buf, n, s, 4);
}

static void untested(Finding *f, const char *why)
{
    f->verdict = FINDING_UNTESTED;
    snprintf(f->value, sizeof f->value, "%s", why);
}

/* Claim: a is lower than b. */
static FindingVerdict lower(const Spread *a, const Spread *b)
{
    if (spread_inside_noise(a, b)) return FINDING_NOISE;
    return a->mean < b->mean ? FINDING_HOLDS : FINDING_FAILS;
}

static double gain(const FindingsInput *in, const FindingMethod *m)
{
    return in->base_eval_loss.mean - m->eval_loss.mean;
}

/* The value text, appended. */
static void add(Finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(Finding *f, const char *fmt, ...)
{
    size_t k = strlen(f->value);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->value + k, sizeof f->value - k, fmt, ap);
    va_end(ap);
}


// ----------------------------------------------------------------------------
// The findings

static void f_rank(const FindingsInput *in, Finding *f)
{
    int lo, hi;
    rank_range(in, &lo, &hi);
    if (lo < 0 || lo == hi) return untested(f, "needs two ranks of q+v LoRA");
    const FindingMethod *a = &in->methods[lo], *b = &in->methods[hi];
    char x[48], y[48];
    double share = gain(in, a) / gain(in, b);
    snprintf(f->value, sizeof f->value,
             "%s %s, %s %s: r = %d gets %.0f %% of r = %d's gain over the base",
             a->label, fig(x, sizeof x, &a->eval_loss), b->label, fig(y, sizeof y, &b->eval_loss),
             a->spec.size, 100 * share, b->spec.size);
    if (spread_inside_noise(&a->eval_loss, &b->eval_loss)) {
        f->verdict = FINDING_HOLDS;
        add(f, "; the difference is inside the noise");
    } else {
        f->verdict = share >= 0.9 ? FINDING_HOLDS : FINDING_FAILS;
        add(f, " (holds at 90 %% or more)");
        if (f->verdict == FINDING_FAILS)
            add(f, "; the toy model, far from its new domain, still gains from rank in this "
                   "short run (Hu et al. adapt a 175B model that already knows the task's language)");
    }
}

/* Mean over an analysis' matrices of phi(1, 1); NaN when none. */
static double phi11(const LabAnalysis *a)
{
    double s = 0;
    int n = 0;
    for (int i = 0; i < a->n_sims; i++)
        if (a->sims[i].phi) s += a->sims[i].phi[0], n++;
    return n ? s / n : NAN;
}

static void f_subspace(const FindingsInput *in, Finding *f)
{
    double v[FINDINGS_MAX_RECORDS];
    int n = 0, rs = 0, rl = 0, dim = 0;
    for (int k = 0; k < in->n_analysed; k++) {
        const LabAnalysis *a = &in->analysed[k]->analysis;
        if (a->small_method < 0 || a->n_sims == 0) continue;
        v[n++] = phi11(a);
        rs = a->r_small, rl = a->r_large, dim = a->sim_in;
    }
    if (n == 0) return untested(f, "needs the analysis of two LoRA ranks");
    Spread s = spread_of(v, n);
    char x[48];
    snprintf(f->value, sizeof f->value,
             "phi(A_r=%d, A_r=%d, 1, 1) = %s, mean over layers and matrices", rs, rl,
             fig(x, sizeof x, &s));
    if (dim > 0) add(f, " (random directions: %.3f)", 1.0 / dim);
    bool noise = s.n >= 2 && fabs(s.mean - 0.5) < s.std;
    f->verdict = noise ? FINDING_NOISE : s.mean > 0.5 ? FINDING_HOLDS : FINDING_FAILS;
    add(f, "; holds above 0.5");
}

/* Mean amplification figures of method index m in analysis a. */
static bool amp_of(const LabAnalysis *a, int m, double *factor, double *proj, double *top,
                   double *rnd)
{
    double s[4] = {0};
    int n = 0;
    for (int i = 0; i < a->n_amps; i++) {
        const Amplification *x = &a->amps[i].amp;
        if (a->amps[i].method != m || !isfinite(x->factor)) continue;
        s[0] += x->factor, s[1] += x->proj, s[2] += x->proj_top, s[3] += x->proj_random;
        n++;
    }
    if (!n) return false;
    *factor = s[0] / n, *proj = s[1] / n, *top = s[2] / n, *rnd = s[3] / n;
    return true;
}

static void f_amplification(const FindingsInput *in, Finding *f)
{
    double fs[FINDINGS_MAX_RECORDS], fl[FINDINGS_MAX_RECORDS], pr[FINDINGS_MAX_RECORDS], tp[FINDINGS_MAX_RECORDS],
        rn[FINDINGS_MAX_RECORDS];
    int n = 0, rs = 0, rl = 0;
    for (int k = 0; k < in->n_analysed; k++) {
        const LabAnalysis *a = &in->analysed[k]->analysis;
        double x, y, z, w, d;
        if (a->small_method < 0 || !amp_of(a, a->small_method, &fs[n], &x, &y, &z) ||
            !amp_of(a, a->large_method, &fl[n], &w, &d, &d))
            continue;
        pr[n] = x, tp[n] = y, rn[n] = z;
        rs = a->r_small, rl = a->r_large;
        n++;
    }
    if (n == 0) return untested(f, "needs the analysis of two LoRA ranks");
    Spread a = spread_of(fs, n), b = spread_of(fl, n), p = spread_of(pr, n), t = spread_of(tp, n),
           r = spread_of(rn, n);
    char x[48], y[48];
    snprintf(f->value, sizeof f->value,
             "r = %d: ||U^T W V|| %.3f along dW's directions, %.3f along W's own top ones, %.3f "
             "along random ones; factor %s at r = %d, %s at r = %d",
             rs, p.mean, t.mean, r.mean, figd(x, sizeof x, &a, 1), rs, figd(y, sizeof y, &b, 1), rl);
    bool not_top = p.mean < 0.5 * t.mean, above_random = p.mean > r.mean;
    if (not_top && above_random && a.mean > b.mean)
        f->verdict = spread_inside_noise(&a, &b) ? FINDING_NOISE : FINDING_HOLDS;
    else {
        f->verdict = FINDING_FAILS;
        add(f, "; %s", !not_top         ? "dW follows W's top directions"
                       : !above_random ? "dW's directions are no more in W than random ones"
                                       : "the factor does not fall with rank");
    }
}

static void f_targets(const FindingsInput *in, Finding *f)
{
    int qv = find(in, TUNE_LORA, 0, LORA_TARGET_DEFAULT, -1);
    int all = -1;
    for (int i = 0; i < in->n_methods; i++)
        if (in->methods[i].spec.kind == TUNE_LORA && tune_lora_opts(&in->methods[i].spec).targets == LORA_TARGET_ALL &&
            !in->methods[i].diverged)
            all = i;
    if (all >= 0) qv = find(in, TUNE_LORA, in->methods[all].spec.size, LORA_TARGET_DEFAULT, -1);
    int full = find(in, TUNE_FULL, 0, 0, -1);
    if (qv < 0 || all < 0 || full < 0)
        return untested(f, "needs full tuning and LoRA of one rank on q+v and on all layers");
    const FindingMethod *a = &in->methods[all], *q = &in->methods[qv], *u = &in->methods[full];
    char x[48], y[48], z[48];
    snprintf(f->value, sizeof f->value,
             "all layers %s (%.0f %% of full tuning's gain), q+v %s (%.0f %%), full %s",
             fig(x, sizeof x, &a->eval_loss), 100 * gain(in, a) / gain(in, u),
             fig(y, sizeof y, &q->eval_loss), 100 * gain(in, q) / gain(in, u),
             fig(z, sizeof z, &u->eval_loss));
    f->verdict = lower(&a->eval_loss, &q->eval_loss);
    if (f->verdict == FINDING_HOLDS && !spread_inside_noise(&a->eval_loss, &u->eval_loss) &&
        a->eval_loss.mean > u->eval_loss.mean)
        add(f, "; all layers still trails full tuning here");
}

static void f_biderman(const FindingsInput *in, Finding *f)
{
    int full = find(in, TUNE_FULL, 0, 0, -1), l = -1;
    for (int i = 0; i < in->n_methods && l < 0; i++)
        if (in->methods[i].spec.kind == TUNE_LORA && tune_lora_opts(&in->methods[i].spec).targets == LORA_TARGET_ALL &&
            !in->methods[i].diverged)
            l = i;
    if (l < 0) l = find(in, TUNE_LORA, 8, LORA_TARGET_DEFAULT, -1);
    if (full < 0 || l < 0) return untested(f, "needs full tuning and LoRA");
    const FindingMethod *a = &in->methods[l], *u = &in->methods[full];
    char x[48], y[48], z[48], w[48];
    snprintf(f->value, sizeof f->value,
             "%s: held-out %s against full's %s; forgetting %s against full's %s", a->label,
             fig(x, sizeof x, &a->eval_loss), fig(y, sizeof y, &u->eval_loss),
             fig(z, sizeof z, &a->forgetting), fig(w, sizeof w, &u->forgetting));
    FindingVerdict learns = lower(&u->eval_loss, &a->eval_loss);   /* LoRA learns less */
    FindingVerdict forgets = lower(&a->forgetting, &u->forgetting); /* LoRA forgets less */
    if (learns == FINDING_FAILS || forgets == FINDING_FAILS) {
        f->verdict = FINDING_FAILS;
        add(f, "; %s", learns == FINDING_FAILS ? "LoRA learned as much or more"
                                               : "LoRA forgot as much or more");
    } else if (learns == FINDING_HOLDS && forgets == FINDING_HOLDS)
        f->verdict = FINDING_HOLDS;
    else
        f->verdict = FINDING_NOISE;
}

static void f_qlora(const FindingsInput *in, Finding *f)
{
    int q = find(in, TUNE_QLORA, 0, 0, -1), l = -1;
    if (q >= 0) l = find(in, TUNE_LORA, in->methods[q].spec.size, tune_lora_opts(&in->methods[q].spec).targets, -1);
    if (q < 0 || l < 0) return untested(f, "needs QLoRA and LoRA of the same rank and targets");
    const FindingMethod *a = &in->methods[q], *b = &in->methods[l];
    char x[48], y[48];
    double d = a->eval_loss.mean - b->eval_loss.mean;
    snprintf(f->value, sizeof f->value, "%s %s, %s on the fp32 base %s: difference %+.4f nats",
             a->label, fig(x, sizeof x, &a->eval_loss), b->label, fig(y, sizeof y, &b->eval_loss),
             d);
    bool noise = spread_inside_noise(&a->eval_loss, &b->eval_loss);
    f->verdict = noise || fabs(d) < 0.01 ? FINDING_HOLDS : FINDING_FAILS;
    add(f, noise ? ", inside the noise" : fabs(d) < 0.01 ? ", below the 0.01 nats allowed" : ", more than the 0.01 nats allowed");
}

static void f_prefix(const FindingsInput *in, Finding *f)
{
    int p = find(in, TUNE_PREFIX, 0, 0, 0), l = -1;
    for (int i = 0; p >= 0 && i < in->n_methods && l < 0; i++)
        if (in->methods[i].spec.kind == TUNE_LORA && !in->methods[i].diverged &&
            in->methods[i].trainable_params == in->methods[p].trainable_params)
            l = i;
    if (p < 0 || l < 0)
        return untested(f, "needs prefix tuning and LoRA with as many trainable parameters");
    const FindingMethod *a = &in->methods[l], *b = &in->methods[p];
    char x[48], y[48];
    snprintf(f->value, sizeof f->value, "%zu trainable parameters each: %s %s, %s %s",
             a->trainable_params, a->label, fig(x, sizeof x, &a->eval_loss), b->label,
             fig(y, sizeof y, &b->eval_loss));
    f->verdict = lower(&a->eval_loss, &b->eval_loss);
}

static void f_prefix_mlp(const FindingsInput *in, Finding *f)
{
    int d = find(in, TUNE_PREFIX, 0, 0, 0), m = -1;
    if (d >= 0) m = find(in, TUNE_PREFIX, in->methods[d].spec.size, 0, 1);
    if (d < 0 || m < 0) return untested(f, "needs prefix tuning with and without the MLP");
    const FindingMethod *a = &in->methods[m], *b = &in->methods[d];
    char x[48], y[48];
    snprintf(f->value, sizeof f->value, "%s %s, %s %s", a->label, fig(x, sizeof x, &a->eval_loss),
             b->label, fig(y, sizeof y, &b->eval_loss));
    f->verdict = lower(&a->eval_loss, &b->eval_loss);
}

/* Deep against shallow: the prefix (keys and values in every layer)
 * against prompt tuning (input embeddings only) of the same length. */
static void f_prompt(const FindingsInput *in, Finding *f)
{
    int d = find(in, TUNE_PREFIX, 0, 0, 0), p = -1;
    if (d >= 0) p = find(in, TUNE_PROMPT, in->methods[d].spec.size, 0, -1);
    if (d < 0 || p < 0) return untested(f, "needs prefix tuning (without its MLP) and prompt tuning of the same length");
    const FindingMethod *a = &in->methods[d], *b = &in->methods[p];
    char x[48], y[48];
    snprintf(f->value, sizeof f->value, "%s (%zu parameters) %s, %s (%zu) %s", a->label,
             a->trainable_params, fig(x, sizeof x, &a->eval_loss), b->label, b->trainable_params,
             fig(y, sizeof y, &b->eval_loss));
    f->verdict = lower(&a->eval_loss, &b->eval_loss);
}

static void f_dora(const FindingsInput *in, Finding *f)
{
    int d = find(in, TUNE_DORA, 0, 0, -1), l = -1;
    if (d >= 0) l = find(in, TUNE_LORA, in->methods[d].spec.size, tune_lora_opts(&in->methods[d].spec).targets, -1);
    if (d < 0 || l < 0) return untested(f, "needs DoRA and LoRA of the same rank and targets");
    const FindingMethod *a = &in->methods[d], *b = &in->methods[l];
    char x[48], y[48];
    snprintf(f->value, sizeof f->value, "%s %s, %s %s", a->label, fig(x, sizeof x, &a->eval_loss),
             b->label, fig(y, sizeof y, &b->eval_loss));
    f->verdict = lower(&a->eval_loss, &b->eval_loss);
}

static void f_ia3(const FindingsInput *in, Finding *f)
{
    int i3 = find(in, TUNE_IA3, 0, 0, -1), l = find(in, TUNE_LORA, 8, LORA_TARGET_DEFAULT, -1);
    if (l < 0) l = find(in, TUNE_LORA, 0, LORA_TARGET_DEFAULT, -1);
    if (i3 < 0 || l < 0) return untested(f, "needs IA3 and q+v LoRA");
    const FindingMethod *a = &in->methods[i3], *b = &in->methods[l];
    char x[48], y[48];
    snprintf(f->value, sizeof f->value, "ia3 (%zu parameters) %s, %s (%zu) %s",
             a->trainable_params, fig(x, sizeof x, &a->eval_loss), b->label, b->trainable_params,
             fig(y, sizeof y, &b->eval_loss));
    f->verdict = lower(&a->eval_loss, &b->eval_loss);
}

static void f_step_time(const FindingsInput *in, Finding *f)
{
    int full = find(in, TUNE_FULL, 0, 0, -1), l = find(in, TUNE_LORA, 8, LORA_TARGET_DEFAULT, -1);
    if (l < 0) l = find(in, TUNE_LORA, 0, LORA_TARGET_DEFAULT, -1);
    if (full < 0 || l < 0) return untested(f, "needs full tuning and q+v LoRA");
    const FindingMethod *a = &in->methods[l], *u = &in->methods[full];
    double ratio = a->ms_per_step.mean / u->ms_per_step.mean;
    char x[48], y[48];
    snprintf(f->value, sizeof f->value,
             "%s %s ms a step, full %s ms: ratio %.2f against 4N/6N = 0.67", a->label,
             figd(x, sizeof x, &a->ms_per_step, 1), figd(y, sizeof y, &u->ms_per_step, 1), ratio);
    if (!isfinite(ratio)) return untested(f, "no step times");
    f->verdict = fabs(ratio - 4.0 / 6.0) <= 0.15 ? FINDING_HOLDS : FINDING_FAILS;
    add(f, " (holds within 0.15)");
    if (f->verdict == FINDING_FAILS)
        add(f, "; at this size the products are small, so attention, layer norms, the "
               "adapter's own work and thread hand-offs weigh more than the 2N saved");
}

static void f_memory(const FindingsInput *in, Finding *f)
{
    int full = find(in, TUNE_FULL, 0, 0, -1), l = find(in, TUNE_LORA, 8, LORA_TARGET_DEFAULT, -1);
    if (l < 0) l = find(in, TUNE_LORA, 0, LORA_TARGET_DEFAULT, -1);
    if (full < 0 || l < 0 || in->base_params == 0) return untested(f, "needs full tuning and LoRA");
    const FindingMethod *a = &in->methods[l], *u = &in->methods[full];
    double N = (double)in->base_params, n = (double)a->trainable_params;
    double mf = (double)(u->bytes.total - u->bytes.activations), pf = 16 * N;
    double ml = (double)(a->bytes.total - a->bytes.activations), pl = 4 * N + 16 * n;
    snprintf(f->value, sizeof f->value,
             "without activations: full %.2f MB against 16 B x N = %.2f MB; %s %.2f MB against "
             "4 B x N + 16 B x %.0f = %.2f MB",
             mf / 1e6, pf / 1e6, a->label, ml / 1e6, n, pl / 1e6);
    int q = find(in, TUNE_QLORA, 0, 0, -1);
    if (q >= 0)
        add(f, "; %s's frozen base %.2f B a parameter", in->methods[q].label,
            (double)in->methods[q].bytes.frozen / N);
    f->verdict =
        fabs(mf / pf - 1) <= 0.05 && fabs(ml / pl - 1) <= 0.05 ? FINDING_HOLDS : FINDING_FAILS;
    add(f, " (holds within 5 %%)");
}

/* The table: one row per finding. */
typedef struct FindingRow {
    const char *id, *claim, *source;
    void (*compute)(const FindingsInput *in, Finding *f);
    const char *why; /* appended when it does not hold here: the difference of scale */
} FindingRow;

static const FindingRow rows[] = {
    {"rank_saturation",
     "a very low rank already does about as well as a high one (on GPT-3 with W_q, W_v, r = 1 "
     "is within about half a point of r = 64)",
     "Hu et al. 2021, Table 6 and section 7", f_rank, NULL},
    {"subspace_similarity",
     "the top direction a low-rank adapter learns is also found at a high rank: phi(A_r=8, "
     "A_r=64, 1, 1) > 0.5, far above random",
     "Hu et al. 2021, section 7.2, Figure 3", f_subspace,
     "; Hu et al. compare r = 8 and r = 64 on GPT-3's 12,288-wide layers, here r = 1 and 16 on "
     "128-wide ones after 110 steps"},
    {"amplification",
     "dW amplifies directions W has but does not emphasise: ||U^T W V|| along dW's directions is "
     "far below W's own top directions and above random, the factor ||dW|| / ||U^T W V|| about "
     "21.5 at r = 4 and much smaller at r = 64",
     "Hu et al. 2021, section 7.3, Table 7", f_amplification, NULL},
    {"all_linear_layers",
     "LoRA on all linear layers is needed to match full fine-tuning; on attention alone it falls "
     "short",
     "Dettmers et al. 2023 (QLoRA), section 4, Figure 2", f_targets, NULL},
    {"learns_less_forgets_less",
     "LoRA learns less than full fine-tuning on the new domain and forgets less of the old one",
     "Biderman et al. 2024, LoRA Learns Less and Forgets Less", f_biderman,
     "; Biderman et al. train 7B models on billions of tokens of code and math, here 110 short "
     "steps in which full tuning, at its small rate, moves less"},
    {"qlora_matches_lora",
     "LoRA on a base quantised to 4-bit NormalFloat matches LoRA on the 16-bit base",
     "Dettmers et al. 2023 (QLoRA), section 4, Table 3", f_qlora,
     "; Dettmers et al. measured models from 80 million parameters up, about a hundred times "
     "this one, and the margin here is near the 0.01 nats allowed"},
    {"lora_beats_prefix",
     "at a comparable number of trainable parameters LoRA does better than prefix tuning",
     "Hu et al. 2021, Tables 3 and 4", f_prefix, NULL},
    {"prefix_mlp",
     "training the prefix through an MLP works better than updating it directly (which is "
     "unstable and slightly worse)",
     "Li & Liang 2021, section 4.3", f_prefix_mlp, NULL},
    {"prefix_beats_prompt",
     "a prefix in every layer does better than a prompt of the same length at the input only "
     "(Li & Liang); prompt tuning catches up with tuning the whole model only at billions of "
     "parameters (Lester et al.)",
     "Li & Liang 2021, section 7.2; Lester et al. 2021, Figure 1", f_prompt, NULL},
    {"dora_beats_lora", "DoRA does better than LoRA at the same rank",
     "Liu et al. 2024 (DoRA), Tables 1 and 2", f_dora, NULL},
    {"ia3_beats_lora",
     "(IA)^3, with far fewer trainable parameters, does better than LoRA (few-shot, T0)",
     "Liu et al. 2022 (T-Few), Figure 2", f_ia3,
     "; Liu et al. tune T0-3B, trained for prompted tasks, on a few examples; here a tiny model "
     "must learn a new domain, which three rescaling vectors per layer cannot hold"},
    {"step_time",
     "LoRA skips the frozen weights' gradients: about 4N instead of 6N FLOPs a token, so a "
     "step takes about 2/3 of full tuning's time (Hu et al.: 25 % faster on GPT-3)",
     "Kaplan et al. 2020 (6N); Hu et al. 2021, section 4.2", f_step_time, NULL},
    {"memory",
     "training with Adam holds 16 bytes a parameter (here in fp32: weights, gradients and two "
     "moments, 4 each; ZeRO's mixed precision: 2 + 2 + 12); a frozen base holds only its 4-byte "
     "weights (NF4: about half a byte)",
     "Rajbhandari et al. 2020 (ZeRO), section 3.1; Dettmers et al. 2023", f_memory, NULL},
};
enum { N_ROWS = sizeof rows / sizeof rows[0] };

int findings_count(void)
{
    return N_ROWS;
}

int findings_compute(const FindingsInput *in, Finding *out)
{
    for (int i = 0; i < N_ROWS; i++) {
        Finding *f = &out[i];
        memset(f, 0, sizeof *f);
        f->id = rows[i].id;
        f->claim = rows[i].claim;
        f->source = rows[i].source;
        rows[i].compute(in, f);
        if (f->verdict == FINDING_FAILS && rows[i].why) add(f, "%s", rows[i].why);
        if (in->seeds < 2 && f->verdict != FINDING_UNTESTED) add(f, "; one seed: no spread");
    }
    return N_ROWS;
}

cJSON *findings_json(const Finding *f, int n, const char *task)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", f[i].id);
        if (task) cJSON_AddStringToObject(o, "task", task);
        cJSON_AddStringToObject(o, "claim", f[i].claim);
        cJSON_AddStringToObject(o, "source", f[i].source);
        cJSON_AddStringToObject(o, "value", f[i].value);
        cJSON_AddStringToObject(o, "verdict", finding_verdict_name(f[i].verdict));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}
