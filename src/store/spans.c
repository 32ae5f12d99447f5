/* spans.c: a run's trace, derived from what the store already records.
 *
 * Nothing extra is written while a run executes: the run row, the steps
 * (end time and duration), the model calls (one row per call, with its
 * duration and usage) and the checks (duration each) are the spans. A
 * step's children are laid out one after another from the step's start, in
 * the order they were recorded; times are as precise as the rows (steps
 * end to the millisecond, durations to the nanosecond). */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "store/store_db.h"

static const char steps_sql[] =
	"SELECT idx, id, kind, status, failure, message, artifact, ended_ms, seconds "
	"FROM steps WHERE run_id = ?1 ORDER BY idx";
static const char calls_sql[] =
	"SELECT call_index, attempt, model, provider, tokens_in, tokens_out, cost_usd, "
	"seconds, failure, finish, detail, response_hash, "
	"(SELECT length(bytes) FROM blobs WHERE hash = request_hash), "
	"(SELECT length(bytes) FROM blobs WHERE hash = response_hash), "
	"(SELECT json_patch('{}', json_object("
	"  'temperature', json_extract(CAST(bytes AS TEXT), '$.temperature'), "
	"  'top_p', json_extract(CAST(bytes AS TEXT), '$.top_p'), "
	"  'max_tokens', json_extract(CAST(bytes AS TEXT), '$.max_tokens'), "
	"  'seed', json_extract(CAST(bytes AS TEXT), '$.seed'))) "
	" FROM blobs WHERE hash = request_hash AND json_valid(CAST(bytes AS TEXT))) "
	"FROM calls WHERE run_id = ?1 AND step_id = ?2 ORDER BY call_index";  /* unique in a run */
/* The same on PostgreSQL: wr_json (schema_pg.sql.h) is NULL for bytes that
 * are not JSON, as json_valid guards SQLite's. */
static const char calls_pg_sql[] =
	"SELECT call_index, attempt, model, provider, tokens_in, tokens_out, cost_usd, "
	"seconds, failure, finish, detail, response_hash, "
	"(SELECT length(bytes) FROM blobs WHERE hash = request_hash), "
	"(SELECT length(bytes) FROM blobs WHERE hash = response_hash), "
	"(SELECT jsonb_strip_nulls(jsonb_build_object("
	"  'temperature', j->'temperature', 'top_p', j->'top_p', "
	"  'max_tokens', j->'max_tokens', 'seed', j->'seed'))::text "
	" FROM (SELECT wr_json(bytes) AS j FROM blobs WHERE hash = request_hash) b "
	" WHERE jsonb_typeof(j) = 'object') "
	"FROM calls WHERE run_id = ?1 AND step_id = ?2 ORDER BY call_index";
static const char attempts_sql[] =
	"SELECT n, status, start_ms, latency_ms, error FROM attempts "
	"WHERE run_id = ?1 AND call_index = ?2 ORDER BY n";
static const char tools_sql[] =
	"SELECT at_ms, action, json_extract(evidence, '$.tool'), "
	"json_extract(evidence, '$.reason'), json_extract(evidence, '$.effect'), subject "
	"FROM ledger WHERE run_id = ?1 AND action IN ('tool_allowed', 'tool_denied', "
	"'tool_approval_requested') AND json_extract(evidence, '$.step') = ?2 ORDER BY seq";
static const char tools_pg_sql[] =
	"SELECT at_ms, action, j->>'tool', j->>'reason', j->>'effect', subject "
	"FROM (SELECT seq, at_ms, action, subject, wr_json(evidence) AS j FROM ledger "
	"WHERE run_id = ?1 AND action IN ('tool_allowed', 'tool_denied', "
	"'tool_approval_requested')) l WHERE j->>'step' = ?2 ORDER BY seq";
