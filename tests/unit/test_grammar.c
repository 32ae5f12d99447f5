/* test_grammar.c: the GBNF parser (good and bad inputs), the matcher over
 * bytes and tokens, the mask, rollback. test_grammar_schema.c has the JSON
 * Schema compiler and the random-walk property tests. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "local/grammar.h"

static struct grammar *parse(const char *text)
{
	struct grammar *g = NULL;
	struct wr_err err = { 0, "" };

	if (grammar_parse(text, strlen(text), "t.gbnf", &g, &err) < 0) {
		t_fail(__FILE__, __LINE__, "parse: %s", err.msg);
		return NULL;
	}
	return g;
}

/* The error message for a bad grammar ("" when it parses). */
static const char *parse_err(const char *text)
{
	static struct wr_err err;
	struct grammar *g = NULL;

	memset(&err, 0, sizeof(err));
	if (grammar_parse(text, strlen(text), "t.gbnf", &g, &err) == 0) {
		grammar_free(g);
		return "";
	}
	return err.msg;
}

static struct grammar_vocab *bytes_vocab(void)
{
	static char store[256][2];
	const char *tok[257];
	size_t len[257];

	for (int i = 0; i < 256; i++) {
		store[i][0] = (char)i;
		tok[i] = store[i];
		len[i] = 1;
	}
	tok[256] = "";
	len[256] = 0;
	struct grammar_vocab *v = NULL;
	return grammar_vocab_new(257, tok, len, 256, &v, NULL) == 0 ? v : NULL;
}

/* 1 when the whole of s is a sentence of the grammar, 0 when not, -1 when s
 * dies before its end. */
static int matches(const char *gbnf, const char *s)
{
	struct grammar *g = parse(gbnf);
	struct grammar_vocab *v = bytes_vocab();
	struct grammar_matcher *m = NULL;
	int rc = -2;

	if (g && v && grammar_matcher_new(g, v, NULL, &m, NULL) == 0) {
		rc = -1;
		if (grammar_matcher_accept_bytes(m, s, strlen(s)) == 0)
			rc = grammar_matcher_can_end(m);
	}
	grammar_matcher_free(m);
	grammar_vocab_free(v);
	grammar_free(g);
	return rc;
}

TEST(grammar_parse_errors_have_positions)
{
	EXPECT_STR(parse_err("root ::= \"a\" foo"), "t.gbnf:1:14: undefined rule 'foo'");
	EXPECT_STR(parse_err("root ::= \"a\"\nx ::= [a-"), "t.gbnf:2:7: unclosed character class");
	EXPECT_STR(parse_err("root ::= \"abc"), "t.gbnf:1:10: unclosed string literal");
	EXPECT_STR(parse_err("root ::= ( \"a\" | \"b\""), "t.gbnf:1:10: unclosed '('");
	EXPECT_STR(parse_err("root = \"a\""), "t.gbnf:1:6: expected '::=' after the rule name");
	EXPECT_STR(parse_err("root ::= \"a\"\n  root ::= \"b\""),
	           "t.gbnf:2:3: rule 'root' is defined twice");
	EXPECT_STR(parse_err("root ::= x \"a\"\nx ::= \"b\"? root"),
	           "t.gbnf:1:1: left recursion through rule 'root'");
	EXPECT_STR(parse_err("root ::= \"a\" root"), "t.gbnf:1:1: rule 'root' can never finish");
	EXPECT_STR(parse_err("a ::= \"x\""), "t.gbnf:1:1: no rule named 'root'");
	EXPECT_STR(parse_err("root ::= \"\\q\""), "t.gbnf:1:11: unknown escape");
	EXPECT_STR(parse_err("root ::= \"a\"{3,2}"), "t.gbnf:1:13: repetition {m,n} with n < m");
	EXPECT_STR(parse_err("root ::= [z-a]"), "t.gbnf:1:12: range is backwards");
	EXPECT_STR(parse_err("root ::= \"a\" )"), "t.gbnf:1:14: unmatched ')'");
	EXPECT_STR(parse_err("root ::= \"a\" @"), "t.gbnf:1:14: unexpected character '@'");
	EXPECT_STR(parse_err("root ::= \"\\u12\""), "t.gbnf:1:11: escape needs 4 hex digits");
	EXPECT_STR(parse_err("root ::= \"\\ud800\""),
	           "t.gbnf:1:11: escape is not a Unicode scalar value");
	EXPECT_STR(parse_err("root ::= \"a\"{2"), "t.gbnf:1:13: expected {m}, {m,} or {m,n}");
	EXPECT_STR(parse_err("root ::= \"a\"{20000}"), "t.gbnf:1:13: repetition count over 10000");
	EXPECT_STR(parse_err("root ::= ::="), "t.gbnf:1:10: unexpected character ':'");
	EXPECT_STR(parse_err(""), "t.gbnf:1:1: no rule named 'root'");
}

