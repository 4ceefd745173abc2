/* dview_lab.c — lesson 7's lab: the controls (start/stop, task, methods,
 * prefix length, QLoRA rank, learning rate, steps), the loss curves of every
 * method in one plot, the cost table and the results table filling in live,
 * and the samples or answers once the lab is done. The work runs through
 * the tick hook: the interface calls lab_tick between input polls. */
#include "dview_lab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/paths.h"
#include "../demo/demo.h"
#include "../demo/lab_keep.h"
#include "../tune/experiment.h"
#include "../tune/findings.h"
#include "../tune/lab_file.h"
#include "dview_lab_plot.h"
#include "utf8.h"
#include "vmem.h"

/* Controls: run, task, the method toggles, then one size slider per
 * method offered once with a size (prefix P, QLoRA rank: the registry
 * says which), the knobs (demo_lab.h: LoRA targets, scale, prefix MLP),
 * then lr, steps, seed and the curves (lc_knob() ... below). */
enum { LC_RUN, LC_TASK, LC_METHODS, LC_SIZE0, LC_MAX = LC_SIZE0 + TUNE_NUM_KINDS + LAB_DEMO_KNOBS + 4 };
enum { LV_LABEL_W = 14, LV_PLOT_ROWS = 15, LV_MAX_TOGGLES = LAB_DEMO_MAX_RANKS + TUNE_NUM_KINDS };
enum { CURVES_HELDOUT, CURVES_TRAIN, CURVES_BOTH, CURVES_N };

static const char *const task_options[] = {"domain", "addition"};
static const char *const curve_options[] = {"held-out", "training", "both"};

/* A method toggle: its kind and, for a method offered at several sizes,
 * which of the offered sizes (else -1). */
typedef struct Toggle {
    TuneKind kind;
    int rank;
} Toggle;

/* A method as the tables list it. */
typedef struct LabItem {
    char label[24]; /* as lab_demo_planned's */
    TuneKind kind;
    int size;
} LabItem;

/* Where the results on screen come from. */
typedef enum LabShown {
    SHOWN_NONE,    /* not run */
    SHOWN_LIVE,    /* this visit's lab */
    SHOWN_SESSION, /* an earlier run this session */
    SHOWN_SAVED,   /* an earlier session's, saved with the progress */
    SHOWN_FILE,    /* a results file opened here */
} LabShown;

typedef struct LabView {
    LabDemo d;
    int cursor;                 /* the method toggle under the cursor */
    int n_size;                 /* size sliders */
    TuneKind size_kind[TUNE_NUM_KINDS];
    Slider size[TUNE_NUM_KINDS];
    Slider lr, steps, seed;
    SliderHit hit[LC_MAX];
    ChoiceHit task_hit, curves_hit, knob_hit[LAB_DEMO_KNOBS];
    int n_tog;
    Toggle tog[LV_MAX_TOGGLES];
    int tog_y[LV_MAX_TOGGLES], tog_x[LV_MAX_TOGGLES], tog_w[LV_MAX_TOGGLES];
    int run_y, run_x0, run_x1;
    int rows[LC_MAX];
    int curves;
    char hint[640];
    /* Results kept (lab_keep.h), opened from a file, compared with. */
    LabKeep *keep;              /* borrowed; NULL: nothing kept */
    char key[LAB_KEEP_KEY_MAX]; /* this lab's key ("" : not kept) */
    char cmp_key[LAB_KEEP_KEY_MAX];
    char cmp_id[DEMO_NAME_MAX + 1]; /* the lab compared with ("" : none) */
    char id[DEMO_NAME_MAX + 1];     /* this lab's id ("" : none given) */
    LabShown shown;
    LabRecord *opened;          /* the file shown (owned), or NULL */
    char opened_name[256];
    char note[1024];            /* why something could not be kept or opened ("" : fine) */
    bool note_error;
    bool prompting;             /* typing a file's path */
    char path[1024];
    /* The findings of the finished run shown (findings.h), computed once
     * per record. */
    const LabRecord *findings_of;
    Finding findings[FINDINGS_MAX];
    int n_findings;
    /* An experiment (experiment.h): opened, or shipped in data/lab-results
     * for the task run here. Its spread over seeds is drawn as a band
     * behind the curves of the methods run with its settings. */
    Experiment *exp;            /* owned, or NULL */
    ExpTaskSummary *exp_sum;    /* its summary for exp_task */
    TaskKind exp_task;
    bool exp_opened;            /* opened with o (else shipped) */
    bool shipped_tried[2];      /* data/lab-results/<task>.json looked for */
    /* Re-running one cell of the opened experiment live (r): choosing the
     * cell (a method at its chosen rate, a seed), then running it alone
     * with the cell's settings (experiment_rerun_config), then its figures
     * beside the shipped ones (experiment_rerun_compare). */
    int origin_y;               /* where the origin line is drawn (the prompt, the chooser) */
    bool choosing;
    int pick_m, pick_s;         /* exp_sum->methods index, its seed index */
    bool rerun;                 /* the lab shown is such a re-run */
    char rerun_methods[TUNE_LABEL_MAX];
    unsigned long long rerun_seed;
    int rerun_steps, rerun_batch;
    LabResult rerun_shipped;    /* the cell's figures for that method */
    bool rerun_checked;
    ExpRerunCheck rerun_check;
    bool results_only;          /* show = results: a kept run's results, no controls */
} LabView;

static int lc_knob(const LabView *v, int k) { return LC_SIZE0 + v->n_size + k; }
static int lc_lr(const LabView *v) { return lc_knob(v, LAB_DEMO_KNOBS); }
static int lc_steps(const LabView *v) { return lc_lr(v) + 1; }
static int lc_seed(const LabView *v) { return lc_lr(v) + 2; }
static int lc_curves(const LabView *v) { return lc_lr(v) + 3; }
static int lc_n(const LabView *v) { return lc_lr(v) + 4; }

/* The knob of control c, or -1. */
static int knob_of(const LabView *v, int c)
{
    return c >= lc_knob(v, 0) && c < lc_lr(v) ? c - lc_knob(v, 0) : -1;
}

/* The slider of control c, or NULL. */
static Slider *slider_of(LabView *v, int c)
{
    if (c >= LC_SIZE0 && c < LC_SIZE0 + v->n_size) return &v->size[c - LC_SIZE0];
    if (c == lc_lr(v)) return &v->lr;
    if (c == lc_steps(v)) return &v->steps;
    if (c == lc_seed(v)) return &v->seed;
    return NULL;
}

/* Does a chosen method take knob k's option (else the knob is dimmed)? */
static bool knob_used(const LabView *v, int k)
{
    char buf[LAB_MAX_METHODS][24];
    TuneKind kinds[LAB_MAX_METHODS];
    int n = lab_demo_planned(&v->d.set, buf, kinds, LAB_MAX_METHODS);
    for (int i = 0; i < n; i++)
        if (lab_demo_knob_applies(k, tune_method(kinds[i]))) return true;
    return false;
}

// ----------------------------------------------------------------------------
// Methods: toggles, colours and marks

/* The toggles in registry order: one per offered rank of a method with
 * several sizes, one for any other method. */
static int list_toggles(const LabView *v, Toggle *out)
{
    int n = 0;
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        if (tune_method((TuneKind)k)->several_sizes) {
            for (int i = 0; i < v->d.set.n_ranks && n < LV_MAX_TOGGLES; i++) out[n++] = (Toggle){(TuneKind)k, i};
        } else if (n < LV_MAX_TOGGLES) {
            out[n++] = (Toggle){(TuneKind)k, -1};
        }
    }
    return n;
}

static int n_toggles(const LabView *v)
{
    Toggle t[LV_MAX_TOGGLES];
    return list_toggles(v, t);
}

static Toggle toggle_at(const LabView *v, int i)
{
    Toggle t[LV_MAX_TOGGLES];
    int n = list_toggles(v, t);
    return i >= 0 && i < n ? t[i] : (Toggle){TUNE_FULL, -1};
}

static void toggle_label(const LabView *v, int i, char *buf, size_t size)
{
    const LabDemoSettings *s = &v->d.set;
    Toggle t = toggle_at(v, i);
    const TuneMethod *m = tune_method(t.kind);
    if (t.rank >= 0) snprintf(buf, size, "%s:%d", m->name, s->ranks[t.rank]);
    else if (m->size_name) snprintf(buf, size, "%s:%d", m->name, s->size[t.kind]);
    else snprintf(buf, size, "%s", m->name);
}

static bool *toggle_flag(LabView *v, int i)
{
    LabDemoSettings *s = &v->d.set;
    Toggle t = toggle_at(v, i);
    return t.rank >= 0 ? &s->rank_on[t.rank] : &s->on[t.kind];
}

/* The theme's role for each of the registry's colours. */
static const Role colour_roles[TUNE_NUM_COLOURS] = {
    [TUNE_COLOUR_RED] = ROLE_METHOD_RED,       [TUNE_COLOUR_PINK] = ROLE_METHOD_PINK,
    [TUNE_COLOUR_TEAL] = ROLE_METHOD_TEAL,     [TUNE_COLOUR_BROWN] = ROLE_METHOD_BROWN,
    [TUNE_COLOUR_NAVY] = ROLE_METHOD_NAVY,     [TUNE_COLOUR_ORCHID] = ROLE_METHOD_ORCHID,
    [TUNE_COLOUR_OLIVE] = ROLE_METHOD_OLIVE,   [TUNE_COLOUR_SLATE] = ROLE_METHOD_SLATE,
    [TUNE_COLOUR_RANKS] = ROLE_METHOD_RANK1,
};
static const Role rank_roles[] = {ROLE_METHOD_RANK1, ROLE_METHOD_RANK2, ROLE_METHOD_RANK3, ROLE_METHOD_RANK4,
                                  ROLE_METHOD_RANK5, ROLE_METHOD_RANK6, ROLE_METHOD_RANK7, ROLE_METHOD_RANK8,
                                  ROLE_METHOD_RANK9, ROLE_METHOD_RANK10};

/* A method's colour role and mono mark, from its registry row: a method
 * with several sizes takes the colour of its size's place among the offered
 * ranks and marks its rank (a digit, or a letter from 10 on). */
static void method_style(const LabView *v, const LabItem *it, Role *role, char *mark)
{
    const TuneMethod *m = tune_method(it->kind);
    *role = colour_roles[m->colour];
    *mark = m->mark ? m->mark : '?';
    if (m->colour == TUNE_COLOUR_RANKS) {
        const LabDemoSettings *s = &v->d.set;
        int idx = 0;
        for (int i = 0; i < s->n_ranks; i++)
            if (s->ranks[i] == it->size) idx = i;
        *role = rank_roles[idx % (int)(sizeof rank_roles / sizeof rank_roles[0])];
        if (!m->mark) *mark = it->size < 10 ? (char)('0' + it->size) : (char)('a' + idx);
    }
}

// ----------------------------------------------------------------------------
// Set-up

/* The size sliders come from the registry: a method offered once with a
 * size ("prefix P", "qlora rank"). */
static void sliders_init(LabView *v)
{
    const LabDemoSettings *s = &v->d.set;
    v->n_size = 0;
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        if (!m->size_name || m->several_sizes) continue;
        int j = v->n_size++;
        v->size_kind[j] = (TuneKind)k;
        slider_init_log(&v->size[j], m->size_label ? m->size_label : m->name, 1, LAB_DEMO_MAX_SIZE, s->size[k], 2, 4, true);
    }
    slider_init_log(&v->lr, "lr ×", 1.0 / 64, 64, s->lr_scale, 2, 8, false);
    slider_init_log(&v->steps, "steps", s->steps < 10 ? s->steps : 10, 2000, s->steps, pow(2, 0.25), 2, true);
    double seed_max = s->seed > 999 ? (double)s->seed : 999;
    slider_init_linear(&v->seed, "seed", 0, seed_max, (double)s->seed, 1, 10, true);
}

