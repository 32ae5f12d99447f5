/* test_grammar_schema.c: JSON Schema to grammar, and the property test:
 * random walks over a synthetic byte-level vocabulary, each step a token
 * drawn uniformly from the mask, until eos or a length cap. Every finished
 * output must parse as JSON (jansson) and validate under its schema with
 * warrant's own validator; every token the mask refuses must be refused by
 * the matcher, and every token it allows accepted. */
#include <stdlib.h>
#include <string.h>

#include "check/schema.h"
#include "core/buf.h"
#include "harness.h"
#include "local/grammar.h"

/* --- helpers --- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* The GBNF for a schema in JSON text, or NULL with the message in err. */
static char *to_gbnf(const char *schema, int strict, struct wr_err *err)
{
	struct grammar_schema_params p = grammar_schema_default_params();
	json_t *s = json_loads(schema, JSON_DECODE_ANY, NULL);
	struct buf b = BUF_INIT;
	char *out = NULL;

	p.strict = strict;
	if (!s) {
		snprintf(err->msg, sizeof(err->msg), "bad JSON in the test");
		return NULL;
	}
	if (grammar_from_schema(s, &p, &b, err) == 0)
		out = buf_detach(&b, NULL);
	buf_release(&b);
	json_decref(s);
	return out;
}

static struct grammar *schema_grammar(const char *schema)
{
	struct wr_err err = { 0, "" };
	char *text = to_gbnf(schema, 0, &err);
	struct grammar *g = NULL;

	if (!text || grammar_parse(text, strlen(text), "schema.gbnf", &g, &err) < 0) {
		t_fail(__FILE__, __LINE__, "%s\n%s", err.msg, text ? text : "");
		g = NULL;
	}
	free(text);
	return g;
}

/* Fragments the synthetic tokens are made of: JSON punctuation, digits,
 * words, the property names and enum values the test schemas use, escapes
 * and UTF-8 (whole and split). */
static const char *const frags[] = {
	"\"", "{", "}", "[", "]", ",", ":", "\": \"", "\", \"", "\":", "{\"", "\"}", "\"]", "[\"",
	", ", ": ", " ", "\n", "  ", "\t", "0", "1", "2", "5", "9", "12", "3.5", "-", ".", "e",
	"E+", "e-", "00", "true", "false", "null", "tru", "nul", "name", "age", "ok", "id",
	"tags", "items", "qty", "price", "kind", "note", "vendor", "lines", "total", "v", "kids",
	"x", "y", "k", "a", "b", "c", "meta", "data", "USD", "EUR", "net30", "goods", "due",
	"hello", " world", "\\", "\\n", "\\\"", "\\u00e9", "\\ud800", "\\u0000", "\xc3\xa9",
	"\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xc3", "\xa9", "\x80", "\xed\xa0\x80", "\x01",
};

struct tvocab {
	int n;
	char **tok;
	size_t *len;
	struct grammar_vocab *v;
};

static int tvocab_make(struct tvocab *t, int n_multi, uint64_t seed)
{
	int nf = (int)(sizeof(frags) / sizeof(*frags)), i;

	rng_state = seed;
	t->n = 256 + n_multi + 1;  /* bytes, multi-byte strings, eos last */
	t->tok = calloc((size_t)t->n, sizeof(*t->tok));
	t->len = calloc((size_t)t->n, sizeof(*t->len));
	if (!t->tok || !t->len)
		return -1;
	for (i = 0; i < t->n - 1; i++) {
		char s[64];
		size_t n = 0;
		if (i < 256) {
			s[n++] = (char)i;
		} else {
			int parts = 1 + (int)(rnd() % 3);
			for (int k = 0; k < parts; k++) {
				const char *f = frags[rnd() % (unsigned)nf];
				size_t fl = strlen(f);
				memcpy(s + n, f, fl);
				n += fl;
			}
		}
		t->tok[i] = malloc(n + 1);
		if (!t->tok[i])
			return -1;
		memcpy(t->tok[i], s, n);
		t->len[i] = n;
	}
	t->tok[t->n - 1] = strdup("");
	return grammar_vocab_new(t->n, (const char *const *)t->tok, t->len, t->n - 1, &t->v, NULL);
}

