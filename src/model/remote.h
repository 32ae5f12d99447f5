/* remote.h: what the HTTP providers (openai, anthropic) share.
 *
 * Reading options, finding the key, turning a batch of requests into HTTP
 * calls and their answers into responses, and keeping the key out of every
 * string handed back. A provider supplies only its wire format: how to build
 * a request body and how to read a 2xx answer (struct remote_api).
 *
 * Options read from the model's mapping (all optional):
 *
 *     base_url            endpoint root (else the provider's env, else its default)
 *     api_key_env         name of the env var holding the key
 *     timeout             seconds per attempt (default 120)
 *     connect_timeout     seconds (default 10)
 *     max_attempts        tries per call, 1..16 (default 4)
 *     backoff_ms          first backoff ceiling (default 500); doubles per try
 *     backoff_max_ms      backoff and Retry-After cap (default 30000)
 *     max_concurrency     calls in flight in a batch (default 16)
 *     rpm, tpm            requests and tokens per minute (default unlimited)
 *     max_response_bytes  (default 8 MiB)
 *     top_p, seed, stop   sampling settings passed to the API */
#ifndef WR_MODEL_REMOTE_H
#define WR_MODEL_REMOTE_H

#include <jansson.h>

#include "model/http.h"
#include "model/provider.h"

struct remote {
	const char *provider;     /* "openai": for messages */
	const char *name;         /* the model's key under models: */
	const char *model;        /* the API's model id */
	double temperature;       /* -1: unset */
	int64_t max_tokens;       /* 0: unset */
	json_t *opts;             /* the model mapping; owned */
	char *url;                /* the full endpoint URL; owned */
	char *key;                /* the secret, or NULL; owned, wiped on free */
	char **headers;           /* "Name: value"; owned, the auth one holds the key */
	size_t n_headers;
	struct http_client *http;
};

/* What a provider knows about its wire format. */
struct remote_api {
	/* Appends the JSON body for req to body; *cost gets the tokens the call
	 * will be charged before sending (prompt estimate + max output). Returns
	 * 0, or an error code when req cannot be expressed (a bad schema). */
	int (*build)(const struct remote *r, const struct model_request *req,
	             struct buf *body, int64_t *cost, struct wr_err *err);
	/* Reads a 2xx answer into resp (text, tokens, finish, failure, detail). */
	void (*parse)(const struct remote *r, const struct model_request *req,
	              const char *body, size_t len, struct model_response *resp);
};

/* The wire formats, exposed for tests of exact bodies and parsing. */
extern const struct remote_api openai_api;
extern const struct remote_api anthropic_api;

/* Sets up r for m: parses options, resolves the base URL (option base_url,
 * else env base_env, else dflt_base) joined with path, and finds the key
 * (env named by option api_key_env or key_env, else the file named by
 * key_env with "_FILE" appended). A missing key is an error only when the
 * URL is dflt_base's. The caller adds its headers with remote_header_add. */
int remote_init(struct remote *r, const char *provider, const struct spec_model *m,
                const char *base_env, const char *dflt_base, const char *path,
                const char *key_env, struct wr_err *err);
void remote_release(struct remote *r);

/* Appends the header "name: value" (value may be the key). */
int remote_header_add(struct remote *r, const char *name, const char *value,
                      struct wr_err *err);

/* Runs reqs[0..n) (one at a time when n == 1, else through the pool), fills
 * resps, copies the attempts and redacts the key from every string. */
int remote_complete(struct remote *r, const struct remote_api *api,
                    const struct model_request *reqs, struct model_response *resps,
                    size_t n, struct wr_err *err);

/* --- helpers for the wire formats --- */

/* A number option, or dflt when absent or not a number. */
double remote_opt_num(const struct remote *r, const char *key, double dflt);
/* The stop sequences: req->stop, then options.stop (string or list). A new
 * array (json_decref it), or NULL when there are none. */
json_t *remote_stops(const struct remote *r, const struct model_request *req);
/* The stop sequences as the HTTP providers send them: req->stop, then the
 * model options' "stop" (a string or a list); NULL when there are none. The
 * canonical request records the same list. */
json_t *model_stops(json_t *opts, const struct model_request *req);
/* The JSON value of a schema or tool parameters text; NULL with err set
 * when it does not parse. what names it in the message. */
json_t *remote_json_arg(const char *text, const char *what, struct wr_err *err);
/* Dumps v compactly onto b, numbers with 15 significant digits. */
int remote_dump(json_t *v, struct buf *b, struct wr_err *err);
/* Marks resp failed with class f and a printf detail. */
void remote_fail(struct model_response *resp, enum wr_failure f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies a string field of obj into dst (size bytes), "" when absent. */
void remote_copy_str(json_t *obj, const char *key, char *dst, size_t size);
/* Appends a tool call (arguments as JSON text) to resp. */
int remote_tool_call_add(struct model_response *resp, const char *id, const char *name,
                         const char *arguments);
/* Prompt tokens to charge before the answer says: bytes / 4. */
int64_t remote_estimate_in(const struct model_request *req);

#endif
