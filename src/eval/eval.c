/* eval.c: running a suite's cases through its workflow, many at once, and
 * the statistics of the outcomes.
 *
 * Each case runs `repeats` times, each run with its own seed (recorded),
 * and stops before the workflow's first approve or ship step: an eval
 * judges artifacts and causes no effects. A run "passes" when every check
 * it reached passed; a case's run meets its expectation when it passes
 * (expect: pass) or fails (expect: fail, or with the class named). Runs go
 * to their own store, so they can be shown and traced like any other. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "eval/stats.h"
#include "eval/suite.h"
#include "store/store.h"

struct job_result {
	int done, passed, met;
	enum wr_failure failure;
	char reason[300];            /* a failed assertion, or "" */
	double seconds;              /* the run's executing time */
	char run_id[WR_ID_MAX];
	int64_t tokens_in, tokens_out, calls;
	double cost_usd;
};



struct pool {
	const struct wr_suite *s;
	const struct wr_eval_params *p;
	const char *store_path;
	int repeats, per_variant, n_variants, total, next, finished, stop;
	struct job_result *jobs;
	struct wr_eval_model *models;
	int n_models;
	pthread_mutex_t mu;
	struct wr_err first_err;
	int first_rc;
};

static void fail_pool(struct pool *pl, int rc, const struct wr_err *err)
{
	pthread_mutex_lock(&pl->mu);
	if (!pl->first_rc) {
		pl->first_rc = rc;
		pl->first_err = *err;
	}
	pl->stop = 1;
	pthread_mutex_unlock(&pl->mu);
}

static int note_model(void *ud, const struct wr_call_info *ci)
{
	struct pool *pl = ud;
	int i;

	pthread_mutex_lock(&pl->mu);
	for (i = 0; i < pl->n_models; i++)
		if (!strcmp(pl->models[i].model, ci->model) &&
		    !strcmp(pl->models[i].api_model, ci->api_model) &&
		    !strcmp(pl->models[i].system_fingerprint, ci->system_fingerprint))
			break;
	if (i == pl->n_models && i < WR_EVAL_MAX_MODELS) {
		struct wr_eval_model *m = &pl->models[pl->n_models++];

		snprintf(m->model, sizeof(m->model), "%s", ci->model);
		snprintf(m->api_model, sizeof(m->api_model), "%s", ci->api_model);
		snprintf(m->system_fingerprint, sizeof(m->system_fingerprint), "%s",
		         ci->system_fingerprint);
	}
	pthread_mutex_unlock(&pl->mu);
	return 0;
}

/* --- assertions on the artifact --- */

struct find_artifact {
	const char *of;              /* a step id, or NULL: the last generate step */
	char hash[WR_HASH_HEX];
};

static int find_step(void *ud, const struct wr_step_info *info)
{
	struct find_artifact *f = ud;

	if (strcmp(info->kind, "generate") || !info->artifact[0])
		return 0;
	if (!f->of || !strcmp(f->of, info->id))
		snprintf(f->hash, sizeof(f->hash), "%s", info->artifact);
	return 0;
}

/* 1 when every assertion (the suite's, then the case's) holds for the
 * run's artifacts; 0 with the first that fails in reason. Assertions on the
 * same step (most of them) share one look-up and one read of its bytes. */
static int check_asserts(struct wr_store *store, const char *run_id, const struct wr_suite *s,
                         const struct suite_case *c, char *reason, size_t size,
                         struct wr_err *err)
{
	struct find_artifact f = { NULL, "" };
	char *bytes = NULL, why[400];
	size_t len = 0;
	int rc = 1, looked = 0;

	for (size_t i = 0; rc == 1 && i < s->n_asserts + c->n_asserts; i++) {
		const struct suite_assert *a = i < s->n_asserts ? &s->asserts[i]
		                                                : &c->asserts[i - s->n_asserts];
		const char *whose = i < s->n_asserts ? "suite assertion" : "assertion";
		size_t n = i < s->n_asserts ? i + 1 : i - s->n_asserts + 1;

		if (!looked || (a->of ? !f.of || strcmp(a->of, f.of) : f.of != NULL)) {
			char was[WR_HASH_HEX];

			memcpy(was, f.hash, sizeof(was));
			f.of = a->of;
			f.hash[0] = '\0';
			looked = 1;
			if ((rc = wr_run_steps(store, run_id, find_step, &f, err)) < 0)
				break;
			if (!f.hash[0]) {
				snprintf(reason, size, "%s %zu: no artifact of %s%s", whose, n,
				         a->of ? "step " : "a generate step", a->of ? a->of : "");
				rc = 0;
				break;
			}
			if (!bytes || strcmp(was, f.hash)) {
				free(bytes);
				bytes = NULL;
				if ((rc = wr_artifact_read(store, f.hash, 0, &bytes, &len, err)) < 0)
					break;
			}
		}
		if (!(rc = assert_run(a, bytes, len, why, sizeof(why))))
			snprintf(reason, size, "%s %zu: %.250s", whose, n, why);
	}
	free(bytes);
	return rc;
}

