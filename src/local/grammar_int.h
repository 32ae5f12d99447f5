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

/* The trie in preorder (children in byte order): node i has byte[i] at
 * depth[i] (1 for the root's children); skip[i] is the first node after its
 * subtree; tok[i] is a token ending at i or -1, further tokens with the same
 * bytes chained through dup[]. */
struct grammar_vocab {
	int n_tokens;
	int eos;
	int max_len;       /* longest token in bytes */
	size_t n_nodes;
	uint8_t *byte;
	uint16_t *depth;
	uint32_t *skip;
	int32_t *tok;
	int32_t *dup;      /* n_tokens entries */
	char **bytes;      /* each token's bytes (copied), for accept_token */
	size_t *len;
};

#define GRAMMAR_DEPTH_MAX 65535  /* tokens longer than this are never allowed */

#endif
