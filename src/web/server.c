/* server.c: warrant serve's HTTP side: the listening socket, who may ask
 * (the access token, sessions, CSRF, Host and Origin), security headers,
 * bounded bodies, routing, and a graceful stop on SIGINT/SIGTERM.
 *
 * Where each rule is decided:
 *   web_auth      the access token, a session cookie, or Authorization: Bearer
 *   web_host_ok   the Host header names this server (against DNS rebinding)
 *   web_post_ok   a POST comes from a session, same origin, with its CSRF token
 *   web_send      every response carries the security headers */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "web/mhd_lib.h"
#include "web/web.h"

#define BODY_MAX 16384            /* bytes of a form; larger bodies get 413 */
#define PAGE_MAX (32u << 20)      /* bytes of a rendered page */
#define SESSIONS 64               /* sessions kept; the oldest goes first */

struct session {
	char id[WEB_TOKEN_HEX];
	char csrf[WEB_TOKEN_HEX];
	char reviewer[WEB_NAME_MAX];
	int64_t used_ms;
	int live;
};

struct web {
	struct pool pool;
	char token[WEB_TOKEN_HEX];
	char cookie[32];              /* "wr_session_PORT": one per server */
	char hosts[4][300];           /* Host header values that name us */
	int n_hosts, any_host;
	pthread_mutex_t lock;         /* sessions */
	struct session sessions[SESSIONS];
	pthread_mutex_t decide_lock;  /* decisions and the resumes they start */
	const char *reports_dir;      /* saved eval reports, or "" */
};

/* What a request carries between libmicrohttpd's calls. */
struct body {
	char data[BODY_MAX + 1];
	size_t len;
	int too_big;
};

/* --- small helpers --- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Compares a secret without leaking where it differs. */
static int web_equal(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	volatile unsigned char d = (unsigned char)(na != nb);

	for (size_t i = 0; i < nb; i++)
		d |= (unsigned char)(a[i < na ? i : 0] ^ b[i]);
	return na == nb && d == 0;
}

static int random_hex(char out[WEB_TOKEN_HEX])
{
	unsigned char raw[32];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

const char *web_arg(const struct web_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	return v ? v : "";
}

int web_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= WR_ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* A reviewer's name: what the ledger records after "human:". */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= WEB_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(" ._@-", *s)))
			return 0;
	return 1;
}

/* --- forms: application/x-www-form-urlencoded --- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes src[0..n) into out; -1 when it does not fit or holds a NUL. */
static int form_decode(const char *src, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)src[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n || hexval(src[i + 1]) < 0 || hexval(src[i + 2]) < 0)
				return -1;
			c = hexval(src[i + 1]) * 16 + hexval(src[i + 2]);
			i += 2;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* The value of field name in body; "" when absent; -1 when malformed or
 * longer than size. */
static int form_get(const char *body, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p = body;

	out[0] = '\0';
	while (*p) {
		const char *end = strchr(p, '&'), *eq;

		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq && (size_t)(eq - p) == nl && !memcmp(p, name, nl))
			return form_decode(eq + 1, (size_t)(end - eq - 1), out, size);
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* --- sessions --- */

/* Copies the live session whose id is sid into out; 0 when found. */
static int session_find(struct web *w, const char *sid, struct session *out)
{
	int found = -1;

	if (strlen(sid) != WEB_TOKEN_HEX - 1)
		return -1;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < SESSIONS; i++)
		if (w->sessions[i].live && web_equal(sid, w->sessions[i].id))
			found = i;
	if (found >= 0) {
		w->sessions[found].used_ms = now_ms();
		*out = w->sessions[found];
	}
	pthread_mutex_unlock(&w->lock);
	return found >= 0 ? 0 : -1;
}

