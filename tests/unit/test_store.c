/* test_store.c: the store keeps what it is given, across reopen.
 *
 * On SQLite by default; with WR_TEST_PG set to a PostgreSQL server's URL
 * up to the database name ("postgresql://postgres@127.0.0.1:5432/"), the
 * same tests run on a fresh database each (tests/e2e/pg_store.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/os.h"
#include "harness.h"
#include "ledger/ledger.h"
#include "store/db.h"
#include "store/schema.sql.h"
#include "store/store.h"

static int pg_seq;
static void tamper(const char *path, const char *sql);

/* A new database on the test server; its URL in path. */
static int pg_fresh(const char *base, char *path, size_t size)
{
	char sql[256], admin[512];
	struct db *db = NULL;
	struct wr_err e;
	int rc;

	snprintf(admin, sizeof(admin), "%spostgres", base);
	if (db_open(admin, &db, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS wr_%d_%d", (int)getpid(), ++pg_seq);
	rc = db_exec(db, sql, &e);
	snprintf(sql, sizeof(sql), "CREATE DATABASE wr_%d_%d", (int)getpid(), pg_seq);
	if (rc == 0 && (rc = db_exec(db, sql, &e)) < 0)
		fprintf(stderr, "%s\n", e.msg);
	db_free(db);
	snprintf(path, size, "%swr_%d_%d", base, (int)getpid(), pg_seq);
	return rc;
}

static struct store *open_tmp(char *path, size_t size)
{
	const char *pg = getenv("WR_TEST_PG");
	struct store *st = NULL;
	struct wr_err e;

	if (pg && pg[0]) {
		if (pg_fresh(pg, path, size) < 0)
			return NULL;
	} else {
		snprintf(path, size, "%s/sub/dir/w.db", t_tmpdir());
	}
	if (store_open(path, &st, &e) < 0)
		fprintf(stderr, "%s\n", e.msg);
	return st;
}

TEST(store_blobs_are_content_addressed)
{
	char path[700], h1[HASH_HEX], h2[HASH_HEX];
	struct store *st = open_tmp(path, sizeof(path));
	struct buf b = BUF_INIT;
	struct wr_err e;

	REQUIRE(st);
	/* Any bytes, NUL and high bytes included, come back as they went. */
	REQUIRE(store_blob_put(st, "a\0\xff\x80z", 5, h1, &e) == 0);
	REQUIRE(store_blob_get_verified(st, h1, &b, &e) == 0);
	EXPECT_INT(b.len, 5);
	EXPECT(b.len == 5 && memcmp(b.data, "a\0\xff\x80z", 5) == 0);
	b.len = 0;
	REQUIRE(store_blob_put(st, "", 0, h1, &e) == 0);
	REQUIRE(store_blob_get_verified(st, h1, &b, &e) == 0);
	EXPECT_INT(b.len, 0);
	REQUIRE(store_blob_put(st, "hello", 5, h1, &e) == 0);
	REQUIRE(store_blob_put(st, "hello", 5, h2, &e) == 0);
	EXPECT_STR(h1, h2);
	EXPECT_STR(h1, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	REQUIRE(store_blob_get_verified(st, h1, &b, &e) == 0);
	EXPECT_STR(b.data, "hello");
	EXPECT_INT(store_blob_get(st, "00", &b, &e), WR_ENOTFOUND);
	buf_release(&b);
	store_free(st);
}

TEST(store_runs_round_trip_and_find)
{
	char path[700];
	struct store *st = open_tmp(path, sizeof(path));
	struct store_run r, got;
	char id[WR_ID_MAX];
	struct wr_err e;

	REQUIRE(st);
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "20260101-000000-abcdef");
	snprintf(r.flow_name, sizeof(r.flow_name), "f");
	r.status = WR_RUN_WAITING;
	r.failure = WR_FAIL_NONE;
	r.seed = 42;
	r.created_ms = 1000;
	r.steps_total = 3;
	r.cost_usd = 0.25;
	REQUIRE(store_run_insert(st, &r, &e) == 0);
	snprintf(r.id, sizeof(r.id), "20260101-000001-abc999");
	r.created_ms = 2000;
	r.status = WR_RUN_REJECTED;
	r.failure = WR_FAIL_SCHEMA_INVALID;
	REQUIRE(store_run_insert(st, &r, &e) == 0);
	store_free(st);

	REQUIRE(store_open(path, &st, &e) == 0);
	REQUIRE(store_run_get(st, "20260101-000000-abcdef", &got, &e) == 0);
	EXPECT_INT(got.status, WR_RUN_WAITING);
	EXPECT_INT(got.seed, 42);
	EXPECT(got.cost_usd == 0.25);
	EXPECT_INT(store_run_find(st, "last", id, &e), 0);
	EXPECT_STR(id, "20260101-000001-abc999");
	EXPECT_INT(store_run_find(st, "20260101-00000", id, &e), WR_EINVAL);
	EXPECT_CONTAINS(e.msg, "ambiguous");
	EXPECT_INT(store_run_find(st, "20260101-000000", id, &e), 0);
	EXPECT_STR(id, "20260101-000000-abcdef");
	EXPECT_INT(store_run_find(st, "nope", id, &e), WR_ENOTFOUND);
	REQUIRE(store_run_get(st, id, &got, &e) == 0);
	store_free(st);
}

TEST(store_claim_refuses_a_live_owner)
{
	char path[700];
	struct store *st = open_tmp(path, sizeof(path));
	struct store_run r;
	struct wr_err e;

	REQUIRE(st);
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "r1");
	r.owner_pid = 1;  /* init: alive */
	REQUIRE(store_run_insert(st, &r, &e) == 0);
	EXPECT_INT(store_run_claim(st, "r1", 12345678, &e), WR_EBUSY);
	EXPECT_CONTAINS(e.msg, "process 1");
	r.owner_pid = 999999999;  /* no such process: a dead owner's claim is void */
	REQUIRE(store_run_update(st, &r, &e) == 0);
	EXPECT_INT(store_run_claim(st, "r1", 12345678, &e), 0);
	/* A process on another machine cannot be seen: its claim holds. */
	tamper(path, "UPDATE runs SET owner_pid = 999999999, owner_host = 'elsewhere'");
	EXPECT_INT(store_run_claim(st, "r1", 12345678, &e), WR_EBUSY);
	EXPECT_CONTAINS(e.msg, "on elsewhere");
	store_run_unclaim(st, "r1", 999999999);  /* as a worker taking it over does */
	EXPECT_INT(store_run_claim(st, "r1", 12345678, &e), 0);
	store_free(st);
}

TEST(store_rejects_a_newer_schema)
{
	char path[700];
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_err e;

	REQUIRE(st);
	REQUIRE(store_meta_set(st, "schema_version", "999", &e) == 0);
	store_free(st);
	EXPECT_INT(store_open(path, &st, &e), WR_ESTORE);
	EXPECT_CONTAINS(e.msg, "version 999");
}

static int64_t count;
static void count_problem(void *ud, const char *msg)
{
	count++;
	if (ud)
		snprintf(ud, 256, "%s", msg);
}

/* Changes the store behind its back, as a person with sqlite3 or psql could. */
static void tamper(const char *path, const char *sql)
{
	struct db *db;
	struct wr_err e;

	REQUIRE(db_open(path, &db, &e) == 0);
	EXPECT_INT(db_exec(db, sql, &e), 0);
	db_free(db);
}

TEST(ledger_chain_verifies_and_detects_edits)
{
	char path[700], last[256] = "";
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_ledger_report rep;
	struct wr_ledger_entry e1;
	struct wr_err e;

	REQUIRE(st);
	for (int i = 0; i < 5; i++)
		REQUIRE(ledger_append(st, "r1", "engine", "generated", "abc", "{}", &e1, &e) == 0);
	EXPECT_INT(e1.seq, 5);
	EXPECT_INT(wr_ledger_verify((struct wr_store *)st, NULL, NULL, &rep, &e), 0);
	EXPECT_INT(rep.entries, 5);
	EXPECT_STR(rep.head, e1.hash);

	count = 0;
	tamper(path, "UPDATE ledger SET actor = 'human:mallory' WHERE seq = 3");
	EXPECT_INT(wr_ledger_verify((struct wr_store *)st, count_problem, last, &rep, &e),
	           WR_ETAMPER);
	EXPECT_INT(count, 1);
	EXPECT_CONTAINS(last, "entry 3");
	EXPECT_CONTAINS(last, "edited");
	store_free(st);
}

TEST(ledger_detects_deletion_of_the_tail)
{
	char path[700], last[256] = "";
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_ledger_report rep;
	struct wr_err e;

	REQUIRE(st);
	for (int i = 0; i < 4; i++)
		REQUIRE(ledger_append(st, "r1", "engine", "generated", "abc", "{}", NULL, &e) == 0);
	tamper(path, "DELETE FROM ledger WHERE seq = 4");
	count = 0;
	EXPECT_INT(wr_ledger_verify((struct wr_store *)st, count_problem, last, &rep, &e),
	           WR_ETAMPER);
	EXPECT_INT(count, 1);
	EXPECT_CONTAINS(last, "recorded head");
	store_free(st);
}

struct ids {
	char s[256];
};

static int collect_id(void *ud, const struct wr_run_info *info)
{
	struct ids *ids = ud;
	size_t n = strlen(ids->s);

	snprintf(ids->s + n, sizeof(ids->s) - n, "%s%s", n ? " " : "", info->id);
	return 0;
}

static int query(struct store *st, const struct wr_runs_filter *f, struct ids *ids)
{
	struct wr_err e;

	ids->s[0] = '\0';
	return wr_runs_query((struct wr_store *)st, f, collect_id, ids, &e);
}

TEST(store_runs_query_filters_and_pages)
{
	static const struct { const char *id, *flow; int status, failure; int64_t at; } rows[] = {
		{ "r1", "a", WR_RUN_DONE, WR_FAIL_NONE, 1000 },
		{ "r2", "b", WR_RUN_REJECTED, WR_FAIL_SCHEMA_INVALID, 2000 },
		{ "r3", "a", WR_RUN_WAITING, WR_FAIL_NONE, 3000 },
		{ "r4", "a", WR_RUN_REJECTED, WR_FAIL_CHECK_FAILED, 3000 },  /* same ms as r3 */
		{ "r4x", "b", WR_RUN_FAILED, WR_FAIL_REFUSAL, 4000 },
	};
	char path[700], id[WR_ID_MAX];
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_runs_filter f = wr_runs_default_filter();
	struct store_run r;
	struct ids ids;
	struct wr_err e;

	REQUIRE(st);
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.id, sizeof(r.id), "%s", rows[i].id);
		snprintf(r.flow_name, sizeof(r.flow_name), "%s", rows[i].flow);
		r.status = rows[i].status;
		r.failure = rows[i].failure;
		r.created_ms = rows[i].at;
		REQUIRE(store_run_insert(st, &r, &e) == 0);
	}
	EXPECT_INT(query(st, NULL, &ids), 0);
	EXPECT_STR(ids.s, "r4x r4 r3 r2 r1");  /* newest first; equal times: last inserted first */
	f.status = WR_RUN_REJECTED;
	EXPECT_INT(query(st, &f, &ids), 0);
	EXPECT_STR(ids.s, "r4 r2");
	f.flow = "a";
	EXPECT_INT(query(st, &f, &ids), 0);
	EXPECT_STR(ids.s, "r4");
	f = wr_runs_default_filter();
	f.failure = WR_FAIL_SCHEMA_INVALID;
	EXPECT_INT(query(st, &f, &ids), 0);
	EXPECT_STR(ids.s, "r2");
	f = wr_runs_default_filter();
	f.limit = 2;
	EXPECT_INT(query(st, &f, &ids), 0);
	EXPECT_STR(ids.s, "r4x r4");
	f.after = "r4";                       /* the next page starts past the tie */
	EXPECT_INT(query(st, &f, &ids), 0);
	EXPECT_STR(ids.s, "r3 r2");
	f.after = "r1";
	EXPECT_INT(query(st, &f, &ids), 0);
	EXPECT_STR(ids.s, "");
	f.after = "nope";
	EXPECT_INT(query(st, &f, &ids), WR_ENOTFOUND);
	f = wr_runs_default_filter();
	f.status = 99;
	EXPECT_INT(query(st, &f, &ids), WR_EINVAL);
	/* An id that is also a prefix of another resolves to itself. */
	EXPECT_INT(store_run_find(st, "r4", id, &e), 0);
	EXPECT_STR(id, "r4");
	EXPECT_INT(store_run_find(st, "r4x", id, &e), 0);
	EXPECT_STR(id, "r4x");
	EXPECT_INT(store_run_find(st, "r", id, &e), WR_EINVAL);
	store_free(st);
}

