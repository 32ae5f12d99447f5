/* test_http.c: retries, Retry-After, the pool's concurrency, rate limits. */
#include <stdlib.h>

#include "core/os.h"
#include "harness.h"
#include "mock.h"
#include "model/http.h"
#include "model/provider.h"

static double since(uint64_t t0)
{
	return (double)(os_mono_ns() - t0) / 1e9;
}

TEST(http_parses_retry_after)
{
	EXPECT_INT(http_parse_retry_after("120", 0), 120000);
	EXPECT_INT(http_parse_retry_after("  3 \r\n", 0), 3000);
	EXPECT_INT(http_parse_retry_after("soon", 0), -1);
	EXPECT_INT(http_parse_retry_after("3x", 0), -1);
	/* 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT. */
	EXPECT_INT(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412475), 5000);
	EXPECT_INT(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
}

struct batch {
	struct http_call calls[64];
	char bodies[64][96];
	const char *hdr[1];
	char url[128];
};

static void batch_init(struct batch *b, const struct mock *m, size_t n, const char *marker)
{
	snprintf(b->url, sizeof(b->url), "%s/v1/chat/completions", m->base);
	b->hdr[0] = "Content-Type: application/json";
	for (size_t i = 0; i < n; i++) {
		http_call_init(&b->calls[i]);
		snprintf(b->bodies[i], sizeof(b->bodies[i]),
		         "{\"messages\":[{\"role\":\"user\",\"content\":\"n%zu%s\"}]}", i, marker);
		b->calls[i].url = b->url;
		b->calls[i].headers = b->hdr;
		b->calls[i].n_headers = 1;
		b->calls[i].body = b->bodies[i];
		b->calls[i].body_len = strlen(b->bodies[i]);
		b->calls[i].cost_tokens = 50;
	}
}

static void batch_release(struct batch *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		http_call_release(&b->calls[i]);
}

TEST(http_pool_keeps_n_in_flight)
{
	static const char *const args[] = { "--latency-ms", "100", NULL };
	struct http_params p = http_default_params();
	struct http_client *cl;
	struct http_stats st;
	struct batch *b = calloc(1, sizeof(*b));
	struct mock m;
	uint64_t t0;
	double s;
	int ok = 0;

	REQUIRE(b && mock_start(&m, args) == 0);
	p.max_concurrency = 8;
	REQUIRE(http_client_new(&p, &cl, NULL) == 0);
	batch_init(b, &m, 40, "");
	t0 = os_mono_ns();
	EXPECT_INT(http_client_run(cl, b->calls, 40, NULL), 0);
	s = since(t0);
	for (int i = 0; i < 40; i++)
		ok += b->calls[i].status == 200 && strstr(b->calls[i].resp.data, "\"echo: n") != NULL;
	EXPECT_INT(ok, 40);
	EXPECT_CONTAINS(b->calls[17].resp.data, "echo: n17\"");  /* answers stay in order */
	http_client_stats(cl, &st);
	EXPECT_INT(st.max_in_flight, 8);
	EXPECT_INT(mock_stat(&m, "max_in_flight"), 8);
	/* Reused: 8 for the calls, one for each /stats query (this is the second). */
	EXPECT(mock_stat(&m, "connections") <= 10);
	EXPECT(s >= 0.45 && s < 1.5);               /* 5 waves of 100 ms */
	batch_release(b, 40);
	http_client_free(cl);
	mock_stop(&m);
	free(b);
}

TEST(http_pool_retries_each_call)
{
	struct http_params p = http_default_params();
	struct http_client *cl;
	struct batch *b = calloc(1, sizeof(*b));
	struct mock m;
	int ok = 0;

	REQUIRE(b && mock_start(&m, NULL) == 0);
	p.max_concurrency = 4;
	p.backoff_base_ms = 10;
	REQUIRE(http_client_new(&p, &cl, NULL) == 0);
	batch_init(b, &m, 10, " [mock:fail=2,status=502]");
	EXPECT_INT(http_client_run(cl, b->calls, 10, NULL), 0);
	for (int i = 0; i < 10; i++)
		ok += b->calls[i].status == 200 && b->calls[i].n_attempts == 3;
	EXPECT_INT(ok, 10);
	EXPECT_INT(mock_requests(&m), 30);
	EXPECT_INT(mock_requests_with(&m, 502), 20);
	batch_release(b, 10);
	http_client_free(cl);
	mock_stop(&m);
	free(b);
}

TEST(http_backoff_has_full_jitter_within_bounds)
{
	struct http_params p = http_default_params();
	struct http_client *cl;
	struct batch *b = calloc(1, sizeof(*b));
	struct mock m;

	REQUIRE(b && mock_start(&m, NULL) == 0);
	p.backoff_base_ms = 40;
	p.backoff_max_ms = 100;
	p.max_attempts = 5;
	REQUIRE(http_client_new(&p, &cl, NULL) == 0);
	batch_init(b, &m, 1, " [mock:status=500]");
	EXPECT_INT(http_client_do(cl, &b->calls[0], NULL), 0);
	EXPECT_INT(b->calls[0].n_attempts, 5);
	EXPECT_INT(b->calls[0].failure, WR_FAIL_PROVIDER_ERROR);
	/* Ceilings 40, 80, 100 (capped), 100; the last attempt waits for nothing. */
	EXPECT(b->calls[0].attempt[0].wait_ms <= 40);
	EXPECT(b->calls[0].attempt[1].wait_ms <= 80);
	EXPECT(b->calls[0].attempt[2].wait_ms <= 100);
	EXPECT(b->calls[0].attempt[3].wait_ms <= 100);
	EXPECT_INT(b->calls[0].attempt[4].wait_ms, 0);
	EXPECT_INT(b->calls[0].attempt[0].retry_after_ms, -1);
	batch_release(b, 1);
	http_client_free(cl);
	mock_stop(&m);
	free(b);
}

