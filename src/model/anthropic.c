/* anthropic.c: the Anthropic Messages provider.
 *
 * Speaks POST {base}/v1/messages with x-api-key and anthropic-version
 * 2023-06-01. Base URL: options base_url, else $ANTHROPIC_BASE_URL, else
 * https://api.anthropic.com. Key: the env var named by options api_key_env
 * (default ANTHROPIC_API_KEY), else the file named by
 * $ANTHROPIC_API_KEY_FILE.
 *
 * The API requires max_tokens: the model's, else 1024. It has no JSON
 * Schema response format, so a schema goes as the one tool the model must
 * call (tool_choice {type: tool}), and that call's input is the output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/remote.h"

#define ANTHROPIC_BASE "https://api.anthropic.com"
#define ANTHROPIC_VERSION "2023-06-01"
#define ANTHROPIC_MAX_TOKENS 1024

/* --- request --- */

static json_t *tool_json(const char *name, const char *description, json_t *schema)
{
	json_t *t = json_pack("{s:s}", "name", name);

	if (description)
		json_object_set_new(t, "description", json_string(description));
	json_object_set_new(t, "input_schema", schema);
	return t;
}

static int add_tools(json_t *body, const struct model_request *req, struct wr_err *err)
{
	json_t *tools = json_array(), *schema;
	const char *choice = req->tool_choice;

	json_object_set_new(body, "tools", tools);
	for (size_t i = 0; i < req->n_tools; i++) {
		const struct model_tool *t = &req->tools[i];

		schema = t->parameters ? remote_json_arg(t->parameters, "tool parameters", err)
		                       : json_pack("{s:s}", "type", "object");
		if (!schema)
			return WR_EINVAL;
		json_array_append_new(tools, tool_json(t->name, t->description, schema));
	}
	if (!choice || !strcmp(choice, "auto"))
		return 0;
	if (!strcmp(choice, "none"))
		json_object_set_new(body, "tool_choice", json_pack("{s:s}", "type", "none"));
	else if (!strcmp(choice, "required"))
		json_object_set_new(body, "tool_choice", json_pack("{s:s}", "type", "any"));
	else
		json_object_set_new(body, "tool_choice",
		                    json_pack("{s:s,s:s}", "type", "tool", "name", choice));
	return 0;
}

static int anthropic_build(const struct remote *r, const struct model_request *req,
                           struct buf *out, int64_t *cost, struct wr_err *err)
{
	json_t *body = json_object(), *v, *schema;
	int64_t max_out = r->max_tokens > 0 ? r->max_tokens : ANTHROPIC_MAX_TOKENS;
	const char *name = req->schema_name ? req->schema_name : "output";
	int rc = WR_EINVAL;

	json_object_set_new(body, "model", json_string(r->model));
	json_object_set_new(body, "max_tokens", json_integer(max_out));
	if (req->system)
		json_object_set_new(body, "system", json_string(req->system));
	json_object_set_new(body, "messages",
	                    json_pack("[{s:s,s:s}]", "role", "user", "content",
	                              req->prompt ? req->prompt : ""));
	if (r->temperature >= 0)
		json_object_set_new(body, "temperature", json_real(r->temperature));
	if (json_is_number(v = json_object_get(r->opts, "top_p")))
		json_object_set(body, "top_p", v);
	if ((v = remote_stops(r, req)) != NULL)
		json_object_set_new(body, "stop_sequences", v);
	if (req->schema_json) {
		if (!(schema = remote_json_arg(req->schema_json, "the output schema", err)))
			goto out;
		json_object_set_new(body, "tools",
		                    json_pack("[o]", tool_json(name, "Record the answer.",
		                                               schema)));
		json_object_set_new(body, "tool_choice",
		                    json_pack("{s:s,s:s}", "type", "tool", "name", name));
	} else if (req->n_tools && (rc = add_tools(body, req, err)) < 0) {
		goto out;
	}
	*cost = remote_estimate_in(req) + max_out;
	rc = remote_dump(body, out, err);
out:
	json_decref(body);
	return rc;
}

/* --- response --- */

static const char *finish_name(const char *stop)
{
	if (!stop)
		return "";
	if (!strcmp(stop, "end_turn") || !strcmp(stop, "stop_sequence"))
		return "stop";
	if (!strcmp(stop, "max_tokens"))
		return "length";
	if (!strcmp(stop, "tool_use"))
		return "tool_calls";
	return stop;  /* "refusal", "pause_turn", ... as the API says */
}

