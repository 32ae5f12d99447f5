/* model.h: the inside of struct local_model, shared by llama.c (loading and
 * the forward pass) and sample.c (tokens and generation). */
#ifndef WR_LOCAL_MODEL_H
#define WR_LOCAL_MODEL_H

#include "local/gguf.h"
#include "local/quant.h"
#include "local/tokenizer.h"

struct pool;

struct layer {
	float *attn_norm, *ffn_norm;          /* owned, [dim] */
	float *bq, *bk, *bv;                  /* owned biases (qwen2), or NULL */
	const struct gguf_tensor *wq, *wk, *wv, *wo, *w_gate, *w_up, *w_down;
};

struct local_model {
	struct gguf g;
	int mapped;
	struct tok tok;
	struct pool *pool;

	int n_vocab, dim, n_layers, n_heads, n_kv_heads, head_dim, kv_dim, ffn_dim;
	int ctx_train, n_ctx, rope_dims, neox;
	float rope_theta, eps;

	const struct gguf_tensor *tok_embd, *output;  /* output may be tok_embd */
	float *out_norm;
	struct layer *layers;

	int n_past;                   /* positions in the cache */
	float *k_cache, *v_cache;     /* [n_layers][n_ctx][kv_dim] */
	float *rope_cos, *rope_sin;   /* [n_ctx][rope_dims/2] */

	/* scratch for a chunk of tokens */
	float *x, *xb, *q, *k, *v, *att_out, *hb, *hb2;
	float *scores;                /* [threads][n_ctx] */
	float *row;                   /* [threads][widest row] */
	struct q8_block *xq;          /* a chunk's activations as Q8_0 */
	float *xqd;                   /* their block scales as floats */

	/* Q8_0 matrices copied apart into int8 values and float scales, in
	 * anonymous memory (huge pages when the kernel gives them), for the
	 * AVX-512 kernels: by tensor index in g.tensors, NULL when not split. */
	int8_t **split_qs;
	float **split_d;
	void *split_mem;
	size_t split_len;
	int8_t *xs;                   /* a chunk's activations, split */
	float *xsd, *xsd16;
	int8_t *xg;                   /* the same in groups of 8 (quant_q8_group8) */
	float *xgd16;
};

#endif
