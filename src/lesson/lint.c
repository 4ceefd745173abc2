/* lint.c — the checks that need more than the Markdown: demo blocks against
 * the demo table, data files on disk, file names and lesson numbers.
 *
 * lesson_parse already reports what the text alone shows (malformed
 * questions, "key = value" syntax, unclosed fences). Here every demo block is
 * run through demo_args_resolve, the same routine the interface uses to
 * start the demo, so "lint is clean" means "every demo will start". */
#include <stdio.h>
#include <string.h>

#include "demo_schema.h"
#include "lesson.h"

typedef struct CheckCtx {
    Lesson *l;
    bool oom;
} CheckCtx;

static void to_diag(void *ctx, int line, const char *message)
{
    CheckCtx *c = ctx;
    if (lesson_add_diag(c->l, line, "%s", message)) c->oom = true;
}

int lesson_check(Lesson *l, Status *st)
{
    CheckCtx c = {.l = l};
    for (int p = 0; p < l->n_pages; p++)
        for (int i = 0; i < l->pages[p].n_blocks; i++) {
            Block *b = &l->pages[p].blocks[i];
            if (b->kind != BLOCK_DEMO) continue;
            /* A nameless demo was reported by the parser already. */
            if (!b->info || !b->info[0]) continue;
            b->file = l->path; /* data paths are looked for beside the lesson */
            DemoArgs args;
            if (demo_args_resolve(&args, b, to_diag, &c) > 0) b->valid = false;
        }
    if (c.oom) return status_fail(st, LS_ERR_NOMEM, "%s: out of memory", l->path);
    return LS_OK;
}

int lesson_check_file_name(Lesson *l, Status *st)
{
    const char *base = strrchr(l->path, '/');
    base = base ? base + 1 : l->path;
    if (lesson_file_name(base, NULL)) return LS_OK;
    if (lesson_add_diag(l, 0,
                        "'%s' is not a lesson file name: the lesson list only shows files "
                        "named like 01-rank.md (a number, a dash, a name, .md)",
                        base))
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

int lessons_check_set(LessonList *list, Status *st)
{
    /* The list is sorted by (order, id): equal numbers are neighbours. */
    for (int i = 1; i < list->n; i++) {
        Lesson *prev = &list->lessons[i - 1], *l = &list->lessons[i];
        if (l->order != prev->order) continue;
        const char *base = strrchr(prev->path, '/');
        base = base ? base + 1 : prev->path;
        if (lesson_add_diag(l, 0, "lesson number %d is also used by %s; give each lesson its own",
                            l->order, base))
            return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    return LS_OK;
}
