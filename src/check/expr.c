/* expr.c: parsing and evaluating check expressions (see expr.h). */
#include "check/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/jpath.h"
#include "core/err.h"

#define EXPR_DEPTH_MAX 200
#define EXPR_NODES_MAX 4096

enum op {
	OP_NUM, OP_STR, OP_TRUE, OP_FALSE, OP_NULL, OP_PATH, OP_FUNC,
	OP_NOT, OP_NEG, OP_AND, OP_OR,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD
};

enum fn { FN_LENGTH, FN_SUM, FN_MIN, FN_MAX, FN_ABS, FN_COUNT };
static const char *const fn_names[] = { "length", "sum", "min", "max", "abs", "count", NULL };

struct expr {
	enum op op;
	enum fn fn;
	double num;
	char *text;          /* OP_STR: the string; OP_PATH: the path as written */
	size_t len;
	struct expr *a, *b;
};

/* --- parsing --- */

struct parser {
	const char *s;
	size_t i, n;
	int depth, nodes;
	size_t err_off;
	char why[200];
	int failed;
};

static void fail_at(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_at(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	p->err_off = off;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	                       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int is_word(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (c >= '0' && c <= '9');
}

/* The keyword w at the cursor, as a whole word: consumed when there. */
static int word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	skip_ws(p);
	if (p->n - p->i < n || memcmp(p->s + p->i, w, n) != 0 ||
	    (p->i + n < p->n && is_word(p->s[p->i + n])))
		return 0;
	p->i += n;
	return 1;
}

static int punct(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	skip_ws(p);
	if (p->n - p->i < n || memcmp(p->s + p->i, w, n) != 0)
		return 0;
	p->i += n;
	return 1;
}

static struct expr *node(struct parser *p, enum op op)
{
	struct expr *x;

	if (++p->nodes > EXPR_NODES_MAX) {
		fail_at(p, p->i, "expression is too long");
		return NULL;
	}
	if (!(x = calloc(1, sizeof(*x))))
		fail_at(p, p->i, "out of memory");
	else
		x->op = op;
	return x;
}

static struct expr *binary(struct parser *p, enum op op, struct expr *a, struct expr *b)
{
	struct expr *x;

	if (!a || !b || !(x = node(p, op))) {
		expr_free(a);
		expr_free(b);
		return NULL;
	}
	x->a = a;
	x->b = b;
	return x;
}

static struct expr *parse_or(struct parser *p);

static struct expr *parse_string(struct parser *p)
{
	char q = p->s[p->i];
	size_t start = p->i++, k = 0;
	struct expr *x;

	if (!(x = node(p, OP_STR)))
		return NULL;
	if (!(x->text = malloc(p->n - p->i + 1))) {
		free(x);
		fail_at(p, start, "out of memory");
		return NULL;
	}
	while (p->i < p->n && p->s[p->i] != q) {
		if (p->s[p->i] == '\\' && p->i + 1 < p->n)
			p->i++;
		x->text[k++] = p->s[p->i++];
	}
	x->text[k] = '\0';
	x->len = k;
	if (p->i >= p->n) {
		fail_at(p, start, "unterminated string");
		expr_free(x);
		return NULL;
	}
	p->i++;
	return x;
}

static struct expr *parse_primary(struct parser *p)
{
	struct expr *x;
	size_t start, bad, len;
	char why[120];
	int f;

	skip_ws(p);
	start = p->i;
	if (p->i >= p->n) {
		fail_at(p, p->i, "expression ends too early");
		return NULL;
	}
	if (punct(p, "(")) {
		x = parse_or(p);
		if (x && !punct(p, ")")) {
			fail_at(p, p->i, "expected ')'");
			expr_free(x);
			return NULL;
		}
		return x;
	}
	if (p->s[p->i] == '\'' || p->s[p->i] == '"')
		return parse_string(p);
	if ((p->s[p->i] >= '0' && p->s[p->i] <= '9') || p->s[p->i] == '.') {
		char *end;
		char num[64];

		len = 0;
		while (p->i + len < p->n && len < sizeof(num) - 1 &&
		       (is_word(p->s[p->i + len]) || p->s[p->i + len] == '.' ||
		        ((p->s[p->i + len] == '+' || p->s[p->i + len] == '-') && len &&
		         (p->s[p->i + len - 1] | 0x20) == 'e')))
			len++;
		memcpy(num, p->s + p->i, len);
		num[len] = '\0';
		if (!(x = node(p, OP_NUM)))
			return NULL;
		x->num = strtod(num, &end);
		if (end != num + len || !isfinite(x->num)) {
			fail_at(p, start, "bad number '%s'", num);
			expr_free(x);
			return NULL;
		}
		p->i += len;
		return x;
	}
	if (word(p, "true"))
		return node(p, OP_TRUE);
	if (word(p, "false"))
		return node(p, OP_FALSE);
	if (word(p, "null"))
		return node(p, OP_NULL);
	for (f = 0; fn_names[f]; f++) {
		size_t save = p->i;

		if (word(p, fn_names[f]) && punct(p, "("))
			break;
		p->i = save;
	}
	if (fn_names[f]) {
		if (!(x = node(p, OP_FUNC)))
			return NULL;
		x->fn = (enum fn)f;
		if (!(x->a = parse_or(p)) || !punct(p, ")")) {
			fail_at(p, p->i, "expected ')' after the argument of %s()", fn_names[f]);
			expr_free(x);
			return NULL;
		}
		return x;
	}
	if (word(p, "and") || word(p, "or")) {
		fail_at(p, start, "expected a value before '%.*s'", (int)(p->i - start),
		        p->s + start);
		return NULL;
	}
	len = jpath_scan(p->s + p->i, p->n - p->i, &bad, why, sizeof(why));
	if (!len) {
		if (bad == 0 && !(p->s[p->i] == '$' || is_word(p->s[p->i])))
			fail_at(p, p->i, "unexpected '%c'", p->s[p->i]);
		else
			fail_at(p, p->i + bad, "%s", why);
		return NULL;
	}
	if (p->i + len < p->n && p->s[p->i + len] == '(') {
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)(len < 31 ? len : 31), p->s + p->i);
		fail_at(p, p->i, "unknown function '%s' (use length, sum, min, max, abs or count)",
		        name);
		return NULL;
	}
	if (!(x = node(p, OP_PATH)))
		return NULL;
	if (!(x->text = malloc(len + 1))) {
		free(x);
		fail_at(p, start, "out of memory");
		return NULL;
	}
	memcpy(x->text, p->s + p->i, len);
	x->text[len] = '\0';
	x->len = len;
	p->i += len;
	return x;
}

