/* pages.c: the read-only pages: the runs list (filtered, paged), one run
 * (steps, checks, artifacts, ledger) and the failures dashboard. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/web.h"

#define PAGE_RUNS 50        /* runs on one page of the list */

/* --- the runs list --- */

struct runs_page {
	struct html *h;
	int n;
	char last[WR_ID_MAX];
};

static void run_link(struct html *h, const char *id)
{
	html_raw(h, "<a href=\"/runs/");
	html_url(h, id);
	html_raw(h, "\"><code>");
	html_text(h, id);
	html_raw(h, "</code></a>");
}

static int runs_row(void *ud, const struct wr_run_info *r)
{
	struct runs_page *p = ud;
	struct html *h = p->h;

	if (++p->n > PAGE_RUNS)
		return 1;  /* one more than shown: there is a next page */
	snprintf(p->last, sizeof(p->last), "%s", r->id);
	html_raw(h, "<tr><td>");
	run_link(h, r->id);
	html_raw(h, "</td><td>");
	html_text(h, r->flow_name);
	html_raw(h, "</td><td>");
	html_badge(h, wr_run_status_name(r->status));
	html_raw(h, "</td><td>");
	if (r->failure)
		html_text(h, wr_failure_name(r->failure));
	html_raw(h, "</td><td>");
	if (r->failed_step[0])
		html_text(h, r->failed_step);
	html_raw(h, "</td><td>");
	html_time(h, r->created_ms);
	html_rawf(h, "</td><td class=\"num\">%" PRId64 "</td><td class=\"num\">$%.4f</td></tr>",
	          r->tokens_in + r->tokens_out, r->cost_usd);
	return 0;
}

static void select_opt(struct html *h, const char *value, const char *label, const char *cur)
{
	html_raw(h, "<option value=\"");
	html_text(h, value);
	html_raw(h, !strcmp(value, cur) ? "\" selected>" : "\">");
	html_text(h, label);
	html_raw(h, "</option>");
}

/* The filter arguments of the current list, for links to other pages. */
static void filter_args(struct html *h, const char *status, const char *failure,
                        const char *flow)
{
	html_raw(h, "status=");
	html_url(h, status);
	html_raw(h, "&amp;failure=");
	html_url(h, failure);
	html_raw(h, "&amp;flow=");
	html_url(h, flow);
}

