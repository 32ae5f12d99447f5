/* store_db.h: the store's private parts, shared by its .c files. */
#ifndef WR_STORE_STORE_DB_H
#define WR_STORE_STORE_DB_H

#include "store/db.h"
#include "store/store.h"

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_BLOB_PUT, S_BLOB_GET,
	S_META_SET, S_META_GET,
	S_RUN_INSERT, S_RUN_UPDATE, S_RUN_GET, S_RUN_LAST, S_RUN_PREFIX, S_RUN_LIST,
	S_RUN_OWNER, S_RUN_SET_OWNER,
	S_STEP_PUT, S_STEP_GET, S_STEP_LIST,
	S_ART_PUT, S_ART_GET,
	S_ART_LIST,
	S_CHECK_PUT, S_CHECK_LIST,
	S_CALL_PUT,
	S_EXCH_PUT, S_EXCH_COUNT, S_EXCH_REPLAY, S_EXCH_CACHED, S_CALL_LIST,
	S_ATTEMPT_PUT, S_ATTEMPT_LIST,
	S_EFFECT_PUT, S_EFFECT_GET,
	S_LEDGER_INSERT, S_LEDGER_TAIL, S_LEDGER_ALL, S_LEDGER_RUN,
	S_KEY_PUT, S_KEY_LIST, S_SIG_PUT, S_SIG_LIST,
	S_LEDGER_LOCK,
	S_JOB_ADD, S_JOB_NAME, S_JOB_RECLAIM, S_JOB_CLAIM, S_JOB_BEAT, S_JOB_END, S_JOB_COUNT,
	S_JOB_STATUS,
	S_COUNT_
};

struct store {
	struct db *db;
	struct db_stmt *stmt[S_COUNT_];
	char path[4096];
	char host[256];               /* this machine's name, for run claims */
	int in_txn;
	void *signer;                 /* the ledger's, when entries are signed */
	void (*signer_free)(void *signer);
};

/* A claim: the first job matching where (lock: a locking clause), taken
 * for worker ?1 from ?2 (now, ms) for ?3 ms. */
#define JOB_CLAIM(where, lock)                                                   \
	"UPDATE jobs SET status = 'running', worker = ?1, lease_until_ms = ?2 + ?3, " \
	"claims = claims + 1, claimed_ms = ?2 WHERE id = (SELECT id FROM jobs WHERE " \
	where " ORDER BY id LIMIT 1" lock ") RETURNING id, kind, flow_path, args, run_id, claims"

/* Each statement's SQL, and PostgreSQL's where it differs (store_pg.c). */
extern const char *const stmt_sql_pg[S_COUNT_];

/* Creates or upgrades the tables (migrate.c). */
int store_migrate(struct store *st, struct wr_err *err);

/* The prepared statement for id, reset and with bindings cleared. */
struct db_stmt *st_stmt(struct store *st, enum stmt_id id, struct wr_err *err);
/* Reports the database's last error as WR_ESTORE with context. */
int st_fail(struct store *st, struct wr_err *err, const char *what);
/* Steps a statement that returns no rows. */
int st_exec(struct store *st, struct db_stmt *s, struct wr_err *err, const char *what);

void st_text(struct db_stmt *s, int col, const char *v);
/* Copies a text column into a fixed buffer (truncating, always terminated). */
void st_col(struct db_stmt *s, int col, char *out, size_t size);

/* Enum <-> name for columns. */
int st_state_parse(const char *s);
int st_status_parse(const char *s);
int st_failure_parse(const char *s);

#endif
