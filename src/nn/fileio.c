/* fileio.c — whole-file reads (see fileio.h; writes are in src/base/file.c). */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, size_t max_size, unsigned char **data, size_t *size, Status *st)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return status_fail(st, LS_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return status_fail(st, LS_ERR_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)sb.st_size > (unsigned long long)max_size) {
        fclose(f);
        return status_fail(st, LS_ERR_RANGE, "%s: %lld bytes is more than the %zu allowed", path,
                           (long long)sb.st_size, max_size);
    }
    size_t n = (size_t)sb.st_size;
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
