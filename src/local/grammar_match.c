/* grammar_match.c: the recognizer and the token mask.
 *
 * The grammar runs as a pushdown automaton over bytes. A stack is a list of
 * positions: the top is the byte set to match next, those below are where
 * to go on when a rule ends (a rule called last in an alternative pushes
 * nothing, so x* and right recursion do not grow the stack). Stacks are
 * interned in a tree of (parent, position) nodes, so each has an id.
 *
 * What the matcher is in after some bytes is a set of stacks (the grammar
 * may be ambiguous); sets are interned as states, and a state's successor
 * for each byte is computed once and kept in a 256-entry row: a lazily
 * built DFA. For a grammar without unbounded nesting (JSON Schema without
 * recursive $ref) the states are finite and few, so after warming up every
 * byte costs one table load.
 *
 * The mask walks the vocab trie in preorder from the current state, one
 * table load per node, skipping a subtree as soon as its prefix dies. The
 * finished mask is kept per state: a later visit to the same state (the
 * inside of a string, the start of each array item) is a copy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/err.h"
#include "local/grammar_int.h"

#define DEAD (-1)
#define UNKNOWN (-2)
#define ENDED (-4)              /* in the history: eos was accepted */
#define STACKS_MAX (1 << 26)

struct snode {
	int32_t parent;  /* stack id below, 0 = the empty stack */
	int32_t pos;     /* element to match next */
};

struct dstate {
	uint32_t off, n;     /* stack ids in pool[off .. off + n), sorted */
	uint8_t accept;      /* holds the empty stack: the grammar may end */
	uint8_t only_end;    /* holds nothing else */
	int16_t plain;       /* plain tokens up to this many bytes are allowed, and only
	                      * they: -1 when that is not so, -2 not known yet */
	int32_t count;       /* allowed tokens, when mask is set */
	uint32_t *mask;      /* cached mask or NULL */
};

struct grammar_matcher {
	const struct grammar *g;
	const struct grammar_vocab *v;
	struct grammar_matcher_params p;
	int n_words;

	struct snode *sn;
	int32_t n_sn, cap_sn;
	int32_t *sn_hash;    /* open addressing: stack id or 0 */
	uint32_t sn_hash_cap;

	struct dstate *st;
	int32_t n_st, cap_st;
	uint32_t *pool;
	size_t n_pool, cap_pool;
	int32_t *st_hash;    /* open addressing: state id + 1 or 0 */
	uint32_t st_hash_cap;
	int32_t *trans;      /* n_st * 256 successors: state, DEAD or UNKNOWN; mapped
	                      * memory, grown with mremap so that no growth copies */
	size_t trans_bytes;

	uint32_t *tmp;       /* closure output */
	size_t n_tmp, cap_tmp;

	int32_t *hist;       /* state after each accepted token; hist[0] the start */
	int n_hist, cap_hist;

	int32_t *walk;       /* state per trie depth */
	uint32_t *scratch;   /* a mask for grammar_matcher_apply */
	size_t cache_bytes;
	long hits, misses;
	int start;
};

struct grammar_matcher_params grammar_matcher_default_params(void)
{
	struct grammar_matcher_params p = { 65536, (size_t)64 << 20 };
	return p;
}

static uint32_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* --- stacks --- */

static int sn_rehash(struct grammar_matcher *m)
{
	uint32_t cap = m->sn_hash_cap ? m->sn_hash_cap * 2 : 1024;
	int32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return WR_ENOMEM;
	for (int32_t id = 1; id < m->n_sn; id++) {
		uint32_t i = mix(((uint64_t)(uint32_t)m->sn[id].parent << 32) | (uint32_t)m->sn[id].pos);
		while (h[i & (cap - 1)])
			i++;
		h[i & (cap - 1)] = id;
	}
	free(m->sn_hash);
	m->sn_hash = h;
	m->sn_hash_cap = cap;
	return 0;
}

