/* otlp.c: a run's spans to an OpenTelemetry collector, as OTLP/HTTP JSON
 * (an ExportTraceServiceRequest), with the GenAI semantic-convention
 * attribute names on model calls. IDs are derived from the run id, so
 * sending a run twice gives the collector the same trace. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hash.h"
#include "model/http.h"

#define MAX_HEADERS 32

struct build {
	const char *run_id;
	char trace_id[33];
	json_t *spans;
	int n, oom;
};

static void span_id(const char *run_id, int id, char out[17])
{
	char key[128], h[HASH_HEX];

	snprintf(key, sizeof(key), "%s:%d", run_id, id);
	hash_hex(key, strlen(key), h);
	memcpy(out, h, 16);
	out[16] = '\0';
}

static void attr_str(json_t *a, const char *key, const char *v)
{
	if (v && v[0])
		json_array_append_new(a, json_pack("{s:s,s:{s:s}}", "key", key, "value",
		                                   "stringValue", v));
}

static void attr_int(json_t *a, const char *key, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);  /* int64 as a string: proto3 JSON */
	json_array_append_new(a, json_pack("{s:s,s:{s:s}}", "key", key, "value", "intValue", num));
}

static void attr_double(json_t *a, const char *key, double v)
{
	json_array_append_new(a, json_pack("{s:s,s:{s:f}}", "key", key, "value", "doubleValue",
	                                   v));
}

/* The call's sampling settings, under their GenAI names. */
static void params(json_t *a, const char *text)
{
	json_t *p = text[0] ? json_loads(text, 0, NULL) : NULL, *v;

	if ((v = json_object_get(p, "temperature")) && json_is_number(v))
		attr_double(a, "gen_ai.request.temperature", json_number_value(v));
	if ((v = json_object_get(p, "top_p")) && json_is_number(v))
		attr_double(a, "gen_ai.request.top_p", json_number_value(v));
	if ((v = json_object_get(p, "max_tokens")) && json_is_integer(v))
		attr_int(a, "gen_ai.request.max_tokens", json_integer_value(v));
	if ((v = json_object_get(p, "seed")) && json_is_integer(v))
		attr_int(a, "gen_ai.request.seed", json_integer_value(v));
	json_decref(p);
}

static json_t *attributes(const struct wr_span *s, const char *run_id)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	attr_str(a, "warrant.run.id", run_id);
	attr_str(a, "warrant.span.kind", s->kind);
	if (!strcmp(s->kind, "step")) {
		attr_str(a, "warrant.step.id", s->name);
		attr_str(a, "warrant.step.kind", s->step_kind);
	}
	attr_str(a, "warrant.status", s->status);
	if (s->failure) {
		attr_str(a, "warrant.failure_class", wr_failure_name(s->failure));
		attr_str(a, "error.type", wr_failure_name(s->failure));
	}
	attr_str(a, "warrant.artifact.sha256", s->artifact);
	if (!strcmp(s->kind, "call")) {
		attr_str(a, "gen_ai.operation.name", "chat");
		attr_str(a, "gen_ai.request.model", s->model);
		attr_str(a, "gen_ai.provider.name", s->provider);
		attr_str(a, "gen_ai.system", s->provider);
		attr_int(a, "gen_ai.usage.input_tokens", s->tokens_in);
		attr_int(a, "gen_ai.usage.output_tokens", s->tokens_out);
		attr_int(a, "warrant.request.bytes", s->bytes_in);
		attr_int(a, "warrant.response.bytes", s->bytes_out);
		params(a, s->params);
	}
	if (!strcmp(s->kind, "tool")) {
		attr_str(a, "gen_ai.operation.name", "execute_tool");
		attr_str(a, "gen_ai.tool.name", !strncmp(s->name, "tool ", 5) ? s->name + 5 : s->name);
		attr_str(a, "warrant.tool.effect", s->step_kind);
	}
	if (s->cost_usd > 0)
		attr_double(a, "warrant.cost_usd", s->cost_usd);
	if (!strcmp(s->kind, "run")) {
		attr_int(a, "gen_ai.usage.input_tokens", s->tokens_in);
		attr_int(a, "gen_ai.usage.output_tokens", s->tokens_out);
	}
	return a;
}

