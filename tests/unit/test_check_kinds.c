/* test_check_kinds.c: schema, cites, expr and command checks, pass and
 * fail, each with its failure class; the expression language and the
 * normalisation behind cites. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "check/cites.h"
#include "check/expr.h"
#include "check/jpath.h"
#include "harness.h"

static struct check_result run_c(struct spec_check *c, const struct check_ctx *ctx,
                                 const char *text)
{
	struct check_result r;
	struct wr_err e = { 0, "" };

	memset(&r, 0, sizeof(r));
	if (check_compile(c, &e) < 0) {
		r.passed = -1;
		snprintf(r.reason, sizeof(r.reason), "%s", e.msg);
		return r;
	}
	check_run_ctx(c, ctx, text, strlen(text), &r);
	check_release(c);
	return r;
}

/* --- schema --- */

TEST(check_schema_pass_and_fail)
{
	struct spec_check c = { .kind = CHECK_SCHEMA,
		.arg = "{\"type\":\"object\",\"required\":[\"total\"],"
		       "\"properties\":{\"total\":{\"type\":\"number\",\"minimum\":0}}}" };
	struct check_result r = run_c(&c, NULL, "{\"total\": 12.5}");

	EXPECT_INT(r.passed, 1);
	r = run_c(&c, NULL, "{\"total\": -1}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_SCHEMA_INVALID);
	EXPECT_CONTAINS(r.reason, "at /total");                   /* instance path */
	EXPECT_CONTAINS(r.reason, "/properties/total/minimum");   /* schema path */
	r = run_c(&c, NULL, "{}");
	EXPECT_INT(r.passed, 0);
	EXPECT_CONTAINS(r.reason, "required");
	r = run_c(&c, NULL, "{\"total\": ");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_SCHEMA_INVALID);
	EXPECT_CONTAINS(r.reason, "not valid JSON");
}

