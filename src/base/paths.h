/* paths.h — where lorascope finds its lessons and data.
 *
 * The root is the folder holding lessons/ and data/: the source checkout when
 * run as ./lorascope, or $(PREFIX)/share/lorascope once installed. It is the
 * first that holds a data/ folder of: $LORASCOPE_ROOT, the folder of the
 * running executable, ../share/lorascope beside it (an installed copy, where
 * ever PREFIX was), the current directory, the compiled-in install folder.
 *
 * Data files named in lessons ("image = data/images/boats.pgm") go through
 * paths_lesson_data, the one rule for what a lesson may read: a lesson
 * folder is something students download from others, so it may read files
 * in its own folder and in lorascope's data/ folder, nothing else. */
#ifndef LS_PATHS_H
#define LS_PATHS_H

#include <stddef.h>

#include "status.h"

/* The root folder (never NULL; "." if nothing better is found). */
const char *paths_root(void);
/* out = root + "/" + rel, unless rel is absolute; returns 0, or -1 if it did
 * not fit. */
int paths_resolve(char *out, size_t size, const char *rel);

/* Remove "." and "x/.." components and doubled slashes of an absolute
 * path in place (lexically: symbolic links are not looked at). */
void paths_normalize(char *abs);

/* A lesson's data file: `rel` relative to the folder of `lesson_file` (may
 * be NULL: no lesson folder) when it exists there, else relative to the
 * root, where it must lie inside the root's data/ folder (so lessons write
 * "data/images/boats.pgm"). Absolute paths are refused, and so are paths
 * that lead outside those two folders through ".." or a symbolic link.
 * out gets the file's real path. LS_OK; LS_ERR_ARG when refused (the
 * message says why), LS_ERR_IO when found in neither folder (it names
 * where it looked), LS_ERR_RANGE when a path does not fit. Messages start
 * with 'rel' and have no file:line (the caller adds them). */
int paths_lesson_data(char *out, size_t size, const char *lesson_file, const char *rel,
                      Status *st);

#endif
