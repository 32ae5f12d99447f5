/* local.h: the embedded inference engine for small GGUF models.
 *
 *     struct local_model *m;
 *     if (local_model_open("demo.gguf", 2, 0, &m, &err) < 0) ...;
 *     int toks[256];
 *     int n = local_tokenize(m, "Hello", 5, toks, 256, 1);
 *     struct local_gen_params p = local_gen_default_params();
 *     p.seed = 42;
 *     struct buf out;  buf_init(&out, 1 << 20);
 *     local_generate(m, toks, n, &p, &out, &res, &err);
 *     local_model_free(m);
 *
 * Architecture: llama (RMSNorm, RoPE "normal" layout, grouped-query
 * attention, SwiGLU, tied or untied embeddings) and qwen2 (the same plus
 * q/k/v biases and the NEOX RoPE layout). Tensors: F32, F16, Q8_0. Tokenizer:
 * GGUF's "gpt2" byte-level BPE with the GPT-2, SmolLM, Llama-3 or Qwen2
 * pre-tokenizer chosen by tokenizer.ggml.pre, or "llama" SentencePiece.
 *
 * The file is mapped, not read: weights stay in the page cache. Every offset
 * and size in it is checked, so a truncated or hostile file is an error with a
 * message, never a crash. A model is used by one thread at a time; its matrix
 * products run on its own pool of `threads` threads. Nothing here prints. */
#ifndef WR_LOCAL_LOCAL_H
#define WR_LOCAL_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "warrant.h"

struct local_model;

/* Opens the GGUF file at path. threads: matmul threads (>= 1; 0 means 2).
 * n_ctx: the KV cache length in tokens; 0 means the model's context length
 * capped at 4096. Returns 0 and *out (freed by local_model_free), or WR_EIO
 * (unreadable), WR_EINVAL (not a GGUF file we support; err says why and
 * where), WR_ENOMEM. */
int local_model_open(const char *path, int threads, int n_ctx,
                     struct local_model **out, struct wr_err *err);
void local_model_free(struct local_model *m);

/* Model facts. */
int local_n_vocab(const struct local_model *m);
int local_n_ctx(const struct local_model *m);
int local_bos(const struct local_model *m);   /* -1 when none */
int local_eos(const struct local_model *m);   /* -1 when none */
/* 1 when the file asks for bos before a prompt (tokenizer.ggml.add_bos_token). */
int local_add_bos(const struct local_model *m);

/* The bytes token id stands for (not NUL-terminated; *len set), or NULL for
 * an id out of range. Control tokens ("<|endoftext|>") give their text. The
 * pointer lives as long as the model. This is the vocabulary a grammar mask
 * works over. */
const char *local_token_bytes(const struct local_model *m, int id, size_t *len);
/* 1 when id is a control (special) token, else 0. */
int local_token_is_control(const struct local_model *m, int id);

/* Splits text[0..len) into token ids, writing at most max into out.
 * special: 1 turns the text of control tokens into those tokens; 0 treats
 * it as plain text. Returns the number of tokens (which may exceed max: then
 * only max were written), or WR_EINVAL. */
int local_tokenize(const struct local_model *m, const char *text, size_t len,
                   int *out, int max, int special);
/* Appends the bytes of tokens[0..n) to out (for SentencePiece, less the
 * space its tokenizer puts before a text). Returns 0, WR_EINVAL for an id
 * out of range, or buf's errors. */
int local_detokenize(const struct local_model *m, const int *tokens, int n,
                     struct buf *out);

/* Forgets the KV cache: the next local_eval starts at position 0. */
void local_reset(struct local_model *m);
/* Positions held in the KV cache (tokens evaluated since the last reset). */
int local_n_past(const struct local_model *m);
/* Runs tokens[0..n) at positions n_past.. and appends them to the KV cache.
 * logits: NULL, or room for n_vocab floats (all == 0: the last token's
 * logits) or n * n_vocab floats (all == 1: every token's, row by row).
 * Returns 0, WR_ETOOBIG when the cache would overflow, WR_EINVAL. */
int local_eval(struct local_model *m, const int *tokens, int n, float *logits,
               int all, struct wr_err *err);

/* --- generation --- */

#define LOCAL_STOPS_MAX 4

struct local_gen_params {
	float temperature;   /* 0: greedy (argmax) */
	int top_k;           /* 0: off */
	float top_p;         /* 1: off */
	int max_tokens;      /* tokens to generate at most */
	uint64_t seed;       /* the sampler's seed: same seed, same output */
	const char *stop[LOCAL_STOPS_MAX]; /* stop when the output ends with one of
	                        these texts (which is then cut off); NULL ends the list */
	/* Optional hook, called before each sample with the next token's logits
	 * (n_vocab of them, after nothing else has touched them). It may set
	 * any to -INFINITY to forbid that token. Returns 0 to go on, 1 to end
	 * generation here (finish "stop"), negative to fail (finish "error"). */
	int (*mask)(void *ud, float *logits, int n_vocab);
	/* Optional, called with each token chosen, before it is appended. Returns
	 * 0 to go on, 1 to end after this token, negative to fail. */
	int (*accept)(void *ud, int token);
	void *ud;
};

/* temperature 0.8, top_k 40, top_p 0.95, max_tokens 256, seed 0. */
struct local_gen_params local_gen_default_params(void);

struct local_gen_result {
	int tokens_in, tokens_out;
	char finish[16];     /* "stop" (eos, stop text or a hook), "length",
	                        "context" (the cache is full), "masked" (the mask
	                        forbade every token), "error" (a hook failed) */
	double prompt_s, gen_s;  /* wall seconds of prompt evaluation, generation */
};

/* Resets the cache, evaluates prompt[0..n_prompt) and samples up to
 * p->max_tokens tokens, appending their bytes to out (eos is not written).
 * Returns 0 (how it ended is in res->finish) or a negative WR_E* code when
 * it could not run at all. */
int local_generate(struct local_model *m, const int *prompt, int n_prompt,
                   const struct local_gen_params *p, struct buf *out,
                   struct local_gen_result *res, struct wr_err *err);

/* The sampler alone (exposed for tests): picks a token from logits[0..n)
 * (modified in place) with p's temperature/top_k/top_p, drawing from *rng. */
int local_sample(float *logits, int n, const struct local_gen_params *p,
                 uint64_t *rng);

#endif
