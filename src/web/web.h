/* web.h: warrant serve, the review desk: a local web UI over a store.
 *
 * Part of the warrant binary, not of libwarrant: like the rest of the CLI it
 * reaches the store only through include/warrant.h. libmicrohttpd parses
 * HTTP; this module decides who may do what (server.c), renders pages
 * (html.c, pages.c, queue.c) and escapes every byte that came from a model,
 * a document or a request.
 *
 * Threads: a small pool of libmicrohttpd threads answers requests. A store
 * handle is never shared between two requests at once (pool.c lends one to
 * each request); decisions and the resumes they start are serialised by one
 * mutex, because a run's claim is per process, not per thread. */
#ifndef WR_WEB_WEB_H
#define WR_WEB_WEB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "warrant.h"

/* --- html.c: a page being written --- */

/* A growable, NUL-terminated buffer with a cap; past the cap (or out of
 * memory) it stops growing and failed is set, and the page is not sent. */
struct html {
	char *s;
	size_t len, cap, max;
	int failed;
};

void html_init(struct html *h, size_t max);
void html_release(struct html *h);
/* Trusted text: markup written by this module, never data. */
void html_raw(struct html *h, const char *s);
void html_rawf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Untrusted text, escaped for element content and quoted attribute values:
 * & < > " ' become entities; control bytes other than \n \t \r show as
 * \xNN. */
void html_text(struct html *h, const char *s);
void html_textn(struct html *h, const char *s, size_t n);
/* Untrusted text as one percent-encoded URL component (safe in attributes). */
void html_url(struct html *h, const char *s);
/* A state, status, failure or pass/fail word as a coloured badge. */
void html_badge(struct html *h, const char *word);
/* The page around the content: head, stylesheet link, navigation. */
void html_page_start(struct html *h, const char *title, const char *active);
void html_page_end(struct html *h);
/* A local time "YYYY-MM-DD HH:MM:SS" of epoch milliseconds. */
void html_time(struct html *h, int64_t ms);

extern const char web_css[];

/* --- pool.c: store handles lent to requests --- */

struct pool {
	pthread_mutex_t lock;
	char path[4096];
	const char *sign_key;       /* WARRANT_SIGNING_KEY, or NULL */
	struct wr_store *idle[8];
	int n_idle;
};

int pool_init(struct pool *p, const char *path, const char *sign_key, struct wr_err *err);
void pool_release(struct pool *p);
/* A store handle for this request only; give it back with pool_put. */
int pool_get(struct pool *p, struct wr_store **out, struct wr_err *err);
void pool_put(struct pool *p, struct wr_store *store);

/* --- server.c --- */

#define WEB_TOKEN_HEX 65        /* 32 random bytes as hex, NUL-terminated */
#define WEB_NAME_MAX 65         /* a reviewer's name, NUL included */

struct web_params {
	const char *listen;         /* "127.0.0.1:0" etc. */
	const char *store_path;
	const char *token_file;     /* NULL: a fresh token, printed only */
	const char *sign_key;       /* NULL: ledger entries unsigned */
	const char *reports_dir;    /* saved eval reports (warrant eval --json), or NULL */
};

/* Serves until SIGINT or SIGTERM; a WR_EXIT_* code. Prints the URL with
 * the access token on stdout when ready. */
int web_serve(const struct web_params *p);

/* What a page handler gets: the store for this request, the query
 * arguments, the session's CSRF token and reviewer name. */
struct web_req {
	struct wr_store *store;
	void *conn;                 /* struct MHD_Connection */
	const char *path;           /* decoded path, "/runs/abc" */
	const char *csrf;           /* "" without a session (Bearer access) */
	const char *reviewer;       /* the session's last reviewer name, or "" */
	const char *store_path;     /* the store's path, as given to the server */
	const char *reports_dir;    /* web_params.reports_dir: "" when none */
	int queue_waiting;          /* runs waiting, for the navigation */
};

/* A query argument, or "" when absent. */
const char *web_arg(const struct web_req *r, const char *name);
/* True when s is a plausible run id or step id: 1-63 of [A-Za-z0-9._-]. */
int web_id_ok(const char *s);

/* --- pages.c and queue.c: each renders into h and returns an HTTP status
 * (200; 4xx or 5xx with an error page in h). --- */

int page_runs(struct web_req *r, struct html *h);
int page_run(struct web_req *r, const char *run_id, struct html *h);
int page_failures(struct web_req *r, struct html *h);
int page_queue(struct web_req *r, struct html *h);
/* /artifact/HASH: the artifact's chain of custody, retrieved chunks marked
 * in their documents (why.c); ref is 8 to 64 hex digits. */
int page_why(struct web_req *r, const char *ref, struct html *h);
/* A run's spans as a waterfall table (trace.c); a WR_E* code on error,
 * with nothing written but what was before. */
int html_trace(struct html *h, struct wr_store *store, const char *run_id, struct wr_err *err);
/* /evals: the saved eval reports; /evals/NAME: one (evals.c). */
int page_evals(struct web_req *r, struct html *h);
int page_eval(struct web_req *r, const char *name, struct html *h);
/* True when s names a report file: [A-Za-z0-9._-], not starting with '.',
 * ending in ".json", 64 bytes at most. */
int web_report_name_ok(const char *s);
/* True when s is 8 to 64 hex digits: an artifact hash or a prefix of one. */
int web_hash_ok(const char *s);
/* The approve/reject form for one waiting step (queue.c). */
void html_decide_form(struct html *h, const struct web_req *r, const char *run_id,
                      const char *step_id);
/* An artifact's content in a <pre>, read and verified by hash. */
void html_artifact(struct html *h, struct wr_store *store, const char *hash);
/* An error page: status and an escaped message. */
int page_error(struct html *h, int status, const char *title, const char *msg);

#endif
