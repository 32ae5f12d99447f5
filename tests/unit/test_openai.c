/* test_openai.c: the OpenAI provider's bodies, parsing and live calls
 * against tests/servers/mockllm. */
#include <stdlib.h>

#include "core/err.h"
#include "core/os.h"
#include "harness.h"
#include "mock.h"
#include "model/remote.h"

/* --- request bodies --- */

static int build(const char *opts, double temp, int max_tokens,
                 const struct model_request *req, struct buf *body)
{
	struct spec_model m = mock_model("openai", "gpt-4o-mini", opts);
	struct remote r;
	struct wr_err err;
	int64_t cost = 0;
	int rc;

	m.temperature = temp;
	m.max_tokens = max_tokens;
	if ((rc = remote_init(&r, "openai", &m, "WR_TEST_NO_ENV", "https://api.openai.com/v1",
	                      "/chat/completions", "WR_TEST_NO_KEY", &err)) < 0)
		return rc;
	rc = openai_api.build(&r, req, body, &cost, &err);
	remote_release(&r);
	return rc;
}

TEST(openai_body_is_exact)
{
	struct model_request req = { .system = "Be brief.", .prompt = "Say \"hi\"",
	                             .seed = 7 };
	struct buf b = BUF_INIT;

	REQUIRE(build("{\"base_url\":\"http://127.0.0.1:1/v1\",\"top_p\":0.9,"
	              "\"stop\":[\"END\"]}", 0.2, 256, &req, &b) == 0);
	EXPECT_STR(b.data, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\","
	           "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Say \\\"hi\\\"\"}],"
	           "\"temperature\":0.2,\"top_p\":0.9,\"max_tokens\":256,\"seed\":7,"
	           "\"stop\":[\"END\"]}");
	buf_release(&b);
}

TEST(openai_body_minimal_uses_option_seed)
{
	struct model_request req = { .prompt = "x", .seed = 99 };
	struct buf b = BUF_INIT;

	REQUIRE(build("{\"base_url\":\"http://h/v1\",\"seed\":3}", -1, 0, &req, &b) == 0);
	EXPECT_STR(b.data, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
	           "\"content\":\"x\"}],\"seed\":3}");
	buf_release(&b);
}

TEST(openai_body_schema_and_tools)
{
	struct model_tool tool = { "lookup", "Find a thing.",
	                           "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}" };
	struct model_request req = { .prompt = "p", .schema_json = "{\"type\":\"object\"}",
	                             .schema_name = "invoice", .stop = "STOP",
	                             .tools = &tool, .n_tools = 1, .tool_choice = "lookup" };
	struct buf b = BUF_INIT;

	REQUIRE(build("{\"base_url\":\"http://h/v1\"}", -1, 0, &req, &b) == 0);
	EXPECT_STR(b.data, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
	           "\"content\":\"p\"}],\"stop\":[\"STOP\"],\"response_format\":{\"type\":"
	           "\"json_schema\",\"json_schema\":{\"name\":\"invoice\",\"schema\":{\"type\":"
	           "\"object\"},\"strict\":true}},\"tools\":[{\"type\":\"function\",\"function\":"
	           "{\"name\":\"lookup\",\"description\":\"Find a thing.\",\"parameters\":"
	           "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}}}],"
	           "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"lookup\"}}}");
	buf_release(&b);
}

TEST(openai_bad_schema_is_an_error)
{
	struct model_request req = { .prompt = "p", .schema_json = "{not json" };
	struct buf b = BUF_INIT;

	EXPECT_INT(build("{\"base_url\":\"http://h/v1\"}", -1, 0, &req, &b), WR_EINVAL);
	buf_release(&b);
}

TEST(openai_needs_a_key_for_the_real_api)
{
	struct spec_model m = mock_model("openai", "gpt-4o", NULL);
	const struct provider_ops *ops = provider_find("openai");
	struct wr_err err;
	void *st = NULL;

	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_API_KEY_FILE");
	unsetenv("OPENAI_BASE_URL");
	REQUIRE(ops);
	EXPECT_INT(ops->open(&m, ".", &st, &err), WR_EPROVIDER);
	EXPECT_CONTAINS(err.msg, "OPENAI_API_KEY");
	EXPECT(st == NULL);
	m = mock_model("openai", NULL, "{\"base_url\":\"http://h\"}");
	EXPECT_INT(ops->open(&m, ".", &st, &err), WR_EPROVIDER);
	EXPECT_CONTAINS(err.msg, "needs 'model'");
}

/* --- parsing --- */

static void parse(const char *body, struct model_response *resp)
{
	struct model_request req = { .prompt = "p" };

	model_response_init(resp);
	openai_api.parse(NULL, &req, body, strlen(body), resp);
}

