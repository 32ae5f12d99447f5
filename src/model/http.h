/* http.h: HTTP for model providers, on libcurl.
 *
 * One http_client per opened provider. It sends a single call on a kept-alive
 * easy handle (http_client_do), or many calls at once on the multi interface
 * (http_client_run): connection reuse, HTTP/2 multiplexing where a TLS server
 * offers it, at most max_concurrency calls in flight, and token buckets for
 * requests per minute and tokens per minute shared by both paths.
 *
 * Both paths retry the same way: 408, 409, 429, 5xx, connection errors,
 * timeouts and truncated bodies are retried up to max_attempts times, waiting
 * for the server's Retry-After (seconds, HTTP date, or retry-after-ms) when it
 * sends one, else an exponential backoff with full jitter. Every attempt is
 * recorded in the call, so the engine can show each one.
 *
 * A client is used by one thread at a time. It never prints, never raises
 * signals (CURLOPT_NOSIGNAL) and keeps no secret anywhere but the headers the
 * caller gave it. */
#ifndef WR_MODEL_HTTP_H
#define WR_MODEL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "warrant.h"

#define HTTP_ATTEMPTS_MAX 16

struct http_params {
	int max_concurrency;        /* calls in flight at once (run); default 16 */
	int max_attempts;           /* tries per call, 1..HTTP_ATTEMPTS_MAX; default 4 */
	int64_t backoff_base_ms;    /* first backoff ceiling; default 500 */
	int64_t backoff_max_ms;     /* backoff ceiling and Retry-After cap; default 30000 */
	int64_t connect_timeout_ms; /* default 10000 */
	int64_t timeout_ms;         /* whole attempt, connect included; default 120000 */
	size_t max_response;        /* body bytes kept; above it the call fails; default 8 MiB */
	double rpm;                 /* requests per minute; 0: unlimited */
	double tpm;                 /* tokens per minute (http_call.cost_tokens); 0: unlimited */
};

struct http_params http_default_params(void);

/* What one attempt did. Times are milliseconds. */
struct http_attempt {
	int status;                 /* HTTP status, 0 when no answer came */
	int curl_code;              /* CURLcode; 0 when the transfer completed */
	int64_t start_ms;           /* since the call began (rate-limit waits included) */
	int64_t latency_ms;         /* from sending to the end of the answer */
	int64_t retry_after_ms;     /* the server's Retry-After, -1 when absent */
	int64_t wait_ms;            /* pause chosen before the next attempt, 0 when last */
};

/* One request and, once run, its outcome. Fill the inputs, run it, read the
 * outputs, then http_call_release. Inputs are borrowed and must live until
 * the call has run. */
struct http_call {
	/* in */
	const char *url;
	const char *const *headers; /* "Name: value" lines */
	size_t n_headers;
	const char *body;           /* POSTed when not NULL, else GET */
	size_t body_len;
	int64_t cost_tokens;        /* charged to the tokens/min bucket before sending */

	/* out */
	int status;                 /* of the last attempt; 0 when none answered */
	struct buf resp;            /* the last attempt's body */
	enum wr_failure failure;    /* NONE for a 2xx; PROVIDER_ERROR or TIMEOUT otherwise */
	char detail[160];           /* why it failed: "HTTP 500 after 4 attempts" ... */
	int n_attempts;
	struct http_attempt attempt[HTTP_ATTEMPTS_MAX];
	int64_t total_ms;           /* from the start of the call to its end */

	/* private */
	void *easy_;                /* CURL * while in flight in a run */
	void *slist_;
	uint64_t start_ns_, not_before_ns_, sent_ns_;
	int state_;
	int64_t retry_after_ms_;
	int too_big_;
	char errbuf_[256];
};

void http_call_init(struct http_call *c);
void http_call_release(struct http_call *c);

struct http_client;

/* A new client with params p (NULL: defaults). */
int http_client_new(const struct http_params *p, struct http_client **out,
                    struct wr_err *err);
void http_client_free(struct http_client *c);

/* Runs one call to completion, retries included. Returns 0 when the call ran
 * (its outcome is in c->failure), WR_ENOMEM or WR_EPROVIDER when it could
 * not be set up. */
int http_client_do(struct http_client *cl, struct http_call *c, struct wr_err *err);

/* Runs calls[0..n) to completion, at most max_concurrency at once. Same
 * return as http_client_do; each call's outcome is in the call. */
int http_client_run(struct http_client *c, struct http_call *calls, size_t n,
                    struct wr_err *err);

/* Adds tokens actually used beyond (or below) what a call was charged, so the
 * tokens/min bucket follows real usage. */
void http_client_settle(struct http_client *c, int64_t charged, int64_t used);

/* Statistics, for tests and the benchmark. */
struct http_stats {
	int64_t calls, attempts;
	int max_in_flight;          /* the most calls ever in flight at once */
	int64_t rate_waits;         /* times a call waited for a bucket */
};
void http_client_stats(const struct http_client *c, struct http_stats *out);

/* A short description of an attempt's curl_code ("Timeout was reached"). */
const char *http_strerror(int curl_code);

/* Parses a Retry-After value (delta seconds or HTTP date) into milliseconds
 * from now_s (Unix seconds); -1 when it does not parse. */
int64_t http_parse_retry_after(const char *value, int64_t now_s);

#endif
