/* cmd_lock.c: warrant lock SUITE.yaml (pin what a passing eval accepted)
 * and warrant diff FLOW.yaml (what changed since). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char lock_usage[] =
	"usage: warrant lock SUITE.yaml [options]\n"
	"\n"
	"Runs the suite (as 'warrant eval') and, when it passes, pins its workflow\n"
	"in warrant.lock beside it: the version hash (the file and every prompt,\n"
	"schema or script it names), each model's settings, and the eval result\n"
	"that accepted them. 'warrant run --locked' then refuses a workflow that\n"
	"changed since. With variants, the variant that runs the workflow as\n"
	"written is the one that must pass.\n"
	"\n"
	"options:\n"
	"  -j, --concurrency N    runs at once (default: the suite's)\n"
	"      --cache            answer repeated model requests from recorded exchanges\n"
	"      --store PATH       where the runs go (default: .warrant/eval.db beside the suite)\n"
	"  -h, --help             this help\n"
	"\n"
	"exit codes: 0 locked, 2 bad suite, 3 the eval did not pass (nothing locked)\n";

static const char diff_usage[] =
	"usage: warrant diff FLOW.yaml\n"
	"\n"
	"What changed in the workflow since warrant.lock pinned it: model settings,\n"
	"the file, the files it names.\n"
	"\n"
	"exit codes: 0 nothing changed, 1 something did, 2 no lock for it\n";

int cmd_lock(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "concurrency", required_argument, NULL, 'j' },
		{ "cache", no_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_eval_params p = { 0 };
	struct wr_eval_report *r = NULL;
	struct wr_suite *suite = NULL;
	struct wr_err err;
	char path[4096], *end;
	long v;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 256)
				return cli_fail(WR_EXIT_USAGE, "--concurrency takes 1..256, not '%s'", optarg);
			p.concurrency = (int)v;
			break;
		case 'c': p.cache = 1; break;
		case 's': p.store_path = optarg; break;
		case 'h': fputs(lock_usage, stdout); return 0;
		default:
			return cli_bad_option(lock_usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(lock_usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "which suite? give SUITE.yaml");
	}
	if (wr_suite_load(argv[optind], &suite, &err) < 0)
		return cli_fail(err.code == WR_EIO ? WR_EXIT_USAGE : cli_exit_for(err.code), "%s",
		                err.msg);
	if (wr_eval(suite, &p, &r, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	printf("suite %s: %d/%d runs met their cases, 95%% interval %.1f%%..%.1f%%\n", r->suite,
	       r->passed, r->runs, 100 * r->lo, 100 * r->hi);
	if (wr_lock_write(wr_suite_workflow(suite), r, &err) < 0) {
		rc = cli_fail(err.code == WR_ESTATE ? WR_EXIT_REJECTED : cli_exit_for(err.code), "%s",
		              err.msg);
		goto out;
	}
	wr_lock_path(wr_suite_workflow(suite), path, sizeof(path));
	printf("locked %s in %s\n", wr_suite_workflow(suite), path);
	rc = 0;
out:
	wr_eval_report_free(r);
	wr_suite_free(suite);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	struct wr_flow *flow = NULL;
	struct wr_err err;
	char *changes = NULL;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(diff_usage, stdout);
		return 0;
	}
	if (argc != 2) {
		fputs(diff_usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "which workflow? give FLOW.yaml");
	}
	if (wr_flow_load(argv[1], NULL, &flow, &err) < 0)
		return cli_fail(WR_EXIT_USAGE, "%s", err.msg);
	rc = wr_lock_check(flow, &changes, &err);
	if (rc == WR_ESTATE) {
		printf("%s\n%s", err.msg, changes);
		rc = WR_EXIT_FAILED;
	} else if (rc < 0) {
		rc = cli_fail(err.code == WR_ENOTFOUND ? WR_EXIT_USAGE : cli_exit_for(err.code), "%s",
		              err.msg);
	} else {
		printf("%s: unchanged since the lock\n", argv[1]);
	}
	free(changes);
	wr_flow_free(flow);
	return rc;
}
