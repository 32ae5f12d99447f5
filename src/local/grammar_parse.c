/* grammar_parse.c: GBNF-like text to rules over bytes (grammar_int.h).
 *
 * Literals become runs of one-byte sets; a character class becomes one byte
 * set for its ASCII part and, for the rest, a rule whose alternatives are the
 * UTF-8 byte sequences of its code point ranges; groups and repetitions
 * become rules (x* is R ::= x R | "", which the matcher runs without growing
 * its stack). Then the checks: every rule defined, no left recursion, every
 * rule able to finish. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "local/grammar_int.h"

#define TEXT_MAX ((size_t)1 << 20)
#define ELEMS_MAX 1000000
#define REPEAT_MAX 10000

struct seq {
	struct gelem *e;
	int n, cap;
};

struct brule {
	char *name;        /* NULL for made rules */
	int owner;         /* made rules: the named rule they belong to */
	size_t at;         /* offset of the definition (or of the first use) */
	int defined;
	struct seq *alts;
	int n_alts, cap_alts;
};

struct parser {
	const char *text, *p, *end;
	const char *name;
	struct wr_err *err;
	int rc;            /* first error, 0 while fine */
	struct brule *rules;
	int n_rules, cap_rules;
	struct gset *sets;
	int n_sets, cap_sets;
	int byte_set[256]; /* set index of each single byte, or -1 */
	int any_rule;      /* the rule for '.', or -1 */
	int cur;           /* the named rule being parsed */
	int root;
	long n_elems;
};

/* --- errors and growth --- */

static void line_col(struct parser *ps, const char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *q = ps->text; q < at && q < ps->end; q++) {
		if (*q == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

/* Records the first error: "name:line:col: message". Returns ps->rc. */
__attribute__((format(printf, 3, 4)))
static int perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int line, col;
	size_t n;

	if (ps->rc)
		return ps->rc;
	line_col(ps, at, &line, &col);
	ps->rc = err_set(ps->err, WR_ESPEC, "%s:%d:%d: ", ps->name, line, col);
	if (ps->err) {
		n = strlen(ps->err->msg);
		va_start(ap, fmt);
		vsnprintf(ps->err->msg + n, sizeof(ps->err->msg) - n, fmt, ap);
		va_end(ap);
	}
	return ps->rc;
}

static int perr_nomem(struct parser *ps)
{
	if (!ps->rc)
		ps->rc = err_set(ps->err, WR_ENOMEM, "%s: out of memory", ps->name);
	return ps->rc;
}

static int perr_big(struct parser *ps)
{
	int line, col;

	if (ps->rc)
		return ps->rc;
	line_col(ps, ps->p, &line, &col);
	return ps->rc = err_set(ps->err, WR_ETOOBIG, "%s:%d:%d: grammar over a million elements",
	                        ps->name, line, col);
}

static int grow(void **p, int *cap, int need, size_t size)
{
	int n = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, (size_t)n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static int seq_add(struct parser *ps, struct seq *s, int kind, int arg)
{
	if (ps->rc)
		return ps->rc;
	if (++ps->n_elems > ELEMS_MAX)
		return perr_big(ps);
	if (grow((void **)&s->e, &s->cap, s->n + 1, sizeof(*s->e)) < 0)
		return perr_nomem(ps);
	s->e[s->n].kind = (uint32_t)kind;
	s->e[s->n].arg = (uint32_t)arg;
	s->n++;
	return 0;
}

static int seq_cat(struct parser *ps, struct seq *dst, const struct seq *src)
{
	for (int i = 0; i < src->n && !ps->rc; i++)
		seq_add(ps, dst, (int)src->e[i].kind, (int)src->e[i].arg);
	return ps->rc;
}

/* A new rule, named (NULL for a made one); returns its id or -1. */
static int rule_new(struct parser *ps, const char *name, size_t nlen, size_t at)
{
	struct brule *r;

	if (grow((void **)&ps->rules, &ps->cap_rules, ps->n_rules + 1, sizeof(*ps->rules)) < 0) {
		perr_nomem(ps);
		return -1;
	}
	r = &ps->rules[ps->n_rules];
	memset(r, 0, sizeof(*r));
	r->owner = name ? ps->n_rules : ps->cur;
	r->at = at;
	if (name && !(r->name = strndup(name, nlen))) {
		perr_nomem(ps);
		return -1;
	}
	r->defined = name == NULL;
	return ps->n_rules++;
}

static int rule_find(struct parser *ps, const char *name, size_t nlen, size_t at)
{
	for (int i = 0; i < ps->n_rules; i++) {
		const char *n = ps->rules[i].name;
		if (n && strlen(n) == nlen && memcmp(n, name, nlen) == 0)
			return i;
	}
	return rule_new(ps, name, nlen, at);
}

/* Adds an empty alternative to rule r; returns it (NULL on error). */
static struct seq *rule_alt(struct parser *ps, int r)
{
	struct brule *b = &ps->rules[r];

	if (ps->rc)
		return NULL;
	if (grow((void **)&b->alts, &b->cap_alts, b->n_alts + 1, sizeof(*b->alts)) < 0) {
		perr_nomem(ps);
		return NULL;
	}
	memset(&b->alts[b->n_alts], 0, sizeof(b->alts[0]));
	return &b->alts[b->n_alts++];
}

/* Appends a copy of set; returns its index or -1. */
static int set_add(struct parser *ps, const struct gset *set)
{
	if (ps->rc)
		return -1;
	if (grow((void **)&ps->sets, &ps->cap_sets, ps->n_sets + 1, sizeof(*ps->sets)) < 0) {
		perr_nomem(ps);
		return -1;
	}
	ps->sets[ps->n_sets] = *set;
	return ps->n_sets++;
}

/* The set of bytes lo..hi (one shared set per single byte). */
static int set_new(struct parser *ps, int lo, int hi)
{
	struct gset s = { { 0, 0, 0, 0 } };
	int id;

	if (lo == hi && ps->byte_set[lo] >= 0)
		return ps->byte_set[lo];
	for (int b = lo; b <= hi; b++)
		s.w[b >> 6] |= (uint64_t)1 << (b & 63);
	id = set_add(ps, &s);
	if (lo == hi)
		ps->byte_set[lo] = id;
	return id;
}

/* --- lexing --- */

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			ps->p++;
		} else {
			break;
		}
	}
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static size_t name_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && is_name_char(*q))
		q++;
	return (size_t)(q - p);
}

