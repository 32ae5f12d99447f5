/* cli.h: shared by the command files. The CLI uses only warrant.h. */
#ifndef WR_CLI_H
#define WR_CLI_H

#include "warrant.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_version(int argc, char **argv);

#endif