TEST(grammar_parse_good)
{
	struct grammar *g = parse("# a comment\n"
	                          "root ::= \"{\" ws pair (\",\" ws pair)* \"}\"  # trailing\n"
	                          "pair ::= name ws \":\" ws [0-9]+\n"
	                          "name ::= \"\\\"\" [^\"\\\\\\x00-\\x1f]{1,20} \"\\\"\"\n"
	                          "ws ::= [ \\t\\n]?\n"
	                          "empty ::= \"\" | ()\n");
	REQUIRE(g != NULL);
	EXPECT(grammar_rule_count(g) > 5);
	grammar_free(g);
	EXPECT_STR(parse_err("root ::=\n  \"a\"\n  | \"b\"\nx ::= \"c\""), "");
}

TEST(grammar_match_basics)
{
	EXPECT_INT(matches("root ::= \"ab\" | \"c\"", "ab"), 1);
	EXPECT_INT(matches("root ::= \"ab\" | \"c\"", "c"), 1);
	EXPECT_INT(matches("root ::= \"ab\" | \"c\"", "a"), 0);
	EXPECT_INT(matches("root ::= \"ab\" | \"c\"", "ac"), -1);
	EXPECT_INT(matches("root ::= \"ab\" | \"c\"", "abc"), -1);
	EXPECT_INT(matches("root ::= [a-c]* \"d\"", "abcabcd"), 1);
	EXPECT_INT(matches("root ::= [a-c]+ \"d\"", "d"), -1);
	EXPECT_INT(matches("root ::= [^a-c]", "x"), 1);
	EXPECT_INT(matches("root ::= [^a-c]", "b"), -1);
	EXPECT_INT(matches("root ::= \"a\"{2,3}", "a"), 0);
	EXPECT_INT(matches("root ::= \"a\"{2,3}", "aa"), 1);
	EXPECT_INT(matches("root ::= \"a\"{2,3}", "aaa"), 1);
	EXPECT_INT(matches("root ::= \"a\"{2,3}", "aaaa"), -1);
	EXPECT_INT(matches("root ::= \"a\"{2,}", "aaaaaaa"), 1);
	EXPECT_INT(matches("root ::= (\"x\" | \"y\")? \"z\"", "z"), 1);
	EXPECT_INT(matches("root ::= (\"x\" | \"y\")? \"z\"", "yz"), 1);
	EXPECT_INT(matches("root ::= \"\\x41\\u00e9\\n\"", "A\xc3\xa9\n"), 1);
	/* ambiguity: both ways are followed until one dies */
	EXPECT_INT(matches("root ::= \"a\" \"b\"* \"bc\" | \"ab\" \"d\"", "abbbc"), 1);
	EXPECT_INT(matches("root ::= \"a\" \"b\"* \"bc\" | \"ab\" \"d\"", "abd"), 1);
	/* nesting without bound: balanced parentheses */
	EXPECT_INT(matches("root ::= (\"(\" root \")\")*", "(()(()))()"), 1);
	EXPECT_INT(matches("root ::= (\"(\" root \")\")*", "(()"), 0);
}

TEST(grammar_match_utf8)
{
	/* a class of Greek letters: two-byte sequences */
	EXPECT_INT(matches("root ::= [α-ω]+", "αβγω"), 1);
	EXPECT_INT(matches("root ::= [α-ω]+", "a"), -1);
	/* negation covers every scalar value outside: ASCII, 2, 3 and 4 bytes */
	EXPECT_INT(matches("root ::= [^a]+", "b\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"), 1);
	EXPECT_INT(matches("root ::= [^a]+", "ba"), -1);
	/* never a broken sequence: a lead byte alone, a surrogate, an overlong */
	EXPECT_INT(matches("root ::= [^a]+", "\xc3"), 0);
	EXPECT_INT(matches("root ::= [^a]+", "\xed\xa0\x80"), -1);
	EXPECT_INT(matches("root ::= [^a]+", "\xc0\x80"), -1);
	EXPECT_INT(matches("root ::= .", "\xe6\x97\xa5"), 1);
	EXPECT_INT(matches("root ::= . .", "\xe6\x97\xa5"), 0);
	EXPECT_INT(matches("root ::= [\\u0800-\\U0010FFFF]", "\xf4\x8f\xbf\xbf"), 1);
	EXPECT_INT(matches("root ::= [\\u0800-\\U0010FFFF]", "\xdf\xbf"), -1);
}

