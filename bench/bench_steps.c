/* bench_steps.c: engine overhead per step, with the scripted instant
 * provider, over a 10 000-step run (5 000 generate + 5 000 check steps),
 * on a real SQLite store on disk. Reports the median of several runs.
 *
 *     build/bench_steps [STEPS] [REPEATS] [DIR]
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
	fputs("name: bench\ncontract: {purpose: measure the engine}\n"
	      "models: {m: {provider: script, file: model.yaml}}\nsteps:\n", f);
	for (int i = 0; i < steps / 2; i++)
		fprintf(f, "  - {id: g%d, kind: generate, model: m, prompt: \"item %d\"}\n"
		           "  - {id: c%d, kind: check, of: g%d, checks: [{json: true}, "
		           "{contains: total}]}\n", i, i, i, i);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 10000;
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	const char *dir = argc > 3 ? argv[3] : "build/bench";
	double per_step[32], load[32];
	char flow_path[4096], store_path[4096];
	struct wr_err err;

	if (steps < 2 || repeats < 1 || repeats > 32) {
		fprintf(stderr, "usage: bench_steps [STEPS>=2] [REPEATS 1..32] [DIR]\n");
		return 2;
	}
	mkdir(dir, 0755);
	if (write_flow(dir, steps) < 0) {
		perror(dir);
		return 1;
	}
	snprintf(flow_path, sizeof(flow_path), "%s/flow.yaml", dir);
	for (int r = 0; r < repeats; r++) {
		struct wr_flow *flow = NULL;
		struct wr_store *store = NULL;
		struct wr_run_params p = wr_run_default_params();
		struct wr_run_result res;
		double t0, t1, t2;

		snprintf(store_path, sizeof(store_path), "%s/store-%d.db", dir, r);
		unlink(store_path);
		t0 = now();
		if (wr_flow_load(flow_path, NULL, &flow, &err) < 0 ||
		    wr_store_open(store_path, &store, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t1 = now();
		if (wr_run_start(store, flow, &p, &res, &err) < 0 || res.status != WR_RUN_DONE) {
			fprintf(stderr, "run failed: %s %s\n", err.msg, res.message);
			return 1;
		}
		t2 = now();
		load[r] = (t1 - t0) * 1e3;
		per_step[r] = (t2 - t1) * 1e6 / steps;
		wr_store_free(store);
		wr_flow_free(flow);
	}
	qsort(per_step, (size_t)repeats, sizeof(double), cmp);
	qsort(load, (size_t)repeats, sizeof(double), cmp);
	printf("engine: %d steps, median of %d runs: %.1f us/step (min %.1f, max %.1f); "
	       "load + open %.1f ms\n", steps, repeats, per_step[repeats / 2], per_step[0],
	       per_step[repeats - 1], load[repeats / 2]);
	return 0;
}
