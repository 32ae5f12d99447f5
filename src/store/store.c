/* store.c: opening the SQLite store, transactions, blobs, meta and runs. */
#include "store/store_db.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/os.h"

static const char *const stmt_sql[S_COUNT_] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_BLOB_PUT] = "INSERT OR IGNORE INTO blobs(hash, size, bytes) VALUES(?1, ?2, ?3)",
	[S_BLOB_GET] = "SELECT bytes FROM blobs WHERE hash = ?1",
	[S_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
	               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_RUN_INSERT] =
		"INSERT INTO runs(id, flow_name, flow_path, flow_hash, flow_blob, status, "
		"failure, failed_step, message, inputs_blob, seed, created_ms, updated_ms, "
		"tokens_in, tokens_out, calls, cost_usd, seconds, steps_total, owner_pid, "
		"owner_host) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
		"?18,?19,?20,?21)",
	[S_RUN_UPDATE] =
		"UPDATE runs SET status=?2, failure=?3, failed_step=?4, message=?5, "
		"updated_ms=?6, tokens_in=?7, tokens_out=?8, calls=?9, cost_usd=?10, "
		"seconds=?11, owner_pid=?12, owner_host=?13 WHERE id=?1",
	[S_RUN_GET] =
		"SELECT id, flow_name, flow_path, flow_hash, flow_blob, status, failure, "
		"failed_step, message, inputs_blob, seed, created_ms, updated_ms, tokens_in, "
		"tokens_out, calls, cost_usd, seconds, steps_total, owner_pid "
		"FROM runs WHERE id = ?1",
	[S_RUN_LAST] = "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1",
	/* A range on the primary key, so a lookup reads the matching ids only
	 * (an exact match sorts first) rather than every run. */
	[S_RUN_PREFIX] = "SELECT id FROM runs WHERE id >= ?1 AND id < ?1 || char(1114111) "
	                 "AND substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 2",
	[S_RUN_LIST] =
		"SELECT id, flow_name, flow_path, flow_hash, flow_blob, status, failure, "
		"failed_step, message, inputs_blob, seed, created_ms, updated_ms, tokens_in, "
		"tokens_out, calls, cost_usd, seconds, steps_total, owner_pid "
		"FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT ?1",
	[S_RUN_OWNER] = "SELECT owner_pid, owner_host FROM runs WHERE id = ?1",
	[S_RUN_SET_OWNER] = "UPDATE runs SET owner_pid = ?2, owner_host = ?3 WHERE id = ?1",
	[S_STEP_PUT] =
		"INSERT INTO steps(run_id, idx, id, kind, status, failure, message, artifact, "
		"started_ms, ended_ms, seconds, ledger_seq) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) "
		"ON CONFLICT(run_id, id) DO UPDATE SET status=excluded.status, "
		"failure=excluded.failure, message=excluded.message, artifact=excluded.artifact, "
		"started_ms=excluded.started_ms, ended_ms=excluded.ended_ms, "
		"seconds=excluded.seconds, ledger_seq=excluded.ledger_seq",
	[S_STEP_GET] =
		"SELECT run_id, idx, id, kind, status, failure, message, artifact, started_ms, "
		"ended_ms, seconds, ledger_seq FROM steps WHERE run_id = ?1 AND id = ?2",
	[S_STEP_LIST] =
		"SELECT run_id, idx, id, kind, status, failure, message, artifact, started_ms, "
		"ended_ms, seconds, ledger_seq FROM steps WHERE run_id = ?1 ORDER BY idx",
	[S_ART_PUT] =
		"INSERT INTO artifacts(run_id, step_id, hash, size, state, failure, checks_passed) "
		"VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(run_id, step_id) DO UPDATE SET "
		"hash=excluded.hash, size=excluded.size, state=excluded.state, "
		"failure=excluded.failure, checks_passed=excluded.checks_passed",
	[S_ART_GET] =
		"SELECT run_id, step_id, hash, size, state, failure, checks_passed "
		"FROM artifacts WHERE run_id = ?1 AND step_id = ?2",
	[S_ART_LIST] =
		"SELECT run_id, step_id, hash, size, state, failure, checks_passed "
		"FROM artifacts WHERE run_id = ?1 ORDER BY rowid",
	[S_CHECK_PUT] =
		"INSERT OR REPLACE INTO checks(run_id, step_id, idx, kind, artifact, passed, "
		"failure, reason, seconds) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[S_CHECK_LIST] =
		"SELECT run_id, step_id, idx, kind, artifact, passed, failure, reason, seconds "
		"FROM checks WHERE run_id = ?1 ORDER BY rowid",
	[S_CALL_PUT] =
		"INSERT OR REPLACE INTO calls(run_id, step_id, call_index, attempt, model, provider, "
		"request_hash, response_hash, tokens_in, tokens_out, cost_usd, seconds, failure, "
		"finish, detail) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
	[S_EXCH_PUT] =
		"INSERT OR REPLACE INTO exchanges(run_id, call_index, request_hash, record_blob, "
		"served, api_model, system_fingerprint, attempts) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	[S_EXCH_COUNT] =
		"SELECT count(*) FROM exchanges WHERE run_id = ?1 AND request_hash = ?2",
	[S_EXCH_REPLAY] =
		"SELECT x.record_blob, c.cost_usd FROM exchanges x JOIN calls c "
		"ON c.run_id = x.run_id AND c.call_index = x.call_index "
		"WHERE x.run_id = ?1 AND x.request_hash = ?2 ORDER BY x.call_index "
		"LIMIT 1 OFFSET ?3",
	[S_EXCH_CACHED] =
		"SELECT x.record_blob, c.cost_usd FROM exchanges x JOIN calls c "
		"ON c.run_id = x.run_id AND c.call_index = x.call_index "
		"WHERE x.request_hash = ?1 AND c.failure = 'none' ORDER BY c.rowid DESC LIMIT 1",
	[S_CALL_LIST] =
		"SELECT c.run_id, c.step_id, c.call_index, c.attempt, c.model, c.provider, "
		"c.request_hash, c.response_hash, c.tokens_in, c.tokens_out, c.cost_usd, c.seconds, "
		"c.failure, c.finish, c.detail, coalesce(x.record_blob, ''), "
		"coalesce(x.served, ''), coalesce(x.api_model, ''), "
		"coalesce(x.system_fingerprint, ''), coalesce(x.attempts, 0) FROM calls c "
		"LEFT JOIN exchanges x ON x.run_id = c.run_id AND x.call_index = c.call_index "
		"WHERE c.run_id = ?1 ORDER BY c.call_index",
	[S_ATTEMPT_PUT] =
		"INSERT OR REPLACE INTO attempts(run_id, call_index, n, status, start_ms, latency_ms, "
		"retry_after_ms, wait_ms, error) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[S_ATTEMPT_LIST] =
		"SELECT run_id, call_index, n, status, start_ms, latency_ms, retry_after_ms, wait_ms, "
		"error FROM attempts WHERE run_id = ?1 ORDER BY call_index, n",
	[S_EFFECT_PUT] =
		"INSERT OR REPLACE INTO effects(run_id, step_id, target, append, \"offset\", hash, status) "
		"VALUES(?1,?2,?3,?4,?5,?6,?7)",
	[S_EFFECT_GET] =
		"SELECT run_id, step_id, target, append, \"offset\", hash, status FROM effects "
		"WHERE run_id = ?1 AND step_id = ?2",
	[S_LEDGER_INSERT] =
		"INSERT INTO ledger(seq, at_ms, run_id, actor, action, subject, evidence, prev, hash) "
		"VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	[S_LEDGER_TAIL] =
		"SELECT seq, at_ms, run_id, actor, action, subject, evidence, prev, hash "
		"FROM ledger ORDER BY seq DESC LIMIT 1",
	[S_LEDGER_ALL] =
		"SELECT seq, at_ms, run_id, actor, action, subject, evidence, prev, hash "
		"FROM ledger ORDER BY seq",
	[S_LEDGER_RUN] =
		"SELECT seq, at_ms, run_id, actor, action, subject, evidence, prev, hash "
		"FROM ledger WHERE run_id = ?1 ORDER BY seq",
	[S_KEY_PUT] = "INSERT OR IGNORE INTO keys(key_id, public_pem, added_ms) VALUES(?1,?2,?3)",
	[S_KEY_LIST] = "SELECT key_id, public_pem FROM keys ORDER BY added_ms, key_id",
	[S_SIG_PUT] = "INSERT OR REPLACE INTO signatures(seq, key_id, sig) VALUES(?1,?2,?3)",
	[S_SIG_LIST] = "SELECT seq, key_id, sig FROM signatures ORDER BY seq",
	/* SQLite's BEGIN IMMEDIATE already makes writers take turns. */
	[S_LEDGER_LOCK] = "SELECT 1",
	[S_JOB_ADD] = "INSERT INTO jobs(kind, flow_path, args, run_id, status, created_ms) "
	              "VALUES(?4, ?1, ?2, '', 'queued', ?3) RETURNING id",
	[S_JOB_NAME] = "UPDATE jobs SET run_id = ?2 WHERE id = ?1",
	[S_JOB_RECLAIM] = JOB_CLAIM("status = 'running' AND lease_until_ms < ?2", ""),
	[S_JOB_CLAIM] = JOB_CLAIM("status = 'queued'", ""),
	[S_JOB_BEAT] = "UPDATE jobs SET lease_until_ms = ?4 WHERE id = ?1 AND worker = ?2 "
	               "AND claims = ?3 AND status = 'running'",
	[S_JOB_END] = "UPDATE jobs SET status = ?4, ended_ms = ?5, result = ?6, message = ?7, "
	              "lease_until_ms = 0 WHERE id = ?1 AND worker = ?2 AND claims = ?3 "
	              "AND status = 'running'",
	[S_JOB_COUNT] = "SELECT status, count(*) FROM jobs GROUP BY status",
	[S_JOB_STATUS] = "SELECT status, message FROM jobs WHERE id = ?1",
};

