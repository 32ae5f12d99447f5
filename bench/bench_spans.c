/* bench_spans.c: how fast a run's trace is produced. Spans are derived from
 * the store's records (nothing is written while a run executes), so the
 * figure is spans/s read by wr_trace_each over a large run: a 10 000-step
 * run (5 000 generate + 5 000 check steps with two checks each: 25 001
 * spans) on a real SQLite store on disk. Reports the median of several
 * passes, and the run id for timing the review desk's run page.
 *
 *     build/bench_spans [STEPS] [REPEATS] [DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "warrant.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int write_flow(const char *dir, int steps)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/model.yaml", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs("responses:\n  - text: '{\"total\": 12.5, \"vendor\": \"x\"}'\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/flow.yaml", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs("name: bench-spans\ncontract: {purpose: measure the trace}\n"
	      "models: {m: {provider: script, file: model.yaml}}\nsteps:\n", f);
	for (int i = 0; i < steps / 2; i++)
		fprintf(f, "  - {id: g%d, kind: generate, model: m, prompt: \"item %d\"}\n"
		           "  - {id: c%d, kind: check, of: g%d, checks: [{json: true}, "
		           "{contains: total}]}\n", i, i, i, i);
	fclose(f);
	return 0;
}

struct count {
	long spans;
	long long tokens;
};

static int count_span(void *ud, const struct wr_span *s)
{
	struct count *c = ud;

	c->spans++;
	c->tokens += s->tokens_in + s->tokens_out;
	return 0;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 10000;
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	const char *dir = argc > 3 ? argv[3] : "build/bench/spans";
	double rate[32];
	char flow_path[4096], store_path[4096];
	struct wr_flow *flow = NULL;
	struct wr_store *store = NULL;
	struct wr_run_params p = wr_run_default_params();
	struct wr_run_result res;
	struct wr_err err;
	struct count c = { 0, 0 };

	if (steps < 2 || repeats < 1 || repeats > 32) {
		fprintf(stderr, "usage: bench_spans [STEPS>=2] [REPEATS 1..32] [DIR]\n");
		return 2;
	}
	mkdir(dir, 0755);
	if (write_flow(dir, steps) < 0) {
		perror(dir);
		return 1;
	}
	snprintf(flow_path, sizeof(flow_path), "%s/flow.yaml", dir);
	snprintf(store_path, sizeof(store_path), "%s/store.db", dir);
	unlink(store_path);
	if (wr_flow_load(flow_path, NULL, &flow, &err) < 0 ||
	    wr_store_open(store_path, &store, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (wr_run_start(store, flow, &p, &res, &err) < 0 || res.status != WR_RUN_DONE) {
		fprintf(stderr, "run failed: %s %s\n", err.msg, res.message);
		return 1;
	}
	/* One pass to warm SQLite's page cache, as a second look at a run is. */
	if (wr_trace_each(store, res.run_id, count_span, &c, &err) < 0) {
		fprintf(stderr, "trace: %s\n", err.msg);
		return 1;
	}
	for (int r = 0; r < repeats; r++) {
		double t0 = now();

		c.spans = 0;
		if (wr_trace_each(store, res.run_id, count_span, &c, &err) < 0) {
			fprintf(stderr, "trace: %s\n", err.msg);
			return 1;
		}
		rate[r] = (double)c.spans / (now() - t0);
	}
	qsort(rate, (size_t)repeats, sizeof(double), cmp);
	printf("spans: a %d-step run, %ld spans, median of %d passes: %.0f spans/s "
	       "(min %.0f, max %.0f), %.1f ms a pass\n", steps, c.spans, repeats,
	       rate[repeats / 2], rate[0], rate[repeats - 1], 1e3 * (double)c.spans / rate[repeats / 2]);
	printf("run %s\n", res.run_id);
	wr_store_free(store);
	wr_flow_free(flow);
	return 0;
}
