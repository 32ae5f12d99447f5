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

static int tok_cmp(const void *a, const void *b, void *ud)
{
	const struct grammar_vocab *sort_vocab = ud;
	int x = *(const int *)a, y = *(const int *)b;
	size_t lx = sort_vocab->len[x], ly = sort_vocab->len[y];
	int c = memcmp(sort_vocab->bytes[x], sort_vocab->bytes[y], lx < ly ? lx : ly);

	if (c)
		return c;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int token_plain(const struct grammar_vocab *v, int t)
{
	if (v->len[t] == 0 || v->len[t] > PLAIN_LEN_MAX || t == v->eos)
		return 0;
	for (size_t i = 0; i < v->len[t]; i++)
		if (!grammar_byte_plain((unsigned char)v->bytes[t][i]))
			return 0;
	return 1;
}

/* Builds tr from the tokens (only_rest: those that are not plain); the
 * first build also links tokens with equal bytes through dup[]. */
static int trie_build(struct grammar_vocab *v, struct gtrie *tr, int only_rest, int link_dups)
{
	int *order = malloc((size_t)v->n_tokens * sizeof(*order));
	size_t cap = 0, total = 0, i, n = 0;
	uint32_t *open = NULL;  /* node index at each depth on the current path */
	int k, m = 0, rc = WR_ENOMEM;

	if (!order)
		goto out;
	for (k = 0; k < v->n_tokens; k++) {
		if (link_dups)
			v->dup[k] = -1;
		if (v->len[k] > 0 && v->len[k] <= GRAMMAR_DEPTH_MAX && k != v->eos &&
		    !(only_rest && token_plain(v, k))) {
			order[m++] = k;
			total += v->len[k];
			if ((int)v->len[k] > v->max_len)
				v->max_len = (int)v->len[k];
		}
	}
	cap = total + 1;
	tr->byte = malloc(cap);
	tr->depth = malloc(cap * sizeof(*tr->depth));
	tr->skip = malloc(cap * sizeof(*tr->skip));
	tr->tok = malloc(cap * sizeof(*tr->tok));
	open = malloc(((size_t)v->max_len + 1) * sizeof(*open));
	if (!tr->byte || !tr->depth || !tr->skip || !tr->tok || !open)
		goto out;
	qsort_r(order, (size_t)m, sizeof(*order), tok_cmp, v);
	size_t plen = 0;
	const char *prev = NULL;
	for (k = 0; k < m; k++) {
		int t = order[k];
		const char *s = v->bytes[t];
		size_t len = v->len[t], lcp = 0;
		while (prev && lcp < plen && lcp < len && prev[lcp] == s[lcp])
			lcp++;
		if (prev && lcp == len && plen == len) {  /* same bytes as the last token */
			int last = tr->tok[open[len]];
			while (v->dup[last] >= 0)
				last = v->dup[last];
			if (link_dups)
				v->dup[last] = t;
			continue;
		}
		for (i = lcp; i < len; i++) {
			tr->byte[n] = (uint8_t)s[i];
			tr->depth[n] = (uint16_t)(i + 1);
			tr->tok[n] = -1;
			open[i + 1] = (uint32_t)n;
			n++;
		}
		tr->tok[open[len]] = t;
		prev = s;
		plen = len;
	}
	tr->n_nodes = n;
	/* skip[i]: the next node at a depth <= depth[i] */
	for (i = n; i-- > 0;) {
		size_t j = i + 1;
		while (j < n && tr->depth[j] > tr->depth[i])
			j = tr->skip[j];
		tr->skip[i] = (uint32_t)j;
	}
	rc = 0;
out:
	free(order);
	free(open);
	return rc;
}

static void trie_release(struct gtrie *tr)
{
	free(tr->byte);
	free(tr->depth);
	free(tr->skip);
	free(tr->tok);
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
	for (i = 0; i < n; i++)
		if (token_plain(v, i) && (int)v->len[i] > v->plain_max)
			v->plain_max = (int)v->len[i];
	size_t words = ((size_t)n + 31) / 32;
	v->plain_le = calloc(words * ((size_t)v->plain_max + 1), 4);
	v->n_plain_le = calloc((size_t)v->plain_max + 1, sizeof(int));
	if (!v->plain_le || !v->n_plain_le)
		goto out;
	for (i = 0; i < n; i++) {
		if (!token_plain(v, i))
			continue;
		for (int l = (int)v->len[i]; l <= v->plain_max; l++) {
			v->plain_le[words * (size_t)l + (size_t)(i >> 5)] |= 1u << (i & 31);
			v->n_plain_le[l]++;
		}
	}
	if ((rc = trie_build(v, &v->all, 0, 1)) < 0 || (rc = trie_build(v, &v->rest, 1, 0)) < 0)
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
	free(v->plain_le);
	free(v->n_plain_le);
	trie_release(&v->all);
	trie_release(&v->rest);
	free(v);
}

int grammar_vocab_size(const struct grammar_vocab *v)
{
	return v->n_tokens;
}

size_t grammar_vocab_nodes(const struct grammar_vocab *v)
{
	return v->all.n_nodes;
}