void *lab_view_new(const LabDemoSettings *s)
{
    LabView *v = vmem_alloc(sizeof *v);
    lab_demo_init(&v->d, s);
    sliders_init(v);
    return v;
}

LabDemo *lab_view_demo(void *view)
{
    return &((LabView *)view)->d;
}

/* The block's key for the keep: its lesson and its id, else the
 * parameters the lesson gives it (not id and compare themselves). */
static void block_keys(LabView *v, const DemoArgs *a)
{
    char params[1024] = "";
    size_t len = 0;
    for (int i = 0; a->kind && i < a->kind->n_params && len < sizeof params; i++) {
        const char *name = a->kind->params[i].name;
        if (!a->v[i].given || !strcmp(name, "id") || !strcmp(name, "compare")) continue;
        int w = snprintf(params + len, sizeof params - len, "%s=%s;", name, a->v[i].text ? a->v[i].text : "");
        if (w > 0) len += (size_t)w;
    }
    const char *id = demo_args_given(a, "id") ? demo_args_text(a, "id") : NULL;
    lab_keep_key(v->key, sizeof v->key, a->lesson_file, id, params);
    snprintf(v->id, sizeof v->id, "%s", id ? id : "");
    const char *cmp = demo_args_given(a, "compare") ? demo_args_text(a, "compare") : NULL;
    if (cmp) {
        snprintf(v->cmp_id, sizeof v->cmp_id, "%s", cmp);
        lab_keep_key(v->cmp_key, sizeof v->cmp_key, a->lesson_file, cmp, NULL);
    }
}

static void *lv_create(const DemoArgs *args, Status *st)
{
    LabView *v = vmem_alloc(sizeof *v);
    if (demo_impl_find("lab")->init(&v->d, args, st)) {
        free(v);
        return NULL;
    }
    sliders_init(v);
    block_keys(v, args);
    const DemoValue *show = demo_args_get(args, "show");
    v->results_only = show && show->set && show->i == 1;
    return v;
}

static void drop_opened(LabView *v)
{
    lab_record_free(v->opened);
    free(v->opened);
    v->opened = NULL;
}

static void drop_exp(LabView *v)
{
    experiment_free(v->exp);
    free(v->exp);
    free(v->exp_sum);
    v->exp = NULL;
    v->exp_sum = NULL;
    v->exp_opened = false;
}

/* Take e (owned) as the view's experiment, summarised for task; false (e
 * freed) when it has no such task. */
static bool take_exp(LabView *v, Experiment *e, TaskKind task, bool opened)
{
    int t = -1;
    for (int i = 0; i < e->cfg.n_tasks; i++)
        if (e->cfg.tasks[i] == task) t = i;
    ExpTaskSummary *sum = malloc(sizeof *sum);
    Status st = {0};
    if (t < 0 || !sum || experiment_summarize(e, t, sum, &st) != LS_OK) {
        free(sum);
        experiment_free(e);
        free(e);
        return false;
    }
    drop_exp(v);
    v->exp = e;
    v->exp_sum = sum;
    v->exp_task = task;
    v->exp_opened = opened;
    return true;
}

/* The shipped experiment of a task, relative to lorascope's folder. */
static void shipped_path(TaskKind task, char *buf, size_t size)
{
    snprintf(buf, size, "data/lab-results/%s.json", task_kind_name(task));
}

/* The shipped experiment of the task run here, looked for once a task. */
static void shipped_exp(LabView *v)
{
    TaskKind task = v->d.have_snap ? v->d.snap_task : v->d.set.task;
    if (task > TASK_ADDITION || v->shipped_tried[task] || (v->exp && v->exp_task == task)) return;
    v->shipped_tried[task] = true;
    const char *root = paths_root();
    char rel[64], path[4096];
    shipped_path(task, rel, sizeof rel);
    if (!root || snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path || access(path, R_OK) != 0)
        return;
    Experiment *e = malloc(sizeof *e);
    Status st = {0};
    if (!e || experiment_load(path, e, &st) != LS_OK) {
        if (e) experiment_free(e);
        free(e);
        return;
    }
    if (v->exp && v->exp_opened) { /* an opened one stays */
        experiment_free(e);
        free(e);
        return;
    }
    take_exp(v, e, task, false);
}

/* The experiment's spread for method m of the lab shown: min and max of
 * the held-out curve over its seeds at each point, when the experiment ran
 * that method (kind and size) at the same rate, steps and batch. Returns
 * the points (0: no band); xs, lo, hi are vmem arrays for the caller. */
static int exp_band(const LabView *v, const LabMethodSnapshot *m, float **xs, float **lo, float **hi)
{
    const Experiment *e = v->exp;
    const ExpTaskSummary *sum = v->exp_sum;
    if (!e || !sum || !v->d.have_snap || v->d.snap_task != v->exp_task) return 0;
    for (int i = 0; i < sum->n_methods; i++) {
        const ExpMethodSummary *sm = &sum->methods[i];
        TuneSpec spec;
        if (sm->n_cells < 2 || sm->chosen < 0 || tune_spec_parse(&spec, sm->label, NULL) != LS_OK) continue;
        float lr = sm->lrs[sm->chosen];
        if (spec.kind != m->kind || spec.size != m->size || fabsf(lr - m->lr) > 1e-3f * lr) continue;
        const LabRecord *cell = e->cells[sm->cells[0]].rec;
        if (cell->steps != v->d.snap.steps || cell->batch != v->d.snap.batch) return 0;
        const LabRecordMethod *first = &cell->methods[sm->method_index];
        int n = first->n_eval;
        if (n < 2) return 0;
        *xs = vmem_array((size_t)n, sizeof(float));
        *lo = vmem_array((size_t)n, sizeof(float));
        *hi = vmem_array((size_t)n, sizeof(float));
        for (int p = 0; p < n; p++) {
            (*xs)[p] = (float)first->eval_step[p];
            (*lo)[p] = INFINITY;
            (*hi)[p] = -INFINITY;
        }
        for (int c = 0; c < sm->n_cells; c++) {
            const LabRecordMethod *rm = &e->cells[sm->cells[c]].rec->methods[sm->method_index];
            for (int p = 0; p < n && p < rm->n_eval; p++) {
                (*lo)[p] = fminf((*lo)[p], rm->eval_loss[p]);
                (*hi)[p] = fmaxf((*hi)[p], rm->eval_loss[p]);
            }
        }
        return n;
    }
    return 0;
}

/* An opened experiment as one finished lab: each method at its chosen
 * rate, from its first seed's cell (the band shows the others). */