TEST(http_retry_after_as_a_date)
{
	struct http_params p = http_default_params();
	struct http_client *cl;
	struct batch *b = calloc(1, sizeof(*b));
	struct mock m;
	uint64_t t0;
	double s;

	REQUIRE(b && mock_start(&m, NULL) == 0);
	REQUIRE(http_client_new(&p, &cl, NULL) == 0);
	batch_init(b, &m, 1, " [mock:fail=1,status=503,retry-after-date=2]");
	t0 = os_mono_ns();
	EXPECT_INT(http_client_do(cl, &b->calls[0], NULL), 0);
	s = since(t0);
	EXPECT_INT(b->calls[0].status, 200);
	EXPECT_INT(b->calls[0].n_attempts, 2);
	/* A date has whole seconds: 2 s ahead is 1 to 2 s from now. */
	EXPECT(b->calls[0].attempt[0].retry_after_ms >= 1000);
	EXPECT(b->calls[0].attempt[0].retry_after_ms <= 2000);
	EXPECT(s >= 0.95 && s < 3.0);
	batch_release(b, 1);
	http_client_free(cl);
	mock_stop(&m);
	free(b);
}

TEST(http_rate_limits_requests_per_minute)
{
	struct http_params p = http_default_params();
	struct http_client *cl;
	struct http_stats st;
	struct batch *b = calloc(1, sizeof(*b));
	struct mock m;
	uint64_t t0;
	double s;

	REQUIRE(b && mock_start(&m, NULL) == 0);
	p.rpm = 1200;  /* 20 a second, bursts of 20 */
	p.max_concurrency = 16;
	REQUIRE(http_client_new(&p, &cl, NULL) == 0);
	batch_init(b, &m, 40, "");
	t0 = os_mono_ns();
	EXPECT_INT(http_client_run(cl, b->calls, 40, NULL), 0);
	s = since(t0);
	EXPECT(s >= 0.9 && s < 2.5);  /* 20 at once, then 20 more at 20/s */
	http_client_stats(cl, &st);
	EXPECT(st.rate_waits > 0);
	batch_release(b, 40);

	/* The single path waits on the same bucket. */
	batch_init(b, &m, 10, " single");
	t0 = os_mono_ns();
	for (int i = 0; i < 10; i++)
		EXPECT_INT(http_client_do(cl, &b->calls[i], NULL), 0);
	s = since(t0);
	EXPECT(s >= 0.4 && s < 1.5);  /* the bucket was empty: 10 at 20/s */
	batch_release(b, 10);
	http_client_free(cl);
	mock_stop(&m);
	free(b);
}

TEST(http_rate_limits_tokens_per_minute)
{
	struct http_params p = http_default_params();
	struct http_client *cl;
	struct batch *b = calloc(1, sizeof(*b));
	struct mock m;
	uint64_t t0;
	double s;

	REQUIRE(b && mock_start(&m, NULL) == 0);
	p.tpm = 60000;  /* 1000 tokens a second; each call is charged 50 */
	REQUIRE(http_client_new(&p, &cl, NULL) == 0);
	batch_init(b, &m, 40, "");
	t0 = os_mono_ns();
	EXPECT_INT(http_client_run(cl, b->calls, 40, NULL), 0);
	s = since(t0);
	EXPECT(s >= 0.9 && s < 2.5);  /* 1000 at once, 1000 more over a second */
	batch_release(b, 40);
	http_client_free(cl);
	mock_stop(&m);
	free(b);
}

TEST(http_openai_batch_through_the_provider)
{
	static const char *const args[] = { "--latency-ms", "20", NULL };
	const struct provider_ops *ops = provider_find("openai");
	struct model_request reqs[30];
	struct model_response resps[30];
	char prompts[30][16], opts[160];
	struct spec_model sm;
	struct wr_err err;
	struct mock m;
	void *st;
	int ok = 0;

	REQUIRE(mock_start(&m, args) == 0);
	snprintf(opts, sizeof(opts), "{\"base_url\":\"%s/v1\",\"max_concurrency\":10}", m.base);
	sm = mock_model("openai", "gpt", opts);
	REQUIRE(ops->open(&sm, ".", &st, &err) == 0);
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < 30; i++) {
		snprintf(prompts[i], sizeof(prompts[i]), "q%d", i);
		reqs[i].prompt = prompts[i];
		model_response_init(&resps[i]);
	}
	EXPECT_INT(provider_complete_batch(ops, st, reqs, resps, 30, &err), 0);
	for (int i = 0; i < 30; i++) {
		char want[24];

		snprintf(want, sizeof(want), "echo: q%d", i);
		ok += resps[i].failure == WR_FAIL_NONE && !strcmp(resps[i].text.data, want);
		model_response_release(&resps[i]);
	}
	EXPECT_INT(ok, 30);
	EXPECT_INT(mock_stat(&m, "max_in_flight"), 10);
	ops->close(st);
	mock_stop(&m);
}
