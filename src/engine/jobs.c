/* jobs.c: executing a claimed job's run (wr_job_run in warrant.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "engine/engine.h"

#define JOB_INPUTS_MAX 64

/* How a run that already ended ended, as wr_run_start would have said. */
static void ended(const struct store_run *r, struct wr_run_result *res)
{
	snprintf(res->run_id, sizeof(res->run_id), "%s", r->id);
	res->status = (enum wr_run_status)r->status;
	res->failure = (enum wr_failure)r->failure;
	snprintf(res->failed_step, sizeof(res->failed_step), "%s", r->failed_step);
	snprintf(res->message, sizeof(res->message), "%s", r->message);
	res->exit_code = r->status == WR_RUN_DONE ? WR_EXIT_DONE
	                 : r->status == WR_RUN_WAITING ? WR_EXIT_WAITING
	                 : r->status == WR_RUN_REJECTED ? WR_EXIT_REJECTED : WR_EXIT_FAILED;
}

static int start(struct wr_store *store, const struct wr_job *job, struct wr_run_params *p,
                 struct wr_run_result *res, struct wr_err *err)
{
	struct wr_input in[JOB_INPUTS_MAX];
	struct wr_flow *flow = NULL;
	json_t *o = json_loads(job->inputs, 0, NULL), *v;
	const char *name;
	size_t n = 0;
	int rc;

	if (!json_is_object(o)) {
		rc = err_set(err, WR_ESTORE, "job %lld: its inputs are not a JSON object",
		             (long long)job->id);
		goto out;
	}
	json_object_foreach(o, name, v) {
		if (n == JOB_INPUTS_MAX || !json_is_string(v)) {
			rc = err_set(err, WR_EINVAL, "job %lld: more than %d inputs, or one not a "
			             "string", (long long)job->id, JOB_INPUTS_MAX);
			goto out;
		}
		in[n].name = name;
		in[n++].value = json_string_value(v);
	}
	if ((rc = wr_flow_load(job->flow_path, NULL, &flow, err)) < 0)
		goto out;
	p->inputs = in;
	p->n_inputs = n;
	p->run_id = job->run_id;
	rc = wr_run_start(store, flow, p, res, err);
out:
	wr_flow_free(flow);
	json_decref(o);
	return rc;
}

int wr_job_run(struct wr_store *store, const struct wr_job *job,
               const struct wr_run_params *params, struct wr_run_result *res,
               struct wr_err *err)
{
	struct wr_run_params p = params ? *params : wr_run_default_params();
	struct store_run r;
	int rc;

	if (!store || !job || !res || !job->run_id[0])
		return err_set(err, WR_EINVAL, "wr_job_run: store, a claimed job and res are "
		               "required");
	memset(res, 0, sizeof(*res));
	/* By its exact id: the run of job 1 is not the run of job 12. */
	rc = store_run_get((struct store *)store, job->run_id, &r, err);
	if (rc == WR_ENOTFOUND)
		return start(store, job, &p, res, err);
	if (rc < 0)
		return rc;
	if (r.status != WR_RUN_RUNNING) {
		ended(&r, res);  /* the worker before us finished it, then died */
		return 0;
	}
	p.take_over = 1;
	return wr_run_resume(store, job->run_id, &p, res, err);
}
