/* http.c: libcurl calls with retries, a concurrent pool and rate limits.
 *
 * A call moves through WAITING (not sent yet, or pausing before a retry),
 * FLIGHT (an attempt is on the wire) and DONE. The single path and the pool
 * share attempt_setup and attempt_finish, so they retry, time out and record
 * attempts the same way; they differ only in how they wait. */
#include "model/http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "model/curl_lib.h"
#include "core/os.h"

enum { CALL_WAITING, CALL_FLIGHT, CALL_DONE };
enum { FINISH_DONE, FINISH_RETRY };

#define NS_PER_MS 1000000ull

/* --- token buckets --- */

/* Tokens refill continuously at rate per second up to cap, which is one
 * second's worth: providers enforce per-minute limits over shorter windows,
 * so a burst of a whole minute's quota would be refused anyway. */
struct bucket {
	double rate;    /* per second; 0: unlimited */
	double cap;
	double tokens;  /* may go negative when usage exceeded what was charged */
	uint64_t last_ns;
};

static void bucket_init(struct bucket *b, double per_minute, uint64_t now)
{
	b->rate = per_minute > 0 ? per_minute / 60.0 : 0;
	b->cap = b->rate > 1 ? b->rate : 1;
	b->tokens = b->cap;
	b->last_ns = now;
}

static void bucket_refill(struct bucket *b, uint64_t now)
{
	if (!b->rate || now <= b->last_ns)
		return;
	b->tokens += b->rate * (double)(now - b->last_ns) / 1e9;
	if (b->tokens > b->cap)
		b->tokens = b->cap;
	b->last_ns = now;
}

/* Nanoseconds until cost can be taken (0: now). A cost above the cap waits
 * for a full bucket, then drives it negative, so it still goes through. */
static uint64_t bucket_wait(struct bucket *b, double cost, uint64_t now)
{
	double need;

	if (!b->rate)
		return 0;
	bucket_refill(b, now);
	need = cost < b->cap ? cost : b->cap;
	if (b->tokens >= need)
		return 0;
	return (uint64_t)((need - b->tokens) / b->rate * 1e9) + 1;
}

/* --- the client --- */

struct http_client {
	struct http_params p;
	CURL *easy;            /* the single path's handle: keeps its connection */
	CURLM *multi;          /* the pool: its connection cache serves all calls */
	CURL **idle;           /* easy handles free for the pool */
	int n_idle;
	struct bucket rpm, tpm;
	struct http_stats stats;
	uint64_t rng;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static const char *curl_load_failure;

static void curl_init_once(void)
{
	if (curl_lib_load(&curl_load_failure) < 0) {
		curl_init_rc = CURLE_FAILED_INIT;
		return;
	}
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http_params http_default_params(void)
{
	struct http_params p = {
		.max_concurrency = 16,
		.max_attempts = 4,
		.backoff_base_ms = 500,
		.backoff_max_ms = 30000,
		.connect_timeout_ms = 10000,
		.timeout_ms = 120000,
		.max_response = (size_t)8 << 20,
	};
	return p;
}

static void params_fix(struct http_params *p)
{
	struct http_params d = http_default_params();

	if (p->max_concurrency <= 0)
		p->max_concurrency = d.max_concurrency;
	if (p->max_attempts <= 0)
		p->max_attempts = d.max_attempts;
	if (p->max_attempts > HTTP_ATTEMPTS_MAX)
		p->max_attempts = HTTP_ATTEMPTS_MAX;
	if (p->backoff_base_ms < 0)
		p->backoff_base_ms = 0;
	if (p->backoff_max_ms < p->backoff_base_ms)
		p->backoff_max_ms = p->backoff_base_ms;
	if (p->connect_timeout_ms <= 0)
		p->connect_timeout_ms = d.connect_timeout_ms;
	if (p->timeout_ms <= 0)
		p->timeout_ms = d.timeout_ms;
	if (!p->max_response)
		p->max_response = d.max_response;
}

int http_client_new(const struct http_params *p, struct http_client **out,
                    struct wr_err *err)
{
	struct http_client *c = NULL;
	int rc = WR_ENOMEM;
	uint64_t now = os_mono_ns();

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (curl_load_failure)
		return err_set(err, WR_EPROVIDER, "%s", curl_load_failure);
	if (curl_init_rc != CURLE_OK)
		return err_set(err, WR_EPROVIDER, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->p = p ? *p : http_default_params();
	params_fix(&c->p);
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	c->idle = calloc((size_t)c->p.max_concurrency, sizeof(*c->idle));
	if (!c->easy || !c->multi || !c->idle)
		goto out;
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->p.max_concurrency);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->p.max_concurrency);
	bucket_init(&c->rpm, c->p.rpm, now);
	bucket_init(&c->tpm, c->p.tpm, now);
	if (os_random(&c->rng, sizeof(c->rng)) < 0 || !c->rng)
		c->rng = now | 1;
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (rc < 0)
		err_set(err, rc, "out of memory");
	http_client_free(c);
	return rc;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_idle; i++)
		curl_easy_cleanup(c->idle[i]);
	free(c->idle);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	free(c);
}

