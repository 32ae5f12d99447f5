/* assert.c: what a suite's case asserts about the artifact a run made.
 *
 *     assert:
 *       - {equals: "ACME Ltd", path: vendor}        # JSON-equal (text without path
 *                                                    # when the artifact is not JSON)
 *       - {number: 120.5, tolerance: 0.01, path: total}   # or tolerance: "1%"
 *       - {similar: "the invoice is overdue", threshold: 0.8}  # 1 - edit distance / length
 *       - {regex: '^INV-'}                           # and contains, not_contains,
 *       - {schema: {type: object}}                   #  json, schema, expr as in checks
 *       - {contains: "EUR", of: extract}             # another generate step's artifact
 *
 * Without of:, an assertion reads the artifact of the workflow's last
 * generate step. The checks are compiled once, when the suite loads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "check/jpath.h"
#include "core/err.h"
#include "eval/suite.h"

#define SIMILAR_MAX 4096   /* bytes compared by edit distance */

static const struct {
	const char *key;
	enum check_kind kind;
} check_keys[] = {
	{ "contains", CHECK_CONTAINS }, { "not_contains", CHECK_NOT_CONTAINS },
	{ "regex", CHECK_REGEX }, { "json", CHECK_JSON }, { "schema", CHECK_SCHEMA },
	{ "expr", CHECK_EXPR },
};

static int kind_key(const char *k)
{
	for (size_t i = 0; i < sizeof(check_keys) / sizeof(check_keys[0]); i++)
		if (!strcmp(check_keys[i].key, k))
			return (int)i;
	return -1;
}

static int why(char *out, size_t size, const char *msg)
{
	snprintf(out, size, "%s", msg);
	return -1;
}

static int parse_tolerance(json_t *t, struct suite_assert *a, char *out, size_t size)
{
	const char *s;
	char *end;

	if (!t)
		return 0;
	if (json_is_number(t) && json_number_value(t) >= 0) {
		a->tolerance = json_number_value(t);
		return 0;
	}
	s = json_string_value(t);
	if (s && (a->tolerance = strtod(s, &end)) >= 0 && end != s && !strcmp(end, "%")) {
		a->tolerance /= 100;
		a->relative = 1;
		return 0;
	}
	return why(out, size, "tolerance is a non-negative number, or a percentage (\"1%\")");
}

int assert_parse(json_t *o, struct suite_assert *a, char *out, size_t size)
{
	const char *k, *what = NULL;
	json_t *v, *path, *of;
	int ck = -1;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o))
		return why(out, size, "an assertion is a mapping, such as {equals: 12, path: total}");
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "path") || !strcmp(k, "of") || !strcmp(k, "tolerance") ||
		    !strcmp(k, "threshold"))
			continue;
		if (what)
			return why(out, size, "an assertion asserts one thing (equals, number, similar, "
			           "contains, not_contains, regex, json, schema or expr)");
		what = k;
	}
	if (!what)
		return why(out, size, "an assertion needs one of equals, number, similar, contains, "
		           "not_contains, regex, json, schema, expr");
	v = json_object_get(o, what);
	path = json_object_get(o, "path");
	of = json_object_get(o, "of");
	if ((path && !json_is_string(path)) || (of && !json_is_string(of)))
		return why(out, size, "path and of are strings");
	if (path) {
		size_t bad = 0, n = json_string_length(path);
		char msg[128];

		if (jpath_scan(json_string_value(path), n, &bad, msg, sizeof(msg)) != n) {
			snprintf(out, size, "path '%s': %s", json_string_value(path), msg);
			return -1;
		}
		a->path = strdup(json_string_value(path));
	}
	a->of = of ? strdup(json_string_value(of)) : NULL;
	a->value = json_incref(v);
	if (!strcmp(what, "equals")) {
		a->kind = ASSERT_EQUALS;
	} else if (!strcmp(what, "number")) {
		a->kind = ASSERT_NUMBER;
		if (!json_is_number(v))
			return why(out, size, "number is a number");
		if (parse_tolerance(json_object_get(o, "tolerance"), a, out, size) < 0)
			return -1;
	} else if (!strcmp(what, "similar")) {
		json_t *t = json_object_get(o, "threshold");

		a->kind = ASSERT_SIMILAR;
		a->threshold = t ? json_number_value(t) : 0.8;
		if (!json_is_string(v) || (t && (!json_is_number(t) || a->threshold < 0 ||
		                                 a->threshold > 1)))
			return why(out, size, "similar is a string, its threshold 0..1 (default 0.8)");
	} else if ((ck = kind_key(what)) >= 0) {
		struct wr_err err = { 0, "" };
		size_t off = 0;

		a->kind = ASSERT_CHECK;
		a->check.kind = check_keys[ck].kind;
		if (a->check.kind == CHECK_SCHEMA)
			a->text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		else if (json_is_string(v))
			a->text = strdup(json_string_value(v));
		else if (a->check.kind != CHECK_JSON)
			return why(out, size, "the check's argument is a string");
		a->check.arg = a->text;
		if (check_compile_at(&a->check, &off, &err) < 0) {
			snprintf(out, size, "%s: %s", what, err.msg);
			return -1;
		}
		a->compiled = 1;
	} else {
		snprintf(out, size, "'%s' is not an assertion (equals, number, similar, contains, "
		         "not_contains, regex, json, schema, expr)", what);
		return -1;
	}
	if (a->kind != ASSERT_NUMBER && json_object_get(o, "tolerance"))
		return why(out, size, "tolerance goes with number");
	return 0;
}

