/* why.c: an artifact's chain of custody, from the store's own records:
 * the run (workflow and inputs hashes, seed), the model call that made it
 * (model, provider, the canonical request with its prompt, usage), every
 * check on it, and every ledger entry about it (approvals, the ship). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store_db.h"

static json_t *col_json(struct db_stmt *s, int i)
{
	const char *t = db_column_text(s, i);

	switch (db_column_type(s, i)) {
	case DB_INT: return json_integer(db_column_int64(s, i));
	case DB_FLOAT: return json_real(db_column_double(s, i));
	case DB_NULL: return json_null();
	default: return json_string(t);
	}
}

/* Each row of sql (bound to run and hash) as an object of its columns. */
static int rows_of(struct store *st, const char *sql, const char *run, const char *hash,
                json_t **out, struct wr_err *err)
{
	struct db_stmt *s;
	json_t *list = json_array();
	int rc;

	if (!list || db_prepare(st->db, sql, 0, &s, NULL) < 0) {
		json_decref(list);
		return st_fail(st, err, "reading provenance");
	}
	st_text(s, 1, run);
	if (db_bind_count(s) > 1)
		st_text(s, 2, hash);
	while ((rc = db_step(s)) == DB_ROW) {
		json_t *o = json_object();

		for (int i = 0; o && i < db_column_count(s); i++)
			json_object_set_new(o, db_column_name(s, i), col_json(s, i));
		json_array_append_new(list, o);
	}
	db_finalize(s);
	if (rc != DB_DONE) {
		json_decref(list);
		return st_fail(st, err, "reading provenance");
	}
	*out = list;
	return 0;
}

static json_t *blob_json(struct store *st, const char *hash)
{
	struct buf b = BUF_INIT;
	struct wr_err err;
	json_t *j = NULL;

	if (hash && hash[0] && store_blob_get_verified(st, hash, &b, &err) == 0)
		j = json_loadb(b.data, b.len, 0, NULL);
	buf_release(&b);
	return j ? j : json_null();
}

/* What the run's retrieve steps put before the model: each step's query,
 * the chunks (ids, files, byte spans, hashes) and what was excluded. */
static json_t *sources(struct store *st, const char *run_id)
{
	json_t *list = json_array(), *rows = NULL, *r;
	struct wr_err err;
	size_t i;

	if (!list || rows_of(st, "SELECT a.step_id AS step, a.hash AS hash FROM artifacts a "
	                     "JOIN steps s ON s.run_id = a.run_id AND s.id = a.step_id "
	                     "WHERE a.run_id = ?1 AND s.kind = 'retrieve' "
	                     "ORDER BY s.idx", run_id, NULL, &rows, &err) < 0) {
		json_decref(list);
		return json_array();
	}
	for (i = 0; i < json_array_size(rows) &&
	     (r = json_array_get(rows, i)); i++) {
		json_t *doc = blob_json(st, json_string_value(json_object_get(r, "hash")));
		json_t *hits = json_array(), *h;
		size_t k;

		for (k = 0; k < json_array_size(json_object_get(doc, "results")) &&
	     (h = json_array_get(json_object_get(doc, "results"), k)); k++)
			json_array_append_new(hits, json_pack("{s:O,s:O,s:O,s:O,s:O}", "id",
			                                      json_object_get(h, "id"), "source",
			                                      json_object_get(h, "source"), "start",
			                                      json_object_get(h, "start"), "end",
			                                      json_object_get(h, "end"), "sha256",
			                                      json_object_get(h, "sha256")));
		json_array_append_new(list, json_pack("{s:O,s:s,s:o,s:O}", "step",
		                                      json_object_get(r, "step"), "query",
		                                      json_string_value(json_object_get(doc, "query"))
		                                          ? json_string_value(json_object_get(doc, "query"))
		                                          : "",
		                                      "chunks", hits, "excluded",
		                                      json_object_get(doc, "excluded")
		                                          ? json_object_get(doc, "excluded")
		                                          : json_null()));
		json_decref(doc);
	}
	json_decref(rows);
	return list;
}

