/* failures.c: failed runs with their class, step and model, for reports. */
#include <string.h>

#include "core/err.h"
#include "store/store_db.h"

/* The model is the one that produced the artifact the failed step held (a
 * generate step's own output, or the draft a check or a person rejected). */
static const char failures_sql[] =
	"SELECT r.id, r.flow_name, r.failed_step, r.failure, r.created_ms, r.message, "
	"  (SELECT c.model FROM steps s JOIN calls c ON c.run_id = s.run_id "
	"   AND c.response_hash = s.artifact WHERE s.run_id = r.id AND s.id = r.failed_step "
	"   AND s.artifact != '' ORDER BY c.call_index DESC LIMIT 1) "
	"FROM runs r WHERE r.failure != 'none' AND r.created_ms >= ?1 "
	"AND (?2 = '' OR r.flow_name = ?2) ORDER BY r.created_ms DESC, r.rowid DESC";

int wr_failures_each(struct wr_store *store, int64_t since_ms, const char *flow,
                     int (*fn)(void *ud, const struct wr_failure_row *row), void *ud,
                     struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct wr_failure_row row;
	struct db_stmt *s = NULL;
	char tmp[64];
	int rc;

	if (!store || !fn)
		return err_set(err, WR_EINVAL, "wr_failures_each: store and fn are required");
	if (db_prepare(st->db, failures_sql, 0, &s, NULL) < 0)
		return st_fail(st, err, "reading failures");
	db_bind_int64(s, 1, since_ms);
	st_text(s, 2, flow ? flow : "");
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&row, 0, sizeof(row));
		st_col(s, 0, row.run_id, sizeof(row.run_id));
		st_col(s, 1, row.flow_name, sizeof(row.flow_name));
		st_col(s, 2, row.step_id, sizeof(row.step_id));
		st_col(s, 3, tmp, sizeof(tmp));
		row.failure = (enum wr_failure)st_failure_parse(tmp);
		row.created_ms = db_column_int64(s, 4);
		st_col(s, 5, row.message, sizeof(row.message));
		st_col(s, 6, row.model, sizeof(row.model));
		if (fn(ud, &row))
			break;
	}
	rc = rc == DB_ROW || rc == DB_DONE ? 0 : st_fail(st, err, "reading failures");
	db_finalize(s);
	return rc;
}
