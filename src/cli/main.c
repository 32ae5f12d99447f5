/* main.c: the warrant command line. Dispatches to one file per command. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_cmd commands[] = {
	{ "version", cmd_version, "print the version" },
};

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: warrant COMMAND [ARGS]\n");
		return argc < 2 ? WR_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "warrant: unknown command '%s'\n", argv[1]);
	return WR_EXIT_USAGE;
}