/* Text blocks are concatenated into the output; tool_use blocks become tool
 * calls, except the schema tool, whose input is the output itself. */
static int parse_blocks(json_t *content, const char *schema_tool,
                        struct model_response *resp)
{
	size_t i;
	json_t *b;
	char *args;
	int rc = 0;

	json_array_foreach(content, i, b) {
		const char *type = json_string_value(json_object_get(b, "type"));
		const char *name = json_string_value(json_object_get(b, "name"));

		if (type && !strcmp(type, "text")) {
			rc = buf_adds(&resp->text, json_string_value(json_object_get(b, "text"))
			              ? json_string_value(json_object_get(b, "text")) : "");
		} else if (type && !strcmp(type, "tool_use")) {
			args = json_dumps(json_object_get(b, "input"),
			                  JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
			if (!args)
				return WR_ENOMEM;
			if (schema_tool && name && !strcmp(name, schema_tool)) {
				buf_reset(&resp->text);
				rc = buf_adds(&resp->text, args);
			} else {
				rc = remote_tool_call_add(
					resp, json_string_value(json_object_get(b, "id")), name, args);
			}
			free(args);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void anthropic_parse(const struct remote *r, const struct model_request *req,
                            const char *body, size_t len, struct model_response *resp)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je), *usage, *content;
	const char *stop;

	if (!json_is_object(root)) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR,
		            "anthropic: malformed JSON in response (%zu bytes): %s at byte %d",
		            len, je.text, je.position);
		goto out;
	}
	content = json_object_get(root, "content");
	if (!json_is_array(content)) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR, "anthropic: response has no content");
		goto out;
	}
	remote_copy_str(root, "model", resp->model, sizeof(resp->model));
	stop = json_string_value(json_object_get(root, "stop_reason"));
	snprintf(resp->finish, sizeof(resp->finish), "%s", finish_name(stop));
	usage = json_object_get(root, "usage");
	resp->tokens_in = json_integer_value(json_object_get(usage, "input_tokens"));
	resp->tokens_out = json_integer_value(json_object_get(usage, "output_tokens"));
	if (parse_blocks(content, req->schema_json ? (req->schema_name ? req->schema_name
	                                              : "output") : NULL, resp) < 0) {
		remote_fail(resp, WR_FAIL_PROVIDER_ERROR, "anthropic: response text too large");
		goto out;
	}
	if (!json_is_object(usage))
		resp->tokens_out = provider_estimate_tokens(resp->text.data);
	if (stop && !strcmp(stop, "refusal")) {
		resp->failure = WR_FAIL_REFUSAL;
		snprintf(resp->detail, sizeof(resp->detail), "the model declined%s%.200s",
		         resp->text.len ? ": " : "", resp->text.data);
	}
out:
	json_decref(root);
}

/* --- the provider --- */

const struct remote_api anthropic_api = { anthropic_build, anthropic_parse };

static int anthropic_open(const struct spec_model *m, const char *flow_dir, void **state,
                          struct wr_err *err)
{
	struct remote *r = calloc(1, sizeof(*r));
	int rc = WR_ENOMEM;

	*state = NULL;
	if (!r)
		return err_set(err, rc, "out of memory");
	if ((rc = remote_init(r, "anthropic", m, "ANTHROPIC_BASE_URL", ANTHROPIC_BASE,
	                      "/v1/messages", "ANTHROPIC_API_KEY", err)) < 0)
		goto out;
	if ((rc = remote_header_add(r, "anthropic-version", ANTHROPIC_VERSION, err)) < 0 ||
	    (r->key && (rc = remote_header_add(r, "x-api-key", r->key, err)) < 0))
		goto out;
	*state = r;
	r = NULL;
	rc = 0;
out:
	if (r) {
		remote_release(r);
		free(r);
	}
	return rc;
}

static int anthropic_complete(void *state, const struct model_request *req,
                              struct model_response *resp, struct wr_err *err)
{
	return remote_complete(state, &anthropic_api, req, resp, 1, err);
}

static int anthropic_complete_batch(void *state, const struct model_request *reqs,
                                    struct model_response *resps, size_t n,
                                    struct wr_err *err)
{
	return remote_complete(state, &anthropic_api, reqs, resps, n, err);
}

static void anthropic_close(void *state)
{
	if (!state)
		return;
	remote_release(state);
	free(state);
}

const struct provider_ops provider_anthropic = {
	.name = "anthropic",
	.open = anthropic_open,
	.complete = anthropic_complete,
	.close = anthropic_close,
	.complete_batch = anthropic_complete_batch,
};
