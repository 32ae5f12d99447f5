/* check.c: the deterministic checks: json, contains, not_contains, regex,
 * schema, cites, expr and command. Each maps a failure to exactly one class:
 * schema_invalid (not JSON, or against the schema), unsupported_claim
 * (cites), tool_error (a command that cannot run), timeout (one that runs too
 * long), check_failed (everything else). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "check/check.h"

#include <jansson.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check/cites.h"
#include "check/expr.h"
#include "check/jpath.h"
#include "check/sandbox.h"
#include "check/schema.h"
#include "core/err.h"

static int compile_schema(struct spec_check *c, struct wr_err *err)
{
	struct schema_params p = schema_default_params();
	struct schema *s = NULL;
	json_error_t je;
	json_t *root = json_loads(c->arg, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	int rc;

	if (!root)
		return err_set(err, WR_ESPEC, "schema is not valid JSON: line %d column %d: %s",
		               je.line, je.column, je.text);
	rc = schema_compile(root, &p, &s, err);
	json_decref(root);
	if (rc < 0)
		return rc == WR_ENOMEM ? rc : err_wrap(err, "bad schema");
	c->compiled = s;
	return 0;
}

int check_compile(struct spec_check *c, struct wr_err *err)
{
	size_t off;

	return check_compile_at(c, &off, err);
}

int check_compile_at(struct spec_check *c, size_t *at, struct wr_err *err)
{
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];
	char why[120];
	size_t bad;

	*at = 0;
	if (c->kind == CHECK_SCHEMA)
		return compile_schema(c, err);
	if (c->kind == CHECK_EXPR)
		return expr_parse(c->arg, (struct expr **)&c->compiled, at, err);
	if (c->kind == CHECK_CITES || c->kind == CHECK_CHUNKS) {
		for (size_t i = 0; i < c->n_paths; i++) {
			size_t n = strlen(c->paths[i]);

			if (jpath_scan(c->paths[i], n, &bad, why, sizeof(why)) != n)
				return err_set(err, WR_ESPEC, "cites: bad path '%.100s': %s",
				               c->paths[i], bad || n == 0 ? why : "unexpected text");
		}
		return 0;
	}
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
	if (!c->compiled)
		return;
	if (c->kind == CHECK_REGEX)
		pcre2_code_free(c->compiled);
	else if (c->kind == CHECK_SCHEMA)
		schema_free(c->compiled);
	else if (c->kind == CHECK_EXPR)
		expr_free(c->compiled);
	c->compiled = NULL;
}

int check_is_deterministic(const struct spec_check *c)
{
	return c->kind != CHECK_CRITIQUE;
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

/* The artifact as JSON, or NULL after failing res with schema_invalid. */
static json_t *load_doc(const char *bytes, size_t len, struct check_result *res)
{
	json_error_t je;
	json_t *doc = json_loadb(bytes, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);

	if (!doc)
		result(res, 0, WR_FAIL_SCHEMA_INVALID, "not valid JSON: line %d column %d: %s",
		       je.line, je.column, je.text);
	return doc;
}

static void run_schema(const struct spec_check *c, const char *bytes, size_t len,
                       struct check_result *res)
{
	struct schema_error errs[4];
	json_t *doc;
	int n = 0, rc;

	if (!c->compiled) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "schema was not compiled");
		return;
	}
	if (!(doc = load_doc(bytes, len, res)))
		return;
	rc = schema_validate(c->compiled, doc, errs, 4, &n);
	json_decref(doc);
	if (rc == 1)
		result(res, 1, WR_FAIL_NONE, "valid against %s", c->file ? c->file : "the schema");
	else if (rc == 0 && n > 0)
		result(res, 0, WR_FAIL_SCHEMA_INVALID, "%s%s: %s (schema path %s)%s",
		       errs[0].instance_path[0] ? "at " : "at the root",
		       errs[0].instance_path, errs[0].message, errs[0].schema_path,
		       n > 1 ? "; and more" : "");
	else
		result(res, 0, WR_FAIL_SCHEMA_INVALID, "%s",
		       rc == 0 ? "does not match the schema" : "schema validation ran out of memory");
}

/* The source a cites check reads: a file's bytes, an input's value, or
 * the chunks a retrieve step found (into keep). */