/* At p: a name followed by ::= (the start of the next rule)? */
static int at_rule_start(struct parser *ps)
{
	const char *q = ps->p + name_len(ps->p, ps->end);

	if (q == ps->p)
		return 0;
	while (q < ps->end && (*q == ' ' || *q == '\t'))
		q++;
	return ps->end - q >= 3 && memcmp(q, "::=", 3) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one UTF-8 character at p; returns its length, 0 when invalid. */
static int utf8_decode(const unsigned char *p, const unsigned char *end, long *cp)
{
	int n, i;
	long c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xE0) == 0xC0)
		n = 2, c = p[0] & 0x1F;
	else if ((p[0] & 0xF0) == 0xE0)
		n = 3, c = p[0] & 0x0F;
	else if ((p[0] & 0xF8) == 0xF0)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if (end - p < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	*cp = c;
	return n;
}

static int utf8_encode(long c, unsigned char *o)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xC0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (c >> 18));
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

/* Reads one character of a literal or class (an escape or a UTF-8
 * character) as a code point; *raw is 1 for a \x escape in a literal,
 * which is a byte. Returns -1 on error. */
static long read_char(struct parser *ps, int *raw)
{
	const char *at = ps->p;
	long c = 0;
	int n, i;

	*raw = 0;
	if (*ps->p != '\\') {
		n = utf8_decode((const unsigned char *)ps->p, (const unsigned char *)ps->end, &c);
		if (n == 0) {
			perr(ps, at, "invalid UTF-8");
			return -1;
		}
		ps->p += n;
		return c;
	}
	if (++ps->p >= ps->end) {
		perr(ps, at, "unfinished escape");
		return -1;
	}
	switch (*ps->p++) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case '\\': return '\\';
	case '"': return '"';
	case '\'': return '\'';
	case '[': return '[';
	case ']': return ']';
	case '-': return '-';
	case '^': return '^';
	case '/': return '/';
	case 'x': n = 2; *raw = 1; break;
	case 'u': n = 4; break;
	case 'U': n = 8; break;
	default:
		perr(ps, at, "unknown escape");
		return -1;
	}
	for (i = 0; i < n; i++) {
		int h = ps->p < ps->end ? hexval(*ps->p) : -1;
		if (h < 0) {
			perr(ps, at, "escape needs %s hex digits", n == 2 ? "2" : n == 4 ? "4" : "8");
			return -1;
		}
		c = c * 16 + h;
		ps->p++;
	}
	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		perr(ps, at, "escape is not a Unicode scalar value");
		return -1;
	}
	return c;
}