static const char busy_sql[] =
	"SELECT (SELECT coalesce(sum(seconds), 0) FROM calls WHERE run_id = ?1 AND step_id = ?2)"
	" + (SELECT coalesce(sum(seconds), 0) FROM checks WHERE run_id = ?1 AND step_id = ?2)";
static const char checks_sql[] =
	"SELECT idx, kind, passed, failure, reason, seconds "
	"FROM checks WHERE run_id = ?1 AND step_id = ?2 ORDER BY rowid";

struct emit {
	int (*fn)(void *ud, const struct wr_span *s);
	void *ud;
	int next_id, stop;
};

static int emit(struct emit *e, struct wr_span *s)
{
	s->id = ++e->next_id;
	if (!e->stop && e->fn(e->ud, s))
		e->stop = 1;
	return s->id;
}

static int64_t us(double seconds)
{
	return (int64_t)(seconds * 1e6 + 0.5);
}

static int prepare(struct store *st, const char *sql, struct db_stmt **s, struct wr_err *err)
{
	if (db_prepare(st->db, sql, 0, s, NULL) < 0)
		return st_fail(st, err, "reading a trace");
	return 0;
}

/* The HTTP attempts of a call to a remote model, placed where they began
 * within the call (rate-limit waits and backoff between them). */
static int attempt_spans(struct store *st, const char *run_id, int64_t call_index,
                         const struct wr_span *call, struct emit *e, struct wr_err *err)
{
	struct db_stmt *q;
	int rc;

	if (db_prepare(st->db, attempts_sql, 0, &q, NULL) < 0)
		return st_fail(st, err, "reading a trace");
	st_text(q, 1, run_id);
	db_bind_int64(q, 2, call_index);
	while ((rc = db_step(q)) == DB_ROW) {
		struct wr_span s;
		int status = (int)db_column_int64(q, 1);

		memset(&s, 0, sizeof(s));
		s.parent = call->id;
		snprintf(s.kind, sizeof(s.kind), "attempt");
		st_col(q, 4, s.detail, sizeof(s.detail));
		snprintf(s.name, sizeof(s.name), "HTTP attempt %d: %d", (int)db_column_int64(q, 0),
		         status);
		snprintf(s.status, sizeof(s.status), "%s",
		         status >= 200 && status < 300 ? "ok" : "failed");
		s.start_us = call->start_us + db_column_int64(q, 2) * 1000;
		s.end_us = s.start_us + db_column_int64(q, 3) * 1000;
		emit(e, &s);
	}
	db_finalize(q);
	return rc == DB_DONE ? 0 : st_fail(st, err, "reading a trace");
}

/* The tool calls of a generate step, each decision at the moment the
 * ledger recorded it (allowed: the tool ran just before). */
static int tool_spans(struct store *st, const char *run_id, const struct wr_span *step,
                      struct emit *e, struct wr_err *err)
{
	struct db_stmt *q;
	char action[32], tool[96];
	int rc;

	if (db_prepare(st->db, db_kind(st->db) == DB_PG ? tools_pg_sql : tools_sql, 0, &q,
	               NULL) < 0)
		return st_fail(st, err, "reading a trace");
	st_text(q, 1, run_id);
	st_text(q, 2, step->name);
	while ((rc = db_step(q)) == DB_ROW) {
		struct wr_span s;

		memset(&s, 0, sizeof(s));
		s.parent = step->id;
		snprintf(s.kind, sizeof(s.kind), "tool");
		st_col(q, 1, action, sizeof(action));
		st_col(q, 2, tool, sizeof(tool));
		snprintf(s.name, sizeof(s.name), "tool %s", tool);
		snprintf(s.status, sizeof(s.status), "%s", !strcmp(action, "tool_allowed") ? "ok"
		         : !strcmp(action, "tool_denied") ? "failed" : "waiting");
		if (!strcmp(action, "tool_denied"))
			s.failure = WR_FAIL_PERMISSION_DENIED;
		st_col(q, 3, s.detail, sizeof(s.detail));
		st_col(q, 4, s.step_kind, sizeof(s.step_kind));  /* the effect class */
		st_col(q, 5, s.artifact, sizeof(s.artifact));
		s.start_us = s.end_us = db_column_int64(q, 0) * 1000;
		emit(e, &s);
	}
	db_finalize(q);
	return rc == DB_DONE ? 0 : st_fail(st, err, "reading a trace");
}