int page_runs(struct web_req *r, struct html *h)
{
	const char *status = web_arg(r, "status"), *failure = web_arg(r, "failure");
	const char *flow = web_arg(r, "flow"), *after = web_arg(r, "after");
	struct wr_runs_filter f = wr_runs_default_filter();
	struct runs_page p = { .h = h };
	struct wr_err err;

	for (int i = WR_RUN_RUNNING; i <= WR_RUN_FAILED; i++)
		if (!strcmp(status, wr_run_status_name((enum wr_run_status)i)))
			f.status = i;
	if (status[0] && f.status < 0)
		return page_error(h, 400, "Bad filter", "unknown run status");
	if (failure[0] && (f.failure = wr_failure_parse(failure)) < 0)
		return page_error(h, 400, "Bad filter", "unknown failure class");
	if (after[0] && !web_id_ok(after))
		return page_error(h, 400, "Bad page", "not a run id");
	f.flow = flow;
	f.after = after;
	f.limit = PAGE_RUNS + 1;

	html_page_start(h, "Runs", "/runs");
	html_raw(h, "<h1>Runs</h1><form class=\"filters\" method=\"get\" action=\"/runs\">"
	            "<label>Status<select name=\"status\">");
	select_opt(h, "", "any", status);
	for (int i = WR_RUN_RUNNING; i <= WR_RUN_FAILED; i++)
		select_opt(h, wr_run_status_name((enum wr_run_status)i),
		           wr_run_status_name((enum wr_run_status)i), status);
	html_raw(h, "</select></label><label>Failure class<select name=\"failure\">");
	select_opt(h, "", "any", failure);
	for (int i = 1; i < WR_FAIL_COUNT_; i++)
		select_opt(h, wr_failure_name((enum wr_failure)i),
		           wr_failure_name((enum wr_failure)i), failure);
	html_raw(h, "</select></label><label>Workflow<input name=\"flow\" value=\"");
	html_text(h, flow);
	html_raw(h, "\" placeholder=\"any\"></label><button type=\"submit\">Filter</button></form>"
	            "<table><thead><tr><th>Run</th><th>Workflow</th><th>Status</th>"
	            "<th>Failure class</th><th>At step</th><th>Started</th><th>Tokens</th>"
	            "<th>Cost</th></tr></thead><tbody>");
	if (wr_runs_query(r->store, &f, runs_row, &p, &err) < 0)
		return page_error(h, err.code == WR_ENOTFOUND ? 404 : 500, "Runs", err.msg);
	html_raw(h, "</tbody></table>");
	if (p.n == 0)
		html_raw(h, "<p class=\"meta\">No runs match.</p>");
	html_raw(h, "<p class=\"pager\">");
	if (after[0]) {
		html_raw(h, "<a href=\"/runs?");
		filter_args(h, status, failure, flow);
		html_raw(h, "\">&larr; newest</a>");
	}
	if (p.n > PAGE_RUNS) {
		html_raw(h, "<a rel=\"next\" href=\"/runs?");
		filter_args(h, status, failure, flow);
		html_raw(h, "&amp;after=");
		html_url(h, p.last);
		html_raw(h, "\">older &rarr;</a>");
	}
	html_raw(h, "</p>");
	html_page_end(h);
	return 200;
}

/* --- one run --- */

struct run_page {
	struct web_req *r;
	struct html *h;
	char waiting[WR_ID_MAX];    /* the approve step waiting, or "" */
	char artifacts[16][WR_HASH_HEX];
	char artifact_steps[16][WR_ID_MAX];
	int n_artifacts;
};

static int step_row(void *ud, const struct wr_step_info *st)
{
	struct run_page *p = ud;
	struct html *h = p->h;

	if (!strcmp(st->status, "waiting") && !strcmp(st->kind, "approve"))
		snprintf(p->waiting, sizeof(p->waiting), "%s", st->id);
	if (!strcmp(st->kind, "generate") && st->artifact[0] && p->n_artifacts < 16) {
		snprintf(p->artifacts[p->n_artifacts], WR_HASH_HEX, "%s", st->artifact);
		snprintf(p->artifact_steps[p->n_artifacts++], WR_ID_MAX, "%s", st->id);
	}
	html_rawf(h, "<tr><td class=\"num\">%d</td><td>", st->index + 1);
	html_text(h, st->id);
	html_raw(h, "</td><td>");
	html_text(h, st->kind);
	html_raw(h, "</td><td>");
	html_badge(h, st->status);
	html_raw(h, "</td><td>");
	if (!strcmp(st->kind, "generate") && st->artifact[0])
		html_badge(h, wr_state_name(st->state));
	if (st->artifact[0]) {
		html_raw(h, " <a href=\"/artifact/");
		html_url(h, st->artifact);
		html_raw(h, "\" title=\"why: its chain of custody\"><code>");
		html_textn(h, st->artifact, 8);
		html_raw(h, "</code></a>");
	}
	html_raw(h, "</td><td>");
	if (st->failure)
		html_text(h, wr_failure_name(st->failure));
	html_raw(h, "</td><td>");
	html_text(h, st->message);
	html_rawf(h, "</td><td class=\"num\">%.3f s</td></tr>", st->seconds);
	return 0;
}

