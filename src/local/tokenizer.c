/* tokenizer.c: byte-level BPE over a GGUF vocabulary.
 *
 * Pre-tokenizers (tokenizer.ggml.pre), each a hand-written matcher of the
 * regular expression its model was trained with. Classes are by code point
 * (cp_class): spaces are \t \n \v \f \r, ' ', U+0085, U+00A0, U+1680,
 * U+2000-200A, U+2028/9, U+202F, U+205F, U+3000; digits are 0-9 and the
 * digit ranges of cp_ranges; punctuation and symbols are ASCII's and the
 * other ranges there; every other code point is a letter (an approximation
 * of \p{L} and \p{N} good for the scripts and signs text mostly holds).
 *   gpt-2 (and anything not named below):
 *     's|'t|'re|'ve|'m|'ll|'d| ?L+| ?N+| ?[^sLN]+|s+(?!S)|s+
 *   smollm: every digit a piece of its own first, then gpt-2 on the rest.
 *   llama-bpe, llama3, smaug-bpe:
 *     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nLN]?L+|N{1,3}| ?[^sLN]+[\r\n]*|s*[\r\n]+|s+(?!S)|s+
 *   qwen2, deepseek-r1-qwen: the same with N instead of N{1,3}.
 * Control tokens are matched as literal text first when asked (special). */
#include "local/tokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* --- character classes --- */

enum { C_END, C_LETTER, C_DIGIT, C_SPACE, C_OTHER };

/* Decodes the code point at s[0..len) into *cp; returns its length (1 for
 * an invalid byte, which is then its own code point). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned c = s[0];
	size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	if (n == 0 || n > len) {
		*cp = c;
		return 1;
	}
	uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = c;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return n;
}

/* Non-ASCII code points that are not letters: ranges of punctuation and
 * symbols (C_OTHER) and of digits (C_DIGIT), sorted; the rest count as
 * letters. A table, not Unicode's database: it covers the Latin-1 signs,
 * combining marks, general punctuation (quotes, dashes), currency, arrows,
 * mathematical and technical signs, box drawing, dingbats, CJK and
 * full-width punctuation and emoji, which are what text mostly holds.
 * scripts/model/pretok.py has the same table. */
static const struct { uint32_t lo, hi; unsigned char cls; } cp_ranges[] = {
	{ 0x00a1, 0x00a9, C_OTHER }, { 0x00ab, 0x00b1, C_OTHER }, { 0x00b2, 0x00b3, C_DIGIT },
	{ 0x00b4, 0x00b4, C_OTHER }, { 0x00b6, 0x00b8, C_OTHER }, { 0x00b9, 0x00b9, C_DIGIT },
	{ 0x00bb, 0x00bb, C_OTHER }, { 0x00bc, 0x00be, C_DIGIT }, { 0x00bf, 0x00bf, C_OTHER },
	{ 0x00d7, 0x00d7, C_OTHER }, { 0x00f7, 0x00f7, C_OTHER }, { 0x0300, 0x036f, C_OTHER },
	{ 0x0660, 0x0669, C_DIGIT }, { 0x06f0, 0x06f9, C_DIGIT }, { 0x0966, 0x096f, C_DIGIT },
	{ 0x200b, 0x2027, C_OTHER }, { 0x202a, 0x202e, C_OTHER }, { 0x2030, 0x205e, C_OTHER },
	{ 0x2060, 0x206f, C_OTHER }, { 0x2070, 0x2070, C_DIGIT }, { 0x2074, 0x2079, C_DIGIT },
	{ 0x207a, 0x207e, C_OTHER }, { 0x2080, 0x2089, C_DIGIT }, { 0x208a, 0x208e, C_OTHER },
	{ 0x20a0, 0x20cf, C_OTHER }, { 0x2150, 0x2189, C_DIGIT }, { 0x2190, 0x245f, C_OTHER },
	{ 0x2460, 0x249b, C_DIGIT }, { 0x249c, 0x24e9, C_OTHER }, { 0x24ea, 0x24ff, C_DIGIT },
	{ 0x2500, 0x2775, C_OTHER }, { 0x2776, 0x2793, C_DIGIT }, { 0x2794, 0x2bff, C_OTHER },
	{ 0x2e00, 0x2e7f, C_OTHER }, { 0x3001, 0x3004, C_OTHER }, { 0x3007, 0x3007, C_DIGIT },
	{ 0x3008, 0x3020, C_OTHER }, { 0x3021, 0x3029, C_DIGIT }, { 0x3030, 0x3030, C_OTHER },
	{ 0x3036, 0x3037, C_OTHER }, { 0x3038, 0x303a, C_DIGIT }, { 0x303d, 0x303f, C_OTHER },
	{ 0xfe30, 0xfe6f, C_OTHER }, { 0xff01, 0xff0f, C_OTHER }, { 0xff10, 0xff19, C_DIGIT },
	{ 0xff1a, 0xff20, C_OTHER }, { 0xff3b, 0xff40, C_OTHER }, { 0xff5b, 0xff65, C_OTHER },
	{ 0x1f000, 0x1faff, C_OTHER },
};