/* The model calls of a generate step, one after another from start. */
static int call_spans(struct store *st, struct db_stmt *q, const char *run_id,
                      const struct wr_span *step, struct emit *e, struct wr_err *err)
{
	int64_t t = step->start_us;
	char tmp[64];
	int rc;

	db_reset(q);
	st_text(q, 1, run_id);
	st_text(q, 2, step->name);
	while ((rc = db_step(q)) == DB_ROW) {
		struct wr_span s;

		memset(&s, 0, sizeof(s));
		s.parent = step->id;
		snprintf(s.kind, sizeof(s.kind), "call");
		snprintf(s.name, sizeof(s.name), "call %lld attempt %lld",
		         (long long)db_column_int64(q, 0) + 1,
		         (long long)db_column_int64(q, 1));
		st_col(q, 2, s.model, sizeof(s.model));
		st_col(q, 3, s.provider, sizeof(s.provider));
		s.tokens_in = db_column_int64(q, 4);
		s.tokens_out = db_column_int64(q, 5);
		s.cost_usd = db_column_double(q, 6);
		s.start_us = t;
		s.end_us = t += us(db_column_double(q, 7));
		st_col(q, 8, tmp, sizeof(tmp));
		s.failure = (enum wr_failure)st_failure_parse(tmp);
		snprintf(s.status, sizeof(s.status), "%s", s.failure ? "failed" : "ok");
		st_col(q, 9, tmp, sizeof(tmp));
		st_col(q, 10, s.detail, sizeof(s.detail));
		if (!s.detail[0])
			snprintf(s.detail, sizeof(s.detail), "finish: %s", tmp[0] ? tmp : "-");
		st_col(q, 11, s.artifact, sizeof(s.artifact));
		s.bytes_in = db_column_int64(q, 12);
		s.bytes_out = db_column_int64(q, 13);
		st_col(q, 14, s.params, sizeof(s.params));
		emit(e, &s);
		if (attempt_spans(st, run_id, db_column_int64(q, 0), &s, e, err) < 0)
			return WR_ESTORE;
	}
	return rc == DB_DONE ? 0 : st_fail(st, err, "reading a trace");
}

static int check_spans(struct store *st, struct db_stmt *q, const char *run_id,
                       const struct wr_span *step, struct emit *e, struct wr_err *err)
{
	int64_t t = step->start_us;
	char tmp[64];
	int rc;

	db_reset(q);
	st_text(q, 1, run_id);
	st_text(q, 2, step->name);
	while ((rc = db_step(q)) == DB_ROW) {
		struct wr_span s;

		memset(&s, 0, sizeof(s));
		s.parent = step->id;
		snprintf(s.kind, sizeof(s.kind), "check");
		st_col(q, 1, tmp, sizeof(tmp));
		snprintf(s.name, sizeof(s.name), "#%lld %s", (long long)db_column_int64(q, 0) + 1,
		         tmp);
		snprintf(s.status, sizeof(s.status), "%s", (int)db_column_int64(q, 2) ? "ok" : "failed");
		st_col(q, 3, tmp, sizeof(tmp));
		s.failure = (enum wr_failure)st_failure_parse(tmp);
		st_col(q, 4, s.detail, sizeof(s.detail));
		memcpy(s.artifact, step->artifact, sizeof(s.artifact));
		s.start_us = t;
		s.end_us = t += us(db_column_double(q, 5));
		emit(e, &s);
	}
	return rc == DB_DONE ? 0 : st_fail(st, err, "reading a trace");
}

