/* check.c: the deterministic checks of the core: json, contains,
 * not_contains, regex. Each maps a failure to exactly one class. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "check/check.h"

#include <jansson.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int check_compile(struct spec_check *c, struct wr_err *err)
{
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	if (c->kind != CHECK_REGEX)
		return 0;
	re = pcre2_compile((PCRE2_SPTR)c->arg, PCRE2_ZERO_TERMINATED,
	                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (!re) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		return err_set(err, WR_ESPEC, "bad regex at offset %zu: %s", (size_t)off,
		               (const char *)msg);
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* optional: falls back to the interpreter */
	c->compiled = re;
	return 0;
}

void check_release(struct spec_check *c)
{
	if (c->kind == CHECK_REGEX && c->compiled) {
		pcre2_code_free(c->compiled);
		c->compiled = NULL;
	}
}

__attribute__((format(printf, 4, 5)))
static void result(struct check_result *res, int passed, enum wr_failure f,
                   const char *fmt, ...)
{
	va_list ap;

	res->passed = passed;
	res->failure = passed ? WR_FAIL_NONE : f;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* A short, printable rendering of a needle for reasons. */
static const char *clip(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);

	if (n < size) {
		memcpy(out, s, n + 1);
	} else {
		memcpy(out, s, size - 4);
		memcpy(out + size - 4, "...", 4);
	}
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return out;
}

static void run_json(const char *bytes, size_t len, struct check_result *res)
{
	json_error_t je;
	json_t *doc = json_loadb(bytes, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	char line[400];

	if (doc) {
		json_decref(doc);
		result(res, 1, WR_FAIL_NONE, "%s", "valid JSON");
		return;
	}
	snprintf(line, sizeof(line), "not valid JSON: line %d column %d: %s", je.line,
	         je.column, je.text);
	result(res, 0, WR_FAIL_SCHEMA_INVALID, "%s", line);
}

static void run_regex(const struct spec_check *c, const char *bytes, size_t len,
                      struct check_result *res)
{
	pcre2_match_data *md;
	char shown[120];
	int rc;

	if (!c->compiled) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "regex was not compiled");
		return;
	}
	md = pcre2_match_data_create_from_pattern(c->compiled, NULL);
	if (!md) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "out of memory");
		return;
	}
	rc = pcre2_match(c->compiled, (PCRE2_SPTR)bytes, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	clip(c->arg, shown, sizeof(shown));
	if (rc >= 0)
		result(res, 1, WR_FAIL_NONE, "matches /%s/", shown);
	else if (rc == PCRE2_ERROR_NOMATCH)
		result(res, 0, WR_FAIL_CHECK_FAILED, "does not match /%s/", shown);
	else
		result(res, 0, WR_FAIL_CHECK_FAILED, "regex /%s/ could not run", shown);
}

void check_run(const struct spec_check *c, const char *bytes, size_t len,
               struct check_result *res)
{
	char shown[120];
	int found;

	switch (c->kind) {
	case CHECK_JSON:
		run_json(bytes, len, res);
		return;
	case CHECK_CONTAINS:
	case CHECK_NOT_CONTAINS:
		found = memmem(bytes, len, c->arg, strlen(c->arg)) != NULL;
		clip(c->arg, shown, sizeof(shown));
		if (found)
			result(res, c->kind == CHECK_CONTAINS, WR_FAIL_CHECK_FAILED,
			       c->kind == CHECK_CONTAINS ? "contains \"%s\""
			       : "contains \"%s\", which is not allowed", shown);
		else
			result(res, c->kind == CHECK_NOT_CONTAINS, WR_FAIL_CHECK_FAILED,
			       "does not contain \"%s\"", shown);
		return;
	case CHECK_REGEX:
		run_regex(c, bytes, len, res);
		return;
	case CHECK_KIND_COUNT_:
		break;
	}
	result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "unknown check kind");
}
