/* llama.c: loading a llama-family model from GGUF and its forward pass.
 *
 * Tokens are evaluated in chunks of up to CHUNK at a time: each weight row is
 * read once per chunk, so a prompt costs far less memory traffic than the
 * same tokens one by one. The KV cache is F32, [layer][position][kv dim]. */
#include "local/local.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/err.h"
#include "local/gguf.h"
#include "local/model.h"
#include "local/pool.h"
#include "local/quant.h"

#define CHUNK 32

/* --- loading --- */

static int hp_int(const struct gguf *g, const char *arch, const char *key,
                  int64_t def, int64_t *v, struct wr_err *err)
{
	char k[128];
	snprintf(k, sizeof k, "%s.%s", arch, key);
	if (gguf_get_int(g, k, v) == 0) {
		if (*v < 1 || *v > (1 << 24))
			return err_set(err, WR_EINVAL, "%s out of range", k);
		return 0;
	}
	if (def < 0)
		return err_set(err, WR_EINVAL, "%s missing", k);
	*v = def;
	return 0;
}

/* The tensor name with shape [ne0, ne1] (ne1 == 0: a vector), of a type we read. */
static int want(const struct gguf *g, const char *name, int64_t ne0, int64_t ne1,
                int optional, const struct gguf_tensor **out, struct wr_err *err)
{
	const struct gguf_tensor *t = gguf_tensor(g, name);
	*out = NULL;
	if (!t)
		return optional ? 0 : err_set(err, WR_EINVAL, "tensor '%s' missing", name);
	if (t->type != GGML_F32 && t->type != GGML_F16 && t->type != GGML_Q8_0)
		return err_set(err, WR_EINVAL, "tensor '%s' is %s; this engine reads F32, F16 "
		               "and Q8_0", name, ggml_type_name(t->type));
	int64_t want1 = ne1 ? ne1 : 1;
	if (t->ne[0] != ne0 || t->ne[1] != want1 || t->ne[2] != 1 || t->ne[3] != 1)
		return err_set(err, WR_EINVAL, "tensor '%s' is [%lld, %lld]; expected [%lld, %lld]",
		               name, (long long)t->ne[0], (long long)t->ne[1],
		               (long long)ne0, (long long)want1);
	*out = t;
	return 0;
}

/* A vector tensor as owned floats (NULL when absent and optional). */
static int vec(const struct gguf *g, const char *name, int64_t n, int optional,
               float **out, struct wr_err *err)
{
	const struct gguf_tensor *t;
	int rc = want(g, name, n, 0, optional, &t, err);
	*out = NULL;
	if (rc < 0 || !t)
		return rc;
	*out = malloc((size_t)n * sizeof(float));
	if (!*out)
		return err_set(err, WR_ENOMEM, "out of memory");
	quant_row_to_f32(t->type, t->data, *out, n);
	return 0;
}

static int load_layer(struct local_model *m, int i, struct wr_err *err)
{
	struct layer *l = &m->layers[i];
	const struct gguf *g = &m->g;
	int64_t d = m->dim, q = (int64_t)m->n_heads * m->head_dim;
	int64_t kv = (int64_t)m->n_kv_heads * m->head_dim, f = m->ffn_dim;
	char n[96];
	int rc = 0;
#define T(field, part, ne0, ne1) \
	if (rc == 0) { snprintf(n, sizeof n, "blk.%d." part ".weight", i); \
	               rc = want(g, n, ne0, ne1, 0, &l->field, err); }
#define V(field, part, len, opt) \
	if (rc == 0) { snprintf(n, sizeof n, "blk.%d." part, i); \
	               rc = vec(g, n, len, opt, &l->field, err); }
	V(attn_norm, "attn_norm.weight", d, 0)
	V(ffn_norm, "ffn_norm.weight", d, 0)
	V(bq, "attn_q.bias", q, 1)
	V(bk, "attn_k.bias", kv, 1)
	V(bv, "attn_v.bias", kv, 1)
	T(wq, "attn_q", d, q)
	T(wk, "attn_k", d, kv)
	T(wv, "attn_v", d, kv)
	T(wo, "attn_output", q, d)
	T(w_gate, "ffn_gate", d, f)
	T(w_up, "ffn_up", d, f)
	T(w_down, "ffn_down", f, d)
#undef T
#undef V
	return rc;
}

