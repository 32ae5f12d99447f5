/* generate.c: the generate step. A model call whose output becomes a
 * candidate artifact; the exchange is recorded so the run can be audited
 * and replayed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context/template.h"
#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"
#include "ledger/ledger.h"
#include "model/record.h"

/* --- prompts --- */

int engine_render_contract(const struct spec_flow *flow, struct buf *out)
{
	const struct spec_contract *c = &flow->contract;
	int rc = 0;

	if (c->purpose)
		rc |= buf_printf(out, "Purpose: %s\n", c->purpose);
	if (c->audience)
		rc |= buf_printf(out, "Audience: %s\n", c->audience);
	if (c->n_constraints) {
		rc |= buf_adds(out, "Constraints:\n");
		for (size_t i = 0; i < c->n_constraints; i++)
			rc |= buf_printf(out, "- %s\n", c->constraints[i]);
	}
	if (c->stop)
		rc |= buf_printf(out, "Stop when: %s\n", c->stop);
	return rc ? WR_ETOOBIG : 0;
}

struct lookup {
	struct engine *e;
	struct buf vals;      /* holds the latest looked-up values */
	struct wr_err *err;
	int failed;
};

static const char *keep(struct lookup *l, const char *s, size_t len)
{
	/* vals may move as it grows; that is safe because tpl_render copies
	 * each value out before it asks for the next. */
	size_t at = l->vals.len;

	if (buf_add(&l->vals, s, len) < 0 || buf_addc(&l->vals, '\0') < 0)
		return NULL;
	return l->vals.data + at;
}

/* A retrieve step's results as quotes a model can cite: each chunk's text
 * under its id, "[contract#12] ...", in rank order. b holds the results'
 * JSON and gets the quotes instead. */
static int quotes(struct buf *b, int cut)
{
	json_t *doc = json_loadb(b->data, b->len, 0, NULL), *hit;
	json_t *results = json_object_get(doc, "results");
	size_t i, keep_n = json_array_size(results);

	keep_n = (size_t)cut >= keep_n ? 0 : keep_n - (size_t)cut;
	buf_reset(b);
	for (i = 0; i < json_array_size(results) &&
	     (hit = json_array_get(results, i)); i++) {
		if (i >= keep_n)
			break;
		if (buf_printf(b, "%s[%s] %s\n", i ? "\n" : "",
		               json_string_value(json_object_get(hit, "id")),
		               json_string_value(json_object_get(hit, "text"))) < 0) {
			json_decref(doc);
			return -1;
		}
	}
	json_decref(doc);
	return 0;
}

/* How many of a retrieve step's chunks the prompt budget leaves out. */
static int quote_cut(const struct engine *e, const char *step)
{
	int i = e->quote_cut ? spec_step_find(e->flow, step) : -1;

	return i < 0 ? 0 : e->quote_cut[i];
}

static const char *lookup_var(void *ud, const char *name)
{
	struct lookup *l = ud;
	struct engine *e = l->e;
	const struct spec_contract *c = &e->flow->contract;

	if (!strcmp(name, "contract")) {
		struct buf b = BUF_INIT;
		const char *v;

		engine_render_contract(e->flow, &b);
		v = keep(l, b.data, b.len);
		buf_release(&b);
		return v;
	}
	if (!strcmp(name, "context")) {
		/* Every earlier retrieve step's chunks, quoted under their ids. */
		struct buf all = BUF_INIT;
		const char *v = NULL;
		char var[WR_ID_MAX + 16];

		for (size_t i = 0; i < e->flow->n_steps; i++) {
			const char *q;

			if (e->flow->steps[i].kind != STEP_RETRIEVE || e->status[i] != SS_DONE)
				continue;
			snprintf(var, sizeof(var), "steps.%s.quotes", e->flow->steps[i].id);
			if (!(q = lookup_var(l, var)) ||
			    buf_printf(&all, "%s%s", all.len ? "\n" : "", q) < 0) {
				buf_release(&all);
				return NULL;
			}
		}
		v = keep(l, all.data ? all.data : "", all.len);
		buf_release(&all);
		return v;
	}
	if (!strcmp(name, "contract.purpose"))
		return c->purpose ? c->purpose : "";
	if (!strcmp(name, "contract.audience"))
		return c->audience ? c->audience : "";
	if (!strcmp(name, "contract.stop"))
		return c->stop ? c->stop : "";
	if (!strcmp(name, "contract.constraints")) {
		struct buf b = BUF_INIT;
		const char *v;

		for (size_t i = 0; i < c->n_constraints; i++)
			buf_printf(&b, "- %s\n", c->constraints[i]);
		v = keep(l, b.data, b.len);
		buf_release(&b);
		return v;
	}
	if (!strncmp(name, "inputs.", 7)) {
		json_t *v = json_object_get(e->inputs, name + 7);

		return json_is_string(v) ? json_string_value(v) : NULL;
	}
	if (!strncmp(name, "steps.", 6)) {
		char step[WR_ID_MAX];
		const char *dot = strrchr(name + 6, '.');
		struct store_artifact a;
		struct buf b = BUF_INIT;
		const char *v = NULL;

		if (!dot || (strcmp(dot, ".output") && strcmp(dot, ".quotes")) ||
		    (size_t)(dot - name - 6) >= sizeof(step))
			return NULL;
		memcpy(step, name + 6, (size_t)(dot - name - 6));
		step[dot - name - 6] = '\0';
		if (store_artifact_get(e->st, e->run.id, step, &a, l->err) < 0 ||
		    store_blob_get_verified(e->st, a.hash, &b, l->err) < 0) {
			l->failed = 1;
			buf_release(&b);
			return NULL;
		}
		if (!strcmp(dot, ".quotes") && quotes(&b, quote_cut(e, step)) < 0) {
			l->failed = err_set(l->err, WR_ENOMEM, "out of memory") != 0;
			buf_release(&b);
			return NULL;
		}
		v = keep(l, b.data, b.len);
		buf_release(&b);
		return v;
	}
	return NULL;
}

