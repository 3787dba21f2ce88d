/* SPDX-License-Identifier: MIT */
/* Entry point: global options, locale, then one command from the table. */
#include "config.h"
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: bancada [-C DIR] COMMAND [ARGS...]\n"
		"       bancada            open the workbench (TUI) in the current project\n"
		"See `bancada help` for the commands.\n");
}

int
main(int argc, char **argv)
{
	struct bc_cmd_ctx ctx = { 0 };
	/* Only the character set comes from the environment: numbers are read
	 * and written with a dot whatever LC_NUMERIC says (JSON, CSV, `loss:
	 * 0.25` on stdout), and the eleven other categories would cost a file
	 * each at every start. */
	setlocale(LC_CTYPE, "");
	const char *cs = nl_langinfo(CODESET);
	ctx.ascii = !(cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8")));
	ctx.stdout_tty = isatty(STDOUT_FILENO);
	ctx.color = ctx.stdout_tty && !getenv("NO_COLOR");
	ctx.argv0 = argv[0];
	signal(SIGPIPE, SIG_IGN);

	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-C")) {
			if (i + 1 >= argc) {
				cmd_error("-C needs a directory");
				return EXIT_USAGE;
			}
			ctx.dir = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "-C", 2)) {
			ctx.dir = argv[i] + 2;
			i++;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("bancada %s\n", BANCADA_VERSION_STRING);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			cmd_error("unknown option '%s'", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		/* No command: the workbench. */
		static char tui_name[] = "tui", ls_name[] = "ls";
		char *tui_argv[] = { tui_name, NULL };
		if (cmd_find("tui"))
			return cmd_dispatch(&ctx, 1, tui_argv);
		char *ls_argv[] = { ls_name, NULL };
		return cmd_dispatch(&ctx, 1, ls_argv);
	}
	return cmd_dispatch(&ctx, argc - i, argv + i);
}
