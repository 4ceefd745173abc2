/* bench_keys.c — key to screen while a lab trains, measured as a person
 * would: the real lorascope binary runs in a pseudo-terminal (pty_screen.h,
 * libvterm keeps its screen), opens each lab of the lessons with --lesson
 * and --page, starts it, and while it trains types scroll keys (j, k) at
 * random intervals. A key's latency is the time from typing it to the
 * lesson text on screen having moved by a line (pty_text_shifted): not to
 * "some output arrived", since the lab redraws its progress on its own.
 * Target: the worst key of every lab within 100 ms.
 *
 * Each lab runs for a while (to the end for the default lab, whose wall
 * time from Start to its results is reported too) and is then quit. The
 * lab's threads are the interface's default, or --threads N when given
 * (passed on as `lorascope --threads N`). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/json_out.h"
#include "../base/paths.h"
#include "../base/rng.h"
#include "../lesson/lesson.h"
#include "bench.h"
#include "cli.h"
#include "pty_screen.h"

enum {
    KEYS_W = 100,
    KEYS_H = 30,
    KEY_TIMEOUT_MS = 3000, /* a key not shown by then counts as missed */
    MAX_KEYS = 4096,
    MOVED_ROWS = 3,        /* rows of text that must have moved by a line */
};

/* A lab block of the lessons and where it is. */
typedef struct LabSpot {
    const char *lesson; /* lesson id, for --lesson */
    int page;           /* 1-based, for --page */
    const char *title;  /* the page's heading */
    const char *kind;   /* "lab" or "lab-compare" */
} LabSpot;

typedef struct KeyFigures {
    int keys, missed;
    double median, p90, worst; /* ms */
    double seconds;            /* from Start to the last key */
    bool finished;             /* the lab reached its results */
    double wall_s;             /* Start to results, when finished */
    double cpu_s, run_s;       /* the program's CPU seconds and wall seconds in all */
} KeyFigures;

/* Hints that the lab's button has focus, and that it has started. */
static const char *const ready_hints[] = {"Enter starts the lab", "Enter runs the comparison", NULL};
static const char *const running_hints[] = {"Enter stops training", "training…", NULL};
static const char *const done_labels[] = {"[ Run again ]", "[ Run it again ]", NULL};

static int screen_has_any(const PtyText *t, const char *const *texts)
{
    for (int i = 0; texts[i]; i++)
        if (pty_text_has(t, texts[i])) return i;
    return -1;
}

/* Pump until one of texts is on screen; its index, or -1 after timeout_ms. */
static int wait_any(PtyScreen *p, PtyText *t, const char *const *texts, int timeout_ms)
{
    double end = bench_now() + 1e-3 * timeout_ms;
    for (;;) {
        pty_screen_text(p, t);
        int i = screen_has_any(t, texts);
        if (i >= 0 || bench_now() >= end) return i;
        if (pty_screen_pump(p, 20) < 0) {
            pty_screen_text(p, t);
            return screen_has_any(t, texts);
        }
    }
}

/* Type key (dy: +1 scrolls down a line, -1 up) and wait for the text to
 * move; the ms it took, or -1 if it did not within KEY_TIMEOUT_MS. */
static double time_key(PtyScreen *p, PtyText *before, PtyText *now, int dy)
{
    pty_screen_pump(p, 0);
    pty_screen_text(p, before);
    double t0 = bench_now();
    if (pty_screen_send(p, dy > 0 ? "j" : "k")) return -1;
    for (;;) {
        double waited = 1e3 * (bench_now() - t0);
        if (waited >= KEY_TIMEOUT_MS) return -1;
        if (pty_screen_pump(p, KEY_TIMEOUT_MS - (int)waited) < 0) return -1;
        pty_screen_text(p, now);
        if (pty_text_shifted(before, now, dy) >= MOVED_ROWS) return 1e3 * (bench_now() - t0);
    }
}

