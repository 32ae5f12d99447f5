/* queue.c: the approval queue: every run waiting for a person, with the
 * artifact to decide on and the checks it passed, and the approve/reject
 * form (posted to /runs/ID/decide, handled in server.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

#define QUEUE_MAX 50          /* runs shown on the queue page */
#define ARTIFACT_SHOWN (256u << 10)

void html_artifact(struct html *h, struct wr_store *store, const char *hash)
{
	struct wr_err err;
	char *bytes = NULL;
	size_t len = 0;
	int rc;

	if (!hash[0])
		return;
	rc = wr_artifact_read(store, hash, ARTIFACT_SHOWN, &bytes, &len, &err);
	if (rc == WR_ETOOBIG) {
		html_rawf(h, "<p class=\"meta\">Larger than %u KiB: not shown here; read it with "
		          "<code>warrant show RUN --artifacts</code>.</p>", ARTIFACT_SHOWN >> 10);
		return;
	}
	if (rc < 0) {
		html_raw(h, "<p class=\"error\">Unreadable: ");
		html_text(h, err.msg);
		html_raw(h, "</p>");
		return;
	}
	/* Model output is untrusted: escaped, and shown as text, never markup. */
	html_raw(h, "<pre class=\"artifact\">");
	html_textn(h, bytes, len);
	html_raw(h, "</pre>");
	free(bytes);
}

void html_decide_form(struct html *h, const struct web_req *r, const char *run_id,
                      const char *step_id)
{
	if (!r->csrf[0]) {
		html_raw(h, "<p class=\"meta\">Open the address warrant serve printed (a browser "
		            "session) to decide here.</p>");
		return;
	}
	html_raw(h, "<form class=\"decide\" method=\"post\" action=\"/runs/");
	html_url(h, run_id);
	html_raw(h, "/decide\"><input type=\"hidden\" name=\"csrf\" value=\"");
	html_text(h, r->csrf);
	html_raw(h, "\"><input type=\"hidden\" name=\"step\" value=\"");
	html_text(h, step_id);
	html_raw(h, "\"><label>Reviewer<input name=\"reviewer\" required maxlength=\"64\" "
	            "pattern=\"[A-Za-z0-9 ._@\\-]+\" value=\"");
	html_text(h, r->reviewer);
	html_raw(h, "\"></label><label>Note (a rejection needs one)<textarea name=\"note\" "
	            "maxlength=\"4000\"></textarea></label><span class=\"buttons\">"
	            "<button class=\"approve\" name=\"decision\" value=\"approve\">Approve</button>"
	            "<button class=\"reject\" name=\"decision\" value=\"reject\">Reject</button>"
	            "</span></form>");
}

/* --- the queue --- */

struct waiting {
	char run[WR_ID_MAX];
	char flow[128];
	int64_t created_ms;
};

struct queue_page {
	struct waiting runs[QUEUE_MAX];
	int n;
	/* for one run at a time: */
	struct html *h;
	char step[WR_ID_MAX], artifact[WR_HASH_HEX];
};

static int queue_collect(void *ud, const struct wr_run_info *info)
{
	struct queue_page *q = ud;
	struct waiting *w = &q->runs[q->n++];

	snprintf(w->run, sizeof(w->run), "%s", info->id);
	snprintf(w->flow, sizeof(w->flow), "%s", info->flow_name);
	w->created_ms = info->created_ms;
	return q->n >= QUEUE_MAX;
}

static int queue_step(void *ud, const struct wr_step_info *st)
{
	struct queue_page *q = ud;

	if (!strcmp(st->kind, "approve") && !strcmp(st->status, "waiting")) {
		snprintf(q->step, sizeof(q->step), "%s", st->id);
		snprintf(q->artifact, sizeof(q->artifact), "%s", st->artifact);
		return 1;
	}
	return 0;
}

/* The checks the artifact passed: every passed check of the run (a run
 * waits only once every check on its artifact has passed). */
static int queue_check(void *ud, const struct wr_check_info *c)
{
	struct queue_page *q = ud;

	if (!c->passed)
		return 0;
	html_raw(q->h, "<li>");
	html_badge(q->h, "pass");
	html_raw(q->h, " <b>");
	html_text(q->h, c->step_id);
	html_rawf(q->h, " #%d</b> ", c->index + 1);
	html_text(q->h, c->kind);
	if (c->reason[0]) {
		html_raw(q->h, ": ");
		html_text(q->h, c->reason);
	}
	html_raw(q->h, "</li>");
	return 0;
}

int page_queue(struct web_req *r, struct html *h)
{
	struct wr_runs_filter f = wr_runs_default_filter();
	struct queue_page *q;
	struct wr_err err;
	int status = 200;

	if (!(q = calloc(1, sizeof(*q))))
		return page_error(h, 500, "Queue", "out of memory");
	q->h = h;
	f.status = WR_RUN_WAITING;
	f.limit = QUEUE_MAX;
	if (wr_runs_query(r->store, &f, queue_collect, q, &err) < 0) {
		status = page_error(h, 500, "Queue", err.msg);
		goto out;
	}
	html_page_start(h, "Approval queue", "/queue");
	html_rawf(h, "<h1>Approval queue <span class=\"meta\">%d%s waiting</span></h1>", q->n,
	          q->n >= QUEUE_MAX ? "+" : "");
	if (!q->n)
		html_raw(h, "<p class=\"meta\">Nothing is waiting for a person.</p>");
	for (int i = 0; i < q->n; i++) {
		struct waiting *w = &q->runs[i];

		q->step[0] = q->artifact[0] = '\0';
		if (wr_run_steps(r->store, w->run, queue_step, q, &err) < 0) {
			status = page_error(h, 500, "Queue", err.msg);
			goto out;
		}
		if (!q->step[0])
			continue;  /* decided since it was listed */
		html_raw(h, "<section class=\"card\" id=\"run-");
		html_text(h, w->run);
		html_raw(h, "\"><div><a href=\"/runs/");
		html_url(h, w->run);
		html_raw(h, "\"><code>");
		html_text(h, w->run);
		html_raw(h, "</code></a> <b>");
		html_text(h, w->flow);
		html_raw(h, "</b> <span class=\"meta\">started ");
		html_time(h, w->created_ms);
		html_raw(h, ", waiting at step ");
		html_text(h, q->step);
		html_raw(h, "</span></div>");
		html_artifact(h, r->store, q->artifact);
		html_raw(h, "<div class=\"meta\">Checks passed:</div><ul class=\"checks\">");
		if (wr_run_checks(r->store, w->run, queue_check, q, &err) < 0) {
			status = page_error(h, 500, "Queue", err.msg);
			goto out;
		}
		html_raw(h, "</ul>");
		html_decide_form(h, r, w->run, q->step);
		html_raw(h, "</section>");
	}
	html_page_end(h);
out:
	free(q);
	return status;
}