/* Writers in several processes append at once: the chain stays one chain
 * (each entry's prev is the entry before it), with no seq taken twice. */
TEST(ledger_concurrent_appends_keep_one_chain)
{
	enum { PROCS = 4, EACH = 40 };
	char path[700];
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_ledger_report rep;
	pid_t pids[PROCS];
	struct wr_err e;

	REQUIRE(st);
	store_free(st);
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		REQUIRE(pids[p] >= 0);
		if (pids[p] == 0) {
			struct store *mine = NULL;
			int bad = store_open(path, &mine, &e) < 0;

			for (int i = 0; !bad && i < EACH; i++)
				bad = ledger_append(mine, "r1", "engine", "generated", "abc", "{}",
				                    NULL, &e) < 0;
			if (bad)
				fprintf(stderr, "append: %s\n", e.msg);
			store_free(mine);
			_exit(bad);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status = 0;

		waitpid(pids[p], &status, 0);
		EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	REQUIRE(store_open(path, &st, &e) == 0);
	EXPECT_INT(wr_ledger_verify((struct wr_store *)st, NULL, NULL, &rep, &e), 0);
	EXPECT_INT(rep.entries, PROCS * EACH);
	store_free(st);
}

/* Migrations: a store opened again is not migrated again, and a store's
 * version is the newest this warrant knows. */
TEST(store_schema_version_is_recorded)
{
	char path[700], v[16];
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_err e;

	REQUIRE(st);
	REQUIRE(store_meta_get(st, "schema_version", v, sizeof(v), &e) == 0);
	EXPECT_STR(v, "2");
	store_free(st);
	REQUIRE(store_open(path, &st, &e) == 0);
	REQUIRE(store_meta_get(st, "schema_version", v, sizeof(v), &e) == 0);
	EXPECT_STR(v, "2");
	store_free(st);
}

/* The job queue: claims never share a job, a lapsed lease lets another
 * worker take the job, and the worker that lost it can no longer renew or
 * end it. */
TEST(store_jobs_claim_lease_and_fence)
{
	char path[700];
	struct store *st = open_tmp(path, sizeof(path));
	struct wr_store *ws = (struct wr_store *)st;
	struct wr_input in = { "n", "7" };
	struct wr_job a, b, c, again;
	struct wr_jobs_count n;
	int64_t id1 = 0, id2 = 0;
	struct wr_err e;

	REQUIRE(st);
	REQUIRE(wr_job_submit(ws, "/flows/f.yaml", &in, 1, &id1, &e) == 0);
	REQUIRE(wr_job_submit(ws, "/flows/f.yaml", NULL, 0, &id2, &e) == 0);
	EXPECT(id2 > id1);
	REQUIRE(wr_job_claim(ws, "A", 60000, &a, &e) == 0);
	REQUIRE(wr_job_claim(ws, "B", 1, &b, &e) == 0);
	EXPECT_INT(a.id, id1);
	EXPECT_INT(b.id, id2);
	EXPECT_STR(a.flow_path, "/flows/f.yaml");
	EXPECT_STR(a.args, "{\"inputs\":{\"n\":\"7\"}}");
	EXPECT_STR(a.kind, "run");
	EXPECT_CONTAINS(a.run_id, "-j");
	EXPECT(strcmp(a.run_id, b.run_id) != 0);
	EXPECT_INT(a.claims, 1);
	os_sleep_ms(20);  /* B's 1 ms lease lapses; A's holds */
	REQUIRE(wr_job_claim(ws, "C", 60000, &c, &e) == 0);
	EXPECT_INT(c.id, id2);
	EXPECT_INT(c.claims, 2);
	EXPECT_STR(c.run_id, b.run_id);
	EXPECT_INT(wr_job_claim(ws, "D", 60000, &again, &e), WR_ENOTFOUND);
	EXPECT_INT(wr_job_heartbeat(ws, &b, "B", 60000, &e), WR_ESTATE);
	EXPECT_INT(wr_job_finish(ws, &b, "B", 0, "done", "", &e), WR_ESTATE);
	EXPECT_INT(wr_job_heartbeat(ws, &c, "C", 60000, &e), 0);
	EXPECT_INT(wr_job_finish(ws, &c, "C", 0, "done", "", &e), 0);
	EXPECT_INT(wr_job_finish(ws, &a, "A", 1, "", "no such file", &e), 0);
	EXPECT_INT(wr_job_finish(ws, &a, "A", 0, "done", "", &e), WR_ESTATE);  /* once */
	REQUIRE(wr_jobs_count(ws, &n, &e) == 0);
	EXPECT_INT(n.queued + n.running, 0);
	EXPECT_INT(n.done, 1);
	EXPECT_INT(n.failed, 1);
	store_free(st);
}

/* A SQLite store made by a warrant before versions 2 (schema version 1)
 * is upgraded on open: its runs kept, the job table and owner_host added,
 * once. (PostgreSQL stores began at version 2.) */
TEST(store_upgrades_a_version_1_store)
{
	char path[700], v[16];
	struct store *st = NULL;
	struct db *db = NULL;
	struct store_run r;
	struct wr_err e;
	int64_t id = 0;

	if (getenv("WR_TEST_PG"))
		return;
	snprintf(path, sizeof(path), "%s/old.db", t_tmpdir());
	REQUIRE(db_open(path, &db, &e) == 0);
	EXPECT_INT(db_exec(db, store_schema_sql, &e), 0);
	EXPECT_INT(db_exec(db, "INSERT INTO meta VALUES('schema_version', '1');"
	                       "INSERT INTO runs(id, flow_name, flow_path, flow_hash, flow_blob, "
	                       "status, inputs_blob, seed, created_ms, updated_ms, steps_total) "
	                       "VALUES('old1', 'f', 'f.yaml', 'h', 'b', 'done', 'i', 1, 1, 1, 1)",
	                   &e), 0);
	db_free(db);
	REQUIRE(store_open(path, &st, &e) == 0);
	REQUIRE(store_meta_get(st, "schema_version", v, sizeof(v), &e) == 0);
	EXPECT_STR(v, "2");
	EXPECT_INT(store_run_get(st, "old1", &r, &e), 0);
	EXPECT_INT(store_run_claim(st, "old1", 12345678, &e), 0);
	EXPECT_INT(wr_job_submit((struct wr_store *)st, "/f.yaml", NULL, 0, &id, &e), 0);
	EXPECT_INT(id, 1);
	store_free(st);
	REQUIRE(store_open(path, &st, &e) == 0);  /* and not again */
	store_free(st);
}
