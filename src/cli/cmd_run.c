/* cmd_run.c: warrant run FLOW, and warrant resume RUN. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define INPUT_MAX ((size_t)16 << 20)  /* 16 MiB per input file */
#define INPUTS_MAX 256

static const char run_usage[] =
	"usage: warrant run FLOW.yaml [options]\n"
	"\n"
	"Runs a workflow until it is done, waits for approval, or fails.\n"
	"Every state change is committed before the next action, so a killed\n"
	"run continues with 'warrant resume RUN'.\n"
	"\n"
	"options:\n"
	"  -i, --input NAME=VALUE   set an input (NAME=@FILE reads the file)\n"
	"      --store PATH         the store (default: .warrant/warrant.db beside FLOW,\n"
	"                           or $WARRANT_STORE)\n"
	"      --seed N             the run's seed (default: random, recorded)\n"
	"      --max-steps N        stop after N steps (resume later)\n"
	"      --replay RUN         answer every model call from RUN's record: no model\n"
	"                           is asked, outputs are byte-identical; inputs and seed\n"
	"                           default to RUN's\n"
	"      --cache              answer a call from an earlier identical request in\n"
	"                           the store when there is one (for evals)\n"
	"      --prices FILE        price table for cost (default: $WARRANT_PRICES, else\n"
	"                           the built-in data/prices.yaml)\n"
	"      --locked             refuse to start unless warrant.lock beside FLOW pins\n"
	"                           this workflow as it is (see 'warrant lock', 'warrant diff')\n"
	"                           (also when the organisation policy says 'lock: required')\n"
	"      --policy FILE        the organisation policy (default: $WARRANT_POLICY, else\n"
	"                           the nearest warrant.policy.yaml at or above FLOW's folder;\n"
	"                           'none' for none)\n"
	"  -q, --quiet              no progress lines\n"
	"  -h, --help               this help\n"
	"\n"
	"exit codes: 0 done, 1 failed (provider, refusal, timeout, ...), 2 bad input,\n"
	"3 rejected (a check or a person), 4 waiting for approval, 5 budget exceeded,\n"
	"6 internal error (the run is resumable)\n";

static const char resume_usage[] =
	"usage: warrant resume RUN [options]\n"
	"\n"
	"Continues a run from its last committed state, with the workflow as it\n"
	"was when the run started. Completed steps are not executed again, and an\n"
	"effect (ship) never happens twice. RUN is an id, a unique prefix, or 'last'.\n"
	"\n"
	"options:\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"      --max-steps N  stop after N more steps\n"
	"      --prices FILE  price table for cost (as for 'warrant run')\n"
	"  -q, --quiet        no progress lines\n"
	"  -h, --help         this help\n"
	"\n"
	"exit codes: as for 'warrant run'\n";

static char *read_input_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		cli_fail(WR_EXIT_USAGE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *p;

			cap = cap ? cap * 2 : 65536 * 2;
			if (!(p = realloc(data, cap)))
				goto fail;
			data = p;
		}
		got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (n > INPUT_MAX) {
			cli_fail(WR_EXIT_USAGE, "%s: larger than %zu MiB", path, INPUT_MAX >> 20);
			goto fail;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		cli_fail(WR_EXIT_USAGE, "%s: read error", path);
		goto fail;
	}
	if (memchr(data, '\0', n)) {
		cli_fail(WR_EXIT_USAGE, "%s: contains a NUL byte; inputs are text", path);
		goto fail;
	}
	data[n] = '\0';
	fclose(f);
	return data;
fail:
	free(data);
	fclose(f);
	return NULL;
}

static int parse_u64(const char *s, const char *what, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return cli_fail(WR_EXIT_USAGE, "%s must be a non-negative integer, not '%s'",
		                what, s);
	return 0;
}