/* Job j's outcome, from its run as the store has it. */
static int judge(struct pool *pl, struct wr_store *store, int j, enum wr_run_status status,
                 enum wr_failure failure, const char *run_id, struct wr_err *err)
{
	int k = j % pl->per_variant;
	const struct suite_case *c = &pl->s->cases[k / pl->repeats];
	struct job_result *r = &pl->jobs[j];
	struct wr_run_info info;

	r->passed = status == WR_RUN_RUNNING || status == WR_RUN_DONE || status == WR_RUN_WAITING;
	r->failure = r->passed ? WR_FAIL_NONE : failure;
	if (r->passed && (pl->s->n_asserts || c->n_asserts)) {
		int rc = check_asserts(store, run_id, pl->s, c, r->reason, sizeof(r->reason), err);

		if (rc < 0)
			return rc;
		r->passed = rc;
		r->failure = rc ? WR_FAIL_NONE : WR_FAIL_CHECK_FAILED;
	}
	r->met = c->expect_pass ? r->passed
	                        : !r->passed && (c->expect_failure < 0 ||
	                                         (int)r->failure == c->expect_failure);
	snprintf(r->run_id, sizeof(r->run_id), "%s", run_id);
	if (wr_run_get(store, run_id, &info, err) == 0) {
		r->seconds = info.seconds;
		r->tokens_in = info.tokens_in;
		r->tokens_out = info.tokens_out;
		r->calls = info.calls;
		r->cost_usd = info.cost_usd;
	}
	if (wr_run_calls(store, run_id, note_model, pl, err) < 0)
		return err_wrap(err, "run %s", run_id);
	r->done = 1;
	return 0;
}

static int run_job(struct pool *pl, struct wr_store *store, const struct wr_flow *flow,
                   int j, struct wr_err *err)
{
	int k = j % pl->per_variant;  /* the same case and repeat in every variant */
	const struct suite_case *c = &pl->s->cases[k / pl->repeats];
	struct wr_run_params p = wr_run_default_params();
	struct wr_run_result res;
	int rc;

	p.inputs = c->inputs;
	p.n_inputs = c->n_inputs;
	p.seed = (uint64_t)k + 1;  /* reproducible, and paired across variants */
	p.has_seed = 1;
	p.actor = "eval";
	p.cache = pl->p->cache;
	p.stop_before_effects = 1;
	if ((rc = wr_run_start(store, flow, &p, &res, err)) < 0)
		return rc;
	return judge(pl, store, j, res.status, res.failure, res.run_id, err);
}

/* --- the runs as jobs, for workers --- */

/* Job j's arguments: what run_job gives wr_run_start (engine/jobs.c reads
 * them back); the caller frees the text. */
static char *job_args(const struct pool *pl, int j)
{
	int k = j % pl->per_variant, v = j / pl->per_variant;
	const struct suite_case *c = &pl->s->cases[k / pl->repeats];
	json_t *o = json_object(), *in = json_object();
	char *text = NULL;

	if (!o || !in || json_object_set(o, "inputs", in) ||
	    json_object_set_new(o, "seed", json_integer(k + 1)) ||
	    json_object_set_new(o, "cache", json_boolean(pl->p->cache)) ||
	    (pl->s->n_variants && pl->s->variants[v].overrides &&
	     json_object_set_new(o, "overrides", json_string(pl->s->variants[v].overrides))))
		goto out;
	for (size_t i = 0; i < c->n_inputs; i++)
		if (json_object_set_new(in, c->inputs[i].name, json_string(c->inputs[i].value)))
			goto out;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(in);
	json_decref(o);
	return text;
}

