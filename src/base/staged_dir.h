/* staged_dir.h — saving a folder whole or not at all.
 *
 * A save that writes several files (a model folder, a fine-tuning run with
 * an adapter and merged/ per method) is written into a fresh temporary
 * folder beside the target, ".NAME.partial-PID-XXXXXX", and only when every
 * file is in it (each written with file_write_atomic, so flushed) is it put
 * in place with one rename: on Linux an atomic exchange with the old save
 * (renameat2 RENAME_EXCHANGE), which is then removed. A kill at any moment
 * leaves the old save or the new one whole under the target's name, never a
 * mix. The temporary folders of a killed run (their PID no longer runs) are
 * removed by the next save to the same target; nothing reads them.
 *
 * Because a save replaces the target folder as a whole, it may only replace
 * a folder lorascope wrote: one holding STAGED_DIR_MARK (every staged save
 * writes it), an empty one, or one holding only files the caller names as
 * its own (`known`, e.g. config.json and model.safetensors for a model
 * folder made before the mark existed). Anything else is refused before
 * work starts (staged_dir_check) and again at the swap. */
#ifndef LS_STAGED_DIR_H
#define LS_STAGED_DIR_H

#include <stdbool.h>

#include "status.h"

/* The file in every staged save that says lorascope wrote the folder. */
#define STAGED_DIR_MARK ".lorascope-save"

typedef struct StagedDir {
    char final[4096]; /* the folder asked for */
    char tmp[4096];   /* where the save is written meanwhile */
    bool open;
} StagedDir;

/* Can a save replace (or create) `dir`? LS_OK when dir is absent, an empty
 * folder, a folder with STAGED_DIR_MARK, or one holding only names from
 * `known` (NULL-terminated, may be NULL); LS_ERR_ARG with a message that
 * says what is in the way otherwise. Does not check permissions. */
int staged_dir_check(const char *dir, const char *const *known, Status *st);

/* Start a save of `dir`: make its parent folders, restore an old save a
 * killed swap left aside, remove stale temporaries, and make a fresh
 * temporary folder (s->tmp) to write into. */
int staged_dir_begin(StagedDir *s, const char *dir, Status *st);

/* Put the save in place: write the mark, flush, swap with the old save (if
 * any, after checking it again as staged_dir_check does), remove the old
 * one. When the swap cannot be made, the new save is kept in s->tmp (the
 * message says where; staged_dir_abort then leaves it) and the old one is
 * untouched. */
int staged_dir_commit(StagedDir *s, const char *const *known, Status *st);

/* Give up a save: remove s->tmp. Safe after commit, and on a zeroed s. */
void staged_dir_abort(StagedDir *s);

#endif
