/* schema_uri.c: the URI arithmetic $id and $ref need (RFC 3986 section 5),
 * and JSON pointers in fragments (RFC 6901). No network: a URI is only a
 * name for a resource found in the same document. */
#include <ctype.h>
#include <string.h>

#include "check/schema_int.h"
#include "core/buf.h"

struct uri_parts {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len, frag_len;
	int has_scheme, has_auth, has_query, has_frag;
};

static void uri_parse(const char *s, struct uri_parts *u)
{
	const char *p = s, *q;

	memset(u, 0, sizeof(*u));
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (isalpha((unsigned char)*p)) {
		q = p;
		while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
			q++;
		if (*q == ':') {
			u->has_scheme = 1;
			u->scheme = p;
			u->scheme_len = (size_t)(q - p);
			p = q + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		u->has_auth = 1;
		u->auth = p;
		while (*p && *p != '/' && *p != '?' && *p != '#')
			p++;
		u->auth_len = (size_t)(p - u->auth);
	}
	u->path = p;
	while (*p && *p != '?' && *p != '#')
		p++;
	u->path_len = (size_t)(p - u->path);
	if (*p == '?') {
		u->has_query = 1;
		u->query = ++p;
		while (*p && *p != '#')
			p++;
		u->query_len = (size_t)(p - u->query);
	}
	if (*p == '#') {
		u->has_frag = 1;
		u->frag = p + 1;
		u->frag_len = strlen(u->frag);
	}
}

/* RFC 3986 5.2.4, on the bytes of b (which holds only the path). */
static void remove_dot_segments(struct buf *in, struct buf *out)
{
	const char *p = in->data;
	size_t n = in->len;

	while (n > 0) {
		if (n >= 3 && !memcmp(p, "../", 3)) {
			p += 3, n -= 3;
		} else if (n >= 2 && !memcmp(p, "./", 2)) {
			p += 2, n -= 2;
		} else if (n >= 3 && !memcmp(p, "/./", 3)) {
			p += 2, n -= 2;
		} else if (n == 2 && !memcmp(p, "/.", 2)) {
			p += 1, n -= 1;
			*(char *)p = '/';
		} else if ((n >= 4 && !memcmp(p, "/../", 4)) || (n == 3 && !memcmp(p, "/..", 3))) {
			if (n == 3) {
				p += 2, n -= 2;
				*(char *)p = '/';
			} else {
				p += 3, n -= 3;
			}
			while (out->len > 0 && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			out->data[out->len] = '\0';
		} else if ((n == 1 && *p == '.') || (n == 2 && !memcmp(p, "..", 2))) {
			n = 0;
		} else {
			size_t k = (*p == '/') ? 1 : 0;

			while (k < n && p[k] != '/')
				k++;
			buf_add(out, p, k);
			p += k, n -= k;
		}
	}
}

static void add_part(struct buf *b, const char *pre, const char *s, size_t n)
{
	buf_adds(b, pre);
	buf_add(b, s, n);
}

char *schema_uri_resolve(struct arena *a, const char *base, const char *ref)
{
	struct uri_parts B, R;
	struct buf out = BUF_INIT, path = BUF_INIT, clean = BUF_INIT;
	const struct uri_parts *q;  /* where the query comes from */
	char *res = NULL;

	uri_parse(base, &B);
	uri_parse(ref, &R);
	if (R.has_scheme) {
		add_part(&out, "", R.scheme, R.scheme_len);
		buf_addc(&out, ':');
		if (R.has_auth)
			add_part(&out, "//", R.auth, R.auth_len);
		buf_add(&path, R.path, R.path_len);
		q = &R;
	} else {
		add_part(&out, "", B.scheme, B.scheme_len);
		if (B.has_scheme)
			buf_addc(&out, ':');
		if (R.has_auth) {
			add_part(&out, "//", R.auth, R.auth_len);
			buf_add(&path, R.path, R.path_len);
			q = &R;
		} else {
			if (B.has_auth)
				add_part(&out, "//", B.auth, B.auth_len);
			if (R.path_len == 0) {
				buf_add(&path, B.path, B.path_len);
				q = R.has_query ? &R : &B;
			} else {
				if (R.path[0] == '/') {
					buf_add(&path, R.path, R.path_len);
				} else {
					/* merge: base path up to its last '/', then ref */
					size_t k = B.path_len;

					while (k > 0 && B.path[k - 1] != '/')
						k--;
					if (B.has_auth && B.path_len == 0)
						buf_addc(&path, '/');
					buf_add(&path, B.path, k);
					buf_add(&path, R.path, R.path_len);
				}
				q = &R;
			}
		}
	}
	remove_dot_segments(&path, &clean);
	buf_add(&out, clean.data, clean.len);
	if (q->has_query)
		add_part(&out, "?", q->query, q->query_len);
	if (R.has_frag)
		add_part(&out, "#", R.frag, R.frag_len);
	res = arena_strndup(a, out.data, out.len);
	buf_release(&out);
	buf_release(&path);
	buf_release(&clean);
	return res;
}

char *schema_uri_split(struct arena *a, const char *uri, const char **frag)
{
	const char *h = strchr(uri, '#');

	*frag = h ? h + 1 : NULL;
	return arena_strndup(a, uri, h ? (size_t)(h - uri) : strlen(uri));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

json_t *schema_pointer_get(json_t *root, const char *frag)
{
	struct buf tok = BUF_INIT;
	json_t *cur = root;
	const char *p = frag;

	if (*p == '\0')
		return root;
	if (*p != '/')
		return NULL;
	while (cur && *p == '/') {
		p++;
		buf_reset(&tok);
		while (*p && *p != '/') {
			int c = (unsigned char)*p++;

			if (c == '%' && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
				c = hexval(p[0]) * 16 + hexval(p[1]);
				p += 2;
			}
			/* ~ escapes apply after percent-decoding (RFC 6901 section 6) */
			if (c == '~' && (p[0] == '0' || p[0] == '1')) {
				c = p[0] == '0' ? '~' : '/';
				p++;
			} else if (c == '~' && p[0] == '%' && p[1] == '3' && (p[2] == '0' || p[2] == '1')) {
				c = p[2] == '0' ? '~' : '/';
				p += 3;
			}
			buf_addc(&tok, (char)c);
		}
		if (json_is_object(cur)) {
			cur = json_object_getn(cur, tok.data, tok.len);
		} else if (json_is_array(cur)) {
			size_t idx = 0;

			if (tok.len == 0 || (tok.len > 1 && tok.data[0] == '0') || tok.len > 9) {
				cur = NULL;
				break;
			}
			for (size_t i = 0; i < tok.len; i++) {
				if (!isdigit((unsigned char)tok.data[i])) {
					cur = NULL;
					break;
				}
				idx = idx * 10 + (size_t)(tok.data[i] - '0');
			}
			if (cur)
				cur = json_array_get(cur, idx);
		} else {
			cur = NULL;
		}
	}
	buf_release(&tok);
	return cur;
}
