/* fileio.h — whole-file reads and atomic writes for the model files.
 *
 * Writes go to a temporary file in the same folder, are flushed to disk,
 * then renamed over the target: a crash or Ctrl-C mid-save leaves the old
 * file intact, never half a checkpoint. */
#ifndef LS_FILEIO_H
#define LS_FILEIO_H

#include <stddef.h>

#include "../base/status.h"

/* Read a whole file into a malloc'd buffer (NUL-terminated for convenience;
 * *size excludes the NUL). Files larger than max_size are refused. */
int file_read_all(const char *path, size_t max_size, unsigned char **data, size_t *size, Status *st);
/* Write data to path atomically (temp file + fsync + rename). */
int file_write_atomic(const char *path, const void *data, size_t size, Status *st);
/* mkdir -p (existing folders are fine). */
int file_make_dirs(const char *path, Status *st);

#endif