static struct expr *parse_unary(struct parser *p)
{
	struct expr *x, *a;

	if (++p->depth > EXPR_DEPTH_MAX) {
		fail_at(p, p->i, "expression nests too deeply");
		return NULL;
	}
	if (punct(p, "-")) {
		a = parse_unary(p);
		if (!a || !(x = node(p, OP_NEG))) {
			expr_free(a);
			x = NULL;
		} else {
			x->a = a;
		}
	} else {
		x = parse_primary(p);
	}
	p->depth--;
	return x;
}

static struct expr *parse_product(struct parser *p)
{
	struct expr *x = parse_unary(p);

	while (x) {
		if (punct(p, "*"))
			x = binary(p, OP_MUL, x, parse_unary(p));
		else if (punct(p, "/"))
			x = binary(p, OP_DIV, x, parse_unary(p));
		else if (punct(p, "%"))
			x = binary(p, OP_MOD, x, parse_unary(p));
		else
			break;
	}
	return x;
}

static struct expr *parse_sum(struct parser *p)
{
	struct expr *x = parse_product(p);

	while (x) {
		if (punct(p, "+"))
			x = binary(p, OP_ADD, x, parse_product(p));
		else if (punct(p, "-"))
			x = binary(p, OP_SUB, x, parse_product(p));
		else
			break;
	}
	return x;
}

