/* progress.h — where a student got to: per lesson the page last shown and
 * which questions were answered, right or wrong. Curses-free.
 *
 * Stored as a small JSON file, by default
 *   $XDG_STATE_HOME/lorascope/progress.json   (XDG_STATE_HOME absolute), else
 *   $HOME/.local/state/lorascope/progress.json
 *
 *   {"version": 2, "current": "02-svd",
 *    "lessons": {"01-rank": {"page": 3,
 *                            "answers": {"rank-of-sum": true, "noise-rank": false},
 *                            "done": [0, 1, 2]}}}
 *
 * Answers are filed under Question.key (the question's "id = ..." or a key
 * derived from its first words), so inserting, moving or rewording other
 * questions never moves a saved answer onto the wrong one. Version 1 files
 * filed them by position ("0", "2"); they load as legacy keys "#0", "#2" and
 * progress_migrate moves each onto the question that held that position
 * (its "was = N", or its position when the lesson has no "was"). Saving writes
 * a temporary file in the same folder and renames it over the old one, so a
 * crash or a full disk never leaves half a file; missing folders are made.
 * Nothing here is fatal to the program: a missing file is an empty progress;
 * an unwritable folder is reported (LS_ERR_IO) for the interface to show as a
 * warning. A file that cannot be used is never lost:
 *   - damaged, too large, not a regular file or not readable: it is renamed
 *     to "progress.json.unreadable-YYYYmmdd-HHMMSS" beside it (with "-2",
 *     "-3", ... rather than overwrite an older one; Progress.set_aside says
 *     where), and the session starts fresh;
 *   - written by a newer lorascope (a higher "version"): it is left exactly
 *     as it is and this session saves nothing (Progress.read_only), so
 *     nothing is downgraded;
 *   - when the rename fails, the same: left in place, nothing saved. */
#ifndef LS_PROGRESS_H
#define LS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "lesson.h"

/* Limits that keep a hand-edited or damaged file from asking for silly
 * amounts of memory. */
#define PROGRESS_MAX_BYTES (1u << 20)
#define PROGRESS_MAX_QUESTIONS 1000 /* answers kept per lesson */
#define PROGRESS_MAX_PAGE 100000

typedef enum {
    ANSWER_NONE = 0, /* not answered yet */
    ANSWER_WRONG,    /* answered, not right (yet) */
    ANSWER_RIGHT,    /* answered right at least once */
} AnswerState;

/* One saved answer: the question's key and its state (never ANSWER_NONE). */
typedef struct SavedAnswer {
    char *key; /* Question.key, or "#N" for a version-1 answer by position */
    unsigned char state;
} SavedAnswer;

typedef struct LessonProgress {
    char *id;             /* lesson id, "01-rank" */
    int page;             /* 0-based page last shown */
    SavedAnswer *answers; /* (n_answers) in the order first answered */
    int n_answers;
    unsigned char *done;    /* (n_done) 1 = page finished (read, then turned past) */
    int n_done;
} LessonProgress;

typedef struct Progress {
    char *current; /* id of the lesson open last, or NULL */
    LessonProgress *lessons;
    int n_lessons;
    /* How the file stood at load (see above): */
    bool read_only;  /* it is kept as it is; progress_save refuses */
    char *set_aside; /* an unusable file was renamed to this path, or NULL */
} Progress;

/* An empty progress; progress_free releases and empties again (NULL ok). */
void progress_init(Progress *p);
void progress_free(Progress *p);

/* The default file (see above). LS_ERR_IO when neither XDG_STATE_HOME nor a
 * home folder is known, LS_ERR_RANGE when the path does not fit. */
int progress_default_path(char *out, size_t size, Status *st);

/* Load `path` (NULL = the default) into p, replacing its contents. A missing
 * file gives an empty progress and LS_OK. An unusable file gives an empty
 * progress and a message to show (never fatal): LS_ERR_IO / LS_ERR_PARSE
 * when it was moved aside (p->set_aside) or left in place (p->read_only),
 * LS_ERR_RANGE when it is from a newer lorascope (p->read_only). */
int progress_load(Progress *p, const char *path, Status *st);

/* Parse the JSON text of a progress file into p (which must be empty, as
 * after progress_init). Returns LS_OK or LS_ERR_PARSE / LS_ERR_NOMEM with
 * the reason (without a file name). progress_load uses it; so does the
 * fuzzer. */
int progress_parse(Progress *p, const char *text, size_t len, Status *st);

/* Write p to `path` (NULL = the default) atomically, making folders as
 * needed. LS_ERR_IO with a message when the folder is not writable or p is
 * read_only. */
int progress_save(const Progress *p, const char *path, Status *st);

/* The folder beside the progress file where finished lab runs are kept
 * (src/demo/lab_keep.h). */
#define PROGRESS_LAB_RESULTS "lab-results"

/* Forget everything (--reset-progress): empty p (may be NULL) and remove the
 * file at `path` (NULL = the default) and the lab runs kept beside it
 * (PROGRESS_LAB_RESULTS). A missing file is not an error. */
int progress_clear(Progress *p, const char *path, Status *st);

/* --- reading and updating (ids are lesson ids) ------------------------ */

/* The page last shown in lesson `id` (0 when unknown). The lesson may have
 * changed since: clamp to its page count. */
int progress_page(const Progress *p, const char *id);
int progress_set_page(Progress *p, const char *id, int page, Status *st);

/* The lesson open last (NULL when none) / remember it. */
const char *progress_current(const Progress *p);
int progress_set_current(Progress *p, const char *id, Status *st);

/* State of the question with key `key` (Question.key) of lesson `id`. */
AnswerState progress_answer(const Progress *p, const char *id, const char *key);
/* Record an answer. A right answer is kept: answering wrong later (after
 * reading the explanation, say) does not take it away. */
int progress_record_answer(Progress *p, const char *id, const char *key, bool right,
                           Status *st);
/* How many questions of lesson `id` were answered, and how many right
 * (legacy answers not yet migrated are not counted). */
void progress_count(const Progress *p, const char *id, int *answered, int *right);

/* Finished pages: a page counts as finished once the student turned past
 * it. Stored as "done": [0, 1, 3] (page indices). */
int progress_mark_done(Progress *p, const char *id, int page, Status *st);
bool progress_page_done(const Progress *p, const char *id, int page);
/* How many of pages [0, n_pages) of lesson `id` are finished. */
int progress_done_count(const Progress *p, const char *id, int n_pages);
/* Move lesson l's version-1 answers (keys "#N") onto its questions' keys:
 * "#N" goes to the question whose `was` is N, or, in a lesson without any
 * "was = " line, to the question at position N. An answer already filed
 * under the question's key wins. The legacy keys of l are then dropped
 * (those no question claims are answers to questions that no longer
 * exist). A lesson without questions is left alone. */
int progress_migrate(Progress *p, const Lesson *l, Status *st);

/* The entry for `id`, or NULL. */
const LessonProgress *progress_find(const Progress *p, const char *id);

#endif
