/* staged_dir.c — saving a folder whole or not at all (see staged_dir.h). */
#define _GNU_SOURCE /* renameat2 and RENAME_EXCHANGE (Linux, glibc >= 2.28) */
#include "staged_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* The first entry of dir that is neither the mark nor a known name, or ""
 * when there is none; *marked tells whether the mark is there. */
static int first_foreign(const char *dir, const char *const *known, char *out, size_t size,
                         bool *marked)
{
    out[0] = '\0';
    *marked = false;
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
        if (strcmp(n, STAGED_DIR_MARK) == 0) {
            *marked = true;
            continue;
        }
        bool ours = false;
        for (int i = 0; known && known[i] && !ours; i++) ours = strcmp(n, known[i]) == 0;
        if (!ours && !out[0]) snprintf(out, size, "%s", n);
    }
    closedir(d);
    return 0;
}

int staged_dir_check(const char *dir, const char *const *known, Status *st)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno == ENOENT) return LS_OK;
        return status_fail(st, LS_ERR_IO, "%s: %s", dir, strerror(errno));
    }
    /* The swap renames the entry itself: through a link it would replace
     * the link, not the folder it names. */
    if (S_ISLNK(sb.st_mode))
        return status_fail(st, LS_ERR_ARG,
                           "%s is a symbolic link; give the folder it points to instead", dir);
    if (!S_ISDIR(sb.st_mode))
        return status_fail(st, LS_ERR_ARG, "%s is a file, not a folder; give a folder name", dir);
    char foreign[256];
    bool marked;
    if (first_foreign(dir, known, foreign, sizeof foreign, &marked) != 0)
        return status_fail(st, LS_ERR_IO, "%s: %s", dir, strerror(errno));
    if (marked || !foreign[0]) return LS_OK;
    return status_fail(st, LS_ERR_ARG,
                       "%s is a folder lorascope did not write (it holds '%s'); a save replaces "
                       "its folder whole, so give a new or empty folder, or one an earlier save "
                       "made",
                       dir, foreign);
}

/* A swap that a kill interrupted (only on file systems without an atomic
 * exchange) left the old save as ".NAME.old-PID-..." and no NAME: put it
 * back before anything else. */
static void restore_old(const char *dir)
{
    struct stat sb;
    char old[4096];
    if (lstat(dir, &sb) == 0 || errno != ENOENT) return;
    if (file_find_stale_sibling(dir, "old", old, sizeof old)) rename(old, dir);
}

int staged_dir_begin(StagedDir *s, const char *dir, Status *st)
{
    *s = (StagedDir){0};
    if (!dir || !*dir) return status_fail(st, LS_ERR_ARG, "no folder name to save to");
    if (snprintf(s->final, sizeof s->final, "%s", dir) >= (int)sizeof s->final)
        return status_fail(st, LS_ERR_RANGE, "%s: path too long", dir);
    char parent[4096];
    if (file_parent(parent, sizeof parent, dir))
        return status_fail(st, LS_ERR_RANGE, "%s: path too long", dir);
    int rc = file_make_dirs(parent, st);
    if (rc) return rc;
    restore_old(dir);
    file_remove_stale_siblings(dir, "partial");
    file_remove_stale_siblings(dir, "old");
    if ((rc = file_sibling_template(s->tmp, sizeof s->tmp, dir, "partial", st))) return rc;
    if (!mkdtemp(s->tmp))
        return status_fail(st, LS_ERR_IO, "%s: cannot make a folder in %s: %s", dir, parent,
                           strerror(errno));
    chmod(s->tmp, 0755); /* mkdtemp makes it 0700; a save is ordinary data */
    s->open = true;
    return LS_OK;
}

/* Swap tmp and final, both existing folders: after it, tmp holds the old
 * save. 0 or an errno. */
static int swap(StagedDir *s)
{
#ifdef RENAME_EXCHANGE
    if (renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->final, RENAME_EXCHANGE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return errno;
#endif
    /* No atomic exchange here: move the old save aside (over an empty
     * folder of a fresh name), then the new one in. A kill between the two
     * leaves both whole; restore_old puts the old one back next time. */
    char old[4096];
    Status ignore;
    if (file_sibling_template(old, sizeof old, s->final, "old", &ignore) || !mkdtemp(old))
        return errno ? errno : ENAMETOOLONG;
    if (rename(s->final, old) != 0) {
        int e = errno;
        rmdir(old);
        return e;
    }
    if (rename(s->tmp, s->final) != 0) {
        int e = errno;
        rename(old, s->final);
        return e;
    }
    snprintf(s->tmp, sizeof s->tmp, "%s", old);
    return 0;
}

int staged_dir_commit(StagedDir *s, const char *const *known, Status *st)
{
    if (!s->open) return status_fail(st, LS_ERR_ARG, "staged_dir_commit: no save started");
    char mark[4200], parent[4096];
    static const char text[] = "A folder saved by lorascope: a later save to it replaces it whole.\n";
    snprintf(mark, sizeof mark, "%s/%s", s->tmp, STAGED_DIR_MARK);
    int rc = file_write_atomic(mark, text, sizeof text - 1, st);
    if (!rc) rc = file_sync_dir(s->tmp, st);
    if (rc) return rc;
    file_parent(parent, sizeof parent, s->final);
    struct stat sb;
    int e = 0;
    if (lstat(s->final, &sb) == 0) {
        /* Someone may have put files there since the check before the work. */
        if ((rc = staged_dir_check(s->final, known, st))) {
            s->open = false; /* keep the new save for the user to move */
            status_prefix(st, "not replaced (the new save is kept in %s; move it before the "
                              "next save there)",
                          s->tmp);
            return rc;
        }
        e = swap(s);
    } else if (rename(s->tmp, s->final) != 0) {
        e = errno;
    }
    if (e) {
        s->open = false;
        return status_fail(st, LS_ERR_IO,
                           "%s: cannot put the save in place (%s); it is kept in %s (move it "
                           "before the next save there)",
                           s->final, strerror(e), s->tmp);
    }
    /* Now s->tmp is the old save (or gone): remove it. */
    file_remove_tree(s->tmp, NULL);
    s->open = false;
    return file_sync_dir(parent, st);
}

void staged_dir_abort(StagedDir *s)
{
    if (!s || !s->open) return;
    file_remove_tree(s->tmp, NULL);
    s->open = false;
}