/* --- character classes --- */

struct range {
	long lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Adds to alternative rule r the UTF-8 byte sequences for [lo, hi], where
 * both encode to the same length. */
static void utf8_seqs(struct parser *ps, int r, long lo, long hi)
{
	unsigned char a[4], b[4];
	int n, i;

	for (i = 1; i < 4; i++) {
		long m = (1L << (6 * i)) - 1;
		if ((lo & ~m) != (hi & ~m)) {
			if ((lo & m) != 0) {
				utf8_seqs(ps, r, lo, lo | m);
				utf8_seqs(ps, r, (lo | m) + 1, hi);
				return;
			}
			if ((hi & m) != m) {
				utf8_seqs(ps, r, lo, (hi & ~m) - 1);
				utf8_seqs(ps, r, hi & ~m, hi);
				return;
			}
		}
	}
	n = utf8_encode(lo, a);
	utf8_encode(hi, b);
	struct seq *s = rule_alt(ps, r);
	for (i = 0; s && i < n; i++)
		seq_add(ps, s, GE_BYTES, set_new(ps, a[i], b[i]));
}

/* Appends to item the element matching one character of the ranges. */
static void class_emit(struct parser *ps, struct range *rg, int n, struct seq *item, size_t at)
{
	static const long bounds[] = { 0x7F, 0x7FF, 0xFFFF, 0x10FFFF };
	struct gset ascii = { { 0, 0, 0, 0 } };
	int r = -1, has_ascii = 0, i, k;

	for (i = 0; i < n && !ps->rc; i++) {
		long lo = rg[i].lo, hi = rg[i].hi;
		for (k = 0; k < 4 && lo <= hi; k++) {
			long top = hi < bounds[k] ? hi : bounds[k];
			if (lo > top)
				continue;
			if (k == 0) {
				for (long c = lo; c <= top; c++)
					ascii.w[c >> 6] |= (uint64_t)1 << (c & 63);
				has_ascii = 1;
			} else {
				if (r < 0 && (r = rule_new(ps, NULL, 0, at)) < 0)
					return;
				utf8_seqs(ps, r, lo, top);
			}
			lo = top + 1;
		}
	}
	if (ps->rc)
		return;
	int sid = -1;
	if (has_ascii && (sid = set_add(ps, &ascii)) < 0)
		return;
	if (r < 0) {
		seq_add(ps, item, GE_BYTES, sid);
		return;
	}
	if (has_ascii) {
		struct seq *s = rule_alt(ps, r);
		if (s)
			seq_add(ps, s, GE_BYTES, sid);
	}
	seq_add(ps, item, GE_RULE, r);
}

/* Sorts and merges ranges; with neg, takes the complement over Unicode
 * scalar values. Returns the new count. */
static int ranges_norm(struct range *rg, int n, int neg)
{
	int i, m = 0;

	qsort(rg, (size_t)n, sizeof(*rg), range_cmp);
	for (i = 0; i < n; i++) {
		if (m && rg[i].lo <= rg[m - 1].hi + 1) {
			if (rg[i].hi > rg[m - 1].hi)
				rg[m - 1].hi = rg[i].hi;
		} else {
			rg[m++] = rg[i];
		}
	}
	if (!neg)
		return m;
	/* complement in place into a copy: at most m + 1 gaps, plus the surrogates */
	struct range tmp[m + 2];
	int t = 0;
	long next = 0;
	for (i = 0; i < m; i++) {
		if (rg[i].lo > next)
			tmp[t++] = (struct range){ next, rg[i].lo - 1 };
		next = rg[i].hi + 1;
	}
	if (next <= 0x10FFFF)
		tmp[t++] = (struct range){ next, 0x10FFFF };
	memcpy(rg, tmp, (size_t)t * sizeof(*rg));
	return t;
}

/* Removes the surrogates D800-DFFF, which UTF-8 cannot carry. */
static int ranges_drop_surrogates(struct range *rg, int n, int cap)
{
	int i, m = n;

	for (i = 0; i < m; i++) {
		if (rg[i].lo <= 0xDFFF && rg[i].hi >= 0xD800) {
			long lo = rg[i].lo, hi = rg[i].hi;
			if (lo < 0xD800 && hi > 0xDFFF && m < cap) {
				rg[i].hi = 0xD7FF;
				rg[m++] = (struct range){ 0xE000, hi };
			} else if (lo < 0xD800) {
				rg[i].hi = 0xD7FF;
			} else if (hi > 0xDFFF) {
				rg[i].lo = 0xE000;
			} else {
				rg[i] = rg[--m];
				i--;
			}
		}
	}
	return m;
}

static void parse_class(struct parser *ps, struct seq *item)
{
	const char *at = ps->p;
	struct range *rg = NULL;
	int n = 0, cap = 0, neg = 0, raw;

	ps->p++;  /* [ */
	if (ps->p < ps->end && *ps->p == '^') {
		neg = 1;
		ps->p++;
	}
	while (!ps->rc) {
		if (ps->p >= ps->end) {
			perr(ps, at, "unclosed character class");
			break;
		}
		if (*ps->p == ']')
			break;
		long lo = read_char(ps, &raw), hi = lo;
		if (lo < 0)
			break;
		if (ps->p + 1 < ps->end && *ps->p == '-' && ps->p[1] != ']') {
			const char *rat = ps->p++;
			hi = read_char(ps, &raw);
			if (hi < 0)
				break;
			if (hi < lo) {
				perr(ps, rat, "range is backwards");
				break;
			}
		}
		if (grow((void **)&rg, &cap, n + 3, sizeof(*rg)) < 0) {
			perr_nomem(ps);
			break;
		}
		rg[n++] = (struct range){ lo, hi };
	}
	if (!ps->rc) {
		ps->p++;  /* ] */
		if (grow((void **)&rg, &cap, n + 3, sizeof(*rg)) < 0) {
			perr_nomem(ps);
		} else {
			n = ranges_norm(rg, n, neg);
			n = ranges_drop_surrogates(rg, n, cap);
			if (n == 0)
				perr(ps, at, "character class matches nothing");
			else
				class_emit(ps, rg, n, item, (size_t)(at - ps->text));
		}
	}
	free(rg);
}

/* --- expressions --- */

static void parse_alts(struct parser *ps, int r, int depth);

static void parse_literal(struct parser *ps, struct seq *item)
{
	const char *at = ps->p;
	unsigned char enc[4];
	int raw, n;

	ps->p++;
	while (!ps->rc) {
		if (ps->p >= ps->end || *ps->p == '\n') {
			perr(ps, at, "unclosed string literal");
			return;
		}
		if (*ps->p == '"') {
			ps->p++;
			return;
		}
		long c = read_char(ps, &raw);
		if (c < 0)
			return;
		if (raw) {
			enc[0] = (unsigned char)c;
			n = 1;
		} else {
			n = utf8_encode(c, enc);
		}
		for (int i = 0; i < n; i++)
			seq_add(ps, item, GE_BYTES, set_new(ps, enc[i], enc[i]));
	}
}

static long read_count(struct parser *ps)
{
	long v = -1;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (*ps->p++ - '0');
		if (v > REPEAT_MAX)
			return -2;
	}
	return v;
}

