/* cmd_decide.c: warrant approve RUN STEP, warrant reject RUN STEP. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char approve_usage[] =
	"usage: warrant approve RUN STEP [options]\n"
	"\n"
	"Approves the verified artifact waiting at approve step STEP (or the tool\n"
	"call a generate step STEP waits on), records the decision in the ledger\n"
	"under your name, and continues the run.\n"
	"\n"
	"options:\n"
	"      --as NAME      who approves (default: $USER)\n"
	"      --note TEXT    a note for the record\n"
	"      --no-resume    record the approval only; continue later with resume\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -q, --quiet        no progress lines\n"
	"  -h, --help         this help\n";

static const char reject_usage[] =
	"usage: warrant reject RUN STEP --reason TEXT [options]\n"
	"\n"
	"Rejects the artifact waiting at approve step STEP. The artifact becomes\n"
	"rejected (failure class rejected_by_human) and the run ends; the reason\n"
	"goes to the ledger under your name. For a tool call a generate step waits\n"
	"on, the call is denied and 'warrant resume RUN' goes on without it.\n"
	"\n"
	"options:\n"
	"      --reason TEXT  why (required)\n"
	"      --as NAME      who rejects (default: $USER)\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

int cli_decide(struct wr_store *store, const char *run_ref, const char *step,
               enum wr_decision d, const char *actor, const char *note,
               char id[WR_ID_MAX], struct wr_err *err)
{
	int rc;

	if (d == WR_REJECT && (!note || !note[0])) {
		if (err) {
			err->code = WR_EINVAL;
			snprintf(err->msg, sizeof(err->msg), "a rejection needs a reason");
		}
		return WR_EINVAL;
	}
	if ((rc = wr_run_find(store, run_ref, id, err)) < 0)
		return rc;
	return wr_decide(store, id, step, d, actor, note, err);
}

static int decide(int argc, char **argv, enum wr_decision d)
{
	static const struct option longopts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "note", required_argument, NULL, 'n' },
		{ "reason", required_argument, NULL, 'r' },
		{ "no-resume", no_argument, NULL, 'N' },
		{ "store", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = d == WR_APPROVE ? approve_usage : reject_usage;
	const char *as = cli_user(), *note = NULL, *store_path = NULL;
	struct wr_store *store = NULL;
	struct wr_err err;
	int c, rc, resume = d == WR_APPROVE, quiet = 0;
	char id[WR_ID_MAX];

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': as = optarg; break;
		case 'n':
		case 'r': note = optarg; break;
		case 'N': resume = 0; break;
		case 's': store_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 2) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "give the run and the approve step");
	}
	if (d == WR_REJECT && (!note || !note[0]))
		return cli_fail(WR_EXIT_USAGE, "a rejection needs --reason TEXT");
	if (!as[0])
		return cli_fail(WR_EXIT_USAGE, "--as needs a name");
	if ((rc = cli_store_open_signed(store_path, NULL, &store)))
		return rc;
	if (cli_decide(store, argv[optind], argv[optind + 1], d, as, note, id, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	printf("run %s: step '%s' %s by %s\n", id, argv[optind + 1],
	       d == WR_APPROVE ? "approved" : "rejected", as);
	rc = d == WR_APPROVE ? WR_EXIT_WAITING : WR_EXIT_REJECTED;
	if (resume)
		rc = cli_resume(store, id, quiet, 0, NULL);
out:
	wr_store_free(store);
	return rc;
}

int cmd_approve(int argc, char **argv)
{
	return decide(argc, argv, WR_APPROVE);
}

int cmd_reject(int argc, char **argv)
{
	return decide(argc, argv, WR_REJECT);
}
