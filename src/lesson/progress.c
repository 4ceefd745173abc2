/* progress.c — the progress store (see progress.h).
 *
 * The file is JSON read and written with cJSON. Loading validates every
 * field before anything is kept: a file that fails anywhere is reported and
 * ignored as a whole, because half-trusting a damaged file gives stranger
 * results than starting fresh; such a file is moved aside, never lost.
 * Saving goes through file_write_atomic (src/base/file.h): readers see the
 * old file or the new one, never a mix. */
#include "progress.h"

#include "../base/file.h"
#include "../base/file_read.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Version 2 files answers by question key; version 1 (still read) by
 * position. */
enum { PROGRESS_VERSION = 2, PROGRESS_VERSION_BY_POSITION = 1, ID_MAX = 255, KEY_MAX = 64 };

/* ---------------------------------------------------------------------------
 * The in-memory store */

void progress_init(Progress *p)
{
    *p = (Progress){0};
}

void progress_free(Progress *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_lessons; i++) {
        free(p->lessons[i].id);
        for (int a = 0; a < p->lessons[i].n_answers; a++)
            free(p->lessons[i].answers[a].key);
        free(p->lessons[i].answers);
        free(p->lessons[i].done);
    }
    free(p->lessons);
    free(p->current);
    free(p->set_aside);
    *p = (Progress){0};
}

const LessonProgress *progress_find(const Progress *p, const char *id)
{
    if (!p || !id) return NULL;
    for (int i = 0; i < p->n_lessons; i++)
        if (strcmp(p->lessons[i].id, id) == 0) return &p->lessons[i];
    return NULL;
}

/* A lesson id as it may appear in the file: printable, not too long. */
static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > ID_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7F) return false;
    return true;
}

/* The entry for id in *out, made if missing. */
static int entry(Progress *p, const char *id, LessonProgress **out, Status *st)
{
    *out = NULL;
    if (!id || !valid_id(id)) return status_fail(st, LS_ERR_ARG, "bad lesson id");
    for (int i = 0; i < p->n_lessons; i++)
        if (strcmp(p->lessons[i].id, id) == 0) {
            *out = &p->lessons[i];
            return LS_OK;
        }
    LessonProgress *grown = realloc(p->lessons, ((size_t)p->n_lessons + 1) * sizeof *grown);
    if (!grown) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    p->lessons = grown;
    LessonProgress *e = &p->lessons[p->n_lessons];
    *e = (LessonProgress){.id = strdup(id)};
    if (!e->id) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    p->n_lessons++;
    *out = e;
    return LS_OK;
}

int progress_page(const Progress *p, const char *id)
{
    const LessonProgress *e = progress_find(p, id);
    return e ? e->page : 0;
}

int progress_set_page(Progress *p, const char *id, int page, Status *st)
{
    if (page < 0 || page > PROGRESS_MAX_PAGE)
        return status_fail(st, LS_ERR_RANGE, "page %d out of range", page);
    LessonProgress *e;
    int rc = entry(p, id, &e, st);
    if (rc) return rc;
    e->page = page;
    return LS_OK;
}

const char *progress_current(const Progress *p)
{
    return p ? p->current : NULL;
}

int progress_set_current(Progress *p, const char *id, Status *st)
{
    if (!id || !valid_id(id)) return status_fail(st, LS_ERR_ARG, "bad lesson id");
    char *c = strdup(id);
    if (!c) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    free(p->current);
    p->current = c;
    return LS_OK;
}

/* The saved answer under key in e, or NULL. */
static SavedAnswer *find_answer(const LessonProgress *e, const char *key)
{
    for (int i = 0; e && key && i < e->n_answers; i++)
        if (strcmp(e->answers[i].key, key) == 0) return &e->answers[i];
    return NULL;
}

static bool legacy_key(const char *key)
{
    return key[0] == '#';
}

AnswerState progress_answer(const Progress *p, const char *id, const char *key)
{
    const SavedAnswer *a = find_answer(progress_find(p, id), key);
    return a ? (AnswerState)a->state : ANSWER_NONE;
}

