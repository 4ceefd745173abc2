/* ui_main.c — `lorascope` with no subcommand: the lessons in the terminal.
 *
 * Options, loading the lessons and the progress, then the event loop: read
 * one input (or time out), let the App handle it, and when a handler asked
 * for it draw the App into the screen model and emit it — once per turn.
 * Every way out restores the terminal: term_close (q, Ctrl-C, SIGTERM,
 * SIGHUP), or term.c's handlers (a fatal signal, running out of memory, a
 * library calling exit). */
#include <ctype.h>
#include <langinfo.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/paths.h"
#include "../core/linalg.h"
#include "../lesson/lesson.h"
#include "../lesson/progress.h"
#include "../view/app.h"
#include "../view/theme.h"
#include "../view/utf8.h"
#include "../view/vmem.h"
#include "term.h"

/* What the student must know when the progress file could not be used:
 * the reason, where the file is now, and whether this session is saved
 * (malloc'd). */
static char *progress_notice(const Progress *p, const Status *st)
{
    char path[4096] = "";
    progress_default_path(path, sizeof path, NULL);
    char *text;
    if (p->set_aside)
        text = vmem_printf("%s.\nIt was kept, unchanged, as\n%s\nThis session starts with fresh "
                           "progress, saved to %s.",
                           st->msg, p->set_aside, path);
    else if (st->code == LS_ERR_RANGE)
        text = vmem_printf("%s.\nIt is left exactly as it is and this session is not saved, so "
                           "nothing in it is lost.",
                           st->msg);
    else
        text = vmem_printf("%s.", st->msg);
    text[0] = (char)toupper((unsigned char)text[0]); /* the message starts a sentence */
    return text;
}

int ui_main(int argc, char **argv);

typedef struct UiOptions {
    const char *lessons_dir;  /* NULL = <root>/lessons */
    const char *add_dir;      /* lessons added to the course, or NULL */
    const char *theme;        /* NULL = dark */
    const char *lesson;       /* --lesson: number, id or file; NULL = none */
    const char *page;         /* --page: 1-based, NULL = none */
    const char *graphics;     /* --graphics, else $LORASCOPE_GRAPHICS, else auto */
    const char *threads;      /* --threads: the lab's threads; NULL = linalg_training_threads() */
    bool present;
    bool reset_progress;
} UiOptions;

/* The interface's options, for `lorascope --help` and `lorascope -h` after
 * an interface option. */
static const char options_text[] =
    "  --lessons DIR      open the lessons in DIR instead of the built-in ones\n"
    "  --add-lessons DIR  add the lessons in DIR to the built-in course (a file\n"
    "                     named like a built-in lesson replaces that lesson)\n"
    "  --lesson N         open lesson N (its number, id or file name) ...\n"
    "  --page P           ... at page P (from 1), e.g. the page being written\n"
    "  --theme NAME       colours: dark, light or contrast (default: light on a\n"
    "                     terminal that reports a light background, else dark)\n"
    "  --present          presentation mode: no bars, high contrast, one block per\n"
    "                     key, digits + Enter go to a page; starts at lesson 1 and\n"
    "                     neither shows nor changes the saved progress\n"
    "  --reset-progress   forget the saved progress and the lab runs kept with it,\n"
    "                     then start\n"
    "  --graphics MODE    pictures: auto (default: ask the terminal), sixel, kitty\n"
    "                     or text (half blocks); also LORASCOPE_GRAPHICS=MODE.\n"
    "                     Inside tmux or screen, auto means text.\n"
    "  --threads N        threads the lab trains on (default 2 where there are two\n"
    "                     cores, else 1; `lorascope bench keys` measures keys)\n";

void ui_print_options(FILE *out);
void ui_print_options(FILE *out)
{
    fputs(options_text, out);
}

