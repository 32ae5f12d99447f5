/* api.c: the public face of workflows and stores, and reading runs back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"

/* --- workflows --- */

struct wr_flow_params wr_flow_default_params(void)
{
	struct wr_flow_params p;

	memset(&p, 0, sizeof(p));
	return p;
}

int wr_flow_load(const char *path, const struct wr_flow_params *params,
                 struct wr_flow **out, struct wr_err *err)
{
	struct spec_params sp = { 0 };
	struct wr_flow *f;
	int rc;

	if (!path || !out)
		return err_set(err, WR_EINVAL, "wr_flow_load: path and out are required");
	*out = NULL;
	if (params) {
		sp.on_problem = params->on_problem;
		sp.ud = params->ud;
		sp.model_overrides = params->model_overrides;
		sp.prompt_overrides = params->prompt_overrides;
		sp.policy_path = params->policy;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = spec_load(path, &sp, &f->spec, err)) < 0) {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void wr_flow_free(struct wr_flow *flow)
{
	if (!flow)
		return;
	spec_free(flow->spec);
	free(flow);
}

const char *wr_flow_name(const struct wr_flow *flow)
{
	return flow->spec->name;
}

const char *wr_flow_policy(const struct wr_flow *flow, const char **hash)
{
	const struct spec_policy *p = flow->spec->policy;

	if (hash)
		*hash = p ? p->hash : NULL;
	return p ? p->path : NULL;
}

int wr_flow_policy_requires_lock(const struct wr_flow *flow)
{
	return flow->spec->policy && flow->spec->policy->lock;
}

const char *wr_flow_hash(const struct wr_flow *flow)
{
	return flow->spec->hash;
}

int wr_flow_store_path(const char *flow_path, char *buf, size_t size)
{
	char dir[4096];

	if (os_dirname(flow_path, dir, sizeof(dir)) < 0)
		return WR_ETOOBIG;
	return os_join(dir, ".warrant/warrant.db", buf, size);
}

/* --- stores --- */

int wr_store_open(const char *path, struct wr_store **out, struct wr_err *err)
{
	struct store *st = NULL;
	int rc;

	if (!path || !out)
		return err_set(err, WR_EINVAL, "wr_store_open: path and out are required");
	rc = store_open(path, &st, err);
	*out = (struct wr_store *)st;
	return rc;
}

void wr_store_free(struct wr_store *store)
{
	store_free((struct store *)store);
}

/* --- reading runs back --- */

static void run_info(const struct store_run *r, struct wr_run_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->id, sizeof(info->id), "%s", r->id);
	snprintf(info->flow_name, sizeof(info->flow_name), "%s", r->flow_name);
	snprintf(info->flow_path, sizeof(info->flow_path), "%s", r->flow_path);
	snprintf(info->flow_hash, sizeof(info->flow_hash), "%s", r->flow_hash);
	info->status = (enum wr_run_status)r->status;
	info->failure = (enum wr_failure)r->failure;
	snprintf(info->failed_step, sizeof(info->failed_step), "%s", r->failed_step);
	snprintf(info->message, sizeof(info->message), "%s", r->message);
	info->seed = r->seed;
	info->created_ms = r->created_ms;
	info->updated_ms = r->updated_ms;
	info->tokens_in = r->tokens_in;
	info->tokens_out = r->tokens_out;
	info->calls = r->calls;
	info->cost_usd = r->cost_usd;
	info->seconds = r->seconds;
	info->steps_total = r->steps_total;
}

static int count_done(void *ud, const struct store_step *s)
{
	int *n = ud;

	*n += !strcmp(s->status, "done");
	return 0;
}

int wr_run_find(struct wr_store *store, const char *ref, char id[WR_ID_MAX],
                struct wr_err *err)
{
	return store_run_find((struct store *)store, ref, id, err);
}