static void tvocab_release(struct tvocab *t)
{
	for (int i = 0; t->tok && i < t->n; i++)
		free(t->tok[i]);
	free(t->tok);
	free(t->len);
	grammar_vocab_free(t->v);
}

static int bit(const uint32_t *mask, int i)
{
	return (int)((mask[i >> 5] >> (i & 31)) & 1);
}

/* The k-th set bit of mask. */
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

struct walk_stats {
	int finished, capped, invalid;
};

/* Random walks under schema; returns 0 when every check held. */
static int walks(const char *schema_text, struct tvocab *tv, int n_walks, int cap,
                 struct walk_stats *st)
{
	json_t *sj = json_loads(schema_text, 0, NULL);
	struct schema_params sp = schema_default_params();
	struct schema *sv = NULL;
	struct grammar *g = schema_grammar(schema_text);
	struct grammar_matcher *m = NULL;
	int words = (tv->n + 31) / 32, rc = -1;
	uint32_t *mask = calloc((size_t)words, 4);
	struct buf out = BUF_INIT;

	memset(st, 0, sizeof(*st));
	if (!sj || !g || !mask || schema_compile(sj, &sp, &sv, NULL) < 0 ||
	    grammar_matcher_new(g, tv->v, NULL, &m, NULL) < 0)
		goto out;
	for (int w = 0; w < n_walks; w++) {
		int done = 0;
		grammar_matcher_reset(m);
		buf_reset(&out);
		for (int step = 0; step < cap && !done; step++) {
			int n = grammar_matcher_fill_mask(m, mask);
			if (n <= 0) {
				t_fail(__FILE__, __LINE__, "no token allowed after '%s'", out.data);
				goto out;
			}
			/* the mask's verdict is the matcher's: a few tokens at each
			 * step, every token at every 16th */
			int full = step % 16 == 5;
			for (int k = 0; k < (full ? tv->n : 4); k++) {
				int t = full ? k : (int)(rnd() % (unsigned)tv->n);
				int ok = grammar_matcher_accept_token(m, t) == 0;
				if (ok != bit(mask, t)) {
					t_fail(__FILE__, __LINE__, "token '%s' masked %d, accepted %d after '%s'",
					       tv->tok[t], bit(mask, t), ok, out.data);
					goto out;
				}
				if (ok)
					grammar_matcher_rollback(m, 1);
			}
			int t = nth_bit(mask, words, (int)(rnd() % (unsigned)n));
			if (grammar_matcher_accept_token(m, t) != 0) {
				t_fail(__FILE__, __LINE__, "allowed token '%s' refused", tv->tok[t]);
				goto out;
			}
			if (t == tv->n - 1)
				done = 1;
			else
				buf_add(&out, tv->tok[t], tv->len[t]);
			if (grammar_matcher_is_done(m) && !done &&
			    grammar_matcher_fill_mask(m, mask) != 1) {
				t_fail(__FILE__, __LINE__, "done but more than eos allowed");
				goto out;
			}
		}
		if (!done) {
			st->capped++;
			continue;
		}
		st->finished++;
		json_error_t je;
		json_t *doc = json_loadb(out.data, out.len, JSON_DECODE_ANY, &je);
		struct schema_error se;
		int n_err = 0;
		if (!doc || schema_validate(sv, doc, &se, 1, &n_err) != 1) {
			st->invalid++;
			t_fail(__FILE__, __LINE__, "invalid output: %s (%s)", out.data,
			       doc ? se.message : je.text);
		}
		json_decref(doc);
		if (st->invalid > 3)
			goto out;
	}
	rc = st->invalid ? -1 : 0;
out:
	grammar_matcher_free(m);
	grammar_free(g);
	schema_free(sv);
	json_decref(sj);
	free(mask);
	buf_release(&out);
	return rc;
}

