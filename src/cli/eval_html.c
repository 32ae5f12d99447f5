/* eval_html.c: warrant eval --html FILE: the report as one self-contained
 * HTML file, charts in inline SVG, no scripts, nothing fetched. Every
 * string from the suite (names of cases, variants, the suite) is escaped. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

static const char *vname(const struct wr_eval_report *r, int v)
{
	return r->variants[v].name[0] ? r->variants[v].name : "(as written)";
}

/* Pass rate per variant: a bar, and the Wilson interval as a whisker. */
static void chart_rates(FILE *f, const struct wr_eval_report *r)
{
	int row = 28, left = 160, width = 400, h = 30 + row * r->n_variants;

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "role=\"img\" aria-label=\"pass rate per variant\">\n", left + width + 80, h);
	for (int t = 0; t <= 4; t++)
		fprintf(f, "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
		        "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d%%</text>\n",
		        left + t * width / 4, left + t * width / 4, h - 14, left + t * width / 4,
		        h - 2, t * 25);
	for (int v = 0; v < r->n_variants; v++) {
		const struct wr_eval_variant *x = &r->variants[v];
		int y = 10 + v * row;

		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", left - 6,
		        y + 15);
		esc(f, vname(r, v));
		fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%s\">"
		        "<title>%.1f%% (%d/%d), 95%% interval %.1f%%..%.1f%%</title></rect>\n", left,
		        y + 2, width * x->rate, x->threshold_met ? "#4a8" : "#c55", 100 * x->rate,
		        x->passed, x->runs, 100 * x->lo, 100 * x->hi);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\" "
		        "stroke-width=\"2\"/>\n", left + width * x->lo, y + 11, left + width * x->hi,
		        y + 11);
		if (x->threshold > 0)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#00c\" "
			        "stroke-dasharray=\"3,2\"/>\n", left + width * x->threshold, y,
			        left + width * x->threshold, y + 22);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.1f%%</text>\n",
		        left + width + 6, y + 15, 100 * x->rate);
	}
	fputs("</svg>\n", f);
}

/* Failure classes: one row per class and variant. */
static void chart_failures(FILE *f, const struct wr_eval_report *r)
{
	int rows = 0, max = 1, row = 20, left = 260, width = 300, y = 6;

	for (int c = 1; c < WR_FAIL_COUNT_; c++)
		for (int v = 0; v < r->n_variants; v++)
			if (r->variants[v].by_failure[c]) {
				rows++;
				if (r->variants[v].by_failure[c] > max)
					max = r->variants[v].by_failure[c];
			}
	if (!rows) {
		fputs("<p>No failures.</p>\n", f);
		return;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "role=\"img\" aria-label=\"failure classes\">\n", left + width + 60,
	        rows * row + 12);
	for (int c = 1; c < WR_FAIL_COUNT_; c++)
		for (int v = 0; v < r->n_variants; v++) {
			int n = r->variants[v].by_failure[c];

			if (!n)
				continue;
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s ",
			        left - 6, y + 13, wr_failure_name((enum wr_failure)c));
			if (r->n_variants > 1) {
				fputs("[", f);
				esc(f, vname(r, v));
				fputs("]", f);
			}
			fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" "
			        "fill=\"#c85\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\">%d</text>\n",
			        left, y + 2, (double)width * n / max, left + (double)width * n / max + 4,
			        y + 13, n);
			y += row;
		}
	fputs("</svg>\n", f);
}

