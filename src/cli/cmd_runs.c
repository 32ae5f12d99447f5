/* cmd_runs.c: warrant runs: the latest runs in a store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant runs [options]\n"
	"\n"
	"Lists runs, newest first: id, workflow, status, failure class, when.\n"
	"\n"
	"options:\n"
	"  -n, --limit N      at most N runs (default 20; 0 for all)\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

static int row(void *ud, const struct wr_run_info *r)
{
	char when[32];

	cli_time(r->created_ms, when, sizeof(when));
	printf("%-22s %-20s %-9s %-18s %s\n", r->id, r->flow_name, wr_run_status_name(r->status),
	       r->failure ? wr_failure_name(r->failure) : "-", when);
	return 0;
}

int cmd_runs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_store *store = NULL;
	struct wr_err err;
	const char *store_path = NULL;
	long limit = 20;
	char *end;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*end || end == optarg || limit < 0 || limit > 1000000)
				return cli_fail(WR_EXIT_USAGE, "--limit takes a number, not '%s'", optarg);
			break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	if ((rc = cli_store_open(store_path, NULL, &store)))
		return rc;
	printf("%-22s %-20s %-9s %-18s %s\n", "RUN", "FLOW", "STATUS", "FAILURE", "STARTED");
	if (wr_runs_each(store, (int)limit, row, NULL, &err) < 0)
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	wr_store_free(store);
	return rc;
}