static LabRecord *exp_record(const Experiment *e, const ExpTaskSummary *sum, Status *st)
{
    LabSnapshot comp;
    int n = 0;
    unsigned long long seed = 0;
    for (int i = 0; i < sum->n_methods && n < LAB_MAX_METHODS; i++) {
        const ExpMethodSummary *sm = &sum->methods[i];
        if (sm->n_cells == 0) continue;
        const ExperimentCell *cell = &e->cells[sm->cells[0]];
        LabSnapshot cs;
        lab_record_snapshot(cell->rec, &cs);
        if (n == 0) comp = cs, seed = cell->seed;
        comp.methods[n++] = cs.methods[sm->method_index];
    }
    if (n == 0) {
        status_fail(st, LS_ERR_PARSE, "the experiment has no finished cell");
        return NULL;
    }
    comp.n_methods = n;
    LabRecord *r = malloc(sizeof *r);
    if (!r) {
        status_fail(st, LS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    lab_record_init(r);
    if (lab_record_from_snapshot(r, &comp, st) != LS_OK) {
        lab_record_free(r);
        free(r);
        return NULL;
    }
    r->seed = seed;
    return r;
}

static void lv_destroy(void *self)
{
    LabView *v = self;
    if (!v) return;
    lab_demo_free(&v->d);
    drop_opened(v);
    drop_exp(v);
    free(v);
}

/* Coming back to the page: the run kept under this lab's key, if any. */
static void lv_keep(void *self, LabKeep *keep)
{
    LabView *v = self;
    v->keep = keep;
    char problem[400];
    const LabKept *k = lab_keep_get(keep, v->key, problem, sizeof problem);
    if (problem[0]) {
        snprintf(v->note, sizeof v->note, "The results saved from an earlier run could not be read: %s", problem);
        v->note_error = true;
    }
    if (!k || v->d.state != LABD_IDLE) return;
    if (k->has_settings && !v->results_only) {
        /* This session's run: the controls as they ran it. */
        const Gpt *base = v->d.set.base_model;
        v->d.set = k->settings;
        v->d.set.base_model = base;
        sliders_init(v);
    }
    lab_demo_show(&v->d, &k->snap);
    v->shown = k->from_disk ? SHOWN_SAVED : SHOWN_SESSION;
}

/* The kept run this lab is compared with, or NULL. */
static const LabKept *compared(const LabView *v)
{
    return v->cmp_key[0] && v->keep ? lab_keep_get(v->keep, v->cmp_key, NULL, 0) : NULL;
}

// ----------------------------------------------------------------------------
// Numbers as text

static void fmt_params(char *buf, size_t size, double n)
{
    if (n >= 1e6) snprintf(buf, size, "%.2fM", n / 1e6);
    else if (n >= 1e3) snprintf(buf, size, "%.1fk", n / 1e3);
    else snprintf(buf, size, "%.0f", n);
}

/* Bytes with binary prefixes: 3.2M = 3.2 × 2^20. */
static void fmt_mem(char *buf, size_t size, double b)
{
    if (b >= 1024.0 * 1024.0) snprintf(buf, size, "%.1fM", b / (1024.0 * 1024.0));
    else if (b >= 1024.0) snprintf(buf, size, "%.0fK", b / 1024.0);
    else snprintf(buf, size, "%.0f", b);
}

static char *num_or_dash(double v, const char *fmt)
{
    return isfinite(v) ? vmem_printf(fmt, v) : vmem_strdup("–");
}

// ----------------------------------------------------------------------------
// Layout: what the table lists and how tall everything is

/* The rows of the tables: the lab's methods once started, else the plan. */
/* A method's label for the tables and legend: "full,lr=0.032" shows as
 * "full" (the lr × control and the hint say the rate), while the options
 * that make it another method stay, shortened: "lora:8,targets=all" is
 * "lora:8,all", "prefix:16,mlp" stays. */
static void short_label(const char *spec, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = spec; *p && n + 1 < size;) {
        size_t k = strcspn(p, ",");
        const char *part = p;
        bool drop = p != spec && strncmp(part, "lr=", 3) == 0;
        if (p != spec && strncmp(part, "targets=", 8) == 0) part += 8, k -= 8;
        if (!drop) n += (size_t)snprintf(out + n, size - n, "%s%.*s", p != spec ? "," : "", (int)k, part);
        if (n >= size) n = size - 1;
        p = part + k;
        if (*p == ',') p++;
    }
}

static int table_methods(const LabView *v, LabItem labels[])
{
    if (v->d.have_snap) {
        int n = v->d.snap.n_methods;
        for (int i = 0; i < n; i++) {
            const LabMethodSnapshot *m = &v->d.snap.methods[i];
            short_label(m->label, labels[i].label, sizeof labels[i].label);
            labels[i].kind = m->kind;
            labels[i].size = m->size;
        }
        return n;
    }
    char buf[LAB_MAX_METHODS][24];
    TuneKind kinds[LAB_MAX_METHODS];
    int n = lab_demo_planned(&v->d.set, buf, kinds, LAB_MAX_METHODS);
    for (int i = 0; i < n; i++) {
        memcpy(labels[i].label, buf[i], sizeof labels[i].label);
        labels[i].kind = kinds[i];
        const char *colon = strchr(buf[i], ':');
        labels[i].size = colon ? atoi(colon + 1) : 0;
    }
    return n;
}

/* Where the toggles land at width w (label column, then wrapped items);
 * returns the rows they take. */
static int layout_toggles(LabView *v, const Grid *g, int y, int x, int w)
{
    int n = n_toggles(v), row = 0, cx = x + 2 + LV_LABEL_W;
    for (int i = 0; i < n && i < LV_MAX_TOGGLES; i++) {
        char lab[32];
        toggle_label(v, i, lab, sizeof lab);
        int tw = 4 + grid_text_width(g, lab); /* "[x] " + label */
        if (cx + tw > x + w && cx > x + 2 + LV_LABEL_W) {
            row++;
            cx = x + 2 + LV_LABEL_W;
        }
        v->tog_y[i] = y + row;
        v->tog_x[i] = cx;
        v->tog_w[i] = tw;
        cx += tw + 2;
    }
    v->n_tog = n;
    return row + 1;
}

static bool addition(const LabView *v)
{
    return v->d.have_snap ? v->d.snap_task == TASK_ADDITION : v->d.set.task == TASK_ADDITION;
}

/* One sample as display text: newlines become spaces (answers: gaps). */
static char *sample_text(const LabView *v, const char *s)
{
    size_t n = strlen(s);
    char *out = vmem_alloc(3 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            if (i + 1 == n) break;
            out[k++] = ' ';
            if (addition(v)) out[k++] = ' ', out[k++] = ' ';
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = 0;
    return out;
}

/* Word-wrap s into width w: fills starts/lens (up to max lines); returns
 * the number of lines. */
static int wrap_plain(const char *s, int w, int *starts, int *lens, int max)
{
    int n = 0, len = (int)strlen(s), i = 0;
    if (w < 8) w = 8;
    while (i < len && n < max) {
        /* In columns, not bytes (← · ± take one column, two or three bytes). */
        int used, end = i + (int)utf8_fit(s + i, (size_t)(len - i), w, &used);
        if (end == i) { /* a character wider than w: take it whole */
            uint32_t cp;
            end = i + utf8_decode(s + i, (size_t)(len - i), &cp);
        } else if (end < len) {
            int b = end;
            while (b > i && s[b] != ' ') b--;
            if (b > i) end = b;
        }
        starts[n] = i;
        lens[n] = end - i;
        n++;
        i = end;
        while (i < len && s[i] == ' ') i++;
    }
    return n;
}

enum { SAMPLE_MAX_LINES = 24 };

static int samples_height(const LabView *v, int w)
{
    if (!v->d.have_snap) return 0;
    int rows = 0, any = 0;
    for (int i = 0; i < v->d.snap.n_methods; i++) {
        LabDemoRow row;
        lab_demo_row(&v->d, i, &row);
        if (!row.final) continue;
        any = 1;
        char *t = sample_text(v, row.sample);
        int st[SAMPLE_MAX_LINES], ln[SAMPLE_MAX_LINES];
        rows += 1 + wrap_plain(t, w - 6, st, ln, SAMPLE_MAX_LINES);
        free(t);
    }
    const LabResult *b = v->d.snap.base;
    if (any && b && b->ready) {
        char *t = sample_text(v, b->sample);
        int st[SAMPLE_MAX_LINES], ln[SAMPLE_MAX_LINES];
        rows += 1 + wrap_plain(t, w - 6, st, ln, SAMPLE_MAX_LINES);
        free(t);
    }
    return any ? rows + 2 : 0;
}

static const char cost_note_wide[] =
    "trains: the parameters the optimizer updates, and their share of all · memory measured from the "
    "allocations (K = 1024 bytes, M = 1024 K) · activ.: activations and working buffers of one step";
static const char cost_note_compact[] =
    "trains: the parameters the optimizer updates, and their share of all · memory measured from the "
    "allocations (K = 1024 bytes, M = 1024 K) · trained: those parameters, their gradients and Adam's two "
    "moments · activ.: activations and working buffers of one step";

static int note_rows(const char *note, int w)
{
    int st[6], ln[6];
    return wrap_plain(note, w - 2, st, ln, 6);
}

/* Why the lab stopped, whole: the reason ("out of memory …") usually comes
 * last, after a path, so it is wrapped rather than cut at the edge. */
static void failure_message(const LabView *v, const ViewEnv *env, char *buf, size_t size)
{
    snprintf(buf, size, "%s The lab could not run: %s", env->ascii ? "!" : "⚠", v->d.err.msg);
}

static bool has_qlora(const LabView *v, LabItem labels[], int n)
{
    (void)v;
    for (int i = 0; i < n; i++)
        if (strncmp(labels[i].label, "qlora", 5) == 0) return true;
    return false;
}

static bool cost_wide(const LabView *v, const Grid *g, LabItem labels[], int n, int avail);
static int origin_rows(const LabView *v, Grid *g, int y, int x, int w);
static int compare_rows(LabView *v, Grid *g, int y, Rect r, const ViewEnv *env);
static int findings_rows(LabView *v, Grid *g, int y, Rect r);

/* Settings lock while the lab trains. */
static bool locked(const LabView *v)
{
    return lab_demo_running(&v->d);
}

static int lv_height(void *self, int width, const ViewEnv *env)
{
    (void)env;
    LabView *v = self;
    Grid probe = {.ascii = env->ascii};
    int tog = layout_toggles(v, &probe, 0, 0, width);
    LabItem labels[LAB_MAX_METHODS];
    int n = table_methods(v, labels);
    if (v->results_only && !v->d.have_snap) return 1 + origin_rows(v, NULL, 0, 0, width - 2);
    /* run, task, methods, sliders and knobs (one line while training), curves */
    int h = v->results_only ? -1 : 1 + 1 + tog + (locked(v) ? 1 : lc_curves(v) - LC_SIZE0) + 1;
    h += 1 + 1;                  /* blank, progress */
    h += origin_rows(v, NULL, 0, 0, width - 2);
    if (v->d.state == LABD_FAILED) {
        char msg[sizeof v->d.err.msg + 64];
        failure_message(v, env, msg, sizeof msg);
        h += note_rows(msg, width);
    }
    h += 1 + LV_PLOT_ROWS + 1;   /* blank, plot, blank */
    h += 2 + n + note_rows(cost_wide(v, &probe, labels, n, width - 2) ? cost_note_wide : cost_note_compact, width);
    if (has_qlora(v, labels, n)) h += 2;
    h += 1 + 3 + n;              /* blank, results table (with the base model) */
    h += findings_rows(v, NULL, 0, (Rect){0, 0, 1, width});
    h += samples_height(v, width);
    h += compare_rows(v, NULL, 0, (Rect){0, 0, 1, width}, env);
    return h;
}

// ----------------------------------------------------------------------------
// Drawing

static void draw_run_row(LabView *v, Grid *g, int y, Rect r, const ViewEnv *env, bool focused)
{
    const char *label;
    switch (v->d.state) {
    case LABD_RUNNING:
        label = v->d.snap.phase == LAB_PHASE_FINAL || v->d.lab.stopped ? "evaluating…" : "Stop training";
        break;
    case LABD_DONE: label = "Run again"; break;
    default: label = "Start the lab"; break;
    }
    grid_put(g, y, r.x, focused ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    char *b = vmem_printf("[ %s ]", label);
    int bw = grid_put(g, y, r.x + 2, b, focused ? ROLE_SELECTED : ROLE_STRONG, -1);
    free(b);
    v->run_y = y;
    v->run_x0 = r.x + 2;
    v->run_x1 = r.x + 2 + bw;
    char plan[1024];
    int n = lab_demo_methods(&v->d.set, plan, sizeof plan);
    const LabDemoSettings *s = &v->d.set;
    int x = r.x + 4 + bw;
    LabConfig def;
    lab_config_defaults(&def);
    if (v->rerun) {
        grid_printf(g, y, x, ROLE_DIM, r.x + r.w - x, "re-run of one cell: %s · seed %llu · %d steps", v->rerun_methods,
                    v->rerun_seed, v->rerun_steps);
        return;
    }
    grid_printf(g, y, x, ROLE_DIM, r.x + r.w - x, "%d method%s · %s · %d steps of %d sequences", n, n == 1 ? "" : "s",
                task_options[s->task == TASK_ADDITION], (int)v->steps.value, s->batch > 0 ? s->batch : def.batch);
}

static void draw_controls(LabView *v, Grid *g, int *py, Rect r, const ViewEnv *env, int focus)
{
    int y = *py;
    bool lock = locked(v);
    v->rows[LC_RUN] = y;
    draw_run_row(v, g, y++, r, env, focus == LC_RUN);
    v->rows[LC_TASK] = y;
    widget_choice(g, y++, r.x, r.w, LV_LABEL_W, "task", task_options, 2, v->d.set.task == TASK_ADDITION,
                  focus == LC_TASK, lock, env, &v->task_hit);
    /* Method toggles. */
    v->rows[LC_METHODS] = y;
    int rows = layout_toggles(v, g, y, r.x, r.w);
    grid_put(g, y, r.x, focus == LC_METHODS ? (env->ascii ? "> " : "▶ ") : "  ", ROLE_FOCUS, 2);
    grid_put(g, y, r.x + 2, "methods", focus == LC_METHODS ? ROLE_FOCUS : ROLE_LABEL, LV_LABEL_W - 1);
    for (int i = 0; i < v->n_tog; i++) {
        char lab[32];
        toggle_label(v, i, lab, sizeof lab);
        bool on = *toggle_flag(v, i);
        bool cur = focus == LC_METHODS && i == v->cursor;
        const char *box = on ? (env->ascii ? "[x]" : "[■]") : "[ ]";
        Role role = lock ? ROLE_DIM : cur ? ROLE_SELECTED : on ? ROLE_VALUE : ROLE_LABEL;
        int x = v->tog_x[i];
        grid_put(g, v->tog_y[i], x, box, role, 3);
        grid_put(g, v->tog_y[i], x + 4, lab, role, -1);
        if (cur) grid_recolour(g, (Rect){v->tog_y[i], x, 1, v->tog_w[i]}, ROLE_SELECTED);
        Toggle t = toggle_at(v, i);
        LabItem it = {.kind = t.kind, .size = t.rank >= 0 ? v->d.set.ranks[t.rank] : v->d.set.size[t.kind]};
        Role mrole;
        char mark;
        method_style(v, &it, &mrole, &mark);
        if (on && !lock && !cur && env->colour >= CMODE_256) grid_recolour(g, (Rect){v->tog_y[i], x + 1, 1, 1}, mrole);
    }
    y += rows;
    if (lock) {
        /* Training: the locked settings fold into one line, so that the
         * progress line and the curves stay on a 30-row screen. */
        for (int c = LC_SIZE0; c < lc_curves(v); c++) {
            v->rows[c] = y;
            int k = knob_of(v, c);
            if (k >= 0) memset(&v->knob_hit[k], 0, sizeof v->knob_hit[k]);
            else memset(&v->hit[c], 0, sizeof v->hit[c]);
        }
        grid_put(g, y, r.x + 2, "settings", ROLE_LABEL, LV_LABEL_W - 1);
        if (v->rerun)
            grid_put(g, y, r.x + LV_LABEL_W + 2, "locked while a cell re-runs with its own rate, steps and seed",
                     ROLE_DIM, r.w - LV_LABEL_W - 2);
        else
            grid_printf(g, y, r.x + LV_LABEL_W + 2, ROLE_DIM, r.w - LV_LABEL_W - 2,
                        "locked while training: lr ×%.3g · %d steps · seed %d", v->lr.value, (int)v->steps.value,
                        (int)v->seed.value);
        y++;
    }
    for (int c = LC_SIZE0; c < lc_curves(v) && !lock; c++) {
        v->rows[c] = y;
        int k = knob_of(v, c), n;
        if (k >= 0) {
            const char *const *words = lab_demo_knob_words(k, &n);
            widget_choice(g, y, r.x, r.w, LV_LABEL_W, lab_demo_knobs[k].label, words, n, v->d.set.knob[k], focus == c,
                          lock || !knob_used(v, k), env, &v->knob_hit[k]);
        } else {
            widget_slider(g, y, r.x, r.w, LV_LABEL_W, slider_of(v, c), focus == c, env, &v->hit[c]);
            if (lock) grid_recolour(g, (Rect){y, r.x + 2, 1, r.w - 2}, ROLE_DIM);
        }
        y++;
    }
    v->rows[lc_curves(v)] = y;
    widget_choice(g, y++, r.x, r.w, LV_LABEL_W, "curves", curve_options, CURVES_N, v->curves, focus == lc_curves(v),
                  false, env, &v->curves_hit);
    *py = y;
}

/* The cell the chooser points at: its method summary and cell index (-1:
 * none). */
static int picked_cell(const LabView *v, const ExpMethodSummary **sm)
{
    if (!v->exp || !v->exp_sum || v->pick_m < 0 || v->pick_m >= v->exp_sum->n_methods) return -1;
    *sm = &v->exp_sum->methods[v->pick_m];
    if (v->pick_s < 0 || v->pick_s >= (*sm)->n_cells) return -1;
    return (*sm)->cells[v->pick_s];
}

/* A figure as the comparison prints it: losses in nats, accuracy in %. */
static void rerun_figure_text(const ExpRerunFigure *f, char *buf, size_t size)
{
    bool acc = strcmp(f->name, "accuracy") == 0;
    double k = acc ? 100 : 1;
    if (!isfinite(f->live))
        snprintf(buf, size, "%s: not a finite number (shipped %.4g)", f->name, k * f->shipped);
    else if (acc)
        snprintf(buf, size, "%s %.1f %% (shipped %.1f %%, %+.1f points)", f->name, k * f->live, k * f->shipped,
                 fabs(f->live - f->shipped) < 5e-4 ? 0.0 : k * (f->live - f->shipped));
    else {
        double d = f->live - f->shipped;
        if (fabs(d) < 5e-5) d = 0; /* not "-0.0000" */
        snprintf(buf, size, "%s %.4f (shipped %.4f, %+.4f)", f->name, f->live, f->shipped, d);
    }
}

/* The chooser, the re-run under way, or its comparison with the shipped
 * figures. */
static void rerun_text(const LabView *v, char *buf, size_t size)
{
    if (v->choosing) {
        const ExpMethodSummary *sm;
        int cell = picked_cell(v, &sm);
        if (cell < 0) {
            snprintf(buf, size, "This experiment has no finished cell to re-run (Esc).");
            return;
        }
        const LabRecordMethod *m = &v->exp->cells[cell].rec->methods[sm->method_index];
        snprintf(buf, size,
                 "Re-run one cell live: %s at its chosen rate %.3g, seed %llu (seed %d of %d); shipped held-out %.4f. "
                 "←/→ method · ↑/↓ seed · Enter runs it · Esc cancels.",
                 sm->label, sm->lrs[sm->chosen], v->exp->cells[cell].seed, v->pick_s + 1, sm->n_cells,
                 m->result.eval_loss);
        return;
    }
    int n = snprintf(buf, size, "Re-run of %s, seed %llu, as the experiment ran it (%d steps of %d sequences)",
                     v->rerun_methods, v->rerun_seed, v->rerun_steps, v->rerun_batch);
    if (v->d.have_snap && v->d.snap.stopped && v->d.state == LABD_DONE) {
        if (n > 0 && (size_t)n < size)
            snprintf(buf + n, size - (size_t)n, ": stopped before its last step, so not compared (r runs it again).");
        return;
    }
    if (!v->rerun_checked) {
        if (n > 0 && (size_t)n < size)
            snprintf(buf + n, size - (size_t)n, "%s",
                     v->d.state == LABD_FAILED ? "." : ": its figures go beside the shipped ones when it is done.");
        return;
    }
    const ExpRerunCheck *c = &v->rerun_check;
    for (int j = 0; j < c->n && n > 0 && (size_t)n < size; j++) {
        char f[160];
        rerun_figure_text(&c->fig[j], f, sizeof f);
        n += snprintf(buf + n, size - (size_t)n, "%s%s", j ? " · " : ": ", f);
    }
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, c->reproduced
                     ? " — reproduced: every figure within %.2g of the shipped one (r picks another cell)."
                     : " — NOT reproduced: a figure differs by %.2g or more (the engine, data or settings changed since the "
                       "experiment ran).",
                 EXP_RERUN_TOLERANCE);
}

/* Where the results on screen come from, when not from this visit's lab
 * ("" : they are). */
static void origin_text(const LabView *v, char *buf, size_t size)
{
    if (v->prompting) {
        snprintf(buf, size, "Open a finetune --json file or an experiment: %s_", v->path);
        return;
    }
    if (v->choosing || v->rerun) {
        rerun_text(v, buf, size);
        return;
    }
    switch (v->d.earlier ? v->shown : SHOWN_LIVE) {
    case SHOWN_SESSION:
        if (v->results_only) snprintf(buf, size, "The lab '%s' as it last ran, kept from this session.", v->id);
        else snprintf(buf, size, "An earlier run, kept from this session. Run again trains anew.");
        break;
    case SHOWN_SAVED:
        if (v->results_only) snprintf(buf, size, "The lab '%s' as it last ran, saved with your progress.", v->id);
        else snprintf(buf, size, "An earlier run, saved with your progress. Run again trains anew.");
        break;
    case SHOWN_FILE:
        if (v->exp_opened)
            snprintf(buf, size,
                     "Opened from %s: an experiment of %d seeds. The tables show its first seed; the band and the "
                     "findings all of them (o opens another file; r re-runs one of its cells live).",
                     v->opened_name, v->exp_sum ? v->exp_sum->methods[0].n_cells : 0);
        else
            snprintf(buf, size, "Opened from %s (o opens another; Run again trains with the settings above).",
                     v->opened_name);
        break;
    default: buf[0] = '\0'; break;
    }
}

/* The origin line and the note, wrapped at w: rows, drawn when g. */
static int origin_rows(const LabView *v, Grid *g, int y, int x, int w)
{
    char text[sizeof v->note + 320];
    int rows = 0;
    for (int part = 0; part < 2; part++) {
        if (part == 0) origin_text(v, text, sizeof text);
        else snprintf(text, sizeof text, "%s", v->note);
        if (!text[0]) continue;
        int st[8], ln[8];
        int nl = wrap_plain(text, w, st, ln, 8);
        Role role = part == 0 ? (v->rerun && v->rerun_checked && !v->rerun_check.reproduced ? ROLE_WARN : ROLE_STRONG)
                              : v->note_error ? ROLE_ERROR : ROLE_DIM;
        for (int k = 0; g && k < nl; k++) grid_putn(g, y + rows + k, x, text + st[k], (size_t)ln[k], role, w);
        rows += nl;
    }
    return rows;
}

static void draw_progress(LabView *v, Grid *g, int *py, Rect r, const ViewEnv *env)
{
    int y = *py, x = r.x + 2;
    const LabDemo *d = &v->d;
    const LabSnapshot *s = &d->snap;
    if (d->state == LABD_FAILED) {
        char msg[sizeof d->err.msg + 64];
        failure_message(v, env, msg, sizeof msg);
        int st[6], ln[6];
        int nl = wrap_plain(msg, r.w - 2, st, ln, 6);
        for (int k = 0; k < nl; k++) grid_putn(g, y++, x, msg + st[k], (size_t)ln[k], ROLE_ERROR, r.w - 2);
    }
    v->origin_y = y;
    y += origin_rows(v, g, y, x, r.w - 2);
    if (!d->have_snap) {
        /* One row at 80 columns; the loss in the plot's unit. */
        const char *what = v->d.set.task == TASK_ADDITION
                               ? "sums like 47+38=85, scored by exact match on held-out pairs"
                               : "State of the Union → Moby-Dick; held-out loss in nats/byte";
        grid_printf(g, y++, x, ROLE_DIM, r.w - 2, "Not started: %s.", what);
        *py = y;
        return;
    }
    char bar[64] = "";
    int bw = r.w >= 100 ? 20 : 12;
    int filled = (int)lround(s->progress * bw);
    size_t k = 0;
    for (int i = 0; i < bw; i++) {
        const char *c = i < filled ? (env->ascii ? "#" : "█") : (env->ascii ? "." : "░");
        size_t cl = strlen(c);
        memcpy(bar + k, c, cl);
        k += cl;
    }
    bar[k] = 0;
    const char *phase;
    switch (s->phase) {
    case LAB_PHASE_BASELINE: phase = "measuring the base model"; break;
    case LAB_PHASE_TRAINING: phase = "training"; break;
    case LAB_PHASE_FINAL: phase = s->stopped ? "stopped · evaluating each method" : "evaluating each method"; break;
    default: phase = s->stopped ? "stopped and evaluated" : "done"; break;
    }
    x += grid_put(g, y, x, bar, ROLE_DONE, -1);
    x += grid_printf(g, y, x, ROLE_VALUE, -1, " %3.0f%%  ", 100 * s->progress);
    x += grid_printf(g, y, x, ROLE_STRONG, -1, "%s", phase);
    char left[48] = "";
    if (d->state == LABD_RUNNING && s->progress > 0.03) {
        double rem = s->elapsed_s * (1 - s->progress) / s->progress;
        snprintf(left, sizeof left, " · about %.0f s left", rem);
    }
    /* The time figures only when they fit (80 columns while evaluating). */
    char *tail = vmem_printf(" · step %d of %d · %.1f s%s", s->round, s->steps, s->elapsed_s, left);
    if (x + grid_text_width(g, tail) > r.x + r.w) {
        free(tail);
        tail = vmem_printf(" · step %d of %d", s->round, s->steps);
    }
    grid_put(g, y, x, tail, ROLE_LABEL, r.x + r.w - x);
    free(tail);
    y++;
    *py = y;
}

/* The loss plot: one curve per method, smoothed training loss and/or the
 * held-out points. */
/* Is method i of the compared run one this lab has too (kind and size)?
 * When none is, every one of its methods is shown. */
static bool compared_method(const LabView *v, const LabSnapshot *c, int i)
{
    LabItem labels[LAB_MAX_METHODS];
    int n = table_methods(v, labels), any = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < c->n_methods; j++)
            for (int m = 0; m < n; m++)
                if (labels[m].kind == c->methods[j].kind && labels[m].size == c->methods[j].size) {
                    if (pass == 1 && j == i) return true;
                    any = 1;
                }
    return !any;
}

static void draw_plot(LabView *v, Grid *g, int y, Rect r, const ViewEnv *env)
{
    const LabDemo *d = &v->d;
    CurveSeries cs[4 * LAB_MAX_METHODS];
    float *xs[2 * LAB_MAX_METHODS] = {0};
    int n = 0;
    LabItem labels[LAB_MAX_METHODS];
    int nm = table_methods(v, labels);
    bool train = v->curves != CURVES_HELDOUT, held = v->curves != CURVES_TRAIN;
    /* The compared lab's held-out curves first, faint, behind this one's. */
    const LabKept *cmp = compared(v);
    char *cmp_name = cmp ? vmem_printf("lab '%s' (faint)", v->cmp_id) : NULL;
    bool named = false;
    for (int m = 0; cmp && held && m < cmp->snap.n_methods; m++) {
        const LabMethodSnapshot *ms = &cmp->snap.methods[m];
        if (!compared_method(v, &cmp->snap, m) || ms->n_eval == 0) continue;
        float *x = xs[LAB_MAX_METHODS + m] = vmem_array((size_t)ms->n_eval, sizeof(float));
        for (int i = 0; i < ms->n_eval; i++) x[i] = (float)ms->eval_step[i];
        cs[n++] = (CurveSeries){.x = x, .y = ms->eval_loss, .n = ms->n_eval, .colour = -1, .role = ROLE_DIM,
                                .mark = ':', .name = named ? NULL : cmp_name};
        named = true;
    }
    /* The experiment's spread over seeds, shaded behind (held-out). */
    shipped_exp(v);
    float *band[3 * LAB_MAX_METHODS] = {0};
    char *band_name = NULL;
    bool band_named = false;
    for (int m = 0; held && d->have_snap && m < nm; m++) {
        float **b = &band[3 * m];
        int bn = exp_band(v, &d->snap.methods[m], &b[0], &b[1], &b[2]);
        if (!bn) continue;
        Role role;
        char mark;
        method_style(v, &labels[m], &role, &mark);
        if (!band_name)
            band_name = vmem_printf("%s: min–max of %d seeds", v->exp_opened ? "this experiment" : "shipped results",
                                    v->exp_sum->methods[0].n_cells);
        cs[n++] = (CurveSeries){.x = b[0], .y = b[1], .y_hi = b[2], .n = bn, .colour = -1, .role = role, .mark = 0,
                                .name = band_named ? NULL : band_name};
        band_named = true;
    }
    for (int m = 0; m < nm; m++) {
        Role role;
        char mark;
        method_style(v, &labels[m], &role, &mark);
        const LabMethodSnapshot *ms = d->have_snap ? &d->snap.methods[m] : NULL;
        if (train) {
            cs[n++] = (CurveSeries){.y = ms ? d->smooth[m] : NULL, .n = ms ? ms->n_train : 0, .x0 = 1,
                                    .colour = -1, .role = role, .mark = held ? 0 : mark,
                                    .mark_every = 10, .name = held ? NULL : labels[m].label};
        }
        if (held) {
            if (ms && ms->n_eval > 0) {
                xs[m] = vmem_array((size_t)ms->n_eval, sizeof(float));
                for (int i = 0; i < ms->n_eval; i++) xs[m][i] = (float)ms->eval_step[i];
            }
            cs[n++] = (CurveSeries){.x = xs[m], .y = ms ? ms->eval_loss : NULL, .n = ms ? ms->n_eval : 0,
                                    .colour = -1, .role = role, .mark = mark, .name = labels[m].label};
        }
    }
    int steps = d->have_snap ? d->snap.steps : (int)v->steps.value;
    if (cmp && held && cmp->snap.steps > steps) steps = cmp->snap.steps;
    const char *title = v->curves == CURVES_HELDOUT ? "held-out loss (nats per byte), every 10 steps"
                        : v->curves == CURVES_TRAIN
                            ? "training loss (nats per byte, mean of the last 10 batches)"
                            : "loss, nats/byte: training (mean of 10 batches, faint), held-out (marked)";
    CurveOpts o = {.title = title, .x_min = 0, .x_max = steps, .x_label = "training step"};
    int points = 0;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < cs[k].n; i++) points += isfinite(cs[k].y[i]);
    if (points == 0) {
        grid_put(g, y, r.x, title, ROLE_LABEL, r.w);
        grid_put(g, y + LV_PLOT_ROWS / 2, r.x + 4,
                 d->have_snap ? "The curves appear with the first evaluations." : "The curves appear here when the lab runs.",
                 ROLE_DIM, r.w - 4);
    } else {
        curve_plot(g, (Rect){y, r.x, LV_PLOT_ROWS, r.w}, cs, n, &o, env);
    }
    for (int m = 0; m < 2 * LAB_MAX_METHODS; m++) free(xs[m]);
    for (int m = 0; m < 3 * LAB_MAX_METHODS; m++) free(band[m]);
    free(cmp_name);
    free(band_name);
}