/* One element for item: itself when it is one element, else a rule. */
static struct gelem item_elem(struct parser *ps, struct seq *item, size_t at)
{
	struct gelem e = { GE_RULE, 0 };
	int r;

	if (item->n == 1)
		return item->e[0];
	if ((r = rule_new(ps, NULL, 0, at)) < 0)
		return e;
	struct seq *s = rule_alt(ps, r);
	if (s)
		seq_cat(ps, s, item);
	e.arg = (uint32_t)r;
	return e;
}

/* Rewrites item as item{min,max} (max -1: unbounded). */
static void repeat(struct parser *ps, struct seq *item, long min, long max, size_t at)
{
	struct gelem x = item_elem(ps, item, at);
	int i, r, prev = -1;
	struct seq *s;

	item->n = 0;
	for (i = 0; i < min && !ps->rc; i++)
		seq_add(ps, item, (int)x.kind, (int)x.arg);
	if (max < 0) {  /* R ::= x R | "" */
		if ((r = rule_new(ps, NULL, 0, at)) < 0)
			return;
		if ((s = rule_alt(ps, r))) {
			seq_add(ps, s, (int)x.kind, (int)x.arg);
			seq_add(ps, s, GE_RULE, r);
		}
		rule_alt(ps, r);
		seq_add(ps, item, GE_RULE, r);
		return;
	}
	for (i = 0; i < max - min && !ps->rc; i++) {  /* O_k ::= x O_k-1 | "" */
		if ((r = rule_new(ps, NULL, 0, at)) < 0)
			return;
		if ((s = rule_alt(ps, r))) {
			seq_add(ps, s, (int)x.kind, (int)x.arg);
			if (prev >= 0)
				seq_add(ps, s, GE_RULE, prev);
		}
		rule_alt(ps, r);
		prev = r;
	}
	if (prev >= 0)
		seq_add(ps, item, GE_RULE, prev);
}

