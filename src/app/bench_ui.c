/* bench_ui.c — the interface's two promises, measured in the running binary:
 *   a slider step in the SVD demo (demo update + page layout + drawing into
 *   an off-screen curses screen) takes <= 16 ms, one frame at 60 Hz — and so
 *   does a step of lesson 3's precision sliders (the photo rounded to eXmY)
 *   and of lesson 4's quantization controls (histogram, levels, curves);
 *   start-up to the first drawn frame (load the lessons and progress, open
 *   the terminal, lay out and draw) takes <= 100 ms.
 * The terminal is a real ncurses SCREEN made by newterm on /dev/null, so
 * the figures include curses' own work, not just ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_out.h"
#include "../base/paths.h"
#include "../lesson/lesson.h"
#include "../lesson/progress.h"
#include "../ui/term.h"
#include "../view/app.h"
#include "../view/dview_lab.h"
#include "../view/keys.h"
#include "bench.h"
#include "cli.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool open_svd_page(App *app, const LessonList *lessons);

/* Everything from reading the lessons to the first frame emitted: the
 * contents, or (demo) the SVD demo page a resumed session opens on, which
 * includes decomposing the photograph. */
static int start_once(int w, int h, bool demo, double *ms, Status *st)
{
    double t0 = bench_now();
    char dir[4096];
    paths_resolve(dir, sizeof dir, "lessons");
    LessonList lessons = {0};
    if (lessons_load_dir(&lessons, dir, st) != LS_OK) return 1;
    Progress progress;
    progress_init(&progress);
    Status ignore;
    progress_load(&progress, "/nonexistent/lorascope-bench/progress.json", &ignore);
    Term term;
    char err[256];
    if (term_open_offscreen(&term, w, h, "xterm-256color", err, (int)sizeof err) != 0) {
        status_fail(st, LS_ERR_IO, "%s", err);
        lessons_free(&lessons);
        progress_free(&progress);
        return 1;
    }
    App app;
    app_init(&app, &lessons, &progress, NULL, (ViewEnv){false, term.colour}, NULL, false);
    app_resize(&app, w, h);
    if (demo) open_svd_page(&app, &lessons);
    Grid screen;
    grid_init(&screen, w, h, false);
    app_draw(&app, &screen);
    term_emit(&term, &screen, app_theme(&app));
    *ms = 1e3 * (bench_now() - t0);
    grid_free(&screen);
    app_free(&app);
    term_close(&term);
    lessons_free(&lessons);
    progress_free(&progress);
    return 0;
}

/* Open the first page holding an svd demo and focus its slider. */
static bool open_svd_page(App *app, const LessonList *lessons)
{
    for (int i = 0; i < lessons->n; i++)
        for (int p = 0; p < lessons->lessons[i].n_pages; p++) {
            const Page *pg = &lessons->lessons[i].pages[p];
            for (int b = 0; b < pg->n_blocks; b++)
                if (pg->blocks[b].kind == BLOCK_DEMO && pg->blocks[b].valid && pg->blocks[b].info &&
                    strcmp(pg->blocks[b].info, "svd") == 0) {
                    app_open_lesson(app, i, p);
                    for (int k = 0; k < 16 && app->page.focus < 0; k++) app_key(app, VK_TAB);
                    return app->page.focus >= 0;
                }
        }
    return false;
}

typedef struct StepFigures {
    double median, worst, mean;
    int steps;
} StepFigures;

/* Time slider steps from rank 1 upwards: key -> demo update -> layout ->
 * draw -> emit, each one a frame. */
