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

/* The job's run, started: its inputs, and for an eval job the case's seed,
 * the variant's models and no effects, as wr_eval runs a case itself. */
static int start(struct wr_store *store, const struct wr_job *job, struct wr_run_params *p,
                 struct wr_run_result *res, struct wr_err *err)
{
	struct wr_flow_params fp = wr_flow_default_params();
	struct wr_input in[JOB_INPUTS_MAX];
	struct wr_flow *flow = NULL;
	json_t *o = json_loads(job->args, 0, NULL), *inputs, *v;
	const char *name;
	size_t n = 0;
	int rc;

	inputs = json_object_get(o, "inputs");
	if (!json_is_object(o) || (inputs && !json_is_object(inputs))) {
		rc = err_set(err, WR_ESTORE, "job %lld: its arguments are not a JSON object "
		             "with an object of inputs", (long long)job->id);
		goto out;
	}
	json_object_foreach(inputs, name, v) {
		if (n == JOB_INPUTS_MAX || !json_is_string(v)) {
			rc = err_set(err, WR_EINVAL, "job %lld: more than %d inputs, or one not a "
			             "string", (long long)job->id, JOB_INPUTS_MAX);
			goto out;
		}
		in[n].name = name;
		in[n++].value = json_string_value(v);
	}
	if (!strcmp(job->kind, "eval")) {
		p->seed = (uint64_t)json_integer_value(json_object_get(o, "seed"));
		p->has_seed = 1;
		p->actor = "eval";
		p->cache = json_is_true(json_object_get(o, "cache"));
		p->stop_before_effects = 1;
		fp.model_overrides = json_string_value(json_object_get(o, "overrides"));
	} else if (strcmp(job->kind, "run") != 0) {
		rc = err_set(err, WR_EINVAL, "job %lld: unknown kind '%s'", (long long)job->id,
		             job->kind);
		goto out;
	}
	if ((rc = wr_flow_load(job->flow_path, &fp, &flow, err)) < 0)
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