/* --- helpers shared by the store's files --- */

struct db_stmt *st_stmt(struct store *st, enum stmt_id id, struct wr_err *err)
{
	struct db_stmt *s = st->stmt[id];

	if (!s) {
		const char *sql = db_kind(st->db) == DB_PG && stmt_sql_pg[id] ? stmt_sql_pg[id]
		                                                              : stmt_sql[id];

		if (db_prepare(st->db, sql, 1, &s, NULL) < 0) {
			st_fail(st, err, "preparing a statement");
			return NULL;
		}
		st->stmt[id] = s;
	}
	db_reset(s);
	return s;
}

int st_fail(struct store *st, struct wr_err *err, const char *what)
{
	return err_set(err, WR_ESTORE, "%s: %s: %s", st->path, what, db_errmsg(st->db));
}

int st_exec(struct store *st, struct db_stmt *s, struct wr_err *err, const char *what)
{
	int rc = db_step(s);

	db_reset(s);
	if (rc != DB_DONE && rc != DB_ROW)
		return st_fail(st, err, what);
	return 0;
}

void st_text(struct db_stmt *s, int col, const char *v)
{
	db_bind_text(s, col, v);
}

void st_col(struct db_stmt *s, int col, char *out, size_t size)
{
	const char *t = db_column_text(s, col);
	size_t n = db_column_bytes(s, col);

	if (n >= size)
		n = size - 1;  /* truncated, as snprintf would */
	if (n)
		memcpy(out, t, n);
	out[n] = '\0';
}

