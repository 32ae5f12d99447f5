/* openai.c: the OpenAI Chat Completions provider.
 *
 * Speaks POST {base}/chat/completions to OpenAI or any compatible server
 * (vLLM, Ollama, llama.cpp server, LM Studio). Base URL: options base_url,
 * else $OPENAI_BASE_URL, else https://api.openai.com/v1. Key: the env var
 * named by options api_key_env (default OPENAI_API_KEY), else the file named
 * by $OPENAI_API_KEY_FILE; local servers may need none.
 *
 * The body is built in a fixed key order so that the same request is the
 * same bytes (record/replay hashes them). Sampling: temperature and
 * max_tokens from the model, top_p, seed and stop from options; the seed
 * defaults to the run's (to 53 bits, which every JSON reader keeps exactly).
 * A schema goes as response_format json_schema with strict: true. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/remote.h"

#define OPENAI_BASE "https://api.openai.com/v1"

/* --- request --- */

static int add_tools(json_t *body, const struct model_request *req, struct wr_err *err)
{
	json_t *tools = json_array(), *fn, *params;

	json_object_set_new(body, "tools", tools);
	for (size_t i = 0; i < req->n_tools; i++) {
		const struct model_tool *t = &req->tools[i];

		params = t->parameters ? remote_json_arg(t->parameters, "tool parameters", err)
		                       : json_pack("{s:s}", "type", "object");
		if (!params)
			return WR_EINVAL;
		fn = json_pack("{s:s}", "name", t->name);
		if (t->description)
			json_object_set_new(fn, "description", json_string(t->description));
		json_object_set_new(fn, "parameters", params);
		json_array_append_new(tools, json_pack("{s:s,s:o}", "type", "function",
		                                       "function", fn));
	}
	if (!req->tool_choice)
		return 0;
	if (!strcmp(req->tool_choice, "auto") || !strcmp(req->tool_choice, "none") ||
	    !strcmp(req->tool_choice, "required"))
		json_object_set_new(body, "tool_choice", json_string(req->tool_choice));
	else
		json_object_set_new(body, "tool_choice",
		                    json_pack("{s:s,s:{s:s}}", "type", "function", "function",
		                              "name", req->tool_choice));
	return 0;
}

static int openai_build(const struct remote *r, const struct model_request *req,
                        struct buf *out, int64_t *cost, struct wr_err *err)
{
	json_t *body = json_object(), *msgs = json_array(), *v, *schema;
	int64_t max_out = r->max_tokens;
	int rc = WR_EINVAL;

	json_object_set_new(body, "model", json_string(r->model));
	if (req->system)
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system",
		                                      "content", req->system));
	json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user",
	                                      "content", req->prompt ? req->prompt : ""));
	json_object_set_new(body, "messages", msgs);
	if (r->temperature >= 0)
		json_object_set_new(body, "temperature", json_real(r->temperature));
	if (json_is_number(v = json_object_get(r->opts, "top_p")))
		json_object_set(body, "top_p", v);
	if (max_out > 0)
		json_object_set_new(body, "max_tokens", json_integer(max_out));
	if (json_is_integer(v = json_object_get(r->opts, "seed")))
		json_object_set(body, "seed", v);
	else if (req->seed)
		json_object_set_new(body, "seed",
		                    json_integer((json_int_t)(req->seed & ((1ull << 53) - 1))));
	if ((v = remote_stops(r, req)) != NULL)
		json_object_set_new(body, "stop", v);
	if (req->schema_json) {
		if (!(schema = remote_json_arg(req->schema_json, "the output schema", err)))
			goto out;
		json_object_set_new(body, "response_format",
		                    json_pack("{s:s,s:{s:s,s:o,s:b}}", "type", "json_schema",
		                              "json_schema", "name",
		                              req->schema_name ? req->schema_name : "output",
		                              "schema", schema, "strict", 1));
	}
	if (req->n_tools && (rc = add_tools(body, req, err)) < 0)
		goto out;
	*cost = remote_estimate_in(req) + (max_out > 0 ? max_out : 0);
	rc = remote_dump(body, out, err);
out:
	json_decref(body);
	return rc;
}

/* --- response --- */

static void parse_tool_calls(json_t *calls, struct model_response *resp)
{
	size_t i;
	json_t *c;

	json_array_foreach(calls, i, c) {
		json_t *fn = json_object_get(c, "function");
		const char *args = json_string_value(json_object_get(fn, "arguments"));

		if (remote_tool_call_add(resp, json_string_value(json_object_get(c, "id")),
		                         json_string_value(json_object_get(fn, "name")),
		                         args) < 0) {
			remote_fail(resp, WR_FAIL_PROVIDER_ERROR, "openai: out of memory");
			return;
		}
	}
}

