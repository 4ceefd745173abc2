/* main.c — entry point: `lorascope` opens the lessons, `lorascope CMD ...`
 * runs a demo headless (see commands.c). */
#include <locale.h>

#include "cli.h"

/* Defined by the interface layer (src/ui). */
int ui_main(int argc, char **argv);

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    int rc = cli_dispatch(argc, argv);
    return rc >= 0 ? rc : ui_main(argc, argv);
}
