/* grammar_schema.c: a JSON Schema written as GBNF text (grammar.h says what
 * is covered).
 *
 * Each schema becomes an expression; objects, arrays, properties and $defs
 * get rules of their own, named after the property or definition with a
 * number ("vendor-4"); the JSON building blocks are shared rules named j-*
 * (j-string, j-number, ...), written once at the end when used. Properties
 * come in the schema's order; an optional one may be left out, and commas
 * go only between those present: F_i ("nothing written yet, from property
 * i on") and S_i ("something written, from i on") rules chain them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "local/grammar.h"

#define DEPTH_MAX 64

enum {
	U_WS = 1, U_STRING = 2, U_NUMBER = 4, U_UNUMBER = 8, U_INTEGER = 16, U_UINTEGER = 32,
	U_BOOLEAN = 64, U_NULL = 128
};

struct sref {
	char *ref;
	char name[48];
};

struct sc {
	struct grammar_schema_params p;
	json_t *root;
	struct buf rules;   /* the rules made so far, one per line */
	struct wr_err *err;
	int rc;
	int seq;            /* numbers made names unique */
	unsigned used;      /* U_* building blocks to write */
	int any_used;       /* highest any-depth used + 1 */
	struct sref *refs;
	int n_refs, cap_refs;
	int depth;
};

struct grammar_schema_params grammar_schema_default_params(void)
{
	struct grammar_schema_params p = { 1, 64, 2, 0 };
	return p;
}

/* --- text helpers --- */

static int sc_nomem(struct sc *c)
{
	if (!c->rc)
		c->rc = err_set(c->err, WR_ENOMEM, "schema to grammar: out of memory");
	return c->rc;
}

static int sc_fail(struct sc *c, const char *path, const char *what)
{
	if (!c->rc)
		c->rc = err_set(c->err, WR_ESPEC, "schema %s: %s", *path ? path : "/", what);
	return c->rc;
}

static void put(struct sc *c, struct buf *b, const char *s)
{
	if (!c->rc && buf_adds(b, s) < 0)
		sc_nomem(c);
}

__attribute__((format(printf, 3, 4)))
static void putf(struct sc *c, struct buf *b, const char *fmt, ...)
{
	va_list ap;

	if (c->rc)
		return;
	va_start(ap, fmt);
	if (buf_vprintf(b, fmt, ap) < 0)
		sc_nomem(c);
	va_end(ap);
}

/* A GBNF literal for the bytes s[0..n). */
static void put_lit(struct sc *c, struct buf *b, const char *s, size_t n)
{
	put(c, b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			putf(c, b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7F)
			putf(c, b, "\\x%02x", ch);
		else
			putf(c, b, "%c", ch);
	}
	put(c, b, "\"");
}

/* The literal for a JSON value, as compact JSON text. */
static void put_json_lit(struct sc *c, struct buf *b, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s) {
		sc_nomem(c);
		return;
	}
	put_lit(c, b, s, strlen(s));
	free(s);
}

/* A fresh rule name from a hint: letters, digits and '-', then "-N". */
static void make_name(struct sc *c, const char *hint, char *out, size_t size)
{
	char h[25] = "";
	size_t n = 0;

	for (const char *p = hint; *p && n < sizeof(h) - 1; p++) {
		char ch = *p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
			h[n++] = ch;
		else if (n > 0 && h[n - 1] != '-')
			h[n++] = '-';
	}
	while (n > 0 && h[n - 1] == '-')
		n--;
	h[n] = 0;
	snprintf(out, size, "%s-%d", n ? h : "v", ++c->seq);
}

/* Appends "name ::= body\n" to the rules. */
static void add_rule(struct sc *c, const char *name, const struct buf *body)
{
	putf(c, &c->rules, "%s ::= %s\n", name, body->data);
}

/* --- keywords --- */

