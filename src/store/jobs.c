/* jobs.c: the job queue's rows (see warrant.h, "the job queue"). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/os.h"
#include "store/store_db.h"

/* {"inputs": {name: value, ...}}; the caller frees it. */
static char *run_args(const struct wr_input *in, size_t n)
{
	json_t *o = json_object(), *inputs = json_object();
	char *text = NULL;

	if (!o || !inputs || json_object_set(o, "inputs", inputs))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!in[i].name || json_object_set_new(inputs, in[i].name,
		                                       json_string(in[i].value ? in[i].value : "")))
			goto out;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(inputs);
	json_decref(o);
	return text;
}

int store_job_add(struct store *st, const char *kind, const char *flow_path,
                  const char *args, int64_t *id, char run_id[WR_ID_MAX], struct wr_err *err)
{
	struct db_stmt *s;
	int64_t job = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (strlen(args) >= sizeof(((struct wr_job *)0)->args))
		return err_set(err, WR_ETOOBIG, "a job's arguments take %zu bytes; at most %zu",
		               strlen(args), sizeof(((struct wr_job *)0)->args) - 1);
	if ((rc = store_begin(st, err)) < 0)
		return rc;
	if (!(s = st_stmt(st, S_JOB_ADD, err))) {
		rc = WR_ESTORE;
		goto fail;
	}
	st_text(s, 1, flow_path);
	st_text(s, 2, args);
	db_bind_int64(s, 3, os_now_ms());
	st_text(s, 4, kind);
	if ((rc = db_step(s)) == DB_ROW)
		job = db_column_int64(s, 0);
	db_reset(s);
	if (rc != DB_ROW) {
		rc = st_fail(st, err, "queueing a job");
		goto fail;
	}
	/* The run's id from the job's, so no two jobs can name one run. */
	gmtime_r(&now, &tm);
	snprintf(run_id, WR_ID_MAX, "%04d%02d%02d-%02d%02d%02d-j%" PRId64, tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, job);
	if (!(s = st_stmt(st, S_JOB_NAME, err))) {
		rc = WR_ESTORE;
		goto fail;
	}
	db_bind_int64(s, 1, job);
	st_text(s, 2, run_id);
	if ((rc = st_exec(st, s, err, "queueing a job")) < 0)
		goto fail;
	if ((rc = store_commit(st, err)) < 0)
		return rc;
	if (id)
		*id = job;
	return 0;
fail:
	store_rollback(st);
	return rc;
}

int store_job_status(struct store *st, int64_t id, char status[16], char message[512],
                     struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, S_JOB_STATUS, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	db_bind_int64(s, 1, id);
	if ((rc = db_step(s)) == DB_ROW) {
		st_col(s, 0, status, 16);
		st_col(s, 1, message, 512);
	}
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? err_set(err, WR_ENOTFOUND, "no job %" PRId64, id)
	                     : st_fail(st, err, "reading a job");
}

int wr_job_submit(struct wr_store *store, const char *flow_path,
                  const struct wr_input *inputs, size_t n_inputs, int64_t *id,
                  struct wr_err *err)
{
	char run_id[WR_ID_MAX], *args;
	int rc;

	if (!store || !flow_path || !flow_path[0] || (n_inputs && !inputs))
		return err_set(err, WR_EINVAL, "wr_job_submit: store and flow_path are required");
	if (!(args = run_args(inputs, n_inputs)))
		return err_set(err, WR_EINVAL, "inputs are not valid UTF-8 text");
	rc = store_job_add((struct store *)store, "run", flow_path, args, id, run_id, err);
	free(args);
	return rc;
}

static int claim(struct store *st, enum stmt_id which, const char *worker, int64_t lease_ms,
                 struct wr_job *job, struct wr_err *err)
{
	struct db_stmt *s = st_stmt(st, which, err);
	int rc;