static int session_new(struct web *w, struct session *out)
{
	struct session s = { .live = 1 };
	int slot = 0;

	if (random_hex(s.id) < 0 || random_hex(s.csrf) < 0)
		return -1;
	s.used_ms = now_ms();
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < SESSIONS; i++) {
		if (!w->sessions[i].live) {
			slot = i;
			break;
		}
		if (w->sessions[i].used_ms < w->sessions[slot].used_ms)
			slot = i;
	}
	w->sessions[slot] = s;
	pthread_mutex_unlock(&w->lock);
	*out = s;
	return 0;
}

static void session_set_reviewer(struct web *w, const char *sid, const char *name)
{
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < SESSIONS; i++)
		if (w->sessions[i].live && web_equal(sid, w->sessions[i].id))
			snprintf(w->sessions[i].reviewer, sizeof(w->sessions[i].reviewer), "%s", name);
	pthread_mutex_unlock(&w->lock);
}

static void session_end(struct web *w, const char *sid)
{
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < SESSIONS; i++)
		if (w->sessions[i].live && web_equal(sid, w->sessions[i].id))
			memset(&w->sessions[i], 0, sizeof(w->sessions[i]));
	pthread_mutex_unlock(&w->lock);
}

/* --- responses --- */

static const char csp[] =
	"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
	"frame-ancestors 'none'; base-uri 'none'";

/* Sends bytes (taken over: freed by libmicrohttpd) with the security
 * headers every response carries. */
