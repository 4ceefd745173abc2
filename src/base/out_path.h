/* out_path.h — checking where a command will write, before it does the work.
 *
 * A run that trains for minutes must not find out at the end that its
 * --json names a folder or its --save folder cannot be made. Every command
 * that writes outputs lists them as OutSpecs and calls out_paths_check
 * right after reading its options. Checked, for each output:
 *   - the path is not empty;
 *   - a file output is not an existing folder or special file, and its
 *     folder exists and lets us create a file (a real probe: a temporary is
 *     made and removed, which also catches read-only file systems and root);
 *   - a folder output is not an existing file, may be replaced as a whole
 *     (staged_dir_check), and the nearest existing folder above it lets us
 *     create a folder;
 * and across outputs: no two name the same file (compared as resolved
 * absolute paths, so "out.json" and "./out.json" are the same), no file
 * lies inside a folder output (the save would replace it), and at most one
 * writes to standard output ("-"). */
#ifndef LS_OUT_PATH_H
#define LS_OUT_PATH_H

#include <stddef.h>

#include "status.h"

typedef enum { OUT_FILE, OUT_DIR } OutKind;

typedef struct OutSpec {
    const char *option;       /* "--json", for messages */
    const char *path;         /* as given; NULL: not asked for; "-": stdout (files) */
    OutKind kind;
    const char *const *known; /* OUT_DIR: names a save may replace (staged_dir.h) */
} OutSpec;

/* LS_OK, or LS_ERR_ARG when the arguments are wrong (an empty path, a
 * folder given for a file or the reverse, two outputs the same, a folder
 * lorascope did not write) or LS_ERR_IO when the place cannot be written;
 * the message starts with the option and says what was expected. */
int out_paths_check(const OutSpec *outs, int n, Status *st);

/* `path` as an absolute path with symbolic links of its existing folders
 * resolved, "." and ".." removed; 0, or -1 when it does not fit. */
int out_path_resolve(char *out, size_t size, const char *path);

#endif