/* Store a state without the "right stays right" rule (used by load). */
static int set_answer(LessonProgress *e, const char *key, AnswerState s, Status *st)
{
    if (!key || !valid_id(key) || strlen(key) > KEY_MAX)
        return status_fail(st, LS_ERR_RANGE, "bad question key");
    SavedAnswer *a = find_answer(e, key);
    if (!a) {
        if (e->n_answers >= PROGRESS_MAX_QUESTIONS)
            return status_fail(st, LS_ERR_RANGE, "more than %d answers in one lesson",
                               PROGRESS_MAX_QUESTIONS);
        SavedAnswer *grown = realloc(e->answers, ((size_t)e->n_answers + 1) * sizeof *grown);
        if (!grown) return status_fail(st, LS_ERR_NOMEM, "out of memory");
        e->answers = grown;
        char *k = strdup(key);
        if (!k) return status_fail(st, LS_ERR_NOMEM, "out of memory");
        a = &e->answers[e->n_answers++];
        *a = (SavedAnswer){.key = k};
    }
    a->state = (unsigned char)s;
    return LS_OK;
}

int progress_record_answer(Progress *p, const char *id, const char *key, bool right, Status *st)
{
    if (!key || !valid_id(key) || legacy_key(key) || strlen(key) > KEY_MAX)
        return status_fail(st, LS_ERR_RANGE, "bad question key");
    LessonProgress *e;
    int rc = entry(p, id, &e, st);
    if (rc) return rc;
    const SavedAnswer *old = find_answer(e, key);
    if (!right && old && old->state == ANSWER_RIGHT) return LS_OK;
    return set_answer(e, key, right ? ANSWER_RIGHT : ANSWER_WRONG, st);
}

void progress_count(const Progress *p, const char *id, int *answered, int *right)
{
    int a = 0, r = 0;
    const LessonProgress *e = progress_find(p, id);
    for (int i = 0; e && i < e->n_answers; i++) {
        if (legacy_key(e->answers[i].key)) continue;
        a += e->answers[i].state != ANSWER_NONE;
        r += e->answers[i].state == ANSWER_RIGHT;
    }
    if (answered) *answered = a;
    if (right) *right = r;
}

int progress_mark_done(Progress *p, const char *id, int page, Status *st)
{
    if (page < 0 || page > PROGRESS_MAX_PAGE)
        return status_fail(st, LS_ERR_RANGE, "page %d out of range", page);
    LessonProgress *e;
    int rc = entry(p, id, &e, st);
    if (rc) return rc;
    if (page >= e->n_done) {
        unsigned char *d = realloc(e->done, (size_t)page + 1);
        if (!d) return status_fail(st, LS_ERR_NOMEM, "out of memory");
        memset(d + e->n_done, 0, (size_t)(page + 1 - e->n_done));
        e->done = d;
        e->n_done = page + 1;
    }
    e->done[page] = 1;
    return LS_OK;
}

bool progress_page_done(const Progress *p, const char *id, int page)
{
    const LessonProgress *e = progress_find(p, id);
    return e && page >= 0 && page < e->n_done && e->done[page];
}

int progress_done_count(const Progress *p, const char *id, int n_pages)
{
    const LessonProgress *e = progress_find(p, id);
    int n = 0;
    for (int i = 0; e && i < e->n_done && i < n_pages; i++) n += e->done[i];
    return n;
}