static void parse_postfix(struct parser *ps, struct seq *item, size_t at)
{
	for (;;) {
		const char *op = ps->p;
		long min, max;

		if (ps->rc || ps->p >= ps->end)
			return;
		if (*ps->p == '*') {
			min = 0, max = -1;
		} else if (*ps->p == '+') {
			min = 1, max = -1;
		} else if (*ps->p == '?') {
			min = 0, max = 1;
		} else if (*ps->p == '{') {
			ps->p++;
			min = read_count(ps);
			max = min;
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				max = read_count(ps);
			}
			if (min == -2 || max == -2) {
				perr(ps, op, "repetition count over 10000");
				return;
			}
			if (min < 0 || ps->p >= ps->end || *ps->p != '}') {
				perr(ps, op, "expected {m}, {m,} or {m,n}");
				return;
			}
			if (max >= 0 && max < min) {
				perr(ps, op, "repetition {m,n} with n < m");
				return;
			}
		} else {
			return;
		}
		ps->p++;
		repeat(ps, item, min, max, at);
	}
}

static void parse_seq(struct parser *ps, struct seq *alt, int depth)
{
	struct seq item = { NULL, 0, 0 };

	for (;;) {
		skip_space(ps);
		if (ps->rc || ps->p >= ps->end || *ps->p == '|' || *ps->p == ')' || at_rule_start(ps))
			break;
		const char *at = ps->p;
		size_t off = (size_t)(at - ps->text), nl;
		item.n = 0;
		if (*ps->p == '"') {
			parse_literal(ps, &item);
		} else if (*ps->p == '[') {
			parse_class(ps, &item);
		} else if (*ps->p == '.') {
			ps->p++;
			if (ps->any_rule < 0) {
				struct range all = { 0, 0x10FFFF };
				struct range rg[2] = { all, all };
				int n = ranges_drop_surrogates(rg, 1, 2);
				class_emit(ps, rg, n, &item, off);
				if (!ps->rc)
					ps->any_rule = (int)item.e[0].arg;
			} else {
				seq_add(ps, &item, GE_RULE, ps->any_rule);
			}
		} else if (*ps->p == '(') {
			int r;
			if (depth > 100) {
				perr(ps, at, "groups nested too deep");
				break;
			}
			ps->p++;
			if ((r = rule_new(ps, NULL, 0, off)) < 0)
				break;
			parse_alts(ps, r, depth + 1);
			skip_space(ps);
			if (!ps->rc && (ps->p >= ps->end || *ps->p != ')')) {
				perr(ps, at, "unclosed '('");
				break;
			}
			ps->p++;
			seq_add(ps, &item, GE_RULE, r);
		} else if ((nl = name_len(ps->p, ps->end)) > 0) {
			int r = rule_find(ps, ps->p, nl, off);
			ps->p += nl;
			if (r >= 0)
				seq_add(ps, &item, GE_RULE, r);
		} else {
			perr(ps, at, "unexpected character '%c'", *at);
			break;
		}
		parse_postfix(ps, &item, off);
		seq_cat(ps, alt, &item);
	}
	free(item.e);
}

