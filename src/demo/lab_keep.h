/* lab_keep.h — the lab runs a student finished, kept: for the session, and
 * on disk beside the progress file, so that leaving a lab's page, coming
 * back, or restarting lorascope shows them again, and a later page can set
 * its own run beside an earlier one ("compare with the first lab's").
 *
 * A run is kept under a key: the lesson's id and the lab block's identity
 * (its `id = ...`, else a hash of the parameters the lesson gives it; see
 * lab_keep_key). On disk each key is one file in the lab-results format
 * (src/tune/lab_file.h, what `lorascope finetune --json` writes):
 *
 *   DIR/KEY.json     DIR = the progress file's folder + "/lab-results"
 *
 * written with file_write_atomic, so a file is whole or absent. Reading is
 * never fatal: a file that cannot be used is renamed aside to
 * "KEY.json.unreadable-YYYYmmdd-HHMMSS" (as progress.c does with
 * progress.json) and the lab shows "not started".
 *
 * Kept runs never change once kept: keeping a key again adds a newer
 * entry, so a LabKept handed out (and its snapshot) stays valid until
 * lab_keep_delete. */
#ifndef LS_LAB_KEEP_H
#define LS_LAB_KEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../tune/lab.h"
#include "demo_lab.h"

enum { LAB_KEEP_KEY_MAX = 96 };

typedef struct LabKeep LabKeep;

struct LabRecord;

/* One kept run. */
typedef struct LabKept {
    const struct LabRecord *record; /* its figures as a lab file holds them (lab_file.h) */
    LabSnapshot snap;   /* the run as a finished lab (pointers into record) */
    TaskKind task;      /* the task it ran */
    bool from_disk;     /* read from an earlier session's file */
    bool has_settings;  /* kept this session: the controls that ran it */
    LabDemoSettings settings;
} LabKept;

/* A keep saving into dir (made when first needed), or only in memory when
 * dir is NULL. NULL when out of memory. */
LabKeep *lab_keep_new(const char *dir);
void lab_keep_delete(LabKeep *k);

/* The folder beside a progress file: dir of progress_path + "/lab-results".
 * LS_ERR_RANGE when it does not fit. */
int lab_keep_dir_for(char *out, size_t size, const char *progress_path, Status *st);

/* The key of a lab block: "LESSON--ID" when the block names an id, else
 * "LESSON--p" and 16 hex digits of a hash of `params` (the block's given
 * parameters as text). lesson_file is the lesson's path (its file name
 * without ".md" is used). Only letters, digits, '-', '_' and '.' remain. */
void lab_keep_key(char *out, size_t size, const char *lesson_file, const char *id, const char *params);

/* Keep a finished run (copied) that ran with these settings (set->seed is
 * recorded: the snapshot does not hold it; the settings themselves only
 * for this session). With a folder, it is saved too; a failure to save
 * returns LS_ERR_IO with the reason, and the run stays kept for the
 * session all the same. */
int lab_keep_put(LabKeep *k, const char *key, const LabSnapshot *s, const LabDemoSettings *set, Status *st);

/* The newest run kept under key, or NULL. The first ask for a key reads its
 * file; *problem (may be NULL) gets why a file could not be used (""
 * otherwise), once. */
const LabKept *lab_keep_get(LabKeep *k, const char *key, char *problem, size_t problem_size);

#endif