static int load_hparams(struct local_model *m, struct wr_err *err)
{
	const struct gguf *g = &m->g;
	const char *arch;
	size_t alen;
	char a[32];
	int64_t v;
	double f;
	if (gguf_get_str(g, "general.architecture", &arch, &alen) < 0)
		return err_set(err, WR_EINVAL, "general.architecture missing");
	if (alen >= sizeof a || !((alen == 5 && !memcmp(arch, "llama", 5)) ||
	                          (alen == 5 && !memcmp(arch, "qwen2", 5))))
		return err_set(err, WR_EINVAL, "architecture '%.*s' is not supported (llama, qwen2)",
		               (int)(alen > 32 ? 32 : alen), arch);
	memcpy(a, arch, alen);
	a[alen] = 0;
	m->neox = strcmp(a, "qwen2") == 0;
	int rc;
#define HP(field, key, def) \
	do { \
		if ((rc = hp_int(g, a, key, def, &v, err)) < 0) \
			return rc; \
		m->field = (int)v; \
	} while (0);
	HP(dim, "embedding_length", -1)
	HP(n_layers, "block_count", -1)
	HP(ffn_dim, "feed_forward_length", -1)
	HP(n_heads, "attention.head_count", -1)
	HP(n_kv_heads, "attention.head_count_kv", m->n_heads)
	HP(ctx_train, "context_length", 2048)
	HP(head_dim, "attention.key_length", m->dim / m->n_heads)
	HP(rope_dims, "rope.dimension_count", m->head_dim)
#undef HP
	if (m->n_heads % m->n_kv_heads || m->rope_dims > m->head_dim || m->rope_dims % 2 ||
	    m->n_layers > 4096)
		return err_set(err, WR_EINVAL, "inconsistent attention sizes in %s.*", a);
	char k[96];
	snprintf(k, sizeof k, "%s.rope.freq_base", a);
	m->rope_theta = gguf_get_float(g, k, &f) == 0 ? (float)f : 10000.0f;
	snprintf(k, sizeof k, "%s.attention.layer_norm_rms_epsilon", a);
	m->eps = gguf_get_float(g, k, &f) == 0 ? (float)f : 1e-5f;
	snprintf(k, sizeof k, "%s.rope.scaling.type", a);
	const char *st;
	size_t sl;
	if (gguf_get_str(g, k, &st, &sl) == 0 && !(sl == 4 && !memcmp(st, "none", 4)))
		return err_set(err, WR_EINVAL, "RoPE scaling '%.*s' is not supported",
		               (int)(sl > 32 ? 32 : sl), st);
	if (gguf_tensor(g, "rope_freqs.weight"))
		return err_set(err, WR_EINVAL, "rope_freqs (Llama 3.1 RoPE scaling) is not supported");
	return 0;
}


/* --- split Q8_0 copies --- */

static int split_wanted(const struct local_model *m, const struct gguf_tensor *t)
{
	return t && t->type == GGML_Q8_0 && quant_split_ok(t->ne[0]) &&
	       !m->split_qs[t - m->g.tensors];
}

static size_t split_size(const struct gguf_tensor *t)
{
	size_t n = (size_t)t->ne[0] * (size_t)t->ne[1];
	return (n + 63) / 64 * 64 + (n / QK8_0 * sizeof(float) + 63) / 64 * 64;
}

static void split_one(struct local_model *m, const struct gguf_tensor *t, uint8_t **at)
{
	size_t idx = (size_t)(t - m->g.tensors), n = (size_t)t->ne[0] * (size_t)t->ne[1];
	int8_t *qs = (int8_t *)*at;
	float *d = (float *)(void *)(*at + (n + 63) / 64 * 64);
	const uint8_t *p = t->data;
	for (size_t b = 0; b < n / QK8_0; b++, p += Q8_0_BYTES) {
		uint16_t h;
		memcpy(&h, p, 2);
		d[b] = fp16_to_fp32(h);
		memcpy(qs + b * QK8_0, p + 2, QK8_0);
	}
	m->split_qs[idx] = qs;
	m->split_d[idx] = d;
	*at += split_size(t);
}

