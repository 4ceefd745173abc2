/* paths.h — where lorascope finds its lessons and data.
 *
 * The root is the folder holding lessons/ and data/: the source checkout when
 * run as ./lorascope, or $(PREFIX)/share/lorascope once installed. It is the
 * first that holds a data/ folder of: $LORASCOPE_ROOT, the folder of the
 * running executable, ../share/lorascope beside it (an installed copy, where
 * ever PREFIX was), the current directory, the compiled-in install folder. Paths in lessons such as
 * "data/images/lighthouse.pgm" are relative to the root. */
#ifndef LS_PATHS_H
#define LS_PATHS_H

#include <stddef.h>

/* The root folder (never NULL; "." if nothing better is found). */
const char *paths_root(void);
/* out = root + "/" + rel, unless rel is absolute; returns 0, or -1 if it did
 * not fit. */
int paths_resolve(char *out, size_t size, const char *rel);

#endif
