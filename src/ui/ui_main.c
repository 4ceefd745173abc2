/* ui_main.c — placeholder until the lesson interface lands (issue 3). */
#include <stdio.h>

int ui_main(int argc, char **argv);

int ui_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("lorascope: the lesson interface is not built yet; run 'lorascope --help'\n", stderr);
    return 1;
}
