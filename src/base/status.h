/* status.h — how library code reports failure.
 *
 * Library functions never print or exit. They return an int status code
 * (LS_OK == 0 on success) and, when given a Status*, fill it with a message
 * fit to show the user ("boats.pgm: truncated pixel data"). Only the CLI and
 * the UI decide what the user sees. */
#ifndef LS_STATUS_H
#define LS_STATUS_H

enum {
    LS_OK = 0,
    LS_ERR_IO,      /* file missing, unreadable, unwritable */
    LS_ERR_PARSE,   /* malformed input: text, image, JSON, checkpoint */
    LS_ERR_RANGE,   /* value or size out of the allowed range */
    LS_ERR_NOMEM,   /* allocation failed */
    LS_ERR_LINALG,  /* a LAPACK routine did not converge */
    LS_ERR_ARG      /* bad argument from the caller */
};

typedef struct Status {
    int code;        /* LS_OK or one of LS_ERR_* */
    char msg[512];   /* human-readable, no trailing newline */
} Status;

/* Clear st (may be NULL). */
void status_clear(Status *st);

/* Fill st (may be NULL) with code and a printf-style message; returns code so
 * callers can write `return status_fail(st, LS_ERR_IO, "%s: %s", ...)`. */
int status_fail(Status *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put "prefix: " in front of an existing message (adds context as an error
 * travels up, e.g. the file name). */
void status_prefix(Status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short name for a code ("I/O error", "parse error", ...). */
const char *status_code_name(int code);

#endif