static int cp_class(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return C_LETTER;
	if (c >= '0' && c <= '9')
		return C_DIGIT;
	if (c == ' ' || (c >= 9 && c <= 13) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000)
		return C_SPACE;
	if (c < 0x80)
		return C_OTHER;
	size_t lo = 0, hi = sizeof cp_ranges / sizeof cp_ranges[0];
	while (lo < hi) {   /* binary search of the sorted ranges */
		size_t mid = (lo + hi) / 2;
		if (c < cp_ranges[mid].lo)
			hi = mid;
		else if (c > cp_ranges[mid].hi)
			lo = mid + 1;
		else
			return cp_ranges[mid].cls;
	}
	return C_LETTER;
}

/* Class of the code point at offset i, its length in *n. */
static int class_at(const unsigned char *s, size_t len, size_t i, size_t *n)
{
	uint32_t cp;
	if (i >= len) {
		*n = 0;
		return C_END;
	}
	*n = utf8_next(s + i, len - i, &cp);
	return cp_class(cp);
}

/* End of the run of class c starting at i (at most max code points; 0: no cap). */
static size_t run(const unsigned char *s, size_t len, size_t i, int c, int max)
{
	size_t n;
	int k = 0;
	while ((max == 0 || k < max) && class_at(s, len, i, &n) == c) {
		i += n;
		k++;
	}
	return i;
}

static size_t contraction(const unsigned char *s, size_t len, int fold)
{
	static const char *const suf[] = { "s", "t", "re", "ve", "m", "ll", "d" };
	if (s[0] != '\'')
		return 0;
	for (size_t k = 0; k < 7; k++) {
		size_t n = strlen(suf[k]);
		if (1 + n > len)
			continue;
		size_t j = 0;
		for (; j < n; j++) {
			unsigned char c = s[1 + j];
			if (fold && c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (c != (unsigned char)suf[k][j])
				break;
		}
		if (j == n)
			return 1 + n;
	}
	return 0;
}

/* s+(?!S)|s+ from i (a space): the run, less its last char when a non-space
 * follows and the run has more than one char. */
static size_t spaces(const unsigned char *s, size_t len, size_t i)
{
	size_t end = run(s, len, i, C_SPACE, 0), n, last = i, j = i;
	if (end >= len)
		return end;
	while (j < end) {   /* start of the last char of the run */
		last = j;
		class_at(s, len, j, &n);
		j += n;
	}
	return last > i ? last : end;
}

static size_t piece_gpt2(const unsigned char *s, size_t len)
{
	size_t n, k;
	if ((k = contraction(s, len, 0)))
		return k;
	size_t i = 0;
	int c = class_at(s, len, 0, &n);
	if (s[0] == ' ') {
		size_t n2;
		int c2 = class_at(s, len, n, &n2);
		if (c2 == C_LETTER || c2 == C_DIGIT || c2 == C_OTHER) {
			i = n;
			c = c2;
		}
	}
	if (c == C_LETTER || c == C_DIGIT || c == C_OTHER)
		return run(s, len, i, c, 0);
	return spaces(s, len, 0);
}

static size_t piece_llama3(const unsigned char *s, size_t len, int digits)
{
	size_t n, n2, k;
	if ((k = contraction(s, len, 1)))
		return k;
	int c = class_at(s, len, 0, &n);
	if (c == C_LETTER)
		return run(s, len, 0, C_LETTER, 0);
	if (c != C_DIGIT && s[0] != '\r' && s[0] != '\n' && class_at(s, len, n, &n2) == C_LETTER)
		return run(s, len, n, C_LETTER, 0);
	if (c == C_DIGIT)
		return run(s, len, 0, C_DIGIT, digits);
	size_t i = 0;
	if (s[0] == ' ' && class_at(s, len, 1, &n2) == C_OTHER)
		i = 1;
	if (class_at(s, len, i, &n2) == C_OTHER) {
		i = run(s, len, i, C_OTHER, 0);
		while (i < len && (s[i] == '\r' || s[i] == '\n'))
			i++;
		return i;
	}
	/* a space: s*[\r\n]+ when the run holds a newline, else s+(?!S)|s+ */
	size_t end = run(s, len, 0, C_SPACE, 0), nl = 0;
	for (size_t j = 0; j < end; j++)
		if (s[j] == '\r' || s[j] == '\n')
			nl = j + 1;
	if (nl)
		return nl;
	return spaces(s, len, 0);
}

size_t tok_pre_piece(enum tok_pre pre, const unsigned char *s, size_t len)
{
	if (len == 0)
		return 0;
	if (pre == TOK_PRE_SMOLLM) {   /* digits split off first */
		size_t e = 0;
		if (s[0] >= '0' && s[0] <= '9')
			return 1;
		while (e < len && !(s[e] >= '0' && s[e] <= '9'))
			e++;
		len = e;
	}
	size_t n = pre == TOK_PRE_LLAMA3 ? piece_llama3(s, len, 3) :
	           pre == TOK_PRE_QWEN2 ? piece_llama3(s, len, 1) : piece_gpt2(s, len);
	return n ? n : 1;
}

/* --- tables --- */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int tab_find(const struct tok *t, const char *s, size_t n)
{
	size_t mask = t->tab_size - 1;
	for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
		int id = t->tab[i];
		if (id < 0)
			return -1;
		if (t->v[id].len == n && memcmp(t->v[id].bytes, s, n) == 0)
			return id;
	}
}

