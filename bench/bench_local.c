/* bench_local: tokens per second of the local engine on a GGUF model.
 *
 *     bench_local MODEL THREADS N_PROMPT N_GEN RUNS
 *     bench_local MODEL THREADS N_PROMPT 0 0 > logits.f32   (the last
 *         prompt token's logits, to compare with bench/local/llamacpp.c)
 *
 * Prompt: N_PROMPT tokens evaluated in one local_eval from an empty cache.
 * Generation: N_GEN tokens one at a time after that prompt (greedy, each
 * token's logits computed), as llama-bench's tg test does. Prints the median
 * of RUNS runs of each, in wall-clock tokens/s, and the same per second of
 * CPU time times THREADS: what the rate would be with every thread on a core
 * of its own (a shared, busy machine makes the wall-clock figure noisy). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/os.h"
#include "local/local.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: bench_local MODEL THREADS N_PROMPT N_GEN RUNS\n");
		return 2;
	}
	int threads = atoi(argv[2]), np = atoi(argv[3]), ng = atoi(argv[4]), runs = atoi(argv[5]);
	struct local_model *m;
	struct wr_err err = { 0 };
	uint64_t t0 = os_mono_ns();
	int dump = ng == 0 && runs == 0;
	if (np < 1 || (!dump && (ng < 1 || runs < 1)) ||
	    local_model_open(argv[1], threads, np + ng + 8, &m, &err) < 0) {
		fprintf(stderr, "bench_local: %s\n", err.code ? err.msg : "bad arguments");
		return 1;
	}
	double load_ms = (double)(os_mono_ns() - t0) / 1e6;
	int nv = local_n_vocab(m);
	int *toks = malloc((size_t)np * sizeof *toks);
	float *logits = malloc((size_t)nv * sizeof *logits);
	double *pp = malloc((size_t)runs * sizeof *pp), *tg = malloc((size_t)runs * sizeof *tg);
	double *ppc = malloc((size_t)runs * sizeof *ppc), *tgc = malloc((size_t)runs * sizeof *tgc);
	if (!toks || !logits || !pp || !tg || !ppc || !tgc)
		return 1;
	for (int i = 0; i < np; i++)
		toks[i] = (int)((i * 7919u + 13) % (unsigned)nv);
	if (dump) {
		local_eval(m, toks, np, logits, 0, NULL);
		fwrite(logits, sizeof(float), (size_t)nv, stdout);
		return 0;
	}
	for (int r = 0; r < runs; r++) {
		local_reset(m);
		double c0 = cpu_s();
		t0 = os_mono_ns();
		local_eval(m, toks, np, logits, 0, NULL);
		pp[r] = np / ((double)(os_mono_ns() - t0) / 1e9);
		ppc[r] = np * threads / (cpu_s() - c0);
		c0 = cpu_s();
		t0 = os_mono_ns();
		for (int i = 0; i < ng; i++) {
			int best = 0;
			for (int k = 1; k < nv; k++)
				if (logits[k] > logits[best])
					best = k;
			local_eval(m, &best, 1, logits, 0, NULL);
		}
		tg[r] = ng / ((double)(os_mono_ns() - t0) / 1e9);
		tgc[r] = ng * threads / (cpu_s() - c0);
	}
	qsort(pp, (size_t)runs, sizeof *pp, cmp_d);
	qsort(tg, (size_t)runs, sizeof *tg, cmp_d);
	qsort(ppc, (size_t)runs, sizeof *ppc, cmp_d);
	qsort(tgc, (size_t)runs, sizeof *tgc, cmp_d);
	printf("warrant   threads %d  load %4.0f ms  prompt %d tok: %7.1f tok/s  "
	       "generate %d tok: %6.1f tok/s  (median of %d; per CPU-second x threads: "
	       "%.1f and %.1f)\n", threads, load_ms, np, pp[runs / 2], ng, tg[runs / 2], runs,
	       ppc[runs / 2], tgc[runs / 2]);
	local_model_free(m);
	free(toks);
	free(logits);
	free(pp);
	free(tg);
	free(ppc);
	free(tgc);
	return 0;
}
