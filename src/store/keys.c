/* keys.c: the signing keys and the ledger's signatures. */
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "store/store_db.h"

void store_set_signer(struct store *st, void *signer, void (*free_fn)(void *signer))
{
	if (st->signer_free)
		st->signer_free(st->signer);
	st->signer = signer;
	st->signer_free = free_fn;
}

void *store_signer(const struct store *st)
{
	return st->signer;
}

int store_key_put(struct store *st, const char *key_id, const char *pem,
                  struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_KEY_PUT, err);

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, key_id);
	st_text(s, 2, pem);
	db_bind_int64(s, 3, os_now_ms());
	return st_exec(st, s, err, "recording a signing key");
}

int store_keys_each(struct store *st,
                    int (*fn)(void *ud, const char *key_id, const char *pem), void *ud,
                    struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_KEY_LIST, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	while ((rc = db_step(s)) == DB_ROW) {
		const char *id = db_column_text(s, 0);
		const char *pem = db_column_text(s, 1);

		if (fn(ud, id ? id : "", pem ? pem : ""))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "reading keys");
}

int store_sig_put(struct store *st, int64_t seq, const char *key_id, const char *sig,
                  struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_SIG_PUT, err);

	if (!s)
		return WR_ESTORE;
	db_bind_int64(s, 1, seq);
	st_text(s, 2, key_id);
	st_text(s, 3, sig);
	return st_exec(st, s, err, "recording a signature");
}

int store_sigs_each(struct store *st,
                    int (*fn)(void *ud, int64_t seq, const char *key_id, const char *sig),
                    void *ud, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_SIG_LIST, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	while ((rc = db_step(s)) == DB_ROW) {
		const char *id = db_column_text(s, 1);
		const char *sig = db_column_text(s, 2);

		if (fn(ud, db_column_int64(s, 0), id ? id : "", sig ? sig : ""))
			break;
	}
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "reading signatures");
}