int st_state_parse(const char *s)
{
	for (int i = WR_STATE_CANDIDATE; i <= WR_STATE_REJECTED; i++)
		if (!strcmp(wr_state_name((enum wr_state)i), s))
			return i;
	return WR_STATE_REJECTED;  /* an unreadable state never counts as good */
}

int st_status_parse(const char *s)
{
	for (int i = WR_RUN_RUNNING; i <= WR_RUN_FAILED; i++)
		if (!strcmp(wr_run_status_name((enum wr_run_status)i), s))
			return i;
	return WR_RUN_FAILED;
}

int st_failure_parse(const char *s)
{
	int f = wr_failure_parse(s);

	return f < 0 ? WR_FAIL_NONE : f;
}

/* --- open and close --- */

/* The path as messages show it: a URL's password as "***". */
static void path_for_messages(const char *path, char *out, size_t size)
{
	const char *scheme = strstr(path, "://"), *at, *colon;

	snprintf(out, size, "%s", path);
	if (!scheme || !(at = strchr(scheme + 3, '@')))
		return;
	colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (colon)
		snprintf(out, size, "%.*s:***%s", (int)(colon - path), path, at);
}

int store_open(const char *path, struct store **out, struct wr_err *err)
{
	struct store *st;
	char dir[4096];
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return err_set(err, WR_ENOMEM, "out of memory");
	path_for_messages(path, st->path, sizeof(st->path));
	if (gethostname(st->host, sizeof(st->host) - 1) < 0)
		st->host[0] = '\0';
	if (!db_is_pg_target(path) && os_dirname(path, dir, sizeof(dir)) == 0 &&
	    (rc = os_mkdir_p(dir, err)) < 0)
		goto fail;
	if ((rc = db_open(path, &st->db, err)) < 0)
		goto fail;
	if ((rc = store_migrate(st, err)) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_free(st);
	return rc;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	if (st->signer_free)
		st->signer_free(st->signer);
	for (int i = 0; i < S_COUNT_; i++)
		db_finalize(st->stmt[i]);
	db_free(st->db);
	free(st);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

/* --- transactions --- */

int store_in_txn(const struct store *st)
{
	return st->in_txn;
}

int store_begin(struct store *st, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_BEGIN, err);

	if (!s || st_exec(st, s, err, "begin") < 0)
		return WR_ESTORE;
	st->in_txn = 1;
	return 0;
}

int store_commit(struct store *st, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_COMMIT, err);

	if (!s || st_exec(st, s, err, "commit") < 0) {
		store_rollback(st);
		return WR_ESTORE;
	}
	st->in_txn = 0;
	return 0;
}