TEST(openai_parses_a_good_answer)
{
	struct model_response r;

	parse("{\"model\":\"gpt-x\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"message\":"
	      "{\"role\":\"assistant\",\"content\":\"hello\",\"refusal\":null},"
	      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
	      "\"completion_tokens\":3}}", &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "hello");
	EXPECT_STR(r.finish, "stop");
	EXPECT_STR(r.model, "gpt-x");
	EXPECT_STR(r.system_fingerprint, "fp_1");
	EXPECT_INT(r.tokens_in, 12);
	EXPECT_INT(r.tokens_out, 3);
	model_response_release(&r);
}

TEST(openai_parses_refusal_malformed_and_missing_parts)
{
	struct model_response r;

	parse("{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"No.\"},"
	      "\"finish_reason\":\"stop\"}]}", &r);
	EXPECT_INT(r.failure, WR_FAIL_REFUSAL);
	EXPECT_STR(r.finish, "refusal");
	EXPECT_CONTAINS(r.detail, "No.");
	model_response_release(&r);

	parse("{\"choices\":[{\"message\":", &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "malformed JSON");
	model_response_release(&r);

	parse("{\"choices\":[]}", &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "no choices");
	model_response_release(&r);

	parse("{\"choices\":[{\"message\":{\"content\":\"abcdefgh\"},\"finish_reason\":"
	      "\"length\"}]}", &r);  /* no usage: estimated */
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_INT(r.tokens_out, 2);
	EXPECT_STR(r.finish, "length");
	model_response_release(&r);

	parse("{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
	      "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
	      "\"finish_reason\":\"tool_calls\"}]}", &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	REQUIRE(r.n_tool_calls == 1);
	EXPECT_STR(r.tool_calls[0].id, "c1");
	EXPECT_STR(r.tool_calls[0].name, "f");
	EXPECT_STR(r.tool_calls[0].arguments, "{}");
	model_response_release(&r);

	parse("{\"choices\":[{\"message\":{\"content\":\"\"},\"finish_reason\":"
	      "\"content_filter\"}]}", &r);
	EXPECT_INT(r.failure, WR_FAIL_REFUSAL);
	model_response_release(&r);
}

/* --- live, against the mock server --- */

struct live {
	struct mock mock;
	const struct provider_ops *ops;
	void *state;
	char opts[512];
};

static int live_open(struct live *l, const char *const *args, const char *extra)
{
	struct spec_model m;
	struct wr_err err;

	unsetenv("OPENAI_API_KEY");
	unsetenv("OPENAI_API_KEY_FILE");
	if (mock_start(&l->mock, args) < 0)
		return -1;
	snprintf(l->opts, sizeof(l->opts), "{\"base_url\":\"%s/v1\",\"backoff_ms\":20%s%s}",
	         l->mock.base, extra ? "," : "", extra ? extra : "");
	m = mock_model("openai", "gpt-4o-mini", l->opts);
	l->ops = provider_find("openai");
	if (l->ops->open(&m, ".", &l->state, &err) < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		mock_stop(&l->mock);
		return -1;
	}
	return 0;
}

static void live_close(struct live *l)
{
	l->ops->close(l->state);
	mock_stop(&l->mock);
}

static int ask(struct live *l, const char *prompt, struct model_response *r)
{
	struct model_request req = { .system = "sys", .prompt = prompt, .attempt = 1 };
	struct wr_err err;

	model_response_init(r);
	return l->ops->complete(l->state, &req, r, &err);
}

TEST(openai_live_success)
{
	struct live l;
	struct model_response r;

	REQUIRE(live_open(&l, NULL, NULL) == 0);
	EXPECT_INT(ask(&l, "hello world", &r), 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "echo: hello world");
	EXPECT_STR(r.model, "mock-gpt");
	EXPECT_STR(r.system_fingerprint, "fp_mock");
	EXPECT(r.tokens_in > 0 && r.tokens_out > 0);
	EXPECT_INT(r.attempts, 1);
	EXPECT_INT(r.attempt[0].status, 200);
	model_response_release(&r);
	EXPECT_INT(ask(&l, "again", &r), 0);
	model_response_release(&r);
	/* One connection for both calls (kept alive), one for /stats itself. */
	EXPECT_INT(mock_stat(&l.mock, "connections"), 2);
	live_close(&l);
}

TEST(openai_live_faults)
{
	struct live l;
	struct model_response r;

	REQUIRE(live_open(&l, NULL, "\"max_attempts\":3") == 0);
	ask(&l, "x [mock:refusal]", &r);
	EXPECT_INT(r.failure, WR_FAIL_REFUSAL);
	model_response_release(&r);

	ask(&l, "x [mock:malformed]", &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "malformed JSON");
	EXPECT_INT(r.attempts, 1);
	model_response_release(&r);

	ask(&l, "x [mock:truncate]", &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "truncated");
	EXPECT_INT(r.attempts, 3);
	model_response_release(&r);

	ask(&l, "x [mock:nousage]", &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT(r.tokens_out > 0);
	model_response_release(&r);

	ask(&l, "x [mock:status=400]", &r);  /* not retried */
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_INT(r.attempts, 1);
	EXPECT_CONTAINS(r.detail, "HTTP 400");
	EXPECT_CONTAINS(r.detail, "mock status 400");
	model_response_release(&r);

	ask(&l, "x [mock:tool]", &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_INT(r.n_tool_calls, 1);
	EXPECT_STR(r.finish, "tool_calls");
	model_response_release(&r);
	live_close(&l);
}

TEST(openai_live_retries_then_succeeds)
{
	struct live l;
	struct model_response r;

	REQUIRE(live_open(&l, NULL, NULL) == 0);
	ask(&l, "x [mock:fail=2,status=503]", &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_INT(r.attempts, 3);
	EXPECT_INT(r.attempt[0].status, 503);
	EXPECT_INT(r.attempt[1].status, 503);
	EXPECT_INT(r.attempt[2].status, 200);
	EXPECT_INT(mock_requests(&l.mock), 3);
	EXPECT_INT(mock_requests_with(&l.mock, 503), 2);
	model_response_release(&r);

	ask(&l, "y [mock:status=500]", &r);  /* exhausted: 4 attempts by default */
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_INT(r.attempts, 4);
	EXPECT_CONTAINS(r.detail, "HTTP 500 after 4 attempts");
	EXPECT_INT(mock_requests_with(&l.mock, 500), 4);
	model_response_release(&r);
	live_close(&l);
}

TEST(openai_live_honours_retry_after)
{
	struct live l;
	struct model_response r;
	uint64_t t0;
	double s;

	REQUIRE(live_open(&l, NULL, NULL) == 0);
	t0 = os_mono_ns();
	ask(&l, "x [mock:fail=1,status=429,retry-after=1]", &r);
	s = (double)(os_mono_ns() - t0) / 1e9;
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_INT(r.attempts, 2);
	EXPECT_INT(r.attempt[0].status, 429);
	EXPECT_INT(r.attempt[0].retry_after_ms, 1000);
	EXPECT_INT(r.attempt[0].wait_ms, 1000);
	EXPECT(s >= 0.95 && s < 2.0);
	model_response_release(&r);

	t0 = os_mono_ns();
	ask(&l, "y [mock:fail=1,status=429,retry-after-ms=300,retry-after=9]", &r);
	s = (double)(os_mono_ns() - t0) / 1e9;
	EXPECT_INT(r.attempt[0].retry_after_ms, 300);
	EXPECT(s >= 0.28 && s < 1.0);
	model_response_release(&r);
	live_close(&l);
}

TEST(openai_live_timeout)
{
	struct live l;
	struct model_response r;

	REQUIRE(live_open(&l, NULL, "\"timeout\":0.3,\"max_attempts\":2") == 0);
	ask(&l, "x [mock:sleep=3000]", &r);
	EXPECT_INT(r.failure, WR_FAIL_TIMEOUT);
	EXPECT_INT(r.attempts, 2);
	EXPECT_CONTAINS(r.detail, "timed out after 2 attempts");
	EXPECT(r.seconds < 2.0);
	model_response_release(&r);

	ask(&l, "y [mock:fail=1,sleep=3000]", &r);  /* the retry is fast */
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_INT(r.attempts, 2);
	EXPECT_STR(r.attempt[0].error, "Timeout was reached");
	model_response_release(&r);
	live_close(&l);
}

TEST(openai_live_response_cap)
{
	struct live l;
	struct model_response r;

	REQUIRE(live_open(&l, NULL, "\"max_response_bytes\":4096") == 0);
	ask(&l, "x [mock:big=10000]", &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "response over 4096 bytes");
	EXPECT_INT(r.attempts, 1);
	model_response_release(&r);
	live_close(&l);
}

TEST(openai_live_connection_refused)
{
	struct spec_model m = mock_model("openai", "g", "{\"base_url\":\"http://127.0.0.1:1/v1\","
	                                 "\"backoff_ms\":1,\"max_attempts\":2}");
	const struct provider_ops *ops = provider_find("openai");
	struct model_request req = { .prompt = "p" };
	struct model_response r;
	struct wr_err err;
	void *st;

	REQUIRE(ops->open(&m, ".", &st, &err) == 0);
	model_response_init(&r);
	EXPECT_INT(ops->complete(st, &req, &r, &err), 0);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_INT(r.attempts, 2);
	EXPECT_CONTAINS(r.detail, "transport error after 2 attempts");
	model_response_release(&r);
	ops->close(st);
}