static void openai_parse(const struct remote *r, const struct model_request *req,
                         const char *body, size_t len, struct model_response *resp)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je), *choice, *msg, *usage, *content;
	const char *refusal, *finish;

	if (!json_is_object(root)) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR,
		            "openai: malformed JSON in response (%zu bytes): %s at byte %d",
		            len, je.text, je.position);
		goto out;
	}
	choice = json_array_get(json_object_get(root, "choices"), 0);
	msg = json_object_get(choice, "message");
	if (!json_is_object(msg)) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR,
		            "openai: response has no choices[0].message");
		goto out;
	}
	remote_copy_str(root, "model", resp->model, sizeof(resp->model));
	remote_copy_str(root, "system_fingerprint", resp->system_fingerprint,
	                sizeof(resp->system_fingerprint));
	finish = json_string_value(json_object_get(choice, "finish_reason"));
	snprintf(resp->finish, sizeof(resp->finish), "%s", finish ? finish : "");
	usage = json_object_get(root, "usage");
	resp->tokens_in = json_integer_value(json_object_get(usage, "prompt_tokens"));
	resp->tokens_out = json_integer_value(json_object_get(usage, "completion_tokens"));
	content = json_object_get(msg, "content");
	if (json_is_string(content) &&
	    buf_add(&resp->text, json_string_value(content), json_string_length(content)) < 0) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR, "openai: response text too large");
		goto out;
	}
	parse_tool_calls(json_object_get(msg, "tool_calls"), resp);
	if (!json_is_object(usage)) {
		/* Some compatible servers send no usage: estimate, so budgets still count. */
		resp->tokens_out = provider_estimate_tokens(resp->text.data);
	}
	refusal = json_string_value(json_object_get(msg, "refusal"));
	if (refusal && *refusal) {
		buf_reset(&resp->text);
		buf_adds(&resp->text, refusal);
		resp->failure = WR_FAIL_REFUSAL;
		snprintf(resp->finish, sizeof(resp->finish), "refusal");
		snprintf(resp->detail, sizeof(resp->detail), "the model declined: %.200s",
		         refusal);
	} else if (finish && !strcmp(finish, "content_filter")) {
		resp->failure = WR_FAIL_REFUSAL;
		snprintf(resp->detail, sizeof(resp->detail),
		         "the answer was withheld by the provider's content filter");
	} else if (!json_is_string(content) && !resp->n_tool_calls && !resp->failure) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR,
		            "openai: response has neither content nor tool calls");
	}
out:
	json_decref(root);
}

/* --- the provider --- */

const struct remote_api openai_api = { openai_build, openai_parse };

static int openai_open(const struct spec_model *m, const char *flow_dir, void **state,
                       struct wr_err *err)
{
	struct remote *r = calloc(1, sizeof(*r));
	struct buf auth = BUF_INIT;
	int rc = WR_ENOMEM;

	*state = NULL;
	if (!r)
		return err_set(err, rc, "out of memory");
	if ((rc = remote_init(r, "openai", m, "OPENAI_BASE_URL", OPENAI_BASE,
	                      "/chat/completions", "OPENAI_API_KEY", err)) < 0)
		goto out;
	if (r->key) {
		rc = buf_printf(&auth, "Bearer %s", r->key) < 0
		     ? err_set(err, WR_ENOMEM, "out of memory")
		     : remote_header_add(r, "Authorization", auth.data, err);
		explicit_bzero(auth.data, auth.len);
		if (rc < 0)
			goto out;
	}
	*state = r;
	r = NULL;
	rc = 0;
out:
	buf_release(&auth);
	if (r) {
		remote_release(r);
		free(r);
	}
	return rc;
}

static int openai_complete(void *state, const struct model_request *req,
                           struct model_response *resp, struct wr_err *err)
{
	return remote_complete(state, &openai_api, req, resp, 1, err);
}

static int openai_complete_batch(void *state, const struct model_request *reqs,
                                 struct model_response *resps, size_t n,
                                 struct wr_err *err)
{
	return remote_complete(state, &openai_api, reqs, resps, n, err);
}

static void openai_close(void *state)
{
	if (!state)
		return;
	remote_release(state);
	free(state);
}

const struct provider_ops provider_openai = {
	.name = "openai",
	.open = openai_open,
	.complete = openai_complete,
	.close = openai_close,
	.complete_batch = openai_complete_batch,
};
