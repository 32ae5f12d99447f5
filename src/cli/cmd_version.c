/* cmd_version.c: warrant version */
#include <stdio.h>

#include "cli/cli.h"

int cmd_version(int argc, char **argv)
{
	printf("warrant %s\n", wr_version());
	return 0;
}
