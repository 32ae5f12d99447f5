/* remote.c: options, keys, batching and redaction for the HTTP providers. */
#include "model/remote.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/os.h"

/* --- options --- */

double remote_opt_num(const struct remote *r, const char *key, double dflt)
{
	json_t *v = json_object_get(r->opts, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *opt_str(const struct remote *r, const char *key)
{
	json_t *v = json_object_get(r->opts, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

static struct http_params http_params_from(const struct remote *r)
{
	struct http_params p = http_default_params();

	p.timeout_ms = (int64_t)(remote_opt_num(r, "timeout", 120) * 1000);
	p.connect_timeout_ms = (int64_t)(remote_opt_num(r, "connect_timeout", 10) * 1000);
	p.max_attempts = (int)remote_opt_num(r, "max_attempts", p.max_attempts);
	p.backoff_base_ms = (int64_t)remote_opt_num(r, "backoff_ms", (double)p.backoff_base_ms);
	p.backoff_max_ms = (int64_t)remote_opt_num(r, "backoff_max_ms",
	                                           (double)p.backoff_max_ms);
	p.max_concurrency = (int)remote_opt_num(r, "max_concurrency", p.max_concurrency);
	p.rpm = remote_opt_num(r, "rpm", 0);
	p.tpm = remote_opt_num(r, "tpm", 0);
	p.max_response = (size_t)remote_opt_num(r, "max_response_bytes",
	                                        (double)p.max_response);
	return p;
}

/* --- keys --- */

static int key_from_file(const char *path, char **out, struct wr_err *err)
{
	struct buf b = BUF_INIT;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = os_read_file(path, 64 << 10, &b, err)) < 0)
		goto out;
	n = b.len;
	while (n && isspace((unsigned char)b.data[n - 1]))
		n--;
	b.data[n] = '\0';
	b.len = n;
	*out = buf_detach(&b, NULL);
	rc = *out ? 0 : err_set(err, WR_ENOMEM, "out of memory");
out:
	buf_release(&b);
	return rc;
}

/* The key: the env var named by api_key_env (or key_env), else the file
 * named by key_env + "_FILE". Never quoted in a message. */
static int key_find(struct remote *r, const char *key_env, const char **used,
                    struct wr_err *err)
{
	const char *env = opt_str(r, "api_key_env");
	char file_env[128];
	const char *v, *path;
	int rc;

	*used = env ? env : key_env;
	v = getenv(*used);
	if (v && *v) {
		r->key = strdup(v);
		if (!r->key)
			return err_set(err, WR_ENOMEM, "out of memory");
	} else {
		snprintf(file_env, sizeof(file_env), "%s_FILE", key_env);
		path = getenv(file_env);
		if (path && *path && (rc = key_from_file(path, &r->key, err)) < 0)
			return err_wrap(err, "model '%s': %s", r->name, file_env);
		if (r->key && !*r->key) {
			free(r->key);
			r->key = NULL;
		}
	}
	for (const char *p = r->key; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(err, WR_EPROVIDER, "model '%s': the key in %s contains "
			               "control characters", r->name, *used);
	return 0;
}

/* --- set-up --- */

int remote_init(struct remote *r, const char *provider, const struct spec_model *m,
                const char *base_env, const char *dflt_base, const char *path,
                const char *key_env, struct wr_err *err)
{
	struct http_params hp;
	const char *base, *used;
	json_error_t je;
	struct buf url = BUF_INIT;
	size_t n;
	int rc = WR_EPROVIDER;

	memset(r, 0, sizeof(*r));
	r->provider = provider;
	r->name = m->name ? m->name : "?";
	r->model = m->model;
	r->temperature = m->temperature;
	r->max_tokens = m->max_tokens;
	r->opts = m->options ? json_loads(m->options, 0, &je) : json_object();
	if (!json_is_object(r->opts)) {
		err_set(err, WR_EPROVIDER, "model '%s': options are not a JSON object", r->name);
		goto out;
	}
	if (!r->model && !(r->model = opt_str(r, "model"))) {
		err_set(err, WR_EPROVIDER, "model '%s': the %s provider needs 'model'",
		        r->name, provider);
		goto out;
	}
	base = opt_str(r, "base_url");
	if (!base)
		base = getenv(base_env) && *getenv(base_env) ? getenv(base_env) : dflt_base;
	n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (buf_add(&url, base, n) < 0 || buf_adds(&url, path) < 0 ||
	    !(r->url = buf_detach(&url, NULL))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	if (strncmp(r->url, "http://", 7) && strncmp(r->url, "https://", 8)) {
		err_set(err, WR_EPROVIDER, "model '%s': base_url must start with http:// or "
		        "https://", r->name);
		goto out;
	}
	if ((rc = key_find(r, key_env, &used, err)) < 0)
		goto out;
	rc = WR_EPROVIDER;
	if (!r->key && !strcmp(base, dflt_base)) {
		err_set(err, WR_EPROVIDER, "model '%s': no API key: set %s (or %s_FILE)",
		        r->name, used, key_env);
		goto out;
	}
	hp = http_params_from(r);
	if ((rc = http_client_new(&hp, &r->http, err)) < 0)
		goto out;
	rc = remote_header_add(r, "Content-Type", "application/json", err);
out:
	buf_release(&url);
	if (rc < 0)
		remote_release(r);
	return rc;
}

void remote_release(struct remote *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		explicit_bzero(r->headers[i], strlen(r->headers[i]));
		free(r->headers[i]);
	}
	free(r->headers);
	if (r->key) {
		explicit_bzero(r->key, strlen(r->key));
		free(r->key);
	}
	free(r->url);
	http_client_free(r->http);
	json_decref(r->opts);
	memset(r, 0, sizeof(*r));
}

int remote_header_add(struct remote *r, const char *name, const char *value,
                      struct wr_err *err)
{
	struct buf h = BUF_INIT;
	char **t = realloc(r->headers, (r->n_headers + 1) * sizeof(*t));

	if (!t)
		return err_set(err, WR_ENOMEM, "out of memory");
	r->headers = t;
	if (buf_printf(&h, "%s: %s", name, value) < 0 ||
	    !(r->headers[r->n_headers] = buf_detach(&h, NULL))) {
		buf_release(&h);
		return err_set(err, WR_ENOMEM, "out of memory");
	}
	r->n_headers++;
	return 0;
}

/* --- wire helpers --- */

json_t *remote_stops(const struct remote *r, const struct model_request *req)
{
	return model_stops(r->opts, req);
}

json_t *model_stops(json_t *opts, const struct model_request *req)
{
	json_t *a = json_array(), *o = json_object_get(opts, "stop"), *v;
	size_t i;

	if (!a)
		return NULL;
	if (req->stop)
		json_array_append_new(a, json_string(req->stop));
	if (json_is_string(o))
		json_array_append(a, o);
	json_array_foreach(o, i, v)
		if (json_is_string(v))
			json_array_append(a, v);
	if (!json_array_size(a)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *remote_json_arg(const char *text, const char *what, struct wr_err *err)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (!v || !json_is_object(v)) {
		json_decref(v);
		err_set(err, WR_EINVAL, "%s is not a JSON object%s%s", what,
		        v ? "" : ": ", v ? "" : je.text);
	}
	return json_is_object(v) ? v : NULL;
}

int remote_dump(json_t *v, struct buf *b, struct wr_err *err)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
	int rc;

	if (!s)
		return err_set(err, WR_ENOMEM, "out of memory");
	rc = buf_adds(b, s);
	free(s);
	return rc < 0 ? err_set(err, rc, "request body too large") : 0;
}

void remote_fail(struct model_response *resp, enum wr_failure f, const char *fmt, ...)
{
	va_list ap;

	resp->failure = f;
	snprintf(resp->finish, sizeof(resp->finish), "error");
	va_start(ap, fmt);
	vsnprintf(resp->detail, sizeof(resp->detail), fmt, ap);
	va_end(ap);
}

void remote_copy_str(json_t *obj, const char *key, char *dst, size_t size)
{
	const char *s = json_string_value(json_object_get(obj, key));

	snprintf(dst, size, "%s", s ? s : "");
}

int remote_tool_call_add(struct model_response *resp, const char *id, const char *name,
                         const char *arguments)
{
	struct model_tool_call *t = realloc(resp->tool_calls,
	                                    (resp->n_tool_calls + 1) * sizeof(*t));

	if (!t)
		return WR_ENOMEM;
	resp->tool_calls = t;
	t = &t[resp->n_tool_calls];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id ? id : "");
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
	if (!(t->arguments = strdup(arguments ? arguments : "{}")))
		return WR_ENOMEM;
	resp->n_tool_calls++;
	return 0;
}

int64_t remote_estimate_in(const struct model_request *req)
{
	return provider_estimate_tokens(req->prompt ? req->prompt : "") +
	       (req->system ? provider_estimate_tokens(req->system) : 0);
}

/* --- running calls --- */

/* The server's own words about an error: error.message, error (a string)
 * or message, else the body's start; control characters become spaces. */
static void server_message(const struct buf *body, char *out, size_t size)
{
	json_t *root = json_loadb(body->data, body->len, 0, NULL), *e;
	const char *m = NULL;

	e = json_object_get(root, "error");
	if (json_is_string(e))
		m = json_string_value(e);
	else if (json_is_object(e))
		m = json_string_value(json_object_get(e, "message"));
	if (!m)
		m = json_string_value(json_object_get(root, "message"));
	snprintf(out, size, "%s", m ? m : body->data);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	json_decref(root);
}

static void copy_attempts(const struct http_call *c, struct model_response *resp)
{
	resp->attempts = c->n_attempts;
	resp->seconds = (double)c->total_ms / 1000.0;
	for (int i = 0; i < c->n_attempts && i < MODEL_ATTEMPTS_MAX; i++) {
		const struct http_attempt *a = &c->attempt[i];
		struct model_attempt *m = &resp->attempt[i];

		m->status = a->status;
		m->start_ms = a->start_ms;
		m->latency_ms = a->latency_ms;
		m->retry_after_ms = a->retry_after_ms;
		m->wait_ms = a->wait_ms;
		snprintf(m->error, sizeof(m->error), "%s",
		         a->curl_code ? http_strerror(a->curl_code) : "");
	}
}

static int redact_response(struct model_response *resp, const char *key)
{
	int rc = provider_redact_buf(&resp->text, key);

	provider_redact(resp->detail, sizeof(resp->detail), key);
	provider_redact(resp->model, sizeof(resp->model), key);
	provider_redact(resp->system_fingerprint, sizeof(resp->system_fingerprint), key);
	provider_redact(resp->finish, sizeof(resp->finish), key);
	for (size_t i = 0; i < resp->n_tool_calls; i++) {
		struct model_tool_call *t = &resp->tool_calls[i];

		provider_redact(t->id, sizeof(t->id), key);
		provider_redact(t->name, sizeof(t->name), key);
		provider_redact(t->arguments, strlen(t->arguments) + 1, key);
	}
	return rc;
}

static void finish_one(struct remote *r, const struct remote_api *api,
                       const struct model_request *req, struct http_call *c,
                       int64_t cost, struct model_response *resp)
{
	char msg[160];

	copy_attempts(c, resp);
	if (c->failure) {
		msg[0] = '\0';
		if (c->status && c->resp.len)
			server_message(&c->resp, msg, sizeof(msg));
		remote_fail(resp, c->failure, "%s: %s%s%s", r->provider, c->detail,
		            msg[0] ? ": " : "", msg);
		return;
	}
	api->parse(r, req, c->resp.data, c->resp.len, resp);
	if (!resp->failure || resp->tokens_in || resp->tokens_out)
		http_client_settle(r->http, cost, resp->tokens_in + resp->tokens_out);
}

int remote_complete(struct remote *r, const struct remote_api *api,
                    const struct model_request *reqs, struct model_response *resps,
                    size_t n, struct wr_err *err)
{
	struct http_call *calls = calloc(n ? n : 1, sizeof(*calls));
	struct buf *bodies = calloc(n ? n : 1, sizeof(*bodies));
	int64_t *costs = calloc(n ? n : 1, sizeof(*costs));
	size_t made = 0;
	int rc = WR_ENOMEM;

	if (!calls || !bodies || !costs) {
		err_set(err, rc, "out of memory");
		goto out;
	}
	for (; made < n; made++) {
		http_call_init(&calls[made]);
		buf_init(&bodies[made], 0);
		if ((rc = api->build(r, &reqs[made], &bodies[made], &costs[made], err)) < 0) {
			made++;
			err_wrap(err, "model '%s'", r->name);
			goto out;
		}
		calls[made].url = r->url;
		calls[made].headers = (const char *const *)r->headers;
		calls[made].n_headers = r->n_headers;
		calls[made].body = bodies[made].data;
		calls[made].body_len = bodies[made].len;
		calls[made].cost_tokens = costs[made];
	}
	rc = n == 1 ? http_client_do(r->http, &calls[0], err)
	            : http_client_run(r->http, calls, n, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		finish_one(r, api, &reqs[i], &calls[i], costs[i], &resps[i]);
		if ((rc = redact_response(&resps[i], r->key)) < 0) {
			err_set(err, rc, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < made; i++) {
		http_call_release(&calls[i]);
		buf_release(&bodies[i]);
	}
	free(calls);
	free(bodies);
	free(costs);
	return rc;
}
