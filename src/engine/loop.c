/* loop.c: generate steps that judge their own candidates.
 *
 * A generate step with output_schema, revise: N or best_of: N draws up to
 * revise + 1 (or best_of) candidates. Each is checked against the output
 * schema and, while attempts remain, against every check of the check steps
 * that act on it (critiques included). The first candidate that passes, or
 * the last one drawn, becomes the step's artifact; the check steps then
 * decide on it as on any other. A candidate that fails is kept as artifact
 * "STEP#N", rejected through the lifecycle with its failure class, its
 * checks recorded under the same name; with revise the model is asked again
 * with that candidate and the reasons it failed.
 *
 * Each attempt commits in one transaction, so a run killed mid-loop resumes
 * at the next attempt and never asks again for one already recorded. Every
 * attempt is a model call: the run's budget bounds the loop. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

#define LOOP_FEEDBACK_MAX ((size_t)64 << 10)  /* bytes of a previous answer fed back */

/* What one attempt's checks found. */
struct judged {
	struct check_result schema;     /* the output schema (passed when there is none) */
	size_t n;                       /* checks of the check steps, all steps together */
	struct check_result *rs;
	double *secs;
	struct engine_call *calls;
	json_t **extra;
	const struct check_result *first; /* the deciding failure, or NULL */
};

static void attempt_id(const struct spec_step *s, int k, char *out, size_t size)
{
	snprintf(out, size, "%.*s#%d", WR_ID_MAX - 12, s->id, k % 1000);
}

/* --- the checks that judge a candidate --- */

static void judged_release(struct judged *j)
{
	for (size_t i = 0; i < j->n; i++) {
		if (j->calls)
			engine_call_release(&j->calls[i]);
		if (j->extra)
			json_decref(j->extra[i]);
	}
	free(j->rs);
	free(j->secs);
	free(j->calls);
	free(j->extra);
	memset(j, 0, sizeof(*j));
}

/* Checks bytes against the output schema, and when all is set against the
 * checks of every check step on idx (recorded as rec). */