int wr_run_get(struct wr_store *store, const char *run_id, struct wr_run_info *info,
               struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct store_run r;
	char id[WR_ID_MAX];
	int rc, done = 0;

	if ((rc = store_run_find(st, run_id, id, err)) < 0 ||
	    (rc = store_run_get(st, id, &r, err)) < 0)
		return rc;
	run_info(&r, info);
	if ((rc = store_steps_each(st, id, count_done, &done, err)) < 0)
		return rc;
	info->steps_done = done;
	return 0;
}

struct runs_ctx {
	int (*fn)(void *ud, const struct wr_run_info *info);
	void *ud;
};

static int each_run(void *ud, const struct store_run *r)
{
	struct runs_ctx *c = ud;
	struct wr_run_info info;

	run_info(r, &info);
	info.steps_done = -1;  /* not counted in listings */
	return c->fn(c->ud, &info);
}

int wr_runs_each(struct wr_store *store, int limit,
                 int (*fn)(void *ud, const struct wr_run_info *info), void *ud,
                 struct wr_err *err)
{
	struct runs_ctx c = { fn, ud };

	return store_runs_each((struct store *)store, limit, each_run, &c, err);
}

struct wr_runs_filter wr_runs_default_filter(void)
{
	struct wr_runs_filter f = { .status = -1, .failure = -1 };

	return f;
}

int wr_runs_query(struct wr_store *store, const struct wr_runs_filter *f,
                  int (*fn)(void *ud, const struct wr_run_info *info), void *ud,
                  struct wr_err *err)
{
	struct wr_runs_filter all = wr_runs_default_filter();
	struct runs_ctx c = { fn, ud };

	if (!store || !fn)
		return err_set(err, WR_EINVAL, "wr_runs_query: store and fn are required");
	if (!f)
		f = &all;
	if (f->status > WR_RUN_FAILED || f->failure >= WR_FAIL_COUNT_ || f->limit < 0)
		return err_set(err, WR_EINVAL, "wr_runs_query: status, failure or limit out of range");
	return store_runs_query((struct store *)store,
	                        f->status >= 0 ? wr_run_status_name((enum wr_run_status)f->status) : "",
	                        f->failure >= 0 ? wr_failure_name((enum wr_failure)f->failure) : "",
	                        f->flow, f->after, f->limit, each_run, &c, err);
}

struct steps_ctx {
	struct store *st;
	int (*fn)(void *ud, const struct wr_step_info *info);
	void *ud;
};

static int each_step(void *ud, const struct store_step *s)
{
	struct steps_ctx *c = ud;
	struct wr_step_info info;
	struct store_artifact a;

	memset(&info, 0, sizeof(info));
	info.index = s->idx;
	snprintf(info.id, sizeof(info.id), "%s", s->id);
	snprintf(info.kind, sizeof(info.kind), "%s", s->kind);
	snprintf(info.status, sizeof(info.status), "%s", s->status);
	snprintf(info.artifact, sizeof(info.artifact), "%s", s->artifact);
	info.failure = (enum wr_failure)s->failure;
	snprintf(info.message, sizeof(info.message), "%s", s->message);
	info.seconds = s->seconds;
	info.state = WR_STATE_CANDIDATE;
	/* The state shown is the artifact's now, for the step that made it. */
	if (!strcmp(s->kind, "generate") &&
	    store_artifact_get(c->st, s->run_id, s->id, &a, NULL) == 0)
		info.state = (enum wr_state)a.state;
	return c->fn(c->ud, &info);
}

int wr_run_steps(struct wr_store *store, const char *run_id,
                 int (*fn)(void *ud, const struct wr_step_info *info), void *ud,
                 struct wr_err *err)
{
	struct steps_ctx c = { (struct store *)store, fn, ud };
	char id[WR_ID_MAX];
	int rc;

	if ((rc = store_run_find(c.st, run_id, id, err)) < 0)
		return rc;
	return store_steps_each(c.st, id, each_step, &c, err);
}

