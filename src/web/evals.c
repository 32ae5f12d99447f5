/* evals.c: the eval reports saved in `warrant serve --reports DIR` (the
 * JSON of `warrant eval --json`, one file a report): /evals lists them,
 * /evals/NAME shows one: the pass rate with its interval, pass@1 and
 * pass@k, the threshold, usage, the failure classes and every case. Only
 * regular files named [A-Za-z0-9._-]*.json directly in DIR are read; their
 * content is untrusted and escaped like everything else. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "web/web.h"

#define REPORT_MAX (4u << 20)   /* bytes of one report file */
#define REPORTS_LISTED 200

int web_report_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 6 || n > 64 || s[0] == '.' || strcmp(s + n - 5, ".json") != 0)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* A report file parsed, or NULL with why in msg. Regular files only,
 * opened without blocking. */
static json_t *report_load(const char *dir, const char *name, int64_t *mtime_ms, char *msg,
                           size_t msg_size)
{
	char path[4096 + 80];
	struct stat st;
	json_t *doc = NULL;
	json_error_t jerr;
	FILE *f;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		snprintf(msg, msg_size, "no such report");
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)REPORT_MAX ||
	    !(f = fdopen(fd, "rb"))) {
		snprintf(msg, msg_size, "not a report file (a regular file of 4 MiB at most)");
		close(fd);
		return NULL;
	}
	*mtime_ms = (int64_t)st.st_mtime * 1000;
	doc = json_loadf(f, 0, &jerr);
	fclose(f);
	if (!doc || !json_is_object(doc)) {
		snprintf(msg, msg_size, "not an eval report (warrant eval --json): %.80s",
		         doc ? "not an object" : jerr.text);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const char *js(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static double jn(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void report_rate(struct html *h, const json_t *r)
{
	const json_t *ci = json_object_get(r, "ci95");

	html_rawf(h, "<b>%.1f%%</b> <span class=\"meta\">(%" PRId64 "/%" PRId64 "; 95%% interval "
	          "%.1f&ndash;%.1f%%)</span>", 100 * jn(r, "pass_rate"),
	          (int64_t)jn(r, "passed"), (int64_t)jn(r, "runs"),
	          100 * json_number_value(json_array_get(ci, 0)),
	          100 * json_number_value(json_array_get(ci, 1)));
}

static void report_threshold(struct html *h, const json_t *r)
{
	if (jn(r, "threshold") <= 0)
		return;
	html_rawf(h, "threshold %.3f ", jn(r, "threshold"));
	html_badge(h, json_is_true(json_object_get(r, "threshold_met")) ? "met" : "missed");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int page_evals(struct web_req *r, struct html *h)
{
	char *names[REPORTS_LISTED];
	int n = 0;
	struct dirent *e;
	DIR *d;

	html_page_start(h, "Evals", "/evals");
	html_raw(h, "<h1>Eval reports</h1>");
	if (!r->reports_dir[0]) {
		html_raw(h, "<p class=\"meta\">No reports folder: start the desk with "
		            "<code>warrant serve --reports DIR</code> and save reports there with "
		            "<code>warrant eval SUITE --json &gt; DIR/NAME.json</code>.</p>");
		html_page_end(h);
		return 200;
	}
	if (!(d = opendir(r->reports_dir)))
		return page_error(h, 500, "Evals", "the reports folder cannot be read");
	while ((e = readdir(d)) && n < REPORTS_LISTED)
		if (web_report_name_ok(e->d_name) && (names[n] = strdup(e->d_name)))
			n++;
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), name_cmp);
	html_raw(h, "<table><thead><tr><th>Report</th><th>Suite</th><th>Saved</th><th>Pass rate"
	            "</th><th>Cases &times; repeats</th><th>Flaky</th><th>Threshold</th><th>Cost"
	            "</th></tr></thead><tbody>");
	for (int i = 0; i < n; i++) {
		char msg[160];
		int64_t mtime = 0;
		json_t *rep = report_load(r->reports_dir, names[i], &mtime, msg, sizeof(msg));

		html_raw(h, "<tr><td><a href=\"/evals/");
		html_url(h, names[i]);
		html_raw(h, "\"><code>");
		html_text(h, names[i]);
		html_raw(h, "</code></a></td>");
		if (!rep) {
			html_raw(h, "<td colspan=\"7\" class=\"meta\">");
			html_text(h, msg);
			html_raw(h, "</td></tr>");
		} else {
			html_raw(h, "<td>");
			html_text(h, js(rep, "suite"));
			html_raw(h, "</td><td>");
			html_time(h, mtime);
			html_raw(h, "</td><td>");
			report_rate(h, rep);
			html_rawf(h, "</td><td class=\"num\">%" PRId64 " &times; %" PRId64 "</td>"
			          "<td class=\"num\">%" PRId64 "</td><td>", (int64_t)jn(rep, "cases"),
			          (int64_t)jn(rep, "repeats"), (int64_t)jn(rep, "flaky"));
			report_threshold(h, rep);
			html_rawf(h, "</td><td class=\"num\">$%.4f</td></tr>", jn(rep, "cost_usd"));
		}
		json_decref(rep);
		free(names[i]);
	}
	html_raw(h, "</tbody></table>");
	if (!n)
		html_raw(h, "<p class=\"meta\">No reports yet (files named NAME.json).</p>");
	html_page_end(h);
	return 200;
}

int page_eval(struct web_req *r, const char *name, struct html *h)
{
	char msg[160];
	int64_t mtime = 0;
	json_t *rep, *v, *c;
	const char *k;
	size_t i;

	if (!r->reports_dir[0] || !web_report_name_ok(name))
		return page_error(h, 404, "Report not found", "no such report");
	if (!(rep = report_load(r->reports_dir, name, &mtime, msg, sizeof(msg))))
		return page_error(h, 404, "Report not found", msg);
	html_page_start(h, name, "/evals");
	html_raw(h, "<h1>Eval <code>");
	html_text(h, js(rep, "suite"));
	html_raw(h, "</code></h1><div class=\"card\"><div>Pass rate ");
	report_rate(h, rep);
	html_rawf(h, "</div><div>pass@1 %.3f, pass@k %.3f (k = %" PRId64 " repeats), %" PRId64
	          " flaky case%s</div><div>", jn(rep, "pass_at_1"), jn(rep, "pass_at_k"),
	          (int64_t)jn(rep, "repeats"), (int64_t)jn(rep, "flaky"),
	          (int64_t)jn(rep, "flaky") == 1 ? "" : "s");
	report_threshold(h, rep);
	html_rawf(h, "</div><div class=\"meta\">%" PRId64 " calls, %" PRId64 " tokens in, %" PRId64
	          " out, $%.6f, %.3f s; saved ", (int64_t)jn(rep, "calls"),
	          (int64_t)jn(rep, "tokens_in"), (int64_t)jn(rep, "tokens_out"),
	          jn(rep, "cost_usd"), jn(rep, "seconds"));
	html_time(h, mtime);
	html_raw(h, " as <code>");
	html_text(h, name);
	html_raw(h, "</code></div></div><h2>Failure classes</h2><table><thead><tr><th>Class</th>"
	            "<th>Runs</th></tr></thead><tbody>");
	json_object_foreach(json_object_get(rep, "failures"), k, v) {
		html_raw(h, "<tr><td>");
		html_text(h, k);
		html_rawf(h, "</td><td class=\"num\">%" PRId64 "</td></tr>", (int64_t)json_number_value(v));
	}
	html_raw(h, "</tbody></table><h2>Cases</h2><table><thead><tr><th>Case</th><th>Passed</th>"
	            "<th>Most frequent failure class</th><th>Example run</th></tr></thead><tbody>");
	json_array_foreach(json_object_get(rep, "case_results"), i, c) {
		int64_t runs = (int64_t)jn(c, "runs"), passed = (int64_t)jn(c, "passed");

		html_rawf(h, "<tr class=\"%s\"><td>", passed < runs ? "span failed" : "");
		html_text(h, js(c, "name"));
		html_rawf(h, "</td><td class=\"num\">%" PRId64 "/%" PRId64 "</td><td>", passed, runs);
		if (strcmp(js(c, "failure"), "none") != 0)
			html_text(h, js(c, "failure"));
		html_raw(h, "</td><td>");
		if (web_id_ok(js(c, "example_run"))) {
			html_raw(h, "<a href=\"/runs/");
			html_url(h, js(c, "example_run"));
			html_raw(h, "\"><code>");
			html_text(h, js(c, "example_run"));
			html_raw(h, "</code></a>");
		}
		html_raw(h, "</td></tr>");
	}
	html_raw(h, "</tbody></table><p class=\"meta\">Example runs are in the suite's store "
	            "(<code>.warrant/eval.db</code> beside it): they open here when the desk serves "
	            "that store.</p>");
	html_page_end(h);
	json_decref(rep);
	return 200;
}
