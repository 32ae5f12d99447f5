/* schema_validate.c: walks a document against a compiled schema.
 *
 * Speed comes from three things. Keywords a node lacks cost one bit test
 * (snode.kw). Paths for error messages are linked frames on the C stack,
 * turned into strings only when an error is recorded. Annotations for
 * unevaluatedProperties/unevaluatedItems are collected only below a node
 * that has one: the caller passes a struct eval, else NULL, and the
 * bits are indexed by key position (jansson iterates objects in a fixed
 * order) or item index. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/schema_int.h"

struct ipath {               /* a step in the instance path */
	const struct ipath *up;
	const char *key;     /* NULL: array index idx */
	size_t len;
	size_t idx;
};

struct spath {               /* a step in the schema (keyword) path */
	const struct spath *up;
	const char *seg;
};

struct scope {               /* the dynamic scope: resources entered, innermost first */
	const struct scope *up;
	const struct sres *res;
};

struct eval {                /* which keys or items some keyword evaluated */
	uint64_t *bits;
	size_t n;
	uint64_t inl[4];
};

struct vctx {
	const struct schema *s;
	struct schema_error *errs;
	int max, n;
	int all;             /* keep going after a failure (max_errors > 1) */
	int mute;            /* > 0 inside anyOf, oneOf, not, if, contains: no errors recorded */
	int depth;
	int too_deep, oom;
	const struct scope *scope;
};

/* Whether to go on after a failure: only when collecting every error. */
#define GO_ON(c) ((c)->all && !(c)->mute)

static int v_node(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                  const struct spath *sp, struct eval *ev);

/* Short keys: a loop beats a call to memcmp. */
static inline int bytes_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* --- annotations --- */

static int ev_init(struct vctx *c, struct eval *e, size_t n)
{
	size_t words = (n + 63) / 64;

	e->n = n;
	e->bits = e->inl;
	if (words > 4 && !(e->bits = calloc(words, sizeof(uint64_t)))) {
		c->oom = 1;
		e->bits = e->inl;
		e->n = 0;
		return -1;
	}
	memset(e->inl, 0, sizeof(e->inl));
	return 0;
}

static void ev_release(struct eval *e)
{
	if (e->bits != e->inl)
		free(e->bits);
}

