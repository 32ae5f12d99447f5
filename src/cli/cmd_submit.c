/* cmd_submit.c: warrant submit: queue runs of a workflow as jobs; and
 * warrant jobs: how many are queued, running, done and failed. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define SUBMIT_INPUTS_MAX 64

static const char usage[] =
	"usage: warrant submit FLOW [options]\n"
	"\n"
	"Queues runs of the workflow FLOW as jobs in the store, for `warrant worker`\n"
	"processes (on this machine or others sharing a PostgreSQL store) to run.\n"
	"Prints each job's id.\n"
	"\n"
	"options:\n"
	"  -i, --input NAME=VALUE   set an input (repeatable)\n"
	"  -c, --count N            queue N jobs (default 1)\n"
	"      --number NAME        with --count: input NAME is the job's number, 1..N\n"
	"      --store PATH         the store: a SQLite file or a postgres:// URL\n"
	"                           (default: $WARRANT_STORE, else the one beside FLOW)\n"
	"  -q, --quiet              print nothing\n"
	"  -h, --help               this help\n";

static const char jobs_usage[] =
	"usage: warrant jobs [options]\n"
	"\n"
	"Counts the store's jobs: queued, running, done, failed.\n"
	"\n"
	"options:\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

struct submit_opts {
	struct wr_input inputs[SUBMIT_INPUTS_MAX + 1];
	size_t n_inputs;
	long count;
	const char *number, *store;
	int quiet;
};

static int add_input(struct submit_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return cli_fail(WR_EXIT_USAGE, "--input takes NAME=VALUE, not '%s'", arg);
	if (o->n_inputs == SUBMIT_INPUTS_MAX)
		return cli_fail(WR_EXIT_USAGE, "too many inputs (at most %d)", SUBMIT_INPUTS_MAX);
	*eq = '\0';
	o->inputs[o->n_inputs].name = arg;
	o->inputs[o->n_inputs++].value = eq + 1;
	return 0;
}

static int parse(int argc, char **argv, struct submit_opts *o)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "number", required_argument, NULL, 'N' },
		{ "store", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:c:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if ((rc = add_input(o, optarg)))
				return rc;
			break;
		case 'c':
			o->count = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->count < 1 || o->count > 10000000)
				return cli_fail(WR_EXIT_USAGE, "--count takes a number from 1, not '%s'",
				                optarg);
			break;
		case 'N': o->number = optarg; break;
		case 's': o->store = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); return -1;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, optind == argc ? "submit needs a workflow file"
		                                              : "unexpected argument '%s'",
		                argv[optind + 1 < argc ? optind + 1 : optind]);
	}
	return 0;
}

static void on_problem(void *ud, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

int cmd_submit(int argc, char **argv)
{
	struct wr_flow_params fp = wr_flow_default_params();
	struct submit_opts o;
	struct wr_store *store = NULL;
	struct wr_flow *flow = NULL;
	struct wr_err err;
	char path[PATH_MAX], num[32];
	int64_t id = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.count = 1;
	if ((rc = parse(argc, argv, &o)))
		return rc < 0 ? 0 : rc;
	/* Checked here, so a bad workflow fails now rather than in every worker. */
	fp.on_problem = on_problem;
	if (wr_flow_load(argv[optind], &fp, &flow, &err) < 0) {
		if (err.code != WR_ESPEC)  /* problems were printed one per line */
			cli_fail(WR_EXIT_USAGE, "%s", err.msg);
		return WR_EXIT_USAGE;
	}
	wr_flow_free(flow);
	if (!realpath(argv[optind], path))
		return cli_fail(WR_EXIT_USAGE, "%s: cannot resolve its path", argv[optind]);
	if ((rc = cli_store_open(o.store, argv[optind], &store)))
		return rc;
	if (o.number)
		o.inputs[o.n_inputs++] = (struct wr_input){ o.number, num };
	for (long k = 1; k <= o.count; k++) {
		snprintf(num, sizeof(num), "%ld", k);
		if (wr_job_submit(store, path, o.inputs, o.n_inputs, &id, &err) < 0) {
			rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
			break;
		}
		if (!o.quiet)
			printf("job %lld\n", (long long)id);
	}
	wr_store_free(store);
	return rc;
}

int cmd_jobs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_store *store = NULL;
	struct wr_jobs_count n;
	struct wr_err err;
	const char *store_path = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': store_path = optarg; break;
		case 'h': fputs(jobs_usage, stdout); return 0;
		default:
			return cli_bad_option(jobs_usage, argv[optind - 1]);
		}
	}
	if (optind != argc) {
		fputs(jobs_usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	if ((rc = cli_store_open(store_path, NULL, &store)))
		return rc;
	if (wr_jobs_count(store, &n, &err) < 0)
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	else
		printf("queued %lld\nrunning %lld\ndone %lld\nfailed %lld\n", (long long)n.queued,
		       (long long)n.running, (long long)n.done, (long long)n.failed);
	wr_store_free(store);
	return rc;
}