static void print_usage(void)
{
    fputs("Usage: lorascope [--lessons DIR] [--add-lessons DIR] [--lesson N [--page P]]\n"
          "                 [--theme dark|light|contrast] [--present] [--reset-progress]\n"
          "                 [--threads N]\n"
          "\n"
          "Open the lessons in the terminal (at least 80x24).\n"
          "\n",
          stdout);
    fputs(options_text, stdout);
    fputs("  -h, --help         show this help\n"
          "\n"
          "Progress is saved in $XDG_STATE_HOME/lorascope/progress.json. NO_COLOR turns\n"
          "colours off. Press ? inside for every key.\n",
          stdout);
}

/* Options that take a value, and where it goes. */
typedef struct ValueOption {
    const char *name;
    size_t offset; /* of the const char * in UiOptions */
} ValueOption;

static const ValueOption value_options[] = {
    {"--lessons", offsetof(UiOptions, lessons_dir)}, {"--add-lessons", offsetof(UiOptions, add_dir)},
    {"--theme", offsetof(UiOptions, theme)},         {"--lesson", offsetof(UiOptions, lesson)},
    {"--page", offsetof(UiOptions, page)},           {"--graphics", offsetof(UiOptions, graphics)},
    {"--threads", offsetof(UiOptions, threads)},
};

/* 0 to run, 1 to stop with status 0 (help), -1 for a usage error. */
static int parse_options(int argc, char **argv, UiOptions *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        /* "--opt VALUE" and "--opt=VALUE" both work. */
        for (size_t k = 0; k < sizeof value_options / sizeof value_options[0]; k++) {
            const char *name = value_options[k].name;
            size_t n = strlen(name);
            if (strncmp(a, name, n) == 0 && (a[n] == '=' || a[n] == 0)) {
                if (a[n] == '=') val = a + n + 1;
                else if (i + 1 < argc) val = argv[++i];
                else {
                    fprintf(stderr, "lorascope: %s needs a value\n", name);
                    return -1;
                }
                *(const char **)((char *)o + value_options[k].offset) = val;
                break;
            }
        }
        if (val) continue;
        if (strcmp(a, "--present") == 0) o->present = true;
        else if (strcmp(a, "--reset-progress") == 0) o->reset_progress = true;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_usage();
            return 1;
        } else {
            fprintf(stderr, "lorascope: unknown option '%s'\n", a);
            return -1;
        }
    }
    if (o->theme && !theme_find(o->theme)) {
        fprintf(stderr, "lorascope: unknown theme '%s' (dark, light or contrast)\n", o->theme);
        return -1;
    }
    if (o->page && (strspn(o->page, "0123456789") != strlen(o->page) || atoi(o->page) < 1 ||
                    strlen(o->page) > 6)) {
        fprintf(stderr, "lorascope: --page needs a page number from 1, not '%s'\n", o->page);
        return -1;
    }
    if (o->threads && (strspn(o->threads, "0123456789") != strlen(o->threads) || strlen(o->threads) > 3 ||
                       atoi(o->threads) < 1 || atoi(o->threads) > 64)) {
        fprintf(stderr, "lorascope: --threads needs a number from 1 to 64, not '%s'\n", o->threads);
        return -1;
    }
    bool from_env = !o->graphics;
    if (from_env) o->graphics = getenv("LORASCOPE_GRAPHICS");
    GfxMode mode;
    bool is_auto;
    if (o->graphics && o->graphics[0] && !gfx_mode_parse(o->graphics, &mode, &is_auto)) {
        fprintf(stderr, "lorascope: unknown graphics mode %s'%s' (auto, sixel, kitty or text)\n",
                from_env ? "in LORASCOPE_GRAPHICS: " : "", o->graphics);
        return -1;
    }
    if (o->page && !o->lesson) {
        fprintf(stderr, "lorascope: --page needs --lesson\n");
        return -1;
    }
    return 0;
}

/* While a demo has work running (app_busy), input is polled without
 * waiting and the work gets UI_TICK_MS after each poll that found nothing.
 * A demo stops once that time has passed by the clock (the lab: lab_demo_tick),
 * and its units are never split, so a key waits at most UI_TICK_MS plus one
 * unit — the lab's largest is the backward half of a full-tuning step, ~50 ms
 * at its batch of 16 on one core — then one frame: `lorascope bench keys`.
 * The work's own progress is drawn at most every UI_FRAME_MS; input is drawn
 * at once. */
