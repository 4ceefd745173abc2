/* commands.c — the table of subcommands, `lorascope help`, and dispatch.
 * main() and the command-line fuzzer both enter through cli_dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const Command *const cli_commands[] = {
    &cmd_rank,
    &cmd_svd,
    &cmd_bench,
    &cmd_lint,
    &cmd_pretrain,
    &cmd_eval,
    &cmd_sample,
    &cmd_float, &cmd_quant,
    &cmd_finetune,
    /* --- more subcommands are listed here as they land --- */
    &cmd_help,
    NULL,
};

const Command *cli_find(const char *name)
{
    for (int i = 0; cli_commands[i]; i++)
        if (strcmp(cli_commands[i]->name, name) == 0) return cli_commands[i];
    return NULL;
}

/* Defined by the interface layer (src/ui/ui_main.c). */
void ui_print_options(FILE *out);

void cli_print_overview(FILE *out)
{
    fputs("lorascope " LS_VERSION " — learn why low-rank adaptation works, with live numbers\n"
          "\n"
          "Usage: lorascope [OPTIONS]            open the lessons in the terminal\n"
          "       lorascope COMMAND [ARGS...]    run a demo headless\n"
          "\n"
          "Options for the lessons:\n",
          out);
    ui_print_options(out);
    fputs("\nCommands:\n", out);
    for (int i = 0; cli_commands[i]; i++)
        fprintf(out, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fputs("\nOptions:\n"
          "  -h, --help     show this help\n"
          "  --version      show the version\n"
          "\n"
          "Run 'lorascope help COMMAND' for a command's options.\n",
          out);
}

static int print_command_help(const Command *cmd)
{
    if (!cmd->help) {
        char *args[] = {(char *)cmd->name, "--help", NULL};
        return cmd->run(2, args);
    }
    fputs(cmd->help, stdout);
    return 0;
}

static int run_help(int argc, char **argv)
{
    if (argc < 2) {
        cli_print_overview(stdout);
        return 0;
    }
    if (argc > 2) return cli_usage(&cmd_help, "help takes one command name");
    const Command *cmd = cli_find(argv[1]);
    if (!cmd) return cli_usage(NULL, "unknown command '%s'", argv[1]);
    return print_command_help(cmd);
}

const Command cmd_help = {
    .name = "help",
    .summary = "show help for a command",
    .help = "Usage: lorascope help [COMMAND]\n\nShow the list of commands, or one command's usage.\n",
    .run = run_help,
};

int cli_dispatch(int argc, char **argv)
{
    if (argc < 2) return -1;
    const char *a = argv[1];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        cli_print_overview(stdout);
        return 0;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
        puts("lorascope " LS_VERSION);
        return 0;
    }
    if (a[0] == '-') return -1; /* an interface option such as --lessons */
    const Command *cmd = cli_find(a);
    if (!cmd) return cli_usage(NULL, "unknown command '%s'", a);
    /* Every subcommand also answers --help. */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return print_command_help(cmd);
    }
    return cmd->run(argc - 1, argv + 1);
}