/* Every Q8_0 matrix the forward pass multiplies by, split, when the CPU has
 * the kernels for it. The file's pages are then no longer read for them. */
static int split_all(struct local_model *m, struct wr_err *err)
{
	size_t nt = m->g.n_tensors, total = 0;
	m->split_qs = calloc(nt ? nt : 1, sizeof *m->split_qs);
	m->split_d = calloc(nt ? nt : 1, sizeof *m->split_d);
	if (!m->split_qs || !m->split_d)
		return err_set(err, WR_ENOMEM, "out of memory");
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *at = m->split_mem;
		for (int i = 0; i < m->n_layers; i++) {
			struct layer *l = &m->layers[i];
			const struct gguf_tensor *ts[] = { l->wq, l->wk, l->wv, l->wo, l->w_gate,
			                                   l->w_up, l->w_down };
			for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++)
				if (split_wanted(m, ts[k])) {
					if (pass == 0)
						total += split_size(ts[k]);
					else
						split_one(m, ts[k], &at);
				}
		}
		if (split_wanted(m, m->output)) {
			if (pass == 0)
				total += split_size(m->output);
			else
				split_one(m, m->output, &at);
		}
		if (pass == 0) {
			if (total == 0)
				return 0;
			m->split_len = (total + (2u << 20) - 1) / (2u << 20) * (2u << 20);
			void *p = mmap(NULL, m->split_len, PROT_READ | PROT_WRITE,
			               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) {
				m->split_len = 0;
				return err_set(err, WR_ENOMEM, "out of memory for %zu MB of weights",
				               total >> 20);
			}
#ifdef MADV_HUGEPAGE
			madvise(p, m->split_len, MADV_HUGEPAGE);
#endif
			m->split_mem = p;
		}
	}
	return 0;
}

static void *alloc_floats(size_t n, int *failed)
{
	void *p = calloc(n ? n : 1, sizeof(float));
	if (!p)
		*failed = 1;
	return p;
}

static int alloc_state(struct local_model *m, struct wr_err *err)
{
	size_t d = (size_t)m->dim, q = (size_t)m->n_heads * m->head_dim;
	size_t kv = (size_t)m->n_kv_heads * m->head_dim, f = (size_t)m->ffn_dim;
	size_t nth = (size_t)pool_size(m->pool), wide = f > q ? f : q;
	int failed = 0;
	if (wide < d)
		wide = d;
	m->kv_dim = (int)kv;
	m->k_cache = alloc_floats((size_t)m->n_layers * m->n_ctx * kv, &failed);
	m->v_cache = alloc_floats((size_t)m->n_layers * m->n_ctx * kv, &failed);
	m->x = alloc_floats(CHUNK * d, &failed);
	m->xb = alloc_floats(CHUNK * wide, &failed);
	m->q = alloc_floats(CHUNK * q, &failed);
	m->k = alloc_floats(CHUNK * kv, &failed);
	m->v = alloc_floats(CHUNK * kv, &failed);
	m->att_out = alloc_floats(CHUNK * q, &failed);
	m->hb = alloc_floats(CHUNK * f, &failed);
	m->hb2 = alloc_floats(CHUNK * f, &failed);
	m->scores = alloc_floats(nth * (size_t)m->n_ctx, &failed);
	m->row = alloc_floats(nth * wide, &failed);
	m->xq = calloc(CHUNK * (wide / QK8_0 + 1), sizeof *m->xq);
	m->xqd = alloc_floats(CHUNK * (wide / QK8_0 + 1), &failed);
	m->xs = calloc(CHUNK * wide + 64, 1);
	m->xg = calloc(CHUNK * wide + 64, 1);
	m->xgd16 = alloc_floats(CHUNK * (wide / 4 + 16), &failed);
	m->xsd = alloc_floats(CHUNK * (wide / QK8_0 + 1), &failed);
	m->xsd16 = alloc_floats(CHUNK * (wide / 4 + 16), &failed);
	if (!m->xs || !m->xg)
		failed = 1;
	m->rope_cos = alloc_floats((size_t)m->n_ctx * (size_t)m->rope_dims / 2, &failed);
	m->rope_sin = alloc_floats((size_t)m->n_ctx * (size_t)m->rope_dims / 2, &failed);
	if (failed || !m->xq)
		return err_set(err, WR_ENOMEM, "out of memory for a %d-token cache", m->n_ctx);
	int half = m->rope_dims / 2;
	for (int p = 0; p < m->n_ctx; p++)
		for (int i = 0; i < half; i++) {
			double ang = p * pow((double)m->rope_theta, -2.0 * i / m->rope_dims);
			m->rope_cos[(size_t)p * half + i] = (float)cos(ang);
			m->rope_sin[(size_t)p * half + i] = (float)sin(ang);
		}
	return 0;
}