/* The id of the stack parent + pos; negative on error. */
static int32_t sn_intern(struct grammar_matcher *m, int32_t parent, int32_t pos)
{
	uint32_t i = mix(((uint64_t)(uint32_t)parent << 32) | (uint32_t)pos);
	int32_t id;

	for (;; i++) {
		id = m->sn_hash[i & (m->sn_hash_cap - 1)];
		if (!id)
			break;
		if (m->sn[id].parent == parent && m->sn[id].pos == pos)
			return id;
	}
	if (m->n_sn >= STACKS_MAX)
		return WR_ETOOBIG;
	if (m->n_sn == m->cap_sn) {
		int32_t cap = m->cap_sn * 2;
		struct snode *s = realloc(m->sn, (size_t)cap * sizeof(*s));
		if (!s)
			return WR_ENOMEM;
		m->sn = s;
		m->cap_sn = cap;
	}
	id = m->n_sn++;
	m->sn[id].parent = parent;
	m->sn[id].pos = pos;
	if ((uint32_t)m->n_sn * 2 > m->sn_hash_cap)
		return sn_rehash(m) < 0 ? WR_ENOMEM : id;
	m->sn_hash[i & (m->sn_hash_cap - 1)] = id;
	return id;
}

static int tmp_push(struct grammar_matcher *m, uint32_t sid)
{
	if (m->n_tmp == m->cap_tmp) {
		size_t cap = m->cap_tmp ? m->cap_tmp * 2 : 64;
		uint32_t *t = realloc(m->tmp, cap * sizeof(*t));
		if (!t)
			return WR_ENOMEM;
		m->tmp = t;
		m->cap_tmp = cap;
	}
	m->tmp[m->n_tmp++] = sid;
	return 0;
}

/* Adds to tmp the stacks with a byte set on top (or the empty stack) that
 * stack sid expands to. */
static int closure(struct grammar_matcher *m, int32_t sid)
{
	const struct grammar *g = m->g;
	struct snode node;
	struct gelem e;
	int32_t base;
	int rc;

	for (;;) {
		if (sid == 0)
			return tmp_push(m, 0);
		node = m->sn[sid];
		e = g->elems[node.pos];
		if (e.kind == GE_BYTES)
			return tmp_push(m, (uint32_t)sid);
		if (e.kind == GE_RULE)
			break;
		sid = node.parent;  /* GE_END: the rule is done */
	}
	if (g->elems[node.pos + 1].kind == GE_END)
		base = node.parent;
	else if ((base = sn_intern(m, node.parent, node.pos + 1)) < 0)
		return base;
	for (int a = g->rule_alt[e.arg]; a < g->rule_alt[e.arg + 1]; a++) {
		int32_t top = g->alts[a];
		int32_t child = g->elems[top].kind == GE_END ? base : sn_intern(m, base, top);
		if (child < 0)
			return child;
		if ((rc = closure(m, child)) < 0)
			return rc;
	}
	return 0;
}

/* --- states --- */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t list_hash(const uint32_t *s, size_t n)
{
	uint64_t h = n;
	for (size_t i = 0; i < n; i++)
		h = h * 0x100000001b3ULL + s[i] + 1;
	return mix(h);
}

static int st_rehash(struct grammar_matcher *m)
{
	uint32_t cap = m->st_hash_cap ? m->st_hash_cap * 2 : 1024;
	int32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return WR_ENOMEM;
	for (int32_t id = 0; id < m->n_st; id++) {
		uint32_t i = list_hash(m->pool + m->st[id].off, m->st[id].n);
		while (h[i & (cap - 1)])
			i++;
		h[i & (cap - 1)] = id + 1;
	}
	free(m->st_hash);
	m->st_hash = h;
	m->st_hash_cap = cap;
	return 0;
}

