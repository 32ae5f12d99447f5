/* grammar_vocab.c: the token trie the mask walks (grammar_int.h).
 *
 * Tokens sorted by their bytes are the trie in preorder: each token adds
 * nodes only for the bytes past its longest common prefix with the one
 * before. A node's skip is the end of its subtree, so a walk that rejects a
 * prefix jumps over every token sharing it in one step. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "local/grammar_int.h"

static const struct grammar_vocab *sort_vocab;

static int tok_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	size_t lx = sort_vocab->len[x], ly = sort_vocab->len[y];
	int c = memcmp(sort_vocab->bytes[x], sort_vocab->bytes[y], lx < ly ? lx : ly);

	if (c)
		return c;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int trie_build(struct grammar_vocab *v)
{
	int *order = malloc((size_t)v->n_tokens * sizeof(*order));
	size_t cap = 0, total = 0, i, n = 0;
	uint32_t *open = NULL;  /* node index at each depth on the current path */
	int k, m = 0, rc = WR_ENOMEM;

	if (!order)
		goto out;
	for (k = 0; k < v->n_tokens; k++) {
		v->dup[k] = -1;
		if (v->len[k] > 0 && v->len[k] <= GRAMMAR_DEPTH_MAX && k != v->eos) {
			order[m++] = k;
			total += v->len[k];
			if ((int)v->len[k] > v->max_len)
				v->max_len = (int)v->len[k];
		}
	}
	cap = total + 1;
	v->byte = malloc(cap);
	v->depth = malloc(cap * sizeof(*v->depth));
	v->skip = malloc(cap * sizeof(*v->skip));
	v->tok = malloc(cap * sizeof(*v->tok));
	open = malloc(((size_t)v->max_len + 1) * sizeof(*open));
	if (!v->byte || !v->depth || !v->skip || !v->tok || !open)
		goto out;
	sort_vocab = v;
	qsort(order, (size_t)m, sizeof(*order), tok_cmp);
	size_t plen = 0;
	const char *prev = NULL;
	for (k = 0; k < m; k++) {
		int t = order[k];
		const char *s = v->bytes[t];
		size_t len = v->len[t], lcp = 0;
		while (prev && lcp < plen && lcp < len && prev[lcp] == s[lcp])
			lcp++;
		if (prev && lcp == len && plen == len) {  /* same bytes as the last token */
			int last = v->tok[open[len]];
			while (v->dup[last] >= 0)
				last = v->dup[last];
			v->dup[last] = t;
			continue;
		}
		for (i = lcp; i < len; i++) {
			v->byte[n] = (uint8_t)s[i];
			v->depth[n] = (uint16_t)(i + 1);
			v->tok[n] = -1;
			open[i + 1] = (uint32_t)n;
			n++;
		}
		v->tok[open[len]] = t;
		prev = s;
		plen = len;
	}
	v->n_nodes = n;
	/* skip[i]: the next node at a depth <= depth[i] */
	for (i = n; i-- > 0;) {
		size_t j = i + 1;
		while (j < n && v->depth[j] > v->depth[i])
			j = v->skip[j];
		v->skip[i] = (uint32_t)j;
	}
	rc = 0;
out:
	free(order);
	free(open);
	return rc;
}

int grammar_vocab_new(int n, const char *const *tok, const size_t *len, int eos_id,
                      struct grammar_vocab **out, struct wr_err *err)
{
	struct grammar_vocab *v = NULL;
	int rc, i;

	if (n <= 0 || eos_id < -1 || eos_id >= n)
		return err_set(err, WR_EINVAL, "vocabulary: %d tokens with end token %d", n, eos_id);
	rc = WR_ENOMEM;
	if (!(v = calloc(1, sizeof(*v))))
		goto out;
	v->n_tokens = n;
	v->eos = eos_id;
	v->bytes = calloc((size_t)n, sizeof(*v->bytes));
	v->len = malloc((size_t)n * sizeof(*v->len));
	v->dup = malloc((size_t)n * sizeof(*v->dup));
	if (!v->bytes || !v->len || !v->dup)
		goto out;
	for (i = 0; i < n; i++) {
		v->len[i] = tok[i] ? len[i] : 0;
		if (!(v->bytes[i] = malloc(v->len[i] + 1)))
			goto out;
		memcpy(v->bytes[i], tok[i] ? tok[i] : "", v->len[i]);
		v->bytes[i][v->len[i]] = 0;
	}
	if ((rc = trie_build(v)) < 0)
		goto out;
	*out = v;
	v = NULL;
out:
	if (rc < 0)
		err_set(err, rc, "vocabulary: out of memory");
	grammar_vocab_free(v);
	return rc;
}

void grammar_vocab_free(struct grammar_vocab *v)
{
	if (!v)
		return;
	if (v->bytes)
		for (int i = 0; i < v->n_tokens; i++)
			free(v->bytes[i]);
	free(v->bytes);
	free(v->len);
	free(v->dup);
	free(v->byte);
	free(v->depth);
	free(v->skip);
	free(v->tok);
	free(v);
}

int grammar_vocab_size(const struct grammar_vocab *v)
{
	return v->n_tokens;
}

size_t grammar_vocab_nodes(const struct grammar_vocab *v)
{
	return v->n_nodes;
}