struct run_opts {
	struct wr_input inputs[INPUTS_MAX];
	char *owned[INPUTS_MAX];
	size_t n_inputs;
	const char *store, *replay, *prices;
	unsigned long long seed, max_steps;
	int has_seed, quiet, cache, locked;
	const char *policy;     /* --policy: a file, "" for none, NULL: found */
};

static int add_input(struct run_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return cli_fail(WR_EXIT_USAGE, "--input takes NAME=VALUE or NAME=@FILE, not '%s'",
		                arg);
	if (o->n_inputs == INPUTS_MAX)
		return cli_fail(WR_EXIT_USAGE, "too many inputs (at most %d)", INPUTS_MAX);
	*eq = '\0';
	for (size_t i = 0; i < o->n_inputs; i++)
		if (!strcmp(o->inputs[i].name, arg))
			return cli_fail(WR_EXIT_USAGE, "input '%s' given twice", arg);
	o->inputs[o->n_inputs].name = arg;
	if (eq[1] == '@') {
		o->owned[o->n_inputs] = read_input_file(eq + 2);
		if (!o->owned[o->n_inputs])
			return WR_EXIT_USAGE;
		o->inputs[o->n_inputs].value = o->owned[o->n_inputs];
	} else {
		o->inputs[o->n_inputs].value = eq + 1;
	}
	o->n_inputs++;
	return 0;
}

static int parse(int argc, char **argv, const char *usage, int allow_inputs,
                 struct run_opts *o, int *first)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "store", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "max-steps", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "replay", required_argument, NULL, 'R' },
		{ "cache", no_argument, NULL, 'C' },
		{ "prices", required_argument, NULL, 'P' },
		{ "locked", no_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!allow_inputs)
				return cli_fail(WR_EXIT_USAGE, "--input is fixed when a run starts");
			if ((rc = add_input(o, optarg)))
				return rc;
			break;
		case 's': o->store = optarg; break;
		case 'S':
			if (!allow_inputs)
				return cli_fail(WR_EXIT_USAGE, "--seed is fixed when a run starts");
			if ((rc = parse_u64(optarg, "--seed", &o->seed)))
				return rc;
			o->has_seed = 1;
			break;
		case 'm':
			if ((rc = parse_u64(optarg, "--max-steps", &o->max_steps)))
				return rc;
			break;
		case 'q': o->quiet = 1; break;
		case 'R':
		case 'C':
			if (!allow_inputs)
				return cli_fail(WR_EXIT_USAGE, "--%s is fixed when a run starts",
				                c == 'R' ? "replay" : "cache");
			if (c == 'R')
				o->replay = optarg;
			else
				o->cache = 1;
			break;
		case 'P': o->prices = optarg; break;
		case 'L':
			if (!allow_inputs)
				return cli_fail(WR_EXIT_USAGE, "--locked is checked when a run starts");
			o->locked = 1;
			break;
		case 'Y':
			if (!allow_inputs)
				return cli_fail(WR_EXIT_USAGE, "--policy is applied when a run starts (a "
				                "resumed run uses $WARRANT_POLICY or warrant.policy.yaml)");
			o->policy = strcmp(optarg, "none") ? optarg : "";
			break;
		case 'h': fputs(usage, stdout); return -1;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	*first = optind;
	return 0;
}

static void opts_release(struct run_opts *o)
{
	for (size_t i = 0; i < o->n_inputs; i++)
		free(o->owned[i]);
}