static int strict_check(struct sc *c, json_t *s, const char *path)
{
	static const char *const unsupported[] = {
		"pattern", "format", "maximum", "exclusiveMinimum", "exclusiveMaximum",
		"multipleOf", "uniqueItems", "minProperties", "maxProperties", "propertyNames",
		"patternProperties", "dependentRequired", "dependentSchemas", "if", "then", "else",
		"not", "contains", "minContains", "maxContains", "prefixItems",
		"unevaluatedProperties", "unevaluatedItems", "contentEncoding",
	};
	char msg[128];
	json_t *v;

	if (!c->p.strict)
		return 0;
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++) {
		if (json_object_get(s, unsupported[i])) {
			snprintf(msg, sizeof(msg), "'%s' cannot be enforced by a grammar", unsupported[i]);
			return sc_fail(c, path, msg);
		}
	}
	if ((v = json_object_get(s, "minimum")) && json_number_value(v) != 0)
		return sc_fail(c, path, "'minimum' other than 0 cannot be enforced by a grammar");
	if ((v = json_object_get(s, "allOf")) && json_array_size(v) > 1)
		return sc_fail(c, path, "'allOf' of more than one schema cannot be enforced by a grammar");
	if ((v = json_object_get(s, "maxLength")) && json_integer_value(v) > c->p.repeat_max)
		return sc_fail(c, path, "'maxLength' over the grammar's repeat limit");
	if ((v = json_object_get(s, "maxItems")) && json_integer_value(v) > c->p.repeat_max)
		return sc_fail(c, path, "'maxItems' over the grammar's repeat limit");
	return 0;
}

static void gen(struct sc *c, json_t *s, const char *path, const char *hint, struct buf *e);

/* A value of any shape, nested at most depth deep. */
static void gen_any(struct sc *c, int depth, struct buf *e)
{
	if (depth > c->p.any_depth)
		depth = c->p.any_depth;
	if (depth < 0)
		depth = 0;
	if (depth + 1 > c->any_used)
		c->any_used = depth + 1;
	c->used |= U_STRING | U_NUMBER | U_BOOLEAN | U_NULL | U_WS;
	putf(c, e, "j-any%d", depth);
}

/* The rule name for a $ref, made (and its body written) on first use. */
static void gen_ref(struct sc *c, const char *ref, const char *path, struct buf *e)
{
	json_t *t = c->root;
	struct buf body = BUF_INIT;
	char seg[256], *name;
	const char *p;
	int i;

	for (i = 0; i < c->n_refs; i++) {
		if (strcmp(c->refs[i].ref, ref) == 0) {
			put(c, e, c->refs[i].name);
			return;
		}
	}
	if (ref[0] != '#' || (ref[1] && ref[1] != '/')) {
		sc_fail(c, path, "only a '$ref' within the document (#/...) is supported");
		return;
	}
	for (p = ref + 1; *p == '/' && t;) {
		size_t n = 0;
		for (p++; *p && *p != '/' && n < sizeof(seg) - 1; p++) {
			if (p[0] == '~' && p[1] == '1')
				seg[n++] = '/', p++;
			else if (p[0] == '~' && p[1] == '0')
				seg[n++] = '~', p++;
			else
				seg[n++] = *p;
		}
		seg[n] = 0;
		t = json_is_array(t) ? json_array_get(t, strtoul(seg, NULL, 10)) : json_object_get(t, seg);
	}
	if (!t) {
		sc_fail(c, path, "'$ref' points at nothing");
		return;
	}
	if (c->n_refs == c->cap_refs) {
		int cap = c->cap_refs ? c->cap_refs * 2 : 8;
		struct sref *r = realloc(c->refs, (size_t)cap * sizeof(*r));
		if (!r) {
			sc_nomem(c);
			return;
		}
		c->refs = r;
		c->cap_refs = cap;
	}
	if (!(c->refs[c->n_refs].ref = strdup(ref))) {
		sc_nomem(c);
		return;
	}
	p = strrchr(ref, '/');
	make_name(c, p && p[1] ? p + 1 : "root", c->refs[c->n_refs].name, sizeof(c->refs[0].name));
	name = c->refs[c->n_refs++].name;
	put(c, e, name);
	char here[48], hint[48];
	snprintf(here, sizeof(here), "%s", name);  /* refs may move while the body is made */
	snprintf(hint, sizeof(hint), "%s", p && p[1] ? p + 1 : "root");
	gen(c, t, ref + 1, hint, &body);
	add_rule(c, here, &body);
	buf_release(&body);
}

