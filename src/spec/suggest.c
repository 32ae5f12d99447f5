/* suggest.c: "did you mean" for typos in keys and names.
 *
 * Distance is Damerau-Levenshtein in its optimal-string-alignment form:
 * insertions, deletions, substitutions and swaps of two neighbours each
 * cost 1, which covers the usual slips ("promt", "genrate", "stpes"). */
#include <string.h>

#include "spec/spec.h"

#define SUGGEST_MAX_LEN 64   /* longer words are not typos of our names */

/* Distance between a and b, or a value above limit once it must exceed it. */
static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb,
                           size_t limit)
{
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t best = cur[0] = i;

		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t d = prev[j] + 1;

			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
			if (d < best)
				best = d;
		}
		if (best > limit)
			return limit + 1;
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *spec_suggest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t ls, limit, best_d;

	if (!s || !names)
		return NULL;
	ls = strlen(s);
	if (ls == 0 || ls > SUGGEST_MAX_LEN)
		return NULL;
	limit = ls <= 4 ? 1 : 2;
	best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t ln, d;

		if (!names[i])
			continue;
		ln = strlen(names[i]);
		if (ln > SUGGEST_MAX_LEN || (ln > ls ? ln - ls : ls - ln) > limit)
			continue;
		d = osa_distance(s, ls, names[i], ln, limit);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}