static inline void ev_set(struct eval *e, size_t i)
{
	if (i < e->n)
		e->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline int ev_test(const struct eval *e, size_t i)
{
	return i < e->n && (e->bits[i / 64] >> (i % 64) & 1);
}

static void ev_merge(struct eval *dst, const struct eval *src)
{
	for (size_t w = 0; w < (dst->n + 63) / 64 && w < (src->n + 63) / 64; w++)
		dst->bits[w] |= src->bits[w];
}

static void ev_fill(struct eval *e)
{
	for (size_t i = 0; i < e->n; i++)
		ev_set(e, i);
}

/* --- errors --- */

/* Writes the frames right to left ending at end; returns the start. */
static char *put_rev(char *start, char *end, const char *s, size_t n)
{
	while (n > 0 && end > start)
		*--end = s[--n];
	return end;
}

static void render_ipath(const struct ipath *ip, char *out)
{
	char tmp[2048], *end = tmp + sizeof(tmp) - 1, *p = end;

	*end = '\0';
	for (; ip && p > tmp + 8; ip = ip->up) {
		if (ip->key) {
			for (size_t i = ip->len; i > 0 && p > tmp + 2; i--) {
				char ch = ip->key[i - 1];

				if (ch == '~')
					p = put_rev(tmp, p, "~0", 2);
				else if (ch == '/')
					p = put_rev(tmp, p, "~1", 2);
				else
					*--p = ch;
			}
		} else {
			char num[24];

			snprintf(num, sizeof(num), "%zu", ip->idx);
			p = put_rev(tmp, p, num, strlen(num));
		}
		p = put_rev(tmp, p, "/", 1);
	}
	if ((size_t)(end - p) >= SCHEMA_PATH_MAX)
		p = end - (SCHEMA_PATH_MAX - 1);
	memcpy(out, p, (size_t)(end - p) + 1);
}

static void render_spath(const struct spath *sp, const char *kw, char *out)
{
	char tmp[2048], *end = tmp + sizeof(tmp) - 1, *p = end;

	*end = '\0';
	if (kw) {
		p = put_rev(tmp, p, kw, strlen(kw));
		p = put_rev(tmp, p, "/", 1);
	}
	for (; sp && p > tmp; sp = sp->up)
		p = put_rev(tmp, p, sp->seg, strlen(sp->seg));
	if ((size_t)(end - p) >= SCHEMA_PATH_MAX)
		p = end - (SCHEMA_PATH_MAX - 1);
	memcpy(out, p, (size_t)(end - p) + 1);
}

__attribute__((format(printf, 5, 6)))
static void fail_record(struct vctx *c, const struct ipath *ip, const struct spath *sp,
                        const char *kw, const char *fmt, ...)
{
	struct schema_error *e = &c->errs[c->n++];
	va_list ap;

	render_ipath(ip, e->instance_path);
	render_spath(sp, kw, e->schema_path);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Records an error unless muted or full. A macro, so that the message's
 * arguments (numbers formatted with show()) cost nothing when the verdict
 * is all that is wanted. */
#define fail(c, ...) do { if (!(c)->mute && (c)->n < (c)->max) \
		fail_record((c), __VA_ARGS__); } while (0)

/* A short rendering of a value for messages: numbers and short strings as
 * they are, anything else by its type. */
static const char *show(json_t *x, char *buf, size_t size)
{
	switch (json_typeof(x)) {
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.15g", json_real_value(x));
		break;
	case JSON_STRING: {
		size_t n = json_string_length(x);

		if (n <= 40)
			snprintf(buf, size, "\"%s\"", json_string_value(x));
		else
			snprintf(buf, size, "\"%.37s...\"", json_string_value(x));
		break;
	}
	case JSON_OBJECT:
		snprintf(buf, size, "object");
		break;
	case JSON_ARRAY:
		snprintf(buf, size, "array");
		break;
	case JSON_TRUE:
		snprintf(buf, size, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "false");
		break;
	default:
		snprintf(buf, size, "null");
	}
	return buf;
}

/* --- equality and hashing --- */

uint32_t schema_hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int num_equal(json_t *a, json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	return json_number_value(a) == json_number_value(b);
}

int schema_json_equal(json_t *a, json_t *b)
{
	int ta = json_typeof(a), tb = json_typeof(b);

	if (ta == JSON_REAL || ta == JSON_INTEGER)
		return (tb == JSON_REAL || tb == JSON_INTEGER) && num_equal(a, b);
	if (ta != tb)
		return 0;
	switch (ta) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!schema_json_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT: {
		json_t *w;

		if (json_object_size(a) != json_object_size(b))
			return 0;
		for (void *it = json_object_iter(a); it; it = json_object_iter_next(a, it)) {
			w = json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
			if (!w || !schema_json_equal(json_object_iter_value(it), w))
				return 0;
		}
		return 1;
	}
	default:
		return 1;  /* true, false, null */
	}
}

/* A hash that agrees with schema_json_equal: numbers by value, objects
 * independent of key order. */
static uint64_t json_hash(json_t *x)
{
	uint64_t h = (uint64_t)json_typeof(x) * 0x9E3779B97F4A7C15ULL;

	switch (json_typeof(x)) {
	case JSON_INTEGER:
	case JSON_REAL: {
		double d = json_number_value(x);
		uint64_t u;

		if (d == 0)
			d = 0;  /* -0 == 0 */
		memcpy(&u, &d, sizeof(u));
		return u * 0xff51afd7ed558ccdULL + 7;
	}
	case JSON_STRING:
		return h ^ schema_hash_bytes(json_string_value(x), json_string_length(x));
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(x); i++)
			h = (h ^ json_hash(json_array_get(x, i))) * 0x100000001B3ULL;
		return h;
	case JSON_OBJECT: {
		uint64_t sum = 0;

		for (void *it = json_object_iter(x); it; it = json_object_iter_next(x, it))
			sum += (schema_hash_bytes(json_object_iter_key(it), json_object_iter_key_len(it)) *
			        0x9E3779B1ULL) ^ json_hash(json_object_iter_value(it));
		return h ^ sum;
	}
	default:
		return h;
	}
}

static int sval_equal(const struct sval *a, json_t *x)
{
	switch (a->type) {
	case JSON_STRING:
		return json_is_string(x) && json_string_length(x) == a->len &&
		       bytes_equal(json_string_value(x), a->s, a->len);
	case JSON_REAL:
		return json_is_number(x) && num_equal(a->v, x);
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return (int)json_typeof(x) == a->type;
	default:
		return schema_json_equal(a->v, x);
	}
}

/* --- type, enum, const --- */

