/* schema_compile.c: from a JSON Schema document to a graph of snodes.
 *
 * Two passes. The first walks the whole document, giving every schema
 * object its base URI and location and registering $id resources and
 * anchors, so that any $ref can be resolved however it is spelled. The
 * second compiles objects from a work list: a child or a $ref target is
 * allocated (and memoised by its json_t address) when first named and
 * compiled later, so cycles cost nothing and nothing recurses deeply. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/schema_int.h"
#include "core/buf.h"
#include "core/err.h"

#define DEFAULT_BASE "urn:warrant:root"
#define WALK_DEPTH_MAX 1000

struct jinfo {
	json_t *j;               /* key: the schema object */
	const char *base;        /* base URI in force inside it */
	struct sres *res;
	const char *where;       /* "#/properties/a" */
	struct snode *node;      /* once named */
};

struct named {
	const char *key;         /* absolute URI, or URI "#" anchor */
	json_t *j;
};

struct cctx {
	struct schema *s;
	struct arena *a;
	struct wr_err *err;
	struct jinfo *tab;       /* open addressing on the pointer */
	size_t cap, n;
	struct named *uris, *anchors;
	int n_uris, cap_uris, n_anchors, cap_anchors;
	struct jinfo **work;
	int n_work, cap_work;
	struct sres **res;       /* every resource, to fill dynamic anchors at the end */
	int n_res, cap_res;
};

struct schema_params schema_default_params(void)
{
	struct schema_params p = { 0 };

	return p;
}

/* Grows a malloc'd array by doubling. Returns 0 or WR_ENOMEM. */
static int grow(void **arr, int *cap, int n, size_t elem)
{
	void *p;
	int nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*arr, (size_t)nc * elem);
	if (!p)
		return WR_ENOMEM;
	*arr = p;
	*cap = nc;
	return 0;
}

/* --- the pointer map --- */

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static struct jinfo *map_get(struct cctx *c, const json_t *j)
{
	size_t i;

	if (!c->cap)
		return NULL;
	for (i = ptr_hash(j) & (c->cap - 1); c->tab[i].j; i = (i + 1) & (c->cap - 1))
		if (c->tab[i].j == j)
			return &c->tab[i];
	return NULL;
}

static struct jinfo *map_put(struct cctx *c, json_t *j)
{
	struct jinfo *e;
	size_t i;

	if ((c->n + 1) * 2 > c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		struct jinfo *old = c->tab, *t = calloc(nc, sizeof(*t));

		if (!t)
			return NULL;
		for (size_t k = 0; k < c->cap; k++) {
			if (!old[k].j)
				continue;
			for (i = ptr_hash(old[k].j) & (nc - 1); t[i].j; i = (i + 1) & (nc - 1))
				;
			t[i] = old[k];
		}
		free(old);
		c->tab = t;
		c->cap = nc;
	}
	if ((e = map_get(c, j)))
		return e;
	for (i = ptr_hash(j) & (c->cap - 1); c->tab[i].j; i = (i + 1) & (c->cap - 1))
		;
	e = &c->tab[i];
	e->j = j;
	c->n++;
	return e;
}

static json_t *named_find(const struct named *v, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return v[i].j;
	return NULL;
}

static int named_add(struct named **v, int *n, int *cap, const char *key, json_t *j)
{
	if (grow((void **)v, cap, *n, sizeof(**v)) < 0)
		return WR_ENOMEM;
	(*v)[*n].key = key;
	(*v)[*n].j = j;
	(*n)++;
	return 0;
}

/* --- pass 1: locations, resources and anchors --- */

/* "/name" with JSON pointer escapes, appended to a location. */
static char *path_join(struct arena *a, const char *where, const char *name, size_t len)
{
	struct buf b = BUF_INIT;
	char *r;

	buf_adds(&b, where);
	buf_addc(&b, '/');
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '~')
			buf_adds(&b, "~0");
		else if (name[i] == '/')
			buf_adds(&b, "~1");
		else
			buf_addc(&b, name[i]);
	}
	r = arena_strndup(a, b.data, b.len);
	buf_release(&b);
	return r;
}

static char *path_index(struct arena *a, const char *where, size_t i)
{
	char num[32];

	snprintf(num, sizeof(num), "%zu", i);
	return path_join(a, where, num, strlen(num));
}

static int is_data_keyword(const char *k)
{
	return !strcmp(k, "enum") || !strcmp(k, "const") || !strcmp(k, "default") ||
	       !strcmp(k, "examples") || !strcmp(k, "$comment");
}

