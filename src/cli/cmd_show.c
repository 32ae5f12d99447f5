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
	"its artifact, every check with its reason, every model call with its\n"
	"HTTP attempts, every candidate of a step that revises or draws several,\n"
	"tokens, cost and time.\n"
	"RUN is an id, a unique prefix, or 'last'.\n"
	"\n"
	"options:\n"
	"      --json         machine-readable output\n"
	"      --artifacts    print each artifact's content too\n"
	"      --cassette     print the run's exchanges as a cassette for the replay\n"
	"                     provider (JSON: request hash -> response record)\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

struct show {
	struct wr_store *store;
	int json, artifacts, first;
	struct wr_attempt_info *att;  /* every attempt of the run, by call */
	size_t n_att;
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

static int candidate_seen(void *ud, const struct wr_candidate_info *a)
{
	struct show *s = ud;

	s->retried |= a->attempt > 1;
	return 0;
}

static int candidate_text(void *ud, const struct wr_candidate_info *a)
{
	struct show *s = ud;

	printf("  %-14s #%-3d %-10s %-18s %.12s%s\n", a->step_id, a->attempt,
	       wr_state_name(a->state), a->failure ? wr_failure_name(a->failure) : "",
	       a->artifact, a->kept ? "  (kept)" : "");
	if (s->artifacts)
		print_artifact(s, a->artifact);
	return 0;
}

static int candidate_json(void *ud, const struct wr_candidate_info *a)
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

/* --- calls and attempts --- */

static int keep_attempt(void *ud, const struct wr_attempt_info *a)
{
	struct show *s = ud;
	struct wr_attempt_info *t = realloc(s->att, (s->n_att + 1) * sizeof(*t));

	if (!t)
		return 1;
	s->att = t;
	s->att[s->n_att++] = *a;
	return 0;
}

static int load_attempts(struct show *s, const char *run, struct wr_err *err)
{
	return wr_run_attempts(s->store, run, keep_attempt, s, err);
}

static void attempt_text(const struct wr_attempt_info *a)
{
	printf("        attempt %d: %s", a->n, a->kind);
	if (a->status)
		printf(", HTTP %d", a->status);
	if (a->error[0])
		printf(", %s", a->error);
	printf(", %" PRId64 " ms", a->latency_ms);
	if (a->retry_after_ms >= 0)
		printf(", retry-after %" PRId64 " ms", a->retry_after_ms);
	if (a->wait_ms)
		printf(", then waited %" PRId64 " ms", a->wait_ms);
	putchar('\n');
}

static int call_text(void *ud, const struct wr_call_info *c)
{
	struct show *s = ud;

	printf("  #%-3" PRId64 " %-14s %s/%s%s%s%s, %" PRId64 " in, %" PRId64 " out, $%.6f, "
	       "%.3f s, %s%s%s%s\n", c->index, c->step_id, c->provider, c->model,
	       c->api_model[0] ? " (" : "", c->api_model, c->api_model[0] ? ")" : "",
	       c->tokens_in, c->tokens_out, c->cost_usd, c->seconds,
	       c->failure ? wr_failure_name(c->failure) : c->finish,
	       c->failure ? ": " : "", c->failure ? c->detail : "",
	       strcmp(c->served, "provider") ? (!strcmp(c->served, "replay") ? " [replayed]"
	                                                                    : " [cached]") : "");
	printf("       request %.16s", c->request_hash);
	if (c->system_fingerprint[0])
		printf(", fingerprint %s", c->system_fingerprint);
	putchar('\n');
	for (size_t i = 0; i < s->n_att; i++)
		if (s->att[i].call_index == c->index)
			attempt_text(&s->att[i]);
	return 0;
}

static int call_json(void *ud, const struct wr_call_info *c)
{
	struct show *s = ud;
	int first = 1;

	printf("%s\n    {\"index\": %" PRId64 ", \"step\": ", s->first ? "" : ",", c->index);
	s->first = 0;
	cli_json_str(stdout, c->step_id);
	printf(", \"model\": ");
	cli_json_str(stdout, c->model);
	printf(", \"provider\": ");
	cli_json_str(stdout, c->provider);
	printf(", \"api_model\": ");
	cli_json_str(stdout, c->api_model);
	printf(", \"served\": \"%s\", \"request_hash\": \"%s\", \"response_hash\": \"%s\", "
	       "\"tokens_in\": %" PRId64 ", \"tokens_out\": %" PRId64 ", \"cost_usd\": %.9f, "
	       "\"seconds\": %.6f, \"failure\": \"%s\", \"finish\": ", c->served,
	       c->request_hash, c->response_hash, c->tokens_in, c->tokens_out, c->cost_usd,
	       c->seconds, wr_failure_name(c->failure));
	cli_json_str(stdout, c->finish);
	printf(", \"detail\": ");
	cli_json_str(stdout, c->detail);
	printf(", \"system_fingerprint\": ");
	cli_json_str(stdout, c->system_fingerprint);
	printf(", \"attempts\": [");
	for (size_t i = 0; i < s->n_att; i++) {
		const struct wr_attempt_info *a = &s->att[i];

		if (a->call_index != c->index)
			continue;
		printf("%s{\"n\": %d, \"status\": %d, \"start_ms\": %" PRId64 ", \"latency_ms\": %"
		       PRId64 ", \"retry_after_ms\": %" PRId64 ", \"wait_ms\": %" PRId64
		       ", \"kind\": \"%s\", \"error\": ", first ? "" : ", ", a->n, a->status,
		       a->start_ms, a->latency_ms, a->retry_after_ms, a->wait_ms, a->kind);
		cli_json_str(stdout, a->error);
		putchar('}');
		first = 0;
	}
	printf("]}");
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
	printf("\n  ],\n  \"model_calls\": [");
	s->first = 1;
	if (load_attempts(s, r->id, err) < 0 || wr_run_calls(s->store, r->id, call_json, s, err) < 0)
		return -1;
	printf("\n  ],\n  \"attempts\": [");
	s->first = 1;
	if (wr_run_candidates(s->store, r->id, candidate_json, s, err) < 0)
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
	if (wr_run_checks(s->store, r->id, check_text, s, err) < 0)
		return -1;
	printf("\nmodel calls\n");
	if (load_attempts(s, r->id, err) < 0 || wr_run_calls(s->store, r->id, call_text, s, err) < 0 ||
	    wr_run_candidates(s->store, r->id, candidate_seen, s, err) < 0)
		return -1;
	if (!s->retried)
		return 0;
	printf("\nattempts (candidates)\n");
	return wr_run_candidates(s->store, r->id, candidate_text, s, err) < 0 ? -1 : 0;
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "artifacts", no_argument, NULL, 'a' },
		{ "cassette", no_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show s = { 0 };
	struct wr_run_info info;
	struct wr_err err;
	const char *store_path = NULL;
	char *json = NULL;
	int c, rc, cassette = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': s.json = 1; break;
		case 'a': s.artifacts = 1; break;
		case 'c': cassette = 1; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "which run? give its id, a prefix, or 'last'");
	}
	if ((rc = cli_store_open(store_path, NULL, &s.store)))
		return rc;
	if (cassette) {
		if (wr_run_cassette(s.store, argv[optind], &json, &err) < 0)
			rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		else
			printf("%s\n", json);
	} else if (wr_run_get(s.store, argv[optind], &info, &err) < 0 ||
	           (s.json ? show_json(&s, &info, &err) : show_text(&s, &info, &err)) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	}
	free(json);
	free(s.att);
	wr_store_free(s.store);
	return rc;
}