static const char *type_word(json_t *x)
{
	switch (json_typeof(x)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static unsigned type_bit(json_t *x)
{
	switch (json_typeof(x)) {
	case JSON_OBJECT: return ST_OBJECT;
	case JSON_ARRAY: return ST_ARRAY;
	case JSON_STRING: return ST_STRING;
	case JSON_INTEGER: return ST_INTEGER | ST_NUMBER;
	case JSON_REAL: {
		double d = json_real_value(x);

		return d == floor(d) && isfinite(d) ? ST_INTEGER | ST_NUMBER : ST_NUMBER;
	}
	case JSON_TRUE:
	case JSON_FALSE: return ST_BOOLEAN;
	default: return ST_NULL;
	}
}

static int v_type(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                  const struct spath *sp)
{
	static const char *const names[] = {
		"null", "boolean", "object", "array", "number", "string", "integer",
	};
	char want[128] = "";
	size_t len = 0;

	if (type_bit(x) & n->types)
		return 1;
	if (c->mute || c->n >= c->max)
		return 0;  /* nobody reads the message */
	for (int t = 0; t < 7; t++) {
		if (!(n->types & (1u << t)) || (t == 6 && (n->types & ST_NUMBER)))
			continue;
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%s", len ? " or " : "",
		                        names[t]);
		if (len >= sizeof(want))
			break;
	}
	fail(c, ip, sp, "type", "expected %s, got %s", want, type_word(x));
	return 0;
}

static int v_enum_const(struct vctx *c, const struct snode *n, json_t *x,
                        const struct ipath *ip, const struct spath *sp)
{
	char v[64];
	int ok = 1, i;

	if (n->kw & SK_CONST && !sval_equal(&n->cnst, x)) {
		fail(c, ip, sp, "const", "%s is not the constant value", show(x, v, sizeof(v)));
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	if (n->kw & SK_ENUM) {
		if (json_is_string(x)) {
			/* fetch the string once, not once per member */
			const char *s = json_string_value(x);
			size_t len = json_string_length(x);

			for (i = 0; i < n->n_enums; i++)
				if (n->enums[i].type == JSON_STRING && n->enums[i].len == len &&
				    bytes_equal(n->enums[i].s, s, len))
					break;
		} else {
			for (i = 0; i < n->n_enums; i++)
				if (sval_equal(&n->enums[i], x))
					break;
		}
		if (i == n->n_enums) {
			fail(c, ip, sp, "enum", "%s is not one of the allowed values",
			     show(x, v, sizeof(v)));
			ok = 0;
		}
	}
	return ok;
}

/* --- numbers --- */

/* <0, 0, >0 as x compares to the bound; exact for two integers. */
static int num_cmp(json_t *x, const struct snum *b)
{
	double d;

	if (json_is_integer(x) && b->is_int) {
		json_int_t i = json_integer_value(x);

		return i < b->i ? -1 : i > b->i;
	}
	d = json_number_value(x);
	return d < b->d ? -1 : d > b->d;
}

/* Float-safe: 0.07 is a multiple of 0.01 although 0.07 / 0.01 is
 * 7.000000000000001 in binary. The quotient may be off from an integer by
 * the rounding of three operations, a few ulps. */
static int is_multiple(json_t *x, const struct snum *m)
{
	double q, r;

	if (json_is_integer(x) && m->is_int)
		return json_integer_value(x) % m->i == 0;
	q = json_number_value(x) / m->d;
	if (!isfinite(q))
		return fmod(json_number_value(x), m->d) == 0;
	r = nearbyint(q);
	return fabs(q - r) <= 4 * DBL_EPSILON * fabs(q);
}

static int v_number(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                    const struct spath *sp)
{
	char v[64];
	int ok = 1;

#define NUM_FAIL(kw, ...) do { fail(c, ip, sp, kw, __VA_ARGS__); ok = 0; \
		if (!GO_ON(c)) return 0; } while (0)
	if (n->has_min && num_cmp(x, &n->min) < 0)
		NUM_FAIL("minimum", "%s is less than the minimum %s", show(x, v, sizeof(v)),
		         n->min.text);
	if (n->has_max && num_cmp(x, &n->max) > 0)
		NUM_FAIL("maximum", "%s is greater than the maximum %s", show(x, v, sizeof(v)),
		         n->max.text);
	if (n->has_xmin && num_cmp(x, &n->xmin) <= 0)
		NUM_FAIL("exclusiveMinimum", "%s is not greater than the exclusive minimum %s",
		         show(x, v, sizeof(v)), n->xmin.text);
	if (n->has_xmax && num_cmp(x, &n->xmax) >= 0)
		NUM_FAIL("exclusiveMaximum", "%s is not less than the exclusive maximum %s",
		         show(x, v, sizeof(v)), n->xmax.text);
	if (n->has_mult && !is_multiple(x, &n->mult))
		NUM_FAIL("multipleOf", "%s is not a multiple of %s", show(x, v, sizeof(v)),
		         n->mult.text);
#undef NUM_FAIL
	return ok;
}

/* --- strings --- */

static size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Match data for patterns, one per thread and kept: validation is
 * called per document and a malloc per call would cost more than most
 * matches. Only the first pair of the ovector is ever used. */
static _Thread_local pcre2_match_data *tl_md;

/* 1 match, 0 none, -1 error (counted as no match, with c->oom on ENOMEM). */
static int re_search(struct vctx *c, const struct spattern *p, const char *s, size_t len)
{
	int rc;

	if (!tl_md && !(tl_md = pcre2_match_data_create(1, NULL))) {
		c->oom = 1;
		return -1;
	}
	/* jansson strings are valid UTF-8, so the UTF check can be skipped */
	if (p->jit)
		rc = pcre2_jit_match(p->re, (PCRE2_SPTR)s, len, 0, 0, tl_md, NULL);
	else
		rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, tl_md, NULL);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static int v_string(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                    const struct spath *sp)
{
	const char *s = json_string_value(x);
	size_t len = json_string_length(x), cps;
	char v[64];
	int ok = 1;

	/* Bytes bound code points (len/4 <= cps <= len): count only when
	 * the bounds do not decide. */
	if ((n->max_len >= 0 && (size_t)n->max_len < len) ||
	    (n->min_len >= 0 && (size_t)n->min_len * 4 > len)) {
		cps = utf8_count(s, len);
		if (n->max_len >= 0 && cps > (size_t)n->max_len) {
			fail(c, ip, sp, "maxLength", "%s is longer than %ld characters",
			     show(x, v, sizeof(v)), n->max_len);
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
		if (n->min_len >= 0 && cps < (size_t)n->min_len) {
			fail(c, ip, sp, "minLength", "%s is shorter than %ld characters",
			     show(x, v, sizeof(v)), n->min_len);
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	if (n->pattern && re_search(c, n->pattern, s, len) != 1) {
		fail(c, ip, sp, "pattern", "%s does not match the pattern %s", show(x, v, sizeof(v)),
		     n->pattern->src);
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	if (n->format && !schema_format_check(n->format, s, len)) {
		fail(c, ip, sp, "format", "%s is not a valid %s", show(x, v, sizeof(v)),
		     n->format_name);
		ok = 0;
	}
	return ok;
}

/* --- arrays --- */

struct hitem {
	uint64_t h;
	size_t i;
};

static int hitem_cmp(const void *a, const void *b)
{
	const struct hitem *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Finds two equal items: pairwise for short arrays, else sorted by hash.
 * Returns 1 with *i < *j when found. */
static int find_duplicate(struct vctx *c, json_t *x, size_t *i, size_t *j)
{
	size_t n = json_array_size(x);
	struct hitem *h;
	int found = 0;

	if (n <= 16) {
		for (size_t a = 0; a < n; a++)
			for (size_t b = a + 1; b < n; b++)
				if (schema_json_equal(json_array_get(x, a), json_array_get(x, b))) {
					*i = a, *j = b;
					return 1;
				}
		return 0;
	}
	if (!(h = malloc(n * sizeof(*h)))) {
		c->oom = 1;
		return 0;
	}
	for (size_t a = 0; a < n; a++) {
		h[a].h = json_hash(json_array_get(x, a));
		h[a].i = a;
	}
	qsort(h, n, sizeof(*h), hitem_cmp);
	for (size_t a = 0; a < n && !found; a++)
		for (size_t b = a + 1; b < n && h[b].h == h[a].h; b++)
			if (schema_json_equal(json_array_get(x, h[a].i), json_array_get(x, h[b].i))) {
				*i = h[a].i, *j = h[b].i;
				found = 1;
				break;
			}
	free(h);
	return found;
}

static int v_contains(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                      const struct spath *sp, struct eval *e)
{
	size_t size = json_array_size(x), count = 0;
	struct spath csp = { sp, n->contains.seg };
	/* Without maxContains or annotations to collect, enough matches end it. */
	int stop_early = n->max_contains < 0 && !e;

	c->mute++;
	for (size_t i = 0; i < size; i++) {
		struct ipath cip = { ip, NULL, 0, i };

		if (v_node(c, n->contains.n, json_array_get(x, i), &cip, &csp, NULL)) {
			count++;
			if (e)
				ev_set(e, i);
			if (stop_early && count >= (size_t)n->min_contains)
				break;
		}
	}
	c->mute--;
	if (count < (size_t)n->min_contains) {
		if (n->min_contains == 1)
			fail(c, ip, sp, "contains", "no item matches the contains schema");
		else
			fail(c, ip, sp, "minContains", "%zu items match the contains schema, fewer than %ld",
			     count, n->min_contains);
		return 0;
	}
	if (n->max_contains >= 0 && count > (size_t)n->max_contains) {
		fail(c, ip, sp, "maxContains", "%zu items match the contains schema, more than %ld",
		     count, n->max_contains);
		return 0;
	}
	return 1;
}

static int v_array(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                   const struct spath *sp, struct eval *e)
{
	size_t size = json_array_size(x), a, b;
	int ok = 1;

	if (n->min_items >= 0 && size < (size_t)n->min_items) {
		fail(c, ip, sp, "minItems", "array has %zu items, fewer than %ld", size, n->min_items);
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	if (n->max_items >= 0 && size > (size_t)n->max_items) {
		fail(c, ip, sp, "maxItems", "array has %zu items, more than %ld", size, n->max_items);
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	if (n->unique && find_duplicate(c, x, &a, &b)) {
		fail(c, ip, sp, "uniqueItems", "items %zu and %zu are equal", a, b);
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	if (n->n_prefix || n->items.n) {
		struct spath isp = { sp, n->items.seg };

		for (size_t i = 0; i < size; i++) {
			struct ipath cip = { ip, NULL, 0, i };
			const struct sedge *edge = i < (size_t)n->n_prefix ? &n->prefix[i] : &n->items;
			struct spath psp = { sp, edge->seg };

			if (!edge->n)
				break;  /* prefixItems only: the rest is not evaluated here */
			if (!v_node(c, edge->n, json_array_get(x, i), &cip,
			            edge == &n->items ? &isp : &psp, NULL)) {
				ok = 0;
				if (!GO_ON(c))
					return 0;
			}
			if (e)
				ev_set(e, i);
		}
	}
	if (n->contains.n && !v_contains(c, n, x, ip, sp, e))
		ok = 0;
	return ok;
}

static int v_uneval_items(struct vctx *c, const struct snode *n, json_t *x,
                          const struct ipath *ip, const struct spath *sp, struct eval *e)
{
	struct spath usp = { sp, n->uneval_items.seg };
	size_t size = json_array_size(x);
	int ok = 1;

	for (size_t i = 0; i < size; i++) {
		struct ipath cip = { ip, NULL, 0, i };

		if (ev_test(e, i))
			continue;
		if (n->uneval_items.n->always < 0) {
			fail(c, &cip, &usp, NULL, "item %zu is not allowed (unevaluated)", i);
			ok = 0;
		} else if (!v_node(c, n->uneval_items.n, json_array_get(x, i), &cip, &usp, NULL)) {
			ok = 0;
		}
		if (!ok && !GO_ON(c))
			return 0;
	}
	return ok;
}

/* --- objects --- */

static const struct sprop *prop_find(const struct snode *n, const char *k, size_t len)
{
	if (!n->prop_tab) {
		for (int i = 0; i < n->n_props; i++)
			if (n->props[i].len == len && bytes_equal(n->props[i].name, k, len))
				return &n->props[i];
		return NULL;
	}
	uint32_t h = schema_hash_key(k, len);

	for (uint32_t s = h & n->prop_mask; n->prop_tab[s]; s = (s + 1) & n->prop_mask) {
		const struct sprop *p = &n->props[n->prop_tab[s] - 1];

		if (p->hash == h && p->len == len && bytes_equal(p->name, k, len))
			return p;
	}
	return NULL;
}

/* Printable property names (keys may hold anything). */
static const char *clip_key(const char *k, size_t len, char *buf, size_t size)
{
	size_t n = len < size - 4 ? len : size - 4;

	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)k[i] < 0x20 ? '?' : k[i];
	if (n < len)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

/* properties, patternProperties, additionalProperties and propertyNames
 * for one key; marks e when one of the first three took it. */
static int v_key(struct vctx *c, const struct snode *n, const char *k, size_t klen, json_t *v,
                 size_t idx, const struct ipath *ip, const struct spath *sp, struct eval *e,
                 int *required_hits)
{
	struct ipath cip = { ip, k, klen, 0 };
	const struct sprop *p;
	char kb[64];
	int ok = 1, matched = 0;

	if (n->n_props && (p = prop_find(n, k, klen))) {
		struct spath csp = { sp, p->e.seg };

		matched = 1;
		*required_hits += p->required;
		if (!v_node(c, p->e.n, v, &cip, &csp, NULL)) {
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	for (int i = 0; i < n->n_pats; i++) {
		struct spath csp = { sp, n->pats[i].e.seg };

		if (re_search(c, &n->pats[i], k, klen) != 1)
			continue;
		matched = 1;
		if (!v_node(c, n->pats[i].e.n, v, &cip, &csp, NULL)) {
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	if (!matched && n->addl.n) {
		struct spath csp = { sp, n->addl.seg };

		matched = 1;
		if (n->addl.n->always < 0) {
			fail(c, &cip, &csp, NULL, "property \"%s\" is not allowed",
			     clip_key(k, klen, kb, sizeof(kb)));
			ok = 0;
		} else if (!v_node(c, n->addl.n, v, &cip, &csp, NULL)) {
			ok = 0;
		}
		if (!ok && !GO_ON(c))
			return 0;
	}
	if (matched && e)
		ev_set(e, idx);
	if (n->names.n) {
		struct spath csp = { sp, n->names.seg };
		json_t *name = json_stringn_nocheck(k, klen);

		if (!name) {
			c->oom = 1;
			return 0;
		}
		if (!v_node(c, n->names.n, name, &cip, &csp, NULL))
			ok = 0;
		json_decref(name);
	}
	return ok;
}

static int v_required(struct vctx *c, const struct snode *n, json_t *x,
                      const struct ipath *ip, const struct spath *sp)
{
	char kb[64];
	int ok = 1;

	for (int i = 0; i < n->n_required; i++) {
		if (json_object_getn(x, n->required[i], n->required_len[i]))
			continue;
		fail(c, ip, sp, "required", "missing required property \"%s\"",
		     clip_key(n->required[i], n->required_len[i], kb, sizeof(kb)));
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	return ok;
}

static int v_object(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                    const struct spath *sp, struct eval *e)
{
	size_t size = json_object_size(x), idx = 0;
	char kb[64], kb2[64];
	int ok = 1;

#define OBJ_FAIL(kw, ...) do { fail(c, ip, sp, kw, __VA_ARGS__); OBJ_RETURN(); } while (0)
#define OBJ_RETURN() do { ok = 0; if (!GO_ON(c)) return 0; } while (0)
	if (n->min_props >= 0 && size < (size_t)n->min_props)
		OBJ_FAIL("minProperties", "object has %zu properties, fewer than %ld", size,
		         n->min_props);
	if (n->max_props >= 0 && size > (size_t)n->max_props)
		OBJ_FAIL("maxProperties", "object has %zu properties, more than %ld", size,
		         n->max_props);
	if (!n->required_by_walk && !v_required(c, n, x, ip, sp))
		OBJ_RETURN();
	for (int i = 0; i < n->n_dep_req; i++) {
		const struct sdepreq *d = &n->dep_req[i];

		if (!json_object_getn(x, d->name, d->len))
			continue;
		for (int r = 0; r < d->n_req; r++)
			if (!json_object_getn(x, d->req[r], d->req_len[r]))
				OBJ_FAIL("dependentRequired", "property \"%s\" requires property \"%s\"",
				         clip_key(d->name, d->len, kb, sizeof(kb)),
				         clip_key(d->req[r], d->req_len[r], kb2, sizeof(kb2)));
	}
	if (n->walk_keys) {
		int hits = 0;

		for (void *it = json_object_iter(x); it; it = json_object_iter_next(x, it), idx++) {
			if (!v_key(c, n, json_object_iter_key(it), json_object_iter_key_len(it),
			           json_object_iter_value(it), idx, ip, sp, e, &hits))
				OBJ_RETURN();
		}
		/* a miss in the count: look up which name is missing */
		if (n->required_by_walk && hits < n->n_required && !v_required(c, n, x, ip, sp))
			OBJ_RETURN();
	}
#undef OBJ_FAIL
#undef OBJ_RETURN
	for (int i = 0; i < n->n_dep_schema; i++) {
		const struct sdepschema *d = &n->dep_schema[i];
		struct spath csp = { sp, d->e.seg };

		if (json_object_getn(x, d->name, d->len) && !v_node(c, d->e.n, x, ip, &csp, e)) {
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	return ok;
}

static int v_uneval_props(struct vctx *c, const struct snode *n, json_t *x,
                          const struct ipath *ip, const struct spath *sp, struct eval *e)
{
	struct spath usp = { sp, n->uneval_props.seg };
	size_t idx = 0;
	char kb[64];
	int ok = 1;

	for (void *it = json_object_iter(x); it; it = json_object_iter_next(x, it), idx++) {
		const char *k = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		struct ipath cip = { ip, k, klen, 0 };

		if (ev_test(e, idx))
			continue;
		if (n->uneval_props.n->always < 0) {
			fail(c, &cip, &usp, NULL, "property \"%s\" is not allowed (unevaluated)",
			     clip_key(k, klen, kb, sizeof(kb)));
			ok = 0;
		} else if (!v_node(c, n->uneval_props.n, json_object_iter_value(it), &cip, &usp,
		                   NULL)) {
			ok = 0;
		}
		if (!ok && !GO_ON(c))
			return 0;
	}
	return ok;
}

/* --- applicators in place: allOf, anyOf, oneOf, not, if, $ref --- */

/* Runs a subschema muted, into a fresh eval when e wants annotations;
 * they reach e only if it passes (failed subschemas annotate nothing). */
static int v_try(struct vctx *c, const struct sedge *edge, json_t *x, const struct ipath *ip,
                 const struct spath *sp, struct eval *e)
{
	struct spath csp = { sp, edge->seg };
	struct eval tmp;
	int ok;

	c->mute++;
	if (!e) {
		ok = v_node(c, edge->n, x, ip, &csp, NULL);
	} else {
		if (ev_init(c, &tmp, e->n) < 0) {
			c->mute--;
			return 0;
		}
		ok = v_node(c, edge->n, x, ip, &csp, &tmp);
		if (ok)
			ev_merge(e, &tmp);
		ev_release(&tmp);
	}
	c->mute--;
	return ok;
}

static int v_apply(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                   const struct spath *sp, struct eval *e)
{
	int ok = 1, hits = 0, first = -1, second = -1;

	for (int i = 0; i < n->n_all_of; i++) {
		struct spath csp = { sp, n->all_of[i].seg };

		if (!v_node(c, n->all_of[i].n, x, ip, &csp, e)) {
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	if (n->n_any_of) {
		/* With annotations wanted, every branch runs: each passing one counts. */
		for (int i = 0; i < n->n_any_of && (!hits || e); i++)
			hits += v_try(c, &n->any_of[i], x, ip, sp, e);
		if (!hits) {
			fail(c, ip, sp, "anyOf", "value matches none of the %d schemas in anyOf",
			     n->n_any_of);
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	if (n->n_one_of) {
		hits = 0;
		for (int i = 0; i < n->n_one_of && hits < 2; i++) {
			hits = 0;
			if (v_try(c, &n->one_of[i], x, ip, sp, e)) {
				if (first < 0)
					first = i;
				else
					second = i;
			}
			hits = (first >= 0) + (second >= 0);
		}
		if (first < 0 || second >= 0) {
			if (first < 0)
				fail(c, ip, sp, "oneOf", "value matches none of the %d schemas in oneOf",
				     n->n_one_of);
			else
				fail(c, ip, sp, "oneOf", "value matches oneOf schemas %d and %d, "
				     "expected exactly one", first, second);
			ok = 0;
			if (!GO_ON(c))
				return 0;
		}
	}
	if (n->not_.n && v_try(c, &n->not_, x, ip, sp, NULL)) {
		fail(c, ip, sp, "not", "value matches the schema in not");
		ok = 0;
		if (!GO_ON(c))
			return 0;
	}
	if (n->if_.n) {
		const struct sedge *branch = v_try(c, &n->if_, x, ip, sp, e) ? &n->then_ : &n->else_;
		struct spath csp = { sp, branch->seg };

		if (branch->n && !v_node(c, branch->n, x, ip, &csp, e))
			ok = 0;
	}
	return ok;
}

/* The target of a $dynamicRef: the outermost resource in the dynamic
 * scope with a $dynamicAnchor of that name, else the static target. */
static const struct snode *dyn_target(const struct vctx *c, const struct snode *n)
{
	const struct snode *t = n->dynref.n;

	for (const struct scope *s = c->scope; s; s = s->up)
		for (int i = 0; i < s->res->n_dyn; i++)
			if (!strcmp(s->res->dyn[i].name, n->dyn_name))
				t = s->res->dyn[i].n;
	return t;
}

static int v_refs(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                  const struct spath *sp, struct eval *e)
{
	int ok = 1;

	if (n->ref.n) {
		struct spath csp = { sp, n->ref.seg };

		ok = v_node(c, n->ref.n, x, ip, &csp, e);
		if (!ok && !GO_ON(c))
			return 0;
	}
	if (n->dynref.n) {
		struct spath csp = { sp, n->dynref.seg };
		const struct snode *t = n->dyn_name ? dyn_target(c, n) : n->dynref.n;

		if (!v_node(c, t, x, ip, &csp, e))
			ok = 0;
	}
	return ok;
}

/* --- a node --- */

static int v_node(struct vctx *c, const struct snode *n, json_t *x, const struct ipath *ip,
                  const struct spath *sp, struct eval *ev)
{
	const struct scope *saved = c->scope;
	struct scope sc;
	struct eval own, *e = ev;
	int ok = 1, owned = 0, t;

	if (n->always) {
		if (n->always > 0)
			return 1;
		fail(c, ip, sp, NULL, "no value is allowed here");
		return 0;
	}
	if (c->depth >= SCHEMA_DEPTH_MAX) {
		c->too_deep = 1;
		fail(c, ip, sp, NULL, "nested deeper than %d levels", SCHEMA_DEPTH_MAX);
		return 0;
	}
	c->depth++;
	if (c->s->dynamic && (!c->scope || c->scope->res != n->res)) {
		sc.up = c->scope;
		sc.res = n->res;
		/* Restored before return, below. */
		// cppcheck-suppress autoVariables
		c->scope = &sc;
	}
#define STEP(expr) do { if (!(expr)) { ok = 0; if (!GO_ON(c)) goto out; } } while (0)
	if (n->kw & SK_TYPE)
		STEP(v_type(c, n, x, ip, sp));
	t = json_typeof(x);
	switch (t) {
	case JSON_OBJECT:
		if (!(n->kw & SK_OBJECT))
			break;
		if (n->uneval_props.n) {
			if (ev_init(c, &own, json_object_size(x)) < 0)
				goto out;
			e = &own;
			owned = 1;
		}
		STEP(v_object(c, n, x, ip, sp, e));
		break;
	case JSON_ARRAY:
		if (!(n->kw & SK_ARRAY))
			break;
		if (n->uneval_items.n) {
			if (ev_init(c, &own, json_array_size(x)) < 0)
				goto out;
			e = &own;
			owned = 1;
		}
		STEP(v_array(c, n, x, ip, sp, e));
		break;
	case JSON_STRING:
		if (n->kw & SK_STRING)
			STEP(v_string(c, n, x, ip, sp));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		if (n->kw & SK_NUMBER)
			STEP(v_number(c, n, x, ip, sp));
		break;
	default:
		break;
	}
	if (n->kw & (SK_ENUM | SK_CONST))
		STEP(v_enum_const(c, n, x, ip, sp));
	if (n->kw & SK_REF)
		STEP(v_refs(c, n, x, ip, sp, e));
	if (n->kw & SK_APPLY)
		STEP(v_apply(c, n, x, ip, sp, e));
	/* unevaluated* come last: they see what everything above evaluated */
	if (owned) {
		if (t == JSON_OBJECT)
			STEP(v_uneval_props(c, n, x, ip, sp, e));
		else
			STEP(v_uneval_items(c, n, x, ip, sp, e));
		if (ok && ev)
			ev_fill(ev);
	}
#undef STEP
out:
	if (owned)
		ev_release(&own);
	c->scope = saved;
	c->depth--;
	return ok && !c->oom;
}

/* --- entry point --- */

int schema_validate(const struct schema *s, json_t *doc, struct schema_error *errors,
                    int max_errors, int *n_errors)
{
	struct vctx c = { 0 };
	struct spath root = { NULL, "" };
	int ok;

	c.s = s;
	c.errs = errors;
	c.max = errors ? max_errors : 0;
	c.all = max_errors > 1;
	ok = v_node(&c, s->root, doc, NULL, &root, NULL);
	/* Too deep inside a not or anyOf could otherwise turn into a pass. */
	if (c.too_deep && (ok || c.n == 0)) {
		ok = 0;
		if (c.n == 0 && c.max > 0) {
			struct schema_error *e = &c.errs[c.n++];

			e->instance_path[0] = e->schema_path[0] = '\0';
			snprintf(e->message, sizeof(e->message), "nested deeper than %d levels",
			         SCHEMA_DEPTH_MAX);
		}
	}
	if (n_errors)
		*n_errors = c.n;
	if (c.oom)
		return WR_ENOMEM;
	return ok;
}