/* --- the schemas --- */

static const char *const schemas[] = {
	/* flat, with string lengths, optional properties */
	"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1,"
	"\"maxLength\":8},\"age\":{\"type\":\"integer\"},\"ok\":{\"type\":\"boolean\"}},"
	"\"required\":[\"name\"],\"additionalProperties\":false}",
	/* an invoice: nested objects, $defs, enums, arrays, numbers, null */
	"{\"type\":\"object\",\"required\":[\"vendor\",\"lines\",\"total\"],"
	"\"additionalProperties\":false,\"properties\":{"
	"\"vendor\":{\"$ref\":\"#/$defs/party\"},"
	"\"kind\":{\"enum\":[\"USD\",\"EUR\"]},"
	"\"lines\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":3,"
	"\"items\":{\"$ref\":\"#/$defs/line\"}},"
	"\"total\":{\"type\":\"number\",\"minimum\":0},"
	"\"note\":{\"type\":[\"string\",\"null\"],\"maxLength\":10}},"
	"\"$defs\":{\"party\":{\"type\":\"object\",\"required\":[\"name\"],"
	"\"additionalProperties\":false,\"properties\":{\"name\":{\"type\":\"string\","
	"\"minLength\":1},\"id\":{\"type\":[\"string\",\"null\"]}}},"
	"\"line\":{\"type\":\"object\",\"required\":[\"qty\",\"price\"],"
	"\"additionalProperties\":false,\"properties\":{\"qty\":{\"type\":\"integer\","
	"\"minimum\":0},\"price\":{\"type\":\"number\"},\"tags\":{\"type\":\"array\","
	"\"items\":{\"enum\":[\"goods\",\"due\",\"net30\"]}}}}}}",
	/* an array at the root, enum of mixed values */
	"{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\",1,null,{\"k\":[1,2]},\"\\u00e9\\n\"]},"
	"\"minItems\":1,\"maxItems\":4}",
	/* oneOf with disjoint branches, const */
	"{\"oneOf\":[{\"type\":\"string\",\"maxLength\":3},{\"type\":\"number\"},"
	"{\"type\":\"object\",\"properties\":{\"x\":{\"const\":\"y\"}},\"required\":[\"x\"],"
	"\"additionalProperties\":false}]}",
	/* recursion through $ref */
	"{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
	"\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"},\"maxItems\":2}},"
	"\"required\":[\"v\"],\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
	/* free-form values */
	"{\"type\":\"object\",\"properties\":{\"meta\":{},\"data\":{\"type\":\"object\"},"
	"\"tags\":{\"type\":\"array\",\"items\":true,\"minItems\":2}},"
	"\"required\":[\"meta\",\"data\",\"tags\"]}",
};

TEST(grammar_schema_walks_are_valid)
{
	struct tvocab tv;
	int total = 0;

	memset(&tv, 0, sizeof(tv));
	REQUIRE(tvocab_make(&tv, 3000, 42) == 0);
	for (size_t i = 0; i < sizeof(schemas) / sizeof(*schemas); i++) {
		struct walk_stats st;
		rng_state = 1000 + i;
		int rc = walks(schemas[i], &tv, 500, 300, &st);
		if (rc != 0)
			t_fail(__FILE__, __LINE__, "schema %zu: %d finished, %d invalid", i, st.finished,
			       st.invalid);
		/* the walks must mostly end: a grammar that never lets go fails here */
		if (st.finished < 250)
			t_fail(__FILE__, __LINE__, "schema %zu: only %d of 500 walks finished", i,
			       st.finished);
		total += st.finished;
		if (getenv("GRAMMAR_TEST_VERBOSE"))
			fprintf(stderr, "schema %zu: %d finished, %d capped\n", i, st.finished, st.capped);
	}
	EXPECT(total >= 2000);
	tvocab_release(&tv);
}

