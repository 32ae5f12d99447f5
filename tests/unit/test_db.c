/* test_db.c: the database layer gives back what it was given, on SQLite
 * and (with WR_TEST_PG, tests/e2e/pg_store.sh) on PostgreSQL. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "store/db.h"

static int db_seq;

/* A fresh database: a file, or a new PostgreSQL database. */
static struct db *open_fresh(void)
{
	const char *pg = getenv("WR_TEST_PG");
	char target[700], sql[128];
	struct db *db = NULL, *admin = NULL;
	struct wr_err e;

	if (!pg || !pg[0]) {
		snprintf(target, sizeof(target), "%s/db.sqlite", t_tmpdir());
	} else {
		snprintf(target, sizeof(target), "%spostgres", pg);
		if (db_open(target, &admin, &e) < 0)
			return NULL;
		snprintf(sql, sizeof(sql), "CREATE DATABASE wrdb_%d_%d", (int)getpid(), ++db_seq);
		if (db_exec(admin, sql, &e) < 0)
			fprintf(stderr, "%s\n", e.msg);
		db_free(admin);
		snprintf(target, sizeof(target), "%swrdb_%d_%d", pg, (int)getpid(), db_seq);
	}
	if (db_open(target, &db, &e) < 0)
		fprintf(stderr, "%s\n", e.msg);
	return db;
}

static const char *bytes_type(struct db *db)
{
	return db_kind(db) == DB_PG ? "BYTEA" : "BLOB";
}

TEST(db_values_round_trip)
{
	struct db *db = open_fresh();
	struct db_stmt *s = NULL;
	struct wr_err e;
	char sql[256];
	static const char bytes[] = { 'a', 0, (char)0xff, '\'', '?', '1' };

	REQUIRE(db);
	snprintf(sql, sizeof(sql), "CREATE TABLE t(i BIGINT, d DOUBLE PRECISION, s TEXT, "
	         "b %s, n TEXT)", bytes_type(db));
	REQUIRE(db_exec(db, sql, &e) == 0);
	REQUIRE(db_prepare(db, "INSERT INTO t(i, d, s, b, n) VALUES(?1, ?2, ?3, ?4, ?5)", 1, &s,
	                   &e) == 0);
	for (int round = 0; round < 2; round++) {  /* a prepared statement, reused */
		db_reset(s);
		db_bind_int64(s, 1, round ? INT64_MIN : INT64_MAX);
		db_bind_double(s, 2, round ? -0.1 : 1.0 / 3.0);
		db_bind_text(s, 3, "it's ?2 and $1 and \xc3\xa9");
		db_bind_blob(s, 4, bytes, sizeof(bytes));
		db_bind_null(s, 5);
		EXPECT_INT(db_step(s), DB_DONE);
		EXPECT_INT(db_changes(db), 1);
	}
	db_finalize(s);
	REQUIRE(db_prepare(db, "SELECT i, d, s, b, n, '?1' FROM t WHERE s = ?1 ORDER BY i", 0,
	                   &s, &e) == 0);
	EXPECT_INT(db_bind_count(s), 1);
	db_bind_text(s, 1, "it's ?2 and $1 and \xc3\xa9");
	REQUIRE(db_step(s) == DB_ROW);
	EXPECT(db_column_int64(s, 0) == INT64_MIN);
	EXPECT(db_column_double(s, 1) == -0.1);
	EXPECT_INT(db_column_type(s, 0), DB_INT);
	EXPECT_INT(db_column_type(s, 1), DB_FLOAT);
	REQUIRE(db_step(s) == DB_ROW);
	EXPECT(db_column_int64(s, 0) == INT64_MAX);
	EXPECT(db_column_double(s, 1) == 1.0 / 3.0);  /* every bit of it */
	EXPECT_STR(db_column_text(s, 2), "it's ?2 and $1 and \xc3\xa9");
	EXPECT_INT(db_column_type(s, 3), DB_BLOB);
	EXPECT_INT(db_column_bytes(s, 3), sizeof(bytes));
	EXPECT(memcmp(db_column_blob(s, 3), bytes, sizeof(bytes)) == 0);
	EXPECT_INT(db_column_type(s, 4), DB_NULL);
	EXPECT_STR(db_column_text(s, 4), "");
	EXPECT_STR(db_column_text(s, 5), "?1");  /* a literal is not a placeholder */
	EXPECT_STR(db_column_name(s, 2), "s");
	EXPECT_INT(db_step(s), DB_DONE);
	EXPECT_INT(db_step(s), DB_DONE);
	db_finalize(s);
	db_free(db);
}

TEST(db_errors_and_constraints)
{
	struct db *db = open_fresh();
	struct db_stmt *s = NULL;
	struct wr_err e;

	REQUIRE(db);
	REQUIRE(db_exec(db, "CREATE TABLE k(id TEXT PRIMARY KEY)", &e) == 0);
	EXPECT_INT(db_exec(db, "SELEKT 1", &e), WR_ESTORE);
	EXPECT(strlen(e.msg) > 0 && !strchr(e.msg, '\n'));
	REQUIRE(db_prepare(db, "INSERT INTO k(id) VALUES(?1)", 1, &s, &e) == 0);
	db_bind_text(s, 1, "a");
	EXPECT_INT(db_step(s), DB_DONE);
	db_reset(s);
	db_bind_text(s, 1, "a");
	EXPECT_INT(db_step(s), WR_ESTORE);
	EXPECT(db_constraint_failed(db));
	db_finalize(s);
	/* A transaction rolled back leaves nothing. */
	REQUIRE(db_begin(db, &e) == 0);
	REQUIRE(db_exec(db, "INSERT INTO k(id) VALUES('b')", &e) == 0);
	REQUIRE(db_exec(db, "ROLLBACK", &e) == 0);
	REQUIRE(db_prepare(db, "SELECT count(*) FROM k", 0, &s, &e) == 0);
	REQUIRE(db_step(s) == DB_ROW);
	EXPECT_INT(db_column_int64(s, 0), 1);
	db_finalize(s);
	db_free(db);
}
