/* exchange.c: answering model calls from the record (replay, cache),
 * pricing the calls a provider answered, and recording every exchange with
 * its HTTP attempts. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "engine/engine.h"
#include "model/record.h"

int exchange_init(struct engine *e, struct wr_err *err)
{
	const char *path = e->p->prices_path;
	int rc;

	if (!path || !*path)
		path = getenv("WARRANT_PRICES");
	rc = path && *path ? prices_load(path, &e->prices, err)
	                   : prices_load_builtin(&e->prices, err);
	if (rc < 0)
		return rc;
	if (e->p->replay_run && (rc = store_run_find(e->st, e->p->replay_run, e->replay_id,
	                                             err)) < 0)
		return err_wrap(err, "--replay");
	return 0;
}

static int model_caches(const struct spec_model *m)
{
	json_t *o = m->options ? json_loads(m->options, 0, NULL) : NULL;
	int on = json_is_true(json_object_get(o, "cache"));

	json_decref(o);
	return on;
}

/* Fills resp from the record blob, verified against its hash. */
static int from_record(struct engine *e, const char *blob, struct model_response *resp,
                       struct wr_err *err)
{
	struct buf b = BUF_INIT;
	int rc;

	if ((rc = store_blob_get_verified(e->st, blob, &b, err)) == 0)
		rc = record_response_read(b.data, b.len, resp, err);
	buf_release(&b);
	return rc;
}

int exchange_serve(struct engine *e, const struct spec_model *m, const char *req_hash,
                   struct model_response *resp, const char **served, struct wr_err *err)
{
	char blob[HASH_HEX];
	int64_t nth;
	int rc;

	if (e->replay_id[0]) {
		*served = "replay";
		if ((rc = store_exchange_count(e->st, e->run.id, req_hash, &nth, err)) < 0)
			return rc;
		rc = store_exchange_replay(e->st, e->replay_id, req_hash, nth, blob,
		                           &resp->cost_usd, err);
		if (rc == WR_ENOTFOUND) {
			resp->failure = WR_FAIL_PROVIDER_ERROR;
			snprintf(resp->finish, sizeof(resp->finish), "error");
			snprintf(resp->detail, sizeof(resp->detail),
			         "replay: run %s recorded no answer for this request (model '%s', "
			         "request %.12s, occurrence %lld); nothing was sent to a model",
			         e->replay_id, m->name, req_hash, (long long)nth + 1);
			return 1;
		}
		if (rc < 0 || (rc = from_record(e, blob, resp, err)) < 0)
			return rc;
		return 1;
	}
	if (!e->p->cache && !model_caches(m))
		return 0;
	rc = store_exchange_cached(e->st, req_hash, blob, err);
	if (rc == WR_ENOTFOUND)
		return 0;
	if (rc < 0 || (rc = from_record(e, blob, resp, err)) < 0)
		return rc;
	*served = "cache";
	resp->cost_usd = 0;  /* nothing was paid for this answer */
	return 1;
}

double exchange_cost(const struct engine *e, const struct spec_model *m,
                     const struct model_response *resp)
{
	double in = 0, out = 0;

	if (prices_resolve(e->prices, m, &in, &out) < 0)
		return 0;  /* a model nobody priced is free */
	return prices_cost(in, out, resp->tokens_in, resp->tokens_out);
}

int exchange_put(struct engine *e, int64_t call_index, const char *req_hash,
                 const struct model_response *resp, const char *served,
                 struct wr_err *err)
{
	struct store_exchange x;
	struct store_attempt a;
	struct buf rec = BUF_INIT;
	int rc;

	memset(&x, 0, sizeof(x));
	snprintf(x.run_id, sizeof(x.run_id), "%s", e->run.id);
	x.call_index = call_index;
	memcpy(x.request_hash, req_hash, HASH_HEX);
	snprintf(x.served, sizeof(x.served), "%s", served);
	snprintf(x.api_model, sizeof(x.api_model), "%s", resp->model);
	snprintf(x.system_fingerprint, sizeof(x.system_fingerprint), "%s",
	         resp->system_fingerprint);
	x.attempts = resp->attempts;
	if ((rc = record_response(resp, &rec, err)) < 0 ||
	    (rc = store_blob_put(e->st, rec.data, rec.len, x.record_blob, err)) < 0 ||
	    (rc = store_exchange_put(e->st, &x, err)) < 0)
		goto out;
	for (int i = 0; i < resp->attempts && i < MODEL_ATTEMPTS_MAX; i++) {
		const struct model_attempt *m = &resp->attempt[i];

		memset(&a, 0, sizeof(a));
		memcpy(a.run_id, x.run_id, sizeof(a.run_id));
		a.call_index = call_index;
		a.n = i + 1;
		a.status = m->status;
		a.start_ms = m->start_ms;
		a.latency_ms = m->latency_ms;
		a.retry_after_ms = m->retry_after_ms;
		a.wait_ms = m->wait_ms;
		snprintf(a.error, sizeof(a.error), "%s", m->error);
		if ((rc = store_attempt_put(e->st, &a, err)) < 0)
			goto out;
	}
out:
	buf_release(&rec);
	return rc;
}