static int check_row(void *ud, const struct wr_check_info *c)
{
	struct html *h = ((struct run_page *)ud)->h;

	html_raw(h, "<tr><td>");
	html_text(h, c->step_id);
	html_rawf(h, "</td><td class=\"num\">%d</td><td>", c->index + 1);
	html_text(h, c->kind);
	html_raw(h, "</td><td>");
	html_badge(h, c->passed ? "pass" : "FAIL");
	html_raw(h, "</td><td>");
	if (!c->passed)
		html_text(h, wr_failure_name(c->failure));
	html_raw(h, "</td><td>");
	html_text(h, c->reason);
	html_raw(h, "</td></tr>");
	return 0;
}

static int ledger_row(void *ud, const struct wr_ledger_entry *e)
{
	struct html *h = ud;

	html_rawf(h, "<tr><td class=\"num\">%" PRId64 "</td><td>", e->seq);
	html_time(h, e->at_ms);
	html_raw(h, "</td><td>");
	html_text(h, e->actor);
	html_raw(h, "</td><td>");
	html_badge(h, e->action);
	html_raw(h, "</td><td><code>");
	html_textn(h, e->subject, strlen(e->subject) > 12 ? 12 : strlen(e->subject));
	html_raw(h, "</code></td><td class=\"ev\"><code>");
	html_text(h, e->evidence);
	html_raw(h, "</code></td></tr>");
	return 0;
}

int page_run(struct web_req *r, const char *run_id, struct html *h)
{
	struct run_page p = { .r = r, .h = h };
	struct wr_run_info info;
	struct wr_err err;
	const char *decided = web_arg(r, "decided");

	if (wr_run_get(r->store, run_id, &info, &err) < 0)
		return page_error(h, err.code == WR_ENOTFOUND ? 404 : err.code == WR_EINVAL ? 400 : 500,
		                  "Run not found", err.msg);
	html_page_start(h, info.id, "/runs");
	if (!strcmp(decided, "approved") || !strcmp(decided, "rejected"))
		html_rawf(h, "<p class=\"notice\">Your decision was recorded: %s.%s</p>", decided,
		          !strcmp(decided, "approved") ? " The run continued from there." : "");
	html_raw(h, "<h1>Run <code>");
	html_text(h, info.id);
	html_raw(h, "</code> ");
	html_badge(h, wr_run_status_name(info.status));
	html_raw(h, "</h1><div class=\"card\"><div>Workflow <b>");
	html_text(h, info.flow_name);
	html_raw(h, "</b> <span class=\"meta\">");
	html_text(h, info.flow_path);
	html_raw(h, ", version ");
	html_textn(h, info.flow_hash, 12);
	html_raw(h, "</span></div>");
	if (info.failure) {
		html_raw(h, "<div>Failure class <b>");
		html_text(h, wr_failure_name(info.failure));
		html_raw(h, "</b> at step <b>");
		html_text(h, info.failed_step);
		html_raw(h, "</b></div>");
	}
	if (info.message[0]) {
		html_raw(h, "<div class=\"meta\">");
		html_text(h, info.message);
		html_raw(h, "</div>");
	}
	html_raw(h, "<div class=\"meta\">Started ");
	html_time(h, info.created_ms);
	html_rawf(h, ", %.3f s executing, seed %" PRIu64 "; %" PRId64 " calls, %" PRId64
	          " tokens in, %" PRId64 " out, $%.6f; %d of %d steps done</div></div>",
	          info.seconds, info.seed, info.calls, info.tokens_in, info.tokens_out,
	          info.cost_usd, info.steps_done, info.steps_total);

	html_raw(h, "<h2>Steps</h2><table><thead><tr><th>#</th><th>Step</th><th>Kind</th>"
	            "<th>Status</th><th>Artifact</th><th>Failure class</th><th>Message</th>"
	            "<th>Time</th></tr></thead><tbody>");
	if (wr_run_steps(r->store, info.id, step_row, &p, &err) < 0)
		return page_error(h, 500, "Steps", err.msg);
	html_raw(h, "</tbody></table>");
	if (p.waiting[0] && info.status == WR_RUN_WAITING) {
		html_raw(h, "<h2>Waiting for a decision at step ");
		html_text(h, p.waiting);
		html_raw(h, "</h2><div class=\"card\">");
		html_decide_form(h, r, info.id, p.waiting);
		html_raw(h, "</div>");
	}
	html_raw(h, "<h2>Checks</h2><table><thead><tr><th>Step</th><th>#</th><th>Check</th>"
	            "<th>Result</th><th>Failure class</th><th>Reason</th></tr></thead><tbody>");
	if (wr_run_checks(r->store, info.id, check_row, &p, &err) < 0)
		return page_error(h, 500, "Checks", err.msg);
	html_raw(h, "</tbody></table><h2 id=\"trace\">Trace</h2>");
	if (html_trace(h, r->store, info.id, &err) < 0)
		return page_error(h, 500, "Trace", err.msg);
	html_raw(h, "<h2>Artifacts</h2>");
	if (!p.n_artifacts)
		html_raw(h, "<p class=\"meta\">None yet.</p>");
	for (int i = 0; i < p.n_artifacts; i++) {
		html_raw(h, "<div class=\"card\"><div>From step <b>");
		html_text(h, p.artifact_steps[i]);
		html_raw(h, "</b> <span class=\"meta\">sha256 <code>");
		html_text(h, p.artifacts[i]);
		html_raw(h, "</code></span> <a href=\"/artifact/");
		html_url(h, p.artifacts[i]);
		html_raw(h, "\">why &rarr;</a></div>");
		html_artifact(h, r->store, p.artifacts[i]);
		html_raw(h, "</div>");
	}
	html_raw(h, "<h2>Ledger</h2><table><thead><tr><th>#</th><th>When</th><th>Actor</th>"
	            "<th>Action</th><th>Artifact</th><th>Evidence</th></tr></thead><tbody>");
	if (wr_ledger_each(r->store, info.id, ledger_row, h, &err) < 0)
		return page_error(h, 500, "Ledger", err.msg);
	html_raw(h, "</tbody></table>");
	html_page_end(h);
	return 200;
}