static enum MHD_Result web_send(struct MHD_Connection *conn, unsigned status, const char *type,
                                char *bytes, size_t len, const char *set_cookie,
                                const char *location)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, bytes, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(bytes);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"warrant\"");
	if (set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", set_cookie);
	if (location)
		MHD_add_response_header(resp, "Location", location);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_html(struct MHD_Connection *conn, unsigned status,
                                 struct html *h, const char *set_cookie)
{
	char *s;
	size_t len;

	if (h->failed) {
		html_release(h);
		html_init(h, PAGE_MAX);
		status = (unsigned)page_error(h, 500, "Page too large",
		                              "the page could not be built within its size limit");
	}
	s = h->s ? h->s : strdup("");
	len = h->len;
	h->s = NULL;
	html_release(h);
	if (!s)
		return MHD_NO;
	return web_send(conn, status, "text/html; charset=utf-8", s, len, set_cookie, NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status,
                                  const char *title, const char *msg)
{
	struct html h;

	html_init(&h, PAGE_MAX);
	page_error(&h, (int)status, title, msg);
	return send_html(conn, status, &h, NULL);
}

static enum MHD_Result send_redirect(struct MHD_Connection *conn, const char *location,
                                     const char *set_cookie)
{
	char *empty = strdup("");

	if (!empty)
		return MHD_NO;
	return web_send(conn, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", empty, 0,
	                set_cookie, location);
}

/* --- who may ask --- */

static int web_host_ok(struct web *w, struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");

	if (!host)
		return 0;
	if (w->any_host)
		return 1;
	for (int i = 0; i < w->n_hosts; i++)
		if (!strcmp(host, w->hosts[i]))
			return 1;
	return 0;
}

/* A state change must come from one of our own pages. Browsers say so in
 * Sec-Fetch-Site, which no page can forge; with Referrer-Policy no-referrer
 * they send "Origin: null" on our own form posts, so Origin decides only
 * where Sec-Fetch-Site is absent (an older browser), and must then name us.
 * A client with neither (curl) is judged by the CSRF token alone. */
static int web_origin_ok(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	char want[320];

	snprintf(want, sizeof(want), "http://%s", host ? host : "");
	if (origin && strcmp(origin, want) != 0 && (strcmp(origin, "null") != 0 || !site))
		return 0;
	return !site || !strcmp(site, "same-origin");
}

/* --- routes --- */

int web_hash_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 8 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static enum MHD_Result do_decide(struct web *w, struct MHD_Connection *conn,
                                 const struct session *s, const char *run_ref,
                                 const char *body)
{
	char step[WR_ID_MAX], decision[16], reviewer[WEB_NAME_MAX], note[4096];
	char id[WR_ID_MAX], location[256];
	struct wr_store *store = NULL;
	struct wr_run_result res;
	struct wr_err err;
	enum wr_decision d;
	int rc;

	if (form_get(body, "step", step, sizeof(step)) < 0 ||
	    form_get(body, "decision", decision, sizeof(decision)) < 0 ||
	    form_get(body, "reviewer", reviewer, sizeof(reviewer)) < 0 ||
	    form_get(body, "note", note, sizeof(note)) < 0)
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "Bad form",
		                  "a field is malformed or too long (a note takes up to 4000 bytes)");
	if (!web_id_ok(step))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "Bad form", "which step?");
	if (!name_ok(reviewer))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "Bad form",
		                  "give your name as the reviewer: 1 to 64 letters, digits, "
		                  "spaces or . _ @ -");
	if (!strcmp(decision, "approve"))
		d = WR_APPROVE;
	else if (!strcmp(decision, "reject"))
		d = WR_REJECT;
	else
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "Bad form",
		                  "the decision is approve or reject");
	if (d == WR_REJECT && !note[0])
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "A reason is needed",
		                  "a rejection needs a reason in the note");
	session_set_reviewer(w, s->id, reviewer);
	if (pool_get(&w->pool, &store, &err) < 0)
		return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Store error", err.msg);
	pthread_mutex_lock(&w->decide_lock);
	rc = cli_decide(store, run_ref, step, d, reviewer, note, id, &err);
	if (rc == 0 && d == WR_APPROVE &&
	    (rc = cli_continue(store, id, reviewer, NULL, NULL, 0, NULL, &res, &err)) < 0) {
		/* The approval stands (it is in the ledger); only the run stopped. */
		char msg[WR_ERR_MAX + 256];

		pthread_mutex_unlock(&w->decide_lock);
		pool_put(&w->pool, store);
		fprintf(stderr, "warrant serve: run %s: approved by %s, but it could not "
		        "continue: %s\n", id, reviewer, err.msg);
		snprintf(msg, sizeof(msg), "The approval was recorded, but the run could not "
		         "continue: %s. Continue it with: warrant resume %s", err.msg, id);
		return send_error(conn, rc == WR_EBUSY ? MHD_HTTP_CONFLICT :
		                  MHD_HTTP_INTERNAL_SERVER_ERROR, "Approved; the run did not continue",
		                  msg);
	}
	pthread_mutex_unlock(&w->decide_lock);
	pool_put(&w->pool, store);
	if (rc < 0) {
		fprintf(stderr, "warrant serve: %s of %s/%s by %s refused: %s\n", decision,
		        run_ref, step, reviewer, err.msg);
		return send_error(conn, rc == WR_ENOTFOUND ? MHD_HTTP_NOT_FOUND :
		                  rc == WR_ESTATE || rc == WR_EBUSY ? MHD_HTTP_CONFLICT :
		                  rc == WR_EINVAL ? MHD_HTTP_BAD_REQUEST :
		                  MHD_HTTP_INTERNAL_SERVER_ERROR, "Decision not recorded", err.msg);
	}
	fprintf(stderr, "warrant serve: run %s: step '%s' %s by %s\n", id, step,
	        d == WR_APPROVE ? "approved" : "rejected", reviewer);
	snprintf(location, sizeof(location), "/runs/%s?decided=%s", id,
	         d == WR_APPROVE ? "approved" : "rejected");
	return send_redirect(conn, location, NULL);
}

