/* steps.c: the check and approve steps, and people's decisions. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

/* Ends the run in the caller's transaction, with the step marked failed. */
static int fail_step(struct engine *e, int idx, enum wr_run_status status,
                     enum wr_failure f, const char *msg, const char *artifact,
                     struct wr_err *err)
{
	int rc;

	e->status[idx] = SS_FAILED;
	if ((rc = engine_step_put(e, idx, "failed", f, msg, artifact, 0, 0, err)) < 0 ||
	    (rc = engine_finish(e, status, f, idx, msg, err)) < 0)
		return rc;
	return store_run_update(e->st, &e->run, err);
}

/* A refusal by the lifecycle, committed as the run's end. */
static int refuse(struct engine *e, int idx, const char *artifact, struct wr_err *why,
                  struct wr_err *err)
{
	int rc;

	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if ((rc = fail_step(e, idx, WR_RUN_FAILED, WR_FAIL_CONSTRAINT_CONFLICT, why->msg,
	                    artifact, err)) < 0) {
		store_rollback(e->st);
		return rc;
	}
	engine_event(e, WR_EV_STEP_END, idx, WR_FAIL_CONSTRAINT_CONFLICT, why->msg, 0);
	return store_commit(e->st, err);
}

/* --- check --- */

/* The reason as it goes into ledger evidence, which holds 511 bytes. */
static const char *short_reason(const char *reason, char *out, size_t size)
{
	size_t n = strlen(reason);

	if (n < size) {
		memcpy(out, reason, n + 1);
		return out;
	}
	n = size - 4;
	while (n && ((unsigned char)reason[n] & 0xC0) == 0x80)
		n--;      /* do not cut a UTF-8 sequence */
	memcpy(out, reason, n);
	memcpy(out + n, "...", 4);
	return out;
}

/* Records one check's result (row and ledger entry) under step_id; extra
 * (whose reference it takes) adds fields to the evidence. */
int engine_check_put(struct engine *e, const char *step_id, const char *actor_step,
                     int idx, const struct spec_check *c, const struct store_artifact *a,
                     const struct check_result *r, double secs, json_t *extra,
                     struct wr_err *err)
{
	struct store_check row;
	char evidence[WR_ERR_MAX / 2], actor[160], reason[200];
	json_t *ev;

	memset(&row, 0, sizeof(row));
	snprintf(row.run_id, sizeof(row.run_id), "%s", e->run.id);
	snprintf(row.step_id, sizeof(row.step_id), "%s", step_id);
	row.idx = idx;
	snprintf(row.kind, sizeof(row.kind), "%s", spec_check_kind_name(c->kind));
	memcpy(row.artifact, a->hash, HASH_HEX);
	row.passed = r->passed;
	row.failure = r->failure;
	snprintf(row.reason, sizeof(row.reason), "%s", r->reason);
	row.seconds = secs;
	if (store_check_put(e->st, &row, err) < 0) {
		json_decref(extra);
		return WR_ESTORE;
	}
	snprintf(actor, sizeof(actor), "check:%s", actor_step);
	ev = json_pack("{s:i,s:s,s:s,s:s}", "check", idx, "kind", row.kind,
	               "label", c->label ? c->label : row.kind,
	               "reason", short_reason(r->reason, reason, sizeof(reason)));
	if (ev && extra)
		json_object_update(ev, extra);
	json_decref(extra);
	engine_evidence(evidence, sizeof(evidence), ev);
	return ledger_append(e->st, e->run.id, actor, r->passed ? "check_passed" : "check_failed",
	                     a->hash, evidence, NULL, err);
}

/* A cites check's source when it names a retrieve step: the text of every
 * chunk that step found, one after another. */
