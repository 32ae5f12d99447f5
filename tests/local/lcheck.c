/* lcheck: runs the cases tests/local/ref_logits.py wrote (see there for the
 * line format) against the C engine. Every logits case is run twice: the
 * whole prompt in one local_eval, and token by token through the KV cache.
 * Prints one line a case and exits 1 when any fails.
 *
 *     lcheck DIR [THREADS] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/os.h"
#include "local/gguf.h"
#include "local/local.h"
#include "local/quant.h"

static int threads = 2;

static float *read_f32(const char *dir, const char *name, size_t *n)
{
	char path[1024];
	struct buf b;
	buf_init(&b, (size_t)1 << 30);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (os_read_file(path, (size_t)1 << 30, &b, NULL) < 0) {
		buf_release(&b);
		return NULL;
	}
	*n = b.len / 4;
	float *f = malloc(b.len + 4);
	if (f)
		memcpy(f, b.data, b.len);
	buf_release(&b);
	return f;
}

static struct local_model *open_model(const char *dir, const char *name)
{
	char path[1024];
	struct wr_err err = { 0 };
	struct local_model *m;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (local_model_open(path, threads, 0, &m, &err) < 0) {
		printf("FAIL %s: %s\n", name, err.msg);
		return NULL;
	}
	return m;
}

static int parse_ids(char **save, int n, int *ids)
{
	for (int i = 0; i < n; i++) {
		char *t = strtok_r(NULL, " \n", save), *end;
		if (!t)
			return -1;
		ids[i] = (int)strtol(t, &end, 10);
	}
	return 0;
}

static int case_logits(const char *dir, char **save)
{
	char *model = strtok_r(NULL, " ", save), *tol_s = strtok_r(NULL, " ", save);
	char *exp_name = strtok_r(NULL, " ", save), *n_s = strtok_r(NULL, " ", save);
	if (!model || !tol_s || !exp_name || !n_s)
		return -1;
	double tol = strtod(tol_s, NULL);
	int n = (int)strtol(n_s, NULL, 10), ids[4096];
	if (n < 1 || n > 4096 || parse_ids(save, n, ids) < 0)
		return -1;
	size_t ne;
	float *want = read_f32(dir, exp_name, &ne);
	struct local_model *m = open_model(dir, model);
	int rc = 1;
	if (!want || !m)
		goto out;
	int nv = local_n_vocab(m);
	if (ne != (size_t)n * nv) {
		printf("FAIL %s: %zu expected values for %d x %d\n", exp_name, ne, n, nv);
		goto out;
	}
	float *got = malloc(ne * sizeof *got);
	struct wr_err err = { 0 };
	double worst = 0, worst1 = 0;
	local_reset(m);
	if (!got || local_eval(m, ids, n, got, 1, &err) < 0) {
		printf("FAIL %s: %s\n", exp_name, err.msg);
		free(got);
		goto out;
	}
	for (size_t i = 0; i < ne; i++)
		worst = fmax(worst, fabs((double)got[i] - want[i]));
	local_reset(m);
	for (int t = 0; t < n; t++) {   /* one at a time, through the cache */
		if (local_eval(m, &ids[t], 1, got, 0, &err) < 0)
			break;
		for (int i = 0; i < nv; i++)
			worst1 = fmax(worst1, fabs((double)got[i] - want[(size_t)t * nv + i]));
	}
	free(got);
	rc = !(worst <= tol && worst1 <= tol);
	printf("%s logits %-22s %2d tokens: max |diff| %.2e batched, %.2e cached (bound %.1e)\n",
	       rc ? "FAIL" : "ok  ", exp_name, n, worst, worst1, tol);
out:
	free(want);
	local_model_free(m);
	return rc;
}

