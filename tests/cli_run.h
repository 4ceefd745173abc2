/* cli_run.h — run the real lorascope binary from a test and capture what it
 * prints. Header-only so each test program stays one file.
 *
 * The binary is $LORASCOPE_BIN (set by tests/run.sh), else ./lorascope.
 * Arguments are split on spaces (tests pass no arguments containing spaces).
 */
#ifndef LS_TEST_CLI_RUN_H
#define LS_TEST_CLI_RUN_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct CliResult {
    int status;  /* exit status, or 128 + signal number */
    char *out;   /* everything written to stdout (NUL-terminated) */
    char *err;   /* everything written to stderr */
} CliResult;

static char *cli_slurp(FILE *f)
{
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    buf[got] = '\0';
    return buf;
}

/* Run `lorascope ARGS` with `input` on stdin (NULL: /dev/null). */
static CliResult cli_run(const char *args, const char *input)
{
    const char *bin = getenv("LORASCOPE_BIN");
    if (!bin || !*bin) bin = "./lorascope";
    char *copy = strdup(args);
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)bin;
    for (char *tok = strtok(copy, " "); tok && argc < 63; tok = strtok(NULL, " ")) argv[argc++] = tok;
    argv[argc] = NULL;

    FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
    if (input) fputs(input, in);
    fflush(in);
    rewind(in);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(in), 0);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        if (!input) {
            int null = open("/dev/null", O_RDONLY);
            dup2(null, 0);
        }
        execv(bin, argv);
        fprintf(stderr, "cannot run %s\n", bin);
        _exit(127);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    CliResult r;
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = cli_slurp(out);
    r.err = cli_slurp(err);
    fclose(in);
    fclose(out);
    fclose(err);
    free(copy);
    return r;
}

static void cli_result_free(CliResult *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

#endif