static void parse_alts(struct parser *ps, int r, int depth)
{
	for (;;) {
		struct seq *alt = rule_alt(ps, r);
		struct seq tmp = { NULL, 0, 0 };
		if (!alt)
			return;
		/* rule_alt may move the array while the sequence nests: parse into tmp */
		parse_seq(ps, &tmp, depth);
		alt = &ps->rules[r].alts[ps->rules[r].n_alts - 1];
		*alt = tmp;
		skip_space(ps);
		if (ps->rc || ps->p >= ps->end || *ps->p != '|')
			return;
		ps->p++;
	}
}

static void parse_rule(struct parser *ps)
{
	const char *at = ps->p;
	size_t nl = name_len(ps->p, ps->end);
	int r;

	if (nl == 0) {
		perr(ps, at, "expected a rule name");
		return;
	}
	if ((r = rule_find(ps, ps->p, nl, (size_t)(at - ps->text))) < 0)
		return;
	ps->p += nl;
	skip_space(ps);
	if (ps->end - ps->p < 3 || memcmp(ps->p, "::=", 3) != 0) {
		perr(ps, ps->p, "expected '::=' after the rule name");
		return;
	}
	ps->p += 3;
	if (ps->rules[r].defined) {
		perr(ps, at, "rule '%s' is defined twice", ps->rules[r].name);
		return;
	}
	ps->rules[r].defined = 1;
	ps->rules[r].at = (size_t)(at - ps->text);
	ps->cur = r;
	parse_alts(ps, r, 0);
	if (!ps->rc && ps->p < ps->end && *ps->p == ')')
		perr(ps, ps->p, "unmatched ')'");
}

/* --- checks --- */

static const char *owner_name(struct parser *ps, int r)
{
	return ps->rules[ps->rules[r].owner].name;
}

/* Fixpoint of "rule can match the empty string" (prop 0) or "rule can
 * finish" (prop 1). */
static void rules_fix(struct parser *ps, char *out, int prop)
{
	int changed = 1;

	memset(out, 0, (size_t)ps->n_rules);
	while (changed) {
		changed = 0;
		for (int r = 0; r < ps->n_rules; r++) {
			struct brule *b = &ps->rules[r];
			for (int a = 0; a < b->n_alts && !out[r]; a++) {
				int ok = 1;
				for (int i = 0; i < b->alts[a].n && ok; i++) {
					struct gelem e = b->alts[a].e[i];
					ok = e.kind == GE_RULE ? out[e.arg] : prop == 1;
				}
				if (ok)
					out[r] = changed = 1;
			}
		}
	}
}

/* Depth-first over "r can begin with s": 1 grey, 2 black. */
static int left_visit(struct parser *ps, int r, char *color, const char *nullable)
{
	struct brule *b = &ps->rules[r];

	color[r] = 1;
	for (int a = 0; a < b->n_alts; a++) {
		for (int i = 0; i < b->alts[a].n; i++) {
			struct gelem e = b->alts[a].e[i];
			if (e.kind != GE_RULE)
				break;
			if (color[e.arg] == 1)
				return perr(ps, ps->text + ps->rules[e.arg].at,
				            "left recursion through rule '%s'", owner_name(ps, (int)e.arg));
			if (color[e.arg] == 0 && left_visit(ps, (int)e.arg, color, nullable) < 0)
				return ps->rc;
			if (!nullable[e.arg])
				break;
		}
	}
	color[r] = 2;
	return 0;
}

static int check_rules(struct parser *ps)
{
	char *nullable = calloc((size_t)ps->n_rules + 1, 1);
	char *color = calloc((size_t)ps->n_rules + 1, 1);
	char *finite = calloc((size_t)ps->n_rules + 1, 1);
	int r;

	if (!nullable || !color || !finite) {
		perr_nomem(ps);
		goto out;
	}
	for (r = 0; r < ps->n_rules; r++) {
		if (!ps->rules[r].defined) {
			perr(ps, ps->text + ps->rules[r].at, "undefined rule '%s'", ps->rules[r].name);
			goto out;
		}
	}
	rules_fix(ps, nullable, 0);
	for (r = 0; r < ps->n_rules && !ps->rc; r++)
		if (!color[r])
			left_visit(ps, r, color, nullable);
	if (ps->rc)
		goto out;
	rules_fix(ps, finite, 1);
	for (r = 0; r < ps->n_rules; r++) {
		if (!finite[r]) {
			perr(ps, ps->text + ps->rules[r].at, "rule '%s' can never finish",
			     owner_name(ps, r));
			goto out;
		}
	}
out:
	free(nullable);
	free(color);
	free(finite);
	return ps->rc;
}