void store_rollback(struct store *st)
{
	struct db_stmt *s;

	if (!st->in_txn)
		return;
	s = st_stmt(st, S_ROLLBACK, NULL);
	if (s)
		st_exec(st, s, NULL, "rollback");
	st->in_txn = 0;
}

/* --- blobs --- */

int store_blob_put(struct store *st, const void *bytes, size_t len, char hash[HASH_HEX],
                   struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_BLOB_PUT, err);

	if (!s)
		return WR_ESTORE;
	hash_hex(bytes, len, hash);
	st_text(s, 1, hash);
	db_bind_int64(s, 2, (int64_t)len);
	db_bind_blob(s, 3, bytes, len);
	return st_exec(st, s, err, "storing bytes");
}

int store_blob_get(struct store *st, const char *hash, struct buf *out, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_BLOB_GET, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, hash);
	rc = db_step(s);
	if (rc == DB_ROW) {
		rc = buf_add(out, db_column_blob(s, 0), (size_t)(int)db_column_bytes(s, 0));
		db_reset(s);
		return rc < 0 ? err_set(err, rc, "blob %.12s: too large", hash) : 0;
	}
	db_reset(s);
	if (rc == DB_DONE)
		return err_set(err, WR_ENOTFOUND, "no stored bytes with hash %.12s", hash);
	return st_fail(st, err, "reading bytes");
}

int store_blob_get_verified(struct store *st, const char *hash, struct buf *out,
                            struct wr_err *err)
{
	size_t start = out->len;
	char got[HASH_HEX];
	int rc = store_blob_get(st, hash, out, err);