static void gen_string(struct sc *c, json_t *s, struct buf *e)
{
	json_int_t min = json_integer_value(json_object_get(s, "minLength"));
	json_t *maxv = json_object_get(s, "maxLength");
	json_int_t max = json_is_integer(maxv) ? json_integer_value(maxv) : -1;

	c->used |= U_STRING;
	if (min <= 0 && (max < 0 || max > c->p.repeat_max)) {
		put(c, e, "j-string");
		return;
	}
	if (min > 10000)
		min = 10000;
	if (max > c->p.repeat_max)
		max = -1;
	if (max >= 0 && max < min)
		max = min;  /* nothing is valid; the check will say so */
	if (max >= 0)
		putf(c, e, "\"\\\"\" j-char{%lld,%lld} \"\\\"\"", (long long)min, (long long)max);
	else
		putf(c, e, "\"\\\"\" j-char{%lld,} \"\\\"\"", (long long)min);
}

static void gen_number(struct sc *c, json_t *s, int integer, struct buf *e)
{
	json_t *min = json_object_get(s, "minimum");
	int nonneg = json_is_number(min) && json_number_value(min) >= 0;

	if (integer) {
		c->used |= nonneg ? U_UINTEGER : U_INTEGER;
		put(c, e, nonneg ? "j-uint" : "j-int");
	} else {
		c->used |= nonneg ? U_UNUMBER : U_NUMBER;
		put(c, e, nonneg ? "j-unumber" : "j-number");
	}
}

static void gen_array(struct sc *c, json_t *s, const char *path, const char *hint,
                      struct buf *e)
{
	json_int_t min = json_integer_value(json_object_get(s, "minItems"));
	json_t *maxv = json_object_get(s, "maxItems"), *items = json_object_get(s, "items");
	json_int_t max = json_is_integer(maxv) ? json_integer_value(maxv) : -1;
	struct buf item = BUF_INIT, body = BUF_INIT;
	char name[48], iname[48], sub[512];

	c->used |= U_WS;
	if (max > c->p.repeat_max)
		max = -1;
	if (min < 0)
		min = 0;
	if (min > 1000)
		min = 1000;
	if (max >= 0 && max < min)
		max = min;
	make_name(c, hint, name, sizeof(name));
	put(c, e, name);
	if (max == 0) {
		put(c, &body, "\"[\" j-ws \"]\"");
		goto out;
	}
	make_name(c, hint, iname, sizeof(iname));
	snprintf(sub, sizeof(sub), "%s/items", path);
	if (items)
		gen(c, items, sub, hint, &item);
	else
		gen_any(c, c->p.any_depth, &item);
	add_rule(c, iname, &item);
	if (min == 0)
		putf(c, &body, "\"[\" j-ws (%s j-ws (\",\" j-ws %s j-ws)", iname, iname);
	else
		putf(c, &body, "\"[\" j-ws %s j-ws (\",\" j-ws %s j-ws)", iname, iname);
	json_int_t lo = min > 0 ? min - 1 : 0;
	if (max < 0)
		putf(c, &body, "{%lld,}", (long long)lo);
	else
		putf(c, &body, "{%lld,%lld}", (long long)lo, (long long)(max - 1));
	put(c, &body, min == 0 ? ")? \"]\"" : " \"]\"");
out:
	add_rule(c, name, &body);
	buf_release(&item);
	buf_release(&body);
}

/* Is key among the required names? */
static int is_required(json_t *req, const char *key)
{
	size_t i;
	json_t *v;

	json_array_foreach(req, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), key) == 0)
			return 1;
	}
	return 0;
}

static void gen_object(struct sc *c, json_t *s, const char *path, const char *hint,
                       struct buf *e)
{
	json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
	json_t *addl = json_object_get(s, "additionalProperties"), *v, *all = json_object();
	struct buf body = BUF_INIT;
	char name[48], sub[512];
	const char *key;
	size_t i, n;

