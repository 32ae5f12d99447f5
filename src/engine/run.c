/* run.c: starting, resuming and driving a run through its steps. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

struct wr_run_params wr_run_default_params(void)
{
	struct wr_run_params p;

	memset(&p, 0, sizeof(p));
	return p;
}

/* --- small pieces --- */

void engine_evidence(char *out, size_t size, json_t *obj)
{
	char *txt = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	if (txt && strlen(txt) < size)
		snprintf(out, size, "%s", txt);
	else
		snprintf(out, size, "{\"truncated\":true}");
	free(txt);
	json_decref(obj);
}

void engine_event(struct engine *e, enum wr_event_kind kind, int idx,
                  enum wr_failure f, const char *msg, double seconds)
{
	struct wr_event ev;
	const struct spec_step *s = &e->flow->steps[idx];

	if (!e->p->on_event)
		return;
	ev.kind = kind;
	ev.run_id = e->run.id;
	ev.step_id = s->id;
	ev.step_kind = spec_step_kind_name(s->kind);
	ev.index = idx;
	ev.total = (int)e->flow->n_steps;
	ev.failure = f;
	ev.message = msg ? msg : "";
	ev.seconds = seconds;
	e->p->on_event(e->p->ud, &ev);
}

double engine_seconds(const struct engine *e)
{
	return e->seconds_before + (double)(os_mono_ns() - e->t0_ns) / 1e9;
}

int engine_step_put(struct engine *e, int idx, const char *status, enum wr_failure f,
                    const char *msg, const char *artifact, double seconds,
                    int64_t ledger_seq, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_step row;

	memset(&row, 0, sizeof(row));
	snprintf(row.run_id, sizeof(row.run_id), "%s", e->run.id);
	row.idx = idx;
	snprintf(row.id, sizeof(row.id), "%s", s->id);
	snprintf(row.kind, sizeof(row.kind), "%s", spec_step_kind_name(s->kind));
	snprintf(row.status, sizeof(row.status), "%s", status);
	row.failure = f;
	snprintf(row.message, sizeof(row.message), "%s", msg ? msg : "");
	snprintf(row.artifact, sizeof(row.artifact), "%s", artifact ? artifact : "");
	row.ended_ms = os_now_ms();
	row.started_ms = row.ended_ms - (int64_t)(seconds * 1000);
	row.seconds = seconds;
	row.ledger_seq = ledger_seq;
	return store_step_put(e->st, &row, err);
}

static int exit_code(enum wr_run_status status, enum wr_failure f)
{
	switch (status) {
	case WR_RUN_DONE: return WR_EXIT_DONE;
	case WR_RUN_WAITING: return WR_EXIT_WAITING;
	case WR_RUN_REJECTED: return WR_EXIT_REJECTED;
	case WR_RUN_FAILED: return f == WR_FAIL_BUDGET_EXCEEDED ? WR_EXIT_BUDGET : WR_EXIT_FAILED;
	case WR_RUN_RUNNING: break;
	}
	return WR_EXIT_INTERNAL;
}

int engine_finish(struct engine *e, enum wr_run_status status, enum wr_failure f,
                  int step_idx, const char *msg, struct wr_err *err)
{
	char evidence[400];

	e->run.status = status;
	e->run.failure = f;
	snprintf(e->run.failed_step, sizeof(e->run.failed_step), "%s",
	         step_idx >= 0 ? e->flow->steps[step_idx].id : "");
	snprintf(e->run.message, sizeof(e->run.message), "%s", msg ? msg : "");
	if (status == WR_RUN_WAITING)
		return 0;  /* a pause is not an end: nothing for the ledger yet */
	engine_evidence(evidence, sizeof(evidence),
	                json_pack("{s:s,s:s,s:s}", "status", wr_run_status_name(status),
	                          "failure", wr_failure_name(f), "step", e->run.failed_step));
	return ledger_append(e->st, e->run.id, "engine", "run_finished", "", evidence, NULL, err);
}

/* --- inputs --- */

