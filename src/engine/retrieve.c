/* retrieve.c: the retrieve step. It brings the step's sources up to date
 * in the store's index (reading only files that changed), runs its query
 * (a template) and keeps the results as the step's artifact: JSON with the
 * query and, for each chunk, its id, file, byte span, score, hash and text.
 * No result is a failure of class retrieval_miss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "engine/engine.h"
#include "ledger/ledger.h"

struct hits {
	const struct spec_flow *flow;
	json_t *kept, *excluded;
	int want;
};

/* Keeps a hit unless context.exclude forbids its file or its text; what is
 * left out is listed with the reason. */
static int keep_hit(void *ud, const struct wr_hit *h)
{
	struct hits *hs = ud;
	json_t *list = hs->kept, *o;
	int n;

	if ((n = context_file_excluded(hs->flow, h->source)) ||
	    (n = -context_match(hs->flow, h->text, h->text_len))) {
		char why[80];

		snprintf(why, sizeof(why), n > 0 ? "excluded file pattern %d" :
		         "excluded text pattern %d", n > 0 ? n : -n);
		o = json_pack("{s:s,s:s}", "id", h->id, "reason", why);
		return !o || json_array_append_new(hs->excluded, o) < 0;
	}
	if ((int)json_array_size(list) >= hs->want)
		return 1;
	o = json_pack("{s:s,s:s,s:I,s:I,s:f,s:s,s:s%}", "id", h->id, "source", h->source,
	                      "start", (json_int_t)h->start, "end", (json_int_t)h->end,
	                      "score", h->score, "sha256", h->hash, "text", h->text,
	                      h->text_len);

	return !o || json_array_append_new(list, o) < 0;
}

/* The results, as the artifact's bytes. */
static char *results(struct engine *e, const struct spec_step *s, const char *query,
                     size_t *n_hits, struct wr_err *err)
{
	struct wr_index_params ip;
	const char **paths = calloc(s->n_sources ? s->n_sources : 1, sizeof(*paths));
	char (*joined)[4096] = calloc(s->n_sources ? s->n_sources : 1, sizeof(*joined));
	json_t *hits = json_array(), *excluded = json_array(), *doc = NULL;
	struct hits hs = { e->flow, hits, excluded, s->top_k };
	int ask = s->top_k;
	char *text = NULL;
	int rc = 0;

	if (!paths || !joined || !hits || !excluded) {
		err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n_sources && rc == 0; i++) {
		rc = os_join(e->flow->dir, s->sources[i], joined[i], sizeof(joined[i]));
		paths[i] = joined[i];
	}
	/* Ask for more when some may be excluded, and keep the first top_k. */
	if (e->flow->context.n_exclude_files || e->flow->context.n_exclude_patterns)
		ask = s->top_k * 4;
	memset(&ip, 0, sizeof(ip));
	ip.paths = paths;
	ip.n_paths = s->n_sources;
	ip.root = e->flow->dir;
	if (rc < 0 ||
	    wr_index((struct wr_store *)e->st, &ip, NULL, NULL, NULL, err) < 0 ||
	    wr_retrieve((struct wr_store *)e->st, query, ask, s->filter, keep_hit, &hs,
	                err) < 0) {
		if (rc < 0)
			err_set(err, WR_EINVAL, "step '%s': a source path is too long", s->id);
		goto out;
	}
	*n_hits = json_array_size(hits);
	doc = json_pack("{s:s,s:O,s:O}", "query", query, "results", hits, "excluded", excluded);
	if (!doc || !(text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)))
		err_set(err, WR_ENOMEM, "out of memory");
out:
	json_decref(doc);
	json_decref(hits);
	json_decref(excluded);
	free(paths);
	free(joined);
	return text;
}

int step_retrieve(struct engine *e, int idx, struct wr_err *err)
{
	const struct spec_step *s = &e->flow->steps[idx];
	struct buf query = BUF_INIT;
	struct store_artifact a;
	struct wr_ledger_entry entry;
	char evidence[400], msg[WR_ERR_MAX], *text = NULL;
	uint64_t t0 = os_mono_ns();
	size_t n_hits = 0;
	double secs;
	int rc;

	if ((rc = engine_render_prompt(e, s, &query, err)) < 0)
		goto out;
	if (!(text = results(e, s, query.data, &n_hits, err))) {
		rc = err->code < 0 ? err->code : WR_ENOMEM;
		/* An unreadable source or a query without words is the workflow's
		 * problem, not a crash: the run fails with a class. */
		if (rc == WR_EINVAL || rc == WR_EIO) {
			snprintf(msg, sizeof(msg), "%s", err->msg);
			rc = engine_fail_step(e, idx, WR_FAIL_CONTEXT_MISSING, msg, err);
		}
		goto out;
	}
	secs = (double)(os_mono_ns() - t0) / 1e9;
	memset(&a, 0, sizeof(a));
	snprintf(a.run_id, sizeof(a.run_id), "%s", e->run.id);
	snprintf(a.step_id, sizeof(a.step_id), "%s", s->id);
	a.size = (int64_t)strlen(text);
	a.state = WR_STATE_CANDIDATE;
	if ((rc = store_begin(e->st, err)) < 0)
		goto out;
	if ((rc = store_blob_put(e->st, text, strlen(text), a.hash, err)) < 0)
		goto fail;
	if (n_hits == 0) {
		snprintf(msg, sizeof(msg), "no chunk of the sources matches the query");
		e->status[idx] = SS_FAILED;
		if ((rc = engine_step_put(e, idx, "failed", WR_FAIL_RETRIEVAL_MISS, msg, a.hash, secs,
		                          0, err)) < 0 ||
		    (rc = engine_finish(e, WR_RUN_FAILED, WR_FAIL_RETRIEVAL_MISS, idx, msg, err)) < 0)
			goto fail;
	} else {
		snprintf(evidence, sizeof(evidence), "{\"chunks\":%zu,\"top_k\":%d}", n_hits,
		         s->top_k);
		snprintf(msg, sizeof(msg), "%zu chunk%s", n_hits, n_hits == 1 ? "" : "s");
		if ((rc = store_artifact_put(e->st, &a, err)) < 0 ||
		    (rc = ledger_append(e->st, e->run.id, "engine", "retrieved", a.hash, evidence,
		                        &entry, err)) < 0 ||
		    (rc = engine_step_put(e, idx, "done", WR_FAIL_NONE, msg, a.hash, secs, entry.seq,
		                          err)) < 0)
			goto fail;
		e->status[idx] = SS_DONE;
	}
	if ((rc = store_run_update(e->st, &e->run, err)) < 0)
		goto fail;
	if ((rc = store_commit(e->st, err)) < 0)
		goto out;
	engine_event(e, WR_EV_STEP_END, idx, n_hits ? WR_FAIL_NONE : WR_FAIL_RETRIEVAL_MISS, msg,
	             secs);
	goto out;
fail:
	store_rollback(e->st);
out:
	free(text);
	buf_release(&query);
	return rc;
}