static int judge(struct engine *e, int idx, const char *rec, const char *bytes, size_t len,
                 int all, struct judged *j, struct wr_err *err)
{
	const struct spec_flow *f = e->flow;
	const struct spec_step *s = &f->steps[idx];
	size_t at = 0;
	int rc;

	memset(j, 0, sizeof(*j));
	j->schema.passed = 1;
	if (s->output_schema) {
		check_run(s->output_schema, bytes, len, &j->schema);
		if (!j->schema.passed)
			j->first = &j->schema;
	}
	for (size_t i = 0; all && i < f->n_steps; i++)
		if (f->steps[i].kind == STEP_CHECK && f->steps[i].of_index == idx)
			j->n += f->steps[i].n_checks;
	if (!j->n)
		return 0;
	j->rs = calloc(j->n, sizeof(*j->rs));
	j->secs = calloc(j->n, sizeof(*j->secs));
	j->calls = calloc(j->n, sizeof(*j->calls));
	j->extra = calloc(j->n, sizeof(*j->extra));
	if (!j->rs || !j->secs || !j->calls || !j->extra) {
		free(j->calls);
		j->calls = NULL;
		return err_set(err, WR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < j->n; i++)
		engine_call_init(&j->calls[i]);
	for (size_t i = 0; i < f->n_steps; i++) {
		const struct spec_step *c = &f->steps[i];

		if (c->kind != STEP_CHECK || c->of_index != idx)
			continue;
		if ((rc = engine_checks_run(e, c, rec, bytes, len, j->rs + at, j->secs + at,
		                            j->calls + at, j->extra + at, err)) < 0)
			return rc;
		at += c->n_checks;
	}
	/* A deterministic failure anywhere decides before any critique. */
	for (int pass = 0; pass < 2 && !j->first; pass++) {
		at = 0;
		for (size_t i = 0; i < f->n_steps && !j->first; i++) {
			const struct spec_step *c = &f->steps[i];

			if (c->kind != STEP_CHECK || c->of_index != idx)
				continue;
			for (size_t k = 0; k < c->n_checks && !j->first; k++)
				if (!j->rs[at + k].passed &&
				    check_is_deterministic(&c->checks[k]) == (pass == 0))
					j->first = &j->rs[at + k];
			at += c->n_checks;
		}
	}
	return 0;
}

/* Records what judged found, in the caller's transaction. */
static int judged_put(struct engine *e, int idx, const char *rec,
                      const struct store_artifact *a, struct judged *j, struct wr_err *err)
{
	const struct spec_flow *f = e->flow;
	const struct spec_step *s = &f->steps[idx];
	size_t at = 0;
	int rc;

	if (s->output_schema &&
	    (rc = engine_check_put(e, rec, s->id, 0, s->output_schema, a, &j->schema, 0, NULL,
	                           err)) < 0)
		return rc;
	for (size_t i = 0; j->n && i < f->n_steps; i++) {
		const struct spec_step *c = &f->steps[i];

		if (c->kind != STEP_CHECK || c->of_index != idx)
			continue;
		for (size_t k = 0; k < c->n_checks; k++, at++) {
			if (j->calls[at].req_txt && (rc = engine_call_put(e, &j->calls[at], err)) < 0)
				return rc;
			rc = engine_check_put(e, rec, c->id, (int)(at + 1), &c->checks[k], a,
			                      &j->rs[at], j->secs[at], j->extra[at], err);
			j->extra[at] = NULL;
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* --- feedback for revise --- */

struct reasons {
	const char *step_id;
	struct buf *out;
};

static int add_reason(void *ud, const struct store_check *c)
{
	struct reasons *r = ud;

	if (!c->passed && !strcmp(c->step_id, r->step_id))
		buf_printf(r->out, "- %s (%s): %s\n", c->kind, wr_failure_name(c->failure),
		           c->reason);
	return 0;
}

/* The revision request for attempt k, from attempt k-1 as recorded. */
static int feedback(struct engine *e, const struct spec_step *s, int k, struct buf *out,
                    struct wr_err *err)
{
	struct store_artifact a;
	struct buf prev = BUF_INIT;
	struct reasons r;
	char rec[WR_ID_MAX];
	int rc;

	buf_reset(out);
	if (k < 2)
		return 0;
	attempt_id(s, k - 1, rec, sizeof(rec));
	if ((rc = store_artifact_get(e->st, e->run.id, rec, &a, err)) < 0 ||
	    (rc = store_blob_get_verified(e->st, a.hash, &prev, err)) < 0)
		goto out;
	if (prev.len > LOOP_FEEDBACK_MAX)
		prev.len = LOOP_FEEDBACK_MAX;
	buf_printf(out, "\n\n---\nYour previous answer (attempt %d) was:\n\n%.*s\n\n"
	           "It failed these checks:\n", k - 1, (int)prev.len, prev.data);
	r.step_id = rec;
	r.out = out;
	if ((rc = store_checks_each(e->st, e->run.id, add_reason, &r, err)) < 0)
		goto out;
	rc = buf_adds(out, "\nWrite a new answer that passes every check. Answer with the "
	              "output only.\n") < 0 ? WR_ETOOBIG : 0;
out:
	buf_release(&prev);
	return rc;
}

/* --- one attempt --- */

/* Ends the step and the run as failed (a model failure, the budget). */
static int fail_run(struct engine *e, int idx, enum wr_failure f, const char *why,
                    struct engine_call *call, struct wr_err *err)
{
	char evidence[400];
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if (call && call->req_txt) {
		snprintf(evidence, sizeof(evidence), "{\"attempt\":%d,\"failure\":\"%s\","
		         "\"request\":\"%s\"}", call->attempt, wr_failure_name(f), call->req_hash);
		if ((rc = engine_call_put(e, call, err)) < 0 ||
		    (rc = ledger_append(e->st, e->run.id, "engine", "generation_failed",
		                        call->resp_hash, evidence, NULL, err)) < 0)
			goto fail;
	}
	if ((rc = engine_step_put(e, idx, "failed", f, why, call ? call->resp_hash : NULL, 0,
	                          0, err)) < 0 ||
	    (rc = engine_finish(e, WR_RUN_FAILED, f, idx, why, err)) < 0 ||
	    (rc = store_run_update(e->st, &e->run, err)) < 0)
		goto fail;
	if ((rc = store_commit(e->st, err)) < 0)
		return rc;
	e->status[idx] = SS_FAILED;
	engine_event(e, WR_EV_STEP_END, idx, f, why, 0);
	return 0;
fail:
	store_rollback(e->st);
	return rc;
}

/* Stores the candidate as artifact rec with its "generated" entry. */
static int candidate_put(struct engine *e, const char *rec, struct engine_call *call,
                         struct store_artifact *a, int64_t *seq, struct wr_err *err)
{
	struct wr_ledger_entry entry;
	char evidence[400], actor[160];
	int rc;

	if ((rc = engine_call_put(e, call, err)) < 0)
		return rc;
	memset(a, 0, sizeof(*a));
	snprintf(a->run_id, sizeof(a->run_id), "%s", e->run.id);
	snprintf(a->step_id, sizeof(a->step_id), "%s", rec);
	memcpy(a->hash, call->resp_hash, HASH_HEX);
	a->size = (int64_t)call->resp.text.len;
	a->state = WR_STATE_CANDIDATE;
	snprintf(actor, sizeof(actor), "model:%s", call->m->name);
	snprintf(evidence, sizeof(evidence),
	         "{\"attempt\":%d,\"call\":%" PRId64 ",\"request\":\"%s\",\"tokens_in\":%" PRId64
	         ",\"tokens_out\":%" PRId64 "}", call->attempt, call->call_index, call->req_hash,
	         call->resp.tokens_in, call->resp.tokens_out);
	if ((rc = store_artifact_put(e->st, a, err)) < 0 ||
	    (rc = ledger_append(e->st, e->run.id, actor, "generated", a->hash, evidence, &entry,
	                        err)) < 0)
		return rc;
	*seq = entry.seq;
	return 0;
}

/* A failed attempt that leaves room for another: kept as rec, rejected. */
static int reject_attempt(struct engine *e, int idx, int k, int n, const char *rec,
                          struct engine_call *call, struct judged *j, struct wr_err *err)
{
	struct store_artifact a;
	char actor[160], msg[600];
	int64_t seq;
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	snprintf(actor, sizeof(actor), "check:%s", rec);
	snprintf(msg, sizeof(msg), "attempt %d of %d rejected: %s", k, n, j->first->reason);
	if ((rc = candidate_put(e, rec, call, &a, &seq, err)) < 0 ||
	    (rc = judged_put(e, idx, rec, &a, j, err)) < 0 ||
	    (rc = life_transition(e, &a, WR_STATE_REJECTED, j->first->failure, actor, "{}",
	                          &seq, err)) < 0 ||
	    (rc = engine_step_put(e, idx, "running", j->first->failure, msg, a.hash, call->secs,
	                          seq, err)) < 0 ||
	    (rc = store_run_update(e->st, &e->run, err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	return store_commit(e->st, err);
}

/* The candidate that becomes the step's artifact. */
static int keep_attempt(struct engine *e, int idx, int k, int n, const char *rec,
                        struct engine_call *call, struct judged *j, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_artifact a;
	enum wr_failure over, f = WR_FAIL_NONE;
	char why[256], msg[600], actor[160];
	int64_t seq;
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = candidate_put(e, s->id, call, &a, &seq, err)) < 0 ||
	    (rc = judged_put(e, idx, n > 1 ? rec : s->id, &a, j, err)) < 0)
		goto fail;
	if (!j->schema.passed) {
		/* The last attempt breaks the output schema: rejected here, as a check
		 * step would. */
		f = j->schema.failure;
		snprintf(actor, sizeof(actor), "check:%s", s->id);
		snprintf(msg, sizeof(msg), "output_schema: %s", j->schema.reason);
		if ((rc = life_transition(e, &a, WR_STATE_REJECTED, f, actor, "{}", &seq, err)) < 0 ||
		    (rc = engine_step_put(e, idx, "failed", f, msg, a.hash, call->secs, seq,
		                          err)) < 0 ||
		    (rc = engine_finish(e, WR_RUN_REJECTED, f, idx, msg, err)) < 0)
			goto fail;
		e->status[idx] = SS_FAILED;
	} else {
		if (n > 1)
			snprintf(msg, sizeof(msg), "candidate (attempt %d of %d)", k, n);
		else
			snprintf(msg, sizeof(msg), "candidate");
		if ((rc = engine_step_put(e, idx, "done", WR_FAIL_NONE, msg, a.hash, call->secs,
		                          seq, err)) < 0)
			goto fail;
		e->status[idx] = SS_DONE;
		over = budget_after(e, why, sizeof(why));
		if (over != WR_FAIL_NONE &&
		    (rc = engine_finish(e, WR_RUN_FAILED, over, idx, why, err)) < 0)
			goto fail;
	}
	if ((rc = store_run_update(e->st, &e->run, err)) < 0)
		goto fail;
	if ((rc = store_commit(e->st, err)) < 0)
		return rc;
	engine_event(e, WR_EV_STEP_END, idx, f, msg, call->secs);
	return 0;
fail:
	store_rollback(e->st);
	return rc;
}

/* Draws attempt k of n. *done is set when the step has ended. */
static int attempt(struct engine *e, int idx, int k, int n, const struct buf *more,
                   int *done, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct buf system = BUF_INIT, prompt = BUF_INIT;
	struct engine_call call;
	struct judged j;
	enum wr_failure over;
	char why[256], rec[WR_ID_MAX];
	int rc;

	engine_call_init(&call);
	memset(&j, 0, sizeof(j));
	attempt_id(s, k, rec, sizeof(rec));
	if ((rc = engine_render_contract(e->flow, &system)) < 0 ||
	    (rc = context_render_prompt(e, idx, &system, &prompt, err)) < 0 ||
	    (rc == 0 && (rc = buf_add(&prompt, more->data, more->len)) < 0))
		goto out;
	if (rc > 0 || (rc = context_screen(e, idx, &system, &prompt, err)) != 0) {
		*done = 1;
		rc = rc < 0 ? rc : 0;
		goto out;
	}
	over = budget_before_call(e, provider_estimate_tokens(prompt.data) +
	                          provider_estimate_tokens(system.data), why, sizeof(why));
	if (over != WR_FAIL_NONE) {
		*done = 1;
		rc = fail_run(e, idx, over, why, NULL, err);
		goto out;
	}
	if ((rc = engine_call_ask(e, s->model_index, s->id, system.data, prompt.data,
	                          s->output_schema ? s->output_schema->arg : NULL, k, &call,
	                          err)) < 0)
		goto out;
	if (call.resp.failure != WR_FAIL_NONE) {
		*done = 1;
		rc = fail_run(e, idx, call.resp.failure, call.resp.detail, &call, err);
		goto out;
	}
	if ((rc = judge(e, idx, rec, call.resp.text.data, call.resp.text.len, k < n, &j,
	                err)) < 0)
		goto out;
	if (!j.first || k == n) {
		*done = 1;
		rc = keep_attempt(e, idx, k, n, rec, &call, &j, err);
	} else {
		rc = reject_attempt(e, idx, k, n, rec, &call, &j, err);
	}
out:
	judged_release(&j);
	engine_call_release(&call);
	buf_release(&system);
	buf_release(&prompt);
	return rc;
}

int loop_generate(struct engine *e, int idx, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_artifact a;
	struct buf more = BUF_INIT;
	struct wr_err miss;
	char rec[WR_ID_MAX];
	int n = s->revise ? s->revise + 1 : s->best_of ? s->best_of : 1;
	int k = 1, done = 0, rc = 0;

	/* Attempts already recorded (a resumed run) are not drawn again. */
	for (;; k++) {
		attempt_id(s, k, rec, sizeof(rec));
		if (store_artifact_get(e->st, e->run.id, rec, &a, &miss) < 0)
			break;
	}
	for (; k <= n && !done && rc == 0; k++) {
		if (s->revise && (rc = feedback(e, s, k, &more, err)) < 0)
			break;
		rc = attempt(e, idx, k, n, &more, &done, err);
	}
	buf_release(&more);
	return rc;
}
