/* local_grammar.c: constrained decoding for the local provider (see
 * local_grammar.h): the vocabulary, the schema cache, and the engine's hooks. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"
#include "local/grammar.h"
#include "model/local_grammar.h"

struct lgram_entry {
	uint64_t hash;
	char *text;                  /* the schema's JSON text (owned), or NULL for a GBNF */
	struct grammar *g;
	struct grammar_matcher *m;   /* reset per call; its caches stay */
	uint64_t used;               /* the tick of the last use, for eviction */
};

struct lgram {
	struct grammar_vocab *v;
	struct lgram_entry cache[LGRAM_CACHE];
	struct lgram_entry *user;    /* GBNF entries, kept for lg's life */
	int n_user;
	uint64_t tick;
};

static void entry_release(struct lgram_entry *e)
{
	grammar_matcher_free(e->m);
	grammar_free(e->g);
	free(e->text);
	memset(e, 0, sizeof *e);
}

void lgram_free(struct lgram *lg)
{
	if (!lg)
		return;
	for (int i = 0; i < LGRAM_CACHE; i++)
		entry_release(&lg->cache[i]);
	for (int i = 0; i < lg->n_user; i++)
		entry_release(&lg->user[i]);
	free(lg->user);
	grammar_vocab_free(lg->v);
	free(lg);
}

int lgram_new(const struct local_model *m, struct lgram **out, struct wr_err *err)
{
	int n = local_n_vocab(m), rc = WR_ENOMEM;
	struct lgram *lg = calloc(1, sizeof *lg);
	const char **tok = calloc((size_t)(n > 0 ? n : 1), sizeof *tok);
	size_t *len = calloc((size_t)(n > 0 ? n : 1), sizeof *len);
	*out = NULL;
	if (!lg || !tok || !len) {
		err_set(err, rc, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		tok[i] = local_token_bytes(m, i, &len[i]);
		if (!tok[i] || local_token_is_control(m, i)) {   /* never allowed */
			tok[i] = "";
			len[i] = 0;
		}
	}
	if ((rc = grammar_vocab_new(n, tok, len, local_eos(m), &lg->v, err)) < 0)
		goto out;
	*out = lg;
	lg = NULL;
	rc = 0;
out:
	free(tok);
	free(len);
	lgram_free(lg);
	return rc;
}

/* FNV-1a, 64 bits. */
static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* Parses gbnf into e->g and makes its matcher. */
static int entry_make(struct lgram *lg, struct lgram_entry *e, const char *gbnf, size_t len,
                      const char *name, struct wr_err *err)
{
	int rc = grammar_parse(gbnf, len, name, &e->g, err);
	if (rc == 0)
		rc = grammar_matcher_new(e->g, lg->v, NULL, &e->m, err);
	return rc;
}

int lgram_schema(struct lgram *lg, const char *schema_json, struct lgram_entry **out,
                 struct wr_err *err)
{
	size_t n = strlen(schema_json);
	uint64_t h = fnv(schema_json, n);
	struct lgram_entry *e = NULL, *old = &lg->cache[0];
	struct buf gbnf = BUF_INIT;
	json_t *s = NULL;
	json_error_t je;
	int rc;
	*out = NULL;
	for (int i = 0; i < LGRAM_CACHE; i++) {
		struct lgram_entry *c = &lg->cache[i];
		if (c->g && c->hash == h && !strcmp(c->text, schema_json)) {
			c->used = ++lg->tick;
			*out = c;
			return 0;
		}
		if (c->used < old->used)
			old = c;
	}
	entry_release(old);   /* the least recently used, or an empty slot */
	e = old;
	if (!(s = json_loads(schema_json, 0, &je))) {
		rc = err_set(err, WR_ESPEC, "the output schema is not JSON (%d:%d: %s)", je.line,
		             je.column, je.text);
		goto out;
	}
	if ((rc = grammar_from_schema(s, NULL, &gbnf, err)) < 0)
		goto out;
	if ((rc = entry_make(lg, e, gbnf.data, gbnf.len, "output_schema", err)) < 0)
		goto out;
	rc = WR_ENOMEM;
	if (!(e->text = strdup(schema_json))) {
		err_set(err, rc, "out of memory");
		goto out;
	}
	e->hash = h;
	e->used = ++lg->tick;
	*out = e;
	rc = 0;
out:
	if (rc < 0)
		entry_release(e);
	json_decref(s);
	buf_release(&gbnf);
	return rc;
}

int lgram_gbnf(struct lgram *lg, const char *text, size_t len, const char *name,
               struct lgram_entry **out, struct wr_err *err)
{
	struct lgram_entry *u = realloc(lg->user, (size_t)(lg->n_user + 1) * sizeof *u);
	int rc;
	*out = NULL;
	if (!u)
		return err_set(err, WR_ENOMEM, "out of memory");
	lg->user = u;
	struct lgram_entry *e = &u[lg->n_user];
	memset(e, 0, sizeof *e);
	if ((rc = entry_make(lg, e, text, len, name, err)) < 0) {
		entry_release(e);
		return rc;
	}
	lg->n_user++;
	*out = e;
	return 0;
}

/* --- the hooks --- */

struct hooks {
	struct grammar_matcher *m;
	struct lgram_stats *st;
};

/* Before each sample: -inf where the grammar refuses. Nothing allowed (the
 * grammar is done) ends generation. */
static int hook_mask(void *ud, float *logits, int n_vocab)
{
	struct hooks *h = ud;
	uint64_t t0 = os_mono_ns();
	int r = grammar_matcher_apply(h->m, logits, n_vocab);
	h->st->mask_ns += os_mono_ns() - t0;
	h->st->masks++;
	return r < 0 ? r : r == 0 ? 1 : 0;
}

/* After each sample: move the matcher on; stop once nothing but the end can
 * follow. */
static int hook_accept(void *ud, int token)
{
	struct hooks *h = ud;
	int r = grammar_matcher_accept_token(h->m, token);
	return r < 0 ? r : grammar_matcher_is_done(h->m) ? 1 : 0;
}

int lgram_generate(struct lgram *lg, struct lgram_entry *e, struct local_model *m,
                   const int *prompt, int n_prompt, const struct local_gen_params *p,
                   struct buf *out, struct local_gen_result *res, struct lgram_stats *st,
                   struct wr_err *err)
{
	struct local_gen_params q = *p;
	struct hooks h = { e->m, st };
	(void)lg;
	memset(st, 0, sizeof *st);
	grammar_matcher_reset(e->m);
	q.mask = hook_mask;
	q.accept = hook_accept;
	q.ud = &h;
	int rc = local_generate(m, prompt, n_prompt, &q, out, res, err);
	st->complete = grammar_matcher_is_done(e->m) || grammar_matcher_can_end(e->m);
	return rc;
}
