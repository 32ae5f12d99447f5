/* trace.c: a run's trace as a waterfall on its page: the spans of
 * wr_trace_each as nested bars on one time scale, with durations, tokens,
 * cost and failure classes. Drawn with inline SVG attributes (x, width),
 * not style attributes: the CSP allows no inline style, and needs none. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

#define TRACE_ROWS 5000     /* spans drawn; a longer trace says how many more */
#define TRACE_DEPTH 6       /* indentation levels with their own class */

struct spans {
	struct wr_span *s;
	size_t n, cap, total;
	int oom;
};

static int span_keep(void *ud, const struct wr_span *s)
{
	struct spans *v = ud;

	v->total++;
	if (v->n == TRACE_ROWS)
		return 0;  /* counted, not drawn */
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		struct wr_span *p = realloc(v->s, cap * sizeof(*p));

		if (!p) {
			v->oom = 1;
			return 1;
		}
		v->s = p;
		v->cap = cap;
	}
	v->s[v->n++] = *s;
	return 0;
}

static void span_duration(struct html *h, int64_t d)
{
	if (d < 1000)
		html_rawf(h, "%" PRId64 " us", d);
	else if (d < 1000000)
		html_rawf(h, "%.2f ms", (double)d / 1e3);
	else if (d < 120000000)
		html_rawf(h, "%.2f s", (double)d / 1e6);
	else
		html_rawf(h, "%.1f min", (double)d / 6e7);
}

/* Span ids are 1, 2, ... in the order given, so a parent's depth is known
 * by the time its children come. */
static int span_depth(const struct spans *v, const struct wr_span *s)
{
	int d = 0;

	while (s->parent > 0 && (size_t)s->parent <= v->n && d < 16) {
		s = &v->s[s->parent - 1];
		d++;
	}
	return d;
}

/* One span's bar: x and width in thousandths of the run's time. */
static void span_bar(struct html *h, const struct wr_span *s, int64_t t0, int64_t t1,
                     int failed)
{
	double scale = t1 > t0 ? 1000.0 / (double)(t1 - t0) : 0;
	double x = (double)(s->start_us - t0) * scale, w = (double)(s->end_us - s->start_us) * scale;

	if (x < 0)
		x = 0;
	if (x > 998)
		x = 998;
	if (w < 2)
		w = 2;  /* a span too short to see is still a mark */
	if (x + w > 1000)
		w = 1000 - x;
	html_raw(h, "<svg class=\"bar\" viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\" "
	            "aria-hidden=\"true\"><rect class=\"k-");
	html_text(h, failed ? "failed" : s->kind);
	html_rawf(h, "\" x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"10\"/></svg>", x, w);
}

static void span_row(struct html *h, const struct spans *v, const struct wr_span *s,
                     int64_t t0, int64_t t1)
{
	int failed = s->failure != WR_FAIL_NONE || !strcmp(s->status, "failed");
	int d = span_depth(v, s);

	html_rawf(h, "<tr class=\"span%s\"><td class=\"name d%d\">", failed ? " failed" : "",
	          d < TRACE_DEPTH ? d : TRACE_DEPTH - 1);
	html_text(h, s->name);
	if (!strcmp(s->kind, "step") && s->step_kind[0]) {
		html_raw(h, " <span class=\"meta\">(");
		html_text(h, s->step_kind);
		html_raw(h, ")</span>");
	}
	if (s->artifact[0]) {
		html_raw(h, " <a class=\"meta\" href=\"/artifact/");
		html_url(h, s->artifact);
		html_raw(h, "\" title=\"why: the artifact's chain of custody\">");
		html_textn(h, s->artifact, 8);
		html_raw(h, "</a>");
	}
	html_raw(h, "</td><td class=\"wf\">");
	span_bar(h, s, t0, t1, failed);
	html_raw(h, "</td><td class=\"num\">");
	span_duration(h, s->end_us - s->start_us);
	html_raw(h, "</td><td class=\"num\">");
	if (s->tokens_in || s->tokens_out)
		html_rawf(h, "%" PRId64 " &rarr; %" PRId64, s->tokens_in, s->tokens_out);
	html_raw(h, "</td><td class=\"num\">");
	if (!strcmp(s->kind, "call") || !strcmp(s->kind, "run"))
		html_rawf(h, "$%.6f", s->cost_usd);
	html_raw(h, "</td><td>");
	if (failed)
		html_badge(h, s->failure != WR_FAIL_NONE ? wr_failure_name(s->failure) : "failed");
	else
		html_badge(h, s->status);
	html_raw(h, "</td><td class=\"ev\">");
	if (s->model[0]) {
		html_text(h, s->model);
		html_raw(h, " ");
	}
	html_text(h, s->detail);
	html_raw(h, "</td></tr>");
}

int html_trace(struct html *h, struct wr_store *store, const char *run_id, struct wr_err *err)
{
	struct spans v = { 0 };
	int64_t t0, t1;
	int rc;

	if ((rc = wr_trace_each(store, run_id, span_keep, &v, err)) < 0)
		goto out;
	if (v.oom) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		rc = err->code = WR_ENOMEM;
		goto out;
	}
	if (!v.n) {
		html_raw(h, "<p class=\"meta\">No spans recorded.</p>");
		goto out;
	}
	/* One time scale: from the earliest start to the latest end. */
	t0 = v.s[0].start_us;
	t1 = v.s[0].end_us;
	for (size_t i = 1; i < v.n; i++) {
		if (v.s[i].start_us < t0)
			t0 = v.s[i].start_us;
		if (v.s[i].end_us > t1)
			t1 = v.s[i].end_us;
	}
	html_raw(h, "<table class=\"trace\"><thead><tr><th>Span</th><th class=\"wf\">0");
	html_raw(h, "<span class=\"scale\">");
	span_duration(h, t1 - t0);
	html_raw(h, "</span></th><th>Time</th><th>Tokens</th><th>Cost</th><th>Status</th>"
	            "<th>Model, detail</th></tr></thead><tbody>");
	for (size_t i = 0; i < v.n; i++)
		span_row(h, &v, &v.s[i], t0, t1);
	html_raw(h, "</tbody></table>");
	if (v.total > v.n)
		html_rawf(h, "<p class=\"meta\">The first %zu of %zu spans are drawn; "
		          "<code>warrant trace RUN --json</code> has them all.</p>", v.n, v.total);
out:
	free(v.s);
	return rc;
}