/* One artifact row's custody chain. */
static int chain(struct store *st, const char *run_id, const char *step_id, const char *hash,
                 json_t **out, struct wr_err *err)
{
	struct store_run r;
	json_t *calls = NULL, *checks = NULL, *ledger = NULL, *art = NULL, *o, *call;
	int rc;

	if ((rc = store_run_get(st, run_id, &r, err)) < 0 ||
	    (rc = rows_of(st, "SELECT step_id AS step, call_index, attempt, model, provider, "
	               "request_hash, tokens_in, tokens_out, cost_usd, seconds, failure, finish "
	               "FROM calls WHERE run_id = ?1 AND response_hash = ?2 "
	               "ORDER BY call_index, attempt", run_id, hash, &calls, err)) < 0 ||
	    (rc = rows_of(st, "SELECT step_id AS step, idx + 1 AS number, kind, passed, failure, "
	               "reason FROM checks WHERE run_id = ?1 AND artifact = ?2 ORDER BY rowid",
	               run_id, hash, &checks, err)) < 0 ||
	    (rc = rows_of(st, "SELECT seq, at_ms, actor, action, evidence, hash FROM ledger "
	               "WHERE run_id = ?1 AND subject = ?2 ORDER BY seq", run_id, hash, &ledger,
	               err)) < 0 ||
	    (rc = rows_of(st, "SELECT step_id AS step, state, failure, size FROM artifacts "
	               "WHERE run_id = ?1 AND hash = ?2", run_id, hash, &art, err)) < 0)
		goto out;
	/* The request each call sent: the prompt, the system message, options. */
	for (size_t i = 0; i < json_array_size(calls); i++) {
		call = json_array_get(calls, i);
		json_object_set_new(call, "request",
		                    blob_json(st, json_string_value(json_object_get(call,
		                                                                    "request_hash"))));
	}
	o = json_pack("{s:s,s:s,s:O,s:{s:s,s:s,s:s,s:s,s:s,s:I,s:s},s:O,s:O,s:O}",
	              "artifact", hash, "step", step_id,
	              "state", json_object_get(json_array_get(art, 0), "state"),
	              "run", "id", r.id, "workflow", r.flow_name, "workflow_path", r.flow_path,
	              "workflow_sha256", r.flow_blob, "inputs_sha256", r.inputs_blob,
	              "seed", (json_int_t)r.seed, "status",
	              wr_run_status_name((enum wr_run_status)r.status),
	              "made_by", calls, "checks", checks, "ledger", ledger);
	if (!o) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(o, "inputs", blob_json(st, r.inputs_blob));
	json_object_set_new(o, "sources", sources(st, run_id));
	*out = o;
	rc = 0;
out:
	json_decref(calls);
	json_decref(checks);
	json_decref(ledger);
	json_decref(art);
	return rc;
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* A value on one line, shortened to max bytes, control characters shown
 * as spaces: model output and documents are not trusted with a terminal. */
static void line(struct buf *b, const char *v, size_t max)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n && i < max; i++)
		buf_addc(b, (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? ' ' : v[i]);
	if (n > max)
		buf_adds(b, "...");
}