static void colour_labels(Grid *g, int y, int x, const LabView *v, LabItem labels[], int n, const ViewEnv *env)
{
    if (env->colour < CMODE_BASIC || env->ascii) return;
    for (int i = 0; i < n; i++) {
        Role role;
        char mark;
        method_style(v, &labels[i], &role, &mark);
        grid_recolour(g, (Rect){y + 2 + i, x, 1, (int)strlen(labels[i].label)}, role);
    }
}

static char **cost_cells(const LabView *v, LabItem labels[], int n, bool wide, int *cols)
{
    *cols = wide ? 10 : 8;
    int C = *cols;
    char **c = vmem_array((size_t)(n + 1) * (size_t)C, sizeof(char *));
    static const char *const head_wide[] = {"method", "trains", "share", "frozen", "params", "grads",
                                            "Adam",   "activ.", "total", "ms/step"};
    static const char *const head_compact[] = {"method", "trains", "share", "frozen", "trained",
                                               "activ.", "total",  "ms/step"};
    for (int k = 0; k < C; k++) c[k] = vmem_strdup(wide ? head_wide[k] : head_compact[k]);
    for (int i = 0; i < n; i++) {
        char **row = c + (size_t)(i + 1) * C;
        row[0] = vmem_strdup(labels[i].label);
        /* A run is built by the lab's first units: until then, dashes. */
        if (!v->d.have_snap || i >= v->d.snap.n_methods || !v->d.snap.methods[i].built) {
            for (int k = 1; k < C; k++) row[k] = vmem_strdup("–");
            continue;
        }
        LabDemoRow r;
        lab_demo_row(&v->d, i, &r);
        char a[32];
        fmt_params(a, sizeof a, (double)r.m->trainable_params);
        row[1] = vmem_strdup(a);
        row[2] = vmem_printf(r.m->trainable_share >= 0.1 ? "%.0f%%" : "%.2f%%", 100 * r.m->trainable_share);
        int k = 3;
        fmt_mem(a, sizeof a, (double)r.m->bytes.frozen);
        row[k++] = vmem_strdup(a);
        if (wide) {
            fmt_mem(a, sizeof a, (double)r.m->bytes.trainable);
            row[k++] = vmem_strdup(a);
            fmt_mem(a, sizeof a, (double)r.m->bytes.grads);
            row[k++] = vmem_strdup(a);
            fmt_mem(a, sizeof a, (double)r.m->bytes.optimizer);
            row[k++] = vmem_strdup(a);
        } else {
            fmt_mem(a, sizeof a, (double)(r.m->bytes.trainable + r.m->bytes.grads + r.m->bytes.optimizer));
            row[k++] = vmem_strdup(a);
        }
        fmt_mem(a, sizeof a, (double)r.m->bytes.activations);
        row[k++] = vmem_strdup(a);
        fmt_mem(a, sizeof a, (double)r.m->bytes.total);
        row[k++] = vmem_strdup(a);
        row[k++] = num_or_dash(r.ms_per_step, "%.1f");
    }
    return c;
}

