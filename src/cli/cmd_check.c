/* cmd_check.c: warrant check FLOW...: load and validate workflows. */
#include <stdio.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant check FLOW.yaml...\n"
	"\n"
	"Loads each workflow and reports every problem as file:line:col: message.\n"
	"Exit 0 when all are valid, 2 otherwise.\n";

static void on_problem(void *ud, const char *msg)
{
	int *n = ud;

	(*n)++;
	fprintf(stderr, "%s\n", msg);
}

int cmd_check(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? WR_EXIT_USAGE : 0;
	}
	for (int i = 1; i < argc; i++) {
		struct wr_flow_params p = wr_flow_default_params();
		struct wr_flow *flow = NULL;
		struct wr_err err;
		int problems = 0;

		p.on_problem = on_problem;
		p.ud = &problems;
		if (wr_flow_load(argv[i], &p, &flow, &err) < 0) {
			if (!problems)
				fprintf(stderr, "%s\n", err.msg);
			bad++;
			continue;
		}
		printf("%s: ok (%s, version %.12s)\n", argv[i], wr_flow_name(flow),
		       wr_flow_hash(flow));
		wr_flow_free(flow);
	}
	return bad ? WR_EXIT_USAGE : 0;
}