int local_model_open(const char *path, int threads, int n_ctx,
                     struct local_model **out, struct wr_err *err)
{
	struct local_model *m = calloc(1, sizeof *m);
	int rc;
	*out = NULL;
	if (!m)
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = gguf_open(&m->g, path, err)) < 0) {
		free(m);
		return rc;
	}
	m->mapped = 1;
	if ((rc = load_hparams(m, err)) < 0 || (rc = tok_load(&m->tok, &m->g, err)) < 0)
		goto out;
	m->n_vocab = m->tok.n;
	if ((rc = want(&m->g, "token_embd.weight", m->dim, m->n_vocab, 0, &m->tok_embd, err)) < 0 ||
	    (rc = want(&m->g, "output.weight", m->dim, m->n_vocab, 1, &m->output, err)) < 0 ||
	    (rc = vec(&m->g, "output_norm.weight", m->dim, 0, &m->out_norm, err)) < 0)
		goto out;
	if (!m->output)
		m->output = m->tok_embd;
	m->layers = calloc((size_t)m->n_layers, sizeof *m->layers);
	if (!m->layers) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < m->n_layers; i++)
		if ((rc = load_layer(m, i, err)) < 0)
			goto out;
	m->n_ctx = n_ctx > 0 ? n_ctx : m->ctx_train < 4096 ? m->ctx_train : 4096;
	if (m->n_ctx > (1 << 20)) {
		rc = err_set(err, WR_EINVAL, "context of %d tokens is too long", m->n_ctx);
		goto out;
	}
	if ((rc = pool_new(threads > 0 ? threads : 2, &m->pool)) < 0) {
		err_set(err, rc, "cannot start %d threads", threads);
		goto out;
	}
	if ((rc = alloc_state(m, err)) < 0 || (rc = split_all(m, err)) < 0)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	if (m && rc < 0 && err && err->code && !strstr(err->msg, path))
		err_wrap(err, "%s", path);
	local_model_free(m);
	return rc;
}

void local_model_free(struct local_model *m)
{
	if (!m)
		return;
	for (int i = 0; m->layers && i < m->n_layers; i++) {
		struct layer *l = &m->layers[i];
		free(l->attn_norm);
		free(l->ffn_norm);
		free(l->bq);
		free(l->bk);
		free(l->bv);
	}
	free(m->layers);
	free(m->out_norm);
	pool_free(m->pool);
	tok_release(&m->tok);
	float *bufs[] = { m->k_cache, m->v_cache, m->x, m->xb, m->q, m->k, m->v, m->att_out,
	                  m->hb, m->hb2, m->scores, m->row, m->rope_cos, m->rope_sin };
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		free(bufs[i]);
	free(m->xq);
	free(m->xqd);
	free(m->xs);
	free(m->xg);
	free(m->xgd16);
	free(m->xsd);
	free(m->xsd16);
	free(m->split_qs);
	free(m->split_d);
	if (m->split_mem)
		munmap(m->split_mem, m->split_len);
	gguf_release(&m->g, m->mapped);
	free(m);
}

