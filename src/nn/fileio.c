/* fileio.c — whole-file reads and atomic writes (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/file_read.h"

int file_read_all(const char *path, size_t max_size, unsigned char **data, size_t *size, Status *st)
{
    *data = NULL;
    *size = 0;
    FILE *f;
    uint64_t fsize;
    int rc = file_open_regular(path, &f, &fsize, st);
    if (rc) {
        status_prefix(st, "%s", path);
        return rc;
    }
    if (fsize > (uint64_t)max_size) {
        fclose(f);
        return status_fail(st, LS_ERR_RANGE, "%s: %llu bytes is more than the %zu allowed", path,
                           (unsigned long long)fsize, max_size);
    }
    size_t n = (size_t)fsize;
    unsigned char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return status_fail(st, LS_ERR_NOMEM, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        free(buf);
        return status_fail(st, LS_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return LS_OK;
}

int file_write_atomic(const char *path, const void *data, size_t size, Status *st)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) return status_fail(st, LS_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return status_fail(st, LS_ERR_IO, "%s: cannot create a temporary file: %s", path, strerror(e));
    }
    const unsigned char *p = data;
    size_t left = size;
    int e = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            e = errno;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    /* mkstemp creates 0600; a model file is ordinary data. */
    if (!e) chmod(tmp, 0644);
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        return status_fail(st, LS_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    free(tmp);
    return LS_OK;
}

int file_make_dirs(const char *path, Status *st)
{
    size_t len = strlen(path);
    char *buf = malloc(len + 1);
    if (!buf) return status_fail(st, LS_ERR_NOMEM, "out of memory");
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
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
    if (!ok) return status_fail(st, LS_ERR_IO, "%s: not a folder", path);
    return LS_OK;
}
