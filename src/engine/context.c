/* context.c: what must never reach a model (the workflow's context.exclude),
 * and failing a step before anything is sent. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "check/check.h"
#include "core/err.h"
#include "engine/engine.h"

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
