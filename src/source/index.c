/* index.c: documents into the store's source index, and retrieval. */
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/os.h"
#include "source/chunk.h"
#include "store/store.h"

#define FILE_MAX ((size_t)256 << 20)
#define BATCH_BYTES ((int64_t)16 << 20)
#define MAX_DIRS 256

struct files {
	char **rel;                 /* relative to the root, sorted */
	size_t n, cap;
	char root[PATH_MAX];
	size_t root_len;
	int oom;
};

static struct files *walking;   /* nftw has no user pointer */

static int is_document(const char *path)
{
	static const char *const ext[] = { ".txt", ".md", ".markdown", ".json", ".csv",
	                                   ".text", ".rst", NULL };
	const char *dot = strrchr(path, '.');

	for (int i = 0; dot && ext[i]; i++)
		if (!strcasecmp(dot, ext[i]))
			return 1;
	return 0;
}

/* real relative to the root ("" for the root itself), or NULL when it lies
 * outside. */
static const char *rel_of(const struct files *f, const char *real)
{
	if (f->root_len == 1)  /* the root is "/" */
		return real + 1;
	if (strncmp(real, f->root, f->root_len) != 0)
		return NULL;
	if (!real[f->root_len])
		return real + f->root_len;
	return real[f->root_len] == '/' ? real + f->root_len + 1 : NULL;
}

/* Adds a file by its real path, if it lies under the root. */
static int add_file(struct files *f, const char *real, struct wr_err *err)
{
	const char *rel = rel_of(f, real);
	char **p;

	if (!rel || !rel[0])
		return err_set(err, WR_EINVAL, "%s is outside the index root %s", real, f->root);
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;

		if (!(p = realloc(f->rel, cap * sizeof(*p))))
			return err_set(err, WR_ENOMEM, "out of memory");
		f->rel = p;
		f->cap = cap;
	}
	if (!(f->rel[f->n] = strdup(rel)))
		return err_set(err, WR_ENOMEM, "out of memory");
	f->n++;
	return 0;
}

static int on_walk(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	char real[PATH_MAX];
	struct wr_err err;

	if (ftw->level > 0 && base[0] == '.')  /* .git, .warrant and other hidden things */
		return type == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	if (type != FTW_F || !is_document(path))
		return FTW_CONTINUE;
	if (!realpath(path, real) || add_file(walking, real, &err) < 0)
		return FTW_CONTINUE;  /* outside the root through a link: left out */
	return FTW_CONTINUE;
}

static int add_path(struct files *f, const char *path, char **prefixes, size_t *n_prefixes,
                    struct wr_err *err)
{
	char real[PATH_MAX];
	struct stat sb;

