/* test_spec_golden.c: the bad workflows in tests/cases/spec.
 *
 * Each file's first line says which problem must be reported first:
 *
 *     # expect: LINE:COL: message substring
 *
 * The reported line is "PATH:LINE:COL: message", where PATH is the
 * workflow's or, for problems inside a prompt file, that file's. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "spec/spec.h"

#define CASES "tests/cases/spec"

struct first {
	char line[1024];
	int n;
};

static void keep_first(void *ud, const char *msg)
{
	struct first *f = ud;

	if (f->n++ == 0)
		snprintf(f->line, sizeof(f->line), "%s", msg);
}

/* Points at "LINE:COL: ..." in a reported line: past the path, which ends
 * at the first ':' followed by digits, ':', digits, ": ". */
static const char *strip_path(const char *s)
{
	for (const char *p = strchr(s, ':'); p; p = strchr(p + 1, ':')) {
		const char *q = p + 1;

		if (*q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q++ != ':' || *q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q[0] == ':' && q[1] == ' ')
			return p + 1;
	}
	return s;
}

static int run_case(const char *name)
{
	char path[512], want[512], *nl, *msg;
	struct first got = { "", 0 };
	struct spec_params params = { .on_problem = keep_first, .ud = &got };
	struct spec_flow *flow = NULL;
	struct wr_err err = { 0, "" };
	const char *have;
	size_t plen;
	FILE *fp;
	int rc, ok = 1;

	snprintf(path, sizeof(path), CASES "/%s", name);
	fp = fopen(path, "rb");
	if (!fp || !fgets(want, sizeof(want), fp) || strncmp(want, "# expect: ", 10) != 0) {
		t_fail(__FILE__, __LINE__, "%s: no '# expect: ' first line", name);
		if (fp)
			fclose(fp);
		return 0;
	}
	fclose(fp);
	if ((nl = strchr(want, '\n')) != NULL)
		*nl = '\0';
	memmove(want, want + 10, strlen(want + 10) + 1);
	msg = strstr(want, ": ");  /* "LINE:COL" then the substring */
	if (!msg) {
		t_fail(__FILE__, __LINE__, "%s: expect line needs 'LINE:COL: text'", name);
		return 0;
	}
	*msg = '\0';
	msg += 2;
	rc = spec_load(path, &params, &flow, &err);
	spec_free(flow);
	if (rc != WR_ESPEC) {
		t_fail(__FILE__, __LINE__, "%s: rc %d, expected WR_ESPEC", name, rc);
		return 0;
	}
	if (strcmp(err.msg, got.line) != 0) {
		t_fail(__FILE__, __LINE__, "%s: err '%s' is not the first problem '%s'", name,
		       err.msg, got.line);
		ok = 0;
	}
	have = strip_path(got.line);
	plen = strlen(want);
	if (strncmp(have, want, plen) != 0 || strncmp(have + plen, ": ", 2) != 0) {
		t_fail(__FILE__, __LINE__, "%s: first problem '%s', expected at %s", name,
		       got.line, want);
		ok = 0;
	} else if (!strstr(have + plen + 2, msg)) {
		t_fail(__FILE__, __LINE__, "%s: first problem '%s' does not contain '%s'", name,
		       got.line, msg);
		ok = 0;
	}
	return ok;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(spec_golden_bad_workflows)
{
	DIR *d = opendir(CASES);
	struct dirent *e;
	char *names[512];
	size_t n = 0, passed = 0;

	REQUIRE(d != NULL);
	while ((e = readdir(d)) != NULL && n < 512) {
		size_t len = strlen(e->d_name);

		if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	EXPECT(n >= 30);
	for (size_t i = 0; i < n; i++) {
		passed += (size_t)run_case(names[i]);
		free(names[i]);
	}
	EXPECT_INT(passed, n);
}
