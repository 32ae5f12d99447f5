/* test_check.c: the core checks pass and fail with the right class. */
#include <string.h>

#include "check/check.h"
#include "harness.h"

static struct check_result run1(enum check_kind k, const char *arg, const char *text)
{
	struct spec_check c = { .kind = k, .arg = arg };
	struct check_result r;
	struct wr_err e;

	if (check_compile(&c, &e) < 0) {
		r.passed = -1;
		return r;
	}
	check_run(&c, text, strlen(text), &r);
	check_release(&c);
	return r;
}

TEST(check_json)
{
	struct check_result r = run1(CHECK_JSON, NULL, "{\"a\": [1, 2]}");

	EXPECT_INT(r.passed, 1);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	r = run1(CHECK_JSON, NULL, "{\"a\": [1, 2}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_SCHEMA_INVALID);
	EXPECT_CONTAINS(r.reason, "not valid JSON");
	r = run1(CHECK_JSON, NULL, "{\"a\": 1, \"a\": 2}");
	EXPECT_INT(r.passed, 0);  /* duplicate keys are ambiguous: rejected */
	r = run1(CHECK_JSON, NULL, "");
	EXPECT_INT(r.passed, 0);
}

TEST(check_contains_and_not_contains)
{
	struct check_result r = run1(CHECK_CONTAINS, "total", "{\"total\": 3}");

	EXPECT_INT(r.passed, 1);
	r = run1(CHECK_CONTAINS, "vendor", "{\"total\": 3}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_CHECK_FAILED);
	EXPECT_CONTAINS(r.reason, "does not contain \"vendor\"");
	r = run1(CHECK_NOT_CONTAINS, "As an AI", "As an AI model I cannot");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_CHECK_FAILED);
	EXPECT_CONTAINS(r.reason, "not allowed");
	r = run1(CHECK_NOT_CONTAINS, "As an AI", "fine");
	EXPECT_INT(r.passed, 1);
}

TEST(check_regex)
{
	struct check_result r = run1(CHECK_REGEX, "\"total\":\\s*[0-9]+", "{\"total\": 12}");
	struct spec_check bad = { .kind = CHECK_REGEX, .arg = "(unclosed" };
	struct wr_err e;

	EXPECT_INT(r.passed, 1);
	r = run1(CHECK_REGEX, "\"total\":\\s*[0-9]+", "{\"total\": \"12\"}");
	EXPECT_INT(r.passed, 0);
	EXPECT_INT(r.failure, WR_FAIL_CHECK_FAILED);
	/* UTF-8 aware, and invalid UTF-8 in model output is not a crash. */
	r = run1(CHECK_REGEX, "^.{3}$", "\xc3\xa9t\xc3\xa9");
	EXPECT_INT(r.passed, 1);
	r = run1(CHECK_REGEX, "abc", "\xff\xfe abc");
	EXPECT_INT(r.passed, 1);
	EXPECT_INT(check_compile(&bad, &e), WR_ESPEC);
	EXPECT_CONTAINS(e.msg, "bad regex");
}
