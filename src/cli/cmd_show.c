/* cmd_show.c: warrant show RUN: a run's outcome, steps, checks and artifacts. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant show RUN [options]\n"
	"\n"
	"Shows a run: its status and failure class, each step with the state of\n"
	"its artifact, every check with its reason, every attempt of a step that\n"
	"revises or draws several candidates, tokens, cost and time.\n"
	"RUN is an id, a unique prefix, or 'last'.\n"
	"\n"
	"options:\n"
	"      --json         machine-readable output\n"
	"      --artifacts    print each artifact's content too\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

struct show {
	struct wr_store *store;
	int json, artifacts, first;
	int retried;               /* some generate step drew more than one candidate */
};

static void print_artifact(struct show *s, const char *hash)
{
	struct wr_err err;
	char *bytes = NULL;
	size_t len;

	if (!hash[0])
		return;
	if (wr_artifact_read(s->store, hash, 1 << 20, &bytes, &len, &err) < 0) {
		printf("      (artifact unreadable: %s)\n", err.msg);
		return;
	}
	printf("      | ");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)bytes[i];

		if (c == '\n')
			printf("\n      | ");
		else if (c < 0x20 && c != '\t')
			printf("\\x%02x", c);  /* model output is untrusted: no escapes */
		else
			putchar(c);
	}
	putchar('\n');
	free(bytes);
}

static int step_text(void *ud, const struct wr_step_info *st)
{
	struct show *s = ud;
	const char *state = "";

	if (!strcmp(st->kind, "generate") && st->artifact[0])
		state = wr_state_name(st->state);
	printf("  %-3d %-14s %-9s %-8s %-10s %s%s%s\n", st->index + 1, st->id, st->kind,
	       st->status, state, st->failure ? wr_failure_name(st->failure) : "",
	       st->failure ? ": " : "", st->message);
	if (s->artifacts && !strcmp(st->kind, "generate"))
		print_artifact(s, st->artifact);
	return 0;
}

static int check_text(void *ud, const struct wr_check_info *c)
{
	printf("  %-14s #%d %-13s %s %s%s%s\n", c->step_id, c->index + 1, c->kind,
	       c->passed ? "pass" : "FAIL", c->passed ? "" : wr_failure_name(c->failure),
	       c->passed ? "" : ": ", c->reason);
	return 0;
}

static int step_json(void *ud, const struct wr_step_info *st)
{
	struct show *s = ud;

	printf("%s\n    {\"index\": %d, \"id\": ", s->first ? "" : ",", st->index);
	s->first = 0;
	cli_json_str(stdout, st->id);
	printf(", \"kind\": \"%s\", \"status\": \"%s\", \"artifact\": \"%s\", \"state\": \"%s\", "
	       "\"failure\": \"%s\", \"seconds\": %.6f, \"message\": ", st->kind, st->status,
	       st->artifact, st->artifact[0] ? wr_state_name(st->state) : "",
	       wr_failure_name(st->failure), st->seconds);
	cli_json_str(stdout, st->message);
	putchar('}');
	return 0;
}

static int check_json(void *ud, const struct wr_check_info *c)
{
	struct show *s = ud;

	printf("%s\n    {\"step\": ", s->first ? "" : ",");
	s->first = 0;
	cli_json_str(stdout, c->step_id);
	printf(", \"index\": %d, \"kind\": \"%s\", \"passed\": %s, \"failure\": \"%s\", "
	       "\"reason\": ", c->index, c->kind, c->passed ? "true" : "false",
	       wr_failure_name(c->failure));
	cli_json_str(stdout, c->reason);
	printf(", \"seconds\": %.6f}", c->seconds);
	return 0;
}

static int attempt_seen(void *ud, const struct wr_attempt_info *a)
{
	struct show *s = ud;

	s->retried |= a->attempt > 1;
	return 0;
}

static int attempt_text(void *ud, const struct wr_attempt_info *a)
{
	struct show *s = ud;

	printf("  %-14s #%-3d %-10s %-18s %.12s%s\n", a->step_id, a->attempt,
	       wr_state_name(a->state), a->failure ? wr_failure_name(a->failure) : "",
	       a->artifact, a->kept ? "  (kept)" : "");
	if (s->artifacts)
		print_artifact(s, a->artifact);
	return 0;
}