static uint64_t hash_pair(int a, int b)
{
	uint64_t h = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static const struct tok_merge *merge_find(const struct tok *t, int a, int b)
{
	if (!t->mtab_size)
		return NULL;
	size_t mask = t->mtab_size - 1;
	for (size_t i = hash_pair(a, b) & mask;; i = (i + 1) & mask) {
		const struct tok_merge *m = &t->mtab[i];
		if (m->id < 0)
			return NULL;
		if (m->a == a && m->b == b)
			return m;
	}
}

/* GPT-2's byte-to-unicode map, inverted: code point -> byte, or -1. */
static int unicode_byte(uint32_t cp)
{
	if ((cp >= '!' && cp <= '~') || (cp >= 0xa1 && cp <= 0xac) || (cp >= 0xae && cp <= 0xff))
		return (int)cp;
	if (cp < 256 || cp >= 256 + 68)
		return -1;
	int n = 0;   /* the (cp-256)th byte outside the printable ranges */
	for (int b = 0; b < 256; b++) {
		if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff))
			continue;
		if (n++ == (int)cp - 256)
			return b;
	}
	return -1;
}

/* Decodes a GPT-2-form string into raw bytes at out (room for n bytes:
 * never longer than the input). Returns the length. */
static size_t gpt2_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_next((const unsigned char *)s + i, n - i, &cp);
		int b = unicode_byte(cp);
		if (b >= 0 && k >= 1) {
			out[o++] = (char)b;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	return o;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

static int cmp_len_desc(const void *a, const void *b, void *t)
{
	const struct tok *tk = t;
	int la = (int)tk->v[*(const int *)a].len, lb = (int)tk->v[*(const int *)b].len;
	return lb - la;
}

static int load_merges(struct tok *t, const struct gguf *g, struct wr_err *err)
{
	const char **ms = NULL;
	uint32_t *ml = NULL;
	uint64_t nm = 0;
	int rc = gguf_get_strs(g, "tokenizer.ggml.merges", &ms, &ml, &nm);
	if (rc == WR_ENOMEM)
		return err_set(err, WR_ENOMEM, "out of memory");
	if (rc < 0)
		return err_set(err, WR_EINVAL, "tokenizer.ggml.merges missing");
	t->mtab_size = pow2_at_least(nm * 2 + 1);
	t->mtab = malloc(t->mtab_size * sizeof *t->mtab);
	char *buf = malloc(2 * (size_t)UINT16_MAX + 4);
	rc = WR_ENOMEM;
	if (!t->mtab || !buf) {
		err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->mtab_size; i++)
		t->mtab[i] = (struct tok_merge){ -1, -1, -1, -1 };
	for (uint64_t r = 0; r < nm; r++) {
		const char *s = ms[r], *sp = ml[r] < UINT16_MAX ? memchr(s, ' ', ml[r]) : NULL;
		if (!sp)
			continue;
		size_t la = gpt2_decode(s, (size_t)(sp - s), buf);
		size_t lb = gpt2_decode(sp + 1, ml[r] - (size_t)(sp - s) - 1, buf + la);
		int a = tab_find(t, buf, la), b = tab_find(t, buf + la, lb);
		int ab = tab_find(t, buf, la + lb);
		if (a < 0 || b < 0 || ab < 0 || merge_find(t, a, b))
			continue;
		size_t mask = t->mtab_size - 1, k = hash_pair(a, b) & mask;
		while (t->mtab[k].id >= 0)
			k = (k + 1) & mask;
		t->mtab[k] = (struct tok_merge){ a, b, (int32_t)r, ab };
	}
	rc = 0;
out:
	free(buf);
	free(ms);
	free(ml);
	return rc;
}

int tok_load(struct tok *t, const struct gguf *g, struct wr_err *err)
{
	const char **ts = NULL, *model, *pre;
	uint32_t *tl = NULL;
	uint64_t n = 0;
	size_t mlen, plen, total = 0;
	int64_t v;
	int rc = WR_EINVAL;
	memset(t, 0, sizeof *t);
	t->bos = t->eos = -1;
	if (gguf_get_str(g, "tokenizer.ggml.model", &model, &mlen) < 0)
		return err_set(err, WR_EINVAL, "tokenizer.ggml.model missing");
	if (mlen != 4 || memcmp(model, "gpt2", 4) != 0)
		return err_set(err, WR_EINVAL, "tokenizer.ggml.model is '%.*s'; only 'gpt2' "
		               "(byte-level BPE) is read", (int)(mlen > 32 ? 32 : mlen), model);
	t->pre = TOK_PRE_GPT2;
	if (gguf_get_str(g, "tokenizer.ggml.pre", &pre, &plen) == 0) {
		if ((plen == 9 && !memcmp(pre, "llama-bpe", 9)) || (plen == 6 && !memcmp(pre, "llama3", 6)) ||
		    (plen == 9 && !memcmp(pre, "smaug-bpe", 9)))
			t->pre = TOK_PRE_LLAMA3;
		else if (plen == 6 && !memcmp(pre, "smollm", 6))
			t->pre = TOK_PRE_SMOLLM;
		else if ((plen == 5 && !memcmp(pre, "qwen2", 5)) ||
		         (plen == 16 && !memcmp(pre, "deepseek-r1-qwen", 16)))
			t->pre = TOK_PRE_QWEN2;
	}
	if (gguf_get_strs(g, "tokenizer.ggml.tokens", &ts, &tl, &n) < 0 || n == 0 || n > (1 << 24))
		return err_set(err, WR_EINVAL, "tokenizer.ggml.tokens missing or empty");
	const struct gguf_kv *types = gguf_find(g, "tokenizer.ggml.token_type");
	if (types && (types->type != GGUF_ARR || types->arr_type != GGUF_I32 || types->n != n))
		types = NULL;
	for (uint64_t i = 0; i < n; i++)
		total += tl[i];
	t->n = (int)n;
	t->v = calloc(n, sizeof *t->v);
	t->pool = malloc(total + 1);
	t->tab_size = pow2_at_least(n * 2 + 1);
	t->tab = malloc(t->tab_size * sizeof *t->tab);
	t->control_ids = malloc(n * sizeof *t->control_ids);
	if (!t->v || !t->pool || !t->tab || !t->control_ids) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->tab_size; i++)
		t->tab[i] = -1;
	for (int b = 0; b < 256; b++)
		t->byte_id[b] = -1;
	size_t off = 0;
	for (uint64_t i = 0; i < n; i++) {
		int32_t ty = 1;
		if (types)
			memcpy(&ty, types->val + 4 * i, 4);
		struct tok_entry *e = &t->v[i];
		e->bytes = t->pool + off;
		e->control = ty == 3 || ty == 4;
		if (e->control) {
			memcpy(e->bytes, ts[i], tl[i]);
			e->len = tl[i];
			if (e->len)
				t->control_ids[t->n_control++] = (int)i;
		} else {
			e->len = (uint32_t)gpt2_decode(ts[i], tl[i], e->bytes);
		}
		off += e->len;
		if (e->control || ty == 5 || e->len == 0 || tab_find(t, e->bytes, e->len) >= 0)
			continue;   /* unused, empty or duplicate entries are never produced */
		size_t mask = t->tab_size - 1, k = hash_bytes(e->bytes, e->len) & mask;
		while (t->tab[k] >= 0)
			k = (k + 1) & mask;
		t->tab[k] = (int)i;
		if (e->len == 1)
			t->byte_id[(unsigned char)e->bytes[0]] = (int)i;
	}
	qsort_r(t->control_ids, (size_t)t->n_control, sizeof(int), cmp_len_desc, t);
	if (gguf_get_int(g, "tokenizer.ggml.bos_token_id", &v) == 0 && v >= 0 && v < t->n)
		t->bos = (int)v;
	if (gguf_get_int(g, "tokenizer.ggml.eos_token_id", &v) == 0 && v >= 0 && v < t->n)
		t->eos = (int)v;
	if (gguf_get_int(g, "tokenizer.ggml.add_bos_token", &v) == 0)
		t->add_bos = v != 0;
	rc = load_merges(t, g, err);
out:
	free(ts);
	free(tl);
	if (rc < 0)
		tok_release(t);
	return rc;
}

