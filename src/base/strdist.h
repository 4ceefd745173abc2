/* strdist.h — how far apart two short names are, for "did you mean".
 *
 * The edit (Levenshtein) distance: the fewest single-byte insertions,
 * deletions and substitutions that turn a into b, by the usual dynamic
 * programme over two rows. */
#ifndef LS_STRDIST_H
#define LS_STRDIST_H

enum { STR_DISTANCE_MAX = 128 };

/* The edit distance of a and b; cap (<= STR_DISTANCE_MAX) when either is
 * cap bytes long or longer (long names are never suggested). */
int str_edit_distance(const char *a, const char *b, int cap);

#endif