static int trans_grow(struct grammar_matcher *m, size_t bytes)
{
	void *p;

	if (m->trans)
		p = mremap(m->trans, m->trans_bytes, bytes, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return WR_ENOMEM;
	m->trans = p;
	m->trans_bytes = bytes;
	return 0;
}

/* The state holding the stacks in tmp (sorted and made unique here). */
static int32_t st_intern(struct grammar_matcher *m)
{
	size_t n = 0, i;
	uint32_t h;
	int32_t id;

	qsort(m->tmp, m->n_tmp, sizeof(*m->tmp), u32_cmp);
	for (i = 0; i < m->n_tmp; i++)
		if (n == 0 || m->tmp[i] != m->tmp[n - 1])
			m->tmp[n++] = m->tmp[i];
	m->n_tmp = n;
	h = list_hash(m->tmp, n);
	for (;; h++) {
		id = m->st_hash[h & (m->st_hash_cap - 1)] - 1;
		if (id < 0)
			break;
		if (m->st[id].n == n && memcmp(m->pool + m->st[id].off, m->tmp, n * 4) == 0)
			return id;
	}
	if (m->n_st >= m->p.max_states)
		return WR_ETOOBIG;
	if (m->n_st == m->cap_st) {
		int32_t cap = m->cap_st ? m->cap_st * 2 : 64;
		struct dstate *s = realloc(m->st, (size_t)cap * sizeof(*s));
		if (s)
			m->st = s;
		if (!s || trans_grow(m, (size_t)cap * 256 * sizeof(*m->trans)) < 0)
			return WR_ENOMEM;
		m->cap_st = cap;
	}
	if (m->n_pool + n > m->cap_pool) {
		size_t cap = m->cap_pool ? m->cap_pool * 2 : 1024;
		while (cap < m->n_pool + n)
			cap *= 2;
		uint32_t *p = realloc(m->pool, cap * sizeof(*p));
		if (!p)
			return WR_ENOMEM;
		m->pool = p;
		m->cap_pool = cap;
	}
	id = m->n_st++;
	memcpy(m->pool + m->n_pool, m->tmp, n * 4);
	m->st[id] = (struct dstate){ (uint32_t)m->n_pool, (uint32_t)n, n > 0 && m->tmp[0] == 0,
	                             n == 1 && m->tmp[0] == 0, -2, 0, NULL };
	m->n_pool += n;
	for (i = 0; i < 256; i++)
		m->trans[(size_t)id * 256 + i] = UNKNOWN;
	if ((uint32_t)m->n_st * 2 > m->st_hash_cap)
		return st_rehash(m) < 0 ? WR_ENOMEM : id;
	m->st_hash[h & (m->st_hash_cap - 1)] = id + 1;
	return id;
}

/* The successor of state s on byte b: a state, DEAD, or a negative error
 * below DEAD. Fills the transition table. */
static int32_t step_slow(struct grammar_matcher *m, int32_t s, unsigned b)
{
	const struct grammar *g = m->g;
	int32_t r;
	int rc;

	m->n_tmp = 0;
	for (uint32_t i = 0; i < m->st[s].n; i++) {
		uint32_t sid = m->pool[m->st[s].off + i];
		if (sid == 0)
			continue;
		struct snode node = m->sn[sid];
		if (!gset_has(&g->sets[g->elems[node.pos].arg], b))
			continue;
		if (g->elems[node.pos + 1].kind == GE_END)
			rc = closure(m, node.parent);
		else if ((r = sn_intern(m, node.parent, node.pos + 1)) < 0)
			rc = r;
		else
			rc = closure(m, r);
		if (rc < 0)
			return rc;
	}
	r = m->n_tmp ? st_intern(m) : DEAD;
	if (r >= DEAD)
		m->trans[(size_t)s * 256 + b] = r;
	return r;
}

static inline int32_t step(struct grammar_matcher *m, int32_t s, unsigned b)
{
	int32_t r = m->trans[(size_t)s * 256 + b];
	return r == UNKNOWN ? step_slow(m, s, b) : r;
}

/* --- the matcher --- */

int grammar_matcher_new(const struct grammar *g, const struct grammar_vocab *v,
                        const struct grammar_matcher_params *p,
                        struct grammar_matcher **out, struct wr_err *err)
{
	struct grammar_matcher *m = calloc(1, sizeof(*m));
	int rc = WR_ENOMEM;

	if (!m)
		goto out;
	m->g = g;
	m->v = v;
	m->p = p ? *p : grammar_matcher_default_params();
	if (m->p.max_states < 1)
		m->p.max_states = 1;
	m->n_words = (v->n_tokens + 31) / 32;
	m->cap_sn = 1024;
	m->sn = malloc((size_t)m->cap_sn * sizeof(*m->sn));
	m->walk = malloc(((size_t)v->max_len + 1) * sizeof(*m->walk));
	m->scratch = malloc((size_t)m->n_words * 4);
	m->cap_hist = 64;
	m->hist = malloc((size_t)m->cap_hist * sizeof(*m->hist));
	if (!m->sn || !m->walk || !m->scratch || !m->hist)
		goto out;
	m->sn[0] = (struct snode){ 0, -1 };
	m->n_sn = 1;
	if ((rc = sn_rehash(m)) < 0 || (rc = st_rehash(m)) < 0)
		goto out;
	m->n_tmp = 0;
	for (int a = g->rule_alt[g->root]; a < g->rule_alt[g->root + 1]; a++) {
		int32_t top = g->alts[a];
		int32_t sid = g->elems[top].kind == GE_END ? 0 : sn_intern(m, 0, top);
		if ((rc = sid < 0 ? sid : closure(m, sid)) < 0)
			goto out;
	}
	if ((rc = m->start = st_intern(m)) < 0)
		goto out;
	m->hist[0] = m->start;
	m->n_hist = 1;
	*out = m;
	m = NULL;
	rc = 0;
out:
	if (rc < 0)
		err_set(err, rc, "grammar matcher: %s", wr_strerror(rc));
	grammar_matcher_free(m);
	return rc;
}

void grammar_matcher_free(struct grammar_matcher *m)
{
	if (!m)
		return;
	for (int32_t i = 0; i < m->n_st; i++)
		free(m->st[i].mask);
	free(m->sn);
	free(m->sn_hash);
	free(m->st);
	free(m->pool);
	free(m->st_hash);
	if (m->trans)
		munmap(m->trans, m->trans_bytes);
	free(m->tmp);
	free(m->hist);
	free(m->walk);
	free(m->scratch);
	free(m);
}

void grammar_matcher_reset(struct grammar_matcher *m)
{
	m->n_hist = 1;
}

static int32_t cur(const struct grammar_matcher *m)
{
	return m->hist[m->n_hist - 1];
}

/* Walks trie tr from state s, setting the bits of live tokens. */
static int mask_walk(struct grammar_matcher *m, const struct gtrie *tr, int32_t s,
                     uint32_t *mask)
{
	const struct grammar_vocab *v = m->v;
	const uint8_t *byte = tr->byte;
	const uint16_t *depth = tr->depth;
	const uint32_t *skip = tr->skip;
	const int32_t *tok = tr->tok;
	int32_t *walk = m->walk;
	size_t i = 0, n = tr->n_nodes;
	int count = 0;

	walk[0] = s;
	while (i < n) {
		unsigned d = depth[i];
		int32_t ns = m->trans[(size_t)walk[d - 1] * 256 + byte[i]];
		if (ns == UNKNOWN && (ns = step_slow(m, walk[d - 1], byte[i])) < DEAD)
			return ns;
		if (ns == DEAD) {
			i = skip[i];
			continue;
		}
		walk[d] = ns;
		for (int32_t t = tok[i]; t >= 0; t = v->dup[t]) {
			mask[t >> 5] |= 1u << (t & 31);
			count++;
		}
		i++;
	}
	return count;
}

/* How long the plain tokens allowed from state s may be: follows the chain
 * of states where every plain byte goes to one same next state, until all
 * die (the length so far), the state loops (any length), or they part
 * (-1: the plain tokens need the walk too). Known once per state. */
static int plain_depth(struct grammar_matcher *m, int32_t s)
{
	int32_t at = s;
	int d = m->v->plain_max;

	if (m->st[s].plain > -2)
		return m->st[s].plain;
	for (int len = 1; len <= m->v->plain_max; len++) {
		int32_t next = UNKNOWN;
		int dead = 0, parted = 0;
		for (unsigned b = 0x20; b < 0x7F && !parted; b++) {
			if (!grammar_byte_plain(b))
				continue;
			int32_t r = step(m, at, b);
			if (r < DEAD)
				return r;
			if (r == DEAD)
				dead = 1;
			else if (next == UNKNOWN)
				next = r;
			else if (next != r)
				parted = 1;
		}
		if (parted || (dead && next != UNKNOWN)) {
			d = -1;
			break;
		}
		if (dead) {
			d = len - 1;
			break;
		}
		if (next == at)
			break;
		at = next;
	}
	m->st[s].plain = (int16_t)d;
	return d;
}

int grammar_matcher_fill_mask(struct grammar_matcher *m, uint32_t *mask)
{
	size_t bytes = (size_t)m->n_words * 4;
	int32_t s = cur(m);
	struct dstate *d;
	int count;

	memset(mask, 0, bytes);
	if (s == ENDED)
		return 0;
	if (m->st[s].mask) {
		m->hits++;
		memcpy(mask, m->st[s].mask, bytes);
		return m->st[s].count;
	}
	m->misses++;
	int pd = plain_depth(m, s);
	if (pd < -1)
		return pd;
	if (pd >= 0) {  /* the plain tokens up to pd bytes, and a walk of the others */
		memcpy(mask, m->v->plain_le + (size_t)m->n_words * (size_t)pd, bytes);
		if ((count = mask_walk(m, &m->v->rest, s, mask)) < 0)
			return count;
		count += m->v->n_plain_le[pd];
	} else if ((count = mask_walk(m, &m->v->all, s, mask)) < 0) {
		return count;
	}
	d = &m->st[s];
	if (d->accept && m->v->eos >= 0) {
		mask[m->v->eos >> 5] |= 1u << (m->v->eos & 31);
		count++;
	}
	if (m->cache_bytes + bytes <= m->p.mask_cache_bytes && (d->mask = malloc(bytes))) {
		memcpy(d->mask, mask, bytes);
		d->count = count;
		m->cache_bytes += bytes;
	}
	return count;
}

int grammar_matcher_apply(void *ud, float *logits, int n_vocab)
{
	struct grammar_matcher *m = ud;
	int rc;

	if (n_vocab != m->v->n_tokens)
		return WR_EINVAL;
	if ((rc = grammar_matcher_fill_mask(m, m->scratch)) < 0)
		return rc;
	int full = n_vocab / 32;
	for (int w = 0; w < full; w++) {
		uint32_t bits = m->scratch[w];
		float *l = logits + w * 32;
		if (bits == 0xFFFFFFFFu)
			continue;
		if (bits == 0) {  /* the common case outside strings: a plain store loop */
			for (int i = 0; i < 32; i++)
				l[i] = -INFINITY;
			continue;
		}
		for (int i = 0; i < 32; i++)
			if (!((bits >> i) & 1))
				l[i] = -INFINITY;
	}
	for (int i = full * 32; i < n_vocab; i++)
		if (!((m->scratch[i >> 5] >> (i & 31)) & 1))
			logits[i] = -INFINITY;
	return rc;
}

static int hist_push(struct grammar_matcher *m, int32_t s)
{
	if (m->n_hist == m->cap_hist) {
		int cap = m->cap_hist * 2;
		int32_t *h = realloc(m->hist, (size_t)cap * sizeof(*h));
		if (!h)
			return WR_ENOMEM;
		m->hist = h;
		m->cap_hist = cap;
	}
	m->hist[m->n_hist++] = s;
	return 0;
}

int grammar_matcher_accept_bytes(struct grammar_matcher *m, const char *s, size_t len)
{
	int32_t st = cur(m);

	if (st == ENDED)
		return WR_EINVAL;
	for (size_t i = 0; i < len; i++) {
		st = step(m, st, (unsigned char)s[i]);
		if (st == DEAD)
			return WR_EINVAL;
		if (st < DEAD)
			return st;
	}
	return hist_push(m, st);
}

int grammar_matcher_accept_token(struct grammar_matcher *m, int id)
{
	const struct grammar_vocab *v = m->v;
	int32_t s = cur(m);

	if (id < 0 || id >= v->n_tokens || s == ENDED)
		return WR_EINVAL;
	if (id == v->eos)
		return m->st[s].accept ? hist_push(m, ENDED) : WR_EINVAL;
	if (v->len[id] == 0 || v->len[id] > GRAMMAR_DEPTH_MAX)
		return WR_EINVAL;
	return grammar_matcher_accept_bytes(m, v->bytes[id], v->len[id]);
}

int grammar_matcher_accept(void *ud, int token)
{
	return grammar_matcher_accept_token(ud, token);
}

int grammar_matcher_is_done(const struct grammar_matcher *m)
{
	int32_t s = cur(m);
	return s == ENDED || m->st[s].only_end;
}

int grammar_matcher_can_end(const struct grammar_matcher *m)
{
	int32_t s = cur(m);
	return s == ENDED || m->st[s].accept;
}

int grammar_matcher_rollback(struct grammar_matcher *m, int n)
{
	if (n < 0 || n > m->n_hist - 1)
		return WR_EINVAL;
	m->n_hist -= n;
	return 0;
}

void grammar_matcher_stats(const struct grammar_matcher *m, int *states, long *hits,
                           long *misses)
{
	if (states)
		*states = m->n_st;
	if (hits)
		*hits = m->hits;
	if (misses)
		*misses = m->misses;
}