int local_n_vocab(const struct local_model *m) { return m->n_vocab; }
int local_n_ctx(const struct local_model *m) { return m->n_ctx; }
int local_bos(const struct local_model *m) { return m->tok.bos; }
int local_eos(const struct local_model *m) { return m->tok.eos; }
int local_add_bos(const struct local_model *m) { return m->tok.add_bos; }
void local_reset(struct local_model *m) { m->n_past = 0; }
int local_n_past(const struct local_model *m) { return m->n_past; }

/* --- matrix products --- */

struct mm {
	const struct gguf_tensor *w;
	const float *x;          /* [T, n_in] */
	const struct q8_block *xq;
	const float *xqd;        /* xq's scales as floats */
	const int8_t *wsq;       /* w split (quant.h), or NULL */
	const float *wsd;
	const int8_t *xs;        /* x split, when w is */
	const float *xsd16;
	const int8_t *xg;        /* and grouped by 8 tokens (the first T / 8 * 8) */
	const float *xgd16;
	const float *xsd;        /* x split's scales, one a block */
	int t_amx;               /* the first t_amx tokens go through AMX tiles */
	float *y;                /* [T, n_out] */
	int T;
	int64_t n_in, n_out;
	float *row;              /* per-thread scratch, n_in floats each */
	size_t row_stride;
	int64_t chunk;           /* rows a thread takes at a time (16 | chunk) */
	int64_t next;            /* the next chunk to take */
};

/* Output rows r0..r1 (multiples of 16 when AMX is used) for every token. */
static void mm_rows(struct mm *a, int ith, int64_t r0, int64_t r1)
{
	if (a->t_amx)
		amx_q8_gemm(a->wsq, a->wsd, a->n_in, r0, r1, a->xs, a->xsd, a->t_amx, a->y, a->n_out);
	size_t rs = ggml_row_size(a->w->type, a->n_in);
	float *row = a->row + (size_t)ith * a->row_stride;
	int64_t nb = a->n_in / QK8_0;
	for (int64_t r = r0; r < r1; r++) {
		const uint8_t *wr = a->w->data + (size_t)r * rs;
		if (a->wsq) {
			const int8_t *wq = a->wsq + (size_t)r * a->n_in;
			const float *wd = a->wsd + (size_t)r * nb;
			int t = a->t_amx;
			for (; t + 8 <= a->T; t += 8) {
				float o[8];
				dot_q8s_g8(wq, wd, a->xg + (size_t)t * a->n_in,
				           a->xgd16 + (size_t)t * (a->n_in / 4), a->n_in, o);
				for (int k = 0; k < 8; k++)
					a->y[(size_t)(t + k) * a->n_out + r] = o[k];
			}
			while (t < a->T) {
				const int8_t *xs[8];
				const float *xd[8];
				float o[8];
				int nt = a->T - t >= 8 ? 8 : a->T - t;
				for (int k = 0; k < nt; k++) {
					xs[k] = a->xs + (size_t)(t + k) * a->n_in;
					xd[k] = a->xsd16 + (size_t)(t + k) * (a->n_in / 4);
				}
				dot_q8s(wq, wd, xs, xd, nt, a->n_in, o);
				for (int k = 0; k < nt; k++)
					a->y[(size_t)(t + k) * a->n_out + r] = o[k];
				t += nt;
			}
			continue;
		}
		if (a->w->type == GGML_Q8_0) {
			for (int t = 0; t < a->T;) {
				const struct q8_block *xs[8];
				const float *xd[8];
				float o[8];
				int nt = a->T - t >= 8 ? 8 : a->T - t >= 4 ? 4 : a->T - t;
				for (int k = 0; k < nt; k++) {
					xs[k] = a->xq + (t + k) * nb;
					xd[k] = a->xqd + (t + k) * nb;
				}
				dot_q8_0_multi(wr, xs, xd, nt, a->n_in, o);
				for (int k = 0; k < nt; k++)
					a->y[(size_t)(t + k) * a->n_out + r] = o[k];
				t += nt;
			}
			continue;
		}
		if (a->w->type == GGML_F16) {
			int t = 0;
			for (; t < a->T;) {
				const float *xs[4];
				float o[4];
				int nt = a->T - t >= 4 ? 4 : 1;
				for (int k = 0; k < nt; k++)
					xs[k] = a->x + (size_t)(t + k) * a->n_in;
				if (dot_f16_multi(wr, xs, nt, a->n_in, o) < 0)
					break;
				for (int k = 0; k < nt; k++)
					a->y[(size_t)(t + k) * a->n_out + r] = o[k];
				t += nt;
			}
			if (t == a->T)
				continue;
		}
		const float *wf = (const float *)(const void *)wr;
		if (a->w->type != GGML_F32) {
			quant_row_to_f32(a->w->type, wr, row, a->n_in);
			wf = row;
		} else if (((uintptr_t)wr & 3) != 0) {
			memcpy(row, wr, (size_t)a->n_in * sizeof(float));
			wf = row;
		}
		for (int t = 0; t < a->T;) {
			const float *xs[4];
			float o[4];
			int nt = a->T - t >= 4 ? 4 : 1;
			for (int k = 0; k < nt; k++)
				xs[k] = a->x + (size_t)(t + k) * a->n_in;
			dot_f32_multi(wf, xs, nt, a->n_in, o);
			for (int k = 0; k < nt; k++)
				a->y[(size_t)(t + k) * a->n_out + r] = o[k];
			t += nt;
		}
	}
}