	if (!realpath(path, real) || stat(real, &sb) < 0)
		return err_set(err, WR_EINVAL, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		const char *rel = rel_of(f, real);

		if (!rel)
			return err_set(err, WR_EINVAL, "%s is outside the index root %s", path, f->root);
		if (*n_prefixes >= MAX_DIRS)
			return err_set(err, WR_EINVAL, "at most %d folders at once", MAX_DIRS);
		if (!(prefixes[(*n_prefixes)++] = strdup(rel)))
			return err_set(err, WR_ENOMEM, "out of memory");
		walking = f;
		if (nftw(real, on_walk, 32, FTW_PHYS | FTW_ACTIONRETVAL) < 0)
			return err_set(err, WR_EIO, "%s: %s", path, strerror(errno));
		return f->oom ? err_set(err, WR_ENOMEM, "out of memory") : 0;
	}
	if (!S_ISREG(sb.st_mode))
		return err_set(err, WR_EINVAL, "%s: not a file or directory", path);
	return add_file(f, real, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct adding {
	struct store *st;
	void *stmt;
	const char *rel, *text;
	char stem[PATH_MAX];
	int ordinal, rc;
	struct wr_err *err;
};

static int add_chunk(void *ud, size_t start, size_t end)
{
	struct adding *a = ud;
	char label[PATH_MAX + 16], h[HASH_HEX];

	snprintf(label, sizeof(label), "%s#%d", a->stem, ++a->ordinal);
	hash_hex(a->text + start, end - start, h);
	a->rc = store_chunk_add(a->st, &a->stmt, a->rel, a->ordinal, label, (int64_t)start,
	                        (int64_t)end, h, a->text + start, end - start, a->err);
	return a->rc < 0;
}

struct run {
	struct store *st;
	const struct wr_index_params *p;
	struct chunk_params cp;
	char params[64];
	void (*on_file)(void *ud, const char *path, const char *what);
	void *ud;
	struct wr_index_report *rep;
	void *stmt;
	int64_t batch;
};

static void tell(struct run *r, const char *path, const char *what)
{
	if (r->on_file)
		r->on_file(r->ud, path, what);
}

static int one_file(struct run *r, const struct files *f, const char *rel, struct wr_err *err)
{
	struct store_source old, now;
	struct adding a;
	struct buf bytes = BUF_INIT;
	char path[PATH_MAX * 2];
	struct stat sb;
	int rc, known;
	char *dot;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	if (stat(path, &sb) < 0)
		return err_set(err, WR_EIO, "%s: %s", path, strerror(errno));
	if ((rc = store_source_get(r->st, rel, &old, err)) < 0 && rc != WR_ENOTFOUND)
		return rc;
	known = rc == 0;
	memset(&now, 0, sizeof(now));
	now.size = (int64_t)sb.st_size;
	now.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	snprintf(now.params, sizeof(now.params), "%s", r->params);
	if (known && old.size == now.size && old.mtime_ns == now.mtime_ns &&
	    !strcmp(old.params, now.params)) {
		r->rep->unchanged++;
		tell(r, rel, "unchanged");
		return 0;
	}
	if ((rc = os_read_file(path, FILE_MAX, &bytes, err)) < 0)
		return rc;
	if (memchr(bytes.data, '\0', bytes.len < 8192 ? bytes.len : 8192)) {
		rc = known ? store_source_drop(r->st, rel, err) : 0;
		tell(r, rel, "skipped: binary");
		goto out;
	}
	hash_hex(bytes.data, bytes.len, now.hash);
	if (known && !strcmp(old.hash, now.hash) && !strcmp(old.params, now.params)) {
		now.chunks = old.chunks;
		rc = store_source_put(r->st, rel, &now, err);  /* touched, not changed */
		r->rep->unchanged++;
		tell(r, rel, "unchanged");
		goto out;
	}
	if (known && (rc = store_source_drop(r->st, rel, err)) < 0)
		goto out;
	memset(&a, 0, sizeof(a));
	a.st = r->st;
	a.stmt = r->stmt;
	a.rel = rel;
	a.text = bytes.data;
	a.err = err;
	snprintf(a.stem, sizeof(a.stem), "%s", rel);
	if ((dot = strrchr(a.stem, '.')) && !strchr(dot, '/'))
		*dot = '\0';
	chunk_text(bytes.data, bytes.len, chunk_format_of(rel), &r->cp, add_chunk, &a);
	r->stmt = a.stmt;
	if ((rc = a.rc) < 0)
		goto out;
	now.chunks = a.ordinal;
	if ((rc = store_source_put(r->st, rel, &now, err)) < 0)
		goto out;
	r->rep->indexed++;
	r->rep->chunks += a.ordinal;
	r->rep->bytes += (int64_t)bytes.len;
	r->batch += (int64_t)bytes.len;
	tell(r, rel, "indexed");
out:
	buf_release(&bytes);
	return rc;
}

struct forget {
	const struct files *f;
	char **prefixes;
	size_t n_prefixes;
	char **gone;
	size_t n_gone;
	int oom;
};

/* Indexed files under a walked directory that the walk did not find. */
static int find_gone(void *ud, const char *path)
{
	struct forget *g = ud;
	int under = 0;

	for (size_t i = 0; i < g->n_prefixes && !under; i++) {
		size_t n = strlen(g->prefixes[i]);

		under = n == 0 || (!strncmp(path, g->prefixes[i], n) && path[n] == '/');
	}
	if (!under || bsearch(&path, g->f->rel, g->f->n, sizeof(char *), cmp_str))
		return 0;
	char **p = realloc(g->gone, (g->n_gone + 1) * sizeof(*p));

	if (!p || !(p[g->n_gone] = strdup(path))) {
		g->gone = p ? p : g->gone;
		g->oom = 1;
		return 1;
	}
	g->gone = p;
	g->n_gone++;
	return 0;
}

static int commit_batch(struct run *r, int again, struct wr_err *err)
{
	int rc = store_commit(r->st, err);

	r->batch = 0;
	return rc < 0 || !again ? rc : store_begin(r->st, err);
}

int wr_index(struct wr_store *store, const struct wr_index_params *p,
             void (*on_file)(void *ud, const char *path, const char *what), void *ud,
             struct wr_index_report *report, struct wr_err *err)
{
	struct wr_index_report local = { 0 };
	struct files f;
	struct run r;
	struct forget g;
	char *prefixes[MAX_DIRS];
	size_t n_prefixes = 0;
	int mode, rc = 0, in_txn = 0;
	double t0 = (double)os_mono_ns();

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	r.rep = report ? report : &local;
	memset(r.rep, 0, sizeof(*r.rep));
	if (!store || !p || !p->n_paths)
		return err_set(err, WR_EINVAL, "wr_index: a store and at least one path are required");
	if ((mode = chunk_mode_parse(p->chunk ? p->chunk : "paragraph")) < 0)
		return err_set(err, WR_EINVAL, "unknown chunking '%s' (paragraph, heading or size)",
		               p->chunk);
	if (p->n_paths > 256)
		return err_set(err, WR_EINVAL, "at most 256 paths at once");
	if (!realpath(p->root ? p->root : ".", f.root))
		return err_set(err, WR_EINVAL, "%s: %s", p->root ? p->root : ".", strerror(errno));
	f.root_len = strlen(f.root);
	r.st = (struct store *)store;
	r.p = p;
	r.cp.mode = (enum chunk_mode)mode;
	r.cp.max_bytes = p->max_bytes ? p->max_bytes : CHUNK_MAX_DEFAULT;
	snprintf(r.params, sizeof(r.params), "%s/%zu", p->chunk ? p->chunk : "paragraph",
	         r.cp.max_bytes);
	r.on_file = on_file;
	r.ud = ud;
	for (size_t i = 0; i < p->n_paths && rc == 0; i++) {
		glob_t gl;

		if (strpbrk(p->paths[i], "*?[")) {
			if (glob(p->paths[i], 0, NULL, &gl) != 0) {
				rc = err_set(err, WR_EINVAL, "%s: matches nothing", p->paths[i]);
				break;
			}
			for (size_t j = 0; j < gl.gl_pathc && rc == 0; j++)
				rc = add_path(&f, gl.gl_pathv[j], prefixes, &n_prefixes, err);
			globfree(&gl);
		} else {
			rc = add_path(&f, p->paths[i], prefixes, &n_prefixes, err);
		}
	}
	if (rc < 0)
		goto out;
	qsort(f.rel, f.n, sizeof(*f.rel), cmp_str);
	r.rep->files = (int)f.n;
	if ((rc = store_sources_init(r.st, err)) < 0 || (rc = store_begin(r.st, err)) < 0)
		goto out;
	in_txn = 1;
	if ((rc = store_sources_tune(r.st, err)) < 0)
		goto out;
	for (size_t i = 0; i < f.n; i++) {
		if (i && !strcmp(f.rel[i], f.rel[i - 1]))
			continue;  /* named twice */
		if ((rc = one_file(&r, &f, f.rel[i], err)) < 0 ||
		    (r.batch >= BATCH_BYTES && (rc = commit_batch(&r, 1, err)) < 0))
			goto out;
	}
	g.f = &f;
	g.prefixes = prefixes;
	g.n_prefixes = n_prefixes;
	if ((rc = store_sources_each(r.st, find_gone, &g, err)) < 0)
		goto out;
	if (g.oom) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < g.n_gone; i++) {
		if ((rc = store_source_drop(r.st, g.gone[i], err)) < 0)
			goto out;
		r.rep->removed++;
		tell(&r, g.gone[i], "removed");
	}
	rc = commit_batch(&r, 0, err);
	in_txn = 0;
out:
	if (in_txn)
		store_rollback(r.st);
	store_stmt_free(r.stmt);
	r.rep->seconds = ((double)os_mono_ns() - t0) / 1e9;
	for (size_t i = 0; i < f.n; i++)
		free(f.rel[i]);
	free(f.rel);
	for (size_t i = 0; i < n_prefixes; i++)
		free(prefixes[i]);
	for (size_t i = 0; i < g.n_gone; i++)
		free(g.gone[i]);
	free(g.gone);
	return rc;
}

/* Free text into an FTS5 expression: each word quoted, any of them. */
static int fts_query(const char *q, char *out, size_t size)
{
	size_t n = 0;
	int words = 0;

	out[0] = '\0';
	while (*q && words < 64) {
		const char *w;

		while (*q && !((unsigned char)*q >= 0x80 || (*q >= '0' && *q <= '9') ||
		               (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
			q++;
		for (w = q; (unsigned char)*q >= 0x80 || (*q >= '0' && *q <= '9') ||
		            (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'); q++)
			;
		if (q == w)
			break;
		if (n + (size_t)(q - w) + 8 >= size)
			break;
		n += (size_t)snprintf(out + n, size - n, "%s\"%.*s\"", words ? " OR " : "",
		                      (int)(q - w), w);
		words++;
	}
	return words;
}

int wr_retrieve(struct wr_store *store, const char *query, int top_k, const char *glob,
                int (*fn)(void *ud, const struct wr_hit *h), void *ud, struct wr_err *err)
{
	char match[4096];
	int rc;

	if (!store || !query || !fn)
		return err_set(err, WR_EINVAL, "wr_retrieve: store, query and fn are required");
	if (top_k < 1 || top_k > 1000)
		return err_set(err, WR_EINVAL, "top_k must be 1..1000, not %d", top_k);
	if (!fts_query(query, match, sizeof(match)))
		return err_set(err, WR_EINVAL, "the query has no words to search for");
	if ((rc = store_sources_init((struct store *)store, err)) < 0)
		return rc;
	return store_search((struct store *)store, match, top_k, glob, fn, ud, err);
}
