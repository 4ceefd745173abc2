/* load.c — lessons from disk: one file, or every lesson file of a folder.
 *
 * A broken lesson must never hide the others: a file that cannot be read
 * still becomes a Lesson (one empty page and a diagnostic saying why), so the
 * interface can list it with a warning and lint can report it in place. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lesson.h"
#include "../base/file_read.h"

/* A lesson with nothing in it but the reason, for files we cannot parse. */
static int lesson_unreadable(Lesson *out, const char *path, int code, const char *why, Status *st)
{
    Status ps;
    if (lesson_parse(out, "", 0, path, &ps)) return status_fail(st, ps.code, "%s", ps.msg);
    /* lesson_parse of "" said "empty lesson file"; replace that with the cause. */
    for (int i = 0; i < out->n_diags; i++)
        free(out->diags[i].message);
    out->n_diags = 0;
    if (lesson_add_diag(out, 0, "%s", why)) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    return status_fail(st, code, "%s: %s", path, why);
}

int lesson_load(Lesson *out, const char *path, Status *st)
{
    status_clear(st);
    *out = (Lesson){0};
    FILE *f;
    uint64_t fsize;
    Status os;
    if (file_open_regular(path, &f, &fsize, &os)) return lesson_unreadable(out, path, os.code, os.msg, st);
    if (fsize > LESSON_MAX_BYTES) {
        fclose(f);
        char why[128];
        snprintf(why, sizeof why, "file too large for a lesson (%llu bytes; the limit is %u)",
                 (unsigned long long)fsize, LESSON_MAX_BYTES);
        return lesson_unreadable(out, path, LS_ERR_RANGE, why, st);
    }
    size_t size = (size_t)fsize;
    char *text = malloc(size + 1);
    if (!text) {
        fclose(f);
        return lesson_unreadable(out, path, LS_ERR_NOMEM, "out of memory", st);
    }
    size_t got = fread(text, 1, size, f);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(text);
        return lesson_unreadable(out, path, LS_ERR_IO, "read error", st);
    }
    /* got < size only if the file shrank while we read it: parse what we have. */
    int rc = lesson_parse(out, text, got, path, st);
    free(text);
    if (rc) return rc;
    return lesson_check(out, st);
}

static int cmp_lessons(const void *a, const void *b)
{
    const Lesson *x = a, *y = b;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return strcmp(x->id, y->id);
}

int lessons_load_dir(LessonList *out, const char *dir, Status *st)
{
    status_clear(st);
    *out = (LessonList){0};
    DIR *d = opendir(dir);
    if (!d) return status_fail(st, LS_ERR_IO, "%s: %s", dir, strerror(errno));

    int cap = 0;
    size_t dl = strlen(dir);
    bool slash = dl > 0 && dir[dl - 1] == '/';
    struct dirent *e;
    int rc = LS_OK;
    while ((e = readdir(d)) != NULL) {
        if (!lesson_file_name(e->d_name, NULL)) continue;
        size_t n = dl + 1 + strlen(e->d_name) + 1;
        char *path = malloc(n);
        if (!path) {
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(path, n, "%s%s%s", dir, slash ? "" : "/", e->d_name);
        struct stat sb;
        /* Only files: a folder named "03-extra.md" is not a lesson. */
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        if (out->n >= cap) {
            int ncap = cap ? cap * 2 : 16;
            Lesson *p = realloc(out->lessons, (size_t)ncap * sizeof *p);
            if (!p) {
                free(path);
                rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
                break;
            }
            out->lessons = p;
            cap = ncap;
        }
        Status ls;
        int lrc = lesson_load(&out->lessons[out->n], path, &ls);
        free(path);
        out->n++;
        /* A lesson that failed to read is kept (it carries its diagnostic);
         * only running out of memory stops the scan. */
        if (lrc == LS_ERR_NOMEM) {
            rc = status_fail(st, LS_ERR_NOMEM, "%s", ls.msg);
            break;
        }
    }
    closedir(d);
    if (rc) {
        lessons_free(out);
        return rc;
    }
    if (out->n > 1) qsort(out->lessons, (size_t)out->n, sizeof *out->lessons, cmp_lessons);
    rc = lessons_check_set(out, st);
    if (rc) lessons_free(out);
    return rc;
}

void lessons_free(LessonList *list)
{
    if (!list) return;
    for (int i = 0; i < list->n; i++)
        lesson_free(&list->lessons[i]);
    free(list->lessons);
    *list = (LessonList){0};
}

/* The file name of a lesson's path, for messages. */
static const char *path_base(const char *path)
{
    const char *b = strrchr(path ? path : "", '/');
    return b ? b + 1 : (path ? path : "");
}

int lessons_merge(LessonList *into, LessonList *from, Status *st)
{
    status_clear(st);
    Lesson *grown = realloc(into->lessons, ((size_t)into->n + (size_t)from->n + 1) * sizeof *grown);
    if (!grown) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    into->lessons = grown;
    int n_old = into->n;
    for (int i = 0; i < from->n; i++) {
        Lesson *l = &from->lessons[i];
        int same = -1;
        for (int k = 0; k < n_old; k++)
            if (into->lessons[k].id && l->id && strcmp(into->lessons[k].id, l->id) == 0) same = k;
        if (same >= 0) {
            /* An author's copy of a built-in lesson replaces it. */
            lesson_free(&into->lessons[same]);
            into->lessons[same] = *l;
        } else {
            for (int k = 0; k < n_old; k++)
                if (into->lessons[k].order == l->order &&
                    lesson_add_diag(l, 0, "lesson number %d is also used by %s; give each lesson its own",
                                    l->order, path_base(into->lessons[k].path))) {
                    /* Out of memory: what is not moved yet stays in from. */
                    memmove(from->lessons, from->lessons + i, (size_t)(from->n - i) * sizeof *l);
                    from->n -= i;
                    return status_fail(st, LS_ERR_NOMEM, "out of memory");
                }
            into->lessons[into->n++] = *l;
        }
    }
    free(from->lessons);
    *from = (LessonList){0};
    if (into->n > 1) qsort(into->lessons, (size_t)into->n, sizeof *into->lessons, cmp_lessons);
    return LS_OK;
}

int lessons_find(const LessonList *list, const char *spec)
{
    if (!list || !spec || !spec[0]) return -1;
    const char *base = path_base(spec);
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".md") == 0) n -= 3;
    bool number = n > 0 && n < 6 && strspn(base, "0123456789") == n;
    for (int i = 0; i < list->n; i++) {
        const Lesson *l = &list->lessons[i];
        if (number && (l->order < 1000 ? l->order : i + 1) == atoi(base)) return i;
        if (l->id && strlen(l->id) == n && strncmp(l->id, base, n) == 0) return i;
    }
    return -1;
}
