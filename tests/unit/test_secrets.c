/* test_secrets.c: the key never comes back in anything a provider returns.
 *
 * The mock server is hostile on purpose: it quotes the key it was sent in
 * error bodies (like real APIs do) and, with echo-key, in the answer and the
 * model name. Every string the providers hand back is searched for it. */
#include <stdlib.h>

#include "harness.h"
#include "mock.h"
#include "model/provider.h"

#define KEY "sk-test-Zq81-DO-NOT-LEAK-4f2a9c"

static int leaks(const struct model_response *r, const struct wr_err *err)
{
	int n = 0;

	n += strstr(r->text.data, KEY) != NULL;
	n += strstr(r->detail, KEY) != NULL;
	n += strstr(r->finish, KEY) != NULL;
	n += strstr(r->model, KEY) != NULL;
	n += strstr(r->system_fingerprint, KEY) != NULL;
	for (int i = 0; i < r->attempts; i++)
		n += strstr(r->attempt[i].error, KEY) != NULL;
	for (size_t i = 0; i < r->n_tool_calls; i++)
		n += strstr(r->tool_calls[i].arguments, KEY) != NULL ||
		     strstr(r->tool_calls[i].name, KEY) != NULL;
	n += strstr(err->msg, KEY) != NULL;
	return n;
}

static void probe(const char *provider, const char *path_base, const char *key_env)
{
	static const char *const prompts[] = {
		"ok [mock:echo-key]",            /* success quoting the key */
		"x [mock:status=500]",           /* retried, then the body quotes it */
		"x [mock:status=400,echo-key]",
		"x [mock:tool,echo-key]",
	};
	const struct provider_ops *ops = provider_find(provider);
	struct model_request req = { .prompt = NULL, .attempt = 1 };
	struct model_response r;
	struct wr_err err = { 0 };
	struct spec_model m;
	struct mock mk;
	char opts[200];
	void *st;

	REQUIRE(mock_start(&mk, NULL) == 0);
	snprintf(opts, sizeof(opts), "{\"base_url\":\"%s%s\",\"backoff_ms\":1}", mk.base,
	         path_base);
	m = mock_model(provider, "m", opts);
	setenv(key_env, KEY, 1);
	REQUIRE(ops->open(&m, ".", &st, &err) == 0);
	for (size_t i = 0; i < sizeof(prompts) / sizeof(*prompts); i++) {
		req.prompt = prompts[i];
		model_response_init(&r);
		EXPECT_INT(ops->complete(st, &req, &r, &err), 0);
		EXPECT_INT(leaks(&r, &err), 0);
		if (i == 0)
			EXPECT_CONTAINS(r.text.data, "key=[redacted]");
		if (i == 1)
			EXPECT_CONTAINS(r.detail, "for key [redacted]");
		model_response_release(&r);
	}
	ops->close(st);
	mock_stop(&mk);

	/* A wrong key: the 401 body quotes it. */
	{
		static const char *const args[] = { "--require-key", "other", NULL };

		REQUIRE(mock_start(&mk, args) == 0);
		snprintf(opts, sizeof(opts), "{\"base_url\":\"%s%s\"}", mk.base, path_base);
		m = mock_model(provider, "m", opts);
		REQUIRE(ops->open(&m, ".", &st, &err) == 0);
		req.prompt = "p";
		model_response_init(&r);
		EXPECT_INT(ops->complete(st, &req, &r, &err), 0);
		EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
		EXPECT_CONTAINS(r.detail, "HTTP 401");
		EXPECT_INT(leaks(&r, &err), 0);
		model_response_release(&r);
		ops->close(st);
		mock_stop(&mk);
	}
	unsetenv(key_env);
}

TEST(secrets_openai_key_never_returned)
{
	probe("openai", "/v1", "OPENAI_API_KEY");
}

TEST(secrets_anthropic_key_never_returned)
{
	probe("anthropic", "", "ANTHROPIC_API_KEY");
}

TEST(secrets_key_from_file)
{
	const struct provider_ops *ops = provider_find("openai");
	struct model_request req = { .prompt = "ok [mock:echo-key]" };
	struct model_response r;
	struct wr_err err = { 0 };
	struct spec_model m;
	struct mock mk;
	char opts[200], path[700];
	void *st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/key", t_tmpdir());
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs(KEY "\n", f);
	fclose(f);
	unsetenv("OPENAI_API_KEY");
	setenv("OPENAI_API_KEY_FILE", path, 1);
	{
		static const char *const args[] = { "--require-key", KEY, NULL };

		REQUIRE(mock_start(&mk, args) == 0);
	}
	snprintf(opts, sizeof(opts), "{\"base_url\":\"%s/v1\"}", mk.base);
	m = mock_model("openai", "m", opts);
	REQUIRE(ops->open(&m, ".", &st, &err) == 0);
	model_response_init(&r);
	EXPECT_INT(ops->complete(st, &req, &r, &err), 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);  /* the server accepted the key */
	EXPECT_INT(leaks(&r, &err), 0);
	model_response_release(&r);
	ops->close(st);
	mock_stop(&mk);
	unsetenv("OPENAI_API_KEY_FILE");
}

TEST(secrets_redact_helpers)
{
	char s[32] = "a sk-1234 b sk-1234";
	struct buf b = BUF_INIT;

	provider_redact(s, sizeof(s), "sk-1234");
	EXPECT_STR(s, "a [redacted] b [redacted]");
	snprintf(s, sizeof(s), "cut off: sk-12");  /* truncated mid-key */
	provider_redact(s, sizeof(s), "sk-1234");
	EXPECT_STR(s, "cut off: [redacted]");
	snprintf(s, sizeof(s), "sk-");             /* too short to tell */
	provider_redact(s, sizeof(s), "sk-1234");
	EXPECT_STR(s, "sk-");
	buf_adds(&b, "xx sk-1234");
	EXPECT_INT(provider_redact_buf(&b, "sk-1234"), 0);
	EXPECT_STR(b.data, "xx [redacted]");
	buf_release(&b);
}
