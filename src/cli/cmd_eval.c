/* cmd_eval.c: warrant eval SUITE.yaml: a workflow over many cases, with
 * statistics that respect output that varies. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant eval SUITE.yaml [options]\n"
	"\n"
	"Runs every case of the suite through its workflow, `repeats` times each,\n"
	"stopping each run before any approve or ship step, and reports the pass\n"
	"rate with its 95% (Wilson) interval, pass@1 and pass@k, flaky cases and\n"
	"the failure classes. With variants, each variant runs every case and\n"
	"each pair is compared on the same cases and seeds (exact McNemar).\n"
	"Exit 0 when the interval's lower bound reaches the threshold (or,\n"
	"without one, when every run met its case's expectation), for every\n"
	"variant; 3 when not, 2 for a bad suite.\n"
	"\n"
	"options:\n"
	"  -n, --repeats N        runs per case (default: the suite's, else 1)\n"
	"  -j, --concurrency N    runs at once (default: the suite's, else 1)\n"
	"      --cache            answer repeated model requests from recorded exchanges\n"
	"      --json             the report as JSON\n"
	"      --junit FILE       also write a JUnit XML report (one test per case)\n"
	"      --html FILE        also write one self-contained HTML report (SVG charts)\n"
	"      --store PATH       where the runs go (default: .warrant/eval.db beside the suite)\n"
	"      --submit           queue the runs as jobs in the store for `warrant worker`s\n"
	"                         (on any machine sharing a PostgreSQL store) and wait for\n"
	"                         them; the store: --store, else $WARRANT_STORE\n"
	"      --save-baseline NAME  keep this report in the store as a baseline\n"
	"      --against NAME     compare with a baseline: runs paired by case and repeat,\n"
	"                         exact McNemar; a significant regression exits 3; model\n"
	"                         (api_model, fingerprint) and workflow changes are listed\n"
	"  -h, --help             this help\n";

struct progress {
	int tty;
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *ud, int done, int total)
{
	struct progress *p = ud;
	double spent = now() - p->t0, eta = done ? spent * (total - done) / done : 0;
	int width = 30, filled = total ? width * done / total : width;

	if (!p->tty)
		return;
	fprintf(stderr, "\r[%.*s%*s] %d/%d  %3d%%  ETA %.0fs ", filled,
	        "##############################", width - filled, "", done, total,
	        total ? 100 * done / total : 100, eta);
	if (done == total)
		fputs("\r\033[K", stderr);
}

static void xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

static int write_junit(const char *path, const struct wr_eval_report *r)
{
	FILE *f = fopen(path, "w");
	int failures = 0;

	if (!f)
		return -1;
	for (int i = 0; i < r->n_case_results; i++)
		failures += r->case_results[i].passed < r->case_results[i].runs;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"");
	xml(f, r->suite);
	fprintf(f, "\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n", r->n_case_results,
	        failures, r->seconds);
	for (int i = 0; i < r->n_case_results; i++) {
		const struct wr_eval_case *c = &r->case_results[i];
		const char *variant = r->variants[c->variant].name;

		fprintf(f, "  <testcase classname=\"");
		xml(f, r->suite);
		if (*variant) {
			fputc('.', f);
			xml(f, variant);
		}
		fprintf(f, "\" name=\"");
		xml(f, c->name);
		fprintf(f, "\">");
		if (c->passed < c->runs) {
			fprintf(f, "<failure message=\"%d of %d runs met the expectation; %s; e.g. run ",
			        c->passed, c->runs, wr_failure_name(c->failure));
			xml(f, c->example_run);
			if (c->detail[0]) {
				fputs("; ", f);
				xml(f, c->detail);
			}
			fprintf(f, "\"/>");
		}
		fprintf(f, "</testcase>\n");
	}
	fprintf(f, "</testsuite>\n");
	return fclose(f) == 0 ? 0 : -1;
}

static void print_drift_json(const struct wr_eval_drift *d)
{
	printf(",\"drift\":{\"baseline\":");
	cli_json_str(stdout, d->baseline);
	printf(",\"saved_ms\":%" PRId64 ",\"regressed\":%s,\"models_changed\":%s,"
	       "\"variants\":[", d->saved_ms, d->regressed ? "true" : "false",
	       d->models_changed ? "true" : "false");
	for (int v = 0; v < d->n_variants; v++) {
		const struct wr_eval_drift_variant *x = &d->variants[v];

		printf("%s{\"name\":", v ? "," : "");
		cli_json_str(stdout, x->name);
		printf(",\"paired\":%d,\"lost\":%d,\"gained\":%d,\"rate_then\":%.6f,"
		       "\"rate_now\":%.6f,\"p_value\":%.6g,\"regressed\":%s,"
		       "\"version_changed\":%s}", x->paired, x->lost, x->gained, x->rate_then,
		       x->rate_now, x->p_value, x->regressed ? "true" : "false",
		       x->version_changed ? "true" : "false");
	}
	printf("],\"notes\":[");
	for (int i = 0; i < d->n_notes; i++) {
		printf("%s", i ? "," : "");
		cli_json_str(stdout, d->notes[i]);
	}
	printf("]}");
}

static void print_drift_text(const struct wr_eval_drift *d)
{
	const char *red = cli_color(stdout, "\033[31m"), *off = cli_color(stdout, "\033[0m");

	printf("\nagainst baseline '%s':\n", d->baseline);
	for (int v = 0; v < d->n_variants; v++) {
		const struct wr_eval_drift_variant *x = &d->variants[v];

		printf("  %s%s%.1f%% then, %.1f%% now over %d paired runs (%d lost, %d gained); "
		       "exact McNemar p = %.4g: %s%s%s\n", x->name, *x->name ? ": " : "",
		       100 * x->rate_then, 100 * x->rate_now, x->paired, x->lost, x->gained,
		       x->p_value, x->regressed ? red : "",
		       x->regressed ? "REGRESSED" : "no significant regression", off);
	}
	for (int i = 0; i < d->n_notes; i++)
		printf("  - %s\n", d->notes[i]);
	if (d->models_changed)
		printf("  the models changed since the baseline (see above)\n");
}

static void print_json(const struct wr_eval_report *r, const struct wr_eval_drift *d)
{
	printf("{\"suite\":");
	cli_json_str(stdout, r->suite);
	printf(",\"cases\":%d,\"repeats\":%d,\"runs\":%d,\"passed\":%d,\"pass_rate\":%.6f,"
	       "\"ci95\":[%.6f,%.6f],\"pass_at_1\":%.6f,\"pass_at_k\":%.6f,\"flaky\":%d,"
	       "\"threshold\":%.6f,\"threshold_met\":%s,\"calls\":%" PRId64 ",\"tokens_in\":%"
	       PRId64 ",\"tokens_out\":%" PRId64 ",\"cost_usd\":%.6f,\"seconds\":%.3f,"
	       "\"failures\":{", r->cases, r->repeats, r->runs, r->passed, r->rate, r->lo,
	       r->hi, r->pass_at_1, r->pass_at_k, r->flaky, r->threshold,
	       r->threshold_met ? "true" : "false", r->calls, r->tokens_in, r->tokens_out,
	       r->cost_usd, r->seconds);
	for (int f = 1, first = 1; f < WR_FAIL_COUNT_; f++) {
		if (!r->by_failure[f])
			continue;
		printf("%s\"%s\":%d", first ? "" : ",", wr_failure_name((enum wr_failure)f),
		       r->by_failure[f]);
		first = 0;
	}
	printf("},\"variants\":[");
	for (int v = 0; v < r->n_variants; v++) {
		const struct wr_eval_variant *x = &r->variants[v];

		printf("%s{\"name\":", v ? "," : "");
		cli_json_str(stdout, x->name);
		printf(",\"flow_hash\":\"%s\",\"runs\":%d,\"passed\":%d,\"pass_rate\":%.6f,"
		       "\"ci95\":[%.6f,%.6f],\"flaky\":%d,\"threshold\":%.6f,\"threshold_met\":%s,"
		       "\"failures\":{", x->flow_hash, x->runs, x->passed, x->rate, x->lo, x->hi,
		       x->flaky, x->threshold, x->threshold_met ? "true" : "false");
		for (int f = 1, first = 1; f < WR_FAIL_COUNT_; f++) {
			if (!x->by_failure[f])
				continue;
			printf("%s\"%s\":%d", first ? "" : ",",
			       wr_failure_name((enum wr_failure)f), x->by_failure[f]);
			first = 0;
		}
		printf("}}");
	}
	printf("],\"compares\":[");
	for (int i = 0; i < r->n_compares; i++) {
		const struct wr_eval_compare *c = &r->compares[i];

		printf("%s{\"a\":", i ? "," : "");
		cli_json_str(stdout, r->variants[c->a].name);
		printf(",\"b\":");
		cli_json_str(stdout, r->variants[c->b].name);
		printf(",\"a_only\":%d,\"b_only\":%d,\"p_value\":%.6g,\"diff\":%.6f}",
		       c->a_only, c->b_only, c->p_value, c->diff);
	}
	printf("],\"case_results\":[");
	for (int i = 0; i < r->n_case_results; i++) {
		const struct wr_eval_case *c = &r->case_results[i];

		printf("%s{\"name\":", i ? "," : "");
		cli_json_str(stdout, c->name);
		printf(",\"variant\":");
		cli_json_str(stdout, r->variants[c->variant].name);
		printf(",\"runs\":%d,\"passed\":%d,\"failure\":\"%s\",\"example_run\":\"%s\","
		       "\"detail\":", c->runs, c->passed, wr_failure_name(c->failure), c->example_run);
		cli_json_str(stdout, c->detail);
		putchar('}');
	}
	printf("]");
	if (d)
		print_drift_json(d);
	printf("}\n");
}

/* Per variant: pass rate, interval, failure classes, threshold; then each
 * pair compared on the same cases and seeds. */