void http_client_stats(const struct http_client *c, struct http_stats *out)
{
	*out = c->stats;
}

void http_client_settle(struct http_client *c, int64_t charged, int64_t used)
{
	if (c->tpm.rate)
		c->tpm.tokens -= (double)(used - charged);
}

static uint64_t rng_next(struct http_client *c)
{
	uint64_t x = c->rng;  /* xorshift64: jitter needs spread, not secrecy */

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return c->rng = x;
}

/* --- calls --- */

void http_call_init(struct http_call *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->resp, 0);
}

void http_call_release(struct http_call *c)
{
	buf_release(&c->resp);
	curl_slist_free_all(c->slist_);
	c->slist_ = NULL;
}

const char *http_strerror(int curl_code)
{
	return curl_easy_strerror((CURLcode)curl_code);
}

int64_t http_parse_retry_after(const char *v, int64_t now_s)
{
	char *end;
	long long secs;
	time_t t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v)) {
		secs = strtoll(v, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || secs > 86400)
			return -1;
		return secs * 1000;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now_s ? ((int64_t)t - now_s) * 1000 : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;
	size_t len = size * n;
	char line[128];
	int64_t ms;

	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	if (!strncasecmp(line, "retry-after-ms:", 15)) {
		ms = strtoll(line + 15, NULL, 10);
		if (ms >= 0)
			c->retry_after_ms_ = ms;  /* finer than Retry-After: it wins */
	} else if (!strncasecmp(line, "retry-after:", 12) && c->retry_after_ms_ < 0) {
		c->retry_after_ms_ = http_parse_retry_after(line + 12, (int64_t)time(NULL));
	} else if (!strncasecmp(line, "HTTP/", 5)) {
		c->retry_after_ms_ = -1;  /* a new response (after 100 Continue) starts over */
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;

	if (buf_add(&c->resp, data, size * n) < 0) {
		c->too_big_ = 1;
		return 0;  /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

static int call_headers(struct http_call *c)
{
	struct curl_slist *l = NULL, *t;

	if (c->slist_)
		return 0;
	for (size_t i = 0; i < c->n_headers; i++) {
		t = curl_slist_append(l, c->headers[i]);
		if (!t)
			goto fail;
		l = t;
	}
	/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
	if (!(t = curl_slist_append(l, "Expect:")))
		goto fail;
	c->slist_ = t;
	return 0;
fail:
	curl_slist_free_all(l);
	return WR_ENOMEM;
}

static void call_begin(struct http_call *c)
{
	buf_reset(&c->resp);
	c->state_ = CALL_WAITING;
	c->status = 0;
	c->failure = WR_FAIL_NONE;
	c->detail[0] = '\0';
	c->n_attempts = 0;
	c->start_ns_ = os_mono_ns();
	c->not_before_ns_ = 0;
}

static int attempt_setup(struct http_client *cl, struct http_call *c, CURL *e)
{
	const struct http_params *p = &cl->p;

	if (call_headers(c) < 0)
		return WR_ENOMEM;
	curl_easy_reset(e);  /* keeps live connections and caches */
	buf_reset(&c->resp);
	c->resp.max = p->max_response;
	c->retry_after_ms_ = -1;
	c->too_big_ = 0;
	c->errbuf_[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)c->slist_);
	if (c->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)p->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_response);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (!strncmp(c->url, "https:", 6))
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);  /* multiplex rather than connect */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "warrant/" WR_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf_);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	c->sent_ns_ = os_mono_ns();
	return 0;
}

static int status_retryable(int status)
{
	return status == 408 || status == 409 || status == 429 || status >= 500;
}

static int curl_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* The pause before attempt n+1: the server's word when it gave one, else a
 * uniformly random time up to base * 2^(n-1) ("full jitter"), which spreads
 * many clients' retries instead of synchronising them. */
