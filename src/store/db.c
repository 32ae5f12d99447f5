/* db.c: the database layer's calls, handed to the driver of each connection. */
#include "store/db.h"

#include <string.h>

#include "core/err.h"

int db_is_pg_target(const char *target)
{
	return target && (!strncmp(target, "postgres://", 11) ||
	                  !strncmp(target, "postgresql://", 13) ||
	                  strstr(target, "host=") || strstr(target, "dbname="));
}

int db_open(const char *target, struct db **out, struct wr_err *err)
{
	*out = NULL;
	if (!target || !target[0])
		return err_set(err, WR_EINVAL, "no store given");
	return db_is_pg_target(target) ? db_pg_open(target, out, err)
	                               : db_sqlite_open(target, out, err);
}

void db_free(struct db *db)
{
	if (db)
		db->ops->free(db);
}

enum db_kind db_kind(const struct db *db) { return db->kind; }
const char *db_errmsg(struct db *db) { return db->ops->errmsg(db); }

int db_exec(struct db *db, const char *sql, struct wr_err *err)
{
	if (db->ops->exec(db, sql) < 0)
		return err_set(err, WR_ESTORE, "%s", db_errmsg(db));
	return 0;
}

int db_begin(struct db *db, struct wr_err *err)
{
	return db_exec(db, db->kind == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

int db_prepare(struct db *db, const char *sql, int persistent, struct db_stmt **out,
               struct wr_err *err)
{
	*out = NULL;
	if (db->ops->prepare(db, sql, persistent, out) < 0)
		return err_set(err, WR_ESTORE, "%s", db_errmsg(db));
	return 0;
}

void db_finalize(struct db_stmt *s)
{
	if (s)
		s->db->ops->finalize(s);
}

void db_reset(struct db_stmt *s) { s->db->ops->reset(s); }
void db_bind_text(struct db_stmt *s, int i, const char *v) { s->db->ops->bind_text(s, i, v ? v : ""); }
void db_bind_textn(struct db_stmt *s, int i, const char *v, size_t len)
{
	s->db->ops->bind_textn(s, i, len ? v : "", len);
}
void db_bind_int64(struct db_stmt *s, int i, int64_t v) { s->db->ops->bind_int64(s, i, v); }
void db_bind_double(struct db_stmt *s, int i, double v) { s->db->ops->bind_double(s, i, v); }
void db_bind_blob(struct db_stmt *s, int i, const void *p, size_t len)
{
	s->db->ops->bind_blob(s, i, len ? p : "", len);
}
void db_bind_null(struct db_stmt *s, int i) { s->db->ops->bind_null(s, i); }
int db_bind_count(struct db_stmt *s) { return s->db->ops->bind_count(s); }
int db_step(struct db_stmt *s) { return s->db->ops->step(s); }
int db_column_count(struct db_stmt *s) { return s->db->ops->column_count(s); }
const char *db_column_name(struct db_stmt *s, int i) { return s->db->ops->column_name(s, i); }
enum db_type db_column_type(struct db_stmt *s, int i) { return s->db->ops->column_type(s, i); }
const char *db_column_text(struct db_stmt *s, int i) { return s->db->ops->column_text(s, i); }
size_t db_column_bytes(struct db_stmt *s, int i) { return s->db->ops->column_bytes(s, i); }
const void *db_column_blob(struct db_stmt *s, int i) { return s->db->ops->column_blob(s, i); }
int64_t db_column_int64(struct db_stmt *s, int i) { return s->db->ops->column_int64(s, i); }
double db_column_double(struct db_stmt *s, int i) { return s->db->ops->column_double(s, i); }
int64_t db_changes(struct db *db) { return db->ops->changes(db); }
int db_constraint_failed(struct db *db) { return db->ops->constraint_failed(db); }