int progress_migrate(Progress *p, const Lesson *l, Status *st)
{
    LessonProgress *e = p && l && l->id ? (LessonProgress *)progress_find(p, l->id) : NULL;
    if (!e || l->n_questions == 0) return LS_OK;
    bool by_was = false;
    for (int i = 0; i < l->n_questions; i++) {
        const Block *b = lesson_question(l, i);
        by_was |= b && b->question.was >= 0;
    }
    for (int i = 0; i < l->n_questions; i++) {
        const Block *b = lesson_question(l, i);
        if (!b || !b->question.key) continue;
        int old = by_was ? b->question.was : i;
        if (old < 0) continue;
        char legacy[24];
        snprintf(legacy, sizeof legacy, "#%d", old);
        const SavedAnswer *from = find_answer(e, legacy);
        if (!from || find_answer(e, b->question.key)) continue;
        int rc = set_answer(e, b->question.key, (AnswerState)from->state, st);
        if (rc) return rc;
    }
    /* Drop the legacy keys (set_answer may have moved the array). */
    int kept = 0;
    for (int i = 0; i < e->n_answers; i++) {
        if (legacy_key(e->answers[i].key))
            free(e->answers[i].key);
        else
            e->answers[kept++] = e->answers[i];
    }
    e->n_answers = kept;
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * Where the file lives */

int progress_default_path(char *out, size_t size, Status *st)
{
    /* The XDG spec says a relative XDG_STATE_HOME is invalid and to be ignored. */
    const char *xdg = getenv("XDG_STATE_HOME");
    int n;
    if (xdg && xdg[0] == '/') {
        n = snprintf(out, size, "%s/lorascope/progress.json", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home || !*home)
            return status_fail(st, LS_ERR_IO,
                               "cannot tell where to keep progress: set HOME or XDG_STATE_HOME");
        n = snprintf(out, size, "%s/.local/state/lorascope/progress.json", home);
    }
    if (n < 0 || (size_t)n >= size)
        return status_fail(st, LS_ERR_RANGE, "progress file path is too long");
    return LS_OK;
}

/* path, or the default written into buf. */
static const char *pick_path(const char *path, char *buf, size_t size, Status *st)
{
    if (path) return path;
    return progress_default_path(buf, size, st) ? NULL : buf;
}

/* ---------------------------------------------------------------------------
 * Loading */

int progress_parse(Progress *p, const char *text, size_t len, Status *st)
{
    const char *stop = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &stop, false);
    if (!root) return status_fail(st, LS_ERR_PARSE, "not valid JSON");
    int rc = LS_OK;
    /* cJSON stops after the first value; anything but white space after it
     * means the file is not what we wrote. */
    while (stop && stop < text + len && isspace((unsigned char)*stop))
        stop++;
    if (!stop || stop != text + len) {
        cJSON_Delete(root);
        return status_fail(st, LS_ERR_PARSE, "unexpected data after the JSON object");
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(root, "current");
    const cJSON *lessons = cJSON_GetObjectItemCaseSensitive(root, "lessons");
    const cJSON *item;
    if (!cJSON_IsObject(root)) {
        rc = status_fail(st, LS_ERR_PARSE, "not a JSON object");
        goto done;
    }
    /* A newer version is not damage: LS_ERR_RANGE tells the loader to keep
     * the file as it is (a later lorascope can read it). */
    if (cJSON_IsNumber(ver) && ver->valuedouble > PROGRESS_VERSION && ver->valuedouble < 1e9) {
        rc = status_fail(st, LS_ERR_RANGE,
                         "written by a newer lorascope (format version %.0f; this one reads "
                         "version %d)",
                         ver->valuedouble, PROGRESS_VERSION);
        goto done;
    }
    if (!cJSON_IsNumber(ver) ||
        (ver->valuedouble != PROGRESS_VERSION && ver->valuedouble != PROGRESS_VERSION_BY_POSITION)) {
        rc = status_fail(st, LS_ERR_PARSE, "unknown format version (expected %d or %d)",
                         PROGRESS_VERSION_BY_POSITION, PROGRESS_VERSION);
        goto done;
    }
    bool by_position = ver->valuedouble == PROGRESS_VERSION_BY_POSITION;
    if (cur && !cJSON_IsNull(cur)) {
        if (!cJSON_IsString(cur) || !valid_id(cur->valuestring)) {
            rc = status_fail(st, LS_ERR_PARSE, "'current' is not a lesson id");
            goto done;
        }
        if ((rc = progress_set_current(p, cur->valuestring, st))) goto done;
    }
    if (lessons && !cJSON_IsObject(lessons)) {
        rc = status_fail(st, LS_ERR_PARSE, "'lessons' is not an object");
        goto done;
    }
    cJSON_ArrayForEach(item, lessons)
    {
        const char *id = item->string;
        if (!id || !valid_id(id) || !cJSON_IsObject(item)) {
            rc = status_fail(st, LS_ERR_PARSE, "a lesson entry is not an object with an id");
            goto done;
        }
        LessonProgress *e;
        if ((rc = entry(p, id, &e, st))) goto done;
        const cJSON *page = cJSON_GetObjectItemCaseSensitive(item, "page");
        if (page) {
            double v = cJSON_IsNumber(page) ? page->valuedouble : -1;
            if (v < 0 || v > PROGRESS_MAX_PAGE || v != (int)v) {
                rc = status_fail(st, LS_ERR_PARSE, "lesson %s: bad page", id);
                goto done;
            }
            e->page = (int)v;
        }
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(item, "answers");
        if (answers && !cJSON_IsObject(answers)) {
            rc = status_fail(st, LS_ERR_PARSE, "lesson %s: 'answers' is not an object", id);
            goto done;
        }
        const cJSON *a;
        cJSON_ArrayForEach(a, answers)
        {
            const char *k = a->string;
            char key[24];
            if (by_position) {
                /* Version 1: "N" → legacy key "#N" for progress_migrate. */
                char *end = NULL;
                long q = -1;
                if (k && isdigit((unsigned char)k[0]) && strlen(k) <= 6) q = strtol(k, &end, 10);
                if (q < 0 || q >= PROGRESS_MAX_QUESTIONS || !end || *end) k = NULL;
                else snprintf(key, sizeof key, "#%ld", q), k = key;
            }
            if (!k || !valid_id(k) || strlen(k) > KEY_MAX || !cJSON_IsBool(a)) {
                rc = status_fail(st, LS_ERR_PARSE,
                                 "lesson %s: answers must map question keys to true/false", id);
                goto done;
            }
            if ((rc = set_answer(e, k, cJSON_IsTrue(a) ? ANSWER_RIGHT : ANSWER_WRONG, st)))
                goto done;
        }
        const cJSON *fin = cJSON_GetObjectItemCaseSensitive(item, "done");
        if (fin && !cJSON_IsArray(fin)) {
            rc = status_fail(st, LS_ERR_PARSE, "lesson %s: 'done' is not a list of pages", id);
            goto done;
        }
        cJSON_ArrayForEach(a, fin)
        {
            double v = cJSON_IsNumber(a) ? a->valuedouble : -1;
            if (v < 0 || v > PROGRESS_MAX_PAGE || v != (int)v) {
                rc = status_fail(st, LS_ERR_PARSE, "lesson %s: bad page in 'done'", id);
                goto done;
            }
            if ((rc = progress_mark_done(p, id, (int)v, st))) goto done;
        }
    }
done:
    cJSON_Delete(root);
    return rc;
}

/* Move the file at path aside (file_set_aside); p->set_aside gets the new
 * name. */
static int set_aside(Progress *p, const char *path)
{
    char name[4200];
    int e = file_set_aside(path, name, sizeof name);
    if (e) return e;
    if (!(p->set_aside = strdup(name))) return ENOMEM;
    return 0;
}

/* A file that cannot be used: keep it beside the new one, or, when that
 * fails, leave it in place and save nothing this session. Returns code. */
static int unusable(Progress *p, const char *path, int code, const char *why, Status *st)
{
    progress_free(p);
    int e = set_aside(p, path);
    if (e) {
        p->read_only = true;
        return status_fail(st, code,
                           "the progress file %s cannot be used (%s) and could not be moved "
                           "aside (%s); it is left as it is and this session is not saved",
                           path, why, strerror(e));
    }
    return status_fail(st, code, "the progress file %s cannot be used (%s)", path, why);
}

int progress_load(Progress *p, const char *path, Status *st)
{
    char buf[4096];
    status_clear(st);
    progress_free(p);
    path = pick_path(path, buf, sizeof buf, st);
    if (!path) return LS_ERR_IO;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) return LS_OK; /* first run */
    /* The shared opener: a FIFO, folder or device in its place is refused
     * without blocking the start. */
    FILE *f;
    uint64_t file_size;
    Status why_open;
    if (file_open_regular(path, &f, &file_size, &why_open))
        return unusable(p, path, LS_ERR_IO, why_open.msg, st);
    sb.st_size = (off_t)file_size;
    if ((unsigned long long)sb.st_size > PROGRESS_MAX_BYTES) {
        fclose(f);
        char why[96];
        snprintf(why, sizeof why, "%lld bytes is more than the %u allowed", (long long)sb.st_size,
                 PROGRESS_MAX_BYTES);
        return unusable(p, path, LS_ERR_PARSE, why, st);
    }
    size_t size = (size_t)sb.st_size;
    char *text = malloc(size + 1);
    if (!text) {
        fclose(f);
        return status_fail(st, LS_ERR_NOMEM, "out of memory");
    }
    size_t got = fread(text, 1, size, f);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(text);
        return unusable(p, path, LS_ERR_IO, "read error", st);
    }
    text[got] = '\0';
    Status why;
    int rc = progress_parse(p, text, got, &why);
    free(text);
    if (rc == LS_ERR_NOMEM) {
        progress_free(p);
        return status_fail(st, rc, "out of memory");
    }
    if (rc == LS_ERR_RANGE) {
        /* Never downgrade: the newer file stays as it is, unsaved over. */
        progress_free(p);
        p->read_only = true;
        return status_fail(st, rc, "the progress file %s was %s", path, why.msg);
    }
    if (rc) return unusable(p, path, rc, why.msg, st);
    return LS_OK;
}

