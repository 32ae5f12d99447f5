/* spec.c: loading a workflow file: bytes, YAML, problems, hash.
 *
 * The YAML library never prints: its diagnostics are collected and become
 * problems like any other. Before parsing, the bytes must be UTF-8 with no
 * NUL (libfyaml silently stops at a NUL). Aliases and merge keys are
 * rejected: a workflow reads top to bottom, and an alias can make a small
 * file expand into a huge one. */
#include "spec/spec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/os.h"
#include "spec/spec_int.h"

/* --- problems --- */

__attribute__((format(printf, 5, 0)))
static void add_problem(struct ld *ld, const char *file, struct spec_pos pos,
                        struct spec_pos order, const char *fmt, va_list ap)
{
	char msg[600];
	struct ld_problem *p;

	if (ld->n_probs == LD_MAX_KEPT) {
		ld->n_dropped++;
		return;
	}
	if (ld->n_probs == ld->cap_probs) {
		size_t cap = ld->cap_probs ? ld->cap_probs * 2 : 16;

		p = arena_grow(ld->a, ld->probs, ld->cap_probs * sizeof(*p), cap * sizeof(*p));
		if (!p) {
			ld->oom = 1;
			return;
		}
		ld->probs = p;
		ld->cap_probs = cap;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	p = &ld->probs[ld->n_probs];
	p->file = file;
	p->pos = pos;
	p->order = order;
	p->seq = ld->seq++;
	p->msg = arena_strdup(ld->a, msg);
	if (!p->msg) {
		ld->oom = 1;
		return;
	}
	ld->n_probs++;
}

void ld_problem(struct ld *ld, struct spec_pos pos, const char *fmt, ...)
{
	va_list ap;

	if (pos.line == 0)
		pos = ld->root_pos;
	va_start(ap, fmt);
	add_problem(ld, NULL, pos, pos, fmt, ap);
	va_end(ap);
}

void ld_problem_in(struct ld *ld, const char *file, struct spec_pos pos,
                   struct spec_pos order, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_problem(ld, file, pos, order, fmt, ap);
	va_end(ap);
}

/* Where a node's text ends: after its last scalar; {0, 0} when unknown. */
static struct spec_pos end_pos(struct fy_node *n, int depth)
{
	struct spec_pos p = { 0, 0 };
	struct fy_node_pair *pair, *last = NULL;
	struct fy_node *c, *lastc = NULL;
	void *it = NULL;

