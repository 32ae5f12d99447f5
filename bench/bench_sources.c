/* bench_sources.c: indexing speed and retrieval latency on a generated
 * corpus (Markdown documents of seeded pseudo-English; at least 50 MB).
 *
 *     build/bench_sources [MB] [REPEATS] [DIR]
 *
 * Prints indexing MB/s (median of REPEATS fresh indexes) and the p50/p99
 * latency of 1000 three-word queries (top 5). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "warrant.h"

static uint64_t rng = 20261124;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

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

#define VOCAB 20000
static char words[VOCAB][12];

static void make_vocab(void)
{
	static const char *syl[] = { "ka", "lo", "mer", "tis", "an", "dre", "vo", "qui", "sel",
	                             "por", "nu", "ght", "ex", "ba", "ri", "ton" };

	for (int i = 0; i < VOCAB; i++) {
		int n = 1 + (int)(next() % 3);

		words[i][0] = '\0';
		for (int s = 0; s < n; s++)
			strcat(words[i], syl[next() % 16]);
		snprintf(words[i] + strlen(words[i]), 4, "%d", i % 97);
	}
}

/* Zipf-like: small indexes far more often. */
static const char *word(void)
{
	uint64_t r = next() % VOCAB;

	return words[(r * r) / VOCAB];
}

static int generate(const char *dir, int mb)
{
	char path[4096];
	size_t total = 0, target = (size_t)mb << 20;

	for (int d = 0; total < target; d++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/doc%05d.md", dir, d);
		if (!(f = fopen(path, "w")))
			return -1;
		for (int sec = 0; sec < 20; sec++) {
			total += (size_t)fprintf(f, "## %s %s\n\n", word(), word());
			for (int para = 0; para < 4; para++) {
				for (int w = 0; w < 60; w++)
					total += (size_t)fprintf(f, "%s%s", word(), w % 12 == 11 ? ". " : " ");
				total += (size_t)fprintf(f, "\n\n");
			}
		}
		fclose(f);
	}
	return 0;
}

static int count(void *ud, const struct wr_hit *h)
{
	(*(int *)ud)++;
	return 0;
}

int main(int argc, char **argv)
{
	int mb = argc > 1 ? atoi(argv[1]) : 50, repeats = argc > 2 ? atoi(argv[2]) : 3;
	const char *base = argc > 3 ? argv[3] : "build/bench";
	char dir[2048], db[2200], q[128];
	double rate[16], lat[1000];
	struct wr_index_report rep;
	struct wr_err err;
	int hits = 0;

	if (mb < 1 || repeats < 1 || repeats > 16) {
		fprintf(stderr, "usage: bench_sources [MB] [REPEATS 1..16] [DIR]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/corpus-%dmb", base, mb);
	make_vocab();
	mkdir(base, 0755);
	if (mkdir(dir, 0755) == 0 && generate(dir, mb) < 0) {
		perror(dir);
		return 1;
	}
	for (int r = 0; r < repeats; r++) {
		struct wr_store *st = NULL;
		const char *paths[] = { dir };
		struct wr_index_params p = { paths, 1, dir, NULL, 0 };

		snprintf(db, sizeof(db), "%s/sources.db", base);
		unlink(db);
		if (wr_store_open(db, &st, &err) < 0 || wr_index(st, &p, NULL, NULL, &rep, &err) < 0) {
			fprintf(stderr, "bench_sources: %s\n", err.msg);
			return 1;
		}
		rate[r] = (double)rep.bytes / 1e6 / rep.seconds;
		wr_store_free(st);
	}
	qsort(rate, (size_t)repeats, sizeof(double), cmp);
	printf("index: %.1f MB in %d files, %lld chunks; median of %d: %.1f MB/s\n",
	       (double)rep.bytes / 1e6, rep.files, (long long)rep.chunks, repeats,
	       rate[repeats / 2]);
	{
		struct wr_store *st = NULL;

		if (wr_store_open(db, &st, &err) < 0)
			return 1;
		for (int i = 0; i < 1000; i++) {
			double t0;

			snprintf(q, sizeof(q), "%s %s %s", word(), word(), word());
			t0 = now();
			if (wr_retrieve(st, q, 5, NULL, count, &hits, &err) < 0) {
				fprintf(stderr, "bench_sources: %s\n", err.msg);
				return 1;
			}
			lat[i] = (now() - t0) * 1e3;
		}
		wr_store_free(st);
	}
	qsort(lat, 1000, sizeof(double), cmp);
	printf("retrieve: 1000 three-word queries, top 5: p50 %.2f ms, p99 %.2f ms (%d hits)\n",
	       lat[500], lat[990], hits);
	return 0;
}