/* Renders one of the read-only pages with a store lent for the request. */
static enum MHD_Result render(struct web *w, struct MHD_Connection *conn, const char *url,
                              const struct session *s)
{
	struct web_req r = { .conn = conn, .path = url, .csrf = "", .reviewer = "",
	                     .store_path = w->pool.path, .reports_dir = w->reports_dir };
	struct html h;
	struct wr_err err;
	int status;

	if (s) {
		r.csrf = s->csrf;
		r.reviewer = s->reviewer;
	}
	if (pool_get(&w->pool, &r.store, &err) < 0)
		return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Store error", err.msg);
	html_init(&h, PAGE_MAX);
	if (!strcmp(url, "/runs"))
		status = page_runs(&r, &h);
	else if (!strncmp(url, "/runs/", 6))
		status = page_run(&r, url + 6, &h);
	else if (!strncmp(url, "/artifact/", 10))
		status = page_why(&r, url + 10, &h);
	else if (!strcmp(url, "/evals"))
		status = page_evals(&r, &h);
	else if (!strncmp(url, "/evals/", 7))
		status = page_eval(&r, url + 7, &h);
	else if (!strcmp(url, "/queue"))
		status = page_queue(&r, &h);
	else
		status = page_failures(&r, &h);
	pool_put(&w->pool, r.store);
	return send_html(conn, (unsigned)status, &h, NULL);
}

static enum MHD_Result route(struct web *w, struct MHD_Connection *conn, const char *url,
                             int post, const struct session *s, const char *body)
{
	char cookie[160];

	if (!post) {
		if (!strcmp(url, "/static/app.css")) {
			char *css = strdup(web_css);

			return css ? web_send(conn, MHD_HTTP_OK, "text/css; charset=utf-8", css,
			                      strlen(css), NULL, NULL) : MHD_NO;
		}
		if (!strcmp(url, "/"))
			return send_redirect(conn, "/runs", NULL);
		if (!strcmp(url, "/runs") || !strcmp(url, "/queue") || !strcmp(url, "/failures") ||
		    (!strncmp(url, "/runs/", 6) && web_id_ok(url + 6)) ||
		    (!strncmp(url, "/artifact/", 10) && web_hash_ok(url + 10)) ||
		    !strcmp(url, "/evals") ||
		    (!strncmp(url, "/evals/", 7) && web_report_name_ok(url + 7)))
			return render(w, conn, url, s);
		return send_error(conn, MHD_HTTP_NOT_FOUND, "Not found", "no such page");
	}
	if (!strcmp(url, "/logout")) {
		session_end(w, s->id);
		snprintf(cookie, sizeof(cookie), "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
		         w->cookie);
		{
			struct html h;

			html_init(&h, PAGE_MAX);
			page_error(&h, 200, "Signed out",
			           "open the address warrant serve printed to sign in again");
			return send_html(conn, MHD_HTTP_OK, &h, cookie);
		}
	}
	if (!strncmp(url, "/runs/", 6)) {
		char run[WR_ID_MAX];
		const char *slash = strchr(url + 6, '/');
		size_t n = slash ? (size_t)(slash - (url + 6)) : 0;

		if (slash && n < sizeof(run) && !strcmp(slash, "/decide")) {
			memcpy(run, url + 6, n);
			run[n] = '\0';
			if (web_id_ok(run))
				return do_decide(w, conn, s, run, body);
		}
	}
	return send_error(conn, MHD_HTTP_NOT_FOUND, "Not found", "no such form");
}

/* Who is asking: a session (cookie), the token (Bearer), or a first visit
 * with ?token= (which makes a session and redirects to drop the token from
 * the address bar). Returns 1 to go on, 0 when a response was queued. */
