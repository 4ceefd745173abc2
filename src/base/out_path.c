/* out_path.c — checking outputs before the work (see out_path.h). */
#include "out_path.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "paths.h"
#include "staged_dir.h"

int out_path_resolve(char *out, size_t size, const char *path)
{
    char abs[8192];
    int n;
    if (path[0] == '/') {
        n = snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) return -1;
        n = snprintf(abs, sizeof abs, "%s/%s", cwd, path);
    }
    if (n < 0 || (size_t)n >= sizeof abs) return -1;
    paths_normalize(abs);
    /* Resolve the longest existing folder prefix (symbolic links), keep the rest. */
    size_t cut = strlen(abs);
    for (;;) {
        char save = abs[cut];
        abs[cut] = '\0';
        char real[PATH_MAX];
        bool ok = cut > 0 && realpath(abs, real) != NULL;
        abs[cut] = save;
        if (ok) {
            n = snprintf(out, size, "%s%s", strcmp(real, "/") == 0 ? "" : real, abs + cut);
            if (n == 0) n = snprintf(out, size, "/");
            return n < 0 || (size_t)n >= size ? -1 : 0;
        }
        while (cut > 0 && abs[cut - 1] != '/') cut--;
        if (cut <= 1) break;
        cut--; /* drop the slash too */
    }
    n = snprintf(out, size, "%s", abs);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Can we create an entry in folder dir? A real probe. 0 or an errno. */
static int probe(const char *dir, bool folder)
{
    char tmp[8192];
    Status ignore;
    char inside[4200];
    snprintf(inside, sizeof inside, "%s/probe", dir);
    if (file_sibling_template(tmp, sizeof tmp, inside, "probe", &ignore)) return ENAMETOOLONG;
    file_remove_stale_siblings(inside, "probe"); /* one a killed check left */
    if (folder) {
        if (!mkdtemp(tmp)) return errno;
        rmdir(tmp);
        return 0;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) return errno;
    close(fd);
    unlink(tmp);
    return 0;
}

static int check_file(const OutSpec *o, Status *st)
{
    struct stat sb;
    if (stat(o->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return status_fail(st, LS_ERR_ARG, "%s %s: that is a folder; give a file name",
                               o->option, o->path);
        if (!S_ISREG(sb.st_mode))
            return status_fail(st, LS_ERR_ARG,
                               "%s %s: not a regular file; give a file name (or '-' for "
                               "standard output where the option allows it)",
                               o->option, o->path);
    }
    char dir[4096];
    if (file_parent(dir, sizeof dir, o->path))
        return status_fail(st, LS_ERR_ARG, "%s: path too long", o->option);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return status_fail(st, LS_ERR_IO, "%s %s: the folder %s does not exist; make it first",
                           o->option, o->path, dir);
    int e = probe(dir, false);
    if (e)
        return status_fail(st, LS_ERR_IO, "%s %s: cannot write in the folder %s: %s", o->option,
                           o->path, dir, strerror(e));
    return LS_OK;
}

static int check_dir(const OutSpec *o, const char *resolved, Status *st)
{
    /* A save swaps its folder out whole: never the folder we stand in. */
    char cwd[4096];
    size_t rl = strlen(resolved);
    if (strcmp(resolved, "/") == 0 ||
        (getcwd(cwd, sizeof cwd) && strncmp(cwd, resolved, rl) == 0 &&
         (cwd[rl] == '/' || cwd[rl] == '\0')))
        return status_fail(st, LS_ERR_ARG,
                           "%s %s: that is the current folder or one above it; give a new folder "
                           "for the save",
                           o->option, o->path);
    int rc = staged_dir_check(o->path, o->known, st);
    if (rc) {
        status_prefix(st, "%s", o->option);
        return rc;
    }
    /* The save makes missing folders: probe the nearest one that exists. */
    char dir[4096];
    if (file_parent(dir, sizeof dir, o->path))
        return status_fail(st, LS_ERR_ARG, "%s: path too long", o->option);
    struct stat sb;
    while (stat(dir, &sb) != 0) {
        char up[4096];
        if (errno != ENOENT || file_parent(up, sizeof up, dir) || strcmp(up, dir) == 0) break;
        snprintf(dir, sizeof dir, "%s", up);
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return status_fail(st, LS_ERR_ARG, "%s %s: %s is not a folder", o->option, o->path, dir);
    int e = probe(dir, true);
    if (e)
        return status_fail(st, LS_ERR_IO, "%s %s: cannot make a folder in %s: %s", o->option,
                           o->path, dir, strerror(e));
    return LS_OK;
}

/* Two resolved outputs that clash: the same path, or a file inside a
 * folder output (which the save would replace). */
static int clash(const OutSpec *a, const char *ra, const OutSpec *b, const char *rb, Status *st)
{
    if (strcmp(ra, rb) == 0)
        return status_fail(st, LS_ERR_ARG, "%s %s and %s %s name the same %s (%s); give each its own",
                           a->option, a->path, b->option, b->path,
                           a->kind == OUT_DIR || b->kind == OUT_DIR ? "place" : "file", ra);
    for (int k = 0; k < 2; k++) {
        const OutSpec *d = k ? b : a, *f = k ? a : b;
        const char *dp = k ? rb : ra, *fp = k ? ra : rb;
        size_t dl = strlen(dp);
        if (d->kind == OUT_DIR && strncmp(fp, dp, dl) == 0 && fp[dl] == '/')
            return status_fail(st, LS_ERR_ARG,
                               "%s %s lies inside the %s folder %s, which the save replaces as a "
                               "whole; put it elsewhere",
                               f->option, f->path, d->option, d->path);
    }
    return LS_OK;
}

int out_paths_check(const OutSpec *outs, int n, Status *st)
{
    char (*resolved)[4096] = calloc((size_t)(n > 0 ? n : 1), sizeof *resolved);
    if (!resolved) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    int rc = LS_OK;
    int stdout_user = -1;
    /* First what the arguments alone show, then the file system. */
    for (int i = 0; i < n && !rc; i++) {
        const OutSpec *o = &outs[i];
        if (!o->path) continue;
        if (!o->path[0]) {
            rc = status_fail(st, LS_ERR_ARG, "%s needs a %s name, not an empty string", o->option,
                             o->kind == OUT_DIR ? "folder" : "file");
        } else if (o->kind == OUT_FILE && strcmp(o->path, "-") == 0) {
            if (stdout_user >= 0)
                rc = status_fail(st, LS_ERR_ARG,
                                 "%s - and %s - both write to standard output; give one of "
                                 "them a file name",
                                 outs[stdout_user].option, o->option);
            stdout_user = i;
        } else if (out_path_resolve(resolved[i], sizeof resolved[i], o->path)) {
            rc = status_fail(st, LS_ERR_ARG, "%s: path too long", o->option);
        }
        for (int j = 0; j < i && !rc; j++)
            if (resolved[i][0] && resolved[j][0])
                rc = clash(&outs[j], resolved[j], o, resolved[i], st);
    }
    for (int i = 0; i < n && !rc; i++)
        if (resolved[i][0])
            rc = outs[i].kind == OUT_DIR ? check_dir(&outs[i], resolved[i], st)
                                         : check_file(&outs[i], st);
    free(resolved);
    return rc;
}
