/* sample.c: the vocabulary, sampling and the generation loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"
#include "local/local.h"
#include "local/model.h"

/* --- the vocabulary --- */

const char *local_token_bytes(const struct local_model *m, int id, size_t *len)
{
	if (id < 0 || id >= m->tok.n)
		return NULL;
	*len = m->tok.v[id].len;
	return m->tok.v[id].bytes;
}

int local_token_is_control(const struct local_model *m, int id)
{
	return id >= 0 && id < m->tok.n && m->tok.v[id].control;
}

int local_tokenize(const struct local_model *m, const char *text, size_t len,
                   int *out, int max, int special)
{
	return tok_encode(&m->tok, text, len, out, max < 0 ? 0 : max, special);
}

int local_detokenize(const struct local_model *m, const int *tokens, int n,
                     struct buf *out)
{
	for (int i = 0; i < n; i++) {
		size_t len;
		const char *b = local_token_bytes(m, tokens[i], &len);
		if (!b)
			return WR_EINVAL;
		if (i == 0 && m->tok.spm && m->tok.add_space_prefix && len && b[0] == ' ' &&
		    !m->tok.v[tokens[0]].control) {
			b++;   /* the space SentencePiece put before the text */
			len--;
		}
		int rc = buf_add(out, b, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- sampling --- */

struct local_gen_params local_gen_default_params(void)
{
	struct local_gen_params p = { 0 };
	p.temperature = 0.8f;
	p.top_k = 40;
	p.top_p = 0.95f;
	p.max_tokens = 256;
	return p;
}

/* splitmix64: a small, well-mixed generator; the state is the seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct cand { float logit; int id; };

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->logit != y->logit)
		return x->logit > y->logit ? -1 : 1;
	return x->id - y->id;
}

int local_sample(float *logits, int n, const struct local_gen_params *p, uint64_t *rng)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (!isnan(logits[i]) && logits[i] != -INFINITY && (best < 0 || logits[i] > logits[best]))
			best = i;
	if (best < 0 || p->temperature <= 0)
		return best;
	struct cand *c = malloc((size_t)n * sizeof *c);
	if (!c)
		return best;
	int k = 0;
	for (int i = 0; i < n; i++)
		if (!isnan(logits[i]) && logits[i] != -INFINITY)
			c[k++] = (struct cand){ logits[i] / p->temperature, i };
	qsort(c, (size_t)k, sizeof *c, cand_cmp);
	if (p->top_k > 0 && p->top_k < k)
		k = p->top_k;
	double sum = 0, mx = c[0].logit;
	double *pr = malloc((size_t)k * sizeof *pr);
	if (!pr) {
		free(c);
		return best;
	}
	for (int i = 0; i < k; i++)
		sum += pr[i] = exp(c[i].logit - mx);
	if (p->top_p > 0 && p->top_p < 1) {
		double cum = 0;
		for (int i = 0; i < k; i++) {
			cum += pr[i] / sum;
			if (cum >= p->top_p) {
				k = i + 1;
				break;
			}
		}
		sum = 0;
		for (int i = 0; i < k; i++)
			sum += pr[i];
	}
	double r = (double)(rng_next(rng) >> 11) * (1.0 / 9007199254740992.0) * sum;
	int pick = c[k - 1].id;
	for (int i = 0; i < k; i++) {
		r -= pr[i];
		if (r < 0) {
			pick = c[i].id;
			break;
		}
	}
	free(pr);
	free(c);
	return pick;
}

/* --- generation --- */

static double now_s(void) { return (double)os_mono_ns() / 1e9; }

/* The length of the stop text the output (from byte `from`) ends with, or 0. */
static size_t ends_with_stop(const struct buf *b, size_t from, const struct local_gen_params *p)
{
	for (int i = 0; i < LOCAL_STOPS_MAX && p->stop[i]; i++) {
		size_t n = strlen(p->stop[i]);
		if (n && b->len - from >= n && memcmp(b->data + b->len - n, p->stop[i], n) == 0)
			return n;
	}
	return 0;
}

int local_generate(struct local_model *m, const int *prompt, int n_prompt,
                   const struct local_gen_params *p, struct buf *out,
                   struct local_gen_result *res, struct wr_err *err)
{
	float *logits = malloc((size_t)m->n_vocab * sizeof *logits);
	uint64_t rng = p->seed;
	size_t start = out->len;
	int rc;
	memset(res, 0, sizeof *res);
	snprintf(res->finish, sizeof res->finish, "length");
	if (!logits)
		return err_set(err, WR_ENOMEM, "out of memory");
	if (n_prompt < 1) {
		rc = err_set(err, WR_EINVAL, "empty prompt");
		goto out;
	}
	local_reset(m);
	double t0 = now_s();
	if ((rc = local_eval(m, prompt, n_prompt, logits, 0, err)) < 0)
		goto out;
	res->tokens_in = n_prompt;
	double t1 = now_s();
	res->prompt_s = t1 - t0;
	for (int i = 0; i < p->max_tokens; i++) {
		int hook = p->mask ? p->mask(p->ud, logits, m->n_vocab) : 0;
		if (hook != 0) {
			snprintf(res->finish, sizeof res->finish, hook < 0 ? "error" : "stop");
			break;
		}
		int tok = local_sample(logits, m->n_vocab, p, &rng);
		if (tok < 0) {
			snprintf(res->finish, sizeof res->finish, "masked");
			break;
		}
		hook = p->accept ? p->accept(p->ud, tok) : 0;
		if (hook < 0) {
			snprintf(res->finish, sizeof res->finish, "error");
			break;
		}
		res->tokens_out++;
		if (tok == m->tok.eos) {
			snprintf(res->finish, sizeof res->finish, "stop");
			break;
		}
		size_t len = 0;
		const char *b = local_token_bytes(m, tok, &len);
		if ((rc = buf_add(out, b, len)) < 0) {
			err_set(err, rc, "output too large");
			goto out;
		}
		size_t cut = ends_with_stop(out, start, p);
		if (cut) {
			out->len -= cut;
			out->data[out->len] = 0;
			snprintf(res->finish, sizeof res->finish, "stop");
			break;
		}
		if (hook == 1) {
			snprintf(res->finish, sizeof res->finish, "stop");
			break;
		}
		if (i + 1 == p->max_tokens)
			break;
		if (m->n_past >= m->n_ctx) {
			snprintf(res->finish, sizeof res->finish, "context");
			break;
		}
		if ((rc = local_eval(m, &tok, 1, logits, 0, err)) < 0)
			goto out;
	}
	res->gen_s = now_s() - t1;
	rc = 0;
out:
	free(logits);
	return rc;
}