static void render_one(struct buf *b, json_t *c)
{
	json_t *run = json_object_get(c, "run"), *x;
	char *inputs = json_dumps(json_object_get(c, "inputs"), JSON_COMPACT | JSON_SORT_KEYS);
	size_t i;

	buf_printf(b, "artifact  %s\n          of step %s, now %s\n", str(c, "artifact"),
	           str(c, "step"), str(c, "state"));
	buf_printf(b, "run       %s  %s (%s), %s\n          workflow sha256 %s\n"
	           "          inputs sha256 %s, seed %lld\n", str(run, "id"),
	           str(run, "workflow"), str(run, "workflow_path"), str(run, "status"),
	           str(run, "workflow_sha256"), str(run, "inputs_sha256"),
	           (long long)json_integer_value(json_object_get(run, "seed")));
	buf_adds(b, "inputs    ");
	line(b, inputs ? inputs : "", 160);
	buf_adds(b, "\n");
	free(inputs);
	for (i = 0; i < json_array_size(json_object_get(c, "made_by")) &&
	     (x = json_array_get(json_object_get(c, "made_by"), i)); i++) {
		json_t *req = json_object_get(x, "request");

		buf_printf(b, "made by   model %s (%s), step %s, call %lld attempt %lld\n"
		           "          %lld -> %lld tokens, $%.6f, finish %s\n"
		           "          request sha256 %s\n          system  ", str(x, "model"),
		           str(x, "provider"), str(x, "step"),
		           (long long)json_integer_value(json_object_get(x, "call_index")) + 1,
		           (long long)json_integer_value(json_object_get(x, "attempt")),
		           (long long)json_integer_value(json_object_get(x, "tokens_in")),
		           (long long)json_integer_value(json_object_get(x, "tokens_out")),
		           json_real_value(json_object_get(x, "cost_usd")), str(x, "finish"),
		           str(x, "request_hash"));
		line(b, str(req, "system"), 100);
		buf_adds(b, "\n          prompt  ");
		line(b, str(req, "prompt"), 200);
		buf_adds(b, "\n");
	}
	if (!json_array_size(json_object_get(c, "made_by")))
		buf_adds(b, "made by   (no model call recorded)\n");
	for (i = 0; i < json_array_size(json_object_get(c, "sources")) &&
	     (x = json_array_get(json_object_get(c, "sources"), i)); i++) {
		json_t *h, *ex;
		size_t k;

		buf_printf(b, "%s step %s, query \"", i ? "         " : "sources  ", str(x, "step"));
		line(b, str(x, "query"), 80);
		buf_adds(b, "\"\n");
		for (k = 0; k < json_array_size(json_object_get(x, "chunks")) &&
	     (h = json_array_get(json_object_get(x, "chunks"), k)); k++)
			buf_printf(b, "            %-28s %s [%lld..%lld) %.12s\n", str(h, "id"),
			           str(h, "source"),
			           (long long)json_integer_value(json_object_get(h, "start")),
			           (long long)json_integer_value(json_object_get(h, "end")),
			           str(h, "sha256"));
		for (k = 0; k < json_array_size(json_object_get(x, "excluded")) &&
	     (ex = json_array_get(json_object_get(x, "excluded"), k)); k++)
			buf_printf(b, "            %-28s excluded: %s\n", str(ex, "id"),
			           str(ex, "reason"));
	}
	for (i = 0; i < json_array_size(json_object_get(c, "checks")) &&
	     (x = json_array_get(json_object_get(c, "checks"), i)); i++) {
		buf_printf(b, "%s %s #%lld %-12s %s  ", i ? "         " : "checks   ", str(x, "step"),
		           (long long)json_integer_value(json_object_get(x, "number")),
		           str(x, "kind"),
		           json_integer_value(json_object_get(x, "passed")) ? "pass" : "FAIL");
		line(b, str(x, "reason"), 120);
		buf_adds(b, "\n");
	}
	for (i = 0; i < json_array_size(json_object_get(c, "ledger")) &&
	     (x = json_array_get(json_object_get(c, "ledger"), i)); i++) {
		buf_printf(b, "%s #%-5lld %-22s %-18s ", i ? "         " : "ledger   ",
		           (long long)json_integer_value(json_object_get(x, "seq")), str(x, "actor"),
		           str(x, "action"));
		line(b, str(x, "evidence"), 100);
		buf_adds(b, "\n");
	}
}

static char *render(json_t *all)
{
	struct buf b = BUF_INIT;
	json_t *c;
	size_t i;

	for (i = 0; i < json_array_size(all) &&
	     (c = json_array_get(all, i)); i++) {
		if (i)
			buf_adds(&b, "\n");
		render_one(&b, c);
	}
	return buf_detach(&b, NULL);
}

int wr_why(struct wr_store *store, const char *ref, int as_json, char **out,
           struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct db_stmt *s;
	json_t *all = json_array();
	size_t n = strlen(ref ? ref : "");
	int rc = 0, step = DB_DONE;

	*out = NULL;
	if (!store || n < 8 || n > 64 || strspn(ref, "0123456789abcdef") != n) {
		json_decref(all);
		return err_set(err, WR_EINVAL, "an artifact is named by its SHA-256 in hex, or at "
		               "least its first 8 digits");
	}
	if (!all || db_prepare(st->db, "SELECT run_id, step_id, hash FROM artifacts "
	                               "WHERE substr(hash, 1, length(?1)) = ?1 ORDER BY run_id",
	                       0, &s, NULL) < 0) {
		json_decref(all);
		return st_fail(st, err, "reading artifacts");
	}
	st_text(s, 1, ref);
	while (rc == 0 && (step = db_step(s)) == DB_ROW) {
		json_t *c = NULL;

		rc = chain(st, db_column_text(s, 0),
		           db_column_text(s, 1),
		           db_column_text(s, 2), &c, err);
		if (rc == 0)
			json_array_append_new(all, c);
	}
	if (rc == 0 && step < 0)
		rc = st_fail(st, err, "reading artifacts");
	db_finalize(s);
	if (rc == 0 && !json_array_size(all))
		rc = err_set(err, WR_ENOTFOUND, "no artifact %s in this store", ref);
	if (rc == 0 && !(*out = as_json ? json_dumps(all, JSON_INDENT(2) | JSON_SORT_KEYS)
	                                : render(all)))
		rc = err_set(err, WR_ENOMEM, "out of memory");
	json_decref(all);
	return rc;
}