static int web_auth(struct web *w, struct MHD_Connection *conn, const char *url, int post,
                    struct session *s, int *has_session, enum MHD_Result *ret)
{
	const char *sid = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, w->cookie);
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *tok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	char cookie[200], where[64];

	*has_session = 0;
	if (sid && session_find(w, sid, s) == 0) {
		*has_session = 1;
		return 1;
	}
	if (auth && !strncmp(auth, "Bearer ", 7) && web_equal(auth + 7, w->token))
		return 1;
	if (tok && !post && web_equal(tok, w->token)) {
		if (session_new(w, s) < 0) {
			*ret = send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "No session",
			                  "no random bytes for a session");
			return 0;
		}
		snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict",
		         w->cookie, s->id);
		/* Back to the page asked for, without the token in the address. */
		snprintf(where, sizeof(where), "%s",
		         !strcmp(url, "/queue") || !strcmp(url, "/failures") ? url : "/runs");
		*ret = send_redirect(conn, where, cookie);
		return 0;
	}
	*ret = send_error(conn, MHD_HTTP_UNAUTHORIZED, "Sign in needed",
	                  "open the address that warrant serve printed when it started "
	                  "(it carries the access token), or send Authorization: Bearer TOKEN");
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct body *b = *con_cls;
	struct session s;
	enum MHD_Result ret = MHD_NO;
	int post = !strcmp(method, "POST"), has_session;
	char csrf[WEB_TOKEN_HEX + 8];
	const char *type;

	if (!b) {  /* headers are in: stop a body too large before reading it */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             "Content-Length");

		if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
			return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
			                  "a form takes up to 16 KiB");
		if (!(b = calloc(1, sizeof(*b))))
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		if (b->len + *upload_size > BODY_MAX) {
			b->too_big = 1;
		} else {
			memcpy(b->data + b->len, upload, *upload_size);
			b->len += *upload_size;
			b->data[b->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!post && strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
		                  "pages are read with GET; decisions are POSTed from forms");
	if (!web_host_ok(w, conn))
		return send_error(conn, MHD_HTTP_FORBIDDEN, "Wrong host",
		                  "this server answers only to the address it printed");
	if (!web_auth(w, conn, url, post, &s, &has_session, &ret))
		return ret;
	if (!post)
		return route(w, conn, url, 0, has_session ? &s : NULL, "");
	if (!has_session)
		return send_error(conn, MHD_HTTP_FORBIDDEN, "Forbidden",
		                  "forms need a session: open the address warrant serve printed");
	if (!web_origin_ok(conn))
		return send_error(conn, MHD_HTTP_FORBIDDEN, "Forbidden",
		                  "the form did not come from this server");
	if (b->too_big)
		return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
		                  "a form takes up to 16 KiB");
	type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!type || strncmp(type, "application/x-www-form-urlencoded", 33) != 0)
		return send_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Bad form",
		                  "forms are application/x-www-form-urlencoded");
	if (form_get(b->data, "csrf", csrf, sizeof(csrf)) < 0 || !web_equal(csrf, s.csrf))
		return send_error(conn, MHD_HTTP_FORBIDDEN, "Forbidden",
		                  "the form's CSRF token is missing or wrong: reload the page");
	return route(w, conn, url, 1, &s, b->data);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
	free(*con_cls);
	*con_cls = NULL;
}

/* --- start and stop --- */

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
static int split_listen(const char *addr, char *host, size_t size, char *port, size_t psize)
{
	const char *colon = strrchr(addr, ':');
	size_t n;

	if (!colon || !colon[1] || colon == addr)
		return -1;
	n = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (n < 3 || addr[n - 1] != ']')
			return -1;
		addr++;
		n -= 2;
	}
	if (n >= size || strlen(colon + 1) >= psize)
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return 0;
}

/* A listening socket, or minus an exit code (after saying why). */
static int open_listener(const char *addr, char *host, size_t hsize, int *port_out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char port[16];
	int fd = -1, one = 1, rc;

	if (split_listen(addr, host, hsize, port, sizeof(port)) < 0)
		return -cli_fail(WR_EXIT_USAGE, "--listen takes HOST:PORT (e.g. 127.0.0.1:8080), "
		                "not '%s'", addr);
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return -cli_fail(WR_EXIT_USAGE, "--listen %s: %s", addr, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		rc = cli_fail(WR_EXIT_USAGE, "--listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -rc;
	}
	freeaddrinfo(ai);
	*port_out = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
	                                           : ((struct sockaddr_in *)&sa)->sin_port);
	return fd;
}

/* The token from --token-file when it holds one, else a fresh one (written
 * there, mode 0600, when a file is named). */
