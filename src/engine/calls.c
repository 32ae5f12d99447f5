/* calls.c: reading a run's model calls and attempts back, and cassettes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "engine/engine.h"

struct calls_ctx {
	int (*fn)(void *ud, const struct wr_call_info *info);
	void *ud;
};

static int each_call(void *ud, const struct store_call *c, const struct store_exchange *x)
{
	struct calls_ctx *k = ud;
	struct wr_call_info info;

	memset(&info, 0, sizeof(info));
	snprintf(info.step_id, sizeof(info.step_id), "%s", c->step_id);
	info.index = c->call_index;
	snprintf(info.model, sizeof(info.model), "%s", c->model);
	snprintf(info.provider, sizeof(info.provider), "%s", c->provider);
	snprintf(info.api_model, sizeof(info.api_model), "%s", x->api_model);
	snprintf(info.request_hash, sizeof(info.request_hash), "%s", c->request_hash);
	snprintf(info.response_hash, sizeof(info.response_hash), "%s", c->response_hash);
	info.tokens_in = c->tokens_in;
	info.tokens_out = c->tokens_out;
	info.cost_usd = c->cost_usd;
	info.seconds = c->seconds;
	info.failure = (enum wr_failure)c->failure;
	snprintf(info.finish, sizeof(info.finish), "%s", c->finish);
	snprintf(info.detail, sizeof(info.detail), "%s", c->detail);
	snprintf(info.served, sizeof(info.served), "%s", x->served[0] ? x->served : "provider");
	snprintf(info.system_fingerprint, sizeof(info.system_fingerprint), "%s",
	         x->system_fingerprint);
	info.attempts = x->attempts;
	return k->fn(k->ud, &info);
}

int wr_run_calls(struct wr_store *store, const char *run_id,
                 int (*fn)(void *ud, const struct wr_call_info *info), void *ud,
                 struct wr_err *err)
{
	struct calls_ctx k = { fn, ud };
	char id[WR_ID_MAX];
	int rc;

	if (!store || !run_id || !fn)
		return err_set(err, WR_EINVAL, "wr_run_calls: store, run_id and fn are required");
	if ((rc = store_run_find((struct store *)store, run_id, id, err)) < 0)
		return rc;
	return store_calls_each((struct store *)store, id, each_call, &k, err);
}

struct attempts_ctx {
	int (*fn)(void *ud, const struct wr_attempt_info *info);
	void *ud;
};

/* What went wrong with an attempt, in one word. */
static const char *attempt_kind(const struct store_attempt *a)
{
	if (a->status == 408 || strstr(a->error, "imeout") || strstr(a->error, "timed out"))
		return "timeout";
	if (a->error[0])
		return "transport";  /* no answer, or a truncated one */
	if (a->status >= 200 && a->status < 300)
		return "ok";
	if (a->status == 429)
		return "rate_limited";
	if (a->status >= 500)
		return "server_error";
	if (a->status >= 400)
		return "client_error";
	return "transport";
}

static int each_attempt(void *ud, const struct store_attempt *a)
{
	struct attempts_ctx *k = ud;
	struct wr_attempt_info info;

	memset(&info, 0, sizeof(info));
	info.call_index = a->call_index;
	info.n = a->n;
	info.status = a->status;
	info.start_ms = a->start_ms;
	info.latency_ms = a->latency_ms;
	info.retry_after_ms = a->retry_after_ms;
	info.wait_ms = a->wait_ms;
	snprintf(info.error, sizeof(info.error), "%s", a->error);
	snprintf(info.kind, sizeof(info.kind), "%s", attempt_kind(a));
	return k->fn(k->ud, &info);
}

int wr_run_attempts(struct wr_store *store, const char *run_id,
                    int (*fn)(void *ud, const struct wr_attempt_info *info), void *ud,
                    struct wr_err *err)
{
	struct attempts_ctx k = { fn, ud };
	char id[WR_ID_MAX];
	int rc;

	if (!store || !run_id || !fn)
		return err_set(err, WR_EINVAL,
		               "wr_run_attempts: store, run_id and fn are required");
	if ((rc = store_run_find((struct store *)store, run_id, id, err)) < 0)
		return rc;
	return store_attempts_each((struct store *)store, id, each_attempt, &k, err);
}

/* --- cassettes --- */

struct cassette_ctx {
	struct store *st;
	json_t *out;
	struct wr_err *err;
	int rc;
};

static int cassette_add(void *ud, const struct store_call *c, const struct store_exchange *x)
{
	struct cassette_ctx *k = ud;
	struct buf b = BUF_INIT;
	json_t *rec;

	if (!x->record_blob[0] || json_object_get(k->out, c->request_hash))
		return 0;
	if ((k->rc = store_blob_get_verified(k->st, x->record_blob, &b, k->err)) < 0)
		goto out;
	rec = json_loadb(b.data, b.len, 0, NULL);
	if (!rec) {
		k->rc = err_set(k->err, WR_ESTORE, "call %lld: its response record is not JSON",
		                (long long)c->call_index);
		goto out;
	}
	json_object_set_new(k->out, c->request_hash, rec);
out:
	buf_release(&b);
	return k->rc < 0;
}

int wr_run_cassette(struct wr_store *store, const char *run_id, char **json,
                    struct wr_err *err)
{
	struct cassette_ctx k = { (struct store *)store, NULL, err, 0 };
	char id[WR_ID_MAX];
	int rc;

	if (!store || !run_id || !json)
		return err_set(err, WR_EINVAL, "wr_run_cassette: store, run_id and json are required");
	*json = NULL;
	if ((rc = store_run_find(k.st, run_id, id, err)) < 0)
		return rc;
	if (!(k.out = json_object()))
		return err_set(err, WR_ENOMEM, "out of memory");
	rc = store_calls_each(k.st, id, cassette_add, &k, err);
	if (rc == 0 && k.rc < 0)
		rc = k.rc;
	if (rc == 0 && !(*json = json_dumps(k.out, JSON_INDENT(2) | JSON_SORT_KEYS)))
		rc = err_set(err, WR_ENOMEM, "out of memory");
	json_decref(k.out);
	return rc;
}