/* Queues every run, then waits for workers to end them, judging each. */
static int run_as_jobs(struct pool *pl, struct wr_err *err)
{
	struct wr_store *store = NULL;
	struct store *st;
	struct wr_run_info info;
	char workflow[4096], status[16], message[512], *args;
	int64_t *ids = calloc((size_t)pl->total, sizeof(*ids));
	int rc, j;

	if (!ids)
		return err_set(err, WR_ENOMEM, "out of memory");
	/* Workers run elsewhere: they find the workflow by its full path. */
	if (!realpath(pl->s->workflow, workflow)) {
		rc = err_set(err, WR_EIO, "%s: cannot resolve its path", pl->s->workflow);
		goto out;
	}
	if ((rc = wr_store_open(pl->store_path, &store, err)) < 0)
		goto out;
	st = (struct store *)store;
	for (j = 0; j < pl->total; j++) {
		if (!(args = job_args(pl, j))) {
			rc = err_set(err, WR_EINVAL, "case inputs are not valid UTF-8 text");
			goto out;
		}
		rc = store_job_add(st, "eval", workflow, args, &ids[j], pl->jobs[j].run_id, err);
		free(args);
		if (rc < 0)
			goto out;
	}
	for (j = 0; j < pl->total;) {
		if ((rc = store_job_status(st, ids[j], status, message, err)) < 0)
			goto out;
		if (!strcmp(status, "failed")) {
			rc = err_set(err, WR_EPROVIDER, "job %lld (run %s): %s", (long long)ids[j],
			             pl->jobs[j].run_id, message);
			goto out;
		}
		if (strcmp(status, "done") != 0) {
			os_sleep_ms(50);  /* jobs end roughly in order: wait on the first open one */
			continue;
		}
		if ((rc = wr_run_get(store, pl->jobs[j].run_id, &info, err)) < 0 ||
		    (rc = judge(pl, store, j, info.status, info.failure, info.id, err)) < 0)
			goto out;
		pl->finished = ++j;
		if (pl->p->on_progress)
			pl->p->on_progress(pl->p->ud, pl->finished, pl->total);
	}
	rc = 0;
out:
	wr_store_free(store);
	free(ids);
	return rc;
}

/* Variant v's workflow: the file with the variant's models and prompts. */
static int load_variant(const struct wr_suite *s, int v, struct wr_flow **out,
                        struct wr_err *err)
{
	struct wr_flow_params fp = wr_flow_default_params();
	int rc;

	if (s->n_variants) {
		fp.model_overrides = s->variants[v].overrides;
		fp.prompt_overrides = s->variants[v].prompts;
	}
	if ((rc = wr_flow_load(s->workflow, &fp, out, err)) < 0 && s->n_variants)
		err_wrap(err, "variant '%s'", s->variants[v].name);
	return rc;
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	struct wr_flow *flows[SUITE_MAX_VARIANTS] = { NULL };
	struct wr_store *store = NULL;
	struct wr_err err;
	int rc, j;

	if ((rc = wr_store_open(pl->store_path, &store, &err)) < 0) {
		fail_pool(pl, rc, &err);
		goto out;
	}
	for (int v = 0; v < pl->n_variants; v++)
		if ((rc = load_variant(pl->s, v, &flows[v], &err)) < 0) {
			fail_pool(pl, rc, &err);
			goto out;
		}
	for (;;) {
		pthread_mutex_lock(&pl->mu);
		j = pl->stop || pl->next >= pl->total ? -1 : pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (j < 0)
			break;
		if ((rc = run_job(pl, store, flows[j / pl->per_variant], j, &err)) < 0) {
			fail_pool(pl, rc, &err);
			break;
		}
		pthread_mutex_lock(&pl->mu);
		pl->finished++;
		if (pl->p->on_progress)
			pl->p->on_progress(pl->p->ud, pl->finished, pl->total);
		pthread_mutex_unlock(&pl->mu);
	}
out:
	wr_store_free(store);
	for (int v = 0; v < pl->n_variants; v++)
		wr_flow_free(flows[v]);
	return NULL;
}

