/* demo_schema.h — the demos a lesson may name, and their parameters, as data.
 *
 * A ```demo NAME block in a lesson is checked against this table: NAME must be
 * a DemoKind, every "key = value" line must name one of its parameters, and
 * the value must parse as that parameter's type and lie in its range. The
 * same table gives the interface its typed values (with defaults filled in),
 * lessons/FORMAT.md its reference, and `lorascope lint` its messages, so a
 * new demo is one table entry here plus its view in src/ui.
 *
 * Value syntax by type:
 *   int     decimal integer            rank = 8
 *   real    decimal or exponent form   noise = 1e-3
 *   enum    one of the listed words    show = singular
 *   path    a file in the lesson's folder or lorascope's data folder
 *           (paths_lesson_data); must exist, may not lead outside them
 *   bool    yes/no, true/false, on/off, 1/0
 *   rows    an inline matrix: numbers separated by spaces, rows by ';'
 *           rows = 1 2 3; 1 5 6; 3 4 7
 *   name    a short name: letters, digits and '-', at most DEMO_NAME_MAX
 *           id = first-lab */
#ifndef LS_DEMO_SCHEMA_H
#define LS_DEMO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/status.h"
#include "../core/mat.h"
#include "lesson.h"

#define DEMO_MAX_PARAMS 24
/* Inline "rows" matrices are for small hand-made examples. */
#define DEMO_ROWS_MAX 12
/* A name value (a lab's id) is a short word. */
#define DEMO_NAME_MAX 32

typedef enum {
    DEMO_PARAM_INT,
    DEMO_PARAM_REAL,
    DEMO_PARAM_ENUM,
    DEMO_PARAM_PATH,
    DEMO_PARAM_BOOL,
    DEMO_PARAM_ROWS,
    DEMO_PARAM_NAME,
} DemoParamType;

typedef struct DemoParamSpec {
    const char *name; /* "rank" */
    DemoParamType type;
    double min, max;            /* INT / REAL: inclusive range */
    const char *const *choices; /* ENUM: allowed words, NULL-terminated */
    const char *const *exts;    /* PATH: accepted endings (".pgm"), NULL-terminated */
    bool required;              /* must be written in the lesson */
    const char *def;            /* default as text (parsed like a value); NULL = none */
    const char *help;           /* one line for FORMAT.md, lint and the UI */
} DemoParamSpec;

/* A cross-parameter rule: value of `small` must not exceed value of `large`
 * (both INT or REAL, both set). */
typedef struct DemoRule {
    const char *small, *large;
} DemoRule;

typedef struct DemoKind {
    const char *name;    /* "svd" */
    const char *summary; /* what the demo shows, one line */
    const DemoParamSpec *params;
    int n_params;
    const char *const *one_of; /* at most one of these may be given ... */
    bool need_one;             /* ... and, when true, exactly one */
    const DemoRule *rules;
    int n_rules;
} DemoKind;

/* The table (NULL-free array of n kinds). */
const DemoKind *demo_kinds(int *n);
/* A kind by name, or NULL. */
const DemoKind *demo_kind_find(const char *name);
/* A parameter of a kind by name, or NULL; *index (may be NULL) gets its slot. */
const DemoParamSpec *demo_param_find(const DemoKind *k, const char *name, int *index);
/* "int", "real", "enum", ... */
const char *demo_param_type_name(DemoParamType t);

/* One parameter's value after parsing. */
typedef struct DemoValue {
    bool set;         /* has a value (written, or the default) */
    bool given;       /* written in the lesson */
    int line;         /* source line when given, else the block's line */
    long i;           /* INT, and ENUM's choice index */
    double r;         /* REAL (INT values are copied here too) */
    bool b;           /* BOOL */
    const char *text; /* the value as written / the default; for ENUM the
                       * choice word; borrowed from the Block or the table */
} DemoValue;

/* All parameters of one demo block, aligned with kind->params. */
typedef struct DemoArgs {
    const DemoKind *kind;
    DemoValue v[DEMO_MAX_PARAMS];
    const char *lesson_file; /* Block.file: where path values are looked for */
} DemoArgs;

/* Called once per problem found while resolving a block. */
typedef void (*DemoProblemFn)(void *ctx, int line, const char *message);

/* Resolve a BLOCK_DEMO into typed values with defaults filled in, checking
 * everything lint checks (including that path values name readable files
 * a lesson may read: paths_lesson_data). Each problem goes to `report` (may be NULL) with its line.
 * Returns the number of problems (0 = ready to run); `out` holds every
 * value that was good, defaults elsewhere (kind NULL when the name is
 * unknown). */
int demo_args_resolve(DemoArgs *out, const Block *b, DemoProblemFn report, void *ctx);

/* The same, reporting the first problem in st: LS_OK or LS_ERR_PARSE. */
int demo_args_from_block(DemoArgs *out, const Block *b, Status *st);

/* Typed lookups by parameter name (0 / false / NULL when unknown or unset). */
const DemoValue *demo_args_get(const DemoArgs *a, const char *name);
long demo_args_int(const DemoArgs *a, const char *name);
double demo_args_real(const DemoArgs *a, const char *name);
bool demo_args_bool(const DemoArgs *a, const char *name);
const char *demo_args_text(const DemoArgs *a, const char *name);
bool demo_args_given(const DemoArgs *a, const char *name);
/* The real path of a path parameter: a value the lesson wrote is looked for
 * beside the lesson first (paths_lesson_data), a default in lorascope's data
 * folder. LS_ERR_ARG / LS_ERR_IO / LS_ERR_RANGE with the reason. */
int demo_args_path(const DemoArgs *a, const char *name, char *out, size_t size, Status *st);

/* Parse one value for `spec` (no file-existence check). On failure fills msg
 * (e.g. "'abc' is not an integer") and returns false. */
bool demo_value_parse(const DemoParamSpec *spec, const char *text, DemoValue *out, char *msg,
                      size_t msg_size);

/* Parse an inline matrix "1 2 3; 1 5 6; 3 4 7" (rows split by ';', numbers
 * by spaces or commas; a trailing ';' is fine; at most DEMO_ROWS_MAX each
 * way; all rows the same length). */
int demo_rows_parse(Mat *out, const char *text, Status *st);

#endif