static int table_width(const Grid *g, char **cells, int rows, int cols)
{
    int total = 0;
    for (int c = 0; c < cols; c++) {
        int w = 0;
        for (int r = 0; r < rows; r++) {
            int cw = grid_text_width(g, cells[r * cols + c]);
            if (cw > w) w = cw;
        }
        total += w + 3;
    }
    return total - 3;
}

static void free_cells(char **c, int n)
{
    for (int i = 0; i < n; i++) free(c[i]);
    free(c);
}

/* Does the cost table with every memory part fit in avail columns? */
static bool cost_wide(const LabView *v, const Grid *g, LabItem labels[], int n, int avail)
{
    int cols;
    char **c = cost_cells(v, labels, n, true, &cols);
    bool fits = table_width(g, c, n + 1, cols) <= avail;
    free_cells(c, (n + 1) * cols);
    return fits;
}

static void draw_cost(LabView *v, Grid *g, int *py, Rect r, const ViewEnv *env, LabItem labels[], int n)
{
    int y = *py, cols;
    bool wide = cost_wide(v, g, labels, n, r.w - 2);
    const char *cost_note = wide ? cost_note_wide : cost_note_compact;
    char **c = cost_cells(v, labels, n, wide, &cols);
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)c, n + 1, cols, -1, env);
    colour_labels(g, y, r.x + 2, v, labels, n, env);
    free_cells(c, (n + 1) * cols);
    y += n + 2;
    int st[6], ln[6];
    int nl = wrap_plain(cost_note, r.w - 2, st, ln, 6);
    for (int k = 0; k < nl; k++) grid_putn(g, y++, r.x + 2, cost_note + st[k], (size_t)ln[k], ROLE_DIM, r.w - 2);
    /* QLoRA: the frozen base as stored against fp32. */
    if (has_qlora(v, labels, n)) {
        bool q_built = false;
        for (int i = 0; v->d.have_snap && i < v->d.snap.n_methods; i++)
            q_built |= v->d.snap.methods[i].kind == TUNE_QLORA && v->d.snap.methods[i].built;
        if (!q_built) {
            grid_put(g, y++, r.x + 2, "QLoRA: its frozen base is measured as stored (NF4) once the lab starts.", ROLE_DIM,
                     r.w - 2);
            y++;
        } else {
            double q = 0, fp = 4.0 * (double)v->d.snap.base_params;
            const char *q_label = "";
            for (int i = 0; i < n; i++) {
                const LabMethodSnapshot *m = &v->d.snap.methods[i];
                if (m->kind == TUNE_QLORA && !q) q = (double)m->bytes.frozen, q_label = labels[i].label;
            }
            char a[32], b[32];
            fmt_mem(a, sizeof a, q);
            fmt_mem(b, sizeof b, fp);
            int x = r.x + 2;
            x += grid_printf(g, y, x, ROLE_STRONG, -1, "%s", q_label);
            x += grid_printf(g, y, x, ROLE_LABEL, -1, ": frozen base as stored ");
            x += grid_printf(g, y, x, ROLE_VALUE, -1, "%s", a);
            x += grid_printf(g, y, x, ROLE_LABEL, -1, " against ");
            x += grid_printf(g, y, x, ROLE_VALUE, -1, "%s", b);
            grid_printf(g, y, x, ROLE_LABEL, r.x + r.w - x, " in fp32: %.1f× smaller", q > 0 ? fp / q : 0.0);
            y++;
            grid_put(g, y++, r.x + 4, "(linear layers in NF4; embeddings, biases and norms stay fp32)", ROLE_DIM,
                     r.w - 4);
        }
    }
    *py = y;
}

/* The results table; wide has the long headers, bits per byte and the
 * step of the latest held-out point. */