TEST(check_schema_bad_schema_fails_to_compile)
{
	struct spec_check c = { .kind = CHECK_SCHEMA, .arg = "{\"type\": 12}" };
	struct spec_check d = { .kind = CHECK_SCHEMA, .arg = "{\"type\": " };
	struct wr_err e = { 0, "" };

	EXPECT_INT(check_compile(&c, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "bad schema");
	EXPECT_INT(check_compile(&d, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "not valid JSON");
}

/* --- cites --- */

static const char *norm(const char *s, struct buf *b)
{
	buf_reset(b);
	cites_normalize(s, strlen(s), b);
	return b->data;
}

TEST(cites_normalize_folds_space_quotes_dashes_accents)
{
	struct buf b = BUF_INIT;

	EXPECT_STR(norm("  a \t\n b  ", &b), "a b");
	EXPECT_STR(norm("\xe2\x80\x9cquoted\xe2\x80\x9d and \xe2\x80\x98single\xe2\x80\x99", &b),
	           "\"quoted\" and 'single'");
	EXPECT_STR(norm("2019\xe2\x80\x93" "2020 \xe2\x80\x94 en", &b), "2019-2020 - en");
	EXPECT_STR(norm("wait\xe2\x80\xa6", &b), "wait...");
	EXPECT_STR(norm("no\xc2\xa0" "break", &b), "no break");
	EXPECT_STR(norm("zero\xe2\x80\x8bwidth", &b), "zerowidth");
	/* e + combining acute == precomposed e-acute */
	EXPECT_STR(norm("cafe\xcc\x81", &b), "caf\xc3\xa9");
	EXPECT_STR(norm("\xff raw", &b), "\xff raw");
	buf_release(&b);
}

TEST(check_cites_pass_and_fail)
{
	struct spec_check c = { .kind = CHECK_CITES, .file = "notes.txt",
		.source = "The board said the \"budget is\n  final\" \xe2\x80\x94 and closed.",
		.n_paths = 1 };
	const char *paths[] = { "claims[*].quote", NULL };
	struct check_result r;

	c.paths = paths;
	r = run_c(&c, NULL, "{\"claims\": [{\"quote\": \"the \xe2\x80\x9c" "budget is final\xe2\x80\x9d"
	                    " - and closed\"}]}");
	EXPECT_INT(r.passed, 1);
	EXPECT_CONTAINS(r.reason, "all 1 claims found in notes.txt");
	r = run_c(&c, NULL, "{\"claims\": [{\"quote\": \"budget is final\"}, "
	                    "{\"quote\": \"budget is doubled\"}]}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_UNSUPPORTED_CLAIM);
	EXPECT_CONTAINS(r.reason, "1 of 2 claims not found in notes.txt");
	EXPECT_CONTAINS(r.reason, "budget is doubled");
	r = run_c(&c, NULL, "{\"claims\": []}");
	EXPECT_INT(r.passed, 0);   /* nothing cited is not support */
	EXPECT_INT(r.failure, WR_FAIL_UNSUPPORTED_CLAIM);
	r = run_c(&c, NULL, "{\"claims\": [{\"quote\": 3}]}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_UNSUPPORTED_CLAIM);
}

TEST(check_cites_from_an_input)
{
	json_t *inputs = json_pack("{s:s}", "notes", "Revenue grew 4% in Q3.");
	struct check_ctx ctx = { inputs, NULL, NULL, NULL };
	const char *paths[] = { "quote", NULL };
	struct spec_check c = { .kind = CHECK_CITES, .input = "notes", .paths = paths,
	                        .n_paths = 1 };
	struct check_result r = run_c(&c, &ctx, "{\"quote\": \"grew 4%\"}");

	EXPECT_INT(r.passed, 1);
	r = run_c(&c, &ctx, "{\"quote\": \"grew 40%\"}");
	EXPECT_INT(r.passed, 0);
	EXPECT_CONTAINS(r.reason, "grew 40%");
	r = run_c(&c, NULL, "{\"quote\": \"grew 4%\"}");
	EXPECT_INT(r.failure, WR_FAIL_CONTEXT_MISSING);
	json_decref(inputs);
}

/* --- paths and expressions --- */

TEST(jpath_select_and_scan)
{
	json_t *doc = json_loads("{\"a\": {\"b c\": [1, 2, 3]}, \"items\": [{\"x\": 1}, "
	                         "{\"x\": 2}]}", 0, NULL);
	json_t *out = json_array();
	size_t bad;
	char why[100];

	EXPECT_INT(jpath_select("items[*].x", 10, doc, out), 1);
	EXPECT_INT((int)json_array_size(out), 2);
	json_array_clear(out);
	EXPECT_INT(jpath_select("a[\"b c\"][-1]", 12, doc, out), 0);
	EXPECT_INT((int)json_integer_value(json_array_get(out, 0)), 3);
	json_array_clear(out);
	EXPECT_INT(jpath_select("$.missing.x", 11, doc, out), 0);
	EXPECT_INT((int)json_array_size(out), 0);
	EXPECT_INT((int)jpath_scan("items[", 6, &bad, why, sizeof(why)), 0);
	EXPECT_INT((int)bad, 6);
	EXPECT_INT((int)jpath_scan("a.b > 1", 7, &bad, why, sizeof(why)), 3);
	json_decref(out);
	json_decref(doc);
}

static int ev(const char *src, const char *json, char *why)
{
	struct expr *x = NULL;
	struct wr_err e = { 0, "" };
	size_t off;
	json_t *doc = json_loads(json, JSON_DECODE_ANY, NULL);
	int rc;

	if (expr_parse(src, &x, &off, &e) < 0) {
		snprintf(why, 300, "%s", e.msg);
		json_decref(doc);
		return -2;
	}
	rc = expr_eval(x, doc, why, 300);
	expr_free(x);
	json_decref(doc);
	return rc;
}

TEST(expr_evaluates)
{
	const char *doc = "{\"total\": 0.3, \"items\": [{\"amount\": 0.1, \"ok\": true}, "
	                  "{\"amount\": 0.2, \"ok\": false}], \"name\": \"Acme\", \"n\": null}";
	char why[300];

	EXPECT_INT(ev("sum(items[*].amount) == total", doc, why), 1);  /* within 1e-9 */
	EXPECT_INT(ev("length(items) == 2 and length(name) == 4", doc, why), 1);
	EXPECT_INT(ev("length(items) > 2 or name == 'Acme'", doc, why), 1);
	EXPECT_INT(ev("not (total > 1)", doc, why), 1);
	EXPECT_INT(ev("max(items[*].amount) - min(items[*].amount) < 0.15", doc, why), 1);
	EXPECT_INT(ev("count(items[*].ok) == 1", doc, why), 1);
	EXPECT_INT(ev("n == null and missing == null", doc, why), 1);
	EXPECT_INT(ev("-total + 1 >= 0.7 and abs(-2) == 2 and 7 % 4 == 3", doc, why), 1);
	EXPECT_INT(ev("name < \"Zed\" and items[0].ok", doc, why), 1);
	EXPECT_INT(ev("total == 0.4", doc, why), 0);
	EXPECT_INT(ev("name > 3", doc, why), -1);
	EXPECT_CONTAINS(why, "cannot compare a string > a number");
	EXPECT_INT(ev("total", doc, why), -1);
	EXPECT_CONTAINS(why, "not true or false");
	EXPECT_INT(ev("sum(name) > 0", doc, why), -1);
	EXPECT_INT(ev("total / 0 > 1", doc, why), -1);
	EXPECT_CONTAINS(why, "division by zero");
	EXPECT_INT(ev("false and (1 / 0 > 1)", doc, why), 0);  /* short-circuits */
}

TEST(expr_depth_is_bounded)
{
	char deep[2100], why[300];
	struct expr *x = NULL;
	struct wr_err e = { 0, "" };
	size_t off;

	memset(deep, '(', 1000);
	memcpy(deep + 1000, "1", 2);
	EXPECT_INT(expr_parse(deep, &x, &off, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "nests too deeply");
	EXPECT_INT(ev("((((((((((1 < 2))))))))))", "{}", why), 1);
}

static void parse_err(const char *src, size_t want_off, const char *want)
{
	struct expr *x = NULL;
	struct wr_err e = { 0, "" };
	size_t off = 99;

	EXPECT_INT(expr_parse(src, &x, &off, &e), WR_ESPEC);
	EXPECT_INT((int)off, (int)want_off);
	EXPECT_CONTAINS(e.msg, want);
	expr_free(x);
}

TEST(expr_parse_errors_have_offsets)
{
	parse_err("total >", 7, "ends too early");
	parse_err("total = 3", 6, "use '=='");
	parse_err("a && b", 2, "use 'and' and 'or'");
	parse_err("(a > 1", 6, "expected ')'");
	parse_err("lenght(items) > 1", 0, "unknown function 'lenght'");
	parse_err("a > 'open", 4, "unterminated string");
	parse_err("items[ > 1", 6, "expected an index");
	parse_err("a b", 2, "unexpected 'b'");
}

/* --- command --- */

TEST(check_command_exit_codes_and_classes)
{
	const char *ok_argv[] = { "/bin/sh", "-c", "grep -q total && grep -q total \"$1\"",
	                          "sh", "{artifact}", NULL };
	const char *bad_argv[] = { "/bin/sh", "-c", "echo 'first line'; echo 'missing total' >&2; "
	                           "exit 2", NULL };
	const char *env_argv[] = { "/bin/sh", "-c", "test -z \"$WR_SECRET_TEST\" && "
	                           "test \"$(pwd)\" = \"$HOME\" && test -f \"$WARRANT_ARTIFACT\"",
	                           NULL };
	const char *fds_argv[] = { "/bin/sh", "-c", "test \"$(ls /proc/self/fd | wc -l)\" -le 4",
	                           NULL };
	const char *none_argv[] = { "no-such-program-warrant", NULL };
	const char *slow_argv[] = { "/bin/sh", "-c", "sleep 10", NULL };
	const char *loud_argv[] = { "/bin/sh", "-c", "yes 0123456789; exit 0", NULL };
	struct spec_check c = { .kind = CHECK_COMMAND, .arg = "t" };
	struct check_result r;

	c.argv = ok_argv;
	r = run_c(&c, NULL, "{\"total\": 1}");
	EXPECT_INT(r.passed, 1);
	r = run_c(&c, NULL, "{\"sum\": 1}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_CHECK_FAILED);
	c.argv = bad_argv;
	r = run_c(&c, NULL, "x");
	EXPECT_INT(r.failure, WR_FAIL_CHECK_FAILED);
	EXPECT_CONTAINS(r.reason, "exited with 2: missing total");
	setenv("WR_SECRET_TEST", "hunter2", 1);
	c.argv = env_argv;
	r = run_c(&c, NULL, "x");
	EXPECT_INT(r.passed, 1);   /* clean env, temp cwd, artifact file */
	unsetenv("WR_SECRET_TEST");
	{
		int leak = open("/dev/null", O_RDONLY);  /* not close-on-exec */

		c.argv = fds_argv;
		r = run_c(&c, NULL, "x");
		EXPECT_INT(r.passed, 1);   /* only stdin, stdout, stderr (and ls's own) */
		if (leak >= 0)
			close(leak);
	}
	c.argv = none_argv;
	r = run_c(&c, NULL, "x");
	EXPECT_INT(r.failure, WR_FAIL_TOOL_ERROR);
	c.argv = slow_argv;
	c.timeout = 0.3;
	r = run_c(&c, NULL, "x");
	EXPECT_INT(r.failure, WR_FAIL_TIMEOUT);
	c.argv = loud_argv;
	c.timeout = 0.5;
	r = run_c(&c, NULL, "x");   /* output capped: 'yes' never ends, killed at the deadline */
	EXPECT_INT(r.passed, 0);
}

/* --- robustness: random input never crashes the parser or the folding --- */

TEST(expr_and_cites_survive_random_input)
{
	static const char alphabet[] = "ab_$.[]*()'\"0123456789 <>=!+-/%,andortuelsfhgmxc\xe2\x80\x9c\xcc\x81\xff";
	unsigned seed = 12345;
	json_t *doc = json_loads("{\"a\": [1, 2, {\"b\": \"x\"}], \"b\": {\"c\": null}}", 0, NULL);
	char src[64], why[300];
	struct buf b = BUF_INIT;

	for (int round = 0; round < 3000; round++) {
		struct expr *x = NULL;
		struct wr_err e = { 0, "" };
		size_t n, off = 0;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % (sizeof(src) - 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			src[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		src[n] = '\0';
		if (expr_parse(src, &x, &off, &e) == 0) {
			expr_eval(x, doc, why, sizeof(why));
			expr_free(x);
		} else {
			EXPECT(off <= n);
		}
		buf_reset(&b);
		EXPECT_INT(cites_normalize(src, n, &b), 0);
		EXPECT(b.len <= 3 * n + 1);
	}
	buf_release(&b);
	json_decref(doc);
}