/* --- distributions: a box plot per variant --- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n), by linear interpolation. */
static double quantile(const double *v, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* One row per variant: whiskers min..max, a box p25..p75, the median, and
 * p95 as a dot; values of run j are vals[v * per + k]. */
static void chart_box(FILE *f, const struct wr_eval_report *r, const double *vals,
                      const char *what, const char *unit, double scale)
{
	int per = r->runs / (r->n_variants ? r->n_variants : 1), row = 28, left = 160;
	int width = 400, h = 30 + row * r->n_variants;
	double max = 0, *sorted = per > 0 ? malloc((size_t)per * sizeof(*sorted)) : NULL;

	if (!sorted) {
		fputs("<p>No runs.</p>\n", f);
		return;
	}
	for (int j = 0; j < r->runs; j++)
		if (vals[j] * scale > max)
			max = vals[j] * scale;
	if (max <= 0)
		max = 1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "role=\"img\" aria-label=\"%s per run\">\n", left + width + 120, h, what);
	for (int t = 0; t <= 4; t++)
		fprintf(f, "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
		        "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.3g %s</text>\n",
		        left + t * width / 4, left + t * width / 4, h - 14, left + t * width / 4,
		        h - 2, max * t / 4, unit);
	for (int v = 0; v < r->n_variants; v++) {
		double q0, q25, q50, q75, q95, q100, k = width / max;
		int y = 10 + v * row;

		for (int j = 0; j < per; j++)
			sorted[j] = vals[v * per + j] * scale;
		qsort(sorted, (size_t)per, sizeof(*sorted), cmp_double);
		q0 = sorted[0];
		q25 = quantile(sorted, per, 0.25);
		q50 = quantile(sorted, per, 0.5);
		q75 = quantile(sorted, per, 0.75);
		q95 = quantile(sorted, per, 0.95);
		q100 = sorted[per - 1];
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", left - 6,
		        y + 15);
		esc(f, vname(r, v));
		fprintf(f, "</text>\n<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		        "stroke=\"#222\"/>\n", left + k * q0, y + 11, left + k * q100, y + 11);
		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"#8ac\">"
		        "<title>min %.3g, p25 %.3g, median %.3g, p75 %.3g, p95 %.3g, max %.3g %s"
		        "</title></rect>\n", left + k * q25, y + 2, k * (q75 - q25) > 1 ?
		        k * (q75 - q25) : 1, q0, q25, q50, q75, q95, q100, unit);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" "
		        "stroke-width=\"2\"/><circle cx=\"%.1f\" cy=\"%d\" r=\"3\" fill=\"#c55\"/>\n",
		        left + k * q50, y + 2, left + k * q50, y + 20, left + k * q95, y + 11);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">median %.3g, p95 %.3g %s"
		        "</text>\n", left + width + 6, y + 15, q50, q95, unit);
	}
	fputs("</svg>\n", f);
	free(sorted);
}

int eval_html_write(const char *path, const struct wr_eval_report *r)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>eval ", f);
	esc(f, r->suite);
	fputs("</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
	      "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;"
	      "border-bottom:1px solid #eee}.miss{color:#b22}</style></head><body>\n<h1>", f);
	esc(f, r->suite);
	fprintf(f, "</h1>\n<p>%d cases &times; %d repeats &times; %d variant%s = %d runs in "
	        "%.2f s; %lld model calls; $%.6f. Overall %.1f%% (%d/%d), 95%% interval "
	        "%.1f%%..%.1f%%; threshold %s.</p>\n", r->cases, r->repeats, r->n_variants,
	        r->n_variants == 1 ? "" : "s", r->runs, r->seconds, (long long)r->calls,
	        r->cost_usd, 100 * r->rate, r->passed, r->runs, 100 * r->lo, 100 * r->hi,
	        r->threshold_met ? "met" : "NOT met");
	fputs("<h2>Pass rate per variant (bar), 95% Wilson interval (whisker), threshold "
	      "(dashed)</h2>\n", f);
	chart_rates(f, r);
	if (r->n_compares) {
		fputs("<h2>Variants compared (same cases, same seeds; exact McNemar)</h2>\n"
		      "<table><tr><th>B vs A</th><th>effect</th><th>only A</th><th>only B</th>"
		      "<th>p</th></tr>\n", f);
		for (int i = 0; i < r->n_compares; i++) {
			const struct wr_eval_compare *c = &r->compares[i];

			fputs("<tr><td>", f);
			esc(f, vname(r, c->b));
			fputs(" vs ", f);
			esc(f, vname(r, c->a));
			fprintf(f, "</td><td>%+.1f points</td><td>%d</td><td>%d</td><td>%.4g%s</td></tr>\n",
			        100 * c->diff, c->a_only, c->b_only, c->p_value,
			        c->p_value < 0.05 ? " (significant)" : "");
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>Failure classes</h2>\n", f);
	chart_failures(f, r);
	fputs("<h2>Latency per run (box p25..p75, median, p95 dot, whiskers min..max)</h2>\n", f);
	chart_box(f, r, r->run_seconds, "latency", "ms", 1000);
	fputs("<h2>Cost per run</h2>\n", f);
	chart_box(f, r, r->run_cost, "cost", "USD", 1);
	fputs("<h2>Cases</h2>\n<table><tr><th>variant</th><th>case</th><th>met</th>"
	      "<th>failure</th><th>example run</th></tr>\n", f);
	for (int i = 0; i < r->n_case_results; i++) {
		const struct wr_eval_case *c = &r->case_results[i];

		fprintf(f, "<tr%s><td>", c->passed < c->runs ? " class=\"miss\"" : "");
		esc(f, vname(r, c->variant));
		fputs("</td><td>", f);
		esc(f, c->name);
		fprintf(f, "</td><td>%d/%d</td><td>%s</td><td>", c->passed, c->runs,
		        c->failure ? wr_failure_name(c->failure) : "-");
		esc(f, c->example_run);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</body></html>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}
