/* test_anthropic.c: the Anthropic provider's bodies, parsing and live calls. */
#include <stdlib.h>

#include "core/err.h"
#include "harness.h"
#include "mock.h"
#include "model/remote.h"

static int build(const char *opts, int max_tokens, const struct model_request *req,
                 struct buf *body)
{
	struct spec_model m = mock_model("anthropic", "claude-sonnet-4-5", opts);
	struct remote r;
	struct wr_err err;
	int64_t cost = 0;
	int rc;

	m.max_tokens = max_tokens;
	if ((rc = remote_init(&r, "anthropic", &m, "WR_TEST_NO_ENV", "https://x",
	                      "/v1/messages", "WR_TEST_NO_KEY", &err)) < 0)
		return rc;
	rc = anthropic_api.build(&r, req, body, &cost, &err);
	EXPECT(cost >= 1024 || max_tokens);
	remote_release(&r);
	return rc;
}

TEST(anthropic_body_is_exact)
{
	struct model_request req = { .system = "Be brief.", .prompt = "Hi", .stop = "END" };
	struct buf b = BUF_INIT;

	REQUIRE(build("{\"base_url\":\"http://h\",\"top_p\":0.5}", 0, &req, &b) == 0);
	EXPECT_STR(b.data, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"system\":"
	           "\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
	           "\"top_p\":0.5,\"stop_sequences\":[\"END\"]}");
	buf_release(&b);
}

TEST(anthropic_schema_becomes_a_forced_tool)
{
	struct model_request req = { .prompt = "Hi", .schema_json = "{\"type\":\"object\"}" };
	struct buf b = BUF_INIT;

	REQUIRE(build("{\"base_url\":\"http://h\"}", 50, &req, &b) == 0);
	EXPECT_STR(b.data, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":50,\"messages\":"
	           "[{\"role\":\"user\",\"content\":\"Hi\"}],\"tools\":[{\"name\":\"output\","
	           "\"description\":\"Record the answer.\",\"input_schema\":{\"type\":"
	           "\"object\"}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"output\"}}");
	buf_release(&b);
}

static void parse(const char *body, const struct model_request *req,
                  struct model_response *resp)
{
	model_response_init(resp);
	anthropic_api.parse(NULL, req, body, strlen(body), resp);
}

TEST(anthropic_parses_answers)
{
	struct model_request plain = { .prompt = "p" };
	struct model_request schema = { .prompt = "p", .schema_json = "{}" };
	struct model_response r;

	parse("{\"model\":\"claude-x\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
	      "{\"type\":\"text\",\"text\":\"b\"}],\"stop_reason\":\"end_turn\",\"usage\":"
	      "{\"input_tokens\":9,\"output_tokens\":2}}", &plain, &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "ab");
	EXPECT_STR(r.finish, "stop");
	EXPECT_STR(r.model, "claude-x");
	EXPECT_INT(r.tokens_in, 9);
	EXPECT_INT(r.tokens_out, 2);
	model_response_release(&r);

	parse("{\"content\":[{\"type\":\"text\",\"text\":\"Let me.\"},{\"type\":\"tool_use\","
	      "\"id\":\"t1\",\"name\":\"output\",\"input\":{\"total\":12.5}}],"
	      "\"stop_reason\":\"tool_use\"}", &schema, &r);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "{\"total\":12.5}");
	EXPECT_INT(r.n_tool_calls, 0);
	model_response_release(&r);

	parse("{\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":"
	      "{}}],\"stop_reason\":\"tool_use\"}", &plain, &r);
	REQUIRE(r.n_tool_calls == 1);
	EXPECT_STR(r.tool_calls[0].name, "f");
	EXPECT_STR(r.finish, "tool_calls");
	model_response_release(&r);

	parse("{\"content\":[],\"stop_reason\":\"refusal\"}", &plain, &r);
	EXPECT_INT(r.failure, WR_FAIL_REFUSAL);
	model_response_release(&r);

	parse("{\"content\":[{\"type\":\"text\",\"text\":\"abcd\"}],\"stop_reason\":"
	      "\"max_tokens\"}", &plain, &r);
	EXPECT_STR(r.finish, "length");
	EXPECT_INT(r.tokens_out, 1);  /* no usage: estimated */
	model_response_release(&r);

	parse("{\"content\":[{\"type\":", &plain, &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "malformed JSON");
	model_response_release(&r);

	parse("{\"type\":\"message\"}", &plain, &r);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "no content");
	model_response_release(&r);
}

TEST(anthropic_live)
{
	static const char *const args[] = { "--require-key", "sk-ant-test-1234", NULL };
	const struct provider_ops *ops = provider_find("anthropic");
	struct model_request req = { .system = "s", .prompt = "hello", .attempt = 1 };
	struct model_response r;
	struct spec_model m;
	struct mock mk;
	struct wr_err err;
	char opts[256];
	void *st;

	REQUIRE(ops && mock_start(&mk, args) == 0);
	snprintf(opts, sizeof(opts), "{\"base_url\":\"%s/\",\"backoff_ms\":10}", mk.base);
	m = mock_model("anthropic", "claude-x", opts);
	setenv("ANTHROPIC_API_KEY", "sk-ant-test-1234", 1);
	REQUIRE(ops->open(&m, ".", &st, &err) == 0);
	unsetenv("ANTHROPIC_API_KEY");
	model_response_init(&r);
	EXPECT_INT(ops->complete(st, &req, &r, &err), 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "echo: hello");
	EXPECT_STR(r.model, "mock-claude");
	EXPECT(r.tokens_in > 0);
	model_response_release(&r);

	req.prompt = "x [mock:fail=1,status=529]";  /* overloaded: retried */
	model_response_init(&r);
	ops->complete(st, &req, &r, &err);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_INT(r.attempts, 2);
	model_response_release(&r);

	req.prompt = "x [mock:refusal]";
	model_response_init(&r);
	ops->complete(st, &req, &r, &err);
	EXPECT_INT(r.failure, WR_FAIL_REFUSAL);
	EXPECT_STR(r.finish, "refusal");
	model_response_release(&r);

	req.prompt = "x";
	req.schema_json = "{\"type\":\"object\"}";
	model_response_init(&r);
	ops->complete(st, &req, &r, &err);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "{\"ok\":true}");
	model_response_release(&r);
	ops->close(st);
	mock_stop(&mk);
}