static char **result_cells(const LabView *v, LabItem labels[], int n, bool wide, int *pcols)
{
    bool acc = addition(v);
    int cols = 6 + (wide ? 1 : 0) + (acc ? 1 : 0);
    *pcols = cols;
    char **c = vmem_array((size_t)(n + 2) * (size_t)cols, sizeof(char *));
    int j = 0;
    c[j++] = vmem_strdup("method");
    c[j++] = vmem_strdup("step");
    c[j++] = vmem_strdup(wide ? "train loss" : "train");
    c[j++] = vmem_strdup("held-out");
    if (wide) c[j++] = vmem_strdup("bits/byte");
    c[j++] = vmem_strdup(wide ? "forgetting" : "forget");
    if (acc) c[j++] = vmem_strdup(wide ? "accuracy" : "acc.");
    c[j++] = vmem_strdup("status");
    /* The base model first: what every method starts from. */
    {
        char **row = c + (size_t)cols;
        const LabResult *b = v->d.have_snap ? v->d.snap.base : NULL;
        bool ready = b && b->ready;
        int k = 0;
        row[k++] = vmem_strdup("base model");
        row[k++] = vmem_strdup("0");
        row[k++] = vmem_strdup("–");
        row[k++] = ready ? vmem_printf("%.4f", b->eval_loss) : vmem_strdup("–");
        if (wide) row[k++] = ready ? vmem_printf("%.3f", b->eval_bpb) : vmem_strdup("–");
        row[k++] = ready ? vmem_strdup("0") : vmem_strdup("–");
        if (acc)
            row[k++] = ready && b->has_accuracy && isfinite(b->accuracy) ? vmem_printf("%.1f%%", 100 * b->accuracy)
                                                                        : vmem_strdup("–");
        row[k] = vmem_strdup(ready ? "before tuning" : v->d.have_snap ? "measuring" : "–");
    }
    for (int i = 0; i < n; i++) {
        char **row = c + (size_t)(i + 2) * cols;
        int k = 0;
        row[k++] = vmem_strdup(labels[i].label);
        if (!v->d.have_snap) {
            while (k < cols - 1) row[k++] = vmem_strdup("–");
            row[k] = vmem_strdup("not started");
            continue;
        }
        LabDemoRow rw;
        lab_demo_row(&v->d, i, &rw);
        row[k++] = vmem_printf("%d/%d", rw.m->step, rw.m->steps);
        row[k++] = num_or_dash(rw.train_loss, "%.4f");
        if (wide && isfinite(rw.eval_loss) && !rw.final) row[k++] = vmem_printf("%.4f @%d", rw.eval_loss, rw.eval_step);
        else row[k++] = num_or_dash(rw.eval_loss, "%.4f");
        if (wide) row[k++] = num_or_dash(rw.bpb, "%.3f");
        row[k++] = num_or_dash(rw.forgetting, "%+.4f");
        if (acc) {
            if (rw.final && rw.has_accuracy && isfinite(rw.accuracy))
                row[k++] = wide ? vmem_printf("%.1f%% (%d/%d)", 100 * rw.accuracy, rw.correct, rw.total)
                                : vmem_printf("%.1f%%", 100 * rw.accuracy);
            else row[k++] = vmem_strdup("–");
        }
        if (rw.m->diverged) row[k] = vmem_printf(wide ? "diverged at step %d" : "diverged at %d", rw.m->diverged_step);
        else if (rw.final && rw.m->step < rw.m->steps) row[k] = vmem_strdup("stopped, done");
        else if (rw.final) row[k] = vmem_strdup("done");
        else if (v->d.state == LABD_RUNNING)
            row[k] = vmem_strdup(v->d.snap.phase == LAB_PHASE_BASELINE ? "waiting" : "training");
        else row[k] = vmem_strdup("–");
    }
    return c;
}

static void draw_results(LabView *v, Grid *g, int *py, Rect r, const ViewEnv *env, LabItem labels[], int n)
{
    int y = *py, cols;
    char **c = result_cells(v, labels, n, true, &cols);
    if (table_width(g, c, n + 2, cols) > r.w - 2) {
        free_cells(c, (n + 2) * cols);
        c = result_cells(v, labels, n, false, &cols);
    }
    widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)c, n + 2, cols, -1, env);
    grid_recolour(g, (Rect){y + 2, r.x + 2, 1, table_width(g, c, n + 2, cols)}, ROLE_DIM);
    colour_labels(g, y + 1, r.x + 2, v, labels, n, env);
    /* Diverged rows stand out. */
    for (int i = 0; v->d.have_snap && i < n; i++)
        if (v->d.snap.methods[i].diverged) {
            int w = grid_text_width(g, c[(size_t)(i + 2) * cols + cols - 1]);
            int x = r.x + 2 + table_width(g, c, n + 2, cols) - w;
            grid_recolour(g, (Rect){y + 3 + i, x, 1, w}, ROLE_BAD);
        }
    free_cells(c, (n + 2) * cols);
    y += n + 3;
    *py = y;
}

static void draw_samples(LabView *v, Grid *g, int *py, Rect r, const ViewEnv *env)
{
    int y = *py;
    if (samples_height(v, r.w) == 0) return;
    LabItem labels[LAB_MAX_METHODS];
    table_methods(v, labels);
    y++;
    grid_put(g, y++, r.x + 2, addition(v) ? "Answers to held-out problems (greedy decoding)" : "Samples (temperature 0.8, the same seed for each)",
             ROLE_HEADING, r.w - 2);
    int n = v->d.snap.n_methods;
    for (int i = -1; i < n; i++) {
        const char *label, *text;
        LabDemoRow row;
        if (i < 0) {
            const LabResult *b = v->d.snap.base;
            if (!b || !b->ready) continue;
            label = "the base model, before tuning";
            text = b->sample;
        } else {
            lab_demo_row(&v->d, i, &row);
            if (!row.final) continue;
            label = labels[i].label;
            text = row.sample;
        }
        int x = grid_put(g, y, r.x + 2, label, ROLE_STRONG, r.w - 2);
        if (i >= 0 && env->colour >= CMODE_BASIC && !env->ascii) {
            Role role;
            char mark;
            method_style(v, &labels[i], &role, &mark);
            grid_recolour(g, (Rect){y, r.x + 2, 1, x}, role);
        }
        y++;
        char *t = sample_text(v, text);
        int st[SAMPLE_MAX_LINES], ln[SAMPLE_MAX_LINES];
        int nl = wrap_plain(t, r.w - 6, st, ln, SAMPLE_MAX_LINES);
        for (int k = 0; k < nl; k++) grid_putn(g, y++, r.x + 4, t + st[k], (size_t)ln[k], ROLE_CODE, r.w - 6);
        free(t);
    }
    *py = y;
}

/* The finished run on screen as a lab file's record: the file opened, or
 * what the keep holds of this lab's last finished run; NULL while one runs
 * or none finished. */
static const LabRecord *shown_record(const LabView *v)
{
    if (v->d.state != LABD_DONE) return NULL;
    if (v->shown == SHOWN_FILE) return v->opened;
    const LabKept *k = v->keep ? lab_keep_get(v->keep, v->key, NULL, 0) : NULL;
    return k ? k->record : NULL;
}

/* The findings panel after a run: each published finding the run's
 * methods can test, "paper: claim (source) — this run: value — verdict"
 * (findings.h); the ones it cannot test are counted. One seed has no
 * spread, so no verdict here says "inside the noise". Returns the rows;
 * draws when g. */
static int findings_rows(LabView *v, Grid *g, int y, Rect r)
{
    const LabRecord *rec = shown_record(v);
    if (rec != v->findings_of) {
        v->findings_of = rec;
        v->n_findings = 0;
        if (rec) {
            FindingsInput *in = vmem_alloc(sizeof *in);
            if (v->shown == SHOWN_FILE && v->exp_opened) experiment_findings_input(in, v->exp, v->exp_sum);
            else findings_input_from_record(in, rec);
            v->n_findings = findings_compute(in, v->findings);
            free(in);
        }
    }
    if (!rec || v->n_findings == 0) return 0;
    static const Role verdict_role[FINDING_NUM_VERDICTS] = {
        [FINDING_HOLDS] = ROLE_GOOD, [FINDING_FAILS] = ROLE_BAD, [FINDING_NOISE] = ROLE_WARN,
        [FINDING_UNTESTED] = ROLE_DIM};
    int y0 = y, untested = 0;
    y++;
    if (g)
        grid_put(g, y, r.x + 2,
                 v->shown == SHOWN_FILE && v->exp_opened ? "The papers' findings, tested on this experiment (mean and spread over seeds)"
                                                         : "What the papers found, tested on this run",
                 ROLE_HEADING, r.w - 2);
    y++;
    for (int i = 0; i < v->n_findings; i++) {
        const Finding *f = &v->findings[i];
        if (f->verdict == FINDING_UNTESTED) {
            untested++;
            continue;
        }
        char *t = vmem_printf("%s (%s) — this run: %s — %s", f->claim, f->source, f->value,
                              finding_verdict_name(f->verdict));
        int st[12], ln[12];
        int nl = wrap_plain(t, r.w - 6, st, ln, 12);
        for (int k = 0; g && k < nl; k++)
            grid_putn(g, y + k, r.x + (k ? 6 : 4), t + st[k], (size_t)ln[k], ROLE_TEXT, r.w - (k ? 6 : 4));
        if (g) {
            grid_put(g, y, r.x + 2, "•", ROLE_BULLET, 1);
            /* The verdict, at the end of the last line, in its colour. */
            const char *vn = finding_verdict_name(f->verdict);
            int vw = grid_text_width(g, vn);
            int last = nl - 1, x = r.x + (last ? 6 : 4) + utf8_width_n(t + st[last], (size_t)ln[last]) - vw;
            grid_recolour(g, (Rect){y + last, x, 1, vw}, verdict_role[f->verdict]);
        }
        y += nl;
        free(t);
    }
    if (untested) {
        if (g)
            grid_printf(g, y, r.x + 4, ROLE_DIM, r.w - 4,
                        "%d more not tested: this run lacks the methods they compare.", untested);
        y++;
    }
    return y - y0;
}

/* The compared lab under this one's results: a heading, a row per method
 * (its final figures) and its samples. Returns the rows; draws when g. */