int wr_trace_each(struct wr_store *store, const char *run_id,
                  int (*fn)(void *ud, const struct wr_span *s), void *ud,
                  struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct db_stmt *steps = NULL, *calls = NULL, *checks = NULL, *busy = NULL;
	struct emit e = { fn, ud, 0, 0 };
	struct store_run r;
	struct wr_span run;
	char tmp[64];
	int rc;

	if (!store || !run_id || !fn)
		return err_set(err, WR_EINVAL, "wr_trace_each: store, run and fn are required");
	if ((rc = store_run_get(st, run_id, &r, err)) < 0)
		return rc;
	memset(&run, 0, sizeof(run));
	snprintf(run.kind, sizeof(run.kind), "run");
	snprintf(run.name, sizeof(run.name), "%s", r.flow_name);
	snprintf(run.status, sizeof(run.status), "%s",
	         wr_run_status_name((enum wr_run_status)r.status));
	run.failure = (enum wr_failure)r.failure;
	run.start_us = r.created_ms * 1000;
	run.end_us = r.updated_ms * 1000;
	run.tokens_in = r.tokens_in;
	run.tokens_out = r.tokens_out;
	run.cost_usd = r.cost_usd;
	snprintf(run.detail, sizeof(run.detail), "%s", r.message);
	emit(&e, &run);
	if ((rc = prepare(st, steps_sql, &steps, err)) < 0 ||
	    (rc = prepare(st, db_kind(st->db) == DB_PG ? calls_pg_sql : calls_sql, &calls,
	                  err)) < 0 ||
	    (rc = prepare(st, checks_sql, &checks, err)) < 0 ||
	    (rc = prepare(st, busy_sql, &busy, err)) < 0)
		goto out;
	st_text(steps, 1, run_id);
	while (!e.stop && (rc = db_step(steps)) == DB_ROW) {
		struct wr_span s;
		int64_t ended = db_column_int64(steps, 7) * 1000;

		memset(&s, 0, sizeof(s));
		s.parent = run.id;
		snprintf(s.kind, sizeof(s.kind), "step");
		st_col(steps, 1, s.name, sizeof(s.name));
		st_col(steps, 2, s.step_kind, sizeof(s.step_kind));
		st_col(steps, 3, s.status, sizeof(s.status));
		st_col(steps, 4, tmp, sizeof(tmp));
		s.failure = (enum wr_failure)st_failure_parse(tmp);
		st_col(steps, 5, s.detail, sizeof(s.detail));
		st_col(steps, 6, s.artifact, sizeof(s.artifact));
		double secs = db_column_double(steps, 8);

		if (!ended || !strcmp(s.status, "pending"))
			continue;  /* never ran */
		/* A step that failed records no duration of its own; its calls
		 * and checks took what they took. */
		db_reset(busy);
		st_text(busy, 1, run_id);
		st_text(busy, 2, s.name);
		if (db_step(busy) == DB_ROW && db_column_double(busy, 0) > secs)
			secs = db_column_double(busy, 0);
		s.end_us = ended;
		s.start_us = ended - us(secs);
		if (s.start_us < run.start_us)
			s.start_us = run.start_us;
		emit(&e, &s);
		if (!strcmp(s.step_kind, "generate") &&
		    (rc = call_spans(st, calls, run_id, &s, &e, err)) == 0)
			rc = tool_spans(st, run_id, &s, &e, err);
		else if (!strcmp(s.step_kind, "check"))
			rc = check_spans(st, checks, run_id, &s, &e, err);
		if (rc < 0)
			goto out;
	}
	rc = e.stop || rc == DB_DONE || rc == 0 ? 0 : st_fail(st, err, "reading a trace");
out:
	db_finalize(steps);
	db_finalize(calls);
	db_finalize(checks);
	db_finalize(busy);
	return rc;
}