/* One variant's cases, into case_results from `first` on, and its totals. */
static void summarize_variant(const struct pool *pl, int v, struct wr_eval_report *r,
                              double *at1, double *atk)
{
	const struct wr_suite *s = pl->s;
	struct wr_eval_variant *vr = &r->variants[v];
	double t = s->n_variants && s->variants[v].threshold >= 0 ? s->variants[v].threshold
	                                                           : s->threshold;

	for (size_t i = 0; i < s->n_cases; i++) {
		struct wr_eval_case *c = &r->case_results[(size_t)v * s->n_cases + i];
		int counts[WR_FAIL_COUNT_] = { 0 }, best = 0;

		snprintf(c->name, sizeof(c->name), "%s", s->cases[i].name);
		c->variant = v;
		for (int k = 0; k < pl->repeats; k++) {
			const struct job_result *j =
				&pl->jobs[(size_t)v * (size_t)pl->per_variant + i * (size_t)pl->repeats +
				          (size_t)k];

			c->runs++;
			c->passed += j->met;
			if (!j->passed && j->failure > 0 && j->failure < WR_FAIL_COUNT_) {
				counts[j->failure]++;
				vr->by_failure[j->failure]++;
				r->by_failure[j->failure]++;
			}
			if (!j->met || !c->example_run[0])
				snprintf(c->example_run, sizeof(c->example_run), "%s", j->run_id);
			if (!j->met && j->reason[0] && !c->detail[0])
				snprintf(c->detail, sizeof(c->detail), "%s", j->reason);
			r->tokens_in += j->tokens_in;
			r->tokens_out += j->tokens_out;
			r->calls += j->calls;
			r->cost_usd += j->cost_usd;
		}
		for (int f = 1; f < WR_FAIL_COUNT_; f++)
			if (counts[f] > counts[best])
				best = f;
		c->failure = (enum wr_failure)best;
		vr->runs += c->runs;
		vr->passed += c->passed;
		vr->flaky += c->passed > 0 && c->passed < c->runs;
		*at1 += (double)c->passed / (double)c->runs;
		*atk += stats_pass_at_k(c->runs, c->passed, c->runs);
	}
	vr->rate = vr->runs ? (double)vr->passed / vr->runs : 0;
	stats_wilson(vr->passed, vr->runs, 1.959964, &vr->lo, &vr->hi);
	vr->threshold = t;
	vr->threshold_met = t > 0 ? vr->lo >= t : vr->passed == vr->runs;
}

/* Variants a and b, pair by pair (same case, same repeat, same seed). */
static void compare(const struct pool *pl, const struct wr_eval_report *r, int a, int b,
                    struct wr_eval_compare *c)
{
	c->a = a;
	c->b = b;
	for (int k = 0; k < pl->per_variant; k++) {
		int ma = pl->jobs[a * pl->per_variant + k].met;
		int mb = pl->jobs[b * pl->per_variant + k].met;

		c->a_only += ma && !mb;
		c->b_only += mb && !ma;
	}
	c->p_value = stats_mcnemar(c->a_only, c->b_only);
	c->diff = r->variants[b].rate - r->variants[a].rate;
}

static void summarize(const struct pool *pl, struct wr_eval_report *r)
{
	const struct wr_suite *s = pl->s;
	double at1 = 0, atk = 0;
	int all_met = 1;

	r->cases = (int)s->n_cases;
	r->repeats = pl->repeats;
	r->runs = pl->total;
	r->n_case_results = (int)s->n_cases * pl->n_variants;
	for (int v = 0; v < pl->n_variants; v++) {
		summarize_variant(pl, v, r, &at1, &atk);
		r->passed += r->variants[v].passed;
		r->flaky += r->variants[v].flaky;
		all_met &= r->variants[v].threshold_met;
	}
	for (int a = 0; a < pl->n_variants; a++)
		for (int b = a + 1; b < pl->n_variants; b++)
			compare(pl, r, a, b, &r->compares[r->n_compares++]);
	r->rate = r->runs ? (double)r->passed / r->runs : 0;
	stats_wilson(r->passed, r->runs, 1.959964, &r->lo, &r->hi);
	r->pass_at_1 = r->n_case_results ? at1 / r->n_case_results : 0;
	r->pass_at_k = r->n_case_results ? atk / r->n_case_results : 0;
	r->threshold = s->threshold;
	r->threshold_met = all_met;
	for (int j = 0; j < pl->total; j++) {
		r->met[j] = (unsigned char)pl->jobs[j].met;
		r->run_seconds[j] = pl->jobs[j].seconds;
		r->run_cost[j] = pl->jobs[j].cost_usd;
	}
	memcpy(r->models, pl->models, (size_t)pl->n_models * sizeof(*r->models));
	r->n_models = pl->n_models;  /* one variant: lo >= threshold, or every run met */
}

