/* stop.h — Ctrl-C (SIGINT) and SIGTERM as a request to stop, for the long
 * subcommands (pretrain, finetune).
 *
 * The first signal only sets a flag that the command's loop reads between
 * steps (it then finishes the step, saves or evaluates, and exits 130); a
 * second signal ends the process at once, the default way. */
#ifndef LS_APP_STOP_H
#define LS_APP_STOP_H

#include <signal.h>
#include <stdbool.h>

/* The handlers in force before cli_stop_begin. */
typedef struct CliStop {
    struct sigaction old_int, old_term;
} CliStop;

/* Clear the flag and catch SIGINT and SIGTERM. */
void cli_stop_begin(CliStop *s);
/* Has a stop been asked for since cli_stop_begin? */
bool cli_stop_requested(void);
/* Put the earlier handlers back. */
void cli_stop_end(const CliStop *s);

#endif