enum { UI_TICK_MS = 10, UI_FRAME_MS = 40 };

/* The lab trains on linalg_training_threads(): the terminal's work runs
 * between the lab's units on the first of them. Measured with `lorascope
 * bench keys` on an idle 2-core machine: the worst key over every lab of the
 * lessons 29 ms at two threads against 45 ms at one, and the default lab 27 s
 * against 42 s. */

static double now_ms(void)
{
    return 1e3 * clock_now_s();
}

/* The loop: one input, its flags, at most one frame. */
static int run_loop(Term *term, App *app)
{
    Grid screen;
    grid_init(&screen, app->w, app->h, app->env.ascii);
    bool dirty = true, urgent = true;
    double last_frame = 0;
    int status = 0;
    for (;;) {
        if (term_signalled()) {
            status = 128 + term_signalled();
            break;
        }
        if (dirty && (urgent || now_ms() - last_frame >= UI_FRAME_MS)) {
            app_draw(app, &screen);
            term_emit(term, &screen, app_theme(app));
            dirty = urgent = false;
            last_frame = now_ms();
        }
        int key = 0;
        MouseEvent ev;
        bool busy = app_busy(app);
        int got = term_read(term, busy ? 0 : 200, &key, &ev);
        int fl = 0;
        if (got == TERM_KEY && key == VK_RESIZE) {
            int w, h;
            term_size(term, &w, &h);
            app_resize(app, w, h);
            term_set_graphics(term, term->gfx); /* the terminal cleared its pictures: resend */
            fl = EV_REDRAW;
        } else if (got == TERM_KEY) {
            fl = app_key(app, key);
        } else if (got == TERM_MOUSE) {
            fl = app_mouse(app, &ev);
        }
        if (fl & EV_QUIT) break;
        if (fl & (EV_REDRAW | EV_RELAYOUT)) dirty = urgent = true;
        if (busy && got == TERM_NONE && !term_signalled() && (app_tick(app, UI_TICK_MS) & (EV_REDRAW | EV_RELAYOUT)))
            dirty = true;
        if (!app_busy(app)) urgent |= dirty; /* the last of the work shows at once */
    }
    grid_free(&screen);
    return status;
}