void assert_release(struct suite_assert *a)
{
	if (a->compiled)
		check_release(&a->check);
	json_decref(a->value);
	free(a->path);
	free(a->of);
	free(a->text);
	memset(a, 0, sizeof(*a));
}

/* --- running --- */

/* 1 - Levenshtein distance / the longer length, over bytes. */
static double similarity(const char *a, size_t na, const char *b, size_t nb)
{
	size_t *row, longer;
	double s;

	na = na > SIMILAR_MAX ? SIMILAR_MAX : na;
	nb = nb > SIMILAR_MAX ? SIMILAR_MAX : nb;
	longer = na > nb ? na : nb;
	if (!longer)
		return 1;
	if (!(row = malloc((nb + 1) * sizeof(*row))))
		return 0;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	s = 1.0 - (double)row[nb] / (double)longer;
	free(row);
	return s;
}

static void shown(json_t *v, char *out, size_t size)
{
	char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS |
	                            JSON_REAL_PRECISION(15)) : NULL;

	snprintf(out, size, "%.80s%s", t ? t : "nothing", t && strlen(t) > 80 ? "..." : "");
	free(t);
}

/* The value an assertion looks at: the artifact's JSON (or text), or what
 * its path selects. A new reference, or NULL with the reason. */
static json_t *subject(const struct suite_assert *a, const char *bytes, size_t len,
                       char *reason, size_t size)
{
	json_t *doc = json_loadb(bytes, len, JSON_DECODE_ANY, NULL), *sel, *v = NULL;

	if (!a->path)
		return doc ? doc : json_stringn(bytes, len);
	if (!doc) {
		snprintf(reason, size, "the artifact is not JSON, so it has no '%s'", a->path);
		return NULL;
	}
	sel = json_array();
	if (sel && jpath_select(a->path, strlen(a->path), doc, sel) >= 0 &&
	    json_array_size(sel) == 1)
		v = json_incref(json_array_get(sel, 0));
	else
		snprintf(reason, size, "'%s' selects %zu values, not one", a->path,
		         sel ? json_array_size(sel) : 0);
	json_decref(sel);
	json_decref(doc);
	return v;
}

int assert_run(const struct suite_assert *a, const char *bytes, size_t len, char *reason,
               size_t size)
{
	char want[100], got[100];
	json_t *v;
	int ok = 0;

	if (a->kind == ASSERT_CHECK) {
		struct check_result r;

		check_run(&a->check, bytes, len, &r);
		snprintf(reason, size, "%s", r.reason);
		return r.passed;
	}
	if (!(v = subject(a, bytes, len, reason, size)))
		return 0;
	shown(a->value, want, sizeof(want));
	shown(v, got, sizeof(got));
	if (a->kind == ASSERT_EQUALS) {
		/* text compared as text: a trailing newline is not a difference */
		if (json_is_string(v) && json_is_string(a->value)) {
			size_t n = json_string_length(v);
			const char *s = json_string_value(v);

			while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
				n--;
			ok = n == json_string_length(a->value) &&
			     !memcmp(s, json_string_value(a->value), n);
		} else {
			ok = json_equal(v, a->value);
		}
		snprintf(reason, size, "%s %s %s", got, ok ? "equals" : "is not", want);
	} else if (a->kind == ASSERT_NUMBER) {
		double x = json_number_value(a->value), y = json_number_value(v);
		double tol = a->relative ? a->tolerance * fabs(x) : a->tolerance;

		ok = json_is_number(v) && fabs(y - x) <= tol;
		snprintf(reason, size, "%s is %swithin %g of %s", got, ok ? "" : "not ", tol, want);
	} else {
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		double sim = s ? similarity(s, json_string_length(v), json_string_value(a->value),
		                            json_string_length(a->value)) : 0;

		ok = s && sim >= a->threshold;
		snprintf(reason, size, "similarity %.2f to %s is %s the threshold %.2f", sim, want,
		         ok ? "at or above" : "below", a->threshold);
	}
	json_decref(v);
	return ok;
}