/* --- assembly --- */

static int assemble(struct parser *ps, struct grammar *g)
{
	int r, a, n_alts = 0;
	long n_elems = 0;

	for (r = 0; r < ps->n_rules; r++) {
		n_alts += ps->rules[r].n_alts;
		for (a = 0; a < ps->rules[r].n_alts; a++)
			n_elems += ps->rules[r].alts[a].n + 1;
	}
	g->elems = malloc((size_t)n_elems * sizeof(*g->elems));
	g->alts = malloc(((size_t)n_alts + 1) * sizeof(*g->alts));
	g->rule_alt = malloc(((size_t)ps->n_rules + 1) * sizeof(*g->rule_alt));
	g->sets = malloc(((size_t)ps->n_sets + 1) * sizeof(*g->sets));
	if (!g->elems || !g->alts || !g->rule_alt || !g->sets)
		return perr_nomem(ps);
	if (ps->n_sets)
		memcpy(g->sets, ps->sets, (size_t)ps->n_sets * sizeof(*g->sets));
	g->n_sets = ps->n_sets;
	g->n_rules = ps->n_rules;
	n_alts = 0;
	for (r = 0; r < ps->n_rules; r++) {
		g->rule_alt[r] = n_alts;
		for (a = 0; a < ps->rules[r].n_alts; a++) {
			struct seq *s = &ps->rules[r].alts[a];
			g->alts[n_alts++] = g->n_elems;
			if (s->n)
				memcpy(g->elems + g->n_elems, s->e, (size_t)s->n * sizeof(*s->e));
			g->n_elems += s->n;
			g->elems[g->n_elems].kind = GE_END;
			g->elems[g->n_elems].arg = 0;
			g->n_elems++;
		}
	}
	g->rule_alt[ps->n_rules] = n_alts;
	return 0;
}

int grammar_parse(const char *text, size_t len, const char *name, struct grammar **out,
                  struct wr_err *err)
{
	struct parser ps;
	struct grammar *g = NULL;
	int rc, r;

	memset(&ps, 0, sizeof(ps));
	ps.text = ps.p = text;
	ps.end = text + len;
	ps.name = name ? name : "grammar";
	ps.err = err;
	ps.any_rule = -1;
	memset(ps.byte_set, -1, sizeof(ps.byte_set));
	if (len > TEXT_MAX) {
		rc = err_set(err, WR_ETOOBIG, "%s: grammar over 1 MiB", ps.name);
		goto out;
	}
	skip_space(&ps);
	while (!ps.rc && ps.p < ps.end) {
		parse_rule(&ps);
		skip_space(&ps);
	}
	if (ps.rc || check_rules(&ps) < 0) {
		rc = ps.rc;
		goto out;
	}
	ps.root = -1;
	for (r = 0; r < ps.n_rules; r++)
		if (ps.rules[r].name && strcmp(ps.rules[r].name, "root") == 0)
			ps.root = r;
	if (ps.root < 0) {
		rc = err_set(err, WR_ESPEC, "%s:1:1: no rule named 'root'", ps.name);
		goto out;
	}
	if (!(g = calloc(1, sizeof(*g)))) {
		rc = err_set(err, WR_ENOMEM, "%s: out of memory", ps.name);
		goto out;
	}
	g->root = ps.root;
	if ((rc = assemble(&ps, g)) < 0)
		goto out;
	*out = g;
	g = NULL;
	rc = 0;
out:
	grammar_free(g);
	for (r = 0; r < ps.n_rules; r++) {
		for (int a = 0; a < ps.rules[r].n_alts; a++)
			free(ps.rules[r].alts[a].e);
		free(ps.rules[r].alts);
		free(ps.rules[r].name);
	}
	free(ps.rules);
	free(ps.sets);
	return rc;
}

void grammar_free(struct grammar *g)
{
	if (!g)
		return;
	free(g->elems);
	free(g->sets);
	free(g->alts);
	free(g->rule_alt);
	free(g);
}

int grammar_rule_count(const struct grammar *g)
{
	return g->n_rules;
}
