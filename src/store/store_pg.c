/* store_pg.c: the statements whose PostgreSQL differs from SQLite's.
 *
 * SQLite's INSERT OR IGNORE / OR REPLACE become ON CONFLICT clauses on the
 * table's key; the rest of store.c's SQL runs on both as written. */
#include "store/store_db.h"

#define UPSERT(cols) " ON CONFLICT(" cols ") DO UPDATE SET "

const char *const stmt_sql_pg[S_COUNT_] = {
	[S_BEGIN] = "BEGIN",
	[S_BLOB_PUT] = "INSERT INTO blobs(hash, size, bytes) VALUES(?1, ?2, ?3) "
	               "ON CONFLICT DO NOTHING",
	[S_RUN_PREFIX] = "SELECT id FROM runs WHERE id >= ?1 AND starts_with(id, ?1) "
	                 "ORDER BY id LIMIT 2",
	[S_CHECK_PUT] =
		"INSERT INTO checks(run_id, step_id, idx, kind, artifact, passed, "
		"failure, reason, seconds) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
		UPSERT("run_id, step_id, idx") "kind=excluded.kind, artifact=excluded.artifact, "
		"passed=excluded.passed, failure=excluded.failure, reason=excluded.reason, "
		"seconds=excluded.seconds",
	[S_CALL_PUT] =
		"INSERT INTO calls(run_id, step_id, call_index, attempt, model, provider, "
		"request_hash, response_hash, tokens_in, tokens_out, cost_usd, seconds, failure, "
		"finish, detail) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
		UPSERT("run_id, call_index") "step_id=excluded.step_id, attempt=excluded.attempt, "
		"model=excluded.model, provider=excluded.provider, "
		"request_hash=excluded.request_hash, response_hash=excluded.response_hash, "
		"tokens_in=excluded.tokens_in, tokens_out=excluded.tokens_out, "
		"cost_usd=excluded.cost_usd, seconds=excluded.seconds, failure=excluded.failure, "
		"finish=excluded.finish, detail=excluded.detail",
	[S_EXCH_PUT] =
		"INSERT INTO exchanges(run_id, call_index, request_hash, record_blob, "
		"served, api_model, system_fingerprint, attempts) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
		UPSERT("run_id, call_index") "request_hash=excluded.request_hash, "
		"record_blob=excluded.record_blob, served=excluded.served, "
		"api_model=excluded.api_model, system_fingerprint=excluded.system_fingerprint, "
		"attempts=excluded.attempts",
	[S_ATTEMPT_PUT] =
		"INSERT INTO attempts(run_id, call_index, n, status, start_ms, latency_ms, "
		"retry_after_ms, wait_ms, error) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
		UPSERT("run_id, call_index, n") "status=excluded.status, "
		"start_ms=excluded.start_ms, latency_ms=excluded.latency_ms, "
		"retry_after_ms=excluded.retry_after_ms, wait_ms=excluded.wait_ms, "
		"error=excluded.error",
	[S_EFFECT_PUT] =
		"INSERT INTO effects(run_id, step_id, target, append, \"offset\", hash, status) "
		"VALUES(?1,?2,?3,?4,?5,?6,?7)"
		UPSERT("run_id, step_id") "target=excluded.target, append=excluded.append, "
		"\"offset\"=excluded.\"offset\", hash=excluded.hash, status=excluded.status",
	[S_KEY_PUT] = "INSERT INTO keys(key_id, public_pem, added_ms) VALUES(?1,?2,?3) "
	              "ON CONFLICT DO NOTHING",
	[S_SIG_PUT] = "INSERT INTO signatures(seq, key_id, sig) VALUES(?1,?2,?3)"
	              UPSERT("seq") "key_id=excluded.key_id, sig=excluded.sig",
	/* Appends take turns until their transaction ends, so each reads the
	 * tail the one before it wrote and the chain never forks. */
	[S_LEDGER_LOCK] = "SELECT pg_advisory_xact_lock(7303002)",
	/* Workers skip the rows others are claiming rather than queue on them. */
	[S_JOB_RECLAIM] = JOB_CLAIM("status = 'running' AND lease_until_ms < ?2",
	                            " FOR UPDATE SKIP LOCKED"),
	[S_JOB_CLAIM] = JOB_CLAIM("status = 'queued'", " FOR UPDATE SKIP LOCKED"),
};