	c->used |= U_WS;
	if (!all) {
		sc_nomem(c);
		return;
	}
	/* the properties to write: those listed, then required ones not listed */
	json_object_foreach(props, key, v) {
		json_object_set(all, key, v);
	}
	json_array_foreach(req, i, v) {
		if (json_is_string(v) && !json_object_get(all, json_string_value(v)))
			json_object_set_new(all, json_string_value(v), json_true());
	}
	n = json_object_size(all);
	make_name(c, hint, name, sizeof(name));
	put(c, e, name);
	if (n == 0 && !json_is_false(addl)) {
		/* a free-form object: keys and values of any shape (or addl's) */
		struct buf val = BUF_INIT;
		c->used |= U_STRING;
		if (json_is_object(addl)) {
			snprintf(sub, sizeof(sub), "%s/additionalProperties", path);
			gen(c, addl, sub, hint, &val);
		} else {
			gen_any(c, c->p.any_depth - 1, &val);
		}
		putf(c, &body, "\"{\" j-ws (j-string j-ws \":\" j-ws (%s) j-ws "
		     "(\",\" j-ws j-string j-ws \":\" j-ws (%s) j-ws)*)? \"}\"", val.data, val.data);
		buf_release(&val);
		add_rule(c, name, &body);
		goto out;
	}
	putf(c, &body, "\"{\" j-ws %s-f0 \"}\"", name);
	add_rule(c, name, &body);
	i = 0;
	json_object_foreach(all, key, v) {
		struct buf kv = BUF_INIT, f = BUF_INIT, sx = BUF_INIT;
		json_t *ks = json_string(key);
		char *lit = ks ? json_dumps(ks, JSON_ENCODE_ANY) : NULL;
		char kname[64];
		int required = is_required(req, key);

		json_decref(ks);
		if (!lit) {
			sc_nomem(c);
			break;
		}
		snprintf(sub, sizeof(sub), "%s/properties/%s", path, key);
		snprintf(kname, sizeof(kname), "%s-p%zu", name, i);
		put_lit(c, &kv, lit, strlen(lit));
		free(lit);
		put(c, &kv, " j-ws \":\" j-ws ");
		gen(c, v, sub, key, &kv);
		put(c, &kv, " j-ws");
		add_rule(c, kname, &kv);
		/* F_i: nothing written yet; S_i: something written */
		if (required) {
			putf(c, &f, "%s %s-s%zu", kname, name, i + 1);
			putf(c, &sx, "\",\" j-ws %s %s-s%zu", kname, name, i + 1);
		} else {
			putf(c, &f, "%s %s-s%zu | %s-f%zu", kname, name, i + 1, name, i + 1);
			putf(c, &sx, "\",\" j-ws %s %s-s%zu | %s-s%zu", kname, name, i + 1, name, i + 1);
		}
		putf(c, &c->rules, "%s-f%zu ::= %s\n", name, i, f.data);
		if (i > 0)  /* S_0 would follow nothing */
			putf(c, &c->rules, "%s-s%zu ::= %s\n", name, i, sx.data);
		buf_release(&kv);
		buf_release(&f);
		buf_release(&sx);
		i++;
	}
	putf(c, &c->rules, "%s-f%zu ::= \"\"\n%s-s%zu ::= \"\"\n", name, n, name, n);
out:
	json_decref(all);
	buf_release(&body);
}

static void gen_type(struct sc *c, json_t *s, const char *type, const char *path,
                     const char *hint, struct buf *e)
{
	if (strcmp(type, "string") == 0) {
		gen_string(c, s, e);
	} else if (strcmp(type, "number") == 0) {
		gen_number(c, s, 0, e);
	} else if (strcmp(type, "integer") == 0) {
		gen_number(c, s, 1, e);
	} else if (strcmp(type, "boolean") == 0) {
		c->used |= U_BOOLEAN;
		put(c, e, "j-boolean");
	} else if (strcmp(type, "null") == 0) {
		c->used |= U_NULL;
		put(c, e, "j-null");
	} else if (strcmp(type, "object") == 0) {
		gen_object(c, s, path, hint, e);
	} else if (strcmp(type, "array") == 0) {
		gen_array(c, s, path, hint, e);
	} else {
		char msg[128];
		snprintf(msg, sizeof(msg), "unknown type '%.40s'", type);
		sc_fail(c, path, msg);
	}
}

