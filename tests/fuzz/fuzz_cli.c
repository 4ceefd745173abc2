/* fuzz_cli.c — libFuzzer harness: command-line parsing of the headless
 * subcommands. The input is split into arguments at newlines and NULs; its
 * first byte picks a subcommand from a list of those that finish quickly
 * whatever they are asked (no training, sampling or benchmarks). Output is
 * discarded (run with -close_fd_mask=3). Any argument list must end in a
 * status 0, 1 or 2, never a crash.
 *
 * The one option that writes a file, svd's --out (getopt also takes any
 * abbreviation, "--o"), is turned into --json, so that fuzzing can never
 * overwrite a file of the checkout; stdin is /dev/null (tests/fuzz/run.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/app/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const safe[] = {"rank", "svd", "float", "quant", "lint", "help"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    const char *cmd = safe[data[0] % (sizeof safe / sizeof *safe)];
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *argv[34] = {"lorascope", (char *)cmd};
    int argc = 2;
    char *p = text, *end = text + size - 1;
    while (p < end && argc < 33) {
        argv[argc++] = p;
        while (p < end && *p != '\n' && *p != '\0') p++;
        *p++ = '\0';
        if (strcmp(cmd, "svd") == 0 && strncmp(argv[argc - 1], "--o", 3) == 0)
            argv[argc - 1] = "--json";
    }
    argv[argc] = NULL;
    int rc = cli_dispatch(argc, argv);
    if (rc < 0 || rc > 2) abort(); /* every path must end in 0, 1 or 2 */
    free(text);
    return 0;
}
