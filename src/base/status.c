/* status.c — error reporting for library code (see status.h). */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void status_clear(Status *st)
{
    if (!st) return;
    st->code = LS_OK;
    st->msg[0] = '\0';
}

int status_fail(Status *st, int code, const char *fmt, ...)
{
    if (st) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof st->msg, fmt, ap);
        va_end(ap);
        st->code = code;
    }
    return code;
}

void status_prefix(Status *st, const char *fmt, ...)
{
    if (!st) return;
    char old[sizeof st->msg];
    memcpy(old, st->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(st->msg, sizeof st->msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t used = (size_t)n < sizeof st->msg ? (size_t)n : sizeof st->msg - 1;
    /* Append ": " and the old message, truncating to fit. */
    size_t room = sizeof st->msg - used;
    if (room > 2) {
        memcpy(st->msg + used, ": ", 2);
        size_t len = strnlen(old, sizeof old - 1);
        if (len > room - 3) len = room - 3;
        memcpy(st->msg + used + 2, old, len);
        st->msg[used + 2 + len] = '\0';
    }
}

const char *status_code_name(int code)
{
    static const char *const names[] = {
        [LS_OK] = "ok",           [LS_ERR_IO] = "I/O error",
        [LS_ERR_PARSE] = "parse error", [LS_ERR_RANGE] = "out of range",
        [LS_ERR_NOMEM] = "out of memory", [LS_ERR_LINALG] = "linear algebra failure",
        [LS_ERR_ARG] = "bad argument",
    };
    if (code < 0 || code >= (int)(sizeof names / sizeof names[0]) || !names[code])
        return "error";
    return names[code];
}