static void print_variants(const struct wr_eval_report *r)
{
	printf("\n%-20s %9s %7s  %-15s %-10s %s\n", "VARIANT", "RUNS", "RATE", "95% INTERVAL",
	       "THRESHOLD", "FAILURES");
	for (int v = 0; v < r->n_variants; v++) {
		const struct wr_eval_variant *x = &r->variants[v];
		char t[24];
		int any = 0;

		if (x->threshold > 0)
			snprintf(t, sizeof(t), "%.2f %s", x->threshold, x->threshold_met ? "met" : "NOT");
		else
			snprintf(t, sizeof(t), "%s", x->threshold_met ? "all met" : "NOT ALL");
		printf("%-20.20s %4d/%-4d %6.1f%%  %5.1f%%..%5.1f%%  %-10s ", x->name, x->passed,
		       x->runs, 100 * x->rate, 100 * x->lo, 100 * x->hi, t);
		for (int f = 1; f < WR_FAIL_COUNT_; f++)
			if (x->by_failure[f]) {
				printf("%s%s %d", any ? ", " : "", wr_failure_name((enum wr_failure)f),
				       x->by_failure[f]);
				any = 1;
			}
		printf("%s\n", any ? "" : "none");
	}
	for (int i = 0; i < r->n_compares; i++) {
		const struct wr_eval_compare *c = &r->compares[i];

		printf("%s vs %s: %+.1f points (%d pairs met only under %s, %d only under %s); "
		       "exact McNemar p = %.4g%s\n", r->variants[c->b].name, r->variants[c->a].name,
		       100 * c->diff, c->b_only, r->variants[c->b].name, c->a_only,
		       r->variants[c->a].name, c->p_value, c->p_value < 0.05 ? " (significant)" : "");
	}
}

