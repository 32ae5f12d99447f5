/* grammar.h: grammar-constrained decoding for local models.
 *
 *     struct grammar *g = NULL;
 *     struct grammar_vocab *v = NULL;
 *     struct grammar_matcher *m = NULL;
 *     grammar_parse(text, len, "flow.gbnf", &g, &err);     // or from a schema:
 *     grammar_from_schema(schema_json, NULL, &gbnf, &err);  // GBNF text, then parse
 *     grammar_vocab_new(n, tokens, lens, eos, &v, &err);
 *     grammar_matcher_new(g, v, NULL, &m, &err);
 *     for (;;) {
 *             grammar_matcher_fill_mask(m, mask);   // bit i set: token i allowed
 *             ... sample a token t among the allowed ...
 *             grammar_matcher_accept_token(m, t);
 *             if (grammar_matcher_is_done(m)) break;
 *     }
 *
 * The files: grammar_parse.c reads the GBNF-like text into rules over bytes
 * (character classes become UTF-8 byte sequences; *, +, ?, {m,n} become
 * rules); grammar_schema.c writes a JSON Schema as GBNF text; grammar_vocab.c
 * builds the token trie; grammar_match.c is the recognizer (a set of
 * pushdown stacks, determinised lazily into states with a transition table)
 * and the mask, cached per state.
 *
 * The text syntax (as llama.cpp's GBNF):
 *
 *     root   ::= "{" ws pair ("," ws pair)* "}"   # a comment
 *     pair   ::= name ws ":" ws [0-9]+
 *     name   ::= "\"" [^"\\\x00-\x1f]{1,20} "\""
 *     ws     ::= [ \t\n]?
 *
 * Literals "..." and classes [...] take \n \t \r \\ \" \] \- \xHH \uHHHH
 * \UHHHHHHHH; [^...] negates over Unicode scalar values; . is any
 * character; ( ) groups; | alternates; * + ? {m} {m,} {m,n} repeat. A rule
 * may span lines: it ends where the next `name ::=` begins. `root` is the
 * start rule. Left recursion and rules that can never finish are refused.
 *
 * Ownership: a grammar and a vocab are immutable once made and may be shared
 * by any number of matchers (in one thread each); a matcher borrows both, so
 * they must outlive it. */
#ifndef WR_LOCAL_GRAMMAR_H
#define WR_LOCAL_GRAMMAR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "warrant.h"

struct buf;
struct grammar;
struct grammar_vocab;
struct grammar_matcher;

/* --- grammar --- */

/* Parses GBNF text (len bytes, need not be NUL-terminated). name is used in
 * messages: "name:3:7: undefined rule 'valeu'". Errors: WR_ESPEC with the
 * line:col; WR_ETOOBIG past 1 MiB of text or a million grammar elements;
 * WR_ENOMEM. *out is set only on success and is the caller's. */
int grammar_parse(const char *text, size_t len, const char *name, struct grammar **out,
                  struct wr_err *err);
void grammar_free(struct grammar *g);

/* Counts, for tests and tools: rules (those named and those made for
 * groups and repetitions) and elements. */
int grammar_rule_count(const struct grammar *g);

/* --- JSON Schema to grammar --- */

struct grammar_schema_params {
	int ws_max;      /* whitespace bytes allowed between tokens of JSON (default 1) */
	int repeat_max;  /* maxLength/maxItems above this are not put in the grammar (64) */
	int any_depth;   /* nesting allowed in values of any shape (default 2) */
	int strict;      /* 1: a keyword the grammar cannot enforce is an error;
	                  * 0 (default): left to the schema check after generation */
};
struct grammar_schema_params grammar_schema_default_params(void);

/* Appends to out the GBNF for the JSON documents the grammar allows under
 * schema (borrowed): a subset of those valid under it, in property order,
 * with bounded whitespace and number lengths so generation ends. Covered:
 * type (and type lists), properties/required, items/minItems/maxItems,
 * minLength/maxLength, enum, const, anyOf/oneOf, allOf of one, $ref to
 * #/$defs/... or #/definitions/... (recursion allowed), minimum >= 0 (no
 * minus sign), true/{} as any value. Not covered (strict: error; otherwise
 * ignored): pattern, format, numeric bounds other than that, multipleOf,
 * uniqueItems, oneOf exclusivity, and the rest. Errors: WR_ESPEC naming the
 * schema location (/properties/a/type); WR_ENOMEM. p may be NULL. */