/* Pump for ms milliseconds (the screen stays current). */
static void idle(PtyScreen *p, int ms)
{
    double end = bench_now() + 1e-3 * ms;
    for (double left; (left = end - bench_now()) > 0;)
        if (pty_screen_pump(p, (int)(1e3 * left) + 1) < 0) return;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Run one lab: open its page, start it, type keys for up to cap_s seconds
 * (or to its end), quit. */
static int key_lab(const char *exe, const LabSpot *spot, int threads, double cap_s, Rng *rng,
                   KeyFigures *f, Status *st)
{
    memset(f, 0, sizeof *f);
    char state[] = "/tmp/lorascope-keys-XXXXXX";
    if (!mkdtemp(state)) return status_fail(st, LS_ERR_IO, "cannot make a temporary folder");
    char page[16], thr[16], xdg[sizeof state + 32];
    snprintf(page, sizeof page, "%d", spot->page);
    snprintf(thr, sizeof thr, "%d", threads);
    snprintf(xdg, sizeof xdg, "XDG_STATE_HOME=%s", state);
    char *argv[] = {(char *)exe, "--lesson", (char *)spot->lesson, "--page", page, "--threads", thr, NULL};
    if (threads <= 0) argv[5] = NULL;
    /* Progress goes to a folder of its own; pictures as text (no query). */
    char *env[] = {xdg, "TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "LORASCOPE_GRAPHICS=text", NULL};
    PtyScreen p;
    PtyText before = {0}, now = {0};
    double *ms = malloc(MAX_KEYS * sizeof *ms);
    int rc = !ms || pty_text_init(&before, KEYS_H) || pty_text_init(&now, KEYS_H)
                 ? status_fail(st, LS_ERR_NOMEM, "out of memory")
                 : pty_screen_spawn(&p, KEYS_W, KEYS_H, argv, env, st);
    bool spawned = rc == LS_OK;
    double spawned_at = bench_now();
    static const char *const page_hint[] = {"n/p page", NULL};
    if (!rc && wait_any(&p, &now, page_hint, 10000) < 0)
        rc = status_fail(st, LS_ERR_IO, "%s page %d did not open", spot->lesson, spot->page);
    /* Tab to the lab's button, then Enter. */
    for (int tabs = 0; !rc && wait_any(&p, &now, ready_hints, tabs ? 1000 : 0) < 0; tabs++)
        if (tabs == 16 || pty_screen_send(&p, "\t"))
            rc = status_fail(st, LS_ERR_ARG, "no lab button on %s page %d", spot->lesson, spot->page);
    double start = bench_now();
    if (!rc && (pty_screen_send(&p, "\r") || wait_any(&p, &now, running_hints, 30000) < 0))
        rc = status_fail(st, LS_ERR_IO, "the lab on %s page %d did not start", spot->lesson, spot->page);
    /* Leave the button (j and k scroll the page), then step off the end of
     * the page if it was there: j, k, j, k ... then always move. */
    if (!rc) {
        pty_screen_send(&p, "\033");
        if (wait_any(&p, &now, page_hint, 3000) < 0)
            rc = status_fail(st, LS_ERR_IO, "Escape did not leave the lab's button");
    }
    if (!rc) time_key(&p, &before, &now, -1);
    int dy = 1;
    while (!rc && f->keys < MAX_KEYS) {
        idle(&p, 120 + (int)rng_below(rng, 280));
        pty_screen_text(&p, &now);
        if (screen_has_any(&now, done_labels) >= 0) {
            f->finished = true;
            f->wall_s = bench_now() - start;
            break;
        }
        if (bench_now() - start > cap_s || p.fd < 0) break;
        double t = time_key(&p, &before, &now, dy);
        if (t < 0) {
            f->missed++;
            t = KEY_TIMEOUT_MS;
        }
        ms[f->keys++] = t;
        dy = -dy;
    }
    f->seconds = bench_now() - start;
    if (spawned) {
        pty_screen_send(&p, "q");
        for (int i = 0; i < 100 && p.fd >= 0; i++) pty_screen_pump(&p, 20);
        pty_screen_close(&p);
        f->cpu_s = p.cpu_s;
        f->run_s = bench_now() - spawned_at;
    }
    if (!rc && f->keys == 0) rc = status_fail(st, LS_ERR_IO, "no key was timed on %s page %d", spot->lesson, spot->page);
    if (!rc) {
        bench_sort(ms, f->keys);
        int n = f->keys;
        f->median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
        int i90 = (int)(0.9 * (n - 1) + 0.5);
        f->p90 = ms[i90];
        f->worst = ms[n - 1];
    }
    free(ms);
    pty_text_free(&before);
    pty_text_free(&now);
    nftw(state, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* A lab block with `show = results` (an earlier lab's kept run, no button). */
static bool results_only(const Block *bl)
{
    for (int i = 0; i < bl->n_params; i++)
        if (strcmp(bl->params[i].key, "show") == 0 && strcmp(bl->params[i].value, "results") == 0) return true;
    return false;
}

/* Every lab and lab-compare block of the lessons, in order (not the ones
 * that only show an earlier lab's results). */
static int find_labs(const LessonList *ls, LabSpot *spots, int max)
{
    int n = 0;
    for (int i = 0; i < ls->n; i++)
        for (int p = 0; p < ls->lessons[i].n_pages; p++) {
            const Page *pg = &ls->lessons[i].pages[p];
            for (int b = 0; b < pg->n_blocks && n < max; b++) {
                const Block *bl = &pg->blocks[b];
                if (bl->kind != BLOCK_DEMO || !bl->valid || !bl->info) continue;
                if (strcmp(bl->info, "lab") && strcmp(bl->info, "lab-compare")) continue;
                if (results_only(bl)) continue; /* a kept run shown again: nothing trains */
                spots[n++] = (LabSpot){ls->lessons[i].id, p + 1, pg->title, bl->info};
                break; /* one lab a page: Tab reaches the first */
            }
        }
    return n;
}

/* The 1-minute load average (-1 if unknown): on a shared machine the
 * figures mean little without it. */
static double load_1min(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &l) != 1) l = -1;
    if (f) fclose(f);
    return l;
}

/* The CPU's name from /proc/cpuinfo ("" if unknown). */
static void cpu_name(char *out, size_t size)
{
    out[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            snprintf(out, size, "%s", v ? v + 2 : "");
            out[strcspn(out, "\n")] = 0;
            break;
        }
    if (f) fclose(f);
}

static int run(const BenchOptions *o, cJSON *out)
{
    Status st;
    status_clear(&st);
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return cli_status(&(Status){LS_ERR_IO, "cannot find the running lorascope binary"});
    exe[len] = 0;
    LessonList lessons;
    char dir[4096];
    paths_resolve(dir, sizeof dir, "lessons");
    if (lessons_load_dir(&lessons, dir, &st) != LS_OK) return cli_status(&st);
    LabSpot spots[32];
    int n = find_labs(&lessons, spots, 32);
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o->threads_given ? o->threads : 0;
    if (!o->json) {
        printf("CPU: %s, %ld cores online; the lab's threads: %s; %dx%d pty, libvterm; "
               "keys j/k every 120-400 ms; a key counts when >= %d rows of text moved by a line\n",
               cpu[0] ? cpu : "unknown", cores, threads ? "--threads given" : "the interface's default",
               KEYS_W, KEYS_H, MOVED_ROWS);
        if (threads) printf("  (lorascope --threads %d)\n", threads);
    }
    cJSON_AddStringToObject(out, "cpu", cpu);
    cJSON_AddNumberToObject(out, "cores", (double)cores);
    cJSON_AddNumberToObject(out, "lab_threads", threads); /* 0: the interface's default */
    cJSON *arr = cJSON_AddArrayToObject(out, "labs");
    Rng rng;
    rng_seed(&rng, 20261204);
    bool met = true;
    double worst = 0;
    int rc = 0;
    bool seen_lab = false;
    for (int i = 0; i < n && !rc; i++) {
        /* The default lab (the first plain lab) to its end, the rest for a while. */
        bool whole = !o->quick && !seen_lab && strcmp(spots[i].kind, "lab") == 0;
        seen_lab |= strcmp(spots[i].kind, "lab") == 0;
        double cap = whole ? 600.0 : o->quick ? 4.0 : 20.0;
        KeyFigures f;
        double load0 = load_1min();
        if (key_lab(exe, &spots[i], threads, cap, &rng, &f, &st)) {
            rc = cli_status(&st);
            break;
        }
        bool ok = f.worst <= 100.0 && f.missed == 0;
        met = met && ok;
        if (f.worst > worst) worst = f.worst;
        double load1 = load_1min();
        if (!o->json) {
            printf("%s p%d %-11s %-30.30s %3d keys: median %5.1f ms, p90 %5.1f ms, worst %6.1f ms%s over %.0f s%s: %s\n",
                   spots[i].lesson, spots[i].page, spots[i].kind, spots[i].title, f.keys, f.median, f.p90, f.worst,
                   f.missed ? " (some missed)" : "", f.seconds, f.finished ? " (to its results)" : "",
                   ok ? "PASS" : "MISS");
            printf("    lorascope used %.0f%% of a core (%.1f s CPU in %.1f s); load average %.1f -> %.1f\n",
                   f.run_s > 0 ? 100 * f.cpu_s / f.run_s : 0, f.cpu_s, f.run_s, load0, load1);
            fflush(stdout);
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "lesson", spots[i].lesson);
        cJSON_AddNumberToObject(e, "page", spots[i].page);
        cJSON_AddStringToObject(e, "title", spots[i].title);
        cJSON_AddStringToObject(e, "kind", spots[i].kind);
        cJSON_AddNumberToObject(e, "keys", f.keys);
        cJSON_AddNumberToObject(e, "missed", f.missed);
        json_add_double(e, "median_ms", f.median);
        json_add_double(e, "p90_ms", f.p90);
        json_add_double(e, "worst_ms", f.worst);
        json_add_double(e, "seconds", f.seconds);
        cJSON_AddBoolToObject(e, "finished", f.finished);
        if (f.finished) json_add_double(e, "wall_s", f.wall_s);
        json_add_double(e, "cpu_s", f.cpu_s);
        json_add_double(e, "run_s", f.run_s);
        json_add_double(e, "load_before", load0);
        json_add_double(e, "load_after", load1);
        cJSON_AddBoolToObject(e, "target_met", ok);
        cJSON_AddItemToArray(arr, e);
    }
    lessons_free(&lessons);
    if (rc) return rc;
    json_add_double(out, "worst_ms", worst);
    cJSON_AddBoolToObject(out, "target_met", met);
    return 0;
}

const BenchEntry bench_keys = {
    .name = "keys",
    .summary = "key to screen while each lab of the lessons trains, the real binary in a pty "
               "(target worst <= 100 ms)",
    .run = run,
};