int engine_render_prompt(struct engine *e, const struct spec_step *s, struct buf *out,
                         struct wr_err *err)
{
	struct lookup l = { .e = e, .err = err };
	int rc;

	buf_init(&l.vals, 0);
	rc = tpl_render(s->prompt, lookup_var, &l, out, err);
	if (rc < 0 && !l.failed)
		err_wrap(err, "step '%s'", s->id);
	buf_release(&l.vals);
	return rc;
}

/* --- the provider --- */

int engine_provider_for(struct engine *e, int mi, const struct provider_ops **ops,
                        struct wr_err *err)
{
	const struct spec_model *m = &e->flow->models[mi];

	*ops = provider_find(m->provider);
	if (!*ops)
		return err_set(err, WR_EPROVIDER, "model '%s': unknown provider '%s'", m->name,
		               m->provider);
	if (!e->prov_state[mi])
		return (*ops)->open(m, e->flow->dir, &e->prov_state[mi], err);
	return 0;
}

/* --- the step --- */

int engine_generate_record(struct engine *e, int idx, const struct spec_model *m,
                           const char *served, const char *req_hash, const char *req,
                           struct model_response *resp, double secs, int64_t call_index,
                           struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_call call;
	struct store_artifact a;
	struct wr_ledger_entry entry;
	char evidence[400], why[256], actor[160];
	enum wr_failure over;
	int rc;

	snprintf(actor, sizeof(actor), "model:%s", m->name);
	memset(&call, 0, sizeof(call));
	snprintf(call.run_id, sizeof(call.run_id), "%s", e->run.id);
	snprintf(call.step_id, sizeof(call.step_id), "%s", s->id);
	call.call_index = call_index < 0 ? e->run.calls : call_index;
	call.attempt = 1;
	snprintf(call.model, sizeof(call.model), "%s", m->name);
	snprintf(call.provider, sizeof(call.provider), "%s", m->provider);
	memcpy(call.request_hash, req_hash, HASH_HEX);
	call.tokens_in = resp->tokens_in;
	call.tokens_out = resp->tokens_out;
	call.cost_usd = resp->cost_usd;
	call.seconds = secs;
	call.failure = resp->failure;
	snprintf(call.finish, sizeof(call.finish), "%s", resp->finish);
	snprintf(call.detail, sizeof(call.detail), "%s", resp->detail);

	if (call_index < 0) {
		e->run.calls++;
		e->run.tokens_in += resp->tokens_in;
		e->run.tokens_out += resp->tokens_out;
		e->run.cost_usd += resp->cost_usd;
	}
	e->run.seconds = engine_seconds(e);
	e->run.updated_ms = os_now_ms();

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = store_blob_put(e->st, req, strlen(req), call.request_hash, err)) < 0 ||
	    (rc = store_blob_put(e->st, resp->text.data, resp->text.len, call.response_hash,
	                         err)) < 0 ||
	    (rc = store_call_put(e->st, &call, err)) < 0 ||
	    (rc = exchange_put(e, call.call_index, req_hash, resp, served, err)) < 0)
		goto fail;
	if (resp->failure != WR_FAIL_NONE) {
		snprintf(evidence, sizeof(evidence), "{\"request\":\"%s\",\"failure\":\"%s\"}",
		         req_hash, wr_failure_name(resp->failure));
		if ((rc = ledger_append(e->st, e->run.id, actor, "generation_failed",
		                        call.response_hash, evidence, NULL, err)) < 0 ||
		    (rc = engine_step_put(e, idx, "failed", resp->failure, resp->detail,
		                          call.response_hash, secs, 0, err)) < 0 ||
		    (rc = engine_finish(e, WR_RUN_FAILED, resp->failure, idx, resp->detail, err)) < 0)
			goto fail;
		e->status[idx] = SS_FAILED;
	} else {
		memset(&a, 0, sizeof(a));
		snprintf(a.run_id, sizeof(a.run_id), "%s", e->run.id);
		snprintf(a.step_id, sizeof(a.step_id), "%s", s->id);
		memcpy(a.hash, call.response_hash, HASH_HEX);
		a.size = (int64_t)resp->text.len;
		a.state = WR_STATE_CANDIDATE;
		snprintf(evidence, sizeof(evidence),
		         "{\"call\":%" PRId64 ",\"request\":\"%s\",\"tokens_in\":%" PRId64
		         ",\"tokens_out\":%" PRId64 "}", call.call_index, req_hash,
		         resp->tokens_in, resp->tokens_out);
		if ((rc = store_artifact_put(e->st, &a, err)) < 0 ||
		    (rc = ledger_append(e->st, e->run.id, actor, "generated", a.hash,
		                        evidence, &entry, err)) < 0 ||
		    (rc = engine_step_put(e, idx, "done", WR_FAIL_NONE, "candidate", a.hash, secs,
		                          entry.seq, err)) < 0)
			goto fail;
		e->status[idx] = SS_DONE;
		over = budget_after(e, why, sizeof(why));
		if (over != WR_FAIL_NONE &&
		    (rc = engine_finish(e, WR_RUN_FAILED, over, idx, why, err)) < 0)
			goto fail;
	}
	if ((rc = store_run_update(e->st, &e->run, err)) < 0)
		goto fail;
	return store_commit(e->st, err);