static int inputs_build(const struct spec_flow *flow, const struct wr_run_params *p,
                        json_t **out, struct wr_err *err)
{
	json_t *obj = json_object();
	int rc = WR_EINVAL;

	if (!obj)
		return err_set(err, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_inputs; i++) {
		const char *name = p->inputs[i].name;
		int known = 0;

		for (size_t j = 0; j < flow->n_inputs; j++)
			known |= strcmp(flow->inputs[j].name, name) == 0;
		if (!known) {
			const char *names[256];
			size_t n = 0;

			for (size_t j = 0; j < flow->n_inputs && n < 256; j++)
				names[n++] = flow->inputs[j].name;
			const char *hint = spec_suggest(name, names, n);
			err_set(err, WR_EINVAL, "%s: no input named '%s'%s%s%s", flow->path, name,
			        hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
			goto fail;
		}
		json_object_set_new(obj, name, json_string(p->inputs[i].value));
	}
	for (size_t j = 0; j < flow->n_inputs; j++) {
		const struct spec_input *in = &flow->inputs[j];

		if (json_object_get(obj, in->name))
			continue;
		if (in->default_value) {
			json_object_set_new(obj, in->name, json_string(in->default_value));
		} else if (in->required) {
			err_set(err, WR_EINVAL, "%s: input '%s' is required (--input %s=VALUE or "
			        "--input %s=@FILE)", flow->path, in->name, in->name, in->name);
			goto fail;
		}
	}
	*out = obj;
	return 0;
fail:
	json_decref(obj);
	return rc;
}

/* --- the loop --- */

static int load_status(void *ud, const struct store_step *s)
{
	struct engine *e = ud;

	if (s->idx < 0 || (size_t)s->idx >= e->flow->n_steps)
		return 0;
	if (!strcmp(s->status, "done"))
		e->status[s->idx] = SS_DONE;
	else if (!strcmp(s->status, "waiting"))
		e->status[s->idx] = SS_WAITING;
	else if (!strcmp(s->status, "failed"))
		e->status[s->idx] = SS_FAILED;
	else
		e->status[s->idx] = SS_PENDING;
	return 0;
}

static int run_step(struct engine *e, int idx, struct wr_err *err)
{
	switch (e->flow->steps[idx].kind) {
	case STEP_GENERATE: return step_generate(e, idx, err);
	case STEP_CHECK: return step_check(e, idx, err);
	case STEP_APPROVE: return step_approve(e, idx, err);
	case STEP_SHIP: return step_ship(e, idx, err);
	case STEP_RETRIEVE: return step_retrieve(e, idx, err);
	case STEP_KIND_COUNT_: break;
	}
	return err_set(err, WR_ESPEC, "unknown step kind");
}

/* Saves the run row with its counters in a transaction of its own. */
static int save_run(struct engine *e, struct wr_err *err)
{
	int rc;

	e->run.updated_ms = os_now_ms();
	e->run.seconds = engine_seconds(e);
	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = store_run_update(e->st, &e->run, err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	return store_commit(e->st, err);
}

static int drive(struct engine *e, struct wr_err *err)
{
	int rc = 0, ran = 0;
	char why[256];

	for (size_t i = 0; i < e->flow->n_steps && e->run.status == WR_RUN_RUNNING; i++) {
		if (e->status[i] == SS_DONE) {
			engine_event(e, WR_EV_SKIP, (int)i, WR_FAIL_NONE, "done earlier", 0);
			continue;
		}
		if (e->p->max_steps && ran >= e->p->max_steps)
			break;
		/* Evaluations judge the artifacts and stop short of any effect. */
		if (e->p->stop_before_effects && (e->flow->steps[i].kind == STEP_SHIP ||
		                                  e->flow->steps[i].kind == STEP_APPROVE)) {
			e->stopped_before_effects = 1;
			break;
		}
		if (budget_after(e, why, sizeof(why)) != WR_FAIL_NONE) {
			if ((rc = store_begin(e->st, err)) < 0)
				return rc;
			if ((rc = engine_finish(e, WR_RUN_FAILED, WR_FAIL_BUDGET_EXCEEDED, (int)i,
			                        why, err)) < 0 ||
			    (rc = store_run_update(e->st, &e->run, err)) < 0) {
				store_rollback(e->st);
				return rc;
			}
			if ((rc = store_commit(e->st, err)) < 0)
				return rc;
			break;
		}
		engine_event(e, WR_EV_STEP_START, (int)i, WR_FAIL_NONE, NULL, 0);
		if ((rc = run_step(e, (int)i, err)) < 0)
			return rc;
		ran++;
	}
	if (e->run.status == WR_RUN_RUNNING && !(e->p->max_steps && ran >= e->p->max_steps) &&
	    !e->stopped_before_effects) {
		int all_done = 1;

		for (size_t i = 0; i < e->flow->n_steps; i++)
			all_done &= e->status[i] == SS_DONE;
		if (all_done) {
			if ((rc = store_begin(e->st, err)) < 0)
				return rc;
			e->run.seconds = engine_seconds(e);
			if ((rc = engine_finish(e, WR_RUN_DONE, WR_FAIL_NONE, -1, NULL, err)) < 0 ||
			    (rc = store_run_update(e->st, &e->run, err)) < 0) {
				store_rollback(e->st);
				return rc;
			}
			if ((rc = store_commit(e->st, err)) < 0)
				return rc;
		}
	}
	return save_run(e, err);
}

static void engine_release(struct engine *e)
{
	if (e->prov_state) {
		for (size_t i = 0; i < e->flow->n_models; i++) {
			const struct provider_ops *ops = provider_find(e->flow->models[i].provider);

			if (e->prov_state[i] && ops)
				ops->close(e->prov_state[i]);
		}
	}
	free(e->prov_state);
	free(e->quote_cut);
	prices_free(e->prices);
	free(e->status);
	free(e->checks_of);
	json_decref(e->inputs);
	buf_release(&e->scratch);
}

static int engine_init(struct engine *e, struct store *st, const struct spec_flow *flow,
                       const struct wr_run_params *p, struct wr_run_result *res,
                       struct wr_err *err)
{
	memset(e, 0, sizeof(*e));
	e->st = st;
	e->flow = flow;
	e->p = p;
	e->res = res;
	e->pid = (int)getpid();
	e->t0_ns = os_mono_ns();
	buf_init(&e->scratch, 0);
	e->status = calloc(flow->n_steps ? flow->n_steps : 1, sizeof(*e->status));
	e->prov_state = calloc(flow->n_models ? flow->n_models : 1, sizeof(*e->prov_state));
	e->checks_of = calloc(flow->n_steps ? flow->n_steps : 1, sizeof(*e->checks_of));
	if (!e->status || !e->prov_state || !e->checks_of)
		return err_set(err, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < flow->n_steps; i++)
		if (flow->steps[i].kind == STEP_CHECK)
			e->checks_of[flow->steps[i].of_index]++;
	return exchange_init(e, err);
}

static void fill_result(const struct engine *e, struct wr_run_result *res)
{
	memset(res, 0, sizeof(*res));
	snprintf(res->run_id, sizeof(res->run_id), "%s", e->run.id);
	res->status = (enum wr_run_status)e->run.status;
	res->failure = (enum wr_failure)e->run.failure;
	snprintf(res->failed_step, sizeof(res->failed_step), "%s", e->run.failed_step);
	snprintf(res->message, sizeof(res->message), "%s", e->run.message);
	res->exit_code = exit_code(res->status, res->failure);
}

/* Executes until done, waiting, failed or max_steps; always releases the claim. */
static int execute(struct engine *e, struct wr_run_result *res, struct wr_err *err)
{
	int rc;

	if ((rc = store_steps_each(e->st, e->run.id, load_status, e, err)) < 0)
		return rc;
	rc = drive(e, err);
	store_run_unclaim(e->st, e->run.id, e->pid);
	fill_result(e, res);
	return rc;
}

/* "YYYYMMDD-HHMMSS-" and 48 random bits: an eval starts a thousand runs a
 * second, and two of them must not share an id (24 bits did, now and then). */
static void make_run_id(char id[WR_ID_MAX])
{
	unsigned char r[6];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	os_random(r, sizeof(r));
	n = snprintf(id, WR_ID_MAX, "%04d%02d%02d-%02d%02d%02d-", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	for (size_t i = 0; i < sizeof(r) && n > 0 && n + 2 < WR_ID_MAX; i++)
		n += snprintf(id + n, (size_t)(WR_ID_MAX - n), "%02x", r[i]);
}

/* The meta key that remembers the organisation policy a run started under
 * (its absolute path, or "" for none), so that a resumed run, or a decision
 * on it, loads the workflow under the same policy. */
static void policy_key(const char *run_id, char *key, size_t size)
{
	snprintf(key, size, "policy_of:%s", run_id);
}

int engine_spec_params(struct store *st, const char *run_id, struct spec_params *sp,
                       char *buf, size_t size, struct wr_err *err)
{
	char key[WR_ID_MAX + 16];
	int rc;

	memset(sp, 0, sizeof(*sp));
	policy_key(run_id, key, sizeof(key));
	if ((rc = store_meta_get(st, key, buf, size, err)) == WR_ENOTFOUND)
		return 0;       /* a run from before policies were kept: find one */
	if (rc < 0)
		return rc;
	sp->policy_path = buf;
	return 0;
}

/* The meta key that remembers which run a replay answers from, so that a
 * resumed replay still asks no model. */
static void replay_key(const char *run_id, char *key, size_t size)
{
	snprintf(key, size, "replay_of:%s", run_id);
}

/* The run row and a pending row per step, in one transaction. */
static int run_create(struct engine *e, struct wr_err *err)
{
	const struct spec_flow *flow = e->flow;
	struct store_run *r = &e->run;
	char *inputs = NULL, evidence[512], key[WR_ID_MAX + 16], policy[PATH_MAX];
	int rc;

	if (e->p->run_id && e->p->run_id[0])
		snprintf(r->id, sizeof(r->id), "%s", e->p->run_id);
	else
		make_run_id(r->id);
	snprintf(r->flow_name, sizeof(r->flow_name), "%s", flow->name);
	snprintf(r->flow_path, sizeof(r->flow_path), "%s", flow->path);
	memcpy(r->flow_hash, flow->hash, HASH_HEX);
	r->status = WR_RUN_RUNNING;
	r->seed = e->p->seed;
	if (!e->p->has_seed)
		os_random(&r->seed, sizeof(r->seed));
	r->seed &= INT64_MAX;  /* stored as a SQLite integer */
	r->created_ms = r->updated_ms = os_now_ms();
	r->steps_total = (int)flow->n_steps;
	r->owner_pid = e->pid;
	inputs = json_dumps(e->inputs, JSON_COMPACT | JSON_SORT_KEYS);
	if (!inputs)
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = store_begin(e->st, err)) < 0)
		goto out;
	if ((rc = store_blob_put(e->st, flow->source, flow->source_len, r->flow_blob, err)) < 0 ||
	    (rc = store_blob_put(e->st, inputs, strlen(inputs), r->inputs_blob, err)) < 0 ||
	    (rc = store_run_insert(e->st, r, err)) < 0)
		goto fail;
	replay_key(r->id, key, sizeof(key));
	if (e->replay_id[0] && (rc = store_meta_set(e->st, key, e->replay_id, err)) < 0)
		goto fail;
	policy_key(r->id, key, sizeof(key));
	if (flow->policy && !realpath(flow->policy->path, policy))
		snprintf(policy, sizeof(policy), "%s", flow->policy->path);
	if ((rc = store_meta_set(e->st, key, flow->policy ? policy : "", err)) < 0)
		goto fail;
	for (size_t i = 0; i < flow->n_steps; i++)
		if ((rc = engine_step_put(e, (int)i, "pending", WR_FAIL_NONE, NULL, NULL, 0, 0,
		                          err)) < 0)
			goto fail;
	snprintf(evidence, sizeof(evidence),
	         "{\"flow\":\"%s\",\"inputs\":\"%s\",\"seed\":%" PRIu64 "%s%s%s}", r->flow_hash,
	         r->inputs_blob, r->seed, flow->policy ? ",\"policy\":\"" : "",
	         flow->policy ? flow->policy->hash : "", flow->policy ? "\"" : "");
	if ((rc = ledger_append(e->st, r->id, e->p->actor ? e->p->actor : "cli",
	                        "run_started", r->flow_hash, evidence, NULL, err)) < 0)
		goto fail;
	rc = store_commit(e->st, err);
	goto out;
fail:
	store_rollback(e->st);
out:
	free(inputs);
	return rc;
}

/* A replay's defaults: the recorded run's seed, unless the caller gave one. */
static int replay_params(struct store *st, struct wr_run_params *p, struct wr_err *err)
{
	struct store_run run;
	char id[WR_ID_MAX];
	int rc;

	if (!p->replay_run)
		return 0;
	if ((rc = store_run_find(st, p->replay_run, id, err)) < 0 ||
	    (rc = store_run_get(st, id, &run, err)) < 0)
		return err_wrap(err, "--replay");
	if (!p->has_seed) {
		p->seed = run.seed;
		p->has_seed = 1;
	}
	return 0;
}

/* The recorded run's inputs, for a replay given none. */
static int replay_inputs(struct engine *e, struct wr_err *err)
{
	struct store_run run;
	struct buf b = BUF_INIT;
	int rc;

	if ((rc = store_run_get(e->st, e->replay_id, &run, err)) < 0 ||
	    (rc = store_blob_get_verified(e->st, run.inputs_blob, &b, err)) < 0)
		goto out;
	e->inputs = json_loadb(b.data, b.len, 0, NULL);
	if (!json_is_object(e->inputs))
		rc = err_set(err, WR_ESTORE, "run %s: stored inputs are not a JSON object",
		             e->replay_id);
out:
	buf_release(&b);
	return rc;
}

int wr_run_start(struct wr_store *store, const struct wr_flow *flow,
                 const struct wr_run_params *params, struct wr_run_result *res,
                 struct wr_err *err)
{
	struct wr_run_params p = wr_run_default_params();
	struct engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	if (!store || !flow || !res)
		return err_set(err, WR_EINVAL, "wr_run_start: store, flow and res are required");
	memset(res, 0, sizeof(*res));
	if (params)
		p = *params;
	if ((rc = replay_params((struct store *)store, &p, err)) < 0)
		return rc;
	if ((rc = engine_init(&e, (struct store *)store, flow->spec, &p, res, err)) < 0)
		goto out;
	if (e.replay_id[0] && !p.n_inputs)
		rc = replay_inputs(&e, err);
	else
		rc = inputs_build(flow->spec, &p, &e.inputs, err);
	if (rc < 0 || (rc = run_create(&e, err)) < 0)
		goto out;
	rc = execute(&e, res, err);
out:
	engine_release(&e);
	return rc;
}

int wr_run_resume(struct wr_store *store, const char *run_id,
                  const struct wr_run_params *params, struct wr_run_result *res,
                  struct wr_err *err)
{
	struct wr_run_params dflt = wr_run_default_params();
	struct store *st = (struct store *)store;
	struct spec_flow *flow = NULL;
	struct buf bytes = BUF_INIT;
	struct store_run run;
	struct spec_params sp;
	char id[WR_ID_MAX], key[WR_ID_MAX + 16], policy[PATH_MAX];
	struct engine e;
	json_error_t je;
	int rc;

	memset(&e, 0, sizeof(e));
	if (!store || !run_id || !res)
		return err_set(err, WR_EINVAL, "wr_run_resume: store, run_id and res are required");
	memset(res, 0, sizeof(*res));
	if (!params)
		params = &dflt;
	if ((rc = store_run_find(st, run_id, id, err)) < 0 ||
	    (rc = store_run_get(st, id, &run, err)) < 0)
		return rc;
	if (run.status != WR_RUN_RUNNING && run.status != WR_RUN_WAITING) {
		snprintf(res->run_id, sizeof(res->run_id), "%s", id);
		return err_set(err, WR_ESTATE, "run %s has finished (%s%s%s); nothing to resume",
		               id, wr_run_status_name(run.status),
		               run.failure ? ": " : "", run.failure ? wr_failure_name(run.failure) : "");
	}
	if ((rc = store_blob_get_verified(st, run.flow_blob, &bytes, err)) < 0)
		goto out;
	if ((rc = engine_spec_params(st, id, &sp, policy, sizeof(policy), err)) < 0 ||
	    (rc = spec_load_bytes(run.flow_path, bytes.data, bytes.len, &sp, &flow, err)) < 0)
		goto out;
	if (strcmp(flow->hash, run.flow_hash) != 0) {
		rc = err_set(err, WR_ESTATE, "run %s: a file the workflow names has changed since "
		             "the run started (version %.12s, now %.12s); a run never mixes "
		             "versions", id, run.flow_hash, flow->hash);
		goto out;
	}
	if (params->take_over)
		store_run_unclaim(st, id, 0);
	if ((rc = store_run_claim(st, id, (int)getpid(), err)) < 0)
		goto out;
	if ((rc = engine_init(&e, st, flow, params, res, err)) < 0)
		goto out;
	e.run = run;
	e.run.owner_pid = e.pid;
	replay_key(id, key, sizeof(key));
	if ((rc = store_meta_get(st, key, e.replay_id, sizeof(e.replay_id), err)) < 0 &&
	    rc != WR_ENOTFOUND)
		goto out;
	e.seconds_before = run.seconds;
	buf_reset(&bytes);
	if ((rc = store_blob_get_verified(st, run.inputs_blob, &bytes, err)) < 0)
		goto out;
	e.inputs = json_loadb(bytes.data, bytes.len, 0, &je);
	if (!json_is_object(e.inputs)) {
		rc = err_set(err, WR_ESTORE, "run %s: stored inputs are not a JSON object", id);
		goto out;
	}
	if (e.run.status == WR_RUN_WAITING)
		e.run.status = WR_RUN_RUNNING;  /* a waiting step will say if it still waits */
	rc = execute(&e, res, err);
out:
	if (e.st)
		engine_release(&e);
	spec_free(flow);
	buf_release(&bytes);
	return rc;
}