static const char *cites_source(const struct spec_check *c, const struct check_ctx *ctx,
                                const char **name, struct buf *keep, char *label,
                                size_t label_size)
{
	json_t *v;

	*name = c->file;
	if (c->source)
		return c->source;
	if (c->retrieved) {
		snprintf(label, label_size, "the chunks step '%s' retrieved", c->retrieved);
		*name = label;
		if (!ctx || !ctx->retrieved || ctx->retrieved(ctx->ud, c->retrieved, 0, keep) < 0 ||
		    buf_addc(keep, '\0') < 0)
			return NULL;
		return keep->data;
	}
	*name = c->input;
	v = ctx && ctx->inputs && c->input ? json_object_get(ctx->inputs, c->input) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A summary's ids: every string at the paths must be the id of a chunk
 * the retrieve step found, so a summary cannot claim a source it was not
 * given. */
static void run_chunks(const struct spec_check *c, const struct check_ctx *ctx,
                       const char *bytes, size_t len, struct check_result *res)
{
	struct buf ids = BUF_INIT, want = BUF_INIT;
	json_t *doc = NULL, *got = json_array();
	const char *miss = NULL;
	size_t total = 0, missing = 0;

	if (!got || buf_addc(&ids, '\n') < 0) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "out of memory");
		goto out;
	}
	if (!ctx || !ctx->retrieved || ctx->retrieved(ctx->ud, c->retrieved, 1, &ids) < 0) {
		result(res, 0, WR_FAIL_CONTEXT_MISSING, "step '%s' retrieved nothing", c->retrieved);
		goto out;
	}
	if (!(doc = load_doc(bytes, len, res)))
		goto out;
	for (size_t i = 0; i < c->n_paths; i++)
		if (jpath_select(c->paths[i], strlen(c->paths[i]), doc, got) < 0) {
			result(res, 0, WR_FAIL_CHECK_FAILED, "cannot evaluate path '%s'", c->paths[i]);
			goto out;
		}
	for (size_t i = 0; i < json_array_size(got); i++) {
		json_t *item = json_array_get(got, i);

		if (json_is_array(item)) {
			for (size_t k = 0; k < json_array_size(item); k++)
				json_array_append(got, json_array_get(item, k));
			continue;
		}
		if (!json_is_string(item)) {
			result(res, 0, WR_FAIL_UNSUPPORTED_CLAIM, "an id at %s is not a string",
			       c->paths[0]);
			goto out;
		}
		total++;
		buf_reset(&want);
		if (buf_printf(&want, "\n%s\n", json_string_value(item)) < 0) {
			result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "out of memory");
			goto out;
		}
		if (!memmem(ids.data, ids.len, want.data, want.len) && !missing++)
			miss = json_string_value(item);
	}
	if (missing)
		result(res, 0, WR_FAIL_UNSUPPORTED_CLAIM, "%zu of %zu ids are not chunks step '%s' "
		       "retrieved; first: \"%.100s\"", missing, total, c->retrieved, miss);
	else if (total == 0)
		result(res, 0, WR_FAIL_UNSUPPORTED_CLAIM, "no ids at %s", c->paths[0]);
	else
		result(res, 1, WR_FAIL_NONE, "all %zu ids are chunks step '%s' retrieved", total,
		       c->retrieved);
out:
	json_decref(doc);
	json_decref(got);
	buf_release(&ids);
	buf_release(&want);
}

static void run_cites(const struct spec_check *c, const struct check_ctx *ctx,
                      const char *bytes, size_t len, struct check_result *res)
{
	struct buf src = BUF_INIT, claim = BUF_INIT, kept = BUF_INIT;
	char label[WR_ID_MAX + 40];
	json_t *doc = NULL, *got = json_array();
	const char *text, *name, *miss = NULL;
	char shown[160];
	size_t total = 0, missing = 0, k;

	if (!got) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "out of memory");
		goto out;
	}
	if (!(text = cites_source(c, ctx, &name, &kept, label, sizeof(label)))) {
		if (c->retrieved)
			result(res, 0, WR_FAIL_CONTEXT_MISSING, "step '%s' retrieved nothing to cite",
			       c->retrieved);
		else
			result(res, 0, WR_FAIL_CONTEXT_MISSING, "the source input '%s' has no value",
			       c->input ? c->input : "?");
		goto out;
	}
	if (!(doc = load_doc(bytes, len, res)))
		goto out;
	for (size_t i = 0; i < c->n_paths; i++)
		if (jpath_select(c->paths[i], strlen(c->paths[i]), doc, got) < 0) {
			result(res, 0, WR_FAIL_CHECK_FAILED, "cannot evaluate path '%s'", c->paths[i]);
			goto out;
		}
	if (cites_normalize(text, strlen(text), &src) < 0) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "out of memory");
		goto out;
	}
	/* A selected list stands for its items. */
	for (size_t i = 0; i < json_array_size(got); i++) {
		json_t *item = json_array_get(got, i);

		if (json_is_array(item)) {
			for (k = 0; k < json_array_size(item); k++)
				json_array_append(got, json_array_get(item, k));
			continue;
		}
		if (!json_is_string(item)) {
			result(res, 0, WR_FAIL_UNSUPPORTED_CLAIM, "a claim at %s is not a string",
			       c->paths[0]);
			goto out;
		}
		buf_reset(&claim);
		if (cites_normalize(json_string_value(item), json_string_length(item), &claim) < 0) {
			result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "out of memory");
			goto out;
		}
		if (claim.len == 0)
			continue;
		total++;
		if (!memmem(src.data, src.len, claim.data, claim.len) && !missing++)
			miss = json_string_value(item);
	}
	if (missing)
		result(res, 0, WR_FAIL_UNSUPPORTED_CLAIM, "%zu of %zu claims not found in %s; "
		       "first: \"%s\"", missing, total, name, clip(miss, shown, sizeof(shown)));
	else if (total == 0)
		result(res, 0, WR_FAIL_UNSUPPORTED_CLAIM, "no claims at %s%s", c->paths[0],
		       c->n_paths > 1 ? " and the other paths" : "");
	else
		result(res, 1, WR_FAIL_NONE, "all %zu claims found in %s", total, name);
