/* bench_schema.c: documents per second for the JSON Schema validator.
 *
 *     bench_schema SCHEMA.json DATA.json [RUNS] [validate]
 *
 * DATA.json is an array of documents (bench/schema/gen.js writes them). Two
 * measurements, each the median of RUNS runs: validation alone over
 * documents already parsed into jansson values, and parse + validate from
 * the compact JSON text of each document. Formats are asserted, as in
 * ajv_bench.js. Prints one line of key=value pairs. A fourth argument
 * "validate" skips the parse measurement (for profiling). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/schema.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One pass over every document; returns how many were valid. */
static size_t pass_validate(const struct schema *s, json_t **docs, size_t n)
{
	size_t valid = 0;

	for (size_t i = 0; i < n; i++)
		valid += schema_validate(s, docs[i], NULL, 0, NULL) == 1;
	return valid;
}

static size_t pass_parse(const struct schema *s, char **texts, size_t *lens, size_t n)
{
	size_t valid = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *d = json_loadb(texts[i], lens[i], 0, NULL);

		valid += d && schema_validate(s, d, NULL, 0, NULL) == 1;
		json_decref(d);
	}
	return valid;
}

int main(int argc, char **argv)
{
	struct schema_params p = schema_default_params();
	struct schema *s = NULL;
	struct wr_err err = { 0 };
	json_error_t je;
	json_t *root, *data;
	json_t **docs;
	char **texts;
	size_t *lens, n, valid = 0;
	int runs = argc > 3 ? atoi(argv[3]) : 5, reps;
	int with_parse = !(argc > 4 && !strcmp(argv[4], "validate"));
	double v_rate[32], p_rate[32], t;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_schema SCHEMA.json DATA.json [RUNS]\n");
		return 2;
	}
	if (runs < 1 || runs > 32)
		runs = 5;
	root = json_load_file(argv[1], 0, &je);
	data = json_load_file(argv[2], 0, &je);
	p.format_assert = 1;
	if (!root || !json_is_array(data) || schema_compile(root, &p, &s, &err) < 0) {
		fprintf(stderr, "bench_schema: cannot load: %s %s\n", je.text, err.msg);
		return 2;
	}
	n = json_array_size(data);
	docs = calloc(n, sizeof(*docs));
	texts = calloc(n, sizeof(*texts));
	lens = calloc(n, sizeof(*lens));
	for (size_t i = 0; i < n; i++) {
		docs[i] = json_array_get(data, i);
		texts[i] = json_dumps(docs[i], JSON_COMPACT | JSON_ENCODE_ANY);
		lens[i] = strlen(texts[i]);
	}
	/* Calibrate: repeat each pass so that one run takes about 0.3 s. */
	t = now();
	valid = pass_validate(s, docs, n);
	t = now() - t;
	reps = t > 0 ? (int)(0.3 / t) + 1 : 100;
	for (int r = 0; r < runs; r++) {
		t = now();
		for (int k = 0; k < reps; k++)
			pass_validate(s, docs, n);
		v_rate[r] = (double)n * reps / (now() - t);
	}
	t = now();
	if (with_parse)
		pass_parse(s, texts, lens, n);
	t = now() - t;
	reps = t > 0 ? (int)(0.3 / t) + 1 : 100;
	for (int r = 0; r < runs && with_parse; r++) {
		t = now();
		for (int k = 0; k < reps; k++)
			pass_parse(s, texts, lens, n);
		p_rate[r] = (double)n * reps / (now() - t);
	}
	printf("docs=%zu valid=%zu validate_per_s=%.0f parse_validate_per_s=%.0f\n", n, valid,
	       median(v_rate, runs), with_parse ? median(p_rate, runs) : 0.0);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	free(docs);
	schema_free(s);
	json_decref(root);
	json_decref(data);
	return 0;
}