/* Alternatives from a list of schemas (anyOf, oneOf) or values (enum). */
static void gen_alts(struct sc *c, json_t *list, int values, const char *path,
                     const char *kw, const char *hint, struct buf *e)
{
	char sub[512];
	size_t i;
	json_t *v;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		char msg[64];
		snprintf(msg, sizeof(msg), "'%s' must be a non-empty array", kw);
		sc_fail(c, path, msg);
		return;
	}
	put(c, e, "(");
	json_array_foreach(list, i, v) {
		if (i > 0)
			put(c, e, " | ");
		if (values) {
			put_json_lit(c, e, v);
		} else {
			snprintf(sub, sizeof(sub), "%s/%s/%zu", path, kw, i);
			gen(c, v, sub, hint, e);
		}
	}
	put(c, e, ")");
}

/* Appends to e the expression for schema s at path. */
static void gen(struct sc *c, json_t *s, const char *path, const char *hint, struct buf *e)
{
	json_t *type, *v;
	size_t i;

	if (c->rc)
		return;
	if (++c->depth > DEPTH_MAX) {
		sc_fail(c, path, "schema nested too deep");
		goto out;
	}
	if (json_is_true(s)) {
		gen_any(c, c->p.any_depth, e);
		goto out;
	}
	if (json_is_false(s)) {
		sc_fail(c, path, "the schema false allows no value");
		goto out;
	}
	if (!json_is_object(s)) {
		sc_fail(c, path, "a schema must be an object or a boolean");
		goto out;
	}
	if (strict_check(c, s, path) < 0)
		goto out;
	if ((v = json_object_get(s, "$ref"))) {
		gen_ref(c, json_string_value(v) ? json_string_value(v) : "", path, e);
		goto out;
	}
	if ((v = json_object_get(s, "const"))) {
		put_json_lit(c, e, v);
		goto out;
	}
	if ((v = json_object_get(s, "enum"))) {
		gen_alts(c, v, 1, path, "enum", hint, e);
		goto out;
	}
	if ((v = json_object_get(s, "anyOf")) || (v = json_object_get(s, "oneOf"))) {
		gen_alts(c, v, 0, path, json_object_get(s, "anyOf") ? "anyOf" : "oneOf", hint, e);
		goto out;
	}
	if ((v = json_object_get(s, "allOf")) && json_array_size(v) == 1 &&
	    json_object_size(s) == 1) {
		char sub[512];
		snprintf(sub, sizeof(sub), "%s/allOf/0", path);
		gen(c, json_array_get(v, 0), sub, hint, e);
		goto out;
	}
	type = json_object_get(s, "type");
	if (json_is_string(type)) {
		gen_type(c, s, json_string_value(type), path, hint, e);
	} else if (json_is_array(type) && json_array_size(type) > 0) {
		put(c, e, "(");
		json_array_foreach(type, i, v) {
			if (i > 0)
				put(c, e, " | ");
			gen_type(c, s, json_is_string(v) ? json_string_value(v) : "?", path, hint, e);
		}
		put(c, e, ")");
	} else if (type) {
		sc_fail(c, path, "'type' must be a string or a non-empty array");
	} else if (json_object_get(s, "properties") || json_object_get(s, "required") ||
	           json_object_get(s, "additionalProperties")) {
		gen_object(c, s, path, hint, e);
	} else if (json_object_get(s, "items") || json_object_get(s, "minItems") ||
	           json_object_get(s, "maxItems")) {
		gen_array(c, s, path, hint, e);
	} else if (json_object_get(s, "minLength") || json_object_get(s, "maxLength")) {
		gen_string(c, s, e);
	} else {
		gen_any(c, c->p.any_depth, e);
	}
out:
	c->depth--;
}

