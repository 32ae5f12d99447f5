/* cmd_why.c: warrant why ARTIFACT: its chain of custody. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant why ARTIFACT [--json] [--store PATH]\n"
	"\n"
	"Prints an artifact's chain of custody: the run that made it (workflow and\n"
	"inputs hashes, inputs, seed), the model call (model, provider, the request's\n"
	"system message and prompt, tokens, cost), every check on it and every\n"
	"ledger entry about it (approvals, the ship). ARTIFACT is its SHA-256, or\n"
	"at least its first 8 hex digits ('warrant show RUN' lists them).\n"
	"\n"
	"options:\n"
	"      --json         the whole chain as JSON, requests included\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

int cmd_why(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_path = NULL;
	struct wr_store *store = NULL;
	struct wr_err err;
	char *text = NULL;
	int c, rc, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, optind >= argc ? "which artifact? give its SHA-256 "
		                "or its first 8 digits" : "one artifact at a time");
	}
	if ((rc = cli_store_open(store_path, NULL, &store)))
		return rc;
	if (wr_why(store, argv[optind], json, &text, &err) < 0)
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	else
		fputs(text, stdout);
	if (json && text)
		putchar('\n');
	free(text);
	wr_store_free(store);
	return rc;
}