TEST(grammar_schema_masks_what_breaks_json)
{
	const char *tok[] = { "{\"", "age", "\":", "\"", "}", "1", "0", "-", "x", "", "\"age\":",
	                      "12", "{" };
	size_t len[13];
	struct grammar_vocab *v = NULL;
	struct grammar_matcher *m = NULL;
	struct grammar *g = schema_grammar(
		"{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0}},"
		"\"required\":[\"age\"],\"additionalProperties\":false}");
	uint32_t mask[1];

	for (int i = 0; i < 13; i++)
		len[i] = strlen(tok[i]);
	REQUIRE(g != NULL);
	REQUIRE(grammar_vocab_new(13, tok, len, 9, &v, NULL) == 0);
	REQUIRE(grammar_matcher_new(g, v, NULL, &m, NULL) == 0);
	grammar_matcher_fill_mask(m, mask);
	EXPECT_INT(mask[0], (1u << 0) | (1u << 12));       /* {" and { only */
	EXPECT_INT(grammar_matcher_accept_token(m, 4), WR_EINVAL);
	EXPECT_INT(grammar_matcher_accept_token(m, 12), 0);
	grammar_matcher_fill_mask(m, mask);
	EXPECT_INT(mask[0], (1u << 3) | (1u << 10));       /* " and "age": ; not } (required) */
	EXPECT_INT(grammar_matcher_accept_token(m, 10), 0);
	grammar_matcher_fill_mask(m, mask);
	/* digits; no minus (minimum 0), no quote, no } before a value */
	EXPECT_INT(mask[0], (1u << 5) | (1u << 6) | (1u << 11));
	EXPECT_INT(grammar_matcher_accept_token(m, 6), 0);  /* 0 */
	grammar_matcher_fill_mask(m, mask);
	EXPECT_INT(mask[0], 1u << 4);                       /* no leading zeros: only } */
	EXPECT_INT(grammar_matcher_accept_token(m, 4), 0);
	EXPECT(grammar_matcher_is_done(m));
	grammar_matcher_free(m);
	grammar_vocab_free(v);
	grammar_free(g);
}

TEST(grammar_schema_text)
{
	struct wr_err err = { 0, "" };
	char *t = to_gbnf("{\"type\":\"boolean\"}", 0, &err);

	/* leading whitespace is allowed, bounded: models often begin with a space */
	EXPECT_STR(t, "root ::= j-ws j-boolean\nj-ws ::= [ \\t\\n]{0,1}\n"
	              "j-boolean ::= \"true\" | \"false\"\n");
	free(t);
	t = to_gbnf("{\"enum\":[\"a\\\"b\",1.5,null]}", 0, &err);
	EXPECT_STR(t, "root ::= j-ws (\"\\\"a\\\\\\\"b\\\"\" | \"1.5\" | \"null\")\n"
	              "j-ws ::= [ \\t\\n]{0,1}\n");
	free(t);
	t = to_gbnf("{\"type\":\"object\",\"properties\":{\"a b\":{\"type\":\"null\"}}}", 0, &err);
	EXPECT_CONTAINS(t, "root ::= j-ws root-1\nroot-1 ::= \"{\" j-ws root-1-f0 \"}\"\n");
	EXPECT_CONTAINS(t, "root-1-p0 ::= \"\\\"a b\\\"\" j-ws \":\" j-ws j-null j-ws\n");
	EXPECT_CONTAINS(t, "root-1-f0 ::= root-1-p0 root-1-s1 | root-1-f1\n");
	free(t);
}