void tok_release(struct tok *t)
{
	free(t->v);
	free(t->pool);
	free(t->tab);
	free(t->mtab);
	free(t->control_ids);
	memset(t, 0, sizeof *t);
}

/* --- encoding --- */

static void emit(int id, int *out, int max, int *count)
{
	if (*count < max)
		out[*count] = id;
	(*count)++;
}

/* BPE over one piece. sym is scratch of at least len ints. */
static void bpe_piece(const struct tok *t, const unsigned char *s, size_t len, int *sym,
                      int *out, int max, int *count)
{
	/* Llama-3's tokenizer takes a piece that is a token whole (ignore_merges) */
	int whole = t->pre == TOK_PRE_LLAMA3 ? tab_find(t, (const char *)s, len) : -1;
	if (whole >= 0) {
		emit(whole, out, max, count);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (t->byte_id[s[i]] >= 0)   /* a byte the vocabulary lacks is dropped */
			sym[n++] = t->byte_id[s[i]];
	while (n > 1) {
		int best = -1;
		const struct tok_merge *bm = NULL;
		for (size_t i = 0; i + 1 < n; i++) {
			const struct tok_merge *m = merge_find(t, sym[i], sym[i + 1]);
			if (m && (!bm || m->rank < bm->rank)) {
				bm = m;
				best = (int)i;
			}
		}
		if (!bm)
			break;
		sym[best] = bm->id;
		memmove(sym + best + 1, sym + best + 2, (n - (size_t)best - 2) * sizeof *sym);
		n--;
	}
	for (size_t i = 0; i < n; i++)
		emit(sym[i], out, max, count);
}

/* A control token whose text starts s[0..len), or -1. */
static int control_at(const struct tok *t, const char *s, size_t len)
{
	for (int k = 0; k < t->n_control; k++) {
		const struct tok_entry *e = &t->v[t->control_ids[k]];
		if (e->len <= len && memcmp(e->bytes, s, e->len) == 0)
			return t->control_ids[k];
	}
	return -1;
}

int tok_encode(const struct tok *t, const char *text, size_t len, int *out,
               int max, int special)
{
	const unsigned char *s = (const unsigned char *)text;
	int count = 0;
	if (len > (size_t)1 << 30)
		return WR_EINVAL;
	int *sym = malloc((len ? len : 1) * sizeof *sym);
	if (!sym)
		return WR_ENOMEM;
	size_t i = 0;
	while (i < len) {
		/* the plain text up to the next control token */
		size_t end = len;
		int ctl = -1;
		if (special && t->n_control) {
			for (size_t j = i; j < len; j++)
				if ((ctl = control_at(t, text + j, len - j)) >= 0) {
					end = j;
					break;
				}
		}
		while (i < end) {
			size_t k = tok_pre_piece(t->pre, s + i, end - i);
			bpe_piece(t, s + i, k, sym, out, max, &count);
			i += k;
		}
		if (ctl >= 0) {
			emit(ctl, out, max, &count);
			i += t->v[ctl].len;
		}
	}
	free(sym);
	return count;
}
