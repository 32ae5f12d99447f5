/* cmd_failures.c: warrant failures: failed runs counted by class, by step
 * and by model, with an example run for each, so a user fixes the layer
 * that fails most. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant failures [--since WHEN] [--flow NAME] [--json] [--store PATH]\n"
	"\n"
	"Counts failed runs by failure class, by step and by model, each with an\n"
	"example run to look at with 'warrant show'.\n"
	"\n"
	"options:\n"
	"      --since WHEN   only runs started since WHEN: a duration back from now\n"
	"                     (30m, 24h, 7d) or a date (2026-11-24)\n"
	"      --flow NAME    only runs of the workflow named NAME\n"
	"      --json         machine-readable output\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

#define MAX_GROUPS 256

struct group {
	char key[256];
	int count;
	int per_class[WR_FAIL_COUNT_];
	char example[WR_ID_MAX];
};

struct table {
	struct group g[MAX_GROUPS];
	int n, other;  /* groups beyond MAX_GROUPS are counted, not named */
};

struct tally {
	struct table by_class, by_step, by_model;
	int runs;
};

static void add(struct table *t, const char *key, const struct wr_failure_row *r)
{
	struct group *g = NULL;

	for (int i = 0; i < t->n && !g; i++)
		if (!strcmp(t->g[i].key, key))
			g = &t->g[i];
	if (!g) {
		if (t->n == MAX_GROUPS) {
			t->other++;
			return;
		}
		g = &t->g[t->n++];
		snprintf(g->key, sizeof(g->key), "%s", key);
		snprintf(g->example, sizeof(g->example), "%s", r->run_id);  /* newest first */
	}
	g->count++;
	if (r->failure > 0 && r->failure < WR_FAIL_COUNT_)
		g->per_class[r->failure]++;
}

static int on_row(void *ud, const struct wr_failure_row *r)
{
	struct tally *t = ud;
	char key[256];

	t->runs++;
	add(&t->by_class, wr_failure_name(r->failure), r);
	snprintf(key, sizeof(key), "%s/%s", r->flow_name, r->step_id[0] ? r->step_id : "-");
	add(&t->by_step, key, r);
	add(&t->by_model, r->model[0] ? r->model : "(no model call)", r);
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	return x->count != y->count ? y->count - x->count : strcmp(x->key, y->key);
}

/* "schema_invalid 10, refusal 2", largest first. */
static void classes(const struct group *g, char *out, size_t size)
{
	int shown[WR_FAIL_COUNT_] = { 0 };
	size_t n = 0;

	out[0] = '\0';
	for (;;) {
		int best = 0;

		for (int f = 1; f < WR_FAIL_COUNT_; f++)
			if (!shown[f] && g->per_class[f] > g->per_class[best])
				best = f;
		if (!best || n >= size)
			break;
		shown[best] = 1;
		n += (size_t)snprintf(out + n, size - n, "%s%s %d", n ? ", " : "",
		                      wr_failure_name((enum wr_failure)best), g->per_class[best]);
	}
}

static void print_table(const char *title, struct table *t, int runs, int detail)
{
	char mix[512];

	qsort(t->g, (size_t)t->n, sizeof(*t->g), by_count);
	printf("\n%s\n", title);
	for (int i = 0; i < t->n; i++) {
		const struct group *g = &t->g[i];

		printf("  %-28s %6d %4.0f%%  e.g. %s", g->key, g->count,
		       100.0 * g->count / runs, g->example);
		if (detail) {
			classes(g, mix, sizeof(mix));
			printf("  (%s)", mix);
		}
		putchar('\n');
	}
	if (t->other)
		printf("  %-28s %6d\n", "(others)", t->other);
}

static void json_table(const char *name, struct table *t, int last)
{
	qsort(t->g, (size_t)t->n, sizeof(*t->g), by_count);
	printf("\"%s\":[", name);
	for (int i = 0; i < t->n; i++) {
		const struct group *g = &t->g[i];
		int first = 1;

		printf("%s{\"key\":", i ? "," : "");
		cli_json_str(stdout, g->key);
		printf(",\"count\":%d,\"example\":", g->count);
		cli_json_str(stdout, g->example);
		printf(",\"classes\":{");
		for (int f = 1; f < WR_FAIL_COUNT_; f++) {
			if (!g->per_class[f])
				continue;
			printf("%s\"%s\":%d", first ? "" : ",", wr_failure_name((enum wr_failure)f),
			       g->per_class[f]);
			first = 0;
		}
		printf("}}");
	}
	printf("]%s", last ? "" : ",");
}

/* WHEN: 30m, 24h, 7d back from now, or YYYY-MM-DD (local midnight). */
static int parse_since(const char *s, int64_t *ms)
{
	struct tm tm;
	char *end;
	long v = strtol(s, &end, 10);
	time_t t;

	if (end != s && v >= 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
		int64_t unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;

		*ms = (int64_t)time(NULL) * 1000 - (int64_t)v * unit * 1000;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

int cmd_failures(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "flow", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_path = NULL, *flow = NULL, *since_arg = NULL;
	struct wr_store *store = NULL;
	struct tally *t;
	struct wr_err err;
	int64_t since = 0;
	int c, rc, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			since_arg = optarg;
			if (parse_since(optarg, &since) < 0)
				return cli_fail(WR_EXIT_USAGE, "--since takes 30m, 24h, 7d or a date "
				                "like 2026-11-24, not '%s'", optarg);
			break;
		case 'f': flow = optarg; break;
		case 'j': json = 1; break;
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
	if (!(t = calloc(1, sizeof(*t))))
		return cli_fail(WR_EXIT_INTERNAL, "out of memory");
	if ((rc = cli_store_open(store_path, NULL, &store)))
		goto out;
	if (wr_failures_each(store, since, flow, on_row, t, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	if (json) {
		printf("{\"failed_runs\":%d,", t->runs);
		json_table("by_class", &t->by_class, 0);
		json_table("by_step", &t->by_step, 0);
		json_table("by_model", &t->by_model, 1);
		printf("}\n");
	} else if (!t->runs) {
		printf("no failed runs%s%s%s%s\n", since_arg ? " since " : "",
		       since_arg ? since_arg : "", flow ? " of " : "", flow ? flow : "");
	} else {
		printf("%d failed run%s%s%s%s%s\n", t->runs, t->runs == 1 ? "" : "s",
		       since_arg ? " since " : "", since_arg ? since_arg : "", flow ? " of " : "",
		       flow ? flow : "");
		print_table("by failure class", &t->by_class, t->runs, 0);
		print_table("by step (workflow/step)", &t->by_step, t->runs, 1);
		print_table("by model", &t->by_model, t->runs, 1);
	}
out:
	wr_store_free(store);
	free(t);
	return rc;
}