fail:
	store_rollback(e->st);
	return rc;
}

int step_generate(struct engine *e, int idx, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	const struct spec_model *m = &e->flow->models[s->model_index];
	const struct provider_ops *ops;
	struct model_request req;
	struct model_response resp;
	struct buf system = BUF_INIT, prompt = BUF_INIT;
	char why[256], req_hash[HASH_HEX];
	struct buf req_txt = BUF_INIT;
	const char *served = "provider";
	enum wr_failure over;
	uint64_t t0 = os_mono_ns();
	int rc;

	if (s->output_schema || s->revise || s->best_of)
		return loop_generate(e, idx, err);
	model_response_init(&resp);
	if ((rc = engine_render_contract(e->flow, &system)) < 0 ||
	    (rc = context_render_prompt(e, idx, &system, &prompt, err)) != 0 ||
	    (rc = context_screen(e, idx, &system, &prompt, err)) != 0) {
		rc = rc < 0 ? rc : 0;
		goto out;
	}
	over = budget_before_call(e, provider_estimate_tokens(prompt.data) +
	                          provider_estimate_tokens(system.data), why, sizeof(why));
	if (over != WR_FAIL_NONE) {
		rc = engine_fail_step(e, idx, over, why, err);
		goto out;
	}
	if (s->n_tools) {
		rc = tools_generate(e, idx, system.len ? system.data : NULL, prompt.data, err);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.system = system.len ? system.data : NULL;
	req.prompt = prompt.data;
	req.step_id = s->id;
	req.seed = e->run.seed;
	req.call_index = e->run.calls;
	req.attempt = 1;
	if ((rc = record_request(m, &req, &req_txt, err)) < 0)
		goto out;
	hash_hex(req_txt.data, req_txt.len, req_hash);
	if ((rc = exchange_serve(e, m, req_hash, &resp, &served, err)) < 0)
		goto out;
	if (rc == 0) {
		if ((rc = engine_provider_for(e, s->model_index, &ops, err)) < 0 ||
		    (rc = ops->complete(e->prov_state[s->model_index], &req, &resp, err)) < 0)
			goto out;
		resp.cost_usd = exchange_cost(e, m, &resp);
	}
	rc = engine_generate_record(e, idx, m, served, req_hash, req_txt.data, &resp,
	                            (double)(os_mono_ns() - t0) / 1e9, -1, err);
	if (rc == 0)
		engine_event(e, WR_EV_STEP_END, idx, resp.failure,
		             resp.failure ? resp.detail : "candidate",
		             (double)(os_mono_ns() - t0) / 1e9);
out:
	buf_release(&req_txt);
	model_response_release(&resp);
	buf_release(&system);
	buf_release(&prompt);
	return rc;
}
