/* test_local_grammar.c: constrained decoding through the real engine. The
 * property: outputs sampled at temperature 1 from the committed random model
 * (tests/local/tiny.gguf, a byte-level vocabulary: all 256 bytes, 60 merges
 * and an end token) under a schema's grammar, one seed each, all parse and
 * validate under that schema whenever the grammar says they are complete;
 * and nearly all are, given enough max_tokens. Unconstrained, the same model
 * gives JSON almost never (checked, so the mask is seen to matter). */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check/schema.h"
#include "core/buf.h"
#include "harness.h"
#include "local/local.h"
#include "model/local_grammar.h"

#define FIXTURE "tests/local/tiny.gguf"

static const char *const schemas[] = {
	/* required string, number, enum and array fields */
	"{\"type\":\"object\",\"required\":[\"vendor\",\"total\",\"currency\",\"lines\"],"
	"\"additionalProperties\":false,\"properties\":{"
	"\"vendor\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":12},"
	"\"total\":{\"type\":\"number\",\"minimum\":0},"
	"\"currency\":{\"enum\":[\"USD\",\"EUR\",\"GBP\"]},"
	"\"lines\":{\"type\":\"array\",\"maxItems\":4,\"items\":{\"type\":\"integer\"}}}}",
	/* a nested object, optional fields, null */
	"{\"type\":\"object\",\"required\":[\"party\",\"paid\"],\"additionalProperties\":false,"
	"\"properties\":{\"party\":{\"type\":\"object\",\"required\":[\"name\"],"
	"\"additionalProperties\":false,\"properties\":{\"name\":{\"type\":\"string\","
	"\"maxLength\":8},\"id\":{\"type\":[\"integer\",\"null\"]}}},"
	"\"paid\":{\"type\":\"boolean\"},\"note\":{\"type\":[\"string\",\"null\"],"
	"\"maxLength\":6}}}",
	/* an array of objects at the root */
	"{\"type\":\"array\",\"minItems\":1,\"maxItems\":3,\"items\":{\"type\":\"object\","
	"\"required\":[\"qty\",\"kind\"],\"additionalProperties\":false,\"properties\":{"
	"\"qty\":{\"type\":\"integer\",\"minimum\":0},\"kind\":{\"enum\":[\"goods\",\"due\"]}}}}",
	/* $defs and a recursive tree */
	"{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
	"\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"},\"maxItems\":2}},"
	"\"required\":[\"v\"],\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
};

static struct local_model *fixture(void)
{
	struct local_model *m = NULL;
	struct wr_err err = { 0 };
	if (local_model_open(FIXTURE, 1, 1024, &m, &err) < 0)
		t_fail(__FILE__, __LINE__, "open: %s", err.msg);
	return m;
}

static struct local_gen_params sampled(uint64_t seed)
{
	struct local_gen_params p = local_gen_default_params();
	p.temperature = 1;
	p.top_k = 0;
	p.top_p = 1;
	p.max_tokens = 600;
	p.seed = seed;
	return p;
}

/* 1 when text is JSON valid under the compiled schema. */
static int valid(const struct schema *sc, const char *text, size_t len)
{
	json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	int ok = doc && schema_validate(sc, doc, NULL, 1, NULL) == 1;
	json_decref(doc);
	return ok;
}

TEST(local_grammar_sampled_outputs_are_valid)
{
	struct local_model *m = fixture();
	struct lgram *lg = NULL;
	struct wr_err err = { 0 };
	int prompt[16], n = 0, total = 0;
	REQUIRE(m);
	REQUIRE(lgram_new(m, &lg, &err) == 0);
	n = local_tokenize(m, "The invoice", 11, prompt, 16, 0);
	REQUIRE(n > 0 && n <= 16);
	for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++) {
		json_t *sj = json_loads(schemas[i], 0, NULL);
		struct schema *sc = NULL;
		struct lgram_entry *e = NULL;
		int finished = 0, capped = 0, invalid = 0;
		REQUIRE(sj && schema_compile(sj, NULL, &sc, &err) == 0);
		for (int k = 0; k < 300; k++) {
			struct local_gen_params p = sampled(1000 * i + (uint64_t)k + 1);
			struct local_gen_result res;
			struct lgram_stats st;
			struct buf out;
			buf_init(&out, 1 << 20);
			REQUIRE(lgram_schema(lg, schemas[i], &e, &err) == 0);
			REQUIRE(lgram_generate(lg, e, m, prompt, n, &p, &out, &res, &st, &err) == 0);
			/* a "stop" is the grammar's end; only max_tokens cuts it short */
			EXPECT(st.complete == !strcmp(res.finish, "stop"));
			if (st.complete) {
				finished++;
				if (!valid(sc, out.data, out.len)) {
					invalid++;
					if (invalid <= 3)
						t_fail(__FILE__, __LINE__, "schema %zu seed %d: invalid %s", i,
						       k, out.data);
				}
			} else {
				capped++;
				EXPECT_STR(res.finish, "length");
			}
			buf_release(&out);
		}
		if (getenv("GRAMMAR_TEST_VERBOSE"))
			fprintf(stderr, "schema %zu: %d finished, %d capped\n", i, finished, capped);
		EXPECT_INT(invalid, 0);
		EXPECT(capped * 20 <= finished);   /* at most 5 % cut by max_tokens */
		total += finished;
		schema_free(sc);
		json_decref(sj);
	}
	EXPECT(total >= 1000);
	lgram_free(lg);
	local_model_free(m);
}