static void on_problem(void *ud, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/* --locked: the workflow must be as warrant.lock pinned it. Refused before
 * the store is opened, so nothing runs and nothing is recorded. */
static int check_lock(const struct wr_flow *flow)
{
	struct wr_err err;
	char *changes = NULL;
	int rc = wr_lock_check(flow, &changes, &err);

	if (rc == WR_ESTATE) {
		cli_fail(WR_EXIT_REJECTED, "locked: refusing to run: %s", err.msg);
		fprintf(stderr, "%s(run the suite again and 'warrant lock' it if the change is "
		        "wanted)\n", changes);
		rc = WR_EXIT_REJECTED;
	} else if (rc < 0) {
		rc = cli_fail(err.code == WR_ENOTFOUND ? WR_EXIT_REJECTED : cli_exit_for(err.code),
		              "locked: refusing to run: %s", err.msg);
	}
	free(changes);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct wr_flow_params fp = wr_flow_default_params();
	struct wr_run_params p = wr_run_default_params();
	struct wr_run_result res;
	struct wr_flow *flow = NULL;
	struct wr_store *store = NULL;
	struct wr_err err;
	int rc, first;

	memset(&o, 0, sizeof(o));
	if ((rc = parse(argc, argv, run_usage, 1, &o, &first)))
		goto out;
	if (first != argc - 1) {
		fputs(run_usage, stderr);
		rc = cli_fail(WR_EXIT_USAGE, first >= argc ? "which workflow? give FLOW.yaml"
		                                           : "one workflow at a time");
		goto out;
	}
	fp.on_problem = on_problem;
	fp.policy = o.policy;
	if (wr_flow_load(argv[first], &fp, &flow, &err) < 0) {
		if (err.code != WR_ESPEC)  /* problems were printed one per line */
			cli_fail(WR_EXIT_USAGE, "%s", err.msg);
		rc = WR_EXIT_USAGE;
		goto out;
	}
	if ((o.locked || wr_flow_policy_requires_lock(flow)) && (rc = check_lock(flow)))
		goto out;
	if ((rc = cli_store_open_signed(o.store, argv[first], &store)))
		goto out;
	p.inputs = o.inputs;
	p.n_inputs = o.n_inputs;
	p.seed = o.seed;
	p.has_seed = o.has_seed;
	p.max_steps = (int)o.max_steps;
	p.replay_run = o.replay;
	p.cache = o.cache;
	p.prices_path = o.prices;
	p.on_event = cli_on_event;
	p.ud = &o.quiet;
	p.actor = cli_user();
	if (wr_run_start(store, flow, &p, &res, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	rc = cli_report(&res, o.quiet);
out:
	wr_store_free(store);
	wr_flow_free(flow);
	opts_release(&o);
	return rc < 0 ? 0 : rc;
}

int cli_continue(struct wr_store *store, const char *run, const char *actor,
                 void (*on_event)(void *ud, const struct wr_event *ev), void *ud,
                 int max_steps, const char *prices, struct wr_run_result *res,
                 struct wr_err *err)
{
	struct wr_run_params p = wr_run_default_params();

	p.on_event = on_event;
	p.ud = ud;
	p.actor = actor;
	p.max_steps = max_steps;
	p.prices_path = prices;
	return wr_run_resume(store, run, &p, res, err);
}

int cli_resume(struct wr_store *store, const char *run, int quiet, int max_steps,
               const char *prices)
{
	struct wr_run_result res;
	struct wr_err err;

	if (cli_continue(store, run, cli_user(), cli_on_event, &quiet, max_steps, prices, &res,
	                 &err) < 0)
		return cli_fail(cli_exit_for(err.code), "%s", err.msg);
	return cli_report(&res, quiet);
}

int cmd_resume(int argc, char **argv)
{
	struct run_opts o;
	struct wr_store *store = NULL;
	int rc, first;

	memset(&o, 0, sizeof(o));
	if ((rc = parse(argc, argv, resume_usage, 0, &o, &first)))
		goto out;
	if (first != argc - 1) {
		fputs(resume_usage, stderr);
		rc = cli_fail(WR_EXIT_USAGE, "which run? give its id, a prefix, or 'last'");
		goto out;
	}
	if ((rc = cli_store_open_signed(o.store, NULL, &store)))
		goto out;
	rc = cli_resume(store, argv[first], o.quiet, (int)o.max_steps, o.prices);
out:
	wr_store_free(store);
	return rc < 0 ? 0 : rc;
}
