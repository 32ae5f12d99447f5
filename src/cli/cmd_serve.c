/* cmd_serve.c: warrant serve: the review desk, a local web UI (src/web). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "web/web.h"

static const char usage[] =
	"usage: warrant serve [options]\n"
	"\n"
	"Serves the review desk, a web UI over the store: runs (filter by status,\n"
	"workflow, failure class), each run's steps, checks, artifacts, ledger and\n"
	"trace waterfall, each artifact's chain of custody (/artifact/HASH, with the\n"
	"retrieved chunks marked in their documents), the approval queue (approve or\n"
	"reject with a note, under your name, and the run continues as after\n"
	"warrant approve), the failures dashboard and saved eval reports.\n"
	"\n"
	"It prints an address with a random access token; every request needs the\n"
	"token (the address sets a session cookie; or Authorization: Bearer TOKEN).\n"
	"Ctrl-C (SIGINT) or SIGTERM stops it after the requests in flight.\n"
	"\n"
	"options:\n"
	"      --listen HOST:PORT  where to listen (default 127.0.0.1:8080; port 0\n"
	"                          picks a free one)\n"
	"      --token-file F      read the access token from F, or write a new one\n"
	"                          there (mode 0600) when F does not exist\n"
	"      --store PATH        the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"      --reports DIR       show the eval reports saved in DIR (warrant eval --json\n"
	"                          > DIR/NAME.json) on the Evals page\n"
	"  -h, --help              this help\n"
	"\n"
	"With WARRANT_SIGNING_KEY set, the decisions it records are signed.\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "token-file", required_argument, NULL, 't' },
		{ "store", required_argument, NULL, 's' },
		{ "reports", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct web_params p = { .listen = "127.0.0.1:8080" };
	const char *store_opt = NULL;
	char path[4096];
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': p.listen = optarg; break;
		case 't': p.token_file = optarg; break;
		case 's': store_opt = optarg; break;
		case 'r': p.reports_dir = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	if ((rc = cli_store_path(store_opt, NULL, path, sizeof(path))))
		return rc;
	p.store_path = path;
	p.sign_key = getenv("WARRANT_SIGNING_KEY");
	return web_serve(&p);
}
