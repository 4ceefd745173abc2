/* cli.h — the command-line layer: subcommands as data, shared helpers.
 *
 * Each subcommand lives in its own cmd_*.c file and exports one Command.
 * main.c lists them in a table; `lorascope help NAME` prints .help.
 * Exit statuses: 0 success, 1 bad input or failure, 2 usage error. */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "../base/status.h"

enum { EXIT_USAGE = 2 };

typedef struct Command {
    const char *name;     /* "rank" */
    const char *summary;  /* one line for `lorascope --help` */
    const char *help;     /* full usage text for `lorascope help rank`; NULL: run
                           * handles --help itself */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} Command;

/* Print "lorascope: <message>" to stderr. Returns 1 (an input failure). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a Status as "lorascope: <message>"; returns 1. */
int cli_status(const Status *st);
/* A usage error: message, then "Try 'lorascope help NAME'."; returns 2. */
int cli_usage(const Command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Check a command's outputs (src/base/out_path.h) before its work starts:
 * 0, a usage error (2) for wrong arguments, or 1 when a place cannot be
 * written; the message says which option and what was expected. */
struct OutSpec;
int cli_check_outputs(const Command *cmd, const struct OutSpec *outs, int n);

/* What an option's value had to be, written by a parse that refused it. */
typedef struct CliExpect {
    char text[96];  /* "a whole number 1..256" */
} CliExpect;

/* Strict number parsing for option values: the whole string must be a
 * finite number in [lo, hi]; on failure `why` (may be NULL) says so. */
bool cli_parse_int(const char *s, long lo, long hi, long *out, CliExpect *why);
bool cli_parse_float(const char *s, double lo, double hi, double *out, CliExpect *why);

/* The usage errors of a getopt_long loop (opterr = 0, optstring ":"), so
 * every command words them alike. cli_bad_option takes getopt's answer c:
 * ':' for an option given without its value, '?' for an unknown one.
 * cli_bad_value is for a value a
 * parse refused: "bad value 'X' for --opt: expected a whole number 1..256".
 * Both read getopt's optind/optarg/optopt and return EXIT_USAGE. */
int cli_bad_option(const Command *cmd, char **argv, int c);
int cli_bad_value(const Command *cmd, char **argv, const CliExpect *why);

/* The model folder a command should load: `arg` as given, or the shipped
 * base model (data/models/base under the data root) when arg is NULL.
 * false when the path does not fit in out. */
bool cli_model_dir(char *out, size_t size, const char *arg);

/* Print a cJSON object to stdout followed by a newline, then free it.
 * Returns 0, or 1 if printing failed. */
struct cJSON;
int cli_print_json(struct cJSON *obj);

/* The subcommands (one per cmd_*.c file). */
extern const Command cmd_rank;
extern const Command cmd_svd;
extern const Command cmd_help;
extern const Command cmd_bench;
/* --- more subcommands are declared below as they land --- */
extern const Command cmd_finetune;
extern const Command cmd_float; extern const Command cmd_quant;
extern const Command cmd_pretrain;
extern const Command cmd_eval;
extern const Command cmd_sample;
extern const Command cmd_lint;

/* The table of subcommands (commands.c), NULL-terminated. */
extern const Command *const cli_commands[];
const Command *cli_find(const char *name);

/* Run `lorascope ARGS` for a subcommand, --help or --version and return the
 * exit status; -1 when argv asks for the interface instead (no arguments,
 * or an interface option such as --lessons). */
int cli_dispatch(int argc, char **argv);
void cli_print_overview(FILE *out);

#endif
