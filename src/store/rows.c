/* rows.c: steps, artifacts, checks, calls, effects and ledger rows. */
#include <string.h>

#include "core/err.h"
#include "store/store_db.h"

/* --- steps --- */

int store_step_put(struct store *st, const struct store_step *x, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_STEP_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, x->run_id);
	db_bind_int64(s, 2, x->idx);
	st_text(s, 3, x->id);
	st_text(s, 4, x->kind);
	st_text(s, 5, x->status);
	st_text(s, 6, wr_failure_name(x->failure));
	st_text(s, 7, x->message);
	st_text(s, 8, x->artifact);
	db_bind_int64(s, 9, x->started_ms);
	db_bind_int64(s, 10, x->ended_ms);
	db_bind_double(s, 11, x->seconds);
	db_bind_int64(s, 12, x->ledger_seq);
	return st_exec(st, s, err, "writing a step");
}

static void step_read(struct db_stmt *s, struct store_step *x)
{
	char tmp[64];

	memset(x, 0, sizeof(*x));
	st_col(s, 0, x->run_id, sizeof(x->run_id));
	x->idx = (int)db_column_int64(s, 1);
	st_col(s, 2, x->id, sizeof(x->id));
	st_col(s, 3, x->kind, sizeof(x->kind));
	st_col(s, 4, x->status, sizeof(x->status));
	st_col(s, 5, tmp, sizeof(tmp));
	x->failure = st_failure_parse(tmp);
	st_col(s, 6, x->message, sizeof(x->message));
	st_col(s, 7, x->artifact, sizeof(x->artifact));
	x->started_ms = db_column_int64(s, 8);
	x->ended_ms = db_column_int64(s, 9);
	x->seconds = db_column_double(s, 10);
	x->ledger_seq = db_column_int64(s, 11);
}

int store_step_get(struct store *st, const char *run_id, const char *step_id,
                   struct store_step *x, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_STEP_GET, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	st_text(s, 2, step_id);
	rc = db_step(s);
	if (rc == DB_ROW)
		step_read(s, x);
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return err_set(err, WR_ENOTFOUND, "run %s has no step '%s'", run_id, step_id);
	return st_fail(st, err, "reading a step");
}

int store_steps_each(struct store *st, const char *run_id,
                     int (*fn)(void *ud, const struct store_step *x), void *ud,
                     struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_STEP_LIST, err);
	struct store_step x;
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	while ((rc = db_step(s)) == DB_ROW) {
		step_read(s, &x);
		if (fn(ud, &x))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing steps");
}

/* --- artifacts --- */

int store_artifact_put(struct store *st, const struct store_artifact *a,
                       struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_ART_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, a->run_id);
	st_text(s, 2, a->step_id);
	st_text(s, 3, a->hash);
	db_bind_int64(s, 4, a->size);
	st_text(s, 5, wr_state_name(a->state));
	st_text(s, 6, wr_failure_name(a->failure));
	db_bind_int64(s, 7, a->checks_passed);
	return st_exec(st, s, err, "writing an artifact");
}

static void art_row(struct db_stmt *s, struct store_artifact *a)
{
	char tmp[64];

	memset(a, 0, sizeof(*a));
	st_col(s, 0, a->run_id, sizeof(a->run_id));
	st_col(s, 1, a->step_id, sizeof(a->step_id));
	st_col(s, 2, a->hash, sizeof(a->hash));
	a->size = db_column_int64(s, 3);
	st_col(s, 4, tmp, sizeof(tmp));
	a->state = st_state_parse(tmp);
	st_col(s, 5, tmp, sizeof(tmp));
	a->failure = st_failure_parse(tmp);
	a->checks_passed = (int)db_column_int64(s, 6);
}

int store_artifact_get(struct store *st, const char *run_id, const char *step_id,
                       struct store_artifact *a, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_ART_GET, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	st_text(s, 2, step_id);
	rc = db_step(s);
	if (rc == DB_ROW)
		art_row(s, a);
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return err_set(err, WR_ENOTFOUND, "run %s has no artifact from step '%s'",
		               run_id, step_id);
	return st_fail(st, err, "reading an artifact");
}

int store_artifacts_each(struct store *st, const char *run_id,
                         int (*fn)(void *ud, const struct store_artifact *a), void *ud,
                         struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_ART_LIST, err);
	struct store_artifact a;
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	while ((rc = db_step(s)) == DB_ROW) {
		art_row(s, &a);
		if (fn(ud, &a))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing artifacts");
}

/* --- checks --- */

int store_check_put(struct store *st, const struct store_check *c, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_CHECK_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, c->run_id);
	st_text(s, 2, c->step_id);
	db_bind_int64(s, 3, c->idx);
	st_text(s, 4, c->kind);
	st_text(s, 5, c->artifact);
	db_bind_int64(s, 6, c->passed);
	st_text(s, 7, wr_failure_name(c->failure));
	st_text(s, 8, c->reason);
	db_bind_double(s, 9, c->seconds);
	return st_exec(st, s, err, "writing a check result");
}