	if (rc < 0)
		return rc;
	hash_hex(out->data + start, out->len - start, got);
	if (strcmp(got, hash) != 0)
		return err_set(err, WR_ETAMPER, "stored bytes of %.12s hash to %.12s: tampered",
		               hash, got);
	return 0;
}

/* --- meta --- */

int store_meta_set(struct store *st, const char *key, const char *value,
                   struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_META_SET, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, key);
	st_text(s, 2, value);
	return st_exec(st, s, err, "writing meta");
}

int store_meta_get(struct store *st, const char *key, char *value, size_t size,
                   struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_META_GET, err);
	int rc;

	value[0] = '\0';
	if (!s)
		return WR_ESTORE;
	st_text(s, 1, key);
	rc = db_step(s);
	if (rc == DB_ROW)
		st_col(s, 0, value, size);
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return WR_ENOTFOUND;
	return st_fail(st, err, "reading meta");
}

/* --- runs --- */

static void run_bind_common(struct db_stmt *s, const struct store_run *r)
{
	st_text(s, 1, r->id);
}

int store_run_insert(struct store *st, const struct store_run *r, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_RUN_INSERT, err);

	if (!s)
		return WR_ESTORE;
	run_bind_common(s, r);
	st_text(s, 2, r->flow_name);
	st_text(s, 3, r->flow_path);
	st_text(s, 4, r->flow_hash);
	st_text(s, 5, r->flow_blob);
	st_text(s, 6, wr_run_status_name(r->status));
	st_text(s, 7, wr_failure_name(r->failure));
	st_text(s, 8, r->failed_step);
	st_text(s, 9, r->message);
	st_text(s, 10, r->inputs_blob);
	db_bind_int64(s, 11, (int64_t)r->seed);
	db_bind_int64(s, 12, r->created_ms);
	db_bind_int64(s, 13, r->updated_ms);
	db_bind_int64(s, 14, r->tokens_in);
	db_bind_int64(s, 15, r->tokens_out);
	db_bind_int64(s, 16, r->calls);
	db_bind_double(s, 17, r->cost_usd);
	db_bind_double(s, 18, r->seconds);
	db_bind_int64(s, 19, r->steps_total);
	db_bind_int64(s, 20, r->owner_pid);
	st_text(s, 21, r->owner_pid ? st->host : "");
	return st_exec(st, s, err, "inserting a run");
}

int store_run_update(struct store *st, const struct store_run *r, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_RUN_UPDATE, err);

	if (!s)
		return WR_ESTORE;
	run_bind_common(s, r);
	st_text(s, 2, wr_run_status_name(r->status));
	st_text(s, 3, wr_failure_name(r->failure));
	st_text(s, 4, r->failed_step);
	st_text(s, 5, r->message);
	db_bind_int64(s, 6, r->updated_ms);
	db_bind_int64(s, 7, r->tokens_in);
	db_bind_int64(s, 8, r->tokens_out);
	db_bind_int64(s, 9, r->calls);
	db_bind_double(s, 10, r->cost_usd);
	db_bind_double(s, 11, r->seconds);
	db_bind_int64(s, 12, r->owner_pid);
	st_text(s, 13, r->owner_pid ? st->host : "");
	return st_exec(st, s, err, "updating a run");
}

