/* cmd_search.c: warrant search QUERY: the best chunks from the index. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant search [options] QUERY...\n"
	"\n"
	"Finds the chunks of indexed documents ('warrant index') that best match the\n"
	"words of QUERY (BM25; word forms and accents folded), best first, with their\n"
	"ids, byte spans and scores.\n"
	"\n"
	"options:\n"
	"  -k, --top N          at most N chunks (default 5)\n"
	"      --source GLOB    only chunks of files matching GLOB (contracts/*.md)\n"
	"      --json           machine-readable output, chunk text included\n"
	"      --store PATH     the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help           this help\n";

static int print_hit(void *ud, const struct wr_hit *h)
{
	const int *json = ud;
	char line[121];
	size_t n = 0;

	if (*json) {
		static int first = 1;

		printf("%s{\"id\":", first ? "" : ",");
		first = 0;
		cli_json_str(stdout, h->id);
		printf(",\"source\":");
		cli_json_str(stdout, h->source);
		printf(",\"start\":%" PRId64 ",\"end\":%" PRId64 ",\"score\":%.4f,\"sha256\":\"%s\""
		       ",\"text\":", h->start, h->end, h->score, h->hash);
		{
			char *t = strndup(h->text, h->text_len);

			cli_json_str(stdout, t ? t : "");
			free(t);
		}
		printf("}");
		return 0;
	}
	/* The first line of the chunk, control bytes shown as spaces. */
	for (size_t i = 0; i < h->text_len && n < sizeof(line) - 1; i++)
		line[n++] = (unsigned char)h->text[i] < 0x20 ? ' ' : h->text[i];
	line[n] = '\0';
	printf("%-24s %7.3f  %s [%" PRId64 "..%" PRId64 ")\n    %s%s\n", h->id, h->score,
	       h->source, h->start, h->end, line, h->text_len > n ? "..." : "");
	return 0;
}

int cmd_search(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "top", required_argument, NULL, 'k' },
		{ "source", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_path = NULL, *glob = NULL;
	struct wr_store *store = NULL;
	struct wr_err err;
	char query[2048] = "", *end;
	size_t n = 0;
	long top = 5;
	int c, rc, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			top = strtol(optarg, &end, 10);
			if (*end || end == optarg || top < 1 || top > 1000)
				return cli_fail(WR_EXIT_USAGE, "--top takes 1..1000, not '%s'", optarg);
			break;
		case 'S': glob = optarg; break;
		case 'j': json = 1; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, "search for what? give some words");
	}
	for (int i = optind; i < argc; i++)
		n += (size_t)snprintf(query + n, n < sizeof(query) ? sizeof(query) - n : 0, "%s%s",
		                      i > optind ? " " : "", argv[i]);
	if (n >= sizeof(query))
		return cli_fail(WR_EXIT_USAGE, "the query is too long");
	if ((rc = cli_store_open(store_path, NULL, &store)))
		return rc;
	if (json)
		printf("[");
	if (wr_retrieve(store, query, (int)top, glob, print_hit, &json, &err) < 0)
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
	if (json)
		printf("]\n");
	wr_store_free(store);
	return rc;
}