	if (!n || depth > 256)
		return p;
	if (fy_node_is_scalar(n)) {
		struct fy_token *t = fy_node_get_scalar_token(n);
		const struct fy_mark *m = t ? fy_token_end_mark(t) : NULL;

		if (m) {
			p.line = m->line + 1;
			p.col = m->column + 1;
		}
		return p;
	}
	if (fy_node_is_mapping(n)) {
		while ((pair = fy_node_mapping_iterate(n, &it)) != NULL)
			last = pair;
		if (!last)
			return p;
		p = end_pos(fy_node_pair_value(last), depth + 1);
		return p.line ? p : end_pos(fy_node_pair_key(last), depth + 1);
	}
	while ((c = fy_node_sequence_iterate(n, &it)) != NULL)
		lastc = c;
	return end_pos(lastc, depth + 1);
}

void ld_problem_missing(struct ld *ld, struct fy_node *container, struct spec_pos pos,
                        const char *fmt, ...)
{
	va_list ap;
	struct spec_pos order;

	if (pos.line == 0)
		pos = ld->root_pos;
	order = end_pos(container, 0);
	if (order.line == 0)
		order = pos;
	va_start(ap, fmt);
	add_problem(ld, NULL, pos, order, fmt, ap);
	va_end(ap);
}

int ld_wants_more(const struct ld *ld)
{
	return ld->n_probs < LD_MAX_REPORTED;
}

static int problem_cmp(const void *pa, const void *pb)
{
	const struct ld_problem *a = pa, *b = pb;

	if (a->order.line != b->order.line)
		return a->order.line < b->order.line ? -1 : 1;
	if (a->order.col != b->order.col)
		return a->order.col < b->order.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void format_problem(const struct ld *ld, const struct ld_problem *p, char *out,
                           size_t size)
{
	const char *file = p->file ? p->file : ld->path;

	if (p->pos.line > 0)
		snprintf(out, size, "%s:%d:%d: %s", file, p->pos.line, p->pos.col, p->msg);
	else
		snprintf(out, size, "%s: %s", file, p->msg);
}

/* Sorts the problems into file order and hands them to the caller. */
int ld_report_problems(struct ld *ld, const struct spec_params *params,
                       struct wr_err *err)
{
	char line[WR_ERR_MAX];
	size_t n = ld->n_probs < LD_MAX_REPORTED ? ld->n_probs : LD_MAX_REPORTED;
	size_t more = ld->n_probs - n + ld->n_dropped;

	qsort(ld->probs, ld->n_probs, sizeof(*ld->probs), problem_cmp);
	for (size_t i = 0; i < n; i++) {
		format_problem(ld, &ld->probs[i], line, sizeof(line));
		if (params && params->on_problem)
			params->on_problem(params->ud, line);
		if (i == 0)
			err_set(err, WR_ESPEC, "%s", line);
	}
	if (more && params && params->on_problem) {
		snprintf(line, sizeof(line), "%s: %zu more problem%s not shown", ld->path, more,
		         more == 1 ? "" : "s");
		params->on_problem(params->ud, line);
	}
	return WR_ESPEC;
}

/* --- positions --- */

struct spec_pos ld_pos(struct fy_node *n, struct spec_pos fallback)
{
	struct spec_pos p = { 0, 0 };
	struct fy_token *t;
	const struct fy_mark *m;
	void *it = NULL;

	for (int depth = 0; n && depth < 256; depth++) {
		if (fy_node_is_scalar(n)) {
			t = fy_node_get_scalar_token(n);
			m = t ? fy_token_start_mark(t) : NULL;
			if (m) {
				p.line = m->line + 1;
				p.col = m->column + 1;
				return p;
			}
			return fallback;
		}
		it = NULL;
		if (fy_node_is_mapping(n)) {
			struct fy_node_pair *pair = fy_node_mapping_iterate(n, &it);

			n = pair ? fy_node_pair_key(pair) : NULL;
		} else {
			n = fy_node_sequence_iterate(n, &it);
		}
	}
	return fallback;
}

struct spec_pos ld_text_pos(const char *text, size_t len, size_t off)
{
	struct spec_pos p = { 1, 1 };

	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

/* --- scalars --- */

/* A single-quoted scalar decoded from the source: '' is a quote, a line
 * break with the spaces around it folds to a space, n blank lines to n
 * newlines. libfyaml 0.7.12 leaks a buffer each time it is asked for the
 * text of a single-quoted scalar holding '', so the loader never asks. */
static const char *single_quoted(struct ld *ld, struct fy_node *n, size_t *len)
{
	struct fy_token *t = fy_node_get_scalar_token(n);
	const struct fy_mark *a = t ? fy_token_start_mark(t) : NULL;
	const struct fy_mark *b = t ? fy_token_end_mark(t) : NULL;
	const char *s;
	char *out;
	size_t i, o = 0, end, keep;

	if (!a || !b || a->input_pos > b->input_pos || b->input_pos > ld->src_len)
		return NULL;
	s = ld->src;
	end = b->input_pos;
	if (!memmem(s + a->input_pos, end - a->input_pos, "''", 2))
		return NULL;  /* no escape: libfyaml's text is safe to use */
	out = arena_alloc(ld->a, end - a->input_pos + 1);
	if (!out) {
		ld->oom = 1;
		return "";
	}
	for (i = a->input_pos; i < end;) {
		if (s[i] == '\'' && i + 1 < end && s[i + 1] == '\'') {
			out[o++] = '\'';
			i += 2;
		} else if (s[i] == '\n' || s[i] == '\r') {
			size_t breaks = 0;

			while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
				o--;  /* trailing spaces of the line */
			while (i < end && strchr(" \t\r\n", s[i])) {
				breaks += s[i] == '\n';
				i++;
			}
			if (breaks <= 1)
				out[o++] = ' ';
			for (keep = 1; keep < breaks; keep++)
				out[o++] = '\n';
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

const char *ld_scalar(struct ld *ld, struct fy_node *n, size_t *len)
{
	const char *s;

	*len = 0;
	if (!n || !fy_node_is_scalar(n) || fy_node_is_alias(n))
		return NULL;
	if (fy_node_get_style(n) == FYNS_SINGLE_QUOTED &&
	    (s = single_quoted(ld, n, len)) != NULL)
		return s;
	s = fy_node_get_scalar(n, len);
	if (!s) {
		*len = 0;
		return "";
	}
	return s;
}

int ld_is_plain(struct fy_node *n)
{
	return n && fy_node_is_scalar(n) && fy_node_get_style(n) == FYNS_PLAIN;
}

static int text_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

int ld_is_null(struct fy_node *n)
{
	size_t len;
	const char *s;

	if (!n)
		return 1;
	if (!ld_is_plain(n))
		return 0;
	s = fy_node_get_scalar(n, &len);
	return s && (len == 0 || text_is(s, len, "~") || text_is(s, len, "null") ||
	             text_is(s, len, "Null") || text_is(s, len, "NULL"));
}

int ld_parse_bool(const char *s, size_t len, int *out)
{
	if (text_is(s, len, "true") || text_is(s, len, "True") || text_is(s, len, "TRUE"))
		*out = 1;
	else if (text_is(s, len, "false") || text_is(s, len, "False") ||
	         text_is(s, len, "FALSE"))
		*out = 0;
	else
		return -1;
	return 0;
}

int ld_parse_int(const char *s, size_t len, long long *out)
{
	char tmp[32], *end;
	size_t i = 0;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	if (s[0] == '-' || s[0] == '+')
		i = 1;
	if (i == len)
		return -1;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	return errno || *end ? -1 : 0;
}

int ld_parse_num(const char *s, size_t len, double *out)
{
	char tmp[64], *end;
	int digits = 0;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits = 1;
		else if (!strchr("+-.eE", s[i]))
			return -1;
	}
	if (!digits)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	*out = strtod(tmp, &end);
	return *end || !isfinite(*out) ? -1 : 0;
}

/* --- named files --- */

int ld_read_named(struct ld *ld, const char *rel, struct spec_pos pos,
                  const char **resolved, const char **bytes, size_t *len)
{
	char path[4096];
	struct buf b = BUF_INIT;
	struct wr_err e = { 0, "" };
	struct ld_named *nf;
	int rc = -1;

	if (os_join(ld->flow->dir, rel, path, sizeof(path)) < 0) {
		ld_problem(ld, pos, "path '%.200s' is too long", rel);
		return -1;
	}
	if (os_read_file(path, LD_MAX_FILE, &b, &e) < 0) {
		if (e.code == WR_ETOOBIG)
			ld_problem(ld, pos, "'%.200s' is larger than %zu bytes", rel, LD_MAX_FILE);
		else {
			const char *why = e.msg;
			size_t pl = strlen(path);

			if (!strncmp(why, path, pl) && !strncmp(why + pl, ": ", 2))
				why += pl + 2;
			ld_problem(ld, pos, "cannot read '%.200s': %s", rel, why);
		}
		goto out;
	}
	if (ld->n_named == ld->cap_named) {
		size_t cap = ld->cap_named ? ld->cap_named * 2 : 8;

		nf = arena_grow(ld->a, ld->named, ld->cap_named * sizeof(*nf), cap * sizeof(*nf));
		if (!nf)
			goto oom;
		ld->named = nf;
		ld->cap_named = cap;
	}
	nf = &ld->named[ld->n_named];
	nf->written = arena_strdup(ld->a, rel);
	nf->bytes = arena_strndup(ld->a, b.data, b.len);
	nf->len = b.len;
	if (!nf->written || !nf->bytes)
		goto oom;
	ld->n_named++;
	if (resolved && !(*resolved = arena_strdup(ld->a, path)))
		goto oom;
	*bytes = nf->bytes;
	*len = nf->len;
	rc = 0;
	goto out;
oom:
	ld->oom = 1;
out:
	buf_release(&b);
	return rc;
}

/* --- indexes --- */

static size_t str_hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int ld_index_init(struct ld *ld, struct ld_index *ix, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	ix->keys = arena_alloc(ld->a, cap * sizeof(*ix->keys));
	ix->vals = arena_alloc(ld->a, cap * sizeof(*ix->vals));
	if (!ix->keys || !ix->vals) {
		ix->cap = 0;
		ld->oom = 1;
		return -1;
	}
	ix->cap = cap;
	return 0;
}

int ld_index_put(struct ld_index *ix, const char *key, int val)
{
	size_t i;

	if (!ix->cap)
		return -1;
	for (i = str_hash(key) & (ix->cap - 1); ix->keys[i]; i = (i + 1) & (ix->cap - 1))
		if (strcmp(ix->keys[i], key) == 0)
			return ix->vals[i];
	ix->keys[i] = key;
	ix->vals[i] = val;
	return -1;
}

int ld_index_get(const struct ld_index *ix, const char *key)
{
	size_t i;

	if (!ix->cap || !key)
		return -1;
	for (i = str_hash(key) & (ix->cap - 1); ix->keys[i]; i = (i + 1) & (ix->cap - 1))
		if (strcmp(ix->keys[i], key) == 0)
			return ix->vals[i];
	return -1;
}

/* --- bytes and YAML --- */

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	unsigned min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, min = 0x80, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, min = 0x800, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Offset of the first byte that is not UTF-8 text (a NUL counts), or len. */
static size_t text_check(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (s[i] == '\0')
			return i;
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

int ld_check_text(struct ld *ld, const char *file, const char *s, size_t len,
                  struct spec_pos order)
{
	size_t bad = text_check(s, len);
	struct spec_pos pos;

	if (bad == len)
		return 0;
	pos = ld_text_pos(s, len, bad);
	if (s[bad] == '\0')
		ld_problem_in(ld, file, pos, file ? order : pos,
		              "NUL byte: a workflow file must be UTF-8 text");
	else
		ld_problem_in(ld, file, pos, file ? order : pos,
		              "invalid UTF-8 (byte 0x%02x): a workflow file must be UTF-8 text",
		              (unsigned char)s[bad]);
	return -1;
}

/* Reports aliases, merge keys, non-scalar keys and scalars that are not
 * text, anywhere in the document, once each. */
static void scan_node(struct ld *ld, struct fy_node *n, int depth)
{
	struct fy_node_pair *pair;
	struct fy_node *k, *c;
	void *it = NULL;
	const char *s;
	size_t len;
	struct spec_pos none = { 0, 0 };

	if (!n)
		return;
	if (depth > 100) {
		ld_problem(ld, ld_pos(n, none), "nesting is too deep");
		return;
	}
	if (fy_node_is_alias(n)) {
		struct spec_pos pos = ld_pos(n, none);

		if (pos.col > 1)
			pos.col--;  /* the token starts after the '*' */
		s = fy_node_get_scalar(n, &len);
		ld_problem(ld, pos,
		           "aliases ('*%.*s') are not supported: write the value out",
		           (int)(len > 60 ? 60 : len), s ? s : "");
		return;
	}
	if (fy_node_is_scalar(n)) {
		/* Only escapes can put a NUL or bad UTF-8 into a scalar: the
		 * source bytes were checked before parsing. */
		if (fy_node_get_style(n) != FYNS_DOUBLE_QUOTED)
			return;
		s = ld_scalar(ld, n, &len);
		if (s && text_check(s, len) != len)
			ld_problem(ld, ld_pos(n, none),
			           "a string holds a NUL or invalid UTF-8 (check its escapes)");
		return;
	}
	if (fy_node_is_sequence(n)) {
		while ((c = fy_node_sequence_iterate(n, &it)) != NULL)
			scan_node(ld, c, depth + 1);
		return;
	}
	while ((pair = fy_node_mapping_iterate(n, &it)) != NULL) {
		k = fy_node_pair_key(pair);
		if (k && fy_node_is_scalar(k) && !fy_node_is_alias(k)) {
			s = ld_scalar(ld, k, &len);
			if (ld_is_plain(k) && text_is(s, len, "<<"))
				ld_problem(ld, ld_pos(k, none),
				           "merge keys ('<<') are not supported: write the keys out");
			else
				scan_node(ld, k, depth + 1);
		} else if (k && fy_node_is_alias(k)) {
			scan_node(ld, k, depth + 1);
		} else if (k) {
			ld_problem(ld, ld_pos(k, none), "keys must be strings");
		} else {
			ld_problem(ld, ld_pos(fy_node_pair_value(pair), none),
			           "keys must be strings");
		}
		scan_node(ld, fy_node_pair_value(pair), depth + 1);
	}
}

static void diag_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;  /* errors are collected instead; nothing is printed */
}

/* Moves the YAML library's errors into problems; returns how many. */
static int take_diag_errors(struct ld *ld, struct fy_diag *diag)
{
	struct fy_diag_error *e;
	void *it = NULL;
	int n = 0;

	while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
		struct spec_pos pos = { e->line > 0 ? e->line : 1, e->column > 0 ? e->column : 1 };

		if (e->type < FYET_ERROR)
			continue;
		ld_problem(ld, pos, "YAML: %s", e->msg ? e->msg : "syntax error");
		n++;
	}
	if (n == 0 && fy_diag_got_error(diag)) {
		struct spec_pos pos = { 1, 1 };

		ld_problem(ld, pos, "YAML: syntax error");
		n = 1;
	}
	return n;
}

/* Parses the source into one document; NULL when there is none (problems
 * recorded). */
struct fy_document *ld_parse_yaml(struct ld *ld, struct fy_parser **fypp,
                                  struct fy_diag **diagp, const char *empty)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg cfg;
	struct fy_document *doc = NULL, *next;
	struct spec_pos start = { 1, 1 };

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_output;
	dcfg.colorize = false;
	*diagp = fy_diag_create(&dcfg);
	if (!*diagp) {
		ld->oom = 1;
		return NULL;
	}
	fy_diag_set_collect_errors(*diagp, true);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_JSON_NONE | FYPCF_DISABLE_RECYCLING;
	cfg.diag = *diagp;
	*fypp = fy_parser_create(&cfg);
	if (!*fypp || fy_parser_set_string(*fypp, ld->src, ld->src_len) != 0) {
		ld->oom = 1;
		return NULL;
	}
	doc = fy_parse_load_document(*fypp);
	if (take_diag_errors(ld, *diagp) > 0)
		goto fail;
	if (!doc || !fy_document_root(doc)) {
		ld_problem(ld, start, "the file is empty: %s", empty);
		goto fail;
	}
	next = fy_parse_load_document(*fypp);
	if (next) {
		struct spec_pos none = { 0, 0 };

		ld_problem(ld, ld_pos(fy_document_root(next), none),
		           "a second YAML document ('---'): a workflow file holds one");
		fy_parse_document_destroy(*fypp, next);
		goto fail;
	}
	if (take_diag_errors(ld, *diagp) > 0)
		goto fail;
	return doc;
fail:
	if (doc)
		fy_parse_document_destroy(*fypp, doc);
	return NULL;
}

/* --- loading --- */

static int set_paths(struct ld *ld, const char *path)
{
	struct spec_flow *f = ld->flow;
	char dir[4096];
	const char *base, *dot;

	if (os_dirname(path, dir, sizeof(dir)) < 0)
		return -1;
	f->path = arena_strdup(ld->a, path);
	f->dir = arena_strdup(ld->a, dir);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	f->name = arena_strndup(ld->a, base, dot && dot != base ? (size_t)(dot - base)
	                                                        : strlen(base));
	return f->path && f->dir && f->name ? 0 : -1;
}

static int compute_hash(struct ld *ld)
{
	struct hash_ctx h;

	if (hash_begin(&h) < 0)
		return -1;
	hash_field(&h, ld->src, ld->src_len);
	for (size_t i = 0; i < ld->n_named; i++) {
		hash_field(&h, ld->named[i].written, strlen(ld->named[i].written));
		hash_field(&h, ld->named[i].bytes, ld->named[i].len);
	}
	hash_end(&h, ld->flow->hash);
	return 0;
}

static int load(const char *path, const char *bytes, size_t len,
                const struct spec_params *params, struct spec_flow **out,
                struct wr_err *err)
{
	struct ld ld;
	struct spec_flow *flow;
	struct fy_parser *fyp = NULL;
	struct fy_diag *diag = NULL;
	struct fy_document *doc = NULL;
	char *src;
	int rc = WR_ENOMEM;

	*out = NULL;
	if (len > LD_MAX_FILE)
		return err_set(err, WR_ETOOBIG, "%s: larger than %zu bytes", path, LD_MAX_FILE);
	flow = calloc(1, sizeof(*flow));
	if (!flow)
		return err_set(err, WR_ENOMEM, "out of memory");
	arena_init(&flow->arena, 0);
	memset(&ld, 0, sizeof(ld));
	ld.flow = flow;
	ld.a = &flow->arena;
	ld.path = path;
	ld.root_pos.line = ld.root_pos.col = 1;
	src = arena_strndup(ld.a, bytes, len);
	if (!src || set_paths(&ld, path) < 0)
		goto out;
	flow->source = ld.src = src;
	flow->source_len = ld.src_len = len;
	if (ld_check_text(&ld, NULL, src, len, ld.root_pos) == 0) {
		doc = ld_parse_yaml(&ld, &fyp, &diag,
		                    "a workflow needs at least 'contract' and 'steps'");
		if (doc) {
			struct fy_node *root = fy_document_root(doc);

			ld.root = root;
			ld.root_pos = ld_pos(root, ld.root_pos);
			scan_node(&ld, root, 0);
			ld_walk(&ld, root);
			if (!ld.oom)
				ld_validate(&ld);
			if (!ld.oom && !ld.n_probs && !ld.n_dropped &&
			    (rc = ld_policy(&ld, params, err)) < 0)
				goto out;
			rc = WR_ENOMEM;
		}
	}
	if (ld.oom)
		goto out;
	if (ld.n_probs || ld.n_dropped) {
		rc = ld_report_problems(&ld, params, err);
		goto out;
	}
	if (compute_hash(&ld) < 0)
		goto out;
	*out = flow;
	flow = NULL;
	rc = 0;
out:
	if (rc == WR_ENOMEM)
		err_set(err, WR_ENOMEM, "%s: out of memory while loading", path);
	if (doc)
		fy_parse_document_destroy(fyp, doc);
	if (fyp)
		fy_parser_destroy(fyp);
	if (diag)
		fy_diag_destroy(diag);
	spec_free(flow);
	return rc;
}

int spec_load_bytes(const char *path, const char *bytes, size_t len,
                    const struct spec_params *params, struct spec_flow **out,
                    struct wr_err *err)
{
	if (!out)
		return err_set(err, WR_EINVAL, "spec_load_bytes: out is NULL");
	*out = NULL;
	if (!path || (!bytes && len))
		return err_set(err, WR_EINVAL, "spec_load_bytes: no path or bytes");
	return load(path, bytes ? bytes : "", len, params, out, err);
}

int spec_load(const char *path, const struct spec_params *params,
              struct spec_flow **out, struct wr_err *err)
{
	struct buf b = BUF_INIT;
	int rc;

	if (!out)
		return err_set(err, WR_EINVAL, "spec_load: out is NULL");
	*out = NULL;
	if (!path)
		return err_set(err, WR_EINVAL, "spec_load: no path");
	rc = os_read_file(path, LD_MAX_FILE, &b, err);
	if (rc == 0 && params && (params->model_overrides || params->prompt_overrides)) {
		struct buf merged = BUF_INIT;

		if ((rc = ld_apply_overrides(path, &b, params, &merged, err)) == 0)
			rc = load(path, merged.data, merged.len, params, out, err);
		buf_release(&merged);
	} else if (rc == 0) {
		rc = load(path, b.data, b.len, params, out, err);
	}
	buf_release(&b);
	return rc;
}

void spec_free(struct spec_flow *flow)
{
	if (!flow)
		return;
	for (size_t i = 0; i < flow->n_steps; i++) {
		for (size_t j = 0; j < flow->steps[i].n_checks; j++)
			check_release(&flow->steps[i].checks[j]);
		if (flow->steps[i].output_schema)
			check_release(flow->steps[i].output_schema);
	}
	for (size_t i = 0; i < flow->context.n_exclude_patterns; i++)
		check_release(&flow->context.exclude_patterns[i]);
	arena_release(&flow->arena);
	free(flow);
}

/* --- names and look-ups --- */

static const char *const step_kind_names[] = { "generate", "check", "approve", "ship",
                                                  "retrieve" };
static const char *const check_kind_names[] = { "json", "contains", "not_contains", "regex",
                                                   "schema", "cites", "expr", "command",
                                                   "critique", "chunks" };

const char *spec_step_kind_name(enum spec_step_kind k)
{
	return (unsigned)k < STEP_KIND_COUNT_ ? step_kind_names[k] : "?";
}

const char *spec_check_kind_name(enum check_kind k)
{
	return (unsigned)k < CHECK_KIND_COUNT_ ? check_kind_names[k] : "?";
}

int spec_step_find(const struct spec_flow *flow, const char *id)
{
	if (!flow || !id)
		return -1;
	if (flow->step_index)
		return ld_index_get(flow->step_index, id);
	for (size_t i = 0; i < flow->n_steps; i++)
		if (flow->steps[i].id && strcmp(flow->steps[i].id, id) == 0)
			return (int)i;
	return -1;
}