/* --- the failures dashboard --- */

#define KEYS 32

struct tally {
	char key[128];
	char example[WR_ID_MAX];
	int n;
};

struct failures_page {
	struct html *h;
	struct tally by_class[WR_FAIL_COUNT_];
	struct tally by_step[KEYS + 1], by_model[KEYS + 1];  /* the last: "(others)" */
	int n_step, n_model, total, shown;
};

static void tally_add(struct tally *t, int *n, const char *key, const char *run)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(t[i].key, key))
			break;
	if (i == *n) {
		if (*n < KEYS)
			(*n)++;
		else
			i = KEYS;  /* a bucket for every key past the first KEYS */
		if (!t[i].n) {
			snprintf(t[i].key, sizeof(t[i].key), "%s", i == KEYS ? "(others)" : key);
			snprintf(t[i].example, sizeof(t[i].example), "%s", run);
		}
	}
	t[i].n++;
}

static int failure_row(void *ud, const struct wr_failure_row *row)
{
	struct failures_page *p = ud;
	struct html *h = p->h;
	struct tally *c = &p->by_class[row->failure < WR_FAIL_COUNT_ ? row->failure : 0];

	p->total++;
	if (!c->n)
		snprintf(c->example, sizeof(c->example), "%s", row->run_id);
	c->n++;
	tally_add(p->by_step, &p->n_step, row->step_id[0] ? row->step_id : "(none)", row->run_id);
	tally_add(p->by_model, &p->n_model, row->model[0] ? row->model : "(no model)",
	          row->run_id);
	if (p->shown++ >= 50)
		return 0;
	html_raw(h, "<tr><td>");
	run_link(h, row->run_id);
	html_raw(h, "</td><td>");
	html_text(h, row->flow_name);
	html_raw(h, "</td><td>");
	html_text(h, wr_failure_name(row->failure));
	html_raw(h, "</td><td>");
	html_text(h, row->step_id);
	html_raw(h, "</td><td>");
	html_text(h, row->model);
	html_raw(h, "</td><td>");
	html_time(h, row->created_ms);
	html_raw(h, "</td><td>");
	html_text(h, row->message);
	html_raw(h, "</td></tr>");
	return 0;
}

