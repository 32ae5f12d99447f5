/* jpath.c: scanning and evaluating JSON paths (see jpath.h). */
#include "check/jpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_id0(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_id(char c)
{
	return is_id0(c) || (c >= '0' && c <= '9');
}

/* One step of a path, as scanned. */
struct seg {
	enum { SEG_KEY, SEG_INDEX, SEG_ALL } kind;
	const char *key;   /* SEG_KEY: the name (quoted names still escaped) */
	size_t key_len;
	int quoted;
	long long index;
};

/* Reads the segment at s[*i]; 1 when one was read, 0 at the end of the
 * path, -1 when malformed (why says so). first: no '.' needed before a name. */
static int seg_next(const char *s, size_t len, size_t *i, int first, struct seg *g,
                    char *why, size_t size)
{
	size_t p = *i;

	if (p >= len)
		return 0;
	if (s[p] == '.' || (first && is_id0(s[p]))) {
		if (s[p] == '.')
			p++;
		if (p < len && s[p] == '*') {
			g->kind = SEG_ALL;
			*i = p + 1;
			return 1;
		}
		if (p >= len || !is_id0(s[p])) {
			snprintf(why, size, "expected a name after '.'");
			*i = p;
			return -1;
		}
		g->kind = SEG_KEY;
		g->key = s + p;
		g->quoted = 0;
		while (p < len && is_id(s[p]))
			p++;
		g->key_len = (size_t)(s + p - g->key);
		*i = p;
		return 1;
	}
	if (s[p] != '[')
		return 0;
	p++;
	if (p < len && s[p] == '*') {
		g->kind = SEG_ALL;
		p++;
	} else if (p < len && (s[p] == '"' || s[p] == '\'')) {
		char q = s[p++];

		g->kind = SEG_KEY;
		g->key = s + p;
		g->quoted = 1;
		while (p < len && s[p] != q) {
			if (s[p] == '\\' && p + 1 < len)
				p++;
			p++;
		}
		if (p >= len) {
			snprintf(why, size, "unterminated name in '[...]'");
			*i = p;
			return -1;
		}
		g->key_len = (size_t)(s + p - g->key);
		p++;
	} else {
		int neg = p < len && s[p] == '-';
		size_t d0;

		p += (size_t)neg;
		d0 = p;
		g->index = 0;
		while (p < len && s[p] >= '0' && s[p] <= '9' && p - d0 < 12)
			g->index = g->index * 10 + (s[p++] - '0');
		if (p == d0) {
			snprintf(why, size, "expected an index, '*' or a quoted name in '[...]'");
			*i = p;
			return -1;
		}
		g->index = neg ? -g->index : g->index;
		g->kind = SEG_INDEX;
	}
	if (p >= len || s[p] != ']') {
		snprintf(why, size, "expected ']'");
		*i = p;
		return -1;
	}
	*i = p + 1;
	return 1;
}

size_t jpath_scan(const char *s, size_t len, size_t *bad, char *why, size_t size)
{
	size_t i = 0;
	struct seg g;
	int r, first = 1;

	*bad = 0;
	if (len && s[0] == '$') {
		i = 1;
		first = 0;
	} else if (!len || !is_id0(s[0])) {
		snprintf(why, size, "expected a path like 'items[0].amount'");
		return 0;
	}
	while ((r = seg_next(s, len, &i, first, &g, why, size)) == 1)
		first = 0;
	if (r < 0) {
		*bad = i;
		return 0;
	}
	return i;
}

/* The member name of a segment, unescaped into buf. */
static const char *seg_key(const struct seg *g, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < g->key_len && n + 1 < size; i++) {
		if (g->quoted && g->key[i] == '\\' && i + 1 < g->key_len)
			i++;
		buf[n++] = g->key[i];
	}
	buf[n] = '\0';
	return buf;
}

static int walk(const char *s, size_t len, size_t i, int first, json_t *v, json_t *out,
                int depth)
{
	struct seg g;
	char why[64], key[512];
	size_t at = i;
	int r;

	if (depth > 64)
		return -1;
	r = seg_next(s, len, &at, first, &g, why, sizeof(why));
	if (r < 0)
		return -1;
	if (r == 0)
		return json_array_append(out, v) < 0 ? -1 : 0;
	if (g.kind == SEG_KEY) {
		json_t *m = json_is_object(v) ? json_object_get(v, seg_key(&g, key, sizeof(key)))
		                              : NULL;

		return m ? walk(s, len, at, 0, m, out, depth + 1) : 0;
	}
	if (g.kind == SEG_INDEX) {
		long long n = json_is_array(v) ? (long long)json_array_size(v) : 0;
		long long k = g.index < 0 ? n + g.index : g.index;

		if (!json_is_array(v) || k < 0 || k >= n)
			return 0;
		return walk(s, len, at, 0, json_array_get(v, (size_t)k), out, depth + 1);
	}
	if (json_is_array(v)) {
		for (size_t k = 0; k < json_array_size(v); k++)
			if (walk(s, len, at, 0, json_array_get(v, k), out, depth + 1) < 0)
				return -1;
	} else if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it))
			if (walk(s, len, at, 0, json_object_iter_value(it), out, depth + 1) < 0)
				return -1;
	}
	return 0;
}

int jpath_select(const char *s, size_t len, json_t *doc, json_t *out)
{
	size_t bad, n, i = 0;
	char why[64];
	int wild = 0, first = 1;
	struct seg g;

	n = jpath_scan(s, len, &bad, why, sizeof(why));
	if (n != len)
		return -1;
	if (len && s[0] == '$') {
		i = 1;
		first = 0;
	}
	for (size_t at = i, f = (size_t)first; seg_next(s, len, &at, (int)f, &g, why,
	                                                 sizeof(why)) == 1; f = 0)
		wild |= g.kind == SEG_ALL;
	if (walk(s, len, i, first, doc, out, 0) < 0)
		return -1;
	return wild;
}
