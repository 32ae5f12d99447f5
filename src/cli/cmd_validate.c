/* cmd_validate.c: warrant validate [--format-assert] [--quiet] SCHEMA DOC...
 *
 * Checks JSON documents against a JSON Schema (draft 2020-12). Exit codes:
 * 0 every document is valid, 3 (WR_EXIT_REJECTED) some are not, 2
 * (WR_EXIT_USAGE) bad usage, an unreadable file, or a file that is not
 * JSON, which is named with line and column. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define DOC_MAX ((size_t)256 << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: warrant validate [--format-assert] [--quiet] SCHEMA.json DOC.json...\n"
	        "\n"
	        "Validates each DOC against SCHEMA (JSON Schema draft 2020-12) and prints\n"
	        "\"DOC: valid\" or \"DOC: invalid\" with one indented line per problem.\n"
	        "\n"
	        "  --format-assert  reject values that break their \"format\" (date-time,\n"
	        "                   date, time, email, uri, uuid, ipv4, ipv6, hostname)\n"
	        "  --quiet          print nothing; the exit code says it all\n"
	        "\n"
	        "exit: 0 all valid, 3 some invalid, 2 bad usage or unreadable input\n");
}

/* Reads a whole file into a malloc'd buffer. NULL with errno on failure. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL, *p;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > DOC_MAX || !(p = realloc(data, cap + 1))) {
				free(data);
				fclose(f);
				errno = cap > DOC_MAX ? EFBIG : ENOMEM;
				return NULL;
			}
			data = p;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* Problems go to a memory stream so the verdict line can come first. */
static void print_error(void *ud, const char *instance_path, const char *schema_path,
                        const char *message)
{
	fprintf(ud, "  %s: %s (schema %s)\n", *instance_path ? instance_path : "/", message,
	        *schema_path ? schema_path : "/");
}

/* Returns 1 valid, 0 invalid, -1 when the document could not be checked. */
static int validate_one(const struct wr_schema *s, const char *path, int quiet)
{
	struct wr_err err = { 0 };
	size_t len = 0;
	char *text = read_all(path, &len);
	int rc;

	if (!text) {
		fprintf(stderr, "warrant validate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (quiet) {
		rc = wr_schema_validate_json(s, text, len, NULL, NULL, &err);
	} else {
		char *lines = NULL;
		size_t size = 0;
		FILE *mem = open_memstream(&lines, &size);

		if (!mem) {
			free(text);
			fprintf(stderr, "warrant validate: %s: %s\n", path, strerror(errno));
			return -1;
		}
		rc = wr_schema_validate_json(s, text, len, print_error, mem, &err);
		fclose(mem);
		if (rc >= 0)
			printf("%s: %s\n%s", path, rc ? "valid" : "invalid", lines ? lines : "");
		free(lines);
	}
	free(text);
	if (rc < 0) {
		fprintf(stderr, "warrant validate: %s:%s\n", path, err.msg);
		return -1;
	}
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	struct wr_schema *s = NULL;
	struct wr_err err = { 0 };
	int format_assert = 0, quiet = 0, i, rc = WR_EXIT_USAGE, bad = 0, invalid = 0;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--format-assert")) {
			format_assert = 1;
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "warrant validate: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return WR_EXIT_USAGE;
		}
	}
	if (argc - i < 2) {
		usage(stderr);
		return WR_EXIT_USAGE;
	}
	if (wr_schema_load(argv[i], format_assert, &s, &err) < 0) {
		fprintf(stderr, "warrant validate: %s\n", err.msg);
		goto out;
	}
	for (int k = i + 1; k < argc; k++) {
		int v = validate_one(s, argv[k], quiet);

		if (v < 0)
			bad = 1;
		else if (v == 0)
			invalid = 1;
	}
	rc = bad ? WR_EXIT_USAGE : invalid ? WR_EXIT_REJECTED : WR_EXIT_DONE;
out:
	wr_schema_free(s);
	return rc;
}
