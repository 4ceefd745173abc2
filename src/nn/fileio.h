/* fileio.h — whole-file reads for the model files; the atomic writes they
 * use (file_write_atomic, file_make_dirs) are src/base/file.h's: a crash or
 * Ctrl-C mid-save leaves the old file intact, never half a checkpoint. */
#ifndef LS_FILEIO_H
#define LS_FILEIO_H

#include <stddef.h>

#include "../base/file.h"
#include "../base/status.h"

/* Read a whole file into a malloc'd buffer (NUL-terminated for convenience;
 * *size excludes the NUL). Files larger than max_size are refused. */
int file_read_all(const char *path, size_t max_size, unsigned char **data, size_t *size, Status *st);

#endif