TEST(grammar_schema_errors)
{
	struct wr_err err = { 0, "" };

	EXPECT(to_gbnf("{\"properties\":{\"a\":{\"type\":\"strin\"}}}", 0, &err) == NULL);
	EXPECT_STR(err.msg, "schema /properties/a: unknown type 'strin'");
	EXPECT(to_gbnf("{\"$ref\":\"#/$defs/nope\"}", 0, &err) == NULL);
	EXPECT_STR(err.msg, "schema /: '$ref' points at nothing");
	EXPECT(to_gbnf("{\"items\":false}", 0, &err) == NULL);
	EXPECT_STR(err.msg, "schema /items: the schema false allows no value");
	EXPECT(to_gbnf("{\"anyOf\":[]}", 0, &err) == NULL);
	EXPECT_STR(err.msg, "schema /: 'anyOf' must be a non-empty array");
	/* strict refuses what a grammar cannot enforce; otherwise it is left to the check */
	EXPECT(to_gbnf("{\"type\":\"string\",\"pattern\":\"^a$\"}", 1, &err) == NULL);
	EXPECT_STR(err.msg, "schema /: 'pattern' cannot be enforced by a grammar");
	char *t = to_gbnf("{\"type\":\"string\",\"pattern\":\"^a$\"}", 0, &err);
	EXPECT(t != NULL);
	free(t);
	EXPECT(to_gbnf("{\"type\":\"array\",\"maxItems\":100}", 1, &err) == NULL);
	EXPECT_STR(err.msg, "schema /: 'maxItems' over the grammar's repeat limit");
	/* a recursive property that is required can never end: the grammar says so */
	t = to_gbnf("{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"k\":"
	            "{\"$ref\":\"#/$defs/n\"}},\"required\":[\"k\"]}},\"$ref\":\"#/$defs/n\"}", 0, &err);
	REQUIRE(t != NULL);
	struct grammar *g = NULL;
	EXPECT(grammar_parse(t, strlen(t), "s.gbnf", &g, &err) == WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "can never finish");
	free(t);
}

/* The example grammar for any JSON value (recursive, unbounded nesting):
 * every finished walk parses with jansson. */
TEST(grammar_example_json_walks_parse)
{
	FILE *f = fopen("examples/grammars/json.gbnf", "rb");
	char text[4096];
	size_t len = f ? fread(text, 1, sizeof(text), f) : 0;
	struct grammar *g = NULL;
	struct grammar_matcher *m = NULL;
	struct tvocab tv;
	struct buf out = BUF_INIT;
	int finished = 0;

	if (f)
		fclose(f);
	memset(&tv, 0, sizeof(tv));
	REQUIRE(len > 0);
	REQUIRE(grammar_parse(text, len, "json.gbnf", &g, NULL) == 0);
	REQUIRE(tvocab_make(&tv, 3000, 7) == 0);
	REQUIRE(grammar_matcher_new(g, tv.v, NULL, &m, NULL) == 0);
	int words = (tv.n + 31) / 32;
	uint32_t *mask = calloc((size_t)words, 4);
	REQUIRE(mask != NULL);
	rng_state = 99;
	for (int w = 0; w < 400; w++) {
		int done = 0;
		grammar_matcher_reset(m);
		buf_reset(&out);
		for (int step = 0; step < 200 && !done; step++) {
			int n = grammar_matcher_fill_mask(m, mask);
			REQUIRE(n > 0);
			int t = nth_bit(mask, words, (int)(rnd() % (unsigned)n));
			REQUIRE(grammar_matcher_accept_token(m, t) == 0);
			if (t == tv.n - 1)
				done = 1;
			else
				buf_add(&out, tv.tok[t], tv.len[t]);
		}
		if (!done)
			continue;
		finished++;
		json_t *doc = json_loadb(out.data, out.len, JSON_DECODE_ANY, NULL);
		if (!doc) {
			t_fail(__FILE__, __LINE__, "not JSON: %s", out.data);
			break;
		}
		json_decref(doc);
	}
	EXPECT(finished >= 200);
	free(mask);
	buf_release(&out);
	grammar_matcher_free(m);
	grammar_free(g);
	tvocab_release(&tv);
}