static int compare_rows(LabView *v, Grid *g, int y, Rect r, const ViewEnv *env)
{
    const LabKept *cmp = compared(v);
    if (!v->cmp_id[0]) return 0;
    int y0 = y;
    y++;
    if (!cmp) {
        char *t = vmem_printf("The lab '%s' has not run yet: run it (an earlier page), and its results appear here "
                              "beside this one's.", v->cmp_id);
        int st[4], ln[4];
        int nl = wrap_plain(t, r.w - 2, st, ln, 4);
        for (int k = 0; g && k < nl; k++) grid_putn(g, y + k, r.x + 2, t + st[k], (size_t)ln[k], ROLE_DIM, r.w - 2);
        free(t);
        return 1 + nl;
    }
    const LabSnapshot *c = &cmp->snap;
    if (g)
        grid_printf(g, y, r.x + 2, ROLE_HEADING, r.w - 2, "For comparison, the lab '%s' (%s, %d steps):", v->cmp_id,
                    cmp->from_disk ? "saved with your progress" : "kept from this session", c->steps);
    y++;
    bool acc = cmp->task == TASK_ADDITION;
    int cols = 5 + acc, n = 0;
    int idx[LAB_MAX_METHODS];
    for (int m = 0; m < c->n_methods; m++)
        if (compared_method(v, c, m)) idx[n++] = m;
    char **cells = vmem_array((size_t)(n + 1) * (size_t)cols, sizeof(char *));
    int k = 0;
    cells[k++] = vmem_strdup("method");
    cells[k++] = vmem_strdup("train");
    cells[k++] = vmem_strdup("held-out");
    cells[k++] = vmem_strdup("forget");
    if (acc) cells[k++] = vmem_strdup("acc.");
    cells[k++] = vmem_strdup("status");
    for (int i = 0; i < n; i++) {
        const LabMethodSnapshot *m = &c->methods[idx[i]];
        const LabResult *res = m->result;
        bool ready = res && res->ready;
        size_t cut = strcspn(m->label, ",");
        cells[k++] = vmem_printf("%.*s", (int)cut, m->label);
        cells[k++] = ready ? num_or_dash(res->train_loss, "%.4f") : vmem_strdup("–");
        cells[k++] = ready ? num_or_dash(res->eval_loss, "%.4f") : vmem_strdup("–");
        cells[k++] = ready ? num_or_dash(res->forgetting, "%+.4f") : vmem_strdup("–");
        if (acc)
            cells[k++] = ready && res->has_accuracy ? num_or_dash(100 * res->accuracy, "%.1f%%") : vmem_strdup("–");
        cells[k++] = m->diverged ? vmem_printf("diverged at %d", m->diverged_step)
                                 : vmem_printf("%d/%d steps", m->step, m->steps);
    }
    if (g) {
        widget_table(g, y, r.x + 2, r.w - 2, (const char *const *)cells, n + 1, cols, -1, env);
        grid_recolour(g, (Rect){y + 2, r.x + 2, n, r.w - 2}, ROLE_DIM);
    }
    free_cells(cells, (n + 1) * cols);
    y += n + 2;
    /* Its samples, for the lesson's "compare the samples". */
    bool heading = false;
    for (int i = 0; i < n; i++) {
        const LabMethodSnapshot *m = &c->methods[idx[i]];
        if (!m->result || !m->result->ready || !m->result->sample[0]) continue;
        if (!heading) {
            y++;
            if (g) grid_printf(g, y, r.x + 2, ROLE_HEADING, r.w - 2, "Samples of the lab '%s'", v->cmp_id);
            y++;
            heading = true;
        }
        size_t cut = strcspn(m->label, ",");
        if (g) grid_printf(g, y, r.x + 2, ROLE_STRONG, r.w - 2, "%.*s", (int)cut, m->label);
        y++;
        char *t = sample_text(v, m->result->sample);
        int st[SAMPLE_MAX_LINES], ln[SAMPLE_MAX_LINES];
        int nl = wrap_plain(t, r.w - 6, st, ln, SAMPLE_MAX_LINES);
        for (int j = 0; g && j < nl; j++) grid_putn(g, y + j, r.x + 4, t + st[j], (size_t)ln[j], ROLE_CODE, r.w - 6);
        y += nl;
        free(t);
    }
    return y - y0;
}

static void lv_draw(void *self, Grid *g, Rect r, const ViewEnv *env, int focus)
{
    LabView *v = self;
    int y = r.y;
    if (v->results_only && !v->d.have_snap) {
        grid_printf(g, y++, r.x + 2, ROLE_DIM, r.w - 2, "The lab '%s' has not run yet: its results appear here once it has.",
                    v->id);
        origin_rows(v, g, y, r.x + 2, r.w - 2);
        return;
    }
    if (!v->results_only) {
        draw_controls(v, g, &y, r, env, focus);
        y++;
    }
    draw_progress(v, g, &y, r, env);
    y++;
    draw_plot(v, g, y, r, env);
    y += LV_PLOT_ROWS + 1;
    LabItem labels[LAB_MAX_METHODS];
    int n = table_methods(v, labels);
    draw_cost(v, g, &y, r, env, labels, n);
    y++;
    draw_results(v, g, &y, r, env, labels, n);
    y += findings_rows(v, g, y, r);
    draw_samples(v, g, &y, r, env);
    compare_rows(v, g, y, r, env);
}

// ----------------------------------------------------------------------------
// Input

static int lv_n_controls(void *self)
{
    const LabView *v = self;
    return v->results_only ? 0 : lc_n(v);
}

/* Slider values into the settings. */
static void apply_sliders(LabView *v)
{
    LabDemoSettings *s = &v->d.set;
    for (int j = 0; j < v->n_size; j++) s->size[v->size_kind[j]] = (int)v->size[j].value;
    s->lr_scale = v->lr.value;
    s->steps = (int)v->steps.value;
    s->seed = (unsigned long long)v->seed.value;
}