out:
	json_decref(doc);
	json_decref(got);
	buf_release(&src);
	buf_release(&claim);
	buf_release(&kept);
}

static void run_expr(const struct spec_check *c, const char *bytes, size_t len,
                     struct check_result *res)
{
	char why[300], shown[160];
	json_t *doc;
	int rc;

	if (!c->compiled) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "expression was not compiled");
		return;
	}
	if (!(doc = load_doc(bytes, len, res)))
		return;
	rc = expr_eval(c->compiled, doc, why, sizeof(why));
	json_decref(doc);
	clip(c->arg, shown, sizeof(shown));
	if (rc == 1)
		result(res, 1, WR_FAIL_NONE, "%s holds", shown);
	else if (rc == 0)
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s is false", shown);
	else
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s cannot be evaluated: %s", shown, why);
}

/* The last non-empty line of a program's output, printable. */
static const char *last_line(const struct buf *b, char *out, size_t size)
{
	size_t end = b->len, start;

	while (end && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r' ||
	               b->data[end - 1] == ' '))
		end--;
	start = end;
	while (start && b->data[start - 1] != '\n')
		start--;
	if (end - start >= size)
		start = end - (size - 1);
	memcpy(out, b->data + start, end - start);
	out[end - start] = '\0';
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

static void run_command(const struct spec_check *c, const struct check_ctx *ctx,
                        const char *bytes, size_t len, struct check_result *res)
{
	struct sbx_params p = { .argv = c->argv, .dir = ctx ? ctx->dir : NULL, .input = bytes,
	                        .input_len = len, .timeout = c->timeout };
	struct sbx_result r;
	char line[300];

	if (sbx_run(&p, &r) < 0) {
		result(res, 0, WR_FAIL_TOOL_ERROR, "%s", r.why);
	} else if (r.timed_out) {
		result(res, 0, WR_FAIL_TIMEOUT, "'%s' ran longer than %gs and was stopped",
		       c->arg, p.timeout > 0 ? p.timeout : SBX_TIMEOUT_DEFAULT);
	} else if (r.signal) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "'%s' was killed by signal %d%s%s", c->arg,
		       r.signal, r.output.len ? ": " : "", last_line(&r.output, line, sizeof(line)));
	} else if (r.exit_code != 0) {
		result(res, 0, WR_FAIL_CHECK_FAILED, "'%s' exited with %d%s%s", c->arg,
		       r.exit_code, r.output.len ? ": " : "",
		       last_line(&r.output, line, sizeof(line)));
	} else {
		result(res, 1, WR_FAIL_NONE, "'%s' exited with 0 in %.2fs", c->arg, r.seconds);
	}
	buf_release(&r.output);
}

void check_run(const struct spec_check *c, const char *bytes, size_t len,
               struct check_result *res)
{
	check_run_ctx(c, NULL, bytes, len, res);
}

void check_run_ctx(const struct spec_check *c, const struct check_ctx *ctx,
                   const char *bytes, size_t len, struct check_result *res)
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
	case CHECK_SCHEMA:
		run_schema(c, bytes, len, res);
		return;
	case CHECK_CITES:
		run_cites(c, ctx, bytes, len, res);
		return;
	case CHECK_CHUNKS:
		run_chunks(c, ctx, bytes, len, res);
		return;
	case CHECK_EXPR:
		run_expr(c, bytes, len, res);
		return;
	case CHECK_COMMAND:
		run_command(c, ctx, bytes, len, res);
		return;
	case CHECK_CRITIQUE:
		result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "a critique runs only in a run");
		return;
	case CHECK_KIND_COUNT_:
		break;
	}
	result(res, 0, WR_FAIL_CHECK_FAILED, "%s", "unknown check kind");
}
