/* paths.c — locating the lessons/ and data/ folders (see paths.h). */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LS_DATADIR
#define LS_DATADIR "/usr/local/share/lorascope"
#endif

static int has_data(const char *dir)
{
    char probe[4096];
    struct stat sb;
    if (snprintf(probe, sizeof probe, "%s/data", dir) >= (int)sizeof probe) return 0;
    return stat(probe, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *paths_root(void)
{
    static char root[4096];
    if (root[0]) return root;
    const char *env = getenv("LORASCOPE_ROOT");
    if (env && *env && strlen(env) < sizeof root && has_data(env)) {
        strcpy(root, env);
        return root;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (has_data(exe)) {
                strcpy(root, exe);
                return root;
            }
            /* Installed as PREFIX/bin/lorascope: data in PREFIX/share. */
            char shared[4096 + 32];
            snprintf(shared, sizeof shared, "%s/../share/lorascope", exe);
            if (strlen(shared) < sizeof root && has_data(shared)) {
                strcpy(root, shared);
                return root;
            }
        }
    }
    if (has_data(".")) {
        strcpy(root, ".");
        return root;
    }
    strcpy(root, has_data(LS_DATADIR) ? LS_DATADIR : ".");
    return root;
}

int paths_resolve(char *out, size_t size, const char *rel)
{
    int n = rel[0] == '/' ? snprintf(out, size, "%s", rel)
                          : snprintf(out, size, "%s/%s", paths_root(), rel);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

void paths_normalize(char *p)
{
    char *out = p;
    const char *in = p;
    while (*in) {
        while (*in == '/') in++;
        const char *end = in;
        while (*end && *end != '/') end++;
        size_t len = (size_t)(end - in);
        if (len == 0) break;
        if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (out > p && *--out != '/') {
            }
        } else if (!(len == 1 && in[0] == '.')) {
            *out++ = '/';
            memmove(out, in, len);
            out += len;
        }
        in = end;
    }
    if (out == p) *out++ = '/';
    *out = '\0';
}

/* Is path equal to dir or inside it (both normalized, absolute)? */
static bool inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0) return true;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* One place a lesson may read from: `base` (a real path). */
typedef struct Place {
    char base[PATH_MAX]; /* where rel is taken from */
    char fence[PATH_MAX]; /* what it must stay inside */
    const char *name;    /* "the lesson's folder" */
} Place;

/* Outcome of trying one place: found (out set), absent, or refused: the
 * name leads out, or a file there is a symbolic link out. */
enum { TRY_FOUND, TRY_ABSENT, TRY_OUTSIDE, TRY_LINK_OUT };

static int try_place(const Place *pl, const char *rel, char *out, size_t size, char *why,
                     size_t why_size)
{
    char cand[2 * PATH_MAX + 2];
    if (snprintf(cand, sizeof cand, "%s/%s", pl->base, rel) >= (int)sizeof cand) return TRY_ABSENT;
    paths_normalize(cand);
    if (!inside(cand, pl->fence)) {
        snprintf(why, why_size, "it leads outside %s (%s)", pl->name, pl->fence);
        return TRY_OUTSIDE;
    }
    char real[PATH_MAX];
    if (!realpath(cand, real)) return TRY_ABSENT;
    if (!inside(real, pl->fence)) {
        snprintf(why, why_size, "it leads outside %s (%s) through a symbolic link to %s", pl->name,
                 pl->fence, real);
        return TRY_LINK_OUT;
    }
    if (snprintf(out, size, "%s", real) >= (int)size) return TRY_ABSENT;
    return TRY_FOUND;
}

int paths_lesson_data(char *out, size_t size, const char *lesson_file, const char *rel,
                      Status *st)
{
    if (!rel || !*rel) return status_fail(st, LS_ERR_ARG, "an empty file name");
    if (rel[0] == '/')
        return status_fail(st, LS_ERR_ARG,
                           "'%s' is an absolute path; a lesson names its files relative to its "
                           "own folder, or as data/... for lorascope's data folder",
                           rel);
    Place places[2];
    int n = 0;
    char dir[PATH_MAX];
    if (lesson_file) {
        const char *slash = strrchr(lesson_file, '/');
        int k = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - lesson_file), lesson_file)
                      : snprintf(dir, sizeof dir, ".");
        if (k == 0) snprintf(dir, sizeof dir, "/");
        if (k >= 0 && (size_t)k < sizeof dir && realpath(dir, places[n].base)) {
            strcpy(places[n].fence, places[n].base);
            places[n++].name = "the lesson's folder";
        }
    }
    char data[PATH_MAX + 8];
    snprintf(data, sizeof data, "%s/data", paths_root());
    if (realpath(paths_root(), places[n].base) && realpath(data, places[n].fence)) {
        places[n++].name = "lorascope's data folder";
    }
    char why[2][3 * PATH_MAX];
    int got[2] = {TRY_ABSENT, TRY_ABSENT};
    for (int i = 0; i < n; i++) {
        got[i] = try_place(&places[i], rel, out, size, why[i], sizeof why[i]);
        if (got[i] == TRY_FOUND) return LS_OK;
        /* Leaving the first place tried (the lesson's folder, when there is
         * one) is what a hostile path does: refuse it, whatever else exists. */
        if (got[i] == TRY_LINK_OUT || (got[i] == TRY_OUTSIDE && i == 0))
            return status_fail(st, LS_ERR_ARG, "'%s': %s", rel, why[i]);
    }
    if (n == 2)
        return status_fail(st, LS_ERR_IO,
                           "'%s' not found in the lesson's folder %s%s%s", rel, places[0].base,
                           got[1] == TRY_ABSENT ? " nor in " : "",
                           got[1] == TRY_ABSENT ? places[1].base : " (data/... names a file of lorascope's data folder)");
    if (n == 1)
        return status_fail(st, LS_ERR_IO, "'%s' not found (looked in %s)", rel, places[0].fence);
    return status_fail(st, LS_ERR_IO, "'%s' not found (no lesson or data folder to look in)", rel);
}
