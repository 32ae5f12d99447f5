/* db_pg.c: the database layer over PostgreSQL, through libpq.
 *
 * libpq is loaded with dlopen when the first PostgreSQL store is opened,
 * not linked: it brings Kerberos, LDAP and a dozen more libraries that
 * every command would otherwise load at start-up, SQLite users included.
 *
 * Parameters go as text (numbers formatted here) with their types given
 * (int8, float8, text, bytea), so the server never has to guess one;
 * results come as text and are parsed here, bytea from its hex form.
 * A persistent statement is prepared on the server at its first step. */
#include <dlfcn.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/db.h"

/* --- libpq, loaded --- */

static struct {
	PGconn *(*connectdb)(const char *conninfo);
	ConnStatusType (*status)(const PGconn *conn);
	char *(*error_message)(const PGconn *conn);
	void (*finish)(PGconn *conn);
	PQnoticeProcessor (*set_notice_processor)(PGconn *conn, PQnoticeProcessor proc,
	                                          void *arg);
	PGresult *(*exec)(PGconn *conn, const char *query);
	PGresult *(*exec_params)(PGconn *conn, const char *command, int n, const Oid *types,
	                         const char *const *values, const int *lengths,
	                         const int *formats, int result_format);
	PGresult *(*prepare)(PGconn *conn, const char *name, const char *query, int n,
	                     const Oid *types);
	PGresult *(*exec_prepared)(PGconn *conn, const char *name, int n,
	                           const char *const *values, const int *lengths,
	                           const int *formats, int result_format);
	ExecStatusType (*result_status)(const PGresult *res);
	char *(*result_error_message)(const PGresult *res);
	char *(*result_error_field)(const PGresult *res, int code);
	void (*clear)(PGresult *res);
	int (*ntuples)(const PGresult *res);
	int (*nfields)(const PGresult *res);
	char *(*fname)(const PGresult *res, int i);
	Oid (*ftype)(const PGresult *res, int i);
	char *(*getvalue)(const PGresult *res, int row, int col);
	int (*getlength)(const PGresult *res, int row, int col);
	int (*getisnull)(const PGresult *res, int row, int col);
	char *(*cmd_tuples)(PGresult *res);
} pq;

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static const char *pq_failure;

/* dlsym's void * into a function pointer, without a cast the standard
 * leaves undefined. */
#define LOAD(field, name)                                                   \
	do {                                                                \
		void *p_ = dlsym(h, name);                                  \
		if (!p_) {                                                  \
			pq_failure = "libpq lacks " name;                   \
			return;                                             \
		}                                                           \
		memcpy(&pq.field, &p_, sizeof(p_));                         \
	} while (0)

static void pq_load(void)
{
	void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		pq_failure = "cannot load libpq.so.5 (apt-get install libpq5)";
		return;
	}
	LOAD(connectdb, "PQconnectdb");
	LOAD(status, "PQstatus");
	LOAD(error_message, "PQerrorMessage");
	LOAD(finish, "PQfinish");
	LOAD(set_notice_processor, "PQsetNoticeProcessor");
	LOAD(exec, "PQexec");
	LOAD(exec_params, "PQexecParams");
	LOAD(prepare, "PQprepare");
	LOAD(exec_prepared, "PQexecPrepared");
	LOAD(result_status, "PQresultStatus");
	LOAD(result_error_message, "PQresultErrorMessage");
	LOAD(result_error_field, "PQresultErrorField");
	LOAD(clear, "PQclear");
	LOAD(ntuples, "PQntuples");
	LOAD(nfields, "PQnfields");
	LOAD(fname, "PQfname");
	LOAD(ftype, "PQftype");
	LOAD(getvalue, "PQgetvalue");
	LOAD(getlength, "PQgetlength");
	LOAD(getisnull, "PQgetisnull");
	LOAD(cmd_tuples, "PQcmdTuples");
}