static void run_read(struct db_stmt *s, struct store_run *r)
{
	char tmp[64];

	memset(r, 0, sizeof(*r));
	st_col(s, 0, r->id, sizeof(r->id));
	st_col(s, 1, r->flow_name, sizeof(r->flow_name));
	st_col(s, 2, r->flow_path, sizeof(r->flow_path));
	st_col(s, 3, r->flow_hash, sizeof(r->flow_hash));
	st_col(s, 4, r->flow_blob, sizeof(r->flow_blob));
	st_col(s, 5, tmp, sizeof(tmp));
	r->status = st_status_parse(tmp);
	st_col(s, 6, tmp, sizeof(tmp));
	r->failure = st_failure_parse(tmp);
	st_col(s, 7, r->failed_step, sizeof(r->failed_step));
	st_col(s, 8, r->message, sizeof(r->message));
	st_col(s, 9, r->inputs_blob, sizeof(r->inputs_blob));
	r->seed = (uint64_t)db_column_int64(s, 10);
	r->created_ms = db_column_int64(s, 11);
	r->updated_ms = db_column_int64(s, 12);
	r->tokens_in = db_column_int64(s, 13);
	r->tokens_out = db_column_int64(s, 14);
	r->calls = db_column_int64(s, 15);
	r->cost_usd = db_column_double(s, 16);
	r->seconds = db_column_double(s, 17);
	r->steps_total = (int)db_column_int64(s, 18);
	r->owner_pid = (int)db_column_int64(s, 19);
}

int store_run_get(struct store *st, const char *id, struct store_run *r,
                  struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_RUN_GET, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, id);
	rc = db_step(s);
	if (rc == DB_ROW)
		run_read(s, r);
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return err_set(err, WR_ENOTFOUND, "no run '%s' in %s", id, st->path);
	return st_fail(st, err, "reading a run");
}

int store_run_find(struct store *st, const char *ref, char id[WR_ID_MAX],
                   struct wr_err *err)
{
	struct db_stmt *s;
	int rc, n = 0;

	if (!ref || !ref[0])
		return err_set(err, WR_EINVAL, "empty run id");
	s = st_stmt(st, strcmp(ref, "last") ? S_RUN_PREFIX : S_RUN_LAST, err);
	if (!s)
		return WR_ESTORE;
	if (strcmp(ref, "last"))
		st_text(s, 1, ref);
	while ((rc = db_step(s)) == DB_ROW) {
		st_col(s, 0, id, WR_ID_MAX);
		n++;
		if (strcmp(id, ref) == 0) {  /* an exact match wins over prefixes */
			n = 1;
			break;
		}
	}
	db_reset(s);
	if (rc != DB_DONE && rc != DB_ROW)
		return st_fail(st, err, "finding a run");
	if (n == 0)
		return err_set(err, WR_ENOTFOUND, "no run '%s' in %s", ref, st->path);
	if (n > 1)
		return err_set(err, WR_EINVAL, "run id '%s' is ambiguous; give more of it", ref);
	return 0;
}

int store_runs_each(struct store *st, int limit,
                    int (*fn)(void *ud, const struct store_run *r), void *ud,
                    struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_RUN_LIST, err);
	struct store_run r;
	int rc;

	if (!s)
		return WR_ESTORE;
	db_bind_int64(s, 1, limit > 0 ? limit : INT64_MAX);
	while ((rc = db_step(s)) == DB_ROW) {
		run_read(s, &r);
		if (fn(ud, &r))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing runs");
}

/* Built from the filters given, so each narrowing can use runs_created: the
 * listing order is the index's (created_ms, then rowid) read backwards, and
 * a page boundary is a range on it rather than an offset to skip. */
int store_runs_query(struct store *st, const char *status, const char *failure,
                     const char *flow, const char *after, int limit,
                     int (*fn)(void *ud, const struct store_run *r), void *ud,
                     struct wr_err *err)
{
	char sql[1024];
	struct db_stmt *s = NULL;
	struct store_run r;
	int64_t at_ms = 0, at_row = 0;
	int rc, n = 0;

