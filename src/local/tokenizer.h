/* tokenizer.h: GGUF "gpt2" byte-level BPE.
 *
 * The vocabulary comes from tokenizer.ggml.tokens (GPT-2 byte-to-unicode
 * form, decoded here to raw bytes), the ranks from tokenizer.ggml.merges
 * ("A B", best first). Text is split by a pre-tokenizer (see tokenizer.c for
 * the exact rules), then each piece starts as single bytes and the adjacent
 * pair with the best rank is merged until none is in the table. */
#ifndef WR_LOCAL_TOKENIZER_H
#define WR_LOCAL_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "local/gguf.h"
#include "warrant.h"

enum tok_pre { TOK_PRE_GPT2, TOK_PRE_LLAMA3, TOK_PRE_QWEN2, TOK_PRE_SMOLLM };

struct tok_entry {
	char *bytes;          /* raw bytes (owned by tok.pool) */
	uint32_t len;
	int control;          /* control token: matched only as special text */
};

struct tok {
	int n;
	struct tok_entry *v;
	char *pool;           /* all token bytes */
	int byte_id[256];     /* the token for each single byte, or -1 */
	/* open-addressing hash of bytes -> id (normal tokens) */
	int *tab;
	size_t tab_size;
	/* open-addressing hash of (left id, right id) -> (rank, merged id) */
	struct tok_merge { int32_t a, b, rank, id; } *mtab;
	size_t mtab_size;
	int *control_ids;     /* control tokens, longest text first */
	int n_control;
	enum tok_pre pre;
	int bos, eos;
	int add_bos;           /* tokenizer.ggml.add_bos_token */
};

/* Loads the tokenizer from g's metadata. Returns 0, WR_EINVAL (err says
 * which key is missing or bad), WR_ENOMEM. */
int tok_load(struct tok *t, const struct gguf *g, struct wr_err *err);
void tok_release(struct tok *t);
/* See local_tokenize. */
int tok_encode(const struct tok *t, const char *text, size_t len, int *out,
               int max, int special);
/* Length in bytes of the pre-tokenizer's first piece of s[0..len) (>= 1 when
 * len >= 1). Exposed for tests. */
size_t tok_pre_piece(enum tok_pre pre, const unsigned char *s, size_t len);

#endif