/* --- the building blocks --- */

static void put_blocks(struct sc *c, struct buf *b)
{
	unsigned u = c->used;

	if (u & U_WS) {
		if (c->p.ws_max > 0)
			putf(c, b, "j-ws ::= [ \\t\\n]{0,%d}\n", c->p.ws_max);
		else
			put(c, b, "j-ws ::= \"\"\n");
	}
	if (u & U_STRING) {
		put(c, b, "j-string ::= \"\\\"\" j-char* \"\\\"\"\n"
		          "j-char ::= [^\"\\\\\\x00-\\x1f] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" j-hex4)\n"
		          "# \\u escapes: no surrogates, no \\u0000\n"
		          "j-hex4 ::= [1-9a-cA-Ce-fE-F] j-hex{3} | [dD] [0-7] j-hex{2} | \"0\" "
		          "([1-9a-fA-F] j-hex{2} | \"0\" ([1-9a-fA-F] j-hex | \"0\" [1-9a-fA-F]))\n"
		          "j-hex ::= [0-9a-fA-F]\n");
	}
	if (u & (U_NUMBER | U_INTEGER))
		put(c, b, "j-int ::= \"-\"? j-uint\n");
	if (u & U_NUMBER)
		put(c, b, "j-number ::= \"-\"? j-unumber\n");
	if (u & (U_NUMBER | U_UNUMBER))
		put(c, b, "j-unumber ::= j-uint (\".\" [0-9]{1,15})? ([eE] [-+]? [0-9]{1,2})?\n");
	if (u & (U_NUMBER | U_UNUMBER | U_INTEGER | U_UINTEGER))
		put(c, b, "# at most 15 digits: every integer fits in 64 bits\n"
		          "j-uint ::= \"0\" | [1-9] [0-9]{0,14}\n");
	if (u & U_BOOLEAN)
		put(c, b, "j-boolean ::= \"true\" | \"false\"\n");
	if (u & U_NULL)
		put(c, b, "j-null ::= \"null\"\n");
	for (int d = 0; d < c->any_used; d++) {
		if (d == 0) {
			put(c, b, "j-any0 ::= j-string | j-number | j-boolean | j-null\n");
			continue;
		}
		putf(c, b, "j-any%d ::= j-any0 | \"{\" j-ws (j-string j-ws \":\" j-ws j-any%d j-ws "
		     "(\",\" j-ws j-string j-ws \":\" j-ws j-any%d j-ws)*)? \"}\" | \"[\" j-ws "
		     "(j-any%d j-ws (\",\" j-ws j-any%d j-ws)*)? \"]\"\n", d, d - 1, d - 1, d - 1,
		     d - 1);
	}
}

int grammar_from_schema(json_t *schema, const struct grammar_schema_params *p,
                        struct buf *out, struct wr_err *err)
{
	struct sc c;
	struct buf root = BUF_INIT;

	memset(&c, 0, sizeof(c));
	c.p = p ? *p : grammar_schema_default_params();
	if (c.p.ws_max < 0)
		c.p.ws_max = 0;
	if (c.p.ws_max > 16)
		c.p.ws_max = 16;
	if (c.p.any_depth < 0)
		c.p.any_depth = 0;
	c.root = schema;
	c.err = err;
	buf_init(&c.rules, 0);
	gen(&c, schema, "", "root", &root);
	/* JSON may begin with whitespace, and models often begin with a space
	 * (a tokenizer's " {"): refusing it would push a model off the text it
	 * was trained to write. Bounded like any other whitespace. */
	c.used |= U_WS;
	put(&c, out, "root ::= j-ws ");
	put(&c, out, root.data);
	put(&c, out, "\n");
	put(&c, out, c.rules.data);
	put_blocks(&c, out);
	buf_release(&root);
	buf_release(&c.rules);
	for (int i = 0; i < c.n_refs; i++)
		free(c.refs[i].ref);
	free(c.refs);
	return c.rc;
}
