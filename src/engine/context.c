/* context.c: what must never reach a model (the workflow's context.exclude),
 * and failing a step before anything is sent. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/err.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

int context_match(const struct spec_flow *f, const char *text, size_t len)
{
	const struct spec_context *c = &f->context;
	struct check_result r;

	for (size_t i = 0; text && i < c->n_exclude_patterns; i++) {
		check_run(&c->exclude_patterns[i], text, len, &r);
		if (r.passed)
			return (int)i + 1;
	}
	return 0;
}

int context_file_excluded(const struct spec_flow *f, const char *rel)
{
	for (size_t i = 0; i < f->context.n_exclude_files; i++)
		if (fnmatch(f->context.exclude_files[i], rel, 0) == 0)
			return (int)i + 1;
	return 0;
}

int engine_fail_step(struct engine *e, int idx, enum wr_failure f, const char *msg,
                     struct wr_err *err)
{
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = engine_step_put(e, idx, "failed", f, msg, NULL, 0, 0, err)) < 0 ||
	    (rc = engine_finish(e, WR_RUN_FAILED, f, idx, msg, err)) < 0 ||
	    (rc = store_run_update(e->st, &e->run, err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	if ((rc = store_commit(e->st, err)) < 0)
		return rc;
	e->status[idx] = SS_FAILED;
	engine_event(e, WR_EV_STEP_END, idx, f, msg, 0);
	return 0;
}

int context_screen(struct engine *e, int idx, const struct buf *system,
                   const struct buf *prompt, struct wr_err *err)
{
	char msg[200];
	int n = context_match(e->flow, prompt->data, prompt->len);
	const char *where = "prompt";

	if (!n) {
		n = context_match(e->flow, system->data, system->len);
		where = "system message";
	}
	if (!n)
		return 0;
	snprintf(msg, sizeof(msg), "the %s carries text matching excluded pattern %d "
	         "(context.exclude); nothing was sent to the model", where, n);
	return engine_fail_step(e, idx, WR_FAIL_PERMISSION_DENIED, msg, err) < 0 ? -1 : 1;
}

/* How many chunks a retrieve step found, and in id the one its quotes
 * would give up next (the lowest-ranked still in) when cut < that. */
static int chunk_count(struct engine *e, int step, char *id, size_t size, int cut)
{
	struct store_artifact a;
	struct buf b = BUF_INIT;
	struct wr_err err;
	json_t *doc = NULL, *results;
	int n = 0;

	if (store_artifact_get(e->st, e->run.id, e->flow->steps[step].id, &a, &err) == 0 &&
	    store_blob_get_verified(e->st, a.hash, &b, &err) == 0 &&
	    (doc = json_loadb(b.data, b.len, 0, NULL)) != NULL) {
		results = json_object_get(doc, "results");
		n = (int)json_array_size(results);
		if (cut < n)
			snprintf(id, size, "%s", json_string_value(json_object_get(
			         json_array_get(results, (size_t)(n - cut - 1)), "id")));
	}
	json_decref(doc);
	buf_release(&b);
	return n;
}

static int record_dropped(struct engine *e, int idx, json_t *dropped, struct wr_err *err)
{
	char evidence[WR_ERR_MAX / 2], actor[160];
	int rc;

	snprintf(actor, sizeof(actor), "engine:%s", e->flow->steps[idx].id);
	engine_evidence(evidence, sizeof(evidence),
	                json_pack("{s:O,s:I}", "dropped", dropped,
	                          "max_tokens", (json_int_t)e->flow->context.max_tokens));
	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = ledger_append(e->st, e->run.id, actor, "context_dropped", "", evidence, NULL,
	                        err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	return store_commit(e->st, err);
}

int context_render_prompt(struct engine *e, int idx, const struct buf *system,
                          struct buf *out, struct wr_err *err)
{
	const struct spec_context *c = &e->flow->context;
	const struct spec_step *s = &e->flow->steps[idx];
	json_t *dropped = json_array();
	char id[WR_ID_MAX + 64], msg[300];
	int64_t need = 0;
	int rc;

	if (!dropped)
		return err_set(err, WR_ENOMEM, "out of memory");
	for (;;) {
		int step = -1;

		buf_reset(out);
		if ((rc = engine_render_prompt(e, s, out, err)) < 0)
			goto out;
		need = provider_estimate_tokens(out->data ? out->data : "") +
		       provider_estimate_tokens(system->data ? system->data : "");
		if (!c->max_tokens || need <= c->max_tokens)
			break;
		/* Over: the next chunk to give way, in the declared order. */
		if (!e->quote_cut &&
		    !(e->quote_cut = calloc(e->flow->n_steps, sizeof(*e->quote_cut)))) {
			rc = err_set(err, WR_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t d = 0; d < c->n_drop && step < 0; d++) {
			int j = spec_step_find(e->flow, c->drop[d]);

			if (j >= 0 && j < idx &&
			    chunk_count(e, j, id, sizeof(id), e->quote_cut[j]) > e->quote_cut[j])
				step = j;
		}
		if (step < 0) {
			snprintf(msg, sizeof(msg), "the prompt needs about %lld tokens, over "
			         "context.max_tokens %lld even with %zu chunk%s left out",
			         (long long)need, (long long)c->max_tokens, json_array_size(dropped),
			         json_array_size(dropped) == 1 ? "" : "s");
			rc = engine_fail_step(e, idx, WR_FAIL_BUDGET_EXCEEDED, msg, err);
			rc = rc < 0 ? rc : 1;
			goto out;
		}
		json_array_append_new(dropped, json_string(id));
		e->quote_cut[step]++;
	}
	rc = json_array_size(dropped) ? record_dropped(e, idx, dropped, err) : 0;
out:
	if (e->quote_cut)
		memset(e->quote_cut, 0, e->flow->n_steps * sizeof(*e->quote_cut));
	json_decref(dropped);
	return rc;
}
