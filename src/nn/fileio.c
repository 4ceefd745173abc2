/* fileio.c — whole-file reads (see fileio.h; writes are in src/base/file.c). */
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