static int retrieved_text(void *ud, const char *step, int ids, struct buf *out)
{
	struct engine *e = ud;
	struct store_artifact a;
	struct buf b = BUF_INIT;
	struct wr_err err;
	json_t *doc = NULL, *hit;
	size_t i;
	int rc = -1;

	if (store_artifact_get(e->st, e->run.id, step, &a, &err) < 0 ||
	    store_blob_get_verified(e->st, a.hash, &b, &err) < 0 ||
	    !(doc = json_loadb(b.data, b.len, 0, NULL)))
		goto out;
	json_array_foreach(json_object_get(doc, "results"), i, hit) {
		if (buf_adds(out, json_string_value(json_object_get(hit, ids ? "id" : "text"))) < 0 ||
		    buf_adds(out, ids ? "\n" : "\n\n") < 0)
			goto out;
	}
	rc = json_array_size(json_object_get(doc, "results")) ? 0 : -1;
out:
	json_decref(doc);
	buf_release(&b);
	return rc;
}

/* Runs every check of s on bytes: the deterministic ones first, then the
 * critiques (model calls, made outside any transaction). results, secs,
 * calls and extra have s->n_checks entries. */
int engine_checks_run(struct engine *e, const struct spec_step *s, const char *record_as,
                      const char *bytes, size_t len, struct check_result *results,
                      double *secs, struct engine_call *calls, json_t **extra,
                      struct wr_err *err)
{
	struct check_ctx ctx = { e->inputs, e->flow->dir, retrieved_text, e };
	uint64_t t1;
	int rc;

	for (size_t i = 0; i < s->n_checks; i++) {
		if (!check_is_deterministic(&s->checks[i]))
			continue;
		t1 = os_mono_ns();
		check_run_ctx(&s->checks[i], &ctx, bytes, len, &results[i]);
		secs[i] = (double)(os_mono_ns() - t1) / 1e9;
	}
	for (size_t i = 0; i < s->n_checks; i++) {
		if (check_is_deterministic(&s->checks[i]) || results[i].reason[0])
			continue;   /* deterministic, or known already */
		t1 = os_mono_ns();
		if ((rc = critique_run(e, record_as, &s->checks[i], bytes, len, &calls[i],
		                       &results[i], &extra[i], err)) < 0)
			return rc;
		secs[i] = (double)(os_mono_ns() - t1) / 1e9;
	}
	return 0;
}

/* --- critiques the loop already asked --- */

struct reuse {
	const struct spec_step *s;
	const char *hash;           /* the artifact */
	char prefix[WR_ID_MAX];     /* "GEN#" */
	int offset;                 /* of this step's checks among the loop's */
	struct check_result *results;
	json_t **extra;
};

static int reuse_row(void *ud, const struct store_check *c)
{
	struct reuse *r = ud;
	size_t i;

	if (strncmp(c->step_id, r->prefix, strlen(r->prefix)) != 0 ||
	    strcmp(c->artifact, r->hash) != 0 || strcmp(c->kind, "critique") != 0 ||
	    c->idx <= r->offset || (size_t)(c->idx - r->offset - 1) >= r->s->n_checks)
		return 0;
	i = (size_t)(c->idx - r->offset - 1);
	if (r->s->checks[i].kind != CHECK_CRITIQUE || r->results[i].reason[0])
		return 0;
	r->results[i].passed = c->passed;
	r->results[i].failure = (enum wr_failure)c->failure;
	snprintf(r->results[i].reason, sizeof(r->results[i].reason), "%s", c->reason);
	r->extra[i] = json_pack("{s:s,s:b}", "reused", c->step_id, "procedural", 1);
	return 0;
}

/* A looping generate step has already asked this step's critiques about
 * the candidate it kept (loop.c records them under "GEN#N", numbered after
 * the output schema and the checks of earlier check steps): their verdicts
 * are taken from the record rather than asked again. */