static int add_span(void *ud, const struct wr_span *s)
{
	struct build *b = ud;
	char id[17], parent[17], start[32], end[32], name[200];
	int failed = s->failure != WR_FAIL_NONE || !strcmp(s->status, "failed");
	json_t *j, *attrs = attributes(s, b->run_id);

	span_id(b->run_id, s->id, id);
	snprintf(start, sizeof(start), "%" PRId64 "000", s->start_us);
	snprintf(end, sizeof(end), "%" PRId64 "000", s->end_us);
	if (!strcmp(s->kind, "call"))
		snprintf(name, sizeof(name), "chat %s", s->model);
	else
		snprintf(name, sizeof(name), "%s %s", s->kind, s->name);
	/* kind: 1 internal, 3 client (a call to a model provider) */
	j = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:{s:i}}", "traceId", b->trace_id,
	              "spanId", id, "name", name, "kind", strcmp(s->kind, "call") ? 1 : 3,
	              "startTimeUnixNano", start, "endTimeUnixNano", end, "attributes",
	              attrs ? attrs : json_array(), "status", "code", failed ? 2 : 1);
	if (!j) {
		b->oom = 1;
		return 1;
	}
	if (failed)
		json_object_set_new(json_object_get(j, "status"), "message",
		                    json_string(s->failure ? wr_failure_name(s->failure) : s->status));
	if (s->parent > 0) {
		span_id(b->run_id, s->parent, parent);
		json_object_set_new(j, "parentSpanId", json_string(parent));
	}
	if (json_array_append_new(b->spans, j) < 0) {
		b->oom = 1;
		return 1;
	}
	b->n++;
	return 0;
}

/* "k=v,k2=v2" (OTEL_EXPORTER_OTLP_HEADERS) into "k: v" lines. */
static int parse_headers(const char *spec, char *store, size_t size, const char **lines,
                         size_t *n, struct wr_err *err)
{
	size_t used = 0;

	*n = 0;
	lines[(*n)++] = "Content-Type: application/json";
	while (spec && *spec) {
		const char *end = strchr(spec, ','), *eq;
		size_t len = end ? (size_t)(end - spec) : strlen(spec);

		eq = memchr(spec, '=', len);
		if (!eq || eq == spec || *n == MAX_HEADERS || used + len + 3 > size ||
		    memchr(spec, '\n', len) || memchr(spec, '\r', len))
			return err_set(err, WR_EINVAL, "OTLP headers: expected key=value,key=value");
		lines[(*n)++] = store + used;
		used += (size_t)snprintf(store + used, size - used, "%.*s: %.*s",
		                         (int)(eq - spec), spec, (int)(len - (size_t)(eq - spec) - 1),
		                         eq + 1) + 1;
		spec = end ? end + 1 : spec + len;
	}
	return 0;
}

int wr_trace_export_otlp(struct wr_store *store, const char *run_id, const char *url,
                         const char *headers, struct wr_otlp_result *out, struct wr_err *err)
{
	struct build b;
	struct http_params hp = http_default_params();
	struct http_client *client = NULL;
	struct http_call call;
	const char *lines[MAX_HEADERS];
	char hstore[4096], h[HASH_HEX];
	json_t *req = NULL;
	char *body = NULL;
	size_t n_lines;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	http_call_init(&call);
	if (!store || !run_id || !url)
		return err_set(err, WR_EINVAL, "wr_trace_export_otlp: store, run and url are required");
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return err_set(err, WR_EINVAL, "OTLP endpoint must be an http:// or https:// URL");
	if ((rc = parse_headers(headers, hstore, sizeof(hstore), lines, &n_lines, err)) < 0)
		return rc;
	b.run_id = run_id;
	hash_hex(run_id, strlen(run_id), h);
	memcpy(b.trace_id, h, 32);
	b.trace_id[32] = '\0';
	if (!(b.spans = json_array()))
		return err_set(err, WR_ENOMEM, "out of memory");
	if ((rc = wr_trace_each(store, run_id, add_span, &b, err)) < 0)
		goto out;
	req = json_pack("{s:[{s:{s:[{s:s,s:{s:s}}]},s:[{s:{s:s,s:s},s:O}]}]}", "resourceSpans",
	                "resource", "attributes", "key", "service.name", "value", "stringValue",
	                "warrant", "scopeSpans", "scope", "name", "warrant", "version",
	                wr_version(), "spans", b.spans);
	if (b.oom || !req || !(body = json_dumps(req, JSON_COMPACT))) {
		rc = err_set(err, WR_ENOMEM, "out of memory");
		goto out;
	}
	hp.max_attempts = 3;
	hp.backoff_base_ms = 200;
	hp.timeout_ms = 10000;
	hp.connect_timeout_ms = 3000;
	if ((rc = http_client_new(&hp, &client, err)) < 0)
		goto out;
	call.url = url;
	call.headers = lines;
	call.n_headers = n_lines;
	call.body = body;
	call.body_len = strlen(body);
	if ((rc = http_client_do(client, &call, err)) < 0)
		goto out;
	out->spans = b.n;
	out->status = call.status;
	if (call.failure != WR_FAIL_NONE)
		rc = err_set(err, WR_EPROVIDER, "OTLP export to %s failed: %s", url, call.detail);
out:
	http_call_release(&call);
	http_client_free(client);
	free(body);
	json_decref(req);
	json_decref(b.spans);
	return rc;
}