static int load_token(const char *file, char token[WEB_TOKEN_HEX])
{
	FILE *f;
	size_t n;

	if (file && (f = fopen(file, "r"))) {
		n = fread(token, 1, WEB_TOKEN_HEX - 1, f);
		fclose(f);
		token[n] = '\0';
		token[strcspn(token, "\r\n")] = '\0';
		if (strlen(token) < 32)
			return cli_fail(WR_EXIT_USAGE, "%s: an access token has at least 32 "
			                "characters", file);
		return 0;
	}
	if (random_hex(token) < 0)
		return cli_fail(WR_EXIT_INTERNAL, "getrandom: %s", strerror(errno));
	if (file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0 || write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
		    write(fd, "\n", 1) != 1) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			return cli_fail(WR_EXIT_USAGE, "%s: %s", file, strerror(e));
		}
		close(fd);
	}
	return 0;
}

static int is_loopback(const char *host)
{
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "::1");
}

int web_serve(const struct web_params *p)
{
	struct web *w;
	struct MHD_Daemon *d = NULL;
	struct wr_err err;
	sigset_t sigs;
	char host[256];
	const char *why;
	int fd = -1, port = 0, rc = WR_EXIT_INTERNAL, sig = 0;

	if (mhd_lib_load(&why) < 0)
		return cli_fail(WR_EXIT_INTERNAL, "%s", why);
	if (!(w = calloc(1, sizeof(*w))))
		return cli_fail(WR_EXIT_INTERNAL, "out of memory");
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->decide_lock, NULL);
	w->reports_dir = p->reports_dir ? p->reports_dir : "";
	if ((rc = load_token(p->token_file, w->token)))
		goto out_free;
	if (pool_init(&w->pool, p->store_path, p->sign_key, &err) < 0) {
		rc = cli_fail(cli_exit_for(err.code), "%s", err.msg);
		goto out_free;
	}
	if ((fd = open_listener(p->listen, host, sizeof(host), &port)) < 0) {
		rc = -fd;
		fd = -1;
		goto out_pool;
	}
	snprintf(w->cookie, sizeof(w->cookie), "wr_session_%d", port);
	w->any_host = !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
	snprintf(w->hosts[w->n_hosts++], sizeof(w->hosts[0]), strchr(host, ':') ? "[%s]:%d" :
	         "%s:%d", host, port);
	if (is_loopback(host)) {
		snprintf(w->hosts[w->n_hosts++], sizeof(w->hosts[0]), "localhost:%d", port);
		snprintf(w->hosts[w->n_hosts++], sizeof(w->hosts[0]), "127.0.0.1:%d", port);
		snprintf(w->hosts[w->n_hosts++], sizeof(w->hosts[0]), "[::1]:%d", port);
	}
	/* The threads libmicrohttpd starts inherit this mask: only the main
	 * thread takes SIGINT and SIGTERM, in sigwait below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG,
	                     0, NULL, NULL, on_request, w,
	                     MHD_OPTION_LISTEN_SOCKET, fd,
	                     MHD_OPTION_THREAD_POOL_SIZE, 4u,
	                     MHD_OPTION_CONNECTION_LIMIT, 128u,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
	                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
	                     MHD_OPTION_END);
	if (!d) {
		rc = cli_fail(WR_EXIT_INTERNAL, "could not start the HTTP server on %s", p->listen);
		goto out_pool;
	}
	if (!is_loopback(host))
		fprintf(stderr, "warrant serve: listening on %s, beyond this machine: plain HTTP, "
		        "the token is the only lock\n", host);
	printf("warrant serve: http://%s/?token=%s\n", w->hosts[0], w->token);
	printf("  store %s; Ctrl-C stops\n", p->store_path);
	fflush(stdout);
	while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	fprintf(stderr, "warrant serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	MHD_stop_daemon(d);  /* waits for the requests in flight */
	fd = -1;             /* closed with the daemon */
	rc = 0;
out_pool:
	if (fd >= 0)
		close(fd);
	pool_release(&w->pool);
out_free:
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->decide_lock);
	explicit_bzero(w, sizeof(*w));
	free(w);
	return rc;
}