/* Threads take chunks of rows from a shared counter until none is left, so
 * a thread that loses its core for a while holds the others up by one chunk
 * at most, not by half the matrix. */
static void mm_part(void *ctx, int ith, int nth)
{
	struct mm *a = ctx;
	int64_t n = (a->n_out + a->chunk - 1) / a->chunk;
	(void)nth;
	for (;;) {
		int64_t c = __atomic_fetch_add(&a->next, 1, __ATOMIC_RELAXED);
		if (c >= n)
			break;
		int64_t r0 = c * a->chunk, r1 = r0 + a->chunk < a->n_out ? r0 + a->chunk : a->n_out;
		mm_rows(a, ith, r0, r1);
	}
}

/* y[T, n_out] = x[T, n_in] . w^T, w stored [n_out rows of n_in]. */
static void matmul(struct local_model *m, float *y, const float *x, int T,
                   const struct gguf_tensor *w)
{
	size_t wi = (size_t)(w - m->g.tensors);
	struct mm a = { w, x, m->xq, m->xqd, m->split_qs[wi], m->split_d[wi], m->xs, m->xsd16,
	                m->xg, m->xgd16, m->xsd, 0, y, T, w->ne[0], w->ne[1], m->row, 0, 0, 0 };
	if (a.wsq && T >= 16 && quant_amx_ok(a.n_in, a.n_out))
		a.t_amx = T / 16 * 16;
	int64_t nth = pool_size(m->pool);
	a.chunk = (a.n_out / (nth * 4) + 15) / 16 * 16;
	if (a.chunk < 16)
		a.chunk = 16;
	a.next = 0;
	size_t d = (size_t)m->dim, q = (size_t)m->n_heads * m->head_dim, f = (size_t)m->ffn_dim;
	size_t wide = f > q ? f : q;
	a.row_stride = wide > d ? wide : d;
	if (a.wsq) {
		for (int t = 0; t < T; t++)
			quant_q8_split(x + (size_t)t * a.n_in, m->xs + (size_t)t * a.n_in,
			               m->xsd + (size_t)t * (a.n_in / QK8_0),
			               m->xsd16 + (size_t)t * (a.n_in / 4), a.n_in);
		for (int g = 0; g + 8 <= T; g += 8) {
			const int8_t *xs[8];
			const float *xd[8];
			for (int k = 0; k < 8; k++) {
				xs[k] = m->xs + (size_t)(g + k) * a.n_in;
				xd[k] = m->xsd16 + (size_t)(g + k) * (a.n_in / 4);
			}
			quant_q8_group8(xs, xd, m->xg + (size_t)g * a.n_in,
			                m->xgd16 + (size_t)g * (a.n_in / 4), a.n_in);
		}
	} else if (w->type == GGML_Q8_0) {
		int64_t nb = a.n_in / QK8_0;
		for (int t = 0; t < T; t++) {
			quant_q8_0_row(x + (size_t)t * a.n_in, m->xq + t * nb, a.n_in);
			for (int64_t b = 0; b < nb; b++)
				m->xqd[t * nb + b] = fp16_to_fp32(m->xq[t * nb + b].d);
		}
	}
	pool_run(m->pool, mm_part, &a);
}

