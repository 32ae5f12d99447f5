/* sources.c: indexed documents and their chunks, searched with SQLite
 * FTS5 (BM25). Tables, created on first use:
 *
 *   sources(path, size, mtime_ns, hash, params, chunks, indexed_ms)
 *   chunks(id, source, ordinal, label, start, end, hash, text)
 *   chunks_fts: an FTS5 index over chunks.text, kept in step by triggers */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "store/store_db.h"

static const char sources_schema[] =
	"CREATE TABLE IF NOT EXISTS sources(\n"
	"  path TEXT PRIMARY KEY,\n"
	"  size INTEGER NOT NULL,\n"
	"  mtime_ns INTEGER NOT NULL,\n"
	"  hash TEXT NOT NULL,\n"
	"  params TEXT NOT NULL,\n"
	"  chunks INTEGER NOT NULL,\n"
	"  indexed_ms INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS chunks(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  source TEXT NOT NULL,\n"
	"  ordinal INTEGER NOT NULL,\n"
	"  label TEXT NOT NULL UNIQUE,\n"
	"  start INTEGER NOT NULL,\n"
	"  end INTEGER NOT NULL,\n"
	"  hash TEXT NOT NULL,\n"
	"  text TEXT NOT NULL);\n"
	"CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source, ordinal);\n"
	"CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(text, content='chunks', "
	"  content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');\n"
	"CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN\n"
	"  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END;\n"
	"CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN\n"
	"  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES('delete', old.id, old.text); END;\n";

int store_sources_init(struct store *st, struct wr_err *err)
{
	int rc;

	if (db_kind(st->db) != DB_SQLITE)
		return err_set(err, WR_ESTORE, "the source index (retrieve steps, warrant index "
		               "and search) needs a SQLite store; %s is PostgreSQL", st->path);
	/* FTS5's merges and searches read many pages: up to 64 MiB of cache
	 * (allocated as used) on this connection from here on. */
	db_exec(st->db, "PRAGMA cache_size=-65536", NULL);
	if ((rc = db_exec(st->db, sources_schema, err)) < 0)
		return err_wrap(err, "%s: creating the source index", st->path);
	return 0;
}

/* Bulk indexing: let FTS5 merge 16 segments at a time rather than 4, which
 * writes each posting fewer times (about 15% faster on a large corpus). */
int store_sources_tune(struct store *st, struct wr_err *err)
{
	if (db_exec(st->db, "INSERT INTO chunks_fts(chunks_fts, rank) "
	                    "VALUES('automerge', 16)", err) < 0)
		return err_wrap(err, "%s: tuning the source index", st->path);
	return 0;
}

int store_source_get(struct store *st, const char *path, struct store_source *out,
                     struct wr_err *err)
{
	struct db_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (db_prepare(st->db, "SELECT size, mtime_ns, hash, params FROM sources "
	                       "WHERE path = ?1", 0, &s, NULL) < 0)
		return st_fail(st, err, "reading sources");
	st_text(s, 1, path);
	rc = db_step(s);
	if (rc == DB_ROW) {
		out->size = db_column_int64(s, 0);
		out->mtime_ns = db_column_int64(s, 1);
		st_col(s, 2, out->hash, sizeof(out->hash));
		st_col(s, 3, out->params, sizeof(out->params));
	}
	db_finalize(s);
	if (rc == DB_DONE)
		return WR_ENOTFOUND;
	return rc == DB_ROW ? 0 : st_fail(st, err, "reading sources");
}

static int exec1(struct store *st, const char *sql, const char *arg, struct wr_err *err)
{
	struct db_stmt *s;
	int rc;

	if (db_prepare(st->db, sql, 0, &s, NULL) < 0)
		return st_fail(st, err, "updating sources");
	st_text(s, 1, arg);
	rc = db_step(s);
	db_finalize(s);
	return rc == DB_DONE ? 0 : st_fail(st, err, "updating sources");
}

int store_source_drop(struct store *st, const char *path, struct wr_err *err)
{
	int rc = exec1(st, "DELETE FROM chunks WHERE source = ?1", path, err);

	return rc < 0 ? rc : exec1(st, "DELETE FROM sources WHERE path = ?1", path, err);
}