static int run_button(LabView *v)
{
    if (lab_demo_running(&v->d)) {
        lab_demo_stop(&v->d);
        return EV_HANDLED | EV_REDRAW;
    }
    apply_sliders(v);
    Status st;
    v->rerun = v->choosing = false;
    lab_demo_start(&v->d, &st);
    drop_opened(v); /* the start replaced what it showed */
    v->shown = SHOWN_LIVE;
    v->note[0] = '\0';
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

/* Open a results file (lab_file.h) and show it as a finished lab: the
 * path as typed, with ~/ for the home folder; a relative path not found
 * here is looked for in lorascope's folder too (data/lab-results/...).
 * What went wrong goes to the note; what was shown stays. */
static void open_results(LabView *v, const char *typed)
{
    char path[2048];
    const char *home = getenv("HOME");
    if (typed[0] == '~' && typed[1] == '/' && home) snprintf(path, sizeof path, "%s/%s", home, typed + 2);
    else snprintf(path, sizeof path, "%s", typed);
    if (path[0] != '/' && access(path, F_OK) != 0) {
        char rooted[2048];
        const char *root = paths_root();
        if (root && snprintf(rooted, sizeof rooted, "%s/%s", root, path) < (int)sizeof rooted &&
            access(rooted, F_OK) == 0)
            memcpy(path, rooted, sizeof path);
    }
    v->note_error = true;
    if (lab_demo_running(&v->d)) {
        snprintf(v->note, sizeof v->note, "Stop the lab before opening a results file.");
        return;
    }
    LabRecord *rec = malloc(sizeof *rec);
    if (!rec) {
        snprintf(v->note, sizeof v->note, "Out of memory opening %s.", typed);
        return;
    }
    lab_record_init(rec);
    Status st = {0};
    Experiment *e = NULL;
    if (lab_file_load(path, rec, &st) != LS_OK) {
        /* Else an experiment (data/lab-results): shown at each method's
         * chosen rate, its seeds as a band. */
        free(rec);
        rec = NULL;
        Status est = {0};
        e = malloc(sizeof *e);
        TaskKind task = TASK_DOMAIN;
        if (e && experiment_load(path, e, &est) == LS_OK && e->cfg.n_tasks > 0) {
            task = e->cfg.tasks[0];
            for (int i = 0; i < e->cfg.n_tasks; i++)
                if (e->cfg.tasks[i] == v->d.set.task) task = v->d.set.task;
            if (take_exp(v, e, task, true)) rec = exp_record(v->exp, v->exp_sum, &est);
            else est.msg[0] = '\0';
        } else if (e) {
            experiment_free(e);
            free(e);
        }
        if (!rec) {
            snprintf(v->note, sizeof v->note,
                     "Could not open it: %s. Expected the JSON that `lorascope finetune --json FILE` writes (or an "
                     "experiment of data/lab-results).",
                     st.msg);
            return;
        }
    } else if (v->exp_opened) {
        drop_exp(v); /* a single lab: no band of another file's */
    }
    LabSnapshot snap;
    lab_record_snapshot(rec, &snap);
    lab_demo_show(&v->d, &snap);
    v->rerun = false;
    drop_opened(v); /* after the show: nothing points into it now */
    v->opened = rec;
    v->shown = SHOWN_FILE;
    snprintf(v->opened_name, sizeof v->opened_name, "%s", typed);
    v->note[0] = '\0';
    v->note_error = false;
}

/* r: choose a cell of the opened experiment (opening the shipped one of
 * the task chosen when none is open). */
static int start_choosing(LabView *v)
{
    if (lab_demo_running(&v->d)) {
        snprintf(v->note, sizeof v->note, "Stop the lab before re-running a cell.");
        v->note_error = true;
        return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
    }
    if (!v->exp || !v->exp_opened) {
        char path[64];
        shipped_path(v->d.set.task, path, sizeof path);
        open_results(v, path);
        if (!v->exp || !v->exp_opened) return EV_HANDLED | EV_REDRAW | EV_RELAYOUT; /* the note says why */
    }
    const ExpMethodSummary *sm;
    if (picked_cell(v, &sm) < 0) {
        v->pick_s = 0;
        for (v->pick_m = 0; v->pick_m < v->exp_sum->n_methods; v->pick_m++)
            if (v->exp_sum->methods[v->pick_m].n_cells > 0) break;
    }
    v->choosing = true;
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

/* Train the chosen cell's method alone, as the experiment ran it. */
static void start_rerun(LabView *v)
{
    const ExpMethodSummary *sm;
    int cell = picked_cell(v, &sm);
    v->choosing = false;
    if (cell < 0) return;
    LabConfig c;
    Status st = {0};
    v->note[0] = '\0';
    if (experiment_rerun_config(v->exp, cell, sm->method_index, &c, v->rerun_methods, sizeof v->rerun_methods, &st) !=
        LS_OK) {
        snprintf(v->note, sizeof v->note, "Could not re-run that cell: %s.", st.msg);
        v->note_error = true;
        return;
    }
    c.base_model = v->d.set.base_model;
    const LabRecord *r = v->exp->cells[cell].rec;
    v->rerun_shipped = r->methods[sm->method_index].result;
    v->rerun_seed = c.seed;
    v->rerun_steps = c.steps;
    v->rerun_batch = c.batch;
    v->rerun = true;
    v->rerun_checked = false;
    lab_demo_start_config(&v->d, &c, &st);
    drop_opened(v); /* the start replaced what it showed */
    v->shown = SHOWN_LIVE;
}

/* Choosing the cell: ←/→ the method (those with a finished cell), ↑/↓ the
 * seed, Enter runs it, Esc cancels; every other key is ignored (Ctrl-C
 * still quits). */
static int choose_key(LabView *v, int key)
{
    if (key == VK_CTRL_C) return 0;
    int n = v->exp_sum ? v->exp_sum->n_methods : 0;
    if (key == VK_ESC) {
        v->choosing = false;
    } else if (key == VK_ENTER || key == ' ') {
        start_rerun(v);
    } else if ((key == VK_LEFT || key == 'h' || key == VK_RIGHT || key == 'l') && n > 0) {
        int dir = key == VK_LEFT || key == 'h' ? -1 : 1;
        for (int t = 0; t < n; t++) {
            v->pick_m = (v->pick_m + dir + n) % n;
            if (v->exp_sum->methods[v->pick_m].n_cells > 0) break;
        }
        int cells = v->exp_sum->methods[v->pick_m].n_cells;
        if (v->pick_s >= cells) v->pick_s = cells - 1;
    } else if ((key == VK_UP || key == 'k' || key == VK_DOWN || key == 'j') && n > 0) {
        int cells = v->exp_sum->methods[v->pick_m].n_cells;
        if (cells > 0) v->pick_s = (v->pick_s + (key == VK_UP || key == 'k' ? -1 : 1) + cells) % cells;
    }
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
}

/* Typing the path (it starts with the last one typed): Enter opens, Esc
 * cancels, Backspace deletes a character and Ctrl-U the line, as in a
 * shell; every other key is text (Ctrl-C still quits). */
static int prompt_key(LabView *v, int key)
{
    size_t n = strlen(v->path);
    if (key == VK_CTRL_C) return 0;
    if (key == VK_ESC) {
        v->prompting = false;
    } else if (key == VK_ENTER) {
        v->prompting = false;
        if (v->path[0]) open_results(v, v->path);
        return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
    } else if (key == VK_BACKSPACE) {
        while (n > 0 && ((unsigned char)v->path[--n] & 0xC0) == 0x80) {}
        v->path[n] = '\0';
    } else if (key == 'U' - '@') {
        v->path[0] = '\0';
    } else if (key >= 32 && key < VK_BASE && key != 127) {
        char u[4];
        int k = utf8_encode((uint32_t)key, u);
        if (n + (size_t)k + 1 < sizeof v->path) {
            memcpy(v->path + n, u, (size_t)k);
            v->path[n + (size_t)k] = '\0';
        }
    }
    return EV_HANDLED | EV_REDRAW | EV_RELAYOUT; /* the path may take another row */
}

static int lv_key(void *self, int control, int key, Action act)
{
    LabView *v = self;
    if (v->prompting) return prompt_key(v, key);
    if (v->choosing) return choose_key(v, key);
    if (act == ACT_OPEN_FILE) {
        /* The first time, the shipped experiment: Enter opens it. */
        if (!v->path[0]) shipped_path(v->d.set.task, v->path, sizeof v->path);
        v->prompting = true;
        return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
    }
    if (act == ACT_RERUN_CELL) return start_choosing(v);
    bool enter = key == VK_ENTER || key == ' ';
    int dir = act == ACT_INC || act == ACT_INC_BIG ? 1 : act == ACT_DEC || act == ACT_DEC_BIG ? -1 : 0;
    if (control == LC_RUN) return enter ? run_button(v) : 0;
    if (control == lc_curves(v)) {
        if (!dir && !enter) return 0;
        v->curves = (v->curves + (dir ? dir : 1) + CURVES_N) % CURVES_N;
        return EV_HANDLED | EV_REDRAW;
    }
    bool slider_act = dir || act == ACT_MIN || act == ACT_MAX;
    if (control == LC_METHODS) {
        if (dir) {
            /* The cursor moves even while locked (to read the list). */
            v->cursor = (v->cursor + dir + n_toggles(v)) % n_toggles(v);
            return EV_HANDLED | EV_REDRAW;
        }
        if (!enter) return 0;
        if (locked(v)) return EV_HANDLED;
        bool *f = toggle_flag(v, v->cursor);
        *f = !*f;
        return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
    }
    if (control == LC_TASK) {
        if (!dir && !enter) return 0;
        if (locked(v)) return EV_HANDLED;
        v->d.set.task = v->d.set.task == TASK_ADDITION ? TASK_DOMAIN : TASK_ADDITION;
        return EV_HANDLED | EV_REDRAW;
    }
    int k = knob_of(v, control);
    if (k >= 0) {
        if (!dir && !enter) return 0;
        if (locked(v)) return EV_HANDLED;
        int n;
        lab_demo_knob_words(k, &n);
        v->d.set.knob[k] = (v->d.set.knob[k] + (dir ? dir : 1) + n) % n;
        return EV_HANDLED | EV_REDRAW;
    }
    Slider *sl = slider_of(v, control);
    if (!sl || !slider_act) return 0;
    if (locked(v)) return EV_HANDLED;
    int fl = dview_slider_key(sl, act);
    if (fl & EV_REDRAW) {
        apply_sliders(v);
        fl |= EV_RELAYOUT; /* a label may change width */
    }
    return fl;
}

static int lv_mouse(void *self, const MouseEvent *ev, int *control)
{
    LabView *v = self;
    if (v->results_only) {
        *control = -1;
        return 0;
    }
    if (v->choosing || v->prompting) return EV_HANDLED; /* the keys finish what was begun */
    bool press = ev->kind == MOUSE_PRESS;
    if (press && ev->y == v->run_y && ev->x >= v->run_x0 && ev->x < v->run_x1) {
        *control = LC_RUN;
        return run_button(v);
    }
    int o;
    if (press && (o = widget_choice_at(&v->task_hit, ev->y, ev->x)) >= 0) {
        *control = LC_TASK;
        if (!locked(v)) v->d.set.task = o ? TASK_ADDITION : TASK_DOMAIN;
        return EV_HANDLED | EV_REDRAW;
    }
    for (int k = 0; press && k < LAB_DEMO_KNOBS; k++)
        if ((o = widget_choice_at(&v->knob_hit[k], ev->y, ev->x)) >= 0) {
            *control = lc_knob(v, k);
            if (!locked(v)) v->d.set.knob[k] = o;
            return EV_HANDLED | EV_REDRAW;
        }
    if (press && (o = widget_choice_at(&v->curves_hit, ev->y, ev->x)) >= 0) {
        *control = lc_curves(v);
        v->curves = o;
        return EV_HANDLED | EV_REDRAW;
    }
    for (int i = 0; press && i < v->n_tog; i++)
        if (ev->y == v->tog_y[i] && ev->x >= v->tog_x[i] && ev->x < v->tog_x[i] + v->tog_w[i]) {
            *control = LC_METHODS;
            v->cursor = i;
            if (!locked(v)) *toggle_flag(v, i) = !*toggle_flag(v, i);
            return EV_HANDLED | EV_REDRAW | EV_RELAYOUT;
        }
    for (int c = LC_SIZE0; c < lc_curves(v); c++) {
        if (!slider_of(v, c)) continue;
        if (locked(v)) {
            if (press && ev->y == v->rows[c]) {
                *control = c;
                return EV_HANDLED | EV_REDRAW;
            }
            continue;
        }
        int fl = dview_slider_mouse(slider_of(v, c), &v->hit[c], ev, ev->kind == MOUSE_DRAG && *control == c);
        if (fl) {
            *control = c;
            if (fl & EV_REDRAW) apply_sliders(v), fl |= EV_RELAYOUT;
            return fl;
        }
    }
    if (press)
        for (int c = 0; c < lc_n(v); c++)
            if (ev->y == v->rows[c]) {
                *control = c;
                return EV_HANDLED | EV_REDRAW;
            }
    *control = -1;
    return 0;
}

static const char *lv_hint(void *self, int control)
{
    LabView *v = self;
    /* The path typed and the cell chosen are shown in the lab (origin_text),
     * where they wrap: the hint line keeps to the keys. */
    if (v->prompting) return "typing a path: Enter opens · Esc cancels · Ctrl-U clears";
    if (v->choosing) return "←/→ method · ↑/↓ seed · Enter runs · Esc cancels";
    bool lock = locked(v);
    const char *h;
    if (control >= LC_SIZE0 && control < lc_knob(v, 0)) {
        const TuneMethod *m = tune_method(v->size_kind[control - LC_SIZE0]);
        snprintf(v->hint, sizeof v->hint, lock ? "%s of %s (stop the lab to change it)" : "%s of %s: ←/→ ×2 · Tab next",
                 m->size_name, m->name);
        return v->hint;
    }
    if (control == lc_lr(v)) {
        /* Every method's default rate times the multiplier, from the registry. */
        int n = snprintf(v->hint, sizeof v->hint, "%slearning rates ×%.3g:", lock ? "(locked while training) " : "",
                         v->lr.value);
        for (int k = 0; k < TUNE_NUM_KINDS && n > 0 && (size_t)n < sizeof v->hint; k++) {
            const TuneMethod *m = tune_method((TuneKind)k);
            double lr = lab_demo_default_lr(&v->d.set, (TuneKind)k, m->size_default);
            n += snprintf(v->hint + n, sizeof v->hint - (size_t)n, "%s %s %.2g", k ? "," : "", m->name,
                          lr * v->lr.value);
        }
        if (n > 0 && (size_t)n < sizeof v->hint) snprintf(v->hint + n, sizeof v->hint - (size_t)n, " · ←/→ ×2");
        return v->hint;
    }
    int k = knob_of(v, control);
    if (k >= 0) {
        snprintf(v->hint, sizeof v->hint, "%s%s%s", lock ? "(locked while training) " : "", lab_demo_knobs[k].what,
                 lock ? "" : knob_used(v, k) ? " · ←/→ choose" : " (no method chosen takes it)");
        return v->hint;
    }
    if (control == lc_steps(v)) {
        h = lock ? "steps per method (stop the lab to change it)" : "steps per method: ←/→ ×1.19, Shift ×2 · Tab next";
    } else if (control == lc_seed(v)) {
        h = lock ? "the seed (stop the lab to change it)"
                 : "seed of the batches and the methods' random starts: ←/→ ±1, Shift ±10 · Tab next";
    } else {
        switch (control) {
        case LC_RUN:
            h = lab_demo_running(&v->d) ? "Enter stops training (what ran is then evaluated) · Tab next"
                : v->d.state == LABD_DONE ? "Enter runs again · o opens · r re-runs a cell"
                                          : "Enter starts the lab · o opens · r re-runs a cell";
            break;
        case LC_TASK: h = lock ? "the task (stop the lab to change it)" : "←/→ the task: domain shift or addition · Tab next"; break;
        case LC_METHODS:
            h = lock ? "the methods (stop the lab to change them) · ←/→ move"
                     : "←/→ move, Enter/Space turns a method on or off · Tab next";
            break;
        default: h = "←/→ which curves: held-out, training or both · Tab next"; break;
        }
    }
    snprintf(v->hint, sizeof v->hint, "%s", h);
    return v->hint;
}

static int lv_control_row(void *self, int control)
{
    LabView *v = self;
    if (v->prompting || v->choosing) return v->origin_y; /* what is typed or chosen */
    return v->rows[control < 0 || control >= lc_n(v) ? 0 : control];
}

static bool lv_busy(void *self)
{
    return lab_demo_running(&((LabView *)self)->d);
}

static int lv_tick(void *self, double budget_ms)
{
    LabView *v = self;
    int before = v->d.snap.phase;
    bool had_final[LAB_MAX_METHODS];
    for (int i = 0; i < v->d.snap.n_methods; i++) had_final[i] = v->d.snap.methods[i].result && v->d.snap.methods[i].result->ready;
    if (lab_demo_tick(&v->d, budget_ms) == 0) return 0;
    int fl = EV_REDRAW;
    if (v->rerun && v->d.state == LABD_DONE && !v->rerun_checked) {
        /* A check of the shipped cell, not the student's lab: compared, not kept. */
        const LabResult *live = v->d.snap.n_methods > 0 ? v->d.snap.methods[0].result : NULL;
        LabResult none = {0};
        experiment_rerun_compare(&v->rerun_shipped, live ? live : &none, &v->rerun_check);
        v->rerun_checked = true;
        fl |= EV_RELAYOUT;
    } else if (v->d.state == LABD_DONE && v->keep && v->key[0]) {
        /* Finished (or stopped and evaluated): kept for when the student
         * comes back, and saved with the progress. */
        Status st = {0};
        if (lab_keep_put(v->keep, v->key, &v->d.snap, &v->d.set, &st) != LS_OK) {
            snprintf(v->note, sizeof v->note, "These results are kept for this session but could not be saved: %s",
                     st.msg);
            v->note_error = true;
        }
        fl |= EV_RELAYOUT;
    }
    if ((int)v->d.snap.phase != before || v->d.state != LABD_RUNNING) fl |= EV_RELAYOUT;
    for (int i = 0; i < v->d.snap.n_methods; i++)
        if (!had_final[i] && v->d.snap.methods[i].result && v->d.snap.methods[i].result->ready) fl |= EV_RELAYOUT;
    return fl;
}

const DemoViewOps dview_lab = {
    .name = "lab",
    .create = lv_create,
    .destroy = lv_destroy,
    .height = lv_height,
    .draw = lv_draw,
    .n_controls = lv_n_controls,
    .key = lv_key,
    .mouse = lv_mouse,
    .hint = lv_hint,
    .control_row = lv_control_row,
    .busy = lv_busy,
    .tick = lv_tick,
    .keep = lv_keep,
};
