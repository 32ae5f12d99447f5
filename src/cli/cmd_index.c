/* cmd_index.c: warrant index PATH...: documents into the source index. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant index [options] PATH...\n"
	"\n"
	"Indexes documents for retrieval: files, directories (recursive; hidden ones\n"
	"skipped) and globs of plain text, Markdown, JSON and CSV. Each chunk gets a\n"
	"stable id (contract#12: the twelfth chunk of contract.md), its byte span and\n"
	"its hash. Running it again reads only files that changed, and forgets\n"
	"files gone from the directories named.\n"
	"\n"
	"options:\n"
	"      --root DIR       chunk ids are paths relative to DIR (default: .)\n"
	"      --chunk MODE     paragraph (default), heading (Markdown sections) or size\n"
	"      --max-bytes N    the longest chunk (default 1500)\n"
	"  -q, --quiet          no line per file\n"
	"      --store PATH     the store (default: $WARRANT_STORE or ./.warrant/warrant.db,\n"
	"                       made if missing)\n"
	"  -h, --help           this help\n";

static void on_file(void *ud, const char *path, const char *what)
{
	const int *quiet = ud;

	if (!*quiet)
		fprintf(stderr, "%-10s %s\n", what, path);
}

int cmd_index(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_index_params p = { NULL, 0, NULL, NULL, 0 };
	struct wr_index_report rep;
	struct wr_store *store = NULL;
	struct wr_err err;
	const char *store_path = NULL;
	char *end;
	long v;
	int c, rc, quiet = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': p.root = optarg; break;
		case 'c': p.chunk = optarg; break;
		case 'm':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 64 || v > 1000000)
				return cli_fail(WR_EXIT_USAGE, "--max-bytes takes 64..1000000, not '%s'",
				                optarg);
			p.max_bytes = (size_t)v;
			break;
		case 'q': quiet = 1; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "what to index? give files or directories");
	}
	p.paths = (const char *const *)argv + optind;
	p.n_paths = (size_t)(argc - optind);
	/* The store beside "./" when none is named: made here if missing. */
	if ((rc = cli_store_open(store_path, "./index", &store)))
		return rc;
	if (wr_index(store, &p, on_file, &quiet, &rep, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	printf("%d files: %d indexed, %d unchanged, %d removed; %" PRId64 " chunks from "
	       "%.1f MB in %.2f s (%.1f MB/s)\n", rep.files, rep.indexed, rep.unchanged,
	       rep.removed, rep.chunks, (double)rep.bytes / 1e6, rep.seconds,
	       rep.seconds > 0 ? (double)rep.bytes / 1e6 / rep.seconds : 0.0);
out:
	wr_store_free(store);
	return rc;
}