int store_source_put(struct store *st, const char *path, const struct store_source *src,
                     struct wr_err *err)
{
	struct db_stmt *s;
	int rc;

	if (db_prepare(st->db, "INSERT OR REPLACE INTO sources(path, size, mtime_ns, "
	                       "hash, params, chunks, indexed_ms) VALUES(?1,?2,?3,?4,?5,?6,?7)", 0, &s, NULL) < 0)
		return st_fail(st, err, "updating sources");
	st_text(s, 1, path);
	db_bind_int64(s, 2, src->size);
	db_bind_int64(s, 3, src->mtime_ns);
	st_text(s, 4, src->hash);
	st_text(s, 5, src->params);
	db_bind_int64(s, 6, src->chunks);
	db_bind_int64(s, 7, os_now_ms());
	rc = db_step(s);
	db_finalize(s);
	return rc == DB_DONE ? 0 : st_fail(st, err, "updating sources");
}

void store_stmt_free(void *cache)
{
	db_finalize(cache);
}

int store_chunk_add(struct store *st, void **cache, const char *source, int ordinal,
                    const char *label, int64_t start, int64_t end, const char *hash,
                    const char *text, size_t len, struct wr_err *err)
{
	struct db_stmt *s = *cache;
	int rc;

	if (!s && db_prepare(st->db, "INSERT INTO chunks(source, ordinal, label, start, "
	                     "end, hash, text) VALUES(?1,?2,?3,?4,?5,?6,?7)", 1, &s, NULL) < 0)
		return st_fail(st, err, "adding a chunk");
	*cache = s;
	db_reset(s);
	st_text(s, 1, source);
	db_bind_int64(s, 2, ordinal);
	st_text(s, 3, label);
	db_bind_int64(s, 4, start);
	db_bind_int64(s, 5, end);
	st_text(s, 6, hash);
	db_bind_textn(s, 7, text, len);
	rc = db_step(s);
	db_reset(s);
	if (rc < 0 && db_constraint_failed(st->db))
		return err_set(err, WR_ESTATE, "chunk id %s is taken by another file; index the "
		               "two from a common root so their ids differ", label);
	return rc == DB_DONE ? 0 : st_fail(st, err, "adding a chunk");
}

int store_sources_each(struct store *st, int (*fn)(void *ud, const char *path), void *ud,
                       struct wr_err *err)
{
	struct db_stmt *s;
	int rc;

	if (db_prepare(st->db, "SELECT path FROM sources ORDER BY path", 0, &s, NULL) < 0)
		return st_fail(st, err, "reading sources");
	while ((rc = db_step(s)) == DB_ROW)
		if (fn(ud, db_column_text(s, 0)))
			break;
	db_finalize(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "reading sources");
}

int store_search(struct store *st, const char *match, int top_k, const char *glob,
                 int (*fn)(void *ud, const struct wr_hit *h), void *ud, struct wr_err *err)
{
	struct db_stmt *s;
	struct wr_hit h;
	int rc;

	if (db_prepare(st->db, "SELECT c.label, c.source, c.start, c.end, c.hash, "
	                       "bm25(chunks_fts), c.text FROM chunks_fts JOIN chunks c "
	                       "ON c.id = chunks_fts.rowid WHERE chunks_fts MATCH ?1 "
	                       "AND (?3 = '' OR c.source GLOB ?3) "
	                       "ORDER BY bm25(chunks_fts), c.id LIMIT ?2", 0, &s, NULL) < 0)
		return st_fail(st, err, "searching sources");
	st_text(s, 1, match);
	db_bind_int64(s, 2, top_k);
	st_text(s, 3, glob ? glob : "");
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&h, 0, sizeof(h));
		st_col(s, 0, h.id, sizeof(h.id));
		st_col(s, 1, h.source, sizeof(h.source));
		h.start = db_column_int64(s, 2);
		h.end = db_column_int64(s, 3);
		st_col(s, 4, h.hash, sizeof(h.hash));
		h.score = -db_column_double(s, 5);
		h.text = db_column_text(s, 6);
		h.text_len = (size_t)(int)db_column_bytes(s, 6);
		if (fn(ud, &h))
			break;
	}
	db_finalize(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "searching sources");
}