static int attempt_json(void *ud, const struct wr_attempt_info *a)
{
	struct show *s = ud;

	printf("%s\n    {\"step\": ", s->first ? "" : ",");
	s->first = 0;
	cli_json_str(stdout, a->step_id);
	printf(", \"attempt\": %d, \"artifact\": \"%s\", \"size\": %" PRId64 ", "
	       "\"state\": \"%s\", \"failure\": \"%s\", \"kept\": %s}", a->attempt,
	       a->artifact, a->size, wr_state_name(a->state), wr_failure_name(a->failure),
	       a->kept ? "true" : "false");
	return 0;
}

static int show_json(struct show *s, const struct wr_run_info *r, struct wr_err *err)
{
	printf("{\n  \"id\": \"%s\",\n  \"flow\": ", r->id);
	cli_json_str(stdout, r->flow_name);
	printf(",\n  \"flow_path\": ");
	cli_json_str(stdout, r->flow_path);
	printf(",\n  \"version\": \"%s\",\n  \"status\": \"%s\",\n  \"failure\": \"%s\",\n"
	       "  \"failed_step\": ", r->flow_hash, wr_run_status_name(r->status),
	       wr_failure_name(r->failure));
	cli_json_str(stdout, r->failed_step);
	printf(",\n  \"message\": ");
	cli_json_str(stdout, r->message);
	printf(",\n  \"seed\": %" PRIu64 ",\n  \"created_ms\": %" PRId64 ",\n  \"updated_ms\": %"
	       PRId64 ",\n  \"tokens_in\": %" PRId64 ",\n  \"tokens_out\": %" PRId64
	       ",\n  \"calls\": %" PRId64 ",\n  \"cost_usd\": %.6f,\n  \"seconds\": %.6f,\n"
	       "  \"steps_done\": %d,\n  \"steps_total\": %d,\n  \"steps\": [", r->seed,
	       r->created_ms, r->updated_ms, r->tokens_in, r->tokens_out, r->calls, r->cost_usd,
	       r->seconds, r->steps_done, r->steps_total);
	s->first = 1;
	if (wr_run_steps(s->store, r->id, step_json, s, err) < 0)
		return -1;
	printf("\n  ],\n  \"checks\": [");
	s->first = 1;
	if (wr_run_checks(s->store, r->id, check_json, s, err) < 0)
		return -1;
	printf("\n  ],\n  \"attempts\": [");
	s->first = 1;
	if (wr_run_attempts(s->store, r->id, attempt_json, s, err) < 0)
		return -1;
	printf("\n  ]\n}\n");
	return 0;
}

static int show_text(struct show *s, const struct wr_run_info *r, struct wr_err *err)
{
	char created[32];

	cli_time(r->created_ms, created, sizeof(created));
	printf("run      %s\n", r->id);
	printf("flow     %s (%s, version %.12s)\n", r->flow_name, r->flow_path, r->flow_hash);
	printf("status   %s%s%s\n", wr_run_status_name(r->status),
	       r->failure ? ", failure: " : "", r->failure ? wr_failure_name(r->failure) : "");
	if (r->message[0])
		printf("         %s%s%s\n", r->failed_step[0] ? r->failed_step : "",
		       r->failed_step[0] ? ": " : "", r->message);
	printf("started  %s, %.3f s executing, seed %" PRIu64 "\n", created, r->seconds, r->seed);
	printf("usage    %" PRId64 " calls, %" PRId64 " tokens in, %" PRId64 " out, $%.6f\n",
	       r->calls, r->tokens_in, r->tokens_out, r->cost_usd);
	printf("\nsteps (%d of %d done)\n", r->steps_done, r->steps_total);
	if (wr_run_steps(s->store, r->id, step_text, s, err) < 0)
		return -1;
	printf("\nchecks\n");
	if (wr_run_checks(s->store, r->id, check_text, s, err) < 0 ||
	    wr_run_attempts(s->store, r->id, attempt_seen, s, err) < 0)
		return -1;
	if (!s->retried)
		return 0;
	printf("\nattempts\n");
	return wr_run_attempts(s->store, r->id, attempt_text, s, err) < 0 ? -1 : 0;
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "artifacts", no_argument, NULL, 'a' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show s = { 0 };
	struct wr_run_info info;
	struct wr_err err;
	const char *store_path = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': s.json = 1; break;
		case 'a': s.artifacts = 1; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fputs(usage, stderr);
			return cli_fail(WR_EXIT_USAGE, "unknown or incomplete option '%s'",
			                argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "which run? give its id, a prefix, or 'last'");
	}
	if ((rc = cli_store_open(store_path, NULL, &s.store)))
		return rc;
	if (wr_run_get(s.store, argv[optind], &info, &err) < 0 ||
	    (s.json ? show_json(&s, &info, &err) : show_text(&s, &info, &err)) < 0)
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	wr_store_free(s.store);
	return rc;
}
