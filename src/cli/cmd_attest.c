/* cmd_attest.c: warrant attest RUN [-o FILE] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant attest RUN [-o FILE] [--store PATH]\n"
	"\n"
	"Exports the run's provenance as an in-toto Statement v1 in a DSSE\n"
	"envelope, signed with the key in WARRANT_SIGNING_KEY. Subjects are the\n"
	"artifacts the run shipped (name: destination, digest: sha256 of the\n"
	"artifact); the predicate holds the workflow and inputs hashes, every step,\n"
	"every check and the run's ledger entries. RUN is an id, a unique prefix,\n"
	"or 'last'.\n"
	"\n"
	"options:\n"
	"  -o, --out FILE   write the envelope to FILE (default: standard output)\n"
	"      --store PATH the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help       this help\n";

int cmd_attest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL, *store_path = NULL;
	struct wr_store *store = NULL;
	struct wr_err err;
	char id[WR_ID_MAX], *env = NULL;
	FILE *f;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, optind >= argc ? "which run? give its id, a prefix, "
		                "or 'last'" : "one run at a time");
	}
	if (!getenv("WARRANT_SIGNING_KEY") || !getenv("WARRANT_SIGNING_KEY")[0])
		return cli_fail(WR_EXIT_USAGE, "an attestation is signed: set WARRANT_SIGNING_KEY "
		                "to a key file ('warrant keygen' makes one)");
	if ((rc = cli_store_open_signed(store_path, NULL, &store)))
		return rc;
	if (wr_run_find(store, argv[optind], id, &err) < 0 ||
	    wr_attest(store, id, &env, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	if (!out_path) {
		if (printf("%s\n", env) < 0 || fflush(stdout) != 0)
			rc = cli_fail(WR_EXIT_INTERNAL, "standard output: write failed");
	} else if (!(f = fopen(out_path, "w"))) {
		rc = cli_fail(WR_EXIT_USAGE, "%s: cannot write", out_path);
	} else {
		int bad = fprintf(f, "%s\n", env) < 0;

		if (fclose(f) != 0 || bad)
			rc = cli_fail(WR_EXIT_INTERNAL, "%s: write failed", out_path);
	}
out:
	free(env);
	wr_store_free(store);
	return rc;
}