/* --- the layers --- */

static void rmsnorm(float *o, const float *x, const float *w, int n, float eps)
{
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += (double)x[i] * x[i];
	float s = 1.0f / sqrtf((float)(ss / n) + eps);
	for (int i = 0; i < n; i++)
		o[i] = x[i] * s * w[i];
}

static void rope(const struct local_model *m, float *v, int n_heads, int pos)
{
	int half = m->rope_dims / 2;
	const float *c = m->rope_cos + (size_t)pos * half, *s = m->rope_sin + (size_t)pos * half;
	for (int h = 0; h < n_heads; h++) {
		float *x = v + (size_t)h * m->head_dim;
		for (int i = 0; i < half; i++) {
			int i0 = m->neox ? i : 2 * i, i1 = m->neox ? i + half : 2 * i + 1;
			float a = x[i0], b = x[i1];
			x[i0] = a * c[i] - b * s[i];
			x[i1] = a * s[i] + b * c[i];
		}
	}
}

struct attn {
	struct local_model *m;
	int layer, T, pos0;
	int next;                /* the next (token, head) job to take */
};

static void attn_part(void *ctx, int ith, int nth)
{
	struct attn *a = ctx;
	struct local_model *m = a->m;
	int hd = m->head_dim, group = m->n_heads / m->n_kv_heads;
	size_t kvd = (size_t)m->kv_dim;
	const float *kc = m->k_cache + (size_t)a->layer * m->n_ctx * kvd;
	const float *vc = m->v_cache + (size_t)a->layer * m->n_ctx * kvd;
	float *sc = m->scores + (size_t)ith * m->n_ctx;
	float scale = 1.0f / sqrtf((float)hd);
	int jobs = a->T * m->n_heads, job;
	(void)nth;
	while ((job = __atomic_fetch_add(&a->next, 1, __ATOMIC_RELAXED)) < jobs) {
		int t = job / m->n_heads, h = job % m->n_heads, kh = h / group;
		int n = a->pos0 + t + 1;
		const float *q = m->q + (size_t)t * m->n_heads * hd + (size_t)h * hd;
		float mx = -INFINITY;
		for (int j = 0; j < n; j++) {
			sc[j] = dot_f32(q, kc + (size_t)j * kvd + (size_t)kh * hd, hd) * scale;
			if (sc[j] > mx)
				mx = sc[j];
		}
		float sum = 0;
		for (int j = 0; j < n; j++) {
			sc[j] = expf(sc[j] - mx);
			sum += sc[j];
		}
		float *o = m->att_out + (size_t)t * m->n_heads * hd + (size_t)h * hd;
		memset(o, 0, (size_t)hd * sizeof *o);
		for (int j = 0; j < n; j++) {
			const float *vv = vc + (size_t)j * kvd + (size_t)kh * hd;
			float p = sc[j] / sum;
			for (int i = 0; i < hd; i++)
				o[i] += p * vv[i];
		}
	}
}

static void add_bias(float *y, const float *b, int T, int n)
{
	if (b)
		for (int t = 0; t < T; t++)
			for (int i = 0; i < n; i++)
				y[(size_t)t * n + i] += b[i];
}