static int64_t backoff_ms(struct http_client *cl, int n, int64_t retry_after)
{
	const struct http_params *p = &cl->p;
	int64_t ceil = p->backoff_base_ms;

	if (retry_after >= 0)
		return retry_after < p->backoff_max_ms ? retry_after : p->backoff_max_ms;
	for (int i = 1; i < n && ceil < p->backoff_max_ms; i++)
		ceil *= 2;
	if (ceil > p->backoff_max_ms)
		ceil = p->backoff_max_ms;
	return ceil ? (int64_t)(rng_next(cl) % (uint64_t)(ceil + 1)) : 0;
}

static void fail_detail(struct http_call *c, CURLcode cc, int retried)
{
	char tries[32] = "";
	const char *why = c->errbuf_[0] ? c->errbuf_ : curl_easy_strerror(cc);

	if (retried)
		snprintf(tries, sizeof(tries), " after %d attempts", c->n_attempts);
	if (c->too_big_ || cc == CURLE_FILESIZE_EXCEEDED)
		snprintf(c->detail, sizeof(c->detail), "response over %zu bytes", c->resp.max);
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(c->detail, sizeof(c->detail), "timed out%s: %.100s", tries, why);
	else if (cc == CURLE_PARTIAL_FILE)
		snprintf(c->detail, sizeof(c->detail), "response truncated%s: %.100s", tries, why);
	else if (cc != CURLE_OK)
		snprintf(c->detail, sizeof(c->detail), "transport error%s: %.100s", tries, why);
	else
		snprintf(c->detail, sizeof(c->detail), "HTTP %d%s", c->status, tries);
}

/* Records the attempt that just ended and decides what comes next. */
static int attempt_finish(struct http_client *cl, struct http_call *c, CURL *e,
                          CURLcode cc)
{
	struct http_attempt *a = &c->attempt[c->n_attempts++];
	uint64_t now = os_mono_ns();
	long status = 0;
	int retry;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	cl->stats.attempts++;
	c->status = (int)status;
	a->status = (int)status;
	a->curl_code = (int)cc;
	a->start_ms = (int64_t)((c->sent_ns_ - c->start_ns_) / NS_PER_MS);
	a->latency_ms = (int64_t)((now - c->sent_ns_) / NS_PER_MS);
	a->retry_after_ms = c->retry_after_ms_;
	a->wait_ms = 0;
	if (cc == CURLE_OK && status >= 200 && status < 300)
		goto done;
	retry = !c->too_big_ && (cc != CURLE_OK ? curl_retryable(cc) : status_retryable((int)status));
	if (retry && c->n_attempts < cl->p.max_attempts) {
		a->wait_ms = backoff_ms(cl, c->n_attempts, c->retry_after_ms_);
		c->not_before_ns_ = now + (uint64_t)a->wait_ms * NS_PER_MS;
		c->state_ = CALL_WAITING;
		return FINISH_RETRY;
	}
	c->failure = cc == CURLE_OPERATION_TIMEDOUT ? WR_FAIL_TIMEOUT : WR_FAIL_PROVIDER_ERROR;
	fail_detail(c, cc, retry);
done:
	c->state_ = CALL_DONE;
	c->total_ms = (int64_t)((now - c->start_ns_) / NS_PER_MS);
	cl->stats.calls++;
	return FINISH_DONE;
}

/* Nanoseconds until c may be sent; 0 after taking its rate-limit tokens. */
static uint64_t call_ready(struct http_client *cl, struct http_call *c, uint64_t now)
{
	uint64_t w1, w2;

	if (c->not_before_ns_ > now)
		return c->not_before_ns_ - now;
	w1 = bucket_wait(&cl->rpm, 1, now);
	w2 = bucket_wait(&cl->tpm, (double)c->cost_tokens, now);
	if (w1 || w2) {
		cl->stats.rate_waits++;
		return w1 > w2 ? w1 : w2;
	}
	if (cl->rpm.rate)
		cl->rpm.tokens -= 1;
	if (cl->tpm.rate)
		cl->tpm.tokens -= (double)c->cost_tokens;
	return 0;
}

/* --- the single path --- */

