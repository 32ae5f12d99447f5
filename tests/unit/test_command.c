/* test_command.c: the command provider. */
#include <stdlib.h>

#include "core/os.h"
#include "harness.h"
#include "mock.h"
#include "model/provider.h"

static char last_dir[600];

static int run(const char *options, const char *prompt, struct model_response *r)
{
	struct spec_model m = mock_model("command", NULL, options);
	const struct provider_ops *ops = provider_find("command");
	struct model_request req = { .system = "sys", .prompt = prompt, .step_id = "draft",
	                             .seed = 42, .attempt = 1 };
	struct wr_err err;
	void *st = NULL;
	int rc;

	model_response_init(r);
	snprintf(last_dir, sizeof(last_dir), "%s", t_tmpdir());
	if ((rc = ops->open(&m, last_dir, &st, &err)) < 0)
		return rc;
	rc = ops->complete(st, &req, r, &err);
	ops->close(st);
	return rc;
}

TEST(command_json_answer_and_request)
{
	struct model_response r;
	struct buf in = BUF_INIT;
	char path[700];

	REQUIRE(run("{\"command\":[\"/bin/sh\",\"-c\",\"cat > in.json; printf "
	            "'{\\\"text\\\":\\\"hi\\\",\\\"tokens_in\\\":5,\\\"tokens_out\\\":2}'\"],"
	            "\"temperature\":0.5}", "the prompt", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "hi");
	EXPECT_INT(r.tokens_in, 5);
	EXPECT_INT(r.tokens_out, 2);
	model_response_release(&r);
	/* It ran in the flow's folder and got the request on stdin. */
	snprintf(path, sizeof(path), "%s/in.json", last_dir);
	REQUIRE(os_read_file(path, 0, &in, NULL) == 0);
	EXPECT_CONTAINS(in.data, "\"prompt\":\"the prompt\"");
	EXPECT_CONTAINS(in.data, "\"params\":{\"temperature\":0.5}");
	buf_release(&in);
}

TEST(command_gets_the_request_on_stdin)
{
	struct model_response r;

	REQUIRE(run("{\"command\":\"cat\",\"temperature\":0.5}", "the prompt", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	/* cat echoes the request; it is not an answer object, so it is plain text. */
	EXPECT_STR(r.text.data, "{\"system\":\"sys\",\"prompt\":\"the prompt\",\"seed\":42,"
	           "\"step\":\"draft\",\"attempt\":1,\"call_index\":0,\"params\":"
	           "{\"temperature\":0.5}}");
	model_response_release(&r);
}

TEST(command_plain_text)
{
	struct model_response r;

	REQUIRE(run("{\"command\":\"echo hello; echo world\"}", "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "hello\nworld");
	EXPECT_STR(r.finish, "stop");
	model_response_release(&r);
}

TEST(command_refusal_and_error)
{
	struct model_response r;

	REQUIRE(run("{\"command\":\"echo '{\\\"text\\\":\\\"no\\\",\\\"refusal\\\":true}'\"}",
	            "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_REFUSAL);
	model_response_release(&r);
	REQUIRE(run("{\"command\":\"echo '{\\\"error\\\":\\\"model not loaded\\\"}'\"}",
	            "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "model not loaded");
	model_response_release(&r);
}

TEST(command_timeout_kills_the_group)
{
	struct model_response r;
	uint64_t t0 = os_mono_ns();

	REQUIRE(run("{\"command\":\"sleep 30 & sleep 30; echo late\",\"timeout\":0.3}",
	            "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_TIMEOUT);
	EXPECT_CONTAINS(r.detail, "no answer within 300 ms");
	/* The backgrounded sleep held stdout too: it was killed with the group. */
	EXPECT((os_mono_ns() - t0) / 1000000 < 2000);
	model_response_release(&r);
}

TEST(command_output_cap)
{
	struct model_response r;

	REQUIRE(run("{\"command\":\"head -c 5000000 /dev/zero | tr '\\\\0' x\"}", "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "output over 4194304 bytes");
	model_response_release(&r);
}

TEST(command_nonzero_exit_reports_stderr)
{
	struct model_response r;

	REQUIRE(run("{\"command\":\"echo first >&2; printf 'bad\\\\tthing\\\\n\\\\n' >&2; "
	            "exit 3\"}", "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_STR(r.detail, "command: exit status 3: bad thing");
	model_response_release(&r);
	REQUIRE(run("{\"command\":[\"/nonexistent/model\"]}", "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_PROVIDER_ERROR);
	EXPECT_CONTAINS(r.detail, "cannot run /nonexistent/model");
	model_response_release(&r);
}

TEST(command_environment_has_no_secrets)
{
	struct model_response r;

	setenv("WR_TEST_API_KEY", "sk-shouldnotleak", 1);
	setenv("GITHUB_TOKEN", "ghp-shouldnotleak", 1);
	setenv("my_secret_thing", "shouldnotleak", 1);
	setenv("WR_TEST_PLAIN", "visible", 1);
	REQUIRE(run("{\"command\":[\"env\"]}", "p", &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT(strstr(r.text.data, "shouldnotleak") == NULL);
	EXPECT_CONTAINS(r.text.data, "WR_TEST_PLAIN=visible");
	EXPECT_CONTAINS(r.text.data, "PATH=");
	model_response_release(&r);
	unsetenv("WR_TEST_API_KEY");
	unsetenv("GITHUB_TOKEN");
	unsetenv("my_secret_thing");
}

TEST(command_that_ignores_stdin_does_not_kill_us)
{
	struct model_response r;
	struct buf big = BUF_INIT;

	for (int i = 0; i < 100000; i++)
		buf_adds(&big, "0123456789");
	REQUIRE(run("{\"command\":\"echo ok\"}", big.data, &r) == 0);
	EXPECT_INT(r.failure, WR_FAIL_NONE);
	EXPECT_STR(r.text.data, "ok");
	model_response_release(&r);
	buf_release(&big);
}

TEST(command_needs_a_command)
{
	struct model_response r;

	EXPECT_INT(run("{\"timeout\":3}", "p", &r), WR_EPROVIDER);
	EXPECT_INT(run("{\"command\":[1,2]}", "p", &r), WR_EPROVIDER);
	model_response_release(&r);
}
