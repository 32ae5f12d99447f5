/* store.h: durable state of runs in SQLite or PostgreSQL.
 *
 * A SQLite file (WAL mode) or a PostgreSQL database (store_open's path is
 * then a postgres:// URL; db.h), with tables a person can read with sqlite3
 * or psql: runs, steps,
 * artifacts, blobs (content-addressed bytes), checks, calls (model
 * exchanges), effects (ship intents), ledger, meta. The engine wraps each
 * state change in store_begin/store_commit, so a crash leaves either all of
 * a change or none of it. Strings in the row structs are fixed buffers;
 * rows handed to callbacks are valid only during the call. */
#ifndef WR_STORE_STORE_H
#define WR_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/hash.h"
#include "warrant.h"

struct store;

int store_open(const char *path, struct store **out, struct wr_err *err);
void store_free(struct store *st);
const char *store_path(const struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Nesting is not supported. */
int store_begin(struct store *st, struct wr_err *err);
int store_commit(struct store *st, struct wr_err *err);
void store_rollback(struct store *st);
/* Whether a transaction begun by store_begin is open. */
int store_in_txn(const struct store *st);

/* --- blobs: content-addressed bytes --- */

/* Stores bytes under their SHA-256 (once; a second put is a no-op). */
int store_blob_put(struct store *st, const void *bytes, size_t len,
                   char hash[HASH_HEX], struct wr_err *err);
/* Appends the bytes stored under hash to out; WR_ENOTFOUND when absent.
 * Does not verify; see store_blob_get_verified. */
int store_blob_get(struct store *st, const char *hash, struct buf *out,
                   struct wr_err *err);
/* The same, and fails with WR_ETAMPER when the bytes do not hash to hash. */
int store_blob_get_verified(struct store *st, const char *hash, struct buf *out,
                            struct wr_err *err);

/* --- runs --- */

struct store_run {
	char id[WR_ID_MAX];
	char flow_name[128];
	char flow_path[512];
	char flow_hash[HASH_HEX];
	char flow_blob[HASH_HEX];   /* the workflow file's bytes, as started */
	int status;                 /* enum wr_run_status */
	int failure;                /* enum wr_failure */
	char failed_step[WR_ID_MAX];
	char message[512];
	char inputs_blob[HASH_HEX]; /* canonical JSON of the inputs */
	uint64_t seed;
	int64_t created_ms, updated_ms;
	int64_t tokens_in, tokens_out, calls;
	double cost_usd;
	double seconds;
	int steps_total;
	int owner_pid;              /* the process executing it, 0 when none */
};

int store_run_insert(struct store *st, const struct store_run *r, struct wr_err *err);
/* Updates every column but id, flow and created. */
int store_run_update(struct store *st, const struct store_run *r, struct wr_err *err);
int store_run_get(struct store *st, const char *id, struct store_run *r,
                  struct wr_err *err);
/* Resolves an id, a unique prefix, or "last". */
int store_run_find(struct store *st, const char *ref, char id[WR_ID_MAX],
                   struct wr_err *err);
int store_runs_each(struct store *st, int limit,
                    int (*fn)(void *ud, const struct store_run *r), void *ud,
                    struct wr_err *err);
/* store_runs_each narrowed: status, failure and flow_name as stored ("" or
 * NULL: any), and only runs listed after run after (NULL or "": from the
 * newest; WR_ENOTFOUND when no such run). */
int store_runs_query(struct store *st, const char *status, const char *failure,
                     const char *flow, const char *after, int limit,
                     int (*fn)(void *ud, const struct store_run *r), void *ud,
                     struct wr_err *err);
/* Claims a run for this process: succeeds when owner_pid is 0, this pid, or
 * a process of this machine that no longer exists; WR_EBUSY otherwise (a
 * process on another machine sharing the store included: its liveness cannot
 * be seen from here). Commits itself. */
int store_run_claim(struct store *st, const char *id, int pid, struct wr_err *err);
int store_run_unclaim(struct store *st, const char *id, int pid);

/* --- steps and artifacts --- */

struct store_step {
	char run_id[WR_ID_MAX];
	int idx;
	char id[WR_ID_MAX];
	char kind[16];
	char status[16];            /* pending, running, done, waiting, failed */
	int failure;
	char message[512];
	char artifact[HASH_HEX];    /* the artifact produced or acted on */
	int64_t started_ms, ended_ms;
	double seconds;
	int64_t ledger_seq;         /* the ledger entry that completed it, or 0 */
};

int store_step_put(struct store *st, const struct store_step *s, struct wr_err *err);
int store_step_get(struct store *st, const char *run_id, const char *step_id,
                   struct store_step *s, struct wr_err *err);
int store_steps_each(struct store *st, const char *run_id,
                     int (*fn)(void *ud, const struct store_step *s), void *ud,
                     struct wr_err *err);

struct store_artifact {
	char run_id[WR_ID_MAX];
	char step_id[WR_ID_MAX];    /* the generate step that made it */
	char hash[HASH_HEX];
	int64_t size;
	int state;                  /* enum wr_state */
	int failure;
	int checks_passed;          /* check steps passed so far */
};

int store_artifact_put(struct store *st, const struct store_artifact *a,
                       struct wr_err *err);
int store_artifact_get(struct store *st, const char *run_id, const char *step_id,
                       struct store_artifact *a, struct wr_err *err);
/* Every artifact of a run in the order they were first stored; rejected
 * attempts of a looping generate step are stored as "STEP#N". */
int store_artifacts_each(struct store *st, const char *run_id,
                         int (*fn)(void *ud, const struct store_artifact *a), void *ud,
                         struct wr_err *err);

/* --- checks, calls, effects --- */

struct store_check {
	char run_id[WR_ID_MAX];
	char step_id[WR_ID_MAX];
	int idx;
	char kind[16];
	char artifact[HASH_HEX];
	int passed;
	int failure;
	char reason[512];
	double seconds;
};

int store_check_put(struct store *st, const struct store_check *c, struct wr_err *err);
int store_checks_each(struct store *st, const char *run_id,
                      int (*fn)(void *ud, const struct store_check *c), void *ud,
                      struct wr_err *err);

struct store_call {
	char run_id[WR_ID_MAX];
	char step_id[WR_ID_MAX];
	int64_t call_index;
	int attempt;
	char model[128];
	char provider[32];
	char request_hash[HASH_HEX]; /* canonical request; its bytes are a blob */
	char response_hash[HASH_HEX];/* output bytes; a blob */
	int64_t tokens_in, tokens_out;
	double cost_usd;
	double seconds;
	int failure;
	char finish[32];
	char detail[256];
};

int store_call_put(struct store *st, const struct store_call *c, struct wr_err *err);

/* How a call was answered (src/store/exchanges.c): the response record (a
 * blob, record.h), how it was served and what the server said of itself. */
struct store_exchange {
	char run_id[WR_ID_MAX];
	int64_t call_index;
	char request_hash[HASH_HEX];
	char record_blob[HASH_HEX];
	char served[16];             /* provider, replay, cache */
	char api_model[64];          /* the model as the server named it */
	char system_fingerprint[64];
	int attempts;                /* HTTP attempts (0 for local providers) */
};

/* One HTTP attempt of a call. Times in milliseconds. */
struct store_attempt {
	char run_id[WR_ID_MAX];
	int64_t call_index;
	int n;                       /* 1-based */
	int status;                  /* HTTP status, 0 when no answer came */
	int64_t start_ms, latency_ms, retry_after_ms, wait_ms;
	char error[64];              /* transport error, or "" */
};

int store_exchange_put(struct store *st, const struct store_exchange *x,
                       struct wr_err *err);
int store_attempt_put(struct store *st, const struct store_attempt *a,
                      struct wr_err *err);
/* How many exchanges of run_id asked request_hash. */
int store_exchange_count(struct store *st, const char *run_id, const char *request_hash,
                         int64_t *n, struct wr_err *err);
/* The record blob and charged cost of the nth (0-based, by call order)
 * exchange of run_id that asked request_hash; WR_ENOTFOUND when none. */
int store_exchange_replay(struct store *st, const char *run_id, const char *request_hash,
                          int64_t nth, char record_blob[HASH_HEX], double *cost_usd,
                          struct wr_err *err);
/* The newest successful exchange of any run that asked request_hash;
 * WR_ENOTFOUND when none. */
int store_exchange_cached(struct store *st, const char *request_hash,
                          char record_blob[HASH_HEX], struct wr_err *err);
/* Calls fn for each call of run_id in order, with its exchange (zeroed for
 * calls recorded before exchanges were). */
int store_calls_each(struct store *st, const char *run_id,
                     int (*fn)(void *ud, const struct store_call *c,
                               const struct store_exchange *x),
                     void *ud, struct wr_err *err);
int store_attempts_each(struct store *st, const char *run_id,
                        int (*fn)(void *ud, const struct store_attempt *a), void *ud,
                        struct wr_err *err);

struct store_effect {
	char run_id[WR_ID_MAX];
	char step_id[WR_ID_MAX];
	char target[512];           /* path written */
	int append;
	int64_t offset;             /* append: file size before writing */
	char hash[HASH_HEX];        /* the artifact written */
	char status[8];             /* intent, done */
};

int store_effect_put(struct store *st, const struct store_effect *e, struct wr_err *err);
int store_effect_get(struct store *st, const char *run_id, const char *step_id,
                     struct store_effect *e, struct wr_err *err);

/* --- ledger rows (the chain rules live in ledger/) --- */

int store_ledger_insert(struct store *st, const struct wr_ledger_entry *e,
                        struct wr_err *err);
/* The last entry, or seq 0 and empty hashes when the ledger is empty.
 * Inside a transaction, other writers' appends wait until it ends (so the
 * entry added after this tail is the next one). */
int store_ledger_tail(struct store *st, struct wr_ledger_entry *e, struct wr_err *err);
int store_ledger_each(struct store *st, const char *run_id,
                      int (*fn)(void *ud, const struct wr_ledger_entry *e), void *ud,
                      struct wr_err *err);

/* --- the source index (sources.c) --- */

struct store_source {
	int64_t size, mtime_ns;
	char hash[HASH_HEX];
	char params[64];            /* how it was chunked: "paragraph/1500" */
	int64_t chunks;
};

/* Creates the index's tables when missing. */
int store_sources_init(struct store *st, struct wr_err *err);
/* Settings for writing many chunks (inside the caller's transaction). */
int store_sources_tune(struct store *st, struct wr_err *err);
/* WR_ENOTFOUND when path is not indexed. */
int store_source_get(struct store *st, const char *path, struct store_source *out,
                     struct wr_err *err);
int store_source_put(struct store *st, const char *path, const struct store_source *src,
                     struct wr_err *err);
/* Forgets a file and its chunks. */
int store_source_drop(struct store *st, const char *path, struct wr_err *err);
int store_sources_each(struct store *st, int (*fn)(void *ud, const char *path), void *ud,
                       struct wr_err *err);
/* Adds a chunk; *cache keeps the prepared statement between calls (NULL at
 * first; store_stmt_free it after). WR_ESTATE when label is taken. */
int store_chunk_add(struct store *st, void **cache, const char *source, int ordinal,
                    const char *label, int64_t start, int64_t end, const char *hash,
                    const char *text, size_t len, struct wr_err *err);
void store_stmt_free(void *cache);
/* Chunks matching an FTS5 expression, best first (BM25), at most top_k,
 * of sources matching glob (NULL or "": all). */
int store_search(struct store *st, const char *match, int top_k, const char *glob,
                 int (*fn)(void *ud, const struct wr_hit *h), void *ud, struct wr_err *err);

/* --- signing keys and ledger signatures (keys.c) --- */

/* The ledger's signer, owned by the store from here on (freed with it). */
void store_set_signer(struct store *st, void *signer, void (*free_fn)(void *signer));
void *store_signer(const struct store *st);
/* Records a public key under its id (once). */
int store_key_put(struct store *st, const char *key_id, const char *pem,
                  struct wr_err *err);
int store_keys_each(struct store *st,
                    int (*fn)(void *ud, const char *key_id, const char *pem), void *ud,
                    struct wr_err *err);
int store_sig_put(struct store *st, int64_t seq, const char *key_id, const char *sig,
                  struct wr_err *err);
/* Every signature, in entry order. */
int store_sigs_each(struct store *st,
                    int (*fn)(void *ud, int64_t seq, const char *key_id, const char *sig),
                    void *ud, struct wr_err *err);

/* --- the job queue's rows (jobs.c; the API is warrant.h's wr_job_*) --- */

/* Queues a job of kind with args (a JSON object); its run's id, named from
 * the job's, in run_id. */
int store_job_add(struct store *st, const char *kind, const char *flow_path,
                  const char *args, int64_t *id, char run_id[WR_ID_MAX], struct wr_err *err);
/* A job's status (queued, running, done, failed) and message. */
int store_job_status(struct store *st, int64_t id, char status[16], char message[512],
                     struct wr_err *err);

/* meta: small key/value settings (schema version, ledger head). */
int store_meta_set(struct store *st, const char *key, const char *value,
                   struct wr_err *err);
int store_meta_get(struct store *st, const char *key, char *value, size_t size,
                   struct wr_err *err);

#endif