int wr_eval(const struct wr_suite *s, const struct wr_eval_params *p,
            struct wr_eval_report **out, struct wr_err *err)
{
	struct wr_eval_params none = { 0 };
	struct pool pl;
	struct wr_eval_report *r = NULL;
	pthread_t th[256];
	char store_path[4096];
	int n_threads, started = 0, rc = 0;
	uint64_t t0 = os_mono_ns();

	*out = NULL;
	if (!s)
		return err_set(err, WR_EINVAL, "wr_eval: a suite is required");
	memset(&pl, 0, sizeof(pl));
	pl.s = s;
	pl.p = p ? p : &none;
	pl.repeats = pl.p->repeats > 0 ? pl.p->repeats : s->repeats;
	pl.per_variant = (int)s->n_cases * pl.repeats;
	pl.n_variants = s->n_variants ? (int)s->n_variants : 1;
	pl.total = pl.per_variant * pl.n_variants;
	if (pl.p->store_path)
		snprintf(store_path, sizeof(store_path), "%s", pl.p->store_path);
	else if (os_join(s->dir, ".warrant/eval.db", store_path, sizeof(store_path)) < 0)
		return err_set(err, WR_EINVAL, "%s: path too long", s->dir);
	pl.store_path = store_path;
	n_threads = pl.p->concurrency > 0 ? pl.p->concurrency : s->concurrency;
	n_threads = n_threads > 256 ? 256 : n_threads < 1 ? 1 : n_threads;
	if (n_threads > pl.total)
		n_threads = pl.total;
	{
		/* The store first, once, so threads do not race to create it. */
		struct wr_store *st = NULL;

		if ((rc = wr_store_open(store_path, &st, err)) < 0)
			return rc;
		wr_store_free(st);
	}
	if (!(pl.jobs = calloc((size_t)pl.total, sizeof(*pl.jobs))) ||
	    !(r = calloc(1, sizeof(*r))) ||
	    !(r->case_results = calloc((size_t)pl.total, sizeof(*r->case_results))) ||
	    !(r->met = calloc((size_t)pl.total, 1)) ||
	    !(r->run_seconds = calloc((size_t)pl.total, sizeof(double))) ||
	    !(r->run_cost = calloc((size_t)pl.total, sizeof(double))) ||
	    !(pl.models = calloc(WR_EVAL_MAX_MODELS, sizeof(*pl.models))) ||
	    !(r->variants = calloc((size_t)pl.n_variants, sizeof(*r->variants))) ||
	    !(r->compares = calloc((size_t)(pl.n_variants * pl.n_variants), sizeof(*r->compares)))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	r->n_variants = pl.n_variants;
	for (int v = 0; v < pl.n_variants; v++) {
		/* Each variant loaded once here: a bad override fails before any run,
		 * and the report names the version its runs recorded. */
		struct wr_flow *f = NULL;

		if ((rc = load_variant(s, v, &f, err)) < 0)
			goto out;
		snprintf(r->variants[v].name, sizeof(r->variants[v].name), "%s",
		         s->n_variants ? s->variants[v].name : "");
		snprintf(r->variants[v].flow_hash, sizeof(r->variants[v].flow_hash), "%s",
		         wr_flow_hash(f));
		wr_flow_free(f);
	}
	pthread_mutex_init(&pl.mu, NULL);
	if (pl.p->via_jobs) {
		started = 1;  /* workers elsewhere run the cases; this thread waits */
		pl.first_rc = run_as_jobs(&pl, &pl.first_err);
	} else {
		for (; started < n_threads; started++)
			if (pthread_create(&th[started], NULL, worker, &pl) != 0)
				break;
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
	}
	pthread_mutex_destroy(&pl.mu);
	if (!started) {
		rc = err_set(err, WR_ENOMEM, "could not start a thread");
		goto out;
	}
	if (pl.first_rc) {
		*err = pl.first_err;
		rc = pl.first_rc;
		goto out;
	}
	snprintf(r->suite, sizeof(r->suite), "%s", s->name);
	snprintf(r->store_path, sizeof(r->store_path), "%s", store_path);
	summarize(&pl, r);
	r->seconds = (double)(os_mono_ns() - t0) / 1e9;
	*out = r;
	r = NULL;
out:
	wr_eval_report_free(r);
	free(pl.jobs);
	free(pl.models);
	return rc;
}

void wr_eval_report_free(struct wr_eval_report *r)
{
	if (!r)
		return;
	free(r->case_results);
	free(r->variants);
	free(r->compares);
	free(r->met);
	free(r->run_seconds);
	free(r->run_cost);
	free(r);
}
