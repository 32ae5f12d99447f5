/* db_sqlite.c: the database layer over a SQLite file. */
#include <sqlite3.h>
#include <stdlib.h>

#include "core/err.h"
#include "store/db.h"

struct sq_db {
	struct db base;
	sqlite3 *h;
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *s;
	int done;                   /* stepped to the end: DONE until reset */
};

#define SQ(d) (((struct sq_db *)(d))->h)
#define ST(x) (((struct sq_stmt *)(x))->s)

static void sq_free(struct db *db)
{
	sqlite3_close(SQ(db));
	free(db);
}

static const char *sq_errmsg(struct db *db) { return sqlite3_errmsg(SQ(db)); }

static int sq_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(SQ(db), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : WR_ESTORE;
}

static int sq_prepare(struct db *db, const char *sql, int persistent, struct db_stmt **out)
{
	struct sq_stmt *x = calloc(1, sizeof(*x));

	if (!x)
		return WR_ENOMEM;
	if (sqlite3_prepare_v3(SQ(db), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
	                       &x->s, NULL) != SQLITE_OK) {
		free(x);
		return WR_ESTORE;
	}
	x->base.db = db;
	*out = &x->base;
	return 0;
}

static void sq_finalize(struct db_stmt *s)
{
	sqlite3_finalize(ST(s));
	free(s);
}

static void sq_reset(struct db_stmt *s)
{
	((struct sq_stmt *)s)->done = 0;
	sqlite3_reset(ST(s));
	sqlite3_clear_bindings(ST(s));
}

static void sq_bind_text(struct db_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(ST(s), i, v, -1, SQLITE_STATIC);
}

static void sq_bind_textn(struct db_stmt *s, int i, const char *v, size_t len)
{
	sqlite3_bind_text64(ST(s), i, v, len, SQLITE_STATIC, SQLITE_UTF8);
}

static void sq_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(ST(s), i, (sqlite3_int64)v);
}

static void sq_bind_double(struct db_stmt *s, int i, double v)
{
	sqlite3_bind_double(ST(s), i, v);
}

static void sq_bind_blob(struct db_stmt *s, int i, const void *p, size_t len)
{
	sqlite3_bind_blob64(ST(s), i, p, len, SQLITE_STATIC);
}

static void sq_bind_null(struct db_stmt *s, int i) { sqlite3_bind_null(ST(s), i); }
static int sq_bind_count(struct db_stmt *s) { return sqlite3_bind_parameter_count(ST(s)); }

static int sq_step(struct db_stmt *s)
{
	struct sq_stmt *x = (struct sq_stmt *)s;
	int rc;

	/* SQLite would run the statement again; PostgreSQL's driver cannot. */
	if (x->done)
		return DB_DONE;
	rc = sqlite3_step(x->s);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		x->done = 1;
		return DB_DONE;
	}
	return WR_ESTORE;
}

static int sq_column_count(struct db_stmt *s) { return sqlite3_column_count(ST(s)); }
static const char *sq_column_name(struct db_stmt *s, int i) { return sqlite3_column_name(ST(s), i); }

static enum db_type sq_column_type(struct db_stmt *s, int i)
{
	switch (sqlite3_column_type(ST(s), i)) {
	case SQLITE_INTEGER: return DB_INT;
	case SQLITE_FLOAT: return DB_FLOAT;
	case SQLITE_BLOB: return DB_BLOB;
	case SQLITE_NULL: return DB_NULL;
	default: return DB_TEXT;
	}
}

static const char *sq_column_text(struct db_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(ST(s), i);

	return t ? (const char *)t : "";
}

static size_t sq_column_bytes(struct db_stmt *s, int i)
{
	return (size_t)sqlite3_column_bytes(ST(s), i);
}

static const void *sq_column_blob(struct db_stmt *s, int i) { return sqlite3_column_blob(ST(s), i); }
static int64_t sq_column_int64(struct db_stmt *s, int i) { return sqlite3_column_int64(ST(s), i); }
static double sq_column_double(struct db_stmt *s, int i) { return sqlite3_column_double(ST(s), i); }
static int64_t sq_changes(struct db *db) { return sqlite3_changes64(SQ(db)); }

static int sq_constraint_failed(struct db *db)
{
	return sqlite3_errcode(SQ(db)) == SQLITE_CONSTRAINT;
}

static const struct db_ops sq_ops = {
	sq_free, sq_errmsg, sq_exec, sq_prepare, sq_finalize, sq_reset,
	sq_bind_text, sq_bind_textn, sq_bind_int64, sq_bind_double, sq_bind_blob, sq_bind_null, sq_bind_count,
	sq_step, sq_column_count, sq_column_name, sq_column_type, sq_column_text,
	sq_column_bytes, sq_column_blob, sq_column_int64, sq_column_double, sq_changes,
	sq_constraint_failed,
};

int db_sqlite_open(const char *path, struct db **out, struct wr_err *err)
{
	struct sq_db *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return err_set(err, WR_ENOMEM, "out of memory");
	d->base.ops = &sq_ops;
	d->base.kind = DB_SQLITE;
	if (sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(err, WR_ESTORE, "%s: opening: %s", path,
		        d->h ? sqlite3_errmsg(d->h) : "out of memory");
		sq_free(&d->base);
		return WR_ESTORE;
	}
	sqlite3_busy_timeout(d->h, 10000);
	*out = &d->base;
	return 0;
}