	if (!s)
		return WR_ESTORE;
	st_text(s, 1, worker);
	db_bind_int64(s, 2, os_now_ms());
	db_bind_int64(s, 3, lease_ms);
	rc = db_step(s);
	if (rc == DB_ROW) {
		job->id = db_column_int64(s, 0);
		st_col(s, 1, job->kind, sizeof(job->kind));
		st_col(s, 2, job->flow_path, sizeof(job->flow_path));
		st_col(s, 3, job->args, sizeof(job->args));
		st_col(s, 4, job->run_id, sizeof(job->run_id));
		job->claims = db_column_int64(s, 5);
	}
	db_reset(s);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? WR_ENOTFOUND : st_fail(st, err, "claiming a job");
}

int wr_job_claim(struct wr_store *store, const char *worker, int64_t lease_ms,
                 struct wr_job *job, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	int rc;

	if (!store || !worker || !worker[0] || !job || lease_ms <= 0)
		return err_set(err, WR_EINVAL, "wr_job_claim: store, worker, job and a lease "
		               "are required");
	memset(job, 0, sizeof(*job));
	/* A job whose worker died first: it has waited longest. */
	rc = claim(st, S_JOB_RECLAIM, worker, lease_ms, job, err);
	if (rc == WR_ENOTFOUND)
		rc = claim(st, S_JOB_CLAIM, worker, lease_ms, job, err);
	return rc;
}

/* Runs a fenced update: it changes the row only while the lease is ours. */
static int fenced(struct store *st, struct db_stmt *s, const struct wr_job *job,
                  const char *worker, struct wr_err *err, const char *what)
{
	int rc;

	db_bind_int64(s, 1, job->id);
	st_text(s, 2, worker);
	db_bind_int64(s, 3, job->claims);
	if ((rc = st_exec(st, s, err, what)) < 0)
		return rc;
	if (db_changes(st->db) != 1)
		return err_set(err, WR_ESTATE, "job %" PRId64 ": the lease is no longer %s's "
		               "(it lapsed and another worker took the job)", job->id, worker);
	return 0;
}

int wr_job_heartbeat(struct wr_store *store, const struct wr_job *job, const char *worker,
                     int64_t lease_ms, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct db_stmt *s;

	if (!store || !job || !worker)
		return err_set(err, WR_EINVAL, "wr_job_heartbeat: store, job and worker are required");
	if (!(s = st_stmt(st, S_JOB_BEAT, err)))
		return WR_ESTORE;
	db_bind_int64(s, 4, os_now_ms() + lease_ms);
	return fenced(st, s, job, worker, err, "renewing a lease");
}

int wr_job_finish(struct wr_store *store, const struct wr_job *job, const char *worker,
                  int failed, const char *result, const char *message, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct db_stmt *s;

	if (!store || !job || !worker)
		return err_set(err, WR_EINVAL, "wr_job_finish: store, job and worker are required");
	if (!(s = st_stmt(st, S_JOB_END, err)))
		return WR_ESTORE;
	st_text(s, 4, failed ? "failed" : "done");
	db_bind_int64(s, 5, os_now_ms());
	st_text(s, 6, result);
	st_text(s, 7, message);
	return fenced(st, s, job, worker, err, "ending a job");
}

int wr_jobs_count(struct wr_store *store, struct wr_jobs_count *out, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct db_stmt *s;
	char status[16];
	int rc;

	if (!store || !out)
		return err_set(err, WR_EINVAL, "wr_jobs_count: store and out are required");
	memset(out, 0, sizeof(*out));
	if (!(s = st_stmt(st, S_JOB_COUNT, err)))
		return WR_ESTORE;
	while ((rc = db_step(s)) == DB_ROW) {
		int64_t n = db_column_int64(s, 1);

		st_col(s, 0, status, sizeof(status));
		if (!strcmp(status, "queued"))
			out->queued = n;
		else if (!strcmp(status, "running"))
			out->running = n;
		else if (!strcmp(status, "done"))
			out->done = n;
		else if (!strcmp(status, "failed"))
			out->failed = n;
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : st_fail(st, err, "counting jobs");
}