static void print_text(const struct wr_eval_report *r)
{
	const char *red = cli_color(stdout, "\033[31m"), *off = cli_color(stdout, "\033[0m");
	int any = 0;

	printf("suite %s: %d cases x %d = %d runs in %.2f s; %" PRId64 " model calls, %" PRId64
	       " -> %" PRId64 " tokens, $%.6f\n", r->suite, r->cases, r->repeats, r->runs,
	       r->seconds, r->calls, r->tokens_in, r->tokens_out, r->cost_usd);
	printf("pass rate %.1f%% (%d/%d), 95%% interval %.1f%%..%.1f%%; pass@1 %.3f, pass@%d "
	       "%.3f; %d flaky case%s\n", 100 * r->rate, r->passed, r->runs, 100 * r->lo,
	       100 * r->hi, r->pass_at_1, r->repeats, r->pass_at_k, r->flaky,
	       r->flaky == 1 ? "" : "s");
	printf("failures:");
	for (int f = 1; f < WR_FAIL_COUNT_; f++)
		if (r->by_failure[f]) {
			printf("%s %s %d", any ? "," : "", wr_failure_name((enum wr_failure)f),
			       r->by_failure[f]);
			any = 1;
		}
	printf("%s\n", any ? "" : " none");
	if (r->n_variants > 1)
		print_variants(r);
	printf("\n%-32s %7s  %-18s %s\n", "CASE", "MET", "FAILURE", "EXAMPLE RUN");
	for (int i = 0; i < r->n_case_results; i++) {
		const struct wr_eval_case *c = &r->case_results[i];
		int miss = c->passed < c->runs;

		if (r->n_variants > 1 && (i == 0 || c->variant != r->case_results[i - 1].variant))
			printf("[%s]\n", r->variants[c->variant].name);
		printf("%-32.32s %s%3d/%-3d%s  %-18s %s\n", c->name, miss ? red : "", c->passed,
		       c->runs, off, c->failure ? wr_failure_name(c->failure) : "-", c->example_run);
		if (miss && c->detail[0])
			printf("    %s\n", c->detail);
	}
	if (r->threshold > 0 && r->n_variants == 1)
		printf("\nthreshold %.3f on the interval's lower bound (%.3f): %s\n", r->threshold,
		       r->lo, r->threshold_met ? "met" : "NOT MET");
}

