/* cmd_lint.c: warrant lint FLOW.yaml (spec and policy problems, and the
 * workflow's maturity against the skill tree). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant lint FLOW.yaml [options]\n"
	"\n"
	"Loads the workflow with the organisation policy applied and prints every\n"
	"problem (file:line:col), then scores it against the four levels of the\n"
	"skill tree (conditioning, authority, workflows, compounding): each node\n"
	"present, weak or missing, with the line to add.\n"
	"\n"
	"options:\n"
	"      --policy FILE    the organisation policy (default: $WARRANT_POLICY, else the\n"
	"                       nearest warrant.policy.yaml; 'none' for none)\n"
	"      --min-level N    fail (exit 3) unless levels 1..N are all present\n"
	"      --json           the report as JSON\n"
	"  -h, --help           this help\n"
	"\n"
	"exit codes: 0 fine, 2 problems in the workflow or policy, 3 below --min-level\n";

static const char *const level_names[] = { "", "Conditioning", "Authority", "Workflows",
                                           "Compounding" };
static const char *const status_names[] = { "missing", "weak", "present" };

static void on_problem(void *ud, const char *msg)
{
	(*(int *)ud)++;
	fprintf(stderr, "%s\n", msg);
}

static void print_text(const char *path, const struct wr_flow *flow,
                       const struct wr_lint_report *r)
{
	const char *hash, *policy = wr_flow_policy(flow, &hash);
	int present = 0;

	for (int i = 0; i < r->n_nodes; i++)
		present += r->nodes[i].status == WR_LINT_PRESENT;
	printf("%s: no problems%s%s\n", path, policy ? "; policy " : "", policy ? policy : "");
	printf("maturity: level %d of 4 (%d of %d nodes present)\n", r->level, present,
	       r->n_nodes);
	for (int i = 0; i < r->n_nodes; i++) {
		const struct wr_lint_node *n = &r->nodes[i];

		if (!i || r->nodes[i - 1].level != n->level)
			printf("  %d %s\n", n->level, level_names[n->level]);
		printf("    %-8s %-17s %s\n", status_names[n->status], n->name, n->detail);
		if (n->add[0])
			printf("    %-8s %-17s add: %s\n", "", "", n->add);
	}
}

static int print_json(const char *path, const struct wr_flow *flow,
                      const struct wr_lint_report *r)
{
	const char *hash, *policy = wr_flow_policy(flow, &hash);
	json_t *o = json_pack("{s:s,s:s?,s:i,s:[]}", "workflow", path, "policy", policy, "level",
	                      r->level, "nodes"), *nodes = json_object_get(o, "nodes");
	char *text;

	for (int i = 0; nodes && i < r->n_nodes; i++) {
		const struct wr_lint_node *n = &r->nodes[i];

		json_array_append_new(nodes, json_pack("{s:i,s:s,s:s,s:s,s:s}", "level", n->level,
		                                       "node", n->name, "status",
		                                       status_names[n->status], "detail", n->detail,
		                                       "add", n->add));
	}
	text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (!text)
		return cli_fail(WR_EXIT_INTERNAL, "out of memory");
	puts(text);
	free(text);
	return 0;
}

int cmd_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "min-level", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_flow_params fp = wr_flow_default_params();
	struct wr_lint_report r;
	struct wr_flow *flow = NULL;
	struct wr_err err;
	int c, rc, json = 0, min = 0, problems = 0;
	char *end;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': fp.policy = strcmp(optarg, "none") ? optarg : ""; break;
		case 'm':
			min = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || min < 1 || min > 4)
				return cli_fail(WR_EXIT_USAGE, "--min-level takes 1..4, not '%s'", optarg);
			break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "which workflow? give FLOW.yaml");
	}
	fp.on_problem = on_problem;
	fp.ud = &problems;
	if (wr_flow_load(argv[optind], &fp, &flow, &err) < 0) {
		if (!problems)
			cli_fail(WR_EXIT_USAGE, "%s", err.msg);
		else
			fprintf(stderr, "%s: %d problem%s\n", argv[optind], problems,
			        problems == 1 ? "" : "s");
		return WR_EXIT_USAGE;
	}
	if (wr_lint(flow, &r, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	if (json) {
		rc = print_json(argv[optind], flow, &r);
	} else {
		print_text(argv[optind], flow, &r);
		rc = 0;
	}
	if (!rc && min && r.level < min) {
		fprintf(stderr, "warrant: %s is at level %d, below --min-level %d\n", argv[optind],
		        r.level, min);
		rc = WR_EXIT_REJECTED;
	}
out:
	wr_flow_free(flow);
	return rc;
}
