/* main.c: the warrant command line. One file per command; this one
 * dispatches and prints the overview. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_cmd commands[] = {
	{ "run", cmd_run, "run a workflow" },
	{ "resume", cmd_resume, "continue a run from its last committed state" },
	{ "approve", cmd_approve, "approve an artifact waiting for a person" },
	{ "reject", cmd_reject, "reject an artifact waiting for a person" },
	{ "eval", cmd_eval, "run a suite of cases and report pass rates with intervals" },
	{ "lock", cmd_lock, "eval a suite and pin what passed in warrant.lock" },
	{ "diff", cmd_diff, "what changed in a workflow since warrant.lock" },
	{ "submit", cmd_submit, "queue runs of a workflow as jobs for workers" },
	{ "worker", cmd_worker, "claim queued jobs and run them (any number, any machine)" },
	{ "jobs", cmd_jobs, "count queued, running, done and failed jobs" },
	{ "runs", cmd_runs, "list runs" },
	{ "show", cmd_show, "show a run: status, failure class, steps, checks" },
	{ "why", cmd_why, "an artifact's chain of custody: inputs, prompt, model, checks, approvals" },
	{ "trace", cmd_trace, "a run's spans: waterfall, JSON, or OTLP to a collector" },
	{ "failures", cmd_failures, "count failed runs by class, step and model" },
	{ "ledger", cmd_ledger, "verify or show the hash-chained ledger" },
	{ "index", cmd_index, "index documents for retrieval" },
	{ "search", cmd_search, "find the chunks of indexed documents that match words" },
	{ "check", cmd_check, "validate workflow files" },
	{ "lint", cmd_lint, "workflow and policy problems, and maturity against the skill tree" },
	{ "validate", cmd_validate, "check JSON documents against a JSON Schema" },
	{ "grammar", cmd_grammar, "print the grammar that keeps a local model to a JSON Schema" },
	{ "keygen", cmd_keygen, "make an Ed25519 key for signing the ledger" },
	{ "attest", cmd_attest, "export a signed in-toto attestation of a run" },
	{ "sandbox", cmd_sandbox, "run a program in the OS sandbox (Landlock, seccomp, ...)" },
	{ "serve", cmd_serve, "the review desk: a local web UI for runs and approvals" },
	{ "version", cmd_version, "print the version" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

static void usage(FILE *f)
{
	fprintf(f, "usage: warrant COMMAND [ARGS]   (warrant COMMAND --help for more)\n\n"
	           "Models generate. Checks decide.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nexit codes: 0 done, 1 failed, 2 bad input, 3 rejected, 4 waiting for\n"
	           "approval, 5 budget exceeded, 6 internal error\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return WR_EXIT_USAGE;
	}
	if (cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_fail(WR_EXIT_USAGE, "unknown command '%s' (warrant --help lists them)",
	                argv[1]);
}
