/* diff.c: a line diff by longest common subsequence (texts are prompts and
 * schemas: a few hundred lines, so the quadratic table is small). */
#include "core/diff.h"

#include <stdlib.h>
#include <string.h>

struct lines {
	const char **at;   /* start of each line */
	size_t *len;       /* without its newline */
	size_t n;
};

static int split(const char *s, struct lines *l)
{
	size_t cap = 1;

	for (const char *p = s; *p; p++)
		cap += *p == '\n';
	l->at = malloc(cap * sizeof(*l->at));
	l->len = malloc(cap * sizeof(*l->len));
	l->n = 0;
	if (!l->at || !l->len)
		return -1;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		l->at[l->n] = s;
		l->len[l->n++] = n;
		s += n + (e != NULL);
	}
	return 0;
}

static int same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->at[i], b->at[j], a->len[i]);
}

static void emit(struct buf *out, const char *indent, char tag, const char *s, size_t n)
{
	buf_adds(out, indent);
	buf_addc(out, tag);
	buf_addc(out, ' ');
	buf_add(out, s, n);
	buf_addc(out, '\n');
}

/* The edit script: op[k] is '=', '-' or '+' with its line indexes. */
struct edit {
	char op;
	size_t i, j;
};

static size_t script(const struct lines *a, const struct lines *b, unsigned *t,
                     struct edit *ed)
{
	size_t w = b->n + 1, i = 0, j = 0, k = 0;

	/* t[i][j]: length of the LCS of a[i..] and b[j..] */
	for (size_t x = a->n + 1; x-- > 0;)
		for (size_t y = b->n + 1; y-- > 0;)
			t[x * w + y] = x == a->n || y == b->n ? 0
			             : same(a, x, b, y) ? t[(x + 1) * w + y + 1] + 1
			             : t[(x + 1) * w + y] > t[x * w + y + 1] ? t[(x + 1) * w + y]
			             : t[x * w + y + 1];
	while (i < a->n || j < b->n) {
		if (i < a->n && j < b->n && same(a, i, b, j))
			ed[k++] = (struct edit){ '=', i++, j++ };
		else if (j < b->n && (i == a->n || t[i * w + j + 1] >= t[(i + 1) * w + j]))
			ed[k++] = (struct edit){ '+', i, j++ };
		else
			ed[k++] = (struct edit){ '-', i++, j };
	}
	return k;
}

int diff_lines(const char *a, const char *b, int context, const char *indent,
               struct buf *out)
{
	struct lines la = { 0 }, lb = { 0 };
	struct edit *ed = NULL;
	unsigned *t = NULL;
	size_t n = 0, skipped = 0;
	int changed = 0, rc = -1;

	if (split(a, &la) < 0 || split(b, &lb) < 0)
		goto out;
	if (la.n > DIFF_MAX_LINES || lb.n > DIFF_MAX_LINES) {
		for (size_t i = 0; i < la.n; i++)
			emit(out, indent, '-', la.at[i], la.len[i]);
		for (size_t j = 0; j < lb.n; j++)
			emit(out, indent, '+', lb.at[j], lb.len[j]);
		rc = (int)(la.n + lb.n);
		goto out;
	}
	t = malloc((la.n + 1) * (lb.n + 1) * sizeof(*t));
	ed = malloc((la.n + lb.n + 1) * sizeof(*ed));
	if (!t || !ed)
		goto out;
	n = script(&la, &lb, t, ed);
	for (size_t k = 0; k < n; k++) {
		int near = 0;

		if (ed[k].op == '-') {
			emit(out, indent, '-', la.at[ed[k].i], la.len[ed[k].i]);
			changed++;
			continue;
		}
		if (ed[k].op == '+') {
			emit(out, indent, '+', lb.at[ed[k].j], lb.len[ed[k].j]);
			changed++;
			continue;
		}
		for (size_t d = 1; d <= (size_t)context && !near; d++)
			near = (k >= d && ed[k - d].op != '=') || (k + d < n && ed[k + d].op != '=');
		if (!near) {
			skipped++;
			continue;
		}
		if (skipped) {
			buf_adds(out, indent);
			buf_adds(out, "  ...\n");
			skipped = 0;
		}
		emit(out, indent, ' ', la.at[ed[k].i], la.len[ed[k].i]);
	}
	if (skipped && changed) {
		buf_adds(out, indent);
		buf_adds(out, "  ...\n");
	}
	rc = changed;
out:
	free(la.at);
	free(la.len);
	free(lb.at);
	free(lb.len);
	free(t);
	free(ed);
	return rc;
}