/* Type OIDs (pg_type.dat). */
enum { OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
       OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

/* --- connections and statements --- */

struct pg_db {
	struct db base;
	PGconn *conn;
	char errmsg[1024];
	char sqlstate[8];
	int64_t changes;
	unsigned next_name;
};

struct pg_param {
	const char *value;          /* NULL: SQL NULL */
	int length, format;
	Oid type;
	char num[32];               /* a number's text */
	char *owned;                /* a copy, freed on reset */
};

struct pg_stmt {
	struct db_stmt base;
	char *sql;                  /* with $N placeholders */
	int nparams;
	unsigned char *used;        /* which $N the SQL names */
	struct pg_param *p;
	int persistent, prepared;
	char name[24];
	PGresult *res;
	int row, nrows, done;
	unsigned char *blob;        /* a bytea column, decoded */
	size_t blob_len, blob_cap;
};

#define PG(d) ((struct pg_db *)(d))
#define PS(s) ((struct pg_stmt *)(s))

static void noticed(void *arg, const char *message)
{
	(void)arg;
	(void)message;  /* the library never prints; notices are not errors */
}

static void set_error(struct pg_db *d, const char *msg, const PGresult *res)
{
	const char *state = res ? pq.result_error_field(res, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	snprintf(d->errmsg, sizeof(d->errmsg), "%s", msg && msg[0] ? msg : "PostgreSQL error");
	n = strlen(d->errmsg);
	while (n && (d->errmsg[n - 1] == '\n' || d->errmsg[n - 1] == ' '))
		d->errmsg[--n] = '\0';
	/* One line: libpq's continuation lines joined. */
	for (char *c = d->errmsg; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	snprintf(d->sqlstate, sizeof(d->sqlstate), "%s", state ? state : "");
}

static void pg_free(struct db *db)
{
	if (PG(db)->conn)
		pq.finish(PG(db)->conn);
	free(db);
}

static const char *pg_errmsg(struct db *db) { return PG(db)->errmsg; }

/* Takes res; 0 when it reports success. */
static int check(struct pg_db *d, PGresult *res)
{
	ExecStatusType t = res ? pq.result_status(res) : PGRES_FATAL_ERROR;

	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
		return 0;
	set_error(d, res ? pq.result_error_message(res) : pq.error_message(d->conn), res);
	pq.clear(res);
	return WR_ESTORE;
}

static int pg_exec(struct db *db, const char *sql)
{
	PGresult *res = pq.exec(PG(db)->conn, sql);

	if (check(PG(db), res) < 0)
		return WR_ESTORE;
	pq.clear(res);
	return 0;
}

/* ?N -> $N outside quotes; notes the highest N and which appear. */
static int rewrite(struct pg_stmt *x, const char *sql)
{
	size_t len = strlen(sql);
	char *out = malloc(len + 1);
	size_t o = 0;
	char quote = 0;
	int max = 0;

	if (!out)
		return WR_ENOMEM;
	for (const char *c = sql; *c; c++) {
		if (quote) {
			if (*c == quote)
				quote = 0;
		} else if (*c == '\'' || *c == '"') {
			quote = *c;
		} else if (*c == '?' && c[1] >= '0' && c[1] <= '9') {
			int n = (int)strtol(c + 1, NULL, 10);

			max = n > max ? n : max;
			out[o++] = '$';
			continue;
		}
		out[o++] = *c;
	}
	out[o] = '\0';
	x->sql = out;
	x->nparams = max;
	x->p = calloc((size_t)max + 1, sizeof(*x->p));
	x->used = calloc((size_t)max + 1, 1);
	if (!x->p || !x->used)
		return WR_ENOMEM;
	for (const char *c = out; (c = strchr(c, '$')); c++)
		if (c[1] >= '1' && c[1] <= '9') {
			int n = (int)strtol(c + 1, NULL, 10);

			if (n <= max)
				x->used[n] = 1;
		}
	return 0;
}

static void pg_finalize(struct db_stmt *s);

static int pg_prepare(struct db *db, const char *sql, int persistent, struct db_stmt **out)
{
	struct pg_stmt *x = calloc(1, sizeof(*x));

	if (!x) {
		set_error(PG(db), "out of memory", NULL);
		return WR_ENOMEM;
	}
	x->base.db = db;
	x->persistent = persistent;
	snprintf(x->name, sizeof(x->name), "wr%u", PG(db)->next_name++);
	if (rewrite(x, sql) < 0) {
		pg_finalize(&x->base);
		set_error(PG(db), "out of memory", NULL);
		return WR_ENOMEM;
	}
	*out = &x->base;
	return 0;
}

static void end_result(struct pg_stmt *x)
{
	if (x->res)
		pq.clear(x->res);
	x->res = NULL;
	x->row = -1;
	x->nrows = 0;
	x->done = 0;
}

static void pg_reset(struct db_stmt *s)
{
	struct pg_stmt *x = PS(s);

	end_result(x);
	for (int i = 1; i <= x->nparams; i++) {
		free(x->p[i].owned);
		x->p[i].owned = NULL;
		x->p[i].value = NULL;
		x->p[i].length = x->p[i].format = 0;
	}
}

static void pg_finalize(struct db_stmt *s)
{
	struct pg_stmt *x = PS(s);

	if (x->p)
		pg_reset(s);
	free(x->sql);
	free(x->p);
	free(x->used);
	free(x->blob);
	free(x);
}

static struct pg_param *param(struct db_stmt *s, int i, Oid type)
{
	struct pg_stmt *x = PS(s);

	if (i < 1 || i > x->nparams)
		return NULL;
	free(x->p[i].owned);
	x->p[i].owned = NULL;
	/* A prepared statement keeps the types it was prepared with. */
	if (!x->prepared)
		x->p[i].type = type;
	return &x->p[i];
}

static void pg_bind_text(struct db_stmt *s, int i, const char *v)
{
	struct pg_param *p = param(s, i, OID_TEXT);

	if (p) {
		p->value = v;
		p->format = 0;
	}
}

static void pg_bind_textn(struct db_stmt *s, int i, const char *v, size_t len)
{
	struct pg_param *p = param(s, i, OID_TEXT);

	if (p && (p->owned = malloc(len + 1))) {
		memcpy(p->owned, v, len);
		p->owned[len] = '\0';
		p->value = p->owned;
		p->format = 0;
	}
}

static void pg_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	struct pg_param *p = param(s, i, OID_INT8);

	if (p) {
		snprintf(p->num, sizeof(p->num), "%" PRId64, v);
		p->value = p->num;
		p->format = 0;
	}
}

static void pg_bind_double(struct db_stmt *s, int i, double v)
{
	struct pg_param *p = param(s, i, OID_FLOAT8);

	if (p) {
		snprintf(p->num, sizeof(p->num), "%.17g", v);
		p->value = p->num;
		p->format = 0;
	}
}

static void pg_bind_blob(struct db_stmt *s, int i, const void *v, size_t len)
{
	struct pg_param *p = param(s, i, OID_BYTEA);

	if (p) {
		p->value = v;
		p->length = (int)len;
		p->format = 1;  /* binary: the bytes as they are */
	}
}

static void pg_bind_null(struct db_stmt *s, int i)
{
	struct pg_param *p = param(s, i, 0);

	if (p)
		p->value = NULL;
}

static int pg_bind_count(struct db_stmt *s) { return PS(s)->nparams; }

static int execute(struct pg_stmt *x)
{
	struct pg_db *d = PG(x->base.db);
	int n = x->nparams;
	const char *values[n + 1];
	int lengths[n + 1], formats[n + 1];
	Oid types[n + 1];
	PGresult *res;

	for (int i = 1; i <= n; i++) {
		values[i - 1] = x->p[i].value;
		lengths[i - 1] = x->p[i].length;
		formats[i - 1] = x->p[i].format;
		/* A placeholder the SQL skips still needs a type. */
		types[i - 1] = x->p[i].type || x->used[i] ? x->p[i].type : OID_TEXT;
	}
	if (x->persistent && !x->prepared) {
		res = pq.prepare(d->conn, x->name, x->sql, n, types);
		if (check(d, res) < 0)
			return WR_ESTORE;
		pq.clear(res);
		x->prepared = 1;
	}
	res = x->persistent ? pq.exec_prepared(d->conn, x->name, n, values, lengths, formats, 0)
	                    : pq.exec_params(d->conn, x->sql, n, types, values, lengths,
	                                     formats, 0);
	if (check(d, res) < 0)
		return WR_ESTORE;
	x->res = res;
	x->row = -1;
	x->nrows = pq.result_status(res) == PGRES_TUPLES_OK ? pq.ntuples(res) : 0;
	d->changes = strtoll(pq.cmd_tuples(res), NULL, 10);
	return 0;
}

static int pg_step(struct db_stmt *s)
{
	struct pg_stmt *x = PS(s);

	if (x->done)
		return DB_DONE;
	if (!x->res && execute(x) < 0)
		return WR_ESTORE;
	if (++x->row < x->nrows)
		return DB_ROW;
	x->done = 1;
	return DB_DONE;
}

static int in_row(struct pg_stmt *x, int i)
{
	return x->res && x->row >= 0 && x->row < x->nrows && i >= 0 && i < pq.nfields(x->res);
}

static int pg_column_count(struct db_stmt *s)
{
	return PS(s)->res ? pq.nfields(PS(s)->res) : 0;
}

static const char *pg_column_name(struct db_stmt *s, int i)
{
	return PS(s)->res ? pq.fname(PS(s)->res, i) : "";
}

static enum db_type pg_column_type(struct db_stmt *s, int i)
{
	struct pg_stmt *x = PS(s);

	if (!in_row(x, i) || pq.getisnull(x->res, x->row, i))
		return DB_NULL;
	switch (pq.ftype(x->res, i)) {
	case OID_INT8: case OID_INT4: case OID_INT2: case OID_OID: return DB_INT;
	case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC: return DB_FLOAT;
	case OID_BYTEA: return DB_BLOB;
	default: return DB_TEXT;
	}
}

static const char *pg_column_text(struct db_stmt *s, int i)
{
	struct pg_stmt *x = PS(s);

	return in_row(x, i) ? pq.getvalue(x->res, x->row, i) : "";
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* bytea's text form, "\x" and two hex digits a byte, into x->blob. */
static const void *decode(struct pg_stmt *x, int i)
{
	const char *t = pq.getvalue(x->res, x->row, i);
	size_t n = (size_t)pq.getlength(x->res, x->row, i);

	x->blob_len = 0;
	if (n < 2 || t[0] != '\\' || t[1] != 'x')
		return "";
	n = (n - 2) / 2;
	if (n + 1 > x->blob_cap) {
		unsigned char *b = realloc(x->blob, n + 1);

		if (!b)
			return NULL;
		x->blob = b;
		x->blob_cap = n + 1;
	}
	for (size_t k = 0; k < n; k++) {
		int hi = hexval(t[2 + 2 * k]), lo = hexval(t[3 + 2 * k]);

		if (hi < 0 || lo < 0)
			return NULL;
		x->blob[k] = (unsigned char)(hi << 4 | lo);
	}
	x->blob[n] = '\0';
	x->blob_len = n;
	return x->blob;
}

static const void *pg_column_blob(struct db_stmt *s, int i)
{
	struct pg_stmt *x = PS(s);

	if (!in_row(x, i))
		return NULL;
	if (pq.ftype(x->res, i) == OID_BYTEA)
		return decode(x, i);
	return pq.getvalue(x->res, x->row, i);
}

static size_t pg_column_bytes(struct db_stmt *s, int i)
{
	struct pg_stmt *x = PS(s);

	if (!in_row(x, i))
		return 0;
	if (pq.ftype(x->res, i) == OID_BYTEA)
		return decode(x, i) ? x->blob_len : 0;
	return (size_t)pq.getlength(x->res, x->row, i);
}

static int64_t pg_column_int64(struct db_stmt *s, int i)
{
	const char *t = pg_column_text(s, i);

	/* As SQLite reads a real as an integer: its whole part. */
	return strpbrk(t, ".eE") ? (int64_t)strtod(t, NULL) : strtoll(t, NULL, 10);
}

static double pg_column_double(struct db_stmt *s, int i)
{
	return strtod(pg_column_text(s, i), NULL);
}

static int64_t pg_changes(struct db *db) { return PG(db)->changes; }

static int pg_constraint_failed(struct db *db)
{
	return !strncmp(PG(db)->sqlstate, "23", 2);  /* integrity constraint violation */
}

static const struct db_ops pg_ops = {
	pg_free, pg_errmsg, pg_exec, pg_prepare, pg_finalize, pg_reset,
	pg_bind_text, pg_bind_textn, pg_bind_int64, pg_bind_double, pg_bind_blob, pg_bind_null,
	pg_bind_count, pg_step, pg_column_count, pg_column_name, pg_column_type, pg_column_text,
	pg_column_bytes, pg_column_blob, pg_column_int64, pg_column_double, pg_changes,
	pg_constraint_failed,
};

int db_pg_open(const char *conninfo, struct db **out, struct wr_err *err)
{
	struct pg_db *d;

	*out = NULL;
	pthread_once(&pq_once, pq_load);
	if (pq_failure)
		return err_set(err, WR_ESTORE, "%s", pq_failure);
	if (!(d = calloc(1, sizeof(*d))))
		return err_set(err, WR_ENOMEM, "out of memory");
	d->base.ops = &pg_ops;
	d->base.kind = DB_PG;
	d->conn = pq.connectdb(conninfo);
	if (!d->conn || pq.status(d->conn) != CONNECTION_OK) {
		set_error(d, d->conn ? pq.error_message(d->conn) : "out of memory", NULL);
		err_set(err, WR_ESTORE, "connecting to PostgreSQL: %s", d->errmsg);
		pg_free(&d->base);
		return WR_ESTORE;
	}
	pq.set_notice_processor(d->conn, noticed, NULL);
	*out = &d->base;
	return 0;
}