static void layer_forward(struct local_model *m, int il, int T, int pos0)
{
	struct layer *l = &m->layers[il];
	int d = m->dim, qd = m->n_heads * m->head_dim, kvd = m->kv_dim, f = m->ffn_dim;
	for (int t = 0; t < T; t++)
		rmsnorm(m->xb + (size_t)t * d, m->x + (size_t)t * d, l->attn_norm, d, m->eps);
	matmul(m, m->q, m->xb, T, l->wq);
	matmul(m, m->k, m->xb, T, l->wk);
	matmul(m, m->v, m->xb, T, l->wv);
	add_bias(m->q, l->bq, T, qd);
	add_bias(m->k, l->bk, T, kvd);
	add_bias(m->v, l->bv, T, kvd);
	size_t base = (size_t)il * m->n_ctx * kvd;
	for (int t = 0; t < T; t++) {
		rope(m, m->q + (size_t)t * qd, m->n_heads, pos0 + t);
		rope(m, m->k + (size_t)t * kvd, m->n_kv_heads, pos0 + t);
		memcpy(m->k_cache + base + (size_t)(pos0 + t) * kvd, m->k + (size_t)t * kvd,
		       (size_t)kvd * sizeof(float));
		memcpy(m->v_cache + base + (size_t)(pos0 + t) * kvd, m->v + (size_t)t * kvd,
		       (size_t)kvd * sizeof(float));
	}
	struct attn a = { m, il, T, pos0, 0 };
	pool_run(m->pool, attn_part, &a);
	matmul(m, m->xb, m->att_out, T, l->wo);
	for (size_t i = 0; i < (size_t)T * d; i++)
		m->x[i] += m->xb[i];
	for (int t = 0; t < T; t++)
		rmsnorm(m->xb + (size_t)t * d, m->x + (size_t)t * d, l->ffn_norm, d, m->eps);
	matmul(m, m->hb, m->xb, T, l->w_gate);
	matmul(m, m->hb2, m->xb, T, l->w_up);
	for (size_t i = 0; i < (size_t)T * f; i++) {
		float g = m->hb[i];
		m->hb[i] = g / (1.0f + expf(-g)) * m->hb2[i];
	}
	matmul(m, m->xb, m->hb, T, l->w_down);
	for (size_t i = 0; i < (size_t)T * d; i++)
		m->x[i] += m->xb[i];
}

/* Evaluates tokens[0..T) (T <= CHUNK) at n_past; logits for rows from first. */
static void forward_chunk(struct local_model *m, const int *tokens, int T, float *logits,
                          int first)
{
	int d = m->dim;
	size_t rs = ggml_row_size(m->tok_embd->type, d);
	for (int t = 0; t < T; t++)
		quant_row_to_f32(m->tok_embd->type, m->tok_embd->data + (size_t)tokens[t] * rs,
		                 m->x + (size_t)t * d, d);
	for (int il = 0; il < m->n_layers; il++)
		layer_forward(m, il, T, m->n_past);
	m->n_past += T;
	if (!logits || first >= T)
		return;
	for (int t = first; t < T; t++)
		rmsnorm(m->xb + (size_t)(t - first) * d, m->x + (size_t)t * d, m->out_norm, d, m->eps);
	matmul(m, logits, m->xb, T - first, m->output);
}

int local_eval(struct local_model *m, const int *tokens, int n, float *logits,
               int all, struct wr_err *err)
{
	if (n < 0)
		return err_set(err, WR_EINVAL, "negative token count");
	if (n > m->n_ctx - m->n_past)
		return err_set(err, WR_ETOOBIG, "context full: %d + %d tokens > %d",
		               m->n_past, n, m->n_ctx);
	for (int i = 0; i < n; i++)
		if (tokens[i] < 0 || tokens[i] >= m->n_vocab)
			return err_set(err, WR_EINVAL, "token %d out of range", tokens[i]);
	for (int i = 0; i < n; i += CHUNK) {
		int T = n - i < CHUNK ? n - i : CHUNK;
		float *lo = NULL;
		int first = T;
		if (logits && all) {
			lo = logits + (size_t)i * m->n_vocab;
			first = 0;
		} else if (logits && i + T == n) {
			lo = logits;
			first = T - 1;
		}
		forward_chunk(m, tokens + i, T, lo, first);
	}
	return 0;
}