static struct expr *parse_compare(struct parser *p)
{
	static const struct { const char *s; enum op op; } ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
		{ "<", OP_LT }, { ">", OP_GT },
	};
	struct expr *x = parse_sum(p);

	if (!x)
		return NULL;
	for (size_t k = 0; k < sizeof(ops) / sizeof(*ops); k++)
		if (punct(p, ops[k].s))
			return binary(p, ops[k].op, x, parse_sum(p));
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == '=') {
		fail_at(p, p->i, "use '==' to compare");
		expr_free(x);
		return NULL;
	}
	return x;
}

static struct expr *parse_not(struct parser *p)
{
	struct expr *x, *a;

	if (++p->depth > EXPR_DEPTH_MAX) {
		fail_at(p, p->i, "expression nests too deeply");
		return NULL;
	}
	if (word(p, "not")) {
		a = parse_not(p);
		if (!a || !(x = node(p, OP_NOT))) {
			expr_free(a);
			x = NULL;
		} else {
			x->a = a;
		}
	} else {
		x = parse_compare(p);
	}
	p->depth--;
	return x;
}

static struct expr *parse_and(struct parser *p)
{
	struct expr *x = parse_not(p);

	while (x && word(p, "and"))
		x = binary(p, OP_AND, x, parse_not(p));
	return x;
}

static struct expr *parse_or(struct parser *p)
{
	struct expr *x;

	if (++p->depth > EXPR_DEPTH_MAX) {
		fail_at(p, p->i, "expression nests too deeply");
		return NULL;
	}
	x = parse_and(p);
	while (x && word(p, "or"))
		x = binary(p, OP_OR, x, parse_and(p));
	p->depth--;
	return x;
}

int expr_parse(const char *src, struct expr **out, size_t *off, struct wr_err *err)
{
	struct parser p = { .s = src, .n = strlen(src) };
	struct expr *x = parse_or(&p);

	skip_ws(&p);
	if (x && p.i < p.n) {
		if (p.s[p.i] == '&' || p.s[p.i] == '|')
			fail_at(&p, p.i, "use 'and' and 'or', not '%c%c'", p.s[p.i], p.s[p.i]);
		else if (p.s[p.i] == '!')
			fail_at(&p, p.i, "use 'not', not '!'");
		else
			fail_at(&p, p.i, "unexpected '%c' after a complete expression", p.s[p.i]);
	}
	if (p.failed) {
		expr_free(x);
		*off = p.err_off;
		return err_set(err, WR_ESPEC, "expr: %s", p.why);
	}
	*out = x;
	return 0;
}

void expr_free(struct expr *x)
{
	if (!x)
		return;
	expr_free(x->a);
	expr_free(x->b);
	free(x->text);
	free(x);
}

/* --- evaluation --- */

struct val {
	enum { V_NULL, V_BOOL, V_NUM, V_STR, V_JSON } t;
	double n;
	int b;
	const char *s;
	size_t len;
	json_t *j;       /* V_JSON: an array or object (borrowed from doc or scope) */
};

struct scope {
	json_t *doc;
	json_t *keep;    /* arrays made by wildcards, freed with the scope */
	char *why;
	size_t size;
	int failed;
};

