/* exchanges.c: how each model call was answered, and its HTTP attempts. */
#include "store/store_db.h"

#include <string.h>

#include "core/err.h"

int store_exchange_put(struct store *st, const struct store_exchange *x,
                       struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_EXCH_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, x->run_id);
	db_bind_int64(s, 2, x->call_index);
	st_text(s, 3, x->request_hash);
	st_text(s, 4, x->record_blob);
	st_text(s, 5, x->served);
	st_text(s, 6, x->api_model);
	st_text(s, 7, x->system_fingerprint);
	db_bind_int64(s, 8, x->attempts);
	return st_exec(st, s, err, "writing a model exchange");
}

int store_attempt_put(struct store *st, const struct store_attempt *a, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_ATTEMPT_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, a->run_id);
	db_bind_int64(s, 2, a->call_index);
	db_bind_int64(s, 3, a->n);
	db_bind_int64(s, 4, a->status);
	db_bind_int64(s, 5, a->start_ms);
	db_bind_int64(s, 6, a->latency_ms);
	db_bind_int64(s, 7, a->retry_after_ms);
	db_bind_int64(s, 8, a->wait_ms);
	st_text(s, 9, a->error);
	return st_exec(st, s, err, "writing a call attempt");
}

int store_exchange_count(struct store *st, const char *run_id, const char *request_hash,
                         int64_t *n, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_EXCH_COUNT, err);
	int rc;

	*n = 0;
	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	st_text(s, 2, request_hash);
	rc = db_step(s);
	if (rc == DB_ROW)
		*n = db_column_int64(s, 0);
	db_reset(s);
	return rc == DB_ROW ? 0 : st_fail(st, err, "counting model exchanges");
}

/* Reads the first row of s (bound by the caller): record blob, cost. */
static int one_record(struct store *st, struct db_stmt *s, char record_blob[HASH_HEX],
                      double *cost_usd, struct wr_err *err)
{
	int rc = db_step(s);

	if (rc == DB_ROW) {
		st_col(s, 0, record_blob, HASH_HEX);
		if (cost_usd)
			*cost_usd = db_column_double(s, 1);
	}
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return err_set(err, WR_ENOTFOUND, "no recorded answer for this request");
	return st_fail(st, err, "reading a model exchange");
}

int store_exchange_replay(struct store *st, const char *run_id, const char *request_hash,
                          int64_t nth, char record_blob[HASH_HEX], double *cost_usd,
                          struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_EXCH_REPLAY, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	st_text(s, 2, request_hash);
	db_bind_int64(s, 3, nth);
	return one_record(st, s, record_blob, cost_usd, err);
}

int store_exchange_cached(struct store *st, const char *request_hash,
                          char record_blob[HASH_HEX], struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_EXCH_CACHED, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, request_hash);
	return one_record(st, s, record_blob, NULL, err);
}

int store_calls_each(struct store *st, const char *run_id,
                     int (*fn)(void *ud, const struct store_call *c,
                               const struct store_exchange *x),
                     void *ud, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_CALL_LIST, err);
	struct store_call c;
	struct store_exchange x;
	char tmp[64];
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&c, 0, sizeof(c));
		memset(&x, 0, sizeof(x));
		st_col(s, 0, c.run_id, sizeof(c.run_id));
		st_col(s, 1, c.step_id, sizeof(c.step_id));
		c.call_index = db_column_int64(s, 2);
		c.attempt = (int)db_column_int64(s, 3);
		st_col(s, 4, c.model, sizeof(c.model));
		st_col(s, 5, c.provider, sizeof(c.provider));
		st_col(s, 6, c.request_hash, sizeof(c.request_hash));
		st_col(s, 7, c.response_hash, sizeof(c.response_hash));
		c.tokens_in = db_column_int64(s, 8);
		c.tokens_out = db_column_int64(s, 9);
		c.cost_usd = db_column_double(s, 10);
		c.seconds = db_column_double(s, 11);
		st_col(s, 12, tmp, sizeof(tmp));
		c.failure = st_failure_parse(tmp);
		st_col(s, 13, c.finish, sizeof(c.finish));
		st_col(s, 14, c.detail, sizeof(c.detail));
		memcpy(x.run_id, c.run_id, sizeof(x.run_id));
		x.call_index = c.call_index;
		memcpy(x.request_hash, c.request_hash, sizeof(x.request_hash));
		st_col(s, 15, x.record_blob, sizeof(x.record_blob));
		st_col(s, 16, x.served, sizeof(x.served));
		st_col(s, 17, x.api_model, sizeof(x.api_model));
		st_col(s, 18, x.system_fingerprint, sizeof(x.system_fingerprint));
		x.attempts = (int)db_column_int64(s, 19);
		if (fn(ud, &c, &x))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing calls");
}

int store_attempts_each(struct store *st, const char *run_id,
                        int (*fn)(void *ud, const struct store_attempt *a), void *ud,
                        struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_ATTEMPT_LIST, err);
	struct store_attempt a;
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, run_id);
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&a, 0, sizeof(a));
		st_col(s, 0, a.run_id, sizeof(a.run_id));
		a.call_index = db_column_int64(s, 1);
		a.n = (int)db_column_int64(s, 2);
		a.status = (int)db_column_int64(s, 3);
		a.start_ms = db_column_int64(s, 4);
		a.latency_ms = db_column_int64(s, 5);
		a.retry_after_ms = db_column_int64(s, 6);
		a.wait_ms = db_column_int64(s, 7);
		st_col(s, 8, a.error, sizeof(a.error));
		if (fn(ud, &a))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing attempts");
}
