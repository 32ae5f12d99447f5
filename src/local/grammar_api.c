/* grammar_api.c: the public wr_grammar_* face of the grammar module. */
#include <stdlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"
#include "local/grammar.h"

#define GRAMMAR_FILE_MAX ((size_t)1 << 20)

int wr_grammar_from_schema_file(const char *path, int strict, char **out, struct wr_err *err)
{
	struct grammar_schema_params p = grammar_schema_default_params();
	struct buf text = BUF_INIT, gbnf = BUF_INIT;
	struct grammar *g = NULL;
	json_error_t je;
	json_t *root = NULL;
	int rc;

	if (!path || !out)
		return err_set(err, WR_EINVAL, "wr_grammar_from_schema_file: no path");
	if ((rc = os_read_file(path, GRAMMAR_FILE_MAX * 16, &text, err)) < 0)
		goto out;
	if (!(root = json_loadb(text.data, text.len, JSON_DECODE_ANY, &je))) {
		rc = err_set(err, WR_ESPEC, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		goto out;
	}
	p.strict = strict;
	if ((rc = grammar_from_schema(root, &p, &gbnf, err)) < 0) {
		err_wrap(err, "%s", path);
		goto out;
	}
	/* what is handed out must parse: a schema that allows no finite
	 * document (a required property recursing forever) is refused here */
	if ((rc = grammar_parse(gbnf.data, gbnf.len, "grammar", &g, err)) < 0) {
		err_wrap(err, "%s: no finite document fits", path);
		goto out;
	}
	if (!(*out = buf_detach(&gbnf, NULL)))
		rc = err_set(err, WR_ENOMEM, "out of memory");
out:
	grammar_free(g);
	json_decref(root);
	buf_release(&text);
	buf_release(&gbnf);
	return rc;
}

int wr_grammar_check_file(const char *path, struct wr_err *err)
{
	struct buf text = BUF_INIT;
	struct grammar *g = NULL;
	int rc;

	if (!path)
		return err_set(err, WR_EINVAL, "wr_grammar_check_file: no path");
	if ((rc = os_read_file(path, GRAMMAR_FILE_MAX, &text, err)) >= 0)
		rc = grammar_parse(text.data, text.len, path, &g, err);
	grammar_free(g);
	buf_release(&text);
	return rc;
}
