/* stop.c — a stop request from a signal (see stop.h). */
#include "stop.h"

#include <string.h>

/* Set by the signal handler only: the single mutable global here, as a
 * signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requested = 0;

/* First signal: ask the loop to stop. A second one ends the process at
 * once, the default way. */
static void on_signal(int sig)
{
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_requested = 1;
}

void cli_stop_begin(CliStop *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
}

bool cli_stop_requested(void)
{
    return stop_requested != 0;
}

void cli_stop_end(const CliStop *s)
{
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
}
