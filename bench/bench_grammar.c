/* bench_grammar.c: token mask cost of grammar-constrained decoding.
 *
 *     build/bench_grammar SCHEMA.json [VOCAB_SIZE...] [-w WALKS] [-t TOKENS]
 *
 * For each vocabulary size (default 32000 and 128000) it builds a synthetic
 * byte-level vocabulary from a fixed seed: the 256 bytes, then unique
 * tokens shaped like a BPE vocabulary's (mostly 2-8 bytes: words with a
 * leading space, word pieces, capitalised words, digit runs, JSON
 * punctuation runs, whitespace runs, UTF-8 characters). It compiles the
 * schema to a grammar, then runs WALKS generations of at most TOKENS tokens,
 * each token drawn uniformly among those the mask allows (one time in three
 * among the allowed ones with JSON punctuation in them, so that strings end
 * and a generation looks like a model's rather than one endless string), and
 * times every
 * grammar_matcher_fill_mask call. It prints the median and p99 per token for
 * the first generation (cold caches: every state met for the first time
 * walks the trie) and for the rest (one matcher kept across generations,
 * as a server would), and the same for grammar_matcher_apply (the engine's
 * hook: the mask, then -INFINITY written into a logits array). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "local/grammar.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* --- the synthetic vocabulary --- */

static const char *const onsets[] = { "", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n",
	"p", "r", "s", "t", "v", "w", "st", "tr", "pr", "ch", "th", "sh", "qu", "br", "cl" };
static const char *const vowels[] = { "a", "e", "i", "o", "u", "ea", "ou", "io", "ai", "y" };
static const char *const codas[] = { "", "", "n", "r", "s", "t", "l", "nd", "ng", "ck", "st",
	"ty", "ed", "er", "ing", "ion", "al" };
static const char *const puncts[] = { "\"", "\":", "\": \"", "\",", "\", \"", "{\"", "\"}",
	"},", "}]", "[{", "\"]", "],", ", ", ": ", "\n", "\n  ", "\n    ", ".", ",", "(", ")",
	"-", "_", "/", "\\n", "\\\"", "'s", "://", "...", "==", "{", "}", "[", "]" };
static const char *const utf8[] = { "\xc3\xa9", "\xc3\xa8", "\xc3\xbc", "\xc3\x9f",
	"\xe2\x80\x99", "\xe2\x80\x9c", "\xe2\x82\xac", "\xe6\x97\xa5", "\xe6\x9c\xac",
	"\xd0\xb0", "\xd0\xbe", "\xf0\x9f\x98\x80", "\xe2\x80", "\x99" };

#define N(a) (sizeof(a) / sizeof(*(a)))

static size_t word(char *s, size_t cap)
{
	size_t n = 0;
	int syl = 1 + (int)(rnd() % 3);

	for (int i = 0; i < syl; i++) {
		const char *parts[3] = { onsets[rnd() % N(onsets)], vowels[rnd() % N(vowels)],
		                         codas[rnd() % N(codas)] };
		for (int k = 0; k < 3; k++) {
			size_t l = strlen(parts[k]);
			if (n + l >= cap)
				return n;
			memcpy(s + n, parts[k], l);
			n += l;
		}
	}
	return n;
}

static size_t make_token(char *s, size_t cap)
{
	unsigned r = rnd() % 100;
	size_t n = 0;

	if (r < 50) {             /* " word" */
		s[n++] = ' ';
		n += word(s + n, cap - n);
	} else if (r < 70) {      /* word piece */
		n = word(s, cap);
	} else if (r < 78) {      /* " Word" */
		s[n++] = ' ';
		n += word(s + n, cap - n);
		if (s[1] >= 'a' && s[1] <= 'z')
			s[1] = (char)(s[1] - 32);
	} else if (r < 85) {      /* digits */
		int d = 1 + (int)(rnd() % 3);
		if (rnd() % 2)
			s[n++] = ' ';
		for (int i = 0; i < d; i++)
			s[n++] = (char)('0' + rnd() % 10);
	} else if (r < 94) {      /* punctuation runs */
		int k = 1 + (int)(rnd() % 2);
		for (int i = 0; i < k; i++) {
			const char *p = puncts[rnd() % N(puncts)];
			size_t l = strlen(p);
			if (n + l < cap) {
				memcpy(s + n, p, l);
				n += l;
			}
		}
	} else if (r < 98) {      /* UTF-8, whole or split */
		const char *p = utf8[rnd() % N(utf8)];
		if (rnd() % 2)
			s[n++] = ' ';
		memcpy(s + n, p, strlen(p));
		n += strlen(p);
		if (rnd() % 2)
			n += word(s + n, cap - n);
	} else {                  /* whitespace runs */
		int k = 2 + (int)(rnd() % 15);
		char c = rnd() % 3 ? ' ' : '\n';
		for (int i = 0; i < k; i++)
			s[n++] = c;
	}
	return n;
}