int store_checks_each(struct store *st, const char *run_id,
                      int (*fn)(void *ud, const struct store_check *c), void *ud,
                      struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_CHECK_LIST, err);
	struct store_check c;
	char tmp[64];
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&c, 0, sizeof(c));
		st_col(s, 0, c.run_id, sizeof(c.run_id));
		st_col(s, 1, c.step_id, sizeof(c.step_id));
		c.idx = (int)db_column_int64(s, 2);
		st_col(s, 3, c.kind, sizeof(c.kind));
		st_col(s, 4, c.artifact, sizeof(c.artifact));
		c.passed = (int)db_column_int64(s, 5);
		st_col(s, 6, tmp, sizeof(tmp));
		c.failure = st_failure_parse(tmp);
		st_col(s, 7, c.reason, sizeof(c.reason));
		c.seconds = db_column_double(s, 8);
		if (fn(ud, &c))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing checks");
}

/* --- calls --- */

int store_call_put(struct store *st, const struct store_call *c, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_CALL_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, c->run_id);
	st_text(s, 2, c->step_id);
	db_bind_int64(s, 3, c->call_index);
	db_bind_int64(s, 4, c->attempt);
	st_text(s, 5, c->model);
	st_text(s, 6, c->provider);
	st_text(s, 7, c->request_hash);
	st_text(s, 8, c->response_hash);
	db_bind_int64(s, 9, c->tokens_in);
	db_bind_int64(s, 10, c->tokens_out);
	db_bind_double(s, 11, c->cost_usd);
	db_bind_double(s, 12, c->seconds);
	st_text(s, 13, wr_failure_name(c->failure));
	st_text(s, 14, c->finish);
	st_text(s, 15, c->detail);
	return st_exec(st, s, err, "writing a model call");
}

/* --- effects --- */

int store_effect_put(struct store *st, const struct store_effect *e, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_EFFECT_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, e->run_id);
	st_text(s, 2, e->step_id);
	st_text(s, 3, e->target);
	db_bind_int64(s, 4, e->append);
	db_bind_int64(s, 5, e->offset);
	st_text(s, 6, e->hash);
	st_text(s, 7, e->status);
	return st_exec(st, s, err, "writing an effect");
}

int store_effect_get(struct store *st, const char *run_id, const char *step_id,
                     struct store_effect *e, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_EFFECT_GET, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	st_text(s, 2, step_id);
	rc = db_step(s);
	if (rc == DB_ROW) {
		memset(e, 0, sizeof(*e));
		st_col(s, 0, e->run_id, sizeof(e->run_id));
		st_col(s, 1, e->step_id, sizeof(e->step_id));
		st_col(s, 2, e->target, sizeof(e->target));
		e->append = (int)db_column_int64(s, 3);
		e->offset = db_column_int64(s, 4);
		st_col(s, 5, e->hash, sizeof(e->hash));
		st_col(s, 6, e->status, sizeof(e->status));
	}
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return WR_ENOTFOUND;
	return st_fail(st, err, "reading an effect");
}

/* --- ledger rows --- */

int store_ledger_insert(struct store *st, const struct wr_ledger_entry *e,
                        struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_LEDGER_INSERT, err);

	if (!s)
		return WR_ESTORE;
	db_bind_int64(s, 1, e->seq);
	db_bind_int64(s, 2, e->at_ms);
	st_text(s, 3, e->run_id);
	st_text(s, 4, e->actor);
	st_text(s, 5, e->action);
	st_text(s, 6, e->subject);
	st_text(s, 7, e->evidence);
	st_text(s, 8, e->prev);
	st_text(s, 9, e->hash);
	return st_exec(st, s, err, "appending to the ledger");
}

static void ledger_read(struct db_stmt *s, struct wr_ledger_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = db_column_int64(s, 0);
	e->at_ms = db_column_int64(s, 1);
	st_col(s, 2, e->run_id, sizeof(e->run_id));
	st_col(s, 3, e->actor, sizeof(e->actor));
	st_col(s, 4, e->action, sizeof(e->action));
	st_col(s, 5, e->subject, sizeof(e->subject));
	st_col(s, 6, e->evidence, sizeof(e->evidence));
	st_col(s, 7, e->prev, sizeof(e->prev));
	st_col(s, 8, e->hash, sizeof(e->hash));
}

int store_ledger_tail(struct store *st, struct wr_ledger_entry *e, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_LEDGER_LOCK, err);
	int rc;

	memset(e, 0, sizeof(*e));
	if (!s || st_exec(st, s, err, "locking the ledger") < 0 ||
	    !(s = st_stmt(st, S_LEDGER_TAIL, err)))
		return WR_ESTORE;
	rc = db_step(s);
	if (rc == DB_ROW)
		ledger_read(s, e);
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "reading the ledger");
}

int store_ledger_each(struct store *st, const char *run_id,
                      int (*fn)(void *ud, const struct wr_ledger_entry *e), void *ud,
                      struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, run_id ? S_LEDGER_RUN : S_LEDGER_ALL, err);
	struct wr_ledger_entry e;
	int rc;

	if (!s)
		return WR_ESTORE;
	if (run_id)
		st_text(s, 1, run_id);
	while ((rc = db_step(s)) == DB_ROW) {
		ledger_read(s, &e);
		if (fn(ud, &e))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "reading the ledger");
}