static int bit(const uint32_t *mask, int i)
{
	return (int)((mask[i >> 5] >> (i & 31)) & 1);
}

TEST(grammar_mask_and_rollback)
{
	const char *tok[] = { "a", "b", "ab", "ba", "bb", "abb", "c", "", "abc", "ab" };
	size_t len[10];
	struct grammar *g = parse("root ::= \"a\" \"b\"* \"c\"");
	struct grammar_vocab *v = NULL;
	struct grammar_matcher *m = NULL;
	uint32_t mask[1];

	for (int i = 0; i < 10; i++)
		len[i] = strlen(tok[i]);
	REQUIRE(g != NULL);
	REQUIRE(grammar_vocab_new(10, tok, len, 7, &v, NULL) == 0);
	REQUIRE(grammar_matcher_new(g, v, NULL, &m, NULL) == 0);
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 5);
	EXPECT_INT(mask[0], (1u << 0) | (1u << 2) | (1u << 5) | (1u << 8) | (1u << 9));
	EXPECT_INT(grammar_matcher_accept_token(m, 1), WR_EINVAL);  /* "b" first */
	EXPECT_INT(grammar_matcher_accept_token(m, 7), WR_EINVAL);  /* eos too early */
	EXPECT_INT(grammar_matcher_accept_token(m, 2), 0);          /* "ab" */
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 3);           /* b, bb, c */
	EXPECT(bit(mask, 1) && bit(mask, 4) && bit(mask, 6) && !bit(mask, 7));
	EXPECT_INT(grammar_matcher_accept(m, 6), 0);                /* "c", as the engine calls it */
	EXPECT(grammar_matcher_is_done(m));
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 1);           /* eos only */
	EXPECT_INT(mask[0], 1u << 7);
	EXPECT_INT(grammar_matcher_accept_token(m, 7), 0);
	EXPECT(grammar_matcher_is_done(m));
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 0);
	EXPECT_INT(grammar_matcher_rollback(m, 2), 0);               /* back to after "ab" */
	EXPECT(!grammar_matcher_is_done(m));
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 3);
	EXPECT_INT(grammar_matcher_rollback(m, 2), WR_EINVAL);
	grammar_matcher_reset(m);
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 5);
	float logits[10];
	for (int i = 0; i < 10; i++)
		logits[i] = 1.0f;
	EXPECT_INT(grammar_matcher_apply(m, logits, 10), 5);
	EXPECT(logits[0] == 1.0f && logits[1] < -1e30f && logits[7] < -1e30f);
	EXPECT_INT(grammar_matcher_apply(m, logits, 9), WR_EINVAL);
	grammar_matcher_free(m);
	grammar_vocab_free(v);
	grammar_free(g);
}

TEST(grammar_state_cap)
{
	struct grammar *g = parse("root ::= [a-z]{0,50}");
	struct grammar_vocab *v = bytes_vocab();
	struct grammar_matcher_params p = grammar_matcher_default_params();
	struct grammar_matcher *m = NULL;
	uint32_t mask[9];

	REQUIRE(g && v);
	p.max_states = 4;  /* each letter counted is a state of its own */
	REQUIRE(grammar_matcher_new(g, v, &p, &m, NULL) == 0);
	EXPECT_INT(grammar_matcher_accept_bytes(m, "abc", 3), 0);
	EXPECT_INT(grammar_matcher_accept_bytes(m, "def", 3), WR_ETOOBIG);
	EXPECT_INT(grammar_matcher_rollback(m, 1), 0);
	EXPECT_INT(grammar_matcher_fill_mask(m, mask), 27);  /* a-z and eos */
	grammar_matcher_free(m);
	grammar_vocab_free(v);
	grammar_free(g);
}