struct vocab {
	int n;
	char **tok;
	size_t *len;
};

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* n tokens: the 256 bytes, unique generated ones, an empty eos last. */
static int vocab_make(struct vocab *v, int n)
{
	size_t cap = 1;
	while (cap < (size_t)n * 2)
		cap *= 2;
	int *set = malloc(cap * sizeof(*set));
	int i = 0;

	v->n = n;
	v->tok = calloc((size_t)n, sizeof(*v->tok));
	v->len = calloc((size_t)n, sizeof(*v->len));
	if (!set || !v->tok || !v->len)
		return -1;
	memset(set, -1, cap * sizeof(*set));
	while (i < n - 1) {
		char s[64];
		size_t l;
		if (i < 256) {
			s[0] = (char)i;
			l = 1;
		} else if ((l = make_token(s, sizeof(s) - 8)) < 2) {
			continue;
		}
		uint64_t h = str_hash(s, l) & (cap - 1);
		int dup = 0;
		for (; set[h] >= 0; h = (h + 1) & (cap - 1)) {
			if (v->len[set[h]] == l && memcmp(v->tok[set[h]], s, l) == 0) {
				dup = 1;
				break;
			}
		}
		if (dup)
			continue;
		set[h] = i;
		v->tok[i] = malloc(l);
		memcpy(v->tok[i], s, l);
		v->len[i] = l;
		i++;
	}
	v->tok[n - 1] = malloc(1);
	v->len[n - 1] = 0;
	free(set);
	return 0;
}

/* --- measuring --- */

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n)
{
	double sum = 0;

	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("  %-34s median %8.2f us   p99 %8.2f us   mean %8.2f us   (%d tokens)\n", what,
	       t[n / 2], t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], sum / n, n);
}

static int nth_bit(const uint32_t *mask, int words, int k)
{
	for (int w = 0; w < words; w++) {
		int c = __builtin_popcount(mask[w]);
		if (k >= c) {
			k -= c;
			continue;
		}
		for (int b = 0; b < 32; b++)
			if (((mask[w] >> b) & 1) && k-- == 0)
				return w * 32 + b;
	}
	return -1;
}

/* Token t has JSON punctuation in it (or is eos, the last). */
static int structural(const struct vocab *v, int t)
{
	if (t == v->n - 1)
		return 1;
	for (size_t i = 0; i < v->len[t]; i++)
		if (strchr("\"{}[],:", v->tok[t][i]) && v->tok[t][i])
			return 1;
	return 0;
}

/* Draws an allowed token: one time in three among the structural ones. */
static int pick(const uint32_t *mask, const uint32_t *punct, uint32_t *tmp, int words, int n)
{
	if (rnd() % 3 == 0) {
		int c = 0;
		for (int w = 0; w < words; w++)
			c += __builtin_popcount(tmp[w] = mask[w] & punct[w]);
		if (c > 0)
			return nth_bit(tmp, words, (int)(rnd() % (unsigned)c));
	}
	return nth_bit(mask, words, (int)(rnd() % (unsigned)n));
}

