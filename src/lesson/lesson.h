/* lesson.h — the lesson model: what a parsed lesson file looks like.
 *
 * A lesson is one CommonMark file (parsed with libcmark, never by hand). It
 * is split into pages at every level-2 heading ("## ..."); the first level-1
 * heading is the lesson's title; a numeric prefix of the file name
 * ("02-svd.md") gives its order. Every block keeps the 1-based line it came
 * from, so lint and the interface can say "02-svd.md:41: ...".
 *
 * Two fenced-code info strings are special:
 *   ```demo NAME      a live demo; body lines are "key = value" parameters
 *   ```question       a check of understanding (see lessons/FORMAT.md)
 * Everything else renders as text. This header is the contract between the
 * parser (src/lesson) and the interface (src/ui); no curses here.
 *
 * Shape guarantees the interface may rely on:
 *   - every Lesson has n_pages >= 1 (an empty or unreadable file gives one
 *     empty page), so pages[0] always exists;
 *   - the "# " title heading and the "## " page headings are NOT blocks:
 *     their plain text is Lesson.title and Page.title (draw them as headers);
 *     headings of level 3..6 (and any later "# ") are BLOCK_HEADING blocks;
 *   - text before the first "## " is page 0 with title "" only when it holds
 *     something besides the title (an intro); otherwise page 0 is the first
 *     "## " page;
 *   - a problem never stops parsing: it becomes a Diagnostic, and the block
 *     stays in the model (a bad demo or question is still a Block whose
 *     `valid` is false, so the interface can show a placeholder). */
#ifndef LS_LESSON_H
#define LS_LESSON_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"

/* Files larger than this are not parsed (a lesson is a few kB of text). */
#define LESSON_MAX_BYTES (4u << 20)

/* Inline styles, combinable. */
enum {
    SPAN_PLAIN = 0,
    SPAN_EMPH = 1 << 0,   /* *emphasis* */
    SPAN_STRONG = 1 << 1, /* **strong** */
    SPAN_CODE = 1 << 2,   /* `inline code` */
    SPAN_LINK = 1 << 3,   /* [text](url): url in Span.url; images too (alt text) */
};

typedef struct Span {
    char *text; /* UTF-8; soft line breaks become spaces, hard ones '\n' */
    int style;  /* SPAN_* flags */
    char *url;  /* for SPAN_LINK, else NULL */
} Span;

typedef enum {
    BLOCK_HEADING, /* level 1..6 */
    BLOCK_PARAGRAPH,
    BLOCK_LIST_ITEM, /* one item; indent = nesting depth (0 = top) */
    BLOCK_CODE,      /* a plain code block: text in code, language in info */
    BLOCK_RULE,      /* thematic break */
    BLOCK_DEMO,      /* ```demo NAME */
    BLOCK_QUESTION,  /* ```question */
} BlockKind;

typedef struct Param {
    char *key, *value;
    int line; /* 1-based source line of "key = value" */
} Param;

typedef enum { QUESTION_CHOICE, QUESTION_NUMBER } QuestionKind;

typedef struct Question {
    QuestionKind kind;
    char *prompt;   /* "ask = ..."; never NULL ("" when missing) */
    char **choices; /* QUESTION_CHOICE: n_choices options, '*' marker removed */
    int n_choices;
    int correct;      /* 0-based index of the right choice (the file counts from 1) */
    double answer;    /* QUESTION_NUMBER: the value ... */
    double tolerance; /* ... accepted within ± tolerance (default 0) */
    char *hint;       /* may be NULL */
    char *explain;    /* shown after answering; may be NULL */
    int index;        /* 0-based position among the lesson's questions */
    char *key;        /* the stable key saved answers are filed under: the
                       * "id = ..." line, else derived from the prompt's first
                       * words (QUESTION_SLUG_WORDS); unique in the lesson */
    bool key_given;   /* key came from an "id = ..." line */
    int was;          /* "was = N": 0-based position the question had when
                       * answers were saved by position; -1 when not given */
} Question;

/* Question keys: an explicit id has at most QUESTION_KEY_MAX bytes; a key
 * derived from the prompt uses its first QUESTION_SLUG_WORDS words. */
#define QUESTION_KEY_MAX 48
#define QUESTION_SLUG_WORDS 6
#define QUESTION_WAS_MAX 1000

typedef struct Block {
    BlockKind kind;
    int line;     /* 1-based first source line */
    int level;    /* heading level; 0 otherwise */
    int indent;   /* list nesting depth (paragraphs and code inside a list
                   * item get the item's depth + 1) */
    int quote;    /* block-quote depth (0 = not quoted) */
    bool ordered; /* list item of an ordered list ... */
    int number;   /* ... with this number */
    Span *spans;  /* heading / paragraph / list item text */
    int n_spans;
    char *code;    /* BLOCK_CODE body; for DEMO and QUESTION the raw body */
    char *info;    /* BLOCK_CODE language, BLOCK_DEMO name ("" if none) */
    Param *params; /* BLOCK_DEMO parameters, in file order */
    int n_params;
    Question question; /* BLOCK_QUESTION */
    bool valid;        /* true, except for a DEMO or QUESTION that a diagnostic
                        * concerns: show a placeholder instead of running it */
    const char *file;  /* DEMO: the lesson file (Lesson.path, borrowed), set by
                        * lesson_check; its folder is where data paths are
                        * looked for first. NULL: lorascope's data folder only */
} Block;

