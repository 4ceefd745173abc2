/* cmd_lint.c — `lorascope lint [DIR|FILE...]`: check lesson files.
 *
 * Prints one "file:line: message" per problem on standard output (the
 * compiler format, so editors can jump to it; "file: message" when a problem
 * concerns the whole file), then exits 1; with no problems prints
 * "N lessons OK" and exits 0. A folder is checked as the lesson list sees it:
 * only its NN-name.md files. With no argument, the lessons folder under the
 * lorascope root is checked. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/paths.h"
#include "../lesson/lesson.h"
#include "cli.h"

typedef struct LintTotals {
    int lessons;     /* lesson files checked */
    int problems;    /* diagnostics printed */
    int bad_lessons; /* files with at least one */
} LintTotals;

static void report(Lesson *l, LintTotals *t)
{
    lesson_sort_diags(l);
    for (int i = 0; i < l->n_diags; i++) {
        if (l->diags[i].line > 0)
            printf("%s:%d: %s\n", l->path, l->diags[i].line, l->diags[i].message);
        else
            printf("%s: %s\n", l->path, l->diags[i].message);
    }
    t->lessons++;
    t->problems += l->n_diags;
    t->bad_lessons += l->n_diags > 0;
}

/* Returns 0, or 1 after printing an error (folder unreadable, no lessons). */
static int lint_dir(const char *dir, LintTotals *t)
{
    LessonList list;
    Status st;
    if (lessons_load_dir(&list, dir, &st)) return cli_status(&st);
    if (list.n == 0) {
        lessons_free(&list);
        return cli_error("%s: no lesson files (named like 01-rank.md) in this folder", dir);
    }
    for (int i = 0; i < list.n; i++)
        report(&list.lessons[i], t);
    lessons_free(&list);
    return 0;
}

static int lint_file(const char *path, LintTotals *t)
{
    Lesson l;
    Status st;
    int rc = lesson_load(&l, path, &st);
    if (rc == LS_ERR_NOMEM) {
        lesson_free(&l);
        return cli_status(&st);
    }
    /* An unreadable file carries its reason as a diagnostic: report it in
     * the same file: message form as everything else. */
    if (lesson_check_file_name(&l, &st)) {
        lesson_free(&l);
        return cli_status(&st);
    }
    report(&l, t);
    lesson_free(&l);
    return 0;
}

static int run_lint(int argc, char **argv)
{
    /* Keep the paths, compacted into argv[1..n]; "--" lets a path start
     * with '-'. */
    char **paths = argv + 1;
    int n = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && argv[i][0] == '-')
            return cli_usage(&cmd_lint, "unknown option '%s'", argv[i]);
        paths[n++] = argv[i];
    }

    LintTotals t = {0};
    int failed = 0;
    if (n == 0) {
        char dir[4096];
        if (paths_resolve(dir, sizeof dir, "lessons") != 0)
            return cli_error("the lessons folder path is too long");
        failed |= lint_dir(dir, &t);
    }
    for (int k = 0; k < n; k++) {
        const char *path = paths[k];
        struct stat sb;
        if (stat(path, &sb) != 0) {
            failed |= cli_error("%s: %s", path, strerror(errno));
            continue;
        }
        failed |= S_ISDIR(sb.st_mode) ? lint_dir(path, &t) : lint_file(path, &t);
    }

    if (t.problems > 0) {
        fprintf(stderr, "lorascope: %d problem%s in %d of %d file%s\n", t.problems,
                t.problems == 1 ? "" : "s", t.bad_lessons, t.lessons, t.lessons == 1 ? "" : "s");
        return 1;
    }
    if (failed) return 1;
    printf("%d lesson%s OK\n", t.lessons, t.lessons == 1 ? "" : "s");
    return 0;
}

const Command cmd_lint = {
    .name = "lint",
    .summary = "check lesson files for mistakes",
    .help = "Usage: lorascope lint [DIR|FILE...]\n"
            "\n"
            "Check lessons: Markdown structure, demo names and parameters (against the\n"
            "demo table), that data files named by demos exist, and that questions are\n"
            "well formed. A folder is checked as the lesson list sees it: only files\n"
            "named like 01-rank.md. Without arguments the lessons folder of lorascope\n"
            "is checked. The lesson format is described in lessons/FORMAT.md.\n"
            "\n"
            "Prints one 'file:line: message' per problem and exits 1 if there is any;\n"
            "otherwise prints 'N lessons OK' and exits 0.\n",
    .run = run_lint,
};