static int run(const char *gbnf, int n_vocab, int walks, int max_tokens)
{
	struct vocab v;
	struct grammar *g = NULL;
	struct grammar_vocab *gv = NULL;
	struct grammar_matcher *m = NULL;
	struct wr_err err = { 0, "" };
	int words = (n_vocab + 31) / 32, n_cold = 0, n_warm = 0, n_apply = 0, finished = 0;
	uint32_t *mask = calloc((size_t)words, 4), *punct = calloc((size_t)words, 4);
	uint32_t *tmp = calloc((size_t)words, 4);
	float *logits = malloc((size_t)n_vocab * sizeof(*logits));
	double *cold = malloc((size_t)max_tokens * sizeof(double));
	/* later generations, and the three timed ones without a mask cache */
	size_t n_later = (size_t)(walks > 4 ? walks : 4) * (size_t)max_tokens;
	double *warm = malloc(n_later * sizeof(double));
	double *apply = malloc((size_t)walks * (size_t)max_tokens * sizeof(double));
	double t0;

	if (!mask || !punct || !tmp || !logits || !cold || !warm || !apply ||
	    vocab_make(&v, n_vocab) < 0)
		return 1;
	for (int t = 0; t < n_vocab; t++)
		if (structural(&v, t))
			punct[t >> 5] |= 1u << (t & 31);
	t0 = now_us();
	if (grammar_vocab_new(v.n, (const char *const *)v.tok, v.len, v.n - 1, &gv, &err) < 0) {
		fprintf(stderr, "bench_grammar: %s\n", err.msg);
		return 1;
	}
	printf("vocabulary %d tokens: trie of %zu nodes built in %.1f ms\n", n_vocab,
	       grammar_vocab_nodes(gv), (now_us() - t0) / 1e3);
	t0 = now_us();
	if (grammar_parse(gbnf, strlen(gbnf), "schema.gbnf", &g, &err) < 0 ||
	    grammar_matcher_new(g, gv, NULL, &m, &err) < 0) {
		fprintf(stderr, "bench_grammar: %s\n", err.msg);
		return 1;
	}
	printf("  grammar: %d rules, parsed and matcher made in %.2f ms\n", grammar_rule_count(g),
	       (now_us() - t0) / 1e3);
	for (int w = 0; w < walks; w++) {
		grammar_matcher_reset(m);
		for (int k = 0; k < max_tokens; k++) {
			double a = now_us();
			int n = grammar_matcher_fill_mask(m, mask);
			double b = now_us();
			if (n <= 0) {
				fprintf(stderr, "bench_grammar: no token allowed (%d)\n", n);
				return 1;
			}
			if (w == 0)
				cold[n_cold++] = b - a;
			else
				warm[n_warm++] = b - a;
			if (w > 0) {
				a = now_us();
				grammar_matcher_apply(m, logits, n_vocab);
				apply[n_apply++] = now_us() - a;
			}
			int t = pick(mask, punct, tmp, words, n);
			if (grammar_matcher_accept_token(m, t) < 0) {
				fprintf(stderr, "bench_grammar: allowed token refused\n");
				return 1;
			}
			if (grammar_matcher_is_done(m)) {
				finished++;
				break;
			}
		}
	}
	int states;
	long hits, misses;
	grammar_matcher_stats(m, &states, &hits, &misses);
	report("fill_mask, first generation", cold, n_cold);
	report("fill_mask, later generations", warm, n_warm);
	report("apply (mask + logits), later", apply, n_apply);
	printf("  %d generations (%d finished), %d states, mask cache %ld hits %ld misses\n",
	       walks, finished, states, hits, misses);
	grammar_matcher_free(m);
	m = NULL;
	/* no mask cache: every token walks the trie (transitions kept) */
	struct grammar_matcher_params mp = grammar_matcher_default_params();
	mp.mask_cache_bytes = 0;
	n_warm = 0;
	if (grammar_matcher_new(g, gv, &mp, &m, &err) < 0)
		return 1;
	for (int w = 0; w < 4; w++) {
		grammar_matcher_reset(m);
		for (int k = 0; k < max_tokens; k++) {
			double a = now_us();
			int n = grammar_matcher_fill_mask(m, mask);
			double b = now_us();
			if (w > 0)
				warm[n_warm++] = b - a;
			if (n <= 0 || grammar_matcher_accept_token(m, pick(mask, punct, tmp, words, n)) < 0)
				return 1;
			if (grammar_matcher_is_done(m))
				break;
		}
	}
	report("fill_mask, no mask cache", warm, n_warm);
	grammar_matcher_free(m);
	grammar_free(g);
	grammar_vocab_free(gv);
	for (int i = 0; i < v.n; i++)
		free(v.tok[i]);
	free(v.tok);
	free(v.len);
	free(mask);
	free(punct);
	free(tmp);
	free(logits);
	free(cold);
	free(warm);
	free(apply);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int sizes[8], n_sizes = 0, walks = 20, max_tokens = 400, rc = 0;
	struct buf gbnf = BUF_INIT;
	struct wr_err err = { 0, "" };
	json_error_t je;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			walks = atoi(argv[++i]);
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			max_tokens = atoi(argv[++i]);
		else if (!path)
			path = argv[i];
		else if (n_sizes < 8)
			sizes[n_sizes++] = atoi(argv[i]);
	}
	if (!path || walks < 2 || max_tokens < 1) {
		fprintf(stderr, "usage: bench_grammar SCHEMA.json [VOCAB_SIZE...] [-w WALKS] [-t TOKENS]\n");
		return 2;
	}
	if (n_sizes == 0) {
		sizes[n_sizes++] = 32000;
		sizes[n_sizes++] = 128000;
	}
	json_t *schema = json_load_file(path, 0, &je);
	if (!schema) {
		fprintf(stderr, "bench_grammar: %s:%d:%d: %s\n", path, je.line, je.column, je.text);
		return 1;
	}
	if (grammar_from_schema(schema, NULL, &gbnf, &err) < 0) {
		fprintf(stderr, "bench_grammar: %s\n", err.msg);
		return 1;
	}
	printf("schema %s: %zu bytes of GBNF; %d generations of up to %d tokens each\n", path,
	       gbnf.len, walks, max_tokens);
	for (int i = 0; i < n_sizes && rc == 0; i++)
		rc = run(gbnf.data, sizes[i], walks, max_tokens);
	json_decref(schema);
	buf_release(&gbnf);
	return rc;
}