int http_client_do(struct http_client *cl, struct http_call *c, struct wr_err *err)
{
	uint64_t wait;
	CURLcode cc;

	call_begin(c);
	for (;;) {
		while ((wait = call_ready(cl, c, os_mono_ns())) > 0)
			os_sleep_ms((int)((wait + NS_PER_MS - 1) / NS_PER_MS));
		if (attempt_setup(cl, c, cl->easy) < 0)
			return err_set(err, WR_ENOMEM, "out of memory");
		if (cl->stats.max_in_flight < 1)
			cl->stats.max_in_flight = 1;
		cc = curl_easy_perform(cl->easy);
		if (attempt_finish(cl, c, cl->easy, cc) == FINISH_DONE)
			return 0;
	}
}

/* --- the pool --- */

static CURL *easy_get(struct http_client *cl)
{
	return cl->n_idle ? cl->idle[--cl->n_idle] : curl_easy_init();
}

static void easy_put(struct http_client *cl, CURL *e)
{
	if (cl->n_idle < cl->p.max_concurrency)
		cl->idle[cl->n_idle++] = e;
	else
		curl_easy_cleanup(e);
}

/* Sends waiting calls, in order, while there is room and they are due.
 * Returns the nanoseconds until the earliest waiting call may go (or
 * UINT64_MAX when none waits). */
static uint64_t pool_start(struct http_client *cl, struct http_call *calls, size_t n,
                           size_t *first, int *in_flight, int *rc)
{
	uint64_t next = UINT64_MAX, now = os_mono_ns(), w;
	CURL *e;

	while (*first < n && calls[*first].state_ == CALL_DONE)
		(*first)++;
	for (size_t i = *first; i < n && *in_flight < cl->p.max_concurrency; i++) {
		struct http_call *c = &calls[i];

		if (c->state_ != CALL_WAITING)
			continue;
		if ((w = call_ready(cl, c, now)) > 0) {
			if (w < next)
				next = w;
			if (c->not_before_ns_ <= now)
				break;  /* rate-limited: later calls must not overtake it */
			continue;
		}
		if (!(e = easy_get(cl)) || attempt_setup(cl, c, e) < 0 ||
		    curl_multi_add_handle(cl->multi, e) != CURLM_OK) {
			if (e)
				easy_put(cl, e);
			*rc = WR_ENOMEM;
			return 0;
		}
		c->easy_ = e;
		c->state_ = CALL_FLIGHT;
		if (++*in_flight > cl->stats.max_in_flight)
			cl->stats.max_in_flight = *in_flight;
	}
	return next;
}

int http_client_run(struct http_client *cl, struct http_call *calls, size_t n,
                    struct wr_err *err)
{
	size_t done = 0, first = 0;
	int in_flight = 0, running, left, rc = 0;
	uint64_t next;
	CURLMsg *m;

	for (size_t i = 0; i < n; i++)
		call_begin(&calls[i]);
	while (done < n) {
		int finished = 0;

		next = pool_start(cl, calls, n, &first, &in_flight, &rc);
		if (rc < 0)
			goto out;
		if (curl_multi_perform(cl->multi, &running) != CURLM_OK) {
			rc = WR_EPROVIDER;
			goto out;
		}
		while ((m = curl_multi_info_read(cl->multi, &left)) != NULL) {
			struct http_call *c = NULL;
			CURL *e = m->easy_handle;
			CURLcode cc = m->data.result;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&c);
			curl_multi_remove_handle(cl->multi, e);
			in_flight--;
			if (attempt_finish(cl, c, e, cc) == FINISH_DONE)
				done++;
			c->easy_ = NULL;
			easy_put(cl, e);
			finished++;
		}
		/* A finished call freed a slot: fill it before waiting. */
		if (done == n || finished)
			continue;
		/* Wake for network activity, or when the next waiting call is due. */
		next = next == UINT64_MAX ? 1000 : (next + NS_PER_MS - 1) / NS_PER_MS;
		if (curl_multi_poll(cl->multi, NULL, 0, (int)(next > 1000 ? 1000 : next),
		                    NULL) != CURLM_OK) {
			rc = WR_EPROVIDER;
			goto out;
		}
	}
out:
	if (rc < 0) {
		for (size_t i = 0; i < n; i++) {
			CURL *e = calls[i].easy_;

			if (!e)
				continue;
			curl_multi_remove_handle(cl->multi, e);
			easy_put(cl, e);
			calls[i].easy_ = NULL;
		}
		return err_set(err, rc, rc == WR_ENOMEM ? "out of memory"
		               : "libcurl multi interface failed");
	}
	return 0;
}