static int critiques_known(struct engine *e, const struct spec_step *s,
                           const struct store_artifact *a, struct check_result *results,
                           json_t **extra, struct wr_err *err)
{
	const struct spec_step *gen = &e->flow->steps[s->of_index];
	struct reuse r = { s, a->hash, "", 0, results, extra };

	if (!gen->revise && !gen->best_of)
		return 0;
	snprintf(r.prefix, sizeof(r.prefix), "%.*s#", WR_ID_MAX - 12, gen->id);
	for (const struct spec_step *c = e->flow->steps; c < s; c++)
		if (c->kind == STEP_CHECK && c->of_index == s->of_index)
			r.offset += (int)c->n_checks;
	return store_checks_each(e->st, e->run.id, reuse_row, &r, err);
}

/* The failure that decides: the first failing deterministic check's; a
 * critique's only when every deterministic check passed. NULL: all passed. */
const struct check_result *engine_checks_verdict(const struct spec_step *s,
                                                 const struct check_result *results,
                                                 int *failed)
{
	const struct check_result *first = NULL;

	*failed = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n_checks; i++) {
			if (check_is_deterministic(&s->checks[i]) != (pass == 0) || results[i].passed)
				continue;
			(*failed)++;
			if (!first)
				first = &results[i];
		}
	return first;
}

