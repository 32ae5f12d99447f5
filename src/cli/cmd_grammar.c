/* cmd_grammar.c: warrant grammar [--strict] SCHEMA.json
 *                warrant grammar --check FILE.gbnf...
 *
 * Prints the GBNF grammar that constrains a local model's output to a JSON
 * Schema, or checks hand-written grammar files. Exit codes: 0 done (every
 * file fine), 2 (WR_EXIT_USAGE) bad usage, an unreadable file, bad JSON, a
 * schema the grammar cannot express, or a grammar file with an error, which
 * is named with line and column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: warrant grammar [--strict] SCHEMA.json\n"
	        "       warrant grammar --check FILE.gbnf...\n"
	        "\n"
	        "Prints the GBNF grammar of the JSON documents a local model may generate\n"
	        "under SCHEMA (properties in the schema's order, bounded whitespace), or\n"
	        "checks grammar files: every rule defined, no left recursion, every rule\n"
	        "able to finish.\n"
	        "\n"
	        "  --strict  refuse keywords the grammar cannot enforce (pattern, format,\n"
	        "            numeric bounds, ...) instead of leaving them to the schema check\n"
	        "  --check   check FILE.gbnf... and print \"FILE: ok\" for each good one\n"
	        "\n"
	        "exit: 0 done, 2 bad usage, unreadable input or an invalid schema or grammar\n");
}

int cmd_grammar(int argc, char **argv)
{
	struct wr_err err = { 0 };
	int strict = 0, check = 0, i, bad = 0;
	char *text = NULL;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--strict")) {
			strict = 1;
		} else if (!strcmp(argv[i], "--check")) {
			check = 1;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "warrant grammar: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return WR_EXIT_USAGE;
		}
	}
	if (argc - i < 1 || (!check && argc - i != 1) || (check && strict)) {
		usage(stderr);
		return WR_EXIT_USAGE;
	}
	if (check) {
		for (; i < argc; i++) {
			if (wr_grammar_check_file(argv[i], &err) < 0) {
				fprintf(stderr, "warrant grammar: %s\n", err.msg);
				bad = 1;
			} else {
				printf("%s: ok\n", argv[i]);
			}
		}
		return bad ? WR_EXIT_USAGE : WR_EXIT_DONE;
	}
	if (wr_grammar_from_schema_file(argv[i], strict, &text, &err) < 0) {
		fprintf(stderr, "warrant grammar: %s\n", err.msg);
		return WR_EXIT_USAGE;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) == 0 ? WR_EXIT_DONE : WR_EXIT_INTERNAL;
}