static int add_anchor(struct cctx *c, const char *base, const char *name, json_t *j,
                      const char *where)
{
	struct buf b = BUF_INIT;
	char *key;

	buf_printf(&b, "%s#%s", base, name);
	key = arena_strndup(c->a, b.data, b.len);
	buf_release(&b);
	if (!key)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	if (named_find(c->anchors, c->n_anchors, key) &&
	    named_find(c->anchors, c->n_anchors, key) != j)
		return err_set(c->err, WR_ESPEC, "schema %s: anchor '%s' defined twice", where, name);
	return named_add(&c->anchors, &c->n_anchors, &c->cap_anchors, key, j);
}

static struct sres *res_new(struct cctx *c, const char *uri)
{
	struct sres *r = arena_alloc(c->a, sizeof(*r));

	if (!r || grow((void **)&c->res, &c->cap_res, c->n_res, sizeof(*c->res)) < 0)
		return NULL;
	r->uri = uri;
	c->res[c->n_res++] = r;
	return r;
}

static int walk(struct cctx *c, json_t *j, const char *base, struct sres *res,
                const char *where, int depth);

/* Keywords whose value maps names to schemas: their member names are not
 * keywords, so "default" there is a schema, not data. */
static int is_map_keyword(const char *k)
{
	return !strcmp(k, "$defs") || !strcmp(k, "properties") ||
	       !strcmp(k, "patternProperties") || !strcmp(k, "dependentSchemas") ||
	       !strcmp(k, "definitions");
}