struct checks_ctx {
	int (*fn)(void *ud, const struct wr_check_info *info);
	void *ud;
};

static int each_check(void *ud, const struct store_check *k)
{
	struct checks_ctx *c = ud;
	struct wr_check_info info;

	memset(&info, 0, sizeof(info));
	snprintf(info.step_id, sizeof(info.step_id), "%s", k->step_id);
	info.index = k->idx;
	snprintf(info.kind, sizeof(info.kind), "%s", k->kind);
	info.passed = k->passed;
	info.failure = (enum wr_failure)k->failure;
	snprintf(info.reason, sizeof(info.reason), "%s", k->reason);
	info.seconds = k->seconds;
	return c->fn(c->ud, &info);
}

int wr_run_checks(struct wr_store *store, const char *run_id,
                  int (*fn)(void *ud, const struct wr_check_info *info), void *ud,
                  struct wr_err *err)
{
	struct checks_ctx c = { fn, ud };
	char id[WR_ID_MAX];
	int rc;

	if ((rc = store_run_find((struct store *)store, run_id, id, err)) < 0)
		return rc;
	return store_checks_each((struct store *)store, id, each_check, &c, err);
}

struct attempts_ctx {
	struct store_artifact *rows;
	size_t n, cap;
	int oom;
};

static int keep_row(void *ud, const struct store_artifact *a)
{
	struct attempts_ctx *c = ud;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct store_artifact *rows = realloc(c->rows, cap * sizeof(*rows));

		if (!rows) {
			c->oom = 1;
			return 1;
		}
		c->rows = rows;
		c->cap = cap;
	}
	c->rows[c->n++] = *a;
	return 0;
}

int wr_run_candidates(struct wr_store *store, const char *run_id,
                      int (*fn)(void *ud, const struct wr_candidate_info *info), void *ud,
                      struct wr_err *err)
{
	struct attempts_ctx c = { NULL, 0, 0, 0 };
	struct wr_candidate_info info;
	char id[WR_ID_MAX];
	int rc;

	if ((rc = store_run_find((struct store *)store, run_id, id, err)) < 0 ||
	    (rc = store_artifacts_each((struct store *)store, id, keep_row, &c, err)) < 0)
		goto out;
	if (c.oom) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct store_artifact *a = &c.rows[i];
		const char *hash = strchr(a->step_id, '#');
		size_t base = hash ? (size_t)(hash - a->step_id) : strlen(a->step_id);

		memset(&info, 0, sizeof(info));
		snprintf(info.step_id, sizeof(info.step_id), "%.*s", (int)base, a->step_id);
		if (hash) {
			info.attempt = (int)strtol(hash + 1, NULL, 10);
		} else {
			info.kept = 1;
			info.attempt = 1;
			for (size_t j = 0; j < c.n; j++)  /* after every rejected attempt */
				if (!strncmp(c.rows[j].step_id, a->step_id, base) &&
				    c.rows[j].step_id[base] == '#')
					info.attempt++;
		}
		memcpy(info.artifact, a->hash, WR_HASH_HEX);
		info.size = a->size;
		info.state = (enum wr_state)a->state;
		info.failure = (enum wr_failure)a->failure;
		if (fn(ud, &info))
			break;
	}
out:
	free(c.rows);
	return rc;
}

int wr_artifact_read(struct wr_store *store, const char *hash, size_t max, char **bytes,
                     size_t *len, struct wr_err *err)
{
	struct buf b;
	int rc;

	*bytes = NULL;
	if (!hash_is_hex(hash))
		return err_set(err, WR_EINVAL, "'%s' is not a SHA-256 hash", hash);
	buf_init(&b, max);
	if ((rc = store_blob_get_verified((struct store *)store, hash, &b, err)) < 0) {
		buf_release(&b);
		return rc;
	}
	*bytes = buf_detach(&b, len);
	return *bytes ? 0 : err_set(err, WR_ENOMEM, "out of memory");
}
