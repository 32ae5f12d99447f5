/* prices.c: the price table. */
#include "model/prices.h"

#include <libfyaml.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/os.h"
#include "prices_data.h"

struct price {
	const char *model;
	double in, out;   /* USD per million tokens */
};

struct prices {
	struct arena arena;
	struct price *v;
	size_t n;
	int shared;       /* the built-in table: one per process, never freed */
};

/* A non-negative number scalar under key in map; -1 when absent or bad. */
static double number(struct fy_node *map, const char *key)
{
	struct fy_node *n = fy_node_mapping_lookup_by_string(map, key, FY_NT);
	const char *s;
	char tmp[64], *end;
	size_t len;
	double v;

	if (!n || !fy_node_is_scalar(n) || !(s = fy_node_get_scalar(n, &len)) ||
	    !len || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	v = strtod(tmp, &end);
	return *end || v < 0 || v != v ? -1 : v;
}

/* The 1-based line of a scalar node; 0 when unknown. */
static int line_of(struct fy_node *n)
{
	struct fy_token *t = n && fy_node_is_scalar(n) ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

	return m ? m->line + 1 : 0;
}

static int load_entries(struct prices *p, struct fy_node *models, const char *path,
                        struct wr_err *err)
{
	struct fy_node_pair *pair;
	void *iter = NULL;
	size_t cap = (size_t)fy_node_mapping_item_count(models);

	p->v = arena_alloc(&p->arena, (cap ? cap : 1) * sizeof(*p->v));
	if (!p->v)
		return err_set(err, WR_ENOMEM, "out of memory");
	while ((pair = fy_node_mapping_iterate(models, &iter)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		struct price *e = &p->v[p->n];
		const char *name;
		size_t len;

		name = k && fy_node_is_scalar(k) ? fy_node_get_scalar(k, &len) : NULL;
		if (!name || !v || !fy_node_is_mapping(v))
			return err_set(err, WR_ESPEC, "%s:%d: each model needs { in: N, out: N }",
			               path, line_of(k));
		e->model = arena_strndup(&p->arena, name, len);
		e->in = number(v, "in");
		e->out = number(v, "out");
		if (!e->model)
			return err_set(err, WR_ENOMEM, "out of memory");
		if (e->in < 0 || e->out < 0)
			return err_set(err, WR_ESPEC, "%s:%d: '%s': in and out must be "
			               "non-negative numbers (USD per million tokens)", path,
			               line_of(k), e->model);
		p->n++;
	}
	return 0;
}

int prices_load_bytes(const char *name, const char *bytes, size_t len,
                      struct prices **out, struct wr_err *err)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_DEFAULT_DOC };
	struct fy_document *doc = NULL;
	struct fy_node *root, *models;
	struct prices *p = calloc(1, sizeof(*p));
	int rc = WR_ENOMEM;

	*out = NULL;
	if (!p)
		return err_set(err, rc, "out of memory");
	arena_init(&p->arena, 0);
	if (!(doc = fy_document_build_from_string(&cfg, bytes, len))) {
		rc = err_set(err, WR_ESPEC, "%s: not valid YAML", name);
		goto out;
	}
	root = fy_document_root(doc);
	models = root && fy_node_is_mapping(root)
	         ? fy_node_mapping_lookup_by_string(root, "models", FY_NT) : NULL;
	if (!models || !fy_node_is_mapping(models)) {
		rc = err_set(err, WR_ESPEC, "%s: needs a 'models' mapping", name);
		goto out;
	}
	if ((rc = load_entries(p, models, name, err)) < 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	fy_document_destroy(doc);
	prices_free(p);
	return rc;
}

int prices_load(const char *path, struct prices **out, struct wr_err *err)
{
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = os_read_file(path, 16 << 20, &b, err)) < 0)
		rc = err_wrap(err, "price table");
	else
		rc = prices_load_bytes(path, b.data, b.len, out, err);
	buf_release(&b);
	return rc;
}

/* Every run used to parse the built-in YAML again: a tenth of an eval's
 * time per case. It is read-only once loaded, so threads share it. */
static struct {
	pthread_once_t once;
	struct prices *table;
	int rc;
	struct wr_err err;
} builtin = { PTHREAD_ONCE_INIT, NULL, 0, { 0 } };

static void builtin_load(void)
{
	builtin.rc = prices_load_bytes("data/prices.yaml (built in)", prices_builtin,
	                               sizeof(prices_builtin) - 1, &builtin.table, &builtin.err);
	if (builtin.table)
		builtin.table->shared = 1;
}

int prices_load_builtin(struct prices **out, struct wr_err *err)
{
	pthread_once(&builtin.once, builtin_load);
	*out = builtin.table;
	if (builtin.rc < 0 && err)
		*err = builtin.err;
	return builtin.rc;
}

void prices_free(struct prices *p)
{
	if (!p || p->shared)
		return;
	arena_release(&p->arena);
	free(p);
}

int prices_lookup(const struct prices *p, const char *model, double *in, double *out)
{
	const struct price *best = NULL;
	size_t best_len = 0;

	*in = *out = 0;
	if (!p || !model)
		return WR_ENOTFOUND;
	for (size_t i = 0; i < p->n; i++) {
		size_t n = strlen(p->v[i].model);

		if (strncmp(model, p->v[i].model, n) || (model[n] && model[n] != '-'))
			continue;
		if (!model[n])
			return *in = p->v[i].in, *out = p->v[i].out, 0;
		if (n > best_len) {
			best = &p->v[i];
			best_len = n;
		}
	}
	if (!best)
		return WR_ENOTFOUND;
	*in = best->in;
	*out = best->out;
	return 0;
}

int prices_resolve(const struct prices *p, const struct spec_model *m, double *in,
                   double *out)
{
	if (m->price_in > 0 || m->price_out > 0) {
		*in = m->price_in;
		*out = m->price_out;
		return 0;
	}
	return prices_lookup(p, m->model, in, out);
}

double prices_cost(double in, double out, int64_t tokens_in, int64_t tokens_out)
{
	return (in * (double)tokens_in + out * (double)tokens_out) / 1e6;
}
