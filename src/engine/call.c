/* call.c: one model call made by the engine outside the plain generate
 * path (looping generate steps, critiques): asked outside any transaction,
 * then recorded (request and response blobs, the calls row, the run's
 * counters) inside the caller's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"
#include "model/record.h"

void engine_call_init(struct engine_call *c)
{
	memset(c, 0, sizeof(*c));
	model_response_init(&c->resp);
}

void engine_call_release(struct engine_call *c)
{
	free(c->req_txt);
	c->req_txt = NULL;
	model_response_release(&c->resp);
}

int engine_call_ask(struct engine *e, int mi, const char *step_id, const char *system,
                    const char *prompt, const char *schema_json, int attempt,
                    struct engine_call *c, struct wr_err *err)
{
	return engine_call_ask_tools(e, mi, step_id, system, prompt, schema_json, NULL, 0,
	                             attempt, c, err);
}

int engine_call_ask_tools(struct engine *e, int mi, const char *step_id,
                          const char *system, const char *prompt, const char *schema_json,
                          const struct model_tool *tools, size_t n_tools, int attempt,
                          struct engine_call *c, struct wr_err *err)
{
	const struct spec_model *m = &e->flow->models[mi];
	struct model_request req;
	uint64_t t0 = os_mono_ns();
	struct buf txt = BUF_INIT;
	int rc;

	c->m = m;
	c->attempt = attempt;
	snprintf(c->step_id, sizeof(c->step_id), "%s", step_id);
	memset(&req, 0, sizeof(req));
	req.system = system && system[0] ? system : NULL;
	req.prompt = prompt;
	req.step_id = step_id;
	/* A later attempt asks with another seed, or a seeded provider would give
	 * best_of the same candidate every time; still the same on resume. */
	req.seed = e->run.seed + (uint64_t)(attempt - 1);
	req.call_index = e->run.calls;
	req.attempt = attempt;
	req.schema_json = schema_json;
	req.schema_name = schema_json ? "output" : NULL;
	req.tools = tools;
	req.n_tools = n_tools;
	req.tool_choice = n_tools ? "auto" : NULL;
	c->call_index = e->run.calls;
	/* The same canonical request and record as a plain generate step, so
	 * loops and critiques replay and cache like any call. */
	if ((rc = record_request(m, &req, &txt, err)) < 0)
		goto out;
	hash_hex(txt.data, txt.len, c->req_hash);
	if (!(c->req_txt = buf_detach(&txt, NULL))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	c->served = "provider";
	if ((rc = exchange_serve(e, m, c->req_hash, &c->resp, &c->served, err)) < 0)
		goto out;
	if (rc == 0) {
		if ((rc = engine_provider_for(e, mi, &c->ops, err)) < 0 ||
		    (rc = c->ops->complete(e->prov_state[mi], &req, &c->resp, err)) < 0)
			goto out;
		c->resp.cost_usd = exchange_cost(e, m, &c->resp);
	}
	c->secs = (double)(os_mono_ns() - t0) / 1e9;
	/* Counted now, so a second call before the record gets the next index. */
	e->run.calls++;
	e->run.tokens_in += c->resp.tokens_in;
	e->run.tokens_out += c->resp.tokens_out;
	e->run.cost_usd += c->resp.cost_usd;
	rc = 0;
out:
	buf_release(&txt);
	return rc;
}

int engine_call_put(struct engine *e, struct engine_call *c, struct wr_err *err)
{
	struct store_call call;
	int rc;

	memset(&call, 0, sizeof(call));
	snprintf(call.run_id, sizeof(call.run_id), "%s", e->run.id);
	snprintf(call.step_id, sizeof(call.step_id), "%s", c->step_id);
	call.call_index = c->call_index;
	call.attempt = c->attempt;
	snprintf(call.model, sizeof(call.model), "%s", c->m->name);
	snprintf(call.provider, sizeof(call.provider), "%s", c->ops ? c->ops->name : c->m->provider);
	memcpy(call.request_hash, c->req_hash, HASH_HEX);
	call.tokens_in = c->resp.tokens_in;
	call.tokens_out = c->resp.tokens_out;
	call.cost_usd = c->resp.cost_usd;
	call.seconds = c->secs;
	call.failure = c->resp.failure;
	snprintf(call.finish, sizeof(call.finish), "%s", c->resp.finish);
	snprintf(call.detail, sizeof(call.detail), "%s", c->resp.detail);
	if ((rc = store_blob_put(e->st, c->req_txt, strlen(c->req_txt), call.request_hash,
	                         err)) < 0 ||
	    (rc = store_blob_put(e->st, c->resp.text.data, c->resp.text.len,
	                         call.response_hash, err)) < 0 ||
	    (rc = store_call_put(e->st, &call, err)) < 0 ||
	    (rc = exchange_put(e, call.call_index, c->req_hash, &c->resp, c->served, err)) < 0)
		return rc;
	memcpy(c->resp_hash, call.response_hash, HASH_HEX);
	e->run.seconds = engine_seconds(e);
	e->run.updated_ms = os_now_ms();
	return 0;
}