int ui_main(int argc, char **argv)
{
    UiOptions opt;
    int rc = parse_options(argc, argv, &opt);
    if (rc > 0) return 0;
    if (rc < 0) {
        fputs("Try 'lorascope --help'.\n", stderr);
        return 2;
    }
    linalg_set_threads(opt.threads ? atoi(opt.threads) : linalg_training_threads());
    bool utf8 = utf8_locale_is_utf8(nl_langinfo(CODESET));
    bool no_color = theme_no_color(getenv("NO_COLOR"));

    /* Progress first: --reset-progress must happen even with no lessons. */
    Progress progress;
    progress_init(&progress);
    Status st = {0};
    char warning[600] = "";
    char *notice = NULL; /* a progress file that could not be used: what became of it */
    if (opt.reset_progress) {
        if (progress_clear(&progress, NULL, &st) != LS_OK) {
            fprintf(stderr, "lorascope: %s\n", st.msg);
            return 1;
        }
        snprintf(warning, sizeof warning, "Progress was reset.");
    } else if (progress_load(&progress, NULL, &st) != LS_OK) {
        notice = progress_notice(&progress, &st);
    }

    char dir[PATH_MAX];
    if (opt.lessons_dir) snprintf(dir, sizeof dir, "%s", opt.lessons_dir);
    else paths_resolve(dir, sizeof dir, "lessons");
    LessonList lessons = {0};
    status_clear(&st);
    if (lessons_load_dir(&lessons, dir, &st) != LS_OK) {
        fprintf(stderr, "lorascope: %s\n", st.msg);
        free(notice);
        progress_free(&progress);
        return 1;
    }
    if (opt.add_dir) {
        LessonList more = {0};
        if (lessons_load_dir(&more, opt.add_dir, &st) != LS_OK ||
            (more.n == 0 && status_fail(&st, LS_ERR_IO, "no lessons in %s (lesson files are named like 08-topic.md)",
                                        opt.add_dir)) ||
            lessons_merge(&lessons, &more, &st) != LS_OK) {
            fprintf(stderr, "lorascope: %s\n", st.msg);
            lessons_free(&more);
            lessons_free(&lessons);
            progress_free(&progress);
            return 1;
        }
    }
    if (lessons.n == 0) {
        fprintf(stderr, "lorascope: no lessons in %s (lesson files are named like 01-rank.md)\n", dir);
        free(notice);
        lessons_free(&lessons);
        progress_free(&progress);
        return 1;
    }
    int start_lesson = opt.lesson ? lessons_find(&lessons, opt.lesson) : -1;
    if (opt.lesson && start_lesson < 0) {
        fprintf(stderr, "lorascope: no lesson '%s' (give its number, id or file name)\n", opt.lesson);
        lessons_free(&lessons);
        progress_free(&progress);
        return 2;
    }
    int start_page = opt.page ? atoi(opt.page) : 0;
    if (start_page > lessons.lessons[start_lesson < 0 ? 0 : start_lesson].n_pages) {
        fprintf(stderr, "lorascope: lesson '%s' has %d pages\n", opt.lesson,
                lessons.lessons[start_lesson].n_pages);
        lessons_free(&lessons);
        progress_free(&progress);
        return 2;
    }

    /* Pictures and the background: as forced, or as the terminal answers
     * (never asked inside a multiplexer or on a console that cannot show
     * them). A light background gets the light theme: the dark theme's
     * bright values would be white on white there. */
    GfxMode gfx = GFX_TEXT;
    bool gfx_auto = true;
    if (opt.graphics && opt.graphics[0]) gfx_mode_parse(opt.graphics, &gfx, &gfx_auto);
    int background = -1;
    bool want_gfx = gfx_auto && utf8, want_background = !opt.theme && !no_color;
    if ((want_gfx || want_background) && gfx_may_query(getenv("TERM"), getenv("TMUX"), getenv("STY"))) {
        GfxMode answered = term_detect_graphics(300, &background);
        if (want_gfx) gfx = answered;
    }
    if (background < 0) background = gfx_background_from_colorfgbg(getenv("COLORFGBG"));
    const Theme *theme = opt.theme ? theme_find(opt.theme) : background == 1 ? theme_find("light") : NULL;

    Term term;
    char err[256];
    if (term_open(&term, utf8, no_color, true, err, (int)sizeof err) != 0) {
        fprintf(stderr, "lorascope: %s\n", err);
        free(notice);
        lessons_free(&lessons);
        progress_free(&progress);
        return 1;
    }
    term_install_signals(&term);

    ViewEnv env = {.ascii = !utf8, .colour = term.colour};
    term_set_graphics(&term, gfx);
    App app;
    app_init(&app, &lessons, &progress, NULL, env, theme, opt.present);
    app.start_budget_ms = APP_TICK_MS; /* a page's demos start between key polls */
    if (warning[0]) app_message(&app, !opt.reset_progress, "%s", warning);
    if (notice) app_notice(&app, "Progress file", notice);
    free(notice);
    app.pixels = gfx != GFX_TEXT;
    int w, h;
    term_size(&term, &w, &h);
    app_resize(&app, w, h);
    if (start_lesson >= 0) app_open_lesson(&app, start_lesson, start_page - 1);
    if (warning[0]) app_message(&app, !opt.reset_progress, "%s", warning);

    int status = run_loop(&term, &app);

    term_close(&term);
    app_free(&app);
    lessons_free(&lessons);
    progress_free(&progress);
    return status;
}
