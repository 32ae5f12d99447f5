/* test_schema_cases.c: runs every data-driven case in tests/cases/schema.
 *
 * A case file is a JSON array of groups:
 *
 *     [{"description": "...", "schema": {...}, "format_assert": false,
 *       "compile_error": false,
 *       "tests": [{"description": "...", "data": ..., "valid": true}]}]
 *
 * Each data value is validated twice, stopping at the first error and
 * collecting all of them, and both verdicts must agree with "valid". An
 * invalid document must come with at least one error. */
#include <dirent.h>
#include <stdlib.h>

#include "check/schema.h"
#include "harness.h"

#define CASE_DIR "tests/cases/schema"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_test(const char *file, const char *group, const struct schema *s, json_t *t,
                     int *count)
{
	struct schema_error errs[16];
	const char *desc = json_string_value(json_object_get(t, "description"));
	int want = json_is_true(json_object_get(t, "valid")), n = -1, got;
	json_t *data = json_object_get(t, "data");

	(*count)++;
	got = schema_validate(s, data, errs, 1, &n);
	if (got != want)
		t_fail(file, 0, "%s / %s: got %d, expected %d", group, desc ? desc : "?", got, want);
	else if (!got && n != 1)
		t_fail(file, 0, "%s / %s: invalid with %d errors", group, desc ? desc : "?", n);
	got = schema_validate(s, data, errs, 16, &n);
	if (got != want)
		t_fail(file, 0, "%s / %s (all errors): got %d, expected %d", group, desc ? desc : "?",
		       got, want);
	got = schema_validate(s, data, NULL, 0, NULL);
	if (got != want)
		t_fail(file, 0, "%s / %s (no errors): got %d", group, desc ? desc : "?", got);
}

static void run_file(const char *path, int *count)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *g;
	size_t gi;

	if (!json_is_array(root)) {
		t_fail(path, je.line, "cannot load: %s", je.text);
		json_decref(root);
		return;
	}
	json_array_foreach(root, gi, g) {
		struct schema_params p = schema_default_params();
		const char *desc = json_string_value(json_object_get(g, "description"));
		int want_error = json_is_true(json_object_get(g, "compile_error"));
		struct schema *s = NULL;
		struct wr_err err = { 0 };
		json_t *t;
		size_t ti;
		int rc;

		p.format_assert = json_is_true(json_object_get(g, "format_assert"));
		rc = schema_compile(json_object_get(g, "schema"), &p, &s, &err);
		if (want_error) {
			(*count)++;
			if (rc >= 0)
				t_fail(path, 0, "%s: compiled, expected an error", desc ? desc : "?");
			schema_free(s);
			continue;
		}
		if (rc < 0) {
			t_fail(path, 0, "%s: compile: %s", desc ? desc : "?", err.msg);
			continue;
		}
		json_array_foreach(json_object_get(g, "tests"), ti, t)
			run_test(path, desc ? desc : "?", s, t, count);
		schema_free(s);
	}
	json_decref(root);
}

TEST(schema_cases_all_files)
{
	DIR *d = opendir(CASE_DIR);
	struct dirent *de;
	char *names[256];
	int n = 0, count = 0;

	REQUIRE(d != NULL);
	while ((de = readdir(d)) && n < 256) {
		size_t len = strlen(de->d_name);

		if (len > 5 && !strcmp(de->d_name + len - 5, ".json"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), name_cmp);
	for (int i = 0; i < n; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", CASE_DIR, names[i]);
		run_file(path, &count);
		free(names[i]);
	}
	EXPECT(n >= 10);
	EXPECT(count >= 250);
	printf("  schema cases: %d in %d files\n", count, n);
}