	if (after && after[0]) {
		if (db_prepare(st->db, "SELECT created_ms, rowid FROM runs WHERE id = ?1", 0, &s, NULL) < 0)
			return st_fail(st, err, "listing runs");
		st_text(s, 1, after);
		rc = db_step(s);
		if (rc == DB_ROW) {
			at_ms = db_column_int64(s, 0);
			at_row = db_column_int64(s, 1);
		}
		db_finalize(s);
		s = NULL;
		if (rc == DB_DONE)
			return err_set(err, WR_ENOTFOUND, "no run '%s' in %s", after, st->path);
		if (rc != DB_ROW)
			return st_fail(st, err, "listing runs");
	}
	n = snprintf(sql, sizeof(sql),
	             "SELECT id, flow_name, flow_path, flow_hash, flow_blob, status, failure, "
	             "failed_step, message, inputs_blob, seed, created_ms, updated_ms, tokens_in, "
	             "tokens_out, calls, cost_usd, seconds, steps_total, owner_pid "
	             "FROM runs WHERE 1=1%s%s%s%s ORDER BY created_ms DESC, rowid DESC LIMIT ?5",
	             status && status[0] ? " AND status = ?1" : "",
	             failure && failure[0] ? " AND failure = ?2" : "",
	             flow && flow[0] ? " AND flow_name = ?3" : "",
	             after && after[0] ? " AND (created_ms, rowid) < (?4, ?6)" : "");
	if (n < 0 || (size_t)n >= sizeof(sql) ||
	    db_prepare(st->db, sql, 0, &s, NULL) < 0)
		return st_fail(st, err, "listing runs");
	if (status && status[0])
		st_text(s, 1, status);
	if (failure && failure[0])
		st_text(s, 2, failure);
	if (flow && flow[0])
		st_text(s, 3, flow);
	if (after && after[0]) {
		db_bind_int64(s, 4, at_ms);
		db_bind_int64(s, 6, at_row);
	}
	db_bind_int64(s, 5, limit > 0 ? limit : INT64_MAX);
	while ((rc = db_step(s)) == DB_ROW) {
		run_read(s, &r);
		if (fn(ud, &r))
			break;
	}
	rc = rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "listing runs");
	db_finalize(s);
	return rc;
}

int store_run_claim(struct store *st, const char *id, int pid, struct wr_err *err)
{
	struct db_stmt *s;
	char host[sizeof(st->host)] = "";
	int owner = -1, rc;

	if ((rc = store_begin(st, err)) < 0)
		return rc;
	if (!(s = st_stmt(st, S_RUN_OWNER, err))) {
		rc = WR_ESTORE;
		goto fail;
	}
	st_text(s, 1, id);
	if ((rc = db_step(s)) == DB_ROW) {
		owner = (int)db_column_int64(s, 0);
		st_col(s, 1, host, sizeof(host));
	}
	db_reset(s);
	if (rc < 0) {
		rc = st_fail(st, err, "claiming a run");
		goto fail;
	}
	if (owner < 0) {
		rc = err_set(err, WR_ENOTFOUND, "no run '%s'", id);
		goto fail;
	}
	/* A process on another machine (several sharing a PostgreSQL store)
	 * cannot be looked at from here: its claim holds until it lets go, or
	 * a worker whose job lease says it is gone takes the run over. */
	if (owner != 0 && host[0] && strcmp(host, st->host) != 0) {
		rc = err_set(err, WR_EBUSY, "run %s is being executed by process %d on %s", id,
		             owner, host);
		goto fail;
	}
	/* A claim by a process that has died (kill -9) is void. */
	if (owner != 0 && owner != pid && (kill(owner, 0) == 0 || errno == EPERM)) {
		rc = err_set(err, WR_EBUSY, "run %s is being executed by process %d", id, owner);
		goto fail;
	}
	if (!(s = st_stmt(st, S_RUN_SET_OWNER, err))) {
		rc = WR_ESTORE;
		goto fail;
	}
	st_text(s, 1, id);
	db_bind_int64(s, 2, pid);
	st_text(s, 3, pid ? st->host : "");
	if ((rc = st_exec(st, s, err, "claiming a run")) < 0)
		goto fail;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return rc;
}

int store_run_unclaim(struct store *st, const char *id, int pid)
{
	struct db_stmt *s = st_stmt(st, S_RUN_SET_OWNER, NULL);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, id);
	db_bind_int64(s, 2, 0);
	st_text(s, 3, "");
	return st_exec(st, s, NULL, "releasing a run");
}