static int case_deq(const char *dir, char **save)
{
	char *model = strtok_r(NULL, " ", save), *tensor = strtok_r(NULL, " ", save);
	char *exp_name = strtok_r(NULL, " \n", save), path[1024];
	if (!model || !tensor || !exp_name)
		return -1;
	struct gguf g;
	struct wr_err err = { 0 };
	size_t ne;
	float *want = read_f32(dir, exp_name, &ne);
	snprintf(path, sizeof path, "%s/%s", dir, model);
	if (!want || gguf_open(&g, path, &err) < 0) {
		printf("FAIL %s: %s\n", model, err.msg);
		free(want);
		return 1;
	}
	const struct gguf_tensor *t = gguf_tensor(&g, tensor);
	int rc = 1;
	if (t && t->type == GGML_Q8_0 && (size_t)(t->ne[0] * t->ne[1]) == ne) {
		float *row = malloc((size_t)t->ne[0] * sizeof *row);
		size_t rs = ggml_row_size(t->type, t->ne[0]), bad = 0;
		for (int64_t r = 0; row && r < t->ne[1]; r++) {
			quant_row_to_f32(t->type, t->data + (size_t)r * rs, row, t->ne[0]);
			bad += memcmp(row, want + r * t->ne[0], (size_t)t->ne[0] * 4) != 0;
		}
		rc = !row || bad != 0;
		printf("%s deq    %s %s: %zu values, %zu rows differ\n", rc ? "FAIL" : "ok  ",
		       model, tensor, ne, bad);
		free(row);
	} else {
		printf("FAIL deq %s %s: not a Q8_0 tensor of %zu values\n", model, tensor, ne);
	}
	gguf_release(&g, 1);
	free(want);
	return rc;
}

static int case_tok(const char *dir, char **save)
{
	char *model = strtok_r(NULL, " ", save), *text = strtok_r(NULL, " ", save);
	char *n_s = strtok_r(NULL, " \n", save), path[1024];
	if (!model || !text || !n_s)
		return -1;
	int n = (int)strtol(n_s, NULL, 10), want[4096], got[4096];
	if (n < 0 || n > 4096 || parse_ids(save, n, want) < 0)
		return -1;
	struct buf b, back;
	buf_init(&b, 1 << 20);
	buf_init(&back, 1 << 20);
	snprintf(path, sizeof path, "%s/%s", dir, text);
	struct local_model *m = open_model(dir, model);
	int rc = 1;
	if (!m || os_read_file(path, 1 << 20, &b, NULL) < 0)
		goto out;
	int k = local_tokenize(m, b.data, b.len, got, 4096, 1);
	rc = k != n || memcmp(got, want, (size_t)n * sizeof *got) != 0;
	int round = local_detokenize(m, got, k, &back) == 0 && back.len == b.len &&
	            memcmp(back.data, b.data, b.len) == 0;
	rc |= !round;
	printf("%s tok    %-12s %3d tokens (reference %3d)%s\n", rc ? "FAIL" : "ok  ", text, k, n,
	       round ? "" : ", round trip differs");
out:
	local_model_free(m);
	buf_release(&b);
	buf_release(&back);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lcheck DIR [THREADS]\n");
		return 2;
	}
	if (argc > 2)
		threads = (int)strtol(argv[2], NULL, 10);
	char path[1024], line[65536];
	snprintf(path, sizeof path, "%s/cases.txt", argv[1]);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "lcheck: cannot open %s\n", path);
		return 2;
	}
	int failed = 0, n = 0;
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *kind = strtok_r(line, " \n", &save);
		int rc;
		if (!kind)
			continue;
		if (!strcmp(kind, "logits"))
			rc = case_logits(argv[1], &save);
		else if (!strcmp(kind, "deq"))
			rc = case_deq(argv[1], &save);
		else if (!strcmp(kind, "tok"))
			rc = case_tok(argv[1], &save);
		else
			rc = -1;
		if (rc < 0)
			printf("FAIL bad case line %d\n", n + 1);
		failed += rc != 0;
		n++;
	}
	fclose(f);
	printf("lcheck: %d cases, %d failed\n", n, failed);
	return failed ? 1 : 0;
}