int grammar_from_schema(json_t *schema, const struct grammar_schema_params *p,
                        struct buf *out, struct wr_err *err);

/* --- vocabulary --- */

/* Builds the token trie from n tokens: tok[i] is token i's bytes, len[i]
 * bytes long (both borrowed; copied). These are the raw bytes the token
 * stands for: a byte-level BPE's byte-to-character mapping undone (no 'Ġ'
 * for space), SentencePiece's '▁' as a space and its <0xNN> tokens as the
 * byte NN. A token of length 0 (a special token)
 * is never allowed, except eos_id, which is allowed when the grammar may end.
 * eos_id may be -1 (no end token). Errors: WR_EINVAL for n <= 0 or eos_id
 * out of range; WR_ENOMEM. */
int grammar_vocab_new(int n, const char *const *tok, const size_t *len, int eos_id,
                      struct grammar_vocab **out, struct wr_err *err);
void grammar_vocab_free(struct grammar_vocab *v);
int grammar_vocab_size(const struct grammar_vocab *v);
/* Nodes in the trie, for benchmarks. */
size_t grammar_vocab_nodes(const struct grammar_vocab *v);

/* --- matcher --- */

struct grammar_matcher_params {
	int max_states;           /* determinised states before WR_ETOOBIG (65536) */
	size_t mask_cache_bytes;  /* masks kept per state, at most this many bytes (64 MiB) */
};
struct grammar_matcher_params grammar_matcher_default_params(void);

/* Makes a matcher at the start of g. p may be NULL. The caches (states,
 * transitions, masks) live in the matcher and survive grammar_matcher_reset,
 * so one matcher serves many generations fast. Errors: WR_ENOMEM. */
int grammar_matcher_new(const struct grammar *g, const struct grammar_vocab *v,
                        const struct grammar_matcher_params *p,
                        struct grammar_matcher **out, struct wr_err *err);
void grammar_matcher_free(struct grammar_matcher *m);
/* Back to the start of the grammar; caches kept. */
void grammar_matcher_reset(struct grammar_matcher *m);

/* Fills mask ((n_vocab + 31) / 32 words, bit i of word i/32 for token i)
 * with the tokens allowed next. Returns how many are allowed (0 once done),
 * or WR_ETOOBIG when the state cap is reached. */
int grammar_matcher_fill_mask(struct grammar_matcher *m, uint32_t *mask);

/* Sets the logits of disallowed tokens to -INFINITY: the shape of the
 * engine's per-token hook. ud is the matcher. Returns as fill_mask, or
 * WR_EINVAL when n_vocab is not the vocab's size. */
int grammar_matcher_apply(void *ud, float *logits, int n_vocab);

/* The engine's accept(token) callback: grammar_matcher_accept_token with
 * the matcher as ud. */
int grammar_matcher_accept(void *ud, int token);

/* Moves past token id. Returns 0; WR_EINVAL when the token is not allowed
 * (the matcher is unchanged); WR_ETOOBIG at the state cap. The eos token is
 * allowed when the grammar may end, and ends it. */
int grammar_matcher_accept_token(struct grammar_matcher *m, int id);
/* The same for raw bytes (a prompt's forced prefix, tests). */
int grammar_matcher_accept_bytes(struct grammar_matcher *m, const char *s, size_t len);

/* 1 when generation must stop: eos was accepted, or nothing but the end can
 * follow. 0 otherwise. */
int grammar_matcher_is_done(const struct grammar_matcher *m);
/* 1 when the text so far is a complete sentence of the grammar. */
int grammar_matcher_can_end(const struct grammar_matcher *m);

/* Undoes the last n accepted tokens (or byte strings). Returns 0, or
 * WR_EINVAL when fewer than n were accepted since the start. */
int grammar_matcher_rollback(struct grammar_matcher *m, int n);

/* States made so far, and mask cache hits and misses, for benchmarks. */
void grammar_matcher_stats(const struct grammar_matcher *m, int *states, long *hits,
                           long *misses);

#endif
