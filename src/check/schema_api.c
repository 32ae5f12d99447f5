/* schema_api.c: the public wr_schema_* face of the validator: files and
 * JSON text in, callbacks out. */
#include <stdlib.h>

#include "check/schema.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"

#define SCHEMA_FILE_MAX ((size_t)64 << 20)
#define REPORT_MAX 100

struct wr_schema {
	struct schema *s;
};

/* Parses JSON text; integers beyond 64 bits are read again as reals rather
 * than refused, since JSON itself has no such limit. */
static json_t *parse(const char *text, size_t len, json_error_t *je)
{
	json_t *doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, je);

	if (!doc && json_error_code(je) == json_error_numeric_overflow)
		doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
		                 je);
	return doc;
}

int wr_schema_load(const char *path, int format_assert, struct wr_schema **out,
                   struct wr_err *err)
{
	struct buf text = BUF_INIT;
	struct schema_params p = schema_default_params();
	struct wr_schema *ws = NULL;
	json_error_t je;
	json_t *root = NULL;
	int rc;

	if (!path || !out)
		return err_set(err, WR_EINVAL, "wr_schema_load: no path");
	if ((rc = os_read_file(path, SCHEMA_FILE_MAX, &text, err)) < 0)
		goto out;
	root = parse(text.data, text.len, &je);
	if (!root) {
		rc = err_set(err, WR_ESPEC, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		goto out;
	}
	if (!(ws = calloc(1, sizeof(*ws)))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	p.format_assert = format_assert;
	if ((rc = schema_compile(root, &p, &ws->s, err)) < 0) {
		err_wrap(err, "%s", path);
		goto out;
	}
	*out = ws;
	ws = NULL;
	rc = 0;
out:
	wr_schema_free(ws);
	json_decref(root);
	buf_release(&text);
	return rc;
}

void wr_schema_free(struct wr_schema *ws)
{
	if (!ws)
		return;
	schema_free(ws->s);
	free(ws);
}

int wr_schema_validate_json(const struct wr_schema *ws, const char *json, size_t len,
                            void (*on_error)(void *ud, const char *instance_path,
                                             const char *schema_path, const char *message),
                            void *ud, struct wr_err *err)
{
	struct schema_error *errs = NULL;
	json_error_t je;
	json_t *doc;
	int rc, n = 0;

	if (!ws || !json)
		return err_set(err, WR_EINVAL, "wr_schema_validate_json: no schema or text");
	if (!(doc = parse(json, len, &je)))
		return err_set(err, WR_EINVAL, "%d:%d: %s", je.line, je.column, je.text);
	/* Without a callback only the verdict matters: stop at the first problem. */
	if (on_error && !(errs = malloc(REPORT_MAX * sizeof(*errs)))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	rc = schema_validate(ws->s, doc, errs, on_error ? REPORT_MAX : 0, &n);
	if (rc < 0) {
		err_set(err, rc, "out of memory while validating");
		goto out;
	}
	for (int i = 0; i < n; i++)
		on_error(ud, errs[i].instance_path, errs[i].schema_path, errs[i].message);
out:
	free(errs);
	json_decref(doc);
	return rc;
}