/* Walks the values of an object or array, each a possible schema. */
static int walk_members(struct cctx *c, json_t *v, const char *base, struct sres *res,
                        const char *where, int depth)
{
	const char *k;
	json_t *sub;
	int rc;

	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			sub = json_array_get(v, i);
			if (json_is_object(sub) || json_is_array(sub)) {
				rc = walk(c, sub, base, res, path_index(c->a, where, i), depth + 1);
				if (rc < 0)
					return rc;
			}
		}
		return 0;
	}
	json_object_foreach(v, k, sub) {
		if (!json_is_object(sub) && !json_is_array(sub))
			continue;
		rc = walk(c, sub, base, res, path_join(c->a, where, k, strlen(k)), depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_dynamic_anchor(struct cctx *c, struct sres *res, json_t *anchor, json_t *j)
{
	if (res->n_dyn == res->cap_dyn) {
		int nc = res->cap_dyn ? res->cap_dyn * 2 : 4;

		res->dyn = arena_grow(c->a, res->dyn, (size_t)res->cap_dyn * sizeof(*res->dyn),
		                      (size_t)nc * sizeof(*res->dyn));
		if (!res->dyn)
			return err_set(c->err, WR_ENOMEM, "out of memory");
		res->cap_dyn = nc;
	}
	res->dyn[res->n_dyn].name = json_string_value(anchor);
	/* the node comes after pass 1; keep the json until then */
	res->dyn[res->n_dyn].n = (const struct snode *)(void *)j;
	res->n_dyn++;
	return 0;
}

/* Records j (a schema, or an array or map of schemas) and what is inside. */
static int walk(struct cctx *c, json_t *j, const char *base, struct sres *res,
                const char *where, int depth)
{
	struct jinfo *info;
	json_t *id, *anchor, *v;
	const char *k;
	int rc;

	if (depth > WALK_DEPTH_MAX)
		return err_set(c->err, WR_ESPEC, "schema %s: nested deeper than %d levels", where,
		               WALK_DEPTH_MAX);
	if (json_is_array(j))
		return walk_members(c, j, base, res, where, depth);
	if (!json_is_object(j))
		return 0;
	id = json_object_get(j, "$id");
	if (json_is_string(id)) {
		const char *frag;
		char *abs = schema_uri_resolve(c->a, base, json_string_value(id));

		if (!abs || !(base = schema_uri_split(c->a, abs, &frag)) || !(res = res_new(c, base)))
			return err_set(c->err, WR_ENOMEM, "out of memory");
		if (frag && *frag)
			return err_set(c->err, WR_ESPEC, "schema %s/$id: '%s' has a fragment", where,
			               json_string_value(id));
		if (named_find(c->uris, c->n_uris, base))
			return err_set(c->err, WR_ESPEC, "schema %s/$id: '%s' is used twice", where, base);
		if (named_add(&c->uris, &c->n_uris, &c->cap_uris, base, j) < 0)
			return err_set(c->err, WR_ENOMEM, "out of memory");
	}
	if (!(info = map_put(c, j)))
		return err_set(c->err, WR_ENOMEM, "out of memory");
	info->base = base;
	info->res = res;
	info->where = where;
	anchor = json_object_get(j, "$anchor");
	if (json_is_string(anchor) &&
	    (rc = add_anchor(c, base, json_string_value(anchor), j, where)) < 0)
		return rc;
	anchor = json_object_get(j, "$dynamicAnchor");
	if (json_is_string(anchor) &&
	    ((rc = add_anchor(c, base, json_string_value(anchor), j, where)) < 0 ||
	     (rc = add_dynamic_anchor(c, res, anchor, j)) < 0))
		return rc;
	json_object_foreach(j, k, v) {
		const char *at;

		if (is_data_keyword(k) || !(json_is_object(v) || json_is_array(v)))
			continue;
		at = path_join(c->a, where, k, strlen(k));
		if (json_is_object(v) && is_map_keyword(k))
			rc = walk_members(c, v, base, res, at, depth + 1);
		else
			rc = walk(c, v, base, res, at, depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- pass 2: nodes --- */

static const struct snode *get_node(struct cctx *c, json_t *j, const char *where)
{
	struct jinfo *info;
	struct snode *n;

	if (json_is_true(j))
		return &c->s->yes;
	if (json_is_false(j))
		return &c->s->no;
	if (!json_is_object(j)) {
		err_set(c->err, WR_ESPEC, "schema %s: must be an object or a boolean", where);
		return NULL;
	}
	info = map_get(c, j);
	if (!info) {
		err_set(c->err, WR_ESPEC, "schema %s: $ref target is not a schema", where);
		return NULL;
	}
	if (info->node)
		return info->node;
	n = arena_alloc(c->a, sizeof(*n));
	if (!n || grow((void **)&c->work, &c->cap_work, c->n_work, sizeof(*c->work)) < 0) {
		err_set(c->err, WR_ENOMEM, "out of memory");
		return NULL;
	}
	info->node = n;
	c->work[c->n_work++] = info;
	return n;
}

static int edge(struct cctx *c, const struct jinfo *in, json_t *sub, const char *seg,
                struct sedge *e)
{
	char *where = arena_alloc(c->a, strlen(in->where) + strlen(seg) + 1);

	if (!where)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	memcpy(where, in->where, strlen(in->where));
	memcpy(where + strlen(in->where), seg, strlen(seg) + 1);
	e->seg = seg;
	e->n = get_node(c, sub, where);
	return e->n ? 0 : c->err ? c->err->code : WR_ESPEC;
}

static const char *seg1(struct cctx *c, const char *kw)
{
	return path_join(c->a, "", kw, strlen(kw));
}

static const char *seg2(struct cctx *c, const char *kw, const char *name, size_t len)
{
	return path_join(c->a, seg1(c, kw), name, len);
}

static int edge_list(struct cctx *c, const struct jinfo *in, const char *kw, json_t *v,
                     struct sedge **out, int *n_out)
{
	size_t n = json_array_size(v);
	int rc;

	if (!json_is_array(v) || n == 0)
		return err_set(c->err, WR_ESPEC, "schema %s/%s: must be a non-empty array", in->where,
		               kw);
	*out = arena_alloc(c->a, n * sizeof(**out));
	if (!*out)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *s = path_index(c->a, seg1(c, kw), i);

		if ((rc = edge(c, in, json_array_get(v, i), s, &(*out)[i])) < 0)
			return rc;
	}
	*n_out = (int)n;
	return 0;
}

static const char *num_text(struct cctx *c, json_t *v)
{
	char t[64];

	if (json_is_integer(v)) {
		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else {
		double d = json_real_value(v);

		snprintf(t, sizeof(t), "%.15g", d);
		if (strtod(t, NULL) != d)
			snprintf(t, sizeof(t), "%.17g", d);
	}
	return arena_strdup(c->a, t);
}

static int get_num(struct cctx *c, const struct jinfo *in, const char *kw, json_t *v,
                   struct snum *out)
{
	if (!json_is_number(v))
		return err_set(c->err, WR_ESPEC, "schema %s/%s: must be a number", in->where, kw);
	out->d = json_number_value(v);
	out->is_int = json_is_integer(v);
	out->i = out->is_int ? json_integer_value(v) : 0;
	if (!out->is_int && out->d == floor(out->d) && fabs(out->d) < 9.2e18) {
		out->is_int = 1;
		out->i = (json_int_t)out->d;
	}
	out->text = num_text(c, v);
	return out->text ? 0 : err_set(c->err, WR_ENOMEM, "out of memory");
}

/* A non-negative integer keyword (1.0 counts); -1 with an error otherwise. */
static long get_count(struct cctx *c, const struct jinfo *in, const char *kw, json_t *v)
{
	double d = json_number_value(v);

	if (!json_is_number(v) || d < 0 || d != floor(d) || d > 2147483647.0) {
		err_set(c->err, WR_ESPEC, "schema %s/%s: must be a non-negative integer", in->where,
		        kw);
		return -1;
	}
	return (long)d;
}

static int sval_make(json_t *v, struct sval *out)
{
	memset(out, 0, sizeof(*out));
	out->type = json_typeof(v);
	out->v = v;
	if (json_is_string(v)) {
		out->s = json_string_value(v);
		out->len = json_string_length(v);
	} else if (json_is_number(v)) {
		out->type = JSON_REAL;  /* all numbers compare as one type */
		out->d = json_number_value(v);
	}
	return 0;
}

static int compile_pattern(struct cctx *c, const struct jinfo *in, const char *kw,
                           const char *src, struct spattern *out)
{
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[160];
	pcre2_code *re;

	/* ECMA-262 flavour: $ matches only at the very end, \uXXXX escapes. */
	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX, &code, &off, NULL);
	if (!re) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		return err_set(c->err, WR_ESPEC, "schema %s/%s: bad pattern at offset %zu: %s",
		               in->where, kw, (size_t)off, (const char *)msg);
	}
	if (grow((void **)&c->s->codes, &c->s->cap_codes, c->s->n_codes, sizeof(*c->s->codes)) < 0) {
		pcre2_code_free(re);
		return err_set(c->err, WR_ENOMEM, "out of memory");
	}
	c->s->codes[c->s->n_codes++] = re;
	/* optional: the interpreter remains */
	out->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
	out->re = re;
	out->src = src;
	return 0;
}

static const char *const type_names[] = {
	"null", "boolean", "object", "array", "number", "string", "integer",
};

static int parse_types(struct cctx *c, const struct jinfo *in, json_t *v, unsigned *out)
{
	json_t *one = v;
	size_t i = 0, n = json_is_array(v) ? json_array_size(v) : 1;

	*out = 0;
	for (i = 0; i < n; i++) {
		int t;

		if (json_is_array(v))
			one = json_array_get(v, i);
		t = name_index(type_names, 7, json_string_value(one));
		if (t < 0)
			return err_set(c->err, WR_ESPEC, "schema %s/type: unknown type", in->where);
		*out |= 1u << t;
	}
	if (*out & ST_NUMBER)
		*out |= ST_INTEGER;
	return 0;
}

/* --- keywords --- */

static int kw_properties(struct cctx *c, const struct jinfo *in, struct snode *n, json_t *v)
{
	const char *k;
	json_t *sub;
	int i = 0, rc;

	if (!json_is_object(v))
		return err_set(c->err, WR_ESPEC, "schema %s/properties: must be an object", in->where);
	n->n_props = (int)json_object_size(v);
	n->props = arena_alloc(c->a, (size_t)(n->n_props ? n->n_props : 1) * sizeof(*n->props));
	if (!n->props)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	json_object_foreach(v, k, sub) {
		struct sprop *p = &n->props[i++];

		p->name = k;
		p->len = json_object_iter_key_len(json_object_key_to_iter(k));
		p->hash = schema_hash_key(k, p->len);
		if ((rc = edge(c, in, sub, seg2(c, "properties", k, p->len), &p->e)) < 0)
			return rc;
	}
	/* Few properties: a linear scan on length and bytes beats hashing. */
	if (n->n_props > 4) {
		uint32_t size = 16;

		while (size < (uint32_t)n->n_props * 2)
			size *= 2;
		n->prop_tab = arena_alloc(c->a, size * sizeof(*n->prop_tab));
		if (!n->prop_tab)
			return err_set(c->err, WR_ENOMEM, "out of memory");
		n->prop_mask = size - 1;
		for (i = 0; i < n->n_props; i++) {
			uint32_t h = n->props[i].hash & n->prop_mask;

			while (n->prop_tab[h])
				h = (h + 1) & n->prop_mask;
			n->prop_tab[h] = (uint32_t)i + 1;
		}
	}
	return 0;
}

static int kw_pattern_props(struct cctx *c, const struct jinfo *in, struct snode *n, json_t *v)
{
	const char *k;
	json_t *sub;
	int i = 0, rc;

	if (!json_is_object(v))
		return err_set(c->err, WR_ESPEC, "schema %s/patternProperties: must be an object",
		               in->where);
	n->n_pats = (int)json_object_size(v);
	n->pats = arena_alloc(c->a, (size_t)(n->n_pats ? n->n_pats : 1) * sizeof(*n->pats));
	if (!n->pats)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	json_object_foreach(v, k, sub) {
		struct spattern *p = &n->pats[i++];

		if ((rc = compile_pattern(c, in, "patternProperties", k, p)) < 0 ||
		    (rc = edge(c, in, sub, seg2(c, "patternProperties", k, strlen(k)), &p->e)) < 0)
			return rc;
	}
	return 0;
}

static int string_list(struct cctx *c, const struct jinfo *in, const char *kw, json_t *v,
                       const char ***names, size_t **lens, int *count)
{
	size_t n = json_array_size(v);

	if (!json_is_array(v))
		return err_set(c->err, WR_ESPEC, "schema %s/%s: must be an array of strings",
		               in->where, kw);
	*names = arena_alloc(c->a, (n ? n : 1) * sizeof(**names));
	*lens = arena_alloc(c->a, (n ? n : 1) * sizeof(**lens));
	if (!*names || !*lens)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);

		if (!json_is_string(s))
			return err_set(c->err, WR_ESPEC, "schema %s/%s/%zu: must be a string",
			               in->where, kw, i);
		(*names)[i] = json_string_value(s);
		(*lens)[i] = json_string_length(s);
	}
	*count = (int)n;
	return 0;
}

static int kw_dep_required(struct cctx *c, const struct jinfo *in, struct snode *n, json_t *v)
{
	const char *k;
	json_t *sub;
	int i = 0, rc;

	if (!json_is_object(v))
		return err_set(c->err, WR_ESPEC, "schema %s/dependentRequired: must be an object",
		               in->where);
	n->n_dep_req = (int)json_object_size(v);
	n->dep_req = arena_alloc(c->a, (size_t)(n->n_dep_req + 1) * sizeof(*n->dep_req));
	if (!n->dep_req)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	json_object_foreach(v, k, sub) {
		struct sdepreq *d = &n->dep_req[i++];

		d->name = k;
		d->len = json_object_iter_key_len(json_object_key_to_iter(k));
		if ((rc = string_list(c, in, "dependentRequired", sub, &d->req, &d->req_len,
		                      &d->n_req)) < 0)
			return rc;
	}
	return 0;
}

static int kw_dep_schemas(struct cctx *c, const struct jinfo *in, struct snode *n, json_t *v)
{
	const char *k;
	json_t *sub;
	int i = 0, rc;

	if (!json_is_object(v))
		return err_set(c->err, WR_ESPEC, "schema %s/dependentSchemas: must be an object",
		               in->where);
	n->n_dep_schema = (int)json_object_size(v);
	n->dep_schema = arena_alloc(c->a, (size_t)(n->n_dep_schema + 1) * sizeof(*n->dep_schema));
	if (!n->dep_schema)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	json_object_foreach(v, k, sub) {
		struct sdepschema *d = &n->dep_schema[i++];

		d->name = k;
		d->len = json_object_iter_key_len(json_object_key_to_iter(k));
		rc = edge(c, in, sub, seg2(c, "dependentSchemas", k, d->len), &d->e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int kw_enum(struct cctx *c, const struct jinfo *in, struct snode *n, json_t *v)
{
	size_t k = json_array_size(v);

	if (!json_is_array(v))
		return err_set(c->err, WR_ESPEC, "schema %s/enum: must be an array", in->where);
	n->enums = arena_alloc(c->a, (k ? k : 1) * sizeof(*n->enums));
	if (!n->enums)
		return err_set(c->err, WR_ENOMEM, "out of memory");
	for (size_t i = 0; i < k; i++)
		sval_make(json_array_get(v, i), &n->enums[i]);
	n->n_enums = (int)k;
	n->kw |= SK_ENUM;
	return 0;
}

/* Resolves a $ref or $dynamicRef value to the schema it names. */
static json_t *resolve_ref(struct cctx *c, const struct jinfo *in, const char *kw,
                           const char *ref, const char **anchor)
{
	const char *frag;
	char *abs = schema_uri_resolve(c->a, in->base, ref), *uri;
	json_t *doc, *target = NULL;

	*anchor = NULL;
	if (!abs || !(uri = schema_uri_split(c->a, abs, &frag))) {
		err_set(c->err, WR_ENOMEM, "out of memory");
		return NULL;
	}
	doc = named_find(c->uris, c->n_uris, uri);
	if (!doc) {
		err_set(c->err, WR_ESPEC, "schema %s/%s: cannot resolve '%s' (no resource '%s')",
		        in->where, kw, ref, uri);
		return NULL;
	}
	if (!frag || *frag == '\0' || *frag == '/') {
		target = frag ? schema_pointer_get(doc, frag) : doc;
	} else {
		target = named_find(c->anchors, c->n_anchors, abs);
		*anchor = frag;
	}
	if (!target)
		err_set(c->err, WR_ESPEC, "schema %s/%s: cannot resolve '%s'", in->where, kw, ref);
	return target;
}

static int kw_ref(struct cctx *c, const struct jinfo *in, struct snode *n, const char *kw,
                  json_t *v)
{
	const char *anchor;
	json_t *target, *dyn;
	int dynamic = kw[1] == 'd';

	if (!json_is_string(v))
		return err_set(c->err, WR_ESPEC, "schema %s/%s: must be a string", in->where, kw);
	target = resolve_ref(c, in, kw, json_string_value(v), &anchor);
	if (!target)
		return c->err ? c->err->code : WR_ESPEC;
	n->kw |= SK_REF;
	if (!dynamic)
		return edge(c, in, target, "/$ref", &n->ref);
	/* Only a $dynamicRef whose static target is a $dynamicAnchor of the same
	 * name looks at the dynamic scope (the "bookend" rule of 2020-12). */
	dyn = json_object_get(target, "$dynamicAnchor");
	if (anchor && json_is_string(dyn) && !strcmp(json_string_value(dyn), anchor)) {
		n->dyn_name = anchor;
		c->s->dynamic = 1;
	}
	return edge(c, in, target, "/$dynamicRef", &n->dynref);
}

static int kw_single(struct cctx *c, const struct jinfo *in, const char *kw, json_t *v,
                     struct sedge *e)
{
	return edge(c, in, v, seg1(c, kw), e);
}

/* Keywords about one type of instance, number and string first. */
static int kw_typed(struct cctx *c, const struct jinfo *in, struct snode *n, const char *k,
                    json_t *v, int *done)
{
	int rc = 0;

	*done = 1;
	if (!strcmp(k, "minimum"))
		rc = get_num(c, in, k, v, &n->min), n->has_min = 1, n->kw |= SK_NUMBER;
	else if (!strcmp(k, "maximum"))
		rc = get_num(c, in, k, v, &n->max), n->has_max = 1, n->kw |= SK_NUMBER;
	else if (!strcmp(k, "exclusiveMinimum"))
		rc = get_num(c, in, k, v, &n->xmin), n->has_xmin = 1, n->kw |= SK_NUMBER;
	else if (!strcmp(k, "exclusiveMaximum"))
		rc = get_num(c, in, k, v, &n->xmax), n->has_xmax = 1, n->kw |= SK_NUMBER;
	else if (!strcmp(k, "multipleOf")) {
		rc = get_num(c, in, k, v, &n->mult), n->has_mult = 1, n->kw |= SK_NUMBER;
		if (rc == 0 && !(n->mult.d > 0))
			rc = err_set(c->err, WR_ESPEC, "schema %s/multipleOf: must be greater than 0",
			             in->where);
	} else if (!strcmp(k, "minLength"))
		rc = (n->min_len = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0, n->kw |= SK_STRING;
	else if (!strcmp(k, "maxLength"))
		rc = (n->max_len = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0, n->kw |= SK_STRING;
	else if (!strcmp(k, "pattern")) {
		if (!json_is_string(v))
			return err_set(c->err, WR_ESPEC, "schema %s/pattern: must be a string", in->where);
		n->pattern = arena_alloc(c->a, sizeof(*n->pattern));
		if (!n->pattern)
			return err_set(c->err, WR_ENOMEM, "out of memory");
		rc = compile_pattern(c, in, k, json_string_value(v), n->pattern);
		n->kw |= SK_STRING;
	} else if (!strcmp(k, "format")) {
		if (!json_is_string(v))
			return err_set(c->err, WR_ESPEC, "schema %s/format: must be a string", in->where);
		n->format_name = json_string_value(v);
		if (c->s->params.format_assert) {
			n->format = schema_format_parse(n->format_name);
			if (n->format)
				n->kw |= SK_STRING;
		}
	} else if (!strcmp(k, "minItems"))
		rc = (n->min_items = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0, n->kw |= SK_ARRAY;
	else if (!strcmp(k, "maxItems"))
		rc = (n->max_items = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0, n->kw |= SK_ARRAY;
	else if (!strcmp(k, "minContains"))
		rc = (n->min_contains = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0;
	else if (!strcmp(k, "maxContains"))
		rc = (n->max_contains = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0;
	else if (!strcmp(k, "uniqueItems")) {
		if (!json_is_boolean(v))
			return err_set(c->err, WR_ESPEC, "schema %s/uniqueItems: must be a boolean",
			               in->where);
		n->unique = json_is_true(v);
		if (n->unique)
			n->kw |= SK_ARRAY;
	} else if (!strcmp(k, "prefixItems"))
		rc = edge_list(c, in, k, v, &n->prefix, &n->n_prefix), n->kw |= SK_ARRAY;
	else if (!strcmp(k, "items"))
		rc = kw_single(c, in, k, v, &n->items), n->kw |= SK_ARRAY;
	else if (!strcmp(k, "contains"))
		rc = kw_single(c, in, k, v, &n->contains), n->kw |= SK_ARRAY;
	else if (!strcmp(k, "unevaluatedItems"))
		rc = kw_single(c, in, k, v, &n->uneval_items), n->kw |= SK_ARRAY;
	else
		*done = 0;
	return rc;
}

static int kw_object(struct cctx *c, const struct jinfo *in, struct snode *n, const char *k,
                     json_t *v, int *done)
{
	int rc = 0;

	*done = 1;
	if (!strcmp(k, "properties"))
		rc = kw_properties(c, in, n, v), n->walk_keys = 1;
	else if (!strcmp(k, "patternProperties"))
		rc = kw_pattern_props(c, in, n, v), n->walk_keys = 1;
	else if (!strcmp(k, "additionalProperties"))
		rc = kw_single(c, in, k, v, &n->addl), n->walk_keys = 1;
	else if (!strcmp(k, "propertyNames"))
		rc = kw_single(c, in, k, v, &n->names), n->walk_keys = 1;
	else if (!strcmp(k, "unevaluatedProperties"))
		rc = kw_single(c, in, k, v, &n->uneval_props);
	else if (!strcmp(k, "required"))
		rc = string_list(c, in, k, v, &n->required, &n->required_len, &n->n_required);
	else if (!strcmp(k, "dependentRequired"))
		rc = kw_dep_required(c, in, n, v);
	else if (!strcmp(k, "dependentSchemas"))
		rc = kw_dep_schemas(c, in, n, v);
	else if (!strcmp(k, "minProperties"))
		rc = (n->min_props = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0;
	else if (!strcmp(k, "maxProperties"))
		rc = (n->max_props = get_count(c, in, k, v)) < 0 ? WR_ESPEC : 0;
	else
		*done = 0;
	if (*done)
		n->kw |= SK_OBJECT;
	return rc;
}

static int kw_any(struct cctx *c, const struct jinfo *in, struct snode *n, const char *k,
                  json_t *v)
{
	if (!strcmp(k, "type")) {
		n->kw |= SK_TYPE;
		return parse_types(c, in, v, &n->types);
	}
	if (!strcmp(k, "enum"))
		return kw_enum(c, in, n, v);
	if (!strcmp(k, "const")) {
		n->kw |= SK_CONST;
		return sval_make(v, &n->cnst);
	}
	if (!strcmp(k, "$ref") || !strcmp(k, "$dynamicRef"))
		return kw_ref(c, in, n, k, v);
	if (!strcmp(k, "allOf"))
		return n->kw |= SK_APPLY, edge_list(c, in, k, v, &n->all_of, &n->n_all_of);
	if (!strcmp(k, "anyOf"))
		return n->kw |= SK_APPLY, edge_list(c, in, k, v, &n->any_of, &n->n_any_of);
	if (!strcmp(k, "oneOf"))
		return n->kw |= SK_APPLY, edge_list(c, in, k, v, &n->one_of, &n->n_one_of);
	if (!strcmp(k, "not"))
		return n->kw |= SK_APPLY, kw_single(c, in, k, v, &n->not_);
	if (!strcmp(k, "if"))
		return n->kw |= SK_APPLY, kw_single(c, in, k, v, &n->if_);
	if (!strcmp(k, "then"))
		return kw_single(c, in, k, v, &n->then_);
	if (!strcmp(k, "else"))
		return kw_single(c, in, k, v, &n->else_);
	return 0;  /* unknown keywords are annotations: ignored */
}

/* When every required name is also a property, the key walk counts them
 * and no hash lookup is needed unless one is missing. */
static void mark_required(struct snode *n)
{
	int found = 0;

	for (int r = 0; r < n->n_required; r++) {
		for (int i = 0; i < n->n_props; i++) {
			struct sprop *p = &n->props[i];

			if (p->len == n->required_len[r] && !memcmp(p->name, n->required[r], p->len)) {
				found += !p->required;
				p->required = 1;
				break;
			}
		}
	}
	if (n->n_required > 0 && found == n->n_required) {
		n->required_by_walk = 1;
		n->walk_keys = 1;
	}
}

static int compile_node(struct cctx *c, const struct jinfo *in)
{
	struct snode *n = in->node;
	const char *k;
	json_t *v;
	int rc, done;

	n->types = ST_ALL;
	n->res = in->res;
	n->where = in->where;
	n->min_len = n->max_len = n->min_items = n->max_items = -1;
	n->min_props = n->max_props = n->max_contains = -1;
	n->min_contains = 1;
	json_object_foreach(in->j, k, v) {
		if ((rc = kw_typed(c, in, n, k, v, &done)) < 0)
			return rc;
		if (!done && (rc = kw_object(c, in, n, k, v, &done)) < 0)
			return rc;
		if (!done && (rc = kw_any(c, in, n, k, v)) < 0)
			return rc;
	}
	/* then/else mean nothing without if; "contains" bounds nothing without it */
	if (!n->if_.n)
		n->then_.n = n->else_.n = NULL;
	if (!n->contains.n)
		n->max_contains = -1;
	mark_required(n);
	if (n->uneval_props.n)
		n->kw |= SK_OBJECT;
	return 0;
}

/* --- entry points --- */

static void cctx_release(struct cctx *c)
{
	free(c->tab);
	free(c->uris);
	free(c->anchors);
	free(c->work);
	free(c->res);
}

int schema_compile(json_t *root, const struct schema_params *p, struct schema **out,
                   struct wr_err *err)
{
	struct cctx c = { 0 };
	struct wr_err local = { 0 };
	struct schema *s = calloc(1, sizeof(*s));
	struct sres *top;
	int rc = WR_ENOMEM;

	if (!s)
		return err_set(err, WR_ENOMEM, "out of memory");
	arena_init(&s->arena, 65536);
	s->params = p ? *p : schema_default_params();
	s->yes.always = 1;
	s->no.always = -1;
	s->yes.where = s->no.where = "";
	c.s = s;
	c.a = &s->arena;
	c.err = err ? err : &local;
	if (!root || !(s->doc = json_deep_copy(root))) {
		rc = err_set(err, root ? WR_ENOMEM : WR_EINVAL, "no schema");
		goto out;
	}
	if (!json_is_object(s->doc) && !json_is_boolean(s->doc)) {
		rc = err_set(err, WR_ESPEC, "schema: must be an object or a boolean");
		goto out;
	}
	top = res_new(&c, DEFAULT_BASE);
	if (!top || named_add(&c.uris, &c.n_uris, &c.cap_uris, DEFAULT_BASE, s->doc) < 0)
		goto out;
	if ((rc = walk(&c, s->doc, DEFAULT_BASE, top, "#", 0)) < 0)
		goto out;
	if (!(s->root = get_node(&c, s->doc, "#"))) {
		rc = c.err->code;
		goto out;
	}
	/* Dynamic anchors: swap the json recorded in pass 1 for its node. */
	for (int i = 0; i < c.n_res; i++) {
		for (int k = 0; k < c.res[i]->n_dyn; k++) {
			json_t *j = (json_t *)(void *)c.res[i]->dyn[k].n;

			if (!(c.res[i]->dyn[k].n = get_node(&c, j, "#"))) {
				rc = c.err->code;
				goto out;
			}
		}
	}
	while (c.n_work > 0) {
		struct jinfo *in = c.work[--c.n_work];

		if ((rc = compile_node(&c, in)) < 0)
			goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	cctx_release(&c);
	schema_free(s);
	return rc;
}

void schema_free(struct schema *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_codes; i++)
		pcre2_code_free(s->codes[i]);
	free(s->codes);
	json_decref(s->doc);
	arena_release(&s->arena);
	free(s);
}