static void tally_table(struct html *h, const char *title, const struct tally *t, int n)
{
	html_raw(h, "<div><h2>");
	html_text(h, title);
	html_raw(h, "</h2><table><thead><tr><th>");
	html_text(h, title);
	html_raw(h, "</th><th>Runs</th><th>Example</th></tr></thead><tbody>");
	for (int i = 0; i < n; i++) {
		if (!t[i].n)
			continue;
		html_raw(h, "<tr><td>");
		html_text(h, t[i].key);
		html_rawf(h, "</td><td class=\"num\">%d</td><td>", t[i].n);
		run_link(h, t[i].example);
		html_raw(h, "</td></tr>");
	}
	html_raw(h, "</tbody></table></div>");
}

/* "7d", "12h", "30m" before now, in epoch ms; 0 for "" (all time). */
static int parse_since(const char *s, int64_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	int64_t unit;

	*out = 0;
	if (!s[0])
		return 0;
	if (end == s || v < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	unit = end[0] == 'd' ? 86400000 : end[0] == 'h' ? 3600000 : end[0] == 'm' ? 60000 : 0;
	if (!unit)
		return -1;
	*out = (int64_t)time(NULL) * 1000 - (int64_t)v * unit;
	return 0;
}

int page_failures(struct web_req *r, struct html *h)
{
	const char *since = web_arg(r, "since"), *flow = web_arg(r, "flow");
	struct failures_page *p;
	struct html rows;
	struct wr_err err;
	int64_t since_ms;
	int status = 200;

	if (parse_since(since, &since_ms) < 0)
		return page_error(h, 400, "Bad filter", "since takes a number and d, h or m: 7d");
	if (!(p = calloc(1, sizeof(*p))))
		return page_error(h, 500, "Failures", "out of memory");
	html_page_start(h, "Failures", "/failures");
	html_raw(h, "<h1>Failures</h1><form class=\"filters\" method=\"get\" action=\"/failures\">"
	            "<label>Since<input name=\"since\" placeholder=\"7d, 12h, 30m\" value=\"");
	html_text(h, since);
	html_raw(h, "\"></label><label>Workflow<input name=\"flow\" placeholder=\"any\" value=\"");
	html_text(h, flow);
	html_raw(h, "\"></label><button type=\"submit\">Filter</button></form>");
	/* The latest 50 rows are written aside while the tallies are counted,
	 * and shown after them. */
	html_init(&rows, 4u << 20);
	p->h = &rows;
	if (wr_failures_each(r->store, since_ms, flow, failure_row, p, &err) < 0) {
		status = page_error(h, 500, "Failures", err.msg);
		goto out;
	}
	html_rawf(h, "<p class=\"meta\">%d failed run%s.</p>", p->total, p->total == 1 ? "" : "s");
	for (int i = 0; i < WR_FAIL_COUNT_; i++)
		snprintf(p->by_class[i].key, sizeof(p->by_class[i].key), "%s",
		         wr_failure_name((enum wr_failure)i));
	tally_table(h, "Failure class", p->by_class, WR_FAIL_COUNT_);
	tally_table(h, "Step", p->by_step, KEYS + 1);
	tally_table(h, "Model", p->by_model, KEYS + 1);
	html_raw(h, "<h2>Latest failed runs</h2><table><thead><tr><th>Run</th><th>Workflow</th>"
	            "<th>Failure class</th><th>Step</th><th>Model</th><th>Started</th>"
	            "<th>Message</th></tr></thead><tbody>");
	if (rows.failed)
		h->failed = 1;
	else if (rows.s)
		html_raw(h, rows.s);
	html_raw(h, "</tbody></table>");
	html_page_end(h);
out:
	html_release(&rows);
	free(p);
	return status;
}
