/* record.c: canonical requests and response records (record.h). */
#include "model/record.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/remote.h"

/* --- requests --- */

static int set(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

/* A JSON text as a value, or the text itself when it does not parse. */
static json_t *json_or_text(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	return v ? v : json_string(text);
}

static json_t *request_tools(const struct model_request *req)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < req->n_tools; i++) {
		const struct model_tool *t = &req->tools[i];
		json_t *o = json_object();

		set(o, "name", json_string(t->name ? t->name : ""));
		if (t->description)
			set(o, "description", json_string(t->description));
		if (t->parameters)
			set(o, "parameters", json_or_text(t->parameters));
		json_array_append_new(a, o);
	}
	return a;
}

int record_request(const struct spec_model *m, const struct model_request *req,
                   struct buf *out, struct wr_err *err)
{
	json_t *opts = m->options ? json_loads(m->options, 0, NULL) : NULL;
	json_t *r = json_object(), *v;
	const char *model = m->model;
	char *txt = NULL;
	int rc = WR_ENOMEM;

	if (!r)
		goto out;
	if (!model)
		model = json_string_value(json_object_get(opts, "model"));
	set(r, "model", json_string(model ? model : m->name ? m->name : ""));
	set(r, "system", json_string(req->system ? req->system : ""));
	set(r, "prompt", json_string(req->prompt ? req->prompt : ""));
	if (m->temperature >= 0)
		set(r, "temperature", json_real(m->temperature));
	if (json_is_number(v = json_object_get(opts, "top_p")))
		json_object_set(r, "top_p", v);
	if (m->max_tokens > 0)
		set(r, "max_tokens", json_integer(m->max_tokens));
	/* The seed, where the provider sends one (the Messages API has none). */
	if (json_is_integer(v = json_object_get(opts, "seed")))
		json_object_set(r, "seed", v);
	else if (!m->provider || strcmp(m->provider, "anthropic"))
		set(r, "seed", json_integer((json_int_t)(req->seed & INT64_MAX)));
	if ((v = model_stops(opts, req)) != NULL)
		set(r, "stop", v);
	if (req->schema_json) {
		set(r, "schema", json_or_text(req->schema_json));
		set(r, "schema_name", json_string(req->schema_name ? req->schema_name : "output"));
	}
	if (req->n_tools)
		set(r, "tools", request_tools(req));
	if (req->tool_choice)
		set(r, "tool_choice", json_string(req->tool_choice));
	txt = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	if (!txt)
		goto out;
	rc = buf_adds(out, txt);
out:
	free(txt);
	json_decref(r);
	json_decref(opts);
	return rc < 0 ? err_set(err, rc, "recording a model request: %s", wr_strerror(rc)) : 0;
}

int record_request_hash(const struct spec_model *m, const struct model_request *req,
                        char hash[HASH_HEX], struct wr_err *err)
{
	struct buf b = BUF_INIT;
	int rc = record_request(m, req, &b, err);

	if (rc == 0)
		hash_hex(b.data, b.len, hash);
	buf_release(&b);
	return rc;
}

/* --- responses --- */

int record_response(const struct model_response *resp, struct buf *out,
                    struct wr_err *err)
{
	json_t *r = json_object(), *calls = json_array();
	char *txt = NULL;
	int rc = WR_ENOMEM;

	if (!r || !calls)
		goto out;
	set(r, "text", json_stringn(resp->text.data, resp->text.len));
	set(r, "tokens_in", json_integer(resp->tokens_in));
	set(r, "tokens_out", json_integer(resp->tokens_out));
	set(r, "failure", json_string(wr_failure_name(resp->failure)));
	set(r, "finish", json_string(resp->finish));
	set(r, "detail", json_string(resp->detail));
	set(r, "model", json_string(resp->model));
	set(r, "system_fingerprint", json_string(resp->system_fingerprint));
	for (size_t i = 0; i < resp->n_tool_calls; i++) {
		const struct model_tool_call *t = &resp->tool_calls[i];

		json_array_append_new(calls, json_pack("{s:s,s:s,s:s}", "id", t->id, "name",
		                                       t->name, "arguments", t->arguments));
	}
	json_object_set(r, "tool_calls", calls);
	txt = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	if (!txt)
		goto out;
	rc = buf_adds(out, txt);
out:
	free(txt);
	json_decref(calls);
	json_decref(r);
	return rc < 0 ? err_set(err, rc, "recording a model response: %s", wr_strerror(rc)) : 0;
}

static void copy_str(json_t *o, const char *key, char *dst, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, size, "%s", s ? s : "");
}

static int read_tool_calls(json_t *calls, struct model_response *resp)
{
	size_t i;
	json_t *c;

	json_array_foreach(calls, i, c) {
		struct model_tool_call *t = realloc(resp->tool_calls,
		                                    (resp->n_tool_calls + 1) * sizeof(*t));
		const char *args = json_string_value(json_object_get(c, "arguments"));

		if (!t)
			return WR_ENOMEM;
		resp->tool_calls = t;
		t = &t[resp->n_tool_calls];
		memset(t, 0, sizeof(*t));
		copy_str(c, "id", t->id, sizeof(t->id));
		copy_str(c, "name", t->name, sizeof(t->name));
		if (!(t->arguments = strdup(args ? args : "{}")))
			return WR_ENOMEM;
		resp->n_tool_calls++;
	}
	return 0;
}

int record_response_read(const char *json, size_t len, struct model_response *resp,
                         struct wr_err *err)
{
	json_error_t je;
	json_t *r = json_loadb(json, len, JSON_DECODE_ANY, &je), *text;
	const char *failure;
	int rc = WR_EINVAL, f, said = 0;

	if (json_is_string(r)) {
		rc = buf_add(&resp->text, json_string_value(r), json_string_length(r));
		snprintf(resp->finish, sizeof(resp->finish), "stop");
		resp->tokens_out = provider_estimate_tokens(resp->text.data);
		goto out;
	}
	if (!json_is_object(r)) {
		err_set(err, rc, "a recorded response is neither a JSON object nor a string%s%s",
		        r ? "" : ": ", r ? "" : je.text);
		said = 1;
		goto out;
	}
	text = json_object_get(r, "text");
	if (json_is_string(text) &&
	    (rc = buf_add(&resp->text, json_string_value(text), json_string_length(text))) < 0)
		goto out;
	resp->tokens_in = json_integer_value(json_object_get(r, "tokens_in"));
	resp->tokens_out = json_integer_value(json_object_get(r, "tokens_out"));
	failure = json_string_value(json_object_get(r, "failure"));
	f = failure ? wr_failure_parse(failure) : WR_FAIL_NONE;
	resp->failure = f < 0 ? WR_FAIL_PROVIDER_ERROR : (enum wr_failure)f;
	copy_str(r, "finish", resp->finish, sizeof(resp->finish));
	if (!resp->finish[0])
		snprintf(resp->finish, sizeof(resp->finish), "stop");
	copy_str(r, "detail", resp->detail, sizeof(resp->detail));
	copy_str(r, "model", resp->model, sizeof(resp->model));
	copy_str(r, "system_fingerprint", resp->system_fingerprint,
	         sizeof(resp->system_fingerprint));
	rc = read_tool_calls(json_object_get(r, "tool_calls"), resp);
out:
	json_decref(r);
	if (rc < 0 && !said)
		err_set(err, rc, "reading a recorded response: %s", wr_strerror(rc));
	return rc < 0 ? rc : 0;
}
