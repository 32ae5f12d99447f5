/* grammar_int.h: the compiled grammar and the vocab trie, shared by
 * grammar_parse.c, grammar_vocab.c and grammar_match.c.
 *
 * A grammar is rules over bytes. Each rule is a list of alternatives; each
 * alternative a run of elements in elems[] ended by a GE_END. A position is
 * an index into elems[]: the element to match next. */
#ifndef WR_LOCAL_GRAMMAR_INT_H
#define WR_LOCAL_GRAMMAR_INT_H

#include <stdint.h>

#include "local/grammar.h"

enum { GE_END, GE_BYTES, GE_RULE };

struct gelem {
	uint32_t kind : 2;   /* GE_* */
	uint32_t arg : 30;   /* GE_BYTES: index into sets; GE_RULE: rule id */
};

struct gset {
	uint64_t w[4];  /* bit b: byte b matches */
};

static inline int gset_has(const struct gset *s, unsigned b)
{
	return (int)((s->w[b >> 6] >> (b & 63)) & 1);
}

struct grammar {
	struct gelem *elems;
	int n_elems;
	struct gset *sets;
	int n_sets;
	int *alts;      /* alts[rule_alt[r] .. rule_alt[r + 1]): start positions of rule r */
	int *rule_alt;  /* n_rules + 1 entries */
	int n_rules;
	int root;       /* rule id */
};

/* A trie in preorder (children in byte order): node i has byte[i] at
 * depth[i] (1 for the root's children); skip[i] is the first node after its
 * subtree; tok[i] is a token ending at i or -1, further tokens with the same
 * bytes chained through the vocab's dup[]. */
struct gtrie {
	size_t n_nodes;
	uint8_t *byte;
	uint16_t *depth;
	uint32_t *skip;
	int32_t *tok;
};

/* Plain tokens: up to PLAIN_LEN_MAX bytes of printable ASCII but '"' and
 * '\\'. Inside a JSON string every plain byte leads to the same next state,
 * so from such a state the plain tokens allowed are exactly those up to
 * some length (all of them when the state loops, as in an unbounded
 * string): a copy of one bitmap, plain_le[length], and then a walk of the
 * rest trie only, the tokens with some other byte. */
#define PLAIN_LEN_MAX 64

struct grammar_vocab {
	int n_tokens;
	int eos;
	int max_len;       /* longest token in bytes */
	struct gtrie all;  /* every token but eos and the empty ones */
	struct gtrie rest; /* those with a byte that is not plain */
	int plain_max;     /* the longest plain token */
	uint32_t *plain_le;/* plain_max + 1 bitmaps: plain tokens of at most i bytes */
	int *n_plain_le;   /* their counts */
	int32_t *dup;      /* n_tokens entries */
	char **bytes;      /* each token's bytes (copied), for accept_token */
	size_t *len;
};

static inline int grammar_byte_plain(unsigned b)
{
	return b >= 0x20 && b < 0x7F && b != '"' && b != '\\';
}

#define GRAMMAR_DEPTH_MAX 65535  /* tokens longer than this are never allowed */

#endif
