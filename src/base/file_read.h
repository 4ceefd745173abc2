/* file_read.h — the one way lorascope opens a file to read.
 *
 * Every reader (texts, lessons, matrices, images, checkpoints, adapters)
 * opens through file_open_regular, so a FIFO, a device or a folder given
 * where a file belongs is refused at once with a clear message instead of
 * blocking (opening a FIFO with no writer waits forever) or reading without
 * end. Standard input ("-") is the callers' own business.
 *
 * file_map maps a regular file read-only: a checkpoint's header can be
 * checked before any of its data is read, and only the tensors used are
 * ever paged in. */
#ifndef LS_FILE_READ_H
#define LS_FILE_READ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

/* Open path for reading if it is a regular file; *size is its size. The
 * message on failure does not name the path (callers put it in front). */
int file_open_regular(const char *path, FILE **f, uint64_t *size, Status *st);

/* A read-only view of a whole file. */
typedef struct FileMap {
    const unsigned char *data;  /* size bytes (not NUL-terminated) */
    size_t size;
} FileMap;

/* Map path (a regular file of at most max_size bytes); messages name the
 * path. A map must be released with file_unmap (which accepts a zeroed one). */
int file_map(FileMap *m, const char *path, size_t max_size, Status *st);
void file_unmap(FileMap *m);

#endif