TEST(local_grammar_unconstrained_is_not_json)
{
	struct local_model *m = fixture();
	json_t *sj = json_loads(schemas[0], 0, NULL);
	struct schema *sc = NULL;
	struct wr_err err = { 0 };
	int prompt[16], n, ok = 0;
	REQUIRE(m && sj && schema_compile(sj, NULL, &sc, &err) == 0);
	n = local_tokenize(m, "The invoice", 11, prompt, 16, 0);
	for (int k = 0; k < 50; k++) {
		struct local_gen_params p = sampled((uint64_t)k + 1);
		struct local_gen_result res;
		struct buf out;
		p.max_tokens = 60;
		buf_init(&out, 1 << 20);
		REQUIRE(local_generate(m, prompt, n, &p, &out, &res, &err) == 0);
		ok += valid(sc, out.data, out.len);
		buf_release(&out);
	}
	EXPECT_INT(ok, 0);
	schema_free(sc);
	json_decref(sj);
	local_model_free(m);
}

TEST(local_grammar_cache_and_errors)
{
	struct local_model *m = fixture();
	struct lgram *lg = NULL;
	struct lgram_entry *a = NULL, *b = NULL, *c = NULL;
	struct wr_err err = { 0 };
	char s[128];
	REQUIRE(m && lgram_new(m, &lg, &err) == 0);
	EXPECT(lgram_schema(lg, schemas[0], &a, &err) == 0);
	EXPECT(lgram_schema(lg, schemas[1], &b, &err) == 0);
	EXPECT(lgram_schema(lg, schemas[0], &c, &err) == 0);
	EXPECT(a && a == c && a != b);   /* compiled once per text */
	/* more schemas than the cache holds: the oldest go, the recent stay */
	for (int i = 0; i < LGRAM_CACHE + 2; i++) {
		snprintf(s, sizeof s, "{\"type\":\"string\",\"maxLength\":%d}", i + 1);
		EXPECT(lgram_schema(lg, s, &c, &err) == 0);
	}
	EXPECT(lgram_schema(lg, s, &a, &err) == 0 && a == c);
	EXPECT(lgram_schema(lg, "{\"type\":", &a, &err) == WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "not JSON");
	EXPECT(lgram_schema(lg, "{\"type\":\"strnig\"}", &a, &err) == WR_ESPEC);
	EXPECT_CONTAINS(err.msg, "type");
	EXPECT(lgram_gbnf(lg, "root ::= x", 10, "bad.gbnf", &a, &err) < 0);
	EXPECT_CONTAINS(err.msg, "bad.gbnf:1:");
	lgram_free(lg);
	local_model_free(m);
}

TEST(local_grammar_gbnf_holds)
{
	static const char g[] =
		"root ::= (\"yes\" | \"no\" | [1-9] [0-9]{0,2} \" items\") \".\"\n";
	struct local_model *m = fixture();
	struct lgram *lg = NULL;
	struct lgram_entry *e = NULL;
	struct wr_err err = { 0 };
	regex_t re;
	int prompt[16], n, seen_yes = 0, seen_num = 0;
	REQUIRE(m && lgram_new(m, &lg, &err) == 0);
	REQUIRE(lgram_gbnf(lg, g, sizeof g - 1, "t.gbnf", &e, &err) == 0);
	REQUIRE(regcomp(&re, "^(yes|no|[1-9][0-9]{0,2} items)\\.$", REG_EXTENDED) == 0);
	n = local_tokenize(m, "Answer", 6, prompt, 16, 0);
	for (int k = 0; k < 200; k++) {
		struct local_gen_params p = sampled((uint64_t)k + 7);
		struct local_gen_result res;
		struct lgram_stats st;
		struct buf out;
		buf_init(&out, 1 << 16);
		REQUIRE(lgram_generate(lg, e, m, prompt, n, &p, &out, &res, &st, &err) == 0);
		EXPECT(st.complete && !strcmp(res.finish, "stop"));
		if (regexec(&re, out.data, 0, NULL, 0) != 0)
			t_fail(__FILE__, __LINE__, "seed %d: '%s' is not in the grammar", k, out.data);
		seen_yes += !strcmp(out.data, "yes.");
		seen_num += strstr(out.data, " items") != NULL;
		buf_release(&out);
	}
	EXPECT(seen_yes > 0 && seen_num > 0);   /* the sampler, not the mask, chose */
	regfree(&re);
	lgram_free(lg);
	local_model_free(m);
}
