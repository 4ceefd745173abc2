/* file.h — writing files and folders so that a crash never leaves half of one.
 *
 * file_write_atomic writes the bytes to a temporary file beside the target
 * (".NAME.tmp-PID-XXXXXX" in the same folder, so that rename() stays on one
 * file system), flushes it to disk (fsync), renames it over the target and
 * flushes the folder too, so that the rename itself survives a power cut.
 * Readers see the old file or the new one, never a mix. Every failure
 * removes the temporary; a temporary left by a process that was killed (its
 * PID no longer runs) is removed by the next write to the same target.
 *
 * The same naming is used for staged folders (staged_dir.h): a temporary
 * sibling is ".NAME.TAG-PID-XXXXXX", which no lorascope command reads as a
 * result. */
#ifndef LS_FILE_H
#define LS_FILE_H

#include <stddef.h>

#include "status.h"

/* Write size bytes to path atomically (see above). The file gets mode 0644
 * (results are ordinary data) / `mode` (0600 for private state). */
int file_write_atomic(const char *path, const void *data, size_t size, Status *st);
int file_write_atomic_mode(const char *path, const void *data, size_t size, unsigned mode,
                           Status *st);

/* mkdir -p (existing folders are fine): new folders get 0755 / `mode`. */
int file_make_dirs(const char *path, Status *st);
int file_make_dirs_mode(const char *path, unsigned mode, Status *st);

/* fsync the folder `dir`, so that a rename or a new entry in it is on disk. */
int file_sync_dir(const char *dir, Status *st);
/* The folder holding `path` ("." when it has no '/', "/" for "/x"); 0, or
 * -1 when it does not fit. */
int file_parent(char *out, size_t size, const char *path);

/* Move a file that cannot be used out of the way, keeping it: rename it to
 * "PATH.unreadable-YYYYmmdd-HHMMSS" (with "-2", "-3", ... when that exists,
 * so an older one is never overwritten); out gets the new name. Returns 0
 * or an errno value. */
int file_set_aside(const char *path, char *out, size_t size);

/* Remove a file or a whole folder tree (symbolic links are removed, never
 * followed). A missing path is not an error. */
int file_remove_tree(const char *path, Status *st);

/* out = "DIR/.BASE.TAG-PID-XXXXXX" for `path` = "DIR/BASE" (a template for
 * mkstemp / mkdtemp). LS_ERR_RANGE when it does not fit. */
int file_sibling_template(char *out, size_t size, const char *path, const char *tag, Status *st);

/* Remove the siblings ".BASE.TAG-PID-XXXXXX" of `path` whose process PID is
 * no longer running: what a killed run left behind. Ones of running
 * processes (another lorascope writing the same target) are left alone. */
void file_remove_stale_siblings(const char *path, const char *tag);

/* Does a sibling ".BASE.TAG-PID-..." of `path` left by a dead process exist?
 * When it does and found is not NULL, its path is copied there. */
int file_find_stale_sibling(const char *path, const char *tag, char *found, size_t size);

#endif