typedef struct Page {
    char *title; /* the "## " heading text ("" for text before the first) */
    int line;    /* 1-based line of the "## " heading (1 for an intro) */
    Block *blocks;
    int n_blocks;
} Page;

/* A problem found while parsing or linting. */
typedef struct Diagnostic {
    int line; /* 1-based; 0 when it concerns the whole file */
    char *message;
} Diagnostic;

typedef struct Lesson {
    char *path;  /* as given */
    char *id;    /* file name without directory and ".md" ("02-svd") */
    int order;   /* numeric file-name prefix; large when absent */
    char *title; /* first "# " heading, else the id */
    Page *pages;
    int n_pages;       /* >= 1 */
    Diagnostic *diags; /* every problem; a lesson with diags still opens */
    int n_diags;
    int n_questions; /* question blocks in the whole lesson */
} Lesson;

/* All lessons of a folder, sorted by (order, id). */
typedef struct LessonList {
    Lesson *lessons;
    int n;
} LessonList;

/* --- file names ------------------------------------------------------ */

/* Is `name` (a file name, no directory) a lesson file? Lesson files are
 * "<digits>-<anything>.md", e.g. "01-rank.md"; FORMAT.md, README.md,
 * editor backups and dot-files are not. On true, *order (may be NULL) gets
 * the number. */
bool lesson_file_name(const char *name, int *order);

/* --- parsing --------------------------------------------------------- */

/* Parse `len` bytes of CommonMark (need not be NUL-terminated, may hold
 * anything: invalid UTF-8 and NUL bytes are replaced) into *out. `path` is
 * recorded and gives the id and order. Content problems become diagnostics
 * and still return LS_OK; only running out of memory fails. Demo parameters
 * are NOT checked against the demo table here: see lesson_check. *out must
 * be released with lesson_free whatever the result. */
int lesson_parse(Lesson *out, const char *text, size_t len, const char *path, Status *st);

/* Read and parse a file, then lesson_check it. An unreadable or oversized
 * file returns LS_ERR_IO / LS_ERR_RANGE with a message, and *out is still a
 * valid lesson (one empty page, one line-0 diagnostic) to lesson_free. */
int lesson_load(Lesson *out, const char *path, Status *st);

/* Check every demo block against the demo table (src/lesson/demo_schema.h):
 * known name, known keys, values of the right type and range, required
 * parameters, data files that exist in the lesson's folder or lorascope's
 * data folder (paths_lesson_data, src/base/paths.h). Appends
 * diagnostics and clears Block.valid of bad demos. Returns LS_OK or
 * LS_ERR_NOMEM. (lesson_load calls it; lesson_parse does not.) */
int lesson_check(Lesson *l, Status *st);

/* Load every lesson file (see lesson_file_name) of `dir`, sorted by order
 * then id. A lesson with problems is still listed (with its diagnostics);
 * an unreadable one too. Fails only when `dir` cannot be opened or memory
 * runs out; an empty folder gives n == 0. Free with lessons_free. */
int lessons_load_dir(LessonList *out, const char *dir, Status *st);

/* Add the lessons of `from` to `into` (--add-lessons): a lesson with the
 * id of one already there replaces it, any other joins the course in order
 * (with a diagnostic when its number is taken). `from` is emptied; on
 * LS_ERR_NOMEM both lists stay valid for lessons_free. */
int lessons_merge(LessonList *into, LessonList *from, Status *st);

/* The lesson a command line names (--lesson SPEC): its number as the
 * contents show it ("3"), its id ("03-precision") or its file name
 * ("lessons/03-precision.md"). -1 when none matches. */
int lessons_find(const LessonList *list, const char *spec);

/* Release a lesson / list (NULL and zeroed structs are fine); zeroes them. */
void lesson_free(Lesson *l);
void lessons_free(LessonList *list);

/* --- queries --------------------------------------------------------- */

/* The first parameter named `key` of a demo block, or NULL. */
const Param *block_param(const Block *b, const char *key);

/* The question block with Question.index == index, or NULL. */
const Block *lesson_question(const Lesson *l, int index);

/* Is `value` a right answer to a numeric question (|value − answer| <=
 * tolerance, with a little slack for decimal round-off)? */
bool question_accepts(const Question *q, double value);

/* Parse a typed numeric answer ("0.5", "1e-3", " 2 "): the whole string
 * must be one finite number. */
bool question_parse_number(const char *text, double *out);

/* Parse what a student typed as a numeric answer, in the forms the screens
 * print: "0.5", "-2e3", "65,504" or "65 504" (groups of three), "−3" (the
 * minus sign U+2212), "10%" or "10 %" (= 0.1). False when it is not one
 * finite number. */
bool question_parse_typed(const char *text, double *out);

/* Append a diagnostic (printf-style). Returns LS_OK or LS_ERR_NOMEM. */
int lesson_add_diag(Lesson *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sort diagnostics by line (stable), for printing. */
void lesson_sort_diags(Lesson *l);

/* --- checks beyond one file (src/lesson/lint.c) ----------------------- */

/* A file given to `lorascope lint` by name whose name is not a lesson file
 * name gets a diagnostic (it would not appear in the lesson list). */
int lesson_check_file_name(Lesson *l, Status *st);

/* Two lessons of one folder with the same number: the later one gets a
 * diagnostic (their order would depend on their names). lessons_load_dir
 * calls it. */
int lessons_check_set(LessonList *list, Status *st);

#endif