/* ---------------------------------------------------------------------------
 * Saving */

static cJSON *to_json(const Progress *p)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON *lessons = NULL;
    if (!cJSON_AddNumberToObject(root, "version", PROGRESS_VERSION)) goto fail;
    if (p->current && !cJSON_AddStringToObject(root, "current", p->current)) goto fail;
    if (!(lessons = cJSON_AddObjectToObject(root, "lessons"))) goto fail;
    for (int i = 0; i < p->n_lessons; i++) {
        const LessonProgress *e = &p->lessons[i];
        cJSON *l = cJSON_AddObjectToObject(lessons, e->id);
        if (!l || !cJSON_AddNumberToObject(l, "page", e->page)) goto fail;
        cJSON *answers = cJSON_AddObjectToObject(l, "answers");
        if (!answers) goto fail;
        for (int q = 0; q < e->n_answers; q++) {
            const SavedAnswer *sa = &e->answers[q];
            if (sa->state == ANSWER_NONE) continue;
            if (!cJSON_AddBoolToObject(answers, sa->key, sa->state == ANSWER_RIGHT)) goto fail;
        }
        cJSON *fin = cJSON_AddArrayToObject(l, "done");
        if (!fin) goto fail;
        for (int pg = 0; pg < e->n_done; pg++) {
            cJSON *n = e->done[pg] ? cJSON_CreateNumber(pg) : NULL;
            if (e->done[pg] && !n) goto fail;
            if (n) cJSON_AddItemToArray(fin, n);
        }
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

int progress_save(const Progress *p, const char *path, Status *st)
{
    char buf[4096];
    status_clear(st);
    path = pick_path(path, buf, sizeof buf, st);
    if (!path) return LS_ERR_IO;
    if (p->read_only)
        return status_fail(st, LS_ERR_IO,
                           "%s is kept as it is (see the notice at start); this session is not "
                           "saved",
                           path);
    cJSON *root = to_json(p);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return status_fail(st, LS_ERR_NOMEM, "out of memory while saving progress");

    /* 0700: the XDG spec asks for private state folders. */
    char dir[4096];
    int rc = file_parent(dir, sizeof dir, path)
                 ? status_fail(st, LS_ERR_RANGE, "progress file path is too long")
                 : file_make_dirs_mode(dir, 0700, st);
    if (!rc) {
        size_t len = strlen(text);
        text[len] = '\n'; /* over the NUL: the file ends with a newline */
        rc = file_write_atomic_mode(path, text, len + 1, 0600, st);
        text[len] = '\0';
        if (rc) status_prefix(st, "cannot save progress");
    }
    free(text);
    return rc;
}

int progress_clear(Progress *p, const char *path, Status *st)
{
    char buf[4096];
    status_clear(st);
    progress_free(p);
    path = pick_path(path, buf, sizeof buf, st);
    if (!path) return LS_ERR_IO;
    if (unlink(path) != 0 && errno != ENOENT)
        return status_fail(st, LS_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    char dir[4096], kept[4200];
    if (file_parent(dir, sizeof dir, path) != 0 ||
        snprintf(kept, sizeof kept, "%s/%s", dir, PROGRESS_LAB_RESULTS) >= (int)sizeof kept)
        return status_fail(st, LS_ERR_RANGE, "the progress file's path is too long");
    return file_remove_tree(kept, st);
}
