/* db.h: the store's database layer, one API over two drivers.
 *
 * db_sqlite.c speaks to a SQLite file, db_pg.c to a PostgreSQL server
 * through libpq (loaded with dlopen when the first such store is opened).
 * The calls follow SQLite's own: prepare a statement once, bind by
 * position (1-based), step through the rows, reset. SQL is written with
 * ?N placeholders, which SQLite reads as they are and the PostgreSQL
 * driver rewrites as $N; each N may appear more than once.
 *
 * Bound text and blobs are borrowed until the statement is stepped or
 * reset. Column values are valid until the next step or reset. */
#ifndef WR_STORE_DB_H
#define WR_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "warrant.h"

enum db_kind { DB_SQLITE, DB_PG };

/* Column types, as db_column_type reports them. */
enum db_type { DB_NULL, DB_INT, DB_FLOAT, DB_TEXT, DB_BLOB };

/* db_step's results; a failure is WR_ESTORE with db_errmsg set. */
enum { DB_DONE = 0, DB_ROW = 1 };

struct db;
struct db_stmt;

/* A target starting "postgres://" or "postgresql://" (or any libpq
 * connection string with "host=" / "dbname=") opens PostgreSQL; anything
 * else is a SQLite file path. */
int db_is_pg_target(const char *target);
int db_open(const char *target, struct db **out, struct wr_err *err);
void db_free(struct db *db);
enum db_kind db_kind(const struct db *db);
/* The last error's message; never NULL. */
const char *db_errmsg(struct db *db);

/* Runs one or more statements without results or parameters. */
int db_exec(struct db *db, const char *sql, struct wr_err *err);
/* Starts a write transaction: BEGIN IMMEDIATE on SQLite, BEGIN on PostgreSQL. */
int db_begin(struct db *db, struct wr_err *err);

/* persistent: the statement is kept and reused (the driver may prepare it
 * on the server). Returns 0 or WR_ESTORE with err set. */
int db_prepare(struct db *db, const char *sql, int persistent, struct db_stmt **out,
               struct wr_err *err);
void db_finalize(struct db_stmt *s);
/* Ends the current execution and clears the bindings. */
void db_reset(struct db_stmt *s);

void db_bind_text(struct db_stmt *s, int i, const char *v);
/* Text of len bytes, not necessarily NUL-terminated. */
void db_bind_textn(struct db_stmt *s, int i, const char *v, size_t len);
void db_bind_int64(struct db_stmt *s, int i, int64_t v);
void db_bind_double(struct db_stmt *s, int i, double v);
void db_bind_blob(struct db_stmt *s, int i, const void *p, size_t len);
void db_bind_null(struct db_stmt *s, int i);
/* How many parameters the statement has. */
int db_bind_count(struct db_stmt *s);

/* DB_ROW, DB_DONE or WR_ESTORE. After DB_DONE, DB_DONE again until reset
 * (the statement is not run again). */
int db_step(struct db_stmt *s);

int db_column_count(struct db_stmt *s);
const char *db_column_name(struct db_stmt *s, int i);
enum db_type db_column_type(struct db_stmt *s, int i);
/* Text of a column, "" for NULL; never NULL. */
const char *db_column_text(struct db_stmt *s, int i);
/* Byte length of a text or blob column. */
size_t db_column_bytes(struct db_stmt *s, int i);
const void *db_column_blob(struct db_stmt *s, int i);
int64_t db_column_int64(struct db_stmt *s, int i);
double db_column_double(struct db_stmt *s, int i);

/* Rows changed by the last statement stepped on this connection. */
int64_t db_changes(struct db *db);

/* Whether the last failure was a constraint (a unique key taken). */
int db_constraint_failed(struct db *db);

/* --- the drivers' side --- */

struct db_ops {
	void (*free)(struct db *db);
	const char *(*errmsg)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*prepare)(struct db *db, const char *sql, int persistent, struct db_stmt **out);
	void (*finalize)(struct db_stmt *s);
	void (*reset)(struct db_stmt *s);
	void (*bind_text)(struct db_stmt *s, int i, const char *v);
	void (*bind_textn)(struct db_stmt *s, int i, const char *v, size_t len);
	void (*bind_int64)(struct db_stmt *s, int i, int64_t v);
	void (*bind_double)(struct db_stmt *s, int i, double v);
	void (*bind_blob)(struct db_stmt *s, int i, const void *p, size_t len);
	void (*bind_null)(struct db_stmt *s, int i);
	int (*bind_count)(struct db_stmt *s);
	int (*step)(struct db_stmt *s);
	int (*column_count)(struct db_stmt *s);
	const char *(*column_name)(struct db_stmt *s, int i);
	enum db_type (*column_type)(struct db_stmt *s, int i);
	const char *(*column_text)(struct db_stmt *s, int i);
	size_t (*column_bytes)(struct db_stmt *s, int i);
	const void *(*column_blob)(struct db_stmt *s, int i);
	int64_t (*column_int64)(struct db_stmt *s, int i);
	double (*column_double)(struct db_stmt *s, int i);
	int64_t (*changes)(struct db *db);
	int (*constraint_failed)(struct db *db);
};

/* Each driver's connection and statement begin with these. */
struct db {
	const struct db_ops *ops;
	enum db_kind kind;
};

struct db_stmt {
	struct db *db;
};

int db_sqlite_open(const char *path, struct db **out, struct wr_err *err);
int db_pg_open(const char *conninfo, struct db **out, struct wr_err *err);

#endif