int cmd_eval(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repeats", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'j' },
		{ "cache", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'J' },
		{ "junit", required_argument, NULL, 'u' },
		{ "store", required_argument, NULL, 's' },
		{ "save-baseline", required_argument, NULL, 'B' },
		{ "against", required_argument, NULL, 'A' },
		{ "html", required_argument, NULL, 'H' },
		{ "submit", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wr_eval_params p = { 0 };
	struct wr_eval_report *r = NULL;
	struct wr_eval_drift *drift = NULL;
	struct wr_suite *suite = NULL;
	const char *save = NULL, *against = NULL, *html = NULL;
	struct progress pr = { 0, 0 };
	struct wr_err err;
	const char *junit = NULL;
	char *end;
	long v;
	int c, rc, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'j':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > (c == 'n' ? 1000 : 256))
				return cli_fail(WR_EXIT_USAGE, "--%s takes 1..%d, not '%s'",
				                c == 'n' ? "repeats" : "concurrency", c == 'n' ? 1000 : 256,
				                optarg);
			*(c == 'n' ? &p.repeats : &p.concurrency) = (int)v;
			break;
		case 'c': p.cache = 1; break;
		case 'J': json = 1; break;
		case 'u': junit = optarg; break;
		case 's': p.store_path = optarg; break;
		case 'B': save = optarg; break;
		case 'A': against = optarg; break;
		case 'H': html = optarg; break;
		case 'S': p.via_jobs = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, optind >= argc ? "which suite? give SUITE.yaml"
		                                              : "one suite at a time");
	}
	if (p.via_jobs && !p.store_path && getenv("WARRANT_STORE") && getenv("WARRANT_STORE")[0])
		p.store_path = getenv("WARRANT_STORE");
	if (wr_suite_load(argv[optind], &suite, &err) < 0)
		return cli_fail(err.code == WR_EIO ? WR_EXIT_USAGE : cli_exit_for(err.code), "%s",
		                err.msg);
	pr.tty = isatty(STDERR_FILENO);
	pr.t0 = now();
	p.on_progress = on_progress;
	p.ud = &pr;
	if (wr_eval(suite, &p, &r, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	if (against && wr_eval_against(NULL, against, r, &drift, &err) < 0) {
		rc = cli_fail(err.code == WR_ENOTFOUND ? WR_EXIT_USAGE : cli_exit_for(err.code),
		              "%s", err.msg);
		goto out;
	}
	if (json) {
		print_json(r, drift);
	} else {
		print_text(r);
		if (drift)
			print_drift_text(drift);
	}
	if (save) {
		if (wr_eval_baseline_save(NULL, save, r, &err) < 0) {
			rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
			goto out;
		}
		fprintf(stderr, "baseline '%s' kept in %s\n", save, r->store_path);
	}
	if (html && eval_html_write(html, r) < 0) {
		rc = cli_fail(WR_EXIT_INTERNAL, "%s: cannot write", html);
		goto out;
	}
	if (junit && write_junit(junit, r) < 0) {
		rc = cli_fail(WR_EXIT_INTERNAL, "%s: cannot write", junit);
		goto out;
	}
	rc = r->threshold_met && !(drift && drift->regressed) ? 0 : WR_EXIT_REJECTED;
out:
	wr_eval_drift_free(drift);
	wr_eval_report_free(r);
	wr_suite_free(suite);
	return rc;
}