static int time_steps(int w, int h, int n_steps, StepFigures *f, Status *st)
{
    char dir[4096];
    paths_resolve(dir, sizeof dir, "lessons");
    LessonList lessons = {0};
    if (lessons_load_dir(&lessons, dir, st) != LS_OK) return 1;
    Term term;
    char err[256];
    if (term_open_offscreen(&term, w, h, "xterm-256color", err, (int)sizeof err) != 0) {
        status_fail(st, LS_ERR_IO, "%s", err);
        lessons_free(&lessons);
        return 1;
    }
    App app;
    app_init(&app, &lessons, NULL, NULL, (ViewEnv){false, term.colour}, NULL, false);
    app_resize(&app, w, h);
    int rc = 0;
    if (!open_svd_page(&app, &lessons)) {
        rc = 1;
        status_fail(st, LS_ERR_ARG, "no lesson has a working svd demo");
    }
    Grid screen;
    grid_init(&screen, w, h, false);
    double *t = calloc((size_t)n_steps, sizeof *t);
    for (int i = 0; !rc && i < n_steps; i++) {
        double s = bench_now();
        int fl = app_key(&app, VK_RIGHT);
        if (fl & (EV_REDRAW | EV_RELAYOUT)) {
            app_draw(&app, &screen);
            term_emit(&term, &screen, app_theme(&app));
        }
        t[i] = 1e3 * (bench_now() - s);
    }
    if (!rc) {
        double sum = 0, worst = 0;
        for (int i = 0; i < n_steps; i++) {
            sum += t[i];
            if (t[i] > worst) worst = t[i];
        }
        qsort(t, (size_t)n_steps, sizeof *t, cmp_double);
        *f = (StepFigures){t[n_steps / 2], worst, sum / n_steps, n_steps};
    }
    free(t);
    grid_free(&screen);
    app_free(&app);
    term_close(&term);
    lessons_free(&lessons);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Lessons 3 and 4: steps of one control of a demo, bouncing between the ends
 * of its range (a step that changes nothing turns round and is not timed). */

typedef struct DemoStep {
    const char *demo;     /* demo kind */
    int nth;              /* which block of that kind in the lessons (0 = first) */
    int control;          /* the control stepped */
    const char *what;     /* for the report */
} DemoStep;

static const DemoStep demo_steps[] = {
    {"precision", 0, 1, "precision photo: mantissa bits M (round 65,536 pixels to eXmY, error)"},
    {"precision", 0, 0, "precision photo: exponent bits E (also the error curve over M)"},
    {"quant", 0, 1, "quant histogram: bits (quantize, levels, histogram)"},
    {"quant", 2, 3, "quant histogram: block size (also the per-block SNR curve)"},
    {"quant", 1, 5, "quant histogram: outliers (new weights, every SNR curve)"},
};
enum { N_DEMO_STEPS = sizeof demo_steps / sizeof demo_steps[0] };

/* Open the page of the nth demo of a kind and focus one of its controls. */
static bool open_demo_control(App *app, const LessonList *lessons, const DemoStep *ds)
{
    int seen = 0;
    for (int i = 0; i < lessons->n; i++)
        for (int p = 0; p < lessons->lessons[i].n_pages; p++) {
            const Page *pg = &lessons->lessons[i].pages[p];
            for (int b = 0; b < pg->n_blocks; b++) {
                if (pg->blocks[b].kind != BLOCK_DEMO || !pg->blocks[b].valid || !pg->blocks[b].info ||
                    strcmp(pg->blocks[b].info, ds->demo) != 0 || seen++ != ds->nth)
                    continue;
                app_open_lesson(app, i, p);
                for (int k = 0; k < app->page.n_focus; k++)
                    if (app->page.focus_items[k].block == b && app->page.focus_items[k].control == ds->control) {
                        page_focus_set(&app->page, k);
                        return true;
                    }
                return false;
            }
        }
    return false;
}

static int time_demo_steps(int w, int h, const DemoStep *ds, int n_steps, StepFigures *f, Status *st)
{
    char dir[4096];
    paths_resolve(dir, sizeof dir, "lessons");
    LessonList lessons = {0};
    if (lessons_load_dir(&lessons, dir, st) != LS_OK) return 1;
    Term term;
    char err[256];
    if (term_open_offscreen(&term, w, h, "xterm-256color", err, (int)sizeof err) != 0) {
        status_fail(st, LS_ERR_IO, "%s", err);
        lessons_free(&lessons);
        return 1;
    }
    App app;
    app_init(&app, &lessons, NULL, NULL, (ViewEnv){false, term.colour}, NULL, false);
    app_resize(&app, w, h);
    int rc = 0;
    if (!open_demo_control(&app, &lessons, ds)) {
        rc = 1;
        status_fail(st, LS_ERR_ARG, "no lesson has a %s demo with control %d", ds->demo, ds->control);
    }
    Grid screen;
    grid_init(&screen, w, h, false);
    app_draw(&app, &screen);
    double *t = calloc((size_t)n_steps, sizeof *t);
    int key = VK_RIGHT, done = 0;
    for (int tries = 0; !rc && done < n_steps && tries < 4 * n_steps; tries++) {
        double s = bench_now();
        int fl = app_key(&app, key);
        if (!(fl & (EV_REDRAW | EV_RELAYOUT))) {
            key = key == VK_RIGHT ? VK_LEFT : VK_RIGHT;
            continue;
        }
        app_draw(&app, &screen);
        term_emit(&term, &screen, app_theme(&app));
        t[done++] = 1e3 * (bench_now() - s);
    }
    if (!rc && done == 0) rc = 1, status_fail(st, LS_ERR_ARG, "the %s control does not move", ds->demo);
    if (!rc) {
        double sum = 0, worst = 0;
        for (int i = 0; i < done; i++) {
            sum += t[i];
            if (t[i] > worst) worst = t[i];
        }
        qsort(t, (size_t)done, sizeof *t, cmp_double);
        *f = (StepFigures){t[done / 2], worst, sum / done, done};
    }
    free(t);
    grid_free(&screen);
    app_free(&app);
    term_close(&term);
    lessons_free(&lessons);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Lesson 7: the lab training while the interface runs. Each loop turn is
 * what the terminal loop does between two input polls while a demo is
 * busy: app_tick with the loop's budget, then layout, draw and emit. The
 * longest turn is the worst wait a key can have. */

typedef struct LabFigures {
    int turns, train_turns;
    int over_100;                     /* training turns longer than 100 ms */
    double train_median, train_worst; /* ms per turn while training */
    double worst_all;                 /* any phase, measuring and evaluating included */
    double worst_unit;                /* the longest single lab unit */
    double draw_median, draw_worst;   /* ms of layout + draw + emit alone */
    const char *worst_phase;          /* where worst_all happened */
    int steps;                        /* training steps reached */
    double seconds;
} LabFigures;

static int time_lab(int w, int h, double train_seconds, LabFigures *f, Status *st)
{
    static const char *const phase_names[] = {"measuring the base model", "training", "final evaluations",
                                              "done"};
    char dir[4096];
    paths_resolve(dir, sizeof dir, "lessons");
    LessonList lessons = {0};
    if (lessons_load_dir(&lessons, dir, st) != LS_OK) return 1;
    Term term;
    char err[256];
    if (term_open_offscreen(&term, w, h, "xterm-256color", err, (int)sizeof err) != 0) {
        status_fail(st, LS_ERR_IO, "%s", err);
        lessons_free(&lessons);
        return 1;
    }
    App app;
    app_init(&app, &lessons, NULL, NULL, (ViewEnv){false, term.colour}, NULL, false);
    app_resize(&app, w, h);
    int rc = 0;
    DemoStep ds = {"lab", 0, 0, "the lab's start button"};
    LabDemo *lab = NULL;
    if (!open_demo_control(&app, &lessons, &ds)) {
        rc = 1;
        status_fail(st, LS_ERR_ARG, "no lesson has a lab demo");
    } else {
        const FocusItem *fi = &app.page.focus_items[app.page.focus];
        lab = lab_view_demo(app.page.blocks[fi->block].view);
        app_key(&app, VK_ENTER);
        if (lab->state != LABD_RUNNING) rc = 1, status_fail(st, LS_ERR_ARG, "the lab did not start: %s", lab->err.msg);
    }
    Grid screen;
    grid_init(&screen, w, h, false);
    enum { MAX_TURNS = 100000 };
    double *train = calloc(MAX_TURNS, sizeof *train), *draw = calloc(MAX_TURNS, sizeof *draw);
    int n_draw = 0;
    memset(f, 0, sizeof *f);
    f->worst_phase = "";
    double t0 = bench_now(), train_start = 0;
    bool stopped = false;
    while (!rc && app_busy(&app) && f->turns < MAX_TURNS) {
        LabPhase phase = lab->snap.phase;
        double s = bench_now();
        int fl = app_tick(&app, APP_TICK_MS);
        if (fl & (EV_REDRAW | EV_RELAYOUT)) {
            double d0 = bench_now();
            app_draw(&app, &screen);
            term_emit(&term, &screen, app_theme(&app));
            draw[n_draw++] = 1e3 * (bench_now() - d0);
        }
        double ms = 1e3 * (bench_now() - s);
        f->turns++;
        if (ms > f->worst_all) f->worst_all = ms, f->worst_phase = phase_names[phase];
        if (phase == LAB_PHASE_TRAINING && lab->snap.phase == LAB_PHASE_TRAINING) {
            if (!train_start) train_start = bench_now();
            train[f->train_turns++] = ms;
            /* Enough: press Stop, as a student would; the lab evaluates what ran. */
            if (!stopped && bench_now() - train_start > train_seconds) {
                app_key(&app, VK_ENTER);
                stopped = true;
            }
        }
    }
    if (!rc && lab->state != LABD_DONE) rc = 1, status_fail(st, LS_ERR_ARG, "the lab failed: %s", lab->err.msg);
    if (!rc && f->train_turns > 0) {
        for (int i = 0; i < f->train_turns; i++) {
            if (train[i] > f->train_worst) f->train_worst = train[i];
            f->over_100 += train[i] > 100.0;
        }
        qsort(train, (size_t)f->train_turns, sizeof *train, cmp_double);
        f->train_median = train[f->train_turns / 2];
        f->worst_unit = lab->worst_unit_ms;
        f->steps = lab->snap.round;
        f->seconds = bench_now() - t0;
    }
    if (!rc && n_draw > 0) {
        for (int i = 0; i < n_draw; i++)
            if (draw[i] > f->draw_worst) f->draw_worst = draw[i];
        qsort(draw, (size_t)n_draw, sizeof *draw, cmp_double);
        f->draw_median = draw[n_draw / 2];
    }
    free(train);
    free(draw);
    grid_free(&screen);
    app_free(&app);
    term_close(&term);
    lessons_free(&lessons);
    return rc;
}

static int run(const BenchOptions *o, cJSON *out)
{
    Status st;
    status_clear(&st);
    /* Start-up: best and median of a few runs (the first pays for the disk). */
    int reps = o->quick ? 3 : 9;
    double starts[16], demo_starts[16];
    for (int i = 0; i < reps; i++)
        if (start_once(100, 30, false, &starts[i], &st) || start_once(100, 30, true, &demo_starts[i], &st))
            return cli_status(&st);
    double first = starts[0];
    qsort(starts, (size_t)reps, sizeof *starts, cmp_double);
    qsort(demo_starts, (size_t)reps, sizeof *demo_starts, cmp_double);
    double start_median = starts[reps / 2], demo_median = demo_starts[reps / 2];

    static const struct {
        int w, h;
    } sizes[] = {{100, 30}, {160, 50}};
    StepFigures f[2];
    int n_steps = o->quick ? 40 : 255;
    for (int i = 0; i < 2; i++)
        if (time_steps(sizes[i].w, sizes[i].h, n_steps, &f[i], &st)) return cli_status(&st);
    double worst = f[0].worst > f[1].worst ? f[0].worst : f[1].worst;
    /* Lessons 3 and 4, at the two sizes. */
    StepFigures df[N_DEMO_STEPS][2];
    int demo_n = o->quick ? 20 : 120;
    for (int d = 0; d < N_DEMO_STEPS; d++)
        for (int i = 0; i < 2; i++) {
            if (time_demo_steps(sizes[i].w, sizes[i].h, &demo_steps[d], demo_n, &df[d][i], &st))
                return cli_status(&st);
            if (df[d][i].worst > worst) worst = df[d][i].worst;
        }
    bool step_ok = worst <= 16.0, start_ok = start_median <= 100.0 && demo_median <= 100.0;
    if (!o->json) {
        printf("start-up to first frame: median %.1f ms, first %.1f ms over %d runs "
               "(target <= 100 ms): %s\n",
               start_median, first, reps, start_median <= 100.0 ? "PASS" : "MISS");
        printf("start-up on the svd demo page (resumed; includes the photo's SVD): median %.1f ms "
               "(target <= 100 ms): %s\n",
               demo_median, demo_median <= 100.0 ? "PASS" : "MISS");
        for (int i = 0; i < 2; i++)
            printf("svd slider step %dx%d:   median %.2f ms, mean %.2f ms, worst %.2f ms over %d steps "
                   "(key, rank-k rebuild, layout, draw, emit; target <= 16 ms): %s\n",
                   sizes[i].w, sizes[i].h, f[i].median, f[i].mean, f[i].worst, f[i].steps,
                   f[i].worst <= 16.0 ? "PASS" : "MISS");
    }
    for (int d = 0; d < N_DEMO_STEPS && !o->json; d++)
        for (int i = 0; i < 2; i++)
            printf("%s %dx%d: median %.2f ms, mean %.2f ms, worst %.2f ms over %d steps "
                   "(target <= 16 ms): %s\n",
                   demo_steps[d].what, sizes[i].w, sizes[i].h, df[d][i].median, df[d][i].mean,
                   df[d][i].worst, df[d][i].steps, df[d][i].worst <= 16.0 ? "PASS" : "MISS");
    cJSON *lessons34 = cJSON_AddArrayToObject(out, "lessons34_steps");
    for (int d = 0; d < N_DEMO_STEPS; d++)
        for (int i = 0; i < 2; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "demo", demo_steps[d].demo);
            cJSON_AddNumberToObject(e, "control", demo_steps[d].control);
            cJSON_AddNumberToObject(e, "width", sizes[i].w);
            cJSON_AddNumberToObject(e, "height", sizes[i].h);
            json_add_double(e, "median_ms", df[d][i].median);
            json_add_double(e, "worst_ms", df[d][i].worst);
            cJSON_AddItemToArray(lessons34, e);
        }
    /* Lesson 7's lab: the worst wait for a key while it trains. */
    LabFigures lf;
    if (time_lab(100, 30, o->quick ? 1.5 : 15.0, &lf, &st)) return cli_status(&st);
    bool lab_ok = lf.train_worst <= 100.0;
    if (!o->json) {
        printf("lab while training 100x30 (lesson 7's default lab, %d steps, %.0f s): a loop turn (tick of %d ms "
               "budget, layout, draw, emit) median %.1f ms, worst %.1f ms, %d of %d turns over 100 ms (target: "
               "input every <= 100 ms): %s\n",
               lf.steps, lf.seconds, (int)APP_TICK_MS, lf.train_median, lf.train_worst, lf.over_100, lf.train_turns,
               lab_ok ? "PASS" : "MISS");
        printf("lab, whole run: worst turn %.1f ms (%s); longest single lab unit %.1f ms; layout+draw+emit "
               "median %.2f ms, worst %.2f ms\n",
               lf.worst_all, lf.worst_phase, lf.worst_unit, lf.draw_median, lf.draw_worst);
    }
    cJSON *labj = cJSON_AddObjectToObject(out, "lab_while_training");
    cJSON_AddNumberToObject(labj, "steps", lf.steps);
    cJSON_AddNumberToObject(labj, "turns", lf.train_turns);
    cJSON_AddNumberToObject(labj, "turns_over_100ms", lf.over_100);
    json_add_double(labj, "tick_budget_ms", APP_TICK_MS);
    json_add_double(labj, "turn_median_ms", lf.train_median);
    json_add_double(labj, "worst_input_latency_ms", lf.train_worst);
    json_add_double(labj, "worst_turn_any_phase_ms", lf.worst_all);
    cJSON_AddStringToObject(labj, "worst_turn_phase", lf.worst_phase);
    json_add_double(labj, "worst_unit_ms", lf.worst_unit);
    json_add_double(labj, "draw_median_ms", lf.draw_median);
    json_add_double(labj, "draw_worst_ms", lf.draw_worst);
    cJSON_AddBoolToObject(labj, "target_met", lab_ok);
    json_add_double(out, "startup_median_ms", start_median);
    json_add_double(out, "startup_first_ms", first);
    json_add_double(out, "startup_demo_page_median_ms", demo_median);
    json_add_double(out, "step_median_ms_100x30", f[0].median);
    json_add_double(out, "step_worst_ms_100x30", f[0].worst);
    json_add_double(out, "step_median_ms_160x50", f[1].median);
    json_add_double(out, "step_worst_ms_160x50", f[1].worst);
    cJSON_AddNumberToObject(out, "steps", f[0].steps);
    cJSON_AddBoolToObject(out, "target_met", step_ok && start_ok);
    return 0;
}

const BenchEntry bench_ui = {
    .name = "ui",
    .summary = "slider steps with drawing: SVD, lesson 3's precision, lesson 4's quantization (target <= 16 ms); "
               "start-up to first frame (<= 100 ms); lesson 7's lab training behind the interface (input every <= 100 ms)",
    .run = run,
};