int step_check(struct engine *e, int idx, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	size_t n = s->n_checks;
	struct store_artifact a;
	struct check_result *rs = calloc(n, sizeof(*rs)), none = { 1, WR_FAIL_NONE, "" };
	const struct check_result *first;
	struct engine_call *calls = calloc(n, sizeof(*calls));
	double *secs = calloc(n, sizeof(*secs));
	json_t **extra = calloc(n, sizeof(*extra));
	struct buf bytes = BUF_INIT;
	struct wr_err why;
	uint64_t t0 = os_mono_ns();
	int64_t seq = 0;
	char actor[160], msg[600];
	int rc, failed = 0;

	for (size_t i = 0; calls && i < n; i++)
		engine_call_init(&calls[i]);
	if (!rs || !calls || !secs || !extra) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_artifact_get(e->st, e->run.id, s->of, &a, err)) < 0)
		goto out;
	if (a.state != WR_STATE_CANDIDATE && a.state != WR_STATE_VERIFIED) {
		err_set(&why, WR_ESTATE, "step '%s': artifact of '%s' is %s; only a candidate "
		        "or verified artifact is checked", s->id, s->of, wr_state_name(a.state));
		rc = refuse(e, idx, a.hash, &why, err);
		goto out;
	}
	if ((rc = store_blob_get_verified(e->st, a.hash, &bytes, err)) < 0 ||
	    (rc = critiques_known(e, s, &a, rs, extra, err)) < 0 ||
	    (rc = engine_checks_run(e, s, s->id, bytes.data, bytes.len, rs, secs, calls, extra,
	                            err)) < 0)
		goto out;
	first = engine_checks_verdict(s, rs, &failed);
	if (!first)
		first = &none;
	if ((rc = store_begin(e->st, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (calls[i].req_txt && (rc = engine_call_put(e, &calls[i], err)) < 0)
			goto fail;
		rc = engine_check_put(e, s->id, s->id, (int)i, &s->checks[i], &a, &rs[i], secs[i],
		                      extra[i], err);
		extra[i] = NULL;
		if (rc < 0)
			goto fail;
	}
	snprintf(actor, sizeof(actor), "check:%s", s->id);
	if (failed && first->failure == WR_FAIL_BUDGET_EXCEEDED) {
		/* A critique the budget could not pay for: the run stops, the artifact
		 * stays as it was. */
		snprintf(msg, sizeof(msg), "%s", first->reason);
		if ((rc = fail_step(e, idx, WR_RUN_FAILED, first->failure, msg, a.hash, err)) < 0)
			goto fail;
	} else if (failed) {
		snprintf(msg, sizeof(msg), "%d of %zu checks failed; first: %s", failed,
		         s->n_checks, first->reason);
		if ((rc = life_transition(e, &a, WR_STATE_REJECTED, first->failure, actor,
		                          "{}", &seq, err)) < 0 ||
		    (rc = fail_step(e, idx, WR_RUN_REJECTED, first->failure, msg, a.hash, err)) < 0)
			goto fail;
	} else {
		a.checks_passed++;
		if (a.checks_passed >= e->checks_of[s->of_index] && a.state == WR_STATE_CANDIDATE)
			rc = life_transition(e, &a, WR_STATE_VERIFIED, WR_FAIL_NONE, actor, "{}",
			                     &seq, err);
		else
			rc = store_artifact_put(e->st, &a, err);
		snprintf(msg, sizeof(msg), "%zu checks passed; artifact %s", s->n_checks,
		         wr_state_name(a.state));
		if (rc < 0 ||
		    (rc = engine_step_put(e, idx, "done", WR_FAIL_NONE, msg, a.hash,
		                          (double)(os_mono_ns() - t0) / 1e9, seq, err)) < 0)
			goto fail;
		e->status[idx] = SS_DONE;
	}
	if ((rc = store_run_update(e->st, &e->run, err)) < 0)
		goto fail;
	if ((rc = store_commit(e->st, err)) < 0)
		goto out;
	engine_event(e, WR_EV_STEP_END, idx, first->failure, msg,
	             (double)(os_mono_ns() - t0) / 1e9);
	goto out;
fail:
	store_rollback(e->st);
out:
	for (size_t i = 0; calls && i < n; i++)
		engine_call_release(&calls[i]);
	for (size_t i = 0; extra && i < n; i++)
		json_decref(extra[i]);
	free(rs);
	free(calls);
	free(secs);
	free(extra);
	buf_release(&bytes);
	return rc;
}

/* --- approve --- */

int step_approve(struct engine *e, int idx, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_artifact a;
	struct wr_err why;
	char msg[256];
	int rc;

	if ((rc = store_artifact_get(e->st, e->run.id, s->of, &a, err)) < 0)
		return rc;
	if (a.state != WR_STATE_VERIFIED) {
		err_set(&why, WR_ESTATE, "step '%s': artifact of '%s' is %s; only a verified "
		        "artifact goes to a person for approval", s->id, s->of,
		        wr_state_name(a.state));
		return refuse(e, idx, a.hash, &why, err);
	}
	snprintf(msg, sizeof(msg), "waiting for approval: warrant approve %s %s", e->run.id,
	         s->id);
	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if (e->status[idx] != SS_WAITING &&
	    (rc = ledger_append(e->st, e->run.id, "engine", "approval_requested", a.hash,
	                        "{}", NULL, err)) < 0)
		goto fail;
	e->status[idx] = SS_WAITING;
	if ((rc = engine_step_put(e, idx, "waiting", WR_FAIL_NONE, msg, a.hash, 0, 0, err)) < 0 ||
	    (rc = engine_finish(e, WR_RUN_WAITING, WR_FAIL_NONE, idx, msg, err)) < 0 ||
	    (rc = store_run_update(e->st, &e->run, err)) < 0)
		goto fail;
	if ((rc = store_commit(e->st, err)) < 0)
		return rc;
	engine_event(e, WR_EV_WAITING, idx, WR_FAIL_NONE, msg, 0);
	return 0;
fail:
	store_rollback(e->st);
	return rc;
}

/* --- people's decisions --- */

static int decide(struct engine *e, int idx, enum wr_decision d, const char *actor,
                  const char *note, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct store_artifact a;
	char who[160], evidence[WR_ERR_MAX / 2], msg[600];
	int64_t seq = 0;
	int rc;

	if ((rc = store_artifact_get(e->st, e->run.id, s->of, &a, err)) < 0)
		return rc;
	snprintf(who, sizeof(who), "human:%s", actor && actor[0] ? actor : "unknown");
	engine_evidence(evidence, sizeof(evidence),
	              json_pack("{s:s,s:s}", "step", s->id, "note", note ? note : ""));
	if ((rc = store_begin(e->st, err)) < 0)
		return rc;
	if (d == WR_APPROVE) {
		snprintf(msg, sizeof(msg), "approved by %s%s%s", who + 6, note && note[0] ? ": " : "",
		         note ? note : "");
		if ((rc = life_transition(e, &a, WR_STATE_APPROVED, WR_FAIL_NONE, who, evidence,
		                          &seq, err)) < 0 ||
		    (rc = engine_step_put(e, idx, "done", WR_FAIL_NONE, msg, a.hash, 0, seq, err)) < 0)
			goto fail;
	} else {
		snprintf(msg, sizeof(msg), "rejected by %s%s%s", who + 6, note && note[0] ? ": " : "",
		         note ? note : "");
		if ((rc = life_transition(e, &a, WR_STATE_REJECTED, WR_FAIL_REJECTED_BY_HUMAN, who,
		                          evidence, &seq, err)) < 0 ||
		    (rc = fail_step(e, idx, WR_RUN_REJECTED, WR_FAIL_REJECTED_BY_HUMAN, msg, a.hash,
		                    err)) < 0)
			goto fail;
	}
	return store_commit(e->st, err);
fail:
	store_rollback(e->st);
	return rc;
}

int wr_decide(struct wr_store *store, const char *run_id, const char *step_id,
              enum wr_decision d, const char *actor, const char *note, struct wr_err *err)
{
	struct store *st = (struct store *)store;
	struct spec_flow *flow = NULL;
	struct buf bytes = BUF_INIT;
	struct store_step row;
	struct spec_params sp;
	struct engine e;
	char policy[PATH_MAX];
	int rc, idx, claimed = 0;

	memset(&e, 0, sizeof(e));
	if (!store || !run_id || !step_id)
		return err_set(err, WR_EINVAL, "wr_decide: store, run and step are required");
	if (d != WR_APPROVE && d != WR_REJECT)
		return err_set(err, WR_EINVAL, "wr_decide: unknown decision");
	e.st = st;
	if ((rc = store_run_find(st, run_id, e.run.id, err)) < 0 ||
	    (rc = store_run_get(st, e.run.id, &e.run, err)) < 0)
		return rc;
	if (e.run.status != WR_RUN_WAITING)
		return err_set(err, WR_ESTATE, "run %s is %s, not waiting for approval", e.run.id,
		               wr_run_status_name(e.run.status));
	if ((rc = store_step_get(st, e.run.id, step_id, &row, err)) < 0)
		return rc;
	if (strcmp(row.kind, "approve") != 0 && strcmp(row.kind, "generate") != 0)
		return err_set(err, WR_ESTATE, "step '%s' of run %s is a %s step; only approve "
		               "steps and generate steps waiting on a tool call take decisions",
		               step_id, e.run.id, row.kind);
	if (strcmp(row.status, "waiting") != 0)
		return err_set(err, WR_ESTATE, "step '%s' of run %s is %s, not waiting", step_id,
		               e.run.id, row.status);
	if ((rc = store_run_claim(st, e.run.id, (int)getpid(), err)) < 0)
		return rc;
	claimed = 1;
	if ((rc = store_blob_get_verified(st, e.run.flow_blob, &bytes, err)) < 0 ||
	    (rc = engine_spec_params(st, e.run.id, &sp, policy, sizeof(policy), err)) < 0 ||
	    (rc = spec_load_bytes(e.run.flow_path, bytes.data, bytes.len, &sp, &flow, err)) < 0)
		goto out;
	idx = spec_step_find(flow, step_id);
	if (idx < 0) {
		rc = err_set(err, WR_ESTORE, "run %s: step '%s' is not in its workflow", e.run.id,
		             step_id);
		goto out;
	}
	e.flow = flow;
	e.status = calloc(flow->n_steps, sizeof(*e.status));
	if (!e.status) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	rc = flow->steps[idx].kind == STEP_GENERATE ? tools_decide(&e, idx, d, actor, note, err)
	     : decide(&e, idx, d, actor, note, err);
out:
	if (claimed)
		store_run_unclaim(st, e.run.id, (int)getpid());
	free(e.status);
	spec_free(flow);
	buf_release(&bytes);
	return rc;
}
