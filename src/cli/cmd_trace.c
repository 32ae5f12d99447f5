/* cmd_trace.c: warrant trace RUN: a run's spans as a terminal waterfall,
 * as JSON, or sent to an OpenTelemetry collector. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
	"usage: warrant trace RUN [--json] [--otlp URL] [--store PATH]\n"
	"\n"
	"Shows a run as a waterfall: the run, each step, each model call and each\n"
	"check, on one time scale, with durations, tokens, cost and failures.\n"
	"RUN is an id, a unique prefix, or 'last'.\n"
	"\n"
	"options:\n"
	"      --json         the spans as JSON\n"
	"      --otlp URL     send the spans to an OpenTelemetry collector (OTLP/HTTP\n"
	"                     JSON, e.g. http://127.0.0.1:4318/v1/traces); headers from\n"
	"                     $OTEL_EXPORTER_OTLP_HEADERS (k=v,k=v)\n"
	"      --store PATH   the store (default: $WARRANT_STORE or ./.warrant/warrant.db)\n"
	"  -h, --help         this help\n";

#define BAR 40

struct spans {
	struct wr_span *s;
	size_t n, cap;
	int oom;
};

static int collect(void *ud, const struct wr_span *s)
{
	struct spans *v = ud;

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

static void duration(int64_t d, char *out, size_t size)
{
	if (d < 1000)
		snprintf(out, size, "%" PRId64 " us", d);
	else if (d < 1000000)
		snprintf(out, size, "%.2f ms", (double)d / 1e3);
	else if (d < 120000000)
		snprintf(out, size, "%.2f s", (double)d / 1e6);
	else
		snprintf(out, size, "%.1f min", (double)d / 6e7);
}

static int depth(const struct spans *v, const struct wr_span *s)
{
	int d = 0;

	while (s->parent > 0 && s->parent <= (int)v->n && d < 8) {
		s = &v->s[s->parent - 1];
		d++;
	}
	return d;
}

static void waterfall(const struct spans *v)
{
	const struct wr_span *run = &v->s[0];
	int64_t t0 = run->start_us, t1 = run->end_us, span;
	const char *red = cli_color(stdout, "\033[31m"), *dim = cli_color(stdout, "\033[2m");
	const char *off = cli_color(stdout, "\033[0m");
	char d[32], label[256];

	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].end_us > t1)
			t1 = v->s[i].end_us;
	span = t1 > t0 ? t1 - t0 : 1;
	duration(t1 - t0, d, sizeof(d));
	printf("%s  %s  %s%s%s  %s  %" PRId64 " -> %" PRId64 " tokens  $%.6f\n", run->name,
	       run->status, run->failure ? red : "", run->failure ? wr_failure_name(run->failure)
	                                                          : "",
	       off, d, run->tokens_in, run->tokens_out, run->cost_usd);
	for (size_t i = 0; i < v->n; i++) {
		const struct wr_span *s = &v->s[i];
		int dep = depth(v, s);
		int a = (int)((s->start_us - t0) * BAR / span), b = (int)((s->end_us - t0) * BAR / span);
		int failed = s->failure != WR_FAIL_NONE || !strcmp(s->status, "failed");
		char bar[BAR * 3 + 1];
		size_t n = 0;

		a = a < 0 ? 0 : a > BAR - 1 ? BAR - 1 : a;
		b = b <= a ? a + 1 : b > BAR ? BAR : b;
		for (int c = 0; c < BAR; c++) {
			const char *g = c >= a && c < b ? "\u2588" : " ";  /* full block */

			memcpy(bar + n, g, strlen(g));
			n += strlen(g);
		}
		bar[n] = '\0';
		if (s->step_kind[0])
			snprintf(label, sizeof(label), "%*s%s (%s)", 2 * dep, "", s->name, s->step_kind);
		else
			snprintf(label, sizeof(label), "%*s%s", 2 * dep, "", s->name);
		duration(s->end_us - s->start_us, d, sizeof(d));
		printf("%-34.34s %s|%s|%s %9s", label, failed ? red : "", bar, off, d);
		if (s->model[0])
			printf("  %s %" PRId64 "->%" PRId64 " $%.6f", s->model, s->tokens_in,
			       s->tokens_out, s->cost_usd);
		if (failed)
			printf("  %s%s%s", red, s->failure ? wr_failure_name(s->failure) : s->status,
			       off);
		if (failed && s->detail[0])
			printf(" %s%.80s%s", dim, s->detail, off);
		putchar('\n');
	}
}

static void json_spans(const struct spans *v)
{
	printf("[");
	for (size_t i = 0; i < v->n; i++) {
		const struct wr_span *s = &v->s[i];

		printf("%s{\"id\":%d,\"parent\":%d,\"kind\":\"%s\",\"step_kind\":", i ? "," : "",
		       s->id, s->parent, s->kind);
		cli_json_str(stdout, s->step_kind);
		printf(",\"name\":");
		cli_json_str(stdout, s->name);
		printf(",\"status\":");
		cli_json_str(stdout, s->status);
		printf(",\"failure\":\"%s\",\"start_us\":%" PRId64 ",\"end_us\":%" PRId64
		       ",\"model\":", wr_failure_name(s->failure), s->start_us, s->end_us);
		cli_json_str(stdout, s->model);
		printf(",\"provider\":");
		cli_json_str(stdout, s->provider);
		printf(",\"tokens_in\":%" PRId64 ",\"tokens_out\":%" PRId64 ",\"cost_usd\":%.9g"
		       ",\"bytes_in\":%" PRId64 ",\"bytes_out\":%" PRId64 ",\"params\":%s"
		       ",\"artifact\":\"%s\",\"detail\":", s->tokens_in, s->tokens_out, s->cost_usd,
		       s->bytes_in, s->bytes_out, s->params[0] ? s->params : "null", s->artifact);
		cli_json_str(stdout, s->detail);
		printf("}");
	}
	printf("]\n");
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "otlp", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_path = NULL, *otlp = NULL;
	struct wr_store *store = NULL;
	struct spans v = { NULL, 0, 0, 0 };
	struct wr_err err;
	char id[WR_ID_MAX];
	int c, rc = 0, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'o': otlp = optarg; break;
		case 's': store_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			return cli_bad_option(usage, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return cli_fail(WR_EXIT_USAGE, optind >= argc ? "which run? give its id, a prefix, "
		                "or 'last'" : "one run at a time");
	}
	if ((rc = cli_store_open(store_path, NULL, &store)))
		return rc;
	if (wr_run_find(store, argv[optind], id, &err) < 0 ||
	    wr_trace_each(store, id, collect, &v, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out;
	}
	if (v.oom || !v.n) {
		rc = cli_fail(WR_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (otlp) {
		struct wr_otlp_result r;

		if (wr_trace_export_otlp(store, id, otlp, getenv("OTEL_EXPORTER_OTLP_HEADERS"), &r,
		                         &err) < 0) {
			rc = cli_fail(err.code == WR_EPROVIDER ? WR_EXIT_FAILED : cli_exit_for(err.code),
			              "%s", err.msg);
			goto out;
		}
		fprintf(stderr, "trace: sent %d spans of run %s to %s (HTTP %d)\n", r.spans, id,
		        otlp, r.status);
	}
	if (json)
		json_spans(&v);
	else if (!otlp)
		waterfall(&v);
out:
	free(v.s);
	wr_store_free(store);
	return rc;
}
