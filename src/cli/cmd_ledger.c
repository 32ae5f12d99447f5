/* cmd_ledger.c: warrant ledger verify | show [RUN]. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant ledger verify [--key PUB.pem] [--require-signed] [--store PATH]\n"
	"       warrant ledger show [RUN] [--store PATH]\n"
	"\n"
	"verify  checks the whole hash chain: every entry against its hash, each\n"
	"        link to the one before, the sequence, and the recorded head. Any\n"
	"        edited, deleted or reordered entry is reported; exit 0 only when\n"
	"        the chain verifies, 3 when it does not. Every signature is checked\n"
	"        too: with --key, only that public key's signatures count; with\n"
	"        --require-signed, an unsigned entry is a problem.\n"
	"show    prints the entries (of one run, or all): who decided what, about\n"
	"        which artifact, on which evidence.\n";

static void on_problem(void *ud, const char *msg)
{
	fprintf(stderr, "ledger: %s\n", msg);
}

static int print_entry(void *ud, const struct wr_ledger_entry *e)
{
	char when[32];

	cli_time(e->at_ms, when, sizeof(when));
	printf("%6" PRId64 "  %s  %-22s %-20s %-18s %.12s %s\n", e->seq, when, e->run_id,
	       e->actor, e->action, e->subject[0] ? e->subject : "-", e->evidence);
	return 0;
}

int cmd_ledger(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "require-signed", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_ledger_report rep;
	struct wr_verify_params vp = { NULL, 0 };
	struct wr_store *store = NULL;
	struct wr_err err;
	const char *store_path = NULL, *sub;
	char id[WR_ID_MAX];
	int c, rc;

	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? WR_EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "verify") && strcmp(sub, "show"))
		return cli_fail(WR_EXIT_USAGE, "unknown ledger command '%s' (verify or show)", sub);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': store_path = optarg; break;
		case 'k': vp.trusted_key = optarg; break;
		case 'r': vp.require_signed = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind]);
		}
	}
	optind++;  /* back to argv's numbering */
	if (optind < argc - (strcmp(sub, "show") == 0) || optind > argc)
		return cli_fail(WR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_store_open(store_path, NULL, &store)))
		return rc;
	if (!strcmp(sub, "show")) {
		if (optind < argc && wr_run_find(store, argv[optind], id, &err) < 0) {
			rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
			goto out;
		}
		if (wr_ledger_each(store, optind < argc ? id : NULL, print_entry, NULL, &err) < 0)
			rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	rc = wr_ledger_verify_signed(store, &vp, on_problem, NULL, &rep, &err);
	if (rc == WR_ETAMPER) {
		printf("ledger: FAILED: %" PRId64 " problem(s) in %" PRId64 " entries\n",
		       rep.problems, rep.entries);
		rc = WR_EXIT_REJECTED;
	} else if (rc < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	} else {
		printf("ledger: ok: %" PRId64 " entries (%" PRId64 " signed), head %s\n",
		       rep.entries, rep.signed_entries, rep.entries ? rep.head : "(empty)");
	}
out:
	wr_store_free(store);
	return rc;
}
