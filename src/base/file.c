/* file.c — atomic file writes and the folder helpers around them (see
 * file.h). */
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int file_parent(char *out, size_t size, const char *path)
{
    const char *slash = strrchr(path, '/');
    /* "a/b/" names folder b: its parent is a. */
    while (slash && slash > path && slash[1] == '\0') {
        const char *s = slash - 1;
        while (s > path && *s != '/') s--;
        slash = *s == '/' ? s : NULL;
    }
    int n;
    if (!slash)
        n = snprintf(out, size, ".");
    else if (slash == path)
        n = snprintf(out, size, "/");
    else
        n = snprintf(out, size, "%.*s", (int)(slash - path), path);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The last component of path, without trailing slashes, into out. */
static int base_name(char *out, size_t size, const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    int n = snprintf(out, size, "%.*s", (int)(len - start), path + start);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int file_sibling_template(char *out, size_t size, const char *path, const char *tag, Status *st)
{
    char dir[4096], base[1024];
    if (file_parent(dir, sizeof dir, path) || base_name(base, sizeof base, path))
        return status_fail(st, LS_ERR_RANGE, "%s: path too long", path);
    int n = snprintf(out, size, "%s/.%s.%s-%ld-XXXXXX", dir, base, tag, (long)getpid());
    if (n < 0 || (size_t)n >= size) return status_fail(st, LS_ERR_RANGE, "%s: path too long", path);
    return LS_OK;
}

/* If `name` is ".BASE.TAG-PID-XXXXXX" for base and tag, its PID, else 0. */
static long sibling_pid(const char *name, const char *base, const char *tag)
{
    size_t bl = strlen(base), tl = strlen(tag);
    if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 || name[1 + bl] != '.') return 0;
    const char *p = name + 2 + bl;
    if (strncmp(p, tag, tl) != 0 || p[tl] != '-') return 0;
    p += tl + 1;
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p || *end != '-' || strlen(end + 1) != 6 || pid <= 0) return 0;
    return pid;
}

/* Calls fn(full path, ctx) for each sibling of path tagged `tag` whose
 * process is gone; stops when fn returns true. */
static void each_stale(const char *path, const char *tag, bool (*fn)(const char *, void *),
                       void *ctx)
{
    char dir[4096], base[1024];
    if (file_parent(dir, sizeof dir, path) || base_name(base, sizeof base, path)) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = sibling_pid(e->d_name, base, tag);
        /* kill(pid, 0) fails with ESRCH once the process is gone. */
        if (!pid || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[8192];
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full) continue;
        if (fn(full, ctx)) break;
    }
    closedir(d);
}

static bool remove_one(const char *full, void *ctx)
{
    (void)ctx;
    file_remove_tree(full, NULL);
    return false;
}

void file_remove_stale_siblings(const char *path, const char *tag)
{
    each_stale(path, tag, remove_one, NULL);
}

typedef struct Found {
    char *out;
    size_t size;
    bool any;
} Found;

static bool keep_first(const char *full, void *ctx)
{
    Found *f = ctx;
    if (f->out && snprintf(f->out, f->size, "%s", full) >= (int)f->size) return false;
    f->any = true;
    return true;
}

int file_find_stale_sibling(const char *path, const char *tag, char *found, size_t size)
{
    Found f = {found, size, false};
    each_stale(path, tag, keep_first, &f);
    return f.any;
}

int file_sync_dir(const char *dir, Status *st)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return status_fail(st, LS_ERR_IO, "%s: %s", dir, strerror(errno));
    /* Some file systems cannot fsync a folder (EINVAL): nothing more to do there. */
    int rc = fsync(fd) != 0 && errno != EINVAL ? errno : 0;
    close(fd);
    if (rc) return status_fail(st, LS_ERR_IO, "%s: %s", dir, strerror(rc));
    return LS_OK;
}

/* Write all n bytes to fd, retrying short writes and EINTR; 0 or an errno. */
static int write_all(int fd, const unsigned char *b, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

int file_write_atomic_mode(const char *path, const void *data, size_t size, unsigned mode,
                           Status *st)
{
    if (!path || !*path) return status_fail(st, LS_ERR_ARG, "no file name to write to");
    char tmp[8192], dir[4096];
    int rc = file_sibling_template(tmp, sizeof tmp, path, "tmp", st);
    if (rc) return rc;
    if (file_parent(dir, sizeof dir, path)) return status_fail(st, LS_ERR_RANGE, "%s: path too long", path);
    file_remove_stale_siblings(path, "tmp");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return status_fail(st, LS_ERR_IO, "%s: cannot create a file in %s: %s", path, dir,
                           strerror(errno));
    /* mkstemp makes the file 0600. */
    int e = fchmod(fd, (mode_t)mode) != 0 ? errno : 0;
    if (!e) e = write_all(fd, data, size);
    /* fsync before rename: otherwise a crash can leave the new name
     * pointing at an empty file on some file systems. */
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return status_fail(st, LS_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return file_sync_dir(dir, st);
}

int file_write_atomic(const char *path, const void *data, size_t size, Status *st)
{
    return file_write_atomic_mode(path, data, size, 0644, st);
}

int file_make_dirs_mode(const char *path, unsigned mode, Status *st)
{
    size_t len = strlen(path);
    if (len == 0) return status_fail(st, LS_ERR_ARG, "no folder name");
    char *buf = malloc(len + 1);
    if (!buf) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST) {
            int e = errno;
            status_fail(st, LS_ERR_IO, "%s: cannot create folder: %s", buf, strerror(e));
            free(buf);
            return LS_ERR_IO;
        }
        buf[i] = c;
    }
    struct stat sb;
    int ok = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    free(buf);
    if (!ok) return status_fail(st, LS_ERR_IO, "%s: not a folder (a file of that name is in the way)", path);
    return LS_OK;
}

int file_make_dirs(const char *path, Status *st)
{
    return file_make_dirs_mode(path, 0755, st);
}

int file_remove_tree(const char *path, Status *st)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? LS_OK : status_fail(st, LS_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT)
            return status_fail(st, LS_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        return LS_OK;
    }
    DIR *d = opendir(path);
    if (!d) return status_fail(st, LS_ERR_IO, "%s: %s", path, strerror(errno));
    int rc = LS_OK;
    struct dirent *e;
    size_t plen = strlen(path);
    while (!rc && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        size_t n = plen + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) {
            rc = status_fail(st, LS_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(child, n, "%s/%s", path, e->d_name);
        rc = file_remove_tree(child, st);
        free(child);
    }
    closedir(d);
    if (!rc && rmdir(path) != 0 && errno != ENOENT)
        rc = status_fail(st, LS_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return rc;
}

int file_set_aside(const char *path, char *out, size_t size)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm))
        snprintf(stamp, sizeof stamp, "%lld", (long long)now);
    for (int k = 1; k <= 100; k++) {
        int n = k == 1 ? snprintf(out, size, "%s.unreadable-%s", path, stamp)
                       : snprintf(out, size, "%s.unreadable-%s-%d", path, stamp, k);
        if (n < 0 || (size_t)n >= size) return ENAMETOOLONG;
        struct stat sb;
        if (lstat(out, &sb) == 0) continue;
        if (errno != ENOENT) return errno;
        if (rename(path, out) != 0) return errno;
        return 0;
    }
    return EEXIST;
}
