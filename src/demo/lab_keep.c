/* lab_keep.c — finished lab runs kept for the session and beside the
 * progress file (see lab_keep.h). The files are the lab-results format of
 * src/tune/lab_file.h, so a kept run is also a file `lorascope finetune
 * --report` and the lab page's "open" read. */
#include "lab_keep.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/file.h"
#include "../base/json_out.h"
#include "../lesson/progress.h"
#include "../tune/lab_file.h"

/* One key's run, or (rec NULL) the knowledge that it has none. */
typedef struct KeepEntry {
    char key[LAB_KEEP_KEY_MAX];
    LabRecord *rec;
    LabKept kept;
} KeepEntry;

struct LabKeep {
    char *dir; /* NULL: memory only */
    KeepEntry **e; /* each apart, so a kept run never moves */
    int n, cap;
};

LabKeep *lab_keep_new(const char *dir)
{
    LabKeep *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    if (dir && !(k->dir = strdup(dir))) {
        free(k);
        return NULL;
    }
    return k;
}

void lab_keep_delete(LabKeep *k)
{
    if (!k) return;
    for (int i = 0; i < k->n; i++) {
        lab_record_free(k->e[i]->rec);
        free(k->e[i]->rec);
        free(k->e[i]);
    }
    free(k->e);
    free(k->dir);
    free(k);
}

int lab_keep_dir_for(char *out, size_t size, const char *progress_path, Status *st)
{
    char parent[4096];
    if (file_parent(parent, sizeof parent, progress_path) != 0)
        return status_fail(st, LS_ERR_RANGE, "the progress file's path is too long");
    int n = snprintf(out, size, "%s/%s", parent, PROGRESS_LAB_RESULTS);
    if (n < 0 || (size_t)n >= size) return status_fail(st, LS_ERR_RANGE, "the lab results' folder path is too long");
    return LS_OK;
}

/* Letters, digits, '-', '_' and '.' stay; anything else becomes '_'. */
static void safe_copy(char *out, size_t size, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && s[i] && k + 1 < size; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || (c == '.' && k > 0);
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
}

void lab_keep_key(char *out, size_t size, const char *lesson_file, const char *id, const char *params)
{
    const char *base = lesson_file ? strrchr(lesson_file, '/') : NULL;
    base = base ? base + 1 : lesson_file ? lesson_file : "lesson";
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".md") == 0) n -= 3;
    char lesson[48], tail[48];
    safe_copy(lesson, sizeof lesson, base, n);
    if (id && *id) {
        safe_copy(tail, sizeof tail, id, strlen(id));
    } else {
        /* FNV-1a, 64 bits: the same parameters give the same key. */
        uint64_t h = 14695981039346656037ull;
        for (const unsigned char *p = (const unsigned char *)(params ? params : ""); *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        snprintf(tail, sizeof tail, "p%016llx", (unsigned long long)h);
    }
    snprintf(out, size, "%s--%s", lesson, tail);
}

static int file_of(const LabKeep *k, const char *key, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s.json", k->dir, key);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A new entry for key (rec owned, may be NULL); NULL when out of memory. */
static KeepEntry *add(LabKeep *k, const char *key, LabRecord *rec, bool from_disk)
{
    if (k->n == k->cap) {
        int cap = k->cap ? 2 * k->cap : 8;
        KeepEntry **grown = realloc(k->e, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        k->e = grown;
        k->cap = cap;
    }
    KeepEntry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    k->e[k->n++] = e;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->rec = rec;
    if (rec) {
        e->kept.record = rec;
        lab_record_snapshot(rec, &e->kept.snap);
        if (!task_kind_parse(&e->kept.task, rec->task)) e->kept.task = TASK_DOMAIN;
        e->kept.from_disk = from_disk;
    }
    return e;
}

int lab_keep_put(LabKeep *k, const char *key, const LabSnapshot *s, const LabDemoSettings *set, Status *st)
{
    LabRecord *rec = malloc(sizeof *rec);
    if (!rec) return status_fail(st, LS_ERR_NOMEM, "out of memory keeping the lab's results");
    lab_record_init(rec);
    int rc = lab_record_from_snapshot(rec, s, st);
    rec->seed = set->seed;
    KeepEntry *e = rc ? NULL : add(k, key, rec, false);
    if (!e) {
        lab_record_free(rec);
        free(rec);
        return rc ? rc : status_fail(st, LS_ERR_NOMEM, "out of memory keeping the lab's results");
    }
    e->kept.has_settings = true;
    e->kept.settings = *set;
    e->kept.settings.base_model = NULL; /* not owned here: the next start loads the base */
    e->kept.settings.methods = NULL;
    if (!k->dir) return LS_OK;
    char path[4200];
    if (file_of(k, key, path, sizeof path)) return status_fail(st, LS_ERR_RANGE, "the lab results' path is too long");
    if ((rc = file_make_dirs_mode(k->dir, 0700, st))) return rc;
    cJSON *j = lab_record_json(rec);
    char *text = j ? json_print(j) : NULL;
    cJSON_Delete(j);
    if (!text) return status_fail(st, LS_ERR_NOMEM, "out of memory saving the lab's results");
    rc = file_write_atomic_mode(path, text, strlen(text), 0600, st);
    free(text);
    return rc;
}

const LabKept *lab_keep_get(LabKeep *k, const char *key, char *problem, size_t problem_size)
{
    if (problem && problem_size) problem[0] = '\0';
    if (!k || !key || !*key) return NULL;
    for (int i = k->n - 1; i >= 0; i--)
        if (strcmp(k->e[i]->key, key) == 0) return k->e[i]->rec ? &k->e[i]->kept : NULL;
    /* First ask: the file of an earlier session, if any. */
    LabRecord *rec = NULL;
    char path[4200];
    struct stat sb;
    if (k->dir && file_of(k, key, path, sizeof path) == 0 && lstat(path, &sb) == 0) {
        Status st = {0};
        rec = malloc(sizeof *rec);
        if (rec) lab_record_init(rec);
        if (rec && lab_file_load(path, rec, &st) != LS_OK) {
            lab_record_free(rec);
            free(rec);
            rec = NULL;
            if (st.code != LS_ERR_NOMEM) {
                /* Never fatal, never lost: moved aside, and said once. */
                char aside[4300];
                int e = file_set_aside(path, aside, sizeof aside);
                if (problem && problem_size)
                    snprintf(problem, problem_size, e ? "%s (left as it is: %s)" : "%s (kept as %s)", st.msg,
                             e ? strerror(e) : aside);
            }
        }
    }
    KeepEntry *e = add(k, key, rec, true);
    if (!e) {
        lab_record_free(rec);
        free(rec);
        return NULL;
    }
    return rec ? &e->kept : NULL;
}
