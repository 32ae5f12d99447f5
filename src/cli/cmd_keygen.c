/* cmd_keygen.c: warrant keygen [-o PATH] */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant keygen [-o PATH]\n"
	"\n"
	"Makes an Ed25519 key for signing the ledger and attestations: the private\n"
	"key to PATH (PEM, mode 0600) and the public key to PATH.pub. An existing\n"
	"file is never overwritten. Sign with it by setting WARRANT_SIGNING_KEY=PATH\n"
	"for run, resume, approve, reject and attest; check with\n"
	"'warrant ledger verify --key PATH.pub'.\n"
	"\n"
	"options:\n"
	"  -o, --out PATH   where to write the private key (default: warrant-signing.pem)\n"
	"  -h, --help       this help\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "warrant-signing.pem";
	char id[WR_HASH_HEX];
	struct wr_err err;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	}
	if (wr_keygen(path, id, &err) < 0)
		return cli_fail(err.code == WR_EIO ? WR_EXIT_USAGE : cli_exit_for(err.code), "%s",
		                err.msg);
	printf("private key  %s (keep it secret)\npublic key   %s.pub\nkey id       %s\n",
	       path, path, id);
	printf("sign with:   export WARRANT_SIGNING_KEY=%s\n", path);
	return 0;
}
