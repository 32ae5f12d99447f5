/* llamacpp: the same measurement as bench_local, through llama.cpp's C API,
 * loaded at run time from a shared library (a llama.cpp build's
 * libllama.so, with its libggml*.so beside it). Only functions are called,
 * and every struct crosses by value as an opaque buffer larger than the
 * library's (the x86-64 and AArch64 ABIs pass and return such structs in
 * memory at the same place), so no header of that project is needed.
 *
 *     llamacpp LIBLLAMA.so MODEL THREADS N_PROMPT N_GEN RUNS
 *     llamacpp LIBLLAMA.so MODEL THREADS N_PROMPT 0 0 > logits.f32
 *
 * The second form writes the last prompt token's logits (float32) to stdout,
 * for a cross-check of the two engines on one file (bench/local/run.sh). */
#include <dlfcn.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct opaque { _Alignas(16) unsigned char b[1024]; };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);
	if (!p) {
		fprintf(stderr, "llamacpp: %s missing\n", name);
		exit(1);
	}
	return p;
}

static void quiet(int level, const char *text, void *ud) { (void)level; (void)text; (void)ud; }

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: llamacpp LIBLLAMA.so MODEL THREADS N_PROMPT N_GEN RUNS\n");
		return 2;
	}
	int threads = atoi(argv[3]), np = atoi(argv[4]), ng = atoi(argv[5]), runs = atoi(argv[6]);
	int dump = ng == 0 && runs == 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", argv[1]);
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "llamacpp: %s\n", dlerror());
		return 1;
	}
	void (*log_set)(void (*)(int, const char *, void *), void *) = sym(h, "llama_log_set");
	void (*load_all)(const char *) = sym(h, "ggml_backend_load_all_from_path");
	void (*backend_init)(void) = sym(h, "llama_backend_init");
	struct opaque (*model_params)(void) = sym(h, "llama_model_default_params");
	struct opaque (*ctx_params)(void) = sym(h, "llama_context_default_params");
	void *(*load)(const char *, struct opaque) = sym(h, "llama_model_load_from_file");
	void *(*init)(void *, struct opaque) = sym(h, "llama_init_from_model");
	void (*set_threads)(void *, int32_t, int32_t) = sym(h, "llama_set_n_threads");
	void *(*get_vocab)(const void *) = sym(h, "llama_model_get_vocab");
	int32_t (*n_tokens)(const void *) = sym(h, "llama_vocab_n_tokens");
	struct opaque (*batch_one)(int32_t *, int32_t) = sym(h, "llama_batch_get_one");
	int32_t (*decode)(void *, struct opaque) = sym(h, "llama_decode");
	float *(*logits_ith)(void *, int32_t) = sym(h, "llama_get_logits_ith");
	void *(*get_memory)(const void *) = sym(h, "llama_get_memory");
	void (*mem_clear)(void *, _Bool) = sym(h, "llama_memory_clear");
	if (!getenv("LLAMACPP_LOG"))
		log_set(quiet, NULL);
	load_all(dirname(dir));
	backend_init();
	double t0 = now_s();
	void *model = load(argv[2], model_params());
	if (!model) {
		fprintf(stderr, "llamacpp: cannot load %s\n", argv[2]);
		return 1;
	}
	double load_ms = (now_s() - t0) * 1000;
	void *ctx = init(model, ctx_params());
	if (!ctx) {
		fprintf(stderr, "llamacpp: no context\n");
		return 1;
	}
	set_threads(ctx, threads, threads);
	int nv = n_tokens(get_vocab(model));
	int32_t *toks = malloc((size_t)np * sizeof *toks);
	double *pp = calloc((size_t)runs, sizeof *pp), *tg = calloc((size_t)runs, sizeof *tg);
	double *ppc = calloc((size_t)runs, sizeof *ppc), *tgc = calloc((size_t)runs, sizeof *tgc);
	for (int i = 0; i < np; i++)
		toks[i] = (int32_t)((i * 7919u + 13) % (unsigned)nv);
	if (dump) {
		if (decode(ctx, batch_one(toks, np)) != 0)
			return 1;
		fwrite(logits_ith(ctx, -1), sizeof(float), (size_t)nv, stdout);
		return 0;
	}
	for (int r = 0; r < runs; r++) {
		mem_clear(get_memory(ctx), 1);
		double c0 = cpu_s();
		t0 = now_s();
		if (decode(ctx, batch_one(toks, np)) != 0) {
			fprintf(stderr, "llamacpp: decode failed\n");
			return 1;
		}
		float *lo = logits_ith(ctx, -1);
		pp[r] = np / (now_s() - t0);
		ppc[r] = np * threads / (cpu_s() - c0);
		c0 = cpu_s();
		t0 = now_s();
		for (int i = 0; i < ng; i++) {
			int32_t best = 0;
			for (int k = 1; k < nv; k++)
				if (lo[k] > lo[best])
					best = k;
			if (decode(ctx, batch_one(&best, 1)) != 0) {
				fprintf(stderr, "llamacpp: decode failed\n");
				return 1;
			}
			lo = logits_ith(ctx, -1);
		}
		tg[r] = ng / (now_s() - t0);
		tgc[r] = ng * threads / (cpu_s() - c0);
	}
	qsort(pp, (size_t)runs, sizeof *pp, cmp_d);
	qsort(tg, (size_t)runs, sizeof *tg, cmp_d);
	qsort(ppc, (size_t)runs, sizeof *ppc, cmp_d);
	qsort(tgc, (size_t)runs, sizeof *tgc, cmp_d);
	printf("llama.cpp threads %d  load %4.0f ms  prompt %d tok: %7.1f tok/s  "
	       "generate %d tok: %6.1f tok/s  (median of %d; per CPU-second x threads: "
	       "%.1f and %.1f)\n", threads, load_ms, np, pp[runs / 2], ng, tg[runs / 2], runs,
	       ppc[runs / 2], tgc[runs / 2]);
	return 0;
}