static void err_eval(struct scope *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void err_eval(struct scope *sc, const char *fmt, ...)
{
	va_list ap;

	if (sc->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(sc->why, sc->size, fmt, ap);
	va_end(ap);
}

static struct val from_json(json_t *j)
{
	struct val v = { .t = V_NULL };

	if (json_is_boolean(j)) {
		v.t = V_BOOL;
		v.b = json_is_true(j);
	} else if (json_is_number(j)) {
		v.t = V_NUM;
		v.n = json_number_value(j);
	} else if (json_is_string(j)) {
		v.t = V_STR;
		v.s = json_string_value(j);
		v.len = json_string_length(j);
	} else if (json_is_array(j) || json_is_object(j)) {
		v.t = V_JSON;
		v.j = j;
	}
	return v;
}

static const char *type_name(const struct val *v)
{
	switch (v->t) {
	case V_NULL: return "null";
	case V_BOOL: return "a boolean";
	case V_NUM: return "a number";
	case V_STR: return "a string";
	case V_JSON: return json_is_array(v->j) ? "a list" : "an object";
	}
	return "?";
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

static struct val eval(struct scope *sc, const struct expr *x);

static struct val num(double n)
{
	struct val v = { .t = V_NUM, .n = n };

	return v;
}

static struct val boolean(int b)
{
	struct val v = { .t = V_BOOL, .b = b };

	return v;
}

static struct val call(struct scope *sc, const struct expr *x)
{
	struct val a = eval(sc, x->a), none = { .t = V_NULL };
	const char *name = fn_names[x->fn];
	double acc = 0;
	size_t k;

	if (sc->failed)
		return none;
	if (x->fn == FN_ABS) {
		if (a.t != V_NUM)
			goto type;
		return num(fabs(a.n));
	}
	if (x->fn == FN_LENGTH) {
		if (a.t == V_STR)
			return num((double)utf8_chars(a.s, a.len));
		if (a.t == V_JSON)
			return num((double)(json_is_array(a.j) ? json_array_size(a.j)
			                                       : json_object_size(a.j)));
		goto type;
	}
	if (x->fn == FN_COUNT) {  /* true items of a list */
		if (a.t != V_JSON || !json_is_array(a.j))
			goto type;
		for (k = 0; k < json_array_size(a.j); k++)
			acc += json_is_true(json_array_get(a.j, k));
		return num(acc);
	}
	if (a.t != V_JSON || !json_is_array(a.j))
		goto type;
	if (x->fn != FN_SUM && json_array_size(a.j) == 0) {
		err_eval(sc, "%s() of an empty list", name);
		return none;
	}
	for (k = 0; k < json_array_size(a.j); k++) {
		json_t *item = json_array_get(a.j, k);
		double n;

		if (!json_is_number(item)) {
			err_eval(sc, "%s(): item %zu is not a number", name, k);
			return none;
		}
		n = json_number_value(item);
		if (x->fn == FN_SUM)
			acc += n;
		else if (k == 0 || (x->fn == FN_MIN ? n < acc : n > acc))
			acc = n;
	}
	return num(acc);
type:
	err_eval(sc, "%s() cannot take %s", name, type_name(&a));
	return none;
}

static int near(double a, double b)
{
	double m = fmax(fabs(a), fabs(b));

	return a == b || fabs(a - b) <= 1e-9 * (m > 1 ? m : 1);
}

static int equal(const struct val *a, const struct val *b)
{
	if (a->t != b->t)
		return 0;
	switch (a->t) {
	case V_NULL: return 1;
	case V_BOOL: return a->b == b->b;
	case V_NUM: return near(a->n, b->n);
	case V_STR: return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	case V_JSON: return json_equal(a->j, b->j);
	}
	return 0;
}

static int truth(struct scope *sc, const struct val *v, const char *what)
{
	if (v->t != V_BOOL) {
		err_eval(sc, "'%s' needs booleans, not %s", what, type_name(v));
		return 0;
	}
	return v->b;
}

static struct val compare(struct scope *sc, const struct expr *x)
{
	static const char *const names[] = { "<", "<=", ">", ">=" };
	struct val a = eval(sc, x->a), b, none = { .t = V_NULL };
	int c;

	if (sc->failed)
		return none;
	b = eval(sc, x->b);
	if (sc->failed)
		return none;
	if (x->op == OP_EQ || x->op == OP_NE)
		return boolean(equal(&a, &b) == (x->op == OP_EQ));
	if (a.t == V_NUM && b.t == V_NUM) {
		c = near(a.n, b.n) ? 0 : a.n < b.n ? -1 : 1;
	} else if (a.t == V_STR && b.t == V_STR) {
		c = memcmp(a.s, b.s, a.len < b.len ? a.len : b.len);
		if (!c)
			c = a.len < b.len ? -1 : a.len > b.len;
	} else {
		err_eval(sc, "cannot compare %s %s %s", type_name(&a), names[x->op - OP_LT],
		         type_name(&b));
		return none;
	}
	switch (x->op) {
	case OP_LT: return boolean(c < 0);
	case OP_LE: return boolean(c <= 0);
	case OP_GT: return boolean(c > 0);
	default: return boolean(c >= 0);
	}
}

static struct val arith(struct scope *sc, const struct expr *x)
{
	static const char *const names[] = { "+", "-", "*", "/", "%" };
	struct val a = eval(sc, x->a), b, none = { .t = V_NULL };

	if (sc->failed)
		return none;
	b = eval(sc, x->b);
	if (sc->failed)
		return none;
	if (a.t != V_NUM || b.t != V_NUM) {
		err_eval(sc, "'%s' needs numbers, not %s and %s", names[x->op - OP_ADD],
		         type_name(&a), type_name(&b));
		return none;
	}
	switch (x->op) {
	case OP_ADD: return num(a.n + b.n);
	case OP_SUB: return num(a.n - b.n);
	case OP_MUL: return num(a.n * b.n);
	default: break;
	}
	if (b.n == 0) {
		err_eval(sc, "division by zero");
		return none;
	}
	return num(x->op == OP_DIV ? a.n / b.n : fmod(a.n, b.n));
}

static struct val path(struct scope *sc, const struct expr *x)
{
	json_t *got = json_array();
	struct val v = { .t = V_NULL };
	int wild;

	if (!got) {
		err_eval(sc, "out of memory");
		return v;
	}
	wild = jpath_select(x->text, x->len, sc->doc, got);
	if (wild < 0) {
		err_eval(sc, "path '%s' cannot be evaluated", x->text);
	} else if (wild) {
		if (json_array_append(sc->keep, got) < 0)
			err_eval(sc, "out of memory");
		v.t = V_JSON;
		v.j = got;
	} else if (json_array_size(got)) {
		v = from_json(json_array_get(got, 0));  /* borrowed from doc */
	}
	json_decref(got);
	return v;
}

static struct val eval(struct scope *sc, const struct expr *x)
{
	struct val v = { .t = V_NULL }, a;

	if (sc->failed)
		return v;
	switch (x->op) {
	case OP_NUM: return num(x->num);
	case OP_STR:
		v.t = V_STR;
		v.s = x->text;
		v.len = x->len;
		return v;
	case OP_TRUE: return boolean(1);
	case OP_FALSE: return boolean(0);
	case OP_NULL: return v;
	case OP_PATH: return path(sc, x);
	case OP_FUNC: return call(sc, x);
	case OP_NOT:
		a = eval(sc, x->a);
		return boolean(!truth(sc, &a, "not"));
	case OP_NEG:
		a = eval(sc, x->a);
		if (a.t != V_NUM && !sc->failed)
			err_eval(sc, "'-' needs a number, not %s", type_name(&a));
		return num(-a.n);
	case OP_AND:
	case OP_OR:
		a = eval(sc, x->a);
		if (truth(sc, &a, x->op == OP_AND ? "and" : "or") == (x->op == OP_OR))
			return a;   /* short-circuit */
		a = eval(sc, x->b);
		return boolean(truth(sc, &a, x->op == OP_AND ? "and" : "or"));
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		return compare(sc, x);
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
		return arith(sc, x);
	}
	return v;
}

int expr_eval(const struct expr *x, json_t *doc, char *why, size_t size)
{
	struct scope sc = { .doc = doc, .keep = json_array(), .why = why, .size = size };
	struct val v;
	int rc;

	if (!sc.keep) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	v = eval(&sc, x);
	if (!sc.failed && v.t != V_BOOL)
		err_eval(&sc, "the expression is %s, not true or false", type_name(&v));
	rc = sc.failed ? -1 : v.b;
	json_decref(sc.keep);
	return rc;
}
